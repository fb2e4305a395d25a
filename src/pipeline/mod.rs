//! The whole decoding path on one screen:
//!
//! ```text
//! Source ─packet─▶ link::decode ─segment─▶ tcp::Tracker ─bytes, gaps─▶ per connection:
//!     start ─ClientHello─▶ tls::Session ─plaintext─▶ (the layer above, as below)
//!           ─preface────▶ h2::Connection ─CONNECT stream's DATA─▶ ws::Connection
//!           ─else───────▶ http::Conversation ─101─▶ ws::Connection ─▶ model::Event ─▶ Consumer
//! ```
//!
//! `drive` is the one packet loop. Each connection's bytes go to the `Layer` it is in
//! (`layer`): `start` looks at the first bytes and hands the connection to TLS, HTTP/2 or
//! HTTP; TLS runs the layer above it on what it decrypts (HTTP, or HTTP/2 after ALPN `h2`);
//! HTTP hands over to WebSocket at an upgrade. A new protocol is one more layer. This
//! module only routes and stamps events with the packet they came from; packets whose headers
//! cannot be read become [`model::Anomaly`] events, so nothing vanishes without a word.

mod h2;
mod http;
mod layer;
mod start;
mod tls;
mod websocket;

use std::cmp::Reverse;
use std::sync::atomic::{AtomicBool, Ordering};

// Looked up for every packet: a fast hasher, still seeded per run against crafted captures.
use foldhash::{HashMap, HashMapExt};
use std::net::SocketAddr;

use crate::capture::{self, Poll, Source};
use crate::link::{self, LinkType, Skip};
use crate::model::{self, Event};
use crate::tcp::{self, Close, FlowId};
use crate::vocab::{PacketNo, Timestamp};
use crate::ws;
use layer::Next;
pub use layer::Stats;
use layer::{Context, Layer, Shared};

#[derive(Clone, Debug)]
pub struct Options {
    /// Ports whose traffic is WebSocket from the first byte (`--decode-as`).
    pub decode_as: Vec<u16>,
    pub ws_limits: Option<ws::Limits>,
    /// Bytes held across all connections while they wait for more (out-of-order TCP data,
    /// HTTP heads, frames and messages not complete yet). Each connection is bounded on its
    /// own, but thousands of them at their bounds are not: past this, the connection holding
    /// the most is no longer followed (`--buffer-limit`).
    pub buffer_limit: usize,
    /// Secrets to decrypt TLS connections with (`--keylog`, `SSLKEYLOGFILE`, the capture's
    /// own Decryption Secrets Blocks).
    pub keylog: crate::tls::KeyLog,
}

/// 1 GiB: hundreds of connections each in the middle of a large frame.
const DEFAULT_BUFFER_LIMIT: usize = 1 << 30;

impl Default for Options {
    fn default() -> Self {
        Options {
            decode_as: Vec::new(),
            ws_limits: None,
            buffer_limit: DEFAULT_BUFFER_LIMIT,
            keylog: crate::tls::KeyLog::default(),
        }
    }
}

impl Stats {
    /// One sentence for each kind of traffic that produced no event, so that nothing is
    /// dropped silently.
    pub(crate) fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.other_flows > 0 {
            let ports: Vec<String> = self.other_ports.iter().map(u16::to_string).collect();
            notes.push(format!(
                "{} TCP connection(s) (port {}) carried data that is not an HTTP upgrade; if one is a \
                 WebSocket whose handshake is not in the capture, add -d PORT",
                self.other_flows,
                ports.join(", ")
            ));
        }
        if self.http_gaps > 0 {
            notes.push(format!(
                "{} HTTP connection(s) lost bytes before any upgrade finished and were not decoded",
                self.http_gaps
            ));
        }
        if self.http_broken > 0 {
            notes.push(format!(
                "{} HTTP connection(s) stopped being HTTP before any upgrade (see the anomalies)",
                self.http_broken
            ));
        }
        if self.evicted_for_flows > 0 {
            notes.push(format!(
                "{} connection(s) were no longer followed (evicted, least recently active first): \
                 more than {} TCP connections were open at once",
                self.evicted_for_flows,
                tcp::Limits::default().max_flows
            ));
        }
        if self.evicted_for_memory > 0 {
            notes.push(format!(
                "{} connection(s) were no longer followed (evicted, largest first): the bytes held \
                 across connections for incomplete frames and messages passed the buffer limit; \
                 raise it with --buffer-limit MIB",
                self.evicted_for_memory
            ));
        }
        if self.tls_undecryptable > 0 {
            notes.push(format!(
                "{} TLS connection(s) could not be decrypted (see their tls events); give the \
                 key log the client wrote with --keylog FILE, or set SSLKEYLOGFILE",
                self.tls_undecryptable
            ));
        }
        if self.tls_abandoned > 0 {
            notes.push(format!(
                "{} TLS connection(s) were left by their client during the handshake (no keys \
                 exist for them; browsers open spare connections)",
                self.tls_abandoned
            ));
        }
        if self.cut_headers > 0 {
            notes.push(format!(
                "{} connection(s) ended inside a frame header: those last bytes make no frame",
                self.cut_headers
            ));
        }
        if self.malformed > 0 {
            notes.push(format!(
                "{} packet(s) had malformed or cut-short IP/TCP headers",
                self.malformed
            ));
        }
        if self.ip_fragments > 0 {
            notes.push(format!(
                "{} IP fragment(s) skipped (fragmented IP is not reassembled)",
                self.ip_fragments
            ));
        }
        notes
    }
}

struct Flow {
    /// Endpoints by direction index: `ends[0]` sends `Dir::AtoB`.
    ends: [SocketAddr; 2],
    /// The layer the connection's bytes go to; `None` once nothing on it is decoded.
    layer: Option<Box<dyn Layer>>,
    /// What the layer held after its last call.
    held: usize,
}

/// Per-flow routing, kept apart from the tracker so that the tracker's callback can borrow it.
struct Router {
    flows: HashMap<FlowId, Flow>,
    decode_as: Vec<u16>,
    shared: Shared,
    to_ignore: Vec<FlowId>,
    /// Bytes the layers of all flows hold.
    held: usize,
    /// At most this many bytes held across flows, by the layers and by TCP together.
    buffer_limit: usize,
    /// Flows closed now are evicted to stay within `buffer_limit`.
    shedding: bool,
}

pub struct Pipeline {
    link: LinkType,
    tracker: tcp::Tracker,
    router: Router,
    /// Time and number of the last packet: connections still open at the end end there.
    last: (Timestamp, PacketNo),
}

impl Pipeline {
    pub fn new(link: LinkType, options: Options) -> Pipeline {
        Pipeline {
            link,
            tracker: tcp::Tracker::new(tcp::Limits::default()),
            router: Router {
                flows: HashMap::new(),
                decode_as: options.decode_as,
                shared: Shared {
                    ws_limits: options.ws_limits.unwrap_or_default(),
                    keylog: options.keylog,
                    ..Shared::default()
                },
                to_ignore: Vec::new(),
                held: 0,
                buffer_limit: options.buffer_limit,
                shedding: false,
            },
            last: (Timestamp::default(), PacketNo::default()),
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.router.shared.stats
    }

    /// Decodes one captured packet (numbered from 1, as Wireshark does); events go to `out`.
    pub fn packet(&mut self, number: PacketNo, ts: Timestamp, data: &[u8], out: &mut Vec<Event>) {
        self.last = (ts, number);
        let router = &mut self.router;
        let stats = &mut router.shared.stats;
        stats.packets += 1;
        let segment = match link::decode(self.link, data) {
            Ok(segment) => segment,
            Err(Skip::NotTcp) => {
                stats.not_tcp += 1;
                return;
            }
            Err(Skip::IpFragment) => {
                stats.ip_fragments += 1;
                return;
            }
            Err(Skip::Malformed(m)) => {
                stats.malformed += 1;
                out.push(Event::Anomaly(model::Anomaly {
                    ts,
                    packet: number,
                    layer: match m.header {
                        link::Header::Link => model::Layer::Link,
                        link::Header::Ip => model::Layer::Ip,
                        link::Header::Tcp => model::Layer::Tcp,
                    },
                    offset: m.offset as u64,
                    endpoints: None,
                    reason: m.reason,
                }));
                return;
            }
        };
        let stamp = (ts, number);
        self.tracker
            .push(&segment, &mut |ev| router.handle(ev, stamp, out));
        for flow in router.to_ignore.drain(..) {
            self.tracker.ignore(flow);
        }
        if self.tracker.buffered_bytes() + router.held > router.buffer_limit {
            self.shed(stamp, out);
        }
    }

    /// Bytes held across connections passed the limit: the connections holding the most are
    /// no longer followed until the rest fits. The one holding the most, rather than the
    /// oldest, goes: a single large upload must not push out every quiet connection first.
    /// Rare, so the walk over the flows to find it costs nothing on the packet path.
    fn shed(&mut self, stamp: (Timestamp, PacketNo), out: &mut Vec<Event>) {
        let router = &mut self.router;
        while self.tracker.buffered_bytes() + router.held > router.buffer_limit {
            let tracker = &self.tracker;
            let Some(victim) = router
                .flows
                .iter()
                // Among equals the oldest goes, so that every run picks the same one.
                .max_by_key(|(id, f)| (f.held + tracker.flow_buffered(**id), Reverse(**id)))
                .map(|(id, _)| *id)
            else {
                break;
            };
            router.shedding = true;
            self.tracker
                .evict(victim, &mut |ev| router.handle(ev, stamp, out));
            router.shedding = false;
            if router.flows.contains_key(&victim) {
                // Not a live flow of the tracker's: nothing more can be freed.
                break;
            }
        }
    }

    /// Takes back the buffers of an event that was written and is no longer needed, to decode
    /// the next frames into. A consumer that keeps its events simply never calls this; one that
    /// writes them and hands each back decodes a stream without a heap allocation per packet.
    pub fn recycle(&mut self, ev: Event) {
        let buffers = &mut self.router.shared.buffers;
        match ev {
            Event::Frame(f) => buffers.put_bytes(f.payload),
            Event::Message(m) => {
                buffers.put_bytes(m.data);
                buffers.put_list(m.frames);
            }
            Event::Connection(_)
            | Event::Rejected(_)
            | Event::Http(_)
            | Event::Gap(_)
            | Event::End(_)
            | Event::Anomaly(_)
            | Event::Tls(_)
            | Event::TlsRecord(_) => {}
        }
    }

    /// Reads what the key log files gained (a browser writes them as it connects); TLS
    /// connections that were waiting for those keys read what they held.
    pub(crate) fn refresh_keys(&mut self, out: &mut Vec<Event>) {
        let router = &mut self.router;
        if !router.shared.keylog.follows_files() {
            return;
        }
        // A key log that cannot be read now (being rewritten) is read again next time.
        if let Ok(true) = router.shared.keylog.refresh() {
            router.keys_changed(self.last, out);
            for flow in router.to_ignore.drain(..) {
                self.tracker.ignore(flow);
            }
        }
    }

    fn ended(self, packets: u64, first: Option<Timestamp>, error: Option<capture::Error>) -> Ended {
        Ended {
            packets,
            first,
            error,
            stats: self.router.shared.stats,
        }
    }

    /// The capture ended: connections still open end with `eof`.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        let router = &mut self.router;
        let last = self.last;
        self.tracker.finish(&mut |ev| router.handle(ev, last, out));
    }
}

impl Router {
    fn handle(
        &mut self,
        ev: tcp::Event<'_>,
        (ts, packet): (Timestamp, PacketNo),
        out: &mut Vec<Event>,
    ) {
        let flow = match ev {
            tcp::Event::Opened { flow, a, b, .. } => {
                let decode_as = self
                    .decode_as
                    .iter()
                    .any(|p| *p == a.port() || *p == b.port());
                let layer: Box<dyn Layer> = Box::new(start::Start::new(decode_as));
                self.flows.insert(
                    flow,
                    Flow {
                        ends: [a, b],
                        layer: Some(layer),
                        held: 0,
                    },
                );
                return;
            }
            tcp::Event::Closed {
                flow,
                how: Close::Evicted,
            } => {
                let stats = &mut self.shared.stats;
                if self.shedding {
                    stats.evicted_for_memory += 1;
                } else {
                    stats.evicted_for_flows += 1;
                }
                flow
            }
            tcp::Event::Data { flow, .. }
            | tcp::Event::Gap { flow, .. }
            | tcp::Event::Closed { flow, .. } => flow,
        };
        let closed = matches!(ev, tcp::Event::Closed { .. });
        // One lookup per event: the flow stays borrowed while its layer runs, beside the
        // shared state the layer is handed.
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        let Some(layer) = f.layer.as_mut() else {
            if closed {
                self.flows.remove(&flow);
            }
            return;
        };
        let mut cx = Context {
            ts,
            packet,
            ends: f.ends,
            out,
            shared: &mut self.shared,
            next: Next::Stay,
        };
        match ev {
            tcp::Event::Data { dir, bytes, .. } => layer.feed(dir, bytes, &mut cx),
            tcp::Event::Gap { dir, len, .. } => layer.gap(dir, len, &mut cx),
            tcp::Event::Closed { how, .. } => layer.finish(how, &mut cx),
            tcp::Event::Opened { .. } => {}
        }
        let next = cx.next;
        self.held -= f.held;
        if closed {
            self.flows.remove(&flow);
            return;
        }
        match next {
            Next::Stay => {}
            Next::HandOver(next) => f.layer = Some(next),
            Next::Ignore => {
                self.to_ignore.push(flow);
                f.layer = None;
            }
        }
        f.held = f.layer.as_ref().map_or(0, |l| l.buffered());
        self.held += f.held;
    }
}

impl Router {
    /// Every connection's layer is told the key log gained secrets.
    fn keys_changed(&mut self, (ts, packet): (Timestamp, PacketNo), out: &mut Vec<Event>) {
        for (id, f) in self.flows.iter_mut() {
            let Some(layer) = f.layer.as_mut() else {
                continue;
            };
            let mut cx = Context {
                ts,
                packet,
                ends: f.ends,
                out,
                shared: &mut self.shared,
                next: Next::Stay,
            };
            layer.keys_changed(&mut cx);
            match cx.next {
                Next::Stay => {}
                Next::HandOver(next) => f.layer = Some(next),
                Next::Ignore => {
                    self.to_ignore.push(*id);
                    f.layer = None;
                }
            }
            self.held -= f.held;
            f.held = f.layer.as_ref().map_or(0, |l| l.buffered());
            self.held += f.held;
        }
    }
}

/// What the packet loop hands its events to: an output, the terminal UI's index, a test.
pub(crate) trait Consumer {
    type Error;
    /// The first packet's time: relative times count from it.
    fn start(&mut self, _first: Timestamp) -> Result<(), Self::Error> {
        Ok(())
    }
    /// The events of one packet, or of the end of the capture. The consumer drains `events`,
    /// handing each event it does not keep back to [`Pipeline::recycle`] so that the next
    /// frames reuse its buffers. Returns false to stop reading (`-c N`, a closed window).
    fn take(
        &mut self,
        events: &mut Vec<Event>,
        pipeline: &mut Pipeline,
    ) -> Result<bool, Self::Error>;
    /// After each packet, and each time a live source has been idle: a chance to send what was
    /// gathered or the source's counters. Returns false to stop reading.
    fn tick(&mut self, _source: &mut dyn Source, _idle: bool) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// How the packet loop ended.
pub struct Ended {
    /// Packets read.
    pub(crate) packets: u64,
    /// The time of the first packet.
    pub(crate) first: Option<Timestamp>,
    /// The error that ended the source (a file cut off inside a packet, a failed capture),
    /// after everything before it was decoded.
    pub error: Option<capture::Error>,
    /// What produced no event.
    pub stats: Stats,
}

/// The one packet loop: every packet of `source` through a new [`Pipeline`] into `consumer`,
/// until the source ends or fails, the consumer says stop, or `stop` is set (Ctrl-C). At the
/// end of the source, connections still open end with `eof`.
pub(crate) fn drive<C: Consumer>(
    source: &mut dyn Source,
    options: Options,
    consumer: &mut C,
    stop: &AtomicBool,
) -> Result<Ended, C::Error> {
    let mut pipeline = Pipeline::new(source.link(), options);
    let live = source.is_live();
    pipeline.router.shared.live = live;
    let embedded = source.take_secrets();
    if !embedded.is_empty() {
        pipeline.router.shared.keylog.add_embedded(&embedded);
    }
    // A live capture reads the key log again this often (and whenever it is idle): a browser
    // logs a connection's secrets as it opens it.
    const KEYS_EVERY: u64 = 1024;
    let mut events = Vec::with_capacity(64);
    let mut packets = 0u64;
    let mut first = None;
    let mut error = None;
    while !stop.load(Ordering::Relaxed) {
        let idle = match source.next_packet() {
            Ok(Poll::Packet(p)) => {
                packets = p.number.0;
                if first.is_none() {
                    first = Some(p.ts);
                    consumer.start(p.ts)?;
                }
                pipeline.packet(p.number, p.ts, p.data, &mut events);
                if live && p.number.0 % KEYS_EVERY == 0 {
                    pipeline.refresh_keys(&mut events);
                }
                if !consumer.take(&mut events, &mut pipeline)? {
                    return Ok(pipeline.ended(packets, first, None));
                }
                false
            }
            Ok(Poll::Idle) => {
                pipeline.refresh_keys(&mut events);
                if !events.is_empty() && !consumer.take(&mut events, &mut pipeline)? {
                    return Ok(pipeline.ended(packets, first, None));
                }
                true
            }
            Ok(Poll::End) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if !consumer.tick(source, idle)? {
            return Ok(pipeline.ended(packets, first, error));
        }
    }
    pipeline.finish(&mut events);
    consumer.take(&mut events, &mut pipeline)?;
    Ok(pipeline.ended(packets, first, error))
}

/// Keeps every event: for tests and tools that want a whole capture decoded at once.
#[derive(Default)]
struct Collect(Vec<Event>);

impl Consumer for Collect {
    type Error = std::convert::Infallible;

    fn take(&mut self, events: &mut Vec<Event>, _: &mut Pipeline) -> Result<bool, Self::Error> {
        self.0.append(events);
        Ok(true)
    }
}

/// Every event of `source`, and how it ended.
pub fn collect(source: &mut dyn Source, options: Options) -> (Vec<Event>, Ended) {
    let mut all = Collect::default();
    let ended = match drive(source, options, &mut all, &AtomicBool::new(false)) {
        Ok(ended) => ended,
        Err(never) => match never {},
    };
    (all.0, ended)
}
