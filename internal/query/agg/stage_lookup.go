package agg

import (
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// lookup is a compiled $lookup: the equality form (localField /
// foreignField), the pipeline form (let / pipeline), or both together.
type lookup struct {
	from         string
	localPath    []string
	foreignField string
	as           []string
	letNames     []string
	letExprs     []*expr.Expr
	pipeline     *Pipeline // the sub-pipeline, nil for the equality form alone
	// keyField and keyVar are the correlated equality of the sub-pipeline's
	// leading $match (see correlatedKey), "" when it has none.
	keyField, keyVar string
}

// compileLookup compiles the equality and pipeline forms of $lookup.
func compileLookup(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "the $lookup stage specification must be an object, but found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $lookup: %v", err)
	}
	l := &lookup{}
	var sub []bson.Raw
	var haveFrom, haveLocal, haveForeign, haveAs, havePipeline bool
	str := func(el bson.RawElement) (string, error) {
		s, ok := el.Value().StringValueOK()
		if !ok {
			return "", codes.New(codes.FailedToParse, "'%s' option to $lookup must be a string, but was type %s", el.Key(), value.TypeNameOf(el.Value()))
		}
		return s, nil
	}
	for _, el := range elems {
		switch el.Key() {
		case "from":
			if l.from, err = str(el); err != nil {
				return nil, err
			}
			haveFrom = true
		case "localField":
			s, err := str(el)
			if err != nil {
				return nil, err
			}
			if l.localPath, err = expr.SplitPath(s); err != nil {
				return nil, err
			}
			haveLocal = true
		case "foreignField":
			if l.foreignField, err = str(el); err != nil {
				return nil, err
			}
			if _, err := expr.SplitPath(l.foreignField); err != nil {
				return nil, err
			}
			haveForeign = true
		case "as":
			s, err := str(el)
			if err != nil {
				return nil, err
			}
			if strings.HasPrefix(s, "$") {
				return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
			}
			if l.as, err = expr.SplitPath(s); err != nil {
				return nil, err
			}
			haveAs = true
		case "let":
			d, ok := el.Value().DocumentOK()
			if !ok {
				return nil, codes.New(codes.FailedToParse, "$lookup argument 'let' must be an object, is type %s", value.TypeNameOf(el.Value()))
			}
			lets, err := d.Elements()
			if err != nil {
				return nil, codes.New(codes.InvalidBSON, "invalid $lookup let: %v", err)
			}
			for _, le := range lets {
				if err := expr.CheckVarName(le.Key(), false); err != nil {
					return nil, err
				}
				e, err := expr.CompileIn(le.Value(), scope)
				if err != nil {
					return nil, err
				}
				l.letNames = append(l.letNames, le.Key())
				l.letExprs = append(l.letExprs, e)
			}
		case "pipeline":
			if el.Value().Type != bson.TypeArray {
				return nil, codes.New(codes.FailedToParse, "'pipeline' option must be specified as an array")
			}
			for _, st := range value.Values(el.Value()) {
				d, ok := st.DocumentOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "Each element of the 'pipeline' array must be an object")
				}
				sub = append(sub, d)
			}
			havePipeline = true
		default:
			return nil, codes.New(codes.FailedToParse, "unknown argument to $lookup: %s", el.Key())
		}
	}
	switch {
	case !haveFrom:
		return nil, codes.New(codes.FailedToParse, "must specify 'from' field for a $lookup")
	case !haveAs:
		return nil, codes.New(codes.FailedToParse, "must specify 'as' field for a $lookup")
	case haveLocal != haveForeign:
		return nil, codes.New(codes.FailedToParse, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified")
	case !haveLocal && !havePipeline:
		return nil, codes.New(codes.FailedToParse, "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified")
	case len(l.letNames) > 0 && !havePipeline:
		return nil, codes.New(codes.FailedToParse, "$lookup with 'let' must also specify 'pipeline'")
	}
	if havePipeline {
		// The let variables are declared for the sub-pipeline, compiled
		// once; each outer document binds them in the run's frame.
		inner := scope
		for _, n := range l.letNames {
			inner = inner.Declare(n)
		}
		p, err := compileIn(sub, inner)
		if err != nil {
			return nil, err
		}
		l.pipeline = p
		l.keyField, l.keyVar = correlatedKey(sub, l.letNames)
	}
	return l, nil
}

// correlatedKey finds the join key of a pipeline $lookup whose first stage
// is {$match: {$expr: {$eq: ["$field", "$$var"]}}} (or has such an $eq
// among the operands of a top-level $and), with field a top-level field and
// var one of the let variables; it returns "" when there is none. The query
// {field: {$eq: value of var}} then matches every document the $expr
// matches (and possibly more: array elements, null for missing), so it can
// be handed to the Source to narrow the read, an index on field serving it,
// while the $match still decides.
func correlatedKey(sub []bson.Raw, letNames []string) (field, variable string) {
	if len(sub) == 0 {
		return "", ""
	}
	m, ok := sub[0].Lookup("$match").DocumentOK()
	if !ok {
		return "", ""
	}
	elems, err := m.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "$expr" {
		return "", ""
	}
	e, ok := elems[0].Value().DocumentOK()
	if !ok {
		return "", ""
	}
	candidates := []bson.RawValue{elems[0].Value()}
	if and, err := e.LookupErr("$and"); err == nil && and.Type == bson.TypeArray {
		candidates = value.Values(and)
	}
	for _, c := range candidates {
		d, ok := c.DocumentOK()
		if !ok {
			continue
		}
		eq, err := d.LookupErr("$eq")
		if err != nil || eq.Type != bson.TypeArray {
			continue
		}
		args := value.Values(eq)
		if len(args) != 2 {
			continue
		}
		for i := range 2 {
			f, ok1 := args[i].StringValueOK()
			v, ok2 := args[1-i].StringValueOK()
			if !ok1 || !ok2 || !strings.HasPrefix(v, "$$") || strings.HasPrefix(f, "$$") || !strings.HasPrefix(f, "$") {
				continue
			}
			f, v = f[1:], v[2:]
			if f != "" && !strings.ContainsAny(f, ".$") && slices.Contains(letNames, v) {
				return f, v
			}
		}
	}
	return "", ""
}

// open joins each input document with its foreign documents.
func (l *lookup) open(r *run, in Iterator) Iterator {
	return mapStage(l.join).open(r, in)
}

// join appends d with the array of its foreign documents. The join key
// goes to the Source as a filter, which the engine plans onto an index when
// there is one: the equality form's localField values matched on
// foreignField, and a sub-pipeline's correlated equality on a let variable
// (correlatedKey). The let variables are evaluated against d and bound
// over the run's frame for the sub-pipeline.
func (l *lookup) join(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
	if r.src == nil {
		return out, codes.New(codes.IllegalOperation, "$lookup is not supported in this context")
	}
	var filters []bson.Raw
	if l.localPath != nil {
		filters = append(filters, l.matchFilter(d))
	}
	vars := r.vars
	for j, n := range l.letNames {
		v, err := l.letExprs[j].EvalIn(d, r.vars)
		if err != nil {
			return out, err
		}
		vars = vars.Bind(n, v)
		if n == l.keyVar && v.Type != 0 && v.Type != bson.TypeUndefined {
			filters = append(filters, eqFilter(l.keyField, v))
		}
	}
	var filter bson.Raw
	switch len(filters) {
	case 1:
		filter = filters[0]
	case 2:
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = value.AppendElem(dst, "$and", value.Array([]bson.RawValue{value.Doc(filters[0]), value.Doc(filters[1])}))
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		filter = dst
	}
	it, err := r.src.Read(r.ctx, l.from, filter)
	if err != nil {
		return out, err
	}
	if l.pipeline != nil {
		it = l.pipeline.open(r.with(vars), it)
	}
	matched, err := Drain(it)
	if cerr := it.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, err
	}
	vals := make([]bson.RawValue, len(matched))
	for j, m := range matched {
		vals[j] = value.Doc(m)
	}
	return append(out, setPath(d, l.as, value.Array(vals))), nil
}

// eqFilter builds {field: {$eq: v}}.
func eqFilter(field string, v bson.RawValue) bson.Raw {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	sidx, dst := bsoncore.AppendDocumentElementStart(dst, field)
	dst = value.AppendElem(dst, "$eq", v)
	dst, _ = bsoncore.AppendDocumentEnd(dst, sidx)
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// matchFilter builds the filter MongoDB builds for the equality form: the
// local values (array elements flattened; none means null) matched with
// $eq, $in, or an $or of $eq when a regex is among them.
func (l *lookup) matchFilter(doc bson.Raw) bson.Raw {
	var vals []bson.RawValue
	visitPath(value.Doc(doc), l.localPath, func(v bson.RawValue) { vals = append(vals, v) })
	if len(vals) == 0 {
		vals = []bson.RawValue{value.Null}
	}
	hasRegex := false
	for _, v := range vals {
		if v.Type == bson.TypeRegex {
			hasRegex = true
		}
	}
	eq := func(v bson.RawValue) bson.Raw { return eqFilter(l.foreignField, v) }
	if len(vals) == 1 {
		return eq(vals[0])
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	if hasRegex {
		ors := make([]bson.RawValue, len(vals))
		for i, v := range vals {
			ors[i] = value.Doc(eq(v))
		}
		dst = value.AppendElem(dst, "$or", value.Array(ors))
	} else {
		sidx, d2 := bsoncore.AppendDocumentElementStart(dst, l.foreignField)
		d2 = value.AppendElem(d2, "$in", value.Array(vals))
		dst, _ = bsoncore.AppendDocumentEnd(d2, sidx)
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// visitPath calls visit for every value at path, descending through
// arrays on the way and visiting the elements of an array at the end.
func visitPath(v bson.RawValue, path []string, visit func(bson.RawValue)) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		child, err := v.Document().LookupErr(path[0])
		if err != nil {
			return
		}
		if len(path) == 1 {
			if child.Type == bson.TypeArray {
				for _, e := range value.Values(child) {
					visit(e)
				}
				return
			}
			visit(child)
			return
		}
		visitPath(child, path[1:], visit)
	case bson.TypeArray:
		for _, e := range value.Values(v) {
			if e.Type == bson.TypeEmbeddedDocument {
				visitPath(e, path, visit)
			}
		}
	}
}
