package cli

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
)

// TestSQL_MongoDBURI runs `concord sql --mongodb-uri` in front of an in-process `concord serve` standing in for
// a MongoDB replica set: a table created and written over SQL is a collection the driver reads, a document the
// driver writes is a row, and a transaction block commits or rolls back as a whole; the same port serves its
// Unix-domain socket.
func TestSQL_MongoDBURI(t *testing.T) {
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
	uri := "mongodb://" + ml.Addr().String() + "/?replicaSet=rs0"
	pgAddr := freeAddr(t)
	done := make(chan error, 1)
	sockDir := socketDir(t)
	go func() {
		done <- SQL([]string{"--mongodb-uri", uri, "--pg-addr", pgAddr, "--unix-socket-dir", sockDir})
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig("postgres://u@" + pgAddr + "/shop?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	c := pgConnectRetry(t, ctx, cfg)
	for _, q := range []string{
		"CREATE TABLE accounts (id text PRIMARY KEY, balance int8 NOT NULL)",
		"INSERT INTO accounts VALUES ('a', 100), ('b', 0)",
		"BEGIN ISOLATION LEVEL REPEATABLE READ",
		"UPDATE accounts SET balance = balance - 30 WHERE id = 'a' AND balance >= 30",
		"UPDATE accounts SET balance = balance + 30 WHERE id = 'b'",
		"COMMIT",
		"BEGIN",
		"UPDATE accounts SET balance = 0",
		"ROLLBACK",
	} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	coll := client.Database("shop").Collection("accounts")
	var b struct {
		Balance int64 `bson:"balance"`
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: "b"}}).Decode(&b); err != nil || b.Balance != 30 {
		t.Fatalf("the driver reads b = %d, %v; want 30", b.Balance, err)
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "balance", Value: int64(5)}}); err != nil {
		t.Fatal(err)
	}
	var total int64
	if err := c.QueryRow(ctx, "SELECT sum(balance) FROM accounts").Scan(&total); err != nil || total != 105 {
		t.Fatalf("sum over SQL = %d, %v; want 105", total, err)
	}
	_, err = c.Exec(ctx, "INSERT INTO accounts VALUES ('a', 1)")
	if sqlStateOf(err) != "23505" {
		t.Errorf("duplicate key over the driver: %v, want 23505", err)
	}
	_, port, _ := net.SplitHostPort(pgAddr)
	uc, err := pgx.Connect(ctx, "postgres://u@/shop?sslmode=disable&port="+port+"&host="+url.QueryEscape(sockDir))
	if err != nil {
		t.Fatalf("over the Unix-domain socket: %v", err)
	}
	if err := uc.QueryRow(ctx, "SELECT sum(balance) FROM accounts").Scan(&total); err != nil || total != 105 {
		t.Errorf("sum over the Unix-domain socket = %d, %v; want 105", total, err)
	}
	uc.Close(ctx)

	sigtermAndWait(t, ctx, done, "concord sql")
}
