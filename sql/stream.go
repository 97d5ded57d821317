package sql

import (
	"context"
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Streamed results. A SELECT that reads one table row by row (no grouping, ordering, DISTINCT, window, subquery,
// set-returning or user-defined function, LIMIT or locking clause) and COPY ... TO STDOUT of a table or of such
// a query hand their rows to the client as they make them, a chunk at a time, when the caller gave a RowSink: a
// result of any size then takes the server a chunk's memory, not the whole result's (PostgreSQL streams every
// result). The query runs once per chunk over the chunk's rows, so everything it evaluates is what the whole
// result's evaluation is. Outside a transaction block the table's documents are read as the chunks need them, at
// one point in time (the storage's FindStream, the driver's cursor); in a block the storage reads them all first
// in the block's snapshot, and only the rows stream.

// RowSink takes the rows of a statement that streams them as the statement makes them. Start is called once,
// before any rows, with the result's Columns (and Copy, for COPY ... TO STDOUT); Rows then with each chunk, in
// order. The statement's Result has Streamed set and no Rows. An error from the sink ends the statement with it.
type RowSink interface {
	Start(r *Result) error
	Rows(rows [][]any) error
}

type rowSinkKey struct{}

// WithRowSink returns ctx with sink, to which Session.Query and Session.Execute hand the rows of the statements
// that stream (see RowSink); the others return their rows in Result.Rows as before.
func WithRowSink(ctx context.Context, sink RowSink) context.Context {
	return context.WithValue(ctx, rowSinkKey{}, sink)
}

// MayStream reports whether the statement is one whose rows may go to a RowSink (a SELECT, a COPY): a caller
// can leave the sink out of the others' context.
func (st *Stmt) MayStream() bool {
	if st.stmt == nil {
		return false
	}
	n := st.stmt.raw.Stmt
	return n.GetSelectStmt() != nil || n.GetCopyStmt() != nil
}

func rowSinkFrom(ctx context.Context) RowSink {
	s, _ := ctx.Value(rowSinkKey{}).(RowSink)
	return s
}

// streamChunk is how many documents a streamed scan reads for one run of the query.
const streamChunk = 1024

// sessionSink is the sink of one statement: it shows each chunk as the session's settings say (its TimeZone,
// IntervalStyle), as runStmt shows a Result, and refuses a second start (a statement run again, as an internal
// transaction is on a transient error, after its first run sent rows).
type sessionSink struct {
	s       *Session
	out     RowSink
	cols    []Column
	started bool
}

func (k *sessionSink) Start(r *Result) error {
	if k.started {
		return errorf(CodeInternalError, "a streamed statement ran again after sending rows")
	}
	k.started, k.cols = true, r.Columns
	return k.out.Start(r)
}

func (k *sessionSink) Rows(rows [][]any) error {
	r := &Result{Columns: k.cols, Rows: rows}
	k.s.showInZone(r)
	k.s.showIntervalStyle(r)
	return k.out.Rows(r.Rows)
}

// alignSink aligns the rows of a prepared statement's run with the columns it was described with (alignRows).
type alignSink struct {
	want []Column
	got  []Column
	out  RowSink
}

func (k *alignSink) Start(r *Result) error {
	k.got = r.Columns
	c := *r
	c.Columns = k.want
	return k.out.Start(&c)
}

func (k *alignSink) Rows(rows [][]any) error { return k.out.Rows(alignRows(k.want, k.got, rows)) }

// tableStream feeds a streamed query's scan of its table (scan): the documents a chunk at a time.
type tableStream struct {
	table string
	// armed is set before each run of the query: the run's scan of the table takes the next chunk and clears it.
	armed bool
	// empty makes the run a chunk of no documents: the query's columns and its checks, no row read.
	empty bool
	// fields are a schemaless table's columns (fieldsOf), nil until the first chunk.
	fields []relCol
	// last is the last chunk read; replay, when set, is the next run's chunk, read again (a cursor's chunk
	// that failed, run a document at a time).
	last, replay []bson.Raw
	src          docStream
	next         bson.Raw // the document read after the last chunk's, nil at the end
	done         bool
}

// chunk returns the table's next documents (at most streamChunk), opening the stream at the first call.
func (ts *tableStream) chunk(ctx context.Context, coll backendColl, filter bson.D) ([]bson.Raw, error) {
	ts.armed, ts.last = false, nil
	if ts.replay != nil {
		docs := ts.replay
		ts.replay = nil
		return docs, nil
	}
	if ts.src == nil {
		// Opened by the first run, an empty one too: a cursor's DECLARE fixes the point in time it reads (in a
		// block, the block's snapshot, taken by its first read).
		src, err := coll.stream(ctx, filter)
		if err != nil {
			return nil, err
		}
		ts.src = src
		if ts.next, err = src.next(ctx); err != nil {
			return nil, err
		}
	}
	if ts.empty {
		return nil, nil
	}
	var docs []bson.Raw
	for ts.next != nil && len(docs) < streamChunk {
		docs = append(docs, ts.next)
		var err error
		if ts.next, err = ts.src.next(ctx); err != nil {
			return nil, err
		}
	}
	ts.done = ts.next == nil
	ts.last = docs
	return docs, nil
}

// fieldsOf returns the columns of the streamed schemaless table: those of all the documents matching filter, as a
// scan of them all would make them (unionFields), read once in a pass of their own before the first chunk, which
// keeps only the fields, so that every chunk's rows have the same columns.
func (ts *tableStream) fieldsOf(ctx context.Context, coll backendColl, filter bson.D) ([]relCol, error) {
	if ts.fields != nil {
		return ts.fields, nil
	}
	src, err := coll.stream(ctx, filter)
	if err != nil {
		return nil, err
	}
	defer src.close(ctx)
	seen := map[string]bool{}
	fields := []relCol{}
	for {
		d, err := src.next(ctx)
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		elems, _ := d.Elements()
		for _, e := range elems {
			if k := e.Key(); !seen[k] {
				seen[k] = true
				fields = append(fields, relCol{name: k, field: k, oid: valueOID(fromBSON(e.Value()))})
			}
		}
	}
	ts.fields = fields
	return fields, nil
}

func (ts *tableStream) close(ctx context.Context) {
	if ts.src != nil {
		ts.src.close(ctx)
	}
}

// streamTable returns the table a SELECT streams from to the statement's sink, or nil when it is not a query
// that streams (see above) or the statement has no sink.
func (x *exec) streamTable(sel *pg.SelectStmt) *table {
	if x.sink == nil {
		return nil
	}
	return x.chunkedTable(sel)
}

// chunkedTable returns the table a SELECT can be run over a chunk at a time from, or nil.
func (x *exec) chunkedTable(sel *pg.SelectStmt) *table {
	if x.describe || x.recording() || sel.Op != pg.SetOperation_SETOP_NONE && sel.Op != pg.SetOperation_SET_OPERATION_UNDEFINED ||
		len(sel.ValuesLists) > 0 || sel.WithClause != nil || sel.IntoClause != nil || len(sel.LockingClause) > 0 ||
		len(sel.GroupClause) > 0 || sel.HavingClause != nil || len(sel.DistinctClause) > 0 || len(sel.SortClause) > 0 ||
		len(sel.WindowClause) > 0 || sel.LimitCount != nil || sel.LimitOffset != nil || len(sel.FromClause) != 1 {
		return nil
	}
	rv := sel.FromClause[0].GetRangeVar()
	if rv == nil || rv.Schemaname != "" && rv.Schemaname != "public" || rv.Alias != nil && len(rv.Alias.Colnames) > 0 ||
		isCatalogName(rv.Relname) || x.cte(rv.Relname) != nil {
		return nil
	}
	rowWise := func(n *pg.Node) bool {
		return !walkNoSub(n, func(m *pg.Node) bool {
			if m.GetSubLink() != nil {
				return true
			}
			if cr := m.GetColumnRef(); cr != nil {
				// t.f may be a call f(t) of a user-defined function (attributeCall).
				fields := columnFields(cr)
				return len(fields) == 2 && x.userFunctionNamed(fields[1])
			}
			f := m.GetFuncCall()
			return f != nil && (f.Over != nil || f.AggStar || isAggregate(f) || setReturning[funcName(f)] || x.userFunction(f) != nil)
		})
	}
	for _, t := range sel.TargetList {
		if !rowWise(t.GetResTarget().Val) {
			return nil
		}
	}
	if !rowWise(sel.WhereClause) {
		return nil
	}
	t, err := x.lookupTable(rv.Relname, rv.Location)
	if err != nil || t.View != "" {
		return nil
	}
	if sel.WhereClause != nil {
		// A query of one row by its key is read as it always was: a stream's snapshot would cost it more than
		// its row.
		alias := rv.Relname
		if rv.Alias != nil {
			alias = rv.Alias.Aliasname
		}
		if f, err := x.pushdownChecked(sel.WhereClause, t, alias, nil); err != nil || byKey(f) {
			return nil
		}
	}
	return t
}

// streamRows runs a query that streams from table t a chunk at a time, handing each chunk's rows to emit after
// start has had the columns; it returns the number of rows.
func (x *exec) streamRows(sel *pg.SelectStmt, t *table, start func([]Column) error, emit func([][]any) error) (int, error) {
	ts := &tableStream{table: t.Name}
	x.streaming = ts
	defer func() {
		x.streaming = nil
		ts.close(x.ctx)
	}()
	// A run over no rows first: the query's errors of reference and type come before any row, as PostgreSQL's
	// parser gives them, not when a later chunk first evaluates what names them.
	ts.empty, ts.armed = true, true
	if _, err := x.selectRows(sel, nil, -1); err != nil {
		return 0, err
	}
	ts.empty = false
	n := 0
	for first := true; ; first = false {
		ts.armed = true
		rel, err := x.selectRows(sel, nil, -1)
		if err != nil {
			return n, err
		}
		cols, rows := resultOf(rel)
		if first {
			typeUntyped(cols, rows)
			if err := start(cols); err != nil {
				return n, err
			}
		}
		if len(rows) > 0 {
			if err := emit(rows); err != nil {
				return n, err
			}
		}
		n += len(rows)
		if ts.done || ts.armed { // the last chunk, or a run that read no chunk (the table was not scanned)
			return n, nil
		}
	}
}

// streamQuery runs a top-level SELECT as a stream to the statement's sink; ok is false when it does not stream.
func (x *exec) streamQuery(sel *pg.SelectStmt) (res *Result, ok bool, err error) {
	t := x.streamTable(sel)
	if t == nil {
		return nil, false, nil
	}
	var cols []Column
	n, err := x.streamRows(sel, t, func(c []Column) error {
		cols = c
		return x.sink.Start(&Result{Columns: c})
	}, x.sink.Rows)
	if err != nil {
		return nil, true, err
	}
	return &Result{Columns: cols, Tag: fmt.Sprintf("SELECT %d", n), Streamed: true}, true, nil
}

// userFunctionNamed reports whether the database has a user-defined function of that name.
func (x *exec) userFunctionNamed(name string) bool {
	fns, err := x.userFunctions()
	return err != nil || len(fns[name]) > 0
}
