//! Hostile input: every file parses or fails, and every evaluation ends, within its budget, on a
//! thread with a small stack (oam evaluates on worker threads), with an error that says so.

use std::fmt::Write as _;

/// Evaluates `text` on a thread with 2 MiB of stack (a Rust worker thread's default) and
/// returns the export's error, if any.
fn outcome(text: String, budget: cue::Budget) -> Result<serde_json::Value, cue::Error> {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let file = cue::parse(&text, 0)?;
            let mut evaluation = cue::Evaluation::new(budget);
            evaluation.add_file(&file);
            evaluation.export(&[])
        })
        .expect("spawn")
        .join()
        .expect("no panic, no stack overflow")
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_crash() {
    for (open, close) in [("{", "}"), ("[", "]"), ("(", ")")] {
        let text = format!("a: {}1{}", open.repeat(100_000), close.repeat(100_000));
        let error = outcome(text, cue::Budget::default()).expect_err("too deep");
        assert_eq!(error.kind, cue::ErrorKind::Syntax, "{error}");
    }
    let error = outcome(
        format!("a: {}1", "-".repeat(100_000)),
        cue::Budget::default(),
    )
    .expect_err("too deep");
    assert_eq!(error.kind, cue::ErrorKind::Syntax, "{error}");
    // Interpolations inside interpolations.
    let text = format!("a: {}1{}", "\"\\(".repeat(50_000), ")\"".repeat(50_000));
    let error = outcome(text, cue::Budget::default()).expect_err("too deep");
    assert_eq!(error.kind, cue::ErrorKind::Syntax, "{error}");
}

#[test]
fn structural_cycles_and_long_chains_end_within_the_budget() {
    let error = outcome("a: {b: a}".to_owned(), cue::Budget::default()).expect_err("infinite");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    let mut chain = String::new();
    for i in 0..5_000 {
        let _ = writeln!(chain, "f{i}: f{}", i + 1);
    }
    chain.push_str("f5000: 1\n");
    assert!(
        outcome(chain, cue::Budget::default()).is_err(),
        "a chain deeper than the budget fails"
    );
}

#[test]
fn one_field_written_millions_of_times_stops_at_the_budget() {
    // 2,300 × 2,300 yields into one field create few vertices; each yield is a value unified
    // into the field, which the vertex budget bounds too (1.5 GB of RSS in `oam render` before).
    let list: Vec<String> = (0..2_300).map(|i| i.to_string()).collect();
    let text = format!(
        "l: [{}]\nout: {{for x in l for y in l {{a: 1}}}}\n",
        list.join(", ")
    );
    let error = outcome(text, cue::Budget::default()).expect_err("too many values");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    assert!(error.message.contains("unifies more values"), "{error}");
}

#[test]
fn exponential_values_stop_at_the_budget() {
    // Each level doubles the struct: 2^40 fields unless the budget stops it.
    let mut text = String::from("l0: {a: 1, b: 2}\n");
    for i in 1..40 {
        let _ = writeln!(text, "l{i}: {{x: l{}, y: l{}}}", i - 1, i - 1);
    }
    let small = cue::Budget {
        steps: 200_000,
        ..cue::Budget::default()
    };
    let error = outcome(text, small).expect_err("too large");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    // Disjunctions of structs multiply forks.
    let mut forks = String::new();
    for i in 0..30 {
        let _ = writeln!(forks, "d: f{i}: *{{a: 1}} | {{b: 2}}");
    }
    forks.push_str("x: d\n");
    let value = outcome(forks, small).expect("each field forks on its own");
    assert_eq!(value["x"].as_object().map(serde_json::Map::len), Some(30));
    assert_eq!(value["x"]["f29"], serde_json::json!({"a": 1}));
    let repeat = "s: \"ab\" * 100000000\n".to_owned();
    assert!(
        outcome(repeat, cue::Budget::default()).is_err(),
        "a huge string is refused"
    );
    // Doubling a string by concatenation: a few steps, 8 GiB unless the text budget stops it.
    let mut doubling = String::from("s0: \"abcdefgh\"\n");
    for i in 1..31 {
        let _ = writeln!(doubling, "s{i}: s{} + s{}", i - 1, i - 1);
    }
    let error = outcome(doubling, cue::Budget::default()).expect_err("too much text");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    let list = "l: [1, 2] * 100000000\n".to_owned();
    assert!(
        outcome(list, cue::Budget::default()).is_err(),
        "a huge list is refused"
    );
}

/// Inputs the fuzzer found (`fuzz/fuzz_targets/cue.rs`), run as the target runs them: each
/// once ended in a panic.
#[test]
fn fuzz_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut ran = 0;
    for entry in std::fs::read_dir(dir)
        .expect("tests/fuzz-regressions")
        .flatten()
    {
        let text = std::fs::read_to_string(entry.path()).expect("a finding");
        std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(move || {
                let Ok(file) = cue::parse(&text, 0) else {
                    return;
                };
                let budget = cue::Budget {
                    steps: 200_000,
                    vertices: 20_000,
                    depth: 100,
                    forks: 32,
                    bytes: 1 << 20,
                };
                let mut evaluation = cue::Evaluation::new(budget);
                evaluation.add_file(&file);
                let _ = evaluation.export(&[]);
                let _ = evaluation.patch_info(&[]);
                let _ = evaluation.unset(&[], 10);
                let _ = evaluation.describe(&[]);
            })
            .expect("spawn")
            .join()
            .expect("no panic");
        ran += 1;
    }
    assert!(ran > 0, "no findings to run");
}

#[test]
fn many_large_patterns_are_paid_for_in_steps() {
    // A thousand different patterns, each compiling to about 60 KiB: uncharged, a template
    // like this took 4.9 s and 1.8 GB (with patterns of up to 1 MiB); the first use of each
    // pattern now costs 32,768 steps, so the default budget (5 million) stops it at the 153rd,
    // wherever the process has compiled some of them before (the second evaluation finds them
    // cached).
    let mut text = String::new();
    for i in 0..1_000 {
        let _ = writeln!(text, "x{i}: \"a\" & =~\"^a|[0-9]{{850}}b{i}\"");
    }
    for _ in 0..2 {
        let error = outcome(text.clone(), cue::Budget::default()).expect_err("over the budget");
        assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
        assert!(error.path.ends_with("x152"), "{error}");
    }
    // A pattern larger than the limit is refused, not compiled.
    let error = outcome(
        "x: \"a\" & =~\"\\\\pL{24}\"".to_owned(),
        cue::Budget::default(),
    )
    .expect_err("too large");
    assert!(error.message.contains("size limit"), "{error}");
    // The patterns of real templates are far below the limit.
    let quantity = "m: \"512Mi\" & =~\"^([1-9][0-9]{0,63})(E|P|T|G|M|K|Ei|Pi|Ti|Gi|Mi|Ki)$\"\n";
    assert!(outcome(quantity.to_owned(), cue::Budget::default()).is_ok());
}

#[test]
fn searches_are_paid_for_before_they_run() {
    // A pattern of 430 states (a literal of NUL bytes, too many for the regex crate's lazy
    // automaton, so its slowest engine searches) over 100 KB of text, a thousand times: about
    // 30 s of searching when a search cost one step (a 1.5 KB file the fuzzer found took
    // 2.4 s under a budget of 200,000 steps). Each search is now paid for, before it runs, by
    // the bytes it may read times the pattern's states.
    let pattern = format!("{}t4 - 5", "\\u0000".repeat(424));
    let mut text = "import \"strings\"\ntext: strings.Repeat(\"\\u0000\", 100000)\n".to_owned();
    for i in 0..1_000 {
        let _ = writeln!(text, "m{i}: text =~ \"{pattern}\"");
    }
    let error = outcome(text, cue::Budget::default()).expect_err("over the budget");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    // Every match found reads up to the rest of the text: here each search reads to the end
    // to rule out the longer alternative, 100,000 searches of 50 KB on average.
    let replace = "import \"regexp\"\nimport \"strings\"\nx: regexp.ReplaceAll(\"[a-z]+X|[a-z]\", strings.Repeat(\"a\", 100000), \"b\")\n";
    let error = outcome(replace.to_owned(), cue::Budget::default()).expect_err("over the budget");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    // KubeVela's patterns over real values cost a few dozen steps a search.
    let mut names = String::new();
    for i in 0..10_000 {
        let _ = writeln!(
            names,
            "n{i}: \"name-{i}\" & =~\"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$\""
        );
    }
    assert!(outcome(names, cue::Budget::default()).is_ok());
}

#[test]
fn long_chains_are_nesting() {
    // `a + a + ...` parses to a tree as deep as the chain, which evaluation walks
    // recursively: 3,000 additions in a 12 KB definition overflowed `oam render`'s stack, and
    // so did `l0: l1: ...: 1` and `[for a in l for a in l ... {1}]`. Each operator, selector,
    // index, call, label of a shorthand and comprehension clause counts as a level of nesting;
    // a run of `|`, `&` or `&&` is balanced instead.
    let chain = |kind: &str, n: usize| match kind {
        "[0]" | "()" => format!("a: 1\nx: a{}\n", kind.repeat(n)),
        "labels" => format!(
            "{}: 1\n",
            (0..n)
                .map(|i| format!("l{i}"))
                .collect::<Vec<_>>()
                .join(": ")
        ),
        "for" => format!("l: [1]\nx: [{} {{1}}]\n", "for a in l ".repeat(n)),
        "if" => format!("x: [{} {{1}}]\n", "if true ".repeat(n)),
        op => format!("a: 1\nx: {}\n", vec!["a"; n].join(op)),
    };
    let kinds = [
        " + ", " | ", " & ", " * ", " && ", " == ", " - ", ".", "[0]", "()", "labels", "for", "if",
    ];
    for kind in kinds {
        let long = outcome(chain(kind, 10_000), cue::Budget::default());
        if matches!(kind, " | " | " & " | " && ") {
            // A run of one associative operator is a balanced tree, 14 levels deep.
            assert!(
                long.as_ref()
                    .map_or_else(|e| e.kind != cue::ErrorKind::Syntax, |_| true),
                "{kind}: {long:?}"
            );
        } else {
            let error = long.expect_err("too deep");
            assert_eq!(error.kind, cue::ErrorKind::Syntax, "{kind}: {error}");
        }
        // Below the limit, a chain evaluates (to a value or an error) on a worker's stack.
        let _ = outcome(chain(kind, 140), cue::Budget::default());
    }
}

#[test]
fn disjunctions_multiplied_stop_at_their_bounds() {
    // Meeting two disjunctions tries every pair: 32 bounds met four times over are a million
    // alternatives, which built millions of values before (1.6 s for a 1.5 KB fuzz input).
    let bounds: Vec<String> = (0..32).map(|i| format!(">{i}")).collect();
    let text = format!("a: {}\nx: a & a & a & a\n", bounds.join(" | "));
    assert!(outcome(text, cue::Budget::default()).is_err());
    // An enum met with itself is the enum: equal alternatives are one.
    let names: Vec<String> = (0..200).map(|i| format!("\"n{i}\"")).collect();
    let text = format!("_e: {}\ny: _e & _e & \"n7\"\n", names.join(" | "));
    let value = outcome(text, cue::Budget::default()).expect("an enum met with itself");
    assert_eq!(value["y"], "n7");
}

#[test]
fn text_referred_to_many_times_is_paid_for() {
    // 2 MB of text written once (as a parameter can be), exported 100 times: 200 MB unless the
    // export pays for each copy (8 MB 400 times took 25 s and 9.0 GiB).
    let many = (0..100).map(|_| "s").collect::<Vec<_>>().join(", ");
    let text = format!("s: \"{}\"\nout: [{many}]\n", "x".repeat(2_000_000));
    let error = outcome(text, cue::Budget::default()).expect_err("too much text");
    assert_eq!(error.kind, cue::ErrorKind::Budget, "{error}");
    // Functions refuse, before the work, results larger than the budget.
    for call in [
        "strings.Repeat(\"ab\", 100000000)",
        "strings.Replace(strings.Repeat(\"a\", 1000000), \"a\", strings.Repeat(\"b\", 1000), -1)",
        "list.Range(0, 1000000000000, 1)",
        "list.Repeat([1, 2], 1000000000)",
        "strings.Split(strings.Repeat(\"a\", 10000000), \"\")",
        "json.Unmarshal(strings.Repeat(\"[\", 1) + strings.Repeat(\"1,\", 1000000) + \"1]\")",
        "yaml.Unmarshal(\"a: &a [1, 2, 3, 4, 5, 6, 7, 8]\\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d]\\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e]\\ng: [*f, *f, *f, *f, *f, *f, *f, *f]\\n\")",
        "yaml.Marshal([for i in list.Range(0, 2000, 1) {strings.Repeat(\"a\\n\", 20000)}])",
    ] {
        let text = format!(
            "import (\n\t\"strings\"\n\t\"list\"\n\t\"encoding/json\"\n\t\"encoding/yaml\"\n)\nout: {call}\n"
        );
        match outcome(text, cue::Budget::default()) {
            Err(error) => assert_eq!(error.kind, cue::ErrorKind::Budget, "{call}: {error}"),
            Ok(_) => panic!("{call} evaluated"),
        }
    }
}

#[test]
fn deep_values_go_through_the_encoders_on_a_small_stack() {
    // Values nest deeper than any literal can (each level a reference to the one below):
    // exporting, the encoders and `FlattenN` walk them recursively on a worker's stack.
    let mut text = String::from(
        "import (\n\t\"encoding/json\"\n\t\"encoding/yaml\"\n\t\"list\"\n)\ns0: {a: \"x\"}\nl0: [1]\n",
    );
    for i in 1..350 {
        let _ = writeln!(text, "s{i}: {{a: s{}}}\nl{i}: [l{}]", i - 1, i - 1);
    }
    text.push_str("y: yaml.Marshal(s349)\nj: json.Marshal(s349)\nf: list.FlattenN(l349, -1)\n");
    let value = outcome(text, cue::Budget::default()).expect("deep values encode");
    assert_eq!(value["f"], serde_json::json!([1]));
    assert_eq!(value["y"].as_str().map(|y| y.lines().count()), Some(350));
    // Text that nests deeper than the readers allow is an error, not a crash.
    for call in ["yaml.Unmarshal", "json.Unmarshal"] {
        let text = format!(
            "import (\n\t\"encoding/json\"\n\t\"encoding/yaml\"\n)\nx: {call}(\"{}\")\n",
            "[".repeat(5_000)
        );
        assert!(outcome(text, cue::Budget::default()).is_err(), "{call}");
    }
}

#[test]
fn long_pattern_text_is_refused_before_it_is_read() {
    // A pattern's Perl classes are rewritten before it compiles (`\\w` is 12 bytes in its
    // ASCII form): a long text is refused first.
    let text = format!("a: \"x\" =~ \"{}\"\n", "\\\\w".repeat(50_000));
    let error = outcome(text, cue::Budget::default()).expect_err("too long");
    assert!(error.message.contains("longer than"), "{error}");
}
