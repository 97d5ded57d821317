package pgserver_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// paramSteps run in order on one connection whose startup message sets application_name to "cmp", against
// Concord and PostgreSQL 15 (TestCompare_PostgreSQL): each is one simple Query message; want is the SQLSTATE it
// fails with ("" for none), warnings the WARNING notices it raised ("SQLSTATE message", ";"-separated), and
// show, when set, what SHOW param answers after it. They pin down how a transaction block's SET, SET LOCAL and
// RESET end with it: kept on commit, undone on rollback, SET LOCAL undone either way.
var paramSteps = []struct {
	sql, want, warnings, param, show string
}{
	{"SET LOCAL statement_timeout = '5s'", "", "25P01 SET LOCAL can only be used in transaction blocks", "statement_timeout", "0"},
	{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "", "25P01 SET TRANSACTION can only be used in transaction blocks", "", ""},
	{"BEGIN; SET statement_timeout = '7s'; SET LOCAL statement_timeout = '3s'", "", "", "statement_timeout", "3s"},
	{"COMMIT", "", "", "statement_timeout", "7s"},
	{"BEGIN; SET LOCAL statement_timeout = '4s'; SET statement_timeout = '9s'", "", "", "statement_timeout", "9s"},
	{"COMMIT", "", "", "statement_timeout", "9s"},
	{"BEGIN; SET statement_timeout = '1s'", "", "", "statement_timeout", "1s"},
	{"ROLLBACK", "", "", "statement_timeout", "9s"},
	{"BEGIN; SET statement_timeout = '2s'; SELECT 1/0", "22012", "", "", ""},
	{"COMMIT", "", "", "statement_timeout", "9s"},
	{"SET application_name = 'y'; SELECT 1/0", "22012", "", "application_name", "cmp"},
	{"SET application_name = 'z'; COMMIT; SELECT 1/0", "22012", "25P01 there is no transaction in progress", "application_name", "z"},
	{"SET statement_timeout = 100; ROLLBACK; SELECT 1", "", "25P01 there is no transaction in progress", "statement_timeout", "9s"},
	{"SET LOCAL statement_timeout = 5000; SELECT 1", "", "", "statement_timeout", "9s"},
	{"BEGIN", "", "", "", ""},
	{"BEGIN", "", "25001 there is already a transaction in progress", "", ""},
	{"COMMIT", "", "", "", ""},
	{"COMMIT", "", "25P01 there is no transaction in progress", "", ""},
	{"ROLLBACK", "", "25P01 there is no transaction in progress", "", ""},
	{"BEGIN; SET LOCAL application_name TO DEFAULT", "", "", "application_name", "cmp"},
	{"ROLLBACK", "", "", "application_name", "z"},
	{"BEGIN; RESET application_name; COMMIT", "", "", "application_name", "cmp"},
	{"SET application_name = 'w'; RESET ALL", "", "", "application_name", "cmp"},
	{"SHOW statement_timeout", "", "", "statement_timeout", "0"},
}

// runParams runs paramSteps on a new connection to url.
func runParams(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "cmp"
	var notices []string
	cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		notices = append(notices, n.Severity+" "+n.Code+" "+n.Message)
	}
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	for _, s := range paramSteps {
		notices = nil
		_, err := c.PgConn().Exec(ctx, s.sql).ReadAll()
		if got := sqlState(err); got != s.want || (err != nil && s.want == "") {
			t.Errorf("%s: %s: %v, want SQLSTATE %q", who, s.sql, err, s.want)
		}
		var want []string
		if s.warnings != "" {
			for _, w := range strings.Split(s.warnings, ";") {
				want = append(want, "WARNING "+w)
			}
		}
		if strings.Join(notices, ";") != strings.Join(want, ";") {
			t.Errorf("%s: %s: notices %q, want %q", who, s.sql, notices, want)
		}
		if s.param == "" {
			continue
		}
		var got string
		if err := c.QueryRow(ctx, "SHOW "+s.param, pgx.QueryExecModeSimpleProtocol).Scan(&got); err != nil || got != s.show {
			t.Errorf("%s: after %s: SHOW %s = %q %v, want %q", who, s.sql, s.param, got, err, s.show)
		}
	}
}
