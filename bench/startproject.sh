#!/usr/bin/env bash
# Benchmark: `scaffold startproject` vs `cp -r` of the identical finished tree vs the venv's
# `django-admin startproject` (Django 5.2), in one run on one machine. Prints median wall times,
# the ratios, and peak memory (max RSS). Needs hyperfine and GNU time (Debian: hyperfine, time)
# and the test venv (`cargo test` creates it under target/python-venv).
#
#   bench/startproject.sh            # default 200 runs each (django-admin: 30)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-200}
venv=${VENV:-target/python-venv}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }
[ -x "$venv/bin/django-admin" ] || { echo "needs $venv with Django (run cargo test first)" >&2; exit 1; }

bin=$(tools/build-static)   # the statically linked release binary
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$bin" startproject mysite ref --django 5.2 -v 0   # the finished tree that cp -r copies

hyperfine --style basic --warmup 5 --runs "$runs" --export-json scaffold.json \
  --prepare 'rm -rf mysite' "$bin startproject mysite --django 5.2 -v 0" \
  --prepare 'rm -rf mysite' 'cp -r ref mysite' >/dev/null
hyperfine --style basic --warmup 2 --runs "${DJANGO_RUNS:-30}" --export-json django.json \
  --prepare 'rm -rf mysite' "$OLDPWD/$venv/bin/django-admin startproject mysite" >/dev/null

rss() { rm -rf mysite; /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
scaffold_rss=$(rss "$bin" startproject mysite --django 5.2 -v 0)
cp_rss=$(rss cp -r ref mysite)
django_rss=$(rss "$OLDPWD/$venv/bin/django-admin" startproject mysite)

python3 - "$scaffold_rss" "$cp_rss" "$django_rss" <<'PY'
import json, sys
runs = json.load(open("scaffold.json"))["results"] + json.load(open("django.json"))["results"]
median = {name: r["median"] for name, r in zip(["scaffold", "cp -r", "django-admin"], runs)}
rss = dict(zip(["scaffold", "cp -r", "django-admin"], sys.argv[1:]))
print("| command | median | peak RSS |")
print("|---|---|---|")
for name, m in median.items():
    print(f"| {name} | {m * 1000:.2f} ms | {int(rss[name]) / 1024:.1f} MiB |")
print()
print(f"scaffold / cp -r       = {median['scaffold'] / median['cp -r']:.2f}x  (target: at most 1.5x)")
print(f"django-admin / scaffold = {median['django-admin'] / median['scaffold']:.0f}x  (target: at least 50x)")
PY
