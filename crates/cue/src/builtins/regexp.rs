//! `regexp`: the functions CUE v0.4 has (Match, Find, FindAll, FindSubmatch,
//! FindNamedSubmatch, FindAllSubmatch, FindAllNamedSubmatch, Valid) and those later CUE adds
//! (ReplaceAll, ReplaceAllLiteral: CUE v0.4.3 and later, so in the CUE KubeVela builds with),
//! on the evaluator's patterns (RE2 syntax, compiled within the budget and cached as `=~`
//! compiles them). A search that finds nothing is an error, as in CUE.

use serde_json::{Map, Value as Json};

use super::Call;
use crate::error::Error;
use crate::eval::{Evaluator, Value};
use crate::value::{Pattern, Val};

pub(super) fn call(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    let all = c.name.starts_with("regexp.FindAll");
    let replace = c.name.starts_with("regexp.ReplaceAll");
    match c.name {
        "regexp.Valid" => c.arity(1)?,
        _ if all || replace => c.arity(3)?,
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
        ev.spend_search(&re, text.len())?;
        return Ok(Value::Val(Val::Bool(re.regex.is_match(&text))));
    }
    if replace {
        let template = c.string(ev, 2)?;
        let literal = c.name == "regexp.ReplaceAllLiteral";
        return replace_all(ev, &re, &text, &template, literal);
    }
    // At most this many matches; all of them when negative.
    let limit = if all {
        usize::try_from(c.int(ev, 2)?).unwrap_or(usize::MAX)
    } else {
        1
    };
    let mut found = Vec::new();
    let mut searches = Searches::new(&re, &text);
    while found.len() < limit {
        let Some(captures) = searches.next(ev)? else {
            break;
        };
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

/// Go's `ReplaceAllString` (`$1`, `${name}` expanded in `template`) or
/// `ReplaceAllLiteralString`; refused once the text grows past what the budget has left.
fn replace_all(
    ev: &mut Evaluator,
    pattern: &Pattern,
    text: &str,
    template: &str,
    literal: bool,
) -> Result<Value, Error> {
    let limit = ev.text_left();
    let mut out = String::new();
    let mut last = 0;
    let mut searches = Searches::new(pattern, text);
    while let Some(captures) = searches.next(ev)? {
        let whole = captures.get(0).map_or(0..0, |m| m.range());
        out.push_str(&text[last..whole.start]);
        if literal {
            out.push_str(template);
        } else {
            expand(&mut out, template, &captures, limit);
        }
        last = whole.end;
        if out.len() > limit {
            break;
        }
    }
    out.push_str(&text[last..]);
    if out.len() > limit {
        ev.room_for_text(out.len())?;
    }
    super::string_value(out)
}

/// The matches of a pattern in a text, left to right, each search paid for before it runs: as
/// much as reading the rest of the text (a search may read to the end to rule out a longer
/// match, so finding every match can read the text once per match).
struct Searches<'t> {
    pattern: &'t Pattern,
    matches: regex::CaptureMatches<'t, 't>,
    /// Where the next search starts.
    at: usize,
    len: usize,
}

impl<'t> Searches<'t> {
    fn new(pattern: &'t Pattern, text: &'t str) -> Self {
        Searches {
            pattern,
            // The regex crate skips an empty match that abuts the one before, as Go does.
            matches: pattern.regex.captures_iter(text),
            at: 0,
            len: text.len(),
        }
    }

    fn next(&mut self, ev: &mut Evaluator) -> Result<Option<regex::Captures<'t>>, Error> {
        ev.spend_search(self.pattern, self.len - self.at)?;
        let captures = self.matches.next();
        if let Some(whole) = captures.as_ref().and_then(|c| c.get(0)) {
            self.at = whole.end();
        }
        Ok(captures)
    }
}

/// Go's `Regexp.Expand`: `$name` or `${name}`, the name a run of letters, digits and `_` (as
/// long as possible: `$1x` is `${1x}`), a number without leading zeros for a group by index,
/// else the group of that name; an unknown or unmatched group gives nothing; `$$` is `$`; a `$`
/// without a name is itself. Stops writing past `limit` bytes.
fn expand(out: &mut String, template: &str, captures: &regex::Captures<'_>, limit: usize) {
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        if out.len() > limit {
            return;
        }
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let (braced, body) = match rest.strip_prefix('{') {
            Some(body) => (true, body),
            None => (false, rest),
        };
        let length = body
            .char_indices()
            .find(|&(_, ch)| !(ch.is_alphabetic() || ch.is_numeric() || ch == '_'))
            .map_or(body.len(), |(i, _)| i);
        let closed = !braced || body[length..].starts_with('}');
        if length == 0 || !closed {
            // Malformed: the `$` is text.
            out.push('$');
            continue;
        }
        let name = &body[..length];
        rest = &body[length + usize::from(braced)..];
        let index = if name.bytes().all(|b| b.is_ascii_digit())
            && !(name.len() > 1 && name.starts_with('0'))
        {
            name.parse::<usize>().ok()
        } else {
            None
        };
        let group = match index {
            Some(index) => captures.get(index),
            None => captures.name(name),
        };
        out.push_str(group.map_or("", |m| m.as_str()));
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::super::testing::string_of;

    fn replace(function: &str, pattern: &str, text: &str, template: &str) -> String {
        string_of(
            "regexp",
            &format!("regexp.{function}(#\"{pattern}\"#, #\"{text}\"#, #\"{template}\"#)"),
        )
    }

    // CUE's own cases (pkg/regexp/testdata/gen.txtar at v0.14.1, t14 to t16): the CUE v0.4
    // of the tests' oracle has no ReplaceAll.
    #[test]
    fn replaces_as_cue_does() {
        let pattern = r"f(?P<A>\w)(?P<B>\w)";
        assert_eq!(
            replace("ReplaceAll", pattern, "afloat afoot from", "-${A}-${B}-"),
            "a-l-o-at a-o-o-t -r-o-m"
        );
        assert_eq!(
            replace("ReplaceAll", pattern, "afloat afoot from", "-$1-$2-"),
            "a-l-o-at a-o-o-t -r-o-m"
        );
        assert_eq!(
            replace(
                "ReplaceAllLiteral",
                pattern,
                "afloat afoot from",
                "-${A}-${B}-"
            ),
            "a-${A}-${B}-at a-${A}-${B}-t -${A}-${B}-m"
        );
        assert_eq!(
            replace("ReplaceAllLiteral", pattern, "afloat afoot from", "-$1-$2-"),
            "a-$1-$2-at a-$1-$2-t -$1-$2-m"
        );
    }

    // 10,000 matches of a 1,000-byte template would write 10 MB: refused past the budget's
    // text, after writing no more than it allows.
    #[test]
    fn a_replacement_stays_within_the_text_budget() {
        let file = crate::parse(
            "import (\"regexp\", \"strings\")\nout: regexp.ReplaceAll(\"\", strings.Repeat(\"a\", 10000), strings.Repeat(\"x\", 1000))\n",
            0,
        )
        .expect("the case parses");
        let budget = crate::Budget {
            bytes: 1 << 20,
            ..crate::Budget::default()
        };
        let mut evaluation = crate::Evaluation::new(budget);
        evaluation.add_file(&file);
        let error = evaluation.export(&["out"]).expect_err("past the budget");
        assert_eq!(error.kind, crate::ErrorKind::Budget, "{error}");
    }

    // Go's documented rules for the template (regexp.Expand) and for empty matches.
    #[test]
    fn expands_as_go_does() {
        // `$1x` is `${1x}`, a group that does not exist: nothing.
        assert_eq!(replace("ReplaceAll", "a(x*)b", "-ab-axxb-", "$1W"), "---");
        assert_eq!(
            replace("ReplaceAll", "a(x*)b", "-ab-axxb-", "${1}W"),
            "-W-xxW-"
        );
        // `$$` is `$`; a `$` without a name, or with an unclosed brace, is itself.
        assert_eq!(replace("ReplaceAll", "b", "abc", "$$-$-${1"), "a$-$-${1c");
        // `$01` is no index (leading zero), and no group has that name.
        assert_eq!(replace("ReplaceAll", "(b)", "abc", "[$01][$1]"), "a[][b]c");
        // An empty match abutting the one before is skipped.
        assert_eq!(replace("ReplaceAll", "a*", "baaac", "X"), "XbXcX");
        assert_eq!(replace("ReplaceAll", "x*", "abc", "-"), "-a-b-c-");
    }
}
