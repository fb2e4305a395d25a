//! One HTTP/2 connection: each direction's frames read as they arrive, header blocks decoded in
//! order with that direction's HPACK decoder, and the streams they open followed to their end.

use std::collections::BTreeMap;

use super::frame::{
    DEFAULT_MAX_FRAME_SIZE, ErrorCode, FrameHeader, FrameType, HEADER_LEN, MAX_FRAME_SIZE, PREFACE,
    Setting, StreamId, flag,
};
use super::head::{self, Head, Tunnel};
use super::{End, MAX_BLOCK, MAX_DEBUG, MAX_HELD, MAX_STREAMS, MAX_TABLE, Output, Problem};
use crate::vocab::Dir;

/// SETTINGS_HEADER_TABLE_SIZE until the receiver announces another (RFC 9113 section 6.5.2).
const DEFAULT_TABLE_SIZE: u32 = 4096;
/// A held-frame buffer that grew past this is given back once the frame is read, so that one
/// large frame does not pin its memory for the connection's life.
const KEEP_CAPACITY: usize = 64 * 1024;

/// One HTTP/2 connection, both directions.
pub(crate) struct Connection {
    client: Dir,
    dirs: [Direction; 2],
    /// Open streams by number. Ordered, so that the oldest (lowest-numbered) is found at once
    /// when too many are open.
    streams: BTreeMap<u32, Stream>,
    /// The highest stream number each side has opened (the client by HEADERS, the server by
    /// PUSH_PROMISE), indexed by direction: a lower one not in `streams` has ended.
    highest: [u32; 2],
    /// `TooManyStreams` was reported.
    told_too_many: bool,
}

/// What is known of an open stream.
struct Stream {
    /// A final (not 1xx) response head came: any later head is trailers.
    answered: bool,
    /// END_STREAM came from each direction.
    ended: [bool; 2],
    /// The request was an extended CONNECT.
    tunnel: Option<Box<Tunnel>>,
}

/// A direction's reading state and what the endpoint sending it announced.
struct Direction {
    state: State,
    /// Bytes of this direction consumed so far: the offset of the next one.
    offset: u64,
    /// Where the frame being read began.
    frame_at: u64,
    /// The payload of a frame read whole (every type but DATA), as it arrives.
    held: Vec<u8>,
    /// A header block waiting for CONTINUATION frames, and its fragments so far.
    block: Option<Block>,
    fragments: Vec<u8>,
    /// Decodes the header blocks this direction sends. One per direction, fed every block in
    /// order: each block's indexing changes the table the next is decoded with.
    ///
    /// `loona-hpack` is the maintained fork of `hpack` (releases through 2024, the last one
    /// fixing a panic on bad integers); `fluke-hpack` is its former name, and `httlib-hpack`
    /// has had no release since 2021 and hands back every decoded field, where this one calls
    /// back per field, so that a header list bomb can be cut short without a copy.
    hpack: loona_hpack::Decoder<'static>,
    /// A header block could not be decoded: the table is unknown, so this direction's later
    /// heads are not decoded (frames, streams and DATA still are).
    hpack_lost: bool,
    /// No frame read yet: the first must be SETTINGS.
    first_frame: bool,
    /// What this endpoint announced in SETTINGS: the largest frame it accepts (the largest
    /// announced, since a peer may still send to the old limit until it sees a smaller one),
    /// and SETTINGS_ENABLE_CONNECT_PROTOCOL.
    max_frame_size: u32,
    largest_table_size: u32,
    settings_seen: bool,
    enable_connect_protocol: Option<u32>,
}

/// A header block being assembled from HEADERS or PUSH_PROMISE and CONTINUATIONs.
#[derive(Clone, Copy)]
struct Block {
    stream: StreamId,
    kind: BlockKind,
    /// Where its first frame began.
    at: u64,
    /// It will not be decoded (the HPACK state is lost, or it grew too long): only its end is
    /// awaited.
    lost: bool,
}

#[derive(Clone, Copy)]
enum BlockKind {
    Headers { end_stream: bool },
    Promise { promised: StreamId },
}

#[derive(Clone, Copy)]
enum State {
    /// Matching the client connection preface.
    Preface { matched: usize },
    /// Reading a frame header; `have` of its bytes are in `buf`.
    Header { have: usize, buf: [u8; HEADER_LEN] },
    /// The pad length byte of a padded DATA frame on a followed stream.
    DataPadLength { head: FrameHeader },
    /// A DATA frame's payload on a followed stream, then its padding.
    Data {
        stream: StreamId,
        left: u32,
        padding: u32,
        end_stream: bool,
    },
    /// A frame's first `want` payload bytes, read whole; `skip` more follow, not read.
    Hold {
        head: FrameHeader,
        want: u32,
        skip: u32,
    },
    /// Payload bytes not read (unknown frame types, frames in error, unfollowed streams).
    Skip { left: u32 },
    /// Not decoded any more (not the preface, a gap, the end).
    Stopped,
}

impl State {
    const NEXT_FRAME: State = State::Header {
        have: 0,
        buf: [0; HEADER_LEN],
    };

    fn skip(left: u32) -> State {
        if left == 0 {
            State::NEXT_FRAME
        } else {
            State::Skip { left }
        }
    }
}

impl Direction {
    fn new(state: State) -> Direction {
        Direction {
            state,
            offset: 0,
            frame_at: 0,
            held: Vec::new(),
            block: None,
            fragments: Vec::new(),
            hpack: loona_hpack::Decoder::new(),
            hpack_lost: false,
            first_frame: true,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            largest_table_size: DEFAULT_TABLE_SIZE,
            settings_seen: false,
            enable_connect_protocol: None,
        }
    }
}

impl Connection {
    /// A connection whose `client` direction sends (or will send) the connection preface.
    pub(crate) fn new(client: Dir) -> Connection {
        let mut dirs = Dir::BOTH.map(|dir| {
            Direction::new(if dir == client {
                State::Preface { matched: 0 }
            } else {
                State::NEXT_FRAME
            })
        });
        for d in &mut dirs {
            d.hpack
                .set_max_allowed_table_size(DEFAULT_TABLE_SIZE as usize);
        }
        Connection {
            client,
            dirs,
            streams: BTreeMap::new(),
            highest: [0; 2],
            told_too_many: false,
        }
    }

    pub(crate) fn client(&self) -> Dir {
        self.client
    }

    fn server(&self) -> Dir {
        self.client.reverse()
    }

    /// The last SETTINGS_ENABLE_CONNECT_PROTOCOL the server announced.
    #[cfg(test)]
    pub(crate) fn enable_connect_protocol(&self) -> Option<u32> {
        self.dirs[self.server()].enable_connect_protocol
    }

    /// Bytes of `dir` fed so far (gaps included): the offset of the next one.
    #[cfg(test)]
    pub(crate) fn offset(&self, dir: Dir) -> u64 {
        self.dirs[dir].offset
    }

    /// Bytes held waiting for the rest of a frame or header block.
    pub(crate) fn buffered(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| {
                let header = match d.state {
                    State::Header { have, .. } => have,
                    _ => 0,
                };
                header + d.held.len() + d.fragments.len()
            })
            .sum()
    }

    /// The next bytes `dir` sent. DATA payloads come out as ranges of `bytes`.
    pub(crate) fn feed(&mut self, dir: Dir, bytes: &[u8], out: &mut Vec<Output>) {
        let base = self.dirs[dir].offset;
        let mut at = 0;
        while at < bytes.len() {
            at = self.step(dir, bytes, at, base, out);
        }
        self.dirs[dir].offset = base.saturating_add(bytes.len() as u64);
    }

    /// `len` bytes that `dir` sent are missing. Inside a DATA payload (or bytes being skipped)
    /// they are stepped over; anywhere else the rest of `dir` cannot be followed.
    pub(crate) fn gap(&mut self, dir: Dir, len: u64, out: &mut Vec<Output>) {
        let d = &mut self.dirs[dir];
        let at = d.offset;
        d.offset = d.offset.saturating_add(len);
        match d.state {
            State::Stopped => {}
            _ if len == 0 => {}
            State::Skip { left } if len <= u64::from(left) => {
                d.state = State::skip(left - len as u32);
            }
            State::Data {
                stream,
                left,
                padding,
                end_stream,
            } if len <= u64::from(left) + u64::from(padding) => {
                let in_data = len.min(u64::from(left)) as u32;
                let in_padding = (len - u64::from(in_data)) as u32;
                let left = left - in_data;
                if in_data > 0 {
                    out.push(Output::DataGap {
                        stream,
                        dir,
                        len: u64::from(in_data),
                    });
                }
                if left > 0 {
                    d.state = State::Data {
                        stream,
                        left,
                        padding,
                        end_stream,
                    };
                } else {
                    d.state = State::skip(padding - in_padding);
                    if in_data > 0 && end_stream {
                        // The payload's end was in the gap: END_STREAM still ends the stream.
                        out.push(Output::Data {
                            stream,
                            dir,
                            bytes: 0..0,
                            end_stream: true,
                        });
                        self.end_half(dir, stream, out);
                    }
                }
            }
            _ => {
                d.state = State::Stopped;
                d.block = None;
                d.held = Vec::new();
                d.fragments = Vec::new();
                report(out, dir, at, Problem::Gap { len });
            }
        }
    }

    /// The connection ended: a frame or header block left unfinished is reported, and every
    /// open stream ends.
    pub(crate) fn finish(&mut self, out: &mut Vec<Output>) {
        for dir in Dir::BOTH {
            let d = &mut self.dirs[dir];
            let cut = match d.state {
                State::Preface { matched } if matched > 0 => Some(Problem::CutInPreface),
                State::Header { have, buf } if have > 3 => Some(Problem::CutInFrame {
                    kind: Some(FrameType::from_u8(buf[3])),
                }),
                State::Header { have, .. } if have > 0 => Some(Problem::CutInFrame { kind: None }),
                State::DataPadLength { .. } | State::Data { .. } => Some(Problem::CutInFrame {
                    kind: Some(FrameType::Data),
                }),
                State::Hold { head, .. } => Some(Problem::CutInFrame {
                    kind: Some(head.kind),
                }),
                _ => None,
            };
            let (offset, cut) = match (cut, d.block) {
                (Some(cut), _) => (d.frame_at, Some(cut)),
                (None, Some(block)) => {
                    let kind = match block.kind {
                        BlockKind::Headers { .. } => FrameType::Headers,
                        BlockKind::Promise { .. } => FrameType::PushPromise,
                    };
                    (block.at, Some(Problem::CutInFrame { kind: Some(kind) }))
                }
                (None, None) => (0, None),
            };
            if let Some(problem) = cut {
                report(out, dir, offset, problem);
            }
            d.state = State::Stopped;
            d.block = None;
            d.held = Vec::new();
            d.fragments = Vec::new();
        }
        for (id, _) in std::mem::take(&mut self.streams) {
            out.push(Output::StreamEnd {
                stream: StreamId(id),
                how: End::ConnectionClosed,
            });
        }
    }

    /// Reads what it can from `bytes[at..]` in the current state; returns where it stopped.
    fn step(
        &mut self,
        dir: Dir,
        bytes: &[u8],
        at: usize,
        base: u64,
        out: &mut Vec<Output>,
    ) -> usize {
        let rest = &bytes[at..];
        let here = base.saturating_add(at as u64);
        let d = &mut self.dirs[dir];
        match d.state {
            State::Stopped => bytes.len(),
            State::Preface { matched } => {
                let want = &PREFACE[matched..];
                let n = want.len().min(rest.len());
                if let Some(wrong) = (0..n).find(|&i| rest[i] != want[i]) {
                    d.state = State::Stopped;
                    let offset = here.saturating_add(wrong as u64);
                    report(out, dir, offset, Problem::NotPreface);
                    return bytes.len();
                }
                d.state = if matched + n == PREFACE.len() {
                    State::NEXT_FRAME
                } else {
                    State::Preface {
                        matched: matched + n,
                    }
                };
                at + n
            }
            State::Header { have, mut buf } => {
                if have == 0 {
                    d.frame_at = here;
                    // The usual case: the whole header is in this feed, read in place.
                    if let Some(head) = FrameHeader::parse(rest) {
                        self.frame_begins(dir, head, at + HEADER_LEN, out);
                        return at + HEADER_LEN;
                    }
                }
                let n = (HEADER_LEN - have).min(rest.len());
                buf[have..have + n].copy_from_slice(&rest[..n]);
                match FrameHeader::parse(&buf[..have + n]) {
                    Some(head) => self.frame_begins(dir, head, at + n, out),
                    None => {
                        d.state = State::Header {
                            have: have + n,
                            buf,
                        }
                    }
                }
                at + n
            }
            State::DataPadLength { head } => {
                let pad = u32::from(rest[0]);
                let room = head.len.saturating_sub(1);
                if pad > room {
                    d.state = State::skip(room);
                    let problem = Problem::PaddingTooLong {
                        kind: FrameType::Data,
                        stream: head.stream,
                        pad,
                        room,
                    };
                    report(out, dir, d.frame_at, problem);
                } else {
                    let end_stream = head.has(flag::END_STREAM);
                    let (stream, left) = (head.stream, room - pad);
                    let state = self.data_begins(dir, stream, left, pad, end_stream, at + 1, out);
                    self.dirs[dir].state = state;
                }
                at + 1
            }
            State::Data {
                stream,
                left,
                padding,
                end_stream,
            } => {
                // `left` is never 0 here: an empty payload is done when it begins.
                let n = rest.len().min(left as usize);
                let left = left - n as u32;
                out.push(Output::Data {
                    stream,
                    dir,
                    bytes: at..at + n,
                    end_stream: left == 0 && end_stream,
                });
                if left == 0 {
                    d.state = State::skip(padding);
                    if end_stream {
                        self.end_half(dir, stream, out);
                    }
                } else {
                    d.state = State::Data {
                        stream,
                        left,
                        padding,
                        end_stream,
                    };
                }
                at + n
            }
            State::Skip { left } => {
                let n = rest.len().min(left as usize);
                d.state = State::skip(left - n as u32);
                at + n
            }
            State::Hold { head, want, skip } => {
                let need = want as usize - d.held.len();
                let n = need.min(rest.len());
                if n == need {
                    d.state = State::skip(skip);
                    if d.held.is_empty() {
                        // The whole payload is in this feed: read it in place.
                        self.frame_complete(dir, head, &rest[..n], out);
                    } else {
                        let mut held = std::mem::take(&mut d.held);
                        held.extend_from_slice(&rest[..n]);
                        self.frame_complete(dir, head, &held, out);
                        held.clear();
                        if held.capacity() > KEEP_CAPACITY {
                            held = Vec::new();
                        }
                        // A gap or the end cannot have come in between: the buffer is free.
                        self.dirs[dir].held = held;
                    }
                } else {
                    d.held.extend_from_slice(&rest[..n]);
                }
                at + n
            }
        }
    }

    /// A frame header was read; `next` is where its payload starts in the bytes being fed.
    fn frame_begins(&mut self, dir: Dir, head: FrameHeader, next: usize, out: &mut Vec<Output>) {
        let peer_max = self.dirs[dir.reverse()].max_frame_size;
        let d = &mut self.dirs[dir];
        let at = d.frame_at;
        if d.first_frame {
            d.first_frame = false;
            if head.kind != FrameType::Settings {
                report(
                    out,
                    dir,
                    at,
                    Problem::FirstFrameNotSettings { kind: head.kind },
                );
            }
        }
        if let Some(block) = d.block
            && !(head.kind == FrameType::Continuation && head.stream == block.stream)
        {
            d.block = None;
            d.fragments.clear();
            d.hpack_lost = true;
            let problem = Problem::ContinuationMissing {
                stream: block.stream,
                got: head.kind,
                got_stream: head.stream,
            };
            report(out, dir, at, problem);
            if head.kind == FrameType::Continuation {
                // Another stream's CONTINUATION: part of the same breakage, said once.
                d.state = State::skip(head.len);
                return;
            }
        }
        if head.len > peer_max {
            let problem = Problem::FrameTooLong {
                kind: head.kind,
                len: head.len,
                max: peer_max,
            };
            report(out, dir, at, problem);
        }
        let on_stream = head.stream != StreamId::CONNECTION;
        // Whether the frame has the length its type fixes; says so when not.
        let sized = |len: u32, expected: &'static str, out: &mut Vec<Output>| {
            if head.len != len {
                let problem = Problem::FrameSize {
                    kind: head.kind,
                    len: head.len,
                    expected,
                };
                report(out, dir, at, problem);
            }
            head.len == len
        };
        let state = match head.kind {
            FrameType::Data
            | FrameType::Headers
            | FrameType::PushPromise
            | FrameType::RstStream
            | FrameType::Priority
                if !on_stream =>
            {
                report(out, dir, at, Problem::NeedsStream { kind: head.kind });
                match head.kind {
                    // Decoded all the same: the HPACK state must follow every block.
                    FrameType::Headers | FrameType::PushPromise => {
                        self.hold_block(dir, head, at, out)
                    }
                    _ => State::skip(head.len),
                }
            }
            FrameType::Data => {
                if !self.follows_data(dir, head.stream, at, out) {
                    State::skip(head.len)
                } else if !head.has(flag::PADDED) {
                    let end_stream = head.has(flag::END_STREAM);
                    self.data_begins(dir, head.stream, head.len, 0, end_stream, next, out)
                } else if head.len == 0 {
                    // PADDED with no room for the pad length.
                    sized(1, "at least 1 byte when PADDED", out);
                    State::NEXT_FRAME
                } else {
                    State::DataPadLength { head }
                }
            }
            FrameType::Headers | FrameType::PushPromise => self.hold_block(dir, head, at, out),
            FrameType::Continuation => match d.block {
                None => {
                    let problem = Problem::UnexpectedContinuation {
                        stream: head.stream,
                    };
                    report(out, dir, at, problem);
                    State::skip(head.len)
                }
                Some(block) if block.lost => {
                    if head.has(flag::END_HEADERS) {
                        d.block = None;
                        self.head(dir, block, None, out);
                    }
                    State::skip(head.len)
                }
                Some(_) => self.hold_block(dir, head, at, out),
            },
            FrameType::Settings | FrameType::Ping | FrameType::GoAway if on_stream => {
                let problem = Problem::ConnectionFrameOnStream {
                    kind: head.kind,
                    stream: head.stream,
                };
                report(out, dir, at, problem);
                State::skip(head.len)
            }
            FrameType::Settings if head.has(flag::ACK) => {
                if sized(0, "empty with ACK", out) {
                    self.hold(dir, head, 0, 0, out)
                } else {
                    State::skip(head.len)
                }
            }
            FrameType::Settings if !head.len.is_multiple_of(6) => {
                sized(u32::MAX, "a multiple of 6 bytes", out);
                State::skip(head.len)
            }
            FrameType::Settings if head.len as usize > MAX_HELD => {
                let problem = Problem::TooLongToHold {
                    kind: head.kind,
                    len: head.len,
                    limit: MAX_HELD,
                };
                report(out, dir, at, problem);
                State::skip(head.len)
            }
            FrameType::Settings => self.hold(dir, head, head.len, 0, out),
            FrameType::Ping => {
                sized(8, "8 bytes", out);
                State::skip(head.len)
            }
            FrameType::GoAway if head.len < 8 => {
                sized(8, "at least 8 bytes", out);
                State::skip(head.len)
            }
            FrameType::GoAway => {
                let want = head.len.min(8 + MAX_DEBUG as u32);
                self.hold(dir, head, want, head.len - want, out)
            }
            FrameType::RstStream | FrameType::WindowUpdate => {
                if sized(4, "4 bytes", out) {
                    self.hold(dir, head, 4, 0, out)
                } else {
                    State::skip(head.len)
                }
            }
            FrameType::Priority => {
                if sized(5, "5 bytes", out) {
                    self.hold(dir, head, 5, 0, out)
                } else {
                    State::skip(head.len)
                }
            }
            FrameType::Unknown(_) => State::skip(head.len),
        };
        self.dirs[dir].state = state;
    }

    /// The state that holds a frame's first `want` payload bytes to read it whole, then skips
    /// `skip` more. An empty payload is read at once.
    fn hold(
        &mut self,
        dir: Dir,
        head: FrameHeader,
        want: u32,
        skip: u32,
        out: &mut Vec<Output>,
    ) -> State {
        if want > 0 {
            return State::Hold { head, want, skip };
        }
        self.frame_complete(dir, head, &[], out);
        State::skip(skip)
    }

    /// The state that holds a frame carrying a header block fragment, unless the block is not
    /// decoded (the HPACK state is lost, or the frame is longer than is held): then only the
    /// block's end is awaited.
    fn hold_block(&mut self, dir: Dir, head: FrameHeader, at: u64, out: &mut Vec<Output>) -> State {
        let d = &mut self.dirs[dir];
        if !d.hpack_lost && head.len as usize <= MAX_HELD {
            return self.hold(dir, head, head.len, 0, out);
        }
        let block = match (head.kind, d.block.take()) {
            (FrameType::Continuation, Some(block)) => block,
            _ => Block {
                stream: head.stream,
                kind: match head.kind {
                    // The promised stream's number is in the payload, which is not read.
                    FrameType::PushPromise => BlockKind::Promise {
                        promised: StreamId::CONNECTION,
                    },
                    _ => BlockKind::Headers {
                        end_stream: head.has(flag::END_STREAM),
                    },
                },
                at,
                lost: true,
            },
        };
        if !d.hpack_lost {
            d.hpack_lost = true;
            d.fragments.clear();
            let problem = Problem::HeaderBlockTooLong {
                stream: block.stream,
                limit: MAX_BLOCK,
            };
            report(out, dir, at, problem);
        }
        let block = Block {
            lost: true,
            ..block
        };
        if head.has(flag::END_HEADERS) {
            self.head(dir, block, None, out);
        } else {
            self.dirs[dir].block = Some(block);
        }
        State::skip(head.len)
    }

    /// The state for a DATA frame's payload of `left` bytes (then `padding`) on a followed
    /// stream, which begins at `next` in the bytes being fed. An empty one is over at once.
    #[allow(clippy::too_many_arguments)]
    fn data_begins(
        &mut self,
        dir: Dir,
        stream: StreamId,
        left: u32,
        padding: u32,
        end_stream: bool,
        next: usize,
        out: &mut Vec<Output>,
    ) -> State {
        if left > 0 {
            return State::Data {
                stream,
                left,
                padding,
                end_stream,
            };
        }
        if end_stream {
            out.push(Output::Data {
                stream,
                dir,
                bytes: next..next,
                end_stream: true,
            });
            self.end_half(dir, stream, out);
        }
        State::skip(padding)
    }

    /// Whether a DATA frame on `stream` from `dir` is followed; says why not when that breaks
    /// the protocol. Frames on a stream that ended (or was forgotten) are stepped over quietly:
    /// a peer may send until it learns of a reset.
    fn follows_data(&mut self, dir: Dir, stream: StreamId, at: u64, out: &mut Vec<Output>) -> bool {
        let problem = match self.streams.get(&stream.0) {
            Some(s) if !s.ended[dir] => return true,
            Some(_) => Problem::StreamClosed {
                kind: FrameType::Data,
                stream,
            },
            None if self.is_idle(stream) => Problem::IdleStream {
                kind: FrameType::Data,
                stream,
            },
            None => return false,
        };
        report(out, dir, at, problem);
        false
    }

    /// No side has opened `stream` yet. Unknown once the side that would have opened it is no
    /// longer read (after a gap, say): then nothing is judged idle.
    fn is_idle(&self, stream: StreamId) -> bool {
        let opener = if stream.is_client_initiated() {
            self.client
        } else {
            self.server()
        };
        stream.0 > self.highest[opener] && !matches!(self.dirs[opener].state, State::Stopped)
    }

    /// A frame read whole (all of it but GOAWAY debug data past `MAX_DEBUG`).
    fn frame_complete(
        &mut self,
        dir: Dir,
        head: FrameHeader,
        payload: &[u8],
        out: &mut Vec<Output>,
    ) {
        let at = self.dirs[dir].frame_at;
        match head.kind {
            FrameType::Headers | FrameType::PushPromise | FrameType::Continuation => {
                self.fragment(dir, head, payload, at, out)
            }
            FrameType::Settings => self.settings(dir, head, payload, at, out),
            FrameType::GoAway => self.go_away(dir, head, payload, out),
            FrameType::RstStream => {
                let code = ErrorCode(u32_at(payload, 0));
                if self.streams.remove(&head.stream.0).is_some() {
                    out.push(Output::StreamEnd {
                        stream: head.stream,
                        how: End::Reset { by: dir, code },
                    });
                } else if self.is_idle(head.stream) {
                    let problem = Problem::IdleStream {
                        kind: head.kind,
                        stream: head.stream,
                    };
                    report(out, dir, at, problem);
                }
            }
            FrameType::WindowUpdate => {
                if u32_at(payload, 0) & 0x7fff_ffff == 0 {
                    let problem = Problem::ZeroWindowIncrement {
                        stream: head.stream,
                    };
                    report(out, dir, at, problem);
                }
            }
            FrameType::Priority => {
                if u32_at(payload, 0) & 0x7fff_ffff == head.stream.0 {
                    let problem = Problem::SelfDependency {
                        kind: head.kind,
                        stream: head.stream,
                    };
                    report(out, dir, at, problem);
                }
            }
            FrameType::Data | FrameType::Ping | FrameType::Unknown(_) => {}
        }
    }

    /// A HEADERS, PUSH_PROMISE or CONTINUATION payload: its fragment joins the block, which is
    /// decoded once END_HEADERS comes.
    fn fragment(
        &mut self,
        dir: Dir,
        head: FrameHeader,
        payload: &[u8],
        at: u64,
        out: &mut Vec<Output>,
    ) {
        let found = match (head.kind, self.dirs[dir].block) {
            // A CONTINUATION is all fragment (it has no padding).
            (FrameType::Continuation, Some(block)) => Ok((block.kind, payload)),
            (FrameType::Continuation, None) => return, // ruled out when the frame began
            _ => block_fragment(head, payload),
        };
        let (kind, fragment) = match found {
            Ok(found) => found,
            Err(problem) => {
                report(out, dir, at, problem);
                return self.block_broken(dir, head, at, out);
            }
        };
        if head.kind == FrameType::PushPromise && dir == self.client {
            let problem = Problem::PushFromClient {
                stream: head.stream,
            };
            report(out, dir, at, problem);
        }
        if head.kind == FrameType::Headers
            && head.has(flag::PRIORITY)
            && payload_dependency(head, payload) == Some(head.stream.0)
        {
            let problem = Problem::SelfDependency {
                kind: head.kind,
                stream: head.stream,
            };
            report(out, dir, at, problem);
        }
        let d = &mut self.dirs[dir];
        let block = d.block.take().unwrap_or(Block {
            stream: head.stream,
            kind,
            at,
            lost: false,
        });
        if d.fragments.len() + fragment.len() > MAX_BLOCK {
            d.fragments.clear();
            d.hpack_lost = true;
            let problem = Problem::HeaderBlockTooLong {
                stream: block.stream,
                limit: MAX_BLOCK,
            };
            report(out, dir, at, problem);
            let block = Block {
                lost: true,
                ..block
            };
            if head.has(flag::END_HEADERS) {
                self.head(dir, block, None, out);
            } else {
                d.block = Some(block);
            }
            return;
        }
        if !head.has(flag::END_HEADERS) {
            d.fragments.extend_from_slice(fragment);
            d.block = Some(block);
            return;
        }
        let decoded = if d.fragments.is_empty() {
            // A block in one frame, the usual case: decoded in place.
            head::decode(&mut d.hpack, fragment)
        } else {
            d.fragments.extend_from_slice(fragment);
            let decoded = head::decode(&mut d.hpack, &d.fragments);
            d.fragments.clear();
            if d.fragments.capacity() > KEEP_CAPACITY {
                d.fragments = Vec::new();
            }
            decoded
        };
        match decoded {
            Ok(h) => {
                if h.is_truncated() {
                    let problem = Problem::HeadTooLong {
                        stream: block.stream,
                    };
                    report(out, dir, block.at, problem);
                }
                self.head(dir, block, Some(h), out);
            }
            Err(e) => {
                d.hpack_lost = true;
                let problem = Problem::Compression {
                    stream: block.stream,
                    error: e.to_string(),
                };
                report(out, dir, block.at, problem);
                self.head(dir, block, None, out);
            }
        }
    }

    /// A HEADERS or PUSH_PROMISE frame too broken to find its fragment in: the HPACK state is
    /// lost with it (the problem reported says so), and a block it began awaits its end.
    fn block_broken(&mut self, dir: Dir, head: FrameHeader, at: u64, out: &mut Vec<Output>) {
        let d = &mut self.dirs[dir];
        d.hpack_lost = true;
        let kind = match head.kind {
            // A promise that cannot be read promises nothing that can be followed.
            FrameType::PushPromise => BlockKind::Promise {
                promised: StreamId::CONNECTION,
            },
            _ => BlockKind::Headers {
                end_stream: head.has(flag::END_STREAM),
            },
        };
        let block = Block {
            stream: head.stream,
            kind,
            at,
            lost: true,
        };
        if head.has(flag::END_HEADERS) {
            self.head(dir, block, None, out);
        } else {
            d.block = Some(block);
        }
    }

    /// A header block ended, decoded (`Some`) or not: the stream it belongs to moves on.
    fn head(&mut self, dir: Dir, block: Block, head: Option<Head>, out: &mut Vec<Output>) {
        let stream = block.stream;
        let at = block.at;
        if stream == StreamId::CONNECTION {
            return; // reported when the frame began
        }
        let end_stream = match block.kind {
            BlockKind::Promise { promised } => {
                return self.promise(dir, block, promised, head, out);
            }
            BlockKind::Headers { end_stream } => end_stream,
        };
        if let Some(s) = self.streams.get_mut(&stream.0) {
            if s.ended[dir] {
                let kind = FrameType::Headers;
                report(out, dir, at, Problem::StreamClosed { kind, stream });
                return;
            }
            let response = dir != self.client && !s.answered;
            if response {
                // An interim (1xx) answer leaves room for the final one.
                let interim = head
                    .as_ref()
                    .and_then(Head::status)
                    .is_some_and(|s| (100..200).contains(&s));
                s.answered = !interim;
            } else if !end_stream {
                report(out, dir, at, Problem::TrailersWithoutEndStream { stream });
            }
            if let Some(head) = head {
                out.push(if response {
                    let tunnel = s.tunnel.clone();
                    Output::Response {
                        stream,
                        head,
                        tunnel,
                        end_stream,
                    }
                } else {
                    Output::Trailers {
                        stream,
                        dir,
                        head,
                        end_stream,
                    }
                });
            }
        } else if dir == self.client {
            let highest = StreamId(self.highest[dir]);
            if !stream.is_client_initiated() {
                report(out, dir, at, Problem::EvenStreamFromClient { stream });
                return;
            }
            if stream <= highest {
                report(out, dir, at, Problem::StreamReused { stream, highest });
                return;
            }
            self.highest[dir] = stream.0;
            let tunnel = head.as_ref().and_then(head::tunnel).map(Box::new);
            if let Some(t) = &tunnel {
                self.check_connect(dir, at, stream, t, out);
            }
            self.open(dir, at, stream, [false; 2], tunnel.clone(), out);
            if let Some(head) = head {
                out.push(Output::Request {
                    stream,
                    head,
                    tunnel,
                    end_stream,
                });
            }
        } else {
            if self.is_idle(stream) {
                let kind = FrameType::Headers;
                report(out, dir, at, Problem::IdleStream { kind, stream });
            }
            // Otherwise a late answer on a stream that ended: nothing to follow.
            return;
        }
        if end_stream {
            self.end_half(dir, stream, out);
        }
    }

    /// A PUSH_PROMISE's block ended: the promised stream is followed from now on.
    fn promise(
        &mut self,
        dir: Dir,
        block: Block,
        promised: StreamId,
        head: Option<Head>,
        out: &mut Vec<Output>,
    ) {
        if dir == self.client || promised == StreamId::CONNECTION {
            return; // reported already, or not readable
        }
        if promised.is_client_initiated() || promised.0 <= self.highest[dir] {
            report(out, dir, block.at, Problem::BadPromise { promised });
            return;
        }
        self.highest[dir] = promised.0;
        let mut ended = [false; 2];
        // A pushed request has no body: only the server speaks on the stream.
        ended[self.client] = true;
        self.open(dir, block.at, promised, ended, None, out);
        if let Some(head) = head {
            out.push(Output::Promise {
                stream: block.stream,
                promised,
                head,
            });
        }
    }

    /// What RFC 8441 section 4 asks of an extended CONNECT that its header list alone does not
    /// show.
    fn check_connect(
        &self,
        dir: Dir,
        at: u64,
        stream: StreamId,
        t: &Tunnel,
        out: &mut Vec<Output>,
    ) {
        let server = &self.dirs[self.server()];
        // Judged only once the server's SETTINGS were seen: it sends them first, but a capture
        // may show the client's bytes before them.
        if server.settings_seen && server.enable_connect_protocol != Some(1) {
            report(out, dir, at, Problem::ConnectNotEnabled { stream });
        }
        for (missing, absent) in [
            (":scheme", t.scheme.is_none()),
            (":path", t.path.is_none()),
            (":authority", t.authority.is_none()),
        ] {
            if absent {
                report(out, dir, at, Problem::MalformedConnect { stream, missing });
            }
        }
    }

    /// Starts following `stream`; when too many are followed, the oldest is forgotten.
    fn open(
        &mut self,
        dir: Dir,
        at: u64,
        stream: StreamId,
        ended: [bool; 2],
        tunnel: Option<Box<Tunnel>>,
        out: &mut Vec<Output>,
    ) {
        if self.streams.len() >= MAX_STREAMS
            && let Some((oldest, _)) = self.streams.pop_first()
        {
            if !self.told_too_many {
                self.told_too_many = true;
                let limit = MAX_STREAMS;
                report(out, dir, at, Problem::TooManyStreams { limit });
            }
            out.push(Output::StreamEnd {
                stream: StreamId(oldest),
                how: End::Forgotten,
            });
        }
        let s = Stream {
            answered: false,
            ended,
            tunnel,
        };
        self.streams.insert(stream.0, s);
    }

    /// `dir` sent END_STREAM on `stream`; once both have, the stream is over.
    fn end_half(&mut self, dir: Dir, stream: StreamId, out: &mut Vec<Output>) {
        let Some(s) = self.streams.get_mut(&stream.0) else {
            return;
        };
        s.ended[dir] = true;
        if s.ended == [true; 2] {
            self.streams.remove(&stream.0);
            out.push(Output::StreamEnd {
                stream,
                how: End::Finished,
            });
        }
    }

    fn settings(
        &mut self,
        dir: Dir,
        head: FrameHeader,
        payload: &[u8],
        at: u64,
        out: &mut Vec<Output>,
    ) {
        let server = dir != self.client;
        let d = &mut self.dirs[dir];
        d.settings_seen = true;
        let mut values = Vec::with_capacity(payload.len() / 6);
        let mut enable_connect_protocol = None;
        for entry in payload.chunks_exact(6) {
            let setting = Setting::from_u16(u16::from_be_bytes([entry[0], entry[1]]));
            let value = u32_at(entry, 2);
            let why = match setting {
                Setting::HeaderTableSize => {
                    d.largest_table_size = d.largest_table_size.max(value);
                    None
                }
                Setting::EnablePush if value > 1 => {
                    Some("only 0 and 1 are allowed (PROTOCOL_ERROR)")
                }
                Setting::EnablePush if server && value == 1 => {
                    Some("a server must not send 1 (RFC 9113 §6.5.2, PROTOCOL_ERROR)")
                }
                Setting::InitialWindowSize if value > 0x7fff_ffff => {
                    Some("above 2^31-1 (FLOW_CONTROL_ERROR)")
                }
                Setting::MaxFrameSize
                    if !(DEFAULT_MAX_FRAME_SIZE..=MAX_FRAME_SIZE).contains(&value) =>
                {
                    Some("outside 16384 to 16777215 (PROTOCOL_ERROR)")
                }
                Setting::MaxFrameSize => {
                    d.max_frame_size = d.max_frame_size.max(value);
                    None
                }
                Setting::EnableConnectProtocol if value > 1 => {
                    Some("only 0 and 1 are allowed (PROTOCOL_ERROR)")
                }
                Setting::EnableConnectProtocol => {
                    let withdrawn = value == 0 && d.enable_connect_protocol == Some(1);
                    d.enable_connect_protocol = Some(value);
                    enable_connect_protocol = Some(value);
                    withdrawn.then_some("0 after 1 is not allowed (RFC 8441 §3, PROTOCOL_ERROR)")
                }
                _ => None,
            };
            if let Some(why) = why {
                let problem = Problem::BadSetting {
                    setting,
                    value,
                    why,
                };
                report(out, dir, at, problem);
            }
            values.push((setting, value));
        }
        // The table this endpoint lets its peer's encoder use. The peer may use the largest
        // announced until it has seen a smaller one, so the largest is allowed.
        let table = (d.largest_table_size as usize).min(MAX_TABLE);
        self.dirs[dir.reverse()]
            .hpack
            .set_max_allowed_table_size(table);
        out.push(Output::Settings {
            dir,
            ack: head.has(flag::ACK),
            values,
            enable_connect_protocol,
        });
    }

    fn go_away(&mut self, dir: Dir, head: FrameHeader, payload: &[u8], out: &mut Vec<Output>) {
        let last_stream = StreamId(u32_at(payload, 0) & 0x7fff_ffff);
        let code = ErrorCode(u32_at(payload, 4));
        let mut debug = head::escape(payload.get(8..).unwrap_or_default());
        let cut = (head.len as usize).saturating_sub(payload.len());
        if cut > 0 {
            debug.push_str(&format!("… ({cut} more bytes)"));
        }
        out.push(Output::GoAway {
            dir,
            last_stream,
            code,
            debug,
        });
        // The streams the other side opened above `last_stream` were not processed.
        let theirs_odd = dir.reverse() == self.client;
        let gone: Vec<u32> = self
            .streams
            .range(last_stream.0.saturating_add(1)..)
            .map(|(&id, _)| id)
            .filter(|&id| StreamId(id).is_client_initiated() == theirs_odd)
            .collect();
        for id in gone {
            self.streams.remove(&id);
            out.push(Output::StreamEnd {
                stream: StreamId(id),
                how: End::GoneAway { by: dir, code },
            });
        }
    }
}

/// The block kind and header block fragment of a HEADERS or PUSH_PROMISE payload: padding,
/// priority fields and promised stream taken off. `Err` when they do not fit in the payload.
fn block_fragment(head: FrameHeader, payload: &[u8]) -> Result<(BlockKind, &[u8]), Problem> {
    let size = |expected| Problem::FrameSize {
        kind: head.kind,
        len: head.len,
        expected,
    };
    let (pad, mut inner) = if head.has(flag::PADDED) {
        let (&pad, inner) = payload
            .split_first()
            .ok_or(size("at least 1 byte when PADDED"))?;
        (usize::from(pad), inner)
    } else {
        (0, payload)
    };
    let kind = if head.kind == FrameType::PushPromise {
        let (promised, rest) = inner
            .split_first_chunk::<4>()
            .ok_or(size("long enough for the promised stream"))?;
        inner = rest;
        BlockKind::Promise {
            promised: StreamId(u32::from_be_bytes(*promised) & 0x7fff_ffff),
        }
    } else {
        if head.has(flag::PRIORITY) {
            inner = inner
                .get(5..)
                .ok_or(size("long enough for the priority fields"))?;
        }
        BlockKind::Headers {
            end_stream: head.has(flag::END_STREAM),
        }
    };
    // Padding must leave room for the fields before the fragment (RFC 9113 sections 6.2, 6.6).
    let room = inner.len();
    let fragment =
        room.checked_sub(pad)
            .map(|end| &inner[..end])
            .ok_or(Problem::PaddingTooLong {
                kind: head.kind,
                stream: head.stream,
                pad: pad as u32,
                room: room as u32,
            })?;
    Ok((kind, fragment))
}

/// The stream a HEADERS frame with PRIORITY depends on.
fn payload_dependency(head: FrameHeader, payload: &[u8]) -> Option<u32> {
    let at = usize::from(head.has(flag::PADDED));
    payload.get(at..at + 4).map(|b| u32_at(b, 0) & 0x7fff_ffff)
}

/// The big-endian `u32` at `at` (0 where the bytes are short, which the callers rule out).
fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

/// Reports a problem in `dir`'s bytes at `offset`.
fn report(out: &mut Vec<Output>, dir: Dir, offset: u64, problem: Problem) {
    out.push(Output::Problem {
        dir,
        offset,
        problem,
    });
}
