#!/usr/bin/env bash
# The quick-start job: builds BioNER, checks the bundled BIO examples (one clean, one with planted errors) and
# tags a clinical note with the embedded default model.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
npm run build --silent
status=0
node dist/cli.js check examples/*.bio || status=$?
# Exit code 1 means "error-level findings", which the example with planted errors is meant to have.
[ "$status" -le 1 ] || exit "$status"
echo
echo "Entities in examples/clinical-note.md (default model):"
node dist/cli.js annotate examples/clinical-note.md --format jsonl
