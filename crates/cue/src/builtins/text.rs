//! `strconv` and `strings`, with Go's semantics (CUE's functions are Go's): indexes count
//! bytes, `Fields` splits on Unicode white space, `ParseInt` reads Go's prefixes.

use super::{Call, string_list, string_value};
use crate::error::Error;
use crate::eval::{Evaluator, Value};
use crate::value::{Bound, Val, kind};

/// `strconv`
pub(super) fn strconv(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strconv.FormatInt" => {
            c.arity(2)?;
            let (n, base) = (c.int(ev, 0)?, c.int(ev, 1)?);
            if !(2..=36).contains(&base) {
                return Err(c.fail(format_args!("invalid base {base}")));
            }
            string_value(format_radix(n, base as u32))
        }
        "strconv.FormatBool" => {
            c.arity(1)?;
            string_value(c.bool(ev, 0)?.to_string())
        }
        "strconv.Itoa" => {
            c.arity(1)?;
            string_value(c.int(ev, 0)?.to_string())
        }
        "strconv.Atoi" => {
            c.arity(1)?;
            let s = c.string(ev, 0)?;
            s.parse::<i64>()
                .map(|n| Value::Val(Val::Int(n)))
                .map_err(|_| c.fail(format_args!("parsing {s:?}: invalid syntax")))
        }
        "strconv.ParseBool" => {
            c.arity(1)?;
            let s = c.string(ev, 0)?;
            match &*s {
                "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(Value::Val(Val::Bool(true))),
                "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(Value::Val(Val::Bool(false))),
                _ => Err(c.fail(format_args!("parsing {s:?}: invalid syntax"))),
            }
        }
        "strconv.ParseInt" | "strconv.ParseUint" => {
            c.arity(3)?;
            let (s, base, bits) = (c.string(ev, 0)?, c.int(ev, 1)?, c.int(ev, 2)?);
            let signed = c.name == "strconv.ParseInt";
            parse_int(&s, base, bits, signed)
                .map(|n| Value::Val(Val::Int(n)))
                .map_err(|why| c.fail(format_args!("parsing {s:?}: {why}")))
        }
        "strconv.ParseFloat" => {
            c.arity(2)?;
            let s = c.string(ev, 0)?;
            parse_float(&s)
                .and_then(crate::decimal::Decimal::from_f64)
                .map(|x| Value::Val(Val::Float(std::sync::Arc::new(x))))
                .ok_or_else(|| c.fail(format_args!("parsing {s:?}: invalid syntax")))
        }
        "strconv.Quote" => {
            c.arity(1)?;
            string_value(serde_json::to_string(&*c.string(ev, 0)?).unwrap_or_default())
        }
        _ => Err(c.unsupported()),
    }
}

/// `strings`
pub(super) fn strings(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strings.MinRunes" | "strings.MaxRunes" => {
            c.arity(1)?;
            let n = c.count(ev, 0)?;
            let bound = if c.name == "strings.MinRunes" {
                Bound::MinRunes(n)
            } else {
                Bound::MaxRunes(n)
            };
            Ok(Value::Val(Val::Constraint(kind::STRING, vec![bound])))
        }
        "strings.Contains"
        | "strings.HasPrefix"
        | "strings.HasSuffix"
        | "strings.ContainsAny"
        | "strings.Index"
        | "strings.LastIndex"
        | "strings.Count" => search(ev, c),
        "strings.Split" | "strings.SplitN" | "strings.Fields" | "strings.Join" => {
            split_and_join(ev, c)
        }
        _ => edit(ev, c),
    }
}

/// The `strings` functions that look for text.
fn search(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    c.arity(2)?;
    let (s, t) = (c.string(ev, 0)?, c.string(ev, 1)?);
    Ok(Value::Val(match c.name {
        "strings.Contains" => Val::Bool(s.contains(&*t)),
        "strings.HasPrefix" => Val::Bool(s.starts_with(&*t)),
        "strings.HasSuffix" => Val::Bool(s.ends_with(&*t)),
        "strings.ContainsAny" => Val::Bool(s.contains(|ch| t.contains(ch))),
        "strings.Index" => Val::Int(s.find(&*t).map_or(-1, |i| i as i64)),
        "strings.LastIndex" => Val::Int(s.rfind(&*t).map_or(-1, |i| i as i64)),
        // Go counts an empty separator between every character and at both ends.
        _ if t.is_empty() => Val::Int(s.chars().count() as i64 + 1),
        _ => Val::Int(s.matches(&*t).count() as i64),
    }))
}

/// The `strings` functions that split text into lists and join lists into text.
fn split_and_join(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strings.Split" | "strings.SplitN" => {
            let n = if c.name == "strings.Split" {
                c.arity(2)?;
                -1
            } else {
                c.arity(3)?;
                c.int(ev, 2)?
            };
            let (s, sep) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let parts = if sep.is_empty() {
                s.chars().count()
            } else {
                s.matches(&*sep).count() + 1
            };
            ev.room_for_values(parts)?;
            Ok(string_list(ev, split_n(&s, &sep, n)))
        }
        "strings.Fields" => {
            c.arity(1)?;
            let s = c.string(ev, 0)?;
            ev.room_for_values(s.split_whitespace().count())?;
            Ok(string_list(
                ev,
                s.split_whitespace().map(str::to_owned).collect(),
            ))
        }
        _ => {
            c.arity(2)?;
            let parts = c.strings(ev, 0)?;
            let sep = c.string(ev, 1)?;
            let len = parts.iter().map(|p| p.len() + sep.len()).sum();
            ev.room_for_text(len)?;
            string_value(parts.join(&*sep))
        }
    }
}

/// The `strings` functions that make new text of text.
fn edit(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "strings.ToLower" => {
            c.arity(1)?;
            string_value(c.string(ev, 0)?.to_lowercase())
        }
        "strings.ToUpper" => {
            c.arity(1)?;
            string_value(c.string(ev, 0)?.to_uppercase())
        }
        "strings.TrimSpace" => {
            c.arity(1)?;
            string_value(c.string(ev, 0)?.trim().to_owned())
        }
        "strings.TrimPrefix" | "strings.TrimSuffix" => {
            c.arity(2)?;
            let (s, t) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let trimmed = if c.name == "strings.TrimPrefix" {
                s.strip_prefix(&*t)
            } else {
                s.strip_suffix(&*t)
            };
            string_value(trimmed.unwrap_or(&s).to_owned())
        }
        "strings.Trim" | "strings.TrimLeft" | "strings.TrimRight" => {
            c.arity(2)?;
            let (s, cutset) = (c.string(ev, 0)?, c.string(ev, 1)?);
            let cut = |ch: char| cutset.contains(ch);
            string_value(
                match c.name {
                    "strings.Trim" => s.trim_matches(cut),
                    "strings.TrimLeft" => s.trim_start_matches(cut),
                    _ => s.trim_end_matches(cut),
                }
                .to_owned(),
            )
        }
        "strings.Replace" => {
            c.arity(4)?;
            let (s, old, new, n) = (
                c.string(ev, 0)?,
                c.string(ev, 1)?,
                c.string(ev, 2)?,
                c.int(ev, 3)?,
            );
            // An empty `old` matches between every character, as in Go.
            let matches = if old.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(&*old).count()
            };
            let replaced = usize::try_from(n).map_or(matches, |n| n.min(matches));
            ev.room_for_text(s.len().saturating_add(replaced.saturating_mul(new.len())))?;
            string_value(s.replacen(&*old, &new, replaced))
        }
        "strings.Repeat" => {
            c.arity(2)?;
            let (s, n) = (c.string(ev, 0)?, c.int(ev, 1)?);
            let Ok(n) = usize::try_from(n) else {
                return Err(c.fail("negative Repeat count"));
            };
            ev.room_for_text(s.len().saturating_mul(n))?;
            string_value(s.repeat(n))
        }
        _ => Err(c.unsupported()),
    }
}

/// Go's `strings.SplitN`: at most `n` parts (all of them when `n` is negative, none when it is
/// 0); an empty separator splits after each character.
fn split_n(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = usize::try_from(n).unwrap_or(usize::MAX);
    if sep.is_empty() {
        let mut parts: Vec<String> = Vec::new();
        for (i, ch) in s.char_indices() {
            if parts.len() + 1 == limit {
                parts.push(s[i..].to_owned());
                return parts;
            }
            parts.push(ch.to_string());
        }
        return parts;
    }
    s.splitn(limit, sep).map(str::to_owned).collect()
}

/// Go's `strconv.ParseInt` and `ParseUint`: base 0 reads the prefixes of `base_prefix`, and
/// underscores between digits; `bits` 0 means 64.
fn parse_int(s: &str, base: i64, bits: i64, signed: bool) -> Result<i64, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') if signed => (true, &s[1..]),
        Some(b'+') if signed => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = digits.to_ascii_lowercase();
    let (base, body, underscores) = match base {
        0 => {
            let (base, body) = base_prefix(&lower);
            (base, body, true)
        }
        2..=36 => (base as u32, lower.as_str(), false),
        _ => return Err("invalid base"),
    };
    if body.is_empty()
        || (underscores && (body.starts_with('_') || body.ends_with('_') || body.contains("__")))
        || (!underscores && body.contains('_'))
    {
        return Err(SYNTAX);
    }
    let magnitude = i128::from(digits_value(body, base)?);
    let bits = match bits {
        0 => 64,
        1..=64 => bits as u32,
        _ => return Err("invalid bit size"),
    };
    let (low, high): (i128, i128) = if signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let value = if negative { -magnitude } else { magnitude };
    if value < low || value > high {
        return Err("value out of range");
    }
    // A uint64 above i64's range is a value this evaluator cannot hold.
    i64::try_from(value).map_err(|_| "value out of range")
}

/// The radix Go's base 0 reads from lower-case digits, and the digits after its prefix: `0x`,
/// `0o`, `0b`, a leading `0` (octal), or none (decimal).
pub(super) fn base_prefix(lower: &str) -> (u32, &str) {
    if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower)
    }
}

/// The value of digits in a radix, underscores skipped.
pub(super) fn digits_value(digits: &str, radix: u32) -> Result<u64, &'static str> {
    let mut value: u64 = 0;
    let mut overflow = false;
    for ch in digits.chars().filter(|&ch| ch != '_') {
        let digit = ch.to_digit(radix).ok_or("invalid syntax")?;
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(digit)))
        {
            Some(next) => value = next,
            None => overflow = true,
        }
    }
    if overflow {
        Err("value out of range")
    } else {
        Ok(value)
    }
}

/// Go's `strconv.ParseFloat` for the numbers CUE can hold (no infinities, no NaN).
fn parse_float(s: &str) -> Option<f64> {
    let plain = s.strip_prefix(['+', '-']).unwrap_or(s);
    let numeric = !plain.is_empty()
        && plain
            .chars()
            .all(|ch| ch.is_ascii_digit() || matches!(ch, '.' | 'e' | 'E' | '+' | '-'))
        && plain.starts_with(|ch: char| ch.is_ascii_digit() || ch == '.');
    if !numeric {
        return None;
    }
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}

/// An integer in a base from 2 to 36, lower-case digits, as `strconv.FormatInt` writes it.
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
