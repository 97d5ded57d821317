package agg

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// facet is a compiled $facet: each named sub-pipeline runs over the
// same input and the stage outputs one document of their results.
type facet struct {
	names     []string
	pipelines []*Pipeline
}

// facetForbidden are the stages MongoDB rejects inside $facet.
var facetForbidden = map[string]bool{
	"$facet": true, "$out": true, "$merge": true, "$collStats": true, "$indexStats": true,
	"$geoNear": true, "$changeStream": true, "$documents": true, "$unionWith": true,
}

// compileFacet compiles $facet {name: [stages], ...}.
func compileFacet(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	d, ok := arg.DocumentOK()
	if !ok || len(d) <= 5 {
		return nil, codes.New(40169, "the $facet specification must be a non-empty object, but found: $facet: %s", expr.FormatValue(arg))
	}
	elems, err := d.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $facet: %v", err)
	}
	f := &facet{}
	for _, el := range elems {
		if err := expr.CheckFieldName(el.Key()); err != nil {
			return nil, err
		}
		if el.Value().Type != bson.TypeArray {
			return nil, codes.New(40170, "arguments to $facet must be arrays, %s is type %s", el.Key(), value.TypeNameOf(el.Value()))
		}
		var stages []bson.Raw
		for _, st := range value.Values(el.Value()) {
			sd, ok := st.DocumentOK()
			if !ok {
				return nil, codes.New(40171, "subpipeline of $facet stage must be an array of objects, but found %s", value.TypeNameOf(st))
			}
			if first, err := sd.IndexErr(0); err == nil && facetForbidden[first.Key()] {
				return nil, codes.New(40600, "%s is not allowed to be used within a $facet stage", first.Key())
			}
			stages = append(stages, sd)
		}
		p, err := compileIn(stages, scope)
		if err != nil {
			return nil, err
		}
		f.names = append(f.names, el.Key())
		f.pipelines = append(f.pipelines, p)
	}
	return f, nil
}

// open runs every sub-pipeline over the whole input, which $facet holds
// in memory up to Options.MemoryLimit (past it: 292), and returns the one
// document of their outputs, which fails with mongod's 4031700 past the
// same limit (mongod's internalQueryFacetMaxOutputDocSizeBytes, 100 MiB).
func (f *facet) open(r *run, in Iterator) Iterator {
	return &facetIter{r: r, in: in, f: f}
}

// facetIter is $facet's iterator.
type facetIter struct {
	r    *run
	in   Iterator
	f    *facet
	done bool
	err  error
}

// Next implements Iterator.
func (it *facetIter) Next() (bson.Raw, error) {
	if it.done {
		return nil, it.err
	}
	it.done = true
	d, err := it.run()
	it.err = err
	return d, err
}

// run reads the whole input and returns the document of the sub-pipelines'
// outputs.
func (it *facetIter) run() (bson.Raw, error) {
	limit := it.r.opts.limit()
	var docs []bson.Raw
	var held int64
	for {
		d, err := it.in.Next()
		if err != nil {
			return nil, err
		}
		if d == nil {
			break
		}
		if held += int64(len(d)) + docOverhead; held > limit {
			return nil, codes.New(codes.QueryExceededMemoryLimitNoDiskUseAllowed,
				"$facet's input exceeded the memory limit of %d bytes", limit)
		}
		docs = append(docs, d)
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, p := range it.f.pipelines {
		sub := p.open(it.r, Docs(docs))
		out, err := Drain(sub)
		if cerr := sub.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, err
		}
		vals := make([]bson.RawValue, len(out))
		for j, d := range out {
			vals[j] = value.Doc(d)
		}
		dst = value.AppendElem(dst, it.f.names[i], value.Array(vals))
		if int64(len(dst)) > limit {
			return nil, codes.New(4031700, "document constructed by $facet is %d bytes, which exceeds the limit of %d bytes", len(dst), limit)
		}
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst, nil
}

// Close implements Iterator.
func (it *facetIter) Close() error { return it.in.Close() }
