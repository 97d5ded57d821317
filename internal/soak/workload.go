package soak

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord/internal/checker"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// The kinds of operations, in the order of the report.
var kinds = []string{"increment", "register", "transfer", "snapshot", "insert", "append"}

const (
	kIncrement = iota
	kRegister
	kTransfer
	kSnapshot
	kInsert
	kAppend
)

// How many clients run each kind, and the sizes of the data they share.
const (
	incrementers  = 2
	registerUsers = 2
	transferers   = 2
	snapshotters  = 1
	inserters     = 1
	appenders     = 2

	accounts          = 10
	initialBalance    = 100
	registersPerEpoch = 2
	listsPerEpoch     = 3
)

// workload is the clients' shared state: what was acknowledged, what is unknown, and the recorded histories.
type workload struct {
	db    *mongo.Database
	start time.Time
	seed  uint64
	epoch atomic.Int64 // bumped after each restart; registers and lists are per epoch

	acked, aborted, unknown [6]atomic.Int64

	mu         sync.Mutex
	incAcked   [incrementers]int64
	incUnknown [incrementers]int64
	registers  []checker.RegisterOp
	regKeys    []string
	txns       []checker.Txn
	listKeys   []string
	inserted   map[int64]bool
	txnErrs    map[int]string  // list-append transaction ID -> the error it ended with
	kills      []time.Duration // when each kill happened, on the workload's clock
	violations []string

	nextValue, nextTxn, nextKey atomic.Int64
}

// newWorkload reads with readConcern "majority": MongoDB's promise that a read returns only what a crash cannot
// take back ("local" may return a write whose journal flush is still under way, on mongod as on Concord).
func newWorkload(client *mongo.Client, start time.Time, seed uint64) *workload {
	db := client.Database("soak", options.Database().SetReadConcern(readconcern.Majority()))
	return &workload{db: db, start: start, seed: seed, inserted: map[int64]bool{}, txnErrs: map[int]string{}}
}

func (w *workload) now() time.Duration { return time.Since(w.start) }

func (w *workload) violation(format string, args ...any) {
	w.mu.Lock()
	w.violations = append(w.violations, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

// acknowledged returns the number of operations acknowledged so far.
func (w *workload) acknowledged() int64 {
	var n int64
	for i := range w.acked {
		n += w.acked[i].Load()
	}
	return n
}

// setup creates the documents the clients share: counters, accounts, the unique index and epoch 0's registers.
func (w *workload) setup(ctx context.Context) error {
	var docs []any
	for i := range incrementers {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("c%d", i)}, {Key: "n", Value: int64(0)}})
	}
	if _, err := w.db.Collection("counters").InsertMany(ctx, docs); err != nil {
		return err
	}
	docs = docs[:0]
	for i := range accounts {
		docs = append(docs, bson.D{{Key: "_id", Value: fmt.Sprintf("a%d", i)}, {Key: "balance", Value: int64(initialBalance)}})
	}
	if _, err := w.db.Collection("accounts").InsertMany(ctx, docs); err != nil {
		return err
	}
	if _, err := w.db.Collection("uniq").Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "k", Value: 1}}, Options: options.Index().SetUnique(true),
	}); err != nil {
		return err
	}
	return w.createEpoch(ctx, 0)
}

// createEpoch inserts the registers of epoch e, each at 0, and names its lists.
func (w *workload) createEpoch(ctx context.Context, e int64) error {
	var docs []any
	var keys []string
	for j := range registersPerEpoch {
		k := fmt.Sprintf("e%d-r%d", e, j)
		keys = append(keys, k)
		docs = append(docs, bson.D{{Key: "_id", Value: k}, {Key: "v", Value: int64(0)}})
	}
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if _, err = w.db.Collection("registers").InsertMany(ctx, docs); err == nil || mongo.IsDuplicateKeyError(err) {
			err = nil
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.regKeys = append(w.regKeys, keys...)
	for j := range listsPerEpoch {
		w.listKeys = append(w.listKeys, fmt.Sprintf("e%d-l%d", e, j))
	}
	w.mu.Unlock()
	return nil
}

// nextEpoch moves the clients to fresh registers and lists after a restart, so that each register's history
// holds the few unknown operations of one kill only.
func (w *workload) nextEpoch(ctx context.Context) error {
	e := w.epoch.Load() + 1
	if err := w.createEpoch(ctx, e); err != nil {
		return err
	}
	w.epoch.Store(e)
	return nil
}

// run starts every client; they stop when ctx is done.
func (w *workload) run(ctx context.Context, wg *sync.WaitGroup) {
	id := 0
	spawn := func(n int, fn func(ctx context.Context, client int, rng *rand.Rand)) {
		for range n {
			client := id
			id++
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(w.seed, uint64(client)))
				for ctx.Err() == nil {
					fn(ctx, client, rng)
				}
			}()
		}
	}
	// The incrementers are spawned first: clients 0 to incrementers-1, each with its own counter.
	spawn(incrementers, func(ctx context.Context, client int, _ *rand.Rand) { w.increment(ctx, client) })
	spawn(registerUsers, w.register)
	spawn(transferers, w.transfer)
	spawn(snapshotters, w.snapshot)
	spawn(inserters, w.insert)
	spawn(appenders, w.appendTxn)
}

// outcome counts an operation of kind as acknowledged or unknown; it reports whether it was acknowledged. An
// operation cut short by the end of the soak is unknown too.
func (w *workload) outcome(kind int, err error) bool {
	if err == nil {
		w.acked[kind].Add(1)
		return true
	}
	w.unknown[kind].Add(1)
	return false
}

// increment adds 1 to counter i with a retryable update.
func (w *workload) increment(ctx context.Context, i int) {
	_, err := w.db.Collection("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("c%d", i)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}})
	ok := w.outcome(kIncrement, err)
	w.mu.Lock()
	if ok {
		w.incAcked[i]++
	} else {
		w.incUnknown[i]++
	}
	w.mu.Unlock()
}

// register reads, compare-and-swaps or increments one of the current epoch's registers, recording the operation.
func (w *workload) register(ctx context.Context, client int, rng *rand.Rand) {
	key := fmt.Sprintf("e%d-r%d", w.epoch.Load(), rng.IntN(registersPerEpoch))
	coll := w.db.Collection("registers")
	id := bson.D{{Key: "_id", Value: key}}
	op := checker.RegisterOp{Client: client, Key: key, Invoke: w.now()}
	var err error
	var doc struct {
		V int64 `bson:"v"`
	}
	switch r := rng.IntN(10); {
	case r < 4:
		op.Kind = checker.Read
		err = coll.FindOne(ctx, id).Decode(&doc)
		op.Value, op.HasValue = doc.V, true
	case r < 8:
		op.Kind, op.Arg = checker.CAS, rng.Int64N(4)
		op.Arg2 = op.Arg + 1 + rng.Int64N(3)
		var res *mongo.UpdateResult
		res, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "v", Value: op.Arg}},
			bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: op.Arg2}}}})
		op.OK = err == nil && res.MatchedCount == 1
	default:
		op.Kind, op.Arg = checker.Inc, 1
		err = coll.FindOneAndUpdate(ctx, id, bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: int64(1)}}}},
			options.FindOneAndUpdate().SetReturnDocument(options.After)).Decode(&doc)
		op.Value, op.HasValue = doc.V, true
	}
	op.Complete = w.now()
	if !w.outcome(kRegister, err) {
		if op.Kind == checker.Read {
			return // a failed read changed nothing
		}
		op.Unknown = true
	}
	w.mu.Lock()
	w.registers = append(w.registers, op)
	w.mu.Unlock()
}

// transfer moves money between two accounts in a transaction, never below zero.
func (w *workload) transfer(ctx context.Context, _ int, rng *rand.Rand) {
	from, to := rng.IntN(accounts), rng.IntN(accounts-1)
	if to >= from {
		to++
	}
	amount := 1 + rng.Int64N(20)
	err := w.inTxn(ctx, func(ctx context.Context) error {
		coll := w.db.Collection("accounts")
		var acct struct {
			Balance int64 `bson:"balance"`
		}
		if err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("a%d", from)}}).Decode(&acct); err != nil {
			return err
		}
		if acct.Balance < amount {
			return nil
		}
		if _, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("a%d", from)}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: -amount}}}}); err != nil {
			return err
		}
		_, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("a%d", to)}},
			bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: amount}}}})
		return err
	})
	w.outcome(kTransfer, err)
}

// snapshot reads every account in one transaction: the total never changes and no balance is negative.
func (w *workload) snapshot(ctx context.Context, _ int, _ *rand.Rand) {
	err := w.inTxn(ctx, func(ctx context.Context) error {
		total, negative, err := w.balances(ctx)
		if err != nil {
			return err
		}
		if total != accounts*initialBalance || negative > 0 {
			w.violation("a snapshot of the accounts totals %d with %d negative balances (want %d, none)",
				total, negative, accounts*initialBalance)
		}
		return nil
	})
	w.outcome(kSnapshot, err)
	time.Sleep(5 * time.Millisecond)
}

func (w *workload) balances(ctx context.Context) (total int64, negative int, err error) {
	cur, err := w.db.Collection("accounts").Find(ctx, bson.D{})
	if err != nil {
		return 0, 0, err
	}
	var accts []struct {
		Balance int64 `bson:"balance"`
	}
	if err := cur.All(ctx, &accts); err != nil {
		return 0, 0, err
	}
	if len(accts) != accounts {
		return 0, 0, fmt.Errorf("%d accounts, want %d", len(accts), accounts)
	}
	for _, a := range accts {
		total += a.Balance
		if a.Balance < 0 {
			negative++
		}
	}
	return total, negative, nil
}

// inTxn runs fn in a snapshot transaction with the driver's retries.
func (w *workload) inTxn(ctx context.Context, fn func(ctx context.Context) error) error {
	sess, err := w.db.Client().StartSession()
	if err != nil {
		return err
	}
	defer sess.EndSession(context.Background())
	_, err = sess.WithTransaction(ctx, func(ctx context.Context) (any, error) { return nil, fn(ctx) },
		options.Transaction().SetReadConcern(readconcern.Snapshot()).SetWriteConcern(writeconcern.Majority()))
	return err
}

// insert inserts a document with a fresh unique key. A DuplicateKey error for a fresh key means an insert was
// applied twice.
func (w *workload) insert(ctx context.Context, client int, _ *rand.Rand) {
	k := w.nextKey.Add(1)
	_, err := w.db.Collection("uniq").InsertOne(ctx, bson.D{{Key: "k", Value: k}, {Key: "client", Value: int64(client)}})
	if mongo.IsDuplicateKeyError(err) {
		w.violation("inserting fresh key %d: %v (the insert was applied twice)", k, err)
	}
	if w.outcome(kInsert, err) {
		w.mu.Lock()
		w.inserted[k] = true
		w.mu.Unlock()
	}
}

// appendTxn runs one list-append transaction on the current epoch's lists and records it.
func (w *workload) appendTxn(ctx context.Context, client int, rng *rand.Rand) {
	txn := checker.Txn{ID: int(w.nextTxn.Add(1)), Client: client, Invoke: w.now()}
	epoch := w.epoch.Load()
	coll := w.db.Collection("lists")
	sess, err := w.db.Client().StartSession()
	if err != nil {
		return
	}
	defer sess.EndSession(context.Background())
	if err := sess.StartTransaction(options.Transaction().
		SetReadConcern(readconcern.Snapshot()).SetWriteConcern(writeconcern.Majority())); err != nil {
		return
	}
	sctx := mongo.NewSessionContext(ctx, sess)
	committing := false
	err = func() error {
		for range 1 + rng.IntN(4) {
			key := fmt.Sprintf("e%d-l%d", epoch, rng.IntN(listsPerEpoch))
			id := bson.D{{Key: "_id", Value: key}}
			if rng.IntN(2) == 0 {
				v := w.nextValue.Add(1)
				if _, err := coll.UpdateOne(sctx, id, bson.D{{Key: "$push", Value: bson.D{{Key: "l", Value: v}}}},
					options.UpdateOne().SetUpsert(true)); err != nil {
					return err
				}
				txn.Ops = append(txn.Ops, checker.MicroOp{Append: true, Key: key, Value: v})
				continue
			}
			var doc struct {
				L []int64 `bson:"l"`
			}
			if err := coll.FindOne(sctx, id).Decode(&doc); err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
				return err
			}
			txn.Ops = append(txn.Ops, checker.MicroOp{Key: key, List: doc.L})
		}
		committing = true
		return sess.CommitTransaction(sctx)
	}()
	txn.Complete = w.now()
	switch {
	case err == nil:
		txn.Outcome = checker.Committed
	case committing && commitMayHaveApplied(err):
		txn.Outcome = checker.Indeterminate
	default:
		txn.Outcome = checker.Aborted
		sess.AbortTransaction(context.Background())
	}
	switch txn.Outcome {
	case checker.Committed:
		w.acked[kAppend].Add(1)
	case checker.Aborted:
		w.aborted[kAppend].Add(1)
	default:
		w.unknown[kAppend].Add(1)
	}
	w.mu.Lock()
	w.txns = append(w.txns, txn)
	if err != nil {
		w.txnErrs[txn.ID] = err.Error()
	}
	w.mu.Unlock()
}

// commitMayHaveApplied reports whether a commit's error leaves its outcome open. Only an error labelled
// TransientTransactionError says the transaction did not commit; any other (UnknownTransactionCommitResult, a
// network error, a server selection timeout while the server restarts) may follow a commit that applied.
func commitMayHaveApplied(err error) bool {
	var le mongo.LabeledError
	return !(errors.As(err, &le) && le.HasErrorLabel("TransientTransactionError"))
}
