//! Writing the tree of `layout` at `-o DIR`, so that the directory Argo CD or Flux applies is
//! always whole: the old tree or the new one, never a mix, never missing.
//!
//! The new tree is built in a hidden sibling, `.DIR.oam-new-<pid>`: oam's files (a hard link to
//! the old one where oam would write it unchanged, `unchanged`), plus a hard link to every
//! entry the user keeps in DIR (so files, links, pipes and folder modes stay as
//! they are, nothing is copied or opened, and the user's data has a name in DIR at every
//! instant). The two are then swapped in one step (`renameat2(RENAME_EXCHANGE)` on Linux, its
//! equivalent on macOS; elsewhere two renames), and the old tree removed. A run killed at any
//! point leaves DIR whole; the next run removes the siblings it left. Only paths oam recorded in
//! its marker, or that do not exist, are ever written: a user's file in the way is an error.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fs;
use std::io::{IoSlice, Read, Write};
use std::path::{Path, PathBuf};

use super::{FileText, Tree};
use crate::diag::{Code, Diagnostic, printable};
use unchanged::{Unchanged, Worker};

mod unchanged;

/// The file oam writes at the root of an output directory: the paths it wrote, one a line.
pub(crate) const MARKER: &str = ".oam-rendered";
/// Largest marker oam reads (a marker is a list of paths; a link to `/dev/zero` is not).
const MAX_MARKER_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DirOptions {
    /// Write into a non-empty directory that oam did not write before, and over files in the way.
    pub(crate) force: bool,
}

#[cfg(test)]
thread_local! {
    /// Tests make the n-th file write fail, or the removal of the old tree, to show what an
    /// interrupted run leaves.
    pub(crate) static FAULT: std::cell::Cell<Option<Fault>> = const { std::cell::Cell::new(None) };
}

/// A failure a test injects.
#[cfg(test)]
#[derive(Clone, Copy, Debug)]
pub(crate) enum Fault {
    /// The write of the n-th file (0-based) fails.
    Write(usize),
    /// The old tree cannot be removed after the swap.
    RemoveOld,
    /// The run stops (as if killed) right before the swap.
    KillBeforeSwap,
    /// Each old file found unchanged is replaced by another of the same size, other bytes,
    /// between its comparison and its link (a race with another writer).
    ReplaceBeforeLink,
}

#[cfg(test)]
fn fault(check: impl Fn(Fault) -> bool) -> bool {
    FAULT.with(|f| f.get().is_some_and(check))
}

/// Writes the tree at `target`, whole or not at all. `Ok` carries warnings (W008).
pub(crate) fn write_dir(
    target: &Path,
    shown: &str,
    files: &Tree<'_>,
    options: DirOptions,
) -> Result<Vec<Diagnostic>, Diagnostic> {
    let shown = printable(shown);
    let failed = |e: std::io::Error, state: &str| {
        Diagnostic::unlocated(Code::OutputError, format!("cannot write `{shown}`: {e}")).with_help(
            format!("check that the directory and its parent are writable; {state}"),
        )
    };
    // `-o` naming a link to a directory writes through the link: the link stays, and the
    // directory it points at is replaced.
    let target = match fs::symlink_metadata(target) {
        Ok(meta) if meta.file_type().is_symlink() => {
            fs::canonicalize(target).map_err(|e| failed(e, "the output is unchanged"))?
        }
        _ => target.to_path_buf(),
    };
    let parent = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let base = target
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let mut warnings = Vec::new();
    recover(&target, &parent, &base, &mut warnings);
    let previous = previous_files(&target, &shown, options)?;
    // What oam wrote last time, looked up to tell the user's entries from oam's and to take
    // unchanged files over.
    let written: HashSet<&str> = previous.iter().flatten().map(String::as_str).collect();
    let user = match &previous {
        Some(_) => {
            user_entries(&target, &written).map_err(|e| failed(e, "the output is unchanged"))?
        }
        None => Vec::new(),
    };
    let clashes = clashes(files, &user);
    if !clashes.is_empty() && !options.force {
        let list: Vec<String> = clashes
            .iter()
            .map(|c| format!("`{}`", printable(c)))
            .collect();
        return Err(Diagnostic::unlocated(
            Code::OutputClash,
            format!("`{shown}` holds files oam did not write where it would write now: {}", list.join(", ")),
        )
        .with_help("move or rename your files (nothing was changed), or pass --force to let oam replace them"));
    }
    let staging = parent.join(format!(".{base}.oam-new-{}", std::process::id()));
    let staged = stage(&staging, &target, files, &written, &user, &clashes);
    #[cfg(test)]
    if staged.is_ok() && fault(|f| matches!(f, Fault::KillBeforeSwap)) {
        return Ok(warnings);
    }
    if let Err(e) = staged.and_then(|()| swap(&staging, &target)) {
        let _ = remove_tree(&staging);
        return Err(failed(e, "the old output is unchanged"));
    }
    // `staging` now holds the old tree: oam's old files and second links to the user's.
    if let Err(e) = remove_old(&staging) {
        warnings.push(left_over(&staging, &e));
    }
    Ok(warnings)
}

/// W008: the new output is in place, the old tree is not gone.
fn left_over(path: &Path, error: &std::io::Error) -> Diagnostic {
    Diagnostic::unlocated(
        Code::OutputLeftover,
        format!(
            "the new output is in place, but the previous one could not be removed from `{}`: {error}",
            printable(&path.to_string_lossy())
        ),
    )
    .with_help("remove that directory by hand (it holds only oam's old files and second links to yours); the next run tries again")
}

fn remove_old(path: &Path) -> std::io::Result<()> {
    #[cfg(test)]
    if fault(|f| matches!(f, Fault::RemoveOld)) {
        return Err(std::io::Error::other("injected failure"));
    }
    remove_tree(path)
}

/// Removes a tree oam made, its marker last (a run killed halfway leaves it marked, so the next
/// one knows it), making folders writable first if it must (a user's read-only folder is
/// linked into it with its mode).
fn remove_tree(path: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    // On every core: an app's folder is one entry, and the system's work of removing 50,000
    // files on one core was a fifth of a re-render of 10,000 apps into their old folder.
    let remove_contents = || -> std::io::Result<()> {
        let mut entries = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_name() != MARKER {
                entries.push((entry.path(), entry.file_type()?.is_dir()));
            }
        }
        crate::parallel::map_slices(&entries, |slice| {
            slice.iter().try_for_each(|(entry, is_dir)| {
                if *is_dir {
                    fs::remove_dir_all(entry)
                } else {
                    fs::remove_file(entry)
                }
            })
        })
        .into_iter()
        .collect()
    };
    if remove_contents().is_err() {
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .into_iter()
            .flatten()
        {
            if entry.file_type().is_dir() {
                let _ = set_mode(entry.path(), 0o700);
            }
        }
        remove_contents()?;
    }
    let _ = fs::remove_file(path.join(MARKER));
    fs::remove_dir(path)
}

/// Removes what interrupted runs left beside `target`: staging trees and old trees, recognised
/// by their name and by oam's marker inside. If `target` itself is gone (a run killed between
/// the two renames where no atomic swap exists), the newest complete tree is put back first.
fn recover(target: &Path, parent: &Path, base: &str, warnings: &mut Vec<Diagnostic>) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    let prefixes = [format!(".{base}.oam-new-"), format!(".{base}.oam-old-")];
    let mut leftovers: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            prefixes.iter().any(|p| name.starts_with(p.as_str()))
        })
        .map(|e| e.path())
        .filter(|p| fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()))
        .collect();
    // A run killed between creating its staging folder and marking it leaves it empty.
    // Only an empty one goes; anything else unmarked is not oam's.
    leftovers.retain(|p| {
        if is_marked(p) {
            return true;
        }
        let _ = fs::remove_dir(p);
        false
    });
    leftovers.sort();
    if fs::symlink_metadata(target).is_err() {
        let old = leftovers
            .iter()
            .position(|p| p.to_string_lossy().contains(".oam-old-"));
        if let Some(old) = old {
            if fs::rename(&leftovers[old], target).is_ok() {
                leftovers.remove(old);
            }
        }
    }
    for leftover in leftovers {
        if let Err(e) = remove_tree(&leftover) {
            warnings.push(left_over(&leftover, &e));
        }
    }
}

fn is_marked(dir: &Path) -> bool {
    fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// The marker's listing, read only from a regular file and only up to a bound.
pub(crate) fn read_marker(dir: &Path) -> Option<Vec<String>> {
    let path = dir.join(MARKER);
    let meta = fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MARKER_BYTES {
        return None;
    }
    let mut text = String::new();
    fs::File::open(&path)
        .ok()?
        .take(MAX_MARKER_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    Some(text.lines().map(str::to_owned).collect())
}

/// What oam wrote last time (`Some`), or `None` for a new or empty directory.
fn previous_files(
    target: &Path,
    shown: &str,
    options: DirOptions,
) -> Result<Option<Vec<String>>, Diagnostic> {
    let Ok(mut entries) = fs::read_dir(target) else {
        return Ok(None);
    };
    if entries.next().is_none() {
        return Ok(None);
    }
    match read_marker(target) {
        Some(listed) => Ok(Some(listed)),
        None if options.force => Ok(Some(Vec::new())),
        None => Err(Diagnostic::unlocated(
            Code::OutputNotOwned,
            format!("`{shown}` is not empty and oam did not write it"),
        )
        .with_help(format!("choose an empty or new directory, or pass --force to write into it (files oam does not write are kept; no `{MARKER}` marker was found)"))),
    }
}

/// Something in the output directory that oam did not write: kept as it is.
struct UserEntry {
    /// Relative path, `/`-separated.
    path: String,
    /// A folder the user made (recreated) or anything else (hard-linked).
    dir: bool,
}

/// oam's paths that a user's entry stands in the way of: the same path, or a path below a
/// user's file.
fn clashes<'a>(files: &'a Tree<'_>, user: &[UserEntry]) -> Vec<&'a str> {
    let user: HashMap<&str, bool> = user.iter().map(|e| (e.path.as_str(), e.dir)).collect();
    files
        .keys()
        .map(String::as_str)
        .filter(|path| {
            user.contains_key(path)
                || path
                    .match_indices('/')
                    .any(|(at, _)| user.get(&path[..at]) == Some(&false))
        })
        .collect()
}

/// Whether `entry` is replaced (with --force) by one of oam's paths, or lies below one.
fn is_replaced(entry: &UserEntry, replaced: &[&str]) -> bool {
    replaced.iter().any(|r| {
        entry.path == *r
            || entry
                .path
                .strip_prefix(r)
                .is_some_and(|rest| rest.starts_with('/'))
            || (!entry.dir
                && r.strip_prefix(entry.path.as_str())
                    .is_some_and(|rest| rest.starts_with('/')))
    })
}

/// Entries under `root` that oam did not write (per its marker). Folders count when they hold
/// nothing oam wrote: an app folder oam no longer writes is pruned, a folder of the user's stays.
fn user_entries(root: &Path, written: &HashSet<&str>) -> std::io::Result<Vec<UserEntry>> {
    let oam_folders: BTreeSet<&str> = written
        .iter()
        .flat_map(|path| path.match_indices('/').map(move |(at, _)| &path[..at]))
        .collect();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(root)
        .min_depth(1)
        .sort_by_file_name()
        .follow_links(false)
    {
        let entry = entry.map_err(std::io::Error::other)?;
        let relative = entry
            .path()
            .strip_prefix(root)
            .map_err(std::io::Error::other)?
            .to_string_lossy()
            .replace('\\', "/");
        let dir = entry.file_type().is_dir();
        let oam_made = if dir {
            oam_folders.contains(relative.as_str())
        } else {
            relative == MARKER || written.contains(relative.as_str())
        };
        if !oam_made {
            out.push(UserEntry {
                path: relative,
                dir,
            });
        }
    }
    Ok(out)
}

/// The first file whose write a test makes fail; read on the calling thread, since the files
/// are written on others.
fn failing_write() -> Option<usize> {
    #[cfg(test)]
    if let Some(Fault::Write(n)) = FAULT.with(std::cell::Cell::get) {
        return Some(n);
    }
    None
}

fn write_file(path: &Path, content: &FileText<'_>) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    // Header and body in one call where the system takes both (most files, one syscall).
    let (head, body) = (content.head.as_bytes(), content.body.as_bytes());
    let written = file.write_vectored(&[IoSlice::new(head), IoSlice::new(body)])?;
    if written < head.len() {
        file.write_all(&head[written..])?;
        file.write_all(body)
    } else {
        file.write_all(&body[written - head.len()..])
    }
}

/// Builds the new tree at `staging`: the user's folders (with their modes) and links to their
/// other entries, then oam's files (unchanged ones taken over from the old tree, `written`
/// being what oam wrote there), then the marker.
fn stage(
    staging: &Path,
    target: &Path,
    files: &Tree<'_>,
    written: &HashSet<&str>,
    user: &[UserEntry],
    replaced: &[&str],
) -> std::io::Result<()> {
    // Whatever sits at the staging path (a leftover, or a planted link) goes, and the directory
    // is created afresh: writes never follow a link out of it.
    if fs::symlink_metadata(staging).is_ok() {
        match fs::remove_dir_all(staging) {
            Ok(()) => {}
            Err(_) => fs::remove_file(staging)?,
        }
    }
    fs::create_dir(staging)?;
    // Marked from the start, so a run killed while staging leaves a tree the next run knows
    // as its own and removes.
    fs::write(staging.join(MARKER), "")?;
    for entry in user.iter().filter(|e| !is_replaced(e, replaced)) {
        let destination = staging.join(&entry.path);
        if entry.dir {
            fs::create_dir_all(&destination)?;
        } else {
            link_or_copy(&target.join(&entry.path), &destination)?;
        }
    }
    // Files come sorted, so a folder's files are together: each worker makes the folders of
    // its slice as it meets them (a folder split between two slices is made by both, which
    // `create_dir_all` allows). Made on one core beforehand, the folders took about 45 ms of
    // `-o` at 10,000 apps.
    let listed: Vec<(usize, (&String, &FileText<'_>))> = files.iter().enumerate().collect();
    let failing = failing_write();
    let unchanged = Unchanged::new(target, staging, written);
    // Each slice also lists its paths for the marker (60,000 lines at 10,000 apps).
    let written = crate::parallel::map_slices(&listed, |slice| {
        let mut made: Option<&str> = None;
        let mut worker = Worker::default();
        let mut listing = String::new();
        for (index, (path, content)) in slice {
            if let Some((folder, _)) = path.rsplit_once('/') {
                if made != Some(folder) {
                    fs::create_dir_all(staging.join(folder))?;
                    made = Some(folder);
                }
            }
            if failing.is_some_and(|n| *index >= n) {
                return Err(std::io::Error::other("injected write failure"));
            }
            let staged = staging.join(path);
            if !unchanged.take(path, &staged, content, &mut worker)? {
                write_file(&staged, content)?;
            }
            listing.push_str(path);
            listing.push('\n');
        }
        Ok(listing)
    });
    let listing = written
        .into_iter()
        .collect::<std::io::Result<Vec<String>>>()?
        .concat();
    fs::write(staging.join(MARKER), listing)?;
    // Folder modes last, deepest first (a read-only folder is written into first): every
    // folder that was in the old tree keeps its mode (a 0700 folder stays 0700). Only the
    // folders of the new tree can have been in the old one: oam's and the user's. A folder
    // already has the mode every folder made in this run got (the staging root's) and is left
    // so when the old one had it too: one call a folder saved, 10,000 at 10,000 apps.
    if fs::symlink_metadata(target).is_err() {
        return Ok(());
    }
    let made = fs::symlink_metadata(staging).map(|meta| mode_of(&meta))?;
    let mut folders: Vec<&str> = files
        .keys()
        .filter_map(|path| path.rsplit_once('/').map(|(folder, _)| folder))
        .collect();
    folders.dedup(); // a folder's files are together
    let mut all: Vec<&str> = folders
        .into_iter()
        .chain(user.iter().filter(|e| e.dir).map(|e| e.path.as_str()))
        .flat_map(|folder| {
            folder
                .match_indices('/')
                .map(|(at, _)| &folder[..at])
                .chain([folder])
        })
        .collect();
    all.sort_unstable();
    all.dedup();
    all.sort_by_key(|folder| std::cmp::Reverse(folder.matches('/').count()));
    for folder in all {
        if let Ok(meta) = fs::symlink_metadata(target.join(folder)) {
            if meta.is_dir() && mode_of(&meta) != made {
                set_mode(&staging.join(folder), mode_of(&meta))?;
            }
        }
    }
    Ok(())
}

/// A second name for a user's entry in the new tree: a hard link (the same file, whatever it
/// is, nothing opened), or where links are not possible a copy of a regular file or link.
fn link_or_copy(source: &Path, destination: &Path) -> std::io::Result<()> {
    if let Some(dir) = destination.parent() {
        fs::create_dir_all(dir)?;
    }
    match fs::hard_link(source, destination) {
        Ok(()) => Ok(()),
        Err(link_error) => {
            let meta = fs::symlink_metadata(source)?;
            if meta.file_type().is_symlink() {
                copy_link(source, destination)
            } else if meta.is_file() {
                fs::copy(source, destination).map(|_| ())
            } else {
                Err(link_error)
            }
        }
    }
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

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> u32 {
    0
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// Puts the staged tree at `target`. Where the system can exchange two paths in one step, it
/// does: `target` is the old tree or the new one at every instant, and `staging` ends up holding
/// the old one. Elsewhere the old tree is renamed aside first.
fn swap(staging: &Path, target: &Path) -> std::io::Result<()> {
    if fs::symlink_metadata(target).is_err() {
        return fs::rename(staging, target);
    }
    match exchange(staging, target) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::Unsupported || e.raw_os_error() == Some(22) => {
            // No atomic exchange here (EINVAL: a file system without RENAME_EXCHANGE).
            let aside = staging.with_file_name(
                staging
                    .file_name()
                    .map(|n| n.to_string_lossy().replace(".oam-new-", ".oam-old-"))
                    .unwrap_or_default(),
            );
            fs::rename(target, &aside)?;
            if let Err(e) = fs::rename(staging, target) {
                fs::rename(&aside, target)?;
                return Err(e);
            }
            fs::rename(&aside, staging)
        }
        Err(e) => Err(e),
    }
}

#[cfg(any(target_os = "linux", target_os = "macos"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}
