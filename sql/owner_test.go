package sql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
)

// TestAlterTable_OwnerTo: Concord's objects have no owner. ALTER ... OWNER TO the current user, which pg_dump
// writes for every object of a dump its maker restores, changes nothing once the object is known to exist; to
// another role it is refused plainly (0A000, with a hint at --no-owner) and changes nothing.
func TestAlterTable_OwnerTo(t *testing.T) {
	s := openSession(t)
	run(t, s, "CREATE TABLE o (id int PRIMARY KEY)")
	got := run(t, s, "ALTER TABLE o OWNER TO someone")
	if !strings.HasPrefix(got, "ERROR 0A000: ALTER TABLE ... OWNER TO is not supported") {
		t.Fatalf("OWNER TO another role: %q", got)
	}
	if got := run(t, s, "INSERT INTO o VALUES (1)"); got != "INSERT 0 1\n" {
		t.Fatalf("after OWNER TO: %q", got)
	}
	run(t, s, "CREATE SEQUENCE o_seq")
	run(t, s, "CREATE TYPE o_mood AS ENUM ('a')")
	run(t, s, "CREATE VIEW o_view AS SELECT id FROM o")
	for q, want := range map[string]string{
		"ALTER TABLE public.o_seq OWNER TO someone":          "ERROR 0A000: ALTER TABLE ... OWNER TO is not supported",
		"ALTER TYPE public.o_mood OWNER TO someone":          "ERROR 0A000: ALTER TYPE ... OWNER TO is not supported",
		"ALTER TABLE o OWNER TO CURRENT_USER":                "ALTER TABLE",
		"ALTER TABLE public.o OWNER TO SESSION_USER":         "ALTER TABLE",
		"ALTER TABLE public.o_seq OWNER TO CURRENT_ROLE":     "ALTER TABLE",
		"ALTER SEQUENCE o_seq OWNER TO CURRENT_USER":         "ALTER SEQUENCE",
		"ALTER VIEW o_view OWNER TO CURRENT_USER":            "ALTER VIEW",
		"ALTER TABLE nope OWNER TO CURRENT_USER":             "ERROR 42P01: relation \"nope\" does not exist",
		"ALTER TABLE IF EXISTS nope OWNER TO CURRENT_USER":   "ALTER TABLE",
		"ALTER TABLE o OWNER TO CURRENT_USER, ADD c int":     "ERROR 0A000: ALTER TABLE ... OWNER TO is not supported",
		"ALTER TYPE public.o_mood OWNER TO CURRENT_USER":     "ALTER TYPE",
		"ALTER TYPE nope OWNER TO CURRENT_USER":              "ERROR 42704: type \"nope\" does not exist",
		"ALTER SCHEMA public OWNER TO CURRENT_USER":          "ALTER SCHEMA",
		"ALTER SCHEMA elsewhere OWNER TO CURRENT_USER":       "ERROR 3F000: schema \"elsewhere\" does not exist",
		"ALTER FUNCTION now() OWNER TO CURRENT_USER":         "ERROR 0A000: ALTER FUNCTION ... OWNER TO is not supported",
		"BEGIN; ALTER TABLE o OWNER TO CURRENT_USER; COMMIT": "BEGIN\nALTER TABLE\nCOMMIT",
	} {
		if got := run(t, s, q); !strings.HasPrefix(got, want) {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
	if got := run(t, s, "SELECT count(*) FROM o"); got != "count\n1\nSELECT 1\n" {
		t.Fatalf("after the OWNER TOs: %q", got)
	}
}

// Each spelling of a temporary table makes one the session reads and no other session of the same engine sees;
// an UNLOGGED table is made as any other, seen by all.
func TestCreateTable_TempSpellings(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := sql.NewEngine(db)
	s, other := e.NewSession("test", ""), e.NewSession("test", "")
	t.Cleanup(s.Close)
	t.Cleanup(other.Close)
	for i, q := range []string{
		"CREATE TEMP TABLE t0 (a int)",
		"CREATE TEMPORARY TABLE t1 (a int)",
		"CREATE TABLE pg_temp.t2 (a int)",
		"CREATE TEMP TABLE t3 AS SELECT 1 AS a",
		"SELECT 1 AS a INTO TEMP t4",
	} {
		if got := run(t, s, q); strings.HasPrefix(got, "ERROR") {
			t.Fatalf("%s: %q", q, got)
		}
		name := fmt.Sprintf("t%d", i)
		if got := run(t, s, "SELECT count(*) FROM "+name); strings.HasPrefix(got, "ERROR") {
			t.Errorf("%s, then its table: %q", q, got)
		}
		if got := run(t, other, "SELECT count(*) FROM "+name); !strings.HasPrefix(got, "ERROR 42P01") {
			t.Errorf("%s, then another session: %q, want 42P01", q, got)
		}
	}
	if got := run(t, s, "CREATE UNLOGGED TABLE ut (a int)"); got != "CREATE TABLE\n" {
		t.Fatalf("CREATE UNLOGGED TABLE: %q", got)
	}
	if got := run(t, other, "SELECT count(*) FROM ut"); got != "count\n0\nSELECT 1\n" {
		t.Fatalf("an UNLOGGED table from another session: %q", got)
	}
}
