//! A recursive-descent parser from tokens to the syntax tree, following the CUE spec's grammar
//! (operator precedence from `|` up to `*`, comprehensions, labels, string interpolation).

use std::sync::Arc;

use crate::ast::{
    BinaryOp, Clause, Comprehension, Decl, Expr, ExprKind, Field, File, Import, InterpolationPart,
    Label, LetDecl, ListElem, ListLit, Pattern, Presence, StructLit, UnaryOp,
};
use crate::decimal::Decimal;
use crate::error::{Error, ErrorKind, Span};
use crate::lexer::{Lexer, StrLit, StrPart, Tok, Token};

/// How deeply expressions may nest before parsing stops with an error (a hostile file cannot
/// exhaust the stack). Brackets, operators of a chain, selectors, shorthand labels and
/// comprehension clauses each count. KubeVela's deepest template needs 31 to 38 (the
/// differential tests fail at 30); 150 parentheses parse on a 2 MiB stack in a debug build,
/// 185 did not.
const MAX_DEPTH: usize = 150;

/// The error past `MAX_DEPTH` for expressions.
const TOO_DEEP: &str = "expressions nest too deeply";

/// Parses one CUE file; `source` numbers its spans.
pub(crate) fn parse_file(text: &str, source: u32) -> Result<File, Error> {
    // A construct the parser knows but the evaluator does not stays `Unsupported`.
    let syntax = |e: Error| {
        if e.kind == ErrorKind::Unsupported {
            e
        } else {
            e.of_kind(ErrorKind::Syntax)
        }
    };
    let mut parser = Parser::new(text, 0, text.len(), source).map_err(syntax)?;
    parser.file().map_err(syntax)
}

/// `operands` joined by an associative `op` as a balanced tree, in their order.
fn balanced(op: BinaryOp, operands: &[Arc<Expr>], source: u32) -> Arc<Expr> {
    if let [one] = operands {
        return one.clone();
    }
    let (left, right) = operands.split_at(operands.len() / 2);
    let (left, right) = (balanced(op, left, source), balanced(op, right, source));
    let span = Span {
        start: left.span.start,
        end: right.span.end,
        source,
    };
    Arc::new(Expr {
        kind: ExprKind::Binary(op, left, right),
        span,
    })
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    at: usize,
    source: u32,
    depth: usize,
    /// Doc comments of the shorthand fields around the field being read (`a: b: c`), which
    /// CUE gives to the innermost field.
    outer_comments: Vec<String>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, start: usize, end: usize, source: u32) -> Result<Self, Error> {
        // A byte order mark may open a file (editors write one), and nowhere else, as in CUE.
        let start = if src[start..end].starts_with('\u{FEFF}') {
            start + '\u{FEFF}'.len_utf8()
        } else {
            start
        };
        if let Some(at) = src[start..end].find('\u{FEFF}') {
            let at = start + at;
            return Err(Error::new(
                "illegal byte order mark",
                Span::new(at, at + '\u{FEFF}'.len_utf8()).in_source(source),
            )
            .of_kind(ErrorKind::Syntax));
        }
        let tokens = Lexer::new(src, start, end).tokens().map_err(|e| Error {
            spans: e.spans.iter().map(|s| s.in_source(source)).collect(),
            ..e
        })?;
        Ok(Parser {
            src,
            tokens,
            at: 0,
            source,
            depth: 0,
            outer_comments: Vec::new(),
        })
    }

    fn peek(&self) -> &Tok {
        &self.tokens[self.at].kind
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.at + ahead).min(last)].kind
    }

    fn span(&self) -> Span {
        self.tokens[self.at].span.in_source(self.source)
    }

    fn bump(&mut self) -> Token {
        let token = self.tokens[self.at].clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        token
    }

    fn is_punct(&self, punct: &str) -> bool {
        matches!(self.peek(), Tok::Punct(p) if *p == punct)
    }

    fn eat_punct(&mut self, punct: &str) -> bool {
        let found = self.is_punct(punct);
        if found {
            self.bump();
        }
        found
    }

    fn expect_punct(&mut self, punct: &str) -> Result<Span, Error> {
        if self.is_punct(punct) {
            Ok(self.bump().span.in_source(self.source))
        } else {
            Err(self.unexpected(&format!("`{punct}`")))
        }
    }

    fn unexpected(&self, wanted: &str) -> Error {
        let found = match self.peek() {
            Tok::Ident(name) => format!("`{name}`"),
            Tok::Number(n) => format!("number {n}"),
            Tok::Str(_) => "a string".to_owned(),
            Tok::Bottom => "`_|_`".to_owned(),
            Tok::Attr(a) => format!("attribute {a}"),
            Tok::Punct(p) => format!("`{p}`"),
            Tok::Comma => "a comma or the end of a line".to_owned(),
            Tok::Eof => "the end of the file".to_owned(),
        };
        Error::new(format!("expected {wanted}, found {found}"), self.span())
    }

    fn skip_commas(&mut self) {
        while matches!(self.peek(), Tok::Comma) {
            self.bump();
        }
    }

    fn file(&mut self) -> Result<File, Error> {
        let start = self.span();
        self.skip_commas();
        let mut package = None;
        if matches!(self.peek(), Tok::Ident(k) if k == "package")
            && matches!(self.peek_at(1), Tok::Ident(_))
        {
            self.bump();
            if let Tok::Ident(name) = self.bump().kind {
                package = Some(name);
            }
            self.skip_commas();
        }
        let mut imports = Vec::new();
        while matches!(self.peek(), Tok::Ident(k) if k == "import")
            && !matches!(self.peek_at(1), Tok::Punct(":" | "?" | "!"))
        {
            self.bump();
            if self.eat_punct("(") {
                self.skip_commas();
                while !self.is_punct(")") {
                    imports.push(self.import_spec()?);
                    self.skip_commas();
                }
                self.bump();
            } else {
                imports.push(self.import_spec()?);
            }
            self.skip_commas();
        }
        let decls = self.decls(None)?;
        if !matches!(self.peek(), Tok::Eof) {
            return Err(self.unexpected("a declaration"));
        }
        let span = Span {
            start: 0,
            end: self.src.len() as u32,
            source: start.source,
        };
        Ok(File {
            package,
            imports,
            body: Arc::new(StructLit { decls, span }),
            text: Arc::from(self.src),
            source: self.source,
        })
    }

    fn import_spec(&mut self) -> Result<Import, Error> {
        let span = self.span();
        let alias = match self.peek() {
            Tok::Ident(name) => {
                let name = name.clone();
                self.bump();
                Some(name)
            }
            _ => None,
        };
        let Tok::Str(lit) = self.bump().kind else {
            return Err(Error::new("expected an import path in quotes", span));
        };
        let path =
            plain_string(&lit).ok_or_else(|| Error::new("an import path is plain text", span))?;
        // `"list"`, `"encoding/json"`, and `"path:name"` name the package after the colon.
        let default_name = path.rsplit_once(':').map_or_else(
            || path.rsplit('/').next().unwrap_or(&path).to_owned(),
            |(_, name)| name.to_owned(),
        );
        Ok(Import {
            name: alias.unwrap_or(default_name),
            path,
            span,
        })
    }

    /// Declarations up to `}` (when `close` is given) or the end of the file.
    fn decls(&mut self, close: Option<&str>) -> Result<Vec<Decl>, Error> {
        let mut decls = Vec::new();
        loop {
            self.skip_commas();
            match (self.peek(), close) {
                (Tok::Eof, _) => return Ok(decls),
                (Tok::Punct(p), Some(c)) if *p == c => return Ok(decls),
                _ => {}
            }
            if let Tok::Attr(_) = self.peek() {
                self.bump();
                continue;
            }
            decls.push(self.decl()?);
            match self.peek() {
                Tok::Comma | Tok::Eof => {}
                Tok::Punct(p) if close == Some(*p) => {}
                _ => return Err(self.unexpected("a comma or a new line")),
            }
        }
    }

    fn decl(&mut self) -> Result<Decl, Error> {
        let span = self.span();
        if self.eat_punct("...") {
            let ty = if self.starts_expr() {
                Some(self.expr()?)
            } else {
                None
            };
            return Ok(Decl::Ellipsis(ty, span));
        }
        if let Tok::Ident(word) = self.peek() {
            let follows_label = matches!(self.peek_at(1), Tok::Punct(":"))
                || (matches!(self.peek_at(1), Tok::Punct("?" | "!"))
                    && matches!(self.peek_at(2), Tok::Punct(":")));
            if !follows_label {
                match word.as_str() {
                    "let" => {
                        self.bump();
                        let (name, span) = self.ident()?;
                        self.expect_punct("=")?;
                        let value = self.expr()?;
                        return Ok(Decl::Let(LetDecl { name, value, span }));
                    }
                    "for" | "if" => {
                        return Ok(Decl::Comprehension(self.comprehension()?));
                    }
                    _ => {}
                }
            }
        }
        if self.is_punct("[") && self.is_pattern_constraint() {
            return self.pattern();
        }
        if matches!(self.peek(), Tok::Ident(_)) && matches!(self.peek_at(1), Tok::Punct("=")) {
            return Err(Error::new(
                "aliases (`X=field: value`) are not supported by this evaluator",
                self.span(),
            )
            .of_kind(ErrorKind::Unsupported));
        }
        if self.is_field_start() {
            return Ok(Decl::Field(self.field()?));
        }
        Ok(Decl::Embed(self.expr()?))
    }

    /// How many tokens ahead the bracket that closes the one here is.
    fn closing_bracket(&self) -> Option<usize> {
        self.tokens[self.at..]
            .iter()
            .scan(0i64, |depth, t| {
                match t.kind {
                    Tok::Punct("[" | "(" | "{") => *depth += 1,
                    Tok::Punct("]" | ")" | "}") => *depth -= 1,
                    _ => {}
                }
                Some(*depth)
            })
            .position(|d| d == 0)
    }

    /// `[` starts a pattern constraint when its closing bracket is followed by `:`.
    fn is_pattern_constraint(&self) -> bool {
        self.closing_bracket()
            .is_some_and(|n| matches!(self.peek_at(n + 1), Tok::Punct(":")))
    }

    /// A label (identifier, string or `(expr)`) followed by `:`, `?:` or `!:`.
    fn is_field_start(&self) -> bool {
        let after_label = match self.peek() {
            Tok::Ident(_) | Tok::Str(_) => 1,
            Tok::Punct("(") => {
                let close = self.closing_bracket();
                match close {
                    Some(n) => n + 1,
                    None => return false,
                }
            }
            _ => return false,
        };
        match self.peek_at(after_label) {
            Tok::Punct(":") => true,
            Tok::Punct("?" | "!") => matches!(self.peek_at(after_label + 1), Tok::Punct(":")),
            _ => false,
        }
    }

    /// Whether the next token is a label CUE can name without evaluating (not `(x)`, not an
    /// interpolation).
    fn is_plain_label(&self) -> bool {
        match self.peek() {
            Tok::Ident(_) => true,
            Tok::Str(lit) => plain_string(lit).is_some(),
            _ => false,
        }
    }

    fn field(&mut self) -> Result<Field, Error> {
        let mut comments = self.tokens[self.at].comments.clone();
        comments.append(&mut self.outer_comments);
        let span = self.span();
        let label = match self.bump().kind {
            Tok::Ident(name) => Label::Ident(name),
            Tok::Str(lit) => match plain_string(&lit) {
                Some(text) => Label::Str(text),
                None => Label::Dynamic(Arc::new(self.string_expr(&lit, span)?)),
            },
            Tok::Punct("(") => {
                let expr = self.expr()?;
                self.expect_punct(")")?;
                Label::Dynamic(expr)
            }
            _ => return Err(Error::new("expected a label", span)),
        };
        let presence = if self.eat_punct("?") {
            Presence::Optional
        } else if self.eat_punct("!") {
            Presence::Required
        } else {
            Presence::Regular
        };
        self.expect_punct(":")?;
        let value = if self.is_field_start() || (self.is_punct("[") && self.is_pattern_constraint())
        {
            // `a: b: c` is `a: {b: c}`, and `a: [string]: c` is `a: {[string]: c}`: a level of
            // nesting, like the braces it stands for.
            let span = self.span();
            let mut levels = 0;
            self.nest(&mut levels, "structs nest too deeply")?;
            // CUE reads the doc comments of `a: b: c` as those of `b` (and on, to the innermost
            // field with a plain label): KubeVela's `// +patchStrategy=retainKeys` above
            // `patch: spec: replicas: x` is a tag of `replicas`.
            if self.is_plain_label() {
                self.outer_comments = std::mem::take(&mut comments);
            }
            let inner = self.decl();
            self.outer_comments.clear();
            let inner = inner?;
            self.depth -= levels;
            Arc::new(Expr {
                kind: ExprKind::Struct(Arc::new(StructLit {
                    decls: vec![inner],
                    span,
                })),
                span,
            })
        } else {
            self.expr()?
        };
        let mut attributes = Vec::new();
        while let Tok::Attr(attr) = self.peek() {
            attributes.push(attr.clone());
            self.bump();
        }
        Ok(Field {
            label,
            presence,
            value,
            comments,
            attributes,
            span,
        })
    }

    fn pattern(&mut self) -> Result<Decl, Error> {
        let span = self.expect_punct("[")?;
        let alias = match (self.peek(), self.peek_at(1)) {
            (Tok::Ident(name), Tok::Punct("=")) => {
                let name = name.clone();
                self.bump();
                self.bump();
                Some(name)
            }
            _ => None,
        };
        let pattern = self.expr()?;
        self.expect_punct("]")?;
        self.expect_punct(":")?;
        let value = self.expr()?;
        Ok(Decl::Pattern(Pattern {
            alias,
            pattern,
            value,
            span,
        }))
    }

    fn ident(&mut self) -> Result<(String, Span), Error> {
        let span = self.span();
        match self.peek() {
            Tok::Ident(name) => {
                let name = name.clone();
                self.bump();
                Ok((name, span))
            }
            _ => Err(self.unexpected("a name")),
        }
    }

    /// Each clause is a level of nesting: the evaluator runs the clauses as nested loops.
    fn comprehension(&mut self) -> Result<Arc<Comprehension>, Error> {
        let span = self.span();
        let mut clauses = Vec::new();
        let mut levels = 0;
        loop {
            if matches!(self.peek(), Tok::Ident(k) if k == "for" || k == "if" || k == "let") {
                self.nest(&mut levels, "comprehension clauses nest too deeply")?;
            }
            match self.peek() {
                Tok::Ident(k) if k == "for" => {
                    self.bump();
                    let (first, _) = self.ident()?;
                    let (key, value) = if matches!(self.peek(), Tok::Comma) {
                        self.bump();
                        let (second, _) = self.ident()?;
                        (Some(first), second)
                    } else {
                        (None, first)
                    };
                    match self.peek() {
                        Tok::Ident(k) if k == "in" => {
                            self.bump();
                        }
                        _ => return Err(self.unexpected("`in`")),
                    }
                    let source = self.expr()?;
                    clauses.push(Clause::For { key, value, source });
                }
                Tok::Ident(k) if k == "if" => {
                    self.bump();
                    clauses.push(Clause::If(self.expr()?));
                }
                Tok::Ident(k) if k == "let" && !clauses.is_empty() => {
                    self.bump();
                    let (name, _) = self.ident()?;
                    self.expect_punct("=")?;
                    clauses.push(Clause::Let(name, self.expr()?));
                }
                Tok::Punct("{") => break,
                _ => return Err(self.unexpected("`for`, `if`, `let` or `{`")),
            }
        }
        let body = self.operand()?;
        self.depth -= levels;
        Ok(Arc::new(Comprehension {
            clauses,
            body,
            span,
        }))
    }

    fn starts_expr(&self) -> bool {
        !matches!(
            self.peek(),
            Tok::Comma | Tok::Eof | Tok::Punct("}" | "]" | ")" | ":")
        )
    }

    fn expr(&mut self) -> Result<Arc<Expr>, Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(TOO_DEEP, self.span()));
        }
        let result = self.binary(1);
        self.depth -= 1;
        result
    }

    fn binary_op(&self) -> Option<(BinaryOp, u8)> {
        let Tok::Punct(p) = self.peek() else {
            return None;
        };
        Some(match *p {
            "|" => (BinaryOp::Or, 1),
            "&" => (BinaryOp::And, 2),
            "||" => (BinaryOp::LogicalOr, 3),
            "&&" => (BinaryOp::LogicalAnd, 4),
            "==" => (BinaryOp::Eq, 5),
            "!=" => (BinaryOp::NotEq, 5),
            "<" => (BinaryOp::Less, 5),
            "<=" => (BinaryOp::LessEq, 5),
            ">" => (BinaryOp::Greater, 5),
            ">=" => (BinaryOp::GreaterEq, 5),
            "=~" => (BinaryOp::Match, 5),
            "!~" => (BinaryOp::NotMatch, 5),
            "+" => (BinaryOp::Add, 6),
            "-" => (BinaryOp::Sub, 6),
            "*" => (BinaryOp::Mul, 7),
            "/" => (BinaryOp::Div, 7),
            _ => return None,
        })
    }

    /// A chain of operators builds a tree as deep as the chain is long (`1 + 1 + ...` is
    /// `((1 + 1) + ...)`), which evaluating it walks recursively: each operator counts as a
    /// level of nesting (3,000 additions in 12 KB overflowed the stack before). A run of one
    /// associative operator (`a | b | c`, `&`, `||`, `&&`) becomes a balanced tree instead, as
    /// deep as the logarithm of its length: an enum of 200 values is 8 levels. An error ends
    /// the parse, so only success gives the levels back.
    fn binary(&mut self, min: u8) -> Result<Arc<Expr>, Error> {
        let mut left = self.unary()?;
        let mut levels = 0;
        while let Some((op, precedence)) = self.binary_op() {
            if precedence < min {
                break;
            }
            if matches!(
                op,
                BinaryOp::Or | BinaryOp::And | BinaryOp::LogicalOr | BinaryOp::LogicalAnd
            ) {
                let mut operands = vec![left];
                while self.binary_op() == Some((op, precedence)) {
                    self.bump();
                    // Skip the line break after a binary operator (`a &\n b`).
                    self.skip_commas();
                    operands.push(self.binary(precedence + 1)?);
                }
                for _ in 0..usize::BITS - (operands.len() - 1).leading_zeros() {
                    self.nest(&mut levels, TOO_DEEP)?;
                }
                left = balanced(op, &operands, self.source);
                continue;
            }
            self.nest(&mut levels, TOO_DEEP)?;
            self.bump();
            self.skip_commas();
            let right = self.binary(precedence + 1)?;
            let span = Span {
                start: left.span.start,
                end: right.span.end,
                source: self.source,
            };
            left = Arc::new(Expr {
                kind: ExprKind::Binary(op, left, right),
                span,
            });
        }
        self.depth -= levels;
        Ok(left)
    }

    /// One more level of nesting, counted in `levels`; an error past the limit.
    fn nest(&mut self, levels: &mut usize, what: &str) -> Result<(), Error> {
        *levels += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(what, self.span()));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Arc<Expr>, Error> {
        let span = self.span();
        let op = match self.peek() {
            Tok::Punct("-") => UnaryOp::Neg,
            Tok::Punct("+") => UnaryOp::Plus,
            Tok::Punct("!") => UnaryOp::Not,
            Tok::Punct("*") => UnaryOp::Default,
            Tok::Punct("<") => UnaryOp::Less,
            Tok::Punct("<=") => UnaryOp::LessEq,
            Tok::Punct(">") => UnaryOp::Greater,
            Tok::Punct(">=") => UnaryOp::GreaterEq,
            Tok::Punct("!=") => UnaryOp::NotEq,
            Tok::Punct("=~") => UnaryOp::Match,
            Tok::Punct("!~") => UnaryOp::NotMatch,
            _ => return self.primary(),
        };
        self.bump();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new(TOO_DEEP, span));
        }
        let operand = self.unary()?;
        self.depth -= 1;
        let span = Span {
            end: operand.span.end,
            ..span
        };
        Ok(Arc::new(Expr {
            kind: ExprKind::Unary(op, operand),
            span,
        }))
    }

    /// An operand and its selectors, indexes and calls; like a chain of operators, each one a
    /// level of nesting (`a.a.a...` is as deep as it is long).
    fn primary(&mut self) -> Result<Arc<Expr>, Error> {
        let mut expr = self.operand()?;
        let mut levels = 0;
        loop {
            let start = expr.span;
            if self.eat_punct(".") {
                self.nest(&mut levels, TOO_DEEP)?;
                let span = self.span();
                let name = match self.bump().kind {
                    Tok::Ident(name) => name,
                    Tok::Str(lit) => plain_string(&lit)
                        .ok_or_else(|| Error::new("a selector is plain text", span))?,
                    _ => return Err(Error::new("expected a field name after `.`", span)),
                };
                let span = Span {
                    end: span.end,
                    ..start
                };
                expr = Arc::new(Expr {
                    kind: ExprKind::Select(expr, name),
                    span,
                });
            } else if self.is_punct("[") {
                self.nest(&mut levels, TOO_DEEP)?;
                self.bump();
                let low = if self.is_punct(":") {
                    None
                } else {
                    Some(self.expr()?)
                };
                let kind = if self.eat_punct(":") {
                    let high = if self.is_punct("]") {
                        None
                    } else {
                        Some(self.expr()?)
                    };
                    ExprKind::Slice(expr, low, high)
                } else {
                    let index = low.ok_or_else(|| self.unexpected("an index"))?;
                    ExprKind::Index(expr, index)
                };
                let end = self.expect_punct("]")?;
                expr = Arc::new(Expr {
                    kind,
                    span: Span {
                        end: end.end,
                        ..start
                    },
                });
            } else if self.is_punct("(") {
                self.nest(&mut levels, TOO_DEEP)?;
                self.bump();
                let mut args = Vec::new();
                self.skip_commas();
                while !self.is_punct(")") {
                    args.push(self.expr()?);
                    self.skip_commas();
                }
                let end = self.expect_punct(")")?;
                expr = Arc::new(Expr {
                    kind: ExprKind::Call(expr, args),
                    span: Span {
                        end: end.end,
                        ..start
                    },
                });
            } else {
                self.depth -= levels;
                return Ok(expr);
            }
        }
    }

    fn operand(&mut self) -> Result<Arc<Expr>, Error> {
        let span = self.span();
        let kind = match self.peek().clone() {
            Tok::Ident(name) => {
                self.bump();
                match name.as_str() {
                    "null" => ExprKind::Null,
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    _ => ExprKind::Ident(name),
                }
            }
            Tok::Number(text) => {
                self.bump();
                number(&text).ok_or_else(|| Error::new(format!("invalid number {text}"), span))?
            }
            Tok::Str(lit) => {
                self.bump();
                return Ok(Arc::new(self.string_expr(&lit, span)?));
            }
            Tok::Bottom => {
                self.bump();
                ExprKind::Bottom
            }
            Tok::Punct("(") => {
                self.bump();
                self.skip_commas();
                let inner = self.expr()?;
                self.skip_commas();
                self.expect_punct(")")?;
                return Ok(inner);
            }
            Tok::Punct("{") => {
                self.bump();
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Error::new("structs nest too deeply", span));
                }
                let decls = self.decls(Some("}"))?;
                self.depth -= 1;
                let end = self.expect_punct("}").map_err(|e| e.with_span(span))?;
                let span = Span {
                    end: end.end,
                    ..span
                };
                ExprKind::Struct(Arc::new(StructLit { decls, span }))
            }
            Tok::Punct("[") => {
                self.bump();
                let elems = self.list_elems()?;
                let end = self.expect_punct("]")?;
                let span = Span {
                    end: end.end,
                    ..span
                };
                ExprKind::List(Arc::new(ListLit { elems, span }))
            }
            _ => return Err(self.unexpected("a value")),
        };
        let span = Span {
            end: self.tokens[self.at.saturating_sub(1)].span.end,
            ..span
        };
        Ok(Arc::new(Expr { kind, span }))
    }

    fn list_elems(&mut self) -> Result<Vec<ListElem>, Error> {
        let open = self.tokens[self.at.saturating_sub(1)]
            .span
            .in_source(self.source);
        let mut elems = Vec::new();
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Error::new("lists nest too deeply", self.span()));
        }
        loop {
            self.skip_commas();
            if self.is_punct("]") {
                break;
            }
            if matches!(self.peek(), Tok::Eof | Tok::Punct("}" | ")")) {
                return Err(self.unexpected("`]` to close the list").with_span(open));
            }
            if self.eat_punct("...") {
                let ty = if self.starts_expr() {
                    Some(self.expr()?)
                } else {
                    None
                };
                elems.push(ListElem::Ellipsis(ty));
            } else if matches!(self.peek(), Tok::Ident(k) if k == "for" || k == "if")
                && !matches!(
                    self.peek_at(1),
                    Tok::Punct(":" | "." | "(" | "[") | Tok::Comma
                )
            {
                elems.push(ListElem::Comprehension(self.comprehension()?));
            } else {
                elems.push(ListElem::Expr(self.expr()?));
            }
            if !matches!(self.peek(), Tok::Comma) && !self.is_punct("]") {
                return Err(self.unexpected("`,` or `]`"));
            }
        }
        self.depth -= 1;
        Ok(elems)
    }

    /// A string literal, parsing each interpolation as an expression.
    fn string_expr(&mut self, lit: &StrLit, span: Span) -> Result<Expr, Error> {
        if let Some(text) = plain_string(lit) {
            let kind = if lit.bytes {
                ExprKind::Bytes(text.into_bytes())
            } else {
                ExprKind::Str(text)
            };
            return Ok(Expr { kind, span });
        }
        let mut parts = Vec::new();
        for part in &lit.parts {
            parts.push(match part {
                StrPart::Lit(text) => InterpolationPart::Lit(text.clone()),
                StrPart::Expr(from, to) => {
                    let mut inner =
                        Parser::new(self.src, *from as usize, *to as usize, self.source)?;
                    inner.depth = self.depth;
                    inner.skip_commas();
                    let expr = inner.expr()?;
                    inner.skip_commas();
                    if !matches!(inner.peek(), Tok::Eof) {
                        return Err(inner.unexpected("`)` closing the interpolation"));
                    }
                    InterpolationPart::Expr(expr)
                }
            });
        }
        Ok(Expr {
            kind: ExprKind::Interpolation(parts),
            span,
        })
    }
}

/// The text of a string literal without interpolation.
fn plain_string(lit: &StrLit) -> Option<String> {
    let mut text = String::new();
    for part in &lit.parts {
        match part {
            StrPart::Lit(t) => text.push_str(t),
            StrPart::Expr(..) => return None,
        }
    }
    Some(text)
}

/// A number literal: decimal, `0x`/`0o`/`0b`, `_` separators, decimals with exponents, and
/// the multipliers `K M G T P` (powers of 1000) and `Ki Mi Gi Ti Pi` (powers of 1024).
fn number(text: &str) -> Option<ExprKind> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = clean.strip_prefix(prefix) {
            return i64::from_str_radix(digits, radix).ok().map(ExprKind::Int);
        }
    }
    let multipliers: [(&str, f64); 10] = [
        ("Ki", 1024f64),
        ("Mi", 1024f64.powi(2)),
        ("Gi", 1024f64.powi(3)),
        ("Ti", 1024f64.powi(4)),
        ("Pi", 1024f64.powi(5)),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
    ];
    for (suffix, factor) in multipliers {
        if let Some(digits) = clean.strip_suffix(suffix) {
            let value = digits.parse::<f64>().ok()? * factor;
            return (value.fract() == 0.0 && value.abs() < 9.2e18)
                .then_some(ExprKind::Int(value as i64));
        }
    }
    if clean.contains(['.', 'e', 'E']) {
        return Decimal::parse(&clean).map(|d| ExprKind::Float(Arc::new(d)));
    }
    if clean.len() > 1 && clean.starts_with('0') {
        // Leading zeros are not allowed in decimal integers.
        return None;
    }
    clean.parse::<i64>().ok().map(ExprKind::Int)
}
