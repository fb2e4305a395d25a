//! The walk-through, full screen: large, high-contrast, one step at a time.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use crate::teach::{self, Look, Target};

use super::super::app::App;
use super::super::screens::teach::Teach;

pub(crate) const TEACH_KEYS: &[(&str, &str)] = &[
    ("→  space  Enter", "next step"),
    ("←  Backspace", "previous step"),
    ("]  n", "the next frame of the connection"),
    ("[  N", "the previous frame"),
    ("↑ ↓  PgUp PgDn", "scroll the step"),
    ("Esc", "back to browsing (T comes back)"),
    ("q", "quit"),
];

/// The walk-through, full screen.
pub(crate) fn draw(f: &mut Frame, app: &App, t: &Teach, area: Rect) {
    let [body, foot] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(area);
    let Some(step) = t.steps.get(t.step) else {
        return;
    };
    let page = teach::page(&app.store, t.target, *step, t.frame);
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
    if let (Target::Conn(conn), Some(frame)) = (t.target, t.frame()) {
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
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
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
