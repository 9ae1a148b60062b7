//! A JSON value shown to minijinja templates as it is, without converting it first.
//!
//! A trait's `context.workload` is a whole rendered object, of which a template reads a few
//! fields (`context.workload.metadata.name`); converting it into minijinja values for every
//! trait of every app cost more than the trait's own template. A view converts a field when the
//! template reads it. To a template it is a map or a list like any other: the engine reaches it
//! only through `get_value` and `enumerate`, which answer exactly as a converted value would.

use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectExt, ObjectRepr, Value};
use serde_json::Value as Json;

/// A map or list inside a shared JSON value: the root and the path down to it.
#[derive(Debug)]
pub(super) struct JsonView {
    root: Arc<Json>,
    path: Vec<Step>,
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

impl JsonView {
    /// The value `root`, as a template sees it.
    pub(super) fn value(root: &Arc<Json>) -> Value {
        to_value(root, root, &[])
    }

    fn node(&self) -> &Json {
        let mut node = &*self.root;
        for step in &self.path {
            let child = match step {
                Step::Key(key) => node.get(key.as_str()),
                Step::Index(index) => node.get(*index),
            };
            // Paths are made from the value's own keys and indices, and it never changes.
            node = child.unwrap_or(&Json::Null);
        }
        node
    }

    fn child(&self, node: &Json, step: Step) -> Value {
        let mut path = self.path.clone();
        path.push(step);
        to_value(&self.root, node, &path)
    }
}

/// `node` (found at `path` in `root`) as minijinja converts JSON: scalars as they are, maps and
/// lists as views.
fn to_value(root: &Arc<Json>, node: &Json, path: &[Step]) -> Value {
    match node {
        Json::Null => Value::from(()),
        Json::Bool(b) => Value::from(*b),
        // As serde hands numbers over: unsigned, negative, or floating point.
        Json::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Value::from(u),
            (None, Some(i)) => Value::from(i),
            _ => Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::from(s.as_str()),
        Json::Array(_) | Json::Object(_) => Value::from_object(JsonView {
            root: Arc::clone(root),
            path: path.to_vec(),
        }),
    }
}

impl Object for JsonView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.node() {
            Json::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.node() {
            Json::Object(map) => {
                let key = key.as_str()?;
                let child = map.get(key)?;
                Some(self.child(child, Step::Key(key.to_owned())))
            }
            Json::Array(items) => {
                let index = key.as_usize()?;
                let child = items.get(index)?;
                Some(self.child(child, Step::Index(index)))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Json::Array(items) => Enumerator::Seq(items.len()),
            Json::Object(_) => self.mapped_rev_key_value_enumerator(|this| {
                let Json::Object(map) = this.node() else {
                    return Box::new(std::iter::empty());
                };
                Box::new(map.iter().map(move |(key, child)| {
                    (
                        Value::from(key.as_str()),
                        this.child(child, Step::Key(key.clone())),
                    )
                }))
            }),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Json::Array(items) => Some(items.len()),
            Json::Object(map) => Some(map.len()),
            _ => Some(0),
        }
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
}
