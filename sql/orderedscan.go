package sql

import (
	"context"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxOrderedScan bounds the OFFSET + LIMIT an ordered scan reads: past it the whole table is read and sorted.
const maxOrderedScan = 10_000

// orderedScan is the ORDER BY and LIMIT of a SELECT from one table, read from the storage in that order: the
// scan asks for the first need documents by the sort, where the storage's plan reads in it (the primary key, or
// an index with no array; orderedRead.read), so that `ORDER BY id DESC LIMIT 10` reads ten rows, not the table.
// It applies only where the storage's order is PostgreSQL's: columns of types whose values the storage orders as
// PostgreSQL does (storedInOrder), whose NULLs go where the storage puts them or are read apart (orderedRead). The
// rows are still sorted and limited above the scan as any others. The WHERE clause is evaluated above the scan
// too, and where it keeps fewer than need of the rows read while the scan may have had more, the statement reads
// again without the ordered scan (selectRows).
type orderedScan struct {
	alias   string
	sortBy  []*pg.Node
	targets []*pg.Node
	where   *pg.Node
	need    int64 // OFFSET + LIMIT
	used    bool  // the scan read in order
	got     int   // the documents it returned
}

// orderedScanOf returns the ordered scan sel may read, nil when none: a SELECT of one table (no join, CTE,
// grouping, DISTINCT, window or locking clause, no WITH TIES) with a LIMIT and OFFSET of constants and parameters
// (evaluated here once more, to no effect), and no function call or subquery in its select list, WHERE or ORDER BY
// (so that reading it again does nothing twice; readOf checks that their columns are the table's), outside
// EXPLAIN.
func (x *exec) orderedScanOf(sel *pg.SelectStmt, outer *scope) *orderedScan {
	if x.noOrderedScan || x.describe || x.recording() || sel.WithClause != nil || x.lockSel == sel ||
		len(sel.FromClause) != 1 || len(sel.SortClause) == 0 || sel.LimitCount == nil || withTies(sel) ||
		len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.DistinctClause) > 0 || len(sel.WindowClause) > 0 {
		return nil
	}
	rv := sel.FromClause[0].GetRangeVar()
	if rv == nil || rv.Alias != nil && len(rv.Alias.Colnames) > 0 {
		return nil
	}
	plain := true
	check := func(n *pg.Node) bool {
		if n.GetFuncCall() != nil || n.GetSubLink() != nil {
			plain = false
		}
		return !plain
	}
	walkNoSub(sel.WhereClause, check)
	for _, l := range [][]*pg.Node{sel.TargetList, sel.SortClause} {
		for _, n := range l {
			walkNoSub(n, check)
		}
	}
	for _, n := range []*pg.Node{sel.LimitCount, sel.LimitOffset} {
		walkNoSub(n, func(n *pg.Node) bool {
			if n.GetColumnRef() != nil {
				plain = false
			}
			return check(n)
		})
	}
	if !plain {
		return nil
	}
	off, lim, err := x.limitBounds(sel, outer)
	if err != nil || lim < 0 || off+lim > maxOrderedScan {
		return nil // an error is the statement's to report, as it would without the ordered scan
	}
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	return &orderedScan{alias: alias, sortBy: sel.SortClause, targets: sel.TargetList, where: sel.WhereClause, need: off + lim}
}

// orderedRead is how an ordered scan reads its table: the storage's sort, the sort keys' fields and SQL types
// (whose stored values read must show to be of the BSON type the storage orders as PostgreSQL orders the column's),
// and, where PostgreSQL puts the first key's NULLs elsewhere than the storage (which puts NULLs, and missing
// fields, first ascending and last descending), that key's field: its NULLs are read apart, before or after the
// rest.
type orderedRead struct {
	sort       bson.D
	types      []uint32
	nullsField string
	nullsFirst bool
	noNullID   bool // a later key is _id, whose NULL PostgreSQL puts elsewhere than the storage: there must be none
}

// readOf returns the ordered read of t, nil when the ORDER BY is not one the storage can read in PostgreSQL's
// order: each key a column of t of a type storedInOrder, named as itself (not an output column of another
// expression, even one named after it, as a cast is), whose NULLs, after the first key, go where the storage puts
// them, or that is the primary key (checked to hold no NULL). Nil too when a column reference of the select list or WHERE
// clause is not a column of t (an outer query's, or a function called as t.f).
func (h *orderedScan) readOf(t *table) *orderedRead {
	if !t.declared || h.need <= 0 {
		return nil
	}
	tables := true
	own := func(n *pg.Node) bool {
		cr := n.GetColumnRef()
		if cr == nil {
			return false
		}
		f := columnFields(cr)
		switch {
		case len(f) == 0 || f[len(f)-1] == "*" && len(f) <= 2 && (len(f) == 1 || f[0] == h.alias):
		case len(f) == 1 && t.column(f[0]) != nil:
		case len(f) == 2 && f[0] == h.alias && t.column(f[1]) != nil:
		default:
			tables = false
		}
		return !tables
	}
	walkNoSub(h.where, own)
	for _, n := range h.targets {
		walkNoSub(n, own)
	}
	if !tables {
		return nil
	}
	r := &orderedRead{}
	for i, n := range h.sortBy {
		sb := n.GetSortBy()
		if sb == nil || len(sb.UseOp) > 0 || sb.SortbyDir == pg.SortByDir_SORTBY_USING {
			return nil
		}
		cr := sb.Node.GetColumnRef()
		if cr == nil {
			return nil
		}
		f := columnFields(cr)
		if len(f) > 2 || len(f) == 2 && f[0] != h.alias {
			return nil
		}
		name := f[len(f)-1]
		for _, tg := range h.targets {
			rt := tg.GetResTarget()
			if rt == nil {
				continue
			}
			out := rt.Name
			if out == "" {
				out = exprName(rt.Val)
			}
			if out == name {
				if c := rt.Val.GetColumnRef(); c == nil || columnFields(c)[len(columnFields(c))-1] != name {
					return nil // ORDER BY names that output column, another expression
				}
			}
		}
		c := t.column(name)
		if c == nil || !storedInOrder(c.Type) || c.Generated != "" {
			return nil
		}
		desc, nullsFirst := sortDirection(sb)
		if nullsFirst == desc { // PostgreSQL puts NULLs where the storage does not
			switch field := t.field(name); {
			case i == 0:
				// Read apart, NOT NULL or not: a document written over the MongoDB port may lack the field.
				r.nullsField, r.nullsFirst = field, nullsFirst
			case field == "_id":
				r.noNullID = true // an _id null, written over the MongoDB port, has the table read whole
			default:
				return nil // NOT NULL or not, as above; and a later key's NULLs cannot be read apart
			}
		}
		dir := 1
		if desc {
			dir = -1
		}
		r.sort = append(r.sort, bson.E{Key: t.field(name), Value: dir})
		r.types = append(r.types, c.Type)
	}
	return r
}

// read returns the first need documents of coll that match filter in PostgreSQL's order, and false (nothing
// read) when the documents' sort keys are not all of the BSON types the storage orders as PostgreSQL does: a
// document written over the MongoDB port may hold a string in an integer column. The storage orders the types
// apart (null, then numbers, strings, ..., booleans, dates), so the least and the greatest value of each key
// that is not NULL show whether all are of the column's own type: the first key's first value read is one of
// them.
func (r *orderedRead) read(ctx context.Context, coll backendColl, filter bson.D, need int64) ([]bson.Raw, bool, error) {
	and := func(cond bson.D) bson.D { return andFilter(filter, cond) }
	// The storage must read in the sort's order (the _id keys, or an index that is not multikey: no key holds an
	// array, which the storage orders by an element): else the probes below, and the reads, would each scan the
	// collection, and reading it once whole costs less.
	if ok, err := coll.readsInOrder(ctx, filter, r.sort); err != nil || !ok {
		return nil, false, err
	}
	if r.noNullID {
		if docs, err := coll.findSorted(ctx, and(bson.D{{Key: "_id", Value: nil}}), nil, 1); err != nil || len(docs) > 0 {
			return nil, false, err
		}
	}
	// The first key's end the read starts from is its first value that is not NULL (checked below); its other
	// end, and both ends of every other key, are read apart.
	for i, k := range r.sort {
		notNull := and(bson.D{{Key: k.Key, Value: bson.D{{Key: "$ne", Value: nil}}}})
		dirs := []int{1, -1}
		if i == 0 {
			dirs = []int{-k.Value.(int)}
		}
		for _, dir := range dirs {
			docs, err := coll.findSorted(ctx, notNull, bson.D{{Key: k.Key, Value: dir}}, 1)
			if err != nil {
				return nil, false, err
			}
			if len(docs) == 1 && !storedOrdered(r.types[i], lookupPath(docs[0], k.Key)) {
				return nil, false, nil
			}
		}
	}
	docs, err := r.sorted(ctx, filter, coll, need)
	if err != nil {
		return nil, false, err
	}
	for _, d := range docs {
		if v := lookupPath(d, r.sort[0].Key); v.Type != 0 && v.Type != bson.TypeNull {
			if !storedOrdered(r.types[0], v) {
				return nil, false, nil
			}
			break
		}
	}
	return docs, true, nil
}

// sorted reads the first need documents of coll that match filter in PostgreSQL's order, the first key's NULLs
// apart when they are (nullsField).
func (r *orderedRead) sorted(ctx context.Context, filter bson.D, coll backendColl, need int64) ([]bson.Raw, error) {
	if r.nullsField == "" {
		return coll.findSorted(ctx, filter, r.sort, need)
	}
	nulls := func(n int64) ([]bson.Raw, error) {
		return coll.findSorted(ctx, andFilter(filter, bson.D{{Key: r.nullsField, Value: nil}}), r.sort[1:], n)
	}
	values := func(n int64) ([]bson.Raw, error) {
		return coll.findSorted(ctx, andFilter(filter, bson.D{{Key: r.nullsField, Value: bson.D{{Key: "$ne", Value: nil}}}}), r.sort, n)
	}
	first, second := values, nulls
	if r.nullsFirst {
		first, second = nulls, values
	}
	docs, err := first(need)
	if err != nil || int64(len(docs)) >= need {
		return docs, err
	}
	more, err := second(need - int64(len(docs)))
	return append(docs, more...), err
}

// orderedTypes are, by column type, the BSON types its values are stored as that MongoDB orders as PostgreSQL
// orders the column: integers (numbers), text and varchar (strings, by bytes as the SQL layer compares them; not
// char(n), whose padding does not count), booleans, and dates and timestamps (BSON dates, the infinities the
// latest and earliest). Not floating point or numeric, whose NaN PostgreSQL sorts last and MongoDB first.
var orderedTypes = map[uint32][]bson.Type{
	OIDInt2: {bson.TypeInt32, bson.TypeInt64}, OIDInt4: {bson.TypeInt32, bson.TypeInt64}, OIDInt8: {bson.TypeInt32, bson.TypeInt64},
	OIDText: {bson.TypeString}, OIDVarchar: {bson.TypeString},
	OIDBool: {bson.TypeBoolean},
	OIDDate: {bson.TypeDateTime}, OIDTimestamp: {bson.TypeDateTime}, OIDTimestamptz: {bson.TypeDateTime},
}

// storedInOrder reports whether a column of type oid has values the storage orders as PostgreSQL does.
func storedInOrder(oid uint32) bool { return len(orderedTypes[oid]) > 0 }

// storedOrdered reports whether v, of a column of type oid, is of the BSON types orderedTypes gives it.
func storedOrdered(oid uint32, v bson.RawValue) bool {
	return slices.Contains(orderedTypes[oid], v.Type)
}

// andFilter is filter and cond together (cond alone when filter is empty).
func andFilter(filter, cond bson.D) bson.D {
	if len(filter) == 0 {
		return cond
	}
	return bson.D{{Key: "$and", Value: bson.A{filter, cond}}}
}

// orderedRead is the read of the ordered scan of the table t under alias, nil when there is none.
func (x *exec) orderedRead(t *table, alias string) *orderedRead {
	if h := x.ordered; h != nil && h.alias == alias && !h.used {
		return h.readOf(t)
	}
	return nil
}
