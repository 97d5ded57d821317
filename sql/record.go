package sql

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// A source's name alone is its whole row (PostgreSQL's whole-row reference): SELECT to_jsonb(u) FROM users u,
// json_agg(t), row_to_json(t). For a declared table or a subquery it is a record of the source's visible columns,
// shown as PostgreSQL writes one, (1,ann); for a table without CREATE TABLE, whose fields are not known, the
// document itself as jsonb.

// OIDRecord is PostgreSQL's record pseudo-type.
const OIDRecord uint32 = 2249

func init() { types[OIDRecord] = typeInfo{typname: "record", name: "record"} }

// record is a whole row: its columns' names and values.
type record struct {
	names []string
	vals  []any
	oids  []uint32 // the columns' types, 0 when not known
}

// wholeRow is the row of the source qualified q in sc, or for a schemaless source its document as jsonb.
func (sc *scope) wholeRow(q string) (any, uint32) {
	var r record
	for i, c := range sc.cols {
		if c.qual != q {
			continue
		}
		if c.hidden && sc.row[i] == nil {
			return nil, OIDRecord // the NULLs an outer join gave for a table's missing row: the row is NULL
		}
		if c.open {
			doc, _ := sc.row[i].(bson.Raw)
			if doc == nil {
				return nil, OIDJSONB
			}
			return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, OIDJSONB
		}
		if c.hidden || c.whole {
			continue
		}
		r.names = append(r.names, c.name)
		r.vals = append(r.vals, sc.row[i])
		r.oids = append(r.oids, c.oid)
	}
	return r, OIDRecord
}

// rowValue is ROW(a, b, ...) or (a, b, ...): a record whose fields are named f1, f2, ... as PostgreSQL names an
// anonymous record's.
func (x *exec) rowValue(r *pg.RowExpr, sc *scope) (any, error) {
	vals, err := x.evalList(r.Args, sc)
	if err != nil {
		return nil, err
	}
	rec := record{names: make([]string, len(vals)), vals: vals, oids: make([]uint32, len(vals))}
	for i, a := range r.Args {
		rec.names[i] = "f" + strconv.Itoa(i+1)
		rec.oids[i] = x.typeOf(a, sc)
	}
	return rec, nil
}

// doc is the record as a JSON object: its columns in order, each value as a JSON element (jsonElem).
func (r record) doc() bson.D {
	d := make(bson.D, len(r.names))
	for i, name := range r.names {
		d[i] = bson.E{Key: name, Value: jsonElem(r.vals[i])}
		if t, ok := r.vals[i].(time.Time); ok && i < len(r.oids) && infinite(t) == 0 {
			d[i].Value = jsonTime(t, r.oids[i]) // a date column's value is a date: "2024-01-01", as PostgreSQL writes it
		}
	}
	return d
}

// text is the record's text form, as PostgreSQL's record_out writes it: (1,ann,) with NULL empty, and a value
// holding a comma, a parenthesis, a quote, a backslash or white space, or empty, in double quotes.
func (r record) text() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, v := range r.vals {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			continue
		}
		s := formatText(v)
		if s == "" || strings.ContainsAny(s, ",()\"\\ \t\n\r") {
			s = `"` + strings.NewReplacer(`"`, `""`, `\`, `\\`).Replace(s) + `"`
		}
		b.WriteString(s)
	}
	b.WriteByte(')')
	return b.String()
}

// RecordFields returns a record's values and their types (text for a NULL), ok false for any other value: for
// the binary form of a record result, which carries each field's type.
func RecordFields(v any) (vals []any, oids []uint32, ok bool) {
	r, ok := v.(record)
	if !ok {
		return nil, nil, false
	}
	oids = make([]uint32, len(r.vals))
	for i, f := range r.vals {
		oids[i] = OIDText
		if f != nil {
			oids[i] = valueOID(f)
		}
	}
	return r.vals, oids, true
}

// rowTypeCast is a cast to a table's row type (ROW(1, 'x')::t, NULL::t): the row's values converted to the
// table's columns' types, named as its columns. ok is false when the type names no table.
func (x *exec) rowTypeCast(tc *pg.TypeCast, sc *scope) (v any, ok bool, err error) {
	names := tc.TypeName.GetNames()
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	if len(names) != 1 || len(tc.TypeName.ArrayBounds) > 0 {
		return nil, false, nil
	}
	t, err := x.lookupTable(names[0].GetString_().GetSval(), tc.Location)
	if err != nil || t == nil || !t.declared || t.View != "" {
		return nil, false, nil
	}
	arg, err := x.eval(tc.Arg, sc)
	if err != nil || arg == nil {
		return nil, true, err
	}
	r, isRecord := arg.(record)
	if !isRecord {
		return nil, true, unsupported("a cast of " + TypeName(valueOID(arg)) + " to a table's row type")
	}
	if len(r.vals) != len(t.Columns) {
		detail := "Input has too few columns."
		if len(r.vals) > len(t.Columns) {
			detail = "Input has too many columns."
		}
		return nil, true, &Error{Code: CodeCannotCoerce, Message: fmt.Sprintf("cannot cast type record to %s", t.Name), Detail: detail,
			Position: int(tc.Location) + 1}
	}
	out := record{names: make([]string, len(t.Columns)), vals: make([]any, len(t.Columns)), oids: make([]uint32, len(t.Columns))}
	for i, c := range t.Columns {
		cv, err := coerce(r.vals[i], c.Type)
		if err != nil {
			return nil, true, err
		}
		if cv, err = applyTypmod(cv, c.Type, c.TypMod, true); err != nil {
			return nil, true, err
		}
		out.names[i], out.vals[i], out.oids[i] = c.Name, cv, c.Type
	}
	return out, true, nil
}
