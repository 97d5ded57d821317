package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dateArraySteps: date[] and timestamp[] columns, as PostgreSQL 15 has them: literals and ARRAY constructors,
// NULL elements, an invalid element (22008), subscripts, array_length, = ANY, @> (with an untyped literal too),
// array_append, array_agg and
// unnest of dates, pg_typeof and \d's type names.
var dateArraySteps = []struct{ sql, want string }{
	{"CREATE TABLE da (id int PRIMARY KEY, ds date[], ts timestamp[])", "CREATE TABLE"},
	{"INSERT INTO da VALUES (1, ARRAY['2024-01-02'::date, '2024-03-04'], ARRAY['2024-01-02 03:04:05'::timestamp])", "INSERT 0 1"},
	{"INSERT INTO da VALUES (2, '{2024-05-06,2024-07-08}', '{\"2024-01-02 03:04:05.5\"}')", "INSERT 0 1"},
	{"INSERT INTO da VALUES (3, '{NULL,2024-07-08}', NULL)", "INSERT 0 1"},
	{"INSERT INTO da VALUES (4, '{2024-02-30}', NULL)", "ERROR 22008"},
	{"SELECT id, ds, ds[1], array_length(ds, 1), ts, ts[1] FROM da ORDER BY id",
		"1|{2024-01-02,2024-03-04}|2024-01-02|2|{\"2024-01-02 03:04:05\"}|2024-01-02 03:04:05\n" +
			"2|{2024-05-06,2024-07-08}|2024-05-06|2|{\"2024-01-02 03:04:05.5\"}|2024-01-02 03:04:05.5\n" +
			"3|{NULL,2024-07-08}||2||\nSELECT 3"},
	{"SELECT pg_typeof(ds), pg_typeof(ds[1]), pg_typeof(ts), pg_typeof(ts[1]) FROM da WHERE id = 1",
		"date[]|date|timestamp without time zone[]|timestamp without time zone\nSELECT 1"},
	{"SELECT id FROM da WHERE '2024-03-04' = ANY(ds)", "1\nSELECT 1"},
	{"SELECT id FROM da WHERE ds @> ARRAY['2024-07-08'::date] ORDER BY id", "2\n3\nSELECT 2"},
	// An untyped literal beside an array is an array of its type.
	{"SELECT id FROM da WHERE ds @> '{2024-07-08}' ORDER BY id", "2\n3\nSELECT 2"},
	{"SELECT id FROM da WHERE '{2024-01-02}' <@ ds AND NOT (ds <@ '{2024-01-02}') ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM da WHERE ds && '{2024-05-06,1999-01-01}' ORDER BY id", "2\nSELECT 1"},
	{"SELECT id FROM da WHERE ds @> '{x}'", "ERROR 22007"},
	{"SELECT '{1,2}' @> '{1}'", "ERROR 42725"},
	{"UPDATE da SET ds = array_append(ds, '2025-01-01') WHERE id = 1", "UPDATE 1"},
	{"SELECT ds, ds[3] + 1 FROM da WHERE id = 1", "{2024-01-02,2024-03-04,2025-01-01}|2025-01-02\nSELECT 1"},
	{"SELECT array_agg(d ORDER BY d) FROM (VALUES ('2024-01-01'::date), ('2023-01-01')) v(d)", "{2023-01-01,2024-01-01}\nSELECT 1"},
	{"SELECT unnest(ds) FROM da WHERE id = 2", "2024-05-06\n2024-07-08\nSELECT 2"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'da'::regclass AND attnum > 1 ORDER BY attnum",
		"date[]\ntimestamp without time zone[]\nSELECT 2"},
	{"DROP TABLE da", "DROP TABLE"},
}

// runDateArrays runs dateArraySteps on a connection.
func runDateArrays(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, dateArraySteps) }

// pgx writes and reads date[] and timestamp[] in the binary format: parameters of []time.Time and the columns
// scanned back into them.
func TestDateArrays_Binary(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "CREATE TABLE dab (id int PRIMARY KEY, ds date[], ts timestamp[])")
	d1, d2 := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	ts := time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC)
	mustExec(t, c, "INSERT INTO dab VALUES ($1, $2, $3)", 1, []time.Time{d1, d2}, []time.Time{ts})
	var ds, tss []time.Time
	if err := c.QueryRow(ctx, "SELECT ds, ts FROM dab WHERE id = $1", 1).Scan(&ds, &tss); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || !ds[0].Equal(d1) || !ds[1].Equal(d2) || len(tss) != 1 || !tss[0].Equal(ts) {
		t.Fatalf("read back %v %v, want [%v %v] [%v]", ds, tss, d1, d2, ts)
	}
	var second time.Time
	if err := c.QueryRow(ctx, "SELECT ds[2] FROM dab WHERE $1 = ANY(ds)", d1).Scan(&second); err != nil || !second.Equal(d2) {
		t.Fatalf("ds[2] where $1 = ANY(ds): %v, %v", second, err)
	}
}
