//! `-o` under `kill -9`: a render killed at a random moment, 50 times, never leaves the output
//! directory missing, partial or mixed, never loses a user's file, and the next run leaves no
//! sibling behind. This runs the real binary, so the kill lands wherever the process is.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const OAM: &str = env!("CARGO_BIN_EXE_oam");

/// Apps enough that writing the tree takes a while: (Application count, replicas).
fn write_apps(dir: &Path, replicas: u32) {
    fs::create_dir_all(dir).expect("create the input folder");
    for i in 0..150 {
        let app = format!(
            "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: app-{i}}}\nspec:\n  components:\n    - name: web-{i}\n      type: webservice\n      properties: {{image: nginx, ports: [{{port: 80, expose: true}}]}}\n      traits:\n        - {{type: scaler, properties: {{replicas: {replicas}}}}}\n"
        );
        fs::write(dir.join(format!("app-{i}.yaml")), app).expect("write an app");
    }
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).expect("read a folder").flatten() {
            let path = entry.path();
            if entry.file_type().expect("file type").is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, fs::read(&path).expect("read a file"));
            }
        }
    }
    files
}

fn render(work: &Path, input: &str) -> std::process::Child {
    Command::new(OAM)
        .current_dir(work)
        .args(["render", input, "-o", "out"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start oam")
}

fn siblings(work: &Path) -> Vec<PathBuf> {
    fs::read_dir(work)
        .expect("list")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains(".oam-"))
        .collect()
}

#[test]
fn a_killed_render_never_breaks_the_output() {
    let work = std::env::temp_dir().join(format!("oam-kill-{}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    write_apps(&work.join("one"), 1);
    write_apps(&work.join("two"), 2);
    // The two complete trees a kill may leave, each with the user's file.
    let mut complete = Vec::new();
    for input in ["one", "two"] {
        assert!(render(&work, input).wait().expect("run").success());
        fs::write(work.join("out/NOTES.md"), "mine\n").expect("a user file");
        complete.push(tree(&work.join("out")));
    }
    let started = Instant::now();
    assert!(render(&work, "one").wait().expect("run").success());
    let full = started.elapsed();
    // A small linear congruential generator: the same kill times on every run of the test.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut left_behind = 0;
    for round in 0..50 {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let delay = full * u32::try_from(seed >> 54).unwrap_or(0) / 1024;
        let mut child = render(&work, if round % 2 == 0 { "two" } else { "one" });
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let now = tree(&work.join("out"));
        assert!(
            complete.contains(&now),
            "round {round}: the output is neither the old tree nor the new one ({} files)",
            now.len()
        );
        left_behind += usize::from(!siblings(&work).is_empty());
    }
    assert!(render(&work, "one").wait().expect("run").success());
    assert_eq!(
        siblings(&work),
        Vec::<PathBuf>::new(),
        "the next run cleans up"
    );
    assert_eq!(
        fs::read_to_string(work.join("out/NOTES.md"))
            .ok()
            .as_deref(),
        Some("mine\n")
    );
    eprintln!("50 kills over {full:?}: {left_behind} left a sibling for the next run to remove");
    let _ = fs::remove_dir_all(&work);
}
