package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
)

// startServer serves an in-memory database on a loopback port for the test and returns it and a client.
func startServer(t *testing.T) (*concord.DB, *mongo.Client, string) {
	t.Helper()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{DB: db}
	go srv.Serve(l)
	uri := "mongodb://" + l.Addr().String() + "/?directConnection=true"
	c, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Disconnect(context.Background())
		srv.Close()
		db.Close()
	})
	return db, c, uri
}

// statWorkload runs, on db: 5 inserts, 2 finds, and the conflict script: transaction A updates _id 0,
// transaction B's update of it fails with WriteConflict and B aborts, a plain update waits for A's commit.
// Counts: insert 5, query 2, update 3, conflicts 2, waits 1, commits 1, aborts 1.
func statWorkload(t *testing.T, db *concord.DB) {
	ctx := context.Background()
	coll := db.Database("shop").Collection("stock")
	for i := range 5 {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "n", Value: 0}}); err != nil {
			t.Error(err)
			return
		}
	}
	for range 2 {
		cur, err := coll.Find(ctx, bson.D{})
		if err != nil {
			t.Error(err)
			return
		}
		cur.Close(ctx)
	}
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
	byID := bson.D{{Key: "_id", Value: 0}}
	sa, _ := db.StartSession()
	sb, _ := db.StartSession()
	defer sa.EndSession(ctx)
	defer sb.EndSession(ctx)
	sa.StartTransaction()
	sb.StartTransaction()
	if _, err := coll.UpdateOne(concord.NewSessionContext(ctx, sa), byID, inc); err != nil {
		t.Error(err)
		return
	}
	var ce *concord.Error
	if _, err := coll.UpdateOne(concord.NewSessionContext(ctx, sb), byID, inc); !errors.As(err, &ce) || ce.Code != 112 {
		t.Errorf("transaction B: %v, want WriteConflict", err)
	}
	sb.AbortTransaction(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := coll.UpdateOne(ctx, byID, inc)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := sa.CommitTransaction(ctx); err != nil {
		t.Error(err)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

func TestStat_RowsMatchTheWorkload(t *testing.T) {
	db, c, _ := startServer(t)
	var out bytes.Buffer
	cfg := statConfig{interval: time.Second, rows: 1, sampled: func(n int) {
		if n == 0 {
			statWorkload(t, db)
		}
	}}
	if err := runStat(context.Background(), c, cfg, &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a header and one row, got:\n%s", out.String())
	}
	header := strings.Fields(lines[0])
	cells := strings.Fields(lines[1])
	got := map[string]string{}
	for i, h := range header {
		if h == "hottest" {
			got[h] = strings.Join(cells[i:], " ")
			break
		}
		got[h] = cells[i]
	}
	for col, want := range map[string]string{
		"insert": "5", "query": "2", "update": "3", "delete": "0", "conflicts": "2", "waits": "1",
		"commits": "1", "aborts": "1", "conn": "2", // the driver's connection and its monitor's
		"hottest": "shop.stock 0 (2)",
	} {
		if got[col] != want {
			t.Errorf("column %s = %q, want %q\n%s", col, got[col], want, out.String())
		}
	}
}

func TestStat_JSON(t *testing.T) {
	db, c, _ := startServer(t)
	var out bytes.Buffer
	cfg := statConfig{interval: time.Second, rows: 1, json: true, sampled: func(n int) {
		if n == 0 {
			statWorkload(t, db)
		}
	}}
	if err := runStat(context.Background(), c, cfg, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"insert":5,`) || !strings.Contains(out.String(), `"conflicts":2,"waits":1,"commits":1,"aborts":1`) {
		t.Fatalf("json row: %s", out.String())
	}
}

func TestStat_ColumnsFollowTheServer(t *testing.T) {
	// A mongod has no concord section and, standalone, may lack transactions: those columns go.
	r := row(statSample{}, statSample{insert: 3, at: time.Unix(0, 0)}, time.Second)
	header, _ := statColumns(r)
	if h := strings.Join(header, " "); h != "insert query update delete getmore command conflicts conn time" {
		t.Fatalf("columns without concord and transactions sections: %s", h)
	}
}
