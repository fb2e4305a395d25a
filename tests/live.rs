//! Live capture on `lo`, with real peers: a tungstenite server and client talk while the real
//! binary captures them, and what it prints is compared with what each peer logged it sent.
//!
//! Capturing needs root (or CAP_NET_RAW), so these tests are ignored by a plain `cargo test`;
//! `sudo -E cargo test -- --include-ignored` runs them, and then they fail, saying what is
//! missing, where `lo` cannot be captured on (or tmux, for the terminal UI, is not installed).

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;
use tungstenite::protocol::CloseFrame;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::{Message, WebSocket};
use wsinspect::capture::File;
use wsinspect::model::Event;
use wsinspect::pipeline::Options;

/// A message as it goes on the wire: opcode and payload (for a close: code and reason).
type Sent = (u8, Vec<u8>);

const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

/// The effective user id, from `/proc/self/status` (`Uid: real effective saved fs`).
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Fails the test, saying so, unless it runs as root: live capture on `lo` needs it.
#[track_caller]
fn require_root() {
    match effective_uid() {
        Some(0) => {}
        Some(uid) => panic!(
            "live capture on lo needs root, this runs as uid {uid} \
             (run sudo -E cargo test -- --include-ignored)"
        ),
        None => panic!(
            "cannot tell whether this runs as root (no /proc/self/status); live capture on lo \
             needs root (run sudo -E cargo test -- --include-ignored)"
        ),
    }
}

fn wire(m: &Message) -> Sent {
    match m {
        Message::Text(t) => (1, t.as_str().as_bytes().to_vec()),
        Message::Binary(b) => (2, b.to_vec()),
        Message::Ping(b) => (9, b.to_vec()),
        Message::Pong(b) => (10, b.to_vec()),
        Message::Close(Some(f)) => {
            let mut data = u16::from(f.code).to_be_bytes().to_vec();
            data.extend_from_slice(f.reason.as_str().as_bytes());
            (8, data)
        }
        Message::Close(None) => (8, Vec::new()),
        Message::Frame(_) => unreachable!("raw frames are never read or sent here"),
    }
}

fn hex_list(list: &[Sent]) -> Vec<(u64, String)> {
    list.iter()
        .map(|(op, data)| (u64::from(*op), hex::encode(data)))
        .collect()
}

/// An echo server for one connection on a free port of 127.0.0.1. It answers each text and
/// binary message with the same message; tungstenite itself answers a ping with a pong and a
/// close with the same close. Joining it gives every message it sent, in order.
fn echo_server() -> (u16, JoinHandle<Vec<Sent>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        let mut sent = Vec::new();
        loop {
            match ws.read() {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                    sent.push(wire(&m));
                    ws.send(m).unwrap();
                }
                // Queued by tungstenite, written before anything else this side sends.
                Ok(Message::Ping(p)) => sent.push(wire(&Message::Pong(p))),
                Ok(m @ Message::Close(_)) => sent.push(wire(&m)),
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed) => break,
                Err(e) => panic!("server: {e}"),
            }
        }
        sent
    });
    (port, handle)
}

fn connect(port: u16) -> WebSocket<TcpStream> {
    let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(SOCKET_TIMEOUT)).unwrap();
    let (ws, _) = tungstenite::client(format!("ws://127.0.0.1:{port}/live"), stream).unwrap();
    ws
}

/// Closes with 1000 "done" and reads until the server has closed the TCP connection.
fn close(ws: &mut WebSocket<TcpStream>, sent: &mut Vec<Sent>) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    };
    sent.push(wire(&Message::Close(Some(frame.clone()))));
    ws.close(Some(frame)).unwrap();
    loop {
        match ws.read() {
            Ok(_) => {}
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("client: {e}"),
        }
    }
}

/// The real binary, capturing; its stdout and stderr lines arrive through channels as they are
/// written.
struct Wsinspect {
    child: Child,
    stdout_rx: Receiver<String>,
    stderr_rx: Receiver<String>,
    stdout: Vec<String>,
    stderr: Vec<String>,
}

fn lines_of(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for a line matching `want` on `rx`, keeping every line in `kept`. False when none came
/// within `timeout` or the stream ended.
fn wait_line(
    rx: &Receiver<String>,
    kept: &mut Vec<String>,
    timeout: Duration,
    want: impl Fn(&str) -> bool,
) -> bool {
    if kept.iter().any(|l| want(l)) {
        return true;
    }
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = want(&line);
                kept.push(line);
                if found {
                    return true;
                }
            }
            Err(_) => return false,
        }
    }
}

impl Wsinspect {
    /// Starts `wsinspect -i lo -p PORT --json` with `extra` arguments and waits until it
    /// captures.
    #[track_caller]
    fn start(port: u16, extra: &[&str]) -> Wsinspect {
        require_root();
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsinspect"))
            .args(["-i", "lo", "-p", &port.to_string(), "--json"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout_rx = lines_of(child.stdout.take().unwrap());
        let stderr_rx = lines_of(child.stderr.take().unwrap());
        let mut w = Wsinspect {
            child,
            stdout_rx,
            stderr_rx,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        let capturing = wait_line(&w.stderr_rx, &mut w.stderr, Duration::from_secs(10), |l| {
            l.contains("capturing on lo")
        });
        if !capturing {
            let status = w.wait_exit(Duration::from_secs(2));
            panic!(
                "wsinspect did not start capturing on lo ({status}): {}",
                w.stderr.join("\n")
            );
        }
        // The socket is open and filtered; give the first read a moment to be under way.
        thread::sleep(Duration::from_millis(200));
        w
    }

    fn wait_stdout(&mut self, timeout: Duration, want: impl Fn(&str) -> bool) -> bool {
        wait_line(&self.stdout_rx, &mut self.stdout, timeout, want)
    }

    fn signal(&self, name: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name} failed");
    }

    fn exited(&mut self) -> bool {
        self.child.try_wait().unwrap().is_some()
    }

    /// Waits for the process to end (killing it and failing after `timeout`), then collects the
    /// rest of its output.
    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "wsinspect did not exit within {timeout:?}; stderr:\n{}",
                    self.stderr.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        for (rx, kept) in [
            (&self.stdout_rx, &mut self.stdout),
            (&self.stderr_rx, &mut self.stderr),
        ] {
            loop {
                match rx.recv_timeout(Duration::from_secs(5)) {
                    Ok(line) => kept.push(line),
                    Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => panic!("output still open after exit"),
                }
            }
        }
        status
    }

    fn json(&self) -> Vec<Value> {
        self.stdout
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

impl Drop for Wsinspect {
    fn drop(&mut self) {
        // A failed assertion must not leave a capture running.
        if !self.exited() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsinspect-live-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// (from, opcode, hex data) of every message in `events`, in order.
fn messages_of(events: &[Value]) -> Vec<(String, u64, String)> {
    events
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_owned(),
                e["opcode"].as_u64().unwrap(),
                e["data"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn from_side(events: &[Value], side: &str) -> Vec<(u64, String)> {
    messages_of(events)
        .into_iter()
        .filter(|(from, ..)| from == side)
        .map(|(_, op, data)| (op, data))
        .collect()
}

/// The saved capture decoded with the library, as (from, opcode, hex data) of every message.
fn decode_saved(path: &Path) -> Vec<(String, u64, String)> {
    let mut file = File::open(path, None).unwrap_or_else(|e| panic!("{e}"));
    let (events, ended) = wsinspect::pipeline::collect(&mut file, Options::default());
    if let Some(e) = ended.error {
        panic!("{e}");
    }
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some((
                m.from.name().to_owned(),
                u64::from(m.opcode.to_u8()),
                hex::encode(&m.data),
            )),
            _ => None,
        })
        .collect()
}

/// The number on the stderr line that ends with `suffix`, e.g. "12 packets captured".
fn stat(stderr: &[String], suffix: &str) -> u64 {
    let line = stderr
        .iter()
        .find(|l| l.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix:?} line in stderr:\n{}", stderr.join("\n")));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// A whole session captured live and stopped with `signal`, checked against both peers' logs
/// and against the file it saved.
fn live_session(name: &str, signal: &str) {
    let (port, server) = echo_server();
    let dir = temp_dir(name);
    let saved = dir.join("live.pcap");
    let mut ws_inspect = Wsinspect::start(port, &["-w", saved.to_str().unwrap()]);

    let mut client = connect(port);
    // Output is written as things happen: the handshake shows before anything else is sent.
    assert!(
        ws_inspect.wait_stdout(Duration::from_secs(5), |l| l
            .contains(r#""type":"connection""#)),
        "no connection line while the connection is open; stdout so far: {:?}",
        ws_inspect.stdout
    );

    let mut sent = Vec::new();
    let messages = [
        Message::text("Hi, my name is Live"),
        Message::text("How are you?"),
        Message::binary(vec![0u8, 1, 2, 0xfe, 0xff]),
        Message::Ping(b"are you there".to_vec().into()),
        Message::text("x".repeat(300)),
        Message::binary((0..70_000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>()),
        Message::text("bye"),
    ];
    for m in messages {
        sent.push(wire(&m));
        client.send(m).unwrap();
    }
    // Every data message comes back, and the ping is answered.
    for _ in 0..sent.len() {
        client.read().unwrap();
    }
    close(&mut client, &mut sent);
    drop(client);
    let server_sent = server.join().unwrap();

    assert!(
        ws_inspect.wait_stdout(Duration::from_secs(5), |l| l.contains(r#""type":"end""#)),
        "no end line while still capturing; stdout: {:?}",
        ws_inspect.stdout
    );
    assert!(
        !ws_inspect.exited(),
        "wsinspect ended before it was told to"
    );
    ws_inspect.signal(signal);
    let status = ws_inspect.wait_exit(Duration::from_secs(10));
    let stderr = ws_inspect.stderr.join("\n");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let captured = stat(&ws_inspect.stderr, "packets captured");
    let received = stat(&ws_inspect.stderr, "packets received by filter");
    stat(&ws_inspect.stderr, "packets dropped by kernel");
    assert!(captured > 0 && received >= captured, "{stderr}");

    let events = ws_inspect.json();
    let connections: Vec<&Value> = events
        .iter()
        .filter(|e| e["type"] == "connection")
        .collect();
    assert_eq!(connections.len(), 1, "{events:?}");
    let c = connections[0];
    assert_eq!(c["server"], format!("127.0.0.1:{port}"));
    assert_eq!(c["path"], "/live");
    assert_eq!(c["accept_valid"], true);
    assert_eq!(c["detected"], "handshake");

    assert_eq!(from_side(&events, "client"), hex_list(&sent));
    assert_eq!(from_side(&events, "server"), hex_list(&server_sent));

    let frames: Vec<&Value> = events.iter().filter(|e| e["type"] == "frame").collect();
    assert_eq!(frames.len(), sent.len() + server_sent.len());
    for f in &frames {
        assert_eq!(f["masked"], f["from"] == "client", "{f}");
        assert_eq!(f["problems"], Value::Array(vec![]), "{f}");
        // The 7-, 16- and 64-bit length forms, plus 4 bytes of masking key from the client.
        let len = f["payload_len"].as_u64().unwrap();
        let length_bytes = match len {
            0..=125 => 0,
            126..=65_535 => 2,
            _ => 8,
        };
        let mask_bytes = if f["from"] == "client" { 4 } else { 0 };
        assert_eq!(f["header_len"], 2 + length_bytes + mask_bytes, "{f}");
    }
    for len in [300, 70_000] {
        assert!(
            frames.iter().any(|f| f["payload_len"] == len),
            "no {len}-byte frame"
        );
    }
    for m in events.iter().filter(|e| e["type"] == "message") {
        assert_eq!(m["problems"], Value::Array(vec![]), "{m}");
    }
    let ends: Vec<&Value> = events.iter().filter(|e| e["type"] == "end").collect();
    assert_eq!(ends.len(), 1, "{events:?}");
    assert_eq!(ends[0]["how"], "fin");

    // The saved file is a complete capture that decodes to the same messages.
    assert_eq!(decode_saved(&saved), messages_of(&events));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs root for live capture on lo: sudo -E cargo test -- --include-ignored"]
fn a_live_session_is_shown_as_it_happens_saved_whole_and_ended_by_ctrl_c() {
    live_session("sigint", "INT");
}

#[test]
#[ignore = "needs root for live capture on lo: sudo -E cargo test -- --include-ignored"]
fn sigterm_ends_a_live_capture_as_cleanly_as_ctrl_c() {
    live_session("sigterm", "TERM");
}

/// Sends the echo server texts made by `text` until wsinspect stops by itself (at most 5 s),
/// then closes the connection, which goes on after wsinspect stopped; what the server sent.
fn talk_until_it_stops(
    ws_inspect: &mut Wsinspect,
    port: u16,
    server: JoinHandle<Vec<Sent>>,
    text: impl Fn(usize) -> String,
) -> Vec<Sent> {
    let mut client = connect(port);
    let mut sent = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut i = 0;
    while !ws_inspect.exited() && Instant::now() < deadline {
        let m = Message::text(text(i));
        sent.push(wire(&m));
        client.send(m).unwrap();
        client.read().unwrap();
        i += 1;
        thread::sleep(Duration::from_millis(20));
    }
    assert!(
        ws_inspect.exited(),
        "wsinspect still runs after {i} messages each way"
    );
    close(&mut client, &mut sent);
    drop(client);
    server.join().unwrap()
}

#[test]
#[ignore = "needs root for live capture on lo: sudo -E cargo test -- --include-ignored"]
fn a_display_filter_writes_only_what_it_keeps_live_and_counts_those() {
    let (port, server) = echo_server();
    let filter = "server and text contains \"needle\"";
    let mut ws_inspect = Wsinspect::start(port, &["-Y", filter, "-c", "2"]);
    let server_sent = talk_until_it_stops(&mut ws_inspect, port, server, |i| {
        let word = if i % 2 == 0 { "hay" } else { "needle" };
        format!("{word} {i}")
    });

    let status = ws_inspect.wait_exit(Duration::from_secs(10));
    let stderr = ws_inspect.stderr.join("\n");
    assert_eq!(status.code(), Some(0), "{stderr}");
    let events = ws_inspect.json();
    // The connection the rows belong to, then the server's first two needles.
    assert_eq!(events[0]["type"], "connection", "{events:?}");
    assert_eq!(events[0]["server"], format!("127.0.0.1:{port}"));
    let needles: Vec<String> = server_sent
        .iter()
        .filter(|(_, data)| data.starts_with(b"needle"))
        .map(|(_, data)| hex::encode(data))
        .collect();
    let frames: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "frame")
        .map(|f| f["payload"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(frames, needles[..2], "{events:?}");
    for e in &events[1..] {
        assert!(e["type"] == "frame" || e["type"] == "message", "{e}");
        assert_eq!(e["from"], "server", "{e}");
    }
}

#[test]
#[ignore = "needs root for live capture on lo: sudo -E cargo test -- --include-ignored"]
fn count_stops_the_capture_after_that_many_frames_while_traffic_goes_on() {
    let (port, server) = echo_server();
    let mut ws_inspect = Wsinspect::start(port, &["-c", "3"]);
    talk_until_it_stops(&mut ws_inspect, port, server, |i| format!("message {i}"));

    let status = ws_inspect.wait_exit(Duration::from_secs(10));
    let stderr = ws_inspect.stderr.join("\n");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("packets captured"), "{stderr}");
    let events = ws_inspect.json();
    let frames: Vec<&Value> = events.iter().filter(|e| e["type"] == "frame").collect();
    assert_eq!(frames.len(), 3, "{events:?}");
    let from: Vec<&str> = frames.iter().map(|f| f["from"].as_str().unwrap()).collect();
    assert_eq!(from, ["client", "server", "client"]);
}

/// The terminal UI on a live capture, in a real terminal (tmux): frames appear as the peers
/// send them, the status bar shows the kernel's drop counter, and `q` ends the capture.
#[test]
#[ignore = "needs root for live capture on lo, and tmux: sudo -E cargo test -- --include-ignored"]
fn the_terminal_ui_shows_live_frames_as_they_arrive() {
    require_root();
    common::require_tmux();
    let (port, server) = echo_server();
    let socket = format!("wsinspect-live-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .arg("-L")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap()
    };
    let command = format!(
        "{} -i lo -p {port}; echo wsinspect exited with $?; sleep 30",
        env!("CARGO_BIN_EXE_wsinspect")
    );
    let out = tmux(&[
        "new-session",
        "-d",
        "-s",
        "live",
        "-x",
        "120",
        "-y",
        "30",
        &command,
    ]);
    assert!(out.status.success(), "{out:?}");
    let screen = || {
        String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "live"]).stdout).into_owned()
    };
    let wait_for = |want: &str| -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let s = screen();
            if s.contains(want) || Instant::now() > deadline {
                return s;
            }
            thread::sleep(Duration::from_millis(50));
        }
    };
    let s = wait_for("live on lo");
    assert!(s.contains("live on lo"), "the UI never came up:\n{s}");
    // The capture is open once the UI draws; the peers talk now.
    let mut client = connect(port);
    let mut sent = Vec::new();
    for text in ["first live message", "second live message"] {
        let m = Message::text(text);
        sent.push(wire(&m));
        client.send(m).unwrap();
        client.read().unwrap();
    }
    let s = wait_for("second live message");
    // Each message and its echo, as the peers logged them, while the connection is open.
    assert_eq!(s.matches("live message").count(), 4, "{s}");
    assert!(
        s.contains("client → text") && s.contains("← server text"),
        "{s}"
    );
    assert!(s.contains(&format!("127.0.0.1:{port} /live")), "{s}");
    // The kernel's counters come every half second.
    let s = wait_for(" dropped");
    assert!(s.contains(" 0 dropped"), "{s}");
    close(&mut client, &mut sent);
    drop(client);
    server.join().unwrap();
    let s = wait_for("closed, close 1000");
    assert!(s.contains("closed, close 1000 by client"), "{s}");
    tmux(&["send-keys", "-t", "live", "q"]);
    let s = wait_for("wsinspect exited with");
    assert!(s.contains("wsinspect exited with 0"), "{s}");
    tmux(&["kill-server"]);
}
