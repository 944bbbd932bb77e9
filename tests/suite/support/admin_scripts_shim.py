"""Runs Django's tests/runtests.py with each `python -m django startproject|startapp ...` that a
test starts sent to scaffold instead. Used by tests/suite/admin_scripts.rs.

    python admin_scripts_shim.py DJANGO_TESTS_DIR/runtests.py [runtests arguments...]

Environment:
    SCAFFOLD_SHIM_BIN     the scaffold binary; empty or unset: real Django runs everything
                          (the honesty run of the same selection)
    SCAFFOLD_SHIM_DJANGO  the release series under test, passed to scaffold as --django X.Y

Django's AdminScriptTestCase.run_test starts every command as
`subprocess.run([sys.executable, "-m", "django", *args], capture_output=True, cwd=..., env=...,
text=True, umask=...)`; that call is the one hook. The command keeps its arguments, working
directory, environment and umask; scaffold gets `--django X.Y` added after the subcommand. The
only rewrite of its output: a leading `error: ` on an stderr line becomes `CommandError: `
(Django's prefix). Everything else, including every other command, goes to real Django, and
Django's own assertions decide.
"""

import re
import runpy
import subprocess
import sys

import os

SCAFFOLD = os.environ.get("SCAFFOLD_SHIM_BIN", "")
SERIES = os.environ.get("SCAFFOLD_SHIM_DJANGO", "")
COMMANDS = ("startproject", "startapp")

_real_run = subprocess.run


def _run(args, *rest, **kwargs):
    if (
        SCAFFOLD
        and isinstance(args, (list, tuple))
        and len(args) >= 4
        and args[0] == sys.executable
        and list(args[1:3]) == ["-m", "django"]
        and args[3] in COMMANDS
    ):
        sys.__stderr__.write(f"[shim] scaffold {' '.join(map(str, args[3:]))}\n")
        args = [SCAFFOLD, args[3], "--django", SERIES, *args[4:]]
        done = _real_run(args, *rest, **kwargs)
        if isinstance(done.stderr, str):
            done.stderr = re.sub(r"(?m)^error: ", "CommandError: ", done.stderr)
        return done
    return _real_run(args, *rest, **kwargs)


subprocess.run = _run

if __name__ == "__main__":
    runtests = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(runtests)))
    runpy.run_path(runtests, run_name="__main__")
