package filter

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Filter is a compiled MongoDB query filter (the argument of find, the q of
// an update or delete, a $match stage). It is immutable once compiled and
// safe for concurrent use by many goroutines.
type Filter struct {
	root  node // nil matches every document
	conds []Condition
	raw   bson.Raw // private copy: compiled values alias it
	// hasExpr is set when the filter holds a $expr, whose evaluation can fail (MatchErr).
	hasExpr bool
	// coll is the collation comparisons use (CompileColl); nil compares bytes.
	coll value.StringComparer
}

// CondOp is the operator of a Condition.
type CondOp int

// The simple predicates the engine can turn into index bounds.
const (
	CondEq CondOp = iota
	CondGt
	CondGte
	CondLt
	CondLte
	CondIn
)

// Condition is one top-level AND-ed predicate of a filter on Path with
// MongoDB's matching semantics: comparison operators match only values of
// the same canonical type (numbers with numbers, strings with strings), an
// equality with null also matches a missing field, and an array field
// matches when any element matches. Values has one element except for
// CondIn. Values alias the filter's memory and stay valid as long as the
// Filter.
type Condition struct {
	Path   string
	Op     CondOp
	Values []bson.RawValue
}

// maxDepth bounds the nesting of logical operators and $elemMatch, as
// mongod does, so that hostile filters cannot exhaust the stack.
const maxDepth = 100

// Compile parses a MongoDB query filter. A nil or empty filter matches
// every document. Bad input returns a *codes.Error with MongoDB's code:
// BadValue (2) for unknown operators and malformed arguments, 51091 for an
// invalid regular expression, 51108 for an invalid regex option, and the
// aggregation codes for a bad $expr. The filter bytes are copied, so the
// caller may reuse them.
func Compile(filter bson.Raw) (*Filter, error) {
	return CompileIn(filter, nil)
}

// CompileColl is CompileIn under a collation: its comparisons, $in and $expr order and equate strings
// with sc (nil: bytes), as a command's collation does; regular expressions are not collated (as in
// mongod). scope (a command's let variables, nil for none) is put under sc (expr.Scope.Collate).
func CompileColl(filter bson.Raw, scope *expr.Scope, sc value.StringComparer) (*Filter, error) {
	return CompileIn(filter, scope.Collate(sc))
}

// Collated reports whether the filter compares strings under a collation.
func (f *Filter) Collated() bool { return f != nil && f.coll != nil }

// Comparer returns the filter's collation, nil for bytes.
func (f *Filter) Comparer() value.StringComparer {
	if f == nil {
		return nil
	}
	return f.coll
}

// collateNode sets sc on every comparison under n.
func collateNode(n node, sc value.StringComparer) {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			collateNode(k, sc)
		}
	case *orNode:
		for _, k := range n.kids {
			collateNode(k, sc)
		}
	case *notNode:
		collateNode(n.kid, sc)
	case *pathNode:
		collateLeaf(n.leaf, sc)
	}
}

// collateLeaf sets sc on every comparison in l.
func collateLeaf(l leaf, sc value.StringComparer) {
	switch l := l.(type) {
	case *cmpLeaf:
		l.coll = sc
	case *inLeaf:
		l.coll = sc
	case *elemMatchObj:
		collateNode(l.sub, sc)
	case *elemMatchVal:
		collateLeaf(l.leaf, sc)
	case *leafAnd:
		for _, k := range l.kids {
			collateLeaf(k, sc)
		}
	case *leafNot:
		collateLeaf(l.kid, sc)
	}
}

// CompileIn is Compile for a filter whose $expr may use the user variables
// that scope declares (a $match in a $lookup's sub-pipeline); MatchIn binds
// them. A scope with a collation (expr.Collated) collates the filter (see CompileColl).
func CompileIn(filter bson.Raw, scope *expr.Scope) (*Filter, error) {
	if len(filter) == 0 {
		return &Filter{coll: scope.Comparer()}, nil
	}
	if err := filter.Validate(); err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid filter document: %v", err)
	}
	raw := append(bson.Raw(nil), filter...)
	root, err := compileDoc(raw, 0, scope)
	if err != nil {
		return nil, err
	}
	f := &Filter{root: root, raw: raw, hasExpr: root != nil && hasExpr(root)}
	collectConds(root, &f.conds)
	if sc := scope.Comparer(); sc != nil {
		collateNode(f.root, sc)
		f.coll = sc
	}
	return f, nil
}

// Match reports whether doc satisfies the filter. It does not allocate for
// simple predicates; doc is only read.
func (f *Filter) Match(doc bson.Raw) bool {
	if f == nil || f.root == nil {
		return true
	}
	ok, _ := f.root.match(doc)
	return ok
}

// MatchPosition is Match that also reports, for the positional "$" update and
// projection operators, the index of the array element that made the filter
// match in the first array its path traversed (MongoDB's elemMatchKey). pos
// is -1 when no array took part in the match. When several predicates
// traverse arrays, the last one evaluated wins, as in MongoDB.
func (f *Filter) MatchPosition(doc bson.Raw) (matched bool, pos int) {
	if f == nil || f.root == nil {
		return true, -1
	}
	ok, pos := f.root.match(doc)
	if !ok {
		return false, -1
	}
	return true, pos
}

// MatchErr is MatchPosition that also returns the evaluation error of a
// $expr met while matching (a $divide by zero, say), as mongod fails the
// query with it; the document then does not match. Predicates are evaluated
// in the order Match evaluates them, stopping where it stops, so an
// expression the match never reaches raises nothing. Without $expr it is
// MatchPosition and never fails.
func (f *Filter) MatchErr(doc bson.Raw) (matched bool, pos int, err error) {
	if f == nil || f.root == nil {
		return true, -1, nil
	}
	if !f.hasExpr {
		matched, pos = f.MatchPosition(doc)
		return matched, pos, nil
	}
	ok, pos, err := matchErr(f.root, doc, nil)
	if err != nil || !ok {
		return false, -1, err
	}
	return true, pos, nil
}

// MatchIn is MatchErr with the user variables of vars bound for $expr
// (those that CompileIn's scope declared).
func (f *Filter) MatchIn(doc bson.Raw, vars *expr.Vars) (matched bool, err error) {
	if f == nil || f.root == nil {
		return true, nil
	}
	if !f.hasExpr {
		return f.Match(doc), nil
	}
	ok, _, err := matchErr(f.root, doc, vars)
	return ok && err == nil, err
}

// matchErr is node.match with the errors of $expr: it follows the
// document-level nodes, the only ones that may hold a $expr.
func matchErr(node node, doc []byte, vars *expr.Vars) (bool, int, error) {
	switch n := node.(type) {
	case *exprNode:
		v, err := n.e.EvalIn(doc, vars)
		if err != nil {
			return false, -1, err
		}
		return expr.Truthy(v), -1, nil
	case *andNode:
		pos := -1
		for _, k := range n.kids {
			ok, p, err := matchErr(k, doc, vars)
			if err != nil || !ok {
				return false, -1, err
			}
			if p >= 0 {
				pos = p
			}
		}
		return true, pos, nil
	case *orNode:
		for _, k := range n.kids {
			ok, p, err := matchErr(k, doc, vars)
			if err != nil {
				return false, -1, err
			}
			if ok {
				return true, p, nil
			}
		}
		return false, -1, nil
	case *notNode:
		ok, _, err := matchErr(n.kid, doc, vars)
		if err != nil {
			return false, -1, err
		}
		return !ok, -1, nil
	}
	ok, pos := node.match(doc)
	return ok, pos, nil
}

// hasExpr reports whether node holds a $expr.
func hasExpr(node node) bool {
	switch n := node.(type) {
	case *exprNode:
		return true
	case *andNode:
		return slices.ContainsFunc(n.kids, hasExpr)
	case *orNode:
		return slices.ContainsFunc(n.kids, hasExpr)
	case *notNode:
		return hasExpr(n.kid)
	}
	return false
}

// Conditions returns the filter's top-level AND-ed simple predicates (from
// the implicit AND of the filter document and from top-level $and) that an
// index can serve: $eq, $gt, $gte, $lt, $lte and $in on a path. Anything else
// (regexes, arrays as values, $or, $not, $elemMatch, ...) is omitted, so the
// conditions are implied by the filter but may be weaker: callers must still
// run Match. The returned slice is shared; do not modify it.
func (f *Filter) Conditions() []Condition {
	if f == nil {
		return nil
	}
	return f.conds
}

// node is a predicate on a whole document. match also returns the
// positional-operator index (-1 for none). Positions travel as return
// values rather than through a shared state pointer so that neither Match
// nor MatchPosition allocates.
type node interface {
	match(doc []byte) (ok bool, pos int)
}

// leaf is a predicate on one value yielded by a path (MongoDB's
// matchesSingleElement). A missing value has Type 0. pos is the index of the
// matching element for $elemMatch, -1 otherwise.
type leaf interface {
	matchValue(v bson.RawValue) (ok bool, pos int)
}

// ---- document-level nodes ----

// andNode is $and (and a document of several predicates): every kid matches.
type andNode struct{ kids []node }

// match requires every child; each may record a position, so the last array predicate wins.
func (n *andNode) match(doc []byte) (bool, int) {
	pos := -1
	for _, k := range n.kids {
		ok, p := k.match(doc)
		if !ok {
			return false, -1
		}
		if p >= 0 {
			pos = p
		}
	}
	return true, pos
}

// orNode is $or (and the inner node of $nor).
type orNode struct{ kids []node }

// match stops at the first matching branch, whose position stands.
func (n *orNode) match(doc []byte) (bool, int) {
	for _, k := range n.kids {
		if ok, p := k.match(doc); ok {
			return true, p
		}
	}
	return false, -1
}

// notNode negates a whole-path predicate: $ne, $nin, $not, $nor and
// $exists: false apply to the path as a whole, not per array element.
type notNode struct{ kid node }

// match is the negation of the child, evaluated without position tracking.
func (n *notNode) match(doc []byte) (bool, int) {
	// A negation never reports a position: no element made it match.
	ok, _ := n.kid.match(doc)
	return !ok, -1
}

// constNode is $alwaysTrue / $alwaysFalse and $all: [].
type constNode bool

// match ignores the document.
func (n constNode) match([]byte) (bool, int) { return bool(n), -1 }

// pathNode applies a leaf to every value a path yields and matches
// when any of them matches.
type pathNode struct {
	path       value.Path
	leaf       leaf
	leafArrays bool
}

// match walks the path with a visitor kept on the stack (no allocation).
func (n *pathNode) match(doc []byte) (bool, int) {
	w := visit{leaf: n.leaf, pos: -1}
	if !walk(doc, &n.path, 0, n.leafArrays, -1, &w) {
		return false, -1
	}
	return true, w.pos
}

// visit receives the values a path walk yields (see walk):
// visit returns true to stop the walk at the first value the leaf accepts,
// recording in pos the outermost implicitly traversed array's offset (off)
// or, when there is none, the leaf's own ($elemMatch) position.
type visit struct {
	leaf leaf
	pos  int
}

// visit applies the leaf to one yielded value.
func (w *visit) visit(v bson.RawValue, off int) bool {
	ok, p := w.leaf.matchValue(v)
	if !ok {
		return false
	}
	if off >= 0 {
		p = off
	}
	w.pos = p
	return true
}

// exprNode is $expr: the aggregation expression's truthiness. Under
// Match an evaluation error (for example $divide by zero) makes the document
// not match; MatchErr returns it, as mongod fails the query.
type exprNode struct{ e *expr.Expr }

// match evaluates the expression against the whole document.
func (n *exprNode) match(doc []byte) (bool, int) {
	v, err := n.e.Eval(doc)
	return err == nil && expr.Truthy(v), -1
}

// ---- leaves ----

// cmpOp is a comparison operator of a cmpLeaf.
type cmpOp int

// The comparison operators of cmpLeaf.
const (
	opEq cmpOp = iota
	opGt
	opGte
	opLt
	opLte
)

// cmpLeaf is $eq, $gt, $gte, $lt, $lte (ComparisonMatchExpression).
type cmpLeaf struct {
	op   cmpOp
	rhs  bson.RawValue
	coll value.StringComparer // the filter's collation; nil compares bytes
}

// matchValue applies the comparison to one value.
func (l *cmpLeaf) matchValue(v bson.RawValue) (bool, int) {
	return cmpMatches(l.op, v, l.rhs, l.coll), -1
}

// cmpMatches implements MongoDB's rules: values of different canonical
// types never compare, except that null matches missing and undefined for
// the inclusive operators, and MinKey/MaxKey bound every value.
func cmpMatches(op cmpOp, v, rhs bson.RawValue, coll value.StringComparer) bool {
	cv, cr := value.CanonicalRank(v.Type), value.CanonicalRank(rhs.Type)
	if cv != cr {
		if cv+cr == 5 && (cv == 5 || cr == 5) {
			return op == opEq || op == opLte || op == opGte
		}
		switch rhs.Type {
		case bson.TypeMaxKey:
			return op == opLt || op == opLte
		case bson.TypeMinKey:
			return op == opGt || op == opGte
		}
		return false
	}
	if cv == 10 {
		vn, rn := value.IsNaN(v), value.IsNaN(rhs)
		if vn || rn {
			switch op {
			case opEq, opLte, opGte:
				return vn && rn
			}
			return false
		}
	}
	c := value.CompareSameRankWith(v, rhs, coll)
	switch op {
	case opEq:
		return c == 0
	case opGt:
		return c > 0
	case opGte:
		return c >= 0
	case opLt:
		return c < 0
	}
	return c <= 0
}

// inLeaf is $in: equality with any listed value, or a match of any
// listed regular expression.
type inLeaf struct {
	vals    []bson.RawValue
	regexes []*regexLeaf
	hasNull bool
	coll    value.StringComparer // the filter's collation; nil compares bytes
	// ordered is vals in order (under coll), made the first time a long list is searched (sorted): a value is
	// then found by binary search, not compared with every listed one (find({_id: {$in: [...thousands]}})).
	sorted  sync.Once
	ordered []bson.RawValue
}

// inSearchFrom is the length from which $in's values are searched in order rather than one by one.
const inSearchFrom = 16

// matchValue is true for a listed value (null also matching missing) or a regex match.
func (l *inLeaf) matchValue(v bson.RawValue) (bool, int) {
	if l.hasNull && v.Type == 0 {
		return true, -1
	}
	if len(l.vals) >= inSearchFrom {
		l.sorted.Do(func() {
			l.ordered = slices.Clone(l.vals)
			slices.SortFunc(l.ordered, func(a, b bson.RawValue) int { return value.CompareWith(a, b, l.coll) })
		})
		if _, found := slices.BinarySearchFunc(l.ordered, v, func(x, v bson.RawValue) int { return value.CompareWith(x, v, l.coll) }); found {
			return true, -1
		}
	} else {
		for _, x := range l.vals {
			if value.CanonicalRank(x.Type) == value.CanonicalRank(v.Type) && value.CompareSameRankWith(v, x, l.coll) == 0 {
				return true, -1
			}
		}
	}
	for _, r := range l.regexes {
		if ok, _ := r.matchValue(v); ok {
			return true, -1
		}
	}
	return false, -1
}

// existsLeaf is $exists: true.
type existsLeaf struct{}

// matchValue is true for any present value, null included.
func (existsLeaf) matchValue(v bson.RawValue) (bool, int) { return v.Type != 0, -1 }

// typeLeaf is $type.
type typeLeaf struct {
	types  []bson.Type
	number bool
}

// matchValue checks the value's BSON type against the listed ones.
func (l *typeLeaf) matchValue(v bson.RawValue) (bool, int) {
	if v.Type == 0 {
		return false, -1
	}
	if l.number && value.IsNumberType(v.Type) {
		return true, -1
	}
	for _, t := range l.types {
		if t == v.Type {
			return true, -1
		}
	}
	return false, -1
}

// regexLeaf is $regex: strings and symbols are searched; a stored
// regex matches only when pattern and options are identical. A search
// stopped by value.RegexMatchTimeout does not match, as a PCRE error does
// not in mongod's matcher.
type regexLeaf struct {
	re      *value.Regex
	pattern string
	options string
}

// matchValue searches strings and symbols and compares stored regexes.
func (l *regexLeaf) matchValue(v bson.RawValue) (bool, int) {
	switch v.Type {
	case bson.TypeString, bson.TypeSymbol:
		ok, _ := l.re.Match(value.StringBytes(v.Value))
		return ok, -1
	case bson.TypeRegex:
		p, o := value.CStrings(v.Value)
		return string(p) == l.pattern && string(o) == l.options, -1
	}
	return false, -1
}

// modLeaf is $mod: [divisor, remainder] over the value truncated to an
// integer.
type modLeaf struct{ div, rem int64 }

// matchValue matches numbers whose truncation has the wanted remainder.
func (l *modLeaf) matchValue(v bson.RawValue) (bool, int) {
	if !value.IsNumberType(v.Type) {
		return false, -1
	}
	return value.NumberLong(v)%l.div == l.rem, -1
}

// sizeLeaf is $size (never traverses a leaf array). n < 0 never
// matches (a non-integral size).
type sizeLeaf struct{ n int }

// matchValue counts the array's elements.
func (l *sizeLeaf) matchValue(v bson.RawValue) (bool, int) {
	if v.Type != bson.TypeArray || l.n < 0 {
		return false, -1
	}
	it := value.IterOf(v.Value)
	c := 0
	for {
		if _, _, ok := it.Next(); !ok {
			break
		}
		c++
	}
	return c == l.n, -1
}

// elemMatchObj is $elemMatch with a query document: some element that
// is a document (or array) satisfies the whole sub-filter.
type elemMatchObj struct{ sub node }

// matchValue records the index of the first matching element for "$".
func (l *elemMatchObj) matchValue(v bson.RawValue) (bool, int) {
	if v.Type != bson.TypeArray {
		return false, -1
	}
	it := value.IterOf(v.Value)
	for k := 0; ; k++ {
		_, e, ok := it.Next()
		if !ok {
			return false, -1
		}
		if e.Type != bson.TypeEmbeddedDocument && e.Type != bson.TypeArray {
			continue
		}
		if ok, _ := l.sub.match(e.Value); ok {
			return true, k
		}
	}
}

// elemMatchVal is $elemMatch with operators: some element satisfies
// every operator directly (no further array traversal).
type elemMatchVal struct{ leaf leaf }

// matchValue records the index of the first matching element for "$".
func (l *elemMatchVal) matchValue(v bson.RawValue) (bool, int) {
	if v.Type != bson.TypeArray {
		return false, -1
	}
	it := value.IterOf(v.Value)
	for k := 0; ; k++ {
		_, e, ok := it.Next()
		if !ok {
			return false, -1
		}
		if ok, _ := l.leaf.matchValue(e); ok {
			return true, k
		}
	}
}

// leafAnd is a conjunction of operators applied to one value (inside
// $elemMatch).
type leafAnd struct{ kids []leaf }

// matchValue requires every operator.
func (l *leafAnd) matchValue(v bson.RawValue) (bool, int) {
	pos := -1
	for _, k := range l.kids {
		ok, p := k.matchValue(v)
		if !ok {
			return false, -1
		}
		if p >= 0 {
			pos = p
		}
	}
	return true, pos
}

// leafNot negates an operator for one value: inside $elemMatch, $ne
// and $not apply per element.
type leafNot struct{ kid leaf }

// matchValue negates the operator; a negation reports no position.
func (l *leafNot) matchValue(v bson.RawValue) (bool, int) {
	ok, _ := l.kid.matchValue(v)
	return !ok, -1
}

// leafConst is $all: [] inside $elemMatch.
type leafConst bool

// matchValue ignores the value.
func (l leafConst) matchValue(bson.RawValue) (bool, int) { return bool(l), -1 }

// ---- compilation ----

// bad returns MongoDB's BadValue error.
func bad(format string, args ...any) error {
	return codes.New(codes.BadValue, format, args...)
}

// compileDoc compiles a query document: the implicit AND of its
// elements.
func compileDoc(doc bson.Raw, depth int, scope *expr.Scope) (node, error) {
	if depth > maxDepth {
		return nil, bad("exceeded maximum query depth of %d", maxDepth)
	}
	var kids []node
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		key := string(k)
		var (
			n   node
			err error
		)
		if strings.HasPrefix(key, "$") {
			n, err = compileTopOp(key, v, depth, scope)
		} else {
			n, err = compileField(key, v, depth)
		}
		if err != nil {
			return nil, err
		}
		if n != nil {
			kids = append(kids, n)
		}
	}
	switch len(kids) {
	case 0:
		return constNode(true), nil
	case 1:
		return kids[0], nil
	}
	return &andNode{kids: kids}, nil
}

// compileTopOp compiles a top-level operator ($and, $or, ...).
func compileTopOp(key string, v bson.RawValue, depth int, scope *expr.Scope) (node, error) {
	switch key {
	case "$and", "$or", "$nor":
		if v.Type != bson.TypeArray {
			return nil, bad("%s must be an array", key)
		}
		var kids []node
		it := value.IterOf(v.Value)
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			if e.Type != bson.TypeEmbeddedDocument {
				return nil, bad("$or/$and/$nor entries need to be full objects")
			}
			n, err := compileDoc(e.Value, depth+1, scope)
			if err != nil {
				return nil, err
			}
			kids = append(kids, n)
		}
		if len(kids) == 0 {
			return nil, bad("$and/$or/$nor must be a nonempty array")
		}
		switch key {
		case "$and":
			if len(kids) == 1 {
				return kids[0], nil
			}
			return &andNode{kids: kids}, nil
		case "$or":
			if len(kids) == 1 {
				return kids[0], nil
			}
			return &orNode{kids: kids}, nil
		}
		return &notNode{kid: &orNode{kids: kids}}, nil
	case "$expr":
		// The whole filter was validated, as Compile would validate v.
		e, err := expr.CompileIn(v, scope)
		if err != nil {
			return nil, err
		}
		return &exprNode{e: e}, nil
	case "$comment":
		return nil, nil
	case "$alwaysTrue", "$alwaysFalse":
		if !value.IsNumberType(v.Type) || value.NumberLong(v) != 1 {
			return nil, bad("%s must be an integer value of 1", key)
		}
		return constNode(key == "$alwaysTrue"), nil
	case "$jsonSchema":
		sc, err := compileJSONSchema(v, depth)
		if err != nil {
			return nil, err
		}
		return &schemaNode{s: sc}, nil
	case "$where":
		// mongod without a JavaScript engine (--noscripting).
		return nil, codes.New(codes.BadValue, "no globalScriptEngine in $where parsing")
	case "$text":
		// No collection has a text index.
		return nil, codes.New(codes.IndexNotFound, "text index required for $text query")
	case "$sampleRate":
		return nil, codes.New(codes.BadValue, "%s is not supported", key)
	}
	return nil, bad("unknown top level operator: %s. If you are trying to match a field named %q, use {$expr: {$eq: [\"$%s\", ...]}}", key, key, key)
}

// isOperatorDoc reports whether v is an operator document ({$gt: 1})
// rather than a literal one: its first field starts with '$' and is not a
// DBRef field.
func isOperatorDoc(v bson.RawValue) bool {
	if v.Type != bson.TypeEmbeddedDocument {
		return false
	}
	it := value.IterOf(v.Value)
	k, _, ok := it.Next()
	if !ok || len(k) == 0 || k[0] != '$' {
		return false
	}
	s := string(k)
	return s != "$ref" && s != "$id" && s != "$db"
}

// compileField compiles {path: value}.
func compileField(path string, v bson.RawValue, depth int) (node, error) {
	p := value.ParsePath(path)
	tree, err := compileValue(v, depth)
	if err != nil {
		return nil, err
	}
	return tree.node(p), nil
}

// compileValue compiles the value side of {path: value}: a literal
// (equality), a regex, or an operator document.
func compileValue(v bson.RawValue, depth int) (*tree, error) {
	if v.Type == bson.TypeRegex {
		l, err := regexFromValue(v)
		if err != nil {
			return nil, err
		}
		return treeLeaf(l, true), nil
	}
	if isOperatorDoc(v) {
		return compileOps(v.Value, depth)
	}
	if v.Type == bson.TypeUndefined {
		return nil, bad("cannot compare to undefined")
	}
	return treeLeaf(&cmpLeaf{op: opEq, rhs: v}, true), nil
}

// tree is an operator expression before it is bound to a path: the
// same operators become path nodes at field level and direct leaves inside
// $elemMatch, where negation applies per element instead of per path.
type tree struct {
	leaf       leaf // when kids == nil and !not
	leafArrays bool
	not        bool // negation of kids[0]
	and        bool // conjunction of kids
	kids       []*tree
}

// treeLeaf wraps one operator.
func treeLeaf(l leaf, leafArrays bool) *tree {
	return &tree{leaf: l, leafArrays: leafArrays}
}

// treeNot negates t.
func treeNot(t *tree) *tree {
	return &tree{not: true, kids: []*tree{t}}
}

// treeAnd conjoins ts, unwrapping a single operator.
func treeAnd(ts []*tree) *tree {
	if len(ts) == 1 {
		return ts[0]
	}
	return &tree{and: true, kids: ts}
}

// node binds t to a path.
func (t *tree) node(p value.Path) node {
	switch {
	case t.not:
		return &notNode{kid: t.kids[0].node(p)}
	case t.and:
		if len(t.kids) == 0 {
			// $all: [] matches nothing.
			return constNode(false)
		}
		kids := make([]node, len(t.kids))
		for i, k := range t.kids {
			kids[i] = k.node(p)
		}
		return &andNode{kids: kids}
	}
	return &pathNode{path: p, leaf: t.leaf, leafArrays: t.leafArrays}
}

// valueLeaf turns t into a predicate applied directly to one value.
func (t *tree) valueLeaf() leaf {
	switch {
	case t.not:
		return &leafNot{kid: t.kids[0].valueLeaf()}
	case t.and:
		if len(t.kids) == 0 {
			return leafConst(false)
		}
		kids := make([]leaf, len(t.kids))
		for i, k := range t.kids {
			kids[i] = k.valueLeaf()
		}
		return &leafAnd{kids: kids}
	}
	return t.leaf
}

// compileOps compiles an operator document {$gt: 1, $lt: 5}.
func compileOps(doc bson.Raw, depth int) (*tree, error) {
	if depth > maxDepth {
		return nil, bad("exceeded maximum query depth of %d", maxDepth)
	}
	var (
		trees               []*tree
		regexV, optionsV    bson.RawValue
		haveRegex, haveOpts bool
	)
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		op := string(k)
		var (
			t   *tree
			err error
		)
		switch op {
		case "$eq", "$gt", "$gte", "$lt", "$lte":
			if v.Type == bson.TypeUndefined {
				return nil, bad("cannot compare to undefined")
			}
			t = treeLeaf(&cmpLeaf{op: cmpOpOf(op), rhs: v}, true)
		case "$ne":
			if v.Type == bson.TypeRegex {
				return nil, bad("Can't have regex as arg to $ne.")
			}
			if v.Type == bson.TypeUndefined {
				return nil, bad("cannot compare to undefined")
			}
			t = treeNot(treeLeaf(&cmpLeaf{op: opEq, rhs: v}, true))
		case "$in", "$nin":
			var l *inLeaf
			l, err = compileIn(op, v)
			if err == nil {
				t = treeLeaf(l, true)
				if op == "$nin" {
					t = treeNot(t)
				}
			}
		case "$exists":
			t = treeLeaf(existsLeaf{}, true)
			if !value.TrueValue(v) {
				t = treeNot(t)
			}
		case "$type":
			var l *typeLeaf
			l, err = compileType(v)
			t = treeLeaf(l, true)
		case "$regex":
			regexV, haveRegex = v, true
			continue
		case "$options":
			optionsV, haveOpts = v, true
			continue
		case "$size":
			var l *sizeLeaf
			l, err = compileSize(v)
			t = treeLeaf(l, false)
		case "$mod":
			var l *modLeaf
			l, err = compileMod(v)
			t = treeLeaf(l, true)
		case "$bitsAllSet", "$bitsAnySet", "$bitsAllClear", "$bitsAnyClear":
			var l *bitsLeaf
			l, err = compileBits(op, v)
			t = treeLeaf(l, true)
		case "$all":
			t, err = compileAll(v, depth)
		case "$elemMatch":
			var l leaf
			l, err = compileElemMatch(v, depth)
			t = treeLeaf(l, false)
		case "$not":
			t, err = compileNot(v, depth)
		case "$near", "$nearSphere":
			// No collection has a geospatial index.
			return nil, codes.New(291, "error processing query: planner returned error :: caused by :: unable to find index for $geoNear query")
		case "$geoWithin", "$geoIntersects", "$within":
			return nil, bad("%s is not supported: Concord has no geospatial queries", op)
		default:
			// Includes a plain field name after an operator ({$gt: 1, b: 2}),
			// which mongod reports the same way.
			return nil, bad("unknown operator: %s", op)
		}
		if err != nil {
			return nil, err
		}
		trees = append(trees, t)
	}
	if haveOpts && !haveRegex {
		return nil, codes.New(51074, "$options needs a $regex")
	}
	if haveRegex {
		l, err := compileRegexOp(regexV, optionsV, haveOpts)
		if err != nil {
			return nil, err
		}
		trees = append(trees, treeLeaf(l, true))
	}
	if len(trees) == 0 {
		// Only reachable for an empty operator document, which is a literal.
		return treeLeaf(&cmpLeaf{op: opEq, rhs: bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}}, true), nil
	}
	return treeAnd(trees), nil
}

// cmpOpOf maps an operator name to its comparison.
func cmpOpOf(op string) cmpOp {
	switch op {
	case "$gt":
		return opGt
	case "$gte":
		return opGte
	case "$lt":
		return opLt
	case "$lte":
		return opLte
	}
	return opEq
}

// compileIn compiles the array argument of $in or $nin.
func compileIn(op string, v bson.RawValue) (*inLeaf, error) {
	if v.Type != bson.TypeArray {
		return nil, bad("%s needs an array", op)
	}
	l := &inLeaf{}
	it := value.IterOf(v.Value)
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case e.Type == bson.TypeRegex:
			r, err := regexFromValue(e)
			if err != nil {
				return nil, err
			}
			l.regexes = append(l.regexes, r)
		case isOperatorDoc(e):
			return nil, bad("cannot nest $ under %s", op)
		case e.Type == bson.TypeUndefined:
			return nil, bad("InMatchExpression equality cannot be undefined")
		default:
			if e.Type == bson.TypeNull {
				l.hasNull = true
			}
			l.vals = append(l.vals, e)
		}
	}
	return l, nil
}

// compileType compiles $type: an alias, a type number, "number", or
// an array of those.
func compileType(v bson.RawValue) (*typeLeaf, error) {
	l := &typeLeaf{}
	add := func(e bson.RawValue) error {
		switch {
		case e.Type == bson.TypeString:
			s := string(value.StringBytes(e.Value))
			if s == "number" {
				l.number = true
				return nil
			}
			t, ok := value.TypeAliases[s]
			if !ok {
				return bad("Unknown type name alias: %s", s)
			}
			l.types = append(l.types, t)
			return nil
		case value.IsNumberType(e.Type):
			if value.IsNaN(e) {
				return bad("Invalid numerical type code: nan")
			}
			n := value.NumberLong(e)
			if value.Compare(e, bson.RawValue{Type: bson.TypeInt64, Value: int64Bytes(n)}) != 0 {
				return bad("Invalid numerical type code: %s", e.String())
			}
			t := bson.Type(n)
			if n == -1 {
				t = bson.TypeMinKey
			}
			if (n < 1 || n > 19) && n != -1 && n != 127 {
				return bad("Invalid numerical type code: %d", n)
			}
			l.types = append(l.types, t)
			return nil
		}
		return codes.New(codes.TypeMismatch, "type must be represented as a number or a string")
	}
	if v.Type == bson.TypeArray {
		it := value.IterOf(v.Value)
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			if err := add(e); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	if err := add(v); err != nil {
		return nil, err
	}
	return l, nil
}

// int64Bytes encodes n as a BSON int64 value.
func int64Bytes(n int64) []byte {
	b := make([]byte, 8)
	for i := 0; i < 8; i++ {
		b[i] = byte(uint64(n) >> (8 * i))
	}
	return b
}

// compileSize compiles $size: a non-negative integral number.
func compileSize(v bson.RawValue) (*sizeLeaf, error) {
	if !value.IsNumberType(v.Type) {
		return nil, bad("$size needs a number")
	}
	if value.IsNaN(v) {
		return nil, codes.New(codes.FailedToParse, "Expected an integer: $size: %s", v.String())
	}
	n := value.NumberLong(v)
	if value.Compare(v, bson.RawValue{Type: bson.TypeInt64, Value: int64Bytes(n)}) != 0 {
		return nil, codes.New(codes.FailedToParse, "Expected an integer: $size: %s", v.String())
	}
	if n < 0 {
		return nil, codes.New(codes.FailedToParse, "Expected a positive number in: $size: %d", n)
	}
	if n > math.MaxInt32 {
		return &sizeLeaf{n: -1}, nil
	}
	return &sizeLeaf{n: int(n)}, nil
}

// compileMod compiles $mod: [divisor, remainder], both finite numbers.
func compileMod(v bson.RawValue) (*modLeaf, error) {
	if v.Type != bson.TypeArray {
		return nil, bad("malformed mod, needs to be an array")
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
	switch {
	case len(vals) < 2:
		return nil, bad("malformed mod, not enough elements")
	case len(vals) > 2:
		return nil, bad("malformed mod, too many elements")
	case !value.IsNumberType(vals[0].Type):
		return nil, bad("malformed mod, divisor not a number")
	case !value.IsNumberType(vals[1].Type):
		return nil, bad("malformed mod, remainder not a number")
	}
	for i, what := range []string{"divisor", "remainder"} {
		if value.IsNaN(vals[i]) || value.IsInf(vals[i]) {
			return nil, bad("malformed mod, %s value is invalid :: caused by :: Unable to coerce NaN/Inf to integral type", what)
		}
	}
	div := value.NumberLong(vals[0])
	if div == 0 {
		return nil, bad("divisor cannot be 0")
	}
	return &modLeaf{div: div, rem: value.NumberLong(vals[1])}, nil
}

// compileAll compiles $all: the conjunction of an equality (or regex)
// per element, or of $elemMatch clauses, never a mix.
func compileAll(v bson.RawValue, depth int) (*tree, error) {
	if v.Type != bson.TypeArray {
		return nil, bad("$all needs an array")
	}
	var (
		kids      []*tree
		elemMatch int
		n         int
	)
	it := value.IterOf(v.Value)
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		n++
		if isOperatorDoc(e) {
			ik := value.IterOf(e.Value)
			k, em, _ := ik.Next()
			if string(k) != "$elemMatch" {
				return nil, bad("no $ expressions in $all")
			}
			elemMatch++
			l, err := compileElemMatch(em, depth)
			if err != nil {
				return nil, err
			}
			kids = append(kids, treeLeaf(l, false))
			continue
		}
		if e.Type == bson.TypeRegex {
			r, err := regexFromValue(e)
			if err != nil {
				return nil, err
			}
			kids = append(kids, treeLeaf(r, true))
			continue
		}
		kids = append(kids, treeLeaf(&cmpLeaf{op: opEq, rhs: e}, true))
	}
	if elemMatch > 0 && elemMatch != n {
		return nil, bad("$all/$elemMatch has to be consistent")
	}
	return &tree{and: true, kids: kids}, nil
}

// pathless are the operators that do not apply to a field; an
// $elemMatch whose first operator is one of them is the document form.
var pathless = map[string]bool{
	"$and": true, "$or": true, "$nor": true, "$expr": true, "$where": true,
	"$comment": true, "$text": true, "$jsonSchema": true, "$alwaysTrue": true, "$alwaysFalse": true,
}

// compileElemMatch compiles $elemMatch, choosing the value form when
// the first key is a field operator and the document form otherwise.
func compileElemMatch(v bson.RawValue, depth int) (leaf, error) {
	if v.Type != bson.TypeEmbeddedDocument {
		return nil, bad("$elemMatch needs an Object")
	}
	if isOperatorDoc(v) {
		it := value.IterOf(v.Value)
		k, _, _ := it.Next()
		if !pathless[string(k)] {
			t, err := compileOps(v.Value, depth+1)
			if err != nil {
				return nil, err
			}
			return &elemMatchVal{leaf: t.valueLeaf()}, nil
		}
	}
	sub, err := compileDoc(v.Value, depth+1, nil)
	if err != nil {
		return nil, err
	}
	return &elemMatchObj{sub: sub}, nil
}

// compileNot compiles $not: a regex or a non-empty operator document.
func compileNot(v bson.RawValue, depth int) (*tree, error) {
	switch v.Type {
	case bson.TypeRegex:
		l, err := regexFromValue(v)
		if err != nil {
			return nil, err
		}
		return treeNot(treeLeaf(l, true)), nil
	case bson.TypeEmbeddedDocument:
		if len(v.Value) <= 5 {
			return nil, bad("$not cannot be empty")
		}
		if !isOperatorDoc(v) {
			it := value.IterOf(v.Value)
			k, _, _ := it.Next()
			return nil, bad("unknown operator: %s", string(k))
		}
		t, err := compileOps(v.Value, depth+1)
		if err != nil {
			return nil, err
		}
		return treeNot(t), nil
	}
	return nil, bad("$not needs a regex or a document")
}

// regexFromValue compiles a BSON regex value (/pattern/options).
func regexFromValue(v bson.RawValue) (*regexLeaf, error) {
	p, o := value.CStrings(v.Value)
	return compileRegex(string(p), string(o))
}

// compileRegexOp compiles {$regex: ..., $options: ...}.
func compileRegexOp(re, opts bson.RawValue, haveOpts bool) (*regexLeaf, error) {
	var pattern, options string
	switch re.Type {
	case bson.TypeString:
		pattern = string(value.StringBytes(re.Value))
	case bson.TypeRegex:
		p, o := value.CStrings(re.Value)
		pattern, options = string(p), string(o)
		if haveOpts && options != "" {
			return nil, codes.New(51075, "options set in both $regex and $options")
		}
	default:
		return nil, bad("$regex has to be a string")
	}
	if haveOpts {
		if opts.Type != bson.TypeString {
			return nil, bad("$options has to be a string")
		}
		options = string(value.StringBytes(opts.Value))
	}
	return compileRegex(pattern, options)
}

// compileRegex compiles a pattern and MongoDB options (value.CompileRegex)
// into a leaf.
func compileRegex(pattern, options string) (*regexLeaf, error) {
	re, err := value.CompileRegex(pattern, options)
	if err != nil {
		return nil, err
	}
	return &regexLeaf{re: re, pattern: pattern, options: options}, nil
}

// collectConds gathers the index-usable predicates of the top-level
// conjunction.
func collectConds(n node, out *[]Condition) {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			collectConds(k, out)
		}
	case *pathNode:
		switch l := n.leaf.(type) {
		case *cmpLeaf:
			if l.rhs.Type == bson.TypeArray || (l.op == opEq && l.rhs.Type == bson.TypeRegex) {
				// Whole-array equality also matches an element equal to the
				// array, and index keys of arrays are their elements.
				return
			}
			op := [...]CondOp{opEq: CondEq, opGt: CondGt, opGte: CondGte, opLt: CondLt, opLte: CondLte}[l.op]
			*out = append(*out, Condition{Path: n.path.Full, Op: op, Values: []bson.RawValue{l.rhs}})
		case *inLeaf:
			if len(l.regexes) > 0 {
				return
			}
			for _, v := range l.vals {
				if v.Type == bson.TypeArray {
					return
				}
			}
			*out = append(*out, Condition{Path: n.path.Full, Op: CondIn, Values: l.vals})
		}
	}
}

// String renders a condition for plan summaries and test failures.
func (c Condition) String() string {
	ops := [...]string{CondEq: "$eq", CondGt: "$gt", CondGte: "$gte", CondLt: "$lt", CondLte: "$lte", CondIn: "$in"}
	name := "?"
	if c.Op >= 0 && int(c.Op) < len(ops) {
		name = ops[c.Op]
	}
	vals := make([]string, len(c.Values))
	for i, v := range c.Values {
		vals[i] = v.String()
	}
	return fmt.Sprintf("%s %s [%s]", c.Path, name, strings.Join(vals, ", "))
}

// ElemMatch is a compiled {$elemMatch: ...} applied to one value, as find's
// $elemMatch projection uses it. It is immutable and safe for concurrent use.
type ElemMatch struct{ leaf leaf }

// CompileElemMatch compiles the argument of $elemMatch; errors are those of
// Compile.
func CompileElemMatch(v bson.RawValue) (*ElemMatch, error) {
	l, err := compileElemMatch(v, 0)
	if err != nil {
		return nil, err
	}
	return &ElemMatch{leaf: l}, nil
}

// MatchValue reports whether v is an array with a matching element, and the
// first such element's position.
func (m *ElemMatch) MatchValue(v bson.RawValue) (bool, int) {
	return m.leaf.matchValue(v)
}
