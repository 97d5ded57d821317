#!/usr/bin/env bash
# The test command of README.md: vet, every Go test under the race detector, then the end-to-end tests with the
# official Node.js driver and mongosh when their npm packages are installed (e2e/run.sh; .ci/run installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
go vet ./...
go test -race -count=1 -timeout 20m ./...
if [ -x e2e/run.sh ] && [ -d e2e/node_modules ]; then
  e2e/run.sh
else
  echo "e2e: skipped (run 'npm ci --prefix e2e' first to install the Node.js driver and mongosh)"
fi
