package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// intervalSteps: intervals keep months, days and time apart, as PostgreSQL's do: calendar arithmetic (January 31
// plus a month is February 29), input forms, output, comparisons ('1 day' = '24 hours'), multiplication, justify,
// age, make_interval, series, aggregates, grouping and columns; compared with PostgreSQL 15.
var intervalSteps = []struct{ sql, want string }{
	{"SELECT timestamp '2024-01-31 10:00' + interval '1 month', date '2024-01-31' + interval '1 month', timestamp '2024-03-10' - interval '1 year'",
		"2024-02-29 10:00:00|2024-02-29 00:00:00|2023-03-10 00:00:00\nSELECT 1"},
	{"SELECT interval '1 month', interval '1 year 2 months 3 days', interval '1 month' * 2, interval '30 days' = interval '1 month'",
		"1 mon|1 year 2 mons 3 days|2 mons|t\nSELECT 1"},
	{"SELECT interval '25 hours', interval '1 day' + interval '1 hour', justify_hours(interval '27 hours')", "25:00:00|1 day 01:00:00|1 day 03:00:00\nSELECT 1"},
	{"SELECT age(timestamp '2024-03-15', timestamp '2023-01-10'), age(timestamp '2023-01-31', timestamp '2024-03-01')",
		"1 year 2 mons 5 days|-1 years -1 mons -1 days\nSELECT 1"},
	{"SELECT extract(month FROM interval '14 months'), extract(day FROM interval '40 days')", "2|40\nSELECT 1"},
	{"SELECT interval '1.5 months', interval '-1 day 02:00:00', interval '1 day ago', interval 'P1Y2M3DT4H5M6S', interval '2 weeks'",
		"1 mon 15 days|-1 days +02:00:00|-1 days|1 year 2 mons 3 days 04:05:06|14 days\nSELECT 1"},
	{"SELECT interval '1 day' = interval '24 hours', interval '1 mon' > interval '29 days', interval '-3 hours 30 minutes'", "t|t|-02:30:00\nSELECT 1"},
	{"SELECT timestamp '2024-01-02 02:00' - timestamp '2024-01-01', timestamp '2024-03-01' - timestamp '2024-01-01'", "1 day 02:00:00|60 days\nSELECT 1"},
	{"SELECT interval '1 day' / 2, interval '1 month' / 3, 2 * interval '1 hour', interval '1 hour' * 1.5", "12:00:00|10 days|02:00:00|01:30:00\nSELECT 1"},
	{"SELECT justify_days(interval '35 days'), justify_interval(interval '1 mon -1 hour'), justify_hours(interval '-27 hours')",
		"1 mon 5 days|29 days 23:00:00|-1 days -03:00:00\nSELECT 1"},
	{"SELECT make_interval(years => 1, months => 2, days => 3, hours => 4, mins => 5, secs => 6.5)", "1 year 2 mons 3 days 04:05:06.5\nSELECT 1"},
	{"SELECT generate_series(timestamp '2024-01-31', timestamp '2024-04-30', interval '1 month')",
		"2024-01-31 00:00:00\n2024-02-29 00:00:00\n2024-03-29 00:00:00\n2024-04-29 00:00:00\nSELECT 4"},
	{"SELECT sum(x), avg(x), max(x) FROM (VALUES (interval '1 day'), (interval '12 hours'), (interval '1 month')) v(x)",
		"1 mon 1 day 12:00:00|10 days 12:00:00|1 mon\nSELECT 1"},
	{"SELECT x, count(*) FROM (VALUES (interval '1 day'), (interval '24 hours')) v(x) GROUP BY x", "1 day|2\nSELECT 1"},
	{"CREATE TABLE ivx (id int PRIMARY KEY, d interval)", "CREATE TABLE"},
	{"INSERT INTO ivx VALUES (1, '1 month'), (2, '30 days'), (3, '2 hours'), (4, NULL)", "INSERT 0 4"},
	{"SELECT * FROM ivx ORDER BY d, id", "3|02:00:00\n1|1 mon\n2|30 days\n4|\nSELECT 4"},
	{"SELECT id FROM ivx WHERE d = interval '30 days' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM ivx WHERE d > '1 day' ORDER BY id", "1\n2\nSELECT 2"},
	{"UPDATE ivx SET d = d + interval '1 day' WHERE id = 3 RETURNING d", "1 day 02:00:00\nUPDATE 1"},
	{"SELECT '1 day'::interval::text, to_json(interval '1 hour')", "1 day|\"01:00:00\"\nSELECT 1"},
	{"SELECT interval 'abc'", "ERROR 22007"},
	// Ranges, PostgreSQL's multiplication and division, justify's order, ties, arrays, long spans, pushdown.
	{"SELECT timestamp '2000-01-01' + interval '8760000 hours'", "2999-05-03 00:00:00\nSELECT 1"},
	{"SELECT interval '2147483647 days' + interval '1 day'", "ERROR 22008"},
	{"SELECT timestamp '2000-01-01' + interval '300000 years'", "ERROR 22008"},
	{"SELECT justify_interval(interval '29 days 48 hours'), justify_interval(interval '59 days 25 hours')", "1 mon 1 day|2 mons 01:00:00\nSELECT 1"},
	{"SELECT interval '4 mons' / 3, interval '2 mons' * 0.7, interval '1 mon -1 day' * 0.5", "1 mon 10 days|1 mon 12 days|15 days -12:00:00\nSELECT 1"},
	{"SELECT avg(x) FROM (VALUES (interval '1 mon'), (interval '1 mon'), (interval '2 mons')) v(x)", "1 mon 10 days\nSELECT 1"},
	{"SELECT interval '10', interval '1.5', -interval '1 day'", "00:00:10|00:00:01.5|-1 days\nSELECT 1"},
	{"SELECT min(x), max(x) FROM (VALUES (interval '1 mon'), (interval '30 days')) v(x)", "30 days|30 days\nSELECT 1"},
	{"SELECT ARRAY[interval '1 day', interval '1 mon']", "{\"1 day\",\"1 mon\"}\nSELECT 1"},
	{"SELECT timestamp '2300-01-01 06:00' - timestamp '2000-01-01 12:00'", "109572 days 18:00:00\nSELECT 1"},
	{"CREATE TABLE tsx (id int PRIMARY KEY, ts timestamp)", "CREATE TABLE"},
	{"INSERT INTO tsx VALUES (1, '2024-03-01'), (2, '2024-01-01')", "INSERT 0 2"},
	{"SELECT id FROM tsx WHERE ts + interval '30 days' > timestamp '2024-03-30' ORDER BY id", "1\nSELECT 1"},
	{"SELECT id FROM tsx WHERE timestamp '2024-06-01' - ts < interval '100 days' ORDER BY id", "1\nSELECT 1"},
	{"DROP TABLE tsx", "DROP TABLE"},
	{"DROP TABLE ivx", "DROP TABLE"},
}

// TestInterval_Binary: pgx sends and reads intervals with months and days in the binary format.
func TestInterval_Binary(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	want := pgtype.Interval{Months: 14, Days: 3, Microseconds: int64(4 * time.Hour / time.Microsecond), Valid: true}
	var got pgtype.Interval
	var text string
	var later time.Time
	if err := c.QueryRow(ctx, "SELECT $1::interval, $1::interval::text, timestamp '2024-01-31' + $1", want).Scan(&got, &text, &later); err != nil {
		t.Fatal(err)
	}
	if got != want || text != "1 year 2 mons 3 days 04:00:00" || !later.Equal(time.Date(2025, 4, 3, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %+v %q %v", got, text, later)
	}
}

func runInterval(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, intervalSteps) }
