package pgserver_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// compatSteps: PostgreSQL's special date and time input ('today', 'now', 'epoch', 'infinity', 'allballs') in
// casts, literals, columns and filters (values that move with the clock are compared with current_date and now()
// rather than printed), the type names of pg_type and information_schema, uuid input, and the column types of set
// operations and VALUES; compared with PostgreSQL 15.
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
	{"SELECT '20201399'::date", "ERROR 22008"},
	{"SELECT '2020-1-5'::date, '20200105'::date, '2020-01-05 1:02:03'::timestamp", "2020-01-05|2020-01-05|2020-01-05 01:02:03\nSELECT 1"},
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

	// uuid: PostgreSQL's input forms are one value, shown canonical; anything else is 22P02.
	{"SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid, '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid, uuid 'a0eebc999c0b4ef8bb6d6bb9bd380a11', " +
		"'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11'::uuid",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\nSELECT 1"},
	{"SELECT ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "ERROR 22P02"},
	{"SELECT 'a0eebc9-9-c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "ERROR 22P02"},
	{"SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "ERROR 22P02"},
	{"SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1'::uuid", "ERROR 22P02"},
	{"SELECT 12::uuid", "ERROR 42846"},
	{"SELECT uuid 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' = 'a0eebc999c0b4ef8bb6d6bb9bd380a11', '00000000-0000-0000-0000-000000000000'::uuid < 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid",
		"t|t\nSELECT 1"},
	{"SELECT pg_typeof(gen_random_uuid()), pg_typeof('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid), " +
		"gen_random_uuid()::text ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'", "uuid|uuid|t\nSELECT 1"},
	{"CREATE TABLE ucx (id uuid PRIMARY KEY, n int)", "CREATE TABLE"},
	{"INSERT INTO ucx VALUES ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 1)", "INSERT 0 1"},
	{"INSERT INTO ucx VALUES ('{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 2)", "ERROR 23505"},
	{"INSERT INTO ucx VALUES ('a0eebc999c0b4ef8bb6d6bb9bd380a12', 3), ('nope', 4)", "ERROR 22P02"},
	{"INSERT INTO ucx VALUES ('a0eebc999c0b4ef8bb6d6bb9bd380a12', 3), ('{B0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}', 4), ('{00000000-0000-0000-0000-00000000000F}', 5)", "INSERT 0 3"},
	{"SELECT id, n FROM ucx ORDER BY id", "00000000-0000-0000-0000-00000000000f|5\na0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|1\na0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12|3\nb0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|4\nSELECT 4"},
	{"SELECT n FROM ucx WHERE id = 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12'", "3\nSELECT 1"},
	{"SELECT n FROM ucx WHERE id IN ('{b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 'A0EEBC999C0B4EF8BB6D6BB9BD380A11') ORDER BY n", "1\n4\nSELECT 2"},
	{"SELECT n FROM ucx WHERE id > 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' ORDER BY n", "3\n4\nSELECT 2"},
	{"SELECT n FROM ucx WHERE id = 'bad'", "ERROR 22P02"},
	{"SELECT n FROM ucx WHERE id = 'bad' OR n = 5", "ERROR 22P02"},
	{"UPDATE ucx SET n = 6 WHERE id = '{00000000000000000000-00000000000f}' RETURNING id, n", "00000000-0000-0000-0000-00000000000f|6\nUPDATE 1"},
	{"SELECT id::text, upper(id::text), length(id::text), to_jsonb(id) FROM ucx WHERE n = 1",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11|36|\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"\nSELECT 1"},
	{"CREATE TABLE u2cx (id int PRIMARY KEY, u uuid UNIQUE)", "CREATE TABLE"},
	{"INSERT INTO u2cx VALUES (1, 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'), (2, NULL), (3, '{B0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}')", "INSERT 0 3"},
	{"INSERT INTO u2cx VALUES (4, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')", "ERROR 23505"},
	{"UPDATE u2cx SET u = 'B0EEBC999C0B4EF8BB6D6BB9BD380A11' WHERE id = 1", "ERROR 23505"},
	{"UPDATE u2cx SET u = 'xyz' WHERE id = 2", "ERROR 22P02"},
	{"SELECT u, count(*) FROM u2cx GROUP BY u ORDER BY u NULLS FIRST", "|1\na0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|1\nb0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|1\nSELECT 3"},
	{"SELECT a.n, b.id FROM ucx a JOIN u2cx b ON a.id = b.u ORDER BY b.id", "1|1\n4|3\nSELECT 2"},
	{"SELECT count(DISTINCT u), array_agg(u ORDER BY id) FROM u2cx WHERE u IS NOT NULL", "2|{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\nSELECT 1"},
	{"SELECT u FROM u2cx WHERE id = 1 UNION SELECT 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\nSELECT 1"},
	{"SELECT coalesce(u, '{11111111-1111-1111-1111-111111111111}') FROM u2cx WHERE id = 2", "11111111-1111-1111-1111-111111111111\nSELECT 1"},
	{"SELECT data_type, udt_name FROM information_schema.columns WHERE table_name = 'u2cx' AND column_name = 'u'", "uuid|uuid\nSELECT 1"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'u2cx'::regclass AND attname = 'u'", "uuid\nSELECT 1"},
	{"DROP TABLE ucx, u2cx", "DROP TABLE"},
	{"CREATE TABLE uacx (id int PRIMARY KEY, a uuid[])", "CREATE TABLE"},
	{"INSERT INTO uacx VALUES (1, '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11,b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'), (2, ARRAY['{c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}'::uuid])", "INSERT 0 2"},
	{"INSERT INTO uacx VALUES (3, '{nope}')", "ERROR 22P02"},
	{"SELECT id, a FROM uacx ORDER BY id", "1|{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\n2|{c0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}\nSELECT 2"},
	{"SELECT id FROM uacx WHERE 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' = ANY(a)", "1\nSELECT 1"},
	{"SELECT format_type(atttypid, atttypmod), pg_typeof(a) FROM pg_attribute, uacx WHERE attrelid = 'uacx'::regclass AND attname = 'a' AND id = 2", "uuid[]|uuid[]\nSELECT 1"},
	{"DROP TABLE uacx", "DROP TABLE"},

	// Set operations and VALUES resolve their column types as PostgreSQL's select_common_type.
	{"SELECT 1 UNION SELECT 'a'::text", "ERROR 42804"},
	{"SELECT 1 UNION SELECT true", "ERROR 42804"},
	{"SELECT 1 INTERSECT SELECT 'a'::text", "ERROR 42804"},
	{"SELECT 1 EXCEPT SELECT true", "ERROR 42804"},
	{"SELECT 1 UNION ALL SELECT 'a'::varchar", "ERROR 42804"},
	{"SELECT 'a'::text UNION SELECT 1", "ERROR 42804"},
	{"SELECT interval '1 day' UNION SELECT 1", "ERROR 42804"},
	{"SELECT '{}'::jsonb UNION SELECT 'a'::text", "ERROR 42804"},
	{"SELECT 'x' UNION SELECT 'y' UNION SELECT 1", "ERROR 42804"},
	{"SELECT NULL UNION SELECT 1 UNION SELECT 'a'::text", "ERROR 42804"},
	{"SELECT * FROM (SELECT 1 UNION SELECT 'a'::text) s", "ERROR 42804"},
	{"WITH t AS (SELECT 1 AS a) SELECT a FROM t UNION SELECT true", "ERROR 42804"},
	{"SELECT time '10:00' UNION SELECT date '2020-01-01'", "ERROR 42846"},
	{"SELECT 'a'::bytea UNION SELECT '{}'::jsonb", "ERROR 42846"},
	{"SELECT '{1}'::int[] UNION SELECT '{2}'::text[]", "ERROR 42846"},
	{"SELECT 1 UNION SELECT 'x'", "ERROR 22P02"},
	{"SELECT 1, 'a' UNION SELECT 2, 3", "ERROR 22P02"},
	{"SELECT 1 UNION SELECT 'x' UNION SELECT 'y'::text", "ERROR 22P02"},
	{"SELECT 1 UNION SELECT '2' UNION SELECT NULL ORDER BY 1", "1\n2\n\nSELECT 3"},
	{"SELECT 1 UNION SELECT 2.5 UNION SELECT 3::int8 ORDER BY 1", "1\n2.5\n3\nSELECT 3"},
	{"SELECT 1 UNION SELECT 1.5::float8 ORDER BY 1", "1\n1.5\nSELECT 2"},
	{"SELECT 1 EXCEPT SELECT 1.0", "SELECT 0"},
	{"SELECT 1 INTERSECT SELECT 1::float8", "1\nSELECT 1"},
	{"SELECT 'a' UNION SELECT 'b' ORDER BY 1", "a\nb\nSELECT 2"},
	{"SELECT 'a'::text UNION SELECT 'b'::varchar UNION SELECT 'c'::char(2) ORDER BY 1", "a\nb\nc\nSELECT 3"},
	{"SELECT date '2020-01-01' UNION SELECT timestamptz '2020-01-02' ORDER BY 1", "2020-01-01 00:00:00+00\n2020-01-02 00:00:00+00\nSELECT 2"},
	{"SELECT date '2020-01-01' UNION SELECT timestamp '2020-01-02' ORDER BY 1", "2020-01-01 00:00:00\n2020-01-02 00:00:00\nSELECT 2"},
	{"SELECT '{1}'::int[] UNION SELECT '{2}'::int8[] ORDER BY 1", "{1}\n{2}\nSELECT 2"},
	{"SELECT true UNION SELECT 'yes' ORDER BY 1", "t\nSELECT 1"},
	{"SELECT x FROM (VALUES (1), ('a'::text)) v(x)", "ERROR 42804"},
	{"SELECT x FROM (VALUES (1), (true)) v(x)", "ERROR 42804"},
	{"VALUES ('a'), (1)", "ERROR 22P02"},
	{"SELECT x FROM (VALUES (1), ('2'), (2.5), (NULL)) v(x) ORDER BY 1", "1\n2\n2.5\n\nSELECT 4"},
	{"SELECT x FROM (VALUES (date '2020-01-01'), (timestamptz '2020-01-02')) v(x) ORDER BY 1", "2020-01-01 00:00:00+00\n2020-01-02 00:00:00+00\nSELECT 2"},
	{"CREATE TABLE vcx (id int PRIMARY KEY, t text)", "CREATE TABLE"},
	{"INSERT INTO vcx VALUES (1, 'a'), (2, 5)", "INSERT 0 2"},
	{"SELECT id, t FROM vcx ORDER BY id", "1|a\n2|5\nSELECT 2"},
	{"DROP TABLE vcx", "DROP TABLE"},
	// What ORMs ask of the catalogs (TypeORM): a scalar function in FROM, regtype casts, information_schema.columns'
	// udt and generation columns, a relation named database.schema.table.
	{"SELECT * FROM current_schema()", "public\nSELECT 1"},
	{"SELECT * FROM upper('abc') AS u", "ABC\nSELECT 1"},
	{"SELECT * FROM upper('abc') AS u(x)", "ABC\nSELECT 1"},
	{"SELECT x.* FROM lower('ABC') x", "abc\nSELECT 1"},
	{"SELECT * FROM abs(-3) WITH ORDINALITY", "3|1\nSELECT 1"},
	{"SELECT count(*) FROM current_database() d, upper('q') v WHERE d = current_database() AND v = 'Q'", "1\nSELECT 1"},
	{"SELECT '\"pg_catalog\".\"int4\"'::regtype::text, 'varchar'::regtype, 'character varying(20)'::regtype, 'integer[]'::regtype, 'timestamptz'::regtype, 'pg_catalog.bool'::regtype", "integer|character varying|character varying|integer[]|timestamp with time zone|boolean\nSELECT 1"},
	{"SELECT 23::regtype", "integer\nSELECT 1"},
	{"SELECT 'nosuch'::regtype", "ERROR 42704"},
	{"SELECT NULL::regtype IS NULL", "t\nSELECT 1"},
	{"CREATE TABLE ormt (id serial PRIMARY KEY, v varchar(20), at timestamptz, d date)", "CREATE TABLE"},
	{"SELECT column_name, udt_schema, udt_name, datetime_precision, is_generated, generation_expression IS NULL, is_updatable FROM information_schema.columns WHERE table_name = 'ormt' ORDER BY ordinal_position", "id|pg_catalog|int4||NEVER|t|YES\nv|pg_catalog|varchar||NEVER|t|YES\nat|pg_catalog|timestamptz|6|NEVER|t|YES\nd|pg_catalog|date|0|NEVER|t|YES\nSELECT 4"},
	{"SELECT column_name, ('\"' || udt_schema || '\".\"' || udt_name || '\"')::regtype::text FROM information_schema.columns WHERE table_name = 'ormt' ORDER BY ordinal_position", "id|integer\nv|character varying\nat|timestamp with time zone\nd|date\nSELECT 4"},
	{"SELECT col_description(('\"' || table_catalog || '\".\"' || table_schema || '\".\"' || table_name || '\"')::regclass::oid, ordinal_position) IS NULL FROM information_schema.columns WHERE table_name = 'ormt' AND column_name = 'id'", "t\nSELECT 1"},
	{"DROP TABLE ormt", "DROP TABLE"},
	// Constraints named by CONSTRAINT clauses keep their names (TypeORM compares them); pg_constraint's conkey,
	// confkey and actions; ON UPDATE in the definition.
	{"CREATE TABLE cnp (id int, code text, CONSTRAINT \"PK_cnp\" PRIMARY KEY (id), CONSTRAINT \"UQ_cnp_code\" UNIQUE (code))", "CREATE TABLE"},
	{"CREATE TABLE cnc (id int PRIMARY KEY, pid int, note text CONSTRAINT cnc_note_u UNIQUE, CONSTRAINT \"FK_cnc\" FOREIGN KEY (pid) REFERENCES cnp (id) ON UPDATE CASCADE ON DELETE SET NULL)", "CREATE TABLE"},
	{"ALTER TABLE cnc ADD CONSTRAINT cnc_two UNIQUE (pid, note)", "ALTER TABLE"},
	{"SELECT conname, contype, conkey, confkey, confupdtype, confdeltype, confmatchtype FROM pg_constraint WHERE conrelid IN ('cnp'::regclass, 'cnc'::regclass) ORDER BY conname", "FK_cnc|f|{2}|{1}|c|n|s\nPK_cnp|p|{1}|| | | \nUQ_cnp_code|u|{2}|| | | \ncnc_note_u|u|{3}|| | | \ncnc_pkey|p|{1}|| | | \ncnc_two|u|{2,3}|| | | \nSELECT 6"},
	{"SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'FK_cnc'", "FOREIGN KEY (pid) REFERENCES cnp(id) ON UPDATE CASCADE ON DELETE SET NULL\nSELECT 1"},
	{"SELECT constraint_name, constraint_type FROM information_schema.table_constraints WHERE table_name IN ('cnp', 'cnc') AND constraint_type <> 'CHECK' ORDER BY 1", "FK_cnc|FOREIGN KEY\nPK_cnp|PRIMARY KEY\nUQ_cnp_code|UNIQUE\ncnc_note_u|UNIQUE\ncnc_pkey|PRIMARY KEY\ncnc_two|UNIQUE\nSELECT 6"},
	{"SELECT indexname FROM pg_indexes WHERE tablename IN ('cnp', 'cnc') ORDER BY 1", "PK_cnp\nUQ_cnp_code\ncnc_note_u\ncnc_pkey\ncnc_two\nSELECT 5"},
	{"INSERT INTO cnp VALUES (1, 'a')", "INSERT 0 1"},
	{"INSERT INTO cnp VALUES (1, 'b')", "ERROR 23505"},
	{"INSERT INTO cnp VALUES (2, 'a')", "ERROR 23505"},
	{"INSERT INTO cnp VALUES (2, 'b') ON CONFLICT ON CONSTRAINT \"PK_cnp\" DO NOTHING", "INSERT 0 1"},
	{"DROP TABLE cnc, cnp", "DROP TABLE"},
	// A sequence read as a relation.
	{"CREATE SEQUENCE sqr START 5", "CREATE SEQUENCE"},
	{"SELECT * FROM sqr", "5|0|f\nSELECT 1"},
	{"SELECT nextval('sqr')", "5\nSELECT 1"},
	{"SELECT last_value, is_called FROM sqr", "5|t\nSELECT 1"},
	{"SELECT s.last_value + 1 FROM sqr s", "6\nSELECT 1"},
	{"CREATE TABLE sqt (id serial PRIMARY KEY)", "CREATE TABLE"},
	{"INSERT INTO sqt DEFAULT VALUES", "INSERT 0 1"},
	{"SELECT last_value FROM sqt_id_seq", "1\nSELECT 1"},
	{"SELECT * FROM nosuch_seq", "ERROR 42P01"},
	{"DROP TABLE sqt", "DROP TABLE"},
	{"DROP SEQUENCE sqr", "DROP SEQUENCE"},
	// CYCLE: at its end a sequence starts again at its minimum (descending: its maximum); NO CYCLE stops it.
	{"CREATE SEQUENCE cy1 MINVALUE 1 MAXVALUE 3 CYCLE", "CREATE SEQUENCE"},
	{"SELECT nextval('cy1'), nextval('cy1'), nextval('cy1'), nextval('cy1'), nextval('cy1')", "1|2|3|1|2\nSELECT 1"},
	{"CREATE SEQUENCE cy2 INCREMENT BY -1 MINVALUE -2 MAXVALUE 0 START WITH 0 CYCLE", "CREATE SEQUENCE"},
	{"SELECT nextval('cy2'), nextval('cy2'), nextval('cy2'), nextval('cy2')", "0|-1|-2|0\nSELECT 1"},
	{"CREATE SEQUENCE cy3 MAXVALUE 2", "CREATE SEQUENCE"},
	{"SELECT nextval('cy3'), nextval('cy3')", "1|2\nSELECT 1"},
	{"SELECT nextval('cy3')", "ERROR 2200H"},
	{"ALTER SEQUENCE cy3 CYCLE", "ALTER SEQUENCE"},
	{"SELECT nextval('cy3'), nextval('cy3')", "1|2\nSELECT 1"},
	{"ALTER SEQUENCE cy1 NO CYCLE", "ALTER SEQUENCE"},
	{"SELECT nextval('cy1')", "3\nSELECT 1"},
	{"SELECT nextval('cy1')", "ERROR 2200H"},
	{"SELECT sequencename, cycle FROM pg_sequences WHERE sequencename LIKE 'cy%' ORDER BY 1", "cy1|f\ncy2|t\ncy3|t\nSELECT 3"},
	{"SELECT seqcycle FROM pg_sequence WHERE seqrelid = 'cy3'::regclass", "t\nSELECT 1"},
	{"CREATE TABLE cyt (id int GENERATED BY DEFAULT AS IDENTITY (MAXVALUE 2 CYCLE), v int)", "CREATE TABLE"},
	{"INSERT INTO cyt (v) VALUES (1), (2), (3) RETURNING id", "1\n2\n1\nINSERT 0 3"},
	{"DROP TABLE cyt", "DROP TABLE"},
	{"DROP SEQUENCE cy1, cy2, cy3", "DROP SEQUENCE"},
	// lastval is the value nextval last gave in the session, of any sequence; setval alone makes no sequence the last.
	{"CREATE SEQUENCE lv1 START 5", "CREATE SEQUENCE"},
	{"CREATE SEQUENCE lv2", "CREATE SEQUENCE"},
	{"SELECT nextval('lv1'), lastval()", "5|5\nSELECT 1"},
	{"SELECT setval('lv1', 20), lastval()", "20|20\nSELECT 1"},
	{"SELECT setval('lv2', 9), lastval(), pg_typeof(lastval())", "9|20|bigint\nSELECT 1"},
	{"DROP SEQUENCE lv1, lv2", "DROP SEQUENCE"},
	{"SELECT lastval()", "ERROR 55000"},
	// ALTER COLUMN ... SET GENERATED, RESTART and SET sequence options of an identity column.
	{"CREATE TABLE idt (id bigint GENERATED BY DEFAULT AS IDENTITY, v text)", "CREATE TABLE"},
	{"INSERT INTO idt (v) VALUES ('a') RETURNING id", "1\nINSERT 0 1"},
	{"ALTER TABLE idt ALTER COLUMN id SET GENERATED ALWAYS", "ALTER TABLE"},
	{"INSERT INTO idt (id, v) VALUES (5, 'b')", "ERROR 428C9"},
	{"ALTER TABLE idt ALTER COLUMN id SET INCREMENT BY 5 RESTART", "ALTER TABLE"},
	{"INSERT INTO idt (v) VALUES ('c'), ('d') RETURNING id", "1\n6\nINSERT 0 2"},
	{"ALTER TABLE idt ALTER COLUMN id SET GENERATED BY DEFAULT RESTART WITH 100", "ALTER TABLE"},
	{"INSERT INTO idt (id, v) VALUES (7, 'e')", "INSERT 0 1"},
	{"INSERT INTO idt (v) VALUES ('f') RETURNING id", "100\nINSERT 0 1"},
	{"ALTER TABLE idt ALTER COLUMN v RESTART", "ERROR 55000"},
	{"SELECT column_name, is_identity, identity_generation, identity_start, identity_increment, identity_maximum, identity_minimum, identity_cycle " +
		"FROM information_schema.columns WHERE table_name = 'idt' ORDER BY ordinal_position", "id|YES|BY DEFAULT|1|5|9223372036854775807|1|NO\nv|NO||||||NO\nSELECT 2"},
	{"SELECT nextval('nosuch_seq')", "ERROR 42P01"},
	{"DROP TABLE idt", "DROP TABLE"},
	// A numeric(p,s) column made an integer loses its range: later DDL on the table is not refused as changed
	// meanwhile.
	{"CREATE TABLE rng (id int PRIMARY KEY, name text, price numeric(8,2))", "CREATE TABLE"},
	{"INSERT INTO rng VALUES (1, 'Ab', 1.5)", "INSERT 0 1"},
	{"ALTER TABLE rng ALTER COLUMN price TYPE int USING price::int", "ALTER TABLE"},
	{"CREATE INDEX rng_lower ON rng (lower(name))", "CREATE INDEX"},
	{"CREATE INDEX rng_price ON rng (price)", "CREATE INDEX"},
	{"UPDATE rng SET price = 123456789 WHERE id = 1", "UPDATE 1"},
	{"SELECT id, price FROM rng WHERE lower(name) = 'ab'", "1|123456789\nSELECT 1"},
	{"DROP TABLE rng", "DROP TABLE"},
	// A table's row type: ROW(...)::t and NULL::t, compared as composite values (a NULL field equals a NULL one).
	{"CREATE TABLE rwt (id int PRIMARY KEY, name text)", "CREATE TABLE"},
	{"INSERT INTO rwt VALUES (1, 'a'), (2, NULL)", "INSERT 0 2"},
	{"SELECT ROW(1, 'x')::rwt, (ROW(1, 'x')::rwt).name, NULL::rwt IS NULL, (NULL::rwt).name", "(1,x)|x|t|\nSELECT 1"},
	{"SELECT id, rwt = ROW(1, 'a')::rwt, rwt <> ROW(1, 'a')::rwt, rwt < ROW(2, 'a')::rwt FROM rwt ORDER BY id", "1|t|f|t\n2|f|t|f\nSELECT 2"},
	{"SELECT id FROM rwt WHERE rwt = ROW(2, NULL)::rwt", "2\nSELECT 1"},
	{"SELECT ROW(1, NULL)::rwt = ROW(1, NULL)::rwt, ROW(1, NULL)::rwt < ROW(1, 'b')::rwt, ROW(1, NULL) = ROW(1, NULL)", "t|f|\nSELECT 1"},
	{"SELECT ROW(1)::rwt", "ERROR 42846"},
	{"SELECT ROW('a', 'x')::rwt", "ERROR 22P02"},
	// Its text form, as record_in reads it; pg_typeof names the table; array_agg of rows is an array of them.
	{"SELECT '(3,\"a \"\"b\"\"\")'::rwt, ('(3,)'::rwt).name IS NULL, ' ( 4 , x ) '::rwt, '(5,\"a\\\\b\")'::rwt", "(3,\"a \"\"b\"\"\")|t|(4,\" x \")|(5,\"a\\\\b\")\nSELECT 1"},
	{"SELECT '(1)'::rwt", "ERROR 22P02"},
	{"SELECT '(1,a,b)'::rwt", "ERROR 22P02"},
	{"SELECT '1,a'::rwt", "ERROR 22P02"},
	{"SELECT '(1,a) x'::rwt", "ERROR 22P02"},
	{"SELECT '(1,\"a'::rwt", "ERROR 22P02"},
	{"SELECT '(x,a)'::rwt", "ERROR 22P02"},
	{"SELECT id FROM rwt WHERE rwt = '(1,a)'::rwt", "1\nSELECT 1"},
	{"SELECT pg_typeof(r), pg_typeof('(1,a)'::rwt), pg_typeof(s) FROM rwt r, (SELECT 1 AS a) s WHERE id = 1", "rwt|rwt|record\nSELECT 1"},
	{"SELECT array_agg(r ORDER BY id), (array_agg(r ORDER BY id DESC))[1].name IS NULL FROM rwt r", "{\"(1,a)\",\"(2,)\"}|t\nSELECT 1"},
	{"SELECT jsonb_populate_record(NULL::rwt, '{\"id\": 7, \"name\": \"q\"}'), (json_populate_record(NULL::rwt, '{\"id\": 8}')).id", "(7,q)|8\nSELECT 1"},
	{"CREATE TABLE rwd (id int PRIMARY KEY, d date, n numeric(4,1))", "CREATE TABLE"},
	{"INSERT INTO rwd VALUES (1, '2024-01-02', 2.25)", "INSERT 0 1"},
	{"SELECT r, '(2,2024-03-04,1.25)'::rwd, array_agg(r) FROM rwd r GROUP BY r.*", "(1,2024-01-02,2.3)|(2,2024-03-04,1.3)|{\"(1,2024-01-02,2.3)\"}\nSELECT 1"},
	{"DROP TABLE rwd", "DROP TABLE"},
	{"DROP TABLE rwt", "DROP TABLE"},
	// DROP of kinds Concord has none of says that nothing of the name exists (the tag was DROP TABLE), and drops
	// no table of the name.
	{"CREATE TABLE dropk (id int PRIMARY KEY)", "CREATE TABLE"},
	{"DROP DOMAIN dropk", "ERROR 42809"}, // the table's row type
	{"DROP DOMAIN dropd", "ERROR 42704"},
	{"DROP DOMAIN IF EXISTS dropd, other CASCADE", "DROP DOMAIN"},
	{"DROP DOMAIN int", "ERROR 42809"},
	{"DROP FUNCTION dropk", "ERROR 42883"},
	{"DROP FUNCTION dropk()", "ERROR 42883"},
	{"DROP FUNCTION IF EXISTS dropk(int, text) CASCADE", "DROP FUNCTION"},
	{"DROP FUNCTION IF EXISTS dropk(nosuchtype)", "DROP FUNCTION"},
	{"DROP PROCEDURE IF EXISTS dropk()", "DROP PROCEDURE"},
	{"DROP AGGREGATE dropk(*)", "ERROR 42883"},
	{"DROP SCHEMA dropk", "ERROR 3F000"},
	{"DROP SCHEMA IF EXISTS dropk CASCADE", "DROP SCHEMA"},
	{"SELECT count(*) FROM dropk", "0\nSELECT 1"},
	{"DROP TABLE dropk", "DROP TABLE"},
	// An expression index's attributes are named as PostgreSQL names them (psql's \d index shows them).
	{"CREATE TABLE exix (id int PRIMARY KEY, name text, a int, b int)", "CREATE TABLE"},
	{"CREATE INDEX exix_m ON exix (lower(name), (a + b), a, lower(upper(name)))", "CREATE INDEX"},
	{"SELECT attname, format_type(atttypid, atttypmod), pg_get_indexdef(attrelid, attnum, true) FROM pg_attribute WHERE attrelid = 'exix_m'::regclass ORDER BY attnum",
		"lower|text|lower(name)\nexpr|integer|(a + b)\na|integer|a\nlower1|text|lower(upper(name))\nSELECT 4"},
	{"SELECT pg_get_indexdef('exix_m'::regclass, 2, false)", "((a + b))\nSELECT 1"},
	{"DROP TABLE exix", "DROP TABLE"},
	// An aggregate's DISTINCT sorts its input: the values come in ascending order, NULL last.
	{"CREATE TABLE aggd (id int PRIMARY KEY, s text, n int, g int)", "CREATE TABLE"},
	{"INSERT INTO aggd VALUES (1, 'b', NULL, 1), (2, 'B', 3, 1), (3, 'a', 1, 2), (4, NULL, 2, 2), (5, 'b', 5, 1), (6, 'a', 3, 1)", "INSERT 0 6"},
	{"SELECT array_agg(DISTINCT n), string_agg(DISTINCT s, ','), jsonb_agg(DISTINCT s) FROM aggd", `{1,2,3,5,NULL}|B,a,b|["B", "a", "b", null]` + "\nSELECT 1"},
	{"SELECT g, array_agg(DISTINCT n) FROM aggd GROUP BY g ORDER BY g", "1|{3,5,NULL}\n2|{1,2}\nSELECT 2"},
	{"SELECT array_agg(DISTINCT n ORDER BY n DESC) FROM aggd", "{NULL,5,3,2,1}\nSELECT 1"},
	{"DROP TABLE aggd", "DROP TABLE"},
	// UPDATE ... SET an element of an array column: NULLs fill a gap, a NULL array takes a first element.
	{"CREATE TABLE uel (id int PRIMARY KEY, tags text[], nums int[])", "CREATE TABLE"},
	{"INSERT INTO uel VALUES (1, '{a,b}', '{1,2}'), (2, NULL, NULL), (3, '{}', '{}')", "INSERT 0 3"},
	{"UPDATE uel SET tags[2] = 'B', nums[1] = nums[1] + 10 WHERE id = 1 RETURNING tags, nums", "{a,B}|{11,2}\nUPDATE 1"},
	{"UPDATE uel SET tags[4] = 'd' WHERE id = 1 RETURNING tags", "{a,B,NULL,d}\nUPDATE 1"},
	{"UPDATE uel SET nums[3] = 3, nums[1] = 1 WHERE id = 1 RETURNING nums", "{1,2,3}\nUPDATE 1"},
	{"UPDATE uel SET nums[1] = 11 WHERE id = 1 RETURNING nums", "{11,2,3}\nUPDATE 1"},
	{"UPDATE uel SET tags[1] = 'first' WHERE id = 2 RETURNING tags", "{first}\nUPDATE 1"},
	{"UPDATE uel SET nums[1] = '7' WHERE id = 3 RETURNING nums", "{7}\nUPDATE 1"},
	{"UPDATE uel SET nums[2] = 'x' WHERE id = 3", "ERROR 22P02"},
	{"UPDATE uel SET nums[NULL] = 1 WHERE id = 3", "ERROR 22004"},
	{"INSERT INTO uel VALUES (1) ON CONFLICT (id) DO UPDATE SET tags[1] = 'conf' RETURNING tags", "{conf,B,NULL,d}\nINSERT 0 1"},
	{"SELECT id, tags, nums FROM uel ORDER BY id", "1|{conf,B,NULL,d}|{11,2,3}\n2|{first}|\n3|{}|{7}\nSELECT 3"},
	{"DROP TABLE uel", "DROP TABLE"},
	// ... and by subscripts of a jsonb column, as PostgreSQL's jsonb subscripting assigns.
	{"CREATE TABLE ujs (id int PRIMARY KEY, meta jsonb)", "CREATE TABLE"},
	{`INSERT INTO ujs VALUES (1, '{"x": 1}'), (2, NULL), (3, '[1, 2]'), (4, '{"a": 5}'), (5, '{"a": null}')`, "INSERT 0 5"},
	{"UPDATE ujs SET meta['a']['b'] = '1', meta['x'] = '\"s\"' WHERE id = 1 RETURNING meta", `{"a": {"b": 1}, "x": "s"}` + "\nUPDATE 1"},
	{"UPDATE ujs SET meta['y'] = '1', meta = '{}' WHERE id = 1", "ERROR 42601"},
	{"UPDATE ujs SET meta['l'][1]['z'] = '\"deep\"' WHERE id = 1 RETURNING meta", `{"a": {"b": 1}, "l": [null, {"z": "deep"}], "x": "s"}` + "\nUPDATE 1"},
	{"UPDATE ujs SET meta['k'] = to_jsonb(id) WHERE id = 2 RETURNING meta", `{"k": 2}` + "\nUPDATE 1"},
	{"UPDATE ujs SET meta[4] = '9' WHERE id = 3 RETURNING meta", "[1, 2, null, null, 9]\nUPDATE 1"},
	{"UPDATE ujs SET meta[-1] = '\"last\"' WHERE id = 3 RETURNING meta", `[1, 2, null, null, "last"]` + "\nUPDATE 1"},
	{"UPDATE ujs SET meta[-10] = '1' WHERE id = 3", "ERROR 22023"},
	{"UPDATE ujs SET meta['zz'] = '1' WHERE id = 3", "ERROR 22P02"},
	{"UPDATE ujs SET meta['a']['b'] = '1' WHERE id = 4", "ERROR 22023"},
	{"UPDATE ujs SET meta['a']['b'] = '1' WHERE id = 5", "ERROR 22023"},
	{"UPDATE ujs SET meta[NULL] = '1' WHERE id = 1", "ERROR 22004"},
	{"DROP TABLE ujs", "DROP TABLE"},
	// An integer literal beyond int4's range is a bigint (numeric beyond int8's); NULL is of type unknown.
	{"SELECT pg_typeof(3000000000), pg_typeof(9223372036854775808), pg_typeof(-3000000000), pg_typeof(NULL), pg_typeof(3000000000 + 1)", "bigint|numeric|bigint|unknown|bigint\nSELECT 1"},
	{"SELECT 4000000000 * 4000000000", "ERROR 22003"},
	// Maintenance statements with nothing to do check what PostgreSQL checks.
	{"CREATE TABLE mnt (id int PRIMARY KEY, v text)", "CREATE TABLE"},
	{"CREATE INDEX mnt_v ON mnt (v)", "CREATE INDEX"},
	{"REINDEX TABLE mnt", "REINDEX"},
	{"REINDEX INDEX mnt_v", "REINDEX"},
	{"REINDEX INDEX nope", "ERROR 42P01"},
	{"REINDEX SCHEMA nope", "ERROR 3F000"},
	{"REINDEX DATABASE other", "ERROR 0A000"},
	{"CLUSTER mnt", "ERROR 42704"},
	{"CLUSTER mnt USING nope", "ERROR 42704"},
	{"CLUSTER mnt USING mnt_v", "CLUSTER"},
	{"CLUSTER mnt", "CLUSTER"},
	{"SELECT indexrelid::regclass, indisclustered FROM pg_index WHERE indrelid = 'mnt'::regclass ORDER BY 1", "mnt_pkey|f\nmnt_v|t\nSELECT 2"},
	{"CHECKPOINT", "CHECKPOINT"},
	{"ALTER TABLE mnt ALTER COLUMN v SET STATISTICS 100", "ALTER TABLE"},
	{"ALTER TABLE mnt ALTER COLUMN v SET STATISTICS -5", "ERROR 22023"},
	{"ALTER TABLE mnt ALTER COLUMN nope SET STATISTICS 10", "ERROR 42703"},
	{"DROP TABLE mnt", "DROP TABLE"},
	// USING: gin keys arrays and jsonb, gist none of Concord's types, an unknown access method is 42704.
	{"CREATE TABLE gix (id int PRIMARY KEY, t text, a int[], j jsonb, n int)", "CREATE TABLE"},
	{"CREATE INDEX gix1 ON gix USING gin (a)", "CREATE INDEX"},
	{"CREATE INDEX gix2 ON gix USING GIN (j)", "CREATE INDEX"},
	{"CREATE INDEX gix3 ON gix USING gin (t)", "ERROR 42704"},
	{"CREATE INDEX gix4 ON gix USING gin (lower(t))", "ERROR 42704"},
	{"CREATE INDEX gix5 ON gix USING gist (n)", "ERROR 42704"},
	{"CREATE INDEX gix6 ON gix USING nosuch (n)", "ERROR 42704"},
	{"CREATE INDEX gix7 ON gix USING hash (t)", "CREATE INDEX"},
	{"CREATE INDEX gix8 ON gix USING brin (n)", "CREATE INDEX"},
	{"DROP TABLE gix", "DROP TABLE"},
	// Sizes: pg_size_pretty's units and rounding, and relations' sizes consistent among the functions.
	{"SELECT pg_size_pretty(1234567::bigint), pg_size_pretty(10239::bigint), pg_size_pretty(10240::bigint), pg_size_pretty(-20971520::bigint), pg_size_pretty(20971007::bigint), pg_size_pretty(9223372036854775807::bigint)",
		"1206 kB|10239 bytes|10 kB|-20 MB|20 MB|8192 PB\nSELECT 1"},
	{"SELECT pg_size_pretty(10::numeric), pg_size_pretty(12345.678::numeric), pg_size_pretty(1e18::numeric), pg_size_pretty(1099511627776000::numeric), pg_size_pretty(NULL::bigint)",
		"10 bytes|12 kB|888 PB|1000 TB|\nSELECT 1"},
	{"CREATE TABLE szt (id int PRIMARY KEY, v text)", "CREATE TABLE"},
	{"INSERT INTO szt SELECT g, repeat('x', 100) FROM generate_series(1, 200) g", "INSERT 0 200"},
	{"SELECT pg_table_size('szt') > 0, pg_table_size('szt') >= pg_relation_size('szt'), pg_indexes_size('szt') > 0, pg_total_relation_size('szt') = pg_table_size('szt') + pg_indexes_size('szt')",
		"t|t|t|t\nSELECT 1"},
	{"SELECT pg_relation_size('szt_pkey') = pg_indexes_size('szt'), pg_indexes_size('szt_pkey'), pg_relation_size('szt', 'fsm') >= 0, pg_typeof(pg_table_size('szt'))",
		"t|0|t|bigint\nSELECT 1"},
	{"SELECT pg_relation_size(NULL), pg_table_size(1), pg_tablespace_size(5)", "||\nSELECT 1"},
	{"SELECT pg_relation_size('szt', 'nope')", "ERROR 22023"},
	{"SELECT pg_database_size(current_database()) > 0, pg_tablespace_size('pg_default') >= pg_database_size(current_database())", "t|t\nSELECT 1"},
	{"SELECT pg_database_size('nosuchdb')", "ERROR 3D000"},
	{"SELECT pg_tablespace_size('nosuch')", "ERROR 42704"},
	{"SELECT spcname, pg_tablespace_location(oid) FROM pg_tablespace ORDER BY 1", "pg_default|\npg_global|\nSELECT 2"},
	{"SELECT t.spcname FROM pg_database d JOIN pg_tablespace t ON d.dattablespace = t.oid WHERE d.datname = current_database()", "pg_default\nSELECT 1"},
	// Collations: Django reads a column's by joining pg_attribute.attcollation with pg_collation.
	{"SELECT a.attname, CASE WHEN collname = 'default' THEN NULL ELSE collname END FROM pg_attribute a LEFT JOIN pg_collation co ON a.attcollation = co.oid WHERE a.attrelid = 'szt'::regclass AND a.attnum > 0 ORDER BY a.attnum",
		"id|\nv|\nSELECT 2"},
	{"SELECT a.attname, co.collname FROM pg_attribute a JOIN pg_collation co ON a.attcollation = co.oid WHERE a.attrelid = 'szt'::regclass AND a.attnum > 0", "v|default\nSELECT 1"},
	{"SELECT typname, typcollation FROM pg_type WHERE typname IN ('text', '_text', 'int4', 'name', 'varchar') ORDER BY 1", "_text|100\nint4|0\nname|950\ntext|100\nvarchar|100\nSELECT 5"},
	{"SELECT collname, collprovider FROM pg_collation WHERE oid IN (100, 950) ORDER BY oid", "default|d\nC|c\nSELECT 2"},
	{"DROP TABLE szt", "DROP TABLE"},
	// IntervalStyle: a result's intervals in each of PostgreSQL's styles.
	{"SET intervalstyle = iso_8601", "SET"},
	{"SELECT interval '1 year 2 mons 3 days 04:05:06.789', interval '0', interval '-1 day +2 hours', ARRAY[interval '1 day', interval '-2 hours'], interval '-1 year -2 mons', interval '-00:00:01.5', interval '1 sec'", "P1Y2M3DT4H5M6.789S|PT0S|P-1DT2H|{P1D,PT-2H}|P-1Y-2M|PT-1.5S|PT1S\nSELECT 1"},
	{"SET intervalstyle = 'SQL_standard'", "SET"},
	{"SELECT interval '1 year 2 mons 3 days 04:05:06.789', interval '0', interval '-1 day +2 hours', ARRAY[interval '1 day', interval '-2 hours'], interval '-1 year -2 mons', interval '-00:00:01.5', interval '1 sec'", "+1-2 +3 +4:05:06.789|0|+0-0 -1 +2:00:00|{\"1 0:00:00\",-2:00:00}|-1-2|-0:00:01.5|0:00:01\nSELECT 1"},
	{"SET intervalstyle = postgres_verbose", "SET"},
	{"SELECT interval '1 year 2 mons 3 days 04:05:06.789', interval '0', interval '-1 day +2 hours', ARRAY[interval '1 day', interval '-2 hours'], interval '-1 year -2 mons', interval '-00:00:01.5', interval '1 sec'", "@ 1 year 2 mons 3 days 4 hours 5 mins 6.789 secs|@ 0|@ 1 day -2 hours ago|{\"@ 1 day\",\"@ 2 hours ago\"}|@ 1 year 2 mons ago|@ 1.5 secs ago|@ 1 sec\nSELECT 1"},
	{"SHOW intervalstyle", "postgres_verbose\nSHOW"},
	{"SET intervalstyle = nope", "ERROR 22023"},
	{"RESET intervalstyle", "RESET"},
	{"SELECT interval '1 year 2 mons 3 days 04:05:06.789', interval '0', interval '-1 day +2 hours', ARRAY[interval '1 day', interval '-2 hours'], interval '-1 year -2 mons', interval '-00:00:01.5', interval '1 sec'", "1 year 2 mons 3 days 04:05:06.789|00:00:00|-1 days +02:00:00|{\"1 day\",-02:00:00}|-1 years -2 mons|-00:00:01.5|00:00:01\nSELECT 1"},
	// regtype values compare as oids (Rails loads its type map by them) and pg_type has typdelim.
	{"SELECT typname, typdelim FROM pg_type WHERE oid = 'int4[]'::regtype OR oid = 'int4'::regtype ORDER BY 1", "_int4|,\nint4|,\nSELECT 2"},
	{"SELECT 'integer[]'::regtype::oid, 'int4'::regtype = 23, 23::regtype, 'varchar'::regtype::text", "1007|t|integer|character varying\nSELECT 1"},
	{"SELECT 'int4'::regtype::regclass", "ERROR 42846"},
	// jsonb_set_lax's null treatments, trim_array.
	{"SELECT jsonb_set_lax('{\"a\":1}', '{a}', NULL), jsonb_set_lax('{\"a\":1,\"b\":2}', '{a}', NULL, true, 'delete_key'), jsonb_set_lax('{\"a\":1}', '{a}', NULL, true, 'return_target'), jsonb_set_lax('{\"a\":1}', '{b}', '5', false)",
		"{\"a\": null}|{\"b\": 2}|{\"a\": 1}|{\"a\": 1}\nSELECT 1"},
	{"SELECT jsonb_set_lax('{\"a\":1}', '{a}', NULL, true, 'raise_exception')", "ERROR 22004"},
	{"SELECT jsonb_set_lax('{\"a\":1}', '{a}', NULL, true, 'bogus')", "ERROR 22023"},
	{"SELECT jsonb_set_lax(NULL, '{a}', '3'), jsonb_set_lax('{\"a\":1}', '{a}', '3', NULL)", "|\nSELECT 1"},
	{"SELECT trim_array(ARRAY[1,2,3], 1), trim_array(ARRAY[1,2,3], 3), trim_array(ARRAY[[1,2],[3,4]], 1), trim_array(ARRAY['a'], NULL)", "{1,2}|{}|{{1,2}}|\nSELECT 1"},
	{"SELECT trim_array(ARRAY[1,2,3], 4)", "ERROR 2202E"},
	// Wall clocks a zone's transition skips (read with the offset from before it) or repeats (the one after).
	{"SELECT timestamp '2024-11-03 01:30:00' AT TIME ZONE 'America/New_York', timestamp '2024-03-10 02:30:00' AT TIME ZONE 'America/New_York', timestamp '2024-10-27 02:30:00' AT TIME ZONE 'Europe/Paris', timestamp '2024-03-31 02:30:00' AT TIME ZONE 'Europe/Paris', make_timestamptz(2024, 3, 10, 2, 30, 0, 'America/New_York')",
		"2024-11-03 06:30:00+00|2024-03-10 07:30:00+00|2024-10-27 01:30:00+00|2024-03-31 01:30:00+00|2024-03-10 07:30:00+00\nSELECT 1"},
	{"SET TIME ZONE 'America/New_York'", "SET"},
	{"SELECT '2024-03-10 02:30'::timestamptz, '2024-11-03 01:30'::timestamptz, date_trunc('hour', '2024-11-03 01:30-04'::timestamptz), date_trunc('day', '2024-11-03 12:00'::timestamptz), to_timestamp('2024-11-03 01:30', 'YYYY-MM-DD HH24:MI'), '2024-03-10 02:30'::timestamp::timestamptz",
		"2024-03-10 03:30:00-04|2024-11-03 01:30:00-05|2024-11-03 01:00:00-04|2024-11-03 00:00:00-04|2024-11-03 01:30:00-05|2024-03-10 03:30:00-04\nSELECT 1"},
	{"RESET timezone", "RESET"},
	// The clocks: clock_timestamp() moves within a statement, statement_timestamp() within a block.
	{"BEGIN", "BEGIN"},
	{"SELECT pg_sleep(0.05)", "\nSELECT 1"},
	{"SELECT statement_timestamp() > now(), clock_timestamp() > statement_timestamp(), now() = transaction_timestamp(), timeofday() ~ '^[A-Z][a-z]{2} [A-Z][a-z]{2} \\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{6} \\d{4} UTC$'", "t|t|t|t\nSELECT 1"},
	{"SELECT count(DISTINCT clock_timestamp()) > 1 FROM generate_series(1, 5000)", "t\nSELECT 1"},
	{"COMMIT", "COMMIT"},
	// ||'s other operand as a cast to text writes it (a boolean true, a date without a time); concat's and
	// format's by the type's output (t).
	{"SELECT 'a' || true, false || 'b', 'x' || (1 > 0), concat('a', true), format('%s', false), 'd' || date '2024-01-02', 't' || timestamp '2024-01-02 10:00:01.5', concat(date '2024-01-02', '|', timestamp '2024-01-02 10:00')",
		"atrue|falseb|xtrue|at|f|d2024-01-02|t2024-01-02 10:00:01.5|2024-01-02|2024-01-02 10:00:00\nSELECT 1"},
	// Operators and aggregates no type pair has, refused before a row is read (over an empty table too).
	{"CREATE TABLE tyc (id int PRIMARY KEY, name text, d date, ok bool, j jsonb, n numeric)", "CREATE TABLE"},
	{"SELECT id FROM tyc WHERE name = 1", "ERROR 42883"},
	{"SELECT id FROM tyc WHERE d > 5", "ERROR 42883"},
	{"SELECT id FROM tyc WHERE ok = 1", "ERROR 42883"},
	{"SELECT id FROM tyc WHERE name < d", "ERROR 42883"},
	{"SELECT id FROM tyc WHERE id = 1.5 OR n = 2 OR d = now() OR name = 'x' OR d < '2024-01-01' OR id::text = name", "SELECT 0"},
	{"SELECT sum(name) FROM tyc", "ERROR 42883"},
	{"SELECT avg(d) FROM tyc", "ERROR 42883"},
	{"SELECT max(j) FROM tyc", "ERROR 42883"},
	{"SELECT min(ok) FROM tyc", "ERROR 42883"},
	{"SELECT sum(n), avg(id), max(name), min(d), sum(interval '1 day') FROM tyc", "||||\nSELECT 1"},
	{"SELECT DISTINCT name FROM tyc ORDER BY d", "ERROR 42P10"},
	{"SELECT DISTINCT name, d FROM tyc ORDER BY d + 1", "ERROR 42P10"},
	{"SELECT DISTINCT name AS x FROM tyc t ORDER BY x, t.name, 1", "SELECT 0"},
	{"SELECT DISTINCT * FROM tyc ORDER BY d", "SELECT 0"},
	{"SELECT row_number() FROM tyc", "ERROR 42809"},
	{"SELECT lag(id) FROM tyc", "ERROR 42809"},
	// A FROM list that names two sources alike.
	{"SELECT count(*) FROM tyc, tyc", "ERROR 42712"},
	{"SELECT count(*) FROM tyc a JOIN tyc b ON true JOIN tyc a ON true", "ERROR 42712"},
	{"SELECT count(*) FROM (SELECT 1) s, (SELECT 2) s", "ERROR 42712"},
	{"WITH w AS (SELECT 1 a) SELECT * FROM w, w", "ERROR 42712"},
	{"SELECT count(*) FROM generate_series(1, 2), generate_series(1, 2)", "ERROR 42712"},
	{"SELECT count(*) FROM tyc, tyc t2, (tyc a JOIN tyc b ON true) j, generate_series(1, 2) g, generate_series(1, 2) h", "0\nSELECT 1"},
	{"DROP TABLE tyc", "DROP TABLE"},
	{"SELECT encode(sha224('a'::bytea), 'hex'), length(sha384('a'::bytea)), length(sha512(''::bytea)), get_byte('abc'::bytea, 0), set_byte('abc'::bytea, 0, 65)",
		"abd37534c7d9a2efb9465de931cd7055ffdb8879563ae98078d6d6d5|48|64|97|\\x416263\nSELECT 1"},
	{"SELECT get_byte('abc'::bytea, 3)", "ERROR 2202E"},
	// UNIQUE NULLS NOT DISTINCT: a NULL key conflicts with another NULL, in constraints, indexes and ON CONFLICT.
	{"CREATE TABLE nnd (id int PRIMARY KEY, a int UNIQUE NULLS NOT DISTINCT, b int, c text, UNIQUE NULLS NOT DISTINCT (b, c))", "CREATE TABLE"},
	{"INSERT INTO nnd VALUES (1, NULL, NULL, NULL), (2, 1, 1, NULL)", "INSERT 0 2"},
	{"INSERT INTO nnd VALUES (3, NULL, 3, 'x')", "ERROR 23505"},
	{"INSERT INTO nnd VALUES (3, 3, NULL, NULL)", "ERROR 23505"},
	{"INSERT INTO nnd VALUES (3, 3, 1, NULL)", "ERROR 23505"},
	{"INSERT INTO nnd VALUES (3, 3, 1, 'y')", "INSERT 0 1"},
	{"INSERT INTO nnd VALUES (4, NULL, 9, 'z') ON CONFLICT (a) DO UPDATE SET b = 99 RETURNING id, a, b", "1||99\nINSERT 0 1"},
	{"CREATE UNIQUE INDEX nnd_c ON nnd (c) NULLS NOT DISTINCT", "ERROR 23505"},
	{"CREATE UNIQUE INDEX nnd_id_c ON nnd (id, c) NULLS NOT DISTINCT WHERE id > 100", "CREATE INDEX"},
	{"INSERT INTO nnd VALUES (101, 10, 10, NULL), (102, 11, 11, NULL)", "INSERT 0 2"},
	{"SELECT pg_get_indexdef('nnd_id_c'::regclass), pg_get_constraintdef(c.oid) FROM pg_constraint c WHERE conname = 'nnd_b_c_key'",
		"CREATE UNIQUE INDEX nnd_id_c ON public.nnd USING btree (id, c) NULLS NOT DISTINCT WHERE (id > 100)|UNIQUE NULLS NOT DISTINCT (b, c)\nSELECT 1"},
	{"SELECT indexrelid::regclass, indnullsnotdistinct FROM pg_index WHERE indrelid = 'nnd'::regclass ORDER BY 1",
		"nnd_pkey|f\nnnd_a_key|t\nnnd_b_c_key|t\nnnd_id_c|t\nSELECT 4"},
	{"ALTER TABLE nnd DROP CONSTRAINT nnd_a_key", "ALTER TABLE"},
	{"INSERT INTO nnd VALUES (5, NULL, 5, 'q')", "INSERT 0 1"},
	{"ALTER TABLE nnd ADD CONSTRAINT nnd_a2 UNIQUE NULLS NOT DISTINCT (a)", "ERROR 23505"},
	{"DELETE FROM nnd WHERE id = 5", "DELETE 1"},
	{"ALTER TABLE nnd ADD CONSTRAINT nnd_a2 UNIQUE NULLS NOT DISTINCT (a)", "ALTER TABLE"},
	{"INSERT INTO nnd VALUES (6, NULL, 6, 'r')", "ERROR 23505"},
	{"DROP TABLE nnd", "DROP TABLE"},
	// A timestamp's text naming its zone: an abbreviation of PostgreSQL's default set, a zone's name, an offset
	// with a space; an unknown name is an error (it was read as UTC); a timestamp or date keeps the wall clock.
	{"SELECT '2024-01-01 12:00:00 EST'::timestamptz, '2024-07-01 12:00:00 pdt'::timestamptz, '2024-01-01 12:00 CET'::timestamptz, '2024-01-01 12:00:00 UTC'::timestamptz, '2024-01-01 12:00:00 +0530'::timestamptz",
		"2024-01-01 17:00:00+00|2024-07-01 19:00:00+00|2024-01-01 11:00:00+00|2024-01-01 12:00:00+00|2024-01-01 06:30:00+00\nSELECT 1"},
	{"SELECT '2024-01-01 12:00:00 Europe/Paris'::timestamptz, timestamptz '2024-03-10 02:30 America/New_York'", "2024-01-01 11:00:00+00|2024-03-10 07:30:00+00\nSELECT 1"},
	{"SELECT '2024-01-01 12:00:00 XYZ'::timestamptz", "ERROR 22007"},
	{"SELECT '2024-01-01 12:00+02'::timestamp, '2024-01-01 12:00 EST'::timestamp, '2024-01-01 01:00+02'::date, '2024-01-01 23:00 EST'::date",
		"2024-01-01 12:00:00|2024-01-01 12:00:00|2024-01-01|2024-01-01\nSELECT 1"},
	{"SELECT 'Jan 5 2024'::date, '5 Jan 2024'::date, 'January 5, 2024'::date, '2024-Jan-05'::date, '2024-01-05 10:00 PM'::timestamp, '2024-01-05 12:00 AM'::timestamp, 'Fri Jan 05 10:00:00 2024 PST'::timestamptz",
		"2024-01-05|2024-01-05|2024-01-05|2024-01-05|2024-01-05 22:00:00|2024-01-05 00:00:00|2024-01-05 18:00:00+00\nSELECT 1"},
	{"SELECT (x).a FROM (SELECT ROW(1, 2) x) s", "ERROR 42703"},
	{"SELECT (x).f1, (x).f2 FROM (SELECT ROW(1, 2) x) s", "1|2\nSELECT 1"},
	{"SHOW search_path", "\"$user\", public\nSHOW"},
	{"SELECT pg_typeof(localtimestamp), pg_typeof(current_timestamp), pg_typeof(localtime)", "timestamp without time zone|timestamp with time zone|time without time zone\nSELECT 1"},
	// Text in a to_char number template goes beside the pattern character it follows, the sign just before the
	// first digit; a quoted string is text, and FM drops the padding only.
	{`SELECT to_char(5, '$999'), to_char(-5, '$999'), to_char(5, '999%'), to_char(-1234.5, '$9,999.99'), to_char(-1234.567, 'FM$9G999D00'), to_char(5, '"USD "999'), to_char(12, '9x9x9')`,
		"$   5|$  -5|   5%|$-1,234.50|$-1,234.57|USD    5| x 1x2\nSELECT 1"},
	{`SELECT to_char(-5, 'MI9$99'), to_char(-5, 'PL9$99'), to_char(-5, '9$99PR'), to_char(5, '999PR x'), to_char(-0.25, 'FM990.00" %"'), to_char(123456, '999 999'), to_char(-12.3, 'S99.9x')`,
		"- $ 5|  $ -5| $ <5>|   5  x|-0.25 %| 123 456|-12.3x\nSELECT 1"},
	{"SELECT array_cat('{1}', '{2}'), pg_typeof(array_cat('{1}', '{2}'))", "{1,2}|text[]\nSELECT 1"},
	// Hypothetical-set aggregates: the rank a row with these keys would have among the group's rows.
	{"CREATE TABLE hyp (id int PRIMARY KEY, dept text, salary numeric, mgr int)", "CREATE TABLE"},
	{"INSERT INTO hyp VALUES (1, 'eng', 100.5, NULL), (2, 'eng', 90, 1), (3, 'ops', 70, 1), (4, 'ops', 80, 3), (5, 'ops', 80, 1), (6, 'eng', 95, 2)", "INSERT 0 6"},
	{"SELECT rank(85) WITHIN GROUP (ORDER BY salary), dense_rank(85) WITHIN GROUP (ORDER BY salary DESC), percent_rank(85) WITHIN GROUP (ORDER BY salary), cume_dist(85) WITHIN GROUP (ORDER BY salary) FROM hyp",
		"4|4|0.5|0.5714285714285714\nSELECT 1"},
	{"SELECT dept, rank(80) WITHIN GROUP (ORDER BY salary), dense_rank(95) WITHIN GROUP (ORDER BY salary), cume_dist(80) WITHIN GROUP (ORDER BY salary), percent_rank('90') WITHIN GROUP (ORDER BY salary) FROM hyp GROUP BY dept ORDER BY dept",
		"eng|1|2|0.25|0\nops|2|3|1|1\nSELECT 2"},
	{"SELECT rank(NULL) WITHIN GROUP (ORDER BY mgr), rank(NULL) WITHIN GROUP (ORDER BY mgr NULLS FIRST), rank(2, 90) WITHIN GROUP (ORDER BY mgr DESC, salary), rank(1) WITHIN GROUP (ORDER BY salary) FILTER (WHERE dept = 'eng') FROM hyp",
		"6|1|3|1\nSELECT 1"},
	{"SELECT pg_typeof(rank(1) WITHIN GROUP (ORDER BY id)), pg_typeof(cume_dist(1) WITHIN GROUP (ORDER BY id)), percent_rank(1) WITHIN GROUP (ORDER BY id) FROM hyp WHERE false", "bigint|double precision|0\nSELECT 1"},
	{"SELECT rank(1, 2) WITHIN GROUP (ORDER BY id) FROM hyp", "ERROR 42883"},
	{"SELECT rank(1) FROM hyp", "ERROR 42809"},
	{"SELECT rank(1) WITHIN GROUP (ORDER BY id) OVER () FROM hyp", "ERROR 0A000"},
	{"DROP TABLE hyp", "DROP TABLE"},
	// A recursive WITH query's SEARCH and CYCLE clauses: the added sequence, mark and path columns, and a row that
	// closes a cycle kept but not expanded (it used to be ignored, and the query ran until its row limit).
	{"CREATE TABLE edges (a int, b int)", "CREATE TABLE"},
	{"INSERT INTO edges VALUES (1, 2), (2, 3), (3, 1), (3, 4)", "INSERT 0 4"},
	{"WITH RECURSIVE g(a, b) AS (SELECT a, b FROM edges WHERE a = 1 UNION ALL SELECT e.a, e.b FROM edges e JOIN g ON e.a = g.b) SEARCH DEPTH FIRST BY a SET o CYCLE a SET c USING p SELECT * FROM g ORDER BY o, b",
		"1|2|{(1)}|f|{(1)}\n2|3|{(1),(2)}|f|{(1),(2)}\n3|1|{(1),(2),(3)}|f|{(1),(2),(3)}\n3|4|{(1),(2),(3)}|f|{(1),(2),(3)}\n1|2|{(1),(2),(3),(1)}|t|{(1),(2),(3),(1)}\nSELECT 5"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges WHERE a = 1 UNION ALL SELECT e.a, e.b FROM edges e, g x WHERE e.a = x.b) CYCLE a, b SET c TO 'Y' DEFAULT 'N' USING p SELECT a, b, c, p, pg_typeof(p) FROM g ORDER BY p",
		`1|2|N|{"(1,2)"}|record[]` + "\n" + `2|3|N|{"(1,2)","(2,3)"}|record[]` + "\n" + `3|1|N|{"(1,2)","(2,3)","(3,1)"}|record[]` + "\n" + `1|2|Y|{"(1,2)","(2,3)","(3,1)","(1,2)"}|record[]` + "\n" + `3|4|N|{"(1,2)","(2,3)","(3,4)"}|record[]` + "\nSELECT 5"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges WHERE a = 1 UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) SEARCH BREADTH FIRST BY b, a SET o CYCLE a SET c USING p SELECT a, b, o FROM g ORDER BY o",
		"1|2|(0,2,1)\n2|3|(1,3,2)\n3|1|(2,1,3)\n3|4|(2,4,3)\n1|2|(3,2,1)\nSELECT 5"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges WHERE a = 1 UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b WHERE x.c = 0) CYCLE a SET c TO 1 DEFAULT 0 USING p SELECT a, c, pg_typeof(c) FROM g",
		"1|0|integer\n2|0|integer\n3|0|integer\n3|0|integer\n1|1|integer\nSELECT 5"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) SEARCH BREADTH FIRST BY z SET o SELECT * FROM g", "ERROR 42601"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) CYCLE a SET a USING p SELECT * FROM g", "ERROR 42601"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) CYCLE a SET c USING c SELECT * FROM g", "ERROR 42601"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) SEARCH DEPTH FIRST BY a, a SET o CYCLE a SET c USING p SELECT * FROM g", "ERROR 42701"},
	{"WITH RECURSIVE g AS (SELECT a, b FROM edges UNION ALL SELECT e.a, e.b FROM edges e JOIN g x ON e.a = x.b) CYCLE a SET c TO 1 DEFAULT 'x' USING p SELECT * FROM g", "ERROR 22P02"},
	{"WITH g AS (SELECT 1 a) SEARCH DEPTH FIRST BY a SET o SELECT * FROM g", "ERROR 42601"},
	{"DROP TABLE edges", "DROP TABLE"},
	// TABLESAMPLE: each row kept with the given probability; REPEATABLE draws the same sample again.
	{"CREATE TABLE tsx (id int PRIMARY KEY, g int)", "CREATE TABLE"},
	{"INSERT INTO tsx SELECT i, i % 7 FROM generate_series(1, 2000) i", "INSERT 0 2000"},
	{"SELECT count(*) FROM tsx TABLESAMPLE SYSTEM (100)", "2000\nSELECT 1"},
	{"SELECT count(*) FROM tsx TABLESAMPLE BERNOULLI (0)", "0\nSELECT 1"},
	{"SELECT count(*) BETWEEN 800 AND 1200 FROM tsx t TABLESAMPLE BERNOULLI (50) WHERE t.g >= 0", "t\nSELECT 1"},
	{"SELECT (SELECT array_agg(id ORDER BY id) FROM tsx TABLESAMPLE BERNOULLI (5) REPEATABLE (42)) = (SELECT array_agg(id ORDER BY id) FROM tsx TABLESAMPLE BERNOULLI (5) REPEATABLE (42))", "t\nSELECT 1"},
	{"SELECT count(*) FROM tsx a TABLESAMPLE BERNOULLI (100) JOIN tsx b ON a.id = b.id", "2000\nSELECT 1"},
	{"SELECT * FROM tsx TABLESAMPLE SYSTEM (101)", "ERROR 2202H"},
	{"SELECT * FROM tsx TABLESAMPLE foo (10)", "ERROR 42704"},
	{"SELECT * FROM tsx TABLESAMPLE BERNOULLI (10, 2)", "ERROR 2202H"},
	{"SELECT * FROM tsx TABLESAMPLE BERNOULLI (NULL)", "ERROR 2202H"},
	{"SELECT * FROM tsx TABLESAMPLE BERNOULLI (10) REPEATABLE (NULL)", "ERROR 2202G"},
	{"WITH c AS (SELECT 1) SELECT * FROM c TABLESAMPLE BERNOULLI (10)", "ERROR 0A000"},
	{"SELECT * FROM tsx TABLESAMPLE BERNOULLI ('x')", "ERROR 22P02"},
	{"DROP TABLE tsx", "DROP TABLE"},
	// A referenced primary key changed: the children follow by ON UPDATE (it was refused with 0A000).
	{"CREATE TABLE pk1 (id int PRIMARY KEY, name text)", "CREATE TABLE"},
	{"CREATE TABLE pkc1 (id int PRIMARY KEY, pid int REFERENCES pk1 ON UPDATE CASCADE)", "CREATE TABLE"},
	{"CREATE TABLE pkc2 (id int PRIMARY KEY, pid int REFERENCES pk1 ON UPDATE SET NULL)", "CREATE TABLE"},
	{"CREATE TABLE pkc3 (id int PRIMARY KEY, pid int REFERENCES pk1)", "CREATE TABLE"},
	{"CREATE TABLE pkc4 (id int PRIMARY KEY, pid int DEFAULT 0 REFERENCES pk1 ON UPDATE SET DEFAULT)", "CREATE TABLE"},
	{"INSERT INTO pk1 VALUES (0, 'zero'), (1, 'a'), (2, 'b'), (3, 'c')", "INSERT 0 4"},
	{"INSERT INTO pkc1 VALUES (1, 1), (2, 1)", "INSERT 0 2"},
	{"INSERT INTO pkc2 VALUES (1, 2)", "INSERT 0 1"},
	{"INSERT INTO pkc3 VALUES (1, 3)", "INSERT 0 1"},
	{"INSERT INTO pkc4 VALUES (1, 1)", "INSERT 0 1"},
	{"UPDATE pk1 SET id = 10 WHERE id = 1", "UPDATE 1"},
	{"SELECT (SELECT string_agg(id || ':' || pid, ',' ORDER BY id) FROM pkc1), (SELECT string_agg(id || ':' || pid, ',') FROM pkc4)", "1:10,2:10|1:0\nSELECT 1"},
	{"UPDATE pk1 SET id = 20 WHERE id = 2", "UPDATE 1"},
	{"SELECT id, pid IS NULL FROM pkc2", "1|t\nSELECT 1"},
	{"UPDATE pk1 SET id = 30 WHERE id = 3", "ERROR 23503 pkc3_pid_fkey"},
	{"UPDATE pk1 SET id = CASE id WHEN 3 THEN 31 WHEN 20 THEN 3 ELSE id END WHERE id IN (3, 20)", "UPDATE 2"},
	{"UPDATE pk1 SET id = id + 100 WHERE id IN (0, 10)", "ERROR 23503 pkc4_pid_fkey"},
	{"UPDATE pk1 SET id = id + 100 WHERE id = 10", "UPDATE 1"},
	{"SELECT string_agg(id || ':' || pid, ',' ORDER BY id) FROM pkc1", "1:110,2:110\nSELECT 1"},
	{"DROP TABLE pkc1, pkc2, pkc3, pkc4, pk1", "DROP TABLE"},
	{"CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree ON UPDATE CASCADE)", "CREATE TABLE"},
	{"INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2)", "INSERT 0 3"},
	{"UPDATE tree SET id = 5 WHERE id = 1", "UPDATE 1"},
	{"UPDATE tree SET id = id * 10", "UPDATE 3"},
	{"SELECT * FROM tree ORDER BY id", "20|50\n30|20\n50|\nSELECT 3"},
	{"DROP TABLE tree", "DROP TABLE"},
	// pg_typeof is a regtype: it compares as the type's oid; the SQL standard's interval forms.
	{"SELECT pg_typeof(1) = 'integer'::regtype, pg_typeof(1)::oid, pg_typeof('a'::text)::text, pg_typeof('a'), pg_typeof(NULL), pg_typeof(now()) = 'timestamptz'::regtype",
		"t|23|text|unknown|unknown|t\nSELECT 1"},
	{"SELECT interval '1-2', interval '1 2:03:04', interval '-1-6', interval '3 4:05', interval 'P1Y2M3DT4H5M6S'",
		"1 year 2 mons|1 day 02:03:04|-1 years -6 mons|3 days 04:05:00|1 year 2 mons 3 days 04:05:06\nSELECT 1"},
	// jsonb_each and its kin in a select list: records, their fields, and (f(x)).* as columns.
	{`SELECT jsonb_each_text('{"a":1}'), jsonb_each('{"b":[2]}'), pg_typeof(json_each('{"a":1}'))`, "(a,1)|(b,[2])|record\nSELECT 1"},
	{`SELECT (jsonb_each_text('{"a":1,"b":2}')).key`, "a\nb\nSELECT 2"},
	{`SELECT (jsonb_each('{"a":1,"b":{"c":2}}')).*`, "a|1\nb|{\"c\": 2}\nSELECT 2"},
	{`SELECT id, (jsonb_each(j)).key, (jsonb_each(j)).value FROM (VALUES (1, '{"x":1,"y":2}'::jsonb), (2, '{"z":3}')) t(id, j) ORDER BY 1, 2`, "1|x|1\n1|y|2\n2|z|3\nSELECT 3"},
	{`SELECT jsonb_each('[1]')`, "ERROR 22023"},
	// ALTER COLUMN ... TYPE ... USING any expression of the row: evaluated on each row, assigned to the new type.
	{"CREATE TABLE atu (id int PRIMARY KEY, a text NOT NULL, b int, c text)", "CREATE TABLE"},
	{"INSERT INTO atu VALUES (1, 'x', NULL, 'abc'), (2, 'yy', 3, 'de')", "INSERT 0 2"},
	{"ALTER TABLE atu ALTER COLUMN b TYPE int USING coalesce(b, 0) + id", "ALTER TABLE"},
	{"ALTER TABLE atu ALTER COLUMN c TYPE int USING length(c)", "ALTER TABLE"},
	{"ALTER TABLE atu ALTER COLUMN b TYPE text USING 'v' || b", "ALTER TABLE"},
	{"SELECT * FROM atu ORDER BY id", "1|x|v1|3\n2|yy|v5|2\nSELECT 2"},
	{"ALTER TABLE atu ALTER COLUMN c TYPE boolean USING c > 2", "ALTER TABLE"},
	{"ALTER TABLE atu ALTER COLUMN c TYPE int USING CASE WHEN c THEN 10 ELSE 0 END", "ALTER TABLE"},
	{"SELECT id, c, pg_typeof(c) FROM atu ORDER BY id", "1|10|integer\n2|0|integer\nSELECT 2"},
	{"ALTER TABLE atu ALTER COLUMN a TYPE int USING 'n' || a", "ERROR 42804"},
	{"ALTER TABLE atu ALTER COLUMN a TYPE text USING nullif(a, 'x')", "ERROR 23502"},
	{"ALTER TABLE atu ALTER COLUMN a TYPE varchar(1) USING upper(a)", "ERROR 22001"},
	{"ALTER TABLE atu ALTER COLUMN c TYPE int USING nullif(c, 0)", "ALTER TABLE"},
	{"SELECT id, c IS NULL FROM atu ORDER BY id", "1|f\n2|t\nSELECT 2"},
	{"DROP TABLE atu", "DROP TABLE"},
	// An interval type's fields: a bare number counts the last field (interval '7' day had been 7 seconds), and
	// the value keeps only those fields.
	{"SELECT interval '7' day, interval '90' minute, interval '3' year, interval '2:03' minute to second, interval '1 2' day to hour, interval '1.5' day",
		"7 days|01:30:00|3 years|00:02:03|1 day 02:00:00|1 day\nSELECT 1"},
	{"SELECT interval '1 day 3 hours 4 minutes 5.678 seconds' hour to minute, interval '5.678' second(1), interval '3 years 5 months' year, interval(2) '1.23456'",
		"1 day 03:04:00|00:00:05.7|3 years|00:00:01.23\nSELECT 1"},
	{"CREATE TABLE ivt (id int PRIMARY KEY, d interval day, hm interval hour to minute, s interval second(2))", "CREATE TABLE"},
	{"INSERT INTO ivt VALUES (1, '7', '1 day 02:03:04', '1.2345')", "INSERT 0 1"},
	{"SELECT d, hm, s FROM ivt", "7 days|1 day 02:03:00|00:00:01.23\nSELECT 1"},
	{"SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'ivt'::regclass AND attnum > 1 ORDER BY attnum", "interval day\ninterval hour to minute\ninterval second(2)\nSELECT 3"},
	{"DROP TABLE ivt", "DROP TABLE"},
	// DEFAULTs as pg_get_expr and information_schema show them: SQL value functions in upper case, string
	// literals of more types cast, an operator's expression in parentheses in both.
	{"CREATE TABLE dft (id int PRIMARY KEY, i date DEFAULT current_date, t timestamptz DEFAULT current_timestamp, k bigint DEFAULT 2 + 3, o interval DEFAULT '1 day', n inet DEFAULT '10.0.0.1', u text DEFAULT current_user)", "CREATE TABLE"},
	{"SELECT string_agg(pg_get_expr(adbin, adrelid), ' | ' ORDER BY adnum) FROM pg_attrdef WHERE adrelid = 'dft'::regclass",
		"CURRENT_DATE | CURRENT_TIMESTAMP | (2 + 3) | '1 day'::interval | '10.0.0.1'::inet | CURRENT_USER\nSELECT 1"},
	{"SELECT string_agg(column_default, ' | ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 'dft'",
		"CURRENT_DATE | CURRENT_TIMESTAMP | (2 + 3) | '1 day'::interval | '10.0.0.1'::inet | CURRENT_USER\nSELECT 1"},
	{"DROP TABLE dft", "DROP TABLE"},
	// WITHIN GROUP on an aggregate that is not an ordered-set one is refused (it had been ignored); pg_sleep_for,
	// pg_sleep_until; setseed starts random() on a sequence it repeats.
	{"SELECT sum(x) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 3) x", "ERROR 42883"},
	{"SELECT count(*) WITHIN GROUP (ORDER BY x) FROM generate_series(1, 3) x", "ERROR 42809"},
	{"SELECT pg_sleep_for('10 milliseconds'), pg_sleep_until(now())", "|\nSELECT 1"},
	{"SELECT setseed(2)", "ERROR 22023"},
	{"SELECT setseed(0.25)", "\nSELECT 1"},
	{"CREATE TABLE rnd AS SELECT random() r", "SELECT 1"},
	{"SELECT setseed(0.25)", "\nSELECT 1"},
	{"SELECT r = random() FROM rnd", "t\nSELECT 1"},
	{"DROP TABLE rnd", "DROP TABLE"},
	// FETCH FIRST n ROWS WITH TIES: the rows that sort equal to the n-th come too (they had been left out).
	{"CREATE TABLE ties (id int PRIMARY KEY, g int, s text)", "CREATE TABLE"},
	{"INSERT INTO ties VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 2, 'c'), (4, 2, 'd'), (5, 3, 'e')", "INSERT 0 5"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST 1 ROWS WITH TIES", "1\n1\nSELECT 2"},
	{"SELECT g FROM ties ORDER BY g OFFSET 1 ROWS FETCH FIRST 2 ROWS WITH TIES", "1\n2\n2\nSELECT 3"},
	{"SELECT g FROM ties ORDER BY g DESC FETCH FIRST 2 ROWS WITH TIES", "3\n2\n2\nSELECT 3"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST 4 ROWS ONLY", "1\n1\n2\n2\nSELECT 4"},
	{"SELECT DISTINCT g FROM ties ORDER BY g FETCH FIRST 1 ROW WITH TIES", "1\nSELECT 1"},
	{"SELECT count(*) FROM ties GROUP BY g ORDER BY count(*) DESC FETCH FIRST 1 ROW WITH TIES", "2\n2\nSELECT 2"},
	{"SELECT g FROM ties UNION ALL SELECT 1 ORDER BY 1 FETCH FIRST 2 ROWS WITH TIES", "1\n1\n1\nSELECT 3"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST 0 ROWS WITH TIES", "SELECT 0"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST NULL ROWS WITH TIES", "ERROR 2201W"},
	{"SELECT g FROM ties FETCH FIRST 1 ROWS WITH TIES", "ERROR 42601"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST 1 ROW WITH TIES FOR UPDATE", "1\n1\nSELECT 2"},
	{"SELECT g FROM ties ORDER BY g FETCH FIRST 1 ROW WITH TIES FOR UPDATE SKIP LOCKED", "ERROR 42601"},
	{"DROP TABLE ties", "DROP TABLE"},
	// ORDER BY ... LIMIT over a table's NOT NULL integer columns, which the storage reads in that order
	// (sql/orderedscan.go), beside the orders it does not (a nullable column, an output column's name).
	{"CREATE TABLE ord (id int8 PRIMARY KEY, g int NOT NULL, h int, s text)", "CREATE TABLE"},
	{"INSERT INTO ord SELECT i, i % 3, CASE WHEN i % 4 = 0 THEN NULL ELSE i END, 'x' || i FROM generate_series(1, 20) i", "INSERT 0 20"},
	{"CREATE INDEX ord_g ON ord (g)", "CREATE INDEX"},
	{"SELECT id FROM ord ORDER BY id DESC LIMIT 3", "20\n19\n18\nSELECT 3"},
	{"SELECT id FROM ord ORDER BY id LIMIT 3 OFFSET 2", "3\n4\n5\nSELECT 3"},
	{"SELECT id, g FROM ord WHERE g = 1 ORDER BY id DESC LIMIT 2", "19|1\n16|1\nSELECT 2"},
	{"SELECT o.id FROM ord o WHERE o.h > 10 ORDER BY o.g DESC, o.id LIMIT 4", "11\n14\n17\n13\nSELECT 4"},
	{"SELECT id FROM ord WHERE s || '' = 'x14' ORDER BY id DESC LIMIT 1", "14\nSELECT 1"},
	{"SELECT id FROM ord ORDER BY g, id DESC FETCH FIRST 2 ROWS ONLY", "18\n15\nSELECT 2"},
	{"SELECT h FROM ord ORDER BY h DESC LIMIT 2", "\n\nSELECT 2"},
	{"SELECT id, h FROM ord ORDER BY h DESC, id LIMIT 7", "4|\n8|\n12|\n16|\n20|\n19|19\n18|18\nSELECT 7"},
	{"SELECT id FROM ord ORDER BY h, id DESC LIMIT 3", "1\n2\n3\nSELECT 3"},
	{"SELECT id FROM ord WHERE g = 2 ORDER BY h LIMIT 20", "2\n5\n11\n14\n17\n8\n20\nSELECT 7"},
	{"SELECT id FROM ord WHERE g = 2 ORDER BY h NULLS FIRST, id LIMIT 3", "8\n20\n2\nSELECT 3"},
	{"SELECT id FROM ord WHERE g = 2 ORDER BY h DESC NULLS LAST LIMIT 2", "17\n14\nSELECT 2"},
	{"SELECT id FROM ord ORDER BY g, h DESC LIMIT 2", "12\n18\nSELECT 2"},
	{"SELECT id AS g FROM ord ORDER BY g DESC LIMIT 2", "20\n19\nSELECT 2"},
	{"SELECT id FROM ord ORDER BY id LIMIT 2 OFFSET 19", "20\nSELECT 1"},
	{"SELECT id FROM ord ORDER BY id LIMIT -1", "ERROR 2201W"},
	{"DROP TABLE ord", "DROP TABLE"},
	{"CREATE TABLE ord2 (id int PRIMARY KEY, t text NOT NULL, v varchar(10) NOT NULL, b bool NOT NULL, d date NOT NULL, ts timestamp NOT NULL, tz timestamptz NOT NULL, c char(3) NOT NULL)", "CREATE TABLE"},
	{"INSERT INTO ord2 VALUES (1, 'b', 'Zeta', true, '2020-01-02', '2020-01-02 03:04:05', '2020-01-02 03:04:05+00', 'a'), " +
		"(2, 'a b', 'alpha', false, 'infinity', '-infinity', 'infinity', 'a  '), (3, 'B', 'Alpha', true, '1999-12-31', 'infinity', '-infinity', 'b'), " +
		"(4, 'é', 'beta', false, '-infinity', '2020-01-02 03:04:05.5', '2020-01-02 03:04:04+00', 'ab'), (5, '', 'zeta', true, '2020-01-01', '1970-01-01', '2020-01-02 03:04:05.001+00', '')", "INSERT 0 5"},
	{"SELECT id FROM ord2 ORDER BY t LIMIT 3", "5\n3\n2\nSELECT 3"},
	{"SELECT id FROM ord2 ORDER BY t DESC LIMIT 2", "4\n1\nSELECT 2"},
	{"SELECT id FROM ord2 ORDER BY v LIMIT 2", "3\n1\nSELECT 2"},
	{"SELECT id FROM ord2 ORDER BY b, id DESC LIMIT 3", "4\n2\n5\nSELECT 3"},
	{"SELECT id FROM ord2 ORDER BY d LIMIT 3", "4\n3\n5\nSELECT 3"},
	{"SELECT id FROM ord2 ORDER BY d DESC LIMIT 1", "2\nSELECT 1"},
	{"SELECT id FROM ord2 ORDER BY ts LIMIT 3", "2\n5\n1\nSELECT 3"},
	{"SELECT id FROM ord2 ORDER BY ts DESC LIMIT 2", "3\n4\nSELECT 2"},
	{"SELECT id FROM ord2 ORDER BY tz LIMIT 3", "3\n4\n1\nSELECT 3"},
	{"SELECT id FROM ord2 ORDER BY c, id LIMIT 3", "5\n1\n2\nSELECT 3"},
	{"DROP TABLE ord2", "DROP TABLE"},
}

// hintSteps: a misspelt column's error hints at the nearest columns, as PostgreSQL's does.
var hintSteps = []struct{ sql, want string }{
	{"CREATE TABLE hnt (id int PRIMARY KEY, name text, nome text, qty int)", ""},
	{"CREATE TABLE hnt2 (id int PRIMARY KEY, name text)", ""},
	{"SELECT nme FROM hnt", `ERROR 42703 column "nme" does not exist HINT: Perhaps you meant to reference the column "hnt.name" or the column "hnt.nome".`},
	{"SELECT h.qt FROM hnt h", `ERROR 42703 column h.qt does not exist HINT: Perhaps you meant to reference the column "h.qty".`},
	{`SELECT "Id" FROM hnt`, `ERROR 42703 column "Id" does not exist HINT: Perhaps you meant to reference the column "hnt.id".`},
	{"SELECT naem FROM hnt, hnt2", `ERROR 42703 column "naem" does not exist HINT: Perhaps you meant to reference the column "hnt.name" or the column "hnt2.name".`},
	{"SELECT xyz FROM hnt", `ERROR 42703 column "xyz" does not exist`},
	{"SELECT id FROM hnt UNION SELECT id, name FROM hnt", "ERROR 42601 each UNION query must have the same number of columns"},
	{"SELECT count(*) FROM hnt WHERE count(*) > 1", "ERROR 42803 aggregate functions are not allowed in WHERE"},
	{"SELECT id FROM hnt WHERE row_number() OVER () > 1", "ERROR 42P20 window functions are not allowed in WHERE"},
	{"DROP TABLE hnt, hnt2", ""},
}

func runCompat(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, compatSteps)
	runMessageSteps(t, who, c, hintSteps)
}

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

// TestCompat_UUIDParameters: a uuid parameter in text (any of PostgreSQL's input forms) or binary is one value: a
// unique column refuses the same uuid in another form, a filter finds it, and results come back canonical in text
// and as the same bytes in binary.
func TestCompat_UUIDParameters(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	if _, err := c.Exec(ctx, "CREATE TABLE uuidp (id int PRIMARY KEY, u uuid UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	want := [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	if _, err := c.Exec(ctx, "INSERT INTO uuidp VALUES ($1, $2)", 1, "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"); err != nil {
		t.Fatal(err)
	}
	for i, dup := range []any{pgtype.UUID{Bytes: want, Valid: true}, want, "a0eebc999c0b4ef8bb6d6bb9bd380a11"} {
		if _, err := c.Exec(ctx, "INSERT INTO uuidp VALUES ($1, $2)", i+2, dup); sqlState(err) != "23505" {
			t.Errorf("the same uuid as %T: %v, want 23505", dup, err)
		}
	}
	if _, err := c.Exec(ctx, "INSERT INTO uuidp VALUES ($1, $2)", 5, pgtype.UUID{Bytes: [16]byte{15: 1}, Valid: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO uuidp VALUES ($1, $2)", 6, "not-a-uuid"); sqlState(err) != "22P02" {
		t.Errorf("a parameter that is no uuid: %v, want 22P02", err)
	}
	var text string
	var bin pgtype.UUID
	err := c.QueryRow(ctx, "SELECT u::text, u FROM uuidp WHERE u = $1", "A0EE-BC99-9C0B-4EF8-BB6D-6BB9-BD38-0A11").Scan(&text, &bin)
	if err != nil {
		t.Fatal(err)
	}
	if text != "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" || bin.Bytes != want {
		t.Errorf("got %s and %x", text, bin.Bytes)
	}
	var n int
	if err := c.QueryRow(ctx, "SELECT id FROM uuidp WHERE u = $1", [16]byte{15: 1}).Scan(&n); err != nil || n != 5 {
		t.Errorf("a binary uuid parameter in a filter: %d, %v", n, err)
	}
	var canon string
	if err := c.QueryRow(ctx, "SELECT u FROM uuidp WHERE id = 5", pgx.QueryResultFormats{pgx.TextFormatCode}).Scan(&canon); err != nil || canon != "00000000-0000-0000-0000-000000000001" {
		t.Errorf("a uuid in text: %q, %v", canon, err)
	}
	// uuid[] in binary, both ways.
	var arr []pgtype.UUID
	err = c.QueryRow(ctx, "SELECT array_agg(u ORDER BY id) FROM uuidp WHERE u = ANY($1)", []pgtype.UUID{{Bytes: want, Valid: true}, {Bytes: [16]byte{15: 1}, Valid: true}}).Scan(&arr)
	if err != nil || len(arr) != 2 || arr[0].Bytes != want || arr[1].Bytes != [16]byte{15: 1} {
		t.Errorf("uuid[] in binary: %v, %v", arr, err)
	}
	// COPY FROM reads the same forms, to the same value.
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("7\t{00000000-0000-0000-0000-00000000000A}\n"), "COPY uuidp FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("8\t0000000000000000000000000000000a\n"), "COPY uuidp FROM STDIN"); sqlState(err) != "23505" {
		t.Errorf("COPY of a uuid already there in another form: %v, want 23505", err)
	}
	if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader("9\tzz\n"), "COPY uuidp FROM STDIN"); sqlState(err) != "22P02" {
		t.Errorf("COPY of no uuid: %v, want 22P02", err)
	}
	if err := c.QueryRow(ctx, "SELECT u::text FROM uuidp WHERE id = 7").Scan(&canon); err != nil || canon != "00000000-0000-0000-0000-00000000000a" {
		t.Errorf("a uuid written by COPY: %q, %v", canon, err)
	}
}

// TestCompat_RecordsBinary reads whole rows, their arrays and a table's row type cast from text with pgx's binary
// result format: each field in its column's type (a date a date, a numeric its scale), NULLs as NULLs.
func TestCompat_RecordsBinary(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE rwb (id int PRIMARY KEY, name text, d date, n numeric(5,2), tags text[])")
	mustExec(t, c, "INSERT INTO rwb VALUES (1, 'a', '2024-01-02', 1.5, '{x}'), (2, NULL, NULL, NULL, NULL)")
	for _, s := range []struct{ sql, want string }{
		{"SELECT array_agg(r ORDER BY id) FROM rwb r", "[[1 a 2024-01-02 1.50 [x]] [2 <nil> <nil> <nil> <nil>]]"},
		{"SELECT r FROM rwb r WHERE id = 1", "[1 a 2024-01-02 1.50 [x]]"},
		{`SELECT '(3,b,2024-03-04,2,"{y,z}")'::rwb`, "[3 b 2024-03-04 2.00 [y z]]"},
	} {
		var v any
		if err := c.QueryRow(ctx, s.sql).Scan(&v); err != nil {
			t.Errorf("%s: %v", s.sql, err)
			continue
		}
		if got := showFields(v); got != s.want {
			t.Errorf("%s: %s, want %s", s.sql, got, s.want)
		}
	}
}

// showFields writes decoded record fields: dates as dates, numerics in decimal with their scale.
func showFields(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = showFields(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case time.Time:
		return x.Format("2006-01-02")
	case pgtype.Numeric:
		f, _ := x.Value()
		return fmt.Sprint(f)
	}
	return fmt.Sprint(v)
}

// TestParams_InferredTypes: parameters take the types PostgreSQL infers (a whole condition, WHERE $1, CASE WHEN $1,
// $1 IS TRUE, HAVING $1 or an UPDATE's or DELETE's WHERE $1, a boolean; ts - $1 and d - $1 the other operand's; an
// interval's factor a double; a json path text[]; abs($1) a double; a later VALUES row's its column's), so pgx
// sends the Go value it is given, and a prepared statement runs with those types: a date parameter subtracted
// from a date gives days, as the description says.
func TestParams_InferredTypes(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE pinf (id int PRIMARY KEY, n int, d date, ts timestamptz, iv interval, j jsonb)")
	mustExec(t, c, `INSERT INTO pinf VALUES (1, 10, '2024-01-01', '2024-01-01 00:00:00+00', '1 day', '{"k": [1, 2]}'), (2, 20, NULL, NULL, NULL, NULL)`)
	day := time.Date(2023, 12, 25, 0, 0, 0, 0, time.UTC)
	for _, s := range []struct {
		sql    string
		args   []any
		params []uint32
		result uint32
		want   string // the first column's values, comma-separated
	}{
		{"SELECT count(*) FROM pinf WHERE $1", []any{true}, []uint32{16}, 20, "2"},
		{"SELECT CASE WHEN $1 THEN 'y' ELSE 'n' END", []any{false}, []uint32{16}, 25, "n"},
		{"SELECT $1 IS TRUE", []any{true}, []uint32{16}, 16, "true"},
		{"SELECT count(*) FROM pinf GROUP BY n > 0 HAVING $1", []any{true}, []uint32{16}, 20, "2"},
		{"UPDATE pinf SET n = n + 1 WHERE $1 AND id = 1 RETURNING n", []any{true}, []uint32{16}, 23, "11"},
		{"DELETE FROM pinf WHERE $1 RETURNING id", []any{false}, []uint32{16}, 23, ""},
		{"SELECT d - $1 FROM pinf WHERE id = 1", []any{day}, []uint32{1082}, 23, "7"},
		{"SELECT ts - $1 FROM pinf WHERE id = 1", []any{day}, []uint32{1184}, 1186, "{0 7 0 true}"},
		{"SELECT iv * $1 FROM pinf WHERE id = 1", []any{2}, []uint32{701}, 1186, "{0 2 0 true}"},
		{"SELECT j #>> $1 FROM pinf WHERE id = 1", []any{[]string{"k", "1"}}, []uint32{1009}, 25, "2"},
		{"SELECT abs($1)", []any{-5}, []uint32{701}, 701, "5"},
		{"SELECT count(*) FROM (VALUES ($1::int, $2::text), ($3, $4)) v(a, b) WHERE a > 0", []any{1, "x", 2, "y"}, []uint32{23, 25, 23, 25}, 20, "2"},
		{"SELECT nullif($1, 0)", []any{3}, []uint32{23}, 23, "3"},
		{"SELECT substr($1, $2, $3)", []any{"abcdef", 2, 3}, []uint32{25, 23, 23}, 25, "bcd"},
		{"SELECT generate_series(1, $1)", []any{3}, []uint32{23}, 23, "1,2,3"},
		{"SELECT count(*) FROM generate_series($1::date, $2, $3)", []any{day, day.AddDate(0, 0, 2), "1 day"}, []uint32{1082, 1184, 1186}, 20, "3"},
		{"SELECT sqrt($1)", []any{16}, []uint32{701}, 701, "4"},
		{"SELECT trunc($1, 1)", []any{"2.57"}, []uint32{1700}, 1700, "{25 -1 false finite true}"},
		{"SELECT CASE WHEN true THEN $1 ELSE 0 END", []any{4}, []uint32{23}, 23, "4"},
		// An oid parameter, which pgx sends in binary as an unsigned integer.
		{"SELECT typname FROM pg_type WHERE oid = $1", []any{23}, []uint32{26}, 19, "int4"},
		{"SELECT typname FROM pg_type WHERE oid = ANY($1) ORDER BY 1", []any{[]uint32{23, 25}}, []uint32{1028}, 19, "int4,text"},
	} {
		sd, err := c.Prepare(ctx, "", s.sql)
		if err != nil {
			t.Errorf("%s: %v", s.sql, err)
			continue
		}
		if fmt.Sprint(sd.ParamOIDs) != fmt.Sprint(s.params) || sd.Fields[0].DataTypeOID != s.result {
			t.Errorf("%s: parameters %v and result %d, want %v and %d", s.sql, sd.ParamOIDs, sd.Fields[0].DataTypeOID, s.params, s.result)
		}
		var got []string
		rows, err := c.Query(ctx, s.sql, s.args...)
		if err == nil {
			for rows.Next() {
				v, _ := rows.Values()
				got = append(got, fmt.Sprint(v[0]))
			}
			err = rows.Err()
		}
		if err != nil || strings.Join(got, ",") != s.want {
			t.Errorf("%s: %v (%v), want %q", s.sql, got, err, s.want)
		}
	}
}
