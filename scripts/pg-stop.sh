#!/usr/bin/env bash
# Stops the cluster started by scripts/pg-start.sh and removes its files.
set -euo pipefail
dir=${PGBENCH_DIR:-$(pwd)/.pg}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$bin/pg_ctl -D '$dir/data' -m fast stop"; else "$bin/pg_ctl" -D "$dir/data" -m fast stop; fi
rm -rf "$dir"
