#!/usr/bin/env bash
# End-to-end check of `concord serve`'s PostgreSQL port with psql (Debian's postgresql-client): builds concord,
# starts it on free ports with a temporary --dir, then through psql creates a table, inserts, lists it with \dt,
# connects over its Unix-domain socket (\conninfo),
# describes it with \d (its primary key's index, its CHECK constraint, which then refuses an overdraft, and a
# foreign key from a second table, listed on both), runs a transfer in a transaction, checks that ROLLBACK undoes
# a change, loads and unloads a CSV file with \copy, and runs node/pg.js (node-postgres), node/sequelize.js and node/knex.js (Knex's
# migrations, in transaction blocks). It dumps a database with pg_dump (postgresql-client) and restores the
# script with psql into a fresh concord serve, and into PostgreSQL 15 when its server is installed, comparing
# the rows. Then it starts it
# again with --auth and TLS (a CA made with openssl), creates users with mongosh over the MongoDB port (the first
# through the localhost exception), and checks with psql and PGPASSWORD over TLS (sslmode=verify-full): a wrong
# password is refused (28P01), plaintext is refused, the right password works, and a read-only user's INSERT
# fails with 42501. Needs go, psql, pg_dump, node, openssl and mongosh, pg and knex (e2e/node_modules, installed
# by npm ci).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/concord-psql.XXXXXX")"
pid=""
rpid="" # the server pg_dump's script is restored into

cleanup() {
	status=$?
	for p in "$pid" "$rpid"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -KILL "$p" 2>/dev/null || true
		fi
	done
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
"$work/concord" serve --dir "$work/data" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:0 --unix-socket-dir "$work" >"$work/server.log" 2>&1 &
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

psql_run -c "CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL CHECK (balance >= 0), version int8 NOT NULL)" >/dev/null
psql_run -c "INSERT INTO accounts VALUES ('alice', 100, 1), ('bob', 0, 1)" >/dev/null

expect '\dt' "public|accounts|table|concord" "$(psql_run -A -t -c '\dt')"
expect 'psql over the Unix-domain socket' "You are connected to database \"bank\" as user \"concord\" via socket in \"$work\" at port \"$pport\".
1" "$(PGCONNECT_TIMEOUT=10 psql -X -h "$work" -p "$pport" -U concord -d bank -A -t -c '\conninfo' -c 'SELECT count(*) FROM pg_stat_activity WHERE pid = pg_backend_pid() AND client_port = -1')"
expect '\df lists no function of the user'"'"'s' "" "$(psql_run -A -t -c '\df' 2>&1)"
expect '\d accounts' "id|text||not null|
balance|bigint||not null|
version|bigint||not null|" "$(psql_run -A -t -c '\d accounts' | grep -E '^(id|balance|version)\|')"
expect '\d accounts lists the CHECK constraint' '    "accounts_balance_check" CHECK (balance >= 0)' \
	"$(psql_run -c '\d accounts' | grep -A1 '^Check constraints:' | tail -n 1)"
expect '\d accounts lists its primary key' '    "accounts_pkey" PRIMARY KEY, btree (id)' \
	"$(psql_run -c '\d accounts' | grep -A1 '^Indexes:' | tail -n 1)"
psql_run -c "CREATE TABLE entries (id int8 PRIMARY KEY, account text NOT NULL REFERENCES accounts ON DELETE CASCADE)" >/dev/null
expect '\d entries lists the foreign key' '    "entries_account_fkey" FOREIGN KEY (account) REFERENCES accounts(id) ON DELETE CASCADE' \
	"$(psql_run -c '\d entries' | grep -A1 '^Foreign-key constraints:' | tail -n 1)"
expect '\d accounts lists the table referencing it' '    TABLE "entries" CONSTRAINT "entries_account_fkey" FOREIGN KEY (account) REFERENCES accounts(id) ON DELETE CASCADE' \
	"$(psql_run -c '\d accounts' | grep -A1 '^Referenced by:' | tail -n 1)"
if out="$(psql_run -c "UPDATE accounts SET balance = balance - 1000 WHERE id = 'alice'" 2>&1)"; then
	echo "psql e2e: an overdraft passed the CHECK constraint" >&2
	exit 1
fi
expect "the overdraft's error" 'ERROR:  new row for relation "accounts" violates check constraint "accounts_balance_check"' \
	"$(printf '%s\n' "$out" | grep '^ERROR')"

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

# \copy loads a CSV file from the client's side and writes the table back out.
printf 'id,balance,version\ncarol,5,1\n"dave, jr",7,1\n' >"$work/in.csv"
expect '\copy from' "COPY 2" "$(psql_run -c "\\copy accounts FROM '$work/in.csv' WITH (FORMAT csv, HEADER)")"
psql_run -c "\\copy (SELECT id, balance FROM accounts ORDER BY id) TO '$work/out.csv' WITH (FORMAT csv)" >/dev/null
expect '\copy to' 'alice,70
bob,30
carol,5
"dave, jr",7' "$(cat "$work/out.csv")"

# node-postgres, the most used PostgreSQL client of Node.js, on the same server (e2e/node/pg.js).
echo "== node-postgres"
if [ ! -d "$here/node_modules/pg" ] || [ ! -d "$here/node_modules/knex" ] || [ ! -d "$here/node_modules/sequelize" ]; then
	(cd "$here" && npm ci --no-audit --no-fund)
fi
PG_URL="postgres://concord@127.0.0.1:$pport/bank" node "$here/node/pg.js"

# Knex's migrations, which run a batch of migrations in one transaction block (e2e/node/knex.js).
echo "== knex migrations"
PG_URL="postgres://concord@127.0.0.1:$pport/knex" node "$here/node/knex.js"

# Sequelize's sync, optimistic locking and upsert (e2e/node/sequelize.js): its enum types come from a DO block.
echo "== sequelize"
PG_URL="postgres://concord@127.0.0.1:$pport/seq" node "$here/node/sequelize.js"

# pg_dump of a database and its restore with psql, into a fresh Concord and (when PostgreSQL's server is
# installed) into PostgreSQL 15: the same rows, sequences, constraints, comments, functions (SQL and PL/pgSQL)
# and triggers come back.
echo "== pg_dump round trip"
psql_run -d dumpsrc -q >/dev/null <<'SQL'
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE owners (id serial PRIMARY KEY, name text NOT NULL UNIQUE, balance numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
  m mood, since date DEFAULT '2020-01-01');
CREATE TABLE pets (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, owner int NOT NULL REFERENCES owners (id) ON DELETE CASCADE,
  weight int8, note varchar(40));
CREATE INDEX pets_owner_idx ON pets (owner);
CREATE TABLE pairs (a int, b text, c bool, PRIMARY KEY (a, b));
CREATE SEQUENCE tickets START 10 INCREMENT 5;
CREATE VIEW heavy AS SELECT id, weight FROM pets WHERE weight > 10;
COMMENT ON TABLE owners IS 'who owns the pets';
COMMENT ON COLUMN owners.name IS 'unique';
INSERT INTO owners (name, balance, m) VALUES ('alice', 150, 'happy'), ('bob', 20, 'sad'), ('o''neil', 0, NULL);
INSERT INTO pets (owner, weight, note) VALUES (1, 100, E'tab\tand "quotes"'), (2, -5, NULL), (1, 7, E'line\nbreak'), (3, 12, '\N');
INSERT INTO pairs VALUES (1, 'x', true), (2, 'y', NULL);
SELECT nextval('tickets');
ALTER TABLE pairs ADD CONSTRAINT pairs_c_true CHECK (c) NOT VALID;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
CREATE TABLE scores (id int PRIMARY KEY, s positive NOT NULL);
INSERT INTO scores VALUES (1, 5), (2, 7);
CREATE FUNCTION owner_count(min_balance numeric DEFAULT 0) RETURNS bigint LANGUAGE sql STABLE
  AS $$ SELECT count(*) FROM owners WHERE balance >= min_balance $$;
CREATE FUNCTION richest() RETURNS text LANGUAGE plpgsql
  AS $$ DECLARE n text; BEGIN SELECT name INTO n FROM owners ORDER BY balance DESC LIMIT 1; RETURN n; END $$;
CREATE FUNCTION scores_cap() RETURNS trigger LANGUAGE plpgsql
  AS $$ BEGIN IF NEW.s > 100 THEN RAISE EXCEPTION 'score % too high', NEW.s; END IF; RETURN NEW; END $$;
CREATE TRIGGER scores_cap BEFORE INSERT OR UPDATE OF s ON scores FOR EACH ROW EXECUTE FUNCTION scores_cap();
CREATE VIEW positive_scores AS SELECT id, s FROM scores WHERE s > 0 WITH LOCAL CHECK OPTION;
CREATE VIEW owner_pets AS SELECT o.id, o.name, p.weight FROM owners o JOIN pets p ON p.owner = o.id;
CREATE FUNCTION owner_pets_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER owner_pets_ins INSTEAD OF INSERT ON owner_pets FOR EACH ROW EXECUTE FUNCTION owner_pets_ins();
CREATE FUNCTION scores_over(n int) RETURNS SETOF scores LANGUAGE sql STABLE AS $$ SELECT * FROM scores WHERE s > n ORDER BY id $$;
CREATE FUNCTION doubled(scores) RETURNS int LANGUAGE sql AS $$ SELECT $1.s * 2 $$;
CREATE PROCEDURE bump_score(INOUT k int, amount int DEFAULT 1) LANGUAGE sql AS $$ UPDATE scores SET s = s + amount WHERE id = k RETURNING id $$;
CREATE CONSTRAINT TRIGGER scores_total AFTER INSERT OR UPDATE ON scores DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION scores_cap();
SQL
# The dump sets each object OWNER TO concord, which a restore by concord accepts (Concord's objects have no owner;
# OWNER TO the current user changes nothing). PostgreSQL has no role concord: its restore reads a --no-owner dump.
PGCONNECT_TIMEOUT=10 pg_dump -h 127.0.0.1 -p "$pport" -U concord dumpsrc >"$work/dump.sql"
PGCONNECT_TIMEOUT=10 pg_dump --no-owner -h 127.0.0.1 -p "$pport" -U concord dumpsrc >"$work/dump-noowner.sql"
grep -q '^ALTER TABLE public.owners OWNER TO concord;$' "$work/dump.sql" || {
	echo "psql e2e: the dump sets no owner:" >&2
	cat "$work/dump.sql" >&2
	exit 1
}
dump_query="SELECT * FROM owners ORDER BY id; SELECT * FROM pets ORDER BY id; SELECT * FROM pairs ORDER BY a, b;
SELECT * FROM heavy ORDER BY id; SELECT last_value, is_called FROM owners_id_seq; SELECT last_value, is_called FROM pets_id_seq;
SELECT last_value, is_called FROM tickets; SELECT conname, convalidated FROM pg_constraint WHERE contype = 'c' AND conrelid IN ('owners'::regclass, 'pairs'::regclass) ORDER BY 1;
SELECT obj_description('owners'::regclass, 'pg_class'), col_description('owners'::regclass, 2);
SELECT * FROM scores ORDER BY id; SELECT owner_count(), owner_count(100); SELECT richest();
SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1;
SELECT * FROM scores_over(5); SELECT id, sc.doubled FROM scores sc ORDER BY id;
SELECT relname, reloptions FROM pg_class WHERE relname = 'positive_scores';"
want_rows="$(psql_run -d dumpsrc -A -t -c "$dump_query")"
expect "the dumped rows" "1|alice|150.00|happy|2020-01-01
2|bob|20.00|sad|2020-01-01
3|o'neil|0.00||2020-01-01" "$(printf '%s\n' "$want_rows" | head -n 3)"

"$work/concord" serve --dir "$work/data-restore" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:0 --http-addr "" >"$work/restore.log" 2>&1 &
rpid=$!
rport=""
for _ in $(seq 100); do
	rport="$(sed -n 's/.*serving PostgreSQL protocol on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/restore.log")"
	if [ -n "$rport" ]; then
		break
	fi
	sleep 0.1
done
if [ -z "$rport" ]; then
	echo "psql e2e: the restore's concord serve did not start" >&2
	exit 1
fi
restore() { PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$rport" -U concord -d dumpdst "$@"; }
if ! restore -f "$work/dump.sql" >"$work/restore.out" 2>&1; then
	echo "psql e2e: restoring pg_dump's script into Concord failed:" >&2
	cat "$work/restore.out" >&2
	exit 1
fi
expect "the rows restored into Concord" "$want_rows" "$(restore -A -t -c "$dump_query")"
# The same restore in one transaction (psql -1, as pg_restore --single-transaction): pairs' NOT VALID CHECK,
# added after its rows, changes its validator in the block.
PGCONNECT_TIMEOUT=10 pg_dump -h 127.0.0.1 -p "$pport" -U concord dumpsrc >"$work/dump1.sql"
one_query="SELECT * FROM owners ORDER BY id; SELECT * FROM pets ORDER BY id; SELECT * FROM heavy ORDER BY id;
SELECT * FROM pairs ORDER BY a, b; SELECT last_value FROM pets_id_seq;
SELECT conname, convalidated FROM pg_constraint WHERE conrelid IN ('pets'::regclass, 'pairs'::regclass) ORDER BY 1"
if ! PGCONNECT_TIMEOUT=10 psql -X -q -1 -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$rport" -U concord -d dumpone \
	-f "$work/dump1.sql" >"$work/restore1.out" 2>&1; then
	echo "psql e2e: restoring pg_dump's script into Concord in one transaction failed:" >&2
	cat "$work/restore1.out" >&2
	exit 1
fi
expect "the rows restored in one transaction" "$(psql_run -d dumpsrc -A -t -c "$one_query")" \
	"$(PGCONNECT_TIMEOUT=10 psql -X -q -h 127.0.0.1 -p "$rport" -U concord -d dumpone -A -t -c "$one_query")"
# The check the block added holds once the block committed.
expect "a write the restored NOT VALID check refuses" 'ERROR:  new row for relation "pairs" violates check constraint "pairs_c_true"' \
	"$(PGCONNECT_TIMEOUT=10 psql -X -q -h 127.0.0.1 -p "$rport" -U concord -d dumpone -c "INSERT INTO pairs VALUES (3, 'z', false)" 2>&1 | head -n 1)"
expect '\d pairs after the restore' '    "pairs_c_true" CHECK (c) NOT VALID' \
	"$(restore -c '\d pairs' | grep -A1 '^Check constraints:' | tail -n 1)"
# A dump of the restored database is the dump it was restored from.
PGCONNECT_TIMEOUT=10 pg_dump -h 127.0.0.1 -p "$rport" -U concord dumpdst >"$work/dump2.sql"
kill -TERM "$rpid"
wait "$rpid" || true
rpid=""
strip() { grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' "$1"; }
expect "the restored database's dump" "$(strip "$work/dump.sql")" "$(strip "$work/dump2.sql")"

if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
	pgdir="$(mktemp -d "${TMPDIR:-/tmp}/concord-pgdump.XXXXXX")"
	pgport=""
	for _ in $(seq 50); do # a free port
		p=$((20000 + RANDOM % 20000))
		if ! (echo >"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			pgport=$p
			break
		fi
	done
	PGBENCH_DIR="$pgdir" PGBENCH_PORT="$pgport" "$root/scripts/pg-start.sh" >/dev/null 2>"$work/pgstart.log" || {
		echo "psql e2e: PostgreSQL did not start:" >&2
		cat "$work/pgstart.log" >&2
		exit 1
	}
	pgrun() { PGCONNECT_TIMEOUT=10 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pgport" -U postgres "$@"; }
	status=0
	pgrun -d postgres -c "CREATE DATABASE dumpdst" &&
		pgrun -d dumpdst -f "$work/dump-noowner.sql" >"$work/pgrestore.out" 2>&1 &&
		got="$(pgrun -d dumpdst -A -t -c "$dump_query")" || status=$?
	PGBENCH_DIR="$pgdir" "$root/scripts/pg-stop.sh" >/dev/null 2>&1 || true
	if [ "$status" -ne 0 ]; then
		echo "psql e2e: restoring pg_dump's script into PostgreSQL failed:" >&2
		cat "$work/pgrestore.out" >&2
		exit 1
	fi
	expect "the rows restored into PostgreSQL" "$want_rows" "$got"
else
	echo "psql e2e: PostgreSQL's server is not installed: the restore into PostgreSQL did not run" >&2
fi

kill -TERM "$pid"
wait "$pid"
pid=""

echo "== psql with --auth over TLS"
mongosh="$here/node_modules/.bin/mongosh"
if [ ! -x "$mongosh" ]; then
	(cd "$here" && npm ci --no-audit --no-fund)
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/ca.key" -out "$work/ca.pem" \
	-days 1 -subj /CN=concord-psql-e2e-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$work/server.key" -out "$work/server.csr" \
	-subj /CN=localhost 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
	-out "$work/server.pem" -days 1 -extfile "$work/san.ext" 2>/dev/null
"$work/concord" serve --dir "$work/data-auth" --addr 127.0.0.1:0 --pg-addr 127.0.0.1:0 --http-addr "" --auth \
	--tls-cert "$work/server.pem" --tls-key "$work/server.key" >"$work/server.log" 2>&1 &
pid=$!
pport="" mport=""
for _ in $(seq 100); do
	pport="$(sed -n 's/.*serving PostgreSQL protocol on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")"
	mport="$(sed -n 's/.*serving [^ ]* on 127\.0\.0\.1:\([0-9]*\) (replica set.*/\1/p' "$work/server.log")"
	if [ -n "$pport" ] && [ -n "$mport" ]; then
		break
	fi
	sleep 0.1
done
if [ -z "$pport" ] || [ -z "$mport" ]; then
	echo "psql e2e: concord serve --auth did not start" >&2
	exit 1
fi
muri="mongodb://127.0.0.1:$mport/admin"
# The localhost exception: no user exists yet, so a client on 127.0.0.1 may create the first one.
"$mongosh" --quiet "$muri" --tls --tlsCAFile "$work/ca.pem" \
	--eval 'db.createUser({user: "admin", pwd: "pg-e2e-secret", roles: ["root"]})' >/dev/null
"$mongosh" --quiet "$muri" --tls --tlsCAFile "$work/ca.pem" -u admin -p pg-e2e-secret --authenticationDatabase admin \
	--eval 'db.createUser({user: "reader", pwd: "reader-e2e-secret", roles: [{role: "read", db: "bank"}]})' >/dev/null

# psql_as USER PASSWORD SSLMODE ARGS...: psql over the auth server's PostgreSQL port.
psql_as() {
	local user="$1" password="$2" mode="$3"
	shift 3
	PGPASSWORD="$password" PGCONNECT_TIMEOUT=10 psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
		"host=127.0.0.1 port=$pport dbname=bank user=$user sslmode=$mode sslrootcert=$work/ca.pem" "$@"
}
# fails NAME WANT ARGS...: the psql command must fail with WANT in its error output.
fails() {
	local name="$1" want="$2" out
	shift 2
	if out="$("$@" 2>&1)"; then
		printf 'psql e2e: %s succeeded, want an error with %s\n%s\n' "$name" "$want" "$out" >&2
		exit 1
	fi
	if ! printf '%s' "$out" | grep -qF -- "$want"; then
		printf 'psql e2e: %s\n--- want an error with ---\n%s\n--- got ---\n%s\n' "$name" "$want" "$out" >&2
		exit 1
	fi
}

# sslmode=verify-full makes psql require TLS and check the server certificate against the CA.
# 28P01's message (psql does not print a connection failure's SQLSTATE; TestAuth_SCRAM checks the code with pgx).
fails "a wrong password" 'FATAL:  password authentication failed for user "admin"' \
	psql_as admin wrong-password verify-full -c "SELECT 1"
fails "an unknown user" 'FATAL:  password authentication failed for user "nobody"' \
	psql_as nobody pg-e2e-secret verify-full -c "SELECT 1"
fails "plaintext" "the server requires SSL" psql_as admin pg-e2e-secret disable -c "SELECT 1"
psql_as admin pg-e2e-secret verify-full -c "CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL)" >/dev/null
psql_as admin pg-e2e-secret verify-full -c "INSERT INTO accounts VALUES ('alice', 100)" >/dev/null
expect "the reader reads" "alice|100" "$(psql_as reader reader-e2e-secret verify-full -A -t -c "SELECT id, balance FROM accounts")"
fails "the reader's INSERT" "ERROR:  42501: permission denied for table accounts" \
	psql_as reader reader-e2e-secret verify-full -c "INSERT INTO accounts VALUES ('mallory', 1)"
expect "after the refused INSERT" "1" "$(psql_as admin pg-e2e-secret verify-full -A -t -c "SELECT count(*) FROM accounts")"
if grep -qE "pg-e2e-secret|reader-e2e-secret" "$work/server.log"; then
	echo "psql e2e: the server log holds a password" >&2
	exit 1
fi

kill -TERM "$pid"
wait "$pid"
pid=""
echo "psql e2e: ok"
