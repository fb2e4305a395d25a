//! Which payloads hold which text patterns, for a search and for a filter's text conditions
//! (`contains`, `~`). Worked out once for the whole capture, every payload read back from the
//! spill on two threads, then only for frames that arrived since; kept while the patterns stay
//! the same, so that the next match, switching a filter off and on, or adding `and client` to it
//! answer at once. Over many payloads the work can run on threads of its own ([`Hits::start`]),
//! so that a screen keeps answering keys meanwhile.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use regex::bytes::Regex;

use super::filter::{self, Matched};
use crate::index::{Span, Store, Unit};

/// For each frame and each message, which patterns its payload holds: bit k for pattern k.
pub(crate) struct Hits {
    key: String,
    patterns: Vec<Regex>,
    /// By index in the store; they cover its first frames (messages), more as they arrive.
    frames: Vec<Matched>,
    messages: Vec<Matched>,
}

/// The payloads whose answers are not known yet: frames (or messages) `from..to`.
pub(crate) struct Missing {
    from: u32,
    to: u32,
    /// Their payload bytes, about: what the store holds, in proportion.
    pub(crate) bytes: u64,
}

impl Missing {
    /// How much work they are, in bytes read: each payload costs about as much again as 128
    /// bytes to find and test (1.1 million payloads of 143 MB: 40 ms; 290,000 of 981 MB: 95 ms).
    pub(crate) fn work(&self) -> u64 {
        self.bytes + u64::from(self.to - self.from) * 128
    }
}

/// Answers being worked out on threads of their own. Dropping it stops them.
pub(crate) struct Pending {
    key: String,
    unit: Unit,
    from: u32,
    result: Receiver<Vec<Matched>>,
    stop: Arc<AtomicBool>,
}

impl Hits {
    /// At most [`filter::MAX_PATTERNS`] patterns.
    fn new(patterns: Vec<Regex>) -> Hits {
        Hits {
            key: Hits::key_of(&patterns),
            patterns,
            frames: Vec::new(),
            messages: Vec::new(),
        }
    }

    /// The answers in `kept` if they are for these patterns, else none yet.
    pub(crate) fn reuse(kept: Option<Hits>, patterns: &[Regex]) -> Hits {
        match kept {
            Some(h) if h.key == Hits::key_of(patterns) => h,
            _ => Hits::new(patterns.to_vec()),
        }
    }

    /// What answers are kept by: the patterns' own text, flags included.
    pub(crate) fn key_of(patterns: &[Regex]) -> String {
        patterns
            .iter()
            .map(Regex::as_str)
            .collect::<Vec<_>>()
            .join("\0")
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The answers known for frames (or messages), by index in the store.
    pub(crate) fn of(&self, unit: Unit) -> &[Matched] {
        match unit {
            Unit::Frames => &self.frames,
            Unit::Messages => &self.messages,
        }
    }

    fn of_mut(&mut self, unit: Unit) -> &mut Vec<Matched> {
        match unit {
            Unit::Frames => &mut self.frames,
            Unit::Messages => &mut self.messages,
        }
    }

    /// What is still to be worked out for `unit`.
    pub(crate) fn missing(&self, store: &Store, unit: Unit) -> Missing {
        let (count, bytes) = match unit {
            Unit::Frames => (store.frames.len(), store.payload_bytes),
            Unit::Messages => (store.message_count(), store.message_bytes),
        };
        let from = self.of(unit).len() as u32;
        let to = (count as u32).max(from);
        Missing {
            from,
            to,
            bytes: bytes / (count as u64).max(1) * u64::from(to - from),
        }
    }

    /// Works out what is missing here and now.
    pub(crate) fn fill(&mut self, store: &Store, unit: Unit, missing: Missing) {
        let found = store.spill.scan(
            (missing.to - missing.from) as usize,
            |i| span_of(store, unit, missing.from + i as u32),
            &self.patterns,
            |p, data| filter::matched(p, data),
            &AtomicBool::new(false),
        );
        self.extend(unit, missing.from, found);
    }

    /// Starts working out what is missing on threads of their own; `None` if no thread can be
    /// started.
    pub(crate) fn start(&self, store: &Store, unit: Unit, missing: Missing) -> Option<Pending> {
        // The thread cannot look at the store, which goes on growing: it gets where the
        // payloads are.
        let spans: Vec<Span> = (missing.from..missing.to)
            .map(|i| span_of(store, unit, i))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, result) = std::sync::mpsc::sync_channel(1);
        let reader = store.spill.clone();
        let patterns = self.patterns.clone();
        let told = stop.clone();
        std::thread::Builder::new()
            .name("search".into())
            .spawn(move || {
                let found = reader.scan(
                    spans.len(),
                    |i| spans[i],
                    &patterns,
                    |p, data| filter::matched(p, data),
                    &told,
                );
                let _ = tx.send(found);
            })
            .ok()?;
        Some(Pending {
            key: self.key.clone(),
            unit,
            from: missing.from,
            result,
            stop,
        })
    }

    /// Takes answers worked out for frames (or messages) from `from`, if they follow on from
    /// what is known.
    fn extend(&mut self, unit: Unit, from: u32, found: Vec<Matched>) {
        let known = self.of_mut(unit);
        if known.len() as u32 == from {
            known.extend(found);
        }
    }

    /// Takes the answers of `pending` once they have come: `Ok(true)` then, `Ok(false)` while
    /// still at work, `Err` if the work failed.
    pub(crate) fn take(&mut self, pending: &Pending) -> Result<bool, Failed> {
        match pending.result.try_recv() {
            Ok(found) => {
                if pending.key == self.key {
                    self.extend(pending.unit, pending.from, found);
                }
                Ok(true)
            }
            Err(TryRecvError::Empty) => Ok(false),
            Err(TryRecvError::Disconnected) => Err(Failed),
        }
    }
}

/// The work in the background ended without its answers (its thread panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failed;

impl Pending {
    /// The frames or messages it works on.
    pub(crate) fn unit(&self) -> Unit {
        self.unit
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Where the bytes worth searching of frame (or message) `i` are: a compressed frame's are its
/// message's inflated bytes.
fn span_of(store: &Store, unit: Unit, i: u32) -> Span {
    match unit {
        Unit::Frames => store.readable_span(i),
        Unit::Messages => store.message_data(i),
    }
}
