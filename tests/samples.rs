//! Every bundled sample decoded and compared with what is known from outside wsinspect: the log
//! each real peer wrote of the messages it sent and received, and tshark's dissection of every
//! frame (recorded once beside each capture by `samples/record/record-all.sh`).

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use wsinspect::capture::File;
use wsinspect::model::{EndHow, Event, Frame, Message, TlsRecord, TlsWhat};
use wsinspect::pipeline::{Options, Stats};
use wsinspect::tls::KeyLog;
use wsinspect::vocab::{ConnId, Opcode, PacketNo, Side};
use wsinspect::ws::Problem;

/// The events of one kind, e.g. `of!(d, Frame)`.
macro_rules! of {
    ($d:expr, $kind:ident) => {
        $d.events
            .iter()
            .filter_map(|e| match e {
                Event::$kind(x) => Some(x),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
}

struct Decoded {
    events: Vec<Event>,
    stats: Stats,
    /// The error that stopped reading, for a cut-off file.
    cut: Option<String>,
    /// conn → client port
    client_port: HashMap<ConnId, u16>,
}

fn decode(name: &str, decode_as: &[u16]) -> Decoded {
    let options = Options {
        decode_as: decode_as.to_vec(),
        ..Options::default()
    };
    decode_with(name, options)
}

fn decode_with(name: &str, options: Options) -> Decoded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    let mut file = File::open(&path, None).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (events, ended) = wsinspect::pipeline::collect(&mut file, options);
    let cut = ended.error.map(|e| e.to_string());
    let client_port = events
        .iter()
        .filter_map(|e| match e {
            Event::Connection(c) => Some((c.conn, c.client.port())),
            _ => None,
        })
        .collect();
    Decoded {
        events,
        stats: ended.stats,
        cut,
        client_port,
    }
}

fn log(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (client port, side that sent) → [(opcode, hex)] as the peers logged them. A peer's own "sent"
/// list is used; where a peer could not log (a browser), the other peer's "received" list.
fn logged_messages(lines: &[Value]) -> HashMap<(u16, Side), Vec<(u8, String)>> {
    let mut sent: HashMap<(u16, Side), Vec<(u8, String)>> = HashMap::new();
    let mut received: HashMap<(u16, Side), Vec<(u8, String)>> = HashMap::new();
    for l in lines {
        let port = l["client_port"].as_u64().unwrap() as u16;
        let peer = if l["peer"] == "client" {
            Side::Client
        } else {
            Side::Server
        };
        let msg = (
            l["opcode"].as_u64().unwrap() as u8,
            l["hex"].as_str().unwrap().to_owned(),
        );
        match l["event"].as_str().unwrap() {
            "sent" => sent.entry((port, peer)).or_default().push(msg),
            _ => {
                let sender = if peer == Side::Client {
                    Side::Server
                } else {
                    Side::Client
                };
                received.entry((port, sender)).or_default().push(msg);
            }
        }
    }
    for (key, list) in received {
        sent.entry(key).or_insert(list);
    }
    sent
}

fn decoded_messages(d: &Decoded) -> HashMap<(u16, Side), Vec<&Message>> {
    let mut out: HashMap<(u16, Side), Vec<&Message>> = HashMap::new();
    for e in &d.events {
        if let Event::Message(m) = e {
            out.entry((d.client_port[&m.conn], m.from))
                .or_default()
                .push(m);
        }
    }
    out
}

/// Asserts that the decoded messages equal the logged ones, direction by direction, except the
/// ones `expected_damage` names (by client port, side, index), which must carry a problem.
fn assert_messages_match(
    name: &str,
    d: &Decoded,
    lines: &[Value],
    expected_damage: &[(u16, Side, usize, Problem)],
) {
    let logged = logged_messages(lines);
    let decoded = decoded_messages(d);
    assert!(!logged.is_empty(), "{name}: empty log");
    for (key, want) in &logged {
        let got = decoded.get(key).map(Vec::as_slice).unwrap_or_default();
        let damaged: Vec<_> = expected_damage
            .iter()
            .filter(|(p, s, ..)| (*p, *s) == *key)
            .collect();
        let lost_at_end = damaged
            .iter()
            .filter(|(.., p)| *p == Problem::Truncated)
            .count();
        assert_eq!(
            got.len() + lost_at_end,
            want.len(),
            "{name} {key:?}: message count"
        );
        for (i, (m, (opcode, hex))) in got.iter().zip(want).enumerate() {
            assert_eq!(
                m.opcode.to_u8(),
                *opcode,
                "{name} {key:?} message {i}: opcode"
            );
            match damaged.iter().find(|(_, _, at, _)| *at == i) {
                Some((.., problem)) => {
                    assert!(
                        m.problems.contains(problem),
                        "{name} {key:?} message {i}: {:?}",
                        m.problems
                    );
                    assert_ne!(
                        hex::encode(&m.data),
                        *hex,
                        "{name} {key:?} message {i} should be damaged"
                    );
                }
                None => {
                    assert_eq!(
                        hex::encode(&m.data),
                        *hex,
                        "{name} {key:?} message {i}: bytes"
                    );
                    assert!(
                        m.problems.is_empty(),
                        "{name} {key:?} message {i}: {:?}",
                        m.problems
                    );
                }
            }
        }
    }
    for key in decoded.keys() {
        assert!(
            logged.contains_key(key),
            "{name}: messages no peer logged: {key:?}"
        );
    }
}

fn frames(d: &Decoded) -> Vec<&Frame> {
    of!(d, Frame)
}

/// Every frame field against tshark's dissection, per connection and direction in order.
fn assert_frames_match_tshark(name: &str, d: &Decoded) {
    let tshark = log(&format!("{name}.tshark.jsonl"));
    let mut want: HashMap<(u16, Side), Vec<&Value>> = HashMap::new();
    let ports: Vec<u16> = d.client_port.values().copied().collect();
    for t in &tshark {
        let (src, dst) = (
            t["src_port"].as_u64().unwrap() as u16,
            t["dst_port"].as_u64().unwrap() as u16,
        );
        let key = if ports.contains(&src) {
            (src, Side::Client)
        } else {
            (dst, Side::Server)
        };
        want.entry(key).or_default().push(t);
    }
    let mut got: HashMap<(u16, Side), Vec<&Frame>> = HashMap::new();
    for f in frames(d) {
        got.entry((d.client_port[&f.conn], f.from))
            .or_default()
            .push(f);
    }
    assert!(!want.is_empty(), "{name}: tshark saw no frames");
    for (key, want) in &want {
        let got = &got[key];
        assert_eq!(got.len(), want.len(), "{name} {key:?}: frame count");
        for (i, (f, t)) in got.iter().zip(want).enumerate() {
            let h = &f.header;
            let ctx = format!("{name} {key:?} frame {i} (tshark packet {})", t["frame"]);
            assert_eq!(h.fin, t["fin"].as_bool().unwrap(), "{ctx}: fin");
            let rsv = u64::from(h.rsv1) << 2 | u64::from(h.rsv2) << 1 | u64::from(h.rsv3);
            assert_eq!(rsv, t["rsv"].as_u64().unwrap(), "{ctx}: rsv");
            assert_eq!(
                u64::from(h.opcode.to_u8()),
                t["opcode"].as_u64().unwrap(),
                "{ctx}: opcode"
            );
            assert_eq!(
                h.mask.is_some(),
                t["mask"].as_bool().unwrap(),
                "{ctx}: mask"
            );
            assert_eq!(
                h.mask.map(hex::encode),
                t["masking_key"].as_str().map(str::to_owned),
                "{ctx}: key"
            );
            assert_eq!(
                h.len,
                t["payload_length"].as_u64().unwrap(),
                "{ctx}: length"
            );
            if let Some(payload) = t["payload_hex"].as_str() {
                assert_eq!(hex::encode(&f.payload), payload, "{ctx}: payload");
            }
            assert_eq!(
                f.packets.1,
                PacketNo(t["frame"].as_u64().unwrap()),
                "{ctx}: packet that completes it"
            );
        }
    }
}

fn connections(d: &Decoded) -> Vec<&wsinspect::model::Connection> {
    of!(d, Connection)
}

fn whole_sample(name: &str, file: &str) {
    let d = decode(file, &[]);
    assert!(d.cut.is_none(), "{name}: {:?}", d.cut);
    let conns = connections(&d);
    assert!(!conns.is_empty());
    for c in &conns {
        let h = c.handshake.as_ref().unwrap();
        assert!(h.accept_valid, "{name}: accept key of conn {}", c.conn);
    }
    assert_messages_match(name, &d, &log(&format!("{name}.log.jsonl")), &[]);
    assert_frames_match_tshark(name, &d);
    for f in frames(&d) {
        assert!(
            f.problems.is_empty(),
            "{name} frame {}: {:?}",
            f.n,
            f.problems
        );
    }
}

#[test]
fn echo() {
    whole_sample("echo", "echo.pcap");
}

#[test]
fn echo_timestamps_keep_microseconds() {
    let d = decode("echo.pcap", &[]);
    let tshark = log("echo.tshark.jsonl");
    let first = frames(&d)[0];
    // tshark prints 9 digits; a microsecond capture holds 6.
    let want = tshark[0]["time_epoch"].as_str().unwrap();
    assert_eq!(format!("{}000", first.ts), want);
}

#[test]
fn nanosecond_timestamps_keep_nanoseconds() {
    let d = decode("nanosecond.pcap", &[]);
    let tshark = log("nanosecond.tshark.jsonl");
    assert_eq!(
        frames(&d)[0].ts.to_string(),
        tshark[0]["time_epoch"].as_str().unwrap()
    );
    whole_sample("nanosecond", "nanosecond.pcap");
}

#[test]
fn pcapng() {
    whole_sample("pcapng-echo", "pcapng-echo.pcapng");
}

#[test]
fn linux_cooked_sll2() {
    whole_sample("any-sll2", "any-sll2.pcap");
}

#[test]
fn ipv6() {
    whole_sample("ipv6", "ipv6.pcap");
    let d = decode("ipv6.pcap", &[]);
    assert!(connections(&d)[0].client.to_string().starts_with("[::1]:"));
}

#[test]
fn mixed_lengths_fragments_and_control_frames() {
    whole_sample("mixed", "mixed.pcap");
    let d = decode("mixed.pcap", &[]);
    let fs = frames(&d);
    let lengths: Vec<_> = fs
        .iter()
        .map(|f| (f.header.len, f.header.length_form.bits()))
        .collect();
    assert!(lengths.contains(&(300, 16)), "{lengths:?}");
    assert!(lengths.contains(&(70000, 64)), "{lengths:?}");
    // The fragmented text with a ping between its fragments is one message of three frames.
    let fragmented: Vec<&Message> = decoded_messages(&d)
        .into_values()
        .flatten()
        .filter(|m| m.frames.len() == 3)
        .collect();
    assert!(!fragmented.is_empty());
    let close = decoded_messages(&d)
        .into_values()
        .flatten()
        .find(|m| m.opcode == Opcode::Close && m.from == Side::Server)
        .unwrap();
    assert_eq!(
        (close.close_code, close.close_reason.as_deref()),
        (Some(4000), Some("bye"))
    );
}

#[test]
fn permessage_deflate_with_and_without_context_takeover() {
    let d = decode("deflate.pcap", &[]);
    assert_messages_match("deflate", &d, &log("deflate.log.jsonl"), &[]);
    let conns = connections(&d);
    assert_eq!(conns.len(), 2);
    assert!(
        conns[1]
            .handshake
            .as_ref()
            .unwrap()
            .extensions
            .as_deref()
            .unwrap()
            .contains("no_context_takeover"),
        "{:?}",
        conns[1].handshake
    );
    // tshark leaves the compressed fragmented message un-inflated, but its frames are right.
    assert_frames_match_tshark("deflate", &d);
    let compressed = decoded_messages(&d)
        .into_values()
        .flatten()
        .filter(|m| m.compressed)
        .count();
    assert!(compressed > 20, "{compressed}");
}

#[test]
fn chatty_two_connections_side_by_side() {
    whole_sample("chatty", "chatty.pcap");
    let d = decode("chatty.pcap", &[]);
    assert_eq!(connections(&d).len(), 2);
    let per_conn = |conn: u32, compressed: bool| {
        of!(d, Message)
            .iter()
            .filter(|m| m.conn == ConnId(conn) && m.compressed == compressed)
            .count()
    };
    // Every data message of the second connection is compressed, none of the first; the
    // second has 3 pings, their pongs and 2 closes.
    assert_eq!((per_conn(0, true), per_conn(1, false)), (0, 2 * 3 + 2));
    assert!(per_conn(1, true) > 250, "{}", per_conn(1, true));
}

#[test]
fn chromium_with_deflate() {
    whole_sample("chromium", "chromium.pcap");
}

#[test]
fn socketio_after_long_polling() {
    whole_sample("socketio", "socketio.pcap");
}

#[test]
fn rejected_upgrade_then_a_good_one() {
    whole_sample("rejected", "rejected.pcap");
    let d = decode("rejected.pcap", &[]);
    let rejected = of!(d, Rejected);
    assert_eq!(rejected.len(), 1);
    assert_eq!(
        (
            rejected[0].path.as_str(),
            rejected[0].status,
            rejected[0].reason.as_str()
        ),
        ("/forbidden", 403, "Forbidden")
    );
}

#[test]
fn keep_alive_request_before_the_upgrade() {
    whole_sample("keepalive", "keepalive.pcap");
}

/// Plain HTTP exchanges (no upgrade asked for) as tshark lists them:
/// `tshark -r samples/NAME.pcap -d tcp.port==8766,http -d tcp.port==8767,http
///  -Y 'http.response and http.response.code != 101' -T fields -e frame.number
///  -e http.response.code -e http.response.phrase -e http.response_for.uri`
#[test]
fn plain_http_requests_are_reported_as_tshark_sees_them() {
    /// Packet of the response, method, path, status, reason.
    type Exchange<'a> = (u64, &'a str, &'a str, u16, &'a str);
    let cases: [(&str, &[Exchange]); 3] = [
        ("keepalive.pcap", &[(6, "GET", "/health", 200, "OK")]),
        (
            "chromium.pcap",
            &[
                (15, "GET", "/", 200, "OK"),
                (33, "GET", "/favicon.ico", 404, "Not Found"),
            ],
        ),
        (
            "socketio.pcap",
            &[
                (
                    6,
                    "GET",
                    "/socket.io/?EIO=4&transport=polling&t=fbhbqjzq",
                    200,
                    "OK",
                ),
                (
                    26,
                    "POST",
                    "/socket.io/?EIO=4&transport=polling&t=fbhc4c11&sid=ZKfnG55B-Ew9cKBOAAAA",
                    200,
                    "OK",
                ),
                (
                    34,
                    "GET",
                    "/socket.io/?EIO=4&transport=polling&t=fbhc6m7t&sid=ZKfnG55B-Ew9cKBOAAAA",
                    200,
                    "OK",
                ),
                (
                    46,
                    "GET",
                    "/socket.io/?EIO=4&transport=polling&t=fbhcfesq&sid=ZKfnG55B-Ew9cKBOAAAA",
                    200,
                    "OK",
                ),
            ],
        ),
    ];
    for (name, want) in cases {
        let d = decode(name, &[]);
        let got: Vec<_> = of!(d, Http)
            .iter()
            .map(|h| {
                (
                    h.packet.0,
                    h.method.as_str(),
                    h.path.as_str(),
                    h.status,
                    h.reason.as_str(),
                )
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
    // The refused upgrade of rejected.pcap is a rejection, not plain HTTP.
    assert!(of!(decode("rejected.pcap", &[]), Http).is_empty());
}

#[test]
fn lossy_reordered_duplicated_segments() {
    whole_sample("lossy", "lossy.pcap");
    let d = decode("lossy.pcap", &[]);
    assert!(
        !d.events.iter().any(|e| matches!(e, Event::Gap(_))),
        "retransmissions fill every hole"
    );
}

#[test]
fn midstream_needs_decode_as() {
    let without = decode("midstream.pcap", &[]);
    assert!(connections(&without).is_empty());
    assert_eq!(without.stats.other_flows, 1);
    assert_eq!(
        without
            .stats
            .other_ports
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![8765]
    );

    let d = decode("midstream.pcap", &[8765]);
    let conns = connections(&d);
    assert_eq!(conns.len(), 1);
    assert_eq!(
        conns[0].server.port(),
        8765,
        "the client is the side that masks"
    );
    assert_messages_match("midstream", &d, &log("midstream.log.jsonl"), &[]);
    assert_frames_match_tshark("midstream", &d);
}

#[test]
fn lost_segment_is_a_gap_not_glued_over() {
    let d = decode("lost-segment.pcap", &[]);
    let info: Value =
        serde_json::from_str(&std::fs::read_to_string("samples/lost-segment.info.json").unwrap())
            .unwrap();
    let missing = info["missing_bytes"].as_u64().unwrap();
    let gaps = of!(d, Gap);
    assert_eq!(gaps.len(), 1);
    assert_eq!((gaps[0].bytes, gaps[0].from), (missing, Side::Server));
    let port = d.client_port[&ConnId(0)];
    let index = info["message"]["index_in_direction"].as_u64().unwrap() as usize;
    assert_messages_match(
        "lost-segment",
        &d,
        &log("lost-segment.log.jsonl"),
        &[(port, Side::Server, index, Problem::Incomplete)],
    );
    let damaged = &decoded_messages(&d)[&(port, Side::Server)][index];
    assert_eq!(damaged.data.len() as u64, 8000 - missing);
}

#[test]
fn truncated_file_keeps_everything_before_the_cut() {
    let d = decode("truncated.pcap", &[]);
    assert!(
        d.cut
            .as_deref()
            .unwrap()
            .contains("cut off inside packet 46"),
        "{:?}",
        d.cut
    );
    let port = d.client_port[&ConnId(0)];
    let msgs = decoded_messages(&d);
    let last_server = msgs[&(port, Side::Server)].last().unwrap();
    assert!(
        last_server.problems.contains(&Problem::Incomplete),
        "the cut binary is shown, marked"
    );
    // Lost: the server's last binary is shown with what the capture holds; both closes are gone.
    assert_messages_match(
        "truncated",
        &d,
        &log("truncated.log.jsonl"),
        &[
            (port, Side::Server, 4, Problem::Incomplete),
            (port, Side::Server, 5, Problem::Truncated),
            (port, Side::Client, 5, Problem::Truncated),
        ],
    );
}

/// `tcpdump -s 96`: the handshake is cut, so without `-d` the connection cannot be followed,
/// and an HTTP anomaly says so and where; with `-d 8765` framing is picked up again at the
/// first frame after the handshake, and the 8 messages that fit their records are read whole.
#[test]
fn snaplen_cut_handshake_is_told_and_decode_as_reads_what_is_whole() {
    let without = decode("snaplen.pcap", &[]);
    assert!(connections(&without).is_empty());
    assert_eq!(without.stats.http_gaps, 1);
    let anomalies: Vec<_> = without
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Anomaly(a) => Some(a),
            _ => None,
        })
        .collect();
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    let a = anomalies[0];
    // 30 bytes of the request are in the first record (96 - 14 - 20 - 32, per samples/README.md).
    assert_eq!(
        (a.layer.name(), a.packet, a.offset),
        ("http", PacketNo(4), 30)
    );
    assert!(a.reason.contains("add -d 8765"), "{}", a.reason);

    let d = decode("snaplen.pcap", &[8765]);
    assert_eq!(connections(&d).len(), 1);
    let lines = log("snaplen.log.jsonl");
    // The 270-byte text (the fourth message each way) is cut by the snapshot length.
    let damage = [
        (58402, Side::Client, 3, Problem::Incomplete),
        (58402, Side::Server, 3, Problem::Incomplete),
    ];
    assert_messages_match("snaplen", &d, &lines, &damage);
    // What is there of the cut ones is their start, as the peers sent it.
    let logged = logged_messages(&lines);
    for (key, msgs) in decoded_messages(&d) {
        let got = hex::encode(&msgs[3].data);
        assert!(logged[&key][3].1.starts_with(&got), "{key:?}: {got}");
        assert!(got.len() >= 40, "{key:?}: {got}");
    }
}

#[test]
fn messages_over_several_segments() {
    whole_sample("segments", "segments.pcap");
    // samples/README.md: the messages of 5000, 8000 and 3000 B span 4, 6 and 3 TCP segments,
    // sent back to back in each direction.
    let d = decode("segments.pcap", &[]);
    let spans: Vec<_> = frames(&d)
        .iter()
        .filter(|f| f.header.len > 1448)
        .map(|f| {
            let (first, last) = f.packets;
            (f.header.len, last.0 - first.0 + 1)
        })
        .collect();
    assert_eq!(
        spans,
        [
            (5000, 4),
            (5000, 4),
            (8000, 6),
            (8000, 6),
            (3000, 3),
            (3000, 3)
        ]
    );
}

/// A frame's offset is where it lies in its sender's TCP stream: tshark's relative sequence
/// numbers (`tcp.seq` − 1) of echo.pcap's packets that begin with a frame: the client's 194-byte
/// request is followed by frames at 194, 220, 244; the server's 203-byte answer by 203, 232.
/// In the samples where no bytes went missing, each direction's frames follow one another
/// without a byte between.
#[test]
fn frame_offsets_are_where_frames_lie_in_the_stream() {
    let d = decode("echo.pcap", &[]);
    let at = |side: Side| -> Vec<u64> {
        frames(&d)
            .iter()
            .filter(|f| f.from == side)
            .map(|f| f.offset)
            .take(3)
            .collect()
    };
    assert_eq!(at(Side::Client), [194, 220, 244]);
    assert_eq!(at(Side::Server)[..2], [203, 232]);
    let mut checked = 0;
    for name in [
        "echo.pcap",
        "chatty.pcap",
        "deflate.pcap",
        "segments.pcap",
        "keepalive.pcap",
        "socketio.pcap",
        "mixed.pcap",
        "ipv6.pcap",
        "chromium.pcap",
    ] {
        let d = decode(name, &[]);
        assert!(of!(d, Gap).is_empty(), "{name}: no bytes missing");
        let mut next: HashMap<(ConnId, Side), u64> = HashMap::new();
        for f in frames(&d) {
            if let Some(want) = next.get(&(f.conn, f.from)) {
                assert_eq!(f.offset, *want, "{name} conn {} frame {}", f.conn, f.n);
                checked += 1;
            }
            let end = f.offset + u64::from(f.header.header_len) + f.header.len;
            next.insert((f.conn, f.from), end);
        }
    }
    assert!(checked > 100, "{checked} frames checked");
}

/// Bytes held across connections are bounded: with a 32 KiB limit, mixed.pcap's 70,000-byte
/// binary frame (samples/README.md) cannot be held while it arrives, so its connection is no
/// longer followed, and said to be evicted rather than left open or silently cut; what came
/// before it is decoded as the peers logged it.
#[test]
fn a_connection_past_the_buffer_limit_is_evicted_and_told() {
    let d = decode_with(
        "mixed.pcap",
        Options {
            buffer_limit: 32 << 10,
            ..Options::default()
        },
    );
    assert_eq!(d.stats.evicted_for_memory, 1);
    let ends: Vec<EndHow> = d
        .events
        .iter()
        .filter_map(|e| match e {
            Event::End(e) => Some(e.how),
            _ => None,
        })
        .collect();
    assert_eq!(ends, [EndHow::Evicted]);
    // The frame it was inside is said to be cut by the eviction, not by the capture's end.
    let last = frames(&d).into_iter().last().unwrap();
    assert_eq!(last.header.len, 70_000);
    assert!(
        last.problems.contains(&Problem::Evicted),
        "{:?}",
        last.problems
    );
    assert!(!last.problems.contains(&Problem::Truncated));
    let logged = logged_messages(&log("mixed.log.jsonl"));
    for (key, got) in decoded_messages(&d) {
        let want = &logged[&key];
        assert!(got.len() < want.len(), "{key:?}: decoding stopped early");
        for (m, (opcode, hex)) in got.iter().zip(want) {
            if m.problems.is_empty() {
                assert_eq!(
                    (m.opcode.to_u8(), hex::encode(&m.data)),
                    (*opcode, hex.clone())
                );
            }
        }
    }
    // The whole capture fits the default limit.
    assert_eq!(decode("mixed.pcap", &[]).stats.evicted_for_memory, 0);
}

// ---------------------------------------------------------------------------------------------
// wss: TLS decrypted with the key logs the peers wrote. Each sample's messages against the
// peers' logs, its frames against tshark's decrypted dissection, and each connection's TLS
// against what tshark read of its handshake (samples/README.md, "wss samples").

/// A sample decoded with the key log beside it (`NAME.keys`), or none.
fn decode_wss(file: &str, keys: Option<&str>) -> Decoded {
    let mut keylog = KeyLog::new();
    if let Some(keys) = keys {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(keys);
        keylog.follow(&path).unwrap();
        assert_eq!(
            keylog.bad_lines().0,
            0,
            "{keys}: every line is a key log line"
        );
    }
    decode_with(
        file,
        Options {
            keylog,
            ..Options::default()
        },
    )
}

/// What tshark read of a connection's TLS: (client port, version, suite, resumed, EtM).
type TlsFacts = (u16, &'static str, &'static str, bool, bool);

fn whole_wss_sample(name: &str, file: &str, keys: Option<&str>, facts: &[TlsFacts]) -> Decoded {
    let d = decode_wss(file, keys);
    assert!(d.cut.is_none(), "{name}: {:?}", d.cut);
    let conns = connections(&d);
    assert_eq!(conns.len(), facts.len(), "{name}: WebSocket connections");
    for (c, (port, version, suite, resumed, etm)) in conns.iter().zip(facts) {
        let ctx = format!("{name} conn {}", c.conn);
        assert_eq!(c.client.port(), *port, "{ctx}: client port");
        assert!(c.handshake.as_ref().unwrap().accept_valid, "{ctx}: accept");
        let tls = c.tls.as_ref().unwrap_or_else(|| panic!("{ctx}: no tls"));
        assert_eq!(tls.version_name().as_deref(), Some(*version), "{ctx}");
        assert_eq!(tls.cipher_name().as_deref(), Some(*suite), "{ctx}");
        assert_eq!(tls.sni.as_deref(), Some("wss.test"), "{ctx}: SNI");
        assert_eq!(tls.alpn.as_deref(), Some("http/1.1"), "{ctx}: ALPN chosen");
        assert_eq!(tls.resumed, *resumed, "{ctx}: resumed");
        assert_eq!(tls.encrypt_then_mac, *etm, "{ctx}: encrypt-then-MAC");
        assert!(tls.decrypted, "{ctx}: decrypted");
        assert_eq!(c.http2_stream, None);
    }
    assert_messages_match(name, &d, &log(&format!("{name}.log.jsonl")), &[]);
    assert_frames_match_tshark(name, &d);
    for f in frames(&d) {
        assert!(
            f.problems.is_empty(),
            "{name} frame {}: {:?}",
            f.n,
            f.problems
        );
    }
    let anomalies = of!(d, Anomaly);
    assert!(anomalies.is_empty(), "{name}: {anomalies:?}");
    // wss-embedded holds wss-python's packets.
    let records = if name == "wss-embedded" {
        "wss-python"
    } else {
        name
    };
    assert_records_match_tshark(records, &d);
    d
}

/// The TLS records told for a sample, against tshark's list of every record of the capture
/// (`samples/NAME.tls-records.jsonl`, made by `samples/record/tls_records.py`), in which each
/// sender's records are numbered from 0 in order:
/// - each record told is the one tshark has under its number: length, type, version, and the
///   packet it completes in;
/// - from a connection's first record told on, every record that carried application data is
///   told, in order, its plaintext following on from the one before;
/// - every frame's bytes lie whole in the records found for it.
fn assert_records_match_tshark(name: &str, d: &Decoded) {
    let lines = log(&format!("{name}.tls-records.jsonl"));
    const SERVER_PORT: u64 = 8443;
    let num = |l: &Value, k: &str| l[k].as_u64().unwrap();
    let mut client_of_stream: HashMap<u64, u64> = HashMap::new();
    for l in &lines {
        if num(l, "src_port") != SERVER_PORT {
            client_of_stream.insert(num(l, "tcp_stream"), num(l, "src_port"));
        }
    }
    let mut tshark: HashMap<(u16, Side), Vec<&Value>> = HashMap::new();
    for l in &lines {
        let client = client_of_stream[&num(l, "tcp_stream")];
        let side = if num(l, "src_port") == client {
            Side::Client
        } else {
            Side::Server
        };
        tshark.entry((client as u16, side)).or_default().push(l);
    }
    let mut told: HashMap<(ConnId, Side), Vec<&TlsRecord>> = HashMap::new();
    for r in of!(d, TlsRecord) {
        told.entry((r.conn, r.from)).or_default().push(r);
    }
    assert_eq!(
        told.len(),
        2 * d.client_port.len(),
        "{name}: records of each connection and side"
    );
    for ((conn, side), records) in &told {
        let want = &tshark[&(d.client_port[conn], *side)];
        let ctx = format!("{name} conn {conn} {side:?}");
        for r in records {
            let t = want[r.number as usize];
            let ctx = format!("{ctx} record {} (tshark packet {})", r.number, t["packet"]);
            assert_eq!(r.len() as u64, num(t, "length"), "{ctx}: length");
            assert_eq!(u64::from(r.header[0]), num(t, "type"), "{ctx}: type");
            let version = format!("0x{:02x}{:02x}", r.header[1], r.header[2]);
            assert_eq!(version, t["version"].as_str().unwrap(), "{ctx}: version");
            assert_eq!(r.packets.1, PacketNo(num(t, "packet")), "{ctx}: packet");
            assert_eq!(
                r.head().len(),
                r.len().min(TlsRecord::HEAD),
                "{ctx}: ciphertext"
            );
        }
        let numbers: Vec<u64> = records.iter().map(|r| r.number).collect();
        let data: Vec<u64> = (numbers[0] as usize..want.len())
            .filter(|i| want[*i]["content"].as_u64() == Some(23))
            .map(|i| i as u64)
            .collect();
        assert_eq!(
            numbers, data,
            "{ctx}: every application data record, in order"
        );
        for pair in records.windows(2) {
            assert_eq!(
                pair[0].plain.1, pair[1].plain.0,
                "{ctx}: plaintext follows on"
            );
        }
    }
    for f in frames(d) {
        let records = &told[&(f.conn, f.from)];
        let start = f.offset;
        let end = start + u64::from(f.header.header_len) + f.header.len;
        let covered: u64 = records
            .iter()
            .map(|r| r.plain.1.min(end).saturating_sub(r.plain.0.max(start)))
            .sum();
        assert_eq!(
            covered,
            end - start,
            "{name} conn {} frame {}: in the records",
            f.conn,
            f.n
        );
    }
}

/// A record over several TCP segments spans the packets that held its first and last bytes:
/// wss-node-chacha.pcap with every TCP payload cut into segments of at most 1000 bytes (the
/// packets renumbered, headers rewritten; the TLS bytes unchanged). Where each record lies in
/// its sender's TCP stream follows from tshark's list of the original capture's records: they
/// follow one another from the stream's first byte, 5 header bytes and the body each.
#[test]
fn a_record_over_several_segments_spans_their_packets() {
    use wsinspect::capture::{Poll, Source};
    use wsinspect::link::LinkType;
    const CUT: usize = 1000;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wss-node-chacha.pcap");
    let mut file = File::open(&path, None).unwrap();
    let link = file.link();
    assert_eq!(link, LinkType::Ethernet);
    // (ts, bytes) of each new packet, and for each sender port the stream range it holds.
    let mut packets = Vec::new();
    let mut held: HashMap<u16, Vec<(u64, u64, u64)>> = HashMap::new();
    let mut sent: HashMap<u16, u64> = HashMap::new();
    while let Poll::Packet(p) = file.next_packet().unwrap() {
        let (ip, ts) = (14, p.ts);
        let data = p.data.to_vec();
        let ihl = usize::from(data[ip] & 0x0f) * 4;
        let tcp = ip + ihl;
        let doff = usize::from(data[tcp + 12] >> 4) * 4;
        let payload = tcp + doff;
        let port = u16::from_be_bytes([data[tcp], data[tcp + 1]]);
        let seq = u32::from_be_bytes(data[tcp + 4..tcp + 8].try_into().unwrap());
        let body = &data[payload..];
        if body.is_empty() {
            packets.push((ts, data.clone()));
            continue;
        }
        for (k, piece) in body.chunks(CUT).enumerate() {
            let mut cut = data[..payload].to_vec();
            cut.extend_from_slice(piece);
            let total = u16::try_from(cut.len() - ip).unwrap();
            cut[ip + 2..ip + 4].copy_from_slice(&total.to_be_bytes());
            let at = seq.wrapping_add(u32::try_from(k * CUT).unwrap());
            cut[tcp + 4..tcp + 8].copy_from_slice(&at.to_be_bytes());
            packets.push((ts, cut));
            let start = sent.entry(port).or_default();
            let number = packets.len() as u64;
            held.entry(port)
                .or_default()
                .push((*start, *start + piece.len() as u64, number));
            *start += piece.len() as u64;
        }
    }
    let mut keylog = KeyLog::new();
    keylog
        .follow(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wss-node-chacha.keys"))
        .unwrap();
    let mut pipeline = wsinspect::pipeline::Pipeline::new(
        link,
        Options {
            keylog,
            ..Options::default()
        },
    );
    let mut events = Vec::new();
    for (i, (ts, data)) in packets.iter().enumerate() {
        pipeline.packet(PacketNo(i as u64 + 1), *ts, data, &mut events);
    }
    pipeline.finish(&mut events);
    let d = Decoded {
        events,
        stats: Default::default(),
        cut: None,
        client_port: HashMap::new(),
    };
    // The same frames as from the capture as it was.
    let whole = decode_wss("wss-node-chacha.pcap", Some("wss-node-chacha.keys"));
    let key = |f: &&Frame| (f.from, f.offset, f.header.len, f.payload.clone());
    let cut: Vec<_> = frames(&d).iter().map(key).collect();
    assert_eq!(cut, frames(&whole).iter().map(key).collect::<Vec<_>>());
    let packet_of = |port: u16, byte: u64| {
        held[&port]
            .iter()
            .find(|(start, end, _)| (*start..*end).contains(&byte))
            .map(|(_, _, n)| PacketNo(*n))
            .unwrap()
    };
    let lines = log("wss-node-chacha.tls-records.jsonl");
    let mut spans = 0;
    for r in of!(d, TlsRecord) {
        let port = if r.from == Side::Client { 49806 } else { 8443 };
        let mut start = 0;
        let mine = lines.iter().filter(|l| l["src_port"] == port);
        for l in mine.take(r.number as usize) {
            start += 5 + l["length"].as_u64().unwrap();
        }
        let end = start + 5 + r.len() as u64;
        let want = (packet_of(port, start), packet_of(port, end - 1));
        assert_eq!(r.packets, want, "{:?} record {}", r.from, r.number);
        spans += usize::from(want.0 != want.1);
    }
    // The 20000-byte message's records (16401 and 3652 bytes, and the echo's) span several.
    assert!(spans >= 4, "{spans} records over several segments");
}

const AES256: &str = "TLS_AES_256_GCM_SHA384";

#[test]
fn wss_python_tls13_aes256_with_deflate() {
    whole_wss_sample(
        "wss-python",
        "wss-python.pcap",
        Some("wss-python.keys"),
        &[(48214, "1.3", AES256, false, false)],
    );
}

#[test]
fn wss_keys_embedded_in_the_pcapng_need_no_key_log() {
    // Same packets as wss-python; the key log travels in a Decryption Secrets Block.
    whole_wss_sample(
        "wss-embedded",
        "wss-embedded.pcapng",
        None,
        &[(48214, "1.3", AES256, false, false)],
    );
}

#[test]
fn wss_node_chacha20_with_deflate_and_a_message_over_two_records() {
    let d = whole_wss_sample(
        "wss-node-chacha",
        "wss-node-chacha.pcap",
        Some("wss-node-chacha.keys"),
        &[(49806, "1.3", "TLS_CHACHA20_POLY1305_SHA256", false, false)],
    );
    // samples/README.md: the 20000-byte message (a frame of 20011 bytes, deflated) travels in
    // two records each way: 16401 + 3652 bytes from the client (tshark packet 14), 16401 +
    // 3648 from the server (packet 16), the client's records 6 and 7, the server's 11 and 12.
    let big: Vec<Vec<(u64, usize, u64)>> = frames(&d)
        .iter()
        .filter(|f| f.header.len == 20011)
        .map(|f| {
            records_of(&d, f)
                .iter()
                .map(|r| (r.number, r.len(), r.packets.1.0))
                .collect()
        })
        .collect();
    assert_eq!(
        big,
        [
            vec![(6, 16401, 14), (7, 3652, 14)],
            vec![(11, 16401, 16), (12, 3648, 16)]
        ]
    );
}

/// The records that carried bytes of frame `f`, in order.
fn records_of<'a>(d: &'a Decoded, f: &Frame) -> Vec<&'a TlsRecord> {
    let end = f.offset + u64::from(f.header.header_len) + f.header.len;
    of!(d, TlsRecord)
        .into_iter()
        .filter(|r| r.conn == f.conn && r.from == f.from)
        .filter(|r| r.plain.0 < end && r.plain.1 > f.offset)
        .collect()
}

#[test]
fn wss_tls12_gcm_and_chacha20_with_rsa_and_ecdsa() {
    whole_wss_sample(
        "wss-tls12-gcm",
        "wss-tls12-gcm.pcap",
        Some("wss-tls12-gcm.keys"),
        &[
            (
                36122,
                "1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                false,
                false,
            ),
            (
                36128,
                "1.2",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
                false,
                false,
            ),
            (
                36132,
                "1.2",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                false,
                false,
            ),
        ],
    );
}

#[test]
fn wss_tls12_cbc_with_and_without_encrypt_then_mac() {
    let d = whole_wss_sample(
        "wss-tls12-cbc",
        "wss-tls12-cbc.pcap",
        Some("wss-tls12-cbc.keys"),
        &[
            (
                35506,
                "1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                false,
                true,
            ),
            (
                35520,
                "1.2",
                "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
                false,
                false,
            ),
            (
                35528,
                "1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
                false,
                true,
            ),
            (
                35536,
                "1.2",
                "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
                false,
                false,
            ),
        ],
    );
    // samples/README.md: conn 0's 17000-byte binary, two records each way (tshark: 16436 + 676
    // bytes from the client in packet 18, 16436 + 660 from the server in packet 20).
    let big: Vec<Vec<(usize, u64)>> = frames(&d)
        .iter()
        .filter(|f| f.header.len == 17000)
        .map(|f| {
            records_of(&d, f)
                .iter()
                .map(|r| (r.len(), r.packets.1.0))
                .collect()
        })
        .collect();
    assert_eq!(
        big,
        [vec![(16436, 18), (676, 18)], vec![(16436, 20), (660, 20)]]
    );
}

#[test]
fn wss_resumed_by_psk_ticket_and_session_id() {
    let tls12 = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384";
    whole_wss_sample(
        "wss-resumed",
        "wss-resumed.pcap",
        Some("wss-resumed.keys"),
        &[
            (37124, "1.3", AES256, false, false),
            (37134, "1.3", AES256, true, false),
            (37148, "1.2", tls12, false, false),
            (37160, "1.2", tls12, true, false),
            (37174, "1.2", tls12, false, false),
            (37178, "1.2", tls12, true, false),
        ],
    );
}

/// The TLS notes of a decoded sample: (client port, reason).
fn tls_notes(d: &Decoded) -> Vec<(u16, String)> {
    of!(d, Tls)
        .iter()
        .filter_map(|n| match &n.what {
            TlsWhat::Undecryptable(why) => Some((n.client.port(), why.to_string())),
            TlsWhat::Alert { .. } => None,
        })
        .collect()
}

#[test]
fn wss_missing_key_decrypts_one_connection_and_says_why_not_the_other() {
    let d = decode_wss("wss-missing-key.pcap", Some("wss-missing-key.keys"));
    let conns = connections(&d);
    assert_eq!(conns.len(), 1);
    assert_eq!(conns[0].client.port(), 33892);
    assert_eq!(
        tls_notes(&d),
        [(
            33896,
            "no key for this connection in the key log".to_owned()
        )]
    );
    let notes = of!(d, Tls);
    let note = notes
        .iter()
        .find(|n| matches!(n.what, TlsWhat::Undecryptable(_)))
        .unwrap();
    // What the cleartext hellos say is still told.
    assert_eq!(note.tls.sni.as_deref(), Some("wss.test"));
    assert_eq!(note.tls.cipher_name().as_deref(), Some(AES256));
    assert!(!note.tls.decrypted);
    // Conn 0 matches its log; conn 1's messages are in the log but cannot be read.
    let lines: Vec<Value> = log("wss-missing-key.log.jsonl")
        .into_iter()
        .filter(|l| l["client_port"] == 33892)
        .collect();
    assert_messages_match("wss-missing-key", &d, &lines, &[]);
    assert_eq!(d.stats.tls_undecryptable, 1);
}

#[test]
fn wss_without_a_key_log_is_told_per_connection() {
    let d = decode_wss("wss-missing-key.pcap", None);
    assert!(connections(&d).is_empty());
    assert_eq!(
        tls_notes(&d),
        [
            (33892, "no key log given".to_owned()),
            (33896, "no key log given".to_owned())
        ]
    );
}

#[test]
fn wss_keys_of_another_capture_open_nothing() {
    // wss-python's keys are for other client randoms: every connection says so.
    let d = decode_wss("wss-missing-key.pcap", Some("wss-python.keys"));
    assert!(connections(&d).is_empty());
    let reasons: Vec<String> = tls_notes(&d).into_iter().map(|(_, r)| r).collect();
    assert_eq!(reasons, ["no key for this connection in the key log"; 2]);
}

#[test]
fn wss_chromium_resumed_websocket_beside_page_loads() {
    let d = whole_wss_sample(
        "wss-chromium",
        "wss-chromium.pcap",
        Some("wss-chromium.keys"),
        &[(39564, "1.3", AES256, true, false)],
    );
    // The connection Chromium abandoned after its ClientHello never had keys; it is told
    // as abandoned, not as a key the log lacks.
    let notes = tls_notes(&d);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].0, 39558);
    assert!(
        notes[0]
            .1
            .starts_with("the client left before the handshake finished")
    );
    assert_eq!((d.stats.tls_abandoned, d.stats.tls_undecryptable), (1, 0));
    // The page and the favicon, decrypted: plain HTTP over TLS.
    let http: Vec<(u16, String, u16)> = of!(d, Http)
        .iter()
        .map(|h| (h.client.port(), h.path.clone(), h.status))
        .collect();
    assert_eq!(
        http,
        [
            (39562, "/".to_owned(), 200),
            (39574, "/favicon.ico".to_owned(), 404)
        ]
    );
}

#[test]
fn wss_alerts_are_told_with_who_sent_them() {
    // tshark (-Y tls.alert_message) finds close_notify (level 1, description 0) from the server
    // in packet 22 and from the client in packet 24, both on the decrypted connection.
    let d = decode_wss("wss-missing-key.pcap", Some("wss-missing-key.keys"));
    let alerts: Vec<(u64, Side, String, Option<ConnId>)> = of!(d, Tls)
        .iter()
        .filter_map(|n| match &n.what {
            TlsWhat::Alert { from, alert } => Some((n.packet.0, *from, alert.to_string(), n.conn)),
            TlsWhat::Undecryptable(_) => None,
        })
        .collect();
    let close = "warning close_notify".to_owned();
    assert_eq!(
        alerts,
        [
            (22, Side::Server, close.clone(), Some(ConnId(0))),
            (24, Side::Client, close, Some(ConnId(0)))
        ]
    );
}

/// A copy of `keys` with every secret changed but the client randoms kept.
fn spoiled_keys(keys: &str, dir: &Path) -> String {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(keys),
    )
    .unwrap();
    let spoiled: String = text
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            if l.starts_with('#') || f.len() != 3 {
                return format!("{l}\n");
            }
            let secret: Vec<u8> = hex::decode(f[2])
                .unwrap()
                .iter()
                .map(|b| b ^ 0x5a)
                .collect();
            format!("{} {} {}\n", f[0], f[1], hex::encode(secret))
        })
        .collect();
    let path = dir.join(keys);
    std::fs::write(&path, spoiled).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn wss_keys_that_do_not_match_are_told_once_and_nothing_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let keys = spoiled_keys("wss-python.keys", dir.path());
    let mut keylog = KeyLog::new();
    keylog.follow(Path::new(&keys)).unwrap();
    let d = decode_with(
        "wss-python.pcap",
        Options {
            keylog,
            ..Options::default()
        },
    );
    // No plaintext comes out of records that fail their tag.
    assert!(connections(&d).is_empty());
    assert!(frames(&d).is_empty());
    assert_eq!(
        tls_notes(&d),
        [(
            48214,
            "every record failed authentication: the key log's secrets for this connection do \
             not match it"
                .to_owned()
        )]
    );
    // The first record that failed is named, once.
    let anomalies = of!(d, Anomaly);
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0].layer, wsinspect::model::Layer::Tls);
}

#[test]
fn wss_capture_cut_short_keeps_what_came_before() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wss-node-chacha.pcap");
    let bytes = std::fs::read(&path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut keylog = KeyLog::new();
    keylog
        .follow(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/wss-node-chacha.keys"))
        .unwrap();
    let whole = decode_wss("wss-node-chacha.pcap", Some("wss-node-chacha.keys"));
    let all = of!(whole, Message).len();
    // Cut inside a packet at many places: never a panic, the messages before the cut intact.
    for cut in (100..bytes.len()).step_by(997) {
        let cut_path = dir.path().join("cut.pcap");
        std::fs::write(&cut_path, &bytes[..cut]).unwrap();
        let mut file = File::open(&cut_path, None).unwrap();
        let options = Options {
            keylog: keylog.clone(),
            ..Options::default()
        };
        let (events, _) = wsinspect::pipeline::collect(&mut file, options);
        let got: Vec<&Message> = events
            .iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        assert!(got.len() <= all);
        let want = of!(whole, Message);
        for m in got.iter().filter(|m| m.problems.is_empty()) {
            assert!(
                want.contains(m),
                "cut at {cut}: a message that was not in the capture"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket over HTTP/2 (RFC 8441): each extended CONNECT stream a WebSocket connection of its
// own. Messages against the peers' logs (which name the stream), handshakes against tshark's
// HTTP/2 dissection (`NAME.tshark-h2.jsonl`: tshark 4.0 reads HTTP/2 but not the WebSocket
// inside it).

/// A HEADERS frame as tshark decoded it: (frame, stream, from the client, fields).
type TsharkHead = (u64, u32, bool, Vec<(String, String)>);

/// tshark's HEADERS frames of one connection of a sample.
fn tshark_heads(name: &str, client_port: u16) -> Vec<TsharkHead> {
    log(&format!("{name}.tshark-h2.jsonl"))
        .iter()
        .filter(|l| l["type_name"] == "HEADERS" && l["headers"].is_array())
        .filter(|l| l["src_port"] == client_port || l["dst_port"] == client_port)
        .map(|l| {
            let fields = l["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f[0].as_str().unwrap().to_owned(),
                        f[1].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (
                l["frame"].as_u64().unwrap(),
                l["stream_id"].as_u64().unwrap() as u32,
                l["src_port"] == client_port,
                fields,
            )
        })
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Decodes an HTTP/2 sample and checks every WebSocket stream; returns the decoded events.
fn whole_h2_sample(name: &str, file: &str, keys: Option<&str>, streams: &[(u32, &str)]) -> Decoded {
    let d = decode_wss(file, keys);
    assert!(d.cut.is_none(), "{name}: {:?}", d.cut);
    let conns = connections(&d);
    let got: Vec<(u32, &str)> = conns
        .iter()
        .map(|c| {
            (
                c.http2_stream.unwrap(),
                c.handshake.as_ref().unwrap().path.as_str(),
            )
        })
        .collect();
    assert_eq!(got, streams, "{name}: WebSocket streams and their paths");
    let lines = log(&format!("{name}.log.jsonl"));
    for c in &conns {
        let stream = c.http2_stream.unwrap();
        let port = c.client.port();
        let h = c.handshake.as_ref().unwrap();
        let ctx = format!("{name} stream {stream}");
        // No key and no accept in RFC 8441.
        assert_eq!((&h.key, &h.accept), (&None, &None), "{ctx}");
        // The CONNECT and its answer as tshark decoded them; the connection is told at the
        // packet of the answer.
        let heads = tshark_heads(name, port);
        let (_, _, _, request) = heads
            .iter()
            .find(|(_, s, from_client, _)| *s == stream && *from_client)
            .unwrap();
        let (frame, _, _, response) = heads
            .iter()
            .find(|(_, s, from_client, _)| *s == stream && !*from_client)
            .unwrap();
        assert_eq!(field(request, ":method"), Some("CONNECT"), "{ctx}");
        assert_eq!(field(request, ":protocol"), Some("websocket"), "{ctx}");
        assert_eq!(field(request, ":path"), Some(h.path.as_str()), "{ctx}");
        assert_eq!(field(request, ":authority"), h.host.as_deref(), "{ctx}");
        assert_eq!(field(response, ":status"), Some("200"), "{ctx}");
        assert_eq!(
            field(response, "sec-websocket-extensions"),
            h.extensions.as_deref(),
            "{ctx}"
        );
        assert_eq!(
            field(response, "sec-websocket-protocol"),
            h.subprotocol.as_deref(),
            "{ctx}"
        );
        assert_eq!(c.packet, PacketNo(*frame), "{ctx}: packet of the answer");
        // Every message, both ways, as the peers logged it.
        let of_stream: Vec<Value> = lines
            .iter()
            .filter(|l| l["h2_stream"] == stream && l["client_port"] == port)
            .cloned()
            .collect();
        let logged = logged_messages(&of_stream);
        for side in [Side::Client, Side::Server] {
            let want = &logged[&(port, side)];
            let got: Vec<(u8, String)> = of!(d, Message)
                .iter()
                .filter(|m| m.conn == c.conn && m.from == side)
                .map(|m| {
                    assert!(m.problems.is_empty(), "{ctx}: {:?}", m.problems);
                    (m.opcode.to_u8(), hex::encode(&m.data))
                })
                .collect();
            assert_eq!(&got, want, "{ctx} {side:?}: messages");
        }
    }
    let logged_streams: std::collections::BTreeSet<u64> = lines
        .iter()
        .map(|l| l["h2_stream"].as_u64().unwrap())
        .collect();
    assert_eq!(logged_streams.len(), conns.len(), "{name}: streams logged");
    for f in frames(&d) {
        assert!(
            f.problems.is_empty(),
            "{name} frame {}: {:?}",
            f.n,
            f.problems
        );
    }
    let anomalies = of!(d, Anomaly);
    assert!(anomalies.is_empty(), "{name}: {anomalies:?}");
    // What HTTP/2's records decrypt to is HTTP/2 frames, not the WebSocket stream: no record
    // is told rather than wrong ones.
    assert!(of!(d, TlsRecord).is_empty(), "{name}: records told");
    d
}

/// The plain HTTP exchanges of a decoded sample: (method, path, status).
fn exchanges(d: &Decoded) -> Vec<(String, String, u16)> {
    of!(d, Http)
        .iter()
        .map(|h| (h.method.clone(), h.path.clone(), h.status))
        .collect()
}

#[test]
fn h2c_two_websocket_streams_beside_a_plain_request() {
    let d = whole_h2_sample(
        "h2c-websocket",
        "h2c-websocket.pcap",
        None,
        &[(1, "/chat"), (3, "/feed")],
    );
    assert!(connections(&d).iter().all(|c| c.tls.is_none()));
    assert_eq!(exchanges(&d), [("GET".into(), "/health".into(), 200)]);
}

#[test]
fn h2_over_tls_with_alpn_h2() {
    let d = whole_h2_sample(
        "h2-websocket",
        "h2-websocket.pcap",
        Some("h2-websocket.keys"),
        &[(1, "/chat"), (3, "/feed")],
    );
    for c in connections(&d) {
        let tls = c.tls.as_ref().unwrap();
        assert_eq!(tls.alpn.as_deref(), Some("h2"));
        assert_eq!(tls.version_name().as_deref(), Some("1.3"));
    }
    assert_eq!(exchanges(&d), [("GET".into(), "/health".into(), 200)]);
}

#[test]
fn h2_chromium_opens_its_websocket_on_the_page_connection() {
    let d = whole_h2_sample(
        "h2-chromium",
        "h2-chromium.pcap",
        Some("h2-chromium.keys"),
        &[(3, "/browser")],
    );
    assert_eq!(exchanges(&d), [("GET".into(), "/".into(), 200)]);
}

#[test]
fn wss_hello_retry_request_then_a_second_client_hello() {
    whole_wss_sample(
        "wss-hrr",
        "wss-hrr.pcap",
        Some("wss-hrr.keys"),
        &[(52184, "1.3", AES256, false, false)],
    );
}

#[test]
fn wss_key_updates_both_ways_mid_conversation() {
    // The client updates its keys three times, the server once; messages go both ways
    // before and after each (samples/README.md).
    whole_wss_sample(
        "wss-keyupdate",
        "wss-keyupdate.pcap",
        Some("wss-keyupdate.keys"),
        &[(50106, "1.3", AES256, false, false)],
    );
}

#[test]
fn wss_tls12_renegotiation_is_told_and_read_through() {
    let d = decode_wss("wss-renegotiation.pcap", Some("wss-renegotiation.keys"));
    assert_messages_match(
        "wss-renegotiation",
        &d,
        &log("wss-renegotiation.log.jsonl"),
        &[],
    );
    assert_frames_match_tshark("wss-renegotiation", &d);
    // The second handshake (tshark: its ClientHello in packet 20) is named, nothing else.
    let anomalies = of!(d, Anomaly);
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0].packet, PacketNo(20));
    assert!(anomalies[0].reason.starts_with("renegotiation"));
}
