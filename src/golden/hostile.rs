//! Hostile input beyond what a golden case can hold: file names with control characters.

use std::fs;

use super::{run_case, scratch, strings};
use crate::diag::is_unsafe_char;

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
        let raw: Vec<char> = outcome
            .stderr
            .chars()
            .filter(|&c| c != '\n' && is_unsafe_char(c))
            .collect();
        assert!(raw.is_empty(), "raw control characters: {raw:?}");
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
    let _ = fs::remove_dir_all(&work);
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
    let raw: Vec<char> = outcome
        .stderr
        .chars()
        .filter(|&c| c != '\n' && is_unsafe_char(c))
        .collect();
    assert!(raw.is_empty(), "raw control characters: {raw:?}");
    assert!(outcome.stderr.contains("\\u{1b}"), "{}", outcome.stderr);
    let _ = fs::remove_dir_all(&work);
}
