//! The WebSocket layer: a connection's bytes after the handshake (or from the first byte on a
//! `--decode-as` port) through [`ws::Connection`], its frames and messages as events.

use super::layer::{Context, Layer};
use crate::model::{self, Detected, EndHow, Event, Handshake};
use crate::tcp::{Close, Dir};
use crate::vocab::ConnId;
use crate::ws::{self, DeflateParams, Problem};

pub(crate) struct WebSocket {
    ws: ws::Connection,
    /// The connection event was written. Without a handshake it waits for the first frame,
    /// whose mask tells client from server.
    announced: bool,
}

impl WebSocket {
    /// A handshake (an HTTP/1.1 upgrade, or an HTTP/2 extended CONNECT on `http2_stream`) opened
    /// a WebSocket: it is numbered and announced now, with permessage-deflate as the server
    /// accepted it.
    pub(crate) fn opened(
        cx: &mut Context<'_>,
        client: Dir,
        handshake: Handshake,
        http2_stream: Option<u32>,
    ) -> WebSocket {
        let conn = cx.shared.conn();
        let deflate = handshake
            .extensions
            .as_deref()
            .and_then(DeflateParams::from_header);
        cx.out.push(Event::Connection(model::Connection {
            conn,
            ts: cx.ts,
            packet: cx.packet,
            client: cx.ends[client],
            server: cx.ends[client.reverse()],
            detected: Detected::Handshake,
            handshake: Some(handshake),
            tls: None,
            http2_stream,
        }));
        let limits = cx.shared.ws_limits;
        WebSocket {
            ws: ws::Connection::new(conn, Some(client), deflate, limits),
            announced: true,
        }
    }

    /// Without a handshake: announced with the first frame, and only then numbered, so that a
    /// connection that never carries a frame takes no number. Until then its frames wait in
    /// `ws_out` under a stand-in number, and are renumbered when it is announced.
    pub(crate) fn decode_as(cx: &Context<'_>) -> WebSocket {
        WebSocket {
            ws: ws::Connection::new(ConnId(0), None, None, cx.shared.ws_limits),
            announced: false,
        }
    }

    /// Direction `dir`'s first byte is at `offset` in its sender's stream.
    pub(crate) fn start_at(&mut self, dir: Dir, offset: u64) {
        self.ws.start_at(dir, offset);
    }

    /// Each direction is picked up at an unknown place: framing is found again at the next
    /// plausible frame header.
    pub(crate) fn lose_sync(&mut self) {
        for dir in Dir::BOTH {
            self.ws.lose_sync(dir);
        }
    }

    /// Hands what was decoded on as events, announcing the connection first if need be.
    fn emit(&mut self, cx: &mut Context<'_>) {
        if !self.announced && !cx.shared.ws_out.is_empty() {
            self.announced = true;
            self.ws.conn = cx.shared.conn();
            let client = self.ws.client().unwrap_or(Dir::AtoB);
            cx.out.push(Event::Connection(model::Connection {
                conn: self.ws.conn,
                ts: cx.ts,
                packet: cx.packet,
                client: cx.ends[client],
                server: cx.ends[client.reverse()],
                detected: Detected::DecodeAs,
                handshake: None,
                tls: None,
                http2_stream: None,
            }));
            for o in cx.shared.ws_out.iter_mut() {
                match o {
                    ws::Output::Frame(f) => f.conn = self.ws.conn,
                    ws::Output::Message(m) => m.conn = self.ws.conn,
                }
            }
        }
        if !self.announced {
            return;
        }
        cx.out.extend(cx.shared.ws_out.drain(..).map(|o| match o {
            ws::Output::Frame(f) => Event::Frame(f),
            ws::Output::Message(m) => Event::Message(m),
        }));
    }
}

impl Layer for WebSocket {
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        let stamp = cx.stamp();
        let shared = &mut *cx.shared;
        self.ws
            .feed(dir, bytes, stamp, &mut shared.buffers, &mut shared.ws_out);
        self.emit(cx);
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        let stamp = cx.stamp();
        let shared = &mut *cx.shared;
        self.ws
            .gap(dir, len, stamp, &mut shared.buffers, &mut shared.ws_out);
        self.emit(cx);
        if self.announced {
            cx.out.push(Event::Gap(model::Gap {
                conn: self.ws.conn,
                ts: cx.ts,
                packet: cx.packet,
                from: self.ws.side(dir),
                bytes: len,
            }));
        }
    }

    fn finish(&mut self, how: Close, cx: &mut Context<'_>) {
        let stamp = cx.stamp();
        let shared = &mut *cx.shared;
        // The capture goes on after an eviction: frames it cut short were not cut by its end.
        let cut_by = match how {
            Close::Evicted => Problem::Evicted,
            Close::Fin | Close::Rst | Close::Eof => Problem::Truncated,
        };
        let header_bytes = self
            .ws
            .finish(cut_by, stamp, &mut shared.buffers, &mut shared.ws_out);
        if header_bytes > 0 {
            shared.stats.cut_headers += 1;
        }
        self.emit(cx);
        cx.shared.ws_out.clear();
        if self.announced {
            let how = match how {
                Close::Fin => EndHow::Fin,
                Close::Rst => EndHow::Rst,
                Close::Eof => EndHow::Eof,
                Close::Evicted => EndHow::Evicted,
            };
            cx.out.push(Event::End(model::End {
                conn: self.ws.conn,
                ts: cx.ts,
                packet: cx.packet,
                how,
            }));
        }
    }

    fn buffered(&self) -> usize {
        self.ws.buffered()
    }
}
