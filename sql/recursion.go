package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// PostgreSQL's rules for a WITH RECURSIVE query that names itself (parse_cte.c's checkWellFormedRecursion and
// parse_agg.c), checked before any WITH query of the clause runs: it is non-recursive-term UNION [ALL]
// recursive-term, the recursive term names the query exactly once, and not inside a subquery, an outer join's
// nullable side, INTERSECT or EXCEPT; the term that names it has no aggregate; ORDER BY, LIMIT, OFFSET and FOR
// UPDATE are not put on the whole UNION. A reference elsewhere would read a working table that changes from
// round to round, which the rules keep out.

// recursionPlace is where a self-reference is being looked for, as PostgreSQL names the places it refuses.
type recursionPlace int

const (
	recursionOK recursionPlace = iota
	recursionNonRecursiveTerm
	recursionSubLink
	recursionOuterJoin
	recursionIntersect
	recursionExcept
)

var recursionPlaces = map[recursionPlace]string{
	recursionNonRecursiveTerm: "within its non-recursive term",
	recursionSubLink:          "within a subquery",
	recursionOuterJoin:        "within an outer join",
	recursionIntersect:        "within INTERSECT",
	recursionExcept:           "within EXCEPT",
}

// referencesSelf reports whether a WITH RECURSIVE query names itself anywhere in its query.
func referencesSelf(cte *pg.CommonTableExpr) bool {
	return walk(cte.Ctequery.ProtoReflect(), func(m protoreflect.Message) bool {
		rv, ok := m.Interface().(*pg.RangeVar)
		return ok && rv.Schemaname == "" && rv.Relname == cte.Ctename
	})
}

// checkRecursion checks a self-referencing WITH RECURSIVE query against PostgreSQL's rules.
func checkRecursion(cte *pg.CommonTableExpr) error {
	sel := cte.Ctequery.GetSelectStmt()
	if sel == nil {
		return nil
	}
	name := cte.Ctename
	if sel.Op != pg.SetOperation_SETOP_UNION {
		return &Error{Code: CodeInvalidRecursion, Message: fmt.Sprintf("recursive query \"%s\" does not have the form non-recursive-term UNION [ALL] recursive-term", name),
			Position: int(cte.Location) + 1}
	}
	c := &recursionCheck{name: name}
	c.visit(sel.Larg.ProtoReflect(), recursionNonRecursiveTerm)
	c.visit(sel.Rarg.ProtoReflect(), recursionOK)
	if sel.WithClause != nil {
		for _, w := range sel.WithClause.Ctes {
			c.visit(w.GetCommonTableExpr().Ctequery.ProtoReflect(), recursionSubLink)
		}
	}
	if c.err != nil {
		return c.err
	}
	notImplemented := func(what string, at *pg.Node) error {
		e := &Error{Code: CodeFeatureNotSupported, Message: what + " in a recursive query is not implemented"}
		if at != nil {
			e.Position = leftmostLocation(at) + 1
		}
		return e
	}
	switch {
	case len(sel.SortClause) > 0:
		return notImplemented("ORDER BY", sel.SortClause[0].GetSortBy().Node)
	case sel.LimitOffset != nil:
		return notImplemented("OFFSET", sel.LimitOffset)
	case sel.LimitCount != nil:
		return notImplemented("LIMIT", sel.LimitCount)
	case len(sel.LockingClause) > 0:
		return notImplemented("FOR UPDATE/SHARE", nil)
	}
	return nil
}

// recursionCheck walks a recursive query for its references to itself.
type recursionCheck struct {
	name  string
	refs  int
	level bool // the SELECT being walked reads the query itself in its FROM
	err   error
}

func (c *recursionCheck) visit(m protoreflect.Message, place recursionPlace) {
	if c.err != nil || !m.IsValid() {
		return
	}
	switch n := m.Interface().(type) {
	case *pg.RangeVar:
		if n.Schemaname != "" || n.Relname != c.name {
			return
		}
		if what, bad := recursionPlaces[place]; bad {
			c.fail(fmt.Sprintf("recursive reference to query \"%s\" must not appear %s", c.name, what), n.Location)
			return
		}
		if c.refs++; c.refs > 1 {
			c.fail(fmt.Sprintf("recursive reference to query \"%s\" must not appear more than once", c.name), n.Location)
			return
		}
		c.level = true
	case *pg.SubLink:
		c.visit(n.Testexpr.ProtoReflect(), place)
		c.visit(n.Subselect.ProtoReflect(), recursionSubLink)
	case *pg.JoinExpr:
		left, right := place, place
		if place == recursionOK {
			switch n.Jointype {
			case pg.JoinType_JOIN_LEFT:
				right = recursionOuterJoin
			case pg.JoinType_JOIN_RIGHT:
				left = recursionOuterJoin
			case pg.JoinType_JOIN_FULL:
				left, right = recursionOuterJoin, recursionOuterJoin
			}
		}
		c.visit(n.Larg.ProtoReflect(), left)
		c.visit(n.Rarg.ProtoReflect(), right)
		c.visit(n.Quals.ProtoReflect(), place)
	case *pg.SelectStmt:
		c.visitSelect(n, place)
	default:
		c.children(m, place)
	}
}

// visitSelect walks a SELECT inside the recursive query: a WITH query of its own of the same name hides the
// outer one, a set operation's sides take INTERSECT's and EXCEPT's places, and a SELECT that reads the query in
// its FROM may not aggregate.
func (c *recursionCheck) visitSelect(sel *pg.SelectStmt, place recursionPlace) {
	if sel.WithClause != nil {
		for _, w := range sel.WithClause.Ctes {
			if w.GetCommonTableExpr().Ctename == c.name {
				return
			}
		}
	}
	if sel.Op == pg.SetOperation_SETOP_UNION || sel.Op == pg.SetOperation_SETOP_INTERSECT || sel.Op == pg.SetOperation_SETOP_EXCEPT {
		left := place
		switch {
		case sel.Op == pg.SetOperation_SETOP_INTERSECT && sel.All:
			left = recursionIntersect
		case sel.Op == pg.SetOperation_SETOP_EXCEPT && sel.All:
			left = recursionExcept
		}
		right := left
		if sel.Op == pg.SetOperation_SETOP_EXCEPT {
			right = recursionExcept // EXCEPT's right side never holds the reference
		}
		c.visit(sel.Larg.ProtoReflect(), left)
		c.visit(sel.Rarg.ProtoReflect(), right)
		return
	}
	outer := c.level
	c.level = false
	c.children(sel.ProtoReflect(), place)
	if c.level && c.err == nil {
		for _, part := range [][]*pg.Node{sel.TargetList, {sel.HavingClause}, sel.SortClause} {
			for _, n := range part {
				var agg *pg.FuncCall
				walkNoSub(n, func(m *pg.Node) bool {
					if f := m.GetFuncCall(); f != nil && isAggregate(f) {
						agg = f
					}
					return agg != nil
				})
				if agg != nil {
					c.fail("aggregate functions are not allowed in a recursive query's recursive term", agg.Location)
					return
				}
			}
		}
	}
	c.level = outer
}

func (c *recursionCheck) children(m protoreflect.Message, place recursionPlace) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				c.visit(l.Get(i).Message(), place)
			}
		case fd.Message() != nil && !fd.IsMap():
			c.visit(v.Message(), place)
		}
		return c.err == nil
	})
}

func (c *recursionCheck) fail(msg string, location int32) {
	c.err = &Error{Code: CodeInvalidRecursion, Message: msg, Position: int(location) + 1}
}
