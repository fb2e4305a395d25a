//! TCP reassembly: segments in capture order in, per-flow ordered byte
//! streams out.
//!
//! In: [`Segment`]s already parsed from IP/TCP headers, fed one at a time to
//! [`Tracker::push`] in capture order, then `Tracker::finish` at the end of
//! the capture.
//!
//! Out: [`Event`]s through a callback. A flow is [`Event::Opened`] once; then
//! each direction yields [`Event::Data`] strictly in sequence order, every
//! byte once, with [`Event::Gap`] standing for bytes the capture does not hold
//! (so data plus gap lengths always give the stream offset); then
//! [`Event::Closed`], after which the flow id is never used again.
//!
//! Never: panics on any input, reads clocks or anything beyond its input (the
//! output is a function of the segments alone), uses a wire value without
//! checked, saturating or wrapping arithmetic, buffers beyond [`Limits`], or
//! allocates per packet while data arrives in order (such data is handed out
//! borrowed from the segment itself).
//!
//! Choices a reader of the output should know:
//! - Overlapping bytes: the bytes first received win. Data already handed out
//!   cannot be taken back, and applying the same rule to buffered data keeps
//!   the result independent of when a hole happens to fill.
//! - Loss: a hole is declared as soon as the peer acknowledges past it, by
//!   less than 2^30 (the peer got those bytes, the capture did not); otherwise
//!   when the buffer limit forces it, or at RST, eviction or end of capture.
//!   The ACK of a FIN is not taken for a lost byte; the ACK of a FIN the
//!   capture missed is (it cannot be told apart).
//! - A segment's `wire_len` is its length in sequence space; captured bytes
//!   beyond it (link padding) are ignored, bytes missing from it are a gap.
//! - Segments claiming 2^30 bytes or more, or starting 2^30 or more ahead of
//!   the next expected byte, are implausible and dropped.
//! - A closed flow leaves a small tombstone so stray retransmissions and the
//!   final ACK do not open a new flow; only a SYN with a new ISN does.
//! - A bare SYN with a new ISN on a live flow starts a new connection; so does
//!   a SYN-ACK with a new ISN once either side has sent a FIN. Any other SYN
//!   that contradicts the known ISN is dropped.
//! - Ignored flows are closed with `Fin` once both sides sent a FIN, whatever
//!   data was missing, as their data is no longer tracked.

mod assembler;
mod order;
mod seq;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

// Looked up for every packet: a fast hasher, still seeded per run against crafted captures.
use foldhash::{HashMap, HashMapExt};
use std::net::SocketAddr;

/// Direction within a flow; `AtoB` runs from `a` to `b` of [`Event::Opened`].
pub(crate) use crate::vocab::Dir;
use assembler::{Piece, Stream, WINDOW};
use order::{Order, Place};
use seq::SeqNumber;

/// What reassembly takes in: the segments the link stage reads off packets.
pub use crate::link::Segment;

/// Flows are numbered from 0 in order of first appearance.
pub(crate) type FlowId = u64;

/// How a flow ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    Fin,
    Rst,
    /// End of capture, or the endpoints reused for a new connection.
    Eof,
    /// No longer followed, to stay within a bound: more live flows than [`Limits::max_flows`]
    /// (the least recently active goes), or `Tracker::evict` asked for it.
    Evicted,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// First packet of a new flow. `a` is the initiator when the handshake was
    /// seen (the sender of a SYN, or the receiver of a SYN-ACK), otherwise the
    /// sender of the first packet seen.
    Opened {
        flow: FlowId,
        a: SocketAddr,
        b: SocketAddr,
        syn_seen: bool,
    },
    /// Payload bytes of one direction, strictly in sequence order, each byte
    /// delivered once.
    Data {
        flow: FlowId,
        dir: Dir,
        bytes: &'a [u8],
    },
    /// `len` bytes of this direction are missing from the capture and never
    /// will be delivered (lost before capture, cut by the snapshot length, or
    /// the capture ended with a hole).
    Gap { flow: FlowId, dir: Dir, len: u64 },
    /// The flow ended; no more events for this flow id.
    Closed { flow: FlowId, how: Close },
}

/// Bounds on what a [`Tracker`] holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Live flows; a new flow beyond this evicts the least recently active.
    pub max_flows: usize,
    /// Out-of-order bytes buffered per direction of a flow.
    max_buffered_per_dir: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_flows: 65_536,
            max_buffered_per_dir: 4 << 20,
        }
    }
}

/// The unordered pair of endpoints, smaller first.
type Key = (SocketAddr, SocketAddr);

fn key_of(x: SocketAddr, y: SocketAddr) -> Key {
    if x <= y { (x, y) } else { (y, x) }
}

struct Flow {
    id: FlowId,
    a: SocketAddr,
    /// Where the flow stands in the tracker's order of activity.
    place: Place,
    ignored: bool,
    dirs: [Stream; 2],
}

impl Flow {
    /// Out-of-order bytes held for both directions.
    fn buffered(&self) -> usize {
        self.dirs[0].buffered() + self.dirs[1].buffered()
    }

    fn dir_of(&self, src: SocketAddr) -> Dir {
        if src == self.a { Dir::AtoB } else { Dir::BtoA }
    }

    /// A SYN that contradicts this flow and should start a new one instead.
    fn restarted_by(&self, dir: Dir, seg: &Segment<'_>) -> bool {
        let half = &self.dirs[dir.index()];
        half.started()
            && syn_conflicts(half, SeqNumber(seg.seq))
            && (seg.ack.is_none() || self.dirs.iter().any(Stream::fin_seen))
    }

    /// Applies one segment; returns how the flow closed, if it did.
    fn take(
        &mut self,
        dir: Dir,
        seg: &Segment<'_>,
        max_bytes: usize,
        len: u32,
        out: &mut impl FnMut(Event<'_>),
    ) -> Option<Close> {
        let id = self.id;
        let seq = SeqNumber(seg.seq);
        let (mine, peer) = (dir.index(), dir.reverse().index());

        if seg.syn && self.dirs[mine].started() {
            let half = &mut self.dirs[mine];
            if half.isn().is_none() && half.init() == seq + 1 {
                half.late_syn(seq);
            } else if syn_conflicts(half, seq) {
                return None;
            }
        }

        if !self.ignored
            && let Some(ack) = seg.ack
        {
            let back = dir.reverse();
            self.dirs[peer].ack(SeqNumber(ack), &mut |p| out(event(id, back, p)));
        }

        let half = &mut self.dirs[mine];
        if !half.started() {
            half.start(seq, seg.syn);
        }
        if self.ignored {
            if seg.fin {
                half.mark_fin();
            }
        } else {
            let data_seq = if seg.syn { seq + 1 } else { seq };
            let rel = half.rel(data_seq);
            let captured = seg.payload.get(..len as usize).unwrap_or(seg.payload);
            if seg.fin {
                half.set_fin(rel.saturating_add(i64::from(len)));
            }
            half.segment(rel, captured, u64::from(len), max_bytes, &mut |p| {
                out(event(id, dir, p))
            });
        }

        if seg.rst {
            self.flush(out);
            return Some(Close::Rst);
        }
        if self.dirs.iter().all(Stream::done) {
            return Some(Close::Fin);
        }
        None
    }

    /// Hands out everything still buffered, both directions in order.
    fn flush(&mut self, out: &mut impl FnMut(Event<'_>)) {
        if self.ignored {
            return;
        }
        let id = self.id;
        for dir in [Dir::AtoB, Dir::BtoA] {
            self.dirs[dir.index()].flush(&mut |p| out(event(id, dir, p)));
        }
    }
}

/// A SYN whose ISN differs from what this direction is known to have used.
fn syn_conflicts(half: &Stream, seq: SeqNumber) -> bool {
    match half.isn() {
        Some(isn) => isn != seq,
        // Started from data: only the SYN just before that data fits.
        None => half.init() != seq + 1,
    }
}

fn event(flow: FlowId, dir: Dir, piece: Piece<'_>) -> Event<'_> {
    match piece {
        Piece::Data(bytes) => Event::Data { flow, dir, bytes },
        Piece::Gap(len) => Event::Gap { flow, dir, len },
    }
}

/// What remains of a closed flow: enough to drop its stragglers and to tell
/// a retransmitted SYN from a new connection.
struct Tomb {
    stamp: u64,
    a: SocketAddr,
    isn: [Option<SeqNumber>; 2],
}

/// Follows every TCP flow of a capture; see the module documentation.
pub struct Tracker {
    limits: Limits,
    live: HashMap<Key, Flow>,
    /// Live flows from least to most recently active: the next to evict comes first.
    order: Order<Key>,
    ids: HashMap<FlowId, Key>,
    tombs: HashMap<Key, Tomb>,
    /// Tombstones oldest first, as (key, stamp); entries whose stamp no longer
    /// matches were replaced and are skipped.
    tomb_order: VecDeque<(Key, u64)>,
    next_id: FlowId,
    tick: u64,
    /// Out-of-order bytes held across all live flows.
    buffered: usize,
}

impl Tracker {
    pub fn new(limits: Limits) -> Self {
        Tracker {
            limits,
            live: HashMap::new(),
            order: Order::new(),
            ids: HashMap::new(),
            tombs: HashMap::new(),
            tomb_order: VecDeque::new(),
            next_id: 0,
            tick: 0,
            buffered: 0,
        }
    }

    /// Feed one segment in capture order; events are passed to `out` in order.
    pub fn push(&mut self, seg: &Segment<'_>, out: &mut impl FnMut(Event<'_>)) {
        if i64::from(seg.wire_len) >= WINDOW {
            return;
        }
        self.tick = self.tick.wrapping_add(1);
        let key = key_of(seg.src, seg.dst);
        if let Some(flow) = self.live.get(&key) {
            let dir = flow.dir_of(seg.src);
            if seg.syn && flow.restarted_by(dir, seg) {
                self.end(key, Close::Eof, out);
                self.open(key, seg, out);
            } else {
                self.apply(key, dir, seg, out);
            }
        } else if let Some(tomb) = self.tombs.get(&key) {
            let side = usize::from(seg.src != tomb.a);
            let retransmit = tomb.isn.get(side).copied().flatten() == Some(SeqNumber(seg.seq));
            if seg.syn && !retransmit {
                self.tombs.remove(&key);
                self.open(key, seg, out);
            }
        } else if !seg.rst {
            // A lone RST would only open a flow to close it again.
            self.open(key, seg, out);
        }
    }

    /// Stop delivering Data/Gap for this flow and free its buffers; keep a
    /// small entry so later segments of the flow are dropped cheaply; Closed
    /// is still delivered when it ends.
    pub(crate) fn ignore(&mut self, flow: FlowId) {
        let Some(key) = self.ids.get(&flow) else {
            return;
        };
        if let Some(f) = self.live.get_mut(key) {
            f.ignored = true;
            self.buffered -= f.buffered();
            for half in &mut f.dirs {
                half.discard();
            }
        }
    }

    /// End of capture: for every live flow in FlowId order, deliver what is
    /// buffered (with Gap for holes), then Closed { how: Eof }.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Event<'_>)) {
        let mut ids: Vec<(FlowId, Key)> = self.ids.iter().map(|(&id, &k)| (id, k)).collect();
        ids.sort_unstable_by_key(|&(id, _)| id);
        for (_, key) in ids {
            self.end(key, Close::Eof, out);
        }
        self.order.clear();
        self.tombs.clear();
        self.tomb_order.clear();
    }

    #[cfg(test)]
    fn live_flows(&self) -> usize {
        self.live.len()
    }

    /// Out-of-order bytes held across all flows.
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.buffered
    }

    /// Out-of-order bytes held for one flow.
    pub(crate) fn flow_buffered(&self, flow: FlowId) -> usize {
        self.ids
            .get(&flow)
            .and_then(|key| self.live.get(key))
            .map_or(0, Flow::buffered)
    }

    /// Stops following a live flow, to stay within a bound: what it holds is handed out
    /// (with gaps for holes), then `Closed { how: Evicted }`. What it sends later is dropped,
    /// as after a close, rather than taken for a new connection.
    pub(crate) fn evict(&mut self, flow: FlowId, out: &mut impl FnMut(Event<'_>)) {
        let Some(key) = self.ids.get(&flow).copied() else {
            return;
        };
        let tomb = self.live.get(&key).map(|f| Tomb {
            stamp: 0,
            a: f.a,
            isn: [f.dirs[0].isn(), f.dirs[1].isn()],
        });
        self.end(key, Close::Evicted, out);
        if let Some(tomb) = tomb {
            self.lay(key, tomb);
        }
    }

    fn open(&mut self, key: Key, seg: &Segment<'_>, out: &mut impl FnMut(Event<'_>)) {
        let cap = self.limits.max_flows.max(1);
        while self.live.len() >= cap {
            let Some(oldest) = self.order.oldest() else {
                break;
            };
            let before = self.live.len();
            self.end(oldest, Close::Evicted, out);
            if self.live.len() == before {
                break;
            }
        }

        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        // The receiver of a SYN-ACK is the one who asked for the connection.
        let (a, b) = if seg.syn && seg.ack.is_some() {
            (seg.dst, seg.src)
        } else {
            (seg.src, seg.dst)
        };
        out(Event::Opened {
            flow: id,
            a,
            b,
            syn_seen: seg.syn,
        });
        let flow = Flow {
            id,
            a,
            place: self.order.push(key),
            ignored: false,
            dirs: [Stream::default(), Stream::default()],
        };
        let dir = flow.dir_of(seg.src);
        self.live.insert(key, flow);
        self.ids.insert(id, key);
        self.apply(key, dir, seg, out);
    }

    fn apply(&mut self, key: Key, dir: Dir, seg: &Segment<'_>, out: &mut impl FnMut(Event<'_>)) {
        let max_bytes = self.limits.max_buffered_per_dir;
        let Some(flow) = self.live.get_mut(&key) else {
            return;
        };
        self.order.touch(flow.place);
        let before = flow.buffered();
        let ended = flow.take(dir, seg, max_bytes, seg.wire_len, out);
        self.buffered = self.buffered - before + flow.buffered();
        if let Some(how) = ended {
            self.retire(key, how, out);
        }
    }

    /// A flow that closed on its own: keep a tombstone for its stragglers.
    fn retire(&mut self, key: Key, how: Close, out: &mut impl FnMut(Event<'_>)) {
        let Some(flow) = self.live.remove(&key) else {
            return;
        };
        self.buffered -= flow.buffered();
        self.order.remove(flow.place);
        self.ids.remove(&flow.id);
        let tomb = Tomb {
            stamp: 0,
            a: flow.a,
            isn: [flow.dirs[0].isn(), flow.dirs[1].isn()],
        };
        self.lay(key, tomb);
        out(Event::Closed { flow: flow.id, how });
    }

    /// Leaves a tombstone for a flow that is gone, so that its stragglers do not open a new
    /// one; its stamp is set here.
    fn lay(&mut self, key: Key, mut tomb: Tomb) {
        let cap = self.limits.max_flows.max(1);
        while self.tomb_order.len() >= cap {
            let Some((old, stamp)) = self.tomb_order.pop_front() else {
                break;
            };
            if self.tombs.get(&old).is_some_and(|t| t.stamp == stamp) {
                self.tombs.remove(&old);
            }
        }
        tomb.stamp = self.tick;
        self.tomb_order.push_back((key, tomb.stamp));
        self.tombs.insert(key, tomb);
    }

    /// A flow cut short (end of capture, eviction, endpoints reused).
    fn end(&mut self, key: Key, how: Close, out: &mut impl FnMut(Event<'_>)) {
        let Some(mut flow) = self.live.remove(&key) else {
            return;
        };
        self.buffered -= flow.buffered();
        self.order.remove(flow.place);
        self.ids.remove(&flow.id);
        flow.flush(out);
        out(Event::Closed { flow: flow.id, how });
    }
}
