package lock_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/lock"
	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

func newLocker(b *storetest.Backend, owner string, m *occ.Metrics) *lock.Locker {
	return lock.New(b.Store, b.Database, "locks", &lock.Options{Owner: owner, Metrics: m})
}

// TestLocker_AtMostOneHolder runs 32 goroutines that each take the same lock three times with a waiting
// Acquire. Inside the critical section a shared counter of holders must read 1 (two holders at once would
// read 2), and each token must be larger than the one before it.
func TestLocker_AtMostOneHolder(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		const workers, rounds = 32, 3
		ctx := context.Background()
		m := &occ.Metrics{}
		var (
			holders   atomic.Int32
			maxSeen   atomic.Int32
			mu        sync.Mutex
			lastToken int64
			acquired  atomic.Int64
			wg        sync.WaitGroup
		)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := newLocker(b, "w"+string(rune('A'+w)), m)
				for range rounds {
					ls, err := l.Acquire(ctx, "job", 10*time.Second, 60*time.Second)
					if err != nil {
						t.Error(err)
						return
					}
					n := holders.Add(1)
					if n > maxSeen.Load() {
						maxSeen.Store(n)
					}
					mu.Lock()
					if ls.Token() <= lastToken {
						t.Errorf("token %d after token %d", ls.Token(), lastToken)
					}
					lastToken = ls.Token()
					mu.Unlock()
					time.Sleep(200 * time.Microsecond)
					holders.Add(-1)
					acquired.Add(1)
					if err := ls.Release(ctx); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if maxSeen.Load() != 1 {
			t.Fatalf("%d holders at once", maxSeen.Load())
		}
		if acquired.Load() != workers*rounds {
			t.Fatalf("acquired %d times, want %d", acquired.Load(), workers*rounds)
		}
		c := m.Collection(b.Database + ".locks")
		if c.LockAcquired != workers*rounds || c.LockContended == 0 {
			t.Fatalf("counters %+v", c)
		}
	})
}

// TestLocker_FirstCreationRace has 32 acquirers race to create a lock document that does not exist yet: the
// losers' upserts collide on _id, which must read as "held", never as an error.
func TestLocker_FirstCreationRace(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		var won, held atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				l := newLocker(b, "o"+string(rune('a'+w)), nil)
				<-start
				_, err := l.TryAcquire(ctx, "fresh", time.Minute)
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, lock.ErrHeld):
					held.Add(1)
				default:
					t.Error(err)
				}
			}()
		}
		close(start)
		wg.Wait()
		if won.Load() != 1 || held.Load() != 31 {
			t.Fatalf("won %d, held %d", won.Load(), held.Load())
		}
	})
}

// TestLocker_Kleppmann is the scenario fencing exists for: A acquires, pauses past its TTL, B acquires and
// writes, A wakes and writes with its old token: A's write is refused and B's stays. A's renewal and release
// then report the lease lost without touching B's lock.
func TestLocker_Kleppmann(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		m := &occ.Metrics{}
		a, bl := newLocker(b, "A", m), newLocker(b, "B", m)
		g := &lock.Guard{C: b.Collection("files"), Metrics: m}
		write := func(ls *lock.Lease, who string) error {
			_, err := g.UpdateOne(ctx, ls.Token(), bson.D{{Key: "_id", Value: "file"}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "by", Value: who}}}}, nil)
			return err
		}
		if _, err := b.Collection("files").InsertOne(ctx, bson.D{{Key: "_id", Value: "file"}}); err != nil {
			t.Fatal(err)
		}
		la, err := a.TryAcquire(ctx, "file", 150*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bl.TryAcquire(ctx, "file", time.Minute); !errors.Is(err, lock.ErrHeld) {
			t.Fatalf("B acquired a held lock: %v", err)
		}
		time.Sleep(300 * time.Millisecond) // A pauses past its TTL
		lb, err := bl.TryAcquire(ctx, "file", time.Minute)
		if err != nil {
			t.Fatalf("B: %v", err)
		}
		if lb.Token() <= la.Token() {
			t.Fatalf("B's token %d not above A's %d", lb.Token(), la.Token())
		}
		if err := write(lb, "B"); err != nil {
			t.Fatalf("B's write: %v", err)
		}
		if err := write(la, "A"); !errors.Is(err, lock.ErrFenced) {
			t.Fatalf("A's write = %v, want ErrFenced", err)
		}
		doc, err := b.Collection("files").FindOne(ctx, bson.D{{Key: "_id", Value: "file"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if by := doc.Lookup("by").StringValue(); by != "B" || doc.Lookup("fence").Int64() != lb.Token() {
			t.Fatalf("document %v", doc)
		}
		if err := la.Renew(ctx, time.Minute); !errors.Is(err, lock.ErrLost) {
			t.Fatalf("A's renew = %v", err)
		}
		if err := la.Release(ctx); !errors.Is(err, lock.ErrLost) {
			t.Fatalf("A's release = %v", err)
		}
		if err := write(lb, "B again"); err != nil {
			t.Fatalf("B's second write with the same token: %v", err)
		}
		if err := lb.Release(ctx); err != nil {
			t.Fatalf("B's release: %v", err)
		}
		c := m.Collection(b.Database + ".files")
		if c.Fenced != 1 {
			t.Fatalf("fenced %d", c.Fenced)
		}
	})
}

// TestLease_RenewRacesExpiry renews a lease at about the moment it expires while another owner tries to take
// it. Both can fail, either can win, but never both: a renewal succeeds only on a lease that has not expired,
// and an acquisition only on one that has, by the same (server) clock.
func TestLease_RenewRacesExpiry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		a, other := newLocker(b, "A", nil), newLocker(b, "B", nil)
		var renewed, taken int
		for i := range 20 {
			name := "race" + string(rune('a'+i))
			ls, err := a.TryAcquire(ctx, name, 20*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(time.Duration(15+i%10) * time.Millisecond)
			var renewErr, takeErr error
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); renewErr = ls.Renew(ctx, time.Minute) }()
			go func() { defer wg.Done(); _, takeErr = other.TryAcquire(ctx, name, time.Minute) }()
			wg.Wait()
			if renewErr != nil && !errors.Is(renewErr, lock.ErrLost) || takeErr != nil && !errors.Is(takeErr, lock.ErrHeld) {
				t.Fatalf("renew %v, take %v", renewErr, takeErr)
			}
			if renewErr == nil && takeErr == nil {
				t.Fatalf("round %d: the renewal and the acquisition both succeeded", i)
			}
			if renewErr == nil {
				renewed++
			}
			if takeErr == nil {
				taken++
			}
		}
		t.Logf("renewed %d, taken %d of 20", renewed, taken)
	})
}

// TestLocker_ExpiredNeverBlocks checks that an expired lease is taken without waiting, that release keeps
// tokens growing, and that a swept document starts again above every token handed out.
func TestLocker_ExpiredNeverBlocks(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		a, other := newLocker(b, "A", nil), newLocker(b, "B", nil)
		l1, err := a.TryAcquire(ctx, "x", 20*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(40 * time.Millisecond)
		l2, err := other.TryAcquire(ctx, "x", time.Minute)
		if err != nil {
			t.Fatalf("expired lock blocked: %v", err)
		}
		if l2.Token() != l1.Token()+1 && l2.Token() <= l1.Token() {
			t.Fatalf("tokens %d then %d", l1.Token(), l2.Token())
		}
		if err := l2.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l2.Release(ctx); !errors.Is(err, lock.ErrLost) {
			t.Fatalf("second release = %v", err)
		}
		l3, err := a.TryAcquire(ctx, "x", time.Minute)
		if err != nil || l3.Token() <= l2.Token() {
			t.Fatalf("after release: %v, token %d after %d", err, tokenOf(l3), l2.Token())
		}
		if n, err := a.Sweep(ctx, 0); err != nil || n != 0 {
			t.Fatalf("sweep of a held lock: %d, %v", n, err)
		}
		if err := l3.Release(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if n, err := a.Sweep(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("sweep within grace: %d, %v", n, err)
		}
		if n, err := a.Sweep(ctx, time.Millisecond); err != nil || n != 1 {
			t.Fatalf("sweep: %d, %v", n, err)
		}
		l4, err := other.TryAcquire(ctx, "x", time.Minute)
		if err != nil || l4.Token() <= l3.Token() {
			t.Fatalf("after sweep: %v, token %d after %d", err, tokenOf(l4), l3.Token())
		}
	})
}

func tokenOf(ls *lock.Lease) int64 {
	if ls == nil {
		return 0
	}
	return ls.Token()
}

// TestLocker_AcquireTimesOut waits for a held lock and gives up with ErrTimeout, which wraps ErrHeld; a waiter
// gets the lock as soon as its holder releases it.
func TestLocker_AcquireTimesOut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		a, other := newLocker(b, "A", nil), newLocker(b, "B", nil)
		la, err := a.TryAcquire(ctx, "y", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.Acquire(ctx, "y", time.Minute, 50*time.Millisecond); !errors.Is(err, lock.ErrTimeout) || !errors.Is(err, lock.ErrHeld) {
			t.Fatalf("Acquire = %v, want ErrTimeout", err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := other.Acquire(ctx, "y", time.Minute, 30*time.Second)
			done <- err
		}()
		time.Sleep(20 * time.Millisecond)
		if err := la.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatalf("waiter: %v", err)
		}
	})
}

// TestLease_KeepAlive keeps a short lease alive well past its TTL, then loses it when its document is taken
// away: the returned context ends with ErrLost as its cause.
func TestLease_KeepAlive(t *testing.T) {
	storetest.Run(t, func(t *testing.T, b *storetest.Backend) {
		ctx := context.Background()
		a, other := newLocker(b, "A", nil), newLocker(b, "B", nil)
		ls, err := a.TryAcquire(ctx, "z", 150*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		held := ls.KeepAlive(ctx, 150*time.Millisecond)
		time.Sleep(450 * time.Millisecond)
		if _, err := other.TryAcquire(ctx, "z", time.Minute); !errors.Is(err, lock.ErrHeld) {
			t.Fatalf("kept-alive lock taken: %v", err)
		}
		if held.Err() != nil {
			t.Fatalf("held context ended: %v", context.Cause(held))
		}
		// Someone deletes the lock document by hand (a sweep with the wrong grace): the holder learns at the
		// next renewal.
		if _, err := b.Collection("locks").DeleteOne(ctx, bson.D{{Key: "_id", Value: "z"}}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-held.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("lost lease not noticed")
		}
		if !errors.Is(context.Cause(held), lock.ErrLost) {
			t.Fatalf("cause %v", context.Cause(held))
		}
		// Releasing a kept-alive lease ends its context too, without the lost cause.
		ls2, err := other.TryAcquire(ctx, "z", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		held2 := ls2.KeepAlive(ctx, time.Minute)
		if err := ls2.Release(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-held2.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("released lease's context still alive")
		}
		if errors.Is(context.Cause(held2), lock.ErrLost) {
			t.Fatal("a released lease reported lost")
		}
	})
}
