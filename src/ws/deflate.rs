//! permessage-deflate (RFC 7692): the negotiated parameters and one inflater per direction.

use flate2::{Decompress, FlushDecompress, Status};

/// The parameters the server accepted in `Sec-WebSocket-Extensions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pub server_no_context_takeover: bool,
    pub client_no_context_takeover: bool,
    pub server_max_window_bits: Option<u8>,
    pub client_max_window_bits: Option<u8>,
}

impl Params {
    /// Finds `permessage-deflate` in an extensions header value (the server's answer) and reads
    /// its parameters. `None` when the extension was not accepted.
    pub fn from_header(value: &str) -> Option<Params> {
        value.split(',').find_map(|ext| {
            let mut parts = ext.split(';').map(str::trim);
            if !parts.next()?.eq_ignore_ascii_case("permessage-deflate") {
                return None;
            }
            let mut p = Params::default();
            for param in parts {
                let (name, value) = match param.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                    None => (param, None),
                };
                let bits = value.and_then(|v| v.parse::<u8>().ok());
                match name.to_ascii_lowercase().as_str() {
                    "server_no_context_takeover" => p.server_no_context_takeover = true,
                    "client_no_context_takeover" => p.client_no_context_takeover = true,
                    "server_max_window_bits" => p.server_max_window_bits = bits,
                    "client_max_window_bits" => p.client_max_window_bits = bits,
                    _ => {}
                }
            }
            Some(p)
        })
    }
}

/// The tail a sender strips from each compressed message (RFC 7692 7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Whole,
    /// Output stopped at the limit; the rest was inflated and thrown away so that the shared
    /// window stays right for the next message.
    Limited,
    /// Output stopped at the limit, and so did the inflating thrown away after it: the window
    /// is unknown from here on, as if history had been lost.
    Abandoned,
    Failed,
}

/// Bytes a message may inflate to beyond the output limit, thrown away only to keep the
/// window right. DEFLATE expands a thousandfold at most: without this bound a 16 MiB message
/// would cost 16 GiB of inflating (seconds of CPU) for 32 KiB of window.
pub(crate) const DISCARD_LIMIT: usize = 256 << 20;

/// Inflates the messages of one direction. With context takeover, the LZ77 window carries over
/// from message to message, so every compressed message of the direction must pass through here
/// in order.
///
/// The window size the peers negotiated needs no setting: a 32 KiB window (what this inflater
/// always keeps) decodes any stream written with a smaller one.
pub(crate) struct Inflater {
    state: Decompress,
    takeover: bool,
    scratch: Box<[u8; 32 * 1024]>,
}

impl Inflater {
    pub(crate) fn new(context_takeover: bool) -> Inflater {
        Inflater {
            state: Decompress::new(false),
            takeover: context_takeover,
            scratch: Box::new([0; 32 * 1024]),
        }
    }

    /// Inflates one whole message into `out`, writing at most `limit` bytes and inflating
    /// at most `discard` more only to keep the window right.
    pub(crate) fn inflate(
        &mut self,
        compressed: &[u8],
        limit: usize,
        discard: usize,
        out: &mut Vec<u8>,
    ) -> Outcome {
        if !self.takeover {
            self.state.reset(false);
        }
        let mut outcome = Outcome::Whole;
        let mut discarded = 0usize;
        for mut input in [compressed, &TAIL[..]] {
            loop {
                let (in_before, out_before) = (self.state.total_in(), self.state.total_out());
                let status =
                    match self
                        .state
                        .decompress(input, &mut self.scratch[..], FlushDecompress::Sync)
                    {
                        Ok(status) => status,
                        Err(_) => {
                            // The stream is broken; a later message may still start clean.
                            self.state.reset(false);
                            return Outcome::Failed;
                        }
                    };
                let used = (self.state.total_in() - in_before) as usize;
                let made = (self.state.total_out() - out_before) as usize;
                input = &input[used.min(input.len())..];
                let room = limit.saturating_sub(out.len());
                out.extend_from_slice(&self.scratch[..made.min(room)]);
                if made > room {
                    outcome = Outcome::Limited;
                    if !self.takeover {
                        return outcome;
                    }
                    discarded = discarded.saturating_add(made - room);
                    if discarded > discard {
                        // The window cannot be kept right at a bearable cost: start afresh,
                        // and let the next message that refers back fail as without history.
                        self.state.reset(false);
                        return Outcome::Abandoned;
                    }
                }
                if status == Status::StreamEnd {
                    // A final block ends this DEFLATE stream; the next message starts a new one.
                    self.state.reset(false);
                    return outcome;
                }
                if (input.is_empty() && made < self.scratch.len()) || (used == 0 && made == 0) {
                    break;
                }
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_read_from_the_servers_answer() {
        let p = Params::from_header(
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10",
        )
        .unwrap();
        assert!(p.server_no_context_takeover && !p.client_no_context_takeover);
        assert_eq!(p.client_max_window_bits, Some(10));
        assert_eq!(Params::from_header("x-webkit-deflate-frame"), None);
        assert!(Params::from_header("foo, permessage-deflate").is_some());
    }

    // RFC 7692 7.2.3.1: "Hello" compressed as one message.
    #[test]
    fn rfc_7692_hello() {
        let mut out = Vec::new();
        let mut inf = Inflater::new(true);
        let r = inf.inflate(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            1000,
            DISCARD_LIMIT,
            &mut out,
        );
        assert_eq!((r, out.as_slice()), (Outcome::Whole, &b"Hello"[..]));
    }

    // RFC 7692 7.2.3.2: the second "Hello" refers back into the first one's window.
    #[test]
    fn rfc_7692_context_takeover() {
        let mut inf = Inflater::new(true);
        let mut first = Vec::new();
        inf.inflate(
            &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00],
            1000,
            DISCARD_LIMIT,
            &mut first,
        );
        let mut second = Vec::new();
        let r = inf.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], 1000, 0, &mut second);
        assert_eq!((r, second.as_slice()), (Outcome::Whole, &b"Hello"[..]));

        // Without the history, the back-reference cannot be resolved.
        let mut fresh = Inflater::new(false);
        let mut out = Vec::new();
        assert_eq!(
            fresh.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], 1000, 0, &mut out),
            Outcome::Failed
        );
    }

    // RFC 7692 7.2.3.3: a message using an uncompressed (stored) block.
    #[test]
    fn rfc_7692_stored_block() {
        let mut out = Vec::new();
        let r = Inflater::new(true).inflate(
            &[
                0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            1000,
            0,
            &mut out,
        );
        assert_eq!((r, out.as_slice()), (Outcome::Whole, &b"Hello"[..]));
    }

    #[test]
    fn output_stops_at_the_limit() {
        use flate2::{Compress, Compression, FlushCompress};
        let big = vec![b'a'; 1 << 20];
        let mut c = Compress::new(Compression::best(), false);
        let mut packed = Vec::with_capacity(1 << 16);
        c.compress_vec(&big, &mut packed, FlushCompress::Sync)
            .unwrap();
        assert!(
            packed.len() < 4096,
            "a thousandfold ratio: {}",
            packed.len()
        );
        let body = &packed[..packed.len() - 4];
        let mut out = Vec::new();
        let r = Inflater::new(true).inflate(body, 1000, DISCARD_LIMIT, &mut out);
        assert_eq!((r, out.len()), (Outcome::Limited, 1000));

        // Inflating only to throw away is bounded too: past it, the window is given up.
        let mut inf = Inflater::new(true);
        out.clear();
        let r = inf.inflate(body, 1000, 64 << 10, &mut out);
        assert_eq!((r, out.len()), (Outcome::Abandoned, 1000));
        // RFC 7692 7.2.3.2's second "Hello" refers back 5 bytes: into the history that was
        // given up, which the inflater must not pretend to have.
        out.clear();
        let r = inf.inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], 1000, 0, &mut out);
        assert_eq!((r, out.as_slice()), (Outcome::Failed, &b""[..]));
    }
}
