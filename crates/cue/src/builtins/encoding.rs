//! `encoding/json` and `encoding/base64`.

use std::sync::Arc;

use super::{Call, json, string_value};
use crate::error::Error;
use crate::eval::{Evaluator, Value};
use crate::value::Val;

pub(super) fn call(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "encoding/json.Marshal" => {
            c.arity(1)?;
            let node = c.node(ev, 0)?;
            let mut text = String::new();
            json::write(&node, ev.encoders, &mut text);
            // Escapes make the text longer than the exported strings that paid for it.
            ev.room_for_text(text.len())?;
            string_value(text)
        }
        "encoding/json.Unmarshal" => {
            c.arity(1)?;
            let data = c.json_text(ev, 0)?;
            match json::read(&data) {
                Ok(parsed) => Ok(ev.node_value(parsed.into_node())),
                Err(why) => Err(c.fail(format_args!("json: invalid JSON: {why}"))),
            }
        }
        "encoding/json.Valid" => {
            c.arity(1)?;
            let data = c.json_text(ev, 0)?;
            Ok(Value::Val(Val::Bool(json::valid(&data))))
        }
        "encoding/json.Indent" => {
            c.arity(3)?;
            let (data, prefix, indent) = (c.json_text(ev, 0)?, c.string(ev, 1)?, c.string(ev, 2)?);
            let text = std::str::from_utf8(&data)
                .ok()
                .filter(|_| json::valid(&data))
                .ok_or_else(|| c.fail("json: invalid JSON"))?;
            // Each line costs at most the prefix and the deepest indent (bounded by the depth
            // the reader accepts) more than the compact text.
            let lines = text.bytes().filter(|b| b",[{".contains(b)).count() * 2 + 1;
            ev.room_for_text(text.len().saturating_add(
                lines.saturating_mul(prefix.len() + json::MAX_DEPTH * indent.len()),
            ))?;
            string_value(indent_json(text, &prefix, &indent))
        }
        "encoding/base64.Encode" => {
            c.arity(2)?;
            string_value(base64(&c.data(ev, 1)?))
        }
        "encoding/base64.Decode" => {
            c.arity(2)?;
            if !matches!(c.scalar(ev, 0)?, Val::Null) {
                return Err(c.fail("only the standard encoding (null) is supported"));
            }
            let data = c.data(ev, 1)?;
            decode_base64(&data)
                .map(|bytes| Value::Val(Val::Bytes(Arc::from(bytes))))
                .ok_or_else(|| c.fail("illegal base64 data"))
        }
        _ => Err(c.unsupported()),
    }
}

impl Call<'_> {
    /// JSON text to read, refused before it is read when it could hold more values than the
    /// budget has left (each value after the first follows a `[`, `{`, `,` or `:`).
    fn json_text(&self, ev: &mut Evaluator, i: usize) -> Result<Arc<[u8]>, Error> {
        let data = self.data(ev, i)?;
        let values = data.iter().filter(|b| b"[{,:".contains(b)).count() + 1;
        ev.room_for_values(values)?;
        Ok(data)
    }
}

/// Valid JSON text laid out as Go's `json.Indent` does: an element per line, each line after
/// the first starting with `prefix` and an `indent` per level, `{}` and `[]` kept whole, the
/// text of strings and numbers unchanged.
fn indent_json(text: &str, prefix: &str, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut chars = text.trim_start().chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(prefix);
        for _ in 0..depth {
            out.push_str(indent);
        }
    };
    while let Some(ch) = chars.next() {
        match ch {
            '"' => {
                out.push('"');
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    match inner {
                        '\\' => out.extend(chars.next()),
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '{' | '[' => {
                out.push(ch);
                while chars.peek().is_some_and(char::is_ascii_whitespace) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(ch);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            ' ' | '\t' | '\n' | '\r' if depth > 0 => {}
            _ => out.push(ch),
        }
    }
    out
}

const BASE64_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(
                    BASE64_ALPHABET[((n >> (18 - 6 * i)) & 63) as usize],
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard padded base64 as Go's `StdEncoding` decodes it (line breaks ignored); `None` for
/// anything else.
fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    let symbols: Vec<u8> = data
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    if symbols.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(symbols.len() / 4 * 3);
    let quads = symbols.chunks(4).count();
    for (index, quad) in symbols.chunks(4).enumerate() {
        let padding = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if padding > 2 || (padding > 0 && index + 1 != quads) {
            return None;
        }
        let mut n: u32 = 0;
        for &symbol in &quad[..4 - padding] {
            let value = BASE64_ALPHABET.iter().position(|&a| a == symbol)?;
            n = (n << 6) | value as u32;
        }
        n <<= 6 * padding as u32;
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..4 - padding]);
    }
    Some(out)
}
