//! The real binary in a real terminal: tmux runs `wsinspect samples/mixed.pcap`, keys are sent
//! as a user would type them, and the screen is read back with capture-pane.
//!
//! Expected values come from `samples/mixed.log.jsonl` (what the Node peers logged they sent).
//! Ignored by a plain `cargo test`: `cargo test -- --include-ignored` runs it, and then it fails,
//! saying so, where tmux is not installed.

#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap()
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "ui"]).stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", "ui", k]);
            // One key at a time, as typed: the UI reads them in order either way.
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "ui", "-l", text]);
    }

    /// Waits (at most 10 s) until the screen shows `want`.
    #[track_caller]
    fn wait_for(&self, want: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(want) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "screen never showed {want:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

#[test]
#[ignore = "needs tmux for a real terminal: cargo test -- --include-ignored"]
fn browse_filter_search_and_quit_in_a_real_terminal() {
    common::require_tmux();
    let t = Tmux {
        socket: format!("wsinspect-test-{}", std::process::id()),
    };
    let command = format!(
        "{} samples/mixed.pcap; echo wsinspect exited with $?; sleep 30",
        env!("CARGO_BIN_EXE_wsinspect")
    );
    let out = t.run(&[
        "new-session",
        "-d",
        "-s",
        "ui",
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        env!("CARGO_MANIFEST_DIR"),
    ]);
    assert!(out.status.success(), "{out:?}");
    t.run(&["respawn-pane", "-k", "-t", "ui", &command]);

    // mixed.log.jsonl: one connection, 26 frames on the wire.
    t.wait_for("Frames of all connections: 26");

    // Select the connection, then its list.
    t.keys(&["BTab", "j", "Enter"]);
    t.wait_for("Frames of connection #0: 26");

    // Open the third frame's details: the 70000-byte binary with a 64-bit length.
    t.keys(&["j", "j", "Enter"]);
    t.wait_for("Frame 2 of connection #0, client → server");
    // Zoom the details pane to read the whole header.
    t.keys(&["z"]);
    t.wait_for("Extended payload length (64 bits): 70000");
    t.keys(&["z"]);

    // Filter: the log has 4 pings sent (3 by the client, 1 by the server).
    t.keys(&["Tab", "Tab", "Tab", "f"]);
    t.wait_for("Filter:");
    t.type_text("ping");
    t.keys(&["Enter"]);
    let s = t.wait_for("Frames of connection #0: 4 · filter: ping");
    assert_eq!(s.matches(" ping        FIN").count(), 4, "{s}");

    // Clear the filter and search for the middle fragment of the fragmented text.
    t.keys(&["Escape", "/"]);
    t.wait_for("Search:");
    t.type_text("fragment two");
    t.keys(&["Enter"]);
    let s = t.wait_for("Message: fragment 2 of 3");
    assert!(
        s.contains("Frame 9 of connection #0, client → server"),
        "{s}"
    );

    // Quit: the program exits with status 0 and the shell prints after it, on a restored
    // screen.
    t.keys(&["q"]);
    let s = t.wait_for("wsinspect exited with 0");
    assert!(!s.contains("Connections:"), "the UI is still drawn:\n{s}");
}
