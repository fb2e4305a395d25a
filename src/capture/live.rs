//! A live capture on an interface, optionally saved to a file as it runs (`-w`).

use std::path::PathBuf;

use pcap::{Active, Capture};

use super::{Error, Packet, Poll, Source, bpf, link_type, pcap_reason, timestamp};
use crate::vocab::LinkType;
use crate::vocab::PacketNo;

/// Kernel buffer for a live capture unless `-B` says otherwise. Loopback segments reach 64 KiB,
/// so tcpdump's 2 MiB holds only a few dozen of them: a client flooding small messages on `lo`
/// made the kernel drop packets with 8 MiB and none with 32 MiB.
const DEFAULT_BUFFER_KIB: u32 = 32 * 1024;

/// Settings for a live capture.
#[derive(Clone, Debug, Default)]
pub(crate) struct LiveOptions {
    pub(crate) iface: String,
    pub(crate) ports: Vec<u16>,
    pub(crate) filter: Option<String>,
    pub(crate) write: Option<PathBuf>,
    /// Kernel buffer in KiB, as tcpdump's `-B`.
    pub(crate) buffer_kib: Option<u32>,
}

impl LiveOptions {
    /// The BPF program: TCP on the given ports and the user's own filter, or all TCP.
    pub(crate) fn bpf(&self) -> String {
        bpf(&self.ports, self.filter.as_deref()).unwrap_or_else(|| "tcp".to_owned())
    }
}

/// A live capture on an interface.
pub(crate) struct Live {
    cap: Capture<Active>,
    iface: String,
    link: LinkType,
    save: Option<(pcap::Savefile, PathBuf)>,
    /// Packets captured so far: the number of the last one.
    captured: u64,
}

/// Wakes a live capture that waits for packets. On Linux, libpcap 1.10 does not return at the
/// read timeout while no packet arrives, so this is how Ctrl-C ends a capture on a quiet
/// interface. Waking a capture that has ended does nothing.
pub(crate) struct Waker(pcap::BreakLoop);

impl Waker {
    pub(crate) fn wake(&self) {
        self.0.breakloop();
    }
}

/// Packet counts as the kernel reports them.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveStats {
    pub(crate) received: u32,
    pub(crate) dropped: u32,
    pub(crate) if_dropped: u32,
}

impl Live {
    pub(crate) fn open(opts: &LiveOptions) -> Result<Live, Error> {
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
            captured: 0,
        })
    }

    /// A handle that makes a blocked [`Source::next_packet`] return, from another thread.
    pub(crate) fn waker(&mut self) -> Waker {
        Waker(self.cap.breakloop_handle())
    }

    pub(crate) fn stats(&mut self) -> LiveStats {
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

impl Source for Live {
    fn link(&self) -> LinkType {
        self.link
    }

    /// The next packet; `Idle` when none arrived within the read timeout, or when a [`Waker`]
    /// woke the capture. While idle, the save file is brought up to date, so that it is
    /// readable while the capture runs.
    fn next_packet(&mut self) -> Result<Poll<'_>, Error> {
        match self.cap.next_packet() {
            Ok(p) => {
                if let Some((save, _)) = self.save.as_mut() {
                    save.write(&p);
                }
                self.captured += 1;
                Ok(Poll::Packet(Packet {
                    number: PacketNo(self.captured),
                    ts: timestamp(p.header, false, 6),
                    data: p.data,
                    wire_len: p.header.len,
                }))
            }
            // libpcap reports a woken capture (pcap_breakloop) as -2, which the pcap crate
            // names NoMorePackets.
            Err(pcap::Error::TimeoutExpired | pcap::Error::NoMorePackets) => {
                flush(&mut self.save)?;
                Ok(Poll::Idle)
            }
            Err(e) => Err(live_error(&self.iface, &e)),
        }
    }

    fn is_live(&self) -> bool {
        true
    }

    fn live_stats(&mut self) -> Option<LiveStats> {
        Some(self.stats())
    }

    fn flush(&mut self) -> Result<(), Error> {
        flush(&mut self.save)
    }
}

/// Writes what the save file has buffered.
fn flush(save: &mut Option<(pcap::Savefile, PathBuf)>) -> Result<(), Error> {
    if let Some((save, path)) = save.as_mut() {
        save.flush().map_err(|e| Error::Write {
            path: path.clone(),
            reason: pcap_reason(&e),
        })?;
    }
    Ok(())
}

/// The interfaces a live capture can use, as `-D` lists them.
pub(crate) fn interfaces() -> Result<Vec<(String, Option<String>)>, Error> {
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
