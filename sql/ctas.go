package sql

import (
	"context"
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// CREATE TABLE name [(cols)] AS query [WITH [NO] DATA] and SELECT ... INTO name: a table whose columns are the
// query's (named as the query names them, or by the column list; typed as the query's results, an untyped literal
// as text), filled with the query's rows. The table is made by the CREATE TABLE path and filled by the INSERT
// path. Inside a transaction block both happen in the block's transaction; outside one the rows are inserted in
// one transaction, and the table is dropped again should that fail, so the statement leaves all or nothing as
// PostgreSQL's does. The command tag is SELECT n. Materialized views are not made.

// createTableAs runs CREATE TABLE ... AS (cta) or SELECT ... INTO (into set, query the SELECT without its INTO).
func (x *exec) createTableAs(query *pg.Node, into *pg.IntoClause, ifNotExists bool) (*Result, error) {
	rv := into.GetRel()
	if rv == nil || query.GetSelectStmt() == nil {
		return nil, unsupported("CREATE TABLE AS of this statement")
	}
	temp := isTempRel(rv)
	if rv.Schemaname != "" && rv.Schemaname != "public" && !temp {
		return nil, unsupported("schemas other than public")
	}
	onCommit := ""
	switch into.OnCommit {
	case pg.OnCommitAction_ONCOMMIT_DELETE_ROWS:
		onCommit = " ON COMMIT DELETE ROWS"
	case pg.OnCommitAction_ONCOMMIT_DROP:
		onCommit = " ON COMMIT DROP"
	}
	if onCommit != "" && !temp {
		return nil, errorf(CodeInvalidTableDefinition, "ON COMMIT can only be used on temporary tables")
	}
	if x.describe {
		return &Result{Tag: "SELECT 0"}, nil
	}
	if ifNotExists {
		if _, found, err := x.relationByName(rv.Relname); err != nil {
			return nil, err
		} else if found {
			x.warn(&Error{Code: CodeDuplicateTable, Severity: "NOTICE",
				Message: fmt.Sprintf("relation \"%s\" already exists, skipping", rv.Relname)})
			return &Result{Tag: "CREATE TABLE AS"}, nil
		}
	}
	// The query's columns, as a prepared statement's description finds them.
	d := *x
	d.describe = true
	desc, err := d.query(query.GetSelectStmt())
	if err != nil {
		return nil, err
	}
	names := make([]string, len(desc.Columns))
	for i, c := range desc.Columns {
		names[i] = c.Name
	}
	if len(into.ColNames) > len(names) {
		return nil, errorf(CodeSyntaxError, "too many column names were specified")
	}
	for i, n := range into.ColNames {
		names[i] = n.GetString_().GetSval()
	}
	var defs []string
	seen := map[string]bool{}
	for i, c := range desc.Columns {
		if seen[names[i]] {
			return nil, errorf("42701", "column \"%s\" specified more than once", names[i])
		}
		seen[names[i]] = true
		oid := c.OID
		if oid == OIDUnknown || oid == 0 {
			oid = OIDText // PostgreSQL 15 makes an untyped literal's column text
		}
		if _, ok := types[oid]; !ok && enumOf(oid) == nil {
			return nil, errorf(CodeFeatureNotSupported, "column \"%s\" has pseudo-type %s", names[i], TypeName(oid))
		}
		defs = append(defs, quoteIdent(names[i])+" "+formatType(oid, c.TypMod))
	}
	kind := "TABLE"
	if temp {
		kind = "TEMP TABLE"
	}
	stmts, err := parse(fmt.Sprintf("CREATE %s %s (%s)%s", kind, quoteIdent(rv.Relname), strings.Join(defs, ", "), onCommit))
	if err != nil || len(stmts) != 1 {
		return nil, fmt.Errorf("CREATE TABLE AS: the table's definition: %v", err)
	}
	if _, err := x.dispatch(stmts[0].Stmt); err != nil {
		return nil, err
	}
	if into.SkipData {
		return &Result{Tag: "CREATE TABLE AS"}, nil
	}
	ins := &pg.InsertStmt{Relation: &pg.RangeVar{Relname: rv.Relname, Inh: true, Relpersistence: "p"}, SelectStmt: query}
	var tag string
	if x.inTxn {
		_, tag, err = x.insert(ins)
	} else {
		err = x.s.e.b.withTransaction(x.base, func(ctx context.Context) error {
			y := *x
			y.ctx, y.inTxn, y.ctes = ctx, true, nil
			var err error
			_, tag, err = y.insert(ins)
			return err
		})
		if err != nil {
			// The rows failed: the table goes too, as the whole statement would in PostgreSQL.
			if drop, perr := parse("DROP TABLE " + quoteIdent(rv.Relname)); perr == nil && len(drop) == 1 {
				_, _ = x.dispatch(drop[0].Stmt)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return &Result{Tag: "SELECT " + strings.TrimPrefix(tag, "INSERT 0 ")}, nil
}
