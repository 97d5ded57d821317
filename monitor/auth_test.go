package monitor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/monitor"
)

// get fetches path with basic auth of user:password (none when user is "") and returns the status and the
// challenge.
func get(t *testing.T, base, path, user, password string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

func TestHandler_BasicAuth(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	users := auth.NewStore(db)
	for _, u := range []struct{ name, role, db string }{
		{"mon", "clusterMonitor", "admin"},
		{"cadmin", "clusterAdmin", "admin"},
		{"boss", "root", "admin"},
		{"app", "readWrite", "shop"},
	} {
		err := users.CreateUser(ctx, auth.NewUser{Name: auth.UserName{User: u.name, DB: "admin"}, Password: u.name + "-pw",
			Roles: []auth.RoleName{{Role: u.role, DB: u.db}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	// Two dozen wrong passwords follow from one address: no failure delay here (TestHandler_BasicAuthFailureDelay).
	srv := httptest.NewServer(&monitor.Handler{DB: db, Users: users, AuthThrottle: &auth.Throttle{FreeFailures: 1000}})
	defer srv.Close()

	paths := []string{"/metrics", "/api/status", "/", "/app.js"}
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"no credentials are challenged", "", "", 401},
		{"a wrong password is challenged", "mon", "nope", 401},
		{"an unknown user is challenged", "ghost", "ghost-pw", 401},
		{"a user of another database is not found in admin", "app@shop", "app-pw", 401},
		{"clusterMonitor may monitor", "mon", "mon-pw", 200},
		{"clusterAdmin may monitor", "cadmin", "cadmin-pw", 200},
		{"root may monitor", "boss", "boss-pw", 200},
		{"readWrite may not monitor", "app", "app-pw", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, p := range paths {
				// Twice: the second answer may come from the remembered check and must be the same.
				for range 2 {
					code, challenge := get(t, srv.URL, p, tc.user, tc.password)
					if code != tc.want {
						t.Fatalf("GET %s as %q: %d, want %d", p, tc.user, code, tc.want)
					}
					if (code == 401) != strings.HasPrefix(challenge, "Basic realm=") {
						t.Fatalf("GET %s as %q: %d with WWW-Authenticate %q", p, tc.user, code, challenge)
					}
				}
			}
		})
	}
	t.Run("healthz needs no credentials", func(t *testing.T) {
		if code, _ := get(t, srv.URL, "/healthz", "", ""); code != 200 {
			t.Fatalf("GET /healthz: %d, want 200", code)
		}
	})
}

// A successful check is remembered (a scrape does not derive SCRAM keys again), and forgotten as soon as a user
// changes through the Store.
func TestHandler_BasicAuthRemembersUntilAUserChanges(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	users := auth.NewStore(db)
	mon := auth.UserName{User: "mon", DB: "admin"}
	monitorRole := []auth.RoleName{{Role: "clusterMonitor", DB: "admin"}}
	if err := users.CreateUser(ctx, auth.NewUser{Name: mon, Password: "pw", Roles: monitorRole}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&monitor.Handler{DB: db, Users: users})
	defer srv.Close()
	expect := func(user, password string, want int) {
		t.Helper()
		if code, _ := get(t, srv.URL, "/metrics", user, password); code != want {
			t.Fatalf("GET /metrics as %s: %d, want %d", user, code, want)
		}
	}
	expect("mon", "pw", 200)

	// Removed behind the Store's back (the generation does not move), the user still passes: the check was
	// remembered, not redone.
	if _, err := db.Database(auth.UsersDB).Collection(auth.UsersCollection).DeleteOne(ctx, bson.D{{Key: "_id", Value: "admin.mon"}}); err != nil {
		t.Fatal(err)
	}
	expect("mon", "pw", 200)

	// Any change through the Store forgets every remembered check.
	if err := users.CreateUser(ctx, auth.NewUser{Name: mon, Password: "pw2", Roles: monitorRole}); err != nil {
		t.Fatal(err)
	}
	expect("mon", "pw", 401)
	expect("mon", "pw2", 200)
	if err := users.RevokeRoles(ctx, mon, monitorRole); err != nil {
		t.Fatal(err)
	}
	expect("mon", "pw2", 403)
	pw := "pw3"
	if err := users.UpdateUser(ctx, mon, auth.UserUpdate{Password: &pw, Roles: &[]auth.RoleName{{Role: "root", DB: "admin"}}}); err != nil {
		t.Fatal(err)
	}
	expect("mon", "pw2", 401)
	expect("mon", "pw3", 200)
}

// TestHandler_BasicAuthFailureDelay: past its free failures an address's wrong passwords are answered only after
// the throttle's delay; the right password still works.
func TestHandler_BasicAuthFailureDelay(t *testing.T) {
	db := openDB(t)
	users := auth.NewStore(db)
	err := users.CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: "mon", DB: "admin"}, Password: "mon-pw",
		Roles: []auth.RoleName{{Role: "clusterMonitor", DB: "admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	const delay = 300 * time.Millisecond
	srv := httptest.NewServer(&monitor.Handler{DB: db, Users: users,
		AuthThrottle: &auth.Throttle{FreeFailures: 1, FirstDelay: delay, MaxDelay: delay}})
	defer srv.Close()
	if code, _ := get(t, srv.URL, "/metrics", "mon", "nope"); code != 401 {
		t.Fatalf("first wrong password: %d, want 401", code)
	}
	for i := range 2 {
		start := time.Now()
		code, _ := get(t, srv.URL, "/metrics", "mon", "nope")
		if took := time.Since(start); code != 401 || took < delay {
			t.Errorf("wrong password %d past the free one: %d after %v, want 401 after at least %v", i+2, code, took, delay)
		}
	}
	if code, _ := get(t, srv.URL, "/metrics", "mon", "mon-pw"); code != 200 {
		t.Errorf("the right password after the failures: %d, want 200", code)
	}
}
