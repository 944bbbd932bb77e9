//! The values a template sees, with the Python behaviour Django gives them: `str()`, `repr()`,
//! truthiness, comparisons, `in`, and the dot lookups of `Variable._resolve_lookup`.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::python::{float_repr, is_python_space, python_capitalize, python_title, str_repr};

/// A Python value as Django's template engine handles it. Only the types that the context of
/// `startproject`/`startapp` and template literals can produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Python's `None`.
    None,
    /// `True` or `False`.
    Bool(bool),
    /// An `int` (within 64 bits).
    Int(i64),
    /// A `float`.
    Float(f64),
    /// A `str`.
    Str(String),
    /// A string marked safe (Django's `SafeString`): printed without escaping when autoescape
    /// is on. Everywhere else it behaves as a `str`.
    Safe(String),
    /// A `list`.
    List(Vec<Value>),
    /// A tuple: a list that prints as `(1, 2)` and compares only with tuples.
    Tuple(Vec<Value>),
    /// A dict with string keys in insertion order (the `forloop` variable).
    Map(Vec<(String, Value)>),
    /// `{% regroup %}`'s `GroupedResult(grouper, list)`, a namedtuple: a tuple of two that
    /// also has the attributes `grouper` and `list`.
    Grouped(Box<(Value, Value)>),
    /// A dict view (`d.keys`, `d.values`, `d.items`) with its members (`(key, value)` tuples
    /// for items): iterable and sized but not subscriptable, printed as `dict_items([...])`.
    View(DictView, Vec<Value>),
}

/// Which of a dict's views a [`Value::View`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DictView {
    /// `d.keys`.
    Keys,
    /// `d.values`.
    Values,
    /// `d.items`.
    Items,
}

/// Why evaluating something failed, sorted by what Django does with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// `VariableDoesNotExist`: a missing variable, attribute, key or index.
    Missing,
    /// Any other Python exception (`TypeError`, `ValueError`...): the `if` operators swallow
    /// these as False; elsewhere Django's render fails, and so does scaffold's.
    Python(String),
    /// Something Django can do that scaffold does not implement: always an error, never a guess.
    Unsupported(String),
}

impl Value {
    /// A `str`.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    /// The value with a safe string turned into a plain one, for the operations where Python
    /// treats a `SafeString` as the `str` it is.
    pub fn plain(&self) -> Cow<'_, Value> {
        match self {
            Value::Safe(s) => Cow::Owned(Value::Str(s.clone())),
            other => Cow::Borrowed(other),
        }
    }

    /// The text of a string, safe or not.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) | Value::Safe(s) => Some(s),
            _ => None,
        }
    }

    /// Whether it is a safe string (Django's `SafeString`).
    pub fn is_safe(&self) -> bool {
        matches!(self, Value::Safe(_))
    }

    /// Python's `str(value)`, which is what a `{{ variable }}` prints with autoescape off.
    pub fn to_python_str(&self) -> String {
        match self {
            Value::Str(s) | Value::Safe(s) => s.clone(),
            other => other.repr(),
        }
    }

    /// Python's `repr(value)`.
    pub fn repr(&self) -> String {
        match self {
            Value::None => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_repr(*f),
            Value::Str(s) | Value::Safe(s) => str_repr(s),
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(Value::repr).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Tuple(items) => {
                let inner: Vec<String> = items.iter().map(Value::repr).collect();
                if inner.len() == 1 {
                    format!("({},)", inner[0])
                } else {
                    format!("({})", inner.join(", "))
                }
            }
            Value::Map(pairs) => {
                let inner: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{}: {}", str_repr(k), v.repr()))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
            Value::Grouped(g) => {
                format!("GroupedResult(grouper={}, list={})", g.0.repr(), g.1.repr())
            }
            Value::View(_, items) => {
                let inner: Vec<String> = items.iter().map(Value::repr).collect();
                format!("{}([{}])", self.type_name(), inner.join(", "))
            }
        }
    }

    /// Python's `bool(value)`.
    pub fn truthy(&self) -> bool {
        match self {
            Value::None => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) | Value::Safe(s) => !s.is_empty(),
            Value::List(items) | Value::Tuple(items) | Value::View(_, items) => !items.is_empty(),
            Value::Map(pairs) => !pairs.is_empty(),
            Value::Grouped(_) => true,
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// Python's `==`.
    pub fn py_eq(&self, other: &Value) -> bool {
        match (&*self.plain(), &*other.plain()) {
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::None, Value::None) => true,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.py_eq(y))
            }
            // A namedtuple equals the plain tuple of its fields.
            (Value::Grouped(g), Value::Tuple(t)) | (Value::Tuple(t), Value::Grouped(g)) => {
                t.len() == 2 && g.0.py_eq(&t[0]) && g.1.py_eq(&t[1])
            }
            (Value::Map(a), Value::Map(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(k, v)| b.iter().any(|(k2, v2)| k == k2 && v.py_eq(v2)))
            }
            (Value::Grouped(a), Value::Grouped(b)) => a.0.py_eq(&b.0) && a.1.py_eq(&b.1),
            // Keys and items views compare as sets; values views only by identity.
            (Value::View(k, a), Value::View(k2, b)) if k == k2 && *k != DictView::Values => {
                a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.py_eq(y)))
            }
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => x == y,
                _ => false,
            },
        }
    }

    /// Python's ordering comparisons; `TypeError` between unorderable types.
    pub fn py_cmp(&self, other: &Value) -> Result<Ordering, Failure> {
        match (&*self.plain(), &*other.plain()) {
            (Value::Int(a), Value::Int(b)) => Ok(a.cmp(b)),
            (Value::Str(a), Value::Str(b)) => Ok(a.cmp(b)),
            (Value::List(a), Value::List(b)) | (Value::Tuple(a), Value::Tuple(b)) => {
                for (x, y) in a.iter().zip(b) {
                    if !x.py_eq(y) {
                        return x.py_cmp(y);
                    }
                }
                Ok(a.len().cmp(&b.len()))
            }
            (Value::Grouped(a), Value::Grouped(b)) => {
                if a.0.py_eq(&b.0) {
                    a.1.py_cmp(&b.1)
                } else {
                    a.0.py_cmp(&b.0)
                }
            }
            (a, b) => match (a.number(), b.number()) {
                (Some(x), Some(y)) => x
                    .partial_cmp(&y)
                    .ok_or_else(|| Failure::Python("comparison with nan".into())),
                _ => Err(Failure::Python(format!(
                    "'<' not supported between instances of '{}' and '{}'",
                    a.type_name(),
                    b.type_name()
                ))),
            },
        }
    }

    /// Python's `self in container`.
    pub fn py_in(&self, container: &Value) -> Result<bool, Failure> {
        match (&*self.plain(), &*container.plain()) {
            (Value::Str(needle), Value::Str(hay)) => Ok(hay.contains(needle.as_str())),
            (_, Value::Str(_)) => Err(Failure::Python(
                "'in <string>' requires string as left operand".into(),
            )),
            (_, Value::List(items) | Value::Tuple(items) | Value::View(_, items)) => {
                Ok(items.iter().any(|item| item.py_eq(self)))
            }
            (Value::Str(key), Value::Map(pairs)) => Ok(pairs.iter().any(|(k, _)| k == key)),
            (_, Value::Map(_)) => Ok(false),
            (_, Value::Grouped(g)) => Ok(g.0.py_eq(self) || g.1.py_eq(self)),
            (_, other) => Err(Failure::Python(format!(
                "argument of type '{}' is not iterable",
                other.type_name()
            ))),
        }
    }

    /// Python's `is`, for the values whose identity is well defined: None, True and False.
    pub fn py_is(&self, other: &Value) -> Result<bool, Failure> {
        let singleton = |v: &Value| matches!(v, Value::None | Value::Bool(_));
        match (singleton(self), singleton(other)) {
            (true, true) => Ok(self == other),
            (true, false) | (false, true) => Ok(false),
            (false, false) => Err(Failure::Unsupported(
                "'is' between values other than None, True and False".into(),
            )),
        }
    }

    /// Python's `type(value).__name__`, as error messages name it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::Safe(_) => "SafeString",
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Map(_) => "dict",
            Value::Grouped(_) => "GroupedResult",
            Value::View(DictView::Keys, _) => "dict_keys",
            Value::View(DictView::Values, _) => "dict_values",
            Value::View(DictView::Items, _) => "dict_items",
        }
    }

    /// Python's `len(value)`.
    pub fn py_len(&self) -> Result<usize, Failure> {
        match self {
            Value::Str(s) | Value::Safe(s) => Ok(s.chars().count()),
            Value::List(items) | Value::Tuple(items) | Value::View(_, items) => Ok(items.len()),
            Value::Map(pairs) => Ok(pairs.len()),
            Value::Grouped(_) => Ok(2),
            other => Err(Failure::Python(format!(
                "object of type '{}' has no len()",
                other.type_name()
            ))),
        }
    }

    /// Python's `value[index]` with an integer index (negative counts from the end).
    pub fn index(&self, index: i64) -> Result<Value, Failure> {
        let pick = |len: usize| -> Option<usize> {
            let len = i64::try_from(len).ok()?;
            let i = if index < 0 { len + index } else { index };
            (0..len).contains(&i).then_some(i as usize)
        };
        match self {
            Value::Str(s) | Value::Safe(s) => {
                let n = s.chars().count();
                let i =
                    pick(n).ok_or_else(|| Failure::Python("string index out of range".into()))?;
                Ok(Value::Str(
                    s.chars().nth(i).map(String::from).unwrap_or_default(),
                ))
            }
            Value::List(items) => {
                let i = pick(items.len())
                    .ok_or_else(|| Failure::Python("list index out of range".into()))?;
                Ok(items[i].clone())
            }
            Value::Tuple(items) => {
                let i = pick(items.len())
                    .ok_or_else(|| Failure::Python("tuple index out of range".into()))?;
                Ok(items[i].clone())
            }
            Value::Grouped(g) => match pick(2) {
                Some(0) => Ok(g.0.clone()),
                Some(_) => Ok(g.1.clone()),
                None => Err(Failure::Python("tuple index out of range".into())),
            },
            other => Err(Failure::Python(format!(
                "'{}' object is not subscriptable",
                other.type_name()
            ))),
        }
    }

    /// Python's `iter(value)`, as `{% for %}` uses it.
    pub fn iterate(&self) -> Result<Vec<Value>, Failure> {
        match self {
            Value::None => Ok(Vec::new()),
            Value::Str(s) | Value::Safe(s) => {
                Ok(s.chars().map(|c| Value::Str(c.to_string())).collect())
            }
            Value::List(items) | Value::Tuple(items) | Value::View(_, items) => Ok(items.clone()),
            Value::Map(pairs) => Ok(pairs.iter().map(|(k, _)| Value::Str(k.clone())).collect()),
            Value::Grouped(g) => Ok(vec![g.0.clone(), g.1.clone()]),
            other => Err(Failure::Python(format!(
                "'{}' object is not iterable",
                other.type_name()
            ))),
        }
    }

    /// One step of Django's `Variable._resolve_lookup`: dictionary lookup, then attribute
    /// lookup (calling methods that take no argument), then list index.
    pub fn lookup(&self, bit: &str) -> Result<Value, Failure> {
        if let Value::Map(pairs) = self {
            if let Some((_, v)) = pairs.iter().find(|(k, _)| k == bit) {
                return Ok(v.clone());
            }
        }
        if let Some(found) = self.attribute(bit)? {
            return Ok(found);
        }
        match bit.parse::<i64>() {
            Ok(i)
                if matches!(
                    self,
                    Value::Str(_)
                        | Value::Safe(_)
                        | Value::List(_)
                        | Value::Tuple(_)
                        | Value::Grouped(_)
                ) =>
            {
                self.index(i).map_err(|_| Failure::Missing)
            }
            _ => Err(Failure::Missing),
        }
    }

    /// The attribute `name`: Ok(None) when Python has no such attribute, an error for an
    /// attribute Python has but scaffold does not implement.
    fn attribute(&self, name: &str) -> Result<Option<Value>, Failure> {
        let known: &[&str] = match self {
            Value::Str(s) | Value::Safe(s) => {
                let implemented = match name {
                    "upper" => Some(Value::Str(s.to_uppercase())),
                    "lower" => Some(Value::Str(s.to_lowercase())),
                    "title" => Some(Value::Str(python_title(s))),
                    "capitalize" => Some(Value::Str(python_capitalize(s))),
                    "strip" => Some(Value::Str(s.trim_matches(is_python_space).to_owned())),
                    "lstrip" => Some(Value::Str(s.trim_start_matches(is_python_space).to_owned())),
                    "rstrip" => Some(Value::Str(s.trim_end_matches(is_python_space).to_owned())),
                    "split" => Some(Value::List(
                        s.split(is_python_space)
                            .filter(|p| !p.is_empty())
                            .map(Value::str)
                            .collect(),
                    )),
                    "isascii" => Some(Value::Bool(s.is_ascii())),
                    _ => None,
                };
                if implemented.is_some() {
                    return Ok(implemented);
                }
                STR_ATTRIBUTES
            }
            Value::List(_) => LIST_ATTRIBUTES,
            Value::Tuple(_) => &["count", "index"],
            Value::Map(pairs) => {
                let implemented = match name {
                    "items" => Some(Value::View(
                        DictView::Items,
                        pairs
                            .iter()
                            .map(|(k, v)| Value::Tuple(vec![Value::str(k.as_str()), v.clone()]))
                            .collect(),
                    )),
                    "keys" => Some(Value::View(
                        DictView::Keys,
                        pairs.iter().map(|(k, _)| Value::str(k.as_str())).collect(),
                    )),
                    "values" => Some(Value::View(
                        DictView::Values,
                        pairs.iter().map(|(_, v)| v.clone()).collect(),
                    )),
                    _ => None,
                };
                if implemented.is_some() {
                    return Ok(implemented);
                }
                DICT_ATTRIBUTES
            }
            Value::Int(_) | Value::Bool(_) => INT_ATTRIBUTES,
            Value::Float(_) => FLOAT_ATTRIBUTES,
            Value::Grouped(g) => match name {
                "grouper" => return Ok(Some(g.0.clone())),
                "list" => return Ok(Some(g.1.clone())),
                _ => &["count", "index"],
            },
            Value::View(DictView::Values, _) => &["mapping"],
            Value::View(..) => &["isdisjoint", "mapping"],
            Value::None => &[],
        };
        if known.contains(&name) {
            return Err(Failure::Unsupported(format!(
                "the attribute '.{name}' of a {}",
                self.type_name()
            )));
        }
        Ok(None)
    }
}

const STR_ATTRIBUTES: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];
const LIST_ATTRIBUTES: &[&str] = &[
    "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse",
    "sort",
];
const DICT_ATTRIBUTES: &[&str] = &[
    "clear",
    "copy",
    "fromkeys",
    "get",
    "items",
    "keys",
    "pop",
    "popitem",
    "setdefault",
    "update",
    "values",
];
const INT_ATTRIBUTES: &[&str] = &[
    "as_integer_ratio",
    "bit_count",
    "bit_length",
    "conjugate",
    "denominator",
    "from_bytes",
    "imag",
    "is_integer",
    "numerator",
    "real",
    "to_bytes",
];
const FLOAT_ATTRIBUTES: &[&str] = &[
    "as_integer_ratio",
    "conjugate",
    "fromhex",
    "hex",
    "imag",
    "is_integer",
    "real",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_reprs() {
        assert_eq!(
            Value::List(vec![Value::str("py"), Value::Int(3)]).repr(),
            "['py', 3]"
        );
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(1.5), "1.5");
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(float_repr(1.5e-5), "1.5e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
    }

    #[test]
    fn tuples_behave_as_python_tuples() {
        let pair = Value::Tuple(vec![Value::Int(1), Value::str("a")]);
        assert_eq!(pair.repr(), "(1, 'a')");
        assert_eq!(pair.to_python_str(), "(1, 'a')");
        assert_eq!(Value::Tuple(vec![Value::Int(1)]).repr(), "(1,)");
        assert_eq!(Value::Tuple(vec![]).repr(), "()");
        assert!(!Value::Tuple(vec![]).truthy());
        assert!(pair.truthy());
        assert_eq!(pair.py_len(), Ok(2));
        assert_eq!(pair.lookup("0"), Ok(Value::Int(1)));
        assert_eq!(pair.lookup("2"), Err(Failure::Missing));
        assert_eq!(pair.index(-1), Ok(Value::str("a")));
        assert_eq!(Value::str("a").py_in(&pair), Ok(true));
        assert_eq!(pair.iterate(), Ok(vec![Value::Int(1), Value::str("a")]));
        // A tuple never equals a list, but orders against another tuple.
        assert!(!pair.py_eq(&Value::List(vec![Value::Int(1), Value::str("a")])));
        let one = Value::Tuple(vec![Value::Int(1)]);
        assert_eq!(one.py_cmp(&pair), Ok(Ordering::Less));
        assert!(one.py_cmp(&Value::List(vec![])).is_err());
        assert!(matches!(pair.lookup("count"), Err(Failure::Unsupported(_))));
        let grouped = Value::Grouped(Box::new((Value::Int(1), Value::str("a"))));
        assert!(grouped.py_eq(&pair));
    }

    #[test]
    fn dict_views_print_as_python() {
        let d = Value::Map(vec![
            ("a".into(), Value::Int(1)),
            ("b".into(), Value::str("x")),
        ]);
        let items = d.lookup("items");
        assert_eq!(
            items.as_ref().map(Value::repr),
            Ok("dict_items([('a', 1), ('b', 'x')])".to_owned())
        );
        assert_eq!(
            d.lookup("keys").map(|v| v.repr()),
            Ok("dict_keys(['a', 'b'])".to_owned())
        );
        assert_eq!(
            d.lookup("values").map(|v| v.repr()),
            Ok("dict_values([1, 'x'])".to_owned())
        );
        let items = items.unwrap_or(Value::None);
        assert_eq!(items.py_len(), Ok(2));
        assert_eq!(items.lookup("0"), Err(Failure::Missing));
        assert!(items.index(0).is_err());
        let pair = Value::Tuple(vec![Value::str("a"), Value::Int(1)]);
        assert_eq!(pair.py_in(&items), Ok(true));
        assert_eq!(items.iterate().map(|v| v.len()), Ok(2));
    }

    #[test]
    fn comparisons_follow_python() {
        assert!(Value::Bool(true).py_eq(&Value::Int(1)));
        assert!(!Value::str("1").py_eq(&Value::Int(1)));
        assert_eq!(Value::Int(2).py_cmp(&Value::Float(2.5)), Ok(Ordering::Less));
        assert!(Value::str("a").py_cmp(&Value::Int(1)).is_err());
        assert_eq!(Value::str("sit").py_in(&Value::str("mysite")), Ok(true));
        assert!(Value::Int(1).py_in(&Value::str("1")).is_err());
    }

    #[test]
    fn lookups_follow_resolve_lookup() {
        let s = Value::str("mysite");
        assert_eq!(s.lookup("upper"), Ok(Value::str("MYSITE")));
        assert_eq!(s.lookup("0"), Ok(Value::str("m")));
        assert_eq!(s.lookup("99"), Err(Failure::Missing));
        assert_eq!(s.lookup("nope"), Err(Failure::Missing));
        assert!(matches!(s.lookup("swapcase"), Err(Failure::Unsupported(_))));
        let m = Value::Map(vec![("counter".into(), Value::Int(1))]);
        assert_eq!(m.lookup("counter"), Ok(Value::Int(1)));
    }
}
