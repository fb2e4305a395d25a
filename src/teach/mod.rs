//! Teach mode: a walk through one real connection for a workshop audience. The handshake with
//! every header explained, the accept key computed in front of the room, for wss the TLS record
//! a frame travelled in (unreadable on the wire, read with the key log), a frame bit by bit,
//! the XOR that unmasks it, whatever else this capture shows (a server frame, a longer length,
//! fragments, compression, ping/pong, the close), and what the headers cost against HTTP.
//!
//! In: a [`Store`] of decoded events and a connection. Out: [`Page`]s of plain lines, drawn by
//! the terminal UI or printed for handouts (`--teach --print`). Every number on a page is read
//! or computed from the capture; nothing is canned except the explanations. Never: draws or
//! knows the terminal UI; how a line looks is a [`Look`], for whoever shows it.

#[cfg(test)]
mod tests;

use sha1::{Digest, Sha1};

use crate::http::GUID;
use crate::index::{FrameMeta, Store};
use crate::model::Frame;
use crate::present::{escape, hex, words};
use crate::vocab::{ConnId, Opcode, Side};
use crate::ws::{Field, LengthForm};

/// How a line wants to be shown. Nothing relies on colour: headings are also upper-case or
/// underlined in text, checks say "match" or "MISMATCH".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Look {
    Plain,
    /// A heading or the key fact of the page.
    Strong,
    /// Bytes, bits, computations: shown as they are.
    Code,
    /// An explanation in passing.
    Quiet,
    /// Something wrong in the capture.
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) look: Look,
    pub(crate) text: String,
}

pub(crate) struct Page {
    pub(crate) title: String,
    pub(crate) lines: Vec<Line>,
}

impl Page {
    fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            lines: Vec::new(),
        }
    }

    fn push(&mut self, look: Look, text: impl Into<String>) {
        self.lines.push(Line {
            look,
            text: text.into(),
        });
    }

    fn blank(&mut self) {
        self.push(Look::Plain, "");
    }
}

/// What is taught: a WebSocket connection, or an upgrade the server refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    Conn(ConnId),
    /// An index into the store's rejected upgrades.
    Rejected(usize),
}

/// What `--teach` starts with: the first WebSocket connection, else the first refused upgrade.
pub(crate) fn first_target(store: &Store) -> Option<Target> {
    if !store.conns.is_empty() {
        Some(Target::Conn(ConnId(0)))
    } else if !store.rejected.is_empty() {
        Some(Target::Rejected(0))
    } else {
        None
    }
}

/// What a step shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Topic {
    Request,
    Answer,
    /// wss: the TLS record(s) a frame arrived in, as on the wire and decrypted.
    Record,
    /// A frame's header, bit by bit.
    Bits,
    /// A masked frame's payload unmasked byte by byte.
    Unmask,
    /// A server frame: no mask.
    ServerFrame,
    /// A 16- or 64-bit length.
    Length,
    /// A message in several frames, control frames between them.
    Fragments,
    /// permessage-deflate: RSV1 and the inflated bytes.
    Compressed,
    PingPong,
    Close,
    Cost,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Step {
    topic: Topic,
    /// The frame the step is about (an index into the store's frames), when it is about one.
    pub(crate) frame: Option<u32>,
}

/// The steps a connection can teach, in the order a talk would take them.
pub(crate) fn steps(store: &Store, target: Target) -> Vec<Step> {
    let conn = match target {
        Target::Conn(c) => c,
        Target::Rejected(_) => {
            return [Topic::Request, Topic::Answer]
                .map(|topic| Step { topic, frame: None })
                .to_vec();
        }
    };
    let frames = store.frames_of(conn);
    let get = |i: &u32| &store.frames[*i as usize];
    let find = |want: &dyn Fn(&FrameMeta) -> bool| frames.iter().copied().find(|i| want(get(i)));
    let first_masked = find(&|f| f.header.mask.is_some() && !f.payload.is_empty());
    let first = first_masked.or_else(|| frames.first().copied());
    let mut steps = vec![
        Step {
            topic: Topic::Request,
            frame: None,
        },
        Step {
            topic: Topic::Answer,
            frame: None,
        },
    ];
    let mut add = |topic, frame: Option<u32>| {
        if frame.is_some() {
            steps.push(Step { topic, frame });
        }
    };
    // wss: first where the frame travelled, then the frame itself.
    add(
        Topic::Record,
        first.filter(|i| !store.records_of(*i).is_empty()),
    );
    add(Topic::Bits, first);
    add(Topic::Unmask, first_masked);
    add(
        Topic::ServerFrame,
        find(&|f| f.from == Side::Server && !f.header.is_control()),
    );
    add(
        Topic::Length,
        find(&|f| f.header.length_form != LengthForm::Short),
    );
    add(
        Topic::Fragments,
        find(&|f| !f.header.fin && !f.header.is_control()),
    );
    add(Topic::Compressed, find(&|f| f.header.rsv1));
    add(Topic::PingPong, find(&|f| f.header.opcode == Opcode::Ping));
    add(Topic::Close, find(&|f| f.header.opcode == Opcode::Close));
    steps.push(Step {
        topic: Topic::Cost,
        frame: None,
    });
    steps
}

/// The page for a step; `frame` overrides the step's own frame (the teacher picked another).
pub(crate) fn page(store: &Store, target: Target, step: Step, frame: Option<u32>) -> Page {
    let frame = frame
        .or(step.frame)
        .filter(|i| (*i as usize) < store.frames.len())
        .map(|i| (i, store.frame(i)));
    let frame = frame.as_ref().map(|(i, f)| (*i, f));
    let conn = match target {
        Target::Conn(c) => c,
        Target::Rejected(r) => {
            return match step.topic {
                Topic::Request => rejected_request(store, r),
                _ => rejected_answer(store, r),
            };
        }
    };
    match (step.topic, frame) {
        (Topic::Request, _) => request(store, conn),
        (Topic::Answer, _) => answer(store, conn),
        (Topic::Cost, _) => cost(store, conn),
        (_, None) => Page::new("No frame to show"),
        (Topic::Record, Some((i, f))) => record_page(store, i, f),
        (Topic::Bits, Some((_, f))) => bits_page("A frame, bit by bit", f),
        (Topic::ServerFrame, Some((_, f))) => {
            let mut p = bits_page("A frame from the server", f);
            p.lines.insert(
                0,
                Line {
                    look: Look::Strong,
                    text: "Servers never mask: MASK is 0, no key follows, the payload is readable on the wire.".into(),
                },
            );
            p
        }
        (Topic::Length, Some((_, f))) => length_page(f),
        (Topic::Unmask, Some((_, f))) => unmask_page(f),
        (Topic::Fragments, Some((i, f))) => fragments_page(store, i, f),
        (Topic::Compressed, Some((i, f))) => compressed_page(store, i, f),
        (Topic::PingPong, Some((_, f))) => ping_page(store, f),
        (Topic::Close, Some((_, f))) => close_page(store, f),
    }
}

/// What each request header is for, in one line.
fn request_header_note(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "host" => "which site: every HTTP/1.1 request names it",
        "upgrade" => "asks to switch this TCP connection to another protocol: websocket",
        "connection" => "says the Upgrade header is for this hop, so proxies pass the wish on",
        "sec-websocket-key" => "16 random bytes in base64: the server must prove it read them",
        "sec-websocket-version" => "13 is the version of RFC 6455, the only one in use",
        "origin" => "the page that opened the socket: servers check it to refuse other sites",
        "sec-websocket-protocol" => "subprotocols the client speaks; the server picks one",
        "sec-websocket-extensions" => "extensions offered, e.g. permessage-deflate compression",
        "user-agent" => "the client program (plain HTTP)",
        "cookie" => "cookies travel with the upgrade like with any request",
        _ => "(an ordinary HTTP header)",
    }
}

fn response_header_note(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "upgrade" => "the protocol the connection switches to",
        "connection" => "this hop is upgraded",
        "sec-websocket-accept" => "proof that the server read the key: computed below",
        "sec-websocket-protocol" => "the subprotocol the server chose",
        "sec-websocket-extensions" => "the extensions the server accepted, with their settings",
        _ => "(an ordinary HTTP header)",
    }
}

fn head_lines(head: &[u8]) -> impl Iterator<Item = &[u8]> {
    head.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
}

/// Lines of a head with a note beside each header, the notes aligned.
fn annotated(p: &mut Page, head: &[u8], first_note: &str, note: fn(&str) -> &'static str) {
    const NOTE_AT: usize = 44;
    let lines: Vec<&[u8]> = head_lines(head).collect();
    let width = lines
        .iter()
        .map(|l| l.len())
        .max()
        .unwrap_or(0)
        .min(NOTE_AT);
    for (i, l) in lines.iter().enumerate() {
        let text = escape::plain(l, 100);
        let why = if i == 0 {
            first_note
        } else {
            let name = l.split(|b| *b == b':').next().unwrap_or(&[]);
            note(&String::from_utf8_lossy(name))
        };
        if text.chars().count() > width {
            // A long header keeps its whole value; its note goes on the next line.
            p.push(Look::Code, format!("  {text}"));
            p.push(Look::Code, format!("  {:width$}   {why}", ""));
        } else {
            p.push(Look::Code, format!("  {text:<width$}   {why}"));
        }
    }
}

fn request(store: &Store, conn: ConnId) -> Page {
    let mut p = Page::new("The request: an HTTP GET that asks to upgrade");
    let Some(c) = store.conns.get(conn.index()) else {
        return p;
    };
    let Some(h) = &c.info.handshake else {
        p.push(
            Look::Warning,
            "! This capture began after the handshake: the request is not in it.",
        );
        p.push(
            Look::Quiet,
            "Record from before the client connects to see it.",
        );
        return p;
    };
    p.push(
        Look::Plain,
        format!(
            "{} → {}, capture packet {}: {} bytes of HTTP before any WebSocket byte.",
            c.info.client,
            c.info.server,
            c.info.packet,
            h.request_head.len()
        ),
    );
    p.blank();
    annotated(
        &mut p,
        &h.request_head,
        "an ordinary GET: everything on the way understands HTTP",
        request_header_note,
    );
    p.blank();
    p.push(
        Look::Quiet,
        "WebSockets begin as HTTP so that they pass the proxies, firewalls and servers that only know HTTP.",
    );
    p
}

fn answer(store: &Store, conn: ConnId) -> Page {
    let mut p = Page::new("The answer: 101 Switching Protocols, and the accept key");
    let Some(c) = store.conns.get(conn.index()) else {
        return p;
    };
    let Some(h) = &c.info.handshake else {
        p.push(
            Look::Warning,
            "! This capture began after the handshake: the answer is not in it.",
        );
        return p;
    };
    p.push(
        Look::Plain,
        format!("{} bytes from the server:", h.response_head.len()),
    );
    p.blank();
    annotated(
        &mut p,
        &h.response_head,
        "yes: from the next byte on, this connection speaks WebSocket",
        response_header_note,
    );
    p.blank();
    let Some(key) = &h.key else {
        p.push(
            Look::Warning,
            "! The request had no Sec-WebSocket-Key: nothing to check.",
        );
        return p;
    };
    p.push(
        Look::Strong,
        "The accept key, computed from the request's key:",
    );
    for l in accept_lines(key, h.accept.as_deref()) {
        p.lines.push(l);
    }
    p.blank();
    p.push(
        Look::Quiet,
        "Only a server that understood the request can answer this: a cache or a confused HTTP server cannot.",
    );
    p
}

fn rejected_request(store: &Store, index: usize) -> Page {
    let mut p = Page::new("The request: an HTTP GET that asks to upgrade");
    let Some(r) = store.rejected.get(index) else {
        return p;
    };
    p.push(
        Look::Plain,
        format!(
            "{} → {}: {} bytes of HTTP.",
            r.client,
            r.server,
            r.request_head.len()
        ),
    );
    p.blank();
    annotated(
        &mut p,
        &r.request_head,
        "an ordinary GET: everything on the way understands HTTP",
        request_header_note,
    );
    p
}

/// What a refusal means, for the usual status codes.
fn refusal(status: u16) -> &'static str {
    match status {
        400 => "the request broke the handshake's rules (a header missing or wrong)",
        401 | 407 => "the server (or a proxy) wants credentials first",
        403 => "the server refuses this client here: often a check of Origin or of a cookie",
        404 => "nothing serves WebSockets at this path",
        405 => "this path does not take GET",
        426 => "the server wants another protocol version (it lists it in Sec-WebSocket-Version)",
        429 => "too many requests: try later",
        500..=599 => "the server failed",
        200..=299 => "the server answered as for any page: it does not speak WebSocket here",
        300..=399 => "redirected: browsers do not follow redirects for WebSockets",
        _ => "any answer but 101 means no WebSocket",
    }
}

fn rejected_answer(store: &Store, index: usize) -> Page {
    let mut p = Page::new("The answer: the upgrade is refused");
    let Some(r) = store.rejected.get(index) else {
        return p;
    };
    annotated(
        &mut p,
        &r.response_head,
        "not 101: the connection stays HTTP",
        response_header_note,
    );
    p.blank();
    p.push(
        Look::Strong,
        format!(
            "{} {}: {}.",
            r.status,
            escape::plain(r.reason.as_bytes(), 60),
            refusal(r.status)
        ),
    );
    p
}

/// The accept computation, step by step (RFC 6455 section 4.2.2).
fn accept_lines(key: &str, sent: Option<&str>) -> Vec<Line> {
    let key = key.trim();
    let joined = format!("{key}{GUID}");
    let digest = Sha1::digest(joined.as_bytes());
    let b64 = crate::http::accept_for(key);
    let mut out = vec![
        code(format!(
            "  key                 {}",
            escape::plain(key.as_bytes(), 60)
        )),
        code(format!(
            "  + fixed GUID        {GUID}   (RFC 6455, the same for everyone)"
        )),
        code(format!("  = {}", escape::plain(joined.as_bytes(), 100))),
        code(format!("  SHA-1 of that       {}", ::hex::encode(digest))),
        code(format!("  base64 of the hash  {b64}")),
    ];
    match sent {
        Some(s) if s.trim() == b64 => out.push(Line {
            look: Look::Strong,
            text: format!(
                "  the server sent     {}   ✓ match",
                escape::plain(s.as_bytes(), 60)
            ),
        }),
        Some(s) => out.push(Line {
            look: Look::Warning,
            text: format!(
                "  the server sent     {}   ✗ MISMATCH: a client must close the connection",
                escape::plain(s.as_bytes(), 60)
            ),
        }),
        None => out.push(Line {
            look: Look::Warning,
            text: "  the server sent no Sec-WebSocket-Accept: a client must refuse it".into(),
        }),
    }
    out
}

fn code(text: String) -> Line {
    Line {
        look: Look::Code,
        text,
    }
}

fn frame_intro(f: &Frame) -> String {
    let dir = words::direction(f.from);
    let packets = if f.packets.0 == f.packets.1 {
        format!("packet {}", f.packets.1)
    } else {
        format!("packets {}–{}", f.packets.0, f.packets.1)
    };
    format!(
        "Frame {} of connection #{}, {dir}, capture {packets}: {} header bytes + {} payload bytes.",
        f.n, f.conn, f.header.header_len, f.header.len
    )
}

fn opcode_words(op: Opcode) -> String {
    let what = match op {
        Opcode::Continuation => "continues the message before it",
        Opcode::Text => "a text message (UTF-8)",
        Opcode::Binary => "a binary message",
        Opcode::Close => "close the connection",
        Opcode::Ping => "are you there?",
        Opcode::Pong => "yes, I am (answers a ping)",
        Opcode::Reserved(_) => "reserved: no meaning yet",
    };
    format!("{}: {what}", op.name())
}

/// The two first bytes in the RFC's diagram, filled with this frame's bits, and every field
/// labelled with its value.
fn bit_diagram(f: &Frame) -> Vec<Line> {
    let h = &f.header;
    let mut header = Vec::with_capacity(14);
    h.encode(&mut header);
    let mut row = String::from(" |");
    // Column of each field's leader line (the middle of its cell), and its label.
    let mut fields: Vec<(usize, String)> = Vec::with_capacity(7);
    for span in h.layout().into_iter().filter(|s| s.bytes.end <= 2) {
        let byte = header[span.bytes.start];
        let width = span.bits.count_ones() as usize;
        let start = row.len();
        for i in (0..8).rev().filter(|i| span.bits & (1 << i) != 0) {
            if row.len() > start {
                row.push(' ');
            }
            row.push(if byte & (1 << i) != 0 { '1' } else { '0' });
        }
        row.push('|');
        let value = (byte & span.bits) >> span.bits.trailing_zeros();
        let name = span.field.name();
        let label = match span.field {
            Field::Fin => format!(
                "{name} = {value}: {}",
                if h.fin {
                    "the final frame of its message"
                } else {
                    "more frames of this message follow"
                }
            ),
            Field::Rsv1 if h.rsv1 => format!("{name} = {value}: compressed (permessage-deflate)"),
            Field::Opcode => format!("{name} = {value}: {}", opcode_words(h.opcode)),
            Field::Mask => format!(
                "{name} = {value}: {}",
                if h.mask.is_some() {
                    "a 4-byte masking key follows, the payload is masked"
                } else {
                    "no key, the payload is as sent"
                }
            ),
            Field::PayloadLen => {
                let meaning = match h.length_form {
                    LengthForm::Short => format!("{value}: the length itself (0-125 fit here)"),
                    LengthForm::Medium => "126: the real length is in the next 2 bytes".to_owned(),
                    LengthForm::Long => "127: the real length is in the next 8 bytes".to_owned(),
                };
                format!("payload len = {meaning}")
            }
            _ => format!("{name} = {value}"),
        };
        fields.push((start + width - 1, label));
    }
    let mut out = vec![
        code("  0                   1".into()),
        code("  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5".into()),
        code(" +-+-+-+-+-------+-+-------------+".into()),
        code(row),
        code(" +-+-+-+-+-------+-+-------------+".into()),
    ];
    let stem = |upto: usize| {
        let mut s = vec![b' '; 30];
        for (col, _) in &fields[..upto] {
            s[*col] = b'|';
        }
        s
    };
    for k in (0..fields.len()).rev() {
        let mut s = stem(k);
        let col = fields[k].0;
        s[col] = b'+';
        for c in s.iter_mut().skip(col + 1) {
            *c = b'-';
        }
        let mut line = String::from_utf8_lossy(&s).into_owned();
        line.push(' ');
        line.push_str(&fields[k].1);
        out.push(code(line));
    }
    out
}

/// The bytes after the first two: extended length and masking key.
fn rest_of_header(f: &Frame) -> Vec<Line> {
    let h = &f.header;
    let mut header = Vec::with_capacity(14);
    h.encode(&mut header);
    let mut out = Vec::new();
    let ext = h.bytes_of(Field::ExtendedPayloadLen);
    let key = h.bytes_of(Field::MaskingKey);
    if let Some(r) = &ext {
        out.push(code(format!(
            " bytes {}-{}: extended payload length ({} bits) = {} = {} bytes",
            r.start,
            r.end - 1,
            r.len() * 8,
            hex::spaced(&header[r.clone()]),
            h.len
        )));
    }
    if let Some(r) = &key {
        out.push(code(format!(
            " bytes {}-{}: masking key = {}",
            r.start,
            r.end - 1,
            hex::spaced(&header[r.clone()])
        )));
    }
    // The first two bytes, that every header has, end where the 7-bit length does.
    let fixed = h.bytes_of(Field::PayloadLen).map_or(0, |r| r.end);
    out.push(code(format!(
        " header: {} bytes = {fixed}{}{}",
        h.header_len,
        ext.map_or(String::new(), |r| format!(" + {} (length)", r.len())),
        key.map_or(String::new(), |r| format!(" + {} (key)", r.len()))
    )));
    out
}

fn payload_line(f: &Frame) -> Line {
    let shown = match f.header.opcode {
        Opcode::Binary => format!("{} …", hex::spaced(&f.payload[..f.payload.len().min(16)])),
        _ if f.header.rsv1 => "(compressed: see the compression step)".into(),
        _ => format!("\"{}\"", escape::plain(&f.payload, 60)),
    };
    code(format!(" payload ({} bytes): {shown}", f.payload.len()))
}

/// The name of a TLS record's content type (RFC 8446 §5.1).
fn content_type(t: u8) -> &'static str {
    match t {
        20 => "change_cipher_spec",
        21 => "alert",
        22 => "handshake",
        23 => "application_data",
        24 => "heartbeat",
        _ => "unknown",
    }
}

/// The frame as it crossed inside TLS: the record it arrived in, as anyone on the path sees it
/// (a readable header, an unreadable body) and as the key log lets it be read.
fn record_page(store: &Store, index: u32, f: &Frame) -> Page {
    let records = store.records_of(index);
    let (Some(r), Some(last)) = (records.first(), records.last()) else {
        return Page::new("No TLS record to show");
    };
    let title = if records.len() == 1 {
        format!("This frame arrived inside TLS record {}", r.number)
    } else {
        format!(
            "This frame arrived inside TLS records {}–{}",
            r.number, last.number
        )
    };
    let mut p = Page::new(title);
    p.push(Look::Plain, frame_intro(f));
    p.blank();
    let sender = f.from.name();
    if records.len() == 1 {
        p.push(
            Look::Strong,
            format!(
                "On the wire: the {sender}'s TLS record {}, 5 header bytes + {} bytes, packet {}.",
                r.number,
                r.len(),
                r.packets.1
            ),
        );
    } else {
        p.push(
            Look::Strong,
            format!(
                "On the wire: the {sender}'s TLS records {}–{}, {} in all; the first, packet {}:",
                r.number,
                last.number,
                records.len(),
                r.packets.1
            ),
        );
    }
    let tls = store.conn(f.conn).and_then(|c| c.info.tls.clone());
    let tls13 = tls.as_ref().and_then(|t| t.version) == Some(0x0304);
    let h = r.header;
    let version = u16::from_be_bytes([h[1], h[2]]);
    let version_note = match (version, tls13) {
        (0x0303, true) => "legacy 0x0303: 1.2's number, kept by 1.3 for middleboxes".to_owned(),
        (v, _) => format!("version 0x{v:04x}: TLS {}", crate::tls::version_name(v)),
    };
    p.lines.extend([
        code(format!(
            "  {}     the header: anyone on the path reads it",
            hex::spaced(&h)
        )),
        code(format!(
            "  {:02x}                 type {}: {}",
            h[0],
            h[0],
            content_type(h[0])
        )),
        code(format!(
            "     {:02x} {:02x}           {version_note}",
            h[1], h[2]
        )),
        code(format!(
            "           {:02x} {:02x}     length {}: the body that follows",
            h[3],
            h[4],
            r.len()
        )),
        code(format!(
            "  {}{}",
            hex::spaced(r.head()),
            if r.len() > r.head().len() { " …" } else { "" }
        )),
        code("  the body: ciphertext, unreadable on the wire".into()),
    ]);
    match &records[1..] {
        [] => {}
        [next] => p.push(
            Look::Code,
            format!(
                "  then record {} ({} bytes, packet {}), the same way",
                next.number,
                next.len(),
                next.packets.1
            ),
        ),
        rest => p.push(
            Look::Code,
            format!(
                "  then records {}–{} ({} more, packets {}–{}), the same way",
                rest[0].number,
                last.number,
                rest.len(),
                rest[0].packets.1,
                last.packets.1
            ),
        ),
    }
    p.blank();
    let agreed = tls.as_ref().map_or_else(String::new, |t| {
        format!(
            ": TLS {}, {}",
            t.version_name().as_deref().unwrap_or("?"),
            t.cipher_name().as_deref().unwrap_or("?")
        )
    });
    p.push(Look::Strong, format!("Decrypted with the key log{agreed}."));
    let plain = r.plain.1 - r.plain.0;
    let extra = (r.len() as u64).saturating_sub(plain);
    let why = if tls13 {
        let padding = extra.saturating_sub(17);
        format!(
            "a 16-byte tag that proves nothing was changed, and the real content type, hidden \
             inside{}",
            if padding > 0 {
                format!(", and {padding} bytes of padding")
            } else {
                String::new()
            }
        )
    } else {
        "what protects it: nonce or IV, tag or MAC, padding, as the cipher suite wants".to_owned()
    };
    p.push(
        Look::Plain,
        format!(
            "  {} bytes of body hold {plain} bytes of plaintext; the other {extra}: {why}.",
            r.len()
        ),
    );
    // The frame's bytes as they came out of the record: its header, then its payload as sent.
    let mut wire = Vec::with_capacity(14 + 8);
    f.header.encode(&mut wire);
    let hl = wire.len();
    let shown = f.payload.len().min(8);
    wire.extend_from_slice(&f.payload[..shown]);
    if let Some(key) = f.header.mask {
        crate::ws::unmask(&mut wire[hl..], key, 0);
    }
    let from = f.offset.saturating_sub(r.plain.0);
    let to = (f.offset + u64::from(f.header.header_len) + f.header.len)
        .min(r.plain.1)
        .saturating_sub(r.plain.0 + 1);
    let more = u64::from(f.header.header_len) + f.header.len > wire.len() as u64;
    p.push(
        Look::Code,
        format!(
            "  plaintext bytes {from}–{to}: {}{}",
            hex::spaced(&wire),
            if more { " …" } else { "" }
        ),
    );
    p.push(
        Look::Plain,
        "  = this frame as sent: its header, then its payload.",
    );
    p.blank();
    p.push(
        Look::Quiet,
        "Without the key log (SSLKEYLOGFILE, written by the client) an observer sees only the \
         headers: that a record of this size went by, when, and which way.",
    );
    p
}

fn bits_page(title: &str, f: &Frame) -> Page {
    let mut p = Page::new(title);
    p.push(Look::Plain, frame_intro(f));
    p.blank();
    p.lines.extend(bit_diagram(f));
    p.lines.extend(rest_of_header(f));
    p.lines.push(payload_line(f));
    p
}

fn length_page(f: &Frame) -> Page {
    let mut p = Page::new("A longer payload: the 16- and 64-bit lengths");
    p.push(Look::Plain, frame_intro(f));
    p.blank();
    p.push(
        Look::Strong,
        "7 bits hold lengths up to 125. 126 says \"read 2 more bytes\" (up to 65,535); 127 says \"read 8\".",
    );
    p.blank();
    p.lines.extend(bit_diagram(f));
    p.lines.extend(rest_of_header(f));
    p
}

/// One row per payload byte (up to `limit`): the byte on the wire, the key byte it meets, the
/// XOR, and what comes out.
fn xor_table(f: &Frame, limit: usize) -> Vec<Line> {
    let Some(key) = f.header.mask else {
        return vec![Line {
            look: Look::Quiet,
            text: "This frame is not masked: its payload is on the wire as it is.".into(),
        }];
    };
    let mut out = vec![
        code(format!(" masking key: {}", hex::spaced(&key))),
        code("    i   on the wire       key[i mod 4]      XOR = unmasked    char".into()),
    ];
    for (i, plain) in f.payload.iter().enumerate().take(limit) {
        let k = key[i % 4];
        let wire = plain ^ k;
        // A space would be invisible on a projector.
        let ch = match *plain {
            b' ' => '␠',
            b => hex::printable(b),
        };
        out.push(code(format!(
            " {i:>4}   {wire:02x} {wire:08b}  ⊕  {k:02x} {k:08b}  =  {plain:02x} {plain:08b}   {ch}"
        )));
    }
    if f.payload.len() > limit {
        out.push(Line {
            look: Look::Quiet,
            text: format!("  … {} more bytes, the same way", f.payload.len() - limit),
        });
    }
    out
}

fn unmask_page(f: &Frame) -> Page {
    let mut p = Page::new("Unmasking: XOR with the key, byte by byte");
    p.push(Look::Plain, frame_intro(f));
    p.blank();
    p.lines.extend(xor_table(f, 64));
    p.blank();
    p.push(
        Look::Quiet,
        "Why clients mask: so that a web page cannot choose the bytes that cross the network, and \
         cannot make a broken proxy cache a forged answer (RFC 6455, section 10.3).",
    );
    p
}

fn frame_row(f: &Frame) -> String {
    let h = &f.header;
    format!(
        "  frame {:>3}  packet {:>5}  {:<6} {:<13} FIN={}  {:>6} bytes  {}",
        f.n,
        f.packets.1,
        f.from.name(),
        format!("{} ({})", h.opcode.name(), h.opcode.to_u8()),
        u8::from(h.fin),
        h.len,
        match h.opcode {
            _ if h.rsv1 => String::new(),
            Opcode::Binary | Opcode::Close => hex::spaced(&f.payload[..f.payload.len().min(8)]),
            _ => format!("\"{}\"", escape::plain(&f.payload, 24)),
        }
    )
}

fn fragments_page(store: &Store, index: u32, f: &Frame) -> Page {
    let mut p = Page::new("A message in pieces: fragments");
    let Some(m) = store.message_of(index) else {
        p.push(
            Look::Warning,
            "! This message never finished in the capture.",
        );
        return p;
    };
    p.push(
        Look::Plain,
        format!(
            "One {} message of {} bytes, sent in {} frames by the {}:",
            m.opcode.name(),
            m.data.len(),
            m.frames.len(),
            m.from.name()
        ),
    );
    p.blank();
    let (first, last) = (
        *m.frames.first().unwrap_or(&f.n),
        *m.frames.last().unwrap_or(&f.n),
    );
    for &i in store.frames_of(f.conn) {
        let g = &store.frames[i as usize];
        if g.n < first || g.n > last {
            continue;
        }
        let row = frame_row(&store.frame(i));
        if m.frames.contains(&g.n) {
            p.push(Look::Code, row);
        } else {
            p.push(
                Look::Strong,
                format!("{row}   ← not part of it: control frames may go between fragments"),
            );
        }
    }
    p.blank();
    p.push(
        Look::Plain,
        "The first frame carries the opcode with FIN=0; continuations carry opcode 0; the last has FIN=1.",
    );
    if m.opcode == Opcode::Text {
        p.push(
            Look::Code,
            format!(
                "  joined: \"{}\"",
                escape::plain(&store.spill.get(m.data).unwrap_or_default(), 200)
            ),
        );
    }
    p
}

fn compressed_page(store: &Store, index: u32, f: &Frame) -> Page {
    let mut p = Page::new("Compression: permessage-deflate");
    p.push(Look::Plain, frame_intro(f));
    if let Some(ext) = store
        .conns
        .get(f.conn.index())
        .and_then(|c| c.info.handshake.as_ref())
        .and_then(|h| h.extensions.as_deref())
    {
        p.push(
            Look::Plain,
            format!(
                "Agreed in the handshake: Sec-WebSocket-Extensions: {}",
                escape::plain(ext.as_bytes(), 80)
            ),
        );
    }
    p.blank();
    p.push(
        Look::Strong,
        "RSV1 = 1 on the first frame says: this message is compressed (DEFLATE, RFC 7692).",
    );
    p.push(
        Look::Code,
        format!(
            "  on the wire ({} bytes): {}{}",
            f.payload.len(),
            hex::spaced(&f.payload[..f.payload.len().min(24)]),
            if f.payload.len() > 24 { " …" } else { "" }
        ),
    );
    match store.message_of(index).filter(|m| m.compressed) {
        Some(m) if m.problems.is_empty() => {
            let data = store.spill.get(m.data).unwrap_or_default();
            p.push(
                Look::Code,
                format!(
                    "  inflated ({} bytes): \"{}\"",
                    data.len(),
                    escape::plain(&data, 120)
                ),
            );
            if !data.is_empty() {
                p.push(
                    Look::Plain,
                    format!(
                        "  {} bytes instead of {}: {:.0}% of the size.",
                        f.payload.len(),
                        data.len(),
                        f.payload.len() as f64 * 100.0 / data.len() as f64
                    ),
                );
            }
        }
        Some(m) => p.push(
            Look::Warning,
            format!(
                "! It does not inflate whole: {}",
                m.problems
                    .iter()
                    .map(|p| p.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        None => p.push(
            Look::Warning,
            "! The message is not complete in the capture.",
        ),
    }
    p.blank();
    p.push(
        Look::Quiet,
        "With context takeover each message may point back into earlier ones: similar messages shrink most.",
    );
    p
}

fn ping_page(store: &Store, f: &Frame) -> Page {
    let mut p = Page::new("Ping and pong: is the other side still there?");
    p.push(Look::Code, frame_row(f));
    let pong = store
        .frames_of(f.conn)
        .iter()
        .find(|i| {
            let g = &store.frames[**i as usize];
            g.n > f.n && g.header.opcode == Opcode::Pong && g.from != f.from
        })
        .map(|i| store.frame(*i));
    match pong {
        Some(g) => {
            p.push(Look::Code, frame_row(&g));
            p.blank();
            p.push(
                Look::Plain,
                format!(
                    "The pong came {:.3} ms later{}.",
                    g.ts.since(f.ts) * 1000.0,
                    if g.payload == f.payload {
                        ", with the same payload, as the RFC requires"
                    } else {
                        ", but with a different payload"
                    }
                ),
            );
        }
        None => p.push(Look::Warning, "! No pong answered it in the capture."),
    }
    p.blank();
    p.push(
        Look::Quiet,
        "Control frames (close, ping, pong) carry at most 125 bytes and are never fragmented.",
    );
    p
}

fn close_page(store: &Store, f: &Frame) -> Page {
    let mut p = Page::new("The closing handshake");
    for g in store
        .frames_of(f.conn)
        .iter()
        .filter(|i| store.frames[**i as usize].header.opcode == Opcode::Close)
        .map(|i| store.frame(*i))
    {
        p.push(Look::Code, frame_row(&g));
        match g.payload.as_slice() {
            [a, b, reason @ ..] => {
                let code = u16::from_be_bytes([*a, *b]);
                p.push(
                    Look::Strong,
                    format!(
                        "     code {}{}",
                        words::CloseCode(code),
                        if reason.is_empty() {
                            String::new()
                        } else {
                            format!(", reason \"{}\"", escape::plain(reason, 60))
                        }
                    ),
                );
            }
            [] => p.push(Look::Plain, "     no code: a bare close"),
            _ => p.push(Look::Warning, "     ! 1 byte: a close code takes 2"),
        }
    }
    if let Some(end) = store.conns.get(f.conn.index()).and_then(|c| c.end.as_ref()) {
        p.blank();
        p.push(
            Look::Plain,
            format!(
                "Then TCP ends the connection ({}) at packet {}.",
                match end.how {
                    crate::model::EndHow::Fin => "FIN",
                    crate::model::EndHow::Rst => "RST",
                    crate::model::EndHow::Eof => "still open when the capture ended",
                    crate::model::EndHow::Evicted => "no longer followed (evicted)",
                },
                end.packet
            ),
        );
    }
    p.blank();
    p.push(
        Look::Quiet,
        "One side sends close, the other answers with close; then the TCP connection is closed.",
    );
    p
}

/// Bytes of headers this connection used, against HTTP requests for the same messages.
struct Cost {
    frames: u64,
    messages: u64,
    frame_header_bytes: u64,
    payload_bytes: u64,
    /// The size of this capture's own upgrade request head.
    request_head: u64,
    handshake_bytes: u64,
}

fn cost_of(store: &Store, conn: ConnId) -> Cost {
    let mut c = Cost {
        frames: 0,
        messages: 0,
        frame_header_bytes: 0,
        payload_bytes: 0,
        request_head: 0,
        handshake_bytes: 0,
    };
    for &i in store.frames_of(conn) {
        let f = &store.frames[i as usize];
        c.frames += 1;
        c.frame_header_bytes += u64::from(f.header.header_len);
        c.payload_bytes += f.header.len;
    }
    c.messages = (0..store.message_count() as u32)
        .map(|i| store.message_meta(i))
        .filter(|m| m.conn == conn && m.opcode.is_data())
        .count() as u64;
    if let Some(h) = store
        .conns
        .get(conn.index())
        .and_then(|c| c.info.handshake.as_ref())
    {
        c.request_head = h.request_head.len() as u64;
        c.handshake_bytes = (h.request_head.len() + h.response_head.len()) as u64;
    }
    c
}

fn bar(value: u64, max: u64, width: usize) -> String {
    let n = if max == 0 {
        0
    } else {
        ((value as f64 / max as f64) * width as f64).ceil() as usize
    };
    "█".repeat(n.min(width))
}

fn cost(store: &Store, conn: ConnId) -> Page {
    let mut p = Page::new("The cost: 2-14 bytes of frame header against HTTP's hundreds");
    let c = cost_of(store, conn);
    if c.frames == 0 {
        p.push(Look::Plain, "No frames on this connection.");
        return p;
    }
    let request = if c.request_head > 0 {
        c.request_head
    } else {
        200
    };
    let http = c.messages * request;
    p.push(
        Look::Plain,
        format!(
            "This connection: {} frames carrying {} messages (and control frames), {} payload bytes.",
            c.frames, c.messages, c.payload_bytes
        ),
    );
    p.blank();
    let max = http.max(c.frame_header_bytes).max(c.payload_bytes).max(1);
    let rows = [
        (
            "WebSocket frame headers",
            c.frame_header_bytes,
            format!(
                "{} frames, {:.1} bytes each",
                c.frames,
                c.frame_header_bytes as f64 / c.frames as f64
            ),
        ),
        (
            "HTTP request headers",
            http,
            format!(
                "{} requests × {} bytes{}",
                c.messages,
                request,
                if c.request_head > 0 {
                    " (this capture's own request)"
                } else {
                    " (a typical request)"
                }
            ),
        ),
        ("the payload itself", c.payload_bytes, String::new()),
    ];
    for (name, value, note) in rows {
        p.push(
            Look::Code,
            format!("  {name:<24}{:>9} B  {}", value, bar(value, max, 36)),
        );
        if !note.is_empty() {
            p.push(Look::Quiet, format!("  {:<24}{note}", ""));
        }
    }
    p.blank();
    if c.handshake_bytes > 0 {
        p.push(
            Look::Plain,
            format!(
                "The handshake cost {} bytes once; after it, each message pays 2 to 14 bytes.",
                c.handshake_bytes
            ),
        );
    }
    if http > c.frame_header_bytes {
        p.push(
            Look::Strong,
            format!(
                "As HTTP requests these messages would carry {}× the header bytes (responses not even counted).",
                (http as f64 / c.frame_header_bytes.max(1) as f64).round() as u64
            ),
        );
    }
    p
}

/// The whole walk-through as plain text, for handouts and for scripts.
pub(crate) fn print_all(
    store: &Store,
    target: Target,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let steps = steps(store, target);
    for (i, step) in steps.iter().enumerate() {
        let page = page(store, target, *step, None);
        writeln!(out, "━━━ Step {} of {}: {}", i + 1, steps.len(), page.title)?;
        writeln!(out)?;
        for l in &page.lines {
            writeln!(out, "{}", l.text)?;
        }
        writeln!(out)?;
    }
    Ok(())
}
