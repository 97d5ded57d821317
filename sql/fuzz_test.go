package sql_test

import (
	"context"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
)

// fuzzSeeds are statements of the tests, which the fuzzer mutates.
var fuzzSeeds = []string{
	"SELECT id, balance * 2, tags[1] FROM accounts WHERE balance > 10",
	"COPY accounts (id, tags) TO STDOUT (FORMAT csv, HEADER)",
	"BEGIN; DECLARE c NO SCROLL CURSOR FOR SELECT id FROM accounts; FETCH 1 FROM c; MOVE 0 IN c; FETCH ALL FROM c; COMMIT",
	"BEGIN; DECLARE c SCROLL CURSOR FOR SELECT * FROM accounts WHERE version > 0; FETCH LAST FROM c; FETCH ABSOLUTE 1 FROM c; UPDATE accounts SET version = version; FETCH BACKWARD ALL FROM c; ROLLBACK",
	"SELECT id, balance FROM accounts WHERE balance > 10 AND NOT (version = 1) ORDER BY id LIMIT 2",
	"UPDATE accounts SET balance = balance - 30, version = version + 1 WHERE id = 'a' AND version = 1 AND balance >= 30",
	"UPDATE accounts SET tags = ARRAY_APPEND_UNIQUE(tags, 'y') WHERE id = 'a' AND NOT ARRAY_CONTAINS(tags, 'y') RETURNING tags",
	"INSERT INTO accounts (id, balance) VALUES ('c', 5) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + excluded.balance RETURNING balance",
	"WITH t AS (SELECT id, balance FROM accounts) SELECT a.id, CASE WHEN a.balance > 10 THEN 'big' ELSE 'small' END FROM t a ORDER BY 1",
	"SELECT a.id, b.id FROM accounts a LEFT JOIN accounts b ON a.id = b.id AND b.balance > 10 ORDER BY a.id",
	"SELECT id, ROW_NUMBER() OVER (PARTITION BY version ORDER BY id DESC) FROM accounts",
	"SELECT tags[1], count(*), sum(balance) FROM accounts GROUP BY 1 HAVING count(*) > 0",
	"INSERT INTO accounts (id, balance) SELECT 'z', 1 WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE id = 'z')",
	"DELETE FROM accounts WHERE balance < 60 RETURNING id",
	"SELECT now() + make_interval(secs => 3), '1 day'::interval, '{1,2}'::int8[], '{\"a\": 1}'::jsonb->'a'",
	"BEGIN; UPDATE accounts SET balance = 0; ROLLBACK",
	"CREATE TABLE ck (a int4 CHECK (a > 0), b int8, CONSTRAINT lim CHECK (a < b AND b NOT BETWEEN 5 AND 9), CHECK (a NOT IN (3, 4)))",
	"ALTER TABLE accounts ADD CONSTRAINT pos CHECK (balance + version >= 0 OR tags IS NULL) NOT VALID; UPDATE accounts SET balance = balance - 200",
	"ALTER TABLE accounts DROP CONSTRAINT IF EXISTS pos; ALTER TABLE accounts RENAME COLUMN version TO v",
	"CREATE TABLE kids (id int8 PRIMARY KEY, aid text REFERENCES accounts ON DELETE CASCADE, up int8 REFERENCES kids ON DELETE SET NULL)",
	"INSERT INTO kids VALUES (1, 'a', NULL), (2, 'a', 1); DELETE FROM accounts WHERE id = 'a'; DROP TABLE accounts CASCADE",
	"SELECT a.id, tag, split_part(tag, 'x', -1) FROM accounts a, unnest(a.tags) WITH ORDINALITY AS u(tag, n) ORDER BY 1",
	"SELECT * FROM accounts JOIN accounts b USING (id) NATURAL JOIN generate_series(1, 3, 1) AS g(version)",
	"COPY accounts (id, balance) TO STDOUT (FORMAT csv, HEADER, DELIMITER ';')",
	"COPY accounts FROM STDIN (FORMAT binary)",
	"SELECT to_char(now(), 'FMDay YYYY-MM-DD HH12:MI:SS.US am \"Q\"Q'), to_char(balance, 'FM9,990.00') FROM accounts",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT DISTINCT ON (n % 2) n, lag(n) OVER (ORDER BY n) FROM r ORDER BY n % 2, n DESC",
	"BEGIN; SAVEPOINT a; UPDATE accounts SET balance = balance + 1; ROLLBACK TO a; NOTIFY ch, 'x'; COMMIT",
	"SELECT regexp_replace(id, '(a|b)+', '<\\1>', 'gi'), lpad(id, 3, '*'), mod(balance, 7), extract(dow from now())",
	"CREATE TABLE bin (id int PRIMARY KEY, b bytea); INSERT INTO bin VALUES (1, '\\x00ff'), (2, 'a\\\\b'); SELECT encode(b || 'x', 'base64'), b LIKE 'a%', substring(b from 2) FROM bin WHERE b < '\\x01'",
	"SELECT 'accounts'::regclass, 0::regclass, c.oid::regclass, pg_get_indexdef(i.indexrelid, 1, true), i.indkey[0] FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid",
	"SELECT id, sum(balance) OVER w, stddev(balance) OVER (w ROWS BETWEEN 1 PRECEDING AND 2 FOLLOWING EXCLUDE TIES), nth_value(id, 2) OVER (ORDER BY version GROUPS 1 PRECEDING) FROM accounts WINDOW w AS (PARTITION BY version ORDER BY balance RANGE BETWEEN 10 PRECEDING AND CURRENT ROW)",
	"SELECT version, var_samp(balance), stddev_pop(DISTINCT balance) FILTER (WHERE id > 'a'), variance(balance::float8) FROM accounts GROUP BY version",
	"CREATE INDEX ON accounts (balance DESC); CREATE VIEW av AS SELECT id, balance FROM accounts; ALTER TABLE accounts RENAME COLUMN balance TO bal; VACUUM (ANALYZE) accounts (bal); DROP TABLE accounts CASCADE",
	"CREATE TABLE cf (a text CHECK (length(a) > 0 AND a ~* '^[a-z]+$' AND a NOT LIKE 'x%'), b int[] CHECK (array_length(b, 1) IN (1, 2)), CHECK (num_nonnulls(a, b) = 1)); INSERT INTO cf VALUES ('ab', NULL)",
	"SELECT d || '{\"b\": 1}', d - 'a', d #- '{a,0}', d @> '{\"a\": [1]}', e.key, e.value FROM (SELECT '{\"a\": [1, 2], \"a\": 3}'::jsonb AS d) s, jsonb_each(s.d) AS e ORDER BY d",
	"SELECT t, x.value FROM jsonb_array_elements_text('[\"a\", 1, null]') AS t, jsonb_array_elements('[{}]') AS x WHERE t <> 'b'",
	"EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) SELECT a.id, count(*) FROM accounts a JOIN accounts b ON b.id = a.id WHERE a.balance > (SELECT 1) GROUP BY a.id ORDER BY 2 LIMIT 1",
	"EXPLAIN WITH w AS (UPDATE accounts SET balance = balance + 1 WHERE id = 'a' RETURNING id) SELECT * FROM w, LATERAL (SELECT w.id) l",
	"BEGIN; EXPLAIN ANALYZE DELETE FROM accounts WHERE balance || 'x' = '1x' RETURNING id; EXPLAIN (TIMING OFF, ANALYZE) INSERT INTO accounts (id) VALUES ('q'); ROLLBACK",
	"SELECT g, (SELECT (WITH c AS (SELECT g * 10 AS v) SELECT (SELECT v FROM c))), ARRAY(SELECT random() WHERE g > 0) FROM generate_series(1, 3) g WHERE g IN (SELECT 1 UNION SELECT 2)",
	"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + (SELECT 1) FROM r LEFT JOIN generate_series(1, 2) x ON true WHERE r.n < 3) SELECT *, parse_ident('a.\"B\"') FROM r",
	"CREATE DOMAIN fzd AS numeric(6,2) NOT NULL DEFAULT 1 CONSTRAINT fzc CHECK (VALUE >= 0 AND VALUE < 1000); SELECT 5::fzd, NULL::fzd; ALTER DOMAIN fzd DROP CONSTRAINT IF EXISTS fzc; DROP DOMAIN IF EXISTS fzd",
	"CREATE FUNCTION fzf(a int, b int DEFAULT 2) RETURNS TABLE (x int, y text) LANGUAGE sql STRICT AS 'SELECT a * b, $2::text'; SELECT fzf(1), (fzf(3, 4)).y, * FROM fzf(5) WITH ORDINALITY; DROP FUNCTION fzf",
	"WITH RECURSIVE g(n, p) AS (SELECT 1, 0 UNION ALL SELECT n + 1, n FROM g WHERE n < 4) SEARCH BREADTH FIRST BY n SET o CYCLE p SET c TO 'y' DEFAULT 'n' USING pth SELECT * FROM g ORDER BY o",
	"CREATE MATERIALIZED VIEW mv AS SELECT id, balance FROM accounts WITH NO DATA; REFRESH MATERIALIZED VIEW mv; SELECT * FROM mv TABLESAMPLE BERNOULLI (50) REPEATABLE (1); DROP MATERIALIZED VIEW mv",
	"SELECT '10.1.2.3/8'::inet << '10.0.0.0/8'::cidr, host(network('::1/64'::inet)), '1.2.3.4'::inet + 1, rank(3) WITHIN GROUP (ORDER BY balance), to_char(balance, '$9,999.99%') FROM accounts GROUP BY balance",
	"SELECT (jsonb_each('{\"a\": 1}')).*, interval '7' day, interval '1-2' year to month; ALTER TABLE accounts ALTER COLUMN version TYPE bigint USING version * 2 + length(id)",
	"DO $$ DECLARE r record; n int := 0; v accounts%ROWTYPE; BEGIN FOR r IN SELECT * FROM accounts LOOP n := n + r.balance; END LOOP; SELECT * INTO v FROM accounts WHERE id = 'a'; <<l>> WHILE n > 0 LOOP n := n - 7; EXIT l WHEN n < 3; END LOOP; BEGIN UPDATE accounts SET balance = 1 / 0; EXCEPTION WHEN division_by_zero OR SQLSTATE '22003' THEN RAISE NOTICE '% %', SQLSTATE, v.id; END; END $$",
	"CREATE FUNCTION fzp(a int) RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN FOR i IN REVERSE a..1 BY 2 LOOP RETURN NEXT i; END LOOP; RETURN QUERY EXECUTE 'SELECT $1 * 2' USING a; IF a > 3 THEN RAISE EXCEPTION USING ERRCODE = 'P0009', MESSAGE = 'big'; END IF; END $$; SELECT * FROM fzp(4); SELECT fzp(2); DROP FUNCTION fzp",
	"CREATE FUNCTION fzt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; NEW.balance := NEW.balance + coalesce(OLD.balance, 0) + TG_NARGS; RETURN NEW; END $$; CREATE TRIGGER fzt BEFORE INSERT OR UPDATE OF balance OR DELETE ON accounts FOR EACH ROW WHEN (OLD.version IS NOT NULL) EXECUTE FUNCTION fzt('a', 'b'); CREATE TRIGGER fzu AFTER UPDATE ON accounts FOR EACH ROW WHEN (NEW.balance <> OLD.balance) EXECUTE FUNCTION fzt(); UPDATE accounts SET balance = 1; INSERT INTO accounts VALUES ('q', 1, 1); DELETE FROM accounts WHERE id = 'q'; SELECT pg_get_triggerdef(oid) FROM pg_trigger; DROP TRIGGER fzt ON accounts",
	"CREATE FUNCTION fzo(a int, OUT q int, OUT r text) LANGUAGE plpgsql AS $$ BEGIN q := a * 2; r := a::text; END $$; CREATE PROCEDURE fzpr(k text) LANGUAGE plpgsql AS $$ BEGIN UPDATE accounts SET version = version + 1 WHERE id = k; END $$; SELECT fzo(1), (fzo(2)).r, * FROM fzo(3); CALL fzpr('a'); DROP PROCEDURE fzpr; DROP FUNCTION fzo",
	"CREATE FUNCTION fz_add(id text, b int8) RETURNS int8 LANGUAGE sql AS $$ INSERT INTO accounts (id, balance) VALUES (id, b); SELECT sum(balance) FROM accounts $$; SELECT fz_add('z', 1)",
	"CREATE FUNCTION fz_v(sep text, VARIADIC p text[]) RETURNS text LANGUAGE sql AS $$ SELECT array_to_string(p, sep) $$; SELECT fz_v('-', 'a', 'b'), fz_v('+', VARIADIC ARRAY['x'])",
	"CREATE PROCEDURE fz_p(INOUT a int, OUT b int) LANGUAGE plpgsql AS $$ BEGIN b := a * 2; a := a + 1; COMMIT; END $$; CALL fz_p(1, NULL)",
	"CREATE FUNCTION fz_rows(k int8) RETURNS SETOF accounts LANGUAGE sql AS $$ SELECT * FROM accounts WHERE balance > k $$; SELECT a.id, a.fz_rows FROM accounts a",
	"DO $$ DECLARE c refcursor; r record; a int[]; BEGIN OPEN c FOR SELECT * FROM accounts; FETCH LAST FROM c INTO r; MOVE ABSOLUTE -1 IN c; a[3] := 1; a[2][1] := 2; CLOSE c; END $$",
	"CREATE VIEW fz_view AS SELECT id, balance AS b FROM accounts WHERE balance >= 0 WITH CHECK OPTION; UPDATE fz_view SET b = b - 1000 WHERE id = 'a' RETURNING *",
	"CREATE TRIGGER fz_t AFTER UPDATE ON accounts REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION nope()",
	"SELECT * FROM (WITH x AS (DELETE FROM accounts RETURNING *) SELECT * FROM x) s",
	"DO $$ <<o>> DECLARE x int := 1; r accounts%ROWTYPE; BEGIN FOR i IN 1..2 LOOP DECLARE c int := o.x; BEGIN c := c + i; END; END LOOP; IF r.id IS NULL THEN x := 2; END IF; END $$",
	"CREATE FUNCTION fz_rp(r accounts) RETURNS int8 LANGUAGE plpgsql AS $$ BEGIN r.balance := r.balance * 2; RETURN r.balance; END $$; SELECT fz_rp(a), (a).* FROM accounts a",
	"BEGIN; DECLARE c NO SCROLL CURSOR WITH HOLD FOR SELECT * FROM accounts; FETCH ABSOLUTE 2 FROM c; FETCH PRIOR FROM c; COMMIT; FETCH RELATIVE -1 FROM c; CLOSE ALL",
	"CREATE FUNCTION fz_ct() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$; CREATE CONSTRAINT TRIGGER fz_c AFTER INSERT ON accounts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fz_ct(); BEGIN; SET CONSTRAINTS fz_c IMMEDIATE; INSERT INTO accounts (id, balance) VALUES ('q', 1); COMMIT",
	"SELECT * FROM ROWS FROM (generate_series(1, 3), unnest(ARRAY['a']), jsonb_to_record('{\"a\": 1}') AS (a int)) WITH ORDINALITY AS r(x, y, z, o), date_trunc('millennium', now())",
	"SELECT crypt('pw', gen_salt('bf', 4)), crypt('pw', '$1$ab$'), encode(hmac(digest('x', 'sha1'), 'k', 'md5'), 'hex'), gen_random_bytes(4)",
}

// FuzzStatement runs arbitrary statement texts against a small database:
// each must return rows or an *Error, never panic. Seeded from the tests.
func FuzzStatement(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	e := sql.NewEngine(db)
	setup := e.NewSession("fuzz", "")
	ctx := context.Background()
	if err := setup.Query(ctx, `CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL, version int4, tags text[]);
		INSERT INTO accounts VALUES ('a', 100, 1, ARRAY['x']), ('b', 50, 2, '{}')`, func(*sql.Result) error { return nil }); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s := e.NewSession("fuzz", "")
		defer s.Close()
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		k := &checkSink{t: t}
		err := s.Query(sql.WithRowSink(ctx, k), text, func(r *sql.Result) error {
			if r.Streamed != k.started {
				t.Fatalf("a result streamed %v after a sink started %v", r.Streamed, k.started)
			}
			k.started = false
			return nil
		})
		if err != nil && sql.AsError(err).Code == "" {
			t.Fatalf("error without SQLSTATE: %v", err)
		}
		if _, err := s.Prepare(ctx, text, nil); err != nil && sql.AsError(err).Code == "" {
			t.Fatalf("prepare: error without SQLSTATE: %v", err)
		}
	})
}

// checkSink is a RowSink that checks what a streamed statement hands it: Start once, before rows as wide as
// its columns.
type checkSink struct {
	t       *testing.T
	started bool
	cols    int
}

func (k *checkSink) Start(r *sql.Result) error {
	if k.started {
		k.t.Fatal("Start twice in one statement")
	}
	k.started, k.cols = true, len(r.Columns)
	return nil
}

func (k *checkSink) Rows(rows [][]any) error {
	if !k.started {
		k.t.Fatal("rows before Start")
	}
	for _, r := range rows {
		if len(r) != k.cols {
			k.t.Fatalf("a row of %d values under %d columns", len(r), k.cols)
		}
	}
	return nil
}
