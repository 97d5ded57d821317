package sql

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Renaming indexes and constraints. ALTER INDEX ... RENAME (and ALTER TABLE ... RENAME on an index, ALTER TABLE
// ... RENAME CONSTRAINT) changes the table's catalog entry only: the storage keeps the index under the name it
// was built with, and the entry's Renamed maps that name to the one SQL knows. The storage cannot rename an index
// (MongoDB has no such command), and a catalog change is one write, which a transaction block holds and a
// ROLLBACK undoes. A primary key's name is the entry's PKName, an alias's its key in Aliases.
//
// A storage name that SQL no longer uses stays the storage's: an index made later under that SQL name is built
// under a free variant of it (storageNameFor) and mapped back the same way.

// indexName is the name SQL knows t's storage index by.
func (t *table) indexName(storage string) string {
	if n, ok := t.Renamed[storage]; ok {
		return n
	}
	return storage
}

// storageIndex is the storage name of the index SQL knows as name; ok is false when name is the storage name
// of an index SQL knows by another name now.
func (t *table) storageIndex(name string) (storage string, ok bool) {
	for s, n := range t.Renamed {
		if n == name {
			return s, true
		}
	}
	if _, gone := t.Renamed[name]; gone {
		return "", false
	}
	return name, true
}

// storageNameFor is the storage name of a new index of t that SQL is to know as name: name itself unless one of
// the storage's indexes (by their names, storage) or t's renames holds it, else the first free name_<n>.
func storageNameFor(t *table, storage []string, name string) string {
	taken := func(s string) bool {
		_, renamed := t.Renamed[s]
		return renamed || slices.Contains(storage, s)
	}
	out := name
	for i := 1; taken(out); i++ {
		out = name + "_" + strconv.Itoa(i)
	}
	return out
}

// withIndexName returns a copy of t whose storage index storage is known to SQL as name.
func (t *table) withIndexName(storage, name string) *table {
	nt := *t
	nt.Renamed = maps.Clone(t.Renamed)
	if nt.Renamed == nil {
		nt.Renamed = map[string]string{}
	}
	if storage == name {
		delete(nt.Renamed, storage)
	} else {
		nt.Renamed[storage] = name
	}
	return &nt
}

// indexNamed is the index of a declared table SQL knows as name.
func (x *exec) indexNamed(name string) (pgIndex, bool, error) {
	indexes, err := x.pgIndexes()
	if err != nil {
		return pgIndex{}, false, err
	}
	for _, ix := range indexes {
		if ix.name == name {
			return ix, true, nil
		}
	}
	return pgIndex{}, false, nil
}

// renameIndex runs ALTER INDEX ... RENAME TO (or ALTER TABLE ... RENAME TO naming an index) on ix.
func (x *exec) renameIndex(rs *pg.RenameStmt, ix pgIndex) (*Result, error) {
	tag := renameTag(rs)
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	if err := x.relationFree(rs.Newname); err != nil {
		return nil, err
	}
	return &Result{Tag: tag}, x.saveIndexName(ix, rs.Newname)
}

// relationFree refuses a name a table, view, sequence or index has, with PostgreSQL's 42P07.
func (x *exec) relationFree(name string) error {
	_, taken, err := x.relationByName(name)
	if err == nil && taken {
		err = errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	return err
}

// saveIndexName gives index ix the name name in its table's catalog entry. A UNIQUE constraint's index stays
// the constraint's, under its new name, as in PostgreSQL.
func (x *exec) saveIndexName(ix pgIndex, name string) error {
	t, err := x.readTable(ix.table, 0)
	if err != nil {
		return err
	}
	nt := *t
	switch {
	case ix.primary:
		nt.PKName = name
	case ix.storage == "": // an alias
		nt.Aliases = maps.Clone(t.Aliases)
		a := nt.Aliases[ix.name]
		delete(nt.Aliases, ix.name)
		nt.Aliases[name] = a
		nt.Uniques = slices.DeleteFunc(slices.Clone(t.Uniques), func(u string) bool { return u == ix.name })
		if ix.constraint == "u" {
			nt.Uniques = append(nt.Uniques, name)
		}
	default:
		nt = *t.withIndexName(ix.storage, name)
		if ix.constraint == "u" && !slices.Contains(t.Uniques, ix.storage) {
			// Known as a constraint's by its storage name's pattern (<table>_<cols>_key): now by being listed.
			nt.Uniques = append(slices.Clone(t.Uniques), ix.storage)
		}
	}
	if c, ok := t.IndexComments[ix.name]; ok {
		nt.IndexComments = maps.Clone(t.IndexComments)
		delete(nt.IndexComments, ix.name)
		nt.IndexComments[name] = c
	}
	return x.saveTable(&nt)
}

// renameConstraint runs ALTER TABLE ... RENAME CONSTRAINT: a PRIMARY KEY or UNIQUE constraint's index takes
// the new name with it; a CHECK or FOREIGN KEY constraint is renamed in the catalog.
func (x *exec) renameConstraint(rs *pg.RenameStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "ALTER TABLE"}, nil
	}
	t, err := x.alterable(rs.Relation)
	if err != nil {
		return nil, err
	}
	old, name := rs.Subname, rs.Newname
	cons, err := x.tableConstraints()
	if err != nil {
		return nil, err
	}
	var found *tableConstraint
	for i := range cons {
		c := &cons[i]
		if c.table != t.Name {
			continue
		}
		if c.name == name {
			return nil, errorf(CodeDuplicateObject, "constraint \"%s\" for relation \"%s\" already exists", name, t.Name)
		}
		if c.name == old {
			found = c
		}
	}
	if found == nil {
		return nil, errorf(CodeUndefinedObject, "constraint \"%s\" for table \"%s\" does not exist", old, t.Name)
	}
	switch found.kind {
	case "PRIMARY KEY", "UNIQUE":
		ix, ok, err := x.indexNamed(old)
		if err != nil {
			return nil, err
		}
		if !ok || ix.table != t.Name {
			return nil, fmt.Errorf("sql: the index of constraint %q of %q is missing", old, t.Name)
		}
		if err := x.relationFree(name); err != nil {
			return nil, err
		}
		return &Result{Tag: "ALTER TABLE"}, x.saveIndexName(ix, name)
	case "CHECK":
		nt := *t
		nt.Checks = slices.Clone(t.Checks)
		for i := range nt.Checks {
			if nt.Checks[i].Name == old {
				// Renamed in place: the validator's clauses follow the entry's order (checkedColl.fail).
				nt.Checks[i].Name = name
			}
		}
		return &Result{Tag: "ALTER TABLE"}, x.saveTable(&nt)
	default: // FOREIGN KEY
		nt := *t
		nt.ForeignKeys = slices.Clone(t.ForeignKeys)
		for i := range nt.ForeignKeys {
			if nt.ForeignKeys[i].Name == old {
				nt.ForeignKeys[i].Name = name
			}
		}
		return &Result{Tag: "ALTER TABLE"}, x.saveTable(&nt)
	}
}

// renameTag is the command tag of a RENAME: ALTER TABLE, ALTER INDEX or ALTER VIEW as the statement began; a
// column's or constraint's rename is tagged by its relation's kind.
func renameTag(rs *pg.RenameStmt) string {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_COLUMN, pg.ObjectType_OBJECT_TABCONSTRAINT:
		return "ALTER " + objectWord(rs.RelationType)
	}
	return "ALTER " + objectWord(rs.RenameType)
}

// patternUniques names the unique indexes and aliases of t (the storage's indexes are specs) known as UNIQUE
// constraints' only by their names' pattern, <table>_<cols>_key (uniqueColumns), over column col ("": any). A
// table or column rename keeps them, as PostgreSQL keeps an index's name, and lists them in Uniques, where their
// names no longer make them constraints'.
func patternUniques(t *table, specs []indexSpec, col string) []string {
	names := t.aliasNames()
	for _, s := range specs {
		if s.unique {
			names = append(names, s.name)
		}
	}
	var out []string
	for _, n := range names {
		if a, isAlias := t.Aliases[n]; isAlias && !a.Unique || slices.Contains(t.Uniques, n) {
			continue
		}
		if cols, ok := uniqueColumns(t, n); ok && (col == "" || slices.Contains(cols, col)) {
			out = append(out, n)
		}
	}
	return out
}

// renamesInCatalog reports whether a RENAME changes the catalog only, which a transaction block holds: one of
// an index or a constraint.
func (x *exec) renamesInCatalog(rs *pg.RenameStmt) bool {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_TABCONSTRAINT:
		return true
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_INDEX:
		if rs.Subname != "" || rs.Relation == nil {
			return false
		}
		_, found, err := x.indexNamed(rs.Relation.Relname)
		return err == nil && found
	case pg.ObjectType_OBJECT_COLUMN:
		// A column no index holds: the catalog, and the rows' fields renamed in the block's transaction (an
		// index would have to be built again on the new name, which no transaction can).
		if rs.Relation == nil {
			return false
		}
		t, err := x.lookupTable(rs.Relation.Relname, 0)
		if err != nil || t.View != "" || slices.Contains(t.Key, rs.Subname) && len(t.Key) > 1 {
			return false
		}
		specs, err := x.s.db().collection(t.Name).indexes(x.base)
		if err != nil {
			return false
		}
		return !slices.ContainsFunc(specs, func(ix indexSpec) bool { return ix.name != "_id_" && ix.keys.Lookup(t.field(rs.Subname)).Type != 0 })
	}
	return false
}
