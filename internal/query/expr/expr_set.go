package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the set operators, which treat arrays as sets: equal
// values (by MongoDB's comparison, so 1 and 1.0 are one element) count
// once and order does not matter.
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/#set-expression-operators

// setOp is one of the set operators over its evaluated arguments.
type setOp struct {
	op   string
	args []node
}

// compileSetOp returns a compiler taking exactly n arguments; n < 0
// means any number, and at least two for $setEquals.
func compileSetOp(n int) opCompiler {
	return func(op string, arg bson.RawValue, scope *Scope) (node, error) {
		args, err := compileArgs(arg, scope)
		if err != nil {
			return nil, err
		}
		switch {
		case n >= 0 && len(args) != n:
			plural := "s"
			if n == 1 {
				plural = ""
			}
			return nil, codes.New(16020, "Expression %s takes exactly %d argument%s. %d were passed in.", op, n, plural, len(args))
		case op == "$setEquals" && len(args) < 2:
			return nil, codes.New(17045, "$setEquals needs at least two arguments had: %d", len(args))
		}
		return setOp{op: op, args: args}, nil
	}
}

// distinct returns vals without repeats, first occurrences in order.
func distinct(vals []bson.RawValue, sc value.StringComparer) []bson.RawValue {
	out := make([]bson.RawValue, 0, len(vals))
	for _, v := range vals {
		if !setHas(out, v, sc) {
			out = append(out, v)
		}
	}
	return out
}

// setHas reports whether set holds a value equal to v.
func setHas(set []bson.RawValue, v bson.RawValue, sc value.StringComparer) bool {
	for _, e := range set {
		if value.CompareWith(e, v, sc) == 0 {
			return true
		}
	}
	return false
}

// eval implements node.
func (n setOp) eval(c *env) (bson.RawValue, error) {
	vals, err := evalArgs(c, n.args)
	if err != nil {
		return bson.RawValue{}, err
	}
	switch n.op {
	case "$allElementsTrue", "$anyElementTrue":
		code := codes.Code(17040)
		if n.op == "$anyElementTrue" {
			code = 17041
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(code, "%s's argument must be an array, but is %s", n.op, value.TypeNameOf(vals[0]))
		}
		all := n.op == "$allElementsTrue"
		for _, e := range value.Values(vals[0]) {
			if Truthy(e) != all {
				return value.Bool(!all), nil
			}
		}
		return value.Bool(all), nil
	case "$setEquals":
		var first []bson.RawValue
		for i, v := range vals {
			if v.Type != bson.TypeArray {
				return bson.RawValue{}, codes.New(17044, "All operands of $setEquals must be arrays. One argument is of type: %s", value.TypeNameOf(v))
			}
			s := distinct(value.Values(v), c.comparer())
			if i == 0 {
				first = s
				continue
			}
			if len(s) != len(first) {
				return value.Bool(false), nil
			}
			for _, e := range s {
				if !setHas(first, e, c.comparer()) {
					return value.Bool(false), nil
				}
			}
		}
		return value.Bool(true), nil
	case "$setIsSubset":
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17046, "both operands of $setIsSubset must be arrays. First argument is of type: %s", value.TypeNameOf(vals[0]))
		}
		if vals[1].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17042, "both operands of $setIsSubset must be arrays. Second argument is of type: %s", value.TypeNameOf(vals[1]))
		}
		super := value.Values(vals[1])
		for _, e := range value.Values(vals[0]) {
			if !setHas(super, e, c.comparer()) {
				return value.Bool(false), nil
			}
		}
		return value.Bool(true), nil
	case "$setDifference":
		if value.IsNullish(vals[0]) || value.IsNullish(vals[1]) {
			return value.Null, nil
		}
		if vals[0].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17048, "both operands of $setDifference must be arrays. First argument is of type: %s", value.TypeNameOf(vals[0]))
		}
		if vals[1].Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(17049, "both operands of $setDifference must be arrays. Second argument is of type: %s", value.TypeNameOf(vals[1]))
		}
		minus := value.Values(vals[1])
		var out []bson.RawValue
		for _, e := range distinct(value.Values(vals[0]), c.comparer()) {
			if !setHas(minus, e, c.comparer()) {
				out = append(out, e)
			}
		}
		return value.Array(out), nil
	}
	// $setUnion, $setIntersection: any null or missing argument gives null.
	code := codes.Code(17043)
	if n.op == "$setIntersection" {
		code = 17047
	}
	for _, v := range vals {
		if value.IsNullish(v) {
			return value.Null, nil
		}
		if v.Type != bson.TypeArray {
			return bson.RawValue{}, codes.New(code, "All operands of %s must be arrays. One argument is of type: %s", n.op, value.TypeNameOf(v))
		}
	}
	if n.op == "$setUnion" {
		var all []bson.RawValue
		for _, v := range vals {
			all = append(all, value.Values(v)...)
		}
		return value.Array(distinct(all, c.comparer())), nil
	}
	if len(vals) == 0 {
		return value.Array(nil), nil
	}
	out := distinct(value.Values(vals[0]), c.comparer())
	for _, v := range vals[1:] {
		other := value.Values(v)
		kept := out[:0:0]
		for _, e := range out {
			if setHas(other, e, c.comparer()) {
				kept = append(kept, e)
			}
		}
		out = kept
	}
	return value.Array(out), nil
}
