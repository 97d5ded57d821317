package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// postgresTarget runs the workloads on PostgreSQL with synchronous_commit on, so that every acknowledged
// statement is durable, as Concord's are. A hot row is updated with UPDATE ... SET n = n + 1; transfers run in
// READ COMMITTED transactions that lock the two rows in id order (no deadlocks) and retry on serialization failure.
type postgresTarget struct {
	pool *pgxpool.Pool
}

func openPostgresTarget(url string) (*postgresTarget, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 256
	cfg.ConnConfig.RuntimeParams["synchronous_commit"] = "on"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	var sc string
	if err := pool.QueryRow(context.Background(), "SHOW synchronous_commit").Scan(&sc); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if sc != "on" {
		pool.Close()
		return nil, fmt.Errorf("PostgreSQL synchronous_commit is %q, want on", sc)
	}
	return &postgresTarget{pool: pool}, nil
}

func (p *postgresTarget) Name() string { return "postgres" }

func (p *postgresTarget) Close() { p.pool.Close() }

func (p *postgresTarget) Setup(ctx context.Context, workload string, cfg benchConfig) error {
	var stmts []string
	switch workload {
	case "hot":
		stmts = []string{
			"DROP TABLE IF EXISTS bench_hot",
			"CREATE TABLE bench_hot (id int PRIMARY KEY, n bigint NOT NULL)",
			"INSERT INTO bench_hot VALUES (1, 0)",
		}
	case "spread":
		stmts = []string{
			"DROP TABLE IF EXISTS bench_spread",
			"CREATE TABLE bench_spread (id int PRIMARY KEY, n bigint NOT NULL, pad text)",
			fmt.Sprintf("INSERT INTO bench_spread SELECT g, 0, repeat('x', 100) FROM generate_series(0, %d) g", cfg.docs-1),
			"VACUUM ANALYZE bench_spread",
		}
	case "transfer":
		stmts = []string{
			"DROP TABLE IF EXISTS bench_accounts",
			"CREATE TABLE bench_accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
			fmt.Sprintf("INSERT INTO bench_accounts SELECT g, %d FROM generate_series(0, %d) g", initialBalance, cfg.accounts-1),
			"VACUUM ANALYZE bench_accounts",
		}
	}
	for _, s := range stmts {
		if _, err := p.pool.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func (p *postgresTarget) Hot(ctx context.Context) error {
	_, err := p.pool.Exec(ctx, "UPDATE bench_hot SET n = n + 1 WHERE id = 1")
	return err
}

func (p *postgresTarget) Spread(ctx context.Context, id int) error {
	_, err := p.pool.Exec(ctx, "UPDATE bench_spread SET n = n + 1 WHERE id = $1", id)
	return err
}

func (p *postgresTarget) Transfer(ctx context.Context, from, to, amount int) error {
	for {
		err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			lo, hi := from, to
			if lo > hi {
				lo, hi = hi, lo
			}
			// Lock both rows in id order so concurrent transfers never deadlock.
			rows, err := tx.Query(ctx, "SELECT id, balance FROM bench_accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE", lo, hi)
			if err != nil {
				return err
			}
			var fromBal int64
			for rows.Next() {
				var id int
				var bal int64
				if err := rows.Scan(&id, &bal); err != nil {
					rows.Close()
					return err
				}
				if id == from {
					fromBal = bal
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if fromBal < int64(amount) {
				return nil // insufficient funds: nothing moves, as in Concord's workload
			}
			if _, err := tx.Exec(ctx, "UPDATE bench_accounts SET balance = balance - $2 WHERE id = $1", from, amount); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, "UPDATE bench_accounts SET balance = balance + $2 WHERE id = $1", to, amount)
			return err
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01") {
			continue
		}
		return err
	}
}

func (p *postgresTarget) Verify(ctx context.Context, workload string, cfg benchConfig, acked int64) (string, error) {
	return verifyTables(ctx, p.pool, workload, cfg, acked)
}

// verifyTables checks the bench tables through pool after a measurement, for PostgreSQL and Concord's SQL port
// alike: no acknowledged increment lost, money conserved and never negative.
func verifyTables(ctx context.Context, pool *pgxpool.Pool, workload string, cfg benchConfig, acked int64) (string, error) {
	switch workload {
	case "hot":
		var n int64
		if err := pool.QueryRow(ctx, "SELECT n FROM bench_hot WHERE id = 1").Scan(&n); err != nil {
			return "", err
		}
		if n != acked {
			return "", fmt.Errorf("lost updates: counter %d, acknowledged %d", n, acked)
		}
		return fmt.Sprintf("counter=%d=acked", n), nil
	case "spread":
		var n int64
		if err := pool.QueryRow(ctx, "SELECT sum(n) FROM bench_spread").Scan(&n); err != nil {
			return "", err
		}
		if n != acked {
			return "", fmt.Errorf("lost updates: sum %d, acknowledged %d", n, acked)
		}
		return fmt.Sprintf("sum=%d=acked", n), nil
	default:
		var sum, neg int64
		if err := pool.QueryRow(ctx, "SELECT sum(balance), count(*) FILTER (WHERE balance < 0) FROM bench_accounts").Scan(&sum, &neg); err != nil {
			return "", err
		}
		if want := int64(cfg.accounts * initialBalance); sum != want || neg != 0 {
			return "", fmt.Errorf("transfers broke invariants: total %d (want %d), %d negative", sum, want, neg)
		}
		return fmt.Sprintf("total=%d conserved", sum), nil
	}
}
