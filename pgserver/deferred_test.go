package pgserver_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// deferredFKSteps run in order against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): foreign keys declared
// DEFERRABLE INITIALLY DEFERRED (as Django declares them) and DEFERRABLE ones under SET CONSTRAINTS are checked
// at COMMIT, which fails and rolls the block back when a check fails; outside a block each statement is checked
// at its end; the catalog shows the clauses. want is the rows and tag as in compareSteps, or "ERROR ", the
// SQLSTATE and the constraint.
var deferredFKSteps = []struct{ sql, want string }{
	{"CREATE TABLE dp (id int PRIMARY KEY)", "CREATE TABLE"},
	{"CREATE TABLE dc (id int PRIMARY KEY, pid int REFERENCES dp (id) DEFERRABLE INITIALLY DEFERRED)", "CREATE TABLE"},
	{"CREATE TABLE di (id int PRIMARY KEY, pid int, CONSTRAINT di_fk FOREIGN KEY (pid) REFERENCES dp (id) DEFERRABLE)", "CREATE TABLE"},
	{"CREATE TABLE dn (id int PRIMARY KEY, pid int REFERENCES dp (id))", "CREATE TABLE"},
	{"INSERT INTO dc VALUES (1, 1)", "ERROR 23503 dc_pid_fkey"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO dc VALUES (1, 1)", "INSERT 0 1"},
	{"INSERT INTO dp VALUES (1)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT * FROM dc", "1|1\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO dc VALUES (2, 2)", "INSERT 0 1"},
	{"COMMIT", "ERROR 23503 dc_pid_fkey"},
	{"SELECT count(*) FROM dc", "1\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO di VALUES (1, 5)", "ERROR 23503 di_fk"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS ALL DEFERRED", "SET CONSTRAINTS"},
	{"INSERT INTO di VALUES (1, 5)", "INSERT 0 1"},
	{"INSERT INTO dp VALUES (5)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO dc VALUES (3, 3)", "INSERT 0 1"},
	{"SET CONSTRAINTS ALL IMMEDIATE", "ERROR 23503 dc_pid_fkey"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"INSERT INTO dc VALUES (3, 3)", "INSERT 0 1"},
	{"SET CONSTRAINTS dc_pid_fkey IMMEDIATE", "ERROR 23503 dc_pid_fkey"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS dn_pid_fkey DEFERRED", "ERROR 42809"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SET CONSTRAINTS nope DEFERRED", "ERROR 42704"},
	{"ROLLBACK", "ROLLBACK"},
	{"SET CONSTRAINTS ALL DEFERRED", "SET CONSTRAINTS"},
	{"BEGIN", "BEGIN"},
	{"DELETE FROM dp WHERE id = 1", "DELETE 1"},
	{"INSERT INTO dp VALUES (1)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"BEGIN", "BEGIN"},
	{"DELETE FROM dp WHERE id = 1", "DELETE 1"},
	{"COMMIT", "ERROR 23503 dc_pid_fkey"},
}

// deferredFKSavepointSteps continue deferredFKSteps' tables: a deferred check a rolled-back savepoint's write
// left is forgotten with it (not on the driver backend, which has no savepoints).
var deferredFKSavepointSteps = []struct{ sql, want string }{
	{"BEGIN", "BEGIN"},
	{"INSERT INTO dc VALUES (4, 4)", "INSERT 0 1"},
	{"SAVEPOINT a", "SAVEPOINT"},
	{"INSERT INTO dc VALUES (5, 6)", "INSERT 0 1"},
	{"ROLLBACK TO a", "ROLLBACK"},
	{"INSERT INTO dp VALUES (4)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
}

// deferredFKEndSteps end deferredFKSteps: what the table holds (the savepoint steps' row 4 included when they
// ran), the catalog's view of the three keys, and the cleanup.
func deferredFKEndSteps(withSavepoints bool) []struct{ sql, want string } {
	rows := "1|1\nSELECT 1"
	if withSavepoints {
		rows = "1|1\n4|4\nSELECT 2"
	}
	return append([]struct{ sql, want string }{{"SELECT * FROM dc ORDER BY id", rows}}, []struct{ sql, want string }{
		{"SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE contype = 'f' ORDER BY conname", "dc_pid_fkey|t|t\ndi_fk|t|f\ndn_pid_fkey|f|f\nSELECT 3"},
		{"SELECT constraint_name, is_deferrable, initially_deferred FROM information_schema.table_constraints WHERE constraint_type = 'FOREIGN KEY' ORDER BY 1", "dc_pid_fkey|YES|YES\ndi_fk|YES|NO\ndn_pid_fkey|NO|NO\nSELECT 3"},
		{"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY conname", "FOREIGN KEY (pid) REFERENCES dp(id) DEFERRABLE INITIALLY DEFERRED\nFOREIGN KEY (pid) REFERENCES dp(id) DEFERRABLE\nFOREIGN KEY (pid) REFERENCES dp(id)\nSELECT 3"},
		{"DROP TABLE dc, di, dn, dp", "DROP TABLE"},
	}...)
}

// runDeferredFKs runs the deferred foreign key steps on a connection.
func runDeferredFKs(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, deferredFKSteps)
	savepoints := os.Getenv(backendEnv) != "driver"
	if savepoints {
		runSteps(t, who, c, deferredFKSavepointSteps)
	}
	runSteps(t, who, c, deferredFKEndSteps(savepoints))
}

// TestForeignKey_DeferredNoOrphans: blocks inserting a child under a deferred foreign key race the deletion of
// its parent: each round ends with one of the two done (a COMMIT that fails rolls its block back), and no child
// is ever left without its parent.
func TestForeignKey_DeferredNoOrphans(t *testing.T) {
	url, _ := startServer(t)
	setup := connect(t, url)
	for _, q := range []string{
		"CREATE TABLE dorders (id int8 PRIMARY KEY)",
		"CREATE TABLE dlines (id int8 PRIMARY KEY, order_id int8 NOT NULL REFERENCES dorders DEFERRABLE INITIALLY DEFERRED)",
	} {
		mustExec(t, setup, q)
	}
	const workers, rounds = 4, 50
	outcomes := raceParentDeletes(t, url, "dorders", "dlines", workers, rounds, func(c *pgx.Conn, k int64) error {
		ctx := context.Background()
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO dlines VALUES ($1, $1)", k); err != nil {
			_ = tx.Rollback(ctx)
			return err
		}
		return tx.Commit(ctx)
	})
	done := 0
	for o, n := range outcomes {
		switch o {
		case "delete ok, child 23503", "delete ok, child 40001", "delete 23503, child ok":
			done += n
		default:
			t.Errorf("outcome %q (%d rounds): want exactly one of the delete and the block done", o, n)
		}
	}
	if done != workers*rounds {
		t.Fatalf("outcomes %v", outcomes)
	}
	t.Logf("outcomes %v", outcomes)
}
