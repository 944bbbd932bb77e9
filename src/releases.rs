//! The Django releases scaffold knows, as plain data: the one place a release is added. Read by
//! the library (`DjangoVersion` indexes this table), by build.rs (which renders the built-in
//! templates for each) and by the tests (which loop over it).

/// What scaffold does with a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    /// Supported by the Django project: `startproject`/`startapp --django` emit it, in every
    /// settings and project layout.
    Generated,
    /// No longer supported by the Django project: known only as the base an upgrade starts
    /// from, so only Django's own project template (single settings, classic layout) and app
    /// template are built in.
    UpgradeBase,
}

/// One Django feature release.
#[derive(Debug)]
pub struct Release {
    /// As `--django` takes it and as Django's docs URLs spell it (`get_docs_version()`).
    pub(crate) feature: &'static str,
    /// The patch release whose templates are reproduced (the newest on PyPI for the series);
    /// `django_version` in templates.
    pub(crate) patch: &'static str,
    /// 42 for 4.2, 61 for 6.1: lets templates say `{% if django_series < 60 %}`.
    pub(crate) series: u32,
    /// The oldest Python this release supports, as (major, minor) (its `Requires-Python`).
    pub(crate) min_python: (u32, u32),
    /// The newest Python this release supports, as (major, minor) (its newest trove classifier).
    pub(crate) max_python: (u32, u32),
    pub(crate) support: Support,
}

/// Oldest first; the releases scaffold generates are the newest ones, after every upgrade base.
/// Checked when compiling (see `django.rs`): series ascending and matching `feature`, `patch`
/// in its series, Pythons in order, bases before generated releases.
///
/// Adding a release: one entry here, then its differences in templates/ (`django_series`), and
/// the snapshots of a generated release reviewed (`cargo insta review`).
pub const RELEASES: &[Release] = &[
    Release {
        feature: "3.2",
        patch: "3.2.25",
        series: 32,
        min_python: (3, 6),
        max_python: (3, 10),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "4.0",
        patch: "4.0.10",
        series: 40,
        min_python: (3, 8),
        max_python: (3, 10),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "4.1",
        patch: "4.1.13",
        series: 41,
        min_python: (3, 8),
        max_python: (3, 11),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "4.2",
        patch: "4.2.30",
        series: 42,
        min_python: (3, 8),
        max_python: (3, 12),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "5.0",
        patch: "5.0.14",
        series: 50,
        min_python: (3, 10),
        max_python: (3, 12),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "5.1",
        patch: "5.1.15",
        series: 51,
        min_python: (3, 10),
        max_python: (3, 13),
        support: Support::UpgradeBase,
    },
    Release {
        feature: "5.2",
        patch: "5.2.19",
        series: 52,
        min_python: (3, 10),
        max_python: (3, 14),
        support: Support::Generated,
    },
    Release {
        feature: "6.0",
        patch: "6.0.10",
        series: 60,
        min_python: (3, 12),
        max_python: (3, 14),
        support: Support::Generated,
    },
    Release {
        feature: "6.1",
        patch: "6.1.3",
        series: 61,
        min_python: (3, 12),
        max_python: (3, 15),
        support: Support::Generated,
    },
];

/// Panics (at compile time, where it is called in a `const`) unless the table holds what its
/// readers rely on; build.rs calls it too.
pub(crate) const fn check_table() {
    assert!(!RELEASES.is_empty(), "the release table is empty");
    let mut i = 0;
    let mut seen_generated = false;
    while i < RELEASES.len() {
        let r = &RELEASES[i];
        assert!(
            feature_is_series(r.feature.as_bytes(), r.series),
            "a release's feature and series disagree (\"4.2\" is series 42)"
        );
        assert!(
            patch_in_feature(r.patch.as_bytes(), r.feature.as_bytes()),
            "a release's patch is not one of its feature release (\"4.2.30\" for \"4.2\")"
        );
        assert!(
            r.min_python.0 < r.max_python.0
                || (r.min_python.0 == r.max_python.0 && r.min_python.1 <= r.max_python.1),
            "a release's min_python is newer than its max_python"
        );
        if i > 0 {
            assert!(
                RELEASES[i - 1].series < r.series,
                "the release table is not oldest first"
            );
        }
        match r.support {
            Support::Generated => seen_generated = true,
            Support::UpgradeBase => assert!(
                !seen_generated,
                "an upgrade base comes after a generated release: Django drops the oldest first"
            ),
        }
        i += 1;
    }
    assert!(seen_generated, "no release is generated");
}

/// `"4.2"` and 42, `"10.0"` and 100: major and minor as digits, minor one digit.
const fn feature_is_series(feature: &[u8], series: u32) -> bool {
    let mut major = 0u32;
    let mut i = 0;
    while i < feature.len() && feature[i].is_ascii_digit() {
        major = major * 10 + (feature[i] - b'0') as u32;
        i += 1;
    }
    i > 0
        && i + 2 == feature.len()
        && feature[i] == b'.'
        && feature[i + 1].is_ascii_digit()
        && major * 10 + (feature[i + 1] - b'0') as u32 == series
}

/// `"4.2.30"` in `"4.2"`: the feature, a dot, digits.
const fn patch_in_feature(patch: &[u8], feature: &[u8]) -> bool {
    if patch.len() < feature.len() + 2 {
        return false;
    }
    let mut i = 0;
    while i < feature.len() {
        if patch[i] != feature[i] {
            return false;
        }
        i += 1;
    }
    if patch[i] != b'.' {
        return false;
    }
    i += 1;
    while i < patch.len() {
        if !patch[i].is_ascii_digit() {
            return false;
        }
        i += 1;
    }
    true
}
