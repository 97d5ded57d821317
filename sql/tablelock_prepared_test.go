package sql_test

import (
	"context"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
)

// An autocommitted prepared execution refused by the session's Authorizer keeps none of the table locks its
// execution took before the check: another session locks the table at once afterwards. Before, the refused
// SELECT's ACCESS SHARE lock stayed until the session's next statement, and DDL waited for it.
func TestSession_Execute_RefusedKeepsNoLock(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	e := sql.NewEngine(db)
	app, other := e.NewSession("d", "app"), e.NewSession("d", "admin")
	defer app.Close()
	defer other.Close()
	run := func(s *sql.Session, text string) error {
		return s.Query(ctx, text, func(*sql.Result) error { return nil })
	}
	if err := run(other, "CREATE TABLE rk (id int8 PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	st, err := app.Prepare(ctx, "SELECT * FROM rk", nil)
	if err != nil {
		t.Fatal(err)
	}
	app.SetAuthorizer(func(string, sql.Access) bool { return false })
	if _, err := app.Execute(ctx, st, nil); sql.AsError(err).Code != "42501" {
		t.Fatalf("Execute: %v, want 42501", err)
	}
	if err := run(other, "BEGIN; LOCK TABLE rk NOWAIT; COMMIT"); err != nil {
		t.Fatalf("LOCK TABLE NOWAIT after the refused execution: %v", err)
	}
}
