//! The one place diagnostics meet miette. Spans become miette source spans only here, at report
//! time. miette shows one source per diagnostic, so a label in another file (the definition a
//! trait conflicts with, say) becomes a related diagnostic with its own snippet.

use std::fmt;
use std::io;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents, ThemeCharacters, ThemeStyles,
};

use super::lines::LineIndex;
use super::{Diagnostic, Label, Severity, Span, is_unsafe_char, printable};
use crate::load::{FileId, Sources};

/// A line longer than this many characters is shown as a window around its label: miette cannot
/// draw past column 65,535, and nobody reads a minified 100 KB line in a terminal.
const MAX_LINE_CHARS: usize = 240;
/// Characters of a clipped line shown before the label.
const WINDOW_BEFORE: usize = 80;
/// Lines kept around each label (miette shows fewer as context).
const CONTEXT_LINES: usize = 3;
/// Lines between two labels that are shown rather than left empty.
const MAX_GAP_LINES: usize = 200;
/// A label spanning more lines than this is shown on its first line only.
const MAX_LABEL_LINES: usize = 40;

/// How reports look: plain for files and tests, coloured for a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportStyle {
    Plain,
    Colour,
}

/// Writes the human report of `diagnostics` to `out`, one diagnostic at a time, so that a run
/// with many diagnostics never holds its whole report.
pub(crate) fn write_all(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    style: ReportStyle,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    let theme = match style {
        ReportStyle::Plain => GraphicalTheme::unicode_nocolor(),
        ReportStyle::Colour => GraphicalTheme {
            characters: ThemeCharacters::unicode(),
            styles: ThemeStyles::ansi(),
        },
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(80)
        .with_links(false);
    let mut text = String::new();
    let mut lines = LineIndex::default();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, sources, &mut lines);
        text.clear();
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut text, &report);
        out.write_all(text.as_bytes())?;
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        writeln!(out, "{}", summary(errors, warnings))?;
    }
    Ok(())
}

fn summary(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, w) => plural(w, "warning"),
        (e, 0) => plural(e, "error"),
        (e, w) => format!("{}, {}", plural(e, "error"), plural(w, "warning")),
    }
}

struct Report {
    code: &'static str,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    source: Option<ExcerptSource>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &Diagnostic, sources: &Sources, lines: &mut LineIndex) -> Report {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut report = Report {
            code: diagnostic.code.as_str(),
            severity,
            message: printable(&diagnostic.message).into_owned(),
            help: diagnostic
                .help
                .as_deref()
                .map(|h| printable(h).into_owned()),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let Some(primary) = &diagnostic.primary else {
            return report;
        };
        let in_file = |file: FileId| {
            std::iter::once(primary)
                .chain(&diagnostic.secondary)
                .filter(move |l| l.span.file == file)
                .map(|l| l.span)
        };
        let excerpt = Excerpt::new(
            sources,
            lines,
            primary.span.file,
            in_file(primary.span.file),
        );
        report.labels.push(excerpt.labeled(primary, true));
        for label in &diagnostic.secondary {
            if label.span.file == primary.span.file {
                report.labels.push(excerpt.labeled(label, false));
            } else {
                let other = Excerpt::new(sources, lines, label.span.file, in_file(label.span.file));
                let unlabelled = Label {
                    span: label.span,
                    text: String::new(),
                };
                report.related.push(Report {
                    code: "",
                    severity: miette::Severity::Advice,
                    message: printable(&label.text).into_owned(),
                    help: None,
                    labels: vec![other.labeled(&unlabelled, true)],
                    source: Some(other.source),
                    related: Vec::new(),
                });
            }
        }
        report.source = Some(excerpt.source);
        report
    }
}

/// What miette is shown of one file: the lines near the labels, with unsafe characters escaped
/// and long lines clipped to a window around the label, in runs that each know the line of the
/// file they start at; nothing else of the file is copied, so a diagnostic costs the lines it
/// shows, not the file's size. Label offsets are mapped into it.
struct Excerpt {
    source: ExcerptSource,
    /// Original offset → offset in the excerpt, for every label boundary.
    offsets: Vec<(u32, u32)>,
    /// Each label's span and the range it is shown with (within the file; see `clip_end`).
    ends: Vec<(Span, u32, u32)>,
}

impl Excerpt {
    fn new(
        sources: &Sources,
        lines: &mut LineIndex,
        file_id: FileId,
        spans: impl Iterator<Item = Span>,
    ) -> Excerpt {
        let file = sources.get(file_id);
        let text = file.text.as_str();
        let mut boundaries: Vec<u32> = Vec::new();
        let mut kept: Vec<(usize, usize)> = Vec::new();
        let mut ends = Vec::new();
        for span in spans {
            let start = (span.start as usize).min(text.len());
            let first = lines.line(sources, file_id, start);
            let end = clip_end(
                text,
                lines,
                sources,
                file_id,
                (start, first),
                span.end as usize,
            );
            boundaries.extend([start as u32, end as u32]);
            ends.push((span, start as u32, end as u32));
            kept.push((
                first.saturating_sub(CONTEXT_LINES),
                lines.line(sources, file_id, end) + CONTEXT_LINES,
            ));
        }
        boundaries.sort_unstable();
        boundaries.dedup();
        // miette may show every line between two labels of one snippet: keep the gaps too, unless
        // they are long.
        kept.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (from, to) in kept {
            match merged.last_mut() {
                Some(last) if from <= last.1 + MAX_GAP_LINES => last.1 = last.1.max(to),
                _ => merged.push((from, to)),
            }
        }
        let count = lines.count(sources, file_id);
        let mut shown = String::new();
        let mut offsets = Vec::with_capacity(boundaries.len());
        let mut runs = Vec::with_capacity(merged.len());
        let mut pending = 0;
        for (from, to) in merged {
            runs.push((shown.len(), from));
            let Some(mut line_start) = lines.line_start(sources, file_id, from) else {
                continue;
            };
            for line in from..=to.min(count - 1) {
                let line_end = lines.line_end(sources, file_id, line, line_start);
                let first = pending;
                while boundaries
                    .get(pending)
                    .is_some_and(|&b| (b as usize) < line_end)
                {
                    pending += 1;
                }
                let inside = &boundaries[first..pending];
                show_line(
                    &text[line_start..line_end],
                    line_start,
                    inside,
                    &mut shown,
                    &mut offsets,
                );
                line_start = line_end;
            }
        }
        for &b in &boundaries[pending..] {
            offsets.push((b, shown.len() as u32));
        }
        let columns = offsets
            .iter()
            .map(|&(from, to)| {
                let column = lines.position(sources, file_id, from as usize).1 - 1;
                (to as usize, column)
            })
            .collect();
        Excerpt {
            source: ExcerptSource {
                name: printable(&file.name).into_owned(),
                text: shown,
                runs,
                columns,
            },
            offsets,
            ends,
        }
    }

    fn map(&self, offset: u32) -> usize {
        self.offsets
            .iter()
            .find(|(from, _)| *from == offset)
            .map_or(0, |(_, to)| *to as usize)
    }

    fn labeled(&self, label: &Label, primary: bool) -> LabeledSpan {
        let (start, end) = self
            .ends
            .iter()
            .find(|(span, _, _)| *span == label.span)
            .map_or((label.span.start, label.span.end), |&(_, start, end)| {
                (start, end)
            });
        let start_shown = self.map(start);
        let end_shown = self.map(end).max(start_shown);
        let span = SourceSpan::new(start_shown.into(), end_shown - start_shown);
        let text = (!label.text.is_empty()).then(|| printable(&label.text).into_owned());
        if primary {
            LabeledSpan::new_primary_with_span(text, span)
        } else {
            LabeledSpan::new_with_span(text, span)
        }
    }
}

/// The text miette draws, with the true column of each label start for the `file:line:column`
/// header (the excerpt's own columns are shifted by clipping and escapes).
struct ExcerptSource {
    name: String,
    text: String,
    /// Where each run of lines starts in `text`, and the 0-based line of the file it starts at.
    runs: Vec<(usize, usize)>,
    /// Offset in `text` → 0-based column in the original line, in characters.
    columns: Vec<(usize, usize)>,
}

impl SourceCode for ExcerptSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // The run the span starts in; a span reaching past it (two labels far apart, which
        // miette tries to show as one snippet) is out of bounds, and shown as two.
        let run = self
            .runs
            .partition_point(|&(start, _)| start <= span.offset())
            .saturating_sub(1);
        let (run_start, first_line) = self.runs.get(run).copied().unwrap_or((0, 0));
        let run_end = self
            .runs
            .get(run + 1)
            .map_or(self.text.len(), |&(start, _)| start);
        let text = self
            .text
            .get(run_start..run_end)
            .ok_or(MietteError::OutOfBounds)?;
        let local = SourceSpan::new(span.offset().saturating_sub(run_start).into(), span.len());
        let inner = text.read_span(&local, before, after)?;
        let column = self
            .columns
            .iter()
            .find(|(at, _)| before == 0 && after == 0 && *at == span.offset())
            .map_or(inner.column(), |&(_, column)| column);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(
                (inner.span().offset() + run_start).into(),
                inner.span().len(),
            ),
            inner.line() + first_line,
            column,
            // miette's count runs from the start of the source, and decides with it whether two
            // labels share a snippet.
            inner.line_count() + first_line,
        )))
    }
}

/// A label's end, moved back to the end of its first line (`first`, where `start` is) when it
/// spans too many lines.
fn clip_end(
    text: &str,
    lines: &mut LineIndex,
    sources: &Sources,
    file: FileId,
    (start, first): (usize, usize),
    end: usize,
) -> usize {
    let end = end.min(text.len());
    if end <= start || lines.line(sources, file, end) - first <= MAX_LABEL_LINES {
        return end;
    }
    // The line break that ends the first line.
    lines
        .line_start(sources, file, first + 1)
        .map_or(end, |next| next - 1)
}

/// Appends one line as shown (escaped, clipped to a window around its first boundary) and
/// records where each boundary in it lands.
fn show_line(
    line: &str,
    line_start: usize,
    boundaries: &[u32],
    shown: &mut String,
    offsets: &mut Vec<(u32, u32)>,
) {
    let (body, newline) = match line.strip_suffix('\n') {
        Some(body) => (body.strip_suffix('\r').unwrap_or(body), "\n"),
        None => (line, ""),
    };
    let anchor = boundaries
        .first()
        .map_or(0, |&b| (b as usize).saturating_sub(line_start));
    let (from, to) = window(body, anchor);
    let window_start = from + line_start;
    if from > 0 {
        shown.push('…');
    }
    let mut pending = boundaries.iter().copied().peekable();
    while let Some(&b) = pending.peek() {
        if b as usize > window_start {
            break;
        }
        offsets.push((b, shown.len() as u32));
        pending.next();
    }
    for (i, c) in body[from..to].char_indices() {
        let at = from + i + line_start;
        while let Some(&b) = pending.peek() {
            if b as usize > at {
                break;
            }
            offsets.push((b, shown.len() as u32));
            pending.next();
        }
        if c != '\t' && is_unsafe_char(c) {
            shown.push_str(&printable(c.encode_utf8(&mut [0; 4])));
        } else {
            shown.push(c);
        }
    }
    for b in pending {
        offsets.push((b, shown.len() as u32));
    }
    if to < body.len() {
        shown.push('…');
    }
    shown.push_str(newline);
}

/// The bytes of `body` shown: all of it if it holds at most `MAX_LINE_CHARS` characters, else
/// that many from `WINDOW_BEFORE` characters before the one at byte `anchor` (moved back where
/// they would run past the end). Only the window is walked, so that each of many labels on a
/// long line costs its window, not the line.
fn window(body: &str, anchor: usize) -> (usize, usize) {
    if body.len() <= MAX_LINE_CHARS {
        return (0, body.len());
    }
    let mut anchor = anchor.min(body.len());
    while !body.is_char_boundary(anchor) {
        anchor += 1;
    }
    let from = body[..anchor]
        .char_indices()
        .rev()
        .nth(WINDOW_BEFORE - 1)
        .map_or(0, |(i, _)| i);
    match body[from..].char_indices().nth(MAX_LINE_CHARS) {
        Some((i, _)) => (from, from + i),
        // Fewer than `MAX_LINE_CHARS` characters from `from` on: the last ones, or all.
        None => (
            body.char_indices()
                .rev()
                .nth(MAX_LINE_CHARS - 1)
                .map_or(0, |(i, _)| i),
            body.len(),
        ),
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.code.is_empty()).then(|| Box::new(self.code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        (!self.labels.is_empty()).then(|| Box::new(self.labels.iter().cloned()) as Box<_>)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        (!self.related.is_empty())
            .then(|| Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)) as Box<_>)
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::{
        Excerpt, LineIndex, MAX_LINE_CHARS, ReportStyle, WINDOW_BEFORE, window, write_all,
    };
    use crate::diag::{Code, Diagnostic, Span};
    use crate::load::Sources;

    /// A diagnostic costs the lines it shows, not the size of its file: its excerpt holds a
    /// few lines of a 100,000-line file, and still gives their true numbers. (Every diagnostic
    /// copied or scanned its whole file: 20,000 errors in one 3.9 MB file took 126 s to
    /// report, 1.1 s now.)
    #[test]
    fn an_excerpt_holds_the_lines_it_shows() {
        let mut sources = Sources::default();
        let text = (0..100_000).fold(String::new(), |mut text, i| {
            let _ = writeln!(text, "line{i}: x");
            text
        });
        let at = text.find("line99990:").expect("the line") as u32;
        let first = text.find("line5:").expect("the line") as u32;
        let file = sources.add("big.yaml".to_owned(), text, true);
        let (label, far) = (
            Span::new(file, at, at + 9),
            Span::new(file, first, first + 5),
        );
        let excerpt = Excerpt::new(
            &sources,
            &mut LineIndex::default(),
            file,
            [label, far].into_iter(),
        );
        assert!(excerpt.source.text.len() < 300, "{}", excerpt.source.text);
        let diagnostic = Diagnostic::new(Code::DuplicateName, label, "a second one")
            .with_label(far, "first here");
        let mut report = Vec::new();
        write_all(&[diagnostic], &sources, ReportStyle::Plain, &mut report).expect("written");
        let report = String::from_utf8(report).expect("UTF-8");
        assert!(report.contains("[big.yaml:99991:1]"), "{report}");
        assert!(report.contains("99991 │ line99990: x"), "{report}");
        assert!(report.contains("6 │ line5: x"), "{report}");
    }

    /// The window of a long line, found by walking only the window, is the window counted over
    /// all of the line's characters: lines of one, two, three and four-byte characters, of
    /// about the window's length and far longer, with the anchor at every kind of place.
    #[test]
    fn a_window_is_found_without_reading_the_line() {
        let counted = |body: &str, anchor: usize| {
            let chars: Vec<usize> = body.char_indices().map(|(i, _)| i).collect();
            if chars.len() <= MAX_LINE_CHARS {
                return (0, body.len());
            }
            let at = chars.partition_point(|&i| i < anchor);
            let to = (at.saturating_sub(WINDOW_BEFORE) + MAX_LINE_CHARS).min(chars.len());
            let byte = |index: usize| chars.get(index).copied().unwrap_or(body.len());
            (byte(to - MAX_LINE_CHARS), byte(to))
        };
        for unit in ["x", "é", "€", "𝄞", "aé€𝄞"] {
            for count in [1, 59, 60, 61, 239, 240, 241, 300, 5_000] {
                let body = unit.repeat(count);
                for anchor in (0..=body.len() + 2).step_by(7).chain([body.len()]) {
                    assert_eq!(
                        window(&body, anchor),
                        counted(&body, anchor),
                        "{unit} × {count} at {anchor}"
                    );
                }
            }
        }
    }
}
