package server_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/server"
)

// TestAuthThrottle_ConcurrentLogins: with room for one SCRAM step at a time, many drivers authenticating at
// once all get their answer (the excess waits for a slot): every right password works, every wrong one gets
// AuthenticationFailed.
func TestAuthThrottle_ConcurrentLogins(t *testing.T) {
	throttle := &auth.Throttle{MaxConcurrent: 1, FreeFailures: 1000}
	e := newAuthEnv(t, func(s *server.Server) { s.AuthThrottle = throttle })
	e.addUser(t, "app", "admin", "pw", nil, root)
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			password := "pw"
			if i%2 == 1 {
				password = "wrong"
			}
			c := connectAs(t, e.addr, "app", password, "&maxPoolSize=1")
			_, err := c.Database("t").Collection("c").InsertOne(context.Background(), bson.D{})
			if want := map[string]int{"pw": 0, "wrong": 18}[password]; serverCode(err) != want {
				t.Errorf("client %d (%s): %v, want code %d", i, password, err, want)
			}
		}()
	}
	wg.Wait()
}

// TestAuthThrottle_FailureDelay: past its free failures, an address's failures are answered only after the
// delay; a success forgets them.
func TestAuthThrottle_FailureDelay(t *testing.T) {
	const delay = 400 * time.Millisecond
	throttle := &auth.Throttle{FreeFailures: 1, FirstDelay: delay, MaxDelay: delay}
	e := newAuthEnv(t, func(s *server.Server) { s.AuthThrottle = throttle })
	e.addUser(t, "app", "admin", "pw", nil, root)
	ctx := context.Background()
	try := func(password string) (time.Duration, error) {
		c := connectAs(t, e.addr, "app", password, "&maxPoolSize=1")
		start := time.Now()
		err := c.Ping(ctx, nil)
		return time.Since(start), err
	}
	if _, err := try("wrong"); serverCode(err) != 18 {
		t.Fatalf("first failure: %v", err)
	}
	for i := range 2 {
		took, err := try("wrong")
		if serverCode(err) != 18 {
			t.Fatalf("failure %d: %v", i+2, err)
		}
		if took < delay {
			t.Errorf("failure %d answered after %v, want at least %v", i+2, took, delay)
		}
	}
	if _, err := try("pw"); err != nil {
		t.Fatalf("right password after the failures: %v", err)
	}
	if !strings.Contains(e.log.String(), "Authentication failed") {
		t.Error("no log line for the failures")
	}
}
