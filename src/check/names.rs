//! Names that become object names, folder names and cluster identities: apps and components
//! are checked here, at their spans, all at once, before anything renders; rendered objects get
//! the same rules in `render` (their names may come from templates).

use crate::diag::{Code, Diagnostic, Diagnostics, Span};
use crate::model::{App, Component, ComponentRef, Model, metadata_field};

/// E013 for every app, and every component written inside one, whose name is not a DNS-1123
/// subdomain.
pub(crate) fn check_apps(apps: &[App], diags: &mut Diagnostics) {
    for app in apps {
        if let Err(reason) = dns1123_subdomain(&app.name.value) {
            diags.push(
                Diagnostic::new(
                    Code::InvalidName,
                    app.name.span,
                    format!(
                        "{} name `{}` is not a valid name: {reason}",
                        app.kind,
                        shorten(&app.name.value)
                    ),
                )
                .with_help(format!(
                    "rename the {}: its name names its folder under -o and labels every object",
                    app.kind
                )),
            );
        }
    }
    let inline = apps
        .iter()
        .flat_map(|app| &app.components)
        .filter_map(|entry| match &entry.component {
            ComponentRef::Inline(component) => Some(component.as_ref()),
            _ => None,
        });
    for component in inline {
        check_component(component, diags);
    }
}

/// E013 for every Component and pass-through object of the inputs whose name is not valid.
pub(crate) fn check_components(model: &Model, diags: &mut Diagnostics) {
    let components = model
        .components
        .iter()
        .filter(|c| c.stored_revision.is_none());
    for component in components {
        check_component(component, diags);
    }
    // Passed-through objects follow Kubernetes' looser rule for some kinds (RBAC's `:`).
    for raw in &model.raw {
        let name = metadata_field(&raw.object, "name").and_then(serde_json::Value::as_str);
        if let Some(Err(reason)) = name.map(path_segment) {
            diags.push(invalid(
                "object",
                name.unwrap_or_default(),
                raw.span,
                &reason,
            ));
        }
    }
}

fn check_component(component: &Component, diags: &mut Diagnostics) {
    if let Err(reason) = dns1123_subdomain(&component.name.value) {
        diags.push(invalid(
            "component",
            &component.name.value,
            component.name.span,
            &reason,
        ));
    }
    // A workload that names itself keeps that name.
    let own = component
        .workload_node
        .get("metadata")
        .and_then(|m| m.get("name"));
    if let Some((name, span)) = own.and_then(|n| n.as_str().map(|text| (text, n.span))) {
        if let Err(reason) = dns1123_subdomain(name) {
            diags.push(invalid("workload", name, span, &reason));
        }
    }
}

fn invalid(what: &str, name: &str, span: Span, reason: &str) -> Diagnostic {
    Diagnostic::new(Code::InvalidName, span, format!("{what} name `{}` is not a valid name: {reason}", shorten(name)))
        .with_help("Kubernetes names are lower-case letters, digits, `-` and `.`, start and end alphanumeric, at most 253 characters")
}

/// Kubernetes' minimum for any object name (RBAC kinds allow `:`): it must be usable as one
/// path segment, so never `.`, `..`, or anything with `/`.
pub(crate) fn path_segment(name: &str) -> Result<(), String> {
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

/// A name as shown in a message: cut after 40 characters.
pub(crate) fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.to_owned()
    }
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
