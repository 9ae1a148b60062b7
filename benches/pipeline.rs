//! The performance benchmark (docs/performance.md): `cargo bench --bench pipeline`.
//!
//! Inputs are laid out as users lay them out: one app a file (GitOps repositories), and many
//! apps a file. For each layout and size (1,000 and 10,000 apps; `OAM_BENCH_SIZES` to choose,
//! `OAM_BENCH_LARGE=1` adds 100,000) it measures, in one run:
//! - the whole `oam render` process, to stdout and with `-o DIR`: wall time and peak resident
//!   memory (GNU time), against the bytes of output;
//! - the floor: every input parsed with the same YAML library and every rendered object
//!   written with oam's YAML writer, both on two threads, nothing else;
//! - the files floor: the files `-o` wrote, written again by a plain loop on two threads (what
//!   the system's file creation costs), and `-o` against stdout plus that;
//! - `--check` against what `-o` wrote, and `-o` into it again (a CI job's check of, and
//!   render into, its committed output);
//! - the library's steps in-process (load, check, render, emit), through the public API.
//!
//! It reports ratios, never absolute targets: growth for 10× the apps, memory ÷ output,
//! CLI ÷ floor, `-o` ÷ stdout. Each dialect is timed at 10,000 apps, KubeVela's CUE webservice
//! and worker against oam's built-in ones (with ../shared/corpus), and `kubectl kustomize` on
//! the equivalent of 1,000 apps is the peer baseline (with `.venv/bin/kubectl` or `KUBECTL`).

#[path = "workload.rs"]
mod workload;

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use oam::{Loader, RenderOptions};

/// The CLI's allocator, so the floor and the in-process steps are measured on equal terms.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rounds of each measurement. A round runs the floor, the CLI to stdout and with `-o` one
/// after the other, so that a slower stretch of this shared machine (wall times move by up to
/// 45 % from minute to minute) slows all three; ratios are taken round by round.
const RUNS: usize = 5;
/// Apps a file in the "many a file" layout.
const MANY: usize = 100;
const THREADS: usize = 2;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

#[allow(clippy::cast_precision_loss)] // sizes far below 2^52
fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// One run of a command: wall time, CPU time (user and system), peak resident memory in
/// bytes, and stdout's size.
struct Run {
    wall: Duration,
    cpu: Duration,
    peak: u64,
    output: u64,
}

/// Runs `oam` under GNU time; stdout is counted, not kept. `None` when it fails.
fn timed(binary: &Path, args: &[&str]) -> Option<Run> {
    let (run, stderr) = timed_run(binary, args)?;
    match stderr {
        None => Some(run),
        Some(stderr) => {
            eprintln!("{} {args:?} failed: {stderr}", binary.display());
            None
        }
    }
}

/// Runs `oam` under GNU time, whether or not it succeeds; the failure's stderr beside the run.
fn timed_run(binary: &Path, args: &[&str]) -> Option<(Run, Option<String>)> {
    let started = Instant::now();
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M %U %S"])
        .arg(binary)
        .args(args)
        .env("OAM_THREADS", THREADS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    // stderr is read beside stdout: a run that reports thousands of errors fills its pipe.
    let mut stderr_pipe = child.stderr.take()?;
    let (output, stderr) = std::thread::scope(|scope| {
        let stderr = scope.spawn(move || {
            let mut text = Vec::new();
            std::io::Read::read_to_end(&mut stderr_pipe, &mut text).map(|_| text)
        });
        let output = std::io::copy(&mut stdout, &mut std::io::sink());
        (output, stderr.join())
    });
    let (output, stderr) = (output.ok()?, stderr.ok()?.ok()?);
    let done = child.wait().ok()?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&stderr);
    let mut fields = stderr.lines().last()?.split_whitespace();
    let peak_kib: u64 = fields.next()?.parse().ok()?;
    let cpu = fields
        .map(|f| f.parse::<f64>().ok().map(Duration::from_secs_f64))
        .sum::<Option<Duration>>()?;
    let run = Run {
        wall,
        cpu,
        peak: peak_kib * 1024,
        output,
    };
    Some((run, (!done.success()).then(|| stderr.into_owned())))
}

fn walls(runs: &[Run]) -> Vec<Duration> {
    runs.iter().map(|r| r.wall).collect()
}

fn cpus(runs: &[Run]) -> Vec<Duration> {
    runs.iter().map(|r| r.cpu).collect()
}

/// The median wall and CPU times and the highest peak of runs.
fn summary(runs: &[Run]) -> Run {
    Run {
        wall: median(walls(runs)),
        cpu: median(cpus(runs)),
        peak: runs.iter().map(|r| r.peak).max().unwrap_or(0),
        output: runs.first().map_or(0, |r| r.output),
    }
}

/// The median wall time and the highest peak of `RUNS` runs.
fn measure(binary: &Path, args: &[&str]) -> Option<Run> {
    let runs: Option<Vec<Run>> = (0..RUNS).map(|_| timed(binary, args)).collect();
    Some(summary(&runs?))
}

/// The floor of the inputs in `dir` (median of `RUNS`).
fn floor_of(dir: &Path) -> Duration {
    let (texts, objects) = floor_inputs(dir);
    median((0..RUNS).map(|_| floor(&texts, &objects)).collect())
}

/// What the floor parses and writes: the texts of the inputs in `dir`, and their rendered
/// objects.
fn floor_inputs(dir: &Path) -> (Vec<String>, Vec<serde_json::Value>) {
    let texts = files_under(dir)
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .collect();
    (texts, objects(dir))
}

/// The median of `a[i] ÷ b[i]`: ratios of one round each.
fn ratio_of_rounds(a: &[Duration], b: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| ratio(*a, *b)).collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

/// `f` over `items` on `THREADS` threads, in contiguous slices.
fn on_threads<T: Sync>(items: &[T], f: impl Fn(&T) -> usize + Sync) -> usize {
    let chunk = items.len().div_ceil(THREADS).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).sum::<usize>()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    })
}

/// The floor: parse every input with serde-saphyr and write every rendered object with oam's
/// writer, on two threads each.
fn floor(texts: &[String], objects: &[serde_json::Value]) -> Duration {
    let started = Instant::now();
    let documents = on_threads(texts, |text| {
        serde_saphyr::from_str_multiple::<serde_json::Value, _>(text)
            .map_or(0, |d: Vec<serde_json::Value>| d.len())
    });
    let written = on_threads(objects, |object| oam::to_yaml(object).len() + 4);
    std::hint::black_box((documents, written));
    started.elapsed()
}

/// The files floor: `files` (paths relative to `root`, and their bytes) written by a plain loop
/// on two threads in contiguous slices, each folder made when its first file comes, each file
/// created, written and closed, as `-o` does; what the system's file creation costs, with none
/// of oam's work. The tree is removed before and after, untimed.
fn files_floor(root: &Path, files: &[(PathBuf, Vec<u8>)]) -> Duration {
    let _ = std::fs::remove_dir_all(root);
    let started = Instant::now();
    let chunk = files.len().div_ceil(THREADS).max(1);
    std::thread::scope(|scope| {
        for part in files.chunks(chunk) {
            scope.spawn(move || {
                let mut folder: Option<&Path> = None;
                for (path, bytes) in part {
                    if folder != path.parent() {
                        folder = path.parent();
                        std::fs::create_dir_all(root.join(folder.unwrap_or(Path::new(""))))
                            .expect("a folder of the files floor");
                    }
                    std::fs::write(root.join(path), bytes).expect("a file of the files floor");
                }
            });
        }
    });
    let elapsed = started.elapsed();
    let _ = std::fs::remove_dir_all(root);
    elapsed
}

/// Every file under `dir`, relative to it, with its bytes.
fn tree_of(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).ok()?;
            Some((path.strip_prefix(dir).ok()?.to_path_buf(), bytes))
        })
        .collect()
}

/// The library's steps on `dir`, timed: load (read, parse, lower), check, render, emit.
fn steps(dir: &Path) -> [Duration; 4] {
    let threads = NonZeroUsize::new(THREADS).expect("positive");
    let started = Instant::now();
    let project = Loader::new()
        .base_dir(dir)
        .path(".")
        .threads(threads)
        .load()
        .expect("the generated apps load");
    let load = started.elapsed();
    let started = Instant::now();
    let checked = project.check().expect("the generated apps check");
    let check = started.elapsed();
    let started = Instant::now();
    let rendered = checked
        .render(&RenderOptions::default())
        .expect("the generated apps render");
    let render = started.elapsed();
    let started = Instant::now();
    std::hint::black_box(rendered.to_stream(oam::Format::Yaml).len());
    [load, check, render, started.elapsed()]
}

/// The rendered objects of `dir`, for the floor to write.
fn objects(dir: &Path) -> Vec<serde_json::Value> {
    Loader::new()
        .base_dir(dir)
        .path(".")
        .load()
        .and_then(|p| p.check()?.render(&RenderOptions::default()))
        .expect("the generated apps render")
        .into_values()
}

/// Where `-o` writes: a RAM-backed file system when there is one (`/dev/shm`), so the figure is
/// oam's own work; on this project's virtual disk (ext4 without a journal, which passes over
/// every inode freed in the last minutes each time it allocates one) creating files slows
/// with what was removed before, the bench's own trees included (docs/performance.md).
/// `OAM_BENCH_OUT` chooses another folder.
fn output_root() -> PathBuf {
    std::env::var_os("OAM_BENCH_OUT").map_or_else(
        || {
            let shm = PathBuf::from("/dev/shm");
            if shm.is_dir() {
                shm
            } else {
                std::env::temp_dir()
            }
        },
        PathBuf::from,
    )
}

/// One layout and size: its inputs, what the floor parses and writes, and the runs measured.
struct Size {
    apps: usize,
    input: String,
    out: PathBuf,
    texts: Vec<String>,
    objects: Vec<serde_json::Value>,
    floors: Vec<Duration>,
    /// What `-o` wrote, for the files floor (read after the first `-o`).
    tree: Vec<(PathBuf, Vec<u8>)>,
    files_floors: Vec<Duration>,
    stdouts: Vec<Run>,
    dirs: Vec<Run>,
    checks: Vec<Run>,
    /// `-o` again into the tree `-o` wrote: a CI job's render into its committed output.
    agains: Vec<Run>,
}

impl Size {
    fn new(scratch: &Path, dialect: &str, apps: usize, per_file: usize) -> Size {
        let dir = scratch.join(format!("{dialect}-{apps}-{per_file}"));
        workload::write_apps(&dir, dialect, apps, per_file).expect("write the apps");
        let (texts, objects) = floor_inputs(&dir);
        Size {
            apps,
            input: dir.to_string_lossy().into_owned(),
            out: output_root().join(format!("oam-bench-out-{}-{apps}", std::process::id())),
            texts,
            objects,
            floors: Vec::new(),
            tree: Vec::new(),
            files_floors: Vec::new(),
            stdouts: Vec::new(),
            dirs: Vec::new(),
            checks: Vec::new(),
            agains: Vec::new(),
        }
    }

    fn stdout_args(&self) -> [&str; 2] {
        ["render", self.input.as_str()]
    }

    /// One round: the floor, the CLI to stdout, the CLI with `-o`, then `--check` against
    /// what `-o` wrote (a CI job's check of committed output, with no drift), then `-o` into
    /// it again (a CI job's render into committed output), one after the other.
    fn round(&mut self, binary: &Path) {
        let out = self.out.to_string_lossy().into_owned();
        self.floors.push(floor(&self.texts, &self.objects));
        let stdout = timed(binary, &self.stdout_args()).expect("oam render");
        self.stdouts.push(stdout);
        let _ = std::fs::remove_dir_all(&self.out);
        let dir = timed(binary, &["render", self.input.as_str(), "-o", out.as_str()]);
        self.dirs.push(dir.expect("oam render -o"));
        if self.tree.is_empty() {
            self.tree = tree_of(&self.out);
        }
        let files = self.out.with_extension("files-floor");
        self.files_floors.push(files_floor(&files, &self.tree));
        let check = timed(
            binary,
            &["render", self.input.as_str(), "--check", out.as_str()],
        );
        self.checks.push(check.expect("oam render --check"));
        let again = timed(binary, &["render", self.input.as_str(), "-o", out.as_str()]);
        self.agains.push(again.expect("oam render -o again"));
    }

    /// Each round's stdout time plus its files floor: what `-o` would take if writing the
    /// files cost it only what the plain loop pays the system.
    fn stdouts_and_files(&self) -> Vec<Duration> {
        walls(&self.stdouts)
            .into_iter()
            .zip(&self.files_floors)
            .map(|(stdout, files)| stdout + *files)
            .collect()
    }

    fn print_row(&self, layout: &str) {
        let (stdout, dir, check, again) = (
            summary(&self.stdouts),
            summary(&self.dirs),
            summary(&self.checks),
            summary(&self.agains),
        );
        println!(
            "| {layout} | {} | {:.1} | {} | {:.0} | {:.1} | {} | {:.2} | {} | {:.0} | {:.2} | {} | {:.2} | {} | {:.0} | {:.2} | {} | {:.2} |",
            self.apps,
            mib(stdout.output),
            secs(stdout.wall),
            mib(stdout.peak),
            mib(stdout.peak) / mib(stdout.output),
            secs(median(self.floors.clone())),
            ratio_of_rounds(&walls(&self.stdouts), &self.floors),
            secs(dir.wall),
            mib(dir.peak),
            ratio_of_rounds(&walls(&self.dirs), &walls(&self.stdouts)),
            secs(median(self.files_floors.clone())),
            ratio_of_rounds(&walls(&self.dirs), &self.stdouts_and_files()),
            secs(check.wall),
            mib(check.peak),
            ratio_of_rounds(&walls(&self.checks), &walls(&self.stdouts)),
            secs(again.wall),
            ratio_of_rounds(&walls(&self.agains), &walls(&self.stdouts)),
        );
    }
}

impl Drop for Size {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.out);
        let _ = std::fs::remove_dir_all(&self.input);
    }
}

/// Growth from `small` to `large`: wall and CPU time as medians of the rounds' ratios (each
/// round runs both sizes, seconds apart), peak memory as the ratio of the highest peaks.
fn print_growth(layout: &str, small: &Size, large: &Size) {
    #[allow(clippy::cast_precision_loss)]
    let grow = |a: &[Run], b: &[Run]| {
        format!(
            "time × {:.2} (CPU × {:.2}), memory × {:.2}",
            ratio_of_rounds(&walls(b), &walls(a)),
            ratio_of_rounds(&cpus(b), &cpus(a)),
            summary(b).peak as f64 / summary(a).peak as f64
        )
    };
    println!(
        "\n{layout}, {} → {} apps: stdout {}; -o {}; --check {}; -o again {}",
        small.apps,
        large.apps,
        grow(&small.stdouts, &large.stdouts),
        grow(&small.dirs, &large.dirs),
        grow(&small.checks, &large.checks),
        grow(&small.agains, &large.agains),
    );
}

fn main() {
    let mut sizes: Vec<usize> = std::env::var("OAM_BENCH_SIZES")
        .unwrap_or_else(|_| "1000,10000".to_owned())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if std::env::var_os("OAM_BENCH_LARGE").is_some_and(|v| v == "1") {
        sizes.push(100_000);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let binary = root.join("target/release/oam");
    assert!(
        binary.exists(),
        "build the CLI first: cargo build --release"
    );
    let scratch = std::env::temp_dir().join(format!("oam-bench-{}", std::process::id()));
    println!(
        "v1beta1 apps, {THREADS} threads; times in seconds (median of {RUNS} rounds; a round runs every size, each the floor, stdout, -o, --check and -o again into what -o wrote, in turn), memory in MiB (peak of {RUNS}); ratios are medians of the rounds' ratios\n"
    );
    println!(
        "| layout | apps | output MiB | stdout s | stdout peak | peak ÷ output | floor s | stdout ÷ floor | -o s | -o peak | -o ÷ stdout | files floor s | -o ÷ (stdout + files floor) | --check s | --check peak | --check ÷ stdout | -o again s | -o again ÷ stdout |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (layout, per_file) in [("1 a file", 1), ("100 a file", MANY)] {
        let mut measured: Vec<Size> = sizes
            .iter()
            .map(|&n| Size::new(&scratch, "v1beta1", n, per_file))
            .collect();
        for size in &measured {
            // A first run reads the inputs into the page cache and wakes the machine; not timed.
            timed(&binary, &size.stdout_args()).expect("oam render");
        }
        for _ in 0..RUNS {
            for size in &mut measured {
                size.round(&binary);
            }
        }
        for size in &measured {
            size.print_row(layout);
        }
        for pair in measured.windows(2) {
            print_growth(layout, &pair[0], &pair[1]);
        }
        println!();
    }
    println!("\nThe library's steps in-process, 10,000 apps one a file, per dialect (s):\n");
    println!("| dialect | load | check | render | emit | total | floor | total ÷ floor |");
    println!("|---|---|---|---|---|---|---|---|");
    for dialect in workload::DIALECTS {
        let dir = scratch.join(format!("steps-{dialect}"));
        workload::write_apps(&dir, dialect, 10_000, 1).expect("write the apps");
        let runs: Vec<[Duration; 4]> = (0..RUNS).map(|_| steps(&dir)).collect();
        let pick = |i: usize| median(runs.iter().map(|r| r[i]).collect());
        let total = pick(0) + pick(1) + pick(2) + pick(3);
        let floor = floor_of(&dir);
        println!(
            "| {dialect} | {} | {} | {} | {} | {} | {} | {:.2} |",
            secs(pick(0)),
            secs(pick(1)),
            secs(pick(2)),
            secs(pick(3)),
            secs(total),
            secs(floor),
            ratio(total, floor)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    large_inputs(&scratch, &binary);
    cue_templates(&scratch, &binary);
    kustomize(&scratch, &binary);
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Writes a generated input of a size into a file.
type WriteInput = fn(&Path, usize) -> std::io::Result<()>;

/// Growth for ten times the size within one app and within one file: an app of N components
/// each depending on the 50 before it (with sync waves), one file of N apps that each fail
/// (every error reported, all pointing into that file), and one app of N failing components
/// written on one line (every error shown with a window of it). The rounds alternate the sizes.
/// The larger inputs stay under half the node budget (1,000,000 YAML values): past it a file is
/// read a second time, by serde-saphyr, which would show here as growth.
fn large_inputs(scratch: &Path, binary: &Path) {
    println!(
        "\nOne app of N components, each depending on the 50 before it (--sync-waves); one file of N apps with an error each (all reported); one line of N failing components:\n"
    );
    println!("| input | N | s | peak MiB | N × 10: s | peak MiB | time × | memory × |");
    println!("|---|---|---|---|---|---|---|---|");
    let _ = std::fs::create_dir_all(scratch);
    let inputs: [(&str, WriteInput, &[&str], usize); 3] = [
        (
            "dependent components",
            workload::write_dependent_components,
            &["--sync-waves"],
            500,
        ),
        (
            "failing apps",
            workload::write_failing_apps,
            &["--max-documents", "100000"],
            1_000,
        ),
        (
            "errors on one line",
            workload::write_one_line_errors,
            &[],
            2_000,
        ),
    ];
    for (name, write, flags, n) in inputs {
        let files: Vec<String> = [n, n * 10]
            .iter()
            .map(|&size| {
                let file = scratch.join(format!("large-{size}.yaml"));
                write(&file, size).expect("write the input");
                file.to_string_lossy().into_owned()
            })
            .collect();
        let mut runs: [Vec<Run>; 2] = [Vec::new(), Vec::new()];
        for _ in 0..RUNS {
            for (file, runs) in files.iter().zip(&mut runs) {
                let mut args = vec!["render", file.as_str()];
                args.extend_from_slice(flags);
                runs.push(timed_run(binary, &args).expect("oam render").0);
            }
        }
        let (small, large) = (summary(&runs[0]), summary(&runs[1]));
        #[allow(clippy::cast_precision_loss)]
        let memory = large.peak as f64 / small.peak as f64;
        println!(
            "| {name} | {n} | {} | {:.0} | {} | {:.0} | {:.2} | {memory:.2} |",
            secs(small.wall),
            mib(small.peak),
            secs(large.wall),
            mib(large.peak),
            ratio_of_rounds(&walls(&runs[1]), &walls(&runs[0])),
        );
        for file in files {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// 10,000 apps one a file with KubeVela's own CUE `webservice` and `worker` (from
/// ../shared/corpus, when it is there) against the same apps with oam's built-ins, rendered
/// natively (the default) and through their minijinja templates (issue #16's baseline: the
/// same definitions given with `-d`, which takes them out of the native path).
fn cue_templates(scratch: &Path, binary: &Path) {
    let definitions = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/kubevela-head/vela-templates/definitions/internal/component");
    if !definitions.is_dir() {
        println!(
            "
../shared/corpus is absent: the CUE template comparison is skipped"
        );
        return;
    }
    let dir = scratch.join("cue");
    workload::write_apps(&dir, "v1beta1", 10_000, 1).expect("write the apps");
    let input = dir.to_string_lossy().into_owned();
    let webservice = definitions
        .join("webservice.cue")
        .to_string_lossy()
        .into_owned();
    let worker = definitions
        .join("worker.cue")
        .to_string_lossy()
        .into_owned();
    let templates = scratch.join("builtin-templates.yaml");
    std::fs::write(
        &templates,
        builtin_component_definitions(&["webservice", "worker"]),
    )
    .expect("write the built-in templates");
    let templates = templates.to_string_lossy().into_owned();
    let builtin = measure(binary, &["render", &input]).expect("oam render");
    let jinja = measure(binary, &["render", &input, "-d", &templates])
        .expect("oam render with the built-ins' templates");
    let cue = measure(
        binary,
        &["render", &input, "-d", &webservice, "-d", &worker],
    )
    .expect("oam render with CUE definitions");
    println!(
        "
10,000 apps one a file (20,000 components), webservice and worker as oam's built-ins: rendered natively {} s, {:.0} MiB; through their minijinja templates {} s, {:.0} MiB; as KubeVela's CUE definitions: {} s, {:.0} MiB; CUE ÷ minijinja {:.2}, CUE ÷ native {:.2}",
        secs(builtin.wall),
        mib(builtin.peak),
        secs(jinja.wall),
        mib(jinja.peak),
        secs(cue.wall),
        mib(cue.peak),
        ratio(cue.wall, jinja.wall),
        ratio(cue.wall, builtin.wall),
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&templates);
}

/// oam's built-in ComponentDefinitions of these names, as a `v1/List` of the items of
/// src/model/builtins/v1beta1.yaml (one item a `  - apiVersion:` line there).
fn builtin_component_definitions(names: &[&str]) -> String {
    let library = include_str!("../src/model/builtins/v1beta1.yaml");
    let mut list = String::from("apiVersion: v1\nkind: List\nitems:");
    let mut found = 0;
    for item in library.split("\n  - apiVersion:").skip(1) {
        let is_named = |name: &&str| item.contains(&format!("\n      name: {name}\n"));
        if item.contains("\n    kind: ComponentDefinition\n") && names.iter().any(is_named) {
            list.push_str("\n  - apiVersion:");
            list.push_str(item);
            found += 1;
        }
    }
    assert_eq!(found, names.len(), "{names:?} in the library");
    list
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
    workload::write_apps(&apps, "v1beta1", n, 1).expect("write the apps");
    let started = Instant::now();
    let built = Command::new(&kubectl)
        .args(["kustomize", &tree.to_string_lossy()])
        .stdout(Stdio::null())
        .status();
    let kustomize = started.elapsed();
    if !built.is_ok_and(|s| s.success()) {
        println!("\nkubectl kustomize failed: the comparison is skipped");
        return;
    }
    let Some(oam) = measure(binary, &["render", &apps.to_string_lossy()]) else {
        return;
    };
    println!(
        "\nkubectl kustomize, {n} apps: {} s; oam render, {n} apps: {} s; oam is {:.0}× faster",
        secs(kustomize),
        secs(oam.wall),
        ratio(kustomize, oam.wall)
    );
}
