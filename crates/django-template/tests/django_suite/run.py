"""Runs Django's own template tests with every plain-data render sent to django-template.

Usage: python run.py SDIST_DIR SHIM_BINARY MODE REPORT_JSON [TEST_LABEL ...]

MODE "engine" sends each applicable render to SHIM_BINARY (JSON lines) and returns its output
(or raises TemplateSyntaxError with its message), so that Django's assertions decide. MODE
"django" classifies and serializes exactly the same way, then renders the decoded copy with
Django's own engine: every applicable case must pass there, which shows that the shim loses
nothing on the way. A test is "not applicable" when one of its renders has a context that is
not plain data or uses a tag that needs more than the template language (load, url,
csrf_token, include, extends, block, debug, ssi); those renders go to Django as usual.
"""

import json
import math
import os
import re
import runpy
import subprocess
import sys
import unittest

sdist, shim_path, MODE, report_path = (os.path.abspath(p) if i != 2 else p for i, p in enumerate(sys.argv[1:5]))
labels = sys.argv[5:] or ["template_tests.syntax_tests", "template_tests.filter_tests"]
tests_dir = os.path.join(sdist, "tests")
sys.path[:0] = [tests_dir, sdist]
os.chdir(tests_dir)

from django.template import base  # noqa: E402
from django.template import context as context_module  # noqa: E402
from django.template.exceptions import TemplateSyntaxError  # noqa: E402
from django.utils.safestring import SafeString, mark_safe  # noqa: E402

NA_TAG = re.compile(
    r"{%\s*(load|url|csrf_token|querystring|include|extends|block|debug|ssi)\b"
)
# Tests that watch more than the output, which a shim cannot give them: the context after
# rendering (the engine renders a copy), or how often Python helpers are called.
WATCHES_MORE_THAN_OUTPUT = {
    "template_tests.syntax_tests.test_firstof.FirstOfTagTests.test_all_false_arguments_asvar":
        "reads the context back after rendering",
    "template_tests.syntax_tests.test_firstof.FirstOfTagTests.test_firstof15":
        "reads the context back after rendering",
    "template_tests.filter_tests.test_urlize.FunctionTests.test_caching_repeated_calls":
        "counts calls to Python helpers (mock)",
    "template_tests.filter_tests.test_urlize.FunctionTests.test_caching_repeated_words":
        "counts calls to Python helpers (mock)",
}
BUILTIN_NAMES = {"True", "False", "None"}
# Tests that compile or render no template of plain data at all, by what they test instead.
NO_TEMPLATE = {
    "test_repr": "tests a node class's repr (Python API)",
    "test_extends_node_repr": "tests a node class's repr (Python API)",
    "test_property_resolver": "tests a Python helper (_property_resolver) on class instances",
    "test_setup": "tests the suite's own @setup decorator",
}


class NotPlain(Exception):
    pass


def encode(v, depth=0):
    if depth > 100:
        raise NotPlain("a context nested more than 100 deep")
    t = type(v)
    if t is SafeString:
        return {"__safe__": str(v)}
    if t in (str, bool) or v is None:
        return v
    if t is int:
        if not -(2**63) <= v < 2**63:
            raise NotPlain("an int beyond 64 bits")
        return v
    if t is float:
        return v if math.isfinite(v) else {"__float__": repr(v)}
    if t is list:
        return [encode(x, depth + 1) for x in v]
    if t is tuple:
        return {"__tuple__": [encode(x, depth + 1) for x in v]}
    if t is dict:
        if not all(type(k) is str for k in v):
            raise NotPlain("a dict with keys that are not str")
        return {"__dict__": [[k, encode(x, depth + 1)] for k, x in v.items()]}
    raise NotPlain("a %s object" % t.__name__)


def decode(v):
    if isinstance(v, list):
        return [decode(x) for x in v]
    if isinstance(v, dict):
        if "__safe__" in v:
            return mark_safe(v["__safe__"])
        if "__float__" in v:
            return float(v["__float__"])
        if "__tuple__" in v:
            return tuple(decode(x) for x in v["__tuple__"])
        return {k: decode(x) for k, x in v["__dict__"]}
    return v


shim = None


def ask(request):
    global shim
    if shim is None:
        shim = subprocess.Popen(
            [shim_path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8"
        )
    shim.stdin.write(json.dumps(request) + "\n")
    shim.stdin.flush()
    return json.loads(shim.stdout.readline())


STATS = {}
CURRENT = None


def note(kind, detail=None):
    if CURRENT is None:
        return
    entry = STATS.setdefault(CURRENT, {"delegated": 0, "na": []})
    if kind == "delegated":
        entry["delegated"] += 1
    else:
        entry["na"].append(detail)


# The settings that the engine's localization reads (formats used where the active locale has
# none, as `get_format` falls back to settings), sent with every render as engine options.
FORMAT_SETTINGS = [
    "DATE_FORMAT",
    "DATETIME_FORMAT",
    "TIME_FORMAT",
    "YEAR_MONTH_FORMAT",
    "MONTH_DAY_FORMAT",
    "SHORT_DATE_FORMAT",
    "SHORT_DATETIME_FORMAT",
    "FIRST_DAY_OF_WEEK",
    "DECIMAL_SEPARATOR",
    "THOUSAND_SEPARATOR",
    "NUMBER_GROUPING",
    "USE_THOUSAND_SEPARATOR",
]


def l10n_options():
    """The active language (None when translations are deactivated) and the format settings."""
    from django.conf import settings
    from django.utils import translation

    formats = {}
    for name in FORMAT_SETTINGS:
        value = getattr(settings, name)
        formats[name] = list(value) if isinstance(value, (tuple, list)) else value
    return {"language": translation.get_language(), "formats": formats}


TRANSLATED = re.compile(r"""_\(("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\)""")


def catalog(source):
    """The project's translations of the template's `_()` literals in the active language: its
    message catalogs (installed apps, LOCALE_PATHS) are configuration the engine is given."""
    from django.utils.text import unescape_string_literal
    from django.utils.translation import gettext

    out = {}
    for m in TRANSLATED.finditer(source):
        msgid = unescape_string_literal(m.group(1)).replace("%", "%%")
        if gettext(msgid) != msgid:
            out[msgid] = gettext(msgid)
    return out


def rendered_with(options):
    """Django mode: render under exactly the options sent, to show they carry everything."""
    from django.test.utils import override_settings
    from django.utils import translation

    class Both:
        def __enter__(self):
            self.t = translation.override(options["language"])
            self.s = override_settings(**options["formats"])
            self.t.__enter__()
            self.s.__enter__()

        def __exit__(self, *exc):
            self.s.__exit__(*exc)
            self.t.__exit__(*exc)

    return Both()


def na_reason(source, context):
    if CURRENT in WATCHES_MORE_THAN_OUTPUT:
        return WATCHES_MORE_THAN_OUTPUT[CURRENT]
    if isinstance(context, context_module.RequestContext):
        return "renders with a request (RequestContext)"
    m = NA_TAG.search(source)
    if m:
        return "uses {%% %s %%}" % m.group(1)
    try:
        flat = {k: v for k, v in context.flatten().items() if k not in BUILTIN_NAMES}
        return None, encode(flat)
    except NotPlain as e:
        return "context holds %s" % e
    except Exception as e:  # flatten() on odd contexts
        return "context cannot be flattened (%s)" % type(e).__name__


orig_render = base.Template.render
orig_init = base.Template.__init__


def render(self, context):
    if context.template is not None:
        return orig_render(self, context)
    reason = na_reason(self.source, context)
    if isinstance(reason, str):
        note("na", reason)
        return orig_render(self, context)
    encoded = reason[1]
    request = {
        "template": self.source,
        "context": encoded,
        "autoescape": bool(context.autoescape),
        "string_if_invalid": self.engine.string_if_invalid,
        **l10n_options(),
        "catalog": catalog(self.source),
    }
    note("delegated")
    if MODE == "django":
        copy = json.loads(json.dumps(request))
        template = base.Template(copy["template"], engine=self.engine)
        ctx = context_module.Context(decode(copy["context"]), autoescape=copy["autoescape"])
        with rendered_with(copy):
            return orig_render(template, ctx)
    reply = ask(request)
    if "ok" in reply:
        return SafeString(reply["ok"])
    if reply.get("exception") == "ValueError":
        raise ValueError(reply["error"])
    raise TemplateSyntaxError(reply["error"])


def init(self, template_string, origin=None, name=None, engine=None):
    m = NA_TAG.search(str(template_string))
    if CURRENT is not None and m:
        # A test that only compiles such a template (its nodes, its errors) is counted here.
        STATS[CURRENT].setdefault("compiled", "uses {%% %s %%}" % m.group(1))
    try:
        orig_init(self, template_string, origin, name, engine)
    except TemplateSyntaxError:
        source = str(template_string)
        if CURRENT is not None and m:
            note("na", "uses {%% %s %%}" % m.group(1))
        if CURRENT is not None and not m:
            note("delegated")
        if MODE == "engine" and CURRENT is not None and not NA_TAG.search(source):
            reply = ask({"template": source, "parse_only": True})
            if "ok" in reply:
                raise AssertionError(
                    "Django refuses this template at compile time; django-template accepts it"
                )
        raise


base.Template.render = render
base.Template.__init__ = init

# The filter tests' FunctionTests call the filter functions directly. Each such call whose
# value and argument are plain data, and whose result is a str, is answered by rendering
# `{{ v|name:a }}` instead (autoescape as the call asks for it), so that these checks judge the
# engine too.
from django.template import defaultfilters  # noqa: E402
from django.template.engine import Engine  # noqa: E402

IN_FILTER = False


def wrap_filter(name, func):
    import inspect

    takes_autoescape = getattr(func, "needs_autoescape", False)
    try:
        default_autoescape = inspect.signature(func).parameters["autoescape"].default
    except (KeyError, ValueError, TypeError):
        default_autoescape = True

    def wrapper(value, *args, **kwargs):
        global IN_FILTER
        if IN_FILTER or CURRENT is None:
            return func(value, *args, **kwargs)
        if CURRENT in WATCHES_MORE_THAN_OUTPUT:
            note("na", WATCHES_MORE_THAN_OUTPUT[CURRENT])
            return func(value, *args, **kwargs)
        IN_FILTER = True
        try:
            result = func(value, *args, **kwargs)
        finally:
            IN_FILTER = False
        if len(args) > 1:
            return result
        # A result that is not text (a list, an int, a bool) is read back from the rendered
        # text with ast.literal_eval, so that the assertion compares what the engine printed.
        read_back = type(result) not in (str, SafeString)
        if read_back and type(result) not in (int, float, bool, list, tuple, dict, type(None)):
            note("na", "a filter function returns a Python object (%s)" % type(result).__name__)
            return result
        autoescape = kwargs.get("autoescape", default_autoescape) if takes_autoescape else False
        if read_back:
            autoescape = False
        values = {"v": value}
        if args:
            values["a"] = args[0]
        try:
            encoded = encode(values)
        except NotPlain as e:
            note("na", "calls a filter function with %s" % e)
            return result
        source = "{{ v|%s%s }}" % (name, ":a" if args else "")
        note("delegated")
        options = l10n_options()
        if MODE == "django":
            copy = json.loads(json.dumps([encoded, options]))
            t = base.Template(source, engine=Engine())
            with rendered_with(copy[1]):
                out = orig_render(t, context_module.Context(decode(copy[0]), autoescape=autoescape))
        else:
            reply = ask(
                {"template": source, "context": encoded, "autoescape": autoescape, "string_if_invalid": "",
                 **options}
            )
            if "ok" not in reply:
                raise AssertionError("django-template: " + reply["error"])
            out = reply["ok"]
        if read_back:
            import ast

            try:
                return ast.literal_eval(out)
            except (ValueError, SyntaxError):
                return out
        return SafeString(out) if isinstance(result, SafeString) else str(out)

    return wrapper


for filter_name, filter_func in list(defaultfilters.register.filters.items()):
    for attr, obj in list(vars(defaultfilters).items()):
        if obj is filter_func:
            setattr(defaultfilters, attr, wrap_filter(filter_name, filter_func))

# `django.utils.html.escape`, which test modules import through defaultfilters, is the whole
# body of the `force_escape` filter: calls to it in a test module render `{{ v|force_escape }}`.
from django.utils import html as html_module  # noqa: E402

ESCAPE = wrap_filter("force_escape", html_module.escape)


def route_escape(test):
    module = sys.modules.get(type(test).__module__)
    if module is not None and getattr(module, "escape", None) is html_module.escape:
        module.escape = ESCAPE


orig_run = unittest.TestCase.run
FAILURES = {}


def run(self, result=None):
    global CURRENT
    CURRENT = self.id()
    route_escape(self)
    STATS.setdefault(CURRENT, {"delegated": 0, "na": []})
    before = (len(result.failures), len(result.errors), len(result.skipped)) if result else (0, 0, 0)
    try:
        return orig_run(self, result)
    finally:
        if result is not None:
            new = result.failures[before[0]:] + result.errors[before[1]:]
            STATS[CURRENT]["failed"] = bool(new)
            STATS[CURRENT]["skipped"] = len(result.skipped) > before[2]
            if new:
                lines = [l for l in new[0][1].strip().splitlines() if l.strip()]
                FAILURES[CURRENT] = lines[-1][:300] if lines else "?"
        CURRENT = None


unittest.TestCase.run = run

sys.argv = ["runtests.py", *labels, "--parallel", "1", "-v", "0", "--noinput"]
try:
    runpy.run_path(os.path.join(tests_dir, "runtests.py"), run_name="__main__")
except SystemExit:
    pass

passed = failed = 0
na = {}
failures = {}
for test, entry in sorted(STATS.items()):
    if entry.get("skipped"):
        na["skipped by Django"] = na.get("skipped by Django", 0) + 1
    elif entry["na"]:
        na[entry["na"][0]] = na.get(entry["na"][0], 0) + 1
        if os.environ.get("SHOW_NA") and os.environ["SHOW_NA"] in entry["na"][0]:
            print("not applicable:", test, "--", entry["na"][0])
    elif entry["delegated"] == 0:
        reason = entry.get("compiled") or NO_TEMPLATE.get(test.rsplit(".", 1)[-1])
        reason = reason or "renders no template (not classified: add a reason)"
        na[reason] = na.get(reason, 0) + 1
        if os.environ.get("SHOW_NO_RENDER"):
            print("no render:", test, "--", reason)
    elif entry.get("failed"):
        failed += 1
        failures[test] = FAILURES.get(test, "?")
    else:
        passed += 1
not_applicable = sum(na.values())
with open(report_path, "w") as f:
    json.dump({"passed": passed, "failed": failed, "not_applicable": na, "failures": failures}, f,
              indent=1, sort_keys=True)
print("%s: %d passed, %d failed, %d not applicable" % (MODE, passed, failed, not_applicable))
for reason, n in sorted(na.items(), key=lambda x: -x[1]):
    print("  not applicable: %4d  %s" % (n, reason))
