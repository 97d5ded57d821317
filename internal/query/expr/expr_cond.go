package expr

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the conditional and variable-binding operators: $cond,
// $ifNull, $switch, $let, $map, $filter and $reduce.

// cond is $cond.
type cond struct{ cond, then, els node }

// compileCond compiles $cond in its array form [if, then, else] and its object form.
func compileCond(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		args, err := compileN(op, arg, scope, 3)
		if err != nil {
			return nil, err
		}
		return cond{cond: args[0], then: args[1], els: args[2]}, nil
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $cond: %v", err)
	}
	var n cond
	for _, el := range elems {
		c, err := compile(el.Value(), scope)
		if err != nil {
			return nil, err
		}
		switch el.Key() {
		case "if":
			n.cond = c
		case "then":
			n.then = c
		case "else":
			n.els = c
		default:
			return nil, codes.New(17083, "Unrecognized parameter to $cond: %s", el.Key())
		}
	}
	switch {
	case n.cond == nil:
		return nil, codes.New(17080, "Missing 'if' parameter to $cond")
	case n.then == nil:
		return nil, codes.New(17081, "Missing 'then' parameter to $cond")
	case n.els == nil:
		return nil, codes.New(17082, "Missing 'else' parameter to $cond")
	}
	return n, nil
}

// eval implements node.
func (n cond) eval(c *env) (bson.RawValue, error) {
	v, err := n.cond.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if Truthy(v) {
		return n.then.eval(c)
	}
	return n.els.eval(c)
}

// ifNull is $ifNull: the first argument that is neither null nor
// missing, else the value of the last argument.
type ifNull struct{ args []node }

// compileIfNull compiles $ifNull (two or more arguments).
func compileIfNull(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	if len(args) < 2 {
		return nil, codes.New(1257300, "$ifNull needs at least two arguments, had: %d", len(args))
	}
	return ifNull{args: args}, nil
}

// eval implements node.
func (n ifNull) eval(c *env) (bson.RawValue, error) {
	last := len(n.args) - 1
	for _, a := range n.args[:last] {
		v, err := a.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if !value.IsNullish(v) {
			return v, nil
		}
	}
	return n.args[last].eval(c)
}

// switchExpr is $switch.
type switchExpr struct {
	cases, thens []node
	def          node
}

// compileSwitch compiles $switch {branches: [{case, then}], default}.
func compileSwitch(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(40060, "$switch requires an object as an argument, found: %s", value.TypeNameOf(arg))
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $switch: %v", err)
	}
	var n switchExpr
	for _, el := range elems {
		switch el.Key() {
		case "branches":
			if el.Value().Type != bson.TypeArray {
				return nil, codes.New(40061, "$switch expected an array for 'branches', found: %s", value.TypeNameOf(el.Value()))
			}
			for _, b := range value.Values(el.Value()) {
				if b.Type != bson.TypeEmbeddedDocument {
					return nil, codes.New(40062, "$switch expected each branch to be an object, found: %s", value.TypeNameOf(b))
				}
				belems, err := b.Document().Elements()
				if err != nil {
					return nil, codes.New(codes.InvalidBSON, "invalid $switch branch: %v", err)
				}
				var cs, th node
				for _, be := range belems {
					c, err := compile(be.Value(), scope)
					if err != nil {
						return nil, err
					}
					switch be.Key() {
					case "case":
						cs = c
					case "then":
						th = c
					default:
						return nil, codes.New(40063, "$switch found an unknown argument to a branch: %s", be.Key())
					}
				}
				if cs == nil {
					return nil, codes.New(40064, "$switch requires each branch have a 'case' expression")
				}
				if th == nil {
					return nil, codes.New(40065, "$switch requires each branch have a 'then' expression.")
				}
				n.cases = append(n.cases, cs)
				n.thens = append(n.thens, th)
			}
		case "default":
			d, err := compile(el.Value(), scope)
			if err != nil {
				return nil, err
			}
			n.def = d
		default:
			return nil, codes.New(40067, "$switch found an unknown argument: %s", el.Key())
		}
	}
	if len(n.cases) == 0 {
		return nil, codes.New(40068, "$switch requires at least one branch.")
	}
	return n, nil
}

// eval implements node.
func (n switchExpr) eval(c *env) (bson.RawValue, error) {
	for i, cs := range n.cases {
		v, err := cs.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if Truthy(v) {
			return n.thens[i].eval(c)
		}
	}
	if n.def == nil {
		return bson.RawValue{}, codes.New(40066, "$switch could not find a matching branch for an input, and no default was specified.")
	}
	return n.def.eval(c)
}

// let is $let.
type let struct {
	names []string
	vals  []node
	in    node
}

// compileLet compiles $let {vars, in}; vars are evaluated in the outer scope.
func compileLet(op string, arg bson.RawValue, scope *Scope) (node, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(16874, "$let only supports an object as its argument")
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $let: %v", err)
	}
	var varsV, inV bson.RawValue
	for _, el := range elems {
		switch el.Key() {
		case "vars":
			varsV = el.Value()
		case "in":
			inV = el.Value()
		default:
			return nil, codes.New(16875, "Unrecognized parameter to $let: %s", el.Key())
		}
	}
	if varsV.Type == 0 {
		return nil, codes.New(16876, "Missing 'vars' parameter to $let")
	}
	if inV.Type == 0 {
		return nil, codes.New(16877, "Missing 'in' parameter to $let")
	}
	if varsV.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(10065, "invalid parameter: expected an object (vars)")
	}
	n := let{}
	inner := scope
	velems, err := varsV.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid $let vars: %v", err)
	}
	for _, el := range velems {
		if err := CheckVarName(el.Key(), false); err != nil {
			return nil, err
		}
		v, err := compile(el.Value(), scope)
		if err != nil {
			return nil, err
		}
		n.names = append(n.names, el.Key())
		n.vals = append(n.vals, v)
		inner = &Scope{name: el.Key(), parent: inner}
	}
	if n.in, err = compile(inV, inner); err != nil {
		return nil, err
	}
	return n, nil
}

// eval implements node.
func (n let) eval(c *env) (bson.RawValue, error) {
	vars := c.vars
	for i, name := range n.names {
		v, err := n.vals[i].eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		vars = &Vars{name: name, val: v, parent: vars}
	}
	inner := *c
	inner.vars = vars
	return n.in.eval(&inner)
}

// parseIterArgs splits the object argument of $map/$filter/$reduce into
// its named fields, rejecting unknown ones with unknownCode.
func parseIterArgs(op string, arg bson.RawValue, allowed []string, notObjCode, unknownCode int32) (map[string]bson.RawValue, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.Code(notObjCode), "%s only supports an object as its argument", op)
	}
	elems, err := arg.Document().Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid %s: %v", op, err)
	}
	out := map[string]bson.RawValue{}
	for _, el := range elems {
		ok := false
		for _, a := range allowed {
			if el.Key() == a {
				ok = true
			}
		}
		if !ok {
			return nil, codes.New(codes.Code(unknownCode), "Unrecognized parameter to %s: %s", op, el.Key())
		}
		out[el.Key()] = el.Value()
	}
	return out, nil
}

// asName returns the variable name of an "as" argument ("this" by default).
func asName(op string, v bson.RawValue) (string, error) {
	if v.Type == 0 {
		return "this", nil
	}
	s, ok := v.StringValueOK()
	if !ok {
		return "", codes.New(codes.FailedToParse, "%s 'as' must be a string, found: %s", op, value.TypeNameOf(v))
	}
	if err := CheckVarName(s, false); err != nil {
		return "", err
	}
	return s, nil
}

// mapExpr is $map; aggFilterExpr is $filter (cond set instead of in).
type mapExpr struct {
	input  node
	as     string
	in     node
	filter bool
	limit  node
}

// compileMap compiles $map {input, as, in}.
func compileMap(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := parseIterArgs(op, arg, []string{"input", "as", "in"}, 16878, 16879)
	if err != nil {
		return nil, err
	}
	if args["input"].Type == 0 {
		return nil, codes.New(16880, "Missing 'input' parameter to $map")
	}
	if args["in"].Type == 0 {
		return nil, codes.New(16882, "Missing 'in' parameter to $map")
	}
	n := mapExpr{}
	if n.as, err = asName(op, args["as"]); err != nil {
		return nil, err
	}
	if n.input, err = compile(args["input"], scope); err != nil {
		return nil, err
	}
	if n.in, err = compile(args["in"], &Scope{name: n.as, parent: scope}); err != nil {
		return nil, err
	}
	return n, nil
}

// compileFilterExpr compiles the $filter expression {input, as, cond, limit}.
func compileFilterExpr(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := parseIterArgs(op, arg, []string{"input", "as", "cond", "limit"}, 28646, 28647)
	if err != nil {
		return nil, err
	}
	if args["input"].Type == 0 {
		return nil, codes.New(28648, "Missing 'input' parameter to $filter")
	}
	if args["cond"].Type == 0 {
		return nil, codes.New(28650, "Missing 'cond' parameter to $filter")
	}
	n := mapExpr{filter: true}
	if n.as, err = asName(op, args["as"]); err != nil {
		return nil, err
	}
	if n.input, err = compile(args["input"], scope); err != nil {
		return nil, err
	}
	if n.in, err = compile(args["cond"], &Scope{name: n.as, parent: scope}); err != nil {
		return nil, err
	}
	if l := args["limit"]; l.Type != 0 {
		if n.limit, err = compile(l, scope); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// eval implements node.
func (n mapExpr) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(in) {
		return value.Null, nil
	}
	if in.Type != bson.TypeArray {
		if n.filter {
			return bson.RawValue{}, codes.New(28651, "input to $filter must be an array not %s", value.TypeNameOf(in))
		}
		return bson.RawValue{}, codes.New(16883, "input to $map must be an array not %s", value.TypeNameOf(in))
	}
	limit := int64(-1)
	if n.limit != nil {
		lv, err := n.limit.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if !value.IsNullish(lv) {
			l, ok := ExactInt(lv)
			if !ok || l < 1 || l > 1<<31-1 {
				return bson.RawValue{}, codes.New(327391, "$filter: limit must be represented as a 32-bit integral value: %s", lv.String())
			}
			limit = l
		}
	}
	vals := value.Values(in)
	out := make([]bson.RawValue, 0, len(vals))
	inner := *c
	for _, v := range vals {
		if limit >= 0 && int64(len(out)) >= limit {
			break
		}
		inner.vars = &Vars{name: n.as, val: v, parent: c.vars}
		r, err := n.in.eval(&inner)
		if err != nil {
			return bson.RawValue{}, err
		}
		if n.filter {
			if Truthy(r) {
				out = append(out, v)
			}
			continue
		}
		if r.Type == 0 {
			r = value.Null
		}
		out = append(out, r)
	}
	return value.Array(out), nil
}

// ExactInt returns a numeric value as an int64 when it is integral.
func ExactInt(v bson.RawValue) (int64, bool) {
	n, ok := numOf(v)
	if !ok {
		return 0, false
	}
	switch n.kind {
	case kindInt, kindLong:
		return n.i, true
	}
	f := n.float()
	if f != f || f < -9.2e18 || f > 9.2e18 || f != float64(int64(f)) {
		return 0, false
	}
	return int64(f), true
}

// reduce is $reduce with $$value and $$this.
type reduce struct {
	input, init, in node
}

// compileReduce compiles $reduce {input, initialValue, in}.
func compileReduce(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := parseIterArgs(op, arg, []string{"input", "initialValue", "in"}, 40075, 40076)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{"input", "initialValue", "in"} {
		if args[k].Type == 0 {
			return nil, codes.New(40077, "$reduce requires '%s' to be specified", k)
		}
	}
	n := reduce{}
	if n.input, err = compile(args["input"], scope); err != nil {
		return nil, err
	}
	if n.init, err = compile(args["initialValue"], scope); err != nil {
		return nil, err
	}
	inner := &Scope{name: "this", parent: &Scope{name: "value", parent: scope}}
	if n.in, err = compile(args["in"], inner); err != nil {
		return nil, err
	}
	return n, nil
}

// eval implements node.
func (n reduce) eval(c *env) (bson.RawValue, error) {
	in, err := n.input.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	if value.IsNullish(in) {
		return value.Null, nil
	}
	if in.Type != bson.TypeArray {
		return bson.RawValue{}, codes.New(40080, "$reduce requires that 'input' be an array, found: %s", value.TypeNameOf(in))
	}
	acc, err := n.init.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	inner := *c
	for _, v := range value.Values(in) {
		inner.vars = &Vars{name: "this", val: v, parent: &Vars{name: "value", val: acc, parent: c.vars}}
		if acc, err = n.in.eval(&inner); err != nil {
			return bson.RawValue{}, err
		}
	}
	return acc, nil
}
