//! Drawing `&App`: connections on top, the frame or message list, then the field tree beside the
//! bytes (or payload, or handshake), and a status bar. Only visible rows are built.
//!
//! Nothing here depends on colour alone: the selection is reversed, problems start with `!`,
//! control frames are bold and named, the highlighted bytes are reversed and underlined.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};

use crate::model::Side;
use crate::present::{escape_plain, hex, time, words};
use crate::ws::{self, Opcode};

use super::app::{App, Prompt};
use super::components::row::Row;
use super::layout::{self, scroll_to};
use super::screens::browse::{Clock, ConnRow, Pane, Right};
use super::screens::teach::Teach;

const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if let Some(t) = &app.teach {
        teach(f, app, t, area);
        if app.help {
            help(f, area, TEACH_KEYS, &[]);
        }
        return;
    }
    let areas = layout::areas(app, area);
    if areas.conns.height > 0 {
        connections(f, app, areas.conns);
    }
    if areas.list.height > 0 {
        list(f, app, areas.list);
    }
    if areas.details.height > 0 {
        details_pane(f, app, areas.details);
    }
    if areas.right.height > 0 {
        right_pane(f, app, areas.right);
    }
    status_bar(f, app, areas.status);
    if app.help {
        help(f, area, KEYS, FILTER_HELP);
    }
}

fn block(app: &App, pane: Pane, title: String) -> Block<'static> {
    let focused = app.focus == pane;
    let b = Block::bordered().title(if focused {
        Line::from(format!("▶ {title} ")).bold()
    } else {
        Line::from(format!(" {title} "))
    });
    if focused {
        b.border_style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
    } else {
        b
    }
}

/// Columns for "#", the largest connection number and a space; at least 4.
fn conn_width(app: &App) -> usize {
    let last = app.store.conns.len().saturating_sub(1);
    (last.to_string().len() + 2).max(4)
}

fn addr_pair(c: &crate::model::Connection) -> String {
    format!("{} → {}", c.client, c.server)
}

fn connections(f: &mut Frame, app: &App, area: Rect) {
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
        if i == 0 {
            let frames: u64 = s.conns.iter().map(|c| c.frames).sum();
            text.push_str(&format!("All connections ({frames} frames)"));
        } else if let Some(c) = s.conns.get(i - 1) {
            let number = format!("#{}", c.info.conn);
            text.push_str(&format!(
                "{number:<w$}{}",
                addr_pair(&c.info),
                w = conn_width(app)
            ));
            match &c.info.handshake {
                Some(h) => {
                    text.push(' ');
                    escape_plain(h.path.as_bytes(), 40, &mut text);
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
                if !h.accept_valid {
                    text.push_str(" · ! accept key invalid");
                    style = style.fg(Color::Red);
                }
                if let Some(p) = &h.subprotocol {
                    text.push_str(" · protocol ");
                    escape_plain(p.as_bytes(), 20, &mut text);
                }
                if let Some(e) = &h.extensions {
                    text.push_str(" · ");
                    escape_plain(e.as_bytes(), 60, &mut text);
                }
            }
        } else if let Some(r) = s.rejected.get(i - 1 - s.conns.len()) {
            text.push_str(&format!("REJECTED {} → {} GET ", r.client, r.server));
            escape_plain(r.path.as_bytes(), 40, &mut text);
            text.push_str(&format!(" → {} ", r.status));
            escape_plain(r.reason.as_bytes(), 30, &mut text);
            style = style.fg(Color::Yellow);
        } else if let Some(h) = s.http.get(i - 1 - s.conns.len() - s.rejected.len()) {
            text.push_str(&format!("HTTP     {} → {} ", h.client, h.server));
            escape_plain(h.method.as_bytes(), 10, &mut text);
            text.push(' ');
            escape_plain(h.path.as_bytes(), 40, &mut text);
            text.push_str(&format!(" → {} ", h.status));
            escape_plain(h.reason.as_bytes(), 30, &mut text);
            text.push_str(" (no upgrade)");
            style = style.add_modifier(Modifier::DIM);
        }
        if i == app.browse.conn_sel {
            style = style.patch(SELECTED);
        }
        lines.push(Line::styled(text, style));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

fn list(f: &mut Frame, app: &App, area: Rect) {
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
    let packets: Vec<u64> = visible.iter().map(|r| r.packet(&app.store)).collect();
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
        let opcode = s.opcode.map_or("gap", |o| short_opcode(Opcode::from_u8(o)));
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
        } else if s.opcode.is_some_and(ws::is_control) {
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
            "A rejected upgrade carries no frames: its answer is in the Handshake view (v)."
        } else if app.selected_http().is_some() {
            "A plain HTTP request carries no frames: see the Handshake view (v)."
        } else if app.filter.is_some() {
            "Nothing matches the filter (f to change it, Esc to clear it)."
        } else if !app.status.done {
            "Waiting for WebSocket frames…"
        } else {
            "No WebSocket frames. If the handshake is not in the capture, try -d PORT."
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
        Opcode::Reserved(v) if v < 8 => "rsv-d",
        Opcode::Reserved(_) => "rsv-c",
        other => other.name(),
    }
}

fn details_pane(f: &mut Frame, app: &App, area: Rect) {
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

fn right_pane(f: &mut Frame, app: &App, area: Rect) {
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
    let key_range = if is_frame && d.header_len >= 6 && d.wire.get(1).is_some_and(|b| b & 0x80 != 0)
    {
        Some(d.header_len - 4..d.header_len)
    } else {
        None
    };
    let mut lines: Vec<Line> = Vec::new();
    let total_lines = bytes.len().div_ceil(per_line);
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
                if key_range.as_ref().is_some_and(|r| r.contains(&i)) {
                    st = st.fg(Color::Magenta);
                }
            }
            if highlight.as_ref().is_some_and(|r| r.contains(&i)) {
                st = st.add_modifier(Modifier::REVERSED | Modifier::UNDERLINED);
            }
            st
        }));
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
                .or_else(|| (!app.store.conns.is_empty()).then_some(0)),
            ConnRow::Rejected(_) | ConnRow::Http(_) => None,
        };
        match conn.and_then(|c| app.store.conns.get(c as usize)) {
            None => lines.push(Line::from("Select a connection.").italic()),
            Some(c) => match &c.info.handshake {
                None => lines.push(
                    Line::from(format!(
                        "Connection #{} has no handshake in the capture (decoded with -d).",
                        c.info.conn
                    ))
                    .italic(),
                ),
                Some(h) => {
                    lines.push(
                        Line::from(format!(
                            "Connection #{}: request, {} bytes (packet {})",
                            c.info.conn,
                            h.request_head.len(),
                            c.info.packet
                        ))
                        .bold(),
                    );
                    head_lines(&h.request_head, Color::Reset, &mut lines);
                    lines.push(
                        Line::from(format!("Response, {} bytes", h.response_head.len())).bold(),
                    );
                    head_lines(&h.response_head, Color::Green, &mut lines);
                    let verdict = match (&h.key, &h.accept, h.accept_valid) {
                        (Some(_), Some(_), true) => "valid: equals base64(SHA-1(key + 258EAFA5-E914-47DA-95CA-C5AB0DC85B11))".to_owned(),
                        (Some(k), Some(_), false) => format!(
                            "! INVALID: expected {}",
                            crate::http::accept_for(k)
                        ),
                        _ => "! missing key or accept header".to_owned(),
                    };
                    lines.push(Line::from(format!("Sec-WebSocket-Accept {verdict}")));
                }
            },
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

fn status_bar(f: &mut Frame, app: &App, area: Rect) {
    if let Some((kind, text)) = &app.prompt {
        let label = match kind {
            Prompt::Filter => "Filter",
            Prompt::Search => "Search",
        };
        let mut line = vec![
            Span::styled(format!("{label}: "), Style::new().bold()),
            Span::raw(text.clone()),
            Span::styled("█", Style::new()),
        ];
        let hint = match kind {
            Prompt::Filter => "   Enter apply · Esc cancel · e.g. client and text contains \"hi\"",
            Prompt::Search => "   Enter find · Esc cancel",
        };
        line.push(Span::styled(hint, Style::new().dim()));
        if let Some(m) = &app.message {
            line.push(Span::styled(format!("   {m}"), Style::new().fg(Color::Red)));
        }
        f.render_widget(Paragraph::new(Line::from(line)), area);
        return;
    }
    let s = &app.store;
    let mut parts = Vec::new();
    parts.push(if app.live {
        format!("live on {}", app.source_name)
    } else {
        app.source_name.clone()
    });
    parts.push(format!(
        "{} conn · {} frames · {} msgs",
        s.conns.len(),
        s.frames.len(),
        s.message_count()
    ));
    if let Some(stats) = &app.status.live_stats {
        parts.push(format!(
            "{:.0} frames/s · {} dropped",
            app.status.rate, stats.dropped
        ));
    }
    if app.browse.paused {
        parts.push("PAUSED (space resumes)".into());
    }
    if !app.filter_text.is_empty() {
        parts.push(format!("filter: {}", app.filter_text));
    }
    if let Some(e) = &app.status.error {
        parts.push(format!("! {e}"));
    } else if app.status.done && !app.status.notes.is_empty() {
        parts.push(format!("note: {}", app.status.notes.join("; ")));
    }
    if let Some(m) = &app.message {
        parts.push(m.clone());
    }
    parts.push("? help · q quit".into());
    let text = parts.join(" │ ");
    let loading = app
        .status
        .progress
        .filter(|(r, t)| !app.status.done && *t > 0 && r < t);
    match loading {
        Some((read, total)) => {
            let [gauge, rest] =
                Layout::horizontal([Constraint::Length(22), Constraint::Min(0)]).areas(area);
            let ratio = (read as f64 / total as f64).clamp(0.0, 1.0);
            f.render_widget(
                Gauge::default()
                    .ratio(ratio)
                    .label(format!("loading {:.0}%", ratio * 100.0))
                    .gauge_style(Style::new().fg(Color::Cyan)),
                gauge,
            );
            f.render_widget(Paragraph::new(format!(" {text}")).reversed(), rest);
        }
        None => f.render_widget(Paragraph::new(text).reversed(), area),
    }
}

pub const TEACH_KEYS: &[(&str, &str)] = &[
    ("→  space  Enter", "next step"),
    ("←  Backspace", "previous step"),
    ("]  n", "the next frame of the connection"),
    ("[  N", "the previous frame"),
    ("↑ ↓  PgUp PgDn", "scroll the step"),
    ("Esc", "back to browsing (T comes back)"),
    ("q", "quit"),
];

/// The walk-through, full screen: large, high-contrast, one step at a time.
fn teach(f: &mut Frame, app: &App, t: &Teach, area: Rect) {
    use crate::teach::Look;
    let [body, foot] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let Some(step) = t.steps.get(t.step) else {
        return;
    };
    let page = crate::teach::page(&app.store, t.target, *step, t.frame);
    let title = format!(" Step {} of {}: {} ", t.step + 1, t.steps.len(), page.title);
    let b = Block::bordered()
        .title(Line::from(title).bold())
        .border_style(Style::new().add_modifier(Modifier::BOLD));
    let inner = b.inner(body);
    f.render_widget(b, body);
    let height = usize::from(inner.height);
    let width = usize::from(inner.width).max(20);
    let mut wrapped = Vec::with_capacity(page.lines.len());
    for l in &page.lines {
        let style = match l.look {
            Look::Plain | Look::Code => Style::new(),
            Look::Strong => Style::new().add_modifier(Modifier::BOLD),
            Look::Quiet => Style::new().add_modifier(Modifier::ITALIC),
            Look::Warning => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        };
        for piece in wrap(&l.text, width) {
            wrapped.push(Line::styled(piece, style));
        }
    }
    let total = wrapped.len();
    let scroll = t.scroll.min(total.saturating_sub(height));
    let lines: Vec<Line> = wrapped.into_iter().skip(scroll).take(height).collect();
    f.render_widget(Paragraph::new(lines), inner);
    let mut hint = String::from(" → next · ← back");
    if let (crate::teach::Target::Conn(conn), Some(frame)) = (t.target, t.frame()) {
        let frames = app.store.frames_of(conn);
        let at = frames.iter().position(|x| *x == frame).map_or(0, |p| p + 1);
        hint.push_str(&format!(" · [ ] frame {at} of {}", frames.len()));
    }
    if total > height {
        hint.push_str(" · ↑↓ scroll");
    }
    hint.push_str(" · Esc browse · ? keys · q quit");
    f.render_widget(Paragraph::new(hint).reversed(), foot);
}

/// Breaks a line at spaces to fit `width` columns. Continuations are indented under the
/// column where the line's last wide gap ends (a note beside a header), or under its own
/// indentation, so that tables and notes stay readable on a narrow screen.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return vec![text.to_owned()];
    }
    let lead = chars.iter().take_while(|c| **c == ' ').count();
    let gap_end = (0..chars.len().min(width).saturating_sub(3))
        .rev()
        .filter(|&i| {
            chars[i..i + 3].iter().all(|c| *c == ' ') && chars.get(i + 3).is_some_and(|c| *c != ' ')
        })
        .map(|i| i + 3)
        .next();
    let indent = match gap_end {
        Some(g) if g > lead && g < width * 2 / 3 => g,
        _ => (lead + 2).min(width / 3),
    };
    let mut out = Vec::new();
    let mut rest: &[char] = &chars;
    let mut first = true;
    while !rest.is_empty() {
        let room = if first { width } else { width - indent };
        if rest.len() <= room {
            let mut line = if first {
                String::new()
            } else {
                " ".repeat(indent)
            };
            line.extend(rest.iter());
            out.push(line);
            break;
        }
        // Break at the last space that fits, or hard at the edge for a long word.
        let cut = rest[..room]
            .iter()
            .rposition(|c| *c == ' ')
            .filter(|p| *p > 0)
            .unwrap_or(room);
        let mut line = if first {
            String::new()
        } else {
            " ".repeat(indent)
        };
        line.extend(rest[..cut].iter());
        out.push(line.trim_end().to_owned());
        rest = &rest[cut..];
        while rest.first() == Some(&' ') {
            rest = &rest[1..];
        }
        first = false;
    }
    out
}

pub const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move in the focused pane"),
    ("PgUp PgDn  g G", "page; first, last"),
    ("Tab  Shift-Tab", "next, previous pane"),
    ("Enter", "connections → list → details"),
    ("m", "frames ↔ messages"),
    ("t", "time: relative, absolute (UTC), delta"),
    ("v", "bytes → payload → handshake"),
    ("x", "bytes: payload unmasked ↔ as on the wire"),
    ("f", "filter (Esc clears it)"),
    ("/  n  N", "search payloads; next, previous"),
    ("Esc", "stop a long search or payload filter"),
    ("s", "save the selected payload to a file"),
    ("T", "teach: walk through the connection step by step"),
    ("z", "zoom the focused pane"),
    ("space", "pause, resume a live view"),
    ("mouse", "click to select, wheel to scroll"),
    ("q  Ctrl-C", "quit"),
];

pub const FILTER_HELP: &[&str] = &[
    "client  server  text  binary  ping  pong  close  cont  control  data",
    "len > 1000   conn == 2   opcode != ping   from == client",
    "text contains \"error\"   text ~ \"^\\{\"   problems   problem == invalid-utf8",
    "fin  masked  rsv1  compressed  fragmented  gap   and or not ( )",
];

fn help(f: &mut Frame, area: Rect, keys: &[(&str, &str)], filters: &[&str]) {
    let w = area.width.min(76);
    let h = area.height.min((keys.len() + filters.len() + 5) as u16);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, popup);
    let mut lines: Vec<Line> = keys
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("{k:>16}  "), Style::new().bold()),
                Span::raw(*what),
            ])
        })
        .collect();
    if !filters.is_empty() {
        lines.push(Line::from(""));
        lines.push(Line::from("Filter words:").bold());
        lines.extend(filters.iter().map(|l| Line::from(format!("  {l}"))));
    }
    f.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .borders(Borders::ALL)
                .title(" Keys (any key closes) ")
                .border_style(Style::new().bold()),
        ),
        popup,
    );
}
