//! A Django template language front end (lexer, parser, renderer) for the subset that project
//! and app templates use, rendering byte for byte as Django's `Engine().from_string(...)
//! .render(Context(..., autoescape=False))` does in `TemplateCommand`.
//!
//! Why not translate to Tera, which renders the built-in templates: the two languages look alike
//! but differ where it shows in the output. Tera errors on undefined variables where Django
//! prints nothing; its `title`, `capitalize`, `slugify` and truthiness follow Rust and Jinja
//! rules rather than Python's; `{% templatetag %}`, `{% verbatim %}` with a name, `{% comment %}`
//! with a note, Django's `if` operator precedence (`not` > `and` > `or`, `is not`, `not in`),
//! `forloop.counter`, and a tag regex that never spans lines have no faithful translation. A
//! translation would be silently wrong in exactly the corners users do not check. This module
//! instead follows Django's own code path, function by function (`Lexer.tokenize`,
//! `Parser.parse`, `FilterExpression`, `Variable`, `smartif.IfParser`, `ForNode`, the filters),
//! and refuses, with the line and the construct, anything it does not implement: unknown and
//! unimplemented tags (`with`, `load`, `include`, ...), filters (`date`, `pluralize`, ...),
//! translated strings, and Python attributes it does not model.
//!
//! Supported: `{{ var }}`, dotted lookups (dict keys, list and string indexes, zero-argument
//! string methods such as `.upper`), string and number literals; the filters `lower`, `upper`,
//! `title`, `capfirst`, `default`, `default_if_none`, `slugify`, `length`, `safe`, `cut`,
//! `join`, `first`, `last`; `{% if %}`/`{% elif %}`/`{% else %}` with `and`, `or`, `not`, `in`,
//! `not in`, `is`, `is not`, `==`, `!=`, `<`, `<=`, `>`, `>=`; `{% for x in y [reversed] %}`
//! with unpacking, `{% empty %}` and `forloop`; `{# #}`, `{% comment %}`, `{% templatetag %}`,
//! `{% verbatim %}`. Undefined variables print nothing, as with Django's default
//! `string_if_invalid`. Known approximation: Python's `\d` and the Unicode "cased" property are
//! taken as ASCII digits and Rust's lowercase/uppercase properties in `title`.

mod expr;
mod filters;
mod lexer;
pub mod python;
mod value;

use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};

use expr::{split_contents, Condition, FilterExpr};
use lexer::{tokenize, Token, TokenType};
use python::float_repr;
use value::Failure;
pub use value::Value;

/// A parse or render error: the 1-based line and Django's (or scaffold's) message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub line: usize,
    pub message: String,
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

/// Default step bound: ample for any real template (a few seconds of work at most), small enough that
/// a hostile one ends quickly.
pub const DEFAULT_MAX_STEPS: u64 = 50_000_000;

impl<'a> RenderLimits<'a> {
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

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    /// Text and the line it starts on.
    Text(String, usize),
    Var {
        expr: FilterExpr,
        line: usize,
    },
    If {
        branches: Vec<(Option<Condition>, Vec<Node>)>,
        line: usize,
    },
    For(Box<ForNode>),
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
/// the builtins `True`, `False` and `None` at the bottom.
pub struct Scope {
    layers: Vec<Vec<(String, Value)>>,
}

impl Scope {
    pub fn new(context: &[(String, Value)]) -> Scope {
        let builtins = vec![
            ("True".to_owned(), Value::Bool(true)),
            ("False".to_owned(), Value::Bool(false)),
            ("None".to_owned(), Value::None),
        ];
        Scope {
            layers: vec![builtins, context.to_vec()],
        }
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        self.layers.iter().rev().find_map(|layer| {
            layer
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
    }

    fn set(&mut self, name: &str, value: Value) {
        let Some(top) = self.layers.last_mut() else {
            return;
        };
        match top.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => top.push((name.to_owned(), value)),
        }
    }
}

/// Every tag Django's built-in libraries register; the ones not handled here are refused by
/// name.
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
    "regroup",
    "resetcycle",
    "spaceless",
    "url",
    "widthratio",
    "with",
];

/// How deep block tags may nest. Parsing and rendering recurse once per level, so a hostile
/// template of thousands of nested tags would otherwise overflow the stack; Django, for its
/// part, stops at Python's recursion limit.
const MAX_NESTING: usize = 100;

struct Parser {
    tokens: std::vec::IntoIter<Token>,
    /// Open block tags, for the "Unclosed tag" message.
    stack: Vec<(String, usize)>,
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

impl Output<'_> {
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
        self.text.try_reserve(s.len()).map_err(|_| TemplateError {
            line,
            message: format!("cannot allocate {wanted} bytes of rendered output"),
            kind: ErrorKind::OutputLimit,
        })?;
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

impl Parser {
    /// `Parser.parse(parse_until)`: the nodes up to a block tag whose first word is in `until`,
    /// and that tag.
    fn parse(&mut self, until: &[&str]) -> Result<(Vec<Node>, Option<Token>), TemplateError> {
        let mut nodes = Vec::new();
        while let Some(token) = self.tokens.next() {
            match token.kind {
                TokenType::Text => nodes.push(Node::Text(token.contents, token.line)),
                TokenType::Comment => {}
                TokenType::Var => {
                    if token.contents.is_empty() {
                        return Err(error(
                            token.line,
                            format!("Empty variable tag on line {}", token.line),
                        ));
                    }
                    let expr =
                        FilterExpr::parse(&token.contents).map_err(|m| error(token.line, m))?;
                    nodes.push(Node::Var {
                        expr,
                        line: token.line,
                    });
                }
                TokenType::Block => {
                    let Some(command) = token.contents.split_whitespace().next().map(str::to_owned)
                    else {
                        return Err(error(
                            token.line,
                            format!("Empty block tag on line {}", token.line),
                        ));
                    };
                    if until.contains(&command.as_str()) {
                        return Ok((nodes, Some(token)));
                    }
                    if self.stack.len() >= MAX_NESTING {
                        return Err(error(
                            token.line,
                            format!("block tags nested more than {MAX_NESTING} levels deep"),
                        ));
                    }
                    self.stack.push((command.clone(), token.line));
                    nodes.push(self.tag(&command, &token, until)?);
                    self.stack.pop();
                }
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
        Ok((nodes, None))
    }

    /// Parses until one of `until` and returns the nodes and the closing token, which must exist.
    fn parse_block(&mut self, until: &[&str]) -> Result<(Vec<Node>, Token), TemplateError> {
        let (nodes, end) = self.parse(until)?;
        let end = end.ok_or_else(|| error(0, "internal: block without end"))?;
        Ok((nodes, end))
    }

    fn tag(&mut self, command: &str, token: &Token, until: &[&str]) -> Result<Node, TemplateError> {
        let line = token.line;
        let fail = |m: String| error(line, m);
        match command {
            "if" => {
                let mut branches = Vec::new();
                let mut bits = split_contents(&token.contents).map_err(fail)?;
                let mut condition = Condition::parse(&bits[1..]).map_err(fail)?;
                loop {
                    let (nodes, end) = self.parse_block(&["elif", "else", "endif"])?;
                    branches.push((Some(condition), nodes));
                    if end.contents.starts_with("elif") {
                        bits = split_contents(&end.contents).map_err(|m| error(end.line, m))?;
                        condition = Condition::parse(&bits[1..]).map_err(|m| error(end.line, m))?;
                        continue;
                    }
                    let mut end = end;
                    if end.contents == "else" {
                        let (nodes, close) = self.parse_block(&["endif"])?;
                        branches.push((None, nodes));
                        end = close;
                    }
                    if end.contents != "endif" {
                        return Err(error(
                            end.line,
                            format!("Malformed template tag at line {}: \"{}\"", end.line, end.contents),
                        ));
                    }
                    return Ok(Node::If { branches, line });
                }
            }
            "for" => self.for_tag(token),
            "comment" => {
                for next in self.tokens.by_ref() {
                    if next.kind == TokenType::Block && next.contents == "endcomment" {
                        return Ok(Node::Text(String::new(), line));
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
                    "openblock" => "{%",
                    "closeblock" => "%}",
                    "openvariable" => "{{",
                    "closevariable" => "}}",
                    "openbrace" => "{",
                    "closebrace" => "}",
                    "opencomment" => "{#",
                    "closecomment" => "#}",
                    other => {
                        return Err(fail(format!(
                            "Invalid templatetag argument: '{other}'. Must be one of: openblock, closeblock, \
                             openvariable, closevariable, openbrace, closebrace, opencomment, closecomment"
                        )))
                    }
                };
                Ok(Node::Text(text.into(), line))
            }
            "verbatim" => {
                let (nodes, _) = self.parse_block(&["endverbatim"])?;
                let text = nodes
                    .into_iter()
                    .map(|n| match n {
                        Node::Text(t, _) => t,
                        _ => String::new(),
                    })
                    .collect();
                Ok(Node::Text(text, token.line))
            }
            _ if DJANGO_TAGS.contains(&command) => Err(fail(format!(
                "the tag {{% {command} %}} is not supported by scaffold (supported: if, elif, else, for, \
                 empty, comment, templatetag, verbatim)"
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

    fn for_tag(&mut self, token: &Token) -> Result<Node, TemplateError> {
        let line = token.line;
        let fail = |m: String| error(line, m);
        let bits = split_contents(&token.contents).map_err(fail)?;
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
        Ok(Node::For(Box::new(ForNode {
            vars,
            sequence,
            reversed,
            body,
            empty,
            line,
        })))
    }
}

impl Template {
    /// Parses `text`, which must already have universal newlines (`\n` only).
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        let mut parser = Parser {
            tokens: tokenize(text).into_iter(),
            stack: Vec::new(),
        };
        let (nodes, _) = parser.parse(&[])?;
        Ok(Template { nodes })
    }

    /// Renders with `context` (Django's context dict, autoescape off) and the default limits.
    pub fn render(&self, context: &[(String, Value)]) -> Result<String, TemplateError> {
        self.render_with(context, &RenderLimits::default())
    }

    /// Renders with `context` within `limits`.
    pub fn render_with(
        &self,
        context: &[(String, Value)],
        limits: &RenderLimits,
    ) -> Result<String, TemplateError> {
        let mut scope = Scope::new(context);
        let mut out = Output {
            text: String::new(),
            limits,
            steps: 0,
        };
        render_nodes(&self.nodes, &mut scope, &mut out)?;
        Ok(out.text)
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

/// What `render_value_in_context` prints for a value.
fn display(value: &Value) -> Result<String, Failure> {
    match value {
        Value::Float(f) => {
            let text = float_repr(*f);
            if text.contains(['e', 'n']) {
                return Err(Failure::Unsupported(format!("printing the number {text}")));
            }
            Ok(text)
        }
        other => Ok(other.to_python_str()),
    }
}

fn render_nodes(nodes: &[Node], scope: &mut Scope, out: &mut Output) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text, line) => {
                out.step(*line)?;
                out.push(text, *line)?;
            }
            Node::Var { expr, line } => {
                out.step(*line)?;
                let text = expr
                    .resolve(scope, false)
                    .and_then(|v| display(&v))
                    .map_err(|f| failure(*line, f, "a variable"))?;
                out.push(&text, *line)?;
            }
            Node::If { branches, line } => {
                out.step(*line)?;
                for (condition, body) in branches {
                    let matched = match condition {
                        None => true,
                        Some(c) => match c.eval(scope) {
                            Ok(v) => v.truthy(),
                            Err(Failure::Missing) => false,
                            Err(f) => return Err(failure(*line, f, "an if condition")),
                        },
                    };
                    if matched {
                        render_nodes(body, scope, out)?;
                        break;
                    }
                }
            }
            Node::For(node) => {
                out.step(node.line)?;
                render_for(node, scope, out)?;
            }
        }
    }
    Ok(())
}

fn render_for(node: &ForNode, scope: &mut Scope, out: &mut Output) -> Result<(), TemplateError> {
    let fail = |f| failure(node.line, f, "a for loop");
    let parentloop = scope.get("forloop").unwrap_or(Value::Map(Vec::new()));
    let values = match node.sequence.resolve(scope, true) {
        Ok(v) => v,
        Err(Failure::Missing) => Value::None,
        Err(f) => return Err(fail(f)),
    };
    let mut items = values.iterate().map_err(fail)?;
    if node.reversed {
        items.reverse();
    }
    scope.layers.push(Vec::new());
    let result = (|| {
        if items.is_empty() {
            return render_nodes(&node.empty, scope, out);
        }
        let n = items.len() as i64;
        for (i, item) in items.into_iter().enumerate() {
            out.step(node.line)?;
            let i = i as i64;
            scope.set(
                "forloop",
                Value::Map(vec![
                    ("parentloop".into(), parentloop.clone()),
                    ("counter0".into(), Value::Int(i)),
                    ("counter".into(), Value::Int(i + 1)),
                    ("revcounter".into(), Value::Int(n - i)),
                    ("revcounter0".into(), Value::Int(n - i - 1)),
                    ("first".into(), Value::Bool(i == 0)),
                    ("last".into(), Value::Bool(i == n - 1)),
                ]),
            );
            if node.vars.len() == 1 {
                scope.set(&node.vars[0], item);
            } else {
                let len = item.py_len().unwrap_or(1);
                if len != node.vars.len() {
                    return Err(error(
                        node.line,
                        format!(
                            "Need {} values to unpack in for loop; got {len}. ",
                            node.vars.len()
                        ),
                    ));
                }
                let parts = item.iterate().map_err(fail)?;
                for (var, part) in node.vars.iter().zip(parts) {
                    scope.set(var, part);
                }
            }
            render_nodes(&node.body, scope, out)?;
        }
        Ok(())
    })();
    scope.layers.pop();
    result
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
        let e = render("a\nb\n{% with x=1 %}{% endwith %}").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("with"), "{}", e.message);
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
