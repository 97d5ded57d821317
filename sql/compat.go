package sql

import (
	"fmt"
	"maps"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// builtInExtensions are the PostgreSQL extensions whose functions Concord has built in, so that the migrations
// that create them run: pgcrypto's gen_random_uuid, uuid-ossp's uuid_generate_v4, plpgsql (always present).
var builtInExtensions = map[string]bool{"pgcrypto": true, "uuid-ossp": true, "plpgsql": true}

// createExtension runs CREATE EXTENSION [IF NOT EXISTS] for an extension Concord has built in; any other is
// refused with 0A000.
func (x *exec) createExtension(ce *pg.CreateExtensionStmt) (*Result, error) {
	if !builtInExtensions[ce.Extname] {
		return nil, unsupported(fmt.Sprintf("the extension \"%s\" (Concord has pgcrypto's gen_random_uuid and uuid-ossp's uuid_generate_v4 built in)", ce.Extname))
	}
	return &Result{Tag: "CREATE EXTENSION"}, nil
}

// comment runs COMMENT ON TABLE | VIEW | COLUMN ... IS 'text' | NULL: the text goes into the table catalog, where
// obj_description and col_description (psql's \dt+ and \d+) read it. COMMENT ON EXTENSION of a built-in one and
// on SCHEMA public, which pg_dump writes, change nothing.
func (x *exec) comment(cs *pg.CommentStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "COMMENT"}, nil
	}
	var names []string
	if l := cs.Object.GetList(); l != nil {
		for _, it := range l.Items {
			names = append(names, it.GetString_().GetSval())
		}
	} else if s := cs.Object.GetString_(); s != nil {
		names = []string{s.Sval}
	}
	parts := 1 // a relation's name; a column's is the relation's and its own
	if cs.Objtype == pg.ObjectType_OBJECT_COLUMN {
		parts = 2
	}
	if len(names) == parts+1 && names[0] == "public" {
		names = names[1:]
	}
	switch cs.Objtype {
	case pg.ObjectType_OBJECT_EXTENSION:
		if len(names) == 1 && builtInExtensions[names[0]] {
			return &Result{Tag: "COMMENT"}, nil
		}
	case pg.ObjectType_OBJECT_SCHEMA:
		if len(names) == 1 && names[0] == "public" {
			return &Result{Tag: "COMMENT"}, nil
		}
	case pg.ObjectType_OBJECT_INDEX:
		if len(names) != 1 {
			return nil, unsupported("schemas other than public")
		}
		ix, found, err := x.indexNamed(names[0])
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errorf(CodeUndefinedTable, "relation \"%s\" does not exist", names[0])
		}
		if err := x.setIndexComment(ix.table, ix.name, cs.Comment); err != nil {
			return nil, err
		}
		return &Result{Tag: "COMMENT"}, nil
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_COLUMN:
		if len(names) != parts {
			return nil, unsupported("schemas other than public")
		}
		rel := names[0]
		t, err := x.readTable(rel, 0)
		if err != nil {
			return nil, err
		}
		if !t.declared {
			return nil, unsupported("COMMENT ON a collection without CREATE TABLE")
		}
		if cs.Objtype == pg.ObjectType_OBJECT_VIEW && t.View == "" {
			return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a view", rel)}
		}
		nt := *t
		if cs.Objtype == pg.ObjectType_OBJECT_COLUMN {
			nt.Columns = append([]column(nil), t.Columns...)
			c := nt.column(names[1])
			if c == nil {
				return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", names[1], rel)
			}
			c.Comment = cs.Comment
		} else {
			nt.Comment = cs.Comment
		}
		if err := x.saveTable(&nt); err != nil {
			return nil, err
		}
		return &Result{Tag: "COMMENT"}, nil
	}
	return nil, unsupported("COMMENT ON " + strings.ToLower(strings.TrimPrefix(cs.Objtype.String(), "OBJECT_")))
}

// createSchema runs CREATE SCHEMA [IF NOT EXISTS] public, the one schema, which exists (42P06, or a notice with
// IF NOT EXISTS); another schema is refused with 0A000.
func (x *exec) createSchema(cs *pg.CreateSchemaStmt) (*Result, error) {
	if cs.Schemaname != "public" {
		return nil, unsupported("schemas other than public")
	}
	if !cs.IfNotExists {
		return nil, errorf("42P06", "schema \"public\" already exists")
	}
	x.warn(&Error{Code: "42P06", Severity: "NOTICE", Message: "schema \"public\" already exists, skipping"})
	return &Result{Tag: "CREATE SCHEMA"}, nil
}

// setIndexComment gives index name of table its comment (COMMENT ON INDEX), or with "" takes it away.
func (x *exec) setIndexComment(table, name, comment string) error {
	t, err := x.readTable(table, 0)
	if err != nil {
		return err
	}
	if t.IndexComments[name] == comment {
		return nil
	}
	nt := *t
	nt.IndexComments = maps.Clone(t.IndexComments)
	if nt.IndexComments == nil {
		nt.IndexComments = map[string]string{}
	}
	if comment == "" {
		delete(nt.IndexComments, name)
	} else {
		nt.IndexComments[name] = comment
	}
	return x.saveTable(&nt)
}
