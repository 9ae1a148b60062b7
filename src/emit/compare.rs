//! Rendered trees compared as a reviewer reads them: a unified diff per file that was added,
//! removed or changed. `render --check DIR` compares with what oam wrote into DIR last time;
//! `oam diff A B` compares the renderings of two input trees.
//!
//! Files are compared on every core, each read from disk by the worker that compares it and
//! dropped at once, and compared in their pieces (header and body) without joining them: only a
//! file that differs is copied, for its diff. So a check costs about what writing the tree
//! costs, in time and memory, whatever its size.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use similar::TextDiff;

use super::dir::{MARKER, read_marker};
use super::layout::{FileText, Tree};
use crate::diag::{is_unsafe_char, printable};

/// What differs between two trees, as unified diffs (empty when equal), and how many files.
pub(crate) struct Drift {
    pub(crate) diff: String,
    pub(crate) files: usize,
}

/// Largest file `--check` reads; oam never writes one this large.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// How `new` differs from the files oam wrote into `dir` before (per its marker; every file
/// when there is none). Only regular files are read (a link or a pipe in the directory is not
/// followed), each within a bound; a file that cannot be read as text counts as absent.
pub(crate) fn compare_with_dir(dir: &Path, new: &Tree<'_>, labels: (&str, &str)) -> Drift {
    let written = written_paths(dir);
    let pairs = pair_up(written.iter().map(|path| (path.as_str(), true)), new);
    let unheaded: Arc<str> = Arc::from("");
    drift(&pairs, labels, |path, &(on_disk, _)| {
        let body = on_disk.then(|| read_bounded(&dir.join(path))).flatten()?;
        Some(Cow::Owned(FileText {
            head: Arc::clone(&unheaded),
            body: Cow::Owned(body),
        }))
    })
}

/// How `new` differs from `old`, file by file in path order.
pub(crate) fn compare(old: &Tree<'_>, new: &Tree<'_>, labels: (&str, &str)) -> Drift {
    let pairs = pair_up(
        old.iter().map(|(path, text)| (path.as_str(), Some(text))),
        new,
    );
    drift(&pairs, labels, |_, &(old, _)| old.map(Cow::Borrowed))
}

/// Every path of either side, in path order, with what the old side has of it (`P`'s default
/// where it has nothing) and the new side's file.
fn pair_up<'t, 'a, P: Default>(
    old: impl Iterator<Item = (&'t str, P)>,
    new: &'t Tree<'a>,
) -> Vec<(&'t str, (P, Option<&'t FileText<'a>>))> {
    let mut pairs: BTreeMap<&str, (P, Option<&FileText<'_>>)> =
        old.map(|(path, side)| (path, (side, None))).collect();
    for (path, text) in new {
        pairs.entry(path.as_str()).or_default().1 = Some(text);
    }
    pairs.into_iter().collect()
}

/// The relative paths (`/`-separated) of the regular files below `dir` that oam wrote.
fn written_paths(dir: &Path) -> Vec<String> {
    let listed: Option<HashSet<String>> = read_marker(dir).map(|paths| paths.into_iter().collect());
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|entry| {
            let relative = entry.path().strip_prefix(dir).ok()?;
            let relative = relative.to_string_lossy().replace('\\', "/");
            let wanted = match &listed {
                Some(listed) => listed.contains(&relative),
                None => relative != MARKER,
            };
            wanted.then_some(relative)
        })
        .collect()
}

fn read_bounded(path: &Path) -> Option<String> {
    let mut text = String::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES).read_to_string(&mut text))
        .ok()?;
    Some(text)
}

/// The diffs of `pairs` (path, then what `old` reads of the old side and the new side's file),
/// worked out on every core and joined in path order.
fn drift<'t, 'a: 't, P: Sync>(
    pairs: &[(&str, (P, Option<&'t FileText<'a>>))],
    (a, b): (&str, &str),
    old: impl Fn(&str, &(P, Option<&'t FileText<'a>>)) -> Option<Cow<'t, FileText<'a>>> + Sync,
) -> Drift {
    let parts = crate::parallel::map_slices(pairs, |slice| {
        let mut part = Drift {
            diff: String::new(),
            files: 0,
        };
        for (path, sides) in slice {
            let before = old(path, sides);
            if let Some(diff) = file_diff(path, before.as_deref(), sides.1, (a, b)) {
                part.diff.push_str(&diff);
                part.files += 1;
            }
        }
        part
    });
    let mut drift = Drift {
        diff: String::with_capacity(parts.iter().map(|p| p.diff.len()).sum()),
        files: 0,
    };
    for part in parts {
        drift.diff.push_str(&part.diff);
        drift.files += part.files;
    }
    drift
}

/// The unified diff of one path (`None` when both sides hold the same text); a missing side
/// is `/dev/null`.
fn file_diff(
    path: &str,
    before: Option<&FileText<'_>>,
    after: Option<&FileText<'_>>,
    (a, b): (&str, &str),
) -> Option<String> {
    if let (Some(before), Some(after)) = (before, after) {
        if same_text(before, after) {
            return None;
        }
    }
    let side = |label: &str, file: Option<&FileText<'_>>| {
        file.map_or_else(
            || "/dev/null".to_owned(),
            |_| format!("{label}/{}", printable(path)),
        )
    };
    let (from, to) = (side(a, before), side(b, after));
    let (before, after) = (shown(before), shown(after));
    let mut text = TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Some(text)
}

/// A file's text as its diff shows it, each line's unsafe characters escaped: a file in the
/// directory may come from a pull request, and the diff goes to a terminal or a CI log.
fn shown(file: Option<&FileText<'_>>) -> String {
    let text = file.map(FileText::joined).unwrap_or_default();
    if !text.chars().any(|c| c != '\n' && is_unsafe_char(c)) {
        return text;
    }
    text.split_inclusive('\n')
        .map(|line| match line.strip_suffix('\n') {
            Some(body) => format!("{}\n", printable(body)),
            None => printable(line).into_owned(),
        })
        .collect()
}

/// Whether two files hold the same text, header and body joined, without joining them.
fn same_text(x: &FileText<'_>, y: &FileText<'_>) -> bool {
    let (x, y) = if x.head.len() <= y.head.len() {
        (x, y)
    } else {
        (y, x)
    };
    let (x_head, x_body) = (x.head.as_bytes(), x.body.as_bytes());
    let (y_head, y_body) = (y.head.as_bytes(), y.body.as_bytes());
    // x's header is the shorter: it starts y's, and x's body holds the rest of y's header,
    // then y's body.
    x_head.len() + x_body.len() == y_head.len() + y_body.len()
        && y_head.starts_with(x_head)
        && x_body.starts_with(&y_head[x_head.len()..])
        && x_body[y_head.len() - x_head.len()..] == *y_body
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use super::{FileText, Tree, compare, same_text};

    fn file(head: &str, body: &str) -> FileText<'static> {
        FileText {
            head: Arc::from(head),
            body: Cow::Owned(body.to_owned()),
        }
    }

    fn tree(files: &[(&str, &str)]) -> Tree<'static> {
        files
            .iter()
            .map(|(path, text)| ((*path).to_owned(), file("", text)))
            .collect()
    }

    #[test]
    fn added_removed_and_changed_files_each_get_a_diff() {
        let old = tree(&[
            ("a.yaml", "x: 1\n"),
            ("gone.yaml", "y: 2\n"),
            ("same.yaml", "z: 3\n"),
        ]);
        let new = tree(&[
            ("a.yaml", "x: 2\n"),
            ("new.yaml", "w: 4\n"),
            ("same.yaml", "z: 3\n"),
        ]);
        let drift = compare(&old, &new, ("out", "rendered"));
        assert_eq!(drift.files, 3);
        assert!(drift.diff.contains("--- out/a.yaml\n+++ rendered/a.yaml\n"));
        assert!(drift.diff.contains("-x: 1\n+x: 2\n"));
        assert!(drift.diff.contains("--- out/gone.yaml\n+++ /dev/null\n"));
        assert!(
            drift
                .diff
                .contains("--- /dev/null\n+++ rendered/new.yaml\n")
        );
        assert!(!drift.diff.contains("same.yaml"));
        // An empty file and a missing one differ.
        let drift = compare(
            &tree(&[]),
            &tree(&[("empty.yaml", "")]),
            ("out", "rendered"),
        );
        assert_eq!(drift.files, 1);
    }

    #[test]
    fn files_are_the_same_when_their_joined_texts_are() {
        let texts = [
            "",
            "#",
            "# a\n",
            "# a\nx: 1\n",
            "# a\nx: 2\n",
            "x: 1\n",
            "# a\nx: 1\n\n",
        ];
        for x in texts {
            for y in texts {
                for x_cut in 0..=x.len() {
                    for y_cut in 0..=y.len() {
                        let (a, b) = (
                            file(&x[..x_cut], &x[x_cut..]),
                            file(&y[..y_cut], &y[y_cut..]),
                        );
                        assert_eq!(same_text(&a, &b), x == y, "{a:?} and {b:?}");
                    }
                }
            }
        }
    }
}
