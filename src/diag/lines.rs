//! Where lines start in the input files, found once per file for all the diagnostics of a run:
//! a hostile file with many diagnostics must not be scanned once per diagnostic.
//!
//! Only some line starts are kept, one at least every [`MARK_LINES`] lines and every
//! [`MARK_BYTES`] bytes: every start would cost 8 bytes a line, kept until the report ends, so a
//! file of line breaks with one diagnostic took 8 times its size (a run of 2 GiB of such input,
//! 16 GiB). Kept this way a file costs at most a quarter of its size, and a lookup scans at
//! most the stretch between two kept starts and the line it lands in.

use std::collections::HashMap;

use crate::load::{FileId, Sources};

/// Lines between two kept starts, at most.
const MARK_LINES: usize = 64;
/// Bytes after a kept start before the next line start is kept.
const MARK_BYTES: usize = 4096;

#[derive(Default)]
pub(super) struct LineIndex {
    files: HashMap<FileId, FileLines>,
}

struct FileLines {
    /// 0-based line and the byte offset it starts at, ascending; the first is line 0 at 0.
    marks: Vec<(usize, usize)>,
    /// Lines with text: a final line break starts no line.
    count: usize,
}

impl FileLines {
    fn new(text: &str) -> FileLines {
        let mut marks = vec![(0, 0)];
        let (mut breaks, mut last) = (0, (0, 0));
        for (at, _) in text.match_indices('\n') {
            breaks += 1;
            let (line, start) = (breaks, at + 1);
            if line - last.0 >= MARK_LINES || start - last.1 >= MARK_BYTES {
                marks.push((line, start));
                last = (line, start);
            }
        }
        let count = if text.is_empty() || text.ends_with('\n') {
            breaks
        } else {
            breaks + 1
        };
        FileLines { marks, count }
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
        let mark = lines.marks.partition_point(|&(at, _)| at <= line) - 1;
        let (mark_line, mark_start) = lines.marks[mark];
        let bytes = sources.get(file).text.as_bytes();
        Some(if line == mark_line {
            mark_start
        } else {
            line_starts(&bytes[mark_start..], mark_start)
                .nth(line - mark_line - 1)
                .unwrap_or(bytes.len())
        })
    }

    /// 0-based line of byte `offset` of `file`, and the offset that line starts at.
    pub(super) fn line(
        &mut self,
        sources: &Sources,
        file: FileId,
        offset: usize,
    ) -> (usize, usize) {
        let lines = self.file(sources, file);
        let bytes = sources.get(file).text.as_bytes();
        let offset = offset.min(bytes.len());
        let mark = lines.marks.partition_point(|&(_, start)| start <= offset) - 1;
        let (line, start) = lines.marks[mark];
        line_starts(&bytes[start..offset], start)
            .fold((line, start), |(line, _), start| (line + 1, start))
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
        let (line, line_start) = self.line(sources, file, offset);
        (line + 1, text[line_start..offset].chars().count() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{LineIndex, MARK_BYTES, MARK_LINES};
    use crate::load::Sources;

    /// Every line start and every offset's line, against a plain scan of the text, on texts
    /// whose kept starts fall by count of lines, by bytes, and both.
    #[test]
    fn kept_starts_find_every_line() {
        let texts = [
            String::new(),
            "\n".to_owned(),
            "a".to_owned(),
            "\n".repeat(3 * MARK_LINES + 5),
            format!("{}\nend", "x".repeat(3 * MARK_BYTES)),
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
            let (mut line, mut start) = (0, 0);
            for offset in 0..=text.len() + 2 {
                if offset > 0 && text.as_bytes().get(offset - 1) == Some(&b'\n') {
                    (line, start) = (line + 1, offset);
                }
                assert_eq!(
                    lines.line(&sources, file, offset),
                    (line, start),
                    "{offset}"
                );
            }
        }
    }

    /// A file of line breaks keeps a start every `MARK_LINES` lines, not one a line.
    #[test]
    fn a_file_of_line_breaks_keeps_few_starts() {
        let mut sources = Sources::default();
        let file = sources.add("f.yaml".to_owned(), "\n".repeat(1 << 20), true);
        let mut lines = LineIndex::default();
        lines.count(&sources, file);
        assert_eq!(lines.files[&file].marks.len(), (1 << 20) / MARK_LINES + 1);
    }
}
