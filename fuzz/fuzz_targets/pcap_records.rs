//! Whole captures through the whole pipeline: link layer, TCP reassembly, HTTP, frames,
//! messages, inflating. The input is a pcap file (so the samples are its seeds: `fuzz/run`),
//! read here record by record with lengths clamped to what is there, as libpcap would hand the
//! packets over. Never a panic, whatever the packets say. The wss samples' key logs are loaded,
//! so that their mutations reach TLS decryption, not only the handshake.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wsinspect::link::LinkType;
use wsinspect::pipeline::{Options, Pipeline};
use wsinspect::tls::KeyLog;
use wsinspect::vocab::{PacketNo, Timestamp};

/// The key logs of every bundled sample that has one.
fn keys() -> &'static KeyLog {
    static KEYS: OnceLock<KeyLog> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut log = KeyLog::new();
        for text in [
            include_str!("../../samples/h2-chromium.keys"),
            include_str!("../../samples/h2-websocket.keys"),
            include_str!("../../samples/wss-chromium.keys"),
            include_str!("../../samples/wss-hrr.keys"),
            include_str!("../../samples/wss-keyupdate.keys"),
            include_str!("../../samples/wss-missing-key.keys"),
            include_str!("../../samples/wss-node-chacha.keys"),
            include_str!("../../samples/wss-python.keys"),
            include_str!("../../samples/wss-renegotiation.keys"),
            include_str!("../../samples/wss-resumed.keys"),
            include_str!("../../samples/wss-tls12-cbc.keys"),
            include_str!("../../samples/wss-tls12-gcm.keys"),
        ] {
            log.add_embedded(text.as_bytes());
        }
        log
    })
}

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
        keylog: keys().clone(),
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
