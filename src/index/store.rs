//! Everything the decoder reported, kept for browsing: connections with their running counts,
//! frames, messages and gaps, and the links between them (which message a frame belongs to).
//!
//! Lists are drawn from indices into these vectors, so a view over a million frames costs a
//! `u32` per row; details are built from one stored event when a row is selected.

use std::borrow::Cow;

use super::spill::{self, Span, Unreadable};
use crate::model::{self, Event};
use crate::vocab::{ConnId, Opcode, PacketNo, Side, Timestamp};
use crate::ws::{FrameHeader, Problems};

/// A connection, with running counts of what it carried.
pub(crate) struct Conn {
    pub(crate) info: model::Connection,
    pub(crate) frames: u64,
    messages: u64,
    /// Payload bytes as they crossed the wire (after unmasking, before inflating).
    pub(crate) bytes: u64,
    /// Frames or messages with at least one problem, and gaps.
    pub(crate) problems: u64,
    /// The first close frame seen on the connection: its code (if any) and who sent it.
    pub(crate) close: Option<(Option<u16>, Side)>,
    pub(crate) end: Option<model::End>,
    /// For a wss connection, the TLS records each side sent, in order: the client's, then the
    /// server's.
    records: [Vec<RecordMeta>; 2],
}

/// A TLS record as the store keeps it: [`model::TlsRecord`] in 56 bytes rather than 88, for
/// a capture may hold millions.
#[derive(Clone, Copy, Debug)]
struct RecordMeta {
    /// Where its plaintext begins in its sender's decrypted stream …
    plain: u64,
    /// … and how long it is (at most 2^14 + 256 bytes).
    plain_len: u32,
    packets_before: u32,
    /// The last capture packet holding its bytes.
    packet: PacketNo,
    number: u64,
    header: [u8; 5],
    head: [u8; model::TlsRecord::HEAD],
}

impl RecordMeta {
    fn new(r: &model::TlsRecord) -> RecordMeta {
        let (first, last) = r.packets;
        RecordMeta {
            plain: r.plain.0,
            plain_len: u32::try_from(r.plain.1.saturating_sub(r.plain.0)).unwrap_or(u32::MAX),
            packets_before: u32::try_from(last.0.saturating_sub(first.0)).unwrap_or(u32::MAX),
            packet: last,
            number: r.number,
            header: r.header,
            head: r.head,
        }
    }

    fn end(&self) -> u64 {
        self.plain + u64::from(self.plain_len)
    }

    fn record(&self, conn: ConnId, from: Side) -> model::TlsRecord {
        model::TlsRecord {
            conn,
            from,
            number: self.number,
            header: self.header,
            head: self.head,
            packets: (
                PacketNo(self.packet.0 - u64::from(self.packets_before)),
                self.packet,
            ),
            plain: (self.plain, self.end()),
        }
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

/// Marks a frame whose message has not completed (yet).
const NO_MESSAGE: u32 = u32::MAX;

/// A frame as the store keeps it: [`model::Frame`] with its payload in the spill file.
#[derive(Clone, Debug)]
pub struct FrameMeta {
    pub(crate) conn: ConnId,
    pub(crate) n: u64,
    pub(crate) ts: Timestamp,
    pub(crate) from: Side,
    pub(crate) header: FrameHeader,
    pub(crate) payload: Span,
    truncated: bool,
    pub(crate) problems: Problems,
    /// The last capture packet holding the frame's bytes (the one the lists show) …
    pub(crate) packet: PacketNo,
    /// … and how many packets before it the first was: 12 bytes for the two rather than 16,
    /// so that `offset` costs a frame nothing.
    packets_before: u32,
    /// Where the frame lies in its sender's stream ([`model::Frame::offset`]): for a frame of
    /// a TLS connection, it finds the records the frame came in.
    pub(crate) offset: u64,
}

impl FrameMeta {
    /// The first and last capture packet holding the frame's bytes.
    pub(crate) fn packets(&self) -> (PacketNo, PacketNo) {
        let first = self.packet.0 - u64::from(self.packets_before);
        (PacketNo(first), self.packet)
    }
}

/// A message as the store keeps it: [`model::Message`] with its bytes in the spill file.
#[derive(Clone, Debug)]
pub struct MessageMeta {
    pub(crate) conn: ConnId,
    pub(crate) ts: Timestamp,
    pub(crate) from: Side,
    pub(crate) opcode: Opcode,
    pub(crate) frames: FrameList,
    pub(crate) compressed: bool,
    pub(crate) data: Span,
    text_valid: bool,
    close_code: Option<u16>,
    pub(crate) problems: Problems,
}

/// How the store keeps a message. Nearly every message is one frame, and then its time, sender,
/// opcode and bytes are the frame's own: it is kept as the frame's index, in 8 bytes instead of
/// a [`MessageMeta`]'s 64. Memory then follows frames, not frames and messages.
#[derive(Clone, Copy, Debug)]
enum Kept {
    Frame {
        frame: u32,
        text_valid: bool,
    },
    /// Index in `Store::full_messages`.
    Full(u32),
}

/// The frame numbers of a message, without a heap allocation for the usual one-frame message.
#[derive(Clone, Debug)]
pub(crate) enum FrameList {
    One(u64),
    Many(Box<[u64]>),
}

impl From<&[u64]> for FrameList {
    fn from(ns: &[u64]) -> Self {
        match ns {
            [n] => FrameList::One(*n),
            _ => FrameList::Many(ns.into()),
        }
    }
}

impl std::ops::Deref for FrameList {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        match self {
            FrameList::One(n) => std::slice::from_ref(n),
            FrameList::Many(ns) => ns,
        }
    }
}

/// An event as the store takes it: frames and messages with their bytes already in the spill.
pub enum Entry {
    Frame(FrameMeta),
    Message(MessageMeta),
    /// Kept as it is: small, and without bytes to spill.
    Record(model::TlsRecord),
    /// Connections, rejections, plain HTTP, gaps and ends, as decoded; boxed, for they are few
    /// and large, and entries travel between threads by the thousand.
    Other(Box<Event>),
}

/// Turns events into [`Entry`]s, writing their bytes to a spill. The terminal UI runs this on
/// its decoding thread, so that payload bytes never cross to the UI thread.
pub(crate) struct Ingest {
    pub(crate) writer: spill::Writer,
    /// The last frame put, to store a one-frame message's bytes once.
    last_frame: Option<(ConnId, u64, Span)>,
}

impl Ingest {
    pub(crate) fn new(writer: spill::Writer) -> Ingest {
        Ingest {
            writer,
            last_frame: None,
        }
    }

    /// The entry for an event. The event itself goes to `done` once its bytes were copied,
    /// so that its buffers can be reused.
    pub(crate) fn entry(&mut self, ev: Event, done: &mut impl FnMut(Event)) -> Entry {
        let ev = match ev {
            Event::TlsRecord(r) => return Entry::Record(r),
            ev => ev,
        };
        let entry = match &ev {
            Event::Frame(f) => {
                let payload = self.writer.put(&f.payload);
                self.last_frame = Some((f.conn, f.n, payload));
                Entry::Frame(FrameMeta {
                    conn: f.conn,
                    n: f.n,
                    ts: f.ts,
                    from: f.from,
                    header: f.header,
                    payload,
                    truncated: f.truncated,
                    problems: f.problems.as_slice().into(),
                    packet: f.packets.1,
                    // A frame over 4 billion packets starts, for the views, at the 4 billionth.
                    packets_before: u32::try_from(f.packets.1.0.saturating_sub(f.packets.0.0))
                        .unwrap_or(u32::MAX),
                    offset: f.offset,
                })
            }
            Event::Message(m) => {
                // A message of one plain frame holds that frame's bytes (its frame came just
                // before it): point at them rather than store them twice.
                let same = match (m.frames.as_slice(), self.last_frame) {
                    ([n], Some((conn, last, span)))
                        if !m.compressed
                            && conn == m.conn
                            && last == *n
                            && span.len() == m.data.len() =>
                    {
                        Some(span)
                    }
                    _ => None,
                };
                let data = match same {
                    Some(span) => span,
                    None => self.writer.put(&m.data),
                };
                Entry::Message(MessageMeta {
                    conn: m.conn,
                    ts: m.ts,
                    from: m.from,
                    opcode: m.opcode,
                    frames: m.frames.as_slice().into(),
                    compressed: m.compressed,
                    data,
                    text_valid: m.text_valid,
                    close_code: m.close_code,
                    problems: m.problems.as_slice().into(),
                })
            }
            _ => return Entry::Other(Box::new(ev)),
        };
        done(ev);
        entry
    }
}

pub struct Store {
    pub(crate) conns: Vec<Conn>,
    pub(crate) rejected: Vec<model::Rejected>,
    /// Plain HTTP requests and their answers on connections that could carry WebSockets.
    pub(crate) http: Vec<model::Http>,
    pub frames: Vec<FrameMeta>,
    /// For each frame, the index of its message in `messages`, or [`NO_MESSAGE`].
    frame_message: Vec<u32>,
    /// Messages in the order they completed; read them with [`Store::message_meta`].
    messages: Vec<Kept>,
    /// The messages that are more than one plain frame.
    full_messages: Vec<MessageMeta>,
    pub(crate) gaps: Vec<model::Gap>,
    /// What went wrong below WebSocket, in capture order.
    pub(crate) anomalies: Vec<model::Anomaly>,
    /// TLS connections that could not be decrypted, and alerts.
    pub(crate) tls: Vec<model::TlsNote>,
    /// How many of `tls` say a connection could not be decrypted.
    pub(crate) undecrypted: usize,
    /// For each connection, its frames' indices in `frames`, by frame number `n`.
    conn_frames: Vec<Vec<u32>>,
    pub(crate) first_ts: Option<Timestamp>,
    /// Payload bytes of all frames, and final bytes of all messages: how much a search reads.
    pub payload_bytes: u64,
    pub(crate) message_bytes: u64,
    /// Where payload and message bytes are read back from.
    pub(crate) spill: spill::Reader,
    /// For events pushed here directly: an in-memory spill of the store's own.
    local: Option<Ingest>,
}

impl Default for Store {
    /// A store for events pushed directly; their bytes stay in memory.
    fn default() -> Self {
        let (writer, reader) = spill::in_memory();
        let mut s = Store::reading(reader);
        s.local = Some(Ingest::new(writer));
        s
    }
}

impl Store {
    /// A store for entries made elsewhere (the decoding thread), read back through `spill`.
    pub fn reading(spill: spill::Reader) -> Store {
        Store {
            conns: Vec::new(),
            rejected: Vec::new(),
            http: Vec::new(),
            frames: Vec::new(),
            frame_message: Vec::new(),
            messages: Vec::new(),
            full_messages: Vec::new(),
            gaps: Vec::new(),
            anomalies: Vec::new(),
            tls: Vec::new(),
            undecrypted: 0,
            conn_frames: Vec::new(),
            first_ts: None,
            payload_bytes: 0,
            message_bytes: 0,
            spill,
            local: None,
        }
    }

    /// The entry for an event, its bytes kept in this store's own memory (a store made with
    /// `default`); `None` for a store that reads another thread's spill, where an event's
    /// bytes would have nowhere to go.
    pub(crate) fn entry(&mut self, ev: Event) -> Option<Entry> {
        Some(self.local.as_mut()?.entry(ev, &mut drop))
    }

    /// Takes an event directly (a store made with `default`).
    pub(crate) fn push(&mut self, ev: Event) {
        if let Some(entry) = self.entry(ev) {
            self.push_entry(entry);
        }
    }

    pub(crate) fn push_entry(&mut self, entry: Entry) {
        let ev = match entry {
            Entry::Frame(f) => return self.push_frame(f),
            Entry::Message(m) => return self.push_message(m),
            Entry::Record(r) => {
                if let Some(c) = self.conn_mut(r.conn) {
                    c.records[side_index(r.from)].push(RecordMeta::new(&r));
                }
                return;
            }
            Entry::Other(ev) => *ev,
        };
        match ev {
            Event::Connection(c) => {
                self.first_ts.get_or_insert(c.ts);
                self.conns.push(Conn {
                    info: c,
                    frames: 0,
                    messages: 0,
                    bytes: 0,
                    problems: 0,
                    close: None,
                    end: None,
                    records: Default::default(),
                });
                self.conn_frames.push(Vec::new());
            }
            Event::Rejected(r) => {
                self.first_ts.get_or_insert(r.ts);
                self.rejected.push(r);
            }
            Event::Http(h) => {
                self.first_ts.get_or_insert(h.ts);
                self.http.push(h);
            }
            Event::Gap(g) => {
                if let Some(c) = self.conn_mut(g.conn) {
                    c.problems += 1;
                }
                self.gaps.push(g);
            }
            Event::End(e) => {
                if let Some(c) = self.conn_mut(e.conn) {
                    c.end = Some(e);
                }
            }
            Event::Anomaly(a) => self.anomalies.push(a),
            Event::Tls(n) => {
                self.first_ts.get_or_insert(n.ts);
                if matches!(n.what, model::TlsWhat::Undecryptable(_)) {
                    self.undecrypted += 1;
                }
                self.tls.push(n);
            }
            Event::Frame(_) | Event::Message(_) | Event::TlsRecord(_) => {}
        }
    }

    fn push_frame(&mut self, f: FrameMeta) {
        let index = self.frames.len() as u32;
        let close_code = (f.header.opcode == Opcode::Close && f.payload.len() >= 2)
            .then(|| self.spill.head(f.payload, 2).ok())
            .flatten()
            .and_then(|b| Some(u16::from_be_bytes(b.get(..2)?.try_into().ok()?)));
        self.payload_bytes += f.payload.len() as u64;
        if let Some(c) = self.conn_mut(f.conn) {
            c.frames += 1;
            c.bytes += f.payload.len() as u64;
            c.problems += u64::from(!f.problems.is_empty());
            if f.header.opcode == Opcode::Close && c.close.is_none() {
                c.close = Some((close_code, f.from));
            }
        }
        if let Some(list) = self.conn_frames.get_mut(f.conn.index()) {
            // `n` counts frames of the connection in the order they complete.
            if list.len() as u64 == f.n {
                list.push(index);
            }
        }
        self.frames.push(f);
        self.frame_message.push(NO_MESSAGE);
    }

    fn push_message(&mut self, m: MessageMeta) {
        let index = self.messages.len() as u32;
        self.message_bytes += m.data.len() as u64;
        if let Some(c) = self.conn_mut(m.conn) {
            c.messages += 1;
            c.problems += u64::from(!m.problems.is_empty());
        }
        for n in m.frames.iter() {
            if let Some(f) = self.frame_index(m.conn, *n) {
                self.frame_message[f as usize] = index;
            }
        }
        let kept = match self.plain_frame(&m) {
            Some(frame) => Kept::Frame {
                frame,
                text_valid: m.text_valid,
            },
            None => {
                self.full_messages.push(m);
                Kept::Full(self.full_messages.len() as u32 - 1)
            }
        };
        self.messages.push(kept);
    }

    /// The index of the one frame a message is, when the message holds nothing of its own: one
    /// frame, not compressed, its bytes the frame's, no close code, no problems.
    fn plain_frame(&self, m: &MessageMeta) -> Option<u32> {
        let FrameList::One(n) = m.frames else {
            return None;
        };
        let index = self.frame_index(m.conn, n)?;
        let f = &self.frames[index as usize];
        let same = !m.compressed
            && m.close_code.is_none()
            && m.problems.is_empty()
            && (m.conn, m.ts, m.from, m.opcode, m.data)
                == (f.conn, f.ts, f.from, f.header.opcode, f.payload);
        same.then_some(index)
    }

    /// The TLS records frame `index`'s bytes came in, in order: none for a frame not carried
    /// in TLS, or carried in HTTP/2 over TLS (whose records are not told).
    pub(crate) fn records_of(&self, index: u32) -> Vec<model::TlsRecord> {
        let f = &self.frames[index as usize];
        let Some(c) = self.conn(f.conn) else {
            return Vec::new();
        };
        let list = &c.records[side_index(f.from)];
        let start = f.offset;
        let end = start
            .saturating_add(u64::from(f.header.header_len))
            .saturating_add(f.header.len);
        let first = list.partition_point(|r| r.end() <= start);
        list[first..]
            .iter()
            .take_while(|r| r.plain < end)
            .map(|r| r.record(f.conn, f.from))
            .collect()
    }

    /// Messages in the store.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Where message `i`'s final bytes are.
    pub(crate) fn message_data(&self, i: u32) -> Span {
        match self.messages[i as usize] {
            Kept::Frame { frame, .. } => self.frames[frame as usize].payload,
            Kept::Full(at) => self.full_messages[at as usize].data,
        }
    }

    /// Message `i` (below [`Store::message_count`]) as it was decoded.
    pub(crate) fn message_meta(&self, i: u32) -> Cow<'_, MessageMeta> {
        match self.messages[i as usize] {
            Kept::Full(at) => Cow::Borrowed(&self.full_messages[at as usize]),
            Kept::Frame { frame, text_valid } => {
                let f = &self.frames[frame as usize];
                Cow::Owned(MessageMeta {
                    conn: f.conn,
                    ts: f.ts,
                    from: f.from,
                    opcode: f.header.opcode,
                    frames: FrameList::One(f.n),
                    compressed: false,
                    data: f.payload,
                    text_valid,
                    close_code: None,
                    problems: Problems::default(),
                })
            }
        }
    }

    /// Connection `conn`, as the store keeps it.
    pub(crate) fn conn(&self, conn: ConnId) -> Option<&Conn> {
        self.conns.get(conn.index())
    }

    fn conn_mut(&mut self, conn: ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(conn.index())
    }

    /// Indices in `frames` of the frames of connection `conn`, in the order they completed.
    pub(crate) fn frames_of(&self, conn: ConnId) -> &[u32] {
        self.conn_frames
            .get(conn.index())
            .map_or(&[], Vec::as_slice)
    }

    /// Index in `frames` of frame `n` of connection `conn`.
    pub(crate) fn frame_index(&self, conn: ConnId, n: u64) -> Option<u32> {
        let list = self.conn_frames.get(conn.index())?;
        list.get(usize::try_from(n).ok()?).copied()
    }

    /// The index of the message a frame belongs to, once it is complete.
    pub(crate) fn message_index(&self, frame: u32) -> Option<u32> {
        let m = *self.frame_message.get(frame as usize)?;
        (m != NO_MESSAGE).then_some(m)
    }

    /// The message a frame belongs to, once it is complete.
    pub(crate) fn message_of(&self, frame: u32) -> Option<Cow<'_, MessageMeta>> {
        self.message_index(frame).map(|m| self.message_meta(m))
    }

    /// Where the bytes worth reading for a frame are: its compressed message's inflated bytes,
    /// or else its own payload.
    pub(crate) fn readable_span(&self, frame: u32) -> Span {
        self.inflated_span(frame)
            .unwrap_or(self.frames[frame as usize].payload)
    }

    /// Where the inflated bytes of a frame's compressed message are, if it belongs to one. Asked
    /// for every frame when filtering: a message kept as its frame is never compressed.
    pub(crate) fn inflated_span(&self, frame: u32) -> Option<Span> {
        let m = *self.frame_message.get(frame as usize)?;
        match *self.messages.get(m as usize)? {
            Kept::Frame { .. } => None,
            Kept::Full(at) => {
                let m = &self.full_messages[at as usize];
                m.compressed.then_some(m.data)
            }
        }
    }

    /// A message's final bytes, read back.
    pub(crate) fn data(&self, message: u32) -> Result<Vec<u8>, Unreadable> {
        self.spill.get(self.message_data(message))
    }

    /// A frame whole, its payload read back, for the views that show one; no payload if it
    /// cannot be read back (see [`Store::frame_read`]).
    pub(crate) fn frame(&self, index: u32) -> model::Frame {
        self.frame_read(index).0
    }

    /// A frame whole, and why its payload is missing if it could not be read back.
    pub(crate) fn frame_read(&self, index: u32) -> (model::Frame, Option<Unreadable>) {
        let f = &self.frames[index as usize];
        let (payload, lost) = split(self.spill.get(f.payload));
        let frame = model::Frame {
            conn: f.conn,
            n: f.n,
            ts: f.ts,
            from: f.from,
            header: f.header,
            payload,
            truncated: f.truncated,
            problems: f.problems.to_vec(),
            packets: f.packets(),
            offset: f.offset,
        };
        (frame, lost)
    }

    #[cfg(test)]
    /// A message whole, its bytes read back; no bytes if they cannot be read back (see
    /// [`Store::message_read`]).
    fn message(&self, index: u32) -> model::Message {
        self.message_read(index).0
    }

    /// A message whole, and why its bytes are missing if they could not be read back.
    pub(crate) fn message_read(&self, index: u32) -> (model::Message, Option<Unreadable>) {
        let m = self.message_meta(index);
        let (data, lost) = split(self.spill.get(m.data));
        // Kept once, in the bytes: the reason follows the 2-byte code.
        let close_reason = m
            .close_code
            .map(|_| String::from_utf8_lossy(data.get(2..).unwrap_or_default()).into_owned());
        let message = model::Message {
            conn: m.conn,
            ts: m.ts,
            from: m.from,
            opcode: m.opcode,
            frames: m.frames.to_vec(),
            compressed: m.compressed,
            data,
            text_valid: m.text_valid,
            close_code: m.close_code,
            close_reason,
            problems: m.problems.to_vec(),
        };
        (message, lost)
    }

    /// The inflated bytes of a frame's compressed message, if it belongs to one.
    pub(crate) fn inflated_of(&self, frame: u32) -> Option<Result<Vec<u8>, Unreadable>> {
        self.inflated_span(frame).map(|span| self.spill.get(span))
    }
}

/// Bytes read back, or none and the reason.
fn split(read: Result<Vec<u8>, Unreadable>) -> (Vec<u8>, Option<Unreadable>) {
    match read {
        Ok(bytes) => (bytes, None),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// An unmasked server frame of connection 0, completed in packet `n + 2`, for unit tests.
#[cfg(test)]
pub(crate) fn test_frame(n: u64, opcode: Opcode, fin: bool, payload: &[u8]) -> Event {
    Event::Frame(model::Frame {
        conn: ConnId(0),
        n,
        ts: Timestamp::default(),
        from: Side::Server,
        header: FrameHeader {
            fin,
            rsv1: false,
            rsv2: false,
            rsv3: false,
            opcode,
            mask: None,
            len: payload.len() as u64,
            length_form: crate::ws::LengthForm::Short,
            header_len: 2,
        },
        payload: payload.to_vec(),
        truncated: false,
        problems: Vec::new(),
        packets: (PacketNo(n + 2), PacketNo(n + 2)),
        offset: 0,
    })
}

/// The file names of every bundled sample capture, sorted.
#[cfg(test)]
pub(crate) fn sample_names() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    names
}

/// Decodes a bundled sample whole: the first packet's time and every event, in order.
#[cfg(test)]
pub(crate) fn decode_sample(name: &str) -> (Option<Timestamp>, Vec<Event>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("samples")
        .join(name);
    // A cut file (samples/truncated.pcap) is decoded up to where it ends.
    let mut file = crate::capture::File::open(&path, None).unwrap();
    let (events, ended) = crate::pipeline::collect(&mut file, Default::default());
    (ended.first, events)
}

/// Decodes a bundled wss sample with the key log beside it (`NAME.keys`).
#[cfg(test)]
pub(crate) fn decode_sample_keyed(name: &str) -> (Option<Timestamp>, Vec<Event>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut keylog = crate::tls::KeyLog::new();
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    keylog.follow(&dir.join(format!("{stem}.keys"))).unwrap();
    let mut file = crate::capture::File::open(&dir.join(name), None).unwrap();
    let options = crate::pipeline::Options {
        keylog,
        ..Default::default()
    };
    let (events, ended) = crate::pipeline::collect(&mut file, options);
    (ended.first, events)
}

/// A bundled sample decoded into a store.
#[cfg(test)]
pub(crate) fn sample(name: &str) -> Store {
    store_of(decode_sample(name))
}

/// A bundled wss sample decoded with its key log into a store.
#[cfg(test)]
pub(crate) fn sample_keyed(name: &str) -> Store {
    store_of(decode_sample_keyed(name))
}

#[cfg(test)]
fn store_of((first, events): (Option<Timestamp>, Vec<Event>)) -> Store {
    let mut store = Store {
        first_ts: first,
        ..Store::default()
    };
    for ev in events {
        store.push(ev);
    }
    store
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Detected;
    use crate::vocab::Side;

    fn conn() -> Event {
        Event::Connection(model::Connection {
            conn: ConnId(0),
            ts: Timestamp::default(),
            packet: PacketNo(1),
            client: "127.0.0.1:1000".parse().unwrap(),
            server: "127.0.0.1:80".parse().unwrap(),
            detected: Detected::Handshake,
            handshake: None,
            tls: None,
            http2_stream: None,
        })
    }

    /// A million frames cost what a million of these do: where a frame lies in its stream
    /// (for TLS connections, to find its records) costs none of the plaintext ones' bytes.
    #[test]
    fn a_frame_summary_stays_within_96_bytes() {
        assert!(std::mem::size_of::<FrameMeta>() <= 96);
    }

    #[test]
    fn frames_learn_their_message_when_it_completes() {
        let mut s = Store::default();
        s.push(conn());
        s.push(test_frame(0, Opcode::Text, false, b"ab"));
        s.push(test_frame(1, Opcode::Ping, true, b""));
        assert!(s.message_of(0).is_none());
        s.push(Event::Message(model::Message {
            conn: ConnId(0),
            ts: Timestamp::default(),
            from: Side::Server,
            opcode: Opcode::Ping,
            frames: vec![1],
            compressed: false,
            data: Vec::new(),
            text_valid: false,
            close_code: None,
            close_reason: None,
            problems: Vec::new(),
        }));
        s.push(test_frame(2, Opcode::Continuation, true, b"cd"));
        s.push(Event::Message(model::Message {
            conn: ConnId(0),
            ts: Timestamp::default(),
            from: Side::Server,
            opcode: Opcode::Text,
            frames: vec![0, 2],
            compressed: false,
            data: b"abcd".to_vec(),
            text_valid: true,
            close_code: None,
            close_reason: None,
            problems: Vec::new(),
        }));
        assert_eq!(s.frame_message, [1, 0, 1]);
        assert_eq!(s.conns[0].frames, 3);
        assert_eq!(s.conns[0].bytes, 4);
        assert_eq!(s.data(1), Ok(b"abcd".to_vec()));
        assert_eq!(s.inflated_of(2), None);
        // The ping's message shares its frame's bytes rather than storing them twice.
        assert_eq!(s.message_meta(0).data, s.frames[1].payload);
    }
}

#[cfg(test)]
mod kept_as_decoded {
    use super::*;

    /// The records found for each frame of the wss samples are those told that overlap it, read
    /// back whole from their 56 bytes: a plain walk over the events finds the same.
    #[test]
    fn every_wss_frame_finds_the_records_told_for_it() {
        assert!(std::mem::size_of::<RecordMeta>() <= 56);
        let mut spanning = 0;
        for name in [
            "wss-python.pcap",
            "wss-node-chacha.pcap",
            "wss-tls12-cbc.pcap",
            "wss-tls12-gcm.pcap",
            "wss-resumed.pcap",
            "wss-chromium.pcap",
        ] {
            let (_, events) = decode_sample_keyed(name);
            let store = sample_keyed(name);
            let records: Vec<&model::TlsRecord> = events
                .iter()
                .filter_map(|e| match e {
                    Event::TlsRecord(r) => Some(r),
                    _ => None,
                })
                .collect();
            assert!(!records.is_empty(), "{name}");
            for i in 0..store.frames.len() as u32 {
                let f = store.frame(i);
                let end = f.offset + u64::from(f.header.header_len) + f.header.len;
                let want: Vec<model::TlsRecord> = records
                    .iter()
                    .filter(|r| r.conn == f.conn && r.from == f.from)
                    .filter(|r| r.plain.0 < end && r.plain.1 > f.offset)
                    .map(|r| (*r).clone())
                    .collect();
                let got = store.records_of(i);
                assert!(!got.is_empty(), "{name} frame {i}");
                assert_eq!(got, want, "{name} frame {i}");
                spanning += usize::from(got.len() > 1);
            }
        }
        assert!(spanning >= 4, "{spanning} frames over several records");
    }

    /// Problems come back in the README's order, not the order they were found in.
    fn sorted(mut problems: Vec<crate::ws::Problem>) -> Vec<crate::ws::Problem> {
        problems.sort_by_key(|p| *p as u8);
        problems
    }

    #[test]
    fn every_frame_and_message_of_every_sample_reads_back_as_decoded() {
        let names = super::sample_names();
        let (mut frames, mut messages, mut kept_as_frames) = (0, 0, 0);
        for name in &names {
            let (_, events) = decode_sample(name);
            let mut store = Store::default();
            for ev in events.iter().cloned() {
                store.push(ev);
            }
            let mut read_back = (0u32, 0u32);
            for ev in events {
                match ev {
                    Event::Frame(mut want) => {
                        want.problems = sorted(want.problems);
                        assert_eq!(store.frame(read_back.0), want, "{name}");
                        read_back.0 += 1;
                        frames += 1;
                    }
                    Event::Message(mut want) => {
                        want.problems = sorted(want.problems);
                        let i = read_back.1;
                        assert_eq!(store.message(i), want, "{name} message {i}");
                        kept_as_frames +=
                            usize::from(matches!(store.messages[i as usize], Kept::Frame { .. }));
                        read_back.1 += 1;
                        messages += 1;
                    }
                    _ => {}
                }
            }
        }
        assert!(
            names.len() >= 15 && frames > 1000,
            "{names:?}: {frames} frames"
        );
        // Most messages are one plain frame: those cost no more than their frame.
        assert!(
            kept_as_frames * 2 > messages,
            "{kept_as_frames} of {messages} messages kept as their frame"
        );
    }
}
