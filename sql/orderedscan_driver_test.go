package sql_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/sql"
)

// driverRows runs q and returns its rows joined by ";", or "ERROR ..." .
func driverRows(s *sql.Session, q string) string {
	var out []string
	err := s.Query(context.Background(), q, func(r *sql.Result) error {
		for _, row := range r.Rows {
			out = append(out, fmt.Sprint(row...))
		}
		return nil
	})
	if err != nil {
		return "ERROR " + err.Error()
	}
	return strings.Join(out, ";")
}

// TestOrderedScan_DriverBackend: in front of a MongoDB deployment (an in-process server standing in for one), a
// SELECT ... LIMIT is the first rows of the same SELECT, in and out of a transaction, where listIndexes and explain
// are refused, and over an array written into an integer column.
func TestOrderedScan_DriverBackend(t *testing.T) {
	db, err := concord.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ml, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms := &server.Server{DB: db, AdvertiseAddr: ml.Addr().String()}
	go ms.Serve(ml)
	defer ms.Close()
	client, err := mongo.Connect(options.Client().ApplyURI("mongodb://" + ml.Addr().String() + "/?replicaSet=rs0"))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	s := sql.NewDriverEngine(client).NewSession("test", "")
	defer s.Close()
	for _, q := range []string{
		"CREATE TABLE t (id int8 PRIMARY KEY, g int NOT NULL)",
		"INSERT INTO t SELECT i, i * 10 FROM generate_series(1, 10) i",
		"CREATE INDEX t_g ON t (g)",
	} {
		if got := driverRows(s, q); strings.HasPrefix(got, "ERROR") {
			t.Fatalf("%s: %s", q, got)
		}
	}
	check := func(q string, n int) {
		t.Helper()
		all := strings.Split(driverRows(s, q), ";")
		want := strings.Join(all[:min(n, len(all))], ";")
		if got := driverRows(s, fmt.Sprintf("%s LIMIT %d", q, n)); got != want {
			t.Errorf("%s LIMIT %d: %s, want %s", q, n, got, want)
		}
	}
	check("SELECT id, g FROM t ORDER BY g DESC", 3)
	check("SELECT id, g FROM t ORDER BY id", 3)
	driverRows(s, "BEGIN")
	for _, c := range []struct{ q, want string }{
		{"SELECT id FROM t ORDER BY g LIMIT 1", "1"},
		{"SELECT id FROM t ORDER BY id DESC LIMIT 2", "10;9"},
		{"SELECT 1", "1"},
	} {
		if got := driverRows(s, c.q); got != c.want {
			t.Errorf("in a transaction, %s: %s, want %s", c.q, got, c.want)
		}
	}
	driverRows(s, "ROLLBACK")
	if _, err := client.Database("test").Collection("t").InsertOne(context.Background(),
		bson.D{{Key: "_id", Value: int64(101)}, {Key: "g", Value: bson.A{int32(15), int32(95)}}}); err != nil {
		t.Fatal(err)
	}
	check("SELECT id, g FROM t ORDER BY g", 3)
	check("SELECT id, g FROM t ORDER BY g DESC", 3)
}
