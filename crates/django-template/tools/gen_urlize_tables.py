"""Writes src/urlize_tables.rs from the running CPython (3.11, as Django 5.2's suite uses):
re's \\w on str, html.entities.html5 and html._invalid_charrefs, which urlize rests on.

    python3 tools/gen_urlize_tables.py > src/urlize_tables.rs
"""

import html
import html.entities
import re
import sys


def ranges(pattern):
    rx = re.compile(pattern)
    out, start = [], None
    for cp in range(0x110000):
        ok = not 0xD800 <= cp <= 0xDFFF and rx.fullmatch(chr(cp)) is not None
        if ok and start is None:
            start = cp
        if not ok and start is not None:
            out.append((start, cp - 1))
            start = None
    if start is not None:
        out.append((start, 0x10FFFF))
    return out


def rs(s):
    return '"' + "".join(
        c if (c.isalnum() and ord(c) < 128) or c in " ;.," else "\\u{%x}" % ord(c) for c in s
    ) + '"'


L = [
    "//! Tables from CPython 3.11 (the Python that Django 5.2's test suite runs here), written by",
    "//! `tools/gen_urlize_tables.py`: `re`'s `\\w` for `str` patterns (Unicode 14.0) and",
    "//! `html.unescape`'s HTML5 named character references.",
    "",
    "/// Inclusive ranges of the code points Python's `re` `\\w` matches.",
    "pub(crate) const WORD: &[(u32, u32)] = &[",
]
L += [f"    (0x{a:X}, 0x{b:X})," for a, b in ranges(r"\w")]
L += ["];", "", "/// `html.entities.html5`, sorted by name: (name, replacement).",
      "pub(crate) const HTML5: &[(&str, &str)] = &["]
L += [f"    ({rs(k)}, {rs(v)})," for k, v in sorted(html.entities.html5.items())]
L += ["];", "", "/// `html._invalid_charrefs`: numeric references replaced by another character.",
      "pub(crate) const INVALID_CHARREFS: &[(u32, char)] = &["]
L += [f"    (0x{k:X}, '\\u{{{ord(v):x}}}')," for k, v in sorted(html._invalid_charrefs.items())]
L += ["];"]
sys.stdout.write("\n".join(L) + "\n")
