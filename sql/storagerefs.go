package sql

import (
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// Foreign keys, kept by the storage for other writers. SQL checks the foreign keys of its own writes (fkeys.go),
// but a document written over the MongoDB port or the embedded Go API could name a parent row that does not
// exist, or delete a parent row that child rows name. So each foreign key is also given to the child table's
// collection as a reference (the engine's CollectionOptions.References): a document written there that names
// no parent row is refused, and so is the deletion of a parent row that a child row names (or a change of the
// unique key it names), with DocumentValidationFailure (121), whatever the constraint's ON DELETE action: the
// storage refuses where SQL would cascade or set NULL, and SQL's own DELETE applies the action. SQL's writes skip
// the storage's check (sqlWrite): SQL checks at the statement's end, or at COMMIT for a deferred constraint, as
// PostgreSQL does. Against a MongoDB deployment (concord sql --mongodb-uri) a MongoDB client's writes are not
// checked.

// storageReferences are the references the storage keeps for t: one per foreign key whose columns and
// referenced columns are fields the storage can name.
func (x *exec) storageReferences(t *table) []concord.Reference {
	if len(t.ForeignKeys) == 0 || !x.s.e.b.computedFields() {
		return nil
	}
	var out []concord.Reference
	for _, fk := range t.ForeignKeys {
		r := concord.Reference{Name: fk.Name, Coll: x.s.storageOf(fk.Table)}
		if fk.RefIndex == "" && len(fk.RefColumns) == 1 {
			r.Fields, r.ParentFields = []string{t.field(fk.Columns[0])}, []string{"_id"}
		} else if fk.RefIndex == "" {
			// A composite primary key is the document _id of the key's columns in the parent's key order.
			parent, err := x.catalogTable(fk.Table)
			if err != nil || parent == nil || len(parent.Key) != len(fk.RefColumns) {
				continue
			}
			for _, k := range parent.Key {
				j := slices.Index(fk.RefColumns, k)
				if j < 0 {
					break
				}
				r.Fields = append(r.Fields, t.field(fk.Columns[j]))
				r.ParentFields = append(r.ParentFields, "_id."+k)
			}
			if len(r.Fields) != len(parent.Key) {
				continue
			}
		} else {
			parent, err := x.catalogTable(fk.Table)
			if err != nil || parent == nil {
				continue
			}
			for i, c := range fk.Columns {
				r.Fields = append(r.Fields, t.field(c))
				r.ParentFields = append(r.ParentFields, parent.field(fk.RefColumns[i]))
			}
		}
		if slices.ContainsFunc(r.Fields, func(f string) bool { return strings.ContainsAny(strings.TrimPrefix(f, "_id."), ".$") }) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// catalogTable reads table name's catalog entry as it is (a temporary table's is under its storage name), nil
// when there is none: readTable without its upkeep, which reads this table's own foreign keys' parents.
func (x *exec) catalogTable(name string) (*table, error) {
	raw, err := x.s.db().collection(tablesCollection).findOne(x.catRead(), bson.D{{Key: "_id", Value: x.catalogID(name)}})
	if isNoDocuments(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var t table
	if err := bson.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	t.Name, t.declared = name, true
	return &t, nil
}

// sameReferences reports whether a and b are the same references, in the same order.
func sameReferences(a, b []concord.Reference) bool {
	return slices.EqualFunc(a, b, func(x, y concord.Reference) bool {
		return x.Name == y.Name && x.Coll == y.Coll && slices.Equal(x.Fields, y.Fields) && slices.Equal(x.ParentFields, y.ParentFields)
	})
}
