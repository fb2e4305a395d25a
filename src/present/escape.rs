//! Text that came off the wire, made safe to show: control bytes, ANSI sequences, bidirectional
//! overrides and invalid UTF-8 are written escaped, never raw.

/// Text from the wire, made safe for a terminal: control bytes (escape sequences included) and
/// invalid UTF-8 are shown escaped, never sent raw. At most `max_chars` characters are written,
/// then `…`.
pub(crate) fn escape_text(bytes: &[u8], max_chars: usize, out: &mut String) {
    escape(bytes, max_chars, true, out)
}

/// As [`escape_text`], for text that is not written between quotes (the terminal UI's panes,
/// teach mode's pages): quotes and backslashes stay as they are, control bytes are still escaped.
pub(crate) fn escape_plain(bytes: &[u8], max_chars: usize, out: &mut String) {
    escape(bytes, max_chars, false, out)
}

/// [`escape_plain`] into a new string.
pub(crate) fn plain(bytes: &[u8], max_chars: usize) -> String {
    let mut s = String::new();
    escape_plain(bytes, max_chars, &mut s);
    s
}

fn escape(bytes: &[u8], max_chars: usize, quoted: bool, out: &mut String) {
    let mut written = 0;
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if written >= max_chars {
                out.push('…');
                return;
            }
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '"' if quoted => out.push_str("\\\""),
                '\\' if quoted => out.push_str("\\\\"),
                c if c.is_control() || is_bidi_control(c) => {
                    use std::fmt::Write;
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
            written += 1;
        }
        for b in chunk.invalid() {
            if written >= max_chars {
                out.push('…');
                return;
            }
            use std::fmt::Write;
            let _ = write!(out, "\\x{b:02x}");
            written += 1;
        }
    }
}

/// Characters that reorder what a terminal shows (bidirectional overrides): escaped like controls.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_bytes_never_reach_the_terminal() {
        let mut s = String::new();
        escape_text(b"a\x1b[31mred\x07\n\xff\xc3", 100, &mut s);
        assert_eq!(s, "a\\u{1b}[31mred\\u{7}\\n\\xff\\xc3");
        assert!(!s.chars().any(|c| c.is_control()));
    }

    #[test]
    fn plain_text_keeps_quotes_but_not_controls() {
        let mut s = String::new();
        escape_plain(b"{\"a\": \"\\x\"}\x1b]0;t\x07", 100, &mut s);
        assert_eq!(s, "{\"a\": \"\\x\"}\\u{1b}]0;t\\u{7}");
    }

    #[test]
    fn long_text_is_cut() {
        let mut s = String::new();
        escape_text("héllo wörld".as_bytes(), 4, &mut s);
        assert_eq!(s, "héll…");
    }
}
