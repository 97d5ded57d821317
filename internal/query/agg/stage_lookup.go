package agg

import (
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
	}
	return l, nil
}

// open joins each input document with its foreign documents.
func (l *lookup) open(r *run, in Iterator) Iterator {
	return mapStage(l.join).open(r, in)
}

// join appends d with the array of its foreign documents. The equality
// form reads only the foreign documents whose foreignField matches: the
// join key goes to the Source as a filter, which the engine plans onto an
// index of foreignField when there is one. The let variables are evaluated
// against d and bound over the run's frame for the sub-pipeline.
func (l *lookup) join(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
	if r.src == nil {
		return out, codes.New(codes.IllegalOperation, "$lookup is not supported in this context")
	}
	var filter bson.Raw
	if l.localPath != nil {
		filter = l.matchFilter(d)
	}
	it, err := r.src.Read(r.ctx, l.from, filter)
	if err != nil {
		return out, err
	}
	if l.pipeline != nil {
		vars := r.vars
		for j, n := range l.letNames {
			v, err := l.letExprs[j].EvalIn(d, r.vars)
			if err != nil {
				it.Close()
				return out, err
			}
			vars = vars.Bind(n, v)
		}
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
	eq := func(v bson.RawValue) bson.Raw {
		idx, dst := bsoncore.AppendDocumentStart(nil)
		sidx, dst := bsoncore.AppendDocumentElementStart(dst, l.foreignField)
		dst = value.AppendElem(dst, "$eq", v)
		dst, _ = bsoncore.AppendDocumentEnd(dst, sidx)
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return dst
	}
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
