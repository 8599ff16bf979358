#!/usr/bin/env bash
# `respack diff --package` of a package of ~300 objects against an org of ~1,500, as a whole
# process against `respack serve` (issue 8: under 0.5 s on an idle 2-core machine).
#
# Everything is generated here from ../shared, nothing is copied into the repository:
# - the package: the three community integration exports merged (~140 objects), plus renamed
#   copies of their incident fields and scripts, to 300 objects;
# - the org: `respack serve` holding the 3.2 MB real export of ../shared/corpus/res/api/ and an
#   older version of the package (10 of its scripts with other text), so the diff has updates
#   with text diffs as well as unchanged objects.
#
#   bench/diff-large.sh              # release build, 5 runs after a warm-up, median wall time
#   RUNS=10 bench/diff-large.sh
#   RESPACK=target/debug/respack bench/diff-large.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SHARED=${RESPACK_SHARED:-$(cd .. && pwd)/shared}
BIG=$SHARED/corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json
COMMUNITY=$SHARED/corpus/res/community
[ -s "$BIG" ] && [ -d "$COMMUNITY" ] || { echo "no corpus under $SHARED (set RESPACK_SHARED)"; exit 2; }
if [ -z "${RESPACK:-}" ]; then
  cargo build --release --quiet
  RESPACK=$(pwd)/target/release/respack
fi
d=$(mktemp -d /tmp/respack-bench-diff.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT

python3 - "$COMMUNITY" "$BIG" "$d" <<'PY'
import copy, glob, json, os, sys, uuid
community, big, out = sys.argv[1:4]
INTERNAL = {"bfeec2d4-3770-11e8-ad39-4a0004044aa0", "bfeec2d4-3770-11e8-ad39-4a0004044aa1"}
KEYS = ("programmatic_name", "export_key", "type_name", "name")
def key(o): return next((o[k] for k in KEYS if o.get(k)), None)
def objects(res): return sum(len(v) for v in res.values() if isinstance(v, list) and v and isinstance(v[0], dict))

pkg = None
for f in sorted(glob.glob(os.path.join(community, "*.res"))):
    res = json.load(open(f))
    if pkg is None:
        pkg = res
        continue
    for k, v in res.items():
        if isinstance(v, list) and v and isinstance(v[0], dict):
            have = {key(o) for o in pkg.get(k) or []}
            pkg.setdefault(k, []).extend(o for o in v if key(o) not in have)
ns = uuid.UUID("6f1c1d7e-0000-4000-8000-000000000bec")
incident_fields = [f for f in pkg["fields"] if f["export_key"].startswith("incident/") and f["uuid"] not in INTERNAL]
scripts = pkg["scripts"]
i = 0
while objects(pkg) - 2 < 300:  # the internal incident type and field are not the package's
    i += 1
    f = copy.deepcopy(incident_fields[i % len(incident_fields)])
    f.pop("id", None)
    f["name"] = "bench_field_%03d" % i
    f["export_key"] = "incident/" + f["name"]
    f["uuid"] = str(uuid.uuid5(ns, f["export_key"]))
    pkg["fields"].append(f)
    s = copy.deepcopy(scripts[i % len(scripts)])
    s.pop("id", None)
    s["name"] = s["export_key"] = s["programmatic_name"] = "bench_script_%03d" % i
    s["uuid"] = str(uuid.uuid5(ns, "script/" + s["name"]))
    pkg["scripts"].append(s)
json.dump(pkg, open(os.path.join(out, "pkg.res"), "w"))
old = copy.deepcopy(pkg)
for s in old["scripts"][-10:]:
    s["script_text"] = s.get("script_text", "") + "\n# an older version of this script\n"
json.dump(old, open(os.path.join(out, "pkg-old.res"), "w"))
org = json.load(open(big))
# Its incident/qradar_id has another uuid than the integrations' one: the org would refuse both.
org["fields"] = [f for f in org.get("fields") or [] if f.get("export_key") != "incident/qradar_id"]
# Filler fields of the org's own, so that with the package it holds at least 1,500 objects.
template = next(f for f in org["fields"] if f["export_key"].startswith("incident/") and f["uuid"] not in INTERNAL)
j = 0
while objects(org) + objects(pkg) - 2 < 1500:
    j += 1
    f = copy.deepcopy(template)
    f.pop("id", None)
    f["name"] = "bench_org_field_%03d" % j
    f["export_key"] = "incident/" + f["name"]
    f["uuid"] = str(uuid.uuid5(ns, f["export_key"]))
    org["fields"].append(f)
json.dump(org, open(os.path.join(out, "org.res"), "w"))
print("package: %d objects; org: %d objects of its own (%d filler fields), %d with the package"
      % (objects(pkg) - 2, objects(org), j, objects(org) + objects(pkg) - 2))
PY

"$RESPACK" serve --listen 127.0.0.1:0 --db "$d/org.db" --write-config "$d/app.config" >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$d/app.config" ] && break; sleep 0.1; done
[ -s "$d/app.config" ] || { echo "serve did not start: $(tail -2 "$d/serve.log")"; exit 2; }
for f in org pkg-old; do
  "$RESPACK" install --package "$d/$f.res" --config "$d/app.config" --yes --force --backup-dir "$d/bk" >"$d/$f.out" 2>&1 \
    || { echo "seeding $f failed: $(grep -i error "$d/$f.out" | head -2)"; exit 2; }
done
"$RESPACK" diff --package "$d/pkg.res" --config "$d/app.config" --format json >"$d/plan.json"
python3 - "$d/plan.json" <<'PY'
import collections, json, sys
plan = json.load(open(sys.argv[1]))
acts = collections.Counter(c["action"] for c in plan["changes"])
print("plan: %d objects (%s)" % (len(plan["changes"]), ", ".join("%s %d" % kv for kv in sorted(acts.items()))))
PY
echo "respack diff makes $(RESPACK_REPORT_CALLS=1 "$RESPACK" diff --package "$d/pkg.res" --config "$d/app.config" 2>&1 >/dev/null | sed -n 's/^respack: \([0-9]*\) HTTP calls$/\1/p') HTTP calls"

python3 - "$RUNS" "$RESPACK" diff --package "$d/pkg.res" --config "$d/app.config" <<'PY'
import statistics, subprocess, sys, time
n, cmd = int(sys.argv[1]), sys.argv[2:]
subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ts = []
for _ in range(n):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ts.append(time.perf_counter() - t)
print("respack diff --package: median %.3f s of %d runs (min %.3f, max %.3f); target 0.5 s"
      % (statistics.median(ts), n, min(ts), max(ts)))
PY
