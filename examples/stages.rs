//! Where the time goes when wsinspect reads a capture: the same file is read again and again,
//! each time through one more stage, so that the difference between two lines is that stage's
//! cost.
//!
//! ```text
//! cargo run --release --example stages -- /tmp/ws-1g.pcap
//! ```

use std::io;
use std::time::Instant;

use wsinspect::capture::{File, Poll, Source};
use wsinspect::output::Sink;
use wsinspect::output::json::Json;
use wsinspect::output::text::Text;
use wsinspect::pipeline::{Options, Pipeline};
use wsinspect::{link, tcp};

#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Upto {
    Read,
    Link,
    Tcp,
    Decode,
    Text,
    Json,
}

/// Reads the whole file through the stages up to `upto`; returns the packets seen.
fn run(path: &std::path::Path, upto: Upto) -> u64 {
    let mut file = match File::open(path, None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("stages: {e}");
            std::process::exit(1);
        }
    };
    let linktype = file.link();
    let mut tracker = tcp::Tracker::new(tcp::Limits::default());
    let mut pipeline = Pipeline::new(linktype, Options::default());
    let mut text = Text::new(io::sink(), false);
    let mut json = Json::new(io::sink(), false);
    let mut events = Vec::new();
    let mut n = 0u64;
    let mut sink = 0u64;
    // Each stage fed by hand, to time the stages up to `upto` alone.
    while let Ok(Poll::Packet(p)) = file.next_packet() {
        n += 1;
        match upto {
            Upto::Read => sink += p.data.len() as u64,
            Upto::Link => sink += u64::from(link::decode(linktype, p.data).is_ok()),
            Upto::Tcp => {
                if let Ok(seg) = link::decode(linktype, p.data) {
                    tracker.push(&seg, &mut |_| sink += 1);
                }
            }
            _ => {
                pipeline.packet(p.number, p.ts, p.data, &mut events);
                for ev in events.drain(..) {
                    match upto {
                        Upto::Text => {
                            let _ = text.event(&ev);
                        }
                        Upto::Json => {
                            let _ = json.event(&ev);
                        }
                        _ => {}
                    }
                    pipeline.recycle(ev);
                }
            }
        }
    }
    std::hint::black_box(sink);
    n
}

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: stages FILE");
        std::process::exit(2);
    };
    let path = std::path::PathBuf::from(path);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64;
    let stages = [
        (Upto::Read, "read packets (libpcap)"),
        (Upto::Link, "+ link layer (Ethernet, IP)"),
        (Upto::Tcp, "+ TCP reassembly"),
        (Upto::Decode, "+ HTTP, frames, messages, inflate"),
        (Upto::Text, "+ text output (--print)"),
        (Upto::Json, "+ JSON output (--json) instead"),
    ];
    // Warm the page cache so the first stage does not pay for the disk.
    run(&path, Upto::Read);
    let mut times = Vec::new();
    for (upto, _) in stages {
        // The best of three: the least disturbed by the rest of the machine.
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                run(&path, upto);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min);
        times.push(best);
    }
    println!(
        "{:<38} {:>8} {:>10} {:>9}",
        "stage", "seconds", "MB/s", "this step"
    );
    for (i, ((_, name), t)) in stages.iter().zip(&times).enumerate() {
        let before = match i {
            0 => 0.0,
            // JSON replaces text: compare it with decoding alone.
            5 => times[3],
            _ => times[i - 1],
        };
        println!(
            "{name:<38} {t:>8.3} {:>10.0} {:>8.3}s",
            size / 1e6 / t,
            t - before
        );
    }
}
