#!/usr/bin/env bash
# Static checks run before the tests (npm test runs this first through `pretest`).
set -euo pipefail
cd "$(dirname "$0")/.."
npm run -s typecheck
npm run -s lint
npm run -s check:raw-sql
npm run -s schema:print -- --check
npm run -s docs:config -- --check
contract=../shared/tools/contract-check.cjs
if [ -f "$contract" ]; then
  node "$contract" --built-only docs/schema.graphql
else
  echo "check: $contract not found (no ../shared beside this clone); contract check not run"
fi
