#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for `concord bench --pg`, from Debian's postgresql package
# (installed with apt-get when missing). Prints the connection URL on stdout; stop it with scripts/pg-stop.sh.
# The cluster keeps PostgreSQL's durable defaults (fsync on, synchronous_commit on).
set -euo pipefail
dir=${PGBENCH_DIR:-$(pwd)/.pg}
port=${PGBENCH_PORT:-55432}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ]; then
  echo "installing postgresql from Debian's packages..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
rm -rf "$dir" && mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
run "$bin/initdb -D '$dir/data' -U postgres -A trust >'$dir/initdb.log' 2>&1"
run "$bin/pg_ctl -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB\" start" >&2
echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
