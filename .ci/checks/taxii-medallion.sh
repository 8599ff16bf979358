#!/usr/bin/env bash
# `respack attack` over TAXII 2.1 against medallion, the OASIS reference TAXII 2.1 server:
# medallion serves the ICS v18.1 bundle (as STIX 2.1, small pages so paging is exercised),
# and the answer over TAXII must equal the answer from the same bundle read with --bundle.
# Needs $VENV (medallion installed), $RESPACK, $RESPACK_SHARED.
set -u
fail() { echo "taxii-medallion: FAIL: $*"; exit 1; }
[ -x "$VENV/bin/medallion" ] || fail "no medallion in \$VENV=$VENV"
[ -x "$RESPACK" ] || fail "no respack binary at \$RESPACK=$RESPACK"
BUNDLE=$RESPACK_SHARED/attack/ics-attack-18.1.json.gz
[ -f "$BUNDLE" ] || fail "missing $BUNDLE"

WORK=$(mktemp -d /tmp/respack-medallion.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# medallion's memory backend: one API root with one collection holding the bundle's objects
# (marked STIX 2.1, as MITRE's TAXII 2.1 server serves them) and their manifest entries.
"$VENV/bin/python" - "$BUNDLE" "$WORK" "$PORT" <<'PY' || fail "cannot write medallion's data file"
import gzip, json, sys
bundle, work, port = sys.argv[1], sys.argv[2], sys.argv[3]
objs = json.load(gzip.open(bundle))["objects"]
manifest = []
for o in objs:
    o["spec_version"] = "2.1"
    manifest.append({"id": o["id"], "date_added": "2025-11-13T00:00:00.000000Z",
                     "version": o.get("modified", o.get("created", "2025-11-13T00:00:00.000Z")),
                     "media_type": "application/stix+json;version=2.1"})
root = f"http://127.0.0.1:{port}/api1/"
data = {
    "/discovery": {"title": "respack CI", "description": "ICS ATT&CK v18.1", "contact": "ci",
                   "default": root, "api_roots": [root]},
    "api1": {
        "information": {"title": "ATT&CK", "description": "", "versions": ["application/taxii+json;version=2.1"],
                        "max_content_length": 100000000},
        "status": [],
        "collections": [{"id": "90c00720-636b-4485-b342-8751d232bf09", "title": "ICS ATT&CK", "description": "",
                         "can_read": True, "can_write": False,
                         "media_types": ["application/stix+json;version=2.1"],
                         "objects": objs, "manifest": manifest}],
    },
}
json.dump(data, open(f"{work}/data.json", "w"))
json.dump({"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                       "filename": f"{work}/data.json"},
           "users": {"ci": "ci-secret"}, "taxii": {"max_page_size": 500}},
          open(f"{work}/config.json", "w"))
PY

"$VENV/bin/medallion" --host 127.0.0.1 --port "$PORT" "$WORK/config.json" >"$WORK/medallion.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
  "$VENV/bin/python" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null && break
  sleep 0.1
done
kill -0 "$PID" 2>/dev/null || fail "medallion did not start: $(tail -3 "$WORK/medallion.log")"

export RESPACK_CACHE_DIR=$WORK/cache RESPACK_TAXII_PASSWORD=ci-secret
"$RESPACK" attack tactic "Command and Control,Inhibit Response Function" --format json \
  --bundle "$BUNDLE" --no-cache >"$WORK/bundle.json" 2>"$WORK/bundle.err" \
  || fail "--bundle answer failed: $(cat "$WORK/bundle.err")"
"$RESPACK" attack tactic "Command and Control,Inhibit Response Function" --format json --domain ics \
  --taxii "http://127.0.0.1:$PORT/taxii2/" --taxii-user ci >"$WORK/taxii.json" 2>"$WORK/taxii.err" \
  || fail "--taxii answer failed: $(cat "$WORK/taxii.err")"
cmp -s "$WORK/bundle.json" "$WORK/taxii.json" \
  || fail "TAXII and bundle answers differ: $(diff "$WORK/bundle.json" "$WORK/taxii.json" | head -5)"
pages=$(grep -c 'GET /api1/collections/[^ ]*/objects/' "$WORK/medallion.log" || true)
techs=$("$VENV/bin/python" -c "import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(t['techs']) for t in d['mitre_tactics']))" "$WORK/taxii.json")
[ "$techs" -gt 0 ] || fail "no techniques in the answer"
# The answer came over TAXII, in pages: medallion logged more than one object page.
[ "$pages" -ge 2 ] || fail "medallion logged $pages object pages (want at least 2 at page size 500): the TAXII answer did not come from it"
# Served from the index cache the second time: no new object requests.
"$RESPACK" attack technique T0869 --domain ics --taxii "http://127.0.0.1:$PORT/taxii2/" --taxii-user ci >/dev/null 2>"$WORK/second.err" \
  || fail "second lookup failed: $(cat "$WORK/second.err")"
pages2=$(grep -c 'GET /api1/collections/[^ ]*/objects/' "$WORK/medallion.log" || true)
[ "$pages2" = "$pages" ] || fail "second lookup downloaded again ($pages → $pages2 object requests)"
echo "taxii-medallion: TAXII 2.1 answer equals --bundle answer ($techs techniques over $pages object pages from medallion); cache reused"
