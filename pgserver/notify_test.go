package pgserver_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// runNotify checks LISTEN, UNLISTEN, NOTIFY and pg_notify between two connections to url, against Concord and
// PostgreSQL 15 alike: delivery with the sender's pid, to an idle listener and to the sender itself; a block's
// notifications sent at its commit, identical ones once, none after a rollback; LISTEN taking effect at commit;
// UNLISTEN; and the errors. A notification that must not arrive is checked by sending a marker after it: the
// marker must be the next one received.
func runNotify(t *testing.T, who, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	exec := func(c *pgx.Conn, q string) {
		t.Helper()
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %s: %v", who, q, err)
		}
	}
	next := func(c *pgx.Conn) string {
		t.Helper()
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("%s: waiting for a notification: %v", who, err)
		}
		return fmt.Sprintf("%s:%s", n.Channel, n.Payload)
	}
	expect := func(c *pgx.Conn, want ...string) {
		t.Helper()
		exec(b, "NOTIFY marker")
		var got []string
		for {
			s := next(c)
			if s == "marker:" {
				break
			}
			got = append(got, s)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: notifications %q, want %q", who, got, want)
		}
	}
	exec(a, "LISTEN jobs")
	exec(a, "LISTEN marker")
	// An idle listener is sent the notification at once, with the sender's pid.
	exec(b, "NOTIFY jobs, 'first'")
	n, err := a.WaitForNotification(ctx)
	if err != nil || n.Channel != "jobs" || n.Payload != "first" || n.PID != b.PgConn().PID() {
		t.Fatalf("%s: notification %+v (%v), want jobs/first from pid %d", who, n, err, b.PgConn().PID())
	}
	// A block's notifications go at commit, identical ones once; a rolled-back block's never.
	exec(b, "BEGIN")
	exec(b, "NOTIFY jobs, 'x'")
	exec(b, "NOTIFY jobs, 'x'")
	exec(b, "SELECT pg_notify('jobs', 'y')")
	exec(b, "COMMIT")
	exec(b, "BEGIN")
	exec(b, "NOTIFY jobs, 'rolled back'")
	exec(b, "ROLLBACK")
	expect(a, "jobs:x", "jobs:y")
	// The sender hears itself; a channel nobody listens on goes nowhere.
	exec(a, "NOTIFY jobs, 'self'")
	exec(a, "NOTIFY nobody, 'x'")
	expect(a, "jobs:self")
	// LISTEN in a block counts from its commit; a rolled-back one never.
	exec(a, "BEGIN")
	exec(a, "LISTEN later")
	exec(a, "COMMIT")
	exec(a, "BEGIN")
	exec(a, "LISTEN never")
	exec(a, "ROLLBACK")
	exec(b, "NOTIFY later, 'l'")
	exec(b, "NOTIFY never, 'n'")
	expect(a, "later:l")
	// ROLLBACK TO undoes the NOTIFY and LISTEN statements run since the savepoint (the driver backend has no
	// savepoints).
	if os.Getenv(backendEnv) != "driver" {
		exec(b, "BEGIN")
		exec(b, "NOTIFY later, 'kept'")
		exec(b, "SAVEPOINT s")
		exec(b, "NOTIFY later, 'undone'")
		exec(b, "ROLLBACK TO s")
		exec(b, "NOTIFY later, 'after'")
		exec(b, "COMMIT")
		expect(a, "later:kept", "later:after")
		exec(a, "BEGIN")
		exec(a, "SAVEPOINT s")
		exec(a, "LISTEN undone")
		exec(a, "ROLLBACK TO s")
		exec(a, "COMMIT")
		exec(b, "NOTIFY undone, 'u'")
		expect(a)
	}
	exec(a, "UNLISTEN jobs")
	exec(b, "NOTIFY jobs, 'gone'")
	expect(a)
	exec(a, "UNLISTEN *")
	exec(a, "LISTEN marker")
	exec(b, "NOTIFY later, 'gone too'")
	expect(a)
	for q, code := range map[string]string{
		"NOTIFY jobs, '" + strings.Repeat("p", 8000) + "'": "22023",
		"SELECT pg_notify('', 'x')":                        "22023",
	} {
		if _, err := b.Exec(ctx, q); sqlState(err) != code {
			t.Errorf("%s: %.40s: %v, want %s", who, q, err, code)
		}
	}
}

// TestNotify_ManyListeners: every one of 16 listening connections receives each of 50 notifications, in order.
func TestNotify_ManyListeners(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const listeners, notes = 16, 50
	var conns []*pgx.Conn
	for range listeners {
		c := connect(t, url)
		if _, err := c.Exec(ctx, "LISTEN feed"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	sender := connect(t, url)
	errs := make(chan error, listeners)
	for _, c := range conns {
		go func() {
			for i := range notes {
				n, err := c.WaitForNotification(ctx)
				if err != nil {
					errs <- err
					return
				}
				if n.Payload != fmt.Sprint(i) {
					errs <- fmt.Errorf("notification %d: payload %q", i, n.Payload)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := range notes {
		if _, err := sender.Exec(ctx, "SELECT pg_notify('feed', $1)", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	for range listeners {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestNotify_RightAfterAStatement: a notification sent while the listener's connection answers a statement (and
// so, now and then, just after it answered, while it turns to wait for the next one) still reaches it at once,
// 300 times over.
func TestNotify_RightAfterAStatement(t *testing.T) {
	url, _ := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, b := connect(t, url), connect(t, url)
	if _, err := a.Exec(ctx, "LISTEN ping"); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		sent := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, "NOTIFY ping")
			sent <- err
		}()
		if _, err := a.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := a.WaitForNotification(wctx)
		wcancel()
		if err != nil {
			t.Fatalf("notification %d did not arrive: %v", i, err)
		}
	}
}
