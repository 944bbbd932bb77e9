//! The Django releases whose templates scaffold emits: the one list of versions and their facts.

use std::fmt;
use std::str::FromStr;

use crate::releases::{Release, RELEASES};

/// A supported Django feature release; its facts are in [`RELEASES`], in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum DjangoVersion {
    #[serde(rename = "5.2")]
    V5_2,
    #[serde(rename = "6.0")]
    V6_0,
    #[serde(rename = "6.1")]
    V6_1,
}

impl DjangoVersion {
    /// Every supported release, oldest first.
    pub const ALL: [DjangoVersion; 3] = [Self::V5_2, Self::V6_0, Self::V6_1];
    /// The release used when `--django` is not given.
    pub const NEWEST: DjangoVersion = Self::V6_1;

    fn facts(self) -> &'static Release {
        &RELEASES[self as usize]
    }

    /// The feature release, as `--django` takes it and as Django's docs URLs spell it
    /// (`get_docs_version()`).
    pub fn docs_version(self) -> &'static str {
        self.facts().feature
    }

    /// The patch release whose templates scaffold reproduces; `django_version` in the template
    /// context.
    pub fn release(self) -> &'static str {
        self.facts().patch
    }

    /// The oldest Python this release runs on, as (major, minor).
    pub fn min_python(self) -> (u32, u32) {
        self.facts().min_python
    }

    /// The supported release of a feature release (`5.2` for Django 5.2.x), if there is one.
    pub fn from_feature(major: u32, minor: u32) -> Option<DjangoVersion> {
        Self::ALL
            .into_iter()
            .find(|v| v.docs_version() == format!("{major}.{minor}"))
    }

    /// `5.2, 6.0, 6.1`
    pub fn supported_list() -> String {
        Self::ALL.map(Self::docs_version).join(", ")
    }
}

// The variants and the release table must agree, in the same order, the newest last: checked
// when compiling, so that a release added to one and not the other fails the build.
const _: () = {
    assert!(DjangoVersion::ALL.len() == RELEASES.len());
    let mut i = 0;
    while i < DjangoVersion::ALL.len() {
        assert!(DjangoVersion::ALL[i] as usize == i);
        i += 1;
    }
    assert!(DjangoVersion::NEWEST as usize == RELEASES.len() - 1);
};

impl fmt::Display for DjangoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.docs_version())
    }
}

impl FromStr for DjangoVersion {
    type Err = String;

    /// Takes a feature release (`6.0`) or one of its patch releases (`6.0.10`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| {
                s == v.docs_version()
                    || s.strip_prefix(v.docs_version())
                        .and_then(|rest| rest.strip_prefix('.'))
                        .is_some_and(|patch| {
                            !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit())
                        })
            })
            .ok_or_else(|| {
                format!(
                    "unsupported Django version '{s}' (supported: {})",
                    Self::supported_list()
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_feature_and_patch_releases() {
        assert_eq!("5.2".parse(), Ok(DjangoVersion::V5_2));
        assert_eq!("6.0.3".parse(), Ok(DjangoVersion::V6_0));
        assert!("6.".parse::<DjangoVersion>().is_err());
        assert!("6.0x".parse::<DjangoVersion>().is_err());
        assert!("6.10".parse::<DjangoVersion>().is_err());
        let err = "4.2".parse::<DjangoVersion>().unwrap_err();
        assert!(err.contains("5.2, 6.0, 6.1"), "{err}");
    }

    #[test]
    fn every_version_has_its_own_release_facts() {
        assert_eq!(DjangoVersion::ALL.len(), RELEASES.len());
        for (version, release) in DjangoVersion::ALL.iter().zip(&RELEASES) {
            assert_eq!(serde_json::to_value(version).unwrap(), release.feature);
            assert!(version
                .release()
                .starts_with(&format!("{}.", release.feature)));
        }
    }

    #[test]
    fn feature_releases_and_their_python() {
        assert_eq!(DjangoVersion::from_feature(5, 2), Some(DjangoVersion::V5_2));
        assert_eq!(DjangoVersion::from_feature(4, 2), None);
        assert_eq!(DjangoVersion::from_feature(6, 2), None);
        assert_eq!(DjangoVersion::V5_2.min_python(), (3, 10));
        assert_eq!(DjangoVersion::V6_1.min_python(), (3, 12));
    }

    #[test]
    fn newest_is_last() {
        assert_eq!(DjangoVersion::ALL.last(), Some(&DjangoVersion::NEWEST));
    }
}
