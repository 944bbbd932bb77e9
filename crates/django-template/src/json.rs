//! `django.utils.html.json_script`: `json.dumps(value, cls=DjangoJSONEncoder)` (Python's
//! defaults: `ensure_ascii=True`, separators `", "` and `": "`, `allow_nan=True`) with `<`, `>`
//! and `&` escaped as `\u003C`, `\u003E`, `\u0026`, inside a `<script>` element.

use crate::filters::conditional_escape;
use crate::python::float_repr;
use crate::value::{Failure, Value};

/// Python's `json.encoder.py_encode_basestring_ascii`, then `_json_script_escapes`.
fn encode_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `json.dumps(value)` for plain data, HTML-escaped as `json_script` does; Python's TypeError
/// for a dict view.
fn dumps(value: &Value, out: &mut String) -> Result<(), Failure> {
    match value {
        Value::None => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) if f.is_nan() => out.push_str("NaN"),
        Value::Float(f) if f.is_infinite() => {
            out.push_str(if *f > 0.0 { "Infinity" } else { "-Infinity" })
        }
        Value::Float(f) => out.push_str(&float_repr(*f)),
        Value::Str(s) | Value::Safe(s) => encode_str(s, out),
        Value::List(items) | Value::Tuple(items) => seq(items.iter(), out)?,
        // A namedtuple is a tuple: a JSON array.
        Value::Grouped(g) => seq([&g.0, &g.1].into_iter(), out)?,
        Value::View(..) => {
            return Err(Failure::Python(format!(
                "Object of type {} is not JSON serializable",
                value.type_name()
            )))
        }
        Value::Map(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                encode_str(k, out);
                out.push_str(": ");
                dumps(v, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn seq<'a>(items: impl Iterator<Item = &'a Value>, out: &mut String) -> Result<(), Failure> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        dumps(item, out)?;
    }
    out.push(']');
    Ok(())
}

/// `json_script(value, element_id)`: a safe string.
pub(crate) fn json_script(value: &Value, element_id: Option<&Value>) -> Result<String, Failure> {
    let mut json = String::new();
    dumps(value, &mut json)?;
    Ok(match element_id.filter(|id| id.truthy()) {
        Some(id) => format!(
            "<script id=\"{}\" type=\"application/json\">{json}</script>",
            conditional_escape(id)
        ),
        None => format!("<script type=\"application/json\">{json}</script>"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_script_as_django() {
        let v = Value::Map(vec![(
            "a".into(),
            Value::str("testing\r\njson 'string\" <b>escaping</b>"),
        )]);
        assert_eq!(
            json_script(&v, Some(&Value::str("test_id"))).unwrap_or_default(),
            "<script id=\"test_id\" type=\"application/json\">{\"a\": \"testing\\r\\njson 'string\\\" \\u003Cb\\u003Eescaping\\u003C/b\\u003E\"}</script>"
        );
        let v = Value::List(vec![
            Value::Float(1.5),
            Value::Float(1e20),
            Value::Float(f64::NAN),
            Value::None,
            Value::Bool(true),
            Value::str("é😀\u{1}\u{7f}"),
        ]);
        assert_eq!(
            json_script(&v, Some(&Value::str("a\"b"))).unwrap_or_default(),
            "<script id=\"a&quot;b\" type=\"application/json\">[1.5, 1e+20, NaN, null, true, \"\\u00e9\\ud83d\\ude00\\u0001\\u007f\"]</script>"
        );
        let view = Value::Map(vec![("a".into(), Value::Int(1))]).lookup("items");
        assert!(json_script(&view.unwrap_or(Value::None), None).is_err());
    }
}
