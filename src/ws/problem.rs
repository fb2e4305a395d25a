//! Protocol violations and decoding troubles, named after the rule they break.
//!
//! A problem is data, not the end of decoding: it is attached to the frame or message it was
//! found in, and everything decodable is still shown.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Problem {
    // RFC 6455 5.1 and 5.3: clients mask, servers do not.
    UnmaskedClientFrame,
    MaskedServerFrame,
    // RFC 6455 5.5: control frames are not fragmented and carry at most 125 bytes.
    FragmentedControlFrame,
    ControlFrameTooLong,
    // RFC 6455 5.2.
    ReservedOpcode,
    ReservedBitsSet,
    NonMinimalLength,
    LengthHighBitSet,
    // RFC 6455 5.4: fragments follow each other.
    UnexpectedContinuation,
    ExpectedContinuation,
    /// A fragmented message that never got its final frame (interrupted or capture ended).
    UnfinishedMessage,
    // RFC 6455 5.5.1 and 7.4.
    CloseTooShort,
    InvalidCloseCode,
    // RFC 6455 5.6 and 8.1.
    InvalidUtf8,
    // RFC 7692 6: RSV1 marks the first frame of a compressed data message only.
    CompressedControlFrame,
    CompressedContinuation,
    /// The compressed bytes do not inflate.
    InflateFailed,
    /// The capture began after the handshake, so the compression window history is missing.
    InflateNoHistory,
    /// Inflating stopped at the size limit.
    InflateLimit,
    /// The capture ended before the frame did.
    Truncated,
    /// Bytes of this frame or message are missing from the capture.
    Incomplete,
    /// The payload was over the size kept in memory; only its start is kept.
    PayloadCut,
    /// Framing was lost after missing bytes and picked up again at a segment that looks like a
    /// frame header: a guess.
    Resynchronized,
    /// The connection stopped being followed inside this frame, to stay within a bound (the
    /// bytes held across connections, or the number of connections open at once).
    Evicted,
}

impl Problem {
    /// Every problem, in the order of the README's table.
    const ALL: [Problem; 24] = [
        Problem::UnmaskedClientFrame,
        Problem::MaskedServerFrame,
        Problem::FragmentedControlFrame,
        Problem::ControlFrameTooLong,
        Problem::ReservedOpcode,
        Problem::ReservedBitsSet,
        Problem::NonMinimalLength,
        Problem::LengthHighBitSet,
        Problem::UnexpectedContinuation,
        Problem::ExpectedContinuation,
        Problem::UnfinishedMessage,
        Problem::CloseTooShort,
        Problem::InvalidCloseCode,
        Problem::InvalidUtf8,
        Problem::CompressedControlFrame,
        Problem::CompressedContinuation,
        Problem::InflateFailed,
        Problem::InflateNoHistory,
        Problem::InflateLimit,
        Problem::Truncated,
        Problem::Incomplete,
        Problem::PayloadCut,
        Problem::Resynchronized,
        Problem::Evicted,
    ];

    /// The problem with this [`Problem::name`].
    pub(crate) fn from_name(name: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Stable kebab-case name used in JSON output and filters.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Problem::UnmaskedClientFrame => "unmasked-client-frame",
            Problem::MaskedServerFrame => "masked-server-frame",
            Problem::FragmentedControlFrame => "fragmented-control-frame",
            Problem::ControlFrameTooLong => "control-frame-too-long",
            Problem::ReservedOpcode => "reserved-opcode",
            Problem::ReservedBitsSet => "reserved-bits-set",
            Problem::NonMinimalLength => "non-minimal-length",
            Problem::LengthHighBitSet => "length-high-bit-set",
            Problem::UnexpectedContinuation => "unexpected-continuation",
            Problem::ExpectedContinuation => "expected-continuation",
            Problem::UnfinishedMessage => "unfinished-message",
            Problem::CloseTooShort => "close-too-short",
            Problem::InvalidCloseCode => "invalid-close-code",
            Problem::InvalidUtf8 => "invalid-utf8",
            Problem::CompressedControlFrame => "compressed-control-frame",
            Problem::CompressedContinuation => "compressed-continuation",
            Problem::InflateFailed => "inflate-failed",
            Problem::InflateNoHistory => "inflate-no-history",
            Problem::InflateLimit => "inflate-limit",
            Problem::Truncated => "truncated",
            Problem::Incomplete => "incomplete",
            Problem::PayloadCut => "payload-cut",
            Problem::Resynchronized => "resynchronized",
            Problem::Evicted => "evicted",
        }
    }

    /// One sentence for people, naming the rule.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Problem::UnmaskedClientFrame => {
                "client frame not masked (RFC 6455 5.1: clients MUST mask)"
            }
            Problem::MaskedServerFrame => {
                "server frame masked (RFC 6455 5.1: servers MUST NOT mask)"
            }
            Problem::FragmentedControlFrame => {
                "control frame without FIN (RFC 6455 5.5: control frames MUST NOT be fragmented)"
            }
            Problem::ControlFrameTooLong => "control frame payload over 125 bytes (RFC 6455 5.5)",
            Problem::ReservedOpcode => "reserved opcode (RFC 6455 5.2)",
            Problem::ReservedBitsSet => {
                "RSV bit set without an extension that defines it (RFC 6455 5.2)"
            }
            Problem::NonMinimalLength => "payload length not in its shortest form (RFC 6455 5.2)",
            Problem::LengthHighBitSet => {
                "64-bit payload length with its most significant bit set (RFC 6455 5.2)"
            }
            Problem::UnexpectedContinuation => {
                "continuation frame with no message to continue (RFC 6455 5.4)"
            }
            Problem::ExpectedContinuation => {
                "new data frame while a fragmented message is unfinished (RFC 6455 5.4)"
            }
            Problem::UnfinishedMessage => "fragmented message never finished",
            Problem::CloseTooShort => {
                "close payload of 1 byte: a close code takes 2 (RFC 6455 5.5.1)"
            }
            Problem::InvalidCloseCode => "close code not allowed on the wire (RFC 6455 7.4)",
            Problem::InvalidUtf8 => "text is not valid UTF-8 (RFC 6455 8.1)",
            Problem::CompressedControlFrame => "RSV1 on a control frame (RFC 7692 6.1)",
            Problem::CompressedContinuation => "RSV1 on a continuation frame (RFC 7692 6.1)",
            Problem::InflateFailed => "compressed payload does not inflate",
            Problem::InflateNoHistory => {
                "cannot inflate: the capture began after the handshake, so the compression history is missing"
            }
            Problem::InflateLimit => {
                "inflated message over the size limit: only its start is shown"
            }
            Problem::Truncated => "the capture ends before this frame does",
            Problem::Incomplete => "bytes of this frame are missing from the capture",
            Problem::PayloadCut => "payload over the size kept in memory: only its start is shown",
            Problem::Resynchronized => "framing picked up again after missing bytes (a guess)",
            Problem::Evicted => {
                "not followed to its end: the connection was evicted to stay within bounds"
            }
        }
    }
}

/// A set of problems in four bytes, for stores that keep millions of frames. Iterates in the
/// order of [`Problem::ALL`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Problems(u32);

// One bit per problem.
const _: () = assert!(Problem::ALL.len() <= 32);

impl Problems {
    fn bit(p: Problem) -> u32 {
        // The declaration order, which `ALL` follows.
        1 << (p as u32)
    }

    pub(crate) fn contains(self, p: Problem) -> bool {
        self.0 & Problems::bit(p) != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[cfg(test)]
    fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Problem> {
        Problem::ALL.into_iter().filter(move |p| self.contains(*p))
    }

    pub(crate) fn to_vec(self) -> Vec<Problem> {
        self.iter().collect()
    }
}

impl FromIterator<Problem> for Problems {
    fn from_iter<I: IntoIterator<Item = Problem>>(ps: I) -> Problems {
        Problems(ps.into_iter().fold(0, |bits, p| bits | Problems::bit(p)))
    }
}

impl From<&[Problem]> for Problems {
    fn from(ps: &[Problem]) -> Problems {
        ps.iter().copied().collect()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// RFC 6455 7.4: which close codes may appear in a close frame.
pub(crate) fn close_code_allowed(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// What a close code means, for people.
pub(crate) fn close_code_meaning(code: u16) -> &'static str {
    match code {
        1000 => "normal closure",
        1001 => "going away",
        1002 => "protocol error",
        1003 => "unsupported data",
        1004 => "reserved",
        1005 => "no status received (must not be sent)",
        1006 => "abnormal closure (must not be sent)",
        1007 => "invalid payload data",
        1008 => "policy violation",
        1009 => "message too big",
        1010 => "mandatory extension",
        1011 => "internal error",
        1012 => "service restart",
        1013 => "try again later",
        1014 => "bad gateway",
        1015 => "TLS handshake failure (must not be sent)",
        3000..=3999 => "registered (IANA)",
        4000..=4999 => "private use",
        _ => "not defined",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_holds_each_problem_apart() {
        for (i, p) in Problem::ALL.into_iter().enumerate() {
            assert_eq!(p as usize, i, "ALL follows the declaration order");
            let one = Problems::from(&[p][..]);
            assert_eq!((one.len(), one.to_vec()), (1, vec![p]));
        }
        let some = [Problem::Resynchronized, Problem::UnmaskedClientFrame];
        let set = Problems::from(&some[..]);
        assert_eq!(set.to_vec(), [some[1], some[0]]);
        assert!(!set.contains(Problem::InvalidUtf8));
        assert!(Problems::default().is_empty());
        assert_eq!(
            Problem::ALL.into_iter().collect::<Problems>().len(),
            Problem::ALL.len()
        );
    }

    #[test]
    fn every_name_reads_back() {
        for p in Problem::ALL {
            assert_eq!(Problem::from_name(p.name()), Some(p));
        }
        assert_eq!(
            Problem::from_name("invalid-utf8"),
            Some(Problem::InvalidUtf8)
        );
    }

    /// The README's `| name | meaning |` table lists the names `problems` may hold, in the order
    /// of [`Problem::ALL`]: each row's first cell names one or more in backticks.
    #[test]
    fn the_readme_documents_every_problem_and_no_other() {
        let documented: Vec<&str> = include_str!("../../README.md")
            .lines()
            .skip_while(|l| *l != "| name | meaning |")
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .flat_map(|row| {
                let names = row.split('|').nth(1).unwrap_or_default();
                names.split('`').skip(1).step_by(2)
            })
            .collect();
        let named: Vec<&str> = Problem::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(named, documented, "the README's table of problems");
    }

    #[test]
    fn close_codes_follow_rfc_6455_section_7_4() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999,
        ] {
            assert!(close_code_allowed(ok), "{ok}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000] {
            assert!(!close_code_allowed(bad), "{bad}");
        }
    }
}
