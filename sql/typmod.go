package sql

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
)

// Type modifiers: the length of varchar(n) and char(n), and the precision and scale of numeric(p, s). A column
// keeps its modifier as PostgreSQL's atttypmod does (n + 4; ((p << 16) | s) + 4; 0 here for none, where
// PostgreSQL has -1), and every value stored in it passes through applyTypmod: a string longer than n is 22001
// unless what is over is spaces, a number is rounded to s decimal places, half away from zero, and one with more
// than p - s digits before the point is 22003. A cast to a modified type (x::varchar(3), x::numeric(6,2)) does the
// same, except that a cast cuts a long string instead of refusing it.

// typmodHeader is PostgreSQL's VARHDRSZ, which every modifier carries.
const typmodHeader = 4

// maxVarcharLength is PostgreSQL's limit on n in varchar(n) and char(n).
const maxVarcharLength = 10485760

// typmodOf reads the modifiers of a type name that resolved to oid. Types whose modifiers Concord does not keep
// (timestamp(3), interval fields) get none.
func typmodOf(tn *pg.TypeName, oid uint32) (int32, error) {
	if tn == nil || len(tn.Typmods) == 0 {
		return 0, nil
	}
	if elem := types[oid].elem; elem != 0 {
		oid = elem // an array's modifier is its elements' (varchar(3)[]), as in PostgreSQL's atttypmod
	}
	m, err := typmodOfMods(tn, oid)
	if e, ok := err.(*Error); ok && e.Position == 0 {
		e.Position = int(tn.Location) + 1
	}
	return m, err
}

func typmodOfMods(tn *pg.TypeName, oid uint32) (int32, error) {
	var mods []int64
	for _, m := range tn.Typmods {
		c := m.GetAConst()
		if c == nil || c.GetIval() == nil {
			return 0, errorf(CodeSyntaxError, "type modifiers must be simple constants or identifiers")
		}
		mods = append(mods, int64(c.GetIval().Ival))
	}
	switch oid {
	case OIDVarchar, OIDBpchar:
		name := "varchar"
		if oid == OIDBpchar {
			name = "char"
		}
		if len(mods) != 1 {
			return 0, errorf(CodeInvalidParameterValue, "invalid type modifier")
		}
		if mods[0] < 1 {
			return 0, errorf(CodeInvalidParameterValue, "length for type %s must be at least 1", name)
		}
		if mods[0] > maxVarcharLength {
			return 0, errorf(CodeInvalidParameterValue, "length for type %s cannot exceed %d", name, maxVarcharLength)
		}
		return int32(mods[0]) + typmodHeader, nil
	case OIDNumeric:
		if len(mods) > 2 {
			return 0, errorf(CodeInvalidParameterValue, "invalid NUMERIC type modifier")
		}
		p, s := mods[0], int64(0)
		if len(mods) == 2 {
			s = mods[1]
		}
		if p < 1 || p > 1000 {
			return 0, errorf(CodeInvalidParameterValue, "NUMERIC precision %d must be between 1 and 1000", p)
		}
		if s < -1000 || s > 1000 {
			return 0, errorf(CodeInvalidParameterValue, "NUMERIC scale %d must be between -1000 and 1000", s)
		}
		return int32(p<<16|(s&0x7ff)) + typmodHeader, nil
	case OIDInterval:
		return intervalTypmod(mods)
	case OIDTime, OIDTimestamp, OIDTimestamptz:
		if len(mods) != 1 {
			return 0, errorf(CodeInvalidParameterValue, "invalid type modifier")
		}
		if mods[0] < 0 {
			name := "TIME"
			if oid != OIDTime {
				name = "TIMESTAMP"
			}
			return 0, errorf(CodeInvalidParameterValue, "%s(%d) precision must not be negative", name, mods[0])
		}
		return int32(min(mods[0], 6)) + typmodHeader, nil // PostgreSQL reduces a larger one to 6
	}
	return 0, nil
}

// precisionType reports whether oid is a type whose modifier is a precision of fractional seconds: time,
// timestamp, timestamptz.
func precisionType(oid uint32) bool {
	return oid == OIDTime || oid == OIDTimestamp || oid == OIDTimestamptz
}

// numericTypmod returns the precision and scale of a numeric modifier.
func numericTypmod(typmod int32) (p, s int) {
	m := typmod - typmodHeader
	s = int(m & 0x7ff)
	if s > 1023 { // an 11-bit negative scale, as PostgreSQL packs it
		s -= 2048
	}
	return int(m >> 16), s
}

// typmodText is the modifier as format_type appends it to the type's name: "(5)", "(6,2)", " day"; "" for none.
func typmodText(oid uint32, typmod int32) string {
	switch oid {
	case OIDInterval:
		return intervalTypmodText(typmod)
	case OIDVarchar, OIDBpchar:
		if typmod <= typmodHeader {
			return ""
		}
		return fmt.Sprintf("(%d)", typmod-typmodHeader)
	case OIDNumeric:
		if typmod < typmodHeader {
			return ""
		}
		p, s := numericTypmod(typmod)
		return fmt.Sprintf("(%d,%d)", p, s)
	case OIDTime, OIDTimestamp, OIDTimestamptz:
		if typmod < typmodHeader {
			return ""
		}
		return fmt.Sprintf("(%d)", typmod-typmodHeader)
	}
	return ""
}

// formatType is format_type(oid, typmod): the type's name with its modifier.
func formatType(oid uint32, typmod int32) string {
	if elem := types[oid].elem; elem != 0 && typmodText(elem, typmod) != "" {
		return formatType(elem, typmod) + "[]"
	}
	if precisionType(oid) && typmodText(oid, typmod) != "" {
		name, zone, _ := strings.Cut(TypeName(oid), " ") // timestamp(6) with time zone
		return name + typmodText(oid, typmod) + " " + zone
	}
	return TypeName(oid) + typmodText(oid, typmod)
}

// applyTypmod fits v, already of type oid, to the modifier typmod: an assignment (explicit false) refuses a
// string that does not fit, a cast (explicit true) cuts it. A nil or unmodified value passes as it is.
func applyTypmod(v any, oid uint32, typmod int32, explicit bool) (any, error) {
	if v == nil || typmod <= 0 {
		return v, nil
	}
	if elem := types[oid].elem; elem != 0 {
		a, ok := v.([]any)
		if !ok {
			return v, nil
		}
		out := make([]any, len(a))
		for i, e := range a {
			var err error
			if out[i], err = applyTypmod(e, elem, typmod, explicit); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if iv, ok := v.(interval); ok && oid == OIDInterval {
		return fitInterval(iv, typmod), nil
	}
	switch oid {
	case OIDVarchar, OIDBpchar:
		s, ok := v.(string)
		if !ok {
			return v, nil
		}
		s, err := fitString(s, oid, int(typmod-typmodHeader), explicit)
		if oid == OIDBpchar {
			// PostgreSQL pads char(n) with spaces and ignores trailing spaces in every operation on it (length,
			// comparisons, the cast to text); the value is kept without them, so that those operations agree.
			s = strings.TrimRight(s, " ")
		}
		return s, err
	case OIDNumeric:
		return fitNumeric(v, typmod)
	case OIDTime:
		if t, ok := v.(timeOfDay); ok {
			unit := int64(math.Pow10(6 - int(typmod-typmodHeader)))
			return timeOfDay((int64(t) + unit/2) / unit * unit), nil // rounded half up to the precision
		}
	case OIDTimestamp, OIDTimestamptz:
		if t, ok := v.(time.Time); ok && infinite(t) == 0 && typmod-typmodHeader < 6 {
			// Rounded to the precision, half away from zero, as PostgreSQL's AdjustTimestampForTypmod.
			// PostgreSQL counts from 2000-01-01, so a half before it rounds down and after it up.
			const pgEpoch = 946684800_000000
			unit := int64(math.Pow10(6 - int(typmod-typmodHeader)))
			us := t.UnixMicro() - pgEpoch
			r := (us + unit/2) / unit * unit
			if us < 0 {
				r = -((-us + unit/2) / unit * unit)
			}
			return time.UnixMicro(r + pgEpoch).In(t.Location()), nil
		}
	}
	return v, nil
}

// fitString fits s to n characters: a longer string is cut where the characters over n are all spaces, or by a
// cast; otherwise it is 22001.
func fitString(s string, oid uint32, n int, explicit bool) (string, error) {
	if utf8.RuneCountInString(s) <= n {
		return s, nil
	}
	cut := 0
	for i := range s {
		if n == 0 {
			cut = i
			break
		}
		n--
	}
	if !explicit && strings.Trim(s[cut:], " ") != "" {
		name := "character varying"
		if oid == OIDBpchar {
			name = "character"
		}
		return "", errorf(CodeStringDataRightTruncation, "value too long for type %s(%d)", name, utf8.RuneCountInString(s[:cut]))
	}
	return s[:cut], nil
}

// fitNumeric rounds a number to the scale of numeric(p, s), half away from zero as PostgreSQL rounds numerics,
// and refuses one with more than p - s digits before the point (22003, with PostgreSQL's detail). The number is
// rounded in decimal, from decimalText's form, so that 1.005 becomes 1.01 as the numeric literal does in
// PostgreSQL, not 1.00 as its nearest float64 would. A number that already fits is returned as it is.
func fitNumeric(v any, typmod int32) (any, error) {
	p, s := numericTypmod(typmod)
	var text string
	switch x := v.(type) {
	case *apd.Decimal:
		return fitDecimal(x, p, s)
	case int64:
		text = strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) {
			return v, nil
		}
		if math.IsInf(x, 0) {
			return nil, &Error{Code: CodeNumericOutOfRange, Message: "numeric field overflow",
				Detail: fmt.Sprintf("A field with precision %d, scale %d cannot hold an infinite value.", p, s)}
		}
		if fitsAsIs(x, p, s) {
			return v, nil
		}
		text = decimalText(x)
	default:
		return v, nil
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return v, nil
	}
	q := scaledInt(r, s, false)
	// At most p digits in all: |q| < 10^p.
	if q.Sign() != 0 && len(new(big.Int).Abs(q).String()) > p {
		return nil, numericOverflow(p, s)
	}
	out := unscaled(q, s)
	if out.IsInt() && out.Num().IsInt64() {
		if _, isInt := v.(int64); isInt {
			return out.Num().Int64(), nil
		}
	}
	f, _ := out.Float64()
	return f, nil
}

// PGTypmod is a column's type modifier as PostgreSQL shows it (atttypmod, RowDescription): -1 for none, and p for
// time(p) and timestamp(p), which Concord keeps as p + 4 so that time(0) differs from time.
func PGTypmod(oid uint32, typmod int32) int32 {
	switch {
	case typmod <= 0:
		return -1
	case precisionType(oid) || precisionType(types[oid].elem):
		return typmod - typmodHeader
	}
	return typmod
}

// numericOverflow is PostgreSQL's 22003 for a value too large for numeric(p, s).
func numericOverflow(p, s int) error {
	bound := "1"
	if p != s {
		bound = fmt.Sprintf("10^%d", p-s)
	}
	return &Error{Code: CodeNumericOutOfRange, Message: "numeric field overflow",
		Detail: fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than %s.", p, s, bound)}
}

// fitDecimal is fitNumeric of a numeric: rounded to s places (so shown with s places), at most p digits in all.
func fitDecimal(d *apd.Decimal, p, s int) (any, error) {
	switch d.Form {
	case apd.NaN, apd.NaNSignaling:
		return d, nil
	case apd.Infinite:
		return nil, &Error{Code: CodeNumericOutOfRange, Message: "numeric field overflow",
			Detail: fmt.Sprintf("A field with precision %d, scale %d cannot hold an infinite value.", p, s)}
	}
	r, err := decRound(d, s, false) // 5 becomes 5.00 in numeric(p,2), as PostgreSQL stores it
	if err != nil {
		return nil, err
	}
	if !r.IsZero() && int(r.NumDigits())+int(r.Exponent) > p-s {
		return nil, numericOverflow(p, s)
	}
	return r, nil
}

// roundDigits is round(x, d) (trunc when trunc is set) of a number: rounded half away from zero, or cut, to d
// decimal places, or to tens, hundreds for a negative d, in decimal from decimalText's form, as PostgreSQL rounds
// a numeric (round(2.675, 2) is 2.68, not the 2.67 of its nearest float64).
func roundDigits(v any, d int, trunc bool) (any, error) {
	var text string
	switch x := v.(type) {
	case *apd.Decimal:
		return decRound(x, d, trunc)
	case int64:
		if d >= 0 {
			return x, nil
		}
		text = strconv.FormatInt(x, 10)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return x, nil
		}
		text = decimalText(x)
	default:
		return nil, errorf(CodeDatatypeMismatch, "round and trunc need a number")
	}
	switch {
	case d > 1000:
		return v, nil // PostgreSQL's numerics hold at most 1000 digits after the point
	case d < -1000:
		if _, isInt := v.(int64); isInt {
			return int64(0), nil
		}
		return 0.0, nil
	}
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return v, nil
	}
	out := unscaled(scaledInt(r, d, trunc), d)
	if _, isInt := v.(int64); isInt && out.IsInt() && out.Num().IsInt64() {
		return out.Num().Int64(), nil
	}
	f, _ := out.Float64()
	return f, nil
}

// pow10 is 10^|d| as a rational.
func pow10(d int) *big.Rat {
	return new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(d))), nil))
}

// scaledInt is r * 10^d rounded to an integer, half away from zero (cut toward zero when trunc is set); d < 0
// divides by 10^-d.
func scaledInt(r *big.Rat, d int, trunc bool) *big.Int {
	x := new(big.Rat).Set(r)
	if d >= 0 {
		x.Mul(x, pow10(d))
	} else {
		x.Quo(x, pow10(d))
	}
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(new(big.Int).Abs(num), den, new(big.Int))
	if !trunc && new(big.Int).Lsh(m, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if num.Sign() < 0 {
		q.Neg(q)
	}
	return q
}

// unscaled is q / 10^d, scaledInt's inverse.
func unscaled(q *big.Int, d int) *big.Rat {
	out := new(big.Rat).SetInt(q)
	if d >= 0 {
		return out.Quo(out, pow10(d))
	}
	return out.Mul(out, pow10(d))
}

// decimalText is the decimal a float64 numeric stands for. Numerics are float64s here, so arithmetic on them
// leaves binary noise in the last digits (10 + 1.005 is 11.004999999999999); when the number's 15 significant
// digits end in at least three zeros (11.0050000000000), it is taken as the short decimal they give (11.005), as
// PostgreSQL's exact decimal arithmetic would have it. Otherwise it is the shortest form that reads back as the
// same float64, which keeps every digit of a literal such as 12345678901234.567.
func decimalText(x float64) string {
	shortest := strconv.FormatFloat(x, 'g', -1, 64)
	if significantDigits(shortest) <= 15 {
		return shortest
	}
	g15 := strconv.FormatFloat(x, 'g', 15, 64)
	if significantDigits(g15) <= 12 {
		return g15
	}
	return shortest
}

// significantDigits counts the digits of a 'g' formatted number from its first non-zero digit to its last
// non-zero one (trailing zeros do not count).
func significantDigits(g string) int {
	mant := g
	if e := strings.IndexAny(mant, "eE"); e >= 0 {
		mant = mant[:e]
	}
	mant = strings.TrimLeft(strings.ReplaceAll(strings.TrimPrefix(mant, "-"), ".", ""), "0")
	return len(strings.TrimRight(mant, "0"))
}

// fitsAsIs reports whether x, written in its shortest decimal form, has at most s decimal places and p - s digits
// before the point: fitNumeric would return it unchanged.
func fitsAsIs(x float64, p, s int) bool {
	if s < 0 || math.Abs(x) >= 1e15 {
		return false
	}
	var buf [32]byte
	t := strconv.AppendFloat(buf[:0], math.Abs(x), 'f', -1, 64)
	intDigits, frac := len(t), 0
	if dot := bytes.IndexByte(t, '.'); dot >= 0 {
		intDigits, frac = dot, len(t)-dot-1
	}
	if intDigits == 1 && t[0] == '0' {
		intDigits = 0
	}
	return frac <= s && intDigits <= p-s
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// typmodOfExpr is the type modifier of a result column computed by n: a plain reference to a column with one
// (SELECT n FROM t), or a cast to a modified type (x::numeric(6,2)); 0 otherwise.
func typmodOfExpr(n *pg.Node, sc *scope) int32 {
	if tc := n.GetTypeCast(); tc != nil {
		oid, err := typeFromName(tc.TypeName)
		if err != nil {
			return 0
		}
		m, _ := typmodOf(tc.TypeName, oid)
		return m
	}
	if c := refCol(n, sc); c != nil {
		return c.typmod
	}
	return 0
}

// refCol is the column a plain column reference n names, or nil (not a reference, not found, ambiguous).
func refCol(n *pg.Node, sc *scope) *relCol {
	cr := n.GetColumnRef()
	if cr == nil {
		return nil
	}
	fields := columnFields(cr)
	if len(fields) > 2 {
		return nil
	}
	for s := sc; s != nil; s = s.outer {
		var found *relCol
		for i := range s.cols {
			c := &s.cols[i]
			if c.hidden || c.merged || c.name != fields[len(fields)-1] || (len(fields) == 2 && c.qual != fields[0]) {
				continue
			}
			if found != nil {
				return nil // ambiguous: the evaluation reports it
			}
			found = c
		}
		if found != nil {
			return found
		}
	}
	return nil
}

// scaleOfExpr is the number of decimal places PostgreSQL shows in every value of the numeric expression n when
// that number follows from the expression alone: a numeric(p,s) column's s, an integer's 0, a literal's digits
// after the point, the larger of two operands' for + and -, their sum for *, an operand's for unary minus, abs,
// sum, min and max, round(x, d) and trunc(x, d)'s d. PostgreSQL's numeric values carry their scale; Concord's do
// not, so this is how `price * 2` shows 10.00. It is -1 where the scale depends on the values (division, avg, a
// numeric column without a modifier, CASE).
func scaleOfExpr(n *pg.Node, sc *scope) int {
	switch {
	case n.GetColumnRef() != nil:
		c := refCol(n, sc)
		if c == nil {
			return -1
		}
		switch c.oid {
		case OIDInt2, OIDInt4, OIDInt8:
			return 0
		case OIDNumeric:
			if c.typmod > 0 {
				if _, s := numericTypmod(c.typmod); s >= 0 {
					return s
				}
				return -1
			}
			if c.scale > 0 {
				return int(c.scale)
			}
		}
		return -1
	case n.GetAConst() != nil:
		ac := n.GetAConst()
		if ac.GetIval() != nil {
			return 0
		}
		if f := ac.GetFval(); f != nil {
			v := f.Fval
			if strings.ContainsAny(v, "eE") {
				return -1
			}
			if dot := strings.IndexByte(v, '.'); dot >= 0 {
				return len(v) - dot - 1
			}
			return 0
		}
		return -1
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		oid, err := typeFromName(tc.TypeName)
		if err != nil {
			return -1
		}
		switch oid {
		case OIDInt2, OIDInt4, OIDInt8:
			return 0
		case OIDNumeric:
			if m, _ := typmodOf(tc.TypeName, oid); m > 0 {
				if _, s := numericTypmod(m); s >= 0 {
					return s
				}
				return -1
			}
			return scaleOfExpr(tc.Arg, sc)
		}
		return -1
	case n.GetAExpr() != nil:
		e := n.GetAExpr()
		if e.Kind != pg.A_Expr_Kind_AEXPR_OP || len(e.Name) != 1 {
			return -1
		}
		op := e.Name[0].GetString_().GetSval()
		if e.Lexpr == nil {
			if op == "-" || op == "+" {
				return scaleOfExpr(e.Rexpr, sc)
			}
			return -1
		}
		l, r := scaleOfExpr(e.Lexpr, sc), scaleOfExpr(e.Rexpr, sc)
		if l < 0 || r < 0 {
			return -1
		}
		switch op {
		case "+", "-":
			return max(l, r)
		case "*":
			return l + r
		}
		return -1
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall()
		if f.AggStar || len(f.AggOrder) > 0 || f.Over != nil {
			return -1
		}
		name := f.Funcname[len(f.Funcname)-1].GetString_().GetSval()
		switch {
		case name == "extract" && len(f.Args) == 2:
			return extractScale(f.Args[0].GetAConst().GetSval().GetSval(), f.Args[1], sc)
		case len(f.Args) == 1 && (name == "sum" || name == "min" || name == "max" || name == "abs"):
			return scaleOfExpr(f.Args[0], sc)
		case len(f.Args) == 1 && (name == "round" || name == "trunc"):
			return 0
		case len(f.Args) == 2 && (name == "round" || name == "trunc"):
			if d := f.Args[1].GetAConst().GetIval(); d != nil && d.Ival >= 0 && d.Ival <= 1000 {
				return int(d.Ival)
			}
			if ac := f.Args[1].GetAConst(); ac != nil && ac.GetIval() == nil && ac.GetFval() == nil && !ac.Isnull {
				return 0 // round(x, 0): a zero constant has no Ival
			}
		}
		return -1
	}
	return -1
}

// extractScale is the scale of EXTRACT(field FROM src)'s numeric value, as PostgreSQL 15 makes it: 6 for second
// and epoch, 3 for milliseconds, 0 for the other fields, and 0 for every field of a date (a date's epoch is whole
// seconds). A source known to be a date is a date column, a cast to date, or CURRENT_DATE.
func extractScale(field string, src *pg.Node, sc *scope) int {
	isDate := false
	switch {
	case src.GetTypeCast() != nil:
		oid, err := typeFromName(src.GetTypeCast().TypeName)
		isDate = err == nil && oid == OIDDate
	case src.GetColumnRef() != nil:
		c := refCol(src, sc)
		isDate = c != nil && c.oid == OIDDate
	case src.GetSqlvalueFunction() != nil:
		isDate = src.GetSqlvalueFunction().Op == pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE
	}
	switch strings.ToLower(field) {
	case "second", "seconds", "epoch":
		if isDate {
			return 0
		}
		return 6
	case "milliseconds", "millisecond", "ms", "msec", "msecs":
		return 3
	}
	return 0
}

// numericText is v, a value of expression n, as the text a cast to text makes of it: a number of a numeric
// expression with a known scale (scaleOfExpr) as it shows (price::text is 5.00); v itself otherwise.
func (x *exec) numericText(v any, n *pg.Node, sc *scope) any {
	switch v.(type) {
	case float64, int64, *apd.Decimal:
	default:
		return v
	}
	if x.typeOf(n, sc) != OIDNumeric {
		return v
	}
	s := scaleOfExpr(n, sc)
	if s <= 0 {
		return v
	}
	return string(AppendTypedMod(nil, v, OIDNumeric, DisplayMod(Column{OID: OIDNumeric, Scale: int32(s)})))
}

// DisplayMod is the type modifier that shows column c's values: its own, or for a numeric expression whose
// values PostgreSQL shows with a fixed number of decimal places (scaleOfExpr), one with that scale. It is for
// formatting only: RowDescription carries c.TypMod, as PostgreSQL sends -1 for an expression.
func DisplayMod(c Column) int32 {
	if c.TypMod > 0 || c.Scale <= 0 || c.Scale > 1000 || c.OID != OIDNumeric {
		return c.TypMod
	}
	return ((1000 << 16) | c.Scale) + typmodHeader
}

// PadChar pads a char(n) value (type modifier typmod) with spaces to n characters. Such values are kept without
// their trailing spaces (fitString), which PostgreSQL ignores in every operation on them, and returned padded, as
// PostgreSQL returns them. Other values are returned as they are.
func PadChar(v any, oid uint32, typmod int32) any {
	if oid != OIDBpchar || typmod <= 4 {
		return v
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	if short := int(typmod-4) - utf8.RuneCountInString(s); short > 0 {
		return s + strings.Repeat(" ", short)
	}
	return s
}

// AppendTypedMod is AppendTyped for a column with type modifier typmod: a numeric(p, s) with s > 0 shows s
// decimal places (1.00) and a char(n) value is padded to n characters, as PostgreSQL shows the values of such
// columns.
func AppendTypedMod(b []byte, v any, oid uint32, typmod int32) []byte {
	if oid == OIDBpchar {
		v = PadChar(v, oid, typmod)
	}
	if oid == OIDNumeric && typmod > 0 {
		if _, s := numericTypmod(typmod); s > 0 {
			var f float64
			switch x := v.(type) {
			case float64:
				f = x
			case int64:
				f = float64(x)
			case *apd.Decimal:
				if decScale(x) != s && x.Form == apd.Finite {
					if r, err := decRound(x, s, false); err == nil {
						x = r
					}
				}
				return appendDec(b, x)
			default:
				return AppendTyped(b, v, oid)
			}
			if !math.IsInf(f, 0) && !math.IsNaN(f) {
				return appendScaled(b, f, s)
			}
		}
	}
	return AppendTyped(b, v, oid)
}

// appendScaled appends f with s decimal places, as PostgreSQL shows a numeric of scale s: its shortest form padded
// with zeros when that has at most s places (no digit is made up or dropped), else the decimal it stands for
// (decimalText, which drops float64 arithmetic's noise) rounded half away from zero; never -0.00.
func appendScaled(b []byte, f float64, s int) []byte {
	var buf [32]byte
	if short := strconv.AppendFloat(buf[:0], f, 'f', -1, 64); s >= 0 && len(short) < len(buf) {
		// A number with at most s places is shown with its own digits (100.00000000000001 at scale 14), padded.
		frac := 0
		if dot := bytes.IndexByte(short, '.'); dot >= 0 {
			frac = len(short) - dot - 1
		}
		if frac <= s {
			if f == 0 {
				short = append(short[:0], '0') // no negative zero
			}
			b = append(b, short...)
			if frac == 0 && s > 0 {
				b = append(b, '.')
			}
			for ; frac < s; frac++ {
				b = append(b, '0')
			}
			return b
		}
	}
	r, ok := new(big.Rat).SetString(decimalText(f))
	if !ok {
		return strconv.AppendFloat(b, f, 'f', s, 64)
	}
	text := r.FloatString(s)
	if text[0] == '-' && strings.Trim(text[1:], "0.") == "" {
		text = text[1:] // no negative zero
	}
	return append(b, text...)
}

// toStored converts v for storage in a column of type oid with modifier typmod: the type's conversion
// (coerce), the modifier (applyTypmod, as an assignment), then BSON.
func toStored(v any, oid uint32, typmod int32) (any, error) {
	if s, ok := v.(string); ok && oid == OIDInterval && typmod > 0 {
		iv, err := parseIntervalFields(s, typmod) // interval '7' into an INTERVAL DAY column is 7 days
		if err != nil {
			return nil, err
		}
		v = iv
	}
	if v != nil && typmod > 0 {
		c, err := coerce(v, oid)
		if err != nil {
			return nil, err
		}
		if v, err = applyTypmod(c, oid, typmod, false); err != nil {
			return nil, err
		}
	}
	return toBSON(v, oid)
}

// columnSizes are information_schema.columns' character_maximum_length, numeric_precision and numeric_scale of
// column c, nil where PostgreSQL shows NULL.
func columnSizes(c column) (length, precision, scale any) {
	switch c.Type {
	case OIDVarchar, OIDBpchar:
		if c.TypMod > 0 {
			length = int64(c.TypMod - typmodHeader)
		}
	case OIDInt2:
		precision, scale = int64(16), int64(0)
	case OIDInt4:
		precision, scale = int64(32), int64(0)
	case OIDInt8:
		precision, scale = int64(64), int64(0)
	case OIDFloat4:
		precision = int64(24)
	case OIDFloat8:
		precision = int64(53)
	case OIDNumeric:
		if c.TypMod > 0 {
			p, _ := numericTypmod(c.TypMod)
			// PostgreSQL's view reads the scale as the modifier's low 16 bits: a negative scale shows as 2046 for -2.
			precision, scale = int64(p), int64((c.TypMod-typmodHeader)&0xffff)
		}
	}
	return length, precision, scale
}

// bpcharOperands drops the trailing spaces of two strings an operator compares when either operand is a char(n)
// (bpchar), whose trailing spaces PostgreSQL ignores. The operands' types are looked at only when a string ends in a
// space: not for every row of every comparison.
func (x *exec) bpcharOperands(l, r any, ln, rn *pg.Node, sc *scope) (any, any) {
	ls, lok := l.(string)
	rs, rok := r.(string)
	if !lok || !rok || (!strings.HasSuffix(ls, " ") && !strings.HasSuffix(rs, " ")) {
		return l, r
	}
	if x.typeOf(ln, sc) != OIDBpchar && x.typeOf(rn, sc) != OIDBpchar {
		return l, r
	}
	return strings.TrimRight(ls, " "), strings.TrimRight(rs, " ")
}
