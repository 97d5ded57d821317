package pgserver_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// compatSteps: PostgreSQL's special date and time input ('today', 'now', 'epoch', 'infinity', 'allballs') in
// casts, literals, columns and filters; compared with PostgreSQL 15. Values that move with the clock are compared
// with current_date and now() rather than printed.
var compatSteps = []struct{ sql, want string }{
	{"SELECT date 'today' = current_date, 'tomorrow'::date = current_date + 1, 'yesterday'::date = current_date - 1", "t|t|t\nSELECT 1"},
	{"SELECT 'epoch'::date, 'infinity'::date, '-infinity'::date", "1970-01-01|infinity|-infinity\nSELECT 1"},
	{"SELECT 'epoch'::timestamp, 'Infinity'::timestamp, '-infinity'::timestamp", "1970-01-01 00:00:00|infinity|-infinity\nSELECT 1"},
	{"SELECT 'EPOCH'::timestamptz, timestamptz 'infinity', timestamptz '-infinity'", "1970-01-01 00:00:00+00|infinity|-infinity\nSELECT 1"},
	{"SELECT timestamp 'today' = current_date::timestamp, timestamp 'tomorrow' = current_date + interval '1 day', timestamptz 'today' = current_date::timestamptz", "t|t|t\nSELECT 1"},
	{"SELECT 'now'::timestamptz = now(), 'now'::timestamp = localtimestamp, 'now'::date = current_date, 'now'::time = localtime", "t|t|t|t\nSELECT 1"},
	{"SELECT ' Yesterday '::date = current_date - 1, 'tomorrow 10:30'::timestamp = current_date + 1 + time '10:30'", "t|t\nSELECT 1"},
	{"SELECT 'allballs'::time, time 'allballs'", "00:00:00|00:00:00\nSELECT 1"},
	{"SELECT 'today'::time", "ERROR 22007"},
	{"SELECT 'infinity'::time", "ERROR 22007"},
	{"SELECT '+infinity'::date", "ERROR 22007"},
	{"SELECT 'allballs'::date", "ERROR 22007"},
	{"SELECT 'garbage'::timestamptz", "ERROR 22007"},
	{"SELECT '2020-02-30'::date", "ERROR 22008"},
	{"SELECT 'infinity'::date > '9999-12-31'::date, '-infinity'::timestamp < '0001-01-01'::timestamp, now() < 'infinity'", "t|t|t\nSELECT 1"},
	{"SELECT date 'infinity' + 1, timestamp 'infinity' + interval '1 day', timestamptz '-infinity' - interval '1 year'", "infinity|infinity|-infinity\nSELECT 1"},
	{"SELECT 'infinity'::timestamp - 'infinity'::timestamp", "ERROR 22008"},
	{"SELECT 'infinity'::date - '2020-01-01'::date", "ERROR 22008"},
	{"SELECT 'today'::date - 'yesterday'::date, 'tomorrow'::timestamp - 'today'::timestamp", "1|1 day\nSELECT 1"},
	{"SELECT extract(year from 'infinity'::timestamp), extract(month from 'infinity'::timestamp), extract(epoch from '-infinity'::timestamptz)", "Infinity||-Infinity\nSELECT 1"},
	{"SELECT date_trunc('day', 'infinity'::timestamp), 'infinity'::date::timestamp, '-infinity'::timestamptz::date, 'infinity'::timestamp::time IS NULL", "infinity|infinity|-infinity|t\nSELECT 1"},
	{"SELECT isfinite('infinity'::date), isfinite(now()), isfinite(interval '1 day'), to_char('infinity'::timestamp, 'YYYY') IS NULL", "f|t|t|t\nSELECT 1"},
	{"CREATE TABLE evcx (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz, t time)", "CREATE TABLE"},
	{"INSERT INTO evcx VALUES (1, 'infinity', 'infinity', 'infinity', 'allballs'), (2, '-infinity', '-infinity', '-infinity', '12:00'), " +
		"(3, 'epoch', 'epoch', 'epoch', '13:00'), (4, 'today', 'today', 'today', 'allballs'), (5, 'yesterday', 'tomorrow', 'now', NULL)", "INSERT 0 5"},
	{"INSERT INTO evcx (id, d) VALUES (9, 'bogus')", "ERROR 22007"},
	{"SELECT id, d, ts, tz, t FROM evcx WHERE id < 4 ORDER BY id",
		"1|infinity|infinity|infinity|00:00:00\n2|-infinity|-infinity|-infinity|12:00:00\n3|1970-01-01|1970-01-01 00:00:00|1970-01-01 00:00:00+00|13:00:00\nSELECT 3"},
	{"SELECT id FROM evcx ORDER BY d, id", "2\n3\n5\n4\n1\nSELECT 5"},
	{"SELECT id FROM evcx ORDER BY ts DESC, id", "1\n5\n4\n3\n2\nSELECT 5"},
	{"SELECT id FROM evcx WHERE d = 'infinity' OR tz = '-infinity' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id FROM evcx WHERE d < 'today' ORDER BY id", "2\n3\n5\nSELECT 3"},
	{"SELECT id FROM evcx WHERE ts > 'today' ORDER BY id", "1\n5\nSELECT 2"},
	{"SELECT id FROM evcx WHERE t = 'allballs' ORDER BY id", "1\n4\nSELECT 2"},
	{"SELECT id, d = current_date, ts = current_date::timestamp, tz <= now() FROM evcx WHERE id IN (4, 5) ORDER BY id", "4|t|t|t\n5|f|f|t\nSELECT 2"},
	{"SELECT max(d), min(ts), max(tz) FROM evcx", "infinity|-infinity|infinity\nSELECT 1"},
	{"UPDATE evcx SET d = d + 7, ts = ts + interval '1 hour' WHERE id IN (1, 2)", "UPDATE 2"},
	{"UPDATE evcx SET d = 'tomorrow' WHERE id = 3", "UPDATE 1"},
	{"SELECT id, d = current_date + 1, ts FROM evcx WHERE id < 4 ORDER BY id", "1|f|infinity\n2|f|-infinity\n3|t|1970-01-01 00:00:00\nSELECT 3"},
	{"SELECT count(*) FROM evcx WHERE d BETWEEN '-infinity' AND 'infinity'", "5\nSELECT 1"},
	{"SELECT isfinite(d), isfinite(ts) FROM evcx ORDER BY id", "f|f\nf|f\nt|t\nt|t\nt|t\nSELECT 5"},
	{"SELECT d + time '10:00', tz AT TIME ZONE 'Europe/Paris' FROM evcx WHERE id < 3 ORDER BY id", "infinity|infinity\n-infinity|-infinity\nSELECT 2"},
	{"DROP TABLE evcx", "DROP TABLE"},
}

func runCompat(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, compatSteps) }

// TestCompat_InfinityParameters: pgx sends dates and timestamps in binary, 'infinity' and '-infinity' as
// PostgreSQL's reserved values, and reads them back the same way.
func TestCompat_InfinityParameters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE infp (id int PRIMARY KEY, d date, ts timestamp, tz timestamptz)"); err != nil {
		t.Fatal(err)
	}
	for i, mod := range []pgtype.InfinityModifier{pgtype.Infinity, pgtype.NegativeInfinity} {
		_, err := c.Exec(ctx, "INSERT INTO infp VALUES ($1, $2, $3, $4)", i+1,
			pgtype.Date{InfinityModifier: mod, Valid: true},
			pgtype.Timestamp{InfinityModifier: mod, Valid: true},
			pgtype.Timestamptz{InfinityModifier: mod, Valid: true})
		if err != nil {
			t.Fatal(err)
		}
	}
	rows, err := c.Query(ctx, "SELECT d, ts, tz, d::text FROM infp WHERE tz > $1 OR tz < $2 ORDER BY id",
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var d pgtype.Date
		var ts pgtype.Timestamp
		var tz pgtype.Timestamptz
		var text string
		if err := rows.Scan(&d, &ts, &tz, &text); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %d %d %s", d.InfinityModifier, ts.InfinityModifier, tz.InfinityModifier, text))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1 1 1 infinity", "-1 -1 -1 -infinity"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
