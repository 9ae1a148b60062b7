//! appliesToWorkloads (oam-spec.md §3.9, the runtime's validating webhook): empty or `*` is any
//! workload; `*.<group>` is any workload of that API group; otherwise the workload definition's
//! name, alias or `definitionRef.name`. We also accept the spec's `GROUP/VERSION.KIND` form,
//! matched by group and kind, which the runtime never matched (DESIGN.md decisions).

use super::Bound;
use super::definitions::{Definitions, group_of};
use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::load::Origin;
use crate::model::GroupKind;

pub(super) fn check(
    bound: &Bound<'_>,
    definitions: &Definitions<'_>,
    kubevela: bool,
    diags: &mut Diagnostics,
) {
    let workload_crd = bound.workload_definition.map_or_else(
        || definitions.crd_name(&bound.workload),
        |d| Definitions::crd_of(d).to_owned(),
    );
    let api_version = bound
        .workload
        .get("apiVersion")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let kind = bound
        .workload
        .get("kind")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    let workload_gk = GroupKind::of(api_version, kind);
    for bound_trait in &bound.traits {
        let Some(definition) = bound_trait.definition else {
            continue;
        };
        let rules = &definition.applies_to;
        let applies = rules.is_empty()
            || rules.iter().any(|rule| {
                let rule = rule.value.as_str();
                rule == "*"
                    || rule
                        .strip_prefix("*.")
                        .is_some_and(|group| group == group_of(&workload_crd))
                    || rule == workload_crd
                    || rule == bound.workload_type
                    || bound.workload_definition.is_some_and(|d| d.is_named(rule))
                    || matches_group_version_kind(rule, &workload_gk)
            });
        if applies {
            continue;
        }
        let allowed: Vec<String> = rules.iter().map(|r| format!("`{}`", r.value)).collect();
        // KubeVela lists appliesToWorkloads but renders an Application's traits whatever the
        // workload (its own docs bind `expose` to a `daemon`): there it is a warning.
        let (code, message) = if kubevela {
            (
                Code::TraitMayNotApply,
                format!(
                    "trait `{}` does not declare that it applies to workload `{}` of component `{}`; KubeVela renders it anyway, and so does oam",
                    bound_trait.type_name, bound.workload_type, bound.component.name.value
                ),
            )
        } else {
            (
                Code::TraitNotApplicable,
                format!(
                    "trait `{}` cannot apply to workload `{}` of component `{}`",
                    bound_trait.type_name, bound.workload_type, bound.component.name.value
                ),
            )
        };
        let mut diagnostic = Diagnostic::new(code, bound_trait.binding.span, message)
            .with_label_text(format!("applies to {}", allowed.join(", ")));
        if let Some(first) = rules.first() {
            diagnostic = diagnostic.with_label(first.span, "appliesToWorkloads declared here");
        }
        // A built-in's appliesToWorkloads cannot be edited; a definition file of the same name can
        // replace it.
        let help = if definition.origin == Origin::Builtin {
            format!(
                "remove the trait from this component, or use a trait that applies to `{}`; to change where `{}` applies, add a TraitDefinition of that name with -d (it replaces the built-in)",
                bound.workload_type, bound_trait.type_name
            )
        } else {
            format!(
                "remove the trait from this component, or add `{}` (or `*.{}`) to the TraitDefinition's appliesToWorkloads",
                bound.workload_type,
                group_of(&workload_crd)
            )
        };
        diags.push(diagnostic.with_help(help));
    }
}

/// `core.oam.dev/v1alpha2.ContainerizedWorkload`: group and kind must match; any version does.
fn matches_group_version_kind(rule: &str, workload: &GroupKind) -> bool {
    let Some((group_version, kind)) = rule.rsplit_once('.') else {
        return false;
    };
    let Some((group, _version)) = group_version.rsplit_once('/') else {
        return false;
    };
    group == workload.group && kind == workload.kind
}

#[cfg(test)]
mod tests {
    use super::matches_group_version_kind;
    use crate::model::GroupKind;

    #[test]
    fn group_version_kind_rules_match_by_group_and_kind() {
        let cw = GroupKind::of("core.oam.dev/v1alpha2", "ContainerizedWorkload");
        assert!(matches_group_version_kind(
            "core.oam.dev/v1alpha2.ContainerizedWorkload",
            &cw
        ));
        assert!(matches_group_version_kind(
            "core.oam.dev/v1.ContainerizedWorkload",
            &cw
        ));
        assert!(!matches_group_version_kind("apps/v1.Deployment", &cw));
        assert!(!matches_group_version_kind("deployments.apps", &cw));
    }
}
