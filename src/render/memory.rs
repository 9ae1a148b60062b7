//! The memory watch, a backstop for what no budget bounds ahead of the work. Every use of a
//! template is bounded by its fuel and output and every run by its budgets, but minijinja 3.1
//! materialises a list concatenated more than 32 levels deep without charging fuel, so
//! `{% set ns.l = ns.l + ns.l %}` forty times asks for 2^40 values, and the engine gives oam no
//! hook to stop it. The watch reads the process's resident memory every 10 ms and, past a
//! limit, hands its caller a diagnostic that names the template uses in flight; the command
//! line reports it and exits, since the thread that allocates cannot be stopped.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::Duration;

use crate::diag::{self, Code, Diagnostic, Span};
use crate::load::Sources;
use crate::model::Definition;

/// How often the watch reads: a runaway template grows by a few megabytes between two reads.
const INTERVAL: Duration = Duration::from_millis(10);

/// The template uses rendering now, one at most per thread, in the renders a watch was given
/// to (`RenderOptions::watched_by`).
#[derive(Debug, Default)]
pub(crate) struct InFlight(Mutex<Vec<Use>>);

#[derive(Debug)]
struct Use {
    thread: ThreadId,
    /// ``ComponentDefinition `web` ``.
    definition: String,
    /// The first line of its template.
    template: Span,
    /// ``component `web` ``.
    used_by: String,
    /// The files the span may point into (shared with the run, not copied).
    sources: Sources,
}

impl InFlight {
    fn uses(&self) -> MutexGuard<'_, Vec<Use>> {
        // A panic elsewhere while the list was held leaves it consistent: entries are whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a template use on this thread, until the guard is dropped.
    pub(super) fn start(
        &self,
        definition: &Definition,
        template: Span,
        used_by: &str,
        sources: &Sources,
    ) -> Rendering<'_> {
        let thread = thread::current().id();
        self.uses().push(Use {
            thread,
            definition: format!("{} `{}`", definition.kind.as_str(), definition.name.value),
            template,
            used_by: used_by.to_owned(),
            sources: sources.frozen_part(),
        });
        Rendering(self, thread)
    }

    /// What the watch reports: a diagnostic at each template in flight, or one without a place.
    fn report(&self, resident: u64, limit: u64) -> crate::Diagnostics {
        let message = |what: &str| {
            format!(
                "the run's memory passed its budget of {limit} bytes ({resident} bytes resident){what}"
            )
        };
        let help = "a template that builds a value without bound, such as a list doubled in a \
                    loop (`{% set ns.l = ns.l + ns.l %}`)? Otherwise raise --max-memory if the \
                    input is genuinely this large";
        let mut reported: Option<crate::Diagnostics> = None;
        for entry in self.uses().iter() {
            let what = format!(
                " while the template of {} rendered {}",
                entry.definition, entry.used_by
            );
            let located = (entry.template.file.0 as usize) < entry.sources.len();
            let d = if located {
                Diagnostic::new(Code::MemoryBudget, entry.template, message(&what))
                    .with_label_text("rendering when the budget was passed")
            } else {
                Diagnostic::unlocated(Code::MemoryBudget, message(&what))
            };
            let found =
                crate::Diagnostics::new(one(d.with_help(help)), entry.sources.frozen_part());
            match &mut reported {
                Some(all) => all.append(found),
                None => reported = Some(found),
            }
        }
        reported.unwrap_or_else(|| {
            let d = Diagnostic::unlocated(Code::MemoryBudget, message("")).with_help(help);
            crate::Diagnostics::new(one(d), Sources::default())
        })
    }
}

/// A template use in flight, until dropped.
pub(super) struct Rendering<'a>(&'a InFlight, ThreadId);

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        self.0.uses().retain(|entry| entry.thread != self.1);
    }
}

/// Watches this process's resident memory (see [`MemoryWatch::start`]); stops when dropped.
///
/// A backstop for work no [`Budgets`](crate::Budgets) limit counts ahead: a minijinja template
/// can build a list in a loop faster than fuel is charged for it. Meant for a program whose
/// process is the run, as the `oam` command's is; the command line starts one for every run
/// (`--max-memory`) and gives it to its renders ([`crate::RenderOptions::watched_by`]).
pub struct MemoryWatch {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub(crate) in_flight: Arc<InFlight>,
}

impl MemoryWatch {
    /// Starts watching: once the process's resident memory passes `limit` bytes, `exceeded` is
    /// called, once, on the watch's own thread, with an `oam::E056` diagnostic for each
    /// template use in flight then in the renders given the watch (one without a place when
    /// there is none). The threads that allocate go on: a caller that must stop them ends the
    /// process. `None` where the system does not tell a process's resident memory (only Linux
    /// does, here) or refuses a thread.
    pub fn start(
        limit: u64,
        exceeded: impl FnOnce(crate::Diagnostics) + Send + 'static,
    ) -> Option<MemoryWatch> {
        resident_bytes()?;
        let in_flight = Arc::new(InFlight::default());
        let watched = Arc::clone(&in_flight);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("oam-memory-watch".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    match resident_bytes() {
                        Some(resident) if resident > limit => {
                            exceeded(watched.report(resident, limit));
                            return;
                        }
                        _ => {}
                    }
                }
            })
            .ok()?;
        Some(MemoryWatch {
            stop: Some(stop),
            thread: Some(thread),
            in_flight,
        })
    }
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The process's resident memory, in bytes: the second field of `/proc/self/statm`, in pages
/// (cheaper for the kernel to write than `/proc/self/status`).
#[cfg(target_os = "linux")]
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_ascii_whitespace().nth(1)?.parse().ok()?;
    Some(pages.saturating_mul(rustix::param::page_size() as u64))
}

/// Elsewhere the process's resident memory is not read, and the watch does not start.
#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

fn one(d: Diagnostic) -> diag::Diagnostics {
    let mut found = diag::Diagnostics::default();
    found.push(d);
    found
}

#[cfg(test)]
mod tests {
    use super::{INTERVAL, MemoryWatch, resident_bytes};

    #[test]
    fn the_watch_reports_past_its_limit_at_no_place_when_nothing_renders() {
        if resident_bytes().is_none() {
            eprintln!("skipped: this system does not tell a process's resident memory");
            return;
        }
        let (sent, received) = std::sync::mpsc::channel();
        let watch = MemoryWatch::start(1, move |found| {
            let _ = sent.send(found);
        });
        let found = received
            .recv_timeout(INTERVAL * 200)
            .expect("a process is more than a byte");
        drop(watch);
        // No render was given the watch: one diagnostic, at no place.
        let all = found.to_vec();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].code, "oam::E056");
        assert!(
            all[0]
                .message
                .starts_with("the run's memory passed its budget of 1 bytes (")
        );
        assert!(all[0].labels.is_empty());
        assert!(
            all[0]
                .help
                .as_ref()
                .is_some_and(|h| h.contains("--max-memory"))
        );
    }

    #[test]
    fn a_watch_under_its_limit_stops_when_dropped() {
        let watch = MemoryWatch::start(u64::MAX, |_| panic!("no process holds 2^64 bytes"));
        drop(watch);
    }
}
