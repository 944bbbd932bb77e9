//! Python's string rules that Django's behaviour rests on, for the engine and for anyone who
//! must agree with it (scaffold's name checks use the same `str.title()`): `str.isspace()`,
//! `str.strip()`, `str.title()`, `str.capitalize()`, `repr()` of a str and of a float.

/// Python's `str.isspace()` for one character: Unicode White_Space plus the four ASCII
/// separators \x1c-\x1f that Python also counts.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.strip()` without arguments.
pub fn python_strip(s: &str) -> &str {
    // ASCII spaces bytewise (a tag's contents, mostly); then, if what is left starts or ends
    // with a non-ASCII character, the general way.
    let ascii_space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ' | 0x1c..=0x1f);
    let bytes = s.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !ascii_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !ascii_space(b))
        .map_or(start, |i| i + 1);
    let s = &s[start..end];
    let edges = (s.as_bytes().first(), s.as_bytes().last());
    if matches!(edges, (Some(a), Some(b)) if a.is_ascii() && b.is_ascii()) || s.is_empty() {
        s
    } else {
        s.trim_matches(is_python_space)
    }
}

fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || titlecase_only(c)
}

/// The titlecase letters (Lt), cased but neither upper nor lower.
fn titlecase_only(c: char) -> bool {
    matches!(c, 'ǅ' | 'ǈ' | 'ǋ' | 'ǲ' | 'ᾈ'..='ᾏ' | 'ᾘ'..='ᾟ' | 'ᾨ'..='ᾯ' | 'ᾼ' | 'ῌ' | 'ῼ')
}

/// Unicode's full titlecase mapping, where it differs from the uppercase one (Rust has only the
/// latter).
fn to_titlecase(c: char, out: &mut String) {
    let special = match c {
        'ß' => "Ss",
        'ﬀ' => "Ff",
        'ﬁ' => "Fi",
        'ﬂ' => "Fl",
        'ﬃ' => "Ffi",
        'ﬄ' => "Ffl",
        'ﬅ' | 'ﬆ' => "St",
        'և' => "Եւ",
        'ﬓ' => "Մն",
        'ﬔ' => "Մե",
        'ﬕ' => "Մի",
        'ﬖ' => "Վն",
        'ﬗ' => "Մխ",
        'Ǆ' | 'ǅ' | 'ǆ' => "ǅ",
        'Ǉ' | 'ǈ' | 'ǉ' => "ǈ",
        'Ǌ' | 'ǋ' | 'ǌ' => "ǋ",
        'Ǳ' | 'ǲ' | 'ǳ' => "ǲ",
        _ => {
            if titlecase_only(c) {
                out.push(c);
            } else {
                out.extend(c.to_uppercase());
            }
            return;
        }
    };
    out.push_str(special);
}

/// Python's `str.title()`: a cased character after a cased one is lowered, any other is
/// titlecased.
pub fn python_title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut previous_cased = false;
    for c in s.chars() {
        if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            to_titlecase(c, &mut out);
        }
        previous_cased = is_cased(c);
    }
    out
}

/// Python's `str.capitalize()`: the first character titlecased, the rest lowered.
pub fn python_capitalize(s: &str) -> String {
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    if let Some(first) = chars.next() {
        to_titlecase(first, &mut out);
    }
    out.push_str(&chars.as_str().to_lowercase());
    out
}

/// Python's `str.isprintable()` for one character: not a control, format, separator (other
/// than the space), private-use character. Unassigned code points (which Python also escapes)
/// are not known here.
fn is_printable(c: char) -> bool {
    let n = c as u32;
    !(n < 0x20
        || (0x7f..0xa0).contains(&n)
        || matches!(
            n,
            0xa0 | 0xad
                | 0x600..=0x605
                | 0x61c
                | 0x6dd
                | 0x70f
                | 0x890..=0x891
                | 0x8e2
                | 0x1680
                | 0x180e
                | 0x2000..=0x200f
                | 0x2028..=0x202f
                | 0x205f..=0x2064
                | 0x2066..=0x206f
                | 0x3000
                | 0xd800..=0xf8ff
                | 0xfeff
                | 0xfff9..=0xfffb
                | 0x110bd
                | 0x110cd
                | 0x13430..=0x1343f
                | 0x1bca0..=0x1bca3
                | 0x1d173..=0x1d17a
                | 0xe0001
                | 0xe0020..=0xe007f
                | 0xf0000..
        ))
}

/// Python's `repr(str)`: single quotes unless the text holds a single quote and no double one.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let n = c as u32;
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr(float)`: the shortest round-tripping digits, in positional notation for
/// 1e-4 <= |f| < 1e16 and in exponent notation otherwise.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let magnitude = f.abs();
    if magnitude != 0.0 && !(1e-4..1e16).contains(&magnitude) {
        let text = format!("{f:e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        let (sign, digits) = match exponent.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exponent),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let text = format!("{f}");
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

/// `urllib.parse.quote(s, safe)`: UTF-8 percent-encoding of everything but letters, digits,
/// `_.-~` and the characters of `safe`.
pub(crate) fn quote(s: &str, safe: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || "_.-~".contains(c) || (c.is_ascii() && safe.contains(c)) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_is_pythons() {
        for (text, stripped) in [
            ("  a b \t\n", "a b"),
            ("\x1c x\x1f\x0b", "x"),
            ("\u{a0}x\u{2003}", "x"),
            (" \u{85} é \u{3000}", "é"),
            ("é", "é"),
            ("   ", ""),
            ("", ""),
        ] {
            assert_eq!(python_strip(text), stripped, "{text:?}");
        }
    }

    #[test]
    fn python_title_and_capitalize() {
        assert_eq!(python_title("my_site 2nd they're"), "My_Site 2Nd They'Re");
        assert_eq!(python_title("straße"), "Straße");
        assert_eq!(python_title("ßa"), "Ssa");
        assert_eq!(python_capitalize("hELLO world"), "Hello world");
    }

    #[test]
    fn python_reprs() {
        assert_eq!(str_repr("it's"), "\"it's\"");
        assert_eq!(str_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(float_repr(2.0), "2.0");
        assert_eq!(float_repr(1e20), "1e+20");
        assert_eq!(python_strip("\x1c a \u{3000}"), "a");
    }
}
