//! The watchdog, a backstop for work no budget counts ahead. Every use of a template is bounded
//! by its fuel and output and every run by its budgets, but minijinja 3.1 does some work without
//! charging fuel: it materialises a list concatenated more than 32 levels deep (so
//! `{% set ns.l = ns.l + ns.l %}` forty times asks for 2^40 values), and it writes a value out
//! as text for `~`, `|string`, `|format`, `|upper` and the like uncounted (a list doubled 32
//! times, lazily and in no memory, is 4 billion items to write). The engine gives oam no hook
//! to stop either. The watchdog reads the process's resident memory every 10 ms, and the CPU
//! time of each template use that has run a second; past a limit it hands its caller a
//! diagnostic at the template; the command line reports it and exits, since the thread doing
//! the work cannot be stopped.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use super::template::UsedBy;
use crate::diag::{self, Code, Diagnostic, Span};
use crate::load::Sources;
use crate::model::Definition;

/// How often the watchdog reads: a runaway template grows by a few megabytes between two reads.
const INTERVAL: Duration = Duration::from_millis(10);

/// A use's CPU time is read once it has run this long (real uses take milliseconds, so the
/// watchdog reads nothing in a sound run), and counted from then.
const SETTLE: Duration = Duration::from_secs(1);

/// What a watchdog bounds.
#[derive(Clone, Copy, Debug)]
pub struct WatchdogLimits {
    /// The process's resident memory, in bytes (`--max-memory`).
    pub memory: u64,
    /// The CPU time of one template use (`--max-template-time`), counted from its first
    /// second on.
    pub template_time: Duration,
}

/// The template uses rendering now, one at most per thread, in the renders a watchdog was given
/// to (`RenderOptions::watched_by`).
#[derive(Debug, Default)]
pub(crate) struct InFlight(Mutex<Vec<Use>>);

#[derive(Debug)]
struct Use {
    thread: ThreadId,
    /// The system's id of the thread, whose CPU time the watchdog reads (Linux).
    tid: Option<i32>,
    started: Instant,
    /// The thread's CPU time when the watchdog first read it.
    cpu_from: Option<Duration>,
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
        used_by: UsedBy<'_>,
        sources: &Sources,
    ) -> Rendering<'_> {
        let thread = thread::current().id();
        self.uses().push(Use {
            thread,
            tid: thread_id(),
            started: Instant::now(),
            cpu_from: None,
            definition: format!("{} `{}`", definition.kind.as_str(), definition.name.value),
            template,
            used_by: used_by.to_string(),
            sources: sources.frozen_part(),
        });
        Rendering(self, thread)
    }

    /// The memory report: a diagnostic at each template in flight, or one without a place.
    fn memory_report(&self, resident: u64, limit: u64) -> crate::Diagnostics {
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
            let found = entry.report(Code::MemoryBudget, message(&what), help);
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

    /// The report of a use that has spent more than `limit` of CPU time, if one has.
    fn overdue(&self, limit: Duration) -> Option<crate::Diagnostics> {
        for entry in self.uses().iter_mut() {
            let age = entry.started.elapsed();
            if age < SETTLE {
                continue;
            }
            // Where the thread's CPU time cannot be read, time on the clock counts.
            let now = entry.tid.and_then(thread_cpu).unwrap_or(age);
            let from = *entry.cpu_from.get_or_insert(now);
            if now.saturating_sub(from) <= limit {
                continue;
            }
            let message = format!(
                "the template of {} ran more than {} s rendering {}",
                entry.definition,
                limit.as_secs_f64(),
                entry.used_by
            );
            let help = "a template that does work its fuel does not count, such as writing a \
                        huge list out as text (`ns.l ~ \"\"`, `|string`)? Otherwise raise \
                        --max-template-time if the template is genuinely this slow";
            return Some(entry.report(Code::TemplateTime, message, help));
        }
        None
    }
}

impl Use {
    /// A report at this use's template.
    fn report(&self, code: Code, message: String, help: &str) -> crate::Diagnostics {
        let located = (self.template.file.0 as usize) < self.sources.len();
        let d = if located {
            Diagnostic::new(code, self.template, message)
                .with_label_text("rendering when the budget was passed")
        } else {
            Diagnostic::unlocated(code, message)
        };
        crate::Diagnostics::new(one(d.with_help(help)), self.sources.frozen_part())
    }
}

/// A template use in flight, until dropped.
pub(super) struct Rendering<'a>(&'a InFlight, ThreadId);

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        self.0.uses().retain(|entry| entry.thread != self.1);
    }
}

/// Watches this process's resident memory and the CPU time of each template use in flight
/// (see [`Watchdog::start`]); stops when dropped.
///
/// A backstop for work no [`Budgets`](crate::Budgets) limit counts ahead: a minijinja template
/// can build a list, or write one out as text, without fuel being charged for it. Meant for a
/// program whose process is the run, as the `oam` command's is; the command line starts one for
/// every run (`--max-memory`, `--max-template-time`) and gives it to its renders
/// ([`crate::RenderOptions::watched_by`]).
pub struct Watchdog {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub(crate) in_flight: Arc<InFlight>,
}

impl Watchdog {
    /// Starts watching: once the process's resident memory passes `limits.memory`, or a
    /// template use in the renders given the watchdog spends more than `limits.template_time`
    /// of CPU after its first second, `exceeded` is called, once, on the watchdog's own thread:
    /// with an `oam::E056` diagnostic for each template use in flight (one without a place when
    /// there is none), or an `oam::E057` at the slow one. The threads at work go on: a caller
    /// that must stop them ends the process. `None` where the system does not tell a process's
    /// resident memory (only Linux does, here) or refuses a thread.
    pub fn start(
        limits: WatchdogLimits,
        exceeded: impl FnOnce(crate::Diagnostics) + Send + 'static,
    ) -> Option<Watchdog> {
        resident_bytes()?;
        let in_flight = Arc::new(InFlight::default());
        let watched = Arc::clone(&in_flight);
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("oam-watchdog".to_owned())
            .spawn(move || {
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    let over = match resident_bytes() {
                        Some(resident) if resident > limits.memory => {
                            Some(watched.memory_report(resident, limits.memory))
                        }
                        _ => watched.overdue(limits.template_time),
                    };
                    if let Some(report) = over {
                        exceeded(report);
                        return;
                    }
                }
            })
            .ok()?;
        Some(Watchdog {
            stop: Some(stop),
            thread: Some(thread),
            in_flight,
        })
    }
}

impl Drop for Watchdog {
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

/// The calling thread's id, as `/proc/self/task` names it.
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_wraps)] // none on other systems
fn thread_id() -> Option<i32> {
    Some(rustix::thread::gettid().as_raw_nonzero().get())
}

/// The CPU time a thread of this process has spent: the first field of its `schedstat`, in
/// nanoseconds.
#[cfg(target_os = "linux")]
fn thread_cpu(tid: i32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    let nanos: u64 = stat.split_ascii_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Elsewhere the process's resident memory is not read, and the watchdog does not start.
#[cfg(not(target_os = "linux"))]
fn resident_bytes() -> Option<u64> {
    None
}

#[cfg(not(target_os = "linux"))]
fn thread_id() -> Option<i32> {
    None
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu(_: i32) -> Option<Duration> {
    None
}

fn one(d: Diagnostic) -> diag::Diagnostics {
    let mut found = diag::Diagnostics::default();
    found.push(d);
    found
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{INTERVAL, Watchdog, WatchdogLimits, resident_bytes};

    fn limits(memory: u64) -> WatchdogLimits {
        WatchdogLimits {
            memory,
            template_time: Duration::from_secs(30),
        }
    }

    #[test]
    fn the_watch_reports_past_its_limit_at_no_place_when_nothing_renders() {
        if resident_bytes().is_none() {
            eprintln!("skipped: this system does not tell a process's resident memory");
            return;
        }
        let (sent, received) = std::sync::mpsc::channel();
        let watch = Watchdog::start(limits(1), move |found| {
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
        let watch = Watchdog::start(limits(u64::MAX), |_| panic!("no process holds 2^64 bytes"));
        drop(watch);
    }
}
