//! Work spread over the machine's cores, results in input order: what is done in parallel
//! never changes the output (a test renders with one thread and with two and compares).

use std::num::NonZeroUsize;

#[cfg(test)]
thread_local! {
    /// Tests pin the thread count per test thread (the environment is shared by all tests).
    pub(crate) static THREADS: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Worker threads: `OAM_THREADS` if set, else the available cores.
pub(crate) fn threads() -> usize {
    #[cfg(test)]
    if let Some(pinned) = THREADS.with(std::cell::Cell::get) {
        return pinned;
    }
    std::env::var("OAM_THREADS")
        .ok()
        .and_then(|v| v.parse::<NonZeroUsize>().ok())
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get)
}

/// What is wrong with `OAM_THREADS`, if it is set to anything but a positive number: a setting
/// that is not honoured is refused, never ignored.
pub(crate) fn invalid_setting() -> Option<String> {
    let value = std::env::var_os("OAM_THREADS")?;
    let valid = value
        .to_str()
        .and_then(|v| v.parse::<NonZeroUsize>().ok())
        .is_some();
    (!valid).then(|| {
        format!(
            "OAM_THREADS must be a positive number of threads, not `{}`",
            crate::diag::printable(&value.to_string_lossy())
        )
    })
}

/// `f` over `items` on up to `threads` threads, in contiguous chunks; results in item order.
pub(crate) fn map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_input_order_whatever_the_thread_count() {
        let items: Vec<u32> = (0..101).collect();
        let one = super::map(&items, 1, |i| i * 2);
        for threads in 2..5 {
            assert_eq!(super::map(&items, threads, |i| i * 2), one);
        }
        assert!(super::map(&[] as &[u32], 2, |i| *i).is_empty());
    }
}
