//! Writes the benchmark's inputs, to look at or to time other tools on:
//! `cargo run --release --example generate -- DIR DIALECT N [APPS_PER_FILE]` (DIALECT: v1beta1,
//! v1alpha2, v1alpha1, or kustomize for the equivalent Kustomize tree; one app a file unless
//! APPS_PER_FILE says more; or `dependent` for one app of N components each depending on the
//! 50 before it, `failing` for one file of N apps with an error each, `one-line` for one app of
//! N failing components written on one line, each to DIR/app.yaml).

#[path = "workload.rs"]
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, dialect, n, per_file) = match args.as_slice() {
        [dir, dialect, n] => (dir, dialect, n, "1"),
        [dir, dialect, n, per_file] => (dir, dialect, n, per_file.as_str()),
        _ => {
            eprintln!(
                "usage: generate DIR DIALECT N [APPS_PER_FILE]   (DIALECT: v1beta1, v1alpha2, v1alpha1, kustomize, dependent, failing, one-line)"
            );
            return ExitCode::from(2);
        }
    };
    let Ok(per_file) = per_file.parse::<usize>() else {
        eprintln!("APPS_PER_FILE must be a number, not `{per_file}`");
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number, not `{n}`");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let one_file = |write: fn(&std::path::Path, usize) -> std::io::Result<()>| {
        std::fs::create_dir_all(&dir).and_then(|()| write(&dir.join("app.yaml"), n))
    };
    let written = if dialect == "kustomize" {
        workload::write_kustomize(&dir, n)
    } else if dialect == "dependent" {
        one_file(workload::write_dependent_components)
    } else if dialect == "failing" {
        one_file(workload::write_failing_apps)
    } else if dialect == "one-line" {
        one_file(workload::write_one_line_errors)
    } else if workload::DIALECTS.contains(&dialect.as_str()) {
        workload::write_apps(&dir, dialect, n, per_file)
    } else {
        eprintln!("unknown dialect `{dialect}`");
        return ExitCode::from(2);
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cannot write {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}
