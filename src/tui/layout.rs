//! Where the panes go on a screen, and which of their rows show. The view draws from it, and
//! [`App::lay_out`](super::app::App::lay_out) keeps its answer for the mouse and for paging,
//! so that drawing never has to write anything back.

use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::widgets::Block;

use super::app::App;
use super::screens::browse::Pane;

/// Where each pane goes; a pane not shown (zoom) has no height.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Areas {
    pub(crate) conns: Rect,
    pub(crate) list: Rect,
    pub(crate) details: Rect,
    pub(crate) right: Rect,
    pub(crate) status: Rect,
}

/// The panes as last laid out, and the first row each shows: what mouse clicks and pages are
/// measured by.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Layout {
    pub(crate) areas: Areas,
    pub(crate) conn_offset: usize,
    pub(crate) list_offset: usize,
    pub(crate) detail_offset: usize,
}

/// The panes' places on `screen`: connections on top, the list, then the details beside the
/// right pane, and the status bar; or only the focused pane, zoomed.
pub(crate) fn areas(app: &App, screen: Rect) -> Areas {
    let [main, status] = Split::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(screen);
    let mut areas = Areas {
        status,
        ..Areas::default()
    };
    if app.browse.zoom {
        match app.focus {
            Pane::Conns => areas.conns = main,
            Pane::List => areas.list = main,
            Pane::Details => areas.details = main,
            Pane::Right => areas.right = main,
        }
        return areas;
    }
    let conn_height = (app.conn_rows() as u16 + 2).clamp(3, 7);
    let rest = main.height.saturating_sub(conn_height);
    let bottom = (rest * 9 / 20).max(5);
    let [c, l, b] = Split::vertical([
        Constraint::Length(conn_height),
        Constraint::Min(3),
        Constraint::Length(bottom),
    ])
    .areas(main);
    let [d, r] =
        Split::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(b);
    Areas {
        conns: c,
        list: l,
        details: d,
        right: r,
        status,
    }
}

/// What a pane shows inside its border.
pub(crate) fn inner(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// The first row to show of `len`, `height` at a time, so that row `sel` shows: as close to
/// `offset` (the first row shown before) as that allows.
pub(crate) fn scroll_to(offset: usize, sel: usize, height: usize, len: usize) -> usize {
    // Never leave empty rows at the bottom while there is more above.
    let mut o = offset.min(len.saturating_sub(height));
    if sel < o {
        o = sel;
    } else if height > 0 && sel >= o + height {
        o = sel + 1 - height;
    }
    o
}
