//! HTTP/2 (RFC 9113) from the two byte streams of one connection: frames, HPACK-decoded heads
//! (RFC 7541), streams, and the extended CONNECT that carries a WebSocket (RFC 8441).
//!
//! In: each direction's bytes in order, as TCP (or TLS, after ALPN `h2`) delivers them, with
//! gaps marked; the client's start with the connection preface ([`is_preface`] tells a caller
//! whether a connection does).
//! Out: per [`Connection::feed`], what those bytes completed, in order ([`Output`]): heads of
//! requests and answers (an extended CONNECT described as a [`Tunnel`]), each stream's DATA
//! payload as ranges of the bytes just fed, stream ends, SETTINGS, GOAWAY, and problems with the
//! offset in that direction's stream and a sentence saying why.
//! Never: panics, allocates by a length read off the wire (buffers grow with bytes that are
//! there, up to the limits below), copies DATA payloads, or stops at a violation it can step
//! over (it is named and decoding goes on). What it cannot step over is a gap in a direction
//! outside a DATA payload: frame boundaries and the HPACK state are lost with it, and the rest
//! of that direction is left undecoded.
//! Memory per direction: one frame being read (at most `MAX_HELD` bytes; DATA is never held),
//! one header block (at most `MAX_BLOCK`), the HPACK table (at most `MAX_TABLE`), and for the
//! connection at most `MAX_STREAMS` open streams.

mod connection;
mod frame;
mod head;
mod problem;
#[cfg(test)]
mod tests;

pub(crate) use connection::Connection;
#[cfg(test)]
pub(crate) use frame::FrameType;
pub(crate) use frame::{ErrorCode, Setting, StreamId, is_preface};
#[cfg(test)]
pub(crate) use head::{Answer, tunnel};
pub(crate) use head::{Head, Tunnel, answer};
pub(crate) use problem::Problem;

use crate::vocab::Dir;

/// The longest header block (HEADERS or PUSH_PROMISE and its CONTINUATIONs) decoded. HPACK
/// cannot skip a block, so a longer one loses the direction's heads from there on; real heads
/// are a few KiB, and servers refuse far less than this.
pub(crate) const MAX_BLOCK: usize = 256 * 1024;
/// The longest frame held whole to be read (all but DATA, which streams through): a largest
/// header block fragment with room for its padding (256 bytes with the length byte), priority
/// (5) or promised stream (4).
pub(crate) const MAX_HELD: usize = MAX_BLOCK + 261;
/// The largest HPACK dynamic table a decoder keeps, whatever SETTINGS_HEADER_TABLE_SIZE allows:
/// peers announce 4 to 64 KiB.
pub(crate) const MAX_TABLE: usize = 1 << 20;
/// Streams followed at once; past it the lowest-numbered (the oldest) is forgotten.
pub(crate) const MAX_STREAMS: usize = 10_000;
/// Bytes of GOAWAY debug data kept.
pub(crate) const MAX_DEBUG: usize = 1024;

/// What the bytes fed completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Output {
    /// A stream opened with its request head (HEADERS and any CONTINUATIONs from the client).
    Request {
        stream: StreamId,
        head: Head,
        /// The tunnel an extended CONNECT asks for.
        tunnel: Option<Box<Tunnel>>,
        /// The request has no body: the client's half of the stream is over.
        end_stream: bool,
    },
    /// A response head (`:status` …) from the server; 1xx interim answers come this way too,
    /// before the final one. For an extended CONNECT answered 2xx ([`Answer::opened`]), the
    /// stream's DATA from now on is the tunnel's bytes.
    Response {
        stream: StreamId,
        head: Head,
        /// The stream's request was an extended CONNECT: this answer opens or refuses it.
        tunnel: Option<Box<Tunnel>>,
        end_stream: bool,
    },
    /// A head after the final one on a stream: trailers, from `dir`.
    Trailers {
        stream: StreamId,
        dir: Dir,
        head: Head,
        end_stream: bool,
    },
    /// The server promises to push `promised`, whose request head is `head` (PUSH_PROMISE on
    /// `stream`). The push's answer comes as a [`Output::Response`] on `promised`.
    Promise {
        stream: StreamId,
        promised: StreamId,
        head: Head,
    },
    /// Payload of a stream's DATA frames (padding removed), in order, as it arrives: a frame
    /// split over several feeds comes in pieces. `bytes` is the range of the slice handed to
    /// the [`Connection::feed`] call that returned this output (`0..0` from
    /// [`Connection::gap`], when the payload's end was missing). `end_stream` is set on the last
    /// piece of a frame with END_STREAM (which may be empty): `dir` sends no more on the stream.
    Data {
        stream: StreamId,
        dir: Dir,
        bytes: std::ops::Range<usize>,
        end_stream: bool,
    },
    /// `len` bytes of a stream's DATA payload are missing from the capture; framing goes on
    /// after them.
    DataGap {
        stream: StreamId,
        dir: Dir,
        len: u64,
    },
    /// The stream is over; nothing more comes on it.
    StreamEnd { stream: StreamId, how: End },
    /// A SETTINGS frame from `dir` (`ack`: the acknowledgement of the peer's, with no values).
    Settings {
        dir: Dir,
        ack: bool,
        /// The parameters in the order they were sent.
        values: Vec<(Setting, u32)>,
        /// SETTINGS_ENABLE_CONNECT_PROTOCOL in this frame (RFC 8441 section 3): 1 from the
        /// server allows extended CONNECT.
        enable_connect_protocol: Option<u32>,
    },
    /// `dir` is closing the connection: streams the other side opened above `last_stream`
    /// were not and will not be processed (each gets a [`Output::StreamEnd`]).
    GoAway {
        dir: Dir,
        last_stream: StreamId,
        code: ErrorCode,
        /// Debug data, bytes that are not UTF-8 escaped, cut at `MAX_DEBUG` bytes.
        debug: String,
    },
    /// Something in `dir`'s bytes at `offset` (from the first byte of that direction: the
    /// start of the frame concerned) that breaks the protocol or cannot be followed.
    Problem {
        dir: Dir,
        offset: u64,
        problem: Problem,
    },
}

/// How a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// Both sides sent END_STREAM.
    Finished,
    /// RST_STREAM from `by` (for a WebSocket, RFC 8441 section 5: an abort, usually CANCEL).
    Reset { by: Dir, code: ErrorCode },
    /// GOAWAY from `by` left it unprocessed.
    GoneAway { by: Dir, code: ErrorCode },
    /// The connection ended with the stream open.
    ConnectionClosed,
    /// More than `MAX_STREAMS` were open: the oldest is no longer followed.
    Forgotten,
}

impl End {
    /// A short description: `finished`, `reset by …`.
    #[cfg(test)]
    pub(crate) fn describe(&self, client: Dir) -> String {
        let who = |by: Dir| if by == client { "client" } else { "server" };
        match self {
            End::Finished => "finished".to_owned(),
            End::Reset { by, code } => format!("reset by the {} ({code})", who(*by)),
            End::GoneAway { by, code } => {
                format!("not processed: GOAWAY from the {} ({code})", who(*by))
            }
            End::ConnectionClosed => "the connection closed".to_owned(),
            End::Forgotten => "forgotten (too many streams open)".to_owned(),
        }
    }
}
