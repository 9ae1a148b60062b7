//! The run's budgets of work: the bytes its templates render and the YAML its objects come to
//! (`--max-output-bytes`, counted apart) and the fuel its templates spend (`--max-run-fuel`).
//! Each bounds the whole run, where a template's own limits bound one use: thousands of uses
//! that each stay within their limits add up.
//!
//! Apps render on every core, so which apps a run reaches before a budget runs out depends on
//! the thread count; the report must not. Each app counts what it spends on a [`Meter`] of its
//! own, and stops once its own count passes a budget, so its count is the same on any machine.
//! The finished apps' counts are added up in app order as far as every app before is finished
//! ([`Prefix`]); once that sum passes a budget no app starts. Afterwards the first app, in app
//! order, that takes the sum past a budget is the one named, and what the apps before it found
//! is reported. Every app up to that one was rendered whole: an app is skipped only once apps
//! before it, all finished, passed the budget. (Apps started after an app later in app order
//! do exist: a worker takes the next block of apps while another is still in its own.) What a
//! run spends past its budget is bounded too: while the sum waits for an app that is not
//! finished, the other workers can do no more than that app's own budget allows in the time.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diag::{Code, Diagnostic, Span, printable};

/// Run fuel per byte of input when `--max-run-fuel` is not given, and the least: far above what
/// real templates spend per byte of the apps and definitions they are given (docs/security.md).
const FUEL_PER_INPUT_BYTE: u64 = 200;
const LEAST_RUN_FUEL: u64 = 50_000_000;

/// The run's budgets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Bytes all uses of templates render, together; and, counted apart, bytes of the YAML of
    /// every object.
    pub(crate) bytes: u64,
    /// Fuel all uses of templates spend, together (a CUE template's four steps are one).
    pub(crate) fuel: u64,
}

impl Limits {
    /// The budgets of a run given `input_bytes` of input: the fuel given, or by default some
    /// per byte of input.
    pub(crate) fn of(bytes: usize, fuel: Option<u64>, input_bytes: usize) -> Limits {
        let by_input = FUEL_PER_INPUT_BYTE.saturating_mul(input_bytes as u64);
        Limits {
            bytes: bytes as u64,
            fuel: fuel.unwrap_or_else(|| by_input.max(LEAST_RUN_FUEL)),
        }
    }
}

/// What an app (or the scopes) spent of each budget.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Spent {
    pub(crate) rendered: u64,
    pub(crate) written: u64,
    pub(crate) fuel: u64,
}

impl Spent {
    pub(crate) fn add(self, other: Spent) -> Spent {
        Spent {
            rendered: self.rendered.saturating_add(other.rendered),
            written: self.written.saturating_add(other.written),
            fuel: self.fuel.saturating_add(other.fuel),
        }
    }

    /// The budgets this passes.
    fn over(self, limits: Limits) -> Over {
        Over {
            rendered: self.rendered > limits.bytes,
            written: self.written > limits.bytes,
            fuel: self.fuel > limits.fuel,
        }
    }
}

/// Which budgets a count passes.
#[derive(Clone, Copy, Debug)]
struct Over {
    rendered: bool,
    written: bool,
    fuel: bool,
}

impl Over {
    fn any(self) -> bool {
        self.rendered || self.written || self.fuel
    }
}

/// The finished apps' counts, summed in app order as far as every app before is finished.
#[derive(Debug, Default)]
pub(crate) struct Prefix {
    sum: Mutex<PrefixSum>,
    /// The sum passed a budget: no app starts.
    passed: AtomicBool,
}

#[derive(Debug, Default)]
struct PrefixSum {
    /// The first app not in the sum.
    next: usize,
    /// Finished apps after `next`, by index.
    waiting: BTreeMap<usize, Spent>,
    total: Spent,
    /// The first app with which the sum passed a budget, and the sum with it.
    passed_at: Option<(usize, Spent)>,
}

impl Prefix {
    /// Whether apps before the next one to start passed a budget: it is not to start.
    pub(crate) fn passed(&self) -> bool {
        self.passed.load(Ordering::Relaxed)
    }

    /// App `index` (in app order) is finished, having spent `spent` (nothing, if it did not
    /// render).
    pub(crate) fn finished(&self, index: usize, spent: Spent, limits: Limits) {
        let mut sum = self
            .sum
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sum.waiting.insert(index, spent);
        loop {
            let next = sum.next;
            let Some(spent) = sum.waiting.remove(&next) else {
                break;
            };
            sum.total = sum.total.add(spent);
            if sum.passed_at.is_none() && sum.total.over(limits).any() {
                sum.passed_at = Some((next, sum.total));
                self.passed.store(true, Ordering::Relaxed);
            }
            sum.next += 1;
        }
    }

    /// Once every app is finished: what they spent together, and the first app with which
    /// the sum passed a budget (its index in app order) and the sum with it.
    pub(crate) fn into_sums(self) -> (Spent, Option<(usize, Spent)>) {
        let sum = self
            .sum
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        (sum.total, sum.passed_at)
    }
}

/// One app's count (or the scopes'), kept by the one thread that renders it.
#[derive(Debug, Default)]
pub(crate) struct Meter {
    spent: Cell<Spent>,
}

impl Meter {
    pub(crate) fn spent(&self) -> Spent {
        self.spent.get()
    }

    /// Whether this app alone has passed a budget: it renders nothing more.
    pub(crate) fn over(&self, limits: Limits) -> bool {
        self.spent.get().over(limits).any()
    }

    /// Counts `spent` for this app; false once it passed a budget.
    pub(crate) fn charge(&self, spent: Spent, limits: Limits) -> bool {
        self.spent.set(self.spent.get().add(spent));
        !self.over(limits)
    }
}

/// The diagnostic of a run whose budgets `total` passes: with app `app` (its name and where it
/// is named), or with the scopes rendered after every app.
pub(crate) fn over_budget(app: Option<(&str, Span)>, total: Spent, limits: Limits) -> Diagnostic {
    let over = total.over(limits);
    let mut passed = Vec::new();
    if over.rendered {
        passed.push(format!(
            "more than {} bytes rendered by its templates",
            limits.bytes
        ));
    }
    if over.written {
        passed.push(format!(
            "more than {} bytes of YAML in its objects",
            limits.bytes
        ));
    }
    if over.fuel {
        passed.push(format!("more than {} units of template fuel", limits.fuel));
    }
    let what = passed.join(" and ");
    let mut help = Vec::new();
    if over.rendered || over.written {
        help.push("raise --max-output-bytes if the output is genuine; otherwise look for a template that renders far more than it should, or for what repeats in every object (an app's labels and annotations fill each object of the app)");
    }
    if over.fuel {
        help.push("raise --max-run-fuel if the work is genuine; otherwise look for a template that runs far longer than it should, or for a component with very many traits (each use of a template reads the workload so far)");
    }
    let diagnostic = match app {
        Some((name, span)) => Diagnostic::new(
            Code::OutputBudget,
            span,
            format!(
                "with app `{}` this run came to {what}, so the render stopped there (what the apps before it found is reported)",
                printable(name)
            ),
        )
        .with_label_text("the run's budget ran out while this app rendered"),
        None => Diagnostic::unlocated(
            Code::OutputBudget,
            format!("with its scopes this run came to {what}, so the render stopped"),
        ),
    };
    diagnostic.with_help(help.join("; "))
}

/// Whether `total`, with the scopes rendered after every app, passes a budget.
pub(crate) fn passes(total: Spent, limits: Limits) -> bool {
    total.over(limits).any()
}

#[cfg(test)]
mod tests {
    use super::{Limits, Meter, Prefix, Spent, over_budget};
    use crate::diag::Span;
    use crate::load::FileId;

    fn here() -> Span {
        Span::new(FileId(0), 0, 0)
    }

    const LIMITS: Limits = Limits {
        bytes: 100,
        fuel: 1_000,
    };

    fn fuel(fuel: u64) -> Spent {
        Spent {
            fuel,
            ..Spent::default()
        }
    }

    #[test]
    fn the_default_fuel_grows_with_the_input() {
        assert_eq!(Limits::of(1, None, 10).fuel, super::LEAST_RUN_FUEL);
        assert_eq!(Limits::of(1, None, 1 << 20).fuel, 200 << 20);
        assert_eq!(Limits::of(1, Some(7), 1 << 20).fuel, 7);
    }

    #[test]
    fn an_app_stops_once_it_alone_passes_a_budget() {
        let meter = Meter::default();
        assert!(meter.charge(fuel(600), LIMITS));
        assert!(!meter.charge(fuel(600), LIMITS));
        assert!(meter.over(LIMITS));
        let written = Spent {
            written: 101,
            ..Spent::default()
        };
        assert!(!Meter::default().charge(written, LIMITS));
    }

    /// Apps finished out of order count once every app before them is finished: a later app
    /// that spent the budget alone stops no app before it.
    #[test]
    fn apps_count_in_app_order() {
        let prefix = Prefix::default();
        prefix.finished(2, fuel(5_000), LIMITS);
        prefix.finished(1, fuel(100), LIMITS);
        assert!(
            !prefix.passed(),
            "app 0 is not finished: apps 1 and 2 do not count yet"
        );
        prefix.finished(0, fuel(100), LIMITS);
        assert!(prefix.passed());
    }

    #[test]
    fn the_app_named_is_the_first_that_takes_the_total_past_a_budget() {
        let prefix = Prefix::default();
        for (index, spent) in [400, 500, 200, 5_000].into_iter().enumerate() {
            prefix.finished(index, fuel(spent), LIMITS);
        }
        let (total, passed_at) = prefix.into_sums();
        assert_eq!(total, fuel(6_100));
        let (index, with_it) = passed_at.expect("over");
        assert_eq!(index, 2);
        let diagnostic = over_budget(Some(("c", here())), with_it, LIMITS);
        assert!(
            diagnostic.message.contains("app `c`"),
            "{}",
            diagnostic.message
        );
        assert!(
            diagnostic
                .message
                .contains("more than 1000 units of template fuel")
        );
        let within = Prefix::default();
        within.finished(0, fuel(1_000), LIMITS);
        assert!(within.into_sums().1.is_none());
        let both = Spent {
            rendered: 101,
            fuel: 1_001,
            ..Spent::default()
        };
        let diagnostic = over_budget(Some(("a", here())), both, LIMITS);
        let help = diagnostic.help.as_deref().unwrap_or_default();
        assert!(
            help.contains("--max-output-bytes") && help.contains("--max-run-fuel"),
            "{help}"
        );
    }
}
