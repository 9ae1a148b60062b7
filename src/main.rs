//! The `oam` command: parse nothing here, run the library, map its result to an exit code.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

/// The binary's allocator (the library leaves the choice to its users). Rendering allocates
/// millions of small values across threads; with glibc's malloc, 100,000 apps took 30 s (13x
/// the time of 10,000), with mimalloc 16 s (10x), at the same peak memory
/// (docs/performance.md). `no_thp`: transparent huge pages would round small heaps up to 2 MiB
/// pages. `v2`: mimalloc 2 gives freed pages back to the system 10 ms after they are freed,
/// mimalloc 3 a second after, which in a run of a second kept the apps already rendered
/// resident: 10,000 apps peaked about 10 MiB higher (over 4 times the output with `-o`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Any thread will do: each call of the library makes room on the stack for the depth the
    // run allows.
    ExitCode::from(run())
}

fn run() -> u8 {
    // Into a pipe (`oam render | kubectl apply -f -`), the stream is the run's last step, on one
    // core: the 28 MB of 10,000 apps went into `| cat` in 17-32 ms through the pipe's default
    // 64 KiB, in 11-12 ms through 1 MiB (the most Linux gives an unprivileged process by
    // default). Standard output that is not a pipe, or a pipe the system will not grow, is
    // left as it is.
    #[cfg(target_os = "linux")]
    let _ = rustix::pipe::fcntl_setpipe_size(rustix::stdio::stdout(), 1 << 20);
    let colour =
        io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let (mut stdin, mut stdout, mut stderr) =
        (io::stdin().lock(), io::stdout().lock(), io::stderr().lock());
    let mut env = oam::Env {
        colour,
        width: io::stdout()
            .is_terminal()
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten(),
        threads: std::env::var_os("OAM_THREADS"),
        watchdog: true,
        exits_after_run: true,
        ..oam::Env::new(cwd, &mut stdin, &mut stdout, &mut stderr)
    };
    oam::run(std::env::args_os(), &mut env)
}
