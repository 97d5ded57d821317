package agg

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $graphLookup: a breadth-first search of another
// collection. Each round reads, through the Source (so that an index on
// connectToField serves it), the documents whose connectToField is $in the
// values of the previous round's connectFromField (the startWith values
// first), restricted by restrictSearchWithMatch; a document is taken once
// (by _id) and a value queried once, so cycles end.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/graphLookup/

// graphLookup is a compiled $graphLookup.
type graphLookup struct {
	from       string
	as         []string
	fromPath   []string
	toField    string
	startWith  *expr.Expr
	maxDepth   int64 // -1: unlimited
	depthField []string
	restrict   bson.Raw
}

// compileGraphLookup compiles the stage's specification.
func compileGraphLookup(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "the $graphLookup stage specification must be an object, but found %s", value.TypeNameOf(arg))
	}
	elems, _ := arg.Document().Elements()
	g := &graphLookup{maxDepth: -1}
	var as, from, fromField string
	var err error
	path := func(s string) ([]string, error) {
		if strings.HasPrefix(s, "$") {
			return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		return expr.SplitPath(s)
	}
	for _, el := range elems {
		v := el.Value()
		switch k := el.Key(); k {
		case "startWith":
			if g.startWith, err = expr.CompileIn(v, scope); err != nil {
				return nil, err
			}
		case "maxDepth":
			if !value.IsNumber(v) {
				return nil, codes.New(40100, "maxDepth must be numeric, found type: %s", value.TypeNameOf(v))
			}
			n, ok := expr.ExactInt(v)
			if !ok {
				return nil, codes.New(40102, "maxDepth could not be represented as a long long: %s", expr.FormatValue(v))
			}
			if n < 0 {
				return nil, codes.New(40101, "maxDepth requires a nonnegative argument, found: %d", n)
			}
			g.maxDepth = n
		case "restrictSearchWithMatch":
			d, ok := v.DocumentOK()
			if !ok {
				return nil, codes.New(40185, "restrictSearchWithMatch must be an object, found %s", value.TypeNameOf(v))
			}
			if _, err := filter.Compile(d); err != nil {
				return nil, err
			}
			g.restrict = d
		case "from", "as", "connectFromField", "connectToField", "depthField":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, codes.New(40103, "expected string as argument for %s, found: %s", k, value.TypeNameOf(v))
			}
			switch k {
			case "from":
				from = s
			case "as":
				as = s
			case "connectFromField":
				fromField = s
			case "connectToField":
				g.toField = s
			case "depthField":
				if g.depthField, err = path(s); err != nil {
					return nil, err
				}
			}
		default:
			return nil, codes.New(40104, "Unknown argument to $graphLookup: %s", k)
		}
	}
	if from == "" || as == "" || g.startWith == nil || fromField == "" || g.toField == "" {
		return nil, codes.New(40105, "$graphLookup requires 'from', 'as', 'startWith', 'connectFromField', and 'connectToField' to be specified.")
	}
	g.from = from
	if g.as, err = path(as); err != nil {
		return nil, err
	}
	if g.fromPath, err = path(fromField); err != nil {
		return nil, err
	}
	if _, err = path(g.toField); err != nil {
		return nil, err
	}
	return g, nil
}

// open implements stage.
func (g *graphLookup) open(r *run, in Iterator) Iterator {
	return mapStage(g.search).open(r, in)
}

// search appends d with the documents its search reaches.
func (g *graphLookup) search(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
	if r.src == nil {
		return out, codes.New(codes.IllegalOperation, "$graphLookup is not supported in this context")
	}
	start, err := g.startWith.EvalIn(d, r.vars)
	if err != nil {
		return out, err
	}
	queried := map[string]bool{}
	var frontier []bson.RawValue
	push := func(v bson.RawValue) {
		if v.Type == 0 {
			return
		}
		if k := expr.GroupKey(v); !queried[k] {
			queried[k] = true
			frontier = append(frontier, v)
		}
	}
	if start.Type == bson.TypeArray {
		for _, v := range value.Values(start) {
			push(v)
		}
	} else {
		push(start)
	}
	seen := map[string]bool{}
	var found []bson.RawValue
	var size int64
	limit := r.opts.limit()
	for depth := int64(0); len(frontier) > 0 && (g.maxDepth < 0 || depth <= g.maxDepth); depth++ {
		if err := codes.FromContext(r.ctx); err != nil {
			return out, err
		}
		it, err := r.src.Read(r.ctx, g.from, g.roundFilter(frontier))
		if err != nil {
			return out, err
		}
		frontier = nil
		for {
			m, err := it.Next()
			if err != nil {
				it.Close()
				return out, err
			}
			if m == nil {
				break
			}
			id := expr.GroupKey(m.Lookup("_id"))
			if seen[id] {
				continue
			}
			seen[id] = true
			if size += int64(len(m)) + docOverhead; size > limit {
				it.Close()
				return out, codes.New(40099, "$graphLookup reached maximum memory consumption")
			}
			visitPath(value.Doc(m), g.fromPath, push)
			if g.depthField != nil {
				m = setPath(m, g.depthField, value.Int64(depth))
			}
			found = append(found, value.Doc(m))
		}
		if err := it.Close(); err != nil {
			return out, err
		}
	}
	return append(out, setPath(d, g.as, value.Array(found))), nil
}

// roundFilter is {connectToField: {$in: values}}, and'ed with
// restrictSearchWithMatch.
func (g *graphLookup) roundFilter(vals []bson.RawValue) bson.Raw {
	idx, in := bsoncore.AppendDocumentStart(nil)
	sidx, in := bsoncore.AppendDocumentElementStart(in, g.toField)
	in = value.AppendElem(in, "$in", value.Array(vals))
	in, _ = bsoncore.AppendDocumentEnd(in, sidx)
	in, _ = bsoncore.AppendDocumentEnd(in, idx)
	if g.restrict == nil {
		return in
	}
	return bson.Raw(doc("$and", value.Array([]bson.RawValue{value.Doc(in), value.Doc(g.restrict)})).Value)
}
