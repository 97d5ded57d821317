#!/usr/bin/env bash
# Runs every Go fuzzer of the module, one after the other, each for the same time.
#
#   scripts/fuzz.sh [-t 10m] [-k] [-r REGEXP]
#
#   -t DURATION  how long each fuzzer runs (go test -fuzztime; default 1m)
#   -k           keep the corpus: copy each fuzzer's generated inputs into its package's testdata/fuzz/<Fuzzer>,
#                where `go test` replays them as seeds
#   -r REGEXP    run only the fuzzers whose name matches
#
# A crasher is written by `go test` to testdata/fuzz/<Fuzzer>/ beside the fuzzer, where the ordinary test run
# replays it from then on; the script reports every fuzzer that failed and exits non-zero if one did.
set -uo pipefail
cd "$(dirname "$0")/.."
fuzztime=1m keep=0 only=.
while getopts "t:kr:" opt; do
  case $opt in
    t) fuzztime=$OPTARG ;;
    k) keep=1 ;;
    r) only=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
cache=$(go env GOCACHE)/fuzz
failed=()
total=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for fuzzer in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' | grep -E -- "$only"); do
    total=$((total + 1))
    echo "== $pkg $fuzzer ($fuzztime)"
    start=$(date +%s)
    go test -run '^$' -fuzz "^${fuzzer}\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | tail -n 4
    if [ "${PIPESTATUS[0]}" -ne 0 ]; then
      failed+=("$pkg $fuzzer")
    fi
    echo "   $(( $(date +%s) - start ))s; corpus: $(ls "$cache/$pkg/$fuzzer" 2>/dev/null | wc -l) generated inputs"
    if [ "$keep" = 1 ] && [ -d "$cache/$pkg/$fuzzer" ]; then
      mkdir -p "$dir/testdata/fuzz/$fuzzer"
      cp -n "$cache/$pkg/$fuzzer"/* "$dir/testdata/fuzz/$fuzzer/"
    fi
  done
done
echo "fuzzers run: $total; failed: ${#failed[@]}"
for f in "${failed[@]}"; do echo "  FAILED $f"; done
[ "${#failed[@]}" -eq 0 ]
