package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// readOnlySteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL): a read-only transaction (BEGIN
// READ ONLY, START TRANSACTION READ ONLY, SET TRANSACTION READ ONLY, default_transaction_read_only) refuses every
// statement that writes with 25006, named as PostgreSQL names it, and leaves the data as it was; SET TRANSACTION
// after the block's first query may not turn it read-write or change its isolation level (25001).
var readOnlySteps = []struct{ sql, want string }{
	{"DROP TABLE IF EXISTS ro_t", ""},
	{"DROP SEQUENCE IF EXISTS ro_s", ""},
	{"CREATE TABLE ro_t (id int PRIMARY KEY, v int)", "CREATE TABLE"},
	{"CREATE SEQUENCE ro_s", "CREATE SEQUENCE"},
	{"INSERT INTO ro_t VALUES (1, 1)", "INSERT 0 1"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"SHOW transaction_read_only", "on\nSHOW"},
	{"SELECT v FROM ro_t", "1\nSELECT 1"},
	{"UPDATE ro_t SET v = 2", "ERROR 25006 cannot execute UPDATE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"START TRANSACTION READ ONLY, ISOLATION LEVEL REPEATABLE READ", "START TRANSACTION"},
	{"INSERT INTO ro_t VALUES (2, 2)", "ERROR 25006 cannot execute INSERT in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"WITH d AS (DELETE FROM ro_t RETURNING *) SELECT count(*) FROM d", "ERROR 25006 cannot execute SELECT in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"SELECT * FROM ro_t FOR UPDATE", "ERROR 25006 cannot execute SELECT FOR UPDATE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"SELECT nextval('ro_s')", "ERROR 25006 cannot execute nextval() in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"CREATE TABLE ro_t2 (a int)", "ERROR 25006 cannot execute CREATE TABLE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"DROP TABLE ro_t", "ERROR 25006 cannot execute DROP TABLE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"TRUNCATE ro_t", "ERROR 25006 cannot execute TRUNCATE TABLE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"ALTER TABLE ro_t ADD COLUMN w int", "ERROR 25006 cannot execute ALTER TABLE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"CREATE INDEX ON ro_t (v)", "ERROR 25006 cannot execute CREATE INDEX in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN READ ONLY", "BEGIN"},
	{"SELECT 1", "1\nSELECT 1"},
	{"SET TRANSACTION READ WRITE", "ERROR 25001 transaction read-write mode must be set before any query"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SELECT 1", "1\nSELECT 1"},
	{"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "ERROR 25001 SET TRANSACTION ISOLATION LEVEL must be called before any query"},
	{"ROLLBACK", "ROLLBACK"},
	{"BEGIN", "BEGIN"},
	{"SET TRANSACTION READ ONLY", "SET"},
	{"DELETE FROM ro_t", "ERROR 25006 cannot execute DELETE in a read-only transaction"},
	{"ROLLBACK", "ROLLBACK"},
	{"SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "SET"},
	{"SHOW default_transaction_read_only", "on\nSHOW"},
	{"INSERT INTO ro_t VALUES (3, 3)", "ERROR 25006 cannot execute INSERT in a read-only transaction"},
	{"BEGIN READ WRITE", "BEGIN"},
	{"INSERT INTO ro_t VALUES (4, 4)", "INSERT 0 1"},
	{"COMMIT", "COMMIT"},
	{"SET default_transaction_read_only = off", "SET"},
	{"INSERT INTO ro_t VALUES (5, 5)", "INSERT 0 1"},
	{"SET default_transaction_read_only = 'maybe'", "ERROR 22023 parameter \"default_transaction_read_only\" requires a Boolean value"},
	{"SET default_transaction_read_only = on", "SET"},
	{"SHOW transaction_read_only", "on\nSHOW"},
	{"RESET default_transaction_read_only", "RESET"},
	{"SHOW transaction_read_only", "off\nSHOW"},
	{"SELECT id FROM ro_t ORDER BY id", "1\n4\n5\nSELECT 3"},
	{"DROP TABLE ro_t", "DROP TABLE"},
	{"DROP SEQUENCE ro_s", "DROP SEQUENCE"},
}

// runReadOnly runs readOnlySteps, rendering each statement's rows and tag, or its error's SQLSTATE and message.
func runReadOnly(t *testing.T, who string, c *pgx.Conn) { runMessageSteps(t, who, c, readOnlySteps) }

// settingsSteps run against Concord and PostgreSQL 15: pg_settings lists the session's parameters (a timeout's
// setting in milliseconds), and the connection and server functions answer.
var settingsSteps = []struct{ sql, want string }{
	{"SET statement_timeout = '2s'", "SET"},
	{"SELECT name, setting, unit, source FROM pg_settings WHERE name IN ('statement_timeout', 'server_encoding') ORDER BY name",
		"server_encoding|UTF8||default\nstatement_timeout|2000|ms|session\nSELECT 2"},
	{"SELECT count(*) FROM pg_settings WHERE name = 'TimeZone'", "1\nSELECT 1"},
	{"RESET statement_timeout", "RESET"},
	{"SELECT setting FROM pg_settings WHERE name = 'statement_timeout'", "0\nSELECT 1"},
	{"SELECT inet_server_port() > 0, inet_client_port() > 0, inet_server_addr() = inet_client_addr(), pg_postmaster_start_time() < now(), pg_conf_load_time() <= now()",
		"t|t|t|t|t\nSELECT 1"},
	{"SELECT format_type('int4'::regtype, NULL), format_type('varchar'::regtype, 14), format_type(25, NULL)", "integer|character varying(10)|text\nSELECT 1"},
	// Schema migration tools look for the public schema here before creating it.
	{"SELECT schema_name, schema_owner = current_user FROM information_schema.schemata WHERE schema_name IN ('public', 'information_schema') ORDER BY 1",
		"information_schema|t\npublic|f\nSELECT 2"},
	// pg_get_serial_sequence, as ORMs reset a serial column's sequence with it.
	{"CREATE TABLE \"SerUsers\" (id serial PRIMARY KEY, n int, k int GENERATED BY DEFAULT AS IDENTITY)", "CREATE TABLE"},
	{"SELECT pg_get_serial_sequence('\"SerUsers\"', 'id'), pg_get_serial_sequence('public.\"SerUsers\"', 'k'), pg_get_serial_sequence('\"SerUsers\"', 'n') IS NULL",
		"public.\"SerUsers_id_seq\"|public.\"SerUsers_k_seq\"|t\nSELECT 1"},
	{"SELECT pg_get_serial_sequence('ser_none', 'id')", "ERROR 42P01"},
	{"SELECT pg_get_serial_sequence('\"SerUsers\"', 'none')", "ERROR 42703"},
	{"INSERT INTO \"SerUsers\" (n) VALUES (1), (2)", "INSERT 0 2"},
	{"SELECT setval(pg_get_serial_sequence('\"SerUsers\"', 'id'), max(id)) FROM \"SerUsers\"", "2\nSELECT 1"},
	{"SELECT nextval(pg_get_serial_sequence('\"SerUsers\"', 'id'))", "3\nSELECT 1"},
	{"DROP TABLE \"SerUsers\"", "DROP TABLE"},
}

func runSettings(t *testing.T, who string, c *pgx.Conn) { runSteps(t, who, c, settingsSteps) }
