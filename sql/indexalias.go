package sql

import (
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Index aliases. PostgreSQL allows two indexes on the same columns (Django makes a varchar_pattern_ops index
// beside the unique index of every unique text column, and on a primary key); the storage keeps one index per
// key pattern, uniqueness and partial filter (MongoDB's index signature: a plain index, a unique one and partial
// ones with different WHERE clauses may share columns). CREATE INDEX on a key a table's index already covers, in
// the same order and directions, with the same WHERE clause or none on either, makes an alias: a name in the
// table's catalog that the catalogs (pg_indexes, pg_class, \d) list as an index of its own and that DROP INDEX
// drops, served by the existing index. A unique alias needs a unique index under it. Dropping the index under
// aliases builds it again under the first alias's name, so that the remaining names keep an index, as the other
// duplicate index stays in PostgreSQL.

// indexAlias is an alias: the index that serves it (its storage name) and whether it was made UNIQUE.
type indexAlias struct {
	Index  string `bson:"index"`
	Unique bool   `bson:"unique,omitempty"`
}

// aliasIndex makes name an alias of t's index on keys when there is one and it serves (served true), saving the
// table's catalog entry, and returns the alias; served is false when a new index must be built.
// predicate is the new index's WHERE clause as the catalog keeps it, "" for none.
func (x *exec) aliasIndex(t *table, keys bson.D, name string, unique bool, predicate string) (alias indexAlias, served bool, err error) {
	if !t.declared {
		return indexAlias{}, false, nil
	}
	specs, err := x.s.db().collection(t.Name).indexes(x.catRead())
	if err != nil {
		return indexAlias{}, false, err
	}
	raw, err := bson.Marshal(keys)
	if err != nil {
		return indexAlias{}, false, err
	}
	cols, desc := indexColumns(t, raw)
	for _, s := range specs {
		if c, d := indexColumns(t, s.keys); !slices.Equal(c, cols) || !slices.Equal(d, desc) || (unique && !s.unique && s.name != "_id_") || t.Predicates[s.name] != predicate {
			continue
		}
		nt := *t // the looked-up table is shared
		nt.Aliases = maps.Clone(t.Aliases)
		if nt.Aliases == nil {
			nt.Aliases = map[string]indexAlias{}
		}
		alias = indexAlias{Index: s.name, Unique: unique}
		nt.Aliases[name] = alias
		return alias, true, x.saveTable(&nt)
	}
	return indexAlias{}, false, nil
}

// aliasNames lists t's aliases in name order.
func (t *table) aliasNames() []string {
	return slices.Sorted(maps.Keys(t.Aliases))
}

// dropAlias drops the alias name of whichever table has it: found false when no table has one by that name.
func (x *exec) dropAlias(name string) (bool, error) {
	tables, _, err := x.declaredTables()
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		if _, ok := t.Aliases[name]; !ok {
			continue
		}
		nt := *t
		nt.Aliases = maps.Clone(t.Aliases)
		delete(nt.Aliases, name)
		return true, x.saveTable(&nt)
	}
	return false, nil
}

// promoteAlias, after the storage index dropped of table t went, builds it again under the name of its first
// alias, which then stops being one; the other aliases of it follow the new index.
// predicate is the dropped index's WHERE clause, "" for none.
func (x *exec) promoteAlias(t *table, dropped string, keys bson.D, predicate string) error {
	var first string
	for _, a := range t.aliasNames() {
		if t.Aliases[a].Index == dropped {
			first = a
			break
		}
	}
	if first == "" {
		return nil
	}
	coll := x.s.db().collection(t.Name)
	names, err := indexNames(x.base, coll)
	if err != nil {
		return err
	}
	storage := storageNameFor(t, names, first) // the alias's name may be an index's the storage still holds
	nt := *t.withIndexName(storage, first)
	nt.Aliases = maps.Clone(t.Aliases)
	promotedUnique := nt.Aliases[first].Unique
	delete(nt.Aliases, first)
	for a, al := range nt.Aliases {
		if al.Index == dropped {
			al.Index = storage
			nt.Aliases[a] = al
		}
	}
	var where bson.D
	if predicate != "" {
		n, err := parseExpr(predicate)
		if err != nil {
			return err
		}
		if _, where, err = x.indexPredicate(t, n); err != nil {
			return err
		}
		nt.Predicates = maps.Clone(t.Predicates)
		if nt.Predicates == nil {
			nt.Predicates = map[string]string{}
		}
		nt.Predicates[storage] = predicate
	}
	if err := coll.createIndex(x.base, keys, storage, promotedUnique, indexPartial(keys, promotedUnique, where)); err != nil {
		return err
	}
	return x.saveTable(&nt)
}
