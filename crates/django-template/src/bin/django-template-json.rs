//! Renders templates sent as JSON lines on stdin, one JSON answer line each on stdout: the
//! bridge that lets Django's own template tests (run by Python) check this engine.
//!
//! Request: `{"template": "...", "context": {...}, "autoescape": bool, "string_if_invalid":
//! "...", "parse_only": bool}`. Values: JSON strings, numbers, booleans and null as themselves;
//! `{"__safe__": "..."}` a SafeString; `{"__float__": "nan"}` a float JSON cannot hold;
//! `{"__dict__": [[key, value], ...]}` a dict (in order); `{"__tuple__": [...]}` a tuple.
//! Localization: `"language"` (`"de"`, `null` when translations are deactivated; `en-us` when
//! absent), `"formats"` (`{"DATE_FORMAT": ..., "NUMBER_GROUPING": 3 or [3, 2, 0],
//! "USE_THOUSAND_SEPARATOR": bool, ...}`: Django's settings) and `"catalog"` (`{msgid:
//! msgstr}` for `_()` literals).
//! Answer: `{"ok": "output"}` or `{"error": "message"}`, with `"exception": "ValueError"` when
//! Django raises that instead of `TemplateSyntaxError`.

use std::io::{BufRead, Write};

use django_template::{
    ErrorKind, FormatSettings, Grouping, RenderLimits, Settings, Template, Value,
};
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

/// Django's format settings, each one that is given.
fn formats(json: &Json) -> Result<FormatSettings, String> {
    let mut f = FormatSettings::default();
    let Some(map) = json.as_object() else {
        return Ok(f);
    };
    for (name, v) in map {
        let text = || {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("{name} is not a string"))
        };
        match name.as_str() {
            "DATE_FORMAT" => f.date_format = text()?,
            "DATETIME_FORMAT" => f.datetime_format = text()?,
            "TIME_FORMAT" => f.time_format = text()?,
            "YEAR_MONTH_FORMAT" => f.year_month_format = text()?,
            "MONTH_DAY_FORMAT" => f.month_day_format = text()?,
            "SHORT_DATE_FORMAT" => f.short_date_format = text()?,
            "SHORT_DATETIME_FORMAT" => f.short_datetime_format = text()?,
            "DECIMAL_SEPARATOR" => f.decimal_separator = text()?,
            "THOUSAND_SEPARATOR" => f.thousand_separator = text()?,
            "FIRST_DAY_OF_WEEK" => {
                f.first_day_of_week = v
                    .as_u64()
                    .and_then(|n| u8::try_from(n).ok())
                    .ok_or("FIRST_DAY_OF_WEEK is not a weekday")?;
            }
            "USE_THOUSAND_SEPARATOR" => {
                f.use_thousand_separator =
                    v.as_bool().ok_or("USE_THOUSAND_SEPARATOR is not a bool")?;
            }
            "NUMBER_GROUPING" => {
                let int = |v: &Json| v.as_u64().and_then(|n| u32::try_from(n).ok());
                f.number_grouping = match v {
                    Json::Array(items) => Grouping::Owned(
                        items
                            .iter()
                            .map(int)
                            .collect::<Option<_>>()
                            .ok_or("NUMBER_GROUPING holds a non-integer")?,
                    ),
                    other => {
                        Grouping::Every(int(other).ok_or("NUMBER_GROUPING is not an integer")?)
                    }
                };
            }
            other => return Err(format!("unknown format setting {other}")),
        }
    }
    Ok(f)
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
    let formats = match formats(&request["formats"]) {
        Ok(f) => f,
        Err(e) => return serde_json::json!({ "error": e }),
    };
    let language = match request.get("language") {
        None => Some("en-us".to_owned()),
        Some(l) => l.as_str().map(str::to_owned),
    };
    let catalog = request["catalog"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let settings = Settings {
        autoescape: request["autoescape"].as_bool().unwrap_or(true),
        string_if_invalid: request["string_if_invalid"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        language,
        formats,
        catalog,
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
