//! conflictsWith, by KubeVela's rule set (oam-spec.md §3.10): `*` conflicts with every other
//! trait; `*.<group>` with traits whose CRD is in that group; otherwise a trait definition name,
//! alias or CRD name; `labelSelector:<selector>` with traits whose definition carries matching
//! labels. A rule on either side counts, and each pair is reported once.

use super::definitions::{Definitions, group_of};
use super::{Bound, BoundTrait};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::model::Text;

pub(super) fn check(bound: &Bound<'_>, definitions: &Definitions<'_>, diags: &mut Diagnostics) {
    let traits = &bound.traits;
    for (i, first) in traits.iter().enumerate() {
        for second in &traits[i + 1..] {
            let rule = conflict_rule(first, second, definitions, diags)
                .map(|r| (r, first))
                .or_else(|| conflict_rule(second, first, definitions, diags).map(|r| (r, second)));
            let Some((rule, declared_by)) = rule else {
                continue;
            };
            let other = if std::ptr::eq(declared_by, first) {
                second
            } else {
                first
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
                    rule.span,
                    format!(
                        "`{}` declares conflictsWith `{}`, which matches `{}`",
                        declared_by.type_name, rule.value, other.type_name
                    ),
                )
                .with_help(
                    "remove one of the two traits, or drop the conflict from the TraitDefinition",
                ),
            );
        }
    }
}

/// The rule of `owner`'s definition that `other` matches, if any.
fn conflict_rule<'m>(
    owner: &BoundTrait<'m>,
    other: &BoundTrait<'_>,
    definitions: &Definitions<'_>,
    diags: &mut Diagnostics,
) -> Option<&'m Text> {
    let rules = &owner.definition?.conflicts_with;
    let other_crd = other.definition.map_or_else(
        || definitions.crd_name(&other.object),
        |d| Definitions::crd_of(d).to_owned(),
    );
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
        text.strip_prefix("*.").is_some_and(|group| group == group_of(&other_crd))
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
