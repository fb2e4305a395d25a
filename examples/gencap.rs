//! Writes a large, valid WebSocket capture for benchmarks: thousands of TCP connections on
//! port 8080 with real handshakes (correct accept keys), interleaved in time, carrying mostly
//! small JSON texts, some 1-64 KiB binaries, some 64-bit lengths, pings and pongs, and closes;
//! about a tenth negotiate permessage-deflate with context takeover and compress for real.
//! Client frames are masked. The same seed gives the same bytes.
//!
//! ```text
//! cargo run --release --example gencap -- --size 1G --out /tmp/ws-1g.pcap [--seed 7]
//! cargo run --release --example gencap -- --size 300M --small --out /tmp/ws-small.pcap
//! ```

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use flate2::{Compress, Compression, FlushCompress};

/// Server port: tshark dissects 8080 as HTTP without being told.
const SERVER_PORT: u16 = 8080;
/// Connections open at the same time.
const CONCURRENT: usize = 64;
const MSS: usize = 1448;
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// splitmix64: small, fast, and the same everywhere.
pub struct Rng(u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// A message as the generator sent it, for checking a decoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// Connection number in order of the handshakes (the decoder's `conn`).
    pub conn: u32,
    pub from_client: bool,
    pub opcode: u8,
    pub data: Vec<u8>,
}

#[derive(Default)]
pub struct Summary {
    pub connections: u64,
    pub frames: u64,
    pub messages: u64,
    pub packets: u64,
    pub bytes: u64,
}

struct Side {
    seq: u32,
    deflate: Option<Compress>,
}

struct Conn {
    id: u32,
    client: [u8; 4],
    client_port: u16,
    sides: [Side; 2],
    /// Messages left to send before the close.
    left: u32,
}

pub struct Generator<W: Write> {
    out: W,
    rng: Rng,
    /// Microseconds since the epoch of the next packet.
    now_us: u64,
    pub summary: Summary,
    next_conn: u32,
    next_port: u16,
    /// Every message sent, when asked for (tests).
    pub log: Option<Vec<Sent>>,
    /// Only small texts, pings and closes: the most frames per byte (`--small`).
    pub small: bool,
    frame_buf: Vec<u8>,
    packet_buf: Vec<u8>,
}

impl<W: Write> Generator<W> {
    pub fn new(mut out: W, seed: u64) -> io::Result<Self> {
        // pcap global header: magic (µs), version 2.4, zone 0, sigfigs 0, snaplen, Ethernet.
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?;
        out.write_all(&2u16.to_le_bytes())?;
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&[0; 8])?;
        out.write_all(&262_144u32.to_le_bytes())?;
        out.write_all(&1u32.to_le_bytes())?;
        Ok(Generator {
            out,
            rng: Rng(seed),
            now_us: 1_800_000_000_000_000,
            summary: Summary {
                bytes: 24,
                ..Summary::default()
            },
            next_conn: 0,
            next_port: 20_000,
            log: None,
            small: false,
            frame_buf: Vec::new(),
            packet_buf: Vec::new(),
        })
    }

    /// Writes connections until the file holds about `size` bytes.
    pub fn run(&mut self, size: u64) -> io::Result<()> {
        let mut open: Vec<Conn> = Vec::new();
        while self.summary.bytes < size || !open.is_empty() {
            if self.summary.bytes < size && open.len() < CONCURRENT {
                let c = self.open()?;
                open.push(c);
                continue;
            }
            let i = (self.rng.next_u64() % open.len() as u64) as usize;
            if open[i].left == 0 || self.summary.bytes >= size {
                let c = open.swap_remove(i);
                self.close(c)?;
            } else {
                self.message(&mut open[i])?;
                open[i].left -= 1;
            }
        }
        self.out.flush()
    }

    fn tick(&mut self) {
        self.now_us += self.rng.range(5, 200);
    }

    fn packet(&mut self, c: &Conn, from_client: bool, flags: u8, payload: &[u8]) -> io::Result<()> {
        self.tick();
        let (src, dst, sport, dport) = if from_client {
            (c.client, [10, 0, 0, 1], c.client_port, SERVER_PORT)
        } else {
            ([10, 0, 0, 1], c.client, SERVER_PORT, c.client_port)
        };
        let me = usize::from(!from_client);
        let seq = c.sides[me].seq;
        let ack = c.sides[me ^ 1].seq;
        let p = &mut self.packet_buf;
        p.clear();
        // Ethernet
        p.extend_from_slice(&[0x02, 0, 0, 0, 0, if from_client { 2 } else { 1 }]);
        p.extend_from_slice(&[0x02, 0, 0, 0, 0, if from_client { 1 } else { 2 }]);
        p.extend_from_slice(&0x0800u16.to_be_bytes());
        // IPv4, 20 bytes, checksum left 0 (captures of offloaded traffic look the same)
        let total = (20 + 20 + payload.len()) as u16;
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        // TCP, 20 bytes
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[0x50, flags]);
        p.extend_from_slice(&65_535u16.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(payload);
        let len = p.len() as u32;
        let secs = (self.now_us / 1_000_000) as u32;
        let micros = (self.now_us % 1_000_000) as u32;
        self.out.write_all(&secs.to_le_bytes())?;
        self.out.write_all(&micros.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(&self.packet_buf)?;
        self.summary.packets += 1;
        self.summary.bytes += 16 + u64::from(len);
        Ok(())
    }

    /// Sends bytes as a real stack would: segments of at most one MSS, then the peer's ACK.
    fn send(&mut self, c: &mut Conn, from_client: bool, bytes: &[u8]) -> io::Result<()> {
        const PSH_ACK: u8 = 0x18;
        for seg in bytes.chunks(MSS) {
            self.packet(c, from_client, PSH_ACK, seg)?;
            let me = usize::from(!from_client);
            c.sides[me].seq = c.sides[me].seq.wrapping_add(seg.len() as u32);
        }
        self.packet(c, !from_client, 0x10, &[])
    }

    fn open(&mut self) -> io::Result<Conn> {
        let id = self.next_conn;
        self.next_conn += 1;
        self.summary.connections += 1;
        let port = self.next_port;
        self.next_port = if port >= 60_000 { 20_000 } else { port + 1 };
        let client = [10, 1, (id >> 8) as u8, id as u8];
        let deflate = self.rng.chance(10);
        let mut c = Conn {
            id,
            client,
            client_port: port,
            sides: [
                Side {
                    seq: self.rng.next_u64() as u32,
                    deflate: None,
                },
                Side {
                    seq: self.rng.next_u64() as u32,
                    deflate: None,
                },
            ],
            left: self.rng.range(5, 200) as u32,
        };
        self.packet(&c, true, 0x02, &[])?; // SYN
        c.sides[0].seq = c.sides[0].seq.wrapping_add(1);
        self.packet(&c, false, 0x12, &[])?; // SYN-ACK
        c.sides[1].seq = c.sides[1].seq.wrapping_add(1);
        self.packet(&c, true, 0x10, &[])?; // ACK
        let mut key = [0u8; 16];
        self.rng.fill(&mut key);
        use base64::Engine;
        let key = base64::engine::general_purpose::STANDARD.encode(key);
        let mut request = format!(
            "GET /stream/{id} HTTP/1.1\r\nHost: ws.example.test:{SERVER_PORT}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\
             Origin: http://ws.example.test\r\nUser-Agent: gencap/1\r\n"
        );
        if deflate {
            request.push_str("Sec-WebSocket-Extensions: permessage-deflate\r\n");
        }
        request.push_str("\r\n");
        self.send(&mut c, true, request.as_bytes())?;
        use sha1::Digest;
        let accept = base64::engine::general_purpose::STANDARD
            .encode(sha1::Sha1::digest(format!("{key}{GUID}").as_bytes()));
        let mut response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n"
        );
        if deflate {
            response.push_str("Sec-WebSocket-Extensions: permessage-deflate\r\n");
            for side in &mut c.sides {
                side.deflate = Some(Compress::new(Compression::fast(), false));
            }
        }
        response.push_str("\r\n");
        self.send(&mut c, false, response.as_bytes())?;
        Ok(c)
    }

    /// One message (and for a ping, its pong).
    fn message(&mut self, c: &mut Conn) -> io::Result<()> {
        let from_client = self.rng.chance(50);
        let roll = self.rng.range(if self.small { 140 } else { 0 }, 1000);
        let mut data = Vec::new();
        let opcode = if roll < 50 {
            // ping, answered below
            data.extend_from_slice(format!("ping {}", self.summary.frames).as_bytes());
            9
        } else if roll < 60 {
            // 64-bit length: 64 KiB and more
            data.resize(self.rng.range(65_536, 100_000) as usize, 0);
            self.rng.fill(&mut data);
            2
        } else if roll < 140 {
            data.resize(self.rng.range(1024, 65_536) as usize, 0);
            self.rng.fill(&mut data);
            2
        } else {
            let n = self.summary.frames;
            let price = self.rng.range(1000, 99_999);
            let volume = self.rng.range(1, 100_000);
            let pad = self.rng.range(0, 120) as usize;
            data.extend_from_slice(
                format!(
                    "{{\"type\":\"tick\",\"seq\":{n},\"symbol\":\"ACME\",\"price\":{}.{:02},\"volume\":{volume},\"note\":\"{}\"}}",
                    price / 100,
                    price % 100,
                    "x".repeat(pad)
                )
                .as_bytes(),
            );
            1
        };
        self.frame(c, from_client, opcode, &data)?;
        if opcode == 9 {
            self.frame(c, !from_client, 10, &data)?;
        }
        Ok(())
    }

    fn frame(
        &mut self,
        c: &mut Conn,
        from_client: bool,
        opcode: u8,
        data: &[u8],
    ) -> io::Result<()> {
        let side = usize::from(!from_client);
        let mut payload = data.to_vec();
        let mut rsv1 = false;
        if opcode < 8
            && let Some(z) = c.sides[side].deflate.as_mut()
        {
            // RFC 7692 7.2.1: DEFLATE with a sync flush, without its final 00 00 ff ff.
            let mut out = Vec::with_capacity(data.len() + 64);
            let mut input = data;
            loop {
                if out.capacity() - out.len() < 64 {
                    out.reserve(out.capacity());
                }
                let before = z.total_in();
                z.compress_vec(input, &mut out, FlushCompress::Sync)
                    .map_err(io::Error::other)?;
                input = &input[(z.total_in() - before) as usize..];
                if input.is_empty() && out.ends_with(&[0, 0, 0xff, 0xff]) {
                    break;
                }
            }
            out.truncate(out.len() - 4);
            payload = out;
            rsv1 = true;
        }
        let f = &mut self.frame_buf;
        f.clear();
        f.push(0x80 | if rsv1 { 0x40 } else { 0 } | opcode);
        let mask_bit = if from_client { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => f.push(mask_bit | n as u8),
            n if n <= 0xffff => {
                f.push(mask_bit | 126);
                f.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                f.push(mask_bit | 127);
                f.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        let start = f.len();
        if from_client {
            let key = (self.rng.next_u64() as u32).to_be_bytes();
            f.extend_from_slice(&key);
            f.extend_from_slice(&payload);
            for (i, b) in f[start + 4..].iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        } else {
            f.extend_from_slice(&payload);
        }
        let bytes = std::mem::take(&mut self.frame_buf);
        self.send(c, from_client, &bytes)?;
        self.frame_buf = bytes;
        self.summary.frames += 1;
        self.summary.messages += 1;
        if let Some(log) = self.log.as_mut() {
            log.push(Sent {
                conn: c.id,
                from_client,
                opcode,
                data: data.to_vec(),
            });
        }
        Ok(())
    }

    /// Close 1000 from the client, echoed, then FIN both ways.
    fn close(&mut self, mut c: Conn) -> io::Result<()> {
        let mut close = 1000u16.to_be_bytes().to_vec();
        close.extend_from_slice(b"bye");
        self.frame(&mut c, true, 8, &close)?;
        self.frame(&mut c, false, 8, &close)?;
        const FIN_ACK: u8 = 0x11;
        self.packet(&c, false, FIN_ACK, &[])?;
        c.sides[1].seq = c.sides[1].seq.wrapping_add(1);
        self.packet(&c, true, FIN_ACK, &[])?;
        c.sides[0].seq = c.sides[0].seq.wrapping_add(1);
        self.packet(&c, false, 0x10, &[])
    }
}

fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.chars().last()?.to_ascii_uppercase() {
        'K' => (&s[..s.len() - 1], 1 << 10),
        'M' => (&s[..s.len() - 1], 1 << 20),
        'G' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn main() {
    let mut size = 64u64 << 20;
    let mut out = PathBuf::from("ws-bench.pcap");
    let mut seed = 7u64;
    let mut small = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--small" {
            small = true;
            continue;
        }
        let value = args.next();
        match (a.as_str(), value) {
            ("--size", Some(v)) => match parse_size(&v) {
                Some(s) => size = s,
                None => usage(&format!("bad size {v:?}: use e.g. 512M or 1G")),
            },
            ("--out", Some(v)) => out = PathBuf::from(v),
            ("--seed", Some(v)) => match v.parse() {
                Ok(s) => seed = s,
                Err(_) => usage(&format!("bad seed {v:?}: a number")),
            },
            _ => usage(&format!("unknown argument {a:?}")),
        }
    }
    let file = match std::fs::File::create(&out) {
        Ok(f) => f,
        Err(e) => usage(&format!("cannot create {}: {e}", out.display())),
    };
    let started = std::time::Instant::now();
    let result = Generator::new(BufWriter::with_capacity(1 << 20, file), seed).and_then(|mut g| {
        g.small = small;
        g.run(size)?;
        Ok(g.summary)
    });
    match result {
        Ok(s) => println!(
            "{}: {} bytes, {} packets, {} connections, {} frames, {} messages ({:.1} s)",
            out.display(),
            s.bytes,
            s.packets,
            s.connections,
            s.frames,
            s.messages,
            started.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("gencap: cannot write {}: {e}", out.display());
            std::process::exit(1);
        }
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("gencap: {problem}");
    eprintln!("usage: gencap [--size 1G] [--out FILE.pcap] [--seed N] [--small]");
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wsinspect::model::Event;
    use wsinspect::pipeline::Options;
    use wsinspect::vocab::Side as From;

    /// A small capture decodes to exactly what was sent: every connection's handshake valid,
    /// every message (direction, opcode, bytes), and no problem anywhere.
    #[test]
    fn generated_captures_decode_exactly() {
        let path = std::env::temp_dir().join(format!("gencap-test-{}.pcap", std::process::id()));
        let mut g =
            Generator::new(BufWriter::new(std::fs::File::create(&path).unwrap()), 3).unwrap();
        g.log = Some(Vec::new());
        g.run(600 << 10).unwrap();
        let sent = g.log.take().unwrap();
        let summary = std::mem::take(&mut g.summary);
        drop(g);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), summary.bytes);

        let mut file = wsinspect::capture::File::open(&path, None).unwrap();
        let (events, ended) = wsinspect::pipeline::collect(&mut file, Options::default());
        assert!(ended.error.is_none());
        std::fs::remove_file(&path).unwrap();

        let mut got = Vec::new();
        let (mut conns, mut compressed) = (0, 0);
        for e in &events {
            match e {
                Event::Connection(c) => {
                    conns += 1;
                    assert!(c.handshake.as_ref().unwrap().accept_valid);
                }
                Event::Frame(f) => assert!(f.problems.is_empty(), "{f:?}"),
                Event::Message(m) => {
                    assert!(m.problems.is_empty(), "{m:?}");
                    compressed += u32::from(m.compressed);
                    got.push(Sent {
                        conn: m.conn.0,
                        from_client: m.from == From::Client,
                        opcode: m.opcode.to_u8(),
                        data: m.data.clone(),
                    });
                }
                Event::Gap(g) => panic!("{g:?}"),
                _ => {}
            }
        }
        assert_eq!(conns, summary.connections);
        assert!(compressed > 0, "some connections compress");
        // Messages of different connections interleave; per connection the order is the same.
        let mut want = sent;
        want.sort_by_key(|s| s.conn);
        got.sort_by_key(|s| s.conn);
        assert_eq!(got.len(), want.len());
        assert!(got == want, "decoded messages differ from the sent ones");
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("512m"), Some(512 << 20));
        assert_eq!(parse_size("1000"), Some(1000));
        assert_eq!(parse_size("x"), None);
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let run = |seed| {
            let mut g = Generator::new(Vec::new(), seed).unwrap();
            g.run(64 << 10).unwrap();
            g.out
        };
        assert_eq!(run(5), run(5));
        assert_ne!(run(5), run(6));
    }
}
