package pgserver_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// seedSchema creates the tables of the seed's statements (docs/sql.md).
const seedSchema = `
CREATE TABLE accounts (account_id text PRIMARY KEY, balance int8 NOT NULL, version int8 NOT NULL, last_transaction_date timestamptz);
CREATE TABLE transactions (from_account text, to_account text, amount int8, transaction_date timestamptz, transaction_type text);
CREATE TABLE inventory (product_id text PRIMARY KEY, quantity int8 NOT NULL, version int8 NOT NULL, last_modified timestamptz);
CREATE TABLE user_preferences (user_id text PRIMARY KEY, favorite_categories text[], version int8 NOT NULL, last_modified timestamptz);
CREATE TABLE configuration (setting_key text PRIMARY KEY, setting_value text, version int8 NOT NULL, last_modified timestamptz, modified_by text);
CREATE TABLE orders (order_id text PRIMARY KEY, status text, version int8 NOT NULL, status_changed_at timestamptz, batch_id text);
CREATE TABLE page_views (page_id text PRIMARY KEY, view_count int8, first_view_timestamp timestamptz, last_view_timestamp timestamptz, version int8);
CREATE TABLE distributed_locks (lock_key text PRIMARY KEY, acquired_by text, acquired_at timestamptz, expires_at timestamptz, lock_version int8);
`

// The seed's statements, in PostgreSQL syntax.
const (
	transferDebit = `UPDATE accounts SET balance = balance - $1, version = version + 1, last_transaction_date = CURRENT_TIMESTAMP
 WHERE account_id = $2 AND version = $3 AND balance >= $1`
	transferCredit = `UPDATE accounts SET balance = balance + $1, version = version + 1, last_transaction_date = CURRENT_TIMESTAMP
 WHERE account_id = $2`
	transferLog = `INSERT INTO transactions (from_account, to_account, amount, transaction_date, transaction_type)
 VALUES ($2, $3, $1, CURRENT_TIMESTAMP, 'transfer')`
	boundedIncrement = `UPDATE inventory SET quantity = quantity + $1, version = version + 1, last_modified = CURRENT_TIMESTAMP
 WHERE product_id = $2 AND quantity + $1 >= 0 AND quantity + $1 <= $3`
	addCategory = `UPDATE user_preferences SET favorite_categories = ARRAY_APPEND_UNIQUE(favorite_categories, $1),
       version = version + 1, last_modified = CURRENT_TIMESTAMP
 WHERE user_id = $2 AND NOT ARRAY_CONTAINS(favorite_categories, $1)`
	removeCategory = `UPDATE user_preferences SET favorite_categories = ARRAY_REMOVE(favorite_categories, $1), version = version + 1
 WHERE user_id = $2 AND ARRAY_CONTAINS(favorite_categories, $1)`
	compareAndSwap = `UPDATE configuration SET setting_value = $1, version = version + 1, last_modified = CURRENT_TIMESTAMP,
       modified_by = $5
 WHERE setting_key = $2 AND setting_value = $3 AND version = $4`
	batchUpdate = `WITH batch_updates AS (
  SELECT order_id, new_status, expected_version, ROW_NUMBER() OVER (ORDER BY order_id) AS batch_order
  FROM (VALUES ('order_1', 'shipped', 5), ('order_2', 'shipped', 3), ('order_3', 'shipped', 7))
       AS v(order_id, new_status, expected_version)),
update_results AS (
  UPDATE orders o SET status = b.new_status, version = o.version + 1, status_changed_at = CURRENT_TIMESTAMP,
         batch_id = $1
  FROM batch_updates b
  WHERE o.order_id = b.order_id AND o.version = b.expected_version
  RETURNING o.order_id, o.version AS new_version, 'success' AS result)
SELECT b.order_id, COALESCE(r.result, 'failed') AS update_result, r.new_version,
       CASE WHEN r.result IS NULL THEN 'Version conflict or order not found' ELSE 'Successfully updated' END AS message
FROM batch_updates b LEFT JOIN update_results r ON b.order_id = r.order_id
ORDER BY b.batch_order`
	countView = `UPDATE page_views SET view_count = view_count + 1, last_view_timestamp = CURRENT_TIMESTAMP, version = version + 1
 WHERE page_id = $1`
	firstView = `INSERT INTO page_views (page_id, view_count, first_view_timestamp, last_view_timestamp, version)
SELECT $1, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1
 WHERE NOT EXISTS (SELECT 1 FROM page_views WHERE page_id = $1)`
	acquireLock = `WITH lock_acquisition AS (
  INSERT INTO distributed_locks (lock_key, acquired_by, acquired_at, expires_at, lock_version)
  SELECT $1, $2, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP + make_interval(secs => $3), 1
  WHERE NOT EXISTS (SELECT 1 FROM distributed_locks WHERE lock_key = $1 AND expires_at > CURRENT_TIMESTAMP)
  RETURNING lock_key, acquired_by, acquired_at)
SELECT CASE WHEN l.lock_key IS NOT NULL THEN 'acquired' ELSE 'failed' END AS lock_status,
       l.acquired_by, l.acquired_at
FROM lock_acquisition l`
	releaseLock = `DELETE FROM distributed_locks WHERE lock_key = $1 AND acquired_by = $2 AND lock_version = $3`
)

func seed(t *testing.T) (string, *pgx.Conn) {
	url, _ := startServer(t)
	c := connect(t, url)
	if _, err := c.Exec(context.Background(), seedSchema); err != nil {
		t.Fatal(err)
	}
	return url, c
}

func TestSeed_Statements(t *testing.T) {
	_, c := seed(t)
	ctx := context.Background()
	mustExec(t, c, "INSERT INTO accounts (account_id, balance, version) VALUES ('alice', 100, 1), ('bob', 0, 1)")
	// Transfer in a transaction; a stale version makes the debit match nothing.
	tx, err := c.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead})
	if err != nil {
		t.Fatal(err)
	}
	if tag, err := tx.Exec(ctx, transferDebit, 30, "alice", 1); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("debit: %v %v", tag, err)
	}
	if tag, err := tx.Exec(ctx, transferCredit, 30, "bob"); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("credit: %v %v", tag, err)
	}
	if _, err := tx.Exec(ctx, transferLog, 30, "alice", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if tag, err := c.Exec(ctx, transferDebit, 30, "alice", 1); err != nil || tag.RowsAffected() != 0 {
		t.Fatalf("stale debit: %v %v", tag, err)
	}
	assertRows(t, c, "SELECT account_id, balance, version FROM accounts ORDER BY account_id", "alice 70 2;bob 30 2")
	assertRows(t, c, "SELECT from_account, to_account, amount, transaction_type FROM transactions", "alice bob 30 transfer")

	// Array operations.
	mustExec(t, c, "INSERT INTO user_preferences (user_id, favorite_categories, version) VALUES ('u', ARRAY['books'], 1)")
	for _, step := range []struct {
		q    string
		cat  string
		want int64
	}{{addCategory, "music", 1}, {addCategory, "music", 0}, {removeCategory, "books", 1}, {removeCategory, "books", 0}} {
		if tag, err := c.Exec(ctx, step.q, step.cat, "u"); err != nil || tag.RowsAffected() != step.want {
			t.Fatalf("%s %s: %v %v", step.q, step.cat, tag, err)
		}
	}
	assertRows(t, c, "SELECT favorite_categories, version FROM user_preferences", "[music] 3")

	// Compare-and-swap.
	mustExec(t, c, "INSERT INTO configuration (setting_key, setting_value, version) VALUES ('mode', 'a', 1)")
	if tag, err := c.Exec(ctx, compareAndSwap, "b", "mode", "a", 1, "me"); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("cas: %v %v", tag, err)
	}
	if tag, err := c.Exec(ctx, compareAndSwap, "c", "mode", "a", 1, "me"); err != nil || tag.RowsAffected() != 0 {
		t.Fatalf("stale cas: %v %v", tag, err)
	}

	// Batch report.
	mustExec(t, c, "INSERT INTO orders (order_id, status, version) VALUES ('order_1', 'new', 5), ('order_2', 'new', 2), ('order_3', 'new', 7)")
	assertRows(t, c, pgx.QueryRewriter(nil), batchUpdate, "b1",
		"order_1 success 6 Successfully updated;order_2 failed <nil> Version conflict or order not found;order_3 success 8 Successfully updated")
	assertRows(t, c, "SELECT order_id, status, version, batch_id FROM orders ORDER BY order_id",
		"order_1 shipped 6 b1;order_2 new 2 <nil>;order_3 shipped 8 b1")

	// Counter created on first use.
	for i := 0; i < 3; i++ {
		if _, err := c.Exec(ctx, countView, "home"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, firstView, "home"); err != nil {
			t.Fatal(err)
		}
	}
	assertRows(t, c, "SELECT page_id, view_count, version FROM page_views", "home 3 3")

	// Lock: acquired once, refused while held, released, acquired again.
	var status, by string
	if err := c.QueryRow(ctx, acquireLock, "k", "me", 30).Scan(&status, &by, new(any)); err != nil || status != "acquired" || by != "me" {
		t.Fatalf("acquire: %s %s %v", status, by, err)
	}
	var held int
	rows, err := c.Query(ctx, acquireLock, "k", "you", 30.0)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		held++
	}
	if rows.Err() != nil || held != 0 {
		t.Fatalf("second acquirer got %d rows, %v", held, rows.Err())
	}
	if tag, err := c.Exec(ctx, releaseLock, "k", "me", 1); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("release: %v %v", tag, err)
	}
}

// assertRows runs a query and compares its rows, rendered as
// space-separated values joined by ";". Arguments may follow the query
// after a nil QueryRewriter marker.
func assertRows(t *testing.T, c *pgx.Conn, args ...any) {
	t.Helper()
	var q string
	var params []any
	if _, ok := args[0].(pgx.QueryRewriter); ok || args[0] == nil {
		q, params = args[1].(string), args[2:len(args)-1]
	} else {
		q = args[0].(string)
		params = args[1 : len(args)-1]
	}
	want := args[len(args)-1].(string)
	rows, err := c.Query(context.Background(), q, params...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	got := ""
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		if got != "" {
			got += ";"
		}
		for i, v := range vals {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprint(v)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if got != want {
		t.Fatalf("%s\n got: %s\nwant: %s", q, got, want)
	}
}

// clients opens n connections.
func clients(t *testing.T, url string, n int) []*pgx.Conn {
	out := make([]*pgx.Conn, n)
	for i := range out {
		out[i] = connect(t, url)
	}
	return out
}

// parallel runs fn on each connection at once and fails on any error.
func parallel(t *testing.T, conns []*pgx.Conn, fn func(i int, c *pgx.Conn) error) {
	var wg sync.WaitGroup
	errs := make(chan error, len(conns))
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(i, c); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

const concurrentClients = 32

// TestSeed_NoLostIncrement: the hot counter incremented by 32 clients at once
// counts every increment (each UPDATE is one $inc that waits on conflict).
func TestSeed_NoLostIncrement(t *testing.T) {
	url, c := seed(t)
	mustExec(t, c, "INSERT INTO page_views (page_id, view_count, version) VALUES ('hot', 0, 0)")
	const per = 20
	parallel(t, clients(t, url, concurrentClients), func(_ int, c *pgx.Conn) error {
		for i := 0; i < per; i++ {
			tag, err := c.Exec(context.Background(), countView, "hot")
			if err != nil {
				return err
			}
			if tag.RowsAffected() != 1 {
				return fmt.Errorf("UPDATE %d", tag.RowsAffected())
			}
		}
		return nil
	})
	assertRows(t, c, "SELECT view_count, version FROM page_views", fmt.Sprintf("%d %d", concurrentClients*per, concurrentClients*per))
}

func TestSeed_NeverNegativeQuantity(t *testing.T) {
	url, c := seed(t)
	mustExec(t, c, "INSERT INTO inventory (product_id, quantity, version) VALUES ('p', 50, 0)")
	var taken atomic.Int64
	parallel(t, clients(t, url, concurrentClients), func(_ int, c *pgx.Conn) error {
		for i := 0; i < 5; i++ {
			tag, err := c.Exec(context.Background(), boundedIncrement, -3, "p", 1000)
			if err != nil {
				return err
			}
			taken.Add(tag.RowsAffected())
		}
		return nil
	})
	var q int64
	if err := c.QueryRow(context.Background(), "SELECT quantity FROM inventory").Scan(&q); err != nil {
		t.Fatal(err)
	}
	if q < 0 || q != 50-3*taken.Load() || q >= 3 {
		t.Fatalf("quantity %d after %d decrements of 3 from 50", q, taken.Load())
	}
}

func TestSeed_OneCASWinner(t *testing.T) {
	url, c := seed(t)
	mustExec(t, c, "INSERT INTO configuration (setting_key, setting_value, version) VALUES ('mode', 'a', 1)")
	var winners atomic.Int64
	parallel(t, clients(t, url, concurrentClients), func(i int, c *pgx.Conn) error {
		tag, err := c.Exec(context.Background(), compareAndSwap, fmt.Sprint("v", i), "mode", "a", 1, fmt.Sprint("client", i))
		winners.Add(tag.RowsAffected())
		return err
	})
	if winners.Load() != 1 {
		t.Fatalf("%d CAS winners, want 1", winners.Load())
	}
	assertRows(t, c, "SELECT version FROM configuration", "2")
}

func TestSeed_OneLockHolder(t *testing.T) {
	url, c := seed(t)
	var holders atomic.Int64
	parallel(t, clients(t, url, concurrentClients), func(i int, c *pgx.Conn) error {
		rows, err := c.Query(context.Background(), acquireLock, "k", fmt.Sprint("client", i), 60)
		if err != nil {
			return err
		}
		for rows.Next() {
			holders.Add(1)
		}
		rows.Close()
		if err := rows.Err(); err != nil && sqlState(err) != "23505" {
			return err
		}
		return nil
	})
	if holders.Load() != 1 {
		t.Fatalf("%d lock holders, want 1", holders.Load())
	}
	assertRows(t, c, "SELECT count(*) FROM distributed_locks", "1")
}
