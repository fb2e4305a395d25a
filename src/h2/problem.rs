//! What breaks HTTP/2 or cannot be followed, named after the RFC rule it breaks. Each reads as
//! a sentence that says what was wrong and what the decoder did about it.

use std::fmt;

use super::frame::{FrameType, Setting, StreamId};
use super::head::{MAX_FIELDS, MAX_LIST_BYTES};

/// One problem in one direction's bytes; where it was is carried beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The client's first bytes are not the connection preface (RFC 9113 section 3.4).
    NotPreface,
    /// A peer's first frame is not SETTINGS (RFC 9113 section 3.4).
    FirstFrameNotSettings { kind: FrameType },
    /// Bytes missing from the capture where they cannot be stepped over.
    Gap { len: u64 },
    /// Longer than the receiver's SETTINGS_MAX_FRAME_SIZE (RFC 9113 section 4.2).
    FrameTooLong { kind: FrameType, len: u32, max: u32 },
    /// A frame whose length its type fixes or bounds has another (FRAME_SIZE_ERROR).
    FrameSize {
        kind: FrameType,
        len: u32,
        expected: &'static str,
    },
    /// A stream's frame sent on stream 0 (PROTOCOL_ERROR).
    NeedsStream { kind: FrameType },
    /// A connection frame (SETTINGS, PING, GOAWAY) sent on a stream (PROTOCOL_ERROR).
    ConnectionFrameOnStream { kind: FrameType, stream: StreamId },
    /// More padding than the frame has room for (PROTOCOL_ERROR).
    PaddingTooLong {
        kind: FrameType,
        stream: StreamId,
        pad: u32,
        room: u32,
    },
    /// A frame between a header block's frames (RFC 9113 section 6.10, PROTOCOL_ERROR).
    ContinuationMissing {
        stream: StreamId,
        got: FrameType,
        got_stream: StreamId,
    },
    /// CONTINUATION with no header block to continue (PROTOCOL_ERROR).
    UnexpectedContinuation { stream: StreamId },
    /// A header block longer than this decoder holds.
    HeaderBlockTooLong { stream: StreamId, limit: usize },
    /// HPACK cannot decode the block (COMPRESSION_ERROR).
    Compression { stream: StreamId, error: String },
    /// The decoded list passes what is kept of it.
    HeadTooLong { stream: StreamId },
    /// A frame too long for this decoder to hold; its content is not read.
    TooLongToHold {
        kind: FrameType,
        len: u32,
        limit: usize,
    },
    /// A stream made to depend on itself (RFC 9113 section 5.3.1, PROTOCOL_ERROR).
    SelfDependency { kind: FrameType, stream: StreamId },
    /// WINDOW_UPDATE of 0 (RFC 9113 section 6.9, PROTOCOL_ERROR).
    ZeroWindowIncrement { stream: StreamId },
    /// A setting's value outside what RFC 9113 section 6.5.2 or RFC 8441 section 3 allow.
    BadSetting {
        setting: Setting,
        value: u32,
        why: &'static str,
    },
    /// PUSH_PROMISE from the client (RFC 9113 section 8.4, PROTOCOL_ERROR).
    PushFromClient { stream: StreamId },
    /// PUSH_PROMISE promising a stream that is not a new even-numbered one (PROTOCOL_ERROR).
    BadPromise { promised: StreamId },
    /// A frame on a stream nobody opened (RFC 9113 section 5.1, PROTOCOL_ERROR).
    IdleStream { kind: FrameType, stream: StreamId },
    /// HEADERS opening a stream whose number is not above every earlier one (RFC 9113 section
    /// 5.1.1, PROTOCOL_ERROR).
    StreamReused { stream: StreamId, highest: StreamId },
    /// The client opening an even-numbered stream (RFC 9113 section 5.1.1, PROTOCOL_ERROR).
    EvenStreamFromClient { stream: StreamId },
    /// A frame on a stream after its sender ended it (STREAM_CLOSED).
    StreamClosed { kind: FrameType, stream: StreamId },
    /// A second head after the final one that does not end the stream (RFC 9113 section 8.1).
    TrailersWithoutEndStream { stream: StreamId },
    /// More streams open than are followed: the oldest are forgotten from here on.
    TooManyStreams { limit: usize },
    /// An extended CONNECT the server's SETTINGS did not allow (RFC 8441 section 4).
    ConnectNotEnabled { stream: StreamId },
    /// An extended CONNECT without a pseudo-header RFC 8441 section 4 requires.
    MalformedConnect {
        stream: StreamId,
        missing: &'static str,
    },
    /// The connection ended inside the client connection preface.
    CutInPreface,
    /// The connection ended inside a frame (`None`: inside its header, before the type).
    CutInFrame { kind: Option<FrameType> },
}

/// The header-block problems' consequence, said the same way each time.
const HPACK_LOST: &str = "the HPACK state is lost with it, so later heads in this direction \
                          are not decoded (their streams' data still is)";

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NotPreface => write!(
                f,
                "the client's bytes are not the HTTP/2 connection preface (RFC 9113 §3.4): \
                 this direction is not decoded"
            ),
            Problem::FirstFrameNotSettings { kind } => write!(
                f,
                "the first frame is {kind}, not SETTINGS as the connection preface requires \
                 (RFC 9113 §3.4, PROTOCOL_ERROR)"
            ),
            Problem::Gap { len } => write!(
                f,
                "{len} bytes are missing from the capture: HTTP/2 cannot be followed past them \
                 (frame boundaries and HPACK state are lost), so the rest of this direction \
                 is not decoded"
            ),
            Problem::FrameTooLong { kind, len, max } => write!(
                f,
                "{kind} frame of {len} bytes is longer than the {max} the receiver allows \
                 (SETTINGS_MAX_FRAME_SIZE, FRAME_SIZE_ERROR); read anyway"
            ),
            Problem::FrameSize {
                kind,
                len,
                expected,
            } => write!(
                f,
                "{kind} frame of {len} bytes, but it must be {expected} (FRAME_SIZE_ERROR); \
                 skipped"
            ),
            Problem::NeedsStream { kind } => write!(
                f,
                "{kind} frame on stream 0, but it belongs to a stream (PROTOCOL_ERROR); skipped"
            ),
            Problem::ConnectionFrameOnStream { kind, stream } => write!(
                f,
                "{kind} frame on stream {stream}, but it concerns the whole connection and \
                 belongs on stream 0 (PROTOCOL_ERROR); skipped"
            ),
            Problem::PaddingTooLong {
                kind,
                stream,
                pad,
                room,
            } => write!(
                f,
                "{kind} frame on stream {stream} declares {pad} bytes of padding but has room \
                 for {room} (PROTOCOL_ERROR); skipped"
            ),
            Problem::ContinuationMissing {
                stream,
                got,
                got_stream,
            } => write!(
                f,
                "the header block of stream {stream} is unfinished, but a {got} frame on \
                 stream {got_stream} comes before its CONTINUATION (RFC 9113 §6.10, \
                 PROTOCOL_ERROR); the block is dropped and {HPACK_LOST}"
            ),
            Problem::UnexpectedContinuation { stream } => write!(
                f,
                "CONTINUATION on stream {stream} follows no unfinished header block \
                 (PROTOCOL_ERROR); skipped"
            ),
            Problem::HeaderBlockTooLong { stream, limit } => write!(
                f,
                "the header block of stream {stream} is longer than {} KiB, the most this \
                 decoder holds: it is not decoded, and {HPACK_LOST}",
                limit / 1024
            ),
            Problem::Compression { stream, error } => write!(
                f,
                "the header block of stream {stream} cannot be decoded: {error} \
                 (COMPRESSION_ERROR); {HPACK_LOST}"
            ),
            Problem::HeadTooLong { stream } => write!(
                f,
                "the head of stream {stream} has more than {MAX_FIELDS} fields or {} KiB: \
                 only the first are kept",
                MAX_LIST_BYTES / 1024
            ),
            Problem::TooLongToHold { kind, len, limit } => write!(
                f,
                "{kind} frame of {len} bytes is longer than the {} KiB this decoder holds of \
                 one frame: its content is not read",
                limit / 1024
            ),
            Problem::SelfDependency { kind, stream } => write!(
                f,
                "{kind} makes stream {stream} depend on itself (RFC 9113 §5.3.1, \
                 PROTOCOL_ERROR)"
            ),
            Problem::ZeroWindowIncrement { stream } if *stream == StreamId::CONNECTION => write!(
                f,
                "WINDOW_UPDATE of 0 for the connection (RFC 9113 §6.9, PROTOCOL_ERROR)"
            ),
            Problem::ZeroWindowIncrement { stream } => write!(
                f,
                "WINDOW_UPDATE of 0 on stream {stream} (RFC 9113 §6.9, PROTOCOL_ERROR)"
            ),
            Problem::BadSetting {
                setting,
                value,
                why,
            } => write!(f, "{setting} = {value}: {why}"),
            Problem::PushFromClient { stream } => write!(
                f,
                "the client sent PUSH_PROMISE on stream {stream}, but only servers push \
                 (RFC 9113 §8.4, PROTOCOL_ERROR)"
            ),
            Problem::BadPromise { promised } => write!(
                f,
                "PUSH_PROMISE promises stream {promised}, which is not a new even-numbered \
                 stream (RFC 9113 §5.1.1, PROTOCOL_ERROR); not followed"
            ),
            Problem::IdleStream { kind, stream } => write!(
                f,
                "{kind} on stream {stream}, which was never opened (RFC 9113 §5.1, \
                 PROTOCOL_ERROR); skipped"
            ),
            Problem::StreamReused { stream, highest } => write!(
                f,
                "HEADERS opens stream {stream}, but stream {highest} was already opened and \
                 numbers cannot go back (RFC 9113 §5.1.1, PROTOCOL_ERROR); not followed"
            ),
            Problem::EvenStreamFromClient { stream } => write!(
                f,
                "the client opens stream {stream}, but the streams a client opens are \
                 odd-numbered (RFC 9113 §5.1.1, PROTOCOL_ERROR); not followed"
            ),
            Problem::StreamClosed { kind, stream } => write!(
                f,
                "{kind} on stream {stream} after this side ended the stream with END_STREAM \
                 (STREAM_CLOSED); skipped"
            ),
            Problem::TrailersWithoutEndStream { stream } => write!(
                f,
                "a head after the final one on stream {stream} does not end the stream, as \
                 trailers must (RFC 9113 §8.1)"
            ),
            Problem::TooManyStreams { limit } => write!(
                f,
                "more than {limit} streams are open at once: from here on the oldest are \
                 forgotten (their data and ends are not followed)"
            ),
            Problem::ConnectNotEnabled { stream } => write!(
                f,
                "extended CONNECT on stream {stream}, but the server's SETTINGS did not set \
                 SETTINGS_ENABLE_CONNECT_PROTOCOL to 1 (RFC 8441 §4)"
            ),
            Problem::MalformedConnect { stream, missing } => write!(
                f,
                "extended CONNECT on stream {stream} without {missing}, which RFC 8441 §4 \
                 requires (malformed)"
            ),
            Problem::CutInPreface => {
                write!(f, "the connection ended inside the connection preface")
            }
            Problem::CutInFrame { kind: Some(kind) } => {
                write!(f, "the connection ended inside a {kind} frame")
            }
            Problem::CutInFrame { kind: None } => {
                write!(f, "the connection ended inside a frame header")
            }
        }
    }
}
