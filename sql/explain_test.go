package sql_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/concorddb/concord/sql"
)

// explainSession opens a session with t (k primary key, n indexed as t_n, s unindexed; k 1..20, n = k % 5) and
// u (id primary key, tk a column of t's keys; 3 rows).
func explainSession(t *testing.T) *sql.Session {
	t.Helper()
	s := openSession(t)
	out := run(t, s, `CREATE TABLE t (k int8 PRIMARY KEY, n int8, s text);
CREATE INDEX t_n ON t (n);
INSERT INTO t SELECT g, g % 5, 'x' || g FROM generate_series(1, 20) g;
CREATE TABLE u (id int8 PRIMARY KEY, tk int8, v text);
INSERT INTO u VALUES (1, 1, 'a'), (2, 2, 'b'), (3, 30, 'c');`)
	if strings.Contains(out, "ERROR") {
		t.Fatal(out)
	}
	return s
}

// plan runs an EXPLAIN and returns its lines, failing on an error or a result of the wrong shape.
func plan(t *testing.T, s *sql.Session, text string) []string {
	t.Helper()
	var lines []string
	err := s.Query(context.Background(), text, func(r *sql.Result) error {
		if len(r.Columns) != 1 || r.Columns[0].Name != "QUERY PLAN" || r.Tag != "EXPLAIN" {
			t.Fatalf("%s: columns %+v, tag %q", text, r.Columns, r.Tag)
		}
		for _, row := range r.Rows {
			lines = append(lines, row[0].(string))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return lines
}

// TestExplain_Plans checks that EXPLAIN shows what Concord does: the access path the engine picks for each table
// (the _id lookup, an index scan with its name and bounds, a collection scan with the filter pushed), the join
// method, and what is evaluated above the engine.
func TestExplain_Plans(t *testing.T) {
	s := explainSession(t)
	tests := []struct {
		name, stmt string
		want       []string // lines, in order, each a substring of one line of the plan
	}{
		{"an _id equality is the key lookup", "EXPLAIN SELECT * FROM t WHERE k = 3",
			[]string{"Index Scan using _id_ on t", "Index Cond: (_id = 3)", "Engine Plan: IDHACK"}},
		{"an indexed column is an index scan over its bounds", "EXPLAIN SELECT * FROM t WHERE n > 3",
			[]string{"Index Scan using t_n on t", "Index Bounds: n: (3, inf.0]", `Engine Filter: {"n":{"$gt":3}}`}},
		{"an unindexed filter is a Seq Scan with the filter", "EXPLAIN SELECT * FROM t WHERE s = 'x1'",
			[]string{"Seq Scan on t", `Engine Filter: {"s":"x1"}`, "Engine Plan: COLLSCAN", "Filter: (s = 'x1')"}},
		{"sort and limit above the scan", "EXPLAIN (COSTS OFF) SELECT * FROM t ORDER BY s DESC LIMIT 2",
			[]string{"Limit", "  ->  Sort", "Sort Key: s DESC", "        ->  Seq Scan on t"}},
		{"grouping", "EXPLAIN (COSTS false) SELECT n, count(*) FROM t GROUP BY n",
			[]string{"HashAggregate", "Group Key: n", "->  Seq Scan on t"}},
		{"an aggregate without GROUP BY", "EXPLAIN SELECT count(*) FROM t", []string{"Aggregate", "->  Seq Scan on t"}},
		{"a window function", "EXPLAIN SELECT k, row_number() OVER (ORDER BY k) FROM t", []string{"WindowAgg", "->  Seq Scan on t"}},
		{"an equality join is a hash join, its inner side read by key lookup", "EXPLAIN SELECT * FROM t JOIN u ON u.tk = t.k",
			[]string{"Hash Join", "Hash Cond: (t.k = u.tk)", "->  Seq Scan on t", "->  Hash", "->  Seq Scan on u", "Key Lookup: (u.tk = t.k)"}},
		{"a join without equality is a nested loop", "EXPLAIN SELECT * FROM t JOIN u ON u.tk < t.k",
			[]string{"Nested Loop", "Join Filter: (u.tk < t.k)"}},
		{"a left join", "EXPLAIN SELECT * FROM t LEFT JOIN u ON u.tk = t.k", []string{"Hash Left Join"}},
		{"a subquery is a subplan", "EXPLAIN SELECT * FROM t WHERE k IN (SELECT tk FROM u)",
			[]string{"Seq Scan on t", "Filter:", "SubPlan 1", "->  Seq Scan on u"}},
		{"a WITH query", "EXPLAIN WITH w AS (SELECT * FROM u) SELECT * FROM w", []string{"CTE Scan on w", "CTE w", "->  Seq Scan on u"}},
		{"an UPDATE by key is one engine update", "EXPLAIN UPDATE t SET n = n + 1 WHERE k = 4",
			[]string{"Update on t", "->  Index Scan using _id_ on t", "Engine Update:", "Engine Write: updateOne"}},
		{"an UPDATE by an indexed column", "EXPLAIN UPDATE t SET s = 'y' WHERE n = 2",
			[]string{"Update on t", "->  Index Scan using t_n on t", "Engine Write: updateMany"}},
		{"a DELETE Concord evaluates", "EXPLAIN DELETE FROM t WHERE s || 'z' = 'x1z'",
			[]string{"Delete on t", "->  Seq Scan on t", "Filter:"}},
		{"an INSERT", "EXPLAIN INSERT INTO u VALUES (9, 9, 'z') ON CONFLICT (id) DO NOTHING",
			[]string{"Insert on u", "Conflict Resolution: NOTHING", "Conflict Arbiter Indexes: _id_", `->  Values Scan on "*VALUES*"`}},
		{"no FROM", "EXPLAIN SELECT 1", []string{"Result"}},
		{"a MERGE joins its source to the target", "EXPLAIN MERGE INTO u USING t ON u.id = t.k WHEN MATCHED THEN UPDATE SET v = t.s WHEN NOT MATCHED THEN INSERT VALUES (t.k, t.n, t.s)",
			[]string{"Merge on u", "->  Hash Left Join", "->  Seq Scan on t", "->  Hash", "->  Seq Scan on u"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := plan(t, s, tc.stmt)
			i := 0
			for _, l := range lines {
				if i < len(tc.want) && strings.Contains(l, tc.want[i]) {
					i++
				}
			}
			if i < len(tc.want) {
				t.Fatalf("%s: no line %q (in order) in\n%s", tc.stmt, tc.want[i], strings.Join(lines, "\n"))
			}
			for _, l := range lines {
				if strings.Contains(l, "actual") || strings.Contains(l, "cost=") {
					t.Fatalf("plain EXPLAIN shows %q", l)
				}
			}
		})
	}
	// An UPDATE ... FROM's engine filter and update are made from each FROM row's values, which a plan does not
	// have: plain EXPLAIN shows the WHERE clause, not an engine update made from NULLs ($unset).
	lines := strings.Join(plan(t, s, "EXPLAIN UPDATE t SET n = u.tk FROM u WHERE t.k = u.id AND t.n > 1"), "\n")
	if strings.Contains(lines, "Engine Update") || strings.Contains(lines, "$expr") ||
		!strings.Contains(lines, "Filter: (t.k = u.id AND t.n > 1)") || !strings.Contains(lines, "made from each FROM row") {
		t.Fatalf("EXPLAIN UPDATE ... FROM:\n%s", lines)
	}
	// Plain EXPLAIN wrote nothing.
	if got := run(t, s, "SELECT n, s FROM t WHERE k = 4; SELECT count(*) FROM u WHERE id = 9"); got != "n|s\n4|x4\nSELECT 1\ncount\n0\nSELECT 1\n" {
		t.Fatalf("after EXPLAIN of writes: %q", got)
	}
}

var actualRows = regexp.MustCompile(`actual time=[0-9.]+\.\.[0-9.]+ rows=(\d+) loops=(\d+)`)

// TestExplain_Analyze checks that EXPLAIN ANALYZE runs the statement: the top node's rows are the rows the query
// returns, each scan's the rows it read, an UPDATE changes the data (and is rolled back with its transaction),
// and the summary lines follow.
func TestExplain_Analyze(t *testing.T) {
	s := explainSession(t)
	for _, tc := range []struct {
		stmt string
		rows string
	}{
		{"SELECT * FROM t WHERE n = 1", "4"},
		{"SELECT * FROM t WHERE k = 7", "1"},
		{"SELECT * FROM t ORDER BY k LIMIT 3", "3"},
		{"SELECT n, count(*) FROM t GROUP BY n", "5"},
		{"SELECT * FROM t JOIN u ON u.tk = t.k", "2"},
		{"SELECT * FROM t LEFT JOIN u ON u.tk = t.k WHERE t.n = 1", "4"},
	} {
		direct := run(t, s, tc.stmt)
		lines := plan(t, s, "EXPLAIN ANALYZE "+tc.stmt)
		m := actualRows.FindStringSubmatch(lines[0])
		if m == nil || m[1] != tc.rows || !strings.HasSuffix(direct, "SELECT "+tc.rows+"\n") {
			t.Fatalf("%s: top line %q, want rows=%s; direct run %q", tc.stmt, lines[0], tc.rows, direct)
		}
		if !strings.HasPrefix(lines[len(lines)-2], "Planning Time: ") || !strings.HasPrefix(lines[len(lines)-1], "Execution Time: ") {
			t.Fatalf("%s: summary lines %q", tc.stmt, lines[len(lines)-2:])
		}
	}
	// Twenty distinct keys are more than a key lookup by a column other than the primary key takes (16): u is read
	// whole and hashed. Four are looked up, the values in the engine's filter.
	lines := strings.Join(plan(t, s, "EXPLAIN ANALYZE SELECT * FROM t JOIN u ON u.tk = t.k"), "\n")
	if !strings.Contains(lines, "Hash Join") || strings.Contains(lines, "Key Lookup") {
		t.Fatalf("join plan:\n%s", lines)
	}
	lines = strings.Join(plan(t, s, "EXPLAIN ANALYZE SELECT * FROM t JOIN u ON u.tk = t.k WHERE t.n = 1"), "\n")
	if !strings.Contains(lines, "Key Lookup") || !strings.Contains(lines, `"$in":[1,6,11,16]`) {
		t.Fatalf("join plan:\n%s", lines)
	}
	// A subquery run for each row is one SubPlan, its runs counted as loops.
	lines = strings.Join(plan(t, s, "EXPLAIN ANALYZE SELECT k FROM t WHERE EXISTS (SELECT FROM u WHERE u.tk = t.k + 0)"), "\n")
	if !strings.Contains(lines, "SubPlan 1\n") || !strings.Contains(lines, "Seq Scan on u (actual time=") || !strings.Contains(lines, "loops=20)") {
		t.Fatalf("subplan:\n%s", lines)
	}
	// One that reads nothing of t's rows runs once: x IN (SELECT ...) as a SubPlan, a scalar subquery as an InitPlan.
	lines = strings.Join(plan(t, s, "EXPLAIN ANALYZE SELECT k FROM t WHERE k IN (SELECT tk FROM u)"), "\n")
	if !strings.Contains(lines, "SubPlan 1\n") || !strings.Contains(lines, "rows=3 loops=1)") {
		t.Fatalf("uncorrelated subplan:\n%s", lines)
	}
	lines = strings.Join(plan(t, s, "EXPLAIN ANALYZE SELECT k, (SELECT max(tk) FROM u) FROM t"), "\n")
	if !strings.Contains(lines, "InitPlan 1 (returns $0)\n") || !strings.Contains(lines, "rows=3 loops=1)") {
		t.Fatalf("initplan:\n%s", lines)
	}
	// EXPLAIN ANALYZE UPDATE updates, inside the transaction.
	out := run(t, s, "BEGIN; EXPLAIN ANALYZE UPDATE t SET n = 100 WHERE k = 5; SELECT n FROM t WHERE k = 5; ROLLBACK; SELECT n FROM t WHERE k = 5")
	if !strings.Contains(out, "Update on t (actual") || !strings.Contains(out, "n\n100\nSELECT 1\nROLLBACK\nn\n0\nSELECT 1\n") {
		t.Fatalf("EXPLAIN ANALYZE UPDATE in a transaction:\n%s", out)
	}
	// EXPLAIN ANALYZE MERGE merges (here u's three rows updated, the other seventeen of t inserted), and is undone with
	// its transaction.
	out = run(t, s, "BEGIN; EXPLAIN ANALYZE MERGE INTO u USING t ON u.id = t.k WHEN MATCHED THEN UPDATE SET v = t.s "+
		"WHEN NOT MATCHED THEN INSERT VALUES (t.k, t.n, t.s); SELECT count(*), count(*) FILTER (WHERE v = 'x2') FROM u; ROLLBACK; SELECT count(*) FROM u")
	if !strings.Contains(out, "Merge on u (actual time=") || !strings.Contains(out, "rows=20 loops=1") ||
		!strings.Contains(out, "count|count\n20|1\nSELECT 1\nROLLBACK\ncount\n3\nSELECT 1\n") {
		t.Fatalf("EXPLAIN ANALYZE MERGE in a transaction:\n%s", out)
	}
	out = run(t, s, "EXPLAIN ANALYZE UPDATE t SET s = 'many' WHERE n = 2; SELECT count(*) FROM t WHERE s = 'many'")
	if !strings.Contains(out, "Update on t (actual time=") || !strings.Contains(out, "rows=4 loops=1") || !strings.HasSuffix(out, "count\n4\nSELECT 1\n") {
		t.Fatalf("EXPLAIN ANALYZE UPDATE of many rows:\n%s", out)
	}
	out = run(t, s, "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) DELETE FROM u WHERE id = 3; SELECT count(*) FROM u")
	if !strings.Contains(out, "Delete on u (actual rows=1 loops=1)") || strings.Contains(out, "Execution Time") || !strings.HasSuffix(out, "count\n2\nSELECT 1\n") {
		t.Fatalf("EXPLAIN ANALYZE DELETE:\n%s", out)
	}
}

// TestExplain_JSON checks FORMAT JSON: one json value in PostgreSQL's structure.
func TestExplain_JSON(t *testing.T) {
	s := explainSession(t)
	var cols []sql.Column
	var val string
	err := s.Query(context.Background(), "EXPLAIN (FORMAT JSON) SELECT * FROM t JOIN u ON u.tk = t.k WHERE t.n = 1", func(r *sql.Result) error {
		cols = r.Columns
		val = r.Rows[0][0].(string)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if cols[0].OID != sql.OIDJSON {
		t.Fatalf("column %+v", cols[0])
	}
	var doc []struct {
		Plan struct {
			NodeType string `json:"Node Type"`
			Plans    []struct {
				NodeType     string `json:"Node Type"`
				RelationName string `json:"Relation Name"`
				IndexName    string `json:"Index Name"`
				ParentRel    string `json:"Parent Relationship"`
			} `json:"Plans"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(val), &doc); err != nil {
		t.Fatalf("%v: %s", err, val)
	}
	p := doc[0].Plan
	if p.NodeType != "Hash Join" || len(p.Plans) != 2 || p.Plans[0].NodeType != "Index Scan" || p.Plans[0].IndexName != "t_n" ||
		p.Plans[0].RelationName != "t" || p.Plans[0].ParentRel != "Outer" || p.Plans[1].NodeType != "Hash" {
		t.Fatalf("plan %s", val)
	}
}

// TestExplain_Errors checks EXPLAIN's errors against PostgreSQL 15's.
func TestExplain_Errors(t *testing.T) {
	s := explainSession(t)
	for _, tc := range []struct{ stmt, want string }{
		{"EXPLAIN SELECT * FROM nope", "ERROR 42P01: relation \"nope\" does not exist"},
		{"EXPLAIN (foo) SELECT 1", "ERROR 42601: unrecognized EXPLAIN option \"foo\""},
		{"EXPLAIN (FORMAT bar) SELECT 1", "ERROR 22023: unrecognized value for EXPLAIN option \"format\": \"bar\""},
		{"EXPLAIN (COSTS maybe) SELECT 1", "ERROR 42601: costs requires a Boolean value"},
		{"EXPLAIN (TIMING) SELECT 1", "ERROR 22023: EXPLAIN option TIMING requires ANALYZE"},
		{"EXPLAIN (FORMAT YAML) SELECT 1", "ERROR 0A000: "},
	} {
		if got := run(t, s, tc.stmt); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.stmt, got, tc.want)
		}
	}
	var e *sql.Error
	err := s.Query(context.Background(), "EXPLAIN SELECT * FROM nope", func(*sql.Result) error { return nil })
	if e = sql.AsError(err); e.Position != 23 {
		t.Fatalf("position %d, want 23", e.Position)
	}
}
