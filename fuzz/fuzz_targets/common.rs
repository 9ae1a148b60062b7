//! Running the CLI in-process, shared by the targets (each uses part of it).
#![allow(dead_code)]

use std::path::Path;

/// `oam ARGS` in `cwd` with `input` as standard input: (exit code, stdout, stderr).
pub fn run_in(cwd: &Path, args: &[&str], input: &[u8]) -> (u8, String, String) {
    let mut stdin = input;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    // Without a watchdog: the fuzzer is one process for every input, which it would end.
    let mut env = oam::Env::new(cwd.to_path_buf(), &mut stdin, &mut stdout, &mut stderr);
    let code = oam::run(std::iter::once("oam").chain(args.iter().copied()), &mut env);
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (code, text(stdout), text(stderr))
}

/// `oam ARGS` with `input` as standard input, in the temporary directory: (exit code, stdout).
pub fn run(args: &[&str], input: &[u8]) -> (u8, String) {
    let (code, stdout, _) = run_in(&std::env::temp_dir(), args, input);
    (code, stdout)
}

/// The `i`-th entry of a pool, wrapping around.
pub fn pick<'a>(list: &[&'a str], i: u8) -> &'a str {
    list[usize::from(i) % list.len()]
}
