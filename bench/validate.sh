#!/usr/bin/env bash
# Validate benchmark (docs/PERFORMANCE.md, "Validate"): `respack validate` on the real 3.2 MB org
# export (126 functions, 101 workflows, 142 rules, 5 playbooks), each run a whole process, side
# by side in one run:
#   respack validate (Python syntax verdicts cached, as after any first run),
#   respack validate with no usable cache (python3 compiles the 40 Python 3 scripts every run),
#   python3's bare json.load of the file (what ../shared/acceptance/perf-validate compares with),
#   resilient-sdk list -e on the file (IBM's tool reading the same export).
#
#   bench/validate.sh          # N=5 runs per case after one warm-up; RESPACK_SHARED defaults to ../shared
#   SKIP_SDK=1 bench/validate.sh   # without the resilient-sdk case (needs PyPI the first time)
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${RESPACK_SHARED:-$(cd .. && pwd)/shared}
F=$SHARED/corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json
[ -f "$F" ] || { echo "no export at $F (set RESPACK_SHARED)"; exit 2; }
N=${N:-5}
WORK=$(mktemp -d /tmp/respack-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q
R=$PWD/target/release/respack

# Median wall time over N runs after one warm-up, and the largest peak RSS of those runs
# (ru_maxrss of each child, as `/usr/bin/time -f %M` reports it). Exit 1 from validate (findings)
# would be a failure here: the file validates without errors.
measure() {
  local label=$1; shift
  python3 - "$N" "$label" "$@" <<'PY'
import os, statistics, subprocess, sys, time
n, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
warm = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
if warm.returncode != 0:
    sys.exit(f"{label}: command failed ({warm.returncode}): {warm.stderr.decode()[-500:]}")
times, peak = [], 0
for _ in range(n):
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    times.append(time.perf_counter() - t)
    peak = max(peak, ru.ru_maxrss)
wall = statistics.median(times)
print(f"| {label:<52} | {wall * 1000:7.1f} ms | {peak / 1024:4.0f} MiB |")
PY
}

echo "file: $F ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); N=$N runs per case, median wall, max peak RSS"
echo "| case | wall | peak RSS |"
echo "|---|---:|---:|"
RESPACK_CACHE_DIR=$WORK/cache measure "respack validate (syntax verdicts cached)" "$R" validate "$F"
# A cache directory under a regular file cannot be created: every run compiles with python3.
touch "$WORK/file"
RESPACK_CACHE_DIR=$WORK/file/cache measure "respack validate (no cache: python3 compiles)" "$R" validate "$F"
measure "python3 json.load" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$F"
if [ -z "${SKIP_SDK:-}" ]; then
  VENV=${BENCH_SDK_VENV:-/tmp/respack-bench-venv-sdk}
  if [ ! -x "$VENV/bin/resilient-sdk" ]; then
    python3 -m venv "$VENV" >/dev/null
    "$VENV/bin/pip" install -q --disable-pip-version-check resilient-sdk >"$WORK/pip.log" 2>&1 \
      || { tail -5 "$WORK/pip.log"; echo "pip install resilient-sdk failed"; exit 1; }
  fi
  (cd "$WORK" && measure "resilient-sdk list -e ($("$VENV/bin/pip" show resilient-sdk 2>/dev/null | sed -n 's/^Version: //p'))" \
    "$VENV/bin/resilient-sdk" list -e "$F")
fi

# The product owner's check: median of 5 after a warm-up, against python json.load.
echo
echo "acceptance (../shared/acceptance/perf-validate):"
if [ -x "$SHARED/acceptance/perf-validate" ]; then
  RESPACK_SHARED=$SHARED bash "$SHARED/acceptance/perf-validate" || true
fi
