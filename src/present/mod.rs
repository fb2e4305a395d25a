//! How decoded things are written for people, the same in every output: text from the wire
//! escaped, one-line previews, payloads to read, hex, times, directions, close codes, TLS.
//!
//! In: bytes and the decoder's words (`model`, `ws`). Out: strings, or text appended to one.
//! Never: chooses what is shown or where, reads the index, or knows the terminal, files, colours
//! or styles: those are each output's own.

pub(crate) mod escape;
pub(crate) mod hex;
pub(crate) mod payload;
pub(crate) mod preview;
pub(crate) mod time;
pub(crate) mod tls;
pub(crate) mod words;

pub(crate) use escape::{escape_plain, escape_text};
