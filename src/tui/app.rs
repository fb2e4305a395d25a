//! The terminal UI's state and everything that changes it: keys become an [`Action`],
//! [`App::update`] applies it, and the view draws `&App`.

use std::path::PathBuf;
use std::rc::Rc;

use ratatui::layout::Rect;

use crate::capture::LiveStats;
use crate::index::{Entry, Store, Unit};
use crate::model::{Event, Side};
use crate::present::escape_plain;
use crate::query::Hits;
use crate::query::filter::{self, Filter};
use crate::teach::{self, Target};

use super::components::jobs::{Done, Jobs, Purpose, Start};
use super::components::list::Scope;
use super::components::row::Row;
use super::components::save;
use super::components::shown::Shown;
use super::details::Details;
use super::feed::Feed;
use super::layout::{self, Layout, inner, scroll_to};
use super::screens::teach::{Ask, Teach};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Conns,
    List,
    Details,
    Right,
}

impl Pane {
    const ORDER: [Pane; 4] = [Pane::Conns, Pane::List, Pane::Details, Pane::Right];

    fn step(self, by: isize) -> Pane {
        let i = Pane::ORDER.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Pane::ORDER[(i + by).rem_euclid(4) as usize]
    }
}

/// What the bottom-right pane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Right {
    Bytes,
    Payload,
    Handshake,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// Seconds since the first packet, as Wireshark's default.
    Relative,
    /// Time of day (UTC).
    Absolute,
    /// Seconds since the previous row shown.
    Delta,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prompt {
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

/// A row of the connections pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnRow {
    /// Every connection at once.
    All,
    Conn(u32),
    /// A refused upgrade, by its index in the store.
    Rejected(usize),
    /// A plain HTTP request, by its index in the store.
    Http(usize),
}

impl ConnRow {
    /// Whether the list shows what connection `conn` carried: a refused upgrade or a plain
    /// HTTP request carries no frames.
    pub fn holds(self, conn: u32) -> bool {
        match self {
            ConnRow::All => true,
            ConnRow::Conn(c) => c == conn,
            ConnRow::Rejected(_) | ConnRow::Http(_) => false,
        }
    }
}

pub struct App {
    pub store: Store,
    pub source_name: String,
    pub live: bool,
    /// 0: all connections; then the WebSocket connections in order; then rejected upgrades.
    pub conn_sel: usize,
    pub mode: Unit,
    pub rows: Vec<Row>,
    pub sel: usize,
    pub focus: Pane,
    pub right: Right,
    pub clock: Clock,
    /// Show payload bytes as on the wire (masked) instead of unmasked.
    pub show_masked: bool,
    pub paused: bool,
    pub zoom: bool,
    pub help: bool,
    pub filter: Option<Filter>,
    pub filter_text: String,
    pub prompt: Option<(Prompt, String)>,
    pub search: String,
    /// Answers kept for the search and the filter, and the job that works them out.
    pub jobs: Jobs,
    /// A one-off line for the status bar: a saved file, a bad filter, no search match.
    pub message: Option<String>,
    pub detail_sel: usize,
    pub right_scroll: usize,
    pub progress: Option<(u64, u64)>,
    pub done: bool,
    pub notes: Vec<String>,
    pub error: Option<String>,
    pub live_stats: Option<LiveStats>,
    /// Frames per second over the last second, for a live capture.
    pub rate: f64,
    rate_window: (std::time::Instant, u64),
    pub quit: bool,
    pub teach: Option<Teach>,
    /// Start the walk-through once the capture is loaded (`--teach`).
    pub teach_on_load: bool,
    /// Where `s` saves payloads.
    pub save_dir: PathBuf,
    /// The panes as the next draw shows them (see [`App::lay_out`]).
    pub layout: Layout,
    /// What the selected row shows, once built.
    shown: Shown,
}

impl App {
    pub fn new(source_name: String, live: bool) -> App {
        App {
            store: Store::default(),
            source_name,
            live,
            conn_sel: 0,
            mode: Unit::Frames,
            rows: Vec::new(),
            sel: 0,
            focus: Pane::List,
            right: Right::Bytes,
            clock: Clock::Relative,
            show_masked: false,
            paused: false,
            zoom: false,
            help: false,
            filter: None,
            filter_text: String::new(),
            prompt: None,
            search: String::new(),
            jobs: Jobs::default(),
            message: None,
            detail_sel: 0,
            right_scroll: 0,
            progress: None,
            done: false,
            notes: Vec::new(),
            error: None,
            live_stats: None,
            rate: 0.0,
            rate_window: (std::time::Instant::now(), 0),
            quit: false,
            teach: None,
            teach_on_load: false,
            save_dir: PathBuf::from("."),
            layout: Layout::default(),
            shown: Shown::default(),
        }
    }

    /// Takes decoded events directly, their bytes kept in memory (tests, and small inputs).
    pub fn feed_events(&mut self, events: Vec<Event>) {
        let entries = events
            .into_iter()
            .filter_map(|ev| self.store.entry(ev))
            .collect();
        self.feed(Feed::Entries(entries));
    }

    /// Rows in the connections pane: "all", the WebSocket connections, the rejected upgrades,
    /// the plain HTTP requests.
    pub fn conn_rows(&self) -> usize {
        1 + self.store.conns.len() + self.store.rejected.len() + self.store.http.len()
    }

    /// What the connections pane has selected.
    pub fn conn_row(&self) -> ConnRow {
        let (conns, rejected) = (self.store.conns.len(), self.store.rejected.len());
        match self.conn_sel {
            0 => ConnRow::All,
            n if n <= conns => ConnRow::Conn((n - 1) as u32),
            n if n <= conns + rejected => ConnRow::Rejected(n - 1 - conns),
            n => ConnRow::Http(n - 1 - conns - rejected),
        }
    }

    /// The rejected upgrade selected in the connections pane.
    pub fn selected_rejected(&self) -> Option<&crate::model::Rejected> {
        match self.conn_row() {
            ConnRow::Rejected(i) => self.store.rejected.get(i),
            _ => None,
        }
    }

    /// The plain HTTP request selected in the connections pane.
    pub fn selected_http(&self) -> Option<&crate::model::Http> {
        match self.conn_row() {
            ConnRow::Http(i) => self.store.http.get(i),
            _ => None,
        }
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
                        self.rate_window.1 += 1;
                    }
                    self.store.push_entry(entry);
                    if let Some(row) = row
                        && !self.paused
                        && self.scope().wants(row)
                    {
                        self.rows.push(row);
                    }
                }
                // Follow the newest only while the user is already at the end.
                if self.live && at_end && !self.paused && !self.rows.is_empty() {
                    self.sel = self.rows.len() - 1;
                }
            }
            Feed::Note(note) => self.notes.push(note),
            Feed::Progress { read, total } => self.progress = Some((read, total)),
            Feed::Live(stats) => {
                let (since, frames) = self.rate_window;
                let secs = since.elapsed().as_secs_f64();
                if secs > 0.0 {
                    self.rate = frames as f64 / secs;
                }
                self.rate_window = (std::time::Instant::now(), 0);
                self.live_stats = Some(stats);
            }
            Feed::Done { notes, error } => {
                self.done = true;
                self.notes.extend(notes);
                self.error = error;
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
    pub fn rebuild(&mut self) {
        if let Some(f) = &self.filter {
            self.jobs.fill_filter(&self.store, f, self.mode);
        }
        let keep = self.rows.get(self.sel).copied();
        let answers = (self.filter.as_ref()).and_then(|f| self.jobs.filter_answers(f, self.mode));
        self.rows = self.scope().rows(answers);
        self.sel = keep
            .and_then(|k| self.rows.iter().position(|r| *r == k))
            .unwrap_or(0);
        self.detail_sel = 0;
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

    pub fn selected(&self) -> Option<Row> {
        self.rows.get(self.sel).copied()
    }

    /// The details of the selected row, built once per selection (see [`App::lay_out`]).
    pub fn details(&self) -> Option<Rc<Details>> {
        Some(self.shown.details(&self.store, self.selected()?))
    }

    /// The payload pane's lines for the selected row, built once per selection: JSON
    /// pretty-printed when it parses, text escaped line by line, anything else as hex.
    pub fn payload_lines(&self) -> Rc<Vec<String>> {
        match self.selected() {
            Some(row) => self.shown.payload(&self.store, row),
            None => Rc::default(),
        }
    }

    /// Lays the panes out on `screen`, scrolls each so that its selection shows, and builds
    /// what the selected row shows: the next draw then shows it as it is kept here. The event
    /// loop calls it before each draw; the walk-through keeps the panes where they were.
    pub fn lay_out(&mut self, screen: Rect) {
        if self.teach.is_some() {
            return;
        }
        let a = layout::areas(self, screen);
        let (conn_rows, rows) = (self.conn_rows(), self.rows.len());
        let l = &mut self.layout;
        l.areas = a;
        if a.conns.height > 0 {
            let height = usize::from(inner(a.conns).height);
            l.conn_offset = scroll_to(l.conn_offset, self.conn_sel, height, conn_rows);
        }
        if a.list.height > 0 && inner(a.list).height > 0 {
            // Below the column header.
            let height = usize::from(inner(a.list).height) - 1;
            l.list_offset = scroll_to(l.list_offset, self.sel, height, rows);
        }
        let Some(row) = self.selected() else {
            return;
        };
        let shows_bytes = a.right.height > 0 && self.right == Right::Bytes;
        let shows_payload = a.right.height > 0 && self.right == Right::Payload;
        let details = a.details.height > 0 || shows_bytes;
        self.shown.keep(&self.store, row, details, shows_payload);
        if a.details.height > 0 {
            let height = usize::from(inner(a.details).height);
            let fields = self.shown.details(&self.store, row).fields.len();
            let l = &mut self.layout;
            l.detail_offset = scroll_to(l.detail_offset, self.detail_sel, height, fields);
        }
    }

    pub fn start_teach(&mut self, target: Target) {
        self.teach = Some(Teach::new(&self.store, target));
    }

    /// What `T` teaches: the selected refused upgrade, else the selected row's connection,
    /// else the selected connection, else the first one.
    fn teach_target(&self) -> Option<Target> {
        let selected = match self.conn_row() {
            ConnRow::Rejected(i) => return Some(Target::Rejected(i)),
            ConnRow::Conn(c) => Some(c),
            ConnRow::All | ConnRow::Http(_) => None,
        };
        let conn = self
            .selected()
            .map(|r| r.conn(&self.store))
            .or(selected)
            .or((!self.store.conns.is_empty()).then_some(0))?;
        Some(Target::Conn(conn))
    }

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
        // A one-off line lasts until the next key; a search in the background says so until
        // it ends.
        self.message = self.jobs.label();
        match action {
            Action::Quit => self.quit = true,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-(self.page() as isize)),
            Action::PageDown => self.move_by(self.page() as isize),
            Action::Top => self.move_by(isize::MIN / 2),
            Action::Bottom => self.move_by(isize::MAX / 2),
            Action::FocusNext => self.focus = self.focus.step(1),
            Action::FocusPrev => self.focus = self.focus.step(-1),
            Action::Open => match self.focus {
                Pane::Conns => self.focus = Pane::List,
                Pane::List => self.focus = Pane::Details,
                _ => {}
            },
            Action::ToggleMode => {
                self.mode = match self.mode {
                    Unit::Frames => Unit::Messages,
                    Unit::Messages => Unit::Frames,
                };
                self.follow_mode_switch();
            }
            Action::CycleClock => {
                self.clock = match self.clock {
                    Clock::Relative => Clock::Absolute,
                    Clock::Absolute => Clock::Delta,
                    Clock::Delta => Clock::Relative,
                }
            }
            Action::CycleRight => {
                self.right = match self.right {
                    Right::Bytes => Right::Payload,
                    Right::Payload => Right::Handshake,
                    Right::Handshake => Right::Bytes,
                };
                self.right_scroll = 0;
            }
            Action::ToggleMask => {
                self.show_masked = !self.show_masked;
                self.right = Right::Bytes;
            }
            Action::TogglePause => {
                if self.live {
                    self.paused = !self.paused;
                    if !self.paused {
                        self.rebuild();
                        if !self.rows.is_empty() {
                            self.sel = self.rows.len() - 1;
                        }
                    }
                } else {
                    self.message = Some("pause is for live captures".into());
                }
            }
            Action::ToggleZoom => self.zoom = !self.zoom,
            Action::ToggleHelp => self.help = true,
            Action::StartFilter => {
                self.prompt = Some((Prompt::Filter, self.filter_text.clone()));
            }
            Action::StartSearch => self.prompt = Some((Prompt::Search, String::new())),
            Action::NextMatch => self.find(true),
            Action::PrevMatch => self.find(false),
            Action::Save => {
                self.message = Some(save::save(&self.save_dir, &self.store, self.selected()))
            }
            Action::Teach => match self.teach_target() {
                Some(target) => self.start_teach(target),
                None => self.message = Some("no connection to teach with yet".into()),
            },
            Action::StepNext | Action::StepPrev | Action::FrameBy(_) => {}
            Action::Click(pane, row) => {
                self.focus = pane;
                match pane {
                    Pane::Conns => self.select_conn(self.layout.conn_offset + row),
                    Pane::List => {
                        let i = self.layout.list_offset + row;
                        if i < self.rows.len() {
                            self.set_sel(i);
                        }
                    }
                    Pane::Details => self.detail_sel = self.layout.detail_offset + row,
                    Pane::Right => {}
                }
            }
            Action::Scroll(pane, by) => {
                let focus = std::mem::replace(&mut self.focus, pane);
                self.move_by(by as isize);
                self.focus = focus;
            }
            Action::Cancel if self.jobs.busy() => {
                if let Some(what) = self.jobs.stop() {
                    self.message = Some(format!("{what} stopped"));
                }
            }
            Action::Input(_) | Action::Backspace | Action::Submit | Action::Cancel => {
                if action == Action::Cancel && self.filter.is_some() {
                    self.apply_filter(String::new());
                }
            }
        }
    }

    fn page(&self) -> usize {
        let a = self.layout.areas;
        let h = match self.focus {
            Pane::Conns => a.conns.height,
            Pane::List => a.list.height,
            Pane::Details => a.details.height,
            Pane::Right => a.right.height,
        };
        usize::from(h.saturating_sub(3)).max(1)
    }

    fn move_by(&mut self, by: isize) {
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize).saturating_add(by).clamp(0, len as isize - 1) as usize
        };
        match self.focus {
            Pane::Conns => self.select_conn(step(self.conn_sel, self.conn_rows())),
            Pane::List => {
                let i = step(self.sel, self.rows.len());
                self.set_sel(i);
            }
            Pane::Details => {
                let n = self.details().map_or(0, |d| d.fields.len());
                self.detail_sel = step(self.detail_sel, n);
            }
            Pane::Right => {
                self.right_scroll = (self.right_scroll as isize).saturating_add(by).max(0) as usize;
            }
        }
    }

    fn set_sel(&mut self, i: usize) {
        if i != self.sel {
            self.sel = i;
            self.detail_sel = 0;
            self.right_scroll = 0;
        }
    }

    fn select_conn(&mut self, n: usize) {
        let n = n.min(self.conn_rows() - 1);
        if n != self.conn_sel {
            self.conn_sel = n;
            self.rebuild();
            if self.selected_rejected().is_some() || self.selected_http().is_some() {
                self.right = Right::Handshake;
            }
        }
    }

    /// Switching frames ↔ messages keeps the user where they were: the message of the selected
    /// frame, or the last frame of the selected message.
    fn follow_mode_switch(&mut self) {
        let target = match self.selected() {
            Some(Row::Frame(i)) => self.store.message_index(i),
            Some(Row::Message(i)) => {
                let m = self.store.message_meta(i);
                m.frames
                    .last()
                    .and_then(|n| self.store.frame_index(m.conn, *n))
            }
            _ => None,
        };
        self.rebuild();
        let want = target.map(|t| Row::of(self.mode, t));
        if let Some(i) = self.rows.iter().position(|r| Some(*r) == want) {
            self.sel = i;
        }
    }

    fn apply_filter(&mut self, text: String) {
        let text = text.trim().to_owned();
        // A filter still being worked out in the background gives way to the one typed now.
        self.jobs.stop_filter();
        if text.is_empty() {
            self.filter = None;
            self.filter_text.clear();
            self.rebuild();
            return;
        }
        let f = match Filter::parse(&text) {
            Ok(f) => f,
            Err(e) => {
                self.message = Some(format!("bad filter, {e}"));
                // Keep the text so the user can mend it.
                self.prompt = Some((Prompt::Filter, text));
                return;
            }
        };
        if f.needs_data() {
            let hits = Hits::reuse(self.jobs.filter_hits.take(), f.patterns());
            let missing = hits.missing(&self.store, self.mode);
            let start =
                self.jobs
                    .start(&self.store, self.mode, &hits, missing, || Purpose::Filter {
                        filter: f.clone(),
                        text: text.clone(),
                    });
            self.jobs.filter_hits = Some(hits);
            match start {
                // Answered once the filter applies.
                Some(Start::Now(_)) => {}
                // At work in the background; the filter applies when it is done.
                Some(Start::Later(label)) => {
                    self.message = Some(label);
                    return;
                }
                None => return,
            }
        }
        self.set_filter(f, text);
    }

    fn set_filter(&mut self, f: Filter, text: String) {
        self.filter = Some(f);
        self.filter_text = text;
        self.rebuild();
        if self.rows.is_empty() {
            self.message = Some(format!("filter {} matches nothing", self.filter_text));
        }
    }

    /// Moves to the next (or previous) row whose payload holds the search text, and says which
    /// of how many matching rows it is. Payloads not yet searched for this text are searched
    /// first: at once when they are few, else in the background (see [`App::poll_job`]).
    fn find(&mut self, forward: bool) {
        if self.search.is_empty() {
            self.message = Some("search with / first".into());
            return;
        }
        if self.jobs.turn_search(&self.search, self.mode, forward) {
            // Still searching: the answer will go this way.
            return;
        }
        let Some(needle) = filter::needle(&self.search) else {
            self.message = Some("text too long to search for".into());
            return;
        };
        let mut hits = Hits::reuse(self.jobs.search_hits.take(), &[needle]);
        let missing = hits.missing(&self.store, self.mode);
        let text = self.search.clone();
        let purpose = || Purpose::Search { text, forward };
        match self
            .jobs
            .start(&self.store, self.mode, &hits, missing, purpose)
        {
            Some(Start::Now(now)) => {
                hits.fill(&self.store, self.mode, now);
                self.message = Some(self.step_to_hit(&hits, forward));
            }
            Some(Start::Later(label)) => self.message = Some(label),
            None => {}
        }
        self.jobs.search_hits = Some(hits);
    }

    /// Takes the answer of the job in the background, if it has come: the selection moves to
    /// the match, or the filter applies. Whether anything changed on screen.
    pub fn poll_job(&mut self) -> bool {
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

    /// Selects the next (or previous) row among `hits`; what to tell the user.
    fn step_to_hit(&mut self, hits: &Hits, forward: bool) -> String {
        let hit = |row: Row| match row {
            Row::Frame(i) => hits.of(Unit::Frames).get(i as usize) > Some(&0),
            Row::Message(i) => hits.of(Unit::Messages).get(i as usize) > Some(&0),
            Row::Gap(_) => false,
        };
        let n = self.rows.len();
        let next = (1..=n)
            .map(|k| {
                if forward {
                    (self.sel + k) % n
                } else {
                    (self.sel + n * 2 - k) % n
                }
            })
            .find(|i| hit(self.rows[*i]));
        let mut shown = String::new();
        escape_plain(self.search.as_bytes(), 40, &mut shown);
        let Some(i) = next else {
            return format!("no payload holds \"{shown}\"");
        };
        let wrapped = if forward {
            i <= self.sel
        } else {
            i >= self.sel
        };
        let rank = self.rows[..=i].iter().filter(|r| hit(**r)).count();
        let total = rank + self.rows[i + 1..].iter().filter(|r| hit(**r)).count();
        self.focus = Pane::List;
        self.set_sel(i);
        format!(
            "\"{shown}\": match {rank} of {total}{}",
            if wrapped {
                ", search wrapped around the list"
            } else {
                ""
            }
        )
    }

    /// The list's title: what it shows and for which connection.
    pub fn list_title(&self) -> String {
        let what = match self.mode {
            Unit::Frames => "Frames",
            Unit::Messages => "Messages",
        };
        let conn = match self.conn_row() {
            ConnRow::All => "all connections".to_owned(),
            ConnRow::Conn(c) => format!("connection #{c}"),
            ConnRow::Rejected(_) | ConnRow::Http(_) => {
                "an HTTP request without WebSocket".to_owned()
            }
        };
        format!("{what} of {conn}: {}", self.rows.len())
    }

    /// Who sent a row, as the list shows it.
    pub fn side_of(&self, row: Row) -> Side {
        row.side(&self.store)
    }

    /// Which fragment of its message a frame is, e.g. `2/3`; empty for a one-frame message.
    pub fn fragment(&self, row: Row) -> String {
        row.fragment(&self.store)
    }

    /// The bytes the payload pane shows and `s` saves, and whether they are text.
    pub fn payload(&self) -> Option<(Vec<u8>, bool)> {
        self.selected()?.payload(&self.store)
    }
}
