//! Django's `dateformat` (the `date` filter's and `{% now %}`'s format characters) for an aware
//! datetime, with Django's default settings as `django-admin` runs outside a project:
//! `TIME_ZONE = "America/Chicago"`, `USE_TZ = True`; names (`django/utils/dates.py`) and words
//! in the active language. Time zones come from jiff's bundled IANA database, never the host's.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// Django's default `TIME_ZONE`.
pub(crate) const DEFAULT_TIME_ZONE: &str = "America/Chicago";

/// The current time in Django's default time zone (`timezone.now()` made local).
pub(crate) fn now() -> Option<Zoned> {
    let tz = TimeZone::get(DEFAULT_TIME_ZONE).ok()?;
    Some(Timestamp::now().to_zoned(tz))
}

use crate::locale::Locale;
use crate::python::python_title;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_AP: [&str; 12] = [
    "Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.",
    "Dec.",
];
/// `MONTHS_3`: translated as lowercase abbreviations.
const MONTHS_3: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS_ABBR: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// `dateformat.format(value, format_string)`: each unescaped format character replaced, a
/// backslash escaping the next character.
pub(crate) fn format(dt: &Zoned, fmt: &str, locale: &Locale) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next) => out.push(next),
                None => out.push('\\'),
            }
            continue;
        }
        if !format_char(dt, c, locale, &mut out) {
            out.push(c);
        }
    }
    out
}

/// The format characters of `re_formatchars`.
const FORMAT_CHARS: &str = "aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ";

/// A format applied to something that is not a date: its literal text when it has no format
/// character that reads the value (each would fail on it), None otherwise.
pub(crate) fn literal_only(fmt: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else if "eIOTZ".contains(c) {
            // Time-zone characters print "" when the value has no time zone.
        } else if FORMAT_CHARS.contains(c) {
            return None;
        } else {
            out.push(c);
        }
    }
    Some(out)
}

fn month_index(dt: &Zoned) -> usize {
    (dt.month() - 1) as usize
}

fn hour12(dt: &Zoned) -> i8 {
    match dt.hour() % 12 {
        0 => 12,
        h => h,
    }
}

fn f(dt: &Zoned) -> String {
    if dt.minute() == 0 {
        hour12(dt).to_string()
    } else {
        format!("{}:{:02}", hour12(dt), dt.minute())
    }
}

fn a<'a>(dt: &Zoned, locale: &'a Locale) -> &'a str {
    locale.gettext(None, if dt.hour() > 11 { "p.m." } else { "a.m." })
}

fn offset_text(dt: &Zoned, colon: bool) -> String {
    let seconds = dt.offset().seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", seconds / 3600, (seconds / 60) % 60)
}

fn microsecond(dt: &Zoned) -> i32 {
    dt.subsec_nanosecond() / 1000
}

fn weekday_index(dt: &Zoned) -> usize {
    // Monday = 0, as Python's weekday().
    (dt.weekday().to_monday_zero_offset()) as usize
}

/// Appends the expansion of format character `c`; false when `c` is not one.
fn format_char(dt: &Zoned, c: char, locale: &Locale, out: &mut String) -> bool {
    let t = |msgid: &'static str| locale.gettext(None, msgid).to_owned();
    let text = match c {
        'a' => a(dt, locale).to_owned(),
        'A' => t(if dt.hour() > 11 { "PM" } else { "AM" }),
        'b' => t(MONTHS_3[month_index(dt)]),
        'c' => {
            let micro = microsecond(dt);
            let fraction = if micro == 0 {
                String::new()
            } else {
                format!(".{micro:06}")
            };
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{fraction}{}",
                dt.year(),
                dt.month(),
                dt.day(),
                dt.hour(),
                dt.minute(),
                dt.second(),
                offset_text(dt, true)
            )
        }
        'd' => format!("{:02}", dt.day()),
        'D' => t(WEEKDAYS_ABBR[weekday_index(dt)]),
        'e' | 'T' => dt
            .time_zone()
            .to_offset_info(dt.timestamp())
            .abbreviation()
            .to_owned(),
        'E' => locale
            .gettext(Some("alt. month"), MONTHS[month_index(dt)])
            .to_owned(),
        'F' => t(MONTHS[month_index(dt)]),
        'f' => f(dt),
        'g' => hour12(dt).to_string(),
        'G' => dt.hour().to_string(),
        'h' => format!("{:02}", hour12(dt)),
        'H' => format!("{:02}", dt.hour()),
        'i' => format!("{:02}", dt.minute()),
        'I' => {
            let dst = dt.time_zone().to_offset_info(dt.timestamp()).dst();
            if dst.is_dst() { "1" } else { "0" }.to_owned()
        }
        'j' => dt.day().to_string(),
        'l' => t(WEEKDAYS[weekday_index(dt)]),
        'L' => if dt.in_leap_year() { "True" } else { "False" }.to_owned(),
        'm' => format!("{:02}", dt.month()),
        'M' => python_title(&t(MONTHS_3[month_index(dt)])),
        'n' => dt.month().to_string(),
        'N' => locale
            .gettext(Some("abbrev. month"), MONTHS_AP[month_index(dt)])
            .to_owned(),
        'o' => dt.date().iso_week_date().year().to_string(),
        'O' => offset_text(dt, false),
        'P' => {
            if dt.minute() == 0 && dt.hour() == 0 {
                t("midnight")
            } else if dt.minute() == 0 && dt.hour() == 12 {
                t("noon")
            } else {
                format!("{} {}", f(dt), a(dt, locale))
            }
        }
        'r' => format!(
            "{}, {:02} {} {:04} {:02}:{:02}:{:02} {}",
            &WEEKDAYS[weekday_index(dt)][..3],
            dt.day(),
            &MONTHS[month_index(dt)][..3],
            dt.year(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            offset_text(dt, false)
        ),
        's' => format!("{:02}", dt.second()),
        'S' => match dt.day() {
            11..=13 => "th",
            d if d % 10 == 1 => "st",
            d if d % 10 == 2 => "nd",
            d if d % 10 == 3 => "rd",
            _ => "th",
        }
        .to_owned(),
        't' => format!("{:02}", dt.days_in_month()),
        'u' => format!("{:06}", microsecond(dt)),
        'U' => dt.timestamp().as_second().to_string(),
        'w' => ((weekday_index(dt) + 1) % 7).to_string(),
        'W' => dt.date().iso_week_date().week().to_string(),
        'y' => format!("{:02}", dt.year().rem_euclid(100)),
        'Y' => format!("{:04}", dt.year()),
        'z' => dt.day_of_year().to_string(),
        'Z' => dt.offset().seconds().to_string(),
        _ => return false,
    };
    out.push_str(&text);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chicago(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Zoned {
        jiff::civil::date(y, mo, d)
            .at(h, mi, 5, 0)
            .in_tz(DEFAULT_TIME_ZONE)
            .unwrap()
    }

    #[test]
    fn english_formats_as_django() {
        let en = Locale::en_us();
        let format = |dt: &Zoned, fmt: &str| format(dt, en.date_format(fmt), &en);
        let dt = chicago(2026, 11, 29, 23, 38);
        assert_eq!(format(&dt, "DATE_FORMAT"), "Nov. 29, 2026");
        assert_eq!(format(&dt, "DATETIME_FORMAT"), "Nov. 29, 2026, 11:38 p.m.");
        assert_eq!(
            format(&dt, "D l jS \\Y\\e\\s T O I U M b E"),
            "Sun Sunday 29th Yes CST -0600 0 1796017085 Nov nov November"
        );
        assert_eq!(format(&dt, "c"), "2026-11-29T23:38:05-06:00");
        let summer = chicago(2026, 7, 1, 12, 0);
        assert_eq!(
            format(&summer, "P T I W z t L"),
            "noon CDT 1 27 182 31 False"
        );
        assert_eq!(format(&chicago(2026, 3, 3, 0, 0), "P f"), "midnight 12");
    }

    #[test]
    fn other_languages_format_as_django() {
        let settings = crate::locale::FormatSettings::default();
        let de = Locale::new(Some("de"), &settings, &[]);
        let dt = chicago(2026, 3, 1, 23, 38);
        assert_eq!(
            format(&dt, de.date_format("DATETIME_FORMAT"), &de),
            "1. März 2026 23:38"
        );
        assert_eq!(
            format(&dt, "D l N M b A r", &de),
            "So Sonntag März Mär Mär nachm. Sun, 01 Mar 2026 23:38:05 -0600"
        );
        let pl = Locale::new(Some("pl"), &settings, &[]);
        assert_eq!(format(&dt, "E F", &pl), "marca Marzec");
    }
}
