//! Asking the index questions: the display filter's language, parsed once and tested against a
//! frame, a message or a gap.

pub mod filter;
mod subject;

pub use filter::{Filter, Matched, Subject};
