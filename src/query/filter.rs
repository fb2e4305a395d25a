//! The display filter: a small expression language over frames and messages, in the spirit of
//! Wireshark's display filters but with WebSocket words.
//!
//! ```text
//! client and text                      frames the client sent with opcode text
//! opcode == ping or opcode == pong     by name or number (1, 2, 8, 9, 10 …)
//! len > 1000 and not compressed        length comparisons: == != < <= > >=
//! conn == 2                            one connection
//! text contains "error"                payload (inflated when compressed) holds the bytes
//! text ~ "^\{\"type\":"                payload matches a regular expression
//! problems                             anything the RFC forbids, gaps, cut frames
//! problem == invalid-utf8              one problem by name (see the README's table)
//! fin  masked  rsv1  compressed  fragmented  control  data  gap
//! tls                                  rows of connections carried in TLS (wss)
//! sni contains "example"               by the server name the client asked for (also ==, ~)
//! h2                                   rows of WebSocket over HTTP/2 (RFC 8441)
//! ```
//!
//! `and`/`&&`, `or`/`||`, `not`/`!` and parentheses combine them. A bad expression is
//! rejected with a sentence saying where and why, never applied half-understood.

use regex::bytes::Regex;

use crate::model::{self, Tls};
use crate::vocab::{ConnId, Opcode, Side};
use crate::ws::{Problem, Problems};

/// What a filter looks at, the same for a frame, a message and a gap.
pub(crate) struct Subject<'a> {
    pub(crate) conn: ConnId,
    pub(crate) from: Side,
    /// `None` for a gap.
    pub(crate) opcode: Option<Opcode>,
    pub(crate) len: u64,
    /// The bytes to search: a frame's unmasked payload, or its message's inflated data when
    /// compressed; a message's final data. Read only when the filter looks at them (see
    /// [`Filter::needs_data`]); empty otherwise.
    pub(crate) data: std::borrow::Cow<'a, [u8]>,
    /// Which of the filter's text patterns the payload holds (bit k for
    /// `Filter::patterns()[k]`), when that was worked out beforehand; `data` is not looked at
    /// then.
    pub(crate) matched: Option<Matched>,
    pub(crate) problems: Problems,
    pub(crate) gap: bool,
    pub(crate) fin: bool,
    pub(crate) masked: bool,
    pub(crate) rsv1: bool,
    pub(crate) compressed: bool,
    pub(crate) fragmented: bool,
    /// What the row's connection is carried in: the same for each of its rows.
    pub(crate) carrier: Carrier<'a>,
}

/// What carries a connection below WebSocket: TLS (wss) and HTTP/2 (RFC 8441). Read from the
/// connection, never from a row, so that the index and `-Y` answer alike.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Carrier<'a> {
    pub(crate) tls: Option<&'a Tls>,
    pub(crate) http2_stream: Option<u32>,
}

impl<'a> Carrier<'a> {
    pub(crate) fn of(c: &'a model::Connection) -> Carrier<'a> {
        Carrier {
            tls: c.tls.as_ref(),
            http2_stream: c.http2_stream,
        }
    }

    /// The server name the client asked for.
    fn sni(&self) -> Option<&'a str> {
        self.tls?.sni.as_deref()
    }
}

/// Cloned for each thread that filters: a regular expression is fastest on the thread that
/// owns its scratch space.
#[derive(Debug, Clone)]
pub(crate) struct Filter {
    expr: Expr,
    /// The text conditions (`contains`, `~`), in the order written; `Expr::Matches` indexes them.
    patterns: Vec<Regex>,
    /// The server name conditions (`sni contains`, `sni ~`); `Expr::SniMatches` indexes them.
    /// Apart from the text conditions: they read no payload.
    sni_patterns: Vec<Regex>,
}

/// Which of a filter's text conditions a payload holds: bit k for the k-th. Kept for every
/// frame and message once worked out, so small: alternatives beyond this many fit in one
/// regular expression (`text ~ "a|b|c"`).
pub(crate) type Matched = u16;

/// Text conditions one filter may hold: one bit each in [`Matched`].
const MAX_PATTERNS: usize = Matched::BITS as usize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// Character position in the expression.
    at: usize,
    message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at character {}: {}", self.at + 1, self.message)
    }
}

#[derive(Debug, Clone)]
enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Flag(Flag),
    From(Side),
    Opcode(Cmp, Opcode),
    Len(Cmp, u64),
    Conn(Cmp, u64),
    /// The payload holds pattern k.
    Matches(usize),
    Problem(ProblemName),
    /// The server name is this one (lower case), any case.
    SniIs(String),
    /// The server name holds server name pattern k.
    SniMatches(usize),
}

#[derive(Debug, Clone, Copy)]
enum Flag {
    Fin,
    Masked,
    Rsv1,
    Compressed,
    Fragmented,
    Control,
    Data,
    Gap,
    Problems,
    Tls,
    /// A server name was asked for.
    Sni,
    Http2,
}

#[derive(Debug, Clone)]
enum ProblemName {
    Gap,
    Rule(Problem),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn test(self, a: u64, b: u64) -> bool {
        match self {
            Cmp::Eq => a == b,
            Cmp::Ne => a != b,
            Cmp::Lt => a < b,
            Cmp::Le => a <= b,
            Cmp::Gt => a > b,
            Cmp::Ge => a >= b,
        }
    }
}

impl Filter {
    pub(crate) fn parse(text: &str) -> Result<Filter, Error> {
        let tokens = lex(text)?;
        let mut p = Parser {
            tokens,
            patterns: Vec::new(),
            sni_patterns: Vec::new(),
            pos: 0,
            end: text.chars().count(),
        };
        let expr = p.or()?;
        if let Some(t) = p.tokens.get(p.pos) {
            return Err(Error {
                at: t.at,
                message: format!("unexpected '{}': join conditions with and/or", t.text()),
            });
        }
        Ok(Filter {
            expr,
            patterns: p.patterns,
            sni_patterns: p.sni_patterns,
        })
    }

    pub(crate) fn matches(&self, s: &Subject<'_>) -> bool {
        self.eval(&self.expr, s)
    }

    /// The text conditions (`contains`, `~`) in the order written: what [`Subject::matched`]
    /// answers for.
    pub(crate) fn patterns(&self) -> &[Regex] {
        &self.patterns
    }

    /// Whether the filter reads payload bytes (which are read back from disk, so only then).
    pub(crate) fn needs_data(&self) -> bool {
        !self.patterns.is_empty()
    }

    fn eval(&self, e: &Expr, s: &Subject<'_>) -> bool {
        match e {
            Expr::And(a, b) => self.eval(a, s) && self.eval(b, s),
            Expr::Or(a, b) => self.eval(a, s) || self.eval(b, s),
            Expr::Not(a) => !self.eval(a, s),
            Expr::Flag(f) => match f {
                Flag::Fin => s.fin,
                Flag::Masked => s.masked,
                Flag::Rsv1 => s.rsv1,
                Flag::Compressed => s.compressed,
                Flag::Fragmented => s.fragmented,
                Flag::Control => s.opcode.is_some_and(Opcode::is_control),
                Flag::Data => s.opcode.is_some_and(Opcode::is_data),
                Flag::Gap => s.gap,
                Flag::Problems => s.gap || !s.problems.is_empty(),
                Flag::Tls => s.carrier.tls.is_some(),
                Flag::Sni => s.carrier.sni().is_some(),
                Flag::Http2 => s.carrier.http2_stream.is_some(),
            },
            Expr::From(side) => s.from == *side,
            Expr::Opcode(cmp, v) => s
                .opcode
                .is_some_and(|o| cmp.test(u64::from(o.to_u8()), u64::from(v.to_u8()))),
            Expr::Len(cmp, v) => cmp.test(s.len, *v),
            Expr::Conn(cmp, v) => cmp.test(u64::from(s.conn.0), *v),
            Expr::Matches(k) => match s.matched {
                Some(bits) => bits >> k & 1 == 1,
                None => self.patterns[*k].is_match(&s.data),
            },
            Expr::Problem(ProblemName::Gap) => s.gap,
            Expr::Problem(ProblemName::Rule(p)) => s.problems.contains(*p),
            Expr::SniIs(name) => s
                .carrier
                .sni()
                .is_some_and(|n| n.eq_ignore_ascii_case(name)),
            Expr::SniMatches(k) => s
                .carrier
                .sni()
                .is_some_and(|n| self.sni_patterns[*k].is_match(n.as_bytes())),
        }
    }
}

/// For each pattern, in order, whether `data` holds it: bit k for pattern k.
pub(crate) fn matched(patterns: &[Regex], data: &[u8]) -> Matched {
    patterns.iter().enumerate().fold(0, |bits, (k, re)| {
        bits | Matched::from(re.is_match(data)) << k
    })
}

/// A case-insensitive search for `text` as it is, as a search box is expected to behave; a
/// regular expression underneath, so that it runs at the regex crate's literal-search speed.
/// `None` only for a text too long to compile.
pub(crate) fn needle(text: &str) -> Option<Regex> {
    // The flag is written into the pattern, so that the pattern's text tells this search from
    // a case-sensitive regular expression of the same letters (results are kept by that text).
    regex::bytes::RegexBuilder::new(&format!("(?i){}", regex::escape(text)))
        .build()
        .ok()
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    at: usize,
}

impl Token {
    fn text(&self) -> String {
        match &self.tok {
            Tok::Word(w) => w.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Op(o) => (*o).to_owned(),
        }
    }
}

const OPS: [&str; 13] = [
    "==", "!=", "<=", ">=", "&&", "||", "<", ">", "~", "!", "(", ")", "=",
];

fn lex(text: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let start = i;
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(Error {
                            at: start,
                            message: format!("string not closed: add a {c} at the end"),
                        });
                    }
                    Some(&q) if q == c => break,
                    Some('\\') if chars.get(i + 1).is_some_and(|n| *n == c || *n == '\\') => {
                        s.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    Some(&other) => s.push(other),
                }
                i += 1;
            }
            i += 1;
            tokens.push(Token {
                tok: Tok::Str(s),
                at: start,
            });
        } else if c.is_alphanumeric() || "-_.:".contains(c) {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "-_.:".contains(chars[i])) {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Word(chars[start..i].iter().collect::<String>().to_lowercase()),
                at: start,
            });
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) else {
                return Err(Error {
                    at: i,
                    message: format!("'{c}' is not part of the filter language"),
                });
            };
            tokens.push(Token {
                tok: Tok::Op(op),
                at: i,
            });
            i += op.chars().count();
        }
    }
    Ok(tokens)
}

const COMPARISONS: [&str; 7] = ["==", "=", "!=", "<", "<=", ">", ">="];

struct Parser {
    tokens: Vec<Token>,
    patterns: Vec<Regex>,
    sni_patterns: Vec<Regex>,
    pos: usize,
    /// Position just past the expression, for "expected … at the end" errors.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |t| t.at)
    }

    fn eat_word(&mut self, words: &[&str]) -> bool {
        if let Some(Tok::Word(w)) = self.peek()
            && words.contains(&w.as_str())
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn eat_op(&mut self, ops: &[&str]) -> Option<&'static str> {
        if let Some(Tok::Op(o)) = self.peek()
            && ops.contains(o)
        {
            let o = *o;
            self.pos += 1;
            return Some(o);
        }
        None
    }

    fn or(&mut self) -> Result<Expr, Error> {
        let mut left = self.and()?;
        while self.eat_word(&["or"]) || self.eat_op(&["||"]).is_some() {
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, Error> {
        let mut left = self.not()?;
        while self.eat_word(&["and"]) || self.eat_op(&["&&"]).is_some() {
            let right = self.not()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, Error> {
        if self.eat_word(&["not"]) || self.eat_op(&["!"]).is_some() {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Expr, Error> {
        let at = self.at();
        if self.eat_op(&["("]).is_some() {
            let e = self.or()?;
            if self.eat_op(&[")"]).is_none() {
                return Err(Error {
                    at: self.at(),
                    message: "expected ')'".into(),
                });
            }
            return Ok(e);
        }
        let word = match self.tokens.get(self.pos).map(|t| t.tok.clone()) {
            Some(Tok::Word(w)) => w,
            Some(_) => {
                let text = self.tokens[self.pos].text();
                return Err(Error {
                    at,
                    message: format!(
                        "expected a condition such as 'text' or 'len > 100', found {text}"
                    ),
                });
            }
            None => {
                return Err(Error {
                    at,
                    message: "expected a condition such as 'text' or 'len > 100' here".into(),
                });
            }
        };
        self.pos += 1;
        let expr = match word.as_str() {
            "fin" => Expr::Flag(Flag::Fin),
            "masked" => Expr::Flag(Flag::Masked),
            "rsv1" => Expr::Flag(Flag::Rsv1),
            "compressed" => Expr::Flag(Flag::Compressed),
            "fragmented" => Expr::Flag(Flag::Fragmented),
            "control" => Expr::Flag(Flag::Control),
            "data" => Expr::Flag(Flag::Data),
            "gap" => Expr::Flag(Flag::Gap),
            "tls" | "wss" => Expr::Flag(Flag::Tls),
            "h2" | "http2" => Expr::Flag(Flag::Http2),
            "sni" if self.contains_follows() || matches!(self.peek(), Some(Tok::Op("~"))) => {
                let pattern = self.search_pattern(&word)?;
                self.sni_patterns.push(pattern);
                Expr::SniMatches(self.sni_patterns.len() - 1)
            }
            "sni" if matches!(self.peek(), Some(Tok::Op(op)) if COMPARISONS.contains(op)) => {
                let (cmp, value, _) = self.comparison(&word)?;
                not_if(cmp, Expr::SniIs(value), at)?
            }
            "sni" => Expr::Flag(Flag::Sni),
            "client" | "c2s" => Expr::From(Side::Client),
            "server" | "s2c" => Expr::From(Side::Server),
            "problems" | "problem" if !self.comparison_follows() => Expr::Flag(Flag::Problems),
            "problems" | "problem" => {
                let (cmp, value, vat) = self.comparison(&word)?;
                let name = if value == "gap" {
                    ProblemName::Gap
                } else {
                    match Problem::from_name(&value) {
                        Some(p) => ProblemName::Rule(p),
                        None => {
                            return Err(Error {
                                at: vat,
                                message: format!(
                                    "no problem is named '{value}' (names as in the README, e.g. invalid-utf8)"
                                ),
                            });
                        }
                    }
                };
                not_if(cmp, Expr::Problem(name), at)?
            }
            "dir" | "from" | "direction" => {
                let (cmp, value, vat) = self.comparison(&word)?;
                let side = match value.as_str() {
                    "client" | "c2s" => Side::Client,
                    "server" | "s2c" => Side::Server,
                    _ => {
                        return Err(Error {
                            at: vat,
                            message: format!("{word} is client or server, not '{value}'"),
                        });
                    }
                };
                not_if(cmp, Expr::From(side), at)?
            }
            "opcode" | "op" | "type" => {
                let (cmp, value, vat) = self.comparison(&word)?;
                let Some(op) = opcode_value(&value) else {
                    return Err(Error {
                        at: vat,
                        message: format!(
                            "'{value}' is not an opcode: text, binary, close, ping, pong, continuation or 0-15"
                        ),
                    });
                };
                Expr::Opcode(cmp, op)
            }
            "len" | "length" | "size" => {
                let (cmp, value, vat) = self.comparison(&word)?;
                Expr::Len(cmp, number(&value, vat)?)
            }
            "conn" | "connection" => {
                let (cmp, value, vat) = self.comparison(&word)?;
                let v = number(value.trim_start_matches('#'), vat)?;
                Expr::Conn(cmp, v)
            }
            "text" | "payload" if self.contains_follows() => self.search_expr(&word)?,
            "text" | "payload" => match self.peek() {
                Some(Tok::Op("~")) => self.search_expr(&word)?,
                _ if word == "text" => Expr::Opcode(Cmp::Eq, Opcode::Text),
                _ => {
                    return Err(Error {
                        at: self.at(),
                        message: "payload needs contains \"…\" or ~ \"regex\"".into(),
                    });
                }
            },
            other => match opcode_value(other) {
                Some(op) if other.parse::<u8>().is_err() => Expr::Opcode(Cmp::Eq, op),
                _ => {
                    return Err(Error {
                        at,
                        message: format!(
                            "unknown word '{other}': try client, server, text, binary, ping, len > N, conn == N, text contains \"…\", problems, tls, sni contains \"…\""
                        ),
                    });
                }
            },
        };
        Ok(expr)
    }

    fn comparison_follows(&self) -> bool {
        matches!(self.peek(), Some(Tok::Op("==" | "!=" | "=")))
    }

    fn contains_follows(&self) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w == "contains")
    }

    /// `text contains "…"` or `text ~ "…"`.
    fn search_expr(&mut self, word: &str) -> Result<Expr, Error> {
        if self.patterns.len() == MAX_PATTERNS {
            return Err(Error {
                at: self.at(),
                message: format!(
                    "at most {MAX_PATTERNS} text conditions in one filter: join alternatives in one, text ~ \"a|b\""
                ),
            });
        }
        let pattern = self.search_pattern(word)?;
        self.patterns.push(pattern);
        Ok(Expr::Matches(self.patterns.len() - 1))
    }

    /// What follows `contains` or `~`, as a regular expression: the bytes as they are, any
    /// case, or the regular expression as written.
    fn search_pattern(&mut self, word: &str) -> Result<Regex, Error> {
        let regex = self.eat_op(&["~"]).is_some();
        if !regex {
            self.pos += 1; // "contains"
        }
        let at = self.at();
        let value = match self.tokens.get(self.pos).map(|t| t.tok.clone()) {
            Some(Tok::Str(s)) | Some(Tok::Word(s)) => s,
            _ => {
                return Err(Error {
                    at,
                    message: format!(
                        "{word} {} needs a value in quotes",
                        if regex { "~" } else { "contains" }
                    ),
                });
            }
        };
        self.pos += 1;
        if regex {
            Regex::new(&value).map_err(|e| Error {
                at,
                message: format!("bad regular expression: {}", one_line(&e.to_string())),
            })
        } else {
            needle(&value).ok_or_else(|| Error {
                at,
                message: "text too long to search for".into(),
            })
        }
    }

    /// `== value`, `!= value`, `< value` …: the operator and the value (a word or a string).
    fn comparison(&mut self, field: &str) -> Result<(Cmp, String, usize), Error> {
        let at = self.at();
        let Some(op) = self.eat_op(&COMPARISONS) else {
            return Err(Error {
                at,
                message: format!("{field} needs a comparison, e.g. {field} == …"),
            });
        };
        let cmp = match op {
            "==" | "=" => Cmp::Eq,
            "!=" => Cmp::Ne,
            "<" => Cmp::Lt,
            "<=" => Cmp::Le,
            ">" => Cmp::Gt,
            _ => Cmp::Ge,
        };
        let vat = self.at();
        match self.tokens.get(self.pos).map(|t| t.tok.clone()) {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => {
                self.pos += 1;
                Ok((cmp, w.to_lowercase(), vat))
            }
            _ => Err(Error {
                at: vat,
                message: format!("expected a value after {field} {op}"),
            }),
        }
    }
}

/// `from == client` and `from != client`; other comparisons make no sense for a name.
fn not_if(cmp: Cmp, e: Expr, at: usize) -> Result<Expr, Error> {
    match cmp {
        Cmp::Eq => Ok(e),
        Cmp::Ne => Ok(Expr::Not(Box::new(e))),
        _ => Err(Error {
            at,
            message: "only == and != compare names".into(),
        }),
    }
}

fn number(value: &str, at: usize) -> Result<u64, Error> {
    let (digits, scale) = match value.to_ascii_lowercase() {
        v if v.ends_with("kib") || v.ends_with('k') => (
            v.trim_end_matches("kib").trim_end_matches('k').to_owned(),
            1024,
        ),
        v if v.ends_with("mib") || v.ends_with('m') => (
            v.trim_end_matches("mib").trim_end_matches('m').to_owned(),
            1 << 20,
        ),
        v => (v, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .ok_or_else(|| Error {
            at,
            message: format!("'{value}' is not a number"),
        })
}

/// An opcode by its number (0-15) or by the name of a known one.
fn opcode_value(word: &str) -> Option<Opcode> {
    if let Ok(n) = word.parse::<u8>() {
        return (n < 16).then(|| Opcode::from_u8(n));
    }
    (0..16u8).map(Opcode::from_u8).find(|op| {
        !matches!(op, Opcode::Reserved(_))
            && (op.name() == word || (word == "cont" && *op == Opcode::Continuation))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(
        opcode: Opcode,
        from: Side,
        data: &'a [u8],
        problems: &'a [Problem],
    ) -> Subject<'a> {
        Subject {
            conn: ConnId(1),
            from,
            opcode: Some(opcode),
            len: data.len() as u64,
            data: data.into(),
            matched: None,
            problems: problems.into(),
            gap: false,
            fin: true,
            masked: from == Side::Client,
            rsv1: false,
            compressed: false,
            fragmented: false,
            carrier: Carrier::default(),
        }
    }

    fn m(filter: &str, s: &Subject<'_>) -> bool {
        Filter::parse(filter)
            .unwrap_or_else(|e| panic!("{filter}: {e}"))
            .matches(s)
    }

    #[test]
    fn text_conditions_answer_from_bits_worked_out_beforehand() {
        let f = Filter::parse(
            r#"text contains "ALICE" or (text ~ "^How" and not payload contains "today")"#,
        )
        .unwrap();
        assert_eq!(f.patterns().len(), 3);
        // The peers' log (samples/echo.log.jsonl).
        let hi = subject(Opcode::Text, Side::Client, b"Hi, my name is Alice", &[]);
        assert_eq!(matched(f.patterns(), &hi.data), 0b001);
        assert!(f.matches(&hi));
        let how = subject(Opcode::Text, Side::Client, b"How are you today?", &[]);
        assert_eq!(matched(f.patterns(), &how.data), 0b110);
        assert!(!f.matches(&how));
        // Bits stand in for the bytes, which are then not looked at.
        let only_how = Subject {
            matched: Some(0b010),
            ..subject(Opcode::Text, Side::Client, b"", &[])
        };
        assert!(f.matches(&only_how));
        let with_today = Subject {
            matched: Some(0b110),
            ..subject(Opcode::Text, Side::Client, b"Hi, my name is Alice", &[])
        };
        assert!(!f.matches(&with_today));
        let many = vec!["payload contains \"x\""; MAX_PATTERNS + 1].join(" or ");
        let e = Filter::parse(&many).unwrap_err();
        assert!(e.message.starts_with("at most 16 text conditions"), "{e}");
    }

    #[test]
    fn words_and_comparisons() {
        let hi = subject(Opcode::Text, Side::Client, b"Hi, my name is Alice", &[]);
        assert!(m("client and text", &hi));
        assert!(!m("server", &hi));
        assert!(m("opcode == text && len == 20", &hi));
        assert!(m("op != binary", &hi));
        assert!(m("len >= 20 and len < 21", &hi));
        assert!(m("text contains \"ALICE\"", &hi));
        assert!(m("text ~ \"^Hi, .* Alice$\"", &hi));
        assert!(m("not (ping or pong) and masked", &hi));
        assert!(m("conn == 1 and from == client", &hi));
        assert!(m("from != server", &hi));
        assert!(!m("problems", &hi));
        assert!(m("data and fin and not control", &hi));
        assert!(m("len < 1k", &hi));
    }

    #[test]
    fn opcodes_by_number_or_name() {
        let ping = subject(Opcode::Ping, Side::Server, b"", &[]);
        for yes in [
            "opcode == 9",
            "op == ping",
            "opcode != 10",
            "opcode != pong",
            "ping",
            "control",
        ] {
            assert!(m(yes, &ping), "{yes}");
        }
        for no in [
            "opcode == 8",
            "opcode != ping",
            "opcode < 9",
            "data",
            "text",
        ] {
            assert!(!m(no, &ping), "{no}");
        }
        let cont = subject(Opcode::Continuation, Side::Server, b"", &[]);
        assert!(m("opcode == cont and opcode == 0 and opcode < text", &cont));
        let reserved = subject(Opcode::from_u8(11), Side::Server, b"", &[]);
        assert!(m("opcode == 11 and opcode > pong and control", &reserved));
    }

    #[test]
    fn only_payload_conditions_read_payloads() {
        let needs = |f: &str| Filter::parse(f).unwrap().needs_data();
        assert!(!needs("client and len > 3 and not problems"));
        assert!(needs("client or text contains \"x\""));
        assert!(needs("not payload ~ \"y\""));
    }

    #[test]
    fn problems_by_name() {
        let bad = subject(Opcode::Text, Side::Server, b"\xff", &[Problem::InvalidUtf8]);
        assert!(m("problems", &bad));
        assert!(m("problem == invalid-utf8", &bad));
        assert!(!m("problem == truncated", &bad));
    }

    #[test]
    fn tls_words_read_the_connection() {
        let tls = crate::query::fixture::tls("Wss.Test", "http/1.1");
        let hi = subject(Opcode::Text, Side::Client, b"Hi, my name is Alice", &[]);
        let wss = Subject {
            carrier: Carrier {
                tls: Some(&tls),
                http2_stream: None,
            },
            ..subject(Opcode::Text, Side::Client, b"Hi, my name is Alice", &[])
        };
        let h2 = Subject {
            carrier: Carrier {
                tls: Some(&tls),
                http2_stream: Some(3),
            },
            ..subject(Opcode::Text, Side::Client, b"", &[])
        };
        for (filter, plain, in_tls) in [
            ("tls", false, true),
            ("wss and client", false, true),
            ("not tls", true, false),
            ("sni", false, true),
            // Server names are compared in any case, as DNS compares them.
            ("sni == wss.test", false, true),
            ("sni == \"WSS.TEST\"", false, true),
            ("sni = wss", false, false),
            ("sni != wss.test", true, false),
            ("sni != other.test", true, true),
            ("sni contains \"SS.t\"", false, true),
            ("sni contains \"alice\"", false, false),
            ("sni ~ \"^Wss\\.\"", false, true),
            ("sni ~ \"^wss\"", false, false),
            ("tls and text contains \"alice\"", false, true),
            ("h2", false, false),
        ] {
            assert_eq!(m(filter, &hi), plain, "{filter} on plain ws");
            assert_eq!(m(filter, &wss), in_tls, "{filter} on wss");
        }
        assert!(m("h2 and tls and sni contains \"test\"", &h2));
        // Server name conditions read no payload.
        let f = Filter::parse("sni contains \"x\" or sni ~ \"y\"").unwrap();
        assert!(!f.needs_data());
        assert!(f.patterns().is_empty());
    }

    #[test]
    fn mistakes_explain_themselves() {
        for (bad, at, says) in [
            ("len >", 5, "expected a value"),
            ("text contains", 13, "needs a value"),
            ("frobnicate", 0, "unknown word 'frobnicate'"),
            ("client server", 7, "join conditions with and/or"),
            ("(client", 7, "expected ')'"),
            ("text ~ \"(\"", 7, "bad regular expression"),
            ("opcode == 42", 10, "not an opcode"),
            ("problem == nope", 11, "no problem is named 'nope'"),
            ("len > \"x", 6, "string not closed"),
            ("len $ 3", 4, "not part of the filter language"),
            ("sni > a", 0, "only == and != compare names"),
            ("sni contains", 12, "needs a value"),
            ("sni ~ \"[\"", 6, "bad regular expression"),
        ] {
            let e = Filter::parse(bad).unwrap_err();
            assert!(e.message.contains(says), "{bad}: {e}");
            assert_eq!(e.at, at, "{bad}: {e}");
        }
    }
}
