//! Payload bytes kept out of memory: the terminal UI writes every payload it is given to an
//! unnamed file and reads back only what the screen shows, as Wireshark reads packets back from
//! its capture file. Memory then follows the number of frames, not the size of the capture.
//!
//! The file is created in the temporary directory (`TMPDIR`) and unlinked at once, so nothing is
//! left behind, whatever way the program ends. Where no file can be made, bytes stay in memory.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

/// Where some bytes were put.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub at: u64,
    /// A kept payload is at most the decoder's keep limit (16 MiB).
    pub len: u32,
}

impl Span {
    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }
}

/// Bytes written at the file's end are buffered up to this much before they are written out.
const BUFFER: usize = 1 << 20;

pub struct Spill {
    /// `None`: everything stays in `pending`.
    file: Option<File>,
    /// Bytes already in the file; `pending` follows them.
    written: u64,
    pending: Vec<u8>,
    /// Why the file could not be used, if it could not.
    pub trouble: Option<String>,
}

impl Default for Spill {
    /// In memory: a file is only made when asked for with [`Spill::new`].
    fn default() -> Self {
        Spill::in_memory()
    }
}

impl Spill {
    pub fn new() -> Spill {
        let (file, trouble) = match unnamed_file() {
            Ok(f) => (Some(f), None),
            Err(e) => (
                None,
                Some(format!(
                    "payloads are kept in memory: no temporary file ({e}); set TMPDIR to a writable folder"
                )),
            ),
        };
        Spill {
            file,
            written: 0,
            pending: Vec::with_capacity(BUFFER),
            trouble,
        }
    }

    /// A spill that never touches the disk (tests, and small captures).
    pub fn in_memory() -> Spill {
        Spill {
            file: None,
            written: 0,
            pending: Vec::new(),
            trouble: None,
        }
    }

    pub fn put(&mut self, bytes: &[u8]) -> Span {
        let span = Span {
            at: self.written + self.pending.len() as u64,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
        };
        self.pending
            .extend_from_slice(&bytes[..span.len().min(bytes.len())]);
        if self.pending.len() >= BUFFER
            && let Some(f) = self.file.as_mut()
        {
            match f.write_all(&self.pending) {
                Ok(()) => {
                    self.written += self.pending.len() as u64;
                    self.pending.clear();
                }
                Err(e) => {
                    // The disk is full or gone: keep what is left in memory from now on.
                    self.trouble = Some(format!("payloads are kept in memory: {e}"));
                    self.file = None;
                }
            }
        }
        span
    }

    /// The bytes of a span; empty if they cannot be read back.
    pub fn get(&self, span: Span) -> Vec<u8> {
        self.head(span, span.len())
    }

    /// The first `max` bytes of a span, for previews.
    pub fn head(&self, span: Span, max: usize) -> Vec<u8> {
        let len = span.len().min(max);
        if span.at >= self.written {
            let from = (span.at - self.written) as usize;
            return self
                .pending
                .get(from..from + len)
                .map(<[u8]>::to_vec)
                .unwrap_or_default();
        }
        let mut out = vec![0; len];
        match self
            .file
            .as_ref()
            .map(|f| f.read_exact_at(&mut out, span.at))
        {
            Some(Ok(())) => out,
            _ => Vec::new(),
        }
    }

    /// Bytes written to the file so far (for the status bar and the benchmark).
    pub fn on_disk(&self) -> u64 {
        self.written
    }
}

fn unnamed_file() -> io::Result<File> {
    let dir = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let path = dir.join(format!("wsinspect-{}-{nanos}.payloads", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    // Unlinked while open: the data lives until the file is closed, and nothing is left over.
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_back_from_memory_and_from_the_file() {
        let mut s = Spill::new();
        assert!(s.trouble.is_none(), "{:?}", s.trouble);
        let small = s.put(b"hello");
        let big: Vec<u8> = (0..BUFFER as u32 + 10).map(|i| i as u8).collect();
        let b = s.put(&big);
        assert!(s.on_disk() > 0, "the buffer was written out");
        let after = s.put(b"world");
        assert_eq!(s.get(small), b"hello");
        assert_eq!(s.get(b), big);
        assert_eq!(s.get(after), b"world");
        assert_eq!(s.head(b, 3), [0, 1, 2]);
        assert!(s.get(Span::default()).is_empty());
    }

    #[test]
    fn a_span_past_the_end_reads_as_nothing() {
        let s = Spill::in_memory();
        assert!(
            s.get(Span {
                at: 1 << 40,
                len: 9
            })
            .is_empty()
        );
    }
}
