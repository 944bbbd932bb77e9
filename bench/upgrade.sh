#!/usr/bin/env bash
# Benchmark: `scaffold upgrade --to 6.1 --write` of a generated Django 5.2 project whose
# settings.py is grown to the 2 MiB limit that upgrade merges, in four shapes:
#   settings  realistic settings (caches, feature flags, hosts, loggers) with their comments
#   comments  the same with long runs of comment lines (RUN lines each, default 20,000)
#   nesting   the same with one value nested DEPTH brackets deep (default 50,000)
#   statements  the same with STATEMENTS statements on one line (`a=1;`, default 80,000)
# Prints, per case, the median wall time of RUNS runs (hyperfine when installed, else a loop
# under GNU time) and the peak memory (max RSS, GNU time %M), against the target: each case in
# at most 2 s and 200 MiB, or refused sooner with a clear error. Every run is stopped after CAP
# seconds of CPU (default 60) so that the bench cannot hang; a case whose first run is stopped
# or crashes is not repeated. Needs GNU time and prlimit (Debian: apt-get install -y time
# util-linux hyperfine) and python3.
#
#   bench/upgrade.sh     # SIZE=2097152 RUNS=5 CAP=60 RUN=20000 DEPTH=50000 STATEMENTS=80000
#   CASES="settings nesting" bench/upgrade.sh
set -euo pipefail
cd "$(dirname "$0")/.."
size=${SIZE:-2097152}
runs=${RUNS:-5}
cap=${CAP:-60}
run_lines=${RUN:-20000}
depth=${DEPTH:-50000}
statements=${STATEMENTS:-80000}
cases=${CASES:-settings comments nesting statements}
target=${CARGO_TARGET_DIR:-target}
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

cargo build --release --quiet
bin=$(cd "$target" && pwd)/release/scaffold
work=$(mktemp -d -p "${WORKDIR:-${TMPDIR:-/tmp}}")
trap 'rm -rf "$work"' EXIT
cd "$work"

# A 5.2 project per case, its settings.py grown to just under SIZE bytes.
grow() {
  python3 - "$1" "$2" "$size" "$run_lines" "$depth" "$statements" <<'PY'
import sys
shape, path, size, run_lines, depth, statements = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
text = open(path).read() + "\nimport os\n"

def setting(i):
    k = i % 5
    if k == 0:
        return (f"\n# Cache for the reports service, shard {i}.\n"
                f"# Short-lived: the reports change every few minutes.\n"
                f"CACHE_REPORTS_{i} = {{\n"
                f"    'BACKEND': 'django.core.cache.backends.redis.RedisCache',\n"
                f"    'LOCATION': 'redis://cache-{i}.internal:6379/1',\n"
                f"    'TIMEOUT': {300 + i % 600},\n"
                f"    'OPTIONS': {{'db': {i % 16}}},\n"
                f"}}\n")
    if k == 1:
        return f"FEATURE_FLAG_{i} = os.environ.get('FEATURE_FLAG_{i}', 'off') == 'on'  # OPS-{i}\n"
    if k == 2:
        return f"ALLOWED_HOSTS += ['app-{i}.example.com', 'app-{i}.example.org']\n"
    if k == 3:
        return (f"LOGGER_{i} = {{\n    'handlers': ['console'],\n    'level': os.getenv('LOG_LEVEL_{i}', 'INFO'),\n"
                f"    'propagate': {i % 2 == 0},\n}}\n")
    return f"RATE_LIMIT_{i} = ({i % 100}, 'minute')  # per client, see the API docs\n"

def comments(i):
    lines = [f"# {i}.{j}: kept as it is for the audit of release {j % 40}.\n" for j in range(run_lines)]
    return "\n" + "".join(lines)

parts, i = [], 0
if shape == "nesting":
    parts.append("\nNESTED = " + "[" * depth + "]" * depth + "\n")
if shape == "statements":
    parts.append("\n" + "a=1;" * statements + "\n")
used = len(text) + len(parts[0]) if parts else len(text)
while True:
    run = shape == "comments" and i % 50 == 0
    block = comments(i) if run else setting(i)
    if used + len(block) > size:
        if run:  # a comment run that does not fit: settings to the end
            i += 1
            continue
        break
    parts.append(block)
    used += len(block)
    i += 1
open(path, "w").write(text + "".join(parts))
PY
}
for shape in $cases; do
  mkdir "$shape"
  (cd "$shape" && "$bin" startproject mysite --django 5.2 --secret-key k -v 0)
  grow "$shape" "$shape/mysite/mysite/settings.py"
  printf '%s: settings.py %s bytes, %s lines\n' "$shape" \
    "$(wc -c <"$shape/mysite/mysite/settings.py")" "$(wc -l <"$shape/mysite/mysite/settings.py")"
done

# One run of CASE on a fresh copy, under GNU time: "seconds KiB exit". The cap is on CPU time
# (prlimit: SIGXCPU, then SIGKILL a second later), so that GNU time still reaps scaffold itself
# and reports its peak memory; `timeout` is only the net for a run that hangs without working.
cmd="prlimit --cpu=$cap:$((cap + 1)) $bin upgrade --to 6.1 --write run/mysite"
once() {
  rm -rf run && cp -a "$1" run
  timeout -s KILL $((cap * 2 + 10)) /usr/bin/time -f '%e %M %x' -o time.txt $cmd >/dev/null 2>stderr.txt || true
  tail -1 time.txt
}

echo
echo "| case | median | peak RSS | exit | runs |"
echo "|---|---|---|---|---|"
for shape in $cases; do
  read -r secs kib code < <(once "$shape")
  # GNU time says "Command terminated by signal N" on the line before when killed.
  if grep -q 'terminated by signal' time.txt; then
    code="signal $(grep -o 'signal [0-9]*' time.txt | cut -d' ' -f2)"
  fi
  if [ "$code" != 0 ] && [ "$code" != 3 ]; then
    why=$(grep -m1 . stderr.txt || true) took="${secs} s (first run, failed)"
    case $code in "signal 24" | "signal 9") why="stopped at the ${cap} s CPU cap" took="> ${secs} s" ;; esac
    echo "| $shape | $took | $((kib / 1024)) MiB | $code: ${why:-no message} | 1 |"
    continue
  fi
  if command -v hyperfine >/dev/null; then
    hyperfine --style basic --runs "$runs" --ignore-failure --export-json "$shape.json" \
      --prepare "rm -rf run && cp -a $shape run" "$cmd" >/dev/null
    median=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["results"][0]["median"])' "$shape.json")
  else
    times=("$secs")
    for _ in $(seq 2 "$runs"); do read -r s _ _ < <(once "$shape"); times+=("$s"); done
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
  fi
  echo "| $shape | ${median} s | $((kib / 1024)) MiB | $code | $runs |"
done
echo
echo "target: each case at most 2 s and 200 MiB, or refused sooner with a clear error"
