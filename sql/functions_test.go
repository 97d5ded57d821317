package sql_test

import (
	"strings"
	"testing"

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
