//! TLS secrets a pcapng file carries itself: Decryption Secrets Blocks (pcapng §4.7, block
//! type 0x0000000A), as `editcap --inject-secrets tls,keys.txt` writes them, and ecapture and
//! ptcpdump while they capture. libpcap reads the packets and passes these blocks over, so
//! the file's blocks are walked here for them, headers only, skipping everything else.

use std::io::{BufReader, Read};
use std::path::Path;

/// Block type of a Decryption Secrets Block.
const DSB: u32 = 0x0000_000A;
/// Block type of a Section Header Block (the byte order may change with each section).
const SHB: u32 = 0x0A0D_0D0A;
/// Secrets type "TLSK": an NSS key log.
const TLS_KEY_LOG: u32 = 0x544c_534b;
/// Secrets kept at most: far past what a capture's TLS connections log (a few hundred bytes
/// each), and a bound on a file that claims more.
const MAX_SECRETS: usize = 64 << 20;

/// The NSS key log text of every TLS Decryption Secrets Block in a pcapng file, joined; empty
/// for a pcap file or one without such blocks. A file cut short or malformed ends the walk
/// there, with what was found before it (the packet reader reports the damage).
pub(crate) fn tls_key_log(path: &Path) -> Vec<u8> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let mut r = BufReader::with_capacity(1 << 20, file);
    let mut out = Vec::new();
    let _ = walk(&mut r, &mut out);
    out
}

fn walk(r: &mut BufReader<std::fs::File>, out: &mut Vec<u8>) -> Option<()> {
    let mut head = [0u8; 12];
    r.read_exact(&mut head).ok()?;
    if head[..4] != SHB.to_be_bytes() {
        return None;
    }
    let mut big = head[8..12] == [0x1a, 0x2b, 0x3c, 0x4d];
    let u32_of = |b: &[u8], big: bool| {
        let b = [b[0], b[1], b[2], b[3]];
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    // The rest of the first section header block.
    let len = u32_of(&head[4..8], big);
    r.seek_relative(i64::from(len.checked_sub(12)?)).ok()?;
    loop {
        let mut h = [0u8; 8];
        r.read_exact(&mut h).ok()?;
        let kind = u32_of(&h[..4], big);
        if kind == SHB {
            let mut magic = [0u8; 4];
            r.read_exact(&mut magic).ok()?;
            big = magic == [0x1a, 0x2b, 0x3c, 0x4d];
            let len = u32_of(&h[4..8], big);
            r.seek_relative(i64::from(len.checked_sub(12)?)).ok()?;
            continue;
        }
        let len = u32_of(&h[4..8], big);
        // Every block is at least its header and trailing length, in 4-byte steps.
        if len < 12 || len % 4 != 0 {
            return None;
        }
        let body = len - 12;
        if kind != DSB {
            r.seek_relative(i64::from(body) + 4).ok()?;
            continue;
        }
        let mut fields = [0u8; 8];
        r.read_exact(&mut fields).ok()?;
        let (secrets_type, secrets_len) = (u32_of(&fields[..4], big), u32_of(&fields[4..], big));
        let secrets_len = usize::try_from(secrets_len).ok()?;
        let rest = usize::try_from(body).ok()?.checked_sub(8)?;
        if secrets_type == TLS_KEY_LOG
            && secrets_len <= rest
            && out.len() + secrets_len <= MAX_SECRETS
        {
            let start = out.len();
            out.resize(start + secrets_len, 0);
            if r.read_exact(&mut out[start..]).is_err() {
                // Cut short: only whole blocks count.
                out.truncate(start);
                return None;
            }
            out.push(b'\n');
            r.seek_relative(i64::try_from(rest - secrets_len).ok()? + 4)
                .ok()?;
        } else {
            r.seek_relative(i64::try_from(rest).ok()? + 4).ok()?;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let mut b = body.to_vec();
        b.resize(body.len().div_ceil(4) * 4, 0);
        let len = (b.len() + 12) as u32;
        [
            &kind.to_le_bytes()[..],
            &len.to_le_bytes(),
            &b,
            &len.to_le_bytes(),
        ]
        .concat()
    }

    #[test]
    fn secrets_blocks_are_found_between_other_blocks() {
        let shb = block(
            SHB,
            &[
                0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            ],
        );
        let idb = block(1, &[1, 0, 0, 0, 0, 0, 4, 0]);
        let text = b"CLIENT_RANDOM aa bb";
        let dsb = |t: &[u8]| {
            let mut body = TLS_KEY_LOG.to_le_bytes().to_vec();
            body.extend_from_slice(&(t.len() as u32).to_le_bytes());
            body.extend_from_slice(t);
            block(DSB, &body)
        };
        let epb = block(6, &[0; 40]);
        let file = [shb, idb, dsb(text), epb.clone(), dsb(b"second"), epb].concat();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pcapng");
        std::fs::write(&path, &file).unwrap();
        assert_eq!(tls_key_log(&path), b"CLIENT_RANDOM aa bb\nsecond\n");
        // Cut anywhere: what came before the cut, never a panic.
        for n in 0..file.len() {
            std::fs::write(&path, &file[..n]).unwrap();
            let got = tls_key_log(&path);
            assert!(got.is_empty() || got.starts_with(b"CLIENT_RANDOM aa bb\n"));
        }
    }
}
