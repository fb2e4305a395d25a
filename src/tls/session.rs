//! One TLS connection followed from its ClientHello: records cut from each direction, the
//! handshake read, keys taken from the key log when the ServerHello says which are needed, and
//! every protected record opened, in order, with the key of its epoch.
//!
//! Epochs of a direction (RFC 8446 §7): TLS 1.3 goes early data (if offered) → handshake →
//! application traffic → each KeyUpdate's next secret; TLS 1.2 goes cleartext → the key block's
//! keys after that direction's ChangeCipherSpec. Which record starts the next epoch is read off
//! the handshake (Finished, EndOfEarlyData, KeyUpdate); where that message cannot be read (its
//! secret is not logged, or the server rejected 0-RTT), a record that fails the current key
//! is tried with the next one, as its tag decides.

use std::collections::VecDeque;

use super::cipher::{Decryptor, OpenError};
use super::handshake::{self, ClientHello, Joiner, Message, ServerHello};
use super::keylog::{KeyLog, Secrets};
use super::keys;
use super::record::{self, ContentType, Framer, Header, Record};
use super::suite::{self, Suite, Version};
use super::{Alert, Problem, Summary, Undecryptable};
use crate::vocab::Dir;

/// What a session hands up while it reads a direction's bytes.
pub(crate) enum Output<'a> {
    /// The handshake is over and application data begins, in the protocol ALPN chose (if
    /// any): said once, before the first [`Output::Data`], so that the layer above can be
    /// chosen (`h2`: HTTP/2).
    Protocol {
        alpn: Option<String>,
    },
    /// Application data, decrypted: the next bytes of the stream above TLS, and the record
    /// they were opened from.
    Data {
        dir: Dir,
        bytes: &'a [u8],
        record: Sealed<'a>,
    },
    /// About `len` bytes of application data that cannot be read (a record that failed its
    /// tag, or was not kept while keys were awaited): a hole in the stream above.
    Lost {
        dir: Dir,
        len: u64,
    },
    Alert {
        dir: Dir,
        alert: Alert,
    },
    /// Something wrong or notable in the TLS stream itself, where it was.
    Problem {
        dir: Dir,
        offset: u64,
        problem: Problem,
    },
    /// This connection's application data cannot be read, said once.
    Undecryptable(Undecryptable),
}

/// A record as it crossed the wire: what a user is shown of where plaintext came from.
#[derive(Clone, Copy)]
pub(crate) struct Sealed<'a> {
    /// Its number among the records of its direction, from 0: every record counts, the
    /// handshake's and ChangeCipherSpec too, as they follow one another on the wire.
    pub(crate) number: u64,
    pub(crate) header: &'a [u8; record::HEADER_LEN],
    /// The body as sent: for a protected record, ciphertext and tag.
    pub(crate) body: &'a [u8],
    /// Where its header starts in the direction's stream.
    pub(crate) offset: u64,
}

/// Records held for a connection whose keys are not in the key log yet, while it may still
/// gain them (a live capture following a growing key log): about as much as a page load.
pub(crate) const MAX_HELD: usize = 1 << 20;

/// Records a connection holds while waiting for its keys, and what it could not hold.
#[derive(Default)]
struct Waiting {
    held: VecDeque<Held>,
    bytes: usize,
    /// Records of each direction not held (past `MAX_HELD`): their count and body bytes.
    dropped: [(u64, u64); 2],
    told: bool,
}

/// A protected record kept until its keys are known.
struct Held {
    dir: Dir,
    number: u64,
    header: [u8; record::HEADER_LEN],
    body: Vec<u8>,
    offset: u64,
}

/// The keys of one epoch of a direction, or why there are none.
enum Epoch {
    /// Not protected yet.
    Clear,
    Keys(Decryptor),
    /// Protected, but the key is not known.
    NoKey,
}

struct Direction {
    framer: Framer,
    joiner: Joiner,
    epoch: Epoch,
    /// TLS 1.3: the secret of the current epoch, for the next KeyUpdate.
    secret: Option<Vec<u8>>,
    /// TLS 1.3: the secrets of the epochs still to come, in order (handshake, application).
    next: VecDeque<Vec<u8>>,
    /// After the record being read: move to the next epoch (Finished, EndOfEarlyData), or to
    /// the secret a KeyUpdate derives.
    advance: Option<Advance>,
    /// Records seen, the next one's number.
    records: u64,
    /// Protected records seen (opened or not).
    protected: u64,
    /// Application bytes handed up (their offset in the stream above).
    plain: u64,
    opened: u64,
    failed: u64,
    /// TLS 1.2: this direction sent ChangeCipherSpec; later records are protected.
    changed_cipher: bool,
    /// What this direction sends is not TLS records (any more): it is not read further.
    broken: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Advance {
    NextEpoch,
    KeyUpdate,
}

impl Direction {
    fn new() -> Direction {
        Direction {
            framer: Framer::default(),
            joiner: Joiner::default(),
            epoch: Epoch::Clear,
            secret: None,
            next: VecDeque::new(),
            advance: None,
            records: 0,
            protected: 0,
            plain: 0,
            opened: 0,
            failed: 0,
            changed_cipher: false,
            broken: false,
        }
    }
}

/// Where the connection's keys stand.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// The ServerHello has not been read yet.
    NotYet,
    /// Found and installed.
    Ready,
    /// Not in the key log; it may still gain them (live).
    Awaited,
    /// Not in the key log, and none will come, or the suite or version cannot be decrypted:
    /// said once, the records are counted and passed over.
    None,
}

pub(crate) struct Session {
    client: Dir,
    dirs: [Direction; 2],
    client_hello: Option<ClientHello>,
    server_hello: Option<ServerHello>,
    suite: Option<&'static Suite>,
    alpn: Option<String>,
    keys: Keys,
    /// TLS 1.2: the master secret, from the key log.
    master: Option<Vec<u8>>,
    /// The key log can still gain this connection's secrets (a live capture).
    may_gain_keys: bool,
    generation: u64,
    waiting: Waiting,
    /// Told the connection cannot be read, once.
    told: bool,
    /// No key for it: said once the client shows it went on with the handshake (a protected
    /// record), or at the end, when it may have left after its ClientHello instead.
    unsaid: Option<Undecryptable>,
    /// The initial handshake finished; a later ClientHello or HelloRequest renegotiates.
    established: bool,
    /// Plaintext of the record being read (its allocation reused).
    plain: Vec<u8>,
    /// [`Output::Protocol`] was said.
    protocol_told: bool,
}

impl Session {
    /// `client` sent the ClientHello that begins the connection.
    pub(crate) fn new(client: Dir, may_gain_keys: bool) -> Session {
        Session {
            client,
            dirs: [Direction::new(), Direction::new()],
            client_hello: None,
            server_hello: None,
            suite: None,
            alpn: None,
            keys: Keys::NotYet,
            master: None,
            may_gain_keys,
            generation: 0,
            waiting: Waiting::default(),
            told: false,
            unsaid: None,
            established: false,
            plain: Vec::new(),
            protocol_told: false,
        }
    }

    /// Bytes held: record and handshake message fragments, records awaiting keys.
    pub(crate) fn buffered(&self) -> usize {
        self.dirs
            .iter()
            .map(|d| d.framer.buffered() + d.joiner.buffered())
            .sum::<usize>()
            + self.waiting.bytes
    }

    /// Bytes held of `dir`'s record not complete yet.
    pub(crate) fn held(&self, dir: Dir) -> usize {
        self.dirs[dir].framer.buffered()
    }

    /// What is known of the connection so far.
    pub(crate) fn summary(&self) -> Summary {
        let ch = self.client_hello.as_ref();
        let sh = self.server_hello.as_ref();
        Summary {
            version: sh.map(ServerHello::version),
            suite: sh.map(|s| s.suite),
            sni: ch.and_then(|c| c.sni.clone()),
            alpn_offered: ch.map(|c| c.alpn.clone()).unwrap_or_default(),
            alpn: self.alpn.clone(),
            resumed: sh.is_some_and(|s| self.resumed(s)),
            encrypt_then_mac: sh.is_some_and(|s| s.encrypt_then_mac),
            decrypted: self.keys == Keys::Ready && self.dirs.iter().any(|d| d.opened > 0),
        }
    }

    fn resumed(&self, sh: &ServerHello) -> bool {
        if sh.version() >= 0x0304 {
            return sh.psk;
        }
        // TLS 1.2: the server echoes the session id the client offered (RFC 5246 §7.4.1.3),
        // also when the client offered a ticket with it (RFC 5077 §3.4).
        self.client_hello
            .as_ref()
            .is_some_and(|c| !c.session_id.is_empty() && c.session_id == sh.session_id)
    }

    /// The next bytes `dir` sent.
    pub(crate) fn feed(
        &mut self,
        dir: Dir,
        bytes: &[u8],
        log: &KeyLog,
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        self.generation_check(log, emit);
        if self.dirs[dir].broken {
            return;
        }
        let mut framer = std::mem::take(&mut self.dirs[dir].framer);
        let cut = framer.feed(bytes, |r| self.record(dir, r, log, emit));
        self.dirs[dir].framer = framer;
        if let Err(not) = cut {
            // Not TLS records (any more): this direction is not read further.
            self.dirs[dir].broken = true;
            emit(Output::Problem {
                dir,
                offset: not.offset,
                problem: Problem::NotTls { byte: not.byte },
            });
        }
    }

    /// `len` bytes `dir` sent are missing: records cannot be cut from that direction again
    /// (their lengths are lost with them), so it is not read further.
    pub(crate) fn gap(&mut self, dir: Dir, len: u64, emit: &mut dyn FnMut(Output<'_>)) {
        let d = &mut self.dirs[dir];
        let offset = d.framer.offset();
        d.framer.gap(len);
        d.joiner.reset();
        emit(Output::Problem {
            dir,
            offset,
            problem: Problem::Gap { len },
        });
        emit(Output::Lost { dir, len });
    }

    /// The key log gained secrets: a connection waiting for them reads what it held.
    pub(crate) fn keys_changed(&mut self, log: &KeyLog, emit: &mut dyn FnMut(Output<'_>)) {
        self.generation_check(log, emit);
    }

    /// The connection ended: held records whose keys never came are told.
    pub(crate) fn finish(&mut self, emit: &mut dyn FnMut(Output<'_>)) {
        if self.keys == Keys::Awaited {
            self.keys = Keys::None;
            self.waiting = Waiting::default();
            self.unsaid = Some(Undecryptable::NoKey);
        }
        if let Some(why) = self.unsaid.take() {
            let abandoned = self.dirs[self.client].protected == 0;
            self.tell(
                emit,
                if abandoned {
                    Undecryptable::Abandoned
                } else {
                    why
                },
            );
        }
        if !self.told
            && self.keys == Keys::Ready
            && self.dirs.iter().all(|d| d.opened == 0)
            && self.dirs.iter().any(|d| d.failed > 0)
        {
            self.tell(emit, Undecryptable::WrongKey);
        }
    }

    fn tell(&mut self, emit: &mut dyn FnMut(Output<'_>), why: Undecryptable) {
        if !self.told {
            self.told = true;
            emit(Output::Undecryptable(why));
        }
    }

    fn generation_check(&mut self, log: &KeyLog, emit: &mut dyn FnMut(Output<'_>)) {
        if self.keys != Keys::Awaited || log.generation() == self.generation {
            return;
        }
        self.generation = log.generation();
        if !self.install_keys(log) {
            return;
        }
        // The keys came: read what was held, then account for what was not.
        let held = std::mem::take(&mut self.waiting);
        for h in held.held {
            let sealed = Sealed {
                number: h.number,
                header: &h.header,
                body: &h.body,
                offset: h.offset,
            };
            self.protected(h.dir, sealed, log, emit);
        }
        for dir in Dir::BOTH {
            let (count, bytes) = held.dropped[dir];
            if count > 0 {
                if let Epoch::Keys(d) = &mut self.dirs[dir].epoch {
                    d.skip(count);
                }
                emit(Output::Lost { dir, len: bytes });
            }
        }
    }

    fn record(&mut self, dir: Dir, r: Record<'_>, log: &KeyLog, emit: &mut dyn FnMut(Output<'_>)) {
        let header = r.header();
        let number = self.dirs[dir].records;
        self.dirs[dir].records += 1;
        let limit = match self.suite.map(|s| s.version) {
            Some(Version::Tls13) => record::MAX_TLS13,
            _ => record::MAX_TLS12,
        };
        if header.len > limit {
            emit(Output::Problem {
                dir,
                offset: r.offset,
                problem: Problem::RecordTooLong {
                    len: header.len,
                    limit,
                },
            });
        }
        let protected = match &self.dirs[dir].epoch {
            Epoch::Clear => false,
            // TLS 1.3 sends ChangeCipherSpec in the clear for middleboxes' sake (RFC 8446
            // §5): it is not protected, whatever the epoch.
            _ => header.kind != ContentType::ChangeCipherSpec,
        };
        if protected {
            self.dirs[dir].protected += 1;
            if dir == self.client
                && let Some(why) = self.unsaid.take()
            {
                self.tell(emit, why);
            }
        }
        let sealed = Sealed {
            number,
            header: &r.header,
            body: r.body,
            offset: r.offset,
        };
        if !protected {
            self.clear_record(dir, header, sealed, log, emit);
        } else if self.keys == Keys::Awaited {
            self.hold(dir, number, r, emit);
        } else {
            self.protected(dir, sealed, log, emit);
        }
    }

    /// A protected record, opened with the key of its epoch.
    fn protected(
        &mut self,
        dir: Dir,
        sealed: Sealed<'_>,
        log: &KeyLog,
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        let Sealed {
            number,
            header,
            body,
            offset,
        } = sealed;
        let mut plain = std::mem::take(&mut self.plain);
        let opened = self.open(dir, header, body, &mut plain);
        match opened {
            Ok(kind) => {
                self.dirs[dir].opened += 1;
                self.content(dir, ContentType::from_u8(kind), &plain, sealed, log, emit);
            }
            Err(Failure::NoKey) => self.lost(dir, header, body, emit),
            Err(Failure::Open(e)) => {
                let first = self.dirs.iter().all(|d| d.failed == 0);
                self.dirs[dir].failed += 1;
                if first {
                    emit(Output::Problem {
                        dir,
                        offset,
                        problem: Problem::Failed {
                            record: number,
                            why: e,
                        },
                    });
                }
                if self.dirs.iter().all(|d| d.opened == 0) {
                    self.tell(emit, Undecryptable::WrongKey);
                }
                self.lost(dir, header, body, emit);
            }
        }
        // The epoch moves after the record that ends it, not inside it.
        if let Some(advance) = self.dirs[dir].advance.take() {
            self.advance(dir, advance);
        }
        self.plain = plain;
    }

    /// A protected record that cannot be read leaves a hole in the stream above, when the
    /// connection is being read at all and the record may have carried application data.
    fn lost(
        &mut self,
        dir: Dir,
        header: &[u8; record::HEADER_LEN],
        body: &[u8],
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        if self.keys == Keys::Ready && header[0] == 23 && self.dirs[dir].opened > 0 {
            emit(Output::Lost {
                dir,
                len: body.len() as u64,
            });
        }
    }

    /// Opens a protected record with its epoch's key; on failure, with the next epoch's (the
    /// message that moves to it may be unreadable, or 0-RTT data may have been refused).
    fn open(
        &mut self,
        dir: Dir,
        header: &[u8; record::HEADER_LEN],
        body: &[u8],
        plain: &mut Vec<u8>,
    ) -> Result<u8, Failure> {
        let d = &mut self.dirs[dir];
        let first = match &mut d.epoch {
            Epoch::Keys(k) => k.open(header, body, plain),
            Epoch::NoKey | Epoch::Clear => {
                if d.next.is_empty() {
                    return Err(Failure::NoKey);
                }
                Err(OpenError::Tag)
            }
        };
        let Err(err) = first else {
            return first.map_err(Failure::Open);
        };
        let Some(suite) = self.suite else {
            return Err(Failure::Open(err));
        };
        if suite.version != Version::Tls13 {
            return Err(Failure::Open(err));
        }
        for skip in 0..d.next.len().min(2) {
            let mut k = Decryptor::tls13(suite, &d.next[skip]);
            if let Ok(kind) = k.open(header, body, plain) {
                d.next.drain(..skip);
                d.secret = d.next.pop_front();
                d.epoch = Epoch::Keys(k);
                return Ok(kind);
            }
        }
        Err(Failure::Open(err))
    }

    fn advance(&mut self, dir: Dir, advance: Advance) {
        let Some(suite) = self.suite else { return };
        let d = &mut self.dirs[dir];
        match advance {
            Advance::NextEpoch => {
                d.secret = d.next.pop_front();
            }
            Advance::KeyUpdate => {
                d.secret = d.secret.as_ref().map(|s| keys::next_secret(suite.hash, s));
            }
        }
        d.epoch = match &d.secret {
            Some(s) => Epoch::Keys(Decryptor::tls13(suite, s)),
            None => Epoch::NoKey,
        };
    }

    fn hold(&mut self, dir: Dir, number: u64, r: Record<'_>, emit: &mut dyn FnMut(Output<'_>)) {
        let w = &mut self.waiting;
        let size = r.body.len() + record::HEADER_LEN;
        let past = w.bytes + size > MAX_HELD || w.dropped.iter().any(|d| d.0 > 0);
        if past {
            w.dropped[dir].0 += 1;
            w.dropped[dir].1 += r.body.len() as u64;
            if !w.told {
                w.told = true;
                emit(Output::Problem {
                    dir,
                    offset: r.offset,
                    problem: Problem::NotHeld { limit: MAX_HELD },
                });
            }
            return;
        }
        w.bytes += size;
        w.held.push_back(Held {
            dir,
            number,
            header: r.header,
            body: r.body.to_vec(),
            offset: r.offset,
        });
    }

    /// A record in the clear: the handshake before keys, alerts, ChangeCipherSpec.
    fn clear_record(
        &mut self,
        dir: Dir,
        header: Header,
        sealed: Sealed<'_>,
        log: &KeyLog,
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        match header.kind {
            ContentType::ChangeCipherSpec => {
                let tls12 = self.suite.is_some_and(|s| s.version == Version::Tls12)
                    || self
                        .server_hello
                        .as_ref()
                        .is_some_and(|s| s.version() < 0x0304);
                if tls12 {
                    self.change_cipher(dir);
                }
            }
            ContentType::ApplicationData => {
                // Never in the clear: 0-RTT data sent before the ServerHello (whose keys are
                // not set up yet), or a connection whose keys are unknown. Never shown as
                // plaintext.
            }
            kind => {
                self.content(dir, kind, sealed.body, sealed, log, emit);
            }
        }
    }

    /// TLS 1.2: `dir` protects its records from now on with the key block's keys.
    fn change_cipher(&mut self, dir: Dir) {
        let d = &mut self.dirs[dir];
        d.changed_cipher = true;
        d.epoch = Epoch::NoKey;
        if self.keys != Keys::Ready {
            return;
        }
        let (Some(suite), Some(ch), Some(sh), Some(master)) = (
            self.suite,
            self.client_hello.as_ref(),
            self.server_hello.as_ref(),
            self.master.as_deref(),
        ) else {
            return;
        };
        let block = keys::key_block(suite, master, &ch.random, &sh.random);
        let write = if dir == self.client {
            &block.client
        } else {
            &block.server
        };
        self.dirs[dir].epoch = Epoch::Keys(Decryptor::tls12(suite, write, sh.encrypt_then_mac));
    }

    /// A record's content, opened or in the clear: `bytes`, from `record`.
    fn content(
        &mut self,
        dir: Dir,
        kind: ContentType,
        bytes: &[u8],
        record: Sealed<'_>,
        log: &KeyLog,
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        let offset = record.offset;
        match kind {
            ContentType::ApplicationData => {
                if bytes.is_empty() {
                    return;
                }
                if !self.protocol_told {
                    self.protocol_told = true;
                    emit(Output::Protocol {
                        alpn: self.alpn.clone(),
                    });
                }
                self.dirs[dir].plain += bytes.len() as u64;
                emit(Output::Data { dir, bytes, record });
            }
            ContentType::Handshake => {
                let mut joiner = std::mem::take(&mut self.dirs[dir].joiner);
                joiner.feed(bytes, |m| self.message(dir, m, offset, log, emit));
                self.dirs[dir].joiner = joiner;
            }
            ContentType::Alert => match bytes {
                [level, description] => emit(Output::Alert {
                    dir,
                    alert: Alert {
                        level: *level,
                        description: *description,
                    },
                }),
                _ => emit(Output::Problem {
                    dir,
                    offset,
                    problem: Problem::BadAlert { len: bytes.len() },
                }),
            },
            ContentType::ChangeCipherSpec | ContentType::Heartbeat => {}
            ContentType::Other(byte) => emit(Output::Problem {
                dir,
                offset,
                problem: Problem::NotTls { byte },
            }),
        }
    }

    fn message(
        &mut self,
        dir: Dir,
        m: Message,
        offset: u64,
        log: &KeyLog,
        emit: &mut dyn FnMut(Output<'_>),
    ) {
        match m {
            Message::ClientHello(hello) if dir == self.client => {
                if self.established {
                    emit(Output::Problem {
                        dir,
                        offset,
                        problem: Problem::Renegotiation,
                    });
                    // The renegotiated handshake's keys are logged under its own random. Each
                    // side goes on with the old keys until its own next ChangeCipherSpec.
                    self.keys = Keys::NotYet;
                    for d in &mut self.dirs {
                        d.changed_cipher = false;
                    }
                }
                self.client_hello = Some(hello);
            }
            Message::ServerHello(hello) if dir != self.client => {
                if hello.retry {
                    // The client sends a second ClientHello; the real ServerHello follows.
                    return;
                }
                self.server_hello = Some(hello);
                self.server_hello_read(log, emit);
            }
            Message::EncryptedExtensions { alpn } => {
                if alpn.is_some() {
                    self.alpn = alpn;
                }
            }
            Message::KeyUpdate => self.dirs[dir].advance = Some(Advance::KeyUpdate),
            Message::Other { kind, .. } => match kind {
                handshake::kind::FINISHED => {
                    if self.suite.is_some_and(|s| s.version == Version::Tls13) {
                        self.dirs[dir].advance = Some(Advance::NextEpoch);
                    }
                    if dir == self.client {
                        self.established = true;
                    }
                }
                handshake::kind::END_OF_EARLY_DATA => {
                    self.dirs[dir].advance = Some(Advance::NextEpoch);
                }
                handshake::kind::HELLO_REQUEST if dir != self.client => {
                    emit(Output::Problem {
                        dir,
                        offset,
                        problem: Problem::Renegotiation,
                    });
                }
                _ => {}
            },
            Message::Malformed { what, .. } => emit(Output::Problem {
                dir,
                offset,
                problem: Problem::Malformed { what },
            }),
            Message::ClientHello(_) | Message::ServerHello(_) => emit(Output::Problem {
                dir,
                offset,
                problem: Problem::Malformed {
                    what: "hello from the wrong side",
                },
            }),
        }
    }

    /// The ServerHello says the version and suite: find the keys.
    fn server_hello_read(&mut self, log: &KeyLog, emit: &mut dyn FnMut(Output<'_>)) {
        let Some(sh) = &self.server_hello else { return };
        if sh.alpn.is_some() {
            self.alpn = sh.alpn.clone();
        }
        let version = sh.version();
        let code = sh.suite;
        let suite = suite::supported(code);
        if !(0x0303..=0x0304).contains(&version) {
            self.keys = Keys::None;
            self.tell(emit, Undecryptable::Version(version));
            return;
        }
        let Some(suite) = suite.filter(|s| (s.version == Version::Tls13) == (version == 0x0304))
        else {
            self.keys = Keys::None;
            self.tell(emit, Undecryptable::Suite(code));
            return;
        };
        self.suite = Some(suite);
        if version == 0x0304 {
            // From the ServerHello on, the server protects its records; the client does after
            // its own (RFC 8446 §2). Early data is already protected.
            let server = self.client.reverse();
            self.dirs[server].epoch = Epoch::NoKey;
            self.dirs[self.client].epoch = Epoch::NoKey;
        }
        self.generation = log.generation();
        if self.install_keys(log) {
            return;
        }
        if self.may_gain_keys {
            self.keys = Keys::Awaited;
        } else {
            self.keys = Keys::None;
            if log.is_empty() && !log.follows_files() {
                self.tell(emit, Undecryptable::NoKeyLog);
            } else {
                self.unsaid = Some(Undecryptable::NoKey);
            }
        }
    }

    /// Takes the connection's secrets from the key log; false if they are not there.
    fn install_keys(&mut self, log: &KeyLog) -> bool {
        let (Some(suite), Some(ch)) = (self.suite, &self.client_hello) else {
            return false;
        };
        let Some(s) = log.get(&ch.random) else {
            return false;
        };
        match suite.version {
            Version::Tls12 => {
                let Some(master) = &s.master else {
                    return false;
                };
                self.master = Some(master.clone());
                self.keys = Keys::Ready;
                // A ChangeCipherSpec read while the keys were awaited.
                for dir in Dir::BOTH {
                    if self.dirs[dir].changed_cipher {
                        self.change_cipher(dir);
                    }
                }
                true
            }
            Version::Tls13 => {
                if s.server_handshake.is_none() && s.server_traffic.is_none() {
                    return false;
                }
                let early = ch.early_data.then(|| s.client_early.clone()).flatten();
                self.install_tls13(suite, s, early);
                self.keys = Keys::Ready;
                true
            }
        }
    }

    fn install_tls13(&mut self, suite: &'static Suite, s: &Secrets, early: Option<Vec<u8>>) {
        let client = self.client;
        let server = client.reverse();
        let epochs = |d: &mut Direction, now: Option<Vec<u8>>, later: [&Option<Vec<u8>>; 2]| {
            d.next = later.into_iter().flatten().cloned().collect();
            d.secret = now;
            d.epoch = match &d.secret {
                Some(k) => Epoch::Keys(Decryptor::tls13(suite, k)),
                None => Epoch::NoKey,
            };
        };
        epochs(
            &mut self.dirs[server],
            s.server_handshake.clone(),
            [&s.server_traffic, &None],
        );
        match early {
            Some(e) => epochs(
                &mut self.dirs[client],
                Some(e),
                [&s.client_handshake, &s.client_traffic],
            ),
            None => epochs(
                &mut self.dirs[client],
                s.client_handshake.clone(),
                [&s.client_traffic, &None],
            ),
        }
    }
}

enum Failure {
    NoKey,
    Open(OpenError),
}

#[cfg(test)]
mod tests {
    //! One whole TLS 1.3 connection through a session: RFC 8448 §3's "Simple 1-RTT Handshake",
    //! its records as the RFC prints them, its secrets as a key log would hold them.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::tls::cipher::tests::{
        RFC8448_C_ALERT_RECORD, RFC8448_C_APP_RECORD, RFC8448_C_FIN_RECORD, RFC8448_S_ALERT_RECORD,
        RFC8448_S_APP_RECORD, RFC8448_S_HS_RECORD, RFC8448_S_NST_RECORD,
    };
    use crate::tls::keys::tests::{RFC8448_C_AP, RFC8448_C_HS, RFC8448_S_AP, RFC8448_S_HS, h};

    const CLIENT: Dir = Dir::AtoB;
    const SERVER: Dir = Dir::BtoA;
    /// RFC 8448 §3: the ClientHello and ServerHello handshake messages.
    const CLIENT_HELLO: &str = "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001";
    const SERVER_HELLO: &str = "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
    const RANDOM: &str = "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7";

    fn key_log() -> KeyLog {
        let line =
            |label: &str, secret: &str| format!("{label} {RANDOM} {}\n", hex::encode(h(secret)));
        let mut log = KeyLog::new();
        let text = [
            line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", RFC8448_C_HS),
            line("SERVER_HANDSHAKE_TRAFFIC_SECRET", RFC8448_S_HS),
            line("CLIENT_TRAFFIC_SECRET_0", RFC8448_C_AP),
            line("SERVER_TRAFFIC_SECRET_0", RFC8448_S_AP),
        ]
        .concat();
        log.add_text(text.as_bytes());
        log
    }

    fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind];
        r.extend_from_slice(&version.to_be_bytes());
        r.extend_from_slice(&(body.len() as u16).to_be_bytes());
        r.extend_from_slice(body);
        r
    }

    /// What a session hands up, in a form a test compares.
    #[derive(Debug, PartialEq, Eq)]
    enum Seen {
        Protocol(Option<String>),
        Data(Dir, Vec<u8>),
        Lost(Dir, u64),
        Alert(Dir, Alert),
        Problem(Dir, Problem),
        Undecryptable(Undecryptable),
    }

    fn run(session: &mut Session, log: &KeyLog, chunks: &[(Dir, Vec<u8>)]) -> Vec<Seen> {
        let mut seen = Vec::new();
        for (dir, bytes) in chunks {
            session.feed(*dir, bytes, log, &mut |o| {
                seen.push(match o {
                    Output::Protocol { alpn } => Seen::Protocol(alpn),
                    Output::Data { dir, bytes, .. } => Seen::Data(dir, bytes.to_vec()),
                    Output::Lost { dir, len } => Seen::Lost(dir, len),
                    Output::Alert { dir, alert } => Seen::Alert(dir, alert),
                    Output::Problem { dir, problem, .. } => Seen::Problem(dir, problem),
                    Output::Undecryptable(why) => Seen::Undecryptable(why),
                })
            });
        }
        seen
    }

    /// The RFC's conversation, each direction's records in the order the RFC sends them.
    fn conversation() -> Vec<(Dir, Vec<u8>)> {
        vec![
            (CLIENT, record(22, 0x0301, &h(CLIENT_HELLO))),
            (SERVER, record(22, 0x0303, &h(SERVER_HELLO))),
            (SERVER, h(RFC8448_S_HS_RECORD)),
            (CLIENT, h(RFC8448_C_FIN_RECORD)),
            (SERVER, h(RFC8448_S_NST_RECORD)),
            (CLIENT, h(RFC8448_C_APP_RECORD)),
            (SERVER, h(RFC8448_S_APP_RECORD)),
            (CLIENT, h(RFC8448_C_ALERT_RECORD)),
            (SERVER, h(RFC8448_S_ALERT_RECORD)),
        ]
    }

    #[test]
    fn rfc8448_connection_is_read_from_hello_to_close() {
        let mut s = Session::new(CLIENT, false);
        let seen = run(&mut s, &key_log(), &conversation());
        // RFC 8448 §3: each side sends the bytes 0 to 49 as application data, then close_notify.
        let counting: Vec<u8> = (0..50).collect();
        let close = Alert {
            level: 1,
            description: 0,
        };
        assert_eq!(
            seen,
            [
                Seen::Protocol(None),
                Seen::Data(CLIENT, counting.clone()),
                Seen::Data(SERVER, counting),
                Seen::Alert(CLIENT, close),
                Seen::Alert(SERVER, close),
            ]
        );
        let summary = s.summary();
        assert_eq!(summary.version, Some(0x0304));
        assert_eq!(summary.suite, Some(0x1301));
        assert_eq!(summary.sni.as_deref(), Some("server"));
        assert!(summary.decrypted && !summary.resumed);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn the_same_bytes_one_at_a_time_read_the_same() {
        let whole = run(
            &mut Session::new(CLIENT, false),
            &key_log(),
            &conversation(),
        );
        let bytewise: Vec<(Dir, Vec<u8>)> = conversation()
            .into_iter()
            .flat_map(|(dir, bytes)| bytes.into_iter().map(move |b| (dir, vec![b])))
            .collect();
        let mut s = Session::new(CLIENT, false);
        assert_eq!(run(&mut s, &key_log(), &bytewise), whole);
    }

    #[test]
    fn without_keys_nothing_is_shown_and_why_is_said_once() {
        let mut s = Session::new(CLIENT, false);
        let seen = run(&mut s, &KeyLog::new(), &conversation());
        assert_eq!(seen, [Seen::Undecryptable(Undecryptable::NoKeyLog)]);
        assert!(!s.summary().decrypted);
    }

    #[test]
    fn keys_that_arrive_later_open_the_records_held_for_them() {
        let mut s = Session::new(CLIENT, true);
        let empty = KeyLog::new();
        let seen = run(&mut s, &empty, &conversation());
        assert!(seen.is_empty(), "{seen:?}");
        assert!(s.buffered() > 0, "records are held");
        let mut later = Vec::new();
        let log = key_log();
        s.keys_changed(&log, &mut |o| {
            if let Output::Data { dir, bytes, .. } = o {
                later.push((dir, bytes.len()));
            }
        });
        assert_eq!(later, [(CLIENT, 50), (SERVER, 50)]);
        assert_eq!(s.buffered(), 0);
    }

    #[test]
    fn a_damaged_record_is_named_and_never_shown() {
        let mut chunks = conversation();
        // One bit of the server's application data record flipped.
        let last = chunks[6].1.len() - 1;
        chunks[6].1[last] ^= 1;
        let seen = run(&mut Session::new(CLIENT, false), &key_log(), &chunks);
        let server_data = seen
            .iter()
            .filter(|s| matches!(s, Seen::Data(SERVER, _)))
            .count();
        assert_eq!(server_data, 0);
        assert!(seen.contains(&Seen::Lost(SERVER, 67)), "{seen:?}");
        assert!(
            seen.iter()
                .any(|s| matches!(s, Seen::Problem(SERVER, Problem::Failed { record: 3, .. }))),
            "{seen:?}"
        );
        // The other records still open: the client's data and both alerts.
        assert!(seen.contains(&Seen::Data(CLIENT, (0..50).collect())));
    }

    #[test]
    fn a_record_longer_than_tls_allows_is_named() {
        let mut chunks = conversation();
        chunks.truncate(3);
        chunks.push((SERVER, record(23, 0x0303, &vec![0; (1 << 14) + 300])));
        let seen = run(&mut Session::new(CLIENT, false), &key_log(), &chunks);
        assert!(
            seen.contains(&Seen::Problem(
                SERVER,
                Problem::RecordTooLong {
                    len: (1 << 14) + 300,
                    limit: (1 << 14) + 256
                }
            )),
            "{seen:?}"
        );
    }

    #[test]
    fn bytes_that_are_not_records_stop_that_direction_once() {
        let mut chunks = conversation();
        chunks.truncate(3);
        chunks.push((SERVER, b"HTTP/1.1 200 OK\r\n\r\nand more and more".to_vec()));
        let seen = run(&mut Session::new(CLIENT, false), &key_log(), &chunks);
        let problems: Vec<&Seen> = seen
            .iter()
            .filter(|s| matches!(s, Seen::Problem(..)))
            .collect();
        assert_eq!(
            problems,
            [&Seen::Problem(SERVER, Problem::NotTls { byte: b'H' })]
        );
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_hold_little() {
        use proptest::prelude::*;
        proptest!(|(chunks in proptest::collection::vec((any::<bool>(), proptest::collection::vec(any::<u8>(), 0..300)), 0..30))| {
            let mut s = Session::new(CLIENT, true);
            let log = key_log();
            let mut start = conversation();
            start.truncate(2);
            run(&mut s, &log, &start);
            for (client, bytes) in chunks {
                let dir = if client { CLIENT } else { SERVER };
                s.feed(dir, &bytes, &log, &mut |_| {});
                prop_assert!(s.buffered() <= 2 * (record::HEADER_LEN + 65535) + MAX_HELD + 2 * 256 * 1024);
            }
            s.finish(&mut |_| {});
        });
    }
}
