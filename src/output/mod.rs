//! Writing events for people (`text`) and for programs (`json`).

pub mod json;
pub mod text;

use std::io;

use crate::model::{Event, Timestamp};

/// Something events are written to, one at a time, in capture order.
pub trait Sink {
    /// The capture's first packet was read; relative times count from it.
    fn first_packet(&mut self, _ts: Timestamp) {}
    fn event(&mut self, ev: &Event) -> io::Result<()>;
}
