#!/usr/bin/env bash
# IBM's own REST client (`resilient`, the library resilient-circuits and resilient-sdk use) against
# `respack serve`: API-key session, list functions, two-phase import (POST + PUT ACCEPTED),
# export, incident, data table row written and read back. The best evidence that the reference
# org speaks SOAR's protocol. Needs $RESPACK (the binary) and $VENV (with `resilient`).
set -u
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with resilient}"
d=$(mktemp -d /tmp/respack-ibm-client.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "ibm-client: FAIL: $*"; exit 1; }

# The file to import: the package exactly as `respack build` makes it. A failed build fails
# the check: falling back to another file would hide it.
"$RESPACK" build --out "$d/dist" >"$d/build.log" 2>&1 || fail "respack build failed: $(tail -3 "$d/build.log")"
res=$d/dist/qraw_mitre.res
[ -s "$res" ] || fail "respack build wrote no $res"

"$RESPACK" serve --listen 127.0.0.1:0 --db "$d/org.db" --write-config "$d/app.config" >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$d/app.config" ] && break; sleep 0.1; done
[ -s "$d/app.config" ] || fail "serve wrote no app.config: $(tail -2 "$d/serve.log")"

"$VENV/bin/python" - "$d/app.config" "$res" <<'PY' || exit 1
import configparser, json, sys, time, logging
logging.disable(logging.WARNING)
import resilient

cfg = configparser.ConfigParser(); cfg.read(sys.argv[1]); r = cfg["resilient"]
opts = {k: r[k] for k in ("host", "port", "org", "api_key_id", "api_key_secret", "cafile")}
client = resilient.get_client(opts)   # GET /rest/session with the key, then GET /rest/orgs/{id}
assert client.org_id and client.api_key_handle is not None, "no org id or api_key_handle from the session"
version = client.get_const()["server_version"]["version"]
before = client.get("/functions")["entities"]

res = json.load(open(sys.argv[2]))
dto = client.post("/configurations/imports", res)
assert dto["status"] == "PENDING", "import not PENDING: %r" % dto.get("status")
dto["status"] = "ACCEPTED"
done = client.put("/configurations/imports/%s" % dto["id"], dto)
assert done["status"] == "ACCEPTED", "import not ACCEPTED: %r" % done.get("status")

exp = client.post("/configurations/exports/", {"layouts": True, "actions": True, "phases_and_tasks": True})
want = {f["export_key"] for f in res.get("functions") or []}
have = {f["export_key"] for f in exp["functions"]}
assert want <= have, "export lacks imported functions %s" % sorted(want - have)
after = client.get("/functions")["entities"]

fields = {f["name"] for f in client.get("/types/incident/fields")}
props = {"qradar_id": "23"} if "qradar_id" in fields else {}
inc = client.post("/incidents", {"name": "ibm-client check", "discovered_date": int(time.time() * 1000), "properties": props})
table = sorted(exp["types"], key=lambda t: t["type_name"])[0]
col = sorted(table["fields"])[0]
client.post("/incidents/%s/table_data/%s/row_data" % (inc["id"], table["type_name"]), {"cells": {col: {"value": "from IBM's client"}}})
rows = client.get("/incidents/%s/table_data/%s?handle_format=names" % (inc["id"], table["type_name"]))["rows"]
assert [row["cells"][col]["value"] for row in rows] == ["from IBM's client"], "row not read back: %r" % rows
print("ibm-client: resilient %s talked to respack serve (SOAR %s): session, %d -> %d functions, import %s ACCEPTED, export, incident %s, row in %s read back"
      % (resilient.__version__ if hasattr(resilient, "__version__") else "client", version, len(before), len(after),
         sys.argv[2].rsplit("/", 1)[-1], inc["id"], table["type_name"]))
PY
