//! Captures are hostile input: whatever the packets hold, the pipeline never panics and keeps its
//! buffers bounded.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use wsinspect::link::LinkType;
use wsinspect::model::Event;
use wsinspect::pipeline::{Options, Pipeline};
use wsinspect::vocab::{PacketNo, Timestamp};

const HANDSHAKE_REQUEST: &[u8] =
    b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const HANDSHAKE_RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n";

/// A TCP segment between two fixed endpoints, written as raw IPv4.
fn packet(from_client: bool, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        ([127, 0, 0, 1], [127, 0, 0, 2], 40000, 8765)
    } else {
        ([127, 0, 0, 2], [127, 0, 0, 1], 8765, 40000)
    };
    let mut b = etherparse::PacketBuilder::ipv4(src, dst, 64).tcp(sport, dport, seq, 65535);
    if flags & 1 != 0 {
        b = b.syn();
    }
    if flags & 2 != 0 {
        b = b.fin();
    }
    if flags & 4 != 0 {
        b = b.rst();
    }
    b = b.ack(ack);
    let mut out = Vec::new();
    b.write(&mut out, payload).unwrap();
    out
}

fn run(packets: &[Vec<u8>], link: LinkType, decode_as: bool) -> Vec<Event> {
    let mut p = Pipeline::new(
        link,
        Options {
            decode_as: if decode_as { vec![8765] } else { vec![] },
            ..Options::default()
        },
    );
    let mut events = Vec::new();
    for (i, data) in packets.iter().enumerate() {
        p.packet(
            PacketNo(i as u64 + 1),
            Timestamp::default(),
            data,
            &mut events,
        );
    }
    p.finish(&mut events);
    events
}

/// Plausible WebSocket bytes: frame headers of every form, including lengths near 2^63.
fn frame_bytes() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<u8>(), 0..40),
        prop::bool::ANY,
    )
        .prop_map(|(b0, b1, rest, huge)| {
            let mut v = vec![b0, b1];
            if huge {
                v[1] |= 0x7f;
                v.extend_from_slice(&[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
            }
            v.extend(rest);
            v
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_as_packets_never_panic(
        packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..20),
        link in 0usize..8,
    ) {
        let links = [LinkType::Null, LinkType::Ethernet, LinkType::Raw, LinkType::Loop,
            LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::Ipv4, LinkType::Ipv6];
        run(&packets, links[link], link % 2 == 0);
    }

    #[test]
    fn random_segments_after_a_real_handshake_never_panic(
        segments in prop::collection::vec((prop::bool::ANY, 0u32..4000, 0u8..8, frame_bytes()), 0..24),
        decode_as in prop::bool::ANY,
    ) {
        let mut packets = vec![
            packet(true, 1000, 0, 1, b""),
            packet(false, 5000, 1001, 1, b""),
            packet(true, 1001, 5001, 0, HANDSHAKE_REQUEST),
            packet(false, 5001, 1001 + HANDSHAKE_REQUEST.len() as u32, 0, HANDSHAKE_RESPONSE),
        ];
        let (c0, s0) = (1001 + HANDSHAKE_REQUEST.len() as u32, 5001 + HANDSHAKE_RESPONSE.len() as u32);
        for (from_client, offset, flags, bytes) in &segments {
            let (seq, ack) = if *from_client { (c0 + offset, s0) } else { (s0 + offset, c0) };
            packets.push(packet(*from_client, seq, ack, flags & 6, bytes));
        }
        let events = run(&packets, LinkType::Raw, decode_as);
        for e in &events {
            if let Event::Frame(f) = e {
                // Nothing is sized by the length field: payloads hold only bytes that arrived.
                prop_assert!(f.payload.len() <= 24 * 48);
            }
        }
    }
}

#[test]
fn a_frame_claiming_two_to_the_63_bytes_is_reported_truncated() {
    let mut frame = vec![0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    frame.extend_from_slice(&[1, 2, 3]);
    let c0 = 1001 + HANDSHAKE_REQUEST.len() as u32;
    let packets = vec![
        packet(true, 1000, 0, 1, b""),
        packet(false, 5000, 1001, 1, b""),
        packet(true, 1001, 5001, 0, HANDSHAKE_REQUEST),
        packet(false, 5001, c0, 0, HANDSHAKE_RESPONSE),
        packet(false, 5001 + HANDSHAKE_RESPONSE.len() as u32, c0, 0, &frame),
    ];
    let events = run(&packets, LinkType::Raw, false);
    let f = events
        .iter()
        .find_map(|e| match e {
            Event::Frame(f) => Some(f),
            _ => None,
        })
        .unwrap();
    assert!(f.truncated);
    assert_eq!(f.header.len, i64::MAX as u64);
    assert_eq!(f.payload, [1, 2, 3]);
}

#[test]
fn a_stream_ending_inside_a_frame_header_is_counted_not_dropped() {
    let c0 = 1001 + HANDSHAKE_REQUEST.len() as u32;
    let packets = [
        packet(true, 1000, 0, 1, b""),
        packet(false, 5000, 1001, 1, b""),
        packet(true, 1001, 5001, 0, HANDSHAKE_REQUEST),
        packet(false, 5001, c0, 0, HANDSHAKE_RESPONSE),
        // A whole frame, then the first byte of the next header.
        packet(
            false,
            5001 + HANDSHAKE_RESPONSE.len() as u32,
            c0,
            0,
            &[0x81, 0x01, b'x', 0x81],
        ),
    ];
    let mut p = Pipeline::new(LinkType::Raw, Options::default());
    let mut events = Vec::new();
    for (i, data) in packets.iter().enumerate() {
        p.packet(
            PacketNo(i as u64 + 1),
            Timestamp::default(),
            data,
            &mut events,
        );
    }
    p.finish(&mut events);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Frame(_)))
            .count(),
        1
    );
    assert_eq!(p.stats().cut_headers, 1);
}

/// Reading ahead on another thread hands out the same packets, in the same order, and a file
/// cut off mid-record still yields every packet before the cut, then the error.
#[test]
fn reading_ahead_changes_nothing() {
    use wsinspect::capture::{File, Poll, Prefetched, Source};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    for name in [
        "chatty.pcap",
        "mixed.pcap",
        "truncated.pcap",
        "pcapng-echo.pcapng",
    ] {
        let path = dir.join(name);
        let mut plain = File::open(&path, None).unwrap();
        let mut ahead = Prefetched::new(File::open(&path, None).unwrap());
        let mut n = 0;
        loop {
            match (plain.next_packet(), ahead.next_packet()) {
                (Ok(Poll::Packet(a)), Ok(Poll::Packet(b))) => {
                    assert_eq!(
                        (a.number, a.ts, a.data, a.wire_len),
                        (b.number, b.ts, b.data, b.wire_len)
                    );
                    n += 1;
                    assert_eq!(a.number, PacketNo(n));
                }
                (Ok(Poll::End), Ok(Poll::End)) => break,
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{name}");
                    break;
                }
                (a, b) => panic!(
                    "{name}: packet {}: {:?} against {:?}",
                    n + 1,
                    a.map(|p| matches!(p, Poll::Packet(_)))
                        .map_err(|e| e.to_string()),
                    b.map(|p| matches!(p, Poll::Packet(_)))
                        .map_err(|e| e.to_string())
                ),
            }
        }
        assert!(n > 10, "{name}: {n} packets");
    }
}
