//! wsinspect: WebSocket traffic from packet captures and live interfaces, decoded the way
//! Wireshark decodes packets, but made for WebSockets.
//!
//! ```text
//! capture ──packet──▶ link ──TCP segment──▶ tcp ──(flow, direction, bytes | gap)──▶
//!     [tls (decrypted with the key log)] ──▶ http (upgrade) | h2 (extended CONNECT streams)
//!     ──WebSocket bytes──▶ ws (frames, messages) ──event──▶ model ─┬─▶ output (text | json)
//!                                                                  └─▶ index ──▶ query, teach ──▶ tui
//!
//!                   present: the words, previews, hex and times that output, teach and tui write
//! ```
//!
//! The decoding stages (`link`, `tcp`, `tls`, `http`, `h2`, `ws`) know nothing of pcap, files or the terminal:
//! they are pure and fuzzable. Only `capture` knows pcap; only `output` and `tui` write, and only
//! `tui` knows the terminal.
//!
//! `pipeline` wires them: `pipeline::drive` is the one packet loop over any `capture::Source`,
//! and each TCP connection's bytes go to the `pipeline::Layer` it is in: its first bytes say
//! which (a ClientHello: TLS, whose plaintext goes on to the layer above it; the HTTP/2 preface:
//! HTTP/2; else HTTP/1.1 until an upgrade, then WebSocket). Packets and conversations that cannot be followed become anomaly events.
//!
//! Below them all, `vocab` defines once the words every layer uses: link type, packet number,
//! connection id, timestamp, direction, side and opcode. Each module imports only those before it
//! in the data's path (vocab, capture, link, tcp, tls, http, h2, ws, model, pipeline, index, query,
//! present, output, teach, tui): no stage reaches a later one.
//!
//! What the terminal UI browses serves every output: `index` keeps the events (frames as small
//! summaries, their bytes in a spill file), `query` filters and searches them, `teach` walks
//! through one connection of them, and `present` says everything the same way wherever it is
//! written. None of them knows the UI. `query`'s filter also narrows what `output` writes, as
//! the events are decoded (`-Y`), judging each row as the UI's list does.

pub mod capture;
pub mod cli;
pub(crate) mod h2;
pub mod http;
pub mod index;
pub mod link;
pub mod model;
pub mod output;
pub mod pipeline;
pub(crate) mod present;
pub(crate) mod query;
pub mod run;
pub mod tcp;
pub(crate) mod teach;
pub mod tls;
pub mod tui;
pub mod vocab;
pub mod ws;
