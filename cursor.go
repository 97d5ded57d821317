package concord

import (
	"context"
	"errors"
	"reflect"

	"github.com/concorddb/concord/internal/engine"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Cursor iterates over the results of Find or Aggregate. Their results are
// materialized when the operation runs (a transaction's snapshot or the
// implicit snapshot of a single read), so iterating never sees later writes
// and never fails for lack of storage; closing such a cursor is optional.
// The cursors of FindStream, FindBatches and AggregateBatches read as Next
// asks (see each), may fail as they go, and must be closed. A Cursor is not
// safe for concurrent use; Next returns false once it is closed.
type Cursor struct {
	// Current is the document Next moved to. The bytes are not reused by
	// later calls to Next, so they stay valid after Next and Close; do not
	// modify them.
	Current bson.Raw

	docs   []bson.Raw
	pos    int
	err    error
	closed bool
	// remaining is the size of docs[pos:].
	remaining int
	// stream is FindStream's source, read as Next asks (docs is then nil).
	stream *engine.DocStream
}

// newCursor wraps a materialized result set.
func newCursor(docs []bson.Raw) *Cursor {
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	return &Cursor{docs: docs, remaining: n}
}

// Next moves to the next document and reports whether there is one. It
// returns false at the end, after Close, or when ctx is done (Err then
// returns ctx's error).
func (c *Cursor) Next(ctx context.Context) bool {
	if c.closed || c.err != nil {
		return false
	}
	if err := ctx.Err(); err != nil {
		c.err = err
		return false
	}
	if c.stream != nil {
		if c.stream.Batched() {
			// A batch read now is the work of the operation reading it (a getMore's), not the one that opened
			// the cursor.
			c.stream.SetStats(OpStatsFromContext(ctx))
		}
		doc, err := c.stream.Next(ctx)
		if err != nil {
			c.err = publicError(err)
		}
		c.Current = doc
		return doc != nil
	}
	if c.pos >= len(c.docs) {
		c.Current = nil
		return false
	}
	c.Current = c.docs[c.pos]
	c.docs[c.pos] = nil // the cursor no longer holds it: it is the caller's once returned
	c.remaining -= len(c.Current)
	c.pos++
	return true
}

// RemainingBytes returns the memory the cursor holds for the documents Next will still return (a server bounds
// what a client's open cursors may hold with it): their size for a materialized result; for a FindStream or
// FindBatches cursor, that of the documents it has read ahead and of the _ids it still has to read.
func (c *Cursor) RemainingBytes() int {
	if c.closed {
		return 0
	}
	if c.stream != nil {
		return c.stream.Held()
	}
	return c.remaining
}

// SetBatchSize bounds how many documents a FindBatches or FindStream cursor reads from the storage at a time
// when it reads in batches: n, from 1 to 1,024 (the default). A caller that knows how many documents it will take
// next keeps the cursor from reading further ahead. Other cursors ignore it.
func (c *Cursor) SetBatchSize(n int) {
	if c.stream != nil {
		c.stream.SetBatch(n)
	}
}

// TryNext is Next: the results are already in memory, so there is never a
// need to wait for more.
func (c *Cursor) TryNext(ctx context.Context) bool { return c.Next(ctx) }

// RemainingBatchLength returns how many documents Next will still return (0 for a FindStream cursor, which does
// not know).
func (c *Cursor) RemainingBatchLength() int {
	if c.closed {
		return 0
	}
	return len(c.docs) - c.pos
}

// Decode unmarshals Current into v (see bson.Unmarshal).
func (c *Cursor) Decode(v any) error {
	if c.Current == nil {
		return errors.New("concord: Decode called without a current document")
	}
	return bson.Unmarshal(c.Current, v)
}

// All decodes every remaining document into results, which must be a
// pointer to a slice, and closes the cursor. Elements already in the slice
// are replaced.
func (c *Cursor) All(ctx context.Context, results any) error {
	defer c.Close(ctx)
	rv := reflect.ValueOf(results)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Slice {
		return errors.New("concord: results argument must be a pointer to a slice")
	}
	slice := rv.Elem()
	elemType := slice.Type().Elem()
	out := reflect.MakeSlice(slice.Type(), 0, c.RemainingBatchLength())
	for c.Next(ctx) {
		elem := reflect.New(elemType)
		if err := bson.Unmarshal(c.Current, elem.Interface()); err != nil {
			return err
		}
		out = reflect.Append(out, elem.Elem())
	}
	if c.err != nil {
		return c.err
	}
	slice.Set(out)
	return nil
}

// Err returns the error that stopped Next early, if any.
func (c *Cursor) Err() error { return c.err }

// Close releases the results. It always returns nil.
func (c *Cursor) Close(ctx context.Context) error {
	c.closed = true
	c.docs = nil
	if c.stream != nil {
		c.stream.Close()
	}
	return nil
}
