//! Rendered trees compared as a reviewer reads them: a unified diff per file that was added,
//! removed or changed. `render --check DIR` compares with what oam wrote into DIR last time;
//! `oam diff A B` compares the renderings of two input trees.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use similar::TextDiff;

use super::dir::{MARKER, read_marker};

/// What differs between two trees, as unified diffs (empty when equal), and how many files.
pub(crate) struct Drift {
    pub(crate) diff: String,
    pub(crate) files: usize,
}

/// Largest file `--check` reads; oam never writes one this large.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The files oam wrote into `dir` (per its marker; every file when there is none). Only regular
/// files are read (a link or a pipe in the directory is not followed), each within a bound.
pub(crate) fn read_written(dir: &Path) -> BTreeMap<String, String> {
    let listed = read_marker(dir);
    let mut files = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
    {
        let Ok(relative) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let wanted = match &listed {
            Some(listed) => listed.contains(&relative),
            None => relative != MARKER,
        };
        if wanted {
            let mut text = String::new();
            let read = fs::File::open(entry.path())
                .and_then(|f| f.take(MAX_FILE_BYTES).read_to_string(&mut text));
            if read.is_ok() {
                files.insert(relative, text);
            }
        }
    }
    files
}

/// Unified diffs from `old` to `new`, file by file in path order; `a/` and `b/` name the sides.
pub(crate) fn compare(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    (a, b): (&str, &str),
) -> Drift {
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut drift = Drift {
        diff: String::new(),
        files: 0,
    };
    for path in paths {
        let before = old.get(path).map_or("", String::as_str);
        let after = new.get(path).map_or("", String::as_str);
        if old.contains_key(path) == new.contains_key(path) && before == after {
            continue;
        }
        drift.files += 1;
        let from = if old.contains_key(path) {
            format!("{a}/{path}")
        } else {
            "/dev/null".to_owned()
        };
        let to = if new.contains_key(path) {
            format!("{b}/{path}")
        } else {
            "/dev/null".to_owned()
        };
        let text = TextDiff::from_lines(before, after)
            .unified_diff()
            .context_radius(3)
            .header(&from, &to)
            .to_string();
        drift.diff.push_str(&text);
        if !text.ends_with('\n') {
            drift.diff.push('\n');
        }
    }
    drift
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::compare;

    #[test]
    fn added_removed_and_changed_files_each_get_a_diff() {
        let old = BTreeMap::from([
            ("a.yaml".to_owned(), "x: 1\n".to_owned()),
            ("gone.yaml".to_owned(), "y: 2\n".to_owned()),
            ("same.yaml".to_owned(), "z: 3\n".to_owned()),
        ]);
        let new = BTreeMap::from([
            ("a.yaml".to_owned(), "x: 2\n".to_owned()),
            ("new.yaml".to_owned(), "w: 4\n".to_owned()),
            ("same.yaml".to_owned(), "z: 3\n".to_owned()),
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
    }
}
