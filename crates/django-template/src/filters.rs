//! The built-in filters of `django.template.defaultfilters`, each with Django's algorithm, its
//! `is_safe` and `needs_autoescape` behaviour; the few that cannot render on plain data (or
//! that are not implemented) are refused by name instead of rendering something else.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

use crate::python::{is_python_space, python_title, quote};
use crate::value::{Failure, Value};

/// How many arguments (besides the value) a filter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    None,
    One,
    /// One, or none for the default.
    Optional,
}

/// What a filter may need besides its value and argument.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FilterContext<'a> {
    pub autoescape: bool,
    /// Largest value a filter may build (padding, repetition), in bytes.
    pub max_size: u64,
    /// The active language's formats and messages.
    pub locale: &'a crate::locale::Locale,
}

/// Filters Django registers that scaffold refuses, with the reason.
fn refused(name: &str) -> Option<&'static str> {
    Some(match name {
        "pprint" => "it follows Python's pprint layout, which is not implemented",
        _ => return None,
    })
}

/// The arity of a filter scaffold implements; `Err` with a message for any other name.
pub(crate) fn arity(name: &str) -> Result<Arity, String> {
    if let Some(why) = refused(name) {
        return Err(format!(
            "the filter '{name}' is not supported by scaffold: {why}"
        ));
    }
    Ok(match name {
        "lower" | "upper" | "title" | "capfirst" | "slugify" | "length" | "safe" | "first"
        | "last" | "addslashes" | "escapejs" | "iriencode" | "linenumbers" | "make_list"
        | "wordcount" | "escape" | "escapeseq" | "force_escape" | "linebreaks" | "linebreaksbr"
        | "safeseq" | "striptags" | "unordered_list" | "filesizeformat" | "phone2numeric" => {
            Arity::None
        }
        "random" => Arity::None,
        "default" | "default_if_none" | "cut" | "join" | "truncatechars" | "truncatewords"
        | "wordwrap" | "ljust" | "rjust" | "center" | "slice" | "add" | "get_digit"
        | "divisibleby" | "stringformat" | "dictsort" | "dictsortreversed" => Arity::One,
        "truncatechars_html" | "truncatewords_html" => Arity::One,
        "json_script" => Arity::Optional,
        "floatformat" | "urlencode" | "date" | "time" | "yesno" | "pluralize" | "timesince"
        | "timeuntil" => Arity::Optional,
        "urlize" => Arity::None,
        "urlizetrunc" => Arity::One,
        _ if DJANGO_FILTERS.contains(&name) => {
            return Err(format!("the filter '{name}' is not supported by scaffold"))
        }
        _ => return Err(format!("Invalid filter: '{name}'")),
    })
}

/// Filters registered with `is_safe=True`: a safe input gives a safe output.
const IS_SAFE: &[&str] = &[
    "addslashes",
    "capfirst",
    "floatformat",
    "iriencode",
    "linenumbers",
    "lower",
    "slugify",
    "stringformat",
    "title",
    "truncatechars",
    "truncatewords",
    "truncatechars_html",
    "truncatewords_html",
    "wordwrap",
    "ljust",
    "rjust",
    "center",
    "escape",
    "escapeseq",
    "force_escape",
    "linebreaks",
    "linebreaksbr",
    "safe",
    "safeseq",
    "striptags",
    "join",
    "last",
    "slice",
    "unordered_list",
    "filesizeformat",
    "phone2numeric",
    "random",
];

/// Django's `mark_safe`.
pub(crate) fn mark_safe(value: Value) -> Value {
    match value {
        Value::Str(s) => Value::Safe(s),
        Value::Safe(s) => Value::Safe(s),
        other => Value::Safe(other.to_python_str()),
    }
}

/// `html.escape` as Django's `escape` uses it.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Django's `conditional_escape`: a safe string as it is, anything else escaped and marked safe.
pub(crate) fn conditional_escape(value: &Value) -> String {
    match value {
        Value::Safe(s) => s.clone(),
        other => escape(&other.to_python_str()),
    }
}

fn type_error(what: impl Into<String>) -> Failure {
    Failure::Python(what.into())
}

/// Python's `int(value)`.
pub(crate) fn py_int(value: &Value) -> Result<i64, Failure> {
    match value {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Float(f) if f.is_finite() => {
            let t = f.trunc();
            if t.abs() < 9.2e18 {
                Ok(t as i64)
            } else {
                Err(Failure::Unsupported(format!("the integer {t}")))
            }
        }
        Value::Float(_) => Err(type_error("cannot convert float to integer")),
        Value::Str(s) | Value::Safe(s) => {
            let t = s.trim_matches(is_python_space);
            let (neg, digits) = match t.strip_prefix('-') {
                Some(d) => (true, d),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let valid = !digits.is_empty()
                && !digits.starts_with('_')
                && !digits.ends_with('_')
                && !digits.contains("__")
                && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
            if !valid {
                return Err(Failure::Python(format!(
                    "ValueError: invalid literal for int() with base 10: {}",
                    crate::python::str_repr(s)
                )));
            }
            let clean: String = digits.chars().filter(|c| *c != '_').collect();
            let n: i64 = clean
                .parse()
                .map_err(|_| Failure::Unsupported(format!("the integer {t}")))?;
            Ok(if neg { -n } else { n })
        }
        other => Err(type_error(format!(
            "TypeError: int() argument must be a string, a bytes-like object or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

/// Python's `float(value)`.
pub(crate) fn py_float(value: &Value) -> Result<f64, Failure> {
    match value {
        Value::Int(i) => Ok(*i as f64),
        Value::Bool(b) => Ok(f64::from(u8::from(*b))),
        Value::Float(f) => Ok(*f),
        Value::Str(s) | Value::Safe(s) => {
            let t = s.trim_matches(is_python_space);
            let lower = t.to_ascii_lowercase();
            let ok_chars = lower
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-' | '_'))
                || matches!(
                    lower.trim_start_matches(['+', '-']),
                    "inf" | "infinity" | "nan"
                );
            let clean: String = t.chars().filter(|c| *c != '_').collect();
            match clean.parse::<f64>() {
                Ok(f) if ok_chars && !t.is_empty() => Ok(f),
                _ => Err(Failure::Python(format!(
                    "ValueError: could not convert string to float: {}",
                    crate::python::str_repr(s)
                ))),
            }
        }
        other => Err(type_error(format!(
            "TypeError: float() argument must be a string or a real number, not '{}'",
            other.type_name()
        ))),
    }
}

/// Applies filter `name` (already checked by [`arity`]) to `value`, with Django's `is_safe`
/// rule: a safe input to an `is_safe` filter gives a safe output.
pub(crate) fn apply(
    name: &str,
    value: Value,
    arg: Option<Value>,
    cx: &FilterContext,
) -> Result<Value, Failure> {
    let was_safe = value.is_safe();
    let out = apply_inner(name, value, arg, cx)?;
    Ok(if was_safe && IS_SAFE.contains(&name) {
        mark_safe(out)
    } else {
        out
    })
}

/// `@stringfilter`: the value as `str()`.
fn text(value: &Value) -> String {
    value.to_python_str()
}

/// About what one small value costs in memory (the value and its allocation).
pub(crate) const VALUE_COST: u64 = 64;

fn check_size(n: u64, cx: &FilterContext) -> Result<(), Failure> {
    if n > cx.max_size {
        return Err(Failure::Unsupported(format!(
            "a value of {n} bytes (more than the output limit)"
        )));
    }
    Ok(())
}

fn apply_inner(
    name: &str,
    value: Value,
    arg: Option<Value>,
    cx: &FilterContext,
) -> Result<Value, Failure> {
    let has_arg = arg.is_some();
    let arg = arg.unwrap_or(Value::None);
    let s = |v: String| Value::Str(v);
    if matches!(name, "truncatechars" | "truncatechars_html") {
        // Truncator's default truncation text is translated; the engine writes Django's own.
        let default = "%(truncated_text)s\u{2026}";
        let text = cx
            .locale
            .gettext(Some("String to return when truncating text"), default);
        if text != default {
            return Err(Failure::Unsupported(format!(
                "{name} in a language whose truncation text is '{text}'"
            )));
        }
    }
    Ok(match name {
        "lower" => s(text(&value).to_lowercase()),
        "upper" => s(text(&value).to_uppercase()),
        "title" => s(django_title(&text(&value))),
        "capfirst" => {
            let t = text(&value);
            let mut chars = t.chars();
            match chars.next() {
                Some(first) => s(first.to_uppercase().chain(chars).collect()),
                None => s(t),
            }
        }
        "slugify" => s(slugify(&text(&value))),
        "safe" => mark_safe(s(text(&value))),
        "safeseq" => Value::List(value.iterate()?.into_iter().map(mark_safe).collect()),
        "escape" => Value::Safe(conditional_escape(&s(text(&value)).or_safe(&value))),
        "force_escape" => Value::Safe(escape(&text(&value))),
        "escapeseq" => Value::List(
            value
                .iterate()?
                .iter()
                .map(|v| Value::Safe(conditional_escape(v)))
                .collect(),
        ),
        "length" => Value::Int(value.py_len().map_or(0, |n| n as i64)),
        "default" => {
            if value.truthy() {
                value
            } else {
                arg
            }
        }
        "default_if_none" => {
            if value == Value::None {
                arg
            } else {
                value
            }
        }
        "cut" => {
            let safe = value.is_safe();
            let a = text(&arg);
            let out = text(&value).replace(&a, "");
            if safe && a != ";" {
                Value::Safe(out)
            } else {
                s(out)
            }
        }
        "join" => join(value, &arg, cx.autoescape)?,
        "first" => value.index(0).or_else(index_error_is_empty)?,
        "last" => value.index(-1).or_else(index_error_is_empty)?,
        "addslashes" => s(text(&value)
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\'', "\\'")),
        "escapejs" => Value::Safe(escapejs(&text(&value))),
        "urlize" | "urlizetrunc" => {
            let limit = if name == "urlizetrunc" {
                Some(py_int(&arg)?)
            } else {
                None
            };
            let t = text(&value);
            Value::Safe(crate::urlize::urlize(
                &t,
                value.is_safe(),
                limit,
                true,
                cx.autoescape,
                cx.max_size,
            )?)
        }
        "iriencode" => s(quote(&text(&value), "/#%[]=:;$&()+,!?*@'~")),
        "urlencode" => {
            let safe = if has_arg { text(&arg) } else { "/".into() };
            s(quote(&text(&value), &safe))
        }
        "linenumbers" => Value::Safe(linenumbers(&value, cx.autoescape)),
        "make_list" => {
            // A value per character: bounded like the output, at its in-memory size.
            check_size(value.py_len().unwrap_or(0) as u64 * VALUE_COST, cx)?;
            Value::List(
                text(&value)
                    .chars()
                    .map(|c| Value::Str(c.to_string()))
                    .collect(),
            )
        }
        "wordcount" => Value::Int(
            text(&value)
                .split(is_python_space)
                .filter(|w| !w.is_empty())
                .count() as i64,
        ),
        "linebreaks" => {
            let autoescape = cx.autoescape && !value.is_safe();
            Value::Safe(linebreaks(&text(&value), autoescape))
        }
        "linebreaksbr" => {
            let autoescape = cx.autoescape && !value.is_safe();
            let t = normalize_newlines(&text(&value));
            let t = if autoescape { escape(&t) } else { t };
            Value::Safe(t.replace('\n', "<br>"))
        }
        "striptags" => s(crate::htmltext::strip_tags(&text(&value))?),
        "truncatechars" => {
            let t = text(&value);
            match py_int(&arg) {
                Ok(n) => s(truncate_chars(&t, n)),
                Err(Failure::Python(_)) => value_as_str(value),
                Err(other) => return Err(other),
            }
        }
        "truncatewords" => {
            let t = text(&value);
            match py_int(&arg) {
                Ok(n) => s(truncate_words(&t, n)),
                Err(Failure::Python(_)) => value_as_str(value),
                Err(other) => return Err(other),
            }
        }
        "truncatechars_html" | "truncatewords_html" => match py_int(&arg) {
            Ok(n) => s(crate::htmltext::truncate_html(
                &text(&value),
                n,
                name == "truncatewords_html",
            )?),
            Err(Failure::Python(_)) => value_as_str(value),
            Err(other) => return Err(other),
        },
        "random" => {
            // random.choice(value): seq[randbelow(len(seq))], "" on IndexError.
            let n = value.py_len().map_err(|_| {
                Failure::Python(format!(
                    "TypeError: object of type '{}' has no len()",
                    value.type_name()
                ))
            })?;
            if n == 0 {
                return Ok(s(String::new()));
            }
            if let Value::Map(_) = value {
                return Err(Failure::Python("KeyError".into()));
            }
            let i = crate::osrandom::OsRandom::new().below(n)?;
            value.index(i as i64)?
        }
        "json_script" => {
            let out = crate::json::json_script(&value, has_arg.then_some(&arg))?;
            check_size(out.len() as u64, cx)?;
            Value::Safe(out)
        }
        "wordwrap" => {
            let width = py_int(&arg)?;
            if width <= 0 {
                return Err(Failure::Python(format!(
                    "ValueError: invalid width {width} (must be > 0)"
                )));
            }
            s(wrap(&text(&value), width as usize))
        }
        "ljust" | "rjust" | "center" => {
            let t = text(&value);
            let width = py_int(&arg)?;
            let len = t.chars().count() as i64;
            if width <= len {
                s(t)
            } else {
                check_size(width as u64, cx)?;
                let pad = (width - len) as usize;
                let (left, right) = match name {
                    "ljust" => (0, pad),
                    "rjust" => (pad, 0),
                    _ => {
                        let left = pad / 2 + (pad & width as usize & 1);
                        (left, pad - left)
                    }
                };
                s(format!("{}{t}{}", " ".repeat(left), " ".repeat(right)))
            }
        }
        "slice" => slice(value, &arg)?,
        "unordered_list" => Value::Safe(unordered_list(&value, 1, cx.autoescape)?),
        "add" => add(value, arg, cx)?,
        "get_digit" => {
            let (Ok(a), Ok(v)) = (py_int(&arg), py_int(&value)) else {
                return Ok(value);
            };
            if a < 1 {
                return Ok(value);
            }
            let digits = v.to_string();
            let chars: Vec<char> = digits.chars().collect();
            match (chars.len() as i64).checked_sub(a) {
                Some(i) if i >= 0 => {
                    let c = chars[i as usize];
                    match c.to_digit(10) {
                        Some(d) => Value::Int(i64::from(d)),
                        None => {
                            return Err(Failure::Python(
                                "ValueError: invalid literal for int() with base 10: '-'".into(),
                            ))
                        }
                    }
                }
                _ => Value::Int(0),
            }
        }
        "divisibleby" => {
            let (v, a) = (py_int(&value)?, py_int(&arg)?);
            if a == 0 {
                return Err(Failure::Python(
                    "ZeroDivisionError: integer modulo by zero".into(),
                ));
            }
            Value::Bool(v.rem_euclid(a) == 0)
        }
        "yesno" => {
            let spec = if has_arg {
                text(&arg)
            } else {
                cx.locale.gettext(None, "yes,no,maybe").to_owned()
            };
            let bits: Vec<&str> = spec.split(',').collect();
            if bits.len() < 2 {
                return Ok(value);
            }
            let (yes, no, maybe) = if bits.len() == 3 {
                (bits[0], bits[1], bits[2])
            } else {
                (bits[0], bits[1], bits[1])
            };
            s(if value == Value::None {
                maybe
            } else if value.truthy() {
                yes
            } else {
                no
            }
            .to_owned())
        }
        "pluralize" => {
            let spec = if has_arg { text(&arg) } else { "s".into() };
            let spec = if spec.contains(',') {
                spec
            } else {
                format!(",{spec}")
            };
            let bits: Vec<&str> = spec.split(',').collect();
            if bits.len() > 2 {
                return Ok(s(String::new()));
            }
            let (singular, plural) = (bits[0], bits[1]);
            let pick = |one: bool| s(if one { singular } else { plural }.to_owned());
            match &value {
                Value::Int(_)
                | Value::Float(_)
                | Value::Bool(_)
                | Value::Str(_)
                | Value::Safe(_) => match py_float(&value) {
                    Ok(f) => pick(f == 1.0),
                    Err(_) => s(String::new()),
                },
                Value::List(_)
                | Value::Tuple(_)
                | Value::Map(_)
                | Value::Grouped(_)
                | Value::View(..) => pick(value.py_len()? == 1),
                Value::None => s(String::new()),
            }
        }
        "filesizeformat" => s(filesizeformat(&value, cx.locale)),
        "phone2numeric" => {
            let Some(t) = value.as_str() else {
                return Err(Failure::Python(format!(
                    "AttributeError: '{}' object has no attribute 'lower'",
                    value.type_name()
                )));
            };
            s(t.to_lowercase()
                .chars()
                .map(|c| match c {
                    'a' | 'b' | 'c' => '2',
                    'd' | 'e' | 'f' => '3',
                    'g' | 'h' | 'i' => '4',
                    'j' | 'k' | 'l' => '5',
                    'm' | 'n' | 'o' => '6',
                    'p' | 'q' | 'r' | 's' => '7',
                    't' | 'u' | 'v' => '8',
                    'w' | 'x' | 'y' | 'z' => '9',
                    other => other,
                })
                .collect())
        }
        "stringformat" => match crate::format::percent(&text(&arg), &value) {
            Ok(out) => s(out),
            Err(Failure::Python(_)) => s(String::new()),
            Err(other) => return Err(other),
        },
        "floatformat" => {
            crate::format::floatformat(&value, if has_arg { Some(&arg) } else { None }, cx)?
        }
        "date" | "time" => {
            // A plain-data value is never a date: Django's `date` then formats nothing, and
            // any format character fails on the value (AttributeError), giving "".
            if value == Value::None || value.as_str() == Some("") {
                return Ok(s(String::new()));
            }
            let format = if has_arg { text(&arg) } else { String::new() };
            let format = if !has_arg || format.is_empty() {
                if name == "date" {
                    "DATE_FORMAT"
                } else {
                    "TIME_FORMAT"
                }
            } else {
                &format
            };
            let format = cx.locale.date_format(format);
            let literal = crate::date::literal_only(format);
            s(literal.unwrap_or_default())
        }
        "dictsort" | "dictsortreversed" => dictsort(value, &arg, name == "dictsortreversed")?,
        // `if not value: return ""`; any other value must be a date, which plain data is not.
        "timesince" | "timeuntil" if !value.truthy() => s(String::new()),
        "timesince" | "timeuntil" => {
            return Err(Failure::Unsupported(format!(
                "{name} on a value that is not a date"
            )))
        }
        other => return Err(Failure::Unsupported(format!("the filter '{other}'"))),
    })
}

trait OrSafe {
    fn or_safe(self, original: &Value) -> Value;
}

impl OrSafe for Value {
    /// Keeps the safeness of `original` on a stringified copy.
    fn or_safe(self, original: &Value) -> Value {
        if original.is_safe() {
            mark_safe(self)
        } else {
            self
        }
    }
}

/// `truncatechars` keeps the value itself (not its `str()`) when the argument is not a number.
fn value_as_str(value: Value) -> Value {
    match value {
        Value::Safe(_) | Value::Str(_) => value,
        other => Value::Str(other.to_python_str()),
    }
}

/// `first`/`last` turn an IndexError into "" but let a TypeError through.
fn index_error_is_empty(failure: Failure) -> Result<Value, Failure> {
    match failure {
        Failure::Python(m) if m.contains("out of range") => Ok(Value::str("")),
        other => Err(other),
    }
}

/// `join`: `arg.join(value)` (each item and the separator conditionally escaped when
/// autoescape is on), the value itself when that raises TypeError.
fn join(value: Value, arg: &Value, autoescape: bool) -> Result<Value, Failure> {
    let Some(separator) = arg.as_str() else {
        return Err(Failure::Unsupported(
            "join with a separator that is not a string".into(),
        ));
    };
    let items = match &value {
        Value::Str(_)
        | Value::Safe(_)
        | Value::List(_)
        | Value::Tuple(_)
        | Value::Map(_)
        | Value::Grouped(_)
        | Value::View(..) => value.iterate()?,
        _ => return Ok(value),
    };
    let mut parts = Vec::with_capacity(items.len());
    if autoescape {
        for item in &items {
            parts.push(conditional_escape(item));
        }
        return Ok(Value::Safe(parts.join(&conditional_escape(arg))));
    }
    for item in items {
        match item {
            Value::Str(s) | Value::Safe(s) => parts.push(s),
            _ => return Ok(value),
        }
    }
    Ok(Value::Safe(parts.join(separator)))
}

fn escapejs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '\'' | '"' | '>' | '<' | '&' | '=' | '-' | ';' | '`' | '\u{2028}'
            | '\u{2029}' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if (c as u32) < 32 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

fn linenumbers(value: &Value, autoescape: bool) -> String {
    let t = text(value);
    let lines: Vec<&str> = t.split('\n').collect();
    let width = lines.len().to_string().len();
    let escape_lines = autoescape && !value.is_safe();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let line = if escape_lines {
                escape(line)
            } else {
                (*line).to_owned()
            };
            format!("{:0width$}. {line}", i + 1)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `django.utils.html.linebreaks`.
fn linebreaks(value: &str, autoescape: bool) -> String {
    let value = normalize_newlines(value);
    let mut paras = Vec::new();
    let mut rest = value.as_str();
    // re.split("\n{2,}", value)
    loop {
        match rest.find("\n\n") {
            Some(i) => {
                paras.push(&rest[..i]);
                rest = rest[i..].trim_start_matches('\n');
            }
            None => {
                paras.push(rest);
                break;
            }
        }
    }
    paras
        .iter()
        .map(|p| {
            let p = if autoescape {
                escape(p)
            } else {
                (*p).to_owned()
            };
            format!("<p>{}</p>", p.replace('\n', "<br>"))
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn is_combining(c: char) -> bool {
    canonical_combining_class(c) != 0
}

/// `Truncator(text).chars(length)` with the default "…".
fn truncate_chars(text: &str, length: i64) -> String {
    if length <= 0 {
        return String::new();
    }
    let text: String = text.nfc().collect();
    let length = length as u64;
    let truncate_len = length - 1;
    let mut s_len = 0u64;
    let mut end_index: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if is_combining(c) {
            continue;
        }
        s_len += 1;
        if end_index.is_none() && s_len > truncate_len {
            end_index = Some(i);
        }
        if s_len > length {
            return format!("{}…", &text[..end_index.unwrap_or(0)]);
        }
    }
    text
}

/// `Truncator(text).words(length, truncate=" …")`.
fn truncate_words(text: &str, length: i64) -> String {
    if length <= 0 {
        return String::new();
    }
    let words: Vec<&str> = text
        .split(is_python_space)
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() as u64 > length as u64 {
        let joined = words[..length as usize].join(" ");
        if joined.ends_with(" …") {
            return joined;
        }
        return format!("{joined} …");
    }
    words.join(" ")
}

/// Python's `str.splitlines()`.
fn splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if is_break {
            lines.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Python's `str.expandtabs(8)`.
fn expand_tabs(line: &str) -> String {
    let mut out = String::new();
    let mut col = 0;
    for c in line.chars() {
        if c == '\t' {
            let n = 8 - col % 8;
            out.push_str(&" ".repeat(n));
            col += n;
        } else {
            out.push(c);
            col = if c == '\n' || c == '\r' { 0 } else { col + 1 };
        }
    }
    out
}

/// `django.utils.text.wrap`: `textwrap.TextWrapper(width, break_long_words=False,
/// break_on_hyphens=False, replace_whitespace=False)` on each line.
fn wrap(text: &str, width: usize) -> String {
    let mut result: Vec<String> = Vec::new();
    for line in splitlines(text) {
        let wrapped = wrap_line(&expand_tabs(line), width);
        if wrapped.is_empty() {
            result.push(line.to_owned());
        } else {
            result.extend(wrapped);
        }
    }
    if text.ends_with('\n') {
        result.push(String::new());
    }
    result.join("\n")
}

fn wrap_line(text: &str, width: usize) -> Vec<String> {
    let ascii_space = |c: char| matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ');
    // wordsep_simple_re.split: alternating words and runs of ASCII whitespace, empties dropped.
    let mut chunks: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let sp = ascii_space(c);
        if in_space != Some(sp) {
            if i > start {
                chunks.push(&text[start..i]);
            }
            start = i;
            in_space = Some(sp);
        }
    }
    if start < text.len() {
        chunks.push(&text[start..]);
    }
    let blank = |s: &str| s.trim_matches(is_python_space).is_empty();
    let len = |s: &str| s.chars().count();
    chunks.reverse();
    let mut lines = Vec::new();
    while !chunks.is_empty() {
        let mut cur: Vec<&str> = Vec::new();
        let mut cur_len = 0;
        if chunks.last().is_some_and(|c| blank(c)) && !lines.is_empty() {
            chunks.pop();
        }
        while let Some(&chunk) = chunks.last() {
            let l = len(chunk);
            if cur_len + l <= width {
                cur.push(chunk);
                cur_len += l;
                chunks.pop();
            } else {
                break;
            }
        }
        if chunks.last().is_some_and(|c| len(c) > width) && cur.is_empty() {
            if let Some(chunk) = chunks.pop() {
                cur.push(chunk);
            }
        }
        if cur.last().is_some_and(|c| blank(c)) {
            cur.pop();
        }
        if !cur.is_empty() {
            lines.push(cur.concat());
        }
    }
    lines
}

/// Python's slice indices for `len` and optional start, stop, step.
fn slice_indices(len: i64, start: Option<i64>, stop: Option<i64>, step: i64) -> Vec<usize> {
    let clamp = |v: Option<i64>, default: i64, low: i64, high: i64| match v {
        None => default,
        Some(v) if v < 0 => (v + len).max(low),
        Some(v) => v.min(high),
    };
    let mut out = Vec::new();
    if step > 0 {
        let (a, b) = (clamp(start, 0, 0, len), clamp(stop, len, 0, len));
        let mut i = a;
        while i < b {
            out.push(i as usize);
            i += step;
        }
    } else {
        let (a, b) = (
            clamp(start, len - 1, -1, len - 1),
            clamp(stop, -1, -1, len - 1),
        );
        let mut i = a;
        while i > b {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// `slice`: `value[slice(*bits)]`, the value itself on ValueError, TypeError or KeyError.
fn slice(value: Value, arg: &Value) -> Result<Value, Failure> {
    let spec = text(arg);
    let mut bits = Vec::new();
    for x in spec.split(':') {
        if x.is_empty() {
            bits.push(None);
        } else {
            match py_int(&Value::str(x)) {
                Ok(i) => bits.push(Some(i)),
                Err(Failure::Python(_)) => return Ok(value),
                Err(other) => return Err(other),
            }
        }
    }
    let (start, stop, step) = match bits.as_slice() {
        [stop] => (None, *stop, None),
        [start, stop] => (*start, *stop, None),
        [start, stop, step] => (*start, *stop, *step),
        _ => return Ok(value),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Ok(value);
    }
    match &value {
        Value::Str(t) | Value::Safe(t) => {
            let chars: Vec<char> = t.chars().collect();
            let picked: String = slice_indices(chars.len() as i64, start, stop, step)
                .into_iter()
                .map(|i| chars[i])
                .collect();
            Ok(Value::Str(picked))
        }
        Value::List(items) => Ok(Value::List(
            slice_indices(items.len() as i64, start, stop, step)
                .into_iter()
                .map(|i| items[i].clone())
                .collect(),
        )),
        // A tuple's slice, and a namedtuple's, is a plain tuple.
        Value::Tuple(_) | Value::Grouped(_) => {
            let items = value.iterate()?;
            Ok(Value::Tuple(
                slice_indices(items.len() as i64, start, stop, step)
                    .into_iter()
                    .map(|i| items[i].clone())
                    .collect(),
            ))
        }
        // dict[slice] is a KeyError (TypeError before 3.12); numbers are not subscriptable.
        _ => Ok(value),
    }
}

/// `add`: integer addition when both convert, else Python's `+`, else "".
fn add(value: Value, arg: Value, cx: &FilterContext) -> Result<Value, Failure> {
    if let (Ok(a), Ok(b)) = (py_int(&value), py_int(&arg)) {
        return a
            .checked_add(b)
            .map(Value::Int)
            .ok_or_else(|| Failure::Unsupported("integers beyond 64 bits".into()));
    }
    let out = match (&value, &arg) {
        (Value::Float(_), _) | (_, Value::Float(_)) => {
            match (value.plain().as_ref(), arg.plain().as_ref()) {
                (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                (Value::Float(a), Value::Int(b)) | (Value::Int(b), Value::Float(a)) => {
                    Value::Float(a + *b as f64)
                }
                (Value::Float(a), Value::Bool(b)) | (Value::Bool(b), Value::Float(a)) => {
                    Value::Float(a + f64::from(u8::from(*b)))
                }
                _ => Value::str(""),
            }
        }
        (a, b) if a.as_str().is_some() && b.as_str().is_some() => {
            let (a, b) = (a.as_str().unwrap_or(""), b.as_str().unwrap_or(""));
            check_size((a.len() + b.len()) as u64, cx)?;
            // SafeString + SafeString stays safe.
            if value.is_safe() && arg.is_safe() {
                Value::Safe(format!("{a}{b}"))
            } else {
                Value::Str(format!("{a}{b}"))
            }
        }
        // tuple + tuple (a namedtuple being a tuple) is a plain tuple.
        (Value::Tuple(_) | Value::Grouped(_), Value::Tuple(_) | Value::Grouped(_)) => {
            let (a, b) = (value.iterate()?, arg.iterate()?);
            check_size((a.len() + b.len()) as u64, cx)?;
            Value::Tuple(a.into_iter().chain(b).collect())
        }
        (Value::List(a), Value::List(b)) => {
            check_size((a.len() + b.len()) as u64, cx)?;
            Value::List(a.iter().chain(b).cloned().collect())
        }
        _ => Value::str(""),
    };
    Ok(out)
}

fn filesizeformat(value: &Value, locale: &crate::locale::Locale) -> String {
    let bytes_text = |n: u64| {
        locale
            .ngettext(
                "%(size)d byte",
                "%(size)d bytes",
                i64::try_from(n).unwrap_or(i64::MAX),
            )
            .replace("%(size)d", &n.to_string())
    };
    let bytes = match value {
        Value::Float(f) if !f.is_finite() => None,
        other => py_int(other).ok(),
    };
    let Some(bytes) = bytes else {
        return bytes_text(0).replace(' ', "\u{a0}");
    };
    let negative = bytes < 0;
    let b = bytes.unsigned_abs() as f64;
    let units = [
        ("%s KB", 1),
        ("%s MB", 2),
        ("%s GB", 3),
        ("%s TB", 4),
        ("%s PB", 5),
    ];
    let value = if b < 1024f64 {
        bytes_text(bytes.unsigned_abs())
    } else {
        // The largest unit not above the value, PB beyond.
        let (unit, power) = units
            .iter()
            .rev()
            .find(|(_, p)| b >= 1024f64.powi(*p))
            .copied()
            .unwrap_or(units[0]);
        // `formats.number_format(round(value, 1), 1)`.
        let number = format!("{:.1}", b / 1024f64.powi(power));
        locale
            .gettext(None, unit)
            .replace("%s", &locale.number_format(&number, Some(1), true, false))
    };
    let value = if negative { format!("-{value}") } else { value };
    value.replace(' ', "\u{a0}")
}

fn unordered_list(value: &Value, tabs: usize, autoescape: bool) -> Result<String, Failure> {
    let items = value.iterate()?;
    let indent = "\t".repeat(tabs);
    let mut output = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let item = &items[i];
        let children = match items.get(i + 1) {
            Some(next @ (Value::List(_) | Value::Tuple(_) | Value::Grouped(_))) => {
                i += 1;
                Some(next)
            }
            _ => None,
        };
        let mut sublist = String::new();
        if let Some(children) = children {
            if children.truthy() {
                sublist = format!(
                    "\n{indent}<ul>\n{}\n{indent}</ul>\n{indent}",
                    unordered_list(children, tabs + 1, autoescape)?
                );
            }
        }
        let shown = if autoescape {
            conditional_escape(item)
        } else {
            item.to_python_str()
        };
        output.push(format!("{indent}<li>{shown}{sublist}</li>"));
        i += 1;
    }
    Ok(output.join("\n"))
}

/// `dictsort`/`dictsortreversed`: `sorted(value, key=_property_resolver(arg))`, "" on
/// AttributeError or TypeError.
fn dictsort(value: Value, arg: &Value, reverse: bool) -> Result<Value, Failure> {
    let items = match &value {
        Value::List(items) | Value::Tuple(items) => items.clone(),
        Value::Str(_) | Value::Safe(_) | Value::Map(_) | Value::Grouped(_) | Value::View(..) => {
            value.iterate()?
        }
        _ => return Ok(Value::str("")),
    };
    let key_error = || Failure::Python("KeyError".into());
    let mut keyed = Vec::new();
    if py_float(arg).is_ok() {
        // operator.itemgetter(arg), with the argument as it is.
        for item in &items {
            let key = match (item, arg) {
                (
                    Value::List(_)
                    | Value::Tuple(_)
                    | Value::Grouped(_)
                    | Value::Str(_)
                    | Value::Safe(_),
                    Value::Int(i),
                ) => item
                    .index(*i)
                    .map_err(|_| Failure::Python("IndexError".into()))?,
                (Value::Map(pairs), Value::Str(k) | Value::Safe(k)) => pairs
                    .iter()
                    .find(|(name, _)| name == k)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(key_error)?,
                (Value::Map(_), _) => return Err(key_error()),
                _ => return Ok(Value::str("")),
            };
            keyed.push((key, item.clone()));
        }
        return sort_keyed(keyed, reverse);
    }
    let path = text(arg);
    if path.contains("._") || path.starts_with('_') {
        return Ok(Value::str(""));
    }
    for item in &items {
        let mut key = item.clone();
        for part in path.split('.') {
            key = match &key {
                Value::Map(pairs) => match pairs.iter().find(|(k, _)| k == part) {
                    Some((_, v)) => v.clone(),
                    None => match key.lookup(part) {
                        Ok(v) => v,
                        Err(_) => return Ok(Value::str("")),
                    },
                },
                other => match other.lookup(part) {
                    Ok(v) if !part.bytes().all(|b| b.is_ascii_digit()) => v,
                    _ => return Ok(Value::str("")),
                },
            };
        }
        keyed.push((key, item.clone()));
    }
    sort_keyed(keyed, reverse)
}

fn sort_keyed(mut keyed: Vec<(Value, Value)>, reverse: bool) -> Result<Value, Failure> {
    let mut failed = false;
    keyed.sort_by(|a, b| {
        let ord = a.0.py_cmp(&b.0).unwrap_or_else(|_| {
            failed = true;
            std::cmp::Ordering::Equal
        });
        if reverse {
            ord.reverse()
        } else {
            ord
        }
    });
    if failed {
        return Ok(Value::str(""));
    }
    Ok(Value::List(keyed.into_iter().map(|(_, v)| v).collect()))
}

/// Django's `title` filter: `str.title()`, then a letter after an apostrophe or a digit lowered
/// again.
fn django_title(s: &str) -> String {
    let titled: Vec<char> = python_title(s).chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < titled.len() {
        let c = titled[i];
        out.push(c);
        // re.sub("([a-z])'([A-Z])", ...) and re.sub(r"\d([A-Z])", ...), non-overlapping.
        if c.is_ascii_lowercase()
            && titled.get(i + 1) == Some(&'\'')
            && titled.get(i + 2).is_some_and(char::is_ascii_uppercase)
        {
            out.push('\'');
            out.push(titled[i + 2].to_ascii_lowercase());
            i += 3;
            continue;
        }
        i += 1;
    }
    let chars: Vec<char> = out.chars().collect();
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        result.push(c);
        if c.is_ascii_digit() && chars.get(i + 1).is_some_and(char::is_ascii_uppercase) {
            result.push(chars[i + 1].to_ascii_lowercase());
            i += 2;
            continue;
        }
        i += 1;
    }
    result
}

/// Django's `slugify` (allow_unicode=False): NFKD, drop non-ASCII, lowercase, keep word
/// characters, spaces and hyphens, collapse runs of spaces and hyphens to one hyphen, strip
/// leading and trailing hyphens and underscores.
pub(crate) fn slugify(s: &str) -> String {
    let ascii: String = s
        .nfkd()
        .filter(char::is_ascii)
        .collect::<String>()
        .to_lowercase();
    let kept: String = ascii
        .chars()
        .filter(|&c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || is_python_space(c))
        .collect();
    let mut out = String::with_capacity(kept.len());
    let mut in_run = false;
    for c in kept.chars() {
        if c == '-' || is_python_space(c) {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c);
            in_run = false;
        }
    }
    out.trim_matches(['-', '_']).to_owned()
}

/// Every filter Django's default libraries register (Django 5.2 to 6.1).
const DJANGO_FILTERS: &[&str] = &[
    "add",
    "addslashes",
    "capfirst",
    "center",
    "cut",
    "date",
    "default",
    "default_if_none",
    "dictsort",
    "dictsortreversed",
    "divisibleby",
    "escape",
    "escapejs",
    "escapeseq",
    "filesizeformat",
    "first",
    "floatformat",
    "force_escape",
    "get_digit",
    "iriencode",
    "join",
    "json_script",
    "last",
    "length",
    "length_is",
    "linebreaks",
    "linebreaksbr",
    "linenumbers",
    "ljust",
    "lower",
    "make_list",
    "phone2numeric",
    "pluralize",
    "pprint",
    "random",
    "rjust",
    "safe",
    "safeseq",
    "slice",
    "slugify",
    "stringformat",
    "striptags",
    "time",
    "timesince",
    "timeuntil",
    "title",
    "truncatechars",
    "truncatechars_html",
    "truncatewords",
    "truncatewords_html",
    "unordered_list",
    "upper",
    "urlencode",
    "urlize",
    "urlizetrunc",
    "wordcount",
    "wordwrap",
    "yesno",
];

#[cfg(test)]
mod tests {
    use super::*;

    static EN_US: std::sync::LazyLock<crate::locale::Locale> =
        std::sync::LazyLock::new(crate::locale::Locale::en_us);
    static CX: std::sync::LazyLock<FilterContext<'static>> =
        std::sync::LazyLock::new(|| FilterContext {
            autoescape: false,
            max_size: 1 << 20,
            locale: &EN_US,
        });

    #[test]
    fn title_as_django() {
        assert_eq!(django_title("my first site"), "My First Site");
        assert_eq!(django_title("they're 1st"), "They're 1st");
        assert_eq!(django_title("my_site"), "My_Site");
    }

    #[test]
    fn slugify_as_django() {
        assert_eq!(slugify(" Héllo, World! -- _x_ "), "hello-world-_x");
        assert_eq!(slugify("my_site"), "my_site");
        assert_eq!(slugify("Ünïcödé   ßtuff"), "unicode-tuff");
    }

    #[test]
    fn default_and_length() {
        assert_eq!(
            apply("default", Value::str(""), Some(Value::str("x")), &CX),
            Ok(Value::str("x"))
        );
        assert_eq!(
            apply("default", Value::None, Some(Value::str("x")), &CX),
            Ok(Value::str("x"))
        );
        assert_eq!(apply("length", Value::None, None, &CX), Ok(Value::Int(0)));
        assert_eq!(
            apply("capfirst", Value::str("ßa"), None, &CX),
            Ok(Value::str("SSa"))
        );
    }

    #[test]
    fn tuples_in_filters() {
        let t = || Value::Tuple(vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
        let f = |name: &str, v: Value, arg: Option<Value>| apply(name, v, arg, &CX);
        assert_eq!(f("length", t(), None), Ok(Value::Int(3)));
        assert_eq!(f("first", t(), None), Ok(Value::Int(1)));
        assert_eq!(f("last", t(), None), Ok(Value::Int(3)));
        assert_eq!(
            f("slice", t(), Some(Value::str(":1"))),
            Ok(Value::Tuple(vec![Value::Int(1)]))
        );
        assert_eq!(
            f(
                "join",
                Value::Tuple(vec![Value::str("a"), Value::str("b")]),
                Some(Value::str("-"))
            ),
            Ok(Value::Safe("a-b".into()))
        );
        assert_eq!(
            f("add", t(), Some(Value::Tuple(vec![Value::Int(4)]))).map(|v| v.repr()),
            Ok("(1, 2, 3, 4)".to_owned())
        );
        let rows = Value::List(vec![
            Value::Tuple(vec![Value::str("b"), Value::Int(1)]),
            Value::Tuple(vec![Value::str("a"), Value::Int(2)]),
        ]);
        assert_eq!(
            f("dictsort", rows, Some(Value::Int(0))).map(|v| v.repr()),
            Ok("[('a', 2), ('b', 1)]".to_owned())
        );
    }
}
