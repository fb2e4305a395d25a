//! How decoded things are written for people, the same in every output: escaped text from the
//! wire, one-line previews, payloads
//! to read, hex, times, directions, close codes.
//!
//! In: bytes and the decoder's words (`model`, `ws`). Out: strings, or text appended to one.
//! Never: decides what to show or where; knows nothing of the terminal, files or styles.

pub mod escape;
pub mod hex;
pub mod payload;
pub mod preview;
pub mod time;
pub mod words;

pub use escape::{escape_plain, escape_text};
