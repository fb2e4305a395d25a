//! What the filter looks at: a frame, a message or a gap, read from the index (without its
//! bytes, see [`Subject::data`]) or from an event as it is decoded (with them). Both read the
//! same fields the same way, so that the terminal UI's list and `-Y` keep the same rows. What
//! carries the row's connection (TLS, HTTP/2) comes from the connection: the store's, or the
//! `connection` event the caller of the `of_` functions kept.

use std::borrow::Cow;

use super::filter::{Carrier, Subject};
use crate::index::Store;
use crate::model;
use crate::vocab::{ConnId, Opcode, Side};
use crate::ws::{FrameHeader, Problems};

impl<'a> Subject<'a> {
    /// Frame `i` of the store.
    pub(crate) fn frame(store: &'a Store, i: u32) -> Subject<'a> {
        let f = &store.frames[i as usize];
        let compressed_message = store.inflated_span(i).is_some();
        Subject {
            carrier: carrier(store, f.conn),
            ..Subject::framed(f.conn, f.from, &f.header, f.problems, compressed_message)
        }
    }

    /// A frame as decoded, with its bytes: its own payload, or, once `message` (the message it
    /// belongs to) is known and compressed, that message's inflated bytes, as the index reads
    /// them ([`Store::readable_span`]).
    pub(crate) fn of_frame(
        f: &'a model::Frame,
        message: Option<&'a model::Message>,
        carrier: Carrier<'a>,
    ) -> Subject<'a> {
        let inflated = message.filter(|m| m.compressed);
        let problems = f.problems.as_slice().into();
        Subject {
            data: Cow::Borrowed(inflated.map_or(&f.payload, |m| &m.data)),
            carrier,
            ..Subject::framed(f.conn, f.from, &f.header, problems, inflated.is_some())
        }
    }

    /// A frame, from its header and whether its message is compressed.
    fn framed(
        conn: ConnId,
        from: Side,
        h: &FrameHeader,
        problems: Problems,
        compressed_message: bool,
    ) -> Subject<'a> {
        Subject {
            conn,
            from,
            opcode: Some(h.opcode),
            len: h.len,
            data: Cow::Borrowed(&[]),
            matched: None,
            problems,
            gap: false,
            fin: h.fin,
            masked: h.mask.is_some(),
            rsv1: h.rsv1,
            compressed: h.rsv1 || compressed_message,
            fragmented: !h.fin || h.opcode == Opcode::Continuation,
            carrier: Carrier::default(),
        }
    }

    /// Message `i` of the store.
    pub(crate) fn message(store: &'a Store, i: u32) -> Subject<'a> {
        let m = store.message_meta(i);
        let masked = m
            .frames
            .first()
            .and_then(|n| store.frame_index(m.conn, *n))
            .is_some_and(|f| store.frames[f as usize].header.mask.is_some());
        let joined = Joined {
            conn: m.conn,
            from: m.from,
            opcode: m.opcode,
            len: m.data.len() as u64,
            problems: m.problems,
            compressed: m.compressed,
            frames: m.frames.len(),
            masked,
        };
        Subject {
            carrier: carrier(store, m.conn),
            ..Subject::joined(joined)
        }
    }

    /// A message as decoded, with its final bytes. `masked`: whether its first frame was.
    pub(crate) fn of_message(
        m: &'a model::Message,
        masked: bool,
        carrier: Carrier<'a>,
    ) -> Subject<'a> {
        let joined = Joined {
            conn: m.conn,
            from: m.from,
            opcode: m.opcode,
            len: m.data.len() as u64,
            problems: m.problems.as_slice().into(),
            compressed: m.compressed,
            frames: m.frames.len(),
            masked,
        };
        Subject {
            data: Cow::Borrowed(&m.data),
            carrier,
            ..Subject::joined(joined)
        }
    }

    fn joined(m: Joined) -> Subject<'a> {
        Subject {
            conn: m.conn,
            from: m.from,
            opcode: Some(m.opcode),
            len: m.len,
            data: Cow::Borrowed(&[]),
            matched: None,
            problems: m.problems,
            gap: false,
            fin: true,
            masked: m.masked,
            rsv1: m.compressed,
            compressed: m.compressed,
            fragmented: m.frames > 1,
            carrier: Carrier::default(),
        }
    }

    /// Gap `i` of the store.
    pub(crate) fn gap(store: &'a Store, i: u32) -> Subject<'a> {
        let g = &store.gaps[i as usize];
        Subject::of_gap(g, carrier(store, g.conn))
    }

    /// A gap, as decoded or kept.
    pub(crate) fn of_gap(g: &model::Gap, carrier: Carrier<'a>) -> Subject<'a> {
        Subject {
            conn: g.conn,
            from: g.from,
            opcode: None,
            len: g.bytes,
            data: Cow::Borrowed(&[]),
            matched: None,
            problems: Problems::default(),
            gap: true,
            fin: false,
            masked: false,
            rsv1: false,
            compressed: false,
            fragmented: false,
            carrier,
        }
    }
}

/// What carries connection `conn` of the store.
fn carrier(store: &Store, conn: ConnId) -> Carrier<'_> {
    store
        .conn(conn)
        .map_or_else(Carrier::default, |c| Carrier::of(&c.info))
}

/// What a stored and a decoded message both say of themselves, read alike.
struct Joined {
    conn: ConnId,
    from: Side,
    opcode: Opcode,
    len: u64,
    problems: Problems,
    compressed: bool,
    /// How many frames it was made of.
    frames: usize,
    /// Its first frame was.
    masked: bool,
}
