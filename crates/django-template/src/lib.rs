//! Django's template language (lexer, parser, renderer), rendering byte for byte as Django 5.2's
//! engine does for plain-data contexts, configured by default as `TemplateCommand` configures it
//! (`Context(..., autoescape=False)`, `string_if_invalid=""`).
//!
//! Why not translate to Tera or another engine: the languages look alike but differ where it
//! shows in the output (undefined variables, Python's `title`, truthiness, smartif precedence,
//! `forloop`, a tag regex that never spans lines, safe strings). This crate instead follows
//! Django's own code path, function by function (`Lexer.tokenize`, `Parser.parse`,
//! `FilterExpression`, `Variable`, `smartif.IfParser`, the tags of `defaulttags`, the filters of
//! `defaultfilters`), and refuses, with the line and the construct, anything it does not
//! implement. README.md lists what is supported and what is refused, and why; Django's own
//! template tests check it (tests/django_suite.rs).
//!
//! Bounded on hostile input: see [`RenderLimits`] (output size, steps, cancellation); block
//! tags nest at most 100 deep, `or`/`and` chains are flat, other `if` expressions at most 100
//! deep, and the recursion that nesting implies grows its stack on the heap when needed.

// What is not the crate's API is crate-private, so that the compiler reports what nothing uses,
// and the API is documented.
#![warn(unreachable_pub, missing_docs)]

mod date;
mod expr;
mod filters;
mod format;
mod htmlparser;
mod htmltext;
mod json;
mod lexer;
mod locale;
mod locale_data;
mod osrandom;
pub mod python;
mod urlize;
mod urlize_tables;
mod value;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

use expr::{split_contents, Condition, FilterExpr};
use filters::{conditional_escape, FilterContext};
use lexer::{Lexer, Token, TokenType};
pub use locale::{to_locale, FormatSettings, Grouping};
use python::{float_repr, is_python_space, python_strip};
use value::Failure;
pub use value::{DictView, Value};

/// A parse or render error: the 1-based line and Django's (or scaffold's) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// The 1-based line of the template where it happened.
    pub line: usize,
    /// Django's message (or scaffold's, for what it refuses).
    pub message: String,
    /// What kind of failure it is.
    pub kind: ErrorKind,
}

/// What kind of failure a [`TemplateError`] is, for callers that act differently on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The template is invalid, or uses something not implemented, or Django would raise.
    Template,
    /// The rendered output would pass [`RenderLimits::max_output`].
    OutputLimit,
    /// The render would take more than [`RenderLimits::max_steps`] steps.
    StepLimit,
    /// The cancel flag was raised during the render.
    Cancelled,
    /// A `{% for %}` with several loop variables met an item of another length: Django raises
    /// `ValueError` here, not `TemplateSyntaxError`.
    Unpack,
}

/// Bounds on one render, so that no template can take unbounded memory or time: a template of
/// a few hundred bytes with nested loops can ask for terabytes of output.
#[derive(Debug, Clone, Copy)]
pub struct RenderLimits<'a> {
    /// Most bytes of output; the output buffer never grows past this.
    pub max_output: u64,
    /// Most steps (nodes rendered, loop iterations) of one render.
    pub max_steps: u64,
    /// Checked every few steps; once raised, the render ends with [`ErrorKind::Cancelled`].
    pub cancel: &'a AtomicBool,
}

/// A flag that is never raised, for renders that cannot be cancelled.
static NEVER: AtomicBool = AtomicBool::new(false);

/// Default step bound: ample for any real template (a few seconds of work at most), small
/// enough that a hostile one ends quickly.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

impl<'a> RenderLimits<'a> {
    /// At most `max_output` bytes of output and [`DEFAULT_MAX_STEPS`] steps; rendering stops when `cancel` is raised.
    pub fn new(max_output: u64, cancel: &'a AtomicBool) -> Self {
        RenderLimits {
            max_output,
            max_steps: DEFAULT_MAX_STEPS,
            cancel,
        }
    }
}

impl Default for RenderLimits<'static> {
    /// 256 MiB of output, the default step bound, never cancelled.
    fn default() -> Self {
        RenderLimits::new(256 << 20, &NEVER)
    }
}

/// The engine and context settings Django's tests vary. The default is `TemplateCommand`'s:
/// autoescape off, `string_if_invalid` empty, language `en-us`, Django's default settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `Context(autoescape=...)`.
    pub autoescape: bool,
    /// `Engine(string_if_invalid=...)`: what a missing variable prints (`%s` is its name).
    pub string_if_invalid: String,
    /// The active language (`translation.get_language()`), such as `en-us`, `de`, `pt-br`;
    /// None when translations are deactivated. It picks the locale's formats (numbers, dates)
    /// and its translations of the names and words that filters and dates print.
    pub language: Option<String>,
    /// The format settings (`DATE_FORMAT`, `NUMBER_GROUPING`, `USE_THOUSAND_SEPARATOR`, ...),
    /// used where the locale has no value of its own, as Django's `get_format` does.
    pub formats: FormatSettings,
    /// Translations of `_("...")` literals, (msgid, msgstr): the project's message catalogs in
    /// the active language. The engine bundles only the messages its filters print; other
    /// literals print as they are unless listed here.
    pub catalog: Vec<(String, String)>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            autoescape: false,
            string_if_invalid: String::new(),
            language: Some("en-us".into()),
            formats: FormatSettings::default(),
            catalog: Vec::new(),
        }
    }
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    /// The template text; text nodes are spans of it.
    source: String,
    nodes: Vec<Node>,
    /// The `{% cycle %}` tags; nodes refer to them by index, since `{% cycle name %}` is the
    /// named tag itself (it shares its position) in Django.
    cycles: Vec<CycleDef>,
}

#[derive(Debug, Clone)]
struct CycleDef {
    values: Vec<FilterExpr>,
    var: Option<String>,
    silent: bool,
}

/// A node of the template: 16 bytes, so that a large template of ordinary lines costs little
/// more than its own text. Text is a span of the source, a variable shares its parsed
/// expression with every other occurrence of the same text, and block tags live behind a box.
#[derive(Debug, Clone)]
enum Node {
    /// `source[start..start + len]`.
    Text {
        start: u32,
        len: u32,
    },
    /// One of [`STATIC_TEXT`] (`{% templatetag %}`, or nothing for a comment).
    Static(u8),
    /// A `{{ variable }}` and where its contents start in the source.
    Var(Arc<FilterExpr>, u32),
    /// `{% if %}`, the most common block tag, kept lean: conditions are shared by every
    /// occurrence of the same text.
    If(Box<IfNode>),
    Tag(Box<Tag>),
}

/// A branch of `{% if %}`: its condition (none for `else`) and its body.
type Branch = (Option<Arc<Condition>>, Box<[Node]>);

#[derive(Debug, Clone)]
struct IfNode {
    branches: Box<[Branch]>,
    line: usize,
}

/// The texts of `{% templatetag %}`, and "" for `{% comment %}`.
const STATIC_TEXT: [&str; 9] = ["", "{%", "%}", "{{", "}}", "{", "}", "{#", "#}"];

#[derive(Debug, Clone)]
enum Tag {
    For(Box<ForNode>),
    With {
        assignments: Vec<(String, FilterExpr)>,
        body: Vec<Node>,
        line: usize,
    },
    FirstOf {
        exprs: Vec<FilterExpr>,
        asvar: Option<String>,
        line: usize,
    },
    Cycle {
        id: usize,
        line: usize,
    },
    ResetCycle {
        id: usize,
    },
    IfChanged {
        id: usize,
        vars: Vec<FilterExpr>,
        body: Vec<Node>,
        otherwise: Vec<Node>,
        line: usize,
    },
    Spaceless {
        body: Vec<Node>,
        line: usize,
    },
    Filter {
        expr: FilterExpr,
        body: Vec<Node>,
        line: usize,
    },
    WidthRatio {
        value: FilterExpr,
        max: FilterExpr,
        width: FilterExpr,
        asvar: Option<String>,
        line: usize,
    },
    Now {
        format: String,
        asvar: Option<String>,
        line: usize,
    },
    Autoescape {
        on: bool,
        body: Vec<Node>,
        line: usize,
    },
    Lorem {
        count: FilterExpr,
        method: char,
        common: bool,
        line: usize,
    },
    Regroup {
        target: FilterExpr,
        /// `var_name.expression`, resolved with each item bound to `var_name`.
        expression: FilterExpr,
        var_name: String,
        line: usize,
    },
}

/// What one step of the parser gives: a node, nothing (a comment), or the tag ending the block.
enum Step<'a> {
    Node(Node),
    Nothing,
    End(Token<'a>),
}

/// What parsing a block tag gives: a plain node, or a tag to box.
enum Parsed {
    Node(Node),
    Tag(Tag),
}

#[derive(Debug, Clone)]
struct ForNode {
    vars: Vec<String>,
    sequence: FilterExpr,
    reversed: bool,
    body: Vec<Node>,
    empty: Vec<Node>,
    line: usize,
}

/// The context as Django's `Context` holds it: a stack of dicts, searched from the top, with
/// the builtins `True`, `False` and `None` at the bottom; and the render's own state.
pub(crate) struct Scope {
    layers: Vec<Vec<(String, Value)>>,
    autoescape: bool,
    string_if_invalid: String,
    /// Where each `{% cycle %}` is (`render_context[node]`).
    cycles: HashMap<usize, usize>,
    /// `{% ifchanged %}` state: one frame per running loop (its `forloop` dict), the first for
    /// outside any loop (`render_context`).
    changed: Vec<HashMap<usize, Value>>,
    max_size: u64,
    locale: locale::Locale,
}

impl Scope {
    fn new(context: &[(String, Value)], settings: &Settings, max_size: u64) -> Scope {
        let builtins = vec![
            ("True".to_owned(), Value::Bool(true)),
            ("False".to_owned(), Value::Bool(false)),
            ("None".to_owned(), Value::None),
        ];
        Scope {
            layers: vec![builtins, context.to_vec()],
            autoescape: settings.autoescape,
            string_if_invalid: settings.string_if_invalid.clone(),
            cycles: HashMap::new(),
            changed: vec![HashMap::new()],
            max_size,
            locale: locale::Locale::new(
                settings.language.as_deref(),
                &settings.formats,
                &settings.catalog,
            ),
        }
    }

    fn get_ref(&self, name: &str) -> Option<&Value> {
        self.layers
            .iter()
            .rev()
            .find_map(|layer| layer.iter().find(|(k, _)| k == name).map(|(_, v)| v))
    }

    pub(crate) fn get(&self, name: &str) -> Option<Value> {
        self.layers.iter().rev().find_map(|layer| {
            layer
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    pub(crate) fn string_if_invalid(&self) -> &str {
        &self.string_if_invalid
    }

    pub(crate) fn locale(&self) -> &locale::Locale {
        &self.locale
    }

    pub(crate) fn filter_context(&self) -> FilterContext<'_> {
        FilterContext {
            autoescape: self.autoescape,
            max_size: self.max_size,
            locale: &self.locale,
        }
    }

    /// `context[name] = value`: in the top dict.
    fn set(&mut self, name: &str, value: Value) {
        let Some(top) = self.layers.last_mut() else {
            return;
        };
        match top.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => top.push((name.to_owned(), value)),
        }
    }

    /// `context.set_upward(name, value)`: in the nearest dict that has it, else the top one.
    fn set_upward(&mut self, name: &str, value: Value) {
        for layer in self.layers.iter_mut().rev() {
            if let Some(slot) = layer.iter_mut().find(|(k, _)| k == name) {
                slot.1 = value;
                return;
            }
        }
        self.set(name, value);
    }
}

/// Every tag Django's built-in libraries register; the ones not handled here are refused by
/// name, with the reason.
const DJANGO_TAGS: &[&str] = &[
    "autoescape",
    "block",
    "csrf_token",
    "cycle",
    "debug",
    "extends",
    "filter",
    "firstof",
    "ifchanged",
    "include",
    "load",
    "lorem",
    "now",
    "partial",
    "partialdef",
    "querystring",
    "resetcycle",
    "spaceless",
    "url",
    "widthratio",
    "with",
];

/// Why a built-in tag is refused.
fn refused_tag(command: &str) -> &'static str {
    match command {
        "load" => "tag libraries need an installed app",
        "include" | "extends" | "block" => "templates load no other template here",
        "url" => "it needs a URLconf",
        "csrf_token" | "querystring" => "it needs a request",
        "debug" => "it prints Python's view of the context",
        _ => "it is not in Django 5.2",
    }
}

/// How deep block tags may nest. Parsing and rendering recurse once per level, so a hostile
/// template of thousands of nested tags would otherwise overflow the stack; Django, for its
/// part, stops at Python's recursion limit.
const MAX_NESTING: usize = 100;

/// When less stack than this is left at a nesting step, continue on a new segment of
/// `STACK_GROWTH` bytes.
const STACK_RED_ZONE: usize = 128 * 1024;
const STACK_GROWTH: usize = 2 * 1024 * 1024;

struct Parser<'a> {
    tokens: Lexer<'a>,
    /// Parsed `{{ }}` expressions by their text, shared by every occurrence.
    vars: HashMap<&'a str, Arc<FilterExpr>, foldhash::fast::RandomState>,
    /// Parsed `if`/`elif` conditions by the tag's text.
    conditions: HashMap<&'a str, Arc<Condition>, foldhash::fast::RandomState>,
    /// Open block tags, for the "Unclosed tag" message.
    stack: Vec<(&'a str, usize)>,
    /// The nodes of the blocks being parsed, innermost last: one buffer for all, from which
    /// each block takes its nodes in an allocation of their exact size.
    scratch: Vec<Node>,
    cycles: Vec<CycleDef>,
    named_cycles: HashMap<String, usize>,
    last_cycle: Option<usize>,
    /// Ids for `{% ifchanged %}` state.
    next_id: usize,
}

fn error(line: usize, message: impl Into<String>) -> TemplateError {
    TemplateError {
        line,
        message: message.into(),
        kind: ErrorKind::Template,
    }
}

/// How many steps pass between two looks at the cancel flag.
const CANCEL_CHECK_EVERY: u64 = 1024;

/// The output of a render, bounded by its limits, and the step counter.
struct Output<'a> {
    text: String,
    limits: &'a RenderLimits<'a>,
    steps: u64,
}

impl<'l> Output<'l> {
    /// An empty output for rendering `source`: most templates render to about their own size,
    /// so one allocation of that size (within the limit).
    fn new(source: &str, limits: &'l RenderLimits<'l>) -> Self {
        let guess = (source.len() as u64).min(limits.max_output) as usize;
        Output {
            text: String::with_capacity(guess),
            limits,
            steps: 0,
        }
    }

    fn push(&mut self, s: &str, line: usize) -> Result<(), TemplateError> {
        let wanted = self.text.len() as u64 + s.len() as u64;
        if wanted > self.limits.max_output {
            return Err(TemplateError {
                line,
                message: format!(
                    "rendered output passes the limit of {} bytes",
                    self.limits.max_output
                ),
                kind: ErrorKind::OutputLimit,
            });
        }
        if self.text.capacity() - self.text.len() < s.len() {
            self.text.try_reserve(s.len()).map_err(|_| TemplateError {
                line,
                message: format!("cannot allocate {wanted} bytes of rendered output"),
                kind: ErrorKind::OutputLimit,
            })?;
        }
        self.text.push_str(s);
        Ok(())
    }

    /// Counts one step of work; fails once there were too many or the render was cancelled.
    fn step(&mut self, line: usize) -> Result<(), TemplateError> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(TemplateError {
                line,
                message: format!(
                    "rendering takes more than {} steps (nested loops?)",
                    self.limits.max_steps
                ),
                kind: ErrorKind::StepLimit,
            });
        }
        if self.steps.is_multiple_of(CANCEL_CHECK_EVERY)
            && self.limits.cancel.load(AtomicOrdering::Relaxed)
        {
            return Err(TemplateError {
                line,
                message: "cancelled".into(),
                kind: ErrorKind::Cancelled,
            });
        }
        Ok(())
    }
}

/// `kwarg_re = r"(?:(\w+)=)?(.+)"`: the key of a `key=value` bit, if any, and the value.
fn kwarg(bit: &str) -> Option<(&str, &str)> {
    let eq = bit.find('=')?;
    let key = &bit[..eq];
    let value = &bit[eq + 1..];
    let word = !key.is_empty() && key.chars().all(|c| c.is_alphanumeric() || c == '_');
    (word && !value.is_empty()).then_some((key, value))
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self, TemplateError> {
        if u32::try_from(text.len()).is_err() {
            return Err(error(0, "templates larger than 4 GiB are not supported"));
        }
        Ok(Parser {
            tokens: Lexer::new(text),
            vars: HashMap::default(),
            conditions: HashMap::default(),
            stack: Vec::new(),
            scratch: Vec::new(),
            cycles: Vec::new(),
            named_cycles: HashMap::new(),
            last_cycle: None,
            next_id: 0,
        })
    }

    /// `Parser.parse(parse_until)`: the nodes up to a block tag whose first word is in `until`,
    /// and that tag.
    fn parse(&mut self, until: &[&str]) -> Result<(Vec<Node>, Option<Token<'a>>), TemplateError> {
        let mark = self.scratch.len();
        while let Some(token) = self.tokens.next() {
            match self.node(token, until)? {
                Step::Node(node) => self.scratch.push(node),
                Step::Nothing => {}
                Step::End(token) => return Ok((self.scratch.drain(mark..).collect(), Some(token))),
            }
        }
        if !until.is_empty() {
            let (command, line) = self.stack.last().cloned().unwrap_or_default();
            return Err(error(
                line,
                format!(
                    "Unclosed tag on line {line}: '{command}'. Looking for one of: {}.",
                    until.join(", ")
                ),
            ));
        }
        Ok((self.scratch.drain(mark..).collect(), None))
    }

    /// One step of `Parser.parse`: the node that starts with `token` (a block tag takes its
    /// body and end tag with it), or the end of the block when `token` is one of `until`.
    fn node(&mut self, token: Token<'a>, until: &[&str]) -> Result<Step<'a>, TemplateError> {
        Ok(Step::Node(match token.kind {
            TokenType::Text => Node::Text {
                start: token.start as u32,
                len: token.contents.len() as u32,
            },
            TokenType::Comment => return Ok(Step::Nothing),
            TokenType::Var => {
                if token.contents.is_empty() {
                    return Err(error(
                        token.line,
                        format!("Empty variable tag on line {}", token.line),
                    ));
                }
                let expr = match self.vars.get(token.contents) {
                    Some(expr) => Arc::clone(expr),
                    None => {
                        let expr = Arc::new(
                            FilterExpr::parse(token.contents).map_err(|m| error(token.line, m))?,
                        );
                        self.vars.insert(token.contents, Arc::clone(&expr));
                        expr
                    }
                };
                Node::Var(expr, token.start as u32)
            }
            TokenType::Block => {
                let Some(command) = token.contents.split_whitespace().next() else {
                    return Err(error(
                        token.line,
                        format!("Empty block tag on line {}", token.line),
                    ));
                };
                if until.contains(&command) {
                    return Ok(Step::End(token));
                }
                if self.stack.len() >= MAX_NESTING {
                    return Err(error(
                        token.line,
                        format!("block tags nested more than {MAX_NESTING} levels deep"),
                    ));
                }
                self.stack.push((command, token.line));
                let node = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
                    self.tag(command, &token, until)
                })?;
                self.stack.pop();
                match node {
                    Parsed::Node(node) => node,
                    Parsed::Tag(tag) => Node::Tag(Box::new(tag)),
                }
            }
        }))
    }

    /// Parses until one of `until` and returns the nodes and the closing token, which must exist.
    fn parse_block(&mut self, until: &[&str]) -> Result<(Vec<Node>, Token<'a>), TemplateError> {
        let (nodes, end) = self.parse(until)?;
        let end = end.ok_or_else(|| error(0, "internal: block without end"))?;
        Ok((nodes, end))
    }

    /// The condition of an `if` or `elif` tag, parsed once per distinct text.
    fn condition(&mut self, token: &Token<'a>) -> Result<Arc<Condition>, TemplateError> {
        if let Some(c) = self.conditions.get(token.contents) {
            return Ok(Arc::clone(c));
        }
        let fail = |m: String| error(token.line, m);
        let bits = split_contents(token.contents).map_err(fail)?;
        let condition = Arc::new(Condition::parse(&bits[1..]).map_err(fail)?);
        self.conditions
            .insert(token.contents, Arc::clone(&condition));
        Ok(condition)
    }

    fn id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    fn tag(
        &mut self,
        command: &str,
        token: &Token<'a>,
        until: &[&str],
    ) -> Result<Parsed, TemplateError> {
        let line = token.line;
        let fail = |m: String| error(line, m);
        let compile = |bit: &str| FilterExpr::parse(bit).map_err(|m| error(line, m));
        match command {
            "if" => {
                // Most are `if ... else ... endif`.
                let mut branches = Vec::with_capacity(2);
                let mut condition = self.condition(token)?;
                loop {
                    let (nodes, end) = self.parse_block(&["elif", "else", "endif"])?;
                    branches.push((Some(condition), nodes.into_boxed_slice()));
                    if end.contents.starts_with("elif") {
                        condition = self.condition(&end)?;
                        continue;
                    }
                    let mut end = end;
                    if end.contents == "else" {
                        let (nodes, close) = self.parse_block(&["endif"])?;
                        branches.push((None, nodes.into_boxed_slice()));
                        end = close;
                    }
                    if end.contents != "endif" {
                        return Err(error(
                            end.line,
                            format!("Malformed template tag at line {}: \"{}\"", end.line, end.contents),
                        ));
                    }
                    return Ok(Parsed::Node(Node::If(Box::new(IfNode {
                        branches: branches.into_boxed_slice(),
                        line,
                    }))));
                }
            }
            "for" => self.for_tag(token),
            "comment" => {
                for next in self.tokens.by_ref() {
                    if next.kind == TokenType::Block && next.contents == "endcomment" {
                        return Ok(Parsed::Node(Node::Static(0)));
                    }
                }
                Err(fail(format!("Unclosed tag on line {line}: 'comment'. Looking for one of: endcomment.")))
            }
            "templatetag" => {
                let bits: Vec<&str> = token.contents.split_whitespace().collect();
                if bits.len() != 2 {
                    return Err(fail("'templatetag' statement takes one argument".into()));
                }
                let text = match bits[1] {
                    "openblock" => 1,
                    "closeblock" => 2,
                    "openvariable" => 3,
                    "closevariable" => 4,
                    "openbrace" => 5,
                    "closebrace" => 6,
                    "opencomment" => 7,
                    "closecomment" => 8,
                    other => {
                        return Err(fail(format!(
                            "Invalid templatetag argument: '{other}'. Must be one of: openblock, closeblock, \
                             openvariable, closevariable, openbrace, closebrace, opencomment, closecomment"
                        )))
                    }
                };
                Ok(Parsed::Node(Node::Static(text)))
            }
            "verbatim" => {
                // Inside verbatim every token is text, and the texts are contiguous.
                let (nodes, _) = self.parse_block(&["endverbatim"])?;
                let span = |n: &Node| match n {
                    Node::Text { start, len } => Some((*start, *start + *len)),
                    _ => None,
                };
                let first = nodes.first().and_then(span);
                let last = nodes.last().and_then(span);
                Ok(Parsed::Node(match (first, last) {
                    (Some((start, _)), Some((_, end))) => Node::Text {
                        start,
                        len: end - start,
                    },
                    _ => Node::Static(0),
                }))
            }
            "with" => {
                let bits = split_contents(token.contents).map_err(fail)?;
                let mut rest: Vec<String> = bits[1..].to_vec();
                let assignments = self.token_kwargs(&mut rest, line)?;
                if assignments.is_empty() {
                    return Err(fail("'with' expected at least one variable assignment".into()));
                }
                if let Some(bit) = rest.first() {
                    return Err(fail(format!("'with' received an invalid token: '{bit}'")));
                }
                let (body, _) = self.parse_block(&["endwith"])?;
                Ok(Parsed::Tag(Tag::With {
                    assignments,
                    body,
                    line,
                }))
            }
            "firstof" => {
                let mut bits = split_contents(token.contents).map_err(fail)?;
                bits.remove(0);
                if bits.is_empty() {
                    return Err(fail("'firstof' statement requires at least one argument".into()));
                }
                let mut asvar = None;
                if bits.len() >= 2 && bits[bits.len() - 2] == "as" {
                    asvar = bits.pop();
                    bits.pop();
                }
                let exprs = bits.iter().map(|b| compile(b)).collect::<Result<_, _>>()?;
                Ok(Parsed::Tag(Tag::FirstOf { exprs, asvar, line }))
            }
            "cycle" => self.cycle_tag(token),
            "resetcycle" => {
                let bits = split_contents(token.contents).map_err(fail)?;
                if bits.len() > 2 {
                    return Err(fail("'resetcycle' tag accepts at most one argument.".into()));
                }
                let id = if bits.len() == 2 {
                    *self.named_cycles.get(&bits[1]).ok_or_else(|| {
                        fail(format!("Named cycle '{}' does not exist.", bits[1]))
                    })?
                } else {
                    self.last_cycle
                        .ok_or_else(|| fail("No cycles in template.".into()))?
                };
                Ok(Parsed::Tag(Tag::ResetCycle { id }))
            }
            "ifchanged" => {
                let bits = split_contents(token.contents).map_err(fail)?;
                let (body, end) = self.parse_block(&["else", "endifchanged"])?;
                let otherwise = if end.contents == "else" {
                    self.parse_block(&["endifchanged"])?.0
                } else {
                    Vec::new()
                };
                let vars = bits[1..].iter().map(|b| compile(b)).collect::<Result<_, _>>()?;
                Ok(Parsed::Tag(Tag::IfChanged {
                    id: self.id(),
                    vars,
                    body,
                    otherwise,
                    line,
                }))
            }
            "spaceless" => {
                let (body, _) = self.parse_block(&["endspaceless"])?;
                Ok(Parsed::Tag(Tag::Spaceless { body, line }))
            }
            "filter" => {
                let rest = token
                    .contents
                    .split_once(char::is_whitespace)
                    .map(|(_, r)| r.trim_start())
                    .ok_or_else(|| fail("'filter' tag requires a filter".into()))?;
                let expr = compile(&format!("var|{rest}"))?;
                for (name, _) in &expr.filters {
                    if name == "escape" || name == "safe" {
                        return Err(fail(format!(
                            "\"filter {name}\" is not permitted.  Use the \"autoescape\" tag instead."
                        )));
                    }
                }
                let (body, _) = self.parse_block(&["endfilter"])?;
                Ok(Parsed::Tag(Tag::Filter { expr, body, line }))
            }
            "widthratio" => {
                let bits = split_contents(token.contents).map_err(fail)?;
                let asvar = match bits.len() {
                    4 => None,
                    6 if bits[4] == "as" => Some(bits[5].clone()),
                    6 => {
                        return Err(fail(
                            "Invalid syntax in widthratio tag. Expecting 'as' keyword".into(),
                        ))
                    }
                    _ => return Err(fail("widthratio takes at least three arguments".into())),
                };
                Ok(Parsed::Tag(Tag::WidthRatio {
                    value: compile(&bits[1])?,
                    max: compile(&bits[2])?,
                    width: compile(&bits[3])?,
                    asvar,
                    line,
                }))
            }
            "now" => {
                let mut bits = split_contents(token.contents).map_err(fail)?;
                let mut asvar = None;
                if bits.len() == 4 && bits[2] == "as" {
                    asvar = bits.pop();
                    bits.pop();
                }
                if bits.len() != 2 {
                    return Err(fail("'now' statement takes one argument".into()));
                }
                // format_string = bits[1][1:-1], quotes or not.
                let chars: Vec<char> = bits[1].chars().collect();
                let format: String = if chars.len() >= 2 {
                    chars[1..chars.len() - 1].iter().collect()
                } else {
                    String::new()
                };
                Ok(Parsed::Tag(Tag::Now {
                    format,
                    asvar,
                    line,
                }))
            }
            "autoescape" => {
                let args: Vec<&str> = token.contents.split_whitespace().collect();
                if args.len() != 2 {
                    return Err(fail("'autoescape' tag requires exactly one argument.".into()));
                }
                let on = match args[1] {
                    "on" => true,
                    "off" => false,
                    _ => return Err(fail("'autoescape' argument should be 'on' or 'off'".into())),
                };
                let (body, _) = self.parse_block(&["endautoescape"])?;
                Ok(Parsed::Tag(Tag::Autoescape { on, body, line }))
            }
            "lorem" => {
                let mut bits = split_contents(token.contents).map_err(fail)?;
                let common = bits.last().is_some_and(|b| b != "random");
                if !common {
                    bits.pop();
                }
                let method = match bits.last().map(String::as_str) {
                    Some("w") => 'w',
                    Some("p") => 'p',
                    Some("b") => 'b',
                    _ => ' ',
                };
                let method = if method == ' ' {
                    'b'
                } else {
                    bits.pop();
                    method
                };
                let count = if bits.len() > 1 {
                    bits.pop().unwrap_or_default()
                } else {
                    "1".to_owned()
                };
                if bits.len() != 1 {
                    return Err(fail("Incorrect format for 'lorem' tag".into()));
                }
                Ok(Parsed::Tag(Tag::Lorem {
                    count: compile(&count)?,
                    method,
                    common,
                    line,
                }))
            }
            "regroup" => {
                let bits = split_contents(token.contents).map_err(fail)?;
                if bits.len() != 6 {
                    return Err(fail("'regroup' tag takes five arguments".into()));
                }
                if bits[2] != "by" {
                    return Err(fail("second argument to 'regroup' tag must be 'by'".into()));
                }
                if bits[4] != "as" {
                    return Err(fail(
                        "next-to-last argument to 'regroup' tag must be 'as'".into(),
                    ));
                }
                Ok(Parsed::Tag(Tag::Regroup {
                    target: compile(&bits[1])?,
                    expression: compile(&format!("{}.{}", bits[5], bits[3]))?,
                    var_name: bits[5].clone(),
                    line,
                }))
            }
            _ if DJANGO_TAGS.contains(&command) => Err(fail(format!(
                "the tag {{% {command} %}} is not supported by scaffold: {}",
                refused_tag(command)
            ))),
            _ if until.is_empty() => Err(fail(format!(
                "Invalid block tag on line {line}: '{command}'. Did you forget to register or load this tag?"
            ))),
            _ => {
                let expected: Vec<String> = until.iter().map(|u| format!("'{u}'")).collect();
                Err(fail(format!(
                    "Invalid block tag on line {line}: '{command}', expected {}. Did you forget to register or load this tag?",
                    expected.join(" or ")
                )))
            }
        }
    }

    /// Django's `token_kwargs(bits, parser, support_legacy=True)`: consumes the assignments at
    /// the start of `bits` (`a=b c=d`, or the legacy `b as a and d as c`).
    fn token_kwargs(
        &mut self,
        bits: &mut Vec<String>,
        line: usize,
    ) -> Result<Vec<(String, FilterExpr)>, TemplateError> {
        let mut out = Vec::new();
        let Some(first) = bits.first() else {
            return Ok(out);
        };
        let kwarg_format = kwarg(first).is_some();
        if !kwarg_format && (bits.len() < 3 || bits[1] != "as") {
            return Ok(out);
        }
        while !bits.is_empty() {
            let (key, value) = if kwarg_format {
                let Some((k, v)) = kwarg(&bits[0]) else {
                    return Ok(out);
                };
                let pair = (k.to_owned(), v.to_owned());
                bits.remove(0);
                pair
            } else {
                if bits.len() < 3 || bits[1] != "as" {
                    return Ok(out);
                }
                let pair = (bits[2].clone(), bits[0].clone());
                bits.drain(..3);
                pair
            };
            let expr = FilterExpr::parse(&value).map_err(|m| error(line, m))?;
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = expr,
                None => out.push((key, expr)),
            }
            if !bits.is_empty() && !kwarg_format {
                if bits[0] != "and" {
                    return Ok(out);
                }
                bits.remove(0);
            }
        }
        Ok(out)
    }

    fn cycle_tag(&mut self, token: &Token<'a>) -> Result<Parsed, TemplateError> {
        let line = token.line;
        let fail = |m: String| error(line, m);
        let mut args = split_contents(token.contents).map_err(fail)?;
        if args.len() < 2 {
            return Err(fail("'cycle' tag requires at least two arguments".into()));
        }
        if args.len() == 2 {
            let name = &args[1];
            if self.named_cycles.is_empty() {
                return Err(fail(format!(
                    "No named cycles in template. '{name}' is not defined"
                )));
            }
            let id = *self
                .named_cycles
                .get(name)
                .ok_or_else(|| fail(format!("Named cycle '{name}' does not exist")))?;
            return Ok(Parsed::Tag(Tag::Cycle { id, line }));
        }
        let mut as_form = false;
        let mut silent = false;
        let n = args.len();
        if n > 4 {
            if args[n - 3] == "as" {
                if args[n - 1] != "silent" {
                    return Err(fail(format!(
                        "Only 'silent' flag is allowed after cycle's name, not '{}'.",
                        args[n - 1]
                    )));
                }
                as_form = true;
                silent = true;
                args.pop();
            } else if args[n - 2] == "as" {
                as_form = true;
            }
        }
        let compile = |bit: &String| FilterExpr::parse(bit).map_err(|m| error(line, m));
        let id = self.cycles.len();
        if as_form {
            let n = args.len();
            let name = args[n - 1].clone();
            let values = args[1..n - 2]
                .iter()
                .map(compile)
                .collect::<Result<_, _>>()?;
            self.cycles.push(CycleDef {
                values,
                var: Some(name.clone()),
                silent,
            });
            self.named_cycles.insert(name, id);
        } else {
            let values = args[1..].iter().map(compile).collect::<Result<_, _>>()?;
            self.cycles.push(CycleDef {
                values,
                var: None,
                silent: false,
            });
        }
        self.last_cycle = Some(id);
        Ok(Parsed::Tag(Tag::Cycle { id, line }))
    }

    fn for_tag(&mut self, token: &Token<'a>) -> Result<Parsed, TemplateError> {
        let line = token.line;
        let fail = |m: String| error(line, m);
        let bits = split_contents(token.contents).map_err(fail)?;
        if bits.len() < 4 {
            return Err(fail(format!(
                "'for' statements should have at least four words: {}",
                token.contents
            )));
        }
        let reversed = bits[bits.len() - 1] == "reversed";
        let in_index = if reversed {
            bits.len() - 3
        } else {
            bits.len() - 2
        };
        if bits[in_index] != "in" {
            return Err(fail(format!(
                "'for' statements should use the format 'for x in y': {}",
                token.contents
            )));
        }
        let joined = bits[1..in_index].join(" ");
        let mut vars = Vec::new();
        for var in joined.split(',') {
            let var = var.trim_matches(' ');
            if var.is_empty() || var.contains([' ', '"', '\'', '|']) {
                return Err(fail(format!(
                    "'for' tag received an invalid argument: {}",
                    token.contents
                )));
            }
            vars.push(var.to_owned());
        }
        let sequence = FilterExpr::parse(&bits[in_index + 1]).map_err(fail)?;
        let (body, end) = self.parse_block(&["empty", "endfor"])?;
        let empty = if end.contents == "empty" {
            self.parse_block(&["endfor"])?.0
        } else {
            Vec::new()
        };
        Ok(Parsed::Tag(Tag::For(Box::new(ForNode {
            vars,
            sequence,
            reversed,
            body,
            empty,
            line,
        }))))
    }
}

impl Template {
    /// Parses `text`, which must already have universal newlines (`\n` only).
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        Template::parse_owned(text.to_owned())
    }

    /// Parses `text` and keeps it (text nodes are spans of it), without a copy.
    pub fn parse_owned(text: String) -> Result<Template, TemplateError> {
        let (mut nodes, cycles) = {
            let mut parser = Parser::new(&text)?;
            let mut nodes = Vec::new();
            while let Some(token) = parser.tokens.next() {
                if let Step::Node(node) = parser.node(token, &[])? {
                    nodes.push(node);
                }
            }
            (nodes, parser.cycles)
        };
        nodes.shrink_to_fit();
        Ok(Template {
            source: text,
            nodes,
            cycles,
        })
    }

    /// Renders with `context` (Django's context dict, autoescape off) and the default limits.
    pub fn render(&self, context: &[(String, Value)]) -> Result<String, TemplateError> {
        self.render_with(context, &RenderLimits::default())
    }

    /// Renders with `context` within `limits`, with `TemplateCommand`'s settings.
    pub fn render_with(
        &self,
        context: &[(String, Value)],
        limits: &RenderLimits,
    ) -> Result<String, TemplateError> {
        self.render_in(context, &Settings::default(), limits)
    }

    /// Renders with `context` and `settings` within `limits`.
    pub fn render_in(
        &self,
        context: &[(String, Value)],
        settings: &Settings,
        limits: &RenderLimits,
    ) -> Result<String, TemplateError> {
        let mut scope = Scope::new(context, settings, limits.max_output);
        let mut out = Output::new(&self.source, limits);
        let program = Program {
            source: &self.source,
            cycles: &self.cycles,
        };
        program.render_nodes(&self.nodes, &mut scope, &mut out)?;
        Ok(out.text)
    }

    /// Parses and renders `text` in one pass, for a template rendered once, with
    /// `TemplateCommand`'s settings: as `Template::parse(text)?.render_with(context, limits)`,
    /// but each top-level node is rendered as soon as it is parsed and then dropped, so that
    /// memory holds the text and the output, never a tree of the whole template. The errors
    /// are the same: a syntax error anywhere comes before any render error.
    pub fn render_once(
        text: &str,
        context: &[(String, Value)],
        limits: &RenderLimits,
    ) -> Result<String, TemplateError> {
        let mut parser = Parser::new(text)?;
        let mut scope = Scope::new(context, &Settings::default(), limits.max_output);
        let mut out = Output::new(text, limits);
        let mut failed = None;
        while let Some(token) = parser.tokens.next() {
            let Step::Node(node) = parser.node(token, &[])? else {
                continue;
            };
            if failed.is_some() {
                continue;
            }
            let program = Program {
                source: text,
                cycles: &parser.cycles,
            };
            if let Err(e) = program.render_node(&node, &mut scope, &mut out) {
                if e.kind == ErrorKind::Cancelled {
                    return Err(e);
                }
                // The rest is only parsed, for a syntax error that would come first.
                out.text = String::new();
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(out.text),
        }
    }
}

fn failure(line: usize, failure: Failure, what: &str) -> TemplateError {
    match failure {
        Failure::Missing => error(
            line,
            format!("an undefined variable used as a filter argument in {what}"),
        ),
        Failure::Python(m) => error(line, format!("{what}: {m}")),
        Failure::Unsupported(m) => error(line, format!("{what}: {m} is not supported by scaffold")),
    }
}

/// What `render_value_in_context` prints for a value: numbers localized (`formats.localize`).
fn display(value: &Value, scope: &Scope) -> Result<String, Failure> {
    let autoescape = scope.autoescape;
    let text = match value {
        Value::Float(f) => {
            let text = float_repr(*f);
            if text.contains(['e', 'n']) {
                return Err(Failure::Unsupported(format!("printing the number {text}")));
            }
            scope.locale.number_format(&text, None, true, false)
        }
        Value::Int(i) => scope
            .locale
            .number_format(&i.to_string(), None, true, false),
        Value::Safe(s) => return Ok(s.clone()),
        other => other.to_python_str(),
    };
    Ok(if autoescape {
        filters::escape(&text)
    } else {
        text
    })
}

/// The first paragraph and the common words of `django.utils.lorem_ipsum`.
const COMMON_P: &str = "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.";
const COMMON_WORDS: [&str; 19] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipisicing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
];

/// `{% lorem %}`'s text, as `LoremNode.render` makes it with `django.utils.lorem_ipsum`:
/// random words and paragraphs from the OS random source. Stops adding text once it passes
/// `max_size` (the output limit then ends the render).
fn lorem(count: i64, method: char, common: bool, max_size: u64) -> Result<String, Failure> {
    let mut rng = osrandom::OsRandom::new();
    let max = usize::try_from(max_size).unwrap_or(usize::MAX);
    if method == 'w' {
        // words(count, common)
        let mut words: Vec<&str> = if common {
            COMMON_WORDS.to_vec()
        } else {
            Vec::new()
        };
        let c = words.len() as i64;
        let mut size: usize = words.iter().map(|w| w.len() + 1).sum();
        if count > c {
            let mut count = count - c;
            while count > 0 && size <= max {
                let take = count.min(osrandom::WORDS.len() as i64);
                count -= take;
                for i in rng.sample(osrandom::WORDS.len(), take as usize)? {
                    words.push(osrandom::WORDS[i]);
                    size += osrandom::WORDS[i].len() + 1;
                }
            }
        } else {
            // word_list[:count], a negative count counting from the end.
            let keep = if count >= 0 {
                count.min(c)
            } else {
                (c + count).max(0)
            };
            words.truncate(keep as usize);
        }
        return Ok(words.join(" "));
    }
    // paragraphs(count, common)
    let mut paras = Vec::new();
    let mut size = 0;
    for i in 0..count.max(0) {
        if size > max {
            break;
        }
        let p = if common && i == 0 {
            COMMON_P.to_owned()
        } else {
            osrandom::paragraph(&mut rng)?
        };
        let p = if method == 'p' {
            format!("<p>{p}</p>")
        } else {
            p
        };
        size += p.len() + 2;
        paras.push(p);
    }
    Ok(paras.join("\n\n"))
}

/// Python's `round(x)` as text: half to even, exact digits.
fn python_round(x: f64) -> String {
    // An int has no negative zero.
    let r = x.round_ties_even() + 0.0;
    format!("{r:.0}")
}

/// What rendering reads besides the nodes: the source their text spans point into, and the
/// `{% cycle %}` tags. A parsed [`Template`] holds both; [`Template::render_once`] has them
/// while it parses.
struct Program<'t> {
    source: &'t str,
    cycles: &'t [CycleDef],
}

impl Program<'_> {
    /// The 1-based line of byte `offset` of the source.
    fn line_at(&self, offset: u32) -> usize {
        let end = (offset as usize).min(self.source.len());
        1 + self.source.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
    }

    /// Renders `nodes` into a buffer of their own (for tags that post-process their body).
    fn capture(
        &self,
        nodes: &[Node],
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<String, TemplateError> {
        // The body counts against what is left of the limit.
        let inner_limits = RenderLimits {
            max_output: out.limits.max_output.saturating_sub(out.text.len() as u64),
            ..*out.limits
        };
        let mut inner = Output {
            text: String::new(),
            limits: &inner_limits,
            steps: out.steps,
        };
        let result = self.render_nodes(nodes, scope, &mut inner);
        out.steps = inner.steps;
        result.map(|()| inner.text)
    }

    fn render_nodes(
        &self,
        nodes: &[Node],
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        stacker::maybe_grow(STACK_RED_ZONE, STACK_GROWTH, || {
            for node in nodes {
                self.render_node(node, scope, out)?;
            }
            Ok(())
        })
    }

    fn render_node(
        &self,
        node: &Node,
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        match node {
            Node::Text { start, len } => {
                let text = &self.source[*start as usize..(*start + *len) as usize];
                if let Err(mut e) = out.step(0).and_then(|()| out.push(text, 0)) {
                    e.line = self.line_at(*start);
                    return Err(e);
                }
            }
            Node::Static(i) => {
                let text = STATIC_TEXT.get(*i as usize).copied().unwrap_or_default();
                out.push(text, 0)?;
            }
            Node::Var(expr, at) => {
                let result = out.step(0).and_then(|()| self.render_var(expr, scope, out));
                if let Err(mut e) = result {
                    e.line = self.line_at(*at);
                    return Err(e);
                }
            }
            Node::If(node) => {
                let IfNode { branches, line } = &**node;
                out.step(*line)?;
                for (condition, body) in branches.iter() {
                    let matched = match condition {
                        None => true,
                        Some(c) => match c.truthy(scope) {
                            Ok(truthy) => truthy,
                            Err(Failure::Missing) => false,
                            Err(f) => return Err(failure(*line, f, "an if condition")),
                        },
                    };
                    if matched {
                        self.render_nodes(body, scope, out)?;
                        break;
                    }
                }
            }
            Node::Tag(tag) => self.render_tag(tag, scope, out)?,
        }
        Ok(())
    }

    /// `{{ expr }}`; errors carry no line (the caller knows it).
    fn render_var(
        &self,
        expr: &FilterExpr,
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        // The common case, a plain name holding a string, without copying the value.
        if let Some(value) = expr.plain_name().and_then(|name| scope.get_ref(name)) {
            match value {
                Value::Safe(s) => return out.push(s, 0),
                Value::Str(s) if !scope.autoescape => return out.push(s, 0),
                _ => {}
            }
        }
        let value = expr
            .resolve(scope, false)
            .map_err(|f| failure(0, f, "a variable"))?;
        // As `display` prints them, without a copy.
        match &value {
            Value::Safe(s) => return out.push(s, 0),
            Value::Str(s) if !scope.autoescape => return out.push(s, 0),
            _ => {}
        }
        let text = display(&value, scope).map_err(|f| failure(0, f, "a variable"))?;
        out.push(&text, 0)
    }

    fn render_tag(
        &self,
        tag: &Tag,
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        match tag {
            Tag::For(node) => {
                out.step(node.line)?;
                self.render_for(node, scope, out)?;
            }
            Tag::With {
                assignments,
                body,
                line,
            } => {
                out.step(*line)?;
                let mut layer = Vec::with_capacity(assignments.len());
                for (name, expr) in assignments {
                    let value = expr
                        .resolve(scope, false)
                        .map_err(|f| failure(*line, f, "{% with %}"))?;
                    layer.push((name.clone(), value));
                }
                scope.layers.push(layer);
                let result = self.render_nodes(body, scope, out);
                scope.layers.pop();
                result?;
            }
            Tag::FirstOf { exprs, asvar, line } => {
                out.step(*line)?;
                let mut first = String::new();
                for expr in exprs {
                    let value = match expr.resolve(scope, true) {
                        Ok(v) => v,
                        Err(f) => return Err(failure(*line, f, "{% firstof %}")),
                    };
                    if value.truthy() {
                        first = display(&value, scope)
                            .map_err(|f| failure(*line, f, "{% firstof %}"))?;
                        break;
                    }
                }
                match asvar {
                    Some(name) => scope.set(name, Value::Safe(first)),
                    None => out.push(&first, *line)?,
                }
            }
            Tag::Cycle { id, line } => {
                out.step(*line)?;
                let Some(def) = self.cycles.get(*id) else {
                    return Ok(());
                };
                let position = scope.cycles.entry(*id).or_insert(0);
                let index = *position % def.values.len().max(1);
                *position = index + 1;
                let Some(expr) = def.values.get(index) else {
                    return Ok(());
                };
                let value = expr
                    .resolve(scope, false)
                    .map_err(|f| failure(*line, f, "{% cycle %}"))?;
                if let Some(name) = &def.var {
                    scope.set_upward(name, value.clone());
                }
                if !def.silent {
                    let text =
                        display(&value, scope).map_err(|f| failure(*line, f, "{% cycle %}"))?;
                    out.push(&text, *line)?;
                }
            }
            Tag::ResetCycle { id } => {
                scope.cycles.insert(*id, 0);
            }
            Tag::IfChanged {
                id,
                vars,
                body,
                otherwise,
                line,
            } => {
                out.step(*line)?;
                let mut rendered = None;
                let compare = if vars.is_empty() {
                    let text = self.capture(body, scope, out)?;
                    rendered = Some(text.clone());
                    Value::Str(text)
                } else {
                    let mut values = Vec::new();
                    for v in vars {
                        values.push(
                            v.resolve(scope, true)
                                .map_err(|f| failure(*line, f, "{% ifchanged %}"))?,
                        );
                    }
                    Value::List(values)
                };
                let frame = scope.changed.last_mut();
                let changed = frame
                    .as_ref()
                    .is_none_or(|f| f.get(id).is_none_or(|old| !old.py_eq(&compare)));
                if changed {
                    if let Some(frame) = frame {
                        frame.insert(*id, compare);
                    }
                    match rendered {
                        Some(text) => out.push(&text, *line)?,
                        None => self.render_nodes(body, scope, out)?,
                    }
                } else {
                    self.render_nodes(otherwise, scope, out)?;
                }
            }
            Tag::Spaceless { body, line } => {
                out.step(*line)?;
                let text = self.capture(body, scope, out)?;
                out.push(&strip_spaces_between_tags(python_strip(&text)), *line)?;
            }
            Tag::Filter { expr, body, line } => {
                out.step(*line)?;
                let text = self.capture(body, scope, out)?;
                scope
                    .layers
                    .push(vec![("var".to_owned(), Value::Safe(text))]);
                let result = expr.resolve(scope, false);
                scope.layers.pop();
                let value = result.map_err(|f| failure(*line, f, "{% filter %}"))?;
                // NodeList.render joins the nodes' outputs, which must be strings.
                let Some(text) = value.as_str() else {
                    return Err(error(
                        *line,
                        format!(
                            "{{% filter %}}: TypeError: sequence item: expected str instance, {} found",
                            value.type_name()
                        ),
                    ));
                };
                out.push(text, *line)?;
            }
            Tag::WidthRatio {
                value,
                max,
                width,
                asvar,
                line,
            } => {
                out.step(*line)?;
                let result = self.width_ratio(value, max, width, scope, *line)?;
                match asvar {
                    Some(name) => scope.set(name, Value::Str(result)),
                    None => out.push(&result, *line)?,
                }
            }
            Tag::Now {
                format,
                asvar,
                line,
            } => {
                out.step(*line)?;
                let now = date::now().ok_or_else(|| {
                    error(*line, "{% now %}: the time zone America/Chicago is unknown")
                })?;
                let format = if format.is_empty() {
                    "DATE_FORMAT"
                } else {
                    format
                };
                let text = date::format(&now, scope.locale.date_format(format), &scope.locale);
                match asvar {
                    Some(name) => scope.set(name, Value::Str(text)),
                    None => out.push(&text, *line)?,
                }
            }
            Tag::Autoescape { on, body, line } => {
                out.step(*line)?;
                let old = scope.autoescape;
                scope.autoescape = *on;
                let result = self.render_nodes(body, scope, out);
                scope.autoescape = old;
                result?;
            }
            Tag::Lorem {
                count,
                method,
                common,
                line,
            } => {
                out.step(*line)?;
                let n = count
                    .resolve(scope, false)
                    .ok()
                    .and_then(|v| filters::py_int(&v).ok())
                    .unwrap_or(1);
                let text = lorem(n, *method, *common, scope.max_size)
                    .map_err(|f| failure(*line, f, "{% lorem %}"))?;
                out.push(&text, *line)?;
            }
            Tag::Regroup {
                target,
                expression,
                var_name,
                line,
            } => {
                out.step(*line)?;
                self.regroup(target, expression, var_name, *line, scope, out)?;
            }
        }
        Ok(())
    }

    /// `RegroupNode.render`: `itertools.groupby` over the target, keyed by the expression
    /// resolved with each item bound to `var_name`; the groups replace it in the context.
    fn regroup(
        &self,
        target: &FilterExpr,
        expression: &FilterExpr,
        var_name: &str,
        line: usize,
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        let fail = |f| failure(line, f, "{% regroup %}");
        let obj_list = match target.resolve(scope, true) {
            Ok(v) => v,
            Err(Failure::Missing) => Value::None,
            Err(f) => return Err(fail(f)),
        };
        if obj_list == Value::None {
            scope.set(var_name, Value::List(Vec::new()));
            return Ok(());
        }
        let items = obj_list.iterate().map_err(fail)?;
        let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
        for item in items {
            out.step(line)?;
            scope.set(var_name, item.clone());
            let key = match expression.resolve(scope, true) {
                Ok(v) => v,
                Err(Failure::Missing) => Value::None,
                Err(f) => return Err(fail(f)),
            };
            match groups.last_mut() {
                Some((last, members)) if last.py_eq(&key) => members.push(item),
                _ => groups.push((key, vec![item])),
            }
        }
        let grouped = groups
            .into_iter()
            .map(|(key, members)| Value::Grouped(Box::new((key, Value::List(members)))))
            .collect();
        scope.set(var_name, Value::List(grouped));
        Ok(())
    }

    fn width_ratio(
        &self,
        value: &FilterExpr,
        max: &FilterExpr,
        width: &FilterExpr,
        scope: &Scope,
        line: usize,
    ) -> Result<String, TemplateError> {
        let fail = |f| failure(line, f, "{% widthratio %}");
        let value = value.resolve(scope, false);
        let max = max.resolve(scope, false);
        let width = width.resolve(scope, false);
        let (value, max, width) = match (value, max, width) {
            (Ok(v), Ok(m), Ok(w)) => (v, m, w),
            (Err(Failure::Missing), ..)
            | (_, Err(Failure::Missing), _)
            | (.., Err(Failure::Missing)) => return Ok(String::new()),
            (Err(f), ..) | (_, Err(f), _) | (.., Err(f)) => return Err(fail(f)),
        };
        let width = match filters::py_int(&width) {
            Ok(w) => w,
            Err(Failure::Python(_)) => {
                return Err(error(line, "widthratio final argument must be a number"))
            }
            Err(f) => return Err(fail(f)),
        };
        let (Ok(v), Ok(m)) = (filters::py_float(&value), filters::py_float(&max)) else {
            return Ok(String::new());
        };
        if m == 0.0 {
            return Ok("0".into());
        }
        let ratio = (v / m) * width as f64;
        if !ratio.is_finite() {
            return Ok(String::new());
        }
        Ok(python_round(ratio))
    }

    fn render_for(
        &self,
        node: &ForNode,
        scope: &mut Scope,
        out: &mut Output,
    ) -> Result<(), TemplateError> {
        let fail = |f| failure(node.line, f, "a for loop");
        let parentloop = scope.get("forloop").unwrap_or(Value::Map(Vec::new()));
        scope.layers.push(Vec::new());
        let values = match node.sequence.resolve(scope, true) {
            Ok(v) => v,
            Err(Failure::Missing) => Value::None,
            Err(f) => {
                scope.layers.pop();
                return Err(fail(f));
            }
        };
        // Looping over a string makes a value per character: bounded like the output.
        if let Some(text) = values.as_str() {
            if text.len() as u64 * filters::VALUE_COST > scope.max_size {
                scope.layers.pop();
                return Err(error(
                    node.line,
                    format!(
                        "a for loop over a string of {} bytes (more than the output limit allows)",
                        text.len()
                    ),
                ));
            }
        }
        let mut items = match values.iterate() {
            Ok(items) => items,
            Err(f) => {
                scope.layers.pop();
                return Err(fail(f));
            }
        };
        if node.reversed {
            items.reverse();
        }
        scope.changed.push(HashMap::new());
        let result = (|| {
            if items.is_empty() {
                return self.render_nodes(&node.empty, scope, out);
            }
            let n = items.len() as i64;
            for (i, item) in items.into_iter().enumerate() {
                out.step(node.line)?;
                let i = i as i64;
                let counters = [
                    Value::Int(i),
                    Value::Int(i + 1),
                    Value::Int(n - i),
                    Value::Int(n - i - 1),
                    Value::Bool(i == 0),
                    Value::Bool(i == n - 1),
                ];
                // Django updates one loop_dict in place; so do we, instead of building (and
                // copying the parent loops into) a new dict on every iteration.
                let in_place = scope
                    .layers
                    .last_mut()
                    .and_then(|top| top.iter_mut().find(|(k, _)| k == "forloop"))
                    .and_then(|(_, v)| match v {
                        Value::Map(pairs) if pairs.len() == 7 && pairs[0].0 == "parentloop" => {
                            Some(pairs)
                        }
                        _ => None,
                    });
                match in_place {
                    Some(pairs) => {
                        for (slot, value) in pairs[1..].iter_mut().zip(counters) {
                            slot.1 = value;
                        }
                    }
                    None => {
                        let names = [
                            "counter0",
                            "counter",
                            "revcounter",
                            "revcounter0",
                            "first",
                            "last",
                        ];
                        let mut pairs = vec![("parentloop".to_owned(), parentloop.clone())];
                        pairs.extend(names.iter().map(|n| (*n).to_owned()).zip(counters));
                        scope.set("forloop", Value::Map(pairs));
                    }
                }
                if node.vars.len() == 1 {
                    scope.set(&node.vars[0], item);
                    self.render_nodes(&node.body, scope, out)?;
                } else {
                    let len = item.py_len().unwrap_or(1);
                    if len != node.vars.len() {
                        return Err(TemplateError {
                            kind: ErrorKind::Unpack,
                            ..error(
                                node.line,
                                format!(
                                    "Need {} values to unpack in for loop; got {len}. ",
                                    node.vars.len()
                                ),
                            )
                        });
                    }
                    let parts = item.iterate().map_err(fail)?;
                    scope
                        .layers
                        .push(node.vars.iter().cloned().zip(parts).collect());
                    let r = self.render_nodes(&node.body, scope, out);
                    scope.layers.pop();
                    r?;
                }
            }
            Ok(())
        })();
        scope.changed.pop();
        scope.layers.pop();
        result
    }
}

/// `strip_spaces_between_tags`: `re.sub(r">\s+<", "><", value)`.
fn strip_spaces_between_tags(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = rest.find('>') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        let trimmed = rest.trim_start_matches(is_python_space);
        if trimmed.len() < rest.len() && trimmed.starts_with('<') {
            rest = trimmed;
        }
    }
    out.push_str(rest);
    out
}

/// `get_format("FIRST_DAY_OF_WEEK")` in `language` (0 is Sunday): no built-in tag or filter
/// prints it, but a caller laying out a calendar must agree with the locale data.
pub fn first_day_of_week(language: Option<&str>, formats: &FormatSettings) -> u8 {
    locale::Locale::new(language, formats, &[]).first_day_of_week()
}

/// Escapes as `conditional_escape` does, for callers outside the crate.
pub fn escape_html(value: &Value) -> String {
    conditional_escape(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, TemplateError> {
        let context = vec![
            ("project_name".to_owned(), Value::str("mysite")),
            (
                "items".to_owned(),
                Value::List(vec![Value::str("a"), Value::str("b"), Value::str("c")]),
            ),
            ("empty".to_owned(), Value::List(vec![])),
            ("n".to_owned(), Value::Int(3)),
        ];
        Template::parse(text)?.render(&context)
    }

    #[test]
    fn for_unpacks_tuples_and_refuses_other_lengths() {
        let pairs = Value::Tuple(vec![
            Value::Tuple(vec![Value::str("one"), Value::Int(1)]),
            Value::Tuple(vec![Value::str("two"), Value::Int(2)]),
        ]);
        let context = vec![("items".to_owned(), pairs)];
        let render = |text: &str| Template::parse(text).and_then(|t| t.render(&context));
        assert_eq!(
            render("{% for k, v in items %}{{ k }}={{ v }};{% endfor %}{{ items.0 }}"),
            Ok("one=1;two=2;('one', 1)".to_owned())
        );
        let d = vec![(
            "d".to_owned(),
            Value::Map(vec![("a".into(), Value::Int(1))]),
        )];
        let printed =
            Template::parse("{{ d.items }}|{% for k, v in d.items %}{{ k }}{{ v }}{% endfor %}")
                .and_then(|t| t.render(&d));
        assert_eq!(printed, Ok("dict_items([('a', 1)])|a1".to_owned()));
        let e = render("{% for a, b, c in items %}{% endfor %}").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unpack);
        assert!(e
            .message
            .starts_with("Need 3 values to unpack in for loop; got 2."));
    }

    #[test]
    fn regroup_groups_consecutive_items() {
        assert_eq!(
            render(
                "{% regroup items by upper as g %}{% for x in g %}{{ x.grouper }}{{ x.list|length }}{% endfor %}"
            )
            .unwrap(),
            "A1B1C1"
        );
        assert_eq!(
            render("{% regroup items by 0 as g %}{{ g.0 }}|{{ g.0.0 }}|{{ g.0|length }}").unwrap(),
            "GroupedResult(grouper='a', list=['a'])|a|2"
        );
        assert_eq!(
            render("{% regroup nope by x as g %}[{{ g }}]{% for a, b in g %}{% endfor %}").unwrap(),
            "[[]]"
        );
        assert!(render("{% regroup items by x as %}").is_err());
        // A GroupedResult is a tuple: its slices and sums are plain tuples.
        assert_eq!(
            render("{% regroup items by 0 as g %}{{ g.0|slice:':1' }}").unwrap(),
            "('a',)"
        );
        assert_eq!(
            render("{% regroup items by 0 as g %}{{ g.0|add:g.1|length }}").unwrap(),
            "4"
        );
    }

    #[test]
    fn random_lorem_and_filter() {
        let words = render("{% lorem 30 w random %}").unwrap();
        assert_eq!(words.split(' ').count(), 30);
        assert!(words.split(' ').all(|w| osrandom::WORDS.contains(&w)));
        assert_eq!(render("{% lorem 200 w %}").unwrap().split(' ').count(), 200);
        // word_list[:count]: a negative count counts from the end, as in Python.
        assert_eq!(render("{% lorem -17 w %}").unwrap(), "lorem ipsum");
        assert_eq!(render("{% lorem -1 p %}").unwrap(), "");
        let paras = render("{% lorem 3 p %}").unwrap();
        assert_eq!(paras.matches("<p>").count(), 3);
        assert!(paras.starts_with(&format!("<p>{COMMON_P}</p>\n\n<p>")));
        assert_eq!(
            render("{% lorem 2 b random %}")
                .unwrap()
                .matches("\n\n")
                .count(),
            1
        );
        let picked = render("{{ items|random }}").unwrap();
        assert!(["a", "b", "c"].contains(&picked.as_str()));
        assert_eq!(render("{{ empty|random }}").unwrap(), "");
        assert!(render("{{ n|random }}").is_err());
    }

    #[test]
    fn huge_lorem_stops_at_the_output_limit() {
        let never = AtomicBool::new(false);
        for text in [
            "{% lorem 999999999999 w random %}",
            "{% lorem 999999999999 p %}",
        ] {
            let err = Template::parse(text)
                .unwrap()
                .render_with(&[], &RenderLimits::new(1 << 16, &never))
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::OutputLimit, "{text}");
        }
    }

    #[test]
    fn variables_and_filters() {
        assert_eq!(
            render("{{ project_name }}/{{ nope }}/{{ nope|default:'x' }}").unwrap(),
            "mysite//x"
        );
        assert_eq!(
            render("{{ project_name|upper }} {{ project_name.upper }} {{ project_name.0 }}")
                .unwrap(),
            "MYSITE MYSITE m"
        );
        assert_eq!(
            render("{{ items }} {{ n }} {{ None }} {{ True }}").unwrap(),
            "['a', 'b', 'c'] 3 None True"
        );
        assert_eq!(
            render("{{ items|join:', ' }} {{ items|length }}").unwrap(),
            "a, b, c 3"
        );
    }

    #[test]
    fn conditions() {
        let t = "{% if n > 2 and not empty %}yes{% elif x %}x{% else %}no{% endif %}";
        assert_eq!(render(t).unwrap(), "yes");
        assert_eq!(
            render("{% if nope %}a{% elif 'b' in items %}b{% endif %}").unwrap(),
            "b"
        );
        assert_eq!(
            render("{% if nope is None %}none{% endif %}").unwrap(),
            "none"
        );
        assert_eq!(
            render("{% if n < 'x' %}a{% else %}b{% endif %}").unwrap(),
            "b"
        );
        assert_eq!(
            render("{% if not n < 'x' %}a{% else %}b{% endif %}").unwrap(),
            "a"
        );
    }

    #[test]
    fn loops() {
        let t = "{% for x in items reversed %}{{ forloop.counter }}{{ x }}{% if not forloop.last %},{% endif %}{% endfor %}";
        assert_eq!(render(t).unwrap(), "1c,2b,3a");
        assert_eq!(
            render("{% for x in empty %}x{% empty %}none{% endfor %}").unwrap(),
            "none"
        );
        assert_eq!(
            render("{% for a, b in items %}{% endfor %}")
                .unwrap_err()
                .line,
            1
        );
        assert_eq!(
            render("{% for x in items %}{% for y in items %}{{ forloop.parentloop.counter }}{% endfor %}{% endfor %}").unwrap(),
            "111222333"
        );
    }

    #[test]
    fn literal_tags() {
        assert_eq!(
            render("{% templatetag openvariable %} x {% templatetag closevariable %}{# c #}{% comment 'n' %}{{ x }}{% endcomment %}").unwrap(),
            "{{ x }}"
        );
        assert_eq!(
            render("{% verbatim %}{{ a }}{% if %}{% endverbatim %}").unwrap(),
            "{{ a }}{% if %}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = "{% if a %}".repeat(100_000) + &"{% endif %}".repeat(100_000);
        let err = render(&deep).unwrap_err();
        assert!(
            err.message.contains("nested more than 100 levels"),
            "{}",
            err.message
        );
        let fine = "{% if a %}".repeat(MAX_NESTING) + "x" + &"{% endif %}".repeat(MAX_NESTING);
        assert_eq!(render(&fine).unwrap(), "");
        let nots = format!("{{% if {}a %}}x{{% endif %}}", "not ".repeat(50_000));
        assert!(render(&nots)
            .unwrap_err()
            .message
            .contains("too deeply nested"));
        assert_eq!(
            render("{% if not not not nope %}x{% endif %}").unwrap(),
            "x"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let e = render("a\nb\n{% load static %}").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("load"), "{}", e.message);
        assert_eq!(render("\n{% if x %}").unwrap_err().line, 2);
        assert!(render("{% nosuch %}")
            .unwrap_err()
            .message
            .contains("Invalid block tag"));
        assert!(render("{{ }}")
            .unwrap_err()
            .message
            .contains("Empty variable tag"));
        assert!(render("{% if a %}{% else x %}{% endif %}")
            .unwrap_err()
            .message
            .contains("Malformed"));
        assert!(render("{{ project_name.swapcase }}")
            .unwrap_err()
            .message
            .contains("not supported"));
        assert!(render("{{ project_name|default:nope }}").is_err());
        assert!(matches!(
            FilterExpr::parse("a.b").unwrap().operand,
            expr::Operand::Lookup(_)
        ));
    }
}

#[cfg(test)]
mod hostile {
    //! Hostile inputs: each is rendered or refused with an error, in bounded time and memory.
    use super::*;

    fn context() -> Vec<(String, Value)> {
        vec![(
            "secret_key".to_owned(),
            Value::str("django-insecure-abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"),
        )]
    }

    #[test]
    fn nodes_stay_small() {
        // A large template of ordinary lines costs about its own size in nodes, not 20 times it.
        assert!(
            std::mem::size_of::<Node>() <= 16,
            "{}",
            std::mem::size_of::<Node>()
        );
        let line = "x = '{{ secret_key }}'  # {{ secret_key|upper }}\n".repeat(3);
        let err = Template::parse(&format!("{line}{{{{ secret_key.swapcase }}}}"))
            .unwrap()
            .render(&context())
            .unwrap_err();
        assert_eq!(err.line, 4);
    }

    #[test]
    fn rendering_once_is_parsing_then_rendering() {
        let never = AtomicBool::new(false);
        let limits = RenderLimits::new(1 << 16, &never);
        let texts = [
            "plain text, no tags\n",
            "# {{ secret_key }} {{ secret_key|upper }} {% if secret_key %}on{% else %}off{% endif %}\n",
            "{% cycle 'a' 'b' as c %}{% cycle c %}{% for i in 'abc' %}{% cycle 'x' 'y' %}{% endfor %}",
            "{% for x in 'aab' %}{% ifchanged %}{{ x }}{% endifchanged %}{% endfor %}{# c #}",
            "{% with a=1 %}{{ a }}{% endwith %}{% templatetag openblock %}{% verbatim %}{{ x }}{% endverbatim %}",
            // A render error alone, on line 2; then one followed by a syntax error, which wins.
            "line\n{{ secret_key.swapcase }}\nmore",
            "{{ secret_key.swapcase }}\n{% if %}",
            "{{ secret_key.swapcase }}\n{% if a %}unclosed",
            "{% lorem 30000 w %}{% endif %}",
            "{% lorem 30000 w %}",
        ];
        for text in texts {
            let once = Template::render_once(text, &context(), &limits);
            let parsed = Template::parse(text).and_then(|t| t.render_with(&context(), &limits));
            assert_eq!(once, parsed, "{text}");
        }
    }

    #[test]
    fn a_long_or_chain_renders() {
        let operands = vec!["a"; 200_000].join(" or ");
        let text = format!("{{% if {operands} or secret_key %}}yes{{% endif %}}");
        assert_eq!(
            Template::parse(&text).unwrap().render(&context()).unwrap(),
            "yes"
        );
        let operands = vec!["secret_key"; 200_000].join(" and ");
        let text = format!("{{% if {operands} and not a %}}yes{{% endif %}}");
        assert_eq!(
            Template::parse(&text).unwrap().render(&context()).unwrap(),
            "yes"
        );
    }

    #[test]
    fn a_long_comparison_chain_is_refused() {
        let operands = vec!["a"; 200_000].join(" == ");
        let text = format!("{{% if {operands} %}}yes{{% endif %}}");
        let err = Template::parse(&text).unwrap_err();
        assert!(err.message.contains("too deeply nested"), "{}", err.message);
    }

    #[test]
    fn nested_loops_stop_at_the_output_limit() {
        let text = "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
                    {% for d in secret_key %}{% for e in secret_key %}{{ secret_key }}{% endfor %}\
                    {% endfor %}{% endfor %}{% endfor %}{% endfor %}";
        let template = Template::parse(text).unwrap();
        let never = AtomicBool::new(false);
        let started = std::time::Instant::now();
        let err = template
            .render_with(&context(), &RenderLimits::new(1 << 20, &never))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::OutputLimit);
        assert!(
            err.message.contains("limit of 1048576 bytes"),
            "{}",
            err.message
        );
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn nested_loops_without_output_stop_at_the_step_limit() {
        let text = "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
                    {% for d in secret_key %}{% for e in secret_key %}{% endfor %}\
                    {% endfor %}{% endfor %}{% endfor %}{% endfor %}";
        let template = Template::parse(text).unwrap();
        let never = AtomicBool::new(false);
        let limits = RenderLimits {
            max_steps: 1_000_000,
            ..RenderLimits::new(1 << 20, &never)
        };
        let err = template.render_with(&context(), &limits).unwrap_err();
        assert_eq!(err.kind, ErrorKind::StepLimit);
        assert!(err.message.contains("steps"), "{}", err.message);
    }

    #[test]
    fn values_that_double_stop_at_the_limit() {
        let never = AtomicBool::new(false);
        let limits = RenderLimits::new(1 << 20, &never);
        let doubling = "{% with x=x|add:x %}".repeat(40);
        let text = format!(
            "{{% with x=secret_key %}}{doubling}{{{{ x|length }}}}{}{{% endwith %}}",
            "{% endwith %}".repeat(40)
        );
        let err = Template::parse(&text)
            .unwrap()
            .render_with(&context(), &limits)
            .unwrap_err();
        assert!(
            err.message.contains("more than the output limit"),
            "{}",
            err.message
        );
        // Within the limit, but a value per character would not be.
        let text = "{% with x=secret_key|add:secret_key|add:secret_key %}\
                    {% with y=x|add:x|add:x|add:x %}{% with z=y|add:y|add:y|add:y %}\
                    {% with w=z|add:z|add:z|add:z %}{{ w|make_list|length }}\
                    {% for c in w %}{% endfor %}{% endwith %}{% endwith %}{% endwith %}{% endwith %}";
        let limits = RenderLimits::new(16 << 10, &never);
        let err = Template::parse(text)
            .unwrap()
            .render_with(&context(), &limits)
            .unwrap_err();
        assert!(err.message.contains("output limit"), "{}", err.message);
    }

    #[test]
    fn a_raised_cancel_flag_ends_the_render() {
        let text = "{% for a in secret_key %}{% for b in secret_key %}{% for c in secret_key %}\
                    {% for d in secret_key %}{% endfor %}{% endfor %}{% endfor %}{% endfor %}";
        let template = Template::parse(text).unwrap();
        let raised = AtomicBool::new(true);
        let err = template
            .render_with(&context(), &RenderLimits::new(1 << 20, &raised))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::Cancelled);
    }

    #[test]
    fn wide_and_deep_inputs_are_bounded() {
        // Many siblings, many filters, long words, unclosed tags.
        let wide = "{% if a %}x{% endif %}".repeat(100_000);
        assert_eq!(
            Template::parse(&wide).unwrap().render(&context()).unwrap(),
            ""
        );
        let filters = format!("{{{{ secret_key{} }}}}", "|lower".repeat(100_000));
        assert!(Template::parse(&filters)
            .unwrap()
            .render(&context())
            .is_ok());
        let unclosed = "{% for a in b %}".repeat(100_000);
        assert!(Template::parse(&unclosed).is_err());
        let nots = format!("{{% if {}a %}}x{{% endif %}}", "not ".repeat(200_000));
        assert!(Template::parse(&nots).is_err());
        let braces = "{{".repeat(200_000) + &"}}".repeat(200_000);
        assert!(Template::parse(&braces).is_err() || Template::parse(&braces).is_ok());
    }
}
