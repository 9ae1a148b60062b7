//! The files of the old tree that oam wrote and would write again byte for byte: the new tree
//! takes each by a hard link instead of creating and writing it. A re-render that changes
//! little then allocates, writes and (when the old tree goes) frees almost nothing on the
//! disk, and unchanged files keep their inode and modification time.
//!
//! The old file is never written to, and only a file oam would have made is taken: a regular
//! file with one name, the owner, group and mode a new file gets, and exactly the bytes. It is
//! reached through folders opened one by one without following links, so a link committed in
//! the old tree where an app folder was cannot lead outside it; it is opened without following
//! a link or waiting on a pipe, compared, linked, and the link kept only if it is the file
//! compared. On systems other than Linux and macOS nothing is taken: every file is written.

use super::FileText;

#[cfg(any(target_os = "linux", target_os = "macos"))]
pub(super) use by_link::{Unchanged, Worker};
#[cfg(not(any(target_os = "linux", target_os = "macos")))]
pub(super) use written_anew::{Unchanged, Worker};

#[cfg(any(target_os = "linux", target_os = "macos"))]
mod by_link {
    use std::collections::HashSet;
    use std::fs;
    use std::io::Read;
    use std::path::Path;

    use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
    use rustix::fs::{
        AtFlags, CWD, FileType, Mode, OFlags, Stat, fstat, linkat, open, openat, statat,
    };

    use super::FileText;
    use crate::emit::dir::MARKER;

    pub(in crate::emit::dir) struct Unchanged<'a> {
        /// The old tree, opened; `None` when there is none (nothing to take).
        root: Option<OwnedFd>,
        written: &'a HashSet<&'a str>,
        /// The staged marker's status: the owner, group and mode a file oam creates now gets.
        fresh: Option<Stat>,
        /// A test's race (read here, on the calling thread: the fault is thread-local).
        #[cfg(test)]
        replace_before_link: Option<&'a Path>,
    }

    /// What one worker keeps between files: a buffer for old bytes, and the old folder it
    /// opened last (files come sorted, so a folder's files are together).
    #[derive(Default)]
    pub(in crate::emit::dir) struct Worker {
        buffer: Vec<u8>,
        folder: Option<(String, Option<OwnedFd>)>,
    }

    /// The old tree's `folder`, opened component by component without following a link (the
    /// last one kept in `last`); `None` if any is not a real folder.
    fn open_folder<'s>(
        last: &'s mut Option<(String, Option<OwnedFd>)>,
        root: &'s OwnedFd,
        folder: &str,
    ) -> Option<BorrowedFd<'s>> {
        if folder.is_empty() {
            return Some(root.as_fd());
        }
        if last.as_ref().map(|(name, _)| name.as_str()) != Some(folder) {
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let mut opened: Option<OwnedFd> = None;
            for component in folder.split('/') {
                let parent = opened.as_ref().map_or(root.as_fd(), AsFd::as_fd);
                let Ok(fd) = openat(parent, component, flags, Mode::empty()) else {
                    opened = None;
                    break;
                };
                opened = Some(fd);
            }
            *last = Some((folder.to_owned(), opened));
        }
        last.as_ref()?.1.as_ref().map(AsFd::as_fd)
    }

    impl<'a> Unchanged<'a> {
        pub(in crate::emit::dir) fn new(
            old: &'a Path,
            staging: &Path,
            written: &'a HashSet<&'a str>,
        ) -> Self {
            let directory = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            Unchanged {
                root: if written.is_empty() {
                    None
                } else {
                    open(old, directory, Mode::empty()).ok()
                },
                written,
                fresh: statat(CWD, staging.join(MARKER), AtFlags::SYMLINK_NOFOLLOW).ok(),
                #[cfg(test)]
                replace_before_link: crate::emit::dir::fault(|f| {
                    matches!(f, crate::emit::dir::Fault::ReplaceBeforeLink)
                })
                .then_some(old),
            }
        }

        /// Whether the old file at `path` now also stands at `staged`. `Err` only when a link
        /// made to it could not be taken back (a write through it would change the old tree).
        pub(in crate::emit::dir) fn take(
            &self,
            path: &str,
            staged: &Path,
            content: &FileText<'_>,
            worker: &mut Worker,
        ) -> std::io::Result<bool> {
            let (Some(root), Some(fresh)) = (&self.root, &self.fresh) else {
                return Ok(false);
            };
            if !self.written.contains(path) {
                return Ok(false);
            }
            let (folder, name) = path.rsplit_once('/').unwrap_or(("", path));
            let (head, body) = (content.head.as_bytes(), content.body.as_bytes());
            let size = head.len() + body.len();
            let fits = |stat: &Stat, names: u8| {
                FileType::from_raw_mode(stat.st_mode) == FileType::RegularFile
                    && usize::try_from(stat.st_size).is_ok_and(|s| s == size)
                    && (stat.st_uid, stat.st_gid) == (fresh.st_uid, fresh.st_gid)
                    && stat.st_mode & 0o7777 == fresh.st_mode & 0o7777
                    && count_is(&stat.st_nlink, names)
            };
            let same_file = |a: &Stat, b: &Stat| (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino);
            let Worker {
                buffer,
                folder: last,
            } = worker;
            let Some(dir) = open_folder(last, root, folder) else {
                return Ok(false);
            };
            // A look at the name first, so that a file of another size costs one call and a
            // pipe or device in its place is never opened; then the bytes, through the file
            // opened.
            let Ok(named) = statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) else {
                return Ok(false);
            };
            let reading = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let unchanged = fits(&named, 1)
                && openat(dir, name, reading, Mode::empty()).is_ok_and(|fd| {
                    buffer.clear();
                    buffer.resize(size, 0);
                    fstat(&fd).is_ok_and(|opened| fits(&opened, 1) && same_file(&opened, &named))
                        && fs::File::from(fd).read_exact(buffer).is_ok()
                        && buffer[..head.len()] == *head
                        && buffer[head.len()..] == *body
                });
            #[cfg(test)]
            if let Some(old) = self.replace_before_link.filter(|_| unchanged) {
                replace(&old.join(path))?;
            }
            if !unchanged || linkat(dir, name, CWD, staged, AtFlags::empty()).is_err() {
                return Ok(false);
            }
            // The name may have changed hands since it was read: keep the link only if it is
            // the file compared.
            let linked = statat(CWD, staged, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|stat| fits(&stat, 2) && same_file(&stat, &named));
            if !linked {
                fs::remove_file(staged)?;
            }
            Ok(linked)
        }
    }

    /// Whether a count of the system's type (which differs between systems) is `expected`.
    fn count_is<N: PartialEq + From<u8>>(count: &N, expected: u8) -> bool {
        *count == N::from(expected)
    }

    /// A test's race: the old file replaced by another of its size with other bytes.
    #[cfg(test)]
    fn replace(old: &Path) -> std::io::Result<()> {
        let mut other = fs::read(old)?;
        other[0] ^= 1;
        let aside = old.with_extension("replaced");
        fs::write(&aside, other)?;
        fs::rename(&aside, old)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod written_anew {
    use std::collections::HashSet;
    use std::path::Path;

    use super::FileText;

    pub(in crate::emit::dir) struct Unchanged;

    #[derive(Default)]
    pub(in crate::emit::dir) struct Worker;

    impl Unchanged {
        pub(in crate::emit::dir) fn new(_: &Path, _: &Path, _: &HashSet<&str>) -> Self {
            Unchanged
        }

        pub(in crate::emit::dir) fn take(
            &self,
            _: &str,
            _: &Path,
            _: &FileText<'_>,
            _: &mut Worker,
        ) -> std::io::Result<bool> {
            Ok(false)
        }
    }
}
