//! The supported Django releases as plain data: read by the library and by build.rs, which
//! renders the built-in templates once for each.

/// One supported Django feature release.
pub struct Release {
    /// As `--django` takes it and as Django's docs URLs spell it (`get_docs_version()`).
    pub feature: &'static str,
    /// The patch release whose templates are reproduced; `django_version` in templates.
    pub patch: &'static str,
    /// 52 for 5.2, 61 for 6.1: lets templates say `{% if django_series < 60 %}`.
    pub series: u32,
    /// The oldest Python this release supports, as (major, minor).
    pub min_python: (u32, u32),
}

/// Oldest first; `DjangoVersion` variants index this table in the same order.
pub const RELEASES: [Release; 3] = [
    Release {
        feature: "5.2",
        patch: "5.2.19",
        series: 52,
        min_python: (3, 10),
    },
    Release {
        feature: "6.0",
        patch: "6.0.10",
        series: 60,
        min_python: (3, 12),
    },
    Release {
        feature: "6.1",
        patch: "6.1.3",
        series: 61,
        min_python: (3, 12),
    },
];
