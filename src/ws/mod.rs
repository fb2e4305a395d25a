//! WebSocket frames and messages (RFC 6455, RFC 7692) from the two byte streams of a connection.
//!
//! In: the bytes of each direction after the handshake, in order, with gaps marked.
//! Out: [`Frame`] for every frame, [`Message`] for every data message (joined and
//! inflated) and every control frame.
//! Never: stops at a violation (it is named and decoding goes on), allocates by a length read off
//! the wire (buffers grow with bytes that exist, up to a limit), or panics.
//! Memory: payloads, joined and inflated messages and frame lists are built in buffers taken from
//! a [`Buffers`] pool that the consumer refills with the events it is done with; fed that way, a
//! steady stream is decoded without a heap allocation per frame.

mod buffers;
mod deflate;
mod event;
mod frame;
mod problem;
mod reader;

pub use buffers::Buffers;
pub use deflate::Params as DeflateParams;
pub use event::{Frame, Message};
pub(crate) use frame::Field;
pub use frame::FrameHeader;
pub use frame::{LengthForm, unmask};
pub use problem::Problem;
pub(crate) use problem::{Problems, close_code_allowed, close_code_meaning};

use crate::vocab::{ConnId, Dir, Opcode, PacketNo};
use crate::vocab::{Side, Timestamp};
use deflate::{Inflater, Outcome};
use reader::{Expect, RawFrame, Reader};

/// Memory bounds per connection direction.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Payload bytes kept per frame, and per joined message.
    pub keep: usize,
    /// Bytes an inflated message may grow to.
    pub inflate: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            keep: 16 << 20,
            inflate: 16 << 20,
        }
    }
}

/// When and where the bytes being fed were captured.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stamp {
    pub ts: Timestamp,
    pub packet: PacketNo,
}

pub enum Output {
    Frame(Frame),
    Message(Message),
}

struct OpenMessage {
    opcode: Opcode,
    compressed: bool,
    frames: Vec<u64>,
    data: Vec<u8>,
    problems: Vec<Problem>,
}

struct Direction {
    reader: Reader,
    open: Option<OpenMessage>,
    inflater: Option<Inflater>,
    /// The compression window's history is unknown: the capture began after the handshake,
    /// or bytes of this direction went missing.
    history_lost: bool,
}

/// One WebSocket connection: two directions of bytes.
pub struct Connection {
    pub conn: ConnId,
    /// Which direction is the client's; found from the first frame's mask when the
    /// handshake is not in the capture.
    client: Option<Dir>,
    dirs: [Direction; 2],
    next_n: u64,
    limits: Limits,
    /// Frames the reader just cut, kept to reuse its allocation.
    cut: Vec<RawFrame>,
    /// Messages one frame finished (an interrupted one and its own), kept to reuse the
    /// allocation.
    done: Vec<Message>,
    /// What a frame the stream ends inside is said to suffer: the capture ended
    /// ([`Problem::Truncated`]) unless [`Connection::finish`] says otherwise.
    cut_by: Problem,
}

impl Connection {
    /// `client`: the direction of the peer that sent the upgrade, if it was seen.
    /// `deflate`: permessage-deflate as the server accepted it. Without a handshake, pass
    /// `None` for both: compressed frames (RSV1) are then inflated on a best-effort basis.
    pub fn new(
        conn: ConnId,
        client: Option<Dir>,
        deflate: Option<DeflateParams>,
        limits: Limits,
    ) -> Self {
        let handshake = client.is_some();
        let dir = |dir: Dir| {
            let takeover = match (deflate, client) {
                (Some(p), Some(c)) if c == dir => !p.client_no_context_takeover,
                (Some(p), Some(_)) => !p.server_no_context_takeover,
                _ => true,
            };
            Direction {
                reader: Reader::new(limits.keep),
                open: None,
                inflater: (deflate.is_some() || !handshake).then(|| Inflater::new(takeover)),
                history_lost: !handshake,
            }
        };
        Connection {
            conn,
            client,
            dirs: Dir::BOTH.map(dir),
            next_n: 0,
            limits,
            cut: Vec::new(),
            done: Vec::new(),
            cut_by: Problem::Truncated,
        }
    }

    /// Direction `dir`'s first byte is at `offset` in its sender's stream: the bytes before it
    /// were read by another layer (an HTTP handshake). Frames' offsets count from there. Called
    /// before any byte of `dir` is fed.
    pub fn start_at(&mut self, dir: Dir, offset: u64) {
        self.dirs[dir].reader.start_at(offset);
    }

    pub(crate) fn client(&self) -> Option<Dir> {
        self.client
    }

    fn expect(&self, dir: Dir) -> Expect {
        Expect {
            masked: self.client.map(|c| c == dir),
            rsv1_allowed: self.dirs[dir].inflater.is_some(),
        }
    }

    /// Decodes the next bytes of direction `dir`. Payloads and messages are built in buffers
    /// taken from `bufs`.
    pub fn feed(
        &mut self,
        dir: Dir,
        bytes: &[u8],
        stamp: Stamp,
        bufs: &mut Buffers,
        out: &mut Vec<Output>,
    ) {
        let expect = self.expect(dir);
        let mut cut = std::mem::take(&mut self.cut);
        self.dirs[dir]
            .reader
            .feed(bytes, stamp.packet, expect, bufs, &mut |f| cut.push(f));
        self.judge(dir, cut, stamp, bufs, out);
    }

    /// Judges the frames the reader cut, in order, and keeps the buffer for next time.
    fn judge(
        &mut self,
        dir: Dir,
        mut cut: Vec<RawFrame>,
        stamp: Stamp,
        bufs: &mut Buffers,
        out: &mut Vec<Output>,
    ) {
        for raw in cut.drain(..) {
            self.frame(dir, raw, stamp, bufs, out);
        }
        self.cut = cut;
    }

    pub fn gap(
        &mut self,
        dir: Dir,
        len: u64,
        stamp: Stamp,
        bufs: &mut Buffers,
        out: &mut Vec<Output>,
    ) {
        let mut cut = std::mem::take(&mut self.cut);
        self.dirs[dir]
            .reader
            .gap(len, stamp.packet, &mut |f| cut.push(f));
        self.judge(dir, cut, stamp, bufs, out);
        let d = &mut self.dirs[dir];
        if d.inflater.is_some() {
            d.history_lost = true;
        }
        if let Some(open) = d.open.as_mut() {
            push_once(&mut open.problems, Problem::Incomplete);
        }
    }

    /// The connection ended: frames cut short are reported with `cut_by` (the capture ended:
    /// [`Problem::Truncated`]; it stopped being followed: [`Problem::Evicted`]), unfinished
    /// messages are handed out as they are. Returns the bytes of frame headers that never
    /// completed (they make no frame, so the caller reports them).
    pub fn finish(
        &mut self,
        cut_by: Problem,
        stamp: Stamp,
        bufs: &mut Buffers,
        out: &mut Vec<Output>,
    ) -> usize {
        self.cut_by = cut_by;
        let mut header_bytes = 0;
        for dir in Dir::BOTH {
            let mut cut = std::mem::take(&mut self.cut);
            header_bytes += self.dirs[dir]
                .reader
                .finish(stamp.packet, &mut |f| cut.push(f));
            self.judge(dir, cut, stamp, bufs, out);
            if let Some(mut open) = self.dirs[dir].open.take() {
                push_once(&mut open.problems, Problem::UnfinishedMessage);
                let msg = self.close_message(dir, open, stamp, bufs);
                out.push(Output::Message(msg));
            }
        }
        header_bytes
    }

    /// Bytes held while frames and messages are incomplete: payloads read so far, fragments
    /// joined so far.
    pub(crate) fn buffered(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| {
                let open = d.open.as_ref().map_or(0, |m| {
                    m.data.len() + m.frames.len() * std::mem::size_of::<u64>()
                });
                d.reader.buffered() + open
            })
            .sum()
    }

    /// Direction `dir` is picked up at an unknown place in its stream: its framing is found
    /// again at the next plausible frame header, and its compression history is unknown.
    pub(crate) fn lose_sync(&mut self, dir: Dir) {
        let d = &mut self.dirs[dir];
        d.reader.lose_sync();
        d.history_lost = true;
    }

    /// Who sends on direction `dir` (the server until the client is known).
    pub(crate) fn side(&self, dir: Dir) -> Side {
        match self.client {
            Some(c) if c == dir => Side::Client,
            _ => Side::Server,
        }
    }

    fn frame(
        &mut self,
        dir: Dir,
        raw: RawFrame,
        stamp: Stamp,
        bufs: &mut Buffers,
        out: &mut Vec<Output>,
    ) {
        if self.client.is_none() {
            // No handshake seen: the client is the side that masks.
            self.client = Some(if raw.header.mask.is_some() {
                dir
            } else {
                dir.reverse()
            });
        }
        let from = self.side(dir);
        let h = raw.header;
        let compressing = self.dirs[dir].inflater.is_some();
        let mut problems = Vec::new();
        match (from, h.mask.is_some()) {
            (Side::Client, false) => problems.push(Problem::UnmaskedClientFrame),
            (Side::Server, true) => problems.push(Problem::MaskedServerFrame),
            _ => {}
        }
        if matches!(h.opcode, Opcode::Reserved(_)) {
            problems.push(Problem::ReservedOpcode);
        }
        if h.rsv2 || h.rsv3 || (h.rsv1 && !compressing) {
            problems.push(Problem::ReservedBitsSet);
        }
        if h.non_minimal_length() {
            problems.push(Problem::NonMinimalLength);
        }
        if h.length_form == LengthForm::Long && h.len >> 63 != 0 {
            problems.push(Problem::LengthHighBitSet);
        }
        if h.is_control() {
            if !h.fin {
                problems.push(Problem::FragmentedControlFrame);
            }
            if h.len > 125 {
                problems.push(Problem::ControlFrameTooLong);
            }
            if h.rsv1 && compressing {
                problems.push(Problem::CompressedControlFrame);
            }
        } else if h.opcode == Opcode::Continuation && h.rsv1 && compressing {
            problems.push(Problem::CompressedContinuation);
        }
        if h.opcode == Opcode::Close && !raw.truncated && raw.missing == 0 {
            match raw.payload.as_slice() {
                [_] => problems.push(Problem::CloseTooShort),
                [a, b, ..] if !close_code_allowed(u16::from_be_bytes([*a, *b])) => {
                    problems.push(Problem::InvalidCloseCode)
                }
                _ => {}
            }
        }
        if raw.truncated {
            problems.push(self.cut_by);
        }
        if raw.missing > 0 {
            problems.push(Problem::Incomplete);
        }
        if raw.cut {
            problems.push(Problem::PayloadCut);
        }
        if raw.resynchronized {
            problems.push(Problem::Resynchronized);
        }

        let n = self.next_n;
        self.next_n += 1;
        let stamp_ts = stamp.ts;
        self.assemble(dir, n, &raw, &mut problems, stamp, bufs);
        out.push(Output::Frame(Frame {
            conn: self.conn,
            n,
            ts: stamp_ts,
            from,
            header: h,
            payload: raw.payload,
            truncated: raw.truncated,
            problems,
            packets: raw.packets,
            offset: raw.offset,
        }));
        out.extend(self.done.drain(..).map(Output::Message));
    }

    /// Adds a frame to its message; the messages it finishes (an interrupted one too) go to
    /// `self.done`, to be handed out after the frame.
    fn assemble(
        &mut self,
        dir: Dir,
        n: u64,
        raw: &RawFrame,
        frame_problems: &mut Vec<Problem>,
        stamp: Stamp,
        bufs: &mut Buffers,
    ) {
        let h = &raw.header;
        let incomplete = raw.missing > 0 || raw.truncated;
        if h.is_control() {
            let mut problems = Vec::new();
            if incomplete {
                problems.push(Problem::Incomplete);
            }
            // The frame keeps its payload; the message gets its own copy, in a reused buffer.
            let mut frames = bufs.list();
            frames.push(n);
            let mut data = bufs.bytes();
            data.extend_from_slice(&raw.payload);
            let msg = OpenMessage {
                opcode: h.opcode,
                compressed: false,
                frames,
                data,
                problems,
            };
            let msg = self.close_message(dir, msg, stamp, bufs);
            self.done.push(msg);
            return;
        }
        if h.opcode != Opcode::Continuation {
            if let Some(mut interrupted) = self.dirs[dir].open.take() {
                frame_problems.push(Problem::ExpectedContinuation);
                push_once(&mut interrupted.problems, Problem::UnfinishedMessage);
                let msg = self.close_message(dir, interrupted, stamp, bufs);
                self.done.push(msg);
            }
            self.dirs[dir].open = Some(OpenMessage {
                opcode: h.opcode,
                compressed: h.rsv1 && self.dirs[dir].inflater.is_some(),
                frames: bufs.list(),
                data: bufs.bytes(),
                problems: Vec::new(),
            });
        } else if self.dirs[dir].open.is_none() {
            frame_problems.push(Problem::UnexpectedContinuation);
            self.dirs[dir].open = Some(OpenMessage {
                opcode: Opcode::Continuation,
                compressed: false,
                frames: bufs.list(),
                data: bufs.bytes(),
                problems: vec![Problem::UnexpectedContinuation],
            });
        }
        let keep = self.limits.keep;
        if let Some(open) = self.dirs[dir].open.as_mut() {
            open.frames.push(n);
            let room = keep.saturating_sub(open.data.len());
            open.data
                .extend_from_slice(&raw.payload[..raw.payload.len().min(room)]);
            if raw.payload.len() > room || raw.cut {
                push_once(&mut open.problems, Problem::PayloadCut);
            }
            if incomplete {
                push_once(&mut open.problems, Problem::Incomplete);
            }
        }
        if h.fin
            && let Some(open) = self.dirs[dir].open.take()
        {
            let msg = self.close_message(dir, open, stamp, bufs);
            self.done.push(msg);
        }
    }

    /// Turns a finished message into its final form: inflated, text checked, close read.
    fn close_message(
        &mut self,
        dir: Dir,
        mut msg: OpenMessage,
        stamp: Stamp,
        bufs: &mut Buffers,
    ) -> Message {
        let limit = self.limits.inflate;
        let d = &mut self.dirs[dir];
        if msg.compressed
            && let Some(inflater) = d.inflater.as_mut()
        {
            let mut data = bufs.bytes();
            let outcome = inflater.inflate(&msg.data, limit, deflate::DISCARD_LIMIT, &mut data);
            // The compressed bytes are no longer needed when the inflated ones replace them
            // (the frames keep their own copies); the unused buffer goes back either way.
            let spare = match outcome {
                Outcome::Whole | Outcome::Limited | Outcome::Abandoned => {
                    std::mem::replace(&mut msg.data, data)
                }
                Outcome::Failed => data,
            };
            bufs.put_bytes(spare);
            match outcome {
                Outcome::Whole => {}
                Outcome::Limited => msg.problems.push(Problem::InflateLimit),
                Outcome::Abandoned => {
                    msg.problems.push(Problem::InflateLimit);
                    d.history_lost = true;
                }
                Outcome::Failed if d.history_lost => msg.problems.push(Problem::InflateNoHistory),
                Outcome::Failed => msg.problems.push(Problem::InflateFailed),
            }
        }
        let whole = !msg.problems.iter().any(|p| {
            matches!(
                p,
                Problem::Incomplete
                    | Problem::PayloadCut
                    | Problem::InflateFailed
                    | Problem::InflateNoHistory
                    | Problem::InflateLimit
            )
        });
        let inflated_ok = !msg.compressed
            || !msg
                .problems
                .iter()
                .any(|p| matches!(p, Problem::InflateFailed | Problem::InflateNoHistory));
        let mut text_valid = false;
        if msg.opcode == Opcode::Text && inflated_ok {
            match std::str::from_utf8(&msg.data) {
                Ok(_) => text_valid = true,
                // A message cut short may end inside a code point: only judge whole ones.
                Err(e) if !whole && e.error_len().is_none() => {}
                Err(_) => msg.problems.push(Problem::InvalidUtf8),
            }
        }
        let (mut close_code, mut close_reason) = (None, None);
        if msg.opcode == Opcode::Close
            && let [a, b, reason @ ..] = msg.data.as_slice()
        {
            {
                close_code = Some(u16::from_be_bytes([*a, *b]));
                match std::str::from_utf8(reason) {
                    Ok(r) => close_reason = Some(r.to_owned()),
                    Err(_) => {
                        close_reason = Some(String::from_utf8_lossy(reason).into_owned());
                        msg.problems.push(Problem::InvalidUtf8);
                    }
                }
            }
        }
        Message {
            conn: self.conn,
            ts: stamp.ts,
            from: self.side(dir),
            opcode: msg.opcode,
            frames: msg.frames,
            compressed: msg.compressed,
            data: msg.data,
            text_valid,
            close_code,
            close_reason,
            problems: msg.problems,
        }
    }
}

fn push_once(problems: &mut Vec<Problem>, p: Problem) {
    if !problems.contains(&p) {
        problems.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection whose client (direction 0, `AtoB`) sent the upgrade; frames are fed whole.
    fn run(deflate: Option<&str>, frames: &[(usize, &[u8])]) -> (Vec<Frame>, Vec<Message>) {
        let params = deflate.and_then(DeflateParams::from_header);
        let mut c = Connection::new(ConnId(0), Some(Dir::AtoB), params, Limits::default());
        let mut out = Vec::new();
        for (i, (dir, bytes)) in frames.iter().enumerate() {
            let stamp = Stamp {
                packet: PacketNo(i as u64 + 1),
                ..Stamp::default()
            };
            c.feed(
                Dir::BOTH[*dir],
                bytes,
                stamp,
                &mut Buffers::default(),
                &mut out,
            );
        }
        c.finish(
            Problem::Truncated,
            Stamp::default(),
            &mut Buffers::default(),
            &mut out,
        );
        let mut fs = Vec::new();
        let mut ms = Vec::new();
        for o in out {
            match o {
                Output::Frame(f) => fs.push(f),
                Output::Message(m) => ms.push(m),
            }
        }
        (fs, ms)
    }

    /// Masks `payload` with a fixed key into a client frame.
    fn client(b0: u8, payload: &[u8]) -> Vec<u8> {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut out = vec![b0];
        match payload.len() {
            n if n < 126 => out.push(0x80 | n as u8),
            n => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&key);
        let mut body = payload.to_vec();
        unmask(&mut body, key, 0);
        out.extend_from_slice(&body);
        out
    }

    fn problems_of(bytes: &[u8], dir: usize) -> Vec<Problem> {
        run(None, &[(dir, bytes)]).0.remove(0).problems
    }

    // RFC 6455 5.7: the masked "Hello" is a client's, the unmasked one a server's.
    #[test]
    fn rfc_examples_follow_the_masking_rules() {
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        let unmasked = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let (fs, ms) = run(None, &[(0, &masked), (1, &unmasked)]);
        assert!(fs.iter().all(|f| f.problems.is_empty()));
        assert_eq!(ms[0].text(), Some("Hello"));
        assert_eq!((ms[0].from, ms[1].from), (Side::Client, Side::Server));
        assert_eq!(
            problems_of(&unmasked, 0),
            vec![Problem::UnmaskedClientFrame]
        );
        assert_eq!(problems_of(&masked, 1), vec![Problem::MaskedServerFrame]);
    }

    #[test]
    fn each_violation_is_named_after_its_rule() {
        let cases: [(&[u8], Problem); 8] = [
            (&[0x09, 0x00], Problem::FragmentedControlFrame),
            (&[0x89, 0x7e, 0x00, 0x7e], Problem::ControlFrameTooLong),
            (&[0x83, 0x00], Problem::ReservedOpcode),
            (&[0xa1, 0x00], Problem::ReservedBitsSet),
            (&[0xc1, 0x00], Problem::ReservedBitsSet),
            (&[0x81, 0x7e, 0x00, 0x01, b'x'], Problem::NonMinimalLength),
            (&[0x88, 0x02, 0x03, 0xed], Problem::InvalidCloseCode), // 1005
            (&[0x88, 0x01, 0x03], Problem::CloseTooShort),
        ];
        for (wire, problem) in cases {
            let mut padded = wire.to_vec();
            if wire == [0x89, 0x7e, 0x00, 0x7e] {
                padded.extend_from_slice(&[0; 126]);
            }
            let problems = problems_of(&padded, 1);
            assert!(problems.contains(&problem), "{wire:02x?}: {problems:?}");
        }
    }

    #[test]
    fn invalid_utf8_text_is_flagged_on_the_message() {
        let (_, ms) = run(None, &[(1, &[0x81, 0x02, 0xc3, 0x28])]);
        assert_eq!(ms[0].problems, vec![Problem::InvalidUtf8]);
        assert_eq!(ms[0].text(), None);
    }

    // RFC 6455 5.4 and 5.7: "Hel" + "lo", here with a ping between the fragments.
    #[test]
    fn fragments_join_around_a_control_frame() {
        let (fs, ms) = run(
            None,
            &[
                (1, &[0x01, 0x03, 0x48, 0x65, 0x6c]),
                (1, &[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
                (1, &[0x80, 0x02, 0x6c, 0x6f]),
            ],
        );
        assert_eq!(fs.len(), 3);
        assert_eq!(
            (ms[0].opcode, ms[0].frames.as_slice()),
            (Opcode::Ping, &[1][..])
        );
        assert_eq!(
            (ms[1].text(), ms[1].frames.as_slice()),
            (Some("Hello"), &[0, 2][..])
        );
    }

    #[test]
    fn a_code_point_split_between_fragments_is_valid_utf8() {
        let check = "✓".as_bytes();
        let (_, ms) = run(
            None,
            &[
                (0, &client(0x01, &check[..1])),
                (0, &client(0x80, &check[1..])),
            ],
        );
        assert_eq!(ms[0].text(), Some("✓"));
    }

    #[test]
    fn fragments_out_of_order_are_named() {
        let (fs, ms) = run(None, &[(1, &[0x80, 0x01, b'a'])]);
        assert_eq!(fs[0].problems, vec![Problem::UnexpectedContinuation]);
        assert!(ms[0].problems.contains(&Problem::UnexpectedContinuation));

        let (fs, ms) = run(None, &[(1, &[0x01, 0x01, b'a']), (1, &[0x81, 0x01, b'b'])]);
        assert_eq!(fs[1].problems, vec![Problem::ExpectedContinuation]);
        assert_eq!(ms[0].problems, vec![Problem::UnfinishedMessage]);
        assert_eq!(ms[1].text(), Some("b"));
    }

    #[test]
    fn close_code_and_reason_are_read() {
        let (_, ms) = run(None, &[(1, &[0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e'])]);
        assert_eq!(
            (ms[0].close_code, ms[0].close_reason.as_deref()),
            (Some(1000), Some("bye"))
        );
        assert_eq!(ms[0].data, [0x03, 0xe8, b'b', b'y', b'e']);
    }

    // RFC 7692 7.2.3.1 and 7.2.3.2: "Hello" compressed whole, and split over two frames.
    #[test]
    fn rfc_7692_compressed_messages() {
        let ext = Some("permessage-deflate");
        let (fs, ms) = run(
            ext,
            &[(1, &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00])],
        );
        assert!(fs[0].problems.is_empty());
        assert_eq!((ms[0].text(), ms[0].compressed), (Some("Hello"), true));

        let (fs, ms) = run(
            ext,
            &[
                (1, &[0x41, 0x03, 0xf2, 0x48, 0xcd]),
                (1, &[0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00]),
            ],
        );
        assert!(fs.iter().all(|f| f.problems.is_empty()));
        assert_eq!(ms[0].text(), Some("Hello"));
        assert_eq!(ms[0].frames, [0, 1]);
    }

    #[test]
    fn compressed_without_history_says_so() {
        // The second "Hello" of RFC 7692 7.2.3.2 refers back into the first one.
        let mut c = Connection::new(ConnId(0), None, None, Limits::default());
        let mut out = Vec::new();
        c.feed(
            Dir::BtoA,
            &[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00],
            Stamp::default(),
            &mut Buffers::default(),
            &mut out,
        );
        let Some(Output::Message(m)) = out.pop() else {
            panic!()
        };
        assert_eq!(m.problems, vec![Problem::InflateNoHistory]);
    }

    #[test]
    fn rsv1_where_deflate_forbids_it() {
        let ext = Some("permessage-deflate");
        let (fs, _) = run(ext, &[(1, &[0xc9, 0x00])]);
        assert!(fs[0].problems.contains(&Problem::CompressedControlFrame));
        let (fs, _) = run(ext, &[(1, &[0x01, 0x01, b'a']), (1, &[0xc0, 0x01, b'b'])]);
        assert!(fs[1].problems.contains(&Problem::CompressedContinuation));
    }

    #[test]
    fn sixteen_bit_length_frames_decode() {
        let payload = vec![b'x'; 300];
        let (fs, ms) = run(None, &[(0, &client(0x81, &payload))]);
        assert_eq!(
            (fs[0].header.len, fs[0].header.length_form),
            (300, LengthForm::Medium)
        );
        assert!(fs[0].problems.is_empty());
        assert_eq!(ms[0].data, payload);
    }
}
