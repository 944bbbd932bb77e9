//! Renders templates sent as JSON lines on stdin, one JSON answer line each on stdout: the
//! bridge that lets Django's own template tests (run by Python) check this engine.
//!
//! Request: `{"template": "...", "context": {...}, "autoescape": bool, "string_if_invalid":
//! "...", "parse_only": bool}`. Values: JSON strings, numbers, booleans and null as themselves;
//! `{"__safe__": "..."}` a SafeString; `{"__float__": "nan"}` a float JSON cannot hold;
//! `{"__dict__": [[key, value], ...]}` a dict (in order); `{"__tuple__": [...]}` a tuple.
//! Answer: `{"ok": "output"}` or `{"error": "message"}`, with `"exception": "ValueError"` when
//! Django raises that instead of `TemplateSyntaxError`.

use std::io::{BufRead, Write};

use django_template::{ErrorKind, RenderLimits, Settings, Template, Value};
use serde_json::Value as Json;

fn value(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::None,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => Value::Int(i),
            _ => Value::Float(n.as_f64().ok_or("a number out of range")?),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::List(items.iter().map(value).collect::<Result<_, _>>()?),
        Json::Object(map) => {
            if let Some(Json::String(s)) = map.get("__safe__") {
                Value::Safe(s.clone())
            } else if let Some(Json::String(f)) = map.get("__float__") {
                Value::Float(f.parse().map_err(|_| format!("bad float {f}"))?)
            } else if let Some(Json::Array(items)) = map.get("__tuple__") {
                Value::Tuple(items.iter().map(value).collect::<Result<_, _>>()?)
            } else if let Some(Json::Array(pairs)) = map.get("__dict__") {
                let mut out = Vec::new();
                for pair in pairs {
                    match pair.as_array().map(Vec::as_slice) {
                        Some([Json::String(k), v]) => out.push((k.clone(), value(v)?)),
                        _ => return Err("a bad dict pair".into()),
                    }
                }
                Value::Map(out)
            } else {
                return Err(format!("an unknown object {json}"));
            }
        }
    })
}

fn answer(request: &str) -> Json {
    let request: Json = match serde_json::from_str(request) {
        Ok(r) => r,
        Err(e) => return serde_json::json!({ "error": format!("bad request: {e}") }),
    };
    let text = request["template"].as_str().unwrap_or_default();
    let template = match Template::parse(text) {
        Ok(t) => t,
        Err(e) => return serde_json::json!({ "error": e.message, "line": e.line }),
    };
    if request["parse_only"].as_bool() == Some(true) {
        return serde_json::json!({ "ok": "" });
    }
    let context = match value(&request["context"]) {
        Ok(Value::Map(pairs)) => pairs,
        Ok(_) => return serde_json::json!({ "error": "the context is not a dict" }),
        Err(e) => return serde_json::json!({ "error": e }),
    };
    let settings = Settings {
        autoescape: request["autoescape"].as_bool().unwrap_or(true),
        string_if_invalid: request["string_if_invalid"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    match template.render_in(&context, &settings, &RenderLimits::default()) {
        Ok(out) => serde_json::json!({ "ok": out }),
        Err(e) if e.kind == ErrorKind::Unpack => {
            serde_json::json!({ "error": e.message, "line": e.line, "exception": "ValueError" })
        }
        Err(e) => serde_json::json!({ "error": e.message, "line": e.line }),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let reply = answer(&line);
        if writeln!(stdout, "{reply}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
}
