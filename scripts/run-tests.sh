#!/usr/bin/env bash
# The test suite, with every relay it starts logging at debug into one folder; afterwards that
# whole log is grepped for secrets (tokens, capability URLs), which must never be logged.
set -euo pipefail
cd "$(dirname "$0")/.."
export FLEETRELAY_TEST_LOG_DIR="${FLEETRELAY_TEST_LOG_DIR:-$(mktemp -d -t fleetrelay-test-logs.XXXXXX)}"
node --test --test-concurrency=2 --test-timeout=180000 dist/test/*.test.js dist/test/*/*.test.js
node scripts/check-log-secrets.mjs "$FLEETRELAY_TEST_LOG_DIR"
