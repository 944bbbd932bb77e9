//! Custom templates (`--template`).
pub mod django_syntax;
