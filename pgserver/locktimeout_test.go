package pgserver_test

import (
	"context"
	"os"
	"testing"
	"time"
)

// runLockTimeoutRow checks lock_timeout on a wait for a row: an autocommitted UPDATE of a row another session's
// open transaction wrote fails with 55P03 once the wait has lasted lock_timeout, not at once and not when the
// other transaction ends, and changes nothing; without lock_timeout the same UPDATE waits and then applies.
func runLockTimeoutRow(t *testing.T, who, url string) {
	if os.Getenv(backendEnv) == "driver" {
		return // a MongoDB deployment does not say when a write waits for a transaction: lock_timeout bounds lock waits only
	}
	ctx := context.Background()
	a, b := connect(t, url), connect(t, url)
	for _, s := range []string{"DROP TABLE IF EXISTS ltr", "CREATE TABLE ltr (id int PRIMARY KEY, v int)", "INSERT INTO ltr VALUES (1, 0)"} {
		if _, err := a.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %s: %v", who, s, err)
		}
	}
	if _, err := a.Exec(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec(ctx, "UPDATE ltr SET v = 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Exec(ctx, "SET lock_timeout = '300ms'"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := b.Exec(ctx, "UPDATE ltr SET v = v + 10 WHERE id = 1")
	took := time.Since(start)
	if sqlState(err) != "55P03" || took < 250*time.Millisecond || took > 5*time.Second {
		t.Errorf("%s: UPDATE of a locked row under lock_timeout 300ms: %v after %v, want 55P03 after about 300ms", who, err, took)
	}
	if _, err := b.Exec(ctx, "RESET lock_timeout"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.Exec(ctx, "UPDATE ltr SET v = v + 100 WHERE id = 1")
		done <- err
	}()
	select {
	case err := <-done:
		t.Errorf("%s: UPDATE without lock_timeout did not wait: %v", who, err)
	case <-time.After(400 * time.Millisecond):
	}
	if _, err := a.Exec(ctx, "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("%s: UPDATE after the wait: %v", who, err)
	}
	var v int
	if err := a.QueryRow(ctx, "SELECT v FROM ltr WHERE id = 1").Scan(&v); err != nil || v != 101 {
		t.Errorf("%s: v = %d (%v), want 101: the timed-out UPDATE changed nothing, the waiting one applied", who, v, err)
	}
	if _, err := a.Exec(ctx, "DROP TABLE ltr"); err != nil {
		t.Fatal(err)
	}
}
