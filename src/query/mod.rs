//! Asking the index questions: the display filter's language, parsed once and tested against a
//! frame, a message or a gap, and the answers of its text conditions (and of a search), kept.
//!
//! In: an expression or a search text, and an [`index::Store`](crate::index::Store) or events as
//! they are decoded. Out: a [`Filter`] that answers for one [`Subject`], [`Hits`]: which frames
//! and messages hold which patterns, and a [`Stream`]: which events an output that writes them
//! one at a time keeps. Never: draws, writes or formats anything, or changes the store.

pub(crate) mod filter;
#[cfg(test)]
pub(crate) mod fixture;
mod hits;
mod stream;
mod subject;

pub(crate) use filter::{Filter, Matched, Subject};
pub(crate) use hits::{Failed, Hits, Missing, Pending};
pub(crate) use stream::Stream;
