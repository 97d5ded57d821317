package pgserver_test

// tableLikeSteps run against Concord and PostgreSQL 15 (TestCompare_PostgreSQL), errors with their messages:
// CREATE TABLE ... (LIKE source ...) takes the columns with their types and NOT NULL, and by its options the
// defaults (a serial column's naming source's sequence), identity columns with sequences of their own, CHECK
// constraints, the primary key, UNIQUE constraints and indexes (partial and descending ones too) under the new
// table's names, and the comments.
var tableLikeSteps = []struct{ sql, want string }{
	{"CREATE TABLE lk_src (id serial PRIMARY KEY, name varchar(20) NOT NULL DEFAULT 'x', n int CHECK (n > 0), code text UNIQUE)", "CREATE TABLE"},
	{"CREATE INDEX lk_src_name ON lk_src (name)", "CREATE INDEX"},
	{"COMMENT ON COLUMN lk_src.name IS 'the name'", "COMMENT"},
	{"CREATE TABLE lk1 (LIKE lk_src)", "CREATE TABLE"},
	{"CREATE TABLE lk2 (LIKE lk_src INCLUDING ALL)", "CREATE TABLE"},
	{"CREATE TABLE lk3 (extra int, LIKE lk_src INCLUDING DEFAULTS INCLUDING CONSTRAINTS EXCLUDING INDEXES, more text)", "CREATE TABLE"},
	{"SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(adbin, adrelid) FROM pg_attribute " +
		"LEFT JOIN pg_attrdef ON adrelid = attrelid AND adnum = attnum WHERE attrelid = 'lk3'::regclass AND attnum > 0 ORDER BY attnum",
		"extra|integer|f|\nid|integer|t|nextval('lk_src_id_seq'::regclass)\nname|character varying(20)|t|'x'::character varying\n" +
			"n|integer|f|\ncode|text|f|\nmore|text|f|\nSELECT 6"},
	{"SELECT count(*) FROM pg_attrdef WHERE adrelid = 'lk1'::regclass", "0\nSELECT 1"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'lk2' ORDER BY 1",
		"lk2_code_key|CREATE UNIQUE INDEX lk2_code_key ON public.lk2 USING btree (code)\n" +
			"lk2_name_idx|CREATE INDEX lk2_name_idx ON public.lk2 USING btree (name)\n" +
			"lk2_pkey|CREATE UNIQUE INDEX lk2_pkey ON public.lk2 USING btree (id)\nSELECT 3"},
	{"SELECT conname, contype FROM pg_constraint WHERE conrelid = 'lk2'::regclass ORDER BY 1", "lk2_code_key|u\nlk2_pkey|p\nlk_src_n_check|c\nSELECT 3"},
	{"SELECT count(*) FROM pg_constraint WHERE conrelid = 'lk1'::regclass", "0\nSELECT 1"},
	{"SELECT col_description('lk2'::regclass, 2), col_description('lk3'::regclass, 3)", "the name|\nSELECT 1"},
	{"INSERT INTO lk2 (n, code) VALUES (1, 'c') RETURNING id, name, n", "1|x|1\nINSERT 0 1"},
	{"INSERT INTO lk2 (id, n, code) VALUES (1, 2, 'd')", `ERROR 23505 duplicate key value violates unique constraint "lk2_pkey"`},
	{"INSERT INTO lk2 (id, n, code) VALUES (2, 2, 'c')", `ERROR 23505 duplicate key value violates unique constraint "lk2_code_key"`},
	{"INSERT INTO lk2 (id, n) VALUES (100, 0)", `ERROR 23514 new row for relation "lk2" violates check constraint "lk_src_n_check"`},
	{"INSERT INTO lk1 (id, n) VALUES (1, 0)", `ERROR 23502 null value in column "name" of relation "lk1" violates not-null constraint`},
	{"INSERT INTO lk1 (id, name, n) VALUES (1, 'a', 0), (1, 'b', 0)", "INSERT 0 2"},
	{"CREATE TABLE lk4 (LIKE lk_src INCLUDING ALL, LIKE lk1)", `ERROR 42701 column "id" specified more than once`},
	{"CREATE TABLE lk5 (id2 int PRIMARY KEY, LIKE lk_src INCLUDING INDEXES)", `ERROR 42P16 multiple primary keys for table "lk5" are not allowed`},
	{"CREATE TABLE lk6 (LIKE nosuch)", `ERROR 42P01 relation "nosuch" does not exist`},
	{"CREATE TABLE idt (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)", "CREATE TABLE"},
	{"CREATE UNIQUE INDEX idt_v ON idt (v DESC) WHERE id > 1", "CREATE INDEX"},
	{"INSERT INTO idt (v) VALUES ('p'), ('q')", "INSERT 0 2"},
	{"CREATE TABLE idt2 (LIKE idt INCLUDING IDENTITY INCLUDING INDEXES)", "CREATE TABLE"},
	{"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'idt2' ORDER BY 1",
		"idt2_pkey|CREATE UNIQUE INDEX idt2_pkey ON public.idt2 USING btree (id)\n" +
			"idt2_v_idx|CREATE UNIQUE INDEX idt2_v_idx ON public.idt2 USING btree (v DESC) WHERE (id > 1)\nSELECT 2"},
	{"INSERT INTO idt2 (v) VALUES ('b'), ('a'), ('b') RETURNING id", "1\n2\n3\nINSERT 0 3"},
	{"INSERT INTO idt2 (v) VALUES ('b')", `ERROR 23505 duplicate key value violates unique constraint "idt2_v_idx"`},
	{"INSERT INTO idt2 (id, v) VALUES (9, 'z')", `ERROR 428C9 cannot insert a non-DEFAULT value into column "id"`},
	{"CREATE TABLE idt3 (LIKE idt)", "CREATE TABLE"},
	{"INSERT INTO idt3 (v) VALUES ('x')", `ERROR 23502 null value in column "id" of relation "idt3" violates not-null constraint`},
	{"DROP TABLE idt3, idt2, idt, lk1, lk2, lk3, lk_src", "DROP TABLE"},
}
