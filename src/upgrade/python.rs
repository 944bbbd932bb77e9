//! Python source as the upgrade merges it: the statements of a module or a class body as units
//! with keys that survive edits, and the normalization that tells a formatting change (quotes,
//! wrapping, trailing commas, line endings) from a change of meaning.
//!
//! Parsed with tree-sitter's Python grammar. A unit covers whole lines: a statement with the
//! comments on its lines, a run of comment lines without a blank line between them, or the
//! docstring. Blank lines between units are gaps, which the merge keeps as the owner spaced them.

use std::cell::RefCell;
use std::ops::{ControlFlow, Range};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tree_sitter::{Node, ParseOptions, Parser, Tree};

/// A parsed file: its text, its tree, and how its owner writes Python.
pub(crate) struct Source {
    pub(crate) text: String,
    pub(crate) tree: Tree,
    pub(crate) style: Style,
    /// Whole lines of comments that the parser was not shown (see [`hidden_comment_lines`]),
    /// sorted: they count as comments wherever they lie.
    hidden: Vec<Range<usize>>,
}

/// How a file writes what the template writes its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Style {
    /// `\r\n` line endings (most lines end so).
    pub(crate) crlf: bool,
    /// Double-quoted strings (black's style): more simple strings use `"` than `'`.
    pub(crate) double_quotes: bool,
}

/// Why a text has no [`Source`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not Python that tree-sitter parses without an error: merged by lines instead.
    Invalid,
    /// Larger or slower than an upgrade may spend on one file: refused, with why.
    Refused(String),
}

/// The most lines (and `;`-separated statements) a merged file may have: tree-sitter takes
/// about 300 bytes of memory per statement, so a million one-character statements in 2 MiB
/// would take 600 MB.
pub(crate) const MAX_LINES: usize = 100_000;

/// How much text the parse cache keeps (with its trees, about 50 times as much memory): one
/// settings file at the size limit, or many small files.
const CACHE_BYTES: usize = (2 << 20) + (64 << 10);

thread_local! {
    static PARSED: RefCell<Vec<Rc<Source>>> = const { RefCell::new(Vec::new()) };
}

/// How long one parse may take before the file is refused: a safety net for inputs that the
/// limits above let through (a 2 MiB settings file of ordinary statements parses in half a
/// second here, an unclosed bracket at the end of 90,000 lines takes tree-sitter's error
/// recovery longer than this).
const PARSE_DEADLINE: Duration = Duration::from_secs(3);

impl Source {
    /// Parses `text`; None when it is not Python that tree-sitter parses without an error, or
    /// when it is refused (see [`Source::parse_bounded`]).
    pub(crate) fn parse(text: &str) -> Option<Rc<Source>> {
        Source::parse_bounded(text).ok()
    }

    /// [`Source::parse_uncached`] through a cache of the texts parsed last (at most
    /// [`CACHE_BYTES`] of text): an upgrade reads the owner's settings file in the merge, in
    /// Django's rules and in its checks of the result, and parses each text once.
    pub(crate) fn parse_bounded(text: &str) -> Result<Rc<Source>, ParseError> {
        let hit = PARSED.with_borrow(|cache| cache.iter().find(|s| s.text == text).cloned());
        if let Some(source) = hit {
            return Ok(source);
        }
        // Room first, so that a large file's tree is not held twice.
        PARSED.with_borrow_mut(|cache| {
            while !cache.is_empty()
                && cache.iter().map(|s| s.text.len()).sum::<usize>() + text.len() > CACHE_BYTES
            {
                cache.remove(0);
            }
        });
        let source = Rc::new(Source::parse_uncached(text)?);
        if text.len() <= CACHE_BYTES {
            PARSED.with_borrow_mut(|cache| cache.push(Rc::clone(&source)));
        }
        Ok(source)
    }

    /// Parses `text` within [`MAX_LINES`] and [`PARSE_DEADLINE`].
    ///
    /// tree-sitter-python's external scanner looks ahead past every following comment line at
    /// each line break (tree-sitter-python pull requests 242-245), so a run of n comment lines
    /// takes n² steps: 20,000 took a minute. The parser is shown the text with the inner lines
    /// of every run of whole-line comments blanked (offsets unchanged); those lines are kept
    /// as [`Source::hidden`] comments and count wherever comments count.
    fn parse_uncached(text: &str) -> Result<Source, ParseError> {
        let statements = text.bytes().filter(|b| *b == b'\n' || *b == b';').count();
        if statements > MAX_LINES {
            return Err(ParseError::Refused(format!(
                "it has more than {MAX_LINES} lines or statements, more than scaffold upgrade parses"
            )));
        }
        let hidden = hidden_comment_lines(text);
        let shown = blank(text, &hidden);
        let tree = parse_within(&shown, PARSE_DEADLINE)?;
        // The scan that found the comment lines reads strings more simply than Python does
        // (f-strings that nest their own quotes): a blanked line inside a string means it was
        // wrong, and the text is parsed as it is.
        let (tree, hidden) = if hidden.iter().any(|r| inside_string(&tree, r)) {
            (parse_within(text, PARSE_DEADLINE)?, Vec::new())
        } else {
            (tree, hidden)
        };
        if tree.root_node().has_error() {
            return Err(ParseError::Invalid);
        }
        let mut source = Source {
            text: text.to_owned(),
            tree,
            style: Style {
                crlf: false,
                double_quotes: false,
            },
            hidden,
        };
        source.style = style_of(&source);
        Ok(source)
    }

    pub(crate) fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    pub(crate) fn slice(&self, range: Range<usize>) -> &str {
        &self.text[range]
    }

    /// The hidden comment lines within `range`, each trimmed.
    fn hidden_comments(&self, range: Range<usize>) -> impl Iterator<Item = (usize, &str)> {
        let first = self.hidden.partition_point(|r| r.end <= range.start);
        self.hidden[first..]
            .iter()
            .take_while(move |r| r.start < range.end)
            .filter(move |r| r.start >= range.start && r.end <= range.end)
            .flat_map(move |r| {
                let mut at = r.start;
                self.text[r.clone()].split_inclusive('\n').map(move |line| {
                    let start = at;
                    at += line.len();
                    (start, line.trim())
                })
            })
    }

    /// Whether `range` holds nothing but hidden comment lines.
    fn only_hidden(&self, range: Range<usize>) -> bool {
        range.is_empty()
            || self
                .hidden
                .binary_search_by(|r| r.start.cmp(&range.start))
                .is_ok_and(|i| self.hidden[i].end == range.end)
    }
}

fn parse_within(text: &str, deadline: Duration) -> Result<Tree, ParseError> {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .map_err(|_| ParseError::Invalid)?;
    let until = Instant::now() + deadline;
    let mut late = false;
    let mut progress = |_: &tree_sitter::ParseState| {
        if Instant::now() > until {
            late = true;
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let bytes = text.as_bytes();
    let tree = parser.parse_with_options(
        &mut |at, _| bytes.get(at..).unwrap_or_default(),
        None,
        Some(ParseOptions::new().progress_callback(&mut progress)),
    );
    match tree {
        Some(tree) => Ok(tree),
        None if late => Err(ParseError::Refused(format!(
            "parsing it takes longer than {} s, more than scaffold upgrade spends on a file",
            deadline.as_secs()
        ))),
        None => Err(ParseError::Invalid),
    }
}

/// Whether `range` lies inside a string literal of `tree`.
fn inside_string(tree: &Tree, range: &Range<usize>) -> bool {
    let mut node = tree
        .root_node()
        .descendant_for_byte_range(range.start, range.end);
    while let Some(n) = node {
        if n.kind() == "string" || n.kind() == "string_content" {
            return true;
        }
        node = n.parent();
    }
    false
}

/// `text` with the bytes of `hidden` blanked (line breaks kept).
fn blank(text: &str, hidden: &[Range<usize>]) -> String {
    if hidden.is_empty() {
        return text.to_owned();
    }
    let mut bytes = text.as_bytes().to_vec();
    for r in hidden {
        for b in &mut bytes[r.clone()] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Only ASCII bytes of whole lines were replaced by ASCII: still UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
}

/// The inner lines of each run of three or more whole-line comments outside brackets and
/// strings, as whole-line ranges. A plain scan of Python's lexical structure: strings (any
/// prefix, single or triple quoted, backslash escapes), comments, brackets, line continuation.
fn hidden_comment_lines(text: &str) -> Vec<Range<usize>> {
    let b = text.as_bytes();
    let mut comment_lines: Vec<Range<usize>> = Vec::new();
    let (mut i, mut depth, mut line_start) = (0usize, 0usize, true);
    while i < b.len() {
        if line_start {
            line_start = false;
            let mut j = i;
            while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\x0c') {
                j += 1;
            }
            if depth == 0 && b.get(j) == Some(&b'#') {
                let end = b[j..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(b.len(), |p| j + p + 1);
                comment_lines.push(i..end);
                i = end;
                line_start = true;
                continue;
            }
            i = j;
            continue;
        }
        match b[i] {
            b'\n' => {
                line_start = true;
                i += 1;
            }
            b'\\' => i += 2, // a continuation: the next line is not a line of its own
            b'#' => {
                i = b[i..]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(b.len(), |p| i + p);
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            q @ (b'\'' | b'"') => {
                let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    match b[i] {
                        b'\\' => i += 2,
                        b'\n' if !triple => break,
                        c if c == q
                            && (!triple
                                || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) =>
                        {
                            i += if triple { 3 } else { 1 };
                            break;
                        }
                        _ => i += 1,
                    }
                }
            }
            _ => i += 1,
        }
    }
    // Runs of adjacent comment lines; the inner lines of each run of three or more.
    let mut hidden = Vec::new();
    let mut run_start = 0;
    for k in 1..=comment_lines.len() {
        let adjacent =
            k < comment_lines.len() && comment_lines[k].start == comment_lines[k - 1].end;
        if adjacent {
            continue;
        }
        if k - run_start >= 3 {
            hidden.push(comment_lines[run_start + 1].start..comment_lines[k - 2].end);
        }
        run_start = k;
    }
    hidden
}

fn style_of(source: &Source) -> Style {
    let text = source.text.as_str();
    let crlf_lines = text.matches("\r\n").count();
    let lf_lines = text.matches('\n').count();
    let (mut single, mut double) = (0, 0);
    visit(source.root(), &mut |node| {
        if node.kind() == "string" {
            match simple_quote(&text[node.byte_range()]) {
                Some('\'') => single += 1,
                Some('"') => double += 1,
                _ => {}
            }
        }
    });
    Style {
        crlf: crlf_lines * 2 > lf_lines,
        double_quotes: double > single,
    }
}

/// Every node below and including `node`, in document order, without recursion (a file may
/// nest brackets 50,000 deep).
pub(crate) fn visit<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    visit_pruned(node, &mut |n| {
        f(n);
        true
    });
}

/// Like [`visit`], but `f` says whether to go below a node.
pub(crate) fn visit_pruned<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>) -> bool) {
    let mut cursor = node.walk();
    loop {
        if f(cursor.node()) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.node() == node {
                return;
            }
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The quote of a plain one-line string literal (`'x'`, `"x"`, with an `r`/`b`/`u` prefix), None
/// for triple-quoted and f-strings.
fn simple_quote(literal: &str) -> Option<char> {
    let body = literal.trim_start_matches(['r', 'R', 'b', 'B', 'u', 'U']);
    if literal.len() - body.len() > 1 || body.starts_with("'''") || body.starts_with("\"\"\"") {
        return None;
    }
    body.chars().next().filter(|c| *c == '\'' || *c == '"')
}

/// What a unit is, for the rules that treat them differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    Docstring,
    Comment,
    Statement,
}

/// One unit of a module or class body.
#[derive(Debug, Clone)]
pub(crate) struct Unit<'t> {
    pub(crate) kind: UnitKind,
    /// What matches it across the three versions: `=NAME` for an assignment, `class X`, `def f`,
    /// the import itself, the comment's text with docs versions masked, `docstring`.
    pub(crate) key: String,
    /// Whole lines, newline included.
    pub(crate) range: Range<usize>,
    /// The statement (None for comments, and for statements that share a line, which compare
    /// as text).
    pub(crate) node: Option<Node<'t>>,
}

/// The units of a module (`container` is the root) or a class body (the class's `block`).
pub(crate) fn units<'t>(source: &'t Source, container: Node<'t>) -> Vec<Unit<'t>> {
    let text = source.text.as_str();
    let mut out: Vec<Unit<'t>> = Vec::new();
    let mut last_row: Option<usize> = None;
    let mut cursor = container.walk();
    for (index, child) in container.named_children(&mut cursor).enumerate() {
        let start_row = child.start_position().row;
        // Whole lines, found without scanning a long line once per statement on it (80,000
        // statements on one line): the start from the node's column, the end only when the
        // node ends past the line the unit before it ends on.
        let start = child.start_byte() - child.start_position().column;
        let end = match out.last() {
            Some(prev) if child.end_byte() <= prev.range.end => prev.range.end,
            _ => line_end(text, child.end_byte()),
        };
        let range = start..end;
        if child.kind() == "comment" {
            // A comment on a statement's last line belongs to the statement; a comment on the
            // line after another comment extends that comment group.
            if let Some(prev) = out.last_mut() {
                let adjacent = last_row.is_some_and(|r| r == start_row)
                    || (prev.kind == UnitKind::Comment
                        && (last_row.is_some_and(|r| r + 1 == start_row)
                            || source.only_hidden(prev.range.end..range.start)));
                if adjacent {
                    prev.range.end = prev.range.end.max(range.end);
                    last_row = Some(child.end_position().row);
                    if prev.kind == UnitKind::Comment {
                        prev.key = comment_key(&text[prev.range.clone()]);
                    }
                    continue;
                }
            }
            out.push(Unit {
                kind: UnitKind::Comment,
                key: comment_key(&text[range.clone()]),
                range,
                node: None,
            });
        } else {
            // Statements that share a line (`a = 1; b = 2`) are one unit: units are whole lines.
            if let Some(prev) = out.last_mut().filter(|_| last_row == Some(start_row)) {
                prev.range.end = prev.range.end.max(range.end);
                // Appended in place: 80,000 statements on one line made this quadratic.
                prev.key.push_str("; ");
                prev.key.push_str(&statement_key(child, source));
                prev.kind = UnitKind::Statement;
                prev.node = None;
                last_row = Some(child.end_position().row);
                continue;
            }
            let docstring = index == 0 || out.iter().all(|u| u.kind == UnitKind::Comment);
            let docstring = docstring && is_string_statement(child);
            out.push(Unit {
                kind: if docstring {
                    UnitKind::Docstring
                } else {
                    UnitKind::Statement
                },
                key: if docstring {
                    "docstring".into()
                } else {
                    statement_key(child, source)
                },
                range,
                node: Some(child),
            });
        }
        last_row = Some(child.end_position().row);
    }
    // An app's config class is found by its role, whatever its owner renamed it to.
    let configs: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].node.is_some_and(|n| is_app_config(n, text)))
        .collect();
    if let [only] = configs[..] {
        out[only].key = APP_CONFIG_KEY.to_owned();
    }
    // The n-th unit with a key already seen is told apart by its rank.
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    for unit in &mut out {
        let n = seen.entry(unit.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            unit.key = format!("{}#{n}", unit.key);
        }
    }
    out
}

fn is_string_statement(node: Node) -> bool {
    node.kind() == "expression_statement"
        && node.named_child_count() == 1
        && node.named_child(0).is_some_and(|c| c.kind() == "string")
}

/// The key of an app's `AppConfig` subclass, the one class of its `apps.py` with that role.
pub(crate) const APP_CONFIG_KEY: &str = "class <AppConfig>";

/// A class (decorated or not) whose bases name `AppConfig` (`AppConfig`, `apps.AppConfig`).
fn is_app_config(node: Node, text: &str) -> bool {
    let class = match node.kind() {
        "decorated_definition" => node.child_by_field_name("definition"),
        "class_definition" => Some(node),
        _ => None,
    };
    class
        .and_then(|c| c.child_by_field_name("superclasses"))
        .is_some_and(|bases| {
            let mut cursor = bases.walk();
            let found = bases.named_children(&mut cursor).any(|b| {
                let base = &text[b.byte_range()];
                base == "AppConfig" || base.ends_with(".AppConfig")
            });
            found
        })
}

fn statement_key(node: Node, source: &Source) -> String {
    let text = source.text.as_str();
    let name = |n: Node| n.child_by_field_name("name").map(|x| &text[x.byte_range()]);
    match node.kind() {
        "expression_statement" => {
            if let Some(first) = node.named_child(0) {
                if matches!(first.kind(), "assignment" | "augmented_assignment") {
                    if let Some(left) = first.child_by_field_name("left") {
                        let op = if first.kind() == "assignment" {
                            "="
                        } else {
                            "+="
                        };
                        return format!("{op}{}", normalized(left, source).0);
                    }
                }
            }
            format!("stmt {}", normalized(node, source).0)
        }
        "class_definition" => format!("class {}", name(node).unwrap_or_default()),
        "function_definition" => format!("def {}", name(node).unwrap_or_default()),
        "decorated_definition" => match node.child_by_field_name("definition") {
            Some(def) => statement_key(def, source),
            None => format!("stmt {}", normalized(node, source).0),
        },
        "if_statement" => match node.child_by_field_name("condition") {
            Some(c) => format!("if {}", normalized(c, source).0),
            None => format!("stmt {}", normalized(node, source).0),
        },
        _ => format!("stmt {}", normalized(node, source).0),
    }
}

/// A comment group's key: its words, with the release in documentation links masked, so that
/// the same comment of two releases matches.
fn comment_key(text: &str) -> String {
    let words: Vec<&str> = text
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .collect();
    format!("# {}", mask_docs_versions(&words.join(" ")))
}

pub(crate) const DOCS: &str = "docs.djangoproject.com/en/";

/// `docs.djangoproject.com/en/4.2/` as `docs.djangoproject.com/en/*/`.
pub(crate) fn mask_docs_versions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(DOCS) {
        let after = &rest[at + DOCS.len()..];
        let version_len = after.find('/').unwrap_or(0);
        let version = &after[..version_len];
        let is_version = !version.is_empty()
            && version
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'x');
        out.push_str(&rest[..at + DOCS.len()]);
        if is_version {
            out.push('*');
            rest = &after[version_len..];
        } else {
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// A node's meaning as a token string, and the comments inside it (in document order). Two
/// nodes that differ only in whitespace, line breaks, quote style or trailing commas normalize
/// alike.
pub(crate) fn normalized(node: Node, source: &Source) -> (String, Vec<String>) {
    let text = source.text.as_str();
    let mut tokens: Vec<String> = Vec::new();
    let mut comments: Vec<(usize, String)> = Vec::new();
    visit_pruned(node, &mut |n| match n.kind() {
        "comment" => {
            comments.push((n.start_byte(), text[n.byte_range()].trim().to_owned()));
            false
        }
        "string" => {
            tokens.push(string_token(&text[n.byte_range()]));
            false
        }
        _ if n.child_count() == 0 => {
            tokens.push(text[n.byte_range()].to_owned());
            false
        }
        _ => true,
    });
    if !source.hidden.is_empty() {
        comments.extend(
            source
                .hidden_comments(node.byte_range())
                .map(|(at, c)| (at, c.to_owned())),
        );
        comments.sort();
    }
    let mut out = String::new();
    for (i, token) in tokens.iter().enumerate() {
        let closes = tokens
            .get(i + 1)
            .is_some_and(|n| matches!(n.as_str(), ")" | "]" | "}"));
        if token == "," && closes {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    }
    (out, comments.into_iter().map(|(_, c)| c).collect())
}

/// A string literal as a token: its prefix and its content, whichever quotes enclose it.
fn string_token(literal: &str) -> String {
    let body = literal.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let prefix = literal[..literal.len() - body.len()].to_ascii_lowercase();
    let quote = if body.starts_with("'''") || body.starts_with("\"\"\"") {
        3
    } else {
        1
    };
    let content = body
        .get(quote..body.len().saturating_sub(quote))
        .unwrap_or(body);
    let content = content
        .replace("\r\n", "\n")
        .replace("\\'", "'")
        .replace("\\\"", "\"");
    format!("{prefix}'{content}'")
}

/// Whether two nodes mean the same: the same tokens and the same comments.
pub(crate) fn same(a: Node, a_source: &Source, b: Node, b_source: &Source) -> bool {
    normalized(a, a_source) == normalized(b, b_source)
}

/// The text of `range` of `source` as a file of style `to` writes it: its simple string
/// literals in that file's quotes, its line endings that file's. Leaves a literal alone whose
/// content holds either quote or a backslash.
pub(crate) fn restyle(source: &Source, range: Range<usize>, to: Style) -> String {
    let text = source.text.as_str();
    let mut out = String::new();
    let mut at = range.start;
    if to.double_quotes != source.style.double_quotes {
        let (from_q, to_q) = if to.double_quotes {
            ('\'', '"')
        } else {
            ('"', '\'')
        };
        let mut literals = Vec::new();
        visit(source.root(), &mut |node| {
            let r = node.byte_range();
            if node.kind() == "string" && r.start >= range.start && r.end <= range.end {
                literals.push(r);
            }
        });
        for r in literals {
            let literal = &text[r.clone()];
            if simple_quote(literal) != Some(from_q) {
                continue;
            }
            let body_start = literal.find(from_q).unwrap_or(0);
            let content = &literal[body_start + 1..literal.len() - 1];
            if content.contains(['\'', '"', '\\']) {
                continue;
            }
            out.push_str(&text[at..r.start]);
            out.push_str(&literal[..body_start]);
            out.push(to_q);
            out.push_str(content);
            out.push(to_q);
            at = r.end;
        }
    }
    out.push_str(&text[at..range.end]);
    with_line_endings(&out, to.crlf)
}

/// `text` with every line ending `\r\n` (crlf) or `\n`.
pub(crate) fn with_line_endings(text: &str, crlf: bool) -> String {
    let lf = text.replace("\r\n", "\n");
    if crlf {
        lf.replace('\n', "\r\n")
    } else {
        lf
    }
}

/// The offset of the start of the line holding `at`.
pub(crate) fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just past the newline of the line holding `at - 1` (or the end of the text).
pub(crate) fn line_end(text: &str, at: usize) -> usize {
    if at > 0 && text.as_bytes().get(at - 1) == Some(&b'\n') {
        return at;
    }
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// The indentation of the line holding `at`.
pub(crate) fn indent_at(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// `text` (whose lines after the first are indented for `from`) re-indented for `to`.
pub(crate) fn reindent(text: &str, from: &str, to: &str) -> String {
    if from == to {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split_inclusive('\n').enumerate() {
        match line.strip_prefix(from) {
            Some(rest) if i > 0 => {
                out.push_str(to);
                out.push_str(rest);
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<(UnitKind, String, String)> {
        let source = Source::parse(text).unwrap();
        units(&source, source.root())
            .into_iter()
            .map(|u| (u.kind, u.key, text[u.range].to_owned()))
            .collect()
    }

    #[test]
    fn a_module_splits_into_keyed_units() {
        let text = "\"\"\"Doc.\"\"\"\nfrom pathlib import Path\n\n# Database\n# https://docs.djangoproject.com/en/4.2/ref/settings/#databases\n\nDATABASES = {\n    'default': {},\n}  # trailing\nDEBUG = True\nDEBUG = False\n";
        let found = keys(text);
        let summary: Vec<(UnitKind, &str)> =
            found.iter().map(|(k, key, _)| (*k, key.as_str())).collect();
        assert_eq!(
            summary,
            [
                (UnitKind::Docstring, "docstring"),
                (UnitKind::Statement, "stmt from pathlib import Path"),
                (
                    UnitKind::Comment,
                    "# Database https://docs.djangoproject.com/en/*/ref/settings/#databases"
                ),
                (UnitKind::Statement, "=DATABASES"),
                (UnitKind::Statement, "=DEBUG"),
                (UnitKind::Statement, "=DEBUG#2"),
            ]
        );
        assert_eq!(
            found[3].2,
            "DATABASES = {\n    'default': {},\n}  # trailing\n"
        );
    }

    #[test]
    fn statements_on_one_line_are_one_unit() {
        let found = keys("a = 1; b = 2\nc = 3  # x\n# y\n");
        let summary: Vec<(UnitKind, &str, &str)> = found
            .iter()
            .map(|(k, key, t)| (*k, key.as_str(), t.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (UnitKind::Statement, "=a; =b", "a = 1; b = 2\n"),
                (UnitKind::Statement, "=c", "c = 3  # x\n"),
                (UnitKind::Comment, "# y", "# y\n"),
            ]
        );
    }

    #[test]
    fn formatting_does_not_change_meaning() {
        let a = "X = [\n    'a',\n    'b',\n]\n";
        let b = "X = [\"a\", \"b\"]\r\n";
        let c = "X = ['a', 'c']\n";
        let (sa, sb, sc) = (
            Source::parse(a).unwrap(),
            Source::parse(b).unwrap(),
            Source::parse(c).unwrap(),
        );
        assert!(same(sa.root(), &sa, sb.root(), &sb));
        assert!(!same(sa.root(), &sa, sc.root(), &sc));
        let commented = "X = [\n    'a',  # mine\n    'b',\n]\n";
        let sd = Source::parse(commented).unwrap();
        assert!(!same(sa.root(), &sa, sd.root(), &sd));
    }

    #[test]
    fn restyle_takes_the_owners_quotes_and_line_endings() {
        let t = "X = {'a': \"it's\", 'b': r'\\d'}\n";
        let source = Source::parse(t).unwrap();
        let black = Style {
            crlf: true,
            double_quotes: true,
        };
        assert_eq!(
            restyle(&source, 0..t.len(), black),
            "X = {\"a\": \"it's\", \"b\": r'\\d'}\r\n"
        );
    }

    #[test]
    fn only_whole_comment_lines_outside_strings_and_brackets_are_hidden() {
        let text = "\"\"\"\n# a\n# b\n# c\n\"\"\"\n# 1\n# 2\n# 3\n# 4\nX = [\n# i\n# j\n# k\n]\ns = '#'  # x\n";
        let hidden = hidden_comment_lines(text);
        let shown: Vec<&str> = hidden.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(shown, ["# 2\n# 3\n"]);
        let source = Source::parse(text).unwrap();
        let found = units(&source, source.root());
        let comment = found.iter().find(|u| u.kind == UnitKind::Comment).unwrap();
        assert_eq!(&text[comment.range.clone()], "# 1\n# 2\n# 3\n# 4\n");
    }

    #[test]
    fn docs_versions_are_masked() {
        assert_eq!(
            mask_docs_versions("see https://docs.djangoproject.com/en/3.2/topics/ and /en/dev/"),
            "see https://docs.djangoproject.com/en/*/topics/ and /en/dev/"
        );
    }

    #[test]
    fn reindent_moves_continuation_lines() {
        assert_eq!(
            reindent("{\n  'a': 1,\n  }", "  ", "    "),
            "{\n    'a': 1,\n    }"
        );
    }
}
