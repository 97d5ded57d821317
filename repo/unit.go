package repo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

// UnitOptions configures a Unit. A nil *UnitOptions means the defaults.
type UnitOptions struct {
	// Lightweight turns off the identity map and the snapshots, for read-mostly code: every Load returns a new
	// copy, nothing is tracked, and Commit writes only what Add, Remove and Attach named (Attach saves the way
	// Repository.Save does).
	Lightweight bool
	// Txn configures the commit's transaction (its retries of transient errors).
	Txn *occ.TxnOptions
	// Merge, when set, makes Commit resolve conflicts instead of failing: for each conflicting entity that was
	// loaded (and not deleted meanwhile) it merges base, mine and theirs (package merge) under Merge.Strategy and
	// the entity type's policy (merge.PolicyOf its struct tags, unless Merge.Policy names one), gives the entity
	// the merged value at theirs' version, and commits again. A collision no rule resolves fails the commit as
	// without Merge, each DocumentConflict carrying its merge's result. Merges are counted and logged as
	// Merge says.
	Merge *merge.Options
	// MergeAttempts bounds the commits run again after merging (others may keep moving the documents); 10 by
	// default.
	MergeAttempts int
}

// Unit is a unit of work: it loads entities through an identity map (the same _id loaded twice gives the same
// pointer), snapshots what it loaded as the base of change detection, tracks new, changed and removed
// entities, and Commit writes only what changed, in one transaction, each document version-checked (or
// field-checked, when its collection is in field-level mode). A Unit is not safe for concurrent use; make one
// per business operation.
type Unit struct {
	st      store.Store
	opts    UnitOptions
	entries []*entry
	byKey   map[string]*entry
}

// NewUnit returns an empty unit of work on st.
func NewUnit(st store.Store, opts *UnitOptions) *Unit {
	u := &Unit{st: st, byKey: map[string]*entry{}}
	if opts != nil {
		u.opts = *opts
	}
	return u
}

type state int8

const (
	loaded   state = iota // tracked since Load; written if it changed
	added                 // Add: inserted at commit
	removed               // Remove: deleted at commit
	attached              // Attach: saved against the stored document at commit
	finished state = -1   // written (removed, attached) or cancelled (added then removed): dropped from the unit
)

// entry is one tracked entity, with the type-specific operations of its repository.
type entry struct {
	key   string
	state state
	ptr   any
	base  bson.Raw // the snapshot: the entity as loaded (as its type sees the document)
	ops   entityOps
}

// entityOps is what Unit needs of a Repository[T] without knowing T.
type entityOps interface {
	collection() *occ.Collection
	id(ptr any) any
	version(ptr any) int64
	setVersion(ptr any, v int64)
	decode(raw bson.Raw, ptr any) error
	saveAttached(ctx context.Context, ptr any) (occ.Result, error)
	// view returns a stored document as the entity type sees it (fields it does not hold left out).
	view(raw bson.Raw) (bson.Raw, error)
	policy() (*merge.Policy, error)
}

type repoOps[T any] struct{ r *Repository[T] }

func (o repoOps[T]) collection() *occ.Collection { return o.r.c }
func (o repoOps[T]) id(p any) any                { return o.r.ID(p.(*T)) }
func (o repoOps[T]) version(p any) int64         { return o.r.Version(p.(*T)) }
func (o repoOps[T]) setVersion(p any, v int64)   { o.r.setVersion(p.(*T), v) }
func (o repoOps[T]) decode(raw bson.Raw, p any) error {
	t := p.(*T)
	var zero T
	*t = zero
	return bson.Unmarshal(raw, t)
}
func (o repoOps[T]) view(raw bson.Raw) (bson.Raw, error) {
	var t T
	if err := bson.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	return bson.Marshal(&t)
}
func (o repoOps[T]) policy() (*merge.Policy, error) { return merge.PolicyOf[T]() }
func (o repoOps[T]) saveAttached(ctx context.Context, p any) (occ.Result, error) {
	res, _, err := o.r.save(ctx, p.(*T), nil, false)
	return res, err
}

// key returns the identity map's key of _id id in c: the namespace and the _id's BSON bytes.
func key(c *occ.Collection, id any) (string, error) {
	raw, err := bson.Marshal(bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return "", err
	}
	return c.Namespace() + "\x00" + string(raw), nil
}

// Load returns the entity with _id id: the one already in u's identity map if there is one, else a fresh
// copy, snapshotted and tracked. ErrNotFound (occ's) when there is none.
func (r *Repository[T]) Load(ctx context.Context, u *Unit, id any) (*T, error) {
	k, err := key(r.c, id)
	if err != nil {
		return nil, err
	}
	if e := u.byKey[k]; e != nil && !u.opts.Lightweight {
		if e.state == removed {
			return nil, &occ.NotFoundError{Collection: r.c.Namespace(), ID: id}
		}
		return e.ptr.(*T), nil
	}
	doc, _, err := r.c.FindByID(ctx, id)
	if err != nil {
		return nil, err
	}
	// The caller's id may be another Go value of the same _id (int against int64): key the stored one too.
	stored, err := key(r.c, doc.Lookup("_id"))
	if err != nil {
		return nil, err
	}
	if e := u.byKey[stored]; e != nil && !u.opts.Lightweight {
		u.byKey[k] = e
		return e.ptr.(*T), nil
	}
	t, err := r.track(u, stored, doc)
	if err == nil && !u.opts.Lightweight {
		u.byKey[k] = u.byKey[stored]
	}
	return t, err
}

// LoadMany returns the entities matching filter, through the identity map like Load: an entity already in
// the unit is returned as the unit holds it, not as it was just read.
func (r *Repository[T]) LoadMany(ctx context.Context, u *Unit, filter any) ([]*T, error) {
	docs, err := r.c.Unversioned().Find(ctx, filter, nil)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(docs))
	for _, doc := range docs {
		k, err := key(r.c, doc.Lookup("_id"))
		if err != nil {
			return nil, err
		}
		if e := u.byKey[k]; e != nil && !u.opts.Lightweight {
			if e.state != removed {
				out = append(out, e.ptr.(*T))
			}
			continue
		}
		t, err := r.track(u, k, doc)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// track decodes doc into a new entity and, unless u is lightweight, records it with its snapshot.
func (r *Repository[T]) track(u *Unit, k string, doc bson.Raw) (*T, error) {
	t := new(T)
	if err := bson.Unmarshal(doc, t); err != nil {
		return nil, err
	}
	if u.opts.Lightweight {
		return t, nil
	}
	base, err := bson.Marshal(t)
	if err != nil {
		return nil, err
	}
	e := &entry{key: k, state: loaded, ptr: t, base: base, ops: repoOps[T]{r}}
	u.entries = append(u.entries, e)
	u.byKey[k] = e
	return t, nil
}

// Add tracks t as new: Commit inserts it at version 1 (an existing _id is a conflict). A zero ObjectID _id is
// replaced by a new one now.
func (r *Repository[T]) Add(u *Unit, t *T) error {
	if oid, ok := r.ID(t).(bson.ObjectID); ok && oid.IsZero() {
		setID(t, r.id, bson.NewObjectID())
	}
	return r.enlist(u, t, added)
}

// Remove tracks t for deletion: Commit deletes it if it is still at t's version.
func (r *Repository[T]) Remove(u *Unit, t *T) error { return r.enlist(u, t, removed) }

// Attach tracks t, loaded elsewhere, for saving: Commit writes it as Repository.Save would, checking t's
// version against the stored document. This is how a lightweight unit saves.
func (r *Repository[T]) Attach(u *Unit, t *T) error { return r.enlist(u, t, attached) }

func (r *Repository[T]) enlist(u *Unit, t *T, s state) error {
	k, err := key(r.c, r.ID(t))
	if err != nil {
		return err
	}
	e := u.byKey[k]
	for _, x := range u.entries {
		if x.ptr == any(t) {
			e = x
		}
	}
	if e != nil {
		if e.ptr != any(t) {
			return fmt.Errorf("repo: another instance of %s _id %v is already in the unit", r.c.Namespace(), r.ID(t))
		}
		if s == added {
			return fmt.Errorf("repo: %s _id %v is already in the unit", r.c.Namespace(), r.ID(t))
		}
		if s == removed && e.state == added {
			e.state = finished // added then removed: nothing to write
			u.forget(e)
			u.dropDead()
			return nil
		}
		if s == removed {
			e.state = removed
		}
		return nil
	}
	e = &entry{key: k, state: s, ptr: t, ops: repoOps[T]{r}}
	u.entries = append(u.entries, e)
	u.byKey[k] = e
	return nil
}

// DocumentConflict is one document a Commit could not write. Base is the document as the unit loaded it (nil
// for an added entity), Mine as the unit would have written it, Theirs as it is now (nil when it was deleted):
// the three inputs of a merge.
type DocumentConflict struct {
	Collection string
	ID         any
	// Expected is the version the unit's copy is at; Current the stored one (0 when deleted).
	Expected, Current int64
	Paths             []string
	Base, Mine        bson.Raw
	Theirs            bson.Raw
	// Err is the *occ.ConflictError, or the not-found error of a document deleted meanwhile.
	Err error
	// Merge is the result of the merge a unit with UnitOptions.Merge tried, nil when none was tried (an entity
	// added, removed or attached, or a document deleted meanwhile).
	Merge *merge.Result

	e *entry
}

// CommitError lists every document a Commit could not write; nothing was written. errors.Is(err,
// occ.ErrConflict) is true, so occ.Retry and Run retry it.
type CommitError struct {
	Conflicts []DocumentConflict
}

func (e *CommitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "repo: commit failed on %d document(s):", len(e.Conflicts))
	for _, c := range e.Conflicts {
		fmt.Fprintf(&b, " %s _id %v (expected version %d, current %d);", c.Collection, c.ID, c.Expected, c.Current)
	}
	return strings.TrimSuffix(b.String(), ";")
}

// Is makes errors.Is(err, occ.ErrConflict) true.
func (e *CommitError) Is(target error) bool { return target == occ.ErrConflict }

// errConflicts makes WithTransaction abort the commit's transaction without retrying it.
var errConflicts = errors.New("repo: conflicts")

// written is what a commit's transaction wrote for one entry, applied to the entry once it commits.
type written struct {
	e       *entry
	version int64
	after   bson.Raw // the document as written (field-level mode), or mine
}

// Commit writes every tracked change in one transaction: added entities are inserted, removed ones deleted,
// loaded ones that changed are updated with only their changed fields, each checked against the version (or,
// for a field-level collection, the base values of the changed fields) it was loaded at. Transient transaction
// errors are retried. If any document conflicts, nothing is written and the *CommitError lists every
// conflicting document with base, mine and theirs; with UnitOptions.Merge the conflicts are merged and the
// commit runs again instead, until it succeeds, a merge fails, or MergeAttempts runs out. After a successful
// commit the entities carry their new versions and the unit may go on being used.
func (u *Unit) Commit(ctx context.Context) error {
	limit := u.opts.MergeAttempts
	if limit <= 0 {
		limit = 10
	}
	for attempt := 0; ; attempt++ {
		err := u.commitOnce(ctx)
		var ce *CommitError
		if u.opts.Merge == nil || !errors.As(err, &ce) || attempt >= limit {
			return err
		}
		ok, merr := u.merge(ctx, ce)
		if merr != nil {
			return merr
		}
		if !ok {
			return ce
		}
	}
}

// merge merges every conflict of ce into its entity and reports whether all merged; the entities change only
// when all did.
func (u *Unit) merge(ctx context.Context, ce *CommitError) (bool, error) {
	type merged struct {
		e       *entry
		doc     bson.Raw
		theirs  bson.Raw
		version int64
	}
	var done []merged
	all := true
	for i := range ce.Conflicts {
		dc := &ce.Conflicts[i]
		e := dc.e
		if e == nil || e.state != loaded || e.base == nil || dc.Theirs == nil {
			all = false
			continue
		}
		theirs, err := e.ops.view(dc.Theirs)
		if err != nil {
			return false, err
		}
		o := *u.opts.Merge
		if o.Policy == nil {
			if o.Policy, err = e.ops.policy(); err != nil {
				return false, err
			}
		}
		if o.Metrics == nil {
			o.Metrics = e.ops.collection().Metrics()
		}
		r, merr := merge.Merge(e.base, dc.Mine, theirs, o.Strategy, o.Policy)
		dc.Merge = r
		if err := merge.Record(ctx, dc.Collection, dc.ID, e.base, dc.Mine, theirs, r, &o); err != nil {
			return false, err
		}
		if merr != nil {
			all = false
			continue
		}
		version, _ := dc.Theirs.Lookup(e.ops.collection().VersionField()).AsInt64OK()
		done = append(done, merged{e: e, doc: r.Doc, theirs: theirs, version: version})
	}
	if !all {
		return false, nil
	}
	for _, m := range done {
		if err := m.e.ops.decode(m.doc, m.e.ptr); err != nil {
			return false, err
		}
		m.e.ops.setVersion(m.e.ptr, m.version)
		m.e.base = m.theirs
	}
	return true, nil
}

// commitOnce is one transaction of Commit.
func (u *Unit) commitOnce(ctx context.Context) error {
	var (
		done      []written
		conflicts []DocumentConflict
	)
	err := occ.WithTransaction(ctx, u.st, func(ctx context.Context) error {
		done, conflicts = done[:0], conflicts[:0]
		for _, e := range u.entries {
			w, err := u.write(ctx, e)
			if errors.Is(err, occ.ErrConflict) || errors.Is(err, occ.ErrNotFound) {
				c, rerr := u.conflict(ctx, e, err)
				if rerr != nil {
					return rerr
				}
				conflicts = append(conflicts, c)
				continue
			}
			if err != nil {
				return err
			}
			if w != nil {
				done = append(done, *w)
			}
		}
		if len(conflicts) > 0 {
			return errConflicts
		}
		return nil
	}, u.opts.Txn)
	if errors.Is(err, errConflicts) {
		return &CommitError{Conflicts: conflicts}
	}
	if err != nil {
		return err
	}
	u.committed(done)
	return nil
}

// write writes one entry in the commit's transaction; nil when there was nothing to write.
func (u *Unit) write(ctx context.Context, e *entry) (*written, error) {
	c := e.ops.collection()
	switch e.state {
	case added:
		mine, err := bson.Marshal(e.ptr)
		if err != nil {
			return nil, err
		}
		res, err := c.Insert(ctx, e.ptr)
		return &written{e: e, version: res.NewVersion, after: mine}, err
	case removed:
		_, err := c.DeleteOne(ctx, e.ops.id(e.ptr), e.ops.version(e.ptr))
		return &written{e: e}, err
	case attached:
		res, err := e.ops.saveAttached(ctx, e.ptr)
		return &written{e: e, version: res.NewVersion}, err
	case loaded:
		mine, err := bson.Marshal(e.ptr)
		if err != nil {
			return nil, err
		}
		fieldLevel := c.Options().FieldLevel
		res, after, err := c.WriteDiff(ctx, occ.Diff{ID: e.ops.id(e.ptr), Version: e.ops.version(e.ptr), Base: e.base, Mine: mine,
			FieldLevel: fieldLevel, ReturnDocument: fieldLevel})
		if err != nil || res.NewVersion == res.PreviousVersion {
			return nil, err
		}
		if after == nil {
			after = mine
		}
		return &written{e: e, version: res.NewVersion, after: after}, nil
	}
	return nil, nil
}

// conflict describes the failed write of e, reading theirs in the transaction.
func (u *Unit) conflict(ctx context.Context, e *entry, err error) (DocumentConflict, error) {
	c := e.ops.collection()
	id := e.ops.id(e.ptr)
	mine, merr := bson.Marshal(e.ptr)
	if merr != nil {
		return DocumentConflict{}, merr
	}
	dc := DocumentConflict{Collection: c.Namespace(), ID: id, Expected: e.ops.version(e.ptr), Base: e.base, Mine: mine, Err: err, e: e}
	var ce *occ.ConflictError
	if errors.As(err, &ce) {
		dc.Current, dc.Paths = ce.Current, ce.Paths
	}
	theirs, _, rerr := c.FindByID(ctx, id)
	switch {
	case rerr == nil:
		dc.Theirs = theirs
	case !errors.Is(rerr, occ.ErrNotFound):
		return DocumentConflict{}, rerr
	}
	return dc, nil
}

// committed applies a committed transaction's writes to the tracked entities: new versions, new snapshots,
// removed entities forgotten.
func (u *Unit) committed(done []written) {
	for _, w := range done {
		e := w.e
		switch e.state {
		case removed:
			e.state = finished
			u.forget(e)
			continue
		case attached:
			e.ops.setVersion(e.ptr, w.version)
			e.state = finished // written once; attach again to save again
			u.forget(e)
			continue
		}
		if e.ops.collection().Options().FieldLevel && e.state == loaded {
			// Others' changes to other fields came back with the write: the entity shows the document as stored.
			_ = e.ops.decode(w.after, e.ptr)
		}
		e.ops.setVersion(e.ptr, w.version)
		base, err := bson.Marshal(e.ptr)
		if err == nil {
			e.base = base
		}
		e.state = loaded
	}
	u.dropDead()
}

// forget removes e from the identity map, under every key that leads to it.
func (u *Unit) forget(e *entry) {
	for k, x := range u.byKey {
		if x == e {
			delete(u.byKey, k)
		}
	}
}

// dropDead removes the finished entries from the tracked list.
func (u *Unit) dropDead() {
	live := u.entries[:0]
	for _, e := range u.entries {
		if e.state != finished {
			live = append(live, e)
		}
	}
	u.entries = live
}

// Run runs fn with a fresh unit of work and commits it, retrying the whole of fn with a new unit after a
// conflict as retry says (nil: occ's defaults; occ.NoRetry: a single attempt). fn may therefore run several
// times.
func Run(ctx context.Context, st store.Store, opts *UnitOptions, retry *occ.Retry, fn func(ctx context.Context, u *Unit) error) error {
	_, err := retry.Do(ctx, nil, "", func(ctx context.Context) error {
		u := NewUnit(st, opts)
		if err := fn(ctx, u); err != nil {
			return err
		}
		return u.Commit(ctx)
	})
	return err
}
