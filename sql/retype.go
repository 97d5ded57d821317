package sql

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// retype is an ALTER TABLE ... ALTER COLUMN c TYPE t of one column: its old and new type, and whether USING
// asked for an explicit cast.
type retype struct {
	column   string
	from, to uint32
	// fromMod and toMod are the old and new type modifiers (typmod.go).
	fromMod, toMod int32
	explicit       bool
	// usingType and usingMod are the type and modifier of the USING expression's cast (USING c::varchar(3)): the
	// modifier is applied as a cast (a long string is cut) before the column's own, applied as an assignment (a
	// long string is refused).
	usingType uint32
	usingMod  int32
	// expr is a USING expression other than the column or its cast (USING 'v' || b, USING length(c)): evaluated
	// on each row, and its value assigned to the new type.
	expr    *pg.Node
	notNull bool
	// fromDomain and domain are the column's domain before and after ("" for none): the values are held to the
	// new domain's constraints (domains.go).
	fromDomain, domain string
}

// changes reports whether the column's values need converting: a new type or modifier, or a USING cast's modifier.
func (r retype) changes() bool {
	return r.from != r.to || r.fromMod != r.toMod || r.usingMod > 0 || r.expr != nil || r.fromDomain != r.domain
}

// category groups types as PostgreSQL's type categories do for the operators a CHECK applies: numbers, strings,
// dates and times, and each other type alone.
func category(oid uint32) uint32 {
	switch {
	case isNumericType(oid):
		return OIDNumeric
	case oid == OIDText || oid == OIDVarchar || oid == OIDBpchar || oid == OIDName:
		return OIDText
	case oid == OIDTimestamptz || oid == OIDTimestamp || oid == OIDDate:
		return OIDTimestamptz
	}
	return oid
}

// assignable reports whether PostgreSQL converts a value of type from to type to by assignment, as ALTER COLUMN
// ... TYPE does without USING: among the numeric types, to a string type from any, and among the date and time
// types.
func assignable(from, to uint32) bool {
	numeric := func(o uint32) bool { return isNumericType(o) }
	str := func(o uint32) bool { return o == OIDText || o == OIDVarchar || o == OIDBpchar || o == OIDName }
	times := func(o uint32) bool { return o == OIDTimestamptz || o == OIDTimestamp || o == OIDDate }
	switch {
	case from == to, numeric(from) && numeric(to), str(to), times(from) && times(to):
		return true
	}
	return false
}

// retypeColumn checks ALTER COLUMN ... [SET DATA] TYPE: the new type, and a USING clause that is the column or
// its cast (c::type, CAST(c AS type)), which allows an explicit cast (text to integer). A primary key column, a
// column of a foreign key and a column views read are refused, as PostgreSQL refuses the last.
func (x *exec) retypeColumn(t *table, col *column, isKey bool, cmd *pg.AlterTableCmd) (retype, error) {
	cd := cmd.Def.GetColumnDef()
	if cd == nil || cd.TypeName == nil {
		return retype{}, errorf(CodeSyntaxError, "ALTER COLUMN ... TYPE needs a type")
	}
	dom, err := x.domainNamed(cd.TypeName)
	if err != nil {
		return retype{}, err
	}
	var to uint32
	var toMod int32
	if dom != nil {
		to, toMod = dom.Base, dom.TypMod
	} else {
		if to, err = x.resolveType(cd.TypeName); err != nil {
			return retype{}, err
		}
		if toMod, err = typmodOf(cd.TypeName, to); err != nil {
			return retype{}, err
		}
	}
	r := retype{column: col.Name, from: col.Type, to: to, fromMod: col.TypMod, toMod: toMod, fromDomain: col.Domain}
	if dom != nil {
		r.domain = dom.Name
		if isKey {
			return retype{}, unsupported("changing a primary key column's type to a domain")
		}
	}
	if u := cd.RawDefault; u != nil {
		arg := u
		if tc := u.GetTypeCast(); tc != nil {
			arg = tc.Arg
			if cast, err := x.resolveType(tc.TypeName); err == nil {
				r.usingType = cast
				if r.usingMod, err = typmodOf(tc.TypeName, cast); err != nil {
					return retype{}, err
				}
			}
		}
		if cr := arg.GetColumnRef(); cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_().GetSval() != col.Name {
			if isKey {
				return retype{}, unsupported("a USING expression other than the column or its cast on a primary key column")
			}
			r.expr, r.notNull, r.usingType, r.usingMod = u, col.NotNull, 0, 0
		}
		r.explicit = true
	}
	if !r.changes() {
		return r, nil
	}
	// A new length for a one-column key's string type only checks its values (they are the documents' _id, which
	// cannot change; convertColumn refuses a value the length would cut).
	lengthOnly := r.from == r.to && (r.to == OIDVarchar || r.to == OIDBpchar) && r.usingMod == 0 && len(t.Key) == 1
	if isKey && !lengthOnly && (!isIntType(r.from) || !isIntType(r.to) || len(t.Key) > 1) {
		// The values are the documents' _id, which cannot change; between integer types they need not (the
		// storage compares numbers by value), so only the values' range is checked.
		return retype{}, unsupported("changing the type of a primary key column other than between integer types")
	}
	for _, fk := range t.ForeignKeys {
		for _, c := range fk.Columns {
			if c == col.Name {
				return retype{}, unsupported(fmt.Sprintf("changing the type of a column of the foreign key \"%s\"", fk.Name))
			}
		}
	}
	for _, name := range t.ReferencedBy {
		other, err := x.lookupTable(name, 0)
		if err != nil {
			return retype{}, err
		}
		for _, fk := range other.ForeignKeys {
			if fk.Table == t.Name && slices.Contains(fk.RefColumns, col.Name) {
				return retype{}, unsupported(fmt.Sprintf("changing the type of a column the foreign key \"%s\" of table \"%s\" references", fk.Name, name))
			}
		}
	}
	views, err := x.dependentViews(t.Name)
	if err != nil {
		return retype{}, err
	}
	for _, v := range views {
		if refs, star, maybe := x.viewColumnRefs(v.tree, t, col.Name); len(refs) > 0 || star || maybe {
			return retype{}, &Error{Code: CodeFeatureNotSupported, Message: "cannot alter type of a column used by a view or rule",
				Detail: fmt.Sprintf("rule _RETURN on view %s depends on column \"%s\"", v.Name, col.Name)}
		}
	}
	if col.Default != "" && !assignable(r.from, r.to) {
		return retype{}, &Error{Code: CodeDatatypeMismatch,
			Message: fmt.Sprintf("default for column \"%s\" cannot be cast automatically to type %s", col.Name, TypeName(r.to))}
	}
	if category(r.from) != category(r.to) {
		for _, c := range t.Checks {
			for _, used := range checkColumns(t, c) {
				if used == col.Name {
					return retype{}, unsupported(fmt.Sprintf("changing the type of column \"%s\" to another kind of type while the CHECK constraint \"%s\" reads it", col.Name, c.Name))
				}
			}
		}
	}
	if !r.explicit && !assignable(r.from, r.to) {
		return retype{}, &Error{Code: CodeDatatypeMismatch,
			Message: fmt.Sprintf("column \"%s\" cannot be cast automatically to type %s", col.Name, TypeName(r.to)),
			Hint:    fmt.Sprintf("You might need to specify \"USING %s::%s\".", col.Name, TypeName(r.to))}
	}
	return r, nil
}

// castValue converts a stored value of type from as PostgreSQL's cast to type to does: to a string type it is
// the old type's text output (an interval as 1 day 02:00:00, a boolean as true, a date without its time), and a
// numeric rounds half away from zero to an integer (a float rounds half to even).
func castValue(v any, from, to uint32) (any, error) {
	typed, err := coerce(v, from)
	if err != nil {
		return v, nil // a value the column's type does not read: converted as it is
	}
	switch {
	case category(to) == OIDText:
		if b, ok := typed.(bool); ok && from == OIDBool {
			return strconv.FormatBool(b), nil
		}
		return formatTyped(typed, from), nil
	case from == OIDNumeric && isIntType(to):
		if f, ok := typed.(float64); ok {
			return math.Round(f), nil
		}
		if d, ok := typed.(*apd.Decimal); ok {
			return decRound(d, 0, false)
		}
	}
	return typed, nil
}

// convertColumn converts every stored value of a retyped column, returning for each row its _id and the field's
// new value; a value that does not convert fails the statement with its SQLSTATE.
func (x *exec) convertColumn(t *table, r retype) ([]bson.D, error) {
	if r.domain != "" {
		// A NULL where the new domain is NOT NULL (a missing field reads as one).
		if _, err := x.toDomain(r.domain, nil); err != nil {
			ctx := x.base
			if x.inBlock() {
				ctx = x.ctx
			}
			if _, ferr := x.s.db().collection(t.Name).findOne(ctx, bson.D{{Key: t.field(r.column), Value: nil}}); ferr == nil {
				return nil, err
			} else if !isNoDocuments(ferr) {
				return nil, ferr
			}
		}
	}
	if r.expr != nil {
		return x.convertUsing(t, r)
	}
	field := t.field(r.column)
	projection := bson.D{{Key: "_id", Value: 1}}
	if field != "_id" {
		projection = append(projection, bson.E{Key: field, Value: 1})
	}
	ctx := x.base
	if x.inBlock() {
		ctx = x.ctx // the rows as the block sees them: it converts them in its transaction
	}
	docs, err := x.s.db().collection(t.Name).find(ctx, bson.D{{Key: field, Value: bson.D{{Key: "$exists", Value: true}}}},
		projection, 0)
	if err != nil {
		return nil, err
	}
	out := make([]bson.D, 0, len(docs))
	for _, d := range docs {
		v := fromBSON(d.Lookup(field))
		if v == nil {
			continue
		}
		v, err := castValue(v, r.from, r.to)
		if err != nil {
			return nil, err
		}
		before := v
		for _, m := range []struct {
			oid  uint32
			mod  int32
			cast bool
		}{{r.usingType, r.usingMod, true}, {r.to, r.toMod, false}} {
			if m.mod > 0 {
				c, err := coerce(v, m.oid)
				if err != nil {
					return nil, err
				}
				if v, err = applyTypmod(c, m.oid, m.mod, m.cast); err != nil {
					return nil, err
				}
			}
		}
		if r.domain != "" {
			if v, err = x.toDomain(r.domain, v); err != nil {
				return nil, err
			}
		}
		nv, err := toBSON(v, r.to)
		if err != nil {
			return nil, err
		}
		if field == "_id" {
			// Checked only (retypeColumn): an _id cannot change.
			if s, ok := before.(string); ok && s != v {
				return nil, unsupported("a new length for a primary key column that would cut its values")
			}
			continue
		}
		out = append(out, bson.D{{Key: "_id", Value: d.Lookup("_id")}, {Key: field, Value: nv}})
	}
	return out, nil
}

// convertUsing converts a retyped column by its USING expression: evaluated on every row (with all its columns),
// its value assigned to the new type as PostgreSQL assigns it; an expression of a type that does not assign to
// the new one is 42804 before any row is read, a NULL in a NOT NULL column 23502.
func (x *exec) convertUsing(t *table, r retype) ([]bson.D, error) {
	y := *x
	if !x.inBlock() {
		y.ctx, y.inTxn = x.base, false // the rows as committed; the block's, in a block, which converts them in its transaction
	}
	rel, err := y.scan(t, t.Name, bson.D{})
	if err != nil {
		return nil, err
	}
	field := t.field(r.column)
	dsc := &scope{cols: rel.cols, row: make([]any, len(rel.cols))}
	if et := x.typeOf(r.expr, dsc); et != 0 && et != OIDUnknown && !assignable(et, r.to) && !(isIntType(et) && r.to == OIDBool) {
		return nil, &Error{Code: CodeDatatypeMismatch,
			Message: fmt.Sprintf("result of USING clause for column \"%s\" cannot be cast automatically to type %s", r.column, TypeName(r.to)),
			Hint:    "You might need to add an explicit cast."}
	}
	out := make([]bson.D, 0, len(rel.rows))
	for _, row := range rel.rows {
		doc, ok := row[len(row)-1].(bson.Raw)
		if !ok {
			continue
		}
		v, err := x.eval(r.expr, &scope{cols: rel.cols, row: row})
		if err != nil {
			return nil, err
		}
		if v == nil {
			if r.notNull {
				return nil, &Error{Code: CodeNotNullViolation, Message: fmt.Sprintf("column \"%s\" of relation \"%s\" contains null values", r.column, t.Name),
					Table: t.Name, Column: r.column}
			}
			out = append(out, bson.D{{Key: "_id", Value: doc.Lookup("_id")}, {Key: field, Value: nil}})
			continue
		}
		c, err := coerce(v, r.to)
		if err != nil {
			return nil, err
		}
		if r.toMod > 0 {
			if c, err = applyTypmod(c, r.to, r.toMod, false); err != nil {
				return nil, err
			}
		}
		if r.domain != "" {
			if c, err = x.toDomain(r.domain, c); err != nil {
				return nil, err
			}
		}
		nv, err := toBSON(c, r.to)
		if err != nil {
			return nil, err
		}
		out = append(out, bson.D{{Key: "_id", Value: doc.Lookup("_id")}, {Key: field, Value: nv}})
	}
	return out, nil
}
