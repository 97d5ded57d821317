package sql

import (
	"context"
	pg "github.com/pganalyze/pg_query_go/v6"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// tablesCollection holds, in each database, one document per table created
// with CREATE TABLE: its columns, their types and its primary key.
// Collections written only over the MongoDB port have no document here and
// are tables all the same, whose columns are the fields found in them.
const tablesCollection = "system.sql_tables"

// column is a declared column.
type column struct {
	Name string `bson:"name"`
	Type uint32 `bson:"type"`
	// TypMod is the type's modifier as PostgreSQL's atttypmod: n + 4 for varchar(n) and char(n), ((p << 16) | s)
	// + 4 for numeric(p, s); 0 for none (typmod.go).
	TypMod  int32 `bson:"typmod,omitempty"`
	NotNull bool  `bson:"notnull,omitempty"`
	// Default is the column's DEFAULT expression as SQL text, "" for none; a serial or identity column's is
	// nextval('its sequence').
	Default string `bson:"default,omitempty"`
	// Identity is PostgreSQL's attidentity: "a" for GENERATED ALWAYS AS IDENTITY, "d" for BY DEFAULT.
	Identity string `bson:"identity,omitempty"`
	// Sequence is the sequence the column owns (serial and identity columns): DROP TABLE drops it.
	Sequence string `bson:"sequence,omitempty"`
	// Comment is COMMENT ON COLUMN's text (col_description).
	Comment string `bson:"comment,omitempty"`
	// Generated is a generated column's expression (GENERATED ALWAYS AS (expr) STORED) as SQL text, "" for any
	// other column (generated.go).
	Generated string `bson:"generated,omitempty"`
	// Domain is the domain the column was declared with (Type and TypMod are the type under it), "" for none
	// (domains.go).
	Domain string `bson:"domain,omitempty"`
	// seqOptions are an identity column's sequence options in the CREATE TABLE or ADD COLUMN that makes it, for
	// the sequence made with the table; not kept.
	seqOptions []*pg.Node
}

// table is a collection seen as a table.
type table struct {
	Name    string   `bson:"_id"`
	Columns []column `bson:"columns"`
	Key     []string `bson:"key,omitempty"` // primary key columns; stored as _id
	// PKName is the primary key constraint's name when CREATE TABLE gave one (CONSTRAINT name PRIMARY KEY), else
	// "": <table>_pkey (pkeyName).
	PKName string `bson:"pkname,omitempty"`
	// Uniques name the unique indexes of UNIQUE constraints that were given a name (CONSTRAINT name UNIQUE); those
	// named by default, <table>_<cols>_key, are known by their names (uniqueColumns).
	Uniques []string `bson:"uniques,omitempty"`
	// View is a view's query (CREATE VIEW), as PostgreSQL's deparser writes it; "" for a table.
	View string `bson:"view,omitempty"`
	// CheckOption is a view's WITH CHECK OPTION: "local", "cascaded", or "" for none (viewwrite.go).
	CheckOption string `bson:"checkoption,omitempty"`
	// MatView is a materialized view's query, as PostgreSQL's deparser writes it; "" for a table or view. The
	// materialized view is a table whose rows REFRESH MATERIALIZED VIEW replaces (matviews.go); Unpopulated is set
	// while it has none to read (made or refreshed WITH NO DATA).
	MatView     string `bson:"matview,omitempty"`
	Unpopulated bool   `bson:"unpopulated,omitempty"`
	// Checks are the table's CHECK constraints, enforced by its collection's validator (checks.go).
	Checks []check `bson:"checks,omitempty"`
	// ForeignKeys are the table's FOREIGN KEY constraints; ReferencedBy names the tables whose foreign keys
	// reference this one (fkeys.go).
	ForeignKeys  []foreignKey `bson:"fkeys,omitempty"`
	ReferencedBy []string     `bson:"referencedby,omitempty"`
	// Comment is COMMENT ON TABLE's (or VIEW's) text (obj_description).
	Comment string `bson:"comment,omitempty"`
	// Ranges is rangesOf the table when its validator was last set: a table whose numeric(p,s) columns differ
	// from it (made before the validator held their ranges) has its validator set again (readTable).
	Ranges string `bson:"ranges,omitempty"`
	// Predicates are the WHERE clauses of the table's partial indexes, by index name, as PostgreSQL's deparser
	// writes them (pg_get_indexdef shows them; the index holds them as its partialFilterExpression).
	Predicates map[string]string `bson:"predicates,omitempty"`
	// Aliases are the indexes made on the same key as one the table has (PostgreSQL allows duplicate indexes,
	// the storage one index per key): alias name -> the index that serves it (indexalias.go).
	Aliases map[string]indexAlias `bson:"aliases,omitempty"`
	// Renamed gives the indexes SQL knows by another name than the storage's, by storage name: those ALTER
	// INDEX ... RENAME renamed, and those made under a name the storage still held (indexrename.go).
	Renamed map[string]string `bson:"renamed,omitempty"`
	// Computed are the expressions of the table's expression indexes, kept in hidden fields of its rows
	// (exprindex.go).
	Computed []computedField `bson:"computed,omitempty"`
	// RelOptions are the table's storage parameters, name=value (reloptions.go).
	RelOptions []string `bson:"reloptions,omitempty"`
	// Clustered is the index CLUSTER last named for the table (pg_index.indisclustered; maintenance.go).
	Clustered string `bson:"clustered,omitempty"`
	// NullsNotDistinct names, by storage name, the unique indexes made NULLS NOT DISTINCT: no partial filter
	// leaves out the rows with a NULL key, so a NULL conflicts with a NULL as the storage's unique indexes (and
	// MongoDB's) compare them (uniquePartial).
	NullsNotDistinct []string `bson:"nullsnotdistinct,omitempty"`
	// Triggers are the table's triggers (triggers.go).
	Triggers []trigger `bson:"triggers,omitempty"`
	// IndexComments are COMMENT ON INDEX's texts, by index name.
	IndexComments map[string]string `bson:"indexcomments,omitempty"`
	// Rev counts the entry's saves (saveTable): a save of an entry read before another statement or block saved
	// it is refused, rather than putting back what that one changed.
	Rev      int64 `bson:"rev,omitempty"`
	declared bool
	// unsynced: the storage does not keep the table's rules as storageRulesOf gives them (readTable).
	unsynced bool
}

// pkeyName is the name of t's primary key constraint and index.
func (t *table) pkeyName() string {
	if t.PKName != "" {
		return t.PKName
	}
	return t.Name + "_pkey"
}

// column returns the named column, or nil.
func (t *table) column(name string) *column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

// field returns the document path of a column: a one-column primary key is
// _id, a column of a composite key _id.<name>, any other column its name.
func (t *table) field(name string) string {
	for _, k := range t.Key {
		if k == name {
			if len(t.Key) == 1 {
				return "_id"
			}
			return "_id." + name
		}
	}
	if !t.declared && name == "_id" {
		return "_id"
	}
	return name
}

// colType returns a column's declared type, 0 when undeclared.
func (t *table) colType(name string) uint32 {
	if c := t.column(name); c != nil {
		return c.Type
	}
	return 0
}

// typmodOfColumn is the modifier of table t's column name; 0 for none or no such column.
func (t *table) typmodOfColumn(name string) int32 {
	if c := t.column(name); c != nil {
		return c.TypMod
	}
	return 0
}

// lookupTable returns the table name in the session's database: its
// declared schema, or a schemaless table for a collection that exists. An
// unknown name is 42P01. The table returned may be shared with other
// statements: callers never modify it.
func (x *exec) lookupTable(name string, loc int32) (*table, error) {
	if name == "" || strings.HasPrefix(name, "system.") || strings.HasPrefix(name, tempPrefix) || x.unseen[name] {
		return nil, &Error{Code: CodeUndefinedTable, Message: "relation \"" + name + "\" does not exist", Position: namePosition(loc)}
	}
	gen, cacheable := x.s.e.b.catalogGeneration()
	cacheable = cacheable && !x.blockChanged() // the block's catalog is its own
	key := tableKey{x.s.database, x.s.storageOf(name)}
	if cacheable {
		if t := x.s.e.tables.get(gen, key); t != nil {
			return t, nil // its enum types were loaded when it was read: changing one moves the generation on
		}
	}
	t, err := x.readTable(name, loc)
	if err == nil {
		err = x.loadEnumsOf(t)
	}
	if err == nil && cacheable && !t.unsynced {
		x.s.e.tables.put(gen, key, t)
	}
	if err == nil && !cacheable {
		if x.looked == nil {
			x.looked = map[string]*table{}
		}
		x.looked[name] = t
	}
	return t, err
}

// namePosition is the error position of a relation's name at loc: none for a loc of 0 or less, which the callers
// that name no place in the statement (DDL, whose missing relation PostgreSQL reports without one) pass; no
// statement starts with a relation's name.
func namePosition(loc int32) int {
	if loc <= 0 {
		return 0
	}
	return int(loc) + 1
}

// readTable reads a table's definition from the catalog.
func (x *exec) readTable(name string, loc int32) (*table, error) {
	db := x.s.db()
	t, err := x.catalogTable(name)
	if err != nil {
		return nil, err
	}
	if t != nil {
		if t.View == "" && t.Ranges != rangesOf(t) && !x.inTxn && !x.describe {
			// Made before its validator held its numeric(p,s) columns' ranges: set it now, outside any
			// transaction (a catalog change would fail one that writes the table). A failure (a user who may
			// not change the collection) leaves it for the next statement.
			_ = x.installRanges(t)
		}
		if (t.hasGenerated() || t.hasNotNull() || t.hasDefault() || len(t.ForeignKeys) > 0) && !x.storageRulesInStep(t) {
			// Likewise a table whose computed fields the storage does not have as they are now (made before the
			// storage computed them, changed in a transaction block, or its collection made again); until they are
			// set (not while a statement is only described), the table is not cached (lookupTable).
			if !x.describe {
				_ = x.syncStorageRules(t)
			}
			t.unsynced = !x.storageRulesInStep(t)
		}
		return t, nil
	}
	if x.droppedInBlock(name) { // its collection stays until the block commits
		return nil, &Error{Code: CodeUndefinedTable, Message: "relation \"" + name + "\" does not exist", Position: namePosition(loc)}
	}
	names, err := db.listCollectionNames(x.base, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &Error{Code: CodeUndefinedTable, Message: "relation \"" + name + "\" does not exist", Position: namePosition(loc)}
	}
	return &table{Name: name}, nil
}

// tableKey names a table: database and table name.
type tableKey struct{ db, name string }

// tableCache keeps the tables lookupTable read, for as long as the
// backend's catalog generation stays the one they were read at: any change
// of the catalog (a table created, dropped or altered over SQL, a
// collection created, dropped or renamed over the MongoDB port or the
// embedded API) empties it. Safe for concurrent use; the tables in it are
// never modified.
type tableCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[tableKey]*table
}

// maxCachedTables bounds a tableCache; past it, the cache starts over.
const maxCachedTables = 4096

// get returns the table cached at generation gen, or nil.
func (c *tableCache) get(gen uint64, k tableKey) *table {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.gen != gen {
		return nil
	}
	return c.m[k]
}

// put caches t, read from the catalog while the generation was gen (read
// before the catalog was). A put at an older generation than the cache's
// is dropped; a newer one empties the cache first.
func (c *tableCache) put(gen uint64, k tableKey, t *table) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen < c.gen {
		return
	}
	if gen > c.gen || c.m == nil || len(c.m) >= maxCachedTables {
		c.gen, c.m = gen, map[tableKey]*table{}
	}
	c.m[k] = t
}

// tableNames lists the tables of the session's database.
func (x *exec) tableNames(ctx context.Context) ([]string, error) {
	names, err := x.s.db().listCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "system.") && !strings.HasPrefix(n, tempPrefix) { // tempPrefix: the sessions' temporary tables
			out = append(out, n)
		}
	}
	return x.withBlockTables(x.s.withTemps(out, names)), nil
}
