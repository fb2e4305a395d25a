//! The first layer of every connection: its first bytes say what it carries, on any port. A
//! TLS ClientHello starts the TLS layer; anything else is read as HTTP (which a `--decode-as`
//! port turns into WebSocket).

use super::http::Http;
use super::layer::{Context, Layer, Next};
use super::tls::Tls;
use crate::tcp::{Close, Dir};
use crate::tls::record;

pub(crate) struct Start {
    decode_as: bool,
    /// The first bytes, while too few to tell (a ClientHello's first 6 bytes say what it is).
    held: Vec<u8>,
    /// Who sent them.
    first: Option<Dir>,
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
            // The other side spoke before the first said enough: a TLS client sends its whole
            // ClientHello before the server says anything.
            let http = self.http();
            self.go(http, cx, |l, cx| l.feed(dir, bytes, cx));
            return;
        }
        self.first = Some(dir);
        let seen: &[u8] = if self.held.is_empty() {
            bytes
        } else {
            self.held.extend_from_slice(bytes);
            &self.held
        };
        let next: Box<dyn Layer> = match record::starts_client_hello(seen) {
            None => {
                if self.held.is_empty() {
                    self.held.extend_from_slice(bytes);
                }
                return;
            }
            Some(true) => Box::new(Tls::new(dir, self.decode_as, cx)),
            Some(false) => self.http(),
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

    fn finish(&mut self, _how: Close, _cx: &mut Context<'_>) {}

    fn buffered(&self) -> usize {
        self.held.len()
    }
}
