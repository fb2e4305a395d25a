//! One line per event, like tshark: packet number, time since the first packet, direction,
//! connection, opcode, flags, masking key, length, payload preview. Problems get their own
//! indented lines.

use std::io::{self, Write};

use crate::model::{EndHow, Event, Frame, Layer, Message, Tls, TlsWhat};
use crate::present::preview::{self, Room, preview};
use crate::present::words::direction;
use crate::present::{self, escape_text};
use crate::vocab::{ConnId, Opcode, PacketNo, Timestamp};
use crate::ws::Problem;

pub struct Text<W: Write> {
    out: W,
    start: Option<Timestamp>,
    line: String,
    flush_lines: bool,
}

impl<W: Write> Text<W> {
    pub fn new(out: W, flush_lines: bool) -> Self {
        Text {
            out,
            start: None,
            line: String::with_capacity(256),
            flush_lines,
        }
    }

    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn lead(&mut self, packet: PacketNo, ts: Timestamp, conn: Option<ConnId>) {
        use std::fmt::Write;
        let start = *self.start.get_or_insert(ts);
        let rel = ts.since(start);
        let _ = write!(self.line, "{packet:>6} {rel:>11.6} ");
        conn_column(&mut self.line, conn);
    }

    fn problem_lines(&mut self, problems: &[Problem]) {
        use std::fmt::Write;
        for p in problems {
            let _ = writeln!(self.line, "{:>24}! {}: {}", "", p.name(), p.describe());
        }
    }
}

/// `#N` padded to 4 columns (blank without a connection), without a temporary string.
fn conn_column(line: &mut String, conn: Option<ConnId>) {
    use std::fmt::Write;
    let start = line.len();
    if let Some(c) = conn {
        let _ = write!(line, "#{c}");
    }
    let used = line.len() - start;
    line.extend(std::iter::repeat_n(' ', 4usize.saturating_sub(used)));
}

impl<W: Write> super::Sink for Text<W> {
    fn first_packet(&mut self, ts: Timestamp) {
        self.start.get_or_insert(ts);
    }

    fn event(&mut self, ev: &Event) -> io::Result<()> {
        use std::fmt::Write;
        self.line.clear();
        match ev {
            // For the views that show a frame's records; no line of its own.
            Event::TlsRecord(_) => return Ok(()),
            Event::Connection(c) => {
                self.lead(c.packet, c.ts, Some(c.conn));
                let _ = write!(self.line, "{} → {} ", c.client, c.server);
                match &c.handshake {
                    Some(h) => {
                        if let Some(stream) = c.http2_stream {
                            let _ = write!(
                                self.line,
                                "WebSocket over HTTP/2 stream {stream}: CONNECT "
                            );
                            escape_text(h.path.as_bytes(), 80, &mut self.line);
                            // RFC 8441: the stream's 200 is the whole answer.
                            self.line.push_str(" → 200, no key or accept (RFC 8441)");
                        } else {
                            self.line.push_str("WebSocket handshake: GET ");
                            escape_text(h.path.as_bytes(), 80, &mut self.line);
                            self.line.push_str(" → 101 Switching Protocols, accept ");
                            self.line.push_str(match (&h.accept, h.accept_valid) {
                                (None, _) => "missing",
                                (Some(_), true) => "valid",
                                (Some(_), false) => "INVALID",
                            });
                        }
                        if let Some(p) = &h.subprotocol {
                            self.line.push_str(", subprotocol ");
                            escape_text(p.as_bytes(), 40, &mut self.line);
                        }
                        if let Some(e) = &h.extensions {
                            self.line.push_str(", extensions ");
                            escape_text(e.as_bytes(), 80, &mut self.line);
                        }
                    }
                    None => self
                        .line
                        .push_str("WebSocket without handshake in the capture (decode-as)"),
                }
                if let Some(t) = &c.tls {
                    self.line.push_str(", ");
                    tls_words(t, &mut self.line);
                }
                self.line.push('\n');
            }
            Event::Rejected(r) => {
                self.lead(r.packet, r.ts, None);
                let _ = write!(
                    self.line,
                    "{} → {} upgrade REJECTED: GET ",
                    r.client, r.server
                );
                escape_text(r.path.as_bytes(), 80, &mut self.line);
                let _ = write!(self.line, " → {} ", r.status);
                escape_text(r.reason.as_bytes(), 40, &mut self.line);
                self.line.push('\n');
            }
            Event::Http(h) => {
                self.lead(h.packet, h.ts, None);
                let _ = write!(self.line, "{} → {} HTTP ", h.client, h.server);
                escape_text(h.method.as_bytes(), 16, &mut self.line);
                self.line.push(' ');
                escape_text(h.path.as_bytes(), 80, &mut self.line);
                let _ = write!(self.line, " → {}", h.status);
                if !h.reason.is_empty() {
                    self.line.push(' ');
                    escape_text(h.reason.as_bytes(), 40, &mut self.line);
                }
                self.line.push_str(" (no upgrade)\n");
            }
            Event::Frame(f) => {
                self.lead(f.packets.1, f.ts, Some(f.conn));
                frame_line(f, &mut self.line);
                self.line.push('\n');
                self.problem_lines(&f.problems);
            }
            Event::Message(m) => {
                // A message that is one plain frame says nothing its frame line did not.
                let worth_a_line = m.frames.len() > 1 || m.compressed || !m.problems.is_empty();
                if !worth_a_line {
                    return Ok(());
                }
                self.line.push_str("                   ");
                conn_column(&mut self.line, Some(m.conn));
                let _ = write!(self.line, "└ message: {} ", direction(m.from));
                message_summary(m, &mut self.line);
                self.line.push('\n');
                self.problem_lines(&m.problems);
            }
            Event::Tls(n) => {
                self.lead(n.packet, n.ts, n.conn);
                let _ = write!(self.line, "{} → {} ", n.client, n.server);
                match &n.what {
                    TlsWhat::Undecryptable(why) => {
                        self.line.push_str("! TLS NOT DECRYPTED (");
                        tls_words(&n.tls, &mut self.line);
                        let _ = write!(self.line, "): {why}.");
                        if let Some(hint) = present::tls::hint(why) {
                            self.line.push(' ');
                            self.line.push_str(hint);
                        }
                    }
                    TlsWhat::Alert { from, alert } => {
                        let _ = write!(self.line, "TLS alert from the {}: {alert}", from.name());
                    }
                }
                self.line.push('\n');
            }
            Event::Gap(g) => {
                self.lead(g.packet, g.ts, Some(g.conn));
                let _ = write!(self.line, "{} ", direction(g.from));
                preview::gap(g.bytes, &mut self.line);
                self.line.push('\n');
            }
            Event::Anomaly(a) => {
                self.lead(a.packet, a.ts, None);
                if let Some((src, dst)) = &a.endpoints {
                    let _ = write!(self.line, "{src} → {dst} ");
                }
                let at = match a.layer {
                    Layer::Http | Layer::Http2 | Layer::Tls => "stream byte",
                    Layer::Link | Layer::Ip | Layer::Tcp => "packet byte",
                };
                let _ = write!(
                    self.line,
                    "! {} anomaly at {at} {}: ",
                    a.layer.name().to_ascii_uppercase(),
                    a.offset
                );
                escape_text(a.reason.as_bytes(), usize::MAX, &mut self.line);
                self.line.push('\n');
            }
            Event::End(e) => {
                self.lead(e.packet, e.ts, Some(e.conn));
                self.line.push_str(match e.how {
                    EndHow::Fin => "connection closed (FIN)\n",
                    EndHow::Rst => "connection reset (RST)\n",
                    EndHow::Eof => "connection still open when the capture ended\n",
                    EndHow::Evicted => {
                        "connection no longer followed: evicted to stay within bounds (see the note at the end)\n"
                    }
                });
            }
        }
        self.out.write_all(self.line.as_bytes())?;
        if self.flush_lines {
            self.out.flush()?;
        }
        Ok(())
    }
}

/// "TLS 1.3 TLS_AES_128_GCM_SHA256, SNI example.com, ALPN http/1.1, resumed".
fn tls_words(t: &Tls, line: &mut String) {
    line.push_str("TLS ");
    line.push_str(t.version_name().as_deref().unwrap_or("(version unknown)"));
    if let Some(c) = t.cipher_name() {
        line.push(' ');
        line.push_str(&c);
    }
    if let Some(sni) = &t.sni {
        line.push_str(", SNI ");
        escape_text(sni.as_bytes(), 80, line);
    }
    if let Some(alpn) = &t.alpn {
        line.push_str(", ALPN ");
        escape_text(alpn.as_bytes(), 20, line);
    }
    if t.resumed {
        line.push_str(", resumed");
    }
}

fn frame_line(f: &Frame, line: &mut String) {
    use std::fmt::Write;
    let h = &f.header;
    let _ = write!(line, "{} {:<12} ", direction(f.from), h.opcode.name());
    // Flags and key in fixed-width columns, written straight into the line.
    let flags_start = line.len();
    for (on, name) in [
        (h.fin, "FIN"),
        (h.rsv1, "RSV1"),
        (h.rsv2, "RSV2"),
        (h.rsv3, "RSV3"),
    ] {
        if on {
            if line.len() > flags_start {
                line.push(',');
            }
            line.push_str(name);
        }
    }
    let flags_len = line.len() - flags_start;
    line.extend(std::iter::repeat_n(
        ' ',
        9usize.saturating_sub(flags_len).max(1),
    ));
    match h.mask {
        Some(k) => {
            let _ = write!(
                line,
                "mask {:02x}{:02x}{:02x}{:02x} ",
                k[0], k[1], k[2], k[3]
            );
        }
        None => line.push_str("              "),
    }
    let _ = write!(line, "len {:>6} ", h.len);
    if h.rsv1 && h.opcode != Opcode::Continuation && h.opcode.is_data() {
        preview::compressed(f.payload.len(), line);
    } else if h.opcode == Opcode::Continuation && f.payload.is_empty() {
        // nothing to preview
    } else {
        preview(h.opcode, &f.payload, Room::LINE, line);
    }
}

fn message_summary(m: &Message, line: &mut String) {
    use std::fmt::Write;
    let _ = write!(
        line,
        "{} of {} frame{}",
        m.opcode.name(),
        m.frames.len(),
        if m.frames.len() == 1 { "" } else { "s" }
    );
    if m.compressed {
        line.push_str(", inflated");
    }
    let _ = write!(line, ", {} bytes ", m.data.len());
    preview(m.opcode, &m.data, Room::LINE, line);
}
