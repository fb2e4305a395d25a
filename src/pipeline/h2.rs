//! The HTTP/2 layer: a connection that speaks HTTP/2 (ALPN `h2` after TLS, or the cleartext
//! preface), read by [`h2::Connection`]. Each stream an extended CONNECT opens for a WebSocket
//! (RFC 8441) becomes a WebSocket connection of its own, numbered like any other, whose bytes
//! are that stream's DATA; the other streams are plain HTTP exchanges, told as HTTP/1.1 ones are.

use std::collections::{BTreeMap, HashMap};

use super::layer::{Context, Layer};
use super::websocket::WebSocket;
use crate::h2::{self, StreamId};
use crate::model::{self, Event, Handshake};
use crate::tcp::{Close, Dir};

/// Requests whose answers are awaited, at most: past it the oldest are forgotten (their answer
/// is then not paired, and not told).
const MAX_PENDING: usize = 10_000;

pub(crate) struct Http2 {
    conn: h2::Connection,
    out: Vec<h2::Output>,
    /// Streams that carry a WebSocket, by stream id.
    tunnels: HashMap<u32, WebSocket>,
    /// Requests waiting for their answer: the request head's method and path, and for an
    /// extended CONNECT the tunnel it asks for.
    pending: BTreeMap<u32, Pending>,
}

struct Pending {
    method: String,
    path: String,
    tunnel: Option<Box<h2::Tunnel>>,
    head: h2::Head,
}

impl Http2 {
    /// `client` sends (or will send) the connection preface.
    pub(crate) fn new(client: Dir) -> Http2 {
        Http2 {
            conn: h2::Connection::new(client),
            out: Vec::new(),
            tunnels: HashMap::new(),
            pending: BTreeMap::new(),
        }
    }

    fn client(&self) -> Dir {
        self.conn.client()
    }

    /// Hands what the HTTP/2 connection gave out on: `bytes` is what was fed (DATA ranges
    /// point into it).
    fn emit(&mut self, bytes: &[u8], how: Close, cx: &mut Context<'_>) {
        let mut outputs = std::mem::take(&mut self.out);
        for o in outputs.drain(..) {
            self.output(o, bytes, how, cx);
        }
        self.out = outputs;
    }

    fn output(&mut self, o: h2::Output, bytes: &[u8], how: Close, cx: &mut Context<'_>) {
        match o {
            h2::Output::Request {
                stream,
                head,
                tunnel,
                ..
            } => {
                if self.pending.len() >= MAX_PENDING {
                    // The lowest-numbered is the oldest.
                    self.pending.pop_first();
                }
                self.pending.insert(
                    stream.0,
                    Pending {
                        method: head.text(":method").unwrap_or_default(),
                        path: head.text(":path").unwrap_or_default(),
                        tunnel,
                        head,
                    },
                );
            }
            h2::Output::Response { stream, head, .. } => {
                let status = head.status();
                // A 1xx is an interim answer: the final one is still to come.
                if matches!(status, Some(100..=199)) {
                    return;
                }
                let Some(req) = self.pending.remove(&stream.0) else {
                    return;
                };
                self.answered(stream, req, head, cx);
            }
            h2::Output::Data {
                stream,
                dir,
                bytes: range,
                ..
            } => {
                if let Some(ws) = self.tunnels.get_mut(&stream.0)
                    && let Some(data) = bytes.get(range)
                    && !data.is_empty()
                {
                    ws.feed(dir, data, cx);
                }
            }
            h2::Output::DataGap { stream, dir, len } => {
                if let Some(ws) = self.tunnels.get_mut(&stream.0) {
                    ws.gap(dir, len, cx);
                }
            }
            h2::Output::StreamEnd { stream, how: end } => {
                self.pending.remove(&stream.0);
                if let Some(mut ws) = self.tunnels.remove(&stream.0) {
                    let close = match end {
                        h2::End::Finished => Close::Fin,
                        h2::End::Reset { .. } | h2::End::GoneAway { .. } => Close::Rst,
                        h2::End::ConnectionClosed => how,
                        h2::End::Forgotten => Close::Evicted,
                    };
                    ws.finish(close, cx);
                }
            }
            h2::Output::Problem {
                dir,
                offset,
                problem,
            } => cx.anomaly(model::Layer::Http2, dir, offset, problem.to_string()),
            h2::Output::Trailers { .. }
            | h2::Output::Promise { .. }
            | h2::Output::Settings { .. }
            | h2::Output::GoAway { .. } => {}
        }
    }

    /// A request's final answer: a WebSocket opens, is refused, or a plain exchange is told.
    fn answered(&mut self, stream: StreamId, req: Pending, head: h2::Head, cx: &mut Context<'_>) {
        let client = self.client();
        let (from, to) = (cx.ends[client], cx.ends[client.reverse()]);
        let answer = h2::answer(&head);
        let status = answer.status.unwrap_or(0);
        let Some(tunnel) = req.tunnel.filter(|t| t.is_websocket()) else {
            cx.out.push(Event::Http(model::Http {
                ts: cx.ts,
                packet: cx.packet,
                client: from,
                server: to,
                method: req.method,
                path: req.path,
                status,
                reason: String::new(),
            }));
            return;
        };
        let path = tunnel.path.clone().unwrap_or_default();
        if !answer.opened() {
            cx.out.push(Event::Rejected(model::Rejected {
                ts: cx.ts,
                packet: cx.packet,
                client: from,
                server: to,
                path,
                status,
                reason: String::new(),
                request_head: head_text(&req.head),
                response_head: head_text(&head),
            }));
            return;
        }
        let handshake = Handshake {
            path,
            host: tunnel.authority.clone(),
            // RFC 8441 has no key and no accept: the stream's answer is the check.
            key: None,
            accept: None,
            accept_valid: false,
            subprotocol: answer.protocol,
            extensions: answer.extensions,
            request_head: head_text(&req.head),
            response_head: head_text(&head),
        };
        let ws = WebSocket::opened(cx, client, handshake, Some(stream.0));
        self.tunnels.insert(stream.0, ws);
    }
}

/// A header list as text, one `name: value` per line, for the handshake view.
fn head_text(head: &h2::Head) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in head.fields() {
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

impl Layer for Http2 {
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        self.conn.feed(dir, bytes, &mut self.out);
        self.emit(bytes, Close::Eof, cx);
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        self.conn.gap(dir, len, &mut self.out);
        self.emit(&[], Close::Eof, cx);
    }

    fn finish(&mut self, how: Close, cx: &mut Context<'_>) {
        self.conn.finish(&mut self.out);
        self.emit(&[], how, cx);
        // Streams the HTTP/2 connection did not end end with it.
        let mut left: Vec<u32> = self.tunnels.keys().copied().collect();
        left.sort_unstable();
        for id in left {
            if let Some(mut ws) = self.tunnels.remove(&id) {
                ws.finish(how, cx);
            }
        }
    }

    fn buffered(&self) -> usize {
        self.conn.buffered()
            + self
                .tunnels
                .values()
                .map(WebSocket::buffered)
                .sum::<usize>()
    }
}
