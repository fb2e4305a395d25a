//! Property tests: reassembly against a model of the sender's streams, and
//! arbitrary segments against the tracker's invariants.

use std::collections::HashMap;
use std::net::SocketAddr;

use proptest::prelude::*;

use super::assembler::MAX_CHUNKS;
use super::tests::Ev;
use super::*;

/// splitmix64: the scenario generator's randomness, driven by one seed so a
/// failing case replays exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every segment captured: the output must be the streams exactly.
    Lossless,
    /// Segments missing, ACKs only for bytes the capture holds: gaps must be
    /// exactly the bytes never captured.
    Lossy,
    /// Segments missing, ACKs for everything the peer got: gaps must be
    /// exactly the bytes never captured or acknowledged before captured.
    LossyAcked,
    /// Like `LossyAcked` with a tiny reorder buffer, which may give up
    /// captured bytes too.
    Tight,
}

/// One packet of a scenario: `[start, end)` of direction `dir`'s stream.
#[derive(Clone, Debug)]
struct Pkt {
    dir: usize,
    start: usize,
    end: usize,
    fin: bool,
    removed: bool,
}

fn sender_packets(rng: &mut Rng, dir: usize, len: usize, mode: Mode) -> Vec<Pkt> {
    let max_seg = 1 + rng.below(120);
    let lossy = mode != Mode::Lossless;
    let loss = if lossy { rng.below(30) } else { 0 };
    let mut list = Vec::new();
    let mut pos = 0;
    let pkt = |start, end, fin, removed| Pkt {
        dir,
        start,
        end,
        fin,
        removed,
    };
    while pos < len {
        if rng.chance(8) {
            list.push(pkt(pos, pos, false, false));
        }
        let size = (1 + rng.below(max_seg)).min(len - pos);
        list.push(pkt(pos, pos + size, false, rng.chance(loss)));
        pos += size;
        if rng.chance(8) {
            let last = list.last().cloned();
            list.extend(last.map(|p| Pkt {
                removed: false,
                ..p
            }));
        }
        if rng.chance(12) {
            // A retransmission cut differently from the original.
            let start = rng.below(pos + 1);
            let end = (start + rng.below(2 * max_seg + 1)).min(pos);
            list.push(pkt(start, end, false, rng.chance(loss)));
        }
    }
    list.push(pkt(len, len, true, false));
    if rng.chance(20) {
        list.push(pkt(len, len, true, false));
    }
    list
}

/// Interleaves both senders, then lets each packet drift a bounded distance.
fn scenario(rng: &mut Rng, lens: [usize; 2], mode: Mode) -> Vec<Pkt> {
    let a = sender_packets(rng, 0, lens[0], mode);
    let b = sender_packets(rng, 1, lens[1], mode);
    let (mut ia, mut ib) = (a.into_iter().peekable(), b.into_iter().peekable());
    let mut all = Vec::new();
    loop {
        let take_a = match (ia.peek(), ib.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(_), Some(_)) => rng.chance(50),
        };
        all.extend(if take_a { ia.next() } else { ib.next() });
    }
    let spread = rng.below(10);
    let mut keyed: Vec<(usize, Pkt)> = all
        .into_iter()
        .enumerate()
        .map(|(i, p)| (i + rng.below(spread + 1), p))
        .collect();
    keyed.sort_by_key(|(k, _)| *k);
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// Which bytes of one stream a set of packets covered, and the length of
/// the covered prefix.
struct Coverage {
    mask: Vec<bool>,
    prefix: usize,
    fin: bool,
}

impl Coverage {
    fn new(len: usize) -> Self {
        Coverage {
            mask: vec![false; len],
            prefix: 0,
            fin: false,
        }
    }

    fn add(&mut self, p: &Pkt) {
        for b in &mut self.mask[p.start..p.end] {
            *b = true;
        }
        while self.prefix < self.mask.len() && self.mask[self.prefix] {
            self.prefix += 1;
        }
        self.fin |= p.fin;
    }

    /// What a receiver that got these bytes acknowledges, relative to the
    /// first data byte.
    fn ack(&self) -> u32 {
        let done = self.fin && self.prefix == self.mask.len();
        self.prefix as u32 + u32::from(done)
    }
}

fn ends() -> [SocketAddr; 2] {
    [
        SocketAddr::from(([192, 168, 1, 10], 51000)),
        SocketAddr::from(([192, 168, 1, 20], 8080)),
    ]
}

struct Run {
    events: Vec<Ev>,
    captured: [Vec<bool>; 2],
    /// Bytes a captured ACK covered before any captured packet held them.
    acked_first: [Vec<bool>; 2],
    live_before_finish: usize,
}

fn run(streams: &[Vec<u8>; 2], isn: [u32; 2], handshake: bool, mode: Mode, seed: u64) -> Run {
    let mut rng = Rng(seed);
    let lens = [streams[0].len(), streams[1].len()];
    let pkts = scenario(&mut rng, lens, mode);
    let limits = match mode {
        Mode::Tight => Limits {
            max_flows: 4,
            max_buffered_per_dir: 1 + rng.below(300),
        },
        _ => Limits::default(),
    };
    let addrs = ends();
    // Sequence number of stream offset 0.
    let base = if handshake {
        [isn[0].wrapping_add(1), isn[1].wrapping_add(1)]
    } else {
        isn
    };
    let mut t = Tracker::new(limits);
    let mut events = Vec::new();
    let mut captured = [Coverage::new(lens[0]), Coverage::new(lens[1])];
    let mut sent = [Coverage::new(lens[0]), Coverage::new(lens[1])];
    let mut acked_first = [vec![false; lens[0]], vec![false; lens[1]]];
    // Bytes below this were covered by an earlier captured ACK.
    let mut ack_mark = [0usize; 2];

    let mut push = |t: &mut Tracker, s: Segment<'_>| t.push(&s, &mut |e| events.push(e.into()));
    let plain = |dir: usize, seq: u32, payload| Segment {
        src: addrs[dir],
        dst: addrs[1 - dir],
        seq,
        ack: None,
        syn: false,
        fin: false,
        rst: false,
        payload,
        wire_len: 0,
    };
    if handshake {
        push(
            &mut t,
            Segment {
                syn: true,
                ..plain(0, isn[0], b"")
            },
        );
        push(
            &mut t,
            Segment {
                syn: true,
                ack: Some(base[0]),
                ..plain(1, isn[1], b"")
            },
        );
        push(
            &mut t,
            Segment {
                ack: Some(base[1]),
                ..plain(0, base[0], b"")
            },
        );
    } else {
        // A pure ACK from each side pins where its stream starts.
        push(&mut t, plain(0, base[0], b""));
        push(
            &mut t,
            Segment {
                ack: Some(base[0]),
                ..plain(1, base[1], b"")
            },
        );
    }

    let acks_sent = matches!(mode, Mode::LossyAcked | Mode::Tight);
    for p in &pkts {
        let d = p.dir;
        sent[d].add(p);
        if p.removed {
            continue;
        }
        let peer = if acks_sent {
            &sent[1 - d]
        } else {
            &captured[1 - d]
        };
        let ack = rng.chance(80).then(|| base[1 - d].wrapping_add(peer.ack()));
        if ack.is_some() {
            let p = 1 - d;
            let (from, to) = (ack_mark[p], peer.prefix.max(ack_mark[p]));
            for (first, &held) in acked_first[p][from..to]
                .iter_mut()
                .zip(&captured[p].mask[from..to])
            {
                *first = !held;
            }
            ack_mark[p] = ack_mark[p].max(peer.prefix);
        }
        let payload = &streams[d][p.start..p.end];
        push(
            &mut t,
            Segment {
                ack,
                fin: p.fin,
                wire_len: payload.len() as u32,
                ..plain(d, base[d].wrapping_add(p.start as u32), payload)
            },
        );
        captured[d].add(p);
    }
    let live_before_finish = t.live_flows();
    t.finish(&mut |e| events.push(e.into()));
    let [c0, c1] = captured;
    Run {
        events,
        captured: [c0.mask, c1.mask],
        acked_first,
        live_before_finish,
    }
}

/// One direction as the tracker reported it.
#[derive(Default)]
struct Delivered {
    data: Vec<(usize, u8)>,
    gaps: Vec<bool>,
    total: usize,
}

fn delivered(events: &[Ev], dir: Dir) -> Delivered {
    let mut d = Delivered::default();
    for e in events {
        match e {
            Ev::Data { dir: x, bytes, .. } if *x == dir => {
                for &b in bytes {
                    d.data.push((d.total, b));
                    d.gaps.push(false);
                    d.total += 1;
                }
            }
            Ev::Gap { dir: x, len, .. } if *x == dir => {
                for _ in 0..*len {
                    d.gaps.push(true);
                    d.total += 1;
                }
            }
            _ => {}
        }
    }
    d
}

fn check_model(
    streams: &[Vec<u8>; 2],
    isn: [u32; 2],
    handshake: bool,
    mode: Mode,
    seed: u64,
) -> Result<(), TestCaseError> {
    let r = run(streams, isn, handshake, mode, seed);
    let addrs = ends();
    prop_assert_eq!(
        r.events.first(),
        Some(&Ev::Opened {
            flow: 0,
            a: addrs[0],
            b: addrs[1],
            syn_seen: handshake
        })
    );
    let closes: Vec<&Ev> = r
        .events
        .iter()
        .filter(|e| matches!(e, Ev::Closed { .. }))
        .collect();
    prop_assert_eq!(closes.len(), 1);
    let closed_last = matches!(r.events.last(), Some(Ev::Closed { flow: 0, .. }));
    prop_assert!(closed_last, "Closed is not the last event");
    for e in &r.events {
        match e {
            Ev::Opened { flow, .. }
            | Ev::Data { flow, .. }
            | Ev::Gap { flow, .. }
            | Ev::Closed { flow, .. } => prop_assert_eq!(*flow, 0),
        }
    }

    for (i, dir) in [Dir::AtoB, Dir::BtoA].into_iter().enumerate() {
        let stream = &streams[i];
        let d = delivered(&r.events, dir);
        prop_assert_eq!(d.total, stream.len(), "{:?} length", dir);
        for &(at, b) in &d.data {
            prop_assert_eq!(b, stream[at], "{:?} byte at {}", dir, at);
            prop_assert!(r.captured[i][at], "{:?} byte at {} never captured", dir, at);
        }
        let lost: Vec<bool> = r.captured[i]
            .iter()
            .zip(&r.acked_first[i])
            .map(|(&captured, &acked)| !captured || acked)
            .collect();
        match mode {
            Mode::Lossless => prop_assert!(d.gaps.iter().all(|g| !g)),
            Mode::Lossy | Mode::LossyAcked => prop_assert_eq!(&d.gaps, &lost, "{:?}", dir),
            Mode::Tight => {
                for (at, gone) in lost.iter().enumerate() {
                    prop_assert!(!gone || d.gaps[at], "{:?} byte {} not a gap", dir, at);
                }
            }
        }
    }
    if mode == Mode::Lossless {
        prop_assert_eq!(r.live_before_finish, 0);
        prop_assert_eq!(
            closes[0],
            &Ev::Closed {
                flow: 0,
                how: Close::Fin
            }
        );
    }
    Ok(())
}

fn isn_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![any::<u32>(), (u32::MAX - 3000)..=u32::MAX]
}

fn mode_strategy() -> impl Strategy<Value = Mode> {
    prop_oneof![
        Just(Mode::Lossless),
        Just(Mode::Lossy),
        Just(Mode::LossyAcked),
        Just(Mode::Tight)
    ]
}

proptest! {
    #[test]
    fn matches_the_model(
        a in prop::collection::vec(any::<u8>(), 0..1500),
        b in prop::collection::vec(any::<u8>(), 0..1500),
        isn_a in isn_strategy(),
        isn_b in isn_strategy(),
        handshake in any::<bool>(),
        mode in mode_strategy(),
        seed in any::<u64>(),
    ) {
        check_model(&[a, b], [isn_a, isn_b], handshake, mode, seed)?;
    }
}

/// One step of an arbitrary workload.
#[derive(Clone, Debug)]
enum Op {
    Push {
        src: usize,
        dst: usize,
        seq: u32,
        ack: Option<u32>,
        flags: u8,
        len: usize,
        wire: u32,
    },
    Ignore(FlowId),
}

fn seq_near() -> impl Strategy<Value = u32> {
    const BASES: [u32; 3] = [0, u32::MAX - 300, 1 << 31];
    prop_oneof![
        4 => (0..BASES.len(), 0..600u32).prop_map(|(b, o)| BASES[b].wrapping_add(o)),
        1 => any::<u32>(),
    ]
}

fn op_strategy() -> impl Strategy<Value = Op> {
    let push = (
        0..4usize,
        0..4usize,
        seq_near(),
        prop::option::of(seq_near()),
        any::<u8>(),
        0..64usize,
        prop_oneof![
            6 => Just(None),
            1 => (0..64u32).prop_map(Some),
            1 => any::<u32>().prop_map(Some),
        ],
    )
        .prop_map(|(src, dst, seq, ack, flags, len, wire)| Op::Push {
            src,
            dst,
            seq,
            ack,
            flags,
            len,
            wire: wire.unwrap_or(len as u32),
        });
    prop_oneof![12 => push, 1 => (0..12u64).prop_map(Op::Ignore)]
}

fn check_memory(t: &Tracker, limits: Limits) -> Result<(), TestCaseError> {
    let cap = limits.max_flows.max(1);
    prop_assert!(t.live_flows() <= cap);
    prop_assert!(t.tombs.len() <= cap);
    prop_assert!(t.tomb_order.len() <= cap);
    prop_assert_eq!(t.ids.len(), t.live.len());
    let mut ordered = t.order.keys();
    let mut live: Vec<Key> = t.live.keys().copied().collect();
    ordered.sort_unstable();
    live.sort_unstable();
    prop_assert_eq!(ordered, live);
    // The running count of bytes held is what the flows really hold.
    let held: usize = t.live.values().map(Flow::buffered).sum();
    prop_assert_eq!(t.buffered_bytes(), held);
    for f in t.live.values() {
        for half in &f.dirs {
            prop_assert!(half.buffered() <= limits.max_buffered_per_dir);
            prop_assert!(half.chunks() <= MAX_CHUNKS);
            if f.ignored {
                prop_assert_eq!(half.chunks(), 0);
            }
        }
    }
    Ok(())
}

#[derive(Default)]
struct FlowCheck {
    open: bool,
    ignored: bool,
    /// Each direction's `(first byte seen minus its offset) mod 256`: payload
    /// bytes are the low byte of their sequence number, so this must not vary.
    phase: [Option<u8>; 2],
    offset: [u64; 2],
}

/// Checks the event stream is well formed and every byte sits at its offset.
fn check_events(
    events: &[Ev],
    flows: &mut HashMap<FlowId, FlowCheck>,
    next_id: &mut FlowId,
) -> Result<(), TestCaseError> {
    for e in events {
        match e {
            Ev::Opened { flow, .. } => {
                prop_assert_eq!(*flow, *next_id);
                *next_id += 1;
                flows.insert(
                    *flow,
                    FlowCheck {
                        open: true,
                        ..FlowCheck::default()
                    },
                );
            }
            Ev::Data { flow, dir, bytes } => {
                let f = flows.get_mut(flow);
                prop_assert!(f.as_ref().is_some_and(|f| f.open && !f.ignored));
                prop_assert!(!bytes.is_empty());
                if let Some(f) = f {
                    let i = dir.index();
                    for &b in bytes {
                        let phase = b.wrapping_sub(f.offset[i] as u8);
                        prop_assert_eq!(*f.phase[i].get_or_insert(phase), phase);
                        f.offset[i] += 1;
                    }
                }
            }
            Ev::Gap { flow, dir, len } => {
                let f = flows.get_mut(flow);
                prop_assert!(f.as_ref().is_some_and(|f| f.open && !f.ignored));
                prop_assert!(*len > 0);
                if let Some(f) = f {
                    f.offset[dir.index()] += len;
                }
            }
            Ev::Closed { flow, .. } => {
                let f = flows.get_mut(flow);
                prop_assert!(f.as_ref().is_some_and(|f| f.open));
                if let Some(f) = f {
                    f.open = false;
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_segments_keep_the_invariants(
        ops in prop::collection::vec(op_strategy(), 1..200),
        max_flows in 0..5usize,
        max_buffered in 0..300usize,
    ) {
        let limits = Limits { max_flows, max_buffered_per_dir: max_buffered };
        let addrs: Vec<SocketAddr> =
            (0..4u16).map(|i| SocketAddr::from(([10, 0, 0, 1 + (i % 2) as u8], 1000 + i))).collect();
        let mut t = Tracker::new(limits);
        let mut flows: HashMap<FlowId, FlowCheck> = HashMap::new();
        let mut next_id = 0;
        let mut buf = Vec::new();
        for op in &ops {
            let mut events = Vec::new();
            match *op {
                Op::Push { src, dst, seq, ack, flags, len, wire } => {
                    let syn = flags & 1 != 0;
                    let data_seq = seq.wrapping_add(u32::from(syn));
                    buf.clear();
                    buf.extend((0..len as u32).map(|j| data_seq.wrapping_add(j) as u8));
                    let s = Segment {
                        src: addrs[src],
                        dst: addrs[dst],
                        seq,
                        ack,
                        syn,
                        fin: flags & 2 != 0,
                        rst: flags & 4 != 0 && flags & 8 != 0,
                        payload: &buf,
                        wire_len: wire,
                    };
                    t.push(&s, &mut |e| events.push(Ev::from(e)));
                }
                Op::Ignore(id) => {
                    t.ignore(id);
                    if let Some(f) = flows.get_mut(&id) {
                        f.ignored = true;
                    }
                }
            }
            check_events(&events, &mut flows, &mut next_id)?;
            check_memory(&t, limits)?;
        }
        let mut events = Vec::new();
        t.finish(&mut |e| events.push(Ev::from(e)));
        check_events(&events, &mut flows, &mut next_id)?;
        prop_assert_eq!(t.live_flows(), 0);
        prop_assert!(flows.values().all(|f| !f.open));
    }
}
