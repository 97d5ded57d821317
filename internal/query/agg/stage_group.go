package agg

import (
	"bytes"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $group and $sortByCount's grouping half.

// groupStage is a compiled $group. Groups are output in the order their key
// was first seen: MongoDB guarantees no order, and first-seen order keeps
// results deterministic.
type groupStage struct {
	id    *expr.Expr
	names []string
	accs  []func() expr.Accumulator
	args  []*expr.Expr
}

// compileGroup compiles $group {_id: expr, field: {accumulator: expr}, ...}.
func compileGroup(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(15947, "a group's fields must be specified in an object")
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $group: %v", err)
	}
	g := &groupStage{}
	seen := map[string]bool{}
	for _, el := range elems {
		k := el.Key()
		if k == "_id" {
			if g.id != nil {
				return nil, codes.New(15948, "a group's _id may only be specified once")
			}
			if g.id, err = expr.CompileIn(el.Value(), scope); err != nil {
				return nil, err
			}
			continue
		}
		switch {
		case k == "":
			return nil, codes.New(40236, "The field name '' cannot be empty")
		case strings.HasPrefix(k, "$"):
			return nil, codes.New(40236, "The field name '%s' cannot be an operator name", k)
		case strings.Contains(k, "."):
			return nil, codes.New(40235, "The field name '%s' cannot contain '.'", k)
		case seen[k]:
			return nil, codes.New(16406, "duplicate field name specified in object literal: %s", k)
		}
		seen[k] = true
		v := el.Value()
		if v.Type != bson.TypeEmbeddedDocument {
			return nil, codes.New(40234, "The field '%s' must be an accumulator object", k)
		}
		accElems, err := v.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid $group: %v", err)
		}
		if len(accElems) != 1 {
			return nil, codes.New(40238, "The field '%s' must specify one accumulator", k)
		}
		accName := accElems[0].Key()
		accArg := accElems[0].Value()
		if accName == "$count" {
			d, ok := accArg.DocumentOK()
			if !ok || len(d) > 5 {
				return nil, codes.New(codes.TypeMismatch, "$count takes no arguments, i.e. $count:{}")
			}
			accArg = bson.RawValue{Type: bson.TypeNull}
		}
		mk, argExpr, err := expr.CompileAccumulator(accName, accArg, scope)
		if err != nil {
			return nil, err
		}
		g.names = append(g.names, k)
		g.accs = append(g.accs, mk)
		g.args = append(g.args, argExpr)
	}
	if g.id == nil {
		return nil, codes.New(15955, "a group specification must include an _id")
	}
	return g, nil
}

// open implements stage.
func (g *groupStage) open(r *run, in Iterator) Iterator {
	return &groupIter{r: r, in: in, g: g}
}

// groupOverhead is the memory a group costs beyond its key, _id and
// accumulators (map entry, slices), in the limit's accounting.
const groupOverhead = 96

// group is one group's state.
type group struct {
	key  string
	id   bson.RawValue
	accs []expr.Accumulator
}

// groupIter is $group's iterator. The first Next reads the whole input
// into a table of groups. While the table stays under the memory limit the
// groups come out in the order their key was first seen. Past the limit
// the stage fails (NoDiskUse) or writes the table, sorted by key, as a run
// of partial states to a spill file and starts a new table; at the end the
// runs are merged by key and each group's partial states folded in input
// order, so the groups then come out in key order.
type groupIter struct {
	r     *run
	in    Iterator
	g     *groupStage
	spill *spill
	// held are the groups of the in-memory table, in first-seen order,
	// then those left to output; merged replaces them after a spill.
	held   []*group
	merged Iterator
	// pending is the first spilled state of the next key, read while
	// finishing the previous one.
	pending bson.Raw
	done    bool
	err     error
}

// Next implements Iterator.
func (it *groupIter) Next() (bson.Raw, error) {
	if it.err != nil {
		return nil, it.err
	}
	if !it.done {
		it.done = true
		if it.err = it.consume(); it.err != nil {
			return nil, it.err
		}
	}
	if it.merged != nil {
		return it.nextMerged()
	}
	if len(it.held) == 0 {
		return nil, nil
	}
	grp := it.held[0]
	it.held[0] = nil
	it.held = it.held[1:]
	return it.g.output(grp), nil
}

// consume reads the input into groups, spilling as needed.
func (it *groupIter) consume() error {
	limit := it.r.opts.limit()
	byKey := map[string]*group{}
	var size int64
	ec := &evalCtx{vars: it.r.vars}
	// Nothing of an input document outlives its iteration: a new group
	// copies its _id and accumulators copy what they keep. So the input
	// may lend its documents, and the key is built in one reused buffer.
	next := it.in.Next
	if l, ok := it.in.(Lender); ok {
		next = l.Borrow
	}
	var key []byte
	for n := 1; ; n++ {
		if n%checkEvery == 0 {
			if err := codes.FromContext(it.r.ctx); err != nil {
				return err
			}
		}
		d, err := next()
		if err != nil {
			return err
		}
		if d == nil {
			break
		}
		ec.doc = d
		id, err := ec.eval(it.g.id)
		if err != nil {
			return err
		}
		if id.Type == 0 {
			id = value.Null
		}
		key = expr.AppendGroupKey(key[:0], id)
		grp := byKey[string(key)]
		if grp == nil {
			k := string(key)
			grp = it.g.newGroup(k, id)
			byKey[k] = grp
			it.held = append(it.held, grp)
			size += int64(len(k)+len(grp.id.Value)) + groupOverhead
			for _, a := range grp.accs {
				size += int64(a.Size())
			}
		}
		for j, a := range it.g.args {
			v, err := ec.eval(a)
			if err != nil {
				return err
			}
			acc := grp.accs[j]
			before := acc.Size()
			if err := acc.Add(v); err != nil {
				return err
			}
			size += int64(acc.Size() - before)
		}
		if size <= limit {
			continue
		}
		if it.r.opts.NoDiskUse {
			return errGroupMemory()
		}
		if err := it.spillRun(); err != nil {
			return err
		}
		clear(byKey)
		size = 0
	}
	if it.spill == nil {
		return nil
	}
	if err := it.spillRun(); err != nil {
		return err
	}
	runs, err := it.spill.readers()
	if err != nil {
		return err
	}
	it.merged, err = newMergeIter(runs, nil, func(a, b bson.Raw) int {
		return bytes.Compare(spilledKey(a), spilledKey(b))
	})
	return err
}

// newGroup returns an empty group for key, owning a copy of id.
func (g *groupStage) newGroup(key string, id bson.RawValue) *group {
	grp := &group{key: key, id: bson.RawValue{Type: id.Type, Value: append([]byte(nil), id.Value...)}, accs: make([]expr.Accumulator, len(g.accs))}
	for j, mk := range g.accs {
		grp.accs[j] = mk()
	}
	return grp
}

// output builds a group's result document.
func (g *groupStage) output(grp *group) bson.Raw {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	dst = value.AppendElem(dst, "_id", grp.id)
	for j, name := range g.names {
		dst = value.AppendElem(dst, name, grp.accs[j].Result())
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// spillRun writes the held groups, sorted by key, as one run of
// {k: key, i: _id, a: [partial states]} documents, and forgets them.
func (it *groupIter) spillRun() error {
	if it.spill == nil {
		s, err := newSpill(it.r.opts.TempDir)
		if err != nil {
			return err
		}
		it.spill = s
	}
	slices.SortFunc(it.held, func(a, b *group) int { return strings.Compare(a.key, b.key) })
	i := 0
	err := it.spill.writeRun(func() bson.Raw {
		if i == len(it.held) {
			return nil
		}
		grp := it.held[i]
		i++
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = bsoncore.AppendBinaryElement(dst, "k", 0, []byte(grp.key))
		dst = value.AppendElem(dst, "i", grp.id)
		parts := make([]bson.RawValue, len(grp.accs))
		for j, a := range grp.accs {
			parts[j] = a.Partial()
		}
		dst = value.AppendElem(dst, "a", value.Array(parts))
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return dst
	})
	clear(it.held)
	it.held = it.held[:0]
	return err
}

// spilledKey returns the group key of a spilled group.
func spilledKey(d bson.Raw) []byte {
	_, b, _ := d.Lookup("k").BinaryOK()
	return b
}

// nextMerged folds the consecutive spilled states of the next key into one
// group and returns its result.
func (it *groupIter) nextMerged() (bson.Raw, error) {
	var grp *group
	for {
		d := it.pending
		it.pending = nil
		if d == nil {
			var err error
			if d, err = it.merged.Next(); err != nil {
				it.err = err
				return nil, err
			}
		}
		if d == nil {
			if grp == nil {
				return nil, nil
			}
			return it.g.output(grp), nil
		}
		k := spilledKey(d)
		if grp != nil && string(k) != grp.key {
			it.pending = d
			return it.g.output(grp), nil
		}
		if grp == nil {
			grp = it.g.newGroup(string(k), d.Lookup("i"))
		}
		parts := value.Values(d.Lookup("a"))
		for j, a := range grp.accs {
			if j < len(parts) {
				if err := a.Merge(parts[j]); err != nil {
					it.err = err
					return nil, err
				}
			}
		}
	}
}

// Close implements Iterator.
func (it *groupIter) Close() error {
	err := it.in.Close()
	if serr := it.spill.close(); err == nil {
		err = serr
	}
	return err
}
