//! Cipher suites: which ones can be decrypted, and what each one uses to protect records.
//!
//! A suite fixes, for the record layer, the bulk cipher and its key length, the hash of the key
//! derivation (TLS 1.3 HKDF, RFC 8446 §7.1; TLS 1.2 PRF, RFC 5246 §5) and, for CBC suites, the
//! HMAC hash (RFC 5246 §6.2.3.2). The key exchange named in a TLS 1.2 suite (RSA, DHE, ECDHE)
//! does not matter here: the key log gives the master secret whichever way it was agreed, and
//! the record protection of `TLS_RSA_WITH_AES_128_GCM_SHA256` is that of
//! `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
//!
//! [`supported`] lists what [`super::cipher::Decryptor`] can open; [`name`] also knows many suites
//! it cannot (RC4, 3DES, PSK, CAMELLIA, …), so that a capture using one is reported by name.
//! Codes and names are those of the IANA "TLS Cipher Suites" registry; the suites themselves are
//! defined in RFC 8446 §B.4 (TLS 1.3), RFC 5246 Appendix C, RFC 5288 (GCM), RFC 5289 (ECDHE
//! with SHA-256/384), RFC 6655 and RFC 7251 (CCM), RFC 7905 (ChaCha20-Poly1305) and RFC 8422.

/// A hash function, as the PRF or HKDF hash of a suite or as the HMAC of a CBC suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    /// Only as the HMAC of `…_CBC_SHA` suites; never a PRF or HKDF hash in TLS 1.2 or 1.3.
    Sha1,
    Sha256,
    Sha384,
}

impl Hash {
    /// The length of a digest, in bytes: also the length of TLS 1.3 secrets of a suite with this
    /// hash, and of the HMAC key and tag of a CBC suite.
    pub(crate) const fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
        }
    }
}

/// The protocol version a suite belongs to: TLS 1.3 suites name no key exchange and are used
/// with TLS 1.3 only; the others are TLS 1.2's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Version {
    Tls12,
    Tls13,
}

/// The bulk cipher that protects records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cipher {
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
    /// AES-128-CCM with a 16-byte tag.
    Aes128Ccm,
    /// AES-128-CCM with an 8-byte tag.
    Aes128Ccm8,
    Aes128Cbc,
    Aes256Cbc,
}

impl Cipher {
    /// The length of the encryption key, in bytes.
    pub(crate) const fn key_len(self) -> usize {
        match self {
            Cipher::Aes128Gcm | Cipher::Aes128Ccm | Cipher::Aes128Ccm8 | Cipher::Aes128Cbc => 16,
            Cipher::Aes256Gcm | Cipher::ChaCha20Poly1305 | Cipher::Aes256Cbc => 32,
        }
    }

    /// Whether the cipher is an AEAD (everything but CBC).
    pub(crate) const fn is_aead(self) -> bool {
        !matches!(self, Cipher::Aes128Cbc | Cipher::Aes256Cbc)
    }

    /// The length of the AEAD tag; 0 for CBC, whose MAC is the suite's [`Suite::mac`].
    #[cfg(test)]
    pub(crate) const fn tag_len(self) -> usize {
        match self {
            Cipher::Aes128Gcm
            | Cipher::Aes256Gcm
            | Cipher::ChaCha20Poly1305
            | Cipher::Aes128Ccm => 16,
            Cipher::Aes128Ccm8 => 8,
            Cipher::Aes128Cbc | Cipher::Aes256Cbc => 0,
        }
    }
}

/// A cipher suite that can be decrypted.
#[derive(Debug)]
pub(crate) struct Suite {
    /// The two-byte code of the ServerHello's `cipher_suite`.
    pub(crate) code: u16,
    /// The IANA name.
    pub(crate) name: &'static str,
    pub(crate) version: Version,
    pub(crate) cipher: Cipher,
    /// The PRF hash (TLS 1.2) or HKDF hash (TLS 1.3). TLS 1.2 suites whose name ends in
    /// `_SHA384` use SHA-384; every other TLS 1.2 suite, `…_CBC_SHA` included, uses SHA-256
    /// (RFC 5246 §5: the `…_SHA` suites of earlier versions take the TLS 1.2 default).
    pub(crate) hash: Hash,
    /// The HMAC hash of a CBC suite; `None` for AEAD suites.
    pub(crate) mac: Option<Hash>,
}

impl Suite {
    /// The length of the write IV the key schedule gives each side: TLS 1.3 always 12 bytes
    /// (RFC 8446 §5.3); TLS 1.2 the 4-byte implicit salt of GCM and CCM (RFC 5288 §3,
    /// RFC 6655 §3), the 12-byte nonce mask of ChaCha20-Poly1305 (RFC 7905 §2), nothing for CBC,
    /// whose IV travels in each record (RFC 5246 §6.2.3.2).
    pub(crate) const fn fixed_iv_len(&self) -> usize {
        match (self.version, self.cipher) {
            (Version::Tls13, _) | (Version::Tls12, Cipher::ChaCha20Poly1305) => 12,
            (Version::Tls12, Cipher::Aes128Cbc | Cipher::Aes256Cbc) => 0,
            (Version::Tls12, _) => 4,
        }
    }

    /// The length of the CBC MAC key and tag; 0 for AEAD suites.
    pub(crate) const fn mac_len(&self) -> usize {
        match self.mac {
            Some(h) => h.len(),
            None => 0,
        }
    }
}

const fn s(
    code: u16,
    name: &'static str,
    version: Version,
    cipher: Cipher,
    hash: Hash,
    mac: Option<Hash>,
) -> Suite {
    Suite {
        code,
        name,
        version,
        cipher,
        hash,
        mac,
    }
}

use Cipher::*;
use Hash::*;
use Version::*;

/// Every suite [`supported`] returns, by code.
#[rustfmt::skip]
static SUPPORTED: &[Suite] = &[
    // TLS 1.3 (RFC 8446 §B.4).
    s(0x1301, "TLS_AES_128_GCM_SHA256", Tls13, Aes128Gcm, Sha256, None),
    s(0x1302, "TLS_AES_256_GCM_SHA384", Tls13, Aes256Gcm, Sha384, None),
    s(0x1303, "TLS_CHACHA20_POLY1305_SHA256", Tls13, ChaCha20Poly1305, Sha256, None),
    s(0x1304, "TLS_AES_128_CCM_SHA256", Tls13, Aes128Ccm, Sha256, None),
    s(0x1305, "TLS_AES_128_CCM_8_SHA256", Tls13, Aes128Ccm8, Sha256, None),
    // TLS 1.2, RSA key exchange (RFC 5246, RFC 5288, RFC 6655).
    s(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", Tls12, Aes128Cbc, Sha256, Some(Sha1)),
    s(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", Tls12, Aes256Cbc, Sha256, Some(Sha1)),
    s(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", Tls12, Aes128Cbc, Sha256, Some(Sha256)),
    s(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", Tls12, Aes256Cbc, Sha256, Some(Sha256)),
    s(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", Tls12, Aes128Gcm, Sha256, None),
    s(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", Tls12, Aes256Gcm, Sha384, None),
    s(0xC09C, "TLS_RSA_WITH_AES_128_CCM", Tls12, Aes128Ccm, Sha256, None),
    s(0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", Tls12, Aes128Ccm8, Sha256, None),
    // TLS 1.2, DHE_RSA.
    s(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", Tls12, Aes128Cbc, Sha256, Some(Sha1)),
    s(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", Tls12, Aes256Cbc, Sha256, Some(Sha1)),
    s(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", Tls12, Aes128Cbc, Sha256, Some(Sha256)),
    s(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", Tls12, Aes256Cbc, Sha256, Some(Sha256)),
    s(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", Tls12, Aes128Gcm, Sha256, None),
    s(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", Tls12, Aes256Gcm, Sha384, None),
    s(0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", Tls12, Aes128Ccm, Sha256, None),
    s(0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", Tls12, Aes128Ccm8, Sha256, None),
    s(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Tls12, ChaCha20Poly1305, Sha256, None),
    // TLS 1.2, ECDHE_ECDSA (RFC 8422, RFC 5289, RFC 7251, RFC 7905).
    s(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Tls12, Aes128Cbc, Sha256, Some(Sha1)),
    s(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", Tls12, Aes256Cbc, Sha256, Some(Sha1)),
    s(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", Tls12, Aes128Cbc, Sha256, Some(Sha256)),
    s(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", Tls12, Aes256Cbc, Sha384, Some(Sha384)),
    s(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Tls12, Aes128Gcm, Sha256, None),
    s(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Tls12, Aes256Gcm, Sha384, None),
    s(0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", Tls12, Aes128Ccm, Sha256, None),
    s(0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", Tls12, Aes128Ccm8, Sha256, None),
    s(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", Tls12, ChaCha20Poly1305, Sha256, None),
    // TLS 1.2, ECDHE_RSA.
    s(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Tls12, Aes128Cbc, Sha256, Some(Sha1)),
    s(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", Tls12, Aes256Cbc, Sha256, Some(Sha1)),
    s(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", Tls12, Aes128Cbc, Sha256, Some(Sha256)),
    s(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", Tls12, Aes256Cbc, Sha384, Some(Sha384)),
    s(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Tls12, Aes128Gcm, Sha256, None),
    s(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Tls12, Aes256Gcm, Sha384, None),
    s(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Tls12, ChaCha20Poly1305, Sha256, None),
];

/// Suites a peer may pick that cannot be decrypted here, by code, for naming them in messages.
static UNSUPPORTED: &[(u16, &str)] = &[
    (0x0000, "TLS_NULL_WITH_NULL_NULL"),
    (0x0001, "TLS_RSA_WITH_NULL_MD5"),
    (0x0002, "TLS_RSA_WITH_NULL_SHA"),
    (0x0004, "TLS_RSA_WITH_RC4_128_MD5"),
    (0x0005, "TLS_RSA_WITH_RC4_128_SHA"),
    (0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA"),
    (0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA"),
    (0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA"),
    (0x003B, "TLS_RSA_WITH_NULL_SHA256"),
    (0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256"),
    (0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA"),
    (0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256"),
    (0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA"),
    (0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA"),
    (0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA"),
    (0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256"),
    (0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384"),
    (0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384"),
    (0x00C6, "TLS_SM4_GCM_SM3"),
    (0x00C7, "TLS_SM4_CCM_SM3"),
    (0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
    (0x5600, "TLS_FALLBACK_SCSV"),
    (0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA"),
    (0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA"),
    (0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"),
    (0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA"),
    (0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA"),
    (0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
    (0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"),
    (0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA"),
    (0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA"),
    (0xC09D, "TLS_RSA_WITH_AES_256_CCM"),
    (0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM"),
    (0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8"),
    (0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8"),
    (0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"),
    (0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"),
    (0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256"),
    (0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"),
    (0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384"),
];

/// A suite we can decrypt.
pub(crate) fn supported(code: u16) -> Option<&'static Suite> {
    SUPPORTED.iter().find(|s| s.code == code)
}

/// The IANA name of any suite a real peer may pick, supported or not, for messages like "cipher
/// suite TLS_RSA_WITH_RC4_128_SHA is not supported". `None` for a code not listed here (the
/// caller then shows the number).
pub(crate) fn name(code: u16) -> Option<&'static str> {
    supported(code).map(|s| s.name).or_else(|| {
        UNSUPPORTED
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, n)| *n)
    })
}

/// Every supported suite, for tests that must cover each one.
#[cfg(test)]
pub(crate) fn all() -> &'static [Suite] {
    SUPPORTED
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_listed_once() {
        let mut codes: Vec<u16> = SUPPORTED
            .iter()
            .map(|s| s.code)
            .chain(UNSUPPORTED.iter().map(|(c, _)| *c))
            .collect();
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
    }

    #[test]
    fn names_follow_what_the_suites_use() {
        for s in SUPPORTED {
            assert_eq!(
                s.version == Version::Tls13,
                !s.name.contains("_WITH_"),
                "{}",
                s.name
            );
            // The name ends in the PRF/HKDF hash, or in the MAC hash of a CBC suite.
            let ends_384 = s.name.ends_with("SHA384");
            assert_eq!(s.hash == Sha384, ends_384, "{}", s.name);
            let want_mac = if !s.name.contains("_CBC_") {
                None
            } else if s.name.ends_with("_SHA") {
                Some(Sha1)
            } else if ends_384 {
                Some(Sha384)
            } else {
                Some(Sha256)
            };
            assert_eq!(s.mac, want_mac, "{}", s.name);
            assert_eq!(s.cipher.is_aead(), s.mac.is_none(), "{}", s.name);
            let want_cipher = if s.name.contains("CHACHA20_POLY1305") {
                ChaCha20Poly1305
            } else if s.name.contains("AES_128_GCM") {
                Aes128Gcm
            } else if s.name.contains("AES_256_GCM") {
                Aes256Gcm
            } else if s.name.contains("AES_128_CCM_8") {
                Aes128Ccm8
            } else if s.name.contains("AES_128_CCM") {
                Aes128Ccm
            } else if s.name.contains("AES_128_CBC") {
                Aes128Cbc
            } else {
                assert!(s.name.contains("AES_256_CBC"), "{}", s.name);
                Aes256Cbc
            };
            assert_eq!(s.cipher, want_cipher, "{}", s.name);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            supported(0x1301).map(|s| s.name),
            Some("TLS_AES_128_GCM_SHA256")
        );
        assert_eq!(
            supported(0xC030).map(|s| (s.cipher, s.hash)),
            Some((Aes256Gcm, Sha384))
        );
        assert!(supported(0x0005).is_none());
        assert_eq!(name(0x0005), Some("TLS_RSA_WITH_RC4_128_SHA"));
        assert_eq!(name(0xC012), Some("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"));
        assert_eq!(name(0xC02F), Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
        assert_eq!(name(0xABCD), None);
    }

    #[test]
    fn iv_lengths() {
        let iv = |c| supported(c).map(|s| s.fixed_iv_len());
        assert_eq!(iv(0x1303), Some(12));
        assert_eq!(iv(0xCCA8), Some(12));
        assert_eq!(iv(0xC02F), Some(4));
        assert_eq!(iv(0xC0AE), Some(4));
        assert_eq!(iv(0xC013), Some(0));
    }
}
