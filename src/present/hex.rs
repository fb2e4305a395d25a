//! Bytes in hex: run together for a one-line preview, spaced for reading, or as a dump of
//! offset, bytes and characters laid out as `hexdump -C` lays them out.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// A byte as a hex dump's character column shows it.
pub(crate) fn printable(b: u8) -> char {
    if b.is_ascii_graphic() || b == b' ' {
        b as char
    } else {
        '.'
    }
}

/// Lowercase hex of the first `max_bytes` bytes, then `…` if there are more, written straight
/// into `out` (no string per call: text output writes one per frame).
pub(crate) fn compact(data: &[u8], max_bytes: usize, out: &mut String) {
    for b in &data[..data.len().min(max_bytes)] {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    if data.len() > max_bytes {
        out.push('…');
    }
}

/// Bytes in hex with a space between them: `16 f6 b8 52`.
pub(crate) fn spaced(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Hex digits of a dump's offsets: as wide as the largest one, so that columns line up past
/// 64 KiB, and at least 4.
pub(crate) fn offset_digits(len: usize) -> usize {
    ((usize::BITS - len.leading_zeros()).div_ceil(4) as usize).max(4)
}

/// One line of a dump of `bytes`: the offset of `start`, `per_line` bytes in hex (a wide line of
/// 16 gets a gap after 8), then the same bytes as characters. The line is handed out in pieces,
/// each with the index in `bytes` of the byte it shows (none for offsets and spacing), so that a
/// screen can style each byte.
pub(crate) fn dump_line(
    bytes: &[u8],
    start: usize,
    per_line: usize,
    mut piece: impl FnMut(&str, Option<usize>),
) {
    let digits = offset_digits(bytes.len());
    piece(&format!("{start:0digits$x}  "), None);
    let end = (start + per_line).min(bytes.len());
    let chunk = &bytes[start.min(end)..end];
    let wide = per_line == 16;
    for (j, b) in chunk.iter().enumerate() {
        let hex = [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]];
        piece(
            std::str::from_utf8(&hex).unwrap_or_default(),
            Some(start + j),
        );
        piece(if wide && j == 7 { "  " } else { " " }, None);
    }
    let missing = per_line - chunk.len();
    piece(
        &" ".repeat(missing * 3 + usize::from(wide && missing >= 8) + usize::from(wide)),
        None,
    );
    for (j, b) in chunk.iter().enumerate() {
        piece(printable(*b).encode_utf8(&mut [0; 4]), Some(start + j));
    }
}

/// A whole dump, 16 bytes a line.
pub(crate) fn dump(bytes: &[u8]) -> Vec<String> {
    (0..bytes.len())
        .step_by(16)
        .map(|start| {
            let mut line = String::new();
            dump_line(bytes, start, 16, |text, _| line.push_str(text));
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dump_lays_out_as_hexdump_does() {
        // `printf 'Hi, my name is Alice' | hexdump -C`, with offsets of 4 digits and no bars.
        assert_eq!(
            dump(b"Hi, my name is Alice"),
            [
                "0000  48 69 2c 20 6d 79 20 6e  61 6d 65 20 69 73 20 41  Hi, my name is A",
                "0010  6c 69 63 65                                       lice",
            ]
        );
        assert_eq!(offset_digits(0xffff), 4);
        assert_eq!(offset_digits(0x10000), 5);
    }

    #[test]
    fn short_forms() {
        let mut s = String::new();
        compact(&[0x03, 0xe8, 0xff], 2, &mut s);
        assert_eq!(s, "03e8…");
        assert_eq!(spaced(&[0x16, 0xf6, 0xb8, 0x52]), "16 f6 b8 52");
        assert_eq!(printable(b'\x1b'), '.');
    }
}
