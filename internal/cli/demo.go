package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
)

// errClaimFailed reports that a demonstration did not show what it claims; the summary says which claim.
var errClaimFailed = errors.New("the demonstration did not show what it claims")

// Demo runs `concord demo <name>`: lost-update or conflicts. Each runs against an in-memory Concord served on
// a loopback port (the default) or against any MongoDB deployment given by --uri, prints what happened and a
// summary table, and fails when what it claims did not happen.
func Demo(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: concord demo lost-update|conflicts [--uri URI]")
	}
	switch args[0] {
	case "lost-update":
		return demoMain(args[0], args[1:], func(fs *flag.FlagSet) func(context.Context, *mongo.Client, io.Writer) error {
			users := fs.Int("users", 100, "concurrent users, each adding 1 to the counter once")
			return func(ctx context.Context, c *mongo.Client, w io.Writer) error {
				return demoLostUpdate(ctx, c, w, *users)
			}
		})
	case "conflicts":
		return demoMain(args[0], args[1:], func(fs *flag.FlagSet) func(context.Context, *mongo.Client, io.Writer) error {
			hold := fs.Duration("hold", 300*time.Millisecond, "how long transaction A holds the document")
			return func(ctx context.Context, c *mongo.Client, w io.Writer) error {
				return demoConflicts(ctx, c, w, *hold)
			}
		})
	}
	return fmt.Errorf("unknown demo %q (lost-update, conflicts)", args[0])
}

// demoMain parses the common flags plus the demo's own (added by flags), connects and runs the demo.
func demoMain(name string, args []string, flags func(*flag.FlagSet) func(context.Context, *mongo.Client, io.Writer) error) error {
	fs := flag.NewFlagSet("demo "+name, flag.ContinueOnError)
	uri := fs.String("uri", "", "connection string of a MongoDB deployment (default: an in-memory Concord)")
	run := flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	target := *uri
	if target == "" {
		u, stop, err := serveInMemory()
		if err != nil {
			return err
		}
		defer stop()
		target = u
		fmt.Fprintln(os.Stdout, "against an in-memory Concord (--uri runs it against any MongoDB)")
	} else {
		fmt.Fprintf(os.Stdout, "against %s\n", *uri)
	}
	client, err := mongo.Connect(options.Client().ApplyURI(target).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	return run(context.Background(), client, os.Stdout)
}

// serveInMemory serves a fresh in-memory database on a loopback port; stop closes both.
func serveInMemory() (uri string, stop func(), err error) {
	db, err := concord.Open("", nil)
	if err != nil {
		return "", nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		db.Close()
		return "", nil, err
	}
	srv := &server.Server{DB: db}
	go srv.Serve(l)
	return "mongodb://" + l.Addr().String() + "/?directConnection=true", func() { srv.Close(); db.Close() }, nil
}

// demoDatabase is the database the demos use; each run drops what it leaves there first.
const demoDatabase = "concord_demo"

// lostUpdateRound is the outcome of one round of the lost-update demo.
type lostUpdateRound struct {
	name                     string
	final, expected          int64
	lost, conflicts, retries int64
}

// demoLostUpdate runs the three rounds on one counter: naive read-modify-write, a version field without retry,
// a version field with retry. Each of users goroutines adds 1 once, pausing between its read and its write as a
// user would.
func demoLostUpdate(ctx context.Context, c *mongo.Client, w io.Writer, users int) error {
	if users < 2 {
		return fmt.Errorf("--users must be at least 2")
	}
	coll := c.Database(demoDatabase).Collection("counter")
	type counter struct {
		V   int64 `bson:"v"`
		Ver int64 `bson:"ver"`
	}
	byID := bson.D{{Key: "_id", Value: "counter"}}
	reset := func() error {
		_, err := coll.ReplaceOne(ctx, byID, bson.D{{Key: "v", Value: int64(0)}, {Key: "ver", Value: int64(0)}}, options.Replace().SetUpsert(true))
		return err
	}
	read := func() (counter, error) {
		var d counter
		err := coll.FindOne(ctx, byID).Decode(&d)
		return d, err
	}
	think := func() { time.Sleep(time.Duration(rand.IntN(2000)) * time.Microsecond) }
	// Users arrive over 20 ms, as a crowd does, rather than all in the same instant.
	arrive := func() { time.Sleep(time.Duration(rand.IntN(20000)) * time.Microsecond) }
	// round runs user for every user at once and returns the final value.
	round := func(user func() error) (int64, error) {
		if err := reset(); err != nil {
			return 0, err
		}
		var wg sync.WaitGroup
		var first atomic.Value
		start := make(chan struct{})
		for range users {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				arrive()
				if err := user(); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if err, _ := first.Load().(error); err != nil {
			return 0, err
		}
		d, err := read()
		return d.V, err
	}

	var rounds []lostUpdateRound
	fmt.Fprintf(w, "\n%d users arriving over 20 ms each add 1 to one counter: read it, think for up to 2 ms, write it back.\n", users)

	// Round 1: read, then $set the value read plus one. Two users who read the same value both write it.
	final, err := round(func() error {
		d, err := read()
		if err != nil {
			return err
		}
		think()
		_, err = coll.UpdateOne(ctx, byID, bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: d.V + 1}}}})
		return err
	})
	if err != nil {
		return err
	}
	r1 := lostUpdateRound{name: "naive read-modify-write", final: final, expected: int64(users), lost: int64(users) - final}
	rounds = append(rounds, r1)
	fmt.Fprintf(w, "\nround 1, naive read-modify-write: final %d, expected %d, %d lost\n", r1.final, r1.expected, r1.lost)

	// Round 2: write only if the version read is still current; a user who loses is told (matched 0).
	var conflicts atomic.Int64
	final, err = round(func() error {
		d, err := read()
		if err != nil {
			return err
		}
		think()
		res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "counter"}, {Key: "ver", Value: d.Ver}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: d.V + 1}}}, {Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}})
		if err == nil && res.MatchedCount == 0 {
			conflicts.Add(1)
		}
		return err
	})
	if err != nil {
		return err
	}
	r2 := lostUpdateRound{name: "version field, no retry", final: final, conflicts: conflicts.Load()}
	r2.expected = int64(users) - r2.conflicts
	r2.lost = r2.expected - final
	rounds = append(rounds, r2)
	fmt.Fprintf(w, "round 2, version field without retry: final %d, %d writes succeeded, %d reported a conflict, %d lost silently\n",
		r2.final, r2.expected, r2.conflicts, r2.lost)

	// Round 3: the same, retrying from the read until the write applies.
	var retries atomic.Int64
	final, err = round(func() error {
		for {
			d, err := read()
			if err != nil {
				return err
			}
			think()
			res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: "counter"}, {Key: "ver", Value: d.Ver}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: d.V + 1}}}, {Key: "$inc", Value: bson.D{{Key: "ver", Value: 1}}}})
			if err != nil || res.MatchedCount == 1 {
				return err
			}
			retries.Add(1)
		}
	})
	if err != nil {
		return err
	}
	r3 := lostUpdateRound{name: "version field with retry", final: final, expected: int64(users), retries: retries.Load()}
	r3.lost = r3.expected - final
	rounds = append(rounds, r3)
	fmt.Fprintf(w, "round 3, version field with retry: final %d, expected %d, %d lost (%d retries)\n", r3.final, r3.expected, r3.lost, r3.retries)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "round\tfinal\texpected\tlost\tconflicts\tretries\t")
	for _, r := range rounds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t\n", r.name, r.final, r.expected, r.lost, r.conflicts, r.retries)
	}
	tw.Flush()

	claims := []claim{
		{"naive read-modify-write lost updates", r1.lost > 0},
		{"a version field lost none silently (each loser was told)", r2.lost == 0},
		{fmt.Sprintf("a version field with retry counted exactly %d", users), r3.final == int64(users)},
	}
	return printClaims(w, claims)
}

// claim is one statement a demo makes, and whether the run showed it.
type claim struct {
	text string
	held bool
}

// printClaims prints each claim as held or not and returns errClaimFailed unless all held.
func printClaims(w io.Writer, claims []claim) error {
	fmt.Fprintln(w)
	ok := true
	for _, c := range claims {
		mark := "yes"
		if !c.held {
			mark, ok = "NO ", false
		}
		fmt.Fprintf(w, "%s  %s\n", mark, c.text)
	}
	if !ok {
		return errClaimFailed
	}
	return nil
}
