//! The TLS record layer's framing (RFC 8446 §5.1, RFC 5246 §6.2): a direction's bytes cut into
//! records, whatever the TCP segments were; several records in a segment, or one record over
//! several segments.

/// A record's header: content type, legacy version, length.
pub(crate) const HEADER_LEN: usize = 5;
/// The longest protected record TLS 1.3 allows (RFC 8446 §5.2).
pub(crate) const MAX_TLS13: usize = (1 << 14) + 256;
/// The longest protected record TLS 1.2 allows (RFC 5246 §6.2.3).
pub(crate) const MAX_TLS12: usize = (1 << 14) + 2048;

/// The content type of a record (RFC 8446 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContentType {
    ChangeCipherSpec,
    Alert,
    Handshake,
    ApplicationData,
    Heartbeat,
    Other(u8),
}

impl ContentType {
    pub(crate) fn from_u8(b: u8) -> ContentType {
        match b {
            20 => ContentType::ChangeCipherSpec,
            21 => ContentType::Alert,
            22 => ContentType::Handshake,
            23 => ContentType::ApplicationData,
            24 => ContentType::Heartbeat,
            b => ContentType::Other(b),
        }
    }
}

/// Whether `bytes` (what a connection's first sender sent first) can be the start of a TLS
/// ClientHello: a handshake record of version 3.x whose first message is a ClientHello. `None`:
/// too few bytes to tell yet.
pub(crate) fn starts_client_hello(bytes: &[u8]) -> Option<bool> {
    const NEED: usize = HEADER_LEN + 1;
    let looks = |b: &[u8]| {
        let checks = [
            b.first().map(|&t| t == 22),
            b.get(1).map(|&major| major == 3),
            // 3.0 (SSL 3) to 3.4; the record version of a ClientHello is usually 3.1.
            b.get(2).map(|&minor| minor <= 4),
            // A ClientHello's record is not empty, and fits in one record's length.
            (b.len() >= 5).then(|| u16::from_be_bytes([b[3], b[4]]) > 0),
            b.get(5).map(|&msg| msg == 1),
        ];
        !checks.contains(&Some(false))
    };
    let ok = looks(bytes);
    if !ok {
        Some(false)
    } else if bytes.len() < NEED {
        None
    } else {
        Some(true)
    }
}

/// One record cut from a direction's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) kind: ContentType,
    /// The raw content type byte (kept for [`ContentType::Other`]).
    pub(crate) raw_type: u8,
    pub(crate) version: u16,
    pub(crate) len: usize,
}

impl Header {
    pub(crate) fn parse(b: &[u8; HEADER_LEN]) -> Header {
        Header {
            kind: ContentType::from_u8(b[0]),
            raw_type: b[0],
            version: u16::from_be_bytes([b[1], b[2]]),
            len: usize::from(u16::from_be_bytes([b[3], b[4]])),
        }
    }
}

/// Cuts one direction's bytes into records.
#[derive(Default)]
pub(crate) struct Framer {
    /// The start of a record whose end has not arrived yet.
    held: Vec<u8>,
    /// Offset in the direction's stream of the next byte to come.
    offset: u64,
}

/// A whole record: its header bytes and body, and where it started in the stream.
pub(crate) struct Record<'a> {
    pub(crate) header: [u8; HEADER_LEN],
    pub(crate) body: &'a [u8],
    pub(crate) offset: u64,
}

impl Record<'_> {
    pub(crate) fn header(&self) -> Header {
        Header::parse(&self.header)
    }
}

impl Framer {
    /// Bytes held for a record not complete yet.
    pub(crate) fn buffered(&self) -> usize {
        self.held.len()
    }

    /// Offset in the stream of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Skips `len` bytes that are not in the capture: whatever was held is dropped with them.
    /// Returns the bytes that were held.
    pub(crate) fn gap(&mut self, len: u64) -> usize {
        let held = self.held.len();
        self.held.clear();
        self.offset += len;
        held
    }

    /// Calls `each` for every record `bytes` completes, in order. A record's length is at most
    /// 2^16 − 1 by its header, so what is held is bounded by that.
    /// Stops at a header that is no record's (its type or version is not TLS's): what
    /// follows is not cut into records, and the header's offset and first byte are returned.
    pub(crate) fn feed(
        &mut self,
        mut bytes: &[u8],
        mut each: impl FnMut(Record<'_>),
    ) -> Result<(), NotRecord> {
        let start = self.offset - self.held.len() as u64;
        self.offset += bytes.len() as u64;
        let mut at = start;
        if !self.held.is_empty() {
            // Complete the header of the record held, then its body.
            if self.held.len() < HEADER_LEN {
                let take = (HEADER_LEN - self.held.len()).min(bytes.len());
                self.held.extend_from_slice(&bytes[..take]);
                bytes = &bytes[take..];
                if self.held.len() < HEADER_LEN {
                    return Ok(());
                }
            }
            if !plausible(&self.held) {
                let byte = self.held[0];
                self.held.clear();
                return Err(NotRecord { offset: at, byte });
            }
            let want = HEADER_LEN + usize::from(u16::from_be_bytes([self.held[3], self.held[4]]));
            let take = (want - self.held.len()).min(bytes.len());
            self.held.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.held.len() < want {
                return Ok(());
            }
            let (h, body) = self.held.split_at(HEADER_LEN);
            each(Record {
                header: header_of(h),
                body,
                offset: at,
            });
            at += want as u64;
            self.held.clear();
        }
        while bytes.len() >= HEADER_LEN {
            if !plausible(bytes) {
                return Err(NotRecord {
                    offset: at,
                    byte: bytes[0],
                });
            }
            let len = usize::from(u16::from_be_bytes([bytes[3], bytes[4]]));
            let Some(record) = bytes.get(..HEADER_LEN + len) else {
                break;
            };
            let (h, body) = record.split_at(HEADER_LEN);
            each(Record {
                header: header_of(h),
                body,
                offset: at,
            });
            at += record.len() as u64;
            bytes = &bytes[record.len()..];
        }
        self.held.extend_from_slice(bytes);
        Ok(())
    }
}

/// A header that is no TLS record's, where it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NotRecord {
    pub(crate) offset: u64,
    pub(crate) byte: u8,
}

/// A record header's type is one TLS defines (RFC 8446 §5.1 and RFC 6520's heartbeat) and its
/// version is 3.x: what else arrives on a TLS connection is not records.
fn plausible(header: &[u8]) -> bool {
    matches!(header[0], 20..=24) && header[1] == 3
}

fn header_of(h: &[u8]) -> [u8; HEADER_LEN] {
    let mut out = [0u8; HEADER_LEN];
    out.copy_from_slice(&h[..HEADER_LEN]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(chunks: &[&[u8]]) -> Vec<(u8, Vec<u8>, u64)> {
        let mut f = Framer::default();
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, |r| out.push((r.header[0], r.body.to_vec(), r.offset)))
                .unwrap();
        }
        out
    }

    #[test]
    fn records_come_out_whole_however_the_bytes_are_cut() {
        let stream: Vec<u8> = [
            &[22, 3, 1, 0, 3, 1, 2, 3][..],
            &[23, 3, 3, 0, 0],
            &[23, 3, 3, 0, 2, 9, 9],
        ]
        .concat();
        let want = vec![
            (22, vec![1, 2, 3], 0),
            (23, vec![], 8),
            (23, vec![9, 9], 13),
        ];
        assert_eq!(records(&[&stream]), want);
        for cut in 0..stream.len() {
            for cut2 in cut..stream.len() {
                let (a, rest) = stream.split_at(cut);
                let (b, c) = rest.split_at(cut2 - cut);
                assert_eq!(records(&[a, b, c]), want, "cut at {cut} and {cut2}");
            }
        }
        let one_by_one: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(records(&one_by_one), want);
    }

    #[test]
    fn a_client_hello_is_told_from_http_and_ssl2() {
        assert_eq!(starts_client_hello(&[22, 3, 1, 2, 0, 1, 0]), Some(true));
        assert_eq!(starts_client_hello(&[22, 3]), None);
        assert_eq!(starts_client_hello(b"GET / HTTP/1.1"), Some(false));
        // SSLv2-style ClientHello: not the record layer this reads.
        assert_eq!(
            starts_client_hello(&[0x80, 0x2e, 0x01, 0x03, 0x01]),
            Some(false)
        );
        // A ServerHello first is not how a client starts.
        assert_eq!(starts_client_hello(&[22, 3, 3, 0, 90, 2]), Some(false));
        assert_eq!(starts_client_hello(&[22, 3, 3, 0, 0, 1]), Some(false));
    }

    #[test]
    fn a_gap_drops_the_record_held() {
        let mut f = Framer::default();
        f.feed(&[23, 3, 3, 0, 9, 1, 2], |_| panic!("not complete"))
            .unwrap();
        assert_eq!(f.buffered(), 7);
        assert_eq!(f.gap(100), 7);
        assert_eq!(f.offset(), 107);
        let mut got = Vec::new();
        f.feed(&[23, 3, 3, 0, 1, 5], |r| got.push(r.offset))
            .unwrap();
        assert_eq!(got, vec![107]);
    }
}
