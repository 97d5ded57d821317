package sql

import (
	"fmt"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// CREATE TABLE ... (LIKE source [INCLUDING | EXCLUDING ...]): the new table takes source's columns, with their types
// and NOT NULL, in the place of the clause among its own, and by the clause's options more of source, as
// PostgreSQL's transformTableLikeClause does: DEFAULTS the default expressions (a serial column's still names
// source's sequence), GENERATED the generation expressions, IDENTITY identity columns with sequences of their own, CONSTRAINTS the CHECK constraints
// under their names, INDEXES the primary key, UNIQUE constraints and other indexes under the new table's names,
// COMMENTS the columns' comments. Foreign keys are never taken.

// The options of a LIKE clause (PostgreSQL's TableLikeOption bits).
const (
	likeComments    = 1 << 0
	likeConstraints = 1 << 2
	likeDefaults    = 1 << 3
	likeGenerated   = 1 << 4
	likeIdentity    = 1 << 5
	likeIndexes     = 1 << 6
)

// likeParts is what a LIKE clause takes from its source besides the columns: CHECK constraints, the primary key,
// UNIQUE constraints' columns, and the other indexes, made once the table is.
type likeParts struct {
	checks    []check
	key       []string
	uniques   [][]string
	uniqueNND []bool // whether each of uniques is NULLS NOT DISTINCT
	indexes   []*pg.IndexStmt
}

// tableLike appends the columns of the LIKE clause's source to t and returns the rest it takes.
func (x *exec) tableLike(t *table, lc *pg.TableLikeClause) (likeParts, error) {
	var parts likeParts
	src, err := x.lookupTable(lc.Relation.Relname, lc.Relation.Location)
	if err != nil {
		return parts, err
	}
	if !src.declared {
		return parts, unsupported("LIKE of a collection without declared columns")
	}
	opts := lc.Options
	for _, sc := range src.Columns {
		c := sc
		c.Sequence = ""
		if opts&likeComments == 0 {
			c.Comment = ""
		}
		if opts&likeGenerated == 0 {
			c.Generated = "" // a plain column of the same type
		}
		switch {
		case sc.Identity != "" && opts&likeIdentity != 0:
			c.Sequence = t.Name + "_" + c.Name + "_seq" // a free variant is taken when the table is made
			c.Default = nextvalDefault(c.Sequence)
		case sc.Identity != "":
			c.Identity, c.Default = "", ""
		case opts&likeDefaults == 0:
			c.Default = ""
		}
		if t.column(c.Name) != nil {
			return parts, errorf("42701", "column %q specified more than once", c.Name)
		}
		t.Columns = append(t.Columns, c)
	}
	if opts&likeConstraints != 0 {
		parts.checks = slices.Clone(src.Checks)
	}
	if opts&likeIndexes == 0 {
		return parts, nil
	}
	parts.key = slices.Clone(src.Key)
	specs, err := x.s.db().collection(src.Name).indexes(x.base)
	if err != nil {
		return parts, err
	}
	for _, s := range specs {
		if s.name == "_id_" {
			continue
		}
		nnd := slices.Contains(src.NullsNotDistinct, s.name)
		if cols, ok := uniqueConstraint(src, s); ok {
			parts.uniques = append(parts.uniques, cols)
			parts.uniqueNND = append(parts.uniqueNND, nnd)
			continue
		}
		is, err := likeIndex(t, src, s.keys, s.unique, src.Predicates[s.name])
		if err != nil {
			return parts, err
		}
		is.NullsNotDistinct = nnd
		parts.indexes = append(parts.indexes, is)
	}
	for _, a := range src.aliasNames() {
		al := src.Aliases[a]
		for _, s := range specs {
			if s.name != al.Index {
				continue
			}
			if _, ok := aliasConstraint(src, a, s); ok {
				cols, _ := indexColumns(src, s.keys)
				parts.uniques = append(parts.uniques, cols)
				parts.uniqueNND = append(parts.uniqueNND, false)
				continue
			}
			is, err := likeIndex(t, src, s.keys, al.Unique, src.Predicates[s.name])
			if err != nil {
				return parts, err
			}
			parts.indexes = append(parts.indexes, is)
		}
	}
	return parts, nil
}

// likeIndex is the CREATE INDEX, under a name of its own, that copies to t an index of src on keys.
func likeIndex(t, src *table, keys bson.Raw, unique bool, predicate string) (*pg.IndexStmt, error) {
	cols, desc := indexColumns(src, keys)
	is := &pg.IndexStmt{Relation: &pg.RangeVar{Relname: t.Name, Inh: true, Relpersistence: "p"}, Unique: unique}
	for i, c := range cols {
		ie := &pg.IndexElem{Name: c}
		if src.isIndexExpr(c) {
			n, err := parseExpr(c)
			if err != nil {
				return nil, err
			}
			ie = &pg.IndexElem{Expr: n}
		}
		if desc[i] {
			ie.Ordering = pg.SortByDir_SORTBY_DESC
		}
		is.IndexParams = append(is.IndexParams, &pg.Node{Node: &pg.Node_IndexElem{IndexElem: ie}})
	}
	if predicate != "" {
		n, err := parseExpr(predicate)
		if err != nil {
			return nil, fmt.Errorf("the WHERE clause of an index of %s: %w", src.Name, err)
		}
		is.WhereClause = n
	}
	return is, nil
}
