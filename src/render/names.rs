//! Object names become file names and cluster identities, so they are checked here, before
//! `emit` builds any path: DNS-1123 names and namespaces, alphanumeric kinds.

use std::collections::HashSet;

use serde_json::Value;

use super::Object;
use crate::diag::{Code, Diagnostic, Diagnostics};

pub(super) fn check(objects: &[Object], diags: &mut Diagnostics) {
    // Membership only: no iteration order of the set reaches the output.
    let mut seen: HashSet<(String, &str, &str, &str)> = HashSet::with_capacity(objects.len());
    for object in objects {
        if let Some(app) = &object.app {
            if let Err(reason) = dns1123_subdomain(app) {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidName,
                        object.span,
                        format!(
                            "app name `{}` cannot name a directory: {reason}",
                            shorten(app)
                        ),
                    )
                    .with_help("rename the ApplicationConfiguration to a DNS-1123 name"),
                );
                continue;
            }
        }
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

fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// Kubernetes' minimum for any object name (RBAC kinds allow `:`): it must be usable as one
/// path segment, so never `.`, `..`, or anything with `/`.
fn path_segment(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_owned());
    }
    if name == "."
        || name == ".."
        || name.contains(['/', '%', '\\'])
        || name.chars().any(char::is_control)
    {
        return Err(
            "it cannot be a path segment (`.`, `..`, `/`, `%`, `\\` or control characters)"
                .to_owned(),
        );
    }
    if name.len() > 253 {
        return Err(format!(
            "it is {} characters long, more than 253",
            name.len()
        ));
    }
    Ok(())
}

/// RFC 1123 subdomain, as Kubernetes checks object names.
pub(crate) fn dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("it is empty".to_owned());
    }
    if name.len() > 253 {
        return Err(format!(
            "it is {} characters long, more than 253",
            name.len()
        ));
    }
    name.split('.').try_for_each(|part| label_chars(part, name))
}

/// RFC 1123 label, as Kubernetes checks namespaces.
pub(crate) fn dns1123_label(name: &str) -> Result<(), String> {
    if name.len() > 63 {
        return Err(format!(
            "it is {} characters long, more than 63",
            name.len()
        ));
    }
    label_chars(name, name)
}

fn label_chars(part: &str, whole: &str) -> Result<(), String> {
    let valid = !part.is_empty()
        && part
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !part.starts_with('-')
        && !part.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` must be lower-case alphanumerics and `-`, starting and ending alphanumeric",
            shorten(whole)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{dns1123_label, dns1123_subdomain};

    #[test]
    fn names_are_dns1123() {
        assert!(dns1123_subdomain("example-app.v1").is_ok());
        for bad in [
            "",
            "../x",
            "A_B",
            "-a",
            "a-",
            "a..b",
            "a/b",
            &"x".repeat(300),
        ] {
            assert!(dns1123_subdomain(bad).is_err(), "{bad}");
        }
        assert!(dns1123_label("prod").is_ok());
        assert!(dns1123_label("a.b").is_err());
    }
}
