//! The browsing screen: connections on top, the frame or message list, the selected row's
//! field tree beside its bytes, payload or handshake. Here is what its panes hold and what the
//! keys do to them; the list itself (rows, selection, filter) is the app's.

mod find;

use crate::index::Unit;
use crate::model::{Anomaly, Http, Rejected, TlsNote, TlsWhat};
use crate::teach::Target;
use crate::vocab::ConnId;

use super::super::app::{Action, App, Prompt};
use super::super::components::row::Row;
use super::super::components::{jobs, save};

/// A pane of the browsing screen.
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
pub(crate) enum Right {
    Bytes,
    Payload,
    Handshake,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Clock {
    /// Seconds since the first packet, as Wireshark's default.
    Relative,
    /// Time of day (UTC).
    Absolute,
    /// Seconds since the previous row shown.
    Delta,
}

/// A row of the connections pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnRow {
    /// Every connection at once.
    All,
    Conn(ConnId),
    /// A refused upgrade, by its index in the store.
    Rejected(usize),
    /// A plain HTTP request, by its index in the store.
    Http(usize),
    /// An anomaly below WebSocket, by its index in the store.
    Anomaly(usize),
    /// A TLS connection that could not be decrypted, or a TLS alert, by its index in the
    /// store's TLS notes.
    Tls(usize),
}

impl ConnRow {
    /// Whether the list shows what connection `conn` carried: a refused upgrade or a plain
    /// HTTP request carries no frames.
    pub(crate) fn holds(self, conn: ConnId) -> bool {
        match self {
            ConnRow::All => true,
            ConnRow::Conn(c) => c == conn,
            ConnRow::Rejected(_) | ConnRow::Http(_) | ConnRow::Anomaly(_) | ConnRow::Tls(_) => {
                false
            }
        }
    }

    /// Whether the row carries no frames of its own: the list is then empty, and the handshake
    /// view says what the row is about.
    pub(crate) fn is_note(self) -> bool {
        !matches!(self, ConnRow::All | ConnRow::Conn(_))
    }
}

/// What the panes around the list hold.
pub(crate) struct Browse {
    /// 0: all connections; then the WebSocket connections in order; then rejected upgrades;
    /// then plain HTTP requests; then anomalies; then TLS notes.
    pub(crate) conn_sel: usize,
    pub(crate) right: Right,
    pub(crate) clock: Clock,
    /// Show payload bytes as on the wire (masked) instead of unmasked.
    pub(crate) show_masked: bool,
    /// A live list holds still.
    pub(crate) paused: bool,
    /// Only the focused pane is shown, on the whole screen.
    pub(crate) zoom: bool,
    pub(crate) detail_sel: usize,
    pub(crate) right_scroll: usize,
}

impl Default for Browse {
    fn default() -> Browse {
        Browse {
            conn_sel: 0,
            right: Right::Bytes,
            clock: Clock::Relative,
            show_masked: false,
            paused: false,
            zoom: false,
            detail_sel: 0,
            right_scroll: 0,
        }
    }
}

impl App {
    /// Keys on the browsing screen.
    pub(crate) fn browse(&mut self, action: Action) {
        // A one-off line lasts until the next key; a search in the background says so until
        // it ends.
        self.message = self.jobs.label();
        let b = &mut self.browse;
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
                b.clock = match b.clock {
                    Clock::Relative => Clock::Absolute,
                    Clock::Absolute => Clock::Delta,
                    Clock::Delta => Clock::Relative,
                }
            }
            Action::CycleRight => {
                b.right = match b.right {
                    Right::Bytes => Right::Payload,
                    Right::Payload => Right::Handshake,
                    Right::Handshake => Right::Bytes,
                };
                b.right_scroll = 0;
            }
            Action::ToggleMask => {
                b.show_masked = !b.show_masked;
                b.right = Right::Bytes;
            }
            Action::TogglePause => {
                if self.live {
                    b.paused = !b.paused;
                    if !b.paused {
                        self.rebuild();
                        if !self.rows.is_empty() {
                            self.sel = self.rows.len() - 1;
                        }
                    }
                } else {
                    self.message = Some("pause is for live captures".into());
                }
            }
            Action::ToggleZoom => b.zoom = !b.zoom,
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
                    Pane::Details => b.detail_sel = self.layout.detail_offset + row,
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

    /// Rows in the connections pane: "all", the WebSocket connections, the rejected upgrades,
    /// the plain HTTP requests, the anomalies, the TLS notes.
    pub(crate) fn conn_rows(&self) -> usize {
        let s = &self.store;
        1 + s.conns.len() + s.rejected.len() + s.http.len() + s.anomalies.len() + s.tls.len()
    }

    /// What the connections pane has selected.
    pub(crate) fn conn_row(&self) -> ConnRow {
        self.conn_row_at(self.browse.conn_sel)
    }

    /// What row `n` of the connections pane is (the last one past the end).
    pub(crate) fn conn_row_at(&self, n: usize) -> ConnRow {
        let s = &self.store;
        let (conns, rejected, http) = (s.conns.len(), s.rejected.len(), s.http.len());
        let anomalies = s.anomalies.len();
        match n {
            0 => ConnRow::All,
            n if n <= conns => ConnRow::Conn(self.store.conns[n - 1].info.conn),
            n if n <= conns + rejected => ConnRow::Rejected(n - 1 - conns),
            n if n <= conns + rejected + http => ConnRow::Http(n - 1 - conns - rejected),
            n if n <= conns + rejected + http + anomalies => {
                ConnRow::Anomaly(n - 1 - conns - rejected - http)
            }
            n => ConnRow::Tls(n - 1 - conns - rejected - http - anomalies),
        }
    }

    /// The TLS note (a connection not decrypted, an alert) selected in the connections pane.
    pub(crate) fn selected_tls(&self) -> Option<&TlsNote> {
        match self.conn_row() {
            ConnRow::Tls(i) => self.store.tls.get(i),
            _ => None,
        }
    }

    /// The anomaly selected in the connections pane.
    pub(crate) fn selected_anomaly(&self) -> Option<&Anomaly> {
        match self.conn_row() {
            ConnRow::Anomaly(i) => self.store.anomalies.get(i),
            _ => None,
        }
    }

    /// The rejected upgrade selected in the connections pane.
    pub(crate) fn selected_rejected(&self) -> Option<&Rejected> {
        match self.conn_row() {
            ConnRow::Rejected(i) => self.store.rejected.get(i),
            _ => None,
        }
    }

    /// The plain HTTP request selected in the connections pane.
    pub(crate) fn selected_http(&self) -> Option<&Http> {
        match self.conn_row() {
            ConnRow::Http(i) => self.store.http.get(i),
            _ => None,
        }
    }

    /// The list's title: what it shows and for which connection.
    pub(crate) fn list_title(&self) -> String {
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
            ConnRow::Anomaly(_) => "an anomaly below WebSocket".to_owned(),
            ConnRow::Tls(i) => match self.store.tls.get(i).map(|n| &n.what) {
                Some(TlsWhat::Alert { .. }) => "a TLS alert".to_owned(),
                _ => "a TLS connection not decrypted".to_owned(),
            },
        };
        format!("{what} of {conn}: {}", self.rows.len())
    }

    /// What `T` teaches: the selected refused upgrade, else the selected row's connection,
    /// else the selected connection, else the first one.
    fn teach_target(&self) -> Option<Target> {
        let selected = match self.conn_row() {
            ConnRow::Rejected(i) => return Some(Target::Rejected(i)),
            ConnRow::Conn(c) => Some(c),
            ConnRow::All | ConnRow::Http(_) | ConnRow::Anomaly(_) | ConnRow::Tls(_) => None,
        };
        let conn = self
            .selected()
            .map(|r| r.conn(&self.store))
            .or(selected)
            .or(self.store.conns.first().map(|c| c.info.conn))?;
        Some(Target::Conn(conn))
    }

    /// Rows a page moves in the focused pane, as last laid out.
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
            Pane::Conns => self.select_conn(step(self.browse.conn_sel, self.conn_rows())),
            Pane::List => {
                let i = step(self.sel, self.rows.len());
                self.set_sel(i);
            }
            Pane::Details => {
                let n = self.details().map_or(0, |d| d.fields.len());
                self.browse.detail_sel = step(self.browse.detail_sel, n);
            }
            Pane::Right => {
                let b = &mut self.browse;
                b.right_scroll = (b.right_scroll as isize).saturating_add(by).max(0) as usize;
            }
        }
    }

    /// Selects row `i` of the list; the panes below start again at the top.
    fn set_sel(&mut self, i: usize) {
        if i != self.sel {
            self.sel = i;
            self.browse.detail_sel = 0;
            self.browse.right_scroll = 0;
        }
    }

    fn select_conn(&mut self, n: usize) {
        let n = n.min(self.conn_rows() - 1);
        if n != self.browse.conn_sel {
            self.browse.conn_sel = n;
            self.rebuild();
            if self.conn_row().is_note() {
                self.browse.right = Right::Handshake;
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
}
