//! HTTP/2 (RFC 9113) from the two byte streams of one connection.
//!
//! In: each direction's bytes in order; the client's start with the connection preface
//! ([`is_preface`] tells a caller whether a connection does).
//! Out: so far, the frame layout: headers, types, flags, error codes and settings.
//! Never: panics on any input.

#![allow(
    dead_code,
    unused_imports,
    reason = "the connection that reads these frames comes next"
)]

mod frame;

pub(crate) use frame::{ErrorCode, FrameType, Setting, StreamId, is_preface};
