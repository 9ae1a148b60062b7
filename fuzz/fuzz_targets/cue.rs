//! Any bytes as a CUE file: the parser and the evaluator answer with a value or an error, never
//! a panic, a stack overflow or a hang (the evaluation runs under a small budget).
#![no_main]

use libfuzzer_sys::fuzz_target;

/// Small, so that each input runs fast; its steps still cover a few regular expressions (the
/// first use of each costs 32,768), as KubeVela's templates in the corpus use them.
const BUDGET: cue::Budget = cue::Budget {
    steps: 200_000,
    vertices: 20_000,
    depth: 100,
    forks: 32,
    bytes: 1 << 20,
};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.to_owned();
    // On a thread with a worker's stack (2 MiB), as oam evaluates. A libFuzzer target never
    // runs Rust's runtime set-up, so an overflow there dies of SIGSEGV in libFuzzer's handler
    // with no input kept: run with `-fork=1` (docs/reliability.md) to keep it.
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let Ok(file) = cue::parse(&text, 0) else {
                return;
            };
            // Both encoders' text, chosen by something the input already varies.
            let encoders = if text.len() % 2 == 0 {
                cue::Encoders::KubeVela
            } else {
                cue::Encoders::CueV04
            };
            let mut evaluation = cue::Evaluation::new(BUDGET).with_encoders(encoders);
            evaluation.add_file(&file);
            let _ = evaluation.export(&[]);
            let _ = evaluation.patch_info(&[]);
            let _ = evaluation.unset(&[], 10);
            let _ = evaluation.describe(&[]);
        })
        .expect("a thread")
        .join()
        .expect("no panic");
});
