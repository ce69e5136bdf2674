#!/usr/bin/env bash
# The quick-start job: builds BioNER and checks the bundled example files (one clean, one with planted errors).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run build --silent
status=0
node dist/cli.js check examples/*.bio || status=$?
# Exit code 1 means "error-level findings", which the example with planted errors is meant to have.
[ "$status" -le 1 ] || exit "$status"
