//! The black-box tests of the `scaffold` binary, as one test binary: a module per topic, and the
//! support code (`support`) compiled once. Run one topic with `cargo test --test suite check::`.

mod support;

mod admin_scripts;
mod check;
mod cli;
mod custom_template;
mod custom_template_differential;
mod custom_template_paths;
mod custom_template_sources;
mod download_names;
mod e2e_django;
mod hardening;
mod interrupt;
mod new;
mod parity;
mod project_files;
mod reference;
mod refusals;
mod register;
mod release_detection;
mod snapshots;
mod upgrade;
mod upgrade_real;
mod upgrade_refusals;
mod upgrade_template;
mod upgrade_write;
mod wheel;
