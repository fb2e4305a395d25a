//! The command line as a user meets it: exit codes, one clear line for bad input, never a panic.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use serde_json::Value;

fn wsinspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        // A developer's own key log must not change what the tests see.
        .env_remove("SSLKEYLOGFILE")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One line that says what is wrong, and no panic or backtrace.
fn assert_one_clear_line(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn temp_file(name: &str, bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("wsinspect-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn help_teaches_by_example() {
    let o = wsinspect(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    for example in [
        "wsinspect capture.pcap",
        "-i lo -p 8765",
        "| jq",
        "-d 8765",
        "tcpdump -i lo -w",
        "-Y 'client and text contains",
    ] {
        assert!(out.contains(example), "missing {example:?} in --help");
    }
}

#[test]
fn a_missing_file_says_so() {
    assert_one_clear_line(
        &wsinspect(&["no-such-file.pcap"]),
        1,
        "cannot open no-such-file.pcap: no such file",
    );
}

#[test]
fn a_file_that_is_not_a_capture_says_so() {
    assert_one_clear_line(
        &wsinspect(&["Cargo.toml"]),
        1,
        "is not a pcap or pcapng capture",
    );
}

#[test]
fn an_empty_file_says_so() {
    let path = temp_file("empty.pcap", b"");
    assert_one_clear_line(&wsinspect(&[&path]), 1, "is empty");
}

#[test]
fn an_unknown_link_type_is_named() {
    // A pcap header for IEEE 802.11 (link type 105), then one record.
    let mut file = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 105, 0, 0, 0,
    ];
    file.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4]);
    let path = temp_file("wifi.pcap", &file);
    assert_one_clear_line(&wsinspect(&[&path]), 1, "link type IEEE802_11 (105)");
}

#[test]
fn a_cut_off_capture_shows_everything_before_the_cut_then_warns() {
    let o = wsinspect(&["samples/truncated.pcap", "--print"]);
    assert_one_clear_line(&o, 1, "cut off inside packet 46");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Hi, my name is Judy"));
    assert!(out.contains("truncated: the capture ends before this frame does"));
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(wsinspect(&["--no-such-flag"]).status.code(), Some(2));
    assert_one_clear_line(
        &wsinspect(&["-w", "out.pcap", "samples/echo.pcap"]),
        2,
        "-w works with live capture only",
    );
    assert_one_clear_line(
        &wsinspect(&["samples/echo.pcap", "-f", "tcp port"]),
        2,
        "bad capture filter",
    );
    assert_one_clear_line(&wsinspect(&[]), 2, "give a capture file");
}

#[test]
fn an_unknown_interface_says_how_to_list_them() {
    assert_one_clear_line(&wsinspect(&["-i", "no-such-if0"]), 1, "wsinspect -D");
}

#[test]
fn r_reads_a_file_as_tcpdump_does() {
    let a = wsinspect(&["-r", "samples/echo.pcap", "--print"]);
    let b = wsinspect(&["samples/echo.pcap", "--print"]);
    assert_eq!(a.status.code(), Some(0));
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn ports_and_filters_narrow_a_file_as_tcpdump_does() {
    let frames = |args: &[&str]| {
        let o = wsinspect(args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.contains("\"type\":\"frame\""))
            .count()
    };
    // rejected.pcap: two texts and a close each way on port 8765.
    let all = frames(&["samples/rejected.pcap", "--json"]);
    assert_eq!(all, 6);
    assert_eq!(
        frames(&["samples/rejected.pcap", "--json", "-p", "8765"]),
        all
    );
    assert_eq!(
        frames(&["samples/rejected.pcap", "--json", "-p", "9999"]),
        0
    );
    assert_eq!(
        frames(&["samples/rejected.pcap", "--json", "-f", "host 10.1.2.3"]),
        0
    );
}

#[test]
fn count_stops_after_n_frames() {
    let o = wsinspect(&["samples/echo.pcap", "--json", "-c", "3"]);
    assert_eq!(o.status.code(), Some(0));
    let frames = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.contains("\"type\":\"frame\""))
        .count();
    assert_eq!(frames, 3);
}

/// A field of the README's NDJSON table; `optional` when the README says it is there "only" in
/// some cases (`text` (only for valid UTF-8 text)).
#[derive(Debug)]
struct Field {
    name: String,
    optional: bool,
}

/// The README's `| type | fields |` table: each type with its fields. A fields cell names its
/// fields in backticks; what follows a field in parentheses explains it (and may hold backticked
/// values such as `"fin"`), and a colon ends the list and starts a description of the type.
fn documented_schema() -> Vec<(String, Vec<Field>)> {
    include_str!("../README.md")
        .lines()
        .skip_while(|l| *l != "| type | fields |")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|row| {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let kind = cells[1].trim_matches('`').to_owned();
            let mut fields: Vec<Field> = Vec::new();
            let (mut depth, mut code, mut name) = (0, false, String::new());
            let mut after = String::new();
            for c in cells[2].chars() {
                match (c, code) {
                    ('`', true) => {
                        code = false;
                        if depth == 0 {
                            fields.push(Field {
                                name: std::mem::take(&mut name),
                                optional: false,
                            });
                            after.clear();
                        }
                    }
                    ('`', false) => code = true,
                    (c, true) if depth == 0 => name.push(c),
                    (_, true) => {}
                    ('(', false) => depth += 1,
                    (')', false) => depth -= 1,
                    (':', false) if depth == 0 => break,
                    (c, false) => {
                        after.push(c);
                        if let Some(last) = fields.last_mut() {
                            last.optional |= after.trim_start().starts_with("only");
                        }
                    }
                }
            }
            (kind, fields)
        })
        .collect()
}

/// Every event type of the README's NDJSON table, from samples that hold one of each: every line
/// carries the fields documented for its type and no other.
#[test]
fn json_lines_follow_the_documented_schema() {
    let schema = documented_schema();
    let kinds: Vec<&str> = schema.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "connection",
            "rejected",
            "http",
            "frame",
            "message",
            "gap",
            "end",
            "tls",
            "anomaly"
        ],
        "the README's NDJSON table"
    );
    // samples/README.md: rejected.pcap holds a refused upgrade, keepalive.pcap a plain HTTP
    // request, lost-segment.pcap a missing segment, snaplen.pcap a handshake cut short;
    // wss-missing-key.pcap a decrypted TLS connection with its alerts and one without keys;
    // mixed.pcap the rest.
    let mut lines: Vec<Value> = Vec::new();
    for sample in [
        "mixed",
        "rejected",
        "keepalive",
        "lost-segment",
        "snaplen",
        "wss-missing-key",
    ] {
        let keys = format!("samples/{sample}.keys");
        let mut args = vec![format!("samples/{sample}.pcap"), "--json".to_owned()];
        if std::path::Path::new(&keys).exists() {
            args.extend(["--keylog".to_owned(), keys]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = wsinspect(&args);
        assert_eq!(o.status.code(), Some(0), "{sample}: {}", stderr(&o));
        lines.extend(
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    for (kind, fields) in &schema {
        let of_kind: Vec<&Value> = lines.iter().filter(|l| l["type"] == **kind).collect();
        assert!(!of_kind.is_empty(), "no {kind} line in the samples");
        for l in &of_kind {
            for f in fields.iter().filter(|f| !f.optional) {
                assert!(l.get(&f.name).is_some(), "{kind} lacks {}: {l}", f.name);
            }
            for key in l.as_object().unwrap().keys() {
                assert!(
                    key == "type" || fields.iter().any(|f| f.name == *key),
                    "{kind} has {key}, which the README does not document: {l}"
                );
            }
        }
        for f in fields.iter().filter(|f| f.optional) {
            assert!(
                of_kind.iter().any(|l| l.get(&f.name).is_some()),
                "no {kind} line has {}",
                f.name
            );
        }
    }
    for l in &lines {
        assert!(kinds.contains(&l["type"].as_str().unwrap()), "{l}");
    }

    let o = wsinspect(&["samples/mixed.pcap", "--json"]);
    let lines: Vec<Value> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The close the server sent: code and reason read from its payload (the peer logged 4000 "bye").
    let close = lines
        .iter()
        .find(|l| l["type"] == "message" && l["opcode"] == 8 && l["from"] == "server")
        .unwrap();
    assert_eq!(
        (close["close_code"].as_u64(), close["close_reason"].as_str()),
        (Some(4000), Some("bye"))
    );
    assert_eq!(close["data"], "0fa0627965");
    // ts keeps the capture's microseconds as written, not a rounded float.
    let raw = String::from_utf8_lossy(&o.stdout);
    let ts = raw
        .lines()
        .next()
        .unwrap()
        .split("\"ts\":")
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    assert_eq!(ts.split('.').nth(1).unwrap().len(), 6, "{ts}");
}

#[test]
fn text_output_lines_up_with_tshark_packet_numbers() {
    let o = wsinspect(&["samples/echo.pcap", "--print"]);
    let out = String::from_utf8_lossy(&o.stdout);
    // tshark puts the first text frame (the client's "Hi, my name is Alice") in packet 8.
    let line = out
        .lines()
        .find(|l| l.contains("Hi, my name is Alice"))
        .unwrap();
    assert!(line.trim_start().starts_with("8 "), "{line}");
    assert!(
        line.contains("client → server") && line.contains("mask 16f6b852") && line.contains("FIN"),
        "{line}"
    );
}

#[test]
fn teach_print_walks_through_the_first_connection() {
    let o = wsinspect(&["--teach", "--print", "samples/echo.pcap"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    // tshark reads Sec-WebSocket-Accept jXenf4ukuuiP/FVk9imZ/bPYe8w= in packet 7, and key
    // 16f6b852 on frame 8 ("Hi, my name is Alice").
    for want in [
        "━━━ Step 1 of 7: The request",
        "base64 of the hash  jXenf4ukuuiP/FVk9imZ/bPYe8w=",
        "✓ match",
        "masking key: 16 f6 b8 52",
        "━━━ Step 7 of 7: The cost",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}

/// wss: the walk-through reads the TLS and shows the first frame in the record it came in
/// (tshark: the client's record 4, 44 bytes, packet 10, TCP payload 17 03 03 00 2c a1 af …).
#[test]
fn teach_print_shows_a_wss_frame_in_its_tls_record() {
    let o = wsinspect(&[
        "--teach",
        "--print",
        "samples/wss-node-chacha.pcap",
        "--keylog",
        "samples/wss-node-chacha.keys",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    for want in [
        "━━━ Step 3 of 12: This frame arrived inside TLS record 4",
        "  17 03 03 00 2c     the header: anyone on the path reads it",
        "  a1 af da 76 6e 9e f7 2d 5e 60 0a 83 ed d0 be 9d …",
        "Decrypted with the key log: TLS 1.3, TLS_CHACHA20_POLY1305_SHA256.",
        "━━━ Step 4 of 12: A frame, bit by bit",
    ] {
        assert!(out.contains(want), "no {want:?} in:\n{out}");
    }
}

#[test]
fn teach_without_a_handshake_says_how_to_record_one() {
    let o = wsinspect(&["--teach", "--print", "samples/snaplen.pcap"]);
    assert_one_clear_line(&o, 1, "holds no WebSocket handshake to teach with");
}

/// CI runs the test command the README gives (as root, so without its `sudo -E`).
#[test]
fn ci_runs_the_test_command_the_readme_gives() {
    let ci: Vec<&str> = include_str!("../.ci/run")
        .lines()
        .filter(|l| l.starts_with("cargo test"))
        .collect();
    assert_eq!(ci, ["cargo test -- --include-ignored"], ".ci/run");
    let readme = include_str!("../README.md");
    let given = format!("sudo -E {}", ci[0]);
    assert!(
        readme.lines().any(|l| l.starts_with(&given)),
        "the README's quick start does not give {given:?}"
    );
}

/// `--json` lines of a run that must succeed.
fn json_lines(args: &[&str]) -> Vec<Value> {
    let o = wsinspect(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The lines of a sample's `.jsonl` file (tshark's dissection, the peers' log).
fn sample_lines(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn of_type<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| l["type"] == kind).collect()
}

#[test]
fn display_filter_keeps_the_frames_tshark_shows_for_it() {
    let lines = json_lines(&["samples/mixed.pcap", "--json", "-Y", "ping"]);
    // tshark's dissection: the ping frames (opcode 9), their packets and unmasked payloads.
    let tshark: Vec<(u64, String)> = sample_lines("mixed.tshark.jsonl")
        .iter()
        .filter(|f| f["opcode"] == 9)
        .map(|f| {
            let payload = f["app_payload_hex"].as_str().unwrap().to_owned();
            (f["frame"].as_u64().unwrap(), payload)
        })
        .collect();
    assert_eq!(tshark.len(), 4);
    let frames: Vec<(u64, String)> = of_type(&lines, "frame")
        .iter()
        .map(|f| {
            let payload = f["payload"].as_str().unwrap().to_owned();
            (f["packet_last"].as_u64().unwrap(), payload)
        })
        .collect();
    assert_eq!(frames, tshark);
    // Each ping is a message of its own; the connection they belong to comes first, once.
    let messages = of_type(&lines, "message");
    assert_eq!(messages.len(), 4);
    assert!(messages.iter().all(|m| m["opcode"] == 9), "{messages:?}");
    assert_eq!(lines[0]["type"], "connection");
    assert_eq!(lines.len(), 1 + 4 + 4, "{lines:#?}");
}

#[test]
fn display_filter_reads_payloads_as_the_peers_sent_them() {
    // The peers' log: what the client sent holding "fragment" (any case), as whole messages
    // and, for a fragmented one, as its fragments.
    let has = |hex: &str| {
        String::from_utf8_lossy(&hex::decode(hex).unwrap())
            .to_lowercase()
            .contains("fragment")
    };
    let sent: Vec<Value> = sample_lines("mixed.log.jsonl")
        .into_iter()
        .filter(|l| l["peer"] == "client" && l["event"] == "sent")
        .collect();
    let mut want_frames: Vec<String> = Vec::new();
    let mut want_messages: Vec<String> = Vec::new();
    for m in &sent {
        let hex = m["hex"].as_str().unwrap();
        match m["fragments"].as_array() {
            Some(parts) => want_frames.extend(
                parts
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .filter(|p| has(p)),
            ),
            None if has(hex) => want_frames.push(hex.to_owned()),
            None => {}
        }
        if has(hex) {
            want_messages.push(hex.to_owned());
        }
    }
    // Three fragments and the ping "between fragments".
    assert_eq!(want_frames.len(), 4, "{want_frames:?}");

    let lines = json_lines(&[
        "samples/mixed.pcap",
        "--json",
        "-Y",
        "client and text contains \"FRAGMENT\"",
    ]);
    let payloads = |kind: &str, field: &str| {
        let mut found: Vec<String> = of_type(&lines, kind)
            .iter()
            .map(|l| l[field].as_str().unwrap().to_owned())
            .collect();
        found.sort();
        found
    };
    want_frames.sort();
    want_messages.sort();
    assert_eq!(payloads("frame", "payload"), want_frames);
    assert_eq!(payloads("message", "data"), want_messages);

    // The same rows as text: four frame lines, the joined message's line, nothing else.
    let o = wsinspect(&[
        "samples/mixed.pcap",
        "--print",
        "-Y",
        "client and text contains \"fragment\"",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[..4].iter().all(|l| l.contains("client → server")),
        "{out}"
    );
    assert!(
        lines[4].contains("└ message: client → server text of 3 frames"),
        "{out}"
    );
}

#[test]
fn display_filter_keeps_the_gap_of_a_lost_segment() {
    let info: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/lost-segment.info.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let lines = json_lines(&["samples/lost-segment.pcap", "--json", "-Y", "gap"]);
    let kinds: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["connection", "gap"]);
    let gap = &lines[1];
    assert_eq!(gap["bytes"], info["missing_bytes"]);
    // "server->client"
    assert_eq!(gap["from"], "server");
    // Text output, as tshark -Y, writes the row alone.
    let o = wsinspect(&["samples/lost-segment.pcap", "-Y", "gap"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 1, "{out}");
    let missing = format!(
        "server → client GAP: {} bytes missing",
        info["missing_bytes"]
    );
    assert!(out.contains(&missing), "{out}");
}

#[test]
fn display_filter_counts_only_the_frames_it_writes() {
    // echo.pcap: the client's three texts and close, each echoed by the server.
    let lines = json_lines(&["samples/echo.pcap", "--json", "-Y", "server", "-c", "2"]);
    let frames = of_type(&lines, "frame");
    assert_eq!(frames.len(), 2);
    assert!(frames.iter().all(|f| f["from"] == "server"), "{frames:?}");
}

#[test]
fn a_bad_display_filter_says_where_before_reading() {
    let o = wsinspect(&["samples/echo.pcap", "--json", "-Y", "len >"]);
    assert_one_clear_line(
        &o,
        2,
        "wsinspect: bad filter 'len >' at character 6: expected a value after len >; see the filter table in README",
    );
    assert!(o.stdout.is_empty());
    // The filter is read before the file: a missing file is not what is reported.
    assert_one_clear_line(
        &wsinspect(&["no-such-file.pcap", "-Y", "client server"]),
        2,
        "bad filter 'client server' at character 8: unexpected 'server'",
    );
}

/// The `connection` events of NDJSON output that were decrypted from TLS.
fn decrypted_connections(o: &Output) -> usize {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] == "connection" && l["tls"]["decrypted"] == true)
        .count()
}

#[test]
fn a_key_log_with_garbage_lines_warns_once_and_still_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    let good = std::fs::read_to_string("samples/wss-python.keys").unwrap();
    std::fs::write(
        &keys,
        format!("garbage\x1b[2J\n{good}CLIENT_RANDOM zz 00\n"),
    )
    .unwrap();
    let o = wsinspect(&[
        "samples/wss-python.pcap",
        "--keylog",
        keys.to_str().unwrap(),
        "--json",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("warning: 2 line(s) of the key log"),
        "{err}"
    );
    // The escape sequence is not written to the terminal as it is.
    assert!(!err.contains('\x1b'), "{err}");
    assert_eq!(decrypted_connections(&o), 1);
}

#[test]
fn a_key_log_that_cannot_be_read_is_an_error_naming_it() {
    let o = wsinspect(&["samples/wss-python.pcap", "--keylog", "no/such/keys.txt"]);
    assert_one_clear_line(&o, 1, "no/such/keys.txt");
}

#[test]
fn sslkeylogfile_is_used_when_no_key_log_is_given_and_said_once() {
    let o = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
        .args(["samples/wss-python.pcap", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("SSLKEYLOGFILE", "samples/wss-python.keys")
        .output()
        .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(
        err.trim(),
        "note: decrypting TLS with the key log SSLKEYLOGFILE names: samples/wss-python.keys"
    );
    assert_eq!(decrypted_connections(&o), 1);
}

#[test]
fn wss_without_keys_says_what_to_do() {
    let o = wsinspect(&["samples/wss-python.pcap", "--print"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("TLS NOT DECRYPTED (TLS 1.3 TLS_AES_256_GCM_SHA384, SNI wss.test): no key log given. Give the key log the client wrote with --keylog FILE"),
        "{out}"
    );
}
