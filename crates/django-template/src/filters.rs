//! The built-in filters scaffold implements, each with Django's algorithm, and the names of the
//! ones it does not, so that those fail loudly instead of rendering something else.

use unicode_normalization::UnicodeNormalization;

use crate::python::{is_python_space, python_title};
use crate::value::{Failure, Value};

/// How many arguments (besides the value) a filter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    None,
    One,
}

/// The arity of a filter scaffold implements; `Err` with a message for any other name.
pub fn arity(name: &str) -> Result<Arity, String> {
    Ok(match name {
        "lower" | "upper" | "title" | "capfirst" | "slugify" | "length" | "safe" | "first"
        | "last" => Arity::None,
        "default" | "default_if_none" | "cut" | "join" => Arity::One,
        _ if DJANGO_FILTERS.contains(&name) => {
            return Err(format!(
                "the filter '{name}' is not supported by scaffold (supported: lower, upper, title, \
                 capfirst, default, default_if_none, slugify, length, safe, cut, join, first, last)"
            ))
        }
        _ => return Err(format!("Invalid filter: '{name}'")),
    })
}

/// Applies filter `name` (already checked by [`arity`]) to `value`.
pub fn apply(name: &str, value: Value, arg: Option<Value>) -> Result<Value, Failure> {
    let arg = arg.unwrap_or(Value::None);
    Ok(match name {
        "lower" => Value::Str(value.to_python_str().to_lowercase()),
        "upper" => Value::Str(value.to_python_str().to_uppercase()),
        "title" => Value::Str(django_title(&value.to_python_str())),
        "capfirst" => {
            let s = value.to_python_str();
            let mut chars = s.chars();
            match chars.next() {
                Some(first) => Value::Str(first.to_uppercase().chain(chars).collect()),
                None => Value::Str(s),
            }
        }
        "slugify" => Value::Str(slugify(&value.to_python_str())),
        "safe" => Value::Str(value.to_python_str()),
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
        "cut" => Value::Str(value.to_python_str().replace(&arg.to_python_str(), "")),
        "join" => join(value, &arg)?,
        "first" => value.index(0).or_else(index_error_is_empty)?,
        "last" => value.index(-1).or_else(index_error_is_empty)?,
        other => return Err(Failure::Unsupported(format!("the filter '{other}'"))),
    })
}

/// `first`/`last` turn an IndexError into "" but let a TypeError through.
fn index_error_is_empty(failure: Failure) -> Result<Value, Failure> {
    match failure {
        Failure::Python(m) if m.contains("out of range") => Ok(Value::str("")),
        other => Err(other),
    }
}

/// `join` with autoescape off: `arg.join(value)`, the value itself when that raises TypeError.
fn join(value: Value, arg: &Value) -> Result<Value, Failure> {
    let Value::Str(separator) = arg else {
        return Err(Failure::Unsupported(
            "join with a separator that is not a string".into(),
        ));
    };
    let items = match &value {
        Value::Str(_) | Value::List(_) | Value::Map(_) => value.iterate()?,
        _ => return Ok(value),
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Value::Str(s) => parts.push(s),
            _ => return Ok(value),
        }
    }
    Ok(Value::Str(parts.join(separator)))
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
pub fn slugify(s: &str) -> String {
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
            apply("default", Value::str(""), Some(Value::str("x"))),
            Ok(Value::str("x"))
        );
        assert_eq!(
            apply("default", Value::None, Some(Value::str("x"))),
            Ok(Value::str("x"))
        );
        assert_eq!(apply("length", Value::None, None), Ok(Value::Int(0)));
        assert_eq!(
            apply("capfirst", Value::str("ßa"), None),
            Ok(Value::str("SSa"))
        );
    }
}
