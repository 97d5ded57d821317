package sql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/concorddb/concord"
)

// CHECK constraints are enforced by the storage, not above it: a table's checks become its collection's
// validator, {$nor: [F1, F2, ...]}, where Fi is the query filter matching the rows for which the i-th check is
// false (a check that is NULL passes, as in PostgreSQL). Every write, whatever its path (an INSERT, an UPDATE's
// $inc, a COPY, a write over the MongoDB port), is checked against the document it produces, atomically with
// the write: `UPDATE t SET qty = qty - 1` under CHECK (qty >= 0) never leaves a negative quantity, even under
// concurrency.

// check is a CHECK constraint: its name and its expression as PostgreSQL's deparser writes it.
type check struct {
	Name string `bson:"name"`
	Expr string `bson:"expr"`
	// NotValid is set for a constraint added NOT VALID, until VALIDATE CONSTRAINT checks the rows it let stand
	// (pg_constraint.convalidated is false meanwhile).
	NotValid bool `bson:"notvalid,omitempty"`
}

// CodeCheckViolation is PostgreSQL's check_violation; CodeDuplicateObject its duplicate_object.
const (
	CodeCheckViolation  = "23514"
	CodeDuplicateObject = "42710"
)

// checkExpr vets the expression of a CHECK constraint of t: no subquery, aggregate, window function or
// parameter, and only t's columns. It returns the columns the expression names.
func checkExpr(t *table, n *pg.Node) ([]string, error) {
	var refused *Error
	var cols []string
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		switch v := m.Interface().(type) {
		case *pg.SubLink:
			refused = errorf(CodeFeatureNotSupported, "cannot use subquery in check constraint")
		case *pg.ParamRef:
			refused = errorf(CodeUndefinedParameter, "there is no parameter $%d", v.Number)
		case *pg.FuncCall:
			if aggregates[funcName(v)] {
				refused = errorf(CodeGroupingError, "aggregate functions are not allowed in check constraints")
			} else if v.Over != nil {
				refused = errorf("42P20", "window functions are not allowed in check constraints")
			} else if !checkFuncs[funcName(v)] && !patternFuncs[funcName(v)] {
				// The validator is built once: a function's value (now(), random()) would be frozen in it, and
				// the storage evaluates only the functions of checkFuncs.
				refused = errorf(CodeFeatureNotSupported, "Concord cannot enforce a CHECK expression that calls %s()", funcName(v))
			}
		case *pg.SQLValueFunction:
			refused = errorf(CodeFeatureNotSupported, "Concord cannot enforce a CHECK expression that reads the current time or user")
		case *pg.ColumnRef:
			name := ""
			if len(v.Fields) > 0 {
				name = v.Fields[len(v.Fields)-1].GetString_().GetSval()
			}
			if len(v.Fields) != 1 || t.column(name) == nil {
				refused = errorf(CodeUndefinedColumn, "column \"%s\" does not exist", name)
			} else if !slices.Contains(cols, name) {
				cols = append(cols, name)
			}
		}
		return refused != nil
	})
	if refused != nil {
		return nil, refused
	}
	return cols, nil
}

// checkColumns returns the columns a kept CHECK expression names.
func checkColumns(t *table, c check) []string {
	n, err := parseExpr(c.Expr)
	if err != nil {
		return nil
	}
	cols, _ := checkExpr(t, n)
	return cols
}

// newCheck makes the CHECK constraint con of t, named as PostgreSQL names it when con has no name:
// <table>_<column>_check when the expression names one column, <table>_check otherwise, with a number added
// while the name is taken.
func newCheck(t *table, con *pg.Constraint) (check, error) {
	if con.RawExpr == nil {
		return check{}, errorf(CodeSyntaxError, "CHECK constraint without an expression")
	}
	cols, err := checkExpr(t, con.RawExpr)
	if err != nil {
		return check{}, err
	}
	text, err := deparseExpr(con.RawExpr)
	if err != nil {
		return check{}, errorf(CodeSyntaxError, "cannot keep the CHECK expression: %v", err)
	}
	name := con.Conname
	if name == "" {
		base := t.Name + "_check"
		if len(cols) == 1 {
			base = t.Name + "_" + cols[0] + "_check"
		}
		name = base
		for i := 1; t.constraintNamed(name); i++ {
			name = base + strconv.Itoa(i)
		}
	} else if t.constraintNamed(name) {
		return check{}, errorf(CodeDuplicateObject, "constraint \"%s\" for relation \"%s\" already exists", name, t.Name)
	}
	return check{Name: name, Expr: text}, nil
}

// addCheck adds c to t's checks, kept in name order: PostgreSQL checks a row against them in that order and
// reports the first that fails, and the validator's clauses follow it.
func (t *table) addCheck(c check) { t.Checks = withCheck(t.Checks, c) }

// withCheck is cs with c added, in name order.
func withCheck(cs []check, c check) []check {
	cs = append(cs, c)
	slices.SortFunc(cs, func(a, b check) int { return strings.Compare(a.Name, b.Name) })
	return cs
}

// constraintNamed reports whether t has a CHECK or FOREIGN KEY constraint of that name.
func (t *table) constraintNamed(name string) bool {
	return slices.ContainsFunc(t.Checks, func(c check) bool { return c.Name == name }) ||
		slices.ContainsFunc(t.ForeignKeys, func(fk foreignKey) bool { return fk.Name == name })
}

// violation is the query filter matching the rows of t for which c is false.
func (x *exec) violation(t *table, c check) (bson.D, error) {
	n, err := parseExpr(c.Expr)
	if err != nil {
		return nil, err
	}
	// The table is read as declared (as CREATE TABLE's is before it is saved), so that the constants compare
	// in the columns' types: a timestamp as a date, a bytea as binary.
	d := *t
	d.declared = true
	tr := &translator{x: x, t: &d, alias: t.Name, checking: true}
	conds, ok, err := tr.truth(n, false)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, &Error{Code: CodeFeatureNotSupported, Message: fmt.Sprintf("Concord cannot enforce the CHECK constraint \"%s\" (%s)", c.Name, c.Expr),
			Hint: "Concord's storage checks every write against a table's CHECK expressions: columns compared with constants, " +
				"each other or + - * of them, joined with AND, OR and NOT, IN, BETWEEN, IS [NOT] NULL, LIKE, ILIKE and ~ with a " +
				"constant pattern, and the functions length, char_length, octet_length, btrim, ltrim, rtrim, abs, num_nonnulls, " +
				"num_nulls, cardinality and array_length."}
	}
	return mergeConds(conds), nil
}

// validator is the collection validator that enforces the constraints of t's domain columns (domains.go), t's
// checks and the range of its numeric(p,s) columns (in that order: checkedColl.fail finds the broken one by its
// index); nil when t has none.
func (x *exec) validator(t *table) (bson.D, error) {
	ranged := rangedColumns(t)
	domain, err := x.domainClauses(t)
	if err != nil {
		return nil, err
	}
	if len(t.Checks) == 0 && len(ranged) == 0 && len(domain) == 0 {
		return nil, nil
	}
	nor := bson.A{}
	for _, c := range domain {
		nor = append(nor, c.filter)
	}
	for _, c := range t.Checks {
		f, err := x.violation(t, c)
		if err != nil {
			return nil, err
		}
		nor = append(nor, f)
	}
	for _, c := range ranged {
		nor = append(nor, rangeViolation(t, c))
	}
	return bson.D{{Key: "$nor", Value: nor}}, nil
}

// rangedColumns are t's numeric(p,s) columns, in order. The storage holds their values in range (below 10^(p-s)
// once rounded to s places) whatever writes them: a statement's values are fitted before they are written
// (fitNumeric), but an increment (`n = n + 1`, an atomic $inc) and a write over the MongoDB port are checked only
// by the collection's validator, as PostgreSQL checks the sum (22003).
func rangedColumns(t *table) []column {
	var out []column
	for _, c := range t.Columns {
		if c.Type != OIDNumeric || c.TypMod <= 0 {
			continue
		}
		// A bound a float64 cannot hold (numeric(5,400), numeric(1,-400)) is not checked.
		if p, s := numericTypmod(c.TypMod); p-s >= -300 && p-s <= 300 && s >= -300 && s <= 300 {
			out = append(out, c)
		}
	}
	return out
}

// rangeViolation is the query filter matching the rows whose value of the numeric(p,s) column c rounds, at s
// places, to an absolute value of 10^(p-s) or more: at or past 10^(p-s) - 10^-s / 2.
func rangeViolation(t *table, c column) bson.D {
	p, s := numericTypmod(c.TypMod)
	var bound, negBound any = math.Pow(10, float64(p-s)) - math.Pow(10, float64(-s))/2, nil
	negBound = -bound.(float64)
	if p+1 <= 34 {
		// Exactly, as a decimal128 (p + 1 digits), which the storage compares with any number exactly: a float64
		// bound of numeric(30,0) would let 10^30 in.
		d := new(apd.Decimal)
		if _, err := decCtx.Sub(d, apd.New(1, int32(p-s)), apd.New(5, int32(-s-1))); err == nil {
			if b, err := decToBSON(d); err == nil {
				nd, _ := decToBSON(new(apd.Decimal).Neg(d))
				bound, negBound = b, nd
			}
		}
	}
	f := t.field(c.Name)
	return bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: f, Value: bson.D{{Key: "$gte", Value: bound}}}},
		bson.D{{Key: f, Value: bson.D{{Key: "$lte", Value: negBound}}}},
	}}}
}

// rangesOf is what of t's columns its range checks depend on: their fields and modifiers.
func rangesOf(t *table) string {
	var b strings.Builder
	for _, c := range rangedColumns(t) {
		fmt.Fprintf(&b, "%s/%d;", t.field(c.Name), c.TypMod)
	}
	if b.Len() > 0 {
		b.WriteString("exact") // bounds as decimal128 (rangeViolation): a table whose validator had float ones gets them
	}
	return b.String()
}

// verifyCheck returns a check_violation when a row of t breaks c (ALTER TABLE ... ADD CHECK on a table with rows).
func (x *exec) verifyCheck(t *table, c check) error {
	f, err := x.violation(t, c)
	if err != nil {
		return err
	}
	// x.ctx: in a block, the rows as the block sees them (it may have fixed them).
	if _, err := x.s.db().collection(t.Name).findOne(x.ctx, f); err == nil {
		return &Error{Code: CodeCheckViolation, Message: fmt.Sprintf("check constraint \"%s\" of relation \"%s\" is violated by some row", c.Name, t.Name),
			Constraint: c.Name, Table: t.Name}
	} else if !isNoDocuments(err) {
		return err
	}
	return nil
}

type bypassKey struct{}

// withoutValidation returns a context whose writes skip collection validators: DDL's own rewrites of the rows
// (DROP COLUMN's $unset, RENAME COLUMN's $rename, ADD COLUMN's defaults), which must not fail on the checks of
// the table as it was or on rows a NOT VALID check lets stand. The embedded backend reads concord's flag, the
// driver backend bypassesValidation (bypassDocumentValidation).
func withoutValidation(ctx context.Context) context.Context {
	return context.WithValue(concord.WithoutValidation(ctx), bypassKey{}, true)
}

// bypassesValidation reports whether ctx comes from withoutValidation.
func bypassesValidation(ctx context.Context) bool {
	b, _ := ctx.Value(bypassKey{}).(bool)
	return b
}

// writeColl is the collection of t for a statement's writes: a write its checks refuse fails with
// check_violation, naming the check.
func (x *exec) writeColl(t *table) backendColl {
	c := x.s.db().collection(t.Name)
	if len(t.Checks) > 0 || len(rangedColumns(t)) > 0 || t.hasNotNull() || t.hasDomain() {
		c = checkedColl{backendColl: c, x: x, t: t}
	}
	if len(t.ForeignKeys) > 0 || len(t.ReferencedBy) > 0 {
		c = fkColl{backendColl: c, x: x, t: t, keyed: len(t.ReferencedBy) > 0 && x.uniqueReferenced(t)}
	}
	if t.hasGenerated() {
		c = genColl{backendColl: c, x: x, t: t, reads: x.generatedReads(t)}
	}
	return c
}

// checkedColl turns the storage's DocumentValidationFailure (121) into PostgreSQL's check_violation, or into
// numeric_value_out_of_range (22003) for a numeric(p,s) column's range.
type checkedColl struct {
	backendColl
	x *exec
	t *table
}

func (c checkedColl) insertOne(ctx context.Context, doc any) error {
	return c.fail(c.backendColl.insertOne(ctx, doc))
}

func (c checkedColl) updateMany(ctx context.Context, filter bson.D, update any) (int64, error) {
	n, err := c.backendColl.updateMany(ctx, filter, update)
	return n, c.fail(err)
}

func (c checkedColl) updateOne(ctx context.Context, filter bson.D, update any) (int64, error) {
	n, err := c.backendColl.updateOne(ctx, filter, update)
	return n, c.fail(err)
}

func (c checkedColl) replaceOne(ctx context.Context, filter bson.D, doc any) error {
	return c.fail(c.backendColl.replaceOne(ctx, filter, doc))
}

func (c checkedColl) findOneAndUpdate(ctx context.Context, filter bson.D, update any) (bson.Raw, error) {
	d, err := c.backendColl.findOneAndUpdate(ctx, filter, update)
	return d, c.fail(err)
}

// fail names the check a refused write broke: the validator's errInfo lists, under details.clausesSatisfied,
// the violations that matched the new row.
func (c checkedColl) fail(err error) error {
	var ce *concord.Error
	if err == nil || !errors.As(err, &ce) || ce.Code != 121 { // DocumentValidationFailure
		return err
	}
	if details, ok := lookupD(ce.ErrInfo, "details"); ok && lookup(details, "operatorName") == "required" {
		// A NOT NULL column the storage requires (storageRulesOf): the write left it NULL.
		field, _ := lookup(details, "missingField").(string)
		for _, col := range c.t.Columns {
			if c.t.field(col.Name) == field {
				e := notNull(c.t.Name, col.Name)
				e.Cause = err
				return e
			}
		}
	}
	domain, derr := c.x.domainClauses(c.t)
	if derr != nil {
		return err
	}
	if len(c.t.Checks) == 0 && len(rangedColumns(c.t)) == 0 && len(domain) == 0 {
		return err
	}
	broken := 0
	if details, ok := lookupD(ce.ErrInfo, "details"); ok {
		if sat, ok := lookup(details, "clausesSatisfied").(bson.A); ok && len(sat) > 0 {
			if first, ok := sat[0].(bson.D); ok {
				if i, ok := asIndex(lookup(first, "index")); ok {
					broken = i
				}
			}
		}
	}
	if broken < len(domain) {
		d := domain[broken]
		var e *Error
		if d.constraint == "" {
			e = domainNullError(d.domain)
		} else {
			e = domainCheckError(d.domain, d.constraint)
		}
		e.Cause = err
		return e
	}
	broken -= len(domain)
	if ranged := rangedColumns(c.t); broken >= len(c.t.Checks) && broken-len(c.t.Checks) < len(ranged) || len(c.t.Checks) == 0 {
		col := ranged[0]
		if broken >= len(c.t.Checks) && broken-len(c.t.Checks) < len(ranged) {
			col = ranged[broken-len(c.t.Checks)]
		}
		p, s := numericTypmod(col.TypMod)
		bound := "1"
		if p-s != 0 {
			bound = fmt.Sprintf("10^%d", p-s)
		}
		return &Error{Code: CodeNumericOutOfRange, Message: "numeric field overflow",
			Detail: fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than %s.", p, s, bound), Cause: err}
	}
	name := c.t.Checks[0].Name
	if broken < len(c.t.Checks) {
		name = c.t.Checks[broken].Name
	}
	return &Error{Code: CodeCheckViolation, Message: fmt.Sprintf("new row for relation \"%s\" violates check constraint \"%s\"", c.t.Name, name),
		Constraint: name, Table: c.t.Name, Cause: err}
}

// lookup returns the value of key in d, nil when absent.
func lookup(d bson.D, key string) any {
	for _, e := range d {
		if e.Key == key {
			return e.Value
		}
	}
	return nil
}

// lookupD returns the document under key in d.
func lookupD(d bson.D, key string) (bson.D, bool) {
	v, ok := lookup(d, key).(bson.D)
	return v, ok
}

// asIndex reads an array index a reply holds as int32 or int64.
func asIndex(v any) (int, bool) {
	switch i := v.(type) {
	case int32:
		return int(i), i >= 0
	case int64:
		return int(i), i >= 0
	}
	return 0, false
}

// renameInCheck rewrites a kept CHECK expression for a column renamed from old to new.
func renameInCheck(c check, old, new string) (check, error) {
	n, err := parseExpr(c.Expr)
	if err != nil {
		return c, err
	}
	walk(n.ProtoReflect(), func(m protoreflect.Message) bool {
		if cr, ok := m.Interface().(*pg.ColumnRef); ok && len(cr.Fields) == 1 && cr.Fields[0].GetString_().GetSval() == old {
			cr.Fields[0] = pg.MakeStrNode(new)
		}
		return false
	})
	text, err := deparseExpr(n)
	if err != nil {
		return c, err
	}
	c.Expr = text
	return c, nil
}

// pgConstraint is a CHECK (kind "c"), FOREIGN KEY ("f"), PRIMARY KEY ("p") or UNIQUE ("u") constraint as
// pg_constraint lists it; index is the oid of the index of a PRIMARY KEY or UNIQUE constraint (pgIndexes).
type pgConstraint struct {
	oid, table, refTable, index int64
	domain                      int64 // a domain's constraint: the domain's oid (contypid), table 0
	kind, name, def             string
	deferrable, deferred        bool
	key, refKey                 []any // conkey and confkey: the columns' attnums (int2[])
	onDelete, onUpdate          string
	notValid                    bool   // added NOT VALID and not validated since: convalidated is false
	refIndex                    string // a foreign key's: the storage name of the unique index it references, "" for a primary key
	match                       string // a foreign key's confmatchtype: "s" SIMPLE, "f" FULL
}

// notValidSuffix ends pg_get_constraintdef of a constraint not validated, as PostgreSQL's: psql's \d shows it,
// and pg_dump restores the constraint NOT VALID.
func notValidSuffix(notValid bool) string {
	if notValid {
		return " NOT VALID"
	}
	return ""
}

// attnums are the attnums of t's columns cols, as pg_attribute numbers them; nil when one is not a column.
func attnums(t *table, cols []string) []any {
	out := make([]any, 0, len(cols))
	for _, c := range cols {
		i := slices.IndexFunc(t.Columns, func(k column) bool { return k.Name == c })
		if i < 0 {
			return nil
		}
		out = append(out, int64(i+1))
	}
	return out
}

// pgConstraints lists the CHECK, FOREIGN KEY, PRIMARY KEY and UNIQUE constraints of the database's tables,
// numbered as pg_constraint shows them.
func (x *exec) pgConstraints() ([]pgConstraint, error) {
	tables, oids, err := x.declaredTables()
	if err != nil {
		return nil, err
	}
	var out []pgConstraint
	for _, t := range tables {
		for _, c := range t.Checks {
			out = append(out, pgConstraint{oid: int64(40000 + len(out)), table: oids[t.Name], kind: "c", name: c.Name, def: "CHECK (" + c.Expr + ")" + notValidSuffix(c.NotValid),
				key: attnums(t, checkColumns(t, c)), notValid: c.NotValid})
		}
		for _, fk := range t.ForeignKeys {
			c := pgConstraint{oid: int64(40000 + len(out)), table: oids[t.Name], refTable: oids[fk.Table], refIndex: fk.RefIndex, kind: "f", name: fk.Name, def: foreignKeyDef(fk) + notValidSuffix(fk.NotValid), notValid: fk.NotValid,
				deferrable: fk.Deferrable, deferred: fk.Deferred, key: attnums(t, fk.Columns), onDelete: fk.OnDelete, onUpdate: fk.OnUpdate, match: "s"}
			if fk.MatchFull {
				c.match = "f"
			}
			if c.onUpdate == "" {
				c.onUpdate = "a"
			}
			if p, err := x.lookupTable(fk.Table, 0); err == nil {
				c.refKey = attnums(p, fk.RefColumns)
			}
			out = append(out, c)
		}
		for _, tg := range t.Triggers {
			if tg.Constraint { // a constraint trigger's constraint, its oid pg_trigger.tgconstraint
				def := "TRIGGER"
				if tg.Deferrable {
					def += map[bool]string{false: " DEFERRABLE", true: " DEFERRABLE INITIALLY DEFERRED"}[tg.InitDeferred]
				}
				out = append(out, pgConstraint{oid: int64(tg.OID), table: oids[t.Name], kind: "t", name: tg.Name, def: def,
					deferrable: tg.Deferrable, deferred: tg.InitDeferred})
			}
		}
	}
	indexes, err := x.pgIndexes()
	if err != nil {
		return nil, err
	}
	for i := range out { // a foreign key's conindid is the referenced primary key's or unique index
		for _, ix := range indexes {
			if out[i].kind != "f" || ix.tableOID != out[i].refTable {
				continue
			}
			if out[i].refIndex == "" && ix.primary || out[i].refIndex != "" && ix.storage == out[i].refIndex {
				out[i].index = ix.oid
			}
		}
	}
	for _, ix := range indexes {
		if ix.constraint != "" {
			out = append(out, pgConstraint{oid: int64(40000 + len(out)), table: ix.tableOID, index: ix.oid, kind: ix.constraint, name: ix.name, def: ix.constraintDef(),
				key: attnums(ix.t, ix.columns)})
		}
	}
	_, domains, err := x.userTypes()
	if err != nil {
		return nil, err
	}
	for _, name := range slices.Sorted(maps.Keys(domains)) {
		d := domains[name]
		for _, c := range d.Checks {
			out = append(out, pgConstraint{oid: int64(40000 + len(out)), domain: int64(d.OID), kind: "c", name: c.Name, def: "CHECK (" + domainCheckText(c.Expr) + ")"})
		}
	}
	return out, nil
}

// declaredTables returns the database's tables with declared columns (views and schemaless collections left
// out), in pg_class's order, and the oid pg_class shows for each.
func (x *exec) declaredTables() ([]*table, map[string]int64, error) {
	return x.relationsWhere(func(t *table, view bool) bool { return !view && t.declared })
}

// relationsWhere are the tables and views keep takes, in pg_class's order, with their pg_class oids.
func (x *exec) relationsWhere(keep func(t *table, view bool) bool) ([]*table, map[string]int64, error) {
	names, isView, err := x.relationNames()
	if err != nil {
		return nil, nil, err
	}
	var tables []*table
	oids := map[string]int64{}
	for i, tn := range names {
		t, err := x.lookupTable(tn, 0)
		if err != nil {
			return nil, nil, err
		}
		if keep(t, isView[tn]) {
			tables = append(tables, t)
			oids[tn] = tableOID(i)
		}
	}
	return tables, oids, nil
}
