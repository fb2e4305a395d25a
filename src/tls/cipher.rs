//! Record decryption: the protected records one side sends, opened in order.
//!
//! A [`Decryptor`] holds one writer's keys and counts its records: every record's nonce or MAC
//! takes the sequence number of the record, starting at 0 when the keys come into use.
//!
//! - TLS 1.3 (RFC 8446 §5.2, §5.3): AEAD with nonce = IV XOR the sequence number, the record
//!   header as additional data, and the real content type inside, after the content and before
//!   any zero padding.
//! - TLS 1.2 AES-GCM and AES-CCM (RFC 5246 §6.2.3.3, RFC 5288 §3, RFC 6655 §3): nonce = the
//!   4-byte implicit salt of the key block + the 8-byte explicit nonce that starts the record;
//!   additional data = seq_num + type + version + plaintext length.
//! - TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): no explicit nonce; nonce = the 12-byte IV XOR the
//!   sequence number; additional data as for GCM.
//! - TLS 1.2 AES-CBC with HMAC, MAC-then-encrypt (RFC 5246 §6.2.3.2): IV(16) +
//!   AES-CBC(content + MAC + padding + padding_length), MAC = HMAC(seq_num + type + version +
//!   length + content).
//! - TLS 1.2 AES-CBC with encrypt-then-MAC (RFC 7366 §3): IV + AES-CBC(content + padding +
//!   padding_length) + MAC, MAC = HMAC(seq_num + type + version + length of IV and ciphertext +
//!   IV + ciphertext), checked before anything is decrypted.
//!
//! Nothing here is a primitive: AES, GCM, CCM, ChaCha20-Poly1305, CBC and HMAC are the
//! RustCrypto crates'. What is here is how TLS lays out nonces, additional data, MACs and
//! padding. The cipher objects are built once per decryptor; opening a record allocates
//! nothing beyond growing the caller's output buffer.
//!
//! Hostile input: any header and body may be given; lengths are checked before anything is
//! sliced, and whatever does not open is an [`OpenError`]. As a passive decoder this does not
//! try to hide from an attacker which check failed or how long it took (padding-oracle
//! resistance protects a live endpoint, not a reader of a capture), but a CBC record that fails
//! its padding or its MAC reports the same [`OpenError::Mac`], so that messages do not differ.

use aes::{Aes128, Aes256};
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use cbc::cipher::{BlockModeDecrypt, InnerIvInit, SetIvState};
use ccm::Ccm;
use ccm::consts::{U8, U12, U16};
use chacha20poly1305::ChaCha20Poly1305;
use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha384};

use super::keys::{self, WriteKeys};
use super::suite::{Cipher, Hash, Suite, Version};

/// AES-128-CCM with a 16-byte tag and TLS's 12-byte nonce.
type Aes128Ccm = Ccm<Aes128, U16, U12>;
/// AES-128-CCM with an 8-byte tag.
type Aes128Ccm8 = Ccm<Aes128, U8, U12>;

/// The AES block, and the length of a CBC record's explicit IV.
const BLOCK: usize = 16;
/// The length of a TLS 1.2 GCM or CCM record's explicit nonce.
const EXPLICIT_NONCE: usize = 8;

/// Why a record did not open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OpenError {
    /// The AEAD tag did not verify: wrong key, or damaged bytes.
    #[error("the record does not authenticate (wrong key, or damaged bytes)")]
    Tag,
    /// CBC: the MAC did not verify, or the padding is malformed, or the ciphertext is not whole
    /// blocks. One error for all three, so that messages do not differ (see the module doc).
    #[error("the record's MAC or padding does not check (wrong key, or damaged bytes)")]
    Mac,
    /// The record is shorter than its nonce, IV, tag or MAC (and, for CBC, the one block they
    /// need at least).
    #[error("the record is {len} bytes, shorter than the {need} its protection takes")]
    TooShort { len: usize, need: usize },
    /// TLS 1.3: the plaintext is only padding, with no content type.
    #[error("the decrypted record has no content type (it is all zero padding)")]
    NoContentType,
    /// The keys do not fit the suite: write keys of the wrong lengths, or a CBC suite given to
    /// [`Decryptor::tls13`]. Every record of such a decryptor fails with this.
    #[error("the keys do not fit the cipher suite")]
    Keys,
}

/// Decrypts the records one direction sends, in order, counting their sequence numbers.
pub(crate) struct Decryptor {
    suite: &'static Suite,
    /// Which record layout to open: set by the constructor, not by the suite, so that a suite
    /// given to the wrong constructor fails as [`OpenError::Keys`] rather than opening wrongly.
    version: Version,
    /// The sequence number of the next record.
    seq: u64,
    keys: Keys,
}

enum Keys {
    Aead {
        aead: Aead,
        /// TLS 1.3 and TLS 1.2 ChaCha20-Poly1305: the 12-byte IV the sequence number is XORed
        /// into. TLS 1.2 GCM and CCM: the 4-byte salt, then zeros.
        iv: [u8; 12],
        /// TLS 1.2 GCM and CCM: each record starts with the last 8 bytes of its nonce.
        explicit_nonce: bool,
    },
    Cbc {
        cbc: CbcDecryptor,
        mac: MacKey,
        encrypt_then_mac: bool,
    },
    /// See [`OpenError::Keys`].
    Unfit,
}

/// An AEAD keyed once. Boxed: the key schedules are large and differ in size.
enum Aead {
    Aes128Gcm(Box<Aes128Gcm>),
    Aes256Gcm(Box<Aes256Gcm>),
    ChaCha20Poly1305(Box<ChaCha20Poly1305>),
    Aes128Ccm(Box<Aes128Ccm>),
    Aes128Ccm8(Box<Aes128Ccm8>),
}

impl Aead {
    /// `None` when the cipher is CBC or the key is not of its length.
    fn new(cipher: Cipher, key: &[u8]) -> Option<Aead> {
        Some(match cipher {
            Cipher::Aes128Gcm => Aead::Aes128Gcm(Box::new(Aes128Gcm::new_from_slice(key).ok()?)),
            Cipher::Aes256Gcm => Aead::Aes256Gcm(Box::new(Aes256Gcm::new_from_slice(key).ok()?)),
            Cipher::ChaCha20Poly1305 => {
                Aead::ChaCha20Poly1305(Box::new(ChaCha20Poly1305::new_from_slice(key).ok()?))
            }
            Cipher::Aes128Ccm => Aead::Aes128Ccm(Box::new(Aes128Ccm::new_from_slice(key).ok()?)),
            Cipher::Aes128Ccm8 => Aead::Aes128Ccm8(Box::new(Aes128Ccm8::new_from_slice(key).ok()?)),
            Cipher::Aes128Cbc | Cipher::Aes256Cbc => return None,
        })
    }

    fn tag_len(&self) -> usize {
        match self {
            Aead::Aes128Ccm8(_) => 8,
            _ => 16,
        }
    }

    /// Decrypts `buf` in place if `tag` authenticates it with `aad` under `nonce`.
    fn open(&self, nonce: &[u8; 12], aad: &[u8], buf: &mut [u8], tag: &[u8]) -> bool {
        match self {
            Aead::Aes128Gcm(a) => open_with(&**a, nonce, aad, buf, tag),
            Aead::Aes256Gcm(a) => open_with(&**a, nonce, aad, buf, tag),
            Aead::ChaCha20Poly1305(a) => open_with(&**a, nonce, aad, buf, tag),
            Aead::Aes128Ccm(a) => open_with(&**a, nonce, aad, buf, tag),
            Aead::Aes128Ccm8(a) => open_with(&**a, nonce, aad, buf, tag),
        }
    }
}

fn open_with<A: AeadInOut>(
    aead: &A,
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> bool {
    let (Ok(nonce), Ok(tag)) = (<&Nonce<A>>::try_from(&nonce[..]), <&Tag<A>>::try_from(tag)) else {
        return false;
    };
    aead.decrypt_inout_detached(nonce, aad, buf.into(), tag)
        .is_ok()
}

/// AES-CBC keyed once; each record sets its own IV.
enum CbcDecryptor {
    Aes128(Box<cbc::Decryptor<Aes128>>),
    Aes256(Box<cbc::Decryptor<Aes256>>),
}

impl CbcDecryptor {
    fn new(cipher: Cipher, key: &[u8]) -> Option<CbcDecryptor> {
        let iv = aes::Block::default();
        Some(match cipher {
            Cipher::Aes128Cbc => CbcDecryptor::Aes128(Box::new(cbc::Decryptor::inner_iv_init(
                Aes128::new_from_slice(key).ok()?,
                &iv,
            ))),
            Cipher::Aes256Cbc => CbcDecryptor::Aes256(Box::new(cbc::Decryptor::inner_iv_init(
                Aes256::new_from_slice(key).ok()?,
                &iv,
            ))),
            _ => return None,
        })
    }

    /// Decrypts whole blocks in place, chaining from `iv`; a partial last block (which the
    /// callers rule out) is left as it is.
    fn decrypt(&mut self, iv: &[u8; BLOCK], buf: &mut [u8]) {
        let iv = aes::Block::from(*iv);
        let (blocks, _) = aes::Block::slice_as_chunks_mut(buf);
        match self {
            CbcDecryptor::Aes128(d) => {
                d.set_iv(&iv);
                d.decrypt_blocks(blocks);
            }
            CbcDecryptor::Aes256(d) => {
                d.set_iv(&iv);
                d.decrypt_blocks(blocks);
            }
        }
    }
}

/// An HMAC keyed once; each record's MAC starts from a copy of it.
enum MacKey {
    Sha1(Box<Hmac<sha1::Sha1>>),
    Sha256(Box<Hmac<Sha256>>),
    Sha384(Box<Hmac<Sha384>>),
}

impl MacKey {
    fn new(hash: Hash, key: &[u8]) -> Option<MacKey> {
        if key.len() != hash.len() {
            return None;
        }
        Some(match hash {
            Hash::Sha1 => MacKey::Sha1(Box::new(keyed(key))),
            Hash::Sha256 => MacKey::Sha256(Box::new(keyed(key))),
            Hash::Sha384 => MacKey::Sha384(Box::new(keyed(key))),
        })
    }

    fn len(&self) -> usize {
        match self {
            MacKey::Sha1(_) => Hash::Sha1.len(),
            MacKey::Sha256(_) => Hash::Sha256.len(),
            MacKey::Sha384(_) => Hash::Sha384.len(),
        }
    }

    /// Whether `tag` is the MAC of the concatenated `parts` (compared in constant time, as the
    /// crate does).
    fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        match self {
            MacKey::Sha1(k) => verify_with(&**k, parts, tag),
            MacKey::Sha256(k) => verify_with(&**k, parts, tag),
            MacKey::Sha384(k) => verify_with(&**k, parts, tag),
        }
    }
}

fn keyed<M: Mac + KeyInit>(key: &[u8]) -> M {
    <M as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn verify_with<M: Mac + Clone>(key: &M, parts: &[&[u8]], tag: &[u8]) -> bool {
    let mut mac = key.clone();
    for p in parts {
        mac.update(p);
    }
    mac.verify_slice(tag).is_ok()
}

/// The nonce of TLS 1.3 and of TLS 1.2 ChaCha20-Poly1305: the sequence number, big-endian and
/// left-padded to the IV's 12 bytes, XORed with the IV.
fn xor_nonce(iv: &[u8; 12], seq: u64) -> [u8; 12] {
    let mut nonce = *iv;
    for (n, s) in nonce[4..].iter_mut().zip(seq.to_be_bytes()) {
        *n ^= s;
    }
    nonce
}

/// The first 13 bytes of what TLS 1.2 authenticates: seq_num, type, version, length.
fn pseudo_header(seq: u64, header: &[u8; 5], len: u16) -> [u8; 13] {
    let mut h = [0u8; 13];
    h[..8].copy_from_slice(&seq.to_be_bytes());
    h[8..11].copy_from_slice(&header[..3]);
    h[11..].copy_from_slice(&len.to_be_bytes());
    h
}

impl Decryptor {
    /// TLS 1.3: keys from a traffic secret (handshake or application):
    /// key = HKDF-Expand-Label(secret, "key", "", key_len),
    /// iv = HKDF-Expand-Label(secret, "iv", "", 12); sequence from 0.
    ///
    /// After a KeyUpdate the sender's records use a new decryptor built from
    /// [`keys::next_secret`], its sequence again from 0 (RFC 8446 §4.6.3).
    pub(crate) fn tls13(suite: &'static Suite, secret: &[u8]) -> Decryptor {
        let keys = if suite.cipher.is_aead() {
            let (key, iv) = keys::traffic_keys(suite, secret);
            match Aead::new(suite.cipher, &key) {
                Some(aead) => Keys::Aead {
                    aead,
                    iv,
                    explicit_nonce: false,
                },
                None => Keys::Unfit,
            }
        } else {
            Keys::Unfit
        };
        Decryptor {
            suite,
            version: Version::Tls13,
            seq: 0,
            keys,
        }
    }

    /// TLS 1.2: one writer's keys from the key block; `encrypt_then_mac` when both hellos
    /// carried the encrypt_then_mac extension (RFC 7366; it changes only CBC suites). The
    /// sequence starts from 0, as it does after each ChangeCipherSpec.
    pub(crate) fn tls12(
        suite: &'static Suite,
        keys: &WriteKeys,
        encrypt_then_mac: bool,
    ) -> Decryptor {
        let fits = keys.key.len() == suite.cipher.key_len()
            && keys.iv.len() == suite.fixed_iv_len()
            && keys.mac.len() == suite.mac_len();
        let keys = match (fits, suite.mac) {
            (false, _) => Keys::Unfit,
            (true, None) => {
                let explicit_nonce = suite.cipher != Cipher::ChaCha20Poly1305;
                let mut iv = [0u8; 12];
                // `fits` made the IV 4 or 12 bytes long.
                iv[..keys.iv.len()].copy_from_slice(&keys.iv);
                match Aead::new(suite.cipher, &keys.key) {
                    Some(aead) => Keys::Aead {
                        aead,
                        iv,
                        explicit_nonce,
                    },
                    None => Keys::Unfit,
                }
            }
            (true, Some(hash)) => match (
                CbcDecryptor::new(suite.cipher, &keys.key),
                MacKey::new(hash, &keys.mac),
            ) {
                (Some(cbc), Some(mac)) => Keys::Cbc {
                    cbc,
                    mac,
                    encrypt_then_mac,
                },
                _ => Keys::Unfit,
            },
        };
        Decryptor {
            suite,
            version: Version::Tls12,
            seq: 0,
            keys,
        }
    }

    /// One record: `header` is its 5-byte header as on the wire (type, version, length), `body`
    /// the `length` bytes after it. The plaintext replaces the contents of `out` (left empty on
    /// error). Returns the content type of the plaintext: TLS 1.3 the inner type (trailing zero
    /// padding removed), TLS 1.2 the header's type.
    ///
    /// Give it only records the keys protect: in TLS 1.3 not the ChangeCipherSpec records
    /// sent for compatibility (RFC 8446 §5), which are never protected.
    pub(crate) fn open(
        &mut self,
        header: &[u8; 5],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<u8, OpenError> {
        // The sender numbered this record whether or not it opens here: a record that fails
        // still used its number, and the next one was protected with the next. Not counting it
        // would put every later record one behind, so that one damaged record lost the rest.
        let seq = self.seq;
        self.seq = self.seq.wrapping_add(1);
        out.clear();
        let opened = match &mut self.keys {
            Keys::Unfit => Err(OpenError::Keys),
            Keys::Aead {
                aead,
                iv,
                explicit_nonce,
            } => match self.version {
                Version::Tls13 => open_tls13(aead, iv, seq, header, body, out),
                Version::Tls12 => {
                    open_tls12_aead(aead, iv, *explicit_nonce, seq, header, body, out)
                }
            },
            Keys::Cbc {
                cbc,
                mac,
                encrypt_then_mac: false,
            } => open_mac_then_encrypt(cbc, mac, seq, header, body, out),
            Keys::Cbc {
                cbc,
                mac,
                encrypt_then_mac: true,
            } => open_encrypt_then_mac(cbc, mac, seq, header, body, out),
        };
        if opened.is_err() {
            out.clear();
        }
        opened
    }

    /// The sequence number of the next record: how many records this decryptor was given.
    #[cfg(test)]
    pub(crate) fn seq(&self) -> u64 {
        self.seq
    }

    /// Counts `n` records that went by unread (not kept while keys were awaited): the next
    /// record's nonce follows them.
    pub(crate) fn skip(&mut self, n: u64) {
        self.seq = self.seq.saturating_add(n);
    }
}

// The keys are not shown, not even in debug output.
impl std::fmt::Debug for Decryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decryptor")
            .field("suite", &self.suite.name)
            .field("version", &self.version)
            .field("seq", &self.seq)
            .finish_non_exhaustive()
    }
}

/// RFC 8446 §5.2: TLSCiphertext.encrypted_record = AEAD(TLSInnerPlaintext), the additional
/// data the record header; TLSInnerPlaintext = content + type + zeros.
fn open_tls13(
    aead: &Aead,
    iv: &[u8; 12],
    seq: u64,
    header: &[u8; 5],
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<u8, OpenError> {
    let tag_len = aead.tag_len();
    let Some(ct_len) = body.len().checked_sub(tag_len) else {
        return Err(OpenError::TooShort {
            len: body.len(),
            need: tag_len,
        });
    };
    let (ct, tag) = body.split_at(ct_len);
    out.extend_from_slice(ct);
    if !aead.open(&xor_nonce(iv, seq), header, out, tag) {
        return Err(OpenError::Tag);
    }
    // The content type is the last byte that is not zero padding (§5.4).
    let Some(at) = out.iter().rposition(|&b| b != 0) else {
        return Err(OpenError::NoContentType);
    };
    let content_type = out[at];
    out.truncate(at);
    Ok(content_type)
}

/// RFC 5246 §6.2.3.3 with RFC 5288 (GCM) and RFC 6655 (CCM): explicit nonce + ciphertext +
/// tag; RFC 7905 (ChaCha20-Poly1305): ciphertext + tag.
fn open_tls12_aead(
    aead: &Aead,
    iv: &[u8; 12],
    explicit_nonce: bool,
    seq: u64,
    header: &[u8; 5],
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<u8, OpenError> {
    let tag_len = aead.tag_len();
    let explicit_len = if explicit_nonce { EXPLICIT_NONCE } else { 0 };
    let need = explicit_len + tag_len;
    if body.len() < need {
        return Err(OpenError::TooShort {
            len: body.len(),
            need,
        });
    }
    let (explicit, rest) = body.split_at(explicit_len);
    let (ct, tag) = rest.split_at(rest.len() - tag_len);
    let nonce = if explicit_nonce {
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&iv[..4]);
        nonce[4..].copy_from_slice(explicit);
        nonce
    } else {
        xor_nonce(iv, seq)
    };
    // A record's length field cannot describe more than 2^16 - 1 bytes: a longer body is not
    // one record, and cannot authenticate.
    let Ok(len) = u16::try_from(ct.len()) else {
        return Err(OpenError::Tag);
    };
    let aad = pseudo_header(seq, header, len);
    out.extend_from_slice(ct);
    if !aead.open(&nonce, &aad, out, tag) {
        return Err(OpenError::Tag);
    }
    Ok(header[0])
}

/// The fewest bytes a CBC ciphertext can have when it must hold `at_least` bytes: whole
/// blocks, at least one.
fn whole_blocks(at_least: usize) -> usize {
    at_least.div_ceil(BLOCK).max(1) * BLOCK
}

/// The length of `plain` without its CBC padding (RFC 5246 §6.2.3.2: padding_length + 1 bytes
/// at the end, each of value padding_length), or `None` when the padding is malformed or
/// longer than what it pads beyond `keep` bytes that must remain.
fn unpad(plain: &[u8], keep: usize) -> Option<usize> {
    let &pad = plain.last()?;
    let pad_total = usize::from(pad) + 1;
    let len = plain.len().checked_sub(pad_total)?;
    if len < keep || plain[len..].iter().any(|&b| b != pad) {
        return None;
    }
    Some(len)
}

/// RFC 5246 §6.2.3.2: IV + CBC(content + MAC + padding + padding_length).
fn open_mac_then_encrypt(
    cbc: &mut CbcDecryptor,
    mac: &MacKey,
    seq: u64,
    header: &[u8; 5],
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<u8, OpenError> {
    let mac_len = mac.len();
    let need = BLOCK + whole_blocks(mac_len + 1);
    if body.len() < need {
        return Err(OpenError::TooShort {
            len: body.len(),
            need,
        });
    }
    let (iv, ct) = body.split_at(BLOCK);
    if ct.len() % BLOCK != 0 {
        return Err(OpenError::Mac);
    }
    let iv: &[u8; BLOCK] = iv.try_into().map_err(|_| OpenError::Mac)?;
    out.extend_from_slice(ct);
    cbc.decrypt(iv, out);
    let Some(with_mac) = unpad(out, mac_len) else {
        return Err(OpenError::Mac);
    };
    let len = with_mac - mac_len;
    let (content, tag) = out[..with_mac].split_at(len);
    // `len` is below the body's length less a block and a MAC; a body too long for a record
    // cannot authenticate.
    let Ok(len16) = u16::try_from(len) else {
        return Err(OpenError::Mac);
    };
    if !mac.verify(&[&pseudo_header(seq, header, len16), content], tag) {
        return Err(OpenError::Mac);
    }
    out.truncate(len);
    Ok(header[0])
}

/// RFC 7366 §3: IV + CBC(content + padding + padding_length) + MAC, the MAC over what precedes
/// it and checked first.
fn open_encrypt_then_mac(
    cbc: &mut CbcDecryptor,
    mac: &MacKey,
    seq: u64,
    header: &[u8; 5],
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<u8, OpenError> {
    let mac_len = mac.len();
    let need = BLOCK + whole_blocks(1) + mac_len;
    if body.len() < need {
        return Err(OpenError::TooShort {
            len: body.len(),
            need,
        });
    }
    let (sealed, tag) = body.split_at(body.len() - mac_len);
    let Ok(sealed_len) = u16::try_from(sealed.len()) else {
        return Err(OpenError::Mac);
    };
    if !mac.verify(&[&pseudo_header(seq, header, sealed_len), sealed], tag) {
        return Err(OpenError::Mac);
    }
    let (iv, ct) = sealed.split_at(BLOCK);
    if ct.len() % BLOCK != 0 {
        return Err(OpenError::Mac);
    }
    let iv: &[u8; BLOCK] = iv.try_into().map_err(|_| OpenError::Mac)?;
    out.extend_from_slice(ct);
    cbc.decrypt(iv, out);
    let Some(len) = unpad(out, 0) else {
        return Err(OpenError::Mac);
    };
    out.truncate(len);
    Ok(header[0])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tls::keys::tests::{RFC8448_C_AP, RFC8448_C_HS, RFC8448_S_AP, RFC8448_S_HS, h};
    use crate::tls::keys::{KeyBlock, key_block};
    use crate::tls::suite::{all, supported};
    use cbc::cipher::BlockModeEncrypt as _;

    const APPLICATION_DATA: u8 = 23;
    const HANDSHAKE: u8 = 22;
    const ALERT: u8 = 21;

    /// Splits a whole record (header + body) and opens it.
    fn open_record(d: &mut Decryptor, record: &[u8]) -> Result<(u8, Vec<u8>), OpenError> {
        let (header, body) = record.split_at(5);
        let header: &[u8; 5] = header.try_into().expect("5 bytes");
        let mut out = Vec::new();
        d.open(header, body, &mut out).map(|t| (t, out))
    }

    fn suite(code: u16) -> &'static Suite {
        supported(code).expect("a supported suite")
    }

    // RFC 8448 §3 "Simple 1-RTT Handshake", each record's "payload" and "complete record" as
    // printed in the RFC text (TLS_AES_128_GCM_SHA256).
    pub(crate) const RFC8448_S_HS_RECORD: &str = "
     17030302a2d1ff334a56f5bff6594a07cc87b580233f500f45e489e7f33af35edf7869fcf40aa40aa2b8ea73f848a7ca
     07612ef9f945cb960b4068905123ea78b111b429ba9191cd05d2a389280f526134aadc7fc78c4b729df828b5ecf7b13b
     d9aefb0e57f271585b8ea9bb355c7c79020716cfb9b1183ef3ab20e37d57a6b9d7477609aee6e122a4cf51427325250c
     7d0e509289444c9b3a648f1d71035d2ed65b0e3cdd0cbae8bf2d0b227812cbb360987255cc744110c453baa4fcd61092
     8d809810e4b7ed1a8fd991f06aa6248204797e36a6a73b70a2559c09ead686945ba246ab66e5edd8044b4c6de3fcf2a8
     9441ac66272fd8fb330ef8190579b3684596c960bd596eea520a56a8d650f563aad27409960dca63d3e688611ea5e22f
     4415cf9538d51a200c27034272968a264ed6540c84838d89f72c24461aad6d26f59ecaba9acbbb317b66d902f4f292a3
     6ac1b639c637ce343117b659622245317b49eeda0c6258f100d7d961ffb138647e92ea330faeea6dfa31c7a84dc3bd7e
     1b7a6c7178af36879018e3f252107f243d243dc7339d5684c8b0378bf30244da8c87c843f5e56eb4c5e8280a2b48052c
     f93b16499a66db7cca71e4599426f7d461e66f99882bd89fc50800becca62d6c74116dbd2972fda1fa80f85df881edbe
     5a37668936b335583b599186dc5c6918a396fa48a181d6b6fa4f9d62d513afbb992f2b992f67f8afe67f76913fa388cb
     5630c8ca01e0c65d11c66a1e2ac4c85977b7c7a6999bbf10dc35ae69f5515614636c0b9b68c19ed2e31c0b3b66763038
     ebba42f3b38edc0399f3a9f23faa63978c317fc9fa66a73f60f0504de93b5b845e275592c12335ee340bbc4fddd50278
     4016e4b3be7ef04dda49f4b440a30cb5d2af939828fd4ae3794e44f94df5a631ede42c1719bfdabf0253fe5175be898e
     750edc53370d2b";
    const RFC8448_S_HS_PAYLOAD: &str = "
     080000240022000a00140012001d00170018001901000101010201030104001c00024001000000000b0001b9000001b5
     0001b0308201ac30820115a003020102020102300d06092a864886f70d01010b0500300e310c300a0603550403130372
     7361301e170d3136303733303031323335395a170d3236303733303031323335395a300e310c300a0603550403130372
     736130819f300d06092a864886f70d010101050003818d0030818902818100b4bb498f8279303d980836399b36c6988c
     0c68de55e1bdb826d3901a2461eafd2de49a91d015abbc9a95137ace6c1af19eaa6af98c7ced43120998e187a80ee0cc
     b0524b1b018c3e0b63264d449a6d38e22a5fda430846748030530ef0461c8ca9d9efbfae8ea6d1d03e2bd193eff0ab9a
     8002c47428a6d35a8d88d79f7f1e3f0203010001a31a301830090603551d1304023000300b0603551d0f0404030205a0
     300d06092a864886f70d01010b05000381810085aad2a0e5b9276b908c65f73a7267170618a54c5f8a7b337d2df7a594
     365417f2eae8f8a58c8f8172f9319cf36b7fd6c55b80f21a03015156726096fd335e5e67f2dbf102702e608ccae6bec1
     fc63a42a99be5c3eb7107c3c54e9b9eb2bd5203b1c3b84e0a8b2f759409ba3eac9d91d402dcc0cc8f8961229ac9187b4
     2b4de100000f000084080400805a747c5d88fa9bd2e55ab085a61015b7211f824cd484145ab3ff52f1fda8477b0b7abc
     90db78e2d33a5c141a078653fa6bef780c5ea248eeaaa785c4f394cab6d30bbe8d4859ee511f602957b15411ac027671
     459e46445c9ea58c181e818e95b8c3fb0bf3278409d3be152a3da5043e063dda65cdf5aea20d53dfacd42f74f3140000
     209b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718";
    pub(crate) const RFC8448_C_FIN_RECORD: &str = "
     170303003575ec4dc238cce60b298044a71e219c56cc77b0517fe9b93c7a4bfc44d87f38f80338ac98fc46deb384bd1c
     aeacab6867d726c40546";
    const RFC8448_C_FIN_PAYLOAD: &str = "
     14000020a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61";
    pub(crate) const RFC8448_S_NST_RECORD: &str = "
     17030300de3a6b8f90414a97d6959c3487680de5134a2b240e6cffac116e95d41d6af8f6b580dcf3d11d63c758db289a
     015940252f55713e061dc13e078891a38efbcf5753ad8ef170ad3c7353d16d9da773b9ca7f2b9fa1b6c0d4a3d03f75e0
     9c30ba1e62972ac46f75f7b981be63439b2999ce13064615139891d5e4c5b406f16e3fc181a77ca475840025db2f0a77
     f81b5ab05b94c01346755f69232c86519d86cbeeac87aac347d143f9605d64f650db4d023e70e952ca49fe5137121c74
     bc2697687e248746d6df353005f3bce18696129c8153556b3b6c6779b37bf15985684f";
    const RFC8448_S_NST_PAYLOAD: &str = "
     040000c90000001efad6aac502000000b22c035d829359ee5ff7af4ec900000000262a6494dc486d2c8a34cb33fa90bf
     1b0070ad3c498883c9367c09a2be785abc55cd226097a3a982117283f82a03a143efd3ff5dd36d64e861be7fd61d2827
     db279cce145077d454a3664d4e6da4d29ee03725a6a4dafcd0fc67d2aea70529513e3da2677fa5906c5b3f7d8f92f228
     bda40dda721470f9fbf297b5aea617646fac5c03272e970727c621a79141ef5f7de6505e5bfbc388e93343694093934a
     e4d3570008002a000400000400";
    pub(crate) const RFC8448_C_APP_RECORD: &str = "
     1703030043a23f7054b62c94d0affafe8228ba55cbefacea42f914aa66bcab3f2b9819a8a5b46b395bd54a9a20441e2b
     62974e1f5a6292a2977014bd1e3deae63aeebb21694915e4";
    pub(crate) const RFC8448_S_APP_RECORD: &str = "
     17030300432e937e11ef4ac740e538ad36005fc4a46932fc3225d05f82aa1b36e30efaf97d90e6dffc602dcb501a59a8
     fcc49c4bf2e5f0a21c0047c2abf332540dd032e167c2955d";
    pub(crate) const RFC8448_C_ALERT_RECORD: &str = "
     1703030013c9872760655666b74d7ff1153efd6db6d0b0e3";
    pub(crate) const RFC8448_S_ALERT_RECORD: &str = "
     1703030013b58fd67166ebf599d24720cfbe7efa7a8864a9";
    const RFC8448_EARLY_RECORD: &str = "
     1703030017ab1df420e75c457a7cc5d2844f76d5aee4b4edbf049be0";

    #[test]
    fn rfc8448_1rtt_server_handshake_record() {
        let mut d = Decryptor::tls13(suite(0x1301), &h(RFC8448_S_HS));
        let (t, plain) = open_record(&mut d, &h(RFC8448_S_HS_RECORD)).expect("opens");
        assert_eq!(t, HANDSHAKE);
        // EncryptedExtensions, Certificate, CertificateVerify, Finished.
        assert_eq!(plain, h(RFC8448_S_HS_PAYLOAD));
        assert!(plain.starts_with(&h("08 00 00 24 00 22 00 0a")));
        assert_eq!(d.seq(), 1);
    }

    #[test]
    fn rfc8448_1rtt_client_finished_record() {
        let mut d = Decryptor::tls13(suite(0x1301), &h(RFC8448_C_HS));
        let (t, plain) = open_record(&mut d, &h(RFC8448_C_FIN_RECORD)).expect("opens");
        assert_eq!((t, plain), (HANDSHAKE, h(RFC8448_C_FIN_PAYLOAD)));
    }

    #[test]
    fn rfc8448_1rtt_application_records_both_ways() {
        let counting: Vec<u8> = (0..50).collect();
        let mut server = Decryptor::tls13(suite(0x1301), &h(RFC8448_S_AP));
        // seq 0: NewSessionTicket; 1: application data; 2: close_notify.
        let (t, plain) = open_record(&mut server, &h(RFC8448_S_NST_RECORD)).expect("opens");
        assert_eq!((t, plain), (HANDSHAKE, h(RFC8448_S_NST_PAYLOAD)));
        let (t, plain) = open_record(&mut server, &h(RFC8448_S_APP_RECORD)).expect("opens");
        assert_eq!((t, plain), (APPLICATION_DATA, counting.clone()));
        let (t, plain) = open_record(&mut server, &h(RFC8448_S_ALERT_RECORD)).expect("opens");
        assert_eq!((t, plain), (ALERT, vec![1, 0]));
        assert_eq!(server.seq(), 3);

        let mut client = Decryptor::tls13(suite(0x1301), &h(RFC8448_C_AP));
        let (t, plain) = open_record(&mut client, &h(RFC8448_C_APP_RECORD)).expect("opens");
        assert_eq!((t, plain), (APPLICATION_DATA, counting));
        let (t, plain) = open_record(&mut client, &h(RFC8448_C_ALERT_RECORD)).expect("opens");
        assert_eq!((t, plain), (ALERT, vec![1, 0]));
    }

    #[test]
    fn rfc8448_0rtt_early_data_record() {
        // RFC 8448 §4: the client's early traffic secret ("derive secret tls13 c e traffic",
        // the PRK of "derive write traffic keys for early application data") and its one early
        // application_data record, payload 41 42 43 44 45 46.
        let early = h(
            "3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62",
        );
        let mut d = Decryptor::tls13(suite(0x1301), &early);
        let (t, plain) = open_record(&mut d, &h(RFC8448_EARLY_RECORD)).expect("opens");
        assert_eq!((t, plain), (APPLICATION_DATA, b"ABCDEF".to_vec()));
    }

    #[test]
    fn a_record_that_fails_still_takes_its_sequence_number() {
        // The server's application data is record 1: open record 0 damaged, then record 1.
        let mut server = Decryptor::tls13(suite(0x1301), &h(RFC8448_S_AP));
        let mut nst = h(RFC8448_S_NST_RECORD);
        nst[40] ^= 1;
        assert_eq!(open_record(&mut server, &nst), Err(OpenError::Tag));
        assert_eq!(server.seq(), 1);
        let (t, _) = open_record(&mut server, &h(RFC8448_S_APP_RECORD)).expect("opens");
        assert_eq!(t, APPLICATION_DATA);
        // The same record again is now out of sequence.
        assert_eq!(
            open_record(&mut server, &h(RFC8448_S_APP_RECORD)),
            Err(OpenError::Tag)
        );
        assert_eq!(server.seq(), 3);
    }

    #[test]
    fn illustrated_tls13_aes_256_gcm_sha384_records() {
        // The Illustrated TLS 1.3 Connection (github.com/syncsynchalt/illustrated-tls13):
        // secrets from captures/keylog.txt, records and their plaintexts from captures/caps.
        let s = suite(0x1302);
        let s_hs = h(
            "23323da031634b241dd37d61032b62a4f450584d1f7f47983ba2f7cc0cdcc39a68f481f2b019f9403a3051908a5d1622",
        );
        let c_ap = h(
            "9e47af27cb60d818a9ea7d233cb5ed4cc525fcd74614fb24b0ee59acb8e5aa7ff8d88b89792114208fec291a6fa96bad",
        );
        let s_ap = h(
            "86c967fd7747a36a0685b4ed8d0e6b4c02b4ddaf3cd294aa44e9f6b0183bf911e89a189ba5dfd71fccffb5cc164901f8",
        );

        // serverencextensions: the first record under the server's handshake keys.
        let mut d = Decryptor::tls13(s, &s_hs);
        let record = h("17030300176be02f9da7c2dc9ddef56f2468b90adfa25101ab0344ae");
        assert_eq!(
            open_record(&mut d, &record),
            Ok((HANDSHAKE, h("080000020000")))
        );

        // clientencdata: the client's first application record, "ping".
        let mut d = Decryptor::tls13(s, &c_ap);
        let record = h("1703030015828139cb7b73aaabf5b82fbf9a2961bcde10038a32");
        assert_eq!(
            open_record(&mut d, &record),
            Ok((APPLICATION_DATA, b"ping".to_vec()))
        );

        // serverencdata, "pong": the server's third record, after two session tickets (not
        // reproduced here: two records that do not open take their numbers just the same).
        let mut d = Decryptor::tls13(s, &s_ap);
        let junk = [0u8; 40];
        assert_eq!(open_record(&mut d, &junk), Err(OpenError::Tag));
        assert_eq!(open_record(&mut d, &junk), Err(OpenError::Tag));
        let record = h("17030300150cda85f1447ae23fa66d56f4c5408482b1b1d4c998");
        assert_eq!(
            open_record(&mut d, &record),
            Ok((APPLICATION_DATA, b"pong".to_vec()))
        );
    }

    /// The Illustrated TLS 1.2 Connection (github.com/syncsynchalt/illustrated-tls12):
    /// TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, MAC-then-encrypt; master secret from
    /// captures/keylog.txt, randoms from the hellos, records from captures/caps.
    fn illustrated_tls12_keys() -> KeyBlock {
        let master = h(
            "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c",
        );
        let client_random: [u8; 32] = std::array::from_fn(|i| i as u8);
        let server_random: [u8; 32] = std::array::from_fn(|i| 0x70 + i as u8);
        key_block(suite(0xC013), &master, &client_random, &server_random)
    }

    #[test]
    fn illustrated_tls12_cbc_sha1_records() {
        let kb = illustrated_tls12_keys();
        let mut client = Decryptor::tls12(suite(0xC013), &kb.client, false);
        let finished = h(
            "1603030040404142434445464748494a4b4c4d4e4f227bc9ba81ef30f2a8a78ff1df50844d5804b7eeb2e214c32b6892aca3db7b78077fdd90067c516bacb3ba90dedf720f",
        );
        assert_eq!(
            open_record(&mut client, &finished),
            Ok((HANDSHAKE, h("1400000ccf919626f1360c536aaad73a")))
        );
        let data = h(
            "1703030030000102030405060708090a0b0c0d0e0f6c421c71c42b183bfa06195d133d0a09d00fc7cb4e0f5d1cda59d147ec790c99",
        );
        assert_eq!(
            open_record(&mut client, &data),
            Ok((APPLICATION_DATA, b"ping".to_vec()))
        );

        let mut server = Decryptor::tls12(suite(0xC013), &kb.server, false);
        let finished = h(
            "16030300405152535455565758595a5b5c5d5e5f6018e075317b100315f6081fcbf313781aac73efe19fe25ba1af59c20be94fc01bda2d6800298b73a7e849d74bd494cf7d",
        );
        assert_eq!(
            open_record(&mut server, &finished),
            Ok((HANDSHAKE, h("1400000c844d3c10746dd722f92f0c7e")))
        );
        let data = h(
            "17030300306162636465666768696a6b6c6d6e6f709783488af5fa20bf7a2ef69debb534db9fb07a8c2721dee5409f77af0c3dde56",
        );
        assert_eq!(
            open_record(&mut server, &data),
            Ok((APPLICATION_DATA, b"pong".to_vec()))
        );

        // Out of order, the MAC (which covers the sequence number) fails.
        let mut server = Decryptor::tls12(suite(0xC013), &kb.server, false);
        assert_eq!(open_record(&mut server, &data), Err(OpenError::Mac));
    }

    // What follows seals records with the crates' encryption, laid out as the RFCs say, and
    // opens them: the check is the crates' encryption against this module's decryption, of
    // the layouts no published trace covers here (TLS 1.2 AEAD, ChaCha20-Poly1305, CCM,
    // encrypt-then-MAC).

    fn header(content_type: u8, len: usize) -> [u8; 5] {
        let len = u16::try_from(len).expect("a record length");
        let [hi, lo] = len.to_be_bytes();
        [content_type, 3, 3, hi, lo]
    }

    /// Encrypts in place with `cipher`'s AEAD and returns the tag.
    fn aead_seal(
        cipher: Cipher,
        key: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
    ) -> Vec<u8> {
        fn seal<A: AeadInOut + KeyInit>(
            key: &[u8],
            nonce: &[u8; 12],
            aad: &[u8],
            buf: &mut [u8],
        ) -> Vec<u8> {
            let a = A::new_from_slice(key).expect("key length");
            let nonce = <&Nonce<A>>::try_from(&nonce[..]).expect("12-byte nonce");
            a.encrypt_inout_detached(nonce, aad, buf.into())
                .expect("seals")
                .to_vec()
        }
        match cipher {
            Cipher::Aes128Gcm => seal::<Aes128Gcm>(key, nonce, aad, buf),
            Cipher::Aes256Gcm => seal::<Aes256Gcm>(key, nonce, aad, buf),
            Cipher::ChaCha20Poly1305 => seal::<ChaCha20Poly1305>(key, nonce, aad, buf),
            Cipher::Aes128Ccm => seal::<Aes128Ccm>(key, nonce, aad, buf),
            Cipher::Aes128Ccm8 => seal::<Aes128Ccm8>(key, nonce, aad, buf),
            Cipher::Aes128Cbc | Cipher::Aes256Cbc => unreachable!("not an AEAD"),
        }
    }

    /// A TLS 1.3 record (RFC 8446 §5.2) of `content` with `padding` zeros after its type.
    fn seal_tls13(
        suite: &Suite,
        secret: &[u8],
        seq: u64,
        content_type: u8,
        content: &[u8],
        padding: usize,
    ) -> Vec<u8> {
        let (key, iv) = keys::traffic_keys(suite, secret);
        let mut inner = content.to_vec();
        inner.push(content_type);
        inner.resize(inner.len() + padding, 0);
        let hdr = header(APPLICATION_DATA, inner.len() + suite.cipher.tag_len());
        let tag = aead_seal(suite.cipher, &key, &xor_nonce(&iv, seq), &hdr, &mut inner);
        [&hdr[..], &inner, &tag].concat()
    }

    /// A TLS 1.2 AEAD record (RFC 5246 §6.2.3.3, RFC 5288, RFC 6655, RFC 7905).
    fn seal_tls12_aead(
        suite: &Suite,
        keys: &WriteKeys,
        seq: u64,
        content_type: u8,
        content: &[u8],
    ) -> Vec<u8> {
        let mut buf = content.to_vec();
        let aad = pseudo_header(
            seq,
            &header(content_type, 0),
            u16::try_from(content.len()).expect("short"),
        );
        let (explicit, nonce) = if suite.cipher == Cipher::ChaCha20Poly1305 {
            let iv: [u8; 12] = keys.iv[..].try_into().expect("12-byte IV");
            (Vec::new(), xor_nonce(&iv, seq))
        } else {
            // Any 8 bytes unique per record; senders commonly use the sequence number.
            let explicit = (seq ^ 0x0123_4567_89ab_cdef).to_be_bytes().to_vec();
            let mut nonce = [0u8; 12];
            nonce[..4].copy_from_slice(&keys.iv);
            nonce[4..].copy_from_slice(&explicit);
            (explicit, nonce)
        };
        let tag = aead_seal(suite.cipher, &keys.key, &nonce, &aad, &mut buf);
        let body = [&explicit[..], &buf, &tag].concat();
        [&header(content_type, body.len())[..], &body].concat()
    }

    fn hmac(hash: Hash, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn with<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            let mut m: M = keyed(key);
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match hash {
            Hash::Sha1 => with::<Hmac<sha1::Sha1>>(key, parts),
            Hash::Sha256 => with::<Hmac<Sha256>>(key, parts),
            Hash::Sha384 => with::<Hmac<Sha384>>(key, parts),
        }
    }

    fn cbc_encrypt(cipher: Cipher, key: &[u8], iv: &[u8; 16], buf: &mut [u8]) {
        let iv = aes::Block::from(*iv);
        let (blocks, rest) = aes::Block::slice_as_chunks_mut(buf);
        assert!(rest.is_empty());
        match cipher {
            Cipher::Aes128Cbc => {
                cbc::Encryptor::inner_iv_init(Aes128::new_from_slice(key).expect("key"), &iv)
                    .encrypt_blocks(blocks)
            }
            Cipher::Aes256Cbc => {
                cbc::Encryptor::inner_iv_init(Aes256::new_from_slice(key).expect("key"), &iv)
                    .encrypt_blocks(blocks)
            }
            _ => unreachable!("not CBC"),
        }
    }

    /// `pad` bytes of value `pad - 1`: `pad` from 1 to 256, making the total whole blocks when
    /// `pad` is chosen so.
    fn padding(pad: usize) -> Vec<u8> {
        vec![u8::try_from(pad - 1).expect("at most 256"); pad]
    }

    /// A TLS 1.2 CBC record, MAC-then-encrypt (RFC 5246 §6.2.3.2), with `extra_blocks` more
    /// padding than the least (any amount up to 255 bytes is allowed).
    fn seal_mac_then_encrypt(
        suite: &Suite,
        keys: &WriteKeys,
        seq: u64,
        content_type: u8,
        content: &[u8],
        extra_blocks: usize,
    ) -> Vec<u8> {
        let hash = suite.mac.expect("CBC");
        let len = u16::try_from(content.len()).expect("short");
        let mac = hmac(
            hash,
            &keys.mac,
            &[&pseudo_header(seq, &header(content_type, 0), len), content],
        );
        let unpadded = content.len() + mac.len();
        let pad = BLOCK - unpadded % BLOCK + extra_blocks * BLOCK;
        let mut buf = [content, &mac, &padding(pad)].concat();
        let iv = [seq as u8 ^ 0x5a; 16];
        cbc_encrypt(suite.cipher, &keys.key, &iv, &mut buf);
        let body = [&iv[..], &buf].concat();
        [&header(content_type, body.len())[..], &body].concat()
    }

    /// A TLS 1.2 CBC record, encrypt-then-MAC (RFC 7366 §3).
    fn seal_encrypt_then_mac(
        suite: &Suite,
        keys: &WriteKeys,
        seq: u64,
        content_type: u8,
        content: &[u8],
    ) -> Vec<u8> {
        let hash = suite.mac.expect("CBC");
        let pad = BLOCK - content.len() % BLOCK;
        let mut buf = [content, &padding(pad)].concat();
        let iv = [seq as u8 ^ 0xa5; 16];
        cbc_encrypt(suite.cipher, &keys.key, &iv, &mut buf);
        let sealed = [&iv[..], &buf].concat();
        let len = u16::try_from(sealed.len()).expect("short");
        let mac = hmac(
            hash,
            &keys.mac,
            &[&pseudo_header(seq, &header(content_type, 0), len), &sealed],
        );
        let body = [&sealed[..], &mac].concat();
        [&header(content_type, body.len())[..], &body].concat()
    }

    fn test_keys(suite: &Suite) -> KeyBlock {
        key_block(suite, &[0x33; 48], &[0x11; 32], &[0x22; 32])
    }

    /// Seals three records of different lengths for `suite` and opens them in order.
    fn round_trip(suite: &'static Suite, encrypt_then_mac: bool) {
        let contents: [&[u8]; 3] = [b"", b"hello, world", &[0xEE; 1000]];
        let mut opener = match suite.version {
            Version::Tls13 => Decryptor::tls13(suite, &[0x44; 48][..suite.hash.len()]),
            Version::Tls12 => Decryptor::tls12(suite, &test_keys(suite).server, encrypt_then_mac),
        };
        for (seq, content) in (0u64..).zip(contents) {
            let record = match suite.version {
                Version::Tls13 => seal_tls13(
                    suite,
                    &[0x44; 48][..suite.hash.len()],
                    seq,
                    APPLICATION_DATA,
                    content,
                    seq as usize * 7,
                ),
                Version::Tls12 if suite.cipher.is_aead() => seal_tls12_aead(
                    suite,
                    &test_keys(suite).server,
                    seq,
                    APPLICATION_DATA,
                    content,
                ),
                Version::Tls12 if encrypt_then_mac => seal_encrypt_then_mac(
                    suite,
                    &test_keys(suite).server,
                    seq,
                    APPLICATION_DATA,
                    content,
                ),
                Version::Tls12 => seal_mac_then_encrypt(
                    suite,
                    &test_keys(suite).server,
                    seq,
                    APPLICATION_DATA,
                    content,
                    seq as usize,
                ),
            };
            let opened = open_record(&mut opener, &record);
            assert_eq!(
                opened,
                Ok((APPLICATION_DATA, content.to_vec())),
                "{} seq {seq}",
                suite.name
            );
        }
        assert_eq!(opener.seq(), 3);
    }

    #[test]
    fn every_suite_opens_what_it_seals() {
        for suite in all() {
            round_trip(suite, false);
            if suite.mac.is_some() {
                round_trip(suite, true);
            }
        }
    }

    #[test]
    fn tls13_chacha20_poly1305_and_ccm_with_padding_and_types() {
        for code in [0x1303, 0x1304, 0x1305] {
            let s = suite(code);
            let secret = [9u8; 32];
            let mut d = Decryptor::tls13(s, &secret);
            let hs = seal_tls13(s, &secret, 0, HANDSHAKE, b"\x14\x00\x00\x00", 0);
            assert_eq!(
                open_record(&mut d, &hs),
                Ok((HANDSHAKE, b"\x14\x00\x00\x00".to_vec()))
            );
            // Content that itself ends in zeros keeps them: only what follows the type goes.
            let data = seal_tls13(s, &secret, 1, APPLICATION_DATA, b"ab\0\0", 100);
            assert_eq!(
                open_record(&mut d, &data),
                Ok((APPLICATION_DATA, b"ab\0\0".to_vec()))
            );
            // A plaintext of only zeros has no content type.
            let (key, iv) = keys::traffic_keys(s, &secret);
            let mut zeros = vec![0u8; 10];
            let hdr = header(APPLICATION_DATA, zeros.len() + s.cipher.tag_len());
            let tag = aead_seal(s.cipher, &key, &xor_nonce(&iv, 2), &hdr, &mut zeros);
            let record = [&hdr[..], &zeros, &tag].concat();
            assert_eq!(open_record(&mut d, &record), Err(OpenError::NoContentType));
            assert_eq!(d.seq(), 3);
        }
    }

    #[test]
    fn tls12_gcm_is_bound_to_type_version_and_sequence() {
        let s = suite(0xC02F);
        let kb = test_keys(s);
        let record = seal_tls12_aead(s, &kb.client, 0, APPLICATION_DATA, b"GET / HTTP/1.1\r\n");
        // The client's keys do not open with the server's.
        let mut wrong_side = Decryptor::tls12(s, &kb.server, false);
        assert_eq!(open_record(&mut wrong_side, &record), Err(OpenError::Tag));
        // The type and version are authenticated.
        for at in [0, 1, 2] {
            let mut d = Decryptor::tls12(s, &kb.client, false);
            let mut r = record.clone();
            r[at] ^= 0x40;
            assert_eq!(
                open_record(&mut d, &r),
                Err(OpenError::Tag),
                "header byte {at}"
            );
        }
        // Every bit of the body is: explicit nonce, ciphertext, tag.
        for at in [5, 12, 13, 20, record.len() - 1] {
            let mut d = Decryptor::tls12(s, &kb.client, false);
            let mut r = record.clone();
            r[at] ^= 0x01;
            assert_eq!(open_record(&mut d, &r), Err(OpenError::Tag), "byte {at}");
        }
        let mut d = Decryptor::tls12(s, &kb.client, false);
        assert_eq!(
            open_record(&mut d, &record),
            Ok((APPLICATION_DATA, b"GET / HTTP/1.1\r\n".to_vec()))
        );
        // Sealed as record 1, it does not open as record 0.
        let second = seal_tls12_aead(s, &kb.client, 1, APPLICATION_DATA, b"x");
        let mut d = Decryptor::tls12(s, &kb.client, false);
        assert_eq!(open_record(&mut d, &second), Err(OpenError::Tag));
    }

    #[test]
    fn cbc_damage_fails_the_mac() {
        let s = suite(0xC027);
        let kb = test_keys(s);
        for etm in [false, true] {
            let seal = |seq, content: &[u8]| {
                if etm {
                    seal_encrypt_then_mac(s, &kb.client, seq, APPLICATION_DATA, content)
                } else {
                    seal_mac_then_encrypt(s, &kb.client, seq, APPLICATION_DATA, content, 0)
                }
            };
            let record = seal(0, b"some content of a record");
            for at in [0, 2, 5, 20, 21, 40, record.len() - 1] {
                let mut d = Decryptor::tls12(s, &kb.client, etm);
                let mut r = record.clone();
                r[at] ^= 0x80;
                assert_eq!(
                    open_record(&mut d, &r),
                    Err(OpenError::Mac),
                    "etm {etm} byte {at}"
                );
                assert_eq!(d.seq(), 1);
            }
            // With and without encrypt-then-MAC are not interchangeable.
            let mut d = Decryptor::tls12(s, &kb.client, !etm);
            assert_eq!(
                open_record(&mut d, &record),
                Err(OpenError::Mac),
                "etm {etm}"
            );
            // Records must come in order.
            let mut d = Decryptor::tls12(s, &kb.client, etm);
            assert_eq!(open_record(&mut d, &seal(1, b"x")), Err(OpenError::Mac));
            assert_eq!(
                open_record(&mut d, &seal(1, b"x")),
                Ok((APPLICATION_DATA, b"x".to_vec()))
            );
        }
    }

    /// Encrypts `plain` (whole blocks) under the CBC keys and MACs nothing: records whose
    /// padding is chosen by the test, to see padding errors without MAC errors first.
    fn cbc_record_of_plaintext(s: &Suite, keys: &WriteKeys, plain: &[u8]) -> Vec<u8> {
        let mut buf = plain.to_vec();
        let iv = [7u8; 16];
        cbc_encrypt(s.cipher, &keys.key, &iv, &mut buf);
        let body = [&iv[..], &buf].concat();
        [&header(APPLICATION_DATA, body.len())[..], &body].concat()
    }

    #[test]
    fn bad_cbc_padding_is_a_mac_error_not_a_panic() {
        let s = suite(0xC013); // MAC 20 bytes
        let kb = test_keys(s);
        let cases: [(&str, Vec<u8>); 5] = [
            // padding_length 255 in a 32-byte plaintext: longer than the record.
            ("too long", [vec![0u8; 31], vec![255]].concat()),
            // padding bytes that disagree with padding_length.
            ("inconsistent", [vec![0u8; 28], vec![3, 3, 9, 3]].concat()),
            // padding that leaves no room for the MAC.
            ("eats the mac", vec![15u8; 32]),
            // a correct padding, then a MAC of zeros.
            ("wrong mac", [vec![0u8; 27], vec![4u8; 5]].concat()),
            // the longest padding there is, consistent, in 256 + 32 bytes.
            ("max padding", [vec![0u8; 32], vec![255u8; 256]].concat()),
        ];
        for (what, plain) in cases {
            let mut d = Decryptor::tls12(s, &kb.client, false);
            assert_eq!(
                open_record(&mut d, &cbc_record_of_plaintext(s, &kb.client, &plain)),
                Err(OpenError::Mac),
                "{what}"
            );
        }
        // Encrypt-then-MAC checks padding after the MAC: bad padding under a good MAC.
        let mut plain = [vec![0u8; 31], vec![200]].concat();
        cbc_encrypt(s.cipher, &kb.client.key, &[1; 16], &mut plain);
        let sealed = [&[1u8; 16][..], &plain].concat();
        let mac = hmac(
            Hash::Sha1,
            &kb.client.mac,
            &[&pseudo_header(0, &header(APPLICATION_DATA, 0), 48), &sealed],
        );
        let body = [&sealed[..], &mac].concat();
        let mut d = Decryptor::tls12(s, &kb.client, true);
        assert_eq!(
            open_record(
                &mut d,
                &[&header(APPLICATION_DATA, body.len())[..], &body].concat()
            ),
            Err(OpenError::Mac)
        );
    }

    #[test]
    fn cbc_ciphertext_not_whole_blocks_is_a_mac_error() {
        let s = suite(0xC013);
        let kb = test_keys(s);
        let record = seal_mac_then_encrypt(s, &kb.client, 0, APPLICATION_DATA, b"abc", 1);
        let mut cut = record[..record.len() - 1].to_vec();
        cut[4] -= 1;
        let mut d = Decryptor::tls12(s, &kb.client, false);
        assert_eq!(open_record(&mut d, &cut), Err(OpenError::Mac));
        let record = seal_encrypt_then_mac(s, &kb.client, 0, APPLICATION_DATA, b"abc");
        let mut d = Decryptor::tls12(s, &kb.client, true);
        let mut longer = record.clone();
        longer.insert(30, 0);
        assert_eq!(open_record(&mut d, &longer), Err(OpenError::Mac));
    }

    #[test]
    fn short_bodies_are_too_short() {
        let hdr = header(APPLICATION_DATA, 0);
        let mut out = vec![1, 2, 3];
        let cases: [(Decryptor, usize); 6] = [
            (Decryptor::tls13(suite(0x1301), &[0; 32]), 16),
            (Decryptor::tls13(suite(0x1305), &[0; 32]), 8),
            (
                Decryptor::tls12(suite(0xC02F), &test_keys(suite(0xC02F)).client, false),
                24,
            ),
            (
                Decryptor::tls12(suite(0xCCA8), &test_keys(suite(0xCCA8)).client, false),
                16,
            ),
            // IV + MAC (20) and the padding length byte, in whole blocks: 16 + 32.
            (
                Decryptor::tls12(suite(0xC013), &test_keys(suite(0xC013)).client, false),
                48,
            ),
            // IV + one block + MAC (48).
            (
                Decryptor::tls12(suite(0xC028), &test_keys(suite(0xC028)).client, true),
                80,
            ),
        ];
        for (mut d, need) in cases {
            for len in [0, need / 2, need - 1] {
                let body = vec![0u8; len];
                assert_eq!(
                    d.open(&hdr, &body, &mut out),
                    Err(OpenError::TooShort { len, need }),
                    "{d:?}"
                );
                assert!(out.is_empty());
            }
            assert_eq!(d.seq(), 3);
        }
    }

    #[test]
    fn keys_that_do_not_fit_are_refused() {
        let s = suite(0xC02F);
        let mut kb = test_keys(s);
        kb.client.key.pop();
        let mut d = Decryptor::tls12(s, &kb.client, false);
        let mut out = Vec::new();
        assert_eq!(
            d.open(&header(23, 40), &[0; 40], &mut out),
            Err(OpenError::Keys)
        );
        assert_eq!(d.seq(), 1);
        kb.server.iv.push(0);
        let mut d = Decryptor::tls12(s, &kb.server, false);
        assert_eq!(
            d.open(&header(23, 40), &[0; 40], &mut out),
            Err(OpenError::Keys)
        );
        let cbc = suite(0xC013);
        let mut kb = test_keys(cbc);
        kb.client.mac.truncate(10);
        let mut d = Decryptor::tls12(cbc, &kb.client, false);
        assert_eq!(
            d.open(&header(23, 64), &[0; 64], &mut out),
            Err(OpenError::Keys)
        );
        // A TLS 1.2 CBC suite has no TLS 1.3 record layout.
        let mut d = Decryptor::tls13(cbc, &[0; 32]);
        assert_eq!(
            d.open(&header(23, 64), &[0; 64], &mut out),
            Err(OpenError::Keys)
        );
    }

    #[test]
    fn output_buffer_is_reused_and_cleared_on_error() {
        let s = suite(0x1301);
        let mut d = Decryptor::tls13(s, &h(RFC8448_S_HS));
        let mut out = Vec::with_capacity(4096);
        let record = h(RFC8448_S_HS_RECORD);
        let ptr = out.as_ptr();
        let header: [u8; 5] = record[..5].try_into().expect("5");
        assert_eq!(d.open(&header, &record[5..], &mut out), Ok(HANDSHAKE));
        assert_eq!(out.as_ptr(), ptr);
        assert_eq!(out.len(), 657);
        assert_eq!(d.open(&header, &record[5..], &mut out), Err(OpenError::Tag));
        assert!(out.is_empty());
    }

    #[test]
    fn debug_shows_suite_and_sequence_only() {
        let mut d = Decryptor::tls13(suite(0x1301), &h(RFC8448_S_AP));
        let _ = open_record(&mut d, &h(RFC8448_S_NST_RECORD));
        let shown = format!("{d:?}");
        assert!(
            shown.contains("TLS_AES_128_GCM_SHA256") && shown.contains("seq: 1"),
            "{shown}"
        );
        assert!(!shown.contains('['), "{shown}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn open_never_panics(
            header in proptest::array::uniform5(proptest::num::u8::ANY),
            bodies in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..300), 1..4),
        ) {
            let mut out = Vec::new();
            for suite in all() {
                let mut decryptors = vec![Decryptor::tls13(suite, &[5; 32])];
                if suite.version == Version::Tls12 {
                    let kb = test_keys(suite);
                    decryptors.push(Decryptor::tls12(suite, &kb.client, false));
                    decryptors.push(Decryptor::tls12(suite, &kb.client, true));
                }
                for d in &mut decryptors {
                    for body in &bodies {
                        let _ = d.open(&header, body, &mut out);
                    }
                    proptest::prop_assert_eq!(d.seq(), bodies.len() as u64);
                }
            }
        }

        #[test]
        fn cbc_plaintexts_of_any_padding_never_panic(
            blocks in proptest::collection::vec(proptest::num::u8::ANY, 1..8),
            last in proptest::num::u8::ANY,
        ) {
            // Plaintexts under real keys whose last byte (the padding length) is any value:
            // what decryption yields before the padding and MAC checks.
            let s = suite(0xC014);
            let kb = test_keys(s);
            let mut plain: Vec<u8> = blocks.iter().flat_map(|&b| [b; 16]).collect();
            if let Some(l) = plain.last_mut() {
                *l = last;
            }
            let mut d = Decryptor::tls12(s, &kb.client, false);
            let record = cbc_record_of_plaintext(s, &kb.client, &plain);
            let opened = open_record(&mut d, &record);
            proptest::prop_assert!(opened.is_err());
        }
    }
}
