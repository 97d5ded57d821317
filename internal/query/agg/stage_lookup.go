package agg

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
)

// aggLookup is a compiled $lookup: the equality form (localField /
// foreignField), the pipeline form (let / pipeline), or both together.
type aggLookup struct {
	from         string
	localPath    []string
	foreignField string
	as           []string
	letNames     []string
	letExprs     []*expr.Expr
	pipeline     []bson.Raw // raw sub-pipeline; recompiled per document when let is used
	compiled     *Pipeline  // sub-pipeline without let
}

// aggCompileLookup compiles the equality and pipeline forms of $lookup.
func aggCompileLookup(name string, arg bson.RawValue) (aggStage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.FailedToParse, "the $lookup stage specification must be an object, but found %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $lookup: %v", err)
	}
	l := &aggLookup{}
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
				e, err := expr.CompileIn(le.Value(), nil)
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
				l.pipeline = append(l.pipeline, d)
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
		// Compile now so a bad sub-pipeline fails at compile time; with let,
		// variables are substituted by literals (see run) and compiled again.
		sub := l.pipeline
		if len(l.letNames) > 0 {
			vals := make(map[string]bson.RawValue, len(l.letNames))
			for _, n := range l.letNames {
				vals[n] = value.Null
			}
			sub = aggSubstituteVars(sub, vals)
		}
		p, err := Compile(sub)
		if err != nil {
			return nil, err
		}
		if len(l.letNames) == 0 {
			l.compiled = p
		}
	}
	return l, nil
}

func (l *aggLookup) run(ctx context.Context, docs []bson.Raw, env Env) ([]bson.Raw, error) {
	if env == nil {
		return nil, codes.New(codes.IllegalOperation, "$lookup is not supported in this context")
	}
	foreign, err := env.Collection(l.from)
	if err != nil {
		return nil, err
	}
	out := make([]bson.Raw, 0, len(docs))
	for i, d := range docs {
		if i%64 == 63 {
			if err := codes.FromContext(ctx); err != nil {
				return nil, err
			}
		}
		matched := foreign
		if l.localPath != nil {
			f, err := filter.Compile(l.matchFilter(d))
			if err != nil {
				return nil, err
			}
			matched = nil
			for _, fd := range foreign {
				if f.Match(fd) {
					matched = append(matched, fd)
				}
			}
		}
		if l.pipeline != nil {
			p := l.compiled
			if p == nil {
				vals := make(map[string]bson.RawValue, len(l.letNames))
				c := &evalCtx{doc: d}
				for j, n := range l.letNames {
					v, err := c.eval(l.letExprs[j])
					if err != nil {
						return nil, err
					}
					vals[n] = v
				}
				if p, err = Compile(aggSubstituteVars(l.pipeline, vals)); err != nil {
					return nil, err
				}
			}
			if matched, err = p.Run(ctx, matched, env); err != nil {
				return nil, err
			}
		}
		vals := make([]bson.RawValue, len(matched))
		for j, m := range matched {
			vals[j] = value.Doc(m)
		}
		out = append(out, aggSetPath(d, l.as, value.Array(vals)))
	}
	return out, nil
}

// matchFilter builds the filter MongoDB builds for the equality form: the
// local values (array elements flattened; none means null) matched with
// $eq, $in, or an $or of $eq when a regex is among them.
func (l *aggLookup) matchFilter(doc bson.Raw) bson.Raw {
	var vals []bson.RawValue
	aggVisitPath(value.Doc(doc), l.localPath, func(v bson.RawValue) { vals = append(vals, v) })
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

// aggVisitPath calls visit for every value at path, descending through
// arrays on the way and visiting the elements of an array at the end.
func aggVisitPath(v bson.RawValue, path []string, visit func(bson.RawValue)) {
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
		aggVisitPath(child, path[1:], visit)
	case bson.TypeArray:
		for _, e := range value.Values(v) {
			if e.Type == bson.TypeEmbeddedDocument {
				aggVisitPath(e, path, visit)
			}
		}
	}
}

// aggSubstituteVars replaces references to the given variables ("$$x",
// "$$x.a.b") in a sub-pipeline with {$literal: value}, so a $lookup's let
// variables reach expressions compiled by other parts of the package
// ($match's $expr). A missing value becomes "$$REMOVE".
func aggSubstituteVars(stages []bson.Raw, vals map[string]bson.RawValue) []bson.Raw {
	out := make([]bson.Raw, len(stages))
	for i, st := range stages {
		out[i] = aggSubstituteDoc(st, vals)
	}
	return out
}

// aggSubstituteDoc substitutes variables throughout a document.
func aggSubstituteDoc(doc bson.Raw, vals map[string]bson.RawValue) bson.Raw {
	elems, err := doc.Elements()
	if err != nil {
		return doc
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for _, el := range elems {
		dst = value.AppendElem(dst, el.Key(), aggSubstituteValue(el.Value(), vals))
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// aggSubstituteValue substitutes variables in one value, recursively.
func aggSubstituteValue(v bson.RawValue, vals map[string]bson.RawValue) bson.RawValue {
	switch v.Type {
	case bson.TypeString:
		s := v.StringValue()
		if !strings.HasPrefix(s, "$$") {
			return v
		}
		name, rest, hasRest := strings.Cut(s[2:], ".")
		val, ok := vals[name]
		if !ok {
			return v
		}
		if hasRest {
			parts, err := expr.SplitPath(rest)
			if err != nil {
				return v
			}
			switch val.Type {
			case bson.TypeEmbeddedDocument:
				val = expr.LookupPath(val.Document(), parts)
			case bson.TypeArray:
				val = expr.LookupArray(val.Array(), parts)
			default:
				val = bson.RawValue{}
			}
		}
		if val.Type == 0 {
			return value.String("$$REMOVE")
		}
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = value.AppendElem(dst, "$literal", val)
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return value.Doc(dst)
	case bson.TypeEmbeddedDocument:
		return value.Doc(aggSubstituteDoc(v.Document(), vals))
	case bson.TypeArray:
		items := value.Values(v)
		out := make([]bson.RawValue, len(items))
		for i, e := range items {
			out[i] = aggSubstituteValue(e, vals)
		}
		return value.Array(out)
	}
	return v
}
