// Package lock is a distributed lock over a store, with fencing tokens: a lock is a document
// {_id: name, owner, token, expiresAt} in a locks collection, taken by one atomic find-and-modify when it is free
// or expired, and every acquisition hands out a token larger than every token handed out for that name before.
// A lease that expired while its holder was paused (a garbage-collection pause, a stalled VM) is taken by the next
// acquirer; the paused holder may still believe it holds the lock, which no lock can prevent, but its writes
// carry its older token and a Guard refuses them (Kleppmann's fencing).
//
// # One clock
//
// Every expiry comparison and every expiresAt is computed by the database server from its own clock ($$NOW), in
// the same statement that reads or writes the lock: acquiring, renewing, releasing and sweeping never compare a
// client's clock with a server's, so clock skew between clients cannot let two of them hold a lock. (Against a
// replica set the clock is the primary's; after a failover a new primary's clock takes over, and leases are only
// as exact as the two clocks agree.) The client's clock is used only to pace waiting and renewal.
//
// # Tokens
//
// A token is max(previous token + 1, the server's time in milliseconds). Releasing keeps the document (and its
// token); Sweep deletes documents expired for longer than a grace period, and the next acquisition starts from
// the clock, above every token handed out before as long as the lock was not acquired more than once per
// millisecond on average for longer than the grace period.
//
// Locker, Lease and Guard are safe for concurrent use.
package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store"
)

var (
	// ErrHeld is returned by TryAcquire when another owner holds the lock (and wrapped by Acquire's ErrTimeout).
	ErrHeld = errors.New("lock: held by another owner")
	// ErrTimeout is returned by Acquire when the lock stayed held for the whole wait; it wraps ErrHeld.
	ErrTimeout = errors.New("lock: wait timed out")
	// ErrLost is returned by Renew and Release when the lease expired or another owner took the lock: nothing
	// was changed, and another owner's lock was not touched.
	ErrLost = errors.New("lock: lease lost")
	// ErrFenced is returned by a Guard's write carrying a token lower than one the document has already seen.
	ErrFenced = errors.New("lock: fenced off by a newer token")
)

// Options configures a Locker. A nil *Options, and each zero field, mean the defaults.
type Options struct {
	// Owner identifies the holder in lock documents; host:pid:random by default.
	Owner string
	// Backoff paces Acquire's retries: after n failed attempts it sleeps a random duration in [d/2, d) with
	// d = min(MinBackoff * 2^n, MaxBackoff). Defaults 2 ms and 100 ms.
	MinBackoff, MaxBackoff time.Duration
	// Metrics receives acquisitions, contention and lost leases under the locks collection's namespace;
	// occ.DefaultMetrics by default.
	Metrics *occ.Metrics
}

// Locker hands out leases on named locks kept in one collection.
type Locker struct {
	c    store.Collection
	ns   string
	opts Options
}

// New returns a Locker keeping its lock documents in the named collection of st.
func New(st store.Store, database, collection string, opts *Options) *Locker {
	l := &Locker{c: st.Collection(database, collection), ns: database + "." + collection}
	if opts != nil {
		l.opts = *opts
	}
	if l.opts.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		l.opts.Owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if l.opts.MinBackoff <= 0 {
		l.opts.MinBackoff = 2 * time.Millisecond
	}
	if l.opts.MaxBackoff <= 0 {
		l.opts.MaxBackoff = 100 * time.Millisecond
	}
	if l.opts.Metrics == nil {
		l.opts.Metrics = occ.DefaultMetrics
	}
	return l
}

// Owner returns the identity the Locker writes into the documents of the locks it holds.
func (l *Locker) Owner() string { return l.opts.Owner }

// Lease is one acquisition of a lock. Its token is fixed; its expiry moves when it is renewed.
type Lease struct {
	l     *Locker
	name  string
	token int64

	mu        sync.Mutex
	expiresAt time.Time
	stop      context.CancelFunc // stops KeepAlive's renewals, nil when none run
}

// Name returns the lock's name.
func (ls *Lease) Name() string { return ls.name }

// Token returns the fencing token of this acquisition: larger than the token of every earlier acquisition of
// the same lock.
func (ls *Lease) Token() int64 { return ls.token }

// ExpiresAt returns the lease's expiry as the server computed it (its clock, not the caller's) at the last
// acquisition or renewal.
func (ls *Lease) ExpiresAt() time.Time {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.expiresAt
}

func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// notExpired is the filter condition of a lease still running by the server's clock.
var notExpired = bson.D{{Key: "$gt", Value: bson.A{"$expiresAt", "$$NOW"}}}

// TryAcquire takes the lock name for ttl if it is free or expired, in one find-and-modify: the filter matches
// the lock's document only when its expiresAt has passed, the update (a pipeline, so that the server computes
// the token and the expiry) increments the token, and an upsert creates the document when there is none. When
// the lock is held the upsert collides with the existing _id: that duplicate key, like the one of two
// acquirers racing to create the document, means "held" and TryAcquire returns ErrHeld.
func (l *Locker) TryAcquire(ctx context.Context, name string, ttl time.Duration) (*Lease, error) {
	if ttl <= 0 {
		return nil, fmt.Errorf("lock: ttl must be positive, got %v", ttl)
	}
	filter := bson.D{{Key: "_id", Value: name},
		{Key: "$expr", Value: bson.D{{Key: "$lte", Value: bson.A{"$expiresAt", "$$NOW"}}}}}
	update := bson.A{bson.D{{Key: "$set", Value: bson.D{
		{Key: "owner", Value: l.opts.Owner},
		{Key: "token", Value: bson.D{{Key: "$max", Value: bson.A{
			bson.D{{Key: "$add", Value: bson.A{bson.D{{Key: "$ifNull", Value: bson.A{"$token", int64(0)}}}, int64(1)}}},
			bson.D{{Key: "$toLong", Value: "$$NOW"}},
		}}}},
		{Key: "acquiredAt", Value: "$$NOW"},
		{Key: "expiresAt", Value: bson.D{{Key: "$add", Value: bson.A{"$$NOW", ms(ttl)}}}},
	}}}}
	doc, err := l.c.FindOneAndUpdate(ctx, filter, update, &store.FindOneAndModifyOptions{ReturnAfter: true, Upsert: true})
	if store.IsDuplicateKey(err) {
		l.opts.Metrics.Add(l.ns, func(c *occ.Counters) { c.LockContended++ })
		return nil, ErrHeld
	}
	if err != nil {
		return nil, err
	}
	var d struct {
		Token     int64     `bson:"token"`
		ExpiresAt time.Time `bson:"expiresAt"`
	}
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	l.opts.Metrics.Add(l.ns, func(c *occ.Counters) { c.LockAcquired++ })
	return &Lease{l: l, name: name, token: d.Token, expiresAt: d.ExpiresAt}, nil
}

// Acquire is TryAcquire that waits while the lock is held: it tries again after a growing, jittered backoff
// (Options.MinBackoff to MaxBackoff) until it succeeds, wait has passed (ErrTimeout, wrapping ErrHeld), or ctx
// ends (ctx's error). wait <= 0 waits as long as ctx lives. Waiters are not queued: whichever tries first after
// the lock frees takes it.
func (l *Locker) Acquire(ctx context.Context, name string, ttl, wait time.Duration) (*Lease, error) {
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		ls, err := l.TryAcquire(ctx, name, ttl)
		if !errors.Is(err, ErrHeld) {
			if err != nil && wait > 0 && errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w: %w", ErrTimeout, ErrHeld)
			}
			return ls, err
		}
		t := time.NewTimer(l.backoff(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			if wait > 0 && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w after %v: %w", ErrTimeout, wait, ErrHeld)
			}
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func (l *Locker) backoff(n int) time.Duration {
	d := time.Duration(math.Min(float64(l.opts.MinBackoff)*math.Pow(2, float64(min(n, 30))), float64(l.opts.MaxBackoff)))
	if d < 2 {
		return d
	}
	return d/2 + mrand.N(d/2)
}

// mine is the filter of the lease's own document: same name, owner and token, not expired.
func (ls *Lease) mine() bson.D {
	return bson.D{{Key: "_id", Value: ls.name}, {Key: "owner", Value: ls.l.opts.Owner}, {Key: "token", Value: ls.token},
		{Key: "$expr", Value: notExpired}}
}

// Renew extends the lease to ttl from now (the server's now) if it is still held: same owner, same token, not
// expired. Otherwise it changes nothing and returns ErrLost: the lease expired, or another owner took the lock.
func (ls *Lease) Renew(ctx context.Context, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("lock: ttl must be positive, got %v", ttl)
	}
	update := bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$add", Value: bson.A{"$$NOW", ms(ttl)}}}}}}}}
	doc, err := ls.l.c.FindOneAndUpdate(ctx, ls.mine(), update, &store.FindOneAndModifyOptions{ReturnAfter: true,
		Projection: bson.D{{Key: "expiresAt", Value: 1}}})
	if errors.Is(err, store.ErrNoDocuments) {
		ls.l.opts.Metrics.Add(ls.l.ns, func(c *occ.Counters) { c.LockLost++ })
		return ErrLost
	}
	if err != nil {
		return err
	}
	if v, ok := doc.Lookup("expiresAt").DateTimeOK(); ok {
		ls.mu.Lock()
		ls.expiresAt = time.UnixMilli(v)
		ls.mu.Unlock()
	}
	return nil
}

// Release frees the lock if the lease still holds it, keeping the document and its token so that tokens keep
// growing, and stops KeepAlive's renewals. A lease that expired, or whose lock another owner took, is not
// released: Release returns ErrLost and leaves the document alone.
func (ls *Lease) Release(ctx context.Context) error {
	ls.mu.Lock()
	if ls.stop != nil {
		ls.stop()
		ls.stop = nil
	}
	ls.mu.Unlock()
	update := bson.A{
		bson.D{{Key: "$set", Value: bson.D{{Key: "expiresAt", Value: "$$NOW"}}}},
		bson.D{{Key: "$unset", Value: "owner"}},
	}
	res, err := ls.l.c.UpdateOne(ctx, ls.mine(), update, nil)
	if err != nil {
		return err
	}
	if res.Matched == 0 {
		ls.l.opts.Metrics.Add(ls.l.ns, func(c *occ.Counters) { c.LockLost++ })
		return ErrLost
	}
	return nil
}

// KeepAlive renews the lease every ttl/3 while ctx lives and until Release, and returns a context that ends
// when ctx ends, the lease is released, or it is lost (context.Cause is then ErrLost). Run the protected work
// with the returned context, and still fence its writes: a renewal can arrive too late. A failed renewal other
// than ErrLost (the server briefly unreachable) is tried again at the next tick. Calling KeepAlive again
// replaces the earlier renewals and ends the context they returned.
func (ls *Lease) KeepAlive(ctx context.Context, ttl time.Duration) context.Context {
	held, lose := context.WithCancelCause(ctx)
	rctx, stop := context.WithCancel(held)
	ls.mu.Lock()
	if ls.stop != nil {
		ls.stop()
	}
	ls.stop = stop
	ls.mu.Unlock()
	go func() {
		t := time.NewTicker(max(ttl/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				lose(nil)
				return
			case <-t.C:
			}
			if err := ls.Renew(rctx, ttl); errors.Is(err, ErrLost) {
				lose(ErrLost)
				return
			}
		}
	}()
	return held
}

// Sweep deletes the lock documents that expired more than grace ago (by the server's clock) and returns how
// many. Expired locks never block acquisition, so sweeping only keeps the collection small; run it now and then.
// Concord has no TTL indexes; against MongoDB a TTL index on expiresAt with expireAfterSeconds equal to grace
// does the same.
func (l *Locker) Sweep(ctx context.Context, grace time.Duration) (int64, error) {
	return l.c.DeleteMany(ctx, bson.D{{Key: "$expr", Value: bson.D{{Key: "$lt", Value: bson.A{"$expiresAt",
		bson.D{{Key: "$subtract", Value: bson.A{"$$NOW", max(grace.Milliseconds(), 0)}}}}}}}})
}
