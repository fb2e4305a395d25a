//! The whole decoding path on one screen:
//!
//! ```text
//! packet ─▶ link::decode ─▶ tcp::Tracker ─▶ http::Conversation ─101─▶ ws::Connection ─▶ model::Event
//! ```
//!
//! Each stage is a plain struct fed in order; this module only routes each flow's bytes to the
//! stage it is in and stamps events with the packet they came from.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

// Looked up for every packet: a fast hasher, still seeded per run against crafted captures.
use foldhash::{HashMap, HashMapExt};
use std::net::SocketAddr;

use crate::capture::{self, Poll, Source};
use crate::http;
use crate::link::{self, LinkType, Skip};
use crate::model::{self, Detected, EndHow, Event, Handshake, Timestamp};
use crate::tcp::{self, Close, FlowId};
use crate::ws::{self, DeflateParams, Stamp};

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Ports whose traffic is WebSocket from the first byte (`--decode-as`).
    pub decode_as: Vec<u16>,
    pub ws_limits: Option<ws::Limits>,
}

/// What did not become an event, so that nothing is dropped silently.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub packets: u64,
    pub not_tcp: u64,
    pub malformed: u64,
    pub ip_fragments: u64,
    /// TCP connections that carried data which is neither HTTP nor a known WebSocket.
    pub other_flows: u64,
    /// Server-side ports of those connections (the lower port), for the `--decode-as` hint.
    pub other_ports: BTreeSet<u16>,
    /// HTTP conversations abandoned because bytes were missing before the upgrade finished.
    pub http_gaps: u64,
    /// Connection directions that ended inside a frame header (no frame to show for it).
    pub cut_headers: u64,
}

impl Stats {
    /// One sentence for each kind of traffic that produced no event, so that nothing is
    /// dropped silently.
    pub fn notes(&self) -> Vec<String> {
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

enum State {
    Http {
        conversation: http::Conversation,
        /// On a `--decode-as` port: if this is not HTTP, it is WebSocket.
        decode_as: bool,
    },
    WebSocket {
        ws: Box<ws::Connection>,
        /// The connection event was written (decode-as connections wait for their first frame
        /// to tell client from server).
        announced: bool,
    },
    Ignored,
}

struct Flow {
    /// Endpoints by direction index: `ends[0]` sends `Dir::AtoB`.
    ends: [SocketAddr; 2],
    state: State,
}

/// Per-flow routing, kept apart from the tracker so that the tracker's callback can borrow it.
struct Router {
    flows: HashMap<FlowId, Flow>,
    next_conn: u32,
    options: Options,
    limits: ws::Limits,
    stats: Stats,
    to_ignore: Vec<FlowId>,
    ws_out: Vec<ws::Output>,
    http_out: Vec<http::Output>,
    /// Buffers of events handed back with [`Pipeline::recycle`], shared by all connections.
    buffers: ws::Buffers,
}

pub struct Pipeline {
    link: LinkType,
    tracker: tcp::Tracker,
    router: Router,
    stamp: Stamp,
}

impl Pipeline {
    pub fn new(link: LinkType, options: Options) -> Pipeline {
        Pipeline {
            link,
            tracker: tcp::Tracker::new(tcp::Limits::default()),
            router: Router {
                flows: HashMap::new(),
                next_conn: 0,
                limits: options.ws_limits.unwrap_or_default(),
                options,
                stats: Stats::default(),
                to_ignore: Vec::new(),
                ws_out: Vec::new(),
                http_out: Vec::new(),
                buffers: ws::Buffers::default(),
            },
            stamp: Stamp::default(),
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.router.stats
    }

    /// Decodes one captured packet (numbered from 1, as Wireshark does); events go to `out`.
    pub fn packet(&mut self, number: u64, ts: Timestamp, data: &[u8], out: &mut Vec<Event>) {
        self.stamp = Stamp { ts, packet: number };
        let router = &mut self.router;
        router.stats.packets += 1;
        let segment = match link::decode(self.link, data) {
            Ok(segment) => segment,
            Err(skip) => {
                match skip {
                    Skip::NotTcp => router.stats.not_tcp += 1,
                    Skip::IpFragment => router.stats.ip_fragments += 1,
                    Skip::Malformed => router.stats.malformed += 1,
                }
                return;
            }
        };
        let stamp = self.stamp;
        self.tracker
            .push(&segment, &mut |ev| router.handle(ev, stamp, out));
        for flow in router.to_ignore.drain(..) {
            self.tracker.ignore(flow);
        }
    }

    /// Takes back the buffers of an event that was written and is no longer needed, to decode
    /// the next frames into. A consumer that keeps its events simply never calls this; one that
    /// writes them and hands each back decodes a stream without a heap allocation per packet.
    pub fn recycle(&mut self, ev: Event) {
        let buffers = &mut self.router.buffers;
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
            | Event::End(_) => {}
        }
    }

    fn ended(
        self,
        packets: u64,
        first: Option<Timestamp>,
        stopped: bool,
        error: Option<capture::Error>,
    ) -> Ended {
        Ended {
            packets,
            first,
            stopped,
            error,
            stats: self.router.stats,
        }
    }

    /// The capture ended: connections still open end with `eof`.
    pub fn finish(&mut self, out: &mut Vec<Event>) {
        let router = &mut self.router;
        let stamp = self.stamp;
        self.tracker.finish(&mut |ev| router.handle(ev, stamp, out));
    }
}

impl Router {
    fn handle(&mut self, ev: tcp::Event<'_>, stamp: Stamp, out: &mut Vec<Event>) {
        match ev {
            tcp::Event::Opened { flow, a, b, .. } => {
                let decode_as = self
                    .options
                    .decode_as
                    .iter()
                    .any(|p| *p == a.port() || *p == b.port());
                let state = State::Http {
                    conversation: http::Conversation::default(),
                    decode_as,
                };
                self.flows.insert(
                    flow,
                    Flow {
                        ends: [a, b],
                        state,
                    },
                );
            }
            tcp::Event::Data { flow, dir, bytes } => {
                self.data(flow, dir.index(), bytes, stamp, out)
            }
            tcp::Event::Gap { flow, dir, len } => self.gap(flow, dir.index(), len, stamp, out),
            tcp::Event::Closed { flow, how } => {
                let Some(f) = self.flows.remove(&flow) else {
                    return;
                };
                if let State::WebSocket { mut ws, announced } = f.state {
                    let header_bytes = ws.finish(stamp, &mut self.buffers, &mut self.ws_out);
                    if header_bytes > 0 {
                        self.stats.cut_headers += 1;
                    }
                    if announced {
                        emit_ws(&mut self.ws_out, out);
                        let how = match how {
                            Close::Fin => EndHow::Fin,
                            Close::Rst => EndHow::Rst,
                            Close::Eof => EndHow::Eof,
                        };
                        out.push(Event::End(model::End {
                            conn: ws.conn,
                            ts: stamp.ts,
                            packet: stamp.packet,
                            how,
                        }));
                    }
                    self.ws_out.clear();
                }
            }
        }
    }

    fn data(&mut self, flow: FlowId, dir: usize, bytes: &[u8], stamp: Stamp, out: &mut Vec<Event>) {
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        match &mut f.state {
            State::Ignored => {}
            State::WebSocket { ws, announced } => {
                ws.feed(dir, bytes, stamp, &mut self.buffers, &mut self.ws_out);
                if !*announced && !self.ws_out.is_empty() {
                    *announced = true;
                    ws.conn = self.next_conn;
                    self.next_conn += 1;
                    let client = ws.client().unwrap_or(0);
                    out.push(Event::Connection(model::Connection {
                        conn: ws.conn,
                        ts: stamp.ts,
                        packet: stamp.packet,
                        client: f.ends[client],
                        server: f.ends[client ^ 1],
                        detected: Detected::DecodeAs,
                        handshake: None,
                    }));
                    for o in &mut self.ws_out {
                        match o {
                            ws::Output::Frame(fr) => fr.conn = ws.conn,
                            ws::Output::Message(m) => m.conn = ws.conn,
                        }
                    }
                }
                emit_ws(&mut self.ws_out, out);
            }
            State::Http {
                conversation,
                decode_as,
            } => {
                conversation.feed(dir, bytes, &mut self.http_out);
                let decode_as = *decode_as;
                let mut outputs = std::mem::take(&mut self.http_out);
                for o in outputs.drain(..) {
                    self.http_output(flow, o, decode_as, dir, bytes, stamp, out);
                }
                self.http_out = outputs;
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn http_output(
        &mut self,
        flow: FlowId,
        output: http::Output,
        decode_as: bool,
        dir: usize,
        bytes: &[u8],
        stamp: Stamp,
        out: &mut Vec<Event>,
    ) {
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        match output {
            http::Output::NotHttp if decode_as => {
                // Not a handshake on a decode-as port: these bytes are already frames.
                f.state = State::WebSocket {
                    ws: Box::new(ws::Connection::new(0, None, None, self.limits)),
                    announced: false,
                };
                self.data(flow, dir, bytes, stamp, out);
            }
            http::Output::NotHttp => {
                f.state = State::Ignored;
                self.to_ignore.push(flow);
                self.stats.other_flows += 1;
                if self.stats.other_ports.len() < 16 {
                    self.stats
                        .other_ports
                        .insert(f.ends[0].port().min(f.ends[1].port()));
                }
            }
            http::Output::Rejected {
                client,
                request,
                response,
            } => {
                out.push(Event::Rejected(model::Rejected {
                    ts: stamp.ts,
                    packet: stamp.packet,
                    client: f.ends[client],
                    server: f.ends[client ^ 1],
                    path: request.path,
                    status: response.status,
                    reason: response.reason,
                    request_head: request.head,
                    response_head: response.head,
                }));
            }
            http::Output::Plain {
                client,
                request,
                response,
            } => {
                out.push(Event::Http(model::Http {
                    ts: stamp.ts,
                    packet: stamp.packet,
                    client: f.ends[client],
                    server: f.ends[client ^ 1],
                    method: request.method,
                    path: request.path,
                    status: response.status,
                    reason: response.reason,
                }));
            }
            http::Output::Upgraded {
                client,
                request,
                response,
                rest,
            } => {
                let conn = self.next_conn;
                self.next_conn += 1;
                let deflate = response
                    .extensions
                    .as_deref()
                    .and_then(DeflateParams::from_header);
                let accept_valid = match (&request.key, &response.accept) {
                    (Some(key), Some(accept)) => http::accept_for(key) == *accept,
                    _ => false,
                };
                out.push(Event::Connection(model::Connection {
                    conn,
                    ts: stamp.ts,
                    packet: stamp.packet,
                    client: f.ends[client],
                    server: f.ends[client ^ 1],
                    detected: Detected::Handshake,
                    handshake: Some(Handshake {
                        path: request.path,
                        host: request.host,
                        key: request.key,
                        accept: response.accept,
                        accept_valid,
                        subprotocol: response.protocol,
                        extensions: response.extensions,
                        request_head: request.head,
                        response_head: response.head,
                    }),
                }));
                let mut ws = ws::Connection::new(conn, Some(client), deflate, self.limits);
                // The client's bytes after its request were sent before the server's answer.
                for d in [client, client ^ 1] {
                    if !rest[d].is_empty() {
                        ws.feed(d, &rest[d], stamp, &mut self.buffers, &mut self.ws_out);
                    }
                }
                emit_ws(&mut self.ws_out, out);
                f.state = State::WebSocket {
                    ws: Box::new(ws),
                    announced: true,
                };
            }
        }
    }

    fn gap(&mut self, flow: FlowId, dir: usize, len: u64, stamp: Stamp, out: &mut Vec<Event>) {
        let Some(f) = self.flows.get_mut(&flow) else {
            return;
        };
        match &mut f.state {
            State::WebSocket { ws, announced } => {
                ws.gap(dir, len, stamp, &mut self.buffers, &mut self.ws_out);
                if *announced {
                    let from = ws.side(dir);
                    emit_ws(&mut self.ws_out, out);
                    out.push(Event::Gap(model::Gap {
                        conn: ws.conn,
                        ts: stamp.ts,
                        packet: stamp.packet,
                        from,
                        bytes: len,
                    }));
                }
            }
            State::Http { .. } => {
                // Without those bytes the HTTP messages cannot be followed to an upgrade.
                f.state = State::Ignored;
                self.to_ignore.push(flow);
                self.stats.http_gaps += 1;
            }
            State::Ignored => {}
        }
    }
}

fn emit_ws(ws_out: &mut Vec<ws::Output>, out: &mut Vec<Event>) {
    out.extend(ws_out.drain(..).map(|o| match o {
        ws::Output::Frame(f) => Event::Frame(f),
        ws::Output::Message(m) => Event::Message(m),
    }));
}

/// What the packet loop hands its events to: an output, the terminal UI's index, a test.
pub trait Consumer {
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
    pub packets: u64,
    /// The time of the first packet.
    pub first: Option<Timestamp>,
    /// The consumer asked to stop; connections still open were then not ended.
    pub stopped: bool,
    /// The error that ended the source (a file cut off inside a packet, a failed capture),
    /// after everything before it was decoded.
    pub error: Option<capture::Error>,
    /// What produced no event.
    pub stats: Stats,
}

/// The one packet loop: every packet of `source` through a new [`Pipeline`] into `consumer`,
/// until the source ends or fails, the consumer says stop, or `stop` is set (Ctrl-C). At the
/// end of the source, connections still open end with `eof`.
pub fn drive<C: Consumer>(
    source: &mut dyn Source,
    options: Options,
    consumer: &mut C,
    stop: &AtomicBool,
) -> Result<Ended, C::Error> {
    let mut pipeline = Pipeline::new(source.link(), options);
    let mut events = Vec::with_capacity(64);
    let mut packets = 0u64;
    let mut first = None;
    let mut error = None;
    while !stop.load(Ordering::Relaxed) {
        let idle = match source.next_packet() {
            Ok(Poll::Packet(p)) => {
                packets = p.number;
                if first.is_none() {
                    first = Some(p.ts);
                    consumer.start(p.ts)?;
                }
                pipeline.packet(p.number, p.ts, p.data, &mut events);
                if !consumer.take(&mut events, &mut pipeline)? {
                    return Ok(pipeline.ended(packets, first, true, None));
                }
                false
            }
            Ok(Poll::Idle) => true,
            Ok(Poll::End) => break,
            Err(e) => {
                error = Some(e);
                break;
            }
        };
        if !consumer.tick(source, idle)? {
            return Ok(pipeline.ended(packets, first, true, error));
        }
    }
    pipeline.finish(&mut events);
    consumer.take(&mut events, &mut pipeline)?;
    Ok(pipeline.ended(packets, first, false, error))
}

/// Keeps every event: for tests and tools that want a whole capture decoded at once.
#[derive(Default)]
pub struct Collect(pub Vec<Event>);

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
