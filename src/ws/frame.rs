//! The RFC 6455 frame header (section 5.2), parsed from the first 2 to 14 bytes of a frame.

use crate::vocab::Opcode;

/// How the payload length was written on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthForm {
    /// 0..=125 in the 7-bit field.
    Short,
    /// 126 in the 7-bit field, then 16 bits.
    Medium,
    /// 127 in the 7-bit field, then 64 bits.
    Long,
}

impl LengthForm {
    /// Bytes of extended payload length after the first two bytes of the header.
    fn extended_bytes(self) -> usize {
        match self {
            LengthForm::Short => 0,
            LengthForm::Medium => 2,
            LengthForm::Long => 8,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            LengthForm::Short => 7,
            LengthForm::Medium => 16,
            LengthForm::Long => 64,
        }
    }
}

/// A field of the frame header (RFC 6455 section 5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    Fin,
    Rsv1,
    Rsv2,
    Rsv3,
    Opcode,
    Mask,
    /// The 7-bit length, or 126/127 saying which extended length follows.
    PayloadLen,
    /// 16 or 64 bits, only when the 7-bit length is 126 or 127.
    ExtendedPayloadLen,
    /// Only when MASK is set.
    MaskingKey,
}

impl Field {
    /// The name RFC 6455's diagram gives it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Field::Fin => "FIN",
            Field::Rsv1 => "RSV1",
            Field::Rsv2 => "RSV2",
            Field::Rsv3 => "RSV3",
            Field::Opcode => "opcode",
            Field::Mask => "MASK",
            Field::PayloadLen => "Payload len",
            Field::ExtendedPayloadLen => "Extended payload length",
            Field::MaskingKey => "Masking-key",
        }
    }
}

/// Where one field of a particular header sits: the bytes it occupies and, within a single
/// byte, which bits (`0xff` for fields of whole bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) field: Field,
    pub(crate) bytes: std::ops::Range<usize>,
    pub(crate) bits: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameHeader {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    pub opcode: Opcode,
    pub mask: Option<[u8; 4]>,
    /// Payload length as the header states it; the capture may hold fewer bytes.
    pub len: u64,
    pub length_form: LengthForm,
    /// 2 to 14.
    pub header_len: u8,
}

impl FrameHeader {
    /// Parses a header from the start of `buf`. `None` means more bytes are needed; nothing is
    /// consumed then. A header is always decodable once its bytes are there: what breaks the RFC
    /// is reported by the connection as a [`Problem`](super::Problem), not refused.
    pub fn parse(buf: &[u8]) -> Option<FrameHeader> {
        let [b0, b1, ..] = *buf else { return None };
        let masked = b1 & 0x80 != 0;
        let (len, length_form) = match b1 & 0x7f {
            126 => {
                let bytes: [u8; 2] = buf.get(2..4)?.try_into().ok()?;
                (u64::from(u16::from_be_bytes(bytes)), LengthForm::Medium)
            }
            127 => {
                let bytes: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
                (u64::from_be_bytes(bytes), LengthForm::Long)
            }
            short => (u64::from(short), LengthForm::Short),
        };
        let key_at = 2 + length_form.extended_bytes();
        let mask = if masked {
            Some(buf.get(key_at..key_at + 4)?.try_into().ok()?)
        } else {
            None
        };
        Some(FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            rsv2: b0 & 0x20 != 0,
            rsv3: b0 & 0x10 != 0,
            opcode: Opcode::from_u8(b0),
            mask,
            len,
            length_form,
            header_len: (key_at + if masked { 4 } else { 0 }) as u8,
        })
    }

    /// The fields this header holds, in wire order, each with its bytes and bits: the one
    /// description of the layout that every view of a header reads.
    pub(crate) fn layout(&self) -> Vec<Span> {
        let one = |field, byte: usize, bits| Span {
            field,
            bytes: byte..byte + 1,
            bits,
        };
        let mut spans = vec![
            one(Field::Fin, 0, 0x80),
            one(Field::Rsv1, 0, 0x40),
            one(Field::Rsv2, 0, 0x20),
            one(Field::Rsv3, 0, 0x10),
            one(Field::Opcode, 0, 0x0f),
            one(Field::Mask, 1, 0x80),
            one(Field::PayloadLen, 1, 0x7f),
        ];
        let ext = self.length_form.extended_bytes();
        if ext > 0 {
            spans.push(Span {
                field: Field::ExtendedPayloadLen,
                bytes: 2..2 + ext,
                bits: 0xff,
            });
        }
        if self.mask.is_some() {
            spans.push(Span {
                field: Field::MaskingKey,
                bytes: 2 + ext..6 + ext,
                bits: 0xff,
            });
        }
        spans
    }

    /// The bytes of `field` in this header, if it has it.
    pub(crate) fn bytes_of(&self, field: Field) -> Option<std::ops::Range<usize>> {
        self.layout()
            .into_iter()
            .find(|s| s.field == field)
            .map(|s| s.bytes)
    }

    pub fn is_control(&self) -> bool {
        self.opcode.is_control()
    }

    /// Writes the header exactly as it was on the wire: the same length form (even a
    /// non-minimal one) and the same masking key.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let bit = |on: bool, v: u8| if on { v } else { 0 };
        out.push(
            bit(self.fin, 0x80)
                | bit(self.rsv1, 0x40)
                | bit(self.rsv2, 0x20)
                | bit(self.rsv3, 0x10)
                | self.opcode.to_u8(),
        );
        let mask_bit = bit(self.mask.is_some(), 0x80);
        match self.length_form {
            LengthForm::Short => out.push(mask_bit | (self.len as u8 & 0x7f)),
            LengthForm::Medium => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(self.len as u16).to_be_bytes());
            }
            LengthForm::Long => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&self.len.to_be_bytes());
            }
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
    }

    /// The length was not written in its shortest form (RFC 6455 5.2: "the minimal number of
    /// bytes MUST be used").
    pub fn non_minimal_length(&self) -> bool {
        match self.length_form {
            LengthForm::Short => false,
            LengthForm::Medium => self.len < 126,
            LengthForm::Long => self.len <= 0xffff,
        }
    }
}

/// XORs `payload` with the masking key, `offset` being the position of `payload[0]` within the
/// frame's payload (pieces of one payload arrive in several segments).
pub fn unmask(payload: &mut [u8], key: [u8; 4], offset: u64) {
    // Rotate the key so that index 0 of this piece lines up with key[offset % 4], then work on
    // whole 4-byte words: the compiler vectorises this loop.
    let shift = (offset % 4) as usize;
    let key = [
        key[shift],
        key[(shift + 1) % 4],
        key[(shift + 2) % 4],
        key[(shift + 3) % 4],
    ];
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        for (b, k) in chunk.iter_mut().zip(key) {
            *b ^= k;
        }
    }
    for (b, k) in chunks.into_remainder().iter_mut().zip(key) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_encode_back_to_their_wire_bytes() {
        // RFC 6455 5.7: masked "Hello", a fragment start, a 256-byte and a 64 KiB binary
        // header; and a 16-bit length used for 5 bytes (non-minimal), kept as sent.
        let headers: [&[u8]; 5] = [
            &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d],
            &[0x01, 0x03],
            &[0x82, 0x7e, 0x01, 0x00],
            &[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0],
            &[0x81, 0x7e, 0x00, 0x05],
        ];
        for wire in headers {
            let h = FrameHeader::parse(wire).unwrap();
            let mut out = Vec::new();
            h.encode(&mut out);
            assert_eq!(out, wire);
            assert_eq!(out.len(), usize::from(h.header_len));
        }
    }

    /// RFC 6455 5.7's examples, read through the layout: the masked "Hello" has its key at
    /// bytes 2-5 (37 fa 21 3d); the 256-byte binary its 16-bit length at 2-3 (01 00); the
    /// 64 KiB binary its 64-bit length at 2-9.
    #[test]
    fn layout_points_at_the_bytes_of_each_field() {
        let masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d];
        let h = FrameHeader::parse(&masked).unwrap();
        let key = h.bytes_of(Field::MaskingKey).unwrap();
        assert_eq!(&masked[key], &[0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(h.bytes_of(Field::ExtendedPayloadLen), None);
        let fields: Vec<(&str, u8)> = h
            .layout()
            .iter()
            .filter(|s| s.bytes == (0..1))
            .map(|s| (s.field.name(), masked[0] & s.bits))
            .collect();
        assert_eq!(
            fields,
            [
                ("FIN", 0x80),
                ("RSV1", 0),
                ("RSV2", 0),
                ("RSV3", 0),
                ("opcode", 1)
            ]
        );

        let medium = [0x82, 0x7e, 0x01, 0x00];
        let h = FrameHeader::parse(&medium).unwrap();
        let ext = h.bytes_of(Field::ExtendedPayloadLen).unwrap();
        assert_eq!(&medium[ext], &[0x01, 0x00]);
        assert_eq!(h.bytes_of(Field::MaskingKey), None);

        let long = [0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
        let h = FrameHeader::parse(&long).unwrap();
        assert_eq!(h.bytes_of(Field::ExtendedPayloadLen), Some(2..10));
        // The fields cover the header exactly, each byte once (bit fields share theirs).
        let end = h.layout().iter().map(|s| s.bytes.end).max();
        assert_eq!(end, Some(usize::from(h.header_len)));
    }

    // RFC 6455 section 5.7 examples.
    #[test]
    fn rfc_single_frame_unmasked_text() {
        let wire = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let h = FrameHeader::parse(&wire).unwrap();
        assert!(h.fin && !h.rsv1 && h.mask.is_none());
        assert_eq!((h.opcode, h.len, h.header_len), (Opcode::Text, 5, 2));
        assert_eq!(&wire[2..], b"Hello");
    }

    #[test]
    fn rfc_single_frame_masked_text() {
        let wire = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let h = FrameHeader::parse(&wire).unwrap();
        assert_eq!(h.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
        assert_eq!((h.len, h.header_len), (5, 6));
        let mut payload = wire[6..].to_vec();
        unmask(&mut payload, h.mask.unwrap(), 0);
        assert_eq!(payload, b"Hello");
    }

    #[test]
    fn rfc_fragmented_unmasked_text() {
        let first = FrameHeader::parse(&[0x01, 0x03, 0x48, 0x65, 0x6c]).unwrap();
        let last = FrameHeader::parse(&[0x80, 0x02, 0x6c, 0x6f]).unwrap();
        assert_eq!((first.fin, first.opcode), (false, Opcode::Text));
        assert_eq!((last.fin, last.opcode), (true, Opcode::Continuation));
    }

    #[test]
    fn rfc_ping_and_pong() {
        let ping = FrameHeader::parse(&[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]).unwrap();
        assert_eq!(ping.opcode, Opcode::Ping);
        assert!(ping.is_control());
        let pong = FrameHeader::parse(&[
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ])
        .unwrap();
        assert_eq!(pong.opcode, Opcode::Pong);
        assert!(pong.mask.is_some());
    }

    #[test]
    fn rfc_256_bytes_binary_uses_16_bit_length() {
        let h = FrameHeader::parse(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        assert_eq!(
            (h.len, h.length_form, h.header_len),
            (256, LengthForm::Medium, 4)
        );
        assert!(!h.non_minimal_length());
    }

    #[test]
    fn rfc_64k_binary_uses_64_bit_length() {
        let h = FrameHeader::parse(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap();
        assert_eq!(
            (h.len, h.length_form, h.header_len),
            (65536, LengthForm::Long, 10)
        );
        assert!(!h.non_minimal_length());
    }

    #[test]
    fn longest_header_is_14_bytes_and_huge_lengths_parse_without_allocating() {
        let h = FrameHeader::parse(&[
            0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4,
        ])
        .unwrap();
        assert_eq!((h.len, h.header_len), (i64::MAX as u64, 14));
    }

    #[test]
    fn non_minimal_lengths_are_recognised() {
        assert!(
            FrameHeader::parse(&[0x81, 0x7e, 0x00, 0x05])
                .unwrap()
                .non_minimal_length()
        );
        assert!(
            FrameHeader::parse(&[0x81, 0x7f, 0, 0, 0, 0, 0, 0, 0xff, 0xff])
                .unwrap()
                .non_minimal_length()
        );
    }

    #[test]
    fn needs_more_bytes_for_every_short_prefix() {
        let wire = [0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4];
        for cut in 0..wire.len() {
            assert_eq!(FrameHeader::parse(&wire[..cut]), None, "cut at {cut}");
        }
        assert!(FrameHeader::parse(&wire).is_some());
    }

    #[test]
    fn unmasking_in_pieces_matches_unmasking_at_once() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let data: Vec<u8> = (0..=255u8).collect();
        let mut whole = data.clone();
        unmask(&mut whole, key, 0);
        for split in [1usize, 2, 3, 5, 100, 255] {
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(split);
            unmask(a, key, 0);
            unmask(b, key, split as u64);
            assert_eq!(pieces, whole, "split at {split}");
        }
        for (i, (w, d)) in whole.iter().zip(&data).enumerate() {
            assert_eq!(*w, d ^ key[i % 4]);
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..20)) {
            if let Some(h) = FrameHeader::parse(&bytes) {
                proptest::prop_assert!((2..=14).contains(&h.header_len));
                proptest::prop_assert!(usize::from(h.header_len) <= bytes.len());
            }
        }
    }
}
