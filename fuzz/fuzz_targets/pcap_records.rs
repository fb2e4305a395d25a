//! Whole captures through the whole pipeline: link layer, TCP reassembly, HTTP, frames,
//! messages, inflating. The input is a pcap file (so the samples are its seeds: `fuzz/run`),
//! read here record by record with lengths clamped to what is there, as libpcap would hand the
//! packets over. Never a panic, whatever the packets say.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect::link::LinkType;
use wsinspect::pipeline::{Options, Pipeline};
use wsinspect::vocab::{PacketNo, Timestamp};

fuzz_target!(|data: &[u8]| {
    // Global header: magic, version, zone, sigfigs, snaplen, link type (little-endian).
    let Some(head) = data.get(..24) else {
        return;
    };
    let word = |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
    let link = LinkType::from_number(word(head, 20) as i32).unwrap_or(LinkType::Ethernet);
    // A non-zero "sigfigs" field (unused by pcap) makes port 8765 WebSocket from the first byte,
    // to reach decoding without a handshake.
    let options = Options {
        decode_as: if word(head, 12) != 0 {
            vec![8765]
        } else {
            Vec::new()
        },
        ..Options::default()
    };
    let mut pipeline = Pipeline::new(link, options);
    let mut events = Vec::new();
    let mut rest = &data[24..];
    let mut number = 0;
    while rest.len() >= 16 {
        let secs = i64::from(word(rest, 0));
        let len = (word(rest, 8) as usize).min(rest.len() - 16);
        let ts = Timestamp {
            secs,
            nanos: word(rest, 4) % 1_000_000 * 1000,
            digits: 6,
        };
        number += 1;
        pipeline.packet(PacketNo(number), ts, &rest[16..16 + len], &mut events);
        for ev in events.drain(..) {
            pipeline.recycle(ev);
        }
        rest = &rest[16 + len..];
    }
    pipeline.finish(&mut events);
});
