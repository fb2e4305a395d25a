//! The command line, in the spirit of tcpdump and tshark.

use std::path::PathBuf;

use clap::Parser;

const EXAMPLES: &str = "\
Examples:
  Browse a capture (pcap or pcapng) in the terminal UI (press ? there for the keys):
    wsinspect capture.pcap

  The same capture, one line per frame (also what a pipe or a file gets):
    wsinspect capture.pcap --print

  Watch WebSocket traffic on port 8765 live (needs root or cap_net_raw):
    sudo wsinspect -i lo -p 8765

  Save what is captured while decoding it:
    sudo wsinspect -i any -p 8765 -w session.pcap

  Every message's text as JSON, piped into jq:
    wsinspect capture.pcap --json | jq -r 'select(.type==\"message\") | .text'

  A capture that starts after the handshake (as Wireshark's \"Decode As\"):
    wsinspect midstream.pcap -d 8765 --print

  Only the connections on port 8765 of a busy capture:
    wsinspect big.pcap -p 8765

  Only the frames, messages and gaps a filter keeps, as tshark -Y (the terminal UI's filter,
  table in the README); with --json, each after the connection it belongs to:
    wsinspect capture.pcap -Y 'client and text contains \"error\"'
    wsinspect capture.pcap -Y 'problems or len > 64k' --json

  Teach a class how WebSockets work, with a capture of your own (arrows to step):
    wsinspect --teach samples/echo.pcap

  The same walk-through as text, for a handout:
    wsinspect --teach --print samples/echo.pcap > handout.txt

  wss: decrypt TLS with the key log the client wrote (SSLKEYLOGFILE=keys.txt when it ran):
    wsinspect capture.pcap --keylog keys.txt --print

  wss live from a browser: start it with SSLKEYLOGFILE set, then capture on port 443:
    SSLKEYLOGFILE=$HOME/keys.txt chromium &
    sudo -E wsinspect -i any -p 443

  Record a capture to open later:
    sudo tcpdump -i lo -w capture.pcap 'tcp port 8765'

Exit status: 0 success, 1 failure (bad or cut-off capture, capture error), 2 bad usage.";

/// Shows WebSocket traffic from captures and live interfaces: handshakes, frames, messages.
#[derive(Parser, Debug)]
#[command(name = "wsinspect", version, after_help = EXAMPLES)]
pub struct Args {
    /// Capture file to read (pcap or pcapng)
    #[arg(value_name = "FILE", conflicts_with_all = ["read", "interface"])]
    pub(crate) file: Option<PathBuf>,

    /// Read packets from FILE, as tcpdump -r
    #[arg(
        short = 'r',
        long = "read",
        value_name = "FILE",
        conflicts_with = "interface"
    )]
    pub(crate) read: Option<PathBuf>,

    /// Capture live on interface IFACE (e.g. lo, eth0, any)
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    pub(crate) interface: Option<String>,

    /// Only TCP traffic on PORT (repeat for more ports), live or from a file
    #[arg(short = 'p', long = "port", value_name = "PORT")]
    pub(crate) ports: Vec<u16>,

    /// Packet filter in tcpdump's syntax, e.g. 'host 10.0.0.5 and tcp port 443', live or from a file
    #[arg(short = 'f', long = "filter", value_name = "BPF")]
    pub(crate) filter: Option<String>,

    /// Save every captured packet to OUT.pcap while decoding (live capture)
    #[arg(short = 'w', long = "write", value_name = "OUT")]
    pub(crate) write: Option<PathBuf>,

    /// Kernel capture buffer size in KiB, as tcpdump -B (default 32768); raise it if packets
    /// are reported dropped
    #[arg(short = 'B', long = "buffer-size", value_name = "KIB")]
    pub(crate) buffer_kib: Option<u32>,

    /// List the interfaces a live capture can use
    #[arg(short = 'D', long = "list-interfaces")]
    pub(crate) list_interfaces: bool,

    /// Stop after N WebSocket frames
    #[arg(short = 'c', long = "count", value_name = "N")]
    pub(crate) count: Option<u64>,

    /// Write only the frames, messages and gaps that FILTER keeps, as tshark -Y (the terminal
    /// UI's filter language, e.g. 'client and text contains "error"'); as text unless --json
    #[arg(
        short = 'Y',
        long = "display-filter",
        value_name = "FILTER",
        conflicts_with = "teach"
    )]
    pub(crate) display_filter: Option<String>,

    /// Treat TCP traffic on PORT as WebSocket from its first byte, for captures that begin
    /// after the handshake (repeatable)
    #[arg(short = 'd', long = "decode-as", value_name = "PORT")]
    pub(crate) decode_as: Vec<u16>,

    /// TLS key log (the SSLKEYLOGFILE format browsers, curl, Python and Node write) to decrypt
    /// wss with (repeatable); read again as it grows during a live capture. Without it, the
    /// file SSLKEYLOGFILE names is used; pcapng files carrying their own secrets need neither
    #[arg(long = "keylog", value_name = "FILE")]
    pub(crate) keylog: Vec<PathBuf>,

    /// MiB that connections may hold together while frames, messages and TCP segments are
    /// incomplete; past it, the connection holding the most is no longer followed (reported
    /// as evicted). Each connection is also bounded on its own (16 MiB per frame or message)
    #[arg(long = "buffer-limit", value_name = "MIB", default_value_t = 1024)]
    pub(crate) buffer_limit_mib: u32,

    /// Print one line per event instead of opening the terminal UI (the default when output
    /// is not a terminal)
    #[arg(long, conflicts_with = "json")]
    pub(crate) print: bool,

    /// Print one JSON object per event (NDJSON; schema in the README)
    #[arg(long)]
    pub(crate) json: bool,

    /// Walk through the first connection step by step, for a class: the handshake and its
    /// accept key, a frame bit by bit, unmasking, fragments, compression, the close, the cost
    /// (with --print: as plain text)
    #[arg(long, conflicts_with_all = ["json", "interface"])]
    pub(crate) teach: bool,
}
