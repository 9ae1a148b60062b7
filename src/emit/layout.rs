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
    // An app's objects come together: its folder is looked up once a run of them.
    let mut last: Option<(&str, usize)> = None;
    for (index, object) in objects.iter().enumerate() {
        let app = object.app().unwrap_or("");
        let slot = match last {
            Some((seen, slot)) if std::ptr::eq(seen, app) => slot,
            _ => {
                let folder = folders.get(app).map_or("", String::as_str);
                let slot = *index_of_folder.entry(folder).or_insert_with(|| {
                    listed.push((folder, Vec::new()));
                    listed.len() - 1
                });
                last = Some((app, slot));
                slot
            }
        };
        listed[slot].1.push(index);
    }
    // A root file may not take a folder's name; an app folder's files only clash among
    // themselves, so the folders are named on every core.
    let root_reserved = reserved_names(
        folders
            .values()
            .map(String::as_str)
            .chain([KUSTOMIZATION, MARKER]),
    );
    let folder_reserved = reserved_names([KUSTOMIZATION, MARKER].into_iter());
    let named = crate::parallel::map(&listed, crate::parallel::threads(), |(folder, members)| {
        let reserved = if folder.is_empty() {
            &root_reserved
        } else {
            &folder_reserved
        };
        let names = file_names(objects, members, reserved);
        let heads = headers(objects, members, sources);
        let prefix = if folder.is_empty() {
            String::new()
        } else {
            format!("{folder}/")
        };
        let mut entries: Vec<(String, FileText<'a>)> = members
            .iter()
            .zip(&names)
            .zip(heads)
            .map(|((&index, name), head)| {
                let text = FileText {
                    head,
                    body: Cow::Borrowed(objects[index].yaml.as_str()),
                };
                (format!("{prefix}{name}"), text)
            })
            .collect();
        if !folder.is_empty() {
            entries.push((
                format!("{prefix}{KUSTOMIZATION}"),
                owned(kustomization(&names)),
            ));
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        (entries, names)
    });
    let mut root_resources: Vec<String> = app_order
        .iter()
        .filter_map(|a| folders.get(a.as_str()))
        .filter(|f| index_of_folder.contains_key(f.as_str()))
        .cloned()
        .collect();
    // The folders in the order of their paths (`a/` after `a-b/`), each folder's files sorted,
    // the root's last: the map's bulk build then sorts the entries in about one pass. Paths
    // are unique (the names are injective).
    let mut named: Vec<_> = listed
        .iter()
        .zip(named)
        .map(|((folder, _), (files, names))| (*folder, files, names))
        .collect();
    named.sort_by(|a, b| match (a.0.is_empty(), b.0.is_empty()) {
        (false, false) => a.0.bytes().chain([b'/']).cmp(b.0.bytes().chain([b'/'])),
        (root_a, root_b) => root_a.cmp(&root_b),
    });
    let mut entries = Vec::with_capacity(objects.len() + listed.len() + 1);
    for (folder, files, names) in named {
        entries.extend(files);
        if folder.is_empty() {
            root_resources.extend(names);
        }
    }
    entries.push((
        KUSTOMIZATION.to_owned(),
        owned(kustomization(&root_resources)),
    ));
    entries.into_iter().collect()
}

/// The headers of the objects `members` of one folder: made once per list of source files (a
/// component's objects come together and share theirs); empty without `sources`.
fn headers(objects: &[Object], members: &[usize], sources: Option<&Sources>) -> Vec<Arc<str>> {
    let empty: Arc<str> = Arc::from("");
    let Some(sources) = sources else {
        return vec![empty; members.len()];
    };
    let mut last: Option<(*const [FileId], Arc<str>)> = None;
    members
        .iter()
        .map(|&index| {
            let files = &objects[index].placement.sources;
            let key = Arc::as_ptr(files);
            match &last {
                Some((seen, head)) if std::ptr::eq(*seen, key) => Arc::clone(head),
                _ => {
                    let head: Arc<str> = Arc::from(header(files, sources));
                    last = Some((key, Arc::clone(&head)));
                    head
                }
            }
        })
        .collect()
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
fn folder_names<'a>(objects: &'a [Object], app_order: &'a [String]) -> HashMap<&'a str, String> {
    let mut apps: Vec<&str> = app_order.iter().map(String::as_str).collect();
    let mut known: HashSet<&str> = apps.iter().copied().collect();
    // An app's objects come together: its name is looked up once a run of them.
    let mut last: Option<&str> = None;
    for app in objects.iter().filter_map(|o| o.app()) {
        if last.is_some_and(|seen| std::ptr::eq(seen, app)) {
            continue;
        }
        last = Some(app);
        if known.insert(app) {
            apps.push(app);
        }
    }
    let reserved = reserved_names([KUSTOMIZATION, MARKER].into_iter());
    let plains: Vec<String> = apps.iter().map(|a| (*a).to_owned()).collect();
    let names = unique_names(plains, |i| format!("app\0{}", apps[i]), "", &reserved);
    apps.into_iter().zip(names).collect()
}

/// Names nothing may be given, ignoring case: folded and sorted for a binary search.
fn reserved_names<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut folded: Vec<String> = names.map(|n| folded(n).into_owned()).collect();
    folded.sort_unstable();
    folded.dedup();
    folded
}

/// File names for the objects `members` of one folder.
fn file_names(objects: &[Object], members: &[usize], reserved: &[String]) -> Vec<String> {
    let suffix = ".yaml";
    let full: Vec<String> = members
        .iter()
        .map(|&i| {
            let object = &objects[i];
            let (kind, name) = (object.kind(), object.name());
            let mut plain = String::with_capacity(kind.len() + 1 + name.len() + suffix.len());
            plain.push_str(kind);
            plain.make_ascii_lowercase();
            plain.push('-');
            plain.push_str(name);
            plain.push_str(suffix);
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
    unique_names(full, identity, suffix, reserved)
}

/// One name per entry of `full` (a plain name and `suffix`): kept where the plain name is safe,
/// unshared and not `reserved`, else the plain name cut short and sanitised, with a hash of its
/// `identity`. No two results (nor a result and a `reserved` name) are equal ignoring case.
fn unique_names(
    full: Vec<String>,
    identity: impl Fn(usize) -> String,
    suffix: &str,
    reserved: &[String],
) -> Vec<String> {
    let plain = |i: usize| &full[i][..full[i].len() - suffix.len()];
    let taken = |folded: &str| {
        reserved
            .binary_search_by(|r| r.as_str().cmp(folded))
            .is_ok()
    };
    let folded_names: Vec<Cow<'_, str>> = full.iter().map(|n| folded(n)).collect();
    let shared = shared(&folded_names);
    let keep: Vec<bool> = (0..full.len())
        .map(|i| is_plain(plain(i)) && !shared[i] && !taken(&folded_names[i]))
        .collect();
    // Kept names are unique and free by construction; hashed ones (ASCII lower case, their own
    // folding) are checked against them and each other, and get more digits if two meet.
    if keep.iter().all(|k| *k) {
        drop(folded_names);
        return full;
    }
    let mut digits = HASH_DIGITS;
    let hashed_names: Vec<Option<String>> = loop {
        let names: Vec<Option<String>> = (0..full.len())
            .map(|i| (!keep[i]).then(|| hashed(plain(i), &identity(i), digits, suffix)))
            .collect();
        let mut all: Vec<&str> = names
            .iter()
            .zip(&folded_names)
            .map(|(hashed, folded)| hashed.as_deref().unwrap_or(folded))
            .collect();
        let free = names.iter().flatten().all(|n| !taken(n));
        all.sort_unstable();
        let unique = all.windows(2).all(|pair| pair[0] != pair[1]);
        if (free && unique) || digits >= 64 {
            break names;
        }
        digits += 6;
    };
    drop(folded_names);
    full.into_iter()
        .zip(hashed_names)
        .map(|(name, hashed)| hashed.unwrap_or(name))
        .collect()
}

/// Whether each name equals another in `names`.
fn shared(names: &[Cow<'_, str>]) -> Vec<bool> {
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_unstable_by(|&a, &b| names[a].cmp(&names[b]));
    let mut shared = vec![false; names.len()];
    for pair in order.windows(2) {
        if names[pair[0]] == names[pair[1]] {
            shared[pair[0]] = true;
            shared[pair[1]] = true;
        }
    }
    shared
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
        Object::new(value, placement, crate::render::Keep::Nothing)
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
