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

// routineSteps: functions and procedures in LANGUAGE sql of several statements or that write, INOUT, OUT and
// VARIADIC parameters, a table's row type as a function's result, and the errors PostgreSQL gives around them (a
// data-modifying WITH below the top level, CALL of a function); compared with PostgreSQL 15.
var routineSteps = []struct{ sql, want string }{
	{"CREATE TABLE rtn (id int PRIMARY KEY, name text, n int DEFAULT 0)", ""},
	// Several statements, a write among them; a parameter named like a column is the column where one is in scope.
	{"CREATE FUNCTION rtn_add(id int, name text) RETURNS int LANGUAGE sql AS $$ INSERT INTO rtn (id, name) VALUES (id, name); SELECT count(*)::int FROM rtn $$", ""},
	{"SELECT rtn_add(1, 'one')", "1\nSELECT 1"},
	{"SELECT rtn_add(2, 'two'), rtn_add(3, 'three')", "2|3\nSELECT 1"},
	{"CREATE FUNCTION rtn_named(name text) RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM rtn WHERE name = name $$", ""},
	{"SELECT rtn_named('nobody')", "3\nSELECT 1"},
	{"CREATE FUNCTION rtn_q(name text) RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM rtn WHERE rtn.name = rtn_q.name $$", ""},
	{"SELECT rtn_q('one')", "1\nSELECT 1"},
	// RETURNING as the result; a table's row type, one row or a set.
	{"CREATE FUNCTION rtn_bump(k int) RETURNS SETOF rtn LANGUAGE sql AS $$ UPDATE rtn SET n = n + 1 WHERE id >= k RETURNING * $$", ""},
	{"SELECT * FROM rtn_bump(2) ORDER BY id", "2|two|1\n3|three|1\nSELECT 2"},
	{"CREATE FUNCTION rtn_one(k int) RETURNS rtn LANGUAGE sql AS $$ SELECT * FROM rtn WHERE id = k $$", ""},
	{"SELECT * FROM rtn_one(3)", "3|three|1\nSELECT 1"},
	{"SELECT rtn_one(3), (rtn_one(2)).name", "(3,three,1)|two\nSELECT 1"},
	{"CREATE FUNCTION rtn_pl(k int) RETURNS SETOF rtn LANGUAGE plpgsql AS $$ DECLARE r rtn; BEGIN FOR r IN SELECT * FROM rtn WHERE id <= k ORDER BY id LOOP RETURN NEXT r; END LOOP; RETURN QUERY SELECT * FROM rtn WHERE id = 3; END $$", ""},
	{"SELECT * FROM rtn_pl(2)", "1|one|0\n2|two|1\n3|three|1\nSELECT 3"},
	{"CREATE FUNCTION rtn_pl1(k int) RETURNS rtn LANGUAGE plpgsql AS $$ DECLARE r rtn; BEGIN SELECT * INTO r FROM rtn WHERE id = k; RETURN r; END $$", ""},
	{"SELECT * FROM rtn_pl1(2)", "2|two|1\nSELECT 1"},
	{"CREATE FUNCTION rtn_noret(k int) RETURNS rtn LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$", ""},
	{"SELECT * FROM rtn_noret(1)", "ERROR 2F005 control reached end of function without RETURN"},
	{"SELECT pg_get_function_result('rtn_bump'::regproc), pg_get_function_result('rtn_one'::regproc)", "SETOF rtn|rtn\nSELECT 1"},
	// A void function; errors in the body name the statement; the final statement must give the result.
	{"CREATE FUNCTION rtn_drop(x int) RETURNS void LANGUAGE sql AS $$ DELETE FROM rtn WHERE id = $1 $$", ""},
	{"SELECT rtn_drop(3)", "\nSELECT 1"},
	{"CREATE FUNCTION rtn_bad() RETURNS int LANGUAGE sql AS $$ INSERT INTO rtn VALUES (9, 'x') $$", "ERROR 42P13 return type mismatch in function declared to return integer"},
	{"CREATE FUNCTION rtn_dup(k int) RETURNS int LANGUAGE sql AS $$ INSERT INTO rtn VALUES (k, 'dup'); SELECT 1 $$", ""},
	{"SELECT rtn_dup(1)", "ERROR 23505 duplicate key value violates unique constraint \"rtn_pkey\" CONTEXT: SQL function \"rtn_dup\" statement 1"},
	{"CREATE FUNCTION rtn_tx() RETURNS void LANGUAGE sql AS $$ COMMIT $$", ""},
	{"SELECT rtn_tx()", "ERROR 0A000 COMMIT is not allowed in an SQL function CONTEXT: SQL function \"rtn_tx\" during startup"},
	{"CREATE FUNCTION rtn_atomic(k int) RETURNS int LANGUAGE sql BEGIN ATOMIC INSERT INTO rtn VALUES (k, 'atomic'); SELECT n FROM rtn WHERE id = k; END", ""},
	{"SELECT rtn_atomic(7)", "0\nSELECT 1"},
	// Procedures in SQL: CALL runs them in the caller's transaction block, or their own.
	{"CREATE PROCEDURE rtn_proc(a int, b text) LANGUAGE sql AS $$ INSERT INTO rtn VALUES (a, b); UPDATE rtn SET n = 100 WHERE id = a $$", ""},
	{"CALL rtn_proc(8, 'eight')", "CALL"},
	{"BEGIN", ""},
	{"CALL rtn_proc(9, 'nine')", "CALL"},
	{"ROLLBACK", ""},
	{"CREATE PROCEDURE rtn_proc2(a int) LANGUAGE sql BEGIN ATOMIC DELETE FROM rtn WHERE id = a; END", ""},
	{"CALL rtn_proc2(7)", "CALL"},
	{"SELECT * FROM rtn ORDER BY id", "1|one|0\n2|two|1\n8|eight|100\nSELECT 3"},
	{"SELECT pg_get_function_arguments('rtn_proc'::regproc)", "IN a integer, IN b text\nSELECT 1"},
	// OUT, INOUT and VARIADIC parameters.
	{"CREATE FUNCTION rtn_two(OUT a int, OUT b text) LANGUAGE sql AS $$ SELECT 1, 'x' $$", ""},
	{"SELECT * FROM rtn_two()", "1|x\nSELECT 1"},
	{"SELECT rtn_two()", "(1,x)\nSELECT 1"},
	{"CREATE FUNCTION rtn_join(sep text, VARIADIC parts text[]) RETURNS text LANGUAGE sql AS $$ SELECT array_to_string(parts, sep) $$", ""},
	{"SELECT rtn_join('-', 'a', 'b', 'c'), rtn_join('+', VARIADIC ARRAY['x', 'y'])", "a-b-c|x+y\nSELECT 1"},
	{"SELECT rtn_join('-')", "ERROR 42883 function rtn_join(unknown) does not exist"},
	{"CREATE FUNCTION rtn_inout(INOUT x int, INOUT y int) LANGUAGE plpgsql AS $$ BEGIN x := x + y; y := x * 2; END $$", ""},
	{"SELECT * FROM rtn_inout(1, 2)", "3|6\nSELECT 1"},
	{"SELECT pg_get_function_arguments('rtn_inout'::regproc), pg_get_function_identity_arguments('rtn_inout'::regproc), pg_get_function_result('rtn_inout'::regproc)", "INOUT x integer, INOUT y integer|INOUT x integer, INOUT y integer|record\nSELECT 1"},
	{"CREATE FUNCTION rtn_io2(INOUT a int, OUT b int) LANGUAGE plpgsql AS $$ BEGIN b := a + 1; a := a * 10; END $$", ""},
	{"SELECT * FROM rtn_io2(4)", "40|5\nSELECT 1"},
	{"CREATE PROCEDURE rtn_pinout(INOUT a int, INOUT b text) LANGUAGE plpgsql AS $$ BEGIN a := a * 2; b := b || '!'; END $$", ""},
	{"CALL rtn_pinout(21, 'hi')", "42|hi!\nCALL"},
	{"CREATE PROCEDURE rtn_pout(IN a int, OUT b int) LANGUAGE plpgsql AS $$ BEGIN b := a * 3; END $$", ""},
	{"CALL rtn_pout(5, NULL)", "15\nCALL"},
	{"CALL rtn_pout(5)", "ERROR 42883 procedure rtn_pout(integer) does not exist HINT: No procedure matches the given name and argument types. You might need to add explicit type casts."},
	{"SELECT pg_get_function_arguments('rtn_pout'::regproc), pg_get_function_identity_arguments('rtn_pout'::regproc)", "IN a integer, OUT b integer|IN a integer, OUT b integer\nSELECT 1"},
	{"CREATE FUNCTION rtn_badvar(VARIADIC x int) RETURNS int LANGUAGE sql AS 'SELECT 1'", "ERROR 42P13 VARIADIC parameter must be an array"},
	{"CREATE FUNCTION rtn_badvar2(VARIADIC x int[], y int) RETURNS int LANGUAGE sql AS 'SELECT 1'", "ERROR 42P13 VARIADIC parameter must be the last input parameter"},
	// A trigger function that ends without RETURN; CALL of a function; data-modifying WITH below the top level.
	{"CREATE FUNCTION rtn_trig() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF false THEN RETURN NEW; END IF; END $$", ""},
	{"CREATE TRIGGER rtn_t BEFORE INSERT ON rtn FOR EACH ROW EXECUTE FUNCTION rtn_trig()", ""},
	{"INSERT INTO rtn VALUES (20, 'x')", "ERROR 2F005 control reached end of trigger procedure without RETURN"},
	{"DROP TRIGGER rtn_t ON rtn", ""},
	{"CALL now()", "ERROR 42809 now() is not a procedure HINT: To call a function, use SELECT."},
	{"CALL rtn_add(1, 'x')", "ERROR 42809 rtn_add(integer, unknown) is not a procedure HINT: To call a function, use SELECT."},
	{"SELECT * FROM (WITH x AS (INSERT INTO rtn VALUES (30, 'w') RETURNING *) SELECT * FROM x) s", "ERROR 0A000 WITH clause containing a data-modifying statement must be at the top level"},
	{"SELECT (WITH x AS (UPDATE rtn SET n = 4 RETURNING n) SELECT n FROM x LIMIT 1)", "ERROR 0A000 WITH clause containing a data-modifying statement must be at the top level"},
	{"WITH a AS (WITH b AS (DELETE FROM rtn RETURNING *) SELECT * FROM b) SELECT * FROM a", "ERROR 0A000 WITH clause containing a data-modifying statement must be at the top level"},
	{"INSERT INTO rtn WITH x AS (DELETE FROM rtn RETURNING *) SELECT * FROM x", "ERROR 0A000 WITH clause containing a data-modifying statement must be at the top level"},
	{"CREATE VIEW rtn_v AS WITH x AS (INSERT INTO rtn VALUES (31, 'v') RETURNING *) SELECT * FROM x", "ERROR 0A000 views must not contain data-modifying statements in WITH"},
	{"WITH x AS (UPDATE rtn SET n = n + 1 WHERE id = 1 RETURNING n) SELECT * FROM x", "1\nSELECT 1"},
	// COMMIT and ROLLBACK in a procedure CALL runs outside a transaction block, and in a DO block; CALL in a body.
	{"CREATE TABLE rtc (id int PRIMARY KEY, v text)", ""},
	{"CREATE PROCEDURE rtc_batch(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP INSERT INTO rtc VALUES (i, 'v' || i); IF i % 2 = 0 THEN COMMIT; ELSE ROLLBACK; END IF; END LOOP; END $$", ""},
	{"CALL rtc_batch(5)", "CALL"},
	{"BEGIN", ""},
	{"CALL rtc_batch(3)", "ERROR 2D000 invalid transaction termination CONTEXT: PL/pgSQL function rtc_batch(integer) line 1 at ROLLBACK"},
	{"ROLLBACK", ""},
	{"CREATE PROCEDURE rtc_fail() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rtc VALUES (10, 'a'); COMMIT; INSERT INTO rtc VALUES (11, 'b'); RAISE EXCEPTION 'boom'; END $$", ""},
	{"CALL rtc_fail()", "ERROR P0001 boom"},
	{"DO $$ BEGIN INSERT INTO rtc VALUES (20, 'do'); COMMIT; INSERT INTO rtc VALUES (21, 'do2'); ROLLBACK; END $$", "DO"},
	{"CREATE FUNCTION rtc_f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN COMMIT; RETURN 1; END $$", ""},
	{"SELECT rtc_f()", "ERROR 2D000 invalid transaction termination CONTEXT: PL/pgSQL function rtc_f() line 1 at COMMIT"},
	{"CREATE PROCEDURE rtc_inner() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rtc VALUES (30, 'inner'); COMMIT; END $$", ""},
	{"CREATE PROCEDURE rtc_outer() LANGUAGE plpgsql AS $$ BEGIN CALL rtc_inner(); INSERT INTO rtc VALUES (31, 'outer'); ROLLBACK; END $$", ""},
	{"CALL rtc_outer()", "CALL"},
	{"CREATE PROCEDURE rtc_chain() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rtc VALUES (40, 'c'); COMMIT AND CHAIN; INSERT INTO rtc VALUES (41, 'c'); ROLLBACK AND CHAIN; END $$", ""},
	{"CALL rtc_chain()", "CALL"},
	{"SELECT * FROM rtc ORDER BY id", "2|v2\n4|v4\n10|a\n20|do\n30|inner\n40|c\nSELECT 6"},
	{"CREATE PROCEDURE rtc_io(INOUT a int) LANGUAGE plpgsql AS $$ BEGIN a := a + 1; END $$", ""},
	{"DO $$ DECLARE x int := 5; BEGIN CALL rtc_io(x); CALL rtc_io(x); RAISE EXCEPTION 'x=%', x; END $$", "ERROR P0001 x=7"},
	{"DO $$ BEGIN CALL rtc_io(5); END $$", `ERROR 42601 procedure parameter "a" is an output parameter but corresponding argument is not writable`},
	// Fields of a variable declared with a table's row type: assigned, read as NULL before.
	{"CREATE FUNCTION rtn_tens(k int) RETURNS SETOF rtn LANGUAGE plpgsql AS $$ DECLARE r rtn; BEGIN FOR r IN SELECT * FROM rtn WHERE id <= k ORDER BY id LOOP r.n := r.n * 10; RETURN NEXT r; END LOOP; END $$", ""},
	{"SELECT * FROM rtn_tens(2)", "1|one|10\n2|two|10\nSELECT 2"},
	{"DO $$ DECLARE r rtn%ROWTYPE; BEGIN r.id := 60; r.name := 'sixty'; INSERT INTO rtn VALUES (r.id, r.name, r.n); RAISE NOTICE '%', r.n; END $$", "DO"},
	{"DO $$ DECLARE r rtn; BEGIN SELECT * INTO r FROM rtn WHERE id = 2; r.name := upper(r.name); UPDATE rtn SET name = r.name WHERE id = r.id; END $$", "DO"},
	{"SELECT * FROM rtn WHERE id IN (2, 60) ORDER BY id", "2|TWO|1\n60|sixty|\nSELECT 2"},
	{"DO $$ DECLARE r rtn; BEGIN r.nope := 1; END $$", `ERROR 42703 record "r" has no field "nope"`},
	// Cursors in PL/pgSQL: bound (with arguments) and unbound, FOR over one, FETCH and MOVE in every direction, a
	// function that returns an open cursor's name for its caller to FETCH from.
	{"CREATE TABLE rcu (id int PRIMARY KEY, v text)", ""},
	{"INSERT INTO rcu SELECT g, 'v' || g FROM generate_series(1, 6) g", ""},
	{"DO $$ DECLARE c CURSOR FOR SELECT * FROM rcu ORDER BY id; r record; n int := 0; s text := ''; BEGIN OPEN c; LOOP FETCH c INTO r; EXIT WHEN NOT FOUND; n := n + 1; s := s || r.v; END LOOP; CLOSE c; RAISE EXCEPTION '% %', n, s; END $$", "ERROR P0001 6 v1v2v3v4v5v6"},
	{"DO $$ DECLARE c CURSOR (lo int) FOR SELECT id FROM rcu WHERE id >= lo ORDER BY id; t int := 0; BEGIN FOR r IN c(4) LOOP t := t + r.id; END LOOP; OPEN c(1); CLOSE c; RAISE EXCEPTION 't=%', t; END $$", "ERROR P0001 t=15"},
	{"DO $$ DECLARE c refcursor; x int; s text := ''; BEGIN OPEN c FOR SELECT id FROM rcu ORDER BY id; FETCH LAST FROM c INTO x; s := s || x; FETCH PRIOR FROM c INTO x; s := s || x; FETCH FIRST FROM c INTO x; s := s || x; FETCH ABSOLUTE 3 FROM c INTO x; s := s || x; FETCH RELATIVE 2 FROM c INTO x; s := s || x; FETCH RELATIVE 5 FROM c INTO x; s := s || coalesce(x, 0) || found; FETCH PRIOR FROM c INTO x; s := s || x || found; MOVE BACKWARD 2 IN c; FETCH c INTO x; s := s || x; RAISE EXCEPTION '%', s; END $$", "ERROR P0001 651350false6true5"},
	{"DO $$ DECLARE c refcursor; x int; n int; BEGIN OPEN c FOR EXECUTE 'SELECT id FROM rcu WHERE id > $1 ORDER BY id' USING 3; MOVE FORWARD ALL IN c; GET DIAGNOSTICS n = ROW_COUNT; MOVE ABSOLUTE 0 IN c; FETCH c INTO x; RAISE EXCEPTION '% %', n, x; END $$", "ERROR P0001 3 4"},
	{"CREATE FUNCTION rcu_open(k int) RETURNS refcursor LANGUAGE plpgsql AS $$ DECLARE c refcursor := 'rcu_cur'; BEGIN OPEN c FOR SELECT * FROM rcu WHERE id <= k ORDER BY id; RETURN c; END $$", ""},
	{"BEGIN", ""},
	{"SELECT rcu_open(3)", "rcu_cur\nSELECT 1"},
	{"FETCH ALL FROM rcu_cur", "1|v1\n2|v2\n3|v3\nFETCH 3"},
	{"CLOSE rcu_cur", "CLOSE CURSOR"},
	{"COMMIT", ""},
	{"DO $$ DECLARE c CURSOR FOR SELECT 1; BEGIN OPEN c; OPEN c; END $$", `ERROR 42P03 cursor "c" already in use`},
	{"DO $$ DECLARE c refcursor; BEGIN CLOSE c; END $$", `ERROR 22004 cursor variable "c" is null`},
	{"DO $$ DECLARE c refcursor := 'nope'; x int; BEGIN FETCH c INTO x; END $$", `ERROR 34000 cursor "nope" does not exist`},
	{"DO $$ DECLARE c refcursor; BEGIN OPEN c FOR UPDATE rcu SET v = v; END $$", "ERROR 42P11 cannot open UPDATE query as cursor"},
	// A table's row as a parameter, and the functional notation t.f for f(t).
	{"CREATE TABLE rpp (id int PRIMARY KEY, first text, last text)", ""},
	{"INSERT INTO rpp VALUES (1, 'Ada', 'Lovelace'), (2, 'Alan', 'Turing')", ""},
	{"CREATE FUNCTION full_name(rpp) RETURNS text LANGUAGE sql AS $$ SELECT $1.first || ' ' || $1.last $$", ""},
	{"CREATE FUNCTION initials(r rpp) RETURNS text LANGUAGE plpgsql AS $$ BEGIN RETURN left(r.first, 1) || left(r.last, 1); END $$", ""},
	{"SELECT full_name(p), p.full_name, initials(p.*), p.initials FROM rpp p ORDER BY id", "Ada Lovelace|Ada Lovelace|AL|AL\nAlan Turing|Alan Turing|AT|AT\nSELECT 2"},
	{"SELECT id FROM rpp p WHERE p.full_name LIKE 'Alan%'", "2\nSELECT 1"},
	{"SELECT p.nope FROM rpp p", "ERROR 42703 column p.nope does not exist"},
	{"SELECT pg_get_function_identity_arguments('initials'::regproc)", "r rpp\nSELECT 1"},
	{"DROP FUNCTION full_name(rpp)", "DROP FUNCTION"},
	// Assignment to an array element in PL/pgSQL.
	{"DO $$ DECLARE a int[] := ARRAY[1, 2, 3]; BEGIN a[2] := 20; RAISE EXCEPTION '%', a; END $$", "ERROR P0001 {1,20,3}"},
	{"DO $$ DECLARE a int[]; BEGIN a[1] := 5; a[3] := 7; RAISE EXCEPTION '%', a; END $$", "ERROR P0001 {5,NULL,7}"},
	{"DO $$ DECLARE a text[] := '{x}'; i int := 1; BEGIN a[i + 1] := 'y' || i; RAISE EXCEPTION '%', a; END $$", "ERROR P0001 {x,y1}"},
	{"DO $$ DECLARE a int[] := '{{1,2},{3,4}}'; BEGIN a[2][1] := 30; RAISE EXCEPTION '%', a; END $$", "ERROR P0001 {{1,2},{30,4}}"},
	{"DO $$ DECLARE a numeric[] := '{1}'; BEGIN a[1] := '2.5'; RAISE EXCEPTION '%', a; END $$", "ERROR P0001 {2.5}"},
	{"DO $$ DECLARE a int[] := '{1}'; BEGIN a[NULL] := 3; END $$", "ERROR 22004 array subscript in assignment must not be null"},
	{"DO $$ DECLARE a int := 1; BEGIN a[1] := 3; END $$", "ERROR 42804 cannot subscript type integer because it does not support subscripting"},
	{"DO $$ DECLARE a int[] := '{1,2}'; BEGIN a[2] := 'x'; END $$", `ERROR 22P02 invalid input syntax for type integer: "x"`},
}

// routineBlockSteps: COMMIT inside a block with an EXCEPTION clause (a subtransaction, which the driver backend
// does not have), caught by the block's handler.
var routineBlockSteps = []struct{ sql, want string }{
	{"CREATE TABLE rtcb (id int PRIMARY KEY, v text)", ""},
	{"CREATE PROCEDURE rtcb_sub() LANGUAGE plpgsql AS $$ BEGIN INSERT INTO rtcb VALUES (1, 'kept'); BEGIN COMMIT; EXCEPTION WHEN invalid_transaction_termination THEN INSERT INTO rtcb VALUES (2, SQLERRM); END; END $$", ""},
	{"CALL rtcb_sub()", "CALL"},
	{"SELECT * FROM rtcb ORDER BY id", "1|kept\n2|cannot commit while a subtransaction is active\nSELECT 2"},
}

// execAll runs setup statements on c, failing the test at the first that fails.
func execAll(t *testing.T, c *pgx.Conn, stmts ...string) {
	t.Helper()
	for _, q := range stmts {
		mustExec(t, c, q)
	}
}

// runClients runs fn for clients 0..n-1 at once, each on a connection of its own, and fails the test with the
// first error one returns.
func runClients(t *testing.T, url string, n int, fn func(ctx context.Context, c *pgx.Conn, i int) error) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			if err := fn(ctx, c, i); err != nil {
				errs <- err
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestRoutines_Extended: a function of a table's row, called in functional notation (p.full_name), through pgx's
// extended protocol (Parse and Describe before the rows), and a SQL function that writes, called from pgx.
func TestRoutines_Extended(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	execAll(t, c,
		"CREATE TABLE rxp (id int PRIMARY KEY, first text, last text, n int NOT NULL DEFAULT 0)",
		"INSERT INTO rxp VALUES (1, 'Ada', 'Lovelace'), (2, 'Alan', 'Turing')",
		"CREATE FUNCTION full_name(rxp) RETURNS text LANGUAGE sql AS $$ SELECT $1.first || ' ' || $1.last $$",
		"CREATE FUNCTION bump(k int, by int) RETURNS int LANGUAGE sql AS $$ UPDATE rxp SET n = n + by WHERE id = k; SELECT n FROM rxp WHERE id = k $$")
	var name string
	if err := c.QueryRow(ctx, "SELECT p.full_name FROM rxp p WHERE p.full_name LIKE $1", "Alan%").Scan(&name); err != nil || name != "Alan Turing" {
		t.Fatalf("full_name: %q, %v", name, err)
	}
	var n int
	for i := 1; i <= 3; i++ {
		if err := c.QueryRow(ctx, "SELECT bump($1, $2)", 1, 5).Scan(&n); err != nil || n != 5*i {
			t.Fatalf("bump call %d: %d, %v", i, n, err)
		}
	}
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, "SELECT bump(2, 7)").Scan(&n); err != nil || n != 7 {
		t.Fatalf("bump in a transaction: %d, %v", n, err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(ctx, "SELECT id, n FROM rxp ORDER BY id", pgx.QueryExecModeExec)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct{ ID, N int }])
	if err != nil || len(got) != 2 || got[0].N != 15 || got[1].N != 0 {
		t.Fatalf("after the calls and a rolled-back one: %v, %v", got, err)
	}
}

// TestBlockValidator_WritersWait: a transaction block adds a CHECK constraint (or drops one) while 8 clients
// insert rows it refuses (or allows). The clients wait for the block's table lock and are then checked by the
// constraints the block leaves: after COMMIT the new ones, after ROLLBACK the old ones. Had a client's insert run
// before the block ended, or been checked by the constraints from before, the rows would differ.
func TestBlockValidator_WritersWait(t *testing.T) {
	url, _ := startServer(t)
	a := connect(t, url)
	ctx := context.Background()
	execAll(t, a, "CREATE TABLE bvw (id int PRIMARY KEY, v int CONSTRAINT bvw_pos CHECK (v >= 0))")
	for _, end := range []string{"COMMIT", "ROLLBACK"} {
		execAll(t, a, "DELETE FROM bvw", "BEGIN", "ALTER TABLE bvw ADD CONSTRAINT bvw_small CHECK (v < 10)",
			"ALTER TABLE bvw DROP CONSTRAINT bvw_pos")
		const clients = 8
		var mu sync.Mutex
		refused := map[int]bool{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			runClients(t, url, clients, func(ctx context.Context, c *pgx.Conn, i int) error {
				v := []int{20 + i, -1 - i}[i%2] // refused by the new constraint, or by the old one
				_, err := c.Exec(ctx, "INSERT INTO bvw VALUES ($1, $2)", i, v)
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "23514" {
					mu.Lock()
					refused[i] = true
					mu.Unlock()
					return nil
				}
				return err
			})
		}()
		time.Sleep(300 * time.Millisecond)
		mustExec(t, a, end)
		<-done
		for i := 0; i < clients; i++ {
			// After COMMIT the even clients' large values are refused and the odd ones' negatives pass; after
			// ROLLBACK the other way round.
			if want := (i%2 == 0) == (end == "COMMIT"); refused[i] != want {
				t.Errorf("after %s: client %d refused %v, want %v", end, i, refused[i], want)
			}
		}
		var n int
		if err := a.QueryRow(ctx, "SELECT count(*) FROM bvw").Scan(&n); err != nil || n != clients/2 {
			t.Fatalf("after %s: %d rows (%v), want %d", end, n, err, clients/2)
		}
		if end == "COMMIT" {
			execAll(t, a, "DELETE FROM bvw", "ALTER TABLE bvw DROP CONSTRAINT bvw_small", "ALTER TABLE bvw ADD CONSTRAINT bvw_pos CHECK (v >= 0)")
		}
	}
}

// TestViewWrite_CheckOptionConcurrent: 16 clients take one unit each, 20 times, through a view WITH CHECK OPTION
// that shows only non-negative stock, from 100 units: exactly 100 takes succeed, the rest are refused by the check
// option (44000), none is lost, and the stock ends at 0, never below.
func TestViewWrite_CheckOptionConcurrent(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	execAll(t, setup,
		"CREATE TABLE vstock (id int PRIMARY KEY, quantity int NOT NULL)",
		"INSERT INTO vstock VALUES (1, 100)",
		"CREATE VIEW vstock_ok AS SELECT id, quantity AS qty FROM vstock WHERE quantity >= 0 WITH CHECK OPTION")
	const clients, tries = 16, 20
	var mu sync.Mutex
	taken, refused := 0, 0
	runClients(t, url, clients, func(ctx context.Context, c *pgx.Conn, _ int) error {
		for k := 0; k < tries; k++ {
			tag, err := c.Exec(ctx, "UPDATE vstock_ok SET qty = qty - 1 WHERE id = $1", 1)
			var pe *pgconn.PgError
			switch {
			case errors.As(err, &pe) && pe.Code == "44000":
				mu.Lock()
				refused++
				mu.Unlock()
			case err != nil:
				return err
			case tag.RowsAffected() == 1:
				mu.Lock()
				taken++
				mu.Unlock()
			default:
				return fmt.Errorf("UPDATE matched %d rows", tag.RowsAffected())
			}
		}
		return nil
	})
	var q int
	if err := setup.QueryRow(context.Background(), "SELECT quantity FROM vstock WHERE id = 1").Scan(&q); err != nil {
		t.Fatal(err)
	}
	if taken != 100 || refused != clients*tries-100 || q != 0 {
		t.Fatalf("taken %d, refused %d, quantity %d; want 100, %d, 0", taken, refused, q, clients*tries-100)
	}
}

// viewWriteSteps: INSERT, UPDATE and DELETE through automatically updatable views (renamed and computed
// columns, RETURNING, ON CONFLICT, a subquery in WHERE), WITH LOCAL and CASCADED CHECK OPTION over views of
// views, and PostgreSQL's errors for views that are not automatically updatable; compared with PostgreSQL 15.
var viewWriteSteps = []struct{ sql, want string }{
	{"create table wvb(id int primary key, k int, note text default 'd')", ""},
	{"create view wvv as select id, k as kk from wvb where k < 10", ""},
	{"insert into wvv values (1, 5) returning *", "1|5\nINSERT 0 1"},
	{"insert into wvv values (2, 50)", "INSERT 0 1"},
	{"insert into wvv (kk, id) values (7, 3) returning kk, id", "7|3\nINSERT 0 1"},
	{"update wvv set kk = kk + 1 returning *", "1|6\n3|8\nUPDATE 2"},
	{"select * from wvb order by id", "1|6|d\n2|50|d\n3|8|d\nSELECT 3"},
	{"update wvv set kk = 100 where id = 1", "UPDATE 1"},
	{"select * from wvv order by id", "3|8\nSELECT 1"},
	{"delete from wvv where kk > 5 returning *", "3|8\nDELETE 1"},
	{"select * from wvb order by id", "1|100|d\n2|50|d\nSELECT 2"},
	{"create view wwvv2 as select id, k + 1 as kp, note from wvb", ""},
	{"insert into wwvv2 values (3, 4)", "ERROR 0A000 cannot insert into column \"kp\" of view \"wwvv2\""},
	{"insert into wwvv2 (id, note) values (4, 'n') returning *", "4||n\nINSERT 0 1"},
	{"update wwvv2 set id = 9 where id = 2 returning *", "9|51|d\nUPDATE 1"},
	{"update wwvv2 set kp = 1", "ERROR 0A000 cannot update column \"kp\" of view \"wwvv2\""},
	{"create view wvc as select * from wvb where k between 0 and 10 with check option", "CREATE VIEW"},
	{"insert into wvc values (20, 5, 'ok')", "INSERT 0 1"},
	{"insert into wvc values (21, 50, 'bad')", "ERROR 44000 new row violates check option for view \"wvc\""},
	{"update wvc set k = 11 where id = 20", "ERROR 44000 new row violates check option for view \"wvc\""},
	{"update wvc set k = 9 where id = 20 returning *", "20|9|ok\nUPDATE 1"},
	{"create view wvc2 as select * from wvc where k > 2 with local check option", "CREATE VIEW"},
	{"insert into wvc2 values (22, 1)", "ERROR 44000 new row violates check option for view \"wvc2\""},
	{"insert into wvc2 values (23, 20)", "ERROR 44000 new row violates check option for view \"wvc\""},
	{"create view wvc3 as select * from wvc where k > 2 with cascaded check option", "CREATE VIEW"},
	{"insert into wvc3 values (24, 20)", "ERROR 44000 new row violates check option for view \"wvc\""},
	{"create view wvlocal as select * from wvb where k < 100", ""},
	{"create view wwvcasc as select * from wvlocal where k > 0 with cascaded check option", "CREATE VIEW"},
	{"insert into wwvcasc values (25, 500)", "ERROR 44000 new row violates check option for view \"wvlocal\""},
	{"create view wvagg as select count(*) from wvb", ""},
	{"insert into wvagg values (1)", "ERROR 55000 cannot insert into view \"wvagg\""},
	{"create view wvjoin as select a.id from wvb a join wvb b on a.id = b.id", ""},
	{"delete from wvjoin", "ERROR 55000 cannot delete from view \"wvjoin\""},
	{"create view wwvbad as select count(*) from wvb with check option", "ERROR 0A000 WITH CHECK OPTION is supported only on automatically updatable views"},
	{"select * from wvb order by id", "1|100|d\n4||n\n9|50|d\n20|9|ok\nSELECT 4"},
	{"insert into wvv values (30, 3) on conflict (id) do update set kk = excluded.kk + 1", "INSERT 0 1"},
	{"insert into wvv values (30, 4) on conflict (id) do update set kk = excluded.kk + 1 returning *", "30|5\nINSERT 0 1"},
	{"select relname, reloptions from pg_class where relname in ('wvc','wvc2','wvc3') order by 1", "wvc|{check_option=cascaded}\nwvc2|{check_option=local}\nwvc3|{check_option=cascaded}\nSELECT 3"},
	{"update wvv x set kk = 0 where x.id = 30 and x.id in (select id from wvb where note = 'd') returning x.*", "30|0\nUPDATE 1"},
}

// insteadSteps: INSTEAD OF row triggers on a view no automatic update covers (a join): INSERT (VALUES and SELECT),
// UPDATE and DELETE run the triggers per row, a trigger returning NULL leaves its row out of the count and of
// RETURNING, TG_WHEN is INSTEAD OF, pg_trigger and pg_get_triggerdef show them; compared with PostgreSQL 15.
var insteadSteps = []struct{ sql, want string }{
	{"create table ja(id int primary key, name text)", ""},
	{"create table jb(id int primary key, a_id int, note text)", ""},
	{"create table jlog(op text, info text)", ""},
	{"create view jv as select a.id, a.name, b.note from ja a left join jb b on b.a_id = a.id", ""},
	{"create function jv_ins() returns trigger language plpgsql as $$ begin insert into ja values (new.id, new.name); if new.note is not null then insert into jb values (new.id * 10, new.id, new.note); end if; insert into jlog values (tg_op, tg_when || ' ' || tg_level); return new; end $$", ""},
	{"create function jv_upd() returns trigger language plpgsql as $$ begin update ja set name = new.name where id = old.id; update jb set note = new.note where a_id = old.id; if old.id = 2 then return null; end if; return new; end $$", ""},
	{"create function jv_del() returns trigger language plpgsql as $$ begin delete from jb where a_id = old.id; delete from ja where id = old.id; return old; end $$", ""},
	{"create trigger jv_i instead of insert on jv for each row execute function jv_ins()", ""},
	{"create trigger jv_u instead of update on jv for each row execute function jv_upd()", ""},
	{"create trigger jv_d instead of delete on jv for each row execute function jv_del()", ""},
	{"insert into jv values (1, 'one', 'n1'), (2, 'two', null) returning *", "1|one|n1\n2|two|\nINSERT 0 2"},
	{"insert into jv (name, id) select 'x' || g, g from generate_series(3, 4) g", "INSERT 0 2"},
	{"select * from jv order by id", "1|one|n1\n2|two|\n3|x3|\n4|x4|\nSELECT 4"},
	{"update jv set note = 'changed', name = upper(name) where id <= 3 returning id, name", "1|ONE\n3|X3\nUPDATE 2"},
	{"select * from jv order by id", "1|ONE|changed\n2|TWO|\n3|X3|\n4|x4|\nSELECT 4"},
	{"delete from jv where id in (1, 4) returning *", "1|ONE|changed\n4|x4|\nDELETE 2"},
	{"select * from jv order by id", "2|TWO|\n3|X3|\nSELECT 2"},
	{"select * from jlog", "INSERT|INSTEAD OF ROW\nINSERT|INSTEAD OF ROW\nINSERT|INSTEAD OF ROW\nINSERT|INSTEAD OF ROW\nSELECT 4"},
	{"select tgname, tgtype from pg_trigger where tgname like 'jv_%' order by 1", "jv_d|73\njv_i|69\njv_u|81\nSELECT 3"},
	{"select pg_get_triggerdef(oid) from pg_trigger where tgname = 'jv_i'", "CREATE TRIGGER jv_i INSTEAD OF INSERT ON public.jv FOR EACH ROW EXECUTE FUNCTION jv_ins()\nSELECT 1"},
	{"create trigger jv_bad instead of insert on ja for each row execute function jv_ins()", "ERROR 42809 \"ja\" is a table"},
	{"create trigger jv_bad2 instead of insert on jv execute function jv_ins()", "ERROR 0A000 INSTEAD OF triggers must be FOR EACH ROW"},
	{"create trigger jv_bad3 before insert on jv for each row execute function jv_ins()", "ERROR 42809 \"jv\" is a view"},
	{"begin", ""},
	{"insert into jv values (9, 'nine')", "INSERT 0 1"},
	{"rollback", ""},
	{"select count(*) from ja where id = 9", "0\nSELECT 1"},
}

// truncateTriggerSteps: BEFORE and AFTER TRUNCATE statement triggers (TG_OP TRUNCATE), one that refuses the
// TRUNCATE, and PostgreSQL's 0A000 for a TRUNCATE row trigger; compared with PostgreSQL 15.
var truncateTriggerSteps = []struct{ sql, want string }{
	{"create table tta(id int primary key)", ""},
	{"create table ttlog(msg text)", ""},
	{"insert into tta values (1),(2)", ""},
	{"create function tt_log() returns trigger language plpgsql as $$ begin insert into ttlog select tg_when || ' ' || tg_op || ' ' || tg_level || ' ' || tg_table_name || ' ' || (select count(*) from tta); return null; end $$", ""},
	{"create trigger tta_bt before truncate on tta execute function tt_log()", ""},
	{"create trigger tta_at after truncate on tta for each statement execute function tt_log()", ""},
	{"truncate tta", "TRUNCATE TABLE"},
	{"select * from ttlog", "BEFORE TRUNCATE STATEMENT tta 2\nAFTER TRUNCATE STATEMENT tta 0\nSELECT 2"},
	{"create trigger tta_bad before truncate on tta for each row execute function tt_log()", "ERROR 0A000 TRUNCATE FOR EACH ROW triggers are not supported"},
	{"select tgname, tgtype from pg_trigger where tgname like 'tta_%' order by 1", "tta_at|32\ntta_bt|34\nSELECT 2"},
	{"select pg_get_triggerdef(oid) from pg_trigger where tgname = 'tta_bt'", "CREATE TRIGGER tta_bt BEFORE TRUNCATE ON public.tta FOR EACH STATEMENT EXECUTE FUNCTION tt_log()\nSELECT 1"},
	{"create function tt_stop() returns trigger language plpgsql as $$ begin raise exception 'no truncating %', tg_table_name; end $$", ""},
	{"create trigger tta_stop before truncate on tta execute function tt_stop()", ""},
	{"insert into tta values (5)", ""},
	{"truncate tta", "ERROR P0001 no truncating tta"},
	{"select * from tta", "5\nSELECT 1"},
}

// transitionSteps: AFTER statement triggers with transition tables (REFERENCING OLD TABLE / NEW TABLE) auditing
// INSERT, UPDATE, DELETE and ON CONFLICT's two outcomes, pg_trigger and pg_get_triggerdef, and PostgreSQL's errors
// for the triggers that may not have them; compared with PostgreSQL 15.
var transitionSteps = []struct{ sql, want string }{
	{"create table ya(id int primary key, bal int)", ""},
	{"create table yaudit(op text, n int, total_old int, total_new int)", ""},
	{"create function ya_audit() returns trigger language plpgsql as $$ begin if tg_op = 'INSERT' then insert into yaudit select tg_op, count(*), null, sum(bal) from newrows; elsif tg_op = 'UPDATE' then insert into yaudit select tg_op, (select count(*) from oldrows), (select sum(bal) from oldrows), (select sum(bal) from newrows); else insert into yaudit select tg_op, count(*), sum(bal), null from oldrows; end if; return null; end $$", ""},
	{"create trigger ya_i after insert on ya referencing new table as newrows for each statement execute function ya_audit()", ""},
	{"create trigger ya_u after update on ya referencing old table as oldrows new table as newrows for each statement execute function ya_audit()", ""},
	{"create trigger ya_d after delete on ya referencing old table as oldrows for each statement execute function ya_audit()", ""},
	{"insert into ya select g, g * 10 from generate_series(1, 5) g", "INSERT 0 5"},
	{"update ya set bal = bal + 1 where id <= 3", "UPDATE 3"},
	{"delete from ya where id >= 4", "DELETE 2"},
	{"insert into ya values (10, 100) on conflict (id) do update set bal = excluded.bal", "INSERT 0 1"},
	{"insert into ya values (10, 5) on conflict (id) do update set bal = excluded.bal", "INSERT 0 1"},
	{"update ya set bal = 0 where id = 999", "UPDATE 0"},
	{"select * from yaudit", "INSERT|5||150\nUPDATE|3|60|63\nDELETE|2|90|\nUPDATE|0||\nINSERT|1||100\nUPDATE|1|100|5\nINSERT|0||\nUPDATE|0||\nSELECT 8"},
	{"select tgname, tgoldtable, tgnewtable from pg_trigger where tgname like 'ya_%' order by 1", "ya_d|oldrows|\nya_i||newrows\nya_u|oldrows|newrows\nSELECT 3"},
	{"select pg_get_triggerdef(oid) from pg_trigger where tgname = 'ya_u'", "CREATE TRIGGER ya_u AFTER UPDATE ON public.ya REFERENCING OLD TABLE AS oldrows NEW TABLE AS newrows FOR EACH STATEMENT EXECUTE FUNCTION ya_audit()\nSELECT 1"},
	{"create trigger ybad1 before insert on ya referencing new table as n for each statement execute function ya_audit()", "ERROR 42P17 transition table name can only be specified for an AFTER trigger"},
	{"create trigger ybad2 after insert on ya referencing old table as o for each statement execute function ya_audit()", "ERROR 42P17 OLD TABLE can only be specified for a DELETE or UPDATE trigger"},
	{"create trigger ybad3 after delete on ya referencing new table as n for each statement execute function ya_audit()", "ERROR 42P17 NEW TABLE can only be specified for an INSERT or UPDATE trigger"},
	{"create trigger ybad4 after insert or update on ya referencing new table as n for each statement execute function ya_audit()", "ERROR 0A000 transition tables cannot be specified for triggers with more than one event"},
	{"create trigger ybad5 after update on ya referencing old table as t new table as t for each statement execute function ya_audit()", "ERROR 42P17 OLD TABLE name and NEW TABLE name cannot be the same"},
	{"create trigger ybad6 after update of bal on ya referencing new table as n for each statement execute function ya_audit()", "ERROR 0A000 transition tables cannot be specified for triggers with column lists"},
	// MERGE (its AFTER statement triggers in PostgreSQL's order: UPDATE, DELETE, INSERT) and a referential action.
	{"create table za(id int primary key, bal int)", ""},
	{"create table zc(id int primary key, a_id int references za(id) on delete cascade)", ""},
	{"create table zaudit(t text, op text, n int, s int)", ""},
	{"create function za_aud() returns trigger language plpgsql as $$ begin if tg_op = 'DELETE' then insert into zaudit select tg_table_name, tg_op, count(*), sum(id) from o; else insert into zaudit select tg_table_name, tg_op, count(*), sum(id) from n; end if; return null; end $$", ""},
	{"create trigger za_i after insert on za referencing new table as n for each statement execute function za_aud()", ""},
	{"create trigger za_u after update on za referencing new table as n for each statement execute function za_aud()", ""},
	{"create trigger zc_d after delete on zc referencing old table as o for each statement execute function za_aud()", ""},
	{"merge into za using (select g as id from generate_series(1,4) g) s on za.id = s.id when not matched then insert values (s.id, 0)", "MERGE 4"},
	{"merge into za using (select g as id from generate_series(3,6) g) s on za.id = s.id when matched then update set bal = 1 when not matched then insert values (s.id, 5)", "MERGE 4"},
	{"insert into zc values (1, 1), (2, 1), (3, 2)", ""},
	{"delete from za where id = 1", "DELETE 1"},
	{"select * from zaudit", "za|INSERT|4|10\nza|UPDATE|2|7\nza|INSERT|2|11\nzc|DELETE|2|3\nSELECT 4"},
}

// plScopeSteps: PL/pgSQL block scoping. A block's variables start again each time it is entered, hide an outer
// variable of their name only inside it, and are named by their block's label; a variable of a table's row type
// starts NULL with fields that read NULL. Also a VARIADIC parameter named without VARIADIC.
var plScopeSteps = []struct{ sql, want string }{
	{"create table ps_t(id int primary key, v int)", ""},
	{"insert into ps_t values (1, 10), (2, 20)", ""},
	{`create function ps_loop() returns text language plpgsql as $$
declare out text := ''; x int := 1;
begin
  for i in 1..3 loop
    declare c int := 0; x int := 10 * i;
    begin c := c + 1; out := out || c || ':' || x || ' '; end;
  end loop;
  return out || 'x=' || x;
end $$`, ""},
	{"select ps_loop()", "1:10 1:20 1:30 x=1\nSELECT 1"},
	{`create function ps_shadow() returns text language plpgsql as $$
declare
  x int := 1;
  y text := 'outer';
  out text;
begin
  declare
    x int := x + 100;
    z int := x * 2;
  begin
    out := x || ' ' || z || ' ' || y;
    y := 'changed';
  end;
  return out || ' / ' || x || ' ' || y;
end $$`, ""},
	{"select ps_shadow()", "101 202 outer / 1 changed\nSELECT 1"},
	{"create function ps_label() returns text language plpgsql as $$ <<o>> declare x int := 1; out text; begin <<i>> declare x int := 2; begin out := x || ' ' || o.x || ' ' || i.x; o.x := 5; end; return out || ' ' || x; end $$", ""},
	{"select ps_label()", "2 1 2 5\nSELECT 1"},
	{"create function ps_looplabel() returns int language plpgsql as $$ declare s int := 0; begin <<l>> for i in 1..3 loop s := s + l.i; end loop; return s; end $$", ""},
	{"select ps_looplabel()", "6\nSELECT 1"},
	{"create function ps_reclabel() returns text language plpgsql as $$ <<b>> declare r record; begin select 1 as a, 2 as c into r; return b.r.a || ' ' || b.r::text; end $$", ""},
	{"select ps_reclabel()", "1 (1,2)\nSELECT 1"},
	{"create function ps_nolabel() returns int language plpgsql as $$ <<b>> declare x int := 1; begin return b.y; end $$", ""},
	{"select ps_nolabel()", "ERROR 42P01 missing FROM-clause entry for table \"b\""},
	{`create function ps_rows(n int) returns int language plpgsql as $$
declare total int := 0;
begin
  for k in 1..n loop
    declare
      r ps_t%rowtype;
      cnt int := (select count(*) from ps_t);
    begin
      if r.id is not null or r is not null then raise exception 'not reset'; end if;
      select * into r from ps_t where id = 1;
      total := total + cnt + r.v;
      insert into ps_t values (100 + k, k);
    end;
  end loop;
  return total;
end $$`, ""},
	{"select ps_rows(3)", "39\nSELECT 1"},
	{"create function ps_null() returns text language plpgsql as $$ declare r ps_t; begin return coalesce(r::text, 'null') || ' ' || coalesce(r.v::text, 'null'); end $$", ""},
	{"select ps_null()", "null null\nSELECT 1"},
	{"create function ps_notnull() returns text language plpgsql as $$ declare out text := ''; begin for i in 1..2 loop declare n int not null := i; begin out := out || n; end; end loop; return out; end $$", ""},
	{"select ps_notnull()", "12\nSELECT 1"},
	{`create function ps_quoted() returns text language plpgsql as $$ declare out text := ''; begin for i in 1..2 loop declare "Q" int := 3; begin "Q" := "Q" + i; out := out || "Q"; end; end loop; return out; end $$`, ""},
	{"select ps_quoted()", "45\nSELECT 1"},
	{"create function ps_alias() returns text language plpgsql as $$ declare c cursor for select id from ps_t order by id; a alias for c; v int := 4; out text; begin declare v int := 9; begin out := v::text; end; return out || ' ' || v; end $$", ""},
	{"select ps_alias()", "9 4\nSELECT 1"},
	{"create function ps_param(a int) returns int language plpgsql as $$ declare b int := a * 2; begin declare a int := b + 1; begin return a + ps_param.a; end; end $$", ""},
	{"select ps_param(5)", "16\nSELECT 1"},
	{"create function ps_var(variadic xs int[]) returns int language sql as 'select array_length(xs, 1)'", ""},
	{"select ps_var(xs => array[1, 2, 3])", "ERROR 42883 function ps_var(xs => integer[]) does not exist"},
	{"select ps_var(variadic xs => array[1, 2])", "2\nSELECT 1"},
	{"select ps_var(1, 2, 3)", "3\nSELECT 1"},
}

// plScopeBlockSteps: a block's variables seen by its EXCEPTION handler (savepoints: not on the driver backend).
var plScopeBlockSteps = []struct{ sql, want string }{
	{"create function ps_handler() returns text language plpgsql as $$ declare e text := 'o'; out text; begin declare e text := 'i'; begin perform 1/0; exception when division_by_zero then out := 'handler ' || e; end; return out || ' after ' || e; end $$", ""},
	{"select ps_handler()", "handler i after o\nSELECT 1"},
}

// rowParamSteps: a PL/pgSQL function assigning fields of a parameter of a table's row type, (expression).* of a
// function's record, of a whole row and of a row cast to a table's type, and a missing function named with a
// table's row argument.
var rowParamSteps = []struct{ sql, want string }{
	{"create table rp_t (id int primary key, v int, name text)", ""},
	{"insert into rp_t values (1, 10, 'a'), (2, 20, 'b')", ""},
	{"create function rp_f(r rp_t, k int) returns int language plpgsql as $$ begin r.v := r.v * k; return r.v; end $$", ""},
	{"select rp_f(t, 3) from rp_t t order by id", "30\n60\nSELECT 2"},
	{"create function rp_g(r rp_t) returns text language plpgsql as $$ <<top>> declare n int := 1; begin r.name := upper(r.name); r.id := r.id + 100 * n; return r::text; end $$", ""},
	{"select rp_g(t) from rp_t t order by id", "(101,10,A)\n(102,20,B)\nSELECT 2"},
	{"select rp_g(null)", "(,,)\nSELECT 1"},
	{"create function rp_h(inout r rp_t, out n int) language plpgsql as $$ begin r.v := -1; n := r.id; end $$", ""},
	{"select (rp_h(t)).n, ((rp_h(t)).r).v from rp_t t order by id", "1|-1\n2|-1\nSELECT 2"},
	{"select rp_i(t) from rp_t t where id = 1", "ERROR 42883 function rp_i(rp_t) does not exist"},
	{"create function rp_j(k int) returns rp_t language sql as 'select * from rp_t where id = k'", ""},
	{"select (rp_j(1)).*", "1|10|a\nSELECT 1"},
	{"select (rp_j(id)).* from rp_t order by id", "1|10|a\n2|20|b\nSELECT 2"},
	{"create function rp_k(k int, out a int, out b text) language sql as 'select k, k::text'", ""},
	{"select (rp_k(5)).*", "5|5\nSELECT 1"},
	{"select (t).* from rp_t t order by id", "1|10|a\n2|20|b\nSELECT 2"},
	{"select ((1, 2, 'z')::rp_t).*", "1|2|z\nSELECT 1"},
}

// cursorScrollSteps: FETCH and MOVE in every direction on a SCROLL cursor, a NO SCROLL cursor refusing to move
// backward (and failing for good), and the same in PL/pgSQL.
var cursorScrollSteps = []struct{ sql, want string }{
	{"create table cs_t (id int primary key)", ""},
	{"insert into cs_t select generate_series(1, 5)", ""},
	{"begin", ""},
	{"declare c scroll cursor for select id from cs_t order by id", ""},
	{"fetch 2 from c", "1\n2\nFETCH 2"},
	{"fetch prior from c", "1\nFETCH 1"},
	{"fetch last from c", "5\nFETCH 1"},
	{"fetch backward 2 from c", "4\n3\nFETCH 2"},
	{"fetch absolute -2 from c", "4\nFETCH 1"},
	{"fetch relative -1 from c", "3\nFETCH 1"},
	{"fetch relative 0 from c", "3\nFETCH 1"},
	{"fetch forward 0 from c", "3\nFETCH 1"},
	{"fetch -1 from c", "2\nFETCH 1"},
	{"fetch all from c", "3\n4\n5\nFETCH 3"},
	{"fetch backward all from c", "5\n4\n3\n2\n1\nFETCH 5"},
	{"fetch absolute 9 from c", "FETCH 0"},
	{"fetch relative -2 from c", "4\nFETCH 1"},
	{"move first in c", "MOVE 1"},
	{"move 0 in c", "MOVE 1"},
	{"move forward all in c", "MOVE 4"},
	{"move backward 3 in c", "MOVE 3"},
	{"fetch first from c", "1\nFETCH 1"},
	{"declare n no scroll cursor for select id from cs_t order by id", ""},
	{"fetch 2 from n", "1\n2\nFETCH 2"},
	{"savepoint s", ""},
	{"fetch absolute 3 from n", "3\nFETCH 1"},
	{"fetch absolute 3 from n", "ERROR 55000 cursor can only scan forward"},
	{"rollback to s", ""},
	{"fetch next from n", "ERROR 55000 portal \"n\" cannot be run"},
	{"rollback", ""},
	{`create function cs_f() returns text language plpgsql as $$
declare c no scroll cursor for select id from cs_t order by id; v int; out text := '';
begin
  open c; fetch c into v; out := out || v; move forward 2 in c; fetch c into v; out := out || v;
  begin fetch prior from c into v; exception when object_not_in_prerequisite_state then out := out || ' [' || sqlerrm || ']'; end;
  begin fetch next from c into v; exception when others then out := out || ' [' || sqlerrm || ']'; end;
  return out;
end $$`, ""},
	{"select cs_f()", "14 [cursor can only scan forward] [portal \"c\" cannot be run]\nSELECT 1"},
	{"create function cs_g() returns int language plpgsql as $$ declare c refcursor; v int; begin open c scroll for select id from cs_t order by id; fetch last from c into v; fetch prior from c into v; return v; end $$", ""},
	{"select cs_g()", "4\nSELECT 1"},
	{"create function cs_h() returns int language plpgsql as $$ declare c refcursor; begin open c no scroll for select id from cs_t; move last from c; return 1; end $$", ""},
	{"select cs_h()", "ERROR 55000 cursor can only scan forward"},
}

// holdCursorSteps: WITH HOLD cursors outlive the transaction that made them if it commits (or was the
// statement's own), not one that rolls back; CLOSE ALL's tag.
var holdCursorSteps = []struct{ sql, want string }{
	{"CREATE TABLE hc_t (id int PRIMARY KEY)", ""},
	{"INSERT INTO hc_t SELECT generate_series(1, 5)", ""},
	{"DECLARE a CURSOR WITH HOLD FOR SELECT id FROM hc_t ORDER BY id", "DECLARE CURSOR"},
	{"FETCH 2 FROM a", "1\n2\nFETCH 2"},
	{"INSERT INTO hc_t VALUES (6)", "INSERT 0 1"},
	{"FETCH ALL FROM a", "3\n4\n5\nFETCH 3"},
	{"FETCH PRIOR FROM a", "5\nFETCH 1"},
	{"CLOSE a", "CLOSE CURSOR"},
	{"FETCH 1 FROM a", "ERROR 34000 cursor \"a\" does not exist"},
	{"BEGIN", "BEGIN"},
	{"DECLARE b CURSOR WITH HOLD FOR SELECT id FROM hc_t ORDER BY id", "DECLARE CURSOR"},
	{"DECLARE w CURSOR WITHOUT HOLD FOR SELECT id FROM hc_t ORDER BY id", "DECLARE CURSOR"},
	{"FETCH 1 FROM b", "1\nFETCH 1"},
	{"COMMIT", "COMMIT"},
	{"FETCH 1 FROM b", "2\nFETCH 1"},
	{"FETCH 1 FROM w", "ERROR 34000 cursor \"w\" does not exist"},
	{"BEGIN", "BEGIN"},
	{"DECLARE r CURSOR WITH HOLD FOR SELECT 1", "DECLARE CURSOR"},
	{"FETCH 1 FROM b", "3\nFETCH 1"},
	{"ROLLBACK", "ROLLBACK"},
	{"FETCH 1 FROM b", "4\nFETCH 1"},
	{"FETCH 1 FROM r", "ERROR 34000 cursor \"r\" does not exist"},
	{"DECLARE x CURSOR FOR SELECT 1", "ERROR 25P01 DECLARE CURSOR can only be used in transaction blocks"},
	{"DECLARE n NO SCROLL CURSOR WITH HOLD FOR SELECT id FROM hc_t ORDER BY id", "DECLARE CURSOR"},
	{"FETCH 1 FROM n", "1\nFETCH 1"},
	{"FETCH PRIOR FROM n", "ERROR 55000 cursor can only scan forward"},
	{"FETCH 1 FROM n", "ERROR 55000 portal \"n\" cannot be run"},
	{"CLOSE ALL", "CLOSE CURSOR ALL"},
	{"FETCH 1 FROM b", "ERROR 34000 cursor \"b\" does not exist"},
}

// constraintTriggerSteps: CREATE CONSTRAINT TRIGGER: a DEFERRABLE INITIALLY DEFERRED one runs at COMMIT (a
// failing one fails the COMMIT), SET CONSTRAINTS moves it, a NOT DEFERRABLE one is no constraint SET CONSTRAINTS
// may defer, and the deferred calls a deferred call's writes leave run at the same COMMIT; pg_get_triggerdef,
// pg_trigger and pg_constraint show them.
var constraintTriggerSteps = []struct{ sql, want string }{
	{"CREATE TABLE ct_acct (id int PRIMARY KEY, balance int NOT NULL)", ""},
	{"CREATE TABLE ct_log (n int)", ""},
	{"CREATE FUNCTION ct_check() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n  INSERT INTO ct_log VALUES (NEW.id);\n  IF (SELECT sum(balance) FROM ct_acct) <> 100 THEN\n    RAISE EXCEPTION 'books do not balance: %', (SELECT sum(balance) FROM ct_acct) USING ERRCODE = '23514';\n  END IF;\n  RETURN NULL;\nEND $$", ""},
	{"CREATE CONSTRAINT TRIGGER ct_balance AFTER INSERT OR UPDATE ON ct_acct DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ct_check()", "CREATE TRIGGER"},
	{"SELECT pg_get_triggerdef(oid), tgdeferrable, tginitdeferred, tgconstraint <> 0 FROM pg_trigger WHERE tgname = 'ct_balance'", "CREATE CONSTRAINT TRIGGER ct_balance AFTER INSERT OR UPDATE ON public.ct_acct DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ct_check()|t|t|t\nSELECT 1"},
	{"INSERT INTO ct_acct VALUES (1, 100)", "INSERT 0 1"},
	{"SELECT * FROM ct_acct", "1|100\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"UPDATE ct_acct SET balance = 60 WHERE id = 1", "UPDATE 1"},
	{"INSERT INTO ct_acct VALUES (2, 40)", "INSERT 0 1"},
	{"SELECT count(*) FROM ct_log", "1\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM ct_acct ORDER BY id", "1|60\n2|40\nSELECT 2"},
	{"SELECT count(*) FROM ct_log", "3\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"UPDATE ct_acct SET balance = 50 WHERE id = 1", "UPDATE 1"},
	{"COMMIT", "ERROR 23514 books do not balance: 90"},
	{"SELECT * FROM ct_acct ORDER BY id", "1|60\n2|40\nSELECT 2"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS ct_balance IMMEDIATE", "SET CONSTRAINTS"},
	{"UPDATE ct_acct SET balance = 50 WHERE id = 1", "ERROR 23514 books do not balance: 90"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"UPDATE ct_acct SET balance = 50 WHERE id = 1", "UPDATE 1"},
	{"SET CONSTRAINTS ALL IMMEDIATE", "ERROR 23514 books do not balance: 90"},
	{"ROLLBACK", "ROLLBACK"},
	{"CREATE CONSTRAINT TRIGGER ct_imm AFTER DELETE ON ct_acct FOR EACH ROW EXECUTE FUNCTION ct_check()", "CREATE TRIGGER"},
	{"SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'ct_imm'", "CREATE CONSTRAINT TRIGGER ct_imm AFTER DELETE ON public.ct_acct NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION ct_check()\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS ct_imm DEFERRED", "ERROR 42809 constraint \"ct_imm\" is not deferrable"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS nope DEFERRED", "ERROR 42704 constraint \"nope\" does not exist"},
	{"ROLLBACK", "ROLLBACK"},
	{"CREATE CONSTRAINT TRIGGER ct_bad BEFORE INSERT ON ct_acct FOR EACH ROW EXECUTE FUNCTION ct_check()", "ERROR 42601 syntax error at or near \"BEFORE\""},
	{"CREATE CONSTRAINT TRIGGER ct_bad2 AFTER INSERT ON ct_acct EXECUTE FUNCTION ct_check()", "ERROR 42601 syntax error at or near \"EXECUTE\""},
	{"SELECT conname, contype FROM pg_constraint WHERE conrelid = 'ct_acct'::regclass ORDER BY 1", "ct_acct_pkey|p\nct_balance|t\nct_imm|t\nSELECT 3"},
	{"create table ch_a (id int primary key)", ""},
	{"create table ch_b (id int primary key)", ""},
	{"create table ch_log (what text)", ""},
	{"create function ch_fa() returns trigger language plpgsql as $$ begin insert into ch_log values ('a' || new.id); insert into ch_b values (new.id); return null; end $$", ""},
	{"create function ch_fb() returns trigger language plpgsql as $$ begin insert into ch_log values ('b' || new.id); if new.id > 5 then raise exception 'too big %', new.id; end if; return null; end $$", ""},
	{"create constraint trigger ch_ta after insert on ch_a deferrable initially deferred for each row execute function ch_fa()", ""},
	{"create constraint trigger ch_tb after insert on ch_b deferrable initially deferred for each row execute function ch_fb()", ""},
	{"begin", ""},
	{"insert into ch_a values (1), (2)", ""},
	{"select count(*) from ch_log", "0\nSELECT 1"},
	{"commit", "COMMIT"},
	{"select * from ch_log order by what", "a1\na2\nb1\nb2\nSELECT 4"},
	{"begin", ""},
	{"insert into ch_a values (7)", ""},
	{"commit", "ERROR P0001 too big 7"},
	{"select * from ch_b order by id", "1\n2\nSELECT 2"},
}

// rowsFromSteps: ROWS FROM's functions side by side (with column definition lists, ordinality, aliases and
// LATERAL references), and date_trunc's century and millennium and its error for an unknown unit.
var rowsFromSteps = []struct{ sql, want string }{
	{"SELECT generate_series.* FROM ROWS FROM (generate_series(1,2), unnest(ARRAY['a']))", "1|a\n2|\nSELECT 2"},
	{"SELECT * FROM ROWS FROM (generate_series(1,2), unnest(ARRAY['a'])) WITH ORDINALITY", "1|a|1\n2||2\nSELECT 2"},
	{"SELECT * FROM ROWS FROM (generate_series(1,2)) AS t", "1\n2\nSELECT 2"},
	{"SELECT * FROM ROWS FROM (jsonb_to_record('{\"a\":1,\"b\":\"x\"}') AS (a int, b text), generate_series(1,2) ) AS r", "1|x|1\n||2\nSELECT 2"},
	{"SELECT * FROM ROWS FROM (generate_series(1,2), generate_series(5,7)) AS r(x)", "1|5\n2|6\n|7\nSELECT 3"},
	{"SELECT * FROM ROWS FROM (generate_series(1,2), generate_series(5,7)) AS r(x, y, z)", "ERROR 42P10 table \"r\" has 2 columns available but 3 columns specified"},
	{"SELECT r.x, r.y FROM ROWS FROM (generate_series(1,2), generate_series(5,7)) WITH ORDINALITY AS r(x, y, o) WHERE o > 1", "2|6\n|7\nSELECT 2"},
	{"CREATE TABLE rf_t (id int PRIMARY KEY, tags text[])", ""},
	{"INSERT INTO rf_t VALUES (1, '{a,b}'), (2, '{c}')", ""},
	{"SELECT t.id, r.* FROM rf_t t, ROWS FROM (unnest(t.tags), generate_series(1, t.id)) AS r(tag, n) ORDER BY 1, 2, 3", "1|a|1\n1|b|\n2|c|1\n2||2\nSELECT 4"},
	{"SELECT * FROM ROWS FROM (jsonb_each('{\"k\":1}'), jsonb_array_elements_text('[\"p\",\"q\"]'))", "k|1|p\n||q\nSELECT 2"},
	{"select date_trunc('century', timestamp '0050-01-01 BC'), date_trunc('millennium', timestamp '1000-12-31'), date_trunc('century', timestamp '2000-12-31'), date_trunc('century', timestamp '2001-01-01'), date_trunc('millennium', timestamp '2024-05-01'), date_trunc('MILLENNIUM', timestamp '0999-01-01 BC'), date_trunc('century', timestamp '0001-01-01 BC')", "0100-01-01 00:00:00 BC|0001-01-01 00:00:00|1901-01-01 00:00:00|2001-01-01 00:00:00|2001-01-01 00:00:00|1000-01-01 00:00:00 BC|0100-01-01 00:00:00 BC\nSELECT 1"},
	{"select date_trunc('foo', timestamptz '2024-01-01')", "ERROR 22023 unit \"foo\" not recognized for type timestamp with time zone"},
	{"create table rf_pr (a int, b text)", ""},
	{"insert into rf_pr values (1, 'x')", ""},
	{"create function rf_srf1(n int) returns setof rf_pr language sql as 'select * from rf_pr'", ""},
	{"select * from rf_srf1(2) as (a int, b text)", "ERROR 42601 a column definition list is redundant for a function returning a named composite type"},
	{"select * from rows from (rf_srf1(2) as (a int, b text), generate_series(1,2))", "ERROR 42601 a column definition list is redundant for a function returning a named composite type"},
	{"select * from rows from (rf_srf1(2), generate_series(1,2)) as r", "1|x|1\n||2\nSELECT 2"},
	{"create function rf_srf2(n int) returns int language sql as 'select 1'", ""},
	{"select * from rf_srf2(1) as (a int)", "ERROR 42601 a column definition list is only allowed for functions returning \"record\""},
}

// pgcryptoSteps: pgcrypto's digest, hmac, crypt and gen_salt give PostgreSQL's values and errors; a password
// hashed with a fresh salt checks against itself and not against another password.
var pgcryptoSteps = []struct{ sql, want string }{
	{"create extension if not exists pgcrypto", ""},
	{"SELECT encode(digest('abc', 'sha256'), 'hex'), encode(digest('abc'::bytea, 'MD5'), 'hex'), encode(digest('', 'sha1'), 'hex'), encode(digest('x', 'sha224'), 'hex'), encode(digest('x', 'sha384'), 'hex'), encode(digest('x', 'sha512'), 'hex')", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad|900150983cd24fb0d6963f7d28e17f72|da39a3ee5e6b4b0d3255bfef95601890afd80709|54a2f7f92a5f975d8096af77a126edda7da60c5aa872ef1b871701ae|d752c2c51fba0e29aa190570a9d4253e44077a058d3297fa3a5630d5bd012622f97c28acaed313b5c83bb990caa7da85|a4abd4448c49562d828115d13a1fccea927f52b4d5459297f8b43e42da89238bc13626e43dcb38ddb082488927ec904fb42057443983e88585179d50551afe62\nSELECT 1"},
	{"SELECT encode(hmac('msg', 'key', 'sha256'), 'hex'), encode(hmac('\\x00ff'::bytea, '\\x01'::bytea, 'md5'), 'hex')", "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628|103f25fa6de7a8f2dc7565a1273bab39\nSELECT 1"},
	{"SELECT digest('a', 'sha3')", "ERROR 22023 Cannot use \"sha3\": No such hash algorithm"},
	{"SELECT crypt('password', '$2a$06$abcdefghijklmnopqrstuu'), crypt('password', '$2a$04$abcdefghijklmnopqrstuv')", "$2a$06$abcdefghijklmnopqrstuuNBpXtlux7FnXJE0fnrtkSXNhdOGmWHu|$2a$04$abcdefghijklmnopqrstuughE8Ev8uGFaUgY2cNEySvxngrb/Jzdm\nSELECT 1"},
	{"SELECT crypt('', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.'), crypt('U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.')", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy|$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW\nSELECT 1"},
	{"SELECT crypt('password', '$1$saltsalt'), crypt('pw', '$1$ab$whatever'), crypt('a much longer password than sixteen', '$1$x')", "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/|$1$ab$b2XAKzcGJvTR.javvk3280|$1$x$.fuevbPV6baO88BoIJuEx1\nSELECT 1"},
	{"SELECT (SELECT h = crypt('secret', h) FROM (SELECT crypt('secret', gen_salt('bf', 4)) AS h) s), (SELECT h = crypt('wrong', h) FROM (SELECT crypt('secret', gen_salt('md5')) AS h) s)", "t|f\nSELECT 1"},
	{"SELECT gen_salt('bf', 3)", "ERROR 22023 gen_salt: Incorrect number of rounds"},
	{"SELECT gen_salt('foo')", "ERROR 22023 gen_salt: Unknown salt algorithm"},
	{"SELECT gen_salt('md5', 5)", "ERROR 22023 gen_salt: Incorrect number of rounds"},
	{"SELECT length(gen_random_bytes(16)), gen_random_bytes(0)", "ERROR 39000 Length not in range"},
	{"SELECT digest(NULL::text, 'md5') IS NULL, crypt('a', NULL) IS NULL", "t|t\nSELECT 1"},
}

// viewStatementTriggerSteps: a view's BEFORE and AFTER statement triggers fire around a write its INSTEAD OF
// triggers handle (even of no rows), and not around one it passes to its table; PostgreSQL's errors for
// transition tables on a view and for triggers on a materialized view; WHEN as pg_get_triggerdef writes it.
var viewStatementTriggerSteps = []struct{ sql, want string }{
	{"create table vt_b (id int primary key, v int)", ""},
	{"create table vt_log (n serial primary key, what text)", ""},
	{"create view vt_v as select id, v from vt_b", ""},
	{"create function vt_noop() returns trigger language plpgsql as $$ begin insert into vt_log (what) values (tg_name || ' ' || tg_when || ' ' || tg_level || ' ' || tg_op); return null; end $$", ""},
	{"create trigger vt_s after insert on vt_v referencing new table as n for each statement execute function vt_noop()", "ERROR 42809 \"vt_v\" is a view"},
	{"create trigger vt_s before insert on vt_v for each statement when (true) execute function vt_noop()", "CREATE TRIGGER"},
	{"create materialized view vt_m as select 1", ""},
	{"create trigger vt_m before insert on vt_m for each statement execute function vt_noop()", "ERROR 42809 relation \"vt_m\" cannot have triggers"},
	{"create trigger vt_r before insert on vt_v for each row execute function vt_noop()", "ERROR 42809 \"vt_v\" is a view"},
	{"create trigger vt_s1 before insert or update or delete on vt_v for each statement execute function vt_noop()", "CREATE TRIGGER"},
	{"create trigger vt_s2 after insert or update of v or delete on vt_v for each statement execute function vt_noop()", "CREATE TRIGGER"},
	{"insert into vt_v values (1, 1)", "INSERT 0 1"},
	{"create function vt_ins() returns trigger language plpgsql as $$ begin insert into vt_log (what) values ('instead ' || tg_op || ' ' || coalesce(new.id, old.id)); if tg_op = 'INSERT' then insert into vt_b values (new.id, new.v); return new; elsif tg_op = 'UPDATE' then update vt_b set v = new.v where id = old.id; return new; else delete from vt_b where id = old.id; return old; end if; end $$", ""},
	{"create trigger vt_i instead of insert or update or delete on vt_v for each row execute function vt_ins()", "CREATE TRIGGER"},
	{"insert into vt_v values (2, 2), (3, 3)", "INSERT 0 2"},
	{"update vt_v set v = 5 where id = 1", "UPDATE 1"},
	{"update vt_v set id = id where id = 2", "UPDATE 1"},
	{"insert into vt_v select 9, 9 where false", "INSERT 0 0"},
	{"delete from vt_v where id = 3", "DELETE 1"},
	{"select what from vt_log order by n", "vt_s BEFORE STATEMENT INSERT\nvt_s1 BEFORE STATEMENT INSERT\ninstead INSERT 2\ninstead INSERT 3\nvt_s2 AFTER STATEMENT INSERT\nvt_s1 BEFORE STATEMENT UPDATE\ninstead UPDATE 1\nvt_s2 AFTER STATEMENT UPDATE\nvt_s1 BEFORE STATEMENT UPDATE\ninstead UPDATE 2\nvt_s BEFORE STATEMENT INSERT\nvt_s1 BEFORE STATEMENT INSERT\nvt_s2 AFTER STATEMENT INSERT\nvt_s1 BEFORE STATEMENT DELETE\ninstead DELETE 3\nvt_s2 AFTER STATEMENT DELETE\nSELECT 16"},
	{"select tgname, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'vt_v'::regclass order by 1", "vt_i|CREATE TRIGGER vt_i INSTEAD OF INSERT OR DELETE OR UPDATE ON public.vt_v FOR EACH ROW EXECUTE FUNCTION vt_ins()\nvt_s|CREATE TRIGGER vt_s BEFORE INSERT ON public.vt_v FOR EACH STATEMENT WHEN (true) EXECUTE FUNCTION vt_noop()\nvt_s1|CREATE TRIGGER vt_s1 BEFORE INSERT OR DELETE OR UPDATE ON public.vt_v FOR EACH STATEMENT EXECUTE FUNCTION vt_noop()\nvt_s2|CREATE TRIGGER vt_s2 AFTER INSERT OR DELETE OR UPDATE OF v ON public.vt_v FOR EACH STATEMENT EXECUTE FUNCTION vt_noop()\nSELECT 4"},
	{"create table wt (id int primary key, v int, b bool)", ""},
	{"create function wtf() returns trigger language plpgsql as $$ begin return new; end $$", ""},
	{"create trigger w1 before update on wt for each row when (new.b) execute function wtf()", "CREATE TRIGGER"},
	{"create trigger w2 before update on wt for each row when (old.v is distinct from new.v) execute function wtf()", "CREATE TRIGGER"},
	{"create trigger w4 before update on wt for each row when (not new.b) execute function wtf()", "CREATE TRIGGER"},
	{"create trigger w6 before update on wt for each row when (new.v is null) execute function wtf()", "CREATE TRIGGER"},
	{"select tgname, pg_get_triggerdef(oid) from pg_trigger where tgrelid = 'wt'::regclass order by 1", "w1|CREATE TRIGGER w1 BEFORE UPDATE ON public.wt FOR EACH ROW WHEN (new.b) EXECUTE FUNCTION wtf()\nw2|CREATE TRIGGER w2 BEFORE UPDATE ON public.wt FOR EACH ROW WHEN ((old.v IS DISTINCT FROM new.v)) EXECUTE FUNCTION wtf()\nw4|CREATE TRIGGER w4 BEFORE UPDATE ON public.wt FOR EACH ROW WHEN ((NOT new.b)) EXECUTE FUNCTION wtf()\nw6|CREATE TRIGGER w6 BEFORE UPDATE ON public.wt FOR EACH ROW WHEN ((new.v IS NULL)) EXECUTE FUNCTION wtf()\nSELECT 4"},
	{"create table wb (id int primary key, v text, n int, b bool)", ""},
	{"create function wbf() returns trigger language plpgsql as $$ begin return new; end $$", ""},
	{"create trigger wb1 before update on wb for each row when (new.v) execute function wbf()", "ERROR 42804 argument of WHEN must be type boolean, not type text"},
	{"create trigger wb2 before update on wb for each row when (new.n + 1) execute function wbf()", "ERROR 42804 argument of WHEN must be type boolean, not type integer"},
	{"create trigger wb3 before update on wb for each row when (new.b) execute function wbf()", "CREATE TRIGGER"},
	{"create trigger wb4 before update on wb for each row when (new.n > old.n and new.v is not null) execute function wbf()", "CREATE TRIGGER"},
	{"create trigger wb5 before insert on wb for each row when ('t') execute function wbf()", "CREATE TRIGGER"},
}

// blockValidatorSteps: in a transaction block, ADD and DROP of a CHECK constraint, ADD COLUMN with a CHECK or a
// numeric(p,s) type and ALTER COLUMN ... TYPE of a table with checks: the block's own writes are checked by the
// new constraints at once, a ROLLBACK (or ROLLBACK TO) leaves the old ones, and a COMMIT makes the new ones the
// table's, as in PostgreSQL.
var blockValidatorSteps = []struct{ sql, want string }{
	{"create table bv_t (id int primary key, qty int constraint bv_qty_pos check (qty >= 0))", ""},
	{"insert into bv_t values (1, 5)", ""},
	{"begin", "BEGIN"},
	{"alter table bv_t add constraint bv_small check (qty < 100)", "ALTER TABLE"},
	{"savepoint a", "SAVEPOINT"},
	{"insert into bv_t values (2, 200)", "ERROR 23514 new row for relation \"bv_t\" violates check constraint \"bv_small\""},
	{"rollback to a", "ROLLBACK"},
	{"insert into bv_t values (3, 50)", "INSERT 0 1"},
	{"rollback", "ROLLBACK"},
	{"insert into bv_t values (4, 200)", "INSERT 0 1"},
	{"begin", "BEGIN"},
	{"alter table bv_t add constraint bv_small check (qty < 300)", "ALTER TABLE"},
	{"commit", "COMMIT"},
	{"insert into bv_t values (5, 400)", "ERROR 23514 new row for relation \"bv_t\" violates check constraint \"bv_small\""},
	{"begin", "BEGIN"},
	{"alter table bv_t drop constraint bv_qty_pos", "ALTER TABLE"},
	{"insert into bv_t values (6, -1)", "INSERT 0 1"},
	{"commit", "COMMIT"},
	{"insert into bv_t values (7, -5)", "INSERT 0 1"},
	{"begin", "BEGIN"},
	{"alter table bv_t add constraint bv_qty_pos check (qty >= 0)", "ERROR 23514 check constraint \"bv_qty_pos\" of relation \"bv_t\" is violated by some row"},
	{"rollback", "ROLLBACK"},
	{"begin", "BEGIN"},
	{"alter table bv_t add constraint bv_nonneg check (qty >= -1) not valid", "ALTER TABLE"},
	{"insert into bv_t values (8, -2)", "ERROR 23514 new row for relation \"bv_t\" violates check constraint \"bv_nonneg\""},
	{"savepoint s", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"alter table bv_t drop constraint bv_nonneg", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"insert into bv_t values (9, -3)", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"rollback to s", "ERROR 3B001 savepoint \"s\" does not exist"},
	{"savepoint t", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"insert into bv_t values (10, -4)", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"rollback to t", "ERROR 3B001 savepoint \"t\" does not exist"},
	{"insert into bv_t values (11, 0)", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"commit", "ROLLBACK"},
	{"insert into bv_t values (12, -9)", "INSERT 0 1"},
	{"begin", "BEGIN"},
	{"alter table bv_t add column price numeric(5,2) default 1.5 check (price > 0)", "ALTER TABLE"},
	{"update bv_t set price = 999.99 where id = 1", "UPDATE 1"},
	{"savepoint p", "SAVEPOINT"},
	{"update bv_t set price = price + 1 where id = 1", "ERROR 22003 numeric field overflow"},
	{"rollback to p", "ROLLBACK"},
	{"update bv_t set price = price + 0.01 where id = 4", "UPDATE 1"},
	{"commit", "COMMIT"},
	{"update bv_t set price = price + 1 where id = 1", "ERROR 22003 numeric field overflow"},
	{"begin", "BEGIN"},
	{"alter table bv_t alter column price type numeric(7,2)", "ALTER TABLE"},
	{"update bv_t set price = 12345.67 where id = 1", "UPDATE 1"},
	{"commit", "COMMIT"},
	{"update bv_t set price = price * 100 where id = 1", "ERROR 22003 numeric field overflow"},
	{"begin", "BEGIN"},
	{"alter table bv_t add constraint bv_big check (qty > 1000)", "ERROR 23514 check constraint \"bv_big\" of relation \"bv_t\" is violated by some row"},
	{"rollback", "ROLLBACK"},
	{"begin", "BEGIN"},
	{"alter table bv_t add column note text check (length(note) < 3)", "ALTER TABLE"},
	{"savepoint n", "SAVEPOINT"},
	{"insert into bv_t (id, qty, note) values (20, 1, 'abcd')", "ERROR 23514 new row for relation \"bv_t\" violates check constraint \"bv_t_note_check\""},
	{"rollback to n", "ROLLBACK"},
	{"insert into bv_t (id, qty, note) values (21, 1, 'ab')", "INSERT 0 1"},
	{"commit", "COMMIT"},
	{"insert into bv_t (id, qty, note) values (22, 1, 'abcd')", "ERROR 23514 new row for relation \"bv_t\" violates check constraint \"bv_t_note_check\""},
	{"select * from bv_t order by id", "1|5|12345.67|\n4|200|1.51|\n6|-1|1.50|\n7|-5|1.50|\n12|-9|1.50|\n21|1|1.50|ab\nSELECT 6"},
	{"select conname from pg_constraint where conrelid = 'bv_t'::regclass order by 1", "bv_small\nbv_t_note_check\nbv_t_pkey\nbv_t_price_check\nSELECT 4"},
	{"begin", "BEGIN"},
	{"create table cb_t (id int primary key, v int check (v > 0), p numeric(4,1))", "CREATE TABLE"},
	{"insert into cb_t values (1, 5, 1.5), (3, 7, 999.9)", "INSERT 0 2"},
	{"alter table cb_t add constraint cb_small check (v < 10) not valid", "ALTER TABLE"},
	{"savepoint c", "SAVEPOINT"},
	{"insert into cb_t values (4, 50, 1)", "ERROR 23514 new row for relation \"cb_t\" violates check constraint \"cb_small\""},
	{"rollback to c", "ROLLBACK"},
	{"alter table cb_t alter column p type numeric(6,1)", "ALTER TABLE"},
	{"update cb_t set p = p * 10 where id = 3", "UPDATE 1"},
	{"alter table cb_t drop constraint cb_t_v_check", "ALTER TABLE"},
	{"insert into cb_t values (5, -3, 1)", "INSERT 0 1"},
	{"commit", "COMMIT"},
	{"insert into cb_t values (6, -4, 1)", "INSERT 0 1"},
	{"insert into cb_t values (7, 40, 1)", "ERROR 23514 new row for relation \"cb_t\" violates check constraint \"cb_small\""},
	{"select * from cb_t order by id", "1|5|1.5\n3|7|9999.0\n5|-3|1.0\n6|-4|1.0\nSELECT 4"},
}

// reviewFixSteps: a deferred trigger call a ROLLBACK TO undoes runs again at COMMIT (and one made since does not),
// a syntax error fails a transaction block, ALIAS, a cursor DECLAREd since a savepoint is closed by ROLLBACK TO,
// a FOR UPDATE cursor reads forward only, crypt's schemes as pgcrypto's, date_trunc's unit abbreviations, and
// the parameters of a table's row type (an OUT one, a body after a comment and a label, function.param.field, a
// ROW not cast to the type).
var reviewFixSteps = []struct{ sql, want string }{
	{"create function al_f(int, text) returns text language plpgsql as $$ declare p alias for $1; q alias for $2; r alias for q; begin return p || q || r; end $$", ""},
	{"select al_f(1, 'x')", "1xx\nSELECT 1"},
	{"create function bs_f() returns int language plpgsql as $$ declare x int := 1; begin perform 1 as begin; declare x int := 2; begin x := 3; end; return x; end $$", ""},
	{"select bs_f()", "1\nSELECT 1"},
	{"begin", "BEGIN"},
	{"selec 1", "ERROR 42601 syntax error at or near \"selec\""},
	{"select 1", "ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block"},
	{"rollback", "ROLLBACK"},
	{"create table k4(i int)", ""},
	{"create table k4log(what text)", ""},
	{"create function k4f() returns trigger language plpgsql as $$ begin insert into k4log values (tg_name || ' ' || new.i); return null; end $$", ""},
	{"create constraint trigger k4t after insert on k4 deferrable initially deferred for each row execute function k4f()", ""},
	{"begin", "BEGIN"},
	{"insert into k4 values (1)", "INSERT 0 1"},
	{"savepoint s", "SAVEPOINT"},
	{"set constraints all immediate", "SET CONSTRAINTS"},
	{"rollback to s", "ROLLBACK"},
	{"commit", "COMMIT"},
	{"select * from k4log order by 1", "k4t 1\nSELECT 1"},
	{"create table k5a(i int)", ""},
	{"create table k5b(i int)", ""},
	{"create constraint trigger ta after insert on k5a deferrable initially deferred for each row execute function k4f()", ""},
	{"create constraint trigger tb after insert on k5b deferrable initially deferred for each row execute function k4f()", ""},
	{"begin", "BEGIN"},
	{"insert into k5a values (1)", "INSERT 0 1"},
	{"savepoint s", "SAVEPOINT"},
	{"insert into k5b values (2)", "INSERT 0 1"},
	{"set constraints ta immediate", "SET CONSTRAINTS"},
	{"rollback to s", "ROLLBACK"},
	{"commit", "COMMIT"},
	{"select * from k4log order by 1", "k4t 1\nta 1\nSELECT 2"},
	{"begin", "BEGIN"},
	{"savepoint a", "SAVEPOINT"},
	{"declare p1 cursor for select 1", "DECLARE CURSOR"},
	{"rollback to a", "ROLLBACK"},
	{"fetch p1", "ERROR 34000 cursor \"p1\" does not exist"},
	{"rollback", "ROLLBACK"},
	{"select crypt('pw', '$2x$06$abcdefghijklmnopqrstuu'), crypt('pw', '$2a$06$abcdefghijklmnopqrstuu')", "$2x$06$abcdefghijklmnopqrstuuXOw8daVruAKMR3X3ty3bsuEmsp0E2Ba|$2a$06$abcdefghijklmnopqrstuuXOw8daVruAKMR3X3ty3bsuEmsp0E2Ba\nSELECT 1"},
	{"select crypt('pw', '$2a$+5$abcdefghijklmnopqrstuu')", "ERROR 22023 invalid salt"},
	{"select date_trunc('centuries', timestamp '1999-05-01'), date_trunc('y', timestamp '1999-05-01'), date_trunc('mil', timestamp '1999-05-01'), date_trunc('microseconds', timestamp '1999-05-01 10:00:00.5')", "1901-01-01 00:00:00|1999-01-01 00:00:00|1001-01-01 00:00:00|1999-05-01 10:00:00.5\nSELECT 1"},
	{"select date_trunc('timezone', timestamptz '1999-05-01 00:00:00+00')", "ERROR 0A000 unit \"timezone\" not supported for type timestamp with time zone"},
	{"create table cu2 (i int primary key)", ""},
	{"insert into cu2 values (1), (2), (3), (4)", ""},
	{"begin", "BEGIN"},
	{"declare e cursor for select i from cu2 where i > 1 order by i for update", "DECLARE CURSOR"},
	{"fetch 2 from e", "2\n3\nFETCH 2"},
	{"fetch prior from e", "ERROR 55000 cursor can only scan forward"},
	{"rollback", "ROLLBACK"},
	{"begin", "BEGIN"},
	{"declare f scroll cursor for select i from cu2 for share", "ERROR 0A000 DECLARE SCROLL CURSOR ... FOR SHARE is not supported"},
	{"rollback", "ROLLBACK"},
	{"begin", "BEGIN"},
	{"declare n no scroll cursor for select i from cu2 order by i", "DECLARE CURSOR"},
	{"move backward all in n", "MOVE 0"},
	{"fetch 1 from n", "1\nFETCH 1"},
	{"move backward all in n", "ERROR 55000 cursor can only scan forward"},
	{"rollback", "ROLLBACK"},
	{"create table t5(a int, b text)", ""},
	{"create function h3(p t5, out q t5) language plpgsql as $$ begin q := p; q.a := 9; end $$", "CREATE FUNCTION"},
	{"select h3(row(1,'z')::t5)", "(9,z)\nSELECT 1"},
	{"create function f11(p t5) returns int language plpgsql as $$\n/* c */\n<<main>>\nbegin p.a := p.a + 1; return p.a; end $$", "CREATE FUNCTION"},
	{"select f11(row(1,'a')::t5)", "2\nSELECT 1"},
	{"create function f12(p t5) returns int language plpgsql as $$ begin p.a := p.a + 1; return f12.p.a; end $$", ""},
	{"select f12(row(1,'a')::t5)", "2\nSELECT 1"},
	{"create function h2(p t5) returns int language plpgsql as $$ begin return p.a; end $$", ""},
	{"select h2(row(1,'a'))", "1\nSELECT 1"},
	{"create function h4(p t5) returns text language plpgsql as $$ begin p.b := p.b || '!'; return p::text; end $$", ""},
	{"select h4(row(1,'a'))", "(1,a!)\nSELECT 1"},
	{"create view vv as select * from t5", ""},
	{"create function vtf() returns trigger language plpgsql as $$ begin return null; end $$", ""},
	{"create trigger vt5 after truncate on vv for each statement execute function vtf()", "ERROR 42809 \"vv\" is a view"},
}

// blockDropColumnSteps: ALTER TABLE ... DROP COLUMN in a transaction block: the rows lose the column's values in
// the block's transaction and its indexes, CHECK constraints and serial sequence go when the block commits; a
// ROLLBACK (or ROLLBACK TO) keeps all of them, as in PostgreSQL.
var blockDropColumnSteps = []struct{ sql, want string }{
	{"CREATE TABLE dc_t (id int PRIMARY KEY, a int NOT NULL, b text UNIQUE, c int CHECK (c > 0), s serial, d int)", ""},
	{"CREATE INDEX dc_a ON dc_t (a)", ""},
	{"CREATE INDEX dc_ad ON dc_t (a, d)", ""},
	{"INSERT INTO dc_t (id, a, b, c, d) VALUES (1, 1, 'x', 1, 1), (2, 2, 'y', 2, 2)", ""},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE dc_t DROP COLUMN a", "ALTER TABLE"},
	{"INSERT INTO dc_t (id, b, c, d) VALUES (3, 'z', 3, 3)", "INSERT 0 1"},
	{"SELECT * FROM dc_t ORDER BY id", "1|x|1|1|1\n2|y|2|2|2\n3|z|3|3|3\nSELECT 3"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT * FROM dc_t ORDER BY id", "1|1|x|1|1|1\n2|2|y|2|2|2\nSELECT 2"},
	{"INSERT INTO dc_t (id, b, c, d) VALUES (4, 'w', 4, 4)", "ERROR 23502 null value in column \"a\" of relation \"dc_t\" violates not-null constraint"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE dc_t DROP COLUMN a", "ALTER TABLE"},
	{"ALTER TABLE dc_t DROP COLUMN c", "ALTER TABLE"},
	{"ALTER TABLE dc_t DROP COLUMN b", "ALTER TABLE"},
	{"ALTER TABLE dc_t DROP COLUMN s", "ALTER TABLE"},
	{"INSERT INTO dc_t (id, d) VALUES (3, -3)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM dc_t ORDER BY id", "1|1\n2|2\n3|-3\nSELECT 3"},
	{"INSERT INTO dc_t VALUES (5, 5)", "INSERT 0 1"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'dc_t' ORDER BY 1", "dc_t_pkey\nSELECT 1"},
	{"SELECT relname FROM pg_class WHERE relname LIKE 'dc_t%' ORDER BY 1", "dc_t\ndc_t_pkey\nSELECT 2"},
	{"BEGIN", "BEGIN"},
	{"ALTER TABLE dc_t ADD COLUMN a int", "ALTER TABLE"},
	{"ALTER TABLE dc_t DROP COLUMN a", "ALTER TABLE"},
	{"SAVEPOINT q", "SAVEPOINT"},
	{"ALTER TABLE dc_t DROP COLUMN d", "ALTER TABLE"},
	{"ROLLBACK TO q", "ROLLBACK"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM dc_t ORDER BY id", "1|1\n2|2\n3|-3\n5|5\nSELECT 4"},
}

// blockRenameColumnSteps: ALTER TABLE ... RENAME COLUMN in a transaction block, of a column no index holds: the
// rows' fields and the CHECK constraints follow the new name in the block's transaction, ROLLBACK (or ROLLBACK TO)
// puts them back, as in PostgreSQL.
var blockRenameColumnSteps = []struct{ sql, want string }{
	{"create table rc_t (id int primary key, a int check (a > 0), b text, c int)", ""},
	{"insert into rc_t values (1, 1, 'x', 1), (2, 2, 'y', 2)", ""},
	{"begin", "BEGIN"},
	{"alter table rc_t rename column a to aa", "ALTER TABLE"},
	{"alter table rc_t rename column b to bb", "ALTER TABLE"},
	{"insert into rc_t (id, aa, bb, c) values (3, 3, 'z', 3)", "INSERT 0 1"},
	{"savepoint s", "SAVEPOINT"},
	{"insert into rc_t (id, aa, bb, c) values (4, -4, 'w', 4)", "ERROR 23514 new row for relation \"rc_t\" violates check constraint \"rc_t_a_check\""},
	{"rollback to s", "ROLLBACK"},
	{"select * from rc_t order by id", "1|1|x|1\n2|2|y|2\n3|3|z|3\nSELECT 3"},
	{"rollback", "ROLLBACK"},
	{"select * from rc_t order by id", "1|1|x|1\n2|2|y|2\nSELECT 2"},
	{"begin", "BEGIN"},
	{"alter table rc_t rename column a to aa", "ALTER TABLE"},
	{"alter table rc_t rename column aa to a2", "ALTER TABLE"},
	{"alter table rc_t rename column id to ident", "ALTER TABLE"},
	{"update rc_t set a2 = a2 + 10 where ident = 1", "UPDATE 1"},
	{"commit", "COMMIT"},
	{"select * from rc_t order by ident", "1|11|x|1\n2|2|y|2\nSELECT 2"},
	{"insert into rc_t (ident, a2, b, c) values (5, -5, 'v', 5)", "ERROR 23514 new row for relation \"rc_t\" violates check constraint \"rc_t_a_check\""},
	{"insert into rc_t (ident, a2, b, c) values (5, 5, 'v', 5)", "INSERT 0 1"},
	{"select column_name from information_schema.columns where table_name = 'rc_t' order by ordinal_position", "ident\na2\nb\nc\nSELECT 4"},
	{"select conname from pg_constraint where conrelid = 'rc_t'::regclass and contype = 'c'", "rc_t_a_check\nSELECT 1"},
}

// routineEdgeSteps: edge cases: a view whose columns swap the table's names, a column the view leaves out
// (42703), RETURNING of another table's *, an INSERT without a column list through a view with a computed column,
// an INSTEAD OF trigger returning a row of the wrong width (42804), a SQL function whose final statement gives too
// few columns (42P13 when it is made), a write in an IMMUTABLE SQL function, VARIADIC before OUT, a cast in an
// array subscript, a cursor count beyond an integer, MOVE's FOUND, a row-typed parameter of a SQL function that
// writes, and a data-modifying WITH in a materialized view and in a BEGIN ATOMIC body; compared with
// PostgreSQL 15.
var routineEdgeSteps = []struct{ sql, want string }{
	{"create table rw_t(a int primary key, b int, secret text)", ""},
	{"insert into rw_t values (1, 10, 's1'), (2, 20, 's2')", ""},
	{"create view rw_sw as select b as a, a as b from rw_t", ""},
	{"update rw_sw set a = 99 where b = 1", "UPDATE 1"},
	{"create view rw_hid as select a, b from rw_t", ""},
	{"update rw_hid set b = 5 where secret = 's1'", "ERROR 42703 column \"secret\" does not exist"},
	{"update rw_hid set b = 5 where rw_hid.secret = 's1'", "ERROR 42703 column rw_hid.secret does not exist"},
	{"create table rw_o(id int, z text)", ""},
	{"insert into rw_o values (1, 'o')", ""},
	{"update rw_hid set b = 7 from rw_o where rw_o.id = rw_hid.a returning rw_o.*", "1|o\nUPDATE 1"},
	{"create view rw_cv as select a, b, a + b as c from rw_t", ""},
	{"insert into rw_cv select 6, 60", "INSERT 0 1"},
	{"insert into rw_cv default values", "ERROR 23502 null value in column \"a\" of relation \"rw_t\" violates not-null constraint"},
	{"select * from rw_t order by a", "1|7|s1\n2|20|s2\n6|60|\nSELECT 3"},
	{"create view rw_iv as select a, b from rw_t a2 join rw_o on true", ""},
	{"create function rw_narrow() returns trigger language plpgsql as $$ declare r record; begin select 1 as x into r; return r; end $$", ""},
	{"create trigger rw_n instead of insert on rw_iv for each row execute function rw_narrow()", ""},
	{"insert into rw_iv values (1, 2) returning *", "ERROR 42804 returned row structure does not match the structure of the triggering table"},
	{"insert into rw_iv (a, b) values (1)", "ERROR 42601 INSERT has more target columns than expressions"},
	{"create function rw_sf() returns setof rw_o language sql as $$ insert into rw_o values (5, 'x'); select 1 $$", "ERROR 42P13 return type mismatch in function declared to return rw_o"},
	{"select * from rw_sf()", "ERROR 42883 function rw_sf() does not exist"},
	{"create function rw_sf2() returns int language sql as $$ insert into rw_o values (6, 'y'); select $$", "ERROR 42P13 return type mismatch in function declared to return integer"},
	{"select rw_sf2()", "ERROR 42883 function rw_sf2() does not exist"},
	{"create function rw_imm() returns int language sql immutable as $$ insert into rw_o values (7, 'z'); select 1 $$", ""},
	{"select rw_imm()", "ERROR 0A000 INSERT is not allowed in a non-volatile function"},
	{"create function rw_var(variadic xs int[], out s int) language sql as $$ select sum(x)::int from unnest(xs) x $$", ""},
	{"select rw_var(1, 2)", "3\nSELECT 1"},
	{"create function rw_var2(variadic xs int[], inout y int) language sql as 'select 1'", "ERROR 42P13 VARIADIC parameter must be the last input parameter"},
	{"do $$ declare a int[] := '{1,2}'; i text := '2'; begin a[i::int] := 9; raise notice '%', a; end $$", "DO"},
	{"do $$ declare c refcursor; x int; n bigint := 9223372036854775807; begin open c for select 1 union select 2; fetch c into x; move relative n in c; end $$", "ERROR 22003 integer out of range"},
	{"create table rw_emp(name text, sal int)", ""},
	{"create function rw_pay(e rw_emp) returns int language sql as $$ insert into rw_o values (1, e.name); select e.sal * 2 $$", ""},
	{"insert into rw_emp values ('ann', 50)", ""},
	{"select rw_pay(e) from rw_emp e", "100\nSELECT 1"},
	{"create materialized view rw_mv as with x as (insert into rw_o values (9, 'mv') returning *) select * from x", "ERROR 0A000 materialized views must not use data-modifying statements in WITH"},
	{"create function rw_atom() returns int language sql begin atomic with x as (insert into rw_o values (10, 'at') returning id) select id from x; end", ""},
	{"select rw_atom()", "10\nSELECT 1"},
	{"CREATE PROCEDURE rw_sqlio(INOUT k int, amount int DEFAULT 1) LANGUAGE sql AS $$ UPDATE rw_t SET b = b + amount WHERE a = k RETURNING a $$", ""},
	{"CALL rw_sqlio(1, 5)", "1\nCALL"},
	{"CALL rw_sqlio(42)", "ERROR XX000 procedure returned null record"},
	// Loop variables: two integer FOR loops of one name, a declared variable the loop's hides, nested loops.
	{"DO $$ DECLARE s text := ''; BEGIN FOR i IN 1..3 LOOP s := s || i; END LOOP; FOR i IN 5..6 LOOP s := s || i; END LOOP; RAISE EXCEPTION '%', s; END $$", "ERROR P0001 12356"},
	{"DO $$ DECLARE i int := 42; s text := ''; BEGIN FOR i IN 1..2 LOOP s := s || i; END LOOP; RAISE EXCEPTION '% %', s, i; END $$", "ERROR P0001 12 42"},
	{"DO $$ DECLARE s text := ''; BEGIN FOR i IN 1..2 LOOP FOR j IN 1..2 LOOP s := s || i || j || ' '; END LOOP; END LOOP; FOR j IN 7..7 LOOP s := s || j; END LOOP; RAISE EXCEPTION '%', s; END $$", "ERROR P0001 11 12 21 22 7"},
	{"DO $$ DECLARE r record; s text := ''; BEGIN FOR r IN SELECT g FROM generate_series(1, 2) g LOOP s := s || r.g; END LOOP; FOR r IN SELECT g * 10 AS g FROM generate_series(1, 2) g LOOP s := s || r.g; END LOOP; RAISE EXCEPTION '%', s; END $$", "ERROR P0001 121020"},
}

// routineNestSteps: a procedure's COMMIT under its caller's EXCEPTION block is 2D000, caught by the handler (the
// block's writes undone, the rest kept); a statement trigger's transition table holds its own statement's rows,
// not those of the statements its row trigger runs on the same table; compared with PostgreSQL 15 (no savepoints
// on the driver backend: not run there).
var routineNestSteps = []struct{ sql, want string }{
	{"create table rz(v int)", ""},
	{"create procedure rz_inner() language plpgsql as $$ begin insert into rz values (2); commit; end $$", ""},
	{"create procedure rz_outer() language plpgsql as $$ begin insert into rz values (1); begin call rz_inner(); insert into rz values (3); exception when others then raise notice 'caught %', sqlstate; end; insert into rz values (4); end $$", ""},
	{"call rz_outer()", "CALL"},
	{"select * from rz order by v", "1\n4\nSELECT 2"},
	{"create table rz_tt(a int)", ""},
	{"create table rz_log(s text)", ""},
	{"create function rz_row() returns trigger language plpgsql as $$ begin if new.a < 100 then insert into rz_tt values (new.a + 100); end if; return null; end $$", ""},
	{"create function rz_stmt() returns trigger language plpgsql as $$ begin insert into rz_log select string_agg(a::text, ',' order by a) from nt; return null; end $$", ""},
	{"create trigger rz_r after insert on rz_tt for each row execute function rz_row()", ""},
	{"create trigger rz_s after insert on rz_tt referencing new table as nt for each statement execute function rz_stmt()", ""},
	{"insert into rz_tt values (1), (2)", "INSERT 0 2"},
	{"select * from rz_log order by s", "1,2\n101\n102\nSELECT 3"},
}

// TestMultiAssign_ConcurrentSharedText: 8 clients run the same UPDATE ... SET (a, b) = (SELECT ...) text, on a
// table and on a view with an INSTEAD OF trigger, at once: the statement's parse tree is shared by the statement
// cache, and under -race no run may write to it (the assignment list is expanded once, when the text is parsed).
func TestMultiAssign_ConcurrentSharedText(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	execAll(t, setup,
		"CREATE TABLE mas (id int PRIMARY KEY, a int, b int)",
		"INSERT INTO mas SELECT g, 0, 0 FROM generate_series(1, 8) g",
		"CREATE VIEW mas_v AS SELECT m.id, m.a, m.b FROM mas m JOIN mas n ON n.id = m.id",
		"CREATE FUNCTION mas_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE mas SET a = NEW.a, b = NEW.b WHERE id = OLD.id; RETURN NEW; END $$",
		"CREATE TRIGGER mas_u INSTEAD OF UPDATE ON mas_v FOR EACH ROW EXECUTE FUNCTION mas_upd()")
	runClients(t, url, 8, func(ctx context.Context, c *pgx.Conn, i int) error {
		id := i + 1
		for k := 0; k < 10; k++ {
			if _, err := c.Exec(ctx, "UPDATE mas SET (a, b) = (SELECT $2::int, $2::int * 2) WHERE id = $1", id, k); err != nil {
				return err
			}
			if _, err := c.Exec(ctx, "UPDATE mas_v SET (a, b) = (SELECT a + 1, b + 1) WHERE id = $1", id); err != nil {
				return err
			}
		}
		return nil
	})
	var bad int
	if err := setup.QueryRow(context.Background(), "SELECT count(*) FROM mas WHERE a <> 10 OR b <> 19").Scan(&bad); err != nil || bad != 0 {
		t.Fatalf("rows not at (10, 19): %d, %v", bad, err)
	}
}
