//! A payload in one line, the same in every output: text escaped, binary as hex, a close as its
//! code, meaning and reason. Outputs differ only in room and quoting: text output quotes text so
//! that a line reads unambiguously; the terminal UI's panes show it as it is.

use super::escape::{escape_plain, escape_text};
use super::hex;
use super::words::CloseCode;
use crate::vocab::Opcode;

/// How much of a payload a preview shows, and whether text goes between quotes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Room {
    /// Characters of text (and of a close reason).
    chars: usize,
    /// Bytes of binary data, in hex.
    hex_bytes: usize,
    /// Text between quotes, with quotes and backslashes in it escaped.
    quoted: bool,
}

impl Room {
    /// A line of text output among other columns.
    pub(crate) const LINE: Room = Room {
        chars: 60,
        hex_bytes: 24,
        quoted: true,
    };

    /// The last column of the terminal UI's list, as wide as the screen.
    pub(crate) const COLUMN: Room = Room {
        chars: 120,
        hex_bytes: 32,
        quoted: false,
    };

    fn escape(self, bytes: &[u8], out: &mut String) {
        if self.quoted {
            escape_text(bytes, self.chars, out);
        } else {
            escape_plain(bytes, self.chars, out);
        }
    }
}

/// A one-line preview of a payload sent with `opcode`, appended to `out`.
pub(crate) fn preview(opcode: Opcode, data: &[u8], room: Room, out: &mut String) {
    use std::fmt::Write;
    match opcode {
        Opcode::Close => match data {
            [a, b, reason @ ..] => {
                let _ = write!(out, "{} \"", CloseCode(u16::from_be_bytes([*a, *b])));
                room.escape(reason, out);
                out.push('"');
            }
            [] => out.push_str("(no code)"),
            _ => hex::compact(data, room.hex_bytes, out),
        },
        Opcode::Binary => hex::compact(data, room.hex_bytes, out),
        _ if data.is_empty() => out.push_str(if room.quoted { "\"\"" } else { "(empty)" }),
        _ if std::str::from_utf8(data).is_ok()
            || opcode == Opcode::Text
            || opcode == Opcode::Continuation =>
        {
            if room.quoted {
                out.push('"');
                room.escape(data, out);
                out.push('"');
            } else {
                room.escape(data, out);
            }
        }
        _ => hex::compact(data, room.hex_bytes, out),
    }
}

/// What stands for a compressed payload that is not inflated on its own (a message's later
/// fragment, or a frame of a message not complete).
pub(crate) fn compressed(bytes: usize, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "[compressed, {bytes} bytes]");
}

/// What stands for bytes the capture lost.
pub(crate) fn gap(bytes: u64, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "GAP: {bytes} bytes missing from the capture");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(opcode: Opcode, data: &[u8], room: Room) -> String {
        let mut s = String::new();
        preview(opcode, data, room, &mut s);
        s
    }

    #[test]
    fn one_preview_in_two_rooms() {
        // A close: its 2-byte code, then the reason (RFC 6455, section 5.5.1).
        let close = [0x03, 0xe8, b'b', b'y', b'e'];
        assert_eq!(
            shown(Opcode::Close, &close, Room::LINE),
            "1000 (normal closure) \"bye\""
        );
        assert_eq!(
            shown(Opcode::Close, &close, Room::COLUMN),
            "1000 (normal closure) \"bye\""
        );
        let hi = b"Hi, \"Alice\"";
        assert_eq!(shown(Opcode::Text, hi, Room::LINE), "\"Hi, \\\"Alice\\\"\"");
        assert_eq!(shown(Opcode::Text, hi, Room::COLUMN), "Hi, \"Alice\"");
        assert_eq!(shown(Opcode::Text, b"", Room::LINE), "\"\"");
        assert_eq!(shown(Opcode::Text, b"", Room::COLUMN), "(empty)");
        assert_eq!(shown(Opcode::Ping, &[0xff, 0], Room::COLUMN), "ff00");
        assert_eq!(
            shown(Opcode::Binary, &[7; 40], Room::LINE).len(),
            48 + '…'.len_utf8()
        );
    }
}
