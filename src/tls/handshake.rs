//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): joined across records, and read for what
//! decryption and the user need: the randoms, the version and cipher suite chosen, the server
//! name, ALPN, resumption, encrypt-then-MAC, key updates. Certificates and the like are
//! skipped unread.

/// Handshake message types (RFC 8446 §4, RFC 5246 §7.4).
pub(crate) mod kind {
    pub(crate) const HELLO_REQUEST: u8 = 0;
    pub(crate) const CLIENT_HELLO: u8 = 1;
    pub(crate) const SERVER_HELLO: u8 = 2;
    pub(crate) const END_OF_EARLY_DATA: u8 = 5;
    pub(crate) const ENCRYPTED_EXTENSIONS: u8 = 8;
    pub(crate) const FINISHED: u8 = 20;
    pub(crate) const KEY_UPDATE: u8 = 24;
}

/// Extension numbers (IANA "TLS ExtensionType Values").
mod ext {
    pub(super) const SERVER_NAME: u16 = 0;
    pub(super) const ALPN: u16 = 16;
    pub(super) const ENCRYPT_THEN_MAC: u16 = 22;
    pub(super) const SESSION_TICKET: u16 = 35;
    pub(super) const PRE_SHARED_KEY: u16 = 41;
    pub(super) const EARLY_DATA: u16 = 42;
    pub(super) const SUPPORTED_VERSIONS: u16 = 43;
}

/// The ServerHello random that marks a HelloRetryRequest: SHA-256 of "HelloRetryRequest"
/// (RFC 8446 §4.1.3).
const RETRY_RANDOM: [u8; 32] = [
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
];

/// The largest handshake message kept to be read: certificate chains of real servers reach
/// tens of kilobytes; longer messages are passed over without being held.
const MAX_KEPT: usize = 256 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ClientHello {
    pub(crate) random: [u8; 32],
    pub(crate) session_id: Vec<u8>,
    pub(crate) sni: Option<String>,
    /// ALPN protocols offered, in the client's order.
    pub(crate) alpn: Vec<String>,
    /// The `supported_versions` offered (empty when the extension is absent).
    pub(crate) versions: Vec<u16>,
    /// A TLS 1.3 pre-shared key (a resumption ticket) is offered.
    pub(crate) psk: bool,
    /// 0-RTT data follows the ClientHello.
    pub(crate) early_data: bool,
    /// A TLS 1.2 session ticket is offered (the extension is not empty).
    pub(crate) ticket: bool,
    pub(crate) encrypt_then_mac: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ServerHello {
    pub(crate) random: [u8; 32],
    pub(crate) session_id: Vec<u8>,
    pub(crate) legacy_version: u16,
    pub(crate) suite: u16,
    /// `supported_versions` as chosen: 0x0304 for TLS 1.3.
    pub(crate) selected_version: Option<u16>,
    /// The server accepted a pre-shared key: a resumed TLS 1.3 session.
    pub(crate) psk: bool,
    /// ALPN as chosen, when the ServerHello carries it (TLS 1.2; TLS 1.3 puts it in
    /// EncryptedExtensions).
    pub(crate) alpn: Option<String>,
    pub(crate) encrypt_then_mac: bool,
    /// This is a HelloRetryRequest: the client sends a second ClientHello.
    pub(crate) retry: bool,
}

impl ServerHello {
    /// The version the connection speaks.
    pub(crate) fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// A handshake message, read as far as it matters here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Message {
    ClientHello(ClientHello),
    ServerHello(ServerHello),
    EncryptedExtensions {
        alpn: Option<String>,
    },
    KeyUpdate,
    /// Any other message, by type; `len` its body length.
    Other {
        kind: u8,
        len: usize,
    },
    /// A message whose body does not read as its type says: `what` names the type.
    Malformed {
        kind: u8,
        what: &'static str,
    },
}

/// Joins one direction's handshake bytes (from records of content type handshake) into
/// messages: one record may hold several, one message may span several records.
#[derive(Default)]
pub(crate) struct Joiner {
    held: Vec<u8>,
    /// Body bytes still to pass over of a message too long to keep.
    skipping: usize,
}

impl Joiner {
    pub(crate) fn buffered(&self) -> usize {
        self.held.len()
    }

    /// The bytes held belong to a message that will not be completed (a gap, a failed record).
    pub(crate) fn reset(&mut self) {
        self.held.clear();
        self.skipping = 0;
    }

    /// Calls `each` for every message `bytes` completes.
    pub(crate) fn feed(&mut self, mut bytes: &[u8], mut each: impl FnMut(Message)) {
        loop {
            if self.skipping > 0 {
                let n = self.skipping.min(bytes.len());
                self.skipping -= n;
                bytes = &bytes[n..];
                if self.skipping > 0 {
                    return;
                }
            }
            if self.held.is_empty() {
                // The common case: whole messages in the record, read in place.
                while bytes.len() >= 4 {
                    let len = u24(&bytes[1..4]);
                    let Some(msg) = bytes.get(..4 + len) else {
                        break;
                    };
                    each(read(msg[0], &msg[4..]));
                    bytes = &bytes[4 + len..];
                }
            }
            if bytes.is_empty() {
                return;
            }
            let need_header = 4usize.saturating_sub(self.held.len());
            let take = need_header.min(bytes.len());
            self.held.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.held.len() < 4 {
                return;
            }
            let len = u24(&self.held[1..4]);
            if len > MAX_KEPT {
                // Passed over, its type still told.
                each(Message::Other {
                    kind: self.held[0],
                    len,
                });
                self.held.clear();
                self.skipping = len;
                continue;
            }
            let take = (4 + len - self.held.len()).min(bytes.len());
            self.held.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.held.len() < 4 + len {
                return;
            }
            each(read(self.held[0], &self.held[4..]));
            self.held.clear();
        }
    }
}

fn u24(b: &[u8]) -> usize {
    (usize::from(b[0]) << 16) | (usize::from(b[1]) << 8) | usize::from(b[2])
}

fn read(kind: u8, body: &[u8]) -> Message {
    let parsed = match kind {
        kind::CLIENT_HELLO => client_hello(body).map(Message::ClientHello),
        kind::SERVER_HELLO => server_hello(body).map(Message::ServerHello),
        kind::ENCRYPTED_EXTENSIONS => encrypted_extensions(body),
        kind::KEY_UPDATE => (body.len() == 1).then_some(Message::KeyUpdate),
        _ => {
            return Message::Other {
                kind,
                len: body.len(),
            };
        }
    };
    parsed.unwrap_or(Message::Malformed {
        kind,
        what: match kind {
            kind::CLIENT_HELLO => "ClientHello",
            kind::SERVER_HELLO => "ServerHello",
            kind::ENCRYPTED_EXTENSIONS => "EncryptedExtensions",
            _ => "KeyUpdate",
        },
    })
}

/// A checked reader over a message body: every read says `None` past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
    fn random(&mut self) -> Option<[u8; 32]> {
        let mut r = [0u8; 32];
        r.copy_from_slice(self.take(32)?);
        Some(r)
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Each (type, body) of an extensions block; `None` if the block is cut.
    fn extensions(&mut self) -> Option<Vec<(u16, &'a [u8])>> {
        if self.is_empty() {
            // Extensions are optional before TLS 1.3.
            return Some(Vec::new());
        }
        let mut block = Reader(self.vec16()?);
        let mut out = Vec::new();
        while !block.is_empty() {
            let t = block.u16()?;
            out.push((t, block.vec16()?));
        }
        Some(out)
    }
}

/// A name shown to the user: what is not printable becomes `?` (hostile bytes never reach the
/// terminal raw; they are escaped again where shown, this keeps the stored value readable).
fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn alpn_list(body: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader(body);
    let mut list = Reader(r.vec16()?);
    let mut out = Vec::new();
    while !list.is_empty() {
        out.push(text(list.vec8()?));
    }
    Some(out)
}

fn client_hello(body: &[u8]) -> Option<ClientHello> {
    let mut r = Reader(body);
    r.u16()?; // legacy_version
    let mut hello = ClientHello {
        random: r.random()?,
        session_id: r.vec8()?.to_vec(),
        ..ClientHello::default()
    };
    r.vec16()?; // cipher_suites
    r.vec8()?; // legacy_compression_methods
    for (t, body) in r.extensions()? {
        match t {
            ext::SERVER_NAME => {
                let mut list = Reader(Reader(body).vec16()?);
                while !list.is_empty() {
                    let name_type = list.u8()?;
                    let name = list.vec16()?;
                    if name_type == 0 && hello.sni.is_none() {
                        hello.sni = Some(text(name));
                    }
                }
            }
            ext::ALPN => hello.alpn = alpn_list(body)?,
            ext::SUPPORTED_VERSIONS => {
                let mut list = Reader(Reader(body).vec8()?);
                while !list.is_empty() {
                    hello.versions.push(list.u16()?);
                }
            }
            ext::PRE_SHARED_KEY => hello.psk = true,
            ext::EARLY_DATA => hello.early_data = true,
            ext::SESSION_TICKET => hello.ticket = !body.is_empty(),
            ext::ENCRYPT_THEN_MAC => hello.encrypt_then_mac = true,
            _ => {}
        }
    }
    Some(hello)
}

fn server_hello(body: &[u8]) -> Option<ServerHello> {
    let mut r = Reader(body);
    let mut hello = ServerHello {
        legacy_version: r.u16()?,
        random: r.random()?,
        ..ServerHello::default()
    };
    hello.retry = hello.random == RETRY_RANDOM;
    hello.session_id = r.vec8()?.to_vec();
    hello.suite = r.u16()?;
    r.u8()?; // legacy_compression_method
    for (t, body) in r.extensions()? {
        match t {
            ext::SUPPORTED_VERSIONS => hello.selected_version = Some(Reader(body).u16()?),
            ext::PRE_SHARED_KEY => hello.psk = true,
            ext::ALPN => hello.alpn = alpn_list(body)?.into_iter().next(),
            ext::ENCRYPT_THEN_MAC => hello.encrypt_then_mac = true,
            _ => {}
        }
    }
    Some(hello)
}

fn encrypted_extensions(body: &[u8]) -> Option<Message> {
    let mut r = Reader(body);
    let mut alpn = None;
    for (t, body) in r.extensions()? {
        if t == ext::ALPN {
            alpn = alpn_list(body)?.into_iter().next();
        }
    }
    Some(Message::EncryptedExtensions { alpn })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// RFC 8448 §3, the ClientHello of the simple 1-RTT handshake ("client_hello" of
    /// "{client} construct a ClientHello handshake message"), as printed in the RFC.
    const RFC8448_CLIENT_HELLO: &str = "010000c00303cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7000006130113031302010000910000000b0009000006736572766572ff01000100000a00140012001d0017001800190100010101020103010400230000003300260024001d002099381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c002b0003020304000d0020001e040305030603020308040805080604010501060102010402050206020202002d00020101001c00024001";
    /// RFC 8448 §3, the ServerHello.
    const RFC8448_SERVER_HELLO: &str = "020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304";
    /// RFC 8448 §3, EncryptedExtensions.
    const RFC8448_ENCRYPTED_EXTENSIONS: &str =
        "080000240022000a00140012001d00170018001901000101010201030104001c0002400100000000";

    fn messages(chunks: &[&[u8]]) -> Vec<Message> {
        let mut j = Joiner::default();
        let mut out = Vec::new();
        for c in chunks {
            j.feed(c, |m| out.push(m));
        }
        out
    }

    #[test]
    fn rfc8448_hellos_read_as_the_trace_says() {
        let ch = hex::decode(RFC8448_CLIENT_HELLO).unwrap();
        let sh = hex::decode(RFC8448_SERVER_HELLO).unwrap();
        let ee = hex::decode(RFC8448_ENCRYPTED_EXTENSIONS).unwrap();
        let got = messages(&[&ch, &sh, &ee]);
        let Message::ClientHello(c) = &got[0] else {
            panic!("{got:?}")
        };
        assert_eq!(
            hex::encode(c.random),
            "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7"
        );
        assert_eq!(c.sni.as_deref(), Some("server"));
        assert_eq!(c.versions, vec![0x0304]);
        assert!(!c.psk && !c.early_data);
        let Message::ServerHello(s) = &got[1] else {
            panic!("{got:?}")
        };
        assert_eq!(s.suite, 0x1301);
        assert_eq!(s.version(), 0x0304);
        assert_eq!(s.legacy_version, 0x0303);
        assert!(!s.retry && !s.psk);
        assert_eq!(got[2], Message::EncryptedExtensions { alpn: None });
    }

    #[test]
    fn messages_are_joined_however_the_records_cut_them() {
        let all = [
            hex::decode(RFC8448_CLIENT_HELLO).unwrap(),
            hex::decode(RFC8448_SERVER_HELLO).unwrap(),
        ]
        .concat();
        let whole = messages(&[&all]);
        assert_eq!(whole.len(), 2);
        for cut in 0..all.len() {
            let (a, b) = all.split_at(cut);
            assert_eq!(messages(&[a, b]), whole, "cut at {cut}");
        }
    }

    #[test]
    fn a_message_too_long_to_keep_is_passed_over() {
        let len = MAX_KEPT + 10;
        let mut big = vec![11, (len >> 16) as u8, (len >> 8) as u8, len as u8];
        big.resize(4 + len, 0);
        big.extend_from_slice(&[24, 0, 0, 1, 0]);
        let got = messages(&[&big[..1000], &big[1000..]]);
        assert_eq!(
            got,
            vec![Message::Other { kind: 11, len }, Message::KeyUpdate]
        );
    }

    #[test]
    fn cut_bodies_are_malformed_not_a_panic() {
        let ch = hex::decode(RFC8448_CLIENT_HELLO).unwrap();
        for n in 4..ch.len() {
            let mut m = ch[..n].to_vec();
            let len = n - 4;
            m[1..4].copy_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8]);
            let got = messages(&[&m]);
            assert_eq!(got.len(), 1);
        }
    }
}
