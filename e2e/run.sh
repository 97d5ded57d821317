#!/usr/bin/env bash
# End-to-end checks of `concord serve` with the official Node.js driver and mongosh: builds concord, starts it
# on a free port with a temporary --dir, runs node/transfer.js, node/query.js, node/cursors.js, node/compression.js, node/indexes.js, node/validator.js and mongosh/wait_on_conflict.js against it, then
# runs node/transfer.js and mongosh again over the server's Unix-domain socket, then
# stops it with SIGTERM and checks that it shut down cleanly. Then it starts it again with --auth and TLS (a CA
# made with openssl) and runs node/auth_tls.js and mongosh/auth_tls.js. node/watch.js checks change streams, and that
# a resume token saved before a restart resumes after it. Installs the npm packages (package-lock.json)
# into e2e/node_modules when they are missing. Needs go, node, npm and openssl on PATH.
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

# start runs concord serve on a free port with the extra arguments given, and waits until it accepts. Its data
# directory is $data when set, else a new one.
start() {
	port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
	"$work/concord" serve --dir "${data:-$work/data$port}" --addr "127.0.0.1:$port" --pg-addr "" --http-addr "" \
		--unix-socket-dir "$work" "$@" >"$work/server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "concord serve exited early" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# stop sends SIGTERM and checks that concord shut down cleanly.
stop() {
	echo "== stopping concord (SIGTERM)"
	kill -TERM "$pid"
	if ! wait "$pid"; then
		echo "concord serve did not shut down cleanly" >&2
		pid=""
		exit 1
	fi
	pid=""
	grep -q "stopped" "$work/server.log" || { echo "no clean-stop line in the server log" >&2; exit 1; }
}

data="$work/data-first"
start --ttl-monitor-sleep-secs 1
uri="mongodb://127.0.0.1:$port/"
echo "== node: transfers and optimistic locking ($uri)"
CONCORD_URI="$uri" node "$here/node/transfer.js"
echo "== node: schema validation and views"
CONCORD_URI="$uri" node "$here/node/validator.js"
echo "== node: pipeline update, \$setWindowFields, \$lookup with a pipeline"
CONCORD_URI="$uri" node "$here/node/query.js"
echo "== node: zlib compression"
CONCORD_URI="$uri" node "$here/node/compression.js"
echo "== node: cursors read in batches, each getMore the latest state"
CONCORD_URI="$uri" node "$here/node/cursors.js"
echo "== node: a collation-aware sort and a TTL index expiring a document"
CONCORD_URI="$uri" node "$here/node/indexes.js"
sock="$(node -e 'console.log(encodeURIComponent(process.argv[1]))' "$work/mongodb-$port.sock")"
echo "== node: transfers over the Unix-domain socket $work/mongodb-$port.sock"
CONCORD_URI="mongodb://$sock/?directConnection=true" node "$here/node/transfer.js"
echo "== mongosh: the Unix-domain socket's client, as mongod names it"
you="$("$here/node_modules/.bin/mongosh" --quiet "mongodb://$sock/?directConnection=true" --eval 'db.runCommand({whatsmyuri: 1}).you')"
if [ "$you" != "anonymous unix socket:27017" ]; then
	echo "whatsmyuri over the socket: $you" >&2
	exit 1
fi
echo "== mongosh: waiting on a conflict"
"$here/node_modules/.bin/mongosh" --quiet "$uri" --eval "$(cat "$here/mongosh/wait_on_conflict.js")"
echo "== node: change streams (watch)"
CONCORD_URI="$uri" node "$here/node/watch.js"
CONCORD_URI="$uri" PHASE=write TOKEN_FILE="$work/token.json" node "$here/node/watch.js"
stop

echo "== node: a change stream resumed after a restart, with the token saved before it"
start
CONCORD_URI="mongodb://127.0.0.1:$port/" PHASE=resume TOKEN_FILE="$work/token.json" node "$here/node/watch.js"
stop
data=""

echo "== auth over TLS: a CA and a server certificate (openssl)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
	-days 1 -subj /CN=concord-e2e-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
	-subj /CN=localhost 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
	-out "$work/server.pem" -days 1 -extfile "$work/san.ext" 2>/dev/null
start --auth --tls-cert "$work/server.pem" --tls-key "$work/server.key"
uri="mongodb://127.0.0.1:$port/"
echo "== node: the localhost exception, then authenticated CRUD over TLS ($uri)"
CONCORD_URI="$uri" CONCORD_CA="$work/ca.pem" node "$here/node/auth_tls.js"
echo "== mongosh: authenticated over TLS"
"$here/node_modules/.bin/mongosh" --quiet "$uri" --tls --tlsCAFile "$work/ca.pem" -u admin -p e2e-secret \
	--authenticationDatabase admin --eval "$(cat "$here/mongosh/auth_tls.js")"
if grep -q "e2e-secret" "$work/server.log"; then
	echo "the server log holds a password" >&2
	exit 1
fi
stop
echo "e2e: ok"
