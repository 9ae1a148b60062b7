//! Running the CLI in-process on one input given as standard input.

/// `oam ARGS` with `input` as standard input: (exit code, standard output).
pub fn run(args: &[&str], input: &[u8]) -> (u8, Vec<u8>) {
    let mut stdin = input;
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let mut env = oam::Env {
        cwd: std::env::temp_dir(),
        stdin: &mut stdin,
        stdout: &mut stdout,
        stderr: &mut stderr,
        colour: false,
        width: None,
    };
    let code = oam::run(std::iter::once("oam").chain(args.iter().copied()), &mut env);
    (code, stdout)
}
