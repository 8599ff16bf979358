#!/usr/bin/env bash
# IBM's own resilient-sdk reads the generated qraw_mitre.res: `list` shows both rules, both
# workflows, the data tables and the functions, and `extract` of the offense workflow writes a
# .res. Run by .ci/run with $RESPACK (the debug binary) and $VENV (a virtualenv with resilient-sdk).
set -u
fail() { echo "sdk-compat: FAIL: $*"; exit 1; }
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with resilient-sdk}"
sdk=$VENV/bin/resilient-sdk
[ -x "$sdk" ] || fail "no resilient-sdk in $VENV"
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
"$RESPACK" build --out "$d" >"$d/build.out" 2>&1 || fail "respack build failed: $(tail -2 "$d/build.out")"
out=$(cd "$d" && "$sdk" list -e "$d/qraw_mitre.res" --rule --workflow --datatable --function 2>&1) \
  || fail "resilient-sdk list failed: $(echo "$out" | tail -2)"
listed=$(echo "$out" | sed 's/^[[:space:]]*-[[:space:]]*//; s/[[:space:]]*$//')
for want in "QRadar Advisor Offense Analysis with MITRE" "Map rule to MITRE tactic" \
            qradar_advisor_offense_analysis_mitre qradar_advisor_map_rule_to_tactic \
            mitre_attack_of_artifact mitre_attack_of_incident mitre_attack_techniques qradar_reference_set \
            qradar_advisor_offense_analysis qradar_advisor_map_rule mitre_tactic_information; do
  echo "$listed" | grep -qxF -- "$want" || fail "resilient-sdk list does not show $want"
done
# extract writes into an existing directory only (it does not create --output).
mkdir "$d/x"
out=$(cd "$d" && "$sdk" extract -e "$d/qraw_mitre.res" -w qradar_advisor_offense_analysis_mitre -o "$d/x" 2>&1) \
  || fail "resilient-sdk extract failed: $(echo "$out" | tail -2)"
ls "$d/x"/*.res >/dev/null 2>&1 || fail "resilient-sdk extract wrote no .res"
echo "sdk-compat: resilient-sdk $("$VENV/bin/pip" show resilient-sdk 2>/dev/null | sed -n 's/^Version: //p') lists 2 rules, 2 workflows, 4 data tables, 3 functions and extracts the offense workflow"
