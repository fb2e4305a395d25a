//! One protocol layer of one TCP connection, and what every layer is handed.
//!
//! A connection's bytes go, in order and per direction, to the layer it is in: HTTP until an
//! upgrade, then WebSocket (one day TLS below HTTP, and an application protocol above
//! WebSocket). A layer that learns the connection carries something else hands it on to the
//! next layer through [`Context::hand_over`]; one that finds nothing to decode says
//! [`Context::ignore`], and TCP stops keeping its bytes.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use crate::model::{self, Event};
use crate::tcp::{Close, Dir};
use crate::tls;
use crate::vocab::{ConnId, PacketNo, Timestamp};
use crate::ws;

/// A protocol layer of one connection: bytes of each direction in order, gaps, the end.
pub(crate) trait Layer {
    /// The next bytes that `dir` sent.
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>);
    /// `len` bytes that `dir` sent are not in the capture.
    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>);
    /// The connection ended.
    fn finish(&mut self, how: Close, cx: &mut Context<'_>);
    /// The key log gained secrets: a layer waiting for them may now read what it holds.
    fn keys_changed(&mut self, _cx: &mut Context<'_>) {}
    /// Bytes this layer holds while it waits for more (a head, a frame, a message), counted
    /// against [`crate::pipeline::Options::buffer_limit`].
    fn buffered(&self) -> usize;
}

/// What a layer can reach while it handles bytes of one connection.
pub(crate) struct Context<'a> {
    /// The packet the bytes came in.
    pub(crate) ts: Timestamp,
    pub(crate) packet: PacketNo,
    /// The connection's endpoints, indexed by direction: `ends[Dir::AtoB]` sends `AtoB`.
    pub(crate) ends: [SocketAddr; 2],
    pub(crate) out: &'a mut Vec<Event>,
    pub(crate) shared: &'a mut Shared,
    pub(super) next: Next,
}

/// What the connection does after a layer's call.
pub(super) enum Next {
    Stay,
    /// From now on, this layer gets the connection's bytes.
    HandOver(Box<dyn Layer>),
    /// Nothing here to decode: TCP stops keeping the connection's bytes.
    Ignore,
}

impl Context<'_> {
    /// From the next bytes on, `layer` gets this connection's bytes instead of the caller.
    pub(crate) fn hand_over(&mut self, layer: Box<dyn Layer>) {
        self.next = Next::HandOver(layer);
    }

    /// Nothing more to decode on this connection.
    pub(crate) fn ignore(&mut self) {
        self.next = Next::Ignore;
    }

    pub(crate) fn stamp(&self) -> ws::Stamp {
        ws::Stamp {
            ts: self.ts,
            packet: self.packet,
        }
    }

    /// An anomaly in the bytes that `dir` sent, at `offset` in its stream.
    pub(crate) fn anomaly(&mut self, layer: model::Layer, dir: Dir, offset: u64, reason: String) {
        self.out.push(Event::Anomaly(model::Anomaly {
            ts: self.ts,
            packet: self.packet,
            layer,
            offset,
            endpoints: Some((self.ends[dir], self.ends[dir.reverse()])),
            reason,
        }));
    }
}

/// What all connections share: their numbering, buffers, limits and counters.
#[derive(Default)]
pub(crate) struct Shared {
    /// WebSocket connections announced so far: the number of the next one.
    pub(crate) next_conn: u32,
    pub(crate) ws_limits: ws::Limits,
    /// Buffers of events handed back, shared by all connections.
    pub(crate) buffers: ws::Buffers,
    /// A connection's frames and messages as they are decoded, before they become events.
    pub(crate) ws_out: Vec<ws::Output>,
    pub(crate) stats: Stats,
    /// Secrets of TLS connections, from key logs and the capture itself.
    pub(crate) keylog: tls::KeyLog,
    /// The source is a live capture: a key log being written may still gain secrets.
    pub(crate) live: bool,
}

impl Shared {
    /// The next connection number.
    pub(crate) fn conn(&mut self) -> ConnId {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        id
    }
}

/// What did not become an event, so that nothing is dropped silently.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub(crate) packets: u64,
    pub(crate) not_tcp: u64,
    pub(crate) malformed: u64,
    pub(crate) ip_fragments: u64,
    /// TCP connections that carried data which is neither HTTP nor a known WebSocket.
    pub other_flows: u64,
    /// Server-side ports of those connections (the lower port), for the `--decode-as` hint.
    pub other_ports: BTreeSet<u16>,
    /// HTTP conversations abandoned because bytes were missing before the upgrade finished.
    pub http_gaps: u64,
    /// HTTP conversations abandoned for another reason (a malformed head, an answer to no
    /// request …).
    pub(crate) http_broken: u64,
    /// TLS connections whose application data could not be read (see their `tls` events).
    pub tls_undecryptable: u64,
    /// TLS connections the client left during the handshake: there is nothing to decrypt.
    pub tls_abandoned: u64,
    /// Connection directions that ended inside a frame header (no frame to show for it).
    pub cut_headers: u64,
    /// Connections no longer followed because more than the live-connection limit were open.
    pub(crate) evicted_for_flows: u64,
    /// Connections no longer followed because the bytes held across connections passed
    /// [`crate::pipeline::Options::buffer_limit`].
    pub evicted_for_memory: u64,
}
