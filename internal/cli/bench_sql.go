package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/sql"
)

// sqlTarget runs the workloads as SQL through one pgx pool, the same client code for Concord's PostgreSQL port
// and for PostgreSQL: the hot row is UPDATE ... SET n = n + 1, the spread updates the same on a random row of
// the table, and a transfer is a REPEATABLE READ transaction of two UPDATEs (the first checks the balance in its
// WHERE clause), retried from the start on 40001 (and on PostgreSQL's deadlock, 40P01).
type sqlTarget struct {
	name string
	pool *pgxpool.Pool
	// retries counts the transfers retried on 40001 (or 40P01) since Setup.
	retries atomic.Int64
	// closeFn stops what the target started (Concord's server and database).
	closeFn func()
}

// openSQLPool connects a pgx pool as the bench's clients do, with synchronous_commit on (Concord accepts and
// ignores it: its commits are always durable before they are acknowledged).
func openSQLPool(url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 256
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// openPostgresSQLTarget is PostgreSQL at url, checked to run with synchronous_commit on.
func openPostgresSQLTarget(url string) (*sqlTarget, error) {
	pool, err := openSQLPool(url)
	if err != nil {
		return nil, err
	}
	var sc string
	if err := pool.QueryRow(context.Background(), "SHOW synchronous_commit").Scan(&sc); err != nil || sc != "on" {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL synchronous_commit is %q (%v), want on", sc, err)
	}
	return &sqlTarget{name: "postgres-sql", pool: pool, closeFn: pool.Close}, nil
}

// openConcordSQLTarget opens a Concord database in dir (a temporary directory when dir is "") and serves it on
// a PostgreSQL port as `concord serve` does: loopback TCP, or a Unix-domain socket in a temporary directory when
// unix is set.
func openConcordSQLTarget(dir string, unix bool) (*sqlTarget, error) {
	var tmps []string
	removeTmps := func() {
		for _, d := range tmps {
			os.RemoveAll(d)
		}
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "concord-bench-sql-")
		if err != nil {
			return nil, err
		}
		tmps, dir = append(tmps, d), d
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		removeTmps()
		return nil, err
	}
	network, addr := "tcp", "127.0.0.1:0"
	if unix {
		d, err := os.MkdirTemp("", "concord-bench-sock-")
		if err != nil {
			db.Close()
			removeTmps()
			return nil, err
		}
		tmps, network, addr = append(tmps, d), "unix", pgSocketPath(d, 5432)
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		db.Close()
		removeTmps()
		return nil, err
	}
	srv := &pgserver.Server{Engine: sql.NewEngine(db), Logf: func(string, ...any) {}}
	go srv.Serve(l)
	closeAll := func() {
		srv.Close()
		db.Close()
		removeTmps()
	}
	url := "postgres://bench@" + l.Addr().String() + "/bench?sslmode=disable"
	if unix {
		url = "postgres://bench@/bench?host=" + neturl.QueryEscape(filepath.Dir(addr)) + "&port=5432&sslmode=disable"
	}
	pool, err := openSQLPool(url)
	if err != nil {
		closeAll()
		return nil, err
	}
	return &sqlTarget{name: "concord-sql", pool: pool, closeFn: func() { pool.Close(); closeAll() }}, nil
}

// overUnixSocket reports whether the PostgreSQL URL url reaches its server over a Unix-domain socket (its host
// is a directory, as libpq and pgx read it).
func overUnixSocket(url string) (bool, error) {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return false, err
	}
	return strings.HasPrefix(cfg.Host, "/"), nil
}

func (p *sqlTarget) Name() string { return p.name }

func (p *sqlTarget) Close() { p.closeFn() }

// Setup creates the workload's table afresh with plain SQL both systems run: multi-row INSERTs of 1,000 rows.
func (p *sqlTarget) Setup(ctx context.Context, workload string, cfg benchConfig) error {
	p.retries.Store(0)
	var table, cols string
	var rows int
	row := func(i int) string { return fmt.Sprintf("(%d, 0, '%s')", i, strings.Repeat("x", 100)) }
	switch workload {
	case "hot":
		table, cols, rows = "bench_hot", "id int8 PRIMARY KEY, n int8 NOT NULL", 1
		row = func(i int) string { return fmt.Sprintf("(%d, 0)", i+1) }
	case "spread":
		table, cols, rows = "bench_spread", "id int8 PRIMARY KEY, n int8 NOT NULL, pad text", cfg.docs
	case "transfer":
		table, cols, rows = "bench_accounts", "id int8 PRIMARY KEY, balance int8 NOT NULL", cfg.accounts
		row = func(i int) string { return fmt.Sprintf("(%d, %d)", i, initialBalance) }
	default:
		return fmt.Errorf("unknown workload %q", workload)
	}
	for _, s := range []string{"DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " (" + cols + ")"} {
		if _, err := p.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	for lo := 0; lo < rows; lo += 1000 {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for i := lo; i < min(rows, lo+1000); i++ {
			if i > lo {
				b.WriteString(", ")
			}
			b.WriteString(row(i))
		}
		if _, err := p.pool.Exec(ctx, b.String()); err != nil {
			return fmt.Errorf("loading %s: %w", table, err)
		}
	}
	if p.name == "postgres-sql" {
		if _, err := p.pool.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			return err
		}
	}
	return nil
}

func (p *sqlTarget) Hot(ctx context.Context) error {
	_, err := p.pool.Exec(ctx, "UPDATE bench_hot SET n = n + 1 WHERE id = 1")
	return err
}

func (p *sqlTarget) Spread(ctx context.Context, id int) error {
	_, err := p.pool.Exec(ctx, "UPDATE bench_spread SET n = n + 1 WHERE id = $1", id)
	return err
}

// Transfer moves amount from one account to another in a REPEATABLE READ transaction, retried on 40001.
func (p *sqlTarget) Transfer(ctx context.Context, from, to, amount int) error {
	for {
		err := pgx.BeginTxFunc(ctx, p.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, "UPDATE bench_accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", amount, from)
			if err != nil || tag.RowsAffected() == 0 {
				return err // insufficient funds: nothing moves
			}
			_, err = tx.Exec(ctx, "UPDATE bench_accounts SET balance = balance + $1 WHERE id = $2", amount, to)
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01") {
			p.retries.Add(1)
			continue
		}
		return err
	}
}

// Verify checks the workload's invariant; for transfers it also tells how many were retried.
func (p *sqlTarget) Verify(ctx context.Context, workload string, cfg benchConfig, acked int64) (string, error) {
	check, err := verifyTables(ctx, p.pool, workload, cfg, acked)
	if err == nil && workload == "transfer" && acked > 0 {
		check += fmt.Sprintf(", %.3f retries/op", float64(p.retries.Load())/float64(acked))
	}
	return check, err
}
