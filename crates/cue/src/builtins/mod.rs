//! The builtin functions (`len`, `close`, `and`, ...) and the standard-library functions
//! configuration templates call (a module per package family). Any other function is an
//! error that names it. Each follows CUE's own (Go's) semantics, and the spec cases
//! (`tests/spec/std-*.cue`) hold them to real CUE's answers.

mod encoding;
mod json;
mod list;
mod path;
mod regexp;
#[cfg(test)]
mod testing;
mod text;
mod yaml;

use std::rc::Rc;
use std::sync::Arc;

use crate::ast::Expr;
use crate::error::{Error, ErrorKind, Span};
use crate::eval::{Env, Evaluator, Exported, JsonNode, VId, Value};
use crate::value::Val;

pub(crate) use encoding::base64;

/// The packages whose functions are here (some of each; a function not here is an error that
/// names it).
pub(crate) const PACKAGES: &[&str] = &[
    "strconv",
    "strings",
    "list",
    "path",
    "regexp",
    "encoding/json",
    "encoding/yaml",
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
        self.arity_between(n, n)
    }

    fn string(&self, ev: &mut Evaluator, i: usize) -> Result<Arc<str>, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Str(s) => Ok(s),
            Val::Bottom(error) => Err(*error),
            other => Err(self.expected("a string", &other, i)),
        }
    }

    fn int(&self, ev: &mut Evaluator, i: usize) -> Result<i64, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Int(n) => Ok(n),
            Val::Bottom(error) => Err(*error),
            other => Err(self.expected("an int", &other, i)),
        }
    }

    /// A count (a non-negative int).
    fn count(&self, ev: &mut Evaluator, i: usize) -> Result<usize, Error> {
        let n = self.int(ev, i)?;
        usize::try_from(n).map_err(|_| self.fail(format_args!("negative count {n}")))
    }

    /// Between `min` and `max` arguments (CUE's functions with an optional last one).
    fn arity_between(&self, min: usize, max: usize) -> Result<(), Error> {
        if (min..=max).contains(&self.args.len()) {
            return Ok(());
        }
        let expected = if min == max {
            format!("{min} argument(s)")
        } else {
            format!("{min} to {max} arguments")
        };
        Err(Error::new(
            format!("{} takes {expected}, found {}", self.name, self.args.len()),
            self.span,
        ))
    }

    fn bool(&self, ev: &mut Evaluator, i: usize) -> Result<bool, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Bool(b) => Ok(b),
            Val::Bottom(error) => Err(*error),
            other => Err(self.expected("a bool", &other, i)),
        }
    }

    /// A concrete value of any scalar kind.
    fn scalar(&self, ev: &mut Evaluator, i: usize) -> Result<Val, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Bottom(error) => Err(*error),
            other => Ok(other),
        }
    }

    /// The bytes of a string or bytes argument (what CUE's encoders read).
    fn data(&self, ev: &mut Evaluator, i: usize) -> Result<Arc<[u8]>, Error> {
        match ev.concrete(&self.args[i], self.env) {
            Val::Str(s) => Ok(Arc::from(s.as_bytes())),
            Val::Bytes(b) => Ok(b),
            Val::Bottom(error) => Err(*error),
            other => Err(self.expected("a string or bytes", &other, i)),
        }
    }

    /// The element vertices of a list argument.
    fn elements(&self, ev: &mut Evaluator, i: usize) -> Result<Vec<VId>, Error> {
        let value = ev.eval(&self.args[i], self.env);
        ev.list_elements(value, self.args[i].span)
    }

    /// The elements of a list argument, each a concrete scalar.
    fn scalars(&self, ev: &mut Evaluator, i: usize) -> Result<Vec<Val>, Error> {
        let mut out = Vec::new();
        for element in self.elements(ev, i)? {
            match ev.scalar_of(Value::Vertex(element), self.span) {
                Val::Bottom(error) => return Err(*error),
                val if val.is_concrete() => out.push(val),
                other => {
                    return Err(Error::new(
                        format!("{}: incomplete list element {other}", self.name),
                        self.args[i].span,
                    )
                    .of_kind(ErrorKind::Incomplete));
                }
            }
        }
        Ok(out)
    }

    /// The elements of a list argument, each a string.
    fn strings(&self, ev: &mut Evaluator, i: usize) -> Result<Vec<Arc<str>>, Error> {
        self.scalars(ev, i)?
            .into_iter()
            .map(|val| match val {
                Val::Str(s) => Ok(s),
                other => Err(self.expected("strings", &other, i)),
            })
            .collect()
    }

    /// A concrete argument as the encoders write it: JSON's shapes with CUE's scalars.
    fn node(&self, ev: &mut Evaluator, i: usize) -> Result<Arc<JsonNode>, Error> {
        match ev.eval(&self.args[i], self.env) {
            Value::Vertex(id) => ev.export_as(id),
            // An argument that failed fails the call with its own error.
            Value::Val(val) => match val.resolve_default() {
                Val::Bottom(error) => Err(*error),
                val => Exported::scalar(&val).ok_or_else(|| self.fail("the value is not concrete")),
            },
            _ => Err(self.fail("not a value")),
        }
    }

    fn expected(&self, what: &str, found: &Val, i: usize) -> Error {
        Error::new(
            format!("{}: expected {what}, found {found}", self.name),
            self.args.get(i).map_or(self.span, |a| a.span),
        )
        .of_kind(ErrorKind::Function)
    }

    /// An error of this call with CUE's wording (`strconv.ParseInt: parsing "x": ...`).
    fn fail(&self, message: impl std::fmt::Display) -> Error {
        Error::new(format!("{}: {message}", self.name), self.span).of_kind(ErrorKind::Function)
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
        "strconv" => text::strconv(ev, &c),
        "strings" => text::strings(ev, &c),
        "list" => list::call(ev, &c),
        "path" => path::call(ev, &c),
        "regexp" => regexp::call(ev, &c),
        "encoding/json" | "encoding/base64" => encoding::call(ev, &c),
        "encoding/yaml" => yaml::call(ev, &c),
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

/// A string result, as every builtin returns one.
#[allow(clippy::unnecessary_wraps)]
fn string_value(s: String) -> Result<Value, Error> {
    Ok(Value::Val(Val::Str(Arc::from(s))))
}

fn string_list(ev: &mut Evaluator, parts: Vec<String>) -> Value {
    let json = serde_json::Value::Array(parts.into_iter().map(serde_json::Value::String).collect());
    ev.json_value(&json)
}
