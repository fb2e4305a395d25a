//! From a captured packet to the TCP segment inside it.
//!
//! In: the link type of the capture and one packet's captured bytes.
//! Out: a [`Segment`] for IPv4/IPv6 TCP packets, or why there is none.
//! Never: reads past the captured bytes or trusts a length field without checking it; packets cut
//! short by the snapshot length still yield their captured payload, with the full length the IP
//! header claims so the missing tail can be reported.

use std::net::{IpAddr, SocketAddr};

use etherparse::{LaxNetSlice, LaxSlicedPacket, TcpSlice};

/// One TCP segment as read off a packet.
#[derive(Clone, Copy, Debug)]
pub struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    /// Some when the ACK flag is set.
    pub ack: Option<u32>,
    pub syn: bool,
    pub fin: bool,
    pub rst: bool,
    /// Payload bytes present in the capture.
    pub payload: &'a [u8],
    /// Payload length per the IP header; larger than `payload.len()` when the
    /// capture's snapshot length cut the packet short.
    pub wire_len: u32,
}

/// The link types this decoder reads; the capture says which one its packets start with.
pub use crate::vocab::LinkType;

/// Why a packet holds no TCP segment to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not IP, or IP but not TCP: nothing to do with WebSockets.
    NotTcp,
    /// A fragment of an IP datagram (TCP over fragmented IP is not reassembled).
    IpFragment,
    /// The headers are cut short or malformed.
    Malformed(Malformed),
}

/// The header of a packet that could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    Link,
    Ip,
    Tcp,
}

/// A header that is cut short or malformed: which one, where it starts in the packet, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Malformed {
    pub(crate) header: Header,
    /// Offset of that header from the start of the captured packet.
    pub(crate) offset: usize,
    pub(crate) reason: String,
}

fn malformed(header: Header, offset: usize, reason: impl ToString) -> Skip {
    Skip::Malformed(Malformed {
        header,
        offset,
        reason: reason.to_string(),
    })
}

/// A link header shorter than it must be.
fn link_cut(data: &[u8], need: usize) -> Skip {
    malformed(
        Header::Link,
        0,
        format!(
            "{} bytes captured, the link header needs {need}",
            data.len()
        ),
    )
}

/// Decodes one packet. The returned segment borrows the packet's bytes.
pub fn decode(link: LinkType, data: &[u8]) -> Result<Segment<'_>, Skip> {
    let ip = match link {
        LinkType::Ethernet => ethernet_payload(data)?,
        LinkType::Null | LinkType::Loop => data.get(4..).ok_or_else(|| link_cut(data, 4))?,
        LinkType::LinuxSll => ether_type_payload(data, 14, 16)?,
        LinkType::LinuxSll2 => ether_type_payload(data, 0, 20)?,
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => data,
    };
    ip_segment(ip, data.len() - ip.len())
}

/// Skips the Ethernet header and any 802.1Q / 802.1ad VLAN tags.
fn ethernet_payload(data: &[u8]) -> Result<&[u8], Skip> {
    let mut at = 12;
    loop {
        let ether_type = read_u16(data, at)?;
        match ether_type {
            0x8100 | 0x88a8 | 0x9100 => at += 4,
            0x0800 | 0x86dd => return data.get(at + 2..).ok_or_else(|| link_cut(data, at + 2)),
            _ => return Err(Skip::NotTcp),
        }
    }
}

/// Cooked captures: the protocol is an EtherType at `type_at`, the IP packet starts at `header_len`.
fn ether_type_payload(data: &[u8], type_at: usize, header_len: usize) -> Result<&[u8], Skip> {
    match read_u16(data, type_at)? {
        0x0800 | 0x86dd => data
            .get(header_len..)
            .ok_or_else(|| link_cut(data, header_len)),
        _ => Err(Skip::NotTcp),
    }
}

fn read_u16(data: &[u8], at: usize) -> Result<u16, Skip> {
    let bytes = data.get(at..at + 2).ok_or_else(|| link_cut(data, at + 2))?;
    Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
}

/// `ip_at`: where the IP header starts in the captured packet, for error offsets.
fn ip_segment(ip: &[u8], ip_at: usize) -> Result<Segment<'_>, Skip> {
    let packet = LaxSlicedPacket::from_ip(ip).map_err(|e| malformed(Header::Ip, ip_at, e))?;
    let (src, dst, claimed_end) = match &packet.net {
        Some(LaxNetSlice::Ipv4(v4)) => {
            let h = v4.header();
            let end = usize::from(h.total_len());
            (
                IpAddr::V4(h.source_addr()),
                IpAddr::V4(h.destination_addr()),
                end,
            )
        }
        Some(LaxNetSlice::Ipv6(v6)) => {
            let h = v6.header();
            // A payload length of 0 means a jumbogram: trust the captured size instead.
            let end = match h.payload_length() {
                0 => ip.len(),
                n => 40 + usize::from(n),
            };
            (
                IpAddr::V6(h.source_addr()),
                IpAddr::V6(h.destination_addr()),
                end,
            )
        }
        _ => return Err(Skip::NotTcp),
    };
    let payload = packet.ip_payload().ok_or_else(|| {
        let why = match &packet.stop_err {
            Some((e, _)) => e.to_string(),
            None => "no payload after the IP header".to_owned(),
        };
        malformed(Header::Ip, ip_at, why)
    })?;
    if payload.ip_number != etherparse::IpNumber::TCP {
        return Err(Skip::NotTcp);
    }
    if payload.fragmented {
        return Err(Skip::IpFragment);
    }
    let tcp_at = ip_at + (payload.payload.as_ptr() as usize).saturating_sub(ip.as_ptr() as usize);
    let tcp =
        TcpSlice::from_slice(payload.payload).map_err(|e| malformed(Header::Tcp, tcp_at, e))?;
    let data = tcp.payload();
    // Where the TCP payload starts within the IP packet, to compare with what the IP header claims.
    let start = (data.as_ptr() as usize).saturating_sub(ip.as_ptr() as usize);
    let wire_len = claimed_end.saturating_sub(start);
    let captured = &data[..data.len().min(wire_len)];
    Ok(Segment {
        src: SocketAddr::new(src, tcp.source_port()),
        dst: SocketAddr::new(dst, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        syn: tcp.syn(),
        fin: tcp.fin(),
        rst: tcp.rst(),
        payload: captured,
        wire_len: u32::try_from(wire_len).unwrap_or(u32::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TCP segment 40000 → 8765, seq 1000, ack 77, over the IP header `ip` starts.
    fn tcp_over(
        ip: etherparse::PacketBuilderStep<etherparse::IpHeaders>,
        payload: &[u8],
    ) -> Vec<u8> {
        let builder = ip.tcp(40000, 8765, 1000, 512).ack(77).psh();
        let mut out = Vec::new();
        builder.write(&mut out, payload).unwrap();
        out
    }

    fn tcp_packet(payload: &[u8]) -> Vec<u8> {
        tcp_over(
            etherparse::PacketBuilder::ipv4([127, 0, 0, 1], [127, 0, 0, 2], 64),
            payload,
        )
    }

    #[test]
    fn raw_ipv4_tcp() {
        let pkt = tcp_packet(b"hello");
        let seg = decode(LinkType::Raw, &pkt).unwrap();
        assert_eq!(seg.src.to_string(), "127.0.0.1:40000");
        assert_eq!(seg.dst.to_string(), "127.0.0.2:8765");
        assert_eq!(
            (seg.seq, seg.ack, seg.payload, seg.wire_len),
            (1000, Some(77), &b"hello"[..], 5)
        );
    }

    #[test]
    fn ethernet_with_vlan_tags_and_padding() {
        let ip = tcp_packet(b"hi");
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x08, 0x00]);
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&[0; 6]); // Ethernet minimum-size padding
        let seg = decode(LinkType::Ethernet, &frame).unwrap();
        assert_eq!((seg.payload, seg.wire_len), (&b"hi"[..], 2));
    }

    #[test]
    fn cooked_and_loopback_headers() {
        let ip = tcp_packet(b"x");
        let mut sll2 = vec![0x08, 0x00];
        sll2.extend_from_slice(&[0; 18]);
        sll2.extend_from_slice(&ip);
        assert_eq!(decode(LinkType::LinuxSll2, &sll2).unwrap().payload, b"x");
        let mut sll = vec![0; 14];
        sll.extend_from_slice(&[0x08, 0x00]);
        sll.extend_from_slice(&ip);
        assert_eq!(decode(LinkType::LinuxSll, &sll).unwrap().payload, b"x");
        let mut null = vec![2, 0, 0, 0];
        null.extend_from_slice(&ip);
        assert_eq!(decode(LinkType::Null, &null).unwrap().payload, b"x");
    }

    #[test]
    fn snapshot_length_cut_keeps_the_claimed_length() {
        let pkt = tcp_packet(&[7; 100]);
        let seg = decode(LinkType::Raw, &pkt[..pkt.len() - 60]).unwrap();
        assert_eq!((seg.payload.len(), seg.wire_len), (40, 100));
    }

    /// The same TCP segment over IPv6.
    fn tcp6_packet(payload: &[u8]) -> Vec<u8> {
        tcp_over(
            etherparse::PacketBuilder::ipv6([0; 16], [1; 16], 64),
            payload,
        )
    }

    /// Every link type's header in front of an IP packet, with the header's length (Ethernet
    /// with one 802.1Q tag: 14 + 4 bytes; SLL 16; SLL2 20; NULL and LOOP 4; raw IP none).
    /// `family` is the BSD address family, written little-endian for NULL as an x86 host does,
    /// big-endian for LOOP.
    fn framings(
        ip: &[u8],
        version: u8,
        ether_type: [u8; 2],
        family: u8,
    ) -> Vec<(LinkType, usize, Vec<u8>)> {
        let with = |header: Vec<u8>| {
            let len = header.len();
            let mut out = header;
            out.extend_from_slice(ip);
            (len, out)
        };
        let mut ethernet = vec![0; 12];
        ethernet.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        ethernet.extend_from_slice(&ether_type);
        let mut sll = vec![0; 14];
        sll.extend_from_slice(&ether_type);
        let mut sll2 = ether_type.to_vec();
        sll2.extend_from_slice(&[0; 18]);
        let raw = match version {
            4 => LinkType::Ipv4,
            _ => LinkType::Ipv6,
        };
        [
            (LinkType::Ethernet, ethernet),
            (LinkType::LinuxSll, sll),
            (LinkType::LinuxSll2, sll2),
            (LinkType::Null, vec![family, 0, 0, 0]),
            (LinkType::Loop, vec![0, 0, 0, family]),
            (LinkType::Raw, vec![]),
            (raw, vec![]),
        ]
        .into_iter()
        .map(|(link, header)| {
            let (len, packet) = with(header);
            (link, len, packet)
        })
        .collect()
    }

    #[test]
    fn every_truncation_of_a_packet_is_handled() {
        let payload = b"hello, world";
        let full = payload.len() as u32;
        // IPv4 and TCP headers without options are 20 bytes each (RFC 791, RFC 9293); IPv6's is
        // 40 (RFC 8200). AF_INET is 2 everywhere; AF_INET6 is 24 on NetBSD and OpenBSD.
        let versions = [
            (tcp_packet(payload), 4, [0x08, 0x00], 2, 20 + 20),
            (tcp6_packet(payload), 6, [0x86, 0xdd], 24, 40 + 20),
        ];
        for (ip, version, ether_type, family, headers) in versions {
            let ip_len = headers - 20;
            for (link, link_len, packet) in framings(&ip, version, ether_type, family) {
                assert_eq!(packet.len(), link_len + headers + payload.len());
                for cut in 0..=packet.len() {
                    let got = decode(link, &packet[..cut])
                        .map(|s| {
                            (
                                s.src.port(),
                                s.dst.port(),
                                s.seq,
                                s.ack,
                                s.payload,
                                s.wire_len,
                            )
                        })
                        .map_err(|e| match e {
                            Skip::Malformed(m) => Some((m.header, m.offset)),
                            _ => None,
                        });
                    let want = match cut.checked_sub(link_len + headers) {
                        // Cut inside the link, IP or TCP header: nothing to decode, and the
                        // header that is cut short is named with where it starts.
                        None if cut < link_len => Err(Some((Header::Link, 0))),
                        None if cut < link_len + ip_len => Err(Some((Header::Ip, link_len))),
                        None => Err(Some((Header::Tcp, link_len + ip_len))),
                        // Cut inside the payload: what was captured, and the length the IP
                        // header gives, so the missing tail can be reported.
                        Some(kept) => Ok((40000, 8765, 1000, Some(77), &payload[..kept], full)),
                    };
                    assert_eq!(got, want, "{link:?} IPv{version} cut at {cut}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..128), link in 0usize..8) {
            let links = [LinkType::Null, LinkType::Ethernet, LinkType::Raw, LinkType::Loop,
                LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::Ipv4, LinkType::Ipv6];
            if let Ok(seg) = decode(links[link], &bytes) {
                proptest::prop_assert!(seg.payload.len() <= seg.wire_len as usize);
            }
        }
    }
}
