package sql

import (
	"regexp"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// The functions and matches a CHECK constraint may use beyond comparisons and arithmetic. The storage evaluates a
// table's checks (its collection's validator, checks.go), so each of these has an aggregation expression that
// gives PostgreSQL's value for every row, NULL included: `length(name) > 0`, `char_length(code) BETWEEN 2 AND
// 5`, `btrim(title) <> ''`, `num_nonnulls(a, b) = 1`, `cardinality(tags) <= 10`, `email LIKE '%@%'`,
// `slug ~ '^[a-z0-9-]+$'`, `length(code) IN (2, 3)`. lower and upper are not among them: the query language's
// $toLower and $toUpper change ASCII letters only, PostgreSQL's every letter.

// checkFuncs are the functions a CHECK expression may call.
var checkFuncs = map[string]bool{
	"length": true, "char_length": true, "character_length": true, "octet_length": true,
	"btrim": true, "ltrim": true, "rtrim": true, "abs": true,
	"num_nonnulls": true, "num_nulls": true, "cardinality": true, "array_length": true,
}

// patternFuncs rewrite a constant pattern of LIKE ... ESCAPE and SIMILAR TO, which the parser makes calls of: a
// CHECK expression may call them, as matchTruth takes the pattern they make as a constant.
var patternFuncs = map[string]bool{"like_escape": true, "similar_to_escape": true}

// funcExpr translates a call of one of checkFuncs.
func (tr *translator) funcExpr(f *pg.FuncCall) (any, bool, error) {
	name := funcName(f)
	if !checkFuncs[name] || f.AggStar || f.AggDistinct || f.AggFilter != nil || f.Over != nil || len(f.AggOrder) > 0 {
		return nil, false, nil
	}
	args := f.Args
	switch name {
	case "length", "char_length", "character_length", "octet_length":
		if len(args) != 1 {
			return nil, false, nil
		}
		e, ok, err := tr.textExpr(args[0], name != "octet_length")
		if err != nil || !ok {
			return nil, ok, err
		}
		op := "$strLenCP"
		if name == "octet_length" {
			op = "$strLenBytes"
		}
		return ifString(e, bson.D{{Key: op, Value: e}}), true, nil
	case "btrim", "ltrim", "rtrim":
		if len(args) < 1 || len(args) > 2 {
			return nil, false, nil
		}
		e, ok, err := tr.textExpr(args[0], false)
		if err != nil || !ok {
			return nil, ok, err
		}
		chars := " "
		if len(args) == 2 {
			if !tr.isConst(args[1]) {
				return nil, false, nil
			}
			v, err := tr.constant(args[1])
			if err != nil {
				return nil, false, err
			}
			if v == nil {
				return nil, true, nil
			}
			s, isText := v.(string)
			if !isText {
				return nil, false, nil
			}
			if s == "" {
				return e, true, nil
			}
			chars = s
		}
		op := map[string]string{"btrim": "$trim", "ltrim": "$ltrim", "rtrim": "$rtrim"}[name]
		return bson.D{{Key: op, Value: bson.D{{Key: "input", Value: e}, {Key: "chars", Value: chars}}}}, true, nil
	case "abs":
		if len(args) != 1 {
			return nil, false, nil
		}
		if _, oid, ok := tr.column(args[0]); ok && !isNumericType(oid) {
			return nil, false, nil
		}
		e, ok, err := tr.expr(args[0])
		if err != nil || !ok {
			return nil, ok, err
		}
		return bson.D{{Key: "$abs", Value: e}}, true, nil
	case "num_nonnulls", "num_nulls":
		if len(args) == 0 {
			return nil, false, nil
		}
		yes, no := 1, 0
		if name == "num_nulls" {
			yes, no = 0, 1
		}
		sum := bson.A{}
		for _, a := range args {
			var e any
			if path, _, ok := tr.column(a); ok {
				e = "$" + path // whatever its type: only whether it is NULL counts
			} else {
				var err error
				if e, ok, err = tr.expr(a); err != nil || !ok {
					return nil, ok, err
				}
			}
			sum = append(sum, bson.D{{Key: "$cond", Value: bson.A{bson.D{{Key: "$gt", Value: bson.A{e, nil}}}, yes, no}}})
		}
		return bson.D{{Key: "$add", Value: sum}}, true, nil
	case "cardinality", "array_length":
		if len(args) != map[string]int{"cardinality": 1, "array_length": 2}[name] {
			return nil, false, nil
		}
		path, oid, ok := tr.column(args[0])
		if !ok || !isArrayType(oid) {
			return nil, false, nil
		}
		e := "$" + path
		size := bson.D{{Key: "$size", Value: e}}
		if name == "cardinality" {
			return bson.D{{Key: "$cond", Value: bson.A{bson.D{{Key: "$isArray", Value: e}}, size, nil}}}, true, nil
		}
		if !tr.isConst(args[1]) {
			return nil, false, nil
		}
		dim, err := tr.constant(args[1])
		if err != nil {
			return nil, false, err
		}
		d, isInt := dim.(int64)
		switch {
		case dim == nil:
			return nil, true, nil
		case !isInt:
			return nil, false, nil
		case d != 1:
			// The arrays of a table are one-dimensional: their length in any other dimension is NULL.
			return nil, true, nil
		}
		// An empty array has no dimensions: its length is NULL.
		nonEmpty := bson.D{{Key: "$cond", Value: bson.A{bson.D{{Key: "$gt", Value: bson.A{size, 0}}}, size, nil}}}
		return bson.D{{Key: "$cond", Value: bson.A{bson.D{{Key: "$isArray", Value: e}}, nonEmpty, nil}}}, true, nil
	}
	return nil, false, nil
}

// ifString is e's value through op when e is a string, else NULL: the string operators fail on anything else.
func ifString(e any, op bson.D) bson.D {
	isString := bson.D{{Key: "$eq", Value: bson.A{bson.D{{Key: "$type", Value: e}}, "string"}}}
	return bson.D{{Key: "$cond", Value: bson.A{isString, op, nil}}}
}

// textExpr translates an expression of a text type: a text or varchar column (char(n) too when bpchar: its
// values are kept without their padding, which length does not count), or a trim of one.
func (tr *translator) textExpr(n *pg.Node, bpchar bool) (any, bool, error) {
	if path, oid, ok := tr.column(n); ok {
		switch oid {
		case OIDText, OIDVarchar, OIDName:
			return "$" + path, true, nil
		case OIDBpchar:
			return "$" + path, bpchar, nil
		}
		return nil, false, nil
	}
	if f := n.GetFuncCall(); f != nil {
		switch funcName(f) {
		case "btrim", "ltrim", "rtrim":
			return tr.funcExpr(f)
		}
	}
	return nil, false, nil
}

// isMatch reports whether a is a LIKE, ILIKE or regular expression match (negated or not).
func isMatch(a *pg.A_Expr) bool {
	switch a.Kind {
	case pg.A_Expr_Kind_AEXPR_LIKE, pg.A_Expr_Kind_AEXPR_ILIKE, pg.A_Expr_Kind_AEXPR_SIMILAR:
		return true
	case pg.A_Expr_Kind_AEXPR_OP:
		switch opName(a.Name) {
		case "~", "~*", "!~", "!~*":
			return true
		}
	}
	return false
}

// matchTruth translates "a is want" for a LIKE or regular expression match of a text expression against a
// constant pattern: $regexMatch, false when the subject is NULL either way.
func (tr *translator) matchTruth(a *pg.A_Expr, want bool) (any, bool, error) {
	subject, ok, err := tr.textExpr(a.Lexpr, false)
	if err != nil || !ok || !tr.isConst(a.Rexpr) {
		return nil, false, err
	}
	v, err := tr.constant(a.Rexpr)
	if err != nil {
		return nil, false, err
	}
	if v == nil {
		return false, true, nil // NULL either way
	}
	p, isText := v.(string)
	if !isText {
		return nil, false, nil
	}
	op := opName(a.Name)
	// PostgreSQL's . and bracket expressions match a newline too (s), in LIKE and in regular expressions.
	options := "s"
	if strings.HasSuffix(op, "*") {
		options = "is"
	}
	var pattern string
	if a.Kind == pg.A_Expr_Kind_AEXPR_OP || a.Kind == pg.A_Expr_Kind_AEXPR_SIMILAR { // SIMILAR TO's pattern is a regular expression by now
		if _, err := regexp.Compile(p); err != nil {
			return nil, false, errorf("2201B", "invalid regular expression: %v", err)
		}
		pattern = endOfText(p)
	} else {
		pattern = likePattern(p)
	}
	match := bson.D{{Key: "$regexMatch", Value: bson.D{{Key: "input", Value: subject}, {Key: "regex", Value: pattern}, {Key: "options", Value: options}}}}
	if want != strings.HasPrefix(op, "!") {
		return match, true, nil
	}
	return bson.D{{Key: "$and", Value: bson.A{
		bson.D{{Key: "$gt", Value: bson.A{subject, nil}}},
		bson.D{{Key: "$not", Value: bson.A{match}}},
	}}}, true, nil
}

// endOfText rewrites a regular expression's $ anchors (outside brackets, unescaped) as \z: in PostgreSQL's
// regular expressions, as in Go's, $ is the end of the text; in the storage's (PCRE's) it also matches before a
// final newline.
func endOfText(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			i++
			b.WriteByte(p[i])
			continue
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			b.WriteByte(c)
			// A ] first in a bracket expression (after an optional ^) is one of its characters.
			if i+1 < len(p) && p[i+1] == '^' {
				i++
				b.WriteByte('^')
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
				b.WriteByte(']')
			}
			continue
		case c == '$':
			b.WriteString(`\z`)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// inTruth translates "a is want" for x IN (constants) or x NOT IN (constants), x an expression: true when x
// equals an item; false when x is not NULL, equals none and no item is NULL.
func (tr *translator) inTruth(a *pg.A_Expr, want bool) (any, bool, error) {
	list := a.Rexpr.GetList()
	if list == nil {
		return nil, false, nil
	}
	x, ok, err := tr.expr(a.Lexpr)
	if err != nil || !ok {
		return nil, ok, err
	}
	positive := (opName(a.Name) == "=") == want
	items := bson.A{}
	for _, it := range list.Items {
		if !tr.isConst(it) {
			return nil, false, nil
		}
		v, err := tr.constant(it)
		if err != nil {
			return nil, false, err
		}
		if v == nil {
			if !positive {
				return false, true, nil
			}
			continue
		}
		e, ok, err := tr.expr(it)
		if err != nil || !ok {
			return nil, ok, err
		}
		items = append(items, e)
	}
	in := any(bson.D{{Key: "$in", Value: bson.A{x, items}}})
	if !positive {
		in = bson.D{{Key: "$not", Value: bson.A{in}}}
	}
	return bson.D{{Key: "$and", Value: bson.A{bson.D{{Key: "$gt", Value: bson.A{x, nil}}}, in}}}, true, nil
}
