//! The one place diagnostics meet miette. Spans become miette source spans only here, at report
//! time. miette shows one source per diagnostic, so a label in another file (the definition a
//! trait conflicts with, say) becomes a related diagnostic with its own snippet.

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan, ThemeCharacters,
    ThemeStyles,
};

use super::{Diagnostic, Label, Severity};
use crate::load::Sources;

/// How reports look: plain for files and tests, coloured for a terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportStyle {
    Plain,
    Colour,
}

/// Renders every diagnostic, in order, then a one-line summary.
pub(crate) fn render_all(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    style: ReportStyle,
) -> String {
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
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report::new(diagnostic, sources);
        // Writing into a String cannot fail.
        let _ = handler.render_report(&mut out, &report);
    }
    let errors = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        out.push_str(&summary(errors, warnings));
        out.push('\n');
    }
    out
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
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl Report {
    fn new(diagnostic: &Diagnostic, sources: &Sources) -> Report {
        let severity = match diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        };
        let mut report = Report {
            code: diagnostic.code.as_str(),
            severity,
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
            source: None,
            labels: Vec::new(),
            related: Vec::new(),
        };
        let Some(primary) = &diagnostic.primary else {
            return report;
        };
        report.source = Some(named_source(primary, sources));
        report.labels.push(labeled(primary, true));
        for label in &diagnostic.secondary {
            if label.span.file == primary.span.file {
                report.labels.push(labeled(label, false));
            } else {
                report.related.push(Report {
                    code: "",
                    severity: miette::Severity::Advice,
                    message: label.text.clone(),
                    help: None,
                    source: Some(named_source(label, sources)),
                    labels: vec![labeled(
                        &Label {
                            span: label.span,
                            text: String::new(),
                        },
                        true,
                    )],
                    related: Vec::new(),
                });
            }
        }
        report
    }
}

fn named_source(label: &Label, sources: &Sources) -> NamedSource<String> {
    let file = sources.get(label.span.file);
    NamedSource::new(file.name.clone(), file.text.clone()).with_language("yaml")
}

fn labeled(label: &Label, primary: bool) -> LabeledSpan {
    let len = (label.span.end - label.span.start) as usize;
    let span = SourceSpan::new((label.span.start as usize).into(), len);
    let text = (!label.text.is_empty()).then(|| label.text.clone());
    if primary {
        LabeledSpan::new_primary_with_span(text, span)
    } else {
        LabeledSpan::new_with_span(text, span)
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
