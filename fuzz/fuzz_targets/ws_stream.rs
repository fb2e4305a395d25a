//! Any bytes in both directions of an upgraded connection, with and without permessage-deflate:
//! frames, messages and problems come out, never a panic, and nothing larger than the limits.
//!
//! The first byte picks the setup: bit 0 deflate, bit 1 no context takeover, bit 2 a capture
//! that began mid-connection (no handshake), bits 3-7 how the rest is cut into chunks, which
//! alternate between the two directions; a chunk that starts with 0xff stands for lost bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect::vocab::{ConnId, Dir, PacketNo, Timestamp};
use wsinspect::ws::{Buffers, Connection, DeflateParams, Limits, Output, Problem, Stamp};

/// Small limits, so that the fuzzer can reach them.
const LIMITS: Limits = Limits {
    keep: 4096,
    inflate: 1 << 16,
};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, mut rest)) = data.split_first() else {
        return;
    };
    let deflate = (setup & 1 != 0).then_some(DeflateParams {
        server_no_context_takeover: setup & 2 != 0,
        client_no_context_takeover: setup & 2 != 0,
        server_max_window_bits: None,
        client_max_window_bits: None,
    });
    let handshake = setup & 4 == 0;
    let mut conn = if handshake {
        Connection::new(ConnId(0), Some(Dir::AtoB), deflate, LIMITS)
    } else {
        Connection::new(ConnId(0), None, None, LIMITS)
    };
    let mut bufs = Buffers::default();
    let mut out = Vec::new();
    let (mut dir, mut packet) = (Dir::AtoB, 1u64);
    let chunk = 1 + usize::from(setup >> 3) * 8;
    while !rest.is_empty() {
        let (bytes, tail) = rest.split_at(chunk.min(rest.len()));
        let stamp = Stamp {
            ts: Timestamp::default(),
            packet: PacketNo(packet),
        };
        match bytes.split_first() {
            Some((0xff, lost)) => {
                let len = lost.first().map_or(1, |b| u64::from(*b) + 1);
                conn.gap(dir, len, stamp, &mut bufs, &mut out);
            }
            _ => conn.feed(dir, bytes, stamp, &mut bufs, &mut out),
        }
        check(&mut out);
        rest = tail;
        dir = dir.reverse();
        packet += 1;
    }
    let stamp = Stamp {
        ts: Timestamp::default(),
        packet: PacketNo(packet),
    };
    conn.finish(Problem::Truncated, stamp, &mut bufs, &mut out);
    check(&mut out);
});

fn check(out: &mut Vec<Output>) {
    for o in out.drain(..) {
        match o {
            Output::Frame(f) => assert!(f.payload.len() <= LIMITS.keep),
            Output::Message(m) => assert!(m.data.len() <= LIMITS.keep.max(LIMITS.inflate)),
        }
    }
}
