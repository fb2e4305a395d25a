//! NSS key logs (the `SSLKEYLOGFILE` format that Chrome, Firefox, curl, OpenSSL, Python, Node
//! and Go write): the secrets of each TLS connection, found by its ClientHello's random.
//!
//! In: the text of key log files (read again from where they were left as they grow, while a
//! browser runs) and of pcapng Decryption Secrets Blocks. Out: the secrets for a client random.
//! Never: keeps a line it cannot read (they are counted, one warning says how many), or prints
//! a secret (`Debug` shows counts only).

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The secrets a key log holds for one connection, by the label of each line.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Secrets {
    /// TLS 1.2 (and earlier): `CLIENT_RANDOM`, the 48-byte master secret.
    pub(crate) master: Option<Vec<u8>>,
    /// TLS 1.3: `CLIENT_EARLY_TRAFFIC_SECRET` (0-RTT data).
    pub(crate) client_early: Option<Vec<u8>>,
    pub(crate) client_handshake: Option<Vec<u8>>,
    pub(crate) server_handshake: Option<Vec<u8>>,
    /// `CLIENT_TRAFFIC_SECRET_0` and `SERVER_TRAFFIC_SECRET_0`: later ones follow from these
    /// with each KeyUpdate.
    pub(crate) client_traffic: Option<Vec<u8>>,
    pub(crate) server_traffic: Option<Vec<u8>>,
}

/// The longest secret a line may carry: SHA-384's 48 bytes, with room to spare.
const MAX_SECRET: usize = 64;
/// A line longer than this is not a key log line: the rest of it is skipped, not kept.
const MAX_LINE: usize = 1024;
/// Connections kept at most. A browser's key log gains a few lines per connection; a million
/// connections is far past any capture this is used with, and bounds a file of garbage.
const MAX_CONNECTIONS: usize = 1 << 20;

/// Secrets of every connection read so far, and the files they are read from.
#[derive(Clone, Default)]
pub struct KeyLog {
    by_random: HashMap<[u8; 32], Secrets>,
    files: Vec<Followed>,
    /// Lines that are neither a known secret, a comment nor blank.
    bad_lines: u64,
    /// The first line that could not be read, to show in the warning.
    first_bad: Option<String>,
    /// Grows each time secrets are added: a connection waiting for its keys looks again.
    generation: u64,
}

impl fmt::Debug for KeyLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLog")
            .field("connections", &self.by_random.len())
            .field("files", &self.files.len())
            .field("bad_lines", &self.bad_lines)
            .finish()
    }
}

/// A key log file and how far it was read.
#[derive(Clone)]
struct Followed {
    path: PathBuf,
    offset: u64,
    /// The end of the file when it ends inside a line still being written.
    partial: Vec<u8>,
    /// Not there yet is not an error: it is looked for again.
    may_be_missing: bool,
}

/// A key log file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the key log {}: {reason}", path.display())]
pub struct Error {
    pub path: PathBuf,
    pub reason: String,
}

impl KeyLog {
    /// No secrets yet.
    pub fn new() -> KeyLog {
        KeyLog::default()
    }

    /// Reads a key log file now and follows it: [`KeyLog::refresh`] reads what was added since.
    pub fn follow(&mut self, path: &Path) -> Result<(), Error> {
        self.files.push(Followed {
            path: path.to_owned(),
            offset: 0,
            partial: Vec::new(),
            may_be_missing: false,
        });
        let last = self.files.len() - 1;
        self.read_file(last)
    }

    /// As [`KeyLog::follow`], but a file that does not exist yet is read once it does (a live
    /// capture started before the browser that writes it).
    pub fn follow_when_there(&mut self, path: &Path) -> Result<(), Error> {
        self.files.push(Followed {
            path: path.to_owned(),
            offset: 0,
            partial: Vec::new(),
            may_be_missing: true,
        });
        let last = self.files.len() - 1;
        self.read_file(last)
    }

    /// Secrets carried in the capture itself (a pcapng Decryption Secrets Block).
    pub fn add_embedded(&mut self, text: &[u8]) {
        self.add_text(text);
    }

    /// Reads what the followed files gained since they were last read. Returns true when new
    /// secrets were found. A file that went away or shrank is read again from its start.
    pub fn refresh(&mut self) -> Result<bool, Error> {
        let before = self.generation;
        for i in 0..self.files.len() {
            self.read_file(i)?;
        }
        Ok(self.generation != before)
    }

    /// Whether any key log file is followed (and so may gain secrets while a capture runs).
    pub fn follows_files(&self) -> bool {
        !self.files.is_empty()
    }

    /// Connections with at least one secret.
    pub fn len(&self) -> usize {
        self.by_random.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_random.is_empty()
    }

    /// Lines that could not be read, and the first of them (cut to a readable length).
    pub fn bad_lines(&self) -> (u64, Option<&str>) {
        (self.bad_lines, self.first_bad.as_deref())
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    pub(crate) fn get(&self, client_random: &[u8; 32]) -> Option<&Secrets> {
        self.by_random.get(client_random)
    }

    fn read_file(&mut self, i: usize) -> Result<(), Error> {
        let f = &mut self.files[i];
        let error = |e: std::io::Error| Error {
            path: f.path.clone(),
            reason: e.to_string(),
        };
        let mut file = match std::fs::File::open(&f.path) {
            Ok(file) => file,
            Err(e) if f.may_be_missing && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(());
            }
            Err(e) => return Err(error(e)),
        };
        let len = file.metadata().map_err(error)?.len();
        if len < f.offset {
            // Truncated and rewritten: read it all again (secrets already read stay).
            f.offset = 0;
            f.partial.clear();
        }
        if len == f.offset {
            return Ok(());
        }
        file.seek(SeekFrom::Start(f.offset)).map_err(error)?;
        let mut text = std::mem::take(&mut f.partial);
        let start = text.len();
        file.take(len - f.offset)
            .read_to_end(&mut text)
            .map_err(error)?;
        f.offset += (text.len() - start) as u64;
        // A line still being written is kept for the next read, not judged half-written.
        let whole = text.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let mut rest = text.split_off(whole);
        if rest.len() > MAX_LINE {
            rest.clear();
        }
        self.files[i].partial = rest;
        self.add_text(&text);
        Ok(())
    }

    /// Adds every line of `text`.
    pub(crate) fn add_text(&mut self, text: &[u8]) {
        let mut added = false;
        for line in text.split(|&b| b == b'\n') {
            match parse_line(line) {
                Line::Skip => {}
                Line::Bad => {
                    self.bad_lines += 1;
                    if self.first_bad.is_none() {
                        let shown: String = String::from_utf8_lossy(&line[..line.len().min(60)])
                            .chars()
                            .map(|c| if c.is_control() { '?' } else { c })
                            .collect();
                        self.first_bad = Some(shown);
                    }
                }
                Line::Secret {
                    label,
                    random,
                    secret,
                } => {
                    if self.by_random.len() >= MAX_CONNECTIONS
                        && !self.by_random.contains_key(&random)
                    {
                        self.bad_lines += 1;
                        continue;
                    }
                    let s = self.by_random.entry(random).or_default();
                    let slot = match label {
                        Label::ClientRandom => &mut s.master,
                        Label::ClientEarly => &mut s.client_early,
                        Label::ClientHandshake => &mut s.client_handshake,
                        Label::ServerHandshake => &mut s.server_handshake,
                        Label::ClientTraffic => &mut s.client_traffic,
                        Label::ServerTraffic => &mut s.server_traffic,
                    };
                    if slot.as_deref() != Some(&secret[..]) {
                        *slot = Some(secret);
                        added = true;
                    }
                }
            }
        }
        if added {
            self.generation += 1;
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    ClientRandom,
    ClientEarly,
    ClientHandshake,
    ServerHandshake,
    ClientTraffic,
    ServerTraffic,
}

#[derive(Debug, PartialEq, Eq)]
enum Line {
    /// A comment, a blank line, or a label this decoder has no use for (`EXPORTER_SECRET`,
    /// `CLIENT_TRAFFIC_SECRET_1` …, `RSA`).
    Skip,
    Bad,
    Secret {
        label: Label,
        random: [u8; 32],
        secret: Vec<u8>,
    },
}

fn parse_line(line: &[u8]) -> Line {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.trim_ascii();
    if line.is_empty() || line.starts_with(b"#") {
        return Line::Skip;
    }
    if line.len() > MAX_LINE {
        return Line::Bad;
    }
    let mut fields = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let (Some(label), Some(random), Some(secret), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Line::Bad;
    };
    let label = match label {
        b"CLIENT_RANDOM" => Label::ClientRandom,
        b"CLIENT_EARLY_TRAFFIC_SECRET" => Label::ClientEarly,
        b"CLIENT_HANDSHAKE_TRAFFIC_SECRET" => Label::ClientHandshake,
        b"SERVER_HANDSHAKE_TRAFFIC_SECRET" => Label::ServerHandshake,
        b"CLIENT_TRAFFIC_SECRET_0" => Label::ClientTraffic,
        b"SERVER_TRAFFIC_SECRET_0" => Label::ServerTraffic,
        b"EXPORTER_SECRET" | b"EARLY_EXPORTER_SECRET" | b"RSA" | b"RSA_SESSION_ID" => {
            return Line::Skip;
        }
        l if l.starts_with(b"CLIENT_TRAFFIC_SECRET_")
            || l.starts_with(b"SERVER_TRAFFIC_SECRET_") =>
        {
            // Later generations follow from _0 with each KeyUpdate.
            return Line::Skip;
        }
        _ => return Line::Bad,
    };
    let mut r = [0u8; 32];
    if hex::decode_to_slice(random, &mut r).is_err() {
        return Line::Bad;
    }
    let Ok(secret) = hex::decode(secret) else {
        return Line::Bad;
    };
    let right_size = match label {
        Label::ClientRandom => secret.len() == 48,
        _ => (32..=MAX_SECRET).contains(&secret.len()),
    };
    if !right_size {
        return Line::Bad;
    }
    Line::Secret {
        label,
        random: r,
        secret,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const RANDOM: &str = "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7";

    #[test]
    fn reads_every_label_and_skips_comments_and_unused_ones() {
        let text = format!(
            "# SSL/TLS secrets log file, generated by NSS\n\
             \n\
             CLIENT_HANDSHAKE_TRAFFIC_SECRET {RANDOM} {s1}\r\n\
             SERVER_HANDSHAKE_TRAFFIC_SECRET {RANDOM} {s2}\n\
             CLIENT_TRAFFIC_SECRET_0 {RANDOM} {s3}\n\
             SERVER_TRAFFIC_SECRET_0 {RANDOM} {s4}\n\
             EXPORTER_SECRET {RANDOM} {s4}\n\
             CLIENT_RANDOM {r2} {m}\n",
            s1 = "11".repeat(32),
            s2 = "22".repeat(32),
            s3 = "33".repeat(48),
            s4 = "44".repeat(32),
            r2 = "ab".repeat(32),
            m = "55".repeat(48),
        );
        let mut log = KeyLog::new();
        log.add_text(text.as_bytes());
        assert_eq!(log.bad_lines().0, 0);
        assert_eq!(log.len(), 2);
        let mut r = [0u8; 32];
        hex::decode_to_slice(RANDOM, &mut r).unwrap();
        let s = log.get(&r).unwrap();
        assert_eq!(s.client_handshake.as_deref(), Some(&[0x11; 32][..]));
        assert_eq!(s.server_handshake.as_deref(), Some(&[0x22; 32][..]));
        assert_eq!(s.client_traffic.as_deref(), Some(&[0x33; 48][..]));
        assert_eq!(s.server_traffic.as_deref(), Some(&[0x44; 32][..]));
        assert_eq!(s.master, None);
        assert_eq!(
            log.get(&[0xab; 32]).unwrap().master.as_deref(),
            Some(&[0x55; 48][..])
        );
    }

    #[test]
    fn garbage_lines_are_counted_and_the_first_is_kept_readable() {
        let mut log = KeyLog::new();
        let text = format!(
            "hello\x1b[31m world\nCLIENT_RANDOM zz {m}\nCLIENT_RANDOM {RANDOM} 1234\n\
             SOMETHING_ELSE {RANDOM} {m}\nCLIENT_RANDOM {RANDOM} {m} extra\n",
            m = "55".repeat(48)
        );
        log.add_text(text.as_bytes());
        let (bad, first) = log.bad_lines();
        assert_eq!(bad, 5);
        assert_eq!(first, Some("hello?[31m world"));
        assert!(log.is_empty());
        assert_eq!(log.generation(), 0);
    }

    #[test]
    fn a_followed_file_is_read_again_as_it_grows_and_half_lines_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.txt");
        let line = format!("CLIENT_RANDOM {RANDOM} {}\n", "55".repeat(48));
        std::fs::write(&path, &line[..40]).unwrap();
        let mut log = KeyLog::new();
        log.follow(&path).unwrap();
        assert!(log.is_empty());
        assert_eq!(log.bad_lines().0, 0, "half a line is not judged");
        std::fs::write(&path, &line).unwrap();
        assert!(log.refresh().unwrap());
        assert_eq!(log.len(), 1);
        assert!(!log.refresh().unwrap(), "nothing new");
        let other = format!("CLIENT_RANDOM {} {}\n", "cd".repeat(32), "66".repeat(48));
        std::fs::write(&path, format!("{line}{other}")).unwrap();
        assert!(log.refresh().unwrap());
        assert_eq!(log.len(), 2);
    }

    #[test]
    fn a_missing_file_is_an_error_naming_it() {
        let err = KeyLog::new()
            .follow(Path::new("/nonexistent/keys.log"))
            .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/keys.log"), "{err}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let mut log = KeyLog::new();
        log.add_text(format!("CLIENT_RANDOM {RANDOM} {}\n", "55".repeat(48)).as_bytes());
        let shown = format!("{log:?}");
        assert!(!shown.contains("5555"), "{shown}");
    }
}
