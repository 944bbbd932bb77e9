//! Python's number formatting as Django's filters use it: `"%<spec>" % value` for
//! `stringformat`, and `floatformat`'s decimal rounding (`Decimal.quantize`, ROUND_HALF_UP).

use crate::filters::{mark_safe, py_float, py_int, FilterContext};
use crate::python::{float_repr, str_repr};
use crate::value::{Failure, Value};

fn type_error(m: &str) -> Failure {
    Failure::Python(format!("TypeError: {m}"))
}

/// `("%" + spec) % value` for one conversion; Python errors as `Failure::Python`.
pub(crate) fn percent(spec: &str, value: &Value) -> Result<String, Failure> {
    let chars: Vec<char> = spec.chars().collect();
    let mut i = 0;
    let mut flags = String::new();
    while i < chars.len() && "-+ 0#".contains(chars[i]) {
        flags.push(chars[i]);
        i += 1;
    }
    let mut width = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        width.push(chars[i]);
        i += 1;
    }
    let mut precision: Option<usize> = None;
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let mut p = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            p.push(chars[i]);
            i += 1;
        }
        precision = Some(p.parse().unwrap_or(0));
    }
    // Python skips a length modifier.
    while i < chars.len() && "hlL".contains(chars[i]) {
        i += 1;
    }
    let Some(&conv) = chars.get(i) else {
        return Err(Failure::Python("ValueError: incomplete format".into()));
    };
    let rest: String = chars[i + 1..].iter().collect();
    if rest.replace("%%", "").contains('%') {
        return Err(Failure::Unsupported(format!(
            "stringformat with several conversions ('{spec}')"
        )));
    }
    let rest = rest.replace("%%", "%");
    let width: usize = width.parse().unwrap_or(0);
    if width > 1_000_000 || precision.is_some_and(|p| p > 10_000) {
        return Err(Failure::Unsupported(format!(
            "the format width of '{spec}'"
        )));
    }
    let left = flags.contains('-');
    let zero = flags.contains('0') && !left;
    let sign_plus = flags.contains('+');
    let sign_space = flags.contains(' ');
    let alt = flags.contains('#');
    // `zero` only where padding with zeros is possible (not for inf and nan).
    let number = |digits: String, negative: bool, zero: bool| -> String {
        let sign = if negative {
            "-"
        } else if sign_plus {
            "+"
        } else if sign_space {
            " "
        } else {
            ""
        };
        pad_number(sign, &digits, width, left, zero)
    };
    let body = match conv {
        '%' => return Ok(format!("%{rest}")),
        's' | 'r' | 'a' => {
            let mut t = match conv {
                's' => value.to_python_str(),
                _ => match value {
                    Value::Safe(s) => str_repr(s),
                    other => other.repr(),
                },
            };
            if conv == 'a' {
                t = t
                    .chars()
                    .map(|c| {
                        if c.is_ascii() {
                            c.to_string()
                        } else if (c as u32) < 0x100 {
                            format!("\\x{:02x}", c as u32)
                        } else if (c as u32) < 0x10000 {
                            format!("\\u{:04x}", c as u32)
                        } else {
                            format!("\\U{:08x}", c as u32)
                        }
                    })
                    .collect();
            }
            if let Some(p) = precision {
                t = t.chars().take(p).collect();
            }
            pad_text(&t, width, left)
        }
        'd' | 'i' | 'u' => {
            let n = match value {
                Value::Int(_) | Value::Bool(_) | Value::Float(_) => py_int(value)?,
                other => {
                    return Err(type_error(&format!(
                        "%d format: a real number is required, not {}",
                        other.type_name()
                    )))
                }
            };
            let mut digits = n.unsigned_abs().to_string();
            if let Some(p) = precision {
                digits = format!("{digits:0>p$}");
            }
            number(digits, n < 0, zero)
        }
        'x' | 'X' | 'o' => {
            let n = match value {
                Value::Int(i) => *i,
                Value::Bool(b) => i64::from(*b),
                other => {
                    return Err(type_error(&format!(
                        "%{conv} format: an integer is required, not {}",
                        other.type_name()
                    )))
                }
            };
            let abs = n.unsigned_abs();
            let mut digits = match conv {
                'x' => format!("{abs:x}"),
                'X' => format!("{abs:X}"),
                _ => format!("{abs:o}"),
            };
            if let Some(p) = precision {
                digits = format!("{digits:0>p$}");
            }
            if alt {
                digits = format!(
                    "{}{digits}",
                    match conv {
                        'x' => "0x",
                        'X' => "0X",
                        _ => "0o",
                    }
                );
            }
            number(digits, n < 0, zero)
        }
        'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
            let f = match value {
                Value::Int(_) | Value::Bool(_) | Value::Float(_) => py_float(value)?,
                other => {
                    return Err(type_error(&format!(
                        "must be real number, not {}",
                        other.type_name()
                    )))
                }
            };
            let p = precision.unwrap_or(6);
            let digits = float_digits(f.abs(), conv, p, alt);
            let negative = f.is_sign_negative() && !f.is_nan();
            number(digits, negative, zero && f.is_finite())
        }
        'c' => match value {
            Value::Int(i) => {
                let c = u32::try_from(*i)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| Failure::Python("OverflowError: %c arg not in range".into()))?;
                pad_text(&c.to_string(), width, left)
            }
            Value::Str(s) | Value::Safe(s) if s.chars().count() == 1 => pad_text(s, width, left),
            _ => return Err(type_error("%c requires an int or a unicode character")),
        },
        other => {
            return Err(Failure::Python(format!(
                "ValueError: unsupported format character '{other}'"
            )))
        }
    };
    Ok(format!("{body}{rest}"))
}

fn pad_text(t: &str, width: usize, left: bool) -> String {
    let n = t.chars().count();
    if n >= width {
        return t.to_owned();
    }
    let pad = " ".repeat(width - n);
    if left {
        format!("{t}{pad}")
    } else {
        format!("{pad}{t}")
    }
}

fn pad_number(sign: &str, digits: &str, width: usize, left: bool, zero: bool) -> String {
    let n = sign.chars().count() + digits.chars().count();
    if n >= width {
        return format!("{sign}{digits}");
    }
    let fill = width - n;
    if left {
        format!("{sign}{digits}{}", " ".repeat(fill))
    } else if zero {
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{sign}{digits}", " ".repeat(fill))
    }
}

/// Python's exponent notation: at least two exponent digits, with a sign.
fn python_exp(text: &str, upper: bool) -> String {
    let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if exp < 0 { '-' } else { '+' };
    let e = if upper { 'E' } else { 'e' };
    format!("{mantissa}{e}{sign}{:02}", exp.abs())
}

/// `%f`, `%e`, `%g` of a non-negative number.
fn float_digits(f: f64, conv: char, p: usize, alt: bool) -> String {
    let upper = conv.is_ascii_uppercase();
    if f.is_nan() {
        return if upper { "NAN" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if upper { "INF" } else { "inf" }.into();
    }
    match conv.to_ascii_lowercase() {
        'f' => {
            let t = format!("{f:.p$}");
            if alt && p == 0 {
                format!("{t}.")
            } else {
                t
            }
        }
        'e' => python_exp(&format!("{f:.p$e}"), upper),
        _ => {
            let p = p.max(1);
            let e_form = format!("{f:.prec$e}", prec = p - 1);
            let exp: i32 = e_form
                .split_once('e')
                .and_then(|(_, e)| e.parse().ok())
                .unwrap_or(0);
            let strip = |t: String| -> String {
                if alt || !t.contains('.') {
                    return t;
                }
                t.trim_end_matches('0').trim_end_matches('.').to_owned()
            };
            if -4 <= exp && exp < p as i32 {
                let decimals = (p as i32 - 1 - exp).max(0) as usize;
                strip(format!("{f:.decimals$}"))
            } else {
                let (mantissa, _) = e_form.split_once('e').unwrap_or((&e_form, ""));
                let m = strip(mantissa.to_owned());
                python_exp(&format!("{m}e{exp}"), upper)
            }
        }
    }
}

/// A decimal number: digits (no leading zeros beyond one), exponent, sign.
struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

/// `Decimal(text)` for finite numbers; None for anything else (including inf and nan).
fn parse_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim_matches(crate::python::is_python_space);
    let (negative, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let t = t.replace('_', "");
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => {
            let e = &t[i + 1..];
            let digits = e.trim_start_matches(['+', '-']);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // A huge exponent saturates: such values are returned as they are anyway.
            let magnitude: i64 = digits.parse().unwrap_or(i64::MAX / 2);
            let e = if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            };
            (&t[..i], e)
        }
        None => (t.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    // Beyond any exponent that floatformat renders (it returns such values as they are).
    let exp = exp.clamp(-100_000, 100_000);
    Some(Decimal {
        negative,
        digits,
        exponent: exp - frac.len() as i64,
    })
}

/// Django's `floatformat`.
pub(crate) fn floatformat(
    value: &Value,
    arg: Option<&Value>,
    cx: &FilterContext,
) -> Result<Value, Failure> {
    let mut force_grouping = false;
    let mut use_l10n = true;
    let mut arg_value = arg.cloned().unwrap_or(Value::Int(-1));
    if let Some(a) = arg.and_then(Value::as_str) {
        let a = a.to_owned();
        let stripped = if a.ends_with("gu") || a.ends_with("ug") {
            force_grouping = true;
            use_l10n = false;
            &a[..a.len() - 2]
        } else if a.ends_with('g') {
            force_grouping = true;
            &a[..a.len() - 1]
        } else if a.ends_with('u') {
            use_l10n = false;
            &a[..a.len() - 1]
        } else {
            &a[..]
        };
        arg_value = if stripped.is_empty() {
            Value::Int(-1)
        } else {
            Value::str(stripped)
        };
    }
    let input = match value {
        Value::Float(f) => float_repr(*f),
        other => other.to_python_str(),
    };
    let d = match parse_decimal(&input) {
        Some(d) => d,
        None => {
            let special = matches!(
                input
                    .trim()
                    .to_ascii_lowercase()
                    .trim_start_matches(['+', '-']),
                "inf" | "infinity" | "nan" | "snan"
            );
            if special {
                return Ok(Value::Str(input));
            }
            match py_float(value) {
                Ok(f) if f.is_finite() => match parse_decimal(&float_repr(f)) {
                    Some(d) => d,
                    None => return Ok(Value::str("")),
                },
                Ok(_) => return Ok(Value::Str(input)),
                Err(_) => return Ok(Value::str("")),
            }
        }
    };
    let p = match py_int(&arg_value) {
        Ok(p) => p,
        Err(Failure::Python(_)) => return Ok(Value::Str(input)),
        Err(other) => return Err(other),
    };
    // Values with more than 200 digits, or a large exponent, are returned as they are.
    let significant = d.digits.iter().skip_while(|&&x| x == 0).count().max(1);
    if significant as i64 + d.exponent.abs() > 200 {
        return Ok(Value::Str(input));
    }
    if p.unsigned_abs() > 10_000 || p.unsigned_abs() > cx.max_size {
        return Err(Failure::Unsupported(format!("floatformat with {p} places")));
    }
    let places = p.unsigned_abs() as i64;
    // Whether d has a fractional part.
    let has_fraction = d.exponent < 0
        && d.digits[(d.digits.len() as i64 + d.exponent).max(0) as usize..]
            .iter()
            .any(|&x| x != 0);
    let target_exp = if !has_fraction && p <= 0 { 0 } else { -places };
    let rounded = quantize(&d, target_exp);
    let is_zero = rounded.iter().all(|&x| x == 0);
    // Digits with -target_exp of them after the point.
    let frac_len = (-target_exp) as usize;
    let mut digits: Vec<u8> = rounded;
    while digits.len() <= frac_len {
        digits.insert(0, 0);
    }
    let split = digits.len() - frac_len;
    let int_part: String = digits[..split]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect::<String>();
    let int_part = int_part.trim_start_matches('0');
    let int_part = if int_part.is_empty() { "0" } else { int_part };
    let frac_part: String = digits[split..]
        .iter()
        .map(|d| char::from(b'0' + d))
        .collect();
    let sign = if d.negative && !is_zero { "-" } else { "" };
    let number = if frac_part.is_empty() {
        format!("{sign}{int_part}")
    } else {
        format!("{sign}{int_part}.{frac_part}")
    };
    // `formats.number_format(number, abs(p), use_l10n=..., force_grouping=...)`.
    let out = cx
        .locale
        .number_format(&number, Some(frac_len), use_l10n, force_grouping);
    Ok(mark_safe(Value::Str(out)))
}

/// The digits of `d` rounded (half up) to exponent `exp`.
fn quantize(d: &Decimal, exp: i64) -> Vec<u8> {
    let mut digits = d.digits.clone();
    if d.exponent >= exp {
        digits.extend(std::iter::repeat_n(0, (d.exponent - exp) as usize));
        return digits;
    }
    let drop = (exp - d.exponent) as usize;
    if drop > digits.len() {
        return vec![0];
    }
    let keep = digits.len() - drop;
    let round_up = digits[keep] >= 5;
    digits.truncate(keep);
    if digits.is_empty() {
        digits.push(0);
    }
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ff(v: Value, arg: Option<&str>) -> String {
        let en_us = crate::locale::Locale::en_us();
        let cx = FilterContext {
            autoescape: false,
            max_size: 1 << 20,
            locale: &en_us,
        };
        let arg = arg.map(Value::str);
        floatformat(&v, arg.as_ref(), &cx).unwrap().to_python_str()
    }

    #[test]
    fn floatformat_as_django() {
        assert_eq!(ff(Value::Float(34.23234), None), "34.2");
        assert_eq!(ff(Value::Float(34.0), None), "34");
        assert_eq!(ff(Value::Float(34.26), None), "34.3");
        assert_eq!(ff(Value::Float(34.23234), Some("3")), "34.232");
        assert_eq!(ff(Value::Float(34.0), Some("3")), "34.000");
        assert_eq!(ff(Value::Float(34.0), Some("-3")), "34");
        assert_eq!(ff(Value::Float(-0.01), Some("1")), "0.0");
        assert_eq!(ff(Value::Int(10000), Some("g")), "10,000");
        assert_eq!(ff(Value::str("foo"), None), "");
        assert_eq!(ff(Value::Float(66666.666), Some("2g")), "66,666.67");
    }

    #[test]
    fn percent_as_python() {
        assert_eq!(percent("03d", &Value::Int(5)).unwrap(), "005");
        assert_eq!(percent(".2f", &Value::Float(1.005)).unwrap(), "1.00");
        assert_eq!(percent("e", &Value::Float(1234.5)).unwrap(), "1.234500e+03");
        assert_eq!(percent("g", &Value::Float(0.00001)).unwrap(), "1e-05");
        assert_eq!(percent("g", &Value::Float(1234.5)).unwrap(), "1234.5");
        assert_eq!(percent("s", &Value::str("x")).unwrap(), "x");
        assert_eq!(percent("r", &Value::str("x")).unwrap(), "'x'");
        assert_eq!(percent("#x", &Value::Int(255)).unwrap(), "0xff");
        assert!(percent("d", &Value::str("1")).is_err());
    }
}
