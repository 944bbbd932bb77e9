//! Django's `Lexer`: splits a template into text, `{{ variable }}`, `{% block %}` and
//! `{# comment #}` tokens exactly as `tag_re` does, including `{% verbatim %}` handling, and
//! `smart_split` for a tag's arguments.

use crate::python::python_strip;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenType {
    Text,
    Var,
    Block,
    Comment,
}

/// A token, borrowing its text from the template source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token<'a> {
    pub kind: TokenType,
    /// For text, the text as written; for the others, what is between the delimiters, stripped.
    pub contents: &'a str,
    /// Where `contents` starts in the source (bytes).
    pub start: usize,
    /// 1-based line the token starts on.
    pub line: usize,
}

/// Finds the next tag of `tag_re = ({%.*?%}|{{.*?}}|{#.*?#})` at or after `from`: an opener
/// and the nearest matching closer on the same line (`.` does not match a newline).
///
/// `misses` remembers, for each kind of closer, a stretch `[start, end)` known to hold none (up
/// to a line end), so that a line of many openers and no closer is scanned once, not once per
/// opener.
fn next_tag(text: &str, from: usize, misses: &mut [(usize, usize); 3]) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = from;
    // `str::find` of one byte is a memchr: text between tags is skipped a word at a time.
    while let Some(offset) = text.get(i..).and_then(|rest| rest.find('{')) {
        i += offset;
        if i + 1 >= bytes.len() {
            break;
        }
        let kind = match bytes[i + 1] {
            b'%' => Some((0, b'%')),
            b'{' => Some((1, b'}')),
            b'#' => Some((2, b'#')),
            _ => None,
        };
        if let Some((k, first)) = kind {
            let start = i + 2;
            let (miss_start, miss_end) = misses[k];
            if !(miss_start <= start && start < miss_end) {
                // The first `}` preceded by `first` (not the opener's own brace), before the
                // line's end.
                let mut j = start;
                let line_end = loop {
                    let Some(offset) = bytes[j..].iter().position(|&b| b == b'}' || b == b'\n')
                    else {
                        break (bytes.len() - 1).max(start);
                    };
                    let p = j + offset;
                    if bytes[p] == b'\n' {
                        break p;
                    }
                    if p > start && bytes[p - 1] == first {
                        return Some((i, p + 1));
                    }
                    j = p + 1;
                };
                misses[k] = (start, line_end + 1);
            }
        }
        i += 1;
    }
    None
}

/// Django's `Lexer.tokenize`, one token at a time: tokens are spans of the source, never
/// copies, so a large template costs its own size and little more.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
    /// The end tag that closes the current `{% verbatim %}` block.
    verbatim: Option<String>,
    /// A tag found after a text token, returned next.
    pending: Option<(usize, usize)>,
    misses: [(usize, usize); 3],
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Lexer {
            text,
            pos: 0,
            line: 1,
            verbatim: None,
            pending: None,
            misses: [(0, 0); 3],
        }
    }

    fn token(&mut self, kind: TokenType, contents: &'a str, raw: &str) -> Token<'a> {
        let start = contents.as_ptr() as usize - self.text.as_ptr() as usize;
        let token = Token {
            kind,
            contents,
            start,
            line: self.line,
        };
        self.line += raw.bytes().filter(|b| *b == b'\n').count();
        token
    }

    fn tag(&mut self, start: usize, end: usize) -> Token<'a> {
        let text = self.text;
        let raw = &text[start..end];
        let inner = python_strip(&raw[2..raw.len() - 2]);
        let (kind, contents) = match &raw[..2] {
            "{%" => {
                if let Some(end_tag) = &self.verbatim {
                    if inner != end_tag {
                        (TokenType::Text, raw)
                    } else {
                        self.verbatim = None;
                        (TokenType::Block, inner)
                    }
                } else {
                    // content[:9] in ("verbatim", "verbatim ")
                    if inner == "verbatim" || inner.starts_with("verbatim ") {
                        self.verbatim = Some(format!("end{inner}"));
                    }
                    (TokenType::Block, inner)
                }
            }
            _ if self.verbatim.is_some() => (TokenType::Text, raw),
            "{{" => (TokenType::Var, inner),
            _ => (TokenType::Comment, inner),
        };
        // A tag never spans lines: no newlines to count.
        self.token(kind, contents, "")
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        if let Some((start, end)) = self.pending.take() {
            return Some(self.tag(start, end));
        }
        let text = self.text;
        if self.pos >= text.len() {
            return None;
        }
        let (start, end) =
            next_tag(text, self.pos, &mut self.misses).unwrap_or((text.len(), text.len()));
        let from = self.pos;
        self.pos = end;
        if start > from {
            if start < end {
                self.pending = Some((start, end));
            }
            let raw = &text[from..start];
            return Some(self.token(TokenType::Text, raw, raw));
        }
        if start == end {
            return None;
        }
        Some(self.tag(start, end))
    }
}

/// Django's `smart_split`: splits on whitespace, keeping quoted parts (with backslash escapes)
/// together with whatever touches them.
pub(crate) fn smart_split(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut bits = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let end = quoted_run(&chars, i).unwrap_or_else(|| {
            let mut j = i;
            while j < chars.len() && !chars[j].is_whitespace() {
                j += 1;
            }
            j
        });
        bits.push(chars[i..end].iter().collect());
        i = end;
    }
    bits
}

/// The first alternative of `smart_split_re`: `[^\s'"]*(?:(?:"..."|'...')[^\s'"]*)+`. Returns
/// its end, or None when it does not match at `start`.
fn quoted_run(chars: &[char], start: usize) -> Option<usize> {
    let plain = |j: &mut usize| {
        while *j < chars.len()
            && !chars[*j].is_whitespace()
            && chars[*j] != '"'
            && chars[*j] != '\''
        {
            *j += 1;
        }
    };
    let mut j = start;
    plain(&mut j);
    let mut matched = None;
    loop {
        let Some(&quote) = chars.get(j).filter(|c| **c == '"' || **c == '\'') else {
            return matched;
        };
        let mut k = j + 1;
        let mut closed = false;
        while k < chars.len() {
            match chars[k] {
                '\\' if k + 1 < chars.len() => k += 2,
                c if c == quote => {
                    closed = true;
                    k += 1;
                    break;
                }
                _ => k += 1,
            }
        }
        if !closed {
            return matched;
        }
        j = k;
        plain(&mut j);
        matched = Some(j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(TokenType, String, usize)> {
        Lexer::new(text)
            .map(|t| (t.kind, t.contents.to_owned(), t.line))
            .collect()
    }

    #[test]
    fn splits_like_tag_re() {
        use TokenType::*;
        assert_eq!(
            kinds("a {{ x }}\n{% if y %}b{# c #}"),
            vec![
                (Text, "a ".into(), 1),
                (Var, "x".into(), 1),
                (Text, "\n".into(), 1),
                (Block, "if y".into(), 2),
                (Text, "b".into(), 2),
                (Comment, "c".into(), 2),
            ]
        );
        // A tag does not span lines; `{{%` finds the block tag one character later.
        assert_eq!(kinds("{{ x\n}}"), vec![(Text, "{{ x\n}}".into(), 1)]);
        assert_eq!(
            kinds("{{% x %}"),
            vec![(Text, "{".into(), 1), (Block, "x".into(), 1)]
        );
        assert_eq!(kinds("{%%}"), vec![(Block, "".into(), 1)]);
    }

    #[test]
    fn verbatim_keeps_inner_tags_as_text() {
        use TokenType::*;
        assert_eq!(
            kinds("{% verbatim v %}{{ x }}{% endverbatim %}{% endverbatim v %}"),
            vec![
                (Block, "verbatim v".into(), 1),
                (Text, "{{ x }}".into(), 1),
                (Text, "{% endverbatim %}".into(), 1),
                (Block, "endverbatim v".into(), 1),
            ]
        );
    }

    #[test]
    fn smart_split_keeps_quotes() {
        assert_eq!(
            smart_split(r#"if a == "b c" and d"#),
            ["if", "a", "==", "\"b c\"", "and", "d"]
        );
        assert_eq!(
            smart_split(r#"x|default:"a b"|upper y"#),
            ["x|default:\"a b\"|upper", "y"]
        );
        assert_eq!(smart_split(r#"a "unclosed b"#), ["a", "\"unclosed", "b"]);
        assert_eq!(smart_split(r#""a\"b" c"#), ["\"a\\\"b\"", "c"]);
    }
}
