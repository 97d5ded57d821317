package pgserver

import (
	"encoding/binary"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgtype"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// decodeParam decodes one Bind parameter of type oid into a value package
// sql accepts: text as a string (sql converts it to the parameter's type),
// binary through pgtype (m is the connection's: a pgtype.Map is not safe
// for concurrent use). NULL is nil.
func decodeParam(m *pgtype.Map, oid uint32, format int16, b []byte) (any, error) {
	if b == nil {
		return nil, nil
	}
	if format == 0 {
		return string(b), nil
	}
	if oid == sql.OIDBytea {
		return sql.Bytea(b), nil // bytea's binary format is its bytes
	}
	t, ok := m.TypeForOID(oid)
	if !ok {
		return string(b), nil
	}
	v, err := t.Codec.DecodeValue(m, oid, format, b)
	if err != nil {
		return nil, &sql.Error{Code: sql.CodeInvalidTextRep, Message: fmt.Sprintf("incorrect binary data format in bind parameter: %v", err)}
	}
	if tm, ok := v.(pgtype.Time); ok && tm.Valid {
		return sql.TimeFromMicros(tm.Microseconds)
	}
	return normalize(v), nil
}

// normalize converts pgtype's decoded values to package sql's.
func normalize(v any) any {
	switch x := v.(type) {
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint32: // a binary oid
		return int64(x)
	case float32:
		return float64(x)
	case pgtype.Numeric:
		if !x.Valid {
			return nil
		}
		text, err := x.MarshalJSON() // the exact decimal (or "NaN", "Infinity")
		if err != nil {
			return nil
		}
		d, err := sql.Coerce(strings.Trim(string(text), `"`), sql.OIDNumeric)
		if err != nil {
			return nil
		}
		return d
	case pgtype.Interval:
		if !x.Valid {
			return nil
		}
		return sql.IntervalOf(x.Months, x.Days, x.Microseconds)
	case pgtype.InfinityModifier: // a binary date or timestamp 'infinity' or '-infinity'
		return sql.InfiniteTime(int(x))
	case pgtype.Time:
		if !x.Valid {
			return nil
		}
		t, err := sql.TimeFromMicros(x.Microseconds) // out of range: decodeParam refuses it (an array's element is NULL)
		if err != nil {
			return nil
		}
		return t
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case []byte:
		return sql.Bytea(x)
	case [16]byte: // a binary uuid
		return pgtype.UUID{Bytes: x, Valid: true}.String()
	case netip.Prefix: // a binary inet or cidr: its text, which package sql reads as the parameter's type
		if x.Bits() == x.Addr().BitLen() {
			return x.Addr().String()
		}
		return x.String()
	case map[string]any:
		return fmt.Sprint(x)
	}
	return v
}

// encodeValue encodes one result value for a column of type oid.
func encodeValue(m *pgtype.Map, v any, oid uint32, format int16) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return appendValue(m, []byte{}, v, oid, 0, format)
}

// appendSized appends v (of type oid) as an element of a binary record or array: its length (-1 for NULL), then
// its encoding.
func appendSized(m *pgtype.Map, buf []byte, v any, oid uint32, format int16) ([]byte, error) {
	if v == nil {
		return binary.BigEndian.AppendUint32(buf, math.MaxUint32), nil // -1
	}
	at := len(buf)
	buf, err := appendValue(m, append(buf, 0, 0, 0, 0), v, oid, 0, format)
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	return buf, nil
}

// appendValue appends the encoding of a non-NULL result value for a column
// of type oid to buf.
func appendValue(m *pgtype.Map, buf []byte, v any, oid uint32, typmod int32, format int16) ([]byte, error) {
	if !coerced(v, oid) {
		var err error
		if v, err = sql.Coerce(v, oid); err != nil {
			return nil, err
		}
	}
	if sql.IsVector(oid) {
		a, _ := v.([]any)
		if format != 0 {
			return appendValue(m, buf, a, sql.VectorArray(oid), 0, format) // int2vector's binary form is int2[]'s
		}
		for i, e := range a {
			if i > 0 {
				buf = append(buf, ' ')
			}
			buf = sql.AppendText(buf, e)
		}
		return buf, nil
	}
	if format == 0 {
		return sql.AppendTypedMod(buf, v, oid, typmod), nil
	}
	if a, ok := v.([]any); ok && oid == sql.OIDRecordArray {
		// array_agg of rows: a one-dimensional array's binary form (dimensions, whether it holds a NULL, the
		// element type, its length and lower bound), then each record's length and binary form.
		hasNull := uint32(0)
		for _, e := range a {
			if e == nil {
				hasNull = 1
			}
		}
		buf = binary.BigEndian.AppendUint32(buf, 1)
		buf = binary.BigEndian.AppendUint32(buf, hasNull)
		buf = binary.BigEndian.AppendUint32(buf, sql.OIDRecord)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(a)))
		buf = binary.BigEndian.AppendUint32(buf, 1)
		for _, e := range a {
			var err error
			if buf, err = appendSized(m, buf, e, sql.OIDRecord, format); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	if fields, oids, ok := sql.RecordFields(v); ok {
		// A record's binary form: its field count, then each field's type, length (-1 for NULL) and binary value.
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(fields)))
		for i, f := range fields {
			buf = binary.BigEndian.AppendUint32(buf, oids[i])
			var err error
			if buf, err = appendSized(m, buf, f, oids[i], format); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	switch oid {
	case sql.OIDBytea:
		if b, ok := v.(sql.Bytea); ok {
			return append(buf, b...), nil
		}
		if rv, ok := v.(bson.RawValue); ok && rv.Type == bson.TypeBinary {
			_, data := rv.Binary()
			return append(buf, data...), nil
		}
	case sql.OIDJSONB:
		return sql.AppendText(append(buf, 1), v), nil
	case sql.OIDJSON:
		return sql.AppendText(buf, v), nil
	case sql.OIDNumeric:
		// The binary form carries the value's digits and its scale (dscale), as PostgreSQL's: 1.50 keeps its two
		// places, and a numeric(p,s) column's value shows s.
		var n pgtype.Numeric
		if err := n.Scan(string(sql.AppendTypedMod(nil, v, oid, typmod))); err == nil {
			v = n
		}
	case sql.OIDBpchar:
		v = sql.PadChar(v, oid, typmod)
	default:
		if sql.IsEnumOID(oid) {
			return sql.AppendText(buf, v), nil // an enum's binary form is its label
		}
	case sql.OIDInterval:
		if months, days, us, ok := sql.IntervalParts(v); ok {
			v = pgtype.Interval{Months: months, Days: days, Microseconds: us, Valid: true}
		}
	case sql.OIDDate, sql.OIDTimestamp, sql.OIDTimestamptz:
		if t, ok := v.(time.Time); ok && sql.Infinite(t) != 0 {
			mod := pgtype.InfinityModifier(sql.Infinite(t))
			switch oid {
			case sql.OIDDate:
				v = pgtype.Date{InfinityModifier: mod, Valid: true}
			case sql.OIDTimestamp:
				v = pgtype.Timestamp{InfinityModifier: mod, Valid: true}
			default:
				v = pgtype.Timestamptz{InfinityModifier: mod, Valid: true}
			}
		}
	case sql.OIDUUID:
		if b, ok := sql.UUIDBytes(v); ok {
			v = pgtype.UUID{Bytes: b, Valid: true}
		}
	case sql.OIDInet, sql.OIDCidr:
		if p, ok := sql.InetPrefix(v); ok {
			if format == 0 {
				return sql.AppendText(buf, v), nil
			}
			v = p
		}
		if s, ok := v.(string); ok {
			if format == 0 {
				return append(buf, s...), nil
			}
			if a, err := netip.ParseAddr(s); err == nil {
				v = netip.PrefixFrom(a, a.BitLen()) // an address is a network of one
			}
		}
	case sql.OIDInetArray, sql.OIDCidrArray:
		if a, ok := v.([]any); ok {
			out := make([]any, len(a))
			for i, e := range a {
				out[i] = e
				if p, ok := sql.InetPrefix(e); ok {
					out[i] = p
				}
			}
			v = out
		}
	case sql.OIDUUIDArray:
		if a, ok := v.([]any); ok {
			out := make([]any, len(a))
			for i, e := range a {
				out[i] = e
				if b, ok := sql.UUIDBytes(e); ok {
					out[i] = pgtype.UUID{Bytes: b, Valid: true}
				}
			}
			v = out
		}
	case sql.OIDTime:
		if us, ok := sql.TimeMicros(v); ok {
			v = pgtype.Time{Microseconds: us, Valid: true}
		}
	case sql.OIDInt4:
		if n, ok := v.(int64); ok && n >= math.MinInt32 && n <= math.MaxInt32 {
			v = int32(n)
		}
	case sql.OIDInt2:
		if n, ok := v.(int64); ok && n >= math.MinInt16 && n <= math.MaxInt16 {
			v = int16(n)
		}
	}
	if a, ok := v.([]any); ok {
		if dims, flat := sql.ArrayShape(a); len(dims) > 1 {
			// A multi-dimensional array: pgtype writes each dimension's length (lower bound 1) and the elements.
			arr := pgtype.Array[any]{Elements: flat, Valid: true}
			for _, n := range dims {
				arr.Dims = append(arr.Dims, pgtype.ArrayDimension{Length: int32(n), LowerBound: 1})
			}
			v = arr
		}
	}
	b, err := m.Encode(oid, format, v, buf)
	if err != nil {
		return nil, &sql.Error{Code: sql.CodeDatatypeMismatch, Message: fmt.Sprintf("cannot encode %v as %s: %v", v, sql.TypeName(oid), err)}
	}
	return b, nil
}

// coerced reports whether v already has the representation sql.Coerce
// gives a value of type oid (it would return v itself).
func coerced(v any, oid uint32) bool {
	switch x := v.(type) {
	case int64:
		switch oid {
		case sql.OIDInt8:
			return true
		case sql.OIDInt4:
			return x >= math.MinInt32 && x <= math.MaxInt32
		case sql.OIDInt2:
			return x >= math.MinInt16 && x <= math.MaxInt16
		}
	case string:
		return oid == sql.OIDText || oid == sql.OIDVarchar
	case bool:
		return oid == sql.OIDBool
	case float64:
		return oid == sql.OIDFloat8
	case *apd.Decimal:
		return oid == sql.OIDNumeric
	case sql.Bytea:
		return oid == sql.OIDBytea
	}
	return false
}
