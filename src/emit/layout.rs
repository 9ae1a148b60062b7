//! The files of a directory for Git: `<app>/<kind>-<name>.yaml`, a `kustomization.yaml` per app
//! and one at the root; objects that belong to no app sit at the root.
//!
//! The mapping from objects to paths is injective on every file system users check out on,
//! including case-insensitive, Unicode-normalising ones (macOS, Windows): a plain name is ASCII
//! lower case, and any object whose plain name is not that, is too long, or is shared with
//! another object (the same name in two namespaces, `Widget` and `WIDGET` of two groups) is
//! named with a hash of its full identity instead. The names depend only on the set of objects,
//! so they are stable across runs.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::diag::printable;
use crate::load::{FileId, Sources};
use crate::render::Object;

use super::MARKER;

/// The kustomization file oam writes at the root and in every app folder.
const KUSTOMIZATION: &str = "kustomization.yaml";
/// Longest plain file or folder name (before `.yaml`); file systems allow 255 bytes, and a
/// checkout nests several folders deep.
const MAX_PLAIN: usize = 100;
/// Hex digits of the identity hash in a hashed name; more if two hashed names meet.
const HASH_DIGITS: usize = 10;

/// A file of the tree: a header, then the body (an object's YAML, borrowed from the render,
/// so laying out the tree copies no object). The objects of one component share a header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FileText<'a> {
    pub(crate) head: Arc<str>,
    pub(crate) body: Cow<'a, str>,
}

impl FileText<'_> {
    pub(crate) fn joined(&self) -> String {
        let mut text = String::with_capacity(self.head.len() + self.body.len());
        text.push_str(&self.head);
        text.push_str(&self.body);
        text
    }
}

/// The files of a tree, relative path → content, in path order.
pub(crate) type Tree<'a> = BTreeMap<String, FileText<'a>>;

/// The files of the tree, relative path → content, in a stable order. With `sources`, each
/// object's file opens with a comment naming the files it was rendered from.
pub(crate) fn layout<'a>(
    objects: &'a [Object],
    app_order: &[String],
    sources: Option<&Sources>,
) -> Tree<'a> {
    let folders = folder_names(objects, app_order);
    // Object files per folder ("" is the root), in document order.
    let mut listed: Vec<(&str, Vec<usize>)> = Vec::new();
    let mut index_of_folder: HashMap<&str, usize> = HashMap::new();
    for (index, object) in objects.iter().enumerate() {
        let folder = object
            .app()
            .and_then(|a| folders.get(a))
            .map_or("", String::as_str);
        let slot = *index_of_folder.entry(folder).or_insert_with(|| {
            listed.push((folder, Vec::new()));
            listed.len() - 1
        });
        listed[slot].1.push(index);
    }
    // Each object's file: its header and its YAML, written when it was rendered. A header
    // is made once per list of source files (a component's objects share theirs).
    let mut headers: HashMap<*const [FileId], Arc<str>> = HashMap::new();
    let empty: Arc<str> = Arc::from("");
    let mut texts: Vec<Option<FileText<'a>>> = objects
        .iter()
        .map(|object| {
            let head = match sources {
                None => Arc::clone(&empty),
                Some(sources) => {
                    let files = &object.placement.sources;
                    Arc::clone(
                        headers
                            .entry(Arc::as_ptr(files))
                            .or_insert_with(|| Arc::from(header(files, sources))),
                    )
                }
            };
            Some(FileText {
                head,
                body: Cow::Borrowed(object.yaml.as_str()),
            })
        })
        .collect();
    let mut files = BTreeMap::new();
    let mut root_resources: Vec<String> = app_order
        .iter()
        .filter_map(|a| folders.get(a))
        .filter(|f| index_of_folder.contains_key(f.as_str()))
        .cloned()
        .collect();
    for (folder, members) in &listed {
        let reserved: Vec<&str> = if folder.is_empty() {
            folders.values().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        let names = file_names(objects, members, &reserved);
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        for (&index, name) in members.iter().zip(&names) {
            if let Some(text) = texts[index].take() {
                files.insert(format!("{prefix}{name}"), text);
            }
        }
        if folder.is_empty() {
            root_resources.extend(names);
        } else {
            files.insert(
                format!("{prefix}{KUSTOMIZATION}"),
                owned(kustomization(&names)),
            );
        }
    }
    files.insert(
        KUSTOMIZATION.to_owned(),
        owned(kustomization(&root_resources)),
    );
    files
}

fn owned(text: String) -> FileText<'static> {
    FileText {
        head: Arc::from(""),
        body: Cow::Owned(text),
    }
}

/// The comment at the top of a file: the sources it was rendered from. File names were checked
/// when read (E009) and are escaped again here, so no name can end the comment line.
fn header(files: &[FileId], sources: &Sources) -> String {
    let names: Vec<Cow<'_, str>> = files
        .iter()
        .map(|f| printable(&sources.get(*f).name))
        .collect();
    format!(
        "# Rendered by oam from: {} (edit the sources, not this file)\n",
        names.join(", ")
    )
}

/// A folder name per app that has objects: the app's name when plain, else hashed.
fn folder_names(objects: &[Object], app_order: &[String]) -> HashMap<String, String> {
    let mut apps: Vec<&str> = app_order.iter().map(String::as_str).collect();
    let mut known: HashSet<&str> = apps.iter().copied().collect();
    for app in objects.iter().filter_map(Object::app) {
        if known.insert(app) {
            apps.push(app);
        }
    }
    let plains: Vec<String> = apps.iter().map(|a| (*a).to_owned()).collect();
    let reserved = [KUSTOMIZATION, MARKER];
    let names = unique_names(&plains, |i| format!("app\0{}", apps[i]), "", &reserved);
    plains.into_iter().zip(names).collect()
}

/// File names for the objects `members` of one folder.
fn file_names(objects: &[Object], members: &[usize], reserved: &[&str]) -> Vec<String> {
    let plains: Vec<String> = members
        .iter()
        .map(|&i| {
            let object = &objects[i];
            let mut plain = object.kind().to_ascii_lowercase();
            plain.push('-');
            plain.push_str(object.name());
            plain
        })
        .collect();
    let identity = |i: usize| {
        let object = &objects[members[i]];
        format!(
            "{}\0{}\0{}\0{}",
            object.group(),
            object.kind(),
            object.namespace(),
            object.name()
        )
    };
    let mut reserved: Vec<&str> = reserved.to_vec();
    reserved.extend([KUSTOMIZATION, MARKER]);
    unique_names(&plains, identity, ".yaml", &reserved)
}

/// One name per plain name: the plain name where it is safe and unshared, else the plain name
/// cut short and sanitised, with a hash of its `identity`. No two results (nor a result and a
/// `reserved` name) are equal ignoring case.
fn unique_names(
    plains: &[String],
    identity: impl Fn(usize) -> String,
    suffix: &str,
    reserved: &[&str],
) -> Vec<String> {
    let full: Vec<String> = plains.iter().map(|p| format!("{p}{suffix}")).collect();
    let mut uses: HashMap<Cow<'_, str>, usize> = HashMap::with_capacity(full.len());
    for name in &full {
        *uses.entry(folded(name)).or_default() += 1;
    }
    let reserved: HashSet<String> = reserved.iter().map(|r| r.to_lowercase()).collect();
    let taken = |name: &str| reserved.contains(folded(name).as_ref());
    let mut digits = HASH_DIGITS;
    loop {
        let names: Vec<String> = full
            .iter()
            .zip(plains)
            .enumerate()
            .map(|(i, (name, plain))| {
                let shared = uses.get(folded(name).as_ref()).copied().unwrap_or(0) > 1;
                if is_plain(plain) && !shared && !taken(name) {
                    name.clone()
                } else {
                    hashed(plain, &identity(i), digits, suffix)
                }
            })
            .collect();
        let unique = {
            let mut seen = HashSet::with_capacity(names.len());
            names.iter().all(|n| seen.insert(folded(n)) && !taken(n))
        };
        if unique || digits >= 64 {
            return names;
        }
        digits += 6;
    }
}

/// `name` ignoring case, as case-insensitive file systems compare names; borrowed when it has
/// no upper case (every plain name).
fn folded(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// ASCII lower-case letters, digits, `-` and `.`, not too long: the same file on every system.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_PLAIN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !name.starts_with('.')
}

/// `<sanitised plain name, cut short>-<hash of the identity>`.
fn hashed(plain: &str, identity: &str, digits: usize, suffix: &str) -> String {
    let mut stem: String = plain
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(MAX_PLAIN - 40)
        .collect();
    stem = stem.trim_matches('-').to_owned();
    let digest = Sha256::digest(identity.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    format!("{stem}-{}{suffix}", &hex[..digits.min(64)])
}

fn kustomization(resources: &[String]) -> String {
    let mut text = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for resource in resources {
        text.push_str("  - ");
        text.push_str(resource);
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::layout;
    use crate::diag::Span;
    use crate::load::FileId;
    use crate::render::{Object, Placement};

    fn object(
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
        app: Option<&str>,
    ) -> Object {
        let mut metadata = json!({"name": name});
        if !namespace.is_empty() {
            metadata["namespace"] = json!(namespace);
        }
        let placement = Placement {
            app: app.map(std::sync::Arc::from),
            span: Span::new(FileId(0), 0, 0),
            passthrough: true,
            depth: 0,
            sources: std::sync::Arc::from([]),
        };
        let value = json!({"apiVersion": api_version, "kind": kind, "metadata": metadata});
        Object::new(value, placement, false)
    }

    /// Every object gets a file of its own, on a file system that ignores case and normalises
    /// Unicode, and the names are the same for the same objects in any order.
    #[test]
    fn object_to_file_mapping_is_injective_and_stable() {
        let long = "a".repeat(253);
        let objects = vec![
            object("v1", "Service", "", "b-x", None),
            object("v1", "Service", "a", "x", None),
            object("v1", "Service", "b", "x", None),
            object("example.com/v1", "Widget", "", "w", None),
            object("other.io/v1", "WIDGET", "", "w", None),
            object("v1", "ConfigMap", "", "Admin", None),
            object("v1", "ConfigMap", "", "admin", None),
            object("v1", "ConfigMap", "", "caf\u{e9}", None),
            object("v1", "ConfigMap", "", "cafe\u{301}", None),
            object("v1", "ConfigMap", "", &long, None),
            object("v1", "ConfigMap", "", "plain", Some("kustomization.yaml")),
            object("v1", "ConfigMap", "", "x", Some("shop")),
            object("v1", "ConfigMap", "", "x", Some("Shop")),
        ];
        let apps = [
            "kustomization.yaml".to_owned(),
            "shop".to_owned(),
            "Shop".to_owned(),
        ];
        let files = layout(&objects, &apps, None);
        // The exact names: users commit them, so they change only on purpose.
        assert_eq!(
            files.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "configmap-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-18824eaee2.yaml",
                "configmap-admin-4bc0b2df43.yaml",
                "configmap-admin-a326941cde.yaml",
                "configmap-caf-7ee08a2a93.yaml",
                "configmap-cafe-de80c26866.yaml",
                "kustomization-yaml-a0cdd8b011/configmap-plain.yaml",
                "kustomization-yaml-a0cdd8b011/kustomization.yaml",
                "kustomization.yaml",
                "service-b-x.yaml",
                "service-x-9ee2ef75d2.yaml",
                "service-x-a907e7e4ee.yaml",
                "shop-21ead5c066/configmap-x.yaml",
                "shop-21ead5c066/kustomization.yaml",
                "shop-2a18134c3d/configmap-x.yaml",
                "shop-2a18134c3d/kustomization.yaml",
                "widget-w-c582e3e3e3.yaml",
                "widget-w-cd25b9dd73.yaml",
            ]
        );
        let objects_files: Vec<&String> = files
            .keys()
            .filter(|k| !k.ends_with("kustomization.yaml"))
            .collect();
        assert_eq!(objects_files.len(), objects.len(), "{files:#?}");
        let mut folded = HashSet::new();
        for path in files.keys() {
            assert!(path.split('/').all(|part| part.len() <= 120), "{path}");
            assert!(path.is_ascii(), "{path}");
            assert!(folded.insert(path.to_lowercase()), "{path} collides");
        }
        assert!(files.contains_key("service-b-x.yaml"));
        assert!(
            files.keys().any(|k| k.starts_with("kustomization-yaml-")),
            "{files:#?}"
        );
        let mut reversed = objects.clone();
        reversed.reverse();
        let again = layout(&reversed, &apps, None);
        assert_eq!(
            files
                .keys()
                .filter(|k| !k.ends_with("kustomization.yaml"))
                .collect::<HashSet<_>>(),
            again
                .keys()
                .filter(|k| !k.ends_with("kustomization.yaml"))
                .collect::<HashSet<_>>()
        );
    }
}
