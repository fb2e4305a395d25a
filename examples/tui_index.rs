//! How long the terminal UI takes to index a capture, and the memory it holds then, without a
//! terminal: the same decoding thread and the same model as `wsinspect FILE`, minus drawing.
//!
//! ```text
//! cargo run --release --example tui_index -- /tmp/ws-1g.pcap
//! ```

use std::time::Instant;

use wsinspect::pipeline::Options;
use wsinspect::tui::app::App;
use wsinspect::tui::feed::{self, Feed};
use wsinspect::tui::store::Store;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: tui_index FILE");
        std::process::exit(2);
    };
    let started = Instant::now();
    let source = match feed::file(path.clone().into(), None, Options::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tui_index: {e}");
            std::process::exit(1);
        }
    };
    let mut app = App::new(path.clone(), false);
    app.store = Store::reading(source.spill.clone());
    let mut first_rows = None;
    while let Ok(f) = source.rx.recv() {
        let done = matches!(f, Feed::Done { .. });
        app.feed(f);
        if first_rows.is_none() && !app.rows.is_empty() {
            first_rows = Some(started.elapsed());
        }
        if done {
            break;
        }
    }
    let indexed = started.elapsed();
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0);
    println!(
        "{path}: first rows after {:.3} s, {} frames and {} messages indexed in {:.3} s, peak memory {} MiB",
        first_rows.map_or(0.0, |d| d.as_secs_f64()),
        app.store.frames.len(),
        app.store.messages.len(),
        indexed.as_secs_f64(),
        peak / 1024
    );
}
