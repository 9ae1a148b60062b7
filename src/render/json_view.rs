//! A JSON value shown to minijinja templates as it is, without converting it first.
//!
//! A trait's `context.workload` is a whole rendered object, of which a template reads a few
//! fields (`context.workload.metadata.name`); copying and converting it for every trait of
//! every app was 4 % of a render of the bench's apps (docs/performance.md). A view converts one
//! level of the value when a template first reads into it, and keeps it: its scalars become
//! values, its maps and lists views of their own. The level is minijinja's own map or list, and the view answers
//! every question (lookup, iteration, length) by asking it, so a template cannot tell a view
//! from the value converted whole.
//!
//! Finding a view's level walks the path from the root once. Below `MAX_DEPTH` levels the rest
//! is converted whole, so each level costs a bounded walk and is converted at most once: a
//! template reading all of a value costs at most `MAX_DEPTH` times the conversion it replaces.

use std::sync::{Arc, OnceLock};

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use serde_json::Value as Json;

/// How deep views nest; deeper maps and lists are converted whole.
const MAX_DEPTH: usize = 32;

/// A map or list inside a shared JSON value: the root and the path down to it.
#[derive(Debug)]
pub(super) struct JsonView {
    root: Arc<Json>,
    path: Vec<Step>,
    list: bool,
    /// The entries, converted when first read: minijinja's map or list.
    level: OnceLock<Value>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl JsonView {
    /// The value `root`, as a template sees it.
    pub(super) fn value(root: &Arc<Json>) -> Value {
        to_value(root, root, Vec::new())
    }

    fn level(&self) -> &Value {
        self.level.get_or_init(|| {
            let mut node = &*self.root;
            for step in &self.path {
                // Paths are made from the value's own keys and indices, and it never changes.
                let child = match step {
                    Step::Key(key) => node.get(key.as_str()),
                    Step::Index(index) => node.get(*index),
                };
                node = child.unwrap_or(&Json::Null);
            }
            let child = |step: Step, value: &Json| {
                let mut path = self.path.clone();
                path.push(step);
                to_value(&self.root, value, path)
            };
            match node {
                Json::Array(items) => items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| child(Step::Index(index), item))
                    .collect(),
                Json::Object(map) => Value::from_pairs(
                    map.iter()
                        .map(|(key, value)| (key.as_str(), child(Step::Key(key.clone()), value))),
                ),
                _ => Value::from(()),
            }
        })
    }
}

/// `node` (found at `path` in `root`) as a template sees it: scalars converted, maps and lists
/// as views down to `MAX_DEPTH`, converted whole below.
fn to_value(root: &Arc<Json>, node: &Json, path: Vec<Step>) -> Value {
    match node {
        Json::Array(_) | Json::Object(_) if path.len() < MAX_DEPTH => {
            Value::from_object(JsonView {
                root: Arc::clone(root),
                path,
                list: node.is_array(),
                level: OnceLock::new(),
            })
        }
        _ => Value::from(Serde(node)),
    }
}

impl Object for JsonView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        if self.list {
            ObjectRepr::Seq
        } else {
            ObjectRepr::Map
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.level().as_object()?.get_value(key)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        self.level().as_object()?.get_value_by_str(key)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        self.level()
            .as_object()
            .map_or(Enumerator::Empty, minijinja::value::DynObject::enumerate)
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        self.level().as_object()?.enumerator_len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use minijinja::Environment;
    use minijinja::value::{Serde, Value};
    use serde_json::json;

    use super::JsonView;

    /// Every way a template can read a value gives the same text (or the same kind of error)
    /// from a view as from the value converted.
    #[test]
    fn a_view_reads_as_the_converted_value() {
        let workload = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"b": "2", "a": "1"}, "empty": {}},
            "spec": {
                "replicas": 3,
                "ratio": 0.5,
                "offset": -7,
                "big": u64::MAX,
                "paused": false,
                "nothing": null,
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "nginx", "ports": [{"containerPort": 80}]},
                    {"name": "side", "image": "envoy", "args": []},
                ]}},
            },
        });
        let expressions = [
            "{{ w }}",
            "{{ w | tojson }}",
            "{{ w | tojson(indent=2) }}",
            "{{ w.metadata.name }}",
            "{{ w['spec']['template'] }}",
            "{{ w.spec.template.spec.containers[0].name }}",
            "{{ w.spec.template.spec.containers[-1].image }}",
            "{{ w.spec.template.spec.containers[5] is defined }}",
            "{{ w.spec.template.spec.containers[1:] | tojson }}",
            "{{ w.spec.template.spec.containers | map(attribute='image') | join(',') }}",
            "{{ w.spec.template.spec.containers | selectattr('name', 'eq', 'side') | list }}",
            "{{ w.spec.template.spec.containers | sort(attribute='name') | tojson }}",
            "{{ w.spec.template.spec.containers | reverse | list | tojson }}",
            "{{ w.spec.template.spec.containers | first }} {{ w.spec.template.spec.containers | last }}",
            "{{ w.spec.template.spec.containers | length }} {{ w | length }}",
            "{{ w.metadata.labels | dictsort }}",
            "{{ w.metadata.labels | items | list }}",
            "{{ w | reverse | list }}",
            "{% for k in w %}{{ k }};{% endfor %}",
            "{% for k, v in w.metadata.labels | items %}{{ k }}={{ v }};{% endfor %}",
            "{% for c in w.spec.template.spec.containers %}{{ loop.index }}{{ c.name }}{% endfor %}",
            "{{ dict(w.metadata, extra=1) | tojson }}",
            "{{ w.metadata == {'name': 'web', 'labels': {'b': '2', 'a': '1'}, 'empty': {}} }}",
            "{{ w.metadata.labels == w.metadata.labels }} {{ w.metadata.labels != {} }}",
            "{{ w.spec.template.spec.containers[1].args == [] }}",
            "{{ 'metadata' in w }} {{ 'nope' in w }} {{ 'web' in w.metadata.name }}",
            "{{ w is mapping }} {{ w.spec.template.spec.containers is sequence }} {{ w.kind is string }}",
            "{{ w.spec.replicas + 1 }} {{ w.spec.ratio * 2 }} {{ w.spec.offset }} {{ w.spec.big }}",
            "{{ w.spec.replicas is integer }} {{ w.spec.ratio is float }} {{ w.spec.big > 0 }}",
            "{{ w.spec.paused }} {{ w.spec.nothing is none }} {{ w.spec.nothing }}",
            "{% if w.metadata.empty %}full{% else %}empty{% endif %}",
            "{% if w.spec.template.spec.containers[1].args %}args{% else %}none{% endif %}",
            "{{ w.missing is defined }} {{ w.metadata.missing | default('d') }}",
            "{{ w.missing.deeper }}",
            "{{ w[0] }}",
            "{{ w.spec.template.spec.containers.name }}",
            "{{ w.kind | lower }} {{ w.metadata.name ~ '-x' }}",
            "{{ [w.metadata.labels, {'a': '0'}] | sort | tojson }}",
            "{{ w.metadata.labels | list }} {{ w.metadata.labels | unique | list }}",
            "{{ (w.spec.template.spec.containers + [1]) | length }}",
            "{{ w.spec.template.spec.containers | batch(1) | list | tojson }}",
            "{{ w.metadata.labels.items() }}",
            "{{ w.spec.template.spec.containers | min(attribute='name') }}",
            "{% set n = namespace(v=w.metadata) %}{{ n.v.name }}",
            "{{ w | pprint }}",
        ];
        let env = Environment::new();
        let converted = Value::from(Serde(&workload));
        let view = JsonView::value(&Arc::new(workload.clone()));
        for expression in expressions {
            let render = |w: &Value| {
                env.render_str(expression, minijinja::context! { w => w.clone() })
                    .map_err(|e| e.kind())
            };
            assert_eq!(render(&view), render(&converted), "{expression}");
        }
    }

    /// Deeper than views nest, the rest is converted whole, and reads the same.
    #[test]
    fn a_deep_value_reads_the_same_past_the_view_depth() {
        let mut deep = json!({"leaf": [1, {"x": "y"}]});
        for level in 0..(2 * super::MAX_DEPTH) {
            deep = if level % 2 == 0 {
                json!({ "k": deep, "n": level })
            } else {
                json!([level, deep])
            };
        }
        let mut path = String::from("w");
        for level in (0..(2 * super::MAX_DEPTH)).rev() {
            path.push_str(if level % 2 == 0 { ".k" } else { "[1]" });
        }
        let env = Environment::new();
        let converted = Value::from(Serde(&deep));
        let view = JsonView::value(&Arc::new(deep.clone()));
        for expression in [
            format!("{{{{ {path}.leaf[1].x }}}}"),
            format!("{{{{ {path} | tojson }}}}"),
            "{{ w | tojson }}".to_owned(),
            "{{ w }}".to_owned(),
        ] {
            let render = |w: &Value| {
                env.render_str(&expression, minijinja::context! { w => w.clone() })
                    .map_err(|e| e.kind())
            };
            assert!(render(&view).is_ok(), "{expression}");
            assert_eq!(render(&view), render(&converted), "{expression}");
        }
    }
}
