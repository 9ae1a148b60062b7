//! Input files and their text. Every span in the crate points into one of these.

use std::sync::Arc;

/// The index of a file in `Sources`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FileId(pub(crate) u32);

/// A file as read: the name shown in diagnostics and its text.
#[derive(Debug)]
pub(crate) struct SourceFile {
    pub(crate) name: String,
    pub(crate) text: String,
}

/// Every file a run read, built-in definitions included. Files are shared, so a parallel
/// worker can take a cheap fork, add files of its own, and hand them back.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    files: Vec<Arc<SourceFile>>,
}

impl Sources {
    pub(crate) fn add(&mut self, name: String, text: String) -> FileId {
        self.add_shared(Arc::new(SourceFile { name, text }))
    }

    /// Adds a file another run shares (a built-in definition file).
    pub(crate) fn add_shared(&mut self, file: Arc<SourceFile>) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    pub(crate) fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// A copy sharing every file, for a worker that may add some.
    pub(crate) fn fork(&self) -> Sources {
        Sources {
            files: self.files.clone(),
        }
    }

    /// Takes the files `fork` added beyond the ones it shared, and returns where each went:
    /// the ids the fork's diagnostics must be moved to (see `Diagnostics::move_files`).
    pub(crate) fn adopt(&mut self, fork: Sources, shared: usize) -> Vec<(FileId, FileId)> {
        let mut moved = Vec::new();
        for (index, file) in fork.files.into_iter().enumerate().skip(shared) {
            self.files.push(file);
            moved.push((FileId(index as u32), FileId((self.files.len() - 1) as u32)));
        }
        moved
    }

    pub(crate) fn len(&self) -> usize {
        self.files.len()
    }
}

/// The byte offset of a 1-based line and character column in `text`.
pub(crate) fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let mut offset = 0;
    for (index, l) in text.split_inclusive('\n').enumerate() {
        if index as u64 + 1 == line {
            let chars = column.saturating_sub(1) as usize;
            return offset + l.char_indices().nth(chars).map_or(l.len(), |(i, _)| i);
        }
        offset += l.len();
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::offset_of;

    #[test]
    fn offsets_count_characters_within_a_line() {
        let text = "a: 1\nb: é x\n";
        assert_eq!(offset_of(text, 1, 1), 0);
        assert_eq!(offset_of(text, 2, 4), 8);
        assert_eq!(offset_of(text, 2, 6), 11);
        assert_eq!(offset_of(text, 9, 1), text.len());
    }
}
