//! Tokens of CUE source, with byte spans and the comments before each token.
//!
//! Commas are inserted at line ends the way CUE's scanner does (after an identifier, a literal,
//! a closing bracket, `...` or `_|_`), so the parser only ever sees comma-separated lists.

use crate::error::{Error, Span};

/// One token; `comments` are the `//` lines between the previous token and this one.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    pub(crate) span: Span,
    pub(crate) comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// A number as written; the parser reads its value (bases, `_`, multipliers).
    Number(String),
    Str(StrLit),
    /// `_|_`
    Bottom,
    /// `@name(...)`, kept as written.
    Attr(String),
    Punct(&'static str),
    /// A comma, written or inserted at a line end.
    Comma,
    Eof,
}

/// A string or bytes literal: literal text and the source ranges of `\(...)` interpolations.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrLit {
    pub(crate) parts: Vec<StrPart>,
    pub(crate) bytes: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrPart {
    Lit(String),
    /// The expression inside `\( )`, as a range of the source.
    Expr(u32, u32),
}

const PUNCTS: [&str; 31] = [
    "...", "&&", "||", "==", "!=", "<=", ">=", "=~", "!~", "{", "}", "[", "]", "(", ")", ",", ":",
    "?", "!", ".", "=", "&", "|", "<", ">", "+", "-", "*", "/", "@", ";",
];

pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    end: usize,
    /// Whether a newline here ends an element (Go's and CUE's automatic comma).
    comma_at_newline: bool,
    /// Interpolations this lexer is inside (each one lexes its expression with a lexer of its
    /// own): bounded, so a hostile string cannot exhaust the stack.
    nesting: usize,
}

/// Interpolations inside interpolations, at most.
const MAX_NESTING: usize = 32;

impl<'a> Lexer<'a> {
    pub(crate) fn new(src: &'a str, start: usize, end: usize) -> Self {
        Lexer {
            src,
            pos: start,
            end,
            comma_at_newline: false,
            nesting: 0,
        }
    }

    fn peek_byte(&self, ahead: usize) -> Option<u8> {
        let at = self.pos + ahead;
        (at < self.end).then(|| self.src.as_bytes()[at])
    }

    fn error(&self, start: usize, message: impl Into<String>) -> Error {
        Error::new(
            message,
            Span::new(start, self.pos.max(start + 1).min(self.end.max(start))),
        )
    }

    /// Every token to the end, finishing with `Eof`.
    pub(crate) fn tokens(mut self) -> Result<Vec<Token>, Error> {
        let mut out = Vec::new();
        loop {
            let token = self.next_token()?;
            let done = token.kind == Tok::Eof;
            out.push(token);
            if done {
                return Ok(out);
            }
        }
    }

    fn next_token(&mut self) -> Result<Token, Error> {
        let mut comments = Vec::new();
        loop {
            let Some(byte) = self.peek_byte(0) else {
                if self.comma_at_newline {
                    self.comma_at_newline = false;
                    return Ok(self.token(Tok::Comma, self.pos, comments));
                }
                return Ok(self.token(Tok::Eof, self.pos, comments));
            };
            match byte {
                b'\n' => {
                    if self.comma_at_newline {
                        self.comma_at_newline = false;
                        self.pos += 1;
                        return Ok(self.token(Tok::Comma, self.pos - 1, comments));
                    }
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'/' if self.peek_byte(1) == Some(b'/') => {
                    let start = self.pos + 2;
                    let stop = self.src[start..self.end]
                        .find('\n')
                        .map_or(self.end, |n| start + n);
                    comments.push(self.src[start..stop].trim().to_owned());
                    self.pos = stop;
                }
                _ => break,
            }
        }
        let start = self.pos;
        let byte = self.src.as_bytes()[start];
        let kind = if byte == b'_' && self.src[start..self.end].starts_with("_|_") {
            self.pos += 3;
            Tok::Bottom
        } else if is_ident_start(byte) {
            self.pos += 1;
            while self.peek_byte(0).is_some_and(is_ident_continue) {
                self.pos += 1;
            }
            let word = &self.src[start..self.pos];
            if word == "#" || word == "_#" {
                // `#"..."#` raw strings start with hashes.
                if self.peek_byte(0) == Some(b'"') || self.peek_byte(0) == Some(b'#') {
                    self.pos = start;
                    self.string()?
                } else {
                    return Err(self.error(start, "a definition name needs letters after `#`"));
                }
            } else {
                Tok::Ident(word.to_owned())
            }
        } else if byte.is_ascii_digit()
            || (byte == b'.' && self.peek_byte(1).is_some_and(|b| b.is_ascii_digit()))
        {
            self.number()
        } else if byte == b'"' || byte == b'\'' {
            self.string()?
        } else if byte == b'@' {
            self.attribute()?
        } else if let Some(punct) = PUNCTS
            .iter()
            .find(|p| self.src[start..self.end].starts_with(**p))
        {
            self.pos += punct.len();
            if *punct == "," {
                Tok::Comma
            } else {
                Tok::Punct(punct)
            }
        } else {
            let ch = self.src[start..].chars().next().unwrap_or('?');
            self.pos += ch.len_utf8();
            return Err(self.error(start, format!("unexpected character {ch:?}")));
        };
        self.comma_at_newline = matches!(
            &kind,
            Tok::Ident(_) | Tok::Number(_) | Tok::Str(_) | Tok::Bottom | Tok::Attr(_)
        ) || matches!(kind, Tok::Punct(")" | "]" | "}" | "..."));
        Ok(self.token(kind, start, comments))
    }

    fn token(&self, kind: Tok, start: usize, comments: Vec<String>) -> Token {
        Token {
            kind,
            span: Span::new(start, self.pos),
            comments,
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        while let Some(b) = self.peek_byte(0) {
            let exponent_sign = (b == b'+' || b == b'-')
                && matches!(self.src.as_bytes()[self.pos - 1], b'e' | b'E')
                && !self.src[start..self.pos].starts_with("0x");
            let fraction = b == b'.' && self.peek_byte(1).is_some_and(|d| d.is_ascii_digit());
            if b.is_ascii_alphanumeric() || b == b'_' || exponent_sign || fraction {
                self.pos += 1;
            } else {
                break;
            }
        }
        Tok::Number(self.src[start..self.pos].to_owned())
    }

    fn attribute(&mut self) -> Result<Tok, Error> {
        let start = self.pos;
        self.pos += 1;
        while self.peek_byte(0).is_some_and(is_ident_continue) {
            self.pos += 1;
        }
        if self.peek_byte(0) == Some(b'(') {
            let mut depth = 0usize;
            while let Some(b) = self.peek_byte(0) {
                self.pos += 1;
                match b {
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(Tok::Attr(self.src[start..self.pos].to_owned()));
                        }
                    }
                    _ => {}
                }
            }
            return Err(self.error(start, "unterminated attribute"));
        }
        Ok(Tok::Attr(self.src[start..self.pos].to_owned()))
    }

    /// A string in any of CUE's forms: `"..."`, `'...'` (bytes), `"""` multi-line, and each of
    /// them raw with `#` fences, where escapes and interpolation take as many `#` after `\`.
    fn string(&mut self) -> Result<Tok, Error> {
        let start = self.pos;
        let mut hashes = 0;
        while self.peek_byte(0) == Some(b'#') {
            hashes += 1;
            self.pos += 1;
        }
        let quote = match self.peek_byte(0) {
            Some(quote @ (b'"' | b'\'')) => quote,
            None => return Err(self.error(start, "unterminated string")),
            // `##x`: not a raw string (stepping over `x` a byte at a time could cut a
            // character in two).
            Some(_) => return Err(self.error(start, "expected a quote after the `#`s")),
        };
        let multiline =
            self.src[self.pos..self.end].starts_with(if quote == b'"' { "\"\"\"" } else { "'''" });
        let fence_len = if multiline { 3 } else { 1 };
        self.pos += fence_len;
        let close: String = std::iter::repeat_n(quote as char, fence_len)
            .chain("#".repeat(hashes).chars())
            .collect();
        let escape: String = std::iter::once('\\')
            .chain("#".repeat(hashes).chars())
            .collect();
        if multiline {
            if self.peek_byte(0) == Some(b'\r') {
                self.pos += 1;
            }
            if self.peek_byte(0) != Some(b'\n') {
                return Err(self.error(
                    start,
                    "a multi-line string starts a new line after its quotes",
                ));
            }
            self.pos += 1;
        }
        let mut raw: Vec<RawPart> = Vec::new();
        let mut lit_start = self.pos;
        loop {
            if self.pos >= self.end {
                return Err(self.error(start, "unterminated string"));
            }
            let rest = &self.src[self.pos..self.end];
            if rest.starts_with(&close) {
                raw.push(RawPart::Lit(self.src[lit_start..self.pos].to_owned()));
                self.pos += close.len();
                break;
            }
            if !multiline && rest.starts_with('\n') {
                return Err(self.error(start, "a string ends at the end of its line"));
            }
            if rest.starts_with(&escape) {
                let after = self.pos + escape.len();
                if self.src.as_bytes().get(after) == Some(&b'(') {
                    raw.push(RawPart::Lit(self.src[lit_start..self.pos].to_owned()));
                    let inner = after + 1;
                    let inner_end = self.interpolation_end(inner)?;
                    raw.push(RawPart::Expr(inner, inner_end));
                    self.pos = inner_end + 1;
                    lit_start = self.pos;
                    continue;
                }
                // Skip the escaped character, so that `\"` does not close the string.
                self.pos = after;
                if let Some(ch) = self.src[self.pos..self.end].chars().next() {
                    self.pos += ch.len_utf8();
                }
                continue;
            }
            let ch = rest.chars().next().unwrap_or(' ');
            self.pos += ch.len_utf8();
        }
        if multiline {
            strip_indentation(&mut raw).map_err(|m| self.error(start, m))?;
        }
        let mut parts = Vec::new();
        for part in raw {
            match part {
                RawPart::Expr(from, to) => parts.push(StrPart::Expr(from as u32, to as u32)),
                RawPart::Lit(text) => {
                    let text = unescape(&text, &escape, quote == b'\'')
                        .map_err(|m| self.error(start, m))?;
                    if !text.is_empty() {
                        parts.push(StrPart::Lit(text));
                    }
                }
            }
        }
        Ok(Tok::Str(StrLit {
            parts,
            bytes: quote == b'\'',
        }))
    }

    /// The offset of the `)` that closes an interpolation starting at `from`.
    fn interpolation_end(&self, from: usize) -> Result<usize, Error> {
        if self.nesting >= MAX_NESTING {
            return Err(self.error(from, "interpolations nest too deeply"));
        }
        let mut inner = Lexer::new(self.src, from, self.end);
        inner.nesting = self.nesting + 1;
        let mut depth = 0usize;
        loop {
            let token = inner.next_token()?;
            match token.kind {
                Tok::Eof => return Err(self.error(from, "unterminated interpolation")),
                Tok::Punct("(") => depth += 1,
                Tok::Punct(")") if depth == 0 => return Ok(token.span.start as usize),
                Tok::Punct(")") => depth -= 1,
                _ => {}
            }
        }
    }
}

/// Removes a multi-line string's indentation (the whitespace before its closing quotes) from
/// the start of every line, and the line break before the closing quotes.
fn strip_indentation(parts: &mut [RawPart]) -> Result<(), String> {
    let Some(RawPart::Lit(last)) = parts.last_mut() else {
        return Err(
            "a multi-line string ends with its closing quotes on a line of their own".into(),
        );
    };
    let line_start = last.rfind('\n').map_or(0, |n| n + 1);
    let indent = last[line_start..].to_owned();
    if !indent.chars().all(|c| c == ' ' || c == '\t') {
        return Err(
            "the closing quotes of a multi-line string stand on a line of their own".into(),
        );
    }
    last.truncate(line_start.saturating_sub(1));
    let mut at_line_start = true;
    for part in parts.iter_mut() {
        let RawPart::Lit(text) = part else {
            at_line_start = false;
            continue;
        };
        let mut out = String::with_capacity(text.len());
        for (n, line) in text.split('\n').enumerate() {
            if n > 0 {
                out.push('\n');
            }
            if n > 0 || at_line_start {
                match line.strip_prefix(indent.as_str()) {
                    Some(rest) => out.push_str(rest),
                    None if line.trim().is_empty() => {}
                    None => return Err(
                        "a line of a multi-line string is indented less than its closing quotes"
                            .into(),
                    ),
                }
            } else {
                out.push_str(line);
            }
        }
        at_line_start = text.ends_with('\n');
        *text = out;
    }
    Ok(())
}

/// A part of a string before escapes are decoded.
enum RawPart {
    Lit(String),
    Expr(usize, usize),
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'#' || b == b'$'
}

fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// Decodes escapes of one literal part.
fn unescape(raw: &str, escape: &str, bytes: bool) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find(escape) {
        out.push_str(&rest[..at]);
        rest = &rest[at + escape.len()..];
        let mut chars = rest.chars();
        let ch = chars.next().ok_or("a string ends in a lone backslash")?;
        rest = chars.as_str();
        let decoded = match ch {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            '\\' | '\'' | '"' | '/' => ch,
            'u' | 'U' => {
                let width = if ch == 'u' { 4 } else { 8 };
                let hex = rest.get(..width).ok_or("a short \\u escape")?;
                rest = &rest[width..];
                let code = u32::from_str_radix(hex, 16).map_err(|_| "a bad \\u escape")?;
                char::from_u32(code).ok_or("a \\u escape that is not a character")?
            }
            'x' if bytes => {
                let hex = rest.get(..2).ok_or("a short \\x escape")?;
                rest = &rest[2..];
                char::from(u8::from_str_radix(hex, 16).map_err(|_| "a bad \\x escape")?)
            }
            _ => return Err(format!("unknown escape \\{ch}")),
        };
        out.push(decoded);
    }
    out.push_str(rest);
    Ok(out)
}
