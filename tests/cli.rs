//! The binary's own behaviour where the in-process harness cannot reach: environment variables
//! (the process environment is shared by every test thread) and argument conflicts.

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
