//! Object names become file names and cluster identities, so they are checked here, before
//! `emit` builds any path: DNS-1123 names and namespaces, alphanumeric kinds.

use std::collections::HashSet;

use serde_json::Value;

use super::Object;
use crate::check::{dns1123_label, dns1123_subdomain, path_segment, shorten};
use crate::diag::{Code, Diagnostic, Diagnostics};

pub(super) fn check(objects: &[Object], diags: &mut Diagnostics) {
    // Membership only: no iteration order of the set reaches the output.
    let mut seen: HashSet<(String, &str, &str, &str)> = HashSet::with_capacity(objects.len());
    for object in objects {
        let identity = (
            crate::model::GroupKind::of(text(&object.value, "/apiVersion"), "").group,
            text(&object.value, "/kind"),
            text(&object.value, "/metadata/namespace"),
            text(&object.value, "/metadata/name"),
        );
        let (kind_text, name_text) = (identity.1, identity.3);
        if !seen.insert(identity) {
            diags.push(
                Diagnostic::new(Code::DuplicateObject, object.span, format!("a second {kind_text} named `{name_text}` in the output"))
                    .with_help("two apps or components render the same object: give one of them another name or namespace"),
            );
        }
        let (kind, name) = (object.kind(), object.name());
        let problem = if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Some(format!(
                "kind `{kind}` is not a Kubernetes kind (letters and digits only)"
            ))
        } else if let Err(reason) = if object.passthrough {
            path_segment(name)
        } else {
            dns1123_subdomain(name)
        } {
            Some(format!(
                "{kind} name `{}` is not a valid name: {reason}",
                shorten(name)
            ))
        } else {
            object
                .value
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .and_then(|ns| {
                    dns1123_label(ns)
                        .err()
                        .map(|reason| format!("namespace `{}` is not valid: {reason}", shorten(ns)))
                })
        };
        if let Some(message) = problem {
            diags.push(
                Diagnostic::new(Code::InvalidName, object.span, message)
                    .with_help("Kubernetes names are lower-case letters, digits, `-` and `.`, start and end alphanumeric, at most 253 characters (namespaces: 63, no `.`)"),
            );
        }
    }
}

fn text<'v>(value: &'v Value, pointer: &str) -> &'v str {
    value.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}
