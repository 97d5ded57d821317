package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// plpgsqlSteps: DO blocks and PL/pgSQL functions, their control flow, their SQL with variables as parameters,
// EXCEPTION clauses rolling back to a savepoint, RAISE, and the errors' CONTEXT; compared with PostgreSQL 15
// (TestCompare_PostgreSQL).
var plpgsqlSteps = []struct{ sql, want string }{
	{"CREATE TABLE placct (id int PRIMARY KEY, owner text, balance numeric(10,2) NOT NULL CHECK (balance >= 0))", ""},
	{"INSERT INTO placct VALUES (1, 'ann', 100), (2, 'bob', 50)", ""},
	{"DO $$ DECLARE n int := 0; BEGIN FOR i IN 1..10 LOOP n := n + i; END LOOP; INSERT INTO placct VALUES (n, 'sum', n); END $$", "DO"},
	{"DO $$ DECLARE r record; t numeric := 0; BEGIN FOR r IN SELECT * FROM placct WHERE id < 50 ORDER BY id LOOP t := t + r.balance; END LOOP; UPDATE placct SET owner = 'total ' || t WHERE id = 55; END $$", "DO"},
	{"SELECT * FROM placct ORDER BY id", "1|ann|100.00\n2|bob|50.00\n55|total 150.00|55.00\nSELECT 3"},
	// An error the block catches undoes the block's writes only; one it does not catch undoes the whole DO.
	{"DO $$ BEGIN INSERT INTO placct VALUES (3, 'cy', 10); BEGIN INSERT INTO placct VALUES (4, 'di', 1); INSERT INTO placct VALUES (1, 'dup', 1); EXCEPTION WHEN unique_violation THEN UPDATE placct SET owner = SQLSTATE WHERE id = 3; END; END $$", "DO"},
	{"DO $$ BEGIN INSERT INTO placct VALUES (5, 'ed', 10); INSERT INTO placct VALUES (1, 'dup', 1); END $$",
		`ERROR 23505 duplicate key value violates unique constraint "placct_pkey" CONTEXT: SQL statement "INSERT INTO placct VALUES (1, 'dup', 1)"` + "\nPL/pgSQL function inline_code_block line 1 at SQL statement"},
	{"SELECT id, owner FROM placct WHERE id BETWEEN 3 AND 5 ORDER BY id", "3|23505\nSELECT 1"},
	{"DO $$ BEGIN UPDATE placct SET balance = balance - 500 WHERE id = 1; EXCEPTION WHEN check_violation THEN UPDATE placct SET owner = 'refused' WHERE id = 1; END $$", "DO"},
	{"DO $$ DECLARE n int; BEGIN SELECT count(*) INTO n FROM placct; UPDATE placct SET balance = balance + 1 WHERE balance > 20; GET DIAGNOSTICS n = ROW_COUNT; INSERT INTO placct VALUES (90 + n, 'rows', n); END $$", "DO"},
	{"DO $$ DECLARE v placct%ROWTYPE; BEGIN SELECT * INTO v FROM placct WHERE id = 2; INSERT INTO placct VALUES (60, v.owner || '2', v.balance); END $$", "DO"},
	{"SELECT * FROM placct ORDER BY id", "1|refused|101.00\n2|bob|51.00\n3|23505|10.00\n55|total 150.00|56.00\n60|bob2|51.00\n93|rows|3.00\nSELECT 6"},
	{"DO $$ DECLARE o text; BEGIN SELECT owner INTO STRICT o FROM placct WHERE id = 99; END $$",
		"ERROR P0002 query returned no rows CONTEXT: PL/pgSQL function inline_code_block line 1 at SQL statement"},
	{"DO $$ DECLARE o text; BEGIN SELECT owner INTO STRICT o FROM placct; END $$", "ERROR P0003 query returned more than one row"},
	{"DO $$ DECLARE id int := 1; BEGIN UPDATE placct SET balance = 0 WHERE id = id; END $$", `ERROR 42702 column reference "id" is ambiguous`},
	{"DO $$ DECLARE owner text; BEGIN UPDATE placct SET balance = 0 FROM placct p2 WHERE p2.id = 99 AND owner = 'x'; END $$", `ERROR 42702 column reference "owner" is ambiguous`},
	{"DO $$ DECLARE owner text; BEGIN PERFORM 1 FROM (SELECT 1 AS z) s JOIN placct ON true WHERE owner = 'x'; END $$", `ERROR 42702 column reference "owner" is ambiguous`},
	{"BEGIN READ ONLY", ""},
	{"DO $$ DECLARE k int; BEGIN WITH u AS (UPDATE placct SET balance = 0 RETURNING 1) SELECT count(*) INTO k FROM u; END $$", "ERROR 25006 cannot execute SELECT in a read-only transaction"},
	{"ROLLBACK", ""},
	{"DO $$ BEGIN RAISE EXCEPTION 'custom % here', 'x' USING ERRCODE = 'P0042', HINT = 'a hint'; END $$",
		"ERROR P0042 custom x here HINT: a hint CONTEXT: PL/pgSQL function inline_code_block line 1 at RAISE"},
	{"DO $$ BEGIN RAISE division_by_zero; END $$", "ERROR 22012 division_by_zero"},
	{"DO $$ BEGIN PERFORM 1/0; EXCEPTION WHEN others THEN RAISE EXCEPTION 'caught %', SQLSTATE; END $$", "ERROR P0001 caught 22012"},
	{"DO $$ BEGIN BEGIN PERFORM 1/0; EXCEPTION WHEN division_by_zero THEN RAISE; END; END $$", "ERROR 22012 division by zero"},
	{"DO $$ DECLARE x int := 5; r text; BEGIN CASE WHEN x < 3 THEN r := 'small'; WHEN x < 10 THEN r := 'mid'; END CASE; CASE x WHEN 1, 2 THEN r := r || ' one'; ELSE r := r || ' other'; END CASE; RAISE EXCEPTION '%', r; END $$", "ERROR P0001 mid other"},
	{"DO $$ DECLARE x int := 0; BEGIN WHILE x < 100 LOOP x := x + 7; EXIT WHEN x > 50; END LOOP; <<outer>> LOOP x := x + 1; LOOP EXIT outer WHEN x > 60; x := x + 1; END LOOP; END LOOP; RAISE EXCEPTION 'x %', x; END $$", "ERROR P0001 x 61"},
	{"DO $$ DECLARE a int[] := ARRAY[1,2,3]; s int := 0; x int; BEGIN FOREACH x IN ARRAY a LOOP CONTINUE WHEN x = 2; s := s + x; END LOOP; FOR i IN REVERSE 10..1 BY 4 LOOP s := s * 10 + i; END LOOP; RAISE EXCEPTION '%', s; END $$", "ERROR P0001 5062"},
	{"DO $$ BEGIN EXECUTE 'UPDATE placct SET balance = balance + $1 WHERE id = $2' USING 5, 2; EXECUTE format('INSERT INTO %I VALUES (%s, %L, 1)', 'placct', 7, 'gus'); END $$", "DO"},
	{"SELECT id, owner, balance FROM placct WHERE id IN (2, 7) ORDER BY id", "2|bob|56.00\n7|gus|1.00\nSELECT 2"},
	{"DO $$ BEGIN CREATE TYPE plmood AS ENUM ('a', 'b'); EXCEPTION WHEN duplicate_object THEN NULL; END $$", "DO"},
	{"DO $$ BEGIN CREATE TYPE plmood AS ENUM ('a', 'b'); EXCEPTION WHEN duplicate_object THEN NULL; END $$", "DO"},
	{"SELECT enum_range(NULL::plmood)", "{a,b}\nSELECT 1"},
	{"DROP TYPE plmood", ""},
	{"DO $$ BEGIN ASSERT 1 = 2, 'nope'; END $$", "ERROR P0004 nope"},
	{"DO $$ BEGIN SELECT 1; END $$", "ERROR 42601 query has no destination for result data"},
	{"DO $$ DECLARE x int; BEGIN x := 'abc'; END $$", `ERROR 22P02 invalid input syntax for type integer: "abc"`},
	{"DO LANGUAGE sql $$ SELECT 1 $$", `ERROR 0A000 language "sql" does not support inline code execution`},
	{"BEGIN", ""},
	{"DO $$ BEGIN UPDATE placct SET balance = 1 WHERE id = 2; END $$", "DO"},
	{"ROLLBACK", ""},
	{"SELECT balance FROM placct WHERE id = 2", "56.00\nSELECT 1"},
	// Functions.
	{"CREATE FUNCTION pladd(a int, b int DEFAULT 10) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN a + b; END $$", "CREATE FUNCTION"},
	{"SELECT pladd(1, 2), pladd(5), pladd(NULL)", "3|15|\nSELECT 1"},
	{`CREATE FUNCTION pltransfer(src int, dst int, amount numeric) RETURNS text LANGUAGE plpgsql AS $$
DECLARE moved int;
BEGIN
  UPDATE placct SET balance = balance - amount WHERE id = src;
  IF NOT FOUND THEN RAISE EXCEPTION 'no account %', src USING ERRCODE = 'no_data_found'; END IF;
  UPDATE placct SET balance = balance + amount WHERE id = dst;
  GET DIAGNOSTICS moved = ROW_COUNT;
  IF moved = 0 THEN RAISE EXCEPTION 'no account %', dst; END IF;
  RETURN 'moved ' || amount;
END $$`, "CREATE FUNCTION"},
	{"SELECT pltransfer(1, 2, 30)", "moved 30\nSELECT 1"},
	{"SELECT pltransfer(1, 2, 1000)", `ERROR 23514 new row for relation "placct" violates check constraint "placct_balance_check" CONTEXT: SQL statement "UPDATE placct SET balance = balance - amount WHERE id = src"` +
		"\nPL/pgSQL function pltransfer(integer,integer,numeric) line 4 at SQL statement"},
	{"SELECT pltransfer(1, 9, 5)", "ERROR P0001 no account 9 CONTEXT: PL/pgSQL function pltransfer(integer,integer,numeric) line 8 at RAISE"},
	{"SELECT pltransfer(9, 1, 5)", "ERROR P0002 no account 9"},
	{"SELECT id, balance FROM placct WHERE id IN (1, 2) ORDER BY id", "1|71.00\n2|86.00\nSELECT 2"},
	{"CREATE FUNCTION plevens(n int) RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP IF i % 2 = 0 THEN RETURN NEXT i; END IF; END LOOP; END $$", "CREATE FUNCTION"},
	{"SELECT * FROM plevens(7)", "2\n4\n6\nSELECT 3"},
	{"SELECT plevens(5)", "2\n4\nSELECT 2"},
	{"CREATE FUNCTION plrich(min numeric) RETURNS TABLE(who text, amt numeric) LANGUAGE plpgsql AS $$ BEGIN RETURN QUERY SELECT owner, balance FROM placct WHERE balance >= min ORDER BY id; END $$", "CREATE FUNCTION"},
	{"SELECT * FROM plrich(60)", "refused|71.00\nbob|86.00\nSELECT 2"},
	{"CREATE FUNCTION pltab() RETURNS TABLE(k int, v text) LANGUAGE plpgsql AS $$ BEGIN k := 1; v := 'a'; RETURN NEXT; k := 2; v := 'b'; RETURN NEXT; END $$", "CREATE FUNCTION"},
	{"SELECT * FROM pltab()", "1|a\n2|b\nSELECT 2"},
	{"CREATE FUNCTION plnoret(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF x > 0 THEN RETURN 1; END IF; END $$", "CREATE FUNCTION"},
	{"SELECT plnoret(1)", "1\nSELECT 1"},
	{"SELECT plnoret(0)", "ERROR 2F005 control reached end of function without RETURN CONTEXT: PL/pgSQL function plnoret(integer)"},
	{"CREATE FUNCTION plfact(n int) RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN IF n <= 1 THEN RETURN 1; END IF; RETURN n * plfact(n - 1); END $$", "CREATE FUNCTION"},
	{"SELECT plfact(10), id FROM placct WHERE id < 3 ORDER BY id", "3628800|1\n3628800|2\nSELECT 2"},
	{"CREATE FUNCTION plsafe(a int, b int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN a / b; EXCEPTION WHEN division_by_zero THEN RETURN NULL; END $$", "CREATE FUNCTION"},
	{"SELECT plsafe(4, 2), plsafe(1, 0)", "2|\nSELECT 1"},
	{"CREATE FUNCTION plbad() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1 END $$", "ERROR 42601 syntax error at end of input"},
	{"CREATE FUNCTION plbad() RETURNS int LANGUAGE plpgsql AS $$ BEGIN SELEC 1; RETURN 1; END $$", `ERROR 42601 syntax error at or near "SELEC"`},
	{"CREATE FUNCTION plvoid() RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE placct SET owner = 'v' WHERE id = 7; END $$", "CREATE FUNCTION"},
	{"SELECT plvoid()", "\nSELECT 1"},
	{"SELECT owner FROM placct WHERE id = 7", "v\nSELECT 1"},
	{"SELECT p.proname, l.lanname, p.prorettype::regtype FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang WHERE p.proname IN ('pladd', 'plevens', 'plvoid') ORDER BY 1",
		"pladd|plpgsql|integer\nplevens|plpgsql|integer\nplvoid|plpgsql|void\nSELECT 3"},
	// OUT parameters: a record of them, or the one's value.
	{"CREATE FUNCTION pldivmod(a int, b int, OUT q int, OUT r int) LANGUAGE plpgsql AS $$ BEGIN q := a / b; r := a % b; END $$", "CREATE FUNCTION"},
	{"SELECT pldivmod(17, 5), (pldivmod(17, 5)).r", "(3,2)|2\nSELECT 1"},
	{"SELECT * FROM pldivmod(17, 5)", "3|2\nSELECT 1"},
	{"CREATE FUNCTION plsq(a int, OUT s int) LANGUAGE plpgsql AS $$ BEGIN s := a * a; END $$", "CREATE FUNCTION"},
	{"SELECT plsq(7), pg_typeof(plsq(7))", "49|integer\nSELECT 1"},
	{"SELECT pg_get_function_arguments(oid), pg_get_function_result(oid), proretset FROM pg_proc WHERE proname IN ('pldivmod', 'plsq') ORDER BY proname",
		"a integer, b integer, OUT q integer, OUT r integer|record|f\na integer, OUT s integer|integer|f\nSELECT 2"},
	{"CREATE FUNCTION plbadout(a int, OUT q int) LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$", "ERROR 42804 RETURN cannot have a parameter in function with OUT parameters"},
	{"CREATE FUNCTION plbadset(a int) RETURNS SETOF int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$", "ERROR 42804 RETURN cannot have a parameter in function returning set"},
	{"DROP FUNCTION pldivmod, plsq", "DROP FUNCTION"},
	// Procedures, run by CALL.
	{"CREATE PROCEDURE plmove(src int, dst int, amt numeric) LANGUAGE plpgsql AS $$ BEGIN UPDATE placct SET balance = balance - amt WHERE id = src; UPDATE placct SET balance = balance + amt WHERE id = dst; END $$", "CREATE PROCEDURE"},
	{"CALL plmove(2, 1, 6)", "CALL"},
	{"CALL plmove(2, 1, 1000)", `ERROR 23514 new row for relation "placct" violates check constraint "placct_balance_check"`},
	{"SELECT id, balance FROM placct WHERE id IN (1, 2) ORDER BY id", "1|77.00\n2|80.00\nSELECT 2"},
	{"SELECT plmove(1, 2, 3)", "ERROR 42809 plmove(integer, integer, integer) is a procedure HINT: To call a procedure, use CALL."},
	{"CALL pladd(1, 2)", "ERROR 42809 pladd(integer, integer) is not a procedure HINT: To call a function, use SELECT."},
	{"SELECT prokind, pg_get_function_result(oid), pg_get_function_arguments(oid) FROM pg_proc WHERE proname = 'plmove'",
		"p||IN src integer, IN dst integer, IN amt numeric\nSELECT 1"},
	{"DROP PROCEDURE plmove(int, int, numeric)", "DROP PROCEDURE"},
	{"DROP FUNCTION pladd, pltransfer, plevens, plrich, pltab, plnoret, plfact, plsafe, plvoid", "DROP FUNCTION"},
	{"DROP TABLE placct", ""},
}

// TestPLpgSQL_Notices: RAISE NOTICE and WARNING reach the client as notices while the block runs on.
func TestPLpgSQL_Notices(t *testing.T) {
	url, _ := startServer(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, n.Severity+" "+n.Code+" "+n.Message)
	}
	c, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "DO $$ BEGIN RAISE NOTICE 'hello %, %', 1 + 1, NULL; RAISE WARNING 'careful %%'; END $$"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	want := []string{"NOTICE 00000 hello 2, <NULL>", "WARNING 01000 careful %"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("notices %q, want %q", got, want)
	}
	got = nil
	mu.Unlock()

	// A notice reaches the client as it is raised: before the error that ends the block, and while the block
	// still runs.
	if _, err := c.Exec(context.Background(), "DO $$ BEGIN RAISE NOTICE 'step 1'; PERFORM 1/0; END $$"); err == nil {
		t.Fatal("division by zero succeeded")
	}
	mu.Lock()
	if fmt.Sprint(got) != fmt.Sprint([]string{"NOTICE 00000 step 1"}) {
		t.Fatalf("notices before the error: %q", got)
	}
	mu.Unlock()
	var noticeAt time.Time
	cfg.OnNotice = func(*pgconn.PgConn, *pgconn.Notice) { noticeAt = time.Now() }
	c2, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(context.Background())
	if _, err := c2.Exec(context.Background(), "DO $$ BEGIN RAISE NOTICE 'started'; PERFORM pg_sleep(1); END $$"); err != nil {
		t.Fatal(err)
	}
	if wait := time.Since(noticeAt); noticeAt.IsZero() || wait < 500*time.Millisecond {
		t.Fatalf("the notice came %v before the block ended, want it at the start (about 1 s)", wait)
	}
}

// TestPLpgSQL_ConcurrentTransfers: 16 clients call a PL/pgSQL transfer function (two UPDATEs, a balance check in
// the first one's WHERE clause, an exception when it moves nothing), each call autocommitted, retried on 40001.
// Money is conserved and no balance goes below zero.
func TestPLpgSQL_ConcurrentTransfers(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, s := range []string{
		"CREATE TABLE plbank (id int PRIMARY KEY, balance int NOT NULL)",
		"INSERT INTO plbank SELECT g, 100 FROM generate_series(1, 8) g",
		`CREATE FUNCTION plmove(src int, dst int, amount int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  UPDATE plbank SET balance = balance - amount WHERE id = src AND balance >= amount;
  IF NOT FOUND THEN RETURN false; END IF;
  UPDATE plbank SET balance = balance + amount WHERE id = dst;
  RETURN true;
END $$`,
	} {
		if _, err := setup.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	const clients, calls = 16, 40
	runClients(t, url, clients, func(ctx context.Context, c *pgx.Conn, i int) error {
		for k := 0; k < calls; k++ {
			src, dst := 1+(i+k)%8, 1+(i+3*k+1)%8
			if src == dst {
				dst = 1 + dst%8
			}
			for {
				var ok bool
				err := c.QueryRow(ctx, "SELECT plmove($1, $2, $3)", src, dst, 1+k%30).Scan(&ok)
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "40001" {
					continue
				}
				if err != nil {
					return err
				}
				break
			}
		}
		return nil
	})
	var sum, low int64
	if err := setup.QueryRow(ctx, "SELECT sum(balance), min(balance) FROM plbank").Scan(&sum, &low); err != nil {
		t.Fatal(err)
	}
	if sum != 800 || low < 0 {
		t.Fatalf("sum %d, lowest balance %d; want 800 and none below 0", sum, low)
	}
}

// ormSteps: what Sequelize's sync({alter: true}) and upsert run: name[] from array_agg of a catalog's names, a
// second UNIQUE on a column (named <table>_<col>_key1), an upsert that sets the key it conflicted on, and a type
// change of a column of a table another references (by another column); compared with PostgreSQL 15.
var ormSteps = []struct{ sql, want string }{
	{"CREATE TABLE ormp (id int PRIMARY KEY, name text UNIQUE, note text)", ""},
	{"CREATE TABLE ormc (id int PRIMARY KEY, p int REFERENCES ormp (id))", ""},
	{"SELECT pg_typeof(array_agg(attname)), array_agg(attname ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'ormp'::regclass AND attnum > 0",
		"name[]|{id,name,note}\nSELECT 1"},
	{"ALTER TABLE ormp ADD UNIQUE (name)", "ALTER TABLE"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'ormp' ORDER BY 1", "ormp_name_key\normp_name_key1\normp_pkey\nSELECT 3"},
	{"INSERT INTO ormp VALUES (1, 'a', 'x')", ""},
	{`INSERT INTO ormp (id, name) VALUES (1, 'b') ON CONFLICT (id) DO UPDATE SET id = EXCLUDED.id, name = EXCLUDED.name RETURNING id, name, note`, "1|b|x\nINSERT 0 1"},
	{"ALTER TABLE ormp ALTER COLUMN note TYPE varchar(50)", "ALTER TABLE"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ormp'::regclass AND attname = 'note'", "character varying(50)\nSELECT 1"},
	{"DROP TABLE ormc, ormp", ""},
}

// plDriverSteps: PL/pgSQL on `concord sql --mongodb-uri`, where a block with an EXCEPTION clause, which needs a
// savepoint MongoDB's transactions do not have, is refused and the rest runs.
var plDriverSteps = []struct{ sql, want string }{
	{"CREATE TABLE pldrv (id int PRIMARY KEY, n int)", ""},
	{"DO $$ BEGIN FOR i IN 1..3 LOOP INSERT INTO pldrv VALUES (i, i * i); END LOOP; END $$", "DO"},
	{"CREATE FUNCTION pldrvsum() RETURNS bigint LANGUAGE plpgsql AS $$ DECLARE s bigint; BEGIN SELECT sum(n) INTO s FROM pldrv; RETURN s; END $$", "CREATE FUNCTION"},
	{"SELECT pldrvsum()", "14\nSELECT 1"},
	{"DO $$ BEGIN INSERT INTO pldrv VALUES (4, 0); EXCEPTION WHEN others THEN NULL; END $$",
		"ERROR 0A000 SAVEPOINT on concord sql --mongodb-uri (MongoDB's transactions have no savepoints) is not supported by Concord"},
	{"SELECT count(*) FROM pldrv", "3\nSELECT 1"},
	{"DROP FUNCTION pldrvsum", ""},
	{"DROP TABLE pldrv", ""},
}

// TestPLpgSQL_Batch: a pipelined batch (one Sync for several statements, run as one implicit transaction) that
// calls a PL/pgSQL function and runs a DO block: both run in the batch's transaction, and a later failure in
// the batch rolls back what they wrote.
func TestPLpgSQL_Batch(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, s := range []string{"CREATE TABLE plb (id int PRIMARY KEY)",
		"CREATE FUNCTION plbadd(k int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO plb VALUES (k); RETURN k; END $$"} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	b := &pgx.Batch{}
	b.Queue("SELECT plbadd(1)")
	b.Queue("DO $$ BEGIN INSERT INTO plb VALUES (2); END $$")
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	b = &pgx.Batch{}
	b.Queue("SELECT plbadd(3)")
	b.Queue("DO $$ BEGIN INSERT INTO plb VALUES (4); END $$")
	b.Queue("SELECT plbadd(1)") // a duplicate key: the batch's transaction rolls back
	if err := c.SendBatch(ctx, b).Close(); err == nil {
		t.Fatal("the batch with a duplicate key succeeded")
	}
	var ids []int32
	rows, err := c.Query(ctx, "SELECT id FROM plb ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[1 2]" {
		t.Fatalf("rows %v, want [1 2]", ids)
	}
}

// databaseSteps: CREATE DATABASE and DROP DATABASE, as Django's test runner, Rails' db:create and Prisma's
// shadow database run them; compared with PostgreSQL 15.
var databaseSteps = []struct{ sql, want string }{
	{"DROP DATABASE IF EXISTS cmpdb1", ""},
	{"CREATE DATABASE cmpdb1", "CREATE DATABASE"},
	{"CREATE DATABASE cmpdb1", `ERROR 42P04 database "cmpdb1" already exists`},
	{"CREATE DATABASE cmpdb2 WITH ENCODING 'UTF8' TEMPLATE template0", "CREATE DATABASE"},
	{"SELECT datname FROM pg_database WHERE datname LIKE 'cmpdb%' ORDER BY 1", "cmpdb1\ncmpdb2\nSELECT 2"},
	{"BEGIN", ""},
	{"CREATE DATABASE cmpdb3", "ERROR 25001 CREATE DATABASE cannot run inside a transaction block"},
	{"ROLLBACK", ""},
	{"DROP DATABASE cmpdb1", "DROP DATABASE"},
	{"DROP DATABASE cmpdb1", `ERROR 3D000 database "cmpdb1" does not exist`},
	{"DROP DATABASE IF EXISTS cmpdb1", "DROP DATABASE"},
	{"DROP DATABASE cmpdb2", "DROP DATABASE"},
	{"SELECT count(*) FROM pg_database WHERE datname LIKE 'cmpdb%'", "0\nSELECT 1"},
}

// TestDatabase_DropInUse: DROP DATABASE of a database another session is connected to is 55006; of the
// session's own too; WITH (FORCE) ends the other session and drops the database with its tables.
func TestDatabase_DropInUse(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	admin := connect(t, url)
	if _, err := admin.Exec(ctx, "CREATE DATABASE dbinuse"); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = "dbinuse"
	other, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, "CREATE TABLE kept (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Exec(ctx, "DROP DATABASE dbinuse"); sqlState(err) != "55006" {
		t.Fatalf("dropping the session's own database: %v, want 55006", err)
	}
	_, err = admin.Exec(ctx, "DROP DATABASE dbinuse")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "55006" || pe.Detail != "There is 1 other session using the database." {
		t.Fatalf("dropping a database in use: %v, want 55006", err)
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE dbinuse WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
	if err := other.Ping(ctx); err == nil {
		t.Fatal("the other session survived DROP DATABASE ... WITH (FORCE)")
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = 'dbinuse'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("pg_database lists the dropped database: %d, %v", n, err)
	}
	again, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close(ctx)
	if _, err := again.Exec(ctx, "SELECT * FROM kept"); sqlState(err) != "42P01" {
		t.Fatalf("a table of the dropped database: %v, want 42P01", err)
	}
}

// TestPLpgSQL_AutocommitConflictsWait: 16 clients each run 25 autocommitted DO blocks that increment one row, and
// call a PL/pgSQL function that increments another, without retrying anything: as a READ COMMITTED statement of
// PostgreSQL's waits for the row's other writer, none of them fails with 40001, and no increment is lost.
func TestPLpgSQL_AutocommitConflictsWait(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	execAll(t, setup,
		"CREATE TABLE plhot (id int PRIMARY KEY, n int NOT NULL)",
		"INSERT INTO plhot VALUES (1, 0), (2, 0)",
		"CREATE FUNCTION plbump(k int) RETURNS int LANGUAGE plpgsql AS $$ DECLARE v int; BEGIN UPDATE plhot SET n = n + 1 WHERE id = k RETURNING n INTO v; RETURN v; END $$")
	const clients, calls = 16, 25
	runClients(t, url, clients, func(ctx context.Context, c *pgx.Conn, _ int) error {
		for k := 0; k < calls; k++ {
			if _, err := c.Exec(ctx, "DO $$ BEGIN UPDATE plhot SET n = n + 1 WHERE id = 1; END $$"); err != nil {
				return fmt.Errorf("DO: %w", err)
			}
			var v int
			if err := c.QueryRow(ctx, "SELECT plbump($1)", 2).Scan(&v); err != nil {
				return fmt.Errorf("plbump: %w", err)
			}
		}
		return nil
	})
	var a, b int
	if err := setup.QueryRow(context.Background(), "SELECT (SELECT n FROM plhot WHERE id = 1), (SELECT n FROM plhot WHERE id = 2)").Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != clients*calls || b != clients*calls {
		t.Fatalf("counters %d and %d, want %d each", a, b, clients*calls)
	}
}
