//! How long the terminal UI takes to index a capture, and the memory it holds then, without a
//! terminal: the same decoding thread and the same model as `wsinspect FILE`, minus drawing.
//!
//! ```text
//! cargo run --release --example tui_index -- /tmp/ws-1g.pcap
//! ```

use std::time::Instant;

use wsinspect::index::Store;
use wsinspect::pipeline::Options;
use wsinspect::tui::app::App;
use wsinspect::tui::feed::{self, Feed};

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
    let timings = keystrokes(&mut app);
    println!(
        "{path}: first rows after {:.3} s, {} frames ({} MB of payloads) and {} messages indexed in {:.3} s, peak memory {} MiB",
        first_rows.map_or(0.0, |d| d.as_secs_f64()),
        app.store.frames.len(),
        app.store.payload_bytes / 1_000_000,
        app.store.message_count(),
        indexed.as_secs_f64(),
        peak / 1024
    );
    for (name, ms) in timings {
        println!("  {name:<34} {ms:>8.1} ms");
    }
}

/// How long the UI takes to answer keys on the indexed capture: each key is applied and the
/// screen drawn (120×40), as the event loop does.
fn keystrokes(app: &mut App) -> Vec<(&'static str, f64)> {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use wsinspect::tui::app::Action;
    let mut term = match Terminal::new(TestBackend::new(120, 40)) {
        Ok(t) => t,
        Err(_) => return Vec::new(),
    };
    let mut out = Vec::new();
    // A key is timed until the screen is drawn; a search or filter that runs in the
    // background is also timed until its answer is on the screen.
    let mut key = |name: &'static str, actions: &[Action], app: &mut App| {
        let t = Instant::now();
        for a in actions {
            app.update(*a);
        }
        let _ = wsinspect::tui::draw(&mut term, app);
        out.push((name, t.elapsed().as_secs_f64() * 1000.0));
        if app.busy() {
            app.wait_for_job();
            let _ = wsinspect::tui::draw(&mut term, app);
            out.push((
                "  ...its answer on screen",
                t.elapsed().as_secs_f64() * 1000.0,
            ));
        }
    };
    let typed = |text: &str| {
        // Esc in the list clears the filter first, so the prompt starts empty.
        let mut v = vec![Action::Cancel, Action::StartFilter];
        v.extend(text.chars().map(Action::Input));
        v.push(Action::Submit);
        v
    };
    let searched = |text: &str| {
        let mut v = vec![Action::StartSearch];
        v.extend(text.chars().map(Action::Input));
        v.push(Action::Submit);
        v
    };
    key("first draw", &[], app);
    key("down", &[Action::Down], app);
    key("end", &[Action::Bottom], app);
    key("page up", &[Action::PageUp], app);
    key("frames -> messages", &[Action::ToggleMode], app);
    key("messages -> frames", &[Action::ToggleMode], app);
    key(
        "filter: client and len > 100",
        &typed("client and len > 100"),
        app,
    );
    key(
        "filter: payload contains \"99999\"",
        &typed("payload contains \"99999\""),
        app,
    );
    key(
        "filter: same text and client",
        &typed("payload contains \"99999\" and client"),
        app,
    );
    key("clear filter", &[Action::Cancel], app);
    key("search volume\":7", &searched("volume\":7"), app);
    key("next match", &[Action::NextMatch], app);
    key(
        "search without a match",
        &searched("no payload says this"),
        app,
    );
    key("previous match (none)", &[Action::PrevMatch], app);
    out
}
