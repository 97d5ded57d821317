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

// OIDRecord is PostgreSQL's record pseudo-type, OIDRecordArray its array type (array_agg of whole rows).
const (
	OIDRecord      uint32 = 2249
	OIDRecordArray uint32 = 2287
)

func init() {
	types[OIDRecord] = typeInfo{typname: "record", name: "record", array: OIDRecordArray}
	types[OIDRecordArray] = typeInfo{typname: "_record", name: "record[]", elem: OIDRecord}
}

// record is a whole row: its columns' names and values.
type record struct {
	names []string
	vals  []any
	oids  []uint32 // the columns' types, 0 when not known
	typ   string   // the table whose row type it is (pg_typeof names it); "" for an anonymous record
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
		if c.hidden {
			r.typ = c.table // a declared table's row
			continue
		}
		if c.whole {
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
		if i < len(r.oids) && r.oids[i] != 0 {
			s = formatTyped(v, r.oids[i]) // a date field without a time of day
		}
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
		switch {
		case i < len(r.oids) && r.oids[i] != 0 && !isArrayType(r.oids[i]) && f != nil:
			oids[i] = r.oids[i] // a date field is a date
		case f != nil:
			oids[i] = valueOID(f)
		}
	}
	return r.vals, oids, true
}

// rowTypeCast is a cast to a table's row type (ROW(1, 'x')::t, NULL::t): the row's values converted to the
// table's columns' types, named as its columns. ok is false when the type names no table.
func (x *exec) rowTypeCast(tc *pg.TypeCast, sc *scope) (v any, ok bool, err error) {
	t := x.rowType(tc.TypeName)
	if t == nil {
		return nil, false, nil
	}
	arg, err := x.eval(tc.Arg, sc)
	if err != nil || arg == nil {
		return nil, true, err
	}
	if text, isText := arg.(string); isText {
		// '(1,ann,)'::users: the text form of a row, as record_in reads it, each field the column's input.
		fields, err := parseRecord(text, len(t.Columns))
		if err != nil {
			return nil, true, atLiteral(err, tc.Arg)
		}
		arg = record{vals: fields}
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
	out := record{names: make([]string, len(t.Columns)), vals: make([]any, len(t.Columns)), oids: make([]uint32, len(t.Columns)), typ: t.Name}
	for i, c := range t.Columns {
		cv, err := coerce(r.vals[i], c.Type)
		if err == nil {
			cv, err = applyTypmod(cv, c.Type, c.TypMod, true)
		}
		if err != nil {
			return nil, true, atLiteral(err, tc.Arg)
		}
		out.names[i], out.vals[i], out.oids[i] = c.Name, cv, c.Type
	}
	return out, true, nil
}

// rowType is the declared table whose row type tn names, nil when it names none.
func (x *exec) rowType(tn *pg.TypeName) *table {
	names := tn.GetNames()
	if len(names) == 2 && names[0].GetString_().GetSval() == "public" {
		names = names[1:]
	}
	if len(names) != 1 || len(tn.ArrayBounds) > 0 {
		return nil
	}
	t, err := x.lookupTable(names[0].GetString_().GetSval(), 0)
	if err != nil || t == nil || !t.declared || t.View != "" {
		return nil
	}
	return t
}

// parseRecord reads text, a row in record_in's text form with n fields: "(" fields separated by commas ")", a
// field empty for NULL, double quotes around any part of a field (a doubled quote inside is one), a backslash
// taking the next character as it is, white space allowed only before "(" and after ")". Each field is a string
// or nil. A malformed literal is 22P02 with PostgreSQL's detail.
func parseRecord(text string, n int) ([]any, error) {
	malformed := func(detail string) error {
		return &Error{Code: CodeInvalidTextRep, Message: fmt.Sprintf("malformed record literal: \"%s\"", text), Detail: detail}
	}
	p := strings.TrimLeft(text, " \t\n\r\v\f")
	if p == "" || p[0] != '(' {
		return nil, malformed("Missing left parenthesis.")
	}
	p = p[1:]
	fields := make([]any, n)
	for i := range n {
		if i > 0 {
			if p == "" || p[0] != ',' {
				return nil, malformed("Too few columns.")
			}
			p = p[1:]
		}
		if p != "" && (p[0] == ',' || p[0] == ')') {
			continue // empty: NULL
		}
		var b strings.Builder
		inQuote := false
		for inQuote || p == "" || (p[0] != ',' && p[0] != ')') {
			if p == "" {
				return nil, malformed("Unexpected end of input.")
			}
			ch := p[0]
			p = p[1:]
			switch {
			case ch == '\\':
				if p == "" {
					return nil, malformed("Unexpected end of input.")
				}
				b.WriteByte(p[0])
				p = p[1:]
			case ch == '"' && !inQuote:
				inQuote = true
			case ch == '"' && p != "" && p[0] == '"':
				b.WriteByte('"')
				p = p[1:]
			case ch == '"':
				inQuote = false
			default:
				b.WriteByte(ch)
			}
		}
		fields[i] = b.String()
	}
	if p == "" || p[0] != ')' {
		return nil, malformed("Too many columns.")
	}
	if strings.TrimLeft(p[1:], " \t\n\r\v\f") != "" {
		return nil, malformed("Junk after right parenthesis.")
	}
	return fields, nil
}
