#!/usr/bin/env bash
# End-to-end check of `concord serve`'s PostgreSQL port with psql (Debian's postgresql-client): builds concord,
# starts it on free ports with a temporary --dir, then through psql creates a table, inserts, lists it with \dt,
# describes it with \d, runs a transfer in a transaction, and checks that ROLLBACK undoes a change.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/concord-psql.XXXXXX")"
pid=""

cleanup() {
	status=$?
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
	fi
	if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
		echo "--- concord serve log ---" >&2
		cat "$work/server.log" >&2
	fi
	rm -rf "$work"
	exit "$status"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/concord" ./cmd/concord)
# Port 0 picks free ports; the log says which.
"$work/concord" serve --dir "$work/data" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:0 >"$work/server.log" 2>&1 &
pid=$!
pport=""
for _ in $(seq 100); do
	pport="$(sed -n 's/.*serving PostgreSQL protocol on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")"
	if [ -n "$pport" ]; then
		break
	fi
	sleep 0.1
done
if [ -z "$pport" ]; then
	echo "psql e2e: concord serve did not start" >&2
	exit 1
fi

psql_run() { PGCONNECT_TIMEOUT=10 psql -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pport" -U concord -d bank "$@"; }
expect() { # expect NAME WANT GOT
	if [ "$2" != "$3" ]; then
		printf 'psql e2e: %s\n--- want ---\n%s\n--- got ---\n%s\n' "$1" "$2" "$3" >&2
		exit 1
	fi
}

psql_run -c "CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL, version int8 NOT NULL)" >/dev/null
psql_run -c "INSERT INTO accounts VALUES ('alice', 100, 1), ('bob', 0, 1)" >/dev/null

expect '\dt' "public|accounts|table|concord" "$(psql_run -A -t -c '\dt')"
expect '\d accounts' "id|text||not null|
balance|bigint||not null|
version|bigint||not null|" "$(psql_run -A -t -c '\d accounts' | grep -E '^(id|balance|version)\|')"

# A transfer in a transaction, checked by the UPDATEs' row counts.
got="$(psql_run <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
UPDATE accounts SET balance = balance - 30, version = version + 1 WHERE id = 'alice' AND version = 1 AND balance >= 30;
UPDATE accounts SET balance = balance + 30, version = version + 1 WHERE id = 'bob';
COMMIT;
SQL
)"
expect "transfer" "UPDATE 1
UPDATE 1" "$(printf '%s\n' "$got" | grep UPDATE)"
expect "balances after the transfer" "alice|70
bob|30" "$(psql_run -A -t -c "SELECT id, balance FROM accounts ORDER BY id")"

# ROLLBACK undoes a change.
psql_run <<'SQL' >/dev/null
BEGIN;
UPDATE accounts SET balance = 0 WHERE id = 'alice';
ROLLBACK;
SQL
expect "balance after ROLLBACK" "70" "$(psql_run -A -t -c "SELECT balance FROM accounts WHERE id = 'alice'")"

kill -TERM "$pid"
wait "$pid"
pid=""
echo "psql e2e: ok"
