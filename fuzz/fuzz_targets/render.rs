//! The template engine on arbitrary template text with a fixed context like scaffold's: parsing
//! and rendering never panic, never overflow the stack, and stay within the render limits.
#![no_main]

use std::sync::atomic::AtomicBool;

use django_template::{RenderLimits, Template, Value};
use libfuzzer_sys::fuzz_target;

static NEVER: AtomicBool = AtomicBool::new(false);
const MAX_OUTPUT: u64 = 1 << 20;

fuzz_target!(|text: &str| {
    let context = vec![
        ("project_name".to_owned(), Value::str("mysite")),
        (
            "secret_key".to_owned(),
            Value::str("django-insecure-abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"),
        ),
        ("docs_version".to_owned(), Value::str("5.2")),
        ("verbosity".to_owned(), Value::Int(1)),
        ("settings".to_owned(), Value::None),
        ("traceback".to_owned(), Value::Bool(false)),
        (
            "extensions".to_owned(),
            Value::List(vec![Value::str("py"), Value::str("txt")]),
        ),
        ("ratio".to_owned(), Value::Float(2.5)),
    ];
    let limits = RenderLimits {
        max_steps: 100_000,
        ..RenderLimits::new(MAX_OUTPUT, &NEVER)
    };
    if let Ok(template) = Template::parse(text) {
        if let Ok(out) = template.render_with(&context, &limits) {
            assert!(out.len() as u64 <= MAX_OUTPUT);
        }
    }
});
