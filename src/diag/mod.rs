//! Diagnostics: one type for the whole crate.
//! In: a code, a message and the span it points at, from any stage. Out: sorted reports (see
//! `report`). Stages push into a `Diagnostics` and never print; `run` prints them all at the end.

mod code;
pub(crate) mod export;
mod lines;
mod report;

pub(crate) use code::Code;

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::load::FileId;

/// A byte range in one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Span {
    pub(crate) file: FileId,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn new(file: FileId, start: u32, end: u32) -> Span {
        Span {
            file,
            start,
            end: end.max(start),
        }
    }
}

/// Whether a diagnostic fails the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The run fails: nothing is rendered or written.
    Error,
    /// Worth fixing; the run goes on (`--strict` makes it an error).
    Warning,
}

/// A span with a short text shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Label {
    pub(crate) span: Span,
    pub(crate) text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    pub(crate) code: Code,
    pub(crate) severity: Severity,
    pub(crate) message: String,
    /// `None` only for problems with no source text (an unreadable path, an output error).
    pub(crate) primary: Option<Label>,
    pub(crate) secondary: Vec<Label>,
    pub(crate) help: Option<String>,
}

impl Diagnostic {
    /// An error or a warning, as the code says.
    pub(crate) fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::unlocated(code, message).at(span, "")
    }

    /// A diagnostic that points at no source text.
    pub(crate) fn unlocated(code: Code, message: impl Into<String>) -> Diagnostic {
        let severity = if code.is_warning() {
            Severity::Warning
        } else {
            Severity::Error
        };
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            help: None,
        }
    }

    fn at(mut self, span: Span, text: &str) -> Diagnostic {
        self.primary = Some(Label {
            span,
            text: text.to_owned(),
        });
        self
    }

    /// The text beside the primary span.
    pub(crate) fn with_label_text(mut self, text: impl Into<String>) -> Diagnostic {
        if let Some(primary) = &mut self.primary {
            primary.text = text.into();
        }
        self
    }

    /// A second place that explains the first (the other trait of a conflict, say).
    pub(crate) fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    /// Labels the primary span "did you mean `x`?" with the closest of `candidates` to
    /// `wrong`, or with `otherwise` when none is close.
    pub(crate) fn with_suggestion<'a>(
        self,
        wrong: &str,
        candidates: impl IntoIterator<Item = &'a str>,
        otherwise: &str,
    ) -> Diagnostic {
        match did_you_mean(wrong, candidates) {
            Some(close) => self.with_label_text(format!("did you mean `{close}`?")),
            None => self.with_label_text(otherwise),
        }
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    fn sort_key(&self) -> (Option<Span>, Code, &str) {
        (
            self.primary.as_ref().map(|l| l.span),
            self.code,
            &self.message,
        )
    }
}

/// Everything a run found, errors and warnings.
#[derive(Clone, Debug, Default)]
pub(crate) struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Self {
        Diagnostics { items }
    }
}

impl Diagnostics {
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Takes over what another run of a stage found (a parallel worker's).
    pub(crate) fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Every label of every diagnostic, to point at files that moved.
    fn labels_mut(&mut self) -> impl Iterator<Item = &mut Label> {
        self.items
            .iter_mut()
            .flat_map(|d| d.primary.iter_mut().chain(d.secondary.iter_mut()))
    }

    /// Points every span at a file `by` ids later (its sources were appended to others).
    pub(crate) fn shift_files(&mut self, by: u32) {
        for label in self.labels_mut() {
            label.span.file.0 += by;
        }
    }

    /// Points spans in files that moved (a worker's own files, adopted) at their new ids.
    pub(crate) fn move_files(&mut self, moved: &[(FileId, FileId)]) {
        if moved.is_empty() {
            return;
        }
        for label in self.labels_mut() {
            if let Some((_, to)) = moved.iter().find(|(from, _)| *from == label.span.file) {
                label.span.file = *to;
            }
        }
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// How many errors so far: a step compares counts to tell whether it added any.
    pub(crate) fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// How many diagnostics so far, to `truncate` back to.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Drops what was found after the first `len`, for a budget whose one error replaces it.
    pub(crate) fn truncate(&mut self, len: usize) {
        self.items.truncate(len);
    }

    /// `--strict`: every warning becomes an error.
    pub(crate) fn promote_warnings(&mut self) {
        for d in &mut self.items {
            d.severity = Severity::Error;
        }
    }

    /// Deterministic order: by file, offset, code; duplicates (one rule reached twice) dropped.
    pub(crate) fn into_sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.items.dedup();
        self.items
    }
}

/// Whether `c` may not reach a terminal, a log or a comment line as it is: C0 and C1 controls
/// (line breaks and escape sequences), DEL, the Unicode line and paragraph separators, and the
/// bidirectional controls that reorder what a reader sees.
pub(crate) fn is_unsafe_char(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every character that could end a line or steer a terminal (controls, line and
/// paragraph separators, bidirectional overrides) written as a Rust escape (`\u{1b}`), so text
/// from untrusted input can be shown, logged or written into a comment safely.
///
/// ```
/// assert_eq!(oam::printable("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
/// ```
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Work one suggestion may do, in characters read and table cells computed. A name is weighed
/// against every name of its kind, so a hostile app of 20,000 unknown dependencies made 400
/// million comparisons of names (253 s); past this much, the closest name found so far stands.
/// It weighs about 600 names of 15 characters, more than real sets of components, definitions
/// or fields hold.
const SUGGESTION_WORK: usize = 50_000;

/// Did the user mean one of `candidates`? Picks the closest by edit distance, if close enough:
/// within a third of the longer name's length (at least one edit).
pub(crate) fn did_you_mean<'a>(
    wrong: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let wrong_lower: Vec<char> = wrong.to_ascii_lowercase().chars().collect();
    let wrong_counts = char_counts(&wrong_lower);
    let mut work = 0;
    let mut best: Option<(usize, &str)> = None;
    let mut candidate_lower: Vec<char> = Vec::new();
    for candidate in candidates {
        if work >= SUGGESTION_WORK {
            break;
        }
        let limit = (candidate.len().max(wrong.len()) / 3).max(1);
        candidate_lower.clear();
        candidate_lower.extend(candidate.chars().map(|c| c.to_ascii_lowercase()));
        work += candidate_lower.len() + COUNT_BUCKETS;
        // Each edit adds, removes or changes one character: names whose characters differ in
        // more than `limit` places are further apart than that, without the table.
        let mut counts = wrong_counts;
        for &c in &candidate_lower {
            counts[c as usize % COUNT_BUCKETS] -= 1;
        }
        let (only_wrong, only_candidate) = counts.iter().fold((0, 0), |(w, c), &n| {
            (w + n.max(0).unsigned_abs(), c + n.min(0).unsigned_abs())
        });
        if only_wrong.max(only_candidate) as usize > limit {
            continue;
        }
        let (distance, cells) = edit_distance_within(&wrong_lower, &candidate_lower, limit);
        work += cells;
        if let Some(distance) = distance {
            if best.is_none_or(|known| (distance, candidate) < known) {
                best = Some((distance, candidate));
            }
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Buckets of the character counts that rule names out before their table is computed:
/// characters share a bucket by their code modulo this, which can only make two names look
/// closer than they are, never further.
const COUNT_BUCKETS: usize = 64;

fn char_counts(name: &[char]) -> [i32; COUNT_BUCKETS] {
    let mut counts = [0; COUNT_BUCKETS];
    for &c in name {
        counts[c as usize % COUNT_BUCKETS] += 1;
    }
    counts
}

/// Optimal string alignment distance: insertions, deletions, substitutions, and swaps of two
/// neighbouring characters (`prots` is one edit from `ports`), each costing one.
#[cfg(test)]
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    edit_distance_within(&a, &b, usize::MAX)
        .0
        .unwrap_or(usize::MAX)
}

/// The optimal string alignment distance of `a` and `b` if it is at most `limit`, and the
/// cells of the table computed: it stops once two rows lie past `limit`, as every later row
/// then does.
fn edit_distance_within(a: &[char], b: &[char], limit: usize) -> (Option<usize>, usize) {
    // Three rows: two back (for the swap), the previous one, the current one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    let mut cells = b.len() + 1;
    let mut previous_past = false;
    for i in 1..=a.len() {
        current[0] = i;
        let mut row_min = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before[j - 2] + 1);
            }
            current[j] = best;
            row_min = row_min.min(best);
        }
        cells += b.len() + 1;
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
        let past = row_min > limit;
        if past && previous_past {
            return (None, cells);
        }
        previous_past = past;
    }
    let distance = previous[b.len()];
    ((distance <= limit).then_some(distance), cells)
}

#[cfg(test)]
mod tests {
    use super::{did_you_mean, is_unsafe_char, printable};

    #[test]
    fn printable_text_has_no_unsafe_character_left() {
        assert_eq!(printable("a\u{1b}]8;;x\u{7}b"), "a\\u{1b}]8;;x\\u{7}b");
        assert_eq!(printable("plain café"), "plain café");
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let text = format!("x{c}y");
            let shown = printable(&text);
            assert!(!shown.chars().any(is_unsafe_char), "{:x}", u32::from(c));
            // No YAML 1.1 or 1.2 line break survives, so a comment line cannot be ended.
            assert!(!shown.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}']));
        }
    }

    #[test]
    fn suggests_close_names_only() {
        let fields = ["parameterValues", "componentName", "traits"];
        assert_eq!(
            did_you_mean("parameterValue", fields),
            Some("parameterValues")
        );
        assert_eq!(did_you_mean("trait", fields), Some("traits"));
        assert_eq!(did_you_mean("replicas", fields), None);
    }

    /// A suggestion reads at most `SUGGESTION_WORK` names, however many there are, and the
    /// closest of those stands.
    #[test]
    fn a_suggestion_weighs_a_bounded_number_of_names() {
        let names: Vec<String> = (0..1_000_000).map(|i| format!("component-{i}")).collect();
        let mut read = 0;
        let found = did_you_mean(
            "component-1x",
            names.iter().map(|name| {
                read += 1;
                name.as_str()
            }),
        );
        assert_eq!(found, Some("component-1"));
        assert!(read < super::SUGGESTION_WORK / 10, "{read} names read");
    }

    #[test]
    fn swapped_letters_are_one_edit() {
        assert_eq!(super::edit_distance("prots", "ports"), 1);
        assert_eq!(super::edit_distance("imgae", "image"), 1);
        assert_eq!(super::edit_distance("portss", "ports"), 1);
        assert_eq!(super::edit_distance("", "abc"), 3);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
        assert_eq!(did_you_mean("imgae", ["image", "ports"]), Some("image"));
        assert_eq!(did_you_mean("prots", ["image", "ports"]), Some("ports"));
    }
}
