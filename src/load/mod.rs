//! Stage 1, load: paths in, documents out.
//! Discovers files (sorted), reads them, splits multi-document YAML and parses each document into
//! span-carrying nodes, within budgets. Every document keeps its file and span. This stage knows
//! nothing of OAM beyond telling its API group and versions apart.

mod block;
mod classify;
mod discover;
mod events;
mod source;
mod syntax;
mod yaml;

pub(crate) use block::read_block_yaml;
pub(crate) use classify::{Document, OAM_GROUP, Origin};
pub(crate) use discover::Input;
pub(crate) use source::{FileId, SourceFile, Sources};
pub(crate) use yaml::{Key, Node, NodeValue, parse as parse_yaml};

use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use crate::diag::{Code, Diagnostic, Diagnostics, Span, printable};
use crate::parallel;

/// Limits that keep hostile input from exhausting memory or time. Real apps never reach them.
#[derive(Clone, Debug)]
pub(crate) struct Budgets {
    pub(crate) max_file_bytes: usize,
    pub(crate) max_input_bytes: usize,
    pub(crate) max_documents: usize,
    pub(crate) max_depth: usize,
    pub(crate) max_nodes: usize,
    pub(crate) max_alias_events: usize,
}

impl Budgets {
    /// The most one file may take once `used` bytes of input are taken.
    fn file_limit(&self, used: usize) -> usize {
        self.max_file_bytes
            .min(self.max_input_bytes.saturating_sub(used))
    }

    /// The YAML reader's own limit on events, set as high as the nodes, documents and aliases
    /// within their budgets can make (a list or mapping is two events, its start and end), so
    /// that a file is stopped by a budget with a flag, never by the event count.
    pub(crate) fn max_events(&self) -> usize {
        let aliases = serde_saphyr::Budget::default().max_aliases;
        self.max_nodes
            .saturating_add(self.max_documents)
            .saturating_add(1)
            .saturating_mul(2)
            .saturating_add(aliases)
    }
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets {
            max_file_bytes: 16 * 1024 * 1024,
            max_input_bytes: 2 * 1024 * 1024 * 1024,
            max_documents: 10_000,
            max_depth: 64,
            max_nodes: 2_000_000,
            max_alias_events: 100_000,
        }
    }
}

/// What to read: input paths, definition directories, texts in memory (name, text), and whether
/// the built-ins come along.
#[derive(Clone, Debug, Default)]
pub(crate) struct Inputs {
    pub(crate) paths: Vec<String>,
    pub(crate) definition_dirs: Vec<String>,
    pub(crate) memory: Vec<(String, String)>,
    pub(crate) memory_definitions: Vec<(String, String)>,
    pub(crate) builtins: bool,
    pub(crate) budgets: Budgets,
}

/// Built-in definitions, embedded in the binary: (shown name, text).
pub(super) const BUILTINS: &[(&str, &str)] = &[
    (
        "<builtin>/v1alpha1.yaml",
        include_str!("../model/builtins/v1alpha1.yaml"),
    ),
    (
        "<builtin>/v1alpha2.yaml",
        include_str!("../model/builtins/v1alpha2.yaml"),
    ),
    (
        "<builtin>/v1beta1.yaml",
        include_str!("../model/builtins/v1beta1.yaml"),
    ),
];

/// A built-in definition file: its text and its documents.
struct Builtin {
    file: Arc<SourceFile>,
    documents: Vec<Document>,
}

/// The built-in definitions, parsed once per process: they are part of the binary, so every
/// run (`oam diff` renders twice; a fuzzer thousands of times) would parse the same text into
/// the same documents. Trusted text: parsed within the default budgets, whatever the flags.
fn builtins() -> &'static [Builtin] {
    static PARSED: OnceLock<Vec<Builtin>> = OnceLock::new();
    PARSED.get_or_init(|| {
        (0..BUILTINS.len())
            .map(|index| parse_builtin(index, FileId(index as u32)))
            .collect()
    })
}

/// The built-ins' documents, parsed once a process, through `each_file`.
fn lower_builtins<T>(each_file: &impl Fn(Vec<Document>) -> T) -> Vec<T> {
    builtins()
        .iter()
        .map(|builtin| each_file(builtin.documents.clone()))
        .collect()
}

fn parse_builtin(index: usize, file: FileId) -> Builtin {
    let (name, text) = BUILTINS[index];
    let mut diags = Diagnostics::default();
    let documents = parse_file(
        file,
        name,
        text,
        Origin::Builtin,
        &Budgets::default(),
        &mut diags,
    );
    debug_assert!(diags.into_sorted().is_empty(), "the built-ins are clean");
    Builtin {
        file: Arc::new(SourceFile {
            name: name.to_owned(),
            text: text.to_owned(),
            in_tree: false,
        }),
        documents,
    }
}

/// The documents of one file: parsed within `budgets`, then classified.
fn parse_file(
    file: FileId,
    name: &str,
    text: &str,
    origin: Origin,
    budgets: &Budgets,
    diags: &mut Diagnostics,
) -> Vec<Document> {
    if Path::new(name)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cue"))
    {
        return cue_file(file, text, origin, diags).into_iter().collect();
    }
    let nodes = yaml::parse(file, text, budgets, diags);
    classify::classify(nodes, text, origin, diags)
}

/// A `.cue` file as a document for the model to read as a `vela def` definition. A file that
/// does not parse is a warning: it may be no definition at all (CUE files of other tools live
/// in the same repositories), and one that is used is then reported as unknown.
fn cue_file(file: FileId, text: &str, origin: Origin, diags: &mut Diagnostics) -> Option<Document> {
    let whole = Span::new(file, 0, text.len() as u32);
    match cue::parse(text, 0) {
        Ok(parsed) => Some(Document {
            root: Arc::new(Node {
                span: whole,
                value: NodeValue::Map(Box::default()),
            }),
            api_version: String::new(),
            kind: String::new(),
            origin,
            cue: Some(parsed),
        }),
        Err(error) => {
            let span = error
                .spans
                .first()
                .map_or(whole, |s| Span::new(file, s.start, s.end));
            diags.push(
                Diagnostic::new(
                    Code::CueFileSkipped,
                    span,
                    format!("this CUE file does not parse, so no definition in it is loaded: {}", printable(&error.message)),
                )
                .with_help("fix the syntax (a `vela def` file: a header `name: {type: ..., attributes: {...}}` and a `template: {...}`), or move the file out of the input paths"),
            );
            None
        }
    }
}

/// At most `limit` bytes of `reader`; `None` if there are more. `expected` sizes the buffer
/// (a file's length), so a file is read in one call and its end found in a second.
fn read_bounded(
    reader: &mut dyn Read,
    limit: usize,
    expected: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::with_capacity(expected.min(limit) + 1);
    reader.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() <= limit).then_some(bytes))
}

/// Reads every input and hands each file's documents, in file order, to `each_file`, which runs
/// on the worker that parsed the file (the next stage can start there, and the parsed trees
/// never all exist at once). `stdin` is read only if an input is `-`.
pub(crate) fn load<T: Send>(
    base: &Path,
    inputs: &Inputs,
    stdin: &mut dyn Read,
    sources: &mut Sources,
    diags: &mut Diagnostics,
    each_file: impl Fn(Vec<Document>) -> T + Sync,
) -> Vec<T> {
    let mut out = Vec::new();
    let first = sources.len();
    let groups = [
        (
            &inputs.definition_dirs,
            &inputs.memory_definitions,
            Origin::DefinitionDir,
        ),
        (&inputs.paths, &inputs.memory, Origin::Input),
    ];
    let (lowered, discovered) = std::thread::scope(|scope| {
        // The built-ins are parsed (once a process) and handed on while the inputs are found.
        let builtins_ahead = (inputs.builtins && first == 0 && parallel::threads() > 1)
            .then(|| scope.spawn(|| lower_builtins(&each_file)));
        let discovered: Vec<_> = groups
            .iter()
            .map(|(paths, memory, origin)| {
                let (mut found, mut refused) = discover::discover(base, paths);
                found.extend(discover::memory(memory, &mut refused));
                (found, refused, *origin)
            })
            .collect();
        let lowered = builtins_ahead.map(|thread| {
            thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (lowered, discovered)
    });
    if inputs.builtins {
        // For ids 0, 1, 2: when other files came first, parsed anew.
        for (index, builtin) in builtins().iter().enumerate() {
            let file = sources.add_shared(builtin.file.clone());
            if first != 0 {
                out.push(each_file(parse_builtin(index, file).documents));
            }
        }
        if first == 0 {
            out.extend(lowered.unwrap_or_else(|| lower_builtins(&each_file)));
        }
    }
    // Read every file first (ahead on every core, settled in order), then parse them in parallel.
    let mut files: Vec<(FileId, Origin)> = Vec::new();
    let mut total = 0;
    for (found, refused, origin) in discovered {
        for diagnostic in refused {
            diags.push(diagnostic);
        }
        let ahead = read_ahead(&found, &inputs.budgets, total);
        for (input, ahead) in found.into_iter().zip(ahead) {
            let in_tree = !matches!(input, Input::Stdin);
            let Some((name, text)) = read(input, ahead, stdin, &inputs.budgets, &mut total, diags)
            else {
                continue;
            };
            let text = text
                .strip_prefix('\u{feff}')
                .map(str::to_owned)
                .unwrap_or(text);
            files.push((sources.add(name, text, in_tree), origin));
        }
    }
    let shared: &Sources = sources;
    let parsed = parallel::map(&files, parallel::threads(), |&(file, origin)| {
        let mut found = Diagnostics::default();
        let source = shared.get(file);
        let documents = parse_file(
            file,
            &source.name,
            &source.text,
            origin,
            &inputs.budgets,
            &mut found,
        );
        (each_file(documents), found)
    });
    for (file, found) in parsed {
        out.push(file);
        diags.extend(found);
    }
    out
}

/// A file read before its turn, on every core. Which files fit the run's budget depends on
/// the files before them, so `read` settles each in input order; read ahead, a file reserves
/// its size from what the budget has left and reads no more than that, so the bytes read ahead
/// stay within the budget whatever the order the workers take them in.
enum Ahead {
    Read(Vec<u8>),
    /// Larger than the budget left when it was opened (its size then).
    TooLarge(u64),
    Failed(std::io::Error),
    /// Standard input and in-memory sources are taken in turn.
    InTurn,
}

fn read_ahead(found: &[Input], budgets: &Budgets, total: usize) -> Vec<Ahead> {
    let reserved = AtomicUsize::new(total);
    parallel::map(found, parallel::threads(), |input| {
        let Input::File { path, .. } = input else {
            return Ahead::InTurn;
        };
        let (mut file, size) = match open_sized(path) {
            Ok(opened) => opened,
            Err(e) => return Ahead::Failed(e),
        };
        let reserving = reserved.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |before| {
            (size <= budgets.file_limit(before) as u64).then(|| before + size as usize)
        });
        if reserving.is_err() {
            return Ahead::TooLarge(size);
        }
        // No more than was reserved: a file that grew since is read again at its turn.
        match read_within(&mut file, size, size as usize) {
            Ok(Some(bytes)) => Ahead::Read(bytes),
            Ok(None) => Ahead::TooLarge(size),
            Err(e) => Ahead::Failed(e),
        }
    })
}

/// A file, opened, and its size then.
fn open_sized(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    let file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

/// The bytes of a file of `size`, or `None` if it is (or grew) larger than `limit`.
fn read_within(
    file: &mut std::fs::File,
    size: u64,
    limit: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    if size > limit as u64 {
        return Ok(None);
    }
    read_bounded(file, limit, size as usize)
}

/// Settles one input within the budgets, in input order: a file's size is checked before it is
/// read, and no more than the budget and one byte is ever read (a pipe has no size to check).
/// A file read ahead is kept if it fits what the budget has left at its turn; one that did not
/// fit then is read again at its turn if it fits now (a file before it could not be read).
fn read(
    input: Input,
    ahead: Ahead,
    stdin: &mut dyn Read,
    budgets: &Budgets,
    total: &mut usize,
    diags: &mut Diagnostics,
) -> Option<(String, String)> {
    let limit = budgets.file_limit(*total);
    let (name, bytes) = match input {
        Input::Stdin => ("<stdin>".to_owned(), read_bounded(stdin, limit, 0)),
        Input::Memory { name, text } => (
            printable(&name).into_owned(),
            Ok((text.len() <= limit).then(|| text.into_bytes())),
        ),
        Input::File { path, shown } => {
            let bytes = match ahead {
                Ahead::Read(bytes) => Ok((bytes.len() <= limit).then_some(bytes)),
                Ahead::Failed(e) => Err(e),
                Ahead::TooLarge(size) if size > limit as u64 => Ok(None),
                Ahead::TooLarge(_) | Ahead::InTurn => open_sized(&path)
                    .and_then(|(mut file, size)| read_within(&mut file, size, limit)),
            };
            (shown, bytes)
        }
    };
    let bytes = match bytes {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            let (what, flag, budget) = if limit == budgets.max_file_bytes {
                ("file", "--max-file-bytes", budgets.max_file_bytes)
            } else {
                ("run's input", "--max-input-bytes", budgets.max_input_bytes)
            };
            diags.push(
                Diagnostic::unlocated(
                    Code::InputBudget,
                    format!("`{name}` is larger than the {what} limit of {budget} bytes, so it is not read"),
                )
                .with_help(format!("split the input, or raise the limit with {flag}")),
            );
            return None;
        }
        Err(e) => {
            diags.push(Diagnostic::unlocated(
                Code::UnreadableInput,
                format!("cannot read `{name}`: {e}"),
            ));
            return None;
        }
    };
    *total += bytes.len();
    match String::from_utf8(bytes) {
        Ok(text) => Some((name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            let what = if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
                "UTF-16 (it starts with a UTF-16 byte-order mark)".to_owned()
            } else {
                format!("not UTF-8 (invalid byte at offset {at})")
            };
            diags.push(
                Diagnostic::unlocated(Code::UnreadableInput, format!("`{name}` is {what}"))
                    .with_help("save the file as UTF-8; YAML and JSON inputs must be UTF-8"),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Ahead, Budgets, Diagnostics, Input, read};

    /// At its turn, a file read ahead is kept only if it fits what the budget has left then;
    /// one that did not fit when it was read ahead (other files had reserved the budget) is
    /// read again if it fits now.
    #[test]
    fn a_file_read_ahead_is_settled_at_its_turn() {
        let dir = std::env::temp_dir().join(format!("oam-read-ahead-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        let path = dir.join("a.yaml");
        std::fs::write(&path, "a: 1\n").expect("write");
        let budgets = Budgets {
            max_input_bytes: 10,
            ..Budgets::default()
        };
        let settle = |ahead: Ahead, before: usize| {
            let input = Input::File {
                path: path.clone(),
                shown: "a.yaml".to_owned(),
            };
            let (mut total, mut diags) = (before, Diagnostics::default());
            let read = read(
                input,
                ahead,
                &mut std::io::empty(),
                &budgets,
                &mut total,
                &mut diags,
            );
            let codes: Vec<&str> = diags
                .into_sorted()
                .iter()
                .map(|d| d.code.as_str())
                .collect();
            (read.map(|(_, text)| text), total, codes.join(","))
        };
        let text = Some("a: 1\n".to_owned());
        assert_eq!(
            settle(Ahead::Read(b"a: 1\n".to_vec()), 0),
            (text.clone(), 5, String::new())
        );
        assert_eq!(
            settle(Ahead::Read(b"a: 1\n".to_vec()), 6),
            (None, 6, "oam::E007".to_owned())
        );
        assert_eq!(settle(Ahead::TooLarge(5), 0), (text, 5, String::new()));
        assert_eq!(
            settle(Ahead::TooLarge(5), 6),
            (None, 6, "oam::E007".to_owned())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
