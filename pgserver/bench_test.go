package pgserver_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/cputime"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchServer serves a database opened with opts in a temporary directory on a loopback port until the
// benchmark ends, and returns it with the URL a pgx client connects to.
func benchServer(b *testing.B, opts *concord.Options) (*concord.DB, string) {
	db, err := concord.Open(b.TempDir(), opts)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		b.Fatal(err)
	}
	srv := &pgserver.Server{Engine: sql.NewEngine(db), Logf: b.Logf}
	go srv.Serve(l)
	b.Cleanup(func() {
		srv.Close()
		db.Close()
	})
	return db, "postgres://bench@" + l.Addr().String() + "/bench?sslmode=disable"
}

// BenchmarkServer is one statement over the PostgreSQL protocol through
// pgx, as `concord bench --sql` runs them, on a database that does not wait
// for the fsync: the per-statement cost of the server's execution and
// result path (and pgx's, in the same process; allocs/op counts both).
func BenchmarkServer(b *testing.B) {
	ctx := context.Background()
	_, url := benchServer(b, &concord.Options{NoSync: true})
	conn, err := pgx.Connect(ctx, url)
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

// BenchmarkServer_Concurrent runs the bench's SQL workloads (concord bench --sql) with 32 pgx clients on a
// durable database: spread updates over 100,000 rows, and REPEATABLE READ transfers between 1,000 accounts. It
// reports the process's CPU time per operation (server and pgx clients together, as the bench measures them),
// which stays meaningful on a shared machine where throughput does not, and the mean time a commit waited for
// the WAL fsync covering it.
func BenchmarkServer_Concurrent(b *testing.B) {
	ctx := context.Background()
	db, url := benchServer(b, nil)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 64
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	load := func(table, cols string, n int, row func(int) string) {
		if _, err := pool.Exec(ctx, "CREATE TABLE "+table+" ("+cols+")"); err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < n; lo += 1000 {
			var sb strings.Builder
			sb.WriteString("INSERT INTO " + table + " VALUES ")
			for i := lo; i < min(n, lo+1000); i++ {
				if i > lo {
					sb.WriteString(", ")
				}
				sb.WriteString(row(i))
			}
			if _, err := pool.Exec(ctx, sb.String()); err != nil {
				b.Fatal(err)
			}
		}
	}
	const rows, accounts, clients = 100_000, 1_000, 32
	var spreadLoaded, accountsLoaded sync.Once
	run := func(b *testing.B, op func(r *rand.Rand) error) {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		cpu0, sync0 := cputime.Process(), db.Contention().SyncWaitTime
		b.ResetTimer()
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(c), 1))
				for next.Add(1) <= int64(b.N) {
					if err := op(r); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		b.StopTimer()
		b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N)/1e3, "cpu-us/op")
		if sw := db.Contention().SyncWaitTime; sw.Count > sync0.Count {
			b.ReportMetric(float64(sw.Sum-sync0.Sum)/float64(sw.Count-sync0.Count)/1e3, "sync-wait-us")
		}
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	b.Run("spread", func(b *testing.B) {
		spreadLoaded.Do(func() {
			load("spread", "id int8 PRIMARY KEY, n int8 NOT NULL, pad text", rows,
				func(i int) string { return fmt.Sprintf("(%d, 0, '%s')", i, strings.Repeat("x", 100)) })
		})
		run(b, func(r *rand.Rand) error {
			tag, err := pool.Exec(ctx, "UPDATE spread SET n = n + 1 WHERE id = $1", r.IntN(rows))
			if err == nil && tag.RowsAffected() != 1 {
				err = fmt.Errorf("updated %d rows", tag.RowsAffected())
			}
			return err
		})
	})
	b.Run("transfer", func(b *testing.B) {
		accountsLoaded.Do(func() {
			load("accounts", "id int8 PRIMARY KEY, balance int8 NOT NULL", accounts,
				func(i int) string { return fmt.Sprintf("(%d, 1000)", i) })
		})
		run(b, func(r *rand.Rand) error {
			from, to := r.IntN(accounts), r.IntN(accounts)
			for {
				err := pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
					tag, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", 1, from)
					if err != nil || tag.RowsAffected() == 0 {
						return err
					}
					_, err = tx.Exec(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", 1, to)
					return err
				})
				var pgErr *pgconn.PgError
				if errors.As(err, &pgErr) && pgErr.Code == "40001" {
					continue
				}
				return err
			}
		})
		var total int64
		if err := pool.QueryRow(ctx, "SELECT sum(balance) FROM accounts").Scan(&total); err != nil || total != accounts*1000 {
			b.Fatalf("total %d, %v", total, err)
		}
	})
}
