//! The active language: its formats and translated messages, looked up as Django 5.2's
//! `get_format`, `gettext` and `numberformat.format` do, from the data of every locale Django
//! ships (`locale_data.rs`, generated) and the caller's format settings.

use crate::locale_data::LOCALES;

/// `NUMBER_GROUPING`: one interval, or Python's `locale` sequence (`(3, 2, 0)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grouping {
    /// Groups of this many digits (`3`: 1,234,567).
    Every(u32),
    /// Python's `locale` sequence from a locale's data (`(3, 2, 0)`: 12,34,567).
    Sequence(&'static [u32]),
    /// A sequence given at run time (a settings override).
    Owned(Vec<u32>),
}

/// One locale's `formats.py` and its translations of the engine's messages (generated).
#[derive(Debug)]
pub(crate) struct LocaleData {
    pub(crate) name: &'static str,
    pub(crate) date_format: Option<&'static str>,
    pub(crate) datetime_format: Option<&'static str>,
    pub(crate) time_format: Option<&'static str>,
    pub(crate) year_month_format: Option<&'static str>,
    pub(crate) month_day_format: Option<&'static str>,
    pub(crate) short_date_format: Option<&'static str>,
    pub(crate) short_datetime_format: Option<&'static str>,
    pub(crate) first_day_of_week: Option<u8>,
    pub(crate) decimal_separator: Option<&'static str>,
    pub(crate) thousand_separator: Option<&'static str>,
    pub(crate) number_grouping: Option<Grouping>,
    pub(crate) plural_forms: Option<&'static str>,
    /// (msgid, or context + "\u{4}" + msgid; its forms), sorted by key.
    pub(crate) messages: &'static [(&'static str, &'static [&'static str])],
}

/// The format settings Django falls back to where the active locale has no value (and always
/// when translations are deactivated), plus `USE_THOUSAND_SEPARATOR`. The default is Django's
/// `global_settings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatSettings {
    /// `DATE_FORMAT`.
    pub date_format: String,
    /// `DATETIME_FORMAT`.
    pub datetime_format: String,
    /// `TIME_FORMAT`.
    pub time_format: String,
    /// `YEAR_MONTH_FORMAT`.
    pub year_month_format: String,
    /// `MONTH_DAY_FORMAT`.
    pub month_day_format: String,
    /// `SHORT_DATE_FORMAT`.
    pub short_date_format: String,
    /// `SHORT_DATETIME_FORMAT`.
    pub short_datetime_format: String,
    /// `FIRST_DAY_OF_WEEK` (0 is Sunday).
    pub first_day_of_week: u8,
    /// `DECIMAL_SEPARATOR`.
    pub decimal_separator: String,
    /// `THOUSAND_SEPARATOR`.
    pub thousand_separator: String,
    /// `NUMBER_GROUPING`.
    pub number_grouping: Grouping,
    /// `USE_THOUSAND_SEPARATOR`.
    pub use_thousand_separator: bool,
}

impl Default for FormatSettings {
    fn default() -> Self {
        FormatSettings {
            date_format: "N j, Y".into(),
            datetime_format: "N j, Y, P".into(),
            time_format: "P".into(),
            year_month_format: "F Y".into(),
            month_day_format: "F j".into(),
            short_date_format: "m/d/Y".into(),
            short_datetime_format: "m/d/Y P".into(),
            first_day_of_week: 0,
            decimal_separator: ".".into(),
            thousand_separator: ",".into(),
            number_grouping: Grouping::Every(0),
            use_thousand_separator: false,
        }
    }
}

/// `translation.to_locale`: `en-us` → `en_US`, `sr-latn` → `sr_Latn`, `de` → `de`.
pub fn to_locale(language: &str) -> String {
    let lower = language.to_lowercase();
    let Some((lang, country)) = lower.split_once('-') else {
        let cut = language
            .char_indices()
            .nth(3)
            .map_or(language.len(), |(i, _)| i);
        return format!("{}{}", language[..cut].to_lowercase(), &language[cut..]);
    };
    let (country, tail) = country
        .split_once('-')
        .map_or((country, None), |(c, t)| (c, Some(t)));
    let mut country = if country.chars().count() > 2 {
        let mut chars = country.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        country.to_uppercase()
    };
    if let Some(tail) = tail {
        country = format!("{country}-{tail}");
    }
    format!("{lang}_{country}")
}

fn find(name: &str) -> Option<&'static LocaleData> {
    LOCALES
        .binary_search_by(|l| l.name.cmp(name))
        .ok()
        .map(|i| &LOCALES[i])
}

/// The language a render runs in: the locale modules Django would try, in order, and the
/// settings behind them.
#[derive(Debug, Clone)]
pub(crate) struct Locale {
    /// `de_AT` then `de`: the ones Django ships.
    chain: Vec<&'static LocaleData>,
    pub(crate) settings: FormatSettings,
    /// The caller's catalog for `_()` literals, sorted by msgid.
    catalog: Vec<(String, String)>,
}

impl Locale {
    /// `language` None: translations deactivated (settings' formats, messages untranslated).
    pub(crate) fn new(
        language: Option<&str>,
        settings: &FormatSettings,
        catalog: &[(String, String)],
    ) -> Locale {
        let mut chain = Vec::new();
        if let Some(language) = language {
            let locale = to_locale(language);
            chain.extend(find(&locale));
            if let Some((base, _)) = locale.split_once('_') {
                chain.extend(find(base));
            }
        }
        let mut catalog = catalog.to_vec();
        catalog.sort();
        Locale {
            chain,
            settings: settings.clone(),
            catalog,
        }
    }

    /// django-admin's language with Django's default settings.
    #[cfg(test)]
    pub(crate) fn en_us() -> Locale {
        Locale::new(Some("en-us"), &FormatSettings::default(), &[])
    }

    fn first<T>(&self, get: impl Fn(&'static LocaleData) -> Option<T>) -> Option<T> {
        self.chain.iter().find_map(|l| get(l))
    }

    /// `get_format(name)`: a named date format, or the text itself.
    pub(crate) fn date_format<'a>(&'a self, name: &'a str) -> &'a str {
        let s = &self.settings;
        let (own, setting): (Option<&'static str>, &str) = match name {
            "DATE_FORMAT" => (self.first(|l| l.date_format), &s.date_format),
            "DATETIME_FORMAT" => (self.first(|l| l.datetime_format), &s.datetime_format),
            "TIME_FORMAT" => (self.first(|l| l.time_format), &s.time_format),
            "YEAR_MONTH_FORMAT" => (self.first(|l| l.year_month_format), &s.year_month_format),
            "MONTH_DAY_FORMAT" => (self.first(|l| l.month_day_format), &s.month_day_format),
            "SHORT_DATE_FORMAT" => (self.first(|l| l.short_date_format), &s.short_date_format),
            "SHORT_DATETIME_FORMAT" => (
                self.first(|l| l.short_datetime_format),
                &s.short_datetime_format,
            ),
            other => return other,
        };
        own.unwrap_or(setting)
    }

    /// `get_format("FIRST_DAY_OF_WEEK")`.
    pub(crate) fn first_day_of_week(&self) -> u8 {
        self.first(|l| l.first_day_of_week)
            .unwrap_or(self.settings.first_day_of_week)
    }

    /// The locale's translation of a message, if it has one (context: `pgettext`).
    fn lookup(&self, context: Option<&str>, msgid: &str) -> Option<&'static [&'static str]> {
        let key = match context {
            Some(c) => format!("{c}\u{4}{msgid}"),
            None => msgid.to_owned(),
        };
        self.chain.iter().find_map(|l| {
            l.messages
                .binary_search_by(|(k, _)| (*k).cmp(key.as_str()))
                .ok()
                .map(|i| l.messages[i].1)
        })
    }

    /// `gettext` / `pgettext` of one of the engine's messages.
    pub(crate) fn gettext<'a>(&self, context: Option<&str>, msgid: &'a str) -> &'a str {
        match self.lookup(context, msgid).and_then(|forms| forms.first()) {
            Some(t) => t,
            None => msgid,
        }
    }

    /// `ngettext(singular, plural, n)`, with the catalog's `Plural-Forms`.
    pub(crate) fn ngettext<'a>(&self, singular: &'a str, plural: &'a str, n: i64) -> &'a str {
        let found = self.chain.iter().find_map(|l| {
            let i = l
                .messages
                .binary_search_by(|(k, _)| (*k).cmp(singular))
                .ok()?;
            Some((l, l.messages[i].1))
        });
        if let Some((data, forms)) = found {
            let index = data
                .plural_forms
                .and_then(|p| plural_index(p, n))
                .unwrap_or(usize::from(n != 1));
            if let Some(t) = forms.get(index) {
                return t;
            }
        }
        if n == 1 {
            singular
        } else {
            plural
        }
    }

    /// A `_("...")` literal: the caller's catalog, then Django's own messages.
    pub(crate) fn translate_literal(&self, msgid: &str) -> String {
        if let Ok(i) = self
            .catalog
            .binary_search_by(|(k, _)| k.as_str().cmp(msgid))
        {
            return self.catalog[i].1.clone();
        }
        self.gettext(None, msgid).to_owned()
    }

    fn decimal_separator(&self, use_l10n: bool) -> &str {
        let own = if use_l10n {
            self.first(|l| l.decimal_separator)
        } else {
            None
        };
        own.unwrap_or(&self.settings.decimal_separator)
    }

    fn thousand_separator(&self, use_l10n: bool) -> &str {
        let own = if use_l10n {
            self.first(|l| l.thousand_separator)
        } else {
            None
        };
        own.unwrap_or(&self.settings.thousand_separator)
    }

    fn grouping(&self, use_l10n: bool) -> &Grouping {
        if use_l10n {
            if let Some(g) = self.chain.iter().find_map(|l| l.number_grouping.as_ref()) {
                return g;
            }
        }
        &self.settings.number_grouping
    }

    /// `formats.number_format` → `numberformat.format` of a number already written as Python
    /// writes it (`str(number)`, or floatformat's digits): `-1234.5`.
    pub(crate) fn number_format(
        &self,
        number: &str,
        decimal_pos: Option<usize>,
        use_l10n: bool,
        force_grouping: bool,
    ) -> String {
        if number.is_empty() {
            return String::new();
        }
        let grouping = self.grouping(use_l10n);
        let use_grouping = (use_l10n && self.settings.use_thousand_separator) || force_grouping;
        let use_grouping = use_grouping && *grouping != Grouping::Every(0);
        let (sign, digits) = match number.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", number),
        };
        let (int_part, mut dec_part) = match digits.split_once('.') {
            Some((i, d)) => {
                let d = match decimal_pos {
                    Some(p) => d.chars().take(p).collect(),
                    None => d.to_owned(),
                };
                (i.to_owned(), d)
            }
            None => (digits.to_owned(), String::new()),
        };
        if let Some(p) = decimal_pos {
            let have = dec_part.chars().count();
            if have < p {
                dec_part.push_str(&"0".repeat(p - have));
            }
        }
        let dec_part = if dec_part.is_empty() {
            dec_part
        } else {
            format!("{}{dec_part}", self.decimal_separator(use_l10n))
        };
        let int_part = if use_grouping {
            group(&int_part, grouping, self.thousand_separator(use_l10n))
        } else {
            int_part
        };
        format!("{sign}{int_part}{dec_part}")
    }
}

/// numberformat's grouping loop: intervals from the right, the last one repeating.
fn group(int_part: &str, grouping: &Grouping, separator: &str) -> String {
    let mut intervals: Vec<u32> = match grouping {
        Grouping::Every(n) => vec![*n, 0],
        Grouping::Sequence(s) => s.to_vec(),
        Grouping::Owned(v) => v.clone(),
    };
    if intervals.is_empty() {
        return int_part.to_owned();
    }
    let mut active = intervals.remove(0);
    let reversed_sep: String = separator.chars().rev().collect();
    let mut out = String::new();
    let mut count = 0;
    for digit in int_part.chars().rev() {
        if count != 0 && count == active {
            if !intervals.is_empty() {
                let next = intervals.remove(0);
                if next != 0 {
                    active = next;
                }
            }
            out.push_str(&reversed_sep);
            count = 0;
        }
        out.push(digit);
        count += 1;
    }
    out.chars().rev().collect()
}

/// Evaluates a gettext `Plural-Forms` header's `plural=` C expression for `n`, as Python's
/// `gettext.c2py` does; None if it cannot be read.
fn plural_index(header: &str, n: i64) -> Option<usize> {
    let expr = header.split(';').find_map(|part| {
        part.trim()
            .strip_prefix("plural")
            .and_then(|r| r.trim_start().strip_prefix('='))
    })?;
    let tokens = tokenize(expr)?;
    let mut parser = Plural {
        tokens: &tokens,
        pos: 0,
        n,
    };
    let value = parser.ternary()?;
    (parser.pos == tokens.len()).then_some(())?;
    usize::try_from(value).ok()
}

fn tokenize(expr: &str) -> Option<Vec<String>> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) {
                tokens.push(two);
                i += 2;
            } else if "n?:()%<>!+-*/".contains(c) {
                tokens.push(c.to_string());
                i += 1;
            } else {
                return None;
            }
        }
    }
    Some(tokens)
}

struct Plural<'a> {
    tokens: &'a [String],
    pos: usize,
    n: i64,
}

impl Plural<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn eat(&mut self, t: &str) -> bool {
        let hit = self.peek() == Some(t);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn ternary(&mut self) -> Option<i64> {
        let cond = self.binary(0)?;
        if self.eat("?") {
            let yes = self.ternary()?;
            self.eat(":").then_some(())?;
            let no = self.ternary()?;
            return Some(if cond != 0 { yes } else { no });
        }
        Some(cond)
    }

    /// Precedence climbing over C's binary operators.
    fn binary(&mut self, level: usize) -> Option<i64> {
        const LEVELS: [&[&str]; 6] = [
            &["||"],
            &["&&"],
            &["==", "!="],
            &["<", "<=", ">", ">="],
            &["+", "-"],
            &["*", "/", "%"],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = self.peek().filter(|t| LEVELS[level].contains(t)) {
            let op = op.to_owned();
            self.pos += 1;
            let right = self.binary(level + 1)?;
            left = match op.as_str() {
                "||" => i64::from(left != 0 || right != 0),
                "&&" => i64::from(left != 0 && right != 0),
                "==" => i64::from(left == right),
                "!=" => i64::from(left != right),
                "<" => i64::from(left < right),
                "<=" => i64::from(left <= right),
                ">" => i64::from(left > right),
                ">=" => i64::from(left >= right),
                "+" => left.checked_add(right)?,
                "-" => left.checked_sub(right)?,
                "*" => left.checked_mul(right)?,
                "/" => left.checked_div(right)?,
                _ => left.checked_rem(right)?,
            };
        }
        Some(left)
    }

    fn unary(&mut self) -> Option<i64> {
        if self.eat("!") {
            return Some(i64::from(self.unary()? == 0));
        }
        if self.eat("(") {
            let v = self.ternary()?;
            self.eat(")").then_some(())?;
            return Some(v);
        }
        if self.eat("n") {
            return Some(self.n);
        }
        let t = self.peek()?.parse().ok()?;
        self.pos += 1;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locale(language: &str) -> Locale {
        Locale::new(Some(language), &FormatSettings::default(), &[])
    }

    #[test]
    fn languages_resolve_as_django() {
        assert_eq!(to_locale("en-us"), "en_US");
        assert_eq!(to_locale("sr-latn"), "sr_Latn");
        assert_eq!(to_locale("zh-hans"), "zh_Hans");
        assert_eq!(to_locale("de"), "de");
        assert_eq!(locale("de-at").date_format("DATE_FORMAT"), "j. F Y");
        assert_eq!(
            locale("de-ch").number_format("1234.5", None, true, true),
            "1\u{a0}234,5"
        );
        assert_eq!(locale("en-us").date_format("DATE_FORMAT"), "N j, Y");
        assert_eq!(locale("xx").date_format("DATE_FORMAT"), "N j, Y");
        assert_eq!(locale("de").gettext(None, "January"), "Januar");
        assert_eq!(locale("de").gettext(Some("abbrev. month"), "Jan."), "Jan.");
    }

    #[test]
    fn numbers_format_as_django() {
        let de = locale("de");
        assert_eq!(
            de.number_format("66666.666", Some(2), true, false),
            "66666,66"
        );
        assert_eq!(de.number_format("10000", Some(0), true, true), "10.000");
        assert_eq!(
            de.number_format("-1234567.5", None, true, true),
            "-1.234.567,5"
        );
        let settings = FormatSettings {
            number_grouping: Grouping::Owned(vec![3, 2, 0]),
            ..FormatSettings::default()
        };
        let none = Locale::new(None, &settings, &[]);
        assert_eq!(
            none.number_format("123456789", None, true, true),
            "12,34,56,789"
        );
    }

    #[test]
    fn plurals_as_gettext() {
        let ru = "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14)? 2 : 3);";
        assert_eq!(plural_index(ru, 1), Some(0));
        assert_eq!(plural_index(ru, 3), Some(1));
        assert_eq!(plural_index(ru, 5), Some(2));
        assert_eq!(plural_index(ru, 11), Some(2));
        assert_eq!(plural_index("nplurals=2; plural=(n != 1);", 1), Some(0));
        assert_eq!(plural_index("nplurals=1; plural=0;", 7), Some(0));
        assert_eq!(
            locale("de").ngettext("%(size)d byte", "%(size)d bytes", 2),
            "%(size)d Bytes"
        );
    }
}
