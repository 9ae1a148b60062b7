//! Object names become file names and cluster identities, so they are checked here, before
//! `emit` builds any path: DNS-1123 names and namespaces, alphanumeric kinds.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use super::Object;
use crate::check::{dns1123_label, dns1123_subdomain, path_segment, shorten};
use crate::diag::{Code, Diagnostic, Diagnostics};

pub(super) fn check(objects: &[Object], diags: &mut Diagnostics) {
    // Each name checked and each identity hashed on every core; what is left for one core is
    // sorting the hashes, which brings the objects of one identity together.
    let hasher = RandomState::new();
    let checked: Vec<(u64, Option<String>)> = crate::parallel::map_slices(objects, |slice| {
        slice
            .iter()
            .map(|object| (hasher.hash_one(identity(object)), problem(object)))
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let repeated = repeated(objects, &checked);
    for ((object, (_, problem)), repeated) in objects.iter().zip(checked).zip(repeated) {
        if repeated {
            let (kind, name) = (object.kind(), object.name());
            diags.push(
                Diagnostic::new(Code::DuplicateObject, object.placement.span, format!("a second {kind} named `{name}` in the output"))
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

/// What makes an object the same object in a cluster.
fn identity(object: &Object) -> (&str, &str, &str, &str) {
    (
        object.group(),
        object.kind(),
        object.namespace(),
        object.name(),
    )
}

/// Whether each object has the identity of an object before it. Objects of one hash are
/// compared by identity (a set per hash shared by more than one object), so any number of
/// repeats costs time in proportion to them.
fn repeated(objects: &[Object], checked: &[(u64, Option<String>)]) -> Vec<bool> {
    let mut order: Vec<(u64, usize)> = checked
        .iter()
        .enumerate()
        .map(|(index, (hash, _))| (*hash, index))
        .collect();
    order.sort_unstable();
    let mut repeated = vec![false; objects.len()];
    for run in order
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|run| run.len() > 1)
    {
        // Membership only: no iteration order of the set reaches the output.
        let mut seen = HashSet::with_capacity(run.len());
        for &(_, index) in run {
            repeated[index] = !seen.insert(identity(&objects[index]));
        }
    }
    repeated
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use crate::diag::{Diagnostics, Span};
    use crate::load::FileId;
    use crate::render::{Object, Placement};

    fn object(api_version: &str, kind: &str, namespace: &str, name: &str, at: u32) -> Object {
        let placement = Placement {
            app: None,
            span: Span::new(FileId(0), at, at),
            passthrough: false,
            depth: 0,
            sources: Arc::from([]),
        };
        let value = json!({"apiVersion": api_version, "kind": kind,
            "metadata": {"name": name, "namespace": namespace}});
        Object::new(value, placement, crate::render::Keep::Nothing)
    }

    /// Every object after the first of its identity (group, kind, namespace, name) is a
    /// duplicate, however many there are and wherever they stand; the API version is not part
    /// of the identity.
    #[test]
    fn every_repeat_of_an_identity_is_reported() {
        let objects = [
            object("apps/v1", "Deployment", "a", "web", 0),
            object("v1", "Service", "a", "web", 1),
            object("apps/v1beta1", "Deployment", "a", "web", 2),
            object("apps/v1", "Deployment", "b", "web", 3),
            object("apps/v1", "Deployment", "a", "web", 4),
            object("v1", "Service", "a", "web", 5),
        ];
        let mut diags = Diagnostics::default();
        super::check(&objects, &mut diags);
        let repeated: Vec<u32> = diags
            .into_sorted()
            .iter()
            .filter_map(|d| d.primary.as_ref().map(|label| label.span.start))
            .collect();
        assert_eq!(repeated, [2, 4, 5]);
    }
}
