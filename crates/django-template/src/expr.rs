//! Expressions: Django's `FilterExpression` (`var.lookup|filter:arg`, parsed as `filter_re`
//! does), `Variable` (number and string literals, dotted lookups), and the `{% if %}`
//! expression parser of `django.template.smartif` with its operator precedence.

use super::filters::{self, Arity};
use super::lexer::smart_split;
use super::value::{Failure, Value};
use super::Scope;

/// A literal, or a dotted lookup into the context.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Literal(Value),
    /// `_("...")`: the msgid (its `%` doubled, as `Variable.resolve` does), translated when
    /// rendered, in the language of that render.
    Translated(String),
    Lookup(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FilterExpr {
    pub operand: Operand,
    pub filters: Vec<(String, Option<Operand>)>,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Length in bytes of a quoted constant at the start of `s` (`"..."` or `'...'` with backslash
/// escapes), as `strdq`/`strsq` match it.
fn quoted_len(s: &str) -> Option<usize> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if c == '\\' {
            chars.next()?;
        } else if c == quote {
            return Some(i + 1);
        }
    }
    None
}

/// `constant`: a quoted string, or one wrapped in `_( )`.
fn constant_len(s: &str) -> Option<usize> {
    if let Some(rest) = s.strip_prefix("_(") {
        if let Some(n) = quoted_len(rest) {
            if rest[n..].starts_with(')') {
                return Some(n + 3);
            }
        }
    }
    quoted_len(s)
}

/// `[\w.]+|[-+.]?\d[\d.e]*`
fn var_len(s: &str) -> Option<usize> {
    let word = s
        .find(|c: char| !(is_word(c) || c == '.'))
        .unwrap_or(s.len());
    if word > 0 {
        return Some(word);
    }
    let mut i = 0;
    let bytes = s.as_bytes();
    if matches!(bytes.first(), Some(b'-' | b'+' | b'.')) {
        i = 1;
    }
    if !bytes.get(i).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    i += 1;
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_digit() || *b == b'.' || *b == b'e')
    {
        i += 1;
    }
    Some(i)
}

/// Django's `Variable(text)`: a number, a string literal, or a dotted lookup.
pub(crate) fn variable(text: &str) -> Result<Operand, String> {
    let looks_numeric = text
        .starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '+' || c == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'));
    if text.contains('.') || text.to_lowercase().contains('e') {
        if looks_numeric && !text.ends_with('.') {
            if let Ok(f) = text.parse::<f64>() {
                return Ok(Operand::Literal(Value::Float(f)));
            }
        }
    } else if looks_numeric {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Operand::Literal(Value::Int(i)));
        }
        if text.bytes().skip(1).all(|b| b.is_ascii_digit()) {
            return Err(format!("the number {text} is too large for scaffold"));
        }
    } else if text.starts_with(|c: char| c.is_numeric()) {
        return Err(format!("the literal '{text}' is not supported by scaffold"));
    }
    if let Some(inner) = text.strip_prefix("_(").and_then(|t| t.strip_suffix(')')) {
        if let Some(literal) = unescape_string_literal(inner) {
            return Ok(Operand::Translated(literal.replace('%', "%%")));
        }
        return Err(format!(
            "translated strings ({text}) are not supported by scaffold"
        ));
    }
    if let Some(literal) = unescape_string_literal(text) {
        // Django marks string literals safe.
        return Ok(Operand::Literal(Value::Safe(literal)));
    }
    if text.contains("._") || text.starts_with('_') {
        return Err(format!(
            "Variables and attributes may not begin with underscores: '{text}'"
        ));
    }
    Ok(Operand::Lookup(
        text.split('.').map(str::to_owned).collect(),
    ))
}

/// Django's `unescape_string_literal`.
fn unescape_string_literal(s: &str) -> Option<String> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    if s.len() < 2 || !s.ends_with(quote) {
        return None;
    }
    let inner = &s[1..s.len() - 1];
    Some(
        inner
            .replace(&format!("\\{quote}"), &quote.to_string())
            .replace("\\\\", "\\"),
    )
}

impl FilterExpr {
    /// The name, when the expression is a bare name without lookups or filters.
    pub(crate) fn plain_name(&self) -> Option<&str> {
        match &self.operand {
            Operand::Lookup(bits) if bits.len() == 1 && self.filters.is_empty() => Some(&bits[0]),
            _ => None,
        }
    }

    /// Parses `token` as `FilterExpression.__init__` does with `filter_re`.
    pub(crate) fn parse(token: &str) -> Result<FilterExpr, String> {
        let operand = if let Some(n) = constant_len(token) {
            (variable(&token[..n])?, n)
        } else if let Some(n) = var_len(token) {
            (variable(&token[..n])?, n)
        } else {
            return Err(format!("Could not find variable at start of {token}."));
        };
        let (operand, mut upto) = operand;
        let mut filters = Vec::new();
        while upto < token.len() {
            let rest = &token[upto..];
            let Some((name, arg, len)) = filter_at(rest)? else {
                return Err(format!(
                    "Could not parse the remainder: '{rest}' from '{token}'"
                ));
            };
            let arity = filters::arity(&name)?;
            match (arity, &arg) {
                (Arity::None, Some(_)) => {
                    return Err(format!("{name} requires 1 arguments, 2 provided"))
                }
                (Arity::One, None) => {
                    return Err(format!("{name} requires 2 arguments, 1 provided"))
                }
                _ => {}
            }
            filters.push((name, arg));
            upto += len;
        }
        Ok(FilterExpr { operand, filters })
    }

    /// `FilterExpression.resolve`. A missing variable is `None` when `ignore_failures` (inside
    /// `{% if %}` and `{% for %}`), otherwise the engine's `string_if_invalid`, "".
    pub(crate) fn resolve(&self, scope: &Scope, ignore_failures: bool) -> Result<Value, Failure> {
        let mut value = match resolve_operand(&self.operand, scope) {
            Ok(v) => v,
            Err(Failure::Missing) if ignore_failures => Value::None,
            Err(Failure::Missing) => {
                let invalid = scope.string_if_invalid();
                if invalid.is_empty() {
                    Value::str("")
                } else if invalid.contains("%s") {
                    let name = match &self.operand {
                        Operand::Lookup(bits) => bits.join("."),
                        Operand::Literal(v) => v.to_python_str(),
                        Operand::Translated(m) => m.clone(),
                    };
                    return Ok(Value::Str(invalid.replacen("%s", &name, 1)));
                } else {
                    return Ok(Value::str(invalid));
                }
            }
            Err(other) => return Err(other),
        };
        let cx = scope.filter_context();
        for (name, arg) in &self.filters {
            let arg = match arg {
                Some(operand) => Some(resolve_operand(operand, scope)?),
                None => None,
            };
            value = filters::apply(name, value, arg, &cx)?;
        }
        Ok(value)
    }
}

/// `\s*\|\s*(\w+)(?::(constant|var|num))?` at the start of `s`: (name, argument, length).
fn filter_at(s: &str) -> Result<Option<(String, Option<Operand>, usize)>, String> {
    let trimmed = s.trim_start();
    let Some(after_bar) = trimmed.strip_prefix('|') else {
        return Ok(None);
    };
    let after_space = after_bar.trim_start();
    let name_len = after_space
        .find(|c: char| !is_word(c))
        .unwrap_or(after_space.len());
    if name_len == 0 {
        return Ok(None);
    }
    let name = &after_space[..name_len];
    let mut consumed = s.len() - after_space.len() + name_len;
    let mut arg = None;
    if let Some(arg_text) = after_space[name_len..].strip_prefix(':') {
        let n = constant_len(arg_text).or_else(|| var_len(arg_text));
        if let Some(n) = n {
            arg = Some(variable(&arg_text[..n])?);
            consumed += 1 + n;
        }
    }
    Ok(Some((name.to_owned(), arg, consumed)))
}

pub(crate) fn resolve_operand(operand: &Operand, scope: &Scope) -> Result<Value, Failure> {
    match operand {
        Operand::Literal(v) => Ok(v.clone()),
        // gettext of a safe string: still safe.
        Operand::Translated(msgid) => Ok(Value::Safe(scope.locale().translate_literal(msgid))),
        Operand::Lookup(bits) => {
            let mut value = scope.get(&bits[0]).ok_or(Failure::Missing)?;
            for bit in &bits[1..] {
                value = value.lookup(bit)?;
            }
            Ok(value)
        }
    }
}

/// An `{% if %}` condition, as `smartif.IfParser` builds it, except that chains of `or` and of
/// `and` are one node each (`a or b or c`), not a left-leaning tree: a line of 200,000 operands
/// must not become a tree 200,000 levels deep, which evaluating or dropping would walk
/// recursively.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Literal(FilterExpr),
    Not(Box<Condition>),
    /// `a or b or ...`, at least two operands.
    Any(Vec<Condition>),
    /// `a and b and ...`, at least two operands.
    All(Vec<Condition>),
    Binary(Op, Box<Condition>, Box<Condition>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Or,
    And,
    In,
    NotIn,
    Is,
    IsNot,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum IfToken {
    Infix(Op, &'static str),
    Not,
    Literal(FilterExpr, String),
    End,
}

impl IfToken {
    /// Left binding power, smartif's `lbp`.
    fn lbp(&self) -> u8 {
        match self {
            IfToken::Infix(Op::Or, _) => 6,
            IfToken::Infix(Op::And, _) => 7,
            IfToken::Not => 8,
            IfToken::Infix(Op::In | Op::NotIn, _) => 9,
            IfToken::Infix(..) => 10,
            IfToken::Literal(..) | IfToken::End => 0,
        }
    }

    fn display(&self) -> String {
        match self {
            IfToken::Infix(_, text) => (*text).to_owned(),
            IfToken::Not => "not".into(),
            IfToken::Literal(_, text) => text.clone(),
            IfToken::End => "end".into(),
        }
    }
}

fn operator(text: &str) -> Option<IfToken> {
    let op = match text {
        "or" => Op::Or,
        "and" => Op::And,
        "not" => return Some(IfToken::Not),
        "in" => Op::In,
        "not in" => Op::NotIn,
        "is" => Op::Is,
        "is not" => Op::IsNot,
        "==" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        ">=" => Op::Ge,
        "<" => Op::Lt,
        "<=" => Op::Le,
        _ => return None,
    };
    let text: &'static str = match op {
        Op::Or => "or",
        Op::And => "and",
        Op::In => "in",
        Op::NotIn => "not in",
        Op::Is => "is",
        Op::IsNot => "is not",
        Op::Eq => "==",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
    };
    Some(IfToken::Infix(op, text))
}

struct IfParser {
    tokens: std::vec::IntoIter<IfToken>,
    current: IfToken,
    /// Recursion depth of `expression`, bounded so that `not not not ...` cannot overflow
    /// the stack.
    depth: usize,
}

/// Deeper if-expressions are refused (each level is a recursive call when parsing and when
/// evaluating).
const MAX_EXPRESSION_DEPTH: usize = 100;

impl IfParser {
    fn next(&mut self) -> IfToken {
        self.tokens.next().unwrap_or(IfToken::End)
    }

    /// The next expression and the depth of its tree.
    fn expression(&mut self, rbp: u8) -> Result<(Condition, usize), String> {
        self.depth += 1;
        if self.depth > MAX_EXPRESSION_DEPTH {
            return Err(format!(
                "if expression too deeply nested (more than {MAX_EXPRESSION_DEPTH} levels)"
            ));
        }
        let result = self.expression_inner(rbp);
        self.depth -= 1;
        result
    }

    fn expression_inner(&mut self, rbp: u8) -> Result<(Condition, usize), String> {
        let token = std::mem::replace(&mut self.current, IfToken::End);
        self.current = self.next();
        let (mut left, mut depth) = self.nud(token)?;
        while rbp < self.current.lbp() {
            let token = std::mem::replace(&mut self.current, IfToken::End);
            self.current = self.next();
            let IfToken::Infix(op, _) = token else {
                return Err(format!(
                    "Not expecting '{}' as infix operator in if tag.",
                    token.display()
                ));
            };
            let bp = IfToken::Infix(op, "").lbp();
            let (right, right_depth) = self.expression(bp)?;
            // A chain that grows keeps its depth; a new node is one level above its operands.
            let (node, grows) = match (op, left) {
                (Op::Or, Condition::Any(mut operands)) => {
                    operands.push(right);
                    (Condition::Any(operands), true)
                }
                (Op::And, Condition::All(mut operands)) => {
                    operands.push(right);
                    (Condition::All(operands), true)
                }
                (Op::Or, left) => (Condition::Any(vec![left, right]), false),
                (Op::And, left) => (Condition::All(vec![left, right]), false),
                (op, left) => (
                    Condition::Binary(op, Box::new(left), Box::new(right)),
                    false,
                ),
            };
            left = node;
            depth = if grows {
                depth.max(right_depth + 1)
            } else {
                depth.max(right_depth) + 1
            };
            if depth > MAX_EXPRESSION_DEPTH {
                return Err(format!(
                    "if expression too deeply nested (more than {MAX_EXPRESSION_DEPTH} levels)"
                ));
            }
        }
        Ok((left, depth))
    }

    fn nud(&mut self, token: IfToken) -> Result<(Condition, usize), String> {
        match token {
            IfToken::Literal(expr, _) => Ok((Condition::Literal(expr), 1)),
            IfToken::Not => {
                let (inner, depth) = self.expression(8)?;
                Ok((Condition::Not(Box::new(inner)), depth + 1))
            }
            IfToken::End => Err("Unexpected end of expression in if tag.".into()),
            other => Err(format!(
                "Not expecting '{}' in this position in if tag.",
                other.display()
            )),
        }
    }
}

impl Condition {
    /// Parses the words after `if`/`elif` (from `split_contents`).
    pub(crate) fn parse(bits: &[String]) -> Result<Condition, String> {
        let mut mapped = Vec::new();
        let mut i = 0;
        while i < bits.len() {
            let mut text = bits[i].clone();
            if text == "is" && bits.get(i + 1).is_some_and(|b| b == "not") {
                text = "is not".into();
                i += 1;
            } else if text == "not" && bits.get(i + 1).is_some_and(|b| b == "in") {
                text = "not in".into();
                i += 1;
            }
            mapped.push(match operator(&text) {
                Some(op) => op,
                None => IfToken::Literal(FilterExpr::parse(&text)?, text),
            });
            i += 1;
        }
        let mut parser = IfParser {
            tokens: mapped.into_iter(),
            current: IfToken::End,
            depth: 0,
        };
        parser.current = parser.next();
        let (condition, _) = parser.expression(0)?;
        if parser.current != IfToken::End {
            return Err(format!(
                "Unused '{}' at end of if expression.",
                parser.current.display()
            ));
        }
        Ok(condition)
    }

    /// Evaluates as smartif does: the infix operators turn any Python exception into False.
    /// Whether the condition holds: `eval(scope)?.truthy()`, but a bare name is looked at where
    /// it is, not copied.
    pub(crate) fn truthy(&self, scope: &Scope) -> Result<bool, Failure> {
        if let Condition::Literal(expr) = self {
            if let Some(value) = expr.plain_name().and_then(|name| scope.get_ref(name)) {
                return Ok(value.truthy());
            }
        }
        self.eval(scope).map(|v| v.truthy())
    }

    pub(crate) fn eval(&self, scope: &Scope) -> Result<Value, Failure> {
        match self {
            Condition::Literal(expr) => expr.resolve(scope, true),
            Condition::Not(inner) => match inner.eval(scope) {
                Err(Failure::Unsupported(what)) => Err(Failure::Unsupported(what)),
                Err(_) => Ok(Value::Bool(false)),
                Ok(v) => Ok(Value::Bool(!v.truthy())),
            },
            Condition::Any(operands) => Self::chain(operands, scope, Value::truthy),
            Condition::All(operands) => Self::chain(operands, scope, |v| !v.truthy()),
            Condition::Binary(op, left, right) => match self.binary(*op, left, right, scope) {
                Err(Failure::Unsupported(what)) => Err(Failure::Unsupported(what)),
                Err(_) => Ok(Value::Bool(false)),
                Ok(v) => Ok(v),
            },
        }
    }

    /// Python's `a or b or ...` (`stop` = truthy) or `a and b and ...` (`stop` = falsy): the
    /// first operand that stops the chain, else the last; exactly as the left-leaning tree of
    /// smartif's binary nodes evaluates, where a node whose left operand raises is False
    /// (without evaluating its right one) and a node whose right operand raises is False.
    fn chain(
        operands: &[Condition],
        scope: &Scope,
        stop: fn(&Value) -> bool,
    ) -> Result<Value, Failure> {
        let swallow = |result: Result<Value, Failure>| match result {
            Err(Failure::Unsupported(what)) => Err(Failure::Unsupported(what)),
            Err(_) => Ok(None),
            Ok(v) => Ok(Some(v)),
        };
        let Some((first, rest)) = operands.split_first() else {
            return Ok(Value::Bool(false));
        };
        let (mut value, rest) = match swallow(first.eval(scope))? {
            Some(v) => (v, rest),
            None => (Value::Bool(false), rest.get(1..).unwrap_or(&[])),
        };
        for operand in rest {
            if stop(&value) {
                break;
            }
            value = swallow(operand.eval(scope))?.unwrap_or(Value::Bool(false));
        }
        Ok(value)
    }

    fn binary(
        &self,
        op: Op,
        left: &Condition,
        right: &Condition,
        scope: &Scope,
    ) -> Result<Value, Failure> {
        use std::cmp::Ordering::*;
        let x = left.eval(scope)?;
        let y = right.eval(scope)?;
        let b = match op {
            Op::In => x.py_in(&y)?,
            Op::NotIn => !x.py_in(&y)?,
            Op::Is => x.py_is(&y)?,
            Op::IsNot => !x.py_is(&y)?,
            Op::Eq => x.py_eq(&y),
            Op::Ne => !x.py_eq(&y),
            Op::Gt => x.py_cmp(&y)? == Greater,
            Op::Ge => x.py_cmp(&y)? != Less,
            Op::Lt => x.py_cmp(&y)? == Less,
            Op::Le => x.py_cmp(&y)? != Greater,
            Op::Or | Op::And => {
                return Err(Failure::Unsupported(
                    "internal: or/and as a binary node".into(),
                ))
            }
        };
        Ok(Value::Bool(b))
    }
}

/// `Token.split_contents`: `smart_split`, with a translated string (`_("a b")`) kept whole.
pub(crate) fn split_contents(contents: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut bits = smart_split(contents).into_iter();
    while let Some(mut bit) = bits.next() {
        if bit.starts_with("_(\"") || bit.starts_with("_('") {
            let sentinel = format!("{})", &bit[2..3]);
            let mut parts = vec![bit.clone()];
            while !bit.ends_with(&sentinel) {
                match bits.next() {
                    Some(next) => {
                        bit = next;
                        parts.push(bit.clone());
                    }
                    None => {
                        return Err(format!(
                            "an unterminated translated string ({})",
                            parts.join(" ")
                        ))
                    }
                }
            }
            bit = parts.join(" ");
        }
        out.push(bit);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn filter_expressions() {
        let e = FilterExpr::parse(r#"project_name|default:"x y"|upper"#).unwrap();
        assert_eq!(e.operand, Operand::Lookup(vec!["project_name".into()]));
        assert_eq!(
            e.filters[0],
            (
                "default".into(),
                Some(Operand::Literal(Value::Safe("x y".into())))
            )
        );
        assert_eq!(
            FilterExpr::parse("1.5").unwrap().operand,
            Operand::Literal(Value::Float(1.5))
        );
        assert_eq!(
            FilterExpr::parse("-3").unwrap().operand,
            Operand::Literal(Value::Int(-3))
        );
        assert_eq!(
            FilterExpr::parse(r"'it\'s'").unwrap().operand,
            Operand::Literal(Value::Safe("it's".into()))
        );
        assert!(FilterExpr::parse("a|lower:1").is_err());
        assert!(FilterExpr::parse("a|default").is_err());
        assert!(FilterExpr::parse("a|nosuch")
            .unwrap_err()
            .contains("Invalid filter"));
        assert!(FilterExpr::parse("a|pprint")
            .unwrap_err()
            .contains("not supported"));
        assert!(FilterExpr::parse("a b").unwrap_err().contains("remainder"));
        assert!(FilterExpr::parse("_a").unwrap_err().contains("underscores"));
        assert!(FilterExpr::parse("|a").is_err());
    }

    #[test]
    fn if_precedence_as_smartif() {
        // not binds tighter than and, and tighter than or.
        let c = Condition::parse(&words("a or b and not c")).unwrap();
        let Condition::Any(operands) = c else {
            panic!("{c:?}")
        };
        assert!(matches!(operands[1], Condition::All(_)));
        // Chains are flat, however long.
        let long = Condition::parse(&words(&["a"; 1000].join(" or "))).unwrap();
        assert!(matches!(long, Condition::Any(ref v) if v.len() == 1000));
        assert!(Condition::parse(&words("a =="))
            .unwrap_err()
            .contains("end of expression"));
        assert!(Condition::parse(&words("a b"))
            .unwrap_err()
            .contains("Unused"));
        assert!(Condition::parse(&words("and a"))
            .unwrap_err()
            .contains("Not expecting"));
        assert!(Condition::parse(&words("a not b"))
            .unwrap_err()
            .contains("infix"));
        assert!(matches!(
            Condition::parse(&words("a not in b")).unwrap(),
            Condition::Binary(Op::NotIn, _, _)
        ));
    }
}
