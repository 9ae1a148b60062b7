//! Any bytes as an input file: load, classify, lower and check must answer with diagnostics
//! (exit 1) or success (exit 0), never a panic or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let (code, _) = common::run(&["check", "-", "--no-builtins"], data);
    assert!(code <= 1, "exit code {code}");
});
