package agg

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// This file holds the reshaping stages $project, $addFields/$set and $unset.
// They share one tree of dotted paths: each node maps a field name to an
// inclusion, an exclusion, a computed expression or a sub-tree.

// projNode is one level of a projection tree, in specification order.
type projNode struct {
	order       []string
	fields      map[string]*projField
	hasComputed bool // this node or a descendant has computed fields
}

// projField is what a projection does with one field.
type projField struct {
	include bool
	exclude bool
	expr    *expr.Expr
	child   *projNode
}

// newProjNode returns an empty projection tree level.
func newProjNode() *projNode {
	return &projNode{fields: map[string]*projField{}}
}

// projection is a compiled $project, $addFields or $unset.
type projection struct {
	stage     string // for error messages
	root      *projNode
	exclusion bool // exclusion projection: keep everything not excluded
	addFields bool // $addFields: keep everything, set computed fields
}

// insert adds a leaf at path, reporting MongoDB's path collision error when
// path or one of its prefixes is already projected.
func (p *projection) insert(path []string, leaf *projField) error {
	node := p.root
	for i, part := range path {
		f := node.fields[part]
		if i == len(path)-1 {
			if f != nil {
				return p.errorf(31250, "Path collision at %s", strings.Join(path, "."))
			}
			node.fields[part] = leaf
			node.order = append(node.order, part)
			break
		}
		if f == nil {
			f = &projField{child: newProjNode()}
			node.fields[part] = f
			node.order = append(node.order, part)
		} else if f.child == nil {
			return p.errorf(31249, "Path collision at %s remaining portion %s", strings.Join(path, "."), strings.Join(path[i+1:], "."))
		}
		node = f.child
	}
	if leaf.expr != nil {
		node := p.root
		node.hasComputed = true
		for _, part := range path[:len(path)-1] {
			node = node.fields[part].child
			node.hasComputed = true
		}
	}
	return nil
}

// errorf returns a projection error prefixed as mongod prefixes them.
func (p *projection) errorf(code codes.Code, format string, args ...any) error {
	e := codes.New(code, format, args...)
	e.Message = "Invalid " + p.stage + " :: caused by :: " + e.Message
	return e
}

// aggProjPath splits and validates a projection key under prefix.
func (p *projection) path(prefix []string, key string) ([]string, error) {
	parts, err := expr.SplitPath(key)
	if err != nil {
		if e, ok := codes.As(err); ok {
			return nil, p.errorf(e.Code, "%s", e.Message)
		}
		return nil, err
	}
	return append(append([]string(nil), prefix...), parts...), nil
}

// compileProject compiles $project: an inclusion projection (with computed fields) or an exclusion projection, with MongoDB's _id rules.
func compileProject(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(15969, "$project specification must be an object")
	}
	p := &projection{stage: "$project", root: newProjNode()}
	var inclusion, exclusion, idSet bool
	var walk func(prefix []string, doc bson.Raw) error
	walk = func(prefix []string, doc bson.Raw) error {
		elems, err := doc.Elements()
		if err != nil {
			return codes.New(codes.InvalidBSON, "invalid $project: %v", err)
		}
		for _, el := range elems {
			path, err := p.path(prefix, el.Key())
			if err != nil {
				return err
			}
			full := strings.Join(path, ".")
			isID := full == "_id"
			if isID {
				idSet = true
			}
			v := el.Value()
			switch {
			case v.Type == bson.TypeBoolean || value.IsNumber(v):
				if expr.Truthy(v) {
					if exclusion && !isID {
						return p.errorf(31253, "Cannot do inclusion on field %s in exclusion projection", full)
					}
					if !isID {
						inclusion = true
					}
					err = p.insert(path, &projField{include: true})
				} else {
					if inclusion && !isID {
						return p.errorf(31254, "Cannot do exclusion on field %s in inclusion projection", full)
					}
					if !isID {
						exclusion = true
					}
					err = p.insert(path, &projField{exclude: true})
				}
			case v.Type == bson.TypeEmbeddedDocument && !expr.IsExpressionObject(v):
				if len(v.Document()) <= 5 {
					return p.errorf(51270, "An empty sub-projection is not a valid value. Found empty object at path")
				}
				err = walk(path, v.Document())
			default:
				if exclusion {
					return p.errorf(31252, "Cannot use expression other than $meta in exclusion projection")
				}
				inclusion = true
				var e *expr.Expr
				if e, err = expr.CompileIn(v, scope); err != nil {
					return err
				}
				err = p.insert(path, &projField{expr: e})
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	if len(arg.Document()) <= 5 {
		return nil, p.errorf(51272, "projection specification must have at least one field")
	}
	if err := walk(nil, arg.Document()); err != nil {
		return nil, err
	}
	if !inclusion && !exclusion {
		// Only _id was specified: {_id: 0} excludes it, {_id: 1} keeps only it.
		exclusion = p.root.fields["_id"] != nil && p.root.fields["_id"].exclude
	}
	p.exclusion = exclusion
	if !exclusion && !idSet {
		p.root.fields["_id"] = &projField{include: true}
		p.root.order = append([]string{"_id"}, p.root.order...)
	}
	return p, nil
}

// compileAddFields compiles $addFields/$set: every value is an expression (numbers are literals); nested non-operator objects set sub-fields.
func compileAddFields(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	if arg.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(40272, "%s specification stage must be an object, got %s", name, value.TypeNameOf(arg))
	}
	p := &projection{stage: name, root: newProjNode(), addFields: true}
	var walk func(prefix []string, doc bson.Raw) error
	walk = func(prefix []string, doc bson.Raw) error {
		elems, err := doc.Elements()
		if err != nil {
			return codes.New(codes.InvalidBSON, "invalid %s: %v", name, err)
		}
		for _, el := range elems {
			path, err := p.path(prefix, el.Key())
			if err != nil {
				return err
			}
			v := el.Value()
			if v.Type == bson.TypeEmbeddedDocument && len(v.Document()) > 5 && !expr.IsExpressionObject(v) {
				if err := walk(path, v.Document()); err != nil {
					return err
				}
				continue
			}
			e, err := expr.CompileIn(v, scope)
			if err != nil {
				return err
			}
			if err := p.insert(path, &projField{expr: e}); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(nil, arg.Document()); err != nil {
		return nil, err
	}
	return p, nil
}

// compileUnset compiles $unset, an exclusion projection of the named paths.
func compileUnset(name string, arg bson.RawValue, scope *expr.Scope) (stage, error) {
	var fields []string
	switch arg.Type {
	case bson.TypeString:
		fields = []string{arg.StringValue()}
	case bson.TypeArray:
		vals := value.Values(arg)
		if len(vals) == 0 {
			return nil, codes.New(31119, "$unset specification must be a string or an array with at least one field")
		}
		for _, v := range vals {
			s, ok := v.StringValueOK()
			if !ok {
				return nil, codes.New(31120, "$unset specification must be a string or an array containing only string values")
			}
			fields = append(fields, s)
		}
	default:
		return nil, codes.New(31002, "$unset specification must be a string or an array")
	}
	p := &projection{stage: "$unset", root: newProjNode(), exclusion: true}
	for _, f := range fields {
		path, err := p.path(nil, f)
		if err != nil {
			return nil, err
		}
		if err := p.insert(path, &projField{exclude: true}); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// open implements stage.
func (p *projection) open(r *run, in Iterator) Iterator {
	return mapStage(func(r *run, d bson.Raw, out []bson.Raw) ([]bson.Raw, error) {
		doc, err := p.apply(d, r.vars)
		if err != nil {
			return out, err
		}
		return append(out, doc), nil
	}).open(r, in)
}

// apply projects one document.
func (p *projection) apply(doc bson.Raw, vars *expr.Vars) (bson.Raw, error) {
	if p.exclusion {
		return projExcludeDoc(p.root, doc), nil
	}
	var d mutableDoc
	if p.addFields {
		d = docOf(doc)
	} else {
		d = projIncludeDoc(p.root, doc)
	}
	if p.root.hasComputed {
		c := &evalCtx{doc: doc, vars: vars}
		if err := projCompute(p.root, &d, c); err != nil {
			return nil, err
		}
	}
	return d.raw(), nil
}

// projIncludeDoc keeps the included fields of doc, in doc's order
// (computed fields are added afterwards by projCompute).
func projIncludeDoc(n *projNode, doc bson.Raw) mutableDoc {
	var out mutableDoc
	elems, err := doc.Elements()
	if err != nil {
		return out
	}
	for _, el := range elems {
		f := n.fields[el.Key()]
		if f == nil {
			continue
		}
		v := el.Value()
		switch {
		case f.include:
			out.keys = append(out.keys, el.Key())
			out.vals = append(out.vals, v)
		case f.child != nil:
			var r bson.RawValue
			switch v.Type {
			case bson.TypeEmbeddedDocument:
				sub := projIncludeDoc(f.child, v.Document())
				r = value.Doc(sub.raw())
			case bson.TypeArray:
				r = projIncludeArray(f.child, v)
			default:
				continue
			}
			out.keys = append(out.keys, el.Key())
			out.vals = append(out.vals, r)
		}
	}
	return out
}

// projIncludeArray applies a sub-projection to each document of an
// array; scalars are dropped, nested arrays are projected recursively.
func projIncludeArray(n *projNode, arr bson.RawValue) bson.RawValue {
	var out []bson.RawValue
	for _, e := range value.Values(arr) {
		switch e.Type {
		case bson.TypeEmbeddedDocument:
			sub := projIncludeDoc(n, e.Document())
			out = append(out, value.Doc(sub.raw()))
		case bson.TypeArray:
			out = append(out, projIncludeArray(n, e))
		}
	}
	return value.Array(out)
}

// projCompute sets the computed fields of n into d, in specification
// order; a missing result ($$REMOVE, a missing field) removes the field.
func projCompute(n *projNode, d *mutableDoc, c *evalCtx) error {
	for _, k := range n.order {
		f := n.fields[k]
		switch {
		case f.expr != nil:
			v, err := c.eval(f.expr)
			if err != nil {
				return err
			}
			d.set(k, v)
		case f.child != nil && f.child.hasComputed:
			v, err := projComputeValue(f.child, d.get(k), c)
			if err != nil {
				return err
			}
			d.set(k, v)
		}
	}
	return nil
}

// projComputeValue applies computed sub-fields to a value: into a
// document, into each element of an array, or into a new document
// replacing any other value.
func projComputeValue(n *projNode, v bson.RawValue, c *evalCtx) (bson.RawValue, error) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		d := docOf(v.Document())
		if err := projCompute(n, &d, c); err != nil {
			return bson.RawValue{}, err
		}
		return value.Doc(d.raw()), nil
	case bson.TypeArray:
		vals := value.Values(v)
		out := make([]bson.RawValue, len(vals))
		for i, e := range vals {
			r, err := projComputeValue(n, e, c)
			if err != nil {
				return bson.RawValue{}, err
			}
			out[i] = r
		}
		return value.Array(out), nil
	}
	var d mutableDoc
	if err := projCompute(n, &d, c); err != nil {
		return bson.RawValue{}, err
	}
	return value.Doc(d.raw()), nil
}

// projExcludeDoc drops the excluded fields of doc.
func projExcludeDoc(n *projNode, doc bson.Raw) bson.Raw {
	var out mutableDoc
	elems, err := doc.Elements()
	if err != nil {
		return doc
	}
	for _, el := range elems {
		v := el.Value()
		if f := n.fields[el.Key()]; f != nil {
			if f.exclude {
				continue
			}
			if f.child != nil {
				switch v.Type {
				case bson.TypeEmbeddedDocument:
					v = value.Doc(projExcludeDoc(f.child, v.Document()))
				case bson.TypeArray:
					v = projExcludeArray(f.child, v)
				}
			}
		}
		out.keys = append(out.keys, el.Key())
		out.vals = append(out.vals, v)
	}
	return out.raw()
}

// projExcludeArray applies an exclusion to each document of an array,
// keeping scalars.
func projExcludeArray(n *projNode, arr bson.RawValue) bson.RawValue {
	vals := value.Values(arr)
	out := make([]bson.RawValue, len(vals))
	for i, e := range vals {
		switch e.Type {
		case bson.TypeEmbeddedDocument:
			out[i] = value.Doc(projExcludeDoc(n, e.Document()))
		case bson.TypeArray:
			out[i] = projExcludeArray(n, e)
		default:
			out[i] = e
		}
	}
	return value.Array(out)
}
