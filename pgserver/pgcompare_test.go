package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgSeedFunctions defines the seed's functions PostgreSQL lacks, so that the
// same statements run on both.
const pgSeedFunctions = `
CREATE FUNCTION array_append_unique(a anyarray, v anyelement) RETURNS anyarray LANGUAGE sql IMMUTABLE
  AS $$ SELECT CASE WHEN v = ANY(a) THEN a ELSE array_append(a, v) END $$;
CREATE FUNCTION array_contains(a anyarray, v anyelement) RETURNS boolean LANGUAGE sql IMMUTABLE
  AS $$ SELECT v = ANY(a) $$;
`

// compareSteps run in order against Concord and, when its binaries are
// installed, PostgreSQL 15; each step's rows (as text, "|"-separated, one row
// per line) and command tag must be what is written here, which is what
// PostgreSQL answers.
var compareSteps = []struct {
	sql  string
	args []any
	want string
}{
	{sql: "SHOW synchronous_commit", want: "on\nSHOW"},
	{sql: "SET synchronous_commit = off", want: "SET"},
	{sql: "SHOW synchronous_commit", want: "off\nSHOW"},
	{sql: "SET synchronous_commit = on", want: "SET"},
	{sql: "SHOW statement_timeout", want: "0\nSHOW"},
	{sql: "SET statement_timeout = 1500", want: "SET"},
	{sql: "SHOW statement_timeout", want: "1500ms\nSHOW"},
	{sql: "SET statement_timeout = 86400000", want: "SET"},
	{sql: "SHOW statement_timeout", want: "1d\nSHOW"},
	{sql: "SET statement_timeout = '90s'", want: "SET"},
	{sql: "SHOW statement_timeout", want: "90s\nSHOW"},
	{sql: "SET statement_timeout = '1500us'", want: "SET"},
	{sql: "SHOW statement_timeout", want: "2ms\nSHOW"},
	{sql: "SET statement_timeout = '0.5s'", want: "SET"},
	{sql: "SHOW statement_timeout", want: "500ms\nSHOW"},
	{sql: "SET statement_timeout = '2 min'", want: "SET"},
	{sql: "SHOW statement_timeout", want: "2min\nSHOW"},
	{sql: "RESET statement_timeout", want: "RESET"},
	{sql: "SHOW statement_timeout", want: "0\nSHOW"},
	{sql: "CREATE TABLE items (id int8 PRIMARY KEY, name text NOT NULL, qty int4, price float8, tags text[])", want: "CREATE TABLE"},
	{sql: "INSERT INTO items VALUES (1, 'apple', 3, 0.5, ARRAY['fruit','red']), (2, 'pear', 0, 0.75, ARRAY['fruit']), (3, 'kale', 12, 2, '{}'), (4, 'plum', NULL, NULL, NULL)", want: "INSERT 0 4"},
	{sql: "SELECT id, name FROM items WHERE qty > 1 ORDER BY id", want: "1|apple\n3|kale\nSELECT 2"},
	{sql: "SELECT id FROM items WHERE qty IS NULL", want: "4\nSELECT 1"},
	{sql: "SELECT id FROM items WHERE NOT (qty > 1) ORDER BY id", want: "2\nSELECT 1"},
	{sql: "SELECT id FROM items WHERE qty <> 3 ORDER BY id DESC", want: "3\n2\nSELECT 2"},
	{sql: "SELECT name FROM items WHERE name LIKE 'p%' ORDER BY name", want: "pear\nplum\nSELECT 2"},
	{sql: "SELECT name FROM items WHERE name ILIKE 'A%'", want: "apple\nSELECT 1"},
	{sql: "SELECT id FROM items WHERE qty BETWEEN 1 AND 5", want: "1\nSELECT 1"},
	{sql: "SELECT id FROM items WHERE id IN (1, 3, 99) ORDER BY 1", want: "1\n3\nSELECT 2"},
	{sql: "SELECT id FROM items WHERE 'red' = ANY(tags)", want: "1\nSELECT 1"},
	{sql: "SELECT id FROM items WHERE tags @> ARRAY['fruit'] ORDER BY id", want: "1\n2\nSELECT 2"},
	{sql: "SELECT id, tags[1] FROM items ORDER BY id LIMIT 2", want: "1|fruit\n2|fruit\nSELECT 2"},
	{sql: "SELECT id FROM items ORDER BY qty DESC NULLS LAST, id LIMIT 2 OFFSET 1", want: "1\n2\nSELECT 2"},
	{sql: "SELECT id FROM items ORDER BY qty", want: "2\n1\n3\n4\nSELECT 4"},
	{sql: "SELECT count(*), count(qty), sum(qty), min(name), max(price) FROM items", want: "4|3|15|apple|2\nSELECT 1"},
	{sql: "SELECT qty > 0 AS stocked, count(*) FROM items WHERE qty IS NOT NULL GROUP BY qty > 0 ORDER BY 1", want: "f|1\nt|2\nSELECT 2"},
	{sql: "SELECT tags[1] AS t, count(*) AS n FROM items GROUP BY 1 HAVING count(*) > 1 ORDER BY 1", want: "fruit|2\n|2\nSELECT 2"},
	{sql: "SELECT DISTINCT tags[1] FROM items WHERE tags[1] IS NOT NULL", want: "fruit\nSELECT 1"},
	{sql: "SELECT id, CASE WHEN qty IS NULL THEN 'unknown' WHEN qty = 0 THEN 'out' ELSE 'in' END FROM items ORDER BY id", want: "1|in\n2|out\n3|in\n4|unknown\nSELECT 4"},
	{sql: "SELECT id, COALESCE(qty, -1), qty * 2 + 1, price * 2 FROM items ORDER BY id", want: "1|3|7|1\n2|0|1|1.5\n3|12|25|4\n4|-1||\nSELECT 4"},
	{sql: "SELECT upper(name), length(name), name || '!' FROM items WHERE id = 1", want: "APPLE|5|apple!\nSELECT 1"},
	{sql: "SELECT id, ROW_NUMBER() OVER (ORDER BY name DESC) FROM items ORDER BY id", want: "1|4\n2|2\n3|3\n4|1\nSELECT 4"},
	{sql: "CREATE TABLE sales (id int8 PRIMARY KEY, item_id int8, amount int8)", want: "CREATE TABLE"},
	{sql: "INSERT INTO sales VALUES (10, 1, 5), (11, 1, 7), (12, 3, 1), (13, 99, 2)", want: "INSERT 0 4"},
	{sql: "SELECT i.name, s.amount FROM items i JOIN sales s ON s.item_id = i.id ORDER BY s.id", want: "apple|5\napple|7\nkale|1\nSELECT 3"},
	{sql: "SELECT i.name, sum(s.amount) FROM items i LEFT JOIN sales s ON s.item_id = i.id GROUP BY i.name ORDER BY i.name", want: "apple|12\nkale|1\npear|\nplum|\nSELECT 4"},
	{sql: "SELECT s.id, i.name FROM sales s LEFT JOIN items i ON i.id = s.item_id ORDER BY s.id", want: "10|apple\n11|apple\n12|kale\n13|\nSELECT 4"},
	{sql: "SELECT name FROM items i WHERE EXISTS (SELECT 1 FROM sales s WHERE s.item_id = i.id) ORDER BY name", want: "apple\nkale\nSELECT 2"},
	{sql: "SELECT name FROM items WHERE id NOT IN (SELECT item_id FROM sales) ORDER BY name", want: "pear\nplum\nSELECT 2"},
	{sql: "SELECT name, (SELECT sum(amount) FROM sales s WHERE s.item_id = i.id) FROM items i ORDER BY id", want: "apple|12\npear|\nkale|1\nplum|\nSELECT 4"},
	{sql: "WITH big AS (SELECT item_id, amount FROM sales WHERE amount > 2) SELECT count(*) FROM big", want: "2\nSELECT 1"},
	{sql: "SELECT v.a, v.b FROM (VALUES (1, 'x'), (2, 'y')) AS v(a, b) ORDER BY a DESC", want: "2|y\n1|x\nSELECT 2"},
	{sql: "SELECT id FROM items WHERE id < 3 UNION SELECT item_id FROM sales ORDER BY 1", want: "1\n2\n3\n99\nSELECT 4"},
	{sql: "UPDATE items SET qty = qty + $1 WHERE id = $2", args: []any{2, 2}, want: "UPDATE 1"},
	{sql: "UPDATE items SET qty = qty - 1 WHERE qty > 0", want: "UPDATE 3"},
	{sql: "SELECT id, qty FROM items WHERE qty IS NOT NULL ORDER BY id", want: "1|2\n2|1\n3|11\nSELECT 3"},
	{sql: "UPDATE items SET price = 1 WHERE price = 1.5", want: "UPDATE 0"},
	{sql: "UPDATE items SET qty = 5 WHERE qty = 5", want: "UPDATE 0"},
	{sql: "UPDATE items SET qty = 2 WHERE id = 1", want: "UPDATE 1"},
	{sql: "UPDATE items SET tags = array_append_unique(tags, 'fresh') WHERE id <= 2 AND NOT array_contains(tags, 'fresh')", want: "UPDATE 2"},
	{sql: "UPDATE items SET tags = array_remove(tags, 'fruit') WHERE array_contains(tags, 'fruit') RETURNING id, tags", want: "1|{red,fresh}\n2|{fresh}\nUPDATE 2"},
	{sql: "UPDATE items SET tags = array_append(tags, 'x') WHERE id = 3 RETURNING tags", want: "{x}\nUPDATE 1"},
	{sql: "UPDATE items SET qty = qty * 10 WHERE id = 1 RETURNING qty", want: "20\nUPDATE 1"},
	{sql: "UPDATE items i SET qty = i.qty + s.amount FROM sales s WHERE s.item_id = i.id AND s.id = 12 RETURNING i.id, i.qty", want: "3|12\nUPDATE 1"},
	{sql: "INSERT INTO items (id, name) VALUES (5, 'fig') RETURNING id, name, qty", want: "5|fig|\nINSERT 0 1"},
	{sql: "INSERT INTO items (id, name) VALUES (5, 'fig') ON CONFLICT (id) DO NOTHING", want: "INSERT 0 0"},
	{sql: "INSERT INTO items (id, name, qty) VALUES (5, 'fig', 4) ON CONFLICT (id) DO UPDATE SET qty = excluded.qty RETURNING id, qty", want: "5|4\nINSERT 0 1"},
	{sql: "INSERT INTO items (id, name, qty) VALUES (5, 'fig', 9) ON CONFLICT (id) DO UPDATE SET qty = items.qty + excluded.qty WHERE items.qty < 5 RETURNING qty", want: "13\nINSERT 0 1"},
	{sql: "INSERT INTO items (id, name) SELECT 6, 'lime' WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = 6)", want: "INSERT 0 1"},
	{sql: "INSERT INTO items (id, name) SELECT 6, 'lime' WHERE NOT EXISTS (SELECT 1 FROM items WHERE id = 6)", want: "INSERT 0 0"},
	{sql: "INSERT INTO sales (id, item_id, amount) SELECT id + 100, id, 1 FROM items WHERE id > 4", want: "INSERT 0 2"},
	{sql: "DELETE FROM sales WHERE amount = 1 RETURNING id", want: "12\n105\n106\nDELETE 3"},
	{sql: "DELETE FROM sales WHERE item_id NOT IN (SELECT id FROM items)", want: "DELETE 1"},
	{sql: "SELECT id, qty, tags FROM items ORDER BY id", want: "1|20|{red,fresh}\n2|1|{fresh}\n3|12|{x}\n4||\n5|13|\n6||\nSELECT 6"},
	{sql: "DROP TABLE sales", want: "DROP TABLE"},
	// The seed's statements (spec section 4), without their timestamps.
	{sql: "CREATE TABLE orders (order_id text PRIMARY KEY, status text, version int8 NOT NULL, status_changed_at timestamptz, batch_id text)", want: "CREATE TABLE"},
	{sql: "INSERT INTO orders (order_id, status, version) VALUES ('order_1', 'new', 5), ('order_2', 'new', 2), ('order_3', 'new', 7)", want: "INSERT 0 3"},
	{sql: batchUpdate, args: []any{"b1"}, want: "order_1|success|6|Successfully updated\norder_2|failed||Version conflict or order not found\norder_3|success|8|Successfully updated\nSELECT 3"},
	{sql: "SELECT order_id, status, version, batch_id, status_changed_at IS NOT NULL FROM orders ORDER BY order_id", want: "order_1|shipped|6|b1|t\norder_2|new|2||f\norder_3|shipped|8|b1|t\nSELECT 3"},
	{sql: "CREATE TABLE page_views (page_id text PRIMARY KEY, view_count int8, first_view_timestamp timestamptz, last_view_timestamp timestamptz, version int8)", want: "CREATE TABLE"},
	{sql: countView, args: []any{"home"}, want: "UPDATE 0"},
	{sql: firstView, args: []any{"home"}, want: "INSERT 0 1"},
	{sql: countView, args: []any{"home"}, want: "UPDATE 1"},
	{sql: firstView, args: []any{"home"}, want: "INSERT 0 0"},
	{sql: "SELECT page_id, view_count, version FROM page_views", want: "home|2|2\nSELECT 1"},
	{sql: "CREATE TABLE distributed_locks (lock_key text PRIMARY KEY, acquired_by text, acquired_at timestamptz, expires_at timestamptz, lock_version int8)", want: "CREATE TABLE"},
	{sql: "SELECT lock_status, acquired_by FROM (SELECT 'x' AS lock_status, 'y' AS acquired_by) s", want: "x|y\nSELECT 1"},
	{sql: acquireLockNoTime, args: []any{"k", "me", 30}, want: "acquired|me\nSELECT 1"},
	{sql: acquireLockNoTime, args: []any{"k", "you", 30}, want: "SELECT 0"},
	{sql: releaseLock, args: []any{"k", "you", 1}, want: "DELETE 0"},
	{sql: releaseLock, args: []any{"k", "me", 1}, want: "DELETE 1"},
	{sql: acquireLockNoTime, args: []any{"k", "you", 30}, want: "acquired|you\nSELECT 1"},
	{sql: "CREATE TABLE user_preferences (user_id text PRIMARY KEY, favorite_categories text[], version int8 NOT NULL, last_modified timestamptz)", want: "CREATE TABLE"},
	{sql: "INSERT INTO user_preferences (user_id, favorite_categories, version) VALUES ('u', ARRAY['books'], 1)", want: "INSERT 0 1"},
	{sql: addCategory, args: []any{"music", "u"}, want: "UPDATE 1"},
	{sql: addCategory, args: []any{"music", "u"}, want: "UPDATE 0"},
	{sql: removeCategory, args: []any{"books", "u"}, want: "UPDATE 1"},
	{sql: "SELECT favorite_categories, version FROM user_preferences", want: "{music}|3\nSELECT 1"},
}

// acquireLockNoTime is the seed's lock acquisition without the timestamp
// column, which differs from run to run.
var acquireLockNoTime = strings.Replace(acquireLock, ",\n       l.acquired_by, l.acquired_at\n", ",\n       l.acquired_by\n", 1)

// renderSimple runs a statement with the simple protocol and renders its
// rows as text.
func renderSimple(c *pgx.Conn, q string, args []any) (string, error) {
	out, tag, err := renderQuery(context.Background(), c, q, append([]any{pgx.QueryExecModeSimpleProtocol}, args...))
	return out + tag, err
}

// renderQuery runs a query and renders its rows' bytes as received, a line each with values separated by |, and
// returns its command tag apart.
func renderQuery(ctx context.Context, c *pgx.Conn, q string, args []any) (out, tag string, err error) {
	rows, err := c.Query(ctx, q, args...)
	if err != nil {
		return "", "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		for i, v := range rows.RawValues() {
			if i > 0 {
				b.WriteByte('|')
			}
			b.Write(v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		return "", "", err
	}
	return b.String(), rows.CommandTag().String(), nil
}

// runSteps runs statements in order on a connection, each wanting its rows and tag as renderSimple writes them,
// or "ERROR " and the SQLSTATE it fails with (and for 23514 and 23503 the constraint it names).
func runSteps(t *testing.T, who string, c *pgx.Conn, steps []struct{ sql, want string }) {
	t.Helper()
	for _, s := range steps {
		got, err := renderSimple(c, s.sql, nil)
		if err != nil {
			got = "ERROR " + sqlState(err)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.ConstraintName != "" && (pe.Code == "23514" || pe.Code == "23503") {
				got += " " + pe.ConstraintName // the CHECK or FOREIGN KEY constraint broken
			}
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q (%v)\nwant: %q", who, s.sql, got, err, s.want)
		}
	}
}

// runCompare runs compareSteps on a connection.
func runCompare(t *testing.T, who string, c *pgx.Conn) {
	for _, s := range compareSteps {
		got, err := renderSimple(c, s.sql, s.args)
		if err != nil {
			t.Fatalf("%s: %s: %v", who, s.sql, err)
		}
		if got != s.want {
			t.Errorf("%s: %s\n got: %q\nwant: %q", who, s.sql, got, s.want)
		}
	}
}

func TestCompare_Concord(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	runCompare(t, "concord", c)
	runImplicit(t, "concord", c)
	runParams(t, "concord", url)
	runDefaults(t, "concord", c)
	runLocks(t, "concord", c)
	runAdvisory(t, "concord", c)
	runAdvisorySavepoints(t, "concord", url)
	runMaintenance(t, "concord", url)
	runIndexCatalog(t, "concord", c)
	runBytea(t, "concord", c)
	runFuncs(t, "concord", c)
	runCopy(t, "concord", c)
	runStream(t, "concord", c)
	runPortals(t, "concord", url)
	runCursorSnapshot(t, "concord", url)
	runMessageSteps(t, "concord", c, cursorChunkSteps)
	runSavepoints(t, "concord", c)
	runBlockDDL(t, "concord", c)
	runDeferredFKs(t, "concord", c)
	runIndexAliases(t, "concord", c)
	runChecks(t, "concord", c)
	runFKs(t, "concord", c)
	runDumpCatalog(t, "concord", c)
	runNotify(t, "concord", url)
	runLockTimeoutRow(t, "concord", url)
	runTableLocks(t, "concord", c)
	runTimeZone(t, "concord", c)
	runTimeZoneClient(t, "concord", url)
	runIntervalStyleClient(t, "concord", url)
	runUncommittedParent(t, "concord", url)
	runReview(t, "concord", c)
	runMerge(t, "concord", c)
	runLiteralTypes(t, "concord", c)
	runDateArrays(t, "concord", c)
	runInputPositions(t, "concord", c)
	runColumnNames(t, "concord", c)
	runFailingRows(t, "concord", c)
	runErrorTexts(t, "concord", c)
	runStaticErrors(t, "concord", c)
	runReadOnly(t, "concord", c)
	runClientCatalog(t, "concord", c) // before runTemp: PostgreSQL keeps a session's temporary schema
	runIndexRename(t, "concord", c)
	runMessageSteps(t, "concord", c, tableLikeSteps)
	runMessageSteps(t, "concord", c, generatedSteps)
	runMessageSteps(t, "concord", c, relOptionSteps)
	runErrorFields(t, "concord", c)
	runMessageSteps(t, "concord", c, exprIndexSteps)
	runTemp(t, "concord", c)
	runJSONPath(t, "concord", c)
	runSettings(t, "concord", c)
	runDDLPositions(t, "concord", c)
	runJSONFn(t, "concord", c)
	runDateFn(t, "concord", c)
	runArrayFn(t, "concord", c)
	runCTAS(t, "concord", c)
	runInet(t, "concord", c)
	runMatViews(t, "concord", c)
	runMessageSteps(t, "concord", c, subquerySteps)
	runMessageSteps(t, "concord", c, domainSteps)
	runMessageSteps(t, "concord", c, functionSteps)
	if os.Getenv(backendEnv) == "driver" {
		runMessageSteps(t, "concord", c, plDriverSteps) // MongoDB has no savepoints for EXCEPTION clauses
	} else {
		runMessageSteps(t, "concord", c, plpgsqlSteps)
		runMessageSteps(t, "concord", c, triggerSteps)
		runMessageSteps(t, "concord", c, routineBlockSteps)
		runMessageSteps(t, "concord", c, routineNestSteps)
		runMessageSteps(t, "concord", c, plScopeBlockSteps)
		runMessageSteps(t, "concord", c, cursorScrollSteps)
		runMessageSteps(t, "concord", c, cursorFailSteps)
		runMessageSteps(t, "concord", c, blockValidatorSteps)
		runMessageSteps(t, "concord", c, reviewFixSteps)
		runMessageSteps(t, "concord", c, blockDropColumnSteps)
		runMessageSteps(t, "concord", c, blockRenameColumnSteps)
	}
	runMessageSteps(t, "concord", c, ormSteps)
	runMessageSteps(t, "concord", c, databaseSteps)
	runMessageSteps(t, "concord", c, routineSteps)
	runMessageSteps(t, "concord", c, viewWriteSteps)
	runMessageSteps(t, "concord", c, insteadSteps)
	runMessageSteps(t, "concord", c, truncateTriggerSteps)
	runMessageSteps(t, "concord", c, transitionSteps)
	runMessageSteps(t, "concord", c, routineEdgeSteps)
	runMessageSteps(t, "concord", c, plScopeSteps)
	runMessageSteps(t, "concord", c, rowParamSteps)
	runMessageSteps(t, "concord", c, holdCursorSteps)
	runMessageSteps(t, "concord", c, constraintTriggerSteps)
	runMessageSteps(t, "concord", c, rowsFromSteps)
	runMessageSteps(t, "concord", c, pgcryptoSteps)
	runMessageSteps(t, "concord", c, viewStatementTriggerSteps)
	runActivity(t, "concord", url)
}

// TestCompare_PostgreSQL runs the same steps against PostgreSQL 15, to keep
// the expected answers PostgreSQL's. It is skipped only when no PostgreSQL
// server binary is installed.
func TestCompare_PostgreSQL(t *testing.T) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Skip("no PostgreSQL server installed (Debian's postgresql package); .ci/run installs it")
	}
	if testing.Short() {
		t.Skip("starts a PostgreSQL cluster")
	}
	root, _ := filepath.Abs("..")
	dir, err := os.MkdirTemp("", "concord-pgcompare-")
	if err != nil {
		t.Fatal(err)
	}
	l := freePort(t)
	env := append(os.Environ(), "PGBENCH_DIR="+dir, "PGBENCH_PORT="+l)
	start := exec.Command(filepath.Join(root, "scripts/pg-start.sh"))
	start.Env = env
	out, err := start.Output()
	if err != nil {
		t.Fatalf("pg-start.sh: %v", err)
	}
	t.Cleanup(func() {
		stop := exec.Command(filepath.Join(root, "scripts/pg-stop.sh"))
		stop.Env = env
		_ = stop.Run()
	})
	url := strings.TrimSpace(string(out))
	c := connect(t, url)
	if _, err := c.Exec(context.Background(), pgSeedFunctions); err != nil {
		t.Fatal(err)
	}
	runCompare(t, "postgresql", c)
	runImplicit(t, "postgresql", c)
	runBatch(t, "postgresql", c)
	runParams(t, "postgresql", url)
	runDefaults(t, "postgresql", c)
	runLocks(t, "postgresql", c)
	runAdvisory(t, "postgresql", c)
	runAdvisorySavepoints(t, "postgresql", url)
	runAdvisoryDeadlock(t, "postgresql", url)
	runMaintenance(t, "postgresql", url)
	runIndexCatalog(t, "postgresql", c)
	runBytea(t, "postgresql", c)
	runFuncs(t, "postgresql", c)
	runCopy(t, "postgresql", c)
	runStream(t, "postgresql", c)
	runPortals(t, "postgresql", url)
	runCursorSnapshot(t, "postgresql", url)
	runMessageSteps(t, "postgresql", c, cursorChunkSteps)
	runSavepoints(t, "postgresql", c)
	runBlockDDL(t, "postgresql", c)
	runDeferredFKs(t, "postgresql", c)
	runIndexAliases(t, "postgresql", c)
	runChecks(t, "postgresql", c)
	runFKs(t, "postgresql", c)
	runDumpCatalog(t, "postgresql", c)
	runNotify(t, "postgresql", url)
	runLockTimeoutRow(t, "postgresql", url)
	runTableLocks(t, "postgresql", c)
	runUnseenNames(t, "postgresql", url)
	runTimeZone(t, "postgresql", c)
	runTimeZoneClient(t, "postgresql", url)
	runIntervalStyleClient(t, "postgresql", url)
	runUncommittedParent(t, "postgresql", url)
	runReview(t, "postgresql", c)
	runMerge(t, "postgresql", c)
	runLiteralTypes(t, "postgresql", c)
	runDateArrays(t, "postgresql", c)
	runInputPositions(t, "postgresql", c)
	runColumnNames(t, "postgresql", c)
	runFailingRows(t, "postgresql", c)
	runErrorTexts(t, "postgresql", c)
	runStaticErrors(t, "postgresql", c)
	runReadOnly(t, "postgresql", c)
	runClientCatalog(t, "postgresql", c) // before runTemp: PostgreSQL keeps a session's temporary schema
	runIndexRename(t, "postgresql", c)
	runMessageSteps(t, "postgresql", c, tableLikeSteps)
	runMessageSteps(t, "postgresql", c, generatedSteps)
	runMessageSteps(t, "postgresql", c, relOptionSteps)
	runErrorFields(t, "postgresql", c)
	runMessageSteps(t, "postgresql", c, exprIndexSteps)
	runTemp(t, "postgresql", c)
	runJSONPath(t, "postgresql", c)
	runSettings(t, "postgresql", c)
	runDDLPositions(t, "postgresql", c)
	runJSONFn(t, "postgresql", c)
	runDateFn(t, "postgresql", c)
	runArrayFn(t, "postgresql", c)
	runCTAS(t, "postgresql", c)
	runInet(t, "postgresql", c)
	runMatViews(t, "postgresql", c)
	runMessageSteps(t, "postgresql", c, subquerySteps)
	runMessageSteps(t, "postgresql", c, domainSteps)
	runMessageSteps(t, "postgresql", c, functionSteps)
	runMessageSteps(t, "postgresql", c, plpgsqlSteps)
	runMessageSteps(t, "postgresql", c, triggerSteps)
	runMessageSteps(t, "postgresql", c, ormSteps)
	runMessageSteps(t, "postgresql", c, databaseSteps)
	runMessageSteps(t, "postgresql", c, routineSteps)
	runMessageSteps(t, "postgresql", c, viewWriteSteps)
	runMessageSteps(t, "postgresql", c, insteadSteps)
	runMessageSteps(t, "postgresql", c, truncateTriggerSteps)
	runMessageSteps(t, "postgresql", c, transitionSteps)
	runMessageSteps(t, "postgresql", c, routineEdgeSteps)
	runMessageSteps(t, "postgresql", c, plScopeSteps)
	runMessageSteps(t, "postgresql", c, rowParamSteps)
	runMessageSteps(t, "postgresql", c, holdCursorSteps)
	runMessageSteps(t, "postgresql", c, constraintTriggerSteps)
	runMessageSteps(t, "postgresql", c, rowsFromSteps)
	runMessageSteps(t, "postgresql", c, pgcryptoSteps)
	runMessageSteps(t, "postgresql", c, viewStatementTriggerSteps)
	runMessageSteps(t, "postgresql", c, routineBlockSteps)
	runMessageSteps(t, "postgresql", c, routineNestSteps)
	runMessageSteps(t, "postgresql", c, plScopeBlockSteps)
	runMessageSteps(t, "postgresql", c, cursorScrollSteps)
	runMessageSteps(t, "postgresql", c, cursorFailSteps)
	runMessageSteps(t, "postgresql", c, blockValidatorSteps)
	runMessageSteps(t, "postgresql", c, reviewFixSteps)
	runMessageSteps(t, "postgresql", c, blockDropColumnSteps)
	runMessageSteps(t, "postgresql", c, blockRenameColumnSteps)
	runActivity(t, "postgresql", url)
}

// freePort returns a free loopback port.
func freePort(t *testing.T) string {
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*netTCPAddr).Port)
}

// implicitSteps run several statements in one simple Query message: outside
// a block they are one implicit transaction, all or nothing. want is the
// SQLSTATE of the message ("" for success), then what check answers after
// it.
var implicitSteps = []struct {
	sql, want, check, after string
}{
	{"CREATE TABLE mt (k int8 PRIMARY KEY, n int8)", "", "SELECT count(*) FROM mt", "0"},
	{"INSERT INTO mt VALUES (1, 1); INSERT INTO mt VALUES (1, 2)", "23505", "SELECT count(*) FROM mt", "0"},
	{"INSERT INTO mt VALUES (1, 1); INSERT INTO mt VALUES (2, 2)", "", "SELECT sum(n) FROM mt", "3"},
	{"UPDATE mt SET n = n + 10; SELECT 1/0", "22012", "SELECT sum(n) FROM mt", "3"},
	{"UPDATE mt SET n = n + 10 WHERE k = 1; UPDATE mt SET n = n - 10 WHERE k = 2", "", "SELECT string_agg(n::text, ',' ORDER BY k) FROM mt", "11,-8"},
	{"INSERT INTO mt VALUES (3, 3); COMMIT; INSERT INTO mt VALUES (4, 4); INSERT INTO mt VALUES (3, 0)", "23505", "SELECT count(*) FROM mt", "3"},
	{"INSERT INTO mt VALUES (4, 4); BEGIN; INSERT INTO mt VALUES (5, 5)", "", "SELECT count(*) FROM mt", "5"},
	{"ROLLBACK", "", "SELECT count(*) FROM mt", "3"},
}

// runImplicit runs implicitSteps on a connection.
func runImplicit(t *testing.T, who string, c *pgx.Conn) {
	ctx := context.Background()
	for _, s := range implicitSteps {
		_, err := c.PgConn().Exec(ctx, s.sql).ReadAll()
		if got := sqlState(err); got != s.want || (err != nil && s.want == "") {
			t.Errorf("%s: %s: %v, want SQLSTATE %q", who, s.sql, err, s.want)
		}
		var got string
		if err := c.QueryRow(ctx, s.check, pgx.QueryExecModeSimpleProtocol).Scan(&got); err != nil || got != s.after {
			t.Errorf("%s: after %s: %s = %q %v, want %q", who, s.sql, s.check, got, err, s.after)
		}
	}
}
