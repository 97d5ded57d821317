package sql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// createTable runs CREATE TABLE: the collection, its recorded columns, a
// unique index per UNIQUE constraint. The primary key is the document's
// _id.
func (x *exec) createTable(cs *pg.CreateStmt) (*Result, error) {
	switch {
	case cs.Partspec != nil:
		return nil, unsupported("partitioned tables (PARTITION BY)")
	case cs.Partbound != nil:
		return nil, unsupported("partitions (PARTITION OF)")
	case len(cs.InhRelations) > 0:
		return nil, unsupported("table inheritance (INHERITS)")
	case cs.OfTypename != nil:
		return nil, unsupported("typed tables (OF type)")
	}
	if x.describe {
		return &Result{Tag: "CREATE TABLE"}, nil
	}
	if !isTempRel(cs.Relation) {
		return x.createTable1(cs)
	}
	if err := x.createTemp(cs.Relation, cs.Oncommit); err != nil {
		return nil, err
	}
	res, err := x.createTable1(cs)
	if err != nil && !x.inBlock() {
		x.s.pruneTemps() // not made: the name is no longer the session's (a block's end prunes its own)
	}
	return res, err
}

// createTable1 is createTable once a temporary table's name is the session's (createTemp).
func (x *exec) createTable1(cs *pg.CreateStmt) (*Result, error) {
	rv := cs.Relation
	temp := isTempRel(rv)
	if !temp && cs.Oncommit != pg.OnCommitAction_ONCOMMIT_NOOP && cs.Oncommit != pg.OnCommitAction_ONCOMMIT_PRESERVE_ROWS {
		return nil, errorf(CodeInvalidTableDefinition, "ON COMMIT can only be used on temporary tables")
	}
	if rv.Schemaname != "" && rv.Schemaname != "public" && !temp {
		return nil, unsupported("schemas other than public")
	}
	if taken, err := x.sequenceExists(rv.Relname); err != nil { // any relation: a table, view, index or sequence
		return nil, err
	} else if taken {
		return x.tableExists(cs)
	}
	if x.droppedInBlock(rv.Relname) {
		return nil, unsupported("CREATE TABLE of a table the same transaction block dropped")
	}
	t := &table{Name: rv.Relname}
	opts, err := relOptions(cs.Options)
	if err != nil {
		return nil, err
	}
	t.RelOptions = opts
	var uniques [][]string
	var uniqueNames []string // a UNIQUE constraint's CONSTRAINT name, "" for the default
	var uniqueNND []bool     // whether a UNIQUE constraint is NULLS NOT DISTINCT
	var checks []*pg.Constraint
	var likeIndexes []*pg.IndexStmt // the indexes LIKE ... INCLUDING INDEXES copies, made once the table is
	for _, el := range cs.TableElts {
		switch {
		case el.GetColumnDef() != nil:
			cd := el.GetColumnDef()
			c, keyed, colChecks, err := x.columnDef(t.Name, cd)
			if err != nil {
				return nil, err
			}
			checks = append(checks, colChecks...)
			for _, k := range keyed {
				switch k.Contype {
				case pg.ConstrType_CONSTR_PRIMARY:
					if len(t.Key) > 0 {
						return nil, errorf("42P16", "multiple primary keys for table %q are not allowed", t.Name)
					}
					t.Key = []string{cd.Colname}
					t.PKName = k.Conname
					c.NotNull = true
				case pg.ConstrType_CONSTR_UNIQUE:
					uniques = append(uniques, []string{cd.Colname})
					uniqueNames = append(uniqueNames, k.Conname)
					uniqueNND = append(uniqueNND, k.NullsNotDistinct)
				}
			}
			if t.column(c.Name) != nil {
				return nil, errorf("42701", "column %q specified more than once", c.Name)
			}
			t.Columns = append(t.Columns, c)
		case el.GetConstraint() != nil:
			con := el.GetConstraint()
			var keys []string
			for _, k := range con.Keys {
				keys = append(keys, k.GetString_().GetSval())
			}
			switch con.Contype {
			case pg.ConstrType_CONSTR_PRIMARY:
				if len(t.Key) > 0 {
					return nil, errorf("42P16", "multiple primary keys for table %q are not allowed", t.Name)
				}
				if err := notDeferrableKey(con); err != nil {
					return nil, err
				}
				t.Key = keys
				t.PKName = con.Conname
			case pg.ConstrType_CONSTR_UNIQUE:
				if err := notDeferrableKey(con); err != nil {
					return nil, err
				}
				uniques = append(uniques, keys)
				uniqueNames = append(uniqueNames, con.Conname)
				uniqueNND = append(uniqueNND, con.NullsNotDistinct)
			case pg.ConstrType_CONSTR_CHECK, pg.ConstrType_CONSTR_FOREIGN:
				checks = append(checks, con)
			default:
				return nil, unsupported(fmt.Sprintf("the table constraint %s", strings.TrimPrefix(con.Contype.String(), "CONSTR_")))
			}
		case el.GetTableLikeClause() != nil:
			parts, err := x.tableLike(t, el.GetTableLikeClause())
			if err != nil {
				return nil, err
			}
			if len(parts.key) > 0 {
				if len(t.Key) > 0 {
					return nil, errorf("42P16", "multiple primary keys for table %q are not allowed", t.Name)
				}
				t.Key = parts.key
			}
			for _, c := range parts.checks {
				t.addCheck(c)
			}
			for i, u := range parts.uniques {
				uniques = append(uniques, u)
				uniqueNames = append(uniqueNames, "")
				uniqueNND = append(uniqueNND, parts.uniqueNND[i])
			}
			likeIndexes = append(likeIndexes, parts.indexes...)
		default:
			return nil, unsupported("this table element")
		}
	}
	for _, k := range t.Key {
		c := t.column(k)
		if c == nil {
			return nil, errorf(CodeUndefinedColumn, "column %q named in key does not exist", k)
		}
		c.NotNull = true
	}
	for _, con := range checks {
		if con.Contype == pg.ConstrType_CONSTR_FOREIGN {
			continue
		}
		c, err := newCheck(t, con)
		if err != nil {
			return nil, err
		}
		t.addCheck(c)
	}
	var pending []uniqueKey // the unique indexes made below, which a foreign key to t itself may reference
	for i, u := range uniques {
		pending = append(pending, uniqueKey{index: uniqueIndexName(t, u, uniqueNames[i]), columns: u})
	}
	for _, con := range checks {
		if con.Contype != pg.ConstrType_CONSTR_FOREIGN {
			continue
		}
		fk, err := x.newForeignKey(t, con, pending)
		if err != nil {
			return nil, err
		}
		t.ForeignKeys = append(t.ForeignKeys, fk)
		if fk.Table == t.Name && !slices.Contains(t.ReferencedBy, t.Name) {
			t.ReferencedBy = append(t.ReferencedBy, t.Name)
		}
	}
	// A serial column's sequence takes the first free name, t_col_seq, t_col_seq1, ..., as in PostgreSQL.
	for i := range t.Columns {
		c := &t.Columns[i]
		if c.Sequence == "" || c.seqOptions != nil && c.Sequence != sequenceName(t.Name, c.Name) {
			continue // none, or one named by SEQUENCE NAME, which must be free (createColumnSequence)
		}
		base := c.Sequence
		for n := 1; ; n++ {
			taken, err := x.sequenceExists(c.Sequence)
			if err != nil {
				return nil, err
			}
			if !taken {
				break
			}
			c.Sequence = base + strconv.Itoa(n)
		}
		if c.Sequence != base {
			c.Default = nextvalDefault(c.Sequence)
		}
	}
	if taken, err := x.sequenceExists(t.Name); err != nil {
		return nil, err
	} else if taken {
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", t.Name)
	}
	for i, u := range uniques {
		if err := wholeValueKeys(t, u); err != nil {
			return nil, err
		}
		if uniqueNames[i] != "" {
			t.Uniques = append(t.Uniques, uniqueNames[i])
		}
		if uniqueNND[i] {
			t.NullsNotDistinct = append(t.NullsNotDistinct, uniqueIndexName(t, u, uniqueNames[i]))
		}
	}
	if temp {
		for _, c := range t.Columns {
			if c.Sequence != "" {
				return nil, unsupported("a serial or identity column in a temporary table")
			}
		}
		if len(t.ForeignKeys) > 0 {
			return nil, x.refuseTempRef("FOREIGN KEY", t.Name)
		}
	}
	if err := x.generatedColumns(t, &pg.Node{Node: &pg.Node_CreateStmt{CreateStmt: cs}}); err != nil {
		return nil, err
	}
	validator, err := x.validator(t)
	if err != nil {
		return nil, err
	}
	t.Ranges = rangesOf(t)
	db := x.s.db()
	existing, err := db.listCollectionNames(x.base, bson.D{{Key: "name", Value: t.Name}})
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return x.tableExists(cs)
	}
	ctx := x.catWrite()
	if err := x.insertTable(ctx, t); err != nil {
		if isDuplicateKey(err) {
			return x.tableExists(cs)
		}
		return nil, err
	}
	if err := db.createCollection(ctx, t.Name, validator); err != nil {
		var ce *concord.Error
		if errors.As(err, &ce) && ce.Code == 48 { // NamespaceExists: made meanwhile, over the MongoDB port or by a block
			return nil, errorf(CodeDuplicateTable, "relation %q already exists", t.Name)
		}
		return nil, err
	}
	x.noteCreatedTable(t.Name)
	t.declared = true
	if err := x.syncStorageRules(t); err != nil {
		return nil, err
	}
	for _, fk := range t.ForeignKeys {
		if fk.Table != t.Name {
			if err := x.setReferencedBy(fk.Table, t.Name, true); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range t.Columns {
		if err := x.createColumnSequence(t, c); err != nil {
			return nil, err
		}
	}
	t.declared = true
	for i, u := range uniques {
		keys := bson.D{}
		for _, k := range u {
			if t.column(k) == nil {
				return nil, errorf(CodeUndefinedColumn, "column %q named in key does not exist", k)
			}
			keys = append(keys, bson.E{Key: t.field(k), Value: 1})
		}
		partial := uniquePartial(keys)
		if uniqueNND[i] {
			partial = nil // NULLS NOT DISTINCT: every row indexed, a NULL (an absent field) one key like any other
		}
		if err := db.collection(t.Name).createIndex(ctx, keys, uniqueIndexName(t, u, uniqueNames[i]), true, partial); err != nil {
			return nil, err
		}
	}
	for _, is := range likeIndexes {
		if _, err := x.createIndex(is); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "CREATE TABLE"}, nil
}

// buildIndex creates the storage index storage of t. In a transaction block, on a table from before the block,
// it is built at once, outside the block's transaction, and dropped if the block rolls back (blockddl.go; a
// marker drops it after a crash before the commit); else in the statement's or block's transaction.
func (x *exec) buildIndex(t *table, keys bson.D, storage string, unique bool, partial bson.D) error {
	coll := x.s.db().collection(t.Name)
	if !x.buildNow(t) {
		return coll.createIndex(x.catWrite(), keys, storage, unique, partial)
	}
	table := x.s.storageOf(t.Name)
	if err := x.markPendingIndex(table, storage); err != nil {
		return err
	}
	if err := coll.createIndex(x.base, keys, storage, unique, partial); err != nil {
		x.s.unmarkPendingIndex(table, storage)
		return err
	}
	x.noteBuilt(table, storage) // the storage's names: the block's end drops it unmapped
	return nil
}

// indexPartial is the partialFilterExpression of an index SQL makes on keys: a unique index leaves out the rows
// with a NULL key (PostgreSQL's unique indexes let NULLs repeat), and a partial index's WHERE clause, where, keeps
// the rows it holds. Nil for a plain index.
func indexPartial(keys bson.D, unique bool, where bson.D) bson.D {
	switch {
	case unique && where != nil:
		return bson.D{{Key: "$and", Value: bson.A{uniquePartial(keys), where}}}
	case unique:
		return uniquePartial(keys)
	}
	return where
}

// uniqueIndexName is the name of the index of a UNIQUE constraint on columns of t: the constraint's name, else
// <table>_<col>[_<col>...]_key.
func uniqueIndexName(t *table, columns []string, conname string) string {
	if conname != "" {
		return conname
	}
	return t.Name + "_" + strings.Join(columns, "_") + "_key"
}

// tableExists answers CREATE TABLE naming a relation that exists: 42P07, or with IF NOT EXISTS a notice and
// nothing done. PostgreSQL looks for the name before it reads the columns.
func (x *exec) tableExists(cs *pg.CreateStmt) (*Result, error) {
	name := cs.Relation.Relname
	if !cs.IfNotExists {
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	}
	x.warn(&Error{Code: CodeDuplicateTable, Severity: "NOTICE", Message: fmt.Sprintf("relation \"%s\" already exists, skipping", name)})
	return &Result{Tag: "CREATE TABLE"}, nil
}

// columnDef reads a column definition of table: its type, NOT NULL, DEFAULT, serial type or identity. The
// PRIMARY KEY and UNIQUE constraints among its constraints are returned for the caller to apply, and its CHECK
// and REFERENCES (FOREIGN KEY) constraints.
func (x *exec) columnDef(table string, cd *pg.ColumnDef) (column, []*pg.Constraint, []*pg.Constraint, error) {
	dom, err := x.domainNamed(cd.TypeName)
	if err != nil {
		return column{}, nil, nil, err
	}
	var oid uint32
	var typmod int32
	if dom != nil {
		oid, typmod = dom.Base, dom.TypMod // a domain's column holds the type under it (domains.go)
	} else {
		if oid, err = x.resolveType(cd.TypeName); err != nil {
			return column{}, nil, nil, err
		}
		if typmod, err = typmodOf(cd.TypeName, oid); err != nil {
			return column{}, nil, nil, err
		}
	}
	c := column{Name: cd.Colname, Type: oid, TypMod: typmod, NotNull: cd.IsNotNull}
	if dom != nil {
		c.Domain = dom.Name
	}
	if isSerialType(cd.TypeName) {
		c.Sequence = sequenceName(table, c.Name)
		c.Default, c.NotNull = nextvalDefault(c.Sequence), true
	}
	var keyed []*pg.Constraint
	var checks []*pg.Constraint
	var prev *pg.Constraint // the constraint a DEFERRABLE or INITIALLY clause after it belongs to
	for _, cn := range cd.Constraints {
		con := cn.GetConstraint()
		switch con.Contype {
		case pg.ConstrType_CONSTR_ATTR_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_DEFERRED,
			pg.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE, pg.ConstrType_CONSTR_ATTR_IMMEDIATE:
			if err := deferClause(prev, con.Contype); err != nil {
				return column{}, nil, nil, err
			}
			continue
		}
		prev = con
		switch con.Contype {
		case pg.ConstrType_CONSTR_DEFAULT:
			if c.Default != "" {
				return column{}, nil, nil, errorf(CodeSyntaxError, "multiple default values specified for column %q of table %q", c.Name, table)
			}
			if c.Generated != "" {
				return column{}, nil, nil, &Error{Code: CodeSyntaxError, Position: int(con.Location) + 1,
					Message: fmt.Sprintf("both default and generation expression specified for column \"%s\" of table \"%s\"", c.Name, table)}
			}
			text, err := defaultText(con.RawExpr, oid)
			if err != nil {
				return column{}, nil, nil, err
			}
			if err := checkEnumDefault(oid, con.RawExpr); err != nil {
				return column{}, nil, nil, err
			}
			c.Default = text
		case pg.ConstrType_CONSTR_GENERATED:
			switch {
			case c.Identity != "":
				return column{}, nil, nil, &Error{Code: CodeSyntaxError, Position: int(con.Location) + 1,
					Message: fmt.Sprintf("both identity and generation expression specified for column \"%s\" of table \"%s\"", c.Name, table)}
			case c.Default != "":
				return column{}, nil, nil, &Error{Code: CodeSyntaxError, Position: int(con.Location) + 1,
					Message: fmt.Sprintf("both default and generation expression specified for column \"%s\" of table \"%s\"", c.Name, table)}
			}
			text, err := deparseExpr(con.RawExpr)
			if err != nil {
				return column{}, nil, nil, err
			}
			c.Generated = text
		case pg.ConstrType_CONSTR_IDENTITY:
			if c.Generated != "" {
				return column{}, nil, nil, errorf(CodeSyntaxError, "both identity and generation expression specified for column %q of table %q", c.Name, table)
			}
			if c.Default != "" {
				return column{}, nil, nil, errorf(CodeSyntaxError, "both default and identity specified for column %q of table %q", c.Name, table)
			}
			if oid != OIDInt2 && oid != OIDInt4 && oid != OIDInt8 {
				return column{}, nil, nil, errorf("42611", "identity column type must be smallint, integer, or bigint")
			}
			c.Identity, c.Sequence, c.NotNull = con.GeneratedWhen, sequenceName(table, c.Name), true
			if len(con.Options) > 0 {
				name, _, err := identitySequence(table, c.Name, con.Options) // checks them, and a SEQUENCE NAME
				if err != nil {
					return column{}, nil, nil, err
				}
				c.Sequence, c.seqOptions = name, con.Options
			}
			c.Default = nextvalDefault(c.Sequence)
		case pg.ConstrType_CONSTR_NOTNULL:
			c.NotNull = true
		case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
			if err := notDeferrableKey(con); err != nil {
				return column{}, nil, nil, err
			}
			keyed = append(keyed, con)
		case pg.ConstrType_CONSTR_CHECK:
			checks = append(checks, con)
		case pg.ConstrType_CONSTR_FOREIGN:
			con.FkAttrs = []*pg.Node{pg.MakeStrNode(cd.Colname)}
			checks = append(checks, con)
		case pg.ConstrType_CONSTR_NULL:
		default:
			return column{}, nil, nil, unsupported(fmt.Sprintf("the column constraint %s", strings.TrimPrefix(con.Contype.String(), "CONSTR_")))
		}
	}
	return c, keyed, checks, nil
}

// createIndex runs CREATE [UNIQUE] INDEX on columns.
// checkAccessMethod refuses an index whose access method (USING) PostgreSQL does not have (42704), or one whose
// key has no default operator class for it, as PostgreSQL does: gin keys arrays and jsonb, gist none of
// Concord's types (42704 with PostgreSQL's hint). Every index is the storage's own all the same.
func (x *exec) checkAccessMethod(t *table, is *pg.IndexStmt) error {
	am := strings.ToLower(is.AccessMethod)
	switch am {
	case "", "btree", "hash", "brin", "spgist":
		return nil
	case "gin", "gist":
	default:
		return errorf(CodeUndefinedObject, "access method %q does not exist", is.AccessMethod)
	}
	if !t.declared {
		return nil
	}
	cols := tableCols(t, t.Name)
	for _, p := range is.IndexParams {
		ie := p.GetIndexElem()
		if len(ie.Opclass) > 0 {
			continue
		}
		var oid uint32
		if ie.Name != "" {
			oid = t.colType(ie.Name)
		} else if ie.Expr != nil {
			oid = x.typeOf(ie.Expr, &scope{cols: cols, row: make([]any, len(cols))})
		}
		if oid == 0 || oid == OIDUnknown || am == "gin" && (isArrayType(oid) || oid == OIDJSONB) {
			continue
		}
		return &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("data type %s has no default operator class for access method %q", TypeName(oid), am),
			Hint: "You must specify an operator class for the index or define a default operator class for the data type."}
	}
	return nil
}

func (x *exec) createIndex(is *pg.IndexStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "CREATE INDEX"}, nil
	}
	nnd := is.Unique && is.NullsNotDistinct          // NULLS NOT DISTINCT: no partial filter leaves NULL keys out
	t, err := x.lookupTable(is.Relation.Relname, -1) // PostgreSQL's DDL names a missing table without a position
	if err != nil {
		return nil, err
	}
	if err := notAView(t); err != nil {
		return nil, err
	}
	var predicate string
	var where bson.D
	if is.WhereClause != nil {
		if predicate, where, err = x.indexPredicate(t, is.WhereClause); err != nil {
			return nil, err
		}
	}
	if err := x.checkAccessMethod(t, is); err != nil {
		return nil, err
	}
	keys := bson.D{}
	var names []string
	computed := false // t gained a computed field for an expression (exprindex.go)
	tc := *t          // t with the expressions' computed fields
	for _, p := range is.IndexParams {
		ie := p.GetIndexElem()
		if ie.Name == "" {
			if !t.declared || ie.Expr == nil {
				return nil, unsupported("expression indexes on a collection without CREATE TABLE")
			}
			if x.buildNow(t) {
				return nil, unsupported("an expression index inside a transaction block, on a table from before the block")
			}
			field, added, err := addComputed(&tc, ie.Expr)
			if err != nil {
				return nil, err
			}
			computed = computed || added
			dir := 1
			if ie.Ordering == pg.SortByDir_SORTBY_DESC {
				dir = -1
			}
			keys = append(keys, bson.E{Key: field, Value: dir})
			names = append(names, indexExprName(ie.Expr))
			continue
		}
		if t.declared && t.column(ie.Name) == nil {
			return nil, errorf(CodeUndefinedColumn, "column %q does not exist", ie.Name)
		}
		dir := 1
		if ie.Ordering == pg.SortByDir_SORTBY_DESC {
			dir = -1
		}
		keys = append(keys, bson.E{Key: t.field(ie.Name), Value: dir})
		names = append(names, ie.Name)
	}
	// Indexes share one namespace with tables and views, as PostgreSQL's relations do: a name taken is 42P07
	// (IF NOT EXISTS: a notice), and a default name takes the first free numbered variant (t_a_idx1).
	_, taken, err := x.relationByName(is.Idxname)
	if err != nil {
		return nil, err
	}
	name := is.Idxname
	switch {
	case name != "" && taken && is.IfNotExists:
		x.warn(&Error{Code: "42P07", Severity: "NOTICE", Message: fmt.Sprintf("relation \"%s\" already exists, skipping", name)})
		return &Result{Tag: "CREATE INDEX"}, nil
	case name != "" && taken:
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	case name == "":
		base := t.Name + "_" + strings.Join(names, "_") + "_idx"
		name = base
		for i := 1; ; i++ {
			if _, taken, err := x.relationByName(name); err != nil {
				return nil, err
			} else if !taken {
				break
			}
			name = base + strconv.Itoa(i)
		}
	}
	if is.Unique {
		if err := wholeValueKeys(t, names); err != nil {
			return nil, err
		}
	}
	partial := indexPartial(keys, is.Unique && !nnd, where)
	if computed {
		// The expression's field first, in the catalog (every write from now on computes it) and in the rows there
		// are; then the index over it.
		if err := x.saveTable(&tc); err != nil {
			return nil, err
		}
		t = &tc
		if err := x.fillGenerated(t); err != nil {
			return nil, err
		}
	}
	if !nnd { // an index on the same key would not hold NULLs alike: the storage refuses the second (85, below)
		if _, served, err := x.aliasIndex(t, keys, name, is.Unique, predicate); served || err != nil {
			if err != nil {
				return nil, err
			}
			return &Result{Tag: "CREATE INDEX"}, nil
		}
	}
	storage := name
	if t.declared {
		names, err := indexNames(x.catRead(), x.s.db().collection(t.Name))
		if err != nil {
			return nil, err
		}
		storage = storageNameFor(t, names, name) // name may be an index's the storage still holds (indexrename.go)
	}
	if err := x.buildIndex(t, keys, storage, is.Unique, partial); err != nil {
		if computed {
			_ = x.dropUnusedComputed(t) // the expression's field, which no index is on
		}
		var ce *concord.Error
		if errors.As(err, &ce) && (ce.Code == 85 || ce.Code == 86) { // IndexOptionsConflict, IndexKeySpecsConflict
			return nil, &Error{Code: CodeFeatureNotSupported, Message: ce.Message, Cause: err,
				Hint: "A table keeps one index on the same columns in the same order: drop the other one first."}
		}
		return nil, x.uniqueViolationOn(t, err)
	}
	if predicate != "" || storage != name || nnd {
		nt := *t.withIndexName(storage, name) // a copy: the looked-up table is shared
		if predicate != "" {
			nt.Predicates = maps.Clone(t.Predicates)
			if nt.Predicates == nil {
				nt.Predicates = map[string]string{}
			}
			nt.Predicates[storage] = predicate
		}
		if nnd {
			nt.NullsNotDistinct = append(slices.Clone(t.NullsNotDistinct), storage)
		}
		if err := x.saveTable(&nt); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "CREATE INDEX"}, nil
}

// indexPredicate vets and translates the WHERE clause of a partial index on t: its deparsed text and the filter
// that is the index's partialFilterExpression, which the storage evaluates for each row written (so a partial
// unique index holds unique the rows it covers, as PostgreSQL's does). The clause is held to what a CHECK
// constraint may use (checks.go): the table's columns, constants, the functions the storage evaluates; a
// subquery or a function of the time is 0A000.
func (x *exec) indexPredicate(t *table, n *pg.Node) (string, bson.D, error) {
	if !t.declared {
		return "", nil, unsupported("a partial index on a table without declared columns")
	}
	if _, err := checkExpr(t, n); err != nil {
		return "", nil, err
	}
	text, err := deparseExpr(n)
	if err != nil {
		return "", nil, errorf(CodeSyntaxError, "cannot keep the index predicate: %v", err)
	}
	d := *t
	d.declared = true
	tr := &translator{x: x, t: &d, alias: t.Name, checking: true}
	f, ok, err := tr.filter(n)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("Concord cannot index the rows of \"%s\"", text),
			Hint: "A partial index's WHERE clause may use what a CHECK constraint may (docs/sql.md)."}
	}
	return text, f, nil
}

// predicateColumns are the columns the partial indexes of t name in their WHERE clauses, by index.
func predicateColumns(t *table) map[string][]string {
	out := map[string][]string{}
	for name, text := range t.Predicates {
		if n, err := parseExpr(text); err == nil {
			cols, _ := checkExpr(t, n)
			out[name] = cols
		}
	}
	return out
}

// predicateNames returns an error when a partial index of t names col in its WHERE clause: DROP COLUMN and
// RENAME COLUMN leave such a column alone until the index is dropped (PostgreSQL drops the index, or renames
// the column in its clause).
func predicateNames(t *table, col string) error {
	for name, cols := range predicateColumns(t) {
		if slices.Contains(cols, col) {
			return &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("the partial index \"%s\" names column \"%s\" in its WHERE clause", name, col),
				Hint: "Drop the index first (DROP INDEX " + quoteIdent(name) + "), then make it again."}
		}
	}
	return nil
}

// drop runs DROP TABLE and DROP INDEX.
func (x *exec) drop(ds *pg.DropStmt) (*Result, error) {
	if ds.RemoveType == pg.ObjectType_OBJECT_TYPE || ds.RemoveType == pg.ObjectType_OBJECT_DOMAIN {
		return x.dropTypes(ds)
	}
	if ds.RemoveType == pg.ObjectType_OBJECT_TRIGGER {
		return x.dropTriggers(ds)
	}
	if (ds.RemoveType == pg.ObjectType_OBJECT_FUNCTION || ds.RemoveType == pg.ObjectType_OBJECT_PROCEDURE ||
		ds.RemoveType == pg.ObjectType_OBJECT_ROUTINE) && !x.describe {
		if dropped, err := x.dropFunctions(ds); err != nil || dropped {
			return &Result{Tag: "DROP " + strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_")}, err
		}
	}
	if r, ok, err := x.dropNothing(ds); ok {
		return r, err
	}
	if x.describe {
		return &Result{Tag: "DROP"}, nil
	}
	db := x.s.db()
	var dropping []string // the tables of the statement: foreign keys among them do not stop it
	for _, o := range ds.Objects {
		if items := o.GetList().GetItems(); len(items) > 0 {
			dropping = append(dropping, items[len(items)-1].GetString_().GetSval())
		}
	}
	if ds.RemoveType == pg.ObjectType_OBJECT_TABLE {
		// Every name is checked before anything is dropped: a view among them, or a table others still
		// reference, stops the statement whole.
		for _, name := range dropping {
			t, err := x.lookupTable(name, 0)
			if err != nil {
				if ds.MissingOk && AsError(err).Code == CodeUndefinedTable {
					continue
				}
				return nil, dropMissing("table", name, err)
			}
			if t.View != "" {
				return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a table", name), Hint: "Use DROP VIEW to remove a view."}
			}
			if t.MatView != "" && !x.droppingMatViews {
				return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a table", name), Hint: "Use DROP MATERIALIZED VIEW to remove a materialized view."}
			}
			if ds.Behavior != pg.DropBehavior_DROP_CASCADE {
				if err := x.dropForeignKeys(t, dropping, false, true); err != nil {
					return nil, err
				}
			}
		}
	}
	if ds.RemoveType == pg.ObjectType_OBJECT_VIEW && !ds.MissingOk {
		for _, name := range dropping { // every view named exists before any is dropped, cascaded ones included
			if _, err := x.lookupTable(name, 0); err != nil {
				return nil, dropMissing("view", name, err)
			}
		}
	}
	if ds.RemoveType == pg.ObjectType_OBJECT_TABLE || ds.RemoveType == pg.ObjectType_OBJECT_VIEW {
		// The views reading what is dropped stop the statement, or go with CASCADE.
		kind := map[bool]string{true: "table", false: "view"}[ds.RemoveType == pg.ObjectType_OBJECT_TABLE]
		var existing []string
		for _, name := range dropping {
			if t, err := x.lookupTable(name, 0); err == nil && (t.View == "") == (kind == "table") {
				existing = append(existing, name) // the wrong kind fails below with 42809
			}
		}
		if x.droppingMatViews {
			kind = "materialized view" // for the messages: the names were checked to be materialized views
		}
		if err := x.dropDependents(existing, kind, ds.Behavior == pg.DropBehavior_DROP_CASCADE); err != nil {
			return nil, err
		}
	}
	for _, o := range ds.Objects {
		var parts []string
		for _, it := range o.GetList().GetItems() {
			parts = append(parts, it.GetString_().GetSval())
		}
		if len(parts) == 0 {
			continue
		}
		name := parts[len(parts)-1]
		switch ds.RemoveType {
		case pg.ObjectType_OBJECT_VIEW:
			t, err := x.lookupTable(name, 0)
			if err != nil {
				if ds.MissingOk && AsError(err).Code == CodeUndefinedTable {
					x.skipping("view", name)
					continue
				}
				return nil, dropMissing("view", name, err)
			}
			if t.View == "" {
				hint := "Use DROP TABLE to remove a table."
				if t.MatView != "" {
					hint = "Use DROP MATERIALIZED VIEW to remove a materialized view."
				}
				return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a view", name), Hint: hint}
			}
			if err := db.collection(tablesCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: name}}); err != nil {
				return nil, err
			}
		case pg.ObjectType_OBJECT_TABLE:
			if t, err := x.lookupTable(name, 0); err != nil {
				if ds.MissingOk && AsError(err).Code == CodeUndefinedTable {
					x.skipping("table", name)
					continue
				}
				return nil, dropMissing("table", name, err)
			} else if t.View != "" {
				return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a table", name), Hint: "Use DROP VIEW to remove a view."}
			}
			if t, err := x.lookupTable(name, 0); err == nil {
				if err := x.dropForeignKeys(t, dropping, ds.Behavior == pg.DropBehavior_DROP_CASCADE, false); err != nil {
					return nil, err
				}
				for _, c := range t.Columns {
					if c.Sequence != "" {
						if _, err := db.collection(sequencesCollection).deleteMany(x.catWrite(), bson.D{{Key: "_id", Value: c.Sequence}}); err != nil {
							return nil, err
						}
						x.noteBlockSequence(c.Sequence)
					}
				}
			}
			if x.inBlock() {
				x.dropAtCommit(name) // the collection goes once the block commits
			} else if err := db.collection(name).drop(x.base); err != nil {
				return nil, err
			}
			if err := db.collection(tablesCollection).deleteOne(x.catWrite(), bson.D{{Key: "_id", Value: x.catalogID(name)}}); err != nil {
				return nil, err
			}
			if !x.inBlock() {
				x.s.pruneTemps() // a temporary table dropped is no longer the session's (a block's end prunes its own)
			}
		case pg.ObjectType_OBJECT_SEQUENCE:
			if err := x.dropSequences(dropping, ds.MissingOk, ds.Behavior == pg.DropBehavior_DROP_CASCADE); err != nil {
				return nil, err
			}
			return &Result{Tag: "DROP SEQUENCE"}, nil
		case pg.ObjectType_OBJECT_EXTENSION:
			if !builtInExtensions[name] {
				if !ds.MissingOk {
					return nil, errorf(CodeUndefinedObject, "extension \"%s\" does not exist", name)
				}
				x.skipping("extension", name)
			}
		case pg.ObjectType_OBJECT_INDEX:
			ix, known, err := x.indexNamed(name)
			if err != nil {
				return nil, err
			}
			found, err := x.dropIndex(name, ds.Behavior == pg.DropBehavior_DROP_CASCADE)
			if err == nil && found && known {
				err = x.setIndexComment(ix.table, name, "") // a later index of the name has none
			}
			if err == nil && found && known && len(ix.t.Computed) > 0 {
				var t *table
				if t, err = x.readTable(ix.table, 0); err == nil {
					err = x.dropUnusedComputed(t) // an expression no index is on any longer
				}
			}
			if err != nil {
				return nil, err
			}
			if !found && !ds.MissingOk {
				return nil, errorf(CodeUndefinedObject, "index %q does not exist", name)
			}
			if !found {
				x.skipping("index", name)
			}
		default:
			return nil, unsupported("DROP " + strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_"))
		}
	}
	switch ds.RemoveType {
	case pg.ObjectType_OBJECT_INDEX:
		return &Result{Tag: "DROP INDEX"}, nil
	case pg.ObjectType_OBJECT_SEQUENCE:
		return &Result{Tag: "DROP SEQUENCE"}, nil
	case pg.ObjectType_OBJECT_EXTENSION:
		return &Result{Tag: "DROP EXTENSION"}, nil
	}
	if ds.RemoveType == pg.ObjectType_OBJECT_VIEW {
		return &Result{Tag: "DROP VIEW"}, nil
	}
	return &Result{Tag: "DROP TABLE"}, nil
}

// dropNothing runs DROP SCHEMA, DROP FUNCTION (PROCEDURE, ROUTINE, AGGREGATE) and DROP DOMAIN, of objects Concord
// has none of (but the schema public): with IF EXISTS PostgreSQL's notice that the object does not exist, without
// it PostgreSQL's error saying so. Dropping public, and any other kind the statement names but for tables, views,
// indexes, sequences, extensions and types, is 0A000. ok is false for those kinds.
func (x *exec) dropNothing(ds *pg.DropStmt) (r *Result, ok bool, err error) {
	kind := strings.TrimPrefix(ds.RemoveType.String(), "OBJECT_")
	switch ds.RemoveType {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_VIEW, pg.ObjectType_OBJECT_INDEX, pg.ObjectType_OBJECT_SEQUENCE,
		pg.ObjectType_OBJECT_EXTENSION:
		return nil, false, nil
	case pg.ObjectType_OBJECT_SCHEMA, pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE,
		pg.ObjectType_OBJECT_ROUTINE, pg.ObjectType_OBJECT_AGGREGATE, pg.ObjectType_OBJECT_DOMAIN:
	default:
		return nil, true, unsupported("DROP " + kind)
	}
	for _, o := range ds.Objects {
		var name, what string
		code := CodeUndefinedObject
		switch {
		case ds.RemoveType == pg.ObjectType_OBJECT_SCHEMA:
			name = o.GetString_().GetSval()
			if name == "public" {
				return nil, true, unsupported("DROP SCHEMA public")
			}
			what, code = fmt.Sprintf("schema \"%s\"", name), "3F000"
		case ds.RemoveType == pg.ObjectType_OBJECT_DOMAIN:
			names := o.GetTypeName().GetNames()
			if len(names) > 0 {
				name = names[len(names)-1].GetString_().GetSval()
			}
			if x.rowType(o.GetTypeName()) != nil { // a table's row type
				return nil, true, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a domain", name)}
			}
			if oid, err := x.resolveType(o.GetTypeName()); err == nil {
				if ti, builtIn := types[oid]; builtIn && !isEnumOID(oid) {
					name = "pg_catalog." + ti.typname
				}
				return nil, true, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a domain", name)}
			}
			what = fmt.Sprintf("type \"%s\"", name)
		default: // a function or procedure, named with its arguments' types, or without them
			fn := o.GetObjectWithArgs()
			names := fn.GetObjname()
			if len(names) > 0 {
				name = names[len(names)-1].GetString_().GetSval()
			}
			code = CodeUndefinedFunction
			noun := strings.ToLower(kind)
			if ds.RemoveType == pg.ObjectType_OBJECT_ROUTINE {
				noun = "function"
			}
			if fn.GetArgsUnspecified() {
				if !ds.MissingOk {
					return nil, true, &Error{Code: code, Message: fmt.Sprintf("could not find a %s named \"%s\"", noun, name)}
				}
				what = fmt.Sprintf("%s %s()", noun, name)
				break
			}
			var args []string
			for _, a := range fn.GetObjargs() {
				oid, err := x.resolveType(a.GetTypeName())
				if err != nil && ds.MissingOk && errCode(err) == CodeUndefinedObject {
					x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: strings.Replace(AsError(err).Message, "\"", "", 2) + ", skipping"})
					return &Result{Tag: "DROP " + kind}, true, nil
				}
				if err != nil {
					return nil, true, err
				}
				args = append(args, TypeName(oid))
			}
			what = fmt.Sprintf("%s %s(%s)", noun, name, strings.Join(args, ", "))
			if ds.RemoveType == pg.ObjectType_OBJECT_AGGREGATE && len(args) == 0 {
				what = fmt.Sprintf("%s %s(*)", noun, name)
			}
		}
		if !ds.MissingOk {
			return nil, true, &Error{Code: code, Message: what + " does not exist"}
		}
		x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: what + " does not exist, skipping"})
	}
	return &Result{Tag: "DROP " + kind}, true, nil
}

// dropMissing is DROP TABLE's or DROP VIEW's error for a name that names nothing: PostgreSQL's 42P01 naming the
// kind dropped, without a position; err is passed on when it is another failure.
func dropMissing(kind, name string, err error) error {
	if errCode(err) == CodeUndefinedTable {
		return &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("%s \"%s\" does not exist", kind, name)}
	}
	return err
}

// skipping is the notice of DROP ... IF EXISTS naming nothing.
func (x *exec) skipping(kind, name string) {
	x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: fmt.Sprintf("%s \"%s\" does not exist, skipping", kind, name)})
}

// dropForeignKeys undoes the foreign keys of a table about to be dropped: the tables it references forget it,
// and the foreign keys of other tables that reference it are dropped with CASCADE, or stop the DROP (2BP01)
// unless their tables are dropped by the same statement. With checkOnly it changes nothing.
func (x *exec) dropForeignKeys(t *table, dropping []string, cascade, checkOnly bool) error {
	for _, child := range t.ReferencedBy {
		if child == t.Name || slices.Contains(dropping, child) {
			continue
		}
		ct, err := x.readTable(child, 0)
		if err != nil {
			if AsError(err).Code == CodeUndefinedTable {
				continue
			}
			return err
		}
		if !cascade {
			e := &Error{Code: CodeDependentObjectsStillExist, Message: fmt.Sprintf("cannot drop table %s because other objects depend on it", t.Name),
				Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
			for _, fk := range ct.ForeignKeys {
				if fk.Table == t.Name {
					e.Detail = fmt.Sprintf("constraint %s on table %s depends on table %s", fk.Name, child, t.Name)
					break
				}
			}
			return e
		}
		if checkOnly {
			continue
		}
		cc := *ct
		cc.ForeignKeys = slices.DeleteFunc(slices.Clone(ct.ForeignKeys), func(fk foreignKey) bool { return fk.Table == t.Name })
		if err := x.saveTable(&cc); err != nil {
			return err
		}
	}
	if checkOnly {
		return nil
	}
	for _, fk := range t.ForeignKeys {
		if fk.Table != t.Name && !slices.Contains(dropping, fk.Table) {
			if err := x.setReferencedBy(fk.Table, t.Name, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// truncate runs TRUNCATE: it deletes every row of the tables, in the statement's transaction (a ROLLBACK brings
// them back, as in PostgreSQL). RESTART IDENTITY restarts the tables' sequences at 1, at once and for good
// (sequences are not transactional here).
func (x *exec) truncate(ts *pg.TruncateStmt) (*Result, error) {
	var tables []*table
	for _, r := range ts.Relations {
		rv := r.GetRangeVar()
		t, err := x.lookupTable(rv.Relname, -1) // PostgreSQL's TRUNCATE names a missing table without a position
		if err != nil {
			return nil, err
		}
		if err := notAView(t); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	// A table others reference is emptied only with them: named in the statement too, or by CASCADE.
	for i := 0; i < len(tables); i++ {
		for _, child := range tables[i].ReferencedBy {
			if slices.ContainsFunc(tables, func(t *table) bool { return t.Name == child }) {
				continue
			}
			if ts.Behavior != pg.DropBehavior_DROP_CASCADE {
				return nil, &Error{Code: CodeFeatureNotSupported, Message: "cannot truncate a table referenced in a foreign key constraint",
					Detail: fmt.Sprintf("Table \"%s\" references \"%s\".", child, tables[i].Name),
					Hint:   fmt.Sprintf("Truncate table \"%s\" at the same time, or use TRUNCATE ... CASCADE.", child)}
			}
			ct, err := x.lookupTable(child, 0)
			if err != nil {
				return nil, err
			}
			tables = append(tables, ct)
		}
	}
	if x.describe {
		return &Result{Tag: "TRUNCATE TABLE"}, nil
	}
	for _, t := range tables {
		if err := x.needsTriggerBlock(t, trigTruncate); err != nil {
			return nil, err
		}
	}
	for _, t := range tables { // BEFORE TRUNCATE of every table, before any is emptied
		if err := x.fireStatement(t, trigTruncate, true, nil); err != nil {
			return nil, err
		}
	}
	for _, t := range tables {
		if _, err := x.s.db().collection(t.Name).deleteMany(x.ctx, bson.D{}); err != nil {
			return nil, err
		}
		if !ts.RestartSeqs {
			continue
		}
		for _, c := range t.Columns {
			if c.Sequence != "" {
				if x.inBlock() {
					x.noteBlockSequence(c.Sequence) // reset in the block's transaction: ROLLBACK puts it back
				}
				if _, err := x.setval(c.Sequence, int64(1), false); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, t := range tables {
		if err := x.fireStatement(t, trigTruncate, false, nil); err != nil {
			return nil, err
		}
	}
	return &Result{Tag: "TRUNCATE TABLE"}, nil
}

// dropIndex drops the named index of whichever table has it: an alias (indexalias.go), or a storage index,
// which its first alias, if any, then replaces. The index of a UNIQUE constraint is dropped with the constraint,
// as in PostgreSQL; one that foreign keys reference is dropped with them by CASCADE only.
func (x *exec) dropIndex(name string, cascade bool) (bool, error) {
	if found, err := x.dropAlias(name); found || err != nil {
		return found, err
	}
	names, err := x.tableNames(x.base)
	if err != nil {
		return false, err
	}
	for _, tn := range names {
		storage := name
		t, terr := x.readTable(tn, 0)
		if terr == nil {
			var ok bool
			if storage, ok = t.storageIndex(name); !ok {
				continue // the storage's name of an index SQL knows by another
			}
		}
		coll := x.s.db().collection(tn)
		specs, err := coll.indexes(x.base)
		if err != nil {
			return false, err
		}
		for _, s := range specs {
			if s.name != storage || s.name == "_id_" {
				continue
			}
			if terr == nil && t.declared {
				if _, ok := uniqueConstraint(t, s); ok {
					return true, &Error{Code: CodeDependentObjectsStillExist,
						Message: fmt.Sprintf("cannot drop index %s because constraint %s on table %s requires it", name, name, tn),
						Hint:    fmt.Sprintf("You can drop constraint %s on table %s instead.", name, tn)}
				}
				deps, err := x.keyDependents(t, func(fk foreignKey) bool { return fk.RefIndex == storage })
				if err != nil {
					return true, err
				}
				if err := x.dropKeyDependents(t, deps, "cannot drop index "+name, "index "+name, cascade, nil); err != nil {
					return true, err
				}
				if len(deps) > 0 {
					if t, err = x.readTable(tn, 0); err != nil { // a foreign key of its own may be gone
						return true, err
					}
				}
			}
			if err := coll.dropIndex(x.base, storage); err != nil {
				return true, err
			}
			if terr != nil || !t.declared {
				return true, nil
			}
			predicate := t.Predicates[storage]
			_, renamed := t.Renamed[storage]
			if nnd := slices.Contains(t.NullsNotDistinct, storage); renamed || predicate != "" || nnd {
				nt := *t.withIndexName(storage, storage)
				nt.Predicates = maps.Clone(t.Predicates)
				delete(nt.Predicates, storage)
				nt.NullsNotDistinct = slices.DeleteFunc(slices.Clone(t.NullsNotDistinct), func(n string) bool { return n == storage })
				if err := x.saveTable(&nt); err != nil {
					return true, err
				}
				t = &nt
			}
			return true, x.promoteAlias(t, storage, s.keyDoc(), predicate)
		}
	}
	return false, nil
}

// alterable is the table ALTER TABLE names: a table with declared columns, not a view.
func (x *exec) alterable(rv *pg.RangeVar) (*table, error) {
	t, err := x.lookupTable(rv.Relname, -1) // PostgreSQL's DDL names a missing table without a position
	if err != nil {
		return nil, err
	}
	if err := notAView(t); err != nil {
		return nil, err
	}
	if !t.declared {
		return nil, unsupported("ALTER TABLE on a collection without declared columns")
	}
	return t, nil
}

// ownerNotSupported refuses what ... OWNER TO another role than the session's user: Concord's objects have no
// owner. pg_dump writes OWNER TO for every object unless told --no-owner.
func ownerNotSupported(what string) error {
	return &Error{Code: CodeFeatureNotSupported, Message: what + " ... OWNER TO is not supported by Concord: its objects have no owner",
		Hint: "What a user may do comes from the user's roles; OWNER TO the current user is accepted and changes nothing. " +
			"Restore a pg_dump script as the user who made it, or one made with --no-owner (or pg_restore --no-owner)."}
}

// ownerIsCurrentUser reports whether r names the session's user. ALTER ... OWNER TO that user changes nothing:
// what a user creates is the user's as PostgreSQL sees it, so a pg_dump script restored by the user who made it
// (whose objects it sets OWNER TO that user) runs as it does on PostgreSQL.
func (x *exec) ownerIsCurrentUser(r *pg.RoleSpec) bool {
	switch r.GetRoletype() {
	case pg.RoleSpecType_ROLESPEC_CURRENT_USER, pg.RoleSpecType_ROLESPEC_SESSION_USER, pg.RoleSpecType_ROLESPEC_CURRENT_ROLE:
		return true
	case pg.RoleSpecType_ROLESPEC_CSTRING:
		return r.Rolename == x.s.userName
	}
	return false
}

// alterOwner runs ALTER TYPE / SCHEMA / DATABASE ... OWNER TO the current user (ownerIsCurrentUser), which
// changes nothing once the object is known to exist; any other is refused.
func (x *exec) alterOwner(ao *pg.AlterOwnerStmt) (*Result, error) {
	word := strings.ReplaceAll(strings.TrimPrefix(ao.ObjectType.String(), "OBJECT_"), "_", " ")
	if !x.ownerIsCurrentUser(ao.Newowner) {
		return nil, ownerNotSupported("ALTER " + word)
	}
	tag := &Result{Tag: "ALTER " + word}
	if x.describe {
		return tag, nil
	}
	switch ao.ObjectType {
	case pg.ObjectType_OBJECT_TYPE, pg.ObjectType_OBJECT_DOMAIN:
		var names []string
		for _, n := range ao.Object.GetList().GetItems() {
			names = append(names, n.GetString_().GetSval())
		}
		if len(names) == 2 && names[0] == "public" {
			names = names[1:]
		}
		if len(names) == 1 {
			enums, domains, err := x.userTypes()
			if err != nil {
				return nil, err
			}
			if _, ok := enums[names[0]]; ok || domains[names[0]] != nil {
				return tag, nil
			}
		}
		return nil, errorf(CodeUndefinedObject, "type \"%s\" does not exist", strings.Join(names, "."))
	case pg.ObjectType_OBJECT_FUNCTION, pg.ObjectType_OBJECT_PROCEDURE, pg.ObjectType_OBJECT_ROUTINE:
		// A function made with CREATE FUNCTION (pg_dump sets its owner); a built-in one's owner stays refused.
		if fn, err := x.functionOf(ao.Object.GetObjectWithArgs()); err != nil || fn != nil {
			return tag, err
		}
	case pg.ObjectType_OBJECT_SCHEMA:
		if name := ao.Object.GetString_().GetSval(); name != "public" {
			return nil, errorf("3F000", "schema \"%s\" does not exist", name)
		}
		return tag, nil
	case pg.ObjectType_OBJECT_DATABASE:
		name := ao.Object.GetString_().GetSval()
		names, err := x.s.e.b.listDatabaseNames(x.base)
		if err != nil {
			return nil, err
		}
		if name != x.s.database && !slices.Contains(names, name) {
			return nil, errorf("3D000", "database \"%s\" does not exist", name)
		}
		return tag, nil
	}
	return nil, ownerNotSupported("ALTER " + word)
}

// alterTableOwner runs ALTER TABLE / SEQUENCE / VIEW ... OWNER TO (pg_dump writes ALTER TABLE for sequences and
// views too): to the current user it changes nothing once the relation is known to exist (42P01 when it does
// not); to another role, or beside other actions, it is refused. ok is false when as changes no owner.
func (x *exec) alterTableOwner(as *pg.AlterTableStmt) (res *Result, ok bool, err error) {
	word := strings.ReplaceAll(strings.TrimPrefix(as.Objtype.String(), "OBJECT_"), "_", " ")
	for _, c := range as.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd.GetSubtype() != pg.AlterTableType_AT_ChangeOwner {
			continue
		}
		if len(as.Cmds) > 1 || !x.ownerIsCurrentUser(cmd.Newowner) {
			return nil, true, ownerNotSupported("ALTER " + word)
		}
		tag := &Result{Tag: "ALTER " + word}
		if x.describe {
			return tag, true, nil
		}
		name := as.Relation.GetRelname()
		if sch := as.Relation.GetSchemaname(); sch != "" && sch != "public" {
			return nil, true, errorf(CodeUndefinedTable, "relation \"%s.%s\" does not exist", sch, name)
		}
		_, found, err := x.relationByName(name)
		if err == nil && !found {
			found, err = x.sequenceExists(name)
		}
		if err != nil {
			return nil, true, err
		}
		if !found {
			if as.MissingOk {
				x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE",
					Message: fmt.Sprintf("relation \"%s\" does not exist, skipping", name)})
				return tag, true, nil
			}
			return nil, true, errorf(CodeUndefinedTable, "relation \"%s\" does not exist", name)
		}
		return tag, true, nil
	}
	return nil, false, nil
}

// alterTable runs ALTER TABLE: ADD COLUMN (the existing rows take its default), ALTER COLUMN SET/DROP DEFAULT
// and SET/DROP NOT NULL, DROP COLUMN, ADD UNIQUE and DROP CONSTRAINT; the catalog first, then the rows.
func (x *exec) alterTable(as *pg.AlterTableStmt) (*Result, error) {
	if x.describe {
		return &Result{Tag: "ALTER TABLE"}, nil
	}
	if res, ok, err := x.alterTableOwner(as); ok {
		return res, err
	}
	t, err := x.alterable(as.Relation)
	if err != nil {
		if as.MissingOk && AsError(err).Code == CodeUndefinedTable { // ALTER TABLE IF EXISTS, as pg_dump --clean writes
			x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE",
				Message: fmt.Sprintf("relation \"%s\" does not exist, skipping", as.Relation.Relname)})
			return &Result{Tag: "ALTER TABLE"}, nil
		}
		return nil, err
	}
	orig := *t
	saved := false
	res, err := x.alterTable1(as, t, &saved)
	if err != nil && saved && !x.inBlock() { // in a block, the block's transaction holds the changes: ROLLBACK undoes them
		// A step after the catalog changed failed (a constraint the rows break): the constraints go back to
		// what they were, those the statement dropped included, as PostgreSQL rolls the ALTER back.
		if rerr := x.restoreTable(&orig); rerr != nil {
			return nil, rerr
		}
	}
	if err == nil {
		err = x.refreshRanges(&orig)
	}
	return res, err
}

// refreshRanges sets the validator of the table that was before again when a statement changed its numeric(p,s)
// columns (added, dropped, retyped), whose ranges the validator checks.
func (x *exec) refreshRanges(before *table) error {
	cur, err := x.readTable(before.Name, 0)
	if err != nil {
		return err
	}
	if rangesOf(cur) == rangesOf(before) && cur.Ranges == rangesOf(cur) {
		return nil
	}
	return x.installRanges(cur)
}

// installRanges sets t's validator again, with the ranges of its numeric(p,s) columns as they are, and records
// in the catalog that it has (table.Ranges).
func (x *exec) installRanges(t *table) error {
	v, err := x.validator(t)
	if err != nil {
		return err
	}
	if err := x.setTableValidator(t, v); err != nil {
		return err
	}
	t.Ranges = rangesOf(t)
	return x.saveTable(t)
}

// restoreTable puts back the CHECK and FOREIGN KEY constraints of a table as a failed ALTER TABLE found them,
// with its validator and the foreign keys' bookkeeping, but for those on columns the statement dropped (their
// values are gone). Columns and unique indexes stay as the statement left them: DDL is not one atomic step.
func (x *exec) restoreTable(orig *table) error {
	cur, err := x.readTable(orig.Name, 0)
	if err != nil {
		return err
	}
	fixed := *cur
	fixed.Checks = nil
	for _, c := range orig.Checks {
		if !slices.ContainsFunc(checkColumns(orig, c), func(col string) bool { return cur.column(col) == nil }) {
			fixed.Checks = append(fixed.Checks, c)
		}
	}
	fixed.ForeignKeys = nil
	for _, fk := range orig.ForeignKeys {
		if !slices.ContainsFunc(fk.Columns, func(col string) bool { return cur.column(col) == nil }) {
			fixed.ForeignKeys = append(fixed.ForeignKeys, fk)
		}
	}
	if err := x.saveTable(&fixed); err != nil {
		return err
	}
	v, err := x.validator(&fixed)
	if err != nil {
		return err
	}
	if err := x.s.db().setValidator(x.base, orig.Name, v); err != nil {
		return err
	}
	for _, fk := range cur.ForeignKeys {
		if !fixed.references(fk.Table) {
			if err := x.setReferencedBy(fk.Table, orig.Name, false); err != nil {
				return err
			}
		}
	}
	for _, fk := range fixed.ForeignKeys {
		if err := x.setReferencedBy(fk.Table, orig.Name, true); err != nil {
			return err
		}
	}
	return nil
}

// alterTable1 is alterTable on t, the table as looked up; saved is set once the catalog entry is written.
func (x *exec) alterTable1(as *pg.AlterTableStmt, t *table, saved *bool) (*Result, error) {
	var err error
	tc := *t // the looked-up table is shared
	tc.Columns = slices.Clone(t.Columns)
	t = &tc
	var added []column
	var dropped []string
	var checkNotNull []string
	var addUnique []*pg.Constraint
	var dropConstraints []*pg.AlterTableCmd
	var addChecks, addFKs []*pg.Constraint
	var identities []bson.D // the sequences of the identity columns added, made once every step has been checked
	var dropFKs []foreignKey
	var retyped []retype
	var cascadedViews []string // views DROP COLUMN ... CASCADE takes, dropped once every check has passed
	t.ForeignKeys = slices.Clone(t.ForeignKeys)
	t.Checks = slices.Clone(t.Checks)
	checksChanged := false
	for _, c := range as.Cmds {
		cmd := c.GetAlterTableCmd()
		switch cmd.Subtype {
		case pg.AlterTableType_AT_AddConstraint:
			con := cmd.Def.GetConstraint()
			if con != nil && con.Contype == pg.ConstrType_CONSTR_CHECK {
				addChecks = append(addChecks, con)
				continue
			}
			if con != nil && con.Contype == pg.ConstrType_CONSTR_FOREIGN {
				addFKs = append(addFKs, con)
				continue
			}
			if con != nil && con.Contype == pg.ConstrType_CONSTR_PRIMARY {
				return x.addPrimaryKey(t, con, len(as.Cmds) == 1)
			}
			if con == nil || con.Contype != pg.ConstrType_CONSTR_UNIQUE {
				what := "this constraint"
				if con != nil {
					what = "the constraint " + strings.TrimPrefix(con.Contype.String(), "CONSTR_")
				}
				return nil, unsupported("ALTER TABLE ... ADD " + what)
			}
			for _, k := range con.Keys {
				if t.column(k.GetString_().GetSval()) == nil {
					return nil, errorf(CodeUndefinedColumn, "column \"%s\" named in key does not exist", k.GetString_().GetSval())
				}
			}
			addUnique = append(addUnique, con)
			continue
		case pg.AlterTableType_AT_DropConstraint:
			if len(t.Key) > 0 && cmd.Name == t.pkeyName() {
				return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("dropping the primary key \"%s\" of table \"%s\" is not supported", cmd.Name, t.Name),
					Detail: "A table's rows are stored under their primary key (their documents' _id).",
					Hint:   "Create a new table without it and copy the rows: INSERT INTO new SELECT * FROM old."}
			}
			if i := slices.IndexFunc(t.Checks, func(c check) bool { return c.Name == cmd.Name }); i >= 0 {
				t.Checks = slices.Delete(t.Checks, i, i+1)
				checksChanged = true
				continue
			}
			if i := slices.IndexFunc(t.ForeignKeys, func(fk foreignKey) bool { return fk.Name == cmd.Name }); i >= 0 {
				dropFKs = append(dropFKs, t.ForeignKeys[i])
				t.ForeignKeys = slices.Delete(t.ForeignKeys, i, i+1)
				continue
			}
			if _, isAlias := t.Aliases[cmd.Name]; !isAlias {
				// A UNIQUE constraint's index that foreign keys reference goes only with them (CASCADE).
				storage, _ := t.storageIndex(cmd.Name)
				deps, err := x.keyDependents(t, func(fk foreignKey) bool { return fk.RefIndex == storage })
				if err != nil {
					return nil, err
				}
				if err := x.dropKeyDependents(t, deps, fmt.Sprintf("cannot drop constraint %s on table %s", cmd.Name, t.Name), "index "+cmd.Name,
					cmd.Behavior == pg.DropBehavior_DROP_CASCADE, dropOwnKey(t, &dropFKs)); err != nil {
					return nil, err
				}
			}
			dropConstraints = append(dropConstraints, cmd)
			continue
		case pg.AlterTableType_AT_ValidateConstraint:
			// VALIDATE CONSTRAINT checks the rows a NOT VALID constraint let stand (the storage checks every write
			// since): 23514 or 23503 when one breaks it.
			if i := slices.IndexFunc(t.Checks, func(c check) bool { return c.Name == cmd.Name }); i >= 0 {
				if err := x.verifyCheck(t, t.Checks[i]); err != nil {
					return nil, err
				}
				t.Checks[i].NotValid = false
				continue
			}
			if i := slices.IndexFunc(t.ForeignKeys, func(fk foreignKey) bool { return fk.Name == cmd.Name }); i >= 0 {
				if err := x.verifyForeignKey(t, t.ForeignKeys[i]); err != nil {
					return nil, err
				}
				t.ForeignKeys[i].NotValid = false
				continue
			}
			return nil, errorf(CodeUndefinedObject, "constraint \"%s\" of relation \"%s\" does not exist", cmd.Name, t.Name)
		case pg.AlterTableType_AT_ChangeOwner:
			return nil, ownerNotSupported("ALTER TABLE")
		case pg.AlterTableType_AT_EnableTrig, pg.AlterTableType_AT_DisableTrig, pg.AlterTableType_AT_EnableTrigAll,
			pg.AlterTableType_AT_DisableTrigAll, pg.AlterTableType_AT_EnableTrigUser, pg.AlterTableType_AT_DisableTrigUser,
			pg.AlterTableType_AT_EnableAlwaysTrig:
			if err := t.enableTriggers(cmd); err != nil {
				return nil, err
			}
			continue
		case pg.AlterTableType_AT_SetRelOptions, pg.AlterTableType_AT_ResetRelOptions:
			defs := cmd.Def.GetList().GetItems()
			if cmd.Subtype == pg.AlterTableType_AT_SetRelOptions {
				set, err := relOptions(defs)
				if err != nil {
					return nil, err
				}
				t.RelOptions = setRelOptions(t.RelOptions, set, nil)
				continue
			}
			var reset []string
			for _, d := range defs {
				if de := d.GetDefElem(); de != nil {
					name := de.Defname
					if de.Defnamespace == "toast" {
						name = "toast." + name
					}
					reset = append(reset, name)
				}
			}
			t.RelOptions = setRelOptions(t.RelOptions, nil, reset)
			continue
		}
		if cmd.Subtype != pg.AlterTableType_AT_AddColumn {
			col := t.column(cmd.Name)
			if col == nil {
				if cmd.Subtype == pg.AlterTableType_AT_DropColumn && cmd.MissingOk {
					x.warn(&Error{Code: "00000", Severity: "NOTICE",
						Message: fmt.Sprintf("column \"%s\" of relation \"%s\" does not exist, skipping", cmd.Name, t.Name)})
					continue
				}
				return nil, errorf(CodeUndefinedColumn, "column \"%s\" of relation \"%s\" does not exist", cmd.Name, t.Name)
			}
			isKey := slices.Contains(t.Key, cmd.Name)
			switch cmd.Subtype {
			case pg.AlterTableType_AT_DropColumn:
				if isKey {
					return nil, unsupported("dropping a primary key column (it is the documents' _id)")
				}
				if err := predicateNames(t, cmd.Name); err != nil {
					return nil, err
				}
				doomed, err := x.columnDependents(t, cmd.Name, cmd.Behavior == pg.DropBehavior_DROP_CASCADE)
				if err != nil {
					return nil, err
				}
				// The foreign keys referencing the column (a unique key's), but t's own on the column itself,
				// which go with it below.
				deps, err := x.keyDependents(t, func(fk foreignKey) bool {
					return slices.Contains(fk.RefColumns, cmd.Name) && !slices.Contains(fk.Columns, cmd.Name)
				})
				if err != nil {
					return nil, err
				}
				if err := x.dropKeyDependents(t, deps, fmt.Sprintf("cannot drop column %s of table %s", cmd.Name, t.Name),
					fmt.Sprintf("column %s of table %s", cmd.Name, t.Name), cmd.Behavior == pg.DropBehavior_DROP_CASCADE, dropOwnKey(t, &dropFKs)); err != nil {
					return nil, err
				}
				cascadedViews = append(cascadedViews, doomed...)
				// The generated columns that read it go with it by CASCADE, as in PostgreSQL.
				if g := generatedReaders(t, cmd.Name); len(g) > 0 {
					lines := make([]string, len(g))
					for i, name := range g {
						lines[i] = fmt.Sprintf("column %s of table %s", name, t.Name)
					}
					if cmd.Behavior != pg.DropBehavior_DROP_CASCADE {
						detail := slices.Clone(lines)
						for i := range detail {
							detail[i] += fmt.Sprintf(" depends on column %s of table %s", cmd.Name, t.Name)
						}
						return nil, &Error{Code: CodeDependentObjectsStillExist, Message: fmt.Sprintf("cannot drop column %s of table %s because other objects depend on it", cmd.Name, t.Name),
							Detail: strings.Join(detail, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
					}
					for i, name := range g {
						x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE", Message: "drop cascades to " + lines[i]})
						t.Columns = slices.DeleteFunc(t.Columns, func(c column) bool { return c.Name == name })
						dropped = append(dropped, name)
					}
				}
				i := slices.IndexFunc(t.Columns, func(c column) bool { return c.Name == cmd.Name })
				// The CHECK constraints that name the column go with it, as in PostgreSQL.
				kept := t.Checks[:0]
				for _, c := range t.Checks {
					if slices.Contains(checkColumns(t, c), cmd.Name) {
						checksChanged = true
						continue
					}
					kept = append(kept, c)
				}
				t.Checks = kept
				t.ForeignKeys = slices.DeleteFunc(t.ForeignKeys, func(fk foreignKey) bool {
					if slices.Contains(fk.Columns, cmd.Name) {
						dropFKs = append(dropFKs, fk)
						return true
					}
					return false
				})
				t.Columns = slices.Delete(t.Columns, i, i+1)
				dropped = append(dropped, cmd.Name)
				// The expression indexes that read it go with it, as in PostgreSQL: their fields are dropped below
				// as a column's are, with the indexes on them.
				var keptComputed []computedField
				for _, c := range t.Computed {
					if n, err := parseExpr(c.Expr); err == nil {
						if slices.Contains(exprColumns(n), cmd.Name) {
							dropped = append(dropped, c.Field)
							continue
						}
					}
					keptComputed = append(keptComputed, c)
				}
				t.Computed = keptComputed
				if col.Sequence != "" {
					if _, err := x.s.db().collection(sequencesCollection).deleteMany(x.catWrite(), bson.D{{Key: "_id", Value: col.Sequence}}); err != nil {
						return nil, err
					}
					x.noteBlockSequence(col.Sequence)
				}
			case pg.AlterTableType_AT_ColumnDefault:
				if col.Generated != "" {
					e := &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("column \"%s\" of relation \"%s\" is a generated column", cmd.Name, t.Name)}
					if cmd.Def == nil {
						e.Hint = "Use ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION instead."
					}
					return nil, e
				}
				if col.Identity != "" {
					return nil, errorf(CodeSyntaxError, "column \"%s\" of relation \"%s\" is an identity column", cmd.Name, t.Name)
				}
				col.Default = ""
				if cmd.Def != nil {
					text, err := defaultText(cmd.Def, col.Type)
					if err != nil {
						return nil, err
					}
					if err := checkEnumDefault(col.Type, cmd.Def); err != nil {
						return nil, err
					}
					col.Default = text
				}
			case pg.AlterTableType_AT_SetNotNull:
				if !col.NotNull {
					col.NotNull = true
					checkNotNull = append(checkNotNull, cmd.Name)
				}
			case pg.AlterTableType_AT_AlterColumnType:
				if g := generatedReaders(t, cmd.Name); len(g) > 0 {
					return nil, &Error{Code: CodeFeatureNotSupported, Message: "cannot alter type of a column used by a generated column",
						Detail: fmt.Sprintf("Column \"%s\" is used by generated column \"%s\".", cmd.Name, g[0])}
				}
				for _, other := range as.Cmds {
					if other.GetAlterTableCmd().Subtype != pg.AlterTableType_AT_AlterColumnType {
						// The rows are converted in one transaction, which the other steps, not transactional here,
						// could not join: a failure after it would leave the rows of one type and the catalog of another.
						return nil, unsupported("ALTER COLUMN ... TYPE together with other ALTER TABLE actions (run them one by one)")
					}
				}
				newDomain, err := x.domainNamed(cmd.Def.GetColumnDef().GetTypeName())
				if err != nil {
					return nil, err
				}
				if x.inBlock() && !x.s.e.b.catalogInTransactions() && (len(t.Checks) > 0 || len(rangedColumns(t)) > 0 ||
					rangedTypeName(cmd.Def.GetColumnDef().GetTypeName()) || newDomain != nil || col.Domain != "") {
					// Their collection's validator would change, which a MongoDB deployment's transaction cannot hold.
					return nil, unsupported("ALTER COLUMN ... TYPE inside a transaction block on a table with CHECK constraints or numeric(p,s) columns, or to or from a domain")
				}
				if slices.ContainsFunc(retyped, func(r retype) bool { return r.column == cmd.Name }) {
					return nil, errorf(CodeFeatureNotSupported, "cannot alter type of column \"%s\" twice", cmd.Name)
				}
				r, err := x.retypeColumn(t, col, isKey, cmd)
				if err != nil {
					return nil, err
				}
				if r.changes() {
					retyped = append(retyped, r)
					col.Type, col.TypMod, col.Domain = r.to, r.toMod, r.domain
					// The checks' constants take the new type; a domain's constraints join or leave the validator.
					checksChanged = checksChanged || len(t.Checks) > 0 || r.domain != "" || r.fromDomain != ""
				}
			case pg.AlterTableType_AT_AddIdentity:
				// ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [(sequence options)], as pg_dump restores an
				// identity column: its sequence is made with the other steps' sequences.
				switch {
				case col.Identity != "":
					return nil, errorf("55000", "column \"%s\" of relation \"%s\" is already an identity column", col.Name, t.Name)
				case col.Default != "":
					return nil, errorf("55000", "column \"%s\" of relation \"%s\" already has a default value", col.Name, t.Name)
				case !col.NotNull:
					return nil, errorf("55000", "column \"%s\" of relation \"%s\" must be declared NOT NULL before identity can be added", col.Name, t.Name)
				case col.Type != OIDInt2 && col.Type != OIDInt4 && col.Type != OIDInt8:
					return nil, errorf("42611", "identity column type must be smallint, integer, or bigint")
				}
				con := cmd.Def.GetConstraint()
				seq, doc, err := identitySequence(t.Name, col.Name, con.GetOptions())
				if err != nil {
					return nil, err
				}
				if found, err := x.sequenceExists(seq); err != nil {
					return nil, err
				} else if found {
					return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", seq)
				}
				col.Identity, col.Sequence, col.Default = con.GetGeneratedWhen(), seq, nextvalDefault(seq)
				identities = append(identities, doc)
			case pg.AlterTableType_AT_SetIdentity:
				// ALTER COLUMN ... { SET GENERATED { ALWAYS | BY DEFAULT } | RESTART [WITH n] | SET sequence_option }:
				// the kind goes to the column, the rest to its sequence, as ALTER SEQUENCE takes them.
				if col.Identity == "" {
					return nil, errorf("55000", "column \"%s\" of relation \"%s\" is not an identity column", col.Name, t.Name)
				}
				var seqOpts []*pg.Node
				for _, it := range cmd.Def.GetList().GetItems() {
					d := it.GetDefElem()
					if d == nil {
						continue
					}
					if d.Defname == "generated" {
						col.Identity = string(rune(d.Arg.GetInteger().GetIval()))
						continue
					}
					seqOpts = append(seqOpts, it)
				}
				if len(seqOpts) > 0 {
					if _, err := x.alterSequence(&pg.AlterSeqStmt{Sequence: &pg.RangeVar{Relname: col.Sequence}, Options: seqOpts}); err != nil {
						return nil, err
					}
				}
			case pg.AlterTableType_AT_DropNotNull:
				if isKey {
					return nil, errorf(CodeInvalidTableDefinition, "column \"%s\" is in a primary key", cmd.Name)
				}
				if col.Identity != "" {
					return nil, errorf(CodeSyntaxError, "column \"%s\" of relation \"%s\" is an identity column", cmd.Name, t.Name)
				}
				col.NotNull = false
			case pg.AlterTableType_AT_SetStatistics:
				// The planner's statistics target: Concord plans without statistics, so it is checked and kept nowhere.
				if n := cmd.Def.GetInteger(); n != nil && n.Ival < -1 {
					return nil, errorf(CodeInvalidParameterValue, "statistics target %d is too low", n.Ival)
				} else if n != nil && n.Ival > 10000 {
					x.warn(&Error{Code: "01000", Severity: "WARNING", Message: "lowering statistics target to 10000"})
				}
			default:
				return nil, unsupported("ALTER TABLE " + strings.TrimPrefix(cmd.Subtype.String(), "AT_"))
			}
			continue
		}
		cd := cmd.Def.GetColumnDef()
		c, keyed, colChecks, err := x.columnDef(t.Name, cd)
		if err != nil {
			return nil, err
		}
		if c.Domain != "" {
			// The validator takes the domain's constraints; the rows there are take its default (made the column's
			// own), and one that is NOT NULL without a default refuses a table with rows, as in PostgreSQL.
			checksChanged = true
			_, domains, err := x.userTypes()
			if err != nil {
				return nil, err
			}
			chain := domainChain(domains[c.Domain], domains)
			if c.Default == "" {
				c.Default = domainDefault(domains[c.Domain], domains)
			}
			if c.Default != "" && !callsVolatile(c.Default) {
				// The default the rows take is the domain's value: one it refuses stops the statement.
				v, err := x.columnDefault(&c)
				if err == nil {
					_, err = x.toDomain(c.Domain, v)
				}
				if err != nil {
					return nil, err
				}
			}
			if c.Default == "" && slices.ContainsFunc(chain, func(l *domainType) bool { return l.NotNull }) {
				if _, err := x.s.db().collection(t.Name).findOne(x.ctx, bson.D{}); err == nil {
					return nil, domainNullError(c.Domain)
				} else if !isNoDocuments(err) {
					return nil, err
				}
			}
		}
		if c.Default != "" && c.TypMod > 0 && !callsVolatile(c.Default) {
			// PostgreSQL evaluates the new column's default once, fitted to its type, before it changes anything.
			v, err := x.columnDefault(&c)
			if err == nil {
				_, err = toStored(v, c.Type, c.TypMod)
			}
			if err != nil {
				return nil, err
			}
		}
		for _, con := range colChecks {
			if con.Contype == pg.ConstrType_CONSTR_FOREIGN {
				addFKs = append(addFKs, con)
			} else {
				addChecks = append(addChecks, con)
			}
		}
		if t.column(cd.Colname) != nil {
			if cmd.MissingOk {
				x.warn(&Error{Code: "42701", Severity: "NOTICE",
					Message: fmt.Sprintf("column \"%s\" of relation \"%s\" already exists, skipping", cd.Colname, t.Name)})
				continue
			}
			return nil, errorf("42701", "column %q of relation %q already exists", cd.Colname, t.Name)
		}
		for _, k := range keyed {
			switch {
			case k.Contype == pg.ConstrType_CONSTR_PRIMARY && len(t.Key) > 0:
				return nil, errorf("42P16", "multiple primary keys for table \"%s\" are not allowed", t.Name)
			case k.Contype == pg.ConstrType_CONSTR_PRIMARY:
				return nil, unsupported("ADD COLUMN ... PRIMARY KEY (add the column, then ALTER TABLE ... ADD PRIMARY KEY)")
			}
			if err := notDeferrableKey(k); err != nil {
				return nil, err
			}
			// A UNIQUE column: its constraint is made as ADD UNIQUE (col) makes one, once the column is there.
			addUnique = append(addUnique, &pg.Constraint{Contype: pg.ConstrType_CONSTR_UNIQUE, Conname: k.Conname, NullsNotDistinct: k.NullsNotDistinct,
				Keys: []*pg.Node{pg.MakeStrNode(cd.Colname)}})
		}
		if c.NotNull && c.Default == "" && c.Generated == "" {
			// The rows there are have no value for it: PostgreSQL adds it to an empty table only (23502 else).
			checkNotNull = append(checkNotNull, c.Name)
		}
		t.Columns = append(t.Columns, c)
		added = append(added, c)
	}
	var newChecks []check
	for _, con := range addChecks {
		c, err := newCheck(t, con)
		if err != nil {
			return nil, err
		}
		c.NotValid = con.SkipValidation
		t.addCheck(c)
		if !con.SkipValidation {
			newChecks = append(newChecks, c)
		}
		checksChanged = true
	}
	if slices.ContainsFunc(added, func(c column) bool { return c.Generated != "" }) {
		if err := x.generatedColumns(t, &pg.Node{Node: &pg.Node_AlterTableStmt{AlterTableStmt: as}}); err != nil {
			return nil, err
		}
	}
	var validator bson.D
	if checksChanged {
		if validator, err = x.validator(t); err != nil {
			return nil, err
		}
	}
	var newFKs, verifyFKs []foreignKey
	for _, con := range addFKs {
		fk, err := x.newForeignKey(t, con, nil)
		if err != nil {
			return nil, err
		}
		fk.NotValid = con.SkipValidation
		t.ForeignKeys = append(t.ForeignKeys, fk)
		newFKs = append(newFKs, fk)
		if !con.SkipValidation {
			verifyFKs = append(verifyFKs, fk)
		}
	}
	for _, c := range added {
		if err := x.createColumnSequence(t, c); err != nil {
			return nil, err
		}
	}
	for _, doc := range identities {
		if err := x.s.db().collection(sequencesCollection).insertOne(x.catWrite(), doc); err != nil {
			if isDuplicateKey(err) {
				return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", doc[0].Value)
			}
			return nil, err
		}
		x.noteBlockSequence(doc[0].Value.(string))
	}
	coll := x.s.db().collection(t.Name)
	// Every value of a retyped column is converted, in one transaction, before the catalog changes: a value
	// that does not convert, or a unique index the new values break, stops the statement with nothing changed.
	var conversions []bson.D
	for _, r := range retyped {
		c, err := x.convertColumn(t, r)
		if err != nil {
			return nil, err
		}
		conversions = append(conversions, c...)
	}
	if len(conversions) > 0 {
		convert := func(ctx context.Context) error {
			tcoll := x.s.db().collection(t.Name)
			for _, d := range conversions {
				update := bson.D{{Key: "$set", Value: bson.D{d[1]}}}
				if d[1].Value == nil {
					update = bson.D{{Key: "$unset", Value: bson.D{{Key: d[1].Key, Value: ""}}}} // a NULL, as SQL stores one
				}
				if _, err := tcoll.updateOne(withoutValidation(ctx), bson.D{d[0]}, update); err != nil {
					return err
				}
			}
			return nil
		}
		var err error
		if x.inBlock() {
			err = convert(x.ctx) // in the block's transaction, with its catalog change
		} else {
			err = x.s.e.b.withTransaction(x.base, convert)
		}
		if err != nil {
			return nil, x.uniqueViolation(err)
		}
	}
	for _, name := range checkNotNull {
		// {field: null} matches a missing field too.
		// x.ctx: in a block, the rows as the block sees them (it may have filled them).
		if _, err := coll.findOne(x.ctx, bson.D{{Key: t.field(name), Value: nil}}); err == nil {
			return nil, &Error{Code: CodeNotNullViolation, Message: fmt.Sprintf("column \"%s\" of relation \"%s\" contains null values", name, t.Name),
				Table: t.Name, Column: name}
		} else if !isNoDocuments(err) {
			return nil, err
		}
	}
	if err := x.dropViews(cascadedViews); err != nil {
		return nil, err
	}
	err = x.saveTable(t)
	if err != nil {
		return nil, err
	}
	*saved = true
	if len(dropConstraints) > 0 || len(addUnique) > 0 {
		names, err := indexNames(x.catRead(), coll)
		if err != nil {
			return nil, err
		}
		for _, cmd := range dropConstraints {
			// A unique constraint is its unique index (the primary key is the documents' _id).
			if _, isAlias := t.Aliases[cmd.Name]; isAlias {
				// A unique constraint added over a unique index on the same columns (addUnique below).
				if _, err := x.dropAlias(cmd.Name); err != nil {
					return nil, err
				}
				t.Aliases = maps.Clone(t.Aliases)
				delete(t.Aliases, cmd.Name)
				continue
			}
			storage, ok := t.storageIndex(cmd.Name)
			if !ok || !slices.Contains(names, storage) || storage == "_id_" {
				if cmd.MissingOk {
					x.warn(&Error{Code: "00000", Severity: "NOTICE",
						Message: fmt.Sprintf("constraint \"%s\" of relation \"%s\" does not exist, skipping", cmd.Name, t.Name)})
					continue
				}
				return nil, errorf(CodeUndefinedObject, "constraint \"%s\" of relation \"%s\" does not exist", cmd.Name, t.Name)
			}
			if err := coll.dropIndex(x.base, storage); err != nil {
				return nil, err
			}
			_, renamed := t.Renamed[storage]
			if nnd := slices.Contains(t.NullsNotDistinct, storage); renamed || nnd {
				t = t.withIndexName(storage, storage)
				t.NullsNotDistinct = slices.DeleteFunc(slices.Clone(t.NullsNotDistinct), func(n string) bool { return n == storage })
				if err := x.saveTable(t); err != nil {
					return nil, err
				}
			}
		}
		for _, con := range addUnique {
			keys := bson.D{}
			var cols []string
			for _, k := range con.Keys {
				cols = append(cols, k.GetString_().GetSval())
				keys = append(keys, bson.E{Key: t.field(cols[len(cols)-1]), Value: 1})
			}
			name, named := con.Conname, con.Conname != ""
			if !named {
				// PostgreSQL's choice of a free name: <table>_<cols>_key, else with 1, 2, ... after it.
				base := t.Name + "_" + strings.Join(cols, "_") + "_key"
				name = base
				for i := 1; ; i++ {
					_, taken, err := x.relationByName(name)
					if err != nil {
						return nil, err
					}
					if !taken {
						break
					}
					name, named = fmt.Sprintf("%s%d", base, i), true
				}
			}
			if con.NullsNotDistinct {
				// The storage keeps one index per key, and one on these columns would not hold NULLs alike.
				if _, served, err := x.aliasIndex(t, keys, name, true, ""); err != nil {
					return nil, err
				} else if served {
					return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("a NULLS NOT DISTINCT constraint on the columns of another unique index of table \"%s\" is not supported", t.Name),
						Hint: "A table keeps one index on the same columns in the same order: drop the other one first."}
				}
			}
			if named && !slices.Contains(t.Uniques, name) {
				t.Uniques = append(t.Uniques, name)
				if err := x.saveTable(t); err != nil {
					return nil, err
				}
			}
			if err := wholeValueKeys(t, cols); err != nil {
				return nil, err
			}
			if err := x.relationFree(name); err != nil {
				return nil, err
			}
			// A unique index on the same columns already keeps them unique: the constraint's name is its alias
			// (not for NULLS NOT DISTINCT, which that index does not hold: the storage refuses a second index).
			if alias, served, err := x.aliasIndex(t, keys, name, true, ""); err != nil {
				return nil, err
			} else if served && !con.NullsNotDistinct {
				t.Aliases = maps.Clone(t.Aliases)
				if t.Aliases == nil {
					t.Aliases = map[string]indexAlias{}
				}
				t.Aliases[name] = alias
				continue
			}
			if storage := storageNameFor(t, names, name); storage != name {
				// The name is an index's the storage still holds (indexrename.go): the constraint's index is
				// listed in Uniques by its storage name.
				t = t.withIndexName(storage, name)
				t.Uniques = append(slices.Clone(t.Uniques), storage)
				if err := x.saveTable(t); err != nil {
					return nil, err
				}
				name = storage
			}
			partial := uniquePartial(keys)
			if con.NullsNotDistinct {
				partial = nil
				nt := *t
				nt.NullsNotDistinct = append(slices.Clone(t.NullsNotDistinct), name)
				t = &nt
				if err := x.saveTable(t); err != nil {
					return nil, err
				}
			}
			if err := x.buildIndex(t, keys, name, true, partial); err != nil {
				return nil, x.uniqueViolationOn(t, err)
			}
		}
	}
	for _, name := range dropped {
		// The indexes on the column go with it, as in PostgreSQL; its values leave every row. In a transaction
		// block the values leave the rows in the block's transaction, and the indexes, which no transaction can
		// drop, go once the block commits (commitDrops): until then they hold no row of the block's.
		ctx := x.base
		if x.inBlock() {
			ctx = x.ctx
			if err := x.dropIndexesAtCommit(t.Name, coll, name); err != nil {
				return nil, err
			}
		} else if _, err := dropIndexesOn(x.base, coll, name); err != nil {
			return nil, err
		}
		if _, err := coll.updateMany(withoutValidation(ctx), bson.D{{Key: name, Value: bson.D{{Key: "$exists", Value: true}}}},
			bson.D{{Key: "$unset", Value: bson.D{{Key: name, Value: ""}}}}); err != nil {
			return nil, err
		}
	}
	for _, c := range added {
		if err := x.fillDefault(t, &c); err != nil {
			return nil, x.undoAddColumns(t, added, err)
		}
	}
	if slices.ContainsFunc(added, func(c column) bool { return c.Generated != "" }) {
		if err := x.fillGenerated(t); err != nil {
			return nil, x.undoAddColumns(t, added, err)
		}
	}
	if checksChanged {
		if err := x.applyChecks(t, validator, newChecks); err != nil {
			return nil, x.undoAddColumns(t, added, err)
		}
	}
	if err := x.applyForeignKeys(t, newFKs, verifyFKs, dropFKs); err != nil {
		return nil, x.undoAddColumns(t, added, err)
	}
	return &Result{Tag: "ALTER TABLE"}, nil
}

// undoAddColumns takes the columns an ALTER TABLE added back out when a constraint it added failed on the rows
// (ADD COLUMN c ... DEFAULT 0 CHECK (c > 0)): the catalog, the rows' values and the columns' sequences. It
// returns cause.
func (x *exec) undoAddColumns(t *table, added []column, cause error) error {
	if len(added) == 0 || x.inBlock() {
		return cause
	}
	unset := bson.D{}
	for _, c := range added {
		t.Columns = slices.DeleteFunc(t.Columns, func(k column) bool { return k.Name == c.Name })
		unset = append(unset, bson.E{Key: c.Name, Value: ""})
		if c.Sequence != "" {
			if _, err := x.s.db().collection(sequencesCollection).deleteMany(x.base, bson.D{{Key: "_id", Value: c.Sequence}}); err != nil {
				return err
			}
		}
	}
	if err := x.saveTable(t); err != nil {
		return err
	}
	if _, err := x.s.db().collection(t.Name).updateMany(withoutValidation(x.base), bson.D{}, bson.D{{Key: "$unset", Value: unset}}); err != nil {
		return err
	}
	return cause
}

// dropOwnKey drops a foreign key of t, the table ALTER TABLE edits, noting it in dropped.
func dropOwnKey(t *table, dropped *[]foreignKey) func(foreignKey) {
	return func(fk foreignKey) {
		t.ForeignKeys = slices.DeleteFunc(t.ForeignKeys, func(f foreignKey) bool { return f.Name == fk.Name })
		*dropped = append(*dropped, fk)
	}
}

// applyForeignKeys, after ALTER TABLE wrote t's catalog entry, tells the referenced tables of the foreign keys
// added and dropped, and verifies the rows against the added ones not NOT VALID (verify): a row that names a
// missing parent fails the statement with foreign_key_violation, as PostgreSQL refuses such an ADD (alterTable
// then puts the constraints back).
func (x *exec) applyForeignKeys(t *table, added, verify, dropped []foreignKey) error {
	for _, fk := range dropped {
		if !t.references(fk.Table) { // a self-reference included
			if err := x.setReferencedBy(fk.Table, t.Name, false); err != nil {
				return err
			}
		}
	}
	for _, fk := range added {
		if err := x.setReferencedBy(fk.Table, t.Name, true); err != nil {
			return err
		}
	}
	for _, fk := range verify {
		if err := x.verifyForeignKey(t, fk); err != nil {
			return err
		}
	}
	return nil
}

// applyChecks makes validator, built from t.Checks (already in the catalog), its collection's, and then
// verifies the rows against the added checks: a row that breaks one fails the statement with check_violation,
// as PostgreSQL refuses such an ADD CONSTRAINT (alterTable then puts the constraints back). Writes that break a
// new check while it is verified are refused, as they would wait and then fail in PostgreSQL.
func (x *exec) applyChecks(t *table, validator bson.D, added []check) error {
	if err := x.setTableValidator(t, validator); err != nil {
		return err
	}
	for _, c := range added {
		if err := x.verifyCheck(t, c); err != nil {
			return err
		}
	}
	return nil
}

// rename runs ALTER TABLE ... RENAME COLUMN old TO new: the catalog first, then every row's field (a
// primary key column's name is the catalog's only: its value is the documents' _id), the indexes on the column
// (dropIndexesOn, built again on the new name) and the views reading it. Like ADD COLUMN it is not one atomic
// step.
func (x *exec) rename(rs *pg.RenameStmt) (*Result, error) {
	switch rs.RenameType {
	case pg.ObjectType_OBJECT_TABLE, pg.ObjectType_OBJECT_INDEX:
		// ALTER INDEX renames a table too, and ALTER TABLE an index, as in PostgreSQL.
		if rs.Subname != "" {
			break
		}
		ix, found, err := x.indexNamed(rs.Relation.Relname)
		if err != nil {
			return nil, err
		}
		if found {
			return x.renameIndex(rs, ix)
		}
	}
	if rs.MissingOk && rs.Relation != nil && !x.describe {
		// ALTER TABLE IF EXISTS ... RENAME: a notice when there is no such table.
		if _, err := x.lookupTable(rs.Relation.Relname, rs.Relation.Location); err != nil && AsError(err).Code == CodeUndefinedTable {
			x.warn(&Error{Code: CodeSuccessfulCompletion, Severity: "NOTICE",
				Message: fmt.Sprintf("relation \"%s\" does not exist, skipping", rs.Relation.Relname)})
			return &Result{Tag: renameTag(rs)}, nil
		}
	}
	switch {
	case rs.RenameType == pg.ObjectType_OBJECT_TABCONSTRAINT:
		return x.renameConstraint(rs)
	case (rs.RenameType == pg.ObjectType_OBJECT_TABLE || rs.RenameType == pg.ObjectType_OBJECT_VIEW ||
		rs.RenameType == pg.ObjectType_OBJECT_INDEX) && rs.Subname == "":
		return x.renameTable(rs)
	}
	if rs.RenameType != pg.ObjectType_OBJECT_COLUMN {
		return nil, unsupported("ALTER ... RENAME of a " + strings.ToLower(strings.TrimPrefix(rs.RenameType.String(), "OBJECT_")))
	}
	if x.describe {
		return &Result{Tag: "ALTER TABLE"}, nil
	}
	t, err := x.alterable(rs.Relation)
	if err != nil {
		return nil, err
	}
	if t.column(rs.Subname) == nil {
		return nil, errorf(CodeUndefinedColumn, "column \"%s\" does not exist", rs.Subname)
	}
	if err := predicateNames(t, rs.Subname); err != nil {
		return nil, err
	}
	if t.column(rs.Newname) != nil {
		return nil, errorf("42701", "column \"%s\" of relation \"%s\" already exists", rs.Newname, t.Name)
	}
	isKey := slices.Contains(t.Key, rs.Subname)
	if isKey && len(t.Key) > 1 {
		return nil, unsupported("renaming a column of a composite primary key (its values are fields of _id)")
	}
	tc := *t
	tc.Columns = slices.Clone(t.Columns)
	tc.Key = slices.Clone(t.Key)
	tc.column(rs.Subname).Name = rs.Newname
	for i, k := range tc.Key {
		if k == rs.Subname {
			tc.Key[i] = rs.Newname
		}
	}
	// Generation expressions and index expressions follow the column's new name (an index expression's field
	// keeps its name).
	tc.Computed = slices.Clone(t.Computed)
	for i, c := range tc.Computed {
		renamed, err := renameInCheck(check{Expr: c.Expr}, rs.Subname, rs.Newname)
		if err != nil {
			return nil, err
		}
		tc.Computed[i].Expr = renamed.Expr
	}
	for i, c := range tc.Columns {
		if c.Generated == "" {
			continue
		}
		renamed, err := renameInCheck(check{Expr: c.Generated}, rs.Subname, rs.Newname)
		if err != nil {
			return nil, err
		}
		tc.Columns[i].Generated = renamed.Expr
	}
	// CHECK expressions follow the column's new name, and so does the validator made of them, and so does a
	// numeric(p,s) column's range.
	tc.Checks = slices.Clone(t.Checks)
	checksChanged := rangesOf(&tc) != rangesOf(t)
	for i, c := range tc.Checks {
		if slices.Contains(checkColumns(t, c), rs.Subname) {
			renamed, err := renameInCheck(c, rs.Subname, rs.Newname)
			if err != nil {
				return nil, err
			}
			tc.Checks[i], checksChanged = renamed, true
		}
	}
	var validator bson.D
	if checksChanged {
		if validator, err = x.validator(&tc); err != nil {
			return nil, err
		}
	}
	// Foreign keys name the column by its new name, on either side.
	renameIn := func(cols []string) []string {
		out := slices.Clone(cols)
		for i, c := range out {
			if c == rs.Subname {
				out[i] = rs.Newname
			}
		}
		return out
	}
	tc.ForeignKeys = slices.Clone(t.ForeignKeys)
	for i, fk := range tc.ForeignKeys {
		tc.ForeignKeys[i].Columns = renameIn(fk.Columns)
		if fk.Table == t.Name {
			tc.ForeignKeys[i].RefColumns = renameIn(fk.RefColumns)
		}
	}
	// A UNIQUE constraint's index keeps its name, as in PostgreSQL; one known as a constraint's by its name's
	// pattern (<table>_<cols>_key, uniqueColumns) is listed in Uniques, its columns' names no longer making it.
	specs, err := x.s.db().collection(t.Name).indexes(x.base)
	if err != nil {
		return nil, err
	}
	tc.Uniques = append(slices.Clone(t.Uniques), patternUniques(t, specs, rs.Subname)...)
	tc.Triggers = slices.Clone(t.Triggers)
	for i := range tc.Triggers {
		tc.Triggers[i].Columns = renameIn(tc.Triggers[i].Columns) // UPDATE OF: PostgreSQL keeps the column, by number
	}
	if err := x.saveTable(&tc); err != nil {
		return nil, err
	}
	if err := x.editChildKeys(t, func(fk *foreignKey) { fk.RefColumns = renameIn(fk.RefColumns) }); err != nil {
		return nil, err
	}
	if err := x.renameColumnInViews(t, rs.Subname, rs.Newname); err != nil {
		return nil, err
	}
	setValidator := func() (*Result, error) {
		if checksChanged {
			if err := x.setTableValidator(&tc, validator); err != nil {
				return nil, err
			}
		}
		return &Result{Tag: "ALTER TABLE"}, nil
	}
	if isKey {
		return setValidator()
	}
	coll := x.s.db().collection(t.Name)
	// The indexes on the column are made again on its new name, after the rows' fields are renamed: every
	// index, so that a UNIQUE constraint over several columns goes on holding. In a transaction block the column
	// is one no index holds (refuseInBlock), and its values move in the block's transaction.
	ctx, moved := x.base, []indexSpec(nil)
	if x.inBlock() {
		ctx = x.ctx
	} else if moved, err = dropIndexesOn(x.base, coll, rs.Subname); err != nil {
		return nil, err
	}
	if _, err := coll.updateMany(withoutValidation(ctx), bson.D{{Key: rs.Subname, Value: bson.D{{Key: "$exists", Value: true}}}},
		bson.D{{Key: "$rename", Value: bson.D{{Key: rs.Subname, Value: rs.Newname}}}}); err != nil {
		return nil, err
	}
	for _, ix := range moved {
		keys := bson.D{}
		for _, e := range ix.keyDoc() {
			if e.Key == rs.Subname {
				e.Key = rs.Newname
			}
			keys = append(keys, e)
		}
		var partial bson.D
		if ix.unique {
			partial = uniquePartial(keys)
		}
		if err := coll.createIndex(x.base, keys, ix.name, ix.unique, partial); err != nil {
			return nil, err
		}
	}
	return setValidator()
}

// dropIndexesOn drops the indexes of a collection whose key includes field, and returns them.
func dropIndexesOn(ctx context.Context, coll backendColl, field string) ([]indexSpec, error) {
	specs, err := coll.indexes(ctx)
	if err != nil {
		return nil, err
	}
	var out []indexSpec
	for _, ix := range specs {
		if ix.name == "_id_" || ix.keys.Lookup(field).Type == 0 {
			continue
		}
		if err := coll.dropIndex(ctx, ix.name); err != nil {
			return nil, err
		}
		out = append(out, ix)
	}
	return out, nil
}

// wholeValueKeys refuses a unique key on a column of an array or json type: the storage's unique index, as
// MongoDB's, takes an array's elements as its keys ('[1,2]' and '[2,1]', even '1', would conflict), where
// PostgreSQL compares whole values.
func wholeValueKeys(t *table, cols []string) error {
	for _, name := range cols {
		if c := t.column(name); c != nil && (isArrayType(c.Type) || c.Type == OIDJSONB || c.Type == OIDJSON) {
			return &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("Concord cannot hold the %s column \"%s\" unique", TypeName(c.Type), name),
				Hint: "The storage's unique indexes take an array's elements as keys; PostgreSQL compares whole values."}
		}
	}
	return nil
}

// uniquePartial is the partialFilterExpression of a SQL unique index on keys: only rows holding every key column
// are indexed. SQL writes a NULL as an absent field, so that, as in PostgreSQL, rows with a NULL in the key never
// conflict (a unique index of the engine, as MongoDB's, would take NULL for a value like any other).
func uniquePartial(keys bson.D) bson.D {
	out := make(bson.D, len(keys))
	for i, k := range keys {
		out[i] = bson.E{Key: k.Key, Value: bson.D{{Key: "$exists", Value: true}}}
	}
	return out
}

// renameTable runs ALTER TABLE / ALTER VIEW ... RENAME TO: a table's collection takes the new name with its rows,
// indexes and CHECK validator, the catalog entry moves, and the foreign keys on either side follow it. Index,
// constraint and sequence names stay, as in PostgreSQL. The views reading the table follow it.
func (x *exec) renameTable(rs *pg.RenameStmt) (*Result, error) {
	tag := renameTag(rs)
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	old, name := rs.Relation.Relname, rs.Newname
	t, err := x.readTable(old, -1) // no position, as PostgreSQL's
	if err != nil {
		if rs.MissingOk && AsError(err).Code == CodeUndefinedTable {
			return &Result{Tag: tag}, nil
		}
		return nil, err
	}
	if rs.RenameType == pg.ObjectType_OBJECT_VIEW && t.View == "" {
		return nil, &Error{Code: CodeWrongObjectType, Message: fmt.Sprintf("\"%s\" is not a view", old)}
	}
	if _, err := x.readTable(name, 0); err == nil {
		return nil, errorf(CodeDuplicateTable, "relation \"%s\" already exists", name)
	} else if AsError(err).Code != CodeUndefinedTable {
		return nil, err
	}
	if err := x.notAnIndex(name); err != nil {
		return nil, err
	}
	if x.s.isTemp(old) {
		// The new name's storage name is the session's too; the old one's is forgotten once the table has moved.
		tt := x.s.temps[old]
		tt.storage = strings.TrimSuffix(tt.storage, old) + name
		x.s.temps[name] = tt
		defer x.s.pruneTemps()
	}
	db := x.s.db()
	if t.View == "" {
		if err := db.renameCollection(x.base, old, name); err != nil {
			return nil, err
		}
	}
	// The views reading the relation follow it, as PostgreSQL's do.
	if err := x.renameInViews(old, name); err != nil {
		return nil, err
	}
	if !t.declared {
		return &Result{Tag: tag}, nil
	}
	renamed := func(s string) string {
		if s == old {
			return name
		}
		return s
	}
	nt := *t
	nt.Name = name
	// Its indexes keep their names, as in PostgreSQL: the primary key's is its table's old <table>_pkey, and
	// a UNIQUE constraint's index known as one by its name's pattern (<table>_<cols>_key) is listed in Uniques.
	if len(t.Key) > 0 {
		nt.PKName = t.pkeyName()
	}
	if t.View == "" {
		specs, err := db.collection(name).indexes(x.base)
		if err != nil {
			return nil, err
		}
		nt.Uniques = append(slices.Clone(t.Uniques), patternUniques(t, specs, "")...)
	}
	nt.ForeignKeys = slices.Clone(t.ForeignKeys)
	for i := range nt.ForeignKeys {
		nt.ForeignKeys[i].Table = renamed(nt.ForeignKeys[i].Table)
	}
	nt.ReferencedBy = slices.Clone(t.ReferencedBy)
	for i := range nt.ReferencedBy {
		nt.ReferencedBy[i] = renamed(nt.ReferencedBy[i])
	}
	if err := x.insertTable(x.base, &nt); err != nil {
		return nil, err
	}
	if err := db.collection(tablesCollection).deleteOne(x.base, bson.D{{Key: "_id", Value: x.catalogID(old)}}); err != nil {
		return nil, err
	}
	// The tables this one references know it by its new name, and those referencing it reference the new name.
	for _, fk := range t.ForeignKeys {
		if fk.Table == old {
			continue
		}
		if err := x.setReferencedBy(fk.Table, old, false); err != nil {
			return nil, err
		}
		if err := x.setReferencedBy(fk.Table, name, true); err != nil {
			return nil, err
		}
	}
	if err := x.editChildKeys(t, func(fk *foreignKey) { fk.Table = name }); err != nil {
		return nil, err
	}
	return &Result{Tag: tag}, nil
}

// editChildKeys applies edit to the foreign keys of other tables that reference t, and saves those tables.
func (x *exec) editChildKeys(t *table, edit func(*foreignKey)) error {
	for _, child := range t.ReferencedBy {
		if child == t.Name {
			continue
		}
		ct, err := x.readTable(child, 0)
		if err != nil {
			return err
		}
		cc := *ct
		cc.ForeignKeys = slices.Clone(ct.ForeignKeys)
		for i := range cc.ForeignKeys {
			if cc.ForeignKeys[i].Table == t.Name {
				edit(&cc.ForeignKeys[i])
			}
		}
		if err := x.saveTable(&cc); err != nil {
			return err
		}
	}
	return nil
}
