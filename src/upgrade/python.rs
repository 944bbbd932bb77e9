//! Python source as the upgrade merges it: the statements of a module or a class body as units
//! with keys that survive edits, and the normalization that tells a formatting change (quotes,
//! wrapping, trailing commas, line endings) from a change of meaning.
//!
//! Parsed with tree-sitter's Python grammar. A unit covers whole lines: a statement with the
//! comments on its lines, a run of comment lines without a blank line between them, or the
//! docstring. Blank lines between units are gaps, which the merge keeps as the owner spaced them.

use std::ops::Range;

use tree_sitter::{Node, Parser, Tree};

/// A parsed file: its text, its tree, and how its owner writes Python.
pub struct Source {
    pub text: String,
    pub tree: Tree,
    pub style: Style,
}

/// How a file writes what the template writes its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// `\r\n` line endings (most lines end so).
    pub crlf: bool,
    /// Double-quoted strings (black's style): more simple strings use `"` than `'`.
    pub double_quotes: bool,
}

impl Source {
    /// None when the text is not Python that tree-sitter parses without an error.
    pub fn parse(text: &str) -> Option<Source> {
        let mut parser = Parser::new();
        parser
            .set_language(&tree_sitter_python::LANGUAGE.into())
            .ok()?;
        let tree = parser.parse(text, None)?;
        if tree.root_node().has_error() {
            return None;
        }
        let style = style_of(text, &tree);
        Some(Source {
            text: text.to_owned(),
            tree,
            style,
        })
    }

    pub fn root(&self) -> Node<'_> {
        self.tree.root_node()
    }

    pub fn slice(&self, range: Range<usize>) -> &str {
        &self.text[range]
    }
}

fn style_of(text: &str, tree: &Tree) -> Style {
    let crlf_lines = text.matches("\r\n").count();
    let lf_lines = text.matches('\n').count();
    let (mut single, mut double) = (0, 0);
    visit(tree.root_node(), &mut |node| {
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

fn visit<'t>(node: Node<'t>, f: &mut impl FnMut(Node<'t>)) {
    f(node);
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        visit(child, f);
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
pub enum UnitKind {
    Docstring,
    Comment,
    Statement,
}

/// One unit of a module or class body.
#[derive(Debug, Clone)]
pub struct Unit<'t> {
    pub kind: UnitKind,
    /// What matches it across the three versions: `=NAME` for an assignment, `class X`, `def f`,
    /// the import itself, the comment's text with docs versions masked, `docstring`.
    pub key: String,
    /// Whole lines, newline included.
    pub range: Range<usize>,
    /// The statement (None for comments, and for statements that share a line, which compare
    /// as text).
    pub node: Option<Node<'t>>,
}

/// The units of a module (`container` is the root) or a class body (the class's `block`).
pub fn units<'t>(source: &'t Source, container: Node<'t>) -> Vec<Unit<'t>> {
    let text = source.text.as_str();
    let mut out: Vec<Unit<'t>> = Vec::new();
    let mut last_row: Option<usize> = None;
    let mut cursor = container.walk();
    for (index, child) in container.named_children(&mut cursor).enumerate() {
        let start_row = child.start_position().row;
        let range = line_start(text, child.start_byte())..line_end(text, child.end_byte());
        if child.kind() == "comment" {
            // A comment on a statement's last line belongs to the statement; a comment on the
            // line after another comment extends that comment group.
            if let Some(prev) = out.last_mut() {
                let adjacent = last_row.is_some_and(|r| r == start_row)
                    || (prev.kind == UnitKind::Comment
                        && last_row.is_some_and(|r| r + 1 == start_row));
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
                prev.key = format!("{}; {}", prev.key, statement_key(child, text));
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
                    statement_key(child, text)
                },
                range,
                node: Some(child),
            });
        }
        last_row = Some(child.end_position().row);
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

fn statement_key(node: Node, text: &str) -> String {
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
                        return format!("{op}{}", normalized(left, text).0);
                    }
                }
            }
            format!("stmt {}", normalized(node, text).0)
        }
        "class_definition" => format!("class {}", name(node).unwrap_or_default()),
        "function_definition" => format!("def {}", name(node).unwrap_or_default()),
        "decorated_definition" => match node.child_by_field_name("definition") {
            Some(def) => statement_key(def, text),
            None => format!("stmt {}", normalized(node, text).0),
        },
        "if_statement" => match node.child_by_field_name("condition") {
            Some(c) => format!("if {}", normalized(c, text).0),
            None => format!("stmt {}", normalized(node, text).0),
        },
        _ => format!("stmt {}", normalized(node, text).0),
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

const DOCS: &str = "docs.djangoproject.com/en/";

/// `docs.djangoproject.com/en/4.2/` as `docs.djangoproject.com/en/*/`.
pub fn mask_docs_versions(text: &str) -> String {
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

/// A node's meaning as a token string, and the comments inside it. Two nodes that differ only
/// in whitespace, line breaks, quote style or trailing commas normalize alike.
pub fn normalized(node: Node, text: &str) -> (String, Vec<String>) {
    let mut tokens: Vec<String> = Vec::new();
    let mut comments = Vec::new();
    leaves(node, text, &mut tokens, &mut comments);
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
    (out, comments)
}

fn leaves(node: Node, text: &str, tokens: &mut Vec<String>, comments: &mut Vec<String>) {
    match node.kind() {
        "comment" => comments.push(text[node.byte_range()].trim().to_owned()),
        "string" => tokens.push(string_token(&text[node.byte_range()])),
        _ if node.child_count() == 0 => tokens.push(text[node.byte_range()].to_owned()),
        _ => {
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                leaves(child, text, tokens, comments);
            }
        }
    }
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
pub fn same(a: Node, a_text: &str, b: Node, b_text: &str) -> bool {
    normalized(a, a_text) == normalized(b, b_text)
}

/// The text of `range` of `source` as a file of style `to` writes it: its simple string
/// literals in that file's quotes, its line endings that file's. Leaves a literal alone whose
/// content holds either quote or a backslash.
pub fn restyle(source: &Source, range: Range<usize>, to: Style) -> String {
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
pub fn with_line_endings(text: &str, crlf: bool) -> String {
    let lf = text.replace("\r\n", "\n");
    if crlf {
        lf.replace('\n', "\r\n")
    } else {
        lf
    }
}

/// The offset of the start of the line holding `at`.
pub fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just past the newline of the line holding `at - 1` (or the end of the text).
pub fn line_end(text: &str, at: usize) -> usize {
    if at > 0 && text.as_bytes().get(at - 1) == Some(&b'\n') {
        return at;
    }
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// The indentation of the line holding `at`.
pub fn indent_at(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// `text` (whose lines after the first are indented for `from`) re-indented for `to`.
pub fn reindent(text: &str, from: &str, to: &str) -> String {
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
        assert!(same(sa.root(), a, sb.root(), b));
        assert!(!same(sa.root(), a, sc.root(), c));
        let commented = "X = [\n    'a',  # mine\n    'b',\n]\n";
        let sd = Source::parse(commented).unwrap();
        assert!(!same(sa.root(), a, sd.root(), commented));
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
