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

use crate::capture::{self, LiveOptions, LiveStats, Source};
use crate::model::Event;
use crate::pipeline::{Consumer, Options, Pipeline, drive};
use crate::vocab::Timestamp;

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
pub struct Feeding {
    pub(crate) name: String,
    pub(crate) live: bool,
    pub rx: Receiver<Feed>,
    /// Where the payloads the thread writes are read back from.
    pub spill: spill::Reader,
    stop: Arc<AtomicBool>,
    waker: Option<capture::Waker>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Feeding {
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
    ingest: Ingest,
    entries: Vec<Entry>,
    last_send: Instant,
    last_counters: Instant,
    packets: u64,
    told_trouble: bool,
    live: bool,
}

/// The UI is gone: the decoding thread stops.
struct Gone;

impl Consumer for Decoder {
    type Error = Gone;

    fn start(&mut self, first: Timestamp) -> Result<(), Gone> {
        self.tx.send(Feed::Start(first)).map_err(|_| Gone)
    }

    /// Turns the pipeline's events into entries, handing their buffers back for reuse.
    fn take(&mut self, events: &mut Vec<Event>, pipeline: &mut Pipeline) -> Result<bool, Gone> {
        for ev in events.drain(..) {
            let entry = self.ingest.entry(ev, &mut |e| pipeline.recycle(e));
            self.entries.push(entry);
        }
        Ok(true)
    }

    fn tick(&mut self, source: &mut dyn Source, idle: bool) -> Result<bool, Gone> {
        if !idle {
            self.packets += 1;
        }
        self.send(idle)?;
        if self.live {
            if self.last_counters.elapsed() >= Duration::from_millis(500) {
                self.last_counters = Instant::now();
                if let Some(stats) = source.live_stats() {
                    let _ = self.tx.try_send(Feed::Live(stats));
                }
            }
        } else if self.packets.is_multiple_of(1024)
            && let Some((read, total)) = source.progress()
        {
            self.tx
                .send(Feed::Progress { read, total })
                .map_err(|_| Gone)?;
        }
        Ok(true)
    }
}

impl Decoder {
    /// Sends the gathered entries if there are enough, or they waited long enough, or
    /// `force`.
    fn send(&mut self, force: bool) -> Result<(), Gone> {
        // Reading the clock for every packet of a file shows in profiles; live, a frame must
        // not wait for more traffic, so there it is read every time.
        let look_at_clock = self.live || self.packets.is_multiple_of(64);
        let old = look_at_clock && self.last_send.elapsed() >= BATCH_TIME;
        if self.entries.is_empty() || !(force || self.entries.len() >= BATCH || old) {
            return Ok(());
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
        self.tx.send(Feed::Entries(batch)).map_err(|_| Gone)
    }
}

/// Decodes `source` on a thread of its own, into the UI's entries. The source is opened by
/// the caller, so that a bad file or interface is reported before the screen changes; `waker`
/// makes a live source that waits for packets notice a request to stop.
fn spawn(
    name: String,
    mut source: Box<dyn Source + Send>,
    waker: Option<capture::Waker>,
    options: Options,
) -> Result<Feeding, Error> {
    let live = source.is_live();
    // Live: roomy, so that a burst does not block the capture while the UI draws.
    let (tx, rx) = sync_channel(if live { 4096 } else { 64 });
    let (writer, reader) = spill::new();
    let stop = Arc::new(AtomicBool::new(false));
    let thread_stop = stop.clone();
    let thread = std::thread::Builder::new()
        .name("decode".into())
        .spawn(move || {
            let mut d = Decoder {
                tx: tx.clone(),
                ingest: Ingest::new(writer),
                entries: Vec::with_capacity(BATCH),
                last_send: Instant::now(),
                last_counters: Instant::now(),
                packets: 0,
                told_trouble: false,
                live,
            };
            let Ok(ended) = drive(&mut *source, options, &mut d, &thread_stop) else {
                return;
            };
            let mut error = ended.error.map(|e| e.to_string());
            if let Err(e) = source.flush() {
                error.get_or_insert(e.to_string());
            }
            if let Some(stats) = source.live_stats() {
                let _ = tx.send(Feed::Live(stats));
            }
            if let Some((_, total)) = source.progress() {
                let _ = tx.send(Feed::Progress { read: total, total });
            }
            if d.send(true).is_ok() {
                let _ = tx.send(Feed::Done {
                    notes: ended.stats.notes(),
                    error,
                });
            }
        })
        .map_err(Error::Thread)?;
    Ok(Feeding {
        name,
        live,
        rx,
        spill: reader,
        stop,
        waker,
        thread: Some(thread),
    })
}

/// Opens the capture file and decodes it on a thread of its own.
pub fn file(path: PathBuf, filter: Option<String>, options: Options) -> Result<Feeding, Error> {
    let file = capture::Prefetched::new(capture::File::open(&path, filter.as_deref())?);
    spawn(path.display().to_string(), Box::new(file), None, options)
}

/// Opens the interface and captures on a thread of its own.
pub(crate) fn live(opts: LiveOptions, options: Options) -> Result<Feeding, Error> {
    let mut live = capture::Live::open(&opts)?;
    let waker = live.waker();
    // libpcap in immediate mode does not return at its timeout while the interface is quiet:
    // wake it twice a second so that the counters and the save file stay current.
    let ticker = live.waker();
    let feeding = spawn(opts.iface.clone(), Box::new(live), Some(waker), options)?;
    let ticker_stop = feeding.stop.clone();
    let _ = std::thread::Builder::new()
        .name("capture-tick".into())
        .spawn(move || {
            while !ticker_stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                ticker.wake();
            }
        });
    Ok(feeding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{Memory, Poll};

    /// The decoding thread fed a live source that goes quiet between packets: the UI gets the
    /// start, every event of the capture as an entry, the kernel's counters, and the end.
    #[test]
    fn a_live_source_reaches_the_ui_whole() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/echo.pcap");
        let mut file = capture::File::open(&path, None).unwrap();
        let link = file.link();
        let mut packets = Vec::new();
        while let Ok(Poll::Packet(p)) = file.next_packet() {
            packets.push(Some((p.ts, p.data.to_vec())));
            packets.push(None);
        }
        let count = packets.len() / 2;
        // What is known of echo.pcap from outside the decoder: its frames as tshark dissects
        // them (one line each, with the packet that completes it), and its one connection.
        let tshark = include_str!("../../samples/echo.tshark.jsonl");
        let tshark_packets: Vec<u64> = tshark
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["frame"]
                    .as_u64()
                    .unwrap()
            })
            .collect();

        let source = Memory::live(link, packets);
        let feeding = spawn("lo".into(), Box::new(source), None, Options::default()).unwrap();
        assert!(feeding.live);
        let (mut started, mut frames, mut conns, mut counters, mut done) =
            (false, Vec::new(), 0, None, None);
        while done.is_none() {
            match feeding.rx.recv_timeout(Duration::from_secs(10)).unwrap() {
                Feed::Start(_) => started = true,
                Feed::Entries(entries) => {
                    for e in entries {
                        match e {
                            Entry::Frame(f) => frames.push(f.packet.0),
                            Entry::Other(ev) => {
                                conns += usize::from(matches!(*ev, Event::Connection(_)))
                            }
                            Entry::Message(_) | Entry::Record(_) => {}
                        }
                    }
                }
                Feed::Live(s) => counters = Some(s.received),
                Feed::Done { notes, error } => done = Some((notes, error)),
                Feed::Progress { .. } | Feed::Note(_) => {}
            }
        }
        assert!(started);
        assert_eq!(frames, tshark_packets);
        assert_eq!(conns, 1);
        assert_eq!(counters, Some(count as u32));
        assert_eq!(done, Some((Vec::new(), None)));
    }
}
