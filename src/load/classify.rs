//! Telling documents apart by `apiVersion` and `kind`: OAM objects of a known version, or any
//! other Kubernetes object. Dispatch is on `apiVersion`, never on `kind` alone, since
//! `ApplicationConfiguration` exists in two dialects with incompatible shapes.

use std::sync::Arc;

use super::yaml::{Node, NodeValue};
use crate::diag::{Code, Diagnostic, Diagnostics, Span};

/// The API group of every OAM kind.
pub(crate) const OAM_GROUP: &str = "core.oam.dev";

/// The OAM versions oam reads.
const OAM_VERSIONS: &[&str] = &["v1alpha1", "v1alpha2", "v1beta1"];

/// Where a document came from: the inputs, a `-d` definition directory, or the built-ins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Origin {
    Builtin,
    DefinitionDir,
    Input,
}

/// One object: a mapping with `apiVersion` and `kind`.
#[derive(Clone, Debug)]
pub(crate) struct Document {
    /// Shared: the built-in documents are parsed once and handed to every run.
    pub(crate) root: Arc<Node>,
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) origin: Origin,
    /// A `.cue` file (a definition in the `vela def` format), parsed; `root` is then empty.
    pub(crate) cue: Option<Arc<cue::File>>,
}

impl Document {
    /// The OAM version (`v1alpha2`) if this is an OAM object.
    pub(crate) fn oam_version(&self) -> Option<&str> {
        self.api_version.strip_prefix(OAM_GROUP)?.strip_prefix('/')
    }

    pub(crate) fn span(&self) -> Span {
        self.root.span
    }
}

/// Documents of one file (`text`), each a mapping with its type.
pub(crate) fn classify(
    nodes: Vec<Node>,
    text: &str,
    origin: Origin,
    diags: &mut Diagnostics,
) -> Vec<Document> {
    let mut documents = Vec::new();
    for root in nodes.into_iter().flat_map(list_items) {
        if !matches!(root.value, NodeValue::Map(_)) {
            diags.push(
                Diagnostic::new(
                    Code::DocumentNotObject,
                    root.span,
                    format!(
                        "a document must be a Kubernetes object, found {}",
                        root.type_name()
                    ),
                )
                .with_help(
                    "each YAML document holds one object with `apiVersion`, `kind` and `metadata`",
                ),
            );
            continue;
        }
        let api_version = type_meta(&root, "apiVersion", diags);
        let kind = type_meta(&root, "kind", diags);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            continue;
        };
        check_data_values(&root, text, diags);
        let document = Document {
            root: Arc::new(root),
            api_version,
            kind,
            origin,
            cue: None,
        };
        if let Some(version) = document.oam_version() {
            if !OAM_VERSIONS.contains(&version) {
                let node = document
                    .root
                    .get("apiVersion")
                    .map_or(document.span(), |n| n.span);
                diags.push(
                    Diagnostic::new(
                        Code::UnknownOamVersion,
                        node,
                        format!("oam does not read `{}` objects", document.api_version),
                    )
                    .with_label_text(format!("oam knows {}", known_versions()))
                    .with_help(version_help(&document.kind)),
                );
                continue;
            }
        }
        documents.push(document);
    }
    documents
}

/// E015 for every ConfigMap or Secret in `node` (the document, or an object nested in a
/// Component or a property) whose `data`, `stringData` or `binaryData` holds a value that is not
/// a string: the API server refuses it, and `1.10` has already become `1.1`.
fn check_data_values(node: &Node, text: &str, diags: &mut Diagnostics) {
    match &node.value {
        NodeValue::Map(entries) => {
            let is_v1 = node.get("apiVersion").and_then(Node::as_str) == Some("v1");
            let kind = node.get("kind").and_then(Node::as_str);
            if is_v1 && matches!(kind, Some("ConfigMap" | "Secret")) {
                for field in ["data", "stringData", "binaryData"] {
                    let Some(Node {
                        value: NodeValue::Map(values),
                        ..
                    }) = node.get(field)
                    else {
                        continue;
                    };
                    for (key, value) in values {
                        if matches!(value.value, NodeValue::String(_) | NodeValue::Null) {
                            continue;
                        }
                        let help = if matches!(value.value, NodeValue::List(_) | NodeValue::Map(_))
                        {
                            "write the value as one string (a block scalar `|` keeps several lines)"
                                .to_owned()
                        } else {
                            format!(
                                "quote the value as you mean it: `{}: \"{}\"`; the API server refuses other types, and an unquoted number may already have lost digits",
                                key.text,
                                &text[value.span.start as usize..value.span.end as usize]
                            )
                        };
                        diags.push(
                            Diagnostic::new(
                                Code::NonStringData,
                                value.span,
                                format!(
                                    "`{field}.{}` of a {} must be a string, found {}",
                                    key.text,
                                    kind.unwrap_or_default(),
                                    value.type_name()
                                ),
                            )
                            .with_label_text("not a string")
                            .with_help(help),
                        );
                    }
                }
            }
            for (_, value) in entries {
                check_data_values(value, text, diags);
            }
        }
        NodeValue::List(items) => {
            for item in items {
                check_data_values(item, text, diags);
            }
        }
        _ => {}
    }
}

/// A `v1/List` (what `kubectl get -o yaml` writes) stands for its items.
fn list_items(root: Node) -> Vec<Node> {
    let is_list = root.get("apiVersion").and_then(Node::as_str) == Some("v1")
        && root.get("kind").and_then(Node::as_str) == Some("List");
    match root.get("items") {
        Some(Node {
            value: NodeValue::List(items),
            ..
        }) if is_list => items.to_vec(),
        _ => vec![root],
    }
}

/// The OAM versions that have `kind`, as `apiVersion` values to write.
fn version_help(kind: &str) -> String {
    const KINDS: &[(&str, &[&str])] = &[
        (
            "v1alpha1",
            &[
                "ComponentSchematic",
                "ApplicationConfiguration",
                "Trait",
                "WorkloadType",
                "ApplicationScope",
                "HealthScope",
            ],
        ),
        (
            "v1alpha2",
            &[
                "Component",
                "ApplicationConfiguration",
                "WorkloadDefinition",
                "TraitDefinition",
                "ScopeDefinition",
                "HealthScope",
                "ContainerizedWorkload",
                "ManualScalerTrait",
            ],
        ),
        (
            "v1beta1",
            &[
                "Application",
                "ComponentDefinition",
                "TraitDefinition",
                "WorkloadDefinition",
                "ScopeDefinition",
                "PolicyDefinition",
                "WorkflowStepDefinition",
            ],
        ),
    ];
    let versions: Vec<String> = KINDS
        .iter()
        .filter(|(_, kinds)| kinds.contains(&kind))
        .map(|(version, _)| format!("`{OAM_GROUP}/{version}`"))
        .collect();
    if versions.is_empty() {
        format!(
            "no OAM version oam reads has the kind `{kind}`; OAM objects are {}",
            known_versions()
        )
    } else {
        format!("write `apiVersion:` {} for a {kind}", versions.join(" or "))
    }
}

fn known_versions() -> String {
    OAM_VERSIONS
        .iter()
        .map(|v| format!("`{OAM_GROUP}/{v}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_meta(root: &Node, field: &str, diags: &mut Diagnostics) -> Option<String> {
    if let Some(node) = root.get(field) {
        match node.as_str() {
            Some(text) if !text.is_empty() => Some(text.to_owned()),
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::WrongType,
                        node.span,
                        format!("`{field}` must be a non-empty string"),
                    )
                    .with_label_text(format!("found {}", node.type_name())),
                );
                None
            }
        }
    } else {
        let span = Span::new(root.span.file, root.span.start, root.span.start);
        diags.push(
            Diagnostic::new(
                Code::MissingTypeMeta,
                span,
                format!("this object has no `{field}`"),
            )
            .with_label_text("object starts here")
            .with_help(format!(
                "add `{field}:`, e.g. `apiVersion: core.oam.dev/v1alpha2` and `kind: Component`"
            )),
        );
        None
    }
}
