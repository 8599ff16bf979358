#!/usr/bin/env bash
# Benchmark of check / diff / install / uninstall against the reference org: HTTP calls and wall
# time of each command, on a small org (`respack serve --seed-integrations`) and on the same org
# also holding the 3.2 MB export of ../shared/corpus/res/api/ (hundreds of objects). Every
# command must make the same number of calls on both.
#
#   bench/ops.sh            # release build, 5 runs per command, median wall time
#   RUNS=1 bench/ops.sh
#
# Prints a Markdown table for docs/PERFORMANCE.md. Needs python3 (to seed the big org).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
SHARED=${RESPACK_SHARED:-$(cd .. && pwd)/shared}
BIG=$SHARED/corpus/res/api/sdk_api_post_configurations_exports_with_playbooks.json
[ -s "$BIG" ] || { echo "no $BIG (set RESPACK_SHARED)"; exit 2; }
if [ -z "${RESPACK:-}" ]; then
  cargo build --release --quiet
  RESPACK=$(pwd)/target/release/respack
fi
d=$(mktemp -d /tmp/respack-bench-ops.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT

start() {  # start NAME: a fresh seeded org in $d/NAME
  mkdir -p "$d/$1"
  "$RESPACK" serve --listen 127.0.0.1:0 --db "$d/$1/org.db" --write-config "$d/$1/app.config" --seed-integrations >"$d/$1/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$d/$1/app.config" ] && break; sleep 0.1; done
  [ -s "$d/$1/app.config" ] || { echo "serve did not start"; exit 2; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

seed_big() {  # import the big export into the org of $1 (POST + PUT ACCEPTED)
  python3 - "$d/$1/app.config" "$BIG" <<'PY'
import base64, configparser, json, ssl, sys, urllib.request
cfg = configparser.ConfigParser(); cfg.read(sys.argv[1]); r = cfg["resilient"]
ctx = ssl.create_default_context(cafile=r["cafile"])
base = "https://%s:%s" % (r["host"], r["port"])
auth = base64.b64encode(("%s:%s" % (r["api_key_id"], r["api_key_secret"])).encode()).decode()
def call(m, p, body=None):
    q = urllib.request.Request(base + p, data=json.dumps(body).encode() if body is not None else None, method=m,
                               headers={"Authorization": "Basic " + auth, "Content-Type": "application/json"})
    with urllib.request.urlopen(q, timeout=120, context=ctx) as resp:
        return json.loads(resp.read() or b"null")
org = next(o for o in call("GET", "/rest/session")["orgs"] if o["name"] == r["org"])["id"]
big = json.load(open(sys.argv[2]))
# Its own incident/qradar_id has another uuid than the seeded integrations' one; the reference
# org (like SOAR) refuses such an import, so that one field is left out.
big["fields"] = [f for f in big.get("fields") or [] if f.get("export_key") != "incident/qradar_id"]
dto = call("POST", "/rest/orgs/%s/configurations/imports" % org, big)
dto["status"] = "ACCEPTED"
call("PUT", "/rest/orgs/%s/configurations/imports/%s" % (org, dto["id"]), dto)
exp = call("POST", "/rest/orgs/%s/configurations/exports/" % org, {"layouts": True, "actions": True, "phases_and_tasks": True})
print(sum(len(v) for v in exp.values() if isinstance(v, list)))
PY
}

run() {  # run ORG CMD...: prints "calls millis"
  local org=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  RESPACK_REPORT_CALLS=1 "$RESPACK" "$@" --config "$d/$org/app.config" >"$d/out" 2>"$d/err" || true
  t1=$(date +%s%N)
  local calls
  calls=$(sed -n 's/^respack: \([0-9]*\) HTTP calls$/\1/p' "$d/err" | tail -1)
  echo "${calls:-?} $(( (t1 - t0) / 1000000 ))"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A CALLS MS
objects=()
for org in small big; do
  start "$org"
  if [ "$org" = big ]; then objects+=("$(seed_big big)"); else objects+=("seeded integrations only"); fi
  for cmd in check diff install uninstall; do
    times=()
    for _ in $(seq 1 "$RUNS"); do
      case $cmd in
        install) r=$(run "$org" install --yes --backup-dir "$d/$org/bk") ;;
        uninstall)
          run "$org" install --yes --backup-dir "$d/$org/bk" >/dev/null
          r=$(run "$org" uninstall --yes --backup-dir "$d/$org/bk") ;;
        *) r=$(run "$org" "$cmd") ;;
      esac
      CALLS[$org.$cmd]=${r% *}
      times+=("${r#* }")
      # install is measured from a clean org each time: undo it.
      [ "$cmd" = install ] && run "$org" uninstall --yes --backup-dir "$d/$org/bk" >/dev/null
    done
    MS[$org.$cmd]=$(printf '%s\n' "${times[@]}" | median)
  done
  stop
done

echo "| command | calls (small org) | calls (big org) | wall ms (small) | wall ms (big) |"
echo "|---|---|---|---|---|"
for cmd in check diff install uninstall; do
  echo "| \`respack $cmd\` | ${CALLS[small.$cmd]} | ${CALLS[big.$cmd]} | ${MS[small.$cmd]} | ${MS[big.$cmd]} |"
done
echo
echo "small org: ${objects[0]}; big org: ${objects[1]} objects in its export; median of $RUNS runs; $(uname -m), $(nproc) cores"
