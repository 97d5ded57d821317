package sql_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/sql"
)

// openBenchSession opens a database that acknowledges commits without
// waiting for the fsync, so that the benchmarks measure the statements'
// own cost, and a session on it.
func openBenchSession(b *testing.B) *sql.Session {
	b.Helper()
	db, err := concord.Open(b.TempDir(), &concord.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	s := sql.NewEngine(db).NewSession("test", "")
	b.Cleanup(s.Close)
	return s
}

// BenchmarkSession_Statement is the cost of one statement of each kind the
// bench runs (concord bench --sql), with its allocations: a prepared
// statement executed with parameters, as pgx runs it, and the same text
// through the simple protocol (the parse cache), and a transfer.
func BenchmarkSession_Statement(b *testing.B) {
	ctx := context.Background()
	setup := "CREATE TABLE counters (id int8 PRIMARY KEY, n int8 NOT NULL);" +
		" INSERT INTO counters VALUES (1, 0), (2, 1000000)"
	prepared := func(text string, params ...any) func(b *testing.B) {
		return func(b *testing.B) {
			s := openBenchSession(b)
			run(b, s, setup)
			st, err := s.Prepare(ctx, text, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := s.Execute(ctx, st, params); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("update-prepared", prepared("UPDATE counters SET n = n + $1 WHERE id = $2", "1", "1"))
	b.Run("update-guarded-prepared", prepared("UPDATE counters SET n = n - $1 WHERE id = $2 AND n >= $1", "1", "2"))
	b.Run("select-prepared", prepared("SELECT n FROM counters WHERE id = $1", "1"))
	b.Run("update-simple", func(b *testing.B) {
		s := openBenchSession(b)
		run(b, s, setup)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if err := s.Query(ctx, "UPDATE counters SET n = n + 1 WHERE id = 1", func(*sql.Result) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("transfer", func(b *testing.B) {
		s := openBenchSession(b)
		run(b, s, setup)
		debit, err := s.Prepare(ctx, "UPDATE counters SET n = n - $1 WHERE id = $2 AND n >= $1", nil)
		if err != nil {
			b.Fatal(err)
		}
		credit, err := s.Prepare(ctx, "UPDATE counters SET n = n + $1 WHERE id = $2", nil)
		if err != nil {
			b.Fatal(err)
		}
		nop := func(*sql.Result) error { return nil }
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			from, to := 2-i%2, 1+i%2
			if err := s.Query(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ", nop); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Execute(ctx, debit, []any{"1", fmt.Sprint(from)}); err != nil {
				b.Fatal(err)
			}
			if _, err := s.Execute(ctx, credit, []any{"1", fmt.Sprint(to)}); err != nil {
				b.Fatal(err)
			}
			if err := s.Query(ctx, "COMMIT", nop); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSession_Join: joins of 1,000 customers and 5,000 orders. "grouped" pairs every order with its customer
// (the equality pairs them through a hash table); "one-customer" reads one customer's orders (the WHERE clause's
// conditions filter each table's scan, and the customer's key finds it; its orders are read by that key);
// "customers-of-orders" reads 50 orders, then their customers by primary key.
func BenchmarkSession_Join(b *testing.B) {
	s := openBenchSession(b)
	run(b, s, "CREATE TABLE cust (id int8 PRIMARY KEY, name text); CREATE TABLE ord (id int8 PRIMARY KEY, cust int8, amt int8)")
	for lo := 0; lo < 1000; lo += 500 {
		var v string
		for i := lo; i < lo+500; i++ {
			v += fmt.Sprintf(", (%d, 'c%d')", i, i)
		}
		run(b, s, "INSERT INTO cust VALUES "+v[2:])
	}
	for lo := 0; lo < 5000; lo += 500 {
		var v string
		for i := lo; i < lo+500; i++ {
			v += fmt.Sprintf(", (%d, %d, %d)", i, i%1000, i%7)
		}
		run(b, s, "INSERT INTO ord VALUES "+v[2:])
	}
	for _, q := range []struct{ name, text string }{
		{"grouped", "SELECT c.name, sum(o.amt) FROM cust c JOIN ord o ON o.cust = c.id GROUP BY c.name"},
		{"one-customer", "SELECT c.name, o.id FROM cust c, ord o WHERE o.cust = c.id AND c.id = 7"},
		{"customers-of-orders", "SELECT o.id, c.name FROM ord o JOIN cust c ON c.id = o.cust WHERE o.id < 50"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for range b.N {
				run(b, s, q.text)
			}
		})
	}
}

// BenchmarkSession_OrderByLimit is the newest ten rows of a 50,000-row table by its primary key, the first ten
// by a NOT NULL indexed column, and the last ten by a nullable indexed one (its NULLs first, as PostgreSQL orders
// them descending), prepared and executed as pgx runs them: reads in the storage's order that stop at the limit,
// beside an ORDER BY of an expression, which reads and sorts the whole table.
func BenchmarkSession_OrderByLimit(b *testing.B) {
	ctx := context.Background()
	s := openBenchSession(b)
	run(b, s, "CREATE TABLE events (id int8 PRIMARY KEY, at int8 NOT NULL, note int8, body text)")
	run(b, s, "INSERT INTO events SELECT i, (i * 7919) % 50000, i, repeat('x', 100) FROM generate_series(1, 50000) i")
	run(b, s, "CREATE INDEX events_at ON events (at)")
	run(b, s, "CREATE INDEX events_note ON events (note)")
	for _, c := range []struct{ name, sql string }{
		{"pk-desc", "SELECT id, at, body FROM events ORDER BY id DESC LIMIT $1"},
		{"indexed", "SELECT id, at, body FROM events ORDER BY at LIMIT $1"},
		{"nullable", "SELECT id, at, body FROM events ORDER BY note DESC LIMIT $1"},
		{"expression", "SELECT id, at, body FROM events ORDER BY note + 0 DESC LIMIT $1"},
	} {
		b.Run(c.name, func(b *testing.B) {
			st, err := s.Prepare(ctx, c.sql, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.Execute(ctx, st, []any{"10"})
				if err != nil || len(res.Rows) != 10 {
					b.Fatalf("%v rows, %v", res, err)
				}
			}
		})
	}
}
