package sql

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// The indexes of declared tables as PostgreSQL's catalogs show them (pg_class rows of kind 'i', pg_index,
// pg_indexes, pg_get_indexdef, and the PRIMARY KEY and UNIQUE rows of pg_constraint), so that psql's \d lists a
// table's "Indexes" and \di lists them all. A table's primary key is its collection's _id index, shown as
// <table>_pkey; a UNIQUE constraint is the unique index SQL made for it (<table>_<cols>_key).

// indexOIDBase is the first oid of the indexes pg_class shows, above the tables' (tableOID).
const indexOIDBase = 1_000_000

// pgIndex is one index of a declared table.
type pgIndex struct {
	oid, tableOID int64
	table         string
	t             *table // the table's definition
	name          string
	schema        string // the table's schema: public, or the session's pg_temp_<n>
	// storage is the storage's name of the index: "_id_" for the primary key, "" for an alias (indexalias.go).
	storage string
	columns []string // the key's columns in order
	desc    []bool   // whether each column is descending
	unique  bool
	primary bool
	// constraint is "p" for the primary key, "u" for a UNIQUE constraint's index, "" for any other index.
	constraint string
}

// isExpr reports whether the index's column i is an expression of its table (CREATE INDEX ... (lower(name))).
func (ix *pgIndex) isExpr(i int) bool {
	return ix.t != nil && ix.t.column(ix.columns[i]) == nil && ix.t.isIndexExpr(ix.columns[i])
}

// attNames are the names of the index's attributes (pg_attribute): a column's name, or for an expression
// FigureIndexColname's (the function's name, else "expr") with a number added when an earlier attribute has it,
// as PostgreSQL's ChooseIndexColumnNames makes them.
func (ix *pgIndex) attNames() []string {
	out := make([]string, len(ix.columns))
	for i, c := range ix.columns {
		out[i] = c
		if !ix.isExpr(i) {
			continue
		}
		base := "expr"
		if n, err := parseExpr(c); err == nil {
			base = indexExprName(n)
		}
		name := base
		for k := 1; slices.Contains(out[:i], name); k++ {
			name = base + strconv.Itoa(k)
		}
		out[i] = name
	}
	return out
}

// def is the index as pg_get_indexdef writes it: the table qualified with its schema unless pretty (pretty
// qualifies only a table outside the search path, and public is on it).
func (ix *pgIndex) def(pretty bool) string {
	var b strings.Builder
	b.WriteString("CREATE ")
	if ix.unique {
		b.WriteString("UNIQUE ")
	}
	b.WriteString("INDEX " + quoteIdent(ix.name) + " ON ")
	if !pretty {
		b.WriteString(ix.schema + ".")
	}
	b.WriteString(quoteIdent(ix.table) + " USING btree (")
	for i, c := range ix.columns {
		if i > 0 {
			b.WriteString(", ")
		}
		if ix.t.isIndexExpr(c) {
			b.WriteString(indexElemExpr(c, pretty))
		} else {
			b.WriteString(quoteIdent(c))
		}
		if ix.desc[i] {
			b.WriteString(" DESC")
		}
	}
	b.WriteString(")")
	if ix.nullsNotDistinct() {
		b.WriteString(" NULLS NOT DISTINCT")
	}
	if p := ix.predicate(); p != "" && pretty {
		b.WriteString(" WHERE " + p) // PostgreSQL's pretty form drops the outer parentheses (psql's \d)
	} else if p != "" {
		b.WriteString(" WHERE (" + p + ")")
	}
	return b.String()
}

// served is the storage's name of the index: its own, or for an alias (indexalias.go) that of the index it names.
func (ix *pgIndex) served() string {
	if ix.storage == "" && ix.t != nil {
		return ix.t.Aliases[ix.name].Index
	}
	return ix.storage
}

// predicate is a partial index's WHERE clause as the catalog keeps it, "" for none.
func (ix *pgIndex) predicate() string {
	return ix.t.Predicates[ix.served()] // an alias: its index's WHERE clause is its own
}

// constraintDef is the PRIMARY KEY or UNIQUE constraint the index serves, as pg_get_constraintdef writes it.
func (ix *pgIndex) constraintDef() string {
	cols := make([]string, len(ix.columns))
	for i, c := range ix.columns {
		cols[i] = quoteIdent(c)
	}
	kind := "UNIQUE"
	if ix.primary {
		kind = "PRIMARY KEY"
	} else if ix.nullsNotDistinct() {
		kind = "UNIQUE NULLS NOT DISTINCT"
	}
	return kind + " (" + strings.Join(cols, ", ") + ")"
}

// nullsNotDistinct reports whether the index is a unique one made NULLS NOT DISTINCT (pg_index.indnullsnotdistinct).
func (ix *pgIndex) nullsNotDistinct() bool {
	return ix.unique && ix.t != nil && slices.Contains(ix.t.NullsNotDistinct, ix.served())
}

// pgIndexes lists the indexes of the database's declared tables, numbered from indexOIDBase; a statement lists
// them once.
func (x *exec) pgIndexes() ([]pgIndex, error) {
	if x.indexes != nil {
		return x.indexes, nil
	}
	tables, oids, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	var out []pgIndex
	for _, t := range tables {
		specs, err := x.s.db().collection(t.Name).indexes(x.base)
		if err != nil {
			return nil, err
		}
		byStorage := map[string]int{} // a storage index's entry in out
		for _, s := range specs {
			byStorage[s.name] = len(out)
			ix := pgIndex{tableOID: oids[t.Name], table: t.Name, t: t, name: t.indexName(s.name), storage: s.name, unique: s.unique,
				schema: x.s.schemaOf(t.Name)}
			if s.name == "_id_" {
				if len(t.Key) == 0 {
					continue // a table without a primary key: its rows' hidden _id
				}
				ix.name, ix.unique, ix.primary, ix.constraint = t.pkeyName(), true, true, "p"
				ix.columns, ix.desc = t.Key, make([]bool, len(t.Key))
			} else {
				ix.columns, ix.desc = indexColumns(t, s.keys)
				if _, ok := uniqueConstraint(t, s); ok {
					ix.constraint = "u"
				}
			}
			ix.oid = int64(indexOIDBase + len(out))
			out = append(out, ix)
		}
		for _, a := range t.aliasNames() {
			i, ok := byStorage[t.Aliases[a].Index]
			if !ok || i >= len(out) || out[i].table != t.Name {
				continue // its index went with a dropped column
			}
			ix := out[i]
			ix.name, ix.storage, ix.unique, ix.primary, ix.constraint = a, "", t.Aliases[a].Unique, false, ""
			for _, s := range specs {
				if _, ok := aliasConstraint(t, a, s); ok && s.name == t.Aliases[a].Index {
					ix.constraint = "u" // ADD CONSTRAINT ... UNIQUE over a unique index on the same columns
				}
			}
			ix.oid = int64(indexOIDBase + len(out))
			out = append(out, ix)
		}
	}
	if out == nil {
		out = []pgIndex{}
	}
	x.indexes = out
	return out, nil
}

// indexColumns reads an index's key pattern as the table's columns (a field no column stores under its own
// name, such as a nested path, keeps its path) and their directions.
func indexColumns(t *table, keys bson.Raw) ([]string, []bool) {
	elems, _ := keys.Elements()
	cols, desc := make([]string, 0, len(elems)), make([]bool, 0, len(elems))
	for _, e := range elems {
		name := e.Key()
		for _, c := range t.Columns {
			if t.field(c.Name) == name {
				name = c.Name
				break
			}
		}
		if expr := t.computedByField(name); expr != "" {
			name = expr // an expression index's expression (exprindex.go)
		}
		cols = append(cols, name)
		dir, _ := e.Value().AsInt64OK() // a number: 1 or -1 (a text or hashed index has a string)
		desc = append(desc, dir < 0)
	}
	return cols, desc
}

// quoteIdent writes an identifier as PostgreSQL's quote_ident does: as it is when it is lower case letters,
// digits and underscores not starting with a digit, and not a keyword other than an unreserved one (PostgreSQL's
// own scanner says which); else in double quotes.
func quoteIdent(s string) string {
	plain := s != ""
	for i, r := range s {
		if !(r >= 'a' && r <= 'z' || r == '_' || i > 0 && r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if plain && !isKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// keywords caches isKeyword's answers.
var keywords sync.Map

// isKeyword reports whether a lower-case word is a keyword that an identifier must quote (reserved, or usable
// only as a column, type or function name).
func isKeyword(word string) bool {
	if v, ok := keywords.Load(word); ok {
		return v.(bool)
	}
	kw := false
	if res, err := pg.Scan(word); err == nil && len(res.Tokens) == 1 {
		kw = res.Tokens[0].KeywordKind > pg.KeywordKind_UNRESERVED_KEYWORD
	}
	keywords.Store(word, kw)
	return kw
}

// notAnIndex refuses a table or view name an index has: they share one namespace, as PostgreSQL's relations.
func (x *exec) notAnIndex(name string) error {
	r, found, err := x.relationByName(name)
	if err == nil && found && r.oid >= indexOIDBase {
		err = errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	return err
}

// dupKeyIndex reads the collection and index of a duplicate-key message, as the engine and mongod write it:
// "E11000 duplicate key error collection: db.coll index: name [collation: ...] dup key: { ... }".
var dupKeyIndex = regexp.MustCompile(`collection: [^.]+\.(\S+) index: (\S+) `)

// duplicateIndex is the name of the index a duplicate-key error is about, "" for any other error.
func duplicateIndex(err error) string {
	var ce *concord.Error
	if !errors.As(err, &ce) || !concord.IsDuplicateKey(err) {
		return ""
	}
	if m := dupKeyIndex.FindStringSubmatch(ce.Message); m != nil {
		return m[2]
	}
	return ""
}

// uniqueViolation names a duplicate key as PostgreSQL does: the constraint is the table's <table>_pkey for its
// primary key, else the unique index's name, and the detail lists the key's columns and values
// (Key (a, b)=(1, 2) already exists.). Any other error is returned as it is.
func (x *exec) uniqueViolation(err error) error {
	var ce *concord.Error
	if !errors.As(err, &ce) || !concord.IsDuplicateKey(err) {
		return err
	}
	if se, ok := err.(*Error); ok && se.Code == CodeUniqueViolation {
		return err // made already (with a COPY's context)
	}
	m := dupKeyIndex.FindStringSubmatch(ce.Message)
	if m == nil {
		return err
	}
	name := x.s.sqlNameOf(m[1])
	t := x.looked[name]
	if t == nil {
		var terr error
		if t, terr = x.lookupTable(name, 0); terr != nil {
			return err
		}
	}
	return x.uniqueViolationOn(t, err)
}

// uniqueViolationOn is uniqueViolation for a duplicate key of table t, looked up before the statement failed: in
// a transaction block the failed statement has ended (or failed) the block's transaction, through which a table
// the block created is read.
func (x *exec) uniqueViolationOn(t *table, err error) error {
	var ce *concord.Error
	if !errors.As(err, &ce) || !concord.IsDuplicateKey(err) || !t.declared || t.View != "" {
		return err
	}
	m := dupKeyIndex.FindStringSubmatch(ce.Message)
	if m == nil {
		return err
	}
	name, cols := t.indexName(m[2]), []string(nil)
	var vals []any
	if name == "_id_" {
		if len(t.Key) == 0 {
			return err
		}
		name, cols = t.pkeyName(), t.Key
		if len(ce.KeyValue) > 0 {
			id := fromGo(ce.KeyValue[0].Value)
			if len(t.Key) == 1 {
				vals = []any{id}
			} else if doc, ok := id.(bson.RawValue); ok {
				for _, k := range t.Key {
					vals = append(vals, fromBSON(bson.Raw(doc.Value).Lookup(k)))
				}
			}
		}
	} else {
		keys := bson.D{}
		for _, e := range ce.KeyPattern {
			keys = append(keys, e)
		}
		raw, _ := bson.Marshal(keys)
		cols, _ = indexColumns(t, raw)
		for _, e := range ce.KeyValue {
			if e.Value == nil {
				vals = append(vals, nil) // a NULL key (NULLS NOT DISTINCT)
				continue
			}
			vals = append(vals, fromGo(e.Value))
		}
	}
	out := &Error{Code: CodeUniqueViolation, Cause: err, Constraint: name, Table: t.Name,
		Message: fmt.Sprintf("duplicate key value violates unique constraint \"%s\"", name)}
	verb := "already exists"
	if st := x.st; st != nil && (st.raw.Stmt.GetIndexStmt() != nil || st.raw.Stmt.GetAlterTableStmt() != nil) {
		// Building a unique index over rows that already collide.
		out.Message, verb = fmt.Sprintf("could not create unique index \"%s\"", name), "is duplicated"
	}
	if len(vals) == len(cols) && len(cols) > 0 {
		texts := make([]string, len(vals))
		for i, v := range vals {
			if rv, ok := v.(bson.RawValue); ok && (rv.Type == bson.TypeNull || rv.Type == bson.TypeUndefined || rv.Type == 0) {
				v = nil
			}
			if v == nil {
				texts[i] = "null" // a NULLS NOT DISTINCT index's NULL key, as PostgreSQL writes it
				continue
			}
			texts[i] = formatText(v)
			if c := t.column(cols[i]); c != nil {
				if cv, err := coerce(v, c.Type); err == nil {
					texts[i] = formatTyped(cv, c.Type) // a date as a date
				}
			}
		}
		out.Detail = fmt.Sprintf("Key (%s)=(%s) %s.", strings.Join(cols, ", "), strings.Join(texts, ", "), verb)
	}
	return out
}
