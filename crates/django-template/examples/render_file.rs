//! Renders a template file with a context like scaffold's and reports its size, the time taken
//! and the output size: `cargo run --release --example render_file -- [--parsed] FILE`. By
//! default in one pass, as scaffold renders ([`Template::render_once`]); with `--parsed`, parsed
//! whole first and then rendered ([`Template::parse_owned`], [`Template::render`]).

use std::time::Instant;

use django_template::{RenderLimits, Template, Value};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = args.iter().any(|a| a == "--parsed");
    let Some(path) = args.iter().find(|a| *a != "--parsed") else {
        eprintln!("usage: render_file [--parsed] FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let context = vec![
        ("project_name".to_owned(), Value::str("mysite")),
        ("docs_version".to_owned(), Value::str("5.2")),
        (
            "secret_key".to_owned(),
            Value::str("django-insecure-0123456789"),
        ),
    ];
    let size = text.len();
    let started = Instant::now();
    let result = if parsed {
        Template::parse_owned(text).and_then(|t| t.render(&context))
    } else {
        Template::render_once(&text, &context, &RenderLimits::default())
    };
    match result {
        Ok(out) => {
            let total = started.elapsed();
            println!(
                "{size} bytes: rendered in {:.3} s ({:.0} MB/s), {} bytes out",
                total.as_secs_f64(),
                size as f64 / 1e6 / total.as_secs_f64(),
                out.len()
            );
        }
        Err(e) => {
            eprintln!("line {}: {}", e.line, e.message);
            std::process::exit(1);
        }
    }
}
