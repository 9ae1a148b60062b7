//! Finding input files: a file, a directory (recursive, sorted, hidden entries skipped) or `-`.
//! File names come from untrusted pull requests, so a name that could end a comment line or
//! steer a terminal is refused, and only regular files are ever read.

use std::ffi::OsStr;
use std::fs::FileType;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::diag::{Code, Diagnostic, is_unsafe_char, printable};
use crate::emit::MARKER;

/// YAML and JSON objects, and CUE definitions in the `vela def` format.
const EXTENSIONS: [&str; 4] = ["yaml", "yml", "json", "cue"];

/// One input to read: a path (shown relative to the working directory), standard input, or a
/// text the library was given in memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    File { path: PathBuf, shown: String },
    Stdin,
    Memory { name: String, text: String },
}

/// The in-memory sources as inputs; a name that could forge lines is refused like a file name.
pub(crate) fn memory(sources: &[(String, String)], refused: &mut Vec<Diagnostic>) -> Vec<Input> {
    let mut inputs = Vec::new();
    for (name, text) in sources {
        match unsafe_name(Path::new(name)) {
            Some(diagnostic) => refused.push(diagnostic),
            None => inputs.push(Input::Memory {
                name: name.clone(),
                text: text.clone(),
            }),
        }
    }
    inputs
}

/// Expands the paths the user gave into files, in a stable order, and refuses what must not be
/// read: paths that do not exist, unsafe names, special files and oam's own output directories.
pub(crate) fn discover(base: &Path, paths: &[String]) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut inputs = Vec::new();
    let mut refused = Vec::new();
    for given in paths {
        if given == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = base.join(given);
        if let Some(diagnostic) = unsafe_name(Path::new(given)) {
            refused.push(diagnostic);
            continue;
        }
        let shown_given = printable(given);
        // A path named on the command line may be a link; it is followed, once.
        match std::fs::metadata(&path) {
            Err(_) => refused.push(
                Diagnostic::unlocated(
                    Code::UnreadableInput,
                    format!("`{shown_given}` does not exist"),
                )
                .with_help("pass an existing file or directory, or `-` for standard input"),
            ),
            Ok(meta) if meta.is_file() => inputs.push(Input::File {
                shown: shown(base, &path),
                path,
            }),
            Ok(meta) if meta.is_dir() => {
                if is_output_dir(&path) {
                    refused.push(
                        Diagnostic::unlocated(
                            Code::UnreadableInput,
                            format!("`{shown_given}` is a directory oam rendered (it holds `{MARKER}`): it is output, not input"),
                        )
                        .with_help(format!("pass the folders with your apps instead; if the folder is now written by hand, delete its `{MARKER}`")),
                    );
                    continue;
                }
                walk(base, &path, &mut inputs, &mut refused);
            }
            Ok(meta) => refused.push(special_file(&shown_given, meta.file_type())),
        }
    }
    (inputs, refused)
}

/// Every input file under `root`. Hidden entries and directories that oam rendered (`-o` inside
/// the inputs) are skipped; links are not followed.
fn walk(base: &Path, root: &Path, inputs: &mut Vec<Input>, refused: &mut Vec<Diagnostic>) {
    let mut unsafe_names = Vec::new();
    let walker = WalkDir::new(root)
        .follow_links(false)
        // By name, as `sort_by_file_name` does, but comparing whole paths: siblings share
        // their folder's path, so the order is the same, and walkdir's own comparison takes
        // the name out of each path anew (1 % of a run over 100,000 files in one folder).
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .into_iter()
        .filter_entry(|e| {
            if e.depth() == 0 {
                return true;
            }
            if e.file_name().to_string_lossy().starts_with('.') {
                return false;
            }
            // The folders above were checked as they were entered (the root with the path
            // given): only the entry's own name is new.
            if let Some(problem) = name_problem(e.file_name()) {
                let relative = e.path().strip_prefix(base).unwrap_or(e.path());
                unsafe_names.push(unsafe_path(relative, problem));
                return false;
            }
            !(e.file_type().is_dir() && is_output_dir(e.path()))
        });
    for entry in walker.filter_map(Result::ok) {
        let has_extension = entry
            .path()
            .extension()
            .is_some_and(|e| EXTENSIONS.iter().any(|x| e == *x));
        let file_type = entry.file_type();
        if !has_extension || file_type.is_dir() || file_type.is_symlink() {
            continue;
        }
        let shown = shown(base, entry.path());
        if file_type.is_file() {
            inputs.push(Input::File {
                shown,
                path: entry.into_path(),
            });
        } else {
            refused.push(special_file(&shown, file_type));
        }
    }
    refused.extend(unsafe_names);
}

/// Whether `dir` is an output directory of oam: it holds the marker as a regular file.
fn is_output_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir.join(MARKER)).is_ok_and(|m| m.is_file())
}

/// A path with a control, line-break or bidi character in any component, or not UTF-8.
fn unsafe_name(path: &Path) -> Option<Diagnostic> {
    path.components().find_map(|component| {
        let Component::Normal(part) = component else {
            return None;
        };
        name_problem(part).map(|problem| unsafe_path(path, problem))
    })
}

/// What is wrong with one file or folder name, if anything.
fn name_problem(name: &OsStr) -> Option<&'static str> {
    match name.to_str() {
        None => Some("is not valid UTF-8"),
        Some(text) if text.chars().any(is_unsafe_char) => {
            Some("holds a control, line-break or bidirectional character")
        }
        Some(_) => None,
    }
}

fn unsafe_path(path: &Path, problem: &str) -> Diagnostic {
    Diagnostic::unlocated(
        Code::UnsafeFileName,
        format!(
            "the path `{}` {problem}, so it is not read",
            printable(&path.to_string_lossy())
        ),
    )
    .with_help("rename the file or folder: such a name could forge lines in diagnostics and in the headers of rendered files")
}

fn special_file(shown: &str, file_type: FileType) -> Diagnostic {
    let what = special_kind(file_type);
    Diagnostic::unlocated(
        Code::UnreadableInput,
        format!("`{shown}` is {what}, not a regular file, so it is not read"),
    )
    .with_help("oam reads regular files only; pass the file the link or pipe stands for")
}

#[cfg(unix)]
fn special_kind(file_type: FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a named pipe"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_block_device() || file_type.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: FileType) -> &'static str {
    "a special file"
}

/// The name a diagnostic shows: relative to the working directory where possible.
fn shown(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let text = relative.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    printable(text).into_owned()
}
