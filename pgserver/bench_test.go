package pgserver_test

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5"
)

// BenchmarkServer is one statement over the PostgreSQL protocol through
// pgx, as `concord bench --sql` runs them, on a database that does not wait
// for the fsync: the per-statement cost of the server's execution and
// result path (and pgx's, in the same process; allocs/op counts both).
func BenchmarkServer(b *testing.B) {
	ctx := context.Background()
	db, err := concord.Open(b.TempDir(), &concord.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &pgserver.Server{Engine: sql.NewEngine(db), Logf: b.Logf}
	go srv.Serve(l)
	defer srv.Close()
	conn, err := pgx.Connect(ctx, "postgres://bench@"+l.Addr().String()+"/bench?sslmode=disable")
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE TABLE c (id int8 PRIMARY KEY, n int8 NOT NULL, s text)"); err != nil {
		b.Fatal(err)
	}
	for i := 1; i <= 100; i++ {
		if _, err := conn.Exec(ctx, "INSERT INTO c VALUES ($1, 0, $2)", i, fmt.Sprintf("row %d", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("update", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			if _, err := conn.Exec(ctx, "UPDATE c SET n = n + 1 WHERE id = $1", 1+i%100); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("select-100-rows", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			rows, err := conn.Query(ctx, "SELECT id, n, s FROM c")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			if rows.Err() != nil || n != 100 {
				b.Fatalf("%d rows, %v", n, rows.Err())
			}
		}
	})
}
