//! TLS as people read it: what marks a connection carried in TLS, what its handshake agreed,
//! why a connection could not be decrypted and what to do about it.
//!
//! The server name and the ALPN protocols came off the wire in the ClientHello: they are
//! always written escaped, and cut.

use super::escape_plain;
use crate::model::{Tls, Undecryptable};

/// Characters of a server name written in a list row, so that the row stays useful on an
/// 80-column terminal; the whole name is in the handshake view.
pub(crate) const SNI_IN_ROW: usize = 24;

/// Characters of a server name written where it is read whole: a DNS name has at most 253.
pub(crate) const SNI_WHOLE: usize = 253;

/// `wss 1.3 example.com`: how a list marks a connection carried in TLS; the server name cut
/// after `max_sni` characters.
pub(crate) fn mark(t: &Tls, max_sni: usize, out: &mut String) {
    out.push_str("wss");
    if let Some(v) = t.version_name() {
        out.push(' ');
        out.push_str(&v);
    }
    if let Some(sni) = &t.sni {
        out.push(' ');
        escape_plain(sni.as_bytes(), max_sni, out);
    }
}

/// Why a connection was not decrypted, in a few words, for a list row that says it was not
/// (the whole sentence is `Undecryptable`'s `Display`).
pub(crate) fn short_reason(why: &Undecryptable) -> &'static str {
    match why {
        Undecryptable::NoKeyLog => "no key log",
        Undecryptable::NoKey => "no key in the log",
        Undecryptable::Abandoned => "left during the handshake",
        Undecryptable::WrongKey => "wrong key",
        Undecryptable::Suite(_) => "suite not supported",
        Undecryptable::Version(_) => "version not supported",
    }
}

/// What the user can do so that the connection is decrypted, when anything can be done.
pub(crate) fn hint(why: &Undecryptable) -> Option<&'static str> {
    match why {
        Undecryptable::NoKeyLog => Some(
            "Give the key log the client wrote with --keylog FILE, or start the client with \
             SSLKEYLOGFILE=FILE in its environment (browsers, curl, Python and Node read it), \
             capture again and give that FILE.",
        ),
        Undecryptable::NoKey => Some(
            "The key log must be the one written by this capture's client (or server) while it \
             ran: a log of another run holds other secrets. Give that log with --keylog FILE.",
        ),
        Undecryptable::WrongKey => Some(
            "The secrets the key log holds for this connection's client random do not open its \
             records: was the log written by another program that reused the random, or are \
             the captured bytes damaged?",
        ),
        Undecryptable::Suite(_) | Undecryptable::Version(_) | Undecryptable::Abandoned => None,
    }
}

/// What a connection's TLS handshake agreed: a head line, `TLS 1.3, decrypted with the key
/// log`, and one line for each of the suite, the server name, ALPN, resumption and
/// encrypt-then-MAC.
pub(crate) fn summary(t: &Tls) -> (String, Vec<String>) {
    let mut head = format!(
        "TLS {}",
        t.version_name().as_deref().unwrap_or("(version not seen)")
    );
    head.push_str(if t.decrypted {
        ", decrypted with the key log"
    } else {
        ", not decrypted"
    });
    let mut lines = Vec::new();
    lines.push(format!(
        "Cipher suite: {}",
        t.cipher_name().as_deref().unwrap_or("(not seen)")
    ));
    let mut sni = String::from("Server name (SNI): ");
    match &t.sni {
        Some(name) => escape_plain(name.as_bytes(), SNI_WHOLE, &mut sni),
        None => sni.push_str("none asked for"),
    }
    lines.push(sni);
    let mut alpn = String::from("ALPN: ");
    if t.alpn_offered.is_empty() {
        alpn.push_str("none offered");
    } else {
        for (i, p) in t.alpn_offered.iter().take(16).enumerate() {
            if i > 0 {
                alpn.push_str(", ");
            }
            escape_plain(p.as_bytes(), 40, &mut alpn);
        }
        if t.alpn_offered.len() > 16 {
            alpn.push_str(&format!(", … {} more", t.alpn_offered.len() - 16));
        }
        alpn.push_str(" offered");
    }
    alpn.push_str(" → ");
    match &t.alpn {
        Some(p) => {
            escape_plain(p.as_bytes(), 40, &mut alpn);
            alpn.push_str(" chosen");
        }
        None => alpn.push_str("none chosen"),
    }
    lines.push(alpn);
    lines.push(
        if t.resumed {
            "Handshake: resumed (an earlier session's keys, no certificate)"
        } else {
            "Handshake: full"
        }
        .to_owned(),
    );
    if t.encrypt_then_mac {
        lines.push("Encrypt-then-MAC (RFC 7366): agreed".to_owned());
    }
    (head, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls() -> Tls {
        Tls {
            version: Some(0x0304),
            suite: Some(0x1301),
            sni: Some("example.com".into()),
            alpn_offered: vec!["h2".into(), "http/1.1".into()],
            alpn: Some("http/1.1".into()),
            resumed: false,
            encrypt_then_mac: false,
            decrypted: true,
        }
    }

    #[test]
    fn a_connection_is_marked_with_version_and_server_name() {
        let mut s = String::new();
        mark(&tls(), SNI_IN_ROW, &mut s);
        assert_eq!(s, "wss 1.3 example.com");
        let unseen = Tls {
            version: None,
            sni: None,
            ..tls()
        };
        s.clear();
        mark(&unseen, SNI_IN_ROW, &mut s);
        assert_eq!(s, "wss");
    }

    #[test]
    fn names_off_the_wire_are_escaped_and_cut() {
        let hostile = Tls {
            sni: Some(format!("\x1b[2J\u{202e}{}", "a".repeat(300))),
            alpn_offered: vec!["\x07h2".into()],
            ..tls()
        };
        let mut s = String::new();
        mark(&hostile, SNI_IN_ROW, &mut s);
        // ESC [ 2 J and the override count as 5 of the 24 characters.
        assert_eq!(
            s,
            format!("wss 1.3 \\u{{1b}}[2J\\u{{202e}}{}…", "a".repeat(19))
        );
        let (_, lines) = summary(&hostile);
        let all = lines.join("\n");
        assert!(!all.chars().any(|c| c != '\n' && c.is_control()), "{all}");
        assert!(all.contains("\\u{7}h2 offered"), "{all}");
        let sni = lines.iter().find(|l| l.starts_with("Server name")).unwrap();
        assert!(sni.ends_with('…') && sni.chars().count() < 300, "{sni}");
    }

    #[test]
    fn the_summary_says_what_the_handshake_agreed() {
        let (head, lines) = summary(&tls());
        assert_eq!(head, "TLS 1.3, decrypted with the key log");
        // The suite's IANA name once the TLS stage knows it, its number until then.
        let suite = tls().cipher_name().unwrap();
        assert_eq!(
            lines,
            [
                format!("Cipher suite: {suite}"),
                "Server name (SNI): example.com".to_owned(),
                "ALPN: h2, http/1.1 offered → http/1.1 chosen".to_owned(),
                "Handshake: full".to_owned(),
            ]
        );
        let resumed = Tls {
            resumed: true,
            encrypt_then_mac: true,
            alpn_offered: Vec::new(),
            alpn: None,
            decrypted: false,
            ..tls()
        };
        let (head, lines) = summary(&resumed);
        assert_eq!(head, "TLS 1.3, not decrypted");
        assert!(lines.contains(&"ALPN: none offered → none chosen".to_owned()));
        assert!(lines.iter().any(|l| l.starts_with("Handshake: resumed")));
        assert!(lines.contains(&"Encrypt-then-MAC (RFC 7366): agreed".to_owned()));
    }
}
