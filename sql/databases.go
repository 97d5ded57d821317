package sql

// CREATE DATABASE and DROP DATABASE. A database is the storage's (a MongoDB database): one exists while it holds
// a collection, and a client may connect to any name. CREATE DATABASE makes one that exists before its first
// table (it holds the empty catalog of its tables), so that \l lists it and a second CREATE is 42P04; DROP
// DATABASE drops the storage's database, with every table, sequence and type in it.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Database errors: PostgreSQL's duplicate_database, invalid_catalog_name and object_in_use.
const (
	CodeDuplicateDatabase = "42P04"
	CodeInvalidCatalog    = "3D000"
	CodeObjectInUse       = "55006"
)

// createDatabase runs CREATE DATABASE name [WITH options]: options PostgreSQL's scripts give (OWNER, TEMPLATE,
// ENCODING 'UTF8', the locales, ...) are accepted; an encoding other than UTF8 is refused.
func (x *exec) createDatabase(cs *pg.CreatedbStmt) (*Result, error) {
	if x.s.status != TxIdle || x.s.implicit {
		return nil, errorf(CodeActiveSQLTransaction, "CREATE DATABASE cannot run inside a transaction block")
	}
	for _, o := range cs.Options {
		d := o.GetDefElem()
		if d.Defname != "encoding" {
			continue
		}
		enc := strings.ToUpper(strings.ReplaceAll(defElemText(d), "-", ""))
		if enc != "UTF8" && enc != "UNICODE" {
			return nil, errorf(CodeInvalidParameterValue, "encoding \"%s\" is not supported: Concord's databases are UTF8", defElemText(d))
		}
	}
	if err := validDatabaseName(cs.Dbname); err != nil {
		return nil, err
	}
	if x.describe {
		return &Result{Tag: "CREATE DATABASE"}, nil
	}
	if err := x.authorizeDatabase(cs.Dbname, PrivCreate); err != nil {
		return nil, err
	}
	exists, err := x.databaseExists(cs.Dbname)
	if err != nil {
		return nil, err
	}
	if exists {
		return nil, errorf(CodeDuplicateDatabase, "database \"%s\" already exists", cs.Dbname)
	}
	if err := x.s.e.b.database(cs.Dbname).createCollection(x.base, tablesCollection, nil); err != nil {
		return nil, err
	}
	return &Result{Tag: "CREATE DATABASE"}, nil
}

// defElemText is an option's value as text: a string, a name or a number.
func defElemText(d *pg.DefElem) string {
	switch {
	case d.Arg == nil:
		return ""
	case d.Arg.GetString_() != nil:
		return d.Arg.GetString_().Sval
	case d.Arg.GetInteger() != nil:
		return fmt.Sprint(d.Arg.GetInteger().Ival)
	case d.Arg.GetTypeName() != nil:
		names := d.Arg.GetTypeName().Names
		return names[len(names)-1].GetString_().GetSval()
	}
	return ""
}

// validDatabaseName refuses a name the storage cannot hold (MongoDB's rules for database names).
func validDatabaseName(name string) error {
	if name == "" || len(name) > 63 || strings.ContainsAny(name, "/\\. \"$*<>:|?") {
		return errorf("42602", "invalid database name \"%s\": a database's name must not be empty, longer than 63 bytes, or hold any of / \\ . space \" $ * < > : | ?", name)
	}
	return nil
}

// authorizeDatabase checks, under an Authorizer, that the session may do priv to database name.
func (x *exec) authorizeDatabase(name string, priv Privilege) error {
	if x.s.authorize != nil && !x.s.authorize(name, Access{Privilege: priv}) {
		return errorf(CodeInsufficientPrivilege, "permission denied to %s database %s", map[Privilege]string{PrivCreate: "create", PrivDropDatabase: "drop"}[priv], name)
	}
	return nil
}

// databaseExists reports whether the storage has a database called name.
func (x *exec) databaseExists(name string) (bool, error) {
	names, err := x.s.e.b.listDatabaseNames(x.base)
	if err != nil {
		return false, err
	}
	return slices.Contains(names, name), nil
}

// dropDatabase runs DROP DATABASE [IF EXISTS] name [WITH (FORCE)]. The session's own database, and one another
// session is connected to, cannot be dropped (55006), but with FORCE, which ends those sessions first.
func (x *exec) dropDatabase(ds *pg.DropdbStmt) (*Result, error) {
	if x.s.status != TxIdle || x.s.implicit {
		return nil, errorf(CodeActiveSQLTransaction, "DROP DATABASE cannot run inside a transaction block")
	}
	if x.describe {
		return &Result{Tag: "DROP DATABASE"}, nil
	}
	name := ds.Dbname
	force := slices.ContainsFunc(ds.Options, func(o *pg.Node) bool { return o.GetDefElem().GetDefname() == "force" })
	exists, err := x.databaseExists(name)
	if err != nil {
		return nil, err
	}
	if !exists {
		if ds.MissingOk {
			x.warn(&Error{Code: "00000", Severity: "NOTICE", Message: fmt.Sprintf("database \"%s\" does not exist, skipping", name)})
			return &Result{Tag: "DROP DATABASE"}, nil
		}
		return nil, errorf(CodeInvalidCatalog, "database \"%s\" does not exist", name)
	}
	if name == x.s.database {
		return nil, errorf(CodeObjectInUse, "cannot drop the currently open database")
	}
	if err := x.authorizeDatabase(name, PrivDropDatabase); err != nil {
		return nil, err
	}
	var others []*Session
	for _, o := range x.s.e.sessions.all() {
		if o != x.s && o.database == name {
			others = append(others, o)
		}
	}
	if len(others) > 0 && force {
		for _, o := range others {
			o.signal(SignalTerminate)
		}
		// The terminated sessions close as their connections end.
		for deadline := time.Now().Add(5 * time.Second); len(others) > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
			others = slices.DeleteFunc(others, func(o *Session) bool { return x.s.e.sessions.lookup(int64(o.pid)) == nil })
		}
	}
	if n := len(others); n > 0 {
		detail := "There is 1 other session using the database."
		if n > 1 {
			detail = fmt.Sprintf("There are %d other sessions using the database.", n)
		}
		return nil, &Error{Code: CodeObjectInUse, Message: fmt.Sprintf("database \"%s\" is being accessed by other users", name), Detail: detail}
	}
	if err := x.s.e.b.database(name).drop(context.WithoutCancel(x.base)); err != nil {
		return nil, err
	}
	return &Result{Tag: "DROP DATABASE"}, nil
}
