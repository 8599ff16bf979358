#!/usr/bin/env bash
# Unpack + build benchmark (docs/PERFORMANCE.md, "Unpack and build"): the 3.2 MB org export
# unpacked into a source directory and built back to the .res, each step a whole process, side by
# side with Python's json.load + json.dump (indent=2, sort_keys) of the same file, as
# ../shared/acceptance/perf-unpack measures it.
#
#   bench/unpack.sh            # N=5 runs per case after one warm-up; RESPACK_SHARED defaults to ../shared
#   TMPDIR=/dev/shm bench/unpack.sh   # the same in memory: creating a file on this VM's ext4 costs ~1 ms of kernel time
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${RESPACK_SHARED:-$(cd .. && pwd)/shared}
F=$SHARED/corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json
[ -f "$F" ] || { echo "no export at $F (set RESPACK_SHARED)"; exit 2; }
N=${N:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/respack-bench.XXXXXX")   # TMPDIR=/dev/shm: without the disk
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q
R=$PWD/target/release/respack

measure() {
  local label=$1; shift
  python3 - "$N" "$label" "$@" <<'PY'
import resource, statistics, subprocess, sys, time
n, label, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
times = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"| {label:<44} | {statistics.median(times) * 1000:7.1f} ms | {peak / 1024:4.0f} MiB |")
PY
}

cat >"$WORK/unpack.sh" <<SH
rm -rf "$WORK/src" && exec "$R" unpack "$F" --out "$WORK/src"
SH
cat >"$WORK/build.sh" <<SH
rm -rf "$WORK/out" && exec "$R" build "$WORK/src" --out "$WORK/out"
SH
cat >"$WORK/both.sh" <<SH
rm -rf "$WORK/src" "$WORK/out" && "$R" unpack "$F" --out "$WORK/src" && exec "$R" build "$WORK/src" --out "$WORK/out"
SH

echo "file: $F ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)); N=$N runs per case, median wall, max peak RSS so far"
echo "| case | wall | peak RSS |"
echo "|---|---:|---:|"
measure "respack unpack" bash "$WORK/unpack.sh"
bash "$WORK/unpack.sh" >/dev/null
echo "| (source: $(find "$WORK/src" -type f | wc -l) files) | | |"
measure "respack build SRC" bash "$WORK/build.sh"
measure "respack unpack + build" bash "$WORK/both.sh"
measure "respack fmt (for scale)" "$R" fmt "$F" -o "$WORK/fmt.res"
measure "python3 json.load + json.dump" python3 -c \
  "import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[2],'w'), indent=2, sort_keys=True)" \
  "$F" "$WORK/py.json"

echo
echo "acceptance (../shared/acceptance/perf-unpack):"
if [ -f "$SHARED/acceptance/perf-unpack" ]; then
  RESPACK_SHARED=$SHARED bash "$SHARED/acceptance/perf-unpack" || true
fi
