package agg

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// Iterator is a stream of documents: a pipeline's output, one stage's
// output, or a collection read through a Source.
//
// Next returns the next document, or nil and a nil error at the end. A
// returned document is never modified or reused, so it stays valid after
// later calls and after Close. After an error Next keeps returning it.
// Close releases what the iterator holds (its input, temporary files, a
// storage iterator); it may be called more than once, and before the end.
// An Iterator is not safe for concurrent use.
type Iterator interface {
	Next() (bson.Raw, error)
	Close() error
}

// Lender is an Iterator that can lend its documents instead of giving
// them: Borrow returns the next document as Next does, but the document is
// valid only until the next call of Borrow, Next or Close, and must not be
// modified. A stage that keeps nothing of its input documents ($group,
// whose accumulators keep copies) borrows, which spares a storage scan a
// copy of every document.
type Lender interface {
	Iterator
	Borrow() (bson.Raw, error)
}

// Source is how a pipeline reads the other collections of its database.
// The engine implements it over the snapshot the aggregation runs in, so
// that inside a transaction a read sees the transaction's snapshot and its
// own writes.
type Source interface {
	// Read returns the documents of collection coll that match filter (nil
	// or empty: every document); none for a collection that does not
	// exist. The implementation plans filter as find does, so an equality
	// on an indexed field reads only the index range. The iterator must be
	// closed. Errors are *codes.Error.
	Read(ctx context.Context, coll string, filter bson.Raw) (Iterator, error)
}

// Docs returns an iterator over docs, which it does not modify.
func Docs(docs []bson.Raw) Iterator { return &sliceIter{docs: docs} }

// sliceIter iterates a slice.
type sliceIter struct {
	docs []bson.Raw
	i    int
}

// Next implements Iterator.
func (it *sliceIter) Next() (bson.Raw, error) {
	if it.i >= len(it.docs) {
		return nil, nil
	}
	d := it.docs[it.i]
	it.i++
	return d, nil
}

// Close implements Iterator.
func (it *sliceIter) Close() error {
	it.docs = nil
	return nil
}

// Drain returns every remaining document of it; it does not close it.
func Drain(it Iterator) ([]bson.Raw, error) {
	var out []bson.Raw
	for {
		d, err := it.Next()
		if err != nil {
			return nil, err
		}
		if d == nil {
			return out, nil
		}
		out = append(out, d)
	}
}

// checkEvery is how many input documents a stage handles between context
// checks.
const checkEvery = 256

// docFunc maps one input document to its outputs, appended to out (none:
// the document is dropped).
type docFunc func(r *run, doc bson.Raw, out []bson.Raw) ([]bson.Raw, error)

// mapStage is a stage that handles each document on its own ($match,
// $project, $unwind, ...): it holds only the outputs of one input document.
type mapStage docFunc

// open implements stage.
func (f mapStage) open(r *run, in Iterator) Iterator {
	return &mapIter{r: r, in: in, fn: docFunc(f)}
}

// mapIter is the iterator of a mapStage.
type mapIter struct {
	r   *run
	in  Iterator
	fn  docFunc
	buf []bson.Raw
	i   int
	n   int
	err error
}

// Next implements Iterator.
func (it *mapIter) Next() (bson.Raw, error) {
	for it.err == nil && it.i >= len(it.buf) {
		it.n++
		if it.n%checkEvery == 1 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				it.err = err
				break
			}
		}
		var d bson.Raw
		if d, it.err = it.in.Next(); it.err != nil || d == nil {
			return nil, it.err
		}
		clear(it.buf)
		it.buf, it.err = it.fn(it.r, d, it.buf[:0])
		it.i = 0
	}
	if it.err != nil {
		return nil, it.err
	}
	d := it.buf[it.i]
	it.i++
	return d, nil
}

// Close implements Iterator.
func (it *mapIter) Close() error { return it.in.Close() }
