//! Any packet under every link type this decoder reads: a TCP segment or a reason to skip it,
//! never a panic, and a segment's payload lies inside the packet.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect::link::{self, LinkType};

const ALL: [LinkType; 8] = [
    LinkType::Null,
    LinkType::Ethernet,
    LinkType::Raw,
    LinkType::Loop,
    LinkType::LinuxSll,
    LinkType::LinuxSll2,
    LinkType::Ipv4,
    LinkType::Ipv6,
];

fuzz_target!(|data: &[u8]| {
    for lt in ALL {
        if let Ok(seg) = link::decode(lt, data) {
            assert!(seg.payload.len() <= data.len());
        }
    }
});
