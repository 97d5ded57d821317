package soak

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/concorddb/concord/internal/checker"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// check reads the final state and checks every promise, adding what it checked and what it found to rep.
func (w *workload) check(ctx context.Context, rep *Report) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	rep.Violations = append(rep.Violations, w.violations...)
	for _, fn := range []func(context.Context, *Report) error{
		w.checkCounters, w.checkMoney, w.checkUnique, w.checkRegisters, w.checkLists,
	} {
		if err := fn(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// checkCounters: each counter holds at least its acknowledged increments and at most those plus the unknown ones,
// so no acknowledged increment was lost and no increment (retried across a restart, say) was applied twice.
func (w *workload) checkCounters(ctx context.Context, rep *Report) error {
	for i := range incrementers {
		var doc struct {
			N int64 `bson:"n"`
		}
		if err := w.db.Collection("counters").FindOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("c%d", i)}}).Decode(&doc); err != nil {
			return err
		}
		lo, hi := w.incAcked[i], w.incAcked[i]+w.incUnknown[i]
		if doc.N < lo || doc.N > hi {
			rep.Violations = append(rep.Violations, fmt.Sprintf("counter c%d is %d, want between %d acknowledged and %d with the unknown increments", i, doc.N, lo, hi))
		}
		rep.Checks = append(rep.Checks, fmt.Sprintf("counter c%d = %d: %d acknowledged increments, %d unknown", i, doc.N, lo, hi-lo))
	}
	return nil
}

// checkMoney: the accounts still total what they started with and none is negative.
func (w *workload) checkMoney(ctx context.Context, rep *Report) error {
	total, negative, err := w.balances(ctx)
	if err != nil {
		return err
	}
	if total != accounts*initialBalance || negative > 0 {
		rep.Violations = append(rep.Violations, fmt.Sprintf("the accounts total %d with %d negative balances, want %d and none", total, negative, accounts*initialBalance))
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("money: %d accounts total %d after %d transfers and %d snapshot reads", accounts, total, rep.Operations["transfer"], rep.Operations["snapshot"]))
	return nil
}

// checkUnique: every acknowledged insert is there, whole, and no key is there twice.
func (w *workload) checkUnique(ctx context.Context, rep *Report) error {
	cur, err := w.db.Collection("uniq").Find(ctx, bson.D{})
	if err != nil {
		return err
	}
	var docs []struct {
		K      int64  `bson:"k"`
		Client *int64 `bson:"client"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return err
	}
	seen := map[int64]int{}
	for _, d := range docs {
		seen[d.K]++
		if d.Client == nil {
			rep.Violations = append(rep.Violations, fmt.Sprintf("inserted document with key %d is missing a field", d.K))
		}
	}
	for k, n := range seen {
		if n > 1 {
			rep.Violations = append(rep.Violations, fmt.Sprintf("unique key %d is in %d documents", k, n))
		}
	}
	lost := 0
	for k := range w.inserted {
		if seen[k] == 0 {
			lost++
			if lost <= 5 {
				rep.Violations = append(rep.Violations, fmt.Sprintf("acknowledged insert of key %d is missing", k))
			}
		}
	}
	if lost > 5 {
		rep.Violations = append(rep.Violations, fmt.Sprintf("%d acknowledged inserts missing in all", lost))
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("unique keys: %d documents, %d acknowledged inserts all present and each once", len(docs), len(w.inserted)))
	return nil
}

// checkRegisters reads every register once more and checks each one's history for linearizability.
func (w *workload) checkRegisters(ctx context.Context, rep *Report) error {
	ops := slices.Clone(w.registers)
	for _, key := range w.regKeys {
		op := checker.RegisterOp{Client: -1, Key: key, Kind: checker.Read, HasValue: true, Invoke: w.now()}
		var doc struct {
			V int64 `bson:"v"`
		}
		if err := w.db.Collection("registers").FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc); err != nil {
			return fmt.Errorf("register %s: %w", key, err)
		}
		op.Value, op.Complete = doc.V, w.now()
		ops = append(ops, op)
	}
	unknown := 0
	for _, op := range ops {
		if op.Unknown {
			unknown++
		}
	}
	res := checker.CheckRegisters(ops, nil, 2*time.Minute)
	switch {
	case res.TimedOut:
		rep.Violations = append(rep.Violations, fmt.Sprintf("the linearizability check of %d register operations found no verdict in time", len(ops)))
	case !res.Linearizable:
		rep.Violations = append(rep.Violations, fmt.Sprintf("register %s: its %d operations are not linearizable", res.Key, len(res.Ops)))
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("registers: %d operations (%d unknown) on %d registers checked for linearizability", len(ops), unknown, len(w.regKeys)))
	return nil
}

// checkLists reads every list once more, checks that each committed append is in it, and checks the whole
// list-append history for the anomalies snapshot isolation forbids.
func (w *workload) checkLists(ctx context.Context, rep *Report) error {
	final := checker.Txn{ID: -1, Client: -1, Outcome: checker.Committed, Invoke: w.now()}
	lists := map[string][]int64{}
	for _, key := range w.listKeys {
		var doc struct {
			L []int64 `bson:"l"`
		}
		err := w.db.Collection("lists").FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&doc)
		if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
			return fmt.Errorf("list %s: %w", key, err)
		}
		lists[key] = doc.L
		final.Ops = append(final.Ops, checker.MicroOp{Key: key, List: doc.L})
	}
	final.Complete = w.now()
	committed, lost := 0, 0
	for _, txn := range w.txns {
		if txn.Outcome != checker.Committed {
			continue
		}
		committed++
		for _, op := range txn.Ops {
			if op.Append && !slices.Contains(lists[op.Key], op.Value) {
				lost++
				if lost <= 5 {
					rep.Violations = append(rep.Violations, fmt.Sprintf("committed transaction %d appended %d to %s; the list does not hold it", txn.ID, op.Value, op.Key))
				}
			}
		}
	}
	anomalies := checker.CheckTransactions(append(slices.Clone(w.txns), final))
	for i, a := range anomalies {
		if i < 10 {
			for _, id := range a.Txns {
				rep.Details = append(rep.Details, w.describeTxn(id))
			}
		}
		if i == 10 {
			rep.Violations = append(rep.Violations, fmt.Sprintf("%d anomalies in all", len(anomalies)))
			break
		}
		rep.Violations = append(rep.Violations, "transactions: "+a.String())
	}
	rep.Checks = append(rep.Checks, fmt.Sprintf("transactions: %d list-append transactions (%d committed) on %d lists checked for snapshot-isolation anomalies and lost appends", len(w.txns), committed, len(w.listKeys)))
	return nil
}

// describeTxn says what the client of list-append transaction id saw, and when, beside the nearest kill.
func (w *workload) describeTxn(id int) string {
	for _, txn := range w.txns {
		if txn.ID != id {
			continue
		}
		kill := time.Duration(-1)
		for _, k := range w.kills {
			if k >= txn.Invoke-2*time.Second && (kill < 0 || absDur(k-txn.Complete) < absDur(kill-txn.Complete)) {
				kill = k
			}
		}
		return fmt.Sprintf("txn %d client %d outcome %d invoke %s complete %s (nearest kill %s) ops %v error %q",
			id, txn.Client, txn.Outcome, txn.Invoke, txn.Complete, kill, txn.Ops, w.txnErrs[id])
	}
	return fmt.Sprintf("txn %d: the final read", id)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
