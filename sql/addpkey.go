package sql

import (
	"context"
	"fmt"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// ALTER TABLE ... ADD [CONSTRAINT name] PRIMARY KEY (cols), as pg_dump's scripts write every primary key: after
// the rows are loaded. A table's primary key is its documents' _id (a one-column key the value, a composite key
// a document of the columns in key order), which a document cannot change; so each row is written again under
// its key, in one transaction, and the key columns' fields leave the documents. Then the catalog names the key
// and the collection's validator is set again (a CHECK on a key column now reads _id).

// addPrimaryKey adds primary key con to t (the statement's copy of the table), the statement's only action.
// A NULL in a key column is 23502 and two rows with one key 23505, with nothing changed. The rows are written
// again before the catalog changes, as ADD COLUMN fills its column first: DDL is not one atomic step here.
func (x *exec) addPrimaryKey(t *table, con *pg.Constraint, only bool) (*Result, error) {
	switch {
	case !only:
		return nil, unsupported("ADD PRIMARY KEY together with other ALTER TABLE actions (run them one by one)")
	case x.inBlock() && !x.createdInBlock(t.Name):
		return nil, unsupported("ALTER TABLE ... ADD PRIMARY KEY inside a transaction block on a table from before the block (it writes every row again)")
	case !t.declared:
		return nil, unsupported("ADD PRIMARY KEY on a collection without declared columns")
	case con.Indexname != "":
		return nil, unsupported("ADD PRIMARY KEY USING INDEX")
	case len(t.Key) > 0:
		return nil, errorf("42P16", "multiple primary keys for table \"%s\" are not allowed", t.Name)
	}
	if err := notDeferrableKey(con); err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range con.Keys {
		name := k.GetString_().GetSval()
		if t.column(name) == nil {
			return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", name, t.Name)
		}
		if slices.Contains(keys, name) {
			return nil, errorf("42701", "column \"%s\" appears twice in primary key constraint", name)
		}
		keys = append(keys, name)
	}
	if len(keys) == 0 {
		return nil, errorf(CodeSyntaxError, "a primary key needs at least one column")
	}
	name := con.Conname
	if name == "" {
		name = t.Name + "_pkey"
	}
	if _, found, err := x.relationByName(name); err != nil {
		return nil, err
	} else if found {
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	coll := x.s.db().collection(t.Name)
	specs, err := coll.indexes(x.base)
	if err != nil {
		return nil, err
	}
	for _, s := range specs {
		cols, _ := indexColumns(t, s.keys)
		if s.name != "_id_" && slices.ContainsFunc(cols, func(c string) bool { return slices.Contains(keys, c) }) {
			return nil, unsupported(fmt.Sprintf("ADD PRIMARY KEY on a column the index \"%s\" covers (drop the index, add the key, make the index again)", s.name))
		}
	}
	if x.inBlock() {
		// A table the block created (as pg_dump's script restored in one transaction makes them): the rows are
		// written again and the catalog changes in the block's transaction, which cannot hold a new validator.
		before, err := x.validator(t)
		if err != nil {
			return nil, err
		}
		t.Key = keys
		after, err := x.validator(t)
		t.Key = nil
		if err != nil {
			return nil, err
		}
		if !sameDoc(before, after) {
			return nil, unsupported("ALTER TABLE ... ADD PRIMARY KEY inside a transaction block on a column a CHECK constraint or a numeric(p,s) type checks")
		}
		if err := x.rekeyRows(x.ctx, t, keys, name); err != nil {
			return nil, err
		}
	} else {
		err = x.s.e.b.withTransaction(x.base, func(ctx context.Context) error {
			return x.rekeyRows(ctx, t, keys, name)
		})
		if err != nil {
			return nil, err
		}
	}
	t.Key = keys
	if name != t.Name+"_pkey" {
		t.PKName = name
	}
	for _, k := range keys {
		t.column(k).NotNull = true
	}
	if x.inBlock() {
		t.Ranges = rangesOf(t)
		return &Result{Tag: "ALTER TABLE"}, x.saveTable(t)
	}
	if err := x.installRanges(t); err != nil { // the validator, for the key's fields, and the catalog entry
		return nil, err
	}
	return &Result{Tag: "ALTER TABLE"}, nil
}

// rekeyRows writes every row of t again with _id its key of columns keys, in ctx's transaction.
func (x *exec) rekeyRows(ctx context.Context, t *table, keys []string, index string) error {
	coll := x.s.db().collection(t.Name)
	docs, err := coll.find(ctx, bson.D{}, nil, 0)
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(docs))
	rows := make([]bson.D, 0, len(docs))
	for _, doc := range docs {
		row := bson.D{}
		id := bson.D{}
		for _, k := range keys {
			v := doc.Lookup(k)
			if v.Type == 0 || v.Type == bson.TypeNull {
				return &Error{Code: CodeNotNullViolation, Table: t.Name, Column: k,
					Message: fmt.Sprintf("column \"%s\" of relation \"%s\" contains null values", k, t.Name)}
			}
			id = append(id, bson.E{Key: k, Value: v})
		}
		var idValue any = id
		if len(keys) == 1 {
			idValue = id[0].Value
		}
		raw, err := bson.Marshal(bson.D{{Key: "_id", Value: idValue}})
		if err != nil {
			return err
		}
		if seen[string(raw)] {
			texts := make([]string, len(keys))
			for i, e := range id {
				v := fromBSON(e.Value.(bson.RawValue))
				texts[i] = formatTyped(v, t.colType(keys[i]))
			}
			return &Error{Code: CodeUniqueViolation, Table: t.Name, Constraint: index,
				Message: fmt.Sprintf("could not create unique index \"%s\"", index),
				Detail:  fmt.Sprintf("Key (%s)=(%s) is duplicated.", strings.Join(keys, ", "), strings.Join(texts, ", "))}
		}
		seen[string(raw)] = true
		row = append(row, bson.E{Key: "_id", Value: idValue})
		elems, err := doc.Elements()
		if err != nil {
			return err
		}
		for _, e := range elems {
			if e.Key() != "_id" && !slices.Contains(keys, e.Key()) {
				row = append(row, bson.E{Key: e.Key(), Value: e.Value()})
			}
		}
		rows = append(rows, row)
	}
	wctx := withoutValidation(ctx) // the validator names the key's fields as they were until the catalog changes
	if _, err := coll.deleteMany(wctx, bson.D{}); err != nil {
		return err
	}
	for _, row := range rows {
		if err := coll.insertOne(wctx, row); err != nil {
			return err
		}
	}
	return nil
}

// sameDoc reports whether two documents (nil for none) encode alike.
func sameDoc(a, b bson.D) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	ra, err1 := bson.Marshal(a)
	rb, err2 := bson.Marshal(b)
	return err1 == nil && err2 == nil && string(ra) == string(rb)
}
