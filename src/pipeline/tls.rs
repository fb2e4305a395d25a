//! The TLS layer: a connection that began with a ClientHello, decrypted by [`tls::Session`]
//! with the key log, its plaintext handed to the layer above exactly as a plaintext
//! connection's bytes are (HTTP until an upgrade, then WebSocket), so that wss reads as ws.
//!
//! The layer above runs inside this one: its hand-overs replace it here, not this layer, and
//! the connection events it writes are given the TLS summary on their way out.

use super::h2::Http2;
use super::http::Http;
use super::layer::{Context, Layer, Next};
use crate::model::{self, Event, TlsNote, TlsWhat};
use crate::tcp::{Close, Dir};
use crate::tls::{self, session::Output};
use crate::vocab::{ConnId, Side};

pub(crate) struct Tls {
    session: tls::session::Session,
    /// The layer the plaintext goes to; `None` once it found nothing to decode.
    above: Option<Box<dyn Layer>>,
    client: Dir,
    /// The WebSocket connection announced inside, for the TLS events that follow it.
    conn: Option<ConnId>,
}

impl Tls {
    /// `client` sent the ClientHello. `decode_as`: the port was named with `--decode-as`, so
    /// the plaintext is WebSocket even without a handshake.
    pub(crate) fn new(client: Dir, decode_as: bool, cx: &Context<'_>) -> Tls {
        let shared = &cx.shared;
        let may_gain_keys = shared.live && shared.keylog.follows_files();
        Tls {
            session: tls::session::Session::new(client, may_gain_keys),
            above: Some(Box::new(Http::new(decode_as))),
            client,
            conn: None,
        }
    }

    /// Runs the session on what it is given, handing what comes out to the layer above, then
    /// gives the connection and TLS events written meanwhile what is now known of the TLS.
    fn run(
        &mut self,
        cx: &mut Context<'_>,
        step: impl FnOnce(&mut tls::session::Session, &tls::KeyLog, &mut dyn FnMut(Output<'_>)),
    ) {
        let start = cx.out.len();
        // The key log is lent to the session while the context goes to the layer above.
        let log = std::mem::take(&mut cx.shared.keylog);
        let above = &mut self.above;
        let client = self.client;
        step(&mut self.session, &log, &mut |o| {
            handle(o, above, client, cx)
        });
        cx.shared.keylog = log;
        self.label(&mut cx.out[start..]);
        if self.above.is_none() && self.session.buffered() == 0 {
            // Nothing above reads the plaintext: TCP need not keep the connection's bytes.
            cx.ignore();
        }
    }
}

impl Tls {
    /// Gives the connection and TLS events just written what is known of the TLS, and the TLS
    /// events the WebSocket connection they belong to.
    fn label(&mut self, events: &mut [Event]) {
        let summary = self.session.summary();
        for ev in events {
            match ev {
                Event::Connection(c) => {
                    self.conn = Some(c.conn);
                    c.tls = Some(summary.clone());
                }
                Event::Tls(n) => {
                    n.tls = summary.clone();
                    n.conn = self.conn;
                }
                _ => {}
            }
        }
    }
}

/// One thing the session handed up.
fn handle(o: Output<'_>, above: &mut Option<Box<dyn Layer>>, client: Dir, cx: &mut Context<'_>) {
    match o {
        Output::Protocol { alpn } => {
            if alpn.as_deref() == Some("h2") {
                // HTTP/2 from the first byte: the layer above was not fed yet.
                *above = Some(Box::new(Http2::new(client)));
            }
        }
        Output::Data { dir, bytes, .. } => run_above(above, cx, |l, cx| l.feed(dir, bytes, cx)),
        Output::Lost { dir, len } => run_above(above, cx, |l, cx| l.gap(dir, len, cx)),
        Output::Alert { dir, alert } => {
            let from = if dir == client {
                Side::Client
            } else {
                Side::Server
            };
            note(cx, client, TlsWhat::Alert { from, alert });
        }
        Output::Problem {
            dir,
            offset,
            problem,
        } => cx.anomaly(model::Layer::Tls, dir, offset, problem.to_string()),
        Output::Undecryptable(why) => {
            let stats = &mut cx.shared.stats;
            if why == tls::Undecryptable::Abandoned {
                stats.tls_abandoned += 1;
            } else {
                stats.tls_undecryptable += 1;
            }
            note(cx, client, TlsWhat::Undecryptable(why));
        }
    }
}

/// A TLS event; its summary is filled in by [`Tls::run`] once the session is free.
fn note(cx: &mut Context<'_>, client: Dir, what: TlsWhat) {
    cx.out.push(Event::Tls(TlsNote {
        ts: cx.ts,
        packet: cx.packet,
        conn: None,
        client: cx.ends[client],
        server: cx.ends[client.reverse()],
        tls: tls::Summary::default(),
        what,
    }));
}

/// Runs the layer above on the context, keeping its hand-over or its giving up to itself: the
/// connection stays in this layer either way.
fn run_above(
    above: &mut Option<Box<dyn Layer>>,
    cx: &mut Context<'_>,
    f: impl FnOnce(&mut dyn Layer, &mut Context<'_>),
) {
    let Some(layer) = above.as_mut() else {
        return;
    };
    let outer = std::mem::replace(&mut cx.next, Next::Stay);
    f(layer.as_mut(), cx);
    match std::mem::replace(&mut cx.next, outer) {
        Next::Stay => {}
        Next::HandOver(next) => *above = Some(next),
        Next::Ignore => *above = None,
    }
}

impl Layer for Tls {
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        self.run(cx, |s, log, emit| s.feed(dir, bytes, log, emit));
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        self.run(cx, |s, _, emit| s.gap(dir, len, emit));
    }

    fn finish(&mut self, how: Close, cx: &mut Context<'_>) {
        self.run(cx, |s, _, emit| s.finish(emit));
        let above = &mut self.above;
        let start = cx.out.len();
        run_above(above, cx, |l, cx| l.finish(how, cx));
        self.label(&mut cx.out[start..]);
    }

    fn keys_changed(&mut self, cx: &mut Context<'_>) {
        self.run(cx, |s, log, emit| s.keys_changed(log, emit));
    }

    fn buffered(&self) -> usize {
        self.session.buffered() + self.above.as_ref().map_or(0, |l| l.buffered())
    }
}
