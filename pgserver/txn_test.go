package pgserver_test

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// TestTxn_WriteConflictIs40001: two transaction blocks writing the same row;
// the second writer fails at once with 40001 and its block is failed, the
// first commits.
func TestTxn_WriteConflictIs40001(t *testing.T) {
	url, _ := startServer(t)
	a, b := connect(t, url), connect(t, url)
	ctx := context.Background()
	mustExec(t, a, "CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL)")
	mustExec(t, a, "INSERT INTO accounts VALUES ('x', 10)")
	ta, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Exec(ctx, "UPDATE accounts SET balance = balance + 1 WHERE id = 'x'"); err != nil {
		t.Fatal(err)
	}
	_, err = tb.Exec(ctx, "UPDATE accounts SET balance = balance + 100 WHERE id = 'x'")
	if sqlState(err) != "40001" {
		t.Fatalf("second writer: %v, want SQLSTATE 40001", err)
	}
	if st := b.PgConn().TxStatus(); st != 'E' {
		t.Fatalf("second writer's status %c, want E", st)
	}
	if err := ta.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tb.Commit(ctx); err == nil || !errors.Is(err, pgx.ErrTxCommitRollback) {
		t.Fatalf("commit of the failed block: %v, want a rollback", err)
	}
	assertRows(t, a, "SELECT balance FROM accounts", "11")
}

// TestTxn_TransfersConserveMoney: 16 clients move money between 8 accounts
// in REPEATABLE READ transactions, retried on 40001, through database/sql
// over pgx's stdlib driver; the total never changes and every committed
// transfer is counted.
func TestTxn_TransfersConserveMoney(t *testing.T) {
	url, _ := startServer(t)
	db, err := stdsql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(16)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE TABLE accounts (id int8 PRIMARY KEY, balance int8 NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if _, err := db.ExecContext(ctx, "INSERT INTO accounts VALUES ($1, 1000)", i); err != nil {
			t.Fatal(err)
		}
	}
	transfer := func(from, to, amount int) error {
		for {
			tx, err := db.BeginTx(ctx, &stdsql.TxOptions{Isolation: stdsql.LevelRepeatableRead})
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, "UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1", amount, from)
			if err == nil {
				if n, _ := res.RowsAffected(); n == 1 {
					_, err = tx.ExecContext(ctx, "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to)
				}
			}
			if err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "40001" {
				continue
			}
			return err
		}
	}
	errs := make(chan error, 16)
	for c := 0; c < 16; c++ {
		go func() {
			r := rand.New(rand.NewPCG(uint64(c), 1))
			for i := 0; i < 25; i++ {
				from, to := r.IntN(8), r.IntN(8)
				if from == to {
					continue
				}
				if err := transfer(from, to, 1+r.IntN(50)); err != nil {
					errs <- fmt.Errorf("transfer: %w", err)
					return
				}
			}
			errs <- nil
		}()
	}
	for c := 0; c < 16; c++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	var total, negative int64
	if err := db.QueryRowContext(ctx, "SELECT sum(balance), count(*) FILTER (WHERE balance < 0) FROM accounts").Scan(&total, &negative); err != nil {
		t.Fatal(err)
	}
	if total != 8000 || negative != 0 {
		t.Fatalf("total %d, %d negative balances", total, negative)
	}
}

// TestCancelRequest: a cancel request stops the running statement with
// 57014, and the connection goes on.
func TestCancelRequest(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	go func() {
		time.Sleep(200 * time.Millisecond)
		c.PgConn().CancelRequest(context.Background())
	}()
	start := time.Now()
	_, err := c.Exec(context.Background(), "SELECT pg_sleep(30)")
	if sqlState(err) != "57014" || time.Since(start) > 10*time.Second {
		t.Fatalf("pg_sleep(30) cancelled after 200ms: %v after %v", err, time.Since(start))
	}
	mustExec(t, c, "SELECT 1")
	if err := c.PgConn().CancelRequest(context.Background()); err != nil {
		t.Fatalf("cancel request with nothing running: %v", err)
	}
	mustExec(t, c, "SELECT 1")
}

// TestTxn_AutocommitUpdateWaits: an autocommit one-row UPDATE of a row an
// open transaction block has written waits for that block to end and then
// applies, as on the MongoDB port; it never fails with 40001.
func TestTxn_AutocommitUpdateWaits(t *testing.T) {
	url, _ := startServer(t)
	a, b := connect(t, url), connect(t, url)
	ctx := context.Background()
	mustExec(t, a, "CREATE TABLE counters (id text PRIMARY KEY, n int8 NOT NULL)")
	mustExec(t, a, "INSERT INTO counters VALUES ('x', 0)")
	ta, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ta.Exec(ctx, "UPDATE counters SET n = n + 1 WHERE id = 'x'"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		tag, err := b.Exec(ctx, "UPDATE counters SET n = n + 10 WHERE id = $1", "x")
		if err == nil && tag.RowsAffected() != 1 {
			err = fmt.Errorf("UPDATE %d", tag.RowsAffected())
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the autocommit UPDATE did not wait for the open block: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := ta.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("autocommit UPDATE after the block committed: %v", err)
	}
	assertRows(t, a, "SELECT n FROM counters", "11")
}
