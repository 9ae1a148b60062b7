//! Where lines start in the input files, found once per file for all the diagnostics of a run:
//! a hostile file with many diagnostics must not be scanned once per diagnostic.

use std::collections::HashMap;

use crate::load::{FileId, Sources};

#[derive(Default)]
pub(super) struct LineIndex {
    starts: HashMap<FileId, Vec<usize>>,
}

impl LineIndex {
    /// The byte offset each line of `file` starts at: 0, then one after every line break.
    pub(super) fn starts(&mut self, sources: &Sources, file: FileId) -> &[usize] {
        self.starts.entry(file).or_insert_with(|| {
            let text = sources.get(file).text.as_str();
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect()
        })
    }

    /// 0-based line of byte `offset` of `file`, and the offset that line starts at.
    pub(super) fn line(
        &mut self,
        sources: &Sources,
        file: FileId,
        offset: usize,
    ) -> (usize, usize) {
        let starts = self.starts(sources, file);
        let line = starts.partition_point(|&start| start <= offset).max(1) - 1;
        (line, starts[line])
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
