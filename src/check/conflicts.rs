//! conflictsWith, by KubeVela's rule set (oam-spec.md §3.10): `*` conflicts with every other
//! trait; `*.<group>` with traits whose CRD is in that group; otherwise a trait definition name,
//! alias or CRD name; `labelSelector:<selector>` with traits whose definition carries matching
//! labels. A rule on either side counts. Each trait is reported once, with the first trait
//! before it that it conflicts with.
//!
//! A rule reads only the other trait's definition, type and CRD, so traits alike in those are
//! one kind, and each pair of kinds is weighed once: a component of thousands of traits of a
//! few types costs a pass over them, not a check per pair (20,000 traits took 4.8 s).

use std::collections::HashMap;

use super::definitions::{Definitions, group_of};
use super::{Bound, BoundTrait};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::{Definition, Text};

/// Traits that every conflict rule treats alike.
struct Kind<'b, 'm> {
    /// Its first trait.
    first: &'b BoundTrait<'m>,
    crd: String,
    /// Whether its definition declares conflicts: a pair of kinds without any never conflicts.
    rules: bool,
    /// How far the kinds before this one's traits have been weighed, and the first that
    /// conflicts: the kinds it was weighed against were all the kinds with rules (`ruled`) when
    /// it has none, else all kinds.
    weighed: usize,
    conflict: Option<Conflict<'m>>,
}

/// The earlier kind a kind's traits conflict with, the rule, and whether the earlier kind
/// declares it.
#[derive(Clone, Copy)]
struct Conflict<'m> {
    kind: usize,
    rule: &'m Text,
    declared_by_first: bool,
}

pub(super) fn check(bound: &Bound<'_>, definitions: &Definitions<'_>, diags: &mut Diagnostics) {
    // A conflict needs a rule on one side: most components have none to weigh.
    let has_rules = |t: &BoundTrait<'_>| t.definition.is_some_and(|d| !d.conflicts_with.is_empty());
    if !bound.traits.iter().any(has_rules) {
        return;
    }
    let mut kinds: Vec<Kind<'_, '_>> = Vec::new();
    let mut ruled: Vec<usize> = Vec::new();
    let mut kind_of: HashMap<(Option<*const Definition>, &str, String), usize> = HashMap::new();
    for second in &bound.traits {
        let crd = second.definition.map_or_else(
            || definitions.crd_name(&second.object),
            |d| Definitions::crd_of(d).to_owned(),
        );
        let key = (
            second.definition.map(std::ptr::from_ref),
            second.type_name.as_str(),
            crd,
        );
        // The kind, and how many kinds came before this trait (a new kind's own first trait
        // does not come before it).
        let (this, before) = if let Some(&this) = kind_of.get(&key) {
            (this, kinds.len())
        } else {
            kinds.push(Kind {
                first: second,
                crd: key.2.clone(),
                rules: has_rules(second),
                weighed: 0,
                conflict: None,
            });
            kind_of.insert(key, kinds.len() - 1);
            (kinds.len() - 1, kinds.len() - 1)
        };
        weigh(&mut kinds, &ruled, this, before, diags);
        if let Some(conflict) = kinds[this].conflict {
            report(bound, &kinds, conflict, second, diags);
        }
        if before == this && kinds[this].rules {
            ruled.push(this);
        }
    }
}

/// Weighs kind `this` against the kinds before index `before` it has not met yet, in the order
/// they came, until one conflicts.
fn weigh(
    kinds: &mut [Kind<'_, '_>],
    ruled: &[usize],
    this: usize,
    before: usize,
    diags: &mut Diagnostics,
) {
    if kinds[this].conflict.is_some() {
        return;
    }
    let from = kinds[this].weighed;
    let candidates = if kinds[this].rules {
        (from..before).collect()
    } else {
        ruled.get(from..).unwrap_or_default().to_vec()
    };
    kinds[this].weighed = from + candidates.len();
    for earlier in candidates {
        let (first, second) = (&kinds[earlier], &kinds[this]);
        let found = conflict_rule(first.first, second.first, &second.crd, diags)
            .map(|rule| (rule, true))
            .or_else(|| {
                conflict_rule(second.first, first.first, &first.crd, diags)
                    .map(|rule| (rule, false))
            });
        if let Some((rule, declared_by_first)) = found {
            kinds[this].conflict = Some(Conflict {
                kind: earlier,
                rule,
                declared_by_first,
            });
            return;
        }
    }
}

fn report(
    bound: &Bound<'_>,
    kinds: &[Kind<'_, '_>],
    conflict: Conflict<'_>,
    second: &BoundTrait<'_>,
    diags: &mut Diagnostics,
) {
    let first = kinds[conflict.kind].first;
    let (declared_by, other) = if conflict.declared_by_first {
        (first, second)
    } else {
        (second, first)
    };
    diags.push(
        Diagnostic::new(
            Code::TraitConflict,
            second.binding.span,
            format!(
                "trait `{}` conflicts with trait `{}` on component `{}`",
                second.type_name, first.type_name, bound.component.name.value
            ),
        )
        .with_label_text(format!("conflicts with `{}`", first.type_name))
        .with_label(first.binding.span, "bound here")
        .with_label(
            conflict.rule.span,
            format!(
                "`{}` declares conflictsWith `{}`, which matches `{}`",
                declared_by.type_name, conflict.rule.value, other.type_name
            ),
        )
        .with_help("remove one of the two traits, or drop the conflict from the TraitDefinition"),
    );
}

/// The rule of `owner`'s definition that `other` (whose CRD is `other_crd`) matches, if any.
fn conflict_rule<'m>(
    owner: &BoundTrait<'m>,
    other: &BoundTrait<'_>,
    other_crd: &str,
    diags: &mut Diagnostics,
) -> Option<&'m Text> {
    let rules = &owner.definition?.conflicts_with;
    rules.iter().find(|rule| {
        let text = rule.value.as_str();
        if text == "*" {
            return true;
        }
        if let Some(selector) = text.strip_prefix("labelSelector:") {
            let labels = other.definition.map_or(&[][..], |d| &d.labels[..]);
            return match selector_matches(selector, labels) {
                Ok(matches) => matches,
                Err(reason) => {
                    diags.push(
                        Diagnostic::new(Code::InvalidConflictRule, rule.span, format!("invalid label selector in conflict rule: {reason}"))
                            .with_help("write `labelSelector:key=value`, `key!=value`, `key` or `!key`, comma-separated"),
                    );
                    false
                }
            };
        }
        text.strip_prefix("*.").is_some_and(|group| group == group_of(other_crd))
            || text == other_crd
            || text == other.type_name
            || other.definition.is_some_and(|d| d.is_named(text))
    })
}

/// Equality-based Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated.
fn selector_matches(selector: &str, labels: &[(String, String)]) -> Result<bool, String> {
    let value_of = |key: &str| {
        labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let mut all = true;
    for term in selector.split(',').map(str::trim) {
        if term.is_empty() {
            return Err("an empty requirement".to_owned());
        }
        if term.contains(" in ") || term.contains(" notin ") || term.contains('(') {
            return Err(format!("set-based requirement `{term}` is not supported"));
        }
        let matched = if let Some((key, value)) = term.split_once("!=") {
            value_of(key.trim()) != Some(value.trim())
        } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
            value_of(key.trim()) == Some(value.trim())
        } else if let Some(key) = term.strip_prefix('!') {
            value_of(key.trim()).is_none()
        } else {
            value_of(term).is_some()
        };
        all &= matched;
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::selector_matches;

    #[test]
    fn equality_selectors() {
        let labels = vec![("foo".to_owned(), "bar".to_owned())];
        assert_eq!(selector_matches("foo=bar", &labels), Ok(true));
        assert_eq!(selector_matches("foo==bar,!baz", &labels), Ok(true));
        assert_eq!(selector_matches("foo!=bar", &labels), Ok(false));
        assert_eq!(selector_matches("baz", &labels), Ok(false));
        assert!(selector_matches("foo in (a)", &labels).is_err());
    }
}
