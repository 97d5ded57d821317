package pgserver_test

// subquerySteps: a subquery that reads nothing of the rows around it runs once for the statement (PostgreSQL's
// InitPlan or hashed SubPlan), so a volatile function in it is called once; one that reads them, however deep
// or however conditionally, runs for each row; and PostgreSQL's rules for a recursive WITH query's self-reference.
// Compared with PostgreSQL 15, messages included.
var subquerySteps = []struct{ sql, want string }{
	{"CREATE SEQUENCE ipq1", ""},
	{"CREATE SEQUENCE ipq2", ""},
	{"CREATE SEQUENCE ipq3", ""},
	{"CREATE SEQUENCE ipq4", ""},
	{"CREATE SEQUENCE ipq5", ""},
	{"CREATE SEQUENCE ipq6", ""},
	{"SELECT g, (SELECT nextval('ipq1')) FROM generate_series(1, 3) g", "1|1\n2|1\n3|1\nSELECT 3"},
	{"SELECT g, (SELECT nextval('ipq1') + g * 0) FROM generate_series(1, 3) g", "1|2\n2|3\n3|4\nSELECT 3"},
	{"SELECT g FROM generate_series(1, 5) g WHERE g = (SELECT nextval('ipq2'))", "1\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 10) g WHERE EXISTS (SELECT 1 WHERE nextval('ipq3') = 1)", "10\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 10) g WHERE g IN (SELECT nextval('ipq4'))", "1\nSELECT 1"},
	{"SELECT g, ARRAY(SELECT nextval('ipq5')) FROM generate_series(1, 3) g", "1|{1}\n2|{1}\n3|{1}\nSELECT 3"},
	// Correlated through a subquery inside it, and through a branch a volatile function chooses.
	{"SELECT g, (SELECT (SELECT g) + nextval('ipq6')) FROM generate_series(1, 3) g", "1|2\n2|4\n3|6\nSELECT 3"},
	{"SELECT g, (SELECT CASE WHEN nextval('ipq6') > 4 THEN g ELSE 0 END) FROM generate_series(1, 3) g", "1|0\n2|2\n3|3\nSELECT 3"},
	// Correlated through a WITH query made for each row.
	{"SELECT g, (SELECT (WITH c AS (SELECT g * 10 AS v) SELECT (SELECT v FROM c))) FROM generate_series(1, 3) g", "1|10\n2|20\n3|30\nSELECT 3"},
	{"WITH w AS (SELECT g FROM generate_series(1, 4) g) SELECT g FROM w WHERE g > (SELECT avg(g) FROM w) ORDER BY g", "3\n4\nSELECT 2"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + (SELECT 1) FROM r WHERE n < 3) SELECT * FROM r", "1\n2\n3\nSELECT 3"},
	{"SELECT g % 2 k, (SELECT max(g % 2) + 0) FROM generate_series(1, 6) g GROUP BY g % 2 ORDER BY 1", "0|0\n1|1\nSELECT 2"},
	// x IN (SELECT ...) of a subquery run once, its values hashed: NULL on either side as PostgreSQL has it.
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g IN (SELECT x * 2 FROM generate_series(1, 20) x)", "20\nSELECT 1"},
	{"SELECT g, g IN (SELECT CASE WHEN x = 5 THEN NULL ELSE x END FROM generate_series(1, 20) x) FROM generate_series(4, 6) g", "4|t\n5|\n6|t\nSELECT 3"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g NOT IN (SELECT CASE WHEN x = 5 THEN NULL ELSE x END FROM generate_series(1, 20) x)", "0\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g NOT IN (SELECT x FROM generate_series(1, 20) x)", "20\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g <> ALL (SELECT x FROM generate_series(1, 20) x)", "20\nSELECT 1"},
	{"SELECT NULL::int IN (SELECT x FROM generate_series(1, 20) x), NULL::int IN (SELECT x FROM generate_series(1, 0) x)", "|f\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g::text IN (SELECT x::text FROM generate_series(1, 20) x)", "20\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g IN (SELECT x::numeric / 2 FROM generate_series(1, 40) x)", "20\nSELECT 1"},
	{"SELECT count(*) FROM generate_series(1, 40) g WHERE g::numeric IN (SELECT x FROM generate_series(1, 20) x)", "20\nSELECT 1"},
	// The statement's rows, not what it has written since.
	{"CREATE TABLE ipq (id int PRIMARY KEY, a int)", ""},
	{"INSERT INTO ipq VALUES (1, 1), (2, 2), (3, 3)", ""},
	{"UPDATE ipq SET a = (SELECT max(a) FROM ipq) + a RETURNING id, a", "1|4\n2|5\n3|6\nUPDATE 3"},
	{"UPDATE ipq SET a = a + (SELECT count(*) FROM ipq WHERE a > 4) RETURNING id, a", "1|6\n2|7\n3|8\nUPDATE 3"},
	// Each reference to a view runs the view's subqueries.
	{"CREATE SEQUENCE ipqv", ""},
	{"CREATE VIEW ipqview AS SELECT g, (SELECT nextval('ipqv')) AS s FROM generate_series(1, 2) g", ""},
	{"SELECT * FROM ipqview", "1|1\n2|1\nSELECT 2"},
	{"SELECT a.g, a.s, b.s FROM ipqview a, ipqview b ORDER BY 1, 2, 3", "1|2|3\n1|2|3\n2|2|3\n2|2|3\nSELECT 4"},
	{"DROP VIEW ipqview", ""},
	{"DROP TABLE ipq", ""},
	{"DROP SEQUENCE ipq1, ipq2, ipq3, ipq4, ipq5, ipq6, ipqv", ""},
	// A recursive query's reference to itself.
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + (SELECT count(*) FROM r) FROM r WHERE n < 3) SELECT * FROM r",
		`ERROR 42P19 recursive reference to query "r" must not appear within a subquery`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 FROM r UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
		`ERROR 42P19 recursive reference to query "r" must not appear within its non-recursive term`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT a.n + 1 FROM r a, r b WHERE a.n < 3) SELECT * FROM r",
		`ERROR 42P19 recursive reference to query "r" must not appear more than once`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM generate_series(1, 2) g LEFT JOIN r ON true WHERE r.n < 3) SELECT * FROM r",
		`ERROR 42P19 recursive reference to query "r" must not appear within an outer join`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT r.n + 1 FROM r LEFT JOIN generate_series(1, 2) g ON true WHERE r.n < 2) SELECT * FROM r",
		"1\n2\n2\nSELECT 3"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT max(n) + 1 FROM r WHERE n < 3) SELECT * FROM r",
		`ERROR 42P19 aggregate functions are not allowed in a recursive query's recursive term`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 ORDER BY 1) SELECT * FROM r",
		"ERROR 0A000 ORDER BY in a recursive query is not implemented"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 LIMIT 1) SELECT * FROM r",
		"ERROR 0A000 LIMIT in a recursive query is not implemented"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 FOR UPDATE) SELECT * FROM r",
		"ERROR 0A000 FOR UPDATE/SHARE in a recursive query is not implemented"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 INTERSECT SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
		`ERROR 42P19 recursive query "r" does not have the form non-recursive-term UNION [ALL] recursive-term`},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM (SELECT * FROM r) s WHERE n < 3) SELECT * FROM r", "1\n2\n3\nSELECT 3"},
	{"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3 GROUP BY n) SELECT * FROM r", "1\n2\n3\nSELECT 3"},
}
