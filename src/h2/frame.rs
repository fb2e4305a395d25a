//! The HTTP/2 frame layout (RFC 9113 section 4.1), its frame types, flags, error codes and
//! settings, each named as the RFC names it.

use std::fmt;

/// What the client sends before its first frame (RFC 9113 section 3.4).
pub(crate) const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Bytes of the frame header: length (24 bits), type, flags, stream identifier (31 bits).
pub(crate) const HEADER_LEN: usize = 9;

/// SETTINGS_MAX_FRAME_SIZE until the receiver announces another (RFC 9113 section 6.5.2).
pub(crate) const DEFAULT_MAX_FRAME_SIZE: u32 = 1 << 14;
/// The largest SETTINGS_MAX_FRAME_SIZE allowed, and the largest length the header can hold.
pub(crate) const MAX_FRAME_SIZE: u32 = (1 << 24) - 1;

/// Whether a connection's first bytes are the client connection preface, so far as they go:
/// at least 16 of them (`PRI * HTTP/2.0\r\n`, which no HTTP/1 request starts with) matching its
/// start, or the whole preface. Lets a caller tell cleartext HTTP/2 with prior knowledge (h2c)
/// from HTTP/1.1 on the first segment.
pub(crate) fn is_preface(first_bytes: &[u8]) -> bool {
    let n = first_bytes.len().min(PREFACE.len());
    n >= 16 && first_bytes[..n] == PREFACE[..n]
}

/// A stream identifier (31 bits; 0 is the connection itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct StreamId(pub(crate) u32);

impl StreamId {
    /// Stream 0, on which frames about the whole connection travel.
    pub(crate) const CONNECTION: StreamId = StreamId(0);

    /// Streams the client opens are odd-numbered, those the server promises even (RFC 9113
    /// section 5.1.1).
    pub(crate) fn is_client_initiated(self) -> bool {
        self.0 % 2 == 1
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A frame type (RFC 9113 section 6). Types this decoder does not know are kept as sent, and
/// their frames skipped (section 5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FrameType {
    Data,
    Headers,
    Priority,
    RstStream,
    Settings,
    PushPromise,
    Ping,
    GoAway,
    WindowUpdate,
    Continuation,
    Unknown(u8),
}

impl FrameType {
    pub(crate) fn from_u8(v: u8) -> FrameType {
        match v {
            0x0 => FrameType::Data,
            0x1 => FrameType::Headers,
            0x2 => FrameType::Priority,
            0x3 => FrameType::RstStream,
            0x4 => FrameType::Settings,
            0x5 => FrameType::PushPromise,
            0x6 => FrameType::Ping,
            0x7 => FrameType::GoAway,
            0x8 => FrameType::WindowUpdate,
            0x9 => FrameType::Continuation,
            other => FrameType::Unknown(other),
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            FrameType::Data => 0x0,
            FrameType::Headers => 0x1,
            FrameType::Priority => 0x2,
            FrameType::RstStream => 0x3,
            FrameType::Settings => 0x4,
            FrameType::PushPromise => 0x5,
            FrameType::Ping => 0x6,
            FrameType::GoAway => 0x7,
            FrameType::WindowUpdate => 0x8,
            FrameType::Continuation => 0x9,
            FrameType::Unknown(v) => v,
        }
    }

    /// The name the RFC gives it; `None` for an unknown type.
    pub(crate) fn name(self) -> Option<&'static str> {
        Some(match self {
            FrameType::Data => "DATA",
            FrameType::Headers => "HEADERS",
            FrameType::Priority => "PRIORITY",
            FrameType::RstStream => "RST_STREAM",
            FrameType::Settings => "SETTINGS",
            FrameType::PushPromise => "PUSH_PROMISE",
            FrameType::Ping => "PING",
            FrameType::GoAway => "GOAWAY",
            FrameType::WindowUpdate => "WINDOW_UPDATE",
            FrameType::Continuation => "CONTINUATION",
            FrameType::Unknown(_) => return None,
        })
    }
}

impl fmt::Display for FrameType {
    /// `HEADERS`, or `type 0xa` for a type the RFC does not define.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "type {:#04x}", self.to_u8()),
        }
    }
}

/// Frame flags (RFC 9113 section 6); which apply depends on the frame type.
pub(crate) mod flag {
    /// DATA, HEADERS: the last frame the sender sends on the stream.
    pub(crate) const END_STREAM: u8 = 0x1;
    /// SETTINGS, PING: an acknowledgement.
    pub(crate) const ACK: u8 = 0x1;
    /// HEADERS, PUSH_PROMISE, CONTINUATION: the header block ends in this frame.
    pub(crate) const END_HEADERS: u8 = 0x4;
    /// DATA, HEADERS, PUSH_PROMISE: a pad length byte leads, padding trails.
    pub(crate) const PADDED: u8 = 0x8;
    /// HEADERS: stream dependency and weight lead the header block fragment.
    pub(crate) const PRIORITY: u8 = 0x20;
}

/// The 9-byte frame header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameHeader {
    /// Payload length as the header states it (24 bits); the capture may hold fewer.
    pub(crate) len: u32,
    pub(crate) kind: FrameType,
    pub(crate) flags: u8,
    /// The reserved top bit is dropped, as the RFC asks of receivers.
    pub(crate) stream: StreamId,
}

impl FrameHeader {
    /// The header at the start of `buf`; `None` while fewer than 9 bytes are there. Any 9
    /// bytes are a header: what they say is judged by the connection.
    pub(crate) fn parse(buf: &[u8]) -> Option<FrameHeader> {
        let h: &[u8; HEADER_LEN] = buf.get(..HEADER_LEN)?.try_into().ok()?;
        Some(FrameHeader {
            len: u32::from_be_bytes([0, h[0], h[1], h[2]]),
            kind: FrameType::from_u8(h[3]),
            flags: h[4],
            stream: StreamId(u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff),
        })
    }

    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// The header as it goes on the wire (a length above 24 bits is cut to them).
    #[cfg(test)]
    pub(crate) fn encode(&self) -> [u8; HEADER_LEN] {
        let len = self.len.to_be_bytes();
        let stream = self.stream.0.to_be_bytes();
        [
            len[1],
            len[2],
            len[3],
            self.kind.to_u8(),
            self.flags,
            stream[0],
            stream[1],
            stream[2],
            stream[3],
        ]
    }
}

/// An error code of RST_STREAM or GOAWAY (RFC 9113 section 7). Unknown codes are kept as sent
/// (the RFC says they must not trigger special behaviour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ErrorCode(pub(crate) u32);

impl ErrorCode {
    #[cfg(test)]
    pub(crate) const NO_ERROR: ErrorCode = ErrorCode(0x0);
    #[cfg(test)]
    pub(crate) const CANCEL: ErrorCode = ErrorCode(0x8);

    /// The name RFC 9113 gives it; `None` for a code it does not define.
    pub(crate) fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "NO_ERROR",
            0x1 => "PROTOCOL_ERROR",
            0x2 => "INTERNAL_ERROR",
            0x3 => "FLOW_CONTROL_ERROR",
            0x4 => "SETTINGS_TIMEOUT",
            0x5 => "STREAM_CLOSED",
            0x6 => "FRAME_SIZE_ERROR",
            0x7 => "REFUSED_STREAM",
            0x8 => "CANCEL",
            0x9 => "COMPRESSION_ERROR",
            0xa => "CONNECT_ERROR",
            0xb => "ENHANCE_YOUR_CALM",
            0xc => "INADEQUATE_SECURITY",
            0xd => "HTTP_1_1_REQUIRED",
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    /// `CANCEL`, or `error code 0x1234` for a code the RFC does not define.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "error code {:#x}", self.0),
        }
    }
}

/// A SETTINGS parameter (RFC 9113 section 6.5.2, RFC 8441 section 3, RFC 9218 section 2.1).
/// Unknown identifiers are kept as sent (and, as the RFC says, otherwise ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Setting {
    HeaderTableSize,
    EnablePush,
    MaxConcurrentStreams,
    InitialWindowSize,
    MaxFrameSize,
    MaxHeaderListSize,
    EnableConnectProtocol,
    NoRfc7540Priorities,
    Unknown(u16),
}

impl Setting {
    pub(crate) fn from_u16(v: u16) -> Setting {
        match v {
            0x1 => Setting::HeaderTableSize,
            0x2 => Setting::EnablePush,
            0x3 => Setting::MaxConcurrentStreams,
            0x4 => Setting::InitialWindowSize,
            0x5 => Setting::MaxFrameSize,
            0x6 => Setting::MaxHeaderListSize,
            0x8 => Setting::EnableConnectProtocol,
            0x9 => Setting::NoRfc7540Priorities,
            other => Setting::Unknown(other),
        }
    }

    pub(crate) fn to_u16(self) -> u16 {
        match self {
            Setting::HeaderTableSize => 0x1,
            Setting::EnablePush => 0x2,
            Setting::MaxConcurrentStreams => 0x3,
            Setting::InitialWindowSize => 0x4,
            Setting::MaxFrameSize => 0x5,
            Setting::MaxHeaderListSize => 0x6,
            Setting::EnableConnectProtocol => 0x8,
            Setting::NoRfc7540Priorities => 0x9,
            Setting::Unknown(v) => v,
        }
    }

    /// The name its RFC gives it; `None` for an unknown identifier.
    pub(crate) fn name(self) -> Option<&'static str> {
        Some(match self {
            Setting::HeaderTableSize => "SETTINGS_HEADER_TABLE_SIZE",
            Setting::EnablePush => "SETTINGS_ENABLE_PUSH",
            Setting::MaxConcurrentStreams => "SETTINGS_MAX_CONCURRENT_STREAMS",
            Setting::InitialWindowSize => "SETTINGS_INITIAL_WINDOW_SIZE",
            Setting::MaxFrameSize => "SETTINGS_MAX_FRAME_SIZE",
            Setting::MaxHeaderListSize => "SETTINGS_MAX_HEADER_LIST_SIZE",
            Setting::EnableConnectProtocol => "SETTINGS_ENABLE_CONNECT_PROTOCOL",
            Setting::NoRfc7540Priorities => "SETTINGS_NO_RFC7540_PRIORITIES",
            Setting::Unknown(_) => return None,
        })
    }
}

impl fmt::Display for Setting {
    /// `SETTINGS_MAX_FRAME_SIZE`, or `setting 0x1234` for one no RFC here defines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "setting {:#06x}", self.to_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preface_is_recognised_from_its_first_16_bytes() {
        assert!(is_preface(PREFACE));
        assert!(is_preface(b"PRI * HTTP/2.0\r\n"));
        assert!(is_preface(
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04"
        ));
        assert!(!is_preface(b"PRI * HTTP/2.0\r"), "too short to tell");
        assert!(!is_preface(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(!is_preface(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\r"));
        assert!(!is_preface(b""));
    }

    #[test]
    fn headers_parse_and_encode_back() {
        // A HEADERS frame of 0x123456 bytes, END_STREAM | END_HEADERS, on stream 0x7fffffff
        // with the reserved bit set: the bit is dropped.
        let wire = [0x12, 0x34, 0x56, 0x01, 0x05, 0xff, 0xff, 0xff, 0xff];
        let h = FrameHeader::parse(&wire).unwrap();
        assert_eq!(h.len, 0x123456);
        assert_eq!(h.kind, FrameType::Headers);
        assert!(h.has(flag::END_STREAM) && h.has(flag::END_HEADERS) && !h.has(flag::PADDED));
        assert_eq!(h.stream, StreamId(0x7fff_ffff));
        assert_eq!(h.encode()[..5], wire[..5]);
        assert_eq!(h.encode()[5..], [0x7f, 0xff, 0xff, 0xff]);
        assert_eq!(FrameHeader::parse(&wire[..8]), None);
    }

    #[test]
    fn types_codes_and_settings_keep_their_wire_values_and_rfc_names() {
        for v in 0..=255u8 {
            assert_eq!(FrameType::from_u8(v).to_u8(), v);
        }
        assert_eq!(FrameType::from_u8(0x9).to_string(), "CONTINUATION");
        assert_eq!(FrameType::from_u8(0xa).to_string(), "type 0x0a");
        assert_eq!(ErrorCode(0x8).to_string(), "CANCEL");
        assert_eq!(ErrorCode(0xd).to_string(), "HTTP_1_1_REQUIRED");
        assert_eq!(ErrorCode(0x1234).to_string(), "error code 0x1234");
        for v in [0u16, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xffff] {
            assert_eq!(Setting::from_u16(v).to_u16(), v);
        }
        assert_eq!(
            Setting::from_u16(8).to_string(),
            "SETTINGS_ENABLE_CONNECT_PROTOCOL"
        );
        assert_eq!(Setting::from_u16(7).to_string(), "setting 0x0007");
    }
}
