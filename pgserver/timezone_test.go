package pgserver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// timeZoneSteps: the session's TimeZone: the forms of SET TIME ZONE and what SHOW names them, timestamps with
// time zone shown, read, cast, truncated, extracted, formatted, compared and stored in the zone, days added
// across a change to summer time, SET LOCAL and a rolled-back SET; compared with PostgreSQL 15. The zone is
// reset at the end.
var timeZoneSteps = []struct{ sql, want string }{
	{"SET TIME ZONE 'Europe/Paris'", "SET"},
	{"SHOW TimeZone", "Europe/Paris\nSHOW"},
	{"SELECT timestamptz '2024-01-01 12:00:00+00', timestamptz '2024-07-01 12:00:00+00', timestamptz '2024-01-01 12:00'",
		"2024-01-01 13:00:00+01|2024-07-01 14:00:00+02|2024-01-01 12:00:00+01\nSELECT 1"},
	// A clock time the change to summer time skips is read an hour later; one the change back repeats, in winter time.
	{"SELECT '2024-03-31 02:30'::timestamptz, '2024-10-27 02:30'::timestamptz",
		"2024-03-31 03:30:00+02|2024-10-27 02:30:00+01\nSELECT 1"},
	{"SELECT tz::date, tz::timestamp, tz::time, tz::text, tz::varchar FROM (SELECT timestamptz '2024-06-30 22:30+00' AS tz) s",
		"2024-07-01|2024-07-01 00:30:00|00:30:00|2024-07-01 00:30:00+02|2024-07-01 00:30:00+02\nSELECT 1"},
	{"SELECT timestamp '2024-07-01 00:30'::timestamptz, date '2024-07-01'::timestamptz, timestamp '2024-07-01 00:30'::text, date '2024-07-01'::text",
		"2024-07-01 00:30:00+02|2024-07-01 00:00:00+02|2024-07-01 00:30:00|2024-07-01\nSELECT 1"},
	{"SELECT date_trunc('day', tz), date_trunc('hour', tz), date_trunc('month', tz), date_trunc('day', tz, 'Asia/Tokyo') FROM (SELECT timestamptz '2024-06-30 22:30+00' AS tz) s",
		"2024-07-01 00:00:00+02|2024-07-01 00:00:00+02|2024-07-01 00:00:00+02|2024-06-30 17:00:00+02\nSELECT 1"},
	{"SELECT extract(hour FROM tz), extract(day FROM tz), extract(timezone FROM tz), extract(timezone_hour FROM tz), date_part('dow', tz) FROM (SELECT timestamptz '2024-06-30 22:30+00' AS tz) s",
		"0|1|7200|2|1\nSELECT 1"},
	{"SELECT to_char(timestamptz '2024-06-30 22:30+00', 'YYYY-MM-DD HH24:MI TZ tz OF')", "2024-07-01 00:30 CEST cest +02\nSELECT 1"},
	// Days and months are added on the zone's calendar, hours as elapsed time.
	{"SELECT timestamptz '2024-03-30 12:00' + interval '1 day', timestamptz '2024-03-30 12:00' + interval '24 hours', timestamptz '2024-10-27 12:00' - interval '1 day', interval '1 month' + timestamptz '2024-02-29 12:00'",
		"2024-03-31 12:00:00+02|2024-03-31 13:00:00+02|2024-10-26 12:00:00+02|2024-03-29 12:00:00+01\nSELECT 1"},
	{"SELECT age(timestamptz '2024-04-01 00:00', timestamptz '2024-03-01 00:00'), age(timestamptz '2024-11-01 00:00', timestamptz '2024-03-01 00:00'), age(date_trunc('day', now()))",
		"1 mon|8 mons|00:00:00\nSELECT 1"},
	{"SELECT timestamptz '2024-07-01 12:00+00' AT TIME ZONE 'Asia/Tokyo', timestamp '2024-07-01 12:00' AT TIME ZONE 'Asia/Tokyo'",
		"2024-07-01 21:00:00|2024-07-01 05:00:00+02\nSELECT 1"},
	{"SELECT 'at ' || timestamptz '2024-07-01 12:00+00', concat(timestamptz '2024-07-01 12:00+00', '!'), to_json(timestamptz '2024-07-01 12:00+00')",
		"at 2024-07-01 14:00:00+02|2024-07-01 14:00:00+02!|\"2024-07-01T14:00:00+02:00\"\nSELECT 1"},
	{"CREATE TABLE tz_events (id int8 PRIMARY KEY, at timestamptz)", "CREATE TABLE"},
	{"INSERT INTO tz_events VALUES (1, '2024-07-01 12:00'), (2, '2024-01-01 12:00'), (3, '2024-07-01 12:00+00')", "INSERT 0 3"},
	{"SELECT id, at FROM tz_events ORDER BY id",
		"1|2024-07-01 12:00:00+02\n2|2024-01-01 12:00:00+01\n3|2024-07-01 14:00:00+02\nSELECT 3"},
	{"SELECT id FROM tz_events WHERE at = '2024-07-01 12:00'", "1\nSELECT 1"},
	{"SELECT id FROM tz_events WHERE at >= date '2024-07-01' ORDER BY id", "1\n3\nSELECT 2"},
	{"SELECT id FROM tz_events WHERE at < timestamp '2024-07-01 11:00' ORDER BY id", "2\nSELECT 1"},
	{"SELECT id FROM tz_events WHERE at BETWEEN '2024-07-01 11:00' AND '2024-07-01 13:00' ORDER BY id", "1\nSELECT 1"},
	{"SELECT date_trunc('day', at)::date, count(*) FROM tz_events GROUP BY 1 ORDER BY 1", "2024-01-01|1\n2024-07-01|2\nSELECT 2"},
	{"CREATE TABLE tz_local (id int8 PRIMARY KEY, ts timestamp)", "CREATE TABLE"},
	{"INSERT INTO tz_local VALUES (1, '2024-07-01 12:00'), (2, '2024-01-01 11:00'), (3, '2024-07-01 12:00')", "INSERT 0 3"},
	{"SELECT e.id, l.id FROM tz_events e JOIN tz_local l ON e.at = l.ts ORDER BY 1, 2", "1|1\n1|3\nSELECT 2"},
	{"SELECT e.id, e.at = l.ts, e.at > l.ts FROM tz_events e, tz_local l WHERE e.id = l.id ORDER BY 1", "1|t|f\n2|f|t\n3|f|t\nSELECT 3"},
	{"DROP TABLE tz_local", "DROP TABLE"},
	{"SELECT at FROM tz_events WHERE id = 1 UNION ALL SELECT '2024-01-01 00:00'", "2024-07-01 12:00:00+02\n2024-01-01 00:00:00+01\nSELECT 2"},
	{"SELECT CASE WHEN id = 1 THEN at ELSE '2024-02-02 10:00' END FROM tz_events ORDER BY id",
		"2024-07-01 12:00:00+02\n2024-02-02 10:00:00+01\n2024-02-02 10:00:00+01\nSELECT 3"},
	{"SELECT generate_series(timestamptz '2024-03-30 00:00', timestamptz '2024-04-01 00:00', interval '1 day')",
		"2024-03-30 00:00:00+01\n2024-03-31 00:00:00+01\n2024-04-01 00:00:00+02\nSELECT 3"},
	{"UPDATE tz_events SET at = '2024-07-02 08:00' WHERE id = 1 RETURNING at", "2024-07-02 08:00:00+02\nUPDATE 1"},
	{"SET TIME ZONE 'Asia/Kolkata'", "SET"},
	{"SELECT id, at, to_char(at, 'HH24:MI TZ OF') FROM tz_events ORDER BY id",
		"1|2024-07-02 11:30:00+05:30|11:30 IST +05:30\n2|2024-01-01 16:30:00+05:30|16:30 IST +05:30\n3|2024-07-01 17:30:00+05:30|17:30 IST +05:30\nSELECT 3"},
	{"SET timezone = 'America/St_Johns'", "SET"},
	{"SELECT id, at, extract(timezone_minute FROM at) FROM tz_events ORDER BY id",
		"1|2024-07-02 03:30:00-02:30|-30\n2|2024-01-01 07:30:00-03:30|-30\n3|2024-07-01 09:30:00-02:30|-30\nSELECT 3"},
	{"DROP TABLE tz_events", "DROP TABLE"},
	// The zone's history: Amsterdam kept its local mean time, 19 minutes 32 seconds east, until 1937.
	{"SET TIME ZONE 'Europe/Amsterdam'", "SET"},
	{"SELECT timestamptz '1900-06-01 12:00+00', to_char(timestamptz '1900-06-01 12:00+00', 'OF')", "1900-06-01 12:19:32+00:19:32|+00:19\nSELECT 1"},
	// Numbers are hours east of Greenwich, POSIX zones' offsets hours west.
	{"SET TIME ZONE -5", "SET"},
	{"SHOW TimeZone", "<-05>+05\nSHOW"},
	{"SELECT timestamptz '2024-01-01 12:00+00'", "2024-01-01 07:00:00-05\nSELECT 1"},
	{"SET TIME ZONE '+02'", "SET"},
	{"SELECT current_setting('TimeZone'), timestamptz '2024-01-01 12:00+00'", "<+02>-02|2024-01-01 14:00:00+02\nSELECT 1"},
	{"SET TIME ZONE 5.5", "SET"},
	{"SELECT current_setting('TimeZone'), timestamptz '2024-01-01 12:00+00', to_char(timestamptz '2024-01-01 12:00+00', 'TZ OF')",
		"<+05:30>-05:30|2024-01-01 17:30:00+05:30|+05:30 +05:30\nSELECT 1"},
	{"SET TIME ZONE 'UTC+3'", "SET"},
	{"SELECT current_setting('TimeZone'), timestamptz '2024-01-01 12:00+00', to_char(timestamptz '2024-01-01 12:00+00', 'TZ OF')",
		"UTC+3|2024-01-01 09:00:00-03|UTC -03\nSELECT 1"},
	{"SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE", "SET"},
	{"SHOW TimeZone", "<+05:30>-05:30\nSHOW"},
	{"SET TIME ZONE INTERVAL '1 day'", "ERROR 22023"},
	{"SET TIME ZONE 168", "ERROR 22023"},
	{"SET TIME ZONE 'europe/paris'", "SET"},
	{"SHOW TimeZone", "Europe/Paris\nSHOW"},
	{"SET TIME ZONE 'Mars/Base'", "ERROR 22023"},
	{"SET timezone = 'Local'", "ERROR 22023"},
	{"SHOW TimeZone", "Europe/Paris\nSHOW"},
	// SET LOCAL ends with its block; a SET in a block that rolls back is undone.
	{"BEGIN", "BEGIN"},
	{"SET LOCAL TIME ZONE 'Asia/Tokyo'", "SET"},
	{"SELECT timestamptz '2024-01-01 00:00+00'", "2024-01-01 09:00:00+09\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	{"SELECT timestamptz '2024-01-01 00:00+00'", "2024-01-01 01:00:00+01\nSELECT 1"},
	{"BEGIN", "BEGIN"},
	{"SET TIME ZONE 'Asia/Tokyo'", "SET"},
	{"ROLLBACK", "ROLLBACK"},
	{"SHOW TimeZone", "Europe/Paris\nSHOW"},
	// The clock's values: the transaction's start on the zone's clocks.
	{"SET TIME ZONE 'Pacific/Kiritimati'", "SET"},
	{"SELECT LOCALTIMESTAMP - (now() AT TIME ZONE 'UTC'), CURRENT_DATE = (now() AT TIME ZONE 'Pacific/Kiritimati')::date, now()::date = CURRENT_DATE, 'today'::timestamptz = date_trunc('day', now()), extract(timezone FROM now()), LOCALTIME = (now() AT TIME ZONE 'Pacific/Kiritimati')::time",
		"14:00:00|t|t|t|50400|t\nSELECT 1"},
	{"SET TIME ZONE LOCAL", "SET"},
	{"SELECT extract(timezone FROM now()), timestamptz '2024-01-01 12:00+00'", "0|2024-01-01 12:00:00+00\nSELECT 1"},
	{"SET TIME ZONE 'Asia/Tokyo'", "SET"},
	{"SET TIME ZONE DEFAULT", "SET"},
	{"SELECT timestamptz '2024-01-01 12:00+00'", "2024-01-01 12:00:00+00\nSELECT 1"},
	{"SET TIME ZONE 'Asia/Tokyo'", "SET"},
	{"RESET timezone", "RESET"},
	{"SELECT timestamptz '2024-01-01 12:00+00'", "2024-01-01 12:00:00+00\nSELECT 1"},
}

func runTimeZone(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, timeZoneSteps) }

// runTimeZoneClient checks what a client sees of the session's TimeZone: the startup parameter (as psql's PGTZ
// and JDBC send it) takes effect and is reported back, SET is reported in ParameterStatus, timestamps read in
// binary (as pgx reads them) are the right instants whatever the zone, text parameters are read in it, and a zone
// the server does not know is refused with PostgreSQL's message.
func runTimeZoneClient(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["TimeZone"] = "Asia/Kolkata"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if got := c.PgConn().ParameterStatus("TimeZone"); got != "Asia/Kolkata" {
		t.Errorf("%s: ParameterStatus TimeZone after startup = %q, want Asia/Kolkata", who, got)
	}
	var zone, text string
	var at time.Time
	err = c.QueryRow(ctx, "SELECT current_setting('TimeZone'), tz::text, tz FROM (SELECT timestamptz '2024-01-01 12:00+00' AS tz) s").
		Scan(&zone, &text, &at)
	instant := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	if err != nil || zone != "Asia/Kolkata" || text != "2024-01-01 17:30:00+05:30" || !at.Equal(instant) {
		t.Errorf("%s: startup zone: %q %q %v %v, want Asia/Kolkata, 2024-01-01 17:30:00+05:30, %v", who, zone, text, at, err, instant)
	}
	// A parameter sent as text without an offset is read in the session's zone; one sent in binary is an instant.
	var fromText, fromBinary time.Time
	err = c.QueryRow(ctx, "SELECT $1::timestamptz, $2::timestamptz", pgx.QueryExecModeExec, "2024-01-01 17:30", instant.In(time.FixedZone("x", -7*3600))).
		Scan(&fromText, &fromBinary)
	if err != nil || !fromText.Equal(instant) || !fromBinary.Equal(instant) {
		t.Errorf("%s: parameters: %v %v %v, want %v twice", who, fromText, fromBinary, err, instant)
	}
	if _, err := c.Exec(ctx, "SET TIME ZONE 'America/New_York'"); err != nil {
		t.Fatal(err)
	}
	if got := c.PgConn().ParameterStatus("TimeZone"); got != "America/New_York" {
		t.Errorf("%s: ParameterStatus TimeZone after SET = %q, want America/New_York", who, got)
	}
	if err := c.QueryRow(ctx, "SELECT tz::text, tz FROM (SELECT timestamptz '2024-07-01 12:00+00' AS tz) s").Scan(&text, &at); err != nil ||
		text != "2024-07-01 08:00:00-04" || !at.Equal(time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("%s: after SET: %q %v %v, want 2024-07-01 08:00:00-04 and 12:00 UTC", who, text, at, err)
	}
	if _, err := c.Exec(ctx, "RESET TimeZone"); err != nil {
		t.Fatal(err)
	}
	if got := c.PgConn().ParameterStatus("TimeZone"); got != "Asia/Kolkata" {
		t.Errorf("%s: ParameterStatus TimeZone after RESET = %q, want the startup's Asia/Kolkata", who, got)
	}
	// A block that rolls back undoes its SET, and the client is told so.
	for _, step := range []struct{ sql, want string }{
		{"BEGIN", "Asia/Kolkata"}, {"SET TIME ZONE 'Asia/Tokyo'", "Asia/Tokyo"}, {"ROLLBACK", "Asia/Kolkata"},
	} {
		if _, err := c.Exec(ctx, step.sql); err != nil {
			t.Fatal(err)
		}
		if got := c.PgConn().ParameterStatus("TimeZone"); got != step.want {
			t.Errorf("%s: ParameterStatus TimeZone after %s = %q, want %q", who, step.sql, got, step.want)
		}
	}
	_, err = c.Exec(ctx, "SET TIME ZONE 'Mars/Base'")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "22023" || pe.Message != `invalid value for parameter "TimeZone": "Mars/Base"` {
		t.Errorf("%s: SET TIME ZONE 'Mars/Base': %v, want 22023 invalid value for parameter \"TimeZone\": \"Mars/Base\"", who, err)
	}
	// A startup zone the server does not know refuses the connection, as PostgreSQL does.
	cfg.RuntimeParams["TimeZone"] = "Mars/Base"
	if bad, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		bad.Close(ctx)
		t.Errorf("%s: startup TimeZone Mars/Base accepted", who)
	} else if sqlState(err) != "22023" {
		t.Errorf("%s: startup TimeZone Mars/Base: %v, want 22023", who, err)
	}
}

// runIntervalStyleClient checks what a client sees of the session's IntervalStyle: the startup parameter takes
// effect and is reported back, SET and a rolled-back block's SET are reported in ParameterStatus, intervals read
// as text follow the style and those read in binary (as pgx reads them) are the same values whatever it is.
func runIntervalStyleClient(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["IntervalStyle"] = "iso_8601"
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if got := c.PgConn().ParameterStatus("IntervalStyle"); got != "iso_8601" {
		t.Errorf("%s: ParameterStatus IntervalStyle after startup = %q, want iso_8601", who, got)
	}
	var text string
	var iv pgtype.Interval
	err = c.QueryRow(ctx, "SELECT x::text, x FROM (SELECT interval '1 day 02:00:03.5' AS x) s").Scan(&text, &iv)
	if err != nil || iv != (pgtype.Interval{Days: 1, Microseconds: 7_203_500_000, Valid: true}) {
		t.Errorf("%s: binary interval: %+v %v", who, iv, err)
	}
	// A text result (the simple protocol's) follows the style.
	rows, err := c.Query(ctx, "SELECT interval '1 day 02:00:03.5'", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		text = string(rows.RawValues()[0])
	}
	rows.Close()
	if text != "P1DT2H3.5S" {
		t.Errorf("%s: text interval under iso_8601 = %q, want P1DT2H3.5S", who, text)
	}
	for _, step := range []struct{ sql, want string }{
		{"SET intervalstyle = sql_standard", "sql_standard"}, {"RESET intervalstyle", "iso_8601"},
		{"BEGIN", "iso_8601"}, {"SET intervalstyle = postgres", "postgres"}, {"ROLLBACK", "iso_8601"},
	} {
		if _, err := c.Exec(ctx, step.sql); err != nil {
			t.Fatal(err)
		}
		if got := c.PgConn().ParameterStatus("IntervalStyle"); got != step.want {
			t.Errorf("%s: ParameterStatus IntervalStyle after %s = %q, want %q", who, step.sql, got, step.want)
		}
	}
}
