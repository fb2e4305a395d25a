//! Writing events for people (`text`) and for programs (`json`), one at a time as they are
//! decoded.
//!
//! In: [`Event`]s in capture order. Out: lines on a writer. Never: keeps events or reads them
//! back (that is `index`), or words a thing its own way: text output's previews, directions and
//! close codes are `present`'s, as in the terminal UI.

pub mod json;
pub mod text;

use std::io;

use crate::model::Event;
use crate::vocab::Timestamp;

/// Something events are written to, one at a time, in capture order.
pub trait Sink {
    /// The capture's first packet was read; relative times count from it.
    fn first_packet(&mut self, _ts: Timestamp) {}
    fn event(&mut self, ev: &Event) -> io::Result<()>;
}
