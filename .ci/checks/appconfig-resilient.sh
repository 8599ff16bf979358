#!/usr/bin/env bash
# respack's app.config reader substitutes `$NAME` / `${NAME}` values as IBM's `resilient`
# package does (resilient.app_config.AppConfigManager): the ignored test
# appconfig::substitutes_environment_variables_as_resilient_does, run with the venv's python.
# Needs $VENV (with `resilient`).
set -u
: "${VENV:?set VENV to a virtualenv with resilient}"
cd "$(dirname "$0")/../.."
RESPACK_RESILIENT_PYTHON="$VENV/bin/python" \
  cargo test --quiet --test it appconfig::substitutes_environment_variables_as_resilient_does -- --ignored --exact 2>&1 \
  | tail -5
exit "${PIPESTATUS[0]}"
