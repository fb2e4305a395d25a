//! Any bytes from both ends of a connection, cut anywhere: the HTTP reader finds upgrades,
//! answers and plain requests or gives up on the connection, and never panics.
//!
//! The first byte says where the chunks end (its bits pick chunk lengths); chunks alternate
//! between the two directions.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect::http::Conversation;
use wsinspect::vocab::Dir;

fuzz_target!(|data: &[u8]| {
    let Some((&cuts, mut rest)) = data.split_first() else {
        return;
    };
    let mut conversation = Conversation::default();
    let mut out = Vec::new();
    let mut dir = Dir::AtoB;
    let mut step = 0u32;
    while !rest.is_empty() {
        // Chunk lengths from 1 to 256, varied by the first byte.
        let len = 1 + (usize::from(cuts.rotate_left(step)) * 37 + step as usize * 11) % 256;
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        conversation.feed(dir, chunk, &mut out);
        rest = tail;
        dir = dir.reverse();
        step += 1;
    }
});
