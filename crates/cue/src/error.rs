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
    /// A value that is not yet known (an unset field, an open choice), not a contradiction.
    pub incomplete: bool,
    /// A reference to an optional field that is not set (iterating over it yields nothing).
    pub(crate) unset_optional: bool,
}

impl Error {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> Self {
        Error {
            message: message.into(),
            spans: vec![span],
            path: String::new(),
            incomplete: false,
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
        Error {
            incomplete: true,
            ..Error::bare(message)
        }
    }

    pub(crate) fn with_span(mut self, span: Span) -> Self {
        if !self.spans.contains(&span) {
            self.spans.push(span);
        }
        self
    }
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
