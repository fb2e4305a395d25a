//! The walk-through checked against RFC 6455's own examples and against the bundled samples'
//! real values (tshark's dissection and the peers' logs).

use super::*;
use crate::index::sample;
use crate::model;
use crate::vocab::{ConnId, PacketNo, Timestamp};
use crate::ws::FrameHeader;

fn texts(lines: &[Line]) -> Vec<&str> {
    lines.iter().map(|l| l.text.as_str()).collect()
}

#[track_caller]
fn assert_has(lines: &[Line], want: &str) {
    assert!(
        lines.iter().any(|l| l.text.contains(want)),
        "no line holds {want:?}:\n{}",
        texts(lines).join("\n")
    );
}

fn whole(store: &Store, target: Target) -> String {
    let mut out = Vec::new();
    print_all(store, target, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// RFC 6455 5.7: a single-frame masked text message containing "Hello".
fn rfc_masked_hello() -> Frame {
    let wire = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    let header = FrameHeader::parse(&wire).unwrap();
    let mut payload = wire[6..].to_vec();
    crate::ws::unmask(&mut payload, header.mask.unwrap(), 0);
    model::Frame {
        conn: ConnId(0),
        n: 0,
        ts: Timestamp::default(),
        from: Side::Client,
        header,
        payload,
        truncated: false,
        problems: Vec::new(),
        packets: (PacketNo(1), PacketNo(1)),
        offset: 0,
    }
}

#[test]
fn accept_key_as_rfc_6455_section_1_3_computes_it() {
    // RFC 6455 1.3: key dGhlIHNhbXBsZSBub25jZQ==, SHA-1 0xb3 0x7a 0x4f … 0xea, base64
    // s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
    let lines = accept_lines(
        "dGhlIHNhbXBsZSBub25jZQ==",
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    );
    assert_has(
        &lines,
        "= dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11",
    );
    assert_has(
        &lines,
        "SHA-1 of that       b37a4f2cc0624f1690f64606cf385945b2bec4ea",
    );
    assert_has(&lines, "base64 of the hash  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    assert_has(&lines, "✓ match");
    let wrong = accept_lines("dGhlIHNhbXBsZSBub25jZQ==", Some("AAAA"));
    assert_has(&wrong, "✗ MISMATCH");
}

#[test]
fn the_bit_diagram_of_the_rfc_example() {
    let lines = bit_diagram(&rfc_masked_hello());
    // 0x81 = 1000 0001 (FIN, text), 0x85 = 1 000 0101 (MASK, 5).
    assert_has(&lines, " |1|0|0|0|0 0 0 1|1|0 0 0 0 1 0 1|");
    assert_has(&lines, "FIN = 1: the final frame of its message");
    assert_has(&lines, "opcode = 1: text: a text message (UTF-8)");
    assert_has(&lines, "MASK = 1: a 4-byte masking key follows");
    assert_has(&lines, "payload len = 5: the length itself");
    // Each label's leader starts under its field: FIN under bit 0, MASK under bit 8.
    let fin = lines.iter().find(|l| l.text.contains("FIN = 1")).unwrap();
    assert_eq!(fin.text.find('+'), Some(2));
    let mask = lines.iter().find(|l| l.text.contains("MASK = 1")).unwrap();
    assert_eq!(mask.text.find('+'), Some(18));
    assert_eq!(
        lines[3].text.chars().nth(18),
        Some('1'),
        "bit 8 (MASK) sits at column 18"
    );
}

#[test]
fn the_xor_table_of_the_rfc_example() {
    let lines = xor_table(&rfc_masked_hello(), 64);
    assert_has(&lines, "masking key: 37 fa 21 3d");
    // 0x7f ⊕ 0x37 = 0x48 'H'; 0x9f ⊕ 0xfa = 0x65 'e'; byte 4 meets key[0] again.
    assert_has(
        &lines,
        "0   7f 01111111  ⊕  37 00110111  =  48 01001000   H",
    );
    assert_has(
        &lines,
        "1   9f 10011111  ⊕  fa 11111010  =  65 01100101   e",
    );
    assert_has(
        &lines,
        "4   58 01011000  ⊕  37 00110111  =  6f 01101111   o",
    );
    let cut = xor_table(&rfc_masked_hello(), 2);
    assert_has(&cut, "… 3 more bytes");
}

#[test]
fn echo_walkthrough_uses_the_captures_own_values() {
    let store = sample("echo.pcap");
    let text = whole(&store, Target::Conn(ConnId(0)));
    // tshark: the request is 194 bytes (packet 4), the answer carries
    // Sec-WebSocket-Accept: jXenf4ukuuiP/FVk9imZ/bPYe8w=.
    assert!(text.contains("194 bytes of HTTP"), "{text}");
    assert!(
        text.contains("base64 of the hash  jXenf4ukuuiP/FVk9imZ/bPYe8w="),
        "{text}"
    );
    assert!(text.contains("✓ match"), "{text}");
    // tshark frame 8: key 16f6b852; tcp.payload 819416f6b8525e9f…: 0x5e ⊕ 0x16 = 'H'.
    assert!(text.contains("masking key: 16 f6 b8 52"), "{text}");
    assert!(
        text.contains("0   5e 01011110  ⊕  16 00010110  =  48 01001000   H"),
        "{text}"
    );
    assert!(
        text.contains(" |1|0|0|0|0 0 0 1|1|0 0 1 0 1 0 0|"),
        "20 = 0010100:\n{text}"
    );
    // The server's first frame: "Hi Alice, nice to meet you!" unmasked, 27 bytes.
    assert!(
        text.contains(" |1|0|0|0|0 0 0 1|0|0 0 1 1 0 1 1|"),
        "{text}"
    );
    // echo.log.jsonl: both sides close with 1000.
    assert!(
        text.contains("client close (8)     FIN=1       2 bytes  03 e8"),
        "{text}"
    );
    assert!(text.contains("code 1000 (normal closure)"), "{text}");
    assert!(
        text.contains("Sec-WebSocket-Accept: jXenf4ukuuiP/FVk9imZ/bPYe8w=\n"),
        "{text}"
    );
    // The cost: 4 client frames × 6 bytes + 4 server frames × 2 = 32 header bytes; 6 data
    // messages as HTTP requests of 194 bytes = 1164; payloads 20+27+18+18+7+7+2+2 = 101.
    assert!(
        text.contains("WebSocket frame headers        32 B"),
        "{text}"
    );
    assert!(
        text.contains("HTTP request headers         1164 B"),
        "{text}"
    );
    assert!(
        text.contains("the payload itself            101 B"),
        "{text}"
    );
    assert!(text.contains("36× the header bytes"), "{text}");
}

#[test]
fn mixed_shows_lengths_fragments_ping_pong_and_close() {
    let store = sample("mixed.pcap");
    let topics: Vec<Topic> = steps(&store, Target::Conn(ConnId(0)))
        .iter()
        .map(|s| s.topic)
        .collect();
    assert_eq!(
        topics,
        [
            Topic::Request,
            Topic::Answer,
            Topic::Bits,
            Topic::Unmask,
            Topic::ServerFrame,
            Topic::Length,
            Topic::Fragments,
            Topic::PingPong,
            Topic::Close,
            Topic::Cost
        ]
    );
    let text = whole(&store, Target::Conn(ConnId(0)));
    // mixed.log.jsonl: a 300-byte text (16-bit length), fragments with a ping between the
    // first two, "ping with payload" answered with the same payload, close 4000 "bye".
    assert!(
        text.contains("extended payload length (16 bits) = 01 2c = 300 bytes"),
        "{text}"
    );
    assert!(
        text.contains("← not part of it: control frames may go between fragments"),
        "{text}"
    );
    assert!(
        text.contains("joined: \"fragment one, fragment two, fragment three\""),
        "{text}"
    );
    assert!(text.contains("with the same payload"), "{text}");
    assert!(
        text.contains("code 4000 (private use), reason \"bye\""),
        "{text}"
    );
}

#[test]
fn compression_shows_rsv1_and_the_inflated_text() {
    let store = sample("deflate.pcap");
    let steps = steps(&store, Target::Conn(ConnId(0)));
    let step = *steps.iter().find(|s| s.topic == Topic::Compressed).unwrap();
    let p = page(&store, Target::Conn(ConnId(0)), step, None);
    assert_has(&p.lines, "RSV1 = 1 on the first frame");
    // deflate.log.jsonl: the first client message, compressed to 77 bytes on the wire
    // (tshark: payload_length 77).
    assert_has(&p.lines, "on the wire (77 bytes)");
    assert_has(&p.lines, "inflated (");
    assert_has(&p.lines, "{\"type\": \"quote\"");
}

#[test]
fn a_refused_upgrade_says_why() {
    let store = sample("rejected.pcap");
    let text = whole(&store, Target::Rejected(0));
    // tshark: GET /forbidden answered 403 Forbidden.
    assert!(text.contains("GET /forbidden HTTP/1.1"), "{text}");
    assert!(
        text.contains("403 Forbidden: the server refuses this client here"),
        "{text}"
    );
}

/// The step a wss walk-through adds before the frame's bits: the record it came in, checked
/// against tshark. samples/wss-node-chacha.tls-records.jsonl: the client's records are its
/// ClientHello (0), ChangeCipherSpec (1), Finished (2), the HTTP request (3), then the first
/// frame's, record 4: 44 bytes in packet 10, whose TCP payload begins (tshark `tcp.payload`)
/// 17 03 03 00 2c a1 af da 76 6e 9e f7 2d 5e 60 0a 83 ed d0 be 9d. Its 27 bytes of plaintext
/// are the frame: c1 95 (FIN, RSV1, text; MASK, 21) and the key b4 fe f1 da.
#[test]
fn a_wss_frame_is_shown_in_its_tls_record_first() {
    let store = crate::index::sample_keyed("wss-node-chacha.pcap");
    let target = Target::Conn(ConnId(0));
    let all = steps(&store, target);
    let topics: Vec<Topic> = all.iter().map(|s| s.topic).collect();
    assert_eq!(
        topics[..5],
        [
            Topic::Request,
            Topic::Answer,
            Topic::Record,
            Topic::Bits,
            Topic::Unmask
        ]
    );
    assert_eq!(all[2].frame, all[3].frame, "the frame the bits show");
    let p = page(&store, target, all[2], None);
    assert_eq!(p.title, "This frame arrived inside TLS record 4");
    for want in [
        "the client's TLS record 4, 5 header bytes + 44 bytes, packet 10",
        "  17 03 03 00 2c     the header: anyone on the path reads it",
        "type 23: application_data",
        "legacy 0x0303: 1.2's number, kept by 1.3 for middleboxes",
        "length 44: the body that follows",
        "  a1 af da 76 6e 9e f7 2d 5e 60 0a 83 ed d0 be 9d …",
        "the body: ciphertext, unreadable on the wire",
        "Decrypted with the key log: TLS 1.3, TLS_CHACHA20_POLY1305_SHA256.",
        "44 bytes of body hold 27 bytes of plaintext; the other 17: a 16-byte tag",
        "plaintext bytes 0–26: c1 95 b4 fe f1 da ",
    ] {
        assert_has(&p.lines, want);
    }

    // The 20000-byte message's frame, as the teacher moves to it: records 6 and 7 (16401 and
    // 3652 bytes, packet 14); the frame is the first's whole plaintext.
    let big = (0..store.frames.len() as u32)
        .find(|i| store.frames[*i as usize].header.len == 20011)
        .unwrap();
    let p = page(&store, target, all[2], Some(big));
    assert_eq!(p.title, "This frame arrived inside TLS records 6–7");
    assert_has(
        &p.lines,
        "the client's TLS records 6–7, 2 in all; the first, packet 14:",
    );
    assert_has(&p.lines, "  17 03 03 40 11 ");
    assert_has(
        &p.lines,
        "then record 7 (3652 bytes, packet 14), the same way",
    );
    assert_has(
        &p.lines,
        "16401 bytes of body hold 16384 bytes of plaintext",
    );
    assert_has(&p.lines, "plaintext bytes 0–16383: ");

    // The handout has it too; a plaintext connection has no such step.
    assert!(whole(&store, target).contains("Step 3 of 12: This frame arrived inside TLS record 4"));
    let echo = sample("echo.pcap");
    assert!(
        !steps(&echo, target)
            .iter()
            .any(|s| s.topic == Topic::Record)
    );
}

/// TLS 1.2 (wss-tls12-cbc, AES-128-CBC-SHA): the header's version is the real one, and what
/// the body holds beyond the plaintext is the cipher's (IV, MAC, padding). tshark: the client's
/// record 5, 68 bytes in packet 12, TCP payload 17 03 03 00 44 21 e6 d2 8b ce 5b ca a3 …
#[test]
fn a_tls12_record_is_taught_with_its_own_version() {
    let store = crate::index::sample_keyed("wss-tls12-cbc.pcap");
    let target = Target::Conn(ConnId(0));
    let step = steps(&store, target)[2];
    assert_eq!(step.topic, Topic::Record);
    let p = page(&store, target, step, None);
    assert_eq!(p.title, "This frame arrived inside TLS record 5");
    assert_has(&p.lines, "version 0x0303: TLS 1.2");
    assert_has(
        &p.lines,
        "  21 e6 d2 8b ce 5b ca a3 b1 22 b3 2c 82 e0 bc e8 …",
    );
    assert_has(&p.lines, "TLS 1.2, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA.");
    assert_has(
        &p.lines,
        "68 bytes of body hold 28 bytes of plaintext; the other 40: ",
    );
    assert_has(&p.lines, "nonce or IV, tag or MAC, padding");
}
