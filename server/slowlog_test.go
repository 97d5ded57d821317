package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/concorddb/concord/server"
)

// TestSlowQueryLog: an update that waits about 300 ms for a transaction is slower than the default slowms (100) and
// is logged as mongod logs it, with its writeConflicts; the fast commands around it are not.
func TestSlowQueryLog(t *testing.T) {
	var buf syncBuffer
	e := newCoreEnvWith(t, func(s *server.Server) {
		s.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	})
	c := e.client(t)
	ctx := context.Background()
	coll := c.Database("shop").Collection("stock")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	sess, err := c.StartSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.EndSession(ctx)
	sess.StartTransaction()
	sctx := mongo.NewSessionContext(ctx, sess)
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
	if _, err := coll.UpdateOne(sctx, bson.D{{Key: "_id", Value: 1}}, inc); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, inc)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	if err := sess.CommitTransaction(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var slow []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if line == "" || json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "Slow query" {
			continue
		}
		slow = append(slow, rec)
	}
	if len(slow) != 1 {
		t.Fatalf("want one Slow query line, got %d:\n%s", len(slow), buf.String())
	}
	rec := slow[0]
	if rec["c"] != "COMMAND" || rec["id"] != float64(51803) || !strings.HasPrefix(rec["ctx"].(string), "conn") {
		t.Errorf("header fields %v", rec)
	}
	for k, want := range map[string]any{"type": "command", "ns": "shop.stock", "nMatched": float64(1), "nModified": float64(1),
		"writeConflicts": float64(1), "numYields": float64(1), "protocol": "op_msg"} {
		if rec[k] != want {
			t.Errorf("%s = %v, want %v", k, rec[k], want)
		}
	}
	if ms, _ := rec["durationMillis"].(float64); ms < 150 {
		t.Errorf("durationMillis %v, want most of the 300 ms wait", rec["durationMillis"])
	}
	if cmd, _ := rec["command"].(map[string]any); cmd["update"] != "stock" {
		t.Errorf("command %v", rec["command"])
	}
}

// TestSlowQueryLog_RedactsPassword: with slowms 0 every command is logged, and createUser's password never
// appears in the line (mongod writes "pwd": "xxx").
func TestSlowQueryLog_RedactsPassword(t *testing.T) {
	var buf syncBuffer
	e := newCoreEnvWith(t, func(s *server.Server) {
		s.Logger = slog.New(slog.NewJSONHandler(&buf, nil))
	})
	c := e.client(t)
	ctx := context.Background()
	admin := c.Database("admin")
	if err := admin.RunCommand(ctx, bson.D{{Key: "profile", Value: 0}, {Key: "slowms", Value: 0}}).Err(); err != nil {
		t.Fatal(err)
	}
	const pwd = "s3cret-Password-9f2"
	create := bson.D{{Key: "createUser", Value: "ann"}, {Key: "pwd", Value: pwd}, {Key: "roles", Value: bson.A{"root"}}}
	if err := admin.RunCommand(ctx, create).Err(); err != nil {
		t.Fatal(err)
	}
	logged := buf.String()
	if !strings.Contains(logged, `"createUser":"ann"`) {
		t.Fatalf("createUser not logged with slowms 0:\n%s", logged)
	}
	if strings.Contains(logged, pwd) {
		t.Fatalf("the log holds the password:\n%s", logged)
	}
}
