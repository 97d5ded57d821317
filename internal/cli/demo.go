package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// Demo runs `concord demo lost-update`: seed 002's scenario, N concurrent users each adding 1 to a counter,
// three ways (a naive read-modify-write, a versioned write without retry, a versioned write with retry), on an
// in-memory embedded database or on the MongoDB deployment --uri names.
func Demo(args []string) error {
	return demo(os.Stdout, args)
}

func demo(w io.Writer, args []string) error {
	if len(args) == 0 || args[0] != "lost-update" {
		return errors.New("usage: concord demo lost-update [--users N] [--uri mongodb://...]")
	}
	fs := flag.NewFlagSet("demo lost-update", flag.ContinueOnError)
	users := fs.Int("users", 100, "concurrent users")
	uri := fs.String("uri", "", "MongoDB deployment to run against (default: an in-memory embedded database)")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx := context.Background()
	var st store.Store
	if *uri == "" {
		db, err := concord.Open("", &concord.Options{NoSync: true})
		if err != nil {
			return err
		}
		defer db.Close()
		st = store.Embedded(db)
		fmt.Fprintf(w, "lost-update: %d users on an embedded in-memory database\n", *users)
	} else {
		client, err := mongo.Connect(options.Client().ApplyURI(*uri))
		if err != nil {
			return err
		}
		defer client.Disconnect(ctx)
		st = store.Driver(client)
		fmt.Fprintf(w, "lost-update: %d users on %s\n", *users, *uri)
	}
	const database = "concord_demo"
	defer st.Collection(database, "counter").DeleteMany(ctx, nil)

	type counter struct {
		N       int64 `bson:"n"`
		Version int64 `bson:"version"`
	}
	// Every mode starts from a fresh counter; every user reads before any writes (a barrier), as a burst of
	// users clicking at once would.
	mode := func(name string, user func(c *occ.Collection, read func() (counter, error)) error) error {
		c := occ.New(st, database, "counter", &occ.Options{Metrics: &occ.Metrics{},
			Retry: &occ.Retry{MaxRetries: 1 << 20, Base: time.Millisecond, Max: 20 * time.Millisecond}})
		if _, err := c.Unversioned().DeleteMany(ctx, nil); err != nil {
			return err
		}
		if _, err := c.Insert(ctx, bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: int64(0)}}); err != nil {
			return err
		}
		var barrier, done sync.WaitGroup
		barrier.Add(*users)
		var saved, conflicts, failed atomic.Int64
		for range *users {
			done.Add(1)
			go func() {
				defer done.Done()
				read := func() (counter, error) {
					defer barrier.Wait()
					defer barrier.Done()
					var d counter
					doc, _, err := c.FindByID(ctx, "c")
					if err == nil {
						err = bson.Unmarshal(doc, &d)
					}
					return d, err
				}
				err := user(c, read)
				switch {
				case err == nil:
					saved.Add(1)
				case errors.Is(err, occ.ErrConflict):
					conflicts.Add(1)
				default:
					failed.Add(1)
				}
			}()
		}
		done.Wait()
		doc, v, err := c.FindByID(ctx, "c")
		if err != nil {
			return err
		}
		final := doc.Lookup("n").AsInt64()
		m := c.Metrics().Collection(c.Namespace())
		fmt.Fprintf(w, "  %-22s final %3d  lost %3d  saved %3d  conflicts %3d  retries %4d  failed %d  version %d\n",
			name, final, saved.Load()-final, saved.Load(), conflicts.Load(), m.Retries, failed.Load(), v)
		return nil
	}
	if err := mode("naive", func(c *occ.Collection, read func() (counter, error)) error {
		d, err := read()
		if err != nil {
			return err
		}
		_, err = c.Unversioned().UpdateOne(ctx, bson.D{{Key: "_id", Value: "c"}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: d.N + 1}}}}, nil)
		return err
	}); err != nil {
		return err
	}
	if err := mode("versioned, no retry", func(c *occ.Collection, read func() (counter, error)) error {
		d, err := read()
		if err != nil {
			return err
		}
		_, err = c.UpdateOne(ctx, "c", d.Version, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: d.N + 1}}}})
		return err
	}); err != nil {
		return err
	}
	return mode("versioned, with retry", func(c *occ.Collection, read func() (counter, error)) error {
		if _, err := read(); err != nil {
			return err
		}
		_, err := occ.Modify(ctx, c, "c", func(d *counter) error { d.N++; return nil })
		return err
	})
}
