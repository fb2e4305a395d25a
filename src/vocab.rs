//! The words every layer shares: what a captured packet starts with (its link type), which
//! packet of the capture something came in and when it was captured, which connection it
//! belongs to, which way bytes flow, which peer sent them and what a WebSocket frame carries.
//! Defined once, below every stage, so that no layer passes a bare index or number for them.

use std::fmt;

/// A packet's number in its capture, from 1 as Wireshark numbers them: what every event points
/// back to. The default, 0, stands before the first packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct PacketNo(pub u64);

impl fmt::Display for PacketNo {
    /// The number, padded as the format asks: `{:>6}` lines packets up in a column.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A WebSocket connection's number, from 0 in the order the connections were recognised: what
/// ties frames, messages, gaps and ends to their connection, and where the connection sits in
/// a list of them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct ConnId(pub u32);

impl ConnId {
    /// This connection's place in a list of every connection, in the order they were numbered.
    pub(crate) fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for ConnId {
    /// The number, padded as the format asks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A capture timestamp, kept at the precision the capture was written with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: u32,
    /// Digits after the decimal point that the capture really holds: 6 for microsecond
    /// captures, 9 for nanosecond ones.
    pub digits: u8,
}

impl Timestamp {
    /// Seconds elapsed since `earlier`, for relative times in text output.
    pub(crate) fn since(self, earlier: Timestamp) -> f64 {
        let secs = self.secs.saturating_sub(earlier.secs) as f64;
        secs + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }
}

impl fmt::Display for Timestamp {
    /// Seconds since the epoch with exactly the capture's precision, e.g. `1700000000.123456`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = u32::from(self.digits.min(9));
        let frac = self.nanos / 10u32.pow(9 - digits);
        if digits == 0 {
            write!(f, "{}", self.secs)
        } else {
            write!(f, "{}.{:0width$}", self.secs, frac, width = digits as usize)
        }
    }
}

/// Direction within a TCP connection: `AtoB` runs from the endpoint TCP names first (the
/// initiator when the TCP handshake was seen) to the other. Which of them is the WebSocket
/// client is a [`Side`], learnt later from the upgrade request or the masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    AtoB,
    BtoA,
}

impl Dir {
    pub(crate) const BOTH: [Dir; 2] = [Dir::AtoB, Dir::BtoA];

    pub fn reverse(self) -> Dir {
        match self {
            Dir::AtoB => Dir::BtoA,
            Dir::BtoA => Dir::AtoB,
        }
    }

    /// 0 for `AtoB`, 1 for `BtoA`: where this direction's state sits in a `[T; 2]`, which
    /// can also be indexed by the direction itself.
    pub(crate) fn index(self) -> usize {
        match self {
            Dir::AtoB => 0,
            Dir::BtoA => 1,
        }
    }
}

impl<T> std::ops::Index<Dir> for [T; 2] {
    type Output = T;
    fn index(&self, dir: Dir) -> &T {
        &self[dir.index()]
    }
}

impl<T> std::ops::IndexMut<Dir> for [T; 2] {
    fn index_mut(&mut self, dir: Dir) -> &mut T {
        &mut self[dir.index()]
    }
}

/// Which peer sent something: the client sent the upgrade request (or, without a handshake in
/// the capture, masks its frames).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    Client,
    Server,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }
}

/// What a WebSocket frame carries (RFC 6455 section 5.2): a data opcode (continuation, text,
/// binary, 3-7 reserved) or a control one (close, ping, pong, 11-15 reserved). Values the RFC
/// reserves are kept as they were sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
    /// 3-7 (data) and 11-15 (control); made by `Opcode::from_u8` only, so that a known
    /// value is never `Reserved`.
    Reserved(u8),
}

impl Opcode {
    /// The opcode of the low 4 bits of `v`, as the first header byte holds it.
    pub(crate) fn from_u8(v: u8) -> Opcode {
        match v & 0x0f {
            0 => Opcode::Continuation,
            1 => Opcode::Text,
            2 => Opcode::Binary,
            8 => Opcode::Close,
            9 => Opcode::Ping,
            10 => Opcode::Pong,
            other => Opcode::Reserved(other),
        }
    }

    /// The 4-bit value on the wire, as JSON output and the filter language write it.
    pub fn to_u8(self) -> u8 {
        match self {
            Opcode::Continuation => 0,
            Opcode::Text => 1,
            Opcode::Binary => 2,
            Opcode::Close => 8,
            Opcode::Ping => 9,
            Opcode::Pong => 10,
            Opcode::Reserved(v) => v & 0x0f,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Opcode::Continuation => "continuation",
            Opcode::Text => "text",
            Opcode::Binary => "binary",
            Opcode::Close => "close",
            Opcode::Ping => "ping",
            Opcode::Pong => "pong",
            Opcode::Reserved(_) if self.is_data() => "reserved-data",
            Opcode::Reserved(_) => "reserved-control",
        }
    }

    /// Close, ping, pong and 11-15: the opcodes with the high bit set, which may not be
    /// fragmented and carry at most 125 bytes (RFC 6455 5.5).
    pub(crate) fn is_control(self) -> bool {
        self.to_u8() & 0x08 != 0
    }

    /// Continuation, text, binary and 3-7: the opcodes of messages.
    pub(crate) fn is_data(self) -> bool {
        !self.is_control()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_numbers_in_any_column() {
        assert_eq!(format!("#{}|{:>3}|", ConnId(2), ConnId(10)), "#2| 10|");
        assert_eq!(
            format!("{}|{:>6}|{:<4}|", PacketNo(7), PacketNo(42), PacketNo(1)),
            "7|    42|1   |"
        );
    }

    #[test]
    fn opcodes_keep_their_wire_value_and_kind() {
        for v in 0..16u8 {
            let op = Opcode::from_u8(v);
            assert_eq!(op.to_u8(), v);
            assert_eq!(op.is_control(), v >= 8, "{v}");
            assert_eq!(op.is_data(), v < 8, "{v}");
            assert_eq!(
                matches!(op, Opcode::Reserved(_)),
                !matches!(v, 0 | 1 | 2 | 8 | 9 | 10),
                "{v}"
            );
        }
        assert_eq!(Opcode::from_u8(0x89), Opcode::Ping);
        assert_eq!(Opcode::from_u8(3).name(), "reserved-data");
        assert_eq!(Opcode::from_u8(11).name(), "reserved-control");
    }
}

/// Link types this decoder reads (numbers from the tcpdump.org link-type registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    Null,
    Ethernet,
    /// Raw IP (101; 12 and 14 on some systems).
    Raw,
    /// OpenBSD loopback: 4-byte address family in network byte order.
    Loop,
    /// Linux cooked capture v1 (`tcpdump -i any` on older systems).
    LinuxSll,
    /// Linux cooked capture v2 (`tcpdump -i any`).
    LinuxSll2,
    Ipv4,
    Ipv6,
}

impl LinkType {
    pub fn from_number(n: i32) -> Option<LinkType> {
        Some(match n {
            0 => LinkType::Null,
            1 => LinkType::Ethernet,
            12 | 14 | 101 => LinkType::Raw,
            108 => LinkType::Loop,
            113 => LinkType::LinuxSll,
            276 => LinkType::LinuxSll2,
            228 => LinkType::Ipv4,
            229 => LinkType::Ipv6,
            _ => return None,
        })
    }
}
