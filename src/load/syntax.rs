//! YAML syntax errors in oam's words. The parser reports where it gave up, which is often a line
//! after the mistake (an unclosed `[` shows up as a misplaced `:` on the next line), in its own
//! terms (`DuplicateKeyPolicy`, "block collection"). Here the common cases are named for what
//! the user wrote, pointing at the cause, with a fix that applies to it.

use serde_saphyr::budget::BudgetBreach;
use serde_saphyr::granit_parser::ErrorKind;
use serde_saphyr::{Error, ExternalMessageSource};

use super::source::offset_of;
use super::{Budgets, FileId};
use crate::diag::{Code, Diagnostic, Span};

/// The diagnostic for a parse error `error` at `span` of `text`.
pub(super) fn diagnostic(file: FileId, text: &str, error: &Error, budgets: &Budgets) -> Diagnostic {
    let raw = error.to_string();
    let message = strip_position(raw.trim());
    let span = error.location().map_or(Span::new(file, 0, 0), |l| {
        let start = offset_of(text, l.line(), l.column()) as u32;
        let end = text[start as usize..]
            .chars()
            .next()
            .map_or(start, |c| start + c.len_utf8() as u32);
        Span::new(file, start, end)
    });
    if let Some((what, help)) = budget_breach(error, budgets) {
        return Diagnostic::new(
            Code::InputBudget,
            span,
            format!("input exceeds a budget: {what}"),
        )
        .with_help(help);
    }
    if let Some(open) = unclosed_bracket(text, span.start as usize) {
        let (bracket, closer, what) = if text[open..].starts_with('[') {
            ('[', ']', "list")
        } else {
            ('{', '}', "mapping")
        };
        let at = Span::new(file, open as u32, open as u32 + 1);
        return Diagnostic::new(Code::YamlSyntax, at, format!("this `{bracket}` is never closed"))
            .with_label_text(format!("the flow {what} opens here"))
            .with_label(span, "the parser was still inside it here")
            .with_help(format!("close the {what} with `{closer}` on the line where it opens, or write it as a block {what} (one item a line)"));
    }
    let (what, help) = explain(&message);
    Diagnostic::new(Code::YamlSyntax, span, format!("invalid YAML: {what}")).with_help(help)
}

/// The budget the YAML reader stopped at, if it did, in oam's words, and the fix: the flag that
/// raises it, or for the reader's fixed limits on anchors and aliases, what to write instead.
fn budget_breach(error: &Error, budgets: &Budgets) -> Option<(String, String)> {
    let mut error = error;
    while let Error::WithSnippet { error: inner, .. } | Error::AliasError { error: inner, .. } =
        error
    {
        error = inner;
    }
    let raise =
        |flag: &str| format!("split the file, or raise the limit with {flag} if it is genuine");
    let aliases = || {
        "write the values out instead of through anchors and aliases, or split the file: the \
         YAML reader's limits on them guard against alias bombs"
            .to_owned()
    };
    Some(match error {
        Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => depth(budgets),
            BudgetBreach::Documents { .. } => (
                format!(
                    "more than {} YAML documents in one file",
                    budgets.max_documents
                ),
                raise("--max-documents"),
            ),
            BudgetBreach::Nodes { .. } | BudgetBreach::Events { .. } => (
                format!(
                    "more than {} YAML values (scalars, lists and mappings) in one file",
                    budgets.max_nodes
                ),
                raise("--max-nodes"),
            ),
            BudgetBreach::ScalarBytes { total_scalar_bytes } => (
                format!("the values of one file hold more than {total_scalar_bytes} bytes of text"),
                "split the file".to_owned(),
            ),
            BudgetBreach::Aliases { .. } => {
                ("too many YAML aliases in one file".to_owned(), aliases())
            }
            BudgetBreach::Anchors { .. } => {
                ("too many YAML anchors in one file".to_owned(), aliases())
            }
            BudgetBreach::MergeKeys { .. } => (
                "too many YAML merge keys (`<<`) in one file".to_owned(),
                aliases(),
            ),
            BudgetBreach::AliasAnchorRatio {
                aliases: used,
                anchors,
            } => (
                format!("{used} YAML aliases of only {anchors} anchors"),
                aliases(),
            ),
            BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => (
                "YAML anchors that hold too much to be copied by their aliases".to_owned(),
                aliases(),
            ),
            other => (format!("the YAML reader's limit: {other:?}"), aliases()),
        },
        Error::AliasReplayLimitExceeded { .. } => (
            format!(
                "YAML aliases replay more than {} events in one file (an alias bomb multiplies them)",
                budgets.max_alias_events
            ),
            raise("--max-alias-events"),
        ),
        Error::AliasExpansionLimitExceeded { .. }
        | Error::AliasReplayStackDepthExceeded { .. }
        | Error::AliasReplayCounterOverflow { .. } => (
            "YAML aliases nested or repeated beyond the YAML reader's limits".to_owned(),
            aliases(),
        ),
        Error::ExternalMessage { source, .. }
            if matches!(&**source, ExternalMessageSource::Parser(scan)
                if matches!(scan.kind(), ErrorKind::RecursionLimitExceeded)) =>
        {
            depth(budgets)
        }
        _ => return None,
    })
}

/// Nesting beyond `--max-depth`.
fn depth(budgets: &Budgets) -> (String, String) {
    (
        format!(
            "lists and mappings nested more than {} levels deep",
            budgets.max_depth
        ),
        if budgets.max_depth < crate::Budgets::MAX_DEPTH {
            format!(
                "flatten the value, or raise the limit with --max-depth (at most {}) if the file is genuine",
                crate::Budgets::MAX_DEPTH
            )
        } else {
            "flatten the value: no genuine manifest nests this deep".to_owned()
        },
    )
}

/// The parser's message in oam's words, and the fix.
fn explain(message: &str) -> (String, &'static str) {
    let cases: &[(&str, &str, &str)] = &[
        (
            "tabs disallowed",
            "a tab is used for indentation",
            "indent with spaces: YAML does not allow tabs for indentation",
        ),
        (
            "did not find expected '-' indicator",
            "this line is indented differently from the list items above it",
            "line it up with the keys of the list item it belongs to, or start a new item with `- `",
        ),
        (
            "did not find expected key",
            "this line is indented differently from the keys of its mapping",
            "line the key up with the other keys of the mapping it belongs to",
        ),
        (
            "mapping values are not allowed",
            "a `:` here would start a mapping where none can start",
            "quote the value if the colon is part of the text (`\"a: b\"`), or fix the indentation",
        ),
        (
            "illegal placement of ':' indicator",
            "a `:` here would start a mapping where none can start",
            "quote the value if the colon is part of the text (`\"a: b\"`), or fix the indentation",
        ),
        (
            "cannot start any token",
            "a plain value cannot start with this character",
            "quote the value (`\"@value\"`)",
        ),
        (
            "unknown anchor",
            "an alias names an anchor that is not defined before it",
            "define the anchor (`&name`) before the alias (`*name`), in the same document",
        ),
        (
            "did not find expected ',' or",
            "a flow collection is missing a `,` between two items",
            "separate the items with `,`",
        ),
        (
            "mismatched bracket",
            "a bracket is closed by the other kind (`[` by `}`, or `{` by `]`)",
            "close `[` with `]` and `{` with `}`",
        ),
        (
            "unexpected end",
            "the document ends in the middle of a value",
            "close what is open (a quote, a bracket) before the end of the document",
        ),
    ];
    for (needle, what, help) in cases {
        if message.contains(needle) {
            return ((*what).to_owned(), help);
        }
    }
    (message.to_owned(), "fix the YAML syntax at this position")
}

/// serde-saphyr writes `error: line N column M: ` before, and ` at line N, column M` after, its
/// message; the span shows both.
fn strip_position(message: &str) -> String {
    let mut message = message.strip_prefix("error: ").unwrap_or(message);
    if let Some(rest) = message.strip_prefix("line ") {
        if let Some((_, after)) = rest.split_once(": ") {
            message = after;
        }
    }
    let trailing = message.rfind(" at line ").filter(|&at| {
        message[at + " at line ".len()..]
            .split(", column ")
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    });
    message[..trailing.unwrap_or(message.len())].to_owned()
}

/// The offset of a flow `[` or `{` that is still open at `error`, if it opened on an earlier
/// line: the parser noticed only where the next line made no sense. Quotes and comments are
/// skipped; a bracket inside a plain scalar outside any flow collection is text, not a bracket.
fn unclosed_bracket(text: &str, error: usize) -> Option<usize> {
    let error = error.min(text.len());
    let mut open: Vec<usize> = Vec::new();
    let mut chars = text[..error].char_indices().peekable();
    let mut previous = '\n';
    while let Some((at, c)) = chars.next() {
        match c {
            '"' | '\'' if starts_value(previous) || !open.is_empty() => {
                // Skip the quoted text (a `''` inside single quotes, `\"` inside double).
                while let Some((_, q)) = chars.next() {
                    if q == '\\' && c == '"' {
                        chars.next();
                    } else if q == c {
                        if c == '\'' && chars.peek().is_some_and(|&(_, n)| n == '\'') {
                            chars.next();
                            continue;
                        }
                        break;
                    }
                }
            }
            '#' if previous.is_whitespace() => {
                while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                    chars.next();
                }
            }
            '[' | '{' if starts_value(previous) || !open.is_empty() => open.push(at),
            ']' | '}' if !open.is_empty() => {
                open.pop();
            }
            '-' if previous == '\n' && text[at..].starts_with("---") => open.clear(),
            _ => {}
        }
        previous = c;
    }
    let last = *open.last()?;
    text[last..error].contains('\n').then_some(last)
}

/// Whether a value may start after `previous` (a `[` after a space or `:` opens a collection;
/// `a[0]` is text).
fn starts_value(previous: char) -> bool {
    previous.is_whitespace() || matches!(previous, ':' | '-' | ',' | '[' | '{')
}

#[cfg(test)]
mod tests {
    use super::unclosed_bracket;

    #[test]
    fn finds_the_bracket_left_open() {
        let text = "data: [1, 2\nother: x\n";
        assert_eq!(
            unclosed_bracket(text, text.find("other").unwrap() + 5),
            Some(6)
        );
        let closed = "data: [1, 2]\nother: [x\n";
        assert_eq!(unclosed_bracket(closed, closed.len()), Some(20));
        let quoted = "a: \"[\"\nb: 'it''s ['\nc: x # [ comment\nd: e\n";
        assert_eq!(unclosed_bracket(quoted, quoted.len()), None);
        let plain = "path: a[0]\nnext: b\n";
        assert_eq!(unclosed_bracket(plain, plain.len()), None);
        let same_line = "a: [1, 2 x";
        assert_eq!(unclosed_bracket(same_line, same_line.len()), None);
    }
}
