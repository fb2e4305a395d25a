//! The display filter over events as they are decoded (`-Y`), for the outputs that write them
//! one at a time: which to write, in capture order, without keeping the capture.
//!
//! Rows are judged as the terminal UI's list judges them, through the same [`Subject`]s:
//! frames as in its frames list, messages as in its messages list, gaps in both. The one thing
//! an event alone does not say is what the UI learns once a message is complete: the frames of
//! a compressed message are searched in its inflated bytes and count as compressed. Such frames
//! wait for their message (it comes with their last frame), and so does everything after them,
//! to keep the order; every other event is told at once.
//!
//! What carries a connection (TLS and its server name, HTTP/2) is its `connection` event's: it
//! is kept, for the connections that have any, until the connection's end.

use std::collections::VecDeque;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use super::filter::{Carrier, Filter, Subject};
use crate::model::{Event, Tls};
use crate::vocab::{ConnId, Opcode, Side};

/// Events held behind frames that wait for their message, at most. A compressed message that
/// never ends (a peer that stops midway, a live capture) must not hold the output back without
/// bound: past this, the waiting frames are judged on their own bytes, as at the end.
const MAX_HELD: usize = 4096;

/// A display filter applied to a stream of events.
pub(crate) struct Stream {
    filter: Filter,
    context: bool,
    /// Events not handed on yet, in order; the first waits for its message.
    queue: VecDeque<Waiting>,
    /// Frames whose message has not come yet, by connection and number: whether each was
    /// masked, for a message is as masked as its first frame.
    unjoined: HashMap<(ConnId, u64), bool>,
    /// Senders (connection, side) whose message in progress is compressed: it began with RSV1.
    compressing: HashSet<(ConnId, Side)>,
    /// The frames in `queue` that wait for their message, by connection and number.
    waiting: HashSet<(ConnId, u64)>,
    /// With `context`: the `connection` event of each connection none of whose rows was kept
    /// yet, until its first kept row (or its end).
    unannounced: HashMap<ConnId, Event>,
    /// What carries each connection carried in TLS or HTTP/2, until its end.
    carried: HashMap<ConnId, Carried>,
}

/// What the `connection` event said carries it: the filter's [`Carrier`], owned.
struct Carried {
    tls: Option<Tls>,
    http2_stream: Option<u32>,
}

/// What carries connection `conn`: nothing for a plain one.
fn carrier(carried: &HashMap<ConnId, Carried>, conn: ConnId) -> Carrier<'_> {
    carried
        .get(&conn)
        .map_or_else(Carrier::default, |c| Carrier {
            tls: c.tls.as_ref(),
            http2_stream: c.http2_stream,
        })
}

struct Waiting {
    ev: Event,
    /// Whether the filter keeps it; `None` while a frame waits for its message.
    keep: Option<bool>,
}

impl Stream {
    /// `context`: a row's `connection` event is handed on (kept) just before the first row
    /// of its connection that the filter keeps; otherwise only rows are.
    pub(crate) fn new(filter: Filter, context: bool) -> Stream {
        Stream {
            filter,
            context,
            queue: VecDeque::new(),
            unjoined: HashMap::new(),
            compressing: HashSet::new(),
            waiting: HashSet::new(),
            unannounced: HashMap::new(),
            carried: HashMap::new(),
        }
    }

    /// Takes the next event. What can be told now goes to `out`, in order, each with whether
    /// to write it (the others are handed on too, so that their buffers can be reused).
    pub(crate) fn push(&mut self, ev: Event, out: &mut Vec<(Event, bool)>) {
        let keep = match &ev {
            Event::Frame(f) => {
                let h = &f.header;
                self.unjoined.insert((f.conn, f.n), h.mask.is_some());
                // As the decoder does: a data frame that is not a continuation begins a
                // message, compressed when it has RSV1; a final frame ends it.
                let sender = (f.conn, f.from);
                let mut waits = false;
                if !h.is_control() {
                    if h.opcode != Opcode::Continuation {
                        if h.rsv1 {
                            self.compressing.insert(sender);
                        } else {
                            self.compressing.remove(&sender);
                        }
                    }
                    waits = self.compressing.contains(&sender);
                    if h.fin {
                        self.compressing.remove(&sender);
                    }
                }
                if waits {
                    self.waiting.insert((f.conn, f.n));
                }
                let carrier = carrier(&self.carried, f.conn);
                (!waits).then(|| self.filter.matches(&Subject::of_frame(f, None, carrier)))
            }
            Event::Message(m) => {
                let masked = m
                    .frames
                    .first()
                    .and_then(|n| self.unjoined.get(&(m.conn, *n)))
                    .is_some_and(|masked| *masked);
                let mut resolves = false;
                for n in &m.frames {
                    self.unjoined.remove(&(m.conn, *n));
                    resolves |= self.waiting.remove(&(m.conn, *n));
                }
                let carrier = carrier(&self.carried, m.conn);
                // Looked for only when some are there: the queue is long while they wait.
                if resolves {
                    for w in self.queue.iter_mut().filter(|w| w.keep.is_none()) {
                        if let Event::Frame(f) = &w.ev
                            && f.conn == m.conn
                            && m.frames.contains(&f.n)
                        {
                            let s = Subject::of_frame(f, Some(m), carrier);
                            w.keep = Some(self.filter.matches(&s));
                        }
                    }
                }
                Some(
                    self.filter
                        .matches(&Subject::of_message(m, masked, carrier)),
                )
            }
            Event::Gap(g) => {
                let carrier = carrier(&self.carried, g.conn);
                Some(self.filter.matches(&Subject::of_gap(g, carrier)))
            }
            Event::End(e) => {
                // Its messages all came before it: frames still waiting for theirs are judged
                // on their own bytes now, while what carries the connection is known.
                if self.waiting.iter().any(|(conn, _)| *conn == e.conn) {
                    let carrier = carrier(&self.carried, e.conn);
                    for w in self.queue.iter_mut().filter(|w| w.keep.is_none()) {
                        if let Event::Frame(f) = &w.ev
                            && f.conn == e.conn
                        {
                            let s = Subject::of_frame(f, None, carrier);
                            w.keep = Some(self.filter.matches(&s));
                        }
                    }
                }
                self.unjoined.retain(|(conn, _), _| *conn != e.conn);
                self.compressing.retain(|(conn, _)| *conn != e.conn);
                self.waiting.retain(|(conn, _)| *conn != e.conn);
                self.carried.remove(&e.conn);
                Some(false)
            }
            Event::Connection(c) => {
                if c.tls.is_some() || c.http2_stream.is_some() {
                    let carried = Carried {
                        tls: c.tls.clone(),
                        http2_stream: c.http2_stream,
                    };
                    self.carried.insert(c.conn, carried);
                }
                Some(false)
            }
            Event::Rejected(_)
            | Event::Http(_)
            | Event::Anomaly(_)
            | Event::Tls(_)
            | Event::TlsRecord(_) => Some(false),
        };
        self.queue.push_back(Waiting { ev, keep });
        if self.queue.len() > MAX_HELD {
            self.judge_waiting();
        }
        self.release(out);
    }

    /// Frames still waiting for their message are judged on their own bytes.
    fn judge_waiting(&mut self) {
        self.waiting.clear();
        for w in self.queue.iter_mut().filter(|w| w.keep.is_none()) {
            if let Event::Frame(f) = &w.ev {
                let carrier = carrier(&self.carried, f.conn);
                w.keep = Some(self.filter.matches(&Subject::of_frame(f, None, carrier)));
            }
        }
    }

    /// The input ended: frames still waiting for their message (the capture stopped first)
    /// are judged on their own, and everything is handed on.
    pub(crate) fn finish(&mut self, out: &mut Vec<(Event, bool)>) {
        self.judge_waiting();
        self.release(out);
    }

    /// Hands on the events at the front of the queue that are judged.
    fn release(&mut self, out: &mut Vec<(Event, bool)>) {
        while self.queue.front().is_some_and(|w| w.keep.is_some()) {
            let Some(Waiting { ev, keep }) = self.queue.pop_front() else {
                break;
            };
            let keep = keep == Some(true);
            let conn = match &ev {
                Event::Connection(c) if self.context => {
                    self.unannounced.insert(c.conn, ev);
                    continue;
                }
                Event::End(e) => {
                    if let Some(c) = self.unannounced.remove(&e.conn) {
                        out.push((c, false));
                    }
                    None
                }
                Event::Frame(f) => Some(f.conn),
                Event::Message(m) => Some(m.conn),
                Event::Gap(g) => Some(g.conn),
                _ => None,
            };
            if keep && let Some(c) = conn.and_then(|c| self.unannounced.remove(&c)) {
                out.push((c, true));
            }
            out.push((ev, keep));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Store, decode_sample};
    use crate::model::Event;
    use crate::vocab::PacketNo;

    /// A row by what names it: a frame by connection and number, a message by its frames, a
    /// gap by where it is.
    #[derive(Debug, PartialEq, Eq)]
    enum Id {
        Frame(ConnId, u64),
        Message(ConnId, Vec<u64>),
        Gap(ConnId, PacketNo, Side),
    }

    fn id(ev: &Event) -> Option<Id> {
        match ev {
            Event::Frame(f) => Some(Id::Frame(f.conn, f.n)),
            Event::Message(m) => Some(Id::Message(m.conn, m.frames.clone())),
            Event::Gap(g) => Some(Id::Gap(g.conn, g.packet, g.from)),
            _ => None,
        }
    }

    /// Every event of a sample through `-Y filter`: what is handed on, in order, with whether
    /// it is kept.
    fn through(events: &[Event], filter: &str, context: bool) -> Vec<(Event, bool)> {
        let mut stream = Stream::new(Filter::parse(filter).unwrap(), context);
        let mut out = Vec::new();
        for ev in events {
            stream.push(ev.clone(), &mut out);
        }
        stream.finish(&mut out);
        out
    }

    /// The rows `-Y` keeps, in the index's order: frames, messages, gaps.
    fn kept_by_the_stream(events: &[Event], filter: &str) -> Vec<Id> {
        let mut by_stream: Vec<Id> = through(events, filter, false)
            .iter()
            .filter(|(_, keep)| *keep)
            .filter_map(|(ev, _)| id(ev))
            .collect();
        by_stream.sort_by_key(|id| match id {
            Id::Frame(..) => 0,
            Id::Message(..) => 1,
            Id::Gap(..) => 2,
        });
        by_stream
    }

    /// The rows the terminal UI's list keeps, frames and messages with their bytes read back
    /// from the index as it reads them, in the store's order (frames, then messages, then gaps).
    fn kept_by_the_index(store: &Store, filter: &Filter) -> Vec<Id> {
        let mut rows = Vec::new();
        for i in 0..store.frames.len() as u32 {
            let s = Subject {
                data: store.spill.get(store.readable_span(i)).unwrap().into(),
                ..Subject::frame(store, i)
            };
            let f = &store.frames[i as usize];
            if filter.matches(&s) {
                rows.push(Id::Frame(f.conn, f.n));
            }
        }
        for i in 0..store.message_count() as u32 {
            let s = Subject {
                data: store.data(i).unwrap().into(),
                ..Subject::message(store, i)
            };
            let m = store.message_meta(i);
            if filter.matches(&s) {
                rows.push(Id::Message(m.conn, m.frames.to_vec()));
            }
        }
        for (i, g) in store.gaps.iter().enumerate() {
            if filter.matches(&Subject::gap(store, i as u32)) {
                rows.push(Id::Gap(g.conn, g.packet, g.from));
            }
        }
        rows
    }

    /// `-Y` and the terminal UI keep the same rows of every sample, for filters on every field
    /// a subject has, text in compressed and fragmented messages included.
    #[test]
    fn the_stream_keeps_what_the_index_keeps() {
        let filters = [
            "client",
            "text contains \"fragment\"",
            "server and text ~ \"\\\"price\\\": 1\"",
            "compressed and not fin",
            "fragmented or rsv1",
            "masked and len > 100",
            "problems or gap",
            "problem == incomplete",
            "control and conn == 1",
            "data and not text contains \"e\"",
            "tls or h2",
            "not tls and client",
            "sni contains \"wss\" or sni == localhost",
        ];
        let names = crate::index::sample_names();
        let mut kept = 0;
        for name in &names {
            let (_, events) = decode_sample(name);
            let mut store = Store::default();
            for ev in events.iter().cloned() {
                store.push(ev);
            }
            for filter in filters {
                let by_stream = kept_by_the_stream(&events, filter);
                let by_index = kept_by_the_index(&store, &Filter::parse(filter).unwrap());
                assert_eq!(by_stream, by_index, "{name}: -Y {filter}");
                kept += by_stream.len();
            }
        }
        assert!(kept > 1000, "{kept} rows kept in all");
    }

    /// What carries a connection comes from its `connection` event, on both paths: `-Y` keeps
    /// what the index keeps, and what it keeps are the rows of the connections the words name.
    #[test]
    fn tls_words_keep_the_same_rows_on_both_paths() {
        use crate::query::fixture::{self, H2, PLAIN, WSS};
        let events = fixture::events();
        let mut store = Store::default();
        for ev in events.iter().cloned() {
            store.push(ev);
        }
        let conn = |id: &Id| match id {
            Id::Frame(c, _) | Id::Message(c, _) | Id::Gap(c, ..) => *c,
        };
        for (filter, conns, rows) in [
            ("tls", &[WSS, H2][..], 13),
            ("wss", &[WSS, H2], 13),
            ("not tls", &[PLAIN], 4),
            ("sni", &[WSS, H2], 13),
            ("sni contains \"WSS\"", &[WSS], 9),
            ("sni == example.com", &[H2], 4),
            ("sni ~ \"^Ex\"", &[H2], 4),
            ("sni != wss.test", &[PLAIN, H2], 8),
            ("h2", &[H2], 4),
            ("not h2 and gap", &[WSS], 1),
            // The two frames of the compressed message and the message itself, read inflated.
            ("tls and text contains \"inflated\"", &[WSS], 3),
            // The frame whose compressed message the connection's end cut short.
            ("sni == wss.test and client and compressed", &[WSS], 1),
            ("tls and text contains \"hello\"", &[WSS, H2], 8),
        ] {
            let by_stream = kept_by_the_stream(&events, filter);
            let by_index = kept_by_the_index(&store, &Filter::parse(filter).unwrap());
            assert_eq!(by_stream, by_index, "-Y {filter}");
            let mut kept: Vec<ConnId> = by_stream.iter().map(conn).collect();
            kept.sort_by_key(|c| c.0);
            kept.dedup();
            assert_eq!(
                (kept.as_slice(), by_stream.len()),
                (conns, rows),
                "{filter}"
            );
        }
        // Every event handed on once, in order, the cut frame judged at its connection's end.
        let out: Vec<Event> = through(&events, "tls", false)
            .into_iter()
            .map(|(ev, _)| ev)
            .collect();
        assert_eq!(out, events);
    }

    /// Every event is handed on once, in capture order: frames of a compressed message wait
    /// for it, and what comes after them waits too.
    #[test]
    fn events_come_out_in_the_order_they_went_in() {
        for name in [
            "deflate.pcap",
            "mixed.pcap",
            "lost-segment.pcap",
            "rejected.pcap",
        ] {
            let (_, events) = decode_sample(name);
            let out: Vec<Event> = through(&events, "text contains \"fragment\"", false)
                .into_iter()
                .map(|(ev, _)| ev)
                .collect();
            assert_eq!(out, events, "{name}");
        }
    }

    /// samples/deflate.pcap: the client's text in compressed fragments (RSV1 on the first only)
    /// is "fragmented fragmented …" once inflated; each of its frames is kept, as the terminal
    /// UI keeps them, though none holds the word on the wire.
    #[test]
    fn frames_of_a_compressed_message_are_searched_inflated() {
        let (_, events) = decode_sample("deflate.pcap");
        let kept: Vec<Id> = through(&events, "client and text contains \"fragmented\"", false)
            .iter()
            .filter(|(_, keep)| *keep)
            .filter_map(|(ev, _)| id(ev))
            .collect();
        let frames: Vec<&Id> = kept
            .iter()
            .filter(|id| matches!(id, Id::Frame(..)))
            .collect();
        assert!(frames.len() >= 3, "{kept:?}");
        let Some(Id::Message(ConnId(0), parts)) = kept.last() else {
            panic!("{kept:?}");
        };
        let ns: Vec<Id> = parts.iter().map(|n| Id::Frame(ConnId(0), *n)).collect();
        assert_eq!(frames, ns.iter().collect::<Vec<_>>());
    }

    /// With context, a connection's event comes just before its first kept row, and not at
    /// all for a connection none of whose rows is kept.
    #[test]
    fn a_kept_rows_connection_comes_before_it() {
        let (_, events) = decode_sample("deflate.pcap");
        let kept: Vec<Event> = through(&events, "conn == 1 and server", true)
            .into_iter()
            .filter(|(_, keep)| *keep)
            .map(|(ev, _)| ev)
            .collect();
        let Event::Connection(c) = &kept[0] else {
            panic!("{:?}", kept[0]);
        };
        assert_eq!(c.conn, ConnId(1));
        assert!(kept[1..].iter().all(|ev| match ev {
            Event::Frame(f) => f.conn == ConnId(1) && f.from == Side::Server,
            Event::Message(m) => m.conn == ConnId(1) && m.from == Side::Server,
            _ => false,
        }));
        assert!(kept.len() > 2);
        let rows_only = through(&events, "conn == 1 and server", false);
        assert!(
            rows_only
                .iter()
                .all(|(ev, keep)| !keep || !matches!(ev, Event::Connection(_)))
        );
    }

    /// A compressed message that never ends holds the frames after it only so long: then its
    /// frames are judged on their own and everything behind them is written.
    #[test]
    fn a_compressed_message_that_never_ends_does_not_hold_the_output_forever() {
        let mut stream = Stream::new(Filter::parse("ping").unwrap(), false);
        let mut out = Vec::new();
        let mut first = crate::index::test_frame(0, Opcode::Text, false, b"\xf2\x48");
        if let Event::Frame(f) = &mut first {
            f.header.rsv1 = true;
        }
        stream.push(first, &mut out);
        assert!(out.is_empty(), "the compressed frame waits for its message");
        for n in 1..=MAX_HELD as u64 {
            stream.push(
                crate::index::test_frame(n, Opcode::Ping, true, b""),
                &mut out,
            );
        }
        assert_eq!(out.len(), MAX_HELD + 1);
        assert!(!out[0].1, "the compressed text frame is not a ping");
        assert!(out[1..].iter().all(|(_, keep)| *keep));
    }
}
