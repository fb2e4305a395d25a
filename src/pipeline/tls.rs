//! The TLS layer: a connection that began with a ClientHello, decrypted by [`tls::Session`]
//! with the key log, its plaintext handed to the layer above exactly as a plaintext
//! connection's bytes are (HTTP until an upgrade, then WebSocket), so that wss reads as ws.
//!
//! The layer above runs inside this one: its hand-overs replace it here, not this layer, and
//! the connection events it writes are given the TLS summary on their way out.
//!
//! Which record each plaintext byte came from is kept here too, so that a user can see the
//! records a frame travelled in: the layer above counts its stream's offsets in the plaintext
//! this layer hands it, so a record's plaintext range is in the same offsets as the frames'.
//! Records are told once their WebSocket connection is known ([`model::TlsRecord`]).

use std::collections::VecDeque;

use super::h2::Http2;
use super::http::Http;
use super::layer::{Context, Layer, Next};
use crate::model::{self, Event, TlsNote, TlsWhat};
use crate::tcp::{Close, Dir};
use crate::tls::{
    self,
    session::{Output, Sealed},
};
use crate::vocab::{ConnId, PacketNo, Side};

pub(crate) struct Tls {
    session: tls::session::Session,
    /// The layer the plaintext goes to; `None` once it found nothing to decode.
    above: Option<Box<dyn Layer>>,
    client: Dir,
    /// The WebSocket connection announced inside, for the TLS events that follow it.
    conn: Option<ConnId>,
    records: Records,
}

/// The records the plaintext came from, per direction, until they are told.
struct Records {
    /// False once the plaintext is not one WebSocket stream (HTTP/2: its frames carry the
    /// WebSocket bytes, whose offsets are not the plaintext's), or nothing above reads it.
    on: bool,
    /// Bytes at the end of a direction's plaintext that the layer above may hold without
    /// counting them: a `--decode-as` connection's frame header in progress.
    slack: u64,
    dirs: [Trail; 2],
}

#[derive(Default)]
struct Trail {
    /// Plaintext handed up, lost bytes counted: the offset of the next byte in the stream the
    /// layer above reads.
    plain: u64,
    /// Bytes given to the session: the offset of the next one in the direction's TCP stream.
    wire: u64,
    /// The packet holding the first byte of the record the session holds a part of.
    partial: PacketNo,
    /// Records handed up whose WebSocket connection is not known yet (their `conn` is not
    /// set): before an upgrade, only those whose bytes the layer above still holds.
    waiting: VecDeque<model::TlsRecord>,
}

impl Records {
    /// Application data of `len` bytes came from `record`, completed in `packet`. `fed`: the
    /// direction being fed and where its new bytes begin in its TCP stream, if bytes came.
    fn note(
        &mut self,
        (dir, from): (Dir, Side),
        len: usize,
        record: Sealed<'_>,
        fed: Option<(Dir, u64)>,
        packet: PacketNo,
    ) {
        let t = &mut self.dirs[dir];
        let first = match fed {
            Some((d, chunk)) if d == dir && record.offset < chunk => t.partial,
            _ => packet,
        };
        let mut head = [0; model::TlsRecord::HEAD];
        let n = record.body.len().min(head.len());
        head[..n].copy_from_slice(&record.body[..n]);
        let end = t.plain + len as u64;
        t.waiting.push_back(model::TlsRecord {
            conn: ConnId(0),
            from,
            number: record.number,
            header: *record.header,
            head,
            packets: (first, packet),
            plain: (t.plain, end),
        });
        t.plain = end;
    }

    fn stop(&mut self) {
        self.on = false;
        for t in &mut self.dirs {
            t.waiting = VecDeque::new();
        }
    }
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
            records: Records {
                on: true,
                // 14: the longest frame header.
                slack: if decode_as { 14 } else { 0 },
                dirs: Default::default(),
            },
        }
    }

    /// Runs the session on what it is given, handing what comes out to the layer above, then
    /// gives the connection and TLS events written meanwhile what is now known of the TLS, and
    /// tells the records whose connection is known. `fed`: the direction given bytes, and
    /// where they begin in its TCP stream.
    fn run(
        &mut self,
        cx: &mut Context<'_>,
        fed: Option<(Dir, u64)>,
        step: impl FnOnce(&mut tls::session::Session, &tls::KeyLog, &mut dyn FnMut(Output<'_>)),
    ) {
        let start = cx.out.len();
        // The key log is lent to the session while the context goes to the layer above.
        let log = std::mem::take(&mut cx.shared.keylog);
        let above = &mut self.above;
        let records = &mut self.records;
        let client = self.client;
        step(&mut self.session, &log, &mut |o| {
            handle(o, above, records, fed, client, cx)
        });
        cx.shared.keylog = log;
        self.label(&mut cx.out[start..]);
        self.tell_records(cx.out);
        if self.above.is_none() && self.session.buffered() == 0 {
            // Nothing above reads the plaintext: TCP need not keep the connection's bytes.
            cx.ignore();
        }
    }
}

impl Tls {
    /// Tells the records waiting once their connection is known; before that, lets go of
    /// those that can hold none of its bytes.
    fn tell_records(&mut self, out: &mut Vec<Event>) {
        let records = &mut self.records;
        if !records.on {
            return;
        }
        let Some(above) = &self.above else {
            records.stop();
            return;
        };
        match self.conn {
            Some(conn) => {
                for t in &mut records.dirs {
                    out.extend(t.waiting.drain(..).map(|mut r| {
                        r.conn = conn;
                        Event::TlsRecord(r)
                    }));
                }
            }
            None => {
                // Only bytes the layer above still holds (an HTTP head, what a client sent
                // after its upgrade request) may turn out to be WebSocket.
                let held = above.buffered() as u64 + records.slack;
                for t in &mut records.dirs {
                    while t
                        .waiting
                        .front()
                        .is_some_and(|r| r.plain.1 + held <= t.plain)
                    {
                        t.waiting.pop_front();
                    }
                }
            }
        }
    }

    /// Gives the connection and TLS events just written what is known of the TLS, and the TLS
    /// events the WebSocket connection they belong to.
    fn label(&mut self, events: &mut [Event]) {
        // Most calls wrote frames only: the summary (a few strings) is made when it is needed.
        if !events
            .iter()
            .any(|e| matches!(e, Event::Connection(_) | Event::Tls(_)))
        {
            return;
        }
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
fn handle(
    o: Output<'_>,
    above: &mut Option<Box<dyn Layer>>,
    records: &mut Records,
    fed: Option<(Dir, u64)>,
    client: Dir,
    cx: &mut Context<'_>,
) {
    match o {
        Output::Protocol { alpn } => {
            if alpn.as_deref() == Some("h2") {
                // HTTP/2 from the first byte: the layer above was not fed yet. Its plaintext
                // is HTTP/2 frames, not the WebSocket stream: records are not told.
                *above = Some(Box::new(Http2::new(client)));
                records.stop();
            }
        }
        Output::Data { dir, bytes, record } => {
            if records.on {
                let from = if dir == client {
                    Side::Client
                } else {
                    Side::Server
                };
                records.note((dir, from), bytes.len(), record, fed, cx.packet);
            }
            run_above(above, cx, |l, cx| l.feed(dir, bytes, cx))
        }
        Output::Lost { dir, len } => {
            records.dirs[dir].plain += len;
            run_above(above, cx, |l, cx| l.gap(dir, len, cx))
        }
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
        let chunk = self.records.dirs[dir].wire;
        self.records.dirs[dir].wire += bytes.len() as u64;
        self.run(cx, Some((dir, chunk)), |s, log, emit| {
            s.feed(dir, bytes, log, emit)
        });
        // The record the session now holds the start of began in this packet, or earlier.
        let t = &mut self.records.dirs[dir];
        let held = self.session.held(dir) as u64;
        if held > 0 && t.wire - held >= chunk {
            t.partial = cx.packet;
        }
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        self.records.dirs[dir].wire += len;
        self.run(cx, None, |s, _, emit| s.gap(dir, len, emit));
    }

    fn finish(&mut self, how: Close, cx: &mut Context<'_>) {
        self.run(cx, None, |s, _, emit| s.finish(emit));
        let above = &mut self.above;
        let start = cx.out.len();
        run_above(above, cx, |l, cx| l.finish(how, cx));
        self.label(&mut cx.out[start..]);
    }

    fn keys_changed(&mut self, cx: &mut Context<'_>) {
        self.run(cx, None, |s, log, emit| s.keys_changed(log, emit));
    }

    fn buffered(&self) -> usize {
        let waiting: usize = self.records.dirs.iter().map(|t| t.waiting.len()).sum();
        self.session.buffered()
            + self.above.as_ref().map_or(0, |l| l.buffered())
            + waiting * std::mem::size_of::<model::TlsRecord>()
    }
}
