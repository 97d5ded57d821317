package sql

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Expression indexes: CREATE [UNIQUE] INDEX ... ON t (lower(email)), ((a + b)). The storage indexes fields, so an
// expression's value is kept in a hidden field of each row (a computed field: __x_<hash of the expression>),
// written with the row as a generated column's value is (generated.go: an INSERT computes it, an UPDATE of a column
// it reads computes it again in the statement's transaction), and the index is built on that field. SELECT * does
// not show it; documents read over the MongoDB port do. A unique expression index so keeps, say, emails unique
// whatever their case. The catalogs show the expression (pg_indexes, \d, pg_index.indexprs), a duplicate key's
// message names it, and a filter on the expression is a filter on the field (translate.go's column1), which the
// index serves. The field goes when the last index on it is dropped, or with a column it reads.

// computedField is an expression kept in a hidden field of every row, for the indexes on it.
type computedField struct {
	Field string `bson:"field"`
	Expr  string `bson:"expr"`
}

// computedFieldName is the hidden field of an expression of a table.
func computedFieldName(expr string) string {
	sum := sha1.Sum([]byte(expr))
	return "__x_" + hex.EncodeToString(sum[:6])
}

// computedByField is the expression kept in field, "" when field is no computed field of t.
func (t *table) computedByField(field string) string {
	for _, c := range t.Computed {
		if c.Field == field {
			return c.Expr
		}
	}
	return ""
}

// isIndexExpr reports whether an index column name (indexColumns) is one of t's expressions.
func (t *table) isIndexExpr(name string) bool {
	return slices.ContainsFunc(t.Computed, func(c computedField) bool { return c.Expr == name })
}

// indexElemExpr is how pg_get_indexdef writes an expression of an index: a function call as it is, anything else
// in parentheses.
func indexElemExpr(expr string, pretty bool) string {
	if n, err := parseExpr(expr); err == nil && n.GetFuncCall() != nil {
		return expr
	}
	return "(" + exprDisplay(expr, pretty) + ")"
}

// indexExprName is an expression's part in an index's default name, as PostgreSQL's FigureIndexColname gives it:
// a function's name, else "expr".
func indexExprName(n *pg.Node) string {
	if f := n.GetFuncCall(); f != nil {
		return funcName(f)
	}
	return "expr"
}

// addComputed gives t the computed field of an index expression n (CREATE INDEX), checked as a generation
// expression is; it returns the field and whether t gained it (an expression another index has keeps its field).
func addComputed(t *table, n *pg.Node) (string, bool, error) {
	if _, err := generatedExpr(t, "", n, true); err != nil {
		return "", false, err
	}
	text, err := deparseExpr(n)
	if err != nil {
		return "", false, err
	}
	for _, c := range t.Computed {
		if c.Expr == text {
			return c.Field, false, nil
		}
	}
	f := computedFieldName(text)
	t.Computed = append(slices.Clone(t.Computed), computedField{Field: f, Expr: text})
	return f, true, nil
}

// dropUnusedComputed takes out of t's catalog entry, and out of its rows, the computed fields no index of t is on
// any longer (after DROP INDEX).
func (x *exec) dropUnusedComputed(t *table) error {
	if len(t.Computed) == 0 {
		return nil
	}
	coll := x.s.db().collection(t.Name)
	specs, err := coll.indexes(x.base)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, s := range specs {
		for _, e := range s.keyDoc() {
			used[e.Key] = true
		}
	}
	var kept []computedField
	unset := bson.D{}
	for _, c := range t.Computed {
		if used[c.Field] {
			kept = append(kept, c)
		} else {
			unset = append(unset, bson.E{Key: c.Field, Value: ""})
		}
	}
	if len(unset) == 0 {
		return nil
	}
	nt := *t
	nt.Computed = kept
	if err := x.saveTable(&nt); err != nil {
		return err
	}
	_, err = coll.updateMany(withoutValidation(x.base), bson.D{}, bson.D{{Key: "$unset", Value: unset}})
	return err
}

// computedField is the hidden field that keeps expression n over the translator's table, "" when no expression
// index is on it: n's text, its columns named without the table's alias, is a computed field's expression.
func (tr *translator) computedField(n *pg.Node) string {
	switch {
	case n.GetFuncCall() != nil, n.GetAExpr() != nil, n.GetTypeCast() != nil, n.GetCoalesceExpr() != nil:
	default:
		return ""
	}
	own := true // every column the expression reads is the table's own (not an outer query's)
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok {
			if _, _, ok := tr.column1(&pg.Node{Node: &pg.Node_ColumnRef{ColumnRef: cr}}); !ok {
				own = false
			}
		}
		return !own
	})
	if !own {
		return ""
	}
	c := proto.Clone(n).(*pg.Node)
	walk(c.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok && len(cr.Fields) == 2 && cr.Fields[0].GetString_().GetSval() == tr.alias {
			cr.Fields = cr.Fields[1:]
		}
		return false
	})
	text, err := deparseExpr(c)
	if err != nil {
		return ""
	}
	for _, f := range tr.t.Computed {
		if f.Expr == text {
			return f.Field
		}
	}
	return ""
}
