package sql

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// FOREIGN KEY constraints reference a parent table's primary key or the columns of one of its unique indexes
// (a UNIQUE constraint's, or any unique index that is not partial), as PostgreSQL allows. A statement that writes a
// table with foreign keys, or deletes from a table others reference, runs as a transaction (the block's or an
// internal one); a child row written with a non-NULL key locks its parent row (Collection.LockForUpdate) and must
// find it, and a deleted parent row finds its children and, as the constraint says, refuses (NO ACTION,
// RESTRICT), deletes them (CASCADE) or sets their keys to NULL (SET NULL). A primary key never changes (it is the
// documents' _id); a referenced unique key may, and an UPDATE that changes it applies the constraint's ON UPDATE
// action to the children of the old key the same way (CASCADE gives them the new key). The lock is what keeps a
// child from being written beside a parent deleted or changed at the same time: the two transactions claim the
// parent row, so one waits for or conflicts with the other and then sees what it did (a conflict inside an
// internal transaction is retried, in a block it is 40001). PostgreSQL's lock on the parent row is FOR KEY
// SHARE, so its child inserts on one parent do not wait for each other; Concord's is exclusive, so they run one
// after the other. A parent row found by a unique key is one committed (or written by the transaction itself):
// PostgreSQL would wait for a parent another transaction is inserting, Concord reports the key missing.

// foreignKey is a FOREIGN KEY constraint: Columns of its table reference RefColumns of Table, its primary key or
// the columns of its unique index RefIndex.
type foreignKey struct {
	Name       string   `bson:"name"`
	Columns    []string `bson:"columns"`
	Table      string   `bson:"table"`
	RefColumns []string `bson:"refcolumns"`
	// RefIndex is the storage name of the parent's unique index the key references; "" for its primary key.
	RefIndex string `bson:"refindex,omitempty"`
	// OnDelete is PostgreSQL's confdeltype: "a" NO ACTION, "r" RESTRICT, "c" CASCADE, "n" SET NULL, "d" SET
	// DEFAULT.
	OnDelete string `bson:"ondelete"`
	// DelSetCols are the columns ON DELETE SET NULL (cols) or SET DEFAULT (cols) sets; nil for all of Columns.
	DelSetCols []string `bson:"delsetcols,omitempty"`
	// MatchFull is MATCH FULL: a key with a NULL column must be NULL whole.
	MatchFull bool `bson:"matchfull,omitempty"`
	// OnUpdate is confupdtype, as declared; "" for NO ACTION. It applies to a key on a unique index only: a
	// primary key cannot change here.
	OnUpdate string `bson:"onupdate,omitempty"`
	// Deferrable and Deferred are DEFERRABLE and INITIALLY DEFERRED (deferred.go).
	Deferrable bool `bson:"deferrable,omitempty"`
	Deferred   bool `bson:"deferred,omitempty"`
	// NotValid is set for a constraint added NOT VALID, until VALIDATE CONSTRAINT checks the rows it let stand.
	NotValid bool `bson:"notvalid,omitempty"`
}

// CodeForeignKeyViolation is PostgreSQL's foreign_key_violation; CodeInvalidForeignKey its invalid_foreign_key;
// CodeDependentObjectsStillExist its dependent_objects_still_exist.
const (
	CodeForeignKeyViolation        = "23503"
	CodeInvalidForeignKey          = "42830"
	CodeDependentObjectsStillExist = "2BP01"
)

// newForeignKey makes the FOREIGN KEY constraint con of t. A reference to t itself is allowed; pending are then
// the unique indexes CREATE TABLE is about to make on t.
func (x *exec) newForeignKey(t *table, con *pg.Constraint, pending []uniqueKey) (foreignKey, error) {
	fk := foreignKey{Table: con.Pktable.GetRelname(), OnDelete: con.FkDelAction}
	for _, name := range []string{t.Name, fk.Table} {
		if err := x.refuseTempRef("FOREIGN KEY", name); err != nil {
			return fk, err // the parent's catalog entry would name the session's table
		}
	}
	for _, a := range con.FkAttrs {
		name := a.GetString_().GetSval()
		if t.column(name) == nil {
			return fk, errorf(CodeUndefinedColumn, "column \"%s\" referenced in foreign key constraint does not exist", name)
		}
		fk.Columns = append(fk.Columns, name)
	}
	switch fk.OnDelete {
	case "", " ":
		fk.OnDelete = "a"
	case "a", "r", "c", "n", "d":
	default:
		return fk, unsupported("ON DELETE action " + fk.OnDelete)
	}
	switch con.FkMatchtype {
	case "f":
		fk.MatchFull = true
	case "p":
		return fk, unsupported("MATCH PARTIAL")
	}
	fk.Deferrable, fk.Deferred = con.Deferrable || con.Initdeferred, con.Initdeferred
	if a := con.FkUpdAction; a != "" && a != " " && a != "a" {
		fk.OnUpdate = a
	}
	for _, n := range con.FkDelSetCols {
		name := n.GetString_().GetSval()
		if t.column(name) == nil {
			return fk, errorf(CodeUndefinedColumn, "column \"%s\" referenced in foreign key constraint does not exist", name)
		}
		if !slices.Contains(fk.Columns, name) {
			return fk, errorf(CodeInvalidColumnReference, "column \"%s\" referenced in ON DELETE SET action must be part of foreign key", name)
		}
		fk.DelSetCols = append(fk.DelSetCols, name)
	}
	parent := t
	if fk.Table != t.Name {
		p, err := x.lookupTable(fk.Table, -1) // no position, as PostgreSQL's REFERENCES of a missing table
		if err != nil {
			return fk, err
		}
		if !p.declared || p.View != "" {
			return fk, errorf(CodeWrongObjectType, "referenced relation \"%s\" is not a table", fk.Table)
		}
		parent = p
	}
	var refs []string
	for _, a := range con.PkAttrs {
		refs = append(refs, a.GetString_().GetSval())
	}
	if len(refs) == 0 {
		if len(parent.Key) == 0 {
			return fk, errorf(CodeInvalidForeignKey, "there is no primary key for referenced table \"%s\"", fk.Table)
		}
		refs = slices.Clone(parent.Key)
	}
	if len(refs) != len(fk.Columns) {
		return fk, errorf(CodeInvalidForeignKey, "number of referencing and referenced columns for foreign key disagree")
	}
	for _, r := range refs {
		if parent.column(r) == nil {
			return fk, errorf(CodeUndefinedColumn, "column \"%s\" referenced in foreign key constraint does not exist", r)
		}
	}
	if !sameColumns(refs, parent.Key) {
		ix, err := x.refUniqueIndex(parent, refs, pending)
		if err != nil {
			return fk, err
		}
		if ix == "" {
			return fk, errorf(CodeInvalidForeignKey, "there is no unique constraint matching given keys for referenced table \"%s\"", fk.Table)
		}
		fk.RefIndex = ix
	}
	fk.RefColumns = refs
	fk.Name = con.Conname
	if fk.Name == "" {
		base := t.Name + "_" + strings.Join(fk.Columns, "_") + "_fkey"
		fk.Name = base
		for i := 1; t.constraintNamed(fk.Name); i++ {
			fk.Name = base + strconv.Itoa(i)
		}
	} else if t.constraintNamed(fk.Name) {
		return fk, errorf(CodeDuplicateObject, "constraint \"%s\" for relation \"%s\" already exists", fk.Name, t.Name)
	}
	for i, c := range fk.Columns {
		if !comparableTypes(t.colType(c), parent.colType(refs[i])) {
			return fk, &Error{Code: CodeDatatypeMismatch, Message: fmt.Sprintf("foreign key constraint \"%s\" cannot be implemented", fk.Name),
				Detail: fmt.Sprintf("Key columns \"%s\" and \"%s\" are of incompatible types: %s and %s.", c, refs[i], TypeName(t.colType(c)), TypeName(parent.colType(refs[i])))}
		}
	}
	return fk, nil
}

// uniqueKey is a unique index of a table: its storage name and columns.
type uniqueKey struct {
	index   string
	columns []string
}

// sameColumns reports whether a and b hold the same column names, in any order.
func sameColumns(a, b []string) bool {
	return len(a) == len(b) && slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// refUniqueIndex is the storage name of the unique index of parent a foreign key to refs references: one on
// exactly those columns, in any order, that is not partial, as PostgreSQL requires; "" when parent has none.
// pending are unique indexes parent is about to have (CREATE TABLE's own).
func (x *exec) refUniqueIndex(parent *table, refs []string, pending []uniqueKey) (string, error) {
	for _, u := range pending {
		if sameColumns(u.columns, refs) {
			return u.index, nil
		}
	}
	if !parent.declared {
		return "", nil
	}
	specs, err := x.s.db().collection(parent.Name).indexes(x.base)
	if err != nil {
		return "", err
	}
	for _, s := range specs {
		if !s.unique || s.name == "_id_" || parent.Predicates[s.name] != "" {
			continue
		}
		if cols, _ := indexColumns(parent, s.keys); sameColumns(cols, refs) {
			return s.name, nil
		}
	}
	return "", nil
}

// comparableTypes reports whether a foreign key column of type a can reference a key of type b, as PostgreSQL
// decides: the same operator family (two integer types, two floating-point types, text and varchar), or a
// type implicitly cast to b (an integer to numeric or a float, numeric to a float).
func comparableTypes(a, b uint32) bool {
	family := func(o uint32) uint32 {
		switch o {
		case OIDInt2, OIDInt4, OIDInt8:
			return OIDInt8
		case OIDFloat4, OIDFloat8:
			return OIDFloat8
		case OIDVarchar:
			return OIDText
		}
		return o
	}
	fa, fb := family(a), family(b)
	return fa == fb || (fa == OIDInt8 && (fb == OIDNumeric || fb == OIDFloat8)) || (fa == OIDNumeric && fb == OIDFloat8)
}

// setReferencedBy adds child to, or with add false removes it from, the tables parent's catalog entry says
// reference it: one atomic update of that list ($addToSet, $pull), so that concurrent DDL on other children
// cannot lose an entry, and saveTable never writes it.
func (x *exec) setReferencedBy(parent, child string, add bool) error {
	op := "$pull"
	if add {
		op = "$addToSet"
	}
	_, err := x.s.db().collection(tablesCollection).updateOne(x.catWrite(), bson.D{{Key: "_id", Value: x.catalogID(parent)}},
		bson.D{{Key: op, Value: bson.D{{Key: "referencedby", Value: child}}}})
	return err
}

// saveTable writes t's catalog entry, but for the list of the tables that reference it, which only
// setReferencedBy changes.
func (x *exec) saveTable(t *table) error {
	raw, err := bson.Marshal(t)
	if err != nil {
		return err
	}
	var doc bson.D
	if err := bson.Unmarshal(raw, &doc); err != nil {
		return err
	}
	set, unset := bson.D{}, bson.D{}
	present := map[string]bool{}
	for _, e := range doc {
		present[e.Key] = true
		if e.Key != "_id" && e.Key != "referencedby" && e.Key != "rev" {
			set = append(set, e)
		}
	}
	for _, k := range []string{"key", "view", "checks", "fkeys", "comment", "predicates", "aliases", "renamed", "uniques", "pkname",
		"reloptions", "indexcomments", "computed", "ranges", "unpopulated", "triggers"} { // the fields a table may lose
		if !present[k] {
			unset = append(unset, bson.E{Key: k, Value: ""})
		}
	}
	update := bson.D{{Key: "$set", Value: set}, {Key: "$inc", Value: bson.D{{Key: "rev", Value: int64(1)}}}}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	var rev any // an entry never saved has none
	if t.Rev != 0 {
		rev = t.Rev
	}
	n, err := x.s.db().collection(tablesCollection).updateOne(x.catWrite(), bson.D{{Key: "_id", Value: x.catalogID(t.Name)}, {Key: "rev", Value: rev}}, update)
	if err != nil {
		return err
	}
	if n == 0 {
		// Another statement or block changed the table (or dropped it) since this one read it: its change stays,
		// and this statement is to be run again on the table as it is now.
		return &Error{Code: CodeSerializationFailure,
			Message: fmt.Sprintf("could not serialize access: the definition of table \"%s\" changed meanwhile", t.Name),
			Hint:    "Run the statement again."}
	}
	t.Rev++
	return x.syncStorageRules(t)
}

// references reports whether t still has a foreign key to parent.
func (t *table) references(parent string) bool {
	return slices.ContainsFunc(t.ForeignKeys, func(fk foreignKey) bool { return fk.Table == parent })
}

// parentValues are the values a child document's foreign key names in the parent's columns, by referenced
// column, and the key's text for messages; ok is false when no parent row can hold the key (a value outside the
// parent column's type). The caller has ruled out NULLs (hasNullKey).
func parentValues(child, parent *table, fk foreignKey, doc bson.Raw) (vals map[string]any, text string, ok bool) {
	vals = map[string]any{}
	var texts []string
	fits := true
	for i, c := range fk.Columns {
		rv, err := doc.LookupErr(strings.Split(child.field(c), ".")...)
		if err != nil || rv.Type == bson.TypeNull {
			return nil, "", false
		}
		v := fromBSON(rv)
		texts = append(texts, formatText(v))
		// The key in the parent's type, if it has one there: 1.5 or 3000000000 fits no int4 key, so no parent
		// row can hold it (converted, it would round or fail).
		sv, good := stored(v, parent.colType(fk.RefColumns[i]))
		if good {
			if back, err := bsonValue(sv); err == nil {
				if c, comparable := compare(fromBSON(back), v); !comparable || c != 0 {
					good = false
				}
			}
		}
		if !good {
			fits = false
			continue
		}
		vals[fk.RefColumns[i]] = sv
	}
	return vals, strings.Join(texts, ", "), fits
}

// lockParent finds the parent row a child document's foreign key names and locks it for the transaction of ctx;
// found is false when no row holds the key, text is the key for messages. A key on the primary key is the
// parent's _id, read, locked and read again; one on a unique index is looked up by its columns, and the row found
// is locked and read again by its _id (a row whose key changed or that was deleted before the lock is no parent).
func (x *exec) lockParent(ctx context.Context, child, parent *table, fk foreignKey, doc bson.Raw) (found bool, text string, err error) {
	vals, text, ok := parentValues(child, parent, fk, doc)
	if !ok {
		return false, text, nil
	}
	pc := x.s.db().collection(parent.Name)
	var filter bson.D
	if fk.RefIndex == "" {
		var key any
		if len(parent.Key) == 1 {
			key = vals[parent.Key[0]]
		} else {
			d := bson.D{}
			for _, k := range parent.Key {
				d = append(d, bson.E{Key: k, Value: vals[k]})
			}
			key = d
		}
		id, err := bsonValue(key)
		if err != nil {
			return false, text, err
		}
		filter = bson.D{{Key: "_id", Value: id}}
		// A parent the statement cannot see (another transaction's uncommitted insert) is none: PostgreSQL's
		// check fails at once rather than wait for that transaction, as it waits only for a visible row's lock.
		if _, err := pc.findOne(ctx, filter); isNoDocuments(err) {
			return false, text, nil
		} else if err != nil {
			return false, text, err
		}
	} else {
		for _, r := range fk.RefColumns {
			filter = append(filter, bson.E{Key: parent.field(r), Value: vals[r]})
		}
		row, err := pc.findOne(ctx, filter)
		if isNoDocuments(err) {
			return false, text, nil
		}
		if err != nil {
			return false, text, err
		}
		filter = append(bson.D{{Key: "_id", Value: row.Lookup("_id")}}, filter...)
	}
	if _, err := pc.lockForUpdate(ctx, []bson.RawValue{filter[0].Value.(bson.RawValue)}, false); err != nil {
		return false, text, err
	}
	if _, err := pc.findOne(ctx, filter); err != nil {
		if isNoDocuments(err) {
			return false, text, nil
		}
		return false, text, err
	}
	return true, text, nil
}

// fkPending are the foreign-key checks a statement's writes leave for its end: child rows whose parents must
// exist, and NO ACTION parents whose children must be gone.
type fkPending struct {
	checks []func() error
}

// run runs the checks in the order their writes made them; checks added while they run (none today) run too.
func (p *fkPending) run() error {
	for i := 0; i < len(p.checks); i++ {
		if err := p.checks[i](); err != nil {
			return err
		}
	}
	return nil
}

// later runs check at the statement's end, or now outside a statement that collects them.
func (x *exec) later(check func() error) error {
	if x.fk == nil {
		return check()
	}
	x.fk.checks = append(x.fk.checks, check)
	return nil
}

// checkChild checks a child row of t just written once the statement ends, against the row as it is then (gone:
// nothing to check).
// before, for an update, is the row as it was: a key the statement left as it was is not checked again (its
// parent is not locked either), as PostgreSQL checks only a changed key.
func (x *exec) checkChild(ctx context.Context, t *table, doc, before bson.Raw) error {
	if x.fk == nil {
		return x.verifyChild(ctx, t, doc, before, nil)
	}
	id := doc.Lookup("_id")
	check := func(y *exec, ctx context.Context, which func(foreignKey) bool) error {
		now, err := y.s.db().collection(t.Name).findOne(ctx, bson.D{{Key: "_id", Value: id}})
		if isNoDocuments(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return y.verifyChild(ctx, t, now, before, which)
	}
	for _, fk := range t.ForeignKeys {
		if x.deferring(fk) {
			x.deferCheck(fk.Name, func(y *exec) error {
				return check(y, y.ctx, func(f foreignKey) bool { return f.Name == fk.Name })
			})
		}
	}
	return x.later(func() error {
		return check(x, ctx, func(f foreignKey) bool { return !x.deferring(f) })
	})
}

// sameKey reports whether fk's key columns hold the same values in two versions of a row.
func sameKey(t *table, fk foreignKey, a, b bson.Raw) bool { return sameValues(t, fk.Columns, a, b) }

// sameValues reports whether columns cols of t hold the same values in two versions of a row.
func sameValues(t *table, cols []string, a, b bson.Raw) bool {
	for _, c := range cols {
		path := strings.Split(t.field(c), ".")
		va, erra := a.LookupErr(path...)
		vb, errb := b.LookupErr(path...)
		if (erra == nil) != (errb == nil) || (erra == nil && !va.Equal(vb)) {
			return false
		}
	}
	return true
}

// hasNullKey reports whether a column of fk's key is NULL (absent) in a row of t.
func hasNullKey(t *table, fk foreignKey, doc bson.Raw) bool {
	for _, c := range fk.Columns {
		rv, err := doc.LookupErr(strings.Split(t.field(c), ".")...)
		if err != nil || rv.Type == bson.TypeNull {
			return true
		}
	}
	return false
}

// allNullKey reports whether every column of fk's key is NULL (absent) in a row of t.
func allNullKey(t *table, fk foreignKey, doc bson.Raw) bool {
	for _, c := range fk.Columns {
		if rv, err := doc.LookupErr(strings.Split(t.field(c), ".")...); err == nil && rv.Type != bson.TypeNull {
			return false
		}
	}
	return true
}

// verifyChild checks the foreign keys of a row of t just written: each non-NULL key, unless it is the one the row
// had before (an update's), must name a parent row, which is locked for the transaction.
func (x *exec) verifyChild(ctx context.Context, t *table, doc, before bson.Raw, which func(foreignKey) bool) error {
	for _, fk := range t.ForeignKeys {
		if which != nil && !which(fk) {
			continue
		}
		if hasNullKey(t, fk, doc) {
			if fk.MatchFull && !allNullKey(t, fk, doc) {
				return &Error{Code: CodeForeignKeyViolation, Message: fmt.Sprintf("insert or update on table \"%s\" violates foreign key constraint \"%s\"", t.Name, fk.Name),
					Detail: "MATCH FULL does not allow mixing of null and nonnull key values.", Constraint: fk.Name, Table: t.Name}
			}
			continue // references nothing (MATCH SIMPLE; MATCH FULL, NULL whole)
		}
		if before != nil && sameKey(t, fk, before, doc) {
			continue
		}
		parent := t
		if fk.Table != t.Name {
			if err := x.lockRel(fk.Table, lockRowShare); err != nil {
				return err
			}
			p, err := x.lookupTable(fk.Table, 0)
			if err != nil {
				return err
			}
			parent = p
		}
		found, text, err := x.lockParent(ctx, t, parent, fk, doc)
		if err != nil {
			return err
		}
		if !found {
			return &Error{Code: CodeForeignKeyViolation, Message: fmt.Sprintf("insert or update on table \"%s\" violates foreign key constraint \"%s\"", t.Name, fk.Name),
				Detail:     fmt.Sprintf("Key (%s)=(%s) is not present in table \"%s\".", strings.Join(fk.Columns, ", "), text, parent.Name),
				Constraint: fk.Name, Table: t.Name}
		}
	}
	return nil
}

// parentDeleted applies the foreign keys that reference t to the rows of a row of t just deleted: refused
// while one exists (NO ACTION, RESTRICT), deleted with it (CASCADE) or their keys set to NULL (SET NULL).
func (x *exec) parentDeleted(ctx context.Context, t *table, doc bson.Raw) error {
	return x.parentChanged(ctx, t, doc, nil)
}

// parentChanged applies the foreign keys that reference t to the children of a row of t just deleted (after nil)
// or updated to after: the keys on a unique index that the update changed, by their ON UPDATE actions, as
// parentDeleted does by ON DELETE ones, but that CASCADE gives the children the new key.
func (x *exec) parentChanged(ctx context.Context, t *table, doc, after bson.Raw) error {
	for _, name := range t.ReferencedBy {
		child := t
		if name != t.Name {
			if err := x.lockRel(name, lockRowShare); err != nil {
				return err
			}
			c, err := x.lookupTable(name, 0)
			if err != nil {
				if AsError(err).Code == CodeUndefinedTable {
					continue
				}
				return err
			}
			child = c
		}
		for _, fk := range child.ForeignKeys {
			if fk.Table != t.Name || after != nil && sameRefKey(t, fk, doc, after) {
				continue
			}
			// The children of the old key, and the old key in the parent (another row of t may hold it by then).
			filter, parentFilter := bson.D{}, bson.D{}
			var texts []string
			for i, c := range fk.Columns {
				rv, err := doc.LookupErr(strings.Split(t.field(fk.RefColumns[i]), ".")...)
				if err != nil || rv.Type == bson.TypeNull {
					filter = nil // a NULL key is referenced by no row
					break
				}
				filter = append(filter, bson.E{Key: child.field(c), Value: rv})
				parentFilter = append(parentFilter, bson.E{Key: t.field(fk.RefColumns[i]), Value: rv})
				texts = append(texts, formatText(fromBSON(rv)))
			}
			if filter == nil {
				continue
			}
			ids, err := x.referencing(ctx, child, filter)
			if err != nil {
				return err
			}
			if len(ids) == 0 {
				continue
			}
			cc := x.writeColl(child)
			action := fk.OnDelete
			if after != nil {
				action = fk.OnUpdate
			}
			event := trigUpdate
			if action == "c" && after == nil {
				event = trigDelete
			}
			var afterRows []rowEvent // the child rows written, for their AFTER row triggers
			if action == "c" || action == "d" || action == "n" {
				if err := x.fireCascadeStatement(child, event, true); err != nil {
					return err
				}
			}
			switch action {
			case "c":
				if after != nil {
					set, err := cascadedKey(t, child, fk, after)
					if err != nil {
						return err
					}
					for _, id := range ids {
						if err := x.cascadeWrite(ctx, child, cc, id, set, &afterRows); err != nil {
							return err
						}
					}
					if err := x.fireCascadeAfter(child, afterRows); err != nil {
						return err
					}
					if err := x.fireCascadeStatement(child, event, false); err != nil {
						return err
					}
					continue
				}
				for _, id := range ids {
					if err := x.cascadeWrite(ctx, child, cc, id, nil, &afterRows); err != nil {
						return err
					}
				}
			case "d":
				// SET DEFAULT: the key's columns (or those listed) take their defaults, and the rows are checked as
				// children again. A default that is the old key still references it, as PostgreSQL finds.
				set, unset := bson.D{}, bson.D{}
				same := true
				for i, c := range fk.Columns {
					if after == nil && fk.DelSetCols != nil && !slices.Contains(fk.DelSetCols, c) {
						continue
					}
					col := child.column(c)
					if col == nil {
						continue
					}
					v, err := x.columnDefault(col)
					if err != nil {
						return err
					}
					if v == nil {
						same = false
						unset = append(unset, bson.E{Key: child.field(c), Value: ""})
						continue
					}
					sv, err := toStored(v, col.Type, col.TypMod)
					if err != nil {
						return err
					}
					set = append(set, bson.E{Key: child.field(c), Value: sv})
					if rv, err := doc.LookupErr(strings.Split(t.field(fk.RefColumns[i]), ".")...); err != nil || formatText(fromBSON(rv)) != formatText(fromGo(sv)) {
						same = false
					}
				}
				if same && len(set) == len(fk.Columns) {
					return stillReferenced(t, child, fk, texts)
				}
				update := bson.D{}
				if len(set) > 0 {
					update = append(update, bson.E{Key: "$set", Value: set})
				}
				if len(unset) > 0 {
					update = append(update, bson.E{Key: "$unset", Value: unset})
				}
				for _, id := range ids {
					if err := x.cascadeWrite(ctx, child, cc, id, update, &afterRows); err != nil {
						return err
					}
				}
			case "n":
				unset := bson.D{}
				for _, c := range fk.Columns {
					if after == nil && fk.DelSetCols != nil && !slices.Contains(fk.DelSetCols, c) {
						continue // ON DELETE SET NULL (cols): only those
					}
					if col := child.column(c); col != nil && col.NotNull {
						return &Error{Code: CodeNotNullViolation, Message: fmt.Sprintf("null value in column \"%s\" of relation \"%s\" violates not-null constraint", c, child.Name),
							Table: child.Name, Column: c}
					}
					unset = append(unset, bson.E{Key: child.field(c), Value: ""})
				}
				for _, id := range ids {
					if err := x.cascadeWrite(ctx, child, cc, id, bson.D{{Key: "$unset", Value: unset}}, &afterRows); err != nil {
						return err
					}
				}
			case "r":
				return stillReferenced(t, child, fk, texts)
			default:
				// NO ACTION: the children may go later in the statement (a table referencing itself, emptied), or
				// later in the block for a deferred key.
				check := func(y *exec, ctx context.Context) error {
					// A row with the same key again (inserted since, or another row given it) still answers for them.
					if _, err := y.s.db().collection(t.Name).findOne(ctx, parentFilter); err == nil {
						return nil
					} else if !isNoDocuments(err) {
						return err
					}
					ids, err := y.referencing(ctx, child, filter)
					if err != nil || len(ids) == 0 {
						return err
					}
					return stillReferenced(t, child, fk, texts)
				}
				if x.deferring(fk) {
					x.deferCheck(fk.Name, func(y *exec) error { return check(y, y.ctx) })
					continue
				}
				if err := x.later(func() error { return check(x, ctx) }); err != nil {
					return err
				}
			}
			if action == "d" || action == "n" || action == "c" && after == nil {
				if err := x.fireCascadeAfter(child, afterRows); err != nil {
					return err
				}
				if err := x.fireCascadeStatement(child, event, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sameRefKey reports whether the columns of t a foreign key references hold the same values in two versions
// of a row.
func sameRefKey(t *table, fk foreignKey, a, b bson.Raw) bool {
	return sameValues(t, fk.RefColumns, a, b)
}

// cascadedKey is the update ON UPDATE CASCADE makes to the children of a row of parent whose referenced key
// changed to after's: the new key, in the child columns' types, or NULL where after has one.
func cascadedKey(parent, child *table, fk foreignKey, after bson.Raw) (bson.D, error) {
	set, unset := bson.D{}, bson.D{}
	for i, c := range fk.Columns {
		rv, err := after.LookupErr(strings.Split(parent.field(fk.RefColumns[i]), ".")...)
		if err != nil || rv.Type == bson.TypeNull {
			unset = append(unset, bson.E{Key: child.field(c), Value: ""})
			continue
		}
		var typmod int32
		if col := child.column(c); col != nil {
			typmod = col.TypMod
		}
		v, err := toStored(fromBSON(rv), child.colType(c), typmod)
		if err != nil {
			return nil, err
		}
		set = append(set, bson.E{Key: child.field(c), Value: v})
	}
	update := bson.D{}
	if len(set) > 0 {
		update = append(update, bson.E{Key: "$set", Value: set})
	}
	if len(unset) > 0 {
		update = append(update, bson.E{Key: "$unset", Value: unset})
	}
	return update, nil
}

// stillReferenced is the foreign_key_violation of a parent row of t deleted while child rows reference it.
func stillReferenced(t, child *table, fk foreignKey, texts []string) error {
	return &Error{Code: CodeForeignKeyViolation,
		Message:    fmt.Sprintf("update or delete on table \"%s\" violates foreign key constraint \"%s\" on table \"%s\"", t.Name, fk.Name, child.Name),
		Detail:     fmt.Sprintf("Key (%s)=(%s) is still referenced from table \"%s\".", strings.Join(fk.RefColumns, ", "), strings.Join(texts, ", "), child.Name),
		Constraint: fk.Name, Table: child.Name}
}

// referencing returns the _id of the rows of child that filter matches, as the transaction of ctx sees them,
// having made sure that it sees them all: a row committed after the transaction's snapshot (a child inserted
// while its parent was being deleted) is found by a read of the latest data and cannot be locked by this
// transaction, a write conflict that makes the statement run again on a newer snapshot. A row this transaction
// deleted itself is locked by it already and is left out.
func (x *exec) referencing(ctx context.Context, child *table, filter bson.D) ([]bson.RawValue, error) {
	cc := x.s.db().collection(child.Name)
	idOnly := bson.D{{Key: "_id", Value: 1}}
	seen, err := cc.find(ctx, filter, idOnly, 0)
	if err != nil {
		return nil, err
	}
	latest, err := cc.find(x.base, filter, idOnly, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]bson.RawValue, len(seen))
	known := map[string]bool{}
	for i, d := range seen {
		ids[i] = d.Lookup("_id")
		known[string(ids[i].Value)+string(rune(ids[i].Type))] = true
	}
	for _, d := range latest {
		id := d.Lookup("_id")
		if known[string(id.Value)+string(rune(id.Type))] {
			continue
		}
		if _, err := cc.lockForUpdate(ctx, []bson.RawValue{id}, false); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// fkColl is the collection of a table with foreign keys, or that foreign keys reference, for a statement's
// writes: every document written is checked as a child, every document deleted as a parent, and every document
// updated as a parent when a foreign key references a unique index of the table (keyed), inside the statement's
// transaction (outside one, the first write asks for one: errNeedsTxn, before anything is written).
type fkColl struct {
	backendColl
	x     *exec
	t     *table
	keyed bool
}

// uniqueReferenced reports whether a foreign key references columns of t other than its primary key (an
// update may change them); true when a table that references t cannot be read, so that the update's checks
// run and report it.
func (x *exec) uniqueReferenced(t *table) bool {
	for _, name := range t.ReferencedBy {
		child := t
		if name != t.Name {
			c, err := x.lookupTable(name, 0)
			if err != nil {
				return AsError(err).Code != CodeUndefinedTable
			}
			child = c
		}
		for _, fk := range child.ForeignKeys {
			if fk.Table == t.Name && fk.RefIndex != "" {
				return true
			}
		}
	}
	return false
}

// begin asks for a transaction (errNeedsTxn) when the statement runs outside one and the write needs one: need
// is whether it writes child rows or deletes referenced ones.
func (c fkColl) begin(need bool) error {
	if need && !c.x.inTxn {
		return errNeedsTxn
	}
	return nil
}

func (c fkColl) child() bool      { return len(c.t.ForeignKeys) > 0 }
func (c fkColl) referenced() bool { return len(c.t.ReferencedBy) > 0 }

// checksUpdates reports whether an update of a row is checked: as a child, or as a parent whose referenced key
// may change.
func (c fkColl) checksUpdates() bool { return c.child() || c.keyed }

func (c fkColl) insertOne(ctx context.Context, doc any) error {
	if err := c.begin(c.child()); err != nil {
		return err
	}
	if !c.child() {
		return c.backendColl.insertOne(ctx, doc)
	}
	raw, ok := doc.(bson.Raw)
	if !ok {
		b, err := bson.Marshal(doc)
		if err != nil {
			return err
		}
		raw = b
	}
	if _, err := raw.LookupErr("_id"); err != nil {
		// A row of a table without a primary key: its _id is given here, so that the check finds the row.
		idx, b := bsoncore.AppendDocumentStart(nil)
		b = bsoncore.AppendObjectIDElement(b, "_id", bson.NewObjectID())
		b = append(b, raw[4:len(raw)-1]...)
		b, err := bsoncore.AppendDocumentEnd(b, idx)
		if err != nil {
			return err
		}
		raw = bson.Raw(b)
	}
	if err := c.backendColl.insertOne(ctx, raw); err != nil {
		return err
	}
	return c.x.checkChild(ctx, c.t, raw, nil)
}

func (c fkColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	if err := c.begin(c.checksUpdates()); err != nil {
		return err
	}
	var before bson.Raw
	if c.keyed {
		b, err := c.backendColl.findOne(ctx, filter)
		if err != nil && !isNoDocuments(err) {
			return err
		}
		if before = b; b != nil {
			filter = mergeConds([]bson.D{{{Key: "_id", Value: b.Lookup("_id")}}, filter})
		}
	}
	if err := c.backendColl.replaceOne(ctx, filter, doc); err != nil || !c.checksUpdates() {
		return err
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	if before != nil {
		if err := c.x.parentChanged(ctx, c.t, before, raw); err != nil {
			return err
		}
	}
	if !c.child() {
		return nil
	}
	return c.x.checkChild(ctx, c.t, raw, nil)
}

func (c fkColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	if err := c.begin(c.checksUpdates()); err != nil {
		return nil, err
	}
	var before bson.Raw
	if c.checksUpdates() {
		b, err := c.backendColl.findOne(ctx, filter)
		if err != nil && !isNoDocuments(err) {
			return nil, err
		}
		if before = b; b != nil && c.keyed {
			// The row read is the row updated: the parent's old key is its.
			filter = mergeConds([]bson.D{{{Key: "_id", Value: b.Lookup("_id")}}, filter})
		}
	}
	after, err := c.backendColl.findOneAndUpdate(ctx, filter, update)
	if err != nil || !c.checksUpdates() {
		return after, err
	}
	if before != nil && !before.Lookup("_id").Equal(after.Lookup("_id")) {
		before = nil // another row matched the second time: check it whole
	}
	if c.keyed && before != nil {
		if err := c.x.parentChanged(ctx, c.t, before, after); err != nil {
			return nil, err
		}
	}
	if !c.child() {
		return after, nil
	}
	return after, c.x.checkChild(ctx, c.t, after, before)
}

// updateMany updates the matching documents one at a time, each checked as it is written.
func (c fkColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	if !c.checksUpdates() {
		return c.backendColl.updateMany(ctx, filter, update)
	}
	return c.each(ctx, filter, func(f bson.D) error {
		_, err := c.findOneAndUpdate(ctx, f, update)
		return err
	})
}

// each runs write on every document filter matches, one at a time, each by its _id and filter again (a
// document that no longer matches is skipped), in the statement's transaction; it counts the documents written.
func (c fkColl) each(ctx context.Context, filter bson.D, write func(bson.D) error) (int64, error) {
	if err := c.begin(true); err != nil {
		return 0, err
	}
	return eachMatch(c.x, c.backendColl, filter, write)
}

// eachMatch runs write on every document of coll filter matches, one at a time, each by its _id and filter again
// (a document that no longer matches is skipped); it counts the documents written.
func eachMatch(x *exec, coll backendColl, filter bson.D, write func(bson.D) error) (int64, error) {
	ids, err := x.matchingIDs(coll, filter)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, id := range ids {
		if err := write(mergeConds([]bson.D{{{Key: "_id", Value: id}}, filter})); err != nil {
			if isNoDocuments(err) {
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// updatedCount is an updateOne's count of the document findOneAndUpdate updated: 1, or 0 for none.
func updatedCount(_ bson.Raw, err error) (int64, error) {
	switch {
	case isNoDocuments(err):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return 1, nil
}

func (c fkColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	if !c.checksUpdates() {
		return c.backendColl.updateOne(ctx, filter, update)
	}
	return updatedCount(c.findOneAndUpdate(ctx, filter, update))
}

func (c fkColl) findOneAndDelete(ctx context.Context, filter bson.D) (bson.Raw, error) {
	if err := c.begin(c.referenced()); err != nil {
		return nil, err
	}
	doc, err := c.backendColl.findOneAndDelete(ctx, filter)
	if err != nil || !c.referenced() {
		return doc, err
	}
	return doc, c.x.parentDeleted(ctx, c.t, doc)
}

func (c fkColl) deleteOne(ctx context.Context, filter bson.D) error {
	if !c.referenced() {
		return c.backendColl.deleteOne(ctx, filter)
	}
	_, err := c.findOneAndDelete(ctx, filter)
	if isNoDocuments(err) {
		return nil
	}
	return err
}

// deleteMany deletes the matching documents one at a time, each checked as a parent.
func (c fkColl) deleteMany(ctx context.Context, filter bson.D) (int64, error) {
	if !c.referenced() {
		return c.backendColl.deleteMany(ctx, filter)
	}
	return c.each(ctx, filter, func(f bson.D) error {
		_, err := c.findOneAndDelete(ctx, f)
		return err
	})
}

// verifyForeignKey returns a foreign_key_violation when a row of t names a parent row that does not exist
// (ALTER TABLE ... ADD FOREIGN KEY on a table with rows): the rows as last committed, each against the parents as
// last committed, and in a block also the rows and parents as the block sees them.
func (x *exec) verifyForeignKey(t *table, fk foreignKey) error {
	probe := *t
	probe.ForeignKeys = []foreignKey{fk}
	coll := x.s.db().collection(t.Name)
	if !x.inTxn {
		docs, err := coll.find(x.base, bson.D{}, nil, 0)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if err := x.verifyChild(x.base, &probe, d, nil, nil); err != nil {
				return err
			}
		}
		return nil
	}
	// In a block: the rows as the block sees them, against the parents it sees; and the rows other sessions
	// committed that the block's view lacks (written after its snapshot), against the parents either sees.
	seen := map[string]bool{}
	docs, err := coll.find(x.ctx, bson.D{}, nil, 0)
	if err != nil {
		return err
	}
	for _, d := range docs {
		seen[string(d.Lookup("_id").Value)] = true
		if err := x.verifyChild(x.ctx, &probe, d, nil, nil); err != nil {
			return err
		}
	}
	if docs, err = coll.find(x.base, bson.D{}, nil, 0); err != nil {
		return err
	}
	for _, d := range docs {
		if seen[string(d.Lookup("_id").Value)] {
			continue
		}
		if err := x.verifyChild(x.base, &probe, d, nil, nil); err != nil {
			if AsError(err).Code != CodeForeignKeyViolation {
				return err
			}
			if err := x.verifyChild(x.ctx, &probe, d, nil, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// foreignKeyDef is a foreign key as pg_get_constraintdef writes it.
func foreignKeyDef(fk foreignKey) string {
	quoted := func(names []string) string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = quoteIdent(n)
		}
		return strings.Join(out, ", ")
	}
	def := "FOREIGN KEY (" + quoted(fk.Columns) + ") REFERENCES " + quoteIdent(fk.Table) + "(" + quoted(fk.RefColumns) + ")"
	if fk.MatchFull {
		def += " MATCH FULL"
	}
	if a, ok := map[string]string{"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}[fk.OnUpdate]; ok {
		def += " ON UPDATE " + a
	}
	switch fk.OnDelete {
	case "r":
		def += " ON DELETE RESTRICT"
	case "c":
		def += " ON DELETE CASCADE"
	case "n":
		def += " ON DELETE SET NULL"
	case "d":
		def += " ON DELETE SET DEFAULT"
	}
	if (fk.OnDelete == "n" || fk.OnDelete == "d") && fk.DelSetCols != nil {
		def += " (" + quoted(fk.DelSetCols) + ")"
	}
	switch {
	case fk.Deferred:
		def += " DEFERRABLE INITIALLY DEFERRED"
	case fk.Deferrable:
		def += " DEFERRABLE"
	}
	return def
}

// bsonValue marshals one value.
func bsonValue(v any) (bson.RawValue, error) {
	typ, data, err := bson.MarshalValue(v)
	return bson.RawValue{Type: typ, Value: data}, err
}

// childKey is a foreign key of table child.
type childKey struct {
	child string
	fk    foreignKey
}

// keyDependents are the foreign keys that reference t (its own included) and for which depends holds.
func (x *exec) keyDependents(t *table, depends func(foreignKey) bool) ([]childKey, error) {
	var out []childKey
	for _, name := range t.ReferencedBy {
		ct := t
		if name != t.Name {
			c, err := x.readTable(name, 0)
			if err != nil {
				if AsError(err).Code == CodeUndefinedTable {
					continue
				}
				return nil, err
			}
			ct = c
		}
		for _, fk := range ct.ForeignKeys {
			if fk.Table == t.Name && depends(fk) {
				out = append(out, childKey{name, fk})
			}
		}
	}
	return out, nil
}

// dropKeyDependents handles the foreign keys that depend on an object being dropped (what, as "index x" or
// "column c of table t"): without cascade they are 2BP01, with the message drop gives; with cascade they are
// dropped from their tables, as PostgreSQL's notice says. self, when not nil, drops t's own (ALTER TABLE edits t).
func (x *exec) dropKeyDependents(t *table, deps []childKey, drop, what string, cascade bool, self func(foreignKey)) error {
	if len(deps) == 0 {
		return nil
	}
	lines := make([]string, len(deps))
	for i, d := range deps {
		lines[i] = fmt.Sprintf("constraint %s on table %s", d.fk.Name, d.child)
	}
	if !cascade {
		detail := make([]string, len(lines))
		for i, l := range lines {
			detail[i] = l + " depends on " + what
		}
		return &Error{Code: CodeDependentObjectsStillExist, Message: drop + " because other objects depend on it",
			Detail: strings.Join(detail, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	for _, d := range deps {
		if d.child == t.Name && self != nil {
			self(d.fk)
			continue
		}
		ct, err := x.readTable(d.child, 0)
		if err != nil {
			return err
		}
		cc := *ct
		cc.ForeignKeys = slices.DeleteFunc(slices.Clone(ct.ForeignKeys), func(fk foreignKey) bool { return fk.Name == d.fk.Name })
		if err := x.saveTable(&cc); err != nil {
			return err
		}
		if !cc.references(t.Name) {
			if err := x.setReferencedBy(t.Name, d.child, false); err != nil {
				return err
			}
		}
	}
	notice := &Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: "drop cascades to " + lines[0]}
	if len(lines) > 1 {
		notice.Message = fmt.Sprintf("drop cascades to %d other objects", len(lines))
		for i := range lines {
			lines[i] = "drop cascades to " + lines[i]
		}
		notice.Detail = strings.Join(lines, "\n")
	}
	x.warn(notice)
	return nil
}
