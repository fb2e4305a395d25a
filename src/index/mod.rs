//! What every output can browse once decoding is done: the events kept in a [`Store`] (frames
//! and messages as small summaries, their bytes in a spill file), and the links between them.
//!
//! In: [`model::Event`](crate::model::Event)s, or `Entry`s made from them on another thread by
//! an `Ingest`. Out: counts, summaries by index, and any frame or message whole, read back.
//! Never: formats, filters or draws anything; it keeps what the decoder said, as it said it.

pub(crate) mod spill;
mod store;

pub(crate) use spill::{Span, Unreadable};
pub use store::Store;
pub(crate) use store::{Conn, Entry, FrameMeta, Ingest};
#[cfg(test)]
pub(crate) use store::{
    decode_sample, decode_sample_keyed, sample, sample_keyed, sample_names, test_frame,
};

/// What a list counts, and what answers are kept for: frames, or the messages they make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    Frames,
    Messages,
}
