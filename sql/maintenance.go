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
	for _, o := range vs.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		if !valid[d.Defname] {
			return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("unrecognized %s option \"%s\"", cmd, d.Defname),
				Position: int(d.Location) + 1}
		}
		if d.Defname == "parallel" && d.Arg == nil {
			return nil, &Error{Code: CodeSyntaxError, Message: "parallel option requires a value between 0 and 1024",
				Position: int(d.Location) + 1}
		}
		if d.Defname == "analyze" {
			analyze = defElemTrue(d)
		}
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
		if rv.Schemaname != "" && rv.Schemaname != "public" {
			return nil, &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname),
				Position: int(rv.Location) + 1}
		}
		t, err := x.lookupTable(rv.Relname, rv.Location)
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

// defElemTrue reports whether a boolean option is on: written alone, or with a true value (true, on, 1, yes).
func defElemTrue(d *pg.DefElem) bool {
	if d.Arg == nil {
		return true
	}
	switch v := d.Arg.Node.(type) {
	case *pg.Node_Boolean:
		return v.Boolean.Boolval
	case *pg.Node_Integer:
		return v.Integer.Ival != 0
	case *pg.Node_String_:
		switch strings.ToLower(v.String_.Sval) {
		case "false", "off", "no", "0":
			return false
		}
	}
	return true
}
