//! Key derivation: from the secrets of a key log to the keys and IVs that protect records.
//!
//! - TLS 1.3: the key log gives the traffic secrets themselves; [`expand_label`] is
//!   HKDF-Expand-Label (RFC 8446 §7.1), from which the record key and IV follow (§7.3), and
//!   [`next_secret`] is the traffic secret after a KeyUpdate (§7.2).
//! - TLS 1.2: the key log gives the 48-byte master secret; [`prf`] is the PRF P_hash
//!   (RFC 5246 §5) and [`key_block`] expands the master secret into each side's MAC key,
//!   encryption key and IV (RFC 5246 §6.3).
//!
//! The extended master secret (RFC 7627) changes only how the master secret is derived from
//! the handshake, which the key log already did: the key block is derived the same way either
//! way, so there is nothing here for it.
//!
//! HMAC, SHA-2 and HKDF-Extract/Expand come from the RustCrypto crates; what is written here
//! is the TLS framing around them.

use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Sha256, Sha384};

use super::suite::{Hash, Suite};

/// RFC 8446 §7.1 HKDF-Expand-Label(secret, label, context, length), the label without its
/// "tls13 " prefix.
///
/// A `secret` shorter than the hash is accepted: HKDF-Expand is HMAC keyed with it, and HMAC
/// pads a short key with zeros, so the result is that of the same secret padded to the hash
/// length (the `hkdf` crate refuses such a key outright). A key log value of the wrong length
/// then yields keys that do not decrypt, rather than a panic.
///
/// # Panics
/// If `len` exceeds 255 digests, or `label` (249 bytes) or `context` (255 bytes) exceeds what
/// an HkdfLabel can carry. Callers pass key, IV and digest lengths, fixed labels and at most a
/// digest as context.
pub(crate) fn expand_label(
    hash: Hash,
    secret: &[u8],
    label: &str,
    context: &[u8],
    len: usize,
) -> Vec<u8> {
    let mut out = vec![0; len];
    expand_label_into(hash, secret, label, context, &mut out);
    out
}

/// [`expand_label`] into a buffer, whose length is the length asked for.
fn expand_label_into(hash: Hash, secret: &[u8], label: &str, context: &[u8], out: &mut [u8]) {
    const PREFIX: &[u8] = b"tls13 ";
    // struct { uint16 length; opaque label<7..255>; opaque context<0..255>; } HkdfLabel,
    // given to HKDF-Expand in pieces rather than assembled.
    let length = u16::try_from(out.len())
        .expect("HKDF-Expand-Label: output lengths are key, IV or digest lengths")
        .to_be_bytes();
    let label_len = [u8::try_from(PREFIX.len() + label.len())
        .expect("HKDF-Expand-Label: labels are the short fixed ones of RFC 8446")];
    let context_len = [
        u8::try_from(context.len()).expect("HKDF-Expand-Label: the context is empty or a digest")
    ];
    let info: [&[u8]; 6] = [
        &length,
        &label_len,
        PREFIX,
        label.as_bytes(),
        &context_len,
        context,
    ];
    match hash {
        Hash::Sha256 => expand::<Sha256>(secret, &info, out),
        Hash::Sha384 => expand::<Sha384>(secret, &info, out),
        // No suite derives its keys with SHA-1; it is only ever a CBC MAC.
        Hash::Sha1 => expand::<sha1::Sha1>(secret, &info, out),
    }
}

/// HKDF-Expand (RFC 5869 §2.3) of `prk` with the concatenation of `info`.
fn expand<D>(prk: &[u8], info: &[&[u8]], out: &mut [u8])
where
    D: hmac::EagerHash,
    Hmac<D>: Clone,
{
    let n = <D as hmac::digest::OutputSizeUser>::output_size();
    // HMAC pads keys shorter than its block with zeros, and the digest is shorter than the
    // block: padding a short secret to the digest length changes nothing but satisfies the
    // crate's length check (see `expand_label`).
    let mut padded = [0u8; 64];
    let prk = if prk.len() < n && n <= padded.len() {
        padded[..prk.len()].copy_from_slice(prk);
        &padded[..n]
    } else {
        prk
    };
    let hkdf = Hkdf::<D>::from_prk(prk).expect("a secret at least as long as the digest");
    hkdf.expand_multi_info(info, out)
        .expect("HKDF-Expand: output lengths are key, IV or digest lengths");
}

/// The traffic secret after a KeyUpdate (RFC 8446 §7.2):
/// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
pub(crate) fn next_secret(hash: Hash, secret: &[u8]) -> Vec<u8> {
    expand_label(hash, secret, "traffic upd", b"", hash.len())
}

/// The record key and IV of a TLS 1.3 traffic secret (RFC 8446 §7.3):
/// HKDF-Expand-Label(secret, "key", "", key_length) and HKDF-Expand-Label(secret, "iv", "", 12).
pub(crate) fn traffic_keys(suite: &Suite, secret: &[u8]) -> (Vec<u8>, [u8; 12]) {
    let key = expand_label(suite.hash, secret, "key", b"", suite.cipher.key_len());
    let mut iv = [0u8; 12];
    expand_label_into(suite.hash, secret, "iv", b"", &mut iv);
    (key, iv)
}

/// RFC 5246 §5 PRF(secret, label, seed) = `P_<hash>(secret, label + seed)`, `len` bytes.
///
/// `hash` is the suite's PRF hash, SHA-256 or SHA-384 (SHA-1 gives P_SHA1, which TLS 1.2
/// never uses on its own).
pub(crate) fn prf(hash: Hash, secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0; len];
    match hash {
        Hash::Sha256 => p_hash::<Hmac<Sha256>>(secret, &[label, seed], &mut out),
        Hash::Sha384 => p_hash::<Hmac<Sha384>>(secret, &[label, seed], &mut out),
        Hash::Sha1 => p_hash::<Hmac<sha1::Sha1>>(secret, &[label, seed], &mut out),
    }
    out
}

/// P_hash(secret, seed) = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …, with
/// A(0) = seed and A(i) = HMAC(secret, A(i-1)); the seed given in pieces.
fn p_hash<M: Mac + KeyInit + Clone>(secret: &[u8], seed: &[&[u8]], out: &mut [u8]) {
    let keyed = <M as KeyInit>::new_from_slice(secret).expect("HMAC accepts keys of any length");
    // A(1)
    let mut mac = keyed.clone();
    for s in seed {
        mac.update(s);
    }
    let mut a = mac.finalize().into_bytes();
    for chunk in out.chunks_mut(a.len()) {
        let mut mac = keyed.clone();
        mac.update(&a);
        for s in seed {
            mac.update(s);
        }
        let block = mac.finalize().into_bytes();
        chunk.copy_from_slice(&block[..chunk.len()]);
        let mut next = keyed.clone();
        next.update(&a);
        a = next.finalize().into_bytes();
    }
}

/// Each side's keys of a TLS 1.2 connection, from the key block.
pub(crate) struct KeyBlock {
    pub(crate) client: WriteKeys,
    pub(crate) server: WriteKeys,
}

/// The keys one side writes with: its MAC key (CBC suites; empty for AEAD), its encryption key
/// and its IV ([`Suite::fixed_iv_len`] bytes: the implicit salt of GCM and CCM, the nonce mask
/// of ChaCha20-Poly1305, empty for CBC, whose IV is in each record).
pub(crate) struct WriteKeys {
    pub(crate) mac: Vec<u8>,
    pub(crate) key: Vec<u8>,
    pub(crate) iv: Vec<u8>,
}

// Keys are not shown, not even in debug output.
impl std::fmt::Debug for WriteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteKeys")
            .field("mac_len", &self.mac.len())
            .field("key_len", &self.key.len())
            .field("iv_len", &self.iv.len())
            .finish()
    }
}

impl std::fmt::Debug for KeyBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyBlock")
            .field("client", &self.client)
            .field("server", &self.server)
            .finish()
    }
}

/// TLS 1.2: the key block PRF(master_secret, "key expansion", server_random + client_random),
/// cut into client_write_MAC_key, server_write_MAC_key, client_write_key, server_write_key,
/// client_write_IV, server_write_IV, in that order (RFC 5246 §6.3), each as long as `suite`
/// says.
pub(crate) fn key_block(
    suite: &Suite,
    master: &[u8],
    client_random: &[u8; 32],
    server_random: &[u8; 32],
) -> KeyBlock {
    let mac_len = suite.mac_len();
    let key_len = suite.cipher.key_len();
    let iv_len = suite.fixed_iv_len();
    let mut seed = [0u8; 64];
    seed[..32].copy_from_slice(server_random);
    seed[32..].copy_from_slice(client_random);
    let block = prf(
        suite.hash,
        master,
        b"key expansion",
        &seed,
        2 * (mac_len + key_len + iv_len),
    );
    let mut rest = block.as_slice();
    let mut take = |n: usize| {
        let (head, tail) = rest.split_at(n);
        rest = tail;
        head.to_vec()
    };
    let (client_mac, server_mac) = (take(mac_len), take(mac_len));
    let (client_key, server_key) = (take(key_len), take(key_len));
    let (client_iv, server_iv) = (take(iv_len), take(iv_len));
    KeyBlock {
        client: WriteKeys {
            mac: client_mac,
            key: client_key,
            iv: client_iv,
        },
        server: WriteKeys {
            mac: server_mac,
            key: server_key,
            iv: server_iv,
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::tls::suite::supported;

    /// Bytes from hex written with or without spaces and line breaks, as the RFCs print them.
    pub(crate) fn h(s: &str) -> Vec<u8> {
        let digits: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        hex::decode(digits).expect("test hex")
    }

    // RFC 8448 §3 (Simple 1-RTT Handshake): the traffic secrets ("expanded" of "derive secret
    // tls13 {c,s} {hs,ap} traffic") and the keys and IVs it derives from them ("derive
    // {read,write} traffic keys for {handshake,application} data"), copied from the RFC text.
    pub(crate) const RFC8448_S_HS: &str = "b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38";
    pub(crate) const RFC8448_C_HS: &str = "b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21";
    pub(crate) const RFC8448_S_AP: &str = "a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43";
    pub(crate) const RFC8448_C_AP: &str = "9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5";

    #[test]
    fn rfc8448_1rtt_traffic_keys() {
        let suite = supported(0x1301).expect("TLS_AES_128_GCM_SHA256");
        let cases = [
            (
                RFC8448_S_HS,
                "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
                "5d 31 3e b2 67 12 76 ee 13 00 0b 30",
            ),
            (
                RFC8448_C_HS,
                "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
                "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f",
            ),
            (
                RFC8448_S_AP,
                "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
                "cf 78 2b 88 dd 83 54 9a ad f1 e9 84",
            ),
            (
                RFC8448_C_AP,
                "17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51",
                "5b 78 92 3d ee 08 57 90 33 e5 23 d9",
            ),
        ];
        for (secret, key, iv) in cases {
            let (k, i) = traffic_keys(suite, &h(secret));
            assert_eq!(k, h(key));
            assert_eq!(i.to_vec(), h(iv));
            assert_eq!(
                expand_label(Hash::Sha256, &h(secret), "key", b"", 16),
                h(key)
            );
        }
    }

    #[test]
    fn rfc8448_1rtt_secrets_from_the_key_schedule() {
        // The same trace derives the traffic secrets themselves with Derive-Secret =
        // HKDF-Expand-Label(Secret, Label, Transcript-Hash, Hash.length), printing each "hash"
        // and "expanded": a check of the label encoding with a non-empty context.
        let handshake_secret = h(
            "1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac",
        );
        let hello_hash = h(
            "86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8",
        );
        let s_hs = expand_label(
            Hash::Sha256,
            &handshake_secret,
            "s hs traffic",
            &hello_hash,
            32,
        );
        assert_eq!(s_hs, h(RFC8448_S_HS));
        let c_hs = expand_label(
            Hash::Sha256,
            &handshake_secret,
            "c hs traffic",
            &hello_hash,
            32,
        );
        assert_eq!(c_hs, h(RFC8448_C_HS));

        let master_secret = h(
            "18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19",
        );
        let server_finished_hash = h(
            "96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13",
        );
        let s_ap = expand_label(
            Hash::Sha256,
            &master_secret,
            "s ap traffic",
            &server_finished_hash,
            32,
        );
        assert_eq!(s_ap, h(RFC8448_S_AP));
        let c_ap = expand_label(
            Hash::Sha256,
            &master_secret,
            "c ap traffic",
            &server_finished_hash,
            32,
        );
        assert_eq!(c_ap, h(RFC8448_C_AP));

        // "{client} calculate finished": finished_key = HKDF-Expand-Label(c hs, "finished", "", 32).
        assert_eq!(
            expand_label(Hash::Sha256, &h(RFC8448_C_HS), "finished", b"", 32),
            h(
                "b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4"
            )
        );
    }

    #[test]
    fn rfc8448_0rtt_early_traffic_keys() {
        // RFC 8448 §4 (Resumed 0-RTT Handshake), "{client} derive write traffic keys for early
        // application data".
        let suite = supported(0x1301).expect("TLS_AES_128_GCM_SHA256");
        let early = h(
            "3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62",
        );
        let (k, i) = traffic_keys(suite, &early);
        assert_eq!(k, h("92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54"));
        assert_eq!(i.to_vec(), h("6d 47 5f 09 93 c8 e5 64 61 0d b2 b9"));
    }

    #[test]
    fn illustrated_tls13_sha384_traffic_keys() {
        // The Illustrated TLS 1.3 Connection (github.com/syncsynchalt/illustrated-tls13): a
        // TLS_AES_256_GCM_SHA384 connection whose key log (captures/keylog.txt) gives the
        // secrets, and whose captures/caps/Makefile the keys and IVs it decrypted with.
        let suite = supported(0x1302).expect("TLS_AES_256_GCM_SHA384");
        let cases = [
            (
                "23323da031634b241dd37d61032b62a4f450584d1f7f47983ba2f7cc0cdcc39a68f481f2b019f9403a3051908a5d1622",
                "9f13575ce3f8cfc1df64a77ceaffe89700b492ad31b4fab01c4792be1b266b7f",
                "9563bc8b590f671f488d2da3",
            ),
            (
                "db89d2d6df0e84fed74a2288f8fd4d0959f790ff23946cdf4c26d85e51bebd42ae184501972f8d30c4a3e4a3693d0ef0",
                "1135b4826a9a70257e5a391ad93093dfd7c4214812f493b3e3daae1eb2b1ac69",
                "4256d2e0e88babdd05eb2f27",
            ),
            (
                "86c967fd7747a36a0685b4ed8d0e6b4c02b4ddaf3cd294aa44e9f6b0183bf911e89a189ba5dfd71fccffb5cc164901f8",
                "01f78623f17e3edcc09e944027ba3218d57c8e0db93cd3ac419309274700ac27",
                "196a750b0c5049c0cc51a541",
            ),
            (
                "9e47af27cb60d818a9ea7d233cb5ed4cc525fcd74614fb24b0ee59acb8e5aa7ff8d88b89792114208fec291a6fa96bad",
                "de2f4c7672723a692319873e5c227606691a32d1c59d8b9f51dbb9352e9ca9cc",
                "bb007956f474b25de902432f",
            ),
        ];
        for (secret, key, iv) in cases {
            let (k, i) = traffic_keys(suite, &h(secret));
            assert_eq!(k, h(key));
            assert_eq!(i.to_vec(), h(iv));
        }
    }

    #[test]
    fn next_secret_is_traffic_upd_of_hash_length() {
        for hash in [Hash::Sha256, Hash::Sha384] {
            let s = vec![7u8; hash.len()];
            let n = next_secret(hash, &s);
            assert_eq!(n.len(), hash.len());
            assert_eq!(n, expand_label(hash, &s, "traffic upd", b"", hash.len()));
            assert_ne!(n, s);
            assert_ne!(next_secret(hash, &n), n);
        }
    }

    #[test]
    fn short_secret_is_the_same_secret_zero_padded() {
        let short = h("01 02 03");
        let mut padded = short.clone();
        padded.resize(32, 0);
        assert_eq!(
            expand_label(Hash::Sha256, &short, "key", b"", 16),
            expand_label(Hash::Sha256, &padded, "key", b"", 16)
        );
        // And the same as HKDF-Expand computed by hand: T(1) = HMAC(PRK, info || 0x01).
        let info = h("00 10 09 74 6c 73 31 33 20 6b 65 79 00");
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&short).expect("any length");
        mac.update(&info);
        mac.update(&[1]);
        let t1 = mac.finalize().into_bytes();
        assert_eq!(expand_label(Hash::Sha256, &short, "key", b"", 16), t1[..16]);
        // Empty and over-long secrets are fine too.
        assert_eq!(expand_label(Hash::Sha384, b"", "iv", b"", 12).len(), 12);
        assert_eq!(
            expand_label(Hash::Sha256, &[9; 200], "iv", b"", 12).len(),
            12
        );
    }

    // The TLS 1.2 PRF test vectors posted to the IETF TLS working group list
    // (www.ietf.org/mail-archive/web/tls/current/msg03416.html) and reproduced in many TLS
    // test suites: "Generating 100 bytes of pseudo-randomness using TLS1.2PRF-SHA256" and
    // "Generating 148 bytes of pseudo-randomness using TLS1.2PRF-SHA384".
    #[test]
    fn prf_sha256_vector() {
        let out = prf(
            Hash::Sha256,
            &h("9b be 43 6b a9 40 f0 17 b1 76 52 84 9a 71 db 35"),
            b"test label",
            &h("a0 ba 9f 93 6c da 31 18 27 a6 f7 96 ff d5 19 8c"),
            100,
        );
        assert_eq!(
            out,
            h("e3 f2 29 ba 72 7b e1 7b 8d 12 26 20 55 7c d4 53
               c2 aa b2 1d 07 c3 d4 95 32 9b 52 d4 e6 1e db 5a
               6b 30 17 91 e9 0d 35 c9 c9 a4 6b 4e 14 ba f9 af
               0f a0 22 f7 07 7d ef 17 ab fd 37 97 c0 56 4b ab
               4f bc 91 66 6e 9d ef 9b 97 fc e3 4f 79 67 89 ba
               a4 80 82 d1 22 ee 42 c5 a7 2e 5a 51 10 ff f7 01
               87 34 7b 66")
        );
    }

    #[test]
    fn prf_sha384_vector() {
        let out = prf(
            Hash::Sha384,
            &h("b8 0b 73 3d 6c ee fc dc 71 56 6e a4 8e 55 67 df"),
            b"test label",
            &h("cd 66 5c f6 a8 44 7d d6 ff 8b 27 55 5e db 74 65"),
            148,
        );
        assert_eq!(
            out,
            h(
                "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd
               e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd
               8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425
               9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6
               91c8f3a26854308d5eaa3be85e0990703d73e56f"
            )
        );
    }

    #[test]
    fn prf_prefixes_agree() {
        // P_hash is a stream: a shorter output is a prefix of a longer one.
        let long = prf(Hash::Sha384, b"k", b"l", b"s", 200);
        for n in [0, 1, 47, 48, 49, 96, 199] {
            assert_eq!(prf(Hash::Sha384, b"k", b"l", b"s", n), long[..n]);
        }
    }

    #[test]
    fn illustrated_tls12_key_block() {
        // The Illustrated TLS 1.2 Connection (github.com/syncsynchalt/illustrated-tls12): a
        // TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA connection, its master secret from
        // captures/keylog.txt, its randoms from the ClientHello (00 01 … 1f) and ServerHello
        // (70 71 … 8f), and the keys the site derives ("Client Encryption Keys Calculation").
        let suite = supported(0xC013).expect("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA");
        let master = h(
            "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c",
        );
        let client_random: [u8; 32] = std::array::from_fn(|i| i as u8);
        let server_random: [u8; 32] = std::array::from_fn(|i| 0x70 + i as u8);
        let kb = key_block(suite, &master, &client_random, &server_random);
        assert_eq!(kb.client.mac, h("1b7d117c7d5f690bc263cae8ef60af0f1878acc2"));
        assert_eq!(kb.server.mac, h("2ad8bdd8c601a617126f63540eb20906f781fad2"));
        assert_eq!(kb.client.key, h("f656d037b173ef3e11169f27231a84b6"));
        assert_eq!(kb.server.key, h("752a18e7a9fcb7cbcdd8f98dd8f769eb"));
        // TLS 1.2 CBC takes no IV from the key block (the site also prints the IVs TLS 1.0
        // would take from it).
        assert!(kb.client.iv.is_empty() && kb.server.iv.is_empty());
    }

    #[test]
    fn key_block_lengths_and_layout() {
        let master = [0x42u8; 48];
        let (cr, sr) = ([1u8; 32], [2u8; 32]);
        for code in [
            0x1301u16, 0xC02F, 0xC030, 0xCCA8, 0xC0AE, 0xC013, 0xC028, 0x003D,
        ] {
            let suite = supported(code).expect("listed");
            if suite.version != crate::tls::suite::Version::Tls12 {
                continue;
            }
            let kb = key_block(suite, &master, &cr, &sr);
            let (m, k, i) = (
                suite.mac_len(),
                suite.cipher.key_len(),
                suite.fixed_iv_len(),
            );
            let whole = prf(
                suite.hash,
                &master,
                b"key expansion",
                &[[2u8; 32], [1u8; 32]].concat(),
                2 * (m + k + i),
            );
            let mut at = 0;
            for part in [
                &kb.client.mac,
                &kb.server.mac,
                &kb.client.key,
                &kb.server.key,
                &kb.client.iv,
                &kb.server.iv,
            ] {
                assert_eq!(part[..], whole[at..at + part.len()]);
                at += part.len();
            }
            assert_eq!(at, whole.len());
            assert_eq!(
                (kb.client.mac.len(), kb.client.key.len(), kb.client.iv.len()),
                (m, k, i)
            );
        }
    }

    #[test]
    fn debug_shows_no_key_bytes() {
        let suite = supported(0xC013).expect("listed");
        let kb = key_block(suite, &[0xAB; 48], &[0; 32], &[0; 32]);
        let shown = format!("{kb:?}");
        assert!(shown.contains("key_len: 16"), "{shown}");
        // No byte lists at all, so no key bytes.
        assert!(!shown.contains('['), "{shown}");
    }
}
