package value_test

import (
	"testing"

	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// compareValue parses the value of {"v": <json>}.
func compareValue(tb testing.TB, js string) bson.RawValue {
	tb.Helper()
	return jsonDoc(tb, `{"v": `+js+`}`).Lookup("v")
}

// compareOrder lists values in MongoDB's ascending BSON order, one group per
// line of the manual's "Comparison/Sort Order" table; values inside a group
// are strictly increasing too.
var compareOrder = []string{
	`{"$minKey": 1}`,
	`{"$undefined": true}`,
	`null`,
	`{"$numberDouble": "NaN"}`,
	`{"$numberDouble": "-Infinity"}`,
	`{"$numberLong": "-9223372036854775808"}`,
	`-1.5`,
	`-1`,
	`0`,
	`{"$numberDecimal": "0.1"}`,
	`0.1`,
	`1`,
	`1.5`,
	`{"$numberLong": "9007199254740993"}`,
	`{"$numberDecimal": "1E+30"}`,
	`{"$numberDouble": "Infinity"}`,
	`""`,
	`"A"`,
	`"a"`,
	`"ab"`,
	`"b"`,
	`{}`,
	`{"a": 1}`,
	`{"a": 1, "b": 1}`,
	`{"a": 2}`,
	`{"b": 0}`, // element type is compared before field name
	`{"a": "x"}`,
	`[]`,
	`[1]`,
	`[1, 2]`,
	`[2]`,
	`["a"]`,
	`{"$binary": {"base64": "Ag==", "subType": "80"}}`,
	`{"$binary": {"base64": "AQI=", "subType": "00"}}`,
	`{"$binary": {"base64": "AQM=", "subType": "00"}}`,
	`{"$binary": {"base64": "AQI=", "subType": "01"}}`,
	`{"$oid": "000000000000000000000001"}`,
	`{"$oid": "ff0000000000000000000000"}`,
	`false`,
	`true`,
	`{"$date": {"$numberLong": "-1"}}`,
	`{"$date": {"$numberLong": "5"}}`,
	`{"$timestamp": {"t": 1, "i": 2}}`,
	`{"$timestamp": {"t": 2, "i": 1}}`,
	`{"$timestamp": {"t": 4294967295, "i": 1}}`,
	`{"$regularExpression": {"pattern": "a", "options": "i"}}`,
	`{"$regularExpression": {"pattern": "b", "options": ""}}`,
	`{"$code": "x"}`,
	`{"$maxKey": 1}`,
}

func TestCompare_Order(t *testing.T) {
	vals := make([]bson.RawValue, len(compareOrder))
	for i, s := range compareOrder {
		vals[i] = compareValue(t, s)
	}
	for i := range vals {
		for j := range vals {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			if got := value.Compare(vals[i], vals[j]); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", compareOrder[i], compareOrder[j], got, want)
			}
		}
	}
}

func TestCompare_Equal(t *testing.T) {
	cases := []struct {
		name, a, b string
		want       bool
	}{
		{"int-double", `1`, `1.0`, true},
		{"int-long", `1`, `{"$numberLong": "1"}`, true},
		{"int-decimal", `1`, `{"$numberDecimal": "1.000"}`, true},
		{"double-decimal-half", `0.5`, `{"$numberDecimal": "0.5"}`, true},
		{"neg-zero", `-0.0`, `0`, true},
		{"decimal-neg-zero", `{"$numberDecimal": "-0"}`, `0`, true},
		{"nan-nan", `{"$numberDouble": "NaN"}`, `{"$numberDouble": "NaN"}`, true},
		{"nan-decimal-nan", `{"$numberDouble": "NaN"}`, `{"$numberDecimal": "NaN"}`, true},
		{"inf-decimal-inf", `{"$numberDouble": "Infinity"}`, `{"$numberDecimal": "Infinity"}`, true},
		{"long-precision", `{"$numberLong": "9007199254740993"}`, `9007199254740992.0`, false},
		{"string-symbol", `"abc"`, `{"$symbol": "abc"}`, true},
		{"null-undefined", `null`, `{"$undefined": true}`, false},
		{"docs-numeric-fields", `{"a": 1}`, `{"a": 1.0}`, true},
		{"docs-field-names", `{"a": 1}`, `{"b": 1}`, false},
		{"arrays-numeric", `[1, 2]`, `[1.0, {"$numberLong": "2"}]`, true},
		{"date-vs-timestamp", `{"$date": {"$numberLong": "0"}}`, `{"$timestamp": {"t": 0, "i": 0}}`, false},
		{"minkey", `{"$minKey": 1}`, `{"$minKey": 1}`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := compareValue(t, c.a), compareValue(t, c.b)
			if got := value.Equal(a, b); got != c.want {
				t.Fatalf("Equal(%s, %s) = %v, want %v", c.a, c.b, got, c.want)
			}
			if got := value.Equal(b, a); got != c.want {
				t.Fatalf("Equal(%s, %s) = %v, want %v (not symmetric)", c.b, c.a, got, c.want)
			}
		})
	}
}

func TestCompare_MissingSortsBelowNull(t *testing.T) {
	if got := value.Compare(bson.RawValue{}, compareValue(t, `null`)); got != -1 {
		t.Fatalf("Compare(missing, null) = %d, want -1", got)
	}
	if got := value.Compare(bson.RawValue{}, compareValue(t, `{"$minKey": 1}`)); got != 1 {
		t.Fatalf("Compare(missing, MinKey) = %d, want 1", got)
	}
}

func TestCompare_LongDoubleBoundaries(t *testing.T) {
	maxLong := compareValue(t, `{"$numberLong": "9223372036854775807"}`)
	twoTo63 := compareValue(t, `9223372036854775808.0`)
	if got := value.Compare(maxLong, twoTo63); got != -1 {
		t.Errorf("Compare(MaxInt64, 2^63) = %d, want -1", got)
	}
	minLong := compareValue(t, `{"$numberLong": "-9223372036854775808"}`)
	minus2To63 := compareValue(t, `-9223372036854775808.0`)
	if got := value.Compare(minLong, minus2To63); got != 0 {
		t.Errorf("Compare(MinInt64, -2^63) = %d, want 0", got)
	}
	frac := compareValue(t, `2.5`)
	two := compareValue(t, `{"$numberLong": "2"}`)
	if value.Compare(two, frac) != -1 || value.Compare(frac, two) != 1 {
		t.Error("2 and 2.5 misordered")
	}
}

func TestCompare_ScalarsDoNotAllocate(t *testing.T) {
	pairs := [][2]string{
		{`1`, `2.5`},
		{`{"$numberLong": "7"}`, `7`},
		{`"abc"`, `"abd"`},
		{`{"$oid": "000000000000000000000001"}`, `{"$oid": "000000000000000000000002"}`},
		{`{"$date": {"$numberLong": "5"}}`, `{"$date": {"$numberLong": "6"}}`},
		{`null`, `1`},
		{`{"a": 1}`, `{"a": 2}`},
	}
	for _, p := range pairs {
		a, b := compareValue(t, p[0]), compareValue(t, p[1])
		if n := testing.AllocsPerRun(100, func() { value.Compare(a, b) }); n != 0 {
			t.Errorf("Compare(%s, %s) allocates %v times", p[0], p[1], n)
		}
	}
}

func TestCompare_MalformedDoesNotPanic(t *testing.T) {
	types := []bson.Type{bson.TypeDouble, bson.TypeString, bson.TypeEmbeddedDocument, bson.TypeArray, bson.TypeBinary,
		bson.TypeObjectID, bson.TypeBoolean, bson.TypeDateTime, bson.TypeRegex, bson.TypeDBPointer, bson.TypeJavaScript,
		bson.TypeCodeWithScope, bson.TypeInt32, bson.TypeTimestamp, bson.TypeInt64, bson.TypeDecimal128}
	junk := [][]byte{nil, {1}, {0xff, 0xff, 0xff, 0x7f}, {5, 0, 0, 0, 1, 2}}
	for _, ty := range types {
		for _, a := range junk {
			for _, b := range junk {
				value.Compare(bson.RawValue{Type: ty, Value: a}, bson.RawValue{Type: ty, Value: b})
			}
		}
	}
}
