package sql_test

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/concorddb/concord/sql"
)

func TestDriver_ExecQueryTx(t *testing.T) {
	db, err := stdsql.Open("concord", filepath.Join(t.TempDir(), "data")+"?database=shop")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE items (id int8 PRIMARY KEY, name text NOT NULL, qty int4)"); err != nil {
		t.Fatal(err)
	}
	res, err := db.ExecContext(ctx, "INSERT INTO items VALUES ($1, $2, $3), ($4, $5, $6)", 1, "apple", 3, 2, "pear", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 2 {
		t.Fatalf("RowsAffected %d", n)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE items SET qty = qty + $1 WHERE id = $2", 10, 1); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, name, qty FROM items WHERE qty >= $1 ORDER BY id", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := ""
	for rows.Next() {
		var id int64
		var name string
		var qty int
		if err := rows.Scan(&id, &name, &qty); err != nil {
			t.Fatal(err)
		}
		got += fmt.Sprintf("%d %s %d;", id, name, qty)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if got != "1 apple 3;2 pear 0;" {
		t.Fatalf("got %q", got)
	}
}

// Example runs SQL in process on a Concord database, with no server ("" is
// an in-memory database; give a directory for a durable one).
func Example() {
	db, err := stdsql.Open("concord", "")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.Exec("CREATE TABLE counters (name text PRIMARY KEY, n int8 NOT NULL)")
	db.Exec("INSERT INTO counters VALUES ('hits', 0)")
	db.Exec("UPDATE counters SET n = n + $1 WHERE name = $2", 5, "hits") // an atomic $inc
	var n int64
	db.QueryRow("SELECT n FROM counters WHERE name = 'hits'").Scan(&n)
	fmt.Println(n)
	// Output: 5
}

// TestDriver_ByteaBytes: []byte arguments of bytea parameters are bytes, not bytea's text input (a backslash
// stays a backslash), and bytea results scan back into []byte unchanged.
func TestDriver_ByteaBytes(t *testing.T) {
	db, err := stdsql.Open("concord", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE bd (id int PRIMARY KEY, b bytea)"); err != nil {
		t.Fatal(err)
	}
	for i, data := range [][]byte{[]byte(`\x41`), {'\\', '\\'}, {'\\', 1}, {0, 0xff}, {}} {
		if _, err := db.Exec("INSERT INTO bd VALUES ($1, $2)", i, data); err != nil {
			t.Fatalf("insert %q: %v", data, err)
		}
		var back []byte
		if err := db.QueryRow("SELECT b FROM bd WHERE id = $1", i).Scan(&back); err != nil || string(back) != string(data) {
			t.Errorf("bytes %q came back as %q (%v)", data, back, err)
		}
	}
}

// A char(n) value comes back padded to n characters, as pgx's database/sql driver returns it from PostgreSQL.
func TestDriver_CharPadded(t *testing.T) {
	db, err := stdsql.Open("concord", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE cp (id int PRIMARY KEY, c char(4), v varchar(4))"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO cp VALUES (1, 'ab', 'ab')"); err != nil {
		t.Fatal(err)
	}
	var c, v, trimmed string
	if err := db.QueryRow("SELECT c, v, c::text FROM cp").Scan(&c, &v, &trimmed); err != nil || c != "ab  " || v != "ab" || trimmed != "ab" {
		t.Errorf("char(4), varchar(4), char(4)::text: %q %q %q (%v), want %q %q %q", c, v, trimmed, err, "ab  ", "ab", "ab")
	}
}

// TestDriver_ReadOnlyTx: a transaction begun with sql.TxOptions{ReadOnly: true} reads and refuses writes with
// 25006, leaving the rows as they were.
func TestDriver_ReadOnlyTx(t *testing.T) {
	db, err := stdsql.Open("concord", filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE ro (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO ro VALUES (1, 1)"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx, &stdsql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT v FROM ro WHERE id = 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("read in a read-only transaction: %d, %v", v, err)
	}
	_, err = tx.ExecContext(ctx, "UPDATE ro SET v = 2 WHERE id = 1")
	if err == nil || !strings.Contains(err.Error(), "25006") {
		t.Fatalf("UPDATE in a read-only transaction: %v, want 25006", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT v FROM ro WHERE id = 1").Scan(&v); err != nil || v != 1 {
		t.Fatalf("after the read-only transaction: %d, %v", v, err)
	}
}
