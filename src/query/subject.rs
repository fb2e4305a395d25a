//! What the filter looks at, read from the index: a frame, a message or a gap, without its
//! bytes (see [`Subject::data`]).

use std::borrow::Cow;

use super::filter::Subject;
use crate::index::Store;
use crate::vocab::Opcode;
use crate::ws::Problems;

impl<'a> Subject<'a> {
    /// Frame `i` of the store.
    pub fn frame(store: &Store, i: u32) -> Subject<'a> {
        let f = &store.frames[i as usize];
        let h = &f.header;
        let compressed_message = store.inflated_span(i).is_some();
        Subject {
            conn: f.conn,
            from: f.from,
            opcode: Some(h.opcode),
            len: h.len,
            data: Cow::Borrowed(&[]),
            matched: None,
            problems: f.problems,
            gap: false,
            fin: h.fin,
            masked: h.mask.is_some(),
            rsv1: h.rsv1,
            compressed: h.rsv1 || compressed_message,
            fragmented: !h.fin || h.opcode == Opcode::Continuation,
        }
    }

    /// Message `i` of the store.
    pub fn message(store: &Store, i: u32) -> Subject<'a> {
        let m = store.message_meta(i);
        let masked = m
            .frames
            .first()
            .and_then(|n| store.frame_index(m.conn, *n))
            .is_some_and(|f| store.frames[f as usize].header.mask.is_some());
        Subject {
            conn: m.conn,
            from: m.from,
            opcode: Some(m.opcode),
            len: m.data.len() as u64,
            data: Cow::Borrowed(&[]),
            matched: None,
            problems: m.problems,
            gap: false,
            fin: true,
            masked,
            rsv1: m.compressed,
            compressed: m.compressed,
            fragmented: m.frames.len() > 1,
        }
    }

    /// Gap `i` of the store.
    pub fn gap(store: &Store, i: u32) -> Subject<'a> {
        let g = &store.gaps[i as usize];
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
        }
    }
}
