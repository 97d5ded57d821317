package sql_test

import (
	"strings"
	"testing"
)

// TestAlterTable_AddPrimaryKey: a primary key added to a table with rows, as pg_dump's scripts add every one: the
// rows are written again under their keys, and what Concord cannot do that way is refused with nothing changed.
func TestAlterTable_AddPrimaryKey(t *testing.T) {
	s := openSession(t)
	run(t, s, "CREATE TABLE k (a int, b text UNIQUE, c int)")
	run(t, s, "INSERT INTO k VALUES (1, 'x', 10), (2, 'y', 20)")
	for _, c := range []struct{ name, sql, want string }{
		{"an index on a key column is refused", "ALTER TABLE k ADD PRIMARY KEY (b)", "ERROR 0A000"},
		{"together with another action is refused", "ALTER TABLE k ADD PRIMARY KEY (a), ADD COLUMN d int", "ERROR 0A000"},
		{"in a transaction block is refused", "BEGIN; ALTER TABLE k ADD PRIMARY KEY (a)", "BEGIN\nERROR 0A000"},
		{"the block is over", "ROLLBACK", "ROLLBACK"},
		{"the rows are still keyless", "SELECT count(*) FROM pg_constraint WHERE conrelid = 'k'::regclass AND contype = 'p'", "count\n0\nSELECT 1"},
		{"a key on the other columns is added", "ALTER TABLE k ADD CONSTRAINT k_key PRIMARY KEY (a)", "ALTER TABLE"},
		{"the rows keep their values", "SELECT a, b, c FROM k ORDER BY a", "a|b|c\n1|x|10\n2|y|20\nSELECT 2"},
		{"the unique index still holds", "INSERT INTO k VALUES (3, 'x', 30)", "ERROR 23505"},
		{"the key holds", "INSERT INTO k VALUES (1, 'z', 30)", "ERROR 23505"},
		{"the key is the constraint named", "SELECT conname FROM pg_constraint WHERE conrelid = 'k'::regclass AND contype = 'p'", "conname\nk_key\nSELECT 1"},
		{"a row is found by its key", "UPDATE k SET c = 11 WHERE a = 1 RETURNING b", "b\nx\nUPDATE 1"},
	} {
		got := strings.TrimSpace(run(t, s, c.sql))
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %s\n got: %q\nwant: %q", c.name, c.sql, got, c.want)
		}
	}
}
