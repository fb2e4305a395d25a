//! NDJSON: one object per event, the schema documented in README.md. Field names are a
//! contract: fields may be added, never renamed.

use std::io::{self, Write};

use crate::model::{Event, Tls, TlsWhat};
use crate::vocab::Timestamp;
use crate::ws::Problem;

pub struct Json<W: Write> {
    out: W,
    line: Vec<u8>,
    /// Flush after every line (live capture piped into another program).
    flush_lines: bool,
}

impl<W: Write> Json<W> {
    pub fn new(out: W, flush_lines: bool) -> Self {
        Json {
            out,
            line: Vec::with_capacity(4096),
            flush_lines,
        }
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl<W: Write> super::Sink for Json<W> {
    fn event(&mut self, ev: &Event) -> io::Result<()> {
        if let Event::TlsRecord(_) = ev {
            // For the views that show a frame's records; no line of its own.
            return Ok(());
        }
        let mut o = Obj::new(&mut self.line);
        match ev {
            Event::TlsRecord(_) => {}
            Event::Connection(c) => {
                o.str("type", "connection");
                o.num("conn", c.conn.0);
                o.ts("ts", c.ts);
                o.display("client", &c.client);
                o.display("server", &c.server);
                o.str("detected", c.detected.name());
                let h = c.handshake.as_ref();
                o.opt_str("path", h.map(|h| h.path.as_str()));
                o.opt_str("host", h.and_then(|h| h.host.as_deref()));
                o.opt_str("key", h.and_then(|h| h.key.as_deref()));
                o.opt_str("accept", h.and_then(|h| h.accept.as_deref()));
                match h {
                    // RFC 8441 has no key and no accept to check.
                    Some(h) if c.http2_stream.is_none() => o.bool("accept_valid", h.accept_valid),
                    _ => o.null("accept_valid"),
                }
                o.opt_str("subprotocol", h.and_then(|h| h.subprotocol.as_deref()));
                o.opt_str("extensions", h.and_then(|h| h.extensions.as_deref()));
                match &c.tls {
                    Some(t) => {
                        o.key("tls");
                        tls_fields(o.buf, t, |_| {});
                    }
                    None => o.null("tls"),
                }
                match c.http2_stream {
                    Some(id) => o.num("http2_stream", id),
                    None => o.null("http2_stream"),
                }
                o.num("packet", c.packet.0);
            }
            Event::Tls(n) => {
                o.str("type", "tls");
                match n.conn {
                    Some(c) => o.num("conn", c.0),
                    None => o.null("conn"),
                }
                o.ts("ts", n.ts);
                o.display("client", &n.client);
                o.display("server", &n.server);
                o.opt_str("sni", n.tls.sni.as_deref());
                o.opt_str("version", n.tls.version_name().as_deref());
                o.opt_str("cipher", n.tls.cipher_name().as_deref());
                o.opt_str("alpn", n.tls.alpn.as_deref());
                o.bool("resumed", n.tls.resumed);
                match &n.what {
                    TlsWhat::Undecryptable(why) => {
                        o.bool("decrypted", false);
                        o.display("reason", why);
                    }
                    TlsWhat::Alert { from, alert } => {
                        o.bool("decrypted", n.tls.decrypted);
                        o.key("alert");
                        let mut a = Obj::new(o.buf);
                        a.str("from", from.name());
                        a.str("level", alert.level_name());
                        a.str("description", alert.description_name());
                        a.num("code", alert.description);
                        a.close();
                    }
                }
                o.num("packet", n.packet.0);
            }
            Event::Rejected(r) => {
                o.str("type", "rejected");
                o.ts("ts", r.ts);
                o.display("client", &r.client);
                o.display("server", &r.server);
                o.str("path", &r.path);
                o.num("status", r.status);
                o.str("reason", &r.reason);
                o.num("packet", r.packet.0);
            }
            Event::Http(h) => {
                o.str("type", "http");
                o.ts("ts", h.ts);
                o.display("client", &h.client);
                o.display("server", &h.server);
                o.str("method", &h.method);
                o.str("path", &h.path);
                o.num("status", h.status);
                o.str("reason", &h.reason);
                o.num("packet", h.packet.0);
            }
            Event::Frame(f) => {
                let h = &f.header;
                o.str("type", "frame");
                o.num("conn", f.conn.0);
                o.num("n", f.n);
                o.ts("ts", f.ts);
                o.str("from", f.from.name());
                o.bool("fin", h.fin);
                o.bool("rsv1", h.rsv1);
                o.bool("rsv2", h.rsv2);
                o.bool("rsv3", h.rsv3);
                o.num("opcode", h.opcode.to_u8());
                o.bool("masked", h.mask.is_some());
                match h.mask {
                    Some(key) => o.hex("mask_key", &key),
                    None => o.null("mask_key"),
                }
                o.num("payload_len", h.len);
                o.num("header_len", h.header_len);
                o.hex("payload", &f.payload);
                o.bool("truncated", f.truncated);
                o.problems(&f.problems);
                let (first, last) = f.packets;
                o.num("packet_first", first.0);
                o.num("packet_last", last.0);
            }
            Event::Message(m) => {
                o.str("type", "message");
                o.num("conn", m.conn.0);
                o.ts("ts", m.ts);
                o.str("from", m.from.name());
                o.num("opcode", m.opcode.to_u8());
                o.key("frames");
                o.buf.push(b'[');
                for (i, n) in m.frames.iter().enumerate() {
                    if i > 0 {
                        o.buf.push(b',');
                    }
                    o.buf
                        .extend_from_slice(itoa::Buffer::new().format(*n).as_bytes());
                }
                o.buf.push(b']');
                o.bool("compressed", m.compressed);
                o.num("len", m.data.len());
                o.hex("data", &m.data);
                if let Some(text) = m.text() {
                    o.str("text", text);
                }
                match m.close_code {
                    Some(code) => o.num("close_code", code),
                    None => o.null("close_code"),
                }
                o.opt_str("close_reason", m.close_reason.as_deref());
                o.problems(&m.problems);
            }
            Event::Gap(g) => {
                o.str("type", "gap");
                o.num("conn", g.conn.0);
                o.str("from", g.from.name());
                o.ts("ts", g.ts);
                o.num("bytes", g.bytes);
                o.num("packet", g.packet.0);
            }
            Event::Anomaly(a) => {
                o.str("type", "anomaly");
                o.str("layer", a.layer.name());
                o.ts("ts", a.ts);
                o.num("packet", a.packet.0);
                o.num("offset", a.offset);
                if let Some((src, dst)) = &a.endpoints {
                    o.display("src", src);
                    o.display("dst", dst);
                }
                o.str("reason", &a.reason);
            }
            Event::End(e) => {
                o.str("type", "end");
                o.num("conn", e.conn.0);
                o.ts("ts", e.ts);
                o.str("how", e.how.name());
                o.num("packet", e.packet.0);
            }
        }
        o.close();
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        self.line.clear();
        if self.flush_lines {
            self.out.flush()?;
        }
        Ok(())
    }
}

/// The `tls` object of a connection: what its hellos said and whether it was decrypted.
fn tls_fields(buf: &mut Vec<u8>, t: &Tls, more: impl FnOnce(&mut Obj<'_>)) {
    let mut o = Obj::new(buf);
    o.opt_str("version", t.version_name().as_deref());
    o.opt_str("cipher", t.cipher_name().as_deref());
    o.opt_str("sni", t.sni.as_deref());
    o.opt_str("alpn", t.alpn.as_deref());
    o.bool("resumed", t.resumed);
    o.bool("decrypted", t.decrypted);
    more(&mut o);
    o.close();
}

/// Writes one JSON object field by field into a reused buffer.
struct Obj<'a> {
    buf: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(buf: &'a mut Vec<u8>) -> Self {
        buf.push(b'{');
        Obj { buf, first: true }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.buf.push(b'"');
        self.buf.extend_from_slice(k.as_bytes());
        self.buf.extend_from_slice(b"\":");
    }

    fn str(&mut self, k: &str, v: &str) {
        self.key(k);
        // serde_json escapes exactly what JSON requires; writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *self.buf, v);
    }

    fn opt_str(&mut self, k: &str, v: Option<&str>) {
        match v {
            Some(v) => self.str(k, v),
            None => self.null(k),
        }
    }

    fn display(&mut self, k: &str, v: &dyn std::fmt::Display) {
        self.str(k, &v.to_string());
    }

    fn num<N: itoa::Integer>(&mut self, k: &str, v: N) {
        self.key(k);
        self.buf
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
    }

    fn bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    fn null(&mut self, k: &str) {
        self.key(k);
        self.buf.extend_from_slice(b"null");
    }

    /// A number with the capture's full precision, not rounded through a float.
    fn ts(&mut self, k: &str, ts: Timestamp) {
        self.key(k);
        use std::io::Write;
        let _ = write!(self.buf, "{ts}");
    }

    fn hex(&mut self, k: &str, bytes: &[u8]) {
        self.key(k);
        self.buf.push(b'"');
        let start = self.buf.len();
        self.buf.resize(start + bytes.len() * 2, 0);
        // The buffer was sized for exactly two digits per byte.
        let _ = hex::encode_to_slice(bytes, &mut self.buf[start..]);
        self.buf.push(b'"');
    }

    fn problems(&mut self, problems: &[Problem]) {
        self.key("problems");
        self.buf.push(b'[');
        for (i, p) in problems.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            self.buf.push(b'"');
            self.buf.extend_from_slice(p.name().as_bytes());
            self.buf.push(b'"');
        }
        self.buf.push(b']');
    }

    fn close(self) {
        self.buf.push(b'}');
    }
}
