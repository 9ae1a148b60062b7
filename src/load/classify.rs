//! Telling documents apart by `apiVersion` and `kind`: OAM objects of a known version, or any
//! other Kubernetes object. Dispatch is on `apiVersion`, never on `kind` alone, since
//! `ApplicationConfiguration` exists in two dialects with incompatible shapes.

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
    pub(crate) root: Node,
    pub(crate) api_version: String,
    pub(crate) kind: String,
    pub(crate) origin: Origin,
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

pub(crate) fn classify(nodes: Vec<Node>, origin: Origin, diags: &mut Diagnostics) -> Vec<Document> {
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
        let document = Document {
            root,
            api_version,
            kind,
            origin,
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
                    .with_help(format!(
                        "write this {} as {}",
                        document.kind,
                        known_versions()
                    )),
                );
                continue;
            }
        }
        documents.push(document);
    }
    documents
}

/// A `v1/List` (what `kubectl get -o yaml` writes) stands for its items.
fn list_items(root: Node) -> Vec<Node> {
    let is_list = root.get("apiVersion").and_then(Node::as_str) == Some("v1")
        && root.get("kind").and_then(Node::as_str) == Some("List");
    match root.get("items") {
        Some(Node {
            value: NodeValue::List(items),
            ..
        }) if is_list => items.clone(),
        _ => vec![root],
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
