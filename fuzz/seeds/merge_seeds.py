#!/usr/bin/env python3
"""Writes the seeds of the `merge` fuzz target for the inputs issue 17 attacked the upgrade with
(50,000 nested brackets, 60,000 `+1` terms, 20,000 comment lines, also inside a list, 80,000
statements on one line), each a base, ours and theirs split by NUL bytes and built on
seeds/merge/settings (a settings file both sides changed, so that the merge parses all three
instead of taking one side whole):

- into seeds/merge/, small: written with the target's `\\x01 UNIT COUNT` repetitions (kept in git);
- into DIR (default fuzz/corpus/merge/), the same spelled out, 90 to 330 KB each.

    python3 fuzz/seeds/merge_seeds.py [DIR]
"""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "corpus", "merge")
base, ours, theirs = open(os.path.join(here, "merge", "settings"), "rb").read().split(b"\0")

# (compact, spelled out): \x01 U N repeats U's unit 1, 10, ..., 100,000 times (see merge.rs).
nested = (b"\nNESTED = \x01[7\x01]7\n", b"\nNESTED = " + b"[" * 50_000 + b"]" * 50_000 + b"\n")
plus = (b"\nTOTAL = 0\x01+8\n", b"\nTOTAL = 0" + b"+1" * 60_000 + b"\n")
comments = (b"\n\x01#6", b"\n" + b"# x\n" * 20_000)
listed = (b"\x01 6", b"    # x\n" * 20_000)
statements = (b"\n\x01;8\x01;6\n", b"\n" + b"a=1;" * 80_000 + b"\n")

def seeds(k):
    return {
        # The owner appended the attack; the template changed its docs links.
        "deep_brackets": (base, ours + nested[k], theirs),
        "plus_terms": (base, ours + plus[k], theirs),
        "comment_run": (base, ours + comments[k], theirs),
        "one_line_statements": (base, ours + statements[k], theirs),
        # The same value in all three: every parse meets it, and the merge keeps it as it is.
        "deep_brackets_everywhere": (base + nested[k], ours + nested[k], theirs + nested[k]),
        # A comment run inside a list both sides keep.
        "comment_run_in_a_list": (
            base,
            ours.replace(b"INSTALLED_APPS = [\n", b"INSTALLED_APPS = [\n" + listed[k], 1),
            theirs,
        ),
    }

for k, (directory, prefix) in enumerate([(os.path.join(here, "merge"), "attack_"), (out, "")]):
    os.makedirs(directory, exist_ok=True)
    for name, parts in seeds(k).items():
        path = os.path.join(directory, prefix + name)
        with open(path, "wb") as f:
            f.write(b"\0".join(parts))
        print(f"{os.path.relpath(path)}: {os.path.getsize(path)} bytes")
