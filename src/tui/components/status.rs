//! What the decoding thread reported besides events: how far loading is, the kernel's counters
//! and the frame rate of a live capture, notes, and whether (and how) the capture ended. The
//! status bar shows it.

use std::time::Instant;

use crate::capture::LiveStats;

pub(crate) struct Status {
    /// Bytes of the capture file read, of how many.
    pub(crate) progress: Option<(u64, u64)>,
    /// The capture ended.
    pub(crate) done: bool,
    pub(crate) notes: Vec<String>,
    /// What ended the capture early, if anything did.
    pub(crate) error: Option<String>,
    pub(crate) live_stats: Option<LiveStats>,
    /// Frames per second over the last second, for a live capture.
    pub(crate) rate: f64,
    /// Since when frames are counted for the rate, and how many came.
    rate_window: (Instant, u64),
}

impl Default for Status {
    fn default() -> Status {
        Status {
            progress: None,
            done: false,
            notes: Vec::new(),
            error: None,
            live_stats: None,
            rate: 0.0,
            rate_window: (Instant::now(), 0),
        }
    }
}

impl Status {
    /// A frame arrived: it counts towards the rate.
    pub(crate) fn count_frame(&mut self) {
        self.rate_window.1 += 1;
    }

    /// The kernel's counters came (about once a second): the rate is worked out again.
    pub(crate) fn live(&mut self, stats: LiveStats) {
        let (since, frames) = self.rate_window;
        let secs = since.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.rate = frames as f64 / secs;
        }
        self.rate_window = (Instant::now(), 0);
        self.live_stats = Some(stats);
    }
}
