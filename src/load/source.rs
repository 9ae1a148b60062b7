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
    /// The name is a path in the user's tree (a file read, or an in-memory source named so):
    /// machine-readable reports point at it. Standard input, built-ins and template outputs
    /// are not.
    pub(crate) in_tree: bool,
}

/// Every file a run read, built-in definitions included. A parallel worker takes a fork: it
/// shares every file there is (one `Arc`, whatever their number), adds files of its own, and
/// hands back only those.
#[derive(Debug, Default)]
pub(crate) struct Sources {
    /// Files shared with forks; ids `0..shared.len()`.
    shared: Arc<Vec<Arc<SourceFile>>>,
    /// Files added since the last `freeze`; ids after the shared ones.
    own: Vec<Arc<SourceFile>>,
}

impl Sources {
    pub(crate) fn add(&mut self, name: String, text: String, in_tree: bool) -> FileId {
        self.add_shared(Arc::new(SourceFile {
            name,
            text,
            in_tree,
        }))
    }

    /// Adds a file another run shares (a built-in definition file).
    pub(crate) fn add_shared(&mut self, file: Arc<SourceFile>) -> FileId {
        self.own.push(file);
        FileId((self.len() - 1) as u32)
    }

    pub(crate) fn get(&self, id: FileId) -> &SourceFile {
        let index = id.0 as usize;
        match index.checked_sub(self.shared.len()) {
            Some(own) => &self.own[own],
            None => &self.shared[index],
        }
    }

    /// Makes every file shareable by forks; ids do not change.
    pub(crate) fn freeze(&mut self) {
        if !self.own.is_empty() {
            Arc::make_mut(&mut self.shared).append(&mut self.own);
        }
    }

    /// A fork sharing every file of a frozen `Sources`, in O(1), for a worker that may add some.
    pub(crate) fn fork(&self) -> Sources {
        debug_assert!(self.own.is_empty(), "freeze before forking");
        self.frozen_part()
    }

    /// The files forks share, without those this one added: what a span of the model points
    /// into, kept past the fork (O(1)).
    pub(crate) fn frozen_part(&self) -> Sources {
        Sources {
            shared: Arc::clone(&self.shared),
            own: Vec::new(),
        }
    }

    /// Takes the files `fork` added, and returns where each went: the ids the fork's
    /// diagnostics must be moved to (see `Diagnostics::move_files`).
    pub(crate) fn adopt(&mut self, fork: Sources) -> Vec<(FileId, FileId)> {
        let first = fork.shared.len();
        let mut moved = Vec::with_capacity(fork.own.len());
        for (index, file) in fork.own.into_iter().enumerate() {
            let to = self.add_shared(file);
            moved.push((FileId((first + index) as u32), to));
        }
        moved
    }

    /// Appends every file of `other` (shared, not copied); its ids move up by the returned
    /// count, the number of files there were before.
    pub(crate) fn append(&mut self, other: &Sources) -> u32 {
        let before = self.len() as u32;
        for file in other.shared.iter().chain(&other.own) {
            self.add_shared(Arc::clone(file));
        }
        before
    }

    pub(crate) fn len(&self) -> usize {
        self.shared.len() + self.own.len()
    }

    /// The bytes of every file's text: a run's input, built-in definitions included.
    pub(crate) fn text_bytes(&self) -> usize {
        self.shared
            .iter()
            .chain(&self.own)
            .map(|file| file.text.len())
            .sum()
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
