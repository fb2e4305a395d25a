//! A payload whole, as lines for reading: JSON pretty-printed when it parses, text escaped line
//! by line, anything else as a hex dump.

use super::escape_plain;
use super::hex;

/// Payload as lines for reading. Bytes that are not text are shown as a hex dump, so nothing
/// from the wire reaches the terminal raw.
pub(crate) fn lines(data: &[u8], text: bool) -> Vec<String> {
    if data.is_empty() {
        return vec!["(empty payload)".to_owned()];
    }
    let as_text = text || std::str::from_utf8(data).is_ok();
    if as_text {
        if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data)
            && (json.is_object() || json.is_array())
            && let Ok(pretty) = serde_json::to_string_pretty(&json)
        {
            let mut lines = vec!["JSON, pretty-printed:".to_owned()];
            lines.extend(pretty.lines().map(|l| {
                let mut s = String::new();
                escape_plain(l.as_bytes(), usize::MAX, &mut s);
                s
            }));
            return lines;
        }
        return data
            .split(|b| *b == b'\n')
            .map(|l| {
                let mut s = String::new();
                escape_plain(l, usize::MAX, &mut s);
                s
            })
            .collect();
    }
    hex::dump(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_and_bytes_each_read_their_way() {
        assert_eq!(
            lines(br#"{"type":["hello"]}"#, true),
            [
                "JSON, pretty-printed:",
                "{",
                "  \"type\": [",
                "    \"hello\"",
                "  ]",
                "}"
            ]
        );
        assert_eq!(lines(b"one\ntwo\x1b[0m", true), ["one", "two\\u{1b}[0m"]);
        assert_eq!(lines(b"", false), ["(empty payload)"]);
        assert_eq!(lines(&[0xff, 0x00], false), hex::dump(&[0xff, 0x00]));
    }
}
