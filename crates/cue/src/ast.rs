//! The syntax tree of a CUE file. Nodes are shared (`Arc`) so that an evaluation can hold any
//! expression together with the scope it is evaluated in, and a parsed file can serve many
//! evaluations on many threads.

use std::sync::Arc;

use crate::error::Span;

/// A parsed CUE file.
#[derive(Debug)]
pub struct File {
    /// `package name`, when the file declares one.
    pub package: Option<String>,
    /// `import` declarations: the name a file uses and the package path.
    pub imports: Vec<Import>,
    /// The file's declarations, as one struct literal.
    pub body: Arc<StructLit>,
    /// The text, for documentation that shows a declaration as written.
    pub text: Arc<str>,
    /// The number its spans carry.
    pub source: u32,
}

/// One imported package.
#[derive(Debug, Clone)]
pub struct Import {
    /// The name the file refers to the package by (the path's last element unless renamed).
    pub name: String,
    /// The import path, e.g. `encoding/json`.
    pub path: String,
    /// Where the import is written.
    pub span: Span,
}

/// `{ decls }`
#[derive(Debug)]
pub struct StructLit {
    /// The declarations in order.
    pub decls: Vec<Decl>,
    /// From `{` to `}` (the whole file for a file's body).
    pub span: Span,
}

/// A declaration inside a struct literal.
#[derive(Debug)]
pub enum Decl {
    /// `label: value`
    Field(Field),
    /// `[pattern]: value`, applied to every field whose label matches.
    Pattern(Pattern),
    /// An expression whose value is unified with the struct (`#Base`, `{...}`, a scalar).
    Embed(Arc<Expr>),
    /// `let name = value`
    Let(LetDecl),
    /// `for`/`if`/`let` clauses and a struct whose fields are added for each result.
    Comprehension(Arc<Comprehension>),
    /// `...` or `...T`: the struct is open (to fields of type T).
    Ellipsis(Option<Arc<Expr>>, Span),
}

/// Whether a field is a regular field, optional (`?`) or required (`!`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// `a: v`
    Regular,
    /// `a?: v`: a constraint only, until another conjunct sets the field.
    Optional,
    /// `a!: v`: must be set by another conjunct.
    Required,
}

/// `label: value`, with the `//` comments written just before it (KubeVela's `+patchKey=`
/// and `+usage=` tags live there).
#[derive(Debug)]
pub struct Field {
    /// The label.
    pub label: Label,
    /// `?`, `!` or neither.
    pub presence: Presence,
    /// The value expression.
    pub value: Arc<Expr>,
    /// Comment lines before the field, without `//`.
    pub comments: Vec<String>,
    /// Attributes after the value, as written (`@go(Name)`).
    pub attributes: Vec<String>,
    /// The label's span.
    pub span: Span,
}

/// A field label.
#[derive(Debug)]
pub enum Label {
    /// An identifier (`name`, `#Def`, `_hidden`): the field can be referenced by it.
    Ident(String),
    /// A quoted label (`"app.oam.dev/name"`).
    Str(String),
    /// A quoted label with interpolation, or `(expr)`: the label is computed.
    Dynamic(Arc<Expr>),
}

/// `[alias=pattern]: value`
#[derive(Debug)]
pub struct Pattern {
    /// `X` in `[X=string]`, bound to the matching label inside `value`.
    pub alias: Option<String>,
    /// Labels that match this (a type, a bound, a regexp).
    pub pattern: Arc<Expr>,
    /// The constraint for every matching field.
    pub value: Arc<Expr>,
    /// The `[...]` span.
    pub span: Span,
}

/// `let name = value`
#[derive(Debug)]
pub struct LetDecl {
    /// The bound name.
    pub name: String,
    /// The bound expression.
    pub value: Arc<Expr>,
    /// The name's span.
    pub span: Span,
}

/// A comprehension: clauses, then the value yielded for each binding.
#[derive(Debug)]
pub struct Comprehension {
    /// `for`, `if` and `let` clauses, outermost first.
    pub clauses: Vec<Clause>,
    /// The struct literal yielded (a list comprehension yields it as an element).
    pub body: Arc<Expr>,
    /// The first clause's keyword.
    pub span: Span,
}

/// One clause of a comprehension.
#[derive(Debug)]
pub enum Clause {
    /// `for key, value in source` (`key` optional).
    For {
        /// The name bound to each label or index.
        key: Option<String>,
        /// The name bound to each value.
        value: String,
        /// What is iterated: a struct's regular fields or a list's elements.
        source: Arc<Expr>,
    },
    /// `if condition`
    If(Arc<Expr>),
    /// `let name = value`
    Let(String, Arc<Expr>),
}

/// `[elements]`
#[derive(Debug)]
pub struct ListLit {
    /// The elements in order.
    pub elems: Vec<ListElem>,
    /// From `[` to `]`.
    pub span: Span,
}

/// One element of a list literal.
#[derive(Debug)]
pub enum ListElem {
    /// A value.
    Expr(Arc<Expr>),
    /// A comprehension yielding any number of elements.
    Comprehension(Arc<Comprehension>),
    /// `...` or `...T`: the list is open (to more elements of type T).
    Ellipsis(Option<Arc<Expr>>),
}

/// An expression and its span.
#[derive(Debug)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is written.
    pub span: Span,
}

/// Expressions.
#[derive(Debug)]
pub enum ExprKind {
    /// A reference by name (`parameter`, `#Def`, `int`, `_`).
    Ident(String),
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A decimal literal.
    Float(std::sync::Arc<crate::decimal::Decimal>),
    /// A string literal without interpolation.
    Str(String),
    /// A bytes literal.
    Bytes(Vec<u8>),
    /// A string (or bytes) with `\(...)` parts.
    Interpolation(Vec<InterpolationPart>),
    /// `_|_`
    Bottom,
    /// `{...}`
    Struct(Arc<StructLit>),
    /// `[...]`
    List(Arc<ListLit>),
    /// `x.name`
    Select(Arc<Expr>, String),
    /// `x[index]`
    Index(Arc<Expr>, Arc<Expr>),
    /// `x[low:high]`
    Slice(Arc<Expr>, Option<Arc<Expr>>, Option<Arc<Expr>>),
    /// `f(args)`
    Call(Arc<Expr>, Vec<Arc<Expr>>),
    /// A unary operator: `-x`, `!x`, `*x` (a default), `<x` and the other bounds.
    Unary(UnaryOp, Arc<Expr>),
    /// A binary operator.
    Binary(BinaryOp, Arc<Expr>, Arc<Expr>),
}

/// A part of an interpolated string.
#[derive(Debug)]
pub enum InterpolationPart {
    /// Literal text.
    Lit(String),
    /// `\(expr)`
    Expr(Arc<Expr>),
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum UnaryOp {
    Neg,
    Plus,
    Not,
    /// `*x`: the default of a disjunction.
    Default,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    NotEq,
    Match,
    NotMatch,
}

/// Binary operators, from `|` (lowest precedence) to `*` and `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Or,
    And,
    LogicalOr,
    LogicalAnd,
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Match,
    NotMatch,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "|",
            BinaryOp::And => "&",
            BinaryOp::LogicalOr => "||",
            BinaryOp::LogicalAnd => "&&",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Less => "<",
            BinaryOp::LessEq => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterEq => ">=",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}
