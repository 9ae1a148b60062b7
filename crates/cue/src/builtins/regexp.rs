//! `regexp`: the functions CUE v0.4 has (Match, Find, FindAll, FindSubmatch,
//! FindNamedSubmatch, FindAllSubmatch, FindAllNamedSubmatch, Valid), on the evaluator's
//! patterns (RE2 syntax, compiled within the budget and cached as `=~` compiles them). A search
//! that finds nothing is an error, as in CUE.

use serde_json::{Map, Value as Json};

use super::Call;
use crate::error::Error;
use crate::eval::{Evaluator, Value};
use crate::value::Val;

pub(super) fn call(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    let all = c.name.starts_with("regexp.FindAll");
    match c.name {
        "regexp.Valid" => c.arity(1)?,
        _ if all => c.arity(3)?,
        _ => c.arity(2)?,
    }
    let pattern = c.string(ev, 0)?;
    let re = match ev.regex(&pattern, c.args[0].span) {
        Ok(re) => re,
        Err(Val::Bottom(error)) => return Err(*error),
        Err(_) => return Err(c.fail("invalid pattern")),
    };
    if c.name == "regexp.Valid" {
        return Ok(Value::Val(Val::Bool(true)));
    }
    let text = c.string(ev, 1)?;
    if c.name == "regexp.Match" {
        return Ok(Value::Val(Val::Bool(re.regex.is_match(&text))));
    }
    // At most this many matches; all of them when negative.
    let limit = if all {
        usize::try_from(c.int(ev, 2)?).unwrap_or(usize::MAX)
    } else {
        1
    };
    let mut found = Vec::new();
    for captures in re.regex.captures_iter(&text).take(limit) {
        ev.room_for_values(captures.len() + 1)?;
        found.push(match c.name {
            "regexp.Find" | "regexp.FindAll" => {
                Json::from(captures.get(0).map_or("", |m| m.as_str()))
            }
            "regexp.FindSubmatch" | "regexp.FindAllSubmatch" => Json::Array(
                captures
                    .iter()
                    .map(|group| Json::from(group.map_or("", |m| m.as_str())))
                    .collect(),
            ),
            "regexp.FindNamedSubmatch" | "regexp.FindAllNamedSubmatch" => {
                // By name, as Go's map of them comes out.
                let mut named: Vec<(String, Json)> = re
                    .regex
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        let text = captures.get(i).map_or("", |m| m.as_str());
                        name.map(|name| (name.to_owned(), Json::from(text)))
                    })
                    .collect();
                named.sort_by(|a, b| a.0.cmp(&b.0));
                Json::Object(named.into_iter().collect::<Map<_, _>>())
            }
            _ => return Err(c.unsupported()),
        });
    }
    if found.is_empty() {
        return Err(c.fail("no match"));
    }
    let result = if all {
        Json::Array(found)
    } else {
        found.swap_remove(0)
    };
    Ok(ev.json_value(&result))
}
