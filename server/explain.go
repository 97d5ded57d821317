package server

import (
	"context"
	"net"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// Explain verbosities, from least to most detail.
const (
	verbosityQueryPlanner = iota
	verbosityExecutionStats
	verbosityAllPlans
)

// explainable are the commands explain accepts.
var explainable = map[string]bool{
	"find": true, "aggregate": true, "count": true, "distinct": true,
	"update": true, "delete": true, "findAndModify": true, "findandmodify": true,
}

// handleExplain answers explain: {explain: <command>, verbosity}. The queryPlanner section describes the plan
// the engine would run (frontend.DescribePlan decides it as queries do); executionStats runs the read (and, for
// a write, the read that finds its documents: explain never writes) and reports what it examined. Concord
// considers one plan per query, so rejectedPlans and allPlansExecution are always empty.
func handleExplain(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	v := req.Body.Lookup("explain")
	inner, ok := v.DocumentOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field 'explain.explain' is the wrong type '%s', expected type 'object'", typeName(v.Type))
	}
	verbosity := verbosityAllPlans
	if vv, err := req.Body.LookupErr("verbosity"); err == nil {
		name, ok := vv.StringValueOK()
		if !ok {
			return nil, codes.New(codes.TypeMismatch, "BSON field 'explain.verbosity' is the wrong type '%s', expected type 'string'", typeName(vv.Type))
		}
		switch name {
		case "queryPlanner":
			verbosity = verbosityQueryPlanner
		case "executionStats":
			verbosity = verbosityExecutionStats
		case "allPlansExecution":
		default:
			return nil, codes.New(codes.BadValue, "Enumeration value '%s' for field 'explain.verbosity' is not a valid value.", name)
		}
	}
	first, err := inner.IndexErr(0)
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "Explain failed due to unknown command: ")
	}
	name := first.Key()
	if _, known := commandIndex[name]; !known {
		return nil, codes.New(codes.CommandNotFound, "Explain failed due to unknown command: %s", name)
	}
	if !explainable[name] {
		return nil, codes.New(codes.IllegalOperation, "Cannot explain cmd: %s", name)
	}
	if d, err := inner.LookupErr("$db"); err == nil {
		if db, ok := d.StringValueOK(); !ok || db != req.DB {
			return nil, codes.New(codes.InvalidNamespace, "Mismatched $db in explain command. Expected %s but got %s", req.DB, d)
		}
	}
	innerReq := &Request{Name: name, DB: req.DB, Body: inner, Conn: req.Conn}
	if name == "findandmodify" {
		innerReq.Name = "findAndModify"
	}
	return s.explain(ctx, innerReq, verbosity)
}

// explain describes (and, at executionStats and above, runs the read part of) the command in req.
func (s *Server) explain(ctx context.Context, req *Request, verbosity int) (bson.D, error) {
	if err := checkCommandArgs(req); err != nil {
		return nil, err
	}
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	vars, err := s.commandVars(context.Background(), req, a)
	if err != nil {
		return nil, err
	}
	ex := &explainer{s: s, req: req, a: a, coll: collName, ns: namespace, verbosity: verbosity, vars: vars}
	var out bson.D
	switch req.Name {
	case "find":
		out, err = ex.find()
	case "count":
		out, err = ex.count()
	case "distinct":
		out, err = ex.distinct()
	case "aggregate":
		out, err = ex.aggregate(ctx)
	case "update", "delete", "findAndModify":
		out, err = ex.write()
	}
	if err != nil {
		return nil, err
	}
	cmd := req.Body
	if _, err := cmd.LookupErr("$db"); err != nil {
		cmd = appendDB(cmd, req.DB)
	}
	host, port := s.hostPort()
	return append(out,
		bson.E{Key: "command", Value: cmd},
		bson.E{Key: "serverInfo", Value: bson.D{
			{Key: "host", Value: host}, {Key: "port", Value: port},
			{Key: "version", Value: Version}, {Key: "gitVersion", Value: "concord"},
		}},
	), nil
}

// hostPort splits the server's advertised address for explain's serverInfo.
func (s *Server) hostPort() (string, int32) {
	host, p, err := net.SplitHostPort(s.advertisedAddr())
	if err != nil {
		return s.advertisedAddr(), 0
	}
	n, _ := strconv.Atoi(p)
	return host, int32(n)
}

// appendDB returns cmd with a $db field appended.
func appendDB(cmd bson.Raw, db string) bson.Raw {
	elems, _ := cmd.Elements()
	d := make(bson.D, 0, len(elems)+1)
	for _, e := range elems {
		d = append(d, bson.E{Key: e.Key(), Value: e.Value()})
	}
	out, err := bson.Marshal(append(d, bson.E{Key: "$db", Value: db}))
	if err != nil {
		return cmd
	}
	return out
}

// explainer carries one explain's command and what its sections share.
type explainer struct {
	s         *Server
	req       *Request
	a         *cmdArgs
	coll, ns  string
	verbosity int
	// vars is the context carrying the explained command's $$NOW, $$CLUSTER_TIME and let (commandVars).
	vars context.Context
}

// stage is one node of a plan tree: its name, its own fields and its input.
type stage struct {
	name   string
	fields bson.D
	input  *stage
	// inputs are the inputs of a stage with several (SORT_MERGE), rendered as inputStages.
	inputs []*stage
	// examines marks the stage that reads keys (IXSCAN) or documents (COLLSCAN, FETCH, IDHACK).
	keys, docs bool
}

// plan renders s and its inputs as winningPlan.
func (st *stage) plan() bson.D {
	d := bson.D{{Key: "stage", Value: st.name}}
	d = append(d, st.fields...)
	if st.input != nil {
		d = append(d, bson.E{Key: "inputStage", Value: st.input.plan()})
	}
	if len(st.inputs) > 0 {
		var in bson.A
		for _, s := range st.inputs {
			in = append(in, s.plan())
		}
		d = append(d, bson.E{Key: "inputStages", Value: in})
	}
	return d
}

// exec renders s and its inputs as executionStages: the top stage returns nReturned documents, and the stages
// that read report the keys and documents the engine examined.
func (st *stage) exec(top bool, nReturned int64, stats *concord.OpStats, extra bson.D) bson.D {
	d := bson.D{{Key: "stage", Value: st.name}}
	if top {
		d = append(d, bson.E{Key: "nReturned", Value: int32(nReturned)})
	}
	d = append(d, bson.E{Key: "executionTimeMillisEstimate", Value: int32(0)})
	d = append(d, extra...)
	d = append(d, st.fields...)
	if st.keys {
		d = append(d, bson.E{Key: "keysExamined", Value: int32(stats.KeysExamined)})
	}
	if st.docs {
		d = append(d, bson.E{Key: "docsExamined", Value: int32(stats.DocsExamined)})
	}
	if st.input != nil {
		d = append(d, bson.E{Key: "inputStage", Value: st.input.exec(false, nReturned, stats, nil)})
	}
	if len(st.inputs) > 0 {
		var in bson.A
		for _, s := range st.inputs {
			in = append(in, s.exec(false, nReturned, stats, nil))
		}
		d = append(d, bson.E{Key: "inputStages", Value: in})
	}
	return d
}

// accessStages is the leaf of a plan: how the documents matching filter are found, with the statement's hint
// (an index name or key pattern; the zero value for none).
func (ex *explainer) accessStages(filter bson.Raw, hint bson.RawValue) (*stage, error) {
	desc, err := frontend.DescribeHintedPlan(ex.vars, ex.s.DB, ex.req.DB, ex.coll, filter, hint)
	if err != nil {
		return nil, commandError(err)
	}
	return accessOf(desc, filter), nil
}

// findAccessStages is accessStages for a find (or an aggregate's leading $match and $project) planned with
// its sort, projection and hint, as the find runs it; covered reports a read answered from the index alone,
// whose access is the IXSCAN with no FETCH, and sorted one returned in the sort's order (no SORT stage).
func (ex *explainer) findAccessStages(spec frontend.FindSpec) (access *stage, covered, sorted bool, err error) {
	desc, err := frontend.DescribeFind(ex.vars, ex.s.DB, ex.req.DB, ex.coll, spec)
	if err != nil {
		return nil, false, false, commandError(err)
	}
	access = accessOf(desc, spec.Filter)
	if desc.Merge && access.name == "FETCH" {
		// One IXSCAN per combination of the leading fields' values, merged in the sort's order.
		ix := access.input
		merge := &stage{name: "SORT_MERGE", fields: bson.D{{Key: "sortPattern", Value: spec.Sort}}, keys: true}
		for _, b := range desc.MergeBounds {
			f := make(bson.D, 0, len(ix.fields))
			for _, e := range ix.fields {
				if e.Key == "indexBounds" {
					e.Value = b
				}
				f = append(f, e)
			}
			merge.inputs = append(merge.inputs, &stage{name: "IXSCAN", fields: f})
		}
		access.input = merge
	}
	if desc.Covered && access.name == "FETCH" {
		return access.input, true, desc.Sorted, nil
	}
	return access, false, desc.Sorted, nil
}

// accessOf renders the access path desc of filter as stages.
func accessOf(desc frontend.PlanDescription, filter bson.Raw) *stage {
	pq := parsedQuery(filter)
	switch desc.Stage {
	case "EOF":
		return &stage{name: "EOF"}
	case "IDHACK":
		return &stage{name: "IDHACK", keys: true, docs: true}
	}
	direction := "forward"
	if desc.Direction != "" {
		direction = desc.Direction
	}
	if desc.Stage == "COLLSCAN" {
		f := bson.D{}
		if len(pq) > 0 {
			f = append(f, bson.E{Key: "filter", Value: pq})
		}
		return &stage{name: "COLLSCAN", fields: append(f, bson.E{Key: "direction", Value: direction}), docs: true}
	}
	multiKey := bson.D{}
	for _, e := range desc.KeyPattern {
		multiKey = append(multiKey, bson.E{Key: e.Key, Value: bson.A{}})
	}
	ix := &stage{name: "IXSCAN", keys: true, fields: bson.D{
		{Key: "keyPattern", Value: desc.KeyPattern},
		{Key: "indexName", Value: desc.IndexName},
		{Key: "isMultiKey", Value: desc.MultiKey},
		{Key: "multiKeyPaths", Value: multiKey},
		{Key: "isUnique", Value: desc.Unique},
		{Key: "isSparse", Value: desc.Sparse},
		{Key: "isPartial", Value: desc.Partial},
		{Key: "indexVersion", Value: int32(2)},
		{Key: "direction", Value: direction},
		{Key: "indexBounds", Value: desc.Bounds},
	}}
	// Every fetched document is checked against the whole filter again.
	fetch := &stage{name: "FETCH", input: ix, docs: true}
	if len(pq) > 0 {
		fetch.fields = bson.D{{Key: "filter", Value: pq}}
	}
	return fetch
}

// parsedQuery writes filter as mongod's parsedQuery: a field's value becomes an explicit $eq, and several
// top-level clauses an $and of them.
func parsedQuery(filter bson.Raw) bson.D {
	elems, _ := filter.Elements()
	var clauses []bson.D
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if strings.HasPrefix(k, "$") {
			clauses = append(clauses, bson.D{{Key: k, Value: v}})
			continue
		}
		if d, ok := v.DocumentOK(); ok {
			if f, err := d.IndexErr(0); err == nil && strings.HasPrefix(f.Key(), "$") {
				ops, _ := d.Elements()
				for _, op := range ops {
					clauses = append(clauses, bson.D{{Key: k, Value: bson.D{{Key: op.Key(), Value: op.Value()}}}})
				}
				continue
			}
		}
		clauses = append(clauses, bson.D{{Key: k, Value: bson.D{{Key: "$eq", Value: v}}}})
	}
	switch len(clauses) {
	case 0:
		return bson.D{}
	case 1:
		return clauses[0]
	}
	arr := make(bson.A, len(clauses))
	for i, c := range clauses {
		arr[i] = c
	}
	return bson.D{{Key: "$and", Value: arr}}
}

// queryPlanner is the queryPlanner section for the plan tree top.
func (ex *explainer) queryPlanner(filter bson.Raw, top *stage) bson.D {
	return bson.D{
		{Key: "namespace", Value: ex.ns},
		{Key: "indexFilterSet", Value: false},
		{Key: "parsedQuery", Value: parsedQuery(filter)},
		{Key: "maxIndexedOrSolutionsReached", Value: false},
		{Key: "maxIndexedAndSolutionsReached", Value: false},
		{Key: "maxScansToExplodeReached", Value: false},
		{Key: "winningPlan", Value: top.plan()},
		{Key: "rejectedPlans", Value: bson.A{}},
	}
}

// executionStats is the executionStats section of a run that returned n documents in elapsed.
func (ex *explainer) executionStats(top *stage, n int64, st *concord.OpStats, elapsed time.Duration, extra bson.D) bson.D {
	d := bson.D{
		{Key: "executionSuccess", Value: true},
		{Key: "nReturned", Value: int32(n)},
		{Key: "executionTimeMillis", Value: int32(elapsed.Milliseconds())},
		{Key: "totalKeysExamined", Value: int32(st.KeysExamined)},
		{Key: "totalDocsExamined", Value: int32(st.DocsExamined)},
		{Key: "executionStages", Value: top.exec(true, n, st, extra)},
	}
	if ex.verbosity == verbosityAllPlans {
		d = append(d, bson.E{Key: "allPlansExecution", Value: bson.A{}})
	}
	return d
}

// report assembles the sections of a query explain; run, called only at executionStats and above, runs the
// query with stats collected and returns the number of documents it returned and the top stage's extra
// execution fields.
func (ex *explainer) report(filter bson.Raw, top *stage, run func(ctx context.Context) (int64, bson.D, error)) (bson.D, error) {
	out := bson.D{
		{Key: "explainVersion", Value: "1"},
		{Key: "queryPlanner", Value: ex.queryPlanner(filter, top)},
	}
	if ex.verbosity >= verbosityExecutionStats {
		st := &concord.OpStats{}
		ctx := concord.WithOpStats(frontend.WithoutMetrics(ex.vars), st)
		started := time.Now()
		n, extra, err := run(ctx)
		if err != nil {
			return nil, commandError(err)
		}
		out = append(out, bson.E{Key: "executionStats", Value: ex.executionStats(top, n, st, time.Since(started), extra)})
	}
	return out, nil
}

// filterArg reads a command's filter document (absent: match all).
func (ex *explainer) filterArg(name string) (bson.Raw, error) {
	f, err := ex.a.doc(name)
	if err != nil {
		return nil, err
	}
	if f == nil {
		f = emptyDoc
	}
	return f, nil
}

// collection is the explained command's collection.
func (ex *explainer) collection() *concord.Collection {
	return ex.s.DB.Database(ex.req.DB).Collection(ex.coll)
}

// drain counts what cur returns and closes it.
func drain(ctx context.Context, cur *concord.Cursor) (int64, error) {
	defer cur.Close(context.Background())
	var n int64
	for cur.Next(ctx) {
		n++
	}
	return n, cur.Err()
}

// find explains find: the access path, then SORT, SKIP, LIMIT and PROJECTION as the query applies them.
func (ex *explainer) find() (bson.D, error) {
	filter, err := ex.filterArg("filter")
	if err != nil {
		return nil, err
	}
	sort, err := ex.a.doc("sort")
	if err != nil {
		return nil, err
	}
	projection, err := ex.a.doc("projection")
	if err != nil {
		return nil, err
	}
	skip, err := ex.a.int64("skip", 0)
	if err != nil {
		return nil, err
	}
	if skip < 0 {
		return nil, codes.New(codeValueOutOfRange, "BSON field 'skip' value must be >= 0, actual value '%d'", skip)
	}
	limit, err := ex.a.int64("limit", 0)
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = -limit
	}
	spec := frontend.FindSpec{Filter: filter, Sort: sort, Projection: projection}
	if err := ex.hintArgs(&spec); err != nil {
		return nil, err
	}
	top, covered, sorted, err := ex.findAccessStages(spec)
	if err != nil {
		return nil, err
	}
	if len(sort) > 0 && !sorted {
		f := bson.D{{Key: "sortPattern", Value: sort}, {Key: "memLimit", Value: int32(104857600)}}
		if limit > 0 {
			f = append(f, bson.E{Key: "limitAmount", Value: int32(limit + skip)})
		}
		top = &stage{name: "SORT", fields: append(f, bson.E{Key: "type", Value: "simple"}), input: top}
	}
	if skip > 0 {
		top = &stage{name: "SKIP", fields: bson.D{{Key: "skipAmount", Value: int32(skip)}}, input: top}
	}
	if limit > 0 && (len(sort) == 0 || sorted) {
		top = &stage{name: "LIMIT", fields: bson.D{{Key: "limitAmount", Value: int32(limit)}}, input: top}
	}
	if len(projection) > 0 {
		name := "PROJECTION_DEFAULT"
		if covered {
			name = "PROJECTION_COVERED"
		}
		top = &stage{name: name, fields: bson.D{{Key: "transformBy", Value: projection}}, input: top}
	}
	return ex.report(filter, top, func(ctx context.Context) (int64, bson.D, error) {
		opts := &concord.FindOptions{Skip: skip, Limit: limit}
		if len(spec.Hint) > 0 {
			opts.Hint = spec.Hint
		} else if spec.HintName != "" {
			opts.Hint = spec.HintName
		}
		if len(spec.Min) > 0 {
			opts.Min = spec.Min
		}
		if len(spec.Max) > 0 {
			opts.Max = spec.Max
		}
		if sort != nil {
			opts.Sort = sort
		}
		if projection != nil {
			opts.Projection = projection
		}
		cur, err := ex.collection().Find(ctx, filter, opts)
		if err != nil {
			return 0, nil, err
		}
		n, err := drain(ctx, cur)
		return n, nil, err
	})
}

// hintArgs reads the explained command's hint (a key pattern or an index name), min and max into spec.
func (ex *explainer) hintArgs(spec *frontend.FindSpec) error {
	if v, ok := ex.a.get("hint"); ok {
		switch v.Type {
		case bson.TypeString:
			spec.HintName = v.StringValue()
		case bson.TypeEmbeddedDocument:
			if d := v.Document(); len(d) > 5 {
				spec.Hint = d
			}
		default:
			return wrongType(ex.a.cmd, "hint", v, "types [string, object]")
		}
	}
	var err error
	if spec.Min, err = ex.a.doc("min"); err != nil {
		return err
	}
	if len(spec.Min) <= 5 {
		spec.Min = nil
	}
	if spec.Max, err = ex.a.doc("max"); err != nil {
		return err
	}
	if len(spec.Max) <= 5 {
		spec.Max = nil
	}
	return nil
}

// count explains count: a COUNT stage over the access path.
func (ex *explainer) count() (bson.D, error) {
	filter, err := ex.filterArg("query")
	if err != nil {
		return nil, err
	}
	skip, err := ex.a.int64("skip", 0)
	if err != nil {
		return nil, err
	}
	limit, err := ex.a.int64("limit", 0)
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = -limit
	}
	hint, err := commandHint(ex.a)
	if err != nil {
		return nil, err
	}
	access, err := ex.accessStages(filter, ex.a.raw("hint"))
	if err != nil {
		return nil, err
	}
	top := &stage{name: "COUNT", input: access}
	return ex.report(filter, top, func(ctx context.Context) (int64, bson.D, error) {
		n, err := ex.collection().CountDocuments(ctx, filter, &concord.CountOptions{Skip: skip, Limit: limit, Hint: hint})
		return 0, bson.D{{Key: "nCounted", Value: int32(n)}, {Key: "nSkipped", Value: int32(0)}}, err
	})
}

// distinct explains distinct: a projection of the key over the access path.
func (ex *explainer) distinct() (bson.D, error) {
	if err := ex.a.require("key"); err != nil {
		return nil, err
	}
	key, err := ex.a.str("key")
	if err != nil {
		return nil, err
	}
	filter, err := ex.filterArg("query")
	if err != nil {
		return nil, err
	}
	hint, err := commandHint(ex.a)
	if err != nil {
		return nil, err
	}
	access, err := ex.accessStages(filter, ex.a.raw("hint"))
	if err != nil {
		return nil, err
	}
	top := &stage{name: "PROJECTION_DEFAULT", fields: bson.D{{Key: "transformBy", Value: bson.D{{Key: key, Value: int32(1)}, {Key: "_id", Value: int32(0)}}}}, input: access}
	return ex.report(filter, top, func(ctx context.Context) (int64, bson.D, error) {
		vals, err := ex.collection().Distinct(ctx, key, filter, &concord.DistinctOptions{Hint: hint})
		return int64(len(vals)), nil, err
	})
}

// write explains update, delete and findAndModify: an UPDATE or DELETE stage over the access path of the
// (first) statement's filter. Its execution only reads: it finds the documents the write would touch and
// reports them as nMatched / nWouldDelete.
func (ex *explainer) write() (bson.D, error) {
	var filter, sort bson.Raw
	var multi, remove, upsert bool
	var err error
	hintValue := ex.a.raw("hint")
	switch ex.req.Name {
	case "findAndModify":
		if filter, err = ex.filterArg("query"); err != nil {
			return nil, err
		}
		if sort, err = ex.a.doc("sort"); err != nil {
			return nil, err
		}
		if remove, err = ex.a.boolean("remove", false); err != nil {
			return nil, err
		}
		if upsert, err = ex.a.boolean("upsert", false); err != nil {
			return nil, err
		}
		if !remove && !ex.a.has("update") {
			return nil, codes.New(codes.FailedToParse, "Either an update or remove=true must be specified")
		}
	case "update", "delete":
		field := "updates"
		if ex.req.Name == "delete" {
			field, remove = "deletes", true
		}
		stmts, err := ex.a.docArray(field)
		if err != nil {
			return nil, err
		}
		if len(stmts) != 1 {
			return nil, codes.New(codes.InvalidLength, "explained write batches must be of size 1")
		}
		stmt := stmts[0]
		hintValue = stmt.Lookup("hint")
		if f, err := stmt.LookupErr("q"); err == nil {
			d, ok := f.DocumentOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "BSON field '%s.q' is the wrong type '%s', expected type 'object'", field, typeName(f.Type))
			}
			filter = d
		} else {
			return nil, codes.New(codeMissingField, "BSON field '%s.q' is missing but a required field", field)
		}
		if remove {
			if l, err := stmt.LookupErr("limit"); err == nil {
				n, _ := l.AsInt64OK()
				multi = n == 0
			}
		} else {
			if m, err := stmt.LookupErr("multi"); err == nil {
				multi, _ = m.BooleanOK()
			}
			if u, err := stmt.LookupErr("upsert"); err == nil {
				upsert, _ = u.BooleanOK()
			}
		}
	}
	var hint any
	if hintValue.Type != 0 && hintValue.Type != bson.TypeNull {
		if hint, err = hintArg(ex.req.Name, "hint", hintValue); err != nil {
			return nil, err
		}
	}
	access, err := ex.accessStages(filter, hintValue)
	if err != nil {
		return nil, err
	}
	if len(sort) > 0 {
		access = &stage{name: "SORT", fields: bson.D{{Key: "sortPattern", Value: sort}, {Key: "memLimit", Value: int32(104857600)}, {Key: "limitAmount", Value: int32(1)}, {Key: "type", Value: "simple"}}, input: access}
	}
	top := &stage{name: "UPDATE", input: access}
	if remove {
		top.name = "DELETE"
	}
	return ex.report(filter, top, func(ctx context.Context) (int64, bson.D, error) {
		opts := &concord.FindOptions{Hint: hint}
		if !multi {
			opts.Limit = 1
		}
		if sort != nil {
			opts.Sort = sort
		}
		cur, err := ex.collection().Find(ctx, filter, opts)
		if err != nil {
			return 0, nil, err
		}
		n, err := drain(ctx, cur)
		if err != nil {
			return 0, nil, err
		}
		if remove {
			return 0, bson.D{{Key: "nWouldDelete", Value: int32(n)}}, nil
		}
		return 0, bson.D{{Key: "nMatched", Value: int32(n)}, {Key: "nWouldModify", Value: int32(n)}, {Key: "nWouldUpsert", Value: int32(boolInt(upsert && n == 0))}}, nil
	})
}

// boolInt is 1 for true.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// aggregate explains aggregate. A pipeline that is a leading $match and nothing the query layer cannot do is
// explained like a find; any other pipeline as mongod does, with stages: a $cursor stage describing the
// leading $match's access path, then the other stages as given. Its execution runs the pipeline, unless it
// writes ($out, $merge): explain never writes, so that one is only described.
func (ex *explainer) aggregate(ctx context.Context) (bson.D, error) {
	if err := ex.a.require("pipeline"); err != nil {
		return nil, err
	}
	stages, err := ex.a.docArray("pipeline")
	if err != nil {
		return nil, err
	}
	filter := emptyDoc
	rest := stages
	if len(stages) > 0 {
		if m, err := stages[0].LookupErr("$match"); err == nil {
			if d, ok := m.DocumentOK(); ok {
				filter, rest = d, stages[1:]
			}
		}
	}
	writes := false
	for _, st := range stages {
		if f, err := st.IndexErr(0); err == nil && (f.Key() == "$out" || f.Key() == "$merge") {
			writes = true
		}
		if isChangeStream(st) {
			return nil, codes.New(codes.IllegalOperation, "$changeStream cannot be explained")
		}
	}
	hint, err := commandHint(ex.a)
	if err != nil {
		return nil, err
	}
	access, err := ex.accessStages(filter, ex.a.raw("hint"))
	if err != nil {
		return nil, err
	}
	pushedSort := false
	if len(rest) > 0 && ex.a.raw("collation").Type == 0 { // under a collation the engine keeps the stage
		// A $sort after the $match that the plan gives in its order (an index's, or _id's) goes into the query
		// layer, as the engine runs it: the access reads in that order and the stage is gone.
		if elems, err := rest[0].Elements(); err == nil && len(elems) == 1 && elems[0].Key() == "$sort" {
			if srt, ok := elems[0].Value().DocumentOK(); ok {
				spec := frontend.FindSpec{Filter: filter, Sort: srt}
				if err := ex.hintArgs(&spec); err != nil {
					return nil, err
				}
				sorted, _, isSorted, err := ex.findAccessStages(spec)
				if err != nil {
					return nil, err
				}
				if isSorted {
					access, rest, pushedSort = sorted, rest[1:], true
				}
			}
		}
	}
	if len(rest) > 0 && !pushedSort {
		// A $project right after the $match goes into the query layer too, where the index alone may answer it.
		if elems, err := rest[0].Elements(); err == nil && len(elems) == 1 && elems[0].Key() == "$project" {
			if proj, ok := elems[0].Value().DocumentOK(); ok {
				cov, covered, _, err := ex.findAccessStages(frontend.FindSpec{Filter: filter, Projection: proj})
				if err != nil {
					return nil, err
				}
				if covered {
					access = &stage{name: "PROJECTION_COVERED", fields: bson.D{{Key: "transformBy", Value: proj}}, input: cov}
					rest = rest[1:]
				}
			}
		}
	}
	run := func(ctx context.Context) (int64, bson.D, error) {
		if writes {
			return 0, nil, nil
		}
		cur, err := ex.collection().Aggregate(ctx, stages, &concord.AggregateOptions{Hint: hint})
		if err != nil {
			return 0, nil, err
		}
		n, err := drain(ctx, cur)
		return n, nil, err
	}
	if len(rest) == 0 {
		return ex.report(filter, access, run)
	}
	cursor, err := ex.report(filter, access, run)
	if err != nil {
		return nil, err
	}
	cursorStage := bson.D{}
	for _, e := range cursor {
		if e.Key != "explainVersion" {
			cursorStage = append(cursorStage, e)
		}
	}
	out := bson.A{bson.D{{Key: "$cursor", Value: cursorStage}}}
	for _, st := range rest {
		out = append(out, st)
	}
	return bson.D{{Key: "explainVersion", Value: "1"}, {Key: "stages", Value: out}}, nil
}
