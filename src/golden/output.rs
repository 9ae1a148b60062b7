//! The `-o` writer under use and abuse: the lifecycle over several runs, interrupted writes,
//! hostile names and links, user files, colliding names and killed runs.

use std::fs;
use std::path::Path;

use super::{Outcome, read_tree, root, run_case, scratch, strings};
use crate::emit::{FAULT, Fault};

fn with_fault(fault: Fault, run: impl FnOnce() -> Outcome) -> Outcome {
    FAULT.with(|f| f.set(Some(fault)));
    let outcome = run();
    FAULT.with(|f| f.set(None));
    outcome
}

/// The `-o` workflow over several runs: a renamed component leaves no orphan, the user's own
/// files stay, an input error changes nothing, and `--check` sees the directory as current.
#[test]
fn output_directory_lifecycle() {
    let work = scratch("lifecycle");
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
    let failed = with_fault(Fault::Write(2), || run_case(&work, &prod));
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
}

/// The quickstart rendered into `work/out`, and the arguments that did it.
fn rendered_quickstart(work: &Path, out: &str) -> Vec<String> {
    let quickstart = root().join("examples/quickstart");
    let args = strings(&["render", &quickstart.to_string_lossy(), "-o", out]);
    let first = run_case(work, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    args
}

fn siblings(work: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(work)
        .expect("list the scratch folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".oam-new-") || n.contains(".oam-old-"))
        .collect();
    names.sort();
    names
}

/// oam writes only paths it wrote before or that do not exist: a hand-written file in the way
/// is E054 and nothing changes (`--force` replaces it); empty folders, folder modes, pipes and
/// links of the user's stay as they are, and a pipe never hangs the run.
#[cfg(unix)]
#[test]
fn user_files_are_never_overwritten() {
    use std::os::unix::fs::PermissionsExt;
    let work = scratch("user-files");
    let args = rendered_quickstart(&work, "out");
    let out = work.join("out");
    let app_dir = fs::read_dir(&out)
        .expect("list out")
        .filter_map(Result::ok)
        .find(|e| e.path().is_dir())
        .expect("an app folder")
        .path();
    let written = fs::read_dir(&app_dir)
        .expect("list the app folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n != "kustomization.yaml")
        .expect("an object file");
    // The user's things: an empty folder, a private folder with a file, a pipe, a file.
    fs::create_dir_all(out.join("empty")).expect("empty folder");
    fs::create_dir_all(out.join("private")).expect("private folder");
    fs::write(out.join("private/notes.txt"), "mine\n").expect("user file");
    fs::set_permissions(out.join("private"), fs::Permissions::from_mode(0o700)).expect("chmod");
    fs::set_permissions(&app_dir, fs::Permissions::from_mode(0o750)).expect("chmod app folder");
    let fifo = std::process::Command::new("mkfifo")
        .arg(out.join("pipe"))
        .status();
    let has_fifo = fifo.is_ok_and(|s| s.success());
    // A render whose file name a user file now takes: simulate by removing the file from the
    // marker, as if the user had written it by hand.
    let marker = fs::read_to_string(out.join(".oam-rendered")).expect("marker");
    let relative = format!(
        "{}/{written}",
        app_dir.file_name().expect("name").to_string_lossy()
    );
    let without: String = marker
        .lines()
        .filter(|l| *l != relative)
        .flat_map(|l| [l, "\n"])
        .collect();
    fs::write(out.join(".oam-rendered"), without).expect("rewrite marker");
    fs::write(out.join(&relative), "hand-written\n").expect("hand-written file");
    let before = read_tree(&out);

    let clash = run_case(&work, &args);
    assert_eq!(clash.code, 1, "{}", clash.stderr);
    assert!(clash.stderr.contains("oam::E054"), "{}", clash.stderr);
    assert_eq!(read_tree(&out), before, "nothing changed");

    let mut forced = args.clone();
    forced.push("--force".to_owned());
    let again = run_case(&work, &forced);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_ne!(
        fs::read_to_string(out.join(&relative)).ok().as_deref(),
        Some("hand-written\n")
    );
    assert!(out.join("empty").is_dir(), "an empty user folder stays");
    assert_eq!(
        fs::read_to_string(out.join("private/notes.txt"))
            .ok()
            .as_deref(),
        Some("mine\n")
    );
    let mode = |p: &Path| fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(
        mode(&out.join("private")),
        0o700,
        "a private folder stays private"
    );
    assert_eq!(mode(&app_dir), 0o750, "an app folder keeps its mode");
    if has_fifo {
        use std::os::unix::fs::FileTypeExt;
        let meta = fs::symlink_metadata(out.join("pipe")).expect("the pipe stays");
        assert!(meta.file_type().is_fifo());
    }
    assert!(siblings(&work).is_empty(), "{:?}", siblings(&work));
}

/// A run stopped before its swap leaves the old output whole and a staging tree beside it; a
/// run whose old tree cannot be removed warns (W008) with the new output in place; the next run
/// removes what either left. Where no atomic swap exists and a run died between its renames,
/// the old tree is put back.
#[test]
fn leftovers_of_a_killed_run_are_cleaned() {
    let work = scratch("leftovers");
    let args = rendered_quickstart(&work, "out");
    let out = work.join("out");
    let before = read_tree(&out);
    let mut prod = args.clone();
    prod.extend(strings(&["--env", "prod"]));

    let killed = with_fault(Fault::KillBeforeSwap, || run_case(&work, &prod));
    assert_eq!(killed.code, 0);
    assert_eq!(read_tree(&out), before, "the old output is whole");
    assert_eq!(siblings(&work).len(), 1, "the staging tree is left");

    let stuck = with_fault(Fault::RemoveOld, || run_case(&work, &prod));
    assert_eq!(stuck.code, 0, "{}", stuck.stderr);
    assert!(stuck.stderr.contains("oam::W008"), "{}", stuck.stderr);
    let after = read_tree(&out);
    assert_ne!(after, before, "the new output is in place");
    assert_eq!(
        siblings(&work).len(),
        1,
        "only the old tree is left: {:?}",
        siblings(&work)
    );

    let clean = run_case(&work, &prod);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert!(siblings(&work).is_empty(), "{:?}", siblings(&work));
    assert_eq!(read_tree(&out), after);

    // Killed between two renames (no atomic swap): `out` is gone, the old tree aside.
    fs::rename(&out, work.join(".out.oam-old-99999")).expect("move aside");
    let restored = run_case(&work, &args);
    assert_eq!(restored.code, 0, "{}", restored.stderr);
    assert_eq!(read_tree(&out), before);
    assert!(siblings(&work).is_empty(), "{:?}", siblings(&work));
    // A folder that merely looks like a leftover, without oam's marker, is not oam's.
    fs::create_dir_all(work.join(".out.oam-new-1")).expect("a user's folder");
    fs::write(work.join(".out.oam-new-1/keep"), "mine\n").expect("a user's file");
    assert_eq!(run_case(&work, &args).code, 0);
    assert_eq!(siblings(&work), [".out.oam-new-1"]);
}

/// `--check` finds every kind of drift (an edited, a removed, an unreadable and a listed but
/// unexpected file) and reports it the same, byte for byte, on one thread and on two; a file
/// the marker does not list is the user's and is not compared.
#[test]
fn check_reports_drift_the_same_on_any_thread_count() {
    let work = scratch("check-threads");
    rendered_quickstart(&work, "out");
    let out = work.join("out");
    let mut files: Vec<String> = read_tree(&out).into_keys().collect();
    files.retain(|f| f != ".oam-rendered");
    assert!(files.len() >= 4, "{files:?}");
    fs::write(out.join(&files[0]), "edited\n").expect("edit a file");
    fs::remove_file(out.join(&files[1])).expect("remove a file");
    fs::write(out.join(&files[2]), b"\xff\xfe").expect("write bytes that are not UTF-8");
    fs::write(out.join("mine.yaml"), "a user's file\n").expect("write a user file");
    let mut marker = fs::read_to_string(out.join(".oam-rendered")).expect("read the marker");
    marker.push_str("extra.yaml\n");
    fs::write(out.join(".oam-rendered"), marker).expect("list one more file");
    fs::write(out.join("extra.yaml"), "left over\n").expect("write a listed file");
    let quickstart = root().join("examples/quickstart");
    let args = strings(&["render", &quickstart.to_string_lossy(), "--check", "out"]);
    let with = |threads: usize| {
        crate::parallel::pin(Some(threads));
        let outcome = run_case(&work, &args);
        crate::parallel::pin(None);
        (outcome.code, outcome.stdout, outcome.stderr)
    };
    let (code, diff, stderr) = with(1);
    assert_eq!(code, 1);
    assert!(stderr.contains("4 files changed"), "{stderr}");
    assert!(diff.contains("-edited\n"), "{diff}");
    assert!(
        diff.contains(&format!("--- /dev/null\n+++ rendered/{}\n", files[1])),
        "{diff}"
    );
    assert!(
        diff.contains(&format!("--- /dev/null\n+++ rendered/{}\n", files[2])),
        "{diff}"
    );
    assert!(
        diff.contains("--- out/extra.yaml\n+++ /dev/null\n"),
        "{diff}"
    );
    assert!(diff.contains("\n-left over\n"), "{diff}");
    assert!(!diff.contains("mine.yaml"), "{diff}");
    assert_eq!(with(2), (code, diff, stderr));
}

/// `--check` shows a hostile file in the directory (a name and text holding terminal escapes)
/// with every unsafe character escaped, in the diff's headers and lines alike.
#[cfg(unix)]
#[test]
fn check_escapes_what_the_directory_holds() {
    let work = scratch("check-escapes");
    rendered_quickstart(&work, "out");
    let out = work.join("out");
    let name = "evil\u{1b}[2J.yaml";
    let mut marker = fs::read_to_string(out.join(".oam-rendered")).expect("read the marker");
    marker.push_str(name);
    marker.push('\n');
    fs::write(out.join(".oam-rendered"), marker).expect("list the file");
    fs::write(out.join(name), "a: \u{1b}]8;;x\u{7}\r\n").expect("write a hostile file");
    let quickstart = root().join("examples/quickstart");
    let check = run_case(
        &work,
        &strings(&["render", &quickstart.to_string_lossy(), "--check", "out"]),
    );
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(
        !check.stdout.contains(['\u{1b}', '\u{7}', '\r']),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("--- out/evil\\u{1b}[2J.yaml\n"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("-a: \\u{1b}]8;;x\\u{7}\\u{d}\n"),
        "{}",
        check.stdout
    );
}

/// A marker that is a link (to `/dev/zero`, say) is not read: `--check` ends at once, and `-o`
/// treats the directory as not written by oam.
#[cfg(unix)]
#[test]
fn a_marker_link_is_not_followed() {
    let work = scratch("marker-link");
    let args = rendered_quickstart(&work, "out");
    let out = work.join("out");
    fs::remove_file(out.join(".oam-rendered")).expect("remove the marker");
    std::os::unix::fs::symlink("/dev/zero", out.join(".oam-rendered")).expect("plant a link");
    let quickstart = root().join("examples/quickstart");
    let check = run_case(
        &work,
        &strings(&["render", &quickstart.to_string_lossy(), "--check", "out"]),
    );
    assert_eq!(
        check.code, 0,
        "the files are compared as they are: {}",
        check.stderr
    );
    let write = run_case(&work, &args);
    assert_eq!(write.code, 1);
    assert!(write.stderr.contains("oam::E052"), "{}", write.stderr);
}

/// `oam render . -o out` twice: the second run does not read `out/` back as input. Naming an
/// output directory as input is an error that says why.
#[test]
fn output_inside_the_inputs_is_not_read() {
    let work = scratch("output-inside");
    let quickstart = root().join("examples/quickstart/app.yaml");
    fs::copy(&quickstart, work.join("app.yaml")).expect("copy the app");
    let args = strings(&["render", ".", "-o", "out"]);
    for _ in 0..2 {
        let outcome = run_case(&work, &args);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    }
    let named = run_case(&work, &strings(&["render", "out"]));
    assert_eq!(named.code, 1);
    assert!(
        named.stderr.contains("is a directory oam rendered"),
        "{}",
        named.stderr
    );
}

/// `-o` naming a link to a directory writes through the link: the link stays a link, and the
/// directory it points at holds the new output.
#[cfg(unix)]
#[test]
fn output_through_a_link_keeps_the_link() {
    let work = scratch("output-link");
    let args = rendered_quickstart(&work, "real");
    std::os::unix::fs::symlink(work.join("real"), work.join("link")).expect("link");
    let before = read_tree(&work.join("real"));
    let mut through = args.clone();
    let last = through.len() - 1;
    through[last] = "link".to_owned();
    through.extend(strings(&["--env", "prod"]));
    let outcome = run_case(&work, &through);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let meta = fs::symlink_metadata(work.join("link")).expect("the link");
    assert!(meta.file_type().is_symlink(), "still a link");
    assert_eq!(read_tree(&work.join("link")), read_tree(&work.join("real")));
    assert_ne!(
        read_tree(&work.join("real")),
        before,
        "the new output is behind the link"
    );
}

/// Six components, each a ConfigMap whose data is a letter; the last one's is `last`.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn six_config_maps(last: &str) -> String {
    use std::fmt::Write;
    let mut text = String::new();
    for (n, data) in ["a", "b", "c", "d", "e", last].iter().enumerate() {
        let _ = write!(
            text,
            "apiVersion: core.oam.dev/v1alpha2\nkind: Component\nmetadata:\n  name: c{n}\nspec:\n  workload:\n    apiVersion: v1\n    kind: ConfigMap\n    data: {{key: {data}}}\n---\n"
        );
    }
    text.push_str("apiVersion: core.oam.dev/v1alpha2\nkind: ApplicationConfiguration\nmetadata:\n  name: site\nspec:\n  components:\n");
    for n in 0..6 {
        let _ = writeln!(text, "    - componentName: c{n}");
    }
    text
}

/// A scratch folder named `name` with the six ConfigMaps rendered into its `out`, and the
/// arguments that did it.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn rendered_config_maps(name: &str) -> (super::Scratch, Vec<String>) {
    let work = scratch(name);
    let args = strings(&["render", "app.yaml", "-o", "out"]);
    fs::write(work.join("app.yaml"), six_config_maps("f")).expect("write app");
    let first = run_case(&work, &args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    (work, args)
}

/// Each file oam wrote under `out`: its inode, number of names and mode.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn file_identities(out: &Path) -> std::collections::BTreeMap<String, (u64, u64, u32)> {
    use std::os::unix::fs::MetadataExt;
    read_tree(out)
        .into_keys()
        .filter(|k| k != ".oam-rendered")
        .map(|k| {
            let m = fs::symlink_metadata(out.join(&k)).expect("a rendered file");
            (k, (m.ino(), m.nlink(), m.mode()))
        })
        .collect()
}

/// `site/configmap-c<n>.yaml`.
#[cfg(any(target_os = "linux", target_os = "macos"))]
fn config_map(n: usize) -> String {
    format!("site/configmap-c{n}.yaml")
}

/// A re-render takes over the files it would write unchanged (the same file, by a hard link)
/// and writes the rest afresh: a file edited to other bytes of the same size, one with another
/// mode, one with a second name elsewhere (left as it was), and a link or a pipe put where
/// oam's file was (neither followed nor waited on).
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[test]
fn unchanged_files_are_taken_over() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
    let (work, args) = rendered_config_maps("unchanged");
    let out = work.join("out");
    let files = || file_identities(&out);
    let name = config_map;
    let (tree, first) = (read_tree(&out), files());
    assert_eq!(first.len(), 8, "{first:?}");
    let again = run_case(&work, &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(read_tree(&out), tree);
    assert_eq!(files(), first, "every file is the same file, with one name");

    let edited = fs::read_to_string(out.join(name(0)))
        .expect("read")
        .replace("key: a", "key: z");
    fs::write(out.join(name(0)), edited).expect("edit a file, same size");
    fs::set_permissions(out.join(name(1)), fs::Permissions::from_mode(0o600)).expect("chmod");
    let second_name = work.join("second-name.yaml");
    fs::hard_link(out.join(name(2)), &second_name).expect("a second name");
    let outside = work.join("outside.yaml");
    fs::copy(out.join(name(3)), &outside).expect("copy out");
    fs::remove_file(out.join(name(3))).expect("remove");
    symlink(&outside, out.join(name(3))).expect("a link with the same bytes");
    fs::remove_file(out.join(name(4))).expect("remove");
    // Where `mkfifo` is missing the file is just gone, which a run must also mend.
    let _ = std::process::Command::new("mkfifo")
        .arg(out.join(name(4)))
        .status();
    let tampered = run_case(&work, &args);
    assert_eq!(tampered.code, 0, "{}", tampered.stderr);
    assert_eq!(read_tree(&out), tree, "every file holds what oam writes");
    let now = files();
    // Written afresh: each holds oam's bytes (above) in a regular file of oam's mode with one
    // name. (Inode numbers cannot show it: a removed file's number is free for a new one.)
    for n in 0..5 {
        assert!(
            fs::symlink_metadata(out.join(name(n))).is_ok_and(|m| m.is_file()),
            "{n} is a regular file"
        );
        assert_eq!(
            (now[&name(n)].1, now[&name(n)].2),
            (1, first[&name(n)].2),
            "{n}"
        );
    }
    assert_eq!(
        now[&name(5)],
        first[&name(5)],
        "an untouched file is taken over"
    );
    assert_eq!(fs::metadata(&second_name).expect("kept").nlink(), 1);
    assert_eq!(
        fs::read(&second_name).expect("read"),
        tree[&name(2)].as_bytes(),
        "the file with a second name is left as it was"
    );
    assert!(fs::symlink_metadata(&outside).is_ok_and(|m| m.is_file()));

    // One component changed: its file is new, the others are the same files.
    fs::write(work.join("app.yaml"), six_config_maps("g")).expect("write app");
    assert_eq!(run_case(&work, &args).code, 0);
    let changed = files();
    for n in 0..5 {
        assert_eq!(changed[&name(n)], now[&name(n)], "{n}");
    }
    assert_ne!(changed[&name(5)].0, now[&name(5)].0);
}

/// A file replaced between its comparison and its link is not taken; a write that fails
/// halfway leaves the old output whole, each file with one name.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[test]
fn a_raced_or_failed_take_leaves_the_old_output() {
    let (work, args) = rendered_config_maps("unchanged-raced");
    let out = work.join("out");
    let before_race = read_tree(&out);
    let raced = with_fault(Fault::ReplaceBeforeLink, || run_case(&work, &args));
    assert_eq!(raced.code, 0, "{}", raced.stderr);
    let replaced = file_identities(&out);
    assert_eq!(
        read_tree(&out),
        before_race,
        "a file replaced in a race is not taken"
    );
    assert!(replaced.values().all(|v| v.1 == 1), "{replaced:?}");

    fs::write(work.join("app.yaml"), six_config_maps("g")).expect("write app");
    let failed = with_fault(Fault::Write(7), || run_case(&work, &args));
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    assert_eq!(read_tree(&out), before_race, "the old output is intact");
    assert_eq!(
        file_identities(&out),
        replaced,
        "each old file with one name, as it was"
    );
    assert!(siblings(&work).is_empty(), "{:?}", siblings(&work));
}

/// A link committed in the old tree where an app folder was, pointing outside it at files with
/// exactly oam's bytes, and a marker listing it all: nothing outside is taken, linked or
/// changed; the new tree has a real folder of new files.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[test]
fn a_linked_folder_in_the_old_tree_is_not_followed() {
    use std::os::unix::fs::{MetadataExt, symlink};
    let (work, args) = rendered_config_maps("unchanged-linked-folder");
    let out = work.join("out");
    let tree = read_tree(&out);
    let outside = work.join("outside");
    fs::rename(out.join("site"), &outside).expect("move the app folder out");
    symlink(&outside, out.join("site")).expect("a link in its place");
    let mut marker = fs::read_to_string(out.join(".oam-rendered")).expect("read the marker");
    marker.push_str("site\n");
    fs::write(out.join(".oam-rendered"), marker).expect("list the link too");
    let outside_before = read_tree(&outside);

    let again = run_case(&work, &args);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(read_tree(&out), tree);
    assert!(fs::symlink_metadata(out.join("site")).is_ok_and(|m| m.is_dir()));
    assert_eq!(
        read_tree(&outside),
        outside_before,
        "nothing outside changed"
    );
    for file in outside_before.keys() {
        let names = fs::metadata(outside.join(file))
            .expect("still there")
            .nlink();
        assert_eq!(names, 1, "{file} was given no second name");
    }
}
