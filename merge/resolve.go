package merge

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// Options configures Resolve (and a unit of work's merges). A nil *Options, and each zero field, mean the
// defaults.
type Options struct {
	// Strategy is the merge strategy; ThreeWay by default.
	Strategy Strategy
	// Policy is the per-field policy; nil is all defaults (every collision an error).
	Policy *Policy
	// Log, when set, receives one LogEntry per merge: resolved or left in conflict.
	Log store.Collection
	// Metrics counts merges by strategy and outcome (Counters.Merges) under the document's namespace; the
	// collection's metrics by default.
	Metrics *occ.Metrics
	// Retry paces the merges run again because the document moved while merging; the collection's by default.
	Retry *occ.Retry
	// Now stamps log entries; time.Now by default.
	Now func() time.Time
}

// Outcomes of a merge, as logged and counted.
const (
	OutcomeResolved = "resolved"
	OutcomeConflict = "conflict"
)

// LogEntry is one merge as the conflict log keeps it.
type LogEntry struct {
	// Collection is the document's namespace, ID its _id.
	Collection string `bson:"ns"`
	ID         any    `bson:"doc"`
	Strategy   string `bson:"strategy"`
	// Outcome is OutcomeResolved or OutcomeConflict.
	Outcome string `bson:"outcome"`
	// Paths are the collisions: resolved ones (with Resolutions saying how) or unresolved ones.
	Paths       []string     `bson:"paths"`
	Resolutions []Resolution `bson:"resolutions,omitempty"`
	// Base, Mine and Theirs are the merge's inputs, Merged its result (absent on conflict).
	Base   bson.Raw `bson:"base,omitempty"`
	Mine   bson.Raw `bson:"mine,omitempty"`
	Theirs bson.Raw `bson:"theirs,omitempty"`
	Merged bson.Raw `bson:"merged,omitempty"`
	// By is the user of the context (occ.WithUser), At when the merge ran.
	By string    `bson:"by,omitempty"`
	At time.Time `bson:"at"`
}

// Resolve merges mine, the caller's copy edited from base, into the document with _id id as it is now
// (theirs), and writes the merged document as a versioned update based on theirs' version, sending only what
// differs from theirs. If the document moved again in the meantime, the write conflicts and Resolve reads,
// merges and writes again, as opts.Retry allows. An unresolved collision writes nothing and returns a
// *ConflictError (errors.Is(err, ErrConflict)), with the Result listing every change. Each merge is logged and
// counted when opts ask for it. base and mine must hold the same fields (both whole documents, or both as one
// struct type sees them): a field of theirs that base and mine both lack counts as added by theirs and is kept,
// except under LastWriteWins, where mine replaces theirs whole.
func Resolve(ctx context.Context, c *occ.Collection, id any, base, mine bson.Raw, opts *Options) (occ.Result, *Result, error) {
	o := filled(c, opts)
	var (
		res    occ.Result
		merged *Result
	)
	attempts, err := o.Retry.Do(ctx, o.Metrics, c.Namespace(), func(ctx context.Context) error {
		theirs, version, err := c.FindByID(ctx, id)
		if err != nil {
			return err
		}
		r, err := Merge(base, mine, theirs, o.Strategy, o.Policy)
		merged = r
		if err != nil {
			if lerr := Record(ctx, c.Namespace(), id, base, mine, theirs, r, &o); lerr != nil {
				return errors.Join(err, lerr)
			}
			return err
		}
		res, _, err = c.WriteDiff(ctx, occ.Diff{ID: id, Version: version, Base: theirs, Mine: r.Doc})
		if err != nil {
			return err
		}
		return Record(ctx, c.Namespace(), id, base, mine, theirs, r, &o)
	})
	res.Attempts = attempts
	return res, merged, err
}

func filled(c *occ.Collection, opts *Options) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Metrics == nil {
		o.Metrics = c.Metrics()
	}
	if o.Retry == nil {
		o.Retry = c.Options().Retry
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Record counts a merge of the document with _id id in namespace ns and, when opts name a log, writes its
// entry there (with ctx, so inside the caller's transaction when there is one). Resolve and units of work call
// it; it is exported for merges run by hand with Merge.
func Record(ctx context.Context, ns string, id any, base, mine, theirs bson.Raw, r *Result, opts *Options) error {
	var o Options
	if opts != nil {
		o = *opts
	}
	outcome := OutcomeResolved
	var paths []string
	if len(r.Conflicts) > 0 {
		outcome = OutcomeConflict
		for _, c := range r.Conflicts {
			paths = append(paths, c.Path)
		}
	} else {
		for _, c := range r.Resolved {
			paths = append(paths, c.Path)
		}
	}
	m := o.Metrics
	if m == nil {
		m = occ.DefaultMetrics
	}
	key := o.Strategy.String() + "/" + outcome
	m.Add(ns, func(c *occ.Counters) {
		if c.Merges == nil {
			c.Merges = map[string]int64{}
		}
		c.Merges[key]++
	})
	if o.Log == nil {
		return nil
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	_, err := o.Log.InsertOne(ctx, LogEntry{Collection: ns, ID: id, Strategy: o.Strategy.String(), Outcome: outcome, Paths: paths,
		Resolutions: r.Resolved, Base: base, Mine: mine, Theirs: theirs, Merged: r.Doc, By: occ.UserFrom(ctx), At: now()})
	return err
}

// Touch returns mine with its field timestamps (Policy.TimestampField) set to now for every path mine changed
// from base, for the FieldTimestamps strategy and LWW rules. Call it on the copy about to be written.
func Touch(base, mine bson.Raw, p *Policy, now time.Time) (bson.Raw, error) {
	tf := p.timestampField()
	stamps, _ := mine.Lookup(tf).DocumentOK()
	var d bson.D
	if stamps != nil {
		if err := bson.Unmarshal(stamps, &d); err != nil {
			return nil, err
		}
	}
	for _, c := range Detect(base, mine, base, p) {
		if !c.MineChanged {
			continue
		}
		set := false
		for i := range d {
			if d[i].Key == c.Path {
				d[i].Value, set = bson.NewDateTimeFromTime(now), true
			}
		}
		if !set {
			d = append(d, bson.E{Key: c.Path, Value: bson.NewDateTimeFromTime(now)})
		}
	}
	var out bson.D
	if err := bson.Unmarshal(mine, &out); err != nil {
		return nil, err
	}
	found := false
	for i := range out {
		if out[i].Key == tf {
			out[i].Value, found = d, true
		}
	}
	if !found {
		out = append(out, bson.E{Key: tf, Value: d})
	}
	return bson.Marshal(out)
}
