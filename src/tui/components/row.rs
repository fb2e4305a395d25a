//! One row of the frame or message list, and what the store says about it: a row is an index,
//! everything shown for it is read from the store when it is drawn.

use crate::index::{Store, Unit, Unreadable};
use crate::present::preview::{self, Room, preview};
use crate::query::Subject;
use crate::vocab::{ConnId, Opcode, PacketNo, Timestamp};

/// One row of the frame/message list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Frame(u32),
    Message(u32),
    Gap(u32),
}

/// Bytes read back for a one-line preview: more than a wide terminal shows.
const PREVIEW_BYTES: usize = 512;

impl Row {
    /// Frame (or message) `i`.
    pub(crate) fn of(unit: Unit, i: u32) -> Row {
        match unit {
            Unit::Frames => Row::Frame(i),
            Unit::Messages => Row::Message(i),
        }
    }

    /// What the filter and the list look at for a row. `with_data` reads the payload back
    /// (from the spill file): only the filter's payload conditions and search need it.
    pub(crate) fn subject(self, store: &Store, with_data: bool) -> Subject<'_> {
        let (mut subject, span) = match self {
            Row::Frame(i) => (Subject::frame(store, i), store.readable_span(i)),
            Row::Message(i) => (Subject::message(store, i), store.message_data(i)),
            Row::Gap(i) => return Subject::gap(store, i),
        };
        if with_data {
            // A payload that cannot be read back matches as no bytes; its row says why.
            subject.data = store.spill.get(span).unwrap_or_default().into();
        }
        subject
    }

    pub(crate) fn ts(self, store: &Store) -> Timestamp {
        match self {
            Row::Frame(i) => store.frames[i as usize].ts,
            Row::Message(i) => store.message_meta(i).ts,
            Row::Gap(i) => store.gaps[i as usize].ts,
        }
    }

    pub(crate) fn conn(self, store: &Store) -> ConnId {
        self.subject(store, false).conn
    }

    #[cfg(test)]
    pub(crate) fn side(self, store: &Store) -> crate::vocab::Side {
        self.subject(store, false).from
    }

    /// The capture packet a row points at: where a frame or message completed, where a gap
    /// was noticed.
    pub(crate) fn packet(self, store: &Store) -> PacketNo {
        match self {
            Row::Frame(fi) => store.frames[fi as usize].packet,
            Row::Message(mi) => {
                let m = store.message_meta(mi);
                m.frames
                    .last()
                    .and_then(|n| store.frame_index(m.conn, *n))
                    .map_or(PacketNo::default(), |fi| store.frames[fi as usize].packet)
            }
            Row::Gap(gi) => store.gaps[gi as usize].packet,
        }
    }

    /// Text of the row's preview column.
    pub(crate) fn preview(self, store: &Store, out: &mut String) {
        match self {
            Row::Frame(i) => {
                let s = store;
                let f = &s.frames[i as usize];
                let h = &f.header;
                let message = s.message_of(i);
                let compressed = message.as_ref().is_some_and(|m| m.compressed);
                if compressed && h.rsv1 {
                    // The first frame of a compressed message shows the message inflated.
                    let data = s.spill.head(s.readable_span(i), PREVIEW_BYTES);
                    preview_read(Opcode::Text, data, out);
                } else if h.rsv1 || compressed {
                    preview::compressed(f.payload.len(), out);
                } else {
                    let op = match (h.opcode, message) {
                        (Opcode::Continuation, Some(m)) => m.opcode,
                        (op, _) => op,
                    };
                    preview_read(op, s.spill.head(f.payload, PREVIEW_BYTES), out);
                }
            }
            Row::Message(i) => {
                let m = store.message_meta(i);
                let data = store.spill.head(m.data, PREVIEW_BYTES);
                preview_read(m.opcode, data, out);
            }
            Row::Gap(i) => preview::gap(store.gaps[i as usize].bytes, out),
        }
    }

    /// Which fragment of its message a frame is, e.g. `2/3`; empty for a one-frame message.
    pub(crate) fn fragment(self, store: &Store) -> String {
        let Row::Frame(i) = self else {
            return String::new();
        };
        let f = &store.frames[i as usize];
        match store.message_of(i) {
            Some(m) if m.frames.len() > 1 => {
                let at = m.frames.iter().position(|n| *n == f.n).map_or(0, |p| p + 1);
                format!("{at}/{}", m.frames.len())
            }
            Some(_) => String::new(),
            None if !f.header.fin || f.header.opcode == Opcode::Continuation => "…".into(),
            None => String::new(),
        }
    }

    /// The bytes the payload pane shows and `s` saves, and whether they are text: a frame's
    /// unmasked payload (inflated when its message was compressed), a message's final bytes.
    /// A gap has none; bytes that cannot be read back say why.
    pub(crate) fn payload(self, store: &Store) -> Option<(Result<Vec<u8>, Unreadable>, bool)> {
        match self {
            Row::Frame(i) => {
                let f = &store.frames[i as usize];
                let text = match f.header.opcode {
                    Opcode::Text => true,
                    Opcode::Continuation => store
                        .message_of(i)
                        .is_some_and(|m| m.opcode == Opcode::Text),
                    _ => false,
                };
                Some((store.spill.get(store.readable_span(i)), text))
            }
            Row::Message(i) => Some((store.data(i), store.message_meta(i).opcode == Opcode::Text)),
            Row::Gap(_) => None,
        }
    }
}

/// A one-line preview of bytes read back, or why they could not be.
fn preview_read(opcode: Opcode, read: Result<Vec<u8>, Unreadable>, out: &mut String) {
    match read {
        Ok(data) => preview(opcode, &data, Room::COLUMN, out),
        Err(e) => {
            out.push('(');
            out.push_str(&e.to_string());
            out.push(')');
        }
    }
}
