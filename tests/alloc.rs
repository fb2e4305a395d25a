//! Decoding a stream allocates nothing per packet once it is warmed up: a real capture goes
//! through the pipeline into the text and JSON sinks, each event is handed back to the pipeline
//! after it was written (as `wsinspect --print` and `--json` do), and the heap blocks allocated
//! while the second half of the packets is decoded are counted: none for frames and messages,
//! a few for the end of each connection.
//!
//! `dhat` allows one profiler per process, so this file holds a single test.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use wsinspect::capture::{File, Poll, Source};
use wsinspect::model::Event;
use wsinspect::output::Sink;
use wsinspect::output::json::Json;
use wsinspect::output::text::Text;
use wsinspect::pipeline::{Options, Pipeline};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// Packets that allocated, with how many blocks each; at most this many are kept for the report.
const REPORTED: usize = 20;
/// Heap blocks a connection's end may cost. Closing a TCP connection leaves a tombstone in the
/// tracker (so that its last ACKs open no new flow); that table grows now and then, as the table
/// of open connections does when one opens, and never past the tracker's limit of flows. This is
/// per connection, never per packet.
const BLOCKS_PER_END: u64 = 4;

#[test]
fn second_half_of_a_long_capture_allocates_nothing() {
    // chatty.pcap: a plain and a permessage-deflate connection opened side by side, then
    // hundreds of frames of both, interleaved; both close at the very end. The second half holds
    // only frames, messages (inflated ones too), pings, closes and connection ends.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/chatty.pcap");
    let packets = {
        let mut file = File::open(&path, None).unwrap();
        let mut n = 0u64;
        while let Poll::Packet(_) = file.next_packet().unwrap() {
            n += 1;
        }
        n
    };
    assert!(packets > 1000, "{packets} packets");
    let warm = packets / 2;

    let _profiler = dhat::Profiler::builder().testing().build();
    let mut file = File::open(&path, None).unwrap();
    let mut pipeline = Pipeline::new(file.link(), Options::default());
    let mut text = Text::new(std::io::sink(), false);
    let mut json = Json::new(std::io::sink(), false);
    let mut events = Vec::new();
    let mut allocating: Vec<(u64, u64)> = Vec::with_capacity(REPORTED);
    let (mut frames, mut inflated, mut ends) = (0u64, 0u64, 0u64);
    // Blocks allocated in the second half by packets that end a connection, and by all others.
    let (mut at_ends, mut elsewhere) = (0u64, 0u64);
    let mut number = 0;
    // The pipeline fed by hand, packet by packet, to count what each one allocates.
    while let Poll::Packet(p) = file.next_packet().unwrap() {
        number = p.number.0;
        let before = dhat::HeapStats::get().total_blocks;
        let mut ended = false;
        pipeline.packet(p.number, p.ts, p.data, &mut events);
        for ev in events.drain(..) {
            text.event(&ev).unwrap();
            json.event(&ev).unwrap();
            match &ev {
                Event::Frame(_) => frames += u64::from(number > warm),
                Event::Message(m) if m.compressed => inflated += u64::from(number > warm),
                Event::End(_) => ended = true,
                _ => {}
            }
            pipeline.recycle(ev);
        }
        let blocks = dhat::HeapStats::get().total_blocks - before;
        if number <= warm {
            continue;
        }
        if ended {
            ends += 1;
            at_ends += blocks;
        } else {
            elsewhere += blocks;
            if blocks > 0 && allocating.len() < REPORTED {
                allocating.push((number, blocks));
            }
        }
    }
    pipeline.finish(&mut events);
    assert_eq!(number, packets);
    // The second half is really a steady state of both kinds of traffic.
    assert!(
        frames > 600 && inflated > 100,
        "{frames} frames, {inflated} inflated"
    );
    assert_eq!(ends, 2);
    assert_eq!(
        elsewhere,
        0,
        "heap blocks allocated by packets {}..={packets}; (packet, blocks): {allocating:?}",
        warm + 1
    );
    assert!(
        at_ends <= BLOCKS_PER_END * ends,
        "{at_ends} heap blocks for {ends} connection ends"
    );
}
