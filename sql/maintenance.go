package sql

import (
	"fmt"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// vacuumOptions and analyzeOptions are the options PostgreSQL 15 accepts in VACUUM (...) and ANALYZE (...).
var (
	vacuumOptions = map[string]bool{"verbose": true, "analyze": true, "freeze": true, "full": true,
		"disable_page_skipping": true, "skip_locked": true, "index_cleanup": true, "process_toast": true,
		"truncate": true, "parallel": true}
	analyzeOptions = map[string]bool{"verbose": true, "skip_locked": true}
)

// vacuum runs VACUUM and ANALYZE. Concord's storage reclaims the space of old versions with its own background
// compactions and plans without table statistics, so both have nothing to do; they check what PostgreSQL checks
// (options, tables, columns, VACUUM outside a transaction block) and answer as it does, so that scripts and
// tools that run them (migrations, pg_restore, benchmarks) run unchanged. A view is skipped with PostgreSQL's
// warning.
func (x *exec) vacuum(vs *pg.VacuumStmt) (*Result, error) {
	cmd, tag := "ANALYZE", "ANALYZE"
	valid := analyzeOptions
	if vs.IsVacuumcmd {
		cmd, tag, valid = "VACUUM", "VACUUM", vacuumOptions
	}
	analyze := !vs.IsVacuumcmd
	set := map[string]bool{} // the boolean options turned on
	parallel := false
	for _, o := range vs.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		at := int(d.Location) + 1
		if !valid[d.Defname] {
			return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("unrecognized %s option \"%s\"", cmd, d.Defname), Position: at}
		}
		switch d.Defname {
		case "parallel":
			if d.Arg == nil {
				return nil, &Error{Code: CodeSyntaxError, Message: "parallel option requires a value between 0 and 1024", Position: at}
			}
			n, ok := d.Arg.Node.(*pg.Node_Integer)
			if !ok {
				return nil, &Error{Code: CodeSyntaxError, Message: "parallel requires an integer value", Position: at}
			}
			if n.Integer.Ival < 0 || n.Integer.Ival > 1024 {
				return nil, &Error{Code: CodeSyntaxError, Message: "parallel workers for vacuum must be between 0 and 1024", Position: at}
			}
			parallel = true
		case "index_cleanup":
			if v, ok := d.Arg.GetNode().(*pg.Node_String_); ok && strings.EqualFold(v.String_.Sval, "auto") {
				continue
			}
			fallthrough
		default:
			on, ok := defElemBool(d)
			if !ok {
				return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("%s requires a Boolean value", d.Defname), Position: at}
			}
			set[d.Defname] = on
			if d.Defname == "analyze" {
				analyze = on
			}
		}
	}
	switch {
	case set["full"] && parallel:
		return nil, errorf(CodeFeatureNotSupported, "VACUUM FULL cannot be performed in parallel")
	case set["full"] && set["disable_page_skipping"]:
		return nil, errorf(CodeFeatureNotSupported, "VACUUM option DISABLE_PAGE_SKIPPING cannot be used with FULL")
	}
	if v, given := set["process_toast"]; given && !v && set["full"] {
		return nil, errorf(CodeFeatureNotSupported, "PROCESS_TOAST required with VACUUM FULL")
	}
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	if vs.IsVacuumcmd && x.inTxn {
		return nil, errorf(CodeActiveSQLTransaction, "VACUUM cannot run inside a transaction block")
	}
	for _, n := range vs.Rels {
		vr := n.GetVacuumRelation()
		if vr == nil || vr.Relation == nil {
			continue
		}
		rv := vr.Relation
		if rv.Schemaname == "pg_catalog" || rv.Schemaname == "" && isCatalogName(rv.Relname) {
			if catalogNames[rv.Relname] {
				if rv.Relname == "pg_indexes" { // a view
					x.warn(errorf("01000", "skipping \"%s\" --- cannot %s non-tables or special system tables", rv.Relname, strings.ToLower(cmd)))
				}
				continue
			}
		}
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			return nil, &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname),
				Position: int(rv.Location) + 1}
		}
		t, err := x.lookupTable(rv.Relname, -1) // no position, as PostgreSQL's
		if err != nil {
			return nil, err
		}
		if len(vr.VaCols) > 0 && !analyze {
			return nil, errorf(CodeFeatureNotSupported, "ANALYZE option must be specified when a column list is provided")
		}
		seen := map[string]bool{}
		for _, c := range vr.VaCols {
			name := c.GetString_().GetSval()
			if t.declared && t.View == "" && t.column(name) == nil {
				return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, t.Name)
			}
			if seen[name] {
				return nil, errorf("42701", "column \"%s\" of relation \"%s\" appears more than once", name, t.Name)
			}
			seen[name] = true
		}
		if t.View != "" {
			verb := strings.ToLower(cmd)
			x.warn(errorf("01000", "skipping \"%s\" --- cannot %s non-tables or special system tables", t.Name, verb))
		}
	}
	return &Result{Tag: tag}, nil
}

// defElemBool reads a boolean option as PostgreSQL's defGetBoolean does: alone it is on; else true, false, on,
// off (any case) or the integers 1 and 0. ok is false for any other value.
func defElemBool(d *pg.DefElem) (on, ok bool) {
	if d.Arg == nil {
		return true, true
	}
	switch v := d.Arg.Node.(type) {
	case *pg.Node_Boolean:
		return v.Boolean.Boolval, true
	case *pg.Node_Integer:
		switch v.Integer.Ival {
		case 0:
			return false, true
		case 1:
			return true, true
		}
	case *pg.Node_String_:
		switch strings.ToLower(v.String_.Sval) {
		case "true", "on":
			return true, true
		case "false", "off":
			return false, true
		}
	}
	return false, false
}

// reindex runs REINDEX. Concord's indexes are written with their documents, in the same commits, so they never
// need rebuilding; REINDEX checks what PostgreSQL checks (the index, table or database exists, CONCURRENTLY
// outside a transaction block) and answers as it does.
func (x *exec) reindex(rs *pg.ReindexStmt) (*Result, error) {
	concurrently := false
	for _, p := range rs.Params {
		if d := p.GetDefElem(); d != nil && d.Defname == "concurrently" {
			concurrently, _ = defElemBool(d)
		}
	}
	if x.describe {
		return &Result{Tag: "REINDEX"}, nil
	}
	if concurrently && x.inTxn {
		return nil, errorf(CodeActiveSQLTransaction, "REINDEX CONCURRENTLY cannot run inside a transaction block")
	}
	switch rs.Kind {
	case pg.ReindexObjectType_REINDEX_OBJECT_INDEX:
		if _, found, err := x.indexNamed(rs.Relation.GetRelname()); err != nil || !found {
			if err == nil {
				err = &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s\" does not exist", rs.Relation.GetRelname())}
			}
			return nil, err
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_TABLE:
		if _, err := x.lookupTable(rs.Relation.GetRelname(), -1); err != nil { // no position, as PostgreSQL's
			return nil, err
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_DATABASE, pg.ReindexObjectType_REINDEX_OBJECT_SYSTEM:
		if rs.Name != "" && rs.Name != x.s.database {
			return nil, errorf(CodeFeatureNotSupported, "can only reindex the currently open database")
		}
		if x.inTxn {
			return nil, errorf(CodeActiveSQLTransaction, "REINDEX %s cannot run inside a transaction block", strings.TrimPrefix(rs.Kind.String(), "REINDEX_OBJECT_"))
		}
	case pg.ReindexObjectType_REINDEX_OBJECT_SCHEMA:
		if rs.Name != "public" && rs.Name != x.s.tempSchema() {
			return nil, errorf("3F000", "schema \"%s\" does not exist", rs.Name)
		}
		if x.inTxn {
			return nil, errorf(CodeActiveSQLTransaction, "REINDEX SCHEMA cannot run inside a transaction block")
		}
	}
	return &Result{Tag: "REINDEX"}, nil
}

// cluster runs CLUSTER. The order of a table's rows in the storage is its key's, and no query relies on another,
// so CLUSTER has nothing to do to the rows; it checks the table and index as PostgreSQL does and remembers the
// index, which CLUSTER t without USING names again.
func (x *exec) cluster(cs *pg.ClusterStmt) (*Result, error) {
	if x.describe || cs.Relation == nil {
		if cs.Relation == nil && x.inTxn && !x.describe {
			return nil, errorf(CodeActiveSQLTransaction, "CLUSTER cannot run inside a transaction block")
		}
		return &Result{Tag: "CLUSTER"}, nil
	}
	t, err := x.readTable(cs.Relation.Relname, -1) // no position, as PostgreSQL's
	if err != nil {
		return nil, err
	}
	name := cs.Indexname
	if name == "" {
		name = t.Clustered
	}
	ix, found, err := x.indexNamed(name)
	if err != nil {
		return nil, err
	}
	if name == "" || (cs.Indexname == "" && (!found || ix.table != t.Name)) {
		return nil, errorf(CodeUndefinedObject, "there is no previously clustered index for table \"%s\"", t.Name)
	}
	if !found || ix.table != t.Name {
		return nil, errorf(CodeUndefinedObject, "index \"%s\" for table \"%s\" does not exist", name, t.Name)
	}
	if t.declared && t.Clustered != name {
		// Remembered for CLUSTER without USING and pg_index.indisclustered, as PostgreSQL marks the index.
		t.Clustered = name
		if err := x.saveTable(t); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "CLUSTER"}, nil
}
