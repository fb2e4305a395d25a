//! HTTP/2 (RFC 9113) from the two byte streams of one connection, and its heads (HPACK, RFC
//! 7541) with what an RFC 8441 extended CONNECT says in them.
//!
//! In: each direction's bytes in order; the client's start with the connection preface
//! ([`is_preface`] tells a caller whether a connection does).
//! Out: so far, the frame layout (headers, types, flags, error codes, settings) and decoded
//! header lists.
//! Never: panics on any input.

#![allow(
    dead_code,
    unused_imports,
    reason = "the connection that reads these frames comes next"
)]

mod frame;
mod head;

pub(crate) use frame::{ErrorCode, FrameType, Setting, StreamId, is_preface};
pub(crate) use head::{Answer, Head, Tunnel, answer, tunnel};
