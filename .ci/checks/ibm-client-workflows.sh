#!/usr/bin/env bash
# IBM's own REST client (`resilient`) drives the package's workflows on `respack serve`: the
# app.config serve writes points the integrations at its emulated QRadar; the client imports the
# built package, creates the incident for offense 23, invokes the rule "QRadar Advisor Offense
# Analysis with MITRE" (POST action_invocations), then the artifact 192.168.0.155 through "Find
# All QRadar Reference Sets" and "Map rule to MITRE tactic", and reads the rows back.
# Needs $RESPACK, $VENV (with `resilient`) and $RESPACK_SHARED (the ATT&CK v4.0 bundle).
set -u
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with resilient}"
: "${RESPACK_SHARED:?set RESPACK_SHARED to the shared folder}"
d=$(mktemp -d /tmp/respack-ibm-workflows.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "ibm-client-workflows: FAIL: $*"; exit 1; }

"$RESPACK" build --out "$d/dist" >"$d/build.log" 2>&1 || fail "respack build: $(tail -2 "$d/build.log")"
"$RESPACK" serve --listen 127.0.0.1:0 --db "$d/org.db" --write-config "$d/app.config" --seed-integrations \
  --bundle "$RESPACK_SHARED/attack/enterprise-attack-4.0.json.gz" >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$d/app.config" ] && break; sleep 0.1; done
[ -s "$d/app.config" ] || fail "serve wrote no app.config: $(tail -2 "$d/serve.log")"
grep -q '^\[fn_qradar_advisor\]' "$d/app.config" || fail "app.config has no [fn_qradar_advisor] section"

"$VENV/bin/python" - "$d/app.config" "$d/dist/qraw_mitre.res" <<'PY' || exit 1
import configparser, json, sys, time, logging
logging.disable(logging.WARNING)
import resilient

cfg = configparser.ConfigParser(); cfg.read(sys.argv[1]); r = cfg["resilient"]
client = resilient.get_client({k: r[k] for k in ("host", "port", "org", "api_key_id", "api_key_secret", "cafile")})
dto = client.post("/configurations/imports", json.load(open(sys.argv[2])))
dto["status"] = "ACCEPTED"
assert client.put("/configurations/imports/%s" % dto["id"], dto)["status"] == "ACCEPTED"

def cells(inc, table):
    rows = client.get("/incidents/%s/table_data/%s?handle_format=names" % (inc, table))["rows"]
    return [{k: v["value"] for k, v in row["cells"].items()} for row in rows], [row["id"] for row in rows]

def invoke(inc, body):
    answer = client.post("/incidents/%s/action_invocations" % inc, body)
    for wf in answer["workflows"]:
        assert wf["status"] == "completed", "%s: %s" % (wf["workflow"], wf["error"])
    return answer

inc = client.post("/incidents", {"name": "QRadar offense 23", "discovered_date": int(time.time() * 1000),
                                 "properties": {"qradar_id": "23"}})["id"]
invoke(inc, {"action_id": "QRadar Advisor Offense Analysis with MITRE", "properties": {}})
tactics, _ = cells(inc, "mitre_attack_of_incident")
assert [(t["attack_tactic"], t["tactic_code"], t["confidence"]) for t in tactics] == [("Command and Control", "TA0011", "60")], tactics
techniques, _ = cells(inc, "mitre_attack_techniques")
assert "Port Knocking" in [t["technique_name"] for t in techniques], techniques

artifact = client.post("/incidents/%s/artifacts" % inc, {"type": "IP Address", "value": "192.168.0.155"})
invoke(inc, {"action_id": "Find All QRadar Reference Sets", "artifact_id": artifact["id"], "properties": {}})
sets, ids = cells(inc, "qradar_reference_set")
assert [s["source"] for s in sets] == ["RF Risklist Source Log"], sets
invoke(inc, {"action_id": "Map rule to MITRE tactic", "row_id": ids[0], "properties": {}})
mapped, _ = cells(inc, "mitre_attack_of_artifact")
assert [(m["artifact"], m["attack_tactic"], m["tactic_code"], m["confidence"]) for m in mapped] == \
    [("192.168.0.155", "Initial Access", "TA0001", "low")], mapped
print("ibm-client-workflows: IBM's client ran both README stories on respack serve: "
      "Command and Control (TA0011, 60) with %d techniques; 192.168.0.155 -> RF Risklist Source Log -> Initial Access (TA0001, low)"
      % len(techniques))
PY
