#!/usr/bin/env bash
# The test command of README.md: vet, every Go test under the race detector, then the end-to-end tests with the
# official Node.js driver and mongosh (e2e/run.sh, which installs their npm packages on first use) and with psql
# (e2e/psql.sh). The SQL tests compare with PostgreSQL 15 when its server binaries are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -race -count=1 -timeout 20m ./...
# Without the race detector, which puts the storage's block cache in the Go heap that this test measures.
go test -count=1 -run '^TestStream_Memory$' ./sql/
if command -v npm >/dev/null && command -v node >/dev/null; then
  e2e/run.sh
else
  echo "e2e: node and npm are not installed: the Node.js driver and mongosh tests did not run" >&2
  exit 1
fi
if command -v psql >/dev/null && command -v pg_dump >/dev/null; then
  e2e/psql.sh
else
  echo "e2e: psql or pg_dump is not installed (Debian's postgresql-client): the psql tests did not run" >&2
  exit 1
fi
