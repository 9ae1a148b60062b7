//! Every `oam` command in a fenced block of README.md and docs/*.md runs, as written, and
//! succeeds: the docs cannot drift from the CLI. README commands run from a copy of the
//! repository's `examples/`; the GitOps and definitions pages assume a repository laid out as
//! `apps/` (the apps), `platform/` (the definitions) and `deploy/` (the committed output), which
//! is made from `examples/platform`, with a second checkout at `../main`.

use std::fs;
use std::path::{Path, PathBuf};

use super::{root, run_case, scratch};

/// `oam …` commands in the fenced blocks of a Markdown text: (line, command). A trailing
/// `# comment` and a shell redirection are left out (the output goes to the test).
fn documented_commands(text: &str) -> Vec<(usize, String)> {
    let mut fenced = false;
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let mut command = line.trim();
        for prefix in ["- run: ", "run: ", "entry: ", "args: [\""] {
            command = command.strip_prefix(prefix).unwrap_or(command);
        }
        if !fenced || !command.starts_with("oam ") {
            continue;
        }
        let command = command.split(" # ").next().unwrap_or(command);
        let command = command.split(" > ").next().unwrap_or(command);
        let command = command.split(" 2> ").next().unwrap_or(command);
        found.push((index + 1, command.trim_end_matches("\"]").trim().to_owned()));
    }
    found
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let target = to.join(entry.path().strip_prefix(from).expect("inside"));
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).expect("create a folder");
        } else {
            fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// The folder a page's commands run in, laid out as the page assumes.
fn workspace(page: &str, scratch_dir: &Path) -> PathBuf {
    if page == "README.md" {
        copy_tree(&root().join("examples"), &scratch_dir.join("examples"));
        return scratch_dir.to_path_buf();
    }
    let platform = root().join("examples/platform");
    let work = scratch_dir.join("work");
    for checkout in [work.clone(), scratch_dir.join("main")] {
        fs::create_dir_all(checkout.join("apps")).expect("apps");
        fs::copy(platform.join("app.yaml"), checkout.join("apps/app.yaml")).expect("the app");
        copy_tree(&platform.join("definitions"), &checkout.join("platform"));
    }
    let setup = run_case(
        &work,
        &super::strings(&["render", "apps/", "-d", "platform/", "-o", "deploy/"]),
    );
    assert_eq!(setup.code, 0, "{}", setup.stderr);
    work
}

#[test]
fn documented_commands_run() {
    let mut pages = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = fs::read_dir(root().join("docs"))
        .expect("docs/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    let mut failures = Vec::new();
    let mut ran = 0;
    for page in pages {
        let text = fs::read_to_string(&page).expect("a page");
        let commands = documented_commands(&text);
        if commands.is_empty() {
            continue;
        }
        let name = page
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let scratch_dir = scratch(&format!("docs-{}", name.trim_end_matches(".md")));
        let work = workspace(&name, &scratch_dir);
        for (line, command) in commands {
            let args: Vec<String> = command
                .split_whitespace()
                .skip(1)
                .map(str::to_owned)
                .collect();
            let outcome = run_case(&work, &args);
            ran += 1;
            if outcome.code != 0 {
                failures.push(format!(
                    "{name}:{line}: `{command}` exited {}\n{}",
                    outcome.code, outcome.stderr
                ));
            }
        }
    }
    assert!(ran >= 20, "only {ran} documented commands found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
