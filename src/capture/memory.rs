//! Packets held in memory, handed out one by one: a source for tests and tools, which can
//! stand for a live capture (with quiet moments between packets) as well as for a file.

use std::collections::VecDeque;

use super::{Error, LiveStats, Packet, Poll, Source};
use crate::vocab::LinkType;
use crate::vocab::{PacketNo, Timestamp};

pub(crate) struct Memory {
    link: LinkType,
    /// What comes next: a packet, or `None` for a quiet moment of a live capture.
    next: VecDeque<Option<(Timestamp, Vec<u8>)>>,
    current: Vec<u8>,
    number: u64,
    live: bool,
}

impl Memory {
    /// A source of `packets` as a live capture would give them: `None` is a read timeout with
    /// no packet. It ends after the last one, which a real interface never does.
    pub(crate) fn live(link: LinkType, packets: Vec<Option<(Timestamp, Vec<u8>)>>) -> Memory {
        Memory {
            link,
            next: packets.into(),
            current: Vec::new(),
            number: 0,
            live: true,
        }
    }
}

impl Source for Memory {
    fn link(&self) -> LinkType {
        self.link
    }

    fn next_packet(&mut self) -> Result<Poll<'_>, Error> {
        match self.next.pop_front() {
            None => Ok(Poll::End),
            Some(None) => Ok(Poll::Idle),
            Some(Some((ts, data))) => {
                self.number += 1;
                self.current = data;
                Ok(Poll::Packet(Packet {
                    number: PacketNo(self.number),
                    ts,
                    data: &self.current,
                    wire_len: u32::try_from(self.current.len()).unwrap_or(u32::MAX),
                }))
            }
        }
    }

    fn is_live(&self) -> bool {
        self.live
    }

    fn live_stats(&mut self) -> Option<LiveStats> {
        self.live.then(|| LiveStats {
            received: u32::try_from(self.number).unwrap_or(u32::MAX),
            ..LiveStats::default()
        })
    }
}
