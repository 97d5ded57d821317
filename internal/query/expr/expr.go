package expr

import (
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// Expr is a compiled aggregation expression: a field path ("$a.b"), a
// variable ("$$ROOT"), a literal, an object or array of expressions, or an
// operator expression ({$add: [...]}). An Expr is immutable after
// compilation and safe for concurrent use.
type Expr struct {
	node node
	// coll is the collation of the scope it was compiled in (nil: strings compare by bytes); every
	// evaluation carries it to the operators that compare values.
	coll *collator
}

// collator boxes a collation so that env carries it in one pointer word: env stays within its
// allocation size class, and an uncollated evaluation costs nothing more.
type collator struct{ sc value.StringComparer }

// node is one node of a compiled expression tree.
type node interface {
	eval(c *env) (bson.RawValue, error)
}

// env is the evaluation state of one expression: the document bound to
// $$ROOT and $$CURRENT and the user variables in scope.
type env struct {
	root    bson.Raw
	current bson.Raw
	vars    *Vars
	// coll orders and equates strings in comparisons, $in, sets, sorts and $min / $max (nil: bytes).
	coll *collator
}

// comparer returns the evaluation's collation, nil for bytes.
func (c *env) comparer() value.StringComparer {
	if c.coll == nil {
		return nil
	}
	return c.coll.sc
}

// compare is the package's compare under the evaluation's collation.
func (c *env) compare(a, b bson.RawValue) int { return compareWith(a, b, c.comparer()) }

// Vars is a frame of user variables: an immutable linked list, so that
// binding a variable ($let, $map, $filter, a $lookup's let) pushes one frame
// and evaluation never copies a map. The nil *Vars is the empty frame. A
// frame is safe for concurrent use once built.
type Vars struct {
	name   string
	val    bson.RawValue
	parent *Vars
}

// Bind returns a frame with name bound to val over v (which it shadows
// where v binds the same name). v is not modified.
func (v *Vars) Bind(name string, val bson.RawValue) *Vars {
	return &Vars{name: name, val: val, parent: v}
}

// lookup returns the innermost binding of name.
func (v *Vars) lookup(name string) (bson.RawValue, bool) {
	for f := v; f != nil; f = f.parent {
		if f.name == name {
			return f.val, true
		}
	}
	return bson.RawValue{}, false
}

// Scope is the compile-time set of user variables in scope, used to
// report undefined variables at compile time as MongoDB does. The nil
// *Scope declares no user variable. Scopes are immutable.
//
// The outermost frame of a scope may hold constants (CommandScope): a
// command's let variables and its $$NOW and $$CLUSTER_TIME, whose values
// are known before any document is read and are compiled in as literals
// unless an inner declaration ($let, a $lookup's let) shadows the name.
type Scope struct {
	name   string
	parent *Scope
	// coll is the collation expressions compiled in the scope compare
	// strings under (nil: the enclosing scope's).
	coll value.StringComparer
	// consts, in a frame without a name, binds constant variables.
	consts *Vars
	// docless refuses field paths, $$ROOT and $$CURRENT (a command's let
	// values are evaluated before any document is read).
	docless bool
	// computed allows computedOperators (CompileComputed).
	computed bool
}

// Collated returns the root scope of a statement run under the collation sc: expressions compiled in
// it (or in scopes declared from it) compare strings with sc, as mongod applies a command's collation
// to every expression of its pipeline. A nil sc returns the nil scope (bytes).
func Collated(sc value.StringComparer) *Scope {
	return (*Scope)(nil).Collate(sc)
}

// Collate returns s (a statement's root scope, such as CommandScope's;
// nil for none) under the collation sc; a nil sc returns s.
func (s *Scope) Collate(sc value.StringComparer) *Scope {
	if sc == nil {
		return s
	}
	return &Scope{parent: s, coll: sc}
}

// Comparer returns the scope's collation, nil for bytes.
func (s *Scope) Comparer() value.StringComparer {
	for f := s; f != nil; f = f.parent {
		if f.coll != nil {
			return f.coll
		}
	}
	return nil
}

// Declare returns a scope in which name is also defined.
func (s *Scope) Declare(name string) *Scope {
	return &Scope{name: name, parent: s}
}

// resolve finds name in s: declared (a variable bound at run time), or a
// constant with its value.
func (s *Scope) resolve(name string) (val bson.RawValue, constant, found bool) {
	for f := s; f != nil; f = f.parent {
		if f.consts != nil || f.name == "" {
			if v, ok := f.consts.lookup(name); ok {
				return v, true, true
			}
			continue
		}
		if f.name == name {
			return bson.RawValue{}, false, true
		}
	}
	return bson.RawValue{}, false, false
}

// isDocless reports whether s refuses references to the document.
func (s *Scope) isDocless() bool {
	for f := s; f != nil; f = f.parent {
		if f.docless {
			return true
		}
	}
	return false
}

// Compile compiles an aggregation expression. Errors are *codes.Error
// with MongoDB's codes (InvalidPipelineOperator 168 for an unknown
// operator, 15983 for an operator object with more than one field, ...).
func Compile(v bson.RawValue) (*Expr, error) {
	if err := validate(v); err != nil {
		return nil, err
	}
	n, err := compile(v, nil)
	if err != nil {
		return nil, err
	}
	return &Expr{node: n}, nil
}

// CompileIn compiles an expression of a pipeline stage whose user
// variables (a $lookup's let) are declared by scope; the pipeline was
// validated as a whole, so v is not validated again. Errors are those of
// Compile, and 17276 for a variable that scope does not declare.
func CompileIn(v bson.RawValue, scope *Scope) (*Expr, error) {
	n, err := compile(v, scope)
	if err != nil {
		return nil, err
	}
	e := &Expr{node: n}
	if sc := scope.Comparer(); sc != nil {
		e.coll = &collator{sc: sc}
	}
	return e, nil
}

// Eval evaluates e with doc bound to $$ROOT and $$CURRENT. A missing result
// (a missing field, $$REMOVE) is the zero RawValue (Type 0). The returned
// value may alias doc's bytes or e's literals; callers must not modify it.
func (e *Expr) Eval(doc bson.Raw) (bson.RawValue, error) {
	return e.EvalIn(doc, nil)
}

// EvalIn is Eval with the user variables of vars in scope (those that
// CompileIn's scope declared).
func (e *Expr) EvalIn(doc bson.Raw, vars *Vars) (bson.RawValue, error) {
	if e == nil || e.node == nil {
		return bson.RawValue{}, nil
	}
	if len(doc) == 0 {
		doc = value.EmptyDoc
	}
	// The commonest expressions, a field path and a literal, need no
	// environment: evaluating them this way allocates nothing, which
	// matters to a $group's key and accumulator arguments, evaluated once
	// per input document.
	switch n := e.node.(type) {
	case constant:
		return n.v, nil
	case varPath:
		if len(n.path) > 0 && (n.variable == "CURRENT" || n.variable == "ROOT") {
			return LookupPath(doc, n.path), nil
		}
	}
	c := &env{root: doc, current: doc, vars: vars, coll: e.coll}
	return e.node.eval(c)
}

// EvalCurrent is EvalIn with $$CURRENT bound to current, a document
// inside root (as $redact descends into sub-documents).
func (e *Expr) EvalCurrent(root, current bson.Raw, vars *Vars) (bson.RawValue, error) {
	if e == nil || e.node == nil {
		return bson.RawValue{}, nil
	}
	c := &env{root: root, current: current, vars: vars, coll: e.coll}
	return e.node.eval(c)
}

// Truthy reports MongoDB's truthiness of an expression result, as used by
// $cond, $and, $or, $not, $filter and $expr: false, null, undefined,
// missing and numeric zero are false; every other value (including empty
// strings and empty arrays) is true.
func Truthy(v bson.RawValue) bool {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return false
	case bson.TypeBoolean:
		b, ok := v.BooleanOK()
		return ok && b
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble:
		f, ok := value.ToFloat(v)
		return ok && f != 0
	case bson.TypeDecimal128:
		d, ok := v.Decimal128OK()
		if !ok {
			return false
		}
		return !value.DecimalIsZero(d)
	}
	return true
}

// validate rejects malformed BSON before any accessor could panic on it.
func validate(v bson.RawValue) error {
	if v.Type == 0 {
		return nil
	}
	if err := v.Validate(); err != nil {
		return codes.New(codes.InvalidBSON, "invalid BSON in expression: %v", err)
	}
	return nil
}

// compile compiles one expression value in scope.
func compile(v bson.RawValue, scope *Scope) (node, error) {
	switch v.Type {
	case bson.TypeString:
		// Validate passes a string whose length prefix is 0 inside an array (it checks only the array's
		// length), on which StringValue panics.
		s, ok := v.StringValueOK()
		if !ok {
			return nil, codes.New(codes.InvalidBSON, "invalid BSON in expression: malformed string")
		}
		if strings.HasPrefix(s, "$$") {
			return compileVariable(s[2:], scope)
		}
		if strings.HasPrefix(s, "$") {
			if scope.isDocless() {
				return nil, errLetField()
			}
			return compileFieldPath(s[1:])
		}
		return constant{v: v}, nil
	case bson.TypeEmbeddedDocument:
		return compileObject(v.Document(), scope)
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return nil, codes.New(codes.InvalidBSON, "invalid array in expression: %v", err)
		}
		items := make([]node, len(vals))
		for i, ev := range vals {
			n, err := compile(ev, scope)
			if err != nil {
				return nil, err
			}
			items[i] = n
		}
		return array{items: items}, nil
	}
	return constant{v: v}, nil
}

// compileObject compiles {$op: args} or an object expression {a: expr}.
func compileObject(doc bson.Raw, scope *Scope) (node, error) {
	elems, err := doc.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid document in expression: %v", err)
	}
	if len(elems) > 0 && strings.HasPrefix(elems[0].Key(), "$") {
		if len(elems) != 1 {
			return nil, codes.New(15983, "an expression specification must contain exactly one field, the name of the expression. Found %d fields in %s", len(elems), doc.String())
		}
		op := elems[0].Key()
		compile, ok := operators[op]
		if !ok && scope.isComputed() {
			compile, ok = computedOperators[op]
		}
		if !ok {
			return nil, codes.New(codes.InvalidPipelineOperator, "Unrecognized expression '%s'", op)
		}
		return compile(op, elems[0].Value(), scope)
	}
	obj := object{}
	for _, el := range elems {
		k := el.Key()
		if err := CheckFieldName(k); err != nil {
			return nil, err
		}
		n, err := compile(el.Value(), scope)
		if err != nil {
			return nil, err
		}
		obj.keys = append(obj.keys, k)
		obj.vals = append(obj.vals, n)
	}
	return obj, nil
}

// CheckFieldName applies MongoDB's rules for field names inside object
// expressions and computed projections.
func CheckFieldName(k string) error {
	if k == "" {
		return codes.New(16410, "FieldPath field names may not be empty strings.")
	}
	if strings.HasPrefix(k, "$") {
		return codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
	}
	if strings.Contains(k, ".") {
		return codes.New(16412, "FieldPath field names may not contain '.'. Consider using $getField or $setField.")
	}
	if strings.IndexByte(k, 0) >= 0 {
		return codes.New(16411, "FieldPath field names may not contain '\\0'.")
	}
	return nil
}

// SplitPath splits and validates a field path (without its leading '$').
func SplitPath(p string) ([]string, error) {
	if p == "" {
		return nil, codes.New(40352, "FieldPath cannot be constructed with empty string")
	}
	parts := strings.Split(p, ".")
	for _, part := range parts {
		if part == "" {
			return nil, codes.New(15998, "FieldPath field names may not be empty strings.")
		}
		if strings.HasPrefix(part, "$") {
			return nil, codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
		if strings.IndexByte(part, 0) >= 0 {
			return nil, codes.New(16411, "FieldPath field names may not contain '\\0'.")
		}
	}
	return parts, nil
}

// compileFieldPath compiles "$a.b" (p is "a.b").
func compileFieldPath(p string) (node, error) {
	if p == "" {
		return nil, codes.New(16872, "'$' by itself is not a valid FieldPath")
	}
	parts, err := SplitPath(p)
	if err != nil {
		return nil, err
	}
	return varPath{variable: "CURRENT", path: parts}, nil
}

// compileVariable compiles "$$name" or "$$name.a.b".
func compileVariable(s string, scope *Scope) (node, error) {
	name, rest, hasRest := strings.Cut(s, ".")
	if err := CheckVarName(name, true); err != nil {
		return nil, err
	}
	var path []string
	if hasRest {
		var err error
		if path, err = SplitPath(rest); err != nil {
			return nil, err
		}
	}
	v, constant, found := scope.resolve(name)
	switch {
	case constant:
		return boundPath{val: v, path: path}, nil
	case found:
	case name == "ROOT" || name == "CURRENT":
		if scope.isDocless() {
			return nil, errLetField()
		}
	case name == "REMOVE" || name == "NOW":
	default:
		return nil, codes.New(17276, "Use of undefined variable: %s", name)
	}
	return varPath{variable: name, path: path}, nil
}

// errLetField is mongod's error for a command's let value that reads the
// document.
func errLetField() error {
	return codes.New(4890500, "Command let Expression tried to access a field, but this is not allowed because Command let Expressions run before the query examines any documents.")
}

// boundPath is a constant variable of the command (see Scope), optionally
// followed by a path into it.
type boundPath struct {
	val  bson.RawValue
	path []string
}

// eval implements node.
func (n boundPath) eval(*env) (bson.RawValue, error) {
	return pathInto(n.val, n.path), nil
}

// CheckVarName applies MongoDB's variable name rules; system variables
// (upper-case first letter) may only be referenced, not defined.
func CheckVarName(name string, reference bool) error {
	if name == "" {
		return codes.New(16866, "empty variable names are not allowed")
	}
	for i, r := range name {
		if i == 0 {
			if r >= 'a' && r <= 'z' || r >= 0x80 || reference && r >= 'A' && r <= 'Z' {
				continue
			}
			return codes.New(16867, "'%s' starts with an invalid character for a user variable name", name)
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r >= 0x80 {
			continue
		}
		return codes.New(16868, "'%s' contains an invalid character for a variable name: '%c'", name, r)
	}
	return nil
}

// constant is a literal value.
type constant struct{ v bson.RawValue }

// eval implements node.
func (n constant) eval(*env) (bson.RawValue, error) { return n.v, nil }

// varPath is a variable, optionally followed by a path into it;
// "$a.b" is CURRENT followed by [a b].
type varPath struct {
	variable string
	path     []string
}

// eval implements node.
func (n varPath) eval(c *env) (bson.RawValue, error) {
	var base bson.RawValue
	switch n.variable {
	case "CURRENT":
		if len(n.path) > 0 {
			return LookupPath(c.current, n.path), nil
		}
		base = value.Doc(c.current)
	case "ROOT":
		if len(n.path) > 0 {
			return LookupPath(c.root, n.path), nil
		}
		base = value.Doc(c.root)
	case "REMOVE":
		return bson.RawValue{}, nil
	case "NOW":
		base = value.Now()
	default:
		v, ok := c.vars.lookup(n.variable)
		if !ok {
			return bson.RawValue{}, codes.New(17276, "Use of undefined variable: %s", n.variable)
		}
		base = v
	}
	return pathInto(base, n.path), nil
}

// pathInto resolves path (possibly empty) inside the value base.
func pathInto(base bson.RawValue, path []string) bson.RawValue {
	if len(path) == 0 {
		return base
	}
	switch base.Type {
	case bson.TypeEmbeddedDocument:
		return LookupPath(base.Document(), path)
	case bson.TypeArray:
		return LookupArray(base.Array(), path)
	}
	return bson.RawValue{}
}

// LookupPath resolves a field path as MongoDB's ExpressionFieldPath does:
// an array met on the way yields the array of the rest of the path applied
// to each of its sub-documents (non-documents and missing results skipped).
func LookupPath(doc bson.Raw, path []string) bson.RawValue {
	v, err := doc.LookupErr(path[0])
	if err != nil {
		return bson.RawValue{}
	}
	if len(path) == 1 {
		return v
	}
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		return LookupPath(v.Document(), path[1:])
	case bson.TypeArray:
		return LookupArray(v.Array(), path[1:])
	}
	return bson.RawValue{}
}

// LookupArray applies the rest of a field path to each sub-document of an array.
func LookupArray(arr bson.RawArray, path []string) bson.RawValue {
	vals, err := arr.Values()
	if err != nil {
		return bson.RawValue{}
	}
	out := make([]bson.RawValue, 0, len(vals))
	for _, ev := range vals {
		if ev.Type != bson.TypeEmbeddedDocument {
			continue
		}
		r := LookupPath(ev.Document(), path)
		if r.Type != 0 {
			out = append(out, r)
		}
	}
	return value.Array(out)
}

// array is an array expression; missing elements become null.
type array struct{ items []node }

// eval implements node.
func (n array) eval(c *env) (bson.RawValue, error) {
	out := make([]bson.RawValue, len(n.items))
	for i, it := range n.items {
		v, err := it.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type == 0 {
			v = value.Null
		}
		out[i] = v
	}
	return value.Array(out), nil
}

// object is an object expression; fields evaluating to missing are omitted.
type object struct {
	keys []string
	vals []node
}

// eval implements node.
func (n object) eval(c *env) (bson.RawValue, error) {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, k := range n.keys {
		v, err := n.vals[i].eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if v.Type == 0 {
			continue
		}
		dst = value.AppendElem(dst, k, v)
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: dst}, nil
}

// opCompiler compiles the argument of one operator.
type opCompiler func(op string, arg bson.RawValue, scope *Scope) (node, error)

// compileArgs compiles an operator's argument list: an array is the list,
// any other value is a single argument.
func compileArgs(arg bson.RawValue, scope *Scope) ([]node, error) {
	if arg.Type != bson.TypeArray {
		n, err := compile(arg, scope)
		if err != nil {
			return nil, err
		}
		return []node{n}, nil
	}
	vals, err := arg.Array().Values()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid array in expression: %v", err)
	}
	out := make([]node, len(vals))
	for i, v := range vals {
		if out[i], err = compile(v, scope); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// compileN compiles an argument list that must have exactly n elements
// (any number when n < 0).
func compileN(op string, arg bson.RawValue, scope *Scope, n int) ([]node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	if n >= 0 && len(args) != n {
		plural := "s"
		if n == 1 {
			plural = ""
		}
		return nil, codes.New(16020, "Expression %s takes exactly %d argument%s. %d were passed in.", op, n, plural, len(args))
	}
	return args, nil
}

// evalArgs evaluates each argument in order.
func evalArgs(c *env, args []node) ([]bson.RawValue, error) {
	out := make([]bson.RawValue, len(args))
	for i, a := range args {
		v, err := a.eval(c)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// compileLiteral compiles $literal: its argument is returned unevaluated.
func compileLiteral(op string, arg bson.RawValue, _ *Scope) (node, error) {
	return constant{v: arg}, nil
}

// cmp is $eq, $ne, $gt, $gte, $lt, $lte or $cmp.
type cmp struct {
	op   string
	a, b node
}

// compileCmp compiles the two-argument comparison operators.
func compileCmp(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 2)
	if err != nil {
		return nil, err
	}
	return cmp{op: op, a: args[0], b: args[1]}, nil
}

// eval implements node.
func (n cmp) eval(c *env) (bson.RawValue, error) {
	a, err := n.a.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	b, err := n.b.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	r := c.compare(a, b)
	switch n.op {
	case "$eq":
		return value.Bool(r == 0), nil
	case "$ne":
		return value.Bool(r != 0), nil
	case "$gt":
		return value.Bool(r > 0), nil
	case "$gte":
		return value.Bool(r >= 0), nil
	case "$lt":
		return value.Bool(r < 0), nil
	case "$lte":
		return value.Bool(r <= 0), nil
	}
	return value.Int32(int32(r)), nil
}

// compare is Compare extended with missing, which aggregation orders
// before every other value (so {$eq: ["$missing", null]} is false).
func compare(a, b bson.RawValue) int { return compareWith(a, b, nil) }

// compareWith is compare with strings ordered by sc (nil: bytes).
func compareWith(a, b bson.RawValue, sc value.StringComparer) int {
	switch {
	case a.Type == 0 && b.Type == 0:
		return 0
	case a.Type == 0:
		return -1
	case b.Type == 0:
		return 1
	}
	r := value.CompareWith(a, b, sc)
	switch {
	case r < 0:
		return -1
	case r > 0:
		return 1
	}
	return 0
}

// logic is $and or $or, short-circuiting like MongoDB.
type logic struct {
	and  bool
	args []node
}

// compileLogic compiles $and and $or (any number of arguments).
func compileLogic(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileArgs(arg, scope)
	if err != nil {
		return nil, err
	}
	return logic{and: op == "$and", args: args}, nil
}

// eval implements node.
func (n logic) eval(c *env) (bson.RawValue, error) {
	for _, a := range n.args {
		v, err := a.eval(c)
		if err != nil {
			return bson.RawValue{}, err
		}
		if Truthy(v) != n.and {
			return value.Bool(!n.and), nil
		}
	}
	return value.Bool(n.and), nil
}

// notExpr is $not.
type notExpr struct{ arg node }

// compileNot compiles $not (one argument).
func compileNot(op string, arg bson.RawValue, scope *Scope) (node, error) {
	args, err := compileN(op, arg, scope, 1)
	if err != nil {
		return nil, err
	}
	return notExpr{arg: args[0]}, nil
}

// eval implements node.
func (n notExpr) eval(c *env) (bson.RawValue, error) {
	v, err := n.arg.eval(c)
	if err != nil {
		return bson.RawValue{}, err
	}
	return value.Bool(!Truthy(v)), nil
}
