//! Where packets come from: a pcap/pcapng file or a live interface, through libpcap.
//!
//! Out: [`Packet`]s through the one [`Source`] trait, numbered from 1 by the source as
//! Wireshark numbers them, with their timestamp at the precision the capture really has.
//! The only module that knows pcap; it turns libpcap's errors into ones that say what to do
//! next. Never: decodes anything past the link type, or drops a packet it read.

mod file;
mod live;
#[cfg(test)]
mod memory;
mod prefetch;
mod secrets;

pub use file::File;
pub(crate) use live::{Live, LiveOptions, LiveStats, Waker, interfaces};
#[cfg(test)]
pub(crate) use memory::Memory;
pub use prefetch::Prefetched;

use std::path::PathBuf;

use crate::vocab::LinkType;
use crate::vocab::{PacketNo, Timestamp};

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
        packet: PacketNo,
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
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            Error::BadFilter { .. } => 2,
            _ => 1,
        }
    }
}

/// One captured packet.
pub struct Packet<'a> {
    pub number: PacketNo,
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

/// What a source has next.
pub enum Poll<'a> {
    Packet(Packet<'a>),
    /// Nothing arrived within a live capture's read timeout, or the capture was woken: a
    /// chance to update counters and to notice a request to stop.
    Idle,
    /// The file ended (a live capture never ends by itself).
    End,
}

/// A source of packets: a capture file, a live interface, or a test's own packets. The one
/// packet loop (`pipeline::drive`, a later stage) reads every source through this.
pub trait Source {
    /// The link layer all of this source's packets start with.
    fn link(&self) -> LinkType;
    /// The next packet; an error ends the source (a file cut off inside a packet, a failed
    /// capture), after every packet before it was handed out.
    fn next_packet(&mut self) -> Result<Poll<'_>, Error>;
    /// Packets arrive as they happen (an interface), rather than as fast as they can be read.
    fn is_live(&self) -> bool {
        false
    }
    /// Bytes read so far and in all, for a progress bar; `None` when there is no end to know.
    fn progress(&self) -> Option<(u64, u64)> {
        None
    }
    /// The kernel's packet counters, for a live capture.
    fn live_stats(&mut self) -> Option<LiveStats> {
        None
    }
    /// Makes what the source writes on the side (a live capture's `-w` file) complete so far.
    fn flush(&mut self) -> Result<(), Error> {
        Ok(())
    }
    /// TLS secrets the source carries itself (a pcapng file's Decryption Secrets Blocks), as
    /// NSS key log text; taken once, before the first packet.
    fn take_secrets(&mut self) -> Vec<u8> {
        Vec::new()
    }
}

/// A BPF program for `-p` ports and a `-f` filter, as tcpdump would take them; `None` for neither.
pub(crate) fn bpf(ports: &[u16], filter: Option<&str>) -> Option<String> {
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
}
