package agg

import (
	"slices"
	"strings"

	"github.com/concorddb/concord/internal/query/order"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// sortStage is a compiled $sort; ties keep their input order (MongoDB does
// not promise that, and stability keeps results deterministic). A $sort
// followed by $limit (with any $skip between) needs only its first limit
// documents (the $limit's n plus the $skips'): mongod's $sort + $limit
// coalescence, which holds that many documents, not the whole input.
type sortStage struct {
	sort  *order.Sort
	limit int64 // 0: none
}

// compileSort compiles $sort with the sort engine (order.Compile).
func compileSort(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok {
		return nil, codes.New(15973, "the $sort key specification must be an object")
	}
	if len(d) <= 5 {
		return nil, codes.New(15976, "$sort stage must have at least one sort key")
	}
	s, err := order.CompileColl(d, scope.Comparer())
	if err != nil {
		return nil, err
	}
	return sortStage{sort: s}, nil
}

// open implements stage.
func (s sortStage) open(r *run, in Iterator) Iterator {
	return &sortIter{r: r, in: in, cmp: s.sort.Compare, limit: s.limit}
}

// coalesceSortLimit gives each $sort of stages that a $limit follows, with only $skips between, the number of
// documents it must return: the $limit's plus the $skips'.
func coalesceSortLimit(stages []stage) {
	for i, st := range stages {
		s, ok := st.(sortStage)
		if !ok {
			continue
		}
		var skipped int64
		for _, next := range stages[i+1:] {
			sl, ok := next.(skipLimit)
			if !ok {
				break
			}
			if sl.skip {
				if skipped += sl.n; skipped < 0 {
					break // past any input
				}
				continue
			}
			if n := skipped + sl.n; n > 0 {
				s.limit = n
				stages[i] = s
			}
			break
		}
	}
}

// docOverhead is the memory a held document costs beyond its bytes (its
// slice header and allocation rounding), in the limit's accounting.
const docOverhead = 32

// sortIter is $sort's iterator. The first Next reads the whole input:
// while what it holds stays under the memory limit it sorts in memory;
// past the limit it fails (NoDiskUse) or writes what it holds as a sorted
// run to a spill file and starts again, and then merges the runs. With a
// limit it holds only the first limit documents of what it has read since
// its last run.
type sortIter struct {
	r     *run
	in    Iterator
	cmp   func(a, b bson.Raw) int
	limit int64
	out   Iterator
	spill *spill
	err   error
}

// Next implements Iterator.
func (it *sortIter) Next() (bson.Raw, error) {
	if it.err != nil {
		return nil, it.err
	}
	if it.out == nil {
		if it.out, it.err = it.consume(); it.err != nil {
			return nil, it.err
		}
	}
	d, err := it.out.Next()
	it.err = err
	return d, err
}

// consume reads the input and returns the sorted output.
func (it *sortIter) consume() (Iterator, error) {
	limit := it.r.opts.limit()
	var held []bson.Raw
	var top *order.TopK[bson.Raw]
	if it.limit > 0 {
		top = order.NewTopK(it.limit, it.cmp)
	}
	var size int64
	for n := 1; ; n++ {
		if n%checkEvery == 0 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return nil, err
			}
		}
		d, err := it.in.Next()
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		size += int64(len(d)) + docOverhead
		if top == nil {
			held = append(held, d)
		} else if out, ok := top.Offer(d); ok {
			size -= int64(len(out)) + docOverhead
		}
		if size <= limit {
			continue
		}
		if it.r.opts.NoDiskUse {
			return nil, errSortMemory(limit)
		}
		if top != nil {
			held = top.Sorted()
		}
		if err := it.spillRun(held); err != nil {
			return nil, err
		}
		clear(held)
		held, size = held[:0], 0
	}
	if top != nil {
		held = top.Sorted()
	} else {
		slices.SortStableFunc(held, it.cmp)
	}
	if it.spill == nil {
		return Docs(held), nil
	}
	runs, err := it.spill.readers()
	if err != nil {
		return nil, err
	}
	return newMergeIter(runs, held, it.cmp)
}

// spillRun sorts held and writes it as one run.
func (it *sortIter) spillRun(held []bson.Raw) error {
	if it.spill == nil {
		s, err := newSpill(it.r.opts.TempDir)
		if err != nil {
			return err
		}
		it.spill = s
	}
	slices.SortStableFunc(held, it.cmp)
	i := 0
	return it.spill.writeRun(func() bson.Raw {
		if i == len(held) {
			return nil
		}
		i++
		return held[i-1]
	})
}

// Close implements Iterator.
func (it *sortIter) Close() error {
	err := it.in.Close()
	if serr := it.spill.close(); err == nil {
		err = serr
	}
	return err
}

// compileSortByCount is $sortByCount: {$group: {_id: expr, count:
// {$sum: 1}}} followed by {$sort: {count: -1}}.
func compileSortByCount(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	switch arg.Type {
	case bson.TypeString:
		if !strings.HasPrefix(arg.StringValue(), "$") {
			return nil, codes.New(40148, "the sortByCount field must be defined as a $-prefixed path or an expression inside an object")
		}
	case bson.TypeEmbeddedDocument:
		if !expr.IsExpressionObject(arg) {
			return nil, codes.New(40147, "the sortByCount field must be defined as a $-prefixed path or an expression inside an object")
		}
	default:
		return nil, codes.New(40149, "the sortByCount field must be specified as a string or as an object")
	}
	idx, spec := bsoncore.AppendDocumentStart(nil)
	spec = value.AppendElem(spec, "_id", arg)
	cidx, spec := bsoncore.AppendDocumentElementStart(spec, "count")
	spec = bsoncore.AppendInt32Element(spec, "$sum", 1)
	spec, _ = bsoncore.AppendDocumentEnd(spec, cidx)
	spec, _ = bsoncore.AppendDocumentEnd(spec, idx)
	group, err := compileGroup("$group", value.Doc(spec), scope)
	if err != nil {
		return nil, err
	}
	sortSpec := bsoncore.BuildDocument(nil, bsoncore.AppendInt32Element(nil, "count", -1))
	sort, err := order.CompileColl(sortSpec, scope.Comparer())
	if err != nil {
		return nil, err
	}
	return sortByCount{group: group, sort: sortStage{sort: sort}}, nil
}

// sortByCount is $sortByCount: its $group, then its $sort.
type sortByCount struct {
	group stage
	sort  sortStage
}

// open implements stage.
func (s sortByCount) open(r *run, in Iterator) Iterator {
	return s.sort.open(r, s.group.open(r, in))
}
