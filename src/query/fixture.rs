//! A capture's events made by hand, for the tests of what TLS and HTTP/2 change in the filter
//! and the terminal UI (the bundled wss samples cannot be decrypted yet): a plain WebSocket,
//! one carried in TLS, one over HTTP/2 in TLS (RFC 8441), a TLS connection that could not be
//! decrypted, and alerts.

use std::net::SocketAddr;

use crate::model::{
    self, Alert, Connection, Detected, Event, Handshake, Tls, TlsNote, TlsWhat, Undecryptable,
};
use crate::vocab::{ConnId, Opcode, PacketNo, Side, Timestamp};
use crate::ws::{FrameHeader, LengthForm};

pub(crate) const PLAIN: ConnId = ConnId(0);
/// Carried in TLS 1.3, server name `wss.test`.
pub(crate) const WSS: ConnId = ConnId(1);
/// Over HTTP/2 stream 3, in TLS with the server name `Example.COM`.
pub(crate) const H2: ConnId = ConnId(2);

fn at(packet: u64) -> Timestamp {
    Timestamp {
        secs: 1_800_000_000,
        nanos: packet as u32 * 1000,
        digits: 6,
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// What the hellos of a TLS 1.3 connection to `sni` said.
pub(crate) fn tls(sni: &str, alpn: &str) -> Tls {
    Tls {
        version: Some(0x0304),
        suite: Some(0x1302),
        sni: Some(sni.to_owned()),
        alpn_offered: vec![alpn.to_owned()],
        alpn: Some(alpn.to_owned()),
        resumed: false,
        encrypt_then_mac: false,
        decrypted: true,
    }
}

/// A connection with an upgrade handshake on `path`.
pub(crate) fn connection(
    conn: ConnId,
    client: &str,
    server: &str,
    path: &str,
    tls: Option<Tls>,
    http2_stream: Option<u32>,
) -> Connection {
    let h2 = http2_stream.is_some();
    let (request_head, response_head) = if h2 {
        (
            format!(":method CONNECT\r\n:protocol websocket\r\n:path {path}\r\n\r\n"),
            ":status 200\r\n\r\n".to_owned(),
        )
    } else {
        (
            format!("GET {path} HTTP/1.1\r\nUpgrade: websocket\r\n\r\n"),
            "HTTP/1.1 101 Switching Protocols\r\n\r\n".to_owned(),
        )
    };
    Connection {
        conn,
        ts: at(u64::from(conn.0) * 10 + 1),
        packet: PacketNo(u64::from(conn.0) * 10 + 1),
        client: addr(client),
        server: addr(server),
        detected: Detected::Handshake,
        handshake: Some(Handshake {
            path: path.to_owned(),
            host: None,
            // RFC 8441: an extended CONNECT has no key and no accept.
            key: (!h2).then(|| "dGhlIHNhbXBsZSBub25jZQ==".to_owned()),
            accept: (!h2).then(|| "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".to_owned()),
            accept_valid: !h2,
            subprotocol: None,
            extensions: None,
            request_head: request_head.into_bytes(),
            response_head: response_head.into_bytes(),
        }),
        tls,
        http2_stream,
    }
}

/// A frame, masked when the client sent it.
pub(crate) fn frame(
    conn: ConnId,
    n: u64,
    from: Side,
    opcode: Opcode,
    (fin, rsv1): (bool, bool),
    payload: &[u8],
) -> model::Frame {
    let packet = PacketNo(u64::from(conn.0) * 10 + 2 + n);
    let mask = (from == Side::Client).then_some([1, 2, 3, 4]);
    model::Frame {
        conn,
        n,
        ts: at(packet.0),
        from,
        header: FrameHeader {
            fin,
            rsv1,
            rsv2: false,
            rsv3: false,
            opcode,
            mask,
            len: payload.len() as u64,
            length_form: LengthForm::Short,
            header_len: if mask.is_some() { 6 } else { 2 },
        },
        payload: payload.to_vec(),
        truncated: false,
        problems: Vec::new(),
        packets: (packet, packet),
        offset: 0,
    }
}

/// The message of frames `frames`, with its final bytes.
pub(crate) fn message(
    f: &model::Frame,
    opcode: Opcode,
    frames: &[u64],
    compressed: bool,
    data: &[u8],
) -> model::Message {
    model::Message {
        conn: f.conn,
        ts: f.ts,
        from: f.from,
        opcode,
        frames: frames.to_vec(),
        compressed,
        data: data.to_vec(),
        text_valid: opcode == Opcode::Text,
        close_code: None,
        close_reason: None,
        problems: Vec::new(),
    }
}

/// A frame that is a message of its own, and that message.
fn single(conn: ConnId, n: u64, from: Side, opcode: Opcode, data: &[u8]) -> [Event; 2] {
    let f = frame(conn, n, from, opcode, (true, false), data);
    let m = message(&f, opcode, &[n], false, data);
    [Event::Frame(f), Event::Message(m)]
}

fn end(conn: ConnId, packet: u64) -> Event {
    Event::End(model::End {
        conn,
        ts: at(packet),
        packet: PacketNo(packet),
        how: model::EndHow::Fin,
    })
}

pub(crate) fn note(client: &str, server: &str, tls: Tls, what: TlsWhat) -> TlsNote {
    TlsNote {
        ts: at(50),
        packet: PacketNo(50),
        conn: None,
        client: addr(client),
        server: addr(server),
        tls,
        what,
    }
}

/// The whole capture, in the order a decoder tells it.
pub(crate) fn events() -> Vec<Event> {
    let mut ev = vec![Event::Connection(connection(
        PLAIN,
        "127.0.0.1:40000",
        "127.0.0.1:8765",
        "/plain",
        None,
        None,
    ))];
    ev.extend(single(PLAIN, 0, Side::Client, Opcode::Text, b"hello plain"));
    ev.extend(single(PLAIN, 1, Side::Server, Opcode::Text, b"hi plain"));
    ev.push(end(PLAIN, 9));

    let wss = tls("wss.test", "http/1.1");
    ev.push(Event::Connection(connection(
        WSS,
        "127.0.0.1:40001",
        "127.0.0.1:8443",
        "/chat",
        Some(wss.clone()),
        None,
    )));
    ev.extend(single(WSS, 0, Side::Client, Opcode::Text, b"secret hello"));
    ev.extend(single(WSS, 1, Side::Server, Opcode::Binary, b"\x00\x01"));
    // A compressed text in two frames: its frames are searched in its inflated bytes.
    let first = frame(
        WSS,
        2,
        Side::Server,
        Opcode::Text,
        (false, true),
        b"\xf2\x48",
    );
    let last = frame(
        WSS,
        3,
        Side::Server,
        Opcode::Continuation,
        (true, false),
        b"\xcd",
    );
    let joined = message(&last, Opcode::Text, &[2, 3], true, b"inflated hello");
    ev.extend([
        Event::Frame(first),
        Event::Frame(last),
        Event::Message(joined),
    ]);
    ev.push(Event::Gap(model::Gap {
        conn: WSS,
        ts: at(16),
        packet: PacketNo(16),
        from: Side::Server,
        bytes: 100,
    }));
    // A compressed message the connection's end cuts short: judged on its frame's own bytes.
    ev.push(Event::Frame(frame(
        WSS,
        4,
        Side::Client,
        Opcode::Text,
        (false, true),
        b"cut hello",
    )));
    ev.push(end(WSS, 19));
    ev.push(Event::Tls(note(
        "127.0.0.1:40001",
        "127.0.0.1:8443",
        wss,
        TlsWhat::Alert {
            from: Side::Client,
            alert: Alert {
                level: 1,
                description: 0,
            },
        },
    )));

    ev.push(Event::Connection(connection(
        H2,
        "127.0.0.1:40002",
        "127.0.0.1:8444",
        "/h2",
        Some(tls("Example.COM", "h2")),
        Some(3),
    )));
    ev.extend(single(H2, 0, Side::Client, Opcode::Text, b"hello over h2"));
    ev.extend(single(H2, 1, Side::Server, Opcode::Text, b"answer over h2"));
    ev.push(end(H2, 29));

    ev.push(Event::Tls(note(
        "127.0.0.1:40003",
        "10.0.0.9:443",
        Tls {
            decrypted: false,
            ..tls("hidden.example", "http/1.1")
        },
        TlsWhat::Undecryptable(Undecryptable::NoKey),
    )));
    ev.push(Event::Tls(note(
        "127.0.0.1:40004",
        "10.0.0.9:443",
        Tls {
            decrypted: false,
            ..tls("refused.example", "http/1.1")
        },
        TlsWhat::Alert {
            from: Side::Server,
            alert: Alert {
                level: 2,
                description: 40,
            },
        },
    )));
    ev
}
