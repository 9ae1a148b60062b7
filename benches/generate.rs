//! Writes the benchmark's inputs, to look at or to time other tools on:
//! `cargo run --release --example generate -- DIR DIALECT N` (DIALECT: v1beta1, v1alpha2,
//! v1alpha1, or kustomize for the equivalent Kustomize tree).

#[path = "workload.rs"]
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, dialect, n] = args.as_slice() else {
        eprintln!(
            "usage: generate DIR DIALECT N   (DIALECT: v1beta1, v1alpha2, v1alpha1, kustomize)"
        );
        return ExitCode::from(2);
    };
    let Ok(n) = n.parse::<usize>() else {
        eprintln!("N must be a number, not `{n}`");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    let written = if dialect == "kustomize" {
        workload::write_kustomize(&dir, n)
    } else if workload::DIALECTS.contains(&dialect.as_str()) {
        workload::write_apps(&dir, dialect, n)
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
