//! The `oam` command: parse nothing here, run the library, map its result to an exit code.

use std::io::{self, IsTerminal};
use std::process::ExitCode;

fn main() -> ExitCode {
    let colour =
        io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let cwd = std::env::current_dir().unwrap_or_else(|_| ".".into());
    let mut env = oam::Env {
        cwd,
        stdin: &mut io::stdin().lock(),
        stdout: &mut io::stdout().lock(),
        stderr: &mut io::stderr().lock(),
        colour,
        width: io::stdout()
            .is_terminal()
            .then(|| terminal_size::terminal_size().map(|(w, _)| usize::from(w.0)))
            .flatten(),
        threads: std::env::var_os("OAM_THREADS"),
    };
    ExitCode::from(oam::run(std::env::args_os(), &mut env))
}
