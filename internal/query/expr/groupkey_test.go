package expr_test

import (
	"math"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/expr"
	"github.com/concorddb/concord/internal/query/value"
)

// TestGroupKey checks that two values share a group key exactly when
// MongoDB's comparison finds them equal, across the numeric types (where
// the fast paths for integers and integral doubles sit) and the other kinds.
func TestGroupKey(t *testing.T) {
	vals := map[string]bson.RawValue{
		"missing":        {},
		"null":           aggValue(t, `null`),
		"int 0":          value.Int32(0),
		"double -0":      value.Double(math.Copysign(0, -1)),
		"int 1":          value.Int32(1),
		"long 1":         value.Int64(1),
		"double 1":       value.Double(1),
		"decimal 1.0":    aggValue(t, `{"$numberDecimal": "1.0"}`),
		"double 1.5":     value.Double(1.5),
		"decimal 1.5":    aggValue(t, `{"$numberDecimal": "1.5"}`),
		"long -7":        value.Int64(-7),
		"double -7":      value.Double(-7),
		"long 2^53+1":    value.Int64(1<<53 + 1),
		"double 2^53":    value.Double(1 << 53),
		"long max":       value.Int64(math.MaxInt64),
		"double 2^63":    value.Double(1 << 63),
		"decimal 2^63":   aggValue(t, `{"$numberDecimal": "9223372036854775808"}`),
		"double -2^63":   value.Double(-(1 << 63)),
		"long min":       value.Int64(math.MinInt64),
		"double 1e300":   value.Double(1e300),
		"double +inf":    value.Double(math.Inf(1)),
		"decimal inf":    aggValue(t, `{"$numberDecimal": "Infinity"}`),
		"double nan":     value.Double(math.NaN()),
		"decimal nan":    aggValue(t, `{"$numberDecimal": "NaN"}`),
		"string 1":       value.String("1"),
		"string n1":      value.String("n1:1"),
		"doc {a: 1}":     aggValue(t, `{"a": 1}`),
		"doc {a: 1.0}":   aggValue(t, `{"a": 1.0}`),
		"doc {b: 1}":     aggValue(t, `{"b": 1}`),
		"array [1, 2]":   aggValue(t, `[1, 2]`),
		"array [1.0, 2]": aggValue(t, `[1.0, {"$numberLong": "2"}]`),
		"array [12]":     aggValue(t, `[12]`),
		"true":           aggValue(t, `true`),
		"false":          aggValue(t, `false`),
	}
	for an, a := range vals {
		for bn, b := range vals {
			same := expr.GroupKey(a) == expr.GroupKey(b)
			want := value.Compare(a, b) == 0
			if a.Type == 0 || b.Type == 0 {
				// Missing groups with null, as MongoDB's $group does.
				want = (a.Type == 0 || a.Type == bson.TypeNull) && (b.Type == 0 || b.Type == bson.TypeNull)
			}
			if same != want {
				t.Errorf("%s and %s: same key %v, want %v (%q, %q)", an, bn, same, want, expr.GroupKey(a), expr.GroupKey(b))
			}
		}
	}
}

// TestAppendGroupKey checks that AppendGroupKey appends GroupKey's key and,
// into a buffer with room, allocates nothing for numbers and strings.
func TestAppendGroupKey(t *testing.T) {
	for _, v := range []bson.RawValue{value.Int32(42), value.Int64(-5), value.Double(3), value.Double(2.5), value.String("abc"), aggValue(t, `{"a": [1, "x"]}`)} {
		got := expr.AppendGroupKey([]byte("prefix"), v)
		if want := "prefix" + expr.GroupKey(v); string(got) != want {
			t.Errorf("AppendGroupKey(%v) = %q, want %q", v, got, want)
		}
	}
	buf := make([]byte, 0, 64)
	for _, v := range []bson.RawValue{value.Int32(123456), value.Int64(math.MaxInt64), value.Double(-42), value.String("a string")} {
		if n := testing.AllocsPerRun(100, func() { buf = expr.AppendGroupKey(buf[:0], v) }); n != 0 {
			t.Errorf("AppendGroupKey(%v): %v allocations, want 0", v, n)
		}
	}
}

// TestEvalIn_FieldPathAndLiteral checks the evaluation of field paths and
// literals, which EvalIn answers without building an environment, against
// the same expressions evaluated through an operator ($let binds nothing
// and evaluates its "in" in the general way).
func TestEvalIn_FieldPathAndLiteral(t *testing.T) {
	doc := aggDoc(t, `{"a": 1, "b": {"c": "x", "d": [{"e": 1}, {"e": 2}, 3]}, "arr": [{"c": 5}, {"c": 6}]}`)
	for _, src := range []string{`"$a"`, `"$b.c"`, `"$b.d.e"`, `"$arr.c"`, `"$missing"`, `"$b.missing.x"`,
		`"$$ROOT.b.c"`, `"$$CURRENT.a"`, `"$$ROOT"`, `"$$CURRENT"`, `7`, `"text"`, `null`, `{"$literal": "$a"}`} {
		e, err := expr.Compile(aggValue(t, src))
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		general, err := expr.Compile(aggValue(t, `{"$let": {"vars": {}, "in": `+src+`}}`))
		if err != nil {
			t.Fatalf("$let of %s: %v", src, err)
		}
		got, err := e.EvalIn(doc, nil)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		want, err := general.EvalIn(doc, nil)
		if err != nil {
			t.Fatalf("$let of %s: %v", src, err)
		}
		if aggCanon(t, got) != aggCanon(t, want) {
			t.Errorf("%s = %s, want %s", src, aggCanon(t, got), aggCanon(t, want))
		}
	}
	e, _ := expr.Compile(value.String("$b.c"))
	if n := testing.AllocsPerRun(100, func() { _, _ = e.EvalIn(doc, nil) }); n != 0 {
		t.Errorf("EvalIn of a field path: %v allocations, want 0", n)
	}
}
