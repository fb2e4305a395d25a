//! The HTTP layer: a connection's requests and responses through [`http::Conversation`] until
//! an upgrade hands the connection to the WebSocket layer.

use super::layer::{Context, Layer};
use super::websocket::WebSocket;
use crate::http::{self, GiveUp};
use crate::model::{self, Event, Handshake};
use crate::tcp::{Close, Dir};

pub(crate) struct Http {
    conversation: http::Conversation,
    /// On a `--decode-as` port: what is not HTTP is WebSocket.
    decode_as: bool,
    out: Vec<http::Output>,
}

impl Http {
    pub(crate) fn new(decode_as: bool) -> Http {
        Http {
            conversation: http::Conversation::default(),
            decode_as,
            out: Vec::new(),
        }
    }

    /// The port a `-d` hint names: the server's when a request was seen, else the lower one.
    fn server_port(&self, cx: &Context<'_>) -> u16 {
        match self.conversation.client() {
            Some(c) => cx.ends[c.reverse()].port(),
            None => cx.ends[0].port().min(cx.ends[1].port()),
        }
    }

    /// A WebSocket layer for the bytes after those HTTP read, `missing` of direction `dir`
    /// lost just now: its frames' offsets go on from HTTP's.
    fn websocket(&self, cx: &Context<'_>, (dir, missing): (Dir, u64)) -> WebSocket {
        let mut ws = WebSocket::decode_as(cx);
        for d in Dir::BOTH {
            let lost = if d == dir { missing } else { 0 };
            ws.start_at(d, self.conversation.offset(d) + lost);
        }
        ws
    }

    /// The conversation cannot be followed: on a `--decode-as` port its bytes are read as
    /// WebSocket from the next plausible frame on; elsewhere the connection is left. `missing`:
    /// bytes of `dir` that went missing just now (what broke it).
    fn broken(
        &mut self,
        (dir, missing): (Dir, u64),
        offset: u64,
        what: String,
        cx: &mut Context<'_>,
    ) {
        let reason = if self.decode_as {
            format!("{what}: reading it as WebSocket from the next frame header that fits")
        } else {
            format!(
                "{what}: the connection is not decoded (if it carries WebSocket, add -d {})",
                self.server_port(cx)
            )
        };
        cx.anomaly(model::Layer::Http, dir, offset, reason);
        if self.decode_as {
            let mut ws = self.websocket(cx, (dir, missing));
            ws.lose_sync();
            cx.hand_over(Box::new(ws));
        } else {
            cx.ignore();
        }
    }

    fn output(&mut self, output: http::Output, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        let ends = cx.ends;
        match output {
            http::Output::GaveUp {
                why: GiveUp::NotHttp,
                ..
            } if self.decode_as => {
                // Not a handshake on a decode-as port: these bytes are already frames.
                let mut ws = self.websocket(cx, (dir, 0));
                ws.feed(dir, bytes, cx);
                cx.hand_over(Box::new(ws));
            }
            http::Output::GaveUp {
                why: GiveUp::NotHttp,
                ..
            } => {
                let stats = &mut cx.shared.stats;
                stats.other_flows += 1;
                if stats.other_ports.len() < 16 {
                    stats.other_ports.insert(ends[0].port().min(ends[1].port()));
                }
                cx.ignore();
            }
            http::Output::GaveUp { dir, offset, why } => {
                cx.shared.stats.http_broken += 1;
                self.broken((dir, 0), offset, why.to_string(), cx);
            }
            http::Output::Rejected {
                client,
                request,
                response,
            } => cx.out.push(Event::Rejected(model::Rejected {
                ts: cx.ts,
                packet: cx.packet,
                client: ends[client],
                server: ends[client.reverse()],
                path: request.path,
                status: response.status,
                reason: response.reason,
                request_head: request.head,
                response_head: response.head,
            })),
            http::Output::Plain {
                client,
                request,
                response,
            } => cx.out.push(Event::Http(model::Http {
                ts: cx.ts,
                packet: cx.packet,
                client: ends[client],
                server: ends[client.reverse()],
                method: request.method,
                path: request.path,
                status: response.status,
                reason: response.reason,
            })),
            http::Output::Upgraded {
                client,
                request,
                response,
                accept_valid,
                rest,
            } => {
                let handshake = Handshake {
                    path: request.path,
                    host: request.host,
                    key: request.key,
                    accept: response.accept,
                    accept_valid,
                    subprotocol: response.protocol,
                    extensions: response.extensions,
                    request_head: request.head,
                    response_head: response.head,
                };
                let mut ws = WebSocket::opened(cx, client, handshake, None);
                // Frames' offsets count in the stream the handshake was read from: each
                // direction's WebSocket bytes begin where its HTTP ended.
                for dir in Dir::BOTH {
                    let at = self
                        .conversation
                        .offset(dir)
                        .saturating_sub(rest[dir].len() as u64);
                    ws.start_at(dir, at);
                }
                // The client's bytes after its request were sent before the server's answer.
                for dir in [client, client.reverse()] {
                    if !rest[dir].is_empty() {
                        ws.feed(dir, &rest[dir], cx);
                    }
                }
                cx.hand_over(Box::new(ws));
            }
        }
    }
}

impl Layer for Http {
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        self.conversation.feed(dir, bytes, &mut self.out);
        let mut outputs = std::mem::take(&mut self.out);
        for o in outputs.drain(..) {
            self.output(o, dir, bytes, cx);
        }
        self.out = outputs;
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        // Without those bytes the HTTP messages cannot be followed to an upgrade.
        cx.shared.stats.http_gaps += 1;
        let offset = self.conversation.offset(dir);
        let what = format!("{len} bytes missing before the WebSocket upgrade finished");
        self.broken((dir, len), offset, what, cx);
    }

    fn finish(&mut self, _how: Close, _cx: &mut Context<'_>) {}

    fn buffered(&self) -> usize {
        self.conversation.buffered()
    }
}
