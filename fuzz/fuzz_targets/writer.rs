//! The `-o` writer on random trees: a first render, then the user's own files, folders and
//! links dropped into the output at random paths (some where oam writes), then a second render
//! of another random set of objects. Whatever happens, the invariants of the writer hold:
//! - the output directory exists and holds either the first tree or the second, whole;
//! - every user entry is still there, unchanged, unless the run refused (E054) or was forced;
//! - a refused run changes nothing; no staging or old tree is left beside the output;
//! - every rendered object has a file of its own (no two objects share one, ignoring case);
//! - `--check` finds the tree just written current, and a file edited since as drift.
#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;

mod common;

use common::pick;

#[derive(Arbitrary, Debug)]
struct Input {
    first: Vec<ObjectSpec>,
    second: Vec<ObjectSpec>,
    user: Vec<UserSpec>,
    force: bool,
}

#[derive(Arbitrary, Debug)]
struct ObjectSpec {
    kind: u8,
    name: u8,
    namespace: u8,
    app: u8,
}

#[derive(Arbitrary, Debug)]
struct UserSpec {
    path: u8,
    what: u8,
}

const KINDS: &[(&str, &str)] = &[
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("example.com/v1", "Widget"),
    ("other.io/v1", "WIDGET"),
    ("apps/v1", "Deployment"),
];
const NAMES: &[&str] = &[
    "x",
    "b-x",
    "admin",
    "web",
    "a.b",
    "kustomization",
    "configmap-x",
    "x-1",
    "a-very-long-name-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];
const NAMESPACES: &[&str] = &["", "a", "b", "default"];
const APPS: &[&str] = &["", "shop", "kustomization.yaml", "web"];
const USER_PATHS: &[&str] = &[
    "README.md",
    "shop/configmap-x.yaml",
    "shop/notes.txt",
    "configmap-x.yaml",
    "service-b-x.yaml",
    "shop",
    "empty",
    "web/deep/er/file",
    "kustomization.yaml",
    "web",
];

/// The input text: each object passed through, or inside an Application when it has an app.
fn documents(objects: &[ObjectSpec]) -> String {
    let mut text = String::new();
    let mut apps: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for object in objects.iter().take(12) {
        let (api_version, kind) = KINDS[usize::from(object.kind) % KINDS.len()];
        let namespace = pick(NAMESPACES, object.namespace);
        let ns = if namespace.is_empty() {
            String::new()
        } else {
            format!(", namespace: {namespace}")
        };
        let body = format!(
            "{{apiVersion: {api_version}, kind: {kind}, metadata: {{name: {}{ns}}}}}",
            pick(NAMES, object.name)
        );
        match pick(APPS, object.app) {
            "" => text.push_str(&format!("---\n{body}\n")),
            app => apps.entry(app).or_default().push(body),
        }
    }
    for (app, bodies) in apps {
        text.push_str(&format!(
            "---\napiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {{name: {app}}}\nspec:\n  components:\n    - name: objects\n      type: k8s-objects\n      properties:\n        objects: [{}]\n",
            bodies.join(", ")
        ));
    }
    text
}

/// Every entry under `root` (files with their bytes, folders and links as markers).
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                out.insert(relative, b"<link>".to_vec());
            } else if kind.is_dir() {
                out.insert(format!("{relative}/"), Vec::new());
                stack.push(path);
            } else {
                out.insert(relative, fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn render(work: &Path, input: &str, force: bool) -> (u8, String, String) {
    let mut args = vec!["render", "-", "-o", "out"];
    if force {
        args.push("--force");
    }
    common::run_in(work, &args, input.as_bytes())
}

/// How many objects the stream of `input` holds (`None` when it does not render).
fn stream_objects(work: &Path, input: &str) -> Option<usize> {
    let (code, stdout, _) = common::run_in(work, &["render", "-"], input.as_bytes());
    (code == 0).then(|| stdout.matches("---\n").count())
}

fn work_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oam-fuzz-writer-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fuzz_target!(|input: Input| {
    let work = work_dir();
    let out = work.join("out");
    let first = documents(&input.first);
    let (code, _, stderr) = render(&work, &first, false);
    assert!(code <= 1, "{stderr}");
    if code != 0 {
        assert!(!out.exists(), "a failed first render wrote: {stderr}");
        return;
    }
    // The user's entries, where nothing stands yet.
    let mut user: BTreeSet<String> = BTreeSet::new();
    for spec in input.user.iter().take(6) {
        let relative = pick(USER_PATHS, spec.path);
        let path = out.join(relative);
        if path.symlink_metadata().is_ok() || path.ancestors().skip(1).any(|a| a.is_file()) {
            continue;
        }
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        match spec.what % 3 {
            0 => fs::write(&path, format!("user {relative}\n")).unwrap(),
            1 => fs::create_dir_all(&path).unwrap(),
            _ => std::os::unix::fs::symlink("/etc/hostname", &path).unwrap(),
        }
        user.insert(relative.to_owned());
    }
    let before = tree(&out);
    let second = documents(&input.second);
    let (code, _, stderr) = render(&work, &second, input.force);
    assert!(code <= 1, "{stderr}");
    let after = tree(&out);
    let leftovers: Vec<_> = fs::read_dir(&work)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".oam-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "left beside the output: {leftovers:?}"
    );
    if code == 1 {
        assert_eq!(before, after, "a refused run changed the output: {stderr}");
        return;
    }
    assert!(stderr.is_empty() || !stderr.contains("error"), "{stderr}");
    // The user's entries survive, unless forced out by one of oam's paths.
    for relative in &user {
        let kept =
            after.contains_key(relative.as_str()) || after.contains_key(&format!("{relative}/"));
        if !input.force {
            assert!(kept, "{relative} was lost");
            let old = before.get(relative.as_str());
            if let (Some(old), Some(new)) = (old, after.get(relative.as_str())) {
                assert_eq!(old, new, "{relative} changed");
            }
        }
    }
    // One file per object, no two equal ignoring case.
    let marker = fs::read_to_string(out.join(".oam-rendered")).unwrap();
    let written: Vec<&str> = marker.lines().collect();
    let objects = written
        .iter()
        .filter(|p| p.rsplit('/').next() != Some("kustomization.yaml"))
        .count();
    assert_eq!(
        Some(objects),
        stream_objects(&work, &second),
        "files vs objects"
    );
    let folded: BTreeSet<String> = written.iter().map(|p| p.to_lowercase()).collect();
    assert_eq!(folded.len(), written.len(), "two files differ only by case");
    for path in &written {
        assert!(out.join(path).is_file(), "{path} is listed but missing");
    }
    // `--check` finds the tree just written current, whatever the user keeps beside it, and a
    // file edited since as the one that drifted.
    let check = || common::run_in(&work, &["render", "-", "--check", "out"], second.as_bytes());
    let (code, diff, stderr) = check();
    assert_eq!(code, 0, "the tree just written drifts:\n{diff}{stderr}");
    if let Some(edited) = written.first() {
        fs::write(out.join(edited), "edited\n").unwrap();
        let (code, diff, stderr) = check();
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("1 file changed"), "{stderr}");
        assert!(diff.contains(&format!("--- out/{edited}\n")), "{diff}");
    }
});
