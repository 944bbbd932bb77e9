"""Compares the engine's urlize/urlizetrunc with Django's on random words.

    cargo build -p django-template --bin django-template-json
    PYTHONPATH=target/tmp/django-suite/django-5.2.19 \\
        target/tmp/django-suite/venv/bin/python crates/django-template/tools/urlize_differential.py SEED COUNT

(from the repository root, after the Django suite has run once). Prints the first mismatches.
"""

import json, random, subprocess, sys
from django.utils.html import urlize
from django.utils.safestring import mark_safe
frags = ["http://", "https://", "HTTP://", "www.", "WWW.", "example", ".com", ".org", ".COM", ".xyz", "@", "&", "&amp;", "&lt;", "&gt;", ";", ".", ",", ":", "!", "(", ")", "[", "]", "/", "?", "=", "#", "%", "%20", "%C3%A9", "%zz", "é", "ñ", "中", "☃", "+", "-", "_", "a", "b", "Z", "1", "9", " ", "'", '"', "<", ">", "\u00a0", "xn--", "[::1]", "127.0.0.1", "user", "&#39;", "&#x41", "&quot", "&notin;", "\u2100", "ｆ", "localhost", "~", "*", "\u0130", "\u212a", "v1.x", "%", "\t", "&#0;", ".net/", "www.a.b", "mailto:", "\x01", "\x1b", "%ff", "%C3", "[v1.a]", "[fe80::1%25eth0]", "::", "1.2.3.4]", "a@b.co", "foo.bar@", "@x.com", ".co", "&#128;", "&#xD800;", "&#65535;", "%e2%80%8f", "?a=1&b", "&&", "a=b", "[1:2::3]", "[::ffff:1.2.3.4]", "[v.x]", "ſ", ".in", ".ınt", "x"*70, "-", ".-a", "xn--a", "http://a.b/"]
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
N = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
cases = []
for _ in range(N):
    s = "".join(random.choice(frags) for _ in range(random.randint(1, 12)))
    safe = random.random() < 0.2
    auto = random.random() < 0.7
    lim = random.choice([None, None, -1, 0, 1, 5, 15])
    cases.append((s, safe, auto, lim))
p = subprocess.Popen(["target/debug/django-template-json"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
bad = 0
for s, safe, auto, lim in cases:
    filt = "urlize" if lim is None else "urlizetrunc:%d" % lim
    req = {"template": "{{ v|%s }}" % filt, "context": {"__dict__": [["v", {"__safe__": s} if safe else s]]}, "autoescape": auto}
    p.stdin.write(json.dumps(req) + "\n"); p.stdin.flush()
    got = json.loads(p.stdout.readline())
    v = mark_safe(s) if safe else s
    exp = urlize(v, trim_url_limit=lim, nofollow=True, autoescape=auto)
    if got.get("ok") != exp:
        bad += 1
        if bad <= 8:
            print("MISMATCH", repr(s), safe, auto, lim, "\n  py:", repr(exp), "\n  rs:", got)
print("bad", bad, "of", len(cases))
