package sql_test

import (
	"strings"
	"testing"
)

// TestAlterTable_OwnerTo: Concord's tables have no owner, so ALTER TABLE ... OWNER TO, which pg_dump writes for
// every table, is refused plainly (0A000, with a hint at --no-owner) and changes nothing.
func TestAlterTable_OwnerTo(t *testing.T) {
	s := openSession(t)
	run(t, s, "CREATE TABLE o (id int PRIMARY KEY)")
	got := run(t, s, "ALTER TABLE o OWNER TO postgres")
	if !strings.HasPrefix(got, "ERROR 0A000: ALTER TABLE ... OWNER TO is not supported") {
		t.Fatalf("OWNER TO: %q", got)
	}
	if got := run(t, s, "INSERT INTO o VALUES (1)"); got != "INSERT 0 1\n" {
		t.Fatalf("after OWNER TO: %q", got)
	}
}
