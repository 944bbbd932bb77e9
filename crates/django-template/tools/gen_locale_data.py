"""Writes src/locale_data.rs from a Django release: for every locale in django/conf/locale, the
formats of its formats.py and the translations (from the compiled django.mo that Django loads,
built from django.po) of the messages the engine prints: month and weekday names from
django/utils/dates.py, and the strings that dateformat.py, defaultfilters.py and text.py
translate.

    python3 tools/gen_locale_data.py DJANGO_SOURCE_DIR > src/locale_data.rs

DJANGO_SOURCE_DIR is an unpacked sdist (the suite caches one under target/tmp/django-suite).
The suite checks that the committed file equals this script's output for its Django release.
"""

import gettext
import importlib.util
import os
import sys

root = os.path.abspath(sys.argv[1])
sys.path.insert(0, root)
django_dir = os.path.join(root, "django")

from django.utils import dates  # noqa: E402  (lazy proxies: no settings needed)
import django  # noqa: E402

FORMATS = [
    ("date_format", "DATE_FORMAT"),
    ("datetime_format", "DATETIME_FORMAT"),
    ("time_format", "TIME_FORMAT"),
    ("year_month_format", "YEAR_MONTH_FORMAT"),
    ("month_day_format", "MONTH_DAY_FORMAT"),
    ("short_date_format", "SHORT_DATE_FORMAT"),
    ("short_datetime_format", "SHORT_DATETIME_FORMAT"),
]

# Messages translated outside dates.py: (file that must hold the call, context, msgid, plural).
OTHER_MESSAGES = [
    ("utils/dateformat.py", None, "a.m.", None),
    ("utils/dateformat.py", None, "p.m.", None),
    ("utils/dateformat.py", None, "AM", None),
    ("utils/dateformat.py", None, "PM", None),
    ("utils/dateformat.py", None, "midnight", None),
    ("utils/dateformat.py", None, "noon", None),
    ("template/defaultfilters.py", None, "yes,no,maybe", None),
    ("template/defaultfilters.py", None, "%(size)d byte", "%(size)d bytes"),
    ("template/defaultfilters.py", None, "%s KB", None),
    ("template/defaultfilters.py", None, "%s MB", None),
    ("template/defaultfilters.py", None, "%s GB", None),
    ("template/defaultfilters.py", None, "%s TB", None),
    ("template/defaultfilters.py", None, "%s PB", None),
    (
        "utils/text.py",
        "String to return when truncating text",
        "%(truncated_text)s\u2026",
        None,
    ),
]


def lazy_message(proxy):
    """(context, msgid) of a gettext_lazy / pgettext_lazy proxy."""
    args = proxy._args
    return (None, args[0]) if len(args) == 1 else (args[0], args[1])


def date_messages():
    out = []
    for table in ["MONTHS", "MONTHS_3", "MONTHS_AP", "MONTHS_ALT", "WEEKDAYS", "WEEKDAYS_ABBR"]:
        out += [lazy_message(v) for _, v in sorted(getattr(dates, table).items())]
    return out


def other_messages():
    out = []
    for path, context, msgid, plural in OTHER_MESSAGES:
        with open(os.path.join(django_dir, path), encoding="utf-8") as f:
            source = f.read()
        for text in (msgid, plural):
            if text is not None and '"%s"' % text not in source:
                sys.exit("%s no longer translates %r: update OTHER_MESSAGES" % (path, text))
        out.append((context, msgid, plural))
    return out


def rs(s):
    return '"' + "".join(
        c if 0x20 <= ord(c) < 0x7F and c not in '"\\{}' else "\\u{%x}" % ord(c) for c in s
    ) + '"'


def load_formats(path):
    spec = importlib.util.spec_from_file_location("formats", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    locale_dir = os.path.join(django_dir, "conf", "locale")
    messages = [(c, m, None) for c, m in date_messages()] + other_messages()
    seen = set()
    messages = [m for m in messages if not (m[:2] in seen or seen.add(m[:2]))]
    L = [
        "//! Written by `tools/gen_locale_data.py` from Django %s's `django/conf/locale`: each"
        % django.get_version(),
        "//! locale's `formats.py` and its translations of the messages the engine prints (the",
        "//! names in `django/utils/dates.py`, and those of `dateformat.py`, `defaultfilters.py`",
        "//! and `text.py`). Do not edit: the suite fails when this file and the release differ.",
        "",
        "use crate::locale::{Grouping, LocaleData};",
        "",
        "/// Every locale Django ships, sorted by name (`de_CH`, ...).",
        "pub(crate) const LOCALES: &[LocaleData] = &[",
    ]
    for name in sorted(os.listdir(locale_dir)):
        path = os.path.join(locale_dir, name)
        if not os.path.isdir(path) or name.startswith("__"):
            continue
        formats = os.path.join(path, "formats.py")
        module = load_formats(formats) if os.path.exists(formats) else None

        def get(attr):
            return getattr(module, attr, None) if module else None

        mo = os.path.join(path, "LC_MESSAGES", "django.mo")
        catalog, plural_forms = {}, None
        if os.path.exists(mo):
            with open(mo, "rb") as f:
                t = gettext.GNUTranslations(f)
            catalog = t._catalog
            plural_forms = t._info.get("plural-forms")
        L.append("    LocaleData {")
        L.append("        name: %s," % rs(name))
        for field, attr in FORMATS:
            v = get(attr)
            L.append("        %s: %s," % (field, "None" if v is None else "Some(%s)" % rs(v)))
        v = get("FIRST_DAY_OF_WEEK")
        L.append("        first_day_of_week: %s," % ("None" if v is None else "Some(%d)" % v))
        for field in ["DECIMAL_SEPARATOR", "THOUSAND_SEPARATOR"]:
            v = get(field)
            L.append("        %s: %s," % (field.lower(), "None" if v is None else "Some(%s)" % rs(v)))
        v = get("NUMBER_GROUPING")
        if v is None:
            grouping = "None"
        elif isinstance(v, int):
            grouping = "Some(Grouping::Every(%d))" % v
        else:
            grouping = "Some(Grouping::Sequence(&[%s]))" % ", ".join(str(int(x)) for x in v)
        L.append("        number_grouping: %s," % grouping)
        L.append(
            "        plural_forms: %s,"
            % ("None" if plural_forms is None else "Some(%s)" % rs(plural_forms.strip()))
        )
        L.append("        messages: &[")
        entries = []
        for context, msgid, plural in messages:
            key = msgid if context is None else "%s\x04%s" % (context, msgid)
            if plural is None:
                forms = [catalog[key]] if catalog.get(key) else []
            else:
                forms = []
                i = 0
                while (key, i) in catalog:
                    forms.append(catalog[(key, i)])
                    i += 1
                if not any(forms):
                    forms = []
            if forms:
                entries.append((key, forms))
        for key, forms in sorted(entries):
            L.append("            (%s, &[%s])," % (rs(key), ", ".join(rs(f) for f in forms)))
        L.append("        ],")
        L.append("    },")
    L.append("];")
    sys.stdout.write("\n".join(L) + "\n")


main()
