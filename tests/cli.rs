//! The binary's own behaviour where the in-process harness cannot reach: environment variables
//! (the process environment is shared by every test thread) and argument conflicts.

use std::path::Path;
use std::process::Command;

const OAM: &str = env!("CARGO_BIN_EXE_oam");

fn quickstart() -> String {
    format!("{}/examples/quickstart", env!("CARGO_MANIFEST_DIR"))
}

/// A setting that is not honoured is refused, never ignored.
#[test]
fn an_invalid_thread_count_is_refused() {
    for value in ["abc", "0", "-1", ""] {
        let out = Command::new(OAM)
            .args(["render", &quickstart()])
            .env("OAM_THREADS", value)
            .output()
            .expect("run oam");
        assert_eq!(out.status.code(), Some(2), "OAM_THREADS={value}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("OAM_THREADS must be a positive number"),
            "{stderr}"
        );
    }
    let ok = Command::new(OAM)
        .args(["render", &quickstart()])
        .env("OAM_THREADS", "1")
        .output()
        .expect("run oam");
    assert_eq!(ok.status.code(), Some(0));
}

/// `--format` is for the stream; a directory for Git is YAML files, so the two together are a
/// usage error rather than a silently ignored flag.
#[test]
fn format_with_an_output_directory_is_a_usage_error() {
    let out = Command::new(OAM)
        .args([
            "render",
            &quickstart(),
            "--format",
            "json",
            "-o",
            "/nonexistent/out",
        ])
        .output()
        .expect("run oam");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

/// `diff` renders no headers, so it offers no `--no-header`: an option that does nothing is
/// refused.
#[test]
fn diff_offers_no_header_option() {
    let out = Command::new(OAM)
        .args(["diff", &quickstart(), &quickstart(), "--no-header"])
        .output()
        .expect("run oam");
    assert_eq!(out.status.code(), Some(2));
}

/// `value` wrapped in `levels` one-key mappings: `{a: {a: ... value}}`.
fn nested(levels: usize, value: &str) -> String {
    format!("{}{value}{}", "{a: ".repeat(levels), "}".repeat(levels))
}

/// Definitions and an app whose values nest to `depth` in every place that recurses: a
/// definition's JSON Schema (with defaults), a jinja template's `tojson`, a CUE trait, the
/// built-in patch traits and `k8s-objects`.
fn nested_input(depth: usize) -> [(&'static str, String); 2] {
    // The schema nests two levels a property (`properties: {a: ...}`).
    let mut schema = "{type: string, default: x}".to_owned();
    for _ in 0..(depth - 12) / 2 {
        schema = format!("{{type: object, default: {{}}, properties: {{a: {schema}}}}}");
    }
    let deep = nested(depth - 10, "1");
    let definitions = format!(
        "apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {{name: deep}}\nspec:\n  schematic:\n    jinja:\n      parameters: {{type: object, properties: {{p: {schema}, q: {{type: object}}}}}}\n      template: |\n        apiVersion: example.com/v1\n        kind: Widget\n        metadata: {{name: {{{{ context.name }}}}}}\n        spec: {{{{ parameter | tojson }}}}\n---\napiVersion: core.oam.dev/v1beta1\nkind: TraitDefinition\nmetadata: {{name: copy}}\nspec:\n  schematic:\n    cue:\n      template: |\n        outputs: copy: {{apiVersion: \"example.com/v1\", kind: \"Copy\", metadata: name: \"copy\", spec: parameter}}\n"
    );
    let app = format!(
        "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: deep}}\nspec:\n  components:\n    - name: web\n      type: webservice\n      properties: {{image: nginx}}\n      traits:\n        - {{type: json-merge-patch, properties: {{spec: {deep}}}}}\n        - {{type: json-patch, properties: {{operations: [{{op: add, path: /spec/x, value: {deep}}}]}}}}\n    - name: raw\n      type: k8s-objects\n      properties: {{objects: [{{apiVersion: example.com/v1, kind: Widget, metadata: {{name: w}}, spec: {deep}}}]}}\n    - name: own\n      type: deep\n      properties: {{q: {deep}}}\n      traits: [{{type: copy, properties: {deep}}}]\n"
    );
    [("definitions.yaml", definitions), ("app.yaml", app)]
}

/// `oam`, its main thread's stack cut to 1 MiB where a shell can (the default is 8 MiB).
fn with_a_small_main_stack() -> Command {
    if Path::new("/bin/sh").exists() {
        let mut shell = Command::new("/bin/sh");
        shell.args(["-c", "ulimit -s 1024 && exec \"$0\" \"$@\"", OAM]);
        shell
    } else {
        Command::new(OAM)
    }
}

/// Input nested as deep as `--max-depth` allows (1,000) goes through every stage that recurses
/// and renders, on every path of the command line, never overflowing a stack, with the main
/// thread's stack cut to 1 MiB (`ulimit -s` where there is a shell): each call of the library
/// makes the room it needs (on a 2 MiB stack, input past about 3,260 levels overflowed in a
/// release build, and a schema of 64 properties, 130 levels, in a debug build). Deeper is a
/// usage error.
#[test]
fn input_nested_as_deep_as_allowed_renders_on_every_path() {
    let work = std::env::temp_dir().join(format!("oam-cli-deep-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("scratch folder");
    let most = oam::Budgets::MAX_DEPTH;
    for (name, text) in nested_input(most) {
        std::fs::write(work.join(name), text).expect("write");
    }
    let limit = most.to_string();
    let input = work.to_string_lossy().into_owned();
    let out = work.join("out").to_string_lossy().into_owned();
    for args in [
        vec!["render", &input],
        vec!["render", &input, "--format", "json"],
        vec!["render", &input, "-o", &out],
        vec!["check", &input],
        vec!["explain", "deep", &input],
    ] {
        let run = with_a_small_main_stack()
            .args(&args)
            .args(["--max-depth", &limit])
            .output()
            .expect("run oam");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(0), "{args:?}:\n{stderr}");
        if args.len() == 2 && args[0] == "render" {
            // Five copies of the value: two patches, `k8s-objects`, the template, the CUE trait.
            let levels = String::from_utf8_lossy(&run.stdout).matches("a:").count();
            assert!(levels > 5 * (most - 20), "{levels} levels rendered");
        }
    }
    let too_deep = Command::new(OAM)
        .args(["check", &input, "--max-depth", &(most + 1).to_string()])
        .output()
        .expect("run oam");
    assert_eq!(too_deep.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&work);
}

/// A thread this small calls the library: each call makes room on the stack for the depth
/// its budgets allow (in a debug build a test's own 2 MiB thread overflowed at the default).
const SMALL_STACK: usize = 256 << 10;

/// The library on a small thread, at the default depth and as deep as allowed: input nested
/// that deep loads, explains, checks and renders, and every object reads back from its YAML
/// (on one thread and on two, so that the calling thread and a worker each take a deep app).
#[test]
fn the_library_renders_input_nested_as_deep_as_allowed_on_any_thread() {
    for (depth, threads) in [
        (64, 1),
        (oam::Budgets::MAX_DEPTH, 1),
        (oam::Budgets::MAX_DEPTH, 2),
    ] {
        let rendered = std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(move || {
                let mut loader = oam::Loader::new()
                    .budgets(oam::Budgets::default().max_depth(depth))
                    .threads(std::num::NonZeroUsize::new(threads).expect("threads"));
                for (name, text) in nested_input(depth) {
                    loader = loader.source(name, text);
                }
                let project = loader.load().map_err(|d| d.to_string())?;
                let explained = project.explain("deep", oam::ExplainFormat::Markdown);
                let listed = project.describe_definitions(oam::DefinitionsFormat::Json, None);
                let options = oam::RenderOptions::default().keep_values(false);
                let rendered = project
                    .check()
                    .and_then(|checked| checked.render(&options))
                    .map_err(|d| d.to_string())?;
                let json = rendered.to_stream(oam::Format::Json);
                let read_back: usize = rendered
                    .objects()
                    .map(|o| o.value().to_string().len())
                    .sum();
                let values = rendered.into_values().len();
                Ok::<_, String>((
                    explained.is_ok(),
                    listed.len() > 1000,
                    json.len() > read_back,
                    values,
                ))
            })
            .expect("a thread")
            .join()
            .expect("no overflow");
        assert_eq!(
            rendered,
            Ok((true, true, true, 4)),
            "depth {depth}, {threads} threads"
        );
    }
    // A larger budget is taken as the most allowed.
    let deeper = format!("a: {}\n", nested(oam::Budgets::MAX_DEPTH + 1, "1"));
    let refused = std::thread::Builder::new()
        .stack_size(SMALL_STACK)
        .spawn(move || {
            oam::Loader::new()
                .budgets(oam::Budgets::default().max_depth(usize::MAX))
                .source("deep.yaml", deeper)
                .load()
                .map(|_| ())
                .map_err(|d| d.to_vec()[0].code)
        })
        .expect("a thread")
        .join()
        .expect("no overflow");
    assert_eq!(refused, Err("oam::E007"));
}

/// A definition whose template does `work`, in an app that uses it: (the input folder, an
/// empty output folder) in a scratch folder of its own.
fn runaway(name: &str, work: &str) -> (std::path::PathBuf, String, String) {
    let scratch = std::env::temp_dir().join(format!("oam-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(scratch.join("in")).expect("scratch folder");
    std::fs::create_dir_all(scratch.join("out")).expect("an empty output folder");
    let app = format!(
        "\
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {{name: runaway}}
spec:
  schematic:
    jinja:
      template: |
        {{% set ns = namespace(l=[1]) %}}
        {work}
        apiVersion: v1
        kind: ConfigMap
        metadata: {{name: {{{{ context.name }}}}}}
        data: {{a: \"{{{{ ns.l | length }}}}\"}}
---
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {{name: runaway}}
spec:
  components:
    - {{name: one, type: runaway}}
"
    );
    std::fs::write(scratch.join("in/app.yaml"), app).expect("write");
    let input = scratch.join("in").to_string_lossy().into_owned();
    let out = scratch.join("out").to_string_lossy().into_owned();
    (scratch, input, out)
}

/// Runs `oam render` on a runaway template with `limit`, to stdout and with `-o`: each stops
/// with exit 1 and every `expected` text, prints nothing, and leaves the output folder empty
/// with no sibling. Where the system has no watchdog, the test says so and skips.
fn stops_with(name: &str, work: &str, limit: [&str; 2], expected: &[&str]) {
    let (scratch, input, out) = runaway(name, work);
    for args in [
        vec!["render", &input],
        vec!["render", &input, "-o", &out, "--diagnostics", "json"],
    ] {
        let run = Command::new(OAM)
            .args(&args)
            .args(limit)
            .output()
            .expect("run oam");
        let stderr = String::from_utf8_lossy(&run.stderr);
        if stderr.contains("cannot be watched on this system") {
            eprintln!("skipped: this system has no watchdog");
            return;
        }
        assert_eq!(run.status.code(), Some(1), "{args:?}:\n{stderr}");
        for text in expected
            .iter()
            .chain(&["ComponentDefinition `runaway`", "app.yaml"])
        {
            assert!(stderr.contains(text), "{args:?}: no {text}:\n{stderr}");
        }
        assert!(
            run.stdout.is_empty(),
            "{args:?}: nothing rendered is printed"
        );
    }
    let entries: Vec<_> = std::fs::read_dir(&scratch)
        .expect("the scratch folder")
        .map(|e| e.expect("an entry").file_name())
        .collect();
    assert_eq!(
        entries.len(),
        2,
        "no sibling of the output left: {entries:?}"
    );
    assert_eq!(
        std::fs::read_dir(scratch.join("out")).expect("out").count(),
        0
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A template that outgrows memory, where no budget counts the work (minijinja materialises a
/// list doubled past 32 levels without charging fuel), stops with `oam::E056` at the template.
#[test]
fn a_template_that_outgrows_max_memory_stops_at_the_template() {
    stops_with(
        "memory",
        "{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
        ["--max-memory", "100000000"],
        &["oam::E056", "budget of 100000000 bytes"],
    );
}

/// A template that works past its time in no memory (a list doubled 32 times stays lazy, and
/// writing it out as text is not charged fuel) stops with `oam::E057` at the template.
#[test]
fn a_template_that_runs_past_max_template_time_stops_at_the_template() {
    stops_with(
        "time",
        "{% for i in range(32) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{% set s = ns.l ~ \"\" %}",
        ["--max-template-time", "1"],
        &["oam::E057", "ran more than 1 s"],
    );
}
