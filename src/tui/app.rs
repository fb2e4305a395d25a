//! The terminal UI's state and what changes it: keys become an [`Action`], [`App::update`]
//! hands it to the screen shown (the walk-through, the prompt, the help, or the browsing
//! screen), and the view draws `&App`.
//!
//! The app holds what is browsed (the store), the list (its unit, rows, selection and filter),
//! and the parts that hold the rest: the browsing panes, the walk-through, the work in the
//! background, what the decoding thread reported, and the layout of the last draw.

use std::path::PathBuf;
use std::rc::Rc;

use ratatui::layout::Rect;

use crate::index::{Entry, Store, Unit};
use crate::model::Event;
use crate::query::Filter;
use crate::teach::{self, Target};

use super::components::jobs::{Done, Jobs, Purpose};
use super::components::list::Scope;
use super::components::row::Row;
use super::components::shown::Shown;
use super::components::status::Status;
use super::details::Details;
use super::feed::Feed;
use super::layout::{self, Layout, inner, scroll_to};
use super::screens::browse::{Browse, Pane, Right};
use super::screens::teach::{Ask, Teach};

/// What the one-line prompt at the bottom asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prompt {
    Filter,
    Search,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    FocusNext,
    FocusPrev,
    /// Enter: from the connections to their frames, from the list to its details.
    Open,
    ToggleMode,
    CycleClock,
    CycleRight,
    ToggleMask,
    TogglePause,
    ToggleZoom,
    ToggleHelp,
    StartFilter,
    StartSearch,
    NextMatch,
    PrevMatch,
    Save,
    /// A mouse click on row `usize` (counted from the pane's first visible row).
    Click(Pane, usize),
    /// Mouse wheel over a pane.
    Scroll(Pane, i32),
    Input(char),
    Backspace,
    Submit,
    Cancel,
    /// Start the walk-through at the selected connection.
    Teach,
    StepNext,
    StepPrev,
    /// Show another frame of the connection in the current step.
    FrameBy(i32),
}

pub struct App {
    pub store: Store,
    pub(crate) source_name: String,
    pub(crate) live: bool,
    /// What the list shows: frames or messages.
    pub(crate) mode: Unit,
    pub rows: Vec<Row>,
    pub(crate) sel: usize,
    pub(crate) filter: Option<Filter>,
    pub(crate) filter_text: String,
    pub(crate) search: String,
    /// The pane that takes the keys.
    pub(crate) focus: Pane,
    /// The panes around the list.
    pub(crate) browse: Browse,
    /// Answers kept for the search and the filter, and the job that works them out.
    pub(crate) jobs: Jobs,
    /// The walk-through, when it is shown instead of the panes.
    pub(crate) teach: Option<Teach>,
    /// Start the walk-through once the capture is loaded (`--teach`).
    pub(crate) teach_on_load: bool,
    /// What the decoding thread reported besides events.
    pub(crate) status: Status,
    /// A one-off line for the status bar: a saved file, a bad filter, no search match.
    pub(crate) message: Option<String>,
    pub(crate) prompt: Option<(Prompt, String)>,
    pub(crate) help: bool,
    pub(crate) quit: bool,
    /// Where `s` saves payloads.
    pub(crate) save_dir: PathBuf,
    /// The panes as the next draw shows them (see [`App::lay_out`]).
    pub(crate) layout: Layout,
    /// What the selected row shows, once built.
    shown: Shown,
}

impl App {
    pub fn new(source_name: String, live: bool) -> App {
        App {
            store: Store::default(),
            source_name,
            live,
            mode: Unit::Frames,
            rows: Vec::new(),
            sel: 0,
            filter: None,
            filter_text: String::new(),
            search: String::new(),
            focus: Pane::List,
            browse: Browse::default(),
            jobs: Jobs::default(),
            teach: None,
            teach_on_load: false,
            status: Status::default(),
            message: None,
            prompt: None,
            help: false,
            quit: false,
            save_dir: PathBuf::from("."),
            layout: Layout::default(),
            shown: Shown::default(),
        }
    }

    #[cfg(test)]
    /// Takes decoded events directly, their bytes kept in memory (tests, and small inputs).
    pub(crate) fn feed_events(&mut self, events: Vec<Event>) {
        let entries = events
            .into_iter()
            .filter_map(|ev| self.store.entry(ev))
            .collect();
        self.feed(Feed::Entries(entries));
    }

    /// Takes in what the decoding thread sent.
    pub fn feed(&mut self, feed: Feed) {
        match feed {
            Feed::Start(ts) => self.store.first_ts = Some(ts),
            Feed::Entries(entries) => {
                let at_end = self.rows.is_empty() || self.sel + 1 >= self.rows.len();
                for entry in entries {
                    let row = match &entry {
                        Entry::Frame(_) => Some(Row::Frame(self.store.frames.len() as u32)),
                        Entry::Message(_) => Some(Row::Message(self.store.message_count() as u32)),
                        Entry::Other(ev) if matches!(**ev, Event::Gap(_)) => {
                            Some(Row::Gap(self.store.gaps.len() as u32))
                        }
                        _ => None,
                    };
                    if matches!(entry, Entry::Frame(_)) {
                        self.status.count_frame();
                    }
                    self.store.push_entry(entry);
                    if let Some(row) = row
                        && !self.browse.paused
                        && self.scope().wants(row)
                    {
                        self.rows.push(row);
                    }
                }
                // Follow the newest only while the user is already at the end.
                if self.live && at_end && !self.browse.paused && !self.rows.is_empty() {
                    self.sel = self.rows.len() - 1;
                }
            }
            Feed::Note(note) => self.status.notes.push(note),
            Feed::Progress { read, total } => self.status.progress = Some((read, total)),
            Feed::Live(stats) => self.status.live(stats),
            Feed::Done { notes, error } => {
                self.status.done = true;
                self.status.notes.extend(notes);
                self.status.error = error;
                if std::mem::take(&mut self.teach_on_load) {
                    match teach::first_target(&self.store) {
                        Some(target) => self.start_teach(target),
                        None => {
                            self.message =
                                Some("no WebSocket handshake in this capture to teach with".into())
                        }
                    }
                }
            }
        }
    }

    /// Rebuilds the list after the mode, connection or filter changed, keeping the selected
    /// row selected when it is still there.
    pub(crate) fn rebuild(&mut self) {
        if let Some(f) = &self.filter {
            self.jobs.fill_filter(&self.store, f, self.mode);
        }
        let keep = self.rows.get(self.sel).copied();
        let answers = (self.filter.as_ref()).and_then(|f| self.jobs.filter_answers(f, self.mode));
        self.rows = self.scope().rows(answers);
        self.sel = keep
            .and_then(|k| self.rows.iter().position(|r| *r == k))
            .unwrap_or(0);
        self.browse.detail_sel = 0;
    }

    /// What narrows the list now.
    fn scope(&self) -> Scope<'_> {
        Scope {
            store: &self.store,
            unit: self.mode,
            conns: self.conn_row(),
            filter: self.filter.as_ref(),
        }
    }

    /// The list's selected row.
    pub(crate) fn selected(&self) -> Option<Row> {
        self.rows.get(self.sel).copied()
    }

    /// The details of the selected row, built once per selection (see [`App::lay_out`]).
    pub(crate) fn details(&self) -> Option<Rc<Details>> {
        Some(self.shown.details(&self.store, self.selected()?))
    }

    /// The payload pane's lines for the selected row, built once per selection: JSON
    /// pretty-printed when it parses, text escaped line by line, anything else as hex.
    pub(crate) fn payload_lines(&self) -> Rc<Vec<String>> {
        match self.selected() {
            Some(row) => self.shown.payload(&self.store, row),
            None => Rc::default(),
        }
    }

    /// Lays the panes out on `screen`, scrolls each so that its selection shows, and builds
    /// what the selected row shows: the next draw then shows it as it is kept here. The event
    /// loop calls it before each draw; the walk-through keeps the panes where they were.
    pub(crate) fn lay_out(&mut self, screen: Rect) {
        if self.teach.is_some() {
            return;
        }
        let a = layout::areas(self, screen);
        let (conn_rows, rows) = (self.conn_rows(), self.rows.len());
        let l = &mut self.layout;
        l.areas = a;
        if a.conns.height > 0 {
            let height = usize::from(inner(a.conns).height);
            l.conn_offset = scroll_to(l.conn_offset, self.browse.conn_sel, height, conn_rows);
        }
        if a.list.height > 0 && inner(a.list).height > 0 {
            // Below the column header.
            let height = usize::from(inner(a.list).height) - 1;
            l.list_offset = scroll_to(l.list_offset, self.sel, height, rows);
        }
        let Some(row) = self.selected() else {
            return;
        };
        let shows_bytes = a.right.height > 0 && self.browse.right == Right::Bytes;
        let shows_payload = a.right.height > 0 && self.browse.right == Right::Payload;
        let details = a.details.height > 0 || shows_bytes;
        self.shown.keep(&self.store, row, details, shows_payload);
        if a.details.height > 0 {
            let height = usize::from(inner(a.details).height);
            let fields = self.shown.details(&self.store, row).fields.len();
            let l = &mut self.layout;
            l.detail_offset = scroll_to(l.detail_offset, self.browse.detail_sel, height, fields);
        }
    }

    /// Shows the walk-through of `target`.
    pub(crate) fn start_teach(&mut self, target: Target) {
        self.teach = Some(Teach::new(&self.store, target));
    }

    /// Applies an action to the screen shown: the walk-through, else the prompt, else the
    /// help, else the browsing screen (`screens::browse`).
    pub fn update(&mut self, action: Action) {
        if let Some(t) = self.teach.as_mut()
            && !self.help
        {
            match t.update(action, &self.store) {
                Ask::Nothing => {}
                Ask::Quit => self.quit = true,
                Ask::Leave => self.teach = None,
                Ask::Help => self.help = true,
            }
            return;
        }
        if let Some((kind, text)) = self.prompt.as_mut() {
            let kind = *kind;
            match action {
                Action::Input(c) => text.push(c),
                Action::Backspace => {
                    text.pop();
                }
                Action::Cancel => self.prompt = None,
                Action::Submit => {
                    let text = std::mem::take(text);
                    self.prompt = None;
                    match kind {
                        Prompt::Filter => self.apply_filter(text),
                        Prompt::Search => {
                            self.search = text;
                            self.find(true);
                        }
                    }
                }
                Action::Quit => self.quit = true,
                _ => {}
            }
            return;
        }
        if self.help {
            // Any key closes the help.
            self.help = matches!(action, Action::Scroll(..) | Action::Click(..));
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        self.browse(action);
    }

    /// Takes the answer of the job in the background, if it has come: the selection moves to
    /// the match, or the filter applies. Whether anything changed on screen.
    pub(crate) fn poll_job(&mut self) -> bool {
        match self.jobs.poll() {
            None => return false,
            Some(Done::Failed(what)) => {
                self.message = Some(format!("the {what} failed: try again"))
            }
            Some(Done::Answered(Purpose::Search { text, forward }, unit)) => {
                if let Some(hits) = self.jobs.search_hits.take() {
                    if self.search == text && self.mode == unit {
                        self.message = Some(self.step_to_hit(&hits, forward));
                    }
                    self.jobs.search_hits = Some(hits);
                }
            }
            Some(Done::Answered(Purpose::Filter { filter, text }, _)) => {
                self.message = None;
                self.set_filter(filter, text);
            }
        }
        true
    }

    /// Whether a search or filter is at work in the background.
    pub fn busy(&self) -> bool {
        self.jobs.busy()
    }

    /// Waits for the job in the background, and takes its answer.
    pub fn wait_for_job(&mut self) {
        while self.jobs.busy() {
            if !self.poll_job() {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
    }

    #[cfg(test)]
    /// Who sent a row, as the list shows it.
    pub(crate) fn side_of(&self, row: Row) -> crate::vocab::Side {
        row.side(&self.store)
    }

    /// Which fragment of its message a frame is, e.g. `2/3`; empty for a one-frame message.
    pub(crate) fn fragment(&self, row: Row) -> String {
        row.fragment(&self.store)
    }
}
