package sql

import (
	"fmt"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// maxViewDepth bounds views reading views, so that one redefined to read itself fails instead of recursing.
const maxViewDepth = 32

// createView runs CREATE [OR REPLACE] VIEW name [(cols)] AS SELECT ...: the query, as PostgreSQL's deparser
// writes it, and its columns (named by the list, else by the query) go into the table catalog; no collection
// is created. A name taken by a table or collection is 42P07; OR REPLACE replaces only a view.
func (x *exec) createView(vs *pg.ViewStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CREATE VIEW"}, nil
	}
	rv := vs.View
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, unsupported("schemas other than public")
	}
	sel := vs.Query.GetSelectStmt()
	if sel == nil {
		return nil, errorf(CodeSyntaxError, "a view's query must be a SELECT")
	}
	probe, err := pg.Parse("SELECT") // the deparser checks the tree's parser version
	if err != nil {
		return nil, errorf(CodeInternalError, "cannot store the view's query: %v", err)
	}
	text, err := pg.Deparse(&pg.ParseResult{Version: probe.Version, Stmts: []*pg.RawStmt{{Stmt: vs.Query}}})
	if err != nil {
		return nil, errorf(CodeInternalError, "cannot store the view's query: %v", err)
	}
	for name := range x.s.temps {
		if reads, _ := viewReads(&pg.ParseResult{Stmts: []*pg.RawStmt{{Stmt: vs.Query}}}, name); reads {
			return nil, x.refuseTempRef("CREATE VIEW", name) // PostgreSQL's view would be temporary too
		}
	}
	existing, err := x.lookupTable(rv.Relname, rv.Location)
	switch {
	case err == nil && (existing.View == "" || !vs.Replace):
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", rv.Relname)
	case err != nil && AsError(err).Code != CodeUndefinedTable:
		return nil, err
	}
	if err := x.notAnIndex(rv.Relname); err != nil {
		return nil, err
	}
	// The columns: the query described (typed, no rows read), named by the column list where it gives names.
	y := *x
	y.describe, y.ctes = true, nil
	rel, err := y.selectRows(sel, nil, -1)
	if err != nil {
		return nil, err
	}
	vis := rel.visible("")
	if len(vs.Aliases) > len(vis) {
		return nil, errorf(CodeSyntaxError, "CREATE VIEW specifies more column names than columns")
	}
	t := &table{Name: rv.Relname, View: text, CheckOption: checkOptionName(vs.WithCheckOption)}
	seen := map[string]bool{}
	for i, c := range vis {
		name := rel.cols[c].name
		if i < len(vs.Aliases) {
			name = vs.Aliases[i].GetString_().GetSval()
		}
		if seen[name] {
			return nil, errorf("42701", "column \"%s\" specified more than once", name)
		}
		seen[name] = true
		oid := rel.cols[c].oid
		if oid == 0 || oid == OIDUnknown {
			oid = OIDText
		}
		t.Columns = append(t.Columns, column{Name: name, Type: oid})
	}
	if t.CheckOption != "" {
		if _, err := x.viewMapOf(t, "update"); err != nil {
			return nil, &Error{Code: CodeFeatureNotSupported, Message: "WITH CHECK OPTION is supported only on automatically updatable views",
				Hint: AsError(err).Detail}
		}
	}
	cat := x.s.db().collection(tablesCollection)
	if existing != nil && existing.View != "" {
		if len(t.Columns) < len(existing.Columns) {
			return nil, errorf(CodeInvalidTableDefinition, "cannot drop columns from view")
		}
		if err := cat.replaceOne(x.catWrite(), bson.D{{Key: "_id", Value: t.Name}}, t); err != nil {
			return nil, err
		}
		return &Result{Tag: "CREATE VIEW"}, nil
	}
	if err := cat.insertOne(x.catWrite(), t); err != nil {
		return nil, err
	}
	return &Result{Tag: "CREATE VIEW"}, nil
}

// viewRows evaluates a view for a FROM item: its stored query, run as a subquery that sees none of the outer
// statement's WITH queries, its columns named as the view's.
func (x *exec) viewRows(t *table) (*relation, error) {
	if x.viewDepth >= maxViewDepth {
		return nil, errorf("42P17", "infinite recursion detected in rules for relation \"%s\"", t.Name)
	}
	raws, err := x.s.e.cache.parse(t.View)
	if err != nil || len(raws) != 1 || raws[0].raw.Stmt.GetSelectStmt() == nil {
		return nil, errorf(CodeInternalError, "view \"%s\" has an unreadable query: %v", t.Name, err)
	}
	// Each reference to a view runs its own subqueries (in PostgreSQL each is a copy of the view's query, with
	// InitPlans of its own), and the view reads nothing of the statement's WITH queries or rows.
	saved, savedSubs, savedRuns := x.ctes, x.subResults, x.subRuns
	x.ctes, x.subResults, x.subRuns = nil, nil, nil
	x.viewDepth++
	rel, err := x.selectRows(raws[0].raw.Stmt.GetSelectStmt(), nil, -1)
	x.viewDepth--
	x.ctes, x.subResults, x.subRuns = saved, savedSubs, savedRuns
	if err != nil {
		return nil, err
	}
	vis := rel.visible("")
	out := &relation{rows: rel.rows, cols: append([]relCol(nil), rel.cols...)}
	for i, c := range vis {
		if i < len(t.Columns) {
			out.cols[c].name = t.Columns[i].Name
		}
	}
	return out, nil
}

// viewDef is pg_get_viewdef of a view's oid (as pg_class numbers the relations) or name: its query, or NULL
// for a relation that is not a view. It ends with a semicolon, as PostgreSQL's (pg_dump cuts it off), and names
// the relations it reads public.name when public is not on the search path, as PostgreSQL writes them.
func (x *exec) viewDef(v any) (any, error) {
	if r, isRel := v.(regclass); isRel {
		v = r.oid
	}
	name, ok := v.(string)
	if n, isNum := numeric(v).(int64); isNum {
		all, _, err := x.relationNames()
		if err != nil {
			return nil, err
		}
		i := int(n - tableOID(0))
		if i < 0 || i >= len(all) {
			return nil, nil
		}
		name, ok = all[i], true
	}
	if !ok {
		return nil, nil
	}
	t, err := x.lookupTable(name, 0)
	if err == nil && t.MatView != "" {
		return x.matViewDef(t), nil
	}
	if err != nil || t.View == "" {
		return nil, nil
	}
	if !x.publicOnPath() {
		return qualifiedView(t.View) + ";", nil
	}
	return t.View + ";", nil
}

// relationNames lists the database's tables and then its views, in the order pg_class numbers them (tableOID),
// with the set of the views.
func (x *exec) relationNames() ([]string, map[string]bool, error) {
	tables, err := x.tableNames(x.base)
	if err != nil {
		return nil, nil, err
	}
	views, err := x.viewNames()
	if err != nil {
		return nil, nil, err
	}
	isView := make(map[string]bool, len(views))
	for _, v := range views {
		isView[v] = true
	}
	return append(tables, views...), isView, nil
}

// viewNames lists the database's views.
func (x *exec) viewNames() ([]string, error) { return x.catalogNamesWith("view") }

// catalogNamesWith lists the relations whose table catalog entry has the field: "view" for the views, "matview"
// for the materialized views.
func (x *exec) catalogNamesWith(field string) ([]string, error) {
	docs, err := x.s.db().collection(tablesCollection).find(x.catRead(), bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: true}}}},
		bson.D{{Key: "_id", Value: 1}}, 0)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(docs))
	for _, d := range docs {
		if s, ok := d.Lookup("_id").StringValueOK(); ok {
			names = append(names, s)
		}
	}
	return names, nil
}

// notAView refuses a view where DDL needs a table (42809, as PostgreSQL).
func notAView(t *table) error {
	if t.View == "" {
		return nil
	}
	return &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is a view", t.Name),
		Hint: "This operation is for tables."}
}

// viewNotWritable refuses a write to a view by a statement that does not write through views (MERGE, COPY),
// with PostgreSQL's 55000.
func viewNotWritable(t *table) error {
	if t.View == "" {
		return nil
	}
	return &Error{Code: "55000", Message: fmt.Sprintf("cannot write to view \"%s\"", t.Name),
		Hint: "Write to the view with INSERT, UPDATE or DELETE, or to the table it reads."}
}
