//! What the decoder tells its outputs: one [`Event`] per connection, frame, message, gap or end.
//!
//! Events own their data so that a sink (text, JSON, the terminal UI) can keep or send them on;
//! they carry the capture packet numbers they came from so every view can point back into the file.

use std::net::SocketAddr;

/// What a TLS connection's hellos said, and whether it was decrypted.
pub use crate::tls::Summary as Tls;
pub use crate::tls::{Alert, Undecryptable};
use crate::vocab::{ConnId, PacketNo, Side, Timestamp};
/// Frames and messages are what the WebSocket stage makes; they are events as they are.
pub use crate::ws::{Frame, Message};

/// How a WebSocket connection was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detected {
    /// An HTTP upgrade answered with 101 was seen.
    Handshake,
    /// The user said so with `--decode-as PORT`: no handshake in the capture.
    DecodeAs,
}

impl Detected {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Detected::Handshake => "handshake",
            Detected::DecodeAs => "decode-as",
        }
    }
}

/// The opening handshake as seen on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Handshake {
    pub path: String,
    pub host: Option<String>,
    pub key: Option<String>,
    pub accept: Option<String>,
    /// `Sec-WebSocket-Accept` equals base64(SHA-1(key + GUID)).
    pub accept_valid: bool,
    /// What the server chose (the response header), not what the client offered.
    pub subprotocol: Option<String>,
    pub extensions: Option<String>,
    /// The request and response heads, bytes as on the wire up to and including the blank line.
    pub(crate) request_head: Vec<u8>,
    pub(crate) response_head: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    pub conn: ConnId,
    pub(crate) ts: Timestamp,
    /// The packet that completed the handshake (the 101, or the 200 of an HTTP/2 CONNECT).
    pub packet: PacketNo,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub(crate) detected: Detected,
    pub handshake: Option<Handshake>,
    /// The TLS the connection was carried in (wss), decrypted with the key log.
    pub tls: Option<Tls>,
    /// WebSocket over HTTP/2 (RFC 8441): the stream of the HTTP/2 connection that carries it.
    pub http2_stream: Option<u32>,
}

/// An upgrade request answered with anything but 101.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub(crate) ts: Timestamp,
    pub(crate) packet: PacketNo,
    pub(crate) client: SocketAddr,
    pub(crate) server: SocketAddr,
    pub path: String,
    pub status: u16,
    pub reason: String,
    /// The request and response heads as on the wire, up to and including the blank line.
    pub(crate) request_head: Vec<u8>,
    pub(crate) response_head: Vec<u8>,
}

/// A plain HTTP request (no upgrade asked for) and its answer, on a connection that could
/// have carried a WebSocket: shown so that nothing on the port is silently left out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Http {
    pub(crate) ts: Timestamp,
    /// The packet that completed the response head.
    pub packet: PacketNo,
    pub client: SocketAddr,
    pub(crate) server: SocketAddr,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub reason: String,
}

/// Bytes of one direction of a connection that are not in the capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub(crate) conn: ConnId,
    pub(crate) ts: Timestamp,
    pub(crate) packet: PacketNo,
    pub from: Side,
    pub bytes: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EndHow {
    Fin,
    Rst,
    /// The capture ended (or stopped) with the connection still open.
    Eof,
    /// No longer followed, to stay within a bound (too many connections open at once, or the
    /// bytes held across connections); the capture goes on.
    Evicted,
}

impl EndHow {
    pub(crate) fn name(self) -> &'static str {
        match self {
            EndHow::Fin => "fin",
            EndHow::Rst => "rst",
            EndHow::Eof => "eof",
            EndHow::Evicted => "evicted",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    pub(crate) conn: ConnId,
    pub(crate) ts: Timestamp,
    pub(crate) packet: PacketNo,
    pub how: EndHow,
}

/// The layer below WebSocket where something went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layer {
    Link,
    Ip,
    Tcp,
    Tls,
    Http,
    Http2,
}

impl Layer {
    pub fn name(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Ip => "ip",
            Layer::Tcp => "tcp",
            Layer::Tls => "tls",
            Layer::Http => "http",
            Layer::Http2 => "http2",
        }
    }
}

/// Something below WebSocket that kept bytes from being decoded: a packet whose headers cannot
/// be read, an HTTP conversation that could not be followed to its upgrade. Told so that a
/// user sees why a connection is missing or incomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anomaly {
    pub(crate) ts: Timestamp,
    pub packet: PacketNo,
    pub layer: Layer,
    /// Where it was: for `link`, `ip` and `tcp`, the offset in the captured packet of the
    /// header that is broken; for `http`, the offset in the sender's byte stream.
    pub offset: u64,
    /// Sender and receiver of the bytes concerned, when a connection is concerned.
    pub(crate) endpoints: Option<(SocketAddr, SocketAddr)>,
    /// What went wrong, and what to do about it where something can be done.
    pub reason: String,
}

/// A TLS connection that cannot be read, or an alert on one: what the user is told about TLS
/// beyond the `tls` of a WebSocket connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsNote {
    pub(crate) ts: Timestamp,
    pub packet: PacketNo,
    /// The WebSocket connection the TLS connection carries, once it was announced.
    pub conn: Option<ConnId>,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub tls: Tls,
    pub what: TlsWhat,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsWhat {
    /// The connection's application data cannot be read, and why.
    Undecryptable(Undecryptable),
    /// An alert the peer on `from` sent.
    Alert { from: Side, alert: Alert },
}

/// A TLS record that carried a WebSocket connection's bytes, as it crossed the wire and as it
/// was decrypted with the key log: where a wss frame really travelled. For the terminal UI and
/// teach mode, which show the records a frame came in; `--print` and `--json` write no line for
/// records. A connection's records are told from the one that completed its handshake on, in
/// order per direction. None are told for WebSocket over HTTP/2: what its records decrypt to is
/// HTTP/2 frames around the WebSocket bytes, not the stream [`Frame::offset`] counts in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRecord {
    pub conn: ConnId,
    pub from: Side,
    /// Its number among the records `from` sent, from 0: every record counts, the handshake's
    /// and ChangeCipherSpec too (the ClientHello is the client's record 0).
    pub number: u64,
    /// Its 5-byte header as on the wire: content type, legacy version, length of the body.
    pub header: [u8; 5],
    /// The first bytes of its body as on the wire, the ciphertext: see [`TlsRecord::head`].
    pub(crate) head: [u8; TlsRecord::HEAD],
    /// The first and last capture packet holding its bytes. For a record read only once its
    /// keys were logged (a live capture whose key log was written late), both are the packet
    /// it was read at.
    pub packets: (PacketNo, PacketNo),
    /// Its plaintext's place in `from`'s decrypted stream: the first byte, and the one after
    /// the last, counted as [`Frame::offset`] is.
    pub plain: (u64, u64),
}

impl TlsRecord {
    /// Bytes of the ciphertext kept, to show what the wire carried.
    pub const HEAD: usize = 16;

    /// The length its header says: the body's, ciphertext and tag.
    pub fn len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.header[3], self.header[4]]))
    }

    /// Whether its body is empty (no record that carried bytes is).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first bytes of its body as on the wire (up to [`TlsRecord::HEAD`]).
    pub fn head(&self) -> &[u8] {
        &self.head[..self.len().min(Self::HEAD)]
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Anomaly(Anomaly),
    Tls(TlsNote),
    /// Told as the record is decrypted, before or after the frames it carried bytes of: records
    /// and frames are matched by their offsets, not by their order.
    TlsRecord(TlsRecord),
    Connection(Connection),
    Rejected(Rejected),
    Http(Http),
    Frame(Frame),
    Message(Message),
    Gap(Gap),
    End(End),
}
