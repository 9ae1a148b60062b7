//! The performance benchmark (docs/performance.md): `cargo bench --bench pipeline`.
//!
//! For each dialect and N apps (100, 1,000, 10,000; `OAM_BENCH_SIZES=100,1000` to choose), it
//! times every stage of the pipeline in-process, the floor (parsing every input document with
//! the same YAML library and writing it back), and the whole `oam render` command (wall time
//! and peak memory, via /usr/bin/time). With `kubectl` at hand (`.venv/bin/kubectl` or
//! `KUBECTL`), it times `kubectl kustomize` on the equivalent tree of 1,000 apps. Every figure
//! is the median of a few runs, and the table reports ratios against the floor measured in
//! the same run.

#[path = "workload.rs"]
mod workload;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use oam::profile::{Stages, parse_and_reemit, stages};

const RUNS: usize = 3;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn inputs(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = walk(dir);
    files.sort();
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Wall time and peak resident memory (KiB) of a command, via GNU time.
fn timed(command: &str, args: &[&str]) -> Option<(Duration, u64)> {
    let started = Instant::now();
    let output = Command::new("/usr/bin/time")
        .args(["-f", "%M", command])
        .args(args)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let wall = started.elapsed();
    if !output.status.success() {
        eprintln!(
            "{command} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        return None;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let peak = stderr.lines().last()?.trim().parse().ok()?;
    Some((wall, peak))
}

fn main() {
    let sizes: Vec<usize> = std::env::var("OAM_BENCH_SIZES")
        .unwrap_or_else(|_| "100,1000,10000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/oam");
    let scratch = std::env::temp_dir().join(format!("oam-bench-{}", std::process::id()));
    println!(
        "| dialect | apps | objects | load | model | check | render | emit | pipeline ms | floor ms | pipeline / floor | CLI ms | CLI peak MiB | output MiB | peak / output |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut totals: Vec<(String, usize, Duration)> = Vec::new();
    for dialect in workload::DIALECTS {
        for &n in &sizes {
            let dir = scratch.join(format!("{dialect}-{n}"));
            workload::write_apps(&dir, dialect, n, 10).expect("write the apps");
            let texts = inputs(&dir);
            let paths = vec![".".to_owned()];
            let runs: Vec<Stages> = (0..RUNS).map(|_| stages(&dir, &paths)).collect();
            let errors = runs[0].errors;
            assert_eq!(
                errors, 0,
                "{dialect} x {n}: the generated apps do not render"
            );
            let pick = |f: fn(&Stages) -> Duration| median(runs.iter().map(f).collect());
            let total = pick(Stages::total);
            let floor = median(
                (0..RUNS)
                    .map(|_| {
                        let started = Instant::now();
                        std::hint::black_box(parse_and_reemit(&texts));
                        started.elapsed()
                    })
                    .collect(),
            );
            let cli: Vec<(Duration, u64)> = (0..RUNS)
                .filter_map(|_| {
                    timed(
                        &binary.to_string_lossy(),
                        &["render", &dir.to_string_lossy()],
                    )
                })
                .collect();
            let cli_wall = median(cli.iter().map(|c| c.0).collect::<Vec<_>>().clone());
            let peak_kib = cli.iter().map(|c| c.1).max().unwrap_or(0);
            #[allow(clippy::cast_precision_loss)] // sizes far below 2^52
            let (output_mib, peak_in_mib) = (
                runs[0].output_bytes as f64 / 1024.0 / 1024.0,
                peak_kib as f64 / 1024.0,
            );
            println!(
                "| {dialect} | {n} | {} | {} | {} | {} | {} | {} | {} | {} | {:.2} | {} | {:.0} | {:.1} | {:.1} |",
                runs[0].objects,
                ms(pick(|s| s.load)),
                ms(pick(|s| s.model)),
                ms(pick(|s| s.check)),
                ms(pick(|s| s.render)),
                ms(pick(|s| s.emit)),
                ms(total),
                ms(floor),
                total.as_secs_f64() / floor.as_secs_f64(),
                ms(cli_wall),
                peak_in_mib,
                output_mib,
                peak_in_mib / output_mib,
            );
            totals.push(((*dialect).to_owned(), n, cli_wall));
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!();
    for dialect in workload::DIALECTS {
        let at = |n: usize| {
            totals
                .iter()
                .find(|(d, size, _)| d == dialect && *size == n)
                .map(|t| t.2)
        };
        if let (Some(small), Some(large)) = (at(1000), at(10000)) {
            println!(
                "{dialect}: time(10,000) / time(1,000) = {:.2}",
                large.as_secs_f64() / small.as_secs_f64()
            );
        }
    }
    kustomize(&scratch, &binary);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// `kubectl kustomize` on the equivalent of 1,000 v1beta1 apps, against `oam render` on them.
fn kustomize(scratch: &Path, binary: &Path) {
    let kubectl = std::env::var("KUBECTL").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/kubectl"),
        PathBuf::from,
    );
    if !kubectl.exists() {
        println!("\nkubectl not found (set KUBECTL): the Kustomize comparison is skipped");
        return;
    }
    let n = 1000;
    let tree = scratch.join("kustomize");
    workload::write_kustomize(&tree, n).expect("write the kustomize tree");
    let apps = scratch.join("oam-1000");
    workload::write_apps(&apps, "v1beta1", n, 10).expect("write the apps");
    let Some((kustomize, _)) = timed(
        &kubectl.to_string_lossy(),
        &["kustomize", &tree.to_string_lossy()],
    ) else {
        return;
    };
    let oam: Vec<Duration> = (0..RUNS)
        .filter_map(|_| {
            timed(
                &binary.to_string_lossy(),
                &["render", &apps.to_string_lossy()],
            )
        })
        .map(|t| t.0)
        .collect();
    let oam = median(oam);
    println!(
        "\nkubectl kustomize, {n} apps: {} ms; oam render, {n} apps: {} ms; oam is {:.0}x faster",
        ms(kustomize),
        ms(oam),
        kustomize.as_secs_f64() / oam.as_secs_f64()
    );
}
