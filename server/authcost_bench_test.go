package server

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/cputime"
)

// BenchmarkWireAuth measures what authentication costs the data path: the spread updates of BenchmarkWire
// through the official Go driver, once through a server without Auth and once through a server with Auth whose
// client authenticates each pooled connection (SCRAM-SHA-256) as a readWrite user. Both servers serve the same
// on-disk DB and the same collection, so that the two runs differ in access control alone. Profile one side
// with -bench 'WireAuth/auth=on' -cpuprofile, the other with auth=off, and compare with pprof -diff_base. conns
// is the number of connections the server accepted during the run: the driver's pool authenticates each new
// connection once and then keeps it, so it stays near the number of clients.
func BenchmarkWireAuth(b *testing.B) {
	db, err := concord.Open(b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	users := auth.NewStore(db)
	ctx := context.Background()
	if err := users.CreateUser(ctx, auth.NewUser{Name: auth.UserName{User: "app", DB: "admin"}, Password: "app-password",
		Roles: []auth.RoleName{{Role: "readWrite", DB: "bench"}}}); err != nil {
		b.Fatal(err)
	}
	serve := func(srv *Server, creds string) *mongo.Client {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); _ = srv.Serve(l) }()
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = srv.Shutdown(ctx)
			<-done
		})
		c, err := mongo.Connect(options.Client().ApplyURI(fmt.Sprintf("mongodb://%s%s/?directConnection=true&authSource=admin", creds, l.Addr())).
			SetMaxPoolSize(256))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Disconnect(context.Background()) })
		return c
	}
	plainSrv, authSrv := &Server{DB: db}, &Server{DB: db, Auth: true, Users: users}
	plain := serve(plainSrv, "")
	withAuth := serve(authSrv, "app:app-password@")
	loadSpread(b, plain, plain.Database("bench").Collection("spread"))

	for _, side := range []struct {
		name   string
		srv    *Server
		client *mongo.Client
	}{{"auth=off", plainSrv, plain}, {"auth=on", authSrv, withAuth}} {
		coll := side.client.Database("bench").Collection("spread")
		b.Run(fmt.Sprintf("%s/spread_inc/clients=%d", side.name, benchClients), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(parallelismFor(benchClients))
			cpu0, conns0 := cputime.Process(), side.srv.nextConnID.Load()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := rand.IntN(benchSpreadDocs)
					res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}})
					if err != nil || res.ModifiedCount != 1 {
						b.Errorf("update %d = %+v, %v", id, res, err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(cputime.Process()-cpu0)/float64(b.N), "cpu-ns/op")
			// New connections (each of which authenticates on the auth=on side): the pool's, at most once per
			// client, not per operation.
			b.ReportMetric(float64(side.srv.nextConnID.Load()-conns0), "conns")
		})
	}
}
