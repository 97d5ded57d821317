package sql

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// PostgreSQL type OIDs of the values Concord reads and writes.
//
// Inside the evaluator a value is one of: nil (NULL), bool, int64, float64,
// *apd.Decimal (numeric, decimal.go), string, time.Time, interval (interval.go), timeOfDay (time), []any (a
// PostgreSQL array) or bson.RawValue of a document or array (jsonb). The OID
// of a column says how a value is shown to the client and stored.
const (
	OIDBool          uint32 = 16
	OIDBytea         uint32 = 17
	OIDInt8          uint32 = 20
	OIDInt2          uint32 = 21
	OIDInt4          uint32 = 23
	OIDText          uint32 = 25
	OIDOID           uint32 = 26
	OIDJSON          uint32 = 114
	OIDFloat4        uint32 = 700
	OIDFloat8        uint32 = 701
	OIDUnknown       uint32 = 705
	OIDBoolArray     uint32 = 1000
	OIDInt2Array     uint32 = 1005
	OIDInt4Array     uint32 = 1007
	OIDTextArray     uint32 = 1009
	OIDVarchArray    uint32 = 1015
	OIDInt8Array     uint32 = 1016
	OIDFloat8Array   uint32 = 1022
	OIDBpchar        uint32 = 1042
	OIDVarchar       uint32 = 1043
	OIDDate          uint32 = 1082
	OIDDateArray     uint32 = 1182
	OIDTime          uint32 = 1083
	OIDTimeArray     uint32 = 1183
	OIDTimestamp     uint32 = 1114
	OIDTsArray       uint32 = 1115
	OIDTimestamptz   uint32 = 1184
	OIDTstzArray     uint32 = 1185
	OIDInterval      uint32 = 1186
	OIDIntervalArray uint32 = 1187
	OIDNumArray      uint32 = 1231
	OIDNumeric       uint32 = 1700
	OIDJSONB         uint32 = 3802
	OIDName          uint32 = 19
	OIDChar          uint32 = 18
	OIDInt2Vector    uint32 = 22 // pg_index.indkey: an int2 array subscripted from 0, written "1 2"
	OIDOIDVector     uint32 = 30 // pg_index.indclass: an oid array subscripted from 0, written "1 2"
	OIDByteaArray    uint32 = 1001
	OIDOIDArray      uint32 = 1028 // pg_dump passes the tables it dumps as '{...}'::oid[]
	OIDXid8          uint32 = 5069 // pg_current_xact_id's type, a 64-bit transaction number
	OIDVoid          uint32 = 2278 // what a function that returns nothing returns
	OIDNameArray     uint32 = 1003
)

// typeInfo is what Concord knows of one PostgreSQL type.
type typeInfo struct {
	typname string // pg_type.typname, PostgreSQL's internal name (int4, _int4)
	name    string // as format_type shows it
	elem    uint32 // element type of an array type, 0 otherwise
	array   uint32 // array type of a scalar type, 0 when none
}

var types = map[uint32]typeInfo{
	OIDBool:          {typname: "bool", name: "boolean", array: OIDBoolArray},
	OIDBytea:         {typname: "bytea", name: "bytea", array: OIDByteaArray},
	OIDByteaArray:    {typname: "_bytea", name: "bytea[]", elem: OIDBytea},
	OIDInt8:          {typname: "int8", name: "bigint", array: OIDInt8Array},
	OIDInt2:          {typname: "int2", name: "smallint", array: OIDInt2Array},
	OIDInt4:          {typname: "int4", name: "integer", array: OIDInt4Array},
	OIDText:          {typname: "text", name: "text", array: OIDTextArray},
	OIDName:          {typname: "name", name: "name", array: OIDNameArray},
	OIDNameArray:     {typname: "_name", name: "name[]", elem: OIDName},
	OIDChar:          {typname: "char", name: "\"char\""},
	OIDOID:           {typname: "oid", name: "oid", array: OIDOIDArray},
	OIDOIDArray:      {typname: "_oid", name: "oid[]", elem: OIDOID},
	OIDJSON:          {typname: "json", name: "json"},
	OIDFloat4:        {typname: "float4", name: "real"},
	OIDFloat8:        {typname: "float8", name: "double precision", array: OIDFloat8Array},
	OIDBoolArray:     {typname: "_bool", name: "boolean[]", elem: OIDBool},
	OIDInt2Array:     {typname: "_int2", name: "smallint[]", elem: OIDInt2},
	OIDInt4Array:     {typname: "_int4", name: "integer[]", elem: OIDInt4},
	OIDTextArray:     {typname: "_text", name: "text[]", elem: OIDText},
	OIDVarchArray:    {typname: "_varchar", name: "character varying[]", elem: OIDVarchar},
	OIDInt8Array:     {typname: "_int8", name: "bigint[]", elem: OIDInt8},
	OIDFloat8Array:   {typname: "_float8", name: "double precision[]", elem: OIDFloat8},
	OIDBpchar:        {typname: "bpchar", name: "character"},
	OIDVarchar:       {typname: "varchar", name: "character varying", array: OIDVarchArray},
	OIDDate:          {typname: "date", name: "date", array: OIDDateArray},
	OIDDateArray:     {typname: "_date", name: "date[]", elem: OIDDate},
	OIDTime:          {typname: "time", name: "time without time zone", array: OIDTimeArray},
	OIDTimeArray:     {typname: "_time", name: "time without time zone[]", elem: OIDTime},
	OIDTimestamp:     {typname: "timestamp", name: "timestamp without time zone", array: OIDTsArray},
	OIDTsArray:       {typname: "_timestamp", name: "timestamp without time zone[]", elem: OIDTimestamp},
	OIDTimestamptz:   {typname: "timestamptz", name: "timestamp with time zone", array: OIDTstzArray},
	OIDTstzArray:     {typname: "_timestamptz", name: "timestamp with time zone[]", elem: OIDTimestamptz},
	OIDInterval:      {typname: "interval", name: "interval", array: OIDIntervalArray},
	OIDIntervalArray: {typname: "_interval", name: "interval[]", elem: OIDInterval},
	OIDNumArray:      {typname: "_numeric", name: "numeric[]", elem: OIDNumeric},
	OIDNumeric:       {typname: "numeric", name: "numeric", array: OIDNumArray},
	OIDJSONB:         {typname: "jsonb", name: "jsonb"},
	OIDUUID:          {typname: "uuid", name: "uuid", array: OIDUUIDArray},
	OIDJSONPath:      {typname: "jsonpath", name: "jsonpath", array: OIDJSONPathArray},
	OIDJSONPathArray: {typname: "_jsonpath", name: "jsonpath[]", elem: OIDJSONPath},
	OIDUUIDArray:     {typname: "_uuid", name: "uuid[]", elem: OIDUUID},
	OIDInt2Vector:    {typname: "int2vector", name: "int2vector", elem: OIDInt2},
	OIDOIDVector:     {typname: "oidvector", name: "oidvector", elem: OIDOID},
	OIDXid8:          {typname: "xid8", name: "xid8"},
	OIDVoid:          {typname: "void", name: "void"},
	OIDTrigger:       {typname: "trigger", name: "trigger"},
}

// TypeName returns the name format_type gives the type, as psql's \d shows it.
func TypeName(oid uint32) string {
	if t, ok := types[oid]; ok {
		return t.name
	}
	if n := enumTypeName(oid); n != "" {
		return n
	}
	if n := domainName(oid); n != "" {
		return n
	}
	return "text"
}

// internalName is the type's pg_type.typname (int4, bpchar, timestamptz, _int4 for int4's array), as PostgreSQL
// names it in its catalogs and in information_schema.columns.udt_name.
func internalName(oid uint32) string {
	if t, ok := types[oid]; ok {
		return t.typname
	}
	if n := enumTypeName(oid); n != "" {
		return n
	}
	if n := domainName(oid); n != "" {
		return n
	}
	return "text"
}

// typeNames maps the names a type may be written with to its OID.
var typeNames = map[string]uint32{
	"bool": OIDBool, "boolean": OIDBool, "void": OIDVoid, "trigger": OIDTrigger,
	"int2": OIDInt2, "smallint": OIDInt2,
	"int4": OIDInt4, "int": OIDInt4, "integer": OIDInt4, "serial": OIDInt4, "serial4": OIDInt4,
	"int8": OIDInt8, "bigint": OIDInt8, "bigserial": OIDInt8, "serial8": OIDInt8,
	"text": OIDText, "varchar": OIDVarchar, "character varying": OIDVarchar, "bpchar": OIDBpchar, "char": OIDBpchar,
	"name": OIDText, "refcursor": OIDText, "citext": OIDText, "uuid": OIDUUID, "jsonpath": OIDJSONPath,
	"float4": OIDFloat4, "real": OIDFloat4, "float8": OIDFloat8, "double precision": OIDFloat8, "float": OIDFloat8,
	"numeric": OIDNumeric, "decimal": OIDNumeric,
	"timestamptz": OIDTimestamptz, "timestamp": OIDTimestamp, "date": OIDDate, "interval": OIDInterval, "time": OIDTime,
	"json": OIDJSON, "jsonb": OIDJSONB, "bytea": OIDBytea, "oid": OIDOID, "regclass": OIDText, "regtype": OIDText, "regproc": OIDText, "regnamespace": OIDText,
}

// typeFromName resolves a TypeName node (int8, pg_catalog.timestamptz,
// text[]) to an OID.
func typeFromName(tn *pg.TypeName) (uint32, error) {
	if tn == nil || len(tn.Names) == 0 {
		return 0, errorf(CodeSyntaxError, "missing type name")
	}
	name := tn.Names[len(tn.Names)-1].GetString_().GetSval()
	oid, ok := typeNames[strings.ToLower(name)]
	if !ok {
		return 0, &Error{Code: CodeUndefinedObject, Message: fmt.Sprintf("type %q does not exist", name),
			Position: int(tn.Location) + 1}
	}
	if len(tn.ArrayBounds) > 0 {
		arr := types[oid].array
		if arr == 0 {
			return 0, unsupported("an array of " + name)
		}
		return arr, nil
	}
	return oid, nil
}

// isArrayType reports whether oid is an array type.
func isArrayType(oid uint32) bool { return types[oid].elem != 0 }

// isNumericType reports whether oid is a number type.
func isNumericType(oid uint32) bool {
	switch oid {
	case OIDInt2, OIDInt4, OIDInt8, OIDFloat4, OIDFloat8, OIDNumeric:
		return true
	}
	return false
}

// isIntType reports whether oid is an integer type.
func isIntType(oid uint32) bool { return oid == OIDInt2 || oid == OIDInt4 || oid == OIDInt8 }

// valueOID returns the type a value shows as when nothing declares one.
func valueOID(v any) uint32 {
	switch x := v.(type) {
	case bool:
		return OIDBool
	case int64:
		return OIDInt8
	case float64:
		return OIDFloat8
	case *apd.Decimal:
		return OIDNumeric
	case timeOfDay:
		return OIDTime
	case enumValue:
		return x.typ.OID
	case uuidValue:
		return OIDUUID
	case inetValue:
		return x.oid()
	case jsonPathValue:
		return OIDJSONPath
	case string:
		return OIDText
	case jsonText:
		return OIDJSON
	case time.Time:
		return OIDTimestamptz
	case interval:
		return OIDInterval
	case Bytea:
		return OIDBytea
	case []any:
		var elem uint32
		for _, e := range x {
			if e == nil {
				continue
			}
			t := valueOID(e)
			if elem != 0 && t != elem {
				return OIDJSONB
			}
			elem = t
		}
		if a := types[elem].array; a != 0 {
			return a
		}
		if isEnumOID(elem) {
			return OIDTextArray // shown as {sad,ok}, as PostgreSQL shows an array of an enum
		}
		if elem == 0 {
			return OIDTextArray
		}
		return OIDJSONB
	case bson.RawValue:
		if x.Type == bson.TypeBinary {
			return OIDBytea
		}
		return OIDJSONB
	case record:
		return OIDRecord
	case regclass:
		return OIDText
	}
	return OIDText
}

// fromBSON converts a stored BSON value into the evaluator's value.
// A homogeneous array of scalars becomes []any (a PostgreSQL array); other
// arrays and documents stay BSON (jsonb).
func fromBSON(v bson.RawValue) any {
	switch v.Type {
	case 0, bson.TypeNull, bson.TypeUndefined:
		return nil
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeInt32:
		return int64(v.Int32())
	case bson.TypeInt64:
		return v.Int64()
	case bson.TypeDouble:
		return v.Double()
	case bson.TypeDecimal128:
		d, ok := decFromBSON(v.Decimal128())
		if !ok {
			return v.Decimal128().String()
		}
		return d
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeDateTime:
		return time.UnixMilli(v.DateTime()).UTC()
	case bson.TypeTimestamp:
		t, _ := v.Timestamp()
		return time.Unix(int64(t), 0).UTC()
	case bson.TypeObjectID:
		return v.ObjectID().Hex()
	case bson.TypeArray:
		// A document's array is an SQL array when it is one: elements of one kind, sub-arrays of one shape;
		// others (mixed, ragged, holding documents) are its own, read as json.
		if a, ok := storedArray(v, true); ok {
			return a
		}
		return v
	case bson.TypeEmbeddedDocument:
		return v
	case bson.TypeBinary:
		sub, b := v.Binary()
		if sub == 0 || sub == 2 {
			return Bytea(b)
		}
		return v // a UUID, an MD5 or another subtype stays as stored, and reads as bytea
	}
	return v.String()
}

// sqlArray reads a stored array as an SQL array of a column's type, which converts its elements: its sub-arrays
// (a multi-dimensional array's) as arrays too, its other elements as fromBSON reads them; ok is false for anything
// else, or an array holding a document.
func sqlArray(v bson.RawValue) ([]any, bool) { return storedArray(v, false) }

// storedArray reads the stored array v as nested []any, its scalar elements as fromBSON reads them; ok is false
// for anything but an array, and for one holding a document. With uniform it is also false unless the array is
// one an SQL array could be: elements of one BSON kind (int32 and int64 are one; NULLs go with any), and
// sub-arrays, if any, in every place and of one shape.
func storedArray(v bson.RawValue, uniform bool) ([]any, bool) {
	if v.Type != bson.TypeArray {
		return nil, false
	}
	vals, err := v.Array().Values()
	if err != nil {
		return nil, false
	}
	out := make([]any, len(vals))
	var kind bson.Type
	for i, e := range vals {
		k := e.Type
		switch k {
		case bson.TypeEmbeddedDocument:
			return nil, false
		case bson.TypeArray:
			sub, ok := storedArray(e, uniform)
			if !ok {
				return nil, false
			}
			out[i] = sub
		case bson.TypeNull:
			continue
		case bson.TypeInt32:
			k = bson.TypeInt64
		}
		if uniform && kind != 0 && kind != k {
			return nil, false
		}
		kind = k
		if k != bson.TypeArray {
			out[i] = fromBSON(e)
		}
	}
	if uniform && kind == bson.TypeArray && checkArrayShape(out) != nil {
		return nil, false
	}
	return out, true
}

// fromGo converts a Go value of the driver's kinds (as in a
// *concord.Error's KeyValue) into the evaluator's value.
func fromGo(v any) any {
	if d, ok := v.(*apd.Decimal); ok {
		v = decToFloat(d) // as a jsonb number
	}
	t, data, err := bson.MarshalValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return fromBSON(bson.RawValue{Type: t, Value: data})
}

// toBSON converts an evaluator value into the Go value stored for a
// column of type oid (0: keep the value's own type), so that an int8
// column stores int64, an int4 column int32 and a numeric column
// decimal128.
func toBSON(v any, oid uint32) (any, error) {
	if v == nil {
		return nil, nil
	}
	if oid != 0 {
		c, err := coerce(v, oid)
		if err != nil {
			return nil, err
		}
		v = c
	}
	switch x := v.(type) {
	case int64:
		switch oid {
		case OIDInt4, OIDInt2:
			return int32(x), nil
		case OIDNumeric:
			d, err := bson.ParseDecimal128(strconv.FormatInt(x, 10))
			return d, err
		}
		return x, nil
	case float64:
		if oid == OIDNumeric {
			d, err := bson.ParseDecimal128(strconv.FormatFloat(x, 'f', -1, 64))
			return d, err
		}
		return x, nil
	case *apd.Decimal:
		if oid == 0 {
			// A field of no declared type (a schemaless table's, a jsonb document's, a constant in an
			// expression) takes a double, as the numbers of documents written over the MongoDB port are: a
			// decimal128 would not equal them (0.1 is not the double 0.1).
			return decToFloat(x), nil
		}
		return decToBSON(x)
	case timeOfDay:
		return timeText(x), nil
	case enumValue:
		return x.label, nil
	case uuidValue:
		return x.String(), nil
	case inetValue:
		return x.String(), nil
	case jsonPathValue:
		return x.String(), nil
	case interval:
		return formatInterval(x), nil
	case Bytea:
		return bson.Binary{Data: []byte(x)}, nil
	case regclass:
		return x.text(), nil
	case jsonText:
		rv, _ := jsonValue(x) // stored as a document, as jsonb is
		return rv, nil
	case []any:
		out := make(bson.A, len(x))
		for i, e := range x {
			to := types[oid].elem
			if _, nested := e.([]any); nested {
				to = oid // a sub-array of a multi-dimensional array
			}
			var err error
			if out[i], err = toBSON(e, to); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}

// coerce converts v to the evaluator's representation of type oid, as an
// assignment or cast does: '5' into an int8 column is 5, 3.0 into an int8
// column is 3. A value that does not convert is 22P02 (text that is no date or timestamp 22007, or 22008 for a
// field out of range, as in PostgreSQL).
func coerce(v any, oid uint32) (any, error) {
	if v == nil || oid == 0 || oid == OIDUnknown {
		return v, nil
	}
	bad := func() error {
		return errorf(CodeInvalidTextRep, "invalid input syntax for type %s: %q", TypeName(oid), formatText(v))
	}
	if e := enumOf(oid); e != nil {
		return enumInput(e, v)
	}
	if j, ok := v.(jsonText); ok {
		switch oid {
		case OIDJSON:
			return j, nil
		case OIDText, OIDVarchar, OIDBpchar, OIDName:
			return coerce(string(j), oid) // json's text is as written
		}
		rv, _ := jsonValue(j)
		v = rv
	}
	if rv, ok := v.(bson.RawValue); ok && rv.Type != bson.TypeBinary && (isNumericType(oid) || oid == OIDBool) {
		// A jsonb number casts to a number, a jsonb boolean to a boolean; nothing else does.
		n := fromBSON(rv)
		switch n.(type) {
		case int64, float64, *apd.Decimal:
			if oid != OIDBool {
				return coerce(n, oid)
			}
		case bool:
			if oid == OIDBool {
				return n, nil
			}
		}
		return nil, errorf(CodeInvalidParameterValue, "cannot cast jsonb %s to type %s", jsonbKind(rv), TypeName(oid))
	}
	switch oid {
	case OIDUUID:
		return uuidInput(v)
	case OIDInet, OIDCidr:
		return inetInput(v, oid == OIDCidr)
	case OIDJSONPath:
		return jsonPathInput(v)
	case OIDInt2, OIDInt4, OIDInt8, OIDOID:
		var n int64
		switch x := v.(type) {
		case int64:
			n = x
		case regclass:
			n = x.oid
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, bad()
			}
			n = int64(math.RoundToEven(x))
		case *apd.Decimal:
			i, ok := decToInt(x)
			if !ok {
				if x.Form != apd.Finite {
					return nil, errorf(CodeFeatureNotSupported, "cannot convert %s to %s", decText(x), TypeName(oid))
				}
				return nil, errorf(CodeNumericOutOfRange, "%s out of range", TypeName(oid))
			}
			n = i
		case bool:
			if x {
				n = 1
			}
		case string:
			i, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if errors.Is(err, strconv.ErrRange) {
				return nil, errorf(CodeNumericOutOfRange, "value \"%s\" is out of range for type %s", x, TypeName(oid))
			}
			if err != nil {
				return nil, bad()
			}
			n = i
		default:
			return nil, bad()
		}
		if (oid == OIDInt4 && (n > math.MaxInt32 || n < math.MinInt32)) || (oid == OIDInt2 && (n > math.MaxInt16 || n < math.MinInt16)) {
			return nil, errorf(CodeNumericOutOfRange, "%s out of range", TypeName(oid))
		}
		return n, nil
	case OIDNumeric:
		switch x := v.(type) {
		case int64:
			return decFromInt(x), nil
		case float64:
			return decFromFloat(x), nil
		case *apd.Decimal:
			return x, nil
		case string:
			d, ok := parseDecimal(x)
			if !ok {
				return nil, bad()
			}
			return d, nil
		}
		return nil, bad()
	case OIDFloat4:
		// A real holds a float32: the value rounds to its nearest, as PostgreSQL's float4in and casts round it.
		f, err := coerce(v, OIDFloat8)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Message = strings.Replace(e.Message, "type double precision", "type real", 1)
			}
			return nil, err
		}
		if x, ok := f.(float64); ok && !math.IsInf(x, 0) && !math.IsNaN(x) {
			if math.Abs(x) > math.MaxFloat32 {
				if s, isText := v.(string); isText {
					return nil, errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type real", s)
				}
				if d, isDec := v.(*apd.Decimal); isDec {
					return nil, errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type real", decText(d))
				}
				return nil, errorf(CodeNumericOutOfRange, "value out of range: overflow")
			}
			return float64(float32(x)), nil
		}
		return f, nil
	case OIDFloat8:
		switch x := v.(type) {
		case int64:
			return float64(x), nil
		case float64:
			return x, nil
		case *apd.Decimal:
			f := decToFloat(x)
			if x.Form == apd.Finite && (math.IsInf(f, 0) || f == 0 && !x.IsZero()) {
				return nil, errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type double precision", decText(x))
			}
			return f, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if mant, _, _ := strings.Cut(strings.ToLower(x), "e"); err == nil && f == 0 && strings.ContainsAny(mant, "123456789") {
				err = strconv.ErrRange // an underflow, which ParseFloat rounds to zero
			}
			if errors.Is(err, strconv.ErrRange) {
				// '1e309' and '1e-400': too large, or too small but not zero, as PostgreSQL's float8in finds them.
				return nil, errorf(CodeNumericOutOfRange, "\"%s\" is out of range for type double precision", x)
			}
			if err != nil {
				return nil, bad()
			}
			return f, nil
		}
		return nil, bad()
	case OIDBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "t", "true", "yes", "on", "1", "y":
				return true, nil
			case "f", "false", "no", "off", "0", "n":
				return false, nil
			}
		}
		return nil, bad()
	case OIDText, OIDVarchar, OIDBpchar, OIDName:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if in, ok := v.(inetValue); ok {
			return in.withMask(), nil // text(inet): the mask length always, as PostgreSQL's cast writes it
		}
		return formatText(v), nil
	case OIDBytea:
		if rv, ok := v.(bson.RawValue); ok && rv.Type == bson.TypeBinary {
			return rv, nil // keeps its subtype
		}
		b, ok, err := toBytea(v)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errorf(CodeCannotCoerce, "cannot cast type %s to bytea", TypeName(valueOID(v)))
		}
		return b, nil
	case OIDTimestamptz, OIDTimestamp, OIDDate:
		switch x := v.(type) {
		case time.Time:
			if oid == OIDDate && infinite(x) == 0 {
				y, m, d := x.Date()
				return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
			}
			return x, nil
		case string:
			t, _, err := parseTimeRaw(x)
			if oid != OIDTimestamptz {
				t = wallClock(t) // a timestamp or date: the wall clock written, whatever zone the text names
			}
			if err != nil {
				var special bool
				if t, special = specialTime(x, time.Now().UTC().Truncate(time.Millisecond)); !special {
					return nil, timeInputError(x, oid)
				}
			}
			return coerce(t.UTC(), oid)
		}
		return nil, bad()
	case OIDTime:
		switch x := v.(type) {
		case timeOfDay:
			return x, nil
		case time.Time:
			if infinite(x) != 0 {
				return nil, nil // an infinite timestamp has no time of day: NULL, as in PostgreSQL
			}
			return ofClock(x), nil
		case interval:
			return timeOfDay((x.us%microsPerDay + microsPerDay) % microsPerDay), nil
		case string:
			t, ok := parseTimeOfDay(x)
			if !ok {
				t, ok = specialClock(x, time.Now())
			}
			if !ok {
				if clockShape.MatchString(strings.TrimSpace(x)) {
					return nil, errorf(CodeDatetimeFieldOverflow, "date/time field value out of range: %q", x)
				}
				return nil, errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type time: %q", x)
			}
			return t, nil
		}
		return nil, errorf(CodeCannotCoerce, "cannot cast type %s to time without time zone", TypeName(valueOID(v)))
	case OIDInterval:
		switch x := v.(type) {
		case interval, styledInterval:
			return x, nil
		case timeOfDay:
			return interval{us: int64(x)}, nil
		case string:
			d, err := parseInterval(x)
			if err != nil {
				if e := AsError(err); e.Code == CodeDatetimeFieldOverflow {
					return nil, e
				}
				return nil, errorf(CodeInvalidDatetimeFormat, "invalid input syntax for type interval: %q", x)
			}
			return d, nil
		}
		return nil, bad()
	case OIDJSON, OIDJSONB:
		if x, ok := v.(string); ok && oid == OIDJSON {
			return jsonInput(x, bad)
		}
		if x, ok := v.(string); ok && strings.Contains(x, `\u0000`) {
			if e, ok := jsonbInputError(x); ok {
				return nil, e
			}
		}
		j, err := toJSON(v, bad)
		if rv, ok := j.(bson.RawValue); ok && oid == OIDJSONB {
			return jsonbCanon(rv), err
		}
		return j, err
	}
	if elem := types[oid].elem; elem != 0 {
		switch x := v.(type) {
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				to := elem
				if _, nested := e.([]any); nested {
					to = oid // a sub-array of a multi-dimensional array
				}
				var err error
				if out[i], err = coerce(e, to); err != nil {
					return nil, err
				}
			}
			return out, nil
		case string:
			arr, err := parseArray(x)
			if err != nil {
				return nil, err
			}
			return coerce(arr, oid)
		case bson.RawValue:
			if a, ok := sqlArray(x); ok {
				return coerce(a, oid)
			}
		}
		return nil, bad()
	}
	return v, nil
}

// toJSON is a value as json: a JSON text parsed, an array or number as a JSON one, the other types' text as a
// JSON string.
func toJSON(v any, bad func() error) (any, error) {
	switch x := v.(type) {
	case Bytea, regclass, timeOfDay, enumValue, interval, uuidValue, inetValue, jsonPathValue:
		t, data, _ := bson.MarshalValue(formatText(x)) // a JSON string of the text form, as to_jsonb writes it
		return bson.RawValue{Type: t, Value: data}, nil
	case bson.RawValue:
		return x, nil
	case *apd.Decimal:
		var jv any = decText(x) // NaN and Infinity are strings in JSON, as PostgreSQL writes them
		if x.Form == apd.Finite {
			d, err := decToBSON(jsonDec(x)) // a JSON number, exact, with its places, as jsonb's numeric
			if err != nil {
				return nil, err
			}
			jv = d
		}
		t, data, _ := bson.MarshalValue(jv)
		return bson.RawValue{Type: t, Value: data}, nil
	case string:
		v, err := jsonDecode(x)
		doc := bson.D{{Key: "v", Value: v}}
		if err != nil {
			if e, ok := jsonSyntaxError(x); ok {
				return nil, e // PostgreSQL's wording: what its parser expected and found, and where
			}
			return nil, bad()
		}
		if strings.ContainsAny(x, "\\\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\v\f\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f") {
			// The parser above takes a raw control character in a string and a lone surrogate's escape, which
			// PostgreSQL refuses.
			if e, ok := jsonSyntaxError(x); ok {
				return nil, e
			}
		}
		raw, err := bson.Marshal(doc)
		if err != nil {
			return nil, bad()
		}
		return bson.Raw(raw).Lookup("v"), nil
	case []any:
		t, data, err := bson.MarshalValue(toBSONArray(x))
		if err != nil {
			return nil, bad()
		}
		return bson.RawValue{Type: t, Value: data}, nil
	case time.Time, float64:
		t, data, _ := bson.MarshalValue(jsonElem(x))
		return bson.RawValue{Type: t, Value: data}, nil
	case record:
		t, data, err := bson.MarshalValue(x.doc())
		return bson.RawValue{Type: t, Value: data}, err
	}
	return fromGo(v), nil
}

// toBSONArray converts an evaluator array for jsonb.
func toBSONArray(a []any) bson.A {
	out := make(bson.A, len(a))
	for i, e := range a {
		out[i] = jsonElem(e)
	}
	return out
}

// jsonElem is a value as an element of a JSON array or object (jsonb_build_array, jsonb_build_object,
// to_jsonb of an array): a time as its ISO 8601 text (a JSON string, as PostgreSQL writes it), a double's NaN and
// infinities as strings, anything else as it is stored.
func jsonElem(v any) any {
	switch x := v.(type) {
	case time.Time:
		return jsonTime(x, OIDTimestamptz)
	case *apd.Decimal:
		if x.Form == apd.Finite {
			if d, err := decToBSON(jsonDec(x)); err == nil {
				return d // a JSON number with its places, as jsonb's numeric
			}
		}
	case float64:
		switch {
		case math.IsNaN(x):
			return "NaN"
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		}
	case string:
		return x
	case record:
		return x.doc()
	}
	b, _ := toBSON(v, 0)
	return b
}

// jsonTime is a date or time of type oid as JSON writes it: 2020-01-02, 2020-01-02T03:04:05.5 or
// 2020-01-02T03:04:05.5+00:00.
func jsonTime(t time.Time, oid uint32) string {
	switch oid {
	case OIDDate:
		return t.UTC().Format("2006-01-02")
	case OIDTimestamp:
		return t.UTC().Format("2006-01-02T15:04:05.999999")
	}
	if t.Location() == time.Local {
		t = t.UTC()
	}
	return t.Format("2006-01-02T15:04:05.999999-07:00") // in its location: UTC, or the session's zone (to_json)
}

var timeLayouts = []string{
	time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02",
	"2006-01-02 15:04:05.999999999 Z07:00", "2006-01-02 15:04:05.999999999 Z07", "2006-01-02 15:04:05.999999999 Z0700",
	"2006-01-02 15:04:05.999999999Z0700", "2006-01-02 15:04Z07:00", "2006-01-02 15:04Z07", "2006-01-02 15:04 Z07:00",
	"2006-01-02 15:04 Z07", "2006-01-02 15:04", "2006-01-02T15:04Z07:00", "2006-01-02T15:04",
	// Month names, a 12-hour clock, and the postgres DateStyle's own form.
	"Jan 2 2006", "2 Jan 2006", "January 2, 2006", "Jan 2, 2006", "2006-Jan-02", "2 January 2006",
	"2006-01-02 3:04 PM", "2006-01-02 3:04:05.999999999 PM", "Mon Jan 02 15:04:05.999999999 2006", "Mon Jan 2 15:04:05.999999999 2006",
}

// parseTime reads a timestamp as PostgreSQL writes one (UTC when no zone), also with one-digit fields
// ('2020-1-5 9:30') or as eight digits ('20200105'), which PostgreSQL reads too.
func parseTime(s string) (time.Time, error) { return parseTimeIn(s, time.UTC) }

// parseTimeIn is parseTime reading a timestamp without an offset or zone as a wall-clock time in loc.
func parseTimeIn(s string, loc *time.Location) (time.Time, error) {
	t, zoned, err := parseTimeRaw(s)
	if err != nil {
		return time.Time{}, err
	}
	if !zoned && loc != time.UTC {
		// A wall clock in loc, one a transition skips or repeats resolved as PostgreSQL does (zonedTime).
		return fromWall(t, loc), nil
	}
	return t.UTC(), nil
}

// parseTimeRaw reads a timestamp's text: the time as written, in the zone its text names (an offset, one of
// PostgreSQL's default abbreviations such as EST, or a zone's name such as Europe/Paris; a name that is none is an
// error, not UTC) or in UTC when it names none, and whether it named one. A timestamp without time zone and a date
// take its wall clock, whatever zone it names, as PostgreSQL's input does.
func parseTimeRaw(s string) (time.Time, bool, error) {
	s = strings.TrimSpace(s)
	if n := len(s); n > 3 && strings.EqualFold(s[n-3:], " AD") {
		return parseTimeRaw(s[:n-3])
	}
	if n := len(s); n > 3 && strings.EqualFold(s[n-3:], " BC") {
		return parseBC(s[:n-3])
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 && isZoneWord(s[i+1:]) {
		loc, err := zoneOfWord(s[i+1:])
		if err != nil {
			return time.Time{}, false, err
		}
		wall, zoned, err := parseTimeRaw(s[:i])
		if err != nil || zoned {
			return time.Time{}, false, fmt.Errorf("bad time %q", s)
		}
		y, mo, d := wall.Date()
		h, mi, sec := wall.Clock()
		return zonedTime(y, mo, d, h, mi, sec, wall.Nanosecond(), loc), true, nil
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			if t.Year() == 0 {
				break // no year 0: 1 BC comes before 1 AD
			}
			return t, strings.Contains(l, "07"), nil
		}
	}
	if t, ok := julianTime(s); ok {
		return t, false, nil
	}

	if padded := padDate(s); padded != s {
		return parseTimeRaw(padded)
	}
	return time.Time{}, false, fmt.Errorf("bad time %q", s)
}

// isZoneWord reports whether w, the last word of a timestamp's text, names a zone rather than being part of the
// time: it starts with a letter (EST, UTC, Europe/Paris, Etc/GMT+5).
func isZoneWord(w string) bool {
	if w == "" || !(w[0] >= 'a' && w[0] <= 'z' || w[0] >= 'A' && w[0] <= 'Z') || strings.EqualFold(w, "AM") || strings.EqualFold(w, "PM") {
		return false
	}
	return strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_+-") == ""
}

// zoneOfWord is the zone a timestamp's text names by an abbreviation of PostgreSQL's default set or a zone's name.
func zoneOfWord(w string) (*time.Location, error) {
	if off, ok := zoneAbbrevs[strings.ToUpper(w)]; ok {
		return time.FixedZone(strings.ToUpper(w), off), nil
	}
	if loc, _, ok := loadZone(w); ok {
		return loc, nil
	}
	return nil, fmt.Errorf("unknown time zone %q", w)
}

// looseDate matches a date with one-digit fields, and a time of day with a one-digit hour after it.
var looseDate = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})(?:([ T])(\d{1,2})(:.*))?$`)

// padDate writes a date's one-digit fields with two ('2020-1-5 9:30' is '2020-01-05 09:30') and eight digits as
// a date with hyphens; other text is returned as it is.
func padDate(s string) string {
	if len(s) == 8 && strings.Trim(s, "0123456789") == "" {
		return s[0:4] + "-" + s[4:6] + "-" + s[6:8]
	}
	m := looseDate.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	two := func(f string) string {
		if len(f) == 1 {
			return "0" + f
		}
		return f
	}
	out := m[1] + "-" + two(m[2]) + "-" + two(m[3])
	if m[4] != "" {
		out += m[4] + two(m[5]) + m[6]
	}
	return out
}

// parseArray reads PostgreSQL's text form of an array, {a,"b c",NULL} or {{1,2},{3,4}}, into strings (and nils),
// a multi-dimensional one into nested []any whose sub-arrays must all have the same shape. A malformed one is
// PostgreSQL's 22P02 `malformed array literal`, with its detail.
func parseArray(s string) ([]any, error) {
	malformed := func(detail string) error {
		return &Error{Code: CodeInvalidTextRep, Message: fmt.Sprintf("malformed array literal: \"%s\"", s), Detail: detail}
	}
	t := strings.TrimSpace(s)
	a, rest, detail := parseArrayAt(t)
	switch {
	case detail != "":
		return nil, malformed(detail)
	case strings.TrimSpace(rest) != "":
		return nil, malformed("Junk after closing right brace.")
	case checkArrayShape(a) != nil:
		return nil, malformed("Multidimensional arrays must have sub-arrays with matching dimensions.")
	}
	return a, nil
}

// parseArrayAt reads the array at the start of s, returning what follows it, or what is wrong with it as
// PostgreSQL's detail says it.
func parseArrayAt(s string) ([]any, string, string) {
	const end = "Unexpected end of input."
	unexpected := func(c byte) string { return fmt.Sprintf("Unexpected \"%c\" character.", c) }
	if s == "" || s[0] != '{' {
		return nil, "", `Array value must start with "{" or dimension information.`
	}
	s = strings.TrimLeft(s[1:], " \t\n")
	out := []any{}
	if s != "" && s[0] == '}' {
		return out, s[1:], ""
	}
	for {
		s = strings.TrimLeft(s, " \t\n")
		switch {
		case s == "":
			return nil, "", end
		case s[0] == '{':
			sub, rest, detail := parseArrayAt(s)
			if detail != "" {
				return nil, "", detail
			}
			out, s = append(out, sub), rest
		case s[0] == '"':
			var b strings.Builder
			i := 1
			for i < len(s) && s[i] != '"' {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			if i == len(s) {
				return nil, "", end
			}
			out, s = append(out, b.String()), s[i+1:]
		default:
			j := strings.IndexAny(s, ",}")
			if j < 0 {
				return nil, "", end
			}
			e := strings.TrimSpace(s[:j])
			switch k := strings.IndexAny(e, "{\""); {
			case strings.EqualFold(e, "NULL"):
				out = append(out, nil)
			case e == "":
				return nil, "", unexpected(s[j])
			case k >= 0 && e[k] == '"':
				return nil, "", "Unexpected array element."
			case k >= 0:
				return nil, "", unexpected(e[k])
			default:
				out = append(out, e)
			}
			s = s[j:]
		}
		s = strings.TrimLeft(s, " \t\n")
		if s == "" {
			return nil, "", end
		}
		if s[0] == '}' {
			return out, s[1:], ""
		}
		if s[0] != ',' {
			return nil, "", unexpected(s[0])
		}
		s = s[1:]
	}
}

// formatText writes a value in PostgreSQL's text output format.
func formatText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case record:
		return x.text()
	case jsonText:
		return string(x)
	case bool:
		if x {
			return "t"
		}
		return "f"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		switch {
		case math.IsInf(x, 1):
			return "Infinity"
		case math.IsInf(x, -1):
			return "-Infinity"
		case math.IsNaN(x):
			return "NaN"
		}
		return string(appendFloat8(nil, x))
	case *apd.Decimal:
		return decText(x)
	case timeOfDay:
		return timeText(x)
	case enumValue:
		return x.label
	case uuidValue:
		return x.String()
	case inetValue:
		return x.String()
	case jsonPathValue:
		return x.String()
	case string:
		return x
	case Bytea:
		return x.text()
	case regclass:
		return x.text()
	case time.Time:
		if inf := infiniteText(x); inf != "" {
			return inf
		}
		return string(appendTimestamptz(nil, x)) // in its location: UTC, or the session's zone (showInZone)
	case interval:
		return formatInterval(x)
	case styledInterval:
		return x.text()
	case []any:
		return string(appendArray(nil, x, formatText))
	case bson.RawValue:
		if x.Type == bson.TypeBinary {
			_, data := x.Binary()
			return Bytea(data).text()
		}
		return formatJSON(x)
	}
	return fmt.Sprint(v)
}

// formatJSON writes a BSON value as jsonb text.
func formatJSON(v bson.RawValue) string {
	var b strings.Builder
	writeJSON(&b, v)
	return b.String()
}

func writeJSON(b *strings.Builder, v bson.RawValue) {
	switch v.Type {
	case bson.TypeEmbeddedDocument:
		elems, _ := v.Document().Elements()
		b.WriteByte('{')
		for i, e := range elems {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(jsonQuote(e.Key()))
			b.WriteString(": ")
			writeJSON(b, e.Value())
		}
		b.WriteByte('}')
	case bson.TypeArray:
		vals, _ := v.Array().Values()
		b.WriteByte('[')
		for i, e := range vals {
			if i > 0 {
				b.WriteString(", ")
			}
			writeJSON(b, e)
		}
		b.WriteByte(']')
	case bson.TypeNull, bson.TypeUndefined, 0:
		b.WriteString("null")
	case bson.TypeString:
		b.WriteString(jsonQuote(v.StringValue()))
	case bson.TypeBinary:
		_, data := v.Binary()
		b.WriteString(jsonQuote(Bytea(data).text()))
	case bson.TypeBoolean:
		b.WriteString(strconv.FormatBool(v.Boolean()))
	default:
		switch x := fromBSON(v).(type) {
		case string, time.Time, Bytea:
			b.WriteString(jsonQuote(formatText(x)))
		default:
			b.WriteString(formatText(x))
		}
	}
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FormatText writes a value as PostgreSQL's text output format does.
func FormatText(v any) string { return formatText(v) }

// formatTyped is formatText for a value shown as type oid: a numeric, kept as a float64 here, is written in
// plain decimal notation as PostgreSQL writes numerics (1704067200.5, 100000000000000000000), never with an
// exponent as a float8 may be; a date without its time, a timestamp without time zone without a zone.
func formatTyped(v any, oid uint32) string {
	return string(AppendTyped(nil, v, oid))
}

// AppendTyped appends a value of type oid in PostgreSQL's text output format (formatTyped), as a result column
// sends it.
func AppendTyped(b []byte, v any, oid uint32) []byte {
	switch x := v.(type) {
	case float64:
		if oid == OIDNumeric && !math.IsInf(x, 0) && !math.IsNaN(x) {
			if x == 0 {
				x = 0 // no negative zero
			}
			return strconv.AppendFloat(b, x, 'f', -1, 64)
		}
		if oid == OIDFloat4 && !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendFloat(b, x, 32)
		}
	case *apd.Decimal:
		if oid == OIDFloat8 || oid == OIDFloat4 {
			return AppendText(b, decToFloat(x))
		}
	case bool:
		if oid == OIDJSONB || oid == OIDJSON { // a JSON boolean
			return strconv.AppendBool(b, x)
		}
	case []any:
		if elem := types[oid].elem; elem != 0 {
			return appendArray(b, x, func(e any) string { return formatTyped(e, elem) }) // {2024-01-01} of a date[]
		}
	case time.Time:
		if inf := infiniteText(x); inf != "" {
			return append(b, inf...)
		}
		switch oid {
		case OIDDate: // a date has no time of day
			return appendEra(b, x.UTC(), "2006-01-02", nil)
		case OIDTimestamp: // nor a timestamp without time zone a zone
			return appendEra(b, x.UTC(), "2006-01-02 15:04:05.999999", nil)
		}
	}
	return AppendText(b, v)
}

// appendArray appends an array in PostgreSQL's text form, {1,"a b",NULL,{2,3}}: each element written by text,
// quoted when it is empty, NULL or holds a delimiter, a quote, a backslash or a space; a sub-array of a
// multi-dimensional array as an array, unquoted.
func appendArray(b []byte, a []any, text func(any) string) []byte {
	b = append(b, '{')
	for i, e := range a {
		if i > 0 {
			b = append(b, ',')
		}
		if e == nil {
			b = append(b, "NULL"...)
			continue
		}
		if sub, nested := e.([]any); nested {
			b = appendArray(b, sub, text)
			continue
		}
		s := text(e)
		if s == "" || strings.ContainsAny(s, "{},\"\\ ") || strings.EqualFold(s, "null") {
			s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b = append(b, s...)
	}
	return append(b, '}')
}

// appendFloat8 appends a finite float8 as PostgreSQL's float8out writes it (appendFloat).
func appendFloat8(b []byte, x float64) []byte { return appendFloat(b, x, 64) }

// appendFloat appends a finite float8 (bits 64) or real (32) as PostgreSQL writes them: the shortest digits that
// read back as the same value, in plain notation unless the decimal exponent is below -4 or at least 15 for a
// float8 (6 for a real), where it takes an exponent (12345678.9, 1e+15, 1.5e-05).
func appendFloat(b []byte, x float64, bits int) []byte {
	e := strconv.AppendFloat(b, x, 'e', -1, bits)
	i := len(e) - 1
	for e[i] != 'e' {
		i--
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if exp < -4 || exp >= limit {
		return e
	}
	return strconv.AppendFloat(b, x, 'f', -1, bits)
}

// AppendText appends FormatText(v) to b, without allocating for the common
// types (numbers, strings, booleans, timestamps).
func AppendText(b []byte, v any) []byte {
	switch x := v.(type) {
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			return appendFloat8(b, x)
		}
	case *apd.Decimal:
		return appendDec(b, x)
	case string:
		return append(b, x...)
	case time.Time:
		if infinite(x) == 0 {
			return appendTimestamptz(b, x)
		}
	}
	return append(b, formatText(v)...)
}

// Coerce converts a value to the representation of type oid, as an
// assignment does; package pgserver uses it before encoding a column.
func Coerce(v any, oid uint32) (any, error) { return coerce(v, oid) }

// IsVector reports whether oid is int2vector or oidvector: an array subscripted from 0, written "1 2", whose
// binary form is its element type's array's (VectorArray).
func IsVector(oid uint32) bool { return oid == OIDInt2Vector || oid == OIDOIDVector }

// VectorArray is the array type of a vector type's binary form and slices (int2[] for int2vector, oid[] for
// oidvector).
func VectorArray(oid uint32) uint32 {
	if oid == OIDOIDVector {
		return OIDOIDArray
	}
	return OIDInt2Array
}

// julianInput is a Julian day as PostgreSQL's date and timestamp input read it: J2451545 (2000-01-01), a fraction
// of a day (J2451545.5 is noon), and a time of day after it.
var julianInput = regexp.MustCompile(`^[Jj](\d{1,7})(\.\d+)?(?:\s+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$`)

// julianTime reads a Julian day (julianInput).
func julianTime(s string) (time.Time, bool) {
	m := julianInput.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	jd, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(jd-2451545))
	if m[2] != "" {
		frac, _ := strconv.ParseFloat("0"+m[2], 64)
		t = t.Add(time.Duration(math.Round(frac*86400e6)) * time.Microsecond)
	}
	if m[3] != "" {
		for _, l := range []string{"15:04", "15:04:05", "15:04:05.999999999"} {
			if c, err := time.Parse(l, m[3]); err == nil {
				t = t.Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute +
					time.Duration(c.Second())*time.Second + time.Duration(c.Nanosecond()))
				return t, true
			}
		}
		return time.Time{}, false
	}
	return t, true
}

// appendEra appends t formatted by layout, whose first field is the year, as PostgreSQL writes a date or time:
// a year before 1 as its year BC (year 0 is 1 BC) with " BC" after everything, tail included (a timestamp with
// time zone's offset).
func appendEra(b []byte, t time.Time, layout string, tail func([]byte) []byte) []byte {
	y := t.Year()
	if y >= 1 {
		b = t.AppendFormat(b, layout)
		if tail != nil {
			b = tail(b)
		}
		return b
	}
	// The same day and time in year 2000 (a leap year, as year 1 - y may be), with the year written over it.
	shifted := time.Date(2000, t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	text := shifted.AppendFormat(nil, layout)
	b = append(b, fmt.Sprintf("%04d", 1-y)...)
	b = append(b, text[4:]...)
	if tail != nil {
		b = tail(b)
	}
	return append(b, " BC"...)
}

// bcYear matches the year that begins a date written with BC after it.
var bcYear = regexp.MustCompile(`^(\d{1,4})(-.*)$`)

// parseBC reads a date or time written with BC after it: year y BC is the proleptic year 1 - y (1 BC is year
// 0), as PostgreSQL counts it, and its February has a 29th when that year is a leap year.
func parseBC(s string) (time.Time, bool, error) {
	m := bcYear.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false, fmt.Errorf("bad time %q BC", s)
	}
	y, _ := strconv.Atoi(m[1])
	if y < 1 {
		return time.Time{}, false, fmt.Errorf("bad time %q BC", s)
	}
	year := 1 - y
	surrogate := 2001
	if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		surrogate = 2000
	}
	t, zoned, err := parseTimeRaw(strconv.Itoa(surrogate) + m[2])
	if err != nil {
		return time.Time{}, false, err
	}
	return t.AddDate(year-surrogate, 0, 0), zoned, nil
}
