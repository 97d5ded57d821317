package sql

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// relCol is one column of a relation. A base table's scan has, besides its
// columns, one hidden column per source holding the whole document, so that
// fields no column names (nested fields, the fields of a collection written
// over the MongoDB port) stay reachable.
type relCol struct {
	qual   string // the table's name or alias; "" for computed columns
	name   string
	oid    uint32 // 0 when unknown until values are seen
	typmod int32  // a table column's type modifier (typmod.go), carried through plain references to it
	scale  int32  // a numeric expression's decimal places, when they follow from it (scaleOfExpr); 0 for none
	field  string // the document path of a base table's column, for pushdown
	hidden bool   // the source's document (a bson.Raw)
	open   bool   // hidden column of a schemaless source: unknown names are fields
	table  string // a hidden column's table (SELECT ... FOR UPDATE locks its documents)
	// merged is a join input's column that JOIN ... USING (or NATURAL JOIN) merged into one output column: only
	// a qualified reference (a.id) and a qualified star (a.*) see it.
	merged bool
	// whole is the alias of a function returning one value (FROM jsonb_array_elements_text(x) AS t): a reference by
	// name reads the value, as PostgreSQL's whole-row reference of a scalar result does; * does not show it.
	whole bool
}

// relation is a set of rows with named columns: a table's scan, a join, a
// CTE's result, a subquery's.
type relation struct {
	cols []relCol
	rows [][]any
}

// visible returns the indexes of the columns * expands to, for qual (""
// for all sources).
func (r *relation) visible(qual string) []int {
	var out []int
	for i, c := range r.cols {
		if !c.hidden && !c.whole && (qual == "" && !c.merged || qual != "" && c.qual == qual) {
			out = append(out, i)
		}
	}
	return out
}

// scope is what an expression sees: the columns and values of the current
// row, the enclosing query's scope for correlated subqueries, and, in a
// grouped query, the rows of the current group.
type scope struct {
	cols   []relCol
	row    []any
	outer  *scope
	group  [][]any                // the current group's rows; nil when not grouping
	window map[*pg.FuncCall][]any // window function results by call, indexed by rowIdx
	rowIdx int
	alias  map[string]int // output aliases usable in ORDER BY, to positions in aliasVals
	aliasV []any
	// grouping holds the texts of the expressions the current group's grouping set groups by (GROUP BY ROLLUP
	// ...), for grouping(); nil otherwise.
	grouping map[string]bool
	// read is set when an expression reads this scope's row, group, window values or grouping set: a subquery's
	// run that reads a scope outside it is correlated (initplan.go).
	read bool
}

// lookup resolves a column reference to a value: a column of this scope, a
// field of a named column (address.city), a field of a schemaless source's
// document, or the same in an outer scope. found is false when nothing
// matched; err is 42702 for an ambiguous name.
func (sc *scope) lookup(fields []string) (v any, oid uint32, found bool, err error) {
	for s := sc; s != nil; s = s.outer {
		// a.x names source a's column: a schemaless source of an inner scope does not take it as its field
		// a.x when an outer scope has a source named a (a correlated subquery's reference).
		outerQual := len(fields) >= 2 && s.outer.qualifies(fields[0])
		v, oid, found, err = s.lookupHere(fields, outerQual)
		if found {
			s.read = true
		}
		if found || err != nil {
			return v, oid, found, err
		}
	}
	return nil, 0, false, nil
}

// schemaless reports whether a column reference names a column of a schemaless source (a collection written
// without a table definition), whose type is only a sample's: its values may be of any type.
func (sc *scope) schemaless(fields []string) bool {
	for s := sc; s != nil; s = s.outer {
		for _, c := range s.cols {
			if c.hidden || c.merged {
				continue
			}
			if len(fields) >= 2 && c.qual == fields[0] && c.name == fields[1] || c.name == fields[0] {
				return s.openSource(c.qual)
			}
		}
		if len(fields) >= 2 && s.openSource(fields[0]) {
			return true
		}
	}
	return false
}

// openSource reports whether sc's source qual is schemaless (its hidden column is open).
func (sc *scope) openSource(qual string) bool {
	for _, c := range sc.cols {
		if c.hidden && c.open && c.qual == qual {
			return true
		}
	}
	return false
}

// qualifies reports whether name is a source's name in sc or a scope outside it.
func (sc *scope) qualifies(name string) bool {
	for s := sc; s != nil; s = s.outer {
		if isQualifier(s.cols, name) {
			return true
		}
	}
	return false
}

func (sc *scope) lookupHere(fields []string, outerQual bool) (any, uint32, bool, error) {
	if len(fields) == 1 && sc.alias != nil {
		if i, ok := sc.alias[fields[0]]; ok {
			if i < 0 {
				return nil, 0, false, errorf(CodeAmbiguousColumn, "ORDER BY \"%s\" is ambiguous", fields[0])
			}
			return sc.aliasV[i], 0, true, nil
		}
	}
	// A source's star as an expression's operand (count(t.*), row_to_json(t.*)): its whole row (record.go), whatever
	// columns are named as the source is.
	if len(fields) == 2 && fields[1] == "*" && isQualifier(sc.cols, fields[0]) {
		v, oid := sc.wholeRow(fields[0])
		return v, oid, true, nil
	}
	// qual.col[.path]
	if len(fields) >= 2 {
		for i, c := range sc.cols {
			if !c.hidden && c.qual == fields[0] && c.name == fields[1] {
				return descend(sc.row[i], fields[2:]), c.oid, true, nil
			}
		}
		for i, c := range sc.cols {
			if c.open && c.qual == fields[0] {
				return docField(sc.row[i], fields[1:]), 0, true, nil
			}
		}
	}
	// col[.path]
	idx := -1
	for i, c := range sc.cols {
		if !c.hidden && !c.merged && c.name == fields[0] {
			if idx >= 0 && sc.cols[idx].qual != c.qual {
				return nil, 0, false, errorf(CodeAmbiguousColumn, "column reference %q is ambiguous", fields[0])
			}
			if idx < 0 {
				idx = i
			}
		}
	}
	if idx >= 0 {
		return descend(sc.row[idx], fields[1:]), sc.cols[idx].oid, true, nil
	}
	// A dotted name in quotes: "address.city".
	if len(fields) == 1 && strings.Contains(fields[0], ".") {
		if v, oid, ok, err := sc.lookupHere(strings.Split(fields[0], "."), outerQual); ok || err != nil {
			return v, oid, ok, err
		}
	}
	// A source's name alone: its whole row (record.go).
	if len(fields) == 1 && isQualifier(sc.cols, fields[0]) {
		v, oid := sc.wholeRow(fields[0])
		return v, oid, true, nil
	}
	// A field of the one schemaless source in scope.
	open := -1
	for i, c := range sc.cols {
		if c.open {
			if open >= 0 {
				return nil, 0, false, nil
			}
			open = i
		}
	}
	if open >= 0 && !isQualifier(sc.cols, fields[0]) && !outerQual {
		return docField(sc.row[open], fields), 0, true, nil
	}
	return nil, 0, false, nil
}

// isQualifier reports whether name is a source's name in cols.
func isQualifier(cols []relCol, name string) bool {
	for _, c := range cols {
		if c.qual == name {
			return true
		}
	}
	return false
}

// descend follows a path of field names into a jsonb value.
func descend(v any, path []string) any {
	for _, f := range path {
		if r, ok := v.(record); ok { // a record's field: (information_schema._pg_expandarray(a)).n
			i := slices.Index(r.names, f)
			if i < 0 {
				return nil
			}
			v = r.vals[i]
			continue
		}
		rv, ok := v.(bson.RawValue)
		if !ok || rv.Type != bson.TypeEmbeddedDocument {
			return nil
		}
		v = fromBSON(rv.Document().Lookup(f))
	}
	return v
}

// docField reads a (dotted) field of a hidden document column.
func docField(doc any, path []string) any {
	raw, ok := doc.(bson.Raw)
	if !ok || len(path) == 0 {
		return nil
	}
	return descend(fromBSON(raw.Lookup(path[0])), path[1:])
}

// columnFields returns the names of a ColumnRef ("*" for a star).
func columnFields(cr *pg.ColumnRef) []string {
	out := make([]string, len(cr.Fields))
	for i, f := range cr.Fields {
		if f.GetAStar() != nil {
			out[i] = "*"
		} else {
			out[i] = f.GetString_().GetSval()
		}
	}
	return out
}
