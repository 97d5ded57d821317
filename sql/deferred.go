package sql

import (
	"context"
	"maps"
	"slices"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Deferred foreign keys. A FOREIGN KEY declared DEFERRABLE INITIALLY DEFERRED (as Django declares every one) is
// checked when the transaction block commits instead of when each statement ends, as in PostgreSQL: a block may
// insert a child before its parent. SET CONSTRAINTS { ALL | name, ... } { DEFERRED | IMMEDIATE } changes that for
// the rest of the block for DEFERRABLE keys; IMMEDIATE runs the checks deferred so far at once. The checks a
// deferred key's writes leave (the child row's parent must exist, a deleted parent's children must be gone) wait
// in the session and run at COMMIT in the block's transaction: one that fails fails the COMMIT, and the block
// rolls back. Outside a block, and in the implicit block of a multi-statement query, every key is checked when
// its statement ends.

// deferredCheck is one check a deferred foreign key left: run by an exec of the block's transaction.
type deferredCheck struct {
	name string // the constraint's
	run  func(y *exec) error
}

// constraintModes are the SET CONSTRAINTS of a block: all, when set, for every DEFERRABLE key, then named ones.
type constraintModes struct {
	all   *bool
	named map[string]bool
}

func (m constraintModes) clone() constraintModes {
	out := constraintModes{named: maps.Clone(m.named)}
	if m.all != nil {
		v := *m.all
		out.all = &v
	}
	return out
}

// deferring reports whether fk's checks wait for the block's COMMIT.
func (x *exec) deferring(fk foreignKey) bool {
	return x.deferringNamed(fk.Name, fk.Deferrable, fk.Deferred)
}

// deferringTrigger reports whether a constraint trigger's calls wait for the block's COMMIT.
func (x *exec) deferringTrigger(tg *trigger) bool {
	return tg.Constraint && x.deferringNamed(tg.Name, tg.Deferrable, tg.InitDeferred)
}

// deferringNamed reports whether the constraint name, DEFERRABLE or not and INITIALLY DEFERRED or not, waits for
// the block's COMMIT: as SET CONSTRAINTS last set it, else as declared.
func (x *exec) deferringNamed(name string, deferrable, initDeferred bool) bool {
	if !deferrable || !x.inBlock() {
		return false
	}
	if d, ok := x.s.constraints.named[name]; ok {
		return d
	}
	if x.s.constraints.all != nil {
		return *x.s.constraints.all
	}
	return initDeferred
}

// deferCheck keeps a deferred key's check for the block's COMMIT.
func (x *exec) deferCheck(name string, run func(y *exec) error) {
	x.s.deferred = append(x.s.deferred, deferredCheck{name: name, run: run})
}

// runDeferred runs, in the block's transaction, the deferred checks whose constraint which selects (nil: all),
// and forgets them; those that the checks leave in turn (a deferred trigger's writes) run too.
func (s *Session) runDeferred(ctx context.Context, which func(string) bool) error {
	var y *exec
	for {
		var run, kept []deferredCheck
		for _, c := range s.deferred {
			if which != nil && !which(c.name) {
				kept = append(kept, c)
			} else {
				run = append(run, c)
			}
		}
		if len(run) == 0 {
			return nil
		}
		s.deferred = kept
		if y == nil {
			y = s.newExec(ctx, nil)
		}
		for _, c := range run {
			if err := c.run(y); err != nil {
				return err
			}
		}
	}
}

// setConstraints runs SET CONSTRAINTS { ALL | name [, ...] } { DEFERRED | IMMEDIATE }.
func (x *exec) setConstraints(cs *pg.ConstraintsSetStmt) (*Result, error) {
	res := &Result{Tag: "SET CONSTRAINTS"}
	if x.describe {
		return res, nil
	}
	if !x.inBlock() {
		x.warn(&Error{Code: CodeNoActiveSQLTransaction, Severity: "WARNING", Message: "SET CONSTRAINTS can only be used in transaction blocks"})
		return res, nil
	}
	s := x.s
	if len(cs.Constraints) == 0 {
		d := cs.Deferred
		s.constraints = constraintModes{all: &d}
		if !d {
			return res, s.runDeferred(x.ctx, nil)
		}
		return res, nil
	}
	cons, err := x.tableConstraints()
	if err != nil {
		return nil, err
	}
	tables, _, err := x.triggerTables()
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		for _, tg := range t.Triggers {
			if tg.Constraint { // a constraint trigger is a constraint to SET CONSTRAINTS
				cons = append(cons, tableConstraint{name: tg.Name, table: t.Name, deferrable: tg.Deferrable})
			}
		}
	}
	var names []string
	for _, n := range cs.Constraints {
		rv := n.GetRangeVar()
		if rv == nil {
			continue
		}
		name := rv.Relname
		found, deferrable := false, false
		for _, c := range cons {
			if c.name == name {
				found, deferrable = true, deferrable || c.fk != nil && c.fk.Deferrable || c.deferrable
			}
		}
		switch {
		case !found:
			return nil, errorf(CodeUndefinedObject, "constraint \"%s\" does not exist", name)
		case !deferrable:
			return nil, errorf(CodeWrongObjectType, "constraint \"%s\" is not deferrable", name)
		}
		names = append(names, name)
	}
	if s.constraints.named == nil {
		s.constraints.named = map[string]bool{}
	}
	for _, n := range names {
		s.constraints.named[n] = cs.Deferred
	}
	if !cs.Deferred {
		return res, s.runDeferred(x.ctx, func(name string) bool { return slices.Contains(names, name) })
	}
	return res, nil
}

// deferClause applies a column constraint's DEFERRABLE, NOT DEFERRABLE, INITIALLY DEFERRED or INITIALLY
// IMMEDIATE clause to the constraint before it (prev), as PostgreSQL's parser does: only a foreign key, unique
// or primary key constraint takes one (42601 "misplaced ... clause" otherwise).
func deferClause(prev *pg.Constraint, clause pg.ConstrType) error {
	words := map[pg.ConstrType]string{pg.ConstrType_CONSTR_ATTR_DEFERRABLE: "DEFERRABLE", pg.ConstrType_CONSTR_ATTR_DEFERRED: "INITIALLY DEFERRED",
		pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE: "NOT DEFERRABLE", pg.ConstrType_CONSTR_ATTR_IMMEDIATE: "INITIALLY IMMEDIATE"}
	if prev == nil || (prev.Contype != pg.ConstrType_CONSTR_FOREIGN && prev.Contype != pg.ConstrType_CONSTR_UNIQUE &&
		prev.Contype != pg.ConstrType_CONSTR_PRIMARY) {
		return errorf(CodeSyntaxError, "misplaced %s clause", words[clause])
	}
	switch clause {
	case pg.ConstrType_CONSTR_ATTR_DEFERRABLE:
		prev.Deferrable = true
	case pg.ConstrType_CONSTR_ATTR_DEFERRED:
		prev.Deferrable, prev.Initdeferred = true, true
	case pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE:
		if prev.Initdeferred {
			return errorf(CodeSyntaxError, "constraint declared INITIALLY DEFERRED must be DEFERRABLE")
		}
	}
	if prev.Contype != pg.ConstrType_CONSTR_FOREIGN {
		return notDeferrableKey(prev)
	}
	return nil
}

// notDeferrableKey refuses a DEFERRABLE unique or primary key constraint: Concord's unique indexes hold every
// write at once.
func notDeferrableKey(con *pg.Constraint) error {
	if con.Deferrable || con.Initdeferred {
		return unsupported("a DEFERRABLE unique or primary key constraint (a unique index holds every write at once)")
	}
	return nil
}
