#!/usr/bin/env bash
# End-to-end checks of `concord serve` with the official Node.js driver and mongosh: builds concord, starts it
# on a free port with a temporary --dir, runs node/transfer.js and mongosh/wait_on_conflict.js against it, then
# stops it with SIGTERM and checks that it shut down cleanly. Installs the npm packages (package-lock.json)
# into e2e/node_modules when they are missing. Needs go, node and npm on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/concord-e2e.XXXXXX")"
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

cd "$here"
if [ ! -d node_modules/mongodb ] || [ ! -x node_modules/.bin/mongosh ]; then
	npm ci --no-audit --no-fund
fi

(cd "$root" && go build -o "$work/concord" ./cmd/concord)

port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
"$work/concord" serve --dir "$work/data" --addr "127.0.0.1:$port" --pg-addr "" >"$work/server.log" 2>&1 &
pid=$!

for _ in $(seq 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		break
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "concord serve exited early" >&2
		exit 1
	fi
	sleep 0.1
done

uri="mongodb://127.0.0.1:$port/"
echo "== node: transfers and optimistic locking ($uri)"
CONCORD_URI="$uri" node "$here/node/transfer.js"
echo "== mongosh: waiting on a conflict"
"$here/node_modules/.bin/mongosh" --quiet "$uri" --eval "$(cat "$here/mongosh/wait_on_conflict.js")"

echo "== stopping concord (SIGTERM)"
kill -TERM "$pid"
if ! wait "$pid"; then
	echo "concord serve did not shut down cleanly" >&2
	pid=""
	exit 1
fi
pid=""
grep -q "stopped" "$work/server.log" || { echo "no clean-stop line in the server log" >&2; exit 1; }
echo "e2e: ok"
