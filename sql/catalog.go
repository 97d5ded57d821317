package sql

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// tablesCollection holds, in each database, one document per table created
// with CREATE TABLE: its columns, their types and its primary key.
// Collections written only over the MongoDB port have no document here and
// are tables all the same, whose columns are the fields found in them.
const tablesCollection = "system.sql_tables"

// column is a declared column.
type column struct {
	Name    string `bson:"name"`
	Type    uint32 `bson:"type"`
	NotNull bool   `bson:"notnull,omitempty"`
}

// table is a collection seen as a table.
type table struct {
	Name     string   `bson:"_id"`
	Columns  []column `bson:"columns"`
	Key      []string `bson:"key,omitempty"` // primary key columns; stored as _id
	declared bool
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

// lookupTable returns the table name in the session's database: its
// declared schema, or a schemaless table for a collection that exists. An
// unknown name is 42P01.
func (x *exec) lookupTable(name string, loc int32) (*table, error) {
	if name == "" || strings.HasPrefix(name, "system.") {
		return nil, &Error{Code: CodeUndefinedTable, Message: "relation \"" + name + "\" does not exist", Position: int(loc) + 1}
	}
	db := x.s.db()
	var t table
	raw, err := db.collection(tablesCollection).findOne(x.base, bson.D{{Key: "_id", Value: name}})
	if err == nil {
		if err := bson.Unmarshal(raw, &t); err != nil {
			return nil, err
		}
		t.declared = true
		return &t, nil
	}
	if !isNoDocuments(err) {
		return nil, err
	}
	names, err := db.listCollectionNames(x.base, bson.D{{Key: "name", Value: name}})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &Error{Code: CodeUndefinedTable, Message: "relation \"" + name + "\" does not exist", Position: int(loc) + 1}
	}
	return &table{Name: name}, nil
}

// tableNames lists the tables of the session's database.
func (x *exec) tableNames(ctx context.Context) ([]string, error) {
	names, err := x.s.db().listCollectionNames(ctx, bson.D{})
	if err != nil {
		return nil, err
	}
	out := names[:0]
	for _, n := range names {
		if !strings.HasPrefix(n, "system.") {
			out = append(out, n)
		}
	}
	return out, nil
}
