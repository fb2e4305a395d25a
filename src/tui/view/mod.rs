//! Drawing `&App`: connections on top, the frame or message list, then the field tree beside the
//! bytes (or payload, or handshake), and a status bar; or the walk-through. Only visible rows
//! are built, and nothing in the app is changed: where the panes go is [`layout`]'s.
//!
//! Nothing here depends on colour alone: the selection is reversed, problems start with `!`,
//! control frames are bold and named, the highlighted bytes are reversed and underlined.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph};

use super::app::{App, Prompt};
use super::layout;
use super::screens::browse::Pane;

mod browse;
mod teach;

use teach::TEACH_KEYS;
#[cfg(test)]
pub(crate) use teach::wrap;

const SELECTED: Style = Style::new().add_modifier(Modifier::REVERSED);

pub(crate) fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if let Some(t) = &app.teach {
        teach::draw(f, app, t, area);
        if app.help {
            help(f, area, TEACH_KEYS, &[]);
        }
        return;
    }
    let areas = layout::areas(app, area);
    if areas.conns.height > 0 {
        browse::connections(f, app, areas.conns);
    }
    if areas.list.height > 0 {
        browse::list(f, app, areas.list);
    }
    if areas.details.height > 0 {
        browse::details(f, app, areas.details);
    }
    if areas.right.height > 0 {
        browse::right(f, app, areas.right);
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

const KEYS: &[(&str, &str)] = &[
    ("↑ ↓  j k", "move in the focused pane"),
    ("PgUp PgDn  g G", "page; first, last"),
    ("Tab  → l", "next pane"),
    ("Shift-Tab  ← h", "previous pane"),
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
    ("?", "these keys"),
    ("q  Ctrl-C", "quit"),
];

const FILTER_HELP: &[&str] = &[
    "client  server  text  binary  ping  pong  close  cont  control  data",
    "len > 1000   conn == 2   opcode != ping   from == client",
    "text contains \"error\"   text ~ \"^\\{\"   problems   problem == invalid-utf8",
    "fin  masked  rsv1  compressed  fragmented  gap   and or not ( )",
    "tls  h2   sni contains \"example\"   sni == example.com   sni ~ \"…\"",
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
