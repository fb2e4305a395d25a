//! The words every output uses for the same things: who sent what, what a close code means,
//! how a connection stands.

use std::fmt;

use crate::model::EndHow;
use crate::vocab::Side;
use crate::ws::close_code_meaning;

/// Who sent something, and to whom: `client → server`.
pub(crate) fn direction(from: Side) -> &'static str {
    match from {
        Side::Client => "client → server",
        Side::Server => "server → client",
    }
}

/// The sender as an arrow in 8 columns, for a column of a list: the client sends to the right,
/// `client →` and `← server`.
pub(crate) fn arrow(from: Side) -> &'static str {
    match from {
        Side::Client => "client →",
        Side::Server => "← server",
    }
}

/// A close code and what it means, `1000 (normal closure)`; written without a string of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CloseCode(pub(crate) u16);

impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, close_code_meaning(self.0))
    }
}

/// How a connection stands: open, closed, reset or still open at the end of the capture, and
/// the first close frame (its code and who sent it), e.g. `closed, close 1000 by client`.
pub(crate) fn connection_state(close: Option<(Option<u16>, Side)>, end: Option<EndHow>) -> String {
    let close = match close {
        Some((Some(code), side)) => format!("close {code} by {}", side.name()),
        Some((None, side)) => format!("close by {}", side.name()),
        None => String::new(),
    };
    let end = match end {
        Some(EndHow::Fin) => "closed",
        Some(EndHow::Rst) => "reset",
        Some(EndHow::Eof) => "open at end",
        Some(EndHow::Evicted) => "evicted",
        None => "open",
    };
    if close.is_empty() {
        end.to_owned()
    } else {
        format!("{end}, {close}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_code_says_what_it_means() {
        // RFC 6455, section 7.4.1.
        assert_eq!(CloseCode(1000).to_string(), "1000 (normal closure)");
        assert_eq!(CloseCode(1001).to_string(), "1001 (going away)");
        assert_eq!(CloseCode(4000).to_string(), "4000 (private use)");
    }
}
