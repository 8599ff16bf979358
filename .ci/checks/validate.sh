#!/usr/bin/env bash
# `respack validate` judges the real corpus as the issue expects (clean server exports pass, the
# two broken ones fail naming the object), the built-in package is clean, and a workflow that
# IBM's own `resilient-sdk extract` takes out of the package is caught missing the functions it
# calls (extract does not follow workflow → function references, reference/res-format.md §1.7).
# Run by .ci/run with $RESPACK (the debug binary), $VENV (resilient-sdk) and $RESPACK_SHARED.
set -u
fail() { echo "validate: FAIL: $*"; exit 1; }
: "${RESPACK:?set RESPACK to the respack binary}" "${VENV:?set VENV to a virtualenv with resilient-sdk}"
C=${RESPACK_SHARED:?set RESPACK_SHARED}/corpus/res
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
export RESPACK_CACHE_DIR=$d/cache

n=0
for f in sdk_app_zip_export.res sdk_app_zip_export_with_payload_samples.res sdk_fn_main_mock_integration_export.res \
         sdk_fn_main_mock_integration_export_previous.res sdk_mock_reload_export_w_playbook.res \
         sdk_mock_export_w_playbook_w_scripts.res sdk_mock_export_w_playbook.res sdk_mock_reload_export.res \
         api/sdk_api_post_configurations_exports.json api/sdk_api_post_configurations_exports_with_playbooks.json \
         community/fn_qradar_advisor_export.res community/fn_mitre_integration_export.res \
         community/fn_qradar_integration_export.res; do
  out=$("$RESPACK" validate "$C/$f" 2>&1) || fail "$f: expected no errors: $(echo "$out" | grep '^error' | head -2)"
  n=$((n+1))
done
for f in sdk_mock_export.res sdk_mock_export.resz; do
  out=$("$RESPACK" validate "$C/$f" 2>&1); rc=$?
  [ $rc -eq 1 ] && echo "$out" | grep -q "example_get_incident_contact_info" \
    || fail "$f: exit $rc, the missing sub-workflow not named"
done
out=$("$RESPACK" validate --format json "$C/sdk_mock_export_corrupt.res" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q '"name": "mock_function_one"' && echo "$out" | grep -q '"kind": "artifact_type"' \
  || fail "corrupt export: exit $rc, or the function without export_key / the artifact type not named"
"$RESPACK" validate >"$d/builtin.out" 2>&1 || fail "the built-in package has errors: $(grep '^error' "$d/builtin.out" | head -2)"

"$RESPACK" build --out "$d" >"$d/build.out" 2>&1 || fail "respack build failed: $(tail -2 "$d/build.out")"
mkdir "$d/x"
out=$(cd "$d" && "$VENV/bin/resilient-sdk" extract -e "$d/qraw_mitre.res" -w qradar_advisor_offense_analysis_mitre -o "$d/x" 2>&1) \
  || fail "resilient-sdk extract failed: $(echo "$out" | tail -2)"
x=$(ls "$d/x"/*.res 2>/dev/null | head -1)
[ -n "$x" ] || fail "resilient-sdk extract wrote no .res"
out=$("$RESPACK" validate "$x" 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "error\[ref.step.function\]" \
  || fail "the SDK's extract of the offense workflow: exit $rc, expected ref.step.function errors"
echo "validate: $n clean corpus exports pass, the mock and corrupt exports fail naming the objects, the built-in package is clean, and the functions resilient-sdk extract leaves out are caught"
