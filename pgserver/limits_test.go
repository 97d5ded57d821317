package pgserver_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/server"
)

// TestLimits_ConcurrentAuthWaits: with room for one SCRAM step at a time,
// many clients authenticating at once all get their answer (the excess
// waits for a slot, it is not refused): every right password connects,
// every wrong one gets 28P01.
func TestLimits_ConcurrentAuthWaits(t *testing.T) {
	t.Parallel()
	throttle := &auth.Throttle{MaxConcurrent: 1, FreeFailures: 1000}
	e := newAuthEnv(t, nil, func(_ *server.Server, p *pgserver.Server) { p.AuthThrottle = throttle })
	e.addUser(t, "app", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			password := "pw"
			if i%2 == 1 {
				password = "wrong"
			}
			c, err := e.pgConnect("app", password, "shop", nil)
			if password == "pw" {
				if err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				if _, err := c.Exec(context.Background(), "SELECT 1"); err != nil {
					t.Errorf("client %d: %v", i, err)
				}
				c.Close(context.Background())
				return
			}
			if pe := pgError(t, err); pe.Code != "28P01" {
				t.Errorf("client %d with a wrong password: %s %s, want 28P01", i, pe.Code, pe.Message)
			}
		}()
	}
	wg.Wait()
}

// TestLimits_FailureDelay: after its free failures, an address's next
// failures are reported only after the delay (PostgreSQL's auth_delay),
// and both ports count the failures of one throttle together; a right
// password still connects afterwards.
func TestLimits_FailureDelay(t *testing.T) {
	t.Parallel()
	const delay = 400 * time.Millisecond
	throttle := &auth.Throttle{FreeFailures: 2, FirstDelay: delay, MaxDelay: delay}
	e := newAuthEnv(t, nil, func(m *server.Server, p *pgserver.Server) {
		m.AuthThrottle = throttle
		p.AuthThrottle = throttle
	})
	e.addUser(t, "app", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	// Two failures on the MongoDB port use the address's free ones.
	for range 2 {
		c := e.mongoAs(t, "app", "wrong")
		if err := c.Ping(context.Background(), nil); err == nil {
			t.Fatal("a wrong password authenticated on the MongoDB port")
		}
	}
	for i := range 2 {
		start := time.Now()
		_, err := e.pgConnect("app", "wrong", "shop", nil)
		took := time.Since(start)
		if pe := pgError(t, err); pe.Code != "28P01" {
			t.Fatalf("failure %d: %s %s, want 28P01", i, pe.Code, pe.Message)
		}
		if took < delay {
			t.Errorf("failure %d past the free ones answered after %v, want at least %v", i, took, delay)
		}
	}
	c := e.mustConnect(t, "app", "pw", "shop")
	if _, err := c.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
}

// TestLimits_StartupTimeout: PostgreSQL's authentication_timeout. A client
// that stops after the startup message, or in the middle of the SASL
// exchange, is disconnected once StartupTimeout passes; one that
// authenticated in time stays connected past it.
func TestLimits_StartupTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 3 * time.Second
	e := newAuthEnv(t, nil, func(_ *server.Server, p *pgserver.Server) { p.StartupTimeout = timeout })
	e.addUser(t, "app", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})

	dial := func() (net.Conn, *pgproto3.Frontend) {
		nc, err := net.DialTimeout("tcp", e.pgAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "app", "database": "shop"}})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		m, err := fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := m.(*pgproto3.AuthenticationSASL); !ok {
			t.Fatalf("after the startup message: %T, want AuthenticationSASL", m)
		}
		return nc, fe
	}
	// closedWithin checks the server closes nc, and not long before the timeout.
	closedWithin := func(what string, nc net.Conn, start time.Time) {
		t.Helper()
		_, err := io.ReadAll(nc)
		took := time.Since(start)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("%s: the server kept the connection for %v", what, took)
			return
		}
		if took < timeout-50*time.Millisecond {
			t.Errorf("%s: closed after %v, before the timeout %v", what, took, timeout)
		}
	}

	start := time.Now()
	silent, _ := dial()
	closedWithin("silent after the startup message", silent, start)

	start = time.Now()
	mid, fe := dial()
	// A client-first message, then nothing: the server waits for the proof.
	fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: auth.SCRAMSHA256, Data: []byte("n,,n=,r=abcdefghijklmnopqrstuvwx")})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	if m, err := fe.Receive(); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*pgproto3.AuthenticationSASLContinue); !ok {
		t.Fatalf("after the client-first message: %T, want AuthenticationSASLContinue", m)
	}
	closedWithin("silent in the SASL exchange", mid, start)

	// On a saturated machine under -race, SCRAM at 15000 iterations on both sides may itself take longer than
	// the timeout; a connection that did authenticate in time is what the check needs.
	var c *pgx.Conn
	for attempt := 1; ; attempt++ {
		var err error
		if c, err = e.pgConnect("app", "pw", "shop", nil); err == nil {
			break
		}
		if attempt == 5 {
			t.Fatalf("no authentication within the timeout in %d attempts: %v", attempt, err)
		}
	}
	defer c.Close(context.Background())
	time.Sleep(timeout + timeout/4)
	if _, err := c.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Errorf("an authenticated connection after the startup timeout: %v", err)
	}
}
