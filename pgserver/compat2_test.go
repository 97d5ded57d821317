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
// casts, literals, columns and filters (values that move with the clock are compared with current_date and now()
// rather than printed), and the type names of pg_type and information_schema; compared with PostgreSQL 15.
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

	// pg_type.typname is PostgreSQL's internal name; format_type, information_schema and psql's names stay SQL's.
	{"SELECT oid, typname, typcategory, typelem FROM pg_type WHERE oid IN (16, 17, 18, 20, 21, 23, 25, 26, 700, 701, 1007, 1009, 1042, 1043, 1082, 1083, 1114, 1184, 1186, 1700, 3802) ORDER BY oid",
		"16|bool|B|0\n17|bytea|U|0\n18|char|Z|0\n20|int8|N|0\n21|int2|N|0\n23|int4|N|0\n25|text|S|0\n26|oid|N|0\n700|float4|N|0\n701|float8|N|0\n" +
			"1007|_int4|A|23\n1009|_text|A|25\n1042|bpchar|S|0\n1043|varchar|S|0\n1082|date|D|0\n1083|time|D|0\n1114|timestamp|D|0\n1184|timestamptz|D|0\n1186|interval|T|0\n1700|numeric|N|0\n3802|jsonb|U|0\nSELECT 21"},
	{"SELECT typname FROM pg_type WHERE typname IN ('int4', 'integer', 'varchar', 'character varying') ORDER BY 1", "int4\nvarchar\nSELECT 2"},
	{"CREATE TABLE tycx (a int, b bigint, c smallint, d real, e double precision, f boolean, g varchar(5), h char(3), i text, j numeric(6,2), " +
		"k timestamptz, l timestamp, m date, n time, o interval, p jsonb, q bytea, r int[], s text[])", "CREATE TABLE"},
	{"SELECT column_name, data_type, udt_name FROM information_schema.columns WHERE table_name = 'tycx' ORDER BY ordinal_position",
		"a|integer|int4\nb|bigint|int8\nc|smallint|int2\nd|real|float4\ne|double precision|float8\nf|boolean|bool\ng|character varying|varchar\n" +
			"h|character|bpchar\ni|text|text\nj|numeric|numeric\nk|timestamp with time zone|timestamptz\nl|timestamp without time zone|timestamp\n" +
			"m|date|date\nn|time without time zone|time\no|interval|interval\np|jsonb|jsonb\nq|bytea|bytea\nr|ARRAY|_int4\ns|ARRAY|_text\nSELECT 19"},
	{"SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid " +
		"WHERE a.attrelid = 'tycx'::regclass AND a.attnum > 0 AND a.attname IN ('a', 'g', 'h', 'j', 'k', 'r') ORDER BY a.attnum",
		"a|integer|int4\ng|character varying(5)|varchar\nh|character(3)|bpchar\nj|numeric(6,2)|numeric\nk|timestamp with time zone|timestamptz\nr|integer[]|_int4\nSELECT 6"},
	{"DROP TABLE tycx", "DROP TABLE"},
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
