package projection

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Projection is a compiled find projection ({a: 1, "b.c": 1, _id: 0},
// {a: 0}, {"grades.$": 1}, {c: {$slice: [1, 2]}}, {s: {$elemMatch: ...}}, and
// computed fields {x: "$a"} as in MongoDB 4.4+). It is immutable and safe
// for concurrent use.
type Projection struct {
	// whole is set for an empty projection: documents are returned as is.
	whole bool
	// inclusion is true for inclusion projections (only listed fields
	// are returned); false for exclusion projections.
	inclusion bool
	root      *node
	// positional is true when the spec has a "path.$" field.
	positional bool
	// exprs are computed fields, appended in spec order.
	exprs []projExpr
}

// node is the spec for one field and its subfields.
type node struct {
	kids  map[string]*node
	order []string
	// leaf is set for {path: 1} or {path: 0}; exclude for the latter,
	// which in an inclusion projection can only be _id.
	leaf, exclude bool
	// positional marks "path.$".
	positional bool
	// slice is {path: {$slice: ...}}.
	slice *slice
	// elemMatch is {path: {$elemMatch: ...}}.
	elemMatch *filter.ElemMatch
}

// slice is a $slice argument: a count (negative from the end) or
// [skip, limit].
type slice struct {
	skip, limit int64
	hasSkip     bool
}

// projExpr is a computed field of a 4.4+ find projection.
type projExpr struct {
	path string
	e    *expr.Expr
}

// Compile parses a find projection following mongod's
// projection_parser: a true value or an expression makes an inclusion
// projection, a false value (except on _id) an exclusion projection, and
// without either a $slice leaves the other fields while an $elemMatch keeps
// only itself. A nil or empty projection returns whole documents. Errors are
// MongoDB's: 31254 / 31253 for mixing inclusion and exclusion, 31252 for an
// expression in an exclusion projection, 31250 / 31249 for path collisions,
// 31276 for a second positional operator, 31255 / 31256 for positional with
// $elemMatch, 31272 / 31257 / 31258 / 31259 / 31273 for bad $slice
// arguments, 31274 / 31275 and BadValue for bad $elemMatch, 51270 for an
// empty sub-projection.
func Compile(proj bson.Raw) (*Projection, error) {
	return CompileIn(proj, nil)
}

// CompileIn is Compile for a projection whose expressions may use the
// variables scope declares (a command's let, see expr.CommandScope).
func CompileIn(proj bson.Raw, scope *expr.Scope) (*Projection, error) {
	if len(proj) == 0 {
		return &Projection{whole: true}, nil
	}
	if err := proj.Validate(); err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid projection document: %v", err)
	}
	proj = append(bson.Raw(nil), proj...)
	c := compiler{p: &Projection{root: &node{}}, scope: scope}
	if err := c.doc(proj, ""); err != nil {
		return nil, err
	}
	p := c.p
	// mongod's defaults when no field says which kind the projection is:
	// a find $slice alone leaves the other fields, an $elemMatch alone
	// returns only itself (and _id).
	switch {
	case c.sawInclusion:
		p.inclusion = true
	case c.sawExclusion:
	case c.sawSlice:
	case c.sawElemMatch:
		p.inclusion = true
	}
	if _, ok := p.root.kids["_id"]; !ok && p.inclusion {
		// Included by default; a computed _id then replaces the value in
		// place, so _id stays first.
		p.root.add("_id", &node{leaf: true})
	}
	return p, nil
}

// add sets child name, keeping first-insertion order.
func (n *node) add(name string, k *node) {
	if n.kids == nil {
		n.kids = map[string]*node{}
	}
	if _, ok := n.kids[name]; !ok {
		n.order = append(n.order, name)
	}
	n.kids[name] = k
}

// compiler accumulates what kind of projection the spec is.
type compiler struct {
	p                          *Projection
	sawInclusion, sawExclusion bool
	sawSlice, sawElemMatch     bool
	firstIncl, firstExcl       string
	scope                      *expr.Scope
}

// doc compiles a (sub-)projection document under prefix.
func (c *compiler) doc(doc bson.Raw, prefix string) error {
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			return nil
		}
		path := string(k)
		if prefix != "" {
			path = prefix + "." + path
		}
		if err := c.field(path, v); err != nil {
			return err
		}
	}
}

// field compiles one {path: value} of the projection.
func (c *compiler) field(path string, v bson.RawValue) error {
	if path == "" || strings.HasPrefix(path, "$") || strings.Contains(path, "..") || strings.HasSuffix(path, ".") {
		return codes.New(codes.BadValue, "FieldPath field names may not be empty strings or start with '$': %q", path)
	}
	switch {
	case value.IsNumberType(v.Type) || v.Type == bson.TypeBoolean:
		include := value.TrueValue(v)
		if strings.HasSuffix(path, ".$") {
			if !include {
				return codes.New(31395, "positional projection cannot be used with exclusion")
			}
			return c.positional(strings.TrimSuffix(path, ".$"))
		}
		if strings.Contains(path, "$") {
			return codes.New(16410, "FieldPath field names may not start with '$'.")
		}
		if include {
			if err := c.markInclusion(path); err != nil {
				return err
			}
		} else if path != "_id" {
			// Excluding _id is allowed in an inclusion projection.
			if err := c.markExclusion(path); err != nil {
				return err
			}
		}
		return c.insert(path, &node{leaf: true, exclude: !include})
	case v.Type == bson.TypeEmbeddedDocument:
		it := value.IterOf(v.Value)
		k, arg, ok := it.Next()
		if !ok {
			return codes.New(51270, "An empty sub-projection is not a valid value. Found empty object at path %s", path)
		}
		switch string(k) {
		case "$slice":
			if _, _, more := it.Next(); more {
				break
			}
			s, err := compileSlice(arg)
			if err != nil {
				return err
			}
			c.sawSlice = true
			return c.insert(path, &node{slice: s})
		case "$elemMatch":
			if _, _, more := it.Next(); more {
				break
			}
			if strings.Contains(path, ".") {
				return codes.New(31275, "Cannot use $elemMatch projection on a nested field.")
			}
			if c.p.positional {
				return codes.New(31255, "Cannot specify positional operator and $elemMatch.")
			}
			if arg.Type != bson.TypeEmbeddedDocument {
				return codes.New(31274, "elemMatch: Invalid argument, object required, but got %s", arg.Type)
			}
			l, err := filter.CompileElemMatch(arg)
			if err != nil {
				return err
			}
			c.sawElemMatch = true
			return c.insert(path, &node{elemMatch: l})
		}
		if len(k) > 0 && k[0] == '$' {
			return c.expr(path, v)
		}
		return c.doc(v.Value, path)
	}
	return c.expr(path, v)
}

// expr adds a computed field (MongoDB 4.4+ find projections accept
// aggregation expressions and literals).
func (c *compiler) expr(path string, v bson.RawValue) error {
	// The projection as a whole was validated: CompileIn does not again.
	e, err := expr.CompileIn(v, c.scope)
	if err != nil {
		return err
	}
	if c.sawExclusion {
		return codes.New(31252, "Cannot use expression other than $meta in exclusion projection")
	}
	c.sawInclusion = true
	c.p.exprs = append(c.p.exprs, projExpr{path: path, e: e})
	return nil
}

// positional compiles "path.$"; only one is allowed per projection.
func (c *compiler) positional(path string) error {
	if c.p.positional {
		return codes.New(31276, "Cannot specify more than one positional projection per query.")
	}
	if strings.Contains(path, "$") {
		return codes.New(31394, "As of 4.4, it's illegal to specify positional operator in the middle of a path.Positional projection may only be used at the end, for example: a.b.$. If the query previously used a form like a.b.$.d, remove the parts following the '$' and the results will be equivalent.")
	}
	if c.sawElemMatch {
		return codes.New(31256, "Cannot specify positional operator and $elemMatch.")
	}
	c.p.positional = true
	if err := c.markInclusion(path); err != nil {
		return err
	}
	return c.insert(path, &node{positional: true})
}

// markInclusion records an inclusion, rejecting it in an exclusion projection.
func (c *compiler) markInclusion(path string) error {
	if c.sawExclusion {
		return codes.New(31253, "Cannot do inclusion on field %s in exclusion projection", path)
	}
	c.sawInclusion = true
	return nil
}

// markExclusion records an exclusion, rejecting it in an inclusion projection.
func (c *compiler) markExclusion(path string) error {
	if c.sawInclusion {
		return codes.New(codes.Location31254, "Cannot do exclusion on field %s in inclusion projection", path)
	}
	c.sawExclusion = true
	return nil
}

// insert places a spec node at a dotted path, rejecting collisions such as
// {a: 1, "a.b": 1}.
func (c *compiler) insert(path string, leaf *node) error {
	parts := strings.Split(path, ".")
	n := c.p.root
	for i, part := range parts {
		k, ok := n.kids[part]
		if i == len(parts)-1 {
			if ok {
				return codes.New(31250, "Path collision at %s", path)
			}
			n.add(part, leaf)
			return nil
		}
		if !ok {
			k = &node{}
			n.add(part, k)
		} else if k.leaf || k.slice != nil || k.elemMatch != nil || k.positional {
			return codes.New(31249, "Path collision at %s remaining portion %s", path, strings.Join(parts[i+1:], "."))
		}
		n = k
	}
	return nil
}

// compileSlice compiles the argument of $slice.
func compileSlice(v bson.RawValue) (*slice, error) {
	if value.IsNumberType(v.Type) {
		return &slice{limit: numberInt(v)}, nil
	}
	if v.Type != bson.TypeArray {
		return nil, codes.New(31273, "$slice only supports numbers and [skip, limit] arrays")
	}
	var vals []bson.RawValue
	it := value.IterOf(v.Value)
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		vals = append(vals, e)
	}
	if len(vals) != 2 {
		return nil, codes.New(31272, "$slice array argument should be of form [skip, limit]")
	}
	if !value.IsNumberType(vals[0].Type) {
		return nil, codes.New(31257, "$slice expects the skip argument to be a number, got %s", vals[0].Type)
	}
	if !value.IsNumberType(vals[1].Type) {
		return nil, codes.New(31258, "$slice expects the limit argument to be a number, got %s", vals[1].Type)
	}
	limit := numberInt(vals[1])
	if limit <= 0 {
		return nil, codes.New(31259, "$slice limit must be positive, got %d", limit)
	}
	return &slice{skip: numberInt(vals[0]), limit: limit, hasSkip: true}, nil
}

// numberInt is BSONElement::numberInt as mongod applies it to $slice
// arguments: truncated toward zero and clamped to the int32 range.
func numberInt(v bson.RawValue) int64 {
	n := value.NumberLong(v)
	return max(min(n, math.MaxInt32), math.MinInt32)
}

// Apply returns doc projected. pos is the array index reported by
// Filter.MatchPosition for a "path.$" projection (-1 when none); a positional
// projection whose array had no matching element is MongoDB's error 51246.
// A nil or empty Projection returns doc itself. The result is a new document except
// in that case.
func (p *Projection) Apply(doc bson.Raw, pos int) (bson.Raw, error) {
	if p == nil || p.whole {
		return doc, nil
	}
	a := applier{p: p, pos: pos}
	out, err := a.doc(nil, doc, p.root, true)
	if err != nil {
		return nil, err
	}
	if len(p.exprs) > 0 {
		out, err = a.addExprs(out, doc)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// applier carries one Apply call's state.
type applier struct {
	p   *Projection
	pos int
}

// doc appends the projection of src under spec n to dst as a document.
func (a *applier) doc(dst []byte, src []byte, n *node, top bool) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	it := value.IterOf(src)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		key := string(k)
		kid := n.kids[key]
		if kid == nil {
			if !a.p.inclusion {
				dst = projAppend(dst, k, v)
			}
			continue
		}
		var err error
		if dst, err = a.field(dst, k, v, kid); err != nil {
			return nil, err
		}
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

// field appends the projection of one element whose spec node is n.
func (a *applier) field(dst []byte, k []byte, v bson.RawValue, n *node) ([]byte, error) {
	switch {
	case n.leaf:
		if a.p.inclusion && !n.exclude {
			return projAppend(dst, k, v), nil
		}
		return dst, nil
	case n.slice != nil:
		if v.Type != bson.TypeArray {
			return projAppend(dst, k, v), nil
		}
		return appendArray(dst, k, sliceValues(v, n.slice)), nil
	case n.elemMatch != nil:
		ok, pos := n.elemMatch.MatchValue(v)
		if !ok || pos < 0 {
			return dst, nil
		}
		return appendArray(dst, k, []bson.RawValue{value.ArrayElem(v, pos)}), nil
	case n.positional:
		if v.Type != bson.TypeArray {
			return projAppend(dst, k, v), nil
		}
		e := bson.RawValue{}
		if a.pos >= 0 {
			e = value.ArrayElem(v, a.pos)
		}
		if e.Type == 0 {
			return nil, codes.New(51246, "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array")
		}
		return appendArray(dst, k, []bson.RawValue{e}), nil
	}
	// Interior node: descend into documents and arrays of documents.
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		dst = appendHeader(dst, bson.TypeEmbeddedDocument, k)
		return a.doc(dst, v.Value, n, false)
	case bson.TypeArray:
		dst = appendHeader(dst, bson.TypeArray, k)
		return a.array(dst, v.Value, n)
	}
	if a.p.inclusion {
		return dst, nil
	}
	return projAppend(dst, k, v), nil
}

// array applies an interior spec node to every element of an array:
// documents are projected, nested arrays recursed into, and scalars kept by
// exclusion projections and dropped by inclusion ones.
func (a *applier) array(dst []byte, src []byte, n *node) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	it := value.IterOf(src)
	i := 0
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		key := strconv.AppendInt(nil, int64(i), 10)
		var err error
		switch e.Type {
		case bson.TypeEmbeddedDocument:
			dst = appendHeader(dst, e.Type, key)
			dst, err = a.doc(dst, e.Value, n, false)
		case bson.TypeArray:
			dst = appendHeader(dst, e.Type, key)
			dst, err = a.array(dst, e.Value, n)
		default:
			if a.p.inclusion {
				continue
			}
			dst = projAppend(dst, key, e)
		}
		if err != nil {
			return nil, err
		}
		i++
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

// addExprs appends computed fields, evaluated against the original
// document. Dotted computed paths are nested into documents.
func (a *applier) addExprs(out bson.Raw, doc bson.Raw) (bson.Raw, error) {
	for _, x := range a.p.exprs {
		v, err := x.e.Eval(doc)
		if err != nil {
			return nil, err
		}
		if v.Type == 0 {
			continue
		}
		out = setPath(out, strings.Split(x.path, "."), v)
	}
	return out, nil
}

// setPath returns doc with path set to v, replacing an existing value
// and creating intermediate documents.
func setPath(doc bson.Raw, path []string, v bson.RawValue) bson.Raw {
	dst := make([]byte, 4, len(doc)+len(v.Value)+16)
	it := value.IterOf(doc)
	done := false
	for {
		k, e, ok := it.Next()
		if !ok {
			break
		}
		if string(k) != path[0] {
			dst = projAppend(dst, k, e)
			continue
		}
		done = true
		if len(path) == 1 {
			dst = projAppend(dst, k, v)
			continue
		}
		sub := bson.Raw(nil)
		if e.Type == bson.TypeEmbeddedDocument {
			sub = e.Value
		}
		dst = projAppend(dst, k, bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: setPath(sub, path[1:], v)})
	}
	if !done {
		if len(path) == 1 {
			dst = projAppend(dst, []byte(path[0]), v)
		} else {
			dst = projAppend(dst, []byte(path[0]), bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: setPath(nil, path[1:], v)})
		}
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst, uint32(len(dst)))
	return dst
}

// sliceValues returns the elements $slice keeps.
func sliceValues(v bson.RawValue, s *slice) []bson.RawValue {
	var all []bson.RawValue
	it := value.IterOf(v.Value)
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		all = append(all, e)
	}
	n := int64(len(all))
	var from, to int64
	switch {
	case !s.hasSkip && s.limit >= 0:
		from, to = 0, min(s.limit, n)
	case !s.hasSkip:
		from, to = max(n+s.limit, 0), n
	default:
		from = s.skip
		if from < 0 {
			from = max(n+from, 0)
		}
		from = min(from, n)
		to = min(from+s.limit, n)
	}
	return all[from:to]
}

// appendHeader appends an element's type byte and key.
func appendHeader(dst []byte, t bson.Type, key []byte) []byte {
	dst = append(dst, byte(t))
	dst = append(dst, key...)
	return append(dst, 0)
}

// projAppend appends a whole element.
func projAppend(dst []byte, key []byte, v bson.RawValue) []byte {
	dst = appendHeader(dst, v.Type, key)
	return append(dst, v.Value...)
}

// appendArray appends an array element built from vals.
func appendArray(dst []byte, key []byte, vals []bson.RawValue) []byte {
	dst = appendHeader(dst, bson.TypeArray, key)
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	for i, e := range vals {
		dst = projAppend(dst, strconv.AppendInt(nil, int64(i), 10), e)
	}
	dst = append(dst, 0)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst
}
