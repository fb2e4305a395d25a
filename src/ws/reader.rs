//! Cuts one direction's byte stream into frames: headers split over segments, many frames per
//! segment, payloads unmasked as they arrive, missing bytes accounted for.

use super::buffers::Buffers;
use super::frame::{FrameHeader, LengthForm, unmask};
use crate::vocab::{Opcode, PacketNo};

/// A frame as cut from the stream, before the connection judges it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawFrame {
    pub(crate) header: FrameHeader,
    /// Unmasked payload bytes that are present, in order; at most the keep limit.
    pub(crate) payload: Vec<u8>,
    /// Payload bytes that were not in the capture.
    pub(crate) missing: u64,
    /// The payload was over the keep limit.
    pub(crate) cut: bool,
    /// The capture ended inside this frame.
    pub(crate) truncated: bool,
    /// This frame was found by guessing after framing was lost.
    pub(crate) resynchronized: bool,
    pub(crate) packets: (PacketNo, PacketNo),
    /// Where its first header byte lies in the stream.
    pub(crate) offset: u64,
}

struct Partial {
    header: FrameHeader,
    /// Payload positions accounted for so far, present or missing.
    done: u64,
    payload: Vec<u8>,
    missing: u64,
    cut: bool,
    resynchronized: bool,
    first_packet: PacketNo,
    offset: u64,
}

/// What a plausible frame header must look like to pick framing up again after a gap.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expect {
    /// `Some(true)` when this direction is the client's (frames masked).
    pub(crate) masked: Option<bool>,
    pub(crate) rsv1_allowed: bool,
}

pub(crate) struct Reader {
    head: [u8; 14],
    head_len: usize,
    head_packet: PacketNo,
    /// Where the header being read began in the stream.
    head_at: u64,
    /// Offset in the stream of the next byte to come: bytes fed and missing alike.
    at: u64,
    current: Option<Partial>,
    /// False after missing bytes broke the framing.
    in_sync: bool,
    keep_limit: usize,
}

impl Reader {
    pub(crate) fn new(keep_limit: usize) -> Reader {
        Reader {
            head: [0; 14],
            head_len: 0,
            head_packet: PacketNo::default(),
            head_at: 0,
            at: 0,
            current: None,
            in_sync: true,
            keep_limit,
        }
    }

    /// Feeds the next bytes of the stream, which arrived in capture packet `packet`. Payloads
    /// go into buffers taken from `bufs`.
    pub(crate) fn feed(
        &mut self,
        mut bytes: &[u8],
        packet: PacketNo,
        expect: Expect,
        bufs: &mut Buffers,
        out: &mut impl FnMut(RawFrame),
    ) {
        let start = self.at;
        let total = bytes.len();
        self.at += total as u64;
        let mut resynchronized = false;
        if !self.in_sync {
            // Data usually resumes at a segment boundary, and small messages start segments:
            // try here, and otherwise wait for the next piece.
            match FrameHeader::parse(bytes) {
                Some(h) if plausible(&h, expect) => {
                    self.in_sync = true;
                    resynchronized = true;
                }
                _ => return,
            }
        }
        while !bytes.is_empty() {
            let Some(partial) = self.current.as_mut() else {
                let have = self.head_len;
                if have == 0 {
                    self.head_packet = packet;
                    self.head_at = start + (total - bytes.len()) as u64;
                }
                let take = (self.head.len() - have).min(bytes.len());
                self.head[have..have + take].copy_from_slice(&bytes[..take]);
                match FrameHeader::parse(&self.head[..have + take]) {
                    None => {
                        self.head_len = have + take;
                        return;
                    }
                    Some(header) => {
                        let used = usize::from(header.header_len) - have;
                        bytes = &bytes[used..];
                        self.head_len = 0;
                        // An empty payload needs no buffer; an unused one would only sit in
                        // the event.
                        let payload = if header.len > 0 {
                            bufs.bytes()
                        } else {
                            Vec::new()
                        };
                        self.current = Some(Partial {
                            header,
                            done: 0,
                            payload,
                            missing: 0,
                            cut: false,
                            resynchronized: std::mem::take(&mut resynchronized),
                            first_packet: self.head_packet,
                            offset: self.head_at,
                        });
                        if header.len == 0 {
                            self.complete(packet, false, out);
                        }
                        continue;
                    }
                }
            };
            let left = partial.header.len - partial.done;
            let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
            let room = self.keep_limit.saturating_sub(partial.payload.len());
            let keep = take.min(room);
            if keep > 0 {
                // Size the buffer by bytes that exist, never by the length field alone.
                let start = partial.payload.len();
                partial.payload.extend_from_slice(&bytes[..keep]);
                if let Some(key) = partial.header.mask {
                    unmask(&mut partial.payload[start..], key, partial.done);
                }
            }
            partial.cut |= keep < take;
            partial.done += take as u64;
            bytes = &bytes[take..];
            if partial.done == partial.header.len {
                self.complete(packet, false, out);
            }
        }
    }

    /// `len` bytes of the stream are missing.
    pub(crate) fn gap(&mut self, len: u64, packet: PacketNo, out: &mut impl FnMut(RawFrame)) {
        self.at += len;
        if !self.in_sync || len == 0 {
            return;
        }
        match self.current.as_mut() {
            Some(partial) => {
                let left = partial.header.len - partial.done;
                partial.missing += len.min(left);
                partial.done += len.min(left);
                if len <= left {
                    if partial.done == partial.header.len {
                        self.complete(packet, false, out);
                    }
                    return;
                }
                // The hole runs past this frame's end: where the next frame starts is unknown.
                self.complete(packet, false, out);
                self.in_sync = false;
            }
            None => {
                self.head_len = 0;
                self.in_sync = false;
            }
        }
    }

    /// The stream's next byte is at `offset` (what came before it was not given to this
    /// reader: an HTTP handshake). Called before the first byte.
    pub(crate) fn start_at(&mut self, offset: u64) {
        self.at = offset;
    }

    /// Bytes held for the frame being read: its payload so far and a header's first bytes.
    pub(crate) fn buffered(&self) -> usize {
        self.current.as_ref().map_or(0, |p| p.payload.len()) + self.head_len
    }

    /// Where frames start is unknown from here on (the stream is picked up in the middle):
    /// framing is found again at the next plausible header that starts a piece of the stream.
    pub(crate) fn lose_sync(&mut self) {
        if self.current.is_none() {
            self.head_len = 0;
            self.in_sync = false;
        }
    }

    /// The stream ended: a frame still open is handed out as truncated. Returns the number of
    /// bytes of a frame header that never completed.
    pub(crate) fn finish(&mut self, packet: PacketNo, out: &mut impl FnMut(RawFrame)) -> usize {
        if self.current.is_some() {
            self.complete(packet, true, out);
        }
        std::mem::take(&mut self.head_len)
    }

    fn complete(&mut self, packet: PacketNo, truncated: bool, out: &mut impl FnMut(RawFrame)) {
        if let Some(p) = self.current.take() {
            out(RawFrame {
                header: p.header,
                payload: p.payload,
                missing: p.missing,
                cut: p.cut,
                truncated,
                resynchronized: p.resynchronized,
                packets: (p.first_packet, packet),
                offset: p.offset,
            });
        }
    }
}

fn plausible(h: &FrameHeader, expect: Expect) -> bool {
    let known_opcode = !matches!(h.opcode, Opcode::Reserved(_));
    let control_ok = !h.is_control() || (h.fin && h.len <= 125);
    let mask_ok = expect.masked.is_none_or(|m| m == h.mask.is_some());
    let rsv_ok = !h.rsv2 && !h.rsv3 && (!h.rsv1 || expect.rsv1_allowed);
    let len_ok = !h.non_minimal_length() && (h.length_form != LengthForm::Long || h.len < 1 << 40);
    known_opcode && control_ok && mask_ok && rsv_ok && len_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY: Expect = Expect {
        masked: None,
        rsv1_allowed: false,
    };

    fn read_all(pieces: &[&[u8]]) -> Vec<RawFrame> {
        let mut frames = Vec::new();
        let mut r = Reader::new(1 << 20);
        for (i, p) in pieces.iter().enumerate() {
            r.feed(
                p,
                PacketNo(i as u64 + 1),
                ANY,
                &mut Buffers::default(),
                &mut |f| frames.push(f),
            );
        }
        r.finish(PacketNo(pieces.len() as u64), &mut |f| frames.push(f));
        frames
    }

    // RFC 6455 5.7: masked "Hello", then unmasked "Hello", back to back.
    const MASKED_HELLO: [u8; 11] = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];
    const HELLO: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];

    #[test]
    fn every_split_point_gives_the_same_frames() {
        let wire: Vec<u8> = [&MASKED_HELLO[..], &HELLO[..]].concat();
        for cut in 0..=wire.len() {
            let frames = read_all(&[&wire[..cut], &wire[cut..]]);
            assert_eq!(frames.len(), 2, "cut {cut}");
            assert!(frames.iter().all(|f| f.payload == b"Hello" && !f.truncated));
        }
    }

    #[test]
    fn every_split_point_gives_the_same_offsets() {
        let wire: Vec<u8> = [&MASKED_HELLO[..], &HELLO[..], &MASKED_HELLO[..]].concat();
        for cut in 0..=wire.len() {
            let frames = read_all(&[&wire[..cut], &wire[cut..]]);
            let offsets: Vec<u64> = frames.iter().map(|f| f.offset).collect();
            assert_eq!(offsets, [0, 11, 18], "cut {cut}");
        }
    }

    #[test]
    fn offsets_count_missing_bytes_and_start_where_told() {
        let mut frames = Vec::new();
        let mut r = Reader::new(1 << 20);
        r.start_at(100);
        let feed = |r: &mut Reader, bytes: &[u8], frames: &mut Vec<RawFrame>| {
            r.feed(bytes, PacketNo(1), ANY, &mut Buffers::default(), &mut |f| {
                frames.push(f)
            })
        };
        feed(&mut r, &[0x82, 0x0a, 1, 2, 3], &mut frames);
        // Inside the payload: framing holds, the frame after it is 10 + 2 bytes on.
        r.gap(4, PacketNo(2), &mut |f| frames.push(f));
        feed(&mut r, &[8, 9, 10], &mut frames);
        feed(&mut r, &HELLO, &mut frames);
        // Past a frame's end: framing is lost, and found again 3 + 20 bytes later.
        r.gap(20, PacketNo(3), &mut |f| frames.push(f));
        feed(&mut r, &[0x4f, 0x7e, 0xff], &mut frames);
        feed(&mut r, &HELLO, &mut frames);
        let offsets: Vec<u64> = frames.iter().map(|f| f.offset).collect();
        assert_eq!(offsets, [100, 112, 119 + 20 + 3]);
        assert!(frames[2].resynchronized);
    }

    #[test]
    fn every_truncation_is_reported() {
        let wire: Vec<u8> = [&MASKED_HELLO[..], &HELLO[..]].concat();
        for cut in 0..wire.len() {
            let frames = read_all(&[&wire[..cut]]);
            let whole = usize::from(cut >= MASKED_HELLO.len());
            let open = (6..11).contains(&cut) || cut >= 13;
            assert_eq!(frames.len(), whole + usize::from(open), "cut {cut}");
            if open {
                assert!(frames.last().unwrap().truncated);
            }
        }
    }

    #[test]
    fn a_gap_inside_a_payload_keeps_framing() {
        let mut frames = Vec::new();
        let mut r = Reader::new(1 << 20);
        r.feed(
            &[0x82, 0x0a, 1, 2, 3],
            PacketNo(1),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        );
        r.gap(4, PacketNo(2), &mut |f| frames.push(f));
        r.feed(
            &[8, 9, 10, 0x81, 0x01, b'x'],
            PacketNo(3),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        );
        assert_eq!(frames.len(), 2);
        assert_eq!(
            (frames[0].payload.as_slice(), frames[0].missing),
            (&[1, 2, 3, 8, 9, 10][..], 4)
        );
        assert_eq!(frames[1].payload, b"x");
    }

    #[test]
    fn framing_lost_after_a_gap_is_picked_up_at_a_plausible_header() {
        let mut frames = Vec::new();
        let mut r = Reader::new(1 << 20);
        r.feed(
            &[0x82, 0x02, 1],
            PacketNo(1),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        );
        r.gap(10, PacketNo(2), &mut |f| frames.push(f));
        r.feed(
            &[0x4f, 0x7e, 0xff],
            PacketNo(3),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        ); // reserved opcode: not taken
        r.feed(
            &HELLO,
            PacketNo(4),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        );
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].missing, 1);
        assert!(frames[1].resynchronized && frames[1].payload == b"Hello");
    }

    #[test]
    fn a_huge_claimed_length_allocates_only_what_arrives() {
        let mut wire = vec![0x82, 0x7f, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        wire.extend_from_slice(&[7; 100]);
        let frames = read_all(&[&wire]);
        assert_eq!(frames.len(), 1);
        assert!(frames[0].truncated);
        assert_eq!(frames[0].payload.len(), 100);
        assert!(frames[0].payload.capacity() < 4096);
    }

    #[test]
    fn payload_over_the_keep_limit_is_cut_not_stored() {
        let mut frames = Vec::new();
        let mut r = Reader::new(4);
        r.feed(
            &[0x82, 0x06, 1, 2, 3, 4, 5, 6],
            PacketNo(1),
            ANY,
            &mut Buffers::default(),
            &mut |f| frames.push(f),
        );
        assert_eq!(
            (frames[0].payload.as_slice(), frames[0].cut),
            (&[1, 2, 3, 4][..], true)
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_streams_never_panic(
            pieces in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..40), 0..8),
            gaps in proptest::collection::vec(0u64..50, 0..8),
        ) {
            let mut r = Reader::new(64);
            let mut n = 0;
            for (i, p) in pieces.iter().enumerate() {
                r.feed(p, PacketNo(i as u64), ANY, &mut Buffers::default(), &mut |f| { assert!(f.payload.len() <= 64); n += 1; });
                if let Some(g) = gaps.get(i) { r.gap(*g, PacketNo(i as u64), &mut |_| n += 1); }
            }
            r.finish(PacketNo::default(), &mut |_| n += 1);
        }
    }
}
