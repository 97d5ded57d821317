package pgserver_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/pgserver"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// backendEnv selects the backend startServer's SQL engine runs on: unset,
// the embedded DB; "driver", the official Go driver connected to a
// MongoDB-protocol server over that DB, as `concord sql --mongodb-uri` runs.
// TestBackend_Driver runs the shared tests again with it set.
const backendEnv = "CONCORD_TEST_SQL_BACKEND"

// startServer serves a fresh database on a loopback port and returns its
// connection URL, and the database (which the test may also write to
// directly, as a MongoDB client would).
func startServer(t testing.TB) (string, *concord.DB) {
	t.Helper()
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	engine := sql.NewEngine(db)
	if os.Getenv(backendEnv) == "driver" {
		engine = sql.NewDriverEngine(mongoFront(t, db))
	}
	srv := &pgserver.Server{Engine: engine, Logf: t.Logf}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, pgserver.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		db.Close()
	})
	return "postgres://test@" + l.Addr().String() + "/test?sslmode=disable", db
}

// mongoFront serves db over the MongoDB protocol, standing in for a MongoDB
// replica set, and returns a driver client connected to it.
func mongoFront(t testing.TB, db *concord.DB) *mongo.Client {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms := &server.Server{DB: db, AdvertiseAddr: l.Addr().String()}
	go ms.Serve(l)
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + l.Addr().String() + "/?replicaSet=rs0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Disconnect(context.Background())
		ms.Close()
	})
	return client
}

func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// sqlState returns the SQLSTATE of a pgx error, "" for none.
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func TestServer_PgxRoundTrip(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	if _, err := c.Exec(ctx, "CREATE TABLE inventory (product_id text PRIMARY KEY, quantity int8 NOT NULL, version int8, price numeric, tags text[], seen timestamptz)"); err != nil {
		t.Fatal(err)
	}
	tag, err := c.Exec(ctx, "INSERT INTO inventory (product_id, quantity, version, price, tags, seen) VALUES ($1, $2, 1, $3, $4, $5)",
		"p1", 10, 2.5, []string{"a", "b"}, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil || tag.String() != "INSERT 0 1" {
		t.Fatalf("insert: %v %v", tag, err)
	}
	// Bounded increment: $1 is typed from quantity.
	const bounded = "UPDATE inventory SET quantity = quantity + $1, version = version + 1 WHERE product_id = $2 AND quantity + $1 >= 0 AND quantity + $1 <= $3"
	if tag, err := c.Exec(ctx, bounded, -4, "p1", 100); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("bounded: %v %v", tag, err)
	}
	if tag, err := c.Exec(ctx, bounded, -7, "p1", 100); err != nil || tag.RowsAffected() != 0 {
		t.Fatalf("bounded below zero: %v %v", tag, err)
	}
	var q, v int64
	var price float64
	var tags []string
	var seen time.Time
	err = c.QueryRow(ctx, "SELECT quantity, version, price, tags, seen FROM inventory WHERE product_id = $1", "p1").Scan(&q, &v, &price, &tags, &seen)
	if err != nil {
		t.Fatal(err)
	}
	if q != 6 || v != 2 || price != 2.5 || len(tags) != 2 || !seen.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("got %d %d %v %v %v", q, v, price, tags, seen)
	}
	// Errors carry SQLSTATEs.
	_, err = c.Exec(ctx, "INSERT INTO inventory (product_id, quantity) VALUES ('p1', 1)")
	if sqlState(err) != "23505" {
		t.Fatalf("duplicate: %v", err)
	}
	_, err = c.Exec(ctx, "INSERT INTO inventory (product_id) VALUES ('p2')")
	if sqlState(err) != "23502" {
		t.Fatalf("not null: %v", err)
	}
	if _, err = c.Exec(ctx, "SELECT * FROM missing"); sqlState(err) != "42P01" {
		t.Fatalf("unknown table: %v", err)
	}
	if _, err = c.Exec(ctx, "SELEC 1"); sqlState(err) != "42601" {
		t.Fatalf("syntax: %v", err)
	}
}

// TestServer_StartupParameters: the startup message's run-time parameters are the session's, as SHOW reads them
// back; one the client did not send has PostgreSQL's default.
func TestServer_StartupParameters(t *testing.T) {
	url, _ := startServer(t)
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "ledger"
	cfg.RuntimeParams["synchronous_commit"] = "on"
	cfg.RuntimeParams["client_encoding"] = "LATIN1" // the server answers in UTF8 all the same, and says so
	ctx := context.Background()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for name, want := range map[string]string{"application_name": "ledger", "synchronous_commit": "on", "client_encoding": "UTF8"} {
		var got string
		if err := c.QueryRow(ctx, "SHOW "+name).Scan(&got); err != nil || got != want {
			t.Errorf("SHOW %s = %q (%v), want %q", name, got, err, want)
		}
	}
	var got string
	if err := connect(t, url).QueryRow(ctx, "SHOW application_name").Scan(&got); err != nil || got != "" {
		t.Errorf("SHOW application_name without one sent = %q (%v), want empty", got, err)
	}
}

// TestServer_StatementTimeout: statement_timeout, set with SET or in the startup message, cancels a statement
// that runs longer with 57014, as PostgreSQL does; values it cannot take are 22023 with PostgreSQL's messages.
func TestServer_StatementTimeout(t *testing.T) {
	url, _ := startServer(t)
	ctx := context.Background()
	c := connect(t, url)
	mustExec(t, c, "SET statement_timeout = 50")
	start := time.Now()
	_, err := c.Exec(ctx, "SELECT pg_sleep(10)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to statement timeout" {
		t.Fatalf("pg_sleep(10) under statement_timeout 50ms: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the timeout fired after %v", d)
	}
	mustExec(t, c, "SELECT pg_sleep(0.01)")
	mustExec(t, c, "RESET statement_timeout")
	mustExec(t, c, "SELECT pg_sleep(0.2)")

	// In a transaction block the timed-out statement fails the block, as any error does.
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "SET statement_timeout = '20ms'")
	if _, err := tx.Exec(ctx, "SELECT pg_sleep(5)"); sqlState(err) != "57014" {
		t.Fatalf("pg_sleep(5) in a block: %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Fatalf("a statement after the timeout in the block: %v, want 25P02", err)
	}
	_ = tx.Rollback(ctx)
	mustExec(t, c, "SET statement_timeout TO DEFAULT")

	for _, bad := range []struct{ value, msg, hint string }{
		{"'abc'", `invalid value for parameter "statement_timeout": "abc"`, ""},
		{"'1h30min'", `invalid value for parameter "statement_timeout": "1h30min"`, `Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".`},
		{"-1", `-1 ms is outside the valid range for parameter "statement_timeout" (0 .. 2147483647)`, ""},
		{"2147483648", `invalid value for parameter "statement_timeout": "2147483648"`, "Value exceeds integer range."},
	} {
		_, err := c.Exec(ctx, "SET statement_timeout = "+bad.value)
		if !errors.As(err, &pe) || pe.Code != "22023" || pe.Message != bad.msg || pe.Hint != bad.hint {
			t.Errorf("SET statement_timeout = %s: %v (hint %q), want 22023 %s", bad.value, err, pe.Hint, bad.msg)
		}
	}

	// From the startup message.
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["statement_timeout"] = "30"
	s, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	var shown string
	if err := s.QueryRow(ctx, "SHOW statement_timeout").Scan(&shown); err != nil || shown != "30ms" {
		t.Errorf("SHOW statement_timeout after a startup value of 30: %q %v", shown, err)
	}
	if _, err := s.Exec(ctx, "SELECT pg_sleep(10)"); sqlState(err) != "57014" {
		t.Errorf("pg_sleep(10) under a startup statement_timeout of 30ms: %v", err)
	}
	cfg.RuntimeParams["statement_timeout"] = "soon"
	if _, err := pgx.ConnectConfig(ctx, cfg); !errors.As(err, &pe) || pe.Code != "22023" {
		t.Errorf("connect with statement_timeout=soon: %v, want FATAL 22023", err)
	}
}

func TestServer_TransactionStatusAndRollback(t *testing.T) {
	url, _ := startServer(t)
	c := connect(t, url)
	ctx := context.Background()
	mustExec(t, c, "CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL)")
	mustExec(t, c, "INSERT INTO accounts VALUES ('a', 100), ('b', 0)")
	tx, err := c.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE accounts SET balance = balance - 10 WHERE id = 'a'"); err != nil {
		t.Fatal(err)
	}
	if st := c.PgConn().TxStatus(); st != 'T' {
		t.Fatalf("status %c, want T", st)
	}
	if _, err := tx.Exec(ctx, "SELECT * FROM missing"); err == nil {
		t.Fatal("want an error")
	}
	if st := c.PgConn().TxStatus(); st != 'E' {
		t.Fatalf("status %c, want E", st)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Fatalf("in failed transaction: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var bal int64
	if err := c.QueryRow(ctx, "SELECT balance FROM accounts WHERE id = 'a'").Scan(&bal); err != nil || bal != 100 {
		t.Fatalf("after rollback: %d %v", bal, err)
	}
}

func mustExec(t testing.TB, c *pgx.Conn, q string, args ...any) {
	t.Helper()
	if _, err := c.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

type netTCPAddr = net.TCPAddr

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// TestServer_SchemalessColumnsChange: a prepared SELECT * over a collection
// written over the MongoDB port keeps the columns it was described with when
// later documents bring other fields.
func TestServer_SchemalessColumnsChange(t *testing.T) {
	url, db := startServer(t)
	ctx := context.Background()
	coll := db.Database("test").Collection("events")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "kind", Value: "a"}}); err != nil {
		t.Fatal(err)
	}
	c := connect(t, url)
	assertRows(t, c, "SELECT * FROM events ORDER BY _id", "1 a")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 2}, {Key: "extra", Value: true}}); err != nil {
		t.Fatal(err)
	}
	assertRows(t, c, "SELECT * FROM events ORDER BY _id", "1 a;2 <nil>")
}

// TestBackend_Driver runs the shared SQL tests again with the engine over
// the official Go driver (a MongoDB-protocol server in process standing in
// for a MongoDB deployment): the same statements, answers, SQLSTATEs and
// race-free claims on both backends.
func TestBackend_Driver(t *testing.T) {
	if os.Getenv(backendEnv) != "" {
		t.Skip("already running on the driver backend")
	}
	args := []string{"-test.run", "^(TestCompare_Concord|TestBatch_.*|TestSeed_.*|TestServer_PgxRoundTrip|TestServer_TransactionStatusAndRollback|TestServer_SchemalessColumnsChange|TestTxn_.*|TestCancelRequest|TestBadInput|TestSerial_Concurrent|TestCopy_PgxCopyFrom|TestFuncs_Extended|TestSavepoint_.*|TestBlockDDL_.*|TestNotify_.*|TestCheck_.*|TestNumericRange_.*|TestComputedFields_MongoDBPortWrites|TestNotNull_MongoDBPortWrites|TestDefaults_MongoDBPortWrites|TestForeignKeys_MongoDBPortWrites)$", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), backendEnv+"=driver")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("the shared tests on the driver backend: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
