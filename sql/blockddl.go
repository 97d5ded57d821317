package sql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// DDL inside a transaction block (BEGIN ... COMMIT). PostgreSQL's DDL is transactional: a table created in a
// block is the block's alone until COMMIT, and ROLLBACK takes it away with the rows written to it. Concord runs
// the DDL whose every change a transaction can hold the same way:
//
//   - the catalog entries (system.sql_tables, system.sql_sequences, the enum types) are written in the block's
//     transaction, and read through it once the block has changed any, so that the block sees what it made;
//   - CREATE TABLE creates its collection and unique indexes in the transaction, as MongoDB creates collections
//     in transactions: no one else sees the collection before the commit, and an abort drops it;
//   - a sequence the block created, altered or dropped is stepped in the transaction too (nextval of any other
//     sequence stays outside every transaction, as in PostgreSQL);
//   - a table the block drops is gone for it at once, and its collection is dropped once the block commits.
//
// That covers ALTER INDEX ... RENAME and ALTER TABLE ... RENAME CONSTRAINT (indexrename.go), CREATE TABLE,
// CREATE VIEW, CREATE SEQUENCE, CREATE TYPE ... AS ENUM, COMMENT ON, CREATE INDEX on a table the block created (also after the block wrote rows to it: the index is built over them, and a unique
// one refuses their duplicates) or on a table from before the block (built at once and dropped on rollback,
// below), ALTER SEQUENCE, DROP TABLE / VIEW / SEQUENCE / TYPE, and the ALTER TABLE
// actions that change the catalog and the rows (ADD COLUMN without a unique constraint, DROP COLUMN, whose
// indexes go at commit, RENAME COLUMN of a column no index holds, SET/DROP DEFAULT, SET/DROP NOT NULL, ALTER
// COLUMN ... TYPE, ADD and DROP of a CHECK constraint, ADD FOREIGN KEY, VALIDATE CONSTRAINT, OWNER TO the current
// user, and on a table the block created ADD CONSTRAINT ... UNIQUE, ADD CONSTRAINT ... PRIMARY KEY where no
// validator changes and ADD GENERATED ... AS IDENTITY). A validator such an action changes is the block
// transaction's at once (setTableValidator) and the collection's at commit. ROLLBACK TO a savepoint undoes them
// as ROLLBACK does: a table or index created since is dropped.
// Any other DDL in a block would change the storage outside the transaction, where a ROLLBACK could not undo it:
// it is refused with 0A000 before it changes anything (refuseInBlock). The implicit block of a multi-statement
// query keeps running DDL at once, outside its transaction.

// blockDDL is what a transaction block's DDL made.
type blockDDL struct {
	created []string        // the tables (collections) the block created, in order
	dropped []string        // the tables the block dropped: their collections go when it commits
	seqs    map[string]bool // the sequences the block created, altered or dropped
	// handed are the last values nextval gave of the sequences stepped in the block's transaction, which
	// ROLLBACK TO puts back (a sequence never goes back, not even to a savepoint).
	handed map[string]seqValue
	// built are the indexes the block built at once on tables from before it (buildNow): ROLLBACK drops them.
	built []builtIndex
	// computes are the tables whose computed fields the storage is to be given once the block commits
	// (syncStorageRules) once the block ends: endBlockRules.
	rules []string
	// validators are the validators (nil: none) the block's ALTER TABLE gave tables from before it, by table:
	// the block's writes check them (backendTxn.overrideValidator), and the collections take them once the
	// block commits (applyValidators).
	validators map[string]bson.D
	// dropIndexes are the indexes on the columns the block dropped: the collections drop them once the block
	// commits (commitDrops).
	dropIndexes []builtIndex
}

// builtIndex is an index a block built at once, by its table and name.
type builtIndex struct{ table, name string }

// seqValue is a value a sequence handed out and its increment's sign.
type seqValue struct {
	last int64
	up   bool
}

// clone copies d for a savepoint (nil stays nil).
func (d *blockDDL) clone() *blockDDL {
	if d == nil {
		return nil
	}
	return &blockDDL{created: slices.Clone(d.created), dropped: slices.Clone(d.dropped), seqs: maps.Clone(d.seqs),
		handed: maps.Clone(d.handed), built: slices.Clone(d.built), rules: slices.Clone(d.rules), validators: maps.Clone(d.validators),
		dropIndexes: slices.Clone(d.dropIndexes)}
}

// inBlock reports whether the statement runs in an explicit transaction block.
func (x *exec) inBlock() bool { return x.s.txn != nil && !x.s.implicit && x.inTxn }

// blockChanged reports whether the statement runs in a transaction block that has changed the catalog: the
// catalog is then read through the block's transaction, and nothing read is cached.
func (x *exec) blockChanged() bool { return x.inBlock() && x.s.ddl != nil }

// catWrite is the context of a catalog change: in a transaction block the block's transaction, which from then
// on reads the catalog; else the statement's own, outside any transaction.
func (x *exec) catWrite() context.Context {
	if !x.inBlock() {
		return x.base
	}
	if x.s.ddl == nil {
		x.s.ddl = &blockDDL{}
	}
	return x.ctx
}

// catRead is the context of a catalog read: the block's transaction once the block has changed the catalog.
func (x *exec) catRead() context.Context {
	if x.blockChanged() {
		return x.ctx
	}
	return x.base
}

// seqCtx is the context nextval and setval use on sequence name: the block's transaction for a sequence the
// block created (no one else sees it yet) or altered (its transaction holds the sequence), else none.
func (x *exec) seqCtx(name string) context.Context {
	if x.blockChanged() && x.s.ddl.seqs[name] {
		return x.ctx
	}
	return x.base
}

// noteCreatedTable records a table the block created; noteBlockSequence a sequence it created or altered.
func (x *exec) noteCreatedTable(name string) {
	if x.inBlock() {
		x.catWrite()
		x.s.ddl.created = append(x.s.ddl.created, name)
	}
}

func (x *exec) noteBlockSequence(name string) {
	if x.inBlock() {
		x.catWrite()
		if x.s.ddl.seqs == nil {
			x.s.ddl.seqs = map[string]bool{}
		}
		x.s.ddl.seqs[name] = true
	}
}

// createdInBlock reports whether the transaction block created table name.
func (x *exec) createdInBlock(name string) bool {
	return x.blockChanged() && slices.Contains(x.s.ddl.created, name)
}

// dropAtCommit records a table the block dropped: its catalog entry is deleted in the block's transaction, and
// its collection, which a transaction cannot drop, once the block has committed (commitDrops).
func (x *exec) dropAtCommit(name string) {
	x.catWrite()
	d := x.s.ddl
	d.created = slices.DeleteFunc(d.created, func(n string) bool { return n == name })
	if !slices.Contains(d.dropped, name) {
		d.dropped = append(d.dropped, name)
	}
}

// droppedInBlock reports whether the transaction block dropped table name: for the block it is gone, though
// its collection stays until the commit.
func (x *exec) droppedInBlock(name string) bool {
	return x.blockChanged() && slices.Contains(x.s.ddl.dropped, name)
}

// withBlockTables makes names, a database's collections as listed outside any transaction, what the block
// sees: the tables it created (which only it sees) added, those it dropped taken out, in order.
func (x *exec) withBlockTables(names []string) []string {
	if !x.blockChanged() {
		return names
	}
	for _, n := range x.s.ddl.created {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(x.s.ddl.dropped, n) })
	slices.Sort(names)
	return names
}

// commitDrops drops the collections of the tables a committed block dropped (d may be nil). A collection that
// cannot be dropped (the server stopping) stays, without its catalog entry: a table without declared columns,
// which DROP TABLE removes. The warnings say so.
func (s *Session) commitDrops(ctx context.Context, d *blockDDL) []*Error {
	if d == nil {
		return nil
	}
	var warns []*Error
	for _, ix := range d.dropIndexes {
		if err := s.db().collection(ix.table).dropIndex(ctx, ix.name); err != nil && !indexGone(err) {
			warns = append(warns, &Error{Code: "01000", Severity: "WARNING",
				Message: fmt.Sprintf("the index %q of a dropped column stays: %v", ix.name, err), Hint: fmt.Sprintf("DROP INDEX %s.", ix.name)})
		}
	}
	for _, name := range d.dropped {
		if err := s.db().collection(name).drop(ctx); err != nil {
			warns = append(warns, &Error{Code: "01000", Severity: "WARNING",
				Message: fmt.Sprintf("the dropped table %q keeps its rows: %v", name, err),
				Hint:    fmt.Sprintf("DROP TABLE %s again.", name)})
		}
	}
	return warns
}

// endBlockRules gives the tables whose storage rules a block changed (blockDDL.rules) the rules their catalog
// entries have once the block has ended, committed or rolled back: readTable sets them. A failure leaves it to the
// next statement that reads the table.
func (s *Session) endBlockRules(tables []string) {
	for _, name := range tables {
		x := s.newExec(context.Background(), nil)
		_, _ = x.readTable(name, 0)
	}
}

// setTableValidator gives table t's collection validator v (nil: none): at once outside a transaction block; in
// one, the block's writes check it from now on and the collection takes it once the block commits
// (applyValidators), so that a ROLLBACK leaves the collection's as it was. ALTER TABLE holds the table's ACCESS
// EXCLUSIVE lock until then: no other SQL statement writes it meanwhile. A write over the MongoDB port between
// the block's commit and the change is checked by the validator from before.
func (x *exec) setTableValidator(t *table, v bson.D) error {
	if !x.inBlock() {
		return x.s.db().setValidator(x.base, t.Name, v)
	}
	x.catWrite() // the block's DDL record
	if x.s.ddl.validators == nil {
		x.s.ddl.validators = map[string]bson.D{}
	}
	x.s.ddl.validators[t.Name] = v
	return x.s.txn.overrideValidator(x.s.database, x.s.storageOf(t.Name), v, false)
}

// dropIndexesAtCommit notes, in a transaction block, the indexes of table's collection coll whose key includes
// field, for the block's commit to drop (commitDrops).
func (x *exec) dropIndexesAtCommit(table string, coll backendColl, field string) error {
	specs, err := coll.indexes(x.base)
	if err != nil {
		return err
	}
	x.catWrite() // the block's DDL record
	for _, ix := range specs {
		if ix.name != "_id_" && ix.keys.Lookup(field).Type != 0 {
			x.s.ddl.dropIndexes = append(x.s.ddl.dropIndexes, builtIndex{table: table, name: ix.name})
		}
	}
	return nil
}

// applyValidators gives the collections the validators a block that committed gave their tables.
func (s *Session) applyValidators(validators map[string]bson.D) {
	for name, v := range validators {
		_ = s.db().setValidator(context.Background(), name, v)
	}
}

// resyncValidators makes the block's writes check, after a ROLLBACK TO, the validators the block had given its
// tables at the savepoint: before holds those it had given them just before.
func (s *Session) resyncValidators(before map[string]bson.D) {
	var now map[string]bson.D
	if s.ddl != nil {
		now = s.ddl.validators
	}
	for name := range before {
		v, kept := now[name]
		_ = s.txn.overrideValidator(s.database, s.storageOf(name), v, !kept)
	}
}

// refuseInBlock refuses, in a transaction block, the DDL statement n whose changes the block's transaction
// could not hold: nil for any other statement.
func (x *exec) refuseInBlock(n *pg.Node) error {
	if !x.inBlock() || x.describe {
		return nil
	}
	if !x.s.e.b.catalogInTransactions() && isDDL(n) {
		return &Error{Code: CodeFeatureNotSupported,
			Message: "DDL inside a transaction block is not supported by Concord on a MongoDB deployment",
			Hint:    "Run it outside a transaction block: MongoDB does not write system collections, where the table catalog is, in a transaction."}
	}
	if isDDL(n) && x.s.ddl == nil {
		if err := x.ensureCatalog(); err != nil {
			return err
		}
	}
	var what string
	switch {
	case n.GetDropStmt() != nil:
		switch t := n.GetDropStmt().RemoveType; t {
		case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_SEQUENCE, pg.ObjectType_OBJECT_TYPE,
			pg.ObjectType_OBJECT_DOMAIN, pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_EXTENSION,
			pg.ObjectType_OBJECT_PROCEDURE, pg.ObjectType_OBJECT_ROUTINE, pg.ObjectType_OBJECT_TRIGGER:
		default:
			what = "DROP " + objectWord(t)
		}
	case n.GetRenameStmt() != nil:
		if !x.renamesInCatalog(n.GetRenameStmt()) {
			what = "ALTER " + objectWord(n.GetRenameStmt().RenameType) + " ... RENAME"
		}
	case n.GetAlterEnumStmt() != nil:
		what = "ALTER TYPE"
	case n.GetAlterDomainStmt() != nil:
		what = "ALTER DOMAIN" // it sets the validators of the domain's tables
	case n.GetIndexStmt() != nil:
		if rel := n.GetIndexStmt().Relation; rel != nil && !x.createdInBlock(rel.Relname) && x.s.written[rel.Relname] {
			return &Error{Code: CodeFeatureNotSupported,
				Message: "CREATE INDEX inside a transaction block, on a table from before the block that the block has written to, is not supported by Concord",
				Hint:    "Create the index before the block's writes to the table, or outside the block."}
		}
	case n.GetAlterTableStmt() != nil:
		what = x.alterTableInBlock(n.GetAlterTableStmt())
	}
	if what == "" {
		return nil
	}
	return &Error{Code: CodeFeatureNotSupported, Message: what + " inside a transaction block is not supported by Concord",
		Hint: "Run it outside a transaction block. Inside one, Concord runs the DDL a ROLLBACK can undo: CREATE and " +
			"DROP of tables, views, sequences and types, COMMENT, CREATE INDEX (on a table from before the block, " +
			"before the block writes to it), ALTER INDEX ... RENAME, RENAME CONSTRAINT, RENAME COLUMN of a column no index holds, " +
			"ALTER TABLE's ADD COLUMN, DROP COLUMN, SET/DROP DEFAULT, SET/DROP NOT NULL, ALTER COLUMN ... TYPE, ADD and DROP of a " +
			"CHECK constraint, ADD FOREIGN KEY and ADD UNIQUE (as CREATE INDEX), and on a table the block created ADD " +
			"PRIMARY KEY and ADD ... IDENTITY."}
}

// ensureCatalog creates, outside any transaction, the catalog's collections a block's DDL may write that do not
// exist yet. A transaction's first write to a collection creates it as the transaction's own, and an aborted
// block would take the collection away with the catalog entries other blocks had written to it since.
func (x *exec) ensureCatalog() error {
	db := x.s.db()
	names, err := db.listCollectionNames(x.base, bson.D{})
	if err != nil {
		return err
	}
	for _, c := range []string{tablesCollection, sequencesCollection, typesCollection, functionsCollection} {
		if slices.Contains(names, c) {
			continue
		}
		var ce *concord.Error
		if err := db.createCollection(x.base, c, nil); err != nil && !(errors.As(err, &ce) && ce.Code == 48) { // NamespaceExists
			return err
		}
	}
	return nil
}

// isDDL reports whether n is a statement that changes the catalog.
func isDDL(n *pg.Node) bool {
	return n.GetCreateStmt() != nil || n.GetViewStmt() != nil || n.GetIndexStmt() != nil || n.GetDropStmt() != nil ||
		n.GetRenameStmt() != nil || n.GetAlterTableStmt() != nil || n.GetCommentStmt() != nil || n.GetCreateSeqStmt() != nil ||
		n.GetAlterSeqStmt() != nil || n.GetCreateEnumStmt() != nil || n.GetAlterEnumStmt() != nil ||
		n.GetCreateDomainStmt() != nil || n.GetAlterDomainStmt() != nil || n.GetCreateFunctionStmt() != nil ||
		n.GetRefreshMatViewStmt() != nil // a refresh may set whether the view is populated
}

// alterTableInBlock names the first action of an ALTER TABLE that a transaction block cannot hold (one that
// changes the collection's validator or indexes), "" when there is none.
func (x *exec) alterTableInBlock(as *pg.AlterTableStmt) string {
	created := as.Relation != nil && x.createdInBlock(as.Relation.Relname)
	// A unique index is built as CREATE INDEX builds one: in the block's transaction on a table the block created,
	// at once (and dropped if the block rolls back) on one the block has not written to.
	uniqueOK := created || as.Relation != nil && !x.s.written[as.Relation.Relname]
	for _, c := range as.Cmds {
		cmd := c.GetAlterTableCmd()
		switch cmd.Subtype {
		case pg.AlterTableType_AT_ColumnDefault, pg.AlterTableType_AT_DropNotNull, pg.AlterTableType_AT_SetNotNull,
			pg.AlterTableType_AT_ValidateConstraint, pg.AlterTableType_AT_AlterColumnType, pg.AlterTableType_AT_ChangeOwner,
			pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions, pg.AlterTableType_AT_SetStatistics,
			pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll,
			pg.AlterTableType_AT_DisableTrigAll, pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser,
			pg.AlterTableType_AT_EnableAlwaysTrig:
			continue // ALTER COLUMN ... TYPE: alterTable1 refuses it where the validator would change
		case pg.AlterTableType_AT_DropColumn:
			continue // the rows' values in the block's transaction, the column's indexes at its commit
		case pg.AlterTableType_AT_DropConstraint:
			if t, err := x.lookupTable(as.Relation.GetRelname(), 0); err == nil && slices.ContainsFunc(t.Checks, func(c check) bool { return c.Name == cmd.Name }) {
				continue // a CHECK's: the catalog, and the validator the block's writes check (setTableValidator)
			}
		case pg.AlterTableType_AT_AddConstraint:
			switch cmd.Def.GetConstraint().GetContype() {
			case pg.ConstrType_CONSTR_CHECK:
				continue // the catalog, and the validator the block's writes check (setTableValidator)
			case pg.ConstrType_CONSTR_FOREIGN:
				continue // a foreign key is the catalog's, checked by the SQL layer
			case pg.ConstrType_CONSTR_UNIQUE:
				if uniqueOK {
					continue
				}
			case pg.ConstrType_CONSTR_PRIMARY:
				if created {
					continue // the rows written again in the block's transaction (addPrimaryKey)
				}
			}
		case pg.AlterTableType_AT_AddIdentity:
			if created {
				continue // the catalog and a sequence the block creates, as pg_dump restores an identity column
			}
		case pg.AlterTableType_AT_AddColumn:
			cd := cmd.Def.GetColumnDef()
			if cd == nil {
				break
			}
			// A CHECK, a numeric(p,s) type's range and a domain's constraints join the validator the block's
			// writes check (setTableValidator).
			plain := true
			for _, cn := range cd.Constraints {
				switch cn.GetConstraint().GetContype() {
				case pg.ConstrType_CONSTR_NULL, pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_DEFAULT, pg.ConstrType_CONSTR_IDENTITY,
					pg.ConstrType_CONSTR_FOREIGN, pg.ConstrType_CONSTR_CHECK:
				case pg.ConstrType_CONSTR_UNIQUE:
					plain = plain && uniqueOK // as ADD UNIQUE
				default:
					plain = false
				}
			}
			if plain {
				continue
			}
			return "ALTER TABLE ... ADD COLUMN with a UNIQUE or PRIMARY KEY constraint"
		}
		return "ALTER TABLE ... " + strings.ReplaceAll(strings.TrimPrefix(cmd.Subtype.String(), "AT_"), "_", " ")
	}
	return ""
}

// rangedTypeName reports whether a column type is numeric (decimal) with a precision, whose range the
// collection's validator holds.
func rangedTypeName(tn *pg.TypeName) bool {
	if tn == nil || len(tn.Typmods) == 0 || len(tn.Names) == 0 {
		return false
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	return name == "numeric" || name == "decimal"
}

// objectWord is an object type as DDL names it: TABLE, INDEX, SEQUENCE, ...
func objectWord(t pg.ObjectType) string {
	if t == pg.ObjectType_OBJECT_MATVIEW {
		return "MATERIALIZED VIEW"
	}
	return strings.ReplaceAll(strings.TrimPrefix(t.String(), "OBJECT_"), "_", " ")
}

// noteHanded records a value nextval gave of a sequence stepped in the block's transaction.
func (x *exec) noteHanded(name string, last, inc int64) {
	d := x.s.ddl
	if d.handed == nil {
		d.handed = map[string]seqValue{}
	}
	d.handed[name] = seqValue{last: last, up: inc > 0}
}

// keepHanded, after ROLLBACK TO a savepoint, moves the sequences the block stepped in its transaction (and still
// has) back to the last values they handed out, which the rollback took back; handed are those values as they
// were before the rollback.
func (s *Session) keepHanded(ctx context.Context, handed map[string]seqValue) error {
	if len(handed) == 0 || s.ddl == nil {
		return nil
	}
	coll := s.db().collection(sequencesCollection)
	for name, v := range handed {
		cmp := "$lt"
		if !v.up {
			cmp = "$gt"
		}
		filter := bson.D{{Key: "_id", Value: name}, {Key: "$or", Value: bson.A{
			bson.D{{Key: "last", Value: bson.D{{Key: cmp, Value: v.last}}}}, bson.D{{Key: "called", Value: false}}}}}
		if _, err := coll.updateOne(s.txn.context(ctx), filter, bson.D{{Key: "$set", Value: bson.D{{Key: "last", Value: v.last}, {Key: "called", Value: true}}}}); err != nil {
			return err
		}
		if s.ddl.handed == nil {
			s.ddl.handed = map[string]seqValue{}
		}
		s.ddl.handed[name] = v
	}
	return nil
}

// savepointError is ROLLBACK TO's error: the engine refuses to roll back past a write to a capped collection (a
// collection made over the MongoDB port), which is 0A000 here (a feature Concord lacks), not an internal error.
func savepointError(err error) error {
	var ce *concord.Error
	if errors.As(err, &ce) && strings.Contains(ce.Message, "roll back to a savepoint past") {
		return &Error{Code: CodeFeatureNotSupported, Cause: err,
			Message: "ROLLBACK TO a savepoint set before a write to a capped collection is not supported by Concord",
			Hint:    "Roll the whole block back."}
	}
	return err
}

// An index on a table from before the block cannot be built in the block's transaction: the storage builds an
// index over the committed rows and installs it for every writer at once. So CREATE INDEX on such a table is
// built at once, outside the transaction (other sessions' writes keep it up to date, and a unique one holds for
// them from then on), and dropped again if the block rolls back (ROLLBACK, a failed block or COMMIT, ROLLBACK TO
// a savepoint set before it). The block's later writes to the table take the index in; writes it made before
// would not be in it, so the index is refused on a table the block has written to. A crash before COMMIT leaves
// such an index standing until the database's next SQL session drops it (pendingindex.go).

// buildNow reports whether an index on table t is to be built at once, outside the block's transaction.
func (x *exec) buildNow(t *table) bool { return x.inBlock() && !x.createdInBlock(t.Name) }

// noteBuilt records an index the block built at once.
func (x *exec) noteBuilt(table, name string) {
	x.catWrite()
	x.s.ddl.built = append(x.s.ddl.built, builtIndex{table: table, name: name})
}

// dropBuilt drops the indexes a block built at once that are not in keep (nil: all of them), as its rollback.
func (s *Session) dropBuilt(d, keep *blockDDL) {
	if d == nil {
		return
	}
	d0 := s.e.b.database(s.database)
	for _, b := range d.built {
		if keep != nil && slices.Contains(keep.built, b) {
			continue
		}
		_ = d0.collection(b.table).dropIndex(context.Background(), b.name) // gone already: nothing to undo
		s.unmarkPendingIndex(b.table, b.name)
	}
}

// unmarkBuilt deletes the markers of the indexes a committed block built at once (pendingindex.go).
func (s *Session) unmarkBuilt(d *blockDDL) {
	if d == nil {
		return
	}
	for _, b := range d.built {
		s.unmarkPendingIndex(b.table, b.name)
	}
}

// blockDB is the database of a transaction block: it records the tables the block writes (Session.written).
type blockDB struct {
	backendDB
	s *Session
}

func (d blockDB) collection(name string) backendColl {
	return blockColl{backendColl: d.backendDB.collection(name), s: d.s, name: name}
}

// blockColl is a collection of a transaction block's database: its writes mark the table written.
type blockColl struct {
	backendColl
	s    *Session
	name string
}

func (c blockColl) wrote() {
	if c.s.written == nil {
		c.s.written = map[string]bool{}
	}
	c.s.written[c.name] = true
}

func (c blockColl) insertOne(ctx context.Context, doc any) error {
	c.wrote()
	return c.backendColl.insertOne(ctx, doc)
}

func (c blockColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	c.wrote()
	return c.backendColl.updateMany(ctx, filter, update)
}

func (c blockColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	c.wrote()
	return c.backendColl.updateOne(ctx, filter, update)
}

func (c blockColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	c.wrote()
	return c.backendColl.replaceOne(ctx, filter, doc)
}

func (c blockColl) deleteOne(ctx context.Context, filter bson.D) error {
	c.wrote()
	return c.backendColl.deleteOne(ctx, filter)
}

func (c blockColl) deleteMany(ctx context.Context, filter bson.D) (int64, error) {
	c.wrote()
	return c.backendColl.deleteMany(ctx, filter)
}

func (c blockColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	c.wrote()
	return c.backendColl.findOneAndUpdate(ctx, filter, update)
}

func (c blockColl) findOneAndDelete(ctx context.Context, filter bson.D) (bson.Raw, error) {
	c.wrote()
	return c.backendColl.findOneAndDelete(ctx, filter)
}
