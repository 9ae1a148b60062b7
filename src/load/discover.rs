//! Finding input files: a file, a directory (recursive, sorted, hidden entries skipped) or `-`.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// One input to read: a path (shown relative to the working directory) or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    File { path: PathBuf, shown: String },
    Stdin,
}

/// Expands the paths the user gave into files, in a stable order. A path that does not exist is
/// returned in `missing`.
pub(crate) fn discover(base: &Path, paths: &[String]) -> (Vec<Input>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut missing = Vec::new();
    for given in paths {
        if given == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = base.join(given);
        if path.is_file() {
            inputs.push(Input::File {
                shown: shown(base, &path),
                path,
            });
        } else if path.is_dir() {
            let walker = WalkDir::new(&path)
                .follow_links(false)
                .sort_by_file_name()
                .into_iter()
                .filter_entry(|e| {
                    e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')
                });
            for entry in walker.filter_map(Result::ok) {
                let is_input = entry.file_type().is_file()
                    && entry
                        .path()
                        .extension()
                        .is_some_and(|e| EXTENSIONS.iter().any(|x| e == *x));
                if is_input {
                    inputs.push(Input::File {
                        shown: shown(base, entry.path()),
                        path: entry.into_path(),
                    });
                }
            }
        } else {
            missing.push(given.clone());
        }
    }
    (inputs, missing)
}

/// The name a diagnostic shows: relative to the working directory where possible.
fn shown(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    text.strip_prefix("./").unwrap_or(&text).to_owned()
}
