//! What the integration tests that drive a real terminal share.

use std::process::Command;

/// Fails the test, saying so, unless tmux is installed: the terminal UI runs in it.
#[track_caller]
pub fn require_tmux() {
    let found = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "the terminal UI's test runs in tmux, which is not installed (apt-get install tmux)"
    );
}
