//! Errors of parsing and evaluation: a message and the source spans it concerns.

use std::fmt;

/// A byte range of one source file, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset after the last byte.
    pub end: u32,
    /// Which source of an evaluation the span is in (the order sources were added, from 0).
    pub source: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
            source: 0,
        }
    }

    pub(crate) fn in_source(self, source: u32) -> Self {
        Span { source, ..self }
    }
}

/// What went wrong, where; `spans` names every side of a conflict (the first is the main one).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// What went wrong, without location.
    pub message: String,
    /// The places concerned, most relevant first; may be empty for values built in code.
    pub spans: Vec<Span>,
    /// The field path the error is at (`template.output.spec`), empty at the top.
    pub path: String,
    /// What kind of problem it is.
    pub kind: ErrorKind,
    /// A reference to an optional field that is not set (iterating over it yields nothing).
    pub(crate) unset_optional: bool,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> Self {
        Error {
            message: message.into(),
            spans: vec![span],
            path: String::new(),
            kind: ErrorKind::Conflict,
            unset_optional: false,
        }
    }

    pub(crate) fn bare(message: impl Into<String>) -> Self {
        Error {
            spans: Vec::new(),
            ..Error::new(message, Span::default())
        }
    }

    pub(crate) fn incomplete(message: impl Into<String>) -> Self {
        Error::bare(message).of_kind(ErrorKind::Incomplete)
    }

    pub(crate) fn of_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// The error with one more span (a second side of the problem).
    pub(crate) fn with_span(mut self, span: Span) -> Self {
        if !self.spans.contains(&span) {
            self.spans.push(span);
        }
        self
    }

    /// A value not yet known (an unset field, an open choice), not a contradiction.
    pub fn is_incomplete(&self) -> bool {
        self.kind == ErrorKind::Incomplete
    }
}

/// Kinds of errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not CUE.
    Syntax,
    /// Values contradict each other (`conflicting values 80 and "80"`), a constraint fails,
    /// or an operation is invalid.
    Conflict,
    /// A value is not known: a field is not set, a choice is left open.
    Incomplete,
    /// A function of the standard library refused its argument (text that is not JSON, a
    /// pattern that does not compile, an argument of another type).
    Function,
    /// A construct or function this evaluator does not implement.
    Unsupported,
    /// The evaluation went past its budget.
    Budget,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for Error {}
