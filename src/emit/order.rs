//! The one rule for document order (DESIGN.md): by app (pass-through objects last), then the
//! component's depth in the dependency graph (scopes after components), then a fixed kind order (Namespace, ServiceAccount, Secret, ConfigMap, PVC, Service, workloads, the rest),
//! then kind, name and namespace. Apps keep the order of the inputs.

use std::collections::HashMap;

use crate::render::Object;

const KIND_ORDER: &[&str] = &[
    "Namespace",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];

/// Sorts objects in place. `app_order` is the apps' input order.
pub(crate) fn sort(objects: &mut [Object], app_order: &[String]) {
    // Looked up once per object; with thousands of apps a linear search would dominate.
    let rank: HashMap<&str, usize> = app_order
        .iter()
        .enumerate()
        .rev()
        .map(|(i, a)| (a.as_str(), i))
        .collect();
    // Compared in place, borrowing the names: a key of copied strings per object would cost
    // as much memory as a tenth of the output.
    let ranks = |o: &Object| {
        let app_rank = o
            .app()
            .and_then(|a| rank.get(a).copied())
            .unwrap_or(usize::MAX);
        let kind_rank = KIND_ORDER
            .iter()
            .position(|k| *k == o.kind())
            .unwrap_or(KIND_ORDER.len());
        (app_rank, o.placement.depth, kind_rank)
    };
    objects.sort_by(|a, b| {
        ranks(a)
            .cmp(&ranks(b))
            .then_with(|| a.kind().cmp(b.kind()))
            .then_with(|| a.name().cmp(b.name()))
            .then_with(|| a.namespace().cmp(b.namespace()))
    });
}
