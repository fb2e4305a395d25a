//! The connection checked against the RFCs' own examples (RFC 7541 appendix C through HEADERS
//! frames, RFC 8441 section 5.1), every split of a valid exchange, and hostile input.

use super::frame::{FrameHeader, PREFACE, flag};
use super::*;
use crate::vocab::Dir;

const C: Dir = Dir::AtoB;
const S: Dir = Dir::BtoA;

// Frame types and settings by their RFC 9113 numbers.
const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const PRIORITY: u8 = 0x2;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PUSH_PROMISE: u8 = 0x5;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;
const HEADER_TABLE_SIZE: u16 = 0x1;
const MAX_FRAME_SIZE: u16 = 0x5;
const ENABLE_CONNECT_PROTOCOL: u16 = 0x8;
const EH_ES: u8 = flag::END_HEADERS | flag::END_STREAM;

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let head = FrameHeader {
        len: payload.len() as u32,
        kind: FrameType::from_u8(kind),
        flags,
        stream: StreamId(stream),
    };
    let mut v = head.encode().to_vec();
    v.extend_from_slice(payload);
    v
}

fn settings(values: &[(u16, u32)]) -> Vec<u8> {
    let payload: Vec<u8> = values
        .iter()
        .flat_map(|&(id, v)| id.to_be_bytes().into_iter().chain(v.to_be_bytes()))
        .collect();
    frame(SETTINGS, 0, 0, &payload)
}

/// The client's opening: preface and an empty SETTINGS.
fn client_start() -> Vec<u8> {
    [&PREFACE[..], &settings(&[])].concat()
}

/// RFC 7541's hex dumps, spaces and all.
fn hex(s: &str) -> Vec<u8> {
    let digits: String = s.split_whitespace().collect();
    hex::decode(digits).unwrap()
}

/// A header list: names and values.
type List = Vec<(Vec<u8>, Vec<u8>)>;

/// A header list as RFC 7541 writes it.
fn list(fields: &[(&str, &str)]) -> List {
    fields
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

fn fields(head: &Head) -> List {
    head.fields()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect()
}

/// An output with a DATA range resolved to the bytes it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seen {
    Out(Output),
    Data {
        stream: StreamId,
        dir: Dir,
        bytes: Vec<u8>,
        end_stream: bool,
    },
}

/// A connection and all it gave out.
struct Run {
    conn: Connection,
    seen: Vec<Seen>,
}

impl Run {
    fn new() -> Run {
        Run {
            conn: Connection::new(C),
            seen: Vec::new(),
        }
    }

    fn feed(&mut self, dir: Dir, bytes: &[u8]) -> &mut Run {
        let mut out = Vec::new();
        self.conn.feed(dir, bytes, &mut out);
        self.take(out, bytes);
        self
    }

    fn gap(&mut self, dir: Dir, len: u64) -> &mut Run {
        let mut out = Vec::new();
        self.conn.gap(dir, len, &mut out);
        self.take(out, &[]);
        self
    }

    fn finish(&mut self) -> &mut Run {
        let mut out = Vec::new();
        self.conn.finish(&mut out);
        self.take(out, &[]);
        self
    }

    fn take(&mut self, out: Vec<Output>, bytes: &[u8]) {
        for o in out {
            self.seen.push(match o {
                Output::Data {
                    stream,
                    dir,
                    bytes: range,
                    end_stream,
                } => Seen::Data {
                    stream,
                    dir,
                    bytes: bytes[range].to_vec(),
                    end_stream,
                },
                other => Seen::Out(other),
            });
        }
    }

    /// What came out, a DATA payload that arrived in pieces joined: the same however the
    /// bytes were split.
    fn joined(&self) -> Vec<Seen> {
        let mut joined: Vec<Seen> = Vec::new();
        for s in &self.seen {
            if let Seen::Data {
                stream,
                dir,
                bytes,
                end_stream,
            } = s
                && let Some(Seen::Data {
                    stream: last_stream,
                    dir: last_dir,
                    bytes: last_bytes,
                    end_stream: last_end,
                }) = joined.last_mut()
                && !*last_end
                && last_stream == stream
                && last_dir == dir
            {
                last_bytes.extend_from_slice(bytes);
                *last_end = *end_stream;
                continue;
            }
            joined.push(s.clone());
        }
        joined
    }

    fn problems(&self) -> Vec<(Dir, u64, Problem)> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Out(Output::Problem {
                    dir,
                    offset,
                    problem,
                }) => Some((*dir, *offset, problem.clone())),
                _ => None,
            })
            .collect()
    }

    fn requests(&self) -> Vec<(StreamId, List)> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Out(Output::Request { stream, head, .. }) => Some((*stream, fields(head))),
                _ => None,
            })
            .collect()
    }

    fn responses(&self) -> Vec<(StreamId, List)> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Out(Output::Response { stream, head, .. }) => Some((*stream, fields(head))),
                _ => None,
            })
            .collect()
    }

    fn data(&self, stream: u32, dir: Dir) -> Vec<u8> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Data {
                    stream: st,
                    dir: d,
                    bytes,
                    ..
                } if st.0 == stream && *d == dir => Some(bytes.clone()),
                _ => None,
            })
            .flatten()
            .collect()
    }

    fn ends(&self) -> Vec<(StreamId, End)> {
        self.seen
            .iter()
            .filter_map(|s| match s {
                Seen::Out(Output::StreamEnd { stream, how }) => Some((*stream, *how)),
                _ => None,
            })
            .collect()
    }
}

// RFC 7541 appendix C.3 and C.4: three requests on one connection, the second and third
// indexing what the first added to the dynamic table.
const C3: [&str; 3] = [
    "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    "8286 84be 5808 6e6f 2d63 6163 6865",
    "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
];
const C4: [&str; 3] = [
    "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    "8286 84be 5886 a8eb 1064 9cbf",
    "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
];

fn c3_lists() -> [List; 3] {
    [
        list(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
        ]),
        list(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "www.example.com"),
            ("cache-control", "no-cache"),
        ]),
        list(&[
            (":method", "GET"),
            (":scheme", "https"),
            (":path", "/index.html"),
            (":authority", "www.example.com"),
            ("custom-key", "custom-value"),
        ]),
    ]
}

// RFC 7541 appendix C.5 and C.6: three responses with SETTINGS_HEADER_TABLE_SIZE 256, so that
// entries are evicted.
const C5: [&str; 3] = [
    "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
     2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
     6c65 2e63 6f6d",
    "4803 3330 37c1 c0bf",
    "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
     54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
     5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
     3d31",
];
const C6: [&str; 3] = [
    "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
     2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
    "4883 640e ffc1 c0bf",
    "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
     77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
     9587 3160 65c0 03ed 4ee5 b106 3d50 07",
];

fn c5_lists() -> [List; 3] {
    let first = |status| {
        list(&[
            (":status", status),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ])
    };
    [
        first("302"),
        first("307"),
        list(&[
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"),
            ("content-encoding", "gzip"),
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            ),
        ]),
    ]
}

/// The client's bytes sending `blocks` as requests on streams 1, 3, 5 …
fn requests(blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = client_start();
    for (i, block) in blocks.iter().enumerate() {
        bytes.extend(frame(HEADERS, EH_ES, 1 + 2 * i as u32, block));
    }
    bytes
}

#[test]
fn rfc7541_c3_and_c4_requests_decode_to_the_rfc_lists() {
    for (name, blocks) in [("C.3", C3), ("C.4", C4)] {
        let blocks = blocks.map(hex);
        let mut run = Run::new();
        run.feed(C, &requests(&blocks));
        let want: Vec<_> = c3_lists()
            .into_iter()
            .enumerate()
            .map(|(i, l)| (StreamId(1 + 2 * i as u32), l))
            .collect();
        assert_eq!(run.requests(), want, "{name}");
        assert_eq!(run.problems(), [], "{name}");
    }
}

#[test]
fn rfc7541_c5_and_c6_responses_decode_with_evictions_at_256_bytes() {
    // RFC 7541 C.5 and C.6 take the table as set to 256 octets by SETTINGS_HEADER_TABLE_SIZE.
    // On a connection the client announces it, and the server's encoder says it has taken it
    // with a dynamic table size update (RFC 7541 §4.2, §6.3: 001 and 256 on a 5-bit prefix)
    // at the start of its next block: put in front of the RFC's first block.
    const TABLE_256: [u8; 3] = [0x3f, 0xe1, 0x01];
    for (name, blocks) in [("C.5", C5), ("C.6", C6)] {
        let mut client = client_start();
        client.extend(settings(&[(HEADER_TABLE_SIZE, 256)]));
        for stream in [1, 3, 5, 7, 9] {
            client.extend(frame(HEADERS, EH_ES, stream, &hex("8286 84")));
        }
        let mut server = settings(&[]);
        for (i, block) in blocks.iter().enumerate() {
            let prefix = if i == 0 { &TABLE_256[..] } else { &[] };
            let block = [prefix, &hex(block)].concat();
            server.extend(frame(HEADERS, EH_ES, 1 + 2 * i as u32, &block));
        }
        // After C.5.3 the table holds the RFC's three entries, set-cookie (62),
        // content-encoding (63) and date (64): index 65 was evicted.
        server.extend(frame(HEADERS, EH_ES, 7, &hex("88 be bf c0")));
        server.extend(frame(HEADERS, EH_ES, 9, &hex("88 c1")));
        let mut run = Run::new();
        run.feed(C, &client).feed(S, &server);
        let [r1, r2, r3] = c5_lists();
        let table = list(&[
            (":status", "200"),
            (
                "set-cookie",
                "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
            ),
            ("content-encoding", "gzip"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ]);
        let want = [(1, r1), (3, r2), (5, r3), (7, table)].map(|(s, l)| (StreamId(s), l));
        assert_eq!(run.responses(), want, "{name}");
        let problems = run.problems();
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert!(
            matches!(
                &problems[0],
                (
                    S,
                    _,
                    Problem::Compression {
                        stream: StreamId(9),
                        ..
                    }
                )
            ),
            "{name}: {problems:?}"
        );
    }
}

#[test]
fn blocks_of_streams_nobody_follows_still_feed_the_hpack_state() {
    // C.3.2 indexes what C.3.1 added: the first request's block must be decoded even on a
    // stream that is reset before it is read by anyone.
    let blocks = C3.map(hex);
    let mut client = client_start();
    client.extend(frame(HEADERS, flag::END_HEADERS, 1, &blocks[0]));
    client.extend(frame(RST_STREAM, 0, 1, &ErrorCode::CANCEL.0.to_be_bytes()));
    client.extend(frame(HEADERS, EH_ES, 3, &blocks[1]));
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(run.requests()[1], (StreamId(3), c3_lists()[1].clone()));
    assert_eq!(
        run.ends(),
        [(
            StreamId(1),
            End::Reset {
                by: C,
                code: ErrorCode::CANCEL
            }
        )]
    );
}

/// HPACK literals without indexing (RFC 7541 §6.2.2): a 0x00 byte, then name and value as
/// strings with a 7-bit length prefix (§5.1, §5.2), no Huffman code.
fn literal_block(fields: &[(&str, &str)]) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        let mut len = s.len();
        if len < 127 {
            out.push(len as u8);
        } else {
            out.push(127);
            len -= 127;
            while len >= 128 {
                out.push((len % 128) as u8 | 0x80);
                len /= 128;
            }
            out.push(len as u8);
        }
        out.extend_from_slice(s.as_bytes());
    }
    let mut out = Vec::new();
    for (n, v) in fields {
        out.push(0x00);
        string(&mut out, n);
        string(&mut out, v);
    }
    out
}

// RFC 8441 section 5.1's example exchange.
const RFC8441_REQUEST: [(&str, &str); 9] = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat"),
    (":authority", "server.example.com"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("sec-websocket-extensions", "permessage-deflate"),
    ("sec-websocket-version", "13"),
    ("origin", "http://www.example.com"),
];
const RFC8441_RESPONSE: [(&str, &str); 2] =
    [(":status", "200"), ("sec-websocket-protocol", "chat")];

/// The exchange of RFC 8441 section 5.1 with the blocks `encode` makes: the client's bytes and
/// the server's.
/// Makes the header block of a list sent in a direction.
type Encode<'a> = &'a mut dyn FnMut(Dir, &[(&str, &str)]) -> Vec<u8>;

fn rfc8441_exchange(encode: Encode<'_>) -> (Vec<u8>, Vec<u8>) {
    let mut client = client_start();
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &encode(C, &RFC8441_REQUEST),
    ));
    client.extend(frame(DATA, 0, 1, b"WebSocket Data from the client"));
    client.extend(frame(
        DATA,
        flag::END_STREAM,
        1,
        b"WebSocket Data, the client's last",
    ));
    let mut server = settings(&[(ENABLE_CONNECT_PROTOCOL, 1)]);
    server.extend(frame(SETTINGS, flag::ACK, 0, &[]));
    server.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &encode(S, &RFC8441_RESPONSE),
    ));
    server.extend(frame(
        DATA,
        flag::END_STREAM,
        1,
        b"WebSocket Data from the server",
    ));
    (client, server)
}

fn check_rfc8441(run: &Run) {
    let want_tunnel = Tunnel {
        protocol: "websocket".into(),
        scheme: Some("https".into()),
        authority: Some("server.example.com".into()),
        path: Some("/chat".into()),
        version: Some("13".into()),
        subprotocols: vec!["chat".into(), "superchat".into()],
        extensions: Some("permessage-deflate".into()),
    };
    assert_eq!(run.problems(), []);
    let mut seen = run.seen.iter();
    let mut next = || seen.next().cloned();
    let Some(Seen::Out(Output::Settings {
        dir: S,
        ack: false,
        values,
        enable_connect_protocol: Some(1),
    })) = next()
    else {
        panic!("{:?}", run.seen)
    };
    assert_eq!(values, [(Setting::EnableConnectProtocol, 1)]);
    assert!(matches!(
        next(),
        Some(Seen::Out(Output::Settings {
            dir: S,
            ack: true,
            ..
        }))
    ));
    let Some(Seen::Out(Output::Settings {
        dir: C, ack: false, ..
    })) = next()
    else {
        panic!("{:?}", run.seen)
    };
    let Some(Seen::Out(Output::Request {
        stream: StreamId(1),
        head,
        tunnel: Some(t),
        end_stream: false,
    })) = next()
    else {
        panic!("{:?}", run.seen)
    };
    assert_eq!(fields(&head), list(&RFC8441_REQUEST));
    assert_eq!(*t, want_tunnel);
    assert_eq!(tunnel(&head).as_ref(), Some(&want_tunnel));
    assert!(t.is_websocket());
    let response = run.seen.iter().find_map(|s| match s {
        Seen::Out(Output::Response {
            stream: StreamId(1),
            head,
            tunnel: Some(t),
            end_stream: false,
        }) => Some((head, t)),
        _ => None,
    });
    let Some((head, t)) = response else {
        panic!("{:?}", run.seen)
    };
    assert_eq!(**t, want_tunnel);
    let a: Answer = answer(head);
    assert!(a.opened());
    assert_eq!(a.protocol.as_deref(), Some("chat"));
    assert_eq!(a.extensions, None);
    assert_eq!(fields(head), list(&RFC8441_RESPONSE));
    assert_eq!(
        run.data(1, C),
        b"WebSocket Data from the clientWebSocket Data, the client's last"
    );
    assert_eq!(run.data(1, S), b"WebSocket Data from the server");
    assert_eq!(run.ends(), [(StreamId(1), End::Finished)]);
    assert_eq!(run.conn.enable_connect_protocol(), Some(1));
    assert_eq!(run.conn.client(), C);
}

#[test]
fn rfc8441_example_through_the_hpack_crate_encoder() {
    let mut encoders = [loona_hpack::Encoder::new(), loona_hpack::Encoder::new()];
    let (client, server) = rfc8441_exchange(&mut |dir, fields| {
        encoders[dir].encode(fields.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())))
    });
    let mut run = Run::new();
    // The server's SETTINGS (and its acknowledgement of the client's, which it has not seen
    // yet: order does not matter here) first, as RFC 8441's figure shows.
    run.feed(S, &server[..24])
        .feed(C, &client)
        .feed(S, &server[24..]);
    check_rfc8441(&run);
}

#[test]
fn rfc8441_example_with_literals_encoded_by_hand() {
    let (client, server) = rfc8441_exchange(&mut |_, fields| literal_block(fields));
    let mut run = Run::new();
    run.feed(S, &server[..24])
        .feed(C, &client)
        .feed(S, &server[24..]);
    check_rfc8441(&run);
}

#[test]
fn an_extended_connect_the_server_did_not_allow_or_without_a_path_is_reported() {
    let mut client = client_start();
    let request = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":authority", "a.example"),
    ];
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&request),
    ));
    let mut run = Run::new();
    run.feed(S, &settings(&[])).feed(C, &client);
    let problems: Vec<_> = run.problems().into_iter().map(|(_, _, p)| p).collect();
    assert_eq!(
        problems,
        [
            Problem::ConnectNotEnabled {
                stream: StreamId(1)
            },
            Problem::MalformedConnect {
                stream: StreamId(1),
                missing: ":path"
            }
        ]
    );
}

/// An exchange with a bit of everything: padding, priority, CONTINUATION, PING, WINDOW_UPDATE,
/// PRIORITY, an unknown frame type, a push, trailers, RST_STREAM and GOAWAY.
fn busy_exchange() -> (Vec<u8>, Vec<u8>) {
    let get = literal_block(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
    let mut client = client_start();
    // Stream 1: a padded HEADERS with priority, its block split over two CONTINUATIONs.
    let (a, rest) = get.split_at(10);
    let (b, c) = rest.split_at(7);
    let mut first = vec![3u8]; // pad length
    first.extend([0x80, 0, 0, 0, 15]); // exclusive dependency on stream 0, weight 16
    first.extend(a);
    first.extend([0; 3]);
    client.extend(frame(
        HEADERS,
        flag::PADDED | flag::PRIORITY | flag::END_STREAM,
        1,
        &first,
    ));
    client.extend(frame(CONTINUATION, 0, 1, b));
    client.extend(frame(CONTINUATION, flag::END_HEADERS, 1, c));
    client.extend(frame(PING, 0, 0, b"12345678"));
    client.extend(frame(WINDOW_UPDATE, 0, 0, &1000u32.to_be_bytes()));
    client.extend(frame(0xfa, 0xff, 7, b"an extension frame nobody knows"));
    // Stream 3: a POST whose body comes in a padded DATA, then trailers.
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        3,
        &literal_block(&[(":method", "POST")]),
    ));
    client.extend(frame(PRIORITY, 0, 3, &[0, 0, 0, 1, 200]));
    client.extend(frame(DATA, flag::PADDED, 3, b"\x05body!\0\0\0\0\0"));
    client.extend(frame(
        HEADERS,
        EH_ES,
        3,
        &literal_block(&[("x-checksum", "1")]),
    ));
    // Stream 5: opened, then given up.
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        5,
        &literal_block(&[(":method", "GET")]),
    ));
    client.extend(frame(RST_STREAM, 0, 5, &ErrorCode::CANCEL.0.to_be_bytes()));
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        7,
        &literal_block(&[(":method", "GET")]),
    ));

    let mut server = settings(&[(MAX_FRAME_SIZE, 1 << 20), (0x4, 1 << 20)]);
    server.extend(frame(SETTINGS, flag::ACK, 0, &[]));
    let mut promise = 2u32.to_be_bytes().to_vec();
    promise.extend(literal_block(&[
        (":method", "GET"),
        (":path", "/style.css"),
    ]));
    server.extend(frame(PUSH_PROMISE, flag::END_HEADERS, 1, &promise));
    server.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":status", "103")]),
    ));
    server.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":status", "200")]),
    ));
    server.extend(frame(DATA, 0, 1, b"<html>"));
    server.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        2,
        &literal_block(&[(":status", "200")]),
    ));
    server.extend(frame(DATA, flag::END_STREAM, 2, b"body{}"));
    server.extend(frame(
        DATA,
        flag::PADDED | flag::END_STREAM,
        1,
        b"\x02</html>\0\0",
    ));
    server.extend(frame(
        HEADERS,
        EH_ES,
        3,
        &literal_block(&[(":status", "201")]),
    ));
    server.extend(frame(PING, flag::ACK, 0, b"12345678"));
    let mut goaway = 3u32.to_be_bytes().to_vec();
    goaway.extend(0u32.to_be_bytes());
    goaway.extend(b"bye \xff");
    server.extend(frame(GOAWAY, 0, 0, &goaway));
    (client, server)
}

#[test]
fn a_busy_exchange_decodes_whole() {
    let (client, server) = busy_exchange();
    let mut run = Run::new();
    run.feed(C, &client).feed(S, &server).finish();
    assert_eq!(run.problems(), []);
    let get = list(&[
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
    ]);
    let method = |m| list(&[(":method", m)]);
    assert_eq!(
        run.requests(),
        [
            (StreamId(1), get),
            (StreamId(3), method("POST")),
            (StreamId(5), method("GET")),
            (StreamId(7), method("GET")),
        ]
    );
    let status = |s| list(&[(":status", s)]);
    assert_eq!(
        run.responses(),
        [
            (StreamId(1), status("103")),
            (StreamId(1), status("200")),
            (StreamId(2), status("200")),
            (StreamId(3), status("201")),
        ]
    );
    assert_eq!(run.data(1, S), b"<html></html>");
    assert_eq!(run.data(2, S), b"body{}");
    assert_eq!(run.data(3, C), b"body!");
    assert!(run.seen.iter().any(|s| matches!(s,
        Seen::Out(Output::Trailers { stream: StreamId(3), dir: C, end_stream: true, head })
            if head.get("x-checksum") == Some(b"1"))));
    assert!(run.seen.iter().any(|s| matches!(s,
        Seen::Out(Output::Promise { stream: StreamId(1), promised: StreamId(2), head })
            if head.get(":path") == Some(b"/style.css"))));
    assert!(run.seen.iter().any(|s| matches!(s,
        Seen::Out(Output::GoAway { dir: S, last_stream: StreamId(3), code: ErrorCode::NO_ERROR, debug })
            if debug == "bye \\xff")));
    let cancel = End::Reset {
        by: C,
        code: ErrorCode::CANCEL,
    };
    let gone = End::GoneAway {
        by: S,
        code: ErrorCode::NO_ERROR,
    };
    assert_eq!(
        run.ends(),
        [
            (StreamId(5), cancel),
            (StreamId(2), End::Finished),
            (StreamId(1), End::Finished),
            (StreamId(3), End::Finished),
            (StreamId(7), gone),
        ]
    );
    assert_eq!(
        gone.describe(C),
        "not processed: GOAWAY from the server (NO_ERROR)"
    );
    assert_eq!(cancel.describe(C), "reset by the client (CANCEL)");
    assert_eq!(run.conn.buffered(), 0);
}

/// Every output of `client` then `server`, fed as `split` cuts them.
fn run_split(client: &[u8], server: &[u8], split: &dyn Fn(&[u8]) -> Vec<usize>) -> Run {
    let mut run = Run::new();
    for (dir, bytes) in [(C, client), (S, server)] {
        let mut from = 0;
        for to in split(bytes).into_iter().chain([bytes.len()]) {
            run.feed(dir, &bytes[from..to]);
            from = to;
        }
    }
    run.finish();
    run
}

#[test]
fn every_split_gives_the_same_outputs() {
    for (client, server) in [
        busy_exchange(),
        rfc8441_exchange(&mut |_, f| literal_block(f)),
        (requests(&C4.map(hex)), Vec::new()),
    ] {
        let whole = run_split(&client, &server, &|_| vec![]).joined();
        let bytewise = run_split(&client, &server, &|b| (1..b.len()).collect()).joined();
        assert_eq!(bytewise, whole);
        for at in 0..=client.len().max(server.len()) {
            let cut = |b: &[u8]| vec![at.min(b.len())];
            assert_eq!(
                run_split(&client, &server, &cut).joined(),
                whole,
                "cut at {at}"
            );
        }
    }
}

#[test]
fn a_data_frame_split_comes_out_in_pieces_of_the_bytes_fed() {
    let mut client = client_start();
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":method", "GET")]),
    ));
    let data_at = client.len() + 9;
    client.extend(frame(DATA, flag::END_STREAM, 1, b"0123456789"));
    let mut conn = Connection::new(C);
    let mut out = Vec::new();
    conn.feed(C, &client[..data_at + 4], &mut out);
    assert_eq!(conn.buffered(), 0, "DATA is never held");
    let Some(Output::Data {
        bytes,
        end_stream: false,
        ..
    }) = out.last()
    else {
        panic!("{out:?}")
    };
    assert_eq!(*bytes, data_at..data_at + 4);
    out.clear();
    conn.feed(C, &client[data_at + 4..], &mut out);
    assert_eq!(
        out,
        [Output::Data {
            stream: StreamId(1),
            dir: C,
            bytes: 0..6,
            end_stream: true
        }]
    );
}

#[test]
fn a_headers_frame_inside_another_streams_header_block_is_a_protocol_error() {
    let blocks = C3.map(hex);
    let mut client = client_start();
    client.extend(frame(HEADERS, 0, 1, &blocks[0][..5]));
    let interloper_at = client.len() as u64;
    client.extend(frame(HEADERS, EH_ES, 3, &blocks[1]));
    client.extend(frame(HEADERS, flag::END_HEADERS, 5, &blocks[2]));
    client.extend(frame(DATA, flag::END_STREAM, 5, b"still followed"));
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(
        run.problems(),
        [(
            C,
            interloper_at,
            Problem::ContinuationMissing {
                stream: StreamId(1),
                got: FrameType::Headers,
                got_stream: StreamId(3)
            }
        )]
    );
    // The HPACK state is lost: no more heads, but streams and their data are still followed.
    assert_eq!(run.requests(), []);
    assert_eq!(run.data(5, C), b"still followed");
    let text = run.problems()[0].2.to_string();
    assert!(
        text.contains("CONTINUATION") && text.contains("PROTOCOL_ERROR"),
        "{text}"
    );
}

#[test]
fn continuation_out_of_place_is_reported_and_skipped() {
    let mut client = client_start();
    let at = client.len() as u64;
    client.extend(frame(CONTINUATION, flag::END_HEADERS, 1, b"\x82"));
    client.extend(frame(HEADERS, EH_ES, 1, &hex(C3[0])));
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(
        run.problems(),
        [(
            C,
            at,
            Problem::UnexpectedContinuation {
                stream: StreamId(1)
            }
        )]
    );
    assert_eq!(run.requests(), [(StreamId(1), c3_lists()[0].clone())]);
}

#[test]
fn padding_longer_than_the_frame_is_a_protocol_error() {
    let mut client = client_start();
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":method", "GET")]),
    ));
    let data_at = client.len() as u64;
    client.extend(frame(DATA, flag::PADDED, 1, b"\x09abc"));
    let headers_at = client.len() as u64;
    client.extend(frame(HEADERS, flag::PADDED | EH_ES, 3, b"\x09\x82"));
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(
        run.problems(),
        [
            (
                C,
                data_at,
                Problem::PaddingTooLong {
                    kind: FrameType::Data,
                    stream: StreamId(1),
                    pad: 9,
                    room: 3
                }
            ),
            (
                C,
                headers_at,
                Problem::PaddingTooLong {
                    kind: FrameType::Headers,
                    stream: StreamId(3),
                    pad: 9,
                    room: 1
                }
            ),
        ]
    );
    assert_eq!(run.data(1, C), b"");
}

#[test]
fn a_frame_longer_than_the_receiver_allows_is_reported_and_read() {
    let mut client = client_start();
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":method", "GET")]),
    ));
    let long_at = client.len() as u64;
    let payload = vec![b'x'; 16_385];
    client.extend(frame(DATA, 0, 1, &payload));
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(
        run.problems(),
        [(
            C,
            long_at,
            Problem::FrameTooLong {
                kind: FrameType::Data,
                len: 16_385,
                max: 16_384
            }
        )]
    );
    assert_eq!(run.data(1, C), payload);
    // Once the server allows larger frames, they are fine.
    let mut run = Run::new();
    run.feed(S, &settings(&[(MAX_FRAME_SIZE, 1 << 15)]))
        .feed(C, &client);
    assert_eq!(run.problems(), []);
}

#[test]
fn a_frame_claiming_more_than_arrived_holds_only_what_arrived() {
    let claim = |len: usize| {
        let mut bytes = client_start();
        let head = FrameHeader {
            len: len as u32,
            kind: FrameType::Headers,
            flags: flag::END_HEADERS,
            stream: StreamId(1),
        };
        bytes.extend(head.encode());
        bytes.extend([0x82; 1000]);
        let mut conn = Connection::new(C);
        let mut out = Vec::new();
        conn.feed(S, &settings(&[(MAX_FRAME_SIZE, MAX_HELD as u32)]), &mut out);
        conn.feed(C, &bytes, &mut out);
        (conn.buffered(), out)
    };
    // The longest frame that is held: what arrived of it.
    let (held, out) = claim(MAX_HELD);
    assert_eq!(held, 1000);
    assert!(
        !out.iter().any(|o| matches!(o, Output::Problem { .. })),
        "{out:?}"
    );
    // Longer: not held at all, said so.
    let (held, out) = claim((1 << 24) - 1);
    assert_eq!(held, 0);
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Problem {
            problem: Problem::HeaderBlockTooLong { .. },
            ..
        }
    )));
}

#[test]
fn a_gap_stops_the_direction_at_its_offset() {
    let blocks = C3.map(hex);
    let mut client = client_start();
    client.extend(frame(HEADERS, EH_ES, 1, &blocks[0]));
    let gap_at = client.len() as u64;
    let mut run = Run::new();
    run.feed(C, &client)
        .gap(C, 30)
        .feed(C, &frame(HEADERS, EH_ES, 3, &blocks[1]));
    run.gap(C, 5);
    assert_eq!(run.problems(), [(C, gap_at, Problem::Gap { len: 30 })]);
    assert_eq!(run.requests().len(), 1);
    assert_eq!(
        run.conn.offset(C),
        gap_at + 30 + 9 + blocks[1].len() as u64 + 5
    );
    // The other direction goes on, and answers to requests that went missing are not taken
    // for frames on streams nobody opened.
    let mut server = settings(&[]);
    server.extend(frame(
        HEADERS,
        EH_ES,
        1,
        &literal_block(&[(":status", "200")]),
    ));
    server.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        3,
        &literal_block(&[(":status", "200")]),
    ));
    server.extend(frame(DATA, flag::END_STREAM, 3, b"for a request not seen"));
    run.feed(S, &server);
    assert_eq!(run.problems().len(), 1);
    assert_eq!(run.responses().len(), 1);
    assert!(
        run.seen
            .iter()
            .any(|s| matches!(s, Seen::Out(Output::Settings { dir: S, .. })))
    );
}

#[test]
fn a_gap_inside_a_data_payload_is_stepped_over() {
    let mut client = client_start();
    client.extend(frame(
        HEADERS,
        flag::END_HEADERS,
        1,
        &literal_block(&[(":method", "GET")]),
    ));
    let head_len = client.len() + 9;
    client.extend(frame(
        DATA,
        flag::PADDED | flag::END_STREAM,
        1,
        b"\x02abcdefgh\0\0",
    ));
    client.extend(frame(
        HEADERS,
        EH_ES,
        3,
        &literal_block(&[(":method", "GET")]),
    ));
    // 3 bytes of the payload, "cde", missing.
    let mut run = Run::new();
    run.feed(C, &client[..head_len + 3])
        .gap(C, 3)
        .feed(C, &client[head_len + 6..]);
    assert_eq!(run.problems(), []);
    assert_eq!(run.data(1, C), b"abfgh");
    assert!(run.seen.contains(&Seen::Out(Output::DataGap {
        stream: StreamId(1),
        dir: C,
        len: 3
    })));
    assert_eq!(run.requests().len(), 2);
    // The payload's end and padding missing: END_STREAM still counts.
    let mut run = Run::new();
    run.feed(S, &settings(&[]));
    run.feed(C, &client[..head_len + 3])
        .gap(C, 8)
        .feed(C, &client[head_len + 11..]);
    assert_eq!(run.problems(), []);
    assert_eq!(run.data(1, C), b"ab");
    assert_eq!(run.requests().len(), 2);
}

#[test]
fn a_connection_that_starts_with_the_preface_is_told_from_http1() {
    assert!(is_preface(&client_start()[..16]));
    assert!(is_preface(&busy_exchange().0));
    assert!(!is_preface(
        b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
    ));
}

#[test]
fn the_wrong_preface_and_a_first_frame_other_than_settings_are_reported() {
    let mut run = Run::new();
    run.feed(C, b"PRI * HTTP/2.0\r\n\r\nSM\r\nXX");
    assert_eq!(run.problems(), [(C, 22, Problem::NotPreface)]);
    let mut run = Run::new();
    run.feed(C, PREFACE)
        .feed(C, &frame(PING, 0, 0, b"12345678"));
    assert_eq!(
        run.problems(),
        [(
            C,
            24,
            Problem::FirstFrameNotSettings {
                kind: FrameType::Ping
            }
        )]
    );
}

#[test]
fn frames_of_the_wrong_size_or_stream_are_named_after_the_rfc_rule() {
    let mut client = client_start();
    client.extend(frame(HEADERS, flag::END_HEADERS, 1, b"\x82"));
    let mut at = vec![];
    let mut add = |bytes: Vec<u8>| {
        at.push(client.len() as u64);
        client.extend(bytes);
    };
    add(frame(PING, 0, 0, b"1234"));
    add(frame(SETTINGS, 0, 1, &[]));
    add(frame(SETTINGS, flag::ACK, 0, &[0; 6]));
    add(frame(SETTINGS, 0, 0, &[0; 5]));
    add(frame(WINDOW_UPDATE, 0, 0, &0u32.to_be_bytes()));
    add(frame(RST_STREAM, 0, 0, &[0; 4]));
    add(frame(RST_STREAM, 0, 9, &[0; 4]));
    add(frame(GOAWAY, 0, 0, &[0; 4]));
    add(frame(DATA, 0, 0, b"x"));
    add(frame(DATA, 0, 11, b"x"));
    add(frame(DATA, flag::PADDED, 1, b""));
    add(frame(HEADERS, flag::END_HEADERS, 2, b"\x82"));
    add(frame(PRIORITY, 0, 13, &[0, 0, 0, 13, 0]));
    add(settings(&[
        (0x2, 2),
        (0x4, 1 << 31),
        (MAX_FRAME_SIZE, 10),
        (ENABLE_CONNECT_PROTOCOL, 7),
    ]));
    let mut run = Run::new();
    run.feed(C, &client);
    let problems: Vec<_> = run.problems();
    let kinds: Vec<String> = problems.iter().map(|(_, _, p)| format!("{p:?}")).collect();
    let want = [
        "FrameSize { kind: Ping, len: 4, expected: \"8 bytes\" }",
        "ConnectionFrameOnStream { kind: Settings, stream: StreamId(1) }",
        "FrameSize { kind: Settings, len: 6, expected: \"empty with ACK\" }",
        "FrameSize { kind: Settings, len: 5, expected: \"a multiple of 6 bytes\" }",
        "ZeroWindowIncrement { stream: StreamId(0) }",
        "NeedsStream { kind: RstStream }",
        "IdleStream { kind: RstStream, stream: StreamId(9) }",
        "FrameSize { kind: GoAway, len: 4, expected: \"at least 8 bytes\" }",
        "NeedsStream { kind: Data }",
        "IdleStream { kind: Data, stream: StreamId(11) }",
        "FrameSize { kind: Data, len: 0, expected: \"at least 1 byte when PADDED\" }",
        "EvenStreamFromClient { stream: StreamId(2) }",
        "SelfDependency { kind: Priority, stream: StreamId(13) }",
    ];
    assert_eq!(kinds[..want.len()], want);
    for (i, (_, offset, _)) in problems.iter().take(want.len()).enumerate() {
        assert_eq!(*offset, at[i], "{}", kinds[i]);
    }
    assert_eq!(problems.len(), want.len() + 4, "{kinds:?}");
    for (_, _, p) in &problems {
        let text = p.to_string();
        assert!(text.len() > 30 && !text.contains("  "), "{text}");
    }
}

#[test]
fn streams_end_by_end_stream_reset_goaway_and_the_connection_closing() {
    let get = literal_block(&[(":method", "GET")]);
    let mut client = client_start();
    for stream in [1, 3, 5, 7] {
        client.extend(frame(HEADERS, flag::END_HEADERS, stream, &get));
    }
    client.extend(frame(DATA, flag::END_STREAM, 1, b""));
    client.extend(frame(DATA, flag::END_STREAM, 1, b"late"));
    let mut server = settings(&[]);
    server.extend(frame(
        HEADERS,
        EH_ES,
        1,
        &literal_block(&[(":status", "200")]),
    ));
    server.extend(frame(RST_STREAM, 0, 3, &0x2u32.to_be_bytes()));
    server.extend(frame(DATA, 0, 3, b"after the reset: stepped over quietly"));
    let mut goaway = 5u32.to_be_bytes().to_vec();
    goaway.extend(0xbu32.to_be_bytes());
    server.extend(frame(GOAWAY, 0, 0, &goaway));
    let mut run = Run::new();
    run.feed(C, &client).feed(S, &server).finish();
    let data_at = client_start().len() as u64 + 4 * (9 + get.len() as u64) + 9;
    assert_eq!(
        run.problems(),
        [(
            C,
            data_at,
            Problem::StreamClosed {
                kind: FrameType::Data,
                stream: StreamId(1)
            }
        )]
    );
    assert_eq!(
        run.ends(),
        [
            (StreamId(1), End::Finished),
            (
                StreamId(3),
                End::Reset {
                    by: S,
                    code: ErrorCode(0x2)
                }
            ),
            (
                StreamId(7),
                End::GoneAway {
                    by: S,
                    code: ErrorCode(0xb)
                }
            ),
            (StreamId(5), End::ConnectionClosed),
        ]
    );
    let goaway_code = run.seen.iter().find_map(|s| match s {
        Seen::Out(Output::GoAway { code, .. }) => Some(code.to_string()),
        _ => None,
    });
    assert_eq!(goaway_code.as_deref(), Some("ENHANCE_YOUR_CALM"));
}

#[test]
fn the_end_inside_a_frame_is_reported() {
    let mut client = client_start();
    let at = client.len() as u64;
    client.extend(&frame(HEADERS, 0, 1, &hex(C3[0]))[..12]);
    let mut run = Run::new();
    run.feed(C, &client).feed(S, &[0, 0]).finish();
    assert_eq!(
        run.problems(),
        [
            (
                C,
                at,
                Problem::CutInFrame {
                    kind: Some(FrameType::Headers)
                }
            ),
            (S, 0, Problem::CutInFrame { kind: None }),
        ]
    );
    let mut run = Run::new();
    run.feed(C, b"PRI").finish();
    assert_eq!(run.problems(), [(C, 0, Problem::CutInPreface)]);
}

#[test]
fn too_many_open_streams_forget_the_oldest() {
    let mut client = client_start();
    for i in 0..=MAX_STREAMS as u32 + 1 {
        client.extend(frame(HEADERS, flag::END_HEADERS, 1 + 2 * i, b"\x82"));
    }
    let mut run = Run::new();
    run.feed(C, &client);
    assert_eq!(run.requests().len(), MAX_STREAMS + 2);
    assert_eq!(
        run.ends(),
        [(StreamId(1), End::Forgotten), (StreamId(3), End::Forgotten)]
    );
    let problems = run.problems();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].2,
        Problem::TooManyStreams { limit: MAX_STREAMS }
    );
}

#[test]
fn a_header_list_bomb_keeps_the_first_fields_and_the_hpack_state() {
    // One large entry indexed, then referred to by 1-byte indexes many times over.
    let value = "v".repeat(3000);
    let mut block = vec![0x40, 1, b'x', 0x7f];
    let mut len = value.len() - 127;
    while len >= 128 {
        block.push((len % 128) as u8 | 0x80);
        len /= 128;
    }
    block.push(len as u8);
    block.extend(value.as_bytes());
    block.extend(std::iter::repeat_n(0xbe, 20_000)); // index 62: the entry just added
    // Too long for one frame: the rest in CONTINUATION frames.
    let mut client = client_start();
    let (first, rest) = block.split_at(16_000);
    client.extend(frame(HEADERS, flag::END_STREAM, 1, first));
    for (i, chunk) in rest.chunks(16_000).enumerate() {
        let last = (i + 1) * 16_000 >= rest.len();
        let flags = if last { flag::END_HEADERS } else { 0 };
        client.extend(frame(CONTINUATION, flags, 1, chunk));
    }
    client.extend(frame(HEADERS, EH_ES, 3, b"\x82\xbe"));
    let mut run = Run::new();
    run.feed(C, &client);
    let requests = run.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].1.len() < 100);
    assert_eq!(
        run.problems().into_iter().map(|p| p.2).collect::<Vec<_>>(),
        [Problem::HeadTooLong {
            stream: StreamId(1)
        }]
    );
    assert_eq!(requests[1].1[1], (b"x".to_vec(), value.into_bytes()));
}

#[test]
fn a_header_block_longer_than_is_held_loses_later_heads_only() {
    let mut client = client_start();
    // Frames of 128 KiB, which the server allows.
    let server = settings(&[(MAX_FRAME_SIZE, 1 << 20)]);
    let big = vec![0x82u8; MAX_BLOCK / 2 + 1];
    client.extend(frame(HEADERS, flag::END_STREAM, 1, &big));
    client.extend(frame(CONTINUATION, 0, 1, &big));
    client.extend(frame(CONTINUATION, flag::END_HEADERS, 1, &big));
    client.extend(frame(HEADERS, flag::END_HEADERS, 3, b"\x82"));
    client.extend(frame(DATA, flag::END_STREAM, 3, b"body"));
    let mut run = Run::new();
    run.feed(S, &server).feed(C, &client);
    assert!(matches!(
        run.problems()[..],
        [(
            C,
            _,
            Problem::HeaderBlockTooLong {
                stream: StreamId(1),
                ..
            }
        )]
    ));
    assert_eq!(run.requests(), []);
    assert_eq!(run.data(3, C), b"body");
    assert!(run.conn.buffered() < MAX_HELD);
}

#[test]
fn a_table_size_update_above_what_settings_allow_is_a_compression_error() {
    // Size update to 8192 while the client allows the default 4096.
    let mut client = client_start();
    let mut server = settings(&[]);
    client.extend(frame(HEADERS, EH_ES, 1, b"\x82"));
    server.extend(frame(HEADERS, EH_ES, 1, &[0x3f, 0xe1, 0x3f, 0x88]));
    let mut run = Run::new();
    run.feed(C, &client).feed(S, &server);
    assert!(matches!(
        run.problems()[..],
        [(
            S,
            _,
            Problem::Compression {
                stream: StreamId(1),
                ..
            }
        )]
    ));
    // Allowed once the client announced it.
    let mut client = client_start();
    client.extend(settings(&[(HEADER_TABLE_SIZE, 8192)]));
    client.extend(frame(HEADERS, EH_ES, 1, b"\x82"));
    let mut run = Run::new();
    run.feed(C, &client).feed(S, &server);
    assert_eq!(run.problems(), []);
    assert_eq!(run.responses().len(), 1);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A frame of any type, flags and stream, with a payload of any length up to 64 bytes, or a
    /// valid HEADERS block: what a hostile peer can send.
    fn any_frame() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            (
                0u8..12,
                any::<u8>(),
                0u32..8,
                prop::collection::vec(any::<u8>(), 0..64)
            )
                .prop_map(|(kind, flags, stream, payload)| frame(kind, flags, stream, &payload)),
            (0u32..8, any::<u8>()).prop_map(|(stream, flags)| frame(
                HEADERS,
                flags,
                stream,
                &hex(C3[0])
            )),
            prop::collection::vec(any::<u8>(), 0..20),
        ]
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_and_hold_little(
            preface in any::<bool>(),
            pieces in prop::collection::vec((any::<bool>(), prop::collection::vec(any::<u8>(), 0..200)), 0..12),
            gaps in prop::collection::vec(0u64..300, 0..3),
        ) {
            let mut conn = Connection::new(C);
            let mut out = Vec::new();
            if preface {
                conn.feed(C, PREFACE, &mut out);
            }
            for (i, (client, bytes)) in pieces.iter().enumerate() {
                let dir = if *client { C } else { S };
                conn.feed(dir, bytes, &mut out);
                if let Some(&len) = gaps.get(i) {
                    conn.gap(dir, len, &mut out);
                }
                prop_assert!(conn.buffered() <= 2 * (MAX_HELD + MAX_BLOCK + 9));
                for o in &out {
                    if let Output::Data { bytes: r, .. } = o {
                        prop_assert!(r.end <= bytes.len());
                    }
                }
                out.clear();
            }
            conn.finish(&mut out);
            prop_assert_eq!(conn.buffered(), 0);
        }

        #[test]
        fn arbitrary_frames_never_panic(
            frames in prop::collection::vec((any::<bool>(), any_frame()), 0..40),
            cut in 1usize..50,
        ) {
            let mut conn = Connection::new(C);
            let mut out = Vec::new();
            conn.feed(C, &client_start(), &mut out);
            for (client, bytes) in &frames {
                let dir = if *client { C } else { S };
                for piece in bytes.chunks(cut) {
                    conn.feed(dir, piece, &mut out);
                    for o in out.drain(..) {
                        if let Output::Data { bytes: r, .. } = &o {
                            prop_assert!(r.end <= piece.len());
                        }
                        if let Output::Problem { problem, .. } = o {
                            let _ = problem.to_string();
                        }
                    }
                }
            }
            conn.finish(&mut out);
        }

        #[test]
        fn any_cuts_of_a_valid_exchange_give_the_same_outputs(
            cuts in prop::collection::vec(0usize..2000, 0..12),
        ) {
            let (client, server) = busy_exchange();
            let whole = run_split(&client, &server, &|_| vec![]).joined();
            let split = |b: &[u8]| {
                let mut at: Vec<usize> = cuts.iter().map(|c| c % (b.len() + 1)).collect();
                at.sort_unstable();
                at
            };
            prop_assert_eq!(run_split(&client, &server, &split).joined(), whole);
        }
    }
}
