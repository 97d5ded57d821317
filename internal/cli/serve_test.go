package cli

import (
	"context"
	"github.com/jackc/pgx/v5"
	"net"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
)

func TestDefaultAdvertise(t *testing.T) {
	tcp := func(s string) net.Addr {
		a, err := net.ResolveTCPAddr("tcp", s)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	cases := []struct {
		name, addr, listener, want string
	}{
		{name: "explicit host and port", addr: "127.0.0.1:27017", listener: "127.0.0.1:27017", want: "127.0.0.1:27017"},
		{name: "host name kept", addr: "localhost:27017", listener: "127.0.0.1:27017", want: "localhost:27017"},
		{name: "port 0 uses the chosen port", addr: "127.0.0.1:0", listener: "127.0.0.1:40001", want: "127.0.0.1:40001"},
		{name: "unspecified IP becomes localhost", addr: "0.0.0.0:27017", listener: "0.0.0.0:27017", want: "localhost:27017"},
		{name: "empty host", addr: ":27017", listener: "[::]:27017", want: "localhost:27017"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := defaultAdvertise(tc.addr, tcp(tc.listener)); got != tc.want {
				t.Fatalf("defaultAdvertise(%q, %s) = %q, want %q", tc.addr, tc.listener, got, tc.want)
			}
		})
	}
}

// TestServe_SIGTERM runs `concord serve` in-process, writes through the official driver, reads the write back
// over the PostgreSQL port, sends SIGTERM and checks that Serve returns cleanly and the data survives in --dir.
func TestServe_SIGTERM(t *testing.T) {
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pgAddr := pl.Addr().String()
	pl.Close()

	done := make(chan error, 1)
	go func() {
		done <- Serve([]string{"--dir", dir, "--addr", addr, "--replset", "rs9", "--pg-addr", pgAddr, "--http-addr", "", "--unix-socket-dir", ""})
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + addr + "/").SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	hello, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Raw()
	if err != nil {
		t.Fatalf("hello: %v", err)
	}
	if hello.Lookup("setName").StringValue() != "rs9" || hello.Lookup("me").StringValue() != addr {
		t.Fatalf("hello: %v", hello)
	}
	if _, err := c.Database("d").Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "x", Value: "durable"}}); err != nil {
		t.Fatalf("insert: %v", err)
	}
	_ = c.Disconnect(ctx)

	// The same document is a row of table c in database d over the PostgreSQL port.
	pc, err := pgx.Connect(ctx, "postgres://concord@"+pgAddr+"/d?sslmode=disable")
	if err != nil {
		t.Fatalf("pgx: %v", err)
	}
	var x string
	if err := pc.QueryRow(ctx, "SELECT x FROM c WHERE _id = 1").Scan(&x); err != nil || x != "durable" {
		t.Fatalf("SELECT over the PostgreSQL port: %q %v", x, err)
	}
	pc.Close(ctx)

	sigtermAndWait(t, ctx, done, "Serve")

	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var doc bson.M
	if err := db.Database("d").Collection("c").FindOne(context.Background(), bson.D{{Key: "_id", Value: 1}}).Decode(&doc); err != nil || doc["x"] != "durable" {
		t.Fatalf("after restart: %v %v", doc, err)
	}
}

// sigtermAndWait sends this process SIGTERM and waits, until ctx ends, for the command under test (what, run on
// its own goroutine) to return nil on done.
func sigtermAndWait(t *testing.T, ctx context.Context, done <-chan error, what string) {
	t.Helper()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-ctx.Done():
		t.Fatalf("%s did not return after SIGTERM", what)
	}
}
