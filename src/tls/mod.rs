//! TLS below HTTP: the records of a connection that began with a ClientHello, decrypted with
//! the secrets of an NSS key log, so that wss reads as ws does.
//!
//! In: the in-order bytes of each direction of one TCP connection, and the key log.
//! Out (`session::Output`): the application data of each direction, decrypted, in order,
//! with the record it came in; alerts; holes where a record could not be read; what is wrong
//! with the TLS stream, where; and, once per connection, why it cannot be read at all.
//! Never: hands up a byte that did not pass its record's tag or MAC check, holds more than
//! `session::MAX_HELD` bytes of records awaiting keys per connection, or shows a secret.
//!
//! `record` cuts records, `handshake` reads the messages that matter, `keylog` reads key logs,
//! `suite`, `keys` and `cipher` are the cryptography (the primitives come from RustCrypto's
//! crates; the key schedule and PRF are written after RFC 8446 §7 and RFC 5246 §5), and
//! `session` follows one connection through them.

pub(crate) mod cipher;
pub(crate) mod handshake;
pub mod keylog;
pub(crate) mod keys;
pub(crate) mod record;
pub(crate) mod session;
pub(crate) mod suite;

use std::fmt;

pub use keylog::KeyLog;

/// What is known of a TLS connection: what the hellos said and whether it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// The version spoken (0x0303 for TLS 1.2, 0x0304 for 1.3), once the ServerHello is read.
    pub version: Option<u16>,
    /// The cipher suite's number.
    pub suite: Option<u16>,
    /// The server name the client asked for.
    pub sni: Option<String>,
    pub alpn_offered: Vec<String>,
    /// The ALPN protocol the server chose.
    pub alpn: Option<String>,
    /// An earlier session was resumed (a TLS 1.3 PSK, a TLS 1.2 session id or ticket).
    pub resumed: bool,
    /// TLS 1.2 CBC: encrypt-then-MAC (RFC 7366) was agreed.
    pub encrypt_then_mac: bool,
    /// At least one protected record was opened with the key log's secrets.
    pub decrypted: bool,
}

impl Summary {
    /// "1.3", "1.2" …, or the number when it is no TLS version.
    pub fn version_name(&self) -> Option<String> {
        self.version.map(version_name)
    }

    /// The cipher suite's IANA name, or its number in hex when the name is not known.
    pub fn cipher_name(&self) -> Option<String> {
        self.suite.map(|code| match suite::name(code) {
            Some(name) => name.to_owned(),
            None => format!("0x{code:04x}"),
        })
    }
}

pub(crate) fn version_name(v: u16) -> String {
    match v {
        0x0300 => "SSL 3.0".to_owned(),
        0x0301 => "1.0".to_owned(),
        0x0302 => "1.1".to_owned(),
        0x0303 => "1.2".to_owned(),
        0x0304 => "1.3".to_owned(),
        v => format!("0x{v:04x}"),
    }
}

/// An alert record (RFC 8446 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert {
    pub level: u8,
    pub description: u8,
}

impl Alert {
    pub fn level_name(self) -> &'static str {
        match self.level {
            1 => "warning",
            2 => "fatal",
            _ => "unknown",
        }
    }

    /// The description's name in RFC 8446 §6 (and RFC 5246 §7.2 for those TLS 1.3 dropped).
    pub fn description_name(self) -> &'static str {
        match self.description {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            21 => "decryption_failed",
            22 => "record_overflow",
            30 => "decompression_failure",
            40 => "handshake_failure",
            41 => "no_certificate",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            60 => "export_restriction",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            100 => "no_renegotiation",
            109 => "missing_extension",
            110 => "unsupported_extension",
            111 => "certificate_unobtainable",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            114 => "bad_certificate_hash_value",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => "unknown",
        }
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.level_name(), self.description_name())?;
        if self.description_name() == "unknown" {
            write!(f, " ({})", self.description)?;
        }
        Ok(())
    }
}

/// Something wrong or notable in a TLS stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Bytes of the direction are missing: records cannot be cut from it again.
    Gap {
        len: u64,
    },
    RecordTooLong {
        len: usize,
        limit: usize,
    },
    /// A record header whose type or version is not TLS's: the direction is not read further.
    NotTls {
        byte: u8,
    },
    /// A protected record did not pass its check (the first of the connection; the rest are
    /// counted).
    Failed {
        record: u64,
        why: cipher::OpenError,
    },
    /// Records awaiting keys passed the bound: later ones are not kept.
    NotHeld {
        limit: usize,
    },
    BadAlert {
        len: usize,
    },
    /// A new handshake on an established connection (TLS 1.2 renegotiation).
    Renegotiation,
    Malformed {
        what: &'static str,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Gap { len } => write!(
                f,
                "{len} bytes missing from the TLS stream: its records cannot be followed after them"
            ),
            Problem::RecordTooLong { len, limit } => write!(
                f,
                "a record of {len} bytes, longer than the {limit} bytes TLS allows"
            ),
            Problem::NotTls { byte } => write!(
                f,
                "a record header of type {byte} or an unknown version: not TLS, not read further"
            ),
            Problem::Failed { record, why } => write!(
                f,
                "record {record} of this direction (counted from 0) could not be decrypted: {why}"
            ),
            Problem::NotHeld { limit } => write!(
                f,
                "more than {} KiB of records arrived before their keys were in the key log: \
                 later records are not kept and will be missing",
                limit / 1024
            ),
            Problem::BadAlert { len } => {
                write!(f, "an alert record of {len} bytes (an alert is 2 bytes)")
            }
            Problem::Renegotiation => write!(
                f,
                "renegotiation: a new handshake on an established connection; its records are \
                 read only if the key log has the new handshake's secrets"
            ),
            Problem::Malformed { what } => write!(f, "malformed handshake message: {what}"),
        }
    }
}

/// Why a TLS connection's application data cannot be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undecryptable {
    /// No key log was given at all.
    NoKeyLog,
    /// The key log has no secrets for this connection's client random.
    NoKey,
    /// The client sent its ClientHello and nothing protected after the server's answer: it
    /// left before the handshake finished, so no keys were ever made.
    Abandoned,
    /// Every record failed its check: the secrets are not this connection's.
    WrongKey,
    Suite(u16),
    Version(u16),
}

impl fmt::Display for Undecryptable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Undecryptable::NoKeyLog => write!(f, "no key log given"),
            Undecryptable::NoKey => write!(f, "no key for this connection in the key log"),
            Undecryptable::Abandoned => write!(
                f,
                "the client left before the handshake finished, so no keys were made (browsers \
                 open spare connections and drop them)"
            ),
            Undecryptable::WrongKey => write!(
                f,
                "every record failed authentication: the key log's secrets for this connection \
                 do not match it"
            ),
            Undecryptable::Suite(code) => match suite::name(*code) {
                Some(name) => write!(f, "cipher suite {name} is not supported"),
                None => write!(f, "cipher suite 0x{code:04x} is not supported"),
            },
            Undecryptable::Version(v) => {
                write!(f, "TLS version {} is not supported", version_name(*v))
            }
        }
    }
}
