//! The browsing screen's panes: connections, the frame or message list, the field tree, and
//! the bytes, payload or handshake of the selected row. Only visible rows are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::index::Conn;
use crate::model::{TlsNote, TlsWhat};
use crate::present::{escape_plain, hex, time, tls, words};
use crate::vocab::{Opcode, PacketNo, Side};

use super::super::app::App;
use super::super::components::row::Row;
use super::super::layout::scroll_to;
use super::super::screens::browse::{Clock, ConnRow, Pane, Right};
use super::{SELECTED, block};

/// Columns for "#", the largest connection number and a space; at least 4.
fn conn_width(app: &App) -> usize {
    let last = app.store.conns.len().saturating_sub(1);
    (last.to_string().len() + 2).max(4)
}

fn addr_pair(c: &crate::model::Connection) -> String {
    format!("{} → {}", c.client, c.server)
}

pub(crate) fn connections(f: &mut Frame, app: &App, area: Rect) {
    let s = &app.store;
    let mut title = format!(
        "Connections: {} WebSocket{}",
        s.conns.len(),
        if s.conns.len() == 1 { "" } else { "s" },
    );
    if !s.rejected.is_empty() {
        title.push_str(&format!(", {} rejected", s.rejected.len()));
    }
    if !s.http.is_empty() {
        title.push_str(&format!(", {} plain HTTP", s.http.len()));
    }
    if !s.anomalies.is_empty() {
        let n = s.anomalies.len();
        title.push_str(&format!(", {n} anomal{}", if n == 1 { "y" } else { "ies" }));
    }
    if s.undecrypted > 0 {
        title.push_str(&format!(", {} TLS not decrypted", s.undecrypted));
    }
    let b = block(app, Pane::Conns, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let height = usize::from(inner.height);
    let offset = scroll_to(
        app.layout.conn_offset,
        app.browse.conn_sel,
        height,
        app.conn_rows(),
    );
    let mut lines = Vec::with_capacity(height);
    for i in offset..(offset + height).min(app.conn_rows()) {
        let mut text = String::new();
        let mut style = Style::new();
        match app.conn_row_at(i) {
            ConnRow::All => {
                let frames: u64 = s.conns.iter().map(|c| c.frames).sum();
                text.push_str(&format!("All connections ({frames} frames)"));
            }
            ConnRow::Conn(id) => {
                if let Some(c) = s.conn(id) {
                    style = conn_line(app, c, &mut text);
                }
            }
            ConnRow::Rejected(r) => {
                if let Some(r) = s.rejected.get(r) {
                    text.push_str(&format!("REJECTED {} → {} GET ", r.client, r.server));
                    escape_plain(r.path.as_bytes(), 40, &mut text);
                    text.push_str(&format!(" → {} ", r.status));
                    escape_plain(r.reason.as_bytes(), 30, &mut text);
                    style = style.fg(Color::Yellow);
                }
            }
            ConnRow::Http(h) => {
                if let Some(h) = s.http.get(h) {
                    text.push_str(&format!("HTTP     {} → {} ", h.client, h.server));
                    escape_plain(h.method.as_bytes(), 10, &mut text);
                    text.push(' ');
                    escape_plain(h.path.as_bytes(), 40, &mut text);
                    text.push_str(&format!(" → {} ", h.status));
                    escape_plain(h.reason.as_bytes(), 30, &mut text);
                    text.push_str(" (no upgrade)");
                    style = style.add_modifier(Modifier::DIM);
                }
            }
            ConnRow::Anomaly(a) => {
                if let Some(a) = s.anomalies.get(a) {
                    text.push_str(&format!("! {:<7}", a.layer.name().to_ascii_uppercase()));
                    if let Some((src, dst)) = &a.endpoints {
                        text.push_str(&format!("{src} → {dst} "));
                    }
                    text.push_str(&format!("packet {}: ", a.packet));
                    escape_plain(a.reason.as_bytes(), 200, &mut text);
                    style = style.fg(Color::Red);
                }
            }
            ConnRow::Tls(n) => {
                if let Some(n) = s.tls.get(n) {
                    style = tls_note_line(n, &mut text);
                }
            }
        }
        if i == app.browse.conn_sel {
            style = style.patch(SELECTED);
        }
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// A WebSocket connection's row: number, addresses, what carries it (`wss 1.3 example.com`,
/// `h2 stream 3`), path, counts, state, and what is wrong or was agreed. Red when something
/// is wrong.
fn conn_line(app: &App, c: &Conn, text: &mut String) -> Style {
    let mut style = Style::new();
    let number = format!("#{}", c.info.conn);
    text.push_str(&format!(
        "{number:<w$}{}",
        addr_pair(&c.info),
        w = conn_width(app)
    ));
    if let Some(t) = &c.info.tls {
        text.push(' ');
        tls::mark(t, tls::SNI_IN_ROW, text);
    }
    if let Some(stream) = c.info.http2_stream {
        text.push_str(&format!(" h2 stream {stream}"));
    }
    match &c.info.handshake {
        Some(h) => {
            text.push(' ');
            escape_plain(h.path.as_bytes(), 40, text);
        }
        None => text.push_str(" (no handshake: -d)"),
    }
    text.push_str(&format!(
        " · {} frames, {} B · {}",
        c.frames,
        c.bytes,
        words::connection_state(c.close, c.end.as_ref().map(|e| e.how))
    ));
    if c.problems > 0 {
        text.push_str(&format!(" · ! {} problems", c.problems));
        style = style.fg(Color::Red);
    }
    if let Some(h) = &c.info.handshake {
        // An HTTP/2 extended CONNECT has no key and no accept (RFC 8441): nothing to check.
        if !h.accept_valid && c.info.http2_stream.is_none() {
            text.push_str(" · ! accept key invalid");
            style = style.fg(Color::Red);
        }
        if let Some(p) = &h.subprotocol {
            text.push_str(" · protocol ");
            escape_plain(p.as_bytes(), 20, text);
        }
        if let Some(e) = &h.extensions {
            text.push_str(" · ");
            escape_plain(e.as_bytes(), 60, text);
        }
    }
    style
}

/// A TLS note's row: a connection not decrypted (red), its server name and why in a few words
/// (the title counts them as not decrypted, the handshake view says it whole), then the
/// version and suite, which an 80-column row may cut; or an alert, fatal in red,
/// `close_notify` dim.
fn tls_note_line(n: &TlsNote, text: &mut String) -> Style {
    let mut sni = String::new();
    match &n.tls.sni {
        Some(name) => escape_plain(name.as_bytes(), tls::SNI_IN_ROW, &mut sni),
        None => sni.push_str("(no SNI)"),
    }
    let problem = match &n.what {
        TlsWhat::Undecryptable(_) => true,
        TlsWhat::Alert { alert, .. } => alert.description_name() != "close_notify",
    };
    text.push_str(if problem { "! TLS    " } else { "  TLS    " });
    text.push_str(&format!("{} → {} {sni}", n.client, n.server));
    match &n.what {
        TlsWhat::Undecryptable(why) => {
            text.push_str(": ");
            text.push_str(tls::short_reason(why));
            text.push_str(" ·");
            if let Some(v) = n.tls.version_name() {
                text.push_str(&format!(" TLS {v}"));
            }
            if let Some(c) = n.tls.cipher_name() {
                text.push_str(&format!(" {c}"));
            }
            Style::new().fg(Color::Red)
        }
        TlsWhat::Alert { from, alert } => {
            text.push_str(&format!(": {alert} from the {}", from.name()));
            match alert.level_name() {
                _ if !problem => Style::new().add_modifier(Modifier::DIM),
                "fatal" => Style::new().fg(Color::Red),
                _ => Style::new().fg(Color::Yellow),
            }
        }
    }
}

pub(crate) fn list(f: &mut Frame, app: &App, area: Rect) {
    let mut title = app.list_title();
    if !app.filter_text.is_empty() {
        title.push_str(" · filter: ");
        title.push_str(&app.filter_text);
    }
    if app.browse.paused {
        title.push_str(" · PAUSED");
    }
    let b = block(app, Pane::List, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    if inner.height == 0 {
        return;
    }
    let all = app.conn_row() == ConnRow::All;
    let height = usize::from(inner.height) - 1;
    let offset = scroll_to(app.layout.list_offset, app.sel, height, app.rows.len());
    let visible = &app.rows[offset.min(app.rows.len())..(offset + height).min(app.rows.len())];
    // Columns as narrow as the rows on screen allow, so the preview keeps the rest.
    let packets: Vec<PacketNo> = visible.iter().map(|r| r.packet(&app.store)).collect();
    let pkt_w = packets
        .iter()
        .max()
        .map_or(3, |p| p.to_string().len())
        .max(3);
    let time_w = match app.browse.clock {
        Clock::Absolute => 15,
        _ => 10,
    };
    // As wide as its header, "Conn ", at least.
    let conn_w = conn_width(app).max(5);
    let mut header = format!(
        " {:>pkt_w$} {:>time_w$} ",
        "Pkt",
        clock_name(app.browse.clock)
    );
    if all {
        header.push_str(&format!("{:<conn_w$}", "Conn"));
    }
    header.push_str(&format!(
        "{:<8} {:<6} {:<4} {:<6} {:>6} Preview",
        "Dir", "Opcode", "Frag", "Flags", "Length"
    ));
    let mut lines = Vec::with_capacity(height + 1);
    lines.push(Line::from(header).bold().underlined());
    let width = usize::from(inner.width);
    for (k, (row, packet)) in visible.iter().zip(&packets).enumerate() {
        let (row, i) = (*row, offset + k);
        let prev = i.checked_sub(1).map(|p| app.rows[p]);
        let mut text = String::with_capacity(width);
        let s = row.subject(&app.store, false);
        let bad = s.gap || !s.problems.is_empty();
        text.push(if bad { '!' } else { ' ' });
        text.push_str(&format!("{packet:>pkt_w$} "));
        text.push_str(&format!("{:>time_w$} ", time_text(app, row, prev)));
        if all {
            text.push_str(&format!("{:<conn_w$}", format!("#{}", s.conn)));
        }
        text.push_str(words::arrow(s.from));
        text.push(' ');
        let opcode = s.opcode.map_or("gap", short_opcode);
        text.push_str(&format!("{opcode:<6} "));
        let (frag, flags) = match row {
            Row::Frame(fi) => {
                let h = &app.store.frames[fi as usize].header;
                let mut flags = String::new();
                if h.fin {
                    flags.push_str("FIN");
                }
                for (on, name) in [(h.rsv1, "R1"), (h.rsv2, "R2"), (h.rsv3, "R3")] {
                    if on {
                        if !flags.is_empty() {
                            flags.push(' ');
                        }
                        flags.push_str(name);
                    }
                }
                (app.fragment(row), flags)
            }
            Row::Message(mi) => {
                let m = app.store.message_meta(mi);
                (
                    format!("×{}", m.frames.len()),
                    if m.compressed {
                        "defl".into()
                    } else {
                        String::new()
                    },
                )
            }
            Row::Gap(_) => (String::new(), String::new()),
        };
        text.push_str(&format!("{frag:<4} {flags:<6} {:>6} ", s.len));
        row.preview(&app.store, &mut text);
        let mut style = Style::new();
        if bad {
            style = style.fg(Color::Red);
        } else if s.opcode.is_some_and(Opcode::is_control) {
            style = style.fg(Color::Yellow).add_modifier(Modifier::BOLD);
        } else if s.from == Side::Server {
            style = style.fg(Color::Green);
        }
        if i == app.sel {
            style = style.patch(SELECTED);
        }
        let text: String = text.chars().take(width).collect();
        lines.push(Line::styled(text, style));
    }
    if app.rows.is_empty() {
        let why = if app.selected_rejected().is_some() {
            "A rejected upgrade carries no frames: its answer is in the Handshake view (v).".into()
        } else if app.selected_http().is_some() {
            "A plain HTTP request carries no frames: see the Handshake view (v).".into()
        } else if app.selected_anomaly().is_some() {
            "An anomaly carries no frames: it says why bytes below WebSocket were not decoded (v)."
                .into()
        } else if let Some(n) = app.selected_tls() {
            match n.what {
                TlsWhat::Undecryptable(_) => {
                    "Not decrypted, so no frames: the Handshake view (v) says why, what to do."
                }
                TlsWhat::Alert { .. } => {
                    "A TLS alert carries no frames: see the Handshake view (v)."
                }
            }
            .into()
        } else if app.filter.is_some() {
            "Nothing matches the filter (f to change it, Esc to clear it).".into()
        } else if !app.status.done {
            "Waiting for WebSocket frames…".into()
        } else if app.store.undecrypted > 0 {
            // Their WebSockets may well be inside: say so before suggesting -d.
            let n = app.store.undecrypted;
            format!(
                "No WebSocket frames: {n} TLS connection{} not decrypted (their rows say why).",
                if n == 1 { "" } else { "s" }
            )
        } else {
            "No WebSocket frames. If the handshake is not in the capture, try -d PORT.".into()
        };
        lines.push(Line::from(why).italic());
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn clock_name(c: Clock) -> &'static str {
    match c {
        Clock::Relative => "Time",
        Clock::Absolute => "UTC",
        Clock::Delta => "Delta",
    }
}

fn time_text(app: &App, row: Row, prev: Option<Row>) -> String {
    let ts = row.ts(&app.store);
    match app.browse.clock {
        Clock::Relative => {
            let start = app.store.first_ts.unwrap_or(ts);
            format!("{:.6}", ts.since(start))
        }
        Clock::Absolute => time::time_of_day(ts),
        Clock::Delta => {
            let before = prev.map_or(ts, |p| p.ts(&app.store));
            format!("{:.6}", ts.since(before))
        }
    }
}

fn short_opcode(op: Opcode) -> &'static str {
    match op {
        Opcode::Continuation => "cont",
        Opcode::Reserved(_) if op.is_data() => "rsv-d",
        Opcode::Reserved(_) => "rsv-c",
        other => other.name(),
    }
}

pub(crate) fn details(f: &mut Frame, app: &App, area: Rect) {
    let b = block(app, Pane::Details, "Details".into());
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(d) = app.details() else {
        f.render_widget(
            Paragraph::new("Select a frame to see its fields.").italic(),
            inner,
        );
        return;
    };
    let height = usize::from(inner.height);
    let offset = scroll_to(
        app.layout.detail_offset,
        app.browse.detail_sel,
        height,
        d.fields.len(),
    );
    let width = usize::from(inner.width);
    let lines: Vec<Line> = d
        .fields
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, field)| {
            let mut text = "  ".repeat(usize::from(field.depth));
            text.push_str(&field.text);
            let text: String = text.chars().take(width).collect();
            let mut style = Style::new();
            if field.problem {
                style = style.fg(Color::Red);
            } else if field.depth == 0 {
                style = style.add_modifier(Modifier::BOLD);
            }
            if i == app.browse.detail_sel && app.focus == Pane::Details {
                style = style.patch(SELECTED);
            }
            Line::styled(text, style)
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

pub(crate) fn right(f: &mut Frame, app: &App, area: Rect) {
    match app.browse.right {
        Right::Bytes => bytes_pane(f, app, area),
        Right::Payload => payload_pane(f, app, area),
        Right::Handshake => handshake_pane(f, app, area),
    }
}

fn bytes_pane(f: &mut Frame, app: &App, area: Rect) {
    let masked_view = app.browse.show_masked;
    let d = app.details();
    let is_frame = matches!(app.selected(), Some(Row::Frame(_)));
    let title = if !is_frame {
        "Bytes (v: payload, handshake)".to_owned()
    } else if masked_view {
        "Bytes as on the wire (x: unmasked)".to_owned()
    } else {
        "Bytes, unmasked (x: as on the wire)".to_owned()
    };
    let b = block(app, Pane::Right, title);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let Some(d) = d else {
        return;
    };
    let bytes = if masked_view { &d.wire } else { &d.unmasked };
    // 16 bytes a line when there is room, else 8 (an 80-column terminal's half), else 4.
    let digits = usize::from(inner.width).min(hex::offset_digits(bytes.len()));
    let per_line = match usize::from(inner.width) {
        w if w >= digits + 2 + 16 * 3 + 2 + 16 => 16,
        w if w >= digits + 2 + 8 * 3 + 8 => 8,
        _ => 4,
    };
    let highlight = d
        .fields
        .get(app.browse.detail_sel)
        .filter(|_| app.focus == Pane::Details || app.focus == Pane::Right)
        .and_then(|field| field.bytes.clone());
    let mut lines: Vec<Line> = Vec::new();
    let hex_lines = bytes.len().div_ceil(per_line);
    // Bytes that could not be read back are not silently left out: a blank line, then why.
    let total_lines = hex_lines + if d.unreadable.is_some() { 2 } else { 0 };
    let inflated_lines = d
        .inflated
        .as_ref()
        .map_or(0, |i| 2 + i.len().div_ceil(per_line));
    let height = usize::from(inner.height);
    let max_scroll = (total_lines + inflated_lines).saturating_sub(height);
    let scroll = app.browse.right_scroll.min(max_scroll);
    for line in scroll..total_lines.min(scroll + height) {
        lines.push(hex_line(bytes, line * per_line, per_line, |i| {
            let mut st = Style::new();
            if is_frame && i < d.header_len {
                st = st.fg(Color::Cyan);
                if d.mask_key.as_ref().is_some_and(|r| r.contains(&i)) {
                    st = st.fg(Color::Magenta);
                }
            }
            if highlight.as_ref().is_some_and(|r| r.contains(&i)) {
                st = st.add_modifier(Modifier::REVERSED | Modifier::UNDERLINED);
            }
            st
        }));
    }
    if let Some(why) = &d.unreadable {
        for line in hex_lines.max(scroll)..total_lines.min(scroll + height) {
            lines.push(Line::from(if line == hex_lines {
                String::new()
            } else {
                why.clone()
            }));
        }
    }
    if let Some(inflated) = &d.inflated {
        let start = total_lines.max(scroll);
        let room = (scroll + height).saturating_sub(start);
        if room > 0 {
            lines.push(Line::from(""));
            lines.push(Line::from(format!("Inflated message ({} bytes):", inflated.len())).bold());
            let from = scroll.saturating_sub(total_lines + 2);
            for line in from..inflated.len().div_ceil(per_line).min(from + room) {
                lines.push(hex_line(inflated, line * per_line, per_line, |_| {
                    Style::new()
                }));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn hex_line(
    bytes: &[u8],
    start: usize,
    per_line: usize,
    style: impl Fn(usize) -> Style,
) -> Line<'static> {
    let mut spans = Vec::with_capacity(per_line * 3 + 2);
    hex::dump_line(bytes, start, per_line, |text, byte| {
        spans.push(match byte {
            Some(i) => Span::styled(text.to_owned(), style(i)),
            None => Span::raw(text.to_owned()),
        })
    });
    Line::from(spans)
}

fn payload_pane(f: &mut Frame, app: &App, area: Rect) {
    let b = block(app, Pane::Right, "Payload (s: save to a file)".into());
    let inner = b.inner(area);
    f.render_widget(b, area);
    if app.selected().is_none() {
        return;
    }
    let lines = app.payload_lines();
    let height = usize::from(inner.height);
    let scroll = app
        .browse
        .right_scroll
        .min(lines.len().saturating_sub(height));
    let width = usize::from(inner.width);
    let shown: Vec<Line> = lines
        .iter()
        .skip(scroll)
        .take(height)
        .map(|l| Line::from(l.chars().take(width.max(1) * 4).collect::<String>()))
        .collect();
    f.render_widget(Paragraph::new(shown).wrap(Wrap { trim: false }), inner);
}

fn handshake_pane(f: &mut Frame, app: &App, area: Rect) {
    let b = block(app, Pane::Right, "Handshake".into());
    let inner = b.inner(area);
    f.render_widget(b, area);
    let mut lines: Vec<Line> = Vec::new();
    if let Some(r) = app.selected_rejected() {
        lines.push(Line::from("Upgrade REJECTED").bold());
        let mut path = String::new();
        escape_plain(r.path.as_bytes(), 200, &mut path);
        lines.push(Line::from(format!("{} → {}", r.client, r.server)));
        lines.push(Line::from(format!("GET {path}")));
        let mut reason = String::new();
        escape_plain(r.reason.as_bytes(), 100, &mut reason);
        lines.push(Line::from(format!(
            "answered {} {reason} (packet {}), not 101 Switching Protocols",
            r.status, r.packet
        )));
    } else if let Some(a) = app.selected_anomaly() {
        lines.push(Line::from(format!("{} anomaly", a.layer.name().to_ascii_uppercase())).bold());
        if let Some((src, dst)) = &a.endpoints {
            lines.push(Line::from(format!("{src} → {dst}")));
        }
        let at = match a.layer {
            crate::model::Layer::Http | crate::model::Layer::Http2 | crate::model::Layer::Tls => {
                "of the sender's stream"
            }
            _ => "of the packet, where the header starts",
        };
        lines.push(Line::from(format!(
            "packet {}: byte {} {at}",
            a.packet, a.offset
        )));
        let mut reason = String::new();
        escape_plain(a.reason.as_bytes(), 1000, &mut reason);
        lines.push(Line::from(reason));
    } else if let Some(n) = app.selected_tls() {
        tls_note_lines(app, n, &mut lines);
    } else if let Some(h) = app.selected_http() {
        lines.push(Line::from("Plain HTTP, no upgrade asked for").bold());
        lines.push(Line::from(format!("{} → {}", h.client, h.server)));
        let mut req = String::new();
        escape_plain(h.method.as_bytes(), 20, &mut req);
        req.push(' ');
        escape_plain(h.path.as_bytes(), 200, &mut req);
        lines.push(Line::from(req));
        let mut reason = String::new();
        escape_plain(h.reason.as_bytes(), 100, &mut reason);
        lines.push(Line::from(format!(
            "answered {} {reason} (packet {})",
            h.status, h.packet
        )));
    } else {
        let conn = match app.conn_row() {
            ConnRow::Conn(c) => Some(c),
            ConnRow::All => app
                .selected()
                .map(|r| r.conn(&app.store))
                .or_else(|| app.store.conns.first().map(|c| c.info.conn)),
            ConnRow::Rejected(_) | ConnRow::Http(_) | ConnRow::Anomaly(_) | ConnRow::Tls(_) => None,
        };
        match conn.and_then(|c| app.store.conn(c)) {
            None => lines.push(Line::from("Select a connection.").italic()),
            Some(c) => conn_handshake_lines(c, &mut lines),
        }
    }
    let height = usize::from(inner.height);
    let scroll = app
        .browse
        .right_scroll
        .min(lines.len().saturating_sub(height));
    let lines: Vec<Line> = lines.into_iter().skip(scroll).collect();
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// A connection's handshake: what its TLS agreed, above what HTTP said (the upgrade's request
/// and response heads and the accept check, or the HTTP/2 extended CONNECT).
fn conn_handshake_lines(c: &Conn, lines: &mut Vec<Line<'static>>) {
    let info = &c.info;
    if let Some(t) = &info.tls {
        tls_summary_lines(t, lines);
        lines.push(Line::from(""));
    }
    if let Some(stream) = info.http2_stream {
        lines.push(
            Line::from(format!(
                "Connection #{}: HTTP/2 extended CONNECT (RFC 8441) on stream {stream}",
                info.conn
            ))
            .bold(),
        );
        lines.push(Line::from(
            "  No Sec-WebSocket-Key and no Sec-WebSocket-Accept, by design: the stream opened by \
             a CONNECT with :protocol websocket is the WebSocket",
        ));
    }
    let Some(h) = &info.handshake else {
        lines.push(
            Line::from(format!(
                "Connection #{} has no handshake in the capture (decoded with -d).",
                info.conn
            ))
            .italic(),
        );
        return;
    };
    lines.push(
        Line::from(format!(
            "Connection #{}: request, {} bytes (packet {})",
            info.conn,
            h.request_head.len(),
            info.packet
        ))
        .bold(),
    );
    head_lines(&h.request_head, Color::Reset, lines);
    lines.push(Line::from(format!("Response, {} bytes", h.response_head.len())).bold());
    head_lines(&h.response_head, Color::Green, lines);
    if info.http2_stream.is_some() {
        // Said above: no key, no accept, nothing to check.
        return;
    }
    let verdict = match (&h.key, &h.accept, h.accept_valid) {
        (Some(_), Some(_), true) => {
            "valid: equals base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11))".to_owned()
        }
        (Some(k), Some(_), false) => {
            format!("! INVALID: expected {}", crate::http::accept_for(k))
        }
        _ => "! missing key or accept header".to_owned(),
    };
    lines.push(Line::from(format!("Sec-WebSocket-Accept {verdict}")));
}

/// What a connection's TLS handshake agreed: a bold head line, then one line for each fact.
fn tls_summary_lines(t: &crate::model::Tls, out: &mut Vec<Line<'static>>) {
    let (head, facts) = tls::summary(t);
    out.push(Line::from(head).bold());
    out.extend(facts.into_iter().map(|l| Line::from(format!("  {l}"))));
}

/// The handshake view of a TLS note: what happened, why, what to do, and what the hellos said.
fn tls_note_lines(app: &App, n: &TlsNote, out: &mut Vec<Line<'static>>) {
    match &n.what {
        TlsWhat::Undecryptable(why) => {
            out.push(
                Line::from("! TLS connection not decrypted")
                    .bold()
                    .fg(Color::Red),
            );
            out.push(Line::from(format!(
                "{} → {} (packet {})",
                n.client, n.server, n.packet
            )));
            out.push(Line::from(format!("Why: {why}")));
            if let Some(hint) = tls::hint(why) {
                out.push(Line::from(format!("What to do: {hint}")));
            }
        }
        TlsWhat::Alert { from, alert } => {
            let head = format!("TLS alert from the {}: {alert}", from.name());
            out.push(match alert.level_name() {
                "fatal" => Line::from(format!("! {head}")).bold().fg(Color::Red),
                _ => Line::from(head).bold(),
            });
            out.push(Line::from(format!(
                "{} → {} (packet {})",
                n.client, n.server, n.packet
            )));
            out.push(Line::from(format!(
                "Level {} ({}), description {} ({})",
                alert.level,
                alert.level_name(),
                alert.description,
                alert.description_name()
            )));
            // The WebSocket it closes or breaks, if the connection carried one.
            let ws = app
                .store
                .conns
                .iter()
                .find(|c| (c.info.client, c.info.server) == (n.client, n.server));
            if let Some(c) = ws {
                out.push(Line::from(format!(
                    "On WebSocket connection #{}",
                    c.info.conn
                )));
            }
        }
    }
    out.push(Line::from(""));
    tls_summary_lines(&n.tls, out);
}

fn head_lines(head: &[u8], color: Color, out: &mut Vec<Line<'static>>) {
    for l in head.split(|b| *b == b'\n') {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        if l.is_empty() {
            continue;
        }
        let mut s = String::from("  ");
        escape_plain(l, 400, &mut s);
        out.push(Line::styled(s, Style::new().fg(color)));
    }
}
