//! Evaluates CUE files and prints one field as JSON: `cue-eval FILE... [-e PATH] [-j PATH=JSON]`.
//! A debugging aid for the evaluator, like `cue export -e`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut eval = cue::Evaluation::new(cue::Budget::default());
    let mut path = String::new();
    let mut args = std::env::args().skip(1);
    let mut source = 0;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-e" => path = args.next().unwrap_or_default(),
            "-j" => {
                let spec = args.next().unwrap_or_default();
                let (at, json) = spec.split_once('=').unwrap_or((&spec, "null"));
                let value: serde_json::Value = match serde_json::from_str(json) {
                    Ok(v) => v,
                    Err(e) => {
                        eprintln!("-j {at}: {e}");
                        return ExitCode::from(2);
                    }
                };
                let at: Vec<&str> = at.split('.').filter(|s| !s.is_empty()).collect();
                eval.add_json(&at, &value);
            }
            file => {
                let text = match std::fs::read_to_string(file) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("{file}: {e}");
                        return ExitCode::from(2);
                    }
                };
                match cue::parse(&text, source) {
                    Ok(parsed) => eval.add_file(&parsed),
                    Err(e) => {
                        eprintln!("{file}: {e} at {:?}", e.spans);
                        return ExitCode::FAILURE;
                    }
                }
                source += 1;
            }
        }
    }
    let at: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
    if std::env::var_os("CUE_DESCRIBE").is_some() {
        println!("{:#?}", eval.describe(&at));
        return ExitCode::SUCCESS;
    }
    match eval.export(&at) {
        Ok(json) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e} at {:?}", e.spans);
            ExitCode::FAILURE
        }
    }
}
