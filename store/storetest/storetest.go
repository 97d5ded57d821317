// Package storetest runs a test on every store backend, as net/http/httptest serves handlers: on an embedded
// in-memory Concord database, and through the official Go driver against an in-process concord server standing
// in for MongoDB. Setting CONCORD_TEST_MONGODB_URI (a replica set or sharded cluster URI) runs the driver
// backend against that deployment instead.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
	"github.com/concorddb/concord/store"
)

// URIEnv names the environment variable that points the driver backend at a real MongoDB deployment.
const URIEnv = "CONCORD_TEST_MONGODB_URI"

// Backend is one store under test.
type Backend struct {
	// Name is "embedded" or "driver".
	Name string
	// Store is the backend's store.
	Store store.Store
	// Database is a database name of this test's own, so that tests never see each other's data (a real
	// MongoDB deployment is shared).
	Database string
	// DB is the embedded database behind Store on the embedded backend, and the served database on the
	// driver backend's in-process server; nil against a real MongoDB.
	DB *concord.DB
}

// Collection returns a handle on the named collection of the backend's database.
func (b *Backend) Collection(name string) store.Collection {
	return b.Store.Collection(b.Database, name)
}

// Run runs test as two subtests, "embedded" and "driver", each with a fresh backend that is torn down when
// the subtest ends. Subtests run one after the other.
func Run(t *testing.T, test func(t *testing.T, b *Backend)) {
	t.Helper()
	t.Run("embedded", func(t *testing.T) { test(t, Embedded(t)) })
	t.Run("driver", func(t *testing.T) { test(t, Driver(t)) })
}

// Embedded returns a backend over a fresh in-memory Concord database, closed when tb ends.
func Embedded(tb testing.TB) *Backend {
	tb.Helper()
	db := openDB(tb)
	return &Backend{Name: "embedded", Store: store.Embedded(db), Database: "toolkit", DB: db}
}

// Driver returns a backend reached through the official driver: an in-process server over a fresh in-memory
// database, or the deployment CONCORD_TEST_MONGODB_URI names (then in a database of the test's own, dropped at
// the end).
func Driver(tb testing.TB) *Backend {
	tb.Helper()
	if uri := os.Getenv(URIEnv); uri != "" {
		client := connect(tb, uri)
		name := "toolkit_" + randomHex()
		tb.Cleanup(func() { _ = client.Database(name).Drop(context.Background()) })
		return &Backend{Name: "driver", Store: store.Driver(client), Database: name}
	}
	db := openDB(tb)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("Listen: %v", err)
	}
	srv := &server.Server{DB: db}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	// Cleanups run last-in first-out: the client disconnects before the server shuts down, before the DB closes.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
		if err := <-served; !errors.Is(err, server.ErrServerClosed) {
			tb.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	client := connect(tb, "mongodb://"+l.Addr().String()+"/")
	return &Backend{Name: "driver", Store: store.Driver(client), Database: "toolkit", DB: db}
}

func openDB(tb testing.TB) *concord.DB {
	db, err := concord.Open("", &concord.Options{NoSync: true})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return db
}

func connect(tb testing.TB, uri string) *mongo.Client {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(5 * time.Second).SetMaxPoolSize(200))
	if err != nil {
		tb.Fatalf("Connect: %v", err)
	}
	tb.Cleanup(func() { _ = client.Disconnect(context.Background()) })
	return client
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
