//! The details of one selected row: a field tree as Wireshark draws it, each field knowing the
//! bytes it came from, and those bytes themselves (as on the wire, and unmasked).
//!
//! Built only for the row the user selects, never for the whole list.

use std::ops::Range;

use crate::model::{Frame, Gap, Message};
use crate::present::escape_plain;
use crate::present::hex;
use crate::present::time::utc;
use crate::present::words::{CloseCode, direction};
use crate::vocab::{Opcode, PacketNo};
use crate::ws::{Field as HeaderField, LengthForm};

use crate::index::{Store, Unreadable};

/// One line of the field tree.
pub(crate) struct Field {
    pub(crate) depth: u8,
    pub(crate) text: String,
    /// Bytes of [`Details::wire`] this field was read from.
    pub(crate) bytes: Option<Range<usize>>,
    /// A problem line: drawn so that it stands out without colour too (it starts with `!`).
    pub(crate) problem: bool,
}

#[derive(Default)]
pub(crate) struct Details {
    pub(crate) fields: Vec<Field>,
    /// The frame as it crossed the wire: header, then the masked payload. For a message, its
    /// final (joined, inflated) bytes.
    pub(crate) wire: Vec<u8>,
    /// The same bytes with the payload unmasked (equal to `wire` when nothing is masked).
    pub(crate) unmasked: Vec<u8>,
    /// Where the header ends in `wire` (0 for a message).
    pub(crate) header_len: usize,
    /// Where a masked frame's masking key sits in `wire`.
    pub(crate) mask_key: Option<Range<usize>>,
    /// For a frame of a compressed message: the message's inflated bytes.
    pub(crate) inflated: Option<Vec<u8>>,
    /// Why bytes this row has are missing from `wire` or `inflated`: they could not be read
    /// back. Shown with the bytes, so that no one takes them for an empty payload.
    pub(crate) unreadable: Option<String>,
}

impl Details {
    fn line(&mut self, depth: u8, text: String, bytes: Option<Range<usize>>) {
        self.fields.push(Field {
            depth,
            text,
            bytes,
            problem: false,
        });
    }

    /// A problem line saying why bytes are missing, and the same words for the bytes pane.
    fn unreadable(&mut self, depth: u8, e: &Unreadable) {
        self.fields.push(Field {
            depth,
            text: format!("! {e}"),
            bytes: None,
            problem: true,
        });
        self.unreadable.get_or_insert_with(|| format!("({e})"));
    }

    fn problems(&mut self, problems: &[crate::ws::Problem]) {
        if problems.is_empty() {
            return;
        }
        self.line(0, format!("Problems ({})", problems.len()), None);
        for p in problems {
            self.fields.push(Field {
                depth: 1,
                text: format!("! {}: {}", p.name(), p.describe()),
                bytes: None,
                problem: true,
            });
        }
    }
}

/// `8` or `12–15 (4 packets)`.
fn packets((first, last): (PacketNo, PacketNo)) -> String {
    if first == last {
        format!("{last}")
    } else {
        format!(
            "{first}–{last} ({} packets)",
            last.0.saturating_sub(first.0) + 1
        )
    }
}

/// Bits of one header byte as Wireshark writes them: `1... ....` with the field's bits shown
/// and the others dotted.
fn bits(byte: u8, mask: u8) -> String {
    let mut s = String::with_capacity(9);
    for i in (0..8).rev() {
        if i == 3 {
            s.push(' ');
        }
        if mask & (1 << i) == 0 {
            s.push('.');
        } else if byte & (1 << i) != 0 {
            s.push('1');
        } else {
            s.push('0');
        }
    }
    s
}

/// `lost`: why the payload is not in `f`, if it could not be read back.
pub(crate) fn frame(store: &Store, index: u32, f: &Frame, lost: Option<&Unreadable>) -> Details {
    let mut d = Details::default();
    let h = &f.header;
    h.encode(&mut d.wire);
    let hl = d.wire.len();
    d.header_len = hl;
    d.unmasked = d.wire.clone();
    d.unmasked.extend_from_slice(&f.payload);
    d.wire.extend_from_slice(&f.payload);
    if let Some(key) = h.mask {
        // XOR is its own inverse: masking the unmasked payload again gives the wire bytes.
        crate::ws::unmask(&mut d.wire[hl..], key, 0);
    }
    let start = store.first_ts.unwrap_or(f.ts);
    d.line(
        0,
        format!(
            "Frame {} of connection #{}, {}",
            f.n,
            f.conn,
            direction(f.from)
        ),
        Some(0..d.wire.len()),
    );
    d.line(1, format!("Capture packets: {}", packets(f.packets)), None);
    tls_records(&mut d, store, index, f);
    d.line(
        1,
        format!("Time: {} (+{:.6} s)", utc(f.ts), f.ts.since(start)),
        None,
    );
    match store.message_of(index) {
        Some(m) => {
            let part = m.frames.iter().position(|n| *n == f.n).map_or(0, |p| p + 1);
            let text = if m.frames.len() == 1 {
                "Message: this frame alone".to_owned()
            } else {
                format!(
                    "Message: fragment {part} of {} (frames {})",
                    m.frames.len(),
                    join(&m.frames)
                )
            };
            d.line(1, text, None);
        }
        None => d.line(1, "Message: not complete in the capture".into(), None),
    }

    d.line(0, format!("Header: {hl} bytes"), Some(0..hl));
    let flag = |on: bool| if on { "set" } else { "not set" };
    // One line per field, in wire order, each read from the bytes and bits the layout gives.
    for span in h.layout() {
        let bytes = &d.wire[span.bytes.clone()];
        let on = bytes[0] & span.bits != 0;
        // Wireshark's `1... ....`, for the fields within one byte.
        let shown = || bits(bytes[0], span.bits);
        let text = match span.field {
            HeaderField::Fin => format!(
                "{} = FIN: {on} ({})",
                shown(),
                if on { "final" } else { "more follow" }
            ),
            HeaderField::Rsv1 if on => {
                format!("{} = RSV1: set: compressed (permessage-deflate)", shown())
            }
            HeaderField::Rsv1 | HeaderField::Rsv2 | HeaderField::Rsv3 => {
                format!("{} = {}: {}", shown(), span.field.name(), flag(on))
            }
            HeaderField::Opcode => format!(
                "{} = Opcode: {} ({})",
                shown(),
                h.opcode.to_u8(),
                h.opcode.name()
            ),
            HeaderField::Mask => format!(
                "{} = MASK: {}",
                shown(),
                if on {
                    "set (payload is masked)"
                } else {
                    "not set"
                }
            ),
            HeaderField::PayloadLen => {
                let len_text = match h.length_form {
                    LengthForm::Short => format!("{}", bytes[0] & span.bits),
                    LengthForm::Medium => "126: a 16-bit length follows".to_owned(),
                    LengthForm::Long => "127: a 64-bit length follows".to_owned(),
                };
                format!("{} = Payload length: {len_text}", shown())
            }
            HeaderField::ExtendedPayloadLen => format!(
                "Extended payload length ({} bits): {}",
                bytes.len() * 8,
                h.len
            ),
            HeaderField::MaskingKey => format!("Masking key: {}", hex::spaced(bytes)),
        };
        d.line(1, text, Some(span.bytes));
    }
    d.mask_key = h.bytes_of(HeaderField::MaskingKey);

    let have = f.payload.len() as u64;
    let mut payload_head = format!("Payload: {} bytes", h.len);
    if have < h.len {
        payload_head.push_str(&format!(" ({have} in the capture)"));
    }
    d.line(0, payload_head, Some(hl..d.wire.len()));
    if h.mask.is_some() {
        d.line(
            1,
            "Unmasked: byte i XOR masking key[i mod 4]".to_owned(),
            Some(hl..d.wire.len()),
        );
    }
    if let Some(e) = lost {
        d.unreadable(1, e);
    }
    let inflated = store.inflated_of(index);
    match &inflated {
        Some(Ok(data)) if h.rsv1 => {
            d.line(
                1,
                format!(
                    "Compressed: {} bytes on the wire inflate to {} bytes (the whole message)",
                    have,
                    data.len()
                ),
                Some(hl..d.wire.len()),
            );
            preview_line(&mut d, 1, Opcode::Text, data);
        }
        Some(Ok(_)) => d.line(
            1,
            "Part of a compressed message: see the message for its inflated text".into(),
            Some(hl..d.wire.len()),
        ),
        Some(Err(e)) => d.unreadable(1, e),
        None if lost.is_none() => preview_line(&mut d, 1, h.opcode, &f.payload),
        None => {}
    }
    d.inflated = inflated.and_then(Result::ok);
    d.problems(&f.problems);
    d
}

/// The TLS records a wss frame's bytes came in, each with the part of its plaintext that is this
/// frame's; selecting one shows those bytes of the frame. None for WebSocket over HTTP/2: its
/// records decrypt to HTTP/2 frames, whose DATA carries the WebSocket bytes at offsets of their
/// own, so they are not kept (see `model::TlsRecord`).
fn tls_records(d: &mut Details, store: &Store, index: u32, f: &Frame) {
    let records = store.records_of(index);
    let (Some(first), Some(last)) = (records.first(), records.last()) else {
        return;
    };
    // A record's part of this frame: in the frame's bytes at hand (a payload may be cut
    // short), and in the record's plaintext.
    let have = d.wire.len();
    let frame_end = f.offset + u64::from(f.header.header_len) + f.header.len;
    let part = |r: &crate::model::TlsRecord| {
        let start = r.plain.0.max(f.offset);
        let end = r.plain.1.min(frame_end).max(start + 1);
        let at = |o: u64| usize::try_from(o - f.offset).map_or(have, |i| i.min(have));
        let in_record = format!(
            "bytes {}–{} of its plaintext",
            start - r.plain.0,
            end - 1 - r.plain.0
        );
        (at(start)..at(end), in_record)
    };
    // The sender is the frame's, said on the line above: the line fits a zoomed 80 columns.
    if records.len() == 1 {
        let (bytes, of_it) = part(first);
        d.line(
            1,
            format!(
                "TLS record {} ({} bytes, packet {}): {of_it}",
                first.number,
                first.len(),
                packets(first.packets)
            ),
            Some(bytes),
        );
        return;
    }
    let sizes = if records.len() == 2 {
        format!("{} + {} bytes", first.len(), last.len())
    } else {
        let total: usize = records.iter().map(|r| r.len()).sum();
        format!("{} records, {total} bytes", records.len())
    };
    d.line(
        1,
        format!(
            "TLS records {}–{} ({sizes}, packet {})",
            first.number,
            last.number,
            packets((first.packets.0, last.packets.1))
        ),
        Some(0..have),
    );
    const SHOWN: usize = 4;
    for r in records.iter().take(SHOWN) {
        let (bytes, of_it) = part(r);
        d.line(
            2,
            format!(
                "Record {} ({} bytes, packet {}): {of_it}",
                r.number,
                r.len(),
                packets(r.packets)
            ),
            Some(bytes),
        );
    }
    if records.len() > SHOWN {
        d.line(2, format!("… {} more", records.len() - SHOWN), None);
    }
}

/// `lost`: why the bytes are not in `m`, if they could not be read back.
pub(crate) fn message(m: &Message, lost: Option<&Unreadable>) -> Details {
    let mut d = Details {
        wire: m.data.clone(),
        unmasked: m.data.clone(),
        ..Details::default()
    };
    d.line(
        0,
        format!("Message of connection #{}, {}", m.conn, direction(m.from)),
        None,
    );
    d.line(1, format!("Time: {} (last frame)", utc(m.ts)), None);
    d.line(
        1,
        format!("Opcode: {} ({})", m.opcode.to_u8(), m.opcode.name()),
        None,
    );
    d.line(
        1,
        format!(
            "Frames: {} ({} frame{})",
            join(&m.frames),
            m.frames.len(),
            if m.frames.len() == 1 { "" } else { "s" }
        ),
        None,
    );
    let mut len = format!("Length: {} bytes", m.data.len());
    if m.compressed {
        len.push_str(" after inflating (permessage-deflate)");
    }
    d.line(1, len, Some(0..m.data.len()));
    if let Some(e) = lost {
        d.unreadable(1, e);
    } else if let Some(code) = m.close_code {
        d.line(
            1,
            format!("Close code: {}", CloseCode(code)),
            Some(0..2.min(m.data.len())),
        );
        let mut reason = String::from("Close reason: \"");
        escape_plain(
            m.close_reason.as_deref().unwrap_or("").as_bytes(),
            200,
            &mut reason,
        );
        reason.push('"');
        d.line(1, reason, Some(2.min(m.data.len())..m.data.len()));
    } else {
        preview_line(&mut d, 1, m.opcode, &m.data);
    }
    d.problems(&m.problems);
    d
}

pub(crate) fn gap(g: &Gap) -> Details {
    let mut d = Details::default();
    d.line(
        0,
        format!("Gap in connection #{}, {}", g.conn, direction(g.from)),
        None,
    );
    d.line(
        1,
        format!("{} bytes are missing from the capture", g.bytes),
        None,
    );
    d.line(1, format!("Noticed at capture packet {}", g.packet), None);
    d.line(1, format!("Time: {}", utc(g.ts)), None);
    d.fields.push(Field {
        depth: 1,
        text: "! the peer acknowledged bytes that the capture does not hold (lost by the capture, or cut by the snapshot length)".into(),
        bytes: None,
        problem: true,
    });
    d
}

fn preview_line(d: &mut Details, depth: u8, opcode: Opcode, data: &[u8]) {
    let range = Some(d.header_len..d.header_len + data.len().min(d.wire.len() - d.header_len));
    match opcode {
        Opcode::Close => match data {
            [a, b, reason @ ..] => {
                let code = u16::from_be_bytes([*a, *b]);
                let mut s = format!("Close code: {}, reason \"", CloseCode(code));
                escape_plain(reason, 200, &mut s);
                s.push('"');
                d.line(depth, s, range);
            }
            [] => d.line(depth, "No close code".into(), None),
            _ => d.line(depth, "Close payload of 1 byte: no code".into(), range),
        },
        Opcode::Binary => d.line(depth, "Binary data (see the bytes)".into(), range),
        _ if data.is_empty() => d.line(depth, "Empty".into(), None),
        _ => {
            let mut s = String::from("Text: \"");
            escape_plain(data, 200, &mut s);
            s.push('"');
            d.line(depth, s, range);
        }
    }
}

fn join(ns: &[u64]) -> String {
    let mut s = String::new();
    for (i, n) in ns.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        if i == 8 && ns.len() > 10 {
            s.push_str(&format!("… {} more", ns.len() - 8));
            break;
        }
        s.push_str(&n.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_drawn_as_wireshark_does() {
        assert_eq!(bits(0x81, 0x80), "1... ....");
        assert_eq!(bits(0x81, 0x0f), ".... 0001");
        assert_eq!(bits(0x94, 0x7f), ".001 0100");
    }
}
