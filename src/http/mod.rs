//! The HTTP/1.1 conversation before a WebSocket: requests and responses parsed with httparse
//! across segment boundaries, until a `101 Switching Protocols` hands the connection over.
//!
//! In: the in-order bytes of each direction of one TCP connection.
//! Out: [`Output::Upgraded`] with the handshake and the bytes after it (already frames),
//! [`Output::Rejected`] for an upgrade answered otherwise, [`Output::GaveUp`] when the
//! connection turns out to carry something else or cannot be followed, saying why and where.
//! Never: buffers more than `MAX_HEAD` bytes of a head, or the body of a message (bodies are
//! counted and skipped).

use std::collections::VecDeque;

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::vocab::Dir;

/// Longest request or response head accepted; longer ones mean this is not HTTP worth reading.
const MAX_HEAD: usize = 64 * 1024;
/// Bytes a client may send after its upgrade request before the answer arrives.
const MAX_HELD: usize = 1 << 20;
const MAX_HEADERS: usize = 64;

/// The GUID of RFC 6455 section 1.3.
pub(crate) const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
pub(crate) fn accept_for(key: &str) -> String {
    let digest = Sha1::digest(format!("{}{GUID}", key.trim()).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) host: Option<String>,
    pub(crate) key: Option<String>,
    /// `Upgrade: websocket` was asked for.
    upgrade: bool,
    pub(crate) head: Vec<u8>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) reason: String,
    pub(crate) accept: Option<String>,
    pub(crate) protocol: Option<String>,
    pub(crate) extensions: Option<String>,
    /// `Upgrade: websocket` was answered.
    upgrade: bool,
    pub(crate) head: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// The client's direction, the handshake, and each direction's bytes that followed it
    /// (indexed by direction).
    Upgraded {
        client: Dir,
        request: Request,
        response: Response,
        /// `Sec-WebSocket-Accept` is the one the request's key asks for (RFC 6455 section 4.2.2).
        accept_valid: bool,
        rest: [Vec<u8>; 2],
    },
    Rejected {
        client: Dir,
        request: Request,
        response: Response,
    },
    /// A request that asked for no upgrade, and its answer (keep-alive requests before an
    /// upgrade, a page fetched from the same server, long-polling).
    Plain {
        client: Dir,
        request: Request,
        response: Response,
    },
    /// Nothing more is read: direction `dir`'s bytes from `offset` on are not HTTP that leads
    /// to an upgrade.
    GaveUp { dir: Dir, offset: u64, why: GiveUp },
}

/// Why an HTTP conversation was given up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GiveUp {
    /// The first bytes are not an HTTP request: the connection carries another protocol.
    NotHttp,
    /// A head that is not HTTP/1.1 (httparse's reason).
    Malformed { head: &'static str, reason: String },
    /// A head longer than `MAX_HEAD`.
    HeadTooLong { head: &'static str },
    /// A response that answers no request.
    Unrequested,
    /// `101 Switching Protocols` to something other than WebSocket (h2c …).
    OtherProtocol,
    /// The client sent more than it may after its upgrade request, before any answer.
    HeldTooLong,
}

impl GiveUp {
    /// A head that could not be read: httparse's error, or none when it is too long.
    fn head(head: &'static str, error: Option<httparse::Error>) -> GiveUp {
        match error {
            Some(e) => GiveUp::Malformed {
                head,
                reason: e.to_string(),
            },
            None => GiveUp::HeadTooLong { head },
        }
    }
}

impl std::fmt::Display for GiveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GiveUp::NotHttp => write!(f, "not HTTP"),
            GiveUp::Malformed { head, reason } => write!(f, "malformed HTTP {head} head: {reason}"),
            GiveUp::HeadTooLong { head } => {
                write!(f, "HTTP {head} head longer than {} KiB", MAX_HEAD / 1024)
            }
            GiveUp::Unrequested => write!(f, "HTTP response to no request"),
            GiveUp::OtherProtocol => write!(f, "switched to a protocol other than WebSocket"),
            GiveUp::HeldTooLong => write!(
                f,
                "client sent over {} KiB after its upgrade request with no answer",
                MAX_HELD / 1024
            ),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Body {
    None,
    Length(u64),
    /// Chunked transfer coding, in the given state.
    Chunked(Chunk),
    /// Until the connection closes.
    UntilClose,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    Size,
    Data(u64),
    DataEnd,
    Trailer,
}

#[derive(Default)]
pub struct Conversation {
    client: Option<Dir>,
    buf: [Vec<u8>; 2],
    body: [Option<Body>; 2],
    pending: VecDeque<Request>,
    /// An upgrade request is waiting for its answer: the client's bytes after it are held.
    awaiting_upgrade: bool,
    finished: bool,
    /// Bytes fed per direction, for the offsets of a give-up.
    fed: [u64; 2],
}

impl Conversation {
    pub fn feed(&mut self, dir: Dir, bytes: &[u8], out: &mut Vec<Output>) {
        if self.finished || bytes.is_empty() {
            return;
        }
        let client = match self.client {
            Some(c) => c,
            None if looks_like_request(bytes) => {
                self.client = Some(dir);
                dir
            }
            None => return self.give_up(dir, GiveUp::NotHttp, out),
        };
        self.fed[dir] += bytes.len() as u64;
        if dir == client {
            let rest = skip_body(&mut self.body[dir], bytes);
            self.buf[dir].extend_from_slice(rest);
            if !self.awaiting_upgrade {
                self.read_requests(dir, out);
            } else if self.buf[dir].len() > MAX_HELD {
                self.give_up(dir, GiveUp::HeldTooLong, out);
            }
        } else {
            let rest = skip_body(&mut self.body[dir], bytes);
            self.buf[dir].extend_from_slice(rest);
            self.read_responses(client, out);
        }
    }

    /// Bytes held: heads not complete yet, and what the client sent after an upgrade request
    /// before its answer.
    pub(crate) fn buffered(&self) -> usize {
        self.buf[0].len() + self.buf[1].len()
    }

    /// The client's direction, once a request was seen.
    pub(crate) fn client(&self) -> Option<Dir> {
        self.client
    }

    /// Bytes of direction `dir` fed so far: the stream offset of the next ones.
    pub(crate) fn offset(&self, dir: Dir) -> u64 {
        self.fed[dir]
    }

    /// Stops reading; the bytes of `dir` still unparsed are where it went wrong.
    fn give_up(&mut self, dir: Dir, why: GiveUp, out: &mut Vec<Output>) {
        let offset = self.fed[dir].saturating_sub(self.buf[dir].len() as u64);
        self.give_up_at(dir, offset, why, out);
    }

    fn give_up_at(&mut self, dir: Dir, offset: u64, why: GiveUp, out: &mut Vec<Output>) {
        self.finished = true;
        self.buf = Default::default();
        out.push(Output::GaveUp { dir, offset, why });
    }

    fn read_requests(&mut self, dir: Dir, out: &mut Vec<Output>) {
        while !self.finished
            && !self.awaiting_upgrade
            && self.body[dir].is_none()
            && !self.buf[dir].is_empty()
        {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut req = httparse::Request::new(&mut headers);
            let used = match req.parse(&self.buf[dir]) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) if self.buf[dir].len() <= MAX_HEAD => return,
                failed => return self.give_up(dir, GiveUp::head("request", failed.err()), out),
            };
            let header = |name: &str| header(req.headers, name);
            let request = Request {
                method: req.method.unwrap_or_default().to_owned(),
                path: req.path.unwrap_or_default().to_owned(),
                host: header("host"),
                key: header("sec-websocket-key"),
                upgrade: has_token(header("upgrade").as_deref(), "websocket"),
                head: self.buf[dir][..used].to_vec(),
            };
            let body = if has_token(header("transfer-encoding").as_deref(), "chunked") {
                Body::Chunked(Chunk::Size)
            } else {
                content_length(req.headers).map_or(Body::None, Body::Length)
            };
            self.buf[dir].drain(..used);
            self.awaiting_upgrade = request.upgrade;
            self.pending.push_back(request);
            let rest = std::mem::take(&mut self.buf[dir]);
            self.body[dir] = Some(body);
            self.buf[dir] = skip_body(&mut self.body[dir], &rest).to_vec();
        }
    }

    fn read_responses(&mut self, client: Dir, out: &mut Vec<Output>) {
        let dir = client.reverse();
        while !self.finished && self.body[dir].is_none() && !self.buf[dir].is_empty() {
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut res = httparse::Response::new(&mut headers);
            let used = match res.parse(&self.buf[dir]) {
                Ok(httparse::Status::Complete(n)) => n,
                Ok(httparse::Status::Partial) if self.buf[dir].len() <= MAX_HEAD => return,
                failed => return self.give_up(dir, GiveUp::head("response", failed.err()), out),
            };
            let status = res.code.unwrap_or_default();
            let header = |name: &str| header(res.headers, name);
            let response = Response {
                status,
                reason: res.reason.unwrap_or_default().to_owned(),
                accept: header("sec-websocket-accept"),
                protocol: header("sec-websocket-protocol"),
                extensions: header("sec-websocket-extensions"),
                upgrade: has_token(header("upgrade").as_deref(), "websocket"),
                head: self.buf[dir][..used].to_vec(),
            };
            let chunked = has_token(header("transfer-encoding").as_deref(), "chunked");
            let length = content_length(res.headers);
            let head_at = self.fed[dir].saturating_sub(self.buf[dir].len() as u64);
            self.buf[dir].drain(..used);
            if (100..200).contains(&status) && status != 101 {
                continue; // interim answer (100 Continue): the real one follows
            }
            let Some(request) = self.pending.pop_front() else {
                return self.give_up_at(dir, head_at, GiveUp::Unrequested, out);
            };
            if status == 101 {
                if !(request.upgrade && response.upgrade) {
                    // Switched to some other protocol (h2c …): not ours to read.
                    return self.give_up_at(dir, head_at, GiveUp::OtherProtocol, out);
                }
                self.finished = true;
                let mut rest: [Vec<u8>; 2] = Default::default();
                rest[client] = std::mem::take(&mut self.buf[client]);
                rest[dir] = std::mem::take(&mut self.buf[dir]);
                let accept_valid = match (&request.key, &response.accept) {
                    (Some(key), Some(accept)) => accept_for(key) == *accept,
                    _ => false,
                };
                out.push(Output::Upgraded {
                    client,
                    request,
                    response,
                    accept_valid,
                    rest,
                });
                return;
            }
            let body = if request.method == "HEAD" || status == 204 || status == 304 {
                Body::None
            } else if chunked {
                Body::Chunked(Chunk::Size)
            } else {
                length.map_or(Body::UntilClose, Body::Length)
            };
            if request.upgrade {
                self.awaiting_upgrade = false;
                out.push(Output::Rejected {
                    client,
                    request,
                    response,
                });
            } else {
                out.push(Output::Plain {
                    client,
                    request,
                    response,
                });
            }
            let rest = std::mem::take(&mut self.buf[dir]);
            self.body[dir] = Some(body);
            self.buf[dir] = skip_body(&mut self.body[dir], &rest).to_vec();
            if !self.awaiting_upgrade {
                self.read_requests(client, out);
            }
        }
    }
}

/// Consumes body bytes from the front of `bytes`; returns what follows the body. Clears `body`
/// when the body is over.
fn skip_body<'a>(body: &mut Option<Body>, mut bytes: &'a [u8]) -> &'a [u8] {
    loop {
        match *body {
            None => return bytes,
            Some(Body::None) => *body = None,
            Some(Body::UntilClose) => return &[],
            Some(Body::Length(n)) => {
                let take = usize::try_from(n).unwrap_or(usize::MAX).min(bytes.len());
                bytes = &bytes[take..];
                let left = n - take as u64;
                if left > 0 {
                    *body = Some(Body::Length(left));
                    return bytes;
                }
                *body = None;
            }
            Some(Body::Chunked(state)) => {
                let Some((next, used)) = chunk_step(state, bytes) else {
                    // Needs a whole size line, which may straddle segments: rare enough in
                    // front of an upgrade that losing the thread here is acceptable.
                    *body = Some(Body::UntilClose);
                    return &[];
                };
                bytes = &bytes[used..];
                *body = next.map(Body::Chunked);
                if bytes.is_empty() {
                    return bytes;
                }
            }
        }
    }
}

/// One step through a chunked body. `None` when the chunk-size line is not complete.
fn chunk_step(state: Chunk, bytes: &[u8]) -> Option<(Option<Chunk>, usize)> {
    match state {
        Chunk::Size => {
            let end = bytes.windows(2).position(|w| w == b"\r\n")?;
            let line = std::str::from_utf8(&bytes[..end]).ok()?;
            let size = u64::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
            let next = if size == 0 {
                Chunk::Trailer
            } else {
                Chunk::Data(size)
            };
            Some((Some(next), end + 2))
        }
        Chunk::Data(n) => {
            let take = usize::try_from(n).unwrap_or(usize::MAX).min(bytes.len());
            let left = n - take as u64;
            Some((
                Some(if left == 0 {
                    Chunk::DataEnd
                } else {
                    Chunk::Data(left)
                }),
                take,
            ))
        }
        Chunk::DataEnd => Some((Some(Chunk::Size), 2.min(bytes.len()))),
        Chunk::Trailer => {
            let end = bytes.windows(2).position(|w| w == b"\r\n")?;
            Some((if end == 0 { None } else { Some(Chunk::Trailer) }, end + 2))
        }
    }
}

/// A request line starts with an upper-case method and a space.
fn looks_like_request(bytes: &[u8]) -> bool {
    let method_len = bytes
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    method_len > 0 && (bytes.get(method_len) == Some(&b' ') || method_len == bytes.len())
}

fn header(headers: &[httparse::Header<'_>], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8_lossy(h.value).trim().to_owned())
}

fn content_length(headers: &[httparse::Header<'_>]) -> Option<u64> {
    header(headers, "content-length")?.parse().ok()
}

/// Header values like `Connection: keep-alive, Upgrade` are lists of case-insensitive tokens.
fn has_token(value: Option<&str>, token: &str) -> bool {
    value.is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6455 section 1.3 and 4.2.2.
    #[test]
    fn rfc_accept_example() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
Sec-WebSocket-Protocol: chat\r\n\r\n\x81\x05Hello";

    const A: Dir = Dir::AtoB;
    const B: Dir = Dir::BtoA;

    fn run(pieces: &[(Dir, &[u8])]) -> Vec<Output> {
        let mut c = Conversation::default();
        let mut out = Vec::new();
        for (dir, bytes) in pieces {
            c.feed(*dir, bytes, &mut out);
        }
        out
    }

    #[test]
    fn rfc_handshake_at_every_split_point() {
        for cut in 0..REQUEST.len() {
            for cut2 in [0, 10, RESPONSE.len() - 3] {
                let out = run(&[
                    (B, &REQUEST[..cut]),
                    (B, &REQUEST[cut..]),
                    (A, &RESPONSE[..cut2]),
                    (A, &RESPONSE[cut2..]),
                ]);
                let [
                    Output::Upgraded {
                        client,
                        request,
                        response,
                        rest,
                        ..
                    },
                ] = out.as_slice()
                else {
                    panic!("cut {cut}/{cut2}: {out:?}");
                };
                assert_eq!((*client, request.path.as_str()), (B, "/chat"));
                assert_eq!(request.host.as_deref(), Some("server.example.com"));
                assert_eq!(response.protocol.as_deref(), Some("chat"));
                assert_eq!(
                    response.accept.as_deref().map(str::to_owned),
                    request.key.as_deref().map(accept_for)
                );
                // What followed the head within the piece that completed it; later pieces go
                // straight to the frame decoder.
                let head_end = RESPONSE.len() - 7;
                let piece_end = if cut2 > head_end {
                    cut2
                } else {
                    RESPONSE.len()
                };
                assert_eq!(rest[A], &RESPONSE[head_end..piece_end]);
                assert!(rest[B].is_empty());
            }
        }
    }

    #[test]
    fn rejected_then_upgraded_on_the_same_connection() {
        let reject = b"HTTP/1.1 426 Upgrade Required\r\nContent-Length: 5\r\n\r\nnope!";
        let out = run(&[(A, REQUEST), (B, reject), (A, REQUEST), (B, RESPONSE)]);
        assert!(
            matches!(&out[0], Output::Rejected { response, .. } if response.status == 426 && response.reason == "Upgrade Required")
        );
        assert!(matches!(&out[1], Output::Upgraded { .. }));
    }

    #[test]
    fn keep_alive_requests_with_bodies_before_the_upgrade() {
        let get = b"POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc";
        let ok = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let out = run(&[(A, get), (B, ok), (A, REQUEST), (B, RESPONSE)]);
        assert!(
            matches!(out.as_slice(), [Output::Plain { request, response, .. }, Output::Upgraded { .. }]
                if request.method == "POST" && request.path == "/x" && response.status == 200),
            "{out:?}"
        );
    }

    #[test]
    fn other_protocols_are_not_http() {
        let not_http = |dir| Output::GaveUp {
            dir,
            offset: 0,
            why: GiveUp::NotHttp,
        };
        assert_eq!(run(&[(A, b"SSH-2.0-OpenSSH\r\n")]), vec![not_http(A)]);
        assert_eq!(run(&[(B, b"\x16\x03\x01\x02\x00")]), vec![not_http(B)]);
    }

    #[test]
    fn a_broken_head_is_given_up_saying_why_and_where() {
        // A keep-alive request answered, then a second request whose head breaks the syntax
        // (a header name with a space, RFC 9112 section 5.1).
        let get = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        let ok = b"HTTP/1.1 204 No Content\r\n\r\n";
        let bad = b"GET /b HTTP/1.1\r\nBad Header: 1\r\n\r\n";
        let out = run(&[(A, get), (B, ok), (A, bad)]);
        assert!(matches!(out[0], Output::Plain { .. }), "{out:?}");
        assert_eq!(
            out[1],
            Output::GaveUp {
                dir: A,
                offset: get.len() as u64,
                why: GiveUp::Malformed {
                    head: "request",
                    reason: "invalid header name".into()
                }
            }
        );
        let unasked = run(&[(A, get), (B, ok), (B, ok)]);
        assert_eq!(
            unasked[1],
            Output::GaveUp {
                dir: B,
                offset: ok.len() as u64,
                why: GiveUp::Unrequested
            }
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(
            pieces in proptest::collection::vec((0usize..2, proptest::collection::vec(proptest::num::u8::ANY, 0..64)), 0..8)
        ) {
            let mut c = Conversation::default();
            let mut out = Vec::new();
            c.feed(A, b"GET / HTTP/1.1\r\n", &mut out);
            for (dir, bytes) in &pieces {
                c.feed(Dir::BOTH[*dir], bytes, &mut out);
            }
        }
    }
}
