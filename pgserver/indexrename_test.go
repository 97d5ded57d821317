package pgserver_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// indexRenameSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): ALTER INDEX ... RENAME (and
// ALTER TABLE ... RENAME on an index) renames a plain, partial, unique-constraint and primary key index; the
// catalogs, a duplicate key's constraint, ON CONFLICT ON CONSTRAINT and DROP INDEX know the new name, and the old
// one is free for a new index. ALTER TABLE ... RENAME CONSTRAINT renames CHECK, FOREIGN KEY, UNIQUE and PRIMARY
// KEY constraints. A table or column rename keeps its indexes' names, as Rails' rename_table expects before it
// renames them itself. jsonb input refuses \u0000 with 22P05, json takes it.
var indexRenameSteps = []struct{ sql, want string }{
	{"DROP TABLE IF EXISTS ir_child, ir_t, ir_u", ""},
	{"CREATE TABLE ir_t (id int PRIMARY KEY, a int UNIQUE, b int, c int, CONSTRAINT ir_bpos CHECK (b > 0))", "CREATE TABLE"},
	{"CREATE INDEX ir_b ON ir_t (b)", "CREATE INDEX"},
	{"CREATE INDEX ir_c ON ir_t (c) WHERE c > 10", "CREATE INDEX"},
	{"CREATE TABLE ir_child (id int PRIMARY KEY, t int CONSTRAINT ir_child_fk REFERENCES ir_t (id))", "CREATE TABLE"},
	{"ALTER INDEX ir_b RENAME TO ir_b2", "ALTER INDEX"},
	{"ALTER TABLE ir_c RENAME TO ir_c2", "ALTER TABLE"},
	{"ALTER INDEX ir_t_a_key RENAME TO ir_a_uq", "ALTER INDEX"},
	{"ALTER INDEX ir_t_pkey RENAME TO ir_pk", "ALTER INDEX"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ir_t' ORDER BY 1",
		"ir_a_uq|CREATE UNIQUE INDEX ir_a_uq ON public.ir_t USING btree (a)\n" +
			"ir_b2|CREATE INDEX ir_b2 ON public.ir_t USING btree (b)\n" +
			"ir_c2|CREATE INDEX ir_c2 ON public.ir_t USING btree (c) WHERE (c > 10)\n" +
			"ir_pk|CREATE UNIQUE INDEX ir_pk ON public.ir_t USING btree (id)\nSELECT 4"},
	{"SELECT conname, contype FROM pg_constraint WHERE conrelid = 'ir_t'::regclass ORDER BY 1", "ir_a_uq|u\nir_bpos|c\nir_pk|p\nSELECT 3"},
	{"INSERT INTO ir_t VALUES (1, 1, 1, 1)", "INSERT 0 1"},
	{"INSERT INTO ir_t VALUES (2, 1, 2, 2)", `ERROR 23505 duplicate key value violates unique constraint "ir_a_uq"`},
	{"INSERT INTO ir_t VALUES (1, 3, 3, 3)", `ERROR 23505 duplicate key value violates unique constraint "ir_pk"`},
	{"INSERT INTO ir_t VALUES (2, 1, 2, 2) ON CONFLICT ON CONSTRAINT ir_a_uq DO NOTHING", "INSERT 0 0"},
	{"INSERT INTO ir_t VALUES (2, 1, 2, 2) ON CONFLICT ON CONSTRAINT ir_t_a_key DO NOTHING",
		`ERROR 42704 constraint "ir_t_a_key" for table "ir_t" does not exist`},
	{"ALTER INDEX ir_b2 RENAME TO ir_a_uq", `ERROR 42P07 relation "ir_a_uq" already exists`},
	{"ALTER INDEX ir_b2 RENAME TO ir_child", `ERROR 42P07 relation "ir_child" already exists`},
	{"ALTER INDEX nosuch RENAME TO x", `ERROR 42P01 relation "nosuch" does not exist`},
	{"ALTER INDEX IF EXISTS nosuch RENAME TO x", "ALTER INDEX"},
	// The storage still holds the old name ir_b: a new index by that name is another.
	{"CREATE INDEX ir_b ON ir_t (c, b)", "CREATE INDEX"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ir_t' AND indexname LIKE 'ir_b%' ORDER BY 1",
		"ir_b|CREATE INDEX ir_b ON public.ir_t USING btree (c, b)\n" +
			"ir_b2|CREATE INDEX ir_b2 ON public.ir_t USING btree (b)\nSELECT 2"},
	{"DROP INDEX ir_b", "DROP INDEX"},
	{"DROP INDEX ir_b2", "DROP INDEX"},
	{"CREATE INDEX ir_b2 ON ir_t (b)", "CREATE INDEX"},
	{"ALTER TABLE ir_t RENAME CONSTRAINT ir_bpos TO ir_b_positive", "ALTER TABLE"},
	{"ALTER TABLE ir_t RENAME CONSTRAINT ir_pk TO ir_t_pkey", "ALTER TABLE"},
	{"ALTER TABLE ir_child RENAME CONSTRAINT ir_child_fk TO ir_child_t_fk", "ALTER TABLE"},
	{"ALTER TABLE ir_t RENAME CONSTRAINT nosuch TO x", `ERROR 42704 constraint "nosuch" for table "ir_t" does not exist`},
	{"ALTER TABLE ir_t RENAME CONSTRAINT ir_b_positive TO ir_a_uq", `ERROR 42710 constraint "ir_a_uq" for relation "ir_t" already exists`},
	{"SELECT conname, contype FROM pg_constraint WHERE conrelid IN ('ir_t'::regclass, 'ir_child'::regclass) ORDER BY 1",
		"ir_a_uq|u\nir_b_positive|c\nir_child_pkey|p\nir_child_t_fk|f\nir_t_pkey|p\nSELECT 5"},
	{"INSERT INTO ir_t VALUES (5, 5, -1, 5)", `ERROR 23514 new row for relation "ir_t" violates check constraint "ir_b_positive"`},
	{"INSERT INTO ir_child VALUES (1, 99)", `ERROR 23503 insert or update on table "ir_child" violates foreign key constraint "ir_child_t_fk"`},
	{"ALTER TABLE ir_t RENAME TO ir_u", "ALTER TABLE"},
	{"ALTER TABLE ir_u RENAME COLUMN a TO aa", "ALTER TABLE"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ir_u' ORDER BY 1",
		"ir_a_uq|CREATE UNIQUE INDEX ir_a_uq ON public.ir_u USING btree (aa)\n" +
			"ir_b2|CREATE INDEX ir_b2 ON public.ir_u USING btree (b)\n" +
			"ir_c2|CREATE INDEX ir_c2 ON public.ir_u USING btree (c) WHERE (c > 10)\n" +
			"ir_t_pkey|CREATE UNIQUE INDEX ir_t_pkey ON public.ir_u USING btree (id)\nSELECT 4"},
	{"SELECT conname, contype FROM pg_constraint WHERE conrelid = 'ir_u'::regclass ORDER BY 1", "ir_a_uq|u\nir_b_positive|c\nir_t_pkey|p\nSELECT 3"},
	{"INSERT INTO ir_u VALUES (7, 1, 7, 7)", `ERROR 23505 duplicate key value violates unique constraint "ir_a_uq"`},
	{"ALTER TABLE ir_u DROP CONSTRAINT ir_a_uq", "ALTER TABLE"},
	{"INSERT INTO ir_u VALUES (7, 1, 7, 7)", "INSERT 0 1"},
	// Rails' rename_table: the table, then its primary key's index by the old table's name.
	{"CREATE TABLE ir_rails (id bigserial PRIMARY KEY, name text)", "CREATE TABLE"},
	{"CREATE INDEX index_ir_rails_on_name ON ir_rails (name)", "CREATE INDEX"},
	{"ALTER TABLE ir_rails RENAME TO ir_rails2", "ALTER TABLE"},
	{"ALTER INDEX ir_rails_pkey RENAME TO ir_rails2_pkey", "ALTER INDEX"},
	{"ALTER INDEX index_ir_rails_on_name RENAME TO index_ir_rails2_on_name", "ALTER INDEX"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'ir_rails2' ORDER BY 1", "index_ir_rails2_on_name\nir_rails2_pkey\nSELECT 2"},
	{"DROP TABLE ir_rails2", "DROP TABLE"},
	{`SELECT '"\u0000"'::jsonb`, "ERROR 22P05 unsupported Unicode escape sequence"},
	{`SELECT '["\ud83d\ude00", "\u0000"]'::jsonb`, "ERROR 22P05 unsupported Unicode escape sequence"},
	{`SELECT '{"a" 1, "b": "\u0000"}'::jsonb`, "ERROR 22P02 invalid input syntax for type json"},
	{`SELECT '{"a": "\\u0000"}'::jsonb`, `{"a": "\\u0000"}` + "\nSELECT 1"},
	{`SELECT '"\u0000"'::json`, `"\u0000"` + "\nSELECT 1"},
	{"DROP TABLE ir_child, ir_u", "DROP TABLE"},
}

// indexRenameBlockSteps: a transaction block holds index and constraint renames, and ROLLBACK undoes them (not
// on a MongoDB deployment, where a block runs no DDL).
var indexRenameBlockSteps = []struct{ sql, want string }{
	{"DROP TABLE IF EXISTS irb_t", ""},
	{"CREATE TABLE irb_t (id int PRIMARY KEY, a int UNIQUE, b int)", "CREATE TABLE"},
	{"CREATE INDEX irb_b ON irb_t (b)", "CREATE INDEX"},
	{"BEGIN", "BEGIN"},
	{"ALTER INDEX irb_b RENAME TO irb_b2", "ALTER INDEX"},
	{"ALTER TABLE irb_t RENAME CONSTRAINT irb_t_a_key TO irb_a_uq", "ALTER TABLE"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'irb_t' ORDER BY 1", "irb_a_uq\nirb_b2\nirb_t_pkey\nSELECT 3"},
	{"ROLLBACK", "ROLLBACK"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'irb_t' ORDER BY 1", "irb_b\nirb_t_a_key\nirb_t_pkey\nSELECT 3"},
	{"BEGIN", "BEGIN"},
	{"ALTER INDEX irb_t_pkey RENAME TO irb_pk", "ALTER INDEX"},
	{"ALTER INDEX irb_b RENAME TO irb_b3", "ALTER INDEX"},
	{"COMMIT", "COMMIT"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'irb_t' ORDER BY 1", "irb_b3\nirb_pk\nirb_t_a_key\nSELECT 3"},
	{"DROP TABLE irb_t", "DROP TABLE"},
}

// sameKeyIndexSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): indexes on the same columns
// beside each other, as soft deletes use them: a plain index, a unique one only over the live rows (WHERE
// deleted_at IS NULL), a unique one over every row, and partial ones of one WHERE clause (the second an alias of
// the first, built again under its name when the first is dropped); each keeps its own rule and shows its own
// definition.
var sameKeyIndexSteps = []struct{ sql, want string }{
	{"CREATE TABLE sk_usr (id int PRIMARY KEY, email text, deleted_at timestamptz)", "CREATE TABLE"},
	{"CREATE INDEX sk_email ON sk_usr (email)", "CREATE INDEX"},
	{"CREATE UNIQUE INDEX sk_email_live ON sk_usr (email) WHERE deleted_at IS NULL", "CREATE INDEX"},
	{"INSERT INTO sk_usr VALUES (1, 'a', NULL)", "INSERT 0 1"},
	{"INSERT INTO sk_usr VALUES (2, 'a', NULL)", `ERROR 23505 duplicate key value violates unique constraint "sk_email_live"`},
	{"UPDATE sk_usr SET deleted_at = '2026-01-01'", "UPDATE 1"},
	{"INSERT INTO sk_usr VALUES (2, 'a', NULL)", "INSERT 0 1"},
	{"SELECT count(*) FROM sk_usr WHERE email = 'a'", "2\nSELECT 1"},
	{"SELECT id FROM sk_usr WHERE email = 'a' AND deleted_at IS NULL", "2\nSELECT 1"},
	{"INSERT INTO sk_usr VALUES (3, 'a', NULL) ON CONFLICT (email) WHERE deleted_at IS NULL DO UPDATE SET deleted_at = '2026-02-01'", "INSERT 0 1"},
	{"SELECT id, deleted_at IS NULL FROM sk_usr ORDER BY id", "1|f\n2|f\nSELECT 2"},
	{"CREATE UNIQUE INDEX sk_email_u ON sk_usr (email)", `ERROR 23505 could not create unique index "sk_email_u"`},
	{"DELETE FROM sk_usr WHERE id = 1", "DELETE 1"},
	{"CREATE UNIQUE INDEX sk_email_u ON sk_usr (email)", "CREATE INDEX"},
	{"INSERT INTO sk_usr VALUES (3, 'a', '2026-01-01')", `ERROR 23505 duplicate key value violates unique constraint "sk_email_u"`},
	{"CREATE INDEX sk_email_del ON sk_usr (email) WHERE deleted_at IS NOT NULL", "CREATE INDEX"},
	{"CREATE INDEX sk_email_del2 ON sk_usr (email) WHERE deleted_at IS NOT NULL", "CREATE INDEX"},
	{"DROP INDEX sk_email", "DROP INDEX"},
	{"DROP INDEX sk_email_del", "DROP INDEX"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'sk_usr' ORDER BY 1",
		"sk_email_del2|CREATE INDEX sk_email_del2 ON public.sk_usr USING btree (email) WHERE (deleted_at IS NOT NULL)\n" +
			"sk_email_live|CREATE UNIQUE INDEX sk_email_live ON public.sk_usr USING btree (email) WHERE (deleted_at IS NULL)\n" +
			"sk_email_u|CREATE UNIQUE INDEX sk_email_u ON public.sk_usr USING btree (email)\n" +
			"sk_usr_pkey|CREATE UNIQUE INDEX sk_usr_pkey ON public.sk_usr USING btree (id)\nSELECT 4"},
	{"SELECT pg_get_indexdef('sk_email_live'::regclass, 0, true)", "CREATE UNIQUE INDEX sk_email_live ON sk_usr USING btree (email) WHERE deleted_at IS NULL\nSELECT 1"},
	{"DROP INDEX sk_email_u", "DROP INDEX"},
	{"INSERT INTO sk_usr VALUES (3, 'a', '2026-01-01')", "INSERT 0 1"},
	{"DROP TABLE sk_usr", "DROP TABLE"},
}

// runIndexRename runs indexRenameSteps, sameKeyIndexSteps and, but on a MongoDB deployment, indexRenameBlockSteps.
func runIndexRename(t *testing.T, who string, c *pgx.Conn) {
	runMessageSteps(t, who, c, indexRenameSteps)
	runMessageSteps(t, who, c, sameKeyIndexSteps)
	if os.Getenv(backendEnv) != "driver" {
		runMessageSteps(t, who, c, indexRenameBlockSteps)
	}
}

// runMessageSteps runs steps, rendering each statement's rows and tag, or its error's SQLSTATE and message; a
// step that wants "" is setup, its answer unchecked.
// A want with " HINT: " checks the error's hint too.
func runMessageSteps(t *testing.T, who string, c *pgx.Conn, steps []struct{ sql, want string }) {
	t.Helper()
	for _, s := range steps {
		got, err := renderSimple(c, s.sql, nil)
		if err != nil {
			var pe *pgconn.PgError
			if errors.As(err, &pe) {
				got = "ERROR " + pe.Code + " " + pe.Message
				if pe.Hint != "" && strings.Contains(s.want, " HINT: ") {
					got += " HINT: " + pe.Hint
				}
				if strings.Contains(s.want, " CONTEXT: ") {
					got += " CONTEXT: " + pe.Where
				}
			}
		}
		if s.want == "" { // setup
			continue
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q (%v)\nwant: %q", who, s.sql, got, err, s.want)
		}
	}
	if _, err := c.Exec(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
}
