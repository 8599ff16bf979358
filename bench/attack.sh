#!/usr/bin/env bash
# ATT&CK lookup benchmark (docs/PERFORMANCE.md, "ATT&CK lookup"): MITRE Tactic Information for
# "Command and Control" with its techniques and mitigations from the v18.1 enterprise bundle,
# each run a whole process, side by side in one run:
#   respack cold (no index cache), respack with the index cache, respack with no source at all
#   (the ATT&CK 18.1 snapshot built into the binary, empty cache folder),
#   plain Python json (the script of ../shared/acceptance/perf-attack),
#   mitreattack-python 6.3.1 (MitreAttackData, get_techniques_by_tactic, mitigations).
# Then the in-process query time (cargo bench --bench attack_query).
#
#   bench/attack.sh            # N=5 runs per case after one warm-up; RESPACK_SHARED defaults to ../shared
#   SKIP_MITREATTACK=1 bench/attack.sh   # without the (slow, 6 s per run) mitreattack-python case
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${RESPACK_SHARED:-$(cd .. && pwd)/shared}
B=$SHARED/attack/enterprise-attack-18.1.json.gz
[ -f "$B" ] || { echo "no bundle at $B (set RESPACK_SHARED)"; exit 2; }
N=${N:-5}
WORK=$(mktemp -d /tmp/respack-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

cargo build --release -q
R=$PWD/target/release/respack

# mitreattack-python reads plain JSON only (stix2 MemoryStore), as the product owner measured it.
gunzip -c "$B" >"$WORK/enterprise-attack-18.1.json"

cat >"$WORK/plain.py" <<'PY'
import gzip, json, sys
objs = json.load(gzip.open(sys.argv[1]))["objects"]
live = lambda o: not o.get("revoked") and not o.get("x_mitre_deprecated")
tac = next(o for o in objs if o["type"] == "x-mitre-tactic" and o["name"] == "Command and Control")
ph = tac["x_mitre_shortname"]
techs = [o for o in objs if o["type"] == "attack-pattern" and live(o) and any(k.get("phase_name") == ph for k in o.get("kill_chain_phases", []))]
ids = {t["id"] for t in techs}
mit = [o for o in objs if o["type"] == "relationship" and o.get("relationship_type") == "mitigates" and o["target_ref"] in ids]
print(len(techs), len(mit))
PY

cat >"$WORK/with_mitreattack.py" <<'PY'
import sys
from mitreattack.stix20 import MitreAttackData
d = MitreAttackData(stix_filepath=sys.argv[1])
techs = d.get_techniques_by_tactic("command-and-control", "enterprise-attack", remove_revoked_deprecated=True)
links = sum(len(d.get_mitigations_mitigating_technique(t.id)) for t in techs)
print(len(techs), links)
PY

# Median wall time over N runs after one warm-up, and the largest peak RSS of those runs
# (ru_maxrss of each child process, as /usr/bin/time -v reports it).
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
shown = f"{wall * 1000:.1f} ms" if wall < 1 else f"{wall:.2f} s"
print(f"| {label:<44} | {shown:>9} | {peak / 1024:6.0f} MiB |")
PY
}

echo "bundle: $B ($(nproc) CPUs, $(uname -m)); N=$N runs per case, median wall, max peak RSS"
echo "| case | wall | peak RSS |"
echo "|---|---:|---:|"
export RESPACK_CACHE_DIR=$WORK/cache
measure "respack, cold (--no-cache)" "$R" attack tactic "Command and Control" --bundle "$B" --format json --no-cache
measure "respack, index cache" "$R" attack tactic "Command and Control" --bundle "$B" --format json
mkdir -p "$WORK/empty-cache"
RESPACK_CACHE_DIR=$WORK/empty-cache measure "respack, no source: the built-in snapshot" "$R" attack tactic "Command and Control" --format json
measure "plain Python json" python3 "$WORK/plain.py" "$B"
if [ -z "${SKIP_MITREATTACK:-}" ]; then
  VENV=${BENCH_VENV:-/tmp/respack-bench-venv}
  if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import mitreattack' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q mitreattack-python==6.3.1 >"$WORK/pip.log" 2>&1 \
      || { tail -5 "$WORK/pip.log"; echo "pip install mitreattack-python failed"; exit 1; }
  fi
  measure "mitreattack-python 6.3.1 (plain .json)" "$VENV/bin/python" "$WORK/with_mitreattack.py" "$WORK/enterprise-attack-18.1.json"
fi
echo
echo "In-process (the index already open, as the workflow engine holds it):"
RESPACK_SHARED=$SHARED cargo bench -q --bench attack_query 2>/dev/null | grep -v '^$'
