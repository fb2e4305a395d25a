//! One direction of a flow: places segments in the byte stream and hands out
//! an ordered run of data and gaps.
//!
//! Positions are stream offsets (`u64`, bytes delivered plus bytes declared
//! lost) rather than sequence numbers, so buffered data stays ordered however
//! often the 32-bit sequence space wraps. Wire values are turned into offsets
//! only relative to the next expected byte, and only when they fall within
//! [`WINDOW`] of it.

use std::collections::BTreeMap;

use super::seq::SeqNumber;

/// How far ahead of the next expected byte a segment or an ACK may point and
/// still be believed. Real windows stay far below this, and the margin up to
/// 2^31 keeps the wrapping comparison unambiguous.
pub(crate) const WINDOW: i64 = 1 << 30;

/// Most out-of-order chunks one direction keeps. The byte limit alone would
/// let many tiny (or, for snaplen cuts, empty) chunks pile up; overflowing
/// this is handled exactly like overflowing the byte limit.
pub(crate) const MAX_CHUNKS: usize = 1024;

/// What a direction hands out, in stream order.
pub(crate) enum Piece<'a> {
    Data(&'a [u8]),
    Gap(u64),
}

/// A buffered run of the stream: bytes held, or bytes known to be missing
/// (a segment cut by the snapshot length still fills its sequence space).
enum Chunk {
    Data(Vec<u8>),
    Lost(u64),
}

impl Chunk {
    fn len(&self) -> u64 {
        match self {
            Chunk::Data(v) => len64(v),
            Chunk::Lost(n) => *n,
        }
    }

    fn held(&self) -> usize {
        match self {
            Chunk::Data(v) => v.len(),
            Chunk::Lost(_) => 0,
        }
    }

    /// Appends `next` when it is of the same kind; otherwise gives it back.
    fn absorb(&mut self, next: Chunk) -> Option<Chunk> {
        match (self, next) {
            (Chunk::Data(v), Chunk::Data(w)) => {
                v.extend_from_slice(&w);
                None
            }
            (Chunk::Lost(n), Chunk::Lost(m)) => {
                *n = n.saturating_add(m);
                None
            }
            (_, next) => Some(next),
        }
    }

    fn truncate(&mut self, len: u64) {
        match self {
            Chunk::Data(v) => v.truncate(usize::try_from(len).unwrap_or(usize::MAX)),
            Chunk::Lost(n) => *n = (*n).min(len),
        }
    }
}

/// Out-of-order chunks keyed by stream offset; they never overlap and all
/// lie ahead of the delivery point.
#[derive(Default)]
struct Reorder {
    chunks: BTreeMap<u64, Chunk>,
    /// Bytes held in `Data` chunks (lengths, which is what the limit speaks of).
    bytes: usize,
}

impl Reorder {
    fn first_start(&self) -> Option<u64> {
        self.chunks.keys().next().copied()
    }

    fn pop_first(&mut self) -> Option<(u64, Chunk)> {
        let (k, c) = self.chunks.pop_first()?;
        self.bytes = self.bytes.saturating_sub(c.held());
        Some((k, c))
    }

    /// Stores the parts of `[start, end)` not already buffered; the bytes
    /// first received win an overlap. `data` holds the captured prefix of the
    /// range, the rest is `Lost`. Refuses (changing nothing) when the result
    /// could exceed `max_bytes` or [`MAX_CHUNKS`].
    fn try_insert(&mut self, start: u64, data: &[u8], end: u64, max_bytes: usize) -> bool {
        let cap_end = start.saturating_add(len64(data)).min(end);
        let mut holes: Vec<(u64, u64)> = Vec::new();
        let mut cur = start;
        if let Some((&k, c)) = self.chunks.range(..start).next_back() {
            cur = cur.max(k.saturating_add(c.len()));
        }
        for (&k, c) in self.chunks.range(start..end) {
            if k > cur {
                holes.push((cur, k));
            }
            cur = cur.max(k.saturating_add(c.len()));
        }
        if cur < end {
            holes.push((cur, end));
        }

        let mut new_bytes: u64 = 0;
        let mut new_chunks: usize = 0;
        for &(s, e) in &holes {
            let data_end = e.min(cap_end);
            if data_end > s {
                new_bytes = new_bytes.saturating_add(data_end - s);
                new_chunks = new_chunks.saturating_add(1);
            }
            if e > s.max(cap_end) {
                new_chunks = new_chunks.saturating_add(1);
            }
        }
        let fits_bytes = usize::try_from(new_bytes)
            .ok()
            .and_then(|n| n.checked_add(self.bytes))
            .is_some_and(|total| total <= max_bytes);
        // Merging may need fewer chunks than counted; erring high only means
        // declaring a hole a little early in a pathological case.
        let fits_chunks = self.chunks.len().saturating_add(new_chunks) <= MAX_CHUNKS;
        if !(fits_bytes && fits_chunks) {
            return false;
        }

        for (s, e) in holes {
            let data_end = e.min(cap_end);
            if data_end > s {
                let part = slice(data, s - start, data_end - start);
                self.put(s, Chunk::Data(part.to_vec()));
            }
            let lost_start = s.max(cap_end);
            if e > lost_start {
                self.put(lost_start, Chunk::Lost(e - lost_start));
            }
        }
        true
    }

    /// Inserts a chunk over free space, merging it with neighbours of the same
    /// kind that touch it, so a long run after one hole stays a single chunk.
    fn put(&mut self, at: u64, chunk: Chunk) {
        self.bytes = self.bytes.saturating_add(chunk.held());
        let mut key = at;
        let mut pending = Some(chunk);
        if let Some((&k, prev)) = self.chunks.range_mut(..at).next_back()
            && k.saturating_add(prev.len()) == at
            && let Some(c) = pending.take()
        {
            pending = prev.absorb(c);
            if pending.is_none() {
                key = k;
            }
        }
        if let Some(c) = pending {
            self.chunks.insert(at, c);
        }

        let Some(end) = self.chunks.get(&key).map(|c| key.saturating_add(c.len())) else {
            return;
        };
        if let Some(next) = self.chunks.remove(&end) {
            let back = self.chunks.get_mut(&key).and_then(|c| c.absorb(next));
            if let Some(next) = back {
                self.chunks.insert(end, next);
            }
        }
    }

    /// Drops everything at or beyond `at`.
    fn truncate(&mut self, at: u64) {
        let tail = self.chunks.split_off(&at);
        let dropped: usize = tail.values().map(Chunk::held).sum();
        self.bytes = self.bytes.saturating_sub(dropped);
        if let Some((&k, last)) = self.chunks.iter_mut().next_back()
            && k.saturating_add(last.len()) > at
        {
            let before = last.held();
            last.truncate(at.saturating_sub(k));
            self.bytes = self
                .bytes
                .saturating_sub(before.saturating_sub(last.held()));
        }
    }
}

/// Reassembly state of one direction.
#[derive(Default)]
pub(crate) struct Stream {
    started: bool,
    /// ISN, when this direction's SYN was seen.
    isn: Option<SeqNumber>,
    /// Sequence number of the first data byte (ISN+1, or the first seq seen).
    init: SeqNumber,
    /// Sequence number of the byte at `offset`.
    next: SeqNumber,
    /// Stream offset of the next byte to hand out.
    offset: u64,
    /// Stream offset the FIN occupies, once seen.
    fin: Option<u64>,
    buf: Reorder,
}

impl Stream {
    pub(crate) fn started(&self) -> bool {
        self.started
    }

    pub(crate) fn isn(&self) -> Option<SeqNumber> {
        self.isn
    }

    pub(crate) fn init(&self) -> SeqNumber {
        self.init
    }

    pub(crate) fn fin_seen(&self) -> bool {
        self.fin.is_some()
    }

    /// Every byte before the FIN has been handed out.
    pub(crate) fn done(&self) -> bool {
        self.fin.is_some_and(|f| self.offset >= f)
    }

    pub(crate) fn buffered(&self) -> usize {
        self.buf.bytes
    }

    #[cfg(test)]
    pub(crate) fn chunks(&self) -> usize {
        self.buf.chunks.len()
    }

    /// First segment of this direction: with a SYN the data starts after it,
    /// without one (capture started mid-connection) at this segment.
    pub(crate) fn start(&mut self, seq: SeqNumber, syn: bool) {
        let first = if syn { seq + 1 } else { seq };
        self.started = true;
        self.isn = syn.then_some(seq);
        self.init = first;
        self.next = first;
    }

    /// A SYN arriving after this direction already started from its data.
    pub(crate) fn late_syn(&mut self, seq: SeqNumber) {
        self.isn = Some(seq);
    }

    /// Position of `seq` relative to the next expected byte.
    pub(crate) fn rel(&self, seq: SeqNumber) -> i64 {
        i64::from(seq.diff(self.next))
    }

    /// Records the FIN at `rel`, unless one is known already or it lies behind
    /// what was handed out. Buffered bytes past it cannot belong to the stream.
    pub(crate) fn set_fin(&mut self, rel: i64) {
        if self.fin.is_some() || !(0..WINDOW.saturating_mul(2)).contains(&rel) {
            return;
        }
        let at = self.offset.saturating_add(rel.unsigned_abs());
        self.fin = Some(at);
        self.buf.truncate(at);
    }

    /// For a flow no longer reassembled: only whether a FIN came matters.
    pub(crate) fn mark_fin(&mut self) {
        if self.fin.is_none() {
            self.fin = Some(self.offset);
        }
    }

    /// Frees the buffers; the stream keeps its position.
    pub(crate) fn discard(&mut self) {
        self.buf = Reorder::default();
    }

    /// A segment whose first sequence-space byte is at `rel`, occupying `len`
    /// bytes of which `data` is the captured prefix.
    pub(crate) fn segment(
        &mut self,
        rel: i64,
        data: &[u8],
        len: u64,
        max_bytes: usize,
        emit: &mut impl FnMut(Piece<'_>),
    ) {
        let Ok(len_i) = i64::try_from(len) else {
            return;
        };
        let end_rel = rel.saturating_add(len_i);
        if rel >= WINDOW || end_rel <= 0 {
            return;
        }
        let old = rel.min(0).unsigned_abs();
        let start = self.offset.saturating_add(rel.max(0).unsigned_abs());
        let mut end = self.offset.saturating_add(end_rel.unsigned_abs());
        if let Some(f) = self.fin {
            end = end.min(f);
        }
        self.place(start, tail(data, old), end, max_bytes, emit);
    }

    fn place(
        &mut self,
        mut start: u64,
        mut data: &[u8],
        end: u64,
        max_bytes: usize,
        emit: &mut impl FnMut(Piece<'_>),
    ) {
        loop {
            self.drain(emit);
            if start < self.offset {
                data = tail(data, self.offset - start);
                start = self.offset;
            }
            if start >= end {
                return;
            }
            if start == self.offset {
                self.in_order(start, data, end, emit);
                return;
            }
            if self.buf.try_insert(start, data, end, max_bytes) {
                return;
            }
            // Over the limit: give up on the earliest hole so the buffer can
            // drain, and try again from the new delivery point.
            let hole_end = self.buf.first_start().map_or(start, |k| k.min(start));
            if hole_end <= self.offset {
                return;
            }
            self.gap_to(hole_end, emit);
        }
    }

    /// Hands out a segment starting at the delivery point straight from the
    /// packet, stepping around buffered chunks, which were received first and
    /// so win any overlap.
    fn in_order(&mut self, start: u64, data: &[u8], end: u64, emit: &mut impl FnMut(Piece<'_>)) {
        loop {
            let before = self.offset;
            let stop = self.buf.first_start().map_or(end, |k| k.min(end));
            if stop > self.offset {
                self.emit_part(start, data, stop, emit);
            }
            self.drain(emit);
            if self.offset >= end || self.offset == before {
                return;
            }
        }
    }

    /// Hands out `[offset, stop)` of a segment that began at `start`: its
    /// captured bytes as data, the part cut off by the snapshot length as a gap.
    fn emit_part(&mut self, start: u64, data: &[u8], stop: u64, emit: &mut impl FnMut(Piece<'_>)) {
        let from = self.offset;
        let cap_end = start.saturating_add(len64(data));
        if from < cap_end {
            let data_end = stop.min(cap_end);
            emit(Piece::Data(slice(data, from - start, data_end - start)));
        }
        let lost = from.max(cap_end);
        if stop > lost {
            emit(Piece::Gap(stop - lost));
        }
        self.advance(stop - from);
    }

    /// Hands out buffered chunks that have become contiguous.
    fn drain(&mut self, emit: &mut impl FnMut(Piece<'_>)) {
        while self.buf.first_start().is_some_and(|k| k <= self.offset) {
            let Some((k, chunk)) = self.buf.pop_first() else {
                return;
            };
            let skip = self.offset - k;
            match chunk {
                Chunk::Data(v) => {
                    let rest = tail(&v, skip);
                    if !rest.is_empty() {
                        emit(Piece::Data(rest));
                        self.advance(len64(rest));
                    }
                }
                Chunk::Lost(n) => {
                    if n > skip {
                        emit(Piece::Gap(n - skip));
                        self.advance(n - skip);
                    }
                }
            }
        }
    }

    fn gap_to(&mut self, target: u64, emit: &mut impl FnMut(Piece<'_>)) {
        if target > self.offset {
            emit(Piece::Gap(target - self.offset));
            self.advance(target - self.offset);
        }
    }

    fn advance(&mut self, n: u64) {
        self.offset = self.offset.saturating_add(n);
        // Sequence space is modulo 2^32: only the low bits of the count matter.
        self.next = self.next + (n as u32);
    }

    /// The peer acknowledged up to `ack`: bytes of this direction before it
    /// reached the peer, so any of them still missing here never will be.
    /// The FIN's own sequence number is not a byte, hence the cap at the FIN.
    pub(crate) fn ack(&mut self, ack: SeqNumber, emit: &mut impl FnMut(Piece<'_>)) {
        if !self.started {
            return;
        }
        let rel = self.rel(ack);
        if rel <= 0 || rel >= WINDOW {
            return;
        }
        let mut target = self.offset.saturating_add(rel.unsigned_abs());
        if let Some(f) = self.fin {
            target = target.min(f);
        }
        loop {
            self.drain(emit);
            if self.offset >= target {
                return;
            }
            let hole_end = self.buf.first_start().map_or(target, |k| k.min(target));
            self.gap_to(hole_end, emit);
        }
    }

    /// Nothing more will come: hand out everything buffered, holes as gaps,
    /// up to the FIN when one was seen.
    pub(crate) fn flush(&mut self, emit: &mut impl FnMut(Piece<'_>)) {
        loop {
            self.drain(emit);
            match self.buf.first_start() {
                Some(k) if k > self.offset => self.gap_to(k, emit),
                _ => break,
            }
        }
        if let Some(f) = self.fin {
            self.gap_to(f, emit);
        }
        self.discard();
    }
}

fn len64(data: &[u8]) -> u64 {
    u64::try_from(data.len()).unwrap_or(u64::MAX)
}

/// `data` without its first `skip` bytes (empty when it has no more).
fn tail(data: &[u8], skip: u64) -> &[u8] {
    usize::try_from(skip)
        .ok()
        .and_then(|s| data.get(s..))
        .unwrap_or(&[])
}

/// `data[from..to]`, empty when out of range.
fn slice(data: &[u8], from: u64, to: u64) -> &[u8] {
    match (usize::try_from(from), usize::try_from(to)) {
        (Ok(f), Ok(t)) => data.get(f..t).unwrap_or(&[]),
        _ => &[],
    }
}
