package sql

import (
	"fmt"

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
