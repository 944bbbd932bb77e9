//! Django's functions built on `html.parser`: `django.utils.html.strip_tags` and the HTML
//! modes of `django.utils.text.Truncator`.

use crate::htmlparser::{Flow, Handler, Parser, Stop};
use crate::value::Failure;

const MAX_STRIP_TAGS_DEPTH: usize = 50;

/// `MLStripper`: the data and the references, as they were written.
struct Stripper(String);

impl Handler for Stripper {
    fn start_tag(&mut self, _tag: &str, _text: &str) -> Flow {
        Ok(())
    }
    fn end_tag(&mut self, _tag: &str) -> Flow {
        Ok(())
    }
    fn data(&mut self, data: &str) -> Flow {
        self.0.push_str(data);
        Ok(())
    }
    fn char_ref(&mut self, name: &str) -> Flow {
        self.0.push_str("&#");
        self.0.push_str(name);
        self.0.push(';');
        Ok(())
    }
    fn entity_ref(&mut self, name: &str) -> Flow {
        self.0.push('&');
        self.0.push_str(name);
        self.0.push(';');
        Ok(())
    }
}

fn stop_failure(stop: Stop) -> Failure {
    match stop {
        Stop::Failed(f) => f,
        Stop::Done => Failure::Unsupported("an interrupted HTML parse".into()),
    }
}

/// `_strip_once`.
fn strip_once(value: &str) -> Result<String, Failure> {
    let mut stripper = Stripper(String::new());
    let mut parser = Parser::new(value, false, &mut stripper);
    parser.feed().map_err(stop_failure)?;
    parser.close().map_err(stop_failure)?;
    Ok(stripper.0)
}

fn suspicious() -> Failure {
    Failure::Python("SuspiciousOperation".into())
}

/// `long_open_tag_without_closing_re` (`<[a-zA-Z][^>]{1000,}`): any match holding 50 or more
/// '<' is suspicious.
fn check_long_open_tags(value: &[char]) -> Result<(), Failure> {
    let n = value.len();
    let mut next_gt = vec![n; n + 1];
    let mut lts = vec![0usize; n + 1];
    for i in (0..n).rev() {
        next_gt[i] = if value[i] == '>' { i } else { next_gt[i + 1] };
    }
    for i in 0..n {
        lts[i + 1] = lts[i] + usize::from(value[i] == '<');
    }
    let mut i = 0;
    while i + 1 < n {
        if value[i] == '<' && value[i + 1].is_ascii_alphabetic() {
            let end = next_gt[i + 2];
            if end - (i + 2) >= 1000 {
                if lts[end] - lts[i] >= MAX_STRIP_TAGS_DEPTH {
                    return Err(suspicious());
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
    Ok(())
}

/// `django.utils.html.strip_tags`.
pub(crate) fn strip_tags(value: &str) -> Result<String, Failure> {
    let chars: Vec<char> = value.chars().collect();
    check_long_open_tags(&chars)?;
    let mut value = value.to_owned();
    let mut depth = 0;
    while value.contains('<') && value.contains('>') {
        if depth >= MAX_STRIP_TAGS_DEPTH {
            return Err(suspicious());
        }
        let new_value = strip_once(&value)?;
        if value.matches('<').count() == new_value.matches('<').count() {
            break;
        }
        value = new_value;
        depth += 1;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_tags_as_django() {
        let cases = [
            (
                "some <b>html</b> with <script>alert(\"You smell\")</script> disallowed <img /> tags",
                "some html with alert(\"You smell\") disallowed  tags",
            ),
            ("<p>See: &#39;&eacute; is an apostrophe</p>", "See: &#39;&eacute; is an apostrophe"),
            ("<adf>a", "a"),
            ("</adf>a", "a"),
            ("<asdf><asdf>e", "e"),
            ("hi, <f x", "hi, <f x"),
            ("234<235, right?", "234<235, right?"),
            ("a4<a5 right?", "a4<a5 right?"),
            ("b7>b2!", "b7>b2!"),
            ("</fe", "</fe"),
            ("<x>b<y>", "b"),
            ("a<p onclick=\"alert('<test>')\">b</p>c", "abc"),
            ("a<p a >b</p>c", "abc"),
            ("d<a:b c:d>e</p>f", "def"),
            ("<strong>foo</strong><a href=\"http://example.com\">bar</a>", "foobar"),
            ("&gotcha&#;<>", "&gotcha&#;<>"),
            ("<sc<!-- -->ript>test<<!-- -->/script>", "ript>test"),
            ("<script>alert()</script>&h", "alert()h"),
            ("><!<<<<<<<<<<", "><!<<<<<<<<<<"),
            ("X<<<<br>br>br>br>X", "XX"),
            ("<i>a&b-", "a&b;-"),
            ("<i>a&#12a;b", "a&#12a;b"),
            ("<i>&x", "x"),
            ("<i>&x;y&#x41 &#65", "&x;y&#x41; &#65"),
            ("<i>a&b", "ab"),
            ("<i>a&b.c", "a&b;.c"),
            ("<a x='y>z", "<a x='y>z"),
            ("<a =b>c", "c"),
            ("<a b=>c", "c"),
            ("<a b/>c", "c"),
            ("<a b/ c>d", "d"),
            ("<a\u{0}b>c", "<a\u{0}b>c"),
            ("<a b 'c'>d", "d"),
            ("<a <b>c", "c"),
            ("<i>x</i y>z", "xz"),
            ("</ i>a", "a"),
            ("</>a<i>", "a"),
            ("</3>a<i>", "a"),
            ("<style>a</STYLE>b", "ab"),
            ("<script>a</scripty>b</script>c", "abc"),
            ("<?x>a<i>", "a"),
            ("<!x>a<i>", "a"),
            ("<!-- a --!>b<i>", "<!-- a --!>b"),
            ("<a b=='c>d", "d"),
            ("<a b= 'c >d", "d"),
            ("x<a/b>y", "xy"),
            ("<a \"b>c", "c"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_tags(input).as_deref(), Ok(want), "{input}");
        }
        assert!(strip_tags(&("<".repeat(51) + &"a>".repeat(51))).is_err());
        assert!(strip_tags(&format!(">{}", "<a".repeat(501))).is_err());
        assert_eq!(
            strip_tags("<!DOCTYPE html>a<![CDATA[x]]>b").as_deref(),
            Ok("ab")
        );
        assert!(strip_tags("<i>a<![nope[x]]>b").is_err());
    }
}

/// `django.utils.html.VOID_ELEMENTS`.
const VOID_ELEMENTS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "frame", "spacer",
];

/// `add_truncation_text(text, truncate)` for the two replacements the filters use: the
/// default `"%(truncated_text)s…"` (None) and a plain suffix.
fn add_truncation_text(text: &str, truncate: Option<&str>) -> String {
    match truncate {
        None => format!("{text}…"),
        Some(t) if text.ends_with(t) => text.to_owned(),
        Some(t) => format!("{text}{t}"),
    }
}

/// How `TruncateCharsHTMLParser` and `TruncateWordsHTMLParser` count.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    Chars,
    Words,
}

/// `TruncateHTMLParser` and its two subclasses.
struct Truncate {
    unit: Unit,
    /// Most recently opened first.
    tags: std::collections::VecDeque<String>,
    output: String,
    output_chars: usize,
    remaining: usize,
    replacement: Option<&'static str>,
    /// `TruncateCharsHTMLParser.length`, `processed_chars`, and `len(self.rawdata)`.
    length: usize,
    processed_chars: usize,
    rawdata_len: usize,
}

impl Truncate {
    fn push(&mut self, s: &str) {
        self.output.push_str(s);
        self.output_chars += s.chars().count();
    }

    /// `re.split(r"(?<=\S)\s+(?=\S)", data)`.
    fn split_words(data: &str) -> Vec<&str> {
        let space = crate::python::is_python_space;
        let chars: Vec<(usize, char)> = data.char_indices().collect();
        let mut parts = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < chars.len() {
            if space(chars[i].1) && i > 0 && !space(chars[i - 1].1) {
                let mut j = i;
                while j < chars.len() && space(chars[j].1) {
                    j += 1;
                }
                if j < chars.len() {
                    parts.push(&data[start..chars[i].0]);
                    start = chars[j].0;
                }
                i = j;
                continue;
            }
            i += 1;
        }
        parts.push(&data[start..]);
        parts
    }
}

impl Handler for Truncate {
    fn start_tag(&mut self, tag: &str, text: &str) -> Flow {
        self.push(text);
        if !VOID_ELEMENTS.contains(&tag) {
            self.tags.push_front(tag.to_owned());
        }
        Ok(())
    }

    fn start_end_tag(&mut self, tag: &str, text: &str) -> Flow {
        self.start_tag(tag, text)?;
        if !VOID_ELEMENTS.contains(&tag) {
            self.end_tag(tag)?;
        }
        Ok(())
    }

    fn end_tag(&mut self, tag: &str) -> Flow {
        if !VOID_ELEMENTS.contains(&tag) {
            self.push(&format!("</{tag}>"));
            if self.tags.front().is_some_and(|t| t == tag) {
                self.tags.pop_front();
            }
        }
        Ok(())
    }

    fn data(&mut self, data: &str) -> Flow {
        let (data_len, output) = match self.unit {
            Unit::Chars => {
                let n = data.chars().count();
                self.processed_chars += n;
                if self.processed_chars == self.length && self.output_chars + n == self.rawdata_len
                {
                    self.push(data);
                    return Err(Stop::Done);
                }
                let kept: String = data.chars().take(self.remaining).collect();
                (n, crate::filters::escape(&kept))
            }
            Unit::Words => {
                let parts = Self::split_words(data);
                let kept = parts[..parts.len().min(self.remaining)].join(" ");
                (parts.len(), crate::filters::escape(&kept))
            }
        };
        if self.remaining < data_len {
            self.remaining = 0;
            let text = add_truncation_text(&output, self.replacement);
            self.push(&text);
            return Err(Stop::Done);
        }
        self.remaining -= data_len;
        self.push(&output);
        Ok(())
    }
}

/// `Truncator(text).chars(length, html=True)` and `.words(length, html=True, truncate=" …")`,
/// as `truncatechars_html` and `truncatewords_html` call them.
pub(crate) fn truncate_html(text: &str, length: i64, words: bool) -> Result<String, Failure> {
    if length <= 0 {
        return Ok(String::new());
    }
    let length = usize::try_from(length).unwrap_or(usize::MAX);
    let (unit, replacement, text): (Unit, Option<&'static str>, String) = if words {
        (Unit::Words, Some(" …"), text.to_owned())
    } else {
        use unicode_normalization::UnicodeNormalization;
        (Unit::Chars, None, text.nfc().collect())
    };
    // calculate_truncate_chars_length: the replacement ("…") counts one character.
    let remaining = if words { length } else { length - 1 };
    let mut handler = Truncate {
        unit,
        tags: std::collections::VecDeque::new(),
        output: String::new(),
        output_chars: 0,
        remaining,
        replacement,
        length,
        processed_chars: 0,
        rawdata_len: text.chars().count(),
    };
    let mut parser = Parser::new(&text, true, &mut handler);
    match parser.feed() {
        Ok(()) => {}
        Err(Stop::Done) => {
            let closing: String = handler.tags.iter().map(|t| format!("</{t}>")).collect();
            handler.output.push_str(&closing);
        }
        Err(Stop::Failed(f)) => return Err(f),
    }
    // feed() reset the parser either way: close() has nothing left to parse.
    Ok(handler.output)
}

#[cfg(test)]
mod truncate_tests {
    use super::*;

    #[test]
    fn truncate_html_as_django() {
        let html = "<p>one <a href=\"#\">two - three <br>four</a> five</p>";
        let chars = |s: &str, n| truncate_html(s, n, false);
        let words = |s: &str, n| truncate_html(s, n, true);
        assert_eq!(chars(html, 0).as_deref(), Ok(""));
        assert_eq!(chars(html, 4).as_deref(), Ok("<p>one…</p>"));
        assert_eq!(
            chars(html, 9).as_deref(),
            Ok("<p>one <a href=\"#\">two …</a></p>")
        );
        assert_eq!(chars(html, 100).as_deref(), Ok(html));
        assert_eq!(
            chars("<b>\u{c5}ngstr\u{f6}m</b> was here", 3).as_deref(),
            Ok("<b>\u{c5}n…</b>")
        );
        assert_eq!(chars("a<b>b</b>c", 3).as_deref(), Ok("a<b>b</b>c"));
        assert_eq!(
            words(html, 2).as_deref(),
            Ok("<p>one <a href=\"#\">two …</a></p>")
        );
        assert_eq!(
            words(html, 4).as_deref(),
            Ok("<p>one <a href=\"#\">two - three <br> …</a></p>")
        );
        assert_eq!(
            words(
                "<i>Buenos d&iacute;as! &#x00bf;C&oacute;mo est&aacute;?</i>",
                3
            )
            .as_deref(),
            Ok("<i>Buenos días! ¿Cómo …</i>")
        );
        assert_eq!(Truncate::split_words(" a  b c "), vec![" a", "b", "c "]);
    }

    #[test]
    fn large_hostile_inputs_stay_fast() {
        let started = std::time::Instant::now();
        let inputs = [
            "<a ".repeat(100_000),
            "<a><i x='".repeat(50_000),
            format!("<script>{}", "</scrip".repeat(50_000)),
            "&#&a</<!x<?".repeat(30_000),
        ];
        for s in &inputs {
            let _ = strip_tags(s);
            let _ = truncate_html(s, 1 << 20, false);
            let _ = truncate_html(s, 1 << 20, true);
        }
        assert!(started.elapsed().as_secs() < 10);
    }
}
