package pgserver_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// triggerSteps: BEFORE and AFTER, row and statement triggers of INSERT, UPDATE [OF] and DELETE, with WHEN, that
// change NEW, skip rows, refuse them and write to other tables; pg_trigger, pg_get_triggerdef and psql's \d;
// compared with PostgreSQL 15 (TestCompare_PostgreSQL).
var triggerSteps = []struct{ sql, want string }{
	{"CREATE TABLE tritem (id int PRIMARY KEY, name text NOT NULL, qty int NOT NULL DEFAULT 0, version int NOT NULL DEFAULT 1)", ""},
	{"CREATE TABLE traudit (id serial PRIMARY KEY, op text, item_id int, old_qty int, new_qty int, info text)", ""},
	{"CREATE FUNCTION trtouch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.version := OLD.version + 1; NEW.name := upper(NEW.name); RETURN NEW; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER trtouch BEFORE UPDATE ON tritem FOR EACH ROW EXECUTE FUNCTION trtouch()", "CREATE TRIGGER"},
	{`CREATE FUNCTION traudit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO traudit (op, item_id, old_qty, info) VALUES (TG_OP, OLD.id, OLD.qty, TG_ARGV[0] || ' ' || TG_TABLE_NAME || ' ' || TG_WHEN || ' ' || TG_LEVEL);
    RETURN OLD;
  END IF;
  INSERT INTO traudit (op, item_id, old_qty, new_qty, info) VALUES (TG_OP, NEW.id, CASE WHEN TG_OP = 'UPDATE' THEN OLD.qty END, NEW.qty, TG_ARGV[1] || ' ' || TG_NARGS);
  RETURN NEW;
END $$`, "CREATE FUNCTION"},
	{"CREATE TRIGGER traudit AFTER INSERT OR UPDATE OR DELETE ON tritem FOR EACH ROW EXECUTE FUNCTION traudit('tag1', 'x')", "CREATE TRIGGER"},
	{"CREATE FUNCTION trnoneg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.qty < 0 THEN RAISE EXCEPTION 'negative qty for %', NEW.id USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER a_noneg BEFORE INSERT OR UPDATE OF qty ON tritem FOR EACH ROW EXECUTE FUNCTION trnoneg()", "CREATE TRIGGER"},
	{"CREATE FUNCTION trskip() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 0 THEN RETURN NULL; END IF; RETURN NEW; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER b_skip BEFORE INSERT ON tritem FOR EACH ROW EXECUTE FUNCTION trskip()", "CREATE TRIGGER"},
	{"INSERT INTO tritem (id, name, qty) VALUES (1, 'apple', 5), (2, 'pear', 3), (0, 'zero', 1)", "INSERT 0 2"},
	{"INSERT INTO tritem (id, name, qty) VALUES (3, 'fig', -1)", "ERROR 23514 negative qty for 3 CONTEXT: PL/pgSQL function trnoneg() line 1 at RAISE"},
	{"UPDATE tritem SET qty = qty + 10 WHERE id = 1", "UPDATE 1"},
	{"UPDATE tritem SET qty = qty - 100 WHERE id = 2", "ERROR 23514 negative qty for 2"},
	{"UPDATE tritem SET name = 'Pear' WHERE id = 2 RETURNING id, name, version", "2|PEAR|2\nUPDATE 1"},
	{"SELECT id, name, qty, version FROM tritem ORDER BY id", "1|APPLE|15|2\n2|PEAR|3|2\nSELECT 2"},
	{"DELETE FROM tritem WHERE id = 1", "DELETE 1"},
	{"SELECT op, item_id, old_qty, new_qty, info FROM traudit ORDER BY id",
		"INSERT|1||5|x 2\nINSERT|2||3|x 2\nUPDATE|1|5|15|x 2\nUPDATE|2|3|3|x 2\nDELETE|1|15||tag1 tritem AFTER ROW\nSELECT 5"},
	{"BEGIN", ""},
	{"UPDATE tritem SET qty = 7 WHERE id = 2", "UPDATE 1"},
	{"ROLLBACK", ""},
	{"SELECT qty, version, (SELECT count(*) FROM traudit) FROM tritem WHERE id = 2", "3|2|5\nSELECT 1"},
	{"CREATE TRIGGER traudit AFTER INSERT ON tritem FOR EACH ROW EXECUTE FUNCTION traudit()", `ERROR 42710 trigger "traudit" for relation "tritem" already exists`},
	{"CREATE TRIGGER trbad AFTER INSERT ON tritem FOR EACH ROW EXECUTE FUNCTION nosuch()", "ERROR 42883 function nosuch() does not exist"},
	{"SELECT trtouch()", "ERROR 0A000 trigger functions can only be called as triggers"},
	{"CREATE FUNCTION trsql() RETURNS trigger LANGUAGE sql AS $$ SELECT NULL $$", "ERROR 42P13 SQL functions cannot return type trigger"},
	{"CREATE FUNCTION trstmt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO traudit (op, info) VALUES (TG_OP, TG_LEVEL); RETURN NULL; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER trstmt AFTER DELETE ON tritem FOR EACH STATEMENT EXECUTE FUNCTION trstmt()", "CREATE TRIGGER"},
	{"DELETE FROM tritem WHERE id > 100", "DELETE 0"},
	{"SELECT op, info FROM traudit WHERE info = 'STATEMENT'", "DELETE|STATEMENT\nSELECT 1"},
	{"CREATE FUNCTION trkeep() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER trkeep BEFORE DELETE ON tritem FOR EACH ROW WHEN (OLD.qty > 2) EXECUTE FUNCTION trkeep()", "CREATE TRIGGER"},
	{"INSERT INTO tritem (id, name, qty) VALUES (4, 'kiwi', 1)", "INSERT 0 1"},
	{"DELETE FROM tritem", "DELETE 1"},
	{"SELECT id, name FROM tritem ORDER BY id", "2|PEAR\nSELECT 1"},
	{"SELECT tgname, tgtype, tgnargs, tgattr, pg_get_triggerdef(oid), tgfoid::regproc FROM pg_trigger WHERE tgrelid = 'tritem'::regclass ORDER BY 1",
		"a_noneg|23|0|3|CREATE TRIGGER a_noneg BEFORE INSERT OR UPDATE OF qty ON public.tritem FOR EACH ROW EXECUTE FUNCTION trnoneg()|trnoneg\n" +
			"b_skip|7|0||CREATE TRIGGER b_skip BEFORE INSERT ON public.tritem FOR EACH ROW EXECUTE FUNCTION trskip()|trskip\n" +
			"traudit|29|2||CREATE TRIGGER traudit AFTER INSERT OR DELETE OR UPDATE ON public.tritem FOR EACH ROW EXECUTE FUNCTION traudit('tag1', 'x')|traudit\n" +
			"trkeep|11|0||CREATE TRIGGER trkeep BEFORE DELETE ON public.tritem FOR EACH ROW WHEN ((old.qty > 2)) EXECUTE FUNCTION trkeep()|trkeep\n" +
			"trstmt|8|0||CREATE TRIGGER trstmt AFTER DELETE ON public.tritem FOR EACH STATEMENT EXECUTE FUNCTION trstmt()|trstmt\n" +
			"trtouch|19|0||CREATE TRIGGER trtouch BEFORE UPDATE ON public.tritem FOR EACH ROW EXECUTE FUNCTION trtouch()|trtouch\nSELECT 6"},
	{"SELECT relhastriggers FROM pg_class WHERE relname = 'tritem'", "t\nSELECT 1"},
	{"CREATE TRIGGER trw1 BEFORE DELETE ON tritem FOR EACH ROW WHEN (NEW.qty > 1) EXECUTE FUNCTION trkeep()", "ERROR 42P17 DELETE trigger's WHEN condition cannot reference NEW values"},
	{"CREATE TRIGGER trw2 BEFORE INSERT ON tritem FOR EACH ROW WHEN (OLD.qty > 1) EXECUTE FUNCTION trkeep()", "ERROR 42P17 INSERT trigger's WHEN condition cannot reference OLD values"},
	{"CREATE TRIGGER trw3 BEFORE INSERT ON tritem FOR EACH STATEMENT WHEN (NEW.qty > 1) EXECUTE FUNCTION trkeep()", "ERROR 42P17 statement trigger's WHEN condition cannot reference column values"},
	{"CREATE TRIGGER trw4 INSTEAD OF INSERT ON tritem FOR EACH ROW EXECUTE FUNCTION trkeep()", `ERROR 42809 "tritem" is a table`},
	{"DROP TRIGGER trkeep ON tritem", "DROP TRIGGER"},
	{"DROP TRIGGER trkeep ON tritem", `ERROR 42704 trigger "trkeep" for table "tritem" does not exist`},
	{"DROP TRIGGER IF EXISTS trkeep ON tritem", "DROP TRIGGER"},
	{"DELETE FROM tritem", "DELETE 1"},
	// INSERT ... ON CONFLICT: BEFORE INSERT for each proposed row, BEFORE UPDATE for a conflict's update, and the
	// AFTER triggers in the order the rows were written.
	{"CREATE TABLE trup (id int PRIMARY KEY, name text, hits int NOT NULL DEFAULT 0, version int NOT NULL DEFAULT 1)", ""},
	{"CREATE TABLE truplog (n serial PRIMARY KEY, what text)", ""},
	{"CREATE FUNCTION trupb() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP = 'UPDATE' THEN NEW.version := OLD.version + 1; END IF; NEW.name := lower(NEW.name); INSERT INTO truplog (what) VALUES ('before ' || TG_OP || ' ' || NEW.id); RETURN NEW; END $$", "CREATE FUNCTION"},
	{"CREATE FUNCTION trupa() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO truplog (what) VALUES ('after ' || TG_OP || ' ' || NEW.id || ' ' || NEW.hits); RETURN NULL; END $$", "CREATE FUNCTION"},
	{"CREATE TRIGGER b BEFORE INSERT OR UPDATE ON trup FOR EACH ROW EXECUTE FUNCTION trupb()", "CREATE TRIGGER"},
	{"CREATE TRIGGER a AFTER INSERT OR UPDATE ON trup FOR EACH ROW EXECUTE FUNCTION trupa()", "CREATE TRIGGER"},
	{"INSERT INTO trup (id, name) VALUES (1, 'A'), (2, 'B')", "INSERT 0 2"},
	{"INSERT INTO trup (id, name, hits) VALUES (1, 'X', 5), (3, 'C', 1) ON CONFLICT (id) DO UPDATE SET hits = trup.hits + EXCLUDED.hits, name = EXCLUDED.name RETURNING id, name, hits, version",
		"1|x|5|2\n3|c|1|1\nINSERT 0 2"},
	{"INSERT INTO trup (id, name) VALUES (2, 'Q') ON CONFLICT (id) DO NOTHING", "INSERT 0 0"},
	{"SELECT string_agg(what, ', ' ORDER BY n) FROM truplog",
		"before INSERT 1, before INSERT 2, after INSERT 1 0, after INSERT 2 0, before INSERT 1, before UPDATE 1, before INSERT 3, after UPDATE 1 5, after INSERT 3 1, before INSERT 2\nSELECT 1"},
	{"DROP TABLE trup, truplog", ""},
	{"DROP FUNCTION trupa, trupb", ""},
	// DISABLE and ENABLE TRIGGER; DROP FUNCTION of a trigger's function (2BP01, or CASCADE to the trigger), which
	// leaves the table without triggers.
	{"CREATE TABLE trdis (id int PRIMARY KEY, v int)", ""},
	{"CREATE FUNCTION trtimes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := NEW.v * 10; RETURN NEW; END $$", ""},
	{"CREATE TRIGGER trtimes BEFORE INSERT ON trdis FOR EACH ROW EXECUTE FUNCTION trtimes()", ""},
	{"INSERT INTO trdis VALUES (1, 1)", "INSERT 0 1"},
	{"ALTER TABLE trdis DISABLE TRIGGER trtimes", "ALTER TABLE"},
	{"INSERT INTO trdis VALUES (2, 2)", "INSERT 0 1"},
	{"SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'trdis'::regclass", "trtimes|D\nSELECT 1"},
	{"ALTER TABLE trdis ENABLE TRIGGER ALL", "ALTER TABLE"},
	{"INSERT INTO trdis VALUES (3, 3)", "INSERT 0 1"},
	{"ALTER TABLE tritem RENAME COLUMN qty TO quantity", ""},
	{"SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'a_noneg'", "CREATE TRIGGER a_noneg BEFORE INSERT OR UPDATE OF quantity ON public.tritem FOR EACH ROW EXECUTE FUNCTION trnoneg()\nSELECT 1"},
	{"ALTER TABLE tritem RENAME COLUMN quantity TO qty", ""},
	{"ALTER TABLE trdis DISABLE TRIGGER nosuch", `ERROR 42704 trigger "nosuch" for table "trdis" does not exist`},
	{"DROP FUNCTION trtimes()", "ERROR 2BP01 cannot drop function trtimes() because other objects depend on it"},
	{"DROP FUNCTION trtimes() CASCADE", "DROP FUNCTION"},
	{"SELECT count(*) FROM pg_trigger WHERE tgrelid = 'trdis'::regclass", "0\nSELECT 1"},
	{"INSERT INTO trdis VALUES (4, 4)", "INSERT 0 1"},
	{"SELECT string_agg(v::text, ',' ORDER BY id) FROM trdis", "10,2,30,4\nSELECT 1"},
	{"DROP TABLE trdis", ""},
	// A foreign key's referential actions fire the child table's triggers, as PostgreSQL's do.
	{"CREATE TABLE trcp (id int PRIMARY KEY, code text UNIQUE)", ""},
	{"CREATE TABLE trcc1 (id int PRIMARY KEY, p int REFERENCES trcp (id) ON DELETE CASCADE, note text)", ""},
	{"CREATE TABLE trcc2 (id int PRIMARY KEY, p int REFERENCES trcp (id) ON DELETE SET NULL, pc text REFERENCES trcp (code) ON UPDATE CASCADE)", ""},
	{"CREATE TABLE trclog (n serial PRIMARY KEY, what text)", ""},
	{"CREATE FUNCTION trclogf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO trclog (what) VALUES (TG_TABLE_NAME || ' ' || TG_WHEN || ' ' || TG_OP || ' ' || TG_LEVEL || ' ' || coalesce(OLD.id::text, '-') || ' -'); IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$", ""},
	{"CREATE FUNCTION trclogu() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO trclog (what) VALUES (TG_TABLE_NAME || ' ' || TG_WHEN || ' ' || TG_OP || ' ' || TG_LEVEL || ' ' || OLD.id || ' ' || coalesce(NEW.pc, '-')); RETURN NEW; END $$", ""},
	{"CREATE TRIGGER r1 BEFORE DELETE OR UPDATE ON trcc1 FOR EACH ROW EXECUTE FUNCTION trclogf()", ""},
	{"CREATE TRIGGER r2 AFTER DELETE ON trcc1 FOR EACH ROW EXECUTE FUNCTION trclogf()", ""},
	{"CREATE TRIGGER r3 AFTER UPDATE ON trcc2 FOR EACH ROW EXECUTE FUNCTION trclogu()", ""},
	{"CREATE TRIGGER s1 AFTER DELETE ON trcc1 FOR EACH STATEMENT EXECUTE FUNCTION trclogf()", ""},
	{"INSERT INTO trcp VALUES (1, 'a'), (2, 'b')", ""},
	{"INSERT INTO trcc1 VALUES (10, 1, 'x'), (11, 1, 'y'), (12, 2, 'z')", ""},
	{"INSERT INTO trcc2 VALUES (20, 1, NULL), (21, 2, 'b')", ""},
	{"DELETE FROM trcp WHERE id = 1", "DELETE 1"},
	{"UPDATE trcp SET code = 'bb' WHERE id = 2", "UPDATE 1"},
	{"SELECT string_agg(what, '; ' ORDER BY n) FROM trclog",
		"trcc1 BEFORE DELETE ROW 10 -; trcc1 BEFORE DELETE ROW 11 -; trcc1 AFTER DELETE ROW 10 -; trcc1 AFTER DELETE ROW 11 -; trcc1 AFTER DELETE STATEMENT - -; " +
			"trcc2 AFTER UPDATE ROW 20 -; trcc2 AFTER UPDATE ROW 21 bb\nSELECT 1"},
	{"DROP TABLE trcc1, trcc2, trcp, trclog", ""},
	{"DROP FUNCTION trclogf, trclogu", ""},
	// DELETE ... USING fires the DELETE triggers too.
	{"CREATE TABLE trdu1 (id int PRIMARY KEY, v int)", ""},
	{"CREATE TABLE trdu2 (id int PRIMARY KEY)", ""},
	{"CREATE TABLE trdulog (n serial PRIMARY KEY, what text)", ""},
	{"INSERT INTO trdu1 VALUES (1, 1), (2, 2), (3, 3)", ""},
	{"INSERT INTO trdu2 VALUES (1), (3)", ""},
	{"CREATE FUNCTION trduf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO trdulog (what) VALUES (TG_WHEN || ' ' || TG_LEVEL || ' ' || coalesce(OLD.id::text, '-')); IF OLD.id = 3 AND TG_WHEN = 'BEFORE' THEN RETURN NULL; END IF; RETURN OLD; END $$", ""},
	{"CREATE TRIGGER b BEFORE DELETE ON trdu1 FOR EACH ROW EXECUTE FUNCTION trduf()", ""},
	{"CREATE TRIGGER a AFTER DELETE ON trdu1 FOR EACH ROW EXECUTE FUNCTION trduf()", ""},
	{"CREATE TRIGGER s AFTER DELETE ON trdu1 FOR EACH STATEMENT EXECUTE FUNCTION trduf()", ""},
	{"DELETE FROM trdu1 USING trdu2 WHERE trdu1.id = trdu2.id RETURNING trdu1.id", "1\nDELETE 1"},
	{"SELECT string_agg(what, '; ' ORDER BY n) FROM trdulog", "BEFORE ROW 1; BEFORE ROW 3; AFTER ROW 1; AFTER STATEMENT -\nSELECT 1"},
	{"DROP TABLE trdu1, trdu2, trdulog", ""},
	{"DROP FUNCTION trduf", ""},
	// MERGE fires the triggers of its actions; an UPDATE through a BEFORE trigger may still change the key.
	{"CREATE TABLE trmt (id int PRIMARY KEY, v int, ver int DEFAULT 1)", ""},
	{"CREATE TABLE trms (id int PRIMARY KEY, v int)", ""},
	{"CREATE TABLE trmlog (n serial PRIMARY KEY, what text)", ""},
	{"INSERT INTO trmt (id, v) VALUES (1, 10), (2, 20), (3, 30)", ""},
	{"INSERT INTO trms VALUES (1, 11), (3, 0), (4, 40)", ""},
	{"CREATE FUNCTION trmf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO trmlog (what) VALUES (TG_WHEN || ' ' || TG_OP || ' ' || TG_LEVEL || ' ' || coalesce(OLD.id::text, '-') || ' ' || coalesce(NEW.id::text, '-')); IF TG_LEVEL = 'STATEMENT' THEN RETURN NULL; END IF; IF TG_OP = 'UPDATE' AND TG_WHEN = 'BEFORE' THEN NEW.ver := OLD.ver + 1; END IF; IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$", ""},
	{"CREATE TRIGGER b BEFORE INSERT OR UPDATE OR DELETE ON trmt FOR EACH ROW EXECUTE FUNCTION trmf()", ""},
	{"CREATE TRIGGER a AFTER INSERT OR UPDATE OR DELETE ON trmt FOR EACH ROW EXECUTE FUNCTION trmf()", ""},
	{"CREATE TRIGGER s BEFORE INSERT OR UPDATE OR DELETE ON trmt FOR EACH STATEMENT EXECUTE FUNCTION trmf()", ""},
	{"MERGE INTO trmt USING trms ON trmt.id = trms.id WHEN MATCHED AND trms.v = 0 THEN DELETE WHEN MATCHED THEN UPDATE SET v = trms.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (trms.id, trms.v)", "MERGE 3"},
	{"UPDATE trmt SET id = 7 WHERE id = 2", "UPDATE 1"},
	{"SELECT string_agg(id || ':' || v || ':' || ver, ' ' ORDER BY id) FROM trmt", "1:11:2 4:40:1 7:20:2\nSELECT 1"},
	{"SELECT string_agg(what, '; ' ORDER BY n) FROM trmlog",
		"BEFORE INSERT STATEMENT - -; BEFORE UPDATE STATEMENT - -; BEFORE DELETE STATEMENT - -; BEFORE UPDATE ROW 1 1; BEFORE DELETE ROW 3 -; BEFORE INSERT ROW - 4; " +
			"AFTER UPDATE ROW 1 1; AFTER DELETE ROW 3 -; AFTER INSERT ROW - 4; BEFORE UPDATE STATEMENT - -; BEFORE UPDATE ROW 2 7; AFTER UPDATE ROW 2 7\nSELECT 1"},
	{"DROP TABLE trmt, trms, trmlog", ""},
	{"DROP FUNCTION trmf", ""},
	{"DROP TABLE tritem, traudit", ""},
	{"DROP FUNCTION trtouch, traudit, trnoneg, trskip, trstmt, trkeep", ""},
}

// TestTrigger_VersionBumpConcurrent: a BEFORE UPDATE trigger that bumps a row's version, under 16 clients that
// each read the row, then update it with the version they read in the WHERE clause (optimistic locking), retried
// on 40001. Every successful update bumped the version once: the final version is 1 + the successes, and the
// counter equals them.
func TestTrigger_VersionBumpConcurrent(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	setup := connect(t, url)
	for _, s := range []string{
		"CREATE TABLE trdoc (id int PRIMARY KEY, n int NOT NULL, version int NOT NULL)",
		"INSERT INTO trdoc VALUES (1, 0, 1)",
		"CREATE FUNCTION trbump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.version := OLD.version + 1; RETURN NEW; END $$",
		"CREATE TRIGGER trbump BEFORE UPDATE ON trdoc FOR EACH ROW EXECUTE FUNCTION trbump()",
	} {
		if _, err := setup.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	const clients, tries = 16, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := pgx.Connect(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close(ctx)
			for k := 0; k < tries; k++ {
				var n, v int
				if err := c.QueryRow(ctx, "SELECT n, version FROM trdoc WHERE id = 1").Scan(&n, &v); err != nil {
					errs <- err
					return
				}
				tag, err := c.Exec(ctx, "UPDATE trdoc SET n = $1 WHERE id = 1 AND version = $2", n+1, v)
				var pe *pgconn.PgError
				if errors.As(err, &pe) && pe.Code == "40001" {
					continue
				}
				if err != nil {
					errs <- err
					return
				}
				if tag.RowsAffected() == 1 {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var n, v int
	if err := setup.QueryRow(ctx, "SELECT n, version FROM trdoc WHERE id = 1").Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if wins == 0 || n != wins || v != wins+1 {
		t.Fatalf("n %d, version %d after %d successful updates; want n = successes and version = successes + 1", n, v, wins)
	}
}

// TestTrigger_CopyFrom: COPY FROM into a table with INSERT triggers fires them for each row (outside a
// transaction block it runs in one of its own, its data read once): a BEFORE trigger changes one row and skips
// another, and COPY counts the rows written.
func TestTrigger_CopyFrom(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	for _, s := range []string{
		"CREATE TABLE trcopy (id int PRIMARY KEY, s text)",
		"CREATE FUNCTION trcopyf() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id = 0 THEN RETURN NULL; END IF; NEW.s := upper(NEW.s); RETURN NEW; END $$",
		"CREATE TRIGGER trcopyf BEFORE INSERT ON trcopy FOR EACH ROW EXECUTE FUNCTION trcopyf()",
	} {
		if _, err := c.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.CopyFrom(ctx, pgx.Identifier{"trcopy"}, []string{"id", "s"},
		pgx.CopyFromRows([][]any{{int32(1), "a"}, {int32(0), "z"}, {int32(2), "b"}}))
	if err != nil || n != 2 {
		t.Fatalf("COPY: %d rows, %v; want 2", n, err)
	}
	var got string
	if err := c.QueryRow(ctx, "SELECT string_agg(id || s, ',' ORDER BY id) FROM trcopy").Scan(&got); err != nil || got != "1A,2B" {
		t.Fatalf("rows %q, %v; want 1A,2B", got, err)
	}
}
