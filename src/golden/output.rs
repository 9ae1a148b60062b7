//! The `-o` writer under use and abuse: the lifecycle over several runs, interrupted writes,
//! hostile names and links, user files, colliding names and killed runs.

use std::fs;

use super::{read_tree, root, run_case, scratch, strings};

/// The `-o` workflow over several runs: a renamed component leaves no orphan, the user's own
/// files stay, an input error changes nothing, and `--check` sees the directory as current.
#[test]
fn output_directory_lifecycle() {
    let work = std::env::temp_dir().join(format!("oam-lifecycle-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).expect("create scratch folder");
    let app = |component: &str| {
        format!(
            "apiVersion: core.oam.dev/v1alpha2\nkind: Component\nmetadata:\n  name: {component}\nspec:\n  workload:\n    apiVersion: v1\n    kind: ConfigMap\n    data: {{a: b}}\n---\napiVersion: core.oam.dev/v1alpha2\nkind: ApplicationConfiguration\nmetadata:\n  name: site\nspec:\n  components:\n    - componentName: {component}\n"
        )
    };
    let args = |extra: &[&str]| -> Vec<String> {
        ["render", "app.yaml"]
            .iter()
            .chain(extra)
            .map(|s| (*s).to_owned())
            .collect()
    };
    fs::write(work.join("app.yaml"), app("first")).expect("write app");
    assert_eq!(run_case(&work, &args(&["-o", "out"])).code, 0);
    fs::write(work.join("out/README.md"), "mine\n").expect("write a user file");

    fs::write(work.join("app.yaml"), app("second")).expect("write app");
    assert_eq!(run_case(&work, &args(&["-o", "out"])).code, 0);
    let tree = read_tree(&work.join("out"));
    assert!(tree.contains_key("site/configmap-second.yaml"));
    assert!(
        !tree.contains_key("site/configmap-first.yaml"),
        "stale file pruned"
    );
    assert_eq!(tree.get("README.md").map(String::as_str), Some("mine\n"));
    assert_eq!(run_case(&work, &args(&["--check", "out"])).code, 0);

    fs::write(work.join("app.yaml"), "kind: [broken\n").expect("write app");
    let failed = run_case(&work, &args(&["-o", "out"]));
    assert_eq!(failed.code, 1);
    assert_eq!(
        read_tree(&work.join("out")),
        tree,
        "an input error changes nothing"
    );
    let _ = fs::remove_dir_all(&work);
}

/// A write that fails halfway (the third file, here) leaves the previous output exactly as it
/// was, and no staging directory behind.
#[test]
fn interrupted_write_keeps_the_old_output() {
    let work = scratch("interrupted");
    let out = work.join("out");
    let quickstart = root().join("examples/quickstart");
    let args = strings(&[
        "render",
        &quickstart.to_string_lossy(),
        "-o",
        &out.to_string_lossy(),
    ]);
    assert_eq!(run_case(&work, &args).code, 0);
    let before = read_tree(&out);
    let prod = strings(&[
        "render",
        &quickstart.to_string_lossy(),
        "--env",
        "prod",
        "-o",
        &out.to_string_lossy(),
    ]);
    crate::emit::FAIL_WRITE_AFTER.with(|limit| limit.set(Some(2)));
    let failed = run_case(&work, &prod);
    crate::emit::FAIL_WRITE_AFTER.with(|limit| limit.set(None));
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert!(failed.stderr.contains("oam::E051"), "{}", failed.stderr);
    assert_eq!(read_tree(&out), before, "the old output is intact");
    let leftovers: Vec<_> = fs::read_dir(&work)
        .expect("list the scratch folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("oam-new") || n.contains("oam-old"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(run_case(&work, &prod).code, 0, "the next write succeeds");
    assert_ne!(read_tree(&out), before);
    let _ = fs::remove_dir_all(&work);
}

/// No name, namespace, kind or link can make `-o` write outside its directory: hostile names
/// are diagnostics, links already in the directory stay links (their targets untouched), and a
/// link planted where oam stages its output is removed, not followed.
#[cfg(unix)]
#[test]
fn output_stays_inside_its_directory() {
    use std::os::unix::fs::symlink;
    let work = scratch("paths");
    let outside = work.join("outside");
    fs::create_dir_all(&outside).expect("create the outside folder");
    fs::write(outside.join("secret.txt"), "keep\n").expect("write a file outside");
    let hostile = r#"
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: "../escape", namespace: "../../ns"}
spec:
  components:
    - name: "../../web"
      type: k8s-objects
      properties:
        objects:
          - {apiVersion: v1, kind: "../Evil", metadata: {name: "../../x"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: "../../../passthrough"}
"#;
    fs::write(work.join("hostile.yaml"), hostile).expect("write the hostile app");
    let out = work.join("out");
    let rendered = run_case(&work, &strings(&["render", "hostile.yaml", "-o", "out"]));
    assert_eq!(rendered.code, 1, "{}", rendered.stderr);
    assert!(rendered.stderr.contains("oam::E013"), "{}", rendered.stderr);
    assert!(!out.exists(), "nothing written");

    let quickstart = root().join("examples/quickstart");
    let args = strings(&["render", &quickstart.to_string_lossy(), "-o", "out"]);
    assert_eq!(run_case(&work, &args).code, 0);
    symlink(&outside, out.join("linked-dir")).expect("link a directory");
    symlink(outside.join("secret.txt"), out.join("linked-file")).expect("link a file");
    // A link where oam stages the next output (the staging name is known to an attacker).
    let staging = work.join(format!(".out.oam-new-{}", std::process::id()));
    symlink(&outside, &staging).expect("plant a link");
    let again = run_case(&work, &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    for link in ["linked-dir", "linked-file"] {
        let meta = fs::symlink_metadata(out.join(link)).expect("the link is kept");
        assert!(meta.file_type().is_symlink(), "{link} is still a link");
    }
    let outside_files: Vec<_> = fs::read_dir(&outside)
        .expect("list outside")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(outside_files, ["secret.txt"], "nothing written outside");
    assert_eq!(
        fs::read_to_string(outside.join("secret.txt"))
            .ok()
            .as_deref(),
        Some("keep\n")
    );
    let _ = fs::remove_dir_all(&work);
}
