//! The terminal UI: connections, frames or messages, a field tree, bytes, payload and
//! handshake, browsed with the keyboard or the mouse, from a file or live.
//!
//! In: a [`feed::Feeding`], a thread that decodes and sends events, kept in an
//! [`index::Store`](crate::index::Store); filters and searches from `query`, walk-throughs from
//! `teach`, words and previews from `present`. Out: the screen. Never: blocks the capture while
//! drawing, sends bytes from the wire to the terminal unescaped, or leaves the terminal in raw
//! mode (panics included).
//!
//! Keys become an [`app::Action`]; [`app::App::update`] hands it to the screen shown
//! (`screens`), whose state is made of `components`; `app::App::lay_out` places the panes
//! (`layout`) before each draw; `view` draws `&App` and changes nothing. `feed` is the decoding
//! thread, `details` the field tree of a selected row.

pub mod app;
mod components;
mod details;
pub mod feed;
mod layout;
mod screens;
mod view;

#[cfg(test)]
mod tests;

use std::io;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event as TermEvent, KeyCode, KeyEvent,
    KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::layout::{Position, Rect};

use app::{Action, App};
use feed::Feeding;
use screens::browse::Pane;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Capture(#[from] crate::capture::Error),
    #[error("cannot start the decoding thread: {0}")]
    Thread(io::Error),
    #[error(
        "the terminal cannot be used ({0}); print text instead with --print, or JSON with --json"
    )]
    Terminal(io::Error),
}

impl Error {
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::Capture(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// Runs the UI until the user quits. The capture keeps running while the UI is open.
pub(crate) fn run(source: Feeding, teach: bool) -> Result<(), Error> {
    let mut app = App::new(source.name.clone(), source.live);
    app.store = crate::index::Store::reading(source.spill.clone());
    app.teach_on_load = teach;
    if let Ok(dir) = std::env::current_dir() {
        app.save_dir = dir;
    }
    // ratatui::init restores the terminal on panic as well as on return; mouse reporting is
    // ours to turn off, before its hook runs.
    let mut terminal = ratatui::try_init().map_err(Error::Terminal)?;
    let restore = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let _ = execute!(io::stdout(), DisableMouseCapture);
        restore(info);
    }));
    let _ = execute!(io::stdout(), EnableMouseCapture);
    let result = event_loop(&mut terminal, &mut app, &source);
    let _ = execute!(io::stdout(), DisableMouseCapture);
    ratatui::restore();
    drop(source);
    if let Some(e) = &app.status.error {
        eprintln!("wsinspect: {e}");
    }
    result
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    source: &Feeding,
) -> Result<(), Error> {
    let mut dirty = true;
    while !app.quit {
        dirty |= app.poll_job();
        // Take everything that arrived, but give the keyboard a turn at least every 50 ms.
        let started = std::time::Instant::now();
        let mut more = false;
        while let Ok(feed) = source.rx.try_recv() {
            app.feed(feed);
            dirty = true;
            if started.elapsed() > Duration::from_millis(50) {
                more = true;
                break;
            }
        }
        if dirty {
            draw(terminal, app).map_err(Error::Terminal)?;
            dirty = false;
        }
        // While events wait, only look at the keyboard; otherwise wait for either a little.
        let wait = if more {
            Duration::ZERO
        } else {
            Duration::from_millis(20)
        };
        if event::poll(wait).map_err(Error::Terminal)? {
            loop {
                let ev = event::read().map_err(Error::Terminal)?;
                if let Some(action) = action_for(app, &ev) {
                    app.update(action);
                }
                dirty = true;
                if !event::poll(Duration::ZERO).map_err(Error::Terminal)? {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Lays the app out for the terminal's size, then draws it: each frame of the event loop.
pub fn draw<B: Backend>(terminal: &mut Terminal<B>, app: &mut App) -> Result<(), B::Error> {
    let size = terminal.size()?;
    app.lay_out(Rect::new(0, 0, size.width, size.height));
    terminal.draw(|f| view::draw(f, app))?;
    Ok(())
}

/// What a key or mouse event means in the current state.
fn action_for(app: &App, ev: &TermEvent) -> Option<Action> {
    match ev {
        TermEvent::Key(k) if k.kind != KeyEventKind::Release => key_action(app, k),
        TermEvent::Mouse(m) => mouse_action(app, m),
        _ => None,
    }
}

fn key_action(app: &App, k: &KeyEvent) -> Option<Action> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && k.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if app.teach.is_some() && !app.help {
        return Some(match k.code {
            KeyCode::Char('q') => Action::Quit,
            KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') | KeyCode::Enter => {
                Action::StepNext
            }
            KeyCode::Left | KeyCode::Char('h') | KeyCode::Backspace => Action::StepPrev,
            KeyCode::Char(']') | KeyCode::Char('n') => Action::FrameBy(1),
            KeyCode::Char('[') | KeyCode::Char('N') | KeyCode::Char('p') => Action::FrameBy(-1),
            KeyCode::Down | KeyCode::Char('j') => Action::Down,
            KeyCode::Up | KeyCode::Char('k') => Action::Up,
            KeyCode::PageDown => Action::PageDown,
            KeyCode::PageUp => Action::PageUp,
            KeyCode::Home | KeyCode::Char('g') => Action::Top,
            KeyCode::Esc => Action::Cancel,
            KeyCode::Char('?') => Action::ToggleHelp,
            _ => return None,
        });
    }
    if app.prompt.is_some() {
        return match k.code {
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Backspace => Some(Action::Backspace),
            KeyCode::Char(c) => Some(Action::Input(c)),
            _ => None,
        };
    }
    Some(match k.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Char('u') if ctrl => Action::PageUp,
        KeyCode::Char('d') if ctrl => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Tab => Action::FocusNext,
        KeyCode::BackTab => Action::FocusPrev,
        KeyCode::Left | KeyCode::Char('h') => Action::FocusPrev,
        KeyCode::Right | KeyCode::Char('l') => Action::FocusNext,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Cancel,
        KeyCode::Char('m') => Action::ToggleMode,
        KeyCode::Char('t') => Action::CycleClock,
        KeyCode::Char('v') => Action::CycleRight,
        KeyCode::Char('x') => Action::ToggleMask,
        KeyCode::Char(' ') | KeyCode::Char('p') => Action::TogglePause,
        KeyCode::Char('z') => Action::ToggleZoom,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('f') => Action::StartFilter,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char('n') => Action::NextMatch,
        KeyCode::Char('N') => Action::PrevMatch,
        KeyCode::Char('s') => Action::Save,
        KeyCode::Char('T') => Action::Teach,
        _ if app.help => Action::Cancel,
        _ => return None,
    })
}

fn mouse_action(app: &App, m: &MouseEvent) -> Option<Action> {
    let at = Position::new(m.column, m.row);
    let a = app.layout.areas;
    let panes = [
        (Pane::Conns, a.conns, 1u16),
        // The list's first line inside the border is its column header.
        (Pane::List, a.list, 2),
        (Pane::Details, a.details, 1),
        (Pane::Right, a.right, 1),
    ];
    let (pane, area, top): (Pane, Rect, u16) =
        panes.into_iter().find(|(_, area, _)| area.contains(at))?;
    match m.kind {
        MouseEventKind::Down(MouseButton::Left) => {
            // Rows inside the pane: below its top border (and header), above its bottom border.
            let row = m.row.checked_sub(area.y + top)?;
            (row < area.height.saturating_sub(top + 1))
                .then_some(Action::Click(pane, usize::from(row)))
        }
        MouseEventKind::ScrollDown => Some(Action::Scroll(pane, 3)),
        MouseEventKind::ScrollUp => Some(Action::Scroll(pane, -3)),
        _ => None,
    }
}
