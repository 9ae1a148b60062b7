//! `list`: the functions that build, cut and reduce lists. Lists that reuse elements
//! (`Slice`, `Repeat`, `FlattenN`) share the element values instead of copying them; a list
//! that would hold more values than the budget has left is refused before it is built.

use std::cmp::Ordering;

use super::Call;
use std::sync::Arc;

use crate::decimal::Decimal;
use crate::error::Error;
use crate::eval::{Evaluator, JsonNode, VId, Value};
use crate::value::{Bound, Val, compare, kind};

pub(super) fn call(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "list.MinItems" | "list.MaxItems" | "list.UniqueItems" => validator(ev, c),
        "list.Slice" | "list.Take" | "list.Drop" => cut(ev, c),
        "list.Max" | "list.Min" | "list.Sum" => reduce(ev, c),
        "list.Sort" | "list.SortStrings" => sort(ev, c),
        _ => build(ev, c),
    }
}

/// The functions that make a list of lists or numbers, and `Contains`.
fn build(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "list.Concat" => {
            c.arity(1)?;
            let mut all = Vec::new();
            for list in c.elements(ev, 0)? {
                all.extend(ev.list_elements(Value::Vertex(list), c.span)?);
            }
            Ok(ev.make_list(all))
        }
        "list.Contains" => {
            c.arity(2)?;
            let elements = c.elements(ev, 0)?;
            let needle = c.scalar(ev, 1)?;
            for element in elements {
                if ev.scalar_of(Value::Vertex(element), c.span).equals(&needle) {
                    return Ok(Value::Val(Val::Bool(true)));
                }
            }
            Ok(Value::Val(Val::Bool(false)))
        }
        "list.Range" => {
            c.arity(3)?;
            let (start, limit, step) = (c.int(ev, 0)?, c.int(ev, 1)?, c.int(ev, 2)?);
            if step == 0 {
                return Err(c.fail("step must be non zero"));
            }
            if (step > 0 && limit < start) || (step < 0 && limit > start) {
                return Err(c.fail("the step leads away from the limit"));
            }
            let step_size = i128::from(step).abs();
            let distance = (i128::from(limit) - i128::from(start)).abs();
            let count = (distance + step_size - 1) / step_size;
            ev.room_for_values(usize::try_from(count).unwrap_or(usize::MAX))?;
            let values: Vec<serde_json::Value> = (0..count)
                .map(|i| serde_json::Value::from((i128::from(start) + i * i128::from(step)) as i64))
                .collect();
            Ok(ev.json_value(&serde_json::Value::Array(values)))
        }
        "list.FlattenN" => {
            c.arity(2)?;
            let depth = c.int(ev, 1)?;
            let mut out = Vec::new();
            for element in c.elements(ev, 0)? {
                flatten(ev, element, depth, &mut out, c)?;
            }
            Ok(ev.make_list(out))
        }
        "list.Repeat" => {
            c.arity(2)?;
            let elements = c.elements(ev, 0)?;
            let Ok(count) = usize::try_from(c.int(ev, 1)?) else {
                return Err(c.fail("negative count"));
            };
            ev.room_for_values(elements.len().saturating_mul(count))?;
            Ok(ev.make_list(elements.repeat(count)))
        }
        _ => Err(c.unsupported()),
    }
}

/// `Slice`, `Take` and `Drop`: a part of a list, sharing its elements.
fn cut(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    let elements = c.elements(ev, 0)?;
    let len = elements.len() as i64;
    let (from, to) = match c.name {
        "list.Slice" => {
            c.arity(3)?;
            (c.int(ev, 1)?, c.int(ev, 2)?)
        }
        "list.Take" => {
            c.arity(2)?;
            (0, c.int(ev, 1)?.min(len))
        }
        _ => {
            c.arity(2)?;
            (c.int(ev, 1)?.min(len), len)
        }
    };
    if from < 0 || to < 0 {
        return Err(c.fail("negative index"));
    }
    if from > to || to > len {
        return Err(c.fail(format_args!(
            "invalid slice [{from}:{to}] of a list of {len}"
        )));
    }
    Ok(ev.make_list(elements[from as usize..to as usize].to_vec()))
}

/// `Max`, `Min` and `Sum` of a list of numbers.
fn reduce(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "list.Max" | "list.Min" => {
            c.arity(1)?;
            let wanted = if c.name == "list.Max" {
                Ordering::Greater
            } else {
                Ordering::Less
            };
            let mut best: Option<Val> = None;
            for value in numbers(ev, c)? {
                if best
                    .as_ref()
                    .is_none_or(|b| compare(&value, b) == Some(wanted))
                {
                    best = Some(value);
                }
            }
            best.map(Value::Val).ok_or_else(|| c.fail("empty list"))
        }
        "list.Sum" => {
            c.arity(1)?;
            // Ints add up as an int; from the first float on, the sum is a decimal.
            let mut int: i64 = 0;
            let mut float: Option<Decimal> = None;
            for value in numbers(ev, c)? {
                match (&value, &mut float) {
                    (Val::Int(n), None) => {
                        int = int
                            .checked_add(*n)
                            .ok_or_else(|| c.fail("integer overflow"))?;
                    }
                    (Val::Float(_) | Val::Int(_), sum) => {
                        let so_far = sum.take().unwrap_or_else(|| Decimal::from_i64(int));
                        *sum = Some(
                            so_far
                                .add(&crate::eval::as_decimal(&value))
                                .map_err(|e| c.fail(e))?,
                        );
                    }
                    _ => {}
                }
            }
            Ok(Value::Val(
                float.map_or(Val::Int(int), |x| Val::Float(Arc::new(x))),
            ))
        }
        _ => Err(c.unsupported()),
    }
}

/// `Sort` (by `list.Ascending` or `list.Descending`) and `SortStrings`.
fn sort(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    match c.name {
        "list.SortStrings" => {
            c.arity(1)?;
            let mut strings = c.strings(ev, 0)?;
            strings.sort();
            Ok(super::string_list(
                ev,
                strings.iter().map(ToString::to_string).collect(),
            ))
        }
        "list.Sort" => {
            c.arity(2)?;
            let order = match ev.eval(&c.args[1], c.env) {
                Value::Function(name) if &*name == "list.Ascending" => Ordering::Less,
                Value::Function(name) if &*name == "list.Descending" => Ordering::Greater,
                Value::Vertex(comparator) => return sort_by(ev, c, comparator),
                _ => {
                    return Err(c.fail(
                        "the order is list.Ascending, list.Descending or {x: _, y: _, less: bool}",
                    ));
                }
            };
            let elements = c.elements(ev, 0)?;
            let mut keyed = Vec::with_capacity(elements.len());
            for element in elements {
                let key = match ev.scalar_of(Value::Vertex(element), c.span) {
                    Val::Bottom(error) => return Err(*error),
                    val @ (Val::Int(_) | Val::Float(_) | Val::Str(_)) => val,
                    other => return Err(c.expected("numbers or strings", &other, 0)),
                };
                keyed.push((key, element));
            }
            let mut mixed = false;
            // A stable sort, as CUE's: equal elements keep their order.
            keyed.sort_by(|(a, _), (b, _)| match compare(a, b) {
                Some(ordering) if order == Ordering::Less => ordering,
                Some(ordering) => ordering.reverse(),
                None => {
                    mixed = true;
                    Ordering::Equal
                }
            });
            if mixed {
                return Err(c.fail("cannot compare numbers with strings"));
            }
            Ok(ev.make_list(keyed.into_iter().map(|(_, id)| id).collect()))
        }
        _ => Err(c.unsupported()),
    }
}

/// `MinItems(n)`, `MaxItems(n)`, `UniqueItems()`: constraints a list is checked against.
fn validator(ev: &mut Evaluator, c: &Call<'_>) -> Result<Value, Error> {
    let bound = match c.name {
        "list.UniqueItems" => {
            c.arity(0)?;
            Bound::UniqueItems
        }
        "list.MinItems" => {
            c.arity(1)?;
            Bound::MinItems(c.count(ev, 0)?)
        }
        _ => {
            c.arity(1)?;
            Bound::MaxItems(c.count(ev, 0)?)
        }
    };
    Ok(Value::Val(Val::Constraint(kind::LIST, vec![bound])))
}

/// `list.Sort` with a comparator of CUE's form, `{x: _, y: _, less: x.n < y.n}`: each
/// comparison unifies it with two elements and reads `less`. A stable merge sort, so that
/// elements it holds equal keep their order.
fn sort_by(ev: &mut Evaluator, c: &Call<'_>, comparator: VId) -> Result<Value, Error> {
    let elements = c.elements(ev, 0)?;
    let mut values: Vec<Arc<JsonNode>> = Vec::with_capacity(elements.len());
    for element in &elements {
        values.push(ev.export_as(*element)?);
    }
    let mut less = |a: usize, b: usize| -> Result<bool, Error> {
        let pair = JsonNode::Object(vec![
            (Arc::from("x"), values[a].clone()),
            (Arc::from("y"), values[b].clone()),
        ]);
        let Value::Vertex(pair) = ev.node_value(Arc::new(pair)) else {
            return Err(c.fail("the comparator cannot be applied"));
        };
        let Value::Vertex(applied) = ev.make_meet(vec![comparator, pair]) else {
            return Err(c.fail("the comparator cannot be applied"));
        };
        let less = ev.select(applied, &crate::eval::Feature::Name("less".into()), c.span)?;
        match ev.scalar_of(Value::Vertex(less), c.span) {
            Val::Bool(b) => Ok(b),
            Val::Bottom(error) => Err(*error),
            other => Err(c.fail(format_args!("the comparator's less is {other}, not a bool"))),
        }
    };
    // Bottom-up merge sort of the indexes: a run from the right is taken only when strictly
    // less than the left's head.
    let mut order: Vec<usize> = (0..elements.len()).collect();
    let mut width = 1;
    while width < order.len() {
        let mut merged = Vec::with_capacity(order.len());
        for start in (0..order.len()).step_by(2 * width) {
            let middle = (start + width).min(order.len());
            let end = (start + 2 * width).min(order.len());
            let (mut left, mut right) = (start, middle);
            while left < middle && right < end {
                if less(order[right], order[left])? {
                    merged.push(order[right]);
                    right += 1;
                } else {
                    merged.push(order[left]);
                    left += 1;
                }
            }
            merged.extend_from_slice(&order[left..middle]);
            merged.extend_from_slice(&order[right..end]);
        }
        order = merged;
        width *= 2;
    }
    Ok(ev.make_list(order.into_iter().map(|i| elements[i]).collect()))
}

/// The elements of the list argument, each a number.
fn numbers(ev: &mut Evaluator, c: &Call<'_>) -> Result<Vec<Val>, Error> {
    c.scalars(ev, 0)?
        .into_iter()
        .map(|val| match val {
            Val::Int(_) | Val::Float(_) => Ok(val),
            other => Err(c.expected("numbers", &other, 0)),
        })
        .collect()
}

/// Appends `element`, or the elements of it and of its lists down to `depth` levels (all
/// levels when `depth` is negative).
fn flatten(
    ev: &mut Evaluator,
    element: VId,
    depth: i64,
    out: &mut Vec<VId>,
    c: &Call<'_>,
) -> Result<(), Error> {
    if depth == 0 || !ev.is_list(&Value::Vertex(element)) {
        out.push(element);
        return Ok(());
    }
    for inner in ev.list_elements(Value::Vertex(element), c.span)? {
        flatten(ev, inner, depth - 1, out, c)?;
    }
    Ok(())
}
