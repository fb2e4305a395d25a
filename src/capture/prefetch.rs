//! A capture file read ahead on a thread of its own.

use super::{Error, File, Packet, Poll, Source};
use crate::vocab::LinkType;
use crate::vocab::{PacketNo, Timestamp};

/// A capture file read ahead on a thread of its own: libpcap's reading (and the kernel's
/// copying) overlaps the decoding of the packets before, which on two cores makes reading a
/// file nearly free. Packets are handed over in batches of about a megabyte, whose buffers go
/// back to the reader to be filled again.
pub struct Prefetched {
    link: LinkType,
    rx: std::sync::mpsc::Receiver<Batch>,
    back: std::sync::mpsc::SyncSender<Batch>,
    current: Batch,
    /// Next packet of `current` to hand out.
    at: usize,
    /// The read error that ended the file, handed out after its last packet.
    error: Option<Error>,
    done: bool,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Packets handed out so far: the number of the last one.
    handed: u64,
    /// The file's own TLS secrets, until taken.
    secrets: Vec<u8>,
    /// Bytes of the file behind the packets handed out, counted from the records (libpcap does
    /// not say where it is), and the file's size.
    read: u64,
    total: u64,
}

#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    /// Timestamp, wire length, and end of each packet's bytes in `bytes`.
    packets: Vec<(Timestamp, u32, usize)>,
    /// Set on the last batch when reading failed.
    error: Option<Error>,
}

/// A batch is sent once it holds this many bytes.
const BATCH_BYTES: usize = 1 << 20;

impl Prefetched {
    pub fn new(mut file: File) -> Prefetched {
        let link = file.link();
        let secrets = file.take_secrets();
        let total = std::fs::metadata(file.path()).map_or(0, |m| m.len());
        let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(4);
        let (back, spare) = std::sync::mpsc::sync_channel::<Batch>(8);
        let reader = std::thread::Builder::new()
            .name("read".into())
            .spawn(move || {
                loop {
                    let mut b = spare.try_recv().unwrap_or_default();
                    b.bytes.clear();
                    b.packets.clear();
                    let mut end = false;
                    while b.bytes.len() < BATCH_BYTES {
                        match file.next_packet() {
                            Ok(Poll::Packet(p)) => {
                                b.bytes.extend_from_slice(p.data);
                                b.packets.push((p.ts, p.wire_len, b.bytes.len()));
                            }
                            // A file is never idle.
                            Ok(Poll::Idle) => {}
                            Ok(Poll::End) => {
                                end = true;
                                break;
                            }
                            Err(e) => {
                                b.error = Some(e);
                                end = true;
                                break;
                            }
                        }
                    }
                    // The consumer is gone (it stopped early): stop reading.
                    if tx.send(b).is_err() || end {
                        return;
                    }
                }
            })
            .ok();
        Prefetched {
            link,
            rx,
            back,
            current: Batch::default(),
            at: 0,
            error: None,
            done: reader.is_none(),
            reader,
            handed: 0,
            secrets,
            // The file header, which no packet accounts for.
            read: 24,
            total,
        }
    }
}

impl Source for Prefetched {
    fn link(&self) -> LinkType {
        self.link
    }

    fn take_secrets(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.secrets)
    }

    /// As [`File`]'s, in the same order and with the same numbers.
    fn next_packet(&mut self) -> Result<Poll<'_>, Error> {
        while self.at >= self.current.packets.len() {
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            if self.done {
                return Ok(Poll::End);
            }
            match self.rx.recv() {
                Ok(mut next) => {
                    self.error = next.error.take();
                    let used = std::mem::replace(&mut self.current, next);
                    // The reader may have finished: then the buffer is simply dropped.
                    let _ = self.back.try_send(used);
                    self.at = 0;
                }
                Err(_) => self.done = true,
            }
        }
        let (ts, wire_len, end) = self.current.packets[self.at];
        let start = match self.at {
            0 => 0,
            i => self.current.packets[i - 1].2,
        };
        self.at += 1;
        self.handed += 1;
        self.read += 16 + (end - start) as u64;
        Ok(Poll::Packet(Packet {
            number: PacketNo(self.handed),
            ts,
            data: &self.current.bytes[start..end],
            wire_len,
        }))
    }

    fn progress(&self) -> Option<(u64, u64)> {
        Some((self.read.min(self.total), self.total))
    }
}

impl Drop for Prefetched {
    fn drop(&mut self) {
        // Unblock a reader waiting to send, then let it end.
        while self.rx.try_recv().is_ok() {}
        self.done = true;
        if let Some(r) = self.reader.take() {
            // Dropping our receiver makes its next send fail; wait only for that.
            let (_, dead) = std::sync::mpsc::channel::<Batch>();
            let _ = std::mem::replace(&mut self.rx, dead);
            let _ = r.join();
        }
    }
}
