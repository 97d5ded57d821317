package merge

import (
	"context"
	"errors"
	"strings"
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

// changedLeaves appends the paths at which mine differs from base, following sub-documents present on both
// sides, so that an edit of address.city stamps address.city and not all of address.
func changedLeaves(base, mine bson.Raw, prefix string, p *Policy, out *[]string) {
	be, _ := base.Elements()
	me, _ := mine.Elements()
	for i, e := range me {
		k := e.Key()
		if prefix == "" && p.ignored(k) {
			continue
		}
		mv, bv := e.Value(), find(be, keyOf(e), i)
		switch {
		case isDoc(mv) && isDoc(bv):
			changedLeaves(bv.Document(), mv.Document(), prefix+k+".", p, out)
		case !equal(mv, bv):
			*out = append(*out, prefix+k)
		}
	}
	for i, e := range be {
		if find(me, keyOf(e), i).Type == 0 && !(prefix == "" && p.ignored(e.Key())) {
			*out = append(*out, prefix+e.Key())
		}
	}
}

// Touch returns mine with its field timestamps (Policy.TimestampField) set to now for every path mine changed
// from base (leaf paths, following sub-documents), for the FieldTimestamps strategy and LWW rules. The stamps
// nest as the document does: an edit of address.city is stamped {"address": {"city": now}}, which is also how
// a versioned update of the stamps stores it. Call it on the copy about to be written.
func Touch(base, mine bson.Raw, p *Policy, now time.Time) (bson.Raw, error) {
	tf := p.timestampField()
	var stamps bson.D
	if raw, ok := mine.Lookup(tf).DocumentOK(); ok {
		if err := bson.Unmarshal(raw, &stamps); err != nil {
			return nil, err
		}
	}
	var paths []string
	changedLeaves(base, mine, "", p, &paths)
	at := bson.NewDateTimeFromTime(now)
	for _, path := range paths {
		stamps = setPath(stamps, strings.Split(path, "."), at)
	}
	var out bson.D
	if err := bson.Unmarshal(mine, &out); err != nil {
		return nil, err
	}
	found := false
	for i := range out {
		if out[i].Key == tf {
			out[i].Value, found = stamps, true
		}
	}
	if !found {
		out = append(out, bson.E{Key: tf, Value: stamps})
	}
	return bson.Marshal(out)
}

// setPath sets the nested path segs of d to v, replacing whatever lies on the way.
func setPath(d bson.D, segs []string, v any) bson.D {
	for i := range d {
		if d[i].Key != segs[0] {
			continue
		}
		if len(segs) == 1 {
			d[i].Value = v
			return d
		}
		sub, _ := d[i].Value.(bson.D)
		d[i].Value = setPath(sub, segs[1:], v)
		return d
	}
	if len(segs) == 1 {
		return append(d, bson.E{Key: segs[0], Value: v})
	}
	return append(d, bson.E{Key: segs[0], Value: setPath(nil, segs[1:], v)})
}
