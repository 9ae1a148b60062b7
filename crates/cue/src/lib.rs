//! An evaluator of the CUE language, the subset that configuration templates use (KubeVela's
//! definitions among them): parse files with spans, unify them with JSON values, and export
//! any field as JSON.
//!
//! ```
//! let file = cue::parse("template: { parameter: { port: *80 | int }, out: port: parameter.port }", 0)?;
//! let mut eval = cue::Evaluation::new(cue::Budget::default());
//! eval.add_file(&file);
//! eval.add_json(&["template", "parameter"], &serde_json::json!({"port": 8080}));
//! assert_eq!(eval.export(&["template", "out"])?, serde_json::json!({"port": 8080}));
//! # Ok::<(), cue::Error>(())
//! ```
//!
//! Nothing here knows of OAM or Kubernetes. Unsupported constructs and functions are errors
//! that name them, never guesses. Every evaluation runs under a [`Budget`]. `encoding/json`
//! and `encoding/yaml` write and read as in the CUE release KubeVela builds with, or as in
//! CUE v0.4 ([`Encoders`]).

// CUE's integers are i64 here and lists are indexed by usize: every conversion between them
// is checked for sign and range where the value comes from input.
#![allow(
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

mod ast;
mod builtins;
mod decimal;
mod error;
mod eval;
mod lexer;
mod parser;
mod value;

use std::sync::Arc;

pub use ast::File;

impl File {
    /// The labels of the file's top-level regular fields (not `#definitions`, `_hidden`,
    /// `let`), with their spans, in order.
    pub fn fields(&self) -> Vec<(String, Span)> {
        self.body
            .decls
            .iter()
            .filter_map(|decl| match decl {
                ast::Decl::Field(field) => match &field.label {
                    ast::Label::Ident(name) | ast::Label::Str(name)
                        if !name.starts_with('#') && !name.starts_with('_') =>
                    {
                        Some((name.clone(), field.span))
                    }
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Every field written with `// +name=value` comment lines (KubeVela's tags), as the file
    /// is written, before evaluation: reached through struct literals, shorthand fields and
    /// the structs of comprehensions and embeddings; a label that is an expression reads `()`.
    /// A shorthand field's lines are its innermost field's, as in CUE.
    #[must_use]
    pub fn tagged_fields(&self) -> Vec<TaggedField> {
        fn walk(decls: &[ast::Decl], path: &mut Vec<String>, out: &mut Vec<TaggedField>) {
            for decl in decls {
                let (label, value) = match decl {
                    ast::Decl::Field(field) => (Some(field), &field.value),
                    ast::Decl::Comprehension(comprehension) => (None, &comprehension.body),
                    ast::Decl::Embed(value) => (None, value),
                    _ => continue,
                };
                if let Some(field) = label {
                    path.push(match &field.label {
                        ast::Label::Ident(name) | ast::Label::Str(name) => name.clone(),
                        ast::Label::Dynamic(_) => "()".to_owned(),
                    });
                    let tags: Vec<String> = field
                        .comments
                        .iter()
                        .filter(|line| line.starts_with('+'))
                        .cloned()
                        .collect();
                    if !tags.is_empty() {
                        out.push(TaggedField {
                            path: path.clone(),
                            tags,
                            span: field.span,
                        });
                    }
                }
                if let ast::ExprKind::Struct(inner) = &value.kind {
                    walk(&inner.decls, path, out);
                }
                if label.is_some() {
                    path.pop();
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.body.decls, &mut Vec::new(), &mut out);
        out
    }
}

/// A float as Go's JSON writes it when it is a whole number within 64 bits (an int, or a
/// uint from 2^63): no point, so read back it is an integer (`2.0` is `2`; `-0.0` is `0`).
/// `None` for any other float.
#[must_use]
pub fn go_whole_number(float: f64) -> Option<serde_json::Number> {
    // 2^63 and 2^64: the ends of Go's int64 and uint64.
    const I64_END: f64 = 9_223_372_036_854_775_808.0;
    const U64_END: f64 = 18_446_744_073_709_551_616.0;
    if float.fract() != 0.0 || !(-I64_END..U64_END).contains(&float) {
        return None;
    }
    // Exact: whole and within range.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Some(if float < I64_END {
        serde_json::Number::from(float as i64)
    } else {
        serde_json::Number::from(float as u64)
    })
}

/// JSON as Go writes it from `float64` numbers ([`go_whole_number`]): `2.0` becomes the int
/// `2`. KubeVela hands an Application's properties to templates that way, so `replicas: 2.0`
/// meets `int` there. Borrowed unless there is such a number.
#[must_use]
pub fn as_go_writes_it(value: &serde_json::Value) -> std::borrow::Cow<'_, serde_json::Value> {
    use serde_json::Value;
    fn has_whole(value: &Value) -> bool {
        match value {
            Value::Number(n) => n.is_f64() && n.as_f64().and_then(go_whole_number).is_some(),
            Value::Array(items) => items.iter().any(has_whole),
            Value::Object(map) => map.values().any(has_whole),
            _ => false,
        }
    }
    if !has_whole(value) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut converted = value.clone();
    make_as_go_writes_it(&mut converted);
    std::borrow::Cow::Owned(converted)
}

/// [`as_go_writes_it`] in place.
pub fn make_as_go_writes_it(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(whole) = n.as_f64().filter(|_| n.is_f64()).and_then(go_whole_number) {
                *n = whole;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_as_go_writes_it),
        Value::Object(map) => map.values_mut().for_each(make_as_go_writes_it),
        _ => {}
    }
}

/// A field and its `// +name=value` comment lines (see [`File::tagged_fields`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedField {
    /// The labels from the top of the file.
    pub path: Vec<String>,
    /// The comment lines that start with `+`, without `//`.
    pub tags: Vec<String>,
    /// The field's label.
    pub span: Span,
}

pub use decimal::Decimal;
pub use error::{Error, ErrorKind, Span};
pub use eval::{Budget, Encoders};

/// Parses a CUE file. `source` numbers the file's spans (see [`Span::source`]).
///
/// # Errors
/// A syntax error, at the place parsing stopped.
pub fn parse(text: &str, source: u32) -> Result<Arc<File>, Error> {
    parser::parse_file(text, source).map(Arc::new)
}

/// What one field of a struct declares, for documentation (`oam explain`).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDoc {
    /// The label.
    pub name: String,
    /// The type as CUE writes it (`int`, `*80 | int`, `"a" | "b"`, `struct`, `[...string]`).
    pub kind: String,
    /// The value when nothing else is given, if there is one.
    pub default: Option<serde_json::Value>,
    /// Declared `field?:`: may be left out.
    pub optional: bool,
    /// The field's `// +name=value` comment lines (KubeVela's `+usage=` describes it).
    pub tags: Vec<String>,
    /// A struct's fields.
    pub fields: Vec<FieldDoc>,
    /// A list's element fields, when its elements are structs.
    pub items: Vec<FieldDoc>,
}

/// Comment tags by field: (path, list elements as their index; the `// +name=value` lines).
pub type Tags = Vec<(Vec<String>, Vec<String>)>;

/// What a patch needs beyond its value (see [`Evaluation::patch_info`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PatchInfo {
    /// The comment tags of its fields.
    pub tags: Tags,
    /// Open lists (`[...T]`): (path, the element `T` where it is concrete), which unifies
    /// with every element of the list the patch meets past the patch's own; `None` (`...`
    /// alone) leaves those elements as they are.
    pub open_lists: Vec<(Vec<String>, Option<serde_json::Value>)>,
}

/// One evaluation: files and JSON values unified at the root, then fields exported.
pub struct Evaluation {
    evaluator: eval::Evaluator,
}

impl Evaluation {
    /// An empty evaluation (the root is `_`).
    pub fn new(budget: Budget) -> Self {
        Evaluation {
            evaluator: eval::Evaluator::new(budget),
        }
    }

    /// The same, with `encoding/json` and `encoding/yaml` behaving as `encoders` say (by
    /// default as in the CUE KubeVela builds with).
    #[must_use]
    pub fn with_encoders(mut self, encoders: Encoders) -> Self {
        self.evaluator.encoders = encoders;
        self
    }

    /// Unifies a parsed file with the root; files share one package scope.
    pub fn add_file(&mut self, file: &Arc<File>) {
        self.evaluator
            .add_file(file.body.clone(), Arc::from(file.imports.clone()));
        self.evaluator.add_text(file.source, file.text.clone());
    }

    /// The evaluation steps spent so far: each value read in from JSON is one, as is each
    /// step of evaluation (a caller bounding many evaluations together adds these up).
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.evaluator.steps()
    }

    /// The values (vertices) the evaluation has created so far, which its memory and much of
    /// its time go to: a comprehension of 200,000 values took 0.35 s and 400 MB in 600,000
    /// steps.
    #[must_use]
    pub fn values(&self) -> usize {
        self.evaluator.values()
    }

    /// Unifies a JSON value with the field at `path` (created if absent).
    pub fn add_json(&mut self, path: &[&str], value: &serde_json::Value) {
        self.evaluator.add_json(path, value);
    }

    /// The field at `path` as JSON: it must be concrete (defaults are taken) and free of
    /// conflicts. Hidden fields, definitions and unset optional fields are left out.
    ///
    /// # Errors
    /// When there is no field at `path`, a value in it conflicts, or one is not concrete.
    pub fn export(&mut self, path: &[&str]) -> Result<serde_json::Value, Error> {
        let id = self.evaluator.lookup_path(path)?;
        self.evaluator.export(id)
    }

    /// The fields of the struct at `path`, as declared: for documentation, not validation.
    /// Empty when there is no struct there.
    pub fn describe(&mut self, path: &[&str]) -> Vec<FieldDoc> {
        match self.evaluator.lookup_path(path) {
            Ok(id) => self.evaluator.describe(id, 8),
            Err(_) => Vec::new(),
        }
    }

    /// The forms the struct at `path` takes, as declared: one list of fields, or one per
    /// alternative when it is a choice between structs with no default
    /// (`#Image | close({containers: [...#Image]})`), where [`Evaluation::describe`] has none.
    pub fn describe_forms(&mut self, path: &[&str]) -> Vec<Vec<FieldDoc>> {
        match self.evaluator.lookup_path(path) {
            Ok(id) => self.evaluator.describe_forms(id, 8),
            Err(_) => vec![Vec::new()],
        }
    }

    /// For a struct at `path` that is a map (`[string]: string | null`), the label constraint
    /// and the value type as CUE writes them (`("string", "string | null")`); `None` when it
    /// has no pattern.
    pub fn describe_map(&mut self, path: &[&str]) -> Option<(String, String)> {
        let id = self.evaluator.lookup_path(path).ok()?;
        self.evaluator.describe_map(id)
    }

    /// Whether the struct at `path` declares no regular field and closes none out (`{...}`):
    /// it takes any fields.
    pub fn is_open_and_empty(&mut self, path: &[&str]) -> bool {
        match self.evaluator.lookup_path(path) {
            Ok(id) => self.evaluator.is_open_and_empty(id),
            Err(_) => false,
        }
    }

    /// Whether the field at `path` is set (whatever its value).
    pub fn has(&mut self, path: &[&str]) -> bool {
        self.evaluator.lookup_path(path).is_ok()
    }

    /// Whether the field at `path` exists (set, and not an error).
    pub fn exists(&mut self, path: &[&str]) -> bool {
        self.evaluator
            .lookup_path(path)
            .is_ok_and(|id| self.evaluator.check(id).is_none())
    }

    /// What a patch at `path` needs beyond its value: the `// +name=value` comments of it and
    /// of every output field below it, and the element of each open list below it.
    ///
    /// # Errors
    /// When there is no field at `path`, or it does not evaluate.
    pub fn patch_info(&mut self, path: &[&str]) -> Result<PatchInfo, Error> {
        let id = self.evaluator.lookup_path(path)?;
        self.evaluator.patch_info(id)
    }

    /// Every conflict at or below `path` (the first `limit`); unset values are not conflicts.
    ///
    /// # Errors
    /// When there is no field at `path`.
    pub fn conflicts(&mut self, path: &[&str], limit: usize) -> Result<Vec<Error>, Error> {
        let id = self.evaluator.lookup_path(path)?;
        let mut out = Vec::new();
        self.evaluator.conflicts(id, limit, &mut out);
        Ok(out)
    }

    /// The output fields at or below `path` that have no concrete value (the first `limit`),
    /// as incomplete errors at the constraints that leave them open.
    pub fn unset(&mut self, path: &[&str], limit: usize) -> Vec<Error> {
        let mut out = Vec::new();
        if let Ok(id) = self.evaluator.lookup_path(path) {
            self.evaluator.unset(id, limit, &mut out);
        }
        out
    }

    /// The first conflict at or below `path`, if any; unset values are not conflicts.
    ///
    /// # Errors
    /// The conflict, or that there is no field at `path`.
    pub fn check(&mut self, path: &[&str]) -> Result<(), Error> {
        let id = self.evaluator.lookup_path(path)?;
        self.evaluator.check(id).map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::{Budget, ErrorKind, Evaluation, parse};

    fn export(text: &str) -> Result<serde_json::Value, super::Error> {
        let file = parse(text, 0)?;
        let mut evaluation = Evaluation::new(Budget::default());
        evaluation.add_file(&file);
        evaluation.export(&[])
    }

    /// A value read in from JSON is paid for, a step per value: a caller that hands each of
    /// many evaluations a large value spends their budgets, not nothing.
    #[test]
    fn values_read_from_json_are_counted_as_steps() {
        let value = serde_json::json!({"items": (0..100).collect::<Vec<_>>()});
        let mut evaluation = Evaluation::new(Budget::default());
        evaluation.add_json(&["x"], &value);
        assert_eq!(evaluation.steps(), 102);
        let mut evaluation = Evaluation::new(Budget {
            steps: 50,
            ..Budget::default()
        });
        evaluation.add_json(&["x"], &value);
        let error = evaluation.export(&["x"]).expect_err("over the budget");
        assert!(error.message.contains("budget"), "{}", error.message);
    }

    // CUE gives the doc comments of `a: b: c` to the innermost field with a plain label
    // (its exporter's `hasShorthandValue`), which is where KubeVela reads patch tags.
    #[test]
    fn comments_of_a_shorthand_field_belong_to_its_innermost_field() {
        let file = parse(
            "// +a=1\npatch: spec: replicas: 3\n// +b=2\nkeep: {x: 1}\n// +c=3\nd: (\"y\"): 1\n",
            0,
        )
        .expect("valid CUE");
        let mut evaluation = Evaluation::new(Budget::default());
        evaluation.add_file(&file);
        let info = evaluation.patch_info(&[]).expect("evaluates");
        let path = |p: &[&str]| p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let written: Vec<(Vec<String>, Vec<String>)> = file
            .tagged_fields()
            .into_iter()
            .map(|field| (field.path, field.tags))
            .collect();
        assert_eq!(written, info.tags);
        assert_eq!(
            info.tags,
            [
                (
                    path(&["patch", "spec", "replicas"]),
                    vec!["+a=1".to_owned()]
                ),
                (path(&["keep"]), vec!["+b=2".to_owned()]),
                (path(&["d"]), vec!["+c=3".to_owned()]),
            ]
        );
    }

    #[test]
    fn whole_floats_are_ints_as_go_writes_them() {
        let given = serde_json::json!({"a": 2.0, "b": [1.5, -0.0, 3], "c": {"d": 1e20}});
        assert_eq!(
            *super::as_go_writes_it(&given),
            serde_json::json!({"a": 2, "b": [1.5, 0, 3], "c": {"d": 1e20}})
        );
        let unchanged = serde_json::json!({"a": 1.5, "b": "2.0"});
        assert!(matches!(
            super::as_go_writes_it(&unchanged),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    // Required fields (`x!:`) came after CUE v0.4, so real CUE cannot check these here: the
    // spec says a required field must be set by another conjunct, and is otherwise an error.
    #[test]
    fn a_required_field_must_be_set() {
        let error = export("a: {name!: string, x: 1}").expect_err("name is not set");
        assert!(
            error.is_incomplete() && error.message.contains("`name`"),
            "{error}"
        );
        let value = export("a: {name!: string, x: 1}\na: name: \"web\"").expect("set");
        assert_eq!(value, serde_json::json!({"a": {"name": "web", "x": 1}}));
    }

    #[test]
    fn multi_line_strings_close_on_a_line_of_their_own() {
        // As the CUE spec says (CUE v0.4 accepts this and removes no indentation).
        let error = export("a: \"\"\"\n\tx\n\t}\"\"\"\n").expect_err("closed on a content line");
        assert_eq!(error.kind, ErrorKind::Syntax, "{error}");
        assert!(error.message.contains("line of their own"), "{error}");
        let value = export("a: \"\"\"\n\tx\n\t}\n\t\"\"\"\n").expect("closed on its own line");
        assert_eq!(value, serde_json::json!({"a": "x\n}"}));
    }

    #[test]
    fn constructs_not_implemented_are_named() {
        let error = export("X=a: 1").expect_err("an alias");
        assert_eq!(error.kind, ErrorKind::Unsupported);
        assert!(error.message.contains("aliases"), "{error}");
        let error = export("import \"time\"\na: time.Now()").expect_err("a package");
        assert_eq!(error.kind, ErrorKind::Unsupported);
        let error =
            export("import \"strings\"\na: strings.Title(\"a b\")").expect_err("a function");
        assert_eq!(error.kind, ErrorKind::Unsupported);
        assert!(error.message.contains("strings.Title"), "{error}");
    }
}
