//! `path`: slash-separated paths as Go's `path/filepath` reads them on Unix. CUE's functions
//! take the operating system as an optional last argument; `path.Unix` (the default) is the
//! one supported here.

use super::{Call, string_list, string_value};
use crate::error::{Error, ErrorKind};
use crate::eval::{Evaluator, Value};
use crate::value::Val;

pub(super) fn call(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    c.arity_between(1, 2)?;
    if c.args.len() == 2 {
        let unix = match ev.eval(&c.args[1], c.env) {
            Value::Function(name) => &*name == "path.Unix",
            Value::Val(Val::Str(s)) => &*s == "unix",
            _ => false,
        };
        if !unix {
            return Err(c
                .fail("only path.Unix paths are supported")
                .of_kind(ErrorKind::Unsupported));
        }
    }
    if c.name == "path.Join" {
        let parts = c.strings(ev, 0)?;
        let joined: Vec<&str> = parts
            .iter()
            .map(|p| &**p)
            .filter(|p| !p.is_empty())
            .collect();
        return string_value(if joined.is_empty() {
            String::new()
        } else {
            clean(&joined.join("/"))
        });
    }
    let path = c.string(ev, 0)?;
    match c.name {
        "path.Clean" => string_value(clean(&path)),
        "path.Base" => string_value(base(&path)),
        "path.Dir" => string_value(clean(&path[..path.rfind('/').map_or(0, |i| i + 1)])),
        "path.Ext" => {
            let name = &path[path.rfind('/').map_or(0, |i| i + 1)..];
            string_value(name.rfind('.').map_or("", |i| &name[i..]).to_owned())
        }
        "path.IsAbs" => Ok(Value::Val(Val::Bool(path.starts_with('/')))),
        "path.Split" => {
            let at = path.rfind('/').map_or(0, |i| i + 1);
            Ok(string_list(
                ev,
                vec![path[..at].to_owned(), path[at..].to_owned()],
            ))
        }
        _ => Err(c.unsupported()),
    }
}

/// The shortest path naming the same file: no empty or `.` elements, each `..` cancelling
/// the element before it (or dropped at the root); `.` for nothing.
fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// The last element: trailing slashes removed, `/` for a path of slashes, `.` for nothing.
fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed[trimmed.rfind('/').map_or(0, |i| i + 1)..].to_owned()
}
