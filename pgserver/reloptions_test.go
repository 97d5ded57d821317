package pgserver_test

// relOptionSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), errors with their messages:
// storage parameters in CREATE TABLE ... WITH and ALTER TABLE ... SET / RESET, checked and shown as
// pg_class.reloptions; COMMENT ON INDEX, which follows a rename and goes with a DROP.
var relOptionSteps = []struct{ sql, want string }{
	{"CREATE TABLE ro (id int PRIMARY KEY, v text) WITH (fillfactor = 80)", "CREATE TABLE"},
	{"CREATE INDEX ro_v ON ro (v)", "CREATE INDEX"},
	{"ALTER TABLE ro SET (fillfactor = 90, autovacuum_enabled = false)", "ALTER TABLE"},
	{"SELECT reloptions FROM pg_class WHERE relname = 'ro'", "{fillfactor=90,autovacuum_enabled=false}\nSELECT 1"},
	{"ALTER TABLE ro RESET (fillfactor)", "ALTER TABLE"},
	{"ALTER TABLE ro SET (nosuch = 1)", `ERROR 22023 unrecognized parameter "nosuch"`},
	{"ALTER TABLE ro SET (fillfactor = 5)", `ERROR 22023 value 5 out of bounds for option "fillfactor"`},
	{"SELECT reloptions FROM pg_class WHERE relname = 'ro'", "{autovacuum_enabled=false}\nSELECT 1"},
	{"CREATE TABLE ro2 (id int) WITH (autovacuum_enabled, toast.autovacuum_enabled = off, vacuum_index_cleanup = auto)", "CREATE TABLE"},
	{"SELECT reloptions FROM pg_class WHERE relname = 'ro2'", "{autovacuum_enabled=true,vacuum_index_cleanup=auto}\nSELECT 1"},
	{"CREATE TABLE ro3 (id int) WITH (autovacuum_enabled = maybe)", `ERROR 22023 invalid value for boolean option "autovacuum_enabled": maybe`},
	{"COMMENT ON INDEX ro_v IS 'by v'", "COMMENT"},
	{"SELECT obj_description('ro_v'::regclass, 'pg_class')", "by v\nSELECT 1"},
	{"ALTER INDEX ro_v RENAME TO ro_v2", "ALTER INDEX"},
	{"SELECT obj_description('ro_v2'::regclass), (SELECT d.description FROM pg_description d JOIN pg_class c ON c.oid = d.objoid WHERE c.relname = 'ro_v2')", "by v|by v\nSELECT 1"},
	{"COMMENT ON INDEX nosuch IS 'x'", `ERROR 42P01 relation "nosuch" does not exist`},
	{"DROP INDEX ro_v2", "DROP INDEX"},
	{"CREATE INDEX ro_v2 ON ro (v)", "CREATE INDEX"},
	{"SELECT obj_description('ro_v2'::regclass, 'pg_class') IS NULL", "t\nSELECT 1"},
	{"COMMENT ON INDEX ro_v2 IS 'x'", "COMMENT"},
	{"COMMENT ON INDEX ro_v2 IS NULL", "COMMENT"},
	{"SELECT obj_description('ro_v2'::regclass, 'pg_class') IS NULL", "t\nSELECT 1"},
	{"DROP TABLE ro, ro2", "DROP TABLE"},
}
