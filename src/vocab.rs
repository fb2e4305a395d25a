//! The words every layer shares: when a packet was captured, which way bytes flow, and which
//! peer sent them. Defined once, below every stage, so that no layer passes a bare index.

use std::fmt;

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
    pub fn since(self, earlier: Timestamp) -> f64 {
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
    pub const BOTH: [Dir; 2] = [Dir::AtoB, Dir::BtoA];

    pub fn reverse(self) -> Dir {
        match self {
            Dir::AtoB => Dir::BtoA,
            Dir::BtoA => Dir::AtoB,
        }
    }

    /// 0 for `AtoB`, 1 for `BtoA`: where this direction's state sits in a `[T; 2]`, which
    /// can also be indexed by the direction itself.
    pub fn index(self) -> usize {
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

    /// Who sends on `dir` of a connection whose client sends on `client`.
    pub fn of(dir: Dir, client: Dir) -> Side {
        if dir == client {
            Side::Client
        } else {
            Side::Server
        }
    }
}
