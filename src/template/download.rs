//! Downloading a template archive over http(s) with ureq (rustls): bounded in time and size,
//! and named from the URL, the Content-Disposition file name or the Content-Type, as Django's
//! `TemplateCommand.download` does.

use crate::interrupt::{self, Checked};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::archive::{kind_from_name, ArchiveKind};

/// Why a download failed.
#[derive(Debug)]
pub(super) enum DownloadError {
    /// No complete answer within the time-out.
    TimedOut,
    /// The body passed the size limit.
    TooLarge,
    /// An HTTP error status or a transport error.
    Failed(String),
    /// The archive type is known neither from the URL, the Content-Disposition nor the
    /// Content-Type.
    UnknownType { content_type: Option<String> },
    /// Writing the downloaded file failed.
    Io(io::Error),
    /// An interrupt arrived (see `crate::interrupt`).
    Interrupted,
    /// The Content-Disposition file name is not a plain file name (a path, `..`, absolute), as
    /// Django 6.1 refuses it (`safe_join`); the message says why.
    SuspiciousName(String),
}

/// Told how a download advances, so that a caller can show it (the binary draws a progress bar
/// on a terminal); the library itself never prints.
pub trait DownloadProgress: std::fmt::Debug + Send + Sync {
    /// The server answered; `total` is its Content-Length, if it sent one.
    fn started(&self, total: Option<u64>);
    /// `bytes` more of the body arrived.
    fn advanced(&self, bytes: u64);
    /// The download ended, complete or not.
    fn finished(&self);
}

/// A download nobody watches.
#[derive(Debug)]
struct Unobserved;

impl DownloadProgress for Unobserved {
    fn started(&self, _: Option<u64>) {}
    fn advanced(&self, _: u64) {}
    fn finished(&self) {}
}

/// Counts what passes through into a [`DownloadProgress`].
struct Counted<'a, R> {
    inner: R,
    progress: &'a dyn DownloadProgress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.advanced(n as u64);
        Ok(n)
    }
}

/// Ends a progress report however the download ends.
struct Finish<'a>(&'a dyn DownloadProgress);

impl Drop for Finish<'_> {
    fn drop(&mut self) {
        self.0.finished();
    }
}

/// The User-Agent of every request: scaffold and its version.
pub(super) fn user_agent() -> String {
    format!("scaffold/{}", env!("CARGO_PKG_VERSION"))
}

/// Downloads `url` into `dir` and returns the file and its archive kind; `progress`, if any, is
/// told how the body's transfer advances.
pub(super) fn download(
    url: &str,
    dir: &Path,
    limit: u64,
    timeout: Duration,
    progress: Option<&dyn DownloadProgress>,
) -> Result<(PathBuf, ArchiveKind), DownloadError> {
    let mut response = get_following_redirects(url, timeout)?;

    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let disposition = header("content-disposition");
    let content_type = header("content-type");
    let content_length = header("content-length").and_then(|n| n.trim().parse::<u64>().ok());
    // Django checks the server's name whenever there is one, even when the URL names the type.
    if let Some(name) = disposition.as_deref().and_then(disposition_file_name) {
        check_plain_file_name(&name)?;
    }
    let url_name = url_file_name(url);
    let (name, kind) = match kind_from_name(&url_name) {
        Some(kind) => (url_name, kind),
        None => match disposition
            .as_deref()
            .and_then(disposition_file_name)
            .and_then(|n| kind_from_name(&n).map(|k| (n, k)))
        {
            Some(found) => found,
            None => match content_type.as_deref().and_then(kind_from_content_type) {
                Some(kind) => (
                    format!(
                        "template.{}",
                        if kind == ArchiveKind::Zip {
                            "zip"
                        } else {
                            "tar"
                        }
                    ),
                    kind,
                ),
                None => return Err(DownloadError::UnknownType { content_type }),
            },
        },
    };

    let path = dir.join(safe_file_name(&name));
    let mut file = File::create(&path).map_err(DownloadError::Io)?;
    let progress = progress.unwrap_or(&Unobserved);
    progress.started(content_length.filter(|n| *n <= limit));
    let _finish = Finish(progress);
    let mut body = Counted {
        inner: Checked(response.body_mut().as_reader()),
        progress,
    }
    .take(limit.saturating_add(1));
    let copied = io::copy(&mut body, &mut file).map_err(|e| match e.kind() {
        _ if interrupt::is_interruption(&e) => DownloadError::Interrupted,
        io::ErrorKind::TimedOut => DownloadError::TimedOut,
        _ => match e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        {
            Some(ureq::Error::Timeout(_)) => DownloadError::TimedOut,
            _ => DownloadError::Failed(e.to_string()),
        },
    })?;
    if copied > limit {
        return Err(DownloadError::TooLarge);
    }
    file.flush().map_err(DownloadError::Io)?;
    Ok((path, kind))
}

/// Redirects followed at most, as browsers and Python's urllib do.
const MAX_REDIRECTS: usize = 10;

/// GETs `url`, following redirects here rather than in ureq, so that a redirect to anything but
/// http or https is named as such, and the whole chain shares one deadline.
fn get_following_redirects(
    url: &str,
    timeout: Duration,
) -> Result<ureq::http::Response<ureq::Body>, DownloadError> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .user_agent(user_agent())
        .http_status_as_error(true)
        .max_redirects(0)
        .build()
        .into();
    let deadline = std::time::Instant::now() + timeout;
    let mut current = url.to_owned();
    for _ in 0..=MAX_REDIRECTS {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(DownloadError::TimedOut);
        }
        let response = agent
            .get(&current)
            .config()
            .timeout_global(Some(left))
            .build()
            .call()
            .map_err(|e| match e {
                ureq::Error::Timeout(_) => DownloadError::TimedOut,
                ureq::Error::Io(io) if io.kind() == io::ErrorKind::TimedOut => {
                    DownloadError::TimedOut
                }
                ureq::Error::StatusCode(code) => {
                    DownloadError::Failed(format!("the server answered HTTP {code}"))
                }
                other => DownloadError::Failed(other.to_string()),
            })?;
        if !response.status().is_redirection() {
            return Ok(response);
        }
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                DownloadError::Failed(format!(
                    "the server answered HTTP {} without a Location",
                    response.status().as_u16()
                ))
            })?;
        current = redirect_target(&current, location)?;
    }
    Err(DownloadError::Failed(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}

/// Where a redirect from `from` to `location` leads: an absolute http(s) URL, or a location
/// relative to `from`. Any other scheme is refused by name.
fn redirect_target(from: &str, location: &str) -> Result<String, DownloadError> {
    let location = location.trim();
    if let Some((scheme, _)) = location.split_once(':').filter(|(scheme, _)| {
        !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) {
        let scheme = scheme.to_ascii_lowercase();
        if scheme == "http" || scheme == "https" {
            return Ok(location.to_owned());
        }
        return Err(DownloadError::Failed(format!(
            "the server redirected to a {scheme}: URL ({}), and only http and https are followed",
            crate::template::archive::shown(location)
        )));
    }
    let (scheme, rest) = from.split_once("://").unwrap_or(("http", from));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if let Some(scheme_relative) = location.strip_prefix("//") {
        return Ok(format!("{scheme}://{scheme_relative}"));
    }
    if location.starts_with('/') {
        return Ok(format!("{scheme}://{authority}{location}"));
    }
    let path = rest[authority.len()..]
        .split(['?', '#'])
        .next()
        .unwrap_or("");
    let directory = path.rsplit_once('/').map_or("", |(dir, _)| dir);
    Ok(format!("{scheme}://{authority}{directory}/{location}"))
}

/// The last segment of the URL's path, without query or fragment and ignoring a trailing
/// slash, as Django's `cleanup_url` takes it.
pub(super) fn url_file_name(url: &str) -> String {
    let without_fragment = url.split('#').next().unwrap_or(url);
    let without_query = without_fragment
        .split('?')
        .next()
        .unwrap_or(without_fragment);
    let after_scheme = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| rest);
    let path = after_scheme.split_once('/').map_or("", |(_, path)| path);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The `filename` (or RFC 5987 `filename*`) parameter of a Content-Disposition header.
pub(super) fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for param in header.split(';').skip(1) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key == "filename*" {
            // charset'language'percent-encoded
            let encoded = value.splitn(3, '\'').nth(2)?;
            return Some(percent_decode(encoded));
        }
        if key == "filename" {
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            plain = Some(unquoted.replace("\\\"", "\"").replace("\\\\", "\\"));
        }
    }
    plain
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((high * 16 + low) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Archive kinds of the Content-Types servers use for them; compression is read from the
/// bytes later.
fn kind_from_content_type(content_type: &str) -> Option<ArchiveKind> {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/zip" | "application/x-zip-compressed" | "application/x-zip" => {
            Some(ArchiveKind::Zip)
        }
        "application/x-tar"
        | "application/gzip"
        | "application/x-gzip"
        | "application/x-gtar"
        | "application/x-compressed-tar"
        | "application/x-bzip2"
        | "application/x-xz" => Some(ArchiveKind::Tar),
        _ => None,
    }
}

/// Refuses a file name from the server that is not one plain name in the download directory.
/// An absolute name or one with `..` gets Django's words (`SuspiciousFileOperation` from
/// `safe_join`); another path (`a/b.tgz`), which Django would try to move into a directory that
/// does not exist, is refused too.
fn check_plain_file_name(name: &str) -> Result<(), DownloadError> {
    let path = Path::new(name);
    let outside = path.is_absolute()
        || name.starts_with('\\')
        || name.split(['/', '\\']).any(|part| part == "..");
    if outside {
        return Err(DownloadError::SuspiciousName(format!(
            "the file name '{name}' in the server's Content-Disposition is located outside of the base path component (the download directory)"
        )));
    }
    if name.contains(['/', '\\', '\0']) || name == "." {
        return Err(DownloadError::SuspiciousName(format!(
            "the file name '{name}' in the server's Content-Disposition is not a plain file name"
        )));
    }
    Ok(())
}

/// A name from the network, made safe to use as one file name in the download directory.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "template".into()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_targets() {
        let to = |from: &str, location: &str| redirect_target(from, location).ok();
        assert_eq!(
            to("http://h:1/a/b.zip", "https://x/t.zip").as_deref(),
            Some("https://x/t.zip")
        );
        assert_eq!(
            to("http://h:1/a/b.zip", "/c.zip").as_deref(),
            Some("http://h:1/c.zip")
        );
        assert_eq!(
            to("http://h:1/a/b.zip?q", "c.zip").as_deref(),
            Some("http://h:1/a/c.zip")
        );
        assert_eq!(
            to("https://h/a", "//g/t.zip").as_deref(),
            Some("https://g/t.zip")
        );
        for bad in ["file:///etc/passwd", "ftp://x/t.zip", "FILE:/etc/passwd"] {
            match redirect_target("http://h/a", bad) {
                Err(DownloadError::Failed(message)) => {
                    assert!(message.contains("redirected to a"), "{message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_from_urls_and_headers() {
        assert_eq!(url_file_name("https://example.com/a/t.tar.gz"), "t.tar.gz");
        assert_eq!(url_file_name("https://example.com/a/t.zip/"), "t.zip");
        assert_eq!(url_file_name("http://h:8000/dl?x=t.zip#f"), "dl");
        assert_eq!(url_file_name("http://h"), "");
        assert_eq!(
            disposition_file_name("attachment; filename=\"t.tgz\"").as_deref(),
            Some("t.tgz")
        );
        assert_eq!(
            disposition_file_name("attachment; filename*=UTF-8''t%20x.zip").as_deref(),
            Some("t x.zip")
        );
        assert_eq!(disposition_file_name("inline"), None);
        assert_eq!(safe_file_name("../../etc/t.zip"), "t.zip");
        assert_eq!(safe_file_name(".."), "template");
        for (bad, why) in [
            (
                "/nonexistent/archive.tgz",
                "is located outside of the base path component",
            ),
            ("../t.tgz", "is located outside of the base path component"),
            (
                "a/../../t.tgz",
                "is located outside of the base path component",
            ),
            ("..", "is located outside of the base path component"),
            (
                "\\\\server\\t.tgz",
                "is located outside of the base path component",
            ),
            ("a/t.tgz", "is not a plain file name"),
            ("a\\t.tgz", "is not a plain file name"),
            (".", "is not a plain file name"),
        ] {
            match check_plain_file_name(bad) {
                Err(DownloadError::SuspiciousName(message)) => {
                    assert!(message.contains(why), "{bad}: {message}")
                }
                other => panic!("{bad}: {other:?}"),
            }
        }
        for good in ["t.tgz", "my template.tar.gz", "..t.zip"] {
            assert!(check_plain_file_name(good).is_ok(), "{good}");
        }
        assert_eq!(
            kind_from_content_type("application/zip; charset=binary"),
            Some(ArchiveKind::Zip)
        );
        assert_eq!(kind_from_content_type("text/html"), None);
    }
}
