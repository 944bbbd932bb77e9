//! `scaffold upgrade`: brings what startproject and startapp generated in an existing project
//! to a newer Django release by a three-way merge at the level of Python statements.

pub mod merge;
pub mod project;
pub mod python;

pub use project::*;
