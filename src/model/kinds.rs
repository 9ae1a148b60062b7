//! Kinds and their CRD-style names (`deployments.apps`), offline: a definition is found from an
//! object by `<plural>.<group>`. Plurals come from CRDs among the inputs, then from the table of
//! well-known kinds below, then from Kubernetes' own default guess (DESIGN.md).

use super::fields::Fields;
use super::{Crd, Model};
use crate::diag::Diagnostics;
use crate::load::{Document, OAM_GROUP};

/// An API group and kind: `apps` + `Deployment`. The core group is "".
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct GroupKind {
    pub(crate) group: String,
    pub(crate) kind: String,
}

impl GroupKind {
    /// From an `apiVersion` (`apps/v1`, `v1`) and a kind.
    pub(crate) fn of(api_version: &str, kind: &str) -> GroupKind {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        GroupKind {
            group: group.to_owned(),
            kind: kind.to_owned(),
        }
    }

    /// Of an object's `apiVersion` and `kind` ("" where absent).
    pub(crate) fn of_object(object: &serde_json::Value) -> GroupKind {
        let text = |key: &str| {
            object
                .get(key)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
        };
        GroupKind::of(text("apiVersion"), text("kind"))
    }
}

/// `metadata.<key>` of an object. Not `Value::pointer`, which allocates a string for each step
/// of its path: this is read for every object rendered.
pub(crate) fn metadata_field<'v>(
    object: &'v serde_json::Value,
    key: &str,
) -> Option<&'v serde_json::Value> {
    field(field(object, "metadata")?, key)
}

/// A map's largest size at which `lookup` compares keys instead of hashing.
const SCANNED: usize = 8;

/// `value.get(key)` for an object. serde_json's maps hash each key looked up (SipHash, about
/// 200 instructions); the maps rendering reads from (an object's top, its metadata, a
/// parameter set) hold a few keys, which compare faster than one hash.
pub(crate) fn field<'v>(value: &'v serde_json::Value, key: &str) -> Option<&'v serde_json::Value> {
    lookup(value.as_object()?, key)
}

/// `map.get(key)`, as `field` does it.
pub(crate) fn lookup<'m>(
    map: &'m serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'m serde_json::Value> {
    if map.len() > SCANNED {
        return map.get(key);
    }
    map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
}

/// `map.get_mut(key)`, as `field` does it.
pub(crate) fn lookup_mut<'m>(
    map: &'m mut serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'m mut serde_json::Value> {
    if map.len() > SCANNED {
        return map.get_mut(key);
    }
    map.iter_mut()
        .find(|(k, _)| k.as_str() == key)
        .map(|(_, v)| v)
}

/// Well-known kinds: (group, version, kind, plural).
const WELL_KNOWN: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Namespace", "namespaces"),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("", "v1", "Pod", "pods"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "Service", "services"),
    ("", "v1", "ServiceAccount", "serviceaccounts"),
    ("apps", "v1", "DaemonSet", "daemonsets"),
    ("apps", "v1", "Deployment", "deployments"),
    ("apps", "v1", "ReplicaSet", "replicasets"),
    ("apps", "v1", "StatefulSet", "statefulsets"),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    ),
    ("batch", "v1", "CronJob", "cronjobs"),
    ("batch", "v1", "Job", "jobs"),
    ("networking.k8s.io", "v1", "Ingress", "ingresses"),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
    ),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
    ),
    (
        OAM_GROUP,
        "v1alpha2",
        "ContainerizedWorkload",
        "containerizedworkloads",
    ),
    (OAM_GROUP, "v1alpha2", "HealthScope", "healthscopes"),
    (OAM_GROUP, "v1alpha1", "Server", "servers"),
    (OAM_GROUP, "v1alpha1", "SingletonServer", "singletonservers"),
    (OAM_GROUP, "v1alpha1", "Worker", "workers"),
    (OAM_GROUP, "v1alpha1", "SingletonWorker", "singletonworkers"),
    (OAM_GROUP, "v1alpha1", "Task", "tasks"),
    (OAM_GROUP, "v1alpha1", "SingletonTask", "singletontasks"),
    (
        OAM_GROUP,
        "v1alpha2",
        "ManualScalerTrait",
        "manualscalertraits",
    ),
];

/// Kinds without a namespace; an app's namespace is not written on them.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "PersistentVolume"),
    ("", "Node"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("storage.k8s.io", "StorageClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    ("apiregistration.k8s.io", "APIService"),
];

impl GroupKind {
    /// Is an object of this kind outside every namespace (a ClusterRole, say)?
    pub(crate) fn is_cluster_scoped(&self) -> bool {
        CLUSTER_SCOPED
            .iter()
            .any(|(group, kind)| self.group == *group && self.kind == *kind)
    }
}

/// `<plural>.<group>` of a kind, as definitions are named.
pub(crate) fn crd_name_of(group_kind: &GroupKind, crds: &[Crd]) -> String {
    let plural = crds
        .iter()
        .find(|c| c.group_kind == *group_kind)
        .and_then(|c| {
            c.name
                .split_once('.')
                .map(|(p, _)| p.to_owned())
                .or_else(|| Some(c.name.clone()))
        })
        .or_else(|| {
            WELL_KNOWN
                .iter()
                .find(|(g, _, k, _)| *g == group_kind.group && *k == group_kind.kind)
                .map(|(_, _, _, p)| (*p).to_owned())
        })
        .unwrap_or_else(|| guess_plural(&group_kind.kind));
    if group_kind.group.is_empty() {
        plural
    } else {
        format!("{plural}.{}", group_kind.group)
    }
}

/// The `apiVersion` and kind a CRD name stands for, if a CRD or the table knows it.
pub(crate) fn type_of_crd_name(crd_name: &str, crds: &[Crd]) -> Option<(String, String)> {
    if let Some(crd) = crds.iter().find(|c| c.name == crd_name) {
        return Some((
            api_version(&crd.group_kind.group, &crd.version),
            crd.group_kind.kind.clone(),
        ));
    }
    let (plural, group) = crd_name.split_once('.').unwrap_or((crd_name, ""));
    WELL_KNOWN
        .iter()
        .find(|(g, _, _, p)| *g == group && *p == plural)
        .map(|(g, v, k, _)| (api_version(g, v), (*k).to_owned()))
}

fn api_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    }
}

/// Kubernetes' default plural: lower-case, `s`/`x`/`z`/`ch`/`sh` → `+es`, consonant `y` → `ies`.
fn guess_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with(['s', 'x', 'z']) || lower.ends_with("ch") || lower.ends_with("sh") {
        format!("{lower}es")
    } else if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

/// Reads a CustomResourceDefinition (v1 `versions[]` or v1beta1 `version`).
pub(super) fn lower_crd(document: &Document, model: &mut Model, diags: &mut Diagnostics) {
    // CRDs are read for their names only; their other fields are none of oam's business.
    let mut quiet = Diagnostics::default();
    let Some(mut root) = Fields::of(&document.root, "", &mut quiet) else {
        return;
    };
    let Some(mut metadata) = root.object("metadata", &mut quiet) else {
        return;
    };
    let Some(name) = metadata.required_string("name", diags) else {
        return;
    };
    let Some(mut spec) = root.object("spec", &mut quiet) else {
        return;
    };
    let group = spec
        .string("group", &mut quiet)
        .map(|t| t.value)
        .unwrap_or_default();
    let kind = spec
        .object("names", &mut quiet)
        .and_then(|mut n| n.string("kind", &mut quiet));
    let version = spec
        .string("version", &mut quiet)
        .map(|t| t.value)
        .or_else(|| {
            spec.list("versions", &mut quiet)
                .first()
                .and_then(|v| v.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_owned)
        });
    if let (Some(kind), Some(version)) = (kind, version) {
        model.crds.push(Crd {
            name: name.value,
            group_kind: GroupKind {
                group,
                kind: kind.value,
            },
            version,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::{GroupKind, crd_name_of, guess_plural, type_of_crd_name};

    #[test]
    fn plurals_follow_kubernetes() {
        assert_eq!(guess_plural("Bar"), "bars");
        assert_eq!(guess_plural("Policy"), "policies");
        assert_eq!(guess_plural("Gateway"), "gateways");
        assert_eq!(guess_plural("Ingress"), "ingresses");
        assert_eq!(
            crd_name_of(&GroupKind::of("apps/v1", "Deployment"), &[]),
            "deployments.apps"
        );
        assert_eq!(
            crd_name_of(&GroupKind::of("v1", "Service"), &[]),
            "services"
        );
        assert_eq!(
            type_of_crd_name("containerizedworkloads.core.oam.dev", &[]),
            Some((
                "core.oam.dev/v1alpha2".to_owned(),
                "ContainerizedWorkload".to_owned()
            ))
        );
    }
}
