package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/server"
)

// wireTarget runs the workloads on Concord over the MongoDB wire protocol: an in-process server on a loopback
// port, driven by the official Go driver, exactly as an application would. With auth the server requires
// authentication and every pooled connection authenticates once (SCRAM-SHA-256) as a readWrite user.
type wireTarget struct {
	name     string
	embedded *concordTarget
	// sharedDB is set when embedded belongs to another target, which closes it (see openWireTarget).
	sharedDB bool
	// collSuffix follows the workload's name in the name of the target's collection.
	collSuffix string
	srv        *server.Server
	client     *mongo.Client
	coll       *mongo.Collection
	// watch keeps a change stream open on the workload's collection (bench_watch.go), watcher reads it.
	watch   bool
	watcher *watcher
}

// openWireTarget opens a wire target; with watch, every measurement runs with a change stream open on its
// collection. With shared, the target's server serves shared's DB, and the target works on collections of its
// own there (the workload's name and "_" and the target's kind): the authenticated target shares the plain wire
// target's DB, so that the two measure the same engine, with the same data directory, LSM state, caches and
// background compactions, and differ in access control alone. (With a DB each, the compaction debt and cache
// state of two separately loaded DBs differ from slice to slice, and the background work of each is charged to
// whichever target's slice it falls in.) The owner of shared closes it.
func openWireTarget(dir string, withAuth, watch bool, shared *concordTarget) (*wireTarget, error) {
	name := "concord-wire"
	if withAuth {
		name += "-auth"
	}
	if watch {
		name += "-watch"
	}
	emb, suffix := shared, ""
	if shared != nil {
		suffix = "_" + strings.TrimPrefix(name, "concord-wire-")
	} else {
		if dir != "" {
			dir += "-" + strings.TrimPrefix(name, "concord-")
		}
		var err error
		if emb, err = openConcordTarget(dir, name); err != nil {
			return nil, err
		}
	}
	closeDB := func() {
		if shared == nil {
			emb.Close()
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		closeDB()
		return nil, err
	}
	srv := &server.Server{DB: emb.db, Addr: l.Addr().String(), Auth: withAuth, Users: auth.NewStore(emb.db)}
	creds := ""
	if withAuth {
		err := srv.Users.CreateUser(context.Background(), auth.NewUser{Name: benchUser, Password: benchPassword,
			Roles: []auth.RoleName{{Role: "readWrite", DB: "bench"}}})
		if err != nil {
			closeDB()
			return nil, err
		}
		creds = benchUser.User + ":" + benchPassword + "@"
	}
	go srv.Serve(l)
	client, err := mongo.Connect(options.Client().
		ApplyURI(fmt.Sprintf("mongodb://%s%s/?replicaSet=rs0&authSource=admin", creds, l.Addr())).
		SetMaxPoolSize(256))
	if err != nil {
		srv.Shutdown(context.Background())
		closeDB()
		return nil, err
	}
	return &wireTarget{name: name, embedded: emb, sharedDB: shared != nil, collSuffix: suffix, srv: srv, client: client,
		watch: watch}, nil
}

// The user of the authenticated wire target.
var (
	benchUser     = auth.UserName{User: "bench", DB: "admin"}
	benchPassword = "bench-password"
)

// connectionSetup measures how long a new client takes to connect, authenticate when the target requires it,
// and answer a ping, as the mean of n clients made one after another.
func (w *wireTarget) connectionSetup(ctx context.Context, n int) (time.Duration, error) {
	creds := ""
	if w.srv.Auth {
		creds = benchUser.User + ":" + benchPassword + "@"
	}
	start := time.Now()
	for range n {
		c, err := mongo.Connect(options.Client().
			ApplyURI(fmt.Sprintf("mongodb://%s%s/?replicaSet=rs0&authSource=admin&maxPoolSize=1", creds, w.srv.Addr)))
		if err != nil {
			return 0, err
		}
		// A write checks out a pooled connection, which authenticates; ping could use the monitor's.
		_, err = c.Database("bench").Collection("setup").InsertOne(ctx, bson.D{})
		c.Disconnect(ctx)
		if err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(n), nil
}

func (w *wireTarget) Name() string { return w.name }

func (w *wireTarget) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w.stopWatching()
	w.client.Disconnect(ctx)
	w.srv.Shutdown(ctx)
	if !w.sharedDB {
		w.embedded.Close()
	}
}

func (w *wireTarget) Setup(ctx context.Context, workload string, cfg benchConfig) error {
	w.stopWatching()
	w.coll = w.client.Database("bench").Collection(workload + w.collSuffix)
	if err := setupCollection(ctx, driverCollection{w.coll}, workload, cfg); err != nil {
		return err
	}
	if w.watch {
		return w.startWatching(ctx)
	}
	return nil
}

func (w *wireTarget) Hot(ctx context.Context) error {
	_, err := w.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, incN)
	return err
}

func (w *wireTarget) Spread(ctx context.Context, id int) error {
	_, err := w.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, incN)
	return err
}

func (w *wireTarget) Transfer(ctx context.Context, from, to, amount int) error {
	sess, err := w.client.StartSession()
	if err != nil {
		return err
	}
	defer sess.EndSession(ctx)
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		res, err := w.coll.UpdateOne(ctx,
			bson.D{{Key: "_id", Value: from}, {Key: "balance", Value: bson.D{{Key: "$gte", Value: amount}}}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: -amount}}}})
		if err != nil || res.ModifiedCount == 0 {
			return nil, err
		}
		_, err = w.coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: to}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: amount}}}})
		return nil, err
	})
	return err
}

func (w *wireTarget) Verify(ctx context.Context, workload string, cfg benchConfig, acked int64) (string, error) {
	check, err := verifyCollection(ctx, driverCollection{w.coll}, workload, cfg, acked)
	if err != nil || w.watcher == nil {
		return check, err
	}
	delivered, err := w.verifyStream(ctx, workload, acked)
	return check + "; " + delivered, err
}

type driverCollection struct{ c *mongo.Collection }

func (d driverCollection) drop(ctx context.Context) error { return d.c.Drop(ctx) }

func (d driverCollection) insertMany(ctx context.Context, docs []any) error {
	_, err := d.c.InsertMany(ctx, docs)
	return err
}

func (d driverCollection) sum(ctx context.Context, field string) (int64, int64, error) {
	cur, err := d.c.Find(ctx, bson.D{})
	if err != nil {
		return 0, 0, err
	}
	defer cur.Close(ctx)
	return sumField(field, func() (bson.Raw, bool) {
		if !cur.Next(ctx) {
			return nil, false
		}
		return cur.Current, true
	}, cur.Err)
}
