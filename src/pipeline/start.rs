//! The first layer of every connection: its first bytes say what it carries, on any port. A
//! TLS ClientHello starts the TLS layer; the HTTP/2 connection preface (cleartext HTTP/2 with
//! prior knowledge) the HTTP/2 layer; anything else is read as HTTP/1.1 (which a `--decode-as`
//! port turns into WebSocket).
//!
//! An HTTP/2 server may send its SETTINGS before the client's preface arrives: a SETTINGS
//! frame first is held until the other side says whether it speaks HTTP/2.

use super::h2::Http2;
use super::http::Http;
use super::layer::{Context, Layer, Next};
use super::tls::Tls;
use crate::h2;
use crate::tcp::{Close, Dir};
use crate::tls::record;

/// Bytes held from the side that spoke first while it is not known what it speaks: a
/// ClientHello's first 6, the preface's first 16, a server's first SETTINGS frames.
const MAX_HELD: usize = 64 * 1024;

pub(crate) struct Start {
    decode_as: bool,
    /// The first bytes, while too few to tell.
    held: Vec<u8>,
    /// Who sent them.
    first: Option<Dir>,
}

/// What the first bytes say, so far.
enum Verdict {
    Tls,
    /// The sender is an HTTP/2 client.
    Http2,
    /// An HTTP/2 server's SETTINGS: it depends on what the other side sends.
    Settings,
    Undecided,
    Http,
}

fn judge(seen: &[u8]) -> Verdict {
    match record::starts_client_hello(seen) {
        Some(true) => return Verdict::Tls,
        None => return Verdict::Undecided,
        Some(false) => {}
    }
    let preface = b"PRI * HTTP/2.0\r\n";
    let n = seen.len().min(preface.len());
    if seen[..n] == preface[..n] {
        return if h2::is_preface(seen) {
            Verdict::Http2
        } else {
            Verdict::Undecided
        };
    }
    // A SETTINGS frame on stream 0 without flags, of whole 6-byte settings (RFC 9113 §6.5).
    match seen {
        [l0, l1, l2, 4, 0, 0, 0, 0, 0, ..] => {
            let len = u32::from_be_bytes([0, *l0, *l1, *l2]);
            if len.is_multiple_of(6) && len <= 16384 {
                Verdict::Settings
            } else {
                Verdict::Http
            }
        }
        _ if seen.len() < 9 && seen.get(3).is_none_or(|t| *t == 4) => Verdict::Undecided,
        _ => Verdict::Http,
    }
}

impl Start {
    pub(crate) fn new(decode_as: bool) -> Start {
        Start {
            decode_as,
            held: Vec::new(),
            first: None,
        }
    }

    fn http(&self) -> Box<dyn Layer> {
        Box::new(Http::new(self.decode_as))
    }

    /// Hands the connection to `next`: first the bytes held, then `then` (the bytes or the gap
    /// that decided), unless `next` handed the connection on or gave it up meanwhile.
    fn go(
        &mut self,
        mut next: Box<dyn Layer>,
        cx: &mut Context<'_>,
        then: impl FnOnce(&mut dyn Layer, &mut Context<'_>),
    ) {
        if let Some(first) = self.first {
            let held = std::mem::take(&mut self.held);
            if !held.is_empty() {
                next.feed(first, &held, cx);
            }
        }
        if matches!(cx.next, Next::Stay) {
            then(next.as_mut(), cx);
        }
        if matches!(cx.next, Next::Stay) {
            cx.hand_over(next);
        }
    }
}

impl Layer for Start {
    fn feed(&mut self, dir: Dir, bytes: &[u8], cx: &mut Context<'_>) {
        if self.first.is_some_and(|f| f != dir) {
            // The other side answers what the first said: an HTTP/2 client's preface after a
            // server's SETTINGS makes it HTTP/2; anything else is HTTP/1.1 (a TLS client sends
            // its whole ClientHello before the server says anything).
            let next: Box<dyn Layer> = match judge(&self.held) {
                Verdict::Settings if h2::is_preface(bytes) => Box::new(Http2::new(dir)),
                _ => self.http(),
            };
            self.go(next, cx, |l, cx| l.feed(dir, bytes, cx));
            return;
        }
        self.first = Some(dir);
        let seen: &[u8] = if self.held.is_empty() {
            bytes
        } else {
            self.held.extend_from_slice(bytes);
            &self.held
        };
        let next: Box<dyn Layer> = match judge(seen) {
            Verdict::Tls => Box::new(Tls::new(dir, self.decode_as, cx)),
            Verdict::Http2 => Box::new(Http2::new(dir)),
            Verdict::Http => self.http(),
            Verdict::Undecided | Verdict::Settings if seen.len() <= MAX_HELD => {
                if self.held.is_empty() {
                    self.held.extend_from_slice(bytes);
                }
                return;
            }
            Verdict::Undecided | Verdict::Settings => self.http(),
        };
        if self.held.is_empty() {
            self.go(next, cx, |l, cx| l.feed(dir, bytes, cx));
        } else {
            self.go(next, cx, |_, _| {});
        }
    }

    fn gap(&mut self, dir: Dir, len: u64, cx: &mut Context<'_>) {
        // The first bytes are missing: HTTP's handling of a gap is the one that fits.
        let http = self.http();
        self.go(http, cx, |l, cx| l.gap(dir, len, cx));
    }

    fn finish(&mut self, how: Close, cx: &mut Context<'_>) {
        // A connection that said too little to tell: what it said is HTTP's to judge.
        if self.first.is_some() {
            let http = self.http();
            self.go(http, cx, |l, cx| l.finish(how, cx));
        }
    }

    fn buffered(&self) -> usize {
        self.held.len()
    }
}
