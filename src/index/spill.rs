//! Payload bytes kept out of memory: the decoding thread writes every payload to an unnamed file,
//! and the terminal UI reads back only what the screen shows, as Wireshark reads packets back
//! from its capture file. Memory then follows the number of frames, not the size of the capture.
//!
//! The file is made in the temporary directory (`TMPDIR`) without a name where the system allows
//! it (else under a random name, unlinked at once), readable by its owner only: nothing is left
//! behind, whatever way the program ends, and a capture taken as root is not shown to other
//! users. Where no file can be made, bytes stay in memory.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Where some bytes were put.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    at: u64,
    /// A kept payload is at most the decoder's keep limit (16 MiB).
    len: u32,
}

impl Span {
    pub(crate) fn len(self) -> usize {
        self.len as usize
    }

    pub(crate) fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// Bytes are gathered up to this much before they are written out.
const BUFFER: usize = 1 << 20;

enum Backing {
    File(File),
    Memory(Mutex<Vec<u8>>),
}

/// Appends bytes; what it hands out is readable through its [`Reader`] once flushed.
///
/// Bytes go to the file from a thread of its own: putting a gigabyte into the page cache can
/// cost more than decoding it (`dd` of 1 GiB into a new file: 0.4 to 3.3 s on a 2-core virtual
/// machine), and on the other core that cost overlaps the decoding instead of adding to it
/// (`examples/tui_index.rs` on a 1 GiB capture: indexed in 0.83 s instead of 1.0 s).
pub(crate) struct Writer {
    backing: Arc<Backing>,
    /// Bytes already handed to the file (or its thread); `pending` follows them.
    written: u64,
    pending: Vec<u8>,
    /// The thread that writes to the file, when there is one.
    thread: Option<Background>,
    /// Why payloads are not on disk, or were lost, if so.
    pub(crate) trouble: Option<String>,
}

/// The writing thread's two ends: full buffers go out, empty ones come back.
struct Background {
    to: std::sync::mpsc::SyncSender<Job>,
    /// Buffers written out, to be filled again.
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    /// The first write that failed.
    failed: Arc<Mutex<Option<String>>>,
}

enum Job {
    Write(u64, Vec<u8>),
    /// Answered once every write before it is done.
    Flush(std::sync::mpsc::SyncSender<()>),
}

/// Full buffers waiting for the writing thread: memory stays bounded if the disk is slow.
const QUEUED: usize = 8;

/// Reads back what a [`Writer`] wrote; cheap to clone, usable from another thread.
#[derive(Clone)]
pub struct Reader(Arc<Backing>);

impl Default for Reader {
    fn default() -> Self {
        in_memory().1
    }
}

/// A spill in an unnamed temporary file, or in memory if no file can be made.
pub(crate) fn new() -> (Writer, Reader) {
    match unnamed_file() {
        Ok(f) => pair(Backing::File(f), None),
        Err(e) => pair(
            Backing::Memory(Mutex::default()),
            Some(format!(
                "payloads are kept in memory: no temporary file ({e}); set TMPDIR to a writable folder"
            )),
        ),
    }
}

/// A spill that never touches the disk.
pub(crate) fn in_memory() -> (Writer, Reader) {
    pair(Backing::Memory(Mutex::default()), None)
}

fn pair(backing: Backing, trouble: Option<String>) -> (Writer, Reader) {
    let backing = Arc::new(backing);
    let thread = match backing.as_ref() {
        Backing::File(_) => Background::start(backing.clone()),
        Backing::Memory(_) => None,
    };
    (
        Writer {
            backing: backing.clone(),
            written: 0,
            pending: Vec::new(),
            thread,
            trouble,
        },
        Reader(backing),
    )
}

impl Background {
    /// `None` if no thread can be started: the writer then writes itself.
    fn start(backing: Arc<Backing>) -> Option<Background> {
        let (to, jobs) = std::sync::mpsc::sync_channel::<Job>(QUEUED);
        let spare = Arc::new(Mutex::new(Vec::new()));
        let give_back = spare.clone();
        let failed = Arc::new(Mutex::new(None));
        let failure = failed.clone();
        std::thread::Builder::new()
            .name("spill".into())
            .spawn(move || {
                // Ends when the writer is dropped.
                for job in jobs {
                    match job {
                        Job::Write(at, mut buf) => {
                            if let Err(e) = write_at(&backing, &buf, at)
                                && let Ok(mut f) = failure.lock()
                            {
                                f.get_or_insert(e);
                            }
                            buf.clear();
                            if let Ok(mut spare) = give_back.lock()
                                && spare.len() <= QUEUED
                            {
                                spare.push(buf);
                            }
                        }
                        Job::Flush(done) => {
                            let _ = done.send(());
                        }
                    }
                }
            })
            .ok()?;
        Some(Background { to, spare, failed })
    }
}

/// Writes `bytes` at `at`; the sentence to show if that fails.
fn write_at(backing: &Backing, bytes: &[u8], at: u64) -> Result<(), String> {
    match backing {
        // The disk is full or gone: these payloads cannot be shown.
        Backing::File(f) => f
            .write_all_at(bytes, at)
            .map_err(|e| format!("some payloads could not be kept: {e}")),
        Backing::Memory(_) => Ok(()),
    }
}

impl Writer {
    pub(crate) fn put(&mut self, bytes: &[u8]) -> Span {
        let span = Span {
            at: self.written + self.pending.len() as u64,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        };
        let bytes = &bytes[..span.len().min(bytes.len())];
        match self.backing.as_ref() {
            Backing::Memory(m) => {
                if let Ok(mut m) = m.lock() {
                    m.extend_from_slice(bytes);
                }
                self.written += bytes.len() as u64;
            }
            Backing::File(_) => {
                if self.pending.capacity() == 0 {
                    self.pending.reserve_exact(BUFFER);
                }
                self.pending.extend_from_slice(bytes);
                if self.pending.len() >= BUFFER {
                    self.write_out();
                }
            }
        }
        span
    }

    /// Hands what is gathered to the writing thread (or writes it here if there is none).
    fn write_out(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let at = self.written;
        self.written += self.pending.len() as u64;
        if let Some(t) = &self.thread {
            let next = t
                .spare
                .lock()
                .ok()
                .and_then(|mut s| s.pop())
                .unwrap_or_else(|| Vec::with_capacity(BUFFER));
            let full = std::mem::replace(&mut self.pending, next);
            let Err(std::sync::mpsc::SendError(Job::Write(_, full))) =
                t.to.send(Job::Write(at, full))
            else {
                return;
            };
            // The thread is gone: this buffer, and all after it, are written here.
            self.thread = None;
            self.pending = full;
        }
        if let Err(e) = write_at(&self.backing, &self.pending, at) {
            self.trouble.get_or_insert(e);
        }
        self.pending.clear();
    }

    /// Writes out what is gathered, so that every span handed out so far can be read back.
    pub(crate) fn flush(&mut self) {
        self.write_out();
        let Some(t) = &self.thread else {
            return;
        };
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        if t.to.send(Job::Flush(done)).is_err() || wait.recv().is_err() {
            self.thread = None;
            self.trouble
                .get_or_insert_with(|| "some payloads could not be kept".into());
            return;
        }
        if let Some(e) = t.failed.lock().ok().and_then(|f| f.clone()) {
            self.trouble.get_or_insert(e);
        }
    }

    #[cfg(test)]
    /// Bytes handed to this writer so far.
    fn size(&self) -> u64 {
        self.written + self.pending.len() as u64
    }
}

/// Why the bytes of a span cannot be read back: the disk filled up or failed while they were
/// written, or the file went away. Shown where the bytes would be.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("payload could not be read back: {0}")]
pub(crate) struct Unreadable(String);

impl Reader {
    /// The bytes of a span.
    pub(crate) fn get(&self, span: Span) -> Result<Vec<u8>, Unreadable> {
        self.head(span, span.len())
    }

    /// The first `max` bytes of a span, for previews.
    pub(crate) fn head(&self, span: Span, max: usize) -> Result<Vec<u8>, Unreadable> {
        let len = span.len().min(max);
        if len == 0 {
            return Ok(Vec::new());
        }
        match self.0.as_ref() {
            Backing::File(f) => {
                let mut out = vec![0; len];
                match f.read_exact_at(&mut out, span.at) {
                    Ok(()) => Ok(out),
                    // What a write that failed for want of room leaves behind.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(Unreadable(
                        "the temporary file ends before it (was the disk full?)".into(),
                    )),
                    Err(e) => Err(Unreadable(e.to_string())),
                }
            }
            Backing::Memory(m) => {
                let m = m
                    .lock()
                    .map_err(|_| Unreadable("the thread keeping it failed".into()))?;
                usize::try_from(span.at)
                    .ok()
                    .and_then(|at| m.get(at..at.checked_add(len)?))
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| Unreadable("it lies past the bytes kept".into()))
            }
        }
    }
}

/// Reads many spans in the order they were written, a few megabytes at a time, instead of one
/// read per span: for a filter or search that looks at every payload.
struct Window<'a> {
    reader: &'a Reader,
    /// Where `buf` starts in the file.
    start: u64,
    buf: Vec<u8>,
}

/// Bytes a window reads at once: small enough that they are still in the core's cache when the
/// search reads them (on a 1 GiB capture the payload filter took 92 ms with 256 KiB, 105 ms
/// with 4 MiB; `examples/tui_index.rs`).
const WINDOW: usize = 256 << 10;

impl Reader {
    fn window(&self) -> Window<'_> {
        Window {
            reader: self,
            start: 0,
            buf: Vec::new(),
        }
    }
}

impl Window<'_> {
    /// The bytes of a span, from the window when it holds them.
    fn get(&mut self, span: Span) -> std::borrow::Cow<'_, [u8]> {
        let Backing::File(f) = self.reader.0.as_ref() else {
            // A payload that cannot be read is searched as no bytes.
            return self.reader.get(span).unwrap_or_default().into();
        };
        let end = span.at + span.len as u64;
        if span.at < self.start || end > self.start + self.buf.len() as u64 {
            let size = WINDOW.max(span.len());
            // Reading backwards (a search upwards), the window ends where the span does.
            let backwards = span.at < self.start;
            self.start = if backwards {
                end.saturating_sub(size as u64)
            } else {
                span.at
            };
            self.buf.resize(size, 0);
            let mut got = 0;
            // The window may run past the file's end: keep what is there.
            while got < self.buf.len() {
                match f.read_at(&mut self.buf[got..], self.start + got as u64) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
            self.buf.truncate(got);
        }
        let from = (span.at - self.start) as usize;
        match self.buf.get(from..from + span.len()) {
            Some(b) => b.into(),
            None => Vec::new().into(),
        }
    }
}

impl Reader {
    /// For each of `count` spans (`span_of(0)`, `span_of(1)` …), what `test` makes of its
    /// bytes. Spans are read in that order, in large pieces, on two threads, each with its own
    /// copy of `state` (a regex is fastest on the thread that owns its scratch space). Once
    /// `stop` is set, the rest is passed over (`R::default()`): the answer is then of no use.
    pub(crate) fn scan<T: Clone + Send + Sync, R: Default + Send>(
        &self,
        count: usize,
        span_of: impl Fn(usize) -> Span + Sync,
        state: &T,
        test: impl Fn(&T, &[u8]) -> R + Sync,
        stop: &AtomicBool,
    ) -> Vec<R> {
        let part = |range: std::ops::Range<usize>, state: &T| -> Vec<R> {
            let mut window = self.window();
            let (mut stopped, start) = (false, range.start);
            range
                .map(|i| {
                    if (i - start).is_multiple_of(1024) {
                        stopped = stopped || stop.load(Ordering::Relaxed);
                    }
                    if stopped {
                        R::default()
                    } else {
                        test(state, &window.get(span_of(i)))
                    }
                })
                .collect()
        };
        // A thread is worth starting only for many spans (a live capture adds a few).
        if count < 4096 {
            return part(0..count, state);
        }
        let mid = count / 2;
        std::thread::scope(|scope| {
            let rest = scope.spawn(|| part(mid..count, &state.clone()));
            let mut all = part(0..mid, state);
            match rest.join() {
                Ok(rest) => all.extend(rest),
                // Should the helper thread fail, do its half here.
                Err(_) => all.extend(part(mid..count, state)),
            }
            all
        })
    }
}

fn unnamed_file() -> io::Result<File> {
    unnamed_file_in(&std::env::temp_dir())
}

/// A file of mode 0600 in `dir` that no one else can open by name: made with `O_TMPFILE` where
/// the file system has it, else under a random name and unlinked at once. Its data lives until
/// it is closed.
fn unnamed_file_in(dir: &std::path::Path) -> io::Result<File> {
    use std::os::unix::fs::PermissionsExt;
    let file = tempfile::tempfile_in(dir)?;
    // `O_TMPFILE` gives 0666 less the umask (0644 as a rule). No one else can reach a file
    // without a name, but should it be given one (`linkat` through /proc/self/fd), it stays its
    // owner's alone.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_back_once_flushed() {
        let (mut w, r) = new();
        assert!(w.trouble.is_none(), "{:?}", w.trouble);
        let small = w.put(b"hello");
        let big: Vec<u8> = (0..BUFFER as u32 + 10).map(|i| i as u8).collect();
        let b = w.put(&big);
        let after = w.put(b"world");
        w.flush();
        assert_eq!(r.get(small).unwrap(), b"hello");
        assert_eq!(r.get(b).unwrap(), big);
        assert_eq!(r.get(after).unwrap(), b"world");
        assert_eq!(r.head(b, 3).unwrap(), [0, 1, 2]);
        assert_eq!(r.get(Span::default()), Ok(Vec::new()));
        assert_eq!(w.size(), 10 + big.len() as u64);
    }

    #[test]
    fn a_window_reads_spans_in_order_and_out_of_order() {
        let (mut w, r) = new();
        let spans: Vec<(Span, Vec<u8>)> = (0..50u32)
            .map(|i| {
                let bytes = vec![i as u8; (i as usize * 7919) % 300_000];
                (w.put(&bytes), bytes)
            })
            .collect();
        w.flush();
        let mut win = r.window();
        for (span, bytes) in spans.iter().chain(spans.iter().rev()) {
            assert_eq!(win.get(*span).as_ref(), bytes.as_slice());
        }
    }

    #[test]
    fn a_failed_write_is_told_at_the_next_flush() {
        // A file opened only for reading refuses every write.
        let file = File::open(file!()).unwrap();
        let (mut w, _) = pair(Backing::File(file), None);
        w.put(b"lost");
        assert!(w.trouble.is_none(), "nothing was written yet");
        w.flush();
        let told = w.trouble.as_deref().unwrap_or_default();
        assert!(
            told.starts_with("some payloads could not be kept"),
            "{told}"
        );
    }

    #[test]
    fn a_scan_reads_every_span_once_in_order_and_stops_when_told() {
        let (mut w, r) = new();
        let spans: Vec<Span> = (0..10_000u32).map(|i| w.put(&i.to_le_bytes())).collect();
        w.flush();
        let read = |_: &(), b: &[u8]| u32::from_le_bytes(b.try_into().unwrap_or_default()) + 1;
        let at = |i: usize| spans[i];
        let got = r.scan(spans.len(), at, &(), read, &AtomicBool::new(false));
        assert!(
            got.iter().copied().eq(1..=10_000),
            "each span's bytes, in order"
        );
        let got = r.scan(spans.len(), at, &(), read, &AtomicBool::new(true));
        assert_eq!(
            (got.len(), got.iter().filter(|n| **n != 0).count()),
            (10_000, 0)
        );
    }

    #[test]
    fn memory_spills_read_at_once_and_past_the_end_as_an_error() {
        let (mut w, r) = in_memory();
        let s = w.put(b"abc");
        assert_eq!(r.get(s).unwrap(), b"abc");
        let far = Span {
            at: 1 << 40,
            len: 9,
        };
        let told = r.get(far).unwrap_err().to_string();
        assert_eq!(
            told,
            "payload could not be read back: it lies past the bytes kept"
        );
        assert_eq!(
            r.get(Span {
                at: 1 << 40,
                len: 0
            }),
            Ok(Vec::new())
        );
    }

    #[test]
    fn bytes_a_cut_file_lost_are_an_error_not_an_empty_payload() {
        let (mut w, r) = new();
        let kept = w.put(b"kept");
        let lost = w.put(b"lost to a full disk");
        w.flush();
        let Backing::File(f) = r.0.as_ref() else {
            panic!("{:?}", w.trouble);
        };
        f.set_len(kept.len as u64).unwrap();
        assert_eq!(r.get(kept).unwrap(), b"kept");
        let told = r.get(lost).unwrap_err().to_string();
        assert_eq!(
            told,
            "payload could not be read back: the temporary file ends before it (was the disk full?)"
        );
        assert!(r.head(lost, 4).is_err());
    }

    #[test]
    fn the_file_is_its_owners_alone_and_has_no_name() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = unnamed_file_in(dir.path()).unwrap();
        assert_eq!(f.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(names.is_empty(), "{names:?}");
        f.write_all_at(b"payload", 0).unwrap();
        let mut back = [0; 7];
        f.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(&back, b"payload");
    }
}
