//! The builtin functions (`len`, `close`, `and`, ...) and the standard-library functions
//! configuration templates call. Any other function is an error that names it.

use std::rc::Rc;
use std::sync::Arc;

use crate::ast::Expr;
use crate::error::{Error, ErrorKind, Span};
use crate::eval::{Env, Evaluator, Value};
use crate::value::Val;

/// The packages whose functions are here (some of each; a function not here is an error that
/// names it).
pub(crate) const PACKAGES: &[&str] = &[
    "strconv",
    "strings",
    "list",
    "encoding/json",
    "encoding/base64",
];

/// Calls a builtin by its qualified name (`len`, `strings.ToLower`).
pub(crate) fn call(
    ev: &mut Evaluator,
    name: &str,
    args: &[Arc<Expr>],
    env: &Rc<Env>,
    span: Span,
) -> Value {
    match call_checked(ev, name, args, env, span) {
        Ok(value) => value,
        Err(error) => Value::Val(Val::Bottom(Box::new(error))),
    }
}

/// One call: the function's name, its arguments and where it is written.
struct Call<'a> {
    name: &'a str,
    args: &'a [Arc<Expr>],
    env: &'a Rc<Env>,
    span: Span,
}

impl Call<'_> {
    fn arity(&self, n: usize) -> Result<(), Error> {
        if self.args.len() == n {
            Ok(())
        } else {
            Err(Error::new(
                format!(
                    "{} takes {n} argument(s), found {}",
                    self.name,
                    self.args.len()
                ),
                self.span,
            ))
        }
    }

    fn string(&self, ev: &mut Evaluator, i: usize) -> Result<Arc<str>, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Str(s) => Ok(s),
            Val::Bottom(error) => Err(*error),
            other => Err(Error::new(
                format!("{}: expected a string, found {other}", self.name),
                self.args[i].span,
            )),
        }
    }

    fn int(&self, ev: &mut Evaluator, i: usize) -> Result<i64, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Int(n) => Ok(n),
            Val::Bottom(error) => Err(*error),
            other => Err(Error::new(
                format!("{}: expected an int, found {other}", self.name),
                self.args[i].span,
            )),
        }
    }

    fn unsupported(&self) -> Error {
        Error::new(
            format!(
                "the function {} is not supported by this evaluator",
                self.name
            ),
            self.span,
        )
        .of_kind(ErrorKind::Unsupported)
    }
}

fn call_checked(
    ev: &mut Evaluator,
    name: &str,
    args: &[Arc<Expr>],
    env: &Rc<Env>,
    span: Span,
) -> Result<Value, Error> {
    let c = Call {
        name,
        args,
        env,
        span,
    };
    let package = name.rsplit_once('.').map_or("", |(package, _)| package);
    match package {
        "" => core(ev, &c),
        "strconv" => strconv(ev, &c),
        "strings" => strings(ev, &c),
        "list" => list(ev, &c),
        "encoding/json" | "encoding/base64" => encoding(ev, &c),
        _ => Err(c.unsupported()),
    }
}

/// The builtins of the language: `len`, `close`, `and`, `div`, `mod`, `quo`, `rem`.
fn core(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "len" => {
            c.arity(1)?;
            let value = ev.eval(&c.args[0], c.env);
            Ok(Value::Val(ev.length(value, c.span)))
        }
        "close" => {
            c.arity(1)?;
            Ok(ev.make_closed(&c.args[0], c.env))
        }
        "and" => {
            c.arity(1)?;
            let value = ev.eval(&c.args[0], c.env);
            let elements = ev.list_elements(value, c.span)?;
            Ok(ev.make_meet(elements))
        }
        "div" | "mod" | "quo" | "rem" => {
            c.arity(2)?;
            let (a, b) = (c.int(ev, 0)?, c.int(ev, 1)?);
            if b == 0 {
                return Err(Error::new("division by zero", c.span));
            }
            let result = match c.name {
                "div" => a.checked_div_euclid(b),
                "mod" => a.checked_rem_euclid(b),
                "quo" => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            result
                .map(|n| Value::Val(Val::Int(n)))
                .ok_or_else(|| Error::new("integer overflow", c.span))
        }
        _ => Err(c.unsupported()),
    }
}

/// `strconv`
fn strconv(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strconv.FormatInt" => {
            c.arity(2)?;
            let (n, base) = (c.int(ev, 0)?, c.int(ev, 1)?);
            if !(2..=36).contains(&base) {
                return Err(Error::new(
                    format!("strconv.FormatInt: invalid base {base}"),
                    c.span,
                ));
            }
            text(format_radix(n, base as u32))
        }
        "strconv.Itoa" => {
            c.arity(1)?;
            text(c.int(ev, 0)?.to_string())
        }
        "strconv.Atoi" => {
            c.arity(1)?;
            let s = c.string(ev, 0)?;
            s.parse::<i64>()
                .map(|n| Value::Val(Val::Int(n)))
                .map_err(|_| {
                    Error::new(
                        format!("strconv.Atoi: parsing {s:?}: invalid syntax"),
                        c.span,
                    )
                })
        }
        "strconv.Quote" => {
            c.arity(1)?;
            text(serde_json::to_string(&*c.string(ev, 0)?).unwrap_or_default())
        }
        _ => Err(c.unsupported()),
    }
}

/// `strings`
fn strings(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strings.ToLower" => {
            c.arity(1)?;
            text(c.string(ev, 0)?.to_lowercase())
        }
        "strings.ToUpper" => {
            c.arity(1)?;
            text(c.string(ev, 0)?.to_uppercase())
        }
        "strings.TrimSpace" => {
            c.arity(1)?;
            text(c.string(ev, 0)?.trim().to_owned())
        }
        "strings.Contains" | "strings.HasPrefix" | "strings.HasSuffix" => {
            c.arity(2)?;
            let (s, t) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let result = match c.name {
                "strings.Contains" => s.contains(&*t),
                "strings.HasPrefix" => s.starts_with(&*t),
                _ => s.ends_with(&*t),
            };
            Ok(Value::Val(Val::Bool(result)))
        }
        "strings.TrimPrefix" | "strings.TrimSuffix" => {
            c.arity(2)?;
            let (s, t) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let trimmed = if c.name == "strings.TrimPrefix" {
                s.strip_prefix(&*t)
            } else {
                s.strip_suffix(&*t)
            };
            text(trimmed.unwrap_or(&s).to_owned())
        }
        "strings.Replace" => {
            c.arity(4)?;
            let (s, old, new, n) = (
                c.string(ev, 0)?,
                c.string(ev, 1)?,
                c.string(ev, 2)?,
                c.int(ev, 3)?,
            );
            text(if n < 0 {
                s.replace(&*old, &new)
            } else {
                s.replacen(&*old, &new, n as usize)
            })
        }
        "strings.Split" => {
            c.arity(2)?;
            let (s, sep) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let parts: Vec<String> = if sep.is_empty() {
                s.chars().map(String::from).collect()
            } else {
                s.split(&*sep).map(str::to_owned).collect()
            };
            Ok(string_list(ev, parts))
        }
        "strings.Join" => {
            c.arity(2)?;
            let value = ev.eval(&c.args[0], c.env);
            let elements = ev.list_elements(value, c.span)?;
            let sep = c.string(ev, 1)?;
            let mut parts = Vec::new();
            for element in elements {
                match ev.scalar_of(Value::Vertex(element), c.span) {
                    Val::Str(s) => parts.push(s.to_string()),
                    Val::Bottom(error) => return Err(*error),
                    other => {
                        return Err(Error::new(
                            format!("strings.Join: expected strings, found {other}"),
                            c.span,
                        ));
                    }
                }
            }
            text(parts.join(&sep))
        }
        _ => Err(c.unsupported()),
    }
}

/// `list`
fn list(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "list.Concat" => {
            c.arity(1)?;
            let value = ev.eval(&c.args[0], c.env);
            let lists = ev.list_elements(value, c.span)?;
            let mut all = Vec::new();
            for list in lists {
                all.extend(ev.list_elements(Value::Vertex(list), c.span)?);
            }
            Ok(ev.make_list(all))
        }
        "list.Contains" => {
            c.arity(2)?;
            let value = ev.eval(&c.args[0], c.env);
            let elements = ev.list_elements(value, c.span)?;
            let needle = ev.concrete(&c.args[1], c.env);
            if let Val::Bottom(error) = needle {
                return Err(*error);
            }
            for element in elements {
                if ev.scalar_of(Value::Vertex(element), c.span).equals(&needle) {
                    return Ok(Value::Val(Val::Bool(true)));
                }
            }
            Ok(Value::Val(Val::Bool(false)))
        }
        _ => Err(c.unsupported()),
    }
}

/// `encoding/json` and `encoding/base64`
fn encoding(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "encoding/json.Marshal" => {
            c.arity(1)?;
            let json = match ev.eval(&c.args[0], c.env) {
                Value::Vertex(id) => ev.export(id)?,
                Value::Val(val) => match crate::eval::to_json(&val.resolve_default()) {
                    Some(json) => json,
                    None => {
                        return Err(Error::new(
                            "json.Marshal: the value is not concrete",
                            c.span,
                        ));
                    }
                },
                _ => return Err(Error::new("json.Marshal: not a value", c.span)),
            };
            text(go_json(&json))
        }
        "encoding/base64.Encode" => {
            c.arity(2)?;
            match ev.concrete(&c.args[1], c.env) {
                Val::Str(s) => text(base64(s.as_bytes())),
                Val::Bytes(b) => text(base64(&b)),
                Val::Bottom(error) => Err(*error),
                other => Err(Error::new(
                    format!("base64.Encode: expected bytes, found {other}"),
                    c.span,
                )),
            }
        }
        _ => Err(c.unsupported()),
    }
}

/// A string result, as every builtin returns one.
#[allow(clippy::unnecessary_wraps)]
fn text(s: String) -> Result<Value, Error> {
    Ok(Value::Val(Val::Str(Arc::from(s))))
}

fn string_list(ev: &mut Evaluator, parts: Vec<String>) -> Value {
    let json = serde_json::Value::Array(parts.into_iter().map(serde_json::Value::String).collect());
    ev.json_value(&json)
}

fn format_radix(n: i64, base: u32) -> String {
    if base == 10 {
        return n.to_string();
    }
    let mut magnitude = n.unsigned_abs();
    let mut digits = Vec::new();
    loop {
        let digit = (magnitude % u64::from(base)) as u32;
        digits.push(char::from_digit(digit, base).unwrap_or('?'));
        magnitude /= u64::from(base);
        if magnitude == 0 {
            break;
        }
    }
    if n < 0 {
        digits.push('-');
    }
    digits.iter().rev().collect()
}

/// JSON as Go's encoding/json writes it (what CUE's json.Marshal returns): compact, with
/// `<`, `>` and `&` escaped.
fn go_json(json: &serde_json::Value) -> String {
    let text = serde_json::to_string(json).unwrap_or_default();
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

/// Standard base64 with padding.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
