package pgserver_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/certs"
	"github.com/concorddb/concord/certs/certstest"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/sql"
)

// authEnv is one database served with --auth on both ports, sharing one
// user store, as `concord serve --auth` wires them.
type authEnv struct {
	users   *auth.Store
	pgAddr  string
	mgoAddr string
	logs    *lockedLog
}

type lockedLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *lockedLog) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// newAuthEnv serves a fresh database; configure, when given, adjusts the
// servers before they serve.
func newAuthEnv(t *testing.T, tlsCfg *tls.Config, configure ...func(*server.Server, *pgserver.Server)) *authEnv {
	t.Helper()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	users := auth.NewStore(db)
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	msrv := &server.Server{DB: db, Auth: true, Users: users}
	psrv := &pgserver.Server{Engine: sql.NewEngine(db), Auth: true, Users: users, TLSConfig: tlsCfg, Logf: logs.logf}
	for _, fn := range configure {
		fn(msrv, psrv)
	}
	go msrv.Serve(ml)
	go psrv.Serve(pl)
	t.Cleanup(func() {
		psrv.Close()
		msrv.Close()
		db.Close()
	})
	return &authEnv{users: users, pgAddr: pl.Addr().String(), mgoAddr: ml.Addr().String(), logs: logs}
}

func (e *authEnv) addUser(t *testing.T, name, password string, roles ...auth.RoleName) {
	t.Helper()
	err := e.users.CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: name, DB: "admin"}, Password: password, Roles: roles})
	if err != nil {
		t.Fatal(err)
	}
}

// pgConnect connects as user to database db; tlsCfg nil means plaintext.
func (e *authEnv) pgConnect(user, password, db string, tlsCfg *tls.Config) (*pgx.Conn, error) {
	mode := "disable"
	if tlsCfg != nil {
		mode = "require"
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: e.pgAddr, Path: "/" + db,
		RawQuery: "sslmode=" + mode}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		return nil, err
	}
	cfg.TLSConfig = tlsCfg
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

func (e *authEnv) mustConnect(t *testing.T, user, password, db string) *pgx.Conn {
	t.Helper()
	c, err := e.pgConnect(user, password, db, nil)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgError returns err's *pgconn.PgError, failing the test when there is none.
func pgError(t *testing.T, err error) *pgconn.PgError {
	t.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("want a PostgreSQL error, got %v", err)
	}
	return pe
}

func TestAuth_SCRAM(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, nil)
	e.addUser(t, "app", "s3cret", auth.RoleName{Role: "readWrite", DB: "shop"})
	c := e.mustConnect(t, "app", "s3cret", "shop")
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE orders (id text PRIMARY KEY, n int8)"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, "INSERT INTO orders VALUES ('a', 1)"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := c.QueryRow(ctx, "SELECT n FROM orders WHERE id = 'a'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("select: %d %v", n, err)
	}
	var super string
	if err := c.QueryRow(ctx, "SHOW is_superuser").Scan(&super); err == nil && super != "off" {
		t.Errorf("is_superuser = %q for a user with readWrite", super)
	}

	for _, tc := range []struct{ name, user, password string }{
		{"a wrong password", "app", "wrong"},
		{"an unknown user", "nobody", "s3cret"},
		{"an empty password", "app", ""},
	} {
		_, err := e.pgConnect(tc.user, tc.password, "shop", nil)
		if err == nil {
			t.Fatalf("%s: connected", tc.name)
		}
		pe := pgError(t, err)
		want := fmt.Sprintf("password authentication failed for user \"%s\"", tc.user)
		if pe.Code != "28P01" || pe.Severity != "FATAL" || pe.Message != want {
			t.Errorf("%s: got %s %s %q, want FATAL 28P01 %q", tc.name, pe.Severity, pe.Code, pe.Message, want)
		}
	}
	if logs := e.logs.String(); !strings.Contains(logs, `authentication of user "app"`) || strings.Contains(logs, "wrong") {
		t.Errorf("the log should name the failed user and never the password:\n%s", logs)
	}
}

func TestAuth_Roles(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, nil)
	e.addUser(t, "owner", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	e.addUser(t, "reader", "pw", auth.RoleName{Role: "read", DB: "shop"})
	e.addUser(t, "other", "pw", auth.RoleName{Role: "readWrite", DB: "elsewhere"})
	ctx := context.Background()
	w := e.mustConnect(t, "owner", "pw", "shop")
	for _, q := range []string{"CREATE TABLE accounts (id text PRIMARY KEY, balance int8)", "INSERT INTO accounts VALUES ('a', 10)"} {
		if _, err := w.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	r := e.mustConnect(t, "reader", "pw", "shop")
	var bal int64
	if err := r.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = 'a'").Scan(&bal); err != nil || bal != 10 {
		t.Fatalf("read-only select: %d %v", bal, err)
	}
	refused := []string{
		"INSERT INTO accounts VALUES ('b', 1)",
		"UPDATE accounts SET balance = balance + 1 WHERE id = 'a'",
		"DELETE FROM accounts WHERE id = 'a'",
		"CREATE TABLE t2 (id text PRIMARY KEY)",
		"DROP TABLE accounts",
		"WITH moved AS (UPDATE accounts SET balance = 0 RETURNING id) SELECT * FROM moved",
	}
	for _, q := range refused {
		_, err := r.Exec(ctx, q)
		pe := pgError(t, err)
		if pe.Code != "42501" || !strings.HasPrefix(pe.Message, "permission denied for ") {
			t.Errorf("%s: got %s %q, want 42501 permission denied", q, pe.Code, pe.Message)
		}
	}
	if err := w.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = 'a'").Scan(&bal); err != nil || bal != 10 {
		t.Fatalf("after the refused writes: balance %d %v, want 10", bal, err)
	}
	// The catalog stays readable (psql's \dt).
	if _, err := r.Exec(ctx, "SELECT relname FROM pg_catalog.pg_class"); err != nil {
		t.Errorf("catalog read: %v", err)
	}

	// A user with no role on the database cannot connect to it.
	_, err := e.pgConnect("other", "pw", "shop", nil)
	if pe := pgError(t, err); pe.Code != "42501" {
		t.Errorf("connect without a role on the database: %s %q, want 42501", pe.Code, pe.Message)
	}

	// A grant over the MongoDB port reaches the connected SQL client at its next statement.
	e.addUser(t, "root", "pw", auth.RoleName{Role: "root", DB: "admin"})
	admin := e.mongoAs(t, "root", "pw")
	if err := admin.Database("admin").RunCommand(ctx, bson.D{{Key: "grantRolesToUser", Value: "reader"},
		{Key: "roles", Value: bson.A{bson.D{{Key: "role", Value: "readWrite"}, {Key: "db", Value: "shop"}}}}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(ctx, "INSERT INTO accounts VALUES ('b', 1)"); err != nil {
		t.Errorf("insert after the grant: %v", err)
	}
	// A revoke reaches it the same way, and a dropped user keeps no privilege.
	if err := admin.Database("admin").RunCommand(ctx, bson.D{{Key: "revokeRolesFromUser", Value: "reader"},
		{Key: "roles", Value: bson.A{bson.D{{Key: "role", Value: "readWrite"}, {Key: "db", Value: "shop"}}}}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(ctx, "INSERT INTO accounts VALUES ('c', 1)"); pgError(t, err).Code != "42501" {
		t.Errorf("insert after the revoke: %v, want 42501", err)
	}
	if _, err := r.Exec(ctx, "SELECT * FROM accounts"); err != nil {
		t.Errorf("select after the revoke of readWrite (read stays): %v", err)
	}
	if err := admin.Database("admin").RunCommand(ctx, bson.D{{Key: "dropUser", Value: "reader"}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Exec(ctx, "SELECT * FROM accounts"); pgError(t, err).Code != "42501" {
		t.Errorf("select after dropUser: %v, want 42501", err)
	}
}

// mongoAs connects the official Go driver to the MongoDB port as user.
func (e *authEnv) mongoAs(t *testing.T, user, password string) *mongo.Client {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI(fmt.Sprintf("mongodb://%s:%s@%s/?authSource=admin", user, password, e.mgoAddr)).
		SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

// TestAuth_UserFromMongoPort creates a user with the driver's createUser over the MongoDB port (through the
// localhost exception) and logs in with it over SQL.
func TestAuth_UserFromMongoPort(t *testing.T) {
	t.Parallel()
	e := newAuthEnv(t, nil)
	ctx := context.Background()
	anon, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + e.mgoAddr).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Disconnect(ctx)
	if err := anon.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "admin"}, {Key: "pwd", Value: "adminpw"},
		{Key: "roles", Value: bson.A{"root"}}}).Err(); err != nil {
		t.Fatalf("createUser through the localhost exception: %v", err)
	}
	admin := e.mongoAs(t, "admin", "adminpw")
	if err := admin.Database("admin").RunCommand(ctx, bson.D{{Key: "createUser", Value: "clerk"}, {Key: "pwd", Value: "pa ss:wörd"},
		{Key: "roles", Value: bson.A{bson.D{{Key: "role", Value: "readWrite"}, {Key: "db", Value: "shop"}}}}}).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Database("shop").Collection("items").InsertOne(ctx, bson.D{{Key: "_id", Value: "x"}, {Key: "qty", Value: int64(3)}}); err != nil {
		t.Fatal(err)
	}
	c := e.mustConnect(t, "clerk", "pa ss:wörd", "shop")
	var qty int64
	if err := c.QueryRow(ctx, "SELECT qty FROM items WHERE _id = 'x'").Scan(&qty); err != nil || qty != 3 {
		t.Fatalf("select as a user created over the MongoDB port: %d %v", qty, err)
	}
	if _, err := e.pgConnect("clerk", "pa ss:word", "shop", nil); err == nil || pgError(t, err).Code != "28P01" {
		t.Errorf("a near-miss password: %v, want 28P01", err)
	}
}

func TestAuth_TLS(t *testing.T) {
	t.Parallel()
	ca := certstest.NewCA(t, "ca")
	certFile, keyFile := ca.Issue(t, "server", "127.0.0.1", "localhost")
	files, err := certs.Load(certs.Config{CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	e := newAuthEnv(t, files.TLSConfig())
	e.addUser(t, "app", "pw", auth.RoleName{Role: "readWrite", DB: "shop"})
	c, err := e.pgConnect("app", "pw", "shop", &tls.Config{RootCAs: ca.Pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("connect over TLS: %v", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), "CREATE TABLE t (k text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if !c.PgConn().Conn().(interface{ ConnectionState() tls.ConnectionState }).ConnectionState().HandshakeComplete {
		t.Error("the connection is not encrypted")
	}
	_, err = e.pgConnect("app", "pw", "shop", nil)
	if pe := pgError(t, err); pe.Code != "28000" {
		t.Errorf("plaintext: %s %q, want 28000", pe.Code, pe.Message)
	}
	other := certstest.NewCA(t, "other")
	if _, err := e.pgConnect("app", "pw", "shop", &tls.Config{RootCAs: other.Pool, ServerName: "127.0.0.1"}); err == nil {
		t.Error("a client that does not trust the server's CA connected")
	}
}

func TestServer_MaxConns(t *testing.T) {
	t.Parallel()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &pgserver.Server{Engine: sql.NewEngine(db), MaxConns: 2, Logf: t.Logf}
	go srv.Serve(l)
	defer srv.Close()
	url := "postgres://u@" + l.Addr().String() + "/shop?sslmode=disable"
	a, b := connect(t, url), connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = pgx.Connect(ctx, url)
	if pe := pgError(t, err); pe.Code != "53300" || pe.Message != "sorry, too many clients already" {
		t.Errorf("third connection: %s %q, want 53300", pe.Code, pe.Message)
	}
	for _, c := range []*pgx.Conn{a, b} {
		if _, err := c.Exec(ctx, "SELECT 1"); err != nil {
			t.Errorf("a connected client after the refusal: %v", err)
		}
	}
	a.Close(ctx)
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := pgx.Connect(ctx, url)
		if err == nil {
			c.Close(ctx)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
