package sql

import (
	"context"
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PREPARE, EXECUTE and DEALLOCATE: a session's prepared statements named in SQL, as PostgreSQL keeps them (apart
// from the protocol's, which pgserver keeps per connection). PREPARE parses and types the statement once;
// EXECUTE evaluates its arguments and runs it as the extended protocol's Execute does, in the session's
// transaction block if one is open.

// prepareSQL runs PREPARE name [(types)] AS statement.
func (s *Session) prepareSQL(ctx context.Context, ps *pg.PrepareStmt) (*Result, error) {
	if _, taken := s.named[ps.Name]; taken {
		return nil, errorf("42P05", "prepared statement \"%s\" already exists", ps.Name)
	}
	tree, err := pg.Parse("SELECT 1")
	if err != nil {
		return nil, err
	}
	tree.Stmts[0].Stmt = ps.Query
	text, err := pg.Deparse(tree)
	if err != nil {
		return nil, errorf(CodeSyntaxError, "cannot prepare the statement: %v", err)
	}
	var oids []uint32
	x := s.newExec(ctx, nil)
	for _, a := range ps.Argtypes {
		oid, err := x.resolveType(a.GetTypeName())
		if err != nil {
			return nil, err
		}
		oids = append(oids, oid)
	}
	st, err := s.Prepare(ctx, text, oids)
	if err != nil {
		return nil, err
	}
	if s.named == nil {
		s.named = map[string]*Stmt{}
	}
	s.named[ps.Name] = st
	return &Result{Tag: "PREPARE"}, nil
}

// executeSQL runs EXECUTE name [(arguments)].
func (s *Session) executeSQL(ctx context.Context, es *pg.ExecuteStmt) (*Result, error) {
	st, ok := s.named[es.Name]
	if !ok {
		return nil, errorf("26000", "prepared statement \"%s\" does not exist", es.Name)
	}
	if len(es.Params) != len(st.ParamOIDs) {
		return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("wrong number of parameters for prepared statement \"%s\"", es.Name),
			Detail: fmt.Sprintf("Expected %d parameters but got %d.", len(st.ParamOIDs), len(es.Params))}
	}
	x := s.newExec(ctx, nil)
	params := make([]any, len(es.Params))
	for i, p := range es.Params {
		v, err := x.eval(p, &scope{})
		if err != nil {
			return nil, err
		}
		params[i] = v
	}
	return s.Execute(ctx, st, params)
}

// deallocate runs DEALLOCATE [PREPARE] name | ALL.
func (s *Session) deallocate(ds *pg.DeallocateStmt) (*Result, error) {
	if ds.Name == "" {
		s.named = nil
		return &Result{Tag: "DEALLOCATE ALL"}, nil
	}
	if _, ok := s.named[ds.Name]; !ok {
		return nil, errorf("26000", "prepared statement \"%s\" does not exist", ds.Name)
	}
	delete(s.named, ds.Name)
	return &Result{Tag: "DEALLOCATE"}, nil
}
