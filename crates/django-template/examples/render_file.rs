//! Renders a template file with a context like scaffold's and reports its size, the time taken
//! and the output size: `cargo run --release --example render_file -- FILE`.

use std::time::Instant;

use django_template::{Template, Value};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: render_file FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
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
    let result = Template::parse_owned(text).and_then(|t| {
        let parsed = started.elapsed();
        t.render(&context).map(|out| (parsed, out))
    });
    match result {
        Ok((parsed, out)) => {
            let total = started.elapsed();
            println!(
                "{size} bytes: parsed in {:.3} s, rendered in {:.3} s ({:.0} MB/s), {} bytes out",
                parsed.as_secs_f64(),
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
