package agg

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds $group and $sortByCount's grouping half.

// aggGroup is a compiled $group. Groups are output in the order their key
// was first seen: MongoDB guarantees no order, and first-seen order keeps
// results deterministic.
type aggGroup struct {
	id    *expr.Expr
	names []string
	accs  []func() expr.Accumulator
	args  []*expr.Expr
}

// aggCompileGroup compiles $group {_id: expr, field: {accumulator: expr}, ...}.
func aggCompileGroup(name string, arg bson.RawValue) (aggStage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(15947, "a group's fields must be specified in an object")
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $group: %v", err)
	}
	g := &aggGroup{}
	seen := map[string]bool{}
	for _, el := range elems {
		k := el.Key()
		if k == "_id" {
			if g.id != nil {
				return nil, codes.New(15948, "a group's _id may only be specified once")
			}
			if g.id, err = expr.CompileIn(el.Value(), nil); err != nil {
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
		mk, ok := expr.AccumulatorFor(accName)
		if !ok {
			return nil, codes.New(15952, "unknown group operator '%s'", accName)
		}
		accArg := accElems[0].Value()
		if accArg.Type == bson.TypeArray {
			return nil, codes.New(40237, "The %s accumulator is a unary operator", accName)
		}
		if accName == "$count" {
			d, ok := accArg.DocumentOK()
			if !ok || len(d) > 5 {
				return nil, codes.New(codes.TypeMismatch, "$count takes no arguments, i.e. $count:{}")
			}
			accArg = bson.RawValue{Type: bson.TypeNull}
		}
		expr, err := expr.CompileIn(accArg, nil)
		if err != nil {
			return nil, err
		}
		g.names = append(g.names, k)
		g.accs = append(g.accs, mk)
		g.args = append(g.args, expr)
	}
	if g.id == nil {
		return nil, codes.New(15955, "a group specification must include an _id")
	}
	return g, nil
}

func (g *aggGroup) run(ctx context.Context, docs []bson.Raw, _ Env) ([]bson.Raw, error) {
	type group struct {
		id   bson.RawValue
		accs []expr.Accumulator
	}
	var order []*group
	byKey := map[string]*group{}
	for i, d := range docs {
		if i%1024 == 1023 {
			if err := codes.FromContext(ctx); err != nil {
				return nil, err
			}
		}
		c := &evalCtx{doc: d}
		id, err := c.eval(g.id)
		if err != nil {
			return nil, err
		}
		if id.Type == 0 {
			id = value.Null
		}
		k := expr.GroupKey(id)
		grp := byKey[k]
		if grp == nil {
			grp = &group{id: id, accs: make([]expr.Accumulator, len(g.accs))}
			for j, mk := range g.accs {
				grp.accs[j] = mk()
			}
			byKey[k] = grp
			order = append(order, grp)
		}
		for j, a := range g.args {
			v, err := c.eval(a)
			if err != nil {
				return nil, err
			}
			if err := grp.accs[j].Add(v); err != nil {
				return nil, err
			}
		}
	}
	out := make([]bson.Raw, 0, len(order))
	for _, grp := range order {
		idx, dst := bsoncore.AppendDocumentStart(nil)
		dst = value.AppendElem(dst, "_id", grp.id)
		for j, name := range g.names {
			dst = value.AppendElem(dst, name, grp.accs[j].Result())
		}
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		out = append(out, dst)
	}
	return out, nil
}
