//! The Django a project will run on: found in the active venv (`VIRTUAL_ENV`), else in a `.venv`
//! in the target directory or above it, by reading its `django-X.Y.Z.dist-info` and `pyvenv.cfg`
//! (no Python is started). Parsing and choosing are pure; [`find`] is the only I/O.

use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use crate::django::DjangoVersion;
use crate::error::Error;
use crate::handle;

/// A Python environment where the project will run, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installed {
    /// The environment's directory.
    pub(crate) env: PathBuf,
    /// How to name it to the user: `.venv`, `/abs/.venv` or `the active venv /abs/env`.
    pub(crate) place: String,
    /// The installed Django's version (`5.2.8`), if any.
    pub(crate) django: Option<String>,
    /// The environment's Python version from `pyvenv.cfg` (`3.11.7`), if known.
    pub(crate) python: Option<String>,
}

/// Why a release was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// `--django`.
    Given,
    /// The feature release of the Django installed in `place`.
    Found { django: String, place: String },
    /// No Django found, inside a project whose settings say which release made it: that
    /// release (`release` as written, `file` the settings module that says it, relative to the
    /// project).
    Project { release: String, file: PathBuf },
    /// No Django found: the newest supported release.
    Newest,
}

/// The release to emit, why, and what is wrong with the environment, if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    pub(crate) version: DjangoVersion,
    pub(crate) origin: Origin,
    /// The environment's Python is older than the release needs.
    pub(crate) warning: Option<String>,
}

/// The version in a dist-info directory's name: `django-5.2.8.dist-info` (or pip's older
/// `Django-5.2.8.dist-info`) gives `5.2.8`.
pub(crate) fn django_dist_info(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".dist-info")?;
    let (project, version) = stem.split_once('-')?;
    (project.eq_ignore_ascii_case("django") && !version.is_empty()).then_some(version)
}

/// The Python version that `python -m venv` (`version = 3.11.7`), uv (`version_info = 3.12.1`)
/// or virtualenv (`version_info = 3.11.7.final.0`) wrote into `pyvenv.cfg`.
pub(crate) fn pyvenv_python(cfg: &str) -> Option<String> {
    let mut found = None;
    for line in cfg.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim();
        if key == "version" || key == "version_info" {
            let numeric: Vec<&str> = value
                .trim()
                .split('.')
                .take(3)
                .take_while(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                .collect();
            if numeric.len() >= 2 {
                found = Some(numeric.join("."));
                if key == "version" {
                    break;
                }
            }
        }
    }
    found
}

/// `(major, minor)` of a version such as `5.2.8`, `6.1a1` or `3.12`.
pub(crate) fn feature(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let leading = |part: Option<&str>| -> Option<u32> {
        let part = part?;
        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
        part[..digits].parse().ok()
    };
    Some((leading(parts.next())?, leading(parts.next())?))
}

/// The release to emit: `--django` if given, else the installed Django's feature release, else
/// the newest. An installed Django that scaffold does not generate is refused, naming it, and so
/// is an upgrade base requested through the library (the command line refuses it first).
pub(crate) fn choose(
    requested: Option<DjangoVersion>,
    installed: Option<&Installed>,
) -> Result<Choice, Error> {
    let found = installed.and_then(|i| i.django.as_deref().map(|d| (i, d)));
    let (version, origin) = match (requested, found) {
        (Some(version), _) if !version.is_generated() => {
            return Err(Error::NotGenerated(version));
        }
        (Some(version), _) => (version, Origin::Given),
        (None, Some((installed, django))) => {
            // An upgrade base installed is refused as an unknown release is: the project would
            // run on a Django that its own project no longer supports.
            let version = feature(django)
                .and_then(|(major, minor)| DjangoVersion::from_feature(major, minor))
                .filter(|v| v.is_generated())
                .ok_or_else(|| Error::UnsupportedInstalledDjango {
                    version: django.to_owned(),
                    place: installed.place.clone(),
                    nearest: nearest_supported(django),
                })?;
            (
                version,
                Origin::Found {
                    django: django.to_owned(),
                    place: installed.place.clone(),
                },
            )
        }
        (None, None) => (DjangoVersion::NEWEST, Origin::Newest),
    };
    let warning = installed.and_then(|i| python_warning(version, i));
    Ok(Choice {
        version,
        origin,
        warning,
    })
}

/// The choice for an app inside a project when no Django was found: the feature release that
/// the project's settings say generated it (see [`crate::register::generated_release`]), when
/// scaffold emits that release; None otherwise, and the newest stands.
pub(crate) fn from_project(
    release: &str,
    file: &Path,
    installed: Option<&Installed>,
) -> Option<Choice> {
    let (major, minor) = feature(release)?;
    let version = DjangoVersion::from_feature(major, minor).filter(|v| v.is_generated())?;
    Some(Choice {
        version,
        origin: Origin::Project {
            release: release.to_owned(),
            file: file.to_owned(),
        },
        warning: installed.and_then(|i| python_warning(version, i)),
    })
}

/// The generated release closest to an unsupported one: the oldest for older ones, the newest
/// for newer ones.
fn nearest_supported(django: &str) -> DjangoVersion {
    let oldest = DjangoVersion::generated()[0];
    match feature(django) {
        Some(found) if feature(oldest.docs_version()).is_some_and(|o| found < o) => oldest,
        _ => DjangoVersion::NEWEST,
    }
}

fn python_warning(version: DjangoVersion, installed: &Installed) -> Option<String> {
    let python = installed.python.as_deref()?;
    let have = feature(python)?;
    let (major, minor) = version.min_python();
    if have >= (major, minor) {
        return None;
    }
    let instead = DjangoVersion::generated()
        .iter()
        .rev()
        .find(|v| v.min_python() <= have)
        .map(|v| format!("pass --django {v}, or "))
        .unwrap_or_default();
    Some(format!(
        "Django {version} needs Python {major}.{minor} or newer, but {} has Python {python}; \
         {instead}make the venv with a newer Python",
        installed.place
    ))
}

/// The most of `pyvenv.cfg` that is read: a few hundred bytes in practice.
const MAX_PYVENV_CFG: u64 = 64 << 10;

/// Looks for the environment the project at `target` will run in: `virtual_env` (the active
/// venv) if given, else the nearest `.venv` in `target` or a directory above it. `cwd` only
/// shortens the name shown to the user.
///
/// A `.venv` is found, not named, so it is read as untrusted (SPEC 11): it counts only when it
/// is a real directory (not a link) owned by the user running scaffold or by root; below it,
/// and below the active venv, nothing is read through a link, `pyvenv.cfg` only when it is a
/// regular file, without blocking and up to a size limit.
pub(crate) fn find(virtual_env: Option<&Path>, target: &Path, cwd: &Path) -> Option<Installed> {
    if let Some(env) = virtual_env.filter(|env| env.is_dir()) {
        let fd = handle::open_dir(env).ok()?;
        return Some(read(
            fd.as_fd(),
            env,
            format!("the active venv {}", env.display()),
        ));
    }
    target.ancestors().find_map(|dir| {
        let env = dir.join(".venv");
        let fd = handle::open_dir_not_linked(&env).ok()?;
        let stat = rustix::fs::fstat(&fd).ok()?;
        if !handle::owned_by_user_or_root(&stat) {
            return None;
        }
        let place = env
            .strip_prefix(cwd)
            .map(|rel| rel.display().to_string())
            .unwrap_or_else(|_| env.display().to_string());
        Some(read(fd.as_fd(), &env, place))
    })
}

/// The names in the directory `rel` below `env`, reached without following a link; none when
/// it cannot be read.
fn names_beneath(env: BorrowedFd<'_>, rel: &Path) -> Vec<String> {
    handle::open_dir_beneath(env, rel)
        .and_then(|dir| handle::list_dir(dir.as_fd()))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|name| name.into_string().ok())
        .collect()
}

/// Reads `pyvenv.cfg` and the `lib/python3.*/site-packages` directories of the environment
/// open as `fd` (at `env`); what cannot be read counts as absent.
fn read(fd: BorrowedFd<'_>, env: &Path, place: String) -> Installed {
    let python = handle::read_beneath(fd, Path::new("pyvenv.cfg"), MAX_PYVENV_CFG)
        .ok()
        .and_then(|(cfg, _)| pyvenv_python(&String::from_utf8_lossy(&cfg)));
    let mut libs: Vec<String> = names_beneath(fd, Path::new("lib"))
        .into_iter()
        .filter(|name| name.starts_with("python3."))
        .collect();
    libs.sort();
    // The venv's own Python first, should there be several.
    if let Some((major, minor)) = python.as_deref().and_then(feature) {
        let own = format!("python{major}.{minor}");
        libs.sort_by_key(|name| *name != own);
    }
    let django = libs.iter().find_map(|lib| {
        let site = Path::new("lib").join(lib).join("site-packages");
        let mut found: Vec<String> = names_beneath(fd, &site)
            .iter()
            .filter_map(|name| django_dist_info(name).map(str::to_owned))
            .collect();
        found.sort();
        found.pop()
    });
    Installed {
        env: env.to_owned(),
        place,
        django,
        python,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(feature: &str) -> DjangoVersion {
        DjangoVersion::known(feature).unwrap()
    }

    fn venv(django: Option<&str>, python: Option<&str>) -> Installed {
        Installed {
            env: PathBuf::from("/p/.venv"),
            place: ".venv".into(),
            django: django.map(str::to_owned),
            python: python.map(str::to_owned),
        }
    }

    #[test]
    fn reads_dist_info_names() {
        assert_eq!(django_dist_info("django-5.2.8.dist-info"), Some("5.2.8"));
        assert_eq!(django_dist_info("Django-6.1.dist-info"), Some("6.1"));
        assert_eq!(django_dist_info("django_extensions-4.1.dist-info"), None);
        assert_eq!(django_dist_info("djangorestframework-3.16.dist-info"), None);
        assert_eq!(django_dist_info("django-5.2.8.egg-info"), None);
        assert_eq!(django_dist_info("django"), None);
    }

    #[test]
    fn reads_pyvenv_cfg() {
        let venv = "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n";
        assert_eq!(pyvenv_python(venv).as_deref(), Some("3.11.7"));
        let uv = "home = /x\nimplementation = CPython\nuv = 0.9.1\nversion_info = 3.12.1\n";
        assert_eq!(pyvenv_python(uv).as_deref(), Some("3.12.1"));
        let virtualenv = "version_info = 3.13.0.final.0\nversion = 3.13.0\n";
        assert_eq!(pyvenv_python(virtualenv).as_deref(), Some("3.13.0"));
        assert_eq!(pyvenv_python("version = three\n"), None);
        assert_eq!(pyvenv_python(""), None);
    }

    #[test]
    fn feature_releases() {
        assert_eq!(feature("5.2.8"), Some((5, 2)));
        assert_eq!(feature("6.1a1"), Some((6, 1)));
        assert_eq!(feature("3.12"), Some((3, 12)));
        assert_eq!(feature("6"), None);
        assert_eq!(feature("x.y"), None);
    }

    #[test]
    fn installed_release_is_chosen_and_django_flag_wins() {
        let choice = choose(None, Some(&venv(Some("5.2.8"), Some("3.11.7")))).unwrap();
        assert_eq!(choice.version, v("5.2"));
        assert_eq!(
            choice.origin,
            Origin::Found {
                django: "5.2.8".into(),
                place: ".venv".into()
            }
        );
        assert_eq!(choice.warning, None);

        let given = choose(Some(v("6.0")), Some(&venv(Some("4.2.1"), Some("3.12.1")))).unwrap();
        assert_eq!((given.version, given.origin), (v("6.0"), Origin::Given));

        let none = choose(None, Some(&venv(None, None))).unwrap();
        assert_eq!(
            (none.version, none.origin),
            (DjangoVersion::NEWEST, Origin::Newest)
        );
        assert_eq!(choose(None, None).unwrap().origin, Origin::Newest);
    }

    #[test]
    fn unsupported_installed_release_is_refused_naming_it() {
        let old = choose(None, Some(&venv(Some("4.2.1"), None))).unwrap_err();
        assert_eq!(
            old.to_string(),
            "Django 4.2.1 is installed in .venv, but scaffold emits only Django 5.2, 6.0 and 6.1"
        );
        assert!(
            old.hint().unwrap().contains("--django 5.2"),
            "{:?}",
            old.hint()
        );
        // Every upgrade base installed is refused the same way; requested, it is refused too.
        for base in DjangoVersion::upgrade_bases() {
            let installed = venv(Some(base.release()), None);
            let err = choose(None, Some(&installed)).unwrap_err();
            assert!(err.to_string().contains("emits only Django 5.2"), "{err}");
            let err = choose(Some(*base), Some(&installed)).unwrap_err();
            assert_eq!(err.to_string(), base.no_longer_supported());
        }
        let new = choose(None, Some(&venv(Some("6.2"), None))).unwrap_err();
        assert!(new.to_string().contains("Django 6.2 is installed"), "{new}");
        assert!(
            new.hint().unwrap().contains("--django 6.1"),
            "{:?}",
            new.hint()
        );
    }

    #[test]
    fn too_old_python_is_warned_about() {
        let installed = venv(None, Some("3.11.7"));
        let choice = choose(Some(v("6.1")), Some(&installed)).unwrap();
        assert_eq!(
            choice.warning.as_deref(),
            Some(
                "Django 6.1 needs Python 3.12 or newer, but .venv has Python 3.11.7; \
                 pass --django 5.2, or make the venv with a newer Python"
            )
        );
        let choice = choose(Some(v("5.2")), Some(&installed)).unwrap();
        assert_eq!(choice.warning, None);
        let ancient = choose(None, Some(&venv(None, Some("3.8.18")))).unwrap();
        assert!(ancient
            .warning
            .unwrap()
            .ends_with("has Python 3.8.18; make the venv with a newer Python"));
    }
}
