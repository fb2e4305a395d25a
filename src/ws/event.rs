//! What the WebSocket stage hands on: frames as read off the wire and messages as joined and
//! inflated, owning their bytes so that an output can keep them or send them on.

use crate::vocab::{ConnId, Opcode, PacketNo, Side, Timestamp};

use super::{FrameHeader, Problem};

/// One WebSocket frame, complete on the wire or cut short by the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub conn: ConnId,
    /// Frames of a connection numbered from 0 in the order they complete.
    pub n: u64,
    pub ts: Timestamp,
    pub from: Side,
    pub header: FrameHeader,
    /// The unmasked payload as on the wire (still compressed when RSV1 is set). Shorter than
    /// `header.len` when bytes are missing from the capture or the payload was over the keep limit.
    pub payload: Vec<u8>,
    /// The capture ended before the frame did.
    pub truncated: bool,
    pub problems: Vec<Problem>,
    /// The first and last capture packet holding this frame's bytes.
    pub packets: (PacketNo, PacketNo),
    /// Where its first header byte lies in its sender's byte stream, missing bytes counted:
    /// from the connection's first byte after an HTTP/1.1 handshake (the stream the handshake
    /// was read from, decrypted for wss), from the first byte decoded on a `--decode-as` port,
    /// and within the stream's DATA bytes for WebSocket over HTTP/2.
    pub offset: u64,
}

/// One WebSocket message: a data message joined from its fragments and inflated, or a control
/// frame on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub conn: ConnId,
    pub(crate) ts: Timestamp,
    pub from: Side,
    pub opcode: Opcode,
    /// The `n` of each frame the message was made of.
    pub frames: Vec<u64>,
    pub compressed: bool,
    /// The message's final bytes: joined and inflated. For a close, its whole payload.
    pub data: Vec<u8>,
    /// Set when this is a text message and `data` is valid UTF-8.
    pub(crate) text_valid: bool,
    pub close_code: Option<u16>,
    pub close_reason: Option<String>,
    pub problems: Vec<Problem>,
}

impl Message {
    /// The payload as text when it is a valid UTF-8 text message.
    pub(crate) fn text(&self) -> Option<&str> {
        if self.text_valid {
            std::str::from_utf8(&self.data).ok()
        } else {
            None
        }
    }
}
