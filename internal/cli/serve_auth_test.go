package cli

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/certs/certstest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestServe_AuthTLS runs `concord serve --auth --tls-cert --tls-key`: the first user is created through the
// localhost exception over TLS, then used for CRUD; plaintext is refused; the HTTP port serves HTTPS only and
// requires basic auth of the user, except for /healthz; SIGHUP reloads the certificate.
func TestServe_AuthTLS(t *testing.T) {
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1")
	freeAddr := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	addr, httpAddr, pgAddr := freeAddr(), freeAddr(), freeAddr()
	done := make(chan error, 1)
	go func() {
		done <- Serve([]string{"--dir", t.TempDir(), "--addr", addr, "--auth", "--unix-socket-dir", "", "--tls-cert", certFile, "--tls-key", keyFile,
			"--http-addr", httpAddr, "--pg-addr", pgAddr})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	connect := func(creds string, cfg *tls.Config, timeout time.Duration) *mongo.Client {
		opts := options.Client().ApplyURI("mongodb://" + creds + addr + "/").SetServerSelectionTimeout(timeout)
		if cfg != nil {
			opts.SetTLSConfig(cfg)
		}
		c, err := mongo.Connect(opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Disconnect(context.Background()) })
		return c
	}
	anon := connect("", &tls.Config{RootCAs: ca.Pool}, 10*time.Second)
	if err := anon.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "admin"}, {Key: "pwd", Value: "pw"}, {Key: "roles", Value: bson.A{"root"}}}).Err(); err != nil {
		t.Fatalf("createUser through the localhost exception: %v", err)
	}
	admin := connect("admin:pw@", &tls.Config{RootCAs: ca.Pool}, 5*time.Second)
	coll := admin.Database("shop").Collection("orders")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("authenticated insert: %v", err)
	}
	if n, err := coll.CountDocuments(ctx, bson.D{}); err != nil || n != 1 {
		t.Fatalf("count = %d, %v", n, err)
	}
	if err := connect("admin:pw@", nil, time.Second).Ping(ctx, nil); err == nil {
		t.Error("a plaintext client was served")
	}

	// The PostgreSQL port: the same user over TLS; a wrong password and plaintext refused.
	pc := pgConnectRetry(t, ctx, pgTLS(t, "admin", "pw", pgAddr, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"}))
	var n int64
	if err := pc.QueryRow(ctx, "SELECT count(*) FROM orders").Scan(&n); err != nil || n != 1 {
		t.Fatalf("SQL count over TLS = %d, %v", n, err)
	}
	var pe *pgconn.PgError
	if _, err := pgx.ConnectConfig(ctx, pgTLS(t, "admin", "bad", pgAddr, &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})); !errorAs(err, &pe) || pe.Code != "28P01" {
		t.Errorf("SQL with a wrong password: %v, want 28P01", err)
	}
	if _, err := pgx.ConnectConfig(ctx, pgTLS(t, "admin", "pw", pgAddr, nil)); !errorAs(err, &pe) || pe.Code != "28000" {
		t.Errorf("SQL in plaintext: %v, want 28000", err)
	}

	// The HTTP port: HTTPS with the same certificate, the same users.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool}}}
	status := func(url, user, password string) int {
		t.Helper()
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	base := "https://" + httpAddr
	for _, c := range []struct {
		path, user, password string
		want                 int
	}{
		{"/metrics", "", "", 401},
		{"/metrics", "admin", "wrong", 401},
		{"/metrics", "admin", "pw", 200},
		{"/api/status", "admin", "pw", 200},
		{"/", "admin", "pw", 200},
		{"/healthz", "", "", 200},
	} {
		if got := status(base+c.path, c.user, c.password); got != c.want {
			t.Errorf("GET %s as %q: %d, want %d", c.path, c.user, got, c.want)
		}
	}
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + httpAddr + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plaintext HTTP was served")
		}
	}

	next := certstest.NewCA(t, "next")
	nextCert, nextKey := next.Issue(t, "server2", "127.0.0.1")
	for src, dst := range map[string]string{nextCert: certFile, nextKey: keyFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	reloaded := false
	for i := 0; i < 50 && !reloaded; i++ {
		c := connect("admin:pw@", &tls.Config{RootCAs: next.Pool}, 500*time.Millisecond)
		reloaded = c.Ping(ctx, nil) == nil
	}
	if !reloaded {
		t.Error("after SIGHUP the new certificate is not served")
	}

	sigtermAndWait(t, ctx, done, "Serve")
}
