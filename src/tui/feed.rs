//! The decoding thread behind the terminal UI: it reads the capture (file or interface), runs
//! the pipeline, and sends what it decoded to the UI in batches. Drawing never slows it: the UI
//! takes what has arrived between two frames of its own.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::capture::{self, LiveOptions, LiveStats};
use crate::model::{Event, Timestamp};
use crate::pipeline::{Options, Pipeline};

use super::Error;

/// What the decoding thread tells the UI.
pub enum Feed {
    /// The time of the capture's first packet: relative times count from it.
    Start(Timestamp),
    Events(Vec<Event>),
    /// Bytes of the capture file read so far, of `total`.
    Progress {
        read: u64,
        total: u64,
    },
    /// The kernel's packet counters, for the status bar of a live capture.
    Live(LiveStats),
    /// The capture ended: what produced no event, and the error that ended it, if any.
    Done {
        notes: Vec<String>,
        error: Option<String>,
    },
}

/// A running decoding thread. Dropping it stops the thread.
pub struct Source {
    pub name: String,
    pub live: bool,
    pub rx: Receiver<Feed>,
    stop: Arc<AtomicBool>,
    waker: Option<capture::Waker>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Source {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(w) = &self.waker {
            w.wake();
        }
        // Empty the channel so a thread blocked on a full channel sees the stop flag.
        while self.rx.try_recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Events go out in batches of this many, or sooner when this much time has passed.
const BATCH: usize = 4096;
const BATCH_TIME: Duration = Duration::from_millis(40);

struct Batcher {
    tx: SyncSender<Feed>,
    events: Vec<Event>,
    last: Instant,
}

impl Batcher {
    /// Sends what is gathered if the batch is full or old enough; false once the UI is gone.
    fn maybe_send(&mut self, force: bool) -> bool {
        if self.events.is_empty() {
            return true;
        }
        if force || self.events.len() >= BATCH || self.last.elapsed() >= BATCH_TIME {
            self.last = Instant::now();
            let batch = std::mem::replace(&mut self.events, Vec::with_capacity(256));
            return self.tx.send(Feed::Events(batch)).is_ok();
        }
        true
    }
}

/// Opens the file here, so that a bad file is reported before the screen changes, and decodes
/// it on a thread of its own.
pub fn file(path: PathBuf, filter: Option<String>, options: Options) -> Result<Source, Error> {
    let mut file = capture::File::open(&path, filter.as_deref())?;
    let total = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let (tx, rx) = sync_channel(64);
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("decode".into())
        .spawn(move || {
            let mut pipeline = Pipeline::new(file.link(), options);
            let mut b = Batcher {
                tx: tx.clone(),
                events: Vec::with_capacity(256),
                last: Instant::now(),
            };
            let mut number = 0u64;
            // Bytes read, counted from the records: libpcap does not say where it is.
            let mut read = 24u64;
            let mut error = None;
            while !thread_stop.load(Ordering::Relaxed) {
                match file.next_packet() {
                    Ok(Some(p)) => {
                        number += 1;
                        if number == 1 && tx.send(Feed::Start(p.ts)).is_err() {
                            return;
                        }
                        read += 16 + p.data.len() as u64;
                        pipeline.packet(number, p.ts, p.data, &mut b.events);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
                if number.is_multiple_of(1024) {
                    let sent = b.maybe_send(false)
                        && tx
                            .send(Feed::Progress {
                                read: read.min(total),
                                total,
                            })
                            .is_ok();
                    if !sent {
                        return;
                    }
                }
            }
            pipeline.finish(&mut b.events);
            b.maybe_send(true);
            let _ = tx.send(Feed::Progress { read: total, total });
            let _ = tx.send(Feed::Done {
                notes: pipeline.stats().notes(),
                error,
            });
        })
        .map_err(Error::Thread)?;
    Ok(Source {
        name: path.display().to_string(),
        live: false,
        rx,
        stop,
        waker: None,
        thread: Some(thread),
    })
}

/// Opens the interface here (permissions and bad filters are reported before the screen
/// changes) and captures on a thread of its own.
pub fn live(opts: LiveOptions, options: Options) -> Result<Source, Error> {
    let mut live = capture::Live::open(&opts)?;
    let waker = live.waker();
    // Roomy: a burst must not block the capture while the UI draws.
    let (tx, rx) = sync_channel(4096);
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            let mut pipeline = Pipeline::new(live.link(), options);
            let mut b = Batcher {
                tx: tx.clone(),
                events: Vec::with_capacity(256),
                last: Instant::now(),
            };
            let mut number = 0u64;
            let mut error = None;
            let mut last_stats = Instant::now();
            while !thread_stop.load(Ordering::Relaxed) {
                match live.next_packet() {
                    Ok(Some(p)) => {
                        number += 1;
                        if number == 1 && tx.send(Feed::Start(p.ts)).is_err() {
                            return;
                        }
                        pipeline.packet(number, p.ts, p.data, &mut b.events);
                    }
                    Ok(None) => {
                        // A failing save file is reported at the end, in the capture's words.
                        let _ = live.flush();
                        if !b.maybe_send(true) {
                            return;
                        }
                    }
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
                if !b.maybe_send(false) {
                    return;
                }
                if last_stats.elapsed() >= Duration::from_millis(500) {
                    last_stats = Instant::now();
                    let _ = tx.try_send(Feed::Live(live.stats()));
                }
            }
            pipeline.finish(&mut b.events);
            b.maybe_send(true);
            if let Err(e) = live.flush() {
                error.get_or_insert(e.to_string());
            }
            let _ = tx.send(Feed::Live(live.stats()));
            let _ = tx.send(Feed::Done {
                notes: pipeline.stats().notes(),
                error,
            });
        })
        .map_err(Error::Thread)?;
    Ok(Source {
        name: opts.iface.clone(),
        live: true,
        rx,
        stop,
        waker: Some(waker),
        thread: Some(thread),
    })
}
