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
    // Ranks are computed once per object; names are compared borrowed (a key of copied strings
    // per object would cost as much memory as a tenth of the output).
    // On every core; an app's objects come together: its rank is looked up once a run of them.
    let ranks: Vec<(usize, usize, usize)> = crate::parallel::map_slices(objects, |slice| {
        let mut last: Option<(&str, usize)> = None;
        slice
            .iter()
            .map(|o| {
                let app_rank = match (o.app(), last) {
                    (Some(app), Some((seen, known))) if std::ptr::eq(app, seen) => known,
                    (Some(app), _) => {
                        let found = rank.get(app).copied().unwrap_or(usize::MAX);
                        last = Some((app, found));
                        found
                    }
                    (None, _) => usize::MAX,
                };
                let kind_rank = KIND_ORDER
                    .iter()
                    .position(|k| *k == o.kind())
                    .unwrap_or(KIND_ORDER.len());
                (app_rank, o.placement.depth, kind_rank)
            })
            .collect::<Vec<_>>()
    })
    .concat();
    // Objects come grouped by app, in app order: a stable sort by app alone finds one run and
    // costs a pass, and each app's few objects are then sorted on the whole key. Both sorts are
    // stable, so this is the stable sort on the whole key, at a fraction of its comparisons.
    let mut order: Vec<usize> = (0..objects.len()).collect();
    order.sort_by_key(|&i| ranks[i].0);
    for app in order.chunk_by_mut(|&a, &b| ranks[a].0 == ranks[b].0) {
        app.sort_by(|&a, &b| {
            let (x, y) = (&objects[a], &objects[b]);
            ranks[a]
                .cmp(&ranks[b])
                .then_with(|| x.kind().cmp(y.kind()))
                .then_with(|| x.name().cmp(y.name()))
                .then_with(|| x.namespace().cmp(y.namespace()))
        });
    }
    // Apply the permutation in place, cycle by cycle.
    let mut placed = vec![false; order.len()];
    for start in 0..order.len() {
        if placed[start] {
            continue;
        }
        let mut at = start;
        loop {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            objects.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::sort;
    use crate::diag::Span;
    use crate::load::FileId;
    use crate::render::{Object, Placement};

    fn object(app: Option<&str>, depth: usize, kind: &str, name: &str, seq: usize) -> Object {
        let placement = Placement {
            app: app.map(Arc::from),
            span: Span::new(FileId(0), seq as u32, seq as u32),
            passthrough: false,
            depth,
            sources: Arc::from([]),
        };
        let value = json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name}});
        Object::new(value, placement, crate::render::Keep::Nothing)
    }

    /// The sort by ranks and a permutation gives what a plain stable sort on the whole key
    /// gives, ties kept in input order.
    #[test]
    fn sorts_like_a_stable_sort_on_the_full_key() {
        let apps = ["b".to_owned(), "a".to_owned()];
        let kinds = ["Widget", "Deployment", "Service", "ConfigMap", "Namespace"];
        let mut objects: Vec<Object> = (0..200)
            .map(|i| {
                let app = [Some("a"), Some("b"), None, Some("c")][i % 4];
                object(
                    app,
                    (i * 7) % 3,
                    kinds[(i * 3) % 5],
                    &format!("n{}", (i * 11) % 13),
                    i,
                )
            })
            .collect();
        let key = |o: &Object| {
            let app = match o.app() {
                Some("b") => 0,
                Some("a") => 1,
                _ => usize::MAX,
            };
            let kind = super::KIND_ORDER
                .iter()
                .position(|k| *k == o.kind())
                .unwrap_or(super::KIND_ORDER.len());
            (
                app,
                o.placement.depth,
                kind,
                o.kind().to_owned(),
                o.name().to_owned(),
            )
        };
        let expected: Vec<u32> = {
            let mut copy: Vec<&Object> = objects.iter().collect();
            copy.sort_by_key(|o| key(o));
            copy.iter().map(|o| o.placement.span.start).collect()
        };
        sort(&mut objects, &apps);
        let got: Vec<u32> = objects.iter().map(|o| o.placement.span.start).collect();
        assert_eq!(got, expected);
    }
}
