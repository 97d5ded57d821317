package concord_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// historyDuration bounds each randomised history so that the default
// `go test -race ./...` stays fast.
const historyDuration = 1500 * time.Millisecond

// historySeed returns a logged seed so that a failing history can be named.
func historySeed(t *testing.T) uint64 {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	return seed
}

// runWorkers runs fn on n goroutines, each with its own random source, until
// historyDuration has passed or fn returns false.
func runWorkers(t *testing.T, seed uint64, n int, fn func(w int, rng *rand.Rand) bool) {
	deadline := time.Now().Add(historyDuration)
	var wg sync.WaitGroup
	for w := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(w)))
			for time.Now().Before(deadline) && !t.Failed() {
				if !fn(w, rng) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// transientOnly reports an error unless it is a transaction error MongoDB
// labels TransientTransactionError: the only failures a transaction statement
// or commit may see in these histories.
func transientOnly(t *testing.T, what string, err error) {
	t.Helper()
	var ce *concord.Error
	if !errors.As(err, &ce) {
		t.Errorf("%s: non-concord error %T: %v", what, err, err)
		return
	}
	if ce.Code != 112 && ce.Code != 251 {
		t.Errorf("%s: unexpected code %d %s: %v", what, ce.Code, ce.CodeName(), err)
	}
	if !concord.IsTransientTransactionError(err) {
		t.Errorf("%s: %d %s without TransientTransactionError label: %v", what, ce.Code, ce.CodeName(), ce.Labels)
	}
}

// TestHistory_HotCounters: many goroutines increment a few hot counters with
// every kind of write (plain $inc, findOneAndUpdate, manual transactions that
// commit, transactions aborted on purpose, WithTransaction). Each counter must
// end equal to the increments that were acknowledged: nothing lost, nothing
// applied twice, nothing from an aborted transaction. It runs once per wait
// policy: parked and backing-off writers must both keep every increment.
func TestHistory_HotCounters(t *testing.T) {
	for _, p := range []struct {
		name   string
		policy concord.WaitPolicy
	}{{"park", concord.WaitPark}, {"backoff", concord.WaitBackoff}} {
		t.Run(p.name, func(t *testing.T) {
			hotCounters(t, openMemDBWith(t, &concord.Options{WaitPolicy: p.policy}))
		})
	}
}

// hotCounters runs the hot-counter history on db.
func hotCounters(t *testing.T, db *concord.DB) {
	const counters, workers = 4, 8
	ctx := context.Background()
	coll := db.Database("test").Collection("hot")
	for k := range counters {
		if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: k}, {Key: "n", Value: 0}}); err != nil {
			t.Fatal(err)
		}
	}
	var acked [counters]atomic.Int64
	inc := func(ctx context.Context, k int) error {
		res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: k}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}})
		if err == nil && (res.MatchedCount != 1 || res.ModifiedCount != 1) {
			err = fmt.Errorf("$inc of counter %d matched %d modified %d", k, res.MatchedCount, res.ModifiedCount)
		}
		return err
	}
	sessions := make([]*concord.Session, workers)
	for w := range sessions {
		s, err := db.StartSession()
		if err != nil {
			t.Fatal(err)
		}
		sessions[w] = s
		defer s.EndSession(ctx)
	}
	var commits, aborts, conflicts atomic.Int64
	var slowMu sync.Mutex
	var slowest time.Duration
	var slowKind int
	runWorkers(t, historySeed(t), workers, func(w int, rng *rand.Rand) bool {
		k1, k2 := rng.IntN(counters), rng.IntN(counters)
		kind := rng.IntN(5)
		began := time.Now()
		defer func() {
			slowMu.Lock()
			if d := time.Since(began); d > slowest {
				slowest, slowKind = d, kind
			}
			slowMu.Unlock()
		}()
		switch kind {
		case 0: // plain $inc: waits, never fails
			if err := inc(ctx, k1); err != nil {
				t.Errorf("non-txn $inc: %v", err)
				return false
			}
			acked[k1].Add(1)
		case 1: // findOneAndUpdate: waits, never fails
			err := coll.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: k1}},
				bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}).Err()
			if err != nil {
				t.Errorf("findOneAndUpdate: %v", err)
				return false
			}
			acked[k1].Add(1)
		case 2, 3: // manual transaction of two increments; case 3 aborts on purpose
			s := sessions[w]
			if err := s.StartTransaction(); err != nil {
				t.Errorf("StartTransaction: %v", err)
				return false
			}
			sctx := concord.NewSessionContext(ctx, s)
			err := inc(sctx, k1)
			if err == nil {
				runtime.Gosched()
				err = inc(sctx, k2)
			}
			if err != nil {
				transientOnly(t, "txn $inc", err)
				conflicts.Add(1)
				_ = s.AbortTransaction(ctx) // already aborted by the error; drivers ignore the reply
				return true
			}
			if rng.IntN(4) == 3 {
				if err := s.AbortTransaction(ctx); err != nil {
					t.Errorf("AbortTransaction: %v", err)
				}
				aborts.Add(1)
				return true
			}
			if err := s.CommitTransaction(ctx); err != nil {
				transientOnly(t, "commit", err)
				conflicts.Add(1)
				return true
			}
			commits.Add(1)
			acked[k1].Add(1)
			acked[k2].Add(1)
		case 4: // convenient API: retried until it commits
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				return nil, inc(ctx, k1)
			})
			if err != nil {
				t.Errorf("WithTransaction: %v", err)
				return false
			}
			acked[k1].Add(1)
		}
		return true
	})
	for k := range counters {
		var d struct {
			N int64 `bson:"n"`
		}
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: k}}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.N != acked[k].Load() {
			t.Errorf("counter %d = %d, acknowledged increments = %d", k, d.N, acked[k].Load())
		}
	}
	t.Logf("acked %v; manual txns: %d committed, %d aborted on purpose, %d conflicts; slowest step %v (kind %d)",
		[]int64{acked[0].Load(), acked[1].Load(), acked[2].Load(), acked[3].Load()}, commits.Load(), aborts.Load(), conflicts.Load(),
		slowest, slowKind)
	if commits.Load() == 0 {
		t.Errorf("no manual transaction committed: the history did not exercise transactions")
	}
}

// account is one document of the transfer history.
type account struct {
	ID  int   `bson:"_id"`
	Bal int64 `bson:"bal"`
}

// TestHistory_Transfers: transactions move money between 100 accounts, reading
// the source balance first and refusing to overdraw it, while readers scan all
// accounts inside transactions. Snapshot isolation plus first-updater-wins
// must conserve the total in every snapshot and never let a balance go
// negative.
func TestHistory_Transfers(t *testing.T) {
	const accounts, initial, writers, readers = 100, 100, 6, 2
	ctx := context.Background()
	db := openMemDB(t)
	coll := db.Database("bank").Collection("accounts")
	docs := make([]any, accounts)
	for i := range docs {
		docs[i] = account{ID: i, Bal: initial}
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	checkAll := func(what string, all []account) {
		var sum int64
		for _, a := range all {
			sum += a.Bal
			if a.Bal < 0 {
				t.Errorf("%s: account %d has balance %d", what, a.ID, a.Bal)
			}
		}
		if len(all) != accounts || sum != accounts*initial {
			t.Errorf("%s: %d accounts sum to %d, want %d accounts summing to %d", what, len(all), sum, accounts, accounts*initial)
		}
	}
	scan := func(ctx context.Context) ([]account, error) {
		cur, err := coll.Find(ctx, bson.D{})
		if err != nil {
			return nil, err
		}
		var all []account
		err = cur.All(ctx, &all)
		return all, err
	}
	var transfers, refused, scans atomic.Int64
	runWorkers(t, historySeed(t), writers+readers, func(w int, rng *rand.Rand) bool {
		if w >= writers {
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				all, err := scan(ctx)
				if err == nil {
					checkAll("snapshot scan", all)
				}
				return nil, err
			})
			if err != nil {
				t.Errorf("reader: %v", err)
				return false
			}
			scans.Add(1)
			return true
		}
		// Half the transfers use 10 hot accounts so that conflicts are common.
		span := accounts
		if rng.IntN(2) == 0 {
			span = 10
		}
		from, to := rng.IntN(span), rng.IntN(span)
		if from == to {
			return true
		}
		amount := int64(1 + rng.IntN(initial))
		var moved bool
		_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
			moved = false
			var src account
			if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: from}}).Decode(&src); err != nil {
				return nil, err
			}
			if src.Bal < amount {
				return nil, nil
			}
			runtime.Gosched() // widen the window between read and write
			for _, leg := range []struct {
				id    int
				delta int64
			}{{from, -amount}, {to, amount}} {
				res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: leg.id}},
					bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: leg.delta}}}})
				if err != nil {
					return nil, err
				}
				if res.ModifiedCount != 1 {
					return nil, fmt.Errorf("leg on account %d modified %d", leg.id, res.ModifiedCount)
				}
			}
			moved = true
			return nil, nil
		})
		if err != nil {
			t.Errorf("transfer %d -> %d: %v", from, to, err)
			return false
		}
		if moved {
			transfers.Add(1)
		} else {
			refused.Add(1)
		}
		return true
	})
	all, err := scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	checkAll("final state", all)
	t.Logf("%d transfers, %d refused for lack of funds, %d snapshot scans", transfers.Load(), refused.Load(), scans.Load())
	if transfers.Load() == 0 || scans.Load() == 0 {
		t.Errorf("history too short: %d transfers, %d scans", transfers.Load(), scans.Load())
	}
}

// TestHistory_NoPartialTransaction: writers stamp both documents of a pair in
// one transaction (some abort on purpose after the first write); readers in
// transactions read the two documents in separate statements and must always
// see equal stamps: a snapshot never shows half of a transaction.
func TestHistory_NoPartialTransaction(t *testing.T) {
	const pairs, writers, readers = 8, 4, 4
	ctx := context.Background()
	db := openMemDB(t)
	coll := db.Database("test").Collection("pairs")
	key := func(side string, i int) bson.D { return bson.D{{Key: "_id", Value: fmt.Sprintf("%s%d", side, i)}} }
	for i := range pairs {
		for _, side := range []string{"a", "b"} {
			if _, err := coll.InsertOne(ctx, append(key(side, i), bson.E{Key: "s", Value: int64(0)})); err != nil {
				t.Fatal(err)
			}
		}
	}
	type stamped struct {
		S int64 `bson:"s"`
	}
	var stamp, written, aborted, checked atomic.Int64
	errAbortOnPurpose := errors.New("abort on purpose")
	runWorkers(t, historySeed(t), writers+readers, func(w int, rng *rand.Rand) bool {
		i := rng.IntN(pairs)
		if w < writers {
			s := stamp.Add(1)
			abort := rng.IntN(5) == 0
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				set := bson.D{{Key: "$set", Value: bson.D{{Key: "s", Value: s}}}}
				if _, err := coll.UpdateOne(ctx, key("a", i), set); err != nil {
					return nil, err
				}
				runtime.Gosched()
				if abort {
					return nil, errAbortOnPurpose
				}
				_, err := coll.UpdateOne(ctx, key("b", i), set)
				return nil, err
			})
			switch {
			case abort && errors.Is(err, errAbortOnPurpose):
				aborted.Add(1)
			case err != nil:
				t.Errorf("writer: %v", err)
				return false
			default:
				written.Add(1)
			}
			return true
		}
		_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
			var a, b stamped
			if err := coll.FindOne(ctx, key("a", i)).Decode(&a); err != nil {
				return nil, err
			}
			runtime.Gosched()
			if err := coll.FindOne(ctx, key("b", i)).Decode(&b); err != nil {
				return nil, err
			}
			if a.S != b.S {
				t.Errorf("pair %d read in one transaction: a.s = %d, b.s = %d", i, a.S, b.S)
			}
			return nil, nil
		})
		if err != nil {
			t.Errorf("reader: %v", err)
			return false
		}
		checked.Add(1)
		return true
	})
	for i := range pairs {
		var a, b stamped
		if err := coll.FindOne(ctx, key("a", i)).Decode(&a); err != nil {
			t.Fatal(err)
		}
		if err := coll.FindOne(ctx, key("b", i)).Decode(&b); err != nil {
			t.Fatal(err)
		}
		if a.S != b.S {
			t.Errorf("final pair %d: a.s = %d, b.s = %d", i, a.S, b.S)
		}
	}
	t.Logf("%d pair writes, %d aborted on purpose, %d pair reads", written.Load(), aborted.Load(), checked.Load())
	if written.Load() == 0 || aborted.Load() == 0 || checked.Load() == 0 {
		t.Errorf("history too short: %d writes, %d aborts, %d reads", written.Load(), aborted.Load(), checked.Load())
	}
}

// TestHistory_UniqueIndex: concurrent upserts, key moves and transactions on
// collections with a unique index. Upserts with an equality filter on the
// indexed field never see DuplicateKey outside a transaction and leave one
// document per key counting every acknowledged upsert; documents whose
// unique key is moved around concurrently never share a key in any snapshot,
// and afterwards every index lookup agrees with a full scan.
func TestHistory_UniqueIndex(t *testing.T) {
	const keys, movers, workers = 6, 20, 8
	ctx := context.Background()
	db := openMemDB(t)
	up := db.Database("test").Collection("upserts")
	mv := db.Database("test").Collection("moves")
	for _, c := range []*concord.Collection{up, mv} {
		if _, err := c.CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range movers {
		if _, err := mv.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	type moved struct {
		ID int `bson:"_id"`
		K  int `bson:"k"`
	}
	scanMoves := func(ctx context.Context, what string) ([]moved, error) {
		cur, err := mv.Find(ctx, bson.D{})
		if err != nil {
			return nil, err
		}
		var all []moved
		if err := cur.All(ctx, &all); err != nil {
			return nil, err
		}
		seen := map[int]int{}
		for _, d := range all {
			if other, ok := seen[d.K]; ok {
				t.Errorf("%s: documents %d and %d share unique key k=%d", what, other, d.ID, d.K)
			}
			seen[d.K] = d.ID
		}
		if len(all) != movers {
			t.Errorf("%s: %d documents, want %d", what, len(all), movers)
		}
		return all, nil
	}
	upsert := func(ctx context.Context, k int) error {
		_, err := up.UpdateOne(ctx, bson.D{{Key: "k", Value: k}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}},
			&concord.UpdateOptions{Upsert: true})
		return err
	}
	var acked [keys]atomic.Int64
	var moves, dupMoves, txnUpserts atomic.Int64
	runWorkers(t, historySeed(t), workers, func(w int, rng *rand.Rand) bool {
		k := rng.IntN(keys)
		id, to := rng.IntN(movers), rng.IntN(movers+movers/2)
		switch rng.IntN(6) {
		case 0, 1: // plain upsert: the server retries a losing insert as an update
			if err := upsert(ctx, k); err != nil {
				t.Errorf("upsert k=%d: %v", k, err)
				return false
			}
			acked[k].Add(1)
		case 2: // upsert in a transaction: a race is a transient error, retried
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) { return nil, upsert(ctx, k) })
			if err != nil {
				t.Errorf("upsert k=%d in transaction: %v", k, err)
				return false
			}
			acked[k].Add(1)
			txnUpserts.Add(1)
		case 3: // move a key outside a transaction: DuplicateKey or done
			_, err := mv.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: to}}}})
			switch {
			case err == nil:
				moves.Add(1)
			case concord.IsDuplicateKey(err) && !concord.IsTransientTransactionError(err):
				dupMoves.Add(1)
			default:
				t.Errorf("move %d to k=%d: %v", id, to, err)
				return false
			}
		case 4: // swap two keys in a transaction, through a free parking key
			other := rng.IntN(movers)
			if other == id {
				return true
			}
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				var a, b moved
				if err := mv.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a); err != nil {
					return nil, err
				}
				if err := mv.FindOne(ctx, bson.D{{Key: "_id", Value: other}}).Decode(&b); err != nil {
					return nil, err
				}
				for _, step := range []struct{ id, k int }{{id, -1 - w}, {other, a.K}, {id, b.K}} {
					if _, err := mv.UpdateOne(ctx, bson.D{{Key: "_id", Value: step.id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: step.k}}}}); err != nil {
						return nil, err
					}
				}
				return nil, nil
			})
			if err != nil {
				t.Errorf("swap %d and %d: %v", id, other, err)
				return false
			}
			moves.Add(1)
		case 5: // a snapshot never shows two documents with one key
			_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				_, err := scanMoves(ctx, "snapshot scan")
				return nil, err
			})
			if err != nil {
				t.Errorf("scan: %v", err)
				return false
			}
		}
		return true
	})

	for k := range keys {
		cur, err := up.Find(ctx, bson.D{{Key: "k", Value: k}})
		if err != nil {
			t.Fatal(err)
		}
		var docs []struct {
			N int64 `bson:"n"`
		}
		if err := cur.All(ctx, &docs); err != nil {
			t.Fatal(err)
		}
		switch {
		case len(docs) == 0 && acked[k].Load() == 0:
		case len(docs) != 1:
			t.Errorf("k=%d: %d documents, want 1", k, len(docs))
		case docs[0].N != acked[k].Load():
			t.Errorf("k=%d: n = %d, acknowledged upserts = %d", k, docs[0].N, acked[k].Load())
		}
	}
	all, err := scanMoves(ctx, "final state")
	if err != nil {
		t.Fatal(err)
	}
	// Every index lookup agrees with the full scan: no stale or missing entry.
	byKey := map[int]int{}
	for _, d := range all {
		byKey[d.K] = d.ID
	}
	for k := -workers; k < movers+movers/2; k++ {
		cur, err := mv.Find(ctx, bson.D{{Key: "k", Value: k}})
		if err != nil {
			t.Fatal(err)
		}
		var found []moved
		if err := cur.All(ctx, &found); err != nil {
			t.Fatal(err)
		}
		id, ok := byKey[k]
		switch {
		case !ok && len(found) != 0:
			t.Errorf("index lookup k=%d found %v, the scan found no document", k, found)
		case ok && (len(found) != 1 || found[0].ID != id):
			t.Errorf("index lookup k=%d found %v, the scan found document %d", k, found, id)
		}
	}
	t.Logf("upserts acked %v (%d in transactions); %d moves, %d refused with DuplicateKey",
		[]int64{acked[0].Load(), acked[1].Load(), acked[2].Load(), acked[3].Load(), acked[4].Load(), acked[5].Load()},
		txnUpserts.Load(), moves.Load(), dupMoves.Load())
	if moves.Load() == 0 || dupMoves.Load() == 0 || txnUpserts.Load() == 0 {
		t.Errorf("history too short: %d moves, %d duplicate moves, %d transactional upserts", moves.Load(), dupMoves.Load(), txnUpserts.Load())
	}
}
