#!/usr/bin/env bash
# Benchmark: `scaffold startproject --template DIR` on a generated 10,000-file template vs
# `cp -r` of the same template, in one run on one machine: median wall times and their ratio
# (target: at most 2x), and peak memory (max RSS) at 10,000 and 40,000 files (target: flat);
# then one large rendered file of each shape, sparse and dense: MB/s and peak memory / size.
# Needs hyperfine and GNU time (Debian: apt-get install -y hyperfine time) and python3.
#
#   bench/template.sh                 # FILES=10000 BIG=40000 RUNS=20
#   WORKDIR=/dev/shm bench/template.sh  # on tmpfs: the CPU cost, without the disk's
#   ONLY=large bench/template.sh        # only the large rendered files (sparse and dense)
#   ONLY=files bench/template.sh        # only the many-file template
#   SCAFFOLD=/path/to/scaffold bench/template.sh  # another build (a baseline), not built here
set -euo pipefail
cd "$(dirname "$0")/.."
files=${FILES:-10000}
big=${BIG:-40000}
runs=${RUNS:-20}
target=${CARGO_TARGET_DIR:-target}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

if [ -n "${SCAFFOLD:-}" ]; then
  bin=$(realpath "$SCAFFOLD")
else
  cargo build --release --quiet
  bin=$(cd "$target" && pwd)/release/scaffold
fi
work=$(mktemp -d -p "${WORKDIR:-${TMPDIR:-/tmp}}")
trap 'rm -rf "$work"' EXIT
cd "$work"

# A template of N files in 100-file directories: 97% small text files copied as they are,
# 2% binary files (4-64 KiB), 1% rendered .py-tpl files, plus manage.py-tpl.
generate() {
  python3 - "$1" "$2" <<'PY'
import os, random, sys
n, root = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
os.makedirs(os.path.join(root, "project_name"))
with open(os.path.join(root, "manage.py-tpl"), "w") as f:
    f.write("#!/usr/bin/env python\nimport os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', '{{ project_name }}.settings')\n")
os.chmod(os.path.join(root, "manage.py-tpl"), 0o755)
for i in range(n - 1):
    d = os.path.join(root, "project_name" if i < 100 else f"d{i // 100:03d}")
    os.makedirs(d, exist_ok=True)
    r = i % 100
    if r == 0:
        with open(os.path.join(d, f"m{i}.py-tpl"), "w") as f:
            f.write("# {{ project_name }}\n{% if docs_version %}DOCS = '{{ docs_version }}'{% endif %}\n" + "x = 1\n" * 40)
    elif r in (1, 2):
        with open(os.path.join(d, f"b{i}.bin"), "wb") as f:
            f.write(rng.randbytes(rng.randint(4096, 65536)))
    else:
        with open(os.path.join(d, f"f{i}.txt"), "w") as f:
            f.write(f"file {i} {{{{ not rendered }}}}\n" * rng.randint(1, 30))
PY
}
if [ "${ONLY:-}" != large ]; then
generate "$files" tpl
generate "$big" tpl-big
echo "template: $files files, $(du -sh tpl | cut -f1); big template: $big files, $(du -sh tpl-big | cut -f1)"

hyperfine --style basic --warmup 3 --runs "$runs" --export-json template.json \
  --prepare 'rm -rf out' "$bin startproject mysite out --template tpl -v 0 --secret-key k" \
  --prepare 'rm -rf out' 'cp -r tpl out' >/dev/null

rss() { rm -rf out; /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
rss_small=$(rss "$bin" startproject mysite out --template tpl -v 0 --secret-key k)
rss_big=$(rss "$bin" startproject mysite out --template tpl-big -v 0 --secret-key k)
rss_cp=$(rss cp -r tpl out)
rm -rf out

python3 - "$rss_small" "$rss_big" "$rss_cp" "$files" "$big" <<'PY'
import json, sys
small, big, cp, n, nbig = (int(x) for x in sys.argv[1:])
res = json.load(open("template.json"))["results"]
med = {("cp" if r["command"].startswith("cp ") else "scaffold"): r["median"] for r in res}
s, c = med["scaffold"], med["cp"]
print(f"median: scaffold {s*1000:.1f} ms, cp -r {c*1000:.1f} ms, ratio {s/c:.2f}x (target <= 2x)")
print(f"peak RSS: scaffold {small} KiB at {n} files, {big} KiB at {nbig} files ({big/small:.2f}x); cp -r {cp} KiB")
PY
fi

# Large rendered files: one template file (LARGE_MB, default 24 MB) of each shape, rendered by
# scaffold LARGE_RUNS times (default 5): median throughput (target: at least 100 MB/s of template
# text) and median peak memory against the file's size (target: at most 3x); and by django-admin
# once when one is on PATH (or DJANGO_ADMIN), for the ratio. Shapes:
#   sparse: ordinary settings-like lines, three in four with a variable or an {% if %};
#   dense:  100-byte lines, each with two variables (one filtered) and an {% if %}{% else %}.
[ "${ONLY:-}" = files ] && exit 0
large_mb=${LARGE_MB:-24}
large_runs=${LARGE_RUNS:-5}
django_admin=${DJANGO_ADMIN:-$(command -v django-admin || true)}
for shape in sparse dense; do
  rm -rf tpl-large && mkdir -p tpl-large/project_name
  python3 - "$large_mb" tpl-large/project_name/big.py-tpl "$shape" <<'PY'
import sys
mb, path, shape = int(sys.argv[1]), sys.argv[2], sys.argv[3]
if shape == "sparse":
    lines = [
        "# {{ project_name }}: settings line {n}\n",
        "SETTING_{n} = '{{ project_name }}.{{ docs_version }}'\n",
        "{% if secret_key %}KEY_{n} = '{{ secret_key|slice:\":8\" }}'{% endif %}\n",
        "VALUE_{n} = {n}  # an ordinary Python line with no template syntax at all\n",
    ]
else:
    lines = [
        "# {n} {{ project_name }} {{ docs_version|upper }} "
        "{% if secret_key %}on{% else %}off{% endif %} {pad}\n"
    ]
with open(path, "w") as f:
    size, n = 0, 0
    while size < mb * 1_000_000:
        line = lines[n % len(lines)].replace("{n}", str(n))
        line = line.replace("{pad}", "." * max(0, 100 - len(line) + len("{pad}")))
        f.write(line)
        size += len(line)
        n += 1
PY
  large_bytes=$(stat -c %s tpl-large/project_name/big.py-tpl)
  large_run() { rm -rf out; /usr/bin/time -f "%e %M" "$bin" startproject mysite out --template tpl-large -v 0 --secret-key k 2>&1 >/dev/null | tail -1; }
  large_run >/dev/null
  runs_out=$(for _ in $(seq "$large_runs"); do large_run; done)
  django_part=""
  dj_s=0
  if [ -n "$django_admin" ]; then
    rm -rf out && mkdir out
    read -r dj_s dj_rss < <(/usr/bin/time -f "%e %M" "$django_admin" startproject mysite out --template tpl-large 2>&1 >/dev/null | tail -1)
    django_part="; django-admin ${dj_s} s, ${dj_rss} KiB"
  fi
  rm -rf out
  python3 - "$shape" "$large_bytes" "$runs_out" "$django_part" "$dj_s" <<'PY'
import statistics, sys
shape, size, runs, django, dj_s = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
secs = statistics.median(float(r.split()[0]) for r in runs.splitlines())
rss = statistics.median(int(r.split()[1]) for r in runs.splitlines())
mb = size / 1e6
rate = mb / secs if secs else float("inf")
print(f"large {shape} file: {mb:.1f} MB rendered in {secs:.2f} s ({rate:.0f} MB/s, target >= 100), "
      f"peak RSS {rss/1024:.1f} MiB = {rss*1024/size:.2f}x the file (target <= 3x); "
      f"medians of {len(runs.splitlines())} runs{django}"
      + (f"; scaffold {dj_s/secs:.0f}x faster" if dj_s else ""))
PY
done
