//! Decoded header lists (RFC 9113 section 8.2, HPACK RFC 7541) and what an RFC 8441 extended
//! CONNECT says in them.

use std::fmt::Write as _;

/// Fields kept of one header list; the rest are decoded (HPACK state depends on them) but
/// dropped. A 256 KiB block of one-byte references to a large table entry would otherwise
/// decode to a gigabyte.
pub(crate) const MAX_FIELDS: usize = 1024;
/// Name and value bytes kept of one header list.
pub(crate) const MAX_LIST_BYTES: usize = 256 * 1024;

/// A decoded header list: the fields in the order they were sent, names and values as the
/// bytes they were (HTTP/2 asks for lowercase names, but a capture may hold anything).
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Head {
    bytes: Vec<u8>,
    /// Where each field's name ends and its value ends in `bytes`; the name starts where the
    /// previous value ended. `u32` is plenty under `MAX_LIST_BYTES`.
    ends: Vec<(u32, u32)>,
    truncated: bool,
}

impl Head {
    /// The fields, in order.
    pub(crate) fn fields(&self) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |&(name_end, value_end)| {
            let (name_end, value_end) = (name_end as usize, value_end as usize);
            let field = (
                &self.bytes[start..name_end],
                &self.bytes[name_end..value_end],
            );
            start = value_end;
            field
        })
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// More fields came than are kept (`MAX_FIELDS`, `MAX_LIST_BYTES`): these are the first.
    pub(crate) fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The values of every field called `name` (compared without regard to ASCII case).
    pub(crate) fn all<'a, 'n>(
        &'a self,
        name: &'n str,
    ) -> impl Iterator<Item = &'a [u8]> + use<'a, 'n> {
        self.fields()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v)
    }

    /// The value of the first field called `name`.
    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.all(name).next()
    }

    /// The value of the first field called `name` as text, bytes that are not UTF-8 written
    /// as `\xNN`.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(escape)
    }

    /// The `:status` of a response head, when it is three digits.
    pub(crate) fn status(&self) -> Option<u16> {
        let v = self.get(":status")?;
        if v.len() != 3 || !v.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(v).ok()?.parse().ok()
    }

    /// Keeps a field, unless the limits are reached: then it is dropped and the head marked
    /// truncated.
    pub(crate) fn push(&mut self, name: &[u8], value: &[u8]) {
        let room = MAX_LIST_BYTES - self.bytes.len();
        if self.truncated || self.ends.len() >= MAX_FIELDS || name.len() + value.len() > room {
            self.truncated = true;
            return;
        }
        self.bytes.extend_from_slice(name);
        let name_end = self.bytes.len() as u32;
        self.bytes.extend_from_slice(value);
        self.ends.push((name_end, self.bytes.len() as u32));
    }

    /// A head of the given fields, as a decoder would give it.
    #[cfg(test)]
    pub(crate) fn of(fields: &[(&str, &str)]) -> Head {
        let mut head = Head::default();
        for (n, v) in fields {
            head.push(n.as_bytes(), v.as_bytes());
        }
        head
    }
}

impl std::fmt::Debug for Head {
    /// `[":status: 200", "x: \xff"]`: readable in a failed assertion.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for (n, v) in self.fields() {
            list.entry(&format_args!("{}: {}", escape(n), escape(v)));
        }
        if self.truncated {
            list.entry(&format_args!("…"));
        }
        list.finish()
    }
}

/// The text of `bytes`, where bytes that are not UTF-8 are written `\xNN`. Control characters
/// are left to whoever writes the text out.
pub(crate) fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        s.push_str(chunk.valid());
        for b in chunk.invalid() {
            let _ = write!(s, "\\x{b:02x}");
        }
    }
    s
}

/// Decodes a complete header block with the HPACK decoder of the direction that sent it.
/// The whole block is decoded even when the head is cut short, so that the dynamic table ends
/// where the encoder's did.
pub(super) fn decode(
    hpack: &mut loona_hpack::Decoder<'static>,
    block: &[u8],
) -> Result<Head, loona_hpack::decoder::DecoderError> {
    let mut head = Head::default();
    hpack.decode_with_cb(block, |name, value| head.push(&name, &value))?;
    Ok(head)
}

/// A request head that opens an RFC 8441 tunnel: an extended CONNECT (section 4), with what it
/// says about the WebSocket it asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tunnel {
    /// `:protocol`: `websocket` for a WebSocket.
    pub(crate) protocol: String,
    /// `:scheme`, `:authority` and `:path`: the WebSocket URI's parts. The RFC requires
    /// `:scheme` and `:path`; they are missing only from a malformed request.
    pub(crate) scheme: Option<String>,
    pub(crate) authority: Option<String>,
    pub(crate) path: Option<String>,
    /// `sec-websocket-version` (13 for RFC 6455).
    pub(crate) version: Option<String>,
    /// `sec-websocket-protocol`: the subprotocols offered, in order of preference, from
    /// every field of that name.
    pub(crate) subprotocols: Vec<String>,
    /// `sec-websocket-extensions`: the extensions offered, every field joined by `, `.
    pub(crate) extensions: Option<String>,
}

impl Tunnel {
    /// The tunnel carries a WebSocket (`:protocol` is `websocket`, in any case).
    pub(crate) fn is_websocket(&self) -> bool {
        self.protocol.eq_ignore_ascii_case("websocket")
    }
}

/// The tunnel a request head opens, if it is an extended CONNECT: `:method` `CONNECT` with a
/// `:protocol` (RFC 8441 section 4). A plain CONNECT (to a proxy) is not one.
pub(crate) fn tunnel(head: &Head) -> Option<Tunnel> {
    if head.get(":method")? != b"CONNECT" {
        return None;
    }
    let protocol = head.text(":protocol")?;
    Some(Tunnel {
        protocol,
        scheme: head.text(":scheme"),
        authority: head.text(":authority"),
        path: head.text(":path"),
        version: head.text("sec-websocket-version"),
        subprotocols: head
            .all("sec-websocket-protocol")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(|p| escape(p.trim_ascii()))
            .filter(|p| !p.is_empty())
            .collect(),
        extensions: joined(head, "sec-websocket-extensions"),
    })
}

/// What the server answered to an extended CONNECT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) status: Option<u16>,
    /// `sec-websocket-protocol`: the subprotocol the server chose.
    pub(crate) protocol: Option<String>,
    /// `sec-websocket-extensions`: the extensions the server accepted, every field joined.
    pub(crate) extensions: Option<String>,
}

impl Answer {
    /// Any 2xx opens the tunnel (RFC 8441 section 5; RFC 9110 section 9.3.6).
    pub(crate) fn opened(&self) -> bool {
        matches!(self.status, Some(200..=299))
    }
}

/// What a response head answers to an extended CONNECT.
pub(crate) fn answer(head: &Head) -> Answer {
    Answer {
        status: head.status(),
        protocol: head.text("sec-websocket-protocol"),
        extensions: joined(head, "sec-websocket-extensions"),
    }
}

/// Every field called `name`, joined by `, ` as HTTP joins repeated list fields.
fn joined(head: &Head, name: &str) -> Option<String> {
    let mut all = head.all(name).map(escape);
    let first = all.next()?;
    Some(all.fold(first, |acc, v| acc + ", " + &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_come_back_in_order_and_by_name() {
        let head = Head::of(&[(":status", "200"), ("x", "1"), ("X", "2"), ("y", "")]);
        assert_eq!(head.len(), 4);
        assert!(!head.is_empty() && Head::default().is_empty());
        assert_eq!(
            head.fields().collect::<Vec<_>>(),
            [
                (&b":status"[..], &b"200"[..]),
                (b"x", b"1"),
                (b"X", b"2"),
                (b"y", b"")
            ]
        );
        assert_eq!(head.all("x").collect::<Vec<_>>(), [b"1", b"2"]);
        assert_eq!(head.get("y"), Some(&b""[..]));
        assert_eq!(head.get("z"), None);
        assert_eq!(head.status(), Some(200));
        assert_eq!(Head::of(&[(":status", "20x")]).status(), None);
        assert_eq!(Head::of(&[(":status", "+20")]).status(), None);
    }

    #[test]
    fn bytes_that_are_not_utf8_are_escaped() {
        assert_eq!(escape(b"caf\xc3\xa9 \xff\xfe!"), "café \\xff\\xfe!");
        let mut head = Head::default();
        head.push(b"n\x80", b"v");
        assert_eq!(format!("{head:?}"), r#"[n\x80: v]"#);
    }

    #[test]
    fn a_long_list_keeps_its_first_fields() {
        let mut head = Head::default();
        for _ in 0..MAX_FIELDS + 5 {
            head.push(b"a", b"b");
        }
        assert_eq!(head.len(), MAX_FIELDS);
        assert!(head.is_truncated());
        let mut head = Head::default();
        let big = vec![b'v'; MAX_LIST_BYTES / 2];
        head.push(b"a", &big);
        head.push(b"b", &big);
        head.push(b"c", b"d");
        assert_eq!(head.len(), 1);
        assert!(head.is_truncated());
    }

    #[test]
    fn an_extended_connect_is_a_tunnel_and_a_plain_one_is_not() {
        let head = Head::of(&[
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "https"),
            (":path", "/chat"),
            (":authority", "server.example.com"),
            ("sec-websocket-protocol", "chat, superchat"),
            ("sec-websocket-protocol", "v2"),
            ("sec-websocket-extensions", "permessage-deflate"),
            ("sec-websocket-extensions", "x-other"),
            ("sec-websocket-version", "13"),
        ]);
        let t = tunnel(&head).unwrap();
        assert!(t.is_websocket());
        assert_eq!(t.subprotocols, ["chat", "superchat", "v2"]);
        assert_eq!(t.extensions.as_deref(), Some("permessage-deflate, x-other"));
        let plain = Head::of(&[(":method", "CONNECT"), (":authority", "example.com:443")]);
        assert_eq!(tunnel(&plain), None);
        let get = Head::of(&[(":method", "GET"), (":protocol", "websocket")]);
        assert_eq!(tunnel(&get), None);
    }

    #[test]
    fn a_2xx_answer_opens_the_tunnel() {
        let ok = answer(&Head::of(&[
            (":status", "200"),
            ("sec-websocket-protocol", "chat"),
        ]));
        assert!(ok.opened());
        assert_eq!(ok.protocol.as_deref(), Some("chat"));
        assert!(!answer(&Head::of(&[(":status", "400")])).opened());
        assert!(!answer(&Head::default()).opened());
    }
}
