package pgserver_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

// joinSteps: inner, left, right, full and comma joins whose rows are paired through a hash table (equalities of
// integers, numerics beside integers, text beside varchar, NULL keys, duplicates) and whose tables' scans take the
// conditions that name them alone: an anti-join (WHERE o.id IS NULL) and ON conditions on either side of a LEFT
// JOIN, which must not filter the preserved side; joins in a subquery, with USING, a nested join on the nullable
// side, and an ambiguous column (42702). Compared with PostgreSQL 15.
var joinSteps = []struct{ sql, want string }{
	{"CREATE TABLE jc (id int PRIMARY KEY, name text, region varchar(5))", "CREATE TABLE"},
	{"CREATE TABLE jo (id int8 PRIMARY KEY, cust int8, amt numeric, note text)", "CREATE TABLE"},
	{"CREATE TABLE jr (code text PRIMARY KEY, label text)", "CREATE TABLE"},
	{"INSERT INTO jc VALUES (1, 'ann', 'n'), (2, 'bo', 's'), (3, 'cy', NULL), (4, 'di', 'n')", "INSERT 0 4"},
	{"INSERT INTO jo VALUES (10, 1, 5.5, 'a'), (11, 1, 2, NULL), (12, 2, 7, 'b'), (13, NULL, 1, 'c'), (14, 9, 3, 'd')", "INSERT 0 5"},
	{"INSERT INTO jr VALUES ('n', 'North'), ('s', 'South'), ('w', 'West')", "INSERT 0 3"},
	{"SELECT c.name, o.id FROM jc c JOIN jo o ON o.cust = c.id ORDER BY 1, 2", "ann|10\nann|11\nbo|12\nSELECT 3"},
	{"SELECT c.name, o.id FROM jc c, jo o WHERE o.cust = c.id AND o.amt > 2 ORDER BY 1, 2", "ann|10\nbo|12\nSELECT 2"},
	{"SELECT c.name, o.id FROM jc c LEFT JOIN jo o ON o.cust = c.id ORDER BY 1, 2", "ann|10\nann|11\nbo|12\ncy|\ndi|\nSELECT 5"},
	{"SELECT c.name FROM jc c LEFT JOIN jo o ON o.cust = c.id WHERE o.id IS NULL ORDER BY 1", "cy\ndi\nSELECT 2"},
	{"SELECT c.name, o.id FROM jc c LEFT JOIN jo o ON o.cust = c.id AND c.name = 'ann' ORDER BY 1, 2", "ann|10\nann|11\nbo|\ncy|\ndi|\nSELECT 5"},
	{"SELECT c.name, o.id FROM jc c LEFT JOIN jo o ON o.cust = c.id AND o.amt > 3 ORDER BY 1, 2", "ann|10\nbo|12\ncy|\ndi|\nSELECT 4"},
	{"SELECT c.name, o.id FROM jc c LEFT JOIN jo o ON o.cust = c.id WHERE c.region = 'n' ORDER BY 1, 2", "ann|10\nann|11\ndi|\nSELECT 3"},
	{"SELECT c.name, o.id FROM jc c RIGHT JOIN jo o ON o.cust = c.id ORDER BY 2", "ann|10\nann|11\nbo|12\n|13\n|14\nSELECT 5"},
	{"SELECT c.name, o.id FROM jc c RIGHT JOIN jo o ON o.cust = c.id WHERE o.amt < 4 ORDER BY 2", "ann|11\n|13\n|14\nSELECT 3"},
	{"SELECT c.name, o.id FROM jc c FULL JOIN jo o ON o.cust = c.id ORDER BY 1, 2", "ann|10\nann|11\nbo|12\ncy|\ndi|\n|13\n|14\nSELECT 7"},
	{"SELECT c.name, o.id FROM jc c FULL JOIN jo o ON o.cust = c.id WHERE c.id IS NULL OR o.id IS NULL ORDER BY 1, 2", "cy|\ndi|\n|13\n|14\nSELECT 4"},
	{"SELECT c.name, r.label, o.id FROM jc c JOIN jr r ON r.code = c.region JOIN jo o ON o.cust = c.id ORDER BY 1, 3", "ann|North|10\nann|North|11\nbo|South|12\nSELECT 3"},
	{"SELECT c.name, r.label FROM jc c LEFT JOIN jr r ON r.code = c.region ORDER BY 1", "ann|North\nbo|South\ncy|\ndi|North\nSELECT 4"},
	{"SELECT c.name, r.label FROM jc c, jr r WHERE c.region = r.code AND r.label <> 'South' ORDER BY 1", "ann|North\ndi|North\nSELECT 2"},
	{"SELECT a.name, b.name FROM jc a JOIN jc b ON a.region = b.region AND a.id < b.id ORDER BY 1, 2", "ann|di\nSELECT 1"},
	{"SELECT c.name, o.id FROM jc c JOIN jo o ON o.amt = c.id ORDER BY 1, 2", "ann|13\nbo|11\ncy|14\nSELECT 3"},
	{"SELECT c.name, o.id FROM jc c JOIN jo o ON o.note = c.region ORDER BY 1, 2", "SELECT 0"},
	{"SELECT c.name, s.total FROM jc c JOIN (SELECT cust, sum(amt) AS total FROM jo GROUP BY cust) s ON s.cust = c.id ORDER BY 1", "ann|7.5\nbo|7\nSELECT 2"},
	{"SELECT name, id FROM jc JOIN jo USING (id) ORDER BY 1", "SELECT 0"},
	{"SELECT name FROM jc, jo WHERE id = cust", "ERROR 42702"},
	{"SELECT jc.name, jo.id FROM jc, jo WHERE jc.id = jo.cust AND jc.id = 1 ORDER BY 2", "ann|10\nann|11\nSELECT 2"},
	{"SELECT c.name, o.id FROM jc c CROSS JOIN jo o WHERE c.id = o.cust AND o.note IS NOT NULL ORDER BY 1, 2", "ann|10\nbo|12\nSELECT 2"},
	{"SELECT c.name, count(o.id) FROM jc c LEFT JOIN jo o ON c.id = o.cust GROUP BY c.name ORDER BY 1", "ann|2\nbo|1\ncy|0\ndi|0\nSELECT 4"},
	{"SELECT c.name, o.id FROM jc c JOIN jo o ON c.id = o.cust OR o.cust IS NULL ORDER BY 1, 2", "ann|10\nann|11\nann|13\nbo|12\nbo|13\ncy|13\ndi|13\nSELECT 7"},
	{"SELECT c.name, o.id FROM jc c JOIN jo o ON c.id + 0 = o.cust ORDER BY 1, 2", "ann|10\nann|11\nbo|12\nSELECT 3"},
	{"SELECT c.name FROM jc c WHERE EXISTS (SELECT 1 FROM jo o, jr r WHERE o.cust = c.id AND r.code = c.region) ORDER BY 1", "ann\nbo\nSELECT 2"},
	{"SELECT c.name, o.id, r.code FROM jc c LEFT JOIN (jo o JOIN jr r ON r.code = o.note) ON o.cust = c.id ORDER BY 1", "ann||\nbo||\ncy||\ndi||\nSELECT 4"},
	{"DROP TABLE jc; DROP TABLE jo; DROP TABLE jr", "DROP TABLE"},
}

// partialIndexSteps: partial indexes (CREATE [UNIQUE] INDEX ... WHERE): a unique one holds unique only the rows its
// clause covers, as each write changes whether a row is covered; ON CONFLICT naming one; the clause in
// pg_get_indexdef; clauses refused (a subquery, unknown columns). Compared with PostgreSQL 15.
var partialIndexSteps = []struct{ sql, want string }{
	{"CREATE TABLE pu (id int PRIMARY KEY, email text, deleted_at timestamptz, status text, n int)", "CREATE TABLE"},
	{"CREATE UNIQUE INDEX pu_email_live ON pu (email) WHERE deleted_at IS NULL", "CREATE INDEX"},
	{"INSERT INTO pu VALUES (1, 'a@x', NULL, 'new', 1)", "INSERT 0 1"},
	{"INSERT INTO pu VALUES (2, 'a@x', NULL, 'new', 1)", "ERROR 23505"},
	{"INSERT INTO pu VALUES (2, 'a@x', '2024-01-01', 'new', 1)", "INSERT 0 1"},
	{"INSERT INTO pu VALUES (3, 'a@x', '2024-02-01', 'new', 1)", "INSERT 0 1"},
	{"UPDATE pu SET deleted_at = NULL WHERE id = 3", "ERROR 23505"},
	{"UPDATE pu SET deleted_at = now() WHERE id = 1", "UPDATE 1"},
	{"UPDATE pu SET deleted_at = NULL WHERE id = 3", "UPDATE 1"},
	{"INSERT INTO pu VALUES (4, NULL, NULL, 'new', 1), (5, NULL, NULL, 'new', 1)", "INSERT 0 2"},
	{"SELECT id FROM pu ORDER BY id", "1\n2\n3\n4\n5\nSELECT 5"},
	{"CREATE UNIQUE INDEX pu_one_active ON pu (status) WHERE status = 'active' AND n > 0", "CREATE INDEX"},
	{"INSERT INTO pu VALUES (6, 'b', NULL, 'active', 1), (7, 'c', NULL, 'active', 0)", "INSERT 0 2"},
	{"INSERT INTO pu VALUES (8, 'd', NULL, 'active', 2)", "ERROR 23505"},
	{"UPDATE pu SET status = 'active' WHERE id = 7", "UPDATE 1"},
	{"UPDATE pu SET n = 5 WHERE id = 7", "ERROR 23505"},
	{"CREATE INDEX pu_n ON pu (n) WHERE n > 0", "CREATE INDEX"},
	{"CREATE INDEX pu_bad ON pu (n) WHERE n > (SELECT 1)", "ERROR 0A000"},
	{"CREATE INDEX pu_bad ON pu (n) WHERE created > now()", "ERROR 42703"},
	{"CREATE INDEX pu_bad ON pu (n) WHERE nope > 1", "ERROR 42703"},
	{"SELECT indexname FROM pg_indexes WHERE tablename = 'pu' ORDER BY 1", "pu_email_live\npu_n\npu_one_active\npu_pkey\nSELECT 4"},
	{"SELECT pg_get_indexdef('pu_email_live'::regclass)", "CREATE UNIQUE INDEX pu_email_live ON public.pu USING btree (email) WHERE (deleted_at IS NULL)\nSELECT 1"},
	{"INSERT INTO pu VALUES (9, 'a@x', NULL, 'x', 1) ON CONFLICT (email) WHERE deleted_at IS NULL DO NOTHING", "INSERT 0 0"},
	{"DROP INDEX pu_email_live", "DROP INDEX"},
	{"INSERT INTO pu VALUES (10, 'a@x', NULL, 'x', 1)", "INSERT 0 1"},
	{"SELECT count(*) FROM pu", "8\nSELECT 1"},
	{"DROP TABLE pu", "DROP TABLE"},
}

// joinTypeSteps: joins whose columns compare across types as PostgreSQL compares them (an exact number beside a
// double as doubles, char(n) beside varchar without its padding, a date beside a timestamp), unknown and ambiguous
// columns reported even when a pushed condition leaves no row, arithmetic on a text column (42883); ON CONFLICT
// with a partial unique index (a proposed row it does not cover, a conflicting row it does not cover, a target
// without the index's WHERE clause: 42P10) and a partial index's clause comparing a date with a timestamp.
// Compared with PostgreSQL 15.
var joinTypeSteps = []struct{ sql, want string }{
	{"create table ji(k int8); create table jn(k numeric); create table jf(k float8)", "CREATE TABLE"},
	{"insert into ji values (9007199254740993),(1)", "INSERT 0 2"},
	{"insert into jn values (0.30000000000000001),(1)", "INSERT 0 2"},
	{"insert into jf values (9007199254740992),(0.3), (1)", "INSERT 0 3"},
	{"select ji.k, jf.k from ji join jf on ji.k = jf.k order by 1", "1|1\n9007199254740993|9.007199254740992e+15\nSELECT 2"},
	{"select jn.k, jf.k from jn join jf on jn.k = jf.k order by 1", "0.30000000000000001|0.3\n1|1\nSELECT 2"},
	{"select jn.k, jf.k from jn, jf where jn.k = jf.k order by 1", "0.30000000000000001|0.3\n1|1\nSELECT 2"},
	{"create table ja(id int); create table jb(id int, d date, v varchar(5), c char(4), n numeric, f float8, s text)", "CREATE TABLE"},
	{"insert into ja values (1); insert into jb values (1,'2020-01-01','ab ','ab',0.1,0.1,'x')", "INSERT 0 1"},
	{"select * from ja left join jb on jb.nosuch = 1 and jb.id = 2", "ERROR 42703"},
	{"select * from ja, jb where ja.id = 2 and jb.nosuch = 1", "ERROR 42703"},
	{"select * from ja, jb where ja.id = 2 and id = 1", "ERROR 42702"},
	{"select jb.id from ja join jb on ja.id=jb.id where jb.d < '2020-01-01 10:00'::timestamp", "1\nSELECT 1"},
	{"select jb.id from ja join jb on ja.id=jb.id where jb.v = jb.c", "1\nSELECT 1"},
	{"select jb.id from ja join jb on ja.id=jb.id where jb.n = jb.f", "1\nSELECT 1"},
	{"select ja.id, jb.id from ja left join jb on ja.id=jb.id and jb.n = jb.f", "1|1\nSELECT 1"},
	{"select * from ja join jb on ja.id = jb.id where jb.s + 1 = 2", "ERROR 42883"},
	{"select id from jb where d < '2020-01-01 10:00'::timestamp", "1\nSELECT 1"},
	{"select id from jb where d + 1 > '2020-01-01'", "1\nSELECT 1"},
	{"drop table ji, jn, jf, ja, jb", "DROP TABLE"},
	{"create table pcu(id int primary key, email text, deleted_at date, n int default 0)", "CREATE TABLE"},
	{"create unique index pcu_live on pcu(email) where deleted_at is null", "CREATE INDEX"},
	{"insert into pcu values (1,'a','2020-01-01')", "INSERT 0 1"},
	{"insert into pcu values (2,'a',null) on conflict (email) where deleted_at is null do nothing", "INSERT 0 1"},
	{"insert into pcu values (3,'b',null)", "INSERT 0 1"},
	{"insert into pcu values (4,'b','2020-01-01') on conflict (email) where deleted_at is null do update set n = 9", "INSERT 0 1"},
	{"insert into pcu values (5,'b',null) on conflict (email) where deleted_at is null do update set n = 7", "INSERT 0 1"},
	{"insert into pcu values (6,'b',null) on conflict do nothing", "INSERT 0 0"},
	{"insert into pcu values (7,'a',null) on conflict (email) do update set n = 1", "ERROR 42P10"},
	{"insert into pcu values (8,'a',null) on conflict (email) where deleted_at is not null do update set n = 2", "ERROR 42P10"},
	{"select * from pcu order by id", "1|a|2020-01-01|0\n2|a||0\n3|b||7\n4|b|2020-01-01|0\nSELECT 4"},
	{"drop table pcu", "DROP TABLE"},
	{"create table pt1(id int primary key, k int, d date)", "CREATE TABLE"},
	{"create unique index pt1k on pt1(k) where d < '2020-01-01 10:00'::timestamp", "CREATE INDEX"},
	{"insert into pt1 values (1,1,'2020-01-01'),(2,1,'2020-01-01')", "ERROR 23505"},
	{"select count(*) from pt1", "0\nSELECT 1"},
	{"drop table pt1", "DROP TABLE"},
}

// lookupSteps: joins whose second table is read by the keys the first one's rows hold (by primary key, composite
// key and other columns; few keys and more than the bounds; inner and LEFT joins, NULL keys), and correlated and
// LATERAL subqueries whose joins name an enclosing query's column of the same name (no lookup). Compared with
// PostgreSQL 15.
var lookupSteps = []struct{ sql, want string }{
	{"create table lc (id int primary key, name text, grp int)", "CREATE TABLE"},
	{"create table lo (id int8 primary key, cust int8, amt int, note text)", "CREATE TABLE"},
	{"create table lk2 (a int, b text, v int, primary key (a, b))", "CREATE TABLE"},
	{"insert into lc select g, 'c' || g, g % 5 from generate_series(1, 2000) g", "INSERT 0 2000"},
	{"insert into lo select g, case when g % 11 = 0 then null else g % 2100 end, g % 7, 'n' || (g % 3) from generate_series(1, 6000) g", "INSERT 0 6000"},
	{"insert into lk2 select g % 50, 'k' || (g % 3), g from generate_series(1, 150) g", "INSERT 0 150"},
	{"select count(*), sum(o.amt) from lo o join lc c on c.id = o.cust where o.id < 40", "36|105\nSELECT 1"},
	{"select count(*), sum(o.amt) from lo o join lc c on c.id = o.cust where o.id < 1500", "1363|4086\nSELECT 1"},
	{"select count(*), count(c.id) from lo o left join lc c on c.id = o.cust where o.id between 100 and 120", "21|20\nSELECT 1"},
	{"select c.name, count(o.id) from lc c left join lo o on o.cust = c.id where c.id in (5, 6, 7, 2099) group by c.name order by 1", "c5|3\nc6|3\nc7|3\nSELECT 3"},
	{"select c.name, count(o.id) from lc c join lo o on o.cust = c.id where c.grp = 3 and c.id < 60 group by c.name order by 1", "c13|2\nc18|3\nc23|2\nc28|3\nc3|3\nc33|2\nc38|3\nc43|3\nc48|3\nc53|3\nc58|3\nc8|3\nSELECT 12"},
	{"select count(*) from lc c, lo o where o.cust = c.id and c.id < 30", "79\nSELECT 1"},
	{"select count(*) from lc c, lo o where o.cust = c.id and c.id < 300", "814\nSELECT 1"},
	{"select o.id, k.v from lo o join lk2 k on k.a = o.amt and k.b = o.note where o.id < 12 order by 1, 2", "SELECT 0"},
	{"select c.id, o.id from lc c join lo o on o.cust = c.id and o.amt = 3 where c.id < 20 order by 1, 2", "3|3\n3|2103\n3|4203\n10|10\n10|2110\n10|4210\n17|17\n17|2117\n17|4217\nSELECT 9"},
	{"select count(*) from lo o join lc c on c.id = o.cust where o.cust is null", "0\nSELECT 1"},
	{"drop table lc, lo, lk2", "DROP TABLE"},
	{"create table ls (x int)", "CREATE TABLE"},
	{"create table lta (y int)", "CREATE TABLE"},
	{"create table ltb (x int)", "CREATE TABLE"},
	{"insert into ls values (1)", "INSERT 0 1"},
	{"insert into lta values (1)", "INSERT 0 1"},
	{"insert into ltb values (2)", "INSERT 0 1"},
	{"select ls.x from ls where exists (select 1 from lta, ltb where ls.x = lta.y)", "1\nSELECT 1"},
	{"select ls.x, l.c from ls, lateral (select count(ltb.x) c from lta left join ltb on ls.x = lta.y) l", "1|1\nSELECT 1"},
	{"create table ma (id int primary key, y int)", "CREATE TABLE"},
	{"create table mb (id int primary key, x int)", "CREATE TABLE"},
	{"create table mc (id int primary key, x int)", "CREATE TABLE"},
	{"insert into ma select g, g % 4 from generate_series(1, 10) g", "INSERT 0 10"},
	{"insert into mb select g, g % 6 from generate_series(1, 20) g", "INSERT 0 20"},
	{"insert into mc values (1, 0), (2, 5)", "INSERT 0 2"},
	{"select mc.id, (select count(*) from ma join mb on mb.x = ma.y where ma.id = mc.id) from mc order by 1", "1|4\n2|4\nSELECT 2"},
	{"select mc.id from mc where not exists (select 1 from ma join mb on mb.id = ma.y where ma.id = mc.x) order by 1", "1\nSELECT 1"},
	{"select mc.id from mc where mc.id in (select ma.id from ma join mb on mb.x = ma.y where ma.y = mc.x) order by 1", "SELECT 0"},
	{"drop table ls, lta, ltb, ma, mb, mc", "DROP TABLE"},
}

// nanSteps: filters on float8 and numeric columns holding NaN, which PostgreSQL orders above every number (>, >=,
// BETWEEN and NOT (x < c) match it; a NaN bound; IN with NaN), and CHECK constraints that NaN breaks. Compared
// with PostgreSQL 15.
var nanSteps = []struct{ sql, want string }{
	{"create table fn (id int primary key, f float8, r numeric)", "CREATE TABLE"},
	{"insert into fn values (1, 'NaN', 'NaN'), (2, 1.5, 1.5), (3, 'Infinity', 'Infinity'), (4, NULL, NULL), (5, '-Infinity', '-Infinity')", "INSERT 0 5"},
	{"select id from fn where f > 1 order by id", "1\n2\n3\nSELECT 3"},
	{"select id from fn where f >= 1 order by id", "1\n2\n3\nSELECT 3"},
	{"select id from fn where f < 2 order by id", "2\n5\nSELECT 2"},
	{"select id from fn where f <= 2 order by id", "2\n5\nSELECT 2"},
	{"select id from fn where f <> 1.5 order by id", "1\n3\n5\nSELECT 3"},
	{"select id from fn where f = 'NaN' order by id", "1\nSELECT 1"},
	{"select id from fn where f > 'NaN' order by id", "SELECT 0"},
	{"select id from fn where f < 'NaN' order by id", "2\n3\n5\nSELECT 3"},
	{"select id from fn where r > 1 order by id", "1\n2\n3\nSELECT 3"},
	{"select id from fn where r < 2 order by id", "2\n5\nSELECT 2"},
	{"select id from fn where r = 'NaN' order by id", "1\nSELECT 1"},
	{"select id from fn where f between 1 and 'Infinity' order by id", "2\n3\nSELECT 2"},
	{"select id from fn where f in (1.5, 'NaN') order by id", "1\n2\nSELECT 2"},
	{"select id from fn where not (f < 2) order by id", "1\n3\nSELECT 2"},
	{"create table fc (id int primary key, f float8 check (f < 2.5), r numeric check (r <= 1))", "CREATE TABLE"},
	{"insert into fc(id, f) values (1, 'NaN')", "ERROR 23514 fc_f_check"},
	{"insert into fc(id, r) values (2, 'NaN')", "ERROR 23514 fc_r_check"},
	{"insert into fc(id, f) values (3, 1)", "INSERT 0 1"},
	{"drop table fn, fc", "DROP TABLE"},
}

// keyUpdateSteps: UPDATE of primary key columns (a single and a composite key, with RETURNING, a key another
// row holds 23505, row by row as PostgreSQL checks it, the key set to itself, NULL 23502, in a rolled-back block, a
// child row's key and foreign key). Compared with PostgreSQL 15.
var keyUpdateSteps = []struct{ sql, want string }{
	{"create table pk1 (id int primary key, a text unique, n int)", "CREATE TABLE"},
	{"insert into pk1 values (1, 'x', 10), (2, 'y', 20), (3, 'z', 30)", "INSERT 0 3"},
	{"update pk1 set id = 10 where id = 1 returning id, a", "10|x\nUPDATE 1"},
	{"update pk1 set id = 2 where id = 3", "ERROR 23505"},
	{"update pk1 set id = id + 1", "ERROR 23505"},
	{"update pk1 set id = id + 100 where id >= 2 returning *", "102|y|20\n103|z|30\n110|x|10\nUPDATE 3"},
	{"update pk1 set id = id, n = n + 1 where id = 10 returning *", "UPDATE 0"},
	{"update pk1 set id = id where id = 10", "UPDATE 0"},
	{"update pk1 set id = null where id = 10", "UPDATE 0"},
	{"select * from pk1 order by id", "102|y|20\n103|z|30\n110|x|10\nSELECT 3"},
	{"begin", "BEGIN"},
	{"update pk1 set id = 5 where id = 10", "UPDATE 0"},
	{"select * from pk1 order by id", "102|y|20\n103|z|30\n110|x|10\nSELECT 3"},
	{"rollback", "ROLLBACK"},
	{"select * from pk1 order by id", "102|y|20\n103|z|30\n110|x|10\nSELECT 3"},
	{"create table pk2 (a int, b text, v int, primary key (a, b))", "CREATE TABLE"},
	{"insert into pk2 values (1, 'p', 1), (1, 'q', 2)", "INSERT 0 2"},
	{"update pk2 set b = 'r' where b = 'p'", "UPDATE 1"},
	{"update pk2 set b = 'q' where b = 'r'", "ERROR 23505"},
	{"update pk2 set a = 2, v = 9 where b = 'q' returning *", "2|q|9\nUPDATE 1"},
	{"select * from pk2 order by a, b", "1|r|1\n2|q|9\nSELECT 2"},
	{"create table pk3 (id int primary key)", "CREATE TABLE"},
	{"create table pk4 (id int primary key, p int references pk3)", "CREATE TABLE"},
	{"insert into pk3 values (1); insert into pk4 values (7, 1)", "INSERT 0 1"},
	{"update pk4 set id = 8 where id = 7", "UPDATE 1"},
	{"update pk4 set id = 9, p = 5 where id = 8", "ERROR 23503 pk4_p_fkey"},
	{"select * from pk4", "8|1\nSELECT 1"},
	{"insert into pk1 values (1, 'w', 1) on conflict (id) do update set n = excluded.n", "INSERT 0 1"},
	{"drop table pk4, pk3, pk2, pk1", "DROP TABLE"},
}

// validateSteps: ALTER TABLE ... VALIDATE CONSTRAINT of NOT VALID CHECK and FOREIGN KEY constraints (23514 and
// 23503 while a row breaks them, 42704 for an unknown name). Compared with PostgreSQL 15.
var validateSteps = []struct{ sql, want string }{
	{"create table vp (id int primary key)", "CREATE TABLE"},
	{"create table vcx (id int primary key, n int, p int)", "CREATE TABLE"},
	{"insert into vp values (1)", "INSERT 0 1"},
	{"insert into vcx values (1, -1, 1), (2, 5, 9)", "INSERT 0 2"},
	{"alter table vcx add constraint n_pos check (n > 0) not valid", "ALTER TABLE"},
	{"alter table vcx add constraint p_fk foreign key (p) references vp not valid", "ALTER TABLE"},
	{"alter table vcx validate constraint n_pos", "ERROR 23514 n_pos"},
	{"alter table vcx validate constraint p_fk", "ERROR 23503 p_fk"},
	{"alter table vcx validate constraint nope", "ERROR 42704"},
	{"update vcx set n = 1 where id = 1", "UPDATE 1"},
	{"delete from vcx where id = 2", "DELETE 1"},
	{"alter table vcx validate constraint n_pos", "ALTER TABLE"},
	{"alter table vcx validate constraint p_fk", "ALTER TABLE"},
	{"insert into vcx values (3, -2, 1)", "ERROR 23514 n_pos"},
	{"insert into vcx values (4, 2, 7)", "ERROR 23503 p_fk"},
	{"drop table vcx, vp", "DROP TABLE"},
}

func runJoins(t *testing.T, who string, c *pgx.Conn) {
	runSteps(t, who, c, joinSteps)
	runSteps(t, who, c, partialIndexSteps)
	runSteps(t, who, c, joinTypeSteps)
	runSteps(t, who, c, lookupSteps)
	runSteps(t, who, c, nanSteps)
	runSteps(t, who, c, keyUpdateSteps)
	runSteps(t, who, c, validateSteps)
}
