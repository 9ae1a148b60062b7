//! Hostile input beyond what a golden case can hold: file names with control characters.

use std::fmt::Write;
use std::fs;

use super::{run_case, scratch, strings};
use crate::diag::is_unsafe_char;

/// No control character but the line ends reaches the report raw.
fn assert_printable(report: &str) {
    let raw: Vec<char> = report
        .chars()
        .filter(|&c| c != '\n' && is_unsafe_char(c))
        .collect();
    assert!(raw.is_empty(), "raw control characters: {raw:?}");
}

/// A file name that carries a newline and a YAML document (the attack: a ClusterRoleBinding
/// injected through the `# Rendered by oam from:` header) is refused with E009 before anything
/// is read or written, and no diagnostic echoes a raw control character (ESC, OSC, bidi).
#[cfg(unix)]
#[test]
fn hostile_file_names_are_refused() {
    let work = scratch("hostile-names");
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: b}\n";
    let injected = "x\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: pwn}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]}\n#.yaml";
    let names = [
        injected.to_owned(),
        "esc-\u{1b}]8;;http://evil\u{7}title.yaml".to_owned(),
        "bidi-\u{202e}lmay.txt.yaml".to_owned(),
        "line-\u{2028}sep.yaml".to_owned(),
        "nel-\u{85}.yaml".to_owned(),
        "tab-\t.yaml".to_owned(),
        "del-\u{7f}.yaml".to_owned(),
    ];
    fs::create_dir_all(work.join("apps/dir-\u{1b}[2J")).expect("create a hostile folder");
    fs::write(work.join("apps/dir-\u{1b}[2J/app.yaml"), app).expect("write into it");
    for name in &names {
        // Slashes in the injected name make folders, as git would check them out.
        let path = work.join("apps").join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create its folders");
        fs::write(path, app).expect("write a hostile name");
    }
    fs::write(work.join("apps/fine.yaml"), app).expect("write a plain file");
    for command in [
        strings(&["render", "apps", "-o", "out"]),
        strings(&["check", "apps", "--strict"]),
    ] {
        let outcome = run_case(&work, &command);
        assert_eq!(outcome.code, 1, "{}", outcome.stderr);
        assert!(!work.join("out").exists(), "nothing written");
        assert_eq!(
            outcome.stderr.matches("oam::E009").count(),
            names.len() + 1,
            "{}",
            outcome.stderr
        );
        assert_printable(&outcome.stderr);
        assert!(
            outcome.stderr.contains("esc-\\u{1b}]8;;"),
            "{}",
            outcome.stderr
        );
    }
    // Named explicitly, the same.
    let explicit = run_case(&work, &strings(&["render", &format!("apps/{}", names[1])]));
    assert_eq!(explicit.code, 1);
    assert!(explicit.stderr.contains("oam::E009"), "{}", explicit.stderr);
}

/// A control character inside a file (a name with ESC and OSC sequences, a bidi override) is
/// shown escaped in the message and in the snippet.
#[test]
fn control_characters_in_input_are_escaped_in_diagnostics() {
    let work = scratch("control-chars");
    fs::write(
        work.join("app.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"a\\e]0;pwned\\a\\u202Eb\"}\ndata: {\"k\\e[31m\": 1}\n",
    )
    .expect("write the app");
    let outcome = run_case(&work, &strings(&["render", "."]));
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert_printable(&outcome.stderr);
    assert!(outcome.stderr.contains("\\u{1b}"), "{}", outcome.stderr);
}

/// Sizes are checked before reading, and a read never goes past the budget: a 64 GiB sparse
/// file is refused without being read, an endless standard input is cut at the budget, and
/// the inputs of a run together are bounded too.
#[test]
fn budgets_bound_input_before_it_is_read() {
    let work = scratch("input-budgets");
    let big = fs::File::create(work.join("big.yaml")).expect("create");
    big.set_len(64 << 30).expect("a sparse file");
    let outcome = run_case(&work, &strings(&["check", "big.yaml"]));
    assert_eq!(outcome.code, 1);
    assert!(outcome.stderr.contains("oam::E007"), "{}", outcome.stderr);

    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut endless = std::io::repeat(b'a');
    let mut env = crate::Env::new(work.to_path_buf(), &mut endless, &mut stdout, &mut stderr);
    let code = crate::run(["oam", "check", "-", "--max-file-bytes", "4096"], &mut env);
    assert_eq!(code, 1);
    assert!(String::from_utf8_lossy(&stderr).contains("oam::E007"));

    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n";
    fs::create_dir_all(work.join("apps")).expect("apps");
    fs::write(work.join("apps/a.yaml"), app).expect("write");
    fs::write(work.join("apps/b.yaml"), app.replace("name: a", "name: b")).expect("write");
    let total = run_case(
        &work,
        &strings(&["check", "apps", "--max-input-bytes", "100"]),
    );
    assert_eq!(total.code, 1);
    assert!(
        total.stderr.contains("--max-input-bytes"),
        "{}",
        total.stderr
    );
    // Forty files of 66 bytes against 1,000: the first fifteen in input order are read and the
    // rest refused, though the files are read ahead on every core.
    for index in 0..40 {
        let name = format!("c{index:02}");
        let text = app.replace("name: a", &format!("name: {name}"));
        assert_eq!(text.len(), 66);
        fs::write(work.join(format!("apps/{name}.yaml")), text).expect("write");
    }
    fs::remove_file(work.join("apps/a.yaml")).expect("remove");
    fs::remove_file(work.join("apps/b.yaml")).expect("remove");
    let args = strings(&["check", "apps", "--max-input-bytes", "1000"]);
    let with = |threads: usize| {
        crate::parallel::pin(Some(threads));
        let outcome = run_case(&work, &args);
        crate::parallel::pin(None);
        outcome
    };
    let (one, two) = (with(1), with(2));
    assert_eq!((one.code, &one.stderr), (two.code, &two.stderr));
    let refused: Vec<&str> = two
        .stderr
        .lines()
        .filter_map(|line| line.split('`').nth(1))
        .filter(|name| name.starts_with("apps/"))
        .collect();
    let expected: Vec<String> = (15..40).map(|i| format!("apps/c{i:02}.yaml")).collect();
    assert_eq!(refused, expected, "{}", two.stderr);
}

/// A named pipe is never opened (it would block the run until a writer came): named as an
/// input or met while walking, it is E001.
#[cfg(unix)]
#[test]
fn special_files_are_never_opened() {
    let work = scratch("special-files");
    fs::create_dir_all(work.join("apps")).expect("apps");
    let made = std::process::Command::new("mkfifo")
        .arg(work.join("apps/pipe.yaml"))
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    for path in ["apps", "apps/pipe.yaml"] {
        let outcome = run_case(&work, &strings(&["check", path]));
        assert_eq!(outcome.code, 1, "{}", outcome.stderr);
        assert!(
            outcome.stderr.contains("is a named pipe"),
            "{}",
            outcome.stderr
        );
    }
}

/// The run's budgets stop a render at the same app, with the same report, on any thread count:
/// 300 apps whose templates spend different amounts of fuel, the budget passed about halfway,
/// rendered with 1 to 8 workers (the golden cases `run-fuel*` hold one such report).
#[test]
fn run_budgets_report_the_same_on_any_thread_count() {
    let work = scratch("run-budget-threads");
    let mut text = String::from(
        "apiVersion: core.oam.dev/v1beta1\nkind: ComponentDefinition\nmetadata: {name: spin}\nspec:\n  schematic:\n    jinja:\n      template: |\n        {% for i in range(parameter.rounds) %}{% endfor %}\n        {% if parameter.rounds % 7 == 0 %}{{ fail(\"seven\") }}{% endif %}\n        apiVersion: v1\n        kind: ConfigMap\n        metadata: {name: {{ context.name }}}\n",
    );
    for app in 0..300 {
        let rounds = 50 + (app * 37) % 400;
        let _ = write!(
            text,
            "---\napiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: app-{app}}}\nspec:\n  components: [{{name: c, type: spin, properties: {{rounds: {rounds}}}}}]\n"
        );
    }
    fs::write(work.join("apps.yaml"), text).expect("write the apps");
    let args = strings(&[
        "render",
        ".",
        "--max-template-fuel",
        "5000",
        "--max-run-fuel",
        "150000",
    ]);
    let with = |threads: usize| {
        crate::parallel::pin(Some(threads));
        let outcome = run_case(&work, &args);
        crate::parallel::pin(None);
        outcome
    };
    let one = with(1);
    assert_eq!(one.code, 1);
    assert!(one.stderr.contains("oam::E055"), "{}", one.stderr);
    assert!(
        one.stderr.contains("oam::E060"),
        "apps before the one named report: {}",
        one.stderr
    );
    for threads in [2, 3, 4, 8] {
        for _ in 0..3 {
            assert_eq!(with(threads).stderr, one.stderr, "{threads} threads");
        }
    }
}
