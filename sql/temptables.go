package sql

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Temporary tables (CREATE TEMP TABLE, CREATE TEMP TABLE ... AS, SELECT ... INTO TEMP). A temporary table is
// the session's alone: no other session sees it, and it goes when the session ends. It is stored as any table
// is, a collection and a catalog entry, both under a storage name of the session's own,
// sql_temp.<engine>.<session>.<name>, which no table listing shows and no statement may name (a transaction
// cannot write a system. collection of MongoDB's, so the name is not one). The session maps
// the table's SQL name to that storage name where a name meets the storage: its database's collections
// (tempDB), its catalog entry's _id (catalogID), the table cache's key and the table locks' tag (storageOf).
// Everything else, the statements and their errors and the catalogs the session reads, knows the table by its
// SQL name, as PostgreSQL's pg_temp schema, searched first, does.
//
// The session drops its temporary tables when it closes (dropTemps); those of a process that stopped without
// closing its sessions are dropped by the first session of their database in the next Engine on the same
// storage (sweepTemps), the embedded storage only: on a MongoDB deployment other processes' sessions may be
// running.
//
// Not supported on a temporary table, each refused with 0A000: a name a permanent table has (PostgreSQL lets
// the temporary one hide it), serial and identity columns (their sequences are the database's), foreign keys
// to or from it, and views over it.

// tempNamespaceOID is the oid of the session's temporary schema, pg_temp_<pid> (tempSchema), in pg_namespace and
// its tables' pg_class.relnamespace; each session sees only its own.
const tempNamespaceOID = 14000

// tempSchema is the name of the session's temporary schema.
func (s *Session) tempSchema() string { return fmt.Sprintf("pg_temp_%d", s.pid) }

// schemaOf is the schema of relation name: the session's temporary schema for a temporary table, else public.
func (s *Session) schemaOf(name string) string {
	if s.isTemp(name) {
		return s.tempSchema()
	}
	return "public"
}

// tempPrefix begins the storage names of temporary tables.
const tempPrefix = "sql_temp."

// tempTable is a temporary table of a session: its storage name and what a commit does to it (ON COMMIT).
type tempTable struct {
	storage  string
	onCommit pg.OnCommitAction
}

// storageOf is the storage name of table name: a temporary table's own, else the name itself.
func (s *Session) storageOf(name string) string {
	if tt, ok := s.temps[name]; ok {
		return tt.storage
	}
	return name
}

// sqlNameOf is the SQL name of the collection storage: a temporary table's name for its storage name.
func (s *Session) sqlNameOf(storage string) string {
	if strings.HasPrefix(storage, tempPrefix) {
		for name, tt := range s.temps {
			if tt.storage == storage {
				return name
			}
		}
	}
	return storage
}

// isTemp reports whether name is one of the session's temporary tables.
func (s *Session) isTemp(name string) bool {
	_, ok := s.temps[name]
	return ok
}

// catalogID is the _id of table name's catalog entry.
func (x *exec) catalogID(name string) string { return x.s.storageOf(name) }

// tempDB is the database of a session with temporary tables: their names reach their storage names.
type tempDB struct {
	backendDB
	s *Session
}

func (d tempDB) collection(name string) backendColl {
	return d.backendDB.collection(d.s.storageOf(name))
}

func (d tempDB) createCollection(ctx context.Context, name string, validator bson.D) error {
	return d.backendDB.createCollection(ctx, d.s.storageOf(name), validator)
}

func (d tempDB) setStorageRules(ctx context.Context, name string, rules storageRules) error {
	return d.backendDB.setStorageRules(ctx, d.s.storageOf(name), rules)
}

func (d tempDB) storageRulesIn(name string) storageRules {
	return d.backendDB.storageRulesIn(d.s.storageOf(name))
}

func (d tempDB) setValidator(ctx context.Context, name string, validator bson.D) error {
	return d.backendDB.setValidator(ctx, d.s.storageOf(name), validator)
}

func (d tempDB) renameCollection(ctx context.Context, from, to string) error {
	return d.backendDB.renameCollection(ctx, d.s.storageOf(from), d.s.storageOf(to))
}

// listCollectionNames maps a filter on one name ({name: n}) and its answer; any other listing is the storage's
// (a temporary table's storage name among the system. names the callers leave out).
func (d tempDB) listCollectionNames(ctx context.Context, filter bson.D) ([]string, error) {
	if len(filter) == 1 && filter[0].Key == "name" {
		if n, ok := filter[0].Value.(string); ok && d.s.isTemp(n) {
			names, err := d.backendDB.listCollectionNames(ctx, bson.D{{Key: "name", Value: d.s.storageOf(n)}})
			for i := range names {
				names[i] = n
			}
			return names, err
		}
	}
	return d.backendDB.listCollectionNames(ctx, filter)
}

// withTemps adds to names, a database's collections with the system. ones left out, the session's temporary
// tables whose storage is among all, the database's collections as listed; a permanent table of the same
// name is listed once.
func (s *Session) withTemps(names, all []string) []string {
	for _, n := range slices.Sorted(maps.Keys(s.temps)) {
		if slices.Contains(all, s.temps[n].storage) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// createTemp readies CREATE TEMP TABLE rv: the name is the session's from now on, its storage name made
// (pruneTemps takes it back should the table not be made). A temporary table may not take a permanent
// table's name.
func (x *exec) createTemp(rv *pg.RangeVar, onCommit pg.OnCommitAction) error {
	if rv.Schemaname != "" && rv.Schemaname != "pg_temp" {
		return errorf(CodeInvalidTableDefinition, "cannot create temporary relation in non-temporary schema")
	}
	name := rv.Relname
	if x.s.isTemp(name) {
		return nil // CREATE TABLE finds it taken
	}
	if _, taken, err := x.relationByName(name); err != nil {
		return err
	} else if taken {
		return &Error{Code: CodeFeatureNotSupported,
			Message: fmt.Sprintf("Concord cannot create a temporary table named as the relation \"%s\"", name),
			Hint:    "PostgreSQL's temporary table would hide the other; give it a name of its own."}
	}
	if x.s.temps == nil {
		x.s.temps = map[string]tempTable{}
	}
	x.s.temps[name] = tempTable{storage: fmt.Sprintf("%s%s.%d.%s", tempPrefix, x.s.e.token, x.s.pid, name), onCommit: onCommit}
	return nil
}

// isTempRel reports whether a CREATE names a temporary table.
func isTempRel(rv *pg.RangeVar) bool {
	return rv.GetRelpersistence() == "t" || rv.GetSchemaname() == "pg_temp"
}

// refuseTempRef refuses, with 0A000, what a temporary table cannot take part in (a foreign key, a view).
func (x *exec) refuseTempRef(what, name string) error {
	if !x.s.isTemp(name) {
		return nil
	}
	return &Error{Code: CodeFeatureNotSupported,
		Message: fmt.Sprintf("%s on the temporary table \"%s\" is not supported by Concord", what, name)}
}

// pruneTemps forgets the temporary tables whose storage is gone: dropped, or made by a block that rolled back
// or by a statement that failed.
func (s *Session) pruneTemps() {
	if len(s.temps) == 0 {
		return
	}
	d := s.e.b.database(s.database)
	for name, tt := range s.temps {
		names, err := d.listCollectionNames(context.Background(), bson.D{{Key: "name", Value: tt.storage}})
		if err == nil && len(names) == 0 {
			delete(s.temps, name)
		}
	}
}

// commitTemps applies the ON COMMIT actions of the session's temporary tables at the end of a transaction
// that committed: DELETE ROWS empties the table, DROP drops it.
func (s *Session) commitTemps() {
	for name, tt := range s.temps {
		switch tt.onCommit {
		case pg.OnCommitAction_ONCOMMIT_DELETE_ROWS:
			_, _ = s.e.b.database(s.database).collection(tt.storage).deleteMany(context.Background(), bson.D{})
		case pg.OnCommitAction_ONCOMMIT_DROP:
			s.dropTemp(name)
		}
	}
}

// dropTemp drops temporary table name: its collection, its catalog entry, the session's record of it.
func (s *Session) dropTemp(name string) {
	tt := s.temps[name]
	d := s.e.b.database(s.database)
	ctx := context.Background()
	_ = d.collection(tt.storage).drop(ctx)
	_ = d.collection(tablesCollection).deleteOne(ctx, bson.D{{Key: "_id", Value: tt.storage}})
	delete(s.temps, name)
}

// dropTemps drops all the session's temporary tables, as it closes.
func (s *Session) dropTemps() {
	for name := range s.temps {
		s.dropTemp(name)
	}
}

// sweepTemps drops, on the embedded storage, the temporary tables of Engines no longer running: their sessions
// ended without dropping them (the process stopped).
func (e *Engine) sweepTemps(database string) {
	if !e.b.catalogInTransactions() { // a MongoDB deployment: other processes' sessions may be running
		return
	}
	once, _ := e.swept.LoadOrStore("temp\x00"+database, &sync.Once{})
	once.(*sync.Once).Do(func() { e.sweepTempsNow(database) })
}

func (e *Engine) sweepTempsNow(database string) {
	ctx := context.Background()
	d := e.b.database(database)
	names, err := d.listCollectionNames(ctx, bson.D{})
	if err != nil {
		return
	}
	for _, n := range names {
		rest, ok := strings.CutPrefix(n, tempPrefix)
		if !ok {
			continue
		}
		owner, _, _ := strings.Cut(rest, ".")
		if _, live := liveEngines.Load(owner); live {
			continue
		}
		if err := d.collection(n).drop(ctx); err == nil {
			_ = d.collection(tablesCollection).deleteOne(ctx, bson.D{{Key: "_id", Value: n}})
		}
	}
}

// insertTable writes the catalog entry of a new table t, a temporary table's under its storage name.
func (x *exec) insertTable(ctx context.Context, t *table) error {
	entry := *t
	entry.Name = x.catalogID(t.Name)
	return x.s.db().collection(tablesCollection).insertOne(ctx, &entry)
}
