//! Object names become file names and cluster identities, so they are checked here, before
//! `emit` builds any path: DNS-1123 names and namespaces, alphanumeric kinds.

use std::collections::HashSet;

use super::Object;
use crate::check::{dns1123_label, dns1123_subdomain, path_segment, shorten};
use crate::diag::{Code, Diagnostic, Diagnostics};

pub(super) fn check(objects: &[Object], diags: &mut Diagnostics) {
    // Each name on every core; duplicates in one pass over them all.
    let problems = crate::parallel::map_slices(objects, |slice| {
        slice.iter().map(problem).collect::<Vec<_>>()
    });
    // Membership only: no iteration order of the set reaches the output.
    let mut seen: HashSet<(&str, &str, &str, &str)> = HashSet::with_capacity(objects.len());
    for (object, problem) in objects.iter().zip(problems.into_iter().flatten()) {
        let identity = (
            object.group(),
            object.kind(),
            object.namespace(),
            object.name(),
        );
        let (kind_text, name_text) = (identity.1, identity.3);
        if !seen.insert(identity) {
            diags.push(
                Diagnostic::new(Code::DuplicateObject, object.placement.span, format!("a second {kind_text} named `{name_text}` in the output"))
                    .with_help("two apps or components render the same object: give one of them another name or namespace"),
            );
        }
        if let Some(message) = problem {
            diags.push(
                Diagnostic::new(Code::InvalidName, object.placement.span, message)
                    .with_help("Kubernetes names are lower-case letters, digits, `-` and `.`, start and end alphanumeric, at most 253 characters (namespaces: 63, no `.`)"),
            );
        }
    }
}

/// What is wrong with the object's kind, name or namespace, if anything.
fn problem(object: &Object) -> Option<String> {
    let (kind, name) = (object.kind(), object.name());
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some(format!(
            "kind `{kind}` is not a Kubernetes kind (letters and digits only)"
        ));
    }
    let named = if object.placement.passthrough || is_rbac(object.group(), kind) {
        path_segment(name)
    } else {
        dns1123_subdomain(name)
    };
    if let Err(reason) = named {
        return Some(format!(
            "{kind} name `{}` is not a valid name: {reason}",
            shorten(name)
        ));
    }
    let ns = object.namespace();
    (!ns.is_empty())
        .then(|| dns1123_label(ns).err())
        .flatten()
        .map(|reason| format!("namespace `{}` is not valid: {reason}", shorten(ns)))
}

/// RBAC objects are named like path segments, not DNS names: KubeVela names a ClusterRole
/// `<namespace>:<name>`, as Kubernetes' own are (`system:controller:...`).
fn is_rbac(group: &str, kind: &str) -> bool {
    group == "rbac.authorization.k8s.io"
        && matches!(
            kind,
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding"
        )
}
