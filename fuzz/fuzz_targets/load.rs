//! Any bytes as an input file: load, classify, lower and check must answer with diagnostics
//! (exit 1) or success (exit 0), never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let code = oam_fuzz_run(&["check", "-", "--no-builtins"], data);
    assert!(code <= 1, "exit code {code}");
});

fn oam_fuzz_run(args: &[&str], input: &[u8]) -> u8 {
    let mut stdin = input;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut env = oam::Env {
        cwd: std::env::temp_dir(),
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        colour: false,
    };
    oam::run(std::iter::once("oam").chain(args.iter().copied()), &mut env)
}
