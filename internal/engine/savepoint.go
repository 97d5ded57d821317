package engine

import (
	"maps"

	"github.com/concorddb/concord/internal/codes"
)

// Savepoint is a point in a transaction that RollbackTo returns its writes to: a copy of what the transaction
// had buffered and claimed then (SQL's SAVEPOINT; MongoDB has no such thing).
type Savepoint struct {
	t       *Txn
	writes  []docWrite // the buffered writes, in order
	uniq    map[string]string
	claims  map[string]bool
	extra   int
	created int
}

// Savepoint marks the transaction's current writes. From then on a failed statement no longer aborts the
// transaction (the abort guard of MongoDB's transactions) but leaves it failed: until RollbackTo, its
// statements and its commit are refused (IllegalOperation), so what the failed statement wrote never commits.
// An expired transaction is aborted all the same.
func (t *Txn) Savepoint() (*Savepoint, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.activeLocked(); err != nil {
		return nil, err
	}
	if t.failed {
		return nil, failedError()
	}
	t.keepOnError = true
	sp := &Savepoint{t: t, uniq: maps.Clone(t.uniq), claims: maps.Clone(t.claims), extra: len(t.extra), created: len(t.created)}
	sp.writes = make([]docWrite, 0, len(t.order))
	for _, k := range t.order {
		sp.writes = append(sp.writes, *t.writes[k])
	}
	return sp, nil
}

// RollbackTo returns the transaction's writes to what they were at sp, which stays usable: the documents and
// unique keys written since are forgotten, and the keys claimed since are released (other transactions may
// write them again). The snapshot stays the one the transaction read from. Collections created and capped
// collections written since sp cannot be rolled back (IllegalOperation).
func (t *Txn) RollbackTo(sp *Savepoint) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sp == nil || sp.t != t {
		return codes.New(codes.IllegalOperation, "savepoint of another transaction")
	}
	if err := t.activeLocked(); err != nil {
		return err
	}
	if len(t.extra) != sp.extra || len(t.created) != sp.created {
		return codes.New(codes.IllegalOperation, "cannot roll back to a savepoint past a collection's creation or a capped collection's write")
	}
	// A claim taken since sp is released; one sp had keeps its written flag of then (an unwritten claim given
	// up since sp stays given up: it protects no write).
	claims := make(map[string]bool, len(sp.claims))
	for k, written := range sp.claims {
		if _, ok := t.claims[k]; ok {
			claims[k] = written
		}
	}
	for k := range t.claims {
		if _, ok := claims[k]; !ok {
			t.e.owners.release(k, t, 0)
		}
	}
	t.claims = claims
	t.failed = false
	t.uniq = maps.Clone(sp.uniq)
	t.writes = make(map[string]*docWrite, len(sp.writes))
	t.order = make([]string, 0, len(sp.writes))
	t.write1, t.lastClaim = docWrite{}, ""
	for i := range sp.writes {
		w := sp.writes[i]
		k := string(w.key)
		t.writes[k] = &w
		t.order = append(t.order, k)
	}
	return nil
}

// failedError refuses a statement or the commit of a transaction whose statement failed after a Savepoint.
func failedError() *codes.Error {
	return codes.New(codes.IllegalOperation, "a statement of this transaction failed: roll back to a savepoint, or abort")
}

// activeLocked is NoSuchTransaction for an aborted transaction and TransactionCommitted for a committed one.
func (t *Txn) activeLocked() error {
	switch TxnState(t.state.Load()) {
	case TxnAborted:
		return abortedError().InTransaction()
	case TxnCommitted:
		return committedError()
	}
	return nil
}

// KeepsOnError reports whether a failed statement leaves the transaction active (after a Savepoint).
func (t *Txn) KeepsOnError() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keepOnError
}
