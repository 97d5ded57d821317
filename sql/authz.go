package sql

import (
	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Privilege is what a statement does to a table, as an Authorizer is asked
// about it.
type Privilege string

// The privileges statements need. An UPDATE or DELETE needs only its own
// privilege on its target (MongoDB's update and remove actions cover the
// filter); every other table a statement names needs PrivSelect.
const (
	PrivSelect       Privilege = "SELECT"
	PrivInsert       Privilege = "INSERT"
	PrivUpdate       Privilege = "UPDATE"
	PrivDelete       Privilege = "DELETE"
	PrivCreate       Privilege = "CREATE"        // CREATE TABLE, ALTER TABLE
	PrivCreateIndex  Privilege = "CREATE INDEX"  // CREATE INDEX
	PrivDrop         Privilege = "DROP"          // DROP TABLE
	PrivDropDatabase Privilege = "DROP DATABASE" // DROP DATABASE, of the database it names
	PrivDropIndex    Privilege = "DROP INDEX"    // DROP INDEX: Table is "" (index names are database-wide)
	// PrivSignalBackend lets pg_cancel_backend and pg_terminate_backend reach another user's sessions
	// (PostgreSQL's pg_signal_backend role); Table is "".
	PrivSignalBackend Privilege = "SIGNAL BACKEND"
	// PrivReadAllStats lets pg_stat_activity show another user's sessions' details (PostgreSQL's
	// pg_read_all_stats role); Table is "".
	PrivReadAllStats Privilege = "READ ALL STATS"
)

// Access is one privilege a statement needs on one table of the session's
// database.
type Access struct {
	Table     string
	Privilege Privilege
}

// Authorizer decides whether the session's user may do a statement's
// accesses; a nil Authorizer allows everything (the embedded driver, and a
// server without --auth). It is called once per access before the
// statement runs, on the session's goroutine.
type Authorizer func(database string, a Access) bool

// SetAuthorizer makes the session check every statement's accesses with
// fn before running it: a refused access fails the statement with 42501,
// as PostgreSQL's "permission denied for table t".
func (s *Session) SetAuthorizer(fn Authorizer) {
	s.authorize = fn
	s.act.mu.Lock()
	s.act.restricted = fn != nil // read by other sessions' signals
	s.act.mu.Unlock()
}

// checkAccess fails with 42501 when the session's Authorizer refuses one
// of the accesses of statement n.
func (s *Session) checkAccess(st *statement) error {
	if s.authorize == nil {
		return nil
	}
	return s.checkAccesses(st.access())
}

// checkAccesses fails with 42501 when the session's Authorizer refuses one of as: a statement's, or those of a
// function's body when it is called (a function runs with its caller's privileges, as PostgreSQL's SECURITY
// INVOKER functions do).
func (s *Session) checkAccesses(as []Access) error {
	if s.authorize == nil {
		return nil
	}
	for _, a := range as {
		if !s.authorize(s.database, a) {
			if a.Table == "" {
				return errorf(CodeInsufficientPrivilege, "permission denied for database %s", s.database)
			}
			return errorf(CodeInsufficientPrivilege, "permission denied for table %s", a.Table)
		}
	}
	return nil
}

// accesses lists what statement n does to which tables: the targets of its
// INSERT, UPDATE, DELETE, MERGE and DDL (data-modifying CTEs included), and
// PrivSelect on every other table it names. Names of CTEs in scope and the
// catalog schemas (pg_catalog, information_schema), which every user may
// read, are left out.
func accesses(n *pg.Node) []Access {
	ctes := map[string]bool{}
	targets := map[*pg.RangeVar]bool{}
	var out []Access
	add := func(a Access) {
		for _, b := range out {
			if a == b {
				return
			}
		}
		out = append(out, a)
	}
	target := func(rv *pg.RangeVar, p Privilege) {
		if rv != nil {
			targets[rv] = true
			add(Access{Table: rv.Relname, Privilege: p})
		}
	}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.CommonTableExpr:
			ctes[v.Ctename] = true
		case *pg.InsertStmt:
			target(v.Relation, PrivInsert)
			if oc := v.OnConflictClause; oc != nil && oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
				add(Access{Table: v.Relation.GetRelname(), Privilege: PrivUpdate})
			}
		case *pg.UpdateStmt:
			target(v.Relation, PrivUpdate)
		case *pg.DeleteStmt:
			target(v.Relation, PrivDelete)
		case *pg.MergeStmt:
			// As in PostgreSQL: the privilege of each action it may take, and SELECT for the join on the target.
			target(v.Relation, PrivSelect)
			for _, w := range v.MergeWhenClauses {
				switch w.GetMergeWhenClause().CommandType {
				case pg.CmdType_CMD_INSERT:
					target(v.Relation, PrivInsert)
				case pg.CmdType_CMD_UPDATE:
					target(v.Relation, PrivUpdate)
				case pg.CmdType_CMD_DELETE:
					target(v.Relation, PrivDelete)
				}
			}
		case *pg.CopyStmt:
			if v.IsFrom {
				target(v.Relation, PrivInsert)
			}
		case *pg.TruncateStmt:
			for _, r := range v.Relations {
				target(r.GetRangeVar(), PrivDelete)
			}
		case *pg.SelectStmt:
			// SELECT ... FOR UPDATE locks what it reads: PostgreSQL asks for UPDATE on those tables too.
			if len(v.LockingClause) > 0 {
				for _, f := range v.FromClause {
					walk(f.ProtoReflect(), func(m protoreflect.Message) bool {
						if rv, ok := m.Interface().(*pg.RangeVar); ok && rv.Relname != "" {
							add(Access{Table: rv.Relname, Privilege: PrivUpdate})
						}
						return false
					})
				}
			}
		case *pg.CreateStmt:
			target(v.Relation, PrivCreate)
		case *pg.CreateFunctionStmt, *pg.CreateDomainStmt, *pg.AlterDomainStmt, *pg.CreateEnumStmt, *pg.AlterEnumStmt:
			add(Access{Privilege: PrivCreate}) // objects of the database's own: its createCollection
		case *pg.CreateTrigStmt:
			target(v.Relation, PrivCreate) // a change to the table's behavior, as ALTER TABLE is
		case *pg.ViewStmt:
			target(v.View, PrivCreate)
		case *pg.AlterTableStmt:
			target(v.Relation, PrivCreate)
		case *pg.RenameStmt:
			target(v.Relation, PrivCreate)
		case *pg.IndexStmt:
			target(v.Relation, PrivCreateIndex)
		case *pg.DropStmt:
			for _, o := range v.Objects {
				name := ""
				if l := o.GetList(); l != nil && len(l.Items) > 0 {
					name = l.Items[len(l.Items)-1].GetString_().GetSval()
				}
				if v.RemoveType == pg.ObjectType_OBJECT_INDEX {
					add(Access{Privilege: PrivDropIndex})
				} else if v.RemoveType == pg.ObjectType_OBJECT_TRIGGER {
					if l := o.GetList(); l != nil && len(l.Items) > 1 {
						add(Access{Table: l.Items[len(l.Items)-2].GetString_().GetSval(), Privilege: PrivCreate}) // DROP TRIGGER t ON table
					}
				} else {
					add(Access{Table: name, Privilege: PrivDrop})
				}
			}
		}
		return false
	})
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		rv, ok := m.Interface().(*pg.RangeVar)
		if !ok || targets[rv] || rv.Relname == "" {
			return false
		}
		switch rv.Schemaname {
		case "pg_catalog", "information_schema":
			return false
		case "":
			if ctes[rv.Relname] || isCatalogName(rv.Relname) {
				return false
			}
		}
		add(Access{Table: rv.Relname, Privilege: PrivSelect})
		return false
	})
	return out
}
