package agg

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $redact, which evaluates its expression at each level
// of a document, with $$CURRENT at that level: $$KEEP keeps the level
// whole, $$PRUNE drops it, $$DESCEND keeps its fields and applies the
// expression to its sub-documents (also inside arrays).
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/redact/

// The values of $redact's system variables, as in MongoDB.
var (
	redactKeep    = value.String("keep")
	redactPrune   = value.String("prune")
	redactDescend = value.String("descend")
)

// redactVars binds $$KEEP, $$PRUNE and $$DESCEND over vars.
func redactVars(vars *expr.Vars) *expr.Vars {
	return vars.Bind("KEEP", redactKeep).Bind("PRUNE", redactPrune).Bind("DESCEND", redactDescend)
}

// compileRedact compiles {$redact: expression}.
func compileRedact(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	e, err := expr.CompileIn(arg, scope.Declare("KEEP").Declare("PRUNE").Declare("DESCEND"))
	if err != nil {
		return nil, err
	}
	return mapStage(func(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
		red, err := redact(e, d, d, redactVars(r.vars))
		if err != nil || red == nil {
			return out, err
		}
		return append(out, red), nil
	}), nil
}

// redact applies e to current (a level of root); nil means pruned.
func redact(e *expr.Expr, root, current bson.Raw, vars *expr.Vars) (bson.Raw, error) {
	v, err := e.EvalCurrent(root, current, vars)
	if err != nil {
		return nil, err
	}
	switch {
	case v.Type == bson.TypeString && stringOf(v) == "keep":
		return current, nil
	case v.Type == bson.TypeString && stringOf(v) == "prune":
		return nil, nil
	case v.Type != bson.TypeString || stringOf(v) != "descend":
		return nil, codes.New(17053, "$redact's expression should not return anything aside from the variables $$KEEP, $$DESCEND, and $$PRUNE, but returned %s", expr.FormatValue(v))
	}
	elems, err := current.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid document: %v", err)
	}
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for _, el := range elems {
		fv := el.Value()
		switch fv.Type {
		case bson.TypeEmbeddedDocument:
			sub, err := redact(e, root, fv.Document(), vars)
			if err != nil {
				return nil, err
			}
			if sub != nil {
				dst = bsoncore.AppendDocumentElement(dst, el.Key(), sub)
			}
		case bson.TypeArray:
			arr, err := redactArray(e, root, fv, vars)
			if err != nil {
				return nil, err
			}
			dst = value.AppendElem(dst, el.Key(), arr)
		default:
			dst = append(dst, el...)
		}
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst, nil
}

// redactArray applies e to the documents of an array (and of arrays
// within it), dropping the pruned ones; other elements stay.
func redactArray(e *expr.Expr, root bson.Raw, arr bson.RawValue, vars *expr.Vars) (bson.RawValue, error) {
	var out []bson.RawValue
	for _, ev := range value.Values(arr) {
		switch ev.Type {
		case bson.TypeEmbeddedDocument:
			sub, err := redact(e, root, ev.Document(), vars)
			if err != nil {
				return bson.RawValue{}, err
			}
			if sub != nil {
				out = append(out, value.Doc(sub))
			}
		case bson.TypeArray:
			inner, err := redactArray(e, root, ev, vars)
			if err != nil {
				return bson.RawValue{}, err
			}
			out = append(out, inner)
		default:
			out = append(out, ev)
		}
	}
	return value.Array(out), nil
}
