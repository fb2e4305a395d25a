//! Micro-benchmarks of the paths every byte of a capture goes through: the frame header, the
//! unmasking XOR, TCP reassembly in and out of order, a million flows through the flow table, and
//! inflating a compressed message.
//!
//! ```text
//! cargo bench --bench hot_paths
//! ```
//! Whole-file figures against tshark come from `benches/compare.sh`.

use std::hint::black_box;
use std::net::{Ipv4Addr, SocketAddr};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use flate2::{Compress, Compression, FlushCompress};
use wsinspect::tcp::{self, Segment, Tracker};
use wsinspect::vocab::{ConnId, Dir};
use wsinspect::ws::{self, Buffers, DeflateParams, FrameHeader, Stamp};

fn header(c: &mut Criterion) {
    // RFC 6455 5.7: a masked "Hello", and a 64-bit length.
    let short = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d];
    let long = [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0];
    c.bench_function("frame header, 7-bit masked", |b| {
        b.iter(|| FrameHeader::parse(black_box(&short)))
    });
    c.bench_function("frame header, 64-bit", |b| {
        b.iter(|| FrameHeader::parse(black_box(&long)))
    });
}

fn unmask(c: &mut Criterion) {
    let mut payload = vec![0x5au8; 64 << 10];
    let mut g = c.benchmark_group("unmask");
    g.throughput(Throughput::Bytes(payload.len() as u64));
    g.bench_function("64 KiB", |b| {
        b.iter(|| ws::unmask(black_box(&mut payload), [0x37, 0xfa, 0x21, 0x3d], 1))
    });
    g.finish();
}

fn segments(order: &[usize], payload: &[u8]) -> Vec<(u32, Vec<u8>)> {
    let chunks: Vec<(u32, Vec<u8>)> = payload
        .chunks(1448)
        .enumerate()
        .map(|(i, c)| (1 + (i * 1448) as u32, c.to_vec()))
        .collect();
    order.iter().map(|i| chunks[*i].clone()).collect()
}

fn reassembly(c: &mut Criterion) {
    let a: SocketAddr = "10.0.0.2:40000".parse().unwrap_or_else(|_| unreachable!());
    let b: SocketAddr = "10.0.0.1:8080".parse().unwrap_or_else(|_| unreachable!());
    let payload = vec![7u8; 1448 * 64];
    let in_order: Vec<usize> = (0..64).collect();
    // Pairs swapped: every other segment arrives before the one it follows.
    let swapped: Vec<usize> = (0..64).map(|i| i ^ 1).collect();
    let mut g = c.benchmark_group("tcp reassembly");
    g.throughput(Throughput::Bytes(payload.len() as u64));
    for (name, order) in [("in order", &in_order), ("pairs swapped", &swapped)] {
        let segs = segments(order, &payload);
        let run = || {
            let mut t = Tracker::new(tcp::Limits::default());
            let mut got = 0usize;
            let syn = syn(a, b, 0);
            t.push(&syn, &mut |_| {});
            for (seq, data) in &segs {
                let s = Segment {
                    seq: *seq,
                    syn: false,
                    payload: data,
                    wire_len: data.len() as u32,
                    ..syn
                };
                t.push(&s, &mut |ev| {
                    if let tcp::Event::Data { bytes, .. } = ev {
                        got += bytes.len();
                    }
                });
            }
            got
        };
        // A benchmark of reassembly that delivers nothing would measure nothing.
        assert_eq!(run(), payload.len(), "{name}: every byte delivered");
        g.bench_function(name, |bench| bench.iter(run));
    }
    g.finish();
}

/// The SYN that opens a connection from `src` to `dst`.
fn syn(src: SocketAddr, dst: SocketAddr, seq: u32) -> Segment<'static> {
    Segment {
        src,
        dst,
        seq,
        ack: None,
        syn: true,
        fin: false,
        rst: false,
        payload: &[],
        wire_len: 0,
    }
}

/// A SYN from each of a million clients, as a scan or a busy server's day looks: past the default
/// live-flow cap every new flow evicts the least recently active one.
fn many_flows(c: &mut Criterion) {
    const FLOWS: u32 = 1_000_000;
    let server: SocketAddr = "10.0.0.1:443".parse().unwrap_or_else(|_| unreachable!());
    let run = || {
        let mut t = Tracker::new(tcp::Limits::default());
        let mut closed = 0u32;
        for i in 0..FLOWS {
            // 16,384 ports on each of 62 addresses.
            let ip = Ipv4Addr::from(0x0a01_0000 + (i >> 14));
            let port = 1024 + (i & 0x3fff) as u16;
            t.push(&syn(SocketAddr::from((ip, port)), server, i), &mut |ev| {
                if let tcp::Event::Closed { .. } = ev {
                    closed += 1;
                }
            });
        }
        closed
    };
    let cap = tcp::Limits::default().max_flows as u32;
    assert_eq!(run(), FLOWS - cap, "every flow past the cap evicts one");
    let mut g = c.benchmark_group("tcp flows");
    g.throughput(Throughput::Elements(u64::from(FLOWS)));
    // Each run takes a good part of a second: ten of them, one at a time.
    g.sample_size(10).sampling_mode(SamplingMode::Flat);
    g.bench_function("a million SYNs", |bench| bench.iter(run));
    g.finish();
}

fn inflate(c: &mut Criterion) {
    // A JSON message as a server sends it compressed (RFC 7692 7.2.1: sync flush, tail cut).
    let text = br#"{"type":"tick","symbol":"ACME","price":109.12,"volume":4882,"exchange":"NASDAQ","note":"the same shape as most messages in a market feed"}"#.repeat(8);
    let mut z = Compress::new(Compression::default(), false);
    let mut deflated = Vec::with_capacity(text.len() + 64);
    let _ = z.compress_vec(&text, &mut deflated, FlushCompress::Sync);
    deflated.truncate(deflated.len().saturating_sub(4));
    let mut frame = vec![0xc1, 126];
    frame.extend_from_slice(&(deflated.len() as u16).to_be_bytes());
    frame.extend_from_slice(&deflated);
    let params = DeflateParams::from_header(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
    let mut g = c.benchmark_group("inflate");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("1 KiB JSON message", |b| {
        let mut conn =
            ws::Connection::new(ConnId(0), Some(Dir::AtoB), params, ws::Limits::default());
        let mut bufs = Buffers::default();
        let mut out = Vec::new();
        b.iter(|| {
            conn.feed(Dir::BtoA, &frame, Stamp::default(), &mut bufs, &mut out);
            let n = out.len();
            out.clear();
            n
        })
    });
    g.finish();
}

criterion_group!(benches, header, unmask, reassembly, many_flows, inflate);
criterion_main!(benches);
