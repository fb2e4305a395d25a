//! Any bytes at the start of a frame: the header parses or asks for more bytes, never panics,
//! and a parsed header is exactly as long as it says and writes back to the same bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsinspect::ws::FrameHeader;

fuzz_target!(|data: &[u8]| {
    let Some(h) = FrameHeader::parse(data) else {
        // More bytes are needed only while the header is really incomplete.
        assert!(
            data.len() < 14,
            "{} bytes did not make a header",
            data.len()
        );
        return;
    };
    let n = usize::from(h.header_len);
    assert!(
        (2..=14).contains(&n) && n <= data.len(),
        "header of {n} bytes"
    );
    let mut again = Vec::new();
    h.encode(&mut again);
    assert_eq!(again, data[..n]);
    let _ = (h.non_minimal_length(), h.is_control());
});
