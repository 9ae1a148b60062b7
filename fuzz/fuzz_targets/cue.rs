//! Any bytes as a CUE file: the parser and the evaluator answer with a value or an error, never
//! a panic, a stack overflow or a hang (the evaluation runs under a small budget).
#![no_main]

use libfuzzer_sys::fuzz_target;

const BUDGET: cue::Budget = cue::Budget {
    steps: 20_000,
    vertices: 20_000,
    depth: 100,
    forks: 32,
    bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = cue::parse(text, 0) else {
        return;
    };
    let mut evaluation = cue::Evaluation::new(BUDGET);
    evaluation.add_file(&file);
    let _ = evaluation.export(&[]);
    let _ = evaluation.patch_info(&[]);
    let _ = evaluation.unset(&[], 10);
    let _ = evaluation.describe(&[]);
});
