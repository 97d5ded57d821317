package cli

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/certs/certstest"
)

// socketDir is a directory for Unix-domain sockets with a short path: a socket's path must fit in 108 bytes,
// which t.TempDir's long names may not leave room for.
func socketDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "cs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// TestListenUnix: a socket file no server accepts on is replaced; one a live server accepts on, or a file that
// is not a socket, is refused; the file gets the mode asked for and goes when the listener is closed.
func TestListenUnix(t *testing.T) {
	dir := socketDir(t)
	path := filepath.Join(dir, "s.sock")

	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close() // as a killed process leaves its socket
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket is gone before the test: %v", err)
	}
	l, err := listenUnix(path, 0o700, false)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o700 {
		t.Fatalf("socket file: %v, %v; want a socket of mode 0700", st.Mode(), err)
	}
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	if _, err := listenUnix(path, 0o700, false); err == nil {
		t.Error("a second listener took a live server's socket")
	}
	if err := <-accepted; err != nil {
		t.Fatalf("the live server did not see the probe's connection: %v", err)
	}
	l.Close()
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Errorf("the socket file outlives its listener: %v", err)
	}

	// Closing leaves alone a socket file another server has put at the path since.
	l, err = listenUnix(path, 0o700, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	other, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	l.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("closing removed another server's socket: %v", err)
	}
	other.Close()

	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listenUnix(plain, 0o700, false); err == nil {
		t.Error("a regular file was replaced by a socket")
	}
	if data, err := os.ReadFile(plain); err != nil || string(data) != "x" {
		t.Errorf("the regular file was changed: %q, %v", data, err)
	}
}

// TestListenUnix_LockFile: with a lock, the socket has PostgreSQL's lock file beside it, holding the process id;
// a lock file of a live process other than this one is refused (the socket untouched), one of a process that is
// gone is replaced; closing removes it.
func TestListenUnix_LockFile(t *testing.T) {
	dir := socketDir(t)
	path := pgSocketPath(dir, 5999)
	lock := path + ".lock"
	l, err := listenUnix(path, 0o777, true)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(lock)
	if err != nil || strings.TrimSpace(string(data)) != fmt.Sprint(os.Getpid()) {
		t.Fatalf("lock file %q, %v; want this process's id", data, err)
	}
	if st, err := os.Lstat(path); err != nil || st.Mode().Perm() != 0o777 {
		t.Fatalf("socket %v, %v", st, err)
	}
	l.Close()
	for _, p := range []string{path, lock} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s outlives the listener: %v", p, err)
		}
	}

	// A live process's lock (the parent's: a process other than this one that outlives the test).
	if err := os.WriteFile(lock, []byte(fmt.Sprintf("%d\n%s\n", os.Getppid(), dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := listenUnix(path, 0o777, true); err == nil || !strings.Contains(err.Error(), fmt.Sprint(os.Getppid())) {
		t.Errorf("a live process's lock file: %v, want an error naming its PID", err)
	}
	if _, err := os.Lstat(lock); err != nil {
		t.Errorf("the live process's lock file was removed: %v", err)
	}
	// A process that is gone: a PID past the kernel's bound.
	if err := os.WriteFile(lock, []byte("2147483647\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err = listenUnix(path, 0o777, true)
	if err != nil {
		t.Fatalf("a dead process's lock file: %v", err)
	}
	l.Close()
}

// TestServe_UnixSockets runs `concord serve --auth --tls-cert ... --unix-socket-dir DIR`: the MongoDB port's
// socket mongodb-<port>.sock and the PostgreSQL port's .s.PGSQL.<port> serve plaintext while the TCP ports
// require TLS, as mongod's and PostgreSQL's do; a client there is local (the localhost exception applies, and
// pg_stat_activity shows no address and port -1); SIGTERM removes both files.
func TestServe_UnixSockets(t *testing.T) {
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1")
	freePort := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	port, pgPort := freePort(), freePort()
	dir := socketDir(t)
	done := make(chan error, 1)
	go func() {
		done <- Serve([]string{"--dir", t.TempDir(), "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--auth",
			"--tls-cert", certFile, "--tls-key", keyFile, "--http-addr", "", "--pg-addr", fmt.Sprintf("127.0.0.1:%d", pgPort),
			"--unix-socket-dir", dir})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mongoSock, pgSock := filepath.Join(dir, fmt.Sprintf("mongodb-%d.sock", port)), filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", pgPort))
	for _, p := range []struct {
		path string
		mode os.FileMode
	}{{mongoSock, 0o700}, {pgSock, 0o777}} {
		for {
			st, err := os.Lstat(p.path)
			if err == nil {
				if st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != p.mode {
					t.Errorf("%s: mode %v, want a socket of %v", p.path, st.Mode(), p.mode)
				}
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("no socket %s: %v", p.path, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	if _, err := os.Lstat(pgSock + ".lock"); err != nil {
		t.Errorf("no PostgreSQL lock file beside the socket: %v", err)
	}

	connect := func(creds string) *mongo.Client {
		c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + creds + url.PathEscape(mongoSock) + "/?directConnection=true").
			SetServerSelectionTimeout(10 * time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Disconnect(context.Background()) })
		return c
	}
	anon := connect("")
	if err := anon.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "admin"}, {Key: "pwd", Value: "pw"}, {Key: "roles", Value: bson.A{"root"}}}).Err(); err != nil {
		t.Fatalf("createUser through the localhost exception on the socket: %v", err)
	}
	admin := connect("admin:pw@")
	if _, err := admin.Database("shop").Collection("orders").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatalf("authenticated insert on the socket: %v", err)
	}
	var me struct {
		You string `bson:"you"`
	}
	if err := admin.Database("admin").RunCommand(ctx, bson.D{{Key: "whatsmyuri", Value: 1}}).Decode(&me); err != nil || me.You != "anonymous unix socket:27017" {
		t.Errorf("whatsmyuri = %q, %v; want mongod's name of a socket's client, port 27017 whatever the socket's", me.You, err)
	}

	pgURL := fmt.Sprintf("postgres://admin:pw@/shop?host=%s&port=%d&sslmode=disable", url.QueryEscape(dir), pgPort)
	pc, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatalf("SQL in plaintext on the socket: %v", err)
	}
	defer pc.Close(context.Background())
	var n int64
	var noAddr, noInet bool
	var clientPort int32
	if err := pc.QueryRow(ctx, `SELECT (SELECT count(*) FROM orders), client_addr IS NULL, client_port, inet_client_addr() IS NULL
		FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&n, &noAddr, &clientPort, &noInet); err != nil {
		t.Fatal(err)
	}
	if n != 1 || !noAddr || clientPort != -1 || !noInet {
		t.Errorf("count %d, client_addr NULL %v, client_port %d, inet_client_addr NULL %v; want 1, true, -1, true", n, noAddr, clientPort, noInet)
	}
	if _, err := pgx.Connect(ctx, fmt.Sprintf("postgres://admin:bad@/shop?host=%s&port=%d&sslmode=disable", url.QueryEscape(dir), pgPort)); sqlStateOf(err) != "28P01" {
		t.Errorf("a wrong password on the socket: %v, want 28P01", err)
	}
	// An SSLRequest on the socket is answered 'N' though the server has a certificate: PostgreSQL offers no TLS
	// on a Unix-domain socket (and libpq and pgx ask for none there).
	raw, err := net.Dial("unix", pgSock)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Write([]byte{0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f}); err != nil {
		t.Fatal(err)
	}
	answer := make([]byte, 1)
	raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := raw.Read(answer); err != nil || answer[0] != 'N' {
		t.Errorf("SSLRequest on the socket answered %q, %v; want N", answer, err)
	}
	// The TCP port still refuses plaintext.
	if _, err := pgx.ConnectConfig(ctx, pgTLS(t, "admin", "pw", fmt.Sprintf("127.0.0.1:%d", pgPort), nil)); sqlStateOf(err) != "28000" {
		t.Errorf("SQL in plaintext over TCP: %v, want 28000", err)
	}
	if _, err := pgx.ConnectConfig(ctx, pgTLS(t, "admin", "pw", fmt.Sprintf("127.0.0.1:%d", pgPort), &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})); err != nil {
		t.Errorf("SQL over TLS: %v", err)
	}

	sigtermAndWait(t, ctx, done, "Serve")
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Errorf("the socket directory holds %v after the server (%v); want nothing", left, err)
	}
}

// TestServe_UnixSocketInUse: `concord serve` refuses to start when the socket it was asked for is a live
// server's, and names it.
func TestServe_UnixSocketInUse(t *testing.T) {
	dir := socketDir(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	busy, err := net.Listen("unix", mongoSocketPath(dir, port))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	go func() {
		for {
			c, err := busy.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	err = Serve([]string{"--dir", t.TempDir(), "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--pg-addr", "",
		"--http-addr", "", "--unix-socket-dir", dir})
	if err == nil || !strings.Contains(err.Error(), mongoSocketPath(dir, port)) {
		t.Fatalf("Serve = %v, want an error naming the socket", err)
	}
}
