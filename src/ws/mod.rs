//! WebSocket frames and messages (RFC 6455, RFC 7692) from the two byte streams of a connection.
//!
//! In: the bytes of each direction after the handshake, in order, with gaps marked.
//! Out: [`model::Frame`] for every frame, [`model::Message`] for every data message (joined and
//! inflated) and every control frame.
//! Never: stops at a violation (it is named and decoding goes on), allocates by a length read off
//! the wire (buffers grow with bytes that exist, up to a limit), or panics.

mod deflate;
mod frame;
mod problem;
mod reader;

pub use deflate::Params as DeflateParams;
pub use frame::{FrameHeader, LengthForm, Opcode, is_control, unmask};
pub use problem::{Problem, close_code_allowed, close_code_meaning};

use crate::model::{self, Side, Timestamp};
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
    pub packet: u64,
}

pub enum Output {
    Frame(model::Frame),
    Message(model::Message),
}

struct OpenMessage {
    opcode: u8,
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

/// One WebSocket connection: two directions, indexed 0 and 1 by the caller.
pub struct Connection {
    pub conn: u32,
    /// Which direction index is the client's; found from the first frame's mask when the
    /// handshake is not in the capture.
    client: Option<usize>,
    deflate: Option<DeflateParams>,
    dirs: [Direction; 2],
    next_n: u64,
    limits: Limits,
}

impl Connection {
    /// `client`: the direction index of the peer that sent the upgrade, if it was seen.
    /// `deflate`: permessage-deflate as the server accepted it. Without a handshake, pass
    /// `None` for both: compressed frames (RSV1) are then inflated on a best-effort basis.
    pub fn new(
        conn: u32,
        client: Option<usize>,
        deflate: Option<DeflateParams>,
        limits: Limits,
    ) -> Self {
        let handshake = client.is_some();
        let dir = |index: usize| {
            let takeover = match (deflate, client) {
                (Some(p), Some(c)) if c == index => !p.client_no_context_takeover,
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
            deflate,
            dirs: [dir(0), dir(1)],
            next_n: 0,
            limits,
        }
    }

    pub fn client(&self) -> Option<usize> {
        self.client
    }

    fn expect(&self, dir: usize) -> Expect {
        Expect {
            masked: self.client.map(|c| c == dir),
            rsv1_allowed: self.dirs[dir].inflater.is_some(),
        }
    }

    pub fn feed(&mut self, dir: usize, bytes: &[u8], stamp: Stamp, out: &mut Vec<Output>) {
        let dir = dir & 1;
        let expect = self.expect(dir);
        let mut raws = Vec::new();
        self.dirs[dir]
            .reader
            .feed(bytes, stamp.packet, expect, &mut |f| raws.push(f));
        for raw in raws {
            self.frame(dir, raw, stamp, out);
        }
    }

    pub fn gap(&mut self, dir: usize, len: u64, stamp: Stamp, out: &mut Vec<Output>) {
        let dir = dir & 1;
        let mut raws = Vec::new();
        self.dirs[dir]
            .reader
            .gap(len, stamp.packet, &mut |f| raws.push(f));
        for raw in raws {
            self.frame(dir, raw, stamp, out);
        }
        let d = &mut self.dirs[dir];
        if d.inflater.is_some() {
            d.history_lost = true;
        }
        if let Some(open) = d.open.as_mut() {
            push_once(&mut open.problems, Problem::Incomplete);
        }
    }

    /// The connection ended: frames cut short are reported truncated, unfinished messages
    /// are handed out as they are.
    pub fn finish(&mut self, stamp: Stamp, out: &mut Vec<Output>) {
        for dir in 0..2 {
            let mut raws = Vec::new();
            self.dirs[dir]
                .reader
                .finish(stamp.packet, &mut |f| raws.push(f));
            for raw in raws {
                self.frame(dir, raw, stamp, out);
            }
            if let Some(mut open) = self.dirs[dir].open.take() {
                push_once(&mut open.problems, Problem::UnfinishedMessage);
                let msg = self.close_message(dir, open, stamp);
                out.push(Output::Message(msg));
            }
        }
    }

    fn side(&self, dir: usize) -> Side {
        match self.client {
            Some(c) if c == dir => Side::Client,
            _ => Side::Server,
        }
    }

    fn frame(&mut self, dir: usize, raw: RawFrame, stamp: Stamp, out: &mut Vec<Output>) {
        if self.client.is_none() {
            // No handshake seen: the client is the side that masks.
            self.client = Some(if raw.header.mask.is_some() {
                dir
            } else {
                dir ^ 1
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
        if matches!(h.opcode(), Opcode::Reserved(_)) {
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
        } else if h.opcode == 0 && h.rsv1 && compressing {
            problems.push(Problem::CompressedContinuation);
        }
        if h.opcode == 8 && !raw.truncated && raw.missing == 0 {
            match raw.payload.as_slice() {
                [_] => problems.push(Problem::CloseTooShort),
                [a, b, ..] if !close_code_allowed(u16::from_be_bytes([*a, *b])) => {
                    problems.push(Problem::InvalidCloseCode)
                }
                _ => {}
            }
        }
        if raw.truncated {
            problems.push(Problem::Truncated);
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
        let message = self.assemble(dir, n, &raw, &mut problems, stamp);
        out.push(Output::Frame(model::Frame {
            conn: self.conn,
            n,
            ts: stamp_ts,
            from,
            header: h,
            payload: raw.payload,
            truncated: raw.truncated,
            problems,
            packets: raw.packets,
        }));
        out.extend(message.into_iter().map(Output::Message));
    }

    /// Adds a frame to its message; returns the messages it finishes (an interrupted one too).
    fn assemble(
        &mut self,
        dir: usize,
        n: u64,
        raw: &RawFrame,
        frame_problems: &mut Vec<Problem>,
        stamp: Stamp,
    ) -> Vec<model::Message> {
        let h = &raw.header;
        let mut done = Vec::new();
        let incomplete = raw.missing > 0 || raw.truncated;
        if h.is_control() {
            let mut problems = Vec::new();
            if incomplete {
                problems.push(Problem::Incomplete);
            }
            let msg = OpenMessage {
                opcode: h.opcode,
                compressed: false,
                frames: vec![n],
                data: raw.payload.clone(),
                problems,
            };
            done.push(self.close_message(dir, msg, stamp));
            return done;
        }
        if h.opcode != 0 {
            if let Some(mut interrupted) = self.dirs[dir].open.take() {
                frame_problems.push(Problem::ExpectedContinuation);
                push_once(&mut interrupted.problems, Problem::UnfinishedMessage);
                done.push(self.close_message(dir, interrupted, stamp));
            }
            self.dirs[dir].open = Some(OpenMessage {
                opcode: h.opcode,
                compressed: h.rsv1 && self.dirs[dir].inflater.is_some(),
                frames: Vec::new(),
                data: Vec::new(),
                problems: Vec::new(),
            });
        } else if self.dirs[dir].open.is_none() {
            frame_problems.push(Problem::UnexpectedContinuation);
            self.dirs[dir].open = Some(OpenMessage {
                opcode: 0,
                compressed: false,
                frames: Vec::new(),
                data: Vec::new(),
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
            done.push(self.close_message(dir, open, stamp));
        }
        done
    }

    /// Turns a finished message into its final form: inflated, text checked, close read.
    fn close_message(&mut self, dir: usize, mut msg: OpenMessage, stamp: Stamp) -> model::Message {
        let limit = self.limits.inflate;
        let d = &mut self.dirs[dir];
        if msg.compressed
            && let Some(inflater) = d.inflater.as_mut()
        {
            {
                let mut data = Vec::new();
                match inflater.inflate(&msg.data, limit, &mut data) {
                    Outcome::Whole => msg.data = data,
                    Outcome::Limited => {
                        msg.data = data;
                        msg.problems.push(Problem::InflateLimit);
                    }
                    Outcome::Failed if d.history_lost => {
                        msg.problems.push(Problem::InflateNoHistory)
                    }
                    Outcome::Failed => msg.problems.push(Problem::InflateFailed),
                }
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
        if msg.opcode == 1 && inflated_ok {
            match std::str::from_utf8(&msg.data) {
                Ok(_) => text_valid = true,
                // A message cut short may end inside a code point: only judge whole ones.
                Err(e) if !whole && e.error_len().is_none() => {}
                Err(_) => msg.problems.push(Problem::InvalidUtf8),
            }
        }
        let (mut close_code, mut close_reason) = (None, None);
        if msg.opcode == 8
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
        model::Message {
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

    pub fn deflate(&self) -> Option<DeflateParams> {
        self.deflate
    }
}

fn push_once(problems: &mut Vec<Problem>, p: Problem) {
    if !problems.contains(&p) {
        problems.push(p);
    }
}
