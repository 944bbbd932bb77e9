//! Django 5.2's `urlize` (`django.utils.html.Urlizer`, `smart_urlquote`), with the parts of
//! Python it rests on: `html.unescape`, `urllib.parse` (`urlsplit`, `urlunsplit`, `quote`,
//! `unquote`, `parse_qsl`, `urlencode`), `re`'s `\w`, and `EmailValidator(allowlist=[])`.
//!
//! Django's regexes are replaced by scans that accept exactly the same words, each linear in the
//! word's length; the punctuation trimming loop runs a bounded number of rounds (each strips
//! something, and the wrapping and semicolon steps cannot repeat more than a few times), so a
//! hostile word costs time linear in its length, and the output is checked against the limit
//! word by word.
//!
//! The tables in `urlize_tables.rs` come from CPython 3.11 (`tools/gen_urlize_tables.py`);
//! `tools/urlize_differential.py` compares the filters with Django's on random words.

use unicode_normalization::UnicodeNormalization;

use crate::filters::escape;
use crate::python::{is_python_space, quote};
use crate::urlize_tables::{HTML5, INVALID_CHARREFS, WORD};
use crate::value::Failure;

/// `django.utils.http.MAX_URL_LENGTH`.
const MAX_URL_LENGTH: usize = 2048;

/// `RFC3986_SUBDELIMS + RFC3986_GENDELIMS + "~"`, `smart_urlquote`'s safe characters.
const URL_SAFE: &str = "!$&'()*+,;=:/?#[]@~";

/// Python's `re` `\w` on a `str`.
fn is_word(c: char) -> bool {
    let c = c as u32;
    WORD.binary_search_by(|&(lo, hi)| {
        if hi < c {
            std::cmp::Ordering::Less
        } else if lo > c {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    })
    .is_ok()
}

/// `re.split(r"([\s<>"']+)")`'s separator characters.
fn is_separator(c: char) -> bool {
    is_python_space(c) || matches!(c, '<' | '>' | '"' | '\'')
}

/// `Urlizer.__call__` with `nofollow`, as the `urlize` and `urlizetrunc` filters call it.
/// `max_size` bounds the output, in bytes.
pub(crate) fn urlize(
    text: &str,
    safe_input: bool,
    trim_url_limit: Option<i64>,
    nofollow: bool,
    autoescape: bool,
    max_size: u64,
) -> Result<String, Failure> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(first) = rest.chars().next() {
        let sep = is_separator(first);
        let end = rest
            .char_indices()
            .find(|&(_, c)| is_separator(c) != sep)
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        let done = handle_word(word, safe_input, trim_url_limit, nofollow, autoescape);
        out.push_str(&done);
        if out.len() as u64 > max_size {
            return Err(Failure::Unsupported(format!(
                "a value of more than {max_size} bytes (more than the output limit)"
            )));
        }
    }
    Ok(out)
}

fn handle_word(
    word: &str,
    safe_input: bool,
    trim_url_limit: Option<i64>,
    nofollow: bool,
    autoescape: bool,
) -> String {
    let plain = || {
        if !safe_input && autoescape {
            escape(word)
        } else {
            word.to_owned()
        }
    };
    if !(word.contains('.') || word.contains('@') || word.contains(':')) {
        return plain();
    }
    let (lead, middle, trail) = trim_punctuation(word);
    let middle_len = middle.chars().count();
    let mut nofollow_attr = if nofollow { " rel=\"nofollow\"" } else { "" };
    let url = if middle_len <= MAX_URL_LENGTH && simple_url(&middle) {
        smart_urlquote(&unescape(&middle))
    } else if middle_len <= MAX_URL_LENGTH && simple_url_2(&middle) {
        smart_urlquote(&format!("http://{}", unescape(&middle)))
    } else if !middle.contains(':') && is_email_simple(&middle) {
        let Some((local, domain)) = middle.rsplit_once('@') else {
            return plain();
        };
        nofollow_attr = "";
        format!("mailto:{}@{}", quote(local, ""), quote(domain, ""))
    } else {
        String::new()
    };
    if url.is_empty() {
        return plain();
    }
    let mut trimmed = trim_url(&middle, trim_url_limit);
    let (mut lead, mut trail) = (lead, trail);
    if autoescape && !safe_input {
        lead = escape(&lead);
        trail = escape(&trail);
        trimmed = escape(&trimmed);
    }
    format!(
        "{lead}<a href=\"{}\"{nofollow_attr}>{trimmed}</a>{trail}",
        escape(&url)
    )
}

/// `Urlizer.trim_url`.
fn trim_url(x: &str, limit: Option<i64>) -> String {
    let Some(limit) = limit else {
        return x.to_owned();
    };
    let len = x.chars().count() as i64;
    if len <= limit {
        return x.to_owned();
    }
    let keep = (limit - 1).max(0) as usize;
    let mut out: String = x.chars().take(keep).collect();
    out.push('…');
    out
}

/// A character matching the lowercase ASCII letter `p` under Python's `re.IGNORECASE`, which
/// also folds `İ`, `ı` to `i`, `ſ` to `s` and the Kelvin sign to `k`.
fn ci_eq(c: char, p: char) -> bool {
    c.to_ascii_lowercase() == p
        || match p {
            'i' => matches!(c, '\u{130}' | '\u{131}'),
            's' => c == '\u{17F}',
            'k' => c == '\u{212A}',
            _ => false,
        }
}

/// Strips `pattern` (lowercase ASCII) from the start of `s` under `re.IGNORECASE`.
fn strip_ci<'a>(s: &'a str, pattern: &str) -> Option<&'a str> {
    let mut chars = s.char_indices();
    for p in pattern.chars() {
        let (_, c) = chars.next()?;
        if !ci_eq(c, p) {
            return None;
        }
    }
    Some(chars.next().map_or("", |(i, _)| &s[i..]))
}

/// `^https?://\[?\w`, case-insensitive.
fn simple_url(m: &str) -> bool {
    let Some(mut rest) = strip_ci(m, "http") else {
        return false;
    };
    if let Some(r) = strip_ci(rest, "s") {
        rest = r;
    }
    let Some(rest) = rest.strip_prefix("://") else {
        return false;
    };
    let rest = rest.strip_prefix('[').unwrap_or(rest);
    rest.chars().next().is_some_and(is_word)
}

/// `^www\.|^(?!http)\w[^@]+\.(com|edu|gov|int|mil|net|org)($|/.*)$`, case-insensitive (the
/// word has no newline, so `.*$` takes any rest).
fn simple_url_2(m: &str) -> bool {
    if strip_ci(m, "www.").is_some() {
        return true;
    }
    if strip_ci(m, "http").is_some() {
        return false;
    }
    let Some(first) = m.chars().next() else {
        return false;
    };
    if !is_word(first) {
        return false;
    }
    let start = first.len_utf8();
    // `[^@]+` runs from `start` up to a dot at `p > start`, with no `@` in between.
    let limit = m[start..].find('@').map_or(m.len(), |i| start + i);
    let b = m.as_bytes();
    let mut p = start + 1;
    while p < limit {
        if b[p] == b'.' {
            let rest = &m[p + 1..];
            let tld_end = ["com", "edu", "gov", "int", "mil", "net", "org"]
                .iter()
                .find_map(|t| strip_ci(rest, t));
            if tld_end.is_some_and(|r| r.is_empty() || r.starts_with('/')) {
                return true;
            }
        }
        p += 1;
    }
    false
}

/// `Urlizer.trim_punctuation`: (lead, middle, trail).
fn trim_punctuation(word: &str) -> (String, String, String) {
    let chars: Vec<char> = word.chars().collect();
    let start = chars.iter().take_while(|c| matches!(c, '(' | '[')).count();
    let lead: String = chars[..start].iter().collect();
    let mut middle: Vec<char> = chars[start..].to_vec();
    let mut trail: Vec<char> = Vec::new();
    // `CountsDict` counts in the middle as it was before trimming.
    let count = |c: char| middle.iter().filter(|&&x| x == c).count() as i64;
    let mut counts = [(count('('), count(')'), ')'), (count('['), count(']'), ']')];
    let strip_all = |m: &[char], set: &str| -> usize {
        m.len() - m.iter().rev().take_while(|c| set.contains(**c)).count()
    };
    let mut trimmed_something = true;
    while trimmed_something && !middle.is_empty() {
        trimmed_something = false;
        for (opening, closing, close) in counts.iter_mut() {
            if *opening < *closing && middle.last() == Some(close) {
                let strip = (*closing - *opening) as usize;
                let cut = middle.len().saturating_sub(strip);
                trail = middle[cut..].to_vec();
                middle.truncate(cut);
                trimmed_something = true;
                *closing -= strip as i64;
            }
        }
        let amp = middle.iter().rposition(|&c| c == '&');
        let kept = strip_all(&middle, if amp.is_none() { ".,:;!" } else { ".,:!" });
        if kept != middle.len() {
            let mut t = middle[kept..].to_vec();
            t.extend_from_slice(&trail);
            trail = t;
            middle.truncate(kept);
            trimmed_something = true;
        }
        if middle.last() == Some(&';') {
            // Only strip if not part of an HTML entity (`middle[amp:]`, `middle[-1:]` without).
            let from = amp.unwrap_or(middle.len() - 1);
            let potential: String = middle[from..].iter().collect();
            let escaped = unescape(&potential);
            if escaped == potential || escaped.ends_with(';') {
                let trail_start = strip_all(&middle, ".,:;!");
                let semicolons = middle.len() - strip_all(&middle, ";");
                if amp.is_some() && semicolons > 1 {
                    // Leave up to the most recent semicolon, as it might end an entity.
                    let recent = middle[trail_start..]
                        .iter()
                        .position(|&c| c == ';')
                        .unwrap_or(0);
                    let index = recent + trail_start + 1;
                    let mut t = middle[index..].to_vec();
                    t.extend_from_slice(&trail);
                    trail = t;
                    middle.truncate(index);
                } else {
                    let mut t = middle[trail_start..].to_vec();
                    t.extend_from_slice(&trail);
                    trail = t;
                    middle.truncate(trail_start);
                }
                trimmed_something = true;
            }
        }
    }
    (
        lead,
        middle.into_iter().collect(),
        trail.into_iter().collect(),
    )
}

/// `EmailValidator(allowlist=[])(value)` succeeds.
fn is_email_simple(value: &str) -> bool {
    if value.is_empty() || value.chars().count() > 320 {
        return false;
    }
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    // The dot-atom form; the quoted-string form needs `"`, which never is in a word.
    let user_ok = user.split('.').all(|atom| {
        !atom.is_empty()
            && atom.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || "-!#$%&'*+/=?^_`{}|~".contains(c)
                    || matches!(c, '\u{130}' | '\u{131}' | '\u{17F}' | '\u{212A}')
            })
    });
    user_ok && validate_domain_part(domain)
}

/// `[a-z\u00a1-\uffff0-9-]` case-insensitive (`-` and digits by the caller's choice).
fn is_domain_char(c: char, digits: bool) -> bool {
    c == '-'
        || c.is_ascii_alphabetic()
        || (digits && c.is_ascii_digit())
        || ('\u{a1}'..='\u{ffff}').contains(&c)
}

fn validate_domain_part(domain: &str) -> bool {
    if domain_regex(domain) {
        return true;
    }
    // `\[([A-F0-9:.]+)\]\Z`, then `validate_ipv46_address`.
    let Some(inner) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) else {
        return false;
    };
    if inner.is_empty()
        || !inner
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    {
        return false;
    }
    inner.parse::<std::net::Ipv4Addr>().is_ok()
        || (inner.len() <= 39 && inner.parse::<std::net::Ipv6Addr>().is_ok())
}

/// `^hostname_re domain_re tld_no_fqdn_re\Z`: labels cannot hold a dot, so the match is the
/// split on dots.
fn domain_regex(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let [host, middle @ .., tld] = labels.as_slice() else {
        return false;
    };
    let label = |l: &str, max: usize| {
        let n = l.chars().count();
        (1..=max).contains(&n)
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| is_domain_char(c, true))
    };
    if labels.len() < 2 || !label(host, 63) || !middle.iter().all(|l| label(l, 63)) {
        return false;
    }
    if tld.starts_with('-') || tld.ends_with('-') {
        return false;
    }
    let n = tld.chars().count();
    let plain = (2..=63).contains(&n) && tld.chars().all(|c| is_domain_char(c, false));
    let punycode = tld.len() >= 5
        && tld.as_bytes()[..4].eq_ignore_ascii_case(b"xn--")
        && (1..=59).contains(&tld[4..].chars().count())
        && tld[4..].chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '\u{130}' | '\u{131}' | '\u{17F}' | '\u{212A}')
        });
    plain || punycode
}

/// `urllib.parse.quote_plus(s, safe="")`.
fn quote_plus(s: &str) -> String {
    quote(s, " ").replace(' ', "+")
}

/// `urllib.parse.unquote(s)`: `%XX` runs decoded as UTF-8 with `errors="replace"`, each ASCII
/// run on its own.
fn unquote(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut bytes: Vec<u8> = Vec::new();
    let flush = |bytes: &mut Vec<u8>, out: &mut String| {
        out.push_str(&String::from_utf8_lossy(bytes));
        bytes.clear();
    };
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] >= 0x80 {
            flush(&mut bytes, &mut out);
            let c_len = s[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&s[i..i + c_len]);
            i += c_len;
        } else if b[i] == b'%'
            && i + 2 < b.len()
            && b[i + 1].is_ascii_hexdigit()
            && b[i + 2].is_ascii_hexdigit()
        {
            let hex = |x: u8| (x as char).to_digit(16).unwrap_or(0) as u8;
            bytes.push(hex(b[i + 1]) * 16 + hex(b[i + 2]));
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    flush(&mut bytes, &mut out);
    out
}

/// `unquote_quote` in `smart_urlquote`.
fn unquote_quote(segment: &str) -> String {
    quote(&unquote(segment), URL_SAFE)
}

/// Django's `smart_urlquote`.
fn smart_urlquote(url: &str) -> String {
    let Some(parts) = urlsplit(url) else {
        return unquote_quote(url);
    };
    let netloc = unquote_quote(&parts.netloc);
    let mut query = parts.query;
    if !query.is_empty() {
        query = parse_qsl(&query)
            .into_iter()
            .map(|(k, v)| format!("{}={}", quote_plus(&unquote(&k)), quote_plus(&unquote(&v))))
            .collect::<Vec<_>>()
            .join("&");
    }
    let path = unquote_quote(&parts.path);
    let fragment = unquote_quote(&parts.fragment);
    urlunsplit(&parts.scheme, &netloc, &path, &query, &fragment)
}

struct SplitResult {
    scheme: String,
    netloc: String,
    path: String,
    query: String,
    fragment: String,
}

/// `urllib.parse.urlsplit` (Python 3.11); `None` where it raises `ValueError`.
fn urlsplit(url: &str) -> Option<SplitResult> {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let mut url: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut scheme = String::new();
    let mut netloc = String::new();
    let mut query = String::new();
    let mut fragment = String::new();
    if let Some(i) = url.find(':') {
        let first = url.as_bytes()[0];
        if i > 0
            && first.is_ascii_alphabetic()
            && url[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
        {
            scheme = url[..i].to_ascii_lowercase();
            url = url[i + 1..].to_owned();
        }
    }
    if url.starts_with("//") {
        let end = url[2..].find(['/', '?', '#']).map_or(url.len(), |i| i + 2);
        netloc = url[2..end].to_owned();
        url = url[end..].to_owned();
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return None;
        }
        if open {
            let after = &netloc[netloc.find('[').map_or(0, |i| i + 1)..];
            let host = after.split(']').next().unwrap_or("");
            if !bracketed_host_ok(host) {
                return None;
            }
        }
    }
    if let Some((u, f)) = url.split_once('#') {
        fragment = f.to_owned();
        url = u.to_owned();
    }
    if let Some((u, q)) = url.split_once('?') {
        query = q.to_owned();
        url = u.to_owned();
    }
    if !netloc_ok(&netloc) {
        return None;
    }
    Some(SplitResult {
        scheme,
        netloc,
        path: url,
        query,
        fragment,
    })
}

/// `_check_bracketed_host`: an IPvFuture address or an IPv6 one (with an optional scope).
fn bracketed_host_ok(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix('v') {
        // `\Av[a-fA-F0-9]+\..+\Z`
        let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
        return hex > 0
            && rest[hex..]
                .strip_prefix('.')
                .is_some_and(|r| !r.is_empty() && !r.contains('\n'));
    }
    let (addr, scope) = match host.split_once('%') {
        Some((a, s)) => (a, Some(s)),
        None => (host, None),
    };
    if let Some(scope) = scope {
        if scope.is_empty() || scope.contains('%') {
            return false;
        }
    }
    addr.parse::<std::net::Ipv6Addr>().is_ok()
}

/// `_checknetloc`: no character that NFKC turns into a URL delimiter.
fn netloc_ok(netloc: &str) -> bool {
    if netloc.is_ascii() {
        return true;
    }
    let n: String = netloc
        .chars()
        .filter(|c| !matches!(c, '@' | ':' | '#' | '?'))
        .collect();
    let normalized: String = n.nfkc().collect();
    normalized == n || !normalized.contains(['/', '?', '#', '@', ':'])
}

/// `urllib.parse.parse_qsl(qs, keep_blank_values=True)`.
fn parse_qsl(qs: &str) -> Vec<(String, String)> {
    qs.split('&')
        .filter(|nv| !nv.is_empty())
        .map(|nv| {
            let (name, value) = nv.split_once('=').unwrap_or((nv, ""));
            (
                unquote(&name.replace('+', " ")),
                unquote(&value.replace('+', " ")),
            )
        })
        .collect()
}

const USES_NETLOC: &[&str] = &[
    "",
    "ftp",
    "http",
    "gopher",
    "nntp",
    "telnet",
    "imap",
    "wais",
    "file",
    "mms",
    "https",
    "shttp",
    "snews",
    "prospero",
    "rtsp",
    "rtsps",
    "rtspu",
    "rsync",
    "svn",
    "svn+ssh",
    "sftp",
    "nfs",
    "git",
    "git+ssh",
    "ws",
    "wss",
    "itms-services",
];

/// `urllib.parse.urlunsplit` (Python 3.11).
fn urlunsplit(scheme: &str, netloc: &str, path: &str, query: &str, fragment: &str) -> String {
    let mut url = path.to_owned();
    if !netloc.is_empty()
        || (!scheme.is_empty() && USES_NETLOC.contains(&scheme) && !url.starts_with("//"))
    {
        if !url.is_empty() && !url.starts_with('/') {
            url.insert(0, '/');
        }
        url = format!("//{netloc}{url}");
    }
    if !scheme.is_empty() {
        url = format!("{scheme}:{url}");
    }
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// Python's `html.unescape`.
pub(crate) fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match charref(after) {
            Some((len, replacement)) => {
                out.push_str(&replacement);
                rest = &after[len..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The match of `#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?` at the start of `s`
/// (after the `&`): its length in bytes and its replacement.
fn charref(s: &str) -> Option<(usize, String)> {
    let b = s.as_bytes();
    let semicolon = |end: usize| end + usize::from(b.get(end) == Some(&b';'));
    if let Some(rest) = s.strip_prefix('#') {
        let (digits, radix, start) = if rest.starts_with(['x', 'X']) {
            let n = rest[1..].bytes().take_while(u8::is_ascii_hexdigit).count();
            (&rest[1..1 + n], 16, 2)
        } else {
            let n = rest.bytes().take_while(u8::is_ascii_digit).count();
            (&rest[..n], 10, 1)
        };
        if digits.is_empty() {
            return None;
        }
        let len = semicolon(start + digits.len());
        // Any number past 0x10FFFF gives U+FFFD, however long.
        let trimmed = digits.trim_start_matches('0');
        let num = if trimmed.len() > 8 {
            u32::MAX
        } else {
            u32::from_str_radix(if trimmed.is_empty() { "0" } else { trimmed }, radix)
                .unwrap_or(u32::MAX)
        };
        return Some((len, numeric_charref(num)));
    }
    let name_len: usize = s
        .chars()
        .take_while(|c| !matches!(c, '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';'))
        .take(32)
        .map(char::len_utf8)
        .sum();
    if name_len == 0 {
        return None;
    }
    let len = semicolon(name_len);
    let name = &s[..len];
    if let Some(v) = html5(name) {
        return Some((len, v.to_owned()));
    }
    // The longest name (of 2 characters or more) that is a prefix.
    let bounds: Vec<usize> = name.char_indices().map(|(i, _)| i).skip(2).collect();
    for &end in bounds.iter().rev() {
        if let Some(v) = html5(&name[..end]) {
            return Some((len, format!("{v}{}", &name[end..])));
        }
    }
    Some((len, format!("&{name}")))
}

fn html5(name: &str) -> Option<&'static str> {
    HTML5
        .binary_search_by(|(k, _)| (*k).cmp(name))
        .ok()
        .map(|i| HTML5[i].1)
}

fn numeric_charref(num: u32) -> String {
    if let Ok(i) = INVALID_CHARREFS.binary_search_by(|(k, _)| k.cmp(&num)) {
        return INVALID_CHARREFS[i].1.to_string();
    }
    if (0xD800..=0xDFFF).contains(&num) || num > 0x10FFFF {
        return '\u{FFFD}'.to_string();
    }
    let invalid = (0x1..=0x8).contains(&num)
        || num == 0xB
        || (0xE..=0x1F).contains(&num)
        || (0x7F..=0x9F).contains(&num)
        || (0xFDD0..=0xFDEF).contains(&num)
        || (num & 0xFFFE) == 0xFFFE;
    if invalid {
        return String::new();
    }
    char::from_u32(num).map_or_else(String::new, |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> String {
        urlize(s, false, None, true, true, 1 << 20).unwrap_or_default()
    }

    #[test]
    fn unescape_as_python() {
        assert_eq!(unescape("a&amp;b"), "a&b");
        assert_eq!(unescape("&ampx &lt;"), "&x <");
        assert_eq!(unescape("&notit;"), "¬it;");
        assert_eq!(
            unescape("&#x41;&#66&#0;&#x110000;&#128;"),
            "AB\u{FFFD}\u{FFFD}€"
        );
        assert_eq!(unescape("&#99999999999999999999;"), "\u{FFFD}");
        assert_eq!(unescape("&nosuch; & &#;"), "&nosuch; & &#;");
    }

    #[test]
    fn punctuation() {
        let t = |w: &str| trim_punctuation(w);
        assert_eq!(
            t("(example.com)."),
            ("(".into(), "example.com".into(), ")".into())
        );
        assert_eq!(t("x.com&lt;;"), ("".into(), "x.com&lt;".into(), ";".into()));
        assert_eq!(t("a.b;;;"), ("".into(), "a.b".into(), ";;;".into()));
        assert_eq!(t("&a.b;;;"), ("".into(), "&a.b".into(), ";;;".into()));
    }

    #[test]
    fn urls_and_emails() {
        assert_eq!(
            u("see www.example.com."),
            "see <a href=\"http://www.example.com\" rel=\"nofollow\">www.example.com</a>."
        );
        assert_eq!(
            u("me@example.com"),
            "<a href=\"mailto:me@example.com\">me@example.com</a>"
        );
        assert_eq!(u("me@localhost"), "me@localhost");
        assert_eq!(
            u("a@[127.0.0.1]"),
            "<a href=\"mailto:a@%5B127.0.0.1%5D\">a@[127.0.0.1]</a>"
        );
        assert_eq!(u("a@[127.0.0.01]"), "a@[127.0.0.01]");
        assert_eq!(
            smart_urlquote("http://example.com/a b?q=1 2&x=%20#f"),
            "http://example.com/a%20b?q=1+2&x=+#f"
        );
        assert_eq!(smart_urlquote("http://[::1"), "http://[::1");
    }

    #[test]
    fn hostile_words_are_linear() {
        let word = format!("{}{}", "&a;".repeat(20_000), ";.".repeat(20_000));
        let _ = trim_punctuation(&word);
        let word = format!("x{}.com", "a.".repeat(50_000));
        assert!(simple_url_2(&word));
        assert!(
            simple_url_2("ab.\u{131}nt/x")
                && !simple_url_2("a.int")
                && simple_url("http\u{17F}://x")
        );
        assert!(!simple_url_2("a.\u{131}ntx") && !simple_url_2("a@b.com"));
        assert!(urlize(&"a.b ".repeat(1000), false, None, true, false, 100).is_err());
    }
}
