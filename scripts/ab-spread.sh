#!/usr/bin/env bash
# Compares two Concord builds on the SQL spread workload with paired slices (scripts/abspread): each runs as
# `concord serve` on its own temporary data directory, with the extra environment in A_ENV and B_ENV.
#   scripts/ab-spread.sh /tmp/concord-a /tmp/concord-b [pairs]
#   B_ENV=GOMAXPROCS=6 scripts/ab-spread.sh /tmp/concord /tmp/concord 20
# ABSPREAD names a built client (go build -o /tmp/abspread ./scripts/abspread) to use in place of `go run`.
set -euo pipefail
a=$1 b=$2 pairs=${3:-20}
da=$(mktemp -d) db=$(mktemp -d)
env ${A_ENV:-} "$a" serve --dir "$da" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:55981 --http-addr "" >/dev/null 2>&1 &
pa=$!
env ${B_ENV:-} "$b" serve --dir "$db" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:55982 --http-addr "" >/dev/null 2>&1 &
pb=$!
trap 'kill $pa $pb 2>/dev/null; wait $pa $pb 2>/dev/null; rm -rf "$da" "$db"' EXIT
for _ in $(seq 50); do
	pg_isready -q -h 127.0.0.1 -p 55981 && pg_isready -q -h 127.0.0.1 -p 55982 && break
	sleep 0.2
done
${ABSPREAD:-go run "$(cd "$(dirname "$0")" && pwd)/abspread"} -a "postgres://concord@127.0.0.1:55981/bench?sslmode=disable" \
	-b "postgres://concord@127.0.0.1:55982/bench?sslmode=disable" -pida $pa -pidb $pb -slices "$pairs"
