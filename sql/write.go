package sql

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/concorddb/concord"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// target resolves the table a write names, refusing catalogs and views, and takes its ROW EXCLUSIVE lock.
func (x *exec) target(rv *pg.RangeVar) (*table, string, error) {
	t, alias, err := x.writeTarget(rv, lockRowExclusive)
	if err == nil {
		err = viewNotWritable(t)
	}
	return t, alias, err
}

// targetLocked is target taking mode on the table.
func (x *exec) targetLocked(rv *pg.RangeVar, mode lockMode) (*table, string, error) {
	t, alias, err := x.writeTarget(rv, mode)
	if err == nil {
		err = viewNotWritable(t)
	}
	return t, alias, err
}

// writeTarget is target taking mode, a view too: INSERT, UPDATE and DELETE write through one (viewwrite.go).
func (x *exec) writeTarget(rv *pg.RangeVar, mode lockMode) (*table, string, error) {
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return nil, "", &Error{Code: CodeUndefinedTable, Message: fmt.Sprintf("relation \"%s.%s\" does not exist", rv.Schemaname, rv.Relname)}
	}
	if err := x.lockRelSeen(rv, mode, false); err != nil {
		return nil, "", err
	}
	t, err := x.lookupTable(rv.Relname, rv.Location)
	if err != nil {
		return nil, "", err
	}
	if err := x.matViewNotWritable(t); err != nil {
		return nil, "", err
	}
	alias := rv.Relname
	if rv.Alias != nil {
		alias = rv.Alias.Aliasname
	}
	return t, alias, nil
}

// sameNameAsTarget is PostgreSQL's 42712 for a FROM or USING item (a table, not a subquery or function) that takes
// the name the target table goes by in UPDATE ... FROM or DELETE ... USING.
func sameNameAsTarget(items []*pg.Node, alias string) error {
	for _, it := range items {
		rv := it.GetRangeVar()
		if rv == nil {
			continue
		}
		name := rv.Relname
		if rv.Alias != nil {
			name = rv.Alias.Aliasname
		}
		if name == alias {
			return &Error{Code: CodeDuplicateAlias, Message: fmt.Sprintf("table name %q specified more than once", alias)}
		}
	}
	return nil
}

// tableCols returns the columns of a table's rows, for RETURNING,
// EXCLUDED and typing.
func tableCols(t *table, alias string) []relCol {
	var cols []relCol
	for _, c := range t.Columns {
		cols = append(cols, relCol{qual: alias, name: c.Name, oid: c.Type, typmod: c.TypMod, field: t.field(c.Name)})
	}
	if !t.declared {
		cols = append(cols, relCol{qual: alias, name: "_id", field: "_id"})
	}
	return append(cols, relCol{qual: alias, hidden: true, open: !t.declared})
}

// rowOf reads a document as a row of cols.
func rowOf(cols []relCol, d bson.Raw) []any {
	row := make([]any, len(cols))
	for i, c := range cols {
		if c.hidden {
			row[i] = d
			continue
		}
		row[i] = cellValue(d, c)
	}
	return row
}

// cellValue is the value of column c in document d: its field's, and for a time column (stored as its text) a
// time.
func cellValue(d bson.Raw, c relCol) any {
	if c.oid == OIDJSONB || c.oid == OIDJSON {
		// A jsonb value, whatever it holds (a number, a string, an array), stays one: it compares, prints and
		// casts as jsonb.
		rv := lookupPath(d, c.field)
		switch rv.Type {
		case 0, bson.TypeUndefined:
			return nil // SQL's NULL is an absent field
		case bson.TypeNull:
			return rv // the JSON null: a value, 'null'::jsonb
		}
		if c.oid == OIDJSONB {
			return jsonbCanon(rv)
		}
		return rv
	}
	v := fromBSON(lookupPath(d, c.field))
	if f, ok := v.(float64); ok && c.oid == OIDNumeric {
		return decFromFloat(f) // a double written over the MongoDB port into a numeric column: its 15 digits
	}
	if e := enumOf(c.oid); e != nil {
		if s, ok := v.(string); ok {
			if _, isLabel := e.position(s); isLabel {
				return enumValue{typ: e, label: s}
			}
		}
	}
	if c.oid == OIDInet || c.oid == OIDCidr {
		if s, ok := v.(string); ok {
			if in, err := parseInet(s, c.oid == OIDCidr); err == nil {
				return in
			}
		}
	}
	if a, ok := v.([]any); ok && (c.oid == OIDInetArray || c.oid == OIDCidrArray) {
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = e
			if s, ok := e.(string); ok {
				if in, err := parseInet(s, c.oid == OIDCidrArray); err == nil {
					out[i] = in
				}
			}
		}
		return out
	}
	if c.oid == OIDUUID {
		if u, err := uuidInput(v); err == nil {
			return u // canonical, whatever form a document written over the MongoDB port holds
		}
	}
	if a, ok := v.([]any); ok && c.oid == OIDUUIDArray {
		out := make([]any, len(a))
		for i, e := range a {
			out[i] = e
			if u, err := uuidInput(e); err == nil {
				out[i] = u
			}
		}
		return out
	}
	if c.oid == OIDTime {
		if s, ok := v.(string); ok {
			if t, ok := parseTimeOfDay(s); ok {
				return t
			}
		}
	}
	if c.oid == OIDInterval { // an interval is stored as its text too
		if s, ok := v.(string); ok {
			if iv, err := parseInterval(s); err == nil {
				return iv
			}
		}
	}
	return v
}

// returning evaluates a RETURNING list over written documents.
func (x *exec) returning(list []*pg.Node, t *table, alias string, docs []bson.Raw, outer *scope) (*relation, error) {
	if list == nil {
		return nil, nil
	}
	cols := tableCols(t, alias)
	src := &relation{cols: cols}
	for _, d := range docs {
		src.rows = append(src.rows, rowOf(cols, d))
	}
	return x.project(&pg.SelectStmt{TargetList: list}, src, outer, -1)
}

// insertReturning is an INSERT's RETURNING list over the rows it wrote, where the system column xmax, as in
// PostgreSQL, is 0 for a row inserted and not for one ON CONFLICT DO UPDATE updated: RETURNING (xmax = 0) AS
// inserted tells them apart. updated is nil without ON CONFLICT.
func (x *exec) insertReturning(list []*pg.Node, t *table, alias string, docs []bson.Raw, updated []bool) (*relation, error) {
	if list == nil {
		return nil, nil
	}
	cols := append(tableCols(t, alias), relCol{qual: alias, name: "xmax", oid: OIDInt8, whole: true})
	src := &relation{cols: cols}
	for i, d := range docs {
		row := rowOf(cols, d)
		row[len(row)-1] = int64(0)
		if i < len(updated) && updated[i] {
			row[len(row)-1] = int64(1) // PostgreSQL's is the updating transaction's id; only its being nonzero counts
		}
		src.rows = append(src.rows, row)
	}
	return x.project(&pg.SelectStmt{TargetList: list}, src, nil, -1)
}

// insert runs INSERT ... VALUES | SELECT [ON CONFLICT] [RETURNING].
func (x *exec) insert(ins *pg.InsertStmt) (*relation, string, error) {
	if ins.WithClause != nil {
		pop, err := x.withCTEs(ins.WithClause, nil)
		if err != nil {
			return nil, "", err
		}
		defer pop()
	}
	t, alias, err := x.writeTarget(ins.Relation, lockRowExclusive)
	if err != nil {
		return nil, "", err
	}
	if t.View != "" {
		return x.insertView(t, ins) // its WITH queries are in scope already
	}
	if err := refuseWindowCalls(ins.ReturningList, "RETURNING"); err != nil {
		return nil, "", err
	}
	if oc := ins.OnConflictClause; oc != nil {
		if err := expandMultiAssign(oc.TargetList); err != nil {
			return nil, "", err
		}
		if err := checkIdentityUpdate(t, oc.TargetList); err != nil {
			return nil, "", err
		}
	}
	if !x.inTxn && !x.describe && len(t.ForeignKeys) > 0 {
		return nil, "", errNeedsTxn // before any value (a nextval) is computed, so that the rerun computes it once
	}
	if err := x.needsTriggerBlock(t, trigInsert); err != nil {
		return nil, "", err
	}
	if oc := ins.OnConflictClause; oc != nil && oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
		if err := x.needsTriggerBlock(t, trigUpdate); err != nil {
			return nil, "", err
		}
	}
	fires := !x.describe && t.hasTriggers(trigInsert)
	upFires := !x.describe && ins.OnConflictClause != nil && t.hasTriggers(trigUpdate)
	// Target columns.
	var names []string
	for _, c := range ins.Cols {
		rt := c.GetResTarget()
		if len(rt.Indirection) > 0 {
			return nil, "", unsupported("INSERT into a field of a column")
		}
		if t.declared && t.column(rt.Name) == nil {
			return nil, "", &Error{Code: CodeUndefinedColumn, Message: fmt.Sprintf("column %q of relation %q does not exist", rt.Name, t.Name), Position: int(rt.Location) + 1}
		}
		names = append(names, rt.Name)
	}
	if names == nil {
		if !t.declared {
			return nil, "", errorf(CodeSyntaxError, "INSERT into %q, a collection without declared columns, needs a column list", t.Name)
		}
		for _, c := range t.Columns {
			names = append(names, c.Name)
		}
	}
	// Source rows.
	m := x.planMark()
	var rows [][]any
	if ins.SelectStmt == nil {
		rows = [][]any{{}}
		names = nil
		x.planLeaf(m, "Result", "", "", len(rows))
	} else {
		sel := ins.SelectStmt.GetSelectStmt()
		if err := valuesFit(sel, ins, len(names)); err != nil {
			return nil, "", err
		}
		if x.describe && len(sel.ValuesLists) > 0 {
			dsc := &scope{}
			for _, l := range sel.ValuesLists {
				for i, e := range l.GetList().Items {
					if i < len(names) {
						x.hint(e, t.colType(names[i]), dsc)
					}
					x.typeOf(e, dsc)
				}
			}
		}
		if x.describe && len(sel.ValuesLists) == 0 {
			// Type the SELECT's outputs against the target columns.
			for i, tg := range sel.TargetList {
				if i < len(names) {
					x.hint(tg.GetResTarget().Val, t.colType(names[i]), &scope{})
				}
			}
		}
		for _, l := range sel.ValuesLists {
			for i, e := range l.GetList().Items {
				if i < len(names) {
					if err := x.checkAssign(t, names[i], e, &scope{}); err != nil {
						return nil, "", err
					}
				}
			}
		}
		x.insertValues = len(sel.ValuesLists) > 0
		rel, err := x.selectRows(sel, nil, -1)
		x.insertValues = false
		if err != nil {
			return nil, "", err
		}
		vis := rel.visible("")
		if err := checkSelectedTypes(t, names, sel, rel, vis); err != nil {
			return nil, "", err
		}
		if len(vis) > len(names) { // a SELECT's (VALUES are checked before they run: valuesFit)
			return nil, "", &Error{Code: CodeSyntaxError, Message: "INSERT has more expressions than target columns",
				Position: outputLocation(sel, len(names)) + 1}
		}
		if len(ins.Cols) > 0 && len(vis) < len(names) {
			// Only a column list must be filled: without one, the columns after the last value take their defaults.
			return nil, "", &Error{Code: CodeSyntaxError, Message: "INSERT has more target columns than expressions",
				Position: int(ins.Cols[len(vis)].GetResTarget().GetLocation()) + 1}
		}
		for _, r := range rel.rows {
			row := make([]any, len(vis))
			for i, c := range vis {
				row[i] = r[c]
			}
			rows = append(rows, row)
		}
	}
	if x.describe {
		if oc := ins.OnConflictClause; oc != nil {
			// Type DO UPDATE's parameters: SET's by their columns, WHERE's by what they are compared with.
			cols := append(tableCols(t, alias), tableCols(t, "excluded")...)
			sc := &scope{cols: cols, row: make([]any, len(cols))}
			for _, tg := range oc.TargetList {
				rt := tg.GetResTarget()
				x.hint(rt.Val, t.colType(rt.Name), sc)
				x.typeOf(rt.Val, sc)
			}
			x.condition(oc.WhereClause, sc)
		}
		x.planInsert(m, ins, t, alias, 0)
		rel, err := x.insertReturning(ins.ReturningList, t, alias, nil, nil)
		return rel, "INSERT 0 0", err
	}
	coll := x.writeColl(t)
	var written []bson.Raw
	var updated []bool // with ON CONFLICT, whether each row written was updated rather than inserted
	var count int
	// ON CONFLICT DO UPDATE: the rows the statement inserted or updated (by _id), and for a table without a primary
	// key the arbiter keys proposed so far: a row is not changed twice (21000).
	var affected, proposed map[string]bool
	var arbiters []conflictIndex
	if oc := ins.OnConflictClause; oc != nil {
		if arbiters, err = x.arbiters(oc, t); err != nil {
			return nil, "", err
		}
		if oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
			if err := ambiguousInConflict(t, oc); err != nil {
				return nil, "", err
			}
			affected, proposed = map[string]bool{}, map[string]bool{}
		}
	}
	if fires {
		if err := x.fireStatement(t, trigInsert, true, nil); err != nil {
			return nil, "", err
		}
	}
	if upFires {
		if err := x.fireStatement(t, trigUpdate, true, setNames(ins.OnConflictClause.TargetList)); err != nil {
			return nil, "", err
		}
	}
	var after []rowEvent // the rows written, in order, for AFTER row triggers
	for k, row := range rows {
		if err := checkGenerated(t, names, row); err != nil {
			return nil, "", err
		}
		switch ins.Override {
		case pg.OverridingKind_OVERRIDING_SYSTEM_VALUE: // the values given for GENERATED ALWAYS columns are taken
		case pg.OverridingKind_OVERRIDING_USER_VALUE:
			overrideUserValues(t, names, row)
		default:
			if err := checkIdentity(t, names, row); err != nil {
				return nil, "", err
			}
		}
		doc, err := x.document(t, names, row)
		if err != nil {
			return nil, "", placeInputError(err, ins, len(rows), k, t, names)
		}
		raw, err := bson.Marshal(doc)
		if err != nil {
			return nil, "", err
		}
		if fires {
			if raw, err = x.beforeInsert(t, raw); err != nil {
				return nil, "", err
			}
			if raw == nil {
				continue // a BEFORE trigger skipped the row
			}
		}
		if proposed != nil && len(t.Key) == 0 {
			if _, key, ok := conflictKey(arbiters[0], raw); ok {
				if proposed[key] {
					return nil, "", &Error{Code: CodeCardinalityViolation, Message: "ON CONFLICT DO UPDATE command cannot affect row a second time",
						Hint: "Ensure that no rows proposed for insertion within the same command have duplicate constrained values."}
				}
				proposed[key] = true
			}
		}
		if ins.OnConflictClause == nil {
			if err := coll.insertOne(x.ctx, bson.Raw(raw)); err != nil {
				if e := (*Error)(nil); errors.As(err, &e) && e.Code == CodeCheckViolation && e.Detail == "" && e.DataType == "" {
					e.Detail = x.failingRow(t, rowOf(tableCols(t, t.Name), raw))
				}
				return nil, "", err
			}
			written = append(written, raw)
			if fires {
				after = append(after, rowEvent{event: trigInsert, new: docValues(t, raw)})
			}
			count++
			continue
		}
		var before bson.Raw // the row DO UPDATE changed, as it was, when UPDATE triggers need it
		out, err := x.onConflict(ins.OnConflictClause, t, alias, coll, raw, arbiters, affected, &before)
		if err != nil {
			return nil, "", err
		}
		if out != nil {
			written = append(written, out)
			up := &out[0] != &raw[0]
			updated = append(updated, up)
			count++
			switch {
			case !up && fires:
				after = append(after, rowEvent{event: trigInsert, new: docValues(t, out)})
			case up && upFires && before != nil:
				after = append(after, rowEvent{event: trigUpdate, old: docValues(t, before), new: docValues(t, out)})
			}
		}
	}
	var set []string
	if upFires {
		set = setNames(ins.OnConflictClause.TargetList)
	}
	for _, ev := range after {
		if _, err := x.fireRow(t, ev.event, false, set, ev.old, ev.new); err != nil {
			return nil, "", err
		}
	}
	if upFires {
		if err := x.fireStatement(t, trigUpdate, false, set); err != nil {
			return nil, "", err
		}
	}
	if fires {
		if err := x.fireStatement(t, trigInsert, false, nil); err != nil {
			return nil, "", err
		}
	}
	x.planInsert(m, ins, t, alias, count)
	rel, err := x.insertReturning(ins.ReturningList, t, alias, written, updated)
	return rel, fmt.Sprintf("INSERT 0 %d", count), err
}

// document builds the document of one inserted row: the primary key as
// _id, values converted to the columns' types, NOT NULL checked.
func (x *exec) document(t *table, names []string, row []any) (bson.D, error) {
	doc, vals, err := x.document1(t, names, row)
	if e, ok := err.(*Error); ok && e.Code == CodeNotNullViolation && e.Detail == "" && e.DataType == "" && t.declared {
		cells := make([]any, len(t.Columns))
		for i, c := range t.Columns {
			cells[i] = vals[c.Name]
		}
		e.Detail = x.failingRow(t, cells)
	}
	return doc, err
}

// failingRow is PostgreSQL's detail of a row a NOT NULL or CHECK constraint refused: "Failing row contains (1,
// x, null)." with each of the table's columns (cells, in order; more are ignored) as its type's text output.
func (x *exec) failingRow(t *table, cells []any) string {
	var b strings.Builder
	b.WriteString("Failing row contains (")
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		v := cells[i]
		if _, isDefault := v.(defaultMarker); v == nil || isDefault {
			b.WriteString("null")
			continue
		}
		if cv, err := coerce(readInZone(v, c.Type, x.s.zone()), c.Type); err == nil {
			v = cv // a value given as text, read as the column's type
		}
		if tv, err := applyTypmod(v, c.Type, c.TypMod, false); err == nil {
			v = tv
		}
		if c.Type == OIDTimestamptz || c.Type == OIDTstzArray {
			v = inZone(v, x.s.zone())
		}
		b.WriteString(formatTyped(v, c.Type))
	}
	b.WriteString(").")
	return b.String()
}

// document1 is document, returning also the row's values by column, defaults filled in.
func (x *exec) document1(t *table, names []string, row []any) (bson.D, map[string]any, error) {
	vals := map[string]any{}
	for i, n := range names {
		if i < len(row) {
			vals[n] = row[i]
		}
	}
	// A column the INSERT leaves out, or gives DEFAULT, takes its default (NULL without one).
	for i := range t.Columns {
		c := &t.Columns[i]
		v, given := vals[c.Name]
		if _, isDefault := v.(defaultMarker); given && !isDefault {
			continue
		}
		d, err := x.columnDefault(c)
		if err != nil {
			return nil, vals, err
		}
		if d != nil || given {
			vals[c.Name] = d
		}
	}
	doc := bson.D{}
	if len(t.Key) == 1 {
		v := vals[t.Key[0]]
		if v == nil {
			return nil, vals, notNull(t.Name, t.Key[0])
		}
		sv, err := toStored(x.relativeTime(v, t.colType(t.Key[0])), t.colType(t.Key[0]), t.typmodOfColumn(t.Key[0]))
		if err != nil {
			return nil, vals, err
		}
		doc = append(doc, bson.E{Key: "_id", Value: sv})
	} else if len(t.Key) > 1 {
		id := bson.D{}
		for _, k := range t.Key {
			if vals[k] == nil {
				return nil, vals, notNull(t.Name, k)
			}
			sv, err := toStored(x.relativeTime(vals[k], t.colType(k)), t.colType(k), t.typmodOfColumn(k))
			if err != nil {
				return nil, vals, err
			}
			id = append(id, bson.E{Key: k, Value: sv})
		}
		doc = append(doc, bson.E{Key: "_id", Value: id})
	}
	if !t.declared {
		for i, n := range names {
			if i >= len(row) {
				continue
			}
			if _, isDefault := row[i].(defaultMarker); row[i] != nil && !isDefault {
				sv, err := toBSON(row[i], 0)
				if err != nil {
					return nil, vals, err
				}
				doc = append(doc, bson.E{Key: n, Value: sv})
			}
		}
		return doc, vals, nil
	}
	for _, c := range t.Columns {
		if t.field(c.Name) != c.Name || c.Generated != "" {
			continue // part of _id, or computed below
		}
		v := vals[c.Name]
		if v == nil {
			if c.NotNull {
				return nil, vals, notNull(t.Name, c.Name)
			}
			if c.Domain != "" {
				if err := x.checkDomainColumn(&c, nil); err != nil {
					return nil, vals, err
				}
			}
			continue
		}
		sv, err := toStored(x.relativeTime(v, c.Type), c.Type, c.TypMod)
		if err != nil {
			return nil, vals, err
		}
		if c.Domain != "" {
			if err := x.checkDomainColumn(&c, sv); err != nil {
				return nil, vals, err
			}
		}
		doc = append(doc, bson.E{Key: c.Name, Value: sv})
	}
	if t.hasGenerated() {
		gen, err := x.withGenerated(t, doc)
		return gen, vals, err
	}
	return doc, vals, nil
}

// conflictIndex is a unique index an ON CONFLICT clause arbitrates on: its name as the engine knows it ("_id_"
// for the primary key) and the stored fields of its key.
type conflictIndex struct {
	name   string
	fields []string
	// A partial index's WHERE clause (pred, over table t) and its filter: a row it does not cover conflicts with
	// none, and only rows it covers are conflicts.
	pred    *pg.Node
	partial bson.D
	t       *table
	// nullsNotDistinct: a NULLS NOT DISTINCT index, whose NULL key conflicts with another NULL.
	nullsNotDistinct bool
}

// arbiters returns the unique indexes an ON CONFLICT clause names, as PostgreSQL infers them: the primary key or
// UNIQUE constraint ON CONSTRAINT names, or every unique index whose columns are exactly the target's (in any
// order); without a target (DO NOTHING), every unique index of the table.
func (x *exec) arbiters(oc *pg.OnConflictClause, t *table) ([]conflictIndex, error) {
	if oc.Infer == nil && oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
		return nil, &Error{Code: CodeSyntaxError, Message: "ON CONFLICT DO UPDATE requires inference specification or constraint name",
			Hint: "For example, ON CONFLICT (column_name).", Position: int(oc.Location) + 1}
	}
	var pkey []conflictIndex
	if len(t.Key) > 0 {
		pkey = []conflictIndex{{name: "_id_", fields: []string{"_id"}}}
	}
	if oc.Infer != nil && oc.Infer.Conname == t.pkeyName() && pkey != nil {
		return pkey, nil
	}
	var want []string // the target's columns, sorted, without repeats
	if oc.Infer != nil && oc.Infer.Conname == "" {
		for _, e := range oc.Infer.IndexElems {
			ie := e.GetIndexElem()
			if ie.Name == "" {
				// An expression index's expression (exprindex.go), as indexColumns names it.
				text, err := deparseExpr(ie.Expr)
				if err != nil || !t.isIndexExpr(text) {
					return nil, errorf(CodeInvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
				}
				if !slices.Contains(want, text) {
					want = append(want, text)
				}
				continue
			}
			if t.declared && t.column(ie.Name) == nil {
				return nil, errorf(CodeUndefinedColumn, "column %q does not exist", ie.Name)
			}
			if !slices.Contains(want, ie.Name) {
				want = append(want, ie.Name)
			}
		}
		slices.Sort(want)
		if len(want) == 1 && t.field(want[0]) == "_id" || len(t.Key) > 0 && slices.Equal(want, slices.Sorted(slices.Values(t.Key))) {
			return []conflictIndex{{name: "_id_", fields: []string{"_id"}}}, nil
		}
	}
	specs, err := x.s.db().collection(t.Name).indexes(x.base) // outside the transaction, which cannot list them
	if err != nil {
		return nil, err
	}
	var out []conflictIndex
	for _, s := range specs {
		if !s.unique || s.name == "_id_" {
			continue
		}
		cols, _ := indexColumns(t, s.keys)
		ix := conflictIndex{name: s.name, t: t, nullsNotDistinct: slices.Contains(t.NullsNotDistinct, s.name)}
		for _, e := range s.keyDoc() {
			ix.fields = append(ix.fields, e.Key)
		}
		if text := t.Predicates[s.name]; text != "" {
			if ix.pred, err = parseExpr(text); err != nil {
				return nil, err
			}
			if _, ix.partial, err = x.indexPredicate(t, ix.pred); err != nil {
				return nil, err
			}
		}
		switch {
		case oc.Infer == nil:
			out = append(out, ix)
		case oc.Infer.Conname != "":
			// A UNIQUE constraint is its unique index, of the constraint's name (any unique index's name is taken).
			if t.indexName(s.name) == oc.Infer.Conname {
				return []conflictIndex{ix}, nil
			}
		default:
			slices.Sort(cols)
			if slices.Equal(slices.Compact(cols), want) && x.impliesPredicate(oc.Infer.WhereClause, t.Predicates[s.name]) {
				out = append(out, ix)
			}
		}
	}
	switch {
	case oc.Infer == nil:
		return append(pkey, out...), nil
	case oc.Infer.Conname != "":
		return nil, errorf(CodeUndefinedObject, "constraint %q for table %q does not exist", oc.Infer.Conname, t.Name)
	case out == nil:
		return nil, errorf(CodeInvalidColumnReference, "there is no unique or exclusion constraint matching the ON CONFLICT specification")
	}
	return out, nil
}

// conflictKey is the key raw proposes for ix, as a filter and as text (for telling proposals apart); ok is false
// when raw leaves a field of the key out (a NULL, which never conflicts, but on a NULLS NOT DISTINCT index, where
// it is the key null, which also finds a row without the field).
func conflictKey(ix conflictIndex, raw bson.Raw) (filter bson.D, key string, ok bool) {
	var b strings.Builder
	for _, f := range ix.fields {
		v, err := raw.LookupErr(strings.Split(f, ".")...)
		if (err != nil || v.Type == bson.TypeNull) && ix.nullsNotDistinct {
			filter = append(filter, bson.E{Key: f, Value: nil})
			b.WriteByte(byte(bson.TypeNull))
			continue
		}
		if err != nil || v.Type == bson.TypeNull {
			return nil, "", false
		}
		filter = append(filter, bson.E{Key: f, Value: v})
		b.WriteByte(byte(v.Type))
		b.Write(v.Value)
	}
	return filter, b.String(), true
}

// impliesPredicate reports whether an ON CONFLICT target's WHERE clause (where, nil for none) lets a partial
// index of clause pred (its text; "" for an index that is not partial) be an arbiter: PostgreSQL takes a partial
// index when the target's clause implies the index's. Concord knows the implication of a clause the same as the
// index's, once both are written as PostgreSQL's deparser writes them.
func (x *exec) impliesPredicate(where *pg.Node, pred string) bool {
	if pred == "" {
		return true
	}
	if where == nil {
		return false
	}
	text, err := deparseExpr(where)
	return err == nil && text == pred
}

// conflicting returns the row that conflicts with raw on one of the arbiter indexes, nil when none does.
func (x *exec) conflicting(coll backendColl, arbiters []conflictIndex, raw bson.Raw) (bson.Raw, error) {
	for _, ix := range arbiters {
		filter, _, ok := conflictKey(ix, raw)
		if !ok {
			continue
		}
		if ix.pred != nil {
			sc := &scope{cols: tableCols(ix.t, ix.t.Name)}
			sc.row = rowOf(sc.cols, raw)
			covered, err := x.eval(ix.pred, sc)
			if err != nil {
				return nil, err
			}
			if !truthy(covered) {
				continue // the index does not cover the proposed row
			}
			filter = bson.D{{Key: "$and", Value: bson.A{filter, ix.partial}}}
		}
		doc, err := coll.findOne(x.ctx, filter)
		if err == nil {
			return doc, nil
		}
		if !isNoDocuments(err) {
			return nil, err
		}
	}
	return nil, nil
}

// onConflict inserts raw under an ON CONFLICT clause and returns the document written: raw itself when it was
// inserted, the row as updated (and in before, when the table has UPDATE triggers, the row as it was), or nil when
// nothing was written. In a transaction (every ON CONFLICT statement runs in one) the arbiter indexes are looked up
// first, since a failed insert would abort the transaction; outside one the insert is tried and a duplicate key on
// an arbiter turns into the action, tried again if the conflicting row disappears in between. A duplicate key on
// any other unique index is the insert's error, as in PostgreSQL.
func (x *exec) onConflict(oc *pg.OnConflictClause, t *table, alias string, coll backendColl, raw bson.Raw, arbiters []conflictIndex, affected map[string]bool, before *bson.Raw) (bson.Raw, error) {
	touch := func(doc bson.Raw) { // the statement affected doc
		if id := doc.Lookup("_id"); affected != nil && id.Type != 0 {
			affected[string(id.Value)+string(rune(id.Type))] = true
		}
	}
	for attempt := 0; ; attempt++ {
		if attempt > 100 {
			return nil, errorf(CodeSerializationFailure, "could not settle ON CONFLICT after 100 attempts")
		}
		var existing bson.Raw
		var err error
		if x.inTxn {
			if existing, err = x.conflicting(coll, arbiters, raw); err != nil {
				return nil, err
			}
		}
		if existing == nil {
			err := coll.insertOne(x.ctx, raw)
			if err == nil {
				touch(raw)
				return raw, nil
			}
			if x.inTxn || !slices.ContainsFunc(arbiters, func(ix conflictIndex) bool { return ix.name == duplicateIndex(err) }) {
				return nil, err
			}
			if existing, err = x.conflicting(coll, arbiters, raw); err != nil {
				return nil, err
			}
			if existing == nil {
				continue // gone again
			}
		}
		if oc.Action == pg.OnConflictAction_ONCONFLICT_NOTHING {
			return nil, nil
		}
		id := existing.Lookup("_id")
		if affected[string(id.Value)+string(rune(id.Type))] {
			return nil, &Error{Code: CodeCardinalityViolation, Message: "ON CONFLICT DO UPDATE command cannot affect row a second time",
				Hint: "Ensure that no rows proposed for insertion within the same command have duplicate constrained values."}
		}
		idFilter := bson.D{{Key: "_id", Value: id}}
		targets := oc.TargetList
		for i := 0; i < len(targets); i++ {
			rt := targets[i].GetResTarget()
			if f := t.field(rt.GetName()); f == "_id" || strings.HasPrefix(f, "_id.") {
				if !keepsKey(rt, alias, f, existing, raw) {
					return nil, unsupported("changing a primary key column in ON CONFLICT DO UPDATE")
				}
				// SET id = EXCLUDED.id (as ORMs' upserts write) where the conflict was on that key: it stays.
				targets = slices.Delete(slices.Clone(targets), i, i+1)
				i--
			}
		}
		if len(targets) == 0 && oc.WhereClause == nil {
			touch(existing)
			return existing, nil
		}
		if len(targets) == 0 {
			return nil, unsupported("ON CONFLICT DO UPDATE ... WHERE that sets only the primary key")
		}
		// DO UPDATE: EXCLUDED is the proposed row.
		excl := &scope{cols: tableCols(t, "excluded")}
		excl.row = rowOf(excl.cols, raw)
		tr := &translator{x: x, t: t, alias: alias, outer: excl}
		upd, ok, err := tr.update(targets)
		if err != nil {
			return nil, err
		}
		filter := idFilter
		if ok && oc.WhereClause != nil {
			var f bson.D
			if f, ok, err = tr.filter(oc.WhereClause); err != nil {
				return nil, err
			}
			filter = mergeConds([]bson.D{idFilter, f})
		}
		if !ok || t.hasTriggers(trigUpdate) {
			after, done, err := x.onConflictByRow(oc, t, alias, coll, idFilter, excl, before)
			if after != nil {
				touch(after)
			}
			if err != nil || done {
				return after, err
			}
			if x.inTxn {
				return nil, errorf(CodeSerializationFailure, "could not serialize access due to concurrent delete")
			}
			continue
		}
		after, err := coll.findOneAndUpdate(x.ctx, filter, upd)
		if err == nil {
			touch(after)
			return after, nil
		}
		if !isNoDocuments(err) {
			return nil, err
		}
		// Not matched: the WHERE did not hold, or the row is gone.
		if _, err := coll.findOne(x.ctx, idFilter); err == nil {
			return nil, nil
		}
		if x.inTxn {
			return nil, errorf(CodeSerializationFailure, "could not serialize access due to concurrent delete")
		}
	}
}

// update runs UPDATE ... SET ... [FROM ...] [WHERE ...] [RETURNING ...].
// Without FROM, the SET list becomes update operators and the WHERE clause
// the filter: one atomic operation per document, which waits for a
// conflicting writer instead of failing. With FROM, the same is done once
// per row of the FROM clause, its values as constants.
func (x *exec) update(up *pg.UpdateStmt) (*relation, string, error) {
	if up.WithClause != nil {
		pop, err := x.withCTEs(up.WithClause, nil)
		if err != nil {
			return nil, "", err
		}
		defer pop()
	}
	t, alias, err := x.writeTarget(up.Relation, lockRowExclusive)
	if err != nil {
		return nil, "", err
	}
	if t.View != "" {
		return x.updateView(t, up) // its WITH queries are in scope already
	}
	if err := expandMultiAssign(up.TargetList); err != nil {
		return nil, "", err
	}
	if err := checkIdentityUpdate(t, up.TargetList); err != nil {
		return nil, "", err
	}
	if err := refuseWindowCalls(up.ReturningList, "RETURNING"); err != nil {
		return nil, "", err
	}
	if !x.inTxn && !x.describe && len(t.ForeignKeys) > 0 {
		return nil, "", errNeedsTxn
	}
	if err := x.needsTriggerBlock(t, trigUpdate); err != nil {
		return nil, "", err
	}
	fires := !x.describe && t.hasTriggers(trigUpdate)
	m := x.planMark()
	var target *planNode // how the rows to update were found (EXPLAIN)
	var sources []*scope
	var fromCols []relCol // FROM's columns, for RETURNING
	if len(up.FromClause) > 0 {
		if err := sameNameAsTarget(up.FromClause, alias); err != nil {
			return nil, "", err
		}
		from, err := x.fromClause(up.FromClause, nil, nil)
		if err != nil {
			return nil, "", err
		}
		fromCols = from.cols
		if err := ambiguousWithFrom(t, up, from); err != nil {
			return nil, "", err
		}
		if err := x.checkSetTypes(t, alias, up.TargetList, from.cols); err != nil {
			return nil, "", err
		}
		for _, r := range from.rows {
			sources = append(sources, &scope{cols: from.cols, row: r})
		}
		if x.describe {
			sources = []*scope{{cols: from.cols, row: make([]any, len(from.cols))}}
		}
	} else {
		sources = []*scope{nil}
		if err := x.checkSetTypes(t, alias, up.TargetList, nil); err != nil {
			return nil, "", err
		}
	}
	if x.describe {
		cols := tableCols(t, alias)
		sc := &scope{cols: cols, row: make([]any, len(cols)), outer: sources[0]}
		for _, tg := range up.TargetList {
			rt := tg.GetResTarget()
			x.hint(rt.Val, t.colType(rt.Name), sc)
			x.typeOf(rt.Val, sc)
		}
		x.condition(up.WhereClause, sc)
		if x.recording() {
			// The translation the run makes decides between one engine update and Concord's row by row.
			tr := &translator{x: x, t: t, alias: alias, outer: sources[0], fromRow: true}
			if fromCols == nil {
				tr = x.newTranslator(up, t, alias)
			}
			upd, okU, errU := tr.update(up.TargetList)
			filter, okF, errF := tr.filter(up.WhereClause)
			pushed := okU && okF && errU == nil && errF == nil
			how := updateHow(pushed, filter, up.ReturningList != nil || fromCols != nil)
			if fromCols != nil && pushed {
				// The engine's filter and update are made from each FROM row's values, which a plan does not
				// have: the WHERE clause stands for them.
				pushed, how = false, how+", its filter and update made from each FROM row"
			}
			x.planWriteTarget(x.planMark(), &target, t, alias, pushed, filter, upd, how, up.WhereClause, 0)
			x.planModify(m, "Update", t, alias, target, 0)
		}
		if fromCols != nil {
			rel, err := x.returningPaired(up.ReturningList, t, alias, nil, nil, fromCols)
			return rel, "UPDATE 0", err
		}
		rel, err := x.returning(up.ReturningList, t, alias, nil, nil)
		return rel, "UPDATE 0", err
	}
	coll := x.writeColl(t)
	var written []bson.Raw
	var pairs [][]any // with FROM, the FROM row each written row was paired with
	var count int64
	done := map[string]bool{} // with FROM, a row is updated once
	if fires {
		if err := x.fireStatement(t, trigUpdate, true, setNames(up.TargetList)); err != nil {
			return nil, "", err
		}
	}
	for _, src := range sources {
		ms := x.planMark()
		tr := &translator{x: x, t: t, alias: alias, outer: src, fromRow: true}
		if src == nil {
			tr = x.newTranslator(up, t, alias)
		}
		upd, okU, err := tr.update(up.TargetList)
		if err != nil {
			return nil, "", err
		}
		filter, okF, err := tr.filter(up.WhereClause)
		if err != nil {
			return nil, "", err
		}
		if !okU || !okF || fires {
			n, docs, err := x.updateByRows(t, alias, coll, up, src, done)
			if err != nil {
				return nil, "", err
			}
			x.planWriteTarget(ms, &target, t, alias, false, nil, nil, updateHow(false, nil, true), up.WhereClause, int(n))
			count += n
			written = append(written, docs...)
			pairs = pairSource(pairs, src, len(docs))
			continue
		}
		x.publishPlan(tr)
		if !x.inTxn && !byKey(filter) {
			// A statement is atomic: an UPDATE of many rows that fails on one (a unique or CHECK violation, a
			// cancel) must leave none changed, so it runs as an internal transaction, retried on conflicts.
			return nil, "", errNeedsTxn
		}
		if up.ReturningList == nil && len(sources) == 1 {
			write := coll.updateMany
			if byKey(filter) {
				write = coll.updateOne // the same outcome, without a scan
			}
			matched, err := write(x.ctx, filter, upd)
			if err != nil {
				return nil, "", x.failingUpdate(err, t, alias, up, filter)
			}
			x.planWriteTarget(ms, &target, t, alias, true, filter, upd, updateHow(true, filter, false), nil, int(matched))
			count += matched
			continue
		}
		n, docs, err := x.updateEach(coll, filter, upd, done)
		if err != nil {
			return nil, "", x.failingUpdate(err, t, alias, up, filter)
		}
		x.planWriteTarget(ms, &target, t, alias, true, filter, upd, updateHow(true, filter, true), nil, int(n))
		count += n
		written = append(written, docs...)
		pairs = pairSource(pairs, src, len(docs))
	}
	if fires {
		if err := x.fireStatement(t, trigUpdate, false, setNames(up.TargetList)); err != nil {
			return nil, "", err
		}
	}
	x.planModify(m, "Update", t, alias, target, int(count))
	var rel *relation
	if len(up.FromClause) > 0 {
		rel, err = x.returningPaired(up.ReturningList, t, alias, written, pairs, fromCols)
	} else {
		rel, err = x.returning(up.ReturningList, t, alias, written, nil)
	}
	return rel, fmt.Sprintf("UPDATE %d", count), err
}

// placeInputError gives err, the failure of row k's values to become a row of t, the position of the literal
// that caused it when the rows are an INSERT's VALUES list: a string literal that is not valid input for its
// column's type is, in PostgreSQL, an error at that literal (22P02, or 22007 and 22008 for dates and times, or
// 22P05 for jsonb's \u0000).
func placeInputError(err error, ins *pg.InsertStmt, nrows, k int, t *table, names []string) error {
	e, ok := err.(*Error)
	if !ok || e.Position != 0 || (e.Code != CodeInvalidTextRep && e.Code != "22007" && e.Code != "22008" && e.Code != CodeUntranslatableCharacter) {
		return err
	}
	lists := ins.GetSelectStmt().GetSelectStmt().GetValuesLists()
	if len(lists) != nrows || k >= len(lists) {
		return err
	}
	for j, item := range lists[k].GetList().GetItems() {
		if j >= len(names) || !isStringLiteral(item) {
			continue
		}
		c := item.GetAConst()
		if _, cerr := coerce(c.GetSval().GetSval(), t.colType(names[j])); cerr != nil && AsError(cerr).Message == e.Message {
			e.Position = int(c.Location) + 1
			break
		}
	}
	return err
}

// pairSource appends n copies of src's row (nil for none) to pairs: the FROM row of each of n rows written.
func pairSource(pairs [][]any, src *scope, n int) [][]any {
	for range n {
		if src == nil {
			pairs = append(pairs, nil)
		} else {
			pairs = append(pairs, src.row)
		}
	}
	return pairs
}

// byKey reports whether filter holds an equality on _id to a plain value
// (no operator, document or array): at most one document, the one with that
// _id, can match it.
func byKey(filter bson.D) bool {
	for _, e := range filter {
		if e.Key != "_id" {
			continue
		}
		switch e.Value.(type) {
		case nil, bson.D, bson.M, bson.Raw, bson.A, bson.RawValue, map[string]any, []any:
			return false
		}
		return true
	}
	return false
}

// updateEach updates the documents matching filter one at a time, each
// atomically re-checked against filter, and returns them as written.
func (x *exec) updateEach(coll backendColl, filter bson.D, upd any, done map[string]bool) (int64, []bson.Raw, error) {
	ids, err := x.matchingIDs(coll, filter)
	if err != nil {
		return 0, nil, err
	}
	var n int64
	var docs []bson.Raw
	for _, id := range ids {
		key := string(id.Value) + string(rune(id.Type))
		if done[key] {
			continue
		}
		f := mergeConds([]bson.D{{{Key: "_id", Value: id}}, filter})
		after, err := coll.findOneAndUpdate(x.ctx, f, upd)
		if isNoDocuments(err) {
			continue
		}
		if err != nil {
			return 0, nil, err
		}
		done[key] = true
		n++
		docs = append(docs, after)
	}
	return n, docs, nil
}

// matchingIDs returns the _id of every document matching filter.
func (x *exec) matchingIDs(coll backendColl, filter bson.D) ([]bson.RawValue, error) {
	docs, err := coll.find(x.ctx, filter, bson.D{{Key: "_id", Value: 1}}, 0)
	if err != nil {
		return nil, err
	}
	ids := make([]bson.RawValue, len(docs))
	for i, d := range docs {
		ids[i] = d.Lookup("_id")
	}
	return ids, nil
}

// updateByRows is UPDATE for what the query language cannot express: the
// rows are read, the WHERE clause and the new values computed here, and
// each row written with a $set guarded by its _id. It runs in a
// transaction (a block or an internal one), whose snapshot and
// first-updater-wins rule make a concurrent change of the same row a write
// conflict rather than a lost update.
func (x *exec) updateByRows(t *table, alias string, coll backendColl, up *pg.UpdateStmt, src *scope, done map[string]bool) (int64, []bson.Raw, error) {
	if !x.inTxn {
		return 0, nil, errNeedsTxn
	}
	rel, err := x.scan(t, alias, nil)
	if err != nil {
		return 0, nil, err
	}
	// Every row's WHERE and new values are computed before the first is written, so that a subquery reading the
	// table (SET x = (SELECT ... FROM t ...)) sees it as the statement found it, as in PostgreSQL.
	type change struct {
		doc bson.Raw
		set bson.D
	}
	var changes []change
	for _, row := range rel.rows {
		sc := &scope{cols: rel.cols, row: row, outer: src}
		doc := row[len(row)-1].(bson.Raw)
		id := doc.Lookup("_id")
		if done[string(id.Value)+string(rune(id.Type))] {
			continue // with FROM, a row is updated once, by the first source row paired with it
		}
		if up.WhereClause != nil {
			v, err := x.eval(up.WhereClause, sc)
			if err != nil {
				return 0, nil, err
			}
			if !truthy(v) {
				continue
			}
		}
		set, err := x.setOf(t, up.TargetList, sc)
		if err != nil {
			return 0, nil, err
		}
		changes = append(changes, change{doc, set})
	}
	var n int64
	var docs []bson.Raw
	fires := t.hasTriggers(trigUpdate)
	setCols := setNames(up.TargetList)
	var olds [][]any // the rows' values before, for AFTER row triggers
	for _, c := range changes {
		doc := c.doc
		id := doc.Lookup("_id")
		key := string(id.Value) + string(rune(id.Type))
		if fires {
			var err error
			if c.set, err = x.beforeUpdate(t, doc, c.set, setCols, true); err != nil {
				return 0, nil, err
			}
			if c.set == nil {
				continue // a BEFORE trigger skipped the row
			}
		}
		moved, newID, set, err := x.moveKey(t, coll, doc, c.set)
		if err != nil {
			return 0, nil, err
		}
		if moved != nil || len(set) == 0 {
			if moved == nil {
				moved, newID = doc, id // the key set to the value it had, and nothing else
			}
			done[key] = true
			done[string(newID.Value)+string(rune(newID.Type))] = true
			n++
			docs = append(docs, moved)
			olds = append(olds, docValues(t, doc))
			continue
		}
		after, err := coll.findOneAndUpdate(x.ctx, bson.D{{Key: "_id", Value: id}},
			operators([]string{"$set"}, map[string]bson.D{"$set": set}))
		if isNoDocuments(err) {
			continue
		}
		if err != nil {
			if e := AsError(err); e.Code == CodeCheckViolation && e.Detail == "" && e.DataType == "" && t.declared {
				e.Detail = x.failingUpdateRow(t, doc, set, "")
				return 0, nil, e
			}
			return 0, nil, err
		}
		done[key] = true
		n++
		docs = append(docs, after)
		olds = append(olds, docValues(t, doc))
	}
	if fires {
		for i, after := range docs {
			if _, err := x.fireRow(t, trigUpdate, false, setCols, olds[i], docValues(t, after)); err != nil {
				return 0, nil, err
			}
		}
	}
	return n, docs, nil
}

// failingUpdateRow is the "Failing row contains (...)" detail of an UPDATE of doc by set (and field, when not "",
// set to NULL) that a constraint refused.
func (x *exec) failingUpdateRow(t *table, doc bson.Raw, set bson.D, field string) string {
	return x.failingRow(t, rowOf(tableCols(t, t.Name), applySet(doc, set, field)))
}

// applySet is doc with set's top-level fields given their values, and field (when not "") set to NULL: the row an
// UPDATE would write, for the detail of a constraint that refuses it.
func applySet(doc bson.Raw, set bson.D, field string) bson.Raw {
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return doc
	}
	put := func(k string, v any) {
		for i := range d {
			if d[i].Key == k {
				d[i].Value = v
				return
			}
		}
		d = append(d, bson.E{Key: k, Value: v})
	}
	for _, e := range set {
		put(e.Key, e.Value)
	}
	if field != "" {
		put(field, nil)
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return doc
	}
	return raw
}

// failingUpdate gives err, a CHECK violation of an UPDATE of t written as update operators, PostgreSQL's detail:
// the row as the UPDATE would have written it, its SET list evaluated over the row the refused write was about
// (read again; the engine's error names it) or, for an UPDATE by key, the row the key names.
func (x *exec) failingUpdate(err error, t *table, alias string, up *pg.UpdateStmt, filter bson.D) error {
	e := AsError(err)
	if e == nil || e.Code != CodeCheckViolation || e.Detail != "" || e.DataType != "" || !t.declared {
		return err
	}
	var id any
	var ce *concord.Error
	if errors.As(err, &ce) {
		for _, f := range ce.ErrInfo {
			if f.Key == "failingDocumentId" {
				id = f.Value
			}
		}
	}
	if id == nil && byKey(filter) {
		id = filter[0].Value
	}
	if id == nil {
		return e
	}
	// In a transaction block the row is read in its transaction, which may have written it before. Outside
	// one the statement's own transaction (an internal one, which the error ended) is not read: the row is read
	// as committed, which is what the statement found, as no other part of it wrote that row.
	y := *x
	if x.s.status == TxIdle {
		y.ctx, y.inTxn = x.base, false
	}
	rel, serr := y.scan(t, alias, bson.D{{Key: "_id", Value: id}})
	if serr != nil || len(rel.rows) != 1 {
		return e
	}
	row := rel.rows[0]
	sc := &scope{cols: rel.cols, row: row}
	set, serr := y.setOf(t, up.TargetList, sc)
	doc, ok := row[len(row)-1].(bson.Raw)
	if serr != nil || !ok {
		return e
	}
	e.Detail = x.failingUpdateRow(t, doc, set, "")
	return e
}

// moveKey writes a row whose primary key set changes: the storage keeps a document's _id for its life, so the row
// is deleted and inserted again under its new key, in the statement's transaction (a key another row holds is
// 23505, as in PostgreSQL, which checks the key row by row). It returns the new document and its _id, or nil when
// set leaves the key as it is, and set without its _id entries when the key stays. The rows of other tables whose
// foreign keys reference the old key follow it by the keys' ON UPDATE actions, as in PostgreSQL.
func (x *exec) moveKey(t *table, coll backendColl, doc bson.Raw, set bson.D) (bson.Raw, bson.RawValue, bson.D, error) {
	isKey := func(e bson.E) bool { return e.Key == "_id" || strings.HasPrefix(e.Key, "_id.") }
	if !slices.ContainsFunc(set, isKey) {
		return nil, bson.RawValue{}, set, nil
	}
	if slices.Contains(t.ReferencedBy, t.Name) {
		// A table referencing itself: an ON UPDATE action of a row the statement moved before may have changed
		// this row since the statement read it (UPDATE tree SET id = id * 10 with a cascade to the children).
		if cur, err := x.s.db().collection(t.Name).findOne(x.ctx, bson.D{{Key: "_id", Value: doc.Lookup("_id")}}); err == nil {
			doc = cur
		}
	}
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil, bson.RawValue{}, nil, err
	}
	for _, e := range set {
		d = setPath(d, strings.Split(e.Key, "."), e.Value)
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, bson.RawValue{}, nil, err
	}
	oldID, newID := doc.Lookup("_id"), bson.Raw(raw).Lookup("_id")
	if oldID.Type == newID.Type && bytes.Equal(oldID.Value, newID.Value) {
		return nil, bson.RawValue{}, slices.DeleteFunc(slices.Clone(set), isKey), nil
	}
	del := coll
	if len(t.ReferencedBy) > 0 {
		// The children follow the key by their ON UPDATE actions (parentChanged, below), not by ON DELETE's.
		del = x.s.db().collection(t.Name)
	}
	if err := del.deleteOne(x.ctx, bson.D{{Key: "_id", Value: oldID}}); err != nil {
		return nil, bson.RawValue{}, nil, err
	}
	if err := coll.insertOne(x.ctx, bson.Raw(raw)); err != nil {
		return nil, bson.RawValue{}, nil, err
	}
	if len(t.ReferencedBy) > 0 {
		if err := x.parentChanged(x.ctx, t, doc, raw); err != nil {
			return nil, bson.RawValue{}, nil, err
		}
	}
	return raw, newID, nil, nil
}

// setPath sets the value at a dotted path of d (a column, or a key column inside a composite _id), removing it
// for NULL, as SQL stores a NULL.
func setPath(d bson.D, path []string, v any) bson.D {
	for i, e := range d {
		if e.Key != path[0] {
			continue
		}
		if len(path) == 1 {
			if v == nil {
				return append(d[:i:i], d[i+1:]...)
			}
			d[i].Value = v
			return d
		}
		if sub, ok := e.Value.(bson.D); ok {
			d[i].Value = setPath(sub, path[1:], v)
		}
		return d
	}
	if len(path) == 1 && v != nil {
		return append(d, bson.E{Key: path[0], Value: v})
	}
	return d
}

// ambiguousInConflict refuses, as PostgreSQL does (42702), an unqualified reference to a column in ON CONFLICT
// DO UPDATE's SET list or WHERE condition: it names both the table's column and EXCLUDED's.
func ambiguousInConflict(t *table, oc *pg.OnConflictClause) error {
	return ambiguousName(t, oc.TargetList, oc.WhereClause, func(string) bool { return true })
}

// ambiguousWithFrom refuses, as PostgreSQL does (42702), an unqualified column in UPDATE ... FROM's SET values or
// WHERE clause that both the target table and a FROM item have: the two are in one scope.
func ambiguousWithFrom(t *table, up *pg.UpdateStmt, from *relation) error {
	return ambiguousName(t, up.TargetList, up.WhereClause, func(name string) bool {
		return slices.ContainsFunc(from.cols, func(c relCol) bool { return !c.hidden && !c.merged && c.name == name })
	})
}

// ambiguousName is 42702 for the first unqualified name in a SET list's values or a WHERE clause (outside
// subqueries) that is a column of t and that also names something else in scope (also). A schemaless table's
// names are its documents' fields: none is refused.
func ambiguousName(t *table, targets []*pg.Node, where *pg.Node, also func(name string) bool) error {
	if !t.declared {
		return nil
	}
	var bad *pg.ColumnRef
	find := func(n *pg.Node) bool {
		cr := n.GetColumnRef()
		if cr == nil || len(cr.Fields) != 1 {
			return false
		}
		if name := columnFields(cr)[0]; name != "*" && t.column(name) != nil && also(name) {
			bad = cr
			return true
		}
		return false
	}
	nodes := []*pg.Node{where}
	for _, tg := range targets {
		nodes = append(nodes, tg.GetResTarget().Val)
	}
	for _, n := range nodes {
		if n != nil && walkNoSub(n, find) {
			return &Error{Code: CodeAmbiguousColumn, Message: fmt.Sprintf("column reference %q is ambiguous", columnFields(bad)[0]), Position: int(bad.Location) + 1}
		}
	}
	return nil
}

// setOf evaluates a SET list over the row in sc: the fields to set, their values stored in their columns' types.
func (x *exec) setOf(t *table, targets []*pg.Node, sc *scope) (bson.D, error) {
	set := bson.D{}
	// The values assigned so far by subscripts, by column: SET a[1] = x, a[2] = y assigns both, the second to the
	// array the first made.
	subscripted := map[string]any{}
	assigned := map[string]bool{}
	for _, tg := range targets {
		rt := tg.GetResTarget()
		c := t.column(rt.Name) // nil for a schemaless table's field
		base, bySubscript := subscripted[rt.Name]
		if assigned[rt.Name] && (!bySubscript || len(rt.Indirection) == 0) {
			return nil, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("multiple assignments to same column \"%s\"", rt.Name),
				Position: int(rt.Location) + 1}
		}
		assigned[rt.Name] = true
		var v any
		var err error
		switch {
		case len(rt.Indirection) > 0:
			if !bySubscript {
				if base, _, _, err = sc.lookup([]string{rt.Name}); err != nil {
					return nil, err
				}
			}
			v, err = x.assignElement(t, rt, sc, base)
			subscripted[rt.Name] = v
		case rt.Val.GetSetToDefault() != nil:
			if c != nil {
				v, err = x.columnDefault(c)
			}
		default:
			v, err = x.eval(rt.Val, sc)
		}
		if err != nil {
			return nil, err
		}
		var oid uint32
		var typmod int32
		if c != nil {
			if c.NotNull && v == nil {
				e := notNull(t.Name, rt.Name)
				if doc, ok := sc.row[len(sc.row)-1].(bson.Raw); ok && t.declared {
					e.Detail = x.failingUpdateRow(t, doc, set, t.field(rt.Name))
				}
				return nil, e
			}
			oid, typmod = c.Type, c.TypMod
		}
		sv, err := toStored(x.relativeTime(v, oid), oid, typmod)
		if err != nil {
			return nil, err
		}
		if c != nil && c.Domain != "" && len(rt.Indirection) == 0 {
			if err := x.checkDomainColumn(c, sv); err != nil {
				return nil, err
			}
		}
		if i := slices.IndexFunc(set, func(e bson.E) bool { return e.Key == t.field(rt.Name) }); i >= 0 {
			set[i].Value = sv // a later subscript's assignment to the same column
			continue
		}
		set = append(set, bson.E{Key: t.field(rt.Name), Value: sv})
	}
	return set, nil
}

// assignElement is the new value of the array column an UPDATE assigns one element of (SET tags[2] = 'x'): cur,
// the row's array or the one an earlier subscript of the statement made, with that element set, NULLs filling any gap before it, as PostgreSQL extends an array. A NULL
// or empty array takes the value as its first element. A slice, a subscript below 1 (PostgreSQL's arrays may start
// elsewhere; Concord's start at 1), more than one subscript, a field, and a column that is not an array are 0A000.
func (x *exec) assignElement(t *table, rt *pg.ResTarget, sc *scope, cur any) (any, error) {
	c := t.column(rt.Name)
	if c != nil && c.Type == OIDJSONB {
		return x.assignJSON(rt, sc, cur)
	}
	ind := rt.Indirection[0].GetAIndices()
	if c == nil || !isArrayType(c.Type) || IsVector(c.Type) || len(rt.Indirection) != 1 || ind == nil || ind.IsSlice {
		return nil, unsupported("assigning to a field or an element of a column but one element of an array column")
	}
	sub, err := x.assignSubscript(ind, sc, "array")
	if err != nil {
		return nil, err
	}
	iv, err := coerce(sub, OIDInt4)
	if err != nil {
		return nil, err
	}
	i := iv.(int64)
	elem, err := x.eval(rt.Val, sc)
	if err != nil {
		return nil, err
	}
	if elem != nil {
		if elem, err = coerce(elem, types[c.Type].elem); err != nil {
			return nil, atLiteral(err, rt.Val)
		}
	}
	arr, _ := cur.([]any)
	if slices.ContainsFunc(arr, func(e any) bool { _, nested := e.([]any); return nested }) {
		return nil, unsupported("assigning to an element of a multi-dimensional array")
	}
	if i < 1 || (len(arr) == 0 && i != 1) || i > 1<<20 {
		// PostgreSQL's array would start at i ([3:3]={x}): Concord's arrays start at 1.
		return nil, unsupported(fmt.Sprintf("assigning to element %d of an array of %d elements", i, len(arr)))
	}
	out := append([]any(nil), arr...)
	for int64(len(out)) < i {
		out = append(out, nil)
	}
	out[i-1] = elem
	return out, nil
}

// assignSubscript is the value of an assignment's subscript, of an array or jsonb (what): 22004 when NULL.
func (x *exec) assignSubscript(ind *pg.A_Indices, sc *scope, what string) (any, error) {
	v, err := x.eval(ind.Uidx, sc)
	if err == nil && v == nil {
		err = errorf(CodeNullValueNotAllowed, "%s subscript in assignment must not be null", what)
	}
	return v, err
}

// assignJSON is the new value of the jsonb column an UPDATE assigns by subscripts (SET meta['a']['b'] = '1') in cur, as
// PostgreSQL's jsonb subscripting assigns: a NULL column starts as an empty object (an array for an integer first
// subscript), a missing key along the path is created (as an array when the next subscript is an integer), an
// array is padded with nulls up to an index past its end, and a negative index counts from the end.
func (x *exec) assignJSON(rt *pg.ResTarget, sc *scope, cur any) (any, error) {
	var subs []any // each a string key or an int index
	for _, in := range rt.Indirection {
		ind := in.GetAIndices()
		if ind == nil || ind.IsSlice {
			return nil, unsupported("assigning to a jsonb slice or field")
		}
		v, err := x.assignSubscript(ind, sc, "jsonb")
		if err != nil {
			return nil, err
		}
		if isIntType(x.typeOf(ind.Uidx, sc)) {
			iv, err := coerce(v, OIDInt4)
			if err != nil {
				return nil, err
			}
			subs = append(subs, int(iv.(int64)))
		} else {
			subs = append(subs, formatText(v))
		}
	}
	elem, err := x.eval(rt.Val, sc)
	if err != nil {
		return nil, err
	}
	if elem, err = coerce(elem, OIDJSONB); err != nil {
		return nil, atLiteral(err, rt.Val)
	}
	var nv any = nil // SQL NULL assigned is the JSON null
	if elem != nil {
		j, err := jsonOf(elem)
		if err != nil {
			return nil, err
		}
		if err := bson.UnmarshalValue(j.Type, j.Value, &nv); err != nil {
			return nil, err
		}
	}
	var target any
	if cur == nil {
		target = bson.D{}
		if _, isIndex := subs[0].(int); isIndex {
			target = bson.A{}
		}
	} else {
		j, err := jsonOf(cur)
		if err != nil {
			return nil, err
		}
		if err := bson.UnmarshalValue(j.Type, j.Value, &target); err != nil {
			return nil, err
		}
	}
	out, err := assignJSONPath(target, subs, 0, nv)
	if err != nil {
		return nil, err
	}
	t, data, err := bson.MarshalValue(out)
	if err != nil {
		return nil, err
	}
	return jsonbCanon(bson.RawValue{Type: t, Value: data}), nil
}

// assignJSONPath is target with the value at subs[at:] set to nv (assignJSON).
func assignJSONPath(target any, subs []any, at int, nv any) (any, error) {
	if at == len(subs) {
		return nv, nil
	}
	scalar := &Error{Code: CodeInvalidParameterValue, Message: "cannot replace existing key",
		Detail: "The path assumes key is a composite object, but it is a scalar value."}
	next := func(cur any, existed bool) (any, error) {
		if cur == nil && existed && at+1 < len(subs) {
			return nil, scalar // a JSON null on the way
		}
		if cur == nil && at+1 < len(subs) {
			if _, isIndex := subs[at+1].(int); isIndex {
				cur = bson.A{}
			} else {
				cur = bson.D{}
			}
		}
		return assignJSONPath(cur, subs, at+1, nv)
	}
	switch t := target.(type) {
	case bson.D:
		key := fmt.Sprint(subs[at])
		out := append(bson.D{}, t...)
		for i := range out {
			if out[i].Key == key {
				v, err := next(out[i].Value, true)
				if err != nil {
					return nil, err
				}
				out[i].Value = v
				return out, nil
			}
		}
		v, err := next(nil, false)
		if err != nil {
			return nil, err
		}
		return append(out, bson.E{Key: key, Value: v}), nil
	case bson.A:
		i, isIndex := subs[at].(int)
		if !isIndex {
			n, err := strconv.Atoi(subs[at].(string))
			if err != nil {
				return nil, errorf(CodeInvalidTextRep, "path element at position %d is not an integer: \"%s\"", at+1, subs[at])
			}
			i = n
		}
		if i < 0 {
			if i+len(t) < 0 {
				return nil, errorf(CodeInvalidParameterValue, "path element at position %d is out of range: %d", at+1, i)
			}
			i += len(t)
		}
		if i > len(t)+1<<20 {
			return nil, unsupported(fmt.Sprintf("assigning to element %d of a jsonb array of %d elements", i, len(t)))
		}
		out := append(bson.A{}, t...)
		for len(out) <= i {
			out = append(out, nil)
		}
		v, err := next(out[i], i < len(t))
		if err != nil {
			return nil, err
		}
		out[i] = v
		return out, nil
	}
	return nil, scalar
}

// onConflictByRow is ON CONFLICT DO UPDATE for a SET list or WHERE condition that update operators cannot express
// (`s = t.s || excluded.s`, `p = t.p * 2`): it reads the conflicting row, evaluates them over it and writes the
// result. Every ON CONFLICT statement runs in a transaction (needsTxn), whose conflict check refuses the write if
// the row changed after the read, and whose retry (or the client's, in a transaction block) reads it again: a
// concurrent change is never overwritten. It returns the row written, or nil with done set when the WHERE
// condition is false; done unset asks the caller to try again (the row went away in between).
func (x *exec) onConflictByRow(oc *pg.OnConflictClause, t *table, alias string, coll backendColl, idFilter bson.D, excl *scope, before *bson.Raw) (after bson.Raw, done bool, err error) {
	old, err := coll.findOne(x.ctx, idFilter)
	if isNoDocuments(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	cols := tableCols(t, alias)
	sc := &scope{cols: cols, row: rowOf(cols, old), outer: excl}
	if oc.WhereClause != nil {
		v, err := x.eval(oc.WhereClause, sc)
		if err != nil {
			return nil, false, err
		}
		if !truthy(v) {
			return nil, true, nil
		}
	}
	set, err := x.setOf(t, oc.TargetList, sc)
	if err != nil {
		return nil, false, err
	}
	if t.hasTriggers(trigUpdate) {
		if set, err = x.beforeUpdate(t, old, set, setNames(oc.TargetList), false); err != nil {
			return nil, false, err
		}
		if set == nil {
			return nil, true, nil // a BEFORE trigger skipped the update
		}
		*before = old
	}
	after, err = coll.findOneAndUpdate(x.ctx, idFilter, operators([]string{"$set"}, map[string]bson.D{"$set": set}))
	if isNoDocuments(err) {
		return nil, false, nil
	}
	return after, err == nil, err
}

// deleteUsing runs DELETE FROM t USING items WHERE ... [RETURNING ...]: a row of t goes when the WHERE clause
// holds for it and some row of the USING items, as in PostgreSQL, and RETURNING sees the first such row beside it.
// For each USING row the WHERE clause is the filter of the rows it deletes, with that row's values as constants,
// or, when the query language cannot express it, is evaluated over t's rows. It runs in a transaction (needsTxn).
func (x *exec) deleteUsing(del *pg.DeleteStmt, t *table, alias string) (*relation, string, error) {
	if err := sameNameAsTarget(del.UsingClause, alias); err != nil {
		return nil, "", err
	}
	m := x.planMark()
	from, err := x.fromClause(del.UsingClause, nil, nil)
	if err != nil {
		return nil, "", err
	}
	if err := ambiguousName(t, nil, del.WhereClause, func(name string) bool {
		return slices.ContainsFunc(from.cols, func(c relCol) bool { return !c.hidden && !c.merged && c.name == name })
	}); err != nil {
		return nil, "", err
	}
	if x.describe {
		cols := tableCols(t, alias)
		src := &scope{cols: from.cols, row: make([]any, len(from.cols))}
		x.condition(del.WhereClause, &scope{cols: cols, row: make([]any, len(cols)), outer: src})
		x.planModify(m, "Delete", t, alias, nil, 0)
		rel, err := x.returningPaired(del.ReturningList, t, alias, nil, nil, from.cols)
		return rel, "DELETE 0", err
	}
	if !x.inTxn {
		return nil, "", errNeedsTxn
	}
	// Every row to delete is found first, on the statement's snapshot, as PostgreSQL's one join finds them: a
	// subquery in WHERE must not see the rows deleted for an earlier USING row.
	coll := x.writeColl(t)
	done := map[string]bool{}
	var ids []bson.RawValue
	var pairs [][]any
	for _, r := range from.rows {
		src := &scope{cols: from.cols, row: r}
		tr := &translator{x: x, t: t, alias: alias, outer: src, fromRow: true}
		filter, ok, err := tr.filter(del.WhereClause)
		if err != nil {
			return nil, "", err
		}
		var found []bson.RawValue
		if ok {
			if found, err = x.matchingIDs(coll, filter); err != nil {
				return nil, "", err
			}
		} else {
			rel, err := x.scan(t, alias, nil)
			if err != nil {
				return nil, "", err
			}
			for _, row := range rel.rows {
				v, err := x.eval(del.WhereClause, &scope{cols: rel.cols, row: row, outer: src})
				if err != nil {
					return nil, "", err
				}
				if truthy(v) {
					found = append(found, row[len(row)-1].(bson.Raw).Lookup("_id"))
				}
			}
		}
		for _, id := range found {
			if key := string(id.Value) + string(rune(id.Type)); !done[key] {
				done[key] = true
				ids = append(ids, id)
				pairs = append(pairs, r)
			}
		}
	}
	fires := t.hasTriggers(trigDelete)
	if fires {
		if err := x.fireStatement(t, trigDelete, true, nil); err != nil {
			return nil, "", err
		}
	}
	var docs []bson.Raw
	var kept [][]any
	for i, id := range ids {
		before, err := x.deleteRow(t, coll, bson.D{{Key: "_id", Value: id}}, fires)
		if err != nil {
			return nil, "", err
		}
		if before == nil {
			continue
		}
		docs = append(docs, before)
		kept = append(kept, pairs[i])
	}
	if fires {
		if err := x.fireDeleted(t, docs); err != nil {
			return nil, "", err
		}
	}
	x.planModify(m, "Delete", t, alias, nil, len(docs))
	rel, err := x.returningPaired(del.ReturningList, t, alias, docs, kept, from.cols)
	return rel, fmt.Sprintf("DELETE %d", len(docs)), err
}

// returningPaired is RETURNING for UPDATE ... FROM and DELETE ... USING: each row written beside the FROM or
// USING row it was paired with (pairs[i], of columns fromCols), so that the list, * included, sees both as in
// PostgreSQL.
func (x *exec) returningPaired(list []*pg.Node, t *table, alias string, docs []bson.Raw, pairs [][]any, fromCols []relCol) (*relation, error) {
	if list == nil {
		return nil, nil
	}
	cols := tableCols(t, alias)
	src := &relation{cols: append(slices.Clip(cols), fromCols...)}
	for i, d := range docs {
		src.rows = append(src.rows, append(rowOf(cols, d), pairs[i]...))
	}
	return x.project(&pg.SelectStmt{TargetList: list}, src, nil, -1)
}

// delete runs DELETE FROM ... [WHERE ...] [RETURNING ...].
func (x *exec) delete(del *pg.DeleteStmt) (*relation, string, error) {
	if del.WithClause != nil {
		pop, err := x.withCTEs(del.WithClause, nil)
		if err != nil {
			return nil, "", err
		}
		defer pop()
	}
	t, alias, err := x.writeTarget(del.Relation, lockRowExclusive)
	if err != nil {
		return nil, "", err
	}
	if t.View != "" {
		return x.deleteView(t, del) // its WITH queries are in scope already
	}
	if err := refuseWindowCalls(del.ReturningList, "RETURNING"); err != nil {
		return nil, "", err
	}
	if !x.inTxn && !x.describe && len(t.ReferencedBy) > 0 {
		return nil, "", errNeedsTxn
	}
	if err := x.needsTriggerBlock(t, trigDelete); err != nil {
		return nil, "", err
	}
	fires := !x.describe && t.hasTriggers(trigDelete)
	if len(del.UsingClause) > 0 {
		return x.deleteUsing(del, t, alias)
	}
	m := x.planMark()
	var target *planNode // how the rows to delete were found (EXPLAIN)
	if x.describe {
		cols := tableCols(t, alias)
		x.condition(del.WhereClause, &scope{cols: cols, row: make([]any, len(cols))})
		if x.recording() {
			filter, ok, err := x.newTranslator(del, t, alias).filter(del.WhereClause)
			ok = ok && err == nil
			if !ok {
				x.scan(t, alias, x.pushdown(del.WhereClause, t, alias, nil))
			}
			x.planWriteTarget(m, &target, t, alias, ok, filter, nil, deleteHow(ok, del.ReturningList != nil), del.WhereClause, 0)
			x.planModify(m, "Delete", t, alias, target, 0)
		}
		rel, err := x.returning(del.ReturningList, t, alias, nil, nil)
		return rel, "DELETE 0", err
	}
	coll := x.writeColl(t)
	tr := x.newTranslator(del, t, alias)
	filter, ok, err := tr.filter(del.WhereClause)
	if err != nil {
		return nil, "", err
	}
	if ok {
		x.publishPlan(tr)
	}
	var ids []bson.RawValue
	if !x.inTxn && (!ok || !byKey(filter)) {
		return nil, "", errNeedsTxn // every matching row or none, as the UPDATE above
	}
	if !ok {
		rel, err := x.scan(t, alias, x.pushdown(del.WhereClause, t, alias, nil))
		if err != nil {
			return nil, "", err
		}
		for _, row := range rel.rows {
			v, err := x.eval(del.WhereClause, &scope{cols: rel.cols, row: row})
			if err != nil {
				return nil, "", err
			}
			if truthy(v) {
				ids = append(ids, row[len(row)-1].(bson.Raw).Lookup("_id"))
			}
		}
	} else if del.ReturningList == nil && !fires {
		n, err := coll.deleteMany(x.ctx, filter)
		if err != nil {
			return nil, "", err
		}
		x.planWriteTarget(m, &target, t, alias, true, filter, nil, deleteHow(true, false), nil, int(n))
		x.planModify(m, "Delete", t, alias, target, int(n))
		return nil, fmt.Sprintf("DELETE %d", n), nil
	} else if ids, err = x.matchingIDs(coll, filter); err != nil {
		return nil, "", err
	}
	if fires {
		if err := x.fireStatement(t, trigDelete, true, nil); err != nil {
			return nil, "", err
		}
	}
	var docs []bson.Raw
	for _, id := range ids {
		f := bson.D{{Key: "_id", Value: id}}
		if ok {
			f = mergeConds([]bson.D{f, filter})
		}
		before, err := x.deleteRow(t, coll, f, fires)
		if err != nil {
			return nil, "", err
		}
		if before != nil {
			docs = append(docs, before)
		}
	}
	if fires {
		if err := x.fireDeleted(t, docs); err != nil {
			return nil, "", err
		}
	}
	x.planWriteTarget(m, &target, t, alias, ok, filter, nil, deleteHow(ok, true), del.WhereClause, len(docs))
	x.planModify(m, "Delete", t, alias, target, len(docs))
	rel, err := x.returning(del.ReturningList, t, alias, docs, nil)
	return rel, fmt.Sprintf("DELETE %d", len(docs)), err
}

// valuesFit checks, before a row is made, that an INSERT's VALUES lists (all of one length) or plain SELECT's
// outputs fit its target columns, as PostgreSQL's parser does: an expression past the last column, or (with a column list) a column past
// the last expression, is 42601 at its position.
func valuesFit(sel *pg.SelectStmt, ins *pg.InsertStmt, columns int) error {
	if sel == nil {
		return nil
	}
	var exprs []*pg.Node
	switch {
	case len(sel.ValuesLists) > 0:
		exprs = sel.ValuesLists[0].GetList().GetItems()
		for _, l := range sel.ValuesLists[1:] {
			if len(l.GetList().GetItems()) != len(exprs) {
				return nil // VALUES' own error comes first
			}
		}
	case sel.Op == pg.SetOperation_SETOP_NONE && len(sel.TargetList) > 0:
		// A plain SELECT's output expressions, when none is a * to expand.
		for _, tg := range sel.TargetList {
			v := tg.GetResTarget().GetVal()
			if cr := v.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
				return nil
			}
			exprs = append(exprs, v)
		}
	default:
		return nil
	}
	n := len(exprs)
	switch {
	case n > columns:
		return &Error{Code: CodeSyntaxError, Message: "INSERT has more expressions than target columns",
			Position: nodeLocation(exprs[columns]) + 1}
	case len(ins.Cols) > 0 && n < columns:
		return &Error{Code: CodeSyntaxError, Message: "INSERT has more target columns than expressions",
			Position: int(ins.Cols[n].GetResTarget().GetLocation()) + 1}
	}
	return nil
}

// outputLocation is the position of a query's i-th output in its leftmost SELECT, as PostgreSQL points at it:
// the expression, or the * whose expansion holds it; -1 when there is none.
func outputLocation(sel *pg.SelectStmt, i int) int {
	for sel != nil && sel.Op != pg.SetOperation_SETOP_NONE {
		sel = sel.Larg
	}
	if sel == nil {
		return -1
	}
	for j, tg := range sel.TargetList {
		v := tg.GetResTarget().GetVal()
		if cr := v.GetColumnRef(); cr != nil && cr.Fields[len(cr.Fields)-1].GetAStar() != nil {
			return int(cr.Location)
		}
		if j == i {
			return nodeLocation(v)
		}
	}
	return -1
}

// keepsKey reports whether an ON CONFLICT DO UPDATE assignment to a primary key column (field f) leaves it as it
// is: the column set to EXCLUDED's value of it, or to its own, when the conflicting row has the proposed value.
func keepsKey(rt *pg.ResTarget, alias, f string, existing, proposed bson.Raw) bool {
	if len(rt.Indirection) > 0 {
		return false
	}
	cr := rt.Val.GetColumnRef()
	if cr == nil || len(cr.Fields) > 2 {
		return false
	}
	var names []string
	for _, n := range cr.Fields {
		if n.GetString_() == nil {
			return false
		}
		names = append(names, n.GetString_().Sval)
	}
	if names[len(names)-1] != rt.Name || len(names) == 2 && names[0] != "excluded" && names[0] != alias {
		return false
	}
	a, err1 := existing.LookupErr(strings.Split(f, ".")...)
	b, err2 := proposed.LookupErr(strings.Split(f, ".")...)
	return err1 == nil && err2 == nil && a.Type == b.Type && bytes.Equal(a.Value, b.Value)
}
