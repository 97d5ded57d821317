package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A subquery of an expression that reads nothing of the rows around it (an uncorrelated subquery) is run once for
// the statement, as PostgreSQL runs it once as an InitPlan (a scalar, EXISTS or ARRAY subquery) or a hashed SubPlan
// (x IN (SELECT ...)): a volatile function in it is called once, not once for each row of the query around it, and
// the rows it reads are the statement's, not what the statement has written since.
//
// Whether a run read the rows around it is observed, not guessed from the text: each scope records when an
// expression read its row, its group or its window values (scope.read), and a run that read none of the scopes
// outside the subquery, nor a WITH query of an enclosing query, gives the same rows to every later run but when a
// volatile function decides which expressions are evaluated. A subquery that calls one is cached only when no
// column it names could be a column of the query around it.

// subResult is a subquery's first run, kept for the later ones; correlated marks one that must run each time.
type subResult struct {
	rel        *relation
	correlated bool
	ctes       []cteRead // the enclosing queries' WITH queries the run read
	set        *valueSet // x = ANY (SELECT ...)'s rows hashed, once asked for (hashedSub)
	setMade    bool
}

// valueSet is a one-column subquery's values hashed, as PostgreSQL's hashed SubPlan holds them: made only when
// they are all integers or all strings, whose equality is their Go equality.
type valueSet struct {
	ints    map[int64]bool
	strs    map[string]bool
	hasNull bool
}

// hashedSub is the value set of a cached subquery's column col, nil when it is not cached or its values are not
// all of one hashable kind.
func (x *exec) hashedSub(sl *pg.SubLink, rel *relation, col int) *valueSet {
	c := x.subResults[sl]
	if c == nil || c.correlated || c.rel != rel {
		return nil
	}
	if !c.setMade {
		c.setMade = true
		c.set = newValueSet(rel.rows, col)
	}
	return c.set
}

// minHashed is the fewest rows worth hashing: below it the rows are compared one by one.
const minHashed = 16

func newValueSet(rows [][]any, col int) *valueSet {
	if len(rows) < minHashed {
		return nil
	}
	s := &valueSet{}
	for _, r := range rows {
		switch v := r[col].(type) {
		case nil:
			s.hasNull = true
		case int64:
			if s.strs != nil {
				return nil
			}
			if s.ints == nil {
				s.ints = map[int64]bool{}
			}
			s.ints[v] = true
		case string:
			if s.ints != nil {
				return nil
			}
			if s.strs == nil {
				s.strs = map[string]bool{}
			}
			s.strs[v] = true
		default:
			return nil
		}
	}
	return s
}

// contains is l = ANY (the set) in SQL's three-valued logic; ok is false when l is not of the set's kind (the
// rows are then compared one by one, with the conversions that takes).
func (s *valueSet) contains(l any) (res any, ok bool) {
	if l == nil {
		return nil, true // the set has rows
	}
	var found bool
	switch v := l.(type) {
	case int64:
		if s.strs != nil {
			return nil, false
		}
		found = s.ints[v]
	case string:
		if s.ints != nil {
			return nil, false
		}
		found = s.strs[v]
	default:
		return nil, false
	}
	switch {
	case found:
		return true, true
	case s.hasNull:
		return nil, true
	}
	return false, true
}

// cteRead is a WITH query of an enclosing query read by a subquery's run: the run's rows hold while the name
// still gives the same relation (a recursive query's step rebinds it each round; a WITH clause inside a
// correlated subquery makes a new one for each row).
type cteRead struct {
	name string
	rel  *relation
}

// subRun is a subquery's run under way: which WITH queries of enclosing queries it reads (those in frames below
// start).
type subRun struct {
	start int
	ctes  []cteRead
}

// extraVolatile are functions that give another value at some calls without being volatileFuncs (which are kept
// out of the engine's filters): enough to keep a subquery that calls one from being cached on a guess.
var extraVolatile = map[string]bool{"currval": true, "lastval": true, "timeofday": true, "setseed": true, "set_config": true}

// subqueryRows runs sl's subquery for the row of sc, or gives its first run's rows when that run read nothing
// of the rows around it.
func (x *exec) subqueryRows(sl *pg.SubLink, sel *pg.SelectStmt, sc *scope, limit int) (*relation, error) {
	if x.describe {
		return x.planSub(sl, func() (*relation, error) { return x.selectRows(sel, sc, limit) })
	}
	c := x.subResults[sl]
	switch {
	case c != nil && c.correlated:
		return x.planSub(sl, func() (*relation, error) { return x.selectRows(sel, sc, limit) })
	case c != nil && x.ctesHold(c.ctes):
		return c.rel, nil
	}
	saved, watched := sc.takeReads()
	run := &subRun{start: len(x.ctes)}
	x.subRuns = append(x.subRuns, run)
	rel, err := x.planSub(sl, func() (*relation, error) { return x.selectRows(sel, sc, limit) })
	x.subRuns = x.subRuns[:len(x.subRuns)-1]
	read := sc.putReads(saved)
	if err != nil {
		return nil, err
	}
	if x.subResults == nil {
		x.subResults = map[*pg.SubLink]*subResult{}
	}
	if read || !watched || callsVolatileIn(sel) && x.namesOuterColumn(sel, sc) {
		x.subResults[sl] = &subResult{correlated: true}
		return rel, nil
	}
	x.subResults[sl] = &subResult{rel: rel, ctes: run.ctes}
	x.planInit(sl)
	return rel, nil
}

// noteCTE records, for the subquery runs under way, that a WITH query of frame i was read: for those that began
// above that frame, it is an enclosing query's.
func (x *exec) noteCTE(i int, name string, rel *relation) {
	for _, r := range x.subRuns {
		if i < r.start {
			r.ctes = append(r.ctes, cteRead{name, rel})
		}
	}
}

// ctesHold reports whether each WITH query a cached run read still has the relation it read.
func (x *exec) ctesHold(reads []cteRead) bool {
	for _, r := range reads {
		if x.cte(r.name) != r.rel {
			return false
		}
	}
	return true
}

// maxWatched bounds the scopes whose reads a subquery's run watches (one bit each).
const maxWatched = 64

// takeReads clears the read marks of sc and the scopes outside it, returning them; watched is false when the
// chain is too deep to watch, and such a run is not cached.
func (sc *scope) takeReads() (saved uint64, watched bool) {
	i := 0
	for s := sc; s != nil; s = s.outer {
		if i == maxWatched {
			return saved, false
		}
		if s.read {
			saved |= 1 << i
		}
		s.read = false
		i++
	}
	return saved, true
}

// putReads reports whether the run since takeReads read any of the scopes, and puts their earlier marks back (a
// subquery's run that read an outer scope is a read of it for the subquery around this one too).
func (sc *scope) putReads(saved uint64) (read bool) {
	i := 0
	for s := sc; s != nil; s = s.outer {
		read = read || s.read
		if i < maxWatched && saved&(1<<i) != 0 {
			s.read = true
		}
		i++
	}
	return read
}

// callsVolatileIn reports whether a subquery calls a function whose value changes from call to call.
func callsVolatileIn(sel *pg.SelectStmt) bool {
	return walk(sel.ProtoReflect(), func(m protoreflect.Message) bool {
		f, ok := m.Interface().(*pg.FuncCall)
		if !ok {
			return false
		}
		name := funcName(f)
		return volatileFuncs[name] || extraVolatile[name]
	})
}

// namesOuterColumn reports whether a column the subquery names could be one of the scopes outside it (sc and
// those outside sc), whichever source inside the subquery may take it first.
func (x *exec) namesOuterColumn(sel *pg.SelectStmt, sc *scope) bool {
	saved, _ := sc.takeReads()
	defer sc.putReads(saved)
	return walk(sel.ProtoReflect(), func(m protoreflect.Message) bool {
		cr, ok := m.Interface().(*pg.ColumnRef)
		if !ok {
			return false
		}
		f := columnFields(cr)
		if len(f) == 0 || f[len(f)-1] == "*" {
			return len(f) == 2 && sc.qualifies(f[0])
		}
		_, _, found, err := sc.lookup(f)
		return found || err != nil
	})
}

// planInit relabels a cached subquery's recorded plan as PostgreSQL shows a subquery run once: InitPlan n
// (returns $k) for a scalar, EXISTS or ARRAY subquery, a hashed SubPlan's plan staying SubPlan n.
func (x *exec) planInit(sl *pg.SubLink) {
	if !x.recording() {
		return
	}
	n := x.ex.seen[sl]
	if n == nil || n.parentRel != "SubPlan" {
		return
	}
	switch sl.SubLinkType {
	case pg.SubLinkType_EXPR_SUBLINK, pg.SubLinkType_EXISTS_SUBLINK, pg.SubLinkType_ARRAY_SUBLINK:
		var num int
		fmt.Sscanf(n.subName, "SubPlan %d", &num)
		n.parentRel, n.subName = "InitPlan", fmt.Sprintf("InitPlan %d (returns $%d)", num, x.ex.ninit)
		x.ex.ninit++
	}
}
