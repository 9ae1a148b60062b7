//! What the builtins' unit tests share: evaluating a call, and generating inputs.

use std::fmt::Write as _;

/// The string `expr` evaluates to in a file importing `package`, with KubeVela's encoders.
pub(crate) fn string_of(package: &str, expr: &str) -> String {
    let file =
        crate::parse(&format!("import \"{package}\"\nout: {expr}\n"), 0).expect("the case parses");
    let mut evaluation = crate::Evaluation::new(crate::Budget::default());
    evaluation.add_file(&file);
    match evaluation.export(&["out"]) {
        Ok(serde_json::Value::String(text)) => text,
        other => panic!("{expr} gave {other:?}"),
    }
}

/// A small deterministic generator (xorshift), enough to vary inputs.
pub(crate) struct Random(pub(crate) u64);

impl Random {
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    /// White space JSON allows between tokens.
    pub(crate) fn json_space(&mut self) -> &'static str {
        self.pick(&["", "", " ", "\n", "\t ", "\r\n"])
    }

    /// A JSON value's text, nested at most a few levels below `depth`.
    pub(crate) fn json_value(&mut self, depth: u32, out: &mut String) {
        let kind = if depth > 4 {
            self.below(4)
        } else {
            self.below(7)
        };
        match kind {
            0 => out.push_str(self.pick(&["true", "false", "null"])),
            1 => {
                let number = [
                    self.pick(&["", "-"]),
                    self.pick(&["0", "7", "12", "9007199254740993", "1234567890123"]),
                    self.pick(&["", "", ".5", ".250", ".0"]),
                    self.pick(&["", "", "e3", "E+2", "e-7", "E0"]),
                ];
                out.push_str(&number.concat());
            }
            2 | 3 => {
                out.push('"');
                for _ in 0..self.below(4) {
                    out.push_str(self.pick(&[
                        "a",
                        "é",
                        "\\n",
                        "\\\"",
                        "\\\\",
                        "\\/",
                        "\\u00e9",
                        "\\ud83d\\ude00",
                        " ",
                        "<&>",
                        // What YAML reads otherwise unless quoted.
                        "on",
                        "12:30",
                        ": ",
                        " # ",
                        "- ",
                        "\\t",
                        "'",
                        "0x1F",
                        "null",
                        "1.5",
                        "\\u2028",
                        "  ",
                    ]));
                }
                out.push('"');
            }
            4 | 5 => {
                out.push('[');
                for i in 0..self.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(self.json_space());
                    self.json_value(depth + 1, out);
                    out.push_str(self.json_space());
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..self.below(4) {
                    if i > 0 {
                        out.push(',');
                    }
                    let (before, after) = (self.json_space(), self.json_space());
                    let _ = write!(out, "{before}\"k{i}\"{after}:");
                    self.json_value(depth + 1, out);
                }
                out.push('}');
            }
        }
    }
}
