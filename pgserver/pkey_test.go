package pgserver_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// Dropping a table's primary key, which its rows are stored under, is refused with 0A000, also with IF EXISTS
// (which must not pass over it as if it did not exist); the key keeps holding.
func TestAlterTable_DropPrimaryKeyRefused(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "CREATE TABLE dpk (id int8, v text, CONSTRAINT dpk_named PRIMARY KEY (id))")
	mustExec(t, c, "INSERT INTO dpk VALUES (1, 'a')")
	for _, q := range []string{"ALTER TABLE dpk DROP CONSTRAINT dpk_named", "ALTER TABLE dpk DROP CONSTRAINT IF EXISTS dpk_named"} {
		_, err := c.Exec(ctx, q)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "0A000" || pe.Message != `dropping the primary key "dpk_named" of table "dpk" is not supported` {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO dpk VALUES (1, 'b')"); sqlState(err) != "23505" {
		t.Fatalf("a repeated key after the refused drop: %v, want 23505", err)
	}
	mustExec(t, c, "ALTER TABLE dpk DROP CONSTRAINT IF EXISTS dpk_other")
}
