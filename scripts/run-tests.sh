#!/usr/bin/env bash
# The whole suite twice: on SQLite (the embedded default), then on PostgreSQL in a database made
# for this run and dropped afterwards (scripts/test-database.mjs; FLEETRELAY_TEST_DATABASE_URL
# names the server, default the local one); then the cluster suite, on that database and NATS. Every relay a test starts logs at debug into one
# folder, which is then grepped for secrets (tokens, capability URLs) that must never be logged.
#   FLEETRELAY_TEST_STORES="sqlite" scripts/run-tests.sh   runs one half only (local use; CI runs both)
set -euo pipefail
cd "$(dirname "$0")/.."
export FLEETRELAY_TEST_LOG_DIR="${FLEETRELAY_TEST_LOG_DIR:-$(mktemp -d -t fleetrelay-test-logs.XXXXXX)}"
stores="${FLEETRELAY_TEST_STORES:-sqlite postgres}"
if [ -n "${CI:-}" ] && [ "$stores" != "sqlite postgres" ]; then
  echo "run-tests: CI runs the suite on both stores; FLEETRELAY_TEST_STORES=$stores is for local use" >&2
  exit 1
fi
suite() {
  node --test --test-concurrency=2 --test-timeout=180000 dist/test/*.test.js dist/test/unit/*.test.js
}
# Relay clusters (test/cluster): node processes sharing PostgreSQL and the machine's NATS (FLEETRELAY_TEST_NATS_URL).
cluster() {
  node --test --test-concurrency=2 --test-timeout=300000 dist/test/cluster/*.test.js
}
failed=""
for store in $stores; do
  echo "# ---- the suite on $store ----"
  case "$store" in
    sqlite) FLEETRELAY_TEST_STORE=sqlite suite || failed="$failed $store" ;;
    postgres)
      url=$(node scripts/test-database.mjs create)
      trap 'node scripts/test-database.mjs drop "$url"' EXIT
      FLEETRELAY_TEST_STORE=postgres FLEETRELAY_TEST_RUN_DATABASE_URL="$url" suite || failed="$failed $store"
      echo "# ---- the cluster suite (PostgreSQL + NATS) ----"
      FLEETRELAY_TEST_STORE=postgres FLEETRELAY_TEST_RUN_DATABASE_URL="$url" cluster || failed="$failed cluster"
      ;;
    *) echo "run-tests: unknown store $store (sqlite or postgres)" >&2; exit 2 ;;
  esac
done
node scripts/check-log-secrets.mjs "$FLEETRELAY_TEST_LOG_DIR"
if [ -n "$failed" ]; then
  echo "run-tests: the suite failed on:$failed" >&2
  exit 1
fi
