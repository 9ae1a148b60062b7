//! Where lines start in the input files, found once per file for all the diagnostics of a run:
//! a hostile file with many diagnostics must not be scanned once per diagnostic.
//!
//! Only some places are kept, with their line and column: a line start at least every
//! [`MARK_LINES`] lines, and a place at least every [`MARK_BYTES`] bytes, inside a line too.
//! Every line start would cost 8 bytes a line, kept until the report ends (a file of line
//! breaks with one diagnostic took 8 times its size); kept this way a file costs at most a
//! fifth of its size, and every lookup scans at most the stretch between two kept places, so
//! that thousands of diagnostics on one long line do not each count its characters.

use std::collections::HashMap;

use crate::load::{FileId, Sources};

/// Lines between two kept line starts, at most.
const MARK_LINES: usize = 128;
/// Bytes between two kept places, at most (and up to three more, to reach a character's start).
const MARK_BYTES: usize = 4096;
/// Bytes after a line's start searched for its end before asking the kept places.
const NEAR_END: usize = 1024;

#[derive(Default)]
pub(super) struct LineIndex {
    files: HashMap<FileId, FileLines>,
}

/// A kept place: a byte offset (a character's start), its 0-based line and its 0-based column
/// in characters.
#[derive(Clone, Copy)]
struct Mark {
    offset: usize,
    line: usize,
    column: usize,
}

struct FileLines {
    /// Ascending; the first is the file's start.
    marks: Vec<Mark>,
    /// Lines with text: a final line break starts no line.
    count: usize,
}

impl FileLines {
    fn new(text: &str) -> FileLines {
        let mut marks = vec![Mark {
            offset: 0,
            line: 0,
            column: 0,
        }];
        let (mut line, mut line_start) = (0, 0);
        let breaks = text.match_indices('\n').map(|(at, _)| at);
        for end in breaks.chain(std::iter::once(text.len())) {
            mark_within(text, &mut marks, line, line_start, end);
            (line, line_start) = (line + 1, end + 1);
            let last = marks[marks.len() - 1];
            if line_start <= text.len()
                && (line - last.line >= MARK_LINES || line_start - last.offset >= MARK_BYTES)
            {
                marks.push(Mark {
                    offset: line_start,
                    line,
                    column: 0,
                });
            }
        }
        let breaks = line - 1;
        let count = if text.is_empty() || text.ends_with('\n') {
            breaks
        } else {
            breaks + 1
        };
        FileLines { marks, count }
    }

    /// The last kept place at or before `offset`.
    fn mark_before(&self, offset: usize) -> Mark {
        self.marks[self.marks.partition_point(|mark| mark.offset <= offset) - 1]
    }
}

/// Keeps a place every `MARK_BYTES` bytes of line `line` (starting at `line_start`, ending at
/// `end`) where the line runs that far past the last kept place.
fn mark_within(text: &str, marks: &mut Vec<Mark>, line: usize, line_start: usize, end: usize) {
    loop {
        let last = marks[marks.len() - 1];
        let mut at = last.offset + MARK_BYTES;
        while at < end && !text.is_char_boundary(at) {
            at += 1;
        }
        if at >= end {
            return;
        }
        let column = if last.line == line {
            last.column + text[last.offset..at].chars().count()
        } else {
            text[line_start..at].chars().count()
        };
        marks.push(Mark {
            offset: at,
            line,
            column,
        });
    }
}

/// The offsets just after each line break of `bytes`, `base` added.
fn line_starts(bytes: &[u8], base: usize) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(move |(at, _)| base + at + 1)
}

impl LineIndex {
    fn file(&mut self, sources: &Sources, file: FileId) -> &FileLines {
        self.files
            .entry(file)
            .or_insert_with(|| FileLines::new(sources.get(file).text.as_str()))
    }

    /// How many lines of `file` hold text: a final line break starts no line.
    pub(super) fn count(&mut self, sources: &Sources, file: FileId) -> usize {
        self.file(sources, file).count
    }

    /// The byte offset 0-based `line` of `file` starts at, if the file has that line.
    pub(super) fn line_start(
        &mut self,
        sources: &Sources,
        file: FileId,
        line: usize,
    ) -> Option<usize> {
        let lines = self.file(sources, file);
        if line >= lines.count {
            return None;
        }
        // The last place at or before the line's start: its own start, or a place of a line
        // before it.
        let before = lines
            .marks
            .partition_point(|mark| (mark.line, mark.column) <= (line, 0));
        let mark = lines.marks[before - 1];
        let bytes = sources.get(file).text.as_bytes();
        Some(if mark.line == line {
            mark.offset
        } else {
            line_starts(&bytes[mark.offset..], mark.offset)
                .nth(line - mark.line - 1)
                .unwrap_or(bytes.len())
        })
    }

    /// The offset just past 0-based `line` of `file` (its line break included), which starts at
    /// `start`: a short line's end is found nearby, a long one's from the kept places.
    pub(super) fn line_end(
        &mut self,
        sources: &Sources,
        file: FileId,
        line: usize,
        start: usize,
    ) -> usize {
        let bytes = sources.get(file).text.as_bytes();
        let near = bytes.len().min(start + NEAR_END);
        match bytes[start..near].iter().position(|&b| b == b'\n') {
            Some(at) => start + at + 1,
            None => self
                .line_start(sources, file, line + 1)
                .unwrap_or(bytes.len()),
        }
    }

    /// 0-based line of byte `offset` of `file`.
    pub(super) fn line(&mut self, sources: &Sources, file: FileId, offset: usize) -> usize {
        let lines = self.file(sources, file);
        let bytes = sources.get(file).text.as_bytes();
        let offset = offset.min(bytes.len());
        let mark = lines.mark_before(offset);
        mark.line + line_starts(&bytes[mark.offset..offset], 0).count()
    }

    /// 1-based line and character column of byte `offset` of `file`.
    pub(super) fn position(
        &mut self,
        sources: &Sources,
        file: FileId,
        offset: usize,
    ) -> (usize, usize) {
        let text = sources.get(file).text.as_str();
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let mark = self.file(sources, file).mark_before(offset);
        let stretch = &text[mark.offset..offset];
        let (line, column) = match stretch.rfind('\n') {
            None => (mark.line, mark.column + stretch.chars().count()),
            Some(at) => (
                mark.line + line_starts(stretch.as_bytes(), 0).count(),
                stretch[at + 1..].chars().count(),
            ),
        };
        (line + 1, column + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{LineIndex, MARK_BYTES, MARK_LINES};
    use crate::load::Sources;

    /// Every line start, and every offset's line and column, against a plain scan of the text,
    /// on texts whose places are kept by count of lines, by bytes between lines and within
    /// long lines, with characters of several bytes across the kept places.
    #[test]
    fn kept_places_find_every_line_and_column() {
        let texts = [
            String::new(),
            "\n".to_owned(),
            "a".to_owned(),
            "\n".repeat(3 * MARK_LINES + 5),
            format!("{}\nend", "x".repeat(3 * MARK_BYTES)),
            format!(
                "a\n{}\n\n{}",
                "é€𝄞x".repeat(MARK_BYTES),
                "y".repeat(MARK_BYTES)
            ),
            (0..1000).fold(String::new(), |text, i| {
                text + &"é".repeat(i % 97) + if i % 3 == 0 { "\n" } else { "\n\n" }
            }),
        ];
        for text in texts {
            let mut sources = Sources::default();
            let file = sources.add("f.yaml".to_owned(), text.clone(), true);
            let starts: Vec<usize> = std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .filter(|&start| start < text.len())
                .collect();
            let mut lines = LineIndex::default();
            assert_eq!(lines.count(&sources, file), starts.len());
            for (line, &start) in starts.iter().enumerate() {
                assert_eq!(lines.line_start(&sources, file, line), Some(start));
            }
            assert_eq!(lines.line_start(&sources, file, starts.len()), None);
            let (mut line, mut column) = (0, 0);
            for offset in 0..=text.len() + 2 {
                let at = offset.min(text.len());
                if offset > 0 && offset <= text.len() {
                    match text.as_bytes()[offset - 1] {
                        b'\n' => (line, column) = (line + 1, 0),
                        _ if text.is_char_boundary(offset) => column += 1,
                        _ => {}
                    }
                }
                assert_eq!(lines.line(&sources, file, offset), line, "{offset}");
                if text.is_char_boundary(at) {
                    assert_eq!(
                        lines.position(&sources, file, offset),
                        (line + 1, column + 1),
                        "{offset}"
                    );
                }
            }
        }
    }

    /// A file of line breaks keeps a line start every `MARK_LINES` lines, not one a line; one
    /// long line, a place every `MARK_BYTES` bytes.
    #[test]
    fn a_file_keeps_few_places() {
        for (text, expected) in [
            ("\n".repeat(1 << 20), (1 << 20) / MARK_LINES + 1),
            ("x".repeat(1 << 20), (1 << 20) / MARK_BYTES),
        ] {
            let mut sources = Sources::default();
            let file = sources.add("f.yaml".to_owned(), text, true);
            let mut lines = LineIndex::default();
            lines.count(&sources, file);
            assert_eq!(lines.files[&file].marks.len(), expected);
        }
    }
}
