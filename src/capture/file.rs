//! A capture file read with libpcap: pcap or pcapng, any timestamp precision.

use std::io::Read;
use std::path::{Path, PathBuf};

use pcap::{Capture, Offline, Precision};

use super::{Error, Packet, Poll, Source, io_reason, link_type, pcap_reason, timestamp};
use crate::vocab::LinkType;
use crate::vocab::PacketNo;

/// A capture file being read.
pub struct File {
    cap: Capture<Offline>,
    path: PathBuf,
    link: LinkType,
    digits: u8,
    read: u64,
    /// The key log text of the file's Decryption Secrets Blocks, until taken.
    secrets: Vec<u8>,
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
        let secrets = if head.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            super::secrets::tls_key_log(path)
        } else {
            Vec::new()
        };
        Ok(File {
            secrets,
            cap,
            path: path.to_owned(),
            link,
            digits,
            read: 0,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Source for File {
    fn link(&self) -> LinkType {
        self.link
    }

    fn next_packet(&mut self) -> Result<Poll<'_>, Error> {
        match self.cap.next_packet() {
            Ok(p) => {
                self.read += 1;
                Ok(Poll::Packet(Packet {
                    number: PacketNo(self.read),
                    ts: timestamp(p.header, true, self.digits),
                    data: p.data,
                    wire_len: p.header.len,
                }))
            }
            Err(pcap::Error::NoMorePackets) => Ok(Poll::End),
            Err(e) => Err(Error::Truncated {
                path: self.path.clone(),
                packet: PacketNo(self.read + 1),
                reason: pcap_reason(&e),
            }),
        }
    }

    fn take_secrets(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.secrets)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_from_magic() {
        assert_eq!(precision_digits(&[0xd4, 0xc3, 0xb2, 0xa1]), 6);
        assert_eq!(precision_digits(&[0x4d, 0x3c, 0xb2, 0xa1]), 9);
    }
}
