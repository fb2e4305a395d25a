//! The decoding thread behind the terminal UI: it reads the capture (file or interface), runs
//! the pipeline, writes payload bytes to the spill file, and sends the UI what it decoded in
//! batches of small entries. Drawing never slows it: the UI takes what has arrived between two
//! frames of its own.

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
use crate::index::spill;
use crate::index::{Entry, Ingest};

/// What the decoding thread tells the UI.
pub enum Feed {
    /// The time of the capture's first packet: relative times count from it.
    Start(Timestamp),
    Entries(Vec<Entry>),
    /// Bytes of the capture file read so far, of `total`.
    Progress {
        read: u64,
        total: u64,
    },
    /// The kernel's packet counters, for the status bar of a live capture.
    Live(LiveStats),
    /// Something the user should know that is not an error (payloads kept in memory …).
    Note(String),
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
    /// Where the payloads the thread writes are read back from.
    pub spill: spill::Reader,
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

/// Entries go out in batches of this many, or sooner when this much time has passed.
const BATCH: usize = 4096;
const BATCH_TIME: Duration = Duration::from_millis(40);

/// What the decoding thread keeps between packets.
struct Decoder {
    tx: SyncSender<Feed>,
    pipeline: Pipeline,
    ingest: Ingest,
    /// The pipeline's output for one packet.
    events: Vec<Event>,
    entries: Vec<Entry>,
    last_send: Instant,
    packets: u64,
    told_trouble: bool,
    live: bool,
}

impl Decoder {
    fn new(tx: SyncSender<Feed>, pipeline: Pipeline, writer: spill::Writer, live: bool) -> Decoder {
        Decoder {
            tx,
            pipeline,
            ingest: Ingest::new(writer),
            events: Vec::with_capacity(64),
            entries: Vec::with_capacity(BATCH),
            last_send: Instant::now(),
            packets: 0,
            told_trouble: false,
            live,
        }
    }

    /// Decodes one packet; false once the UI is gone.
    fn packet(&mut self, ts: Timestamp, data: &[u8]) -> bool {
        self.packets += 1;
        if self.packets == 1 && self.tx.send(Feed::Start(ts)).is_err() {
            return false;
        }
        self.pipeline
            .packet(self.packets, ts, data, &mut self.events);
        self.take();
        self.send(false)
    }

    /// Turns the pipeline's events into entries, handing their buffers back for reuse.
    fn take(&mut self) {
        let pipeline = &mut self.pipeline;
        for ev in self.events.drain(..) {
            let entry = self.ingest.entry(ev, &mut |e| pipeline.recycle(e));
            self.entries.push(entry);
        }
    }

    /// Sends the gathered entries if there are enough, or they waited long enough, or
    /// `force`; false once the UI is gone.
    fn send(&mut self, force: bool) -> bool {
        // Reading the clock for every packet of a file shows in profiles; live, a frame must
        // not wait for more traffic, so there it is read every time.
        let look_at_clock = self.live || self.packets.is_multiple_of(64);
        let old = look_at_clock && self.last_send.elapsed() >= BATCH_TIME;
        if self.entries.is_empty() || !(force || self.entries.len() >= BATCH || old) {
            return true;
        }
        self.last_send = Instant::now();
        // Every span in the batch must be readable when the UI gets it.
        self.ingest.writer.flush();
        if !self.told_trouble
            && let Some(t) = self.ingest.writer.trouble.clone()
        {
            self.told_trouble = true;
            let _ = self.tx.send(Feed::Note(t));
        }
        let batch = std::mem::replace(&mut self.entries, Vec::with_capacity(BATCH));
        self.tx.send(Feed::Entries(batch)).is_ok()
    }

    /// The capture ended: everything still open is handed over, then `Done`.
    fn finish(mut self, error: Option<String>) {
        self.pipeline.finish(&mut self.events);
        self.take();
        self.send(true);
        let _ = self.tx.send(Feed::Done {
            notes: self.pipeline.stats().notes(),
            error,
        });
    }
}

/// Opens the file here, so that a bad file is reported before the screen changes, and decodes
/// it on a thread of its own.
pub fn file(path: PathBuf, filter: Option<String>, options: Options) -> Result<Source, Error> {
    let mut file = capture::Prefetched::new(capture::File::open(&path, filter.as_deref())?);
    let total = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let (tx, rx) = sync_channel(64);
    let (writer, reader) = spill::new();
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("decode".into())
        .spawn(move || {
            let mut d = Decoder::new(
                tx.clone(),
                Pipeline::new(file.link(), options),
                writer,
                false,
            );
            // Bytes read, counted from the records: libpcap does not say where it is.
            let mut read = 24u64;
            let mut error = None;
            while !thread_stop.load(Ordering::Relaxed) {
                match file.next_packet() {
                    Ok(Some(p)) => {
                        read += 16 + p.data.len() as u64;
                        if !d.packet(p.ts, p.data) {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                }
                if d.packets.is_multiple_of(1024) {
                    let progress = Feed::Progress {
                        read: read.min(total),
                        total,
                    };
                    if tx.send(progress).is_err() {
                        return;
                    }
                }
            }
            let _ = tx.send(Feed::Progress { read: total, total });
            d.finish(error);
        })
        .map_err(Error::Thread)?;
    Ok(Source {
        name: path.display().to_string(),
        live: false,
        rx,
        spill: reader,
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
    let (writer, reader) = spill::new();
    let stop = Arc::new(AtomicBool::new(false));
    // libpcap in immediate mode does not return at its timeout while the interface is quiet:
    // wake it twice a second so that the counters and the save file stay current.
    let ticker = live.waker();
    let ticker_stop = stop.clone();
    let _ = std::thread::Builder::new()
        .name("capture-tick".into())
        .spawn(move || {
            while !ticker_stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                ticker.wake();
            }
        });
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("capture".into())
        .spawn(move || {
            let mut d = Decoder::new(
                tx.clone(),
                Pipeline::new(live.link(), options),
                writer,
                true,
            );
            let mut error = None;
            let mut last_stats = Instant::now();
            while !thread_stop.load(Ordering::Relaxed) {
                let alive = match live.next_packet() {
                    Ok(Some(p)) => d.packet(p.ts, p.data),
                    Ok(None) => {
                        // A failing save file is reported at the end, in the capture's words.
                        let _ = live.flush();
                        d.send(true)
                    }
                    Err(e) => {
                        error = Some(e.to_string());
                        break;
                    }
                };
                if !alive {
                    return;
                }
                if last_stats.elapsed() >= Duration::from_millis(500) {
                    last_stats = Instant::now();
                    let _ = tx.try_send(Feed::Live(live.stats()));
                }
            }
            if let Err(e) = live.flush() {
                error.get_or_insert(e.to_string());
            }
            let _ = tx.send(Feed::Live(live.stats()));
            d.finish(error);
        })
        .map_err(Error::Thread)?;
    Ok(Source {
        name: opts.iface.clone(),
        live: true,
        rx,
        spill: reader,
        stop,
        waker: Some(waker),
        thread: Some(thread),
    })
}
