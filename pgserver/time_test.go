package pgserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// timeSteps: the time (of day) type: input forms and their errors, arithmetic with intervals, dates and other
// times, columns compared, sorted, grouped and updated, and the precision modifier; compared with PostgreSQL 15.
var timeSteps = []struct{ sql, want string }{
	{"SELECT '10:30'::time, '10:30:15.5'::time, '23:59:59.999999'::time, '24:00:00'::time, '10:30 PM'::time, '12:00 AM'::time",
		"10:30:00|10:30:15.5|23:59:59.999999|24:00:00|22:30:00|00:00:00\nSELECT 1"},
	{"SELECT '25:00'::time", "ERROR 22008"},
	{"SELECT 'allballs'::time, '04:05:06+02'::time, '04:05:06-05:30'::time, '04:05:06Z'::time", "00:00:00|04:05:06|04:05:06|04:05:06\nSELECT 1"},
	{"SELECT 'abc'::time", "ERROR 22007"},
	{"SELECT time '08:15' + interval '2 hours 50 minutes', time '23:00' + interval '2 hours', time '10:00' - time '08:30', time '01:00' - interval '2 hours'",
		"11:05:00|01:00:00|01:30:00|23:00:00\nSELECT 1"},
	{"SELECT date '2024-03-01' + time '10:30', extract(hour FROM time '10:30:15.5'), date_part('minute', time '10:30')", "2024-03-01 10:30:00|10|30\nSELECT 1"},
	{"SELECT '2024-03-01 10:30:15'::timestamp::time, '10:30'::time::text, '10:30'::time < '9:00'::time, '10:30'::time = '10:30:00'::time",
		"10:30:15|10:30:00|f|t\nSELECT 1"},
	{"SELECT '10:30:15.123'::time(1), '10:30:15.7'::time(0)", "10:30:15.1|10:30:16\nSELECT 1"},
	{"CREATE TABLE tmx (id int PRIMARY KEY, opens time NOT NULL, closes time, r time(0))", "CREATE TABLE"},
	{"INSERT INTO tmx VALUES (1, '09:00', '17:30', '10:00:00.6'), (2, '8:00', '20:00:00.5', NULL), (3, '10:15', NULL, NULL)", "INSERT 0 3"},
	{"SELECT * FROM tmx ORDER BY opens", "2|08:00:00|20:00:00.5|\n1|09:00:00|17:30:00|10:00:01\n3|10:15:00||\nSELECT 3"},
	{"SELECT id FROM tmx WHERE opens < '9:30' ORDER BY id", "1\n2\nSELECT 2"},
	{"SELECT id, closes - opens FROM tmx ORDER BY id", "1|08:30:00\n2|12:00:00.5\n3|\nSELECT 3"},
	{"SELECT id FROM tmx WHERE closes > opens + interval '9 hours' ORDER BY id", "2\nSELECT 1"},
	{"UPDATE tmx SET opens = opens + interval '30 minutes' WHERE id = 1 RETURNING opens", "09:30:00\nUPDATE 1"},
	{"UPDATE tmx SET closes = '25:00' WHERE id = 1", "ERROR 22008"},
	{"SELECT min(opens), max(closes), count(DISTINCT opens) FROM tmx", "08:00:00|20:00:00.5|3\nSELECT 1"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'tmx'::regclass AND attname IN ('opens', 'r') ORDER BY attnum",
		"time without time zone\ntime(0) without time zone\nSELECT 2"},
	{"SELECT to_json(time '10:00'), atttypmod FROM pg_attribute WHERE attrelid = 'tmx'::regclass AND attname = 'r'", "\"10:00:00\"|0\nSELECT 1"},
	{"SELECT format_type(1083, 3)", "time(3) without time zone\nSELECT 1"},
	{"SELECT date_trunc('day', timestamp '2024-01-01 10:30'), date_trunc('hour', timestamptz '2024-01-01 10:30+00')", "2024-01-01 00:00:00|2024-01-01 10:00:00+00\nSELECT 1"},
	{"SELECT true::text, false::varchar, to_jsonb('str'::text), to_json('123'::text)", "true|false|\"str\"|\"123\"\nSELECT 1"},
	{"DROP TABLE tmx", "DROP TABLE"},
}

// TestTime_Binary: pgx sends and reads time values in the binary format.
func TestTime_Binary(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE tb (id int PRIMARY KEY, t time)"); err != nil {
		t.Fatal(err)
	}
	want := pgtype.Time{Microseconds: int64(13*time.Hour/time.Microsecond + 5*time.Second/time.Microsecond + 250), Valid: true}
	if _, err := c.Exec(ctx, "INSERT INTO tb VALUES ($1, $2)", 1, want); err != nil {
		t.Fatal(err)
	}
	var got pgtype.Time
	var text string
	if err := c.QueryRow(ctx, "SELECT t, t::text FROM tb WHERE t = $1", want).Scan(&got, &text); err != nil {
		t.Fatal(err)
	}
	if got != want || text != "13:00:05.00025" {
		t.Fatalf("got %+v %q, want %+v 13:00:05.00025", got, text, want)
	}
	// A binary time out of range is 22008, and nothing is stored.
	for _, us := range []int64{-1, 86_400_000_001} {
		_, err := c.Exec(ctx, "INSERT INTO tb VALUES ($1, $2)", 2, pgtype.Time{Microseconds: us, Valid: true})
		if sqlState(err) != "22008" {
			t.Errorf("time of %d microseconds: %v, want 22008", us, err)
		}
	}
}

func runTime(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, timeSteps) }
