package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"text/tabwriter"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// timeline collects what the conflicts demo's clients did, with offsets from its start. Safe for concurrent use.
type timeline struct {
	start  time.Time
	mu     sync.Mutex
	events []timelineEvent
}

type timelineEvent struct {
	at        time.Duration
	who, what string
}

// add notes an event now and returns its offset.
func (tl *timeline) add(who, format string, args ...any) time.Duration {
	at := time.Since(tl.start)
	tl.mu.Lock()
	tl.events = append(tl.events, timelineEvent{at: at, who: who, what: fmt.Sprintf(format, args...)})
	tl.mu.Unlock()
	return at
}

// print writes the events in time order.
func (tl *timeline) print(w io.Writer) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	sort.SliceStable(tl.events, func(i, j int) bool { return tl.events[i].at < tl.events[j].at })
	for _, e := range tl.events {
		fmt.Fprintf(w, "  +%5d ms  %s  %s\n", e.at.Milliseconds(), e.who, e.what)
	}
}

// demoConflicts shows wait-on-conflict beside fail-on-conflict: transaction A holds a document for hold;
// transaction B's write to it fails at once with WriteConflict; a plain update of it waits until A ends, then
// applies. It prints the timeline, the growth of serverStatus' writeConflicts (and Concord's write waits) and
// the profiler entries that show the conflicts.
func demoConflicts(ctx context.Context, c *mongo.Client, w io.Writer, hold time.Duration) error {
	db := c.Database(demoDatabase)
	coll := db.Collection("stock")
	if err := coll.Drop(ctx); err != nil {
		return err
	}
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "qty", Value: 10}}); err != nil {
		return err
	}
	if err := db.RunCommand(ctx, bson.D{{Key: "profile", Value: 2}}).Err(); err != nil {
		return fmt.Errorf("turning the profiler on: %w", err)
	}
	defer db.RunCommand(context.Background(), bson.D{{Key: "profile", Value: 0}})
	if err := db.Collection("system.profile").Drop(ctx); err != nil {
		return err
	}
	before, err := conflictCounters(ctx, c)
	if err != nil {
		return err
	}
	sa, err := c.StartSession()
	if err != nil {
		return err
	}
	defer sa.EndSession(ctx)
	sb, err := c.StartSession()
	if err != nil {
		return err
	}
	defer sb.EndSession(ctx)
	actx, bctx := mongo.NewSessionContext(ctx, sa), mongo.NewSessionContext(ctx, sb)
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "qty", Value: 1}}}}
	byID := bson.D{{Key: "_id", Value: 1}}

	tl := &timeline{start: time.Now()}
	fmt.Fprintf(w, "\ntransaction A holds {_id: 1} for %v; transaction B and a plain update write it meanwhile\n\n", hold)
	if err := sa.StartTransaction(); err != nil {
		return err
	}
	if _, err := coll.UpdateOne(actx, byID, inc); err != nil {
		return fmt.Errorf("transaction A: %w", err)
	}
	tl.add("A", "transaction updates {_id: 1} and now holds it")

	if err := sb.StartTransaction(); err != nil {
		return err
	}
	bStart := time.Now()
	_, bErr := coll.UpdateOne(bctx, byID, inc)
	bTook := time.Since(bStart)
	var se mongo.ServerError
	bConflict := errors.As(bErr, &se) && se.HasErrorCode(112)
	if bConflict {
		label := ""
		if se.HasErrorLabel("TransientTransactionError") {
			label = ", labelled TransientTransactionError: retry the whole transaction"
		}
		tl.add("B", "transaction updates {_id: 1}: WriteConflict (112) after %d ms%s", bTook.Milliseconds(), label)
	} else {
		tl.add("B", "transaction updates {_id: 1}: %v (expected WriteConflict)", bErr)
	}
	sb.AbortTransaction(ctx)
	tl.add("B", "aborts")

	type result struct {
		took time.Duration
		end  time.Duration
		err  error
	}
	cDone := make(chan result, 1)
	go func() {
		tl.add("C", "plain update of {_id: 1} starts: it must wait for A")
		start := time.Now()
		_, err := coll.UpdateOne(ctx, byID, inc)
		took := time.Since(start)
		end := tl.add("C", "plain update returns after waiting %d ms: applied on A's result", took.Milliseconds())
		cDone <- result{took, end, err}
	}()
	time.Sleep(hold)
	commitAt := tl.add("A", "commits")
	if err := sa.CommitTransaction(actx); err != nil {
		return fmt.Errorf("transaction A's commit: %w", err)
	}
	cr := <-cDone
	if cr.err != nil {
		return fmt.Errorf("plain update: %w", cr.err)
	}
	tl.print(w)

	after, err := conflictCounters(ctx, c)
	if err != nil {
		return err
	}
	var final struct {
		Qty int64 `bson:"qty"`
	}
	if err := coll.FindOne(ctx, byID).Decode(&final); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nserverStatus: metrics.operation.writeConflicts +%d", after.conflicts-before.conflicts)
	if after.hasWaits {
		fmt.Fprintf(w, ", concord.writeWaits +%d", after.waits-before.waits)
	}
	fmt.Fprintf(w, "; final qty %d (10 + A + the plain update)\n", final.Qty)

	entries, err := conflictProfile(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprofiler entries (%s.system.profile) that show the conflicts:\n", demoDatabase)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  op\tns\tmillis\twriteConflicts\terror")
	for _, e := range entries {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", e.Op, e.NS, e.Millis, e.WriteConflicts, e.ErrName)
	}
	tw.Flush()

	return printClaims(w, []claim{
		{"transaction B failed at once with WriteConflict", bConflict && bTook < hold/2},
		{"the plain update waited until A committed, then applied", cr.end >= commitAt && cr.took >= hold/2},
		{"no update was lost (qty 12)", final.Qty == 12},
		{"serverStatus counted the conflicts", after.conflicts > before.conflicts},
		{"the profiler shows them", len(entries) > 0},
	})
}

// conflictCounts are the serverStatus counters the conflicts demo reports.
type conflictCounts struct {
	conflicts, waits int64
	hasWaits         bool
}

func conflictCounters(ctx context.Context, c *mongo.Client) (conflictCounts, error) {
	raw, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		return conflictCounts{}, err
	}
	var cc conflictCounts
	if v, err := raw.LookupErr("metrics", "operation", "writeConflicts"); err == nil {
		cc.conflicts, _ = v.AsInt64OK()
	}
	if v, err := raw.LookupErr("concord", "writeWaits"); err == nil {
		cc.waits, _ = v.AsInt64OK()
		cc.hasWaits = true
	}
	return cc, nil
}

// profileConflict is a profiler entry of the conflicts demo.
type profileConflict struct {
	Op             string `bson:"op"`
	NS             string `bson:"ns"`
	Millis         int64  `bson:"millis"`
	WriteConflicts int64  `bson:"writeConflicts"`
	ErrName        string `bson:"errName"`
}

// conflictProfile returns db's profiler entries that met a write conflict, oldest first.
func conflictProfile(ctx context.Context, db *mongo.Database) ([]profileConflict, error) {
	cur, err := db.Collection("system.profile").Find(ctx, bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "writeConflicts", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "errName", Value: "WriteConflict"}},
	}}})
	if err != nil {
		return nil, err
	}
	var out []profileConflict
	err = cur.All(ctx, &out)
	return out, err
}
