//! Diagnostics as data, for programs: each one resolved to file names, byte ranges, lines and
//! columns, with no reference into oam's sources left; and the machine formats of the CLI's
//! `--diagnostics` (JSON lines, SARIF 2.1.0, GitHub Actions workflow commands) written from it.
//! Every text is escaped with `printable` first, so no format carries a control character from
//! the input to a log, a terminal or a pull request.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::io;

use serde::Serialize;
use serde_json::{Value, json};

use super::lines::LineIndex;
use super::report::{ReportStyle, write_all};
use super::{Severity, Span, printable};
use crate::load::Sources;

/// A problem oam found, as data: what the CLI prints, field by field.
///
/// All texts are printable: control, line-break and bidirectional characters from the input
/// are written as `\u{…}` escapes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Diagnostic {
    /// The stable code, such as `oam::E021` (errors) or `oam::W001` (warnings); docs/errors.md
    /// explains each.
    pub code: &'static str,
    /// Whether the run fails because of it (`--strict` makes every warning an error).
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// A change that fixes it, when there is one.
    pub help: Option<String>,
    /// Where: the primary place first, then places that explain it (the other trait of a
    /// conflict, say). Empty for problems with no source text, such as a path that does not
    /// exist.
    pub labels: Vec<Label>,
}

/// A place in an input file that a diagnostic points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Label {
    /// The file as oam shows it: relative to the working directory, or the name an in-memory
    /// source was given; `<stdin>`, `<builtin>/…` and `<output of …>` name texts that are not
    /// files of the user's tree.
    pub file: String,
    /// The file is one of the user's inputs (read from disk, or given in memory under that
    /// name), not standard input, a built-in definition or a template's output.
    pub user_file: bool,
    /// Whether this is the place the diagnostic is about (one per diagnostic).
    pub primary: bool,
    /// What the label says beside the place; may be empty.
    pub text: String,
    /// Byte offset of the first byte, from the start of the file.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in Unicode characters.
    pub column: usize,
    /// 1-based line of `end`.
    pub end_line: usize,
    /// 1-based column of `end`, in Unicode characters (the column just past the place).
    pub end_column: usize,
}

/// How diagnostics are written for a reader: a person, a tool, a CI system.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
#[non_exhaustive]
pub enum DiagnosticFormat {
    /// Reports with source snippets, for people
    #[default]
    Human,
    /// One JSON object per line (docs/errors.md has the schema)
    Json,
    /// One SARIF 2.1.0 log, for code scanning
    Sarif,
    /// GitHub Actions workflow commands: annotations on the pull request's lines
    Github,
}

/// Every diagnostic of a run so far, in a deterministic order (by file, offset and code), with
/// what it takes to show them: the source text of every file they point into.
///
/// Errors of the library are values of this type: it implements [`std::error::Error`], and both
/// `Display` and `Debug` write the human report without colour (so `main` returning it, or an
/// `unwrap`, shows what a user of the CLI would see).
pub struct Diagnostics {
    items: Vec<super::Diagnostic>,
    sources: Sources,
}

impl Clone for Diagnostics {
    fn clone(&self) -> Self {
        Diagnostics {
            items: self.items.clone(),
            sources: self.sources.fork(),
        }
    }
}

impl Diagnostics {
    /// Sorted and deduplicated; `sources` must be frozen (every span points into it).
    pub(crate) fn new(found: super::Diagnostics, sources: Sources) -> Diagnostics {
        Diagnostics {
            items: found.into_sorted(),
            sources,
        }
    }

    /// Adds the diagnostics of another run (the other tree of `oam diff`), in order.
    pub fn append(&mut self, other: Diagnostics) {
        let mut theirs = super::Diagnostics::from(other.items);
        theirs.shift_files(self.sources.append(&other.sources));
        self.sources.freeze();
        let mut all = super::Diagnostics::from(std::mem::take(&mut self.items));
        all.extend(theirs);
        self.items = all.into_sorted();
    }

    /// Every diagnostic, resolved to files, lines and columns.
    pub fn to_vec(&self) -> Vec<Diagnostic> {
        let mut lines = LineIndex::default();
        self.items
            .iter()
            .map(|d| resolve(d, &self.sources, &mut lines))
            .collect()
    }

    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// How many are errors.
    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many there are, errors and warnings.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The diagnostics written in `format`. `colour` colours the human format with ANSI
    /// escapes; the other formats never are.
    pub fn report(&self, format: DiagnosticFormat, colour: bool) -> String {
        let mut out = Vec::new();
        // Writing into a Vec cannot fail, and every piece written is a whole `str`.
        let _ = self.write_report(format, colour, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes [`Diagnostics::report`] to `out` as it goes: each diagnostic is written once
    /// formed (a SARIF log, one JSON document, once whole), so that thousands of diagnostics
    /// are never held as one text.
    ///
    /// # Errors
    ///
    /// What writing to `out` returns.
    pub fn write_report(
        &self,
        format: DiagnosticFormat,
        colour: bool,
        out: &mut dyn io::Write,
    ) -> io::Result<()> {
        match format {
            DiagnosticFormat::Human => {
                let style = if colour {
                    ReportStyle::Colour
                } else {
                    ReportStyle::Plain
                };
                write_all(&self.items, &self.sources, style, out)
            }
            DiagnosticFormat::Json | DiagnosticFormat::Github => {
                let mut lines = LineIndex::default();
                for d in &self.items {
                    let d = resolve(d, &self.sources, &mut lines);
                    if format == DiagnosticFormat::Json {
                        // A struct of strings and numbers always serialises.
                        writeln!(out, "{}", serde_json::to_string(&d).unwrap_or_default())?;
                    } else {
                        out.write_all(github(&d).as_bytes())?;
                    }
                }
                Ok(())
            }
            DiagnosticFormat::Sarif => {
                // Rules are named after the codes' names in oam (`TraitConflict`).
                let names: BTreeMap<&str, String> = self
                    .items
                    .iter()
                    .map(|d| (d.code.as_str(), format!("{:?}", d.code)))
                    .collect();
                let log = sarif(&self.to_vec(), &names);
                serde_json::to_writer_pretty(&mut *out, &log)?;
                writeln!(out)
            }
        }
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report(DiagnosticFormat::Human, false))
    }
}

impl fmt::Debug for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Diagnostics {}

/// The place `span` is, as a primary label without text.
pub(crate) fn place(span: Span, sources: &Sources) -> Label {
    label(span, true, "", sources, &mut LineIndex::default())
}

fn label(span: Span, primary: bool, text: &str, sources: &Sources, lines: &mut LineIndex) -> Label {
    let file = sources.get(span.file);
    let (line, column) = lines.position(sources, span.file, span.start as usize);
    let (end_line, end_column) = lines.position(sources, span.file, span.end as usize);
    Label {
        file: printable(&file.name).into_owned(),
        user_file: file.in_tree,
        primary,
        text: printable(text).into_owned(),
        start: span.start as usize,
        end: span.end as usize,
        line,
        column,
        end_line,
        end_column,
    }
}

fn resolve(d: &super::Diagnostic, sources: &Sources, lines: &mut LineIndex) -> Diagnostic {
    let labels = d
        .primary
        .iter()
        .map(|l| (l, true))
        .chain(d.secondary.iter().map(|l| (l, false)))
        .map(|(l, primary)| label(l.span, primary, &l.text, sources, lines))
        .collect();
    Diagnostic {
        code: d.code.as_str(),
        severity: d.severity,
        message: printable(&d.message).into_owned(),
        help: d.help.as_deref().map(|h| printable(h).into_owned()),
        labels,
    }
}

/// The SARIF 2.1.0 log of one run. Places outside the user's files (the built-ins, a template's
/// output) have no location a code-scanning view could show, so they are left out of
/// `locations`; the message still names them.
fn sarif(diagnostics: &[Diagnostic], names: &BTreeMap<&str, String>) -> Value {
    // One rule per code, in code order; results refer to them by index.
    let index: HashMap<&str, usize> = names.keys().enumerate().map(|(i, c)| (*c, i)).collect();
    let rules: Vec<Value> = names
        .iter()
        .map(|(code, name)| json!({"id": code, "name": name}))
        .collect();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(help) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": match d.severity { Severity::Error => "error", Severity::Warning => "warning" },
                "message": {"text": text},
            });
            let shown = d.labels.iter().filter(|l| l.user_file);
            let (primary, related): (Vec<&Label>, Vec<&Label>) = shown.partition(|l| l.primary);
            if !primary.is_empty() {
                result["locations"] = primary.iter().map(|l| sarif_location(l, None)).collect();
            }
            if !related.is_empty() {
                result["relatedLocations"] = related
                    .iter()
                    .enumerate()
                    .map(|(id, l)| sarif_location(l, Some(id)))
                    .collect();
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "oam",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn sarif_location(label: &Label, id: Option<usize>) -> Value {
    let uri = if label.file.starts_with('/') {
        format!("file://{}", percent_encode(&label.file))
    } else {
        percent_encode(&label.file)
    };
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {
                "startLine": label.line,
                "startColumn": label.column,
                "endLine": label.end_line,
                "endColumn": label.end_column,
            },
        },
    });
    if !label.file.starts_with('/') {
        location["physicalLocation"]["artifactLocation"]["uriBaseId"] = json!("%SRCROOT%");
    }
    if let Some(id) = id {
        location["id"] = json!(id);
    }
    if !label.text.is_empty() {
        location["message"] = json!({"text": label.text});
    }
    location
}

/// A relative path as a URI reference: every byte but the unreserved characters and `/`
/// percent-encoded (RFC 3986).
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// One GitHub Actions workflow command: `::error file=…,line=…::message`, escaped as the
/// runner reads it (`%`, CR and LF in the message; also `:` and `,` in properties).
fn github(d: &Diagnostic) -> String {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = Vec::new();
    if let Some(at) = d.labels.iter().find(|l| l.primary && l.user_file) {
        properties.push(format!("file={}", github_property(&at.file)));
        properties.push(format!("line={}", at.line));
        properties.push(format!("col={}", at.column));
        properties.push(format!("endLine={}", at.end_line));
        properties.push(format!("endColumn={}", at.end_column));
    }
    properties.push(format!("title={}", github_property(d.code)));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}\n",
        properties.join(","),
        github_data(&message)
    )
}

fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{Diagnostic, Label, Severity, github, percent_encode};

    fn diagnostic(file: &str, message: &str) -> Diagnostic {
        Diagnostic {
            code: "oam::E021",
            severity: Severity::Error,
            message: message.to_owned(),
            help: Some("remove one".to_owned()),
            labels: vec![Label {
                file: file.to_owned(),
                user_file: true,
                primary: true,
                text: String::new(),
                start: 0,
                end: 1,
                line: 2,
                column: 3,
                end_line: 2,
                end_column: 4,
            }],
        }
    }

    #[test]
    fn github_commands_cannot_be_forged_by_input() {
        let line = github(&diagnostic(
            "apps/a,b:c%.yaml",
            "bad\n::error file=x::forged 100%",
        ));
        assert_eq!(
            line,
            "::error file=apps/a%2Cb%3Ac%25.yaml,line=2,col=3,endLine=2,endColumn=4,title=oam%3A%3AE021::bad%0A::error file=x::forged 100%25%0Ahelp: remove one\n"
        );
        assert_eq!(line.matches('\n').count(), 1);
    }

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            percent_encode("apps/my app#1.yaml"),
            "apps/my%20app%231.yaml"
        );
        assert_eq!(percent_encode("é.yaml"), "%C3%A9.yaml");
    }
}
