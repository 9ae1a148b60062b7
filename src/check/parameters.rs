//! Parameter values against their definition's JSON Schema: undeclared properties (with a
//! "did you mean"), the schema's defaults, then every violation the jsonschema crate finds, each
//! pointed at the offending value in the app file.

use std::fmt::Write;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::load::{Node, NodeValue, Origin};
use crate::model::{
    Definition, DefinitionKind, Model, Schema, field, invalid_schema, lookup, lookup_mut,
};

/// The compiled schemas of every definition that has one. A built-in definition's schema is
/// compiled when first used (the built-ins are known to compile: a test renders each); every
/// other schema up front, so a broken one is reported even when nothing uses it.
pub(crate) struct Schemas<'m> {
    validators: HashMap<(DefinitionKind, &'m str), OnceLock<Option<Compiled>>>,
}

/// A schema made ready for use: its validator, and where its defaults and ignored properties
/// are.
struct Compiled {
    validator: jsonschema::Validator,
    fills: Fills,
}

/// A schema's validator, or `None` and a diagnostic at the schema. No retriever is configured:
/// a remote `$ref` fails here instead of fetching.
fn compile(schema: &Schema, diags: &mut Diagnostics) -> Option<Compiled> {
    match jsonschema::options().build(&schema.value) {
        Ok(validator) => Some(Compiled {
            validator,
            fills: Fills::of(&schema.value),
        }),
        Err(e) => {
            let span = schema.node.as_ref().map_or(schema.span, |node| {
                span_at(node, e.instance_path().as_str())
            });
            diags.push(invalid_schema(span, &e.to_string()));
            None
        }
    }
}

/// The parameters of one use of a definition, and where they were written.
pub(crate) struct Use<'a> {
    pub(crate) definition: &'a Definition,
    /// The parameters as written (`spec` or `properties`), for the spans of violations.
    pub(crate) source: Option<&'a Node>,
    /// Where to point when the source has no node for a value (the trait or workload).
    pub(crate) fallback: Span,
}

impl<'m> Schemas<'m> {
    /// Compiles every schema; a schema that does not compile is reported once, at itself.
    pub(crate) fn compile(model: &'m Model, diags: &mut Diagnostics) -> Schemas<'m> {
        let mut validators = HashMap::new();
        for definition in &model.definitions {
            let Some(schema) = &definition.schema else {
                continue;
            };
            let compiled = OnceLock::new();
            if definition.origin != Origin::Builtin {
                let _ = compiled.set(compile(schema, diags));
            }
            validators.insert((definition.kind, definition.name.value.as_str()), compiled);
        }
        Schemas { validators }
    }

    /// Validates `value` (the parameters) and fills in the schema's defaults. False if invalid.
    pub(crate) fn apply(&self, site: &Use<'_>, value: &mut Value, diags: &mut Diagnostics) -> bool {
        let definition = site.definition;
        let Some(schema) = &definition.schema else {
            return true;
        };
        let compiled = self
            .validators
            .get(&(definition.kind, definition.name.value.as_str()))
            .and_then(|v| v.get_or_init(|| compile(schema, diags)).as_ref());
        let Some(compiled) = compiled else {
            return false; // the schema itself is broken, and reported
        };
        let before = diags.error_count();
        undeclared(&schema.value, value, site.source, site, diags);
        compiled.fills.apply_defaults(value);
        for error in compiled.validator.iter_errors(value) {
            if matches!(
                error.kind(),
                jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
            ) {
                continue; // reported by `undeclared`, with a suggestion
            }
            let pointer = error.instance_path().to_string();
            let span = site
                .source
                .map_or(site.fallback, |node| span_at(node, &pointer));
            let at = if pointer.is_empty() {
                String::new()
            } else {
                format!(" at `{}`", dotted(&pointer))
            };
            diags.push(
                Diagnostic::new(
                    Code::ParameterInvalid,
                    span,
                    format!(
                        "invalid parameter{at} for {} `{}`: {}",
                        definition.kind.as_str(),
                        definition.name.value,
                        error.masked()
                    ),
                )
                .with_label(
                    schema.node.as_ref().map_or(schema.span, |node| {
                        span_at(node, error.schema_path().as_str())
                    }),
                    format!("schema rule `{}`", error.schema_path()),
                )
                .with_help(format!(
                    "`oam explain {}` lists the parameters, their types and defaults",
                    definition.name.value
                )),
            );
        }
        compiled.fills.drop_ignored(value);
        diags.error_count() == before
    }
}

/// Where a schema's `default`s and `x-oam-ignored` properties are, found once a definition
/// instead of walking the whole schema at every use: only the properties that have one, or
/// have one below them.
#[derive(Debug, Default)]
struct Fills {
    properties: Vec<Fill>,
    /// The items of a list, where the schema's `items` has any.
    items: Option<Box<Fills>>,
    /// Some property here or below is `x-oam-ignored`: `drop_ignored` has work to do.
    ignores: bool,
}

#[derive(Debug)]
struct Fill {
    key: String,
    default: Option<Value>,
    ignored: bool,
    below: Fills,
}

impl Fills {
    /// Recursion follows the schema, whose depth the loader bounds.
    fn of(schema: &Value) -> Fills {
        let properties: Vec<Fill> = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(key, property)| Fill {
                key: key.clone(),
                default: property.get("default").cloned(),
                ignored: property.get("x-oam-ignored").is_some(),
                below: Fills::of(property),
            })
            .filter(|fill| fill.default.is_some() || fill.ignored || !fill.below.is_empty())
            .collect();
        let items = schema
            .get("items")
            .filter(|items| items.is_object())
            .map(Fills::of)
            .filter(|fills| !fills.is_empty())
            .map(Box::new);
        let ignores = properties.iter().any(|f| f.ignored || f.below.ignores)
            || items.as_ref().is_some_and(|items| items.ignores);
        Fills {
            properties,
            items,
            ignores,
        }
    }

    fn is_empty(&self) -> bool {
        self.properties.is_empty() && self.items.is_none()
    }

    /// Fills in `default`s of absent properties, in objects and lists of objects, in the
    /// schema's order.
    fn apply_defaults(&self, value: &mut Value) {
        match value {
            Value::Object(entries) => {
                for fill in &self.properties {
                    match lookup_mut(entries, &fill.key) {
                        Some(item) => fill.below.apply_defaults(item),
                        None => {
                            if let Some(default) = &fill.default {
                                let mut default = default.clone();
                                fill.below.apply_defaults(&mut default);
                                entries.insert(fill.key.clone(), default);
                            }
                        }
                    }
                }
            }
            Value::Array(items) => {
                if let Some(fills) = &self.items {
                    for item in items {
                        fills.apply_defaults(item);
                    }
                }
            }
            _ => {}
        }
    }

    /// Removes the properties the definition declares and does not render (`x-oam-ignored`,
    /// warned about by `undeclared`, at the same places: in objects and in lists of objects),
    /// so that its template never sees them. The others keep their order.
    fn drop_ignored(&self, value: &mut Value) {
        if !self.ignores {
            return;
        }
        match value {
            Value::Object(entries) => {
                for fill in &self.properties {
                    if fill.ignored {
                        entries.shift_remove(&fill.key);
                    } else if let Some(item) = lookup_mut(entries, &fill.key) {
                        fill.below.drop_ignored(item);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(fills) = &self.items {
                    for item in items {
                        fills.drop_ignored(item);
                    }
                }
            }
            _ => {}
        }
    }
}

impl Schemas<'_> {
    /// Validates an object's `spec` as the parameters, writing the defaults back into it.
    pub(crate) fn apply_to_spec(
        &self,
        site: &Use<'_>,
        object: &mut Value,
        diags: &mut Diagnostics,
    ) -> bool {
        if site.definition.schema.is_none() {
            return true;
        }
        let Some(object) = object.as_object_mut() else {
            return true;
        };
        let spec = object
            .entry("spec")
            .or_insert_with(|| Value::Object(Map::new()));
        if spec.is_null() {
            *spec = Value::Object(Map::new());
        }
        self.apply(site, spec, diags)
    }
}

/// Properties the schema does not declare, where it does not allow others. Unlike JSON Schema's
/// default, an object schema that lists `properties` is closed unless it says otherwise: a typo
/// should fail loudly, not vanish.
/// A property the definition declares and does not render (`x-oam-ignored` says why): as the
/// definition it follows does, with a warning.
fn ignored_property(
    key: &str,
    property: &Value,
    source: Option<&Node>,
    site: &Use<'_>,
) -> Diagnostic {
    let why = property["x-oam-ignored"]
        .as_str()
        .unwrap_or("it is not rendered");
    Diagnostic::new(
        Code::IgnoredParameterValue,
        source.map_or(site.fallback, |node| node.span),
        format!(
            "{} `{}` does not render `{key}`: {why}",
            site.definition.kind.as_str(),
            site.definition.name.value
        ),
    )
    .with_help(match site.definition.kind {
        DefinitionKind::Component | DefinitionKind::Workload => "remove the property, or use a component type that renders it (webservice renders labels, annotations, args, limit, hostAliases and probes)".to_owned(),
        _ => format!("remove the property; `oam explain {}` lists what it reads", site.definition.name.value),
    })
}

fn undeclared(
    schema: &Value,
    value: &Value,
    source: Option<&Node>,
    site: &Use<'_>,
    diags: &mut Diagnostics,
) {
    match value {
        Value::Object(entries) => {
            let Some(properties) = field(schema, "properties").and_then(Value::as_object) else {
                return;
            };
            let open = field(schema, "patternProperties").is_some()
                || field(schema, "additionalProperties").is_some_and(|a| *a != Value::Bool(false));
            for (key, item) in entries {
                // Found only when needed: most values are scalars, and most have no problem.
                let item_source = || source.and_then(|s| s.get(key));
                match lookup(properties, key) {
                    Some(property) if field(property, "x-oam-ignored").is_some() => {
                        diags.push(ignored_property(key, property, item_source(), site));
                    }
                    Some(property) if item.is_object() || item.is_array() => {
                        undeclared(property, item, item_source(), site, diags);
                    }
                    Some(_) => {}
                    None if open => {}
                    None => diags.push(unknown_property(key, properties, source, site)),
                }
            }
        }
        Value::Array(items) => {
            let Some(item_schema) = field(schema, "items").filter(|i| i.is_object()) else {
                return;
            };
            for (i, item) in items.iter().enumerate() {
                if !(item.is_object() || item.is_array()) {
                    continue;
                }
                let item_source = source.and_then(|s| match &s.value {
                    NodeValue::List(nodes) => nodes.get(i),
                    _ => None,
                });
                undeclared(item_schema, item, item_source, site, diags);
            }
        }
        _ => {}
    }
}

fn unknown_property(
    key: &str,
    properties: &Map<String, Value>,
    source: Option<&Node>,
    site: &Use<'_>,
) -> Diagnostic {
    let span = source
        .and_then(|s| match &s.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| &*k.text == key)
                .map(|(k, _)| k.span),
            _ => None,
        })
        .unwrap_or(site.fallback);
    let definition = site.definition;
    let d = Diagnostic::new(
        Code::UnknownProperty,
        span,
        format!(
            "{} `{}` has no parameter `{key}`",
            definition.kind.as_str(),
            definition.name.value
        ),
    );
    let d = d.with_suggestion(
        key,
        properties.keys().map(String::as_str),
        "not in the schema",
    );
    let names: Vec<&str> = properties.keys().map(String::as_str).collect();
    d.with_help(format!("declared here: {}", names.join(", ")))
}

/// The span of the node at a JSON pointer, or of its nearest ancestor that was written.
/// The span of the value at a JSON pointer below `node` (the deepest node that exists).
pub(crate) fn span_at(node: &Node, pointer: &str) -> Span {
    let mut current = node;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match &current.value {
            NodeValue::Map(entries) => entries
                .iter()
                .find(|(k, _)| *k.text == *token)
                .map(|(_, v)| v),
            NodeValue::List(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        match next {
            Some(next) => current = next,
            None => break,
        }
    }
    current.span
}

/// `/ports/0/name` → `ports[0].name`, as users write paths.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.parse::<usize>().is_ok() {
            let _ = write!(out, "[{token}]");
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&token);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    /// Built-in schemas compile when a run first uses one (`Schemas::compile` skips them):
    /// this compiles every one, so a broken built-in fails here and never in a user's run.
    #[test]
    fn every_builtin_schema_compiles() {
        let (model, _) = crate::model::builtin_model();
        let mut compiled = 0;
        for definition in &model.definitions {
            if let Some(schema) = &definition.schema {
                let mut diags = crate::diag::Diagnostics::default();
                assert!(
                    super::compile(schema, &mut diags).is_some(),
                    "{}",
                    definition.name.value
                );
                compiled += 1;
            }
        }
        assert!(compiled > 20, "{compiled}");
    }

    use serde_json::json;

    use super::{Fills, dotted};

    /// Ignored properties go wherever `undeclared` warns of them: in objects, nested, and in
    /// the objects of lists.
    #[test]
    fn ignored_properties_are_dropped_in_objects_and_lists() {
        let ignored = json!({"type": "string", "x-oam-ignored": "not rendered"});
        let schema = json!({"type": "object", "properties": {
            "args": ignored,
            "image": {"type": "string"},
            "mounts": {"type": "array", "items": {"type": "object", "properties": {
                "name": {"type": "string"}, "subPath": ignored}}},
            "limit": {"type": "object", "properties": {"cpu": ignored, "memory": {"type": "string"}}}
        }});
        let mut value = json!({
            "args": "x", "image": "nginx",
            "mounts": [{"name": "a", "subPath": "s"}, {"name": "b"}],
            "limit": {"cpu": "1", "memory": "1Gi"}
        });
        Fills::of(&schema).drop_ignored(&mut value);
        // As text: the order of what stays is kept.
        assert_eq!(
            value.to_string(),
            json!({"image": "nginx", "mounts": [{"name": "a"}, {"name": "b"}], "limit": {"memory": "1Gi"}}).to_string()
        );
    }

    #[test]
    fn defaults_fill_absent_properties_recursively() {
        let schema = json!({
            "type": "object",
            "properties": {
                "replicas": {"type": "integer", "default": 1},
                "ports": {"type": "array", "items": {"type": "object", "properties": {
                    "protocol": {"type": "string", "default": "TCP"}}}},
                "probe": {"type": "object", "default": {}, "properties": {
                    "path": {"type": "string", "default": "/healthz"}}}
            }
        });
        let mut value = json!({"ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}]});
        Fills::of(&schema).apply_defaults(&mut value);
        assert_eq!(
            value.to_string(),
            json!({
                "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                "replicas": 1,
                "probe": {"path": "/healthz"}
            })
            .to_string()
        );
    }

    #[test]
    fn pointers_read_as_field_paths() {
        assert_eq!(dotted("/ports/0/name"), "ports[0].name");
        assert_eq!(
            dotted("/labels/app.kubernetes.io~1name"),
            "labels.app.kubernetes.io/name"
        );
        assert_eq!(dotted(""), "");
    }
}
