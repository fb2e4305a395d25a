//! Buffers handed back by the consumer of events, reused for the next frames and messages.
//!
//! Every frame owns its payload and every message its bytes and frame list, so that a consumer
//! may keep them. One that writes and forgets (text, JSON) hands them back instead, and then a
//! long stream is decoded without a heap allocation per packet. What is kept is bounded, so memory
//! follows the traffic of the moment, never the size of the capture: a buffer that grew for one
//! large message is dropped rather than kept.

/// Byte buffers kept at most, and frame lists kept at most.
const KEEP_COUNT: usize = 256;
/// A byte buffer with more capacity than this is freed, not kept.
const KEEP_CAPACITY: usize = 64 << 10;
/// Capacity of all kept byte buffers together.
const KEEP_TOTAL: usize = 1 << 20;
/// A frame list with more room than this (frames of one message) is freed, not kept.
const KEEP_FRAMES: usize = 4096;

/// A bounded pool of empty byte buffers and frame lists. Taking from an empty pool gives a new,
/// unallocated `Vec`, so a consumer that never hands anything back costs nothing more than
/// plain `Vec::new()`.
#[derive(Debug, Default)]
pub struct Buffers {
    bytes: Vec<Vec<u8>>,
    /// Capacity of the buffers in `bytes`, for `KEEP_TOTAL`.
    bytes_total: usize,
    lists: Vec<Vec<u64>>,
}

impl Buffers {
    /// An empty byte buffer, with the capacity of one used before when there is one.
    pub(crate) fn bytes(&mut self) -> Vec<u8> {
        match self.bytes.pop() {
            Some(b) => {
                self.bytes_total -= b.capacity();
                b
            }
            None => Vec::new(),
        }
    }

    /// An empty frame list.
    pub(crate) fn list(&mut self) -> Vec<u64> {
        self.lists.pop().unwrap_or_default()
    }

    /// Takes a byte buffer back for reuse, or frees it when it is large or enough are kept.
    pub(crate) fn put_bytes(&mut self, mut b: Vec<u8>) {
        let cap = b.capacity();
        if cap == 0
            || cap > KEEP_CAPACITY
            || self.bytes.len() >= KEEP_COUNT
            || self.bytes_total + cap > KEEP_TOTAL
        {
            return;
        }
        if self.bytes.capacity() == 0 {
            // Room for every buffer that may be kept, once, instead of growing while warming up.
            self.bytes.reserve_exact(KEEP_COUNT);
        }
        b.clear();
        self.bytes_total += cap;
        self.bytes.push(b);
    }

    /// Takes a frame list back for reuse, or frees it when it is large or enough are kept.
    pub(crate) fn put_list(&mut self, mut l: Vec<u64>) {
        let cap = l.capacity();
        if cap == 0 || cap > KEEP_FRAMES || self.lists.len() >= KEEP_COUNT {
            return;
        }
        if self.lists.capacity() == 0 {
            self.lists.reserve_exact(KEEP_COUNT);
        }
        l.clear();
        self.lists.push(l);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_comes_back_empty_with_its_capacity() {
        let mut b = Buffers::default();
        let mut v = b.bytes();
        v.extend_from_slice(b"hello");
        let cap = v.capacity();
        b.put_bytes(v);
        let again = b.bytes();
        assert!(again.is_empty());
        assert_eq!(again.capacity(), cap);
        assert_eq!(b.bytes_total, 0);
    }

    #[test]
    fn what_is_kept_stays_bounded() {
        let mut b = Buffers::default();
        b.put_bytes(Vec::with_capacity(16 << 20));
        assert_eq!(b.bytes_total, 0, "a large buffer is freed");
        for _ in 0..10_000 {
            b.put_bytes(Vec::with_capacity(KEEP_CAPACITY));
            b.put_list(Vec::with_capacity(8));
        }
        assert!(b.bytes_total <= KEEP_TOTAL);
        assert!(b.bytes.len() <= KEEP_COUNT && b.lists.len() <= KEEP_COUNT);
        b.put_list(Vec::with_capacity(KEEP_FRAMES + 1));
        assert!(b.lists.iter().all(|l| l.capacity() <= KEEP_FRAMES));
    }
}
