//! Screens drawn from the bundled samples with ratatui's `TestBackend`, asserted against what
//! is known from outside: tshark's dissection (`samples/*.tshark.jsonl`) and the peers' logs.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::{Action, App};
use super::components::row::Row;
use super::feed::Feed;
use super::screens::browse::{Pane, Right};
use super::view;
use crate::index::{Unit, decode_sample, decode_sample_keyed, test_frame};
use crate::model::Event;
use crate::vocab::{Opcode, Side};

/// Decodes a sample and hands it to a new App the way the decoding thread does.
fn load(name: &str, live: bool) -> App {
    load_decoded(name, decode_sample(name), live)
}

fn load_decoded(
    name: &str,
    (first, events): (Option<crate::vocab::Timestamp>, Vec<Event>),
    live: bool,
) -> App {
    let mut app = App::new(name.into(), live);
    if let Some(ts) = first {
        app.feed(Feed::Start(ts));
    }
    app.feed_events(events);
    app.feed(Feed::Done {
        notes: Vec::new(),
        error: None,
    });
    app
}

fn screen(app: &App, width: u16, height: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    let buf = t.backend().buffer();
    (0..height)
        .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[track_caller]
fn assert_shows(screen: &[String], want: &str) {
    assert!(
        screen.iter().any(|l| l.contains(want)),
        "screen lacks {want:?}:\n{}",
        screen.join("\n")
    );
}

#[track_caller]
fn assert_hides(screen: &[String], unwanted: &str) {
    assert!(
        !screen.iter().any(|l| l.contains(unwanted)),
        "screen shows {unwanted:?}:\n{}",
        screen.join("\n")
    );
}

#[test]
fn echo_at_80_by_24() {
    let app = load("echo.pcap", false);
    let s = screen(&app, 80, 24);
    // Times as in the README's text example (seconds since the first packet).
    // tshark: frame 8, client 36930 → 8765, text, FIN, masked 16f6b852, 20 bytes,
    // "Hi, my name is Alice"; frame 9 the server's unmasked 27-byte answer.
    assert_shows(&s, "#0  127.0.0.1:36930 → 127.0.0.1:8765 /");
    assert_shows(
        &s,
        "8   0.002186 #0   client → text        FIN        20 Hi, my name is Alice",
    );
    assert_shows(
        &s,
        "9   0.002602 #0   ← server text        FIN        27 Hi Alice, nice to",
    );
    // Close 1000 from the peer's log (payload 03e8).
    assert_shows(
        &s,
        "client → close       FIN         2 1000 (normal closure)",
    );
    assert_shows(&s, "Frame 0 of connection #0, client → ser");
    // The header bytes: 0x81 (FIN, text), 0x94 (MASK, 20), then the key.
    assert_shows(&s, "0000  81 94 16 f6 b8 52 48 69");
    assert_shows(&s, "echo.pcap │");
    assert_shows(&s, "1 conn · 8 frames · 8 msgs");
}

#[test]
fn the_field_tree_matches_tsharks_dissection() {
    let mut app = load("echo.pcap", false);
    app.update(Action::ToggleZoom);
    app.update(Action::FocusNext); // list → details
    let s = screen(&app, 80, 30);
    assert_shows(&s, "1... .... = FIN: true (final)");
    assert_shows(&s, ".0.. .... = RSV1: not set");
    assert_shows(&s, ".... 0001 = Opcode: 1 (text)");
    assert_shows(&s, "1... .... = MASK: set (payload is masked)");
    assert_shows(&s, ".001 0100 = Payload length: 20");
    assert_shows(&s, "Masking key: 16 f6 b8 52");
    assert_shows(&s, "Text: \"Hi, my name is Alice\"");
    assert_shows(&s, "Capture packets: 8");
}

#[test]
fn bytes_show_the_wire_or_the_unmasked_payload() {
    let mut app = load("echo.pcap", false);
    app.update(Action::ToggleZoom);
    app.update(Action::FocusPrev); // list → connections … go round to the bytes pane
    app.update(Action::FocusPrev);
    assert_eq!(app.focus, Pane::Right);
    let s = screen(&app, 80, 12);
    // Unmasked: the header, then "Hi, my name is Alice" in ASCII.
    assert_shows(
        &s,
        "0000  81 94 16 f6 b8 52 48 69  2c 20 6d 79 20 6e 61 6d  .....RHi, my nam",
    );
    app.update(Action::ToggleMask);
    let s = screen(&app, 80, 12);
    // As on the wire: `tshark -r samples/echo.pcap -Y frame.number==8 -T fields -e tcp.payload`
    // gives 819416f6b8525e9f94727b8f983c779bdd727f8598137a9fdb37.
    assert_shows(&s, "0000  81 94 16 f6 b8 52 5e 9f  94 72 7b 8f 98 3c 77 9b");
    assert_shows(&s, "0010  dd 72 7f 85 98 13 7a 9f  db 37");
    assert_shows(&s, "Bytes as on the wire (x: unmasked)");
}

#[test]
fn a_selected_field_knows_its_bytes() {
    let mut app = load("echo.pcap", false);
    let d = app.details().unwrap();
    let key = d
        .fields
        .iter()
        .find(|f| f.text.starts_with("Masking key"))
        .unwrap();
    assert_eq!(key.bytes, Some(2..6));
    assert_eq!(&d.wire[2..6], [0x16, 0xf6, 0xb8, 0x52]);
    let len = d
        .fields
        .iter()
        .find(|f| f.text.contains("Payload length"))
        .unwrap();
    assert_eq!(len.bytes, Some(1..2));
    app.update(Action::Down);
    // The server's frame has no key and a 2-byte header.
    let d = app.details().unwrap();
    assert_eq!(d.header_len, 2);
    assert!(!d.fields.iter().any(|f| f.text.starts_with("Masking key")));
}

#[test]
fn handshake_view_shows_both_heads_and_checks_the_accept_key() {
    let mut app = load("echo.pcap", false);
    app.browse.right = Right::Handshake;
    app.update(Action::ToggleZoom);
    app.focus = Pane::Right;
    let s = screen(&app, 100, 30);
    assert_shows(&s, "GET / HTTP/1.1");
    assert_shows(&s, "Upgrade: websocket");
    assert_shows(&s, "HTTP/1.1 101 Switching Protocols");
    // tshark reads the same accept header from packet 7.
    assert_shows(&s, "Sec-WebSocket-Accept: jXenf4ukuuiP/FVk9imZ/bPYe8w=");
    assert_shows(&s, "Sec-WebSocket-Accept valid");
}

#[test]
fn rejected_upgrades_are_listed_with_their_answer() {
    let mut app = load("rejected.pcap", false);
    let s = screen(&app, 100, 24);
    // tshark: packet 6 answers 403 Forbidden.
    assert_shows(&s, "Connections: 1 WebSocket, 1 rejected");
    assert_shows(&s, "REJECTED 127.0.0.1:");
    assert_shows(&s, "GET /forbidden → 403 Forbidden");
    app.focus = Pane::Conns;
    app.update(Action::Bottom);
    assert!(app.selected_rejected().is_some());
    assert!(app.rows.is_empty());
    let s = screen(&app, 100, 24);
    assert_shows(&s, "answered 403 Forbidden");
}

/// samples/snaplen.pcap cuts the handshake (samples/README.md: 30 bytes of TCP payload per
/// record): the connections pane says why nothing is decoded, and where.
#[test]
fn anomalies_are_rows_that_say_why_a_connection_is_missing() {
    let mut app = load("snaplen.pcap", false);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Connections: 0 WebSockets, 1 anomaly");
    assert_shows(&s, "! HTTP   127.0.0.1:58402 → 127.0.0.1:8765 packet 4");
    app.focus = Pane::Conns;
    app.update(Action::Bottom);
    assert!(app.selected_anomaly().is_some());
    assert!(app.rows.is_empty());
    let s = screen(&app, 80, 24);
    assert_shows(&s, "An anomaly carries no frames");
    assert_shows(&s, "HTTP anomaly");
    assert_shows(&s, "packet 4: byte 30 of the");
}

#[test]
fn messages_join_fragments_and_frames_say_which_part_they_are() {
    let mut app = load("mixed.pcap", false);
    let s = screen(&app, 100, 40);
    // mixed.log.jsonl: the client sends "fragment one, fragment two, fragment three" in 3
    // frames with a ping between the first two.
    assert_shows(&s, "client → text   1/3");
    assert_shows(&s, "client → cont   2/3");
    assert_shows(&s, "client → cont   3/3  FIN");
    app.update(Action::ToggleMode);
    assert_eq!(app.mode, Unit::Messages);
    let s = screen(&app, 100, 40);
    assert_shows(&s, "×3");
    assert_shows(&s, "fragment one, fragment two, fragment three");
    // The UTF-8 text cut inside its code points in 4 fragments reads whole.
    assert_shows(&s, "héllo wörld ✓ 😀");
}

#[test]
fn switching_modes_keeps_the_place() {
    let mut app = load("mixed.pcap", false);
    let third = app
        .rows
        .iter()
        .position(|r| matches!(r, Row::Frame(f) if app.fragment(Row::Frame(*f)) == "3/3"))
        .unwrap();
    app.sel = third;
    app.update(Action::ToggleMode);
    let Some(Row::Message(m)) = app.selected() else {
        panic!("no message selected")
    };
    assert_eq!(app.store.message_meta(m).frames.len(), 3);
    app.update(Action::ToggleMode);
    assert_eq!(app.sel, third);
}

#[test]
fn compressed_frames_show_their_inflated_text() {
    let app = load("deflate.pcap", false);
    let s = screen(&app, 120, 30);
    // deflate.log.jsonl: the first message is this JSON text, sent compressed (RSV1).
    assert_shows(
        &s,
        "client → text        FIN R1     77 {\"type\": \"quote\"",
    );
    let d = app.details().unwrap();
    assert!(d.inflated.is_some());
    assert!(d.fields.iter().any(|f| {
        f.text
            .starts_with("Compressed: 77 bytes on the wire inflate to")
    }));
}

#[test]
fn the_filter_narrows_the_list_and_explains_mistakes() {
    let mut app = load("echo.pcap", false);
    app.update(Action::StartFilter);
    for c in "server and text".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    // echo.log.jsonl: the server sent two texts.
    assert_eq!(app.rows.len(), 2);
    assert!(app.rows.iter().all(|r| app.side_of(*r) == Side::Server));
    let s = screen(&app, 80, 24);
    assert_shows(&s, "filter: server and text");
    app.update(Action::StartFilter);
    for _ in 0.."server and text".len() {
        app.update(Action::Backspace);
    }
    for c in "len >> 3".chars() {
        app.update(Action::Input(c));
    }
    app.update(Action::Submit);
    // The bad filter stays in the prompt with the reason; the list is unchanged.
    assert!(app.prompt.is_some());
    assert_eq!(app.rows.len(), 2);
    let s = screen(&app, 120, 24);
    assert_shows(&s, "bad filter, at character 6:");
    app.update(Action::Cancel);
    app.update(Action::Cancel);
    assert_eq!(app.rows.len(), 8);
}

/// Types `f`, the filter in place of what the prompt held, and Enter.
fn type_filter(app: &mut App, text: &str) {
    app.update(Action::StartFilter);
    (0..100).for_each(|_| app.update(Action::Backspace));
    text.chars().for_each(|c| app.update(Action::Input(c)));
    app.update(Action::Submit);
}

/// The frames the list shows.
fn listed_frames(app: &App) -> Vec<u32> {
    app.rows
        .iter()
        .filter_map(|r| match r {
            Row::Frame(i) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn a_filter_on_many_payloads_applies_when_the_background_is_done() {
    let mut app = load("echo.pcap", false);
    // Every payload filter counts as long here.
    app.jobs.background_from = 0;
    type_filter(&mut app, "payload contains \"YOU\"");
    assert!(app.busy());
    assert_eq!(
        app.message.as_deref(),
        Some("filtering 1 MB of payloads (Esc stops)")
    );
    assert_eq!(app.rows.len(), 8, "the list stays as it was meanwhile");
    app.wait_for_job();
    // echo.log.jsonl: "you" is in the server's greeting and in both copies of "How are you
    // today?".
    assert_eq!(listed_frames(&app), [1, 2, 3]);
    assert_eq!(app.filter_text, "payload contains \"YOU\"");

    // Known now: the same text condition among other words reads nothing.
    app.update(Action::Cancel);
    assert_eq!(app.rows.len(), 8, "Esc in the list clears the filter");
    type_filter(&mut app, "payload contains \"YOU\" and client");
    assert!(!app.busy());
    assert_eq!(listed_frames(&app), [2]);

    // A stopped filter does not apply.
    app.update(Action::Cancel);
    type_filter(&mut app, "payload ~ \"Alice\"");
    assert!(app.busy());
    app.update(Action::Cancel);
    assert_eq!(app.message.as_deref(), Some("filter stopped"));
    app.wait_for_job();
    assert_eq!((app.rows.len(), app.filter.is_none()), (8, true));
    // Nor does one that another filter, typed while it worked, took the place of.
    type_filter(&mut app, "payload ~ \"Alice\"");
    assert!(app.busy());
    type_filter(&mut app, "server");
    assert!(!app.busy());
    app.wait_for_job();
    assert_eq!(app.filter_text, "server");
    // echo.log.jsonl: the server sent four frames (two texts, a binary, the close).
    assert_eq!(listed_frames(&app), [1, 3, 5, 7]);
    app.update(Action::Cancel);
    app.update(Action::Top);
    // Nor does one that a search took the place of, and the status bar says so.
    type_filter(&mut app, "payload ~ \"Alice\"");
    search(&mut app, "today");
    let said = app.message.clone().unwrap_or_default();
    assert!(said.ends_with("; the filter before is stopped"), "{said}");
    app.wait_for_job();
    // From the top to the client's question.
    assert_eq!((app.sel, app.filter.is_none()), (2, true));
}

/// The selected row, and what the status bar says.
#[track_caller]
fn assert_selected(app: &App, row: usize, said: &str) {
    assert_eq!((app.sel, app.message.as_deref()), (row, Some(said)));
}

/// Types `/`, the text and Enter.
fn search(app: &mut App, text: &str) {
    app.update(Action::StartSearch);
    text.chars().for_each(|c| app.update(Action::Input(c)));
    app.update(Action::Submit);
}

#[test]
fn search_counts_matches_and_sees_frames_that_arrive_later() {
    // The peers' log (samples/echo.log.jsonl): "Hi, my name is Alice", "Hi Alice, nice to meet
    // you!", then "How are you today?" from the client and back from the server.
    let mut app = load("echo.pcap", false);
    search(&mut app, "YOU");
    assert_selected(&app, 1, "\"YOU\": match 1 of 3");
    app.update(Action::NextMatch);
    assert_selected(&app, 2, "\"YOU\": match 2 of 3");
    app.update(Action::PrevMatch);
    assert_selected(&app, 1, "\"YOU\": match 1 of 3");

    // Live: the search was made before the third frame arrived.
    let (first, events) = decode_sample("echo.pcap");
    let third = events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::Frame(_)))
        .nth(2)
        .map(|(i, _)| i)
        .unwrap();
    let mut events = events.into_iter();
    let mut app = App::new("echo.pcap".into(), false);
    app.feed(Feed::Start(first.unwrap()));
    app.feed_events(events.by_ref().take(third).collect());
    search(&mut app, "today");
    assert_eq!(app.message.as_deref(), Some("no payload holds \"today\""));
    app.feed_events(events.collect());
    app.update(Action::NextMatch);
    assert_selected(&app, 2, "\"today\": match 1 of 2");
}

#[test]
fn a_long_search_runs_in_the_background_and_can_be_stopped() {
    let mut app = load("echo.pcap", false);
    // Every search counts as long here.
    app.jobs.background_from = 0;
    search(&mut app, "YOU");
    let waiting = app.message.clone().unwrap_or_default();
    assert!(
        waiting.starts_with("searching 1 MB of payloads for \"YOU\""),
        "{waiting}"
    );
    assert_eq!(app.sel, 0, "the selection moves when the answer comes");
    app.update(Action::Down);
    assert_eq!(
        app.message.as_deref(),
        Some(waiting.as_str()),
        "still said after a key"
    );
    app.wait_for_job();
    assert_selected(&app, 2, "\"YOU\": match 2 of 3");
    // Known now: the next one needs no search.
    app.update(Action::NextMatch);
    assert_selected(&app, 3, "\"YOU\": match 3 of 3");

    search(&mut app, "Alice");
    app.update(Action::Cancel);
    assert_eq!(app.message.as_deref(), Some("search stopped"));
    app.wait_for_job();
    assert_eq!(app.sel, 3, "a stopped search moves nothing");
    // Asked again, it searches again and finds the client's first text.
    app.update(Action::NextMatch);
    app.wait_for_job();
    assert_eq!(
        (app.sel, app.message.as_deref()),
        (
            0,
            Some("\"Alice\": match 1 of 2, search wrapped around the list")
        )
    );
}

#[test]
fn search_finds_payloads_forward_and_back() {
    let mut app = load("echo.pcap", false);
    search(&mut app, "NICE");
    assert_eq!(app.sel, 1, "the server's \"nice to meet you\"");
    assert_eq!(app.message.as_deref(), Some("\"NICE\": match 1 of 1"));
    app.update(Action::NextMatch);
    assert_eq!(app.sel, 1);
    assert!(app.message.as_deref().unwrap().contains("wrapped"));
    search(&mut app, "nobody says this");
    assert_eq!(app.sel, 1);
    assert!(app.message.as_deref().unwrap().contains("no payload holds"));
}

#[test]
fn gaps_are_rows_of_their_own() {
    let app = load("lost-segment.pcap", false);
    let s = screen(&app, 100, 60);
    // lost-segment.info.json: 1448 bytes of a server → client segment are missing.
    assert_shows(&s, "← server gap");
    assert_shows(&s, "GAP: 1448 bytes missing from the capture");
}

#[test]
fn bytes_from_the_wire_never_reach_the_terminal_raw() {
    let evil = b"\x1b]0;owned\x07\x1b[2J\x1b[31mred\r\n\x9b\xe2\x80\xae";
    let mut app = App::new("hostile".into(), false);
    app.feed_events(vec![test_frame(0, Opcode::Text, true, evil)]);
    for right in [Right::Bytes, Right::Payload] {
        app.browse.right = right;
        let s = screen(&app, 100, 30);
        for line in &s {
            assert!(
                !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "raw control character in {line:?}"
            );
        }
        assert_hides(&s, "\x1b");
    }
    app.browse.right = Right::Payload;
    assert_shows(&screen(&app, 100, 30), "\\u{1b}]0;owned\\u{7}");
}

#[test]
fn payloads_that_cannot_be_read_back_say_why_instead_of_looking_empty() {
    let mut app = load("echo.pcap", false);
    // A spill that holds nothing: every payload lies past its end, as after a full disk.
    app.store.spill = crate::index::spill::Reader::default();
    let why = "(payload could not be read back: it lies past the bytes kept)";
    assert_eq!(app.payload_lines().as_slice(), [why]);
    let d = app.details().unwrap();
    assert_eq!(d.unreadable.as_deref(), Some(why));
    assert!(
        d.fields
            .iter()
            .any(|f| f.problem && f.text.contains(&why[1..why.len() - 1]))
    );
    let mut preview = String::new();
    Row::Frame(0).preview(&app.store, &mut preview);
    assert_eq!(preview, why);

    for right in [Right::Bytes, Right::Payload] {
        app.browse.right = right;
        let s = screen(&app, 160, 30);
        assert_shows(&s, "(payload could not be read back");
        assert_hides(&s, "(empty");
        assert_hides(&s, "Empty");
    }
    // The bytes pane keeps the header it has and says why the payload is not after it.
    app.browse.right = Right::Bytes;
    app.update(Action::FocusPrev); // list → connections … go round to the bytes pane
    app.update(Action::FocusPrev);
    app.update(Action::ToggleZoom);
    assert_eq!(app.focus, Pane::Right);
    let s = screen(&app, 100, 12);
    assert_shows(&s, "0000  81 94 16 f6 b8 52");
    assert_shows(&s, why);
}

#[test]
fn live_follows_the_newest_only_from_the_end() {
    let mut app = load("echo.pcap", true);
    assert_eq!(
        app.sel,
        app.rows.len() - 1,
        "at the end after the first batch"
    );
    let extra: Vec<Event> = decode_sample("echo.pcap")
        .1
        .into_iter()
        .filter(|e| matches!(e, Event::Frame(_)))
        .collect();
    app.feed_events(extra.clone());
    assert_eq!(app.sel, app.rows.len() - 1, "followed the new frames");
    app.update(Action::Up);
    let reading = app.sel;
    app.feed_events(extra.clone());
    assert_eq!(app.sel, reading, "stays put while the user reads");
    app.update(Action::TogglePause);
    let shown = app.rows.len();
    app.feed_events(extra);
    assert_eq!(app.rows.len(), shown, "paused: the view holds still");
    app.update(Action::TogglePause);
    assert_eq!(app.rows.len(), shown + 8);
    assert_eq!(app.sel, app.rows.len() - 1);
}

#[test]
fn loading_shows_progress() {
    let mut app = App::new("big.pcap".into(), false);
    app.feed(Feed::Progress {
        read: 250,
        total: 1000,
    });
    let s = screen(&app, 80, 24);
    assert_shows(&s, "loading 25%");
    assert_shows(&s, "Waiting for WebSocket frames…");
}

/// The keys named in a key column: "q, Ctrl-C" and "Tab, Shift-Tab (→ l, ← h)" in the README,
/// "q  Ctrl-C" on the help screen.
fn key_names(column: &str) -> impl Iterator<Item = String> + '_ {
    column
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(|k| k.trim_matches(|c| c == '(' || c == ')'))
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

#[test]
fn help_lists_every_key() {
    use std::collections::BTreeSet;
    // The README's `| key | does |` table, as a user reads it.
    let readme: BTreeSet<String> = include_str!("../../README.md")
        .lines()
        .skip_while(|l| *l != "| key | does |")
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| key_names(row.split('|').nth(1).unwrap_or_default()))
        .collect();
    assert!(readme.contains("Ctrl-C"), "README key table: {readme:?}");

    let mut app = load("echo.pcap", false);
    app.update(Action::ToggleHelp);
    let s = screen(&app, 80, 40);
    // Each row of the popup is its border, the keys right-aligned in 16 columns, two spaces and
    // what they do; the filter words below are not keys.
    let top = s
        .iter()
        .position(|l| l.contains(" Keys (any key closes) "))
        .expect("help popup");
    let left = s[top].chars().position(|c| c == '┌').unwrap_or_default();
    let shown: BTreeSet<String> = s[top + 1..]
        .iter()
        .map(|l| l.chars().skip(left + 1).take(16).collect::<String>())
        .take_while(|keys| !keys.starts_with('─') && !keys.trim().is_empty())
        .flat_map(|keys| key_names(&keys).collect::<Vec<_>>())
        .collect();
    assert_eq!(shown, readme, "help screen against the README's key table");

    app.update(Action::Down);
    assert!(!app.help, "any key closes the help");
}

#[test]
fn teach_steps_forward_back_and_across_frames() {
    let mut app = load("echo.pcap", false);
    app.update(Action::Teach);
    let s = screen(&app, 80, 24);
    assert_shows(
        &s,
        "Step 1 of 7: The request: an HTTP GET that asks to upgrade",
    );
    assert_shows(&s, "Sec-WebSocket-Key: 6enJqJdHVqe1EFOYh6MgKg==");
    app.update(Action::StepNext);
    app.update(Action::StepNext);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Step 3 of 7: A frame, bit by bit");
    assert_shows(&s, "|1|0|0|0|0 0 0 1|1|0 0 1 0 1 0 0|");
    assert_shows(&s, "[ ] frame 1 of 8");
    // Another frame of the connection: the server's 27-byte answer, not masked.
    app.update(Action::FrameBy(1));
    let s = screen(&app, 80, 24);
    assert_shows(&s, "[ ] frame 2 of 8");
    assert_shows(&s, "|1|0|0|0|0 0 0 1|0|0 0 1 1 0 1 1|");
    app.update(Action::StepPrev);
    let s = screen(&app, 80, 40);
    assert_shows(&s, "Step 2 of 7");
    assert_shows(&s, "✓ match");
    app.update(Action::Cancel);
    assert!(app.teach.is_none(), "Esc goes back to browsing");
    assert_shows(&screen(&app, 80, 24), "Frames of all connections: 8");
}

#[test]
fn teach_on_load_starts_when_the_capture_is_read() {
    let (first, events) = decode_sample("rejected.pcap");
    let mut app = App::new("rejected.pcap".into(), false);
    app.teach_on_load = true;
    app.feed(Feed::Start(first.unwrap()));
    app.feed_events(events);
    assert!(app.teach.is_none(), "waits for the whole capture");
    app.feed(Feed::Done {
        notes: Vec::new(),
        error: None,
    });
    assert!(app.teach.is_some());
    // Selecting the refused upgrade and pressing T teaches the refusal.
    app.update(Action::Cancel);
    app.focus = Pane::Conns;
    app.update(Action::Down);
    app.update(Action::Down);
    app.update(Action::Teach);
    app.update(Action::StepNext);
    let s = screen(&app, 100, 24);
    assert_shows(&s, "Step 2 of 2: The answer: the upgrade is refused");
    assert_shows(&s, "403 Forbidden: the server refuses this client here");
}

#[test]
fn narrow_screens_wrap_notes_under_their_column() {
    let lines = view::wrap(
        "  Upgrade: websocket    asks to switch this TCP connection to another protocol",
        50,
    );
    assert_eq!(
        lines,
        [
            "  Upgrade: websocket    asks to switch this TCP",
            "                        connection to another",
            "                        protocol",
        ]
    );
    assert!(view::wrap("short", 50) == ["short"]);
}

/// An app holding `events`, loaded as the decoding thread hands them over.
fn load_events(events: Vec<Event>) -> App {
    let mut app = App::new("wss.pcap".into(), false);
    app.feed_events(events);
    app.feed(Feed::Done {
        notes: Vec::new(),
        error: None,
    });
    app
}

/// The style of the first cell of the screen's line that holds `text`.
#[track_caller]
fn style_of(app: &App, width: u16, height: u16, text: &str) -> ratatui::style::Style {
    let mut t = Terminal::new(TestBackend::new(width, height)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    let buf = t.backend().buffer();
    let y = (0..height)
        .find(|y| {
            (0..width)
                .map(|x| buf[(x, *y)].symbol())
                .collect::<String>()
                .contains(text)
        })
        .unwrap_or_else(|| panic!("no line holds {text:?}"));
    // The first cell inside the pane's border.
    buf[(1, y)].style()
}

#[track_caller]
fn assert_no_raw_controls(screen: &[String]) {
    for line in screen {
        assert!(
            !line
                .chars()
                .any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c)),
            "raw control character in {line:?}"
        );
    }
}

/// A plain WebSocket, one carried in TLS, one over HTTP/2 in TLS, a TLS connection not
/// decrypted and two alerts (`query::fixture`), at 80×24.
#[test]
fn wss_connections_are_marked_and_tls_notes_are_rows() {
    use ratatui::style::{Color, Modifier};
    let mut app = load_events(crate::query::fixture::events());
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Connections: 3 WebSockets, 1 TLS not decrypted");
    assert_shows(
        &s,
        "#0  127.0.0.1:40000 → 127.0.0.1:8765 /plain · 2 frames, 19 B",
    );
    assert_shows(
        &s,
        "#1  127.0.0.1:40001 → 127.0.0.1:8443 wss 1.3 wss.test /chat · 5 frames",
    );
    // RFC 8441: no key, no accept, and no complaint about them.
    assert_shows(
        &s,
        "#2  127.0.0.1:40002 → 127.0.0.1:8444 wss 1.3 Example.COM h2 stream 3 /h2 · 2",
    );
    assert_hides(&s, "accept key invalid");
    assert_ne!(style_of(&app, 80, 24, "#2  127.0.0.1").fg, Some(Color::Red));

    // The TLS notes are below: the pane scrolls to them.
    app.focus = Pane::Conns;
    app.update(Action::Bottom);
    let s = screen(&app, 80, 24);
    // At 80 columns the server name and why; the version and suite follow, in the view (v).
    assert_shows(
        &s,
        "! TLS    127.0.0.1:40003 → 10.0.0.9:443 hidden.example: no key in the log ·",
    );
    assert_shows(
        &s,
        "! TLS    127.0.0.1:40004 → 10.0.0.9:443 refused.example: fatal handshake_",
    );
    assert_shows(
        &s,
        "  TLS    127.0.0.1:40001 → 127.0.0.1:8443 wss.test: warning close_notify from",
    );
    assert_eq!(
        style_of(&app, 80, 24, "hidden.example: no key").fg,
        Some(Color::Red)
    );
    assert_eq!(
        style_of(&app, 160, 24, "fatal handshake_failure").fg,
        Some(Color::Red)
    );
    assert!(
        style_of(&app, 160, 24, "warning close_notify")
            .add_modifier
            .contains(Modifier::DIM)
    );
    // Wider, the rest of the row: the version and the suite.
    let wide = screen(&app, 160, 24);
    assert_shows(&wide, "fatal handshake_failure from the server");
    let suite = app.store.tls[1].tls.cipher_name().unwrap();
    assert_shows(
        &wide,
        &format!("hidden.example: no key in the log · TLS 1.3 {suite}"),
    );

    // The note not decrypted, selected: no frames, and the view says why and what to do.
    app.update(Action::Up);
    assert!(matches!(
        app.selected_tls().map(|n| &n.what),
        Some(crate::model::TlsWhat::Undecryptable(_))
    ));
    assert!(app.rows.is_empty());
    assert_eq!(app.browse.right, Right::Handshake);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Frames of a TLS connection not decrypted: 0");
    assert_shows(
        &s,
        "Not decrypted, so no frames: the Handshake view (v) says why, what to do.",
    );
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "! TLS connection not decrypted");
    assert_shows(&s, "127.0.0.1:40003 → 10.0.0.9:443 (packet 50)");
    assert_shows(&s, "Why: no key for this connection in the key log");
    assert_shows(
        &s,
        "What to do: The key log must be the one written by this",
    );
    assert_shows(
        &s,
        "server) while it ran: a log of another run holds other secrets",
    );
    assert_shows(&s, "TLS 1.3, not decrypted");
    assert_shows(&s, "  Server name (SNI): hidden.example");
    assert_shows(&s, &format!("  Cipher suite: {suite}"));
    assert_shows(&s, "  ALPN: http/1.1 offered → http/1.1 chosen");

    // The close_notify on connection #1 knows its WebSocket.
    app.update(Action::ToggleZoom);
    app.focus = Pane::Conns;
    app.update(Action::Up);
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "TLS alert from the client: warning close_notify");
    assert_shows(&s, "Level 1 (warning), description 0 (close_notify)");
    assert_shows(&s, "On WebSocket connection #1");
}

#[test]
fn the_handshake_view_shows_tls_above_http() {
    let mut app = load_events(crate::query::fixture::events());
    app.focus = Pane::Conns;
    app.update(Action::Down);
    app.update(Action::Down); // #1, in TLS
    app.browse.right = Right::Handshake;
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    let line = |want: &str| {
        s.iter()
            .position(|l| l.contains(want))
            .unwrap_or_else(|| panic!("screen lacks {want:?}:\n{}", s.join("\n")))
    };
    assert!(line("TLS 1.3, decrypted with the key log") < line("Connection #1: request"));
    line("  Server name (SNI): wss.test");
    line("  ALPN: http/1.1 offered → http/1.1 chosen");
    line("  Handshake: full");
    line("GET /chat HTTP/1.1");
    line("Sec-WebSocket-Accept valid");
    assert_hides(&s, "Encrypt-then-MAC");

    // Over HTTP/2: an extended CONNECT, and no accept check to fail.
    app.update(Action::ToggleZoom);
    app.focus = Pane::Conns;
    app.update(Action::Down);
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "  ALPN: h2 offered → h2 chosen");
    assert_shows(
        &s,
        "Connection #2: HTTP/2 extended CONNECT (RFC 8441) on stream 3",
    );
    assert_shows(
        &s,
        "No Sec-WebSocket-Key and no Sec-WebSocket-Accept, by design",
    );
    assert_shows(&s, ":protocol websocket");
    assert_hides(&s, "Sec-WebSocket-Accept !");
    assert_hides(&s, "missing key or accept");

    // A plain connection has no TLS part.
    app.update(Action::ToggleZoom);
    app.focus = Pane::Conns;
    app.update(Action::Top);
    app.update(Action::Down);
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Connection #0: request");
    assert_hides(&s, "TLS 1.3");
    assert_shows(&s, "Sec-WebSocket-Accept valid");
}

/// A server name is what the client wrote in its ClientHello: anything, up to 65535 bytes.
#[test]
fn a_hostile_server_name_is_escaped_and_cut() {
    use crate::model::{Tls, TlsWhat, Undecryptable};
    use crate::query::fixture;
    let evil = format!("\x1b]0;owned\x07\u{202e}{}", "a".repeat(300));
    let tls = Tls {
        sni: Some(evil.clone()),
        alpn_offered: vec!["\x1b[31mh2".into()],
        ..fixture::tls("", "http/1.1")
    };
    let conn = fixture::connection(
        crate::vocab::ConnId(0),
        "127.0.0.1:40001",
        "127.0.0.1:8443",
        "/",
        Some(tls.clone()),
        None,
    );
    let note = fixture::note(
        "127.0.0.1:40003",
        "10.0.0.9:443",
        tls,
        TlsWhat::Undecryptable(Undecryptable::NoKeyLog),
    );
    let mut app = load_events(vec![Event::Connection(conn), Event::Tls(note)]);
    // 11 characters before the a's: ESC ] 0 ; o w n e d BEL and the override.
    let row_sni = format!("\\u{{1b}}]0;owned\\u{{7}}\\u{{202e}}{}…", "a".repeat(13));
    let s = screen(&app, 80, 24);
    assert_no_raw_controls(&s);
    assert_shows(
        &s,
        "127.0.0.1:8443 wss 1.3 \\u{1b}]0;owned\\u{7}\\u{202e}aaaa",
    );
    let wide = screen(&app, 400, 24);
    assert_no_raw_controls(&wide);
    assert_shows(&wide, &format!("wss 1.3 {row_sni} / · 0 frames"));
    assert_shows(
        &wide,
        &format!("10.0.0.9:443 {row_sni}: no key log · TLS 1.3"),
    );

    // Each view of it: the connection's handshake, the note's.
    app.browse.right = Right::Handshake;
    app.focus = Pane::Conns;
    for _ in 0..2 {
        app.focus = Pane::Conns;
        app.update(Action::Down);
        let s = screen(&app, 80, 24);
        assert_no_raw_controls(&s);
        app.focus = Pane::Right;
        app.browse.zoom = true;
        let wide = screen(&app, 400, 40);
        app.browse.zoom = false;
        assert_no_raw_controls(&wide);
        // Whole, as far as a DNS name goes (253 characters), then cut.
        let sni = wide
            .iter()
            .find(|l| l.contains("Server name (SNI): "))
            .expect("the server name");
        let shown = sni.split("Server name (SNI): ").nth(1).unwrap().trim_end();
        let whole = format!("\\u{{1b}}]0;owned\\u{{7}}\\u{{202e}}{}…", "a".repeat(242));
        assert_eq!(shown.trim_end_matches('│').trim_end(), whole);
        assert_shows(&wide, "ALPN: \\u{1b}[31mh2 offered → http/1.1 chosen");
    }
    app.focus = Pane::Right;
    app.browse.zoom = true;
    assert_shows(
        &screen(&app, 120, 40),
        "What to do: Give the key log the client wrote with --keylog FILE, or start the client with",
    );
}

/// samples/wss-missing-key.pcap read without a key log: its two TLS connections (samples/
/// README.md: 127.0.0.1:33892 and 33896 to 8443, SNI wss.test, TLS 1.3) are rows that say
/// why they were not decrypted, and the title counts them.
#[test]
fn undecrypted_connections_of_a_real_capture_say_why() {
    use crate::model::TlsWhat;
    let mut app = load("wss-missing-key.pcap", false);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Connections: 0 WebSockets, 2 TLS not decrypted");
    assert_shows(
        &s,
        "No WebSocket frames: 2 TLS connections not decrypted (their rows say why).",
    );
    for port in [33892, 33896] {
        assert_shows(
            &s,
            &format!("! TLS    127.0.0.1:{port} → 127.0.0.1:8443 wss.test: "),
        );
    }
    // The rows whole.
    let s = screen(&app, 120, 24);
    assert_eq!(app.store.tls.len(), 2);
    for (n, port) in app.store.tls.iter().zip([33892, 33896]) {
        let TlsWhat::Undecryptable(why) = &n.what else {
            panic!("{n:?}");
        };
        assert_eq!(n.tls.version, Some(0x0304));
        assert_shows(
            &s,
            &format!(
                "! TLS    127.0.0.1:{port} → 127.0.0.1:8443 wss.test: {} · TLS 1.3",
                crate::present::tls::short_reason(why)
            ),
        );
    }
    app.focus = Pane::Conns;
    app.update(Action::Bottom);
    assert!(app.rows.is_empty());
    app.focus = Pane::Right;
    app.update(Action::ToggleZoom);
    let s = screen(&app, 120, 24);
    let Some(TlsWhat::Undecryptable(why)) = app.selected_tls().map(|n| &n.what) else {
        panic!("no TLS note selected");
    };
    assert_shows(&s, &format!("Why: {why}"));
    assert_shows(&s, "127.0.0.1:33896 → 127.0.0.1:8443");
    assert_shows(&s, "Server name (SNI): wss.test");
    assert_shows(&s, "ALPN: http/1.1 offered");
}

/// Selects the first listed frame of `len` payload bytes sent by `from`.
fn select_frame(app: &mut App, from: Side, len: u64) {
    app.sel = app
        .rows
        .iter()
        .position(|r| match r {
            Row::Frame(i) => {
                let f = &app.store.frames[*i as usize];
                f.from == from && f.header.len == len
            }
            _ => false,
        })
        .unwrap_or_else(|| panic!("no {from:?} frame of {len} bytes"));
}

/// A wss frame says which TLS records it came in, as tshark lists them
/// (samples/wss-node-chacha.tls-records.jsonl, each sender's records numbered from 0): the
/// client's first frame (21 bytes of payload, 27 on the wire) is the whole plaintext of its
/// record 4, 44 bytes, packet 10; the 20000-byte message's frame (20011 bytes, header 8) spans
/// the client's records 6 and 7, 16401 + 3652 bytes, both in packet 14: the first 16384 bytes
/// of the frame are record 6's whole plaintext (16401 − 16 tag − 1 type byte), the rest, 3635
/// bytes, begin record 7's.
#[test]
fn a_wss_frame_names_the_tls_records_it_came_in() {
    let name = "wss-node-chacha.pcap";
    let mut app = load_decoded(name, decode_sample_keyed(name), false);
    app.update(Action::ToggleZoom);
    app.update(Action::FocusNext); // list → details
    select_frame(&mut app, Side::Client, 21);
    let s = screen(&app, 80, 24);
    assert_shows(
        &s,
        "TLS record 4 (44 bytes, packet 10): bytes 0–26 of its plaintext",
    );
    let d = app.details().unwrap();
    let line = d
        .fields
        .iter()
        .find(|f| f.text.starts_with("TLS record"))
        .unwrap();
    assert_eq!(line.bytes, Some(0..27));

    select_frame(&mut app, Side::Client, 20011);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "TLS records 6–7 (16401 + 3652 bytes, packet 14)");
    assert_shows(
        &s,
        "Record 6 (16401 bytes, packet 14): bytes 0–16383 of its plaintext",
    );
    assert_shows(
        &s,
        "Record 7 (3652 bytes, packet 14): bytes 0–3634 of its plaintext",
    );
    let d = app.details().unwrap();
    let parts: Vec<_> = d
        .fields
        .iter()
        .filter(|f| f.text.starts_with("Record "))
        .map(|f| f.bytes.clone())
        .collect();
    assert_eq!(parts, [Some(0..16384), Some(16384..20019)]);

    // Browsing, not zoomed: the line is there, cut to the pane.
    app.update(Action::ToggleZoom);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "TLS records 6–7 (16401");

    // Plaintext WebSocket: no record. WebSocket over HTTP/2 in TLS: its records hold HTTP/2
    // frames, not this stream, so none is claimed.
    for (name, keyed) in [("echo.pcap", false), ("h2-websocket.pcap", true)] {
        let decoded = if keyed {
            decode_sample_keyed(name)
        } else {
            decode_sample(name)
        };
        let mut app = load_decoded(name, decoded, false);
        assert!(!app.rows.is_empty(), "{name}");
        app.update(Action::ToggleZoom);
        for _ in 0..app.rows.len() {
            let d = app.details().unwrap();
            assert!(
                !d.fields.iter().any(|f| f.text.contains("TLS record")),
                "{name}"
            );
            app.update(Action::Down);
        }
    }
}

/// Teach mode on a wss capture: the record step fits 80×24 whole, for a frame in one record
/// and for one over two (wss-node-chacha: the client's records 4, and 6–7).
#[test]
fn teach_shows_the_tls_record_of_a_wss_frame_within_80_by_24() {
    let name = "wss-node-chacha.pcap";
    let mut app = load_decoded(name, decode_sample_keyed(name), false);
    app.update(Action::Teach);
    app.update(Action::StepNext);
    app.update(Action::StepNext);
    let s = screen(&app, 80, 24);
    assert_shows(&s, "Step 3 of 12: This frame arrived inside TLS record 4");
    assert_shows(
        &s,
        "  17 03 03 00 2c     the header: anyone on the path reads it",
    );
    assert_shows(&s, "  a1 af da 76 6e 9e f7 2d 5e 60 0a 83 ed d0 be 9d …");
    assert_shows(&s, "plaintext bytes 0–26: c1 95 b4 fe f1 da");
    assert_shows(
        &s,
        "that a record of this size went by, when, and which way.",
    );
    assert_hides(&s, "↑↓ scroll");
    assert_no_raw_controls(&s);
    // Frames 1–3 are the server's greeting and two 84-byte texts; frame 4 the 20000-byte one.
    app.update(Action::FrameBy(4));
    let s = screen(&app, 80, 24);
    assert_shows(&s, "This frame arrived inside TLS records 6–7");
    assert_shows(&s, "then record 7 (3652 bytes, packet 14), the same way");
    assert_shows(
        &s,
        "that a record of this size went by, when, and which way.",
    );
    assert_hides(&s, "↑↓ scroll");
}
