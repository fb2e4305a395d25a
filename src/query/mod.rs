//! Asking the index questions: the display filter's language, parsed once and tested against a
//! frame, a message or a gap, and the answers of its text conditions (and of a search), kept.
//!
//! In: an expression or a search text, and an [`index::Store`](crate::index::Store). Out: a
//! [`Filter`] that answers for one [`Subject`], and [`Hits`]: which frames and messages hold
//! which patterns. Never: draws, writes or formats anything, or changes the store.

pub mod filter;
mod hits;
mod subject;

pub use filter::{Filter, Matched, Subject};
pub use hits::{Failed, Hits, Missing, Pending};
