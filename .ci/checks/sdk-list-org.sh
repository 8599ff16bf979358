#!/usr/bin/env bash
# IBM's resilient-sdk reads the reference org after `respack install`: `resilient-sdk list -c
# app.config --rule --workflow` against `respack serve --seed-integrations` must show the
# package's two rules and two workflows, next to the integrations' own. Evidence that what
# respack installs is what SOAR's own tooling sees. Needs $RESPACK and $VENV (with resilient-sdk).
set -u
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with resilient-sdk}"
d=$(mktemp -d /tmp/respack-sdk-list.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "$pid" ] && wait "$pid" 2>/dev/null; rm -rf "$d"; }
trap cleanup EXIT
fail() { echo "sdk-list-org: FAIL: $*"; exit 1; }

"$RESPACK" serve --listen 127.0.0.1:0 --db "$d/org.db" --write-config "$d/app.config" --seed-integrations >"$d/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$d/app.config" ] && break; sleep 0.1; done
[ -s "$d/app.config" ] || fail "serve wrote no app.config: $(tail -2 "$d/serve.log")"

"$RESPACK" install --config "$d/app.config" --yes --backup-dir "$d/bk" >"$d/install.out" 2>&1 \
  || fail "respack install failed: $(tail -3 "$d/install.out")"
(cd "$d" && "$VENV/bin/resilient-sdk" list -c "$d/app.config" --rule --workflow) >"$d/list.out" 2>&1 \
  || fail "resilient-sdk list failed: $(tail -3 "$d/list.out")"
missing=
for name in "QRadar Advisor Offense Analysis with MITRE" "Map rule to MITRE tactic" \
            qradar_advisor_offense_analysis_mitre qradar_advisor_map_rule_to_tactic \
            mitre_technique_task; do
  grep -qF -- "$name" "$d/list.out" || missing="$missing, $name"
done
[ -z "$missing" ] || fail "resilient-sdk list lacks ${missing#, }: $(head -c 600 "$d/list.out")"
echo "sdk-list-org: resilient-sdk list shows the package's 2 rules and 2 workflows after respack install (and the integrations' own)"
