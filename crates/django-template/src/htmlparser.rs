//! A port of CPython 3.11's `html.parser.HTMLParser` tokenizer (the Python that runs Django's
//! tests here), as far as Django's `strip_tags` (`MLStripper`, `convert_charrefs=False`) and
//! `Truncator`'s `TruncateHTMLParser` (`convert_charrefs=True`) use it: data, start and end
//! tags (with `get_starttag_text`), `script`/`style` content, comments, processing
//! instructions, declarations, marked sections, character and entity references. The
//! references whose decoding needs the whole HTML5 entity table are refused rather than
//! guessed.
//!
//! The regular expressions of `html/parser.py` are matched by hand, following their
//! backtracking order. The work is linear in the input except where CPython 3.11 itself is
//! quadratic (a start tag without its `>`, re-scanned from every following `<`): a budget of
//! work proportional to the input refuses those.

use crate::python::is_python_space;
use crate::value::Failure;

/// What a handler asks of the parser after an event.
pub(crate) type Flow = Result<(), Stop>;

/// A handler stopped the parse (`TruncationCompleted`), or it cannot continue.
#[derive(Debug)]
pub(crate) enum Stop {
    Done,
    Failed(Failure),
}

impl From<Failure> for Stop {
    fn from(f: Failure) -> Stop {
        Stop::Failed(f)
    }
}

/// The `handle_*` methods that Django's subclasses override; the others do nothing.
pub(crate) trait Handler {
    /// `handle_starttag(tag, attrs)`, with `get_starttag_text()`.
    fn start_tag(&mut self, tag: &str, text: &str) -> Flow;
    /// `handle_startendtag`; Python's default calls `handle_starttag` then `handle_endtag`.
    fn start_end_tag(&mut self, tag: &str, text: &str) -> Flow {
        self.start_tag(tag, text)?;
        self.end_tag(tag)
    }
    fn end_tag(&mut self, tag: &str) -> Flow;
    fn data(&mut self, data: &str) -> Flow;
    fn char_ref(&mut self, _name: &str) -> Flow {
        Ok(())
    }
    fn entity_ref(&mut self, _name: &str) -> Flow {
        Ok(())
    }
}

pub(crate) struct Parser<'h, H: Handler> {
    raw: Vec<char>,
    /// Where `self.rawdata` starts (what earlier `goahead` calls consumed).
    start: usize,
    convert_charrefs: bool,
    cdata_elem: Option<String>,
    handler: &'h mut H,
    /// Characters examined so far, against `budget`.
    work: u64,
    budget: u64,
    /// For each index, the index of the next `'` (or `"`) at or after it.
    next_single: Vec<usize>,
    next_double: Vec<usize>,
}

fn is_space(c: char) -> bool {
    is_python_space(c)
}

impl<'h, H: Handler> Parser<'h, H> {
    /// `HTMLParser(convert_charrefs=...)` with `feed(text)` pending.
    pub(crate) fn new(text: &str, convert_charrefs: bool, handler: &'h mut H) -> Self {
        let raw: Vec<char> = text.chars().collect();
        let n = raw.len();
        let mut next_single = vec![n; n + 1];
        let mut next_double = vec![n; n + 1];
        for i in (0..n).rev() {
            next_single[i] = if raw[i] == '\'' {
                i
            } else {
                next_single[i + 1]
            };
            next_double[i] = if raw[i] == '"' { i } else { next_double[i + 1] };
        }
        Parser {
            budget: 64 * n as u64 + 4096,
            raw,
            start: 0,
            convert_charrefs,
            cdata_elem: None,
            handler,
            work: 0,
            next_single,
            next_double,
        }
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.raw[from..to].iter().collect()
    }

    fn charge(&mut self, n: usize) -> Result<(), Stop> {
        self.work += n as u64 + 1;
        if self.work > self.budget {
            return Err(Stop::Failed(Failure::Unsupported(
                "HTML that Python's html.parser takes quadratic time on (start tags without '>')"
                    .into(),
            )));
        }
        Ok(())
    }

    fn starts_with(&self, i: usize, s: &str) -> bool {
        (i..)
            .zip(s.chars())
            .all(|(k, c)| self.raw.get(k) == Some(&c))
    }

    fn find(&self, c: char, from: usize) -> Option<usize> {
        self.raw
            .get(from..)
            .and_then(|r| r.iter().position(|&x| x == c))
            .map(|p| p + from)
    }

    fn data(&mut self, from: usize, to: usize) -> Flow {
        let chunk = self.text(from, to);
        if self.convert_charrefs && self.cdata_elem.is_none() {
            let text = unescape(&chunk)?;
            self.handler.data(&text)
        } else {
            self.handler.data(&chunk)
        }
    }

    /// `feed(text)`: `goahead(0)`.
    pub(crate) fn feed(&mut self) -> Flow {
        self.start = self.goahead(false)?;
        Ok(())
    }

    /// `close()`: `goahead(1)`.
    pub(crate) fn close(&mut self) -> Flow {
        self.start = self.goahead(true)?;
        Ok(())
    }

    /// The search of `self.interesting` in CDATA mode: `</\s*{elem}\s*>`, ignoring case.
    fn find_cdata_end(&mut self, from: usize) -> Result<Option<usize>, Stop> {
        let elem: Vec<char> = self
            .cdata_elem
            .clone()
            .unwrap_or_default()
            .chars()
            .collect();
        let n = self.raw.len();
        let mut i = from;
        while let Some(lt) = self.find('<', i) {
            self.charge(lt - i)?;
            let mut k = lt + 1;
            if self.raw.get(k) == Some(&'/') {
                k += 1;
                while k < n && is_space(self.raw[k]) {
                    k += 1;
                }
                let name_ok = elem.iter().enumerate().all(|(o, e)| {
                    self.raw
                        .get(k + o)
                        .is_some_and(|c| c.to_lowercase().eq(e.to_lowercase()))
                });
                if name_ok {
                    let mut m = k + elem.len();
                    while m < n && is_space(self.raw[m]) {
                        m += 1;
                    }
                    if self.raw.get(m) == Some(&'>') {
                        return Ok(Some(lt));
                    }
                }
            }
            i = lt + 1;
        }
        Ok(None)
    }

    fn goahead(&mut self, end: bool) -> Result<usize, Stop> {
        let n = self.raw.len();
        let mut i = self.start;
        while i < n {
            let j;
            if self.convert_charrefs && self.cdata_elem.is_none() {
                match self.find('<', i) {
                    Some(p) => j = p,
                    None => {
                        let lo = i.max(n.saturating_sub(34));
                        let amp = (lo..n).rev().find(|&p| self.raw[p] == '&');
                        if let Some(a) = amp {
                            if !self.raw[a..].iter().any(|&c| is_space(c) || c == ';') {
                                break;
                            }
                        }
                        j = n;
                    }
                }
            } else {
                let found = if self.cdata_elem.is_some() {
                    self.find_cdata_end(i)?
                } else {
                    (i..n).find(|&p| self.raw[p] == '&' || self.raw[p] == '<')
                };
                match found {
                    Some(p) => j = p,
                    None if self.cdata_elem.is_some() => break,
                    None => j = n,
                }
            }
            self.charge(j - i)?;
            if i < j {
                self.data(i, j)?;
            }
            i = j;
            if i == n {
                break;
            }
            if self.raw[i] == '<' {
                let k = if self.raw.get(i + 1).is_some_and(char::is_ascii_alphabetic) {
                    self.parse_starttag(i)?
                } else if self.starts_with(i, "</") {
                    self.parse_endtag(i)?
                } else if self.starts_with(i, "<!--") {
                    self.parse_comment(i)
                } else if self.starts_with(i, "<?") {
                    self.find('>', i + 2).map_or(-1, |p| p as i64 + 1)
                } else if self.starts_with(i, "<!") {
                    self.parse_html_declaration(i)?
                } else if i + 1 < n {
                    self.handler.data("<")?;
                    (i + 1) as i64
                } else {
                    break;
                };
                let k = if k < 0 {
                    if !end {
                        break;
                    }
                    let k = match self.find('>', i + 1) {
                        Some(p) => p + 1,
                        None => self.find('<', i + 1).unwrap_or(i + 1),
                    };
                    self.data(i, k)?;
                    k
                } else {
                    k as usize
                };
                i = k;
            } else if self.starts_with(i, "&#") {
                // charref: &#(?:[0-9]+|[xX][0-9a-fA-F]+)[^0-9a-fA-F]
                let mut k = i + 2;
                let hex = matches!(self.raw.get(k), Some('x' | 'X'));
                if hex {
                    k += 1;
                }
                let digits_start = k;
                while k < n
                    && (if hex {
                        self.raw[k].is_ascii_hexdigit()
                    } else {
                        self.raw[k].is_ascii_digit()
                    })
                {
                    k += 1;
                }
                let matched = k > digits_start && k < n && !self.raw[k].is_ascii_hexdigit();
                if matched {
                    let name = self.text(i + 2, k);
                    self.handler.char_ref(&name)?;
                    i = if self.raw[k] == ';' { k + 1 } else { k };
                    continue;
                }
                if self.raw[i..].contains(&';') {
                    self.handler.data("&#")?;
                    i += 2;
                }
                break;
            } else {
                // entityref: &([a-zA-Z][-.a-zA-Z0-9]*)[^a-zA-Z0-9]
                let name_ok = self.raw.get(i + 1).is_some_and(char::is_ascii_alphabetic);
                if name_ok {
                    let mut k = i + 2;
                    while k < n
                        && (self.raw[k].is_ascii_alphanumeric() || matches!(self.raw[k], '-' | '.'))
                    {
                        k += 1;
                    }
                    // The terminator: the next character, or (backtracking) the last '-' or
                    // '.' of the name.
                    let term = if k < n {
                        Some(k)
                    } else {
                        (i + 2..k).rev().find(|&t| matches!(self.raw[t], '-' | '.'))
                    };
                    if let Some(t) = term {
                        let name = self.text(i + 1, t);
                        self.handler.entity_ref(&name)?;
                        i = if self.raw[t] == ';' { t + 1 } else { t };
                        continue;
                    }
                }
                // incomplete: &[a-zA-Z#]
                if self
                    .raw
                    .get(i + 1)
                    .is_some_and(|c| c.is_ascii_alphabetic() || *c == '#')
                {
                    if end && i + 2 == n {
                        i += 1;
                    }
                    break;
                } else if i + 1 < n {
                    self.handler.data("&")?;
                    i += 1;
                } else {
                    break;
                }
            }
        }
        if end && i < n && self.cdata_elem.is_none() {
            self.data(i, n)?;
            i = n;
        }
        Ok(i)
    }

    fn parse_comment(&self, i: usize) -> i64 {
        // _commentclose: --\s*>
        let n = self.raw.len();
        let mut p = i + 4;
        while p + 1 < n {
            if self.raw[p] == '-' && self.raw[p + 1] == '-' {
                let mut k = p + 2;
                while k < n && is_space(self.raw[k]) {
                    k += 1;
                }
                if self.raw.get(k) == Some(&'>') {
                    return k as i64 + 1;
                }
            }
            p += 1;
        }
        -1
    }

    /// `_markupbase.ParserBase.parse_marked_section`.
    fn parse_marked_section(&mut self, i: usize) -> Result<i64, Stop> {
        let n = self.raw.len();
        // _scan_name: [a-zA-Z][-_.a-zA-Z0-9]*\s*
        let start = i + 3;
        if start == n {
            return Ok(-1);
        }
        if !self.raw[start].is_ascii_alphabetic() {
            return Err(Stop::Failed(Failure::Python(
                "AssertionError: expected name token in a marked section".into(),
            )));
        }
        let mut k = start + 1;
        while k < n
            && (self.raw[k].is_ascii_alphanumeric() || matches!(self.raw[k], '-' | '_' | '.'))
        {
            k += 1;
        }
        let name = self.text(start, k).to_lowercase();
        if self.skip_spaces(k) == n {
            return Ok(-1);
        }
        // _markedsectionclose ]\s*]\s*> or _msmarkedsectionclose ]\s*>
        let brackets = match name.as_str() {
            "temp" | "cdata" | "ignore" | "include" | "rcdata" => 2,
            "if" | "else" | "endif" => 1,
            _ => {
                return Err(Stop::Failed(Failure::Python(format!(
                    "AssertionError: unknown status keyword '{name}' in marked section"
                ))))
            }
        };
        let mut p = start;
        let mut found = None;
        while let Some(b) = self.find(']', p) {
            let mut q = b;
            let mut ok = true;
            for _ in 0..brackets {
                if self.raw.get(q) != Some(&']') {
                    ok = false;
                    break;
                }
                q = self.skip_spaces(q + 1);
            }
            if ok && self.raw.get(q) == Some(&'>') {
                found = Some(q + 1);
                break;
            }
            p = b + 1;
        }
        self.charge(found.unwrap_or(n) - i)?;
        Ok(found.map_or(-1, |e| e as i64))
    }

    fn parse_html_declaration(&mut self, i: usize) -> Result<i64, Stop> {
        if self.starts_with(i, "<!--") {
            return Ok(self.parse_comment(i));
        }
        if self.starts_with(i, "<![") {
            return self.parse_marked_section(i);
        }
        let doctype: String = self.raw[i..self.raw.len().min(i + 9)].iter().collect();
        let from = if doctype.to_lowercase() == "<!doctype" {
            i + 9
        } else {
            i + 2
        };
        Ok(self.find('>', from).map_or(-1, |p| p as i64 + 1))
    }

    /// The end of the tag name `[a-zA-Z][^\t\n\r\f />\x00]*` starting at `i`.
    fn name_end(&self, i: usize) -> usize {
        let mut k = i + 1;
        while k < self.raw.len()
            && !matches!(
                self.raw[k],
                '\t' | '\n' | '\r' | '\x0c' | ' ' | '/' | '>' | '\0'
            )
        {
            k += 1;
        }
        k
    }

    /// `(?:\s|/(?!>))*` from `k`.
    fn skip_sep(&self, mut k: usize) -> usize {
        loop {
            match self.raw.get(k) {
                Some(&c) if is_space(c) => k += 1,
                Some('/') if self.raw.get(k + 1) != Some(&'>') => k += 1,
                _ => return k,
            }
        }
    }

    fn skip_spaces(&self, mut k: usize) -> usize {
        while self.raw.get(k).is_some_and(|&c| is_space(c)) {
            k += 1;
        }
        k
    }

    /// `[^>\s]*` from `k`.
    fn bare_end(&self, mut k: usize) -> usize {
        while self.raw.get(k).is_some_and(|&c| c != '>' && !is_space(c)) {
            k += 1;
        }
        k
    }

    /// One attribute of `attrfind_tolerant` at `k`: `((?<=['"\s/])[^\s/>][^\s/=>]*)` then
    /// `(\s*=+\s*('[^']*'|"[^"]*"|(?!['"])[^>\s]*))?` then `(?:\s|/(?!>))*`, in the regex's
    /// backtracking order.
    fn attr_at(&self, k: usize) -> Option<usize> {
        let prev = *self.raw.get(k.checked_sub(1)?)?;
        if !(prev == '\'' || prev == '"' || prev == '/' || is_space(prev)) {
            return None;
        }
        let c = *self.raw.get(k)?;
        if is_space(c) || c == '/' || c == '>' {
            return None;
        }
        let mut p = k + 1;
        while self
            .raw
            .get(p)
            .is_some_and(|&c| !is_space(c) && !matches!(c, '/' | '=' | '>'))
        {
            p += 1;
        }
        let after_value = self.value_at(p).unwrap_or(p);
        Some(self.skip_sep(after_value))
    }

    /// `\s*=+\s*(value)` at `p`, or None when the optional group does not match.
    fn value_at(&self, p: usize) -> Option<usize> {
        let q = self.skip_spaces(p);
        let mut r = q;
        while self.raw.get(r) == Some(&'=') {
            r += 1;
        }
        let m = r - q;
        if m == 0 {
            return None;
        }
        let v = self.skip_spaces(r);
        let n = self.raw.len();
        match self.raw.get(v) {
            Some('\'') if self.next_single[v + 1] < n => return Some(self.next_single[v + 1] + 1),
            Some('"') if self.next_double[v + 1] < n => return Some(self.next_double[v + 1] + 1),
            Some('\'' | '"') => {}
            _ => return Some(self.bare_end(v)),
        }
        // A quote that never closes: backtrack.
        if v > r {
            Some(v - 1)
        } else if m > 1 {
            Some(self.bare_end(r - 1))
        } else {
            None
        }
    }

    /// `check_for_whole_start_tag`, with `locatestarttagend_tolerant`.
    fn check_for_whole_start_tag(&mut self, i: usize) -> Result<i64, Stop> {
        let mut j = self.name_end(i + 1);
        while self.raw.get(j).is_some_and(|&c| is_space(c) || c == '/') {
            j += 1;
        }
        while let Some(e) = self.attr_at(j) {
            j = e;
        }
        j = self.skip_spaces(j);
        self.charge(j - i)?;
        let next = self.raw.get(j).copied();
        Ok(match next {
            Some('>') => j as i64 + 1,
            // "/>" ends the tag; any other '/' here means more is to come.
            Some('/') if self.starts_with(j, "/>") => j as i64 + 2,
            Some('/') => -1,
            None => -1,
            Some(c) if c.is_ascii_alphabetic() || c == '=' || c == '/' => -1,
            Some(_) if j > i => j as i64,
            Some(_) => i as i64 + 1,
        })
    }

    fn parse_starttag(&mut self, i: usize) -> Result<i64, Stop> {
        let endpos = self.check_for_whole_start_tag(i)?;
        if endpos < 0 {
            return Ok(endpos);
        }
        let endpos = endpos as usize;
        let name_end = self.name_end(i + 1);
        let tag = self.text(i + 1, name_end).to_lowercase();
        let mut k = self.skip_sep(name_end);
        while k < endpos {
            match self.attr_at(k) {
                Some(e) => k = e,
                None => break,
            }
        }
        let rest = self.text(k.min(endpos), endpos);
        let rest = rest.trim_matches(is_space);
        let text = self.text(i, endpos);
        if rest != ">" && rest != "/>" {
            self.handler.data(&text)?;
            return Ok(endpos as i64);
        }
        if rest.ends_with("/>") {
            self.handler.start_end_tag(&tag, &text)?;
        } else {
            self.handler.start_tag(&tag, &text)?;
            if tag == "script" || tag == "style" {
                self.cdata_elem = Some(tag);
            }
        }
        Ok(endpos as i64)
    }

    fn parse_endtag(&mut self, i: usize) -> Result<i64, Stop> {
        let n = self.raw.len();
        let Some(gt) = self.find('>', i + 1) else {
            return Ok(-1);
        };
        let gtpos = gt + 1;
        self.charge(gtpos - i)?;
        // endtagfind: </\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>
        let mut k = self.skip_spaces(i + 2);
        let mut found = None;
        if self.raw.get(k).is_some_and(char::is_ascii_alphabetic) {
            let s = k;
            k += 1;
            while k < n
                && (self.raw[k].is_ascii_alphanumeric()
                    || matches!(self.raw[k], '-' | '.' | ':' | '_'))
            {
                k += 1;
            }
            let e = self.skip_spaces(k);
            if self.raw.get(e) == Some(&'>') {
                found = Some(self.text(s, k).to_lowercase());
            }
        }
        let Some(elem) = found else {
            if self.cdata_elem.is_some() {
                self.data(i, gtpos)?;
                return Ok(gtpos as i64);
            }
            if !self.raw.get(i + 2).is_some_and(char::is_ascii_alphabetic) {
                if self.starts_with(i, "</>") {
                    return Ok(i as i64 + 3);
                }
                return Ok(self.find('>', i + 2).map_or(-1, |p| p as i64 + 1));
            }
            let name_end = self.name_end(i + 2);
            let tag = self.text(i + 2, name_end).to_lowercase();
            let after = self.skip_sep(name_end);
            let gt = self.find('>', after).map_or(-1, |p| p as i64);
            self.handler.end_tag(&tag)?;
            return Ok(gt + 1);
        };
        if let Some(cdata) = &self.cdata_elem {
            if &elem != cdata {
                self.data(i, gtpos)?;
                return Ok(gtpos as i64);
            }
        }
        self.handler.end_tag(&elem)?;
        self.cdata_elem = None;
        Ok(gtpos as i64)
    }
}

/// The HTML 4 entities, which HTML5 decodes the same way, followed by ';'.
const ENTITIES: &[(&str, char)] = &[
    ("AElig", '\u{c6}'),
    ("Aacute", '\u{c1}'),
    ("Acirc", '\u{c2}'),
    ("Agrave", '\u{c0}'),
    ("Alpha", '\u{391}'),
    ("Aring", '\u{c5}'),
    ("Atilde", '\u{c3}'),
    ("Auml", '\u{c4}'),
    ("Beta", '\u{392}'),
    ("Ccedil", '\u{c7}'),
    ("Chi", '\u{3a7}'),
    ("Dagger", '\u{2021}'),
    ("Delta", '\u{394}'),
    ("ETH", '\u{d0}'),
    ("Eacute", '\u{c9}'),
    ("Ecirc", '\u{ca}'),
    ("Egrave", '\u{c8}'),
    ("Epsilon", '\u{395}'),
    ("Eta", '\u{397}'),
    ("Euml", '\u{cb}'),
    ("Gamma", '\u{393}'),
    ("Iacute", '\u{cd}'),
    ("Icirc", '\u{ce}'),
    ("Igrave", '\u{cc}'),
    ("Iota", '\u{399}'),
    ("Iuml", '\u{cf}'),
    ("Kappa", '\u{39a}'),
    ("Lambda", '\u{39b}'),
    ("Mu", '\u{39c}'),
    ("Ntilde", '\u{d1}'),
    ("Nu", '\u{39d}'),
    ("OElig", '\u{152}'),
    ("Oacute", '\u{d3}'),
    ("Ocirc", '\u{d4}'),
    ("Ograve", '\u{d2}'),
    ("Omega", '\u{3a9}'),
    ("Omicron", '\u{39f}'),
    ("Oslash", '\u{d8}'),
    ("Otilde", '\u{d5}'),
    ("Ouml", '\u{d6}'),
    ("Phi", '\u{3a6}'),
    ("Pi", '\u{3a0}'),
    ("Prime", '\u{2033}'),
    ("Psi", '\u{3a8}'),
    ("Rho", '\u{3a1}'),
    ("Scaron", '\u{160}'),
    ("Sigma", '\u{3a3}'),
    ("THORN", '\u{de}'),
    ("Tau", '\u{3a4}'),
    ("Theta", '\u{398}'),
    ("Uacute", '\u{da}'),
    ("Ucirc", '\u{db}'),
    ("Ugrave", '\u{d9}'),
    ("Upsilon", '\u{3a5}'),
    ("Uuml", '\u{dc}'),
    ("Xi", '\u{39e}'),
    ("Yacute", '\u{dd}'),
    ("Yuml", '\u{178}'),
    ("Zeta", '\u{396}'),
    ("aacute", '\u{e1}'),
    ("acirc", '\u{e2}'),
    ("acute", '\u{b4}'),
    ("aelig", '\u{e6}'),
    ("agrave", '\u{e0}'),
    ("alefsym", '\u{2135}'),
    ("alpha", '\u{3b1}'),
    ("amp", '\u{26}'),
    ("and", '\u{2227}'),
    ("ang", '\u{2220}'),
    ("aring", '\u{e5}'),
    ("asymp", '\u{2248}'),
    ("atilde", '\u{e3}'),
    ("auml", '\u{e4}'),
    ("bdquo", '\u{201e}'),
    ("beta", '\u{3b2}'),
    ("brvbar", '\u{a6}'),
    ("bull", '\u{2022}'),
    ("cap", '\u{2229}'),
    ("ccedil", '\u{e7}'),
    ("cedil", '\u{b8}'),
    ("cent", '\u{a2}'),
    ("chi", '\u{3c7}'),
    ("circ", '\u{2c6}'),
    ("clubs", '\u{2663}'),
    ("cong", '\u{2245}'),
    ("copy", '\u{a9}'),
    ("crarr", '\u{21b5}'),
    ("cup", '\u{222a}'),
    ("curren", '\u{a4}'),
    ("dArr", '\u{21d3}'),
    ("dagger", '\u{2020}'),
    ("darr", '\u{2193}'),
    ("deg", '\u{b0}'),
    ("delta", '\u{3b4}'),
    ("diams", '\u{2666}'),
    ("divide", '\u{f7}'),
    ("eacute", '\u{e9}'),
    ("ecirc", '\u{ea}'),
    ("egrave", '\u{e8}'),
    ("empty", '\u{2205}'),
    ("emsp", '\u{2003}'),
    ("ensp", '\u{2002}'),
    ("epsilon", '\u{3b5}'),
    ("equiv", '\u{2261}'),
    ("eta", '\u{3b7}'),
    ("eth", '\u{f0}'),
    ("euml", '\u{eb}'),
    ("euro", '\u{20ac}'),
    ("exist", '\u{2203}'),
    ("fnof", '\u{192}'),
    ("forall", '\u{2200}'),
    ("frac12", '\u{bd}'),
    ("frac14", '\u{bc}'),
    ("frac34", '\u{be}'),
    ("frasl", '\u{2044}'),
    ("gamma", '\u{3b3}'),
    ("ge", '\u{2265}'),
    ("gt", '\u{3e}'),
    ("hArr", '\u{21d4}'),
    ("harr", '\u{2194}'),
    ("hearts", '\u{2665}'),
    ("hellip", '\u{2026}'),
    ("iacute", '\u{ed}'),
    ("icirc", '\u{ee}'),
    ("iexcl", '\u{a1}'),
    ("igrave", '\u{ec}'),
    ("image", '\u{2111}'),
    ("infin", '\u{221e}'),
    ("int", '\u{222b}'),
    ("iota", '\u{3b9}'),
    ("iquest", '\u{bf}'),
    ("isin", '\u{2208}'),
    ("iuml", '\u{ef}'),
    ("kappa", '\u{3ba}'),
    ("lArr", '\u{21d0}'),
    ("lambda", '\u{3bb}'),
    ("laquo", '\u{ab}'),
    ("larr", '\u{2190}'),
    ("lceil", '\u{2308}'),
    ("ldquo", '\u{201c}'),
    ("le", '\u{2264}'),
    ("lfloor", '\u{230a}'),
    ("lowast", '\u{2217}'),
    ("loz", '\u{25ca}'),
    ("lrm", '\u{200e}'),
    ("lsaquo", '\u{2039}'),
    ("lsquo", '\u{2018}'),
    ("lt", '\u{3c}'),
    ("macr", '\u{af}'),
    ("mdash", '\u{2014}'),
    ("micro", '\u{b5}'),
    ("middot", '\u{b7}'),
    ("minus", '\u{2212}'),
    ("mu", '\u{3bc}'),
    ("nabla", '\u{2207}'),
    ("nbsp", '\u{a0}'),
    ("ndash", '\u{2013}'),
    ("ne", '\u{2260}'),
    ("ni", '\u{220b}'),
    ("not", '\u{ac}'),
    ("notin", '\u{2209}'),
    ("nsub", '\u{2284}'),
    ("ntilde", '\u{f1}'),
    ("nu", '\u{3bd}'),
    ("oacute", '\u{f3}'),
    ("ocirc", '\u{f4}'),
    ("oelig", '\u{153}'),
    ("ograve", '\u{f2}'),
    ("oline", '\u{203e}'),
    ("omega", '\u{3c9}'),
    ("omicron", '\u{3bf}'),
    ("oplus", '\u{2295}'),
    ("or", '\u{2228}'),
    ("ordf", '\u{aa}'),
    ("ordm", '\u{ba}'),
    ("oslash", '\u{f8}'),
    ("otilde", '\u{f5}'),
    ("otimes", '\u{2297}'),
    ("ouml", '\u{f6}'),
    ("para", '\u{b6}'),
    ("part", '\u{2202}'),
    ("permil", '\u{2030}'),
    ("perp", '\u{22a5}'),
    ("phi", '\u{3c6}'),
    ("pi", '\u{3c0}'),
    ("piv", '\u{3d6}'),
    ("plusmn", '\u{b1}'),
    ("pound", '\u{a3}'),
    ("prime", '\u{2032}'),
    ("prod", '\u{220f}'),
    ("prop", '\u{221d}'),
    ("psi", '\u{3c8}'),
    ("quot", '\u{22}'),
    ("rArr", '\u{21d2}'),
    ("radic", '\u{221a}'),
    ("raquo", '\u{bb}'),
    ("rarr", '\u{2192}'),
    ("rceil", '\u{2309}'),
    ("rdquo", '\u{201d}'),
    ("real", '\u{211c}'),
    ("reg", '\u{ae}'),
    ("rfloor", '\u{230b}'),
    ("rho", '\u{3c1}'),
    ("rlm", '\u{200f}'),
    ("rsaquo", '\u{203a}'),
    ("rsquo", '\u{2019}'),
    ("sbquo", '\u{201a}'),
    ("scaron", '\u{161}'),
    ("sdot", '\u{22c5}'),
    ("sect", '\u{a7}'),
    ("shy", '\u{ad}'),
    ("sigma", '\u{3c3}'),
    ("sigmaf", '\u{3c2}'),
    ("sim", '\u{223c}'),
    ("spades", '\u{2660}'),
    ("sub", '\u{2282}'),
    ("sube", '\u{2286}'),
    ("sum", '\u{2211}'),
    ("sup", '\u{2283}'),
    ("sup1", '\u{b9}'),
    ("sup2", '\u{b2}'),
    ("sup3", '\u{b3}'),
    ("supe", '\u{2287}'),
    ("szlig", '\u{df}'),
    ("tau", '\u{3c4}'),
    ("there4", '\u{2234}'),
    ("theta", '\u{3b8}'),
    ("thetasym", '\u{3d1}'),
    ("thinsp", '\u{2009}'),
    ("thorn", '\u{fe}'),
    ("tilde", '\u{2dc}'),
    ("times", '\u{d7}'),
    ("trade", '\u{2122}'),
    ("uArr", '\u{21d1}'),
    ("uacute", '\u{fa}'),
    ("uarr", '\u{2191}'),
    ("ucirc", '\u{fb}'),
    ("ugrave", '\u{f9}'),
    ("uml", '\u{a8}'),
    ("upsih", '\u{3d2}'),
    ("upsilon", '\u{3c5}'),
    ("uuml", '\u{fc}'),
    ("weierp", '\u{2118}'),
    ("xi", '\u{3be}'),
    ("yacute", '\u{fd}'),
    ("yen", '\u{a5}'),
    ("yuml", '\u{ff}'),
    ("zeta", '\u{3b6}'),
    ("zwj", '\u{200d}'),
    ("zwnj", '\u{200c}'),
];

/// `html.unescape`, for the references it decodes without the whole HTML5 table: numeric
/// references to ordinary characters and the HTML 4 entities with their ';'. Any other
/// reference is refused.
pub(crate) fn unescape(s: &str) -> Result<String, Failure> {
    if !s.contains('&') {
        return Ok(s.to_owned());
    }
    let refuse = |r: &str| {
        Failure::Unsupported(format!(
            "the character reference '{r}' (Python's html.unescape, with the HTML5 entity table)"
        ))
    };
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '&' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'#') {
            let hex = matches!(chars.get(i + 2), Some('x' | 'X'));
            let start = if hex { i + 3 } else { i + 2 };
            let mut k = start;
            while k < chars.len()
                && (if hex {
                    chars[k].is_ascii_hexdigit()
                } else {
                    chars[k].is_ascii_digit()
                })
            {
                k += 1;
            }
            if k == start {
                out.push('&');
                i += 1;
                continue;
            }
            let digits: String = chars[start..k].iter().collect();
            let num = u32::from_str_radix(&digits, if hex { 16 } else { 10 }).ok();
            let end = if chars.get(k) == Some(&';') { k + 1 } else { k };
            let ordinary = num.filter(|&n| {
                (n >= 0x20 || matches!(n, 0x09 | 0x0a)) && !(0x7f..=0x9f).contains(&n)
            });
            match ordinary.and_then(char::from_u32) {
                Some(ch)
                    if !(0xfdd0..=0xfdef).contains(&(ch as u32))
                        && (ch as u32) & 0xfffe != 0xfffe =>
                {
                    out.push(ch)
                }
                _ => return Err(refuse(&chars[i..end].iter().collect::<String>())),
            }
            i = end;
            continue;
        }
        // [^\t\n\f <&#;]{1,32};?
        let mut k = i + 1;
        while k < chars.len()
            && k - i <= 32
            && !matches!(chars[k], '\t' | '\n' | '\x0c' | ' ' | '<' | '&' | '#' | ';')
        {
            k += 1;
        }
        if k == i + 1 {
            out.push('&');
            i += 1;
            continue;
        }
        let name: String = chars[i + 1..k].iter().collect();
        if chars.get(k) == Some(&';') && k - i <= 33 {
            if let Some((_, ch)) = ENTITIES.iter().find(|(e, _)| *e == name) {
                out.push(*ch);
                i = k + 1;
                continue;
            }
        }
        return Err(refuse(
            &chars[i..k.min(chars.len())].iter().collect::<String>(),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Collect(String);
    impl Handler for Collect {
        fn start_tag(&mut self, tag: &str, _text: &str) -> Flow {
            self.0.push_str(&format!("[{tag}]"));
            Ok(())
        }
        fn end_tag(&mut self, tag: &str) -> Flow {
            self.0.push_str(&format!("[/{tag}]"));
            Ok(())
        }
        fn data(&mut self, data: &str) -> Flow {
            self.0.push_str(data);
            Ok(())
        }
        fn entity_ref(&mut self, name: &str) -> Flow {
            self.0.push_str(&format!("&{name};"));
            Ok(())
        }
    }

    fn events(s: &str, convert: bool) -> String {
        let mut h = Collect(String::new());
        let mut p = Parser::new(s, convert, &mut h);
        p.feed().map_err(|_| ()).unwrap();
        p.close().map_err(|_| ()).unwrap();
        h.0
    }

    #[test]
    fn tags_and_data() {
        assert_eq!(events("a<b x='1>' y>c</b>", false), "a[b]c[/b]");
        assert_eq!(events("<br/>x", false), "[br][/br]x");
        assert_eq!(
            events("<script>a<b>c</script >d", false),
            "[script]a<b>c[/script]d"
        );
        assert_eq!(events("x<!-- c -- >y<?pi>z", false), "xyz");
        assert_eq!(events("a &amp b &eacute;", false), "a &amp; b &eacute;");
        assert_eq!(events("&iacute;<", true), "í<");
        assert_eq!(events("a<", false), "a<");
    }

    #[test]
    fn unescape_refuses_what_it_cannot_decode() {
        assert_eq!(unescape("&#x00bf;&#39;&lt;").ok().as_deref(), Some("¿'<"));
        assert!(unescape("&amp").is_err());
        assert!(unescape("&#128;").is_err());
    }

    #[test]
    fn unclosed_start_tags_stay_bounded() {
        let hostile = "<a x".repeat(20_000);
        let mut h = Collect(String::new());
        let mut p = Parser::new(&hostile, false, &mut h);
        let r = p.feed().and_then(|_| p.close());
        assert!(matches!(r, Err(Stop::Failed(_))));
    }
}
