package sql

import (
	"bytes"
	"slices"
	"strings"

	"github.com/cockroachdb/apd/v3"
	"github.com/concorddb/concord"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Generated columns and index expressions, computed by the storage. SQL computes a table's generated columns and
// the hidden fields of its expression indexes on every write it makes (generated.go, exprindex.go), but a write
// over the MongoDB port or the embedded Go API would leave them as they were: a unique index on lower(email)
// would let "A@x" in beside "a@x", a generated total would go stale. So each expression that the storage's
// aggregation language evaluates exactly as SQL does is also given to the storage as a computed field of the
// table's collection (the engine's CollOptions.Computed): every write, whatever its path, sets the field to the
// expression's value over the row written, atomically with the write.
//
// Exactly as SQL does means the same value of the same BSON type. The expressions so given are columns of integer,
// double precision, numeric and text types, constants, + - * of numbers (integers with integers, with numeric or
// with double precision, not numeric with double precision, whose mix PostgreSQL computes in double precision and
// the storage in decimal), COALESCE, lower and upper (Unicode case mapping: $sqlLower, $sqlUpper), || of text, and
// the functions a CHECK constraint may call; the result is converted to the column's type (an int4 column's
// overflow fails the write). Other expressions, and columns of other types or with a length, precision or scale,
// stay computed by SQL writes only. Against a MongoDB deployment (concord sql --mongodb-uri), which has no
// computed fields, every expression is computed by SQL writes only.

// valueClass is the kind of value a storage expression yields.
type valueClass int

const (
	classNone valueClass = iota
	classInt
	classFloat
	classNumeric
	classText
)

// classOf is the class of a column type's values, classNone for the types storage expressions do not read.
func classOf(oid uint32) valueClass {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8:
		return classInt
	case OIDFloat8:
		return classFloat
	case OIDNumeric:
		return classNumeric
	case OIDText, OIDVarchar, OIDName:
		return classText
	}
	return classNone
}

// storageExpr translates n, an expression over tr's table, into an aggregation expression that gives exactly
// SQL's value, and its class; ok is false for an expression it does not translate.
func (tr *translator) storageExpr(n *pg.Node) (any, valueClass, bool) {
	if tr.isConst(n) {
		v, err := tr.constant(n)
		if err != nil {
			return nil, classNone, false
		}
		var ok bool
		var class valueClass
		switch v.(type) {
		case nil:
			return nil, classNone, true // NULL: any class
		case int64:
			class = classInt
		case float64:
			class = classFloat
		case *apd.Decimal:
			if v.(*apd.Decimal).Form != apd.Finite {
				return nil, classNone, false
			}
			class = classNumeric
		case string:
			class = classText
		default:
			return nil, classNone, false
		}
		var sv any
		if d, isDec := v.(*apd.Decimal); isDec {
			b, err := decToBSON(d) // a decimal128 with the constant's places, as SQL's numeric arithmetic keeps them
			if err != nil {
				return nil, classNone, false
			}
			sv = b
		} else if sv, ok = stored(v, 0); !ok {
			return nil, classNone, false
		}
		return bson.D{{Key: "$literal", Value: sv}}, class, true
	}
	if path, oid, ok := tr.column(n); ok {
		class := classOf(oid)
		return "$" + path, class, class != classNone
	}
	switch {
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_OP && n.GetAExpr().Lexpr != nil:
		a := n.GetAExpr()
		l, lc, ok := tr.storageExpr(a.Lexpr)
		if !ok {
			return nil, classNone, false
		}
		r, rc, ok := tr.storageExpr(a.Rexpr)
		if !ok {
			return nil, classNone, false
		}
		class, ok := mixClasses(lc, rc)
		if !ok {
			return nil, classNone, false
		}
		switch op := opName(a.Name); op {
		case "+", "-", "*":
			if class == classText {
				return nil, classNone, false
			}
			mop := map[string]string{"+": "$add", "-": "$subtract", "*": "$multiply"}[op]
			return bson.D{{Key: mop, Value: bson.A{l, r}}}, class, true
		case "||":
			if class != classText {
				return nil, classNone, false
			}
			return bson.D{{Key: "$concat", Value: bson.A{l, r}}}, classText, true
		}
		return nil, classNone, false
	case n.GetCoalesceExpr() != nil:
		args := bson.A{}
		class := classNone
		for _, a := range n.GetCoalesceExpr().Args {
			e, c, ok := tr.storageExpr(a)
			if !ok {
				return nil, classNone, false
			}
			if class, ok = mixClasses(class, c); !ok || class == classNumeric && c == classInt {
				// COALESCE(numeric, int) is numeric in SQL, the integer as it is in the storage.
				return nil, classNone, false
			}
			args = append(args, e)
		}
		if len(args) < 2 {
			return nil, classNone, false
		}
		return bson.D{{Key: "$ifNull", Value: args}}, class, true
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall()
		name := funcName(f)
		if (name == "lower" || name == "upper") && len(f.Args) == 1 && !f.AggStar && f.Over == nil {
			e, c, ok := tr.storageExpr(f.Args[0])
			if !ok || c != classText {
				return nil, classNone, false
			}
			op := "$sqlLower"
			if name == "upper" {
				op = "$sqlUpper"
			}
			return bson.D{{Key: op, Value: e}}, classText, true
		}
		if !checkFuncs[name] {
			return nil, classNone, false
		}
		checking := tr.checking
		tr.checking = true
		e, ok, err := tr.funcExpr(f)
		tr.checking = checking
		if err != nil || !ok {
			return nil, classNone, false
		}
		switch name {
		case "btrim", "ltrim", "rtrim":
			return e, classText, true
		case "abs":
			_, c, ok := tr.storageExpr(f.Args[0])
			return e, c, ok && c != classText
		}
		return e, classInt, true
	}
	return nil, classNone, false
}

// mixClasses is the class of an operation on values of classes a and b (classNone: a NULL constant, of any
// class), ok false for a mix whose SQL and storage values differ.
func mixClasses(a, b valueClass) (valueClass, bool) {
	switch {
	case a == classNone:
		return b, true
	case b == classNone || a == b:
		return a, true
	case a == classText || b == classText:
		return classNone, false
	case a == classInt:
		return b, true
	case b == classInt:
		return a, true
	}
	return classNone, false // numeric with double precision
}

// storedAs wraps e, of class c, in the conversion to the stored form of a column of type oid with modifier
// typmod (toStored), ok false where the storage's conversion is not SQL's.
func storedAs(e any, c valueClass, oid uint32, typmod int32) (any, bool) {
	if typmod > 0 {
		return nil, false // a length, precision or scale: SQL rounds or refuses, the storage would not
	}
	conv := ""
	switch {
	case oid == OIDInt4 && c == classInt:
		conv = "$toInt"
	case oid == OIDInt8 && c == classInt:
		conv = "$toLong"
	case oid == OIDFloat8 && (c == classInt || c == classFloat):
		conv = "$toDouble"
	case oid == OIDNumeric && (c == classInt || c == classNumeric):
		conv = "$toDecimal"
	case (oid == OIDText || oid == OIDVarchar) && c == classText:
		return e, true
	default:
		return nil, false
	}
	return bson.D{{Key: conv, Value: e}}, true
}

// hiddenAs wraps e, of class c, in the conversion to the form SQL keeps an index expression's value in
// (toBSON of the value: integers as int64).
func hiddenAs(e any, c valueClass) (any, bool) {
	switch c {
	case classInt:
		return bson.D{{Key: "$toLong", Value: e}}, true
	case classFloat:
		return bson.D{{Key: "$toDouble", Value: e}}, true
	case classNumeric:
		return bson.D{{Key: "$toDecimal", Value: e}}, true
	case classText:
		return e, true
	}
	return nil, false
}

// storageComputed are the computed fields the storage keeps for t: its generated columns, then its index
// expressions, each that translates.
func (x *exec) storageComputed(t *table) []computedSpec {
	if !t.hasGenerated() || !x.s.e.b.computedFields() {
		return nil
	}
	d := *t
	d.declared = true
	d.Computed = nil // an index expression is its hidden field to a filter (column1): here it is itself
	tr := &translator{x: x, t: &d, alias: t.Name}
	var out []computedSpec
	add := func(field, text string, conv func(any, valueClass) (any, bool)) {
		if strings.ContainsAny(field, ".$") {
			return
		}
		n, err := x.keptExpr(text)
		if err != nil {
			return
		}
		e, c, ok := tr.storageExpr(n)
		if !ok || c == classNone {
			return
		}
		if e, ok = conv(e, c); !ok {
			return
		}
		if _, isDoc := e.(bson.D); !isDoc {
			e = bson.D{{Key: "$ifNull", Value: bson.A{e, nil}}} // a field path: the storage keeps an expression document
		}
		raw, err := bson.Marshal(bson.D{{Key: "e", Value: e}})
		if err != nil {
			return
		}
		out = append(out, computedSpec{Field: field, Expr: bson.Raw(raw).Lookup("e").Document()})
	}
	for _, c := range t.Columns {
		if c.Generated != "" {
			add(t.field(c.Name), c.Generated, func(e any, class valueClass) (any, bool) { return storedAs(e, class, c.Type, c.TypMod) })
		}
	}
	for _, c := range t.Computed {
		add(c.Field, c.Expr, hiddenAs)
	}
	return out
}

// computedSpec is one computed field the storage keeps for a table: the field and its aggregation expression.
type computedSpec struct {
	Field string
	Expr  bson.Raw
}

// storageRules are what the storage keeps for a table whatever writes its rows: the computed fields of its
// generated columns and index expressions (storageComputed), the fields its NOT NULL columns must hold
// (required: the engine's CollectionOptions.Required, so that a write over the MongoDB port that leaves one out or
// null is refused, with DocumentValidationFailure, as an SQL write is with 23502), and the defaults an insert
// without the field gets (storageDefaults).
type storageRules struct {
	computed   []computedSpec
	required   []string
	defaults   []computedSpec      // the engine's CollectionOptions.Defaults (storagedefaults.go)
	references []concord.Reference // the engine's CollectionOptions.References (storagerefs.go)
}

// storageRulesOf are t's storage rules: storageComputed, storageDefaults, storageReferences and its NOT NULL columns'
// fields (but the key's, which is _id, and json or jsonb columns').
func (x *exec) storageRulesOf(t *table) storageRules {
	r := storageRules{computed: x.storageComputed(t), defaults: x.storageDefaults(t), references: x.storageReferences(t)}
	if !x.s.e.b.computedFields() {
		return r
	}
	for _, c := range t.Columns {
		// A json or jsonb column's null is the JSON null, a value its NOT NULL allows: the storage's rule, which
		// refuses a null, would refuse it.
		json := c.Type == OIDJSON || c.Type == OIDJSONB
		if f := t.field(c.Name); c.NotNull && !json && !slices.Contains(t.Key, c.Name) && !strings.ContainsAny(f, ".$") {
			r.required = append(r.required, f)
		}
	}
	return r
}

// same reports whether r and o are the same rules, in the same order.
func (r storageRules) same(o storageRules) bool {
	eq := func(x, y computedSpec) bool { return x.Field == y.Field && bytes.Equal(x.Expr, y.Expr) }
	return slices.EqualFunc(r.computed, o.computed, eq) && slices.EqualFunc(r.defaults, o.defaults, eq) && slices.Equal(r.required, o.required) &&
		sameReferences(r.references, o.references)
}

// syncStorageRules gives t's collection the storage rules storageRulesOf makes of t when it has others: after every
// save of t's catalog entry (saveTable), and when a statement reads a table whose collection's rules are not
// those (made before the storage kept them, or its collection made again over the MongoDB port: readTable).
// Inside a transaction block (whose ROLLBACK cannot take back a change of the collection's options), a rule the
// block drops goes at once (DROP NOT NULL: the block's own writes may then leave the column NULL), and the rules
// it adds wait for its COMMIT; its end, COMMIT or ROLLBACK, sets the table's rules as its catalog then has them
// (endBlockRules).
func (x *exec) syncStorageRules(t *table) error {
	if t.View != "" || !t.declared || !x.s.e.b.computedFields() {
		return nil
	}
	want, have := x.storageRulesOf(t), x.s.db().storageRulesIn(t.Name)
	if want.same(have) {
		return nil
	}
	if x.inBlock() {
		if x.s.ddl != nil && !slices.Contains(x.s.ddl.rules, t.Name) {
			x.s.ddl.rules = append(x.s.ddl.rules, t.Name)
		}
		looser := storageRules{computed: have.computed, defaults: have.defaults, references: have.references}
		for _, f := range have.required {
			if slices.Contains(want.required, f) {
				looser.required = append(looser.required, f)
			}
		}
		if len(looser.required) < len(have.required) {
			return x.s.db().setStorageRules(x.base, t.Name, looser)
		}
		return nil
	}
	return x.s.db().setStorageRules(x.base, t.Name, want)
}

// storageRulesInStep reports whether t's collection has the storage rules storageRulesOf makes of t.
func (x *exec) storageRulesInStep(t *table) bool {
	if t.View != "" || !t.declared || !x.s.e.b.computedFields() {
		return true
	}
	return x.storageRulesOf(t).same(x.s.db().storageRulesIn(t.Name))
}

// storageComputes are the fields the storage computes for t now: those t's collection has. A statement reads it
// for every write, so it asks the storage only, without translating t's expressions again: the collection has
// the fields storageComputed gives (the statement found t in step, or made it so: readTable), but for additions
// of a transaction block's DDL, which the storage gets at COMMIT and SQL computes meanwhile.
func (x *exec) storageComputes(t *table) map[string]bool {
	if !x.s.e.b.computedFields() {
		return nil
	}
	have := x.s.db().storageRulesIn(t.Name).computed
	if len(have) == 0 {
		return nil
	}
	out := make(map[string]bool, len(have))
	for _, h := range have {
		out[h.Field] = true
	}
	return out
}

// hasNotNull reports whether t has a NOT NULL column the storage requires (storageRulesOf).
func (t *table) hasNotNull() bool {
	return slices.ContainsFunc(t.Columns, func(c column) bool { return c.NotNull && !slices.Contains(t.Key, c.Name) })
}

// hasDefault reports whether t has a column with a DEFAULT, which the storage may keep (storageDefaults).
func (t *table) hasDefault() bool {
	return slices.ContainsFunc(t.Columns, func(c column) bool { return c.Default != "" })
}
