//! wsinspect: WebSocket traffic from packet captures and live interfaces, decoded the way
//! Wireshark decodes packets, but made for WebSockets.
//!
//! ```text
//! capture ──packet──▶ link ──TCP segment──▶ tcp ──(flow, direction, bytes | gap)──▶ http (upgrade)
//!     ──bytes after 101──▶ ws (frames, messages) ──event──▶ model ──▶ output (text | json) | tui
//! ```
//!
//! The decoding stages (`link`, `tcp`, `http`, `ws`) know nothing of pcap, files or the terminal:
//! they are pure and fuzzable. Only `capture` knows pcap; only `output` and `tui` write, and only `tui` knows the terminal.

pub mod capture;
pub mod cli;
pub mod http;
pub mod index;
pub mod link;
pub mod model;
pub mod output;
pub mod pipeline;
pub mod present;
pub mod query;
pub mod run;
pub mod tcp;
pub mod teach;
pub mod tui;
pub mod ws;
