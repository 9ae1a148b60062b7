//! Work spread over the machine's cores, results in input order: what is done in parallel
//! never changes the output (a test renders with one thread and with two and compares).

use std::cell::Cell;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

/// Blocks a worker's share of the items is cut into: enough that the last one is short, few
/// enough that taking one costs nothing next to the work in it.
const BLOCKS_PER_THREAD: usize = 32;

thread_local! {
    /// The thread count the caller chose, for the call it is making (see `with_threads`): a
    /// setting of the call, not of the process, so two callers never see each other's.
    static THREADS: Cell<Option<NonZeroUsize>> = const { Cell::new(None) };
}

/// Worker threads: what the current call chose, else the available cores.
pub(crate) fn threads() -> usize {
    THREADS
        .get()
        .or_else(|| std::thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get)
}

/// Runs `f` with `threads` worker threads (when given; otherwise what is set already stands).
pub(crate) fn with_threads<R>(threads: Option<NonZeroUsize>, f: impl FnOnce() -> R) -> R {
    let Some(threads) = threads else {
        return f();
    };
    let before = THREADS.replace(Some(threads));
    let out = f();
    THREADS.set(before);
    out
}

/// Runs `f` on the calling thread where its stack has room for input nested `depth` levels,
/// else on a fresh stack of [`STACK_SIZE`](crate::STACK_SIZE), still on the calling thread
/// (its thread-local settings and allocator heap stay). Each level of nesting is a level of
/// recursion in oam and in its dependencies (the YAML reader, JSON Schema, minijinja, the CUE
/// evaluator), so every public call that reads input runs its work through this: a caller's
/// thread of any size (a test's 2 MiB, a small one) is never overflowed, and the command
/// line's main thread switches only when `--max-depth` asks for more than it has.
pub(crate) fn with_stack_for<R>(depth: usize, f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(stack_needed(depth), crate::STACK_SIZE, f)
}

/// The stack a call needs for input nested `depth` levels, with half again as margin over
/// the most measured: on every path that recurses (`tests/cli.rs` builds the input), a
/// release build needed 335 KiB at 64 levels and 4.8 MiB at 1,000, and a CUE evaluation
/// nesting as deep as its budget allows 880 KiB at 64 and 2.8 MiB at 1,000; a debug build
/// (whose frames are larger) 2.5 MiB at 64 and 39 MiB at 1,000.
fn stack_needed(depth: usize) -> usize {
    let (base, per_level) = if cfg!(debug_assertions) {
        (2 << 20, 48 << 10)
    } else {
        (1 << 20, 6 << 10)
    };
    base + per_level * depth.min(crate::Budgets::MAX_DEPTH)
}

/// Pins the thread count of the calling thread (tests compare renderings on 1 and 2 threads).
#[cfg(test)]
pub(crate) fn pin(threads: Option<usize>) {
    THREADS.set(threads.and_then(NonZeroUsize::new));
}

/// `f` over `items` on up to `threads` threads (see `map_owned`); results in item order.
pub(crate) fn map<'a, T: Sync, R: Send>(
    items: &'a [T],
    threads: usize,
    f: impl Fn(&'a T) -> R + Sync,
) -> Vec<R> {
    map_owned(items.iter().collect(), threads, f)
}

/// `f` over `items` cut into contiguous slices, a few for each thread, each taken by a free
/// worker (a worker with state of its own keeps it across its slice); results in slice order.
pub(crate) fn map_slices<'a, T: Sync, R: Send>(
    items: &'a [T],
    f: impl Fn(&'a [T]) -> R + Sync,
) -> Vec<R> {
    let threads = threads();
    let slice = items.len().div_ceil(threads * BLOCKS_PER_THREAD).max(1);
    let slices: Vec<&[T]> = items.chunks(slice).collect();
    map(&slices, threads, |slice| f(slice))
}

/// `f` over `items`, taken by value, on up to `threads` threads; results in item order. Each
/// item is dropped by the thread that took it, as soon as `f` is done. The items are cut into
/// blocks that each worker takes in turn when it is free, so a core the machine slows down or a
/// stretch of costly items holds the others up by one block at most (halves fixed in advance
/// left one core idle for up to a tenth of a render).
pub(crate) fn map_owned<T: Send, R: Send>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let threads = threads.clamp(1, items.len().max(1));
    if threads == 1 {
        return items.into_iter().map(&f).collect();
    }
    let block = items.len().div_ceil(threads * BLOCKS_PER_THREAD);
    let mut rest = items.into_iter();
    let blocks: Vec<Mutex<Vec<T>>> = std::iter::from_fn(|| {
        let part: Vec<T> = rest.by_ref().take(block).collect();
        (!part.is_empty()).then(|| Mutex::new(part))
    })
    .collect();
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, Vec<R>)>> = std::thread::scope(|scope| {
        let worker = || {
            let mut out = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(slot) = blocks.get(index) else {
                    return out;
                };
                let part =
                    std::mem::take(&mut *slot.lock().unwrap_or_else(PoisonError::into_inner));
                out.push((index, part.into_iter().map(&f).collect()));
            }
        };
        // The calling thread is one of the workers. Its allocator heap outlives the call, so
        // what one step allocates and a later one frees (an app's model: lowered while
        // loading, dropped once rendered) is freed more often by the thread that allocated
        // it; a spawned thread's heap is abandoned when it ends, and every later free into it
        // takes mimalloc's slower path for blocks of another thread.
        // A thread the system refuses leaves its blocks to the others.
        let handles: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .stack_size(crate::STACK_SIZE)
                    .spawn_scoped(scope, worker)
                    .ok()
            })
            .collect();
        let mut done = vec![worker()];
        done.extend(
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
        );
        done
    });
    let mut ordered: Vec<Vec<R>> = (0..blocks.len()).map(|_| Vec::new()).collect();
    for (index, part) in done.into_iter().flatten() {
        ordered[index] = part;
    }
    // Sized once: grown by doubling, the results of a large step (every file's lowered model,
    // every app's rendered objects) would be copied into fresh memory at each step.
    let mut results = Vec::with_capacity(ordered.iter().map(Vec::len).sum());
    for part in ordered {
        results.extend(part);
    }
    results
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
        for threads in 1..5 {
            assert_eq!(super::map_owned(items.clone(), threads, |i| i * 2), one);
        }
        assert!(super::map_owned(Vec::<u32>::new(), 2, |i| i).is_empty());
        for threads in 1..5 {
            super::pin(Some(threads));
            let sliced: Vec<u32> = super::map_slices(&items, <[u32]>::to_vec)
                .concat()
                .iter()
                .map(|i| i * 2)
                .collect();
            assert_eq!(sliced, one);
        }
        super::pin(None);
        assert!(super::map_slices(&[] as &[u32], <[u32]>::len).is_empty());
    }
}
