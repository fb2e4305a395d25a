//! Where packets come from: a pcap/pcapng file or a live interface, through libpcap.
//!
//! The only module that knows pcap. It hands out packets with their timestamp at the precision
//! the capture really has, and turns libpcap's errors into ones that say what to do next.

use std::io::Read;
use std::path::{Path, PathBuf};

use pcap::{Active, Capture, Offline, Precision};

use crate::link::LinkType;
use crate::model::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot open {path}: {reason}")]
    Open { path: PathBuf, reason: String },
    #[error(
        "{path} is empty: it holds no capture (record one with: tcpdump -i lo -w FILE 'tcp port 8765')"
    )]
    Empty { path: PathBuf },
    #[error(
        "{path} is not a pcap or pcapng capture ({reason}); write captures with tcpdump -w or Wireshark"
    )]
    NotCapture { path: PathBuf, reason: String },
    #[error(
        "{source_name} has link type {name} ({number}), which wsinspect cannot decode; it reads Ethernet, \
         Linux cooked (SLL, SLL2: tcpdump -i any), BSD loopback and raw IP"
    )]
    UnsupportedLink {
        source_name: String,
        name: String,
        number: i32,
    },
    #[error(
        "{path} is cut off inside packet {packet}: {reason}. Everything before the cut was decoded"
    )]
    Truncated {
        path: PathBuf,
        packet: u64,
        reason: String,
    },
    #[error("no interface named {iface}: list the interfaces with wsinspect -D")]
    NoSuchInterface { iface: String },
    #[error(
        "no permission to capture on {iface}: run as root, or allow this binary once with \
         sudo setcap cap_net_raw,cap_net_admin=eip {exe}"
    )]
    Permission { iface: String, exe: String },
    #[error("capture on {iface} failed: {reason}")]
    Live { iface: String, reason: String },
    #[error(
        "bad capture filter {filter:?}: {reason} (filters use tcpdump's syntax, e.g. 'tcp port 8765')"
    )]
    BadFilter { filter: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl Error {
    /// Exit code: 2 for what the user typed wrong, 1 for the rest.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadFilter { .. } => 2,
            _ => 1,
        }
    }
}

/// One captured packet.
pub struct Packet<'a> {
    pub ts: Timestamp,
    pub data: &'a [u8],
    /// Length on the wire, when the snapshot length cut the packet.
    pub wire_len: u32,
}

/// `nanos_field`: the capture was opened for nanosecond precision, so libpcap's `tv_usec`
/// holds nanoseconds whatever the file's own precision (`digits`) is.
fn timestamp(header: &pcap::PacketHeader, nanos_field: bool, digits: u8) -> Timestamp {
    let frac = header.ts.tv_usec.max(0) as u32;
    let nanos = if nanos_field {
        frac
    } else {
        frac.saturating_mul(1000)
    };
    Timestamp {
        secs: header.ts.tv_sec,
        nanos: nanos.min(999_999_999),
        digits,
    }
}

fn link_type(linktype: pcap::Linktype, source_name: &str) -> Result<LinkType, Error> {
    LinkType::from_number(linktype.0).ok_or_else(|| Error::UnsupportedLink {
        source_name: source_name.to_owned(),
        name: linktype.get_name().unwrap_or_else(|_| "unknown".into()),
        number: linktype.0,
    })
}

/// A capture file being read.
pub struct File {
    cap: Capture<Offline>,
    path: PathBuf,
    link: LinkType,
    digits: u8,
    read: u64,
}

impl File {
    /// Opens a capture file; `filter` (BPF) keeps only the packets it matches, as
    /// `tcpdump -r FILE EXPRESSION` does.
    pub fn open(path: &Path, filter: Option<&str>) -> Result<File, Error> {
        let mut head = [0u8; 4096];
        let got = std::fs::File::open(path)
            .and_then(|mut f| read_up_to(&mut f, &mut head))
            .map_err(|e| Error::Open {
                path: path.to_owned(),
                reason: io_reason(&e),
            })?;
        if got == 0 {
            return Err(Error::Empty {
                path: path.to_owned(),
            });
        }
        let digits = precision_digits(&head[..got]);
        let mut cap = Capture::from_file_with_precision(path, Precision::Nano).map_err(|e| {
            Error::NotCapture {
                path: path.to_owned(),
                reason: pcap_reason(&e),
            }
        })?;
        if let Some(filter) = filter {
            cap.filter(filter, true).map_err(|e| Error::BadFilter {
                filter: filter.to_owned(),
                reason: pcap_reason(&e),
            })?;
        }
        let link = link_type(cap.get_datalink(), &path.display().to_string())?;
        Ok(File {
            cap,
            path: path.to_owned(),
            link,
            digits,
            read: 0,
        })
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The next packet, `Ok(None)` at the end of the file.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, Error> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.read += 1;
                Ok(Some(Packet {
                    ts: timestamp(p.header, true, self.digits),
                    data: p.data,
                    wire_len: p.header.len,
                }))
            }
            Err(pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(Error::Truncated {
                path: self.path.clone(),
                packet: self.read + 1,
                reason: pcap_reason(&e),
            }),
        }
    }
}

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
                            Ok(Some(p)) => {
                                b.bytes.extend_from_slice(p.data);
                                b.packets.push((p.ts, p.wire_len, b.bytes.len()));
                            }
                            Ok(None) => {
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
        }
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// The next packet, `Ok(None)` at the end of the file; as [`File::next_packet`].
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, Error> {
        while self.at >= self.current.packets.len() {
            if let Some(e) = self.error.take() {
                return Err(e);
            }
            if self.done {
                return Ok(None);
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
        Ok(Some(Packet {
            ts,
            data: &self.current.bytes[start..end],
            wire_len,
        }))
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

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// Digits of a second that the file's timestamps hold: pcap says so in its magic number,
/// pcapng in the first interface's `if_tsresol` option (microseconds when absent).
fn precision_digits(head: &[u8]) -> u8 {
    let magic = head.get(..4).map(|m| [m[0], m[1], m[2], m[3]]);
    match magic {
        Some([0xa1, 0xb2, 0x3c, 0x4d]) | Some([0x4d, 0x3c, 0xb2, 0xa1]) => 9,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => pcapng_tsresol(head).unwrap_or(6),
        _ => 6,
    }
}

fn pcapng_tsresol(head: &[u8]) -> Option<u8> {
    let big_endian = head.get(8..12)? == [0x1a, 0x2b, 0x3c, 0x4d];
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = head.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    // Section header block, then the first interface description block (type 1).
    let idb = usize::try_from(u32_at(4)?).ok()?;
    if u32_at(idb)? != 1 {
        return None;
    }
    let idb_end = idb.checked_add(usize::try_from(u32_at(idb + 4)?).ok()?)?;
    let mut opt = idb + 16;
    while opt + 4 <= idb_end.saturating_sub(4) {
        let (code, len) = (u16_at(opt)?, usize::from(u16_at(opt + 2)?));
        if code == 0 {
            break;
        }
        if code == 9 && len >= 1 {
            let v = *head.get(opt + 4)?;
            // High bit clear: a power of ten. Powers of two are rounded to what they resolve.
            return Some(if v & 0x80 == 0 {
                v.min(9)
            } else {
                (f32::from(v & 0x7f) * std::f32::consts::LOG10_2)
                    .ceil()
                    .min(9.0) as u8
            });
        }
        opt += 4 + len.div_ceil(4) * 4;
    }
    None
}

/// Kernel buffer for a live capture unless `-B` says otherwise. Loopback segments reach 64 KiB,
/// so tcpdump's 2 MiB holds only a few dozen of them: a client flooding small messages on `lo`
/// made the kernel drop packets with 8 MiB and none with 32 MiB.
pub const DEFAULT_BUFFER_KIB: u32 = 32 * 1024;

/// Settings for a live capture.
#[derive(Clone, Debug, Default)]
pub struct LiveOptions {
    pub iface: String,
    pub ports: Vec<u16>,
    pub filter: Option<String>,
    pub write: Option<PathBuf>,
    /// Kernel buffer in KiB, as tcpdump's `-B`.
    pub buffer_kib: Option<u32>,
}

impl LiveOptions {
    /// The BPF program: TCP on the given ports and the user's own filter, or all TCP.
    pub fn bpf(&self) -> String {
        bpf(&self.ports, self.filter.as_deref()).unwrap_or_else(|| "tcp".to_owned())
    }
}

/// A BPF program for `-p` ports and a `-f` filter, as tcpdump would take them; `None` for neither.
pub fn bpf(ports: &[u16], filter: Option<&str>) -> Option<String> {
    let ports = (!ports.is_empty()).then(|| {
        let list: Vec<String> = ports.iter().map(|p| format!("port {p}")).collect();
        format!("tcp and ({})", list.join(" or "))
    });
    match (ports, filter) {
        (Some(p), Some(f)) => Some(format!("({p}) and ({f})")),
        (Some(p), None) => Some(p),
        (None, Some(f)) => Some(f.to_owned()),
        (None, None) => None,
    }
}

/// A live capture on an interface.
pub struct Live {
    cap: Capture<Active>,
    iface: String,
    link: LinkType,
    save: Option<(pcap::Savefile, PathBuf)>,
}

/// Wakes a live capture that waits for packets. On Linux, libpcap 1.10 does not return at the
/// read timeout while no packet arrives, so this is how Ctrl-C ends a capture on a quiet
/// interface. Waking a capture that has ended does nothing.
pub struct Waker(pcap::BreakLoop);

impl Waker {
    pub fn wake(&self) {
        self.0.breakloop();
    }
}

/// Packet counts as the kernel reports them.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveStats {
    pub received: u32,
    pub dropped: u32,
    pub if_dropped: u32,
}

impl Live {
    pub fn open(opts: &LiveOptions) -> Result<Live, Error> {
        let iface = opts.iface.clone();
        if !pcap::Device::list().is_ok_and(|list| list.iter().any(|d| d.name == iface)) {
            return Err(Error::NoSuchInterface { iface });
        }
        let mut inactive = Capture::from_device(iface.as_str())
            .map_err(|e| live_error(&iface, &e))?
            .snaplen(262_144)
            .immediate_mode(true)
            // Wake up regularly so that Ctrl-C is noticed on a quiet interface.
            .timeout(100);
        let kib = opts.buffer_kib.unwrap_or(DEFAULT_BUFFER_KIB);
        inactive = inactive.buffer_size(i32::try_from(u64::from(kib) * 1024).unwrap_or(i32::MAX));
        let mut cap = inactive.open().map_err(|e| live_error(&iface, &e))?;
        let bpf = opts.bpf();
        cap.filter(&bpf, true).map_err(|e| Error::BadFilter {
            filter: bpf.clone(),
            reason: pcap_reason(&e),
        })?;
        let link = link_type(cap.get_datalink(), &iface)?;
        let save = match &opts.write {
            Some(path) => Some((
                cap.savefile(path).map_err(|e| Error::Write {
                    path: path.clone(),
                    reason: pcap_reason(&e),
                })?,
                path.clone(),
            )),
            None => None,
        };
        Ok(Live {
            cap,
            iface,
            link,
            save,
        })
    }

    pub fn link(&self) -> LinkType {
        self.link
    }

    /// A handle that makes a blocked [`Live::next_packet`] return, from another thread.
    pub fn waker(&mut self) -> Waker {
        Waker(self.cap.breakloop_handle())
    }

    /// The next packet; `Ok(None)` when none arrived within the read timeout, or when a
    /// [`Waker`] woke the capture.
    pub fn next_packet(&mut self) -> Result<Option<Packet<'_>>, Error> {
        match self.cap.next_packet() {
            Ok(p) => {
                if let Some((save, _)) = self.save.as_mut() {
                    save.write(&p);
                }
                Ok(Some(Packet {
                    ts: timestamp(p.header, false, 6),
                    data: p.data,
                    wire_len: p.header.len,
                }))
            }
            // libpcap reports a woken capture (pcap_breakloop) as -2, which the pcap crate
            // names NoMorePackets.
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => Ok(None),
            Err(e) => Err(live_error(&self.iface, &e)),
        }
    }

    /// Writes what the save file has buffered, so that it is readable while the capture runs.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some((save, path)) = self.save.as_mut() {
            save.flush().map_err(|e| Error::Write {
                path: path.clone(),
                reason: pcap_reason(&e),
            })?;
        }
        Ok(())
    }

    pub fn stats(&mut self) -> LiveStats {
        self.cap
            .stats()
            .map(|s| LiveStats {
                received: s.received,
                dropped: s.dropped,
                if_dropped: s.if_dropped,
            })
            .unwrap_or_default()
    }
}

/// The interfaces a live capture can use, as `-D` lists them.
pub fn interfaces() -> Result<Vec<(String, Option<String>)>, Error> {
    let list = pcap::Device::list().map_err(|e| Error::Live {
        iface: "any".into(),
        reason: pcap_reason(&e),
    })?;
    Ok(list.into_iter().map(|d| (d.name, d.desc)).collect())
}

fn live_error(iface: &str, e: &pcap::Error) -> Error {
    let reason = pcap_reason(e);
    let lower = reason.to_ascii_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        Error::Permission {
            iface: iface.to_owned(),
            exe: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "wsinspect".into()),
        }
    } else if lower.contains("no such device") {
        Error::NoSuchInterface {
            iface: iface.to_owned(),
        }
    } else {
        Error::Live {
            iface: iface.to_owned(),
            reason,
        }
    }
}

fn pcap_reason(e: &pcap::Error) -> String {
    match e {
        pcap::Error::PcapError(s) => s.clone(),
        other => other.to_string(),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bpf_combines_ports_and_filter() {
        let mut o = LiveOptions {
            ports: vec![8765, 80],
            ..Default::default()
        };
        assert_eq!(o.bpf(), "tcp and (port 8765 or port 80)");
        o.filter = Some("host 127.0.0.1".into());
        assert_eq!(
            o.bpf(),
            "(tcp and (port 8765 or port 80)) and (host 127.0.0.1)"
        );
        o.ports.clear();
        assert_eq!(o.bpf(), "host 127.0.0.1");
    }

    #[test]
    fn precision_from_magic() {
        assert_eq!(precision_digits(&[0xd4, 0xc3, 0xb2, 0xa1]), 6);
        assert_eq!(precision_digits(&[0x4d, 0x3c, 0xb2, 0xa1]), 9);
    }
}
