package sql

import (
	"context"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Materialized views: CREATE MATERIALIZED VIEW name [(cols)] AS query [WITH [NO] DATA] makes a table as CREATE
// TABLE AS does and keeps the query (as PostgreSQL's deparser writes it) in the table's entry; REFRESH
// MATERIALIZED VIEW replaces the rows with the query's, in one transaction, so a reader sees the old rows or the
// new ones. The rows are written by nothing else: INSERT, UPDATE, DELETE and MERGE on one are 42809, as in
// PostgreSQL. One made WITH NO DATA (or refreshed so) cannot be read until a refresh fills it (55000). Indexes
// are made on it as on a table; pg_class shows it with relkind m, pg_matviews lists it, and psql's \dm and \d show
// it.

// createMatView runs CREATE MATERIALIZED VIEW.
func (x *exec) createMatView(cta *pg.CreateTableAsStmt) (*Result, error) {
	rv := cta.Into.GetRel()
	if rv == nil || cta.Query.GetSelectStmt() == nil {
		return nil, errorf(CodeSyntaxError, "a materialized view's query must be a SELECT")
	}
	if x.describe {
		return &Result{Tag: "SELECT 0"}, nil
	}
	if cta.IfNotExists {
		if _, found, err := x.relationByName(rv.Relname); err != nil {
			return nil, err
		} else if found {
			x.warn(&Error{Code: CodeDuplicateTable, Severity: "NOTICE",
				Message: fmt.Sprintf("relation \"%s\" already exists, skipping", rv.Relname)})
			return &Result{Tag: "CREATE MATERIALIZED VIEW"}, nil
		}
	}
	text, err := deparseQuery(cta.Query)
	if err != nil {
		return nil, err
	}
	for name := range x.s.temps {
		if reads, _ := viewReads(&pg.ParseResult{Stmts: []*pg.RawStmt{{Stmt: cta.Query}}}, name); reads {
			return nil, errorf(CodeFeatureNotSupported, "materialized views must not use temporary tables or views")
		}
	}
	res, err := x.createTableAs(cta.Query, cta.Into, false)
	if err != nil {
		return nil, err
	}
	t, err := x.lookupTable(rv.Relname, rv.Location)
	if err != nil {
		return nil, err
	}
	mv := *t // the cached entry stays as read
	mv.MatView, mv.Unpopulated = text, cta.Into.SkipData
	if err := x.saveTable(&mv); err != nil {
		return nil, err
	}
	if cta.Into.SkipData {
		res.Tag = "CREATE MATERIALIZED VIEW"
	}
	return res, nil
}

// deparseQuery is a query's text as PostgreSQL's deparser writes it.
func deparseQuery(q *pg.Node) (string, error) {
	probe, err := pg.Parse("SELECT") // the deparser checks the tree's parser version
	if err != nil {
		return "", errorf(CodeInternalError, "cannot store the query: %v", err)
	}
	text, err := pg.Deparse(&pg.ParseResult{Version: probe.Version, Stmts: []*pg.RawStmt{{Stmt: q}}})
	if err != nil {
		return "", errorf(CodeInternalError, "cannot store the query: %v", err)
	}
	return text, nil
}

// refreshMatView runs REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]: the rows deleted and the
// query's inserted in one transaction (the statement's block's, inside one). CONCURRENTLY needs a unique index
// over columns only, as PostgreSQL's, and a populated view.
func (x *exec) refreshMatView(rs *pg.RefreshMatViewStmt) (*Result, error) {
	rv := rs.Relation
	t, err := x.lookupTable(rv.Relname, rv.Location)
	if err != nil {
		return nil, err
	}
	if t.MatView == "" {
		return nil, errorf(CodeFeatureNotSupported, "\"%s\" is not a materialized view", rv.Relname)
	}
	if rs.Concurrent && rs.SkipData {
		return nil, errorf(CodeFeatureNotSupported, "REFRESH options CONCURRENTLY and WITH NO DATA cannot be used together")
	}
	if rs.Concurrent && t.Unpopulated {
		return nil, errorf(CodeFeatureNotSupported, "CONCURRENTLY cannot be used when the materialized view is not populated")
	}
	if rs.Concurrent {
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		ok := false
		for _, ix := range indexes {
			if ix.table == t.Name && ix.unique && ix.t != nil && ix.t.Predicates[ix.name] == "" && !ix.hasExpr() {
				ok = true
			}
		}
		if !ok {
			return nil, &Error{Code: "55000", Message: fmt.Sprintf("cannot refresh materialized view \"public.%s\" concurrently", t.Name),
				Hint: "Create a unique index with no WHERE clause on one or more columns of the materialized view."}
		}
	}
	if x.describe {
		return &Result{Tag: "REFRESH MATERIALIZED VIEW"}, nil
	}
	stmts, err := parse(t.MatView)
	if err != nil || len(stmts) != 1 || stmts[0].Stmt.GetSelectStmt() == nil {
		return nil, errorf(CodeInternalError, "materialized view \"%s\": its stored query does not parse: %v", t.Name, err)
	}
	target := &pg.RangeVar{Relname: t.Name, Inh: true, Relpersistence: "p"}
	fill := func(y *exec) error {
		y.fillingMatView = t.Name
		if _, _, err := y.delete(&pg.DeleteStmt{Relation: target}); err != nil {
			return err
		}
		if rs.SkipData {
			return nil
		}
		_, _, err := y.insert(&pg.InsertStmt{Relation: target, SelectStmt: stmts[0].Stmt})
		return err
	}
	if x.inTxn {
		y := *x
		err = fill(&y)
	} else {
		err = x.s.e.b.withTransaction(x.base, func(ctx context.Context) error {
			y := *x
			y.ctx, y.inTxn, y.ctes = ctx, true, nil
			return fill(&y)
		})
	}
	if err != nil {
		return nil, err
	}
	if t.Unpopulated != rs.SkipData {
		mv := *t // the cached entry stays as read
		mv.Unpopulated = rs.SkipData
		if err := x.saveTable(&mv); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "REFRESH MATERIALIZED VIEW"}, nil
}

// hasExpr reports whether one of the index's columns is an expression.
func (ix *pgIndex) hasExpr() bool {
	for i := range ix.columns {
		if ix.isExpr(i) {
			return true
		}
	}
	return false
}

// dropMatViews runs DROP MATERIALIZED VIEW [IF EXISTS] names [CASCADE]: each name is checked to be a materialized
// view, then they are dropped as tables are.
func (x *exec) dropMatViews(ds *pg.DropStmt) (*Result, error) {
	out := &pg.DropStmt{RemoveType: pg.ObjectType_OBJECT_TABLE, Behavior: ds.Behavior, MissingOk: ds.MissingOk, Concurrent: ds.Concurrent}
	for _, o := range ds.Objects {
		items := o.GetList().GetItems()
		if len(items) == 0 {
			continue
		}
		name := items[len(items)-1].GetString_().GetSval()
		t, err := x.lookupTable(name, 0)
		switch {
		case err != nil && ds.MissingOk && AsError(err).Code == CodeUndefinedTable:
			x.warn(&Error{Code: "00000", Severity: "NOTICE", Message: fmt.Sprintf("materialized view \"%s\" does not exist, skipping", name)})
			continue
		case err != nil && AsError(err).Code == CodeUndefinedTable:
			return nil, errorf(CodeUndefinedTable, "materialized view \"%s\" does not exist", name)
		case err != nil:
			return nil, err
		case t.MatView == "":
			return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a materialized view", name),
				Hint: "Use DROP " + map[bool]string{true: "VIEW to remove a view", false: "TABLE to remove a table"}[t.View != ""] + "."}
		}
		out.Objects = append(out.Objects, o)
	}
	if len(out.Objects) == 0 {
		return &Result{Tag: "DROP MATERIALIZED VIEW"}, nil
	}
	y := *x
	y.droppingMatViews = true
	if _, err := y.drop(out); err != nil {
		return nil, err
	}
	return &Result{Tag: "DROP MATERIALIZED VIEW"}, nil
}

// matViewNotWritable refuses a write to a materialized view other than its refresh's (42809, as PostgreSQL).
func (x *exec) matViewNotWritable(t *table) error {
	if t.MatView == "" || x.fillingMatView == t.Name {
		return nil
	}
	return errorf(CodeWrongObjectType, "cannot change materialized view \"%s\"", t.Name)
}

// matViewUnpopulated refuses to read a materialized view made or refreshed WITH NO DATA (55000).
func matViewUnpopulated(t *table) error {
	if t.MatView == "" || !t.Unpopulated {
		return nil
	}
	return &Error{Code: "55000", Message: fmt.Sprintf("materialized view \"%s\" has not been populated", t.Name),
		Hint: "Use the REFRESH MATERIALIZED VIEW command."}
}

// matViewNames lists the database's materialized views.
func (x *exec) matViewNames() (map[string]bool, error) {
	names, err := x.catalogNamesWith("matview")
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(names))
	for _, n := range names {
		out[n] = true
	}
	return out, nil
}

// matViewDef is a materialized view's query as pg_get_viewdef gives it.
func (x *exec) matViewDef(t *table) string {
	if !x.publicOnPath() {
		return qualifiedView(t.MatView) + ";"
	}
	return strings.TrimSuffix(t.MatView, ";") + ";"
}
