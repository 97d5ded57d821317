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
	// pg_dump writes ALTER TABLE ... OWNER TO for a sequence too, and ALTER TYPE ... OWNER TO for an enum type.
	run(t, s, "CREATE SEQUENCE o_seq")
	run(t, s, "CREATE TYPE o_mood AS ENUM ('a')")
	for q, want := range map[string]string{
		"ALTER TABLE public.o_seq OWNER TO postgres": "ERROR 0A000: ALTER TABLE ... OWNER TO is not supported",
		"ALTER TYPE public.o_mood OWNER TO postgres": "ERROR 0A000: ALTER TYPE ... OWNER TO is not supported",
	} {
		if got := run(t, s, q); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
