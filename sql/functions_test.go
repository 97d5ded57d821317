package sql_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
)

// TestFunction_CallerPrivileges: a function runs with its caller's privileges, as PostgreSQL's SECURITY INVOKER
// functions do: a user who may not read a table cannot read it through a function whose body does, and a user
// who may not create may not make a function.
func TestFunction_CallerPrivileges(t *testing.T) {
	s := openSession(t)
	for _, q := range []string{
		"CREATE TABLE open_t (id int PRIMARY KEY, v int)", "CREATE TABLE secret_t (id int PRIMARY KEY, v int)",
		"INSERT INTO open_t VALUES (1, 10)", "INSERT INTO secret_t VALUES (1, 42)",
		"CREATE FUNCTION read_open() RETURNS int LANGUAGE sql AS 'SELECT v FROM open_t'",
		"CREATE FUNCTION read_secret() RETURNS int LANGUAGE sql AS 'SELECT v FROM secret_t'",
		"CREATE FUNCTION secret_rows() RETURNS SETOF int LANGUAGE sql AS 'SELECT v FROM secret_t'",
	} {
		if got := run(t, s, q); strings.HasPrefix(got, "ERROR") {
			t.Fatalf("%s: %s", q, got)
		}
	}
	s.SetAuthorizer(func(db string, a sql.Access) bool {
		return a.Table == "open_t" && a.Privilege == sql.PrivSelect
	})
	for q, want := range map[string]string{
		"SELECT read_open()":                                          "read_open\n10\nSELECT 1\n",
		"SELECT read_secret()":                                        "ERROR 42501: permission denied for table secret_t",
		"SELECT * FROM secret_rows()":                                 "ERROR 42501: permission denied for table secret_t",
		"SELECT v FROM open_t WHERE v = read_secret()":                "ERROR 42501: permission denied for table secret_t",
		"CREATE FUNCTION f2() RETURNS int LANGUAGE sql AS 'SELECT 1'": "ERROR 42501: permission denied for database",
		"CREATE DOMAIN d2 AS int":                                     "ERROR 42501: permission denied for database",
		"DROP FUNCTION read_open":                                     "ERROR 42501: permission denied for database",
	} {
		if got := run(t, s, q); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}

// TestFunction_ReplacedSeenByOtherSessions: sessions of one Engine call a function while another replaces it
// again and again: each call answers with one of the bodies made (never an error or a mix), and once the last
// replacement is acknowledged every session's next call runs it (the Engine's cache of the functions follows the
// catalog). Run under -race it also checks the cache's locking.
func TestFunction_ReplacedSeenByOtherSessions(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := sql.NewEngine(db)
	admin := e.NewSession("test", "")
	defer admin.Close()
	if got := run(t, admin, "CREATE FUNCTION version_no() RETURNS int LANGUAGE sql AS 'SELECT 0'"); got != "CREATE FUNCTION\n" {
		t.Fatal(got)
	}
	const callers, rounds = 4, 30
	var wg sync.WaitGroup
	errs := make(chan string, callers*rounds*2)
	stop := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := e.NewSession("test", "")
			defer s.Close()
			for {
				select {
				case <-stop:
					return
				default:
				}
				got := run(t, s, "SELECT version_no()")
				var n int
				if _, err := fmt.Sscanf(got, "version_no\n%d\nSELECT 1\n", &n); err != nil || n < 0 || n > rounds {
					errs <- got
					return
				}
			}
		}()
	}
	for r := 1; r <= rounds; r++ {
		q := fmt.Sprintf("CREATE OR REPLACE FUNCTION version_no() RETURNS int LANGUAGE sql AS 'SELECT %d'", r)
		if got := run(t, admin, q); got != "CREATE FUNCTION\n" {
			t.Fatal(got)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a call during the replacements: %q", e)
	}
	for i := 0; i < callers; i++ {
		s := e.NewSession("test", "")
		if got := run(t, s, "SELECT version_no()"); got != fmt.Sprintf("version_no\n%d\nSELECT 1\n", rounds) {
			t.Errorf("after the last replacement: %q", got)
		}
		s.Close()
	}
}

// TestPLpgSQL_CallerPrivileges: a DO block's, a PL/pgSQL function's and a trigger's statements run with the
// privileges of the session that runs them: a write to a table the caller may not write is 42501, even when a
// trigger makes it, and making or dropping a trigger takes the table's createCollection (as ALTER TABLE does).
func TestPLpgSQL_CallerPrivileges(t *testing.T) {
	s := openSession(t)
	for _, q := range []string{
		"CREATE TABLE pl_open (id int PRIMARY KEY, v int)", "CREATE TABLE pl_log (id int PRIMARY KEY, v int)",
		"CREATE FUNCTION pl_write_log(k int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN INSERT INTO pl_log VALUES (k, k); RETURN k; END $$",
		"CREATE FUNCTION pl_logger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO pl_log VALUES (NEW.id, NEW.v); RETURN NEW; END $$",
		"CREATE TRIGGER pl_logger AFTER INSERT ON pl_open FOR EACH ROW EXECUTE FUNCTION pl_logger()",
	} {
		if got := run(t, s, q); strings.HasPrefix(got, "ERROR") {
			t.Fatalf("%s: %s", q, got)
		}
	}
	s.SetAuthorizer(func(db string, a sql.Access) bool {
		return a.Table == "pl_open" && (a.Privilege == sql.PrivSelect || a.Privilege == sql.PrivInsert)
	})
	for _, c := range []struct{ q, want string }{
		{"DO $$ BEGIN INSERT INTO pl_log VALUES (1, 1); END $$", "ERROR 42501: permission denied for table pl_log"},
		{"SELECT pl_write_log(2)", "ERROR 42501: permission denied for table pl_log"},
		{"INSERT INTO pl_open VALUES (3, 3)", "ERROR 42501: permission denied for table pl_log"},
		{"DROP TRIGGER pl_logger ON pl_open", "ERROR 42501: permission denied for table pl_open"},
		{"CREATE TRIGGER pl_t2 AFTER INSERT ON pl_open FOR EACH ROW EXECUTE FUNCTION pl_logger()", "ERROR 42501: permission denied for table pl_open"},
		{"SELECT count(*) FROM pl_open", "count\n0\nSELECT 1\n"},
	} {
		if got := run(t, s, c.q); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.q, got, c.want)
		}
	}
}

// TestCreateTable_RefusesPartitions: partitioned tables, partitions, inheritance and typed tables, which Concord
// does not have, are refused (0A000) rather than made as plain tables with other rows.
func TestCreateTable_RefusesPartitions(t *testing.T) {
	s := openSession(t)
	if got := run(t, s, "CREATE TABLE part_base (id int, k int)"); strings.HasPrefix(got, "ERROR") {
		t.Fatal(got)
	}
	for _, q := range []string{
		"CREATE TABLE part_p (id int, k int) PARTITION BY RANGE (k)",
		"CREATE TABLE part_c PARTITION OF part_base FOR VALUES FROM (0) TO (10)",
		"CREATE TABLE part_i (extra int) INHERITS (part_base)",
	} {
		if got := run(t, s, q); !strings.HasPrefix(got, "ERROR 0A000") {
			t.Errorf("%s: %s, want 0A000", q, got)
		}
	}
	if got := run(t, s, "SELECT count(*) FROM pg_class WHERE relname LIKE 'part_%'"); !strings.Contains(got, "\n1\n") {
		t.Errorf("tables made: %q, want only part_base", got)
	}
}
