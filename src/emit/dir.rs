//! A directory for Git: `<app>/<kind>-<name>.yaml`, a `kustomization.yaml` per app and one at the
//! root; objects that belong to no app sit at the root. The tree is built in a temporary sibling
//! and renamed into place, so a failed run leaves the old directory as it was. Files oam did not
//! write are kept; the marker `.oam-rendered` lists what oam wrote, so stale files are pruned.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::diag::{Code, Diagnostic, printable};
use crate::load::Sources;
use crate::render::Object;
use crate::yaml_writer::to_yaml;

pub(crate) const MARKER: &str = ".oam-rendered";

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DirOptions {
    /// Write into a non-empty directory that oam did not write before.
    pub(crate) force: bool,
}

/// The files of the tree, relative path → content, in a stable order. With `sources`, each
/// object's file opens with a comment naming the files it was rendered from.
pub(crate) fn layout(
    objects: &[Object],
    app_order: &[String],
    sources: Option<&Sources>,
) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    // Document order per folder, for the kustomization listings.
    let mut listed: Vec<(Option<&str>, Vec<String>)> = Vec::new();
    for object in objects {
        let kind = object.kind().to_ascii_lowercase();
        let (name, namespace) = (object.name(), object.namespace());
        let folder = object.app.as_deref();
        let prefix = folder.map(|a| format!("{a}/")).unwrap_or_default();
        let mut file = format!("{kind}-{name}.yaml");
        if files.contains_key(&format!("{prefix}{file}")) {
            // Same kind and name in two namespaces: the namespace goes into the file name.
            file = format!(
                "{kind}-{}-{name}.yaml",
                if namespace.is_empty() {
                    "default"
                } else {
                    namespace
                }
            );
        }
        let header = sources.map_or_else(String::new, |sources| {
            // Names are checked when read (E009); escaped again here, so no name can end the
            // comment line whatever the caller passes.
            let names: Vec<Cow<'_, str>> = object
                .sources
                .iter()
                .map(|f| printable(&sources.get(*f).name))
                .collect();
            format!(
                "# Rendered by oam from: {} (edit the sources, not this file)\n",
                names.join(", ")
            )
        });
        files.insert(format!("{prefix}{file}"), header + &to_yaml(&object.value));
        match listed.iter_mut().find(|(f, _)| *f == folder) {
            Some((_, names)) => names.push(file),
            None => listed.push((folder, vec![file])),
        }
    }
    let mut root_resources: Vec<String> = app_order
        .iter()
        .filter(|a| listed.iter().any(|(f, _)| *f == Some(a.as_str())))
        .map(|a| format!("{a}/"))
        .collect();
    for (folder, names) in &listed {
        match folder {
            Some(app) => {
                files.insert(format!("{app}/kustomization.yaml"), kustomization(names));
            }
            None => root_resources.extend(names.iter().cloned()),
        }
    }
    files.insert(
        "kustomization.yaml".to_owned(),
        kustomization(&root_resources),
    );
    files
}

fn kustomization(resources: &[String]) -> String {
    let mut text = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for resource in resources {
        text.push_str("  - ");
        text.push_str(resource.trim_end_matches('/'));
        text.push('\n');
    }
    text
}

/// Writes the tree at `target`, atomically: all of it, or nothing changes.
pub(crate) fn write_dir(
    target: &Path,
    shown: &str,
    files: &BTreeMap<String, String>,
    options: DirOptions,
) -> Result<(), Diagnostic> {
    let previous = previous_files(target, shown, options)?;
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let staging = parent.join(format!(".{base}.oam-new-{}", std::process::id()));
    let retired = parent.join(format!(".{base}.oam-old-{}", std::process::id()));
    let result =
        stage(&staging, files).and_then(|()| swap(target, &staging, &retired, previous.as_ref()));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map_err(|e| {
        Diagnostic::unlocated(Code::OutputError, format!("cannot write `{shown}`: {e}"))
            .with_help("check that the output's parent directory exists and is writable; the old output is unchanged")
    })
}

/// What oam wrote last time (`Some`), or `None` for a new or empty directory.
fn previous_files(
    target: &Path,
    shown: &str,
    options: DirOptions,
) -> Result<Option<Vec<String>>, Diagnostic> {
    let Ok(entries) = fs::read_dir(target) else {
        return Ok(None);
    };
    if entries.count() == 0 {
        return Ok(None);
    }
    match fs::read_to_string(target.join(MARKER)) {
        Ok(marker) => Ok(Some(marker.lines().map(str::to_owned).collect())),
        Err(_) if options.force => Ok(Some(Vec::new())),
        Err(_) => Err(Diagnostic::unlocated(
            Code::OutputNotOwned,
            format!("`{shown}` is not empty and oam did not write it"),
        )
        .with_help(format!("choose an empty or new directory, or pass --force to write into it (files oam does not write are kept; no `{MARKER}` marker was found)"))),
    }
}

#[cfg(test)]
thread_local! {
    /// Tests make the n-th file write fail, to show an interrupted write changes nothing.
    pub(crate) static FAIL_WRITE_AFTER: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

fn write_file(path: &Path, content: &str, index: usize) -> std::io::Result<()> {
    #[cfg(test)]
    if FAIL_WRITE_AFTER.with(|limit| limit.get().is_some_and(|limit| index >= limit)) {
        return Err(std::io::Error::other("injected write failure"));
    }
    let _ = index;
    fs::write(path, content)
}

fn stage(staging: &Path, files: &BTreeMap<String, String>) -> std::io::Result<()> {
    // Whatever sits at the staging path (a leftover, or a planted symlink) goes, and the
    // directory is created afresh: writes never follow a link out of it.
    if staging.symlink_metadata().is_ok() {
        match fs::remove_dir_all(staging) {
            Ok(()) => {}
            Err(_) => fs::remove_file(staging)?,
        }
    }
    fs::create_dir(staging)?;
    for (index, (path, content)) in files.iter().enumerate() {
        let full = staging.join(path);
        if let Some(dir) = full.parent() {
            fs::create_dir_all(dir)?;
        }
        write_file(&full, content, index)?;
    }
    let listing = files.keys().fold(String::new(), |mut text, k| {
        text.push_str(k);
        text.push('\n');
        text
    });
    fs::write(staging.join(MARKER), listing)
}

/// Moves the user's own files from the old tree into the staged one, then swaps the two.
fn swap(
    target: &Path,
    staging: &Path,
    retired: &Path,
    previous: Option<&Vec<String>>,
) -> std::io::Result<()> {
    let Some(previous) = previous else {
        if target.exists() {
            fs::remove_dir(target)?;
        }
        return fs::rename(staging, target);
    };
    for relative in user_files(target, previous)? {
        let destination = staging.join(&relative);
        if destination.exists() {
            continue; // oam writes this path now; the user's copy stays in the retired tree
        }
        if let Some(dir) = destination.parent() {
            fs::create_dir_all(dir)?;
        }
        let source = target.join(&relative);
        // A link stays a link: its target is neither read nor written.
        if source.symlink_metadata()?.file_type().is_symlink() {
            copy_link(&source, &destination)?;
        } else {
            fs::copy(source, destination)?;
        }
    }
    fs::rename(target, retired)?;
    if let Err(e) = fs::rename(staging, target) {
        fs::rename(retired, target)?;
        return Err(e);
    }
    fs::remove_dir_all(retired)
}

#[cfg(unix)]
fn copy_link(source: &Path, destination: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(fs::read_link(source)?, destination)
}

#[cfg(not(unix))]
fn copy_link(source: &Path, destination: &Path) -> std::io::Result<()> {
    let target = fs::read_link(source)?;
    if fs::metadata(source).is_ok_and(|m| m.is_dir()) {
        std::os::windows::fs::symlink_dir(target, destination)
    } else {
        std::os::windows::fs::symlink_file(target, destination)
    }
}

/// Files under `root` that the marker does not list.
fn user_files(root: &Path, written: &[String]) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .follow_links(false)
    {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_dir() {
            continue;
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .map_err(std::io::Error::other)?
            .to_path_buf();
        let text = relative.to_string_lossy().replace('\\', "/");
        if text != MARKER && !written.contains(&text) {
            out.push(relative);
        }
    }
    Ok(out)
}
