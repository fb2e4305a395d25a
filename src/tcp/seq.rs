//! TCP sequence numbers: a 32-bit space that wraps, where order only means
//! something between numbers less than 2^31 apart (RFC 1982 serial number
//! arithmetic). Comparisons go by the sign of the wrapping difference, so a
//! capture that crosses the wrap orders correctly.

use std::cmp::Ordering;
use std::ops::Add;

/// A position in one direction's sequence space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct SeqNumber(pub(crate) u32);

impl SeqNumber {
    /// Signed distance from `other` to `self`, taking the shorter way round
    /// the circle: positive when `self` is ahead.
    pub(crate) fn diff(self, other: SeqNumber) -> i32 {
        // Reinterpreting the wrapped difference as signed is the whole point.
        self.0.wrapping_sub(other.0) as i32
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;

    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl PartialOrd for SeqNumber {
    /// Numbers exactly 2^31 apart are neither before nor after each other.
    fn partial_cmp(&self, other: &SeqNumber) -> Option<Ordering> {
        match self.diff(*other) {
            i32::MIN => None,
            d => Some(d.cmp(&0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SeqNumber;

    #[test]
    fn orders_across_the_wrap() {
        let before = SeqNumber(u32::MAX - 5);
        let after = before + 10;
        assert_eq!(after, SeqNumber(4));
        assert!(before < after);
        assert!(after > before);
        assert_eq!(after.diff(before), 10);
        assert_eq!(before.diff(after), -10);
    }

    #[test]
    fn half_the_circle_is_unordered() {
        let a = SeqNumber(0);
        let b = SeqNumber(1 << 31);
        assert_eq!(a.partial_cmp(&b), None);
        assert_eq!(b.partial_cmp(&a), None);
        assert!(SeqNumber(7) <= SeqNumber(7));
    }
}
