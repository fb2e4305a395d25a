use std::fmt::Write as _;
use std::net::SocketAddr;

use super::assembler::MAX_CHUNKS;
use super::*;

/// An owned copy of an event, so tests can keep them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Ev {
    Opened {
        flow: FlowId,
        a: SocketAddr,
        b: SocketAddr,
        syn_seen: bool,
    },
    Data {
        flow: FlowId,
        dir: Dir,
        bytes: Vec<u8>,
    },
    Gap {
        flow: FlowId,
        dir: Dir,
        len: u64,
    },
    Closed {
        flow: FlowId,
        how: Close,
    },
}

impl From<Event<'_>> for Ev {
    fn from(e: Event<'_>) -> Ev {
        match e {
            Event::Opened {
                flow,
                a,
                b,
                syn_seen,
            } => Ev::Opened {
                flow,
                a,
                b,
                syn_seen,
            },
            Event::Data { flow, dir, bytes } => Ev::Data {
                flow,
                dir,
                bytes: bytes.to_vec(),
            },
            Event::Gap { flow, dir, len } => Ev::Gap { flow, dir, len },
            Event::Closed { flow, how } => Ev::Closed { flow, how },
        }
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)))
}

fn client() -> SocketAddr {
    addr("10.0.0.1:40000")
}

fn server() -> SocketAddr {
    addr("10.0.0.2:80")
}

/// A plain data segment; flags and ACK are set with struct update syntax.
fn seg(src: SocketAddr, dst: SocketAddr, seq: u32, payload: &[u8]) -> Segment<'_> {
    Segment {
        src,
        dst,
        seq,
        ack: None,
        syn: false,
        fin: false,
        rst: false,
        payload,
        wire_len: payload.len() as u32,
    }
}

fn c2s(seq: u32, payload: &[u8]) -> Segment<'_> {
    seg(client(), server(), seq, payload)
}

fn s2c(seq: u32, payload: &[u8]) -> Segment<'_> {
    seg(server(), client(), seq, payload)
}

struct Harness {
    t: Tracker,
    ev: Vec<Ev>,
}

impl Harness {
    fn new() -> Self {
        Self::with(Limits::default())
    }

    fn with(limits: Limits) -> Self {
        Harness {
            t: Tracker::new(limits),
            ev: Vec::new(),
        }
    }

    fn push(&mut self, s: Segment<'_>) {
        let ev = &mut self.ev;
        self.t.push(&s, &mut |e| ev.push(e.into()));
    }

    fn finish(&mut self) {
        let ev = &mut self.ev;
        self.t.finish(&mut |e| ev.push(e.into()));
    }

    /// Client SYN, server SYN-ACK, client ACK.
    fn handshake(&mut self, isn_c: u32, isn_s: u32) {
        self.push(Segment {
            syn: true,
            ..c2s(isn_c, b"")
        });
        self.push(Segment {
            syn: true,
            ack: Some(isn_c.wrapping_add(1)),
            ..s2c(isn_s, b"")
        });
        self.push(Segment {
            ack: Some(isn_s.wrapping_add(1)),
            ..c2s(isn_c.wrapping_add(1), b"")
        });
    }

    /// One direction as text: data as is, gaps as `<n>`.
    fn text(&self, flow: FlowId, dir: Dir) -> String {
        let mut s = String::new();
        for e in &self.ev {
            match e {
                Ev::Data {
                    flow: f,
                    dir: d,
                    bytes,
                } if *f == flow && *d == dir => {
                    s.push_str(&String::from_utf8_lossy(bytes));
                }
                Ev::Gap {
                    flow: f,
                    dir: d,
                    len,
                } if *f == flow && *d == dir => {
                    let _ = write!(s, "<{len}>");
                }
                _ => {}
            }
        }
        s
    }

    fn gaps(&self) -> Vec<u64> {
        self.ev
            .iter()
            .filter_map(|e| match e {
                Ev::Gap { len, .. } => Some(*len),
                _ => None,
            })
            .collect()
    }

    fn closes(&self) -> Vec<(FlowId, Close)> {
        self.ev
            .iter()
            .filter_map(|e| match e {
                Ev::Closed { flow, how } => Some((*flow, *how)),
                _ => None,
            })
            .collect()
    }

    fn opens(&self) -> Vec<(FlowId, SocketAddr, bool)> {
        self.ev
            .iter()
            .filter_map(|e| match e {
                Ev::Opened {
                    flow, a, syn_seen, ..
                } => Some((*flow, *a, *syn_seen)),
                _ => None,
            })
            .collect()
    }
}

#[test]
fn in_order_both_directions() {
    let mut h = Harness::new();
    h.handshake(1000, 5000);
    h.push(c2s(1001, b"GET / "));
    h.push(Segment {
        ack: Some(1007),
        ..s2c(5001, b"HTTP")
    });
    h.push(Segment {
        ack: Some(5005),
        ..c2s(1007, b"HTTP/1.1")
    });
    h.push(Segment {
        ack: Some(1015),
        ..s2c(5005, b"/1.1")
    });
    assert_eq!(h.opens(), vec![(0, client(), true)]);
    assert_eq!(
        h.ev[0],
        Ev::Opened {
            flow: 0,
            a: client(),
            b: server(),
            syn_seen: true
        }
    );
    assert_eq!(h.text(0, Dir::AtoB), "GET / HTTP/1.1");
    assert_eq!(h.text(0, Dir::BtoA), "HTTP/1.1");
    assert!(h.gaps().is_empty());
    assert_eq!(h.t.live_flows(), 1);
}

#[test]
fn in_order_data_is_borrowed_from_the_packet() {
    let mut t = Tracker::new(Limits::default());
    let payload = b"zero copy".to_vec();
    let s = c2s(7, &payload);
    let mut seen = None;
    t.push(&s, &mut |e| {
        if let Event::Data { bytes, .. } = e {
            seen = Some((bytes.as_ptr(), bytes.len()));
        }
    });
    assert_eq!(seen, Some((payload.as_ptr(), payload.len())));
}

#[test]
fn out_of_order_waits_for_the_hole() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(105, b"efg"));
    h.push(c2s(108, b"hij"));
    assert_eq!(h.text(0, Dir::AtoB), "");
    h.push(c2s(101, b"abcd"));
    h.push(c2s(111, b"klm"));
    assert_eq!(h.text(0, Dir::AtoB), "abcdefghijklm");
    assert!(h.gaps().is_empty());
}

#[test]
fn retransmission_and_duplicates_are_dropped() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"abc"));
    h.push(c2s(101, b"abc"));
    h.push(c2s(107, b"ghi"));
    h.push(c2s(107, b"ghi"));
    h.push(c2s(104, b"def"));
    h.push(c2s(104, b"def"));
    h.push(c2s(101, b"abcdefghi"));
    assert_eq!(h.text(0, Dir::AtoB), "abcdefghi");
}

#[test]
fn partly_old_segment_delivers_only_its_new_part() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"abcd"));
    h.push(c2s(103, b"cdef"));
    assert_eq!(h.text(0, Dir::AtoB), "abcdef");
    let last = h.ev.last().cloned();
    assert_eq!(
        last,
        Some(Ev::Data {
            flow: 0,
            dir: Dir::AtoB,
            bytes: b"ef".to_vec()
        })
    );
}

#[test]
fn overlapping_buffered_bytes_first_received_win() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    // Out-of-order segments disagree on offsets 6..8 (EFGH held first), a
    // third spans them and the holes around them, and the in-order one
    // overlaps the held bytes at 2..5: at every offset the oldest bytes win.
    h.push(c2s(105, b"EFGH"));
    h.push(c2s(107, b"xxIJ"));
    h.push(c2s(103, b"yyyyyyyyyyyK"));
    h.push(c2s(101, b"abcZZ"));
    assert_eq!(h.text(0, Dir::AtoB), "abyyEFGHIJyyyK");
}

#[test]
fn wraps_around_the_sequence_space() {
    let mut h = Harness::new();
    let isn = u32::MAX - 10;
    h.handshake(isn, u32::MAX);
    let first = isn.wrapping_add(1);
    h.push(c2s(first.wrapping_add(20), b"uvwxyz"));
    h.push(c2s(first.wrapping_add(8), b"ijklmnopqrst"));
    h.push(c2s(first, b"abcdefgh"));
    h.push(Segment {
        ack: Some(first.wrapping_add(26)),
        ..s2c(0, b"ok")
    });
    assert_eq!(h.text(0, Dir::AtoB), "abcdefghijklmnopqrstuvwxyz");
    assert_eq!(h.text(0, Dir::BtoA), "ok");
    assert!(h.gaps().is_empty());
}

#[test]
fn mid_connection_start() {
    let mut h = Harness::new();
    h.push(Segment {
        ack: Some(7000),
        ..s2c(3000, b"hello")
    });
    h.push(s2c(2990, b"0123456789"));
    h.push(s2c(3005, b" there"));
    h.push(Segment {
        ack: Some(3011),
        ..c2s(7000, b"hi")
    });
    assert_eq!(h.opens(), vec![(0, server(), false)]);
    assert_eq!(h.text(0, Dir::AtoB), "hello there");
    assert_eq!(h.text(0, Dir::BtoA), "hi");
    assert!(h.gaps().is_empty());
}

#[test]
fn syn_ack_first_names_its_receiver_the_initiator() {
    let mut h = Harness::new();
    h.push(Segment {
        syn: true,
        ack: Some(101),
        ..s2c(900, b"")
    });
    h.push(Segment {
        ack: Some(901),
        ..c2s(101, b"req")
    });
    assert_eq!(h.opens(), vec![(0, client(), true)]);
    assert_eq!(h.text(0, Dir::AtoB), "req");
}

#[test]
fn loss_detected_by_ack_with_exact_gap() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"abc"));
    // 104..110 lost before capture; 110..113 buffered.
    h.push(c2s(110, b"jkl"));
    // The ACK covers part of the hole only: no bytes beyond it are claimed.
    h.push(Segment {
        ack: Some(107),
        ..s2c(901, b"")
    });
    assert_eq!(h.text(0, Dir::AtoB), "abc<3>");
    h.push(Segment {
        ack: Some(116),
        ..s2c(901, b"")
    });
    // 113..116 acknowledged but missing too.
    assert_eq!(h.text(0, Dir::AtoB), "abc<3><3>jkl<3>");
    assert_eq!(h.gaps(), vec![3, 3, 3]);
    h.push(c2s(104, b"defghi"));
    assert_eq!(h.text(0, Dir::AtoB), "abc<3><3>jkl<3>");
}

#[test]
fn syn_and_fin_do_not_look_like_lost_bytes() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(Segment {
        ack: Some(901),
        ..c2s(101, b"ping")
    });
    h.push(Segment {
        ack: Some(105),
        ..s2c(901, b"pong")
    });
    h.push(Segment {
        ack: Some(905),
        fin: true,
        ..c2s(105, b"")
    });
    h.push(Segment {
        ack: Some(106),
        fin: true,
        ..s2c(905, b"")
    });
    h.push(Segment {
        ack: Some(906),
        ..c2s(106, b"")
    });
    assert!(h.gaps().is_empty(), "{:?}", h.ev);
    assert_eq!(h.closes(), vec![(0, Close::Fin)]);
    assert_eq!(h.t.live_flows(), 0);
    // The last ACK and later stragglers open nothing.
    h.push(Segment {
        ack: Some(906),
        fin: true,
        ..c2s(105, b"")
    });
    assert_eq!(h.opens().len(), 1);
}

#[test]
fn loss_detected_at_finish() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"ab"));
    h.push(c2s(106, b"fg"));
    h.push(c2s(110, b"j"));
    h.finish();
    assert_eq!(h.text(0, Dir::AtoB), "ab<3>fg<2>j");
    assert_eq!(h.closes(), vec![(0, Close::Eof)]);
    assert_eq!(h.t.live_flows(), 0);
}

#[test]
fn bytes_missing_before_a_fin_become_a_gap_at_finish() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"ab"));
    h.push(Segment {
        fin: true,
        ..c2s(110, b"jk")
    });
    h.finish();
    assert_eq!(h.text(0, Dir::AtoB), "ab<7>jk");
}

#[test]
fn buffer_limit_forces_a_gap() {
    let mut h = Harness::with(Limits {
        max_flows: 8,
        max_buffered_per_dir: 10,
    });
    h.handshake(100, 900);
    h.push(c2s(101, b"a"));
    h.push(c2s(105, b"efgh"));
    h.push(c2s(110, b"jklmn"));
    assert_eq!(h.text(0, Dir::AtoB), "a");
    // 9 bytes held; 3 more would exceed 10: the first hole is given up,
    // which frees enough room.
    h.push(c2s(120, b"tuv"));
    assert_eq!(h.text(0, Dir::AtoB), "a<3>efgh");
    h.push(c2s(115, b"opqrs"));
    assert_eq!(h.text(0, Dir::AtoB), "a<3>efgh<1>jklmnopqrstuv");
    assert!(h.t.buffered_bytes() <= 10);
}

#[test]
fn buffer_limit_gives_up_only_the_hole_before_the_earliest_segment() {
    let mut h = Harness::with(Limits {
        max_flows: 8,
        max_buffered_per_dir: 6,
    });
    h.handshake(100, 900);
    h.push(c2s(101, b"a"));
    h.push(c2s(107, b"ghij"));
    // Does not fit, but lies before what is held: only 1..2 is given up.
    h.push(c2s(103, b"cde"));
    assert_eq!(h.text(0, Dir::AtoB), "a<1>cde");
    h.push(c2s(106, b"f"));
    assert_eq!(h.text(0, Dir::AtoB), "a<1>cdefghij");
}

#[test]
fn oversized_out_of_order_segment_is_delivered_after_a_gap() {
    let mut h = Harness::with(Limits {
        max_flows: 8,
        max_buffered_per_dir: 4,
    });
    h.handshake(100, 900);
    h.push(c2s(103, b"cdefgh"));
    assert_eq!(h.text(0, Dir::AtoB), "<2>cdefgh");
}

#[test]
fn many_tiny_segments_are_bounded_by_count() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    let byte = [b'x'];
    for i in 0..(MAX_CHUNKS as u32 + 50) {
        h.push(c2s(103 + 2 * i, &byte));
        let chunks = h.t.live.values().map(|f| f.dirs[0].chunks()).max();
        assert!(chunks.unwrap_or(0) <= MAX_CHUNKS);
    }
    h.finish();
    let t = h.text(0, Dir::AtoB);
    assert!(t.starts_with("<2>x<1>x<1>x"), "{}", &t[..20]);
}

#[test]
fn snaplen_cut_in_order_and_out_of_order() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(Segment {
        wire_len: 6,
        ..c2s(101, b"abcd")
    });
    h.push(c2s(107, b"gh"));
    assert_eq!(h.text(0, Dir::AtoB), "abcd<2>gh");
    // Out of order: the cut part is kept as a known hole.
    h.push(Segment {
        wire_len: 5,
        ..c2s(114, b"no")
    });
    h.push(c2s(119, b"st"));
    h.push(c2s(109, b"ijklm"));
    assert_eq!(h.text(0, Dir::AtoB), "abcd<2>ghijklmno<3>st");
}

#[test]
fn payload_beyond_wire_len_is_padding() {
    let mut h = Harness::new();
    h.push(Segment {
        wire_len: 2,
        ..c2s(1, b"ab\0\0\0\0")
    });
    h.push(c2s(3, b"cd"));
    assert_eq!(h.text(0, Dir::AtoB), "abcd");
}

#[test]
fn fin_waits_for_missing_data() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(Segment {
        fin: true,
        ..c2s(104, b"def")
    });
    h.push(Segment {
        fin: true,
        ..s2c(901, b"")
    });
    assert!(h.closes().is_empty());
    h.push(c2s(101, b"abc"));
    assert_eq!(h.text(0, Dir::AtoB), "abcdef");
    assert_eq!(h.closes(), vec![(0, Close::Fin)]);
    // Bytes beyond the FIN are not part of the stream.
    let mut g = Harness::new();
    g.push(c2s(10, b"ab"));
    g.push(c2s(14, b"XY"));
    g.push(Segment {
        fin: true,
        ..c2s(12, b"c")
    });
    g.finish();
    assert_eq!(g.text(0, Dir::AtoB), "abc");
}

#[test]
fn rst_flushes_and_closes() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"ab"));
    h.push(c2s(105, b"ef"));
    h.push(Segment {
        rst: true,
        ..s2c(901, b"")
    });
    assert_eq!(h.text(0, Dir::AtoB), "ab<2>ef");
    assert_eq!(h.closes(), vec![(0, Close::Rst)]);
    assert_eq!(h.t.live_flows(), 0);
    h.push(c2s(107, b"gh"));
    h.finish();
    assert_eq!(h.opens().len(), 1);
    assert_eq!(h.closes().len(), 1);
}

#[test]
fn lone_rst_opens_nothing() {
    let mut h = Harness::new();
    h.push(Segment {
        rst: true,
        ..c2s(5, b"")
    });
    h.finish();
    assert!(h.ev.is_empty());
}

#[test]
fn new_syn_reuses_the_endpoints() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(Segment {
        fin: true,
        ..c2s(101, b"one")
    });
    h.push(Segment {
        fin: true,
        ack: Some(105),
        ..s2c(901, b"")
    });
    assert_eq!(h.closes(), vec![(0, Close::Fin)]);
    // A retransmitted SYN of the old connection is a straggler.
    h.push(Segment {
        syn: true,
        ..c2s(100, b"")
    });
    assert_eq!(h.opens().len(), 1);
    h.handshake(7000, 8000);
    h.push(c2s(7001, b"two"));
    assert_eq!(h.opens(), vec![(0, client(), true), (1, client(), true)]);
    assert_eq!(h.text(1, Dir::AtoB), "two");

    // Half-closed, then a new SYN: the old flow ends with Eof.
    h.push(Segment {
        fin: true,
        ..c2s(7004, b"")
    });
    h.handshake(9000, 9500);
    assert_eq!(h.closes(), vec![(0, Close::Fin), (1, Close::Eof)]);
    assert_eq!(h.opens().len(), 3);
    assert_eq!(h.t.live_flows(), 1);

    // A bare SYN with a new ISN on a live flow is a new connection too, but
    // the same SYN again is a retransmission.
    h.push(Segment {
        syn: true,
        ..c2s(9000, b"")
    });
    assert_eq!(h.opens().len(), 3);
    h.push(Segment {
        syn: true,
        ..c2s(12345, b"")
    });
    assert_eq!(h.opens().len(), 4);
    assert_eq!(h.closes().last(), Some(&(2, Close::Eof)));
}

#[test]
fn late_syn_does_not_split_the_flow() {
    let mut h = Harness::new();
    h.push(c2s(101, b"abc"));
    h.push(Segment {
        syn: true,
        ..c2s(100, b"")
    });
    h.push(c2s(104, b"def"));
    assert_eq!(h.opens().len(), 1);
    assert_eq!(h.text(0, Dir::AtoB), "abcdef");
}

#[test]
fn ignore_stops_data_but_not_closing() {
    let mut h = Harness::new();
    h.handshake(100, 900);
    h.push(c2s(101, b"abc"));
    h.push(c2s(110, b"jkl"));
    h.t.ignore(0);
    assert_eq!(h.t.buffered_bytes(), 0);
    h.push(c2s(104, b"defghi"));
    h.push(Segment {
        ack: Some(200),
        ..s2c(901, b"xyz")
    });
    assert_eq!(h.text(0, Dir::AtoB), "abc");
    assert_eq!(h.text(0, Dir::BtoA), "");
    h.push(Segment {
        fin: true,
        ..c2s(113, b"")
    });
    h.push(Segment {
        fin: true,
        ..s2c(904, b"")
    });
    assert_eq!(h.closes(), vec![(0, Close::Fin)]);
    h.t.ignore(0);
    h.t.ignore(42);
    h.finish();
    assert_eq!(h.closes().len(), 1);
}

#[test]
fn least_recently_active_flow_is_evicted() {
    let mut h = Harness::with(Limits {
        max_flows: 2,
        max_buffered_per_dir: 1 << 20,
    });
    let other = addr("10.0.0.3:5000");
    let third = addr("10.0.0.4:6000");
    h.push(c2s(1, b"a"));
    h.push(seg(other, server(), 1, b"b"));
    h.push(c2s(2, b"b"));
    h.push(c2s(5, b"e"));
    // Flow 1 is now the least recently active.
    h.push(seg(third, server(), 1, b"c"));
    assert_eq!(h.closes(), vec![(1, Close::Evicted)]);
    h.push(seg(other, server(), 2, b"c"));
    // Flow 0 goes, flushing what it held.
    assert_eq!(h.closes(), vec![(1, Close::Evicted), (0, Close::Evicted)]);
    assert_eq!(h.text(0, Dir::AtoB), "ab<2>e");
    assert_eq!(h.t.live_flows(), 2);
}

#[test]
fn eviction_follows_activity_in_either_direction_not_arrival() {
    let mut h = Harness::with(Limits {
        max_flows: 3,
        max_buffered_per_dir: 1 << 20,
    });
    let from = |port| SocketAddr::from(([10, 0, 0, 9], port));
    for port in [1, 2, 3] {
        h.push(seg(from(port), server(), 1, b"x"));
    }
    // Flow 0 sends again and flow 1 hears back: flow 2 is now the least recently active.
    h.push(seg(from(1), server(), 2, b"y"));
    h.push(seg(server(), from(2), 1, b"z"));
    h.push(seg(from(4), server(), 1, b"x"));
    h.push(seg(from(5), server(), 1, b"x"));
    h.push(seg(from(6), server(), 1, b"x"));
    assert_eq!(
        h.closes(),
        vec![
            (2, Close::Evicted),
            (0, Close::Evicted),
            (1, Close::Evicted)
        ]
    );
    assert_eq!(h.t.live_flows(), 3);
}

#[test]
fn eviction_matches_a_least_recently_active_model() {
    const CAP: usize = 4;
    let mut h = Harness::with(Limits {
        max_flows: CAP,
        max_buffered_per_dir: 1 << 20,
    });
    let from = |port| SocketAddr::from(([10, 0, 0, 9], port));
    // Ports from most to least recently active, as a naive model keeps them.
    let mut model: Vec<u16> = Vec::new();
    let mut evicted_ports = Vec::new();
    let mut seqs = [1u32; 12];
    let mut x = 0x2545_f491_u32;
    for _ in 0..2000 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let port = (x % 12) as u16;
        if let Some(at) = model.iter().position(|p| *p == port) {
            model.remove(at);
        } else if model.len() == CAP {
            evicted_ports.extend(model.pop());
        }
        model.insert(0, port);
        let s = &mut seqs[usize::from(port)];
        if x & 0x100 == 0 {
            h.push(seg(from(port), server(), *s, b"x"));
            *s += 1;
        } else {
            h.push(seg(server(), from(port), 1, b""));
        }
    }
    let port_of: HashMap<FlowId, u16> =
        h.ev.iter()
            .filter_map(|e| match e {
                Ev::Opened { flow, a, b, .. } => {
                    Some((*flow, if *a == server() { b.port() } else { a.port() }))
                }
                _ => None,
            })
            .collect();
    let evicted: Vec<u16> = h.closes().iter().map(|(f, _)| port_of[f]).collect();
    assert!(evicted.len() > 100, "the cap was reached often");
    assert_eq!(evicted, evicted_ports);
}

#[test]
fn finish_closes_in_flow_order() {
    let mut h = Harness::new();
    for port in [9, 3, 7, 1, 5] {
        let from = SocketAddr::from(([10, 0, 0, 9], port));
        h.push(seg(from, server(), 1, b"x"));
    }
    h.finish();
    let ids: Vec<FlowId> = h.closes().iter().map(|c| c.0).collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    assert!(h.closes().iter().all(|c| c.1 == Close::Eof));
    assert_eq!(h.t.live_flows(), 0);
}

#[test]
fn implausible_values_are_dropped() {
    let mut h = Harness::new();
    h.push(c2s(10, b"ab"));
    h.push(c2s(10u32.wrapping_add(1 << 30).wrapping_add(2), b"far"));
    h.push(Segment {
        wire_len: u32::MAX,
        ..c2s(12, b"cd")
    });
    h.push(Segment {
        ack: Some(12u32.wrapping_add(1 << 30)),
        ..s2c(1, b"")
    });
    h.push(c2s(12, b"cd"));
    h.finish();
    assert_eq!(h.text(0, Dir::AtoB), "abcd");
}

#[test]
fn bytes_held_out_of_order_are_counted_and_freed_by_eviction() {
    let mut h = Harness::with(Limits::default());
    h.push(c2s(1, b"a"));
    // Bytes 2-3 are missing: "def" waits for them.
    h.push(c2s(4, b"def"));
    assert_eq!((h.t.buffered_bytes(), h.t.flow_buffered(0)), (3, 3));
    h.t.evict(0, &mut |_| {});
    assert_eq!(h.t.buffered_bytes(), 0);
    assert_eq!(h.t.live_flows(), 0);
    // What the evicted flow sends later is a straggler, not a new connection.
    h.push(c2s(7, b"g"));
    assert_eq!(h.t.live_flows(), 0);
    // Evicting what is not there does nothing.
    h.t.evict(0, &mut |_| {});
    h.t.evict(7, &mut |_| {});
}
