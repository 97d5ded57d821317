package update_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// updateCase is one table test of Compile + Apply. Documents are
// relaxed extended JSON: 1 is an int32, 1.0 a double.
type updateCase struct {
	name    string
	doc     string
	update  string
	filters []string
	pos     int  // ApplyOptions.Position + 1 (0: no positional match)
	insert  bool // ApplyOptions.Insert
	want    string
	noop    bool // Apply must report modified == false
	code    codes.Code
	msg     string // the exact message, when not empty
}

// updateNow is the clock $currentDate tests use.
var updateNow = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// updateDoc parses relaxed extended JSON into a document, failing the test
// on bad input.
func updateDoc(t testing.TB, s string) bson.Raw {
	t.Helper()
	var r bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &r); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return r
}

// updateRun compiles and applies c, checking the result or the error.
func updateRun(t *testing.T, c updateCase) {
	t.Helper()
	var filters []bson.Raw
	for _, f := range c.filters {
		filters = append(filters, updateDoc(t, f))
	}
	u, err := update.Compile(updateDoc(t, c.update), filters)
	if err == nil {
		doc := updateDoc(t, c.doc)
		orig := append([]byte(nil), doc...)
		var out bson.Raw
		var modified bool
		out, modified, err = u.Apply(doc, update.ApplyOptions{Position: c.pos - 1, Insert: c.insert, Now: updateNow})
		if !bytes.Equal(doc, orig) {
			t.Fatalf("Apply changed its input document")
		}
		if err == nil {
			if c.code != 0 {
				t.Fatalf("got %s, want error %d %q", out, c.code, c.msg)
			}
			want := updateDoc(t, c.want)
			if !bytes.Equal(out, want) {
				t.Fatalf("got  %s\nwant %s", out, want)
			}
			if modified == c.noop {
				t.Fatalf("modified = %v, want %v", modified, !c.noop)
			}
			return
		}
		if out != nil || modified {
			t.Fatalf("failed Apply returned a document (%s) or modified=%v", out, modified)
		}
	}
	if c.code == 0 {
		t.Fatalf("unexpected error: %v", err)
	}
	e, ok := codes.As(err)
	if !ok {
		t.Fatalf("error %v is not a *codes.Error", err)
	}
	if e.Code != c.code {
		t.Fatalf("code %d (%s), want %d; message %q", e.Code, e.CodeName(), c.code, e.Message)
	}
	if c.msg != "" && e.Message != c.msg {
		t.Fatalf("message\n got %q\nwant %q", e.Message, c.msg)
	}
}

func updateRunAll(t *testing.T, cases []updateCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { updateRun(t, c) })
	}
}

func updateCasesSet() []updateCase {
	return []updateCase{
		{name: "documented example",
			doc:    `{"_id": 100, "quantity": 250, "instock": true, "reorder": false, "details": {"model": "14QQ", "make": "Clothes Corp"}, "tags": ["apparel", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}`,
			update: `{"$set": {"quantity": 500, "details": {"model": "2600", "make": "Fashionaires"}, "tags": ["coats", "outerwear", "clothing"]}}`,
			want:   `{"_id": 100, "quantity": 500, "instock": true, "reorder": false, "details": {"model": "2600", "make": "Fashionaires"}, "tags": ["coats", "outerwear", "clothing"], "ratings": [{"by": "Customer007", "rating": 4}]}`},
		{name: "embedded field", doc: `{"_id": 1, "details": {"make": "x"}}`, update: `{"$set": {"details.make": "Kustom Kidz"}}`,
			want: `{"_id": 1, "details": {"make": "Kustom Kidz"}}`},
		{name: "array element by index", doc: `{"_id": 1, "tags": ["a", "b"], "ratings": [{"by": "x", "rating": 4}]}`,
			update: `{"$set": {"tags.1": "rain gear", "ratings.0.rating": 2}}`,
			want:   `{"_id": 1, "tags": ["a", "rain gear"], "ratings": [{"by": "x", "rating": 2}]}`},
		{name: "new fields appended in lexicographic order", doc: `{"_id": 1, "m": 1}`, update: `{"$set": {"z": 1, "b": 2, "a": 3}}`,
			want: `{"_id": 1, "m": 1, "a": 3, "b": 2, "z": 1}`},
		{name: "existing field keeps position", doc: `{"_id": 1, "b": 1, "a": 2}`, update: `{"$set": {"b": 5, "c": 1}}`,
			want: `{"_id": 1, "b": 5, "a": 2, "c": 1}`},
		{name: "order across operators", doc: `{"_id": 1}`, update: `{"$set": {"b": 1}, "$inc": {"a": 1}}`,
			want: `{"_id": 1, "a": 1, "b": 1}`},
		{name: "numeric field names in numeric order", doc: `{"_id": 1}`, update: `{"$set": {"a.10": 1, "a.9": 2}}`,
			want: `{"_id": 1, "a": {"9": 2, "10": 1}}`},
		{name: "creates intermediate documents", doc: `{"_id": 1}`, update: `{"$set": {"a.b.c": 1}}`,
			want: `{"_id": 1, "a": {"b": {"c": 1}}}`},
		{name: "pads array with nulls", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$set": {"a.4": 5}}`,
			want: `{"_id": 1, "a": [1, 2, null, null, 5]}`},
		{name: "pads in numeric order", doc: `{"_id": 1, "a": []}`, update: `{"$set": {"a.10": 10, "a.2": 2}}`,
			want: `{"_id": 1, "a": [null, null, 2, null, null, null, null, null, null, null, 10]}`},
		{name: "creates a field inside an array element", doc: `{"_id": 1, "a": [{"x": 1}, {}]}`, update: `{"$set": {"a.1.y": 2}}`,
			want: `{"_id": 1, "a": [{"x": 1}, {"y": 2}]}`},
		{name: "arrays of arrays", doc: `{"_id": 1, "a": [[1, 2], [3]]}`, update: `{"$set": {"a.0.1": 5}}`,
			want: `{"_id": 1, "a": [[1, 5], [3]]}`},
		{name: "same value is a no-op", doc: `{"_id": 1, "a": 1, "b": {"c": [1]}}`, update: `{"$set": {"a": 1, "b.c": [1]}}`,
			want: `{"_id": 1, "a": 1, "b": {"c": [1]}}`, noop: true},
		{name: "same number other type is a modification", doc: `{"_id": 1, "a": 1.0}`, update: `{"$set": {"a": 1}}`,
			want: `{"_id": 1, "a": 1}`},
		{name: "null on missing creates null", doc: `{"_id": 1}`, update: `{"$set": {"a": null}}`,
			want: `{"_id": 1, "a": null}`},
		{name: "null on null is a no-op", doc: `{"_id": 1, "a": null}`, update: `{"$set": {"a": null}}`,
			want: `{"_id": 1, "a": null}`, noop: true},
		{name: "empty operand is a no-op", doc: `{"_id": 1, "a": 1}`, update: `{"$set": {}}`,
			want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "empty document value", doc: `{"_id": 1, "a": {"b": 1}}`, update: `{"$set": {"a": {}}}`,
			want: `{"_id": 1, "a": {}}`},
		{name: "_id to the same value", doc: `{"_id": 1, "a": 1}`, update: `{"$set": {"_id": 1, "a": 2}}`,
			want: `{"_id": 1, "a": 2}`},
		{name: "_id change", doc: `{"_id": 1, "a": 1}`, update: `{"$set": {"_id": 2}}`,
			code: codes.ImmutableField, msg: "Performing an update on the path '_id' would modify the immutable field '_id'"},
		{name: "_id subfield change", doc: `{"_id": {"x": 1}}`, update: `{"$set": {"_id.x": 2}}`,
			code: codes.ImmutableField, msg: "Performing an update on the path '_id.x' would modify the immutable field '_id'"},
		{name: "path through a scalar", doc: `{"_id": 1, "a": 1}`, update: `{"$set": {"a.b": 1}}`,
			code: codes.PathNotViable, msg: "Cannot create field 'b' in element {a: 1}"},
		{name: "path through null", doc: `{"_id": 1, "a": null}`, update: `{"$set": {"a.b": 1}}`,
			code: codes.PathNotViable, msg: "Cannot create field 'b' in element {a: null}"},
		{name: "deep path through a scalar", doc: `{"_id": 1, "a": {"b": "s"}}`, update: `{"$set": {"a.b.c": 1}}`,
			code: codes.PathNotViable, msg: `Cannot create field 'c' in element {b: "s"}`},
		{name: "named field in an array", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$set": {"a.b": 1}}`,
			code: codes.PathNotViable, msg: "Cannot create field 'b' in element {a: [ 1, 2 ]}"},
		{name: "failing part discards successful parts", doc: `{"_id": 1, "a": 1, "b": 1}`, update: `{"$set": {"a": 2, "b.c": 1}}`,
			code: codes.PathNotViable},
		{name: "too much padding", doc: `{"_id": 1, "a": []}`, update: `{"$set": {"a.2000000": 1}}`,
			code: 34, msg: "can't backfill more than 1500000 elements"},
	}
}

func TestUpdate_Set(t *testing.T) { updateRunAll(t, updateCasesSet()) }

func updateCasesUnset() []updateCase {
	return []updateCase{
		{name: "documented example", doc: `{"_id": 1, "sku": "unknown", "quantity": 2, "instock": true}`,
			update: `{"$unset": {"quantity": "", "instock": ""}}`, want: `{"_id": 1, "sku": "unknown"}`},
		{name: "missing field is a no-op", doc: `{"_id": 1, "a": 1}`, update: `{"$unset": {"b": 1}}`,
			want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "null field is removed", doc: `{"_id": 1, "a": null}`, update: `{"$unset": {"a": 1}}`, want: `{"_id": 1}`},
		{name: "embedded field", doc: `{"_id": 1, "a": {"b": 1, "c": 2}}`, update: `{"$unset": {"a.b": 1}}`,
			want: `{"_id": 1, "a": {"c": 2}}`},
		{name: "through a scalar is a no-op", doc: `{"_id": 1, "a": 1}`, update: `{"$unset": {"a.b": 1}}`,
			want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "missing parent is not created", doc: `{"_id": 1}`, update: `{"$unset": {"a.b": 1}}`,
			want: `{"_id": 1}`, noop: true},
		{name: "array element becomes null", doc: `{"_id": 1, "a": [1, 2, 3]}`, update: `{"$unset": {"a.1": 1}}`,
			want: `{"_id": 1, "a": [1, null, 3]}`},
		{name: "array element beyond end is a no-op", doc: `{"_id": 1, "a": [1]}`, update: `{"$unset": {"a.5": 1}}`,
			want: `{"_id": 1, "a": [1]}`, noop: true},
		{name: "_id", doc: `{"_id": 1}`, update: `{"$unset": {"_id": 1}}`,
			code: codes.ImmutableField, msg: "Performing an update on the path '_id' would modify the immutable field '_id'"},
	}
}

func TestUpdate_Unset(t *testing.T) { updateRunAll(t, updateCasesUnset()) }

func updateCasesInc() []updateCase {
	return []updateCase{
		{name: "documented example", doc: `{"_id": 1, "sku": "abc123", "quantity": 10, "metrics": {"orders": 2, "ratings": 3.5}}`,
			update: `{"$inc": {"quantity": -2, "metrics.orders": 1}}`,
			want:   `{"_id": 1, "sku": "abc123", "quantity": 8, "metrics": {"orders": 3, "ratings": 3.5}}`},
		{name: "missing field is set", doc: `{"_id": 1}`, update: `{"$inc": {"a": 5, "b.c": {"$numberLong": "2"}}}`,
			want: `{"_id": 1, "a": 5, "b": {"c": {"$numberLong": "2"}}}`},
		{name: "int32 overflow becomes int64", doc: `{"_id": 1, "a": 2147483647}`, update: `{"$inc": {"a": 1}}`,
			want: `{"_id": 1, "a": {"$numberLong": "2147483648"}}`},
		{name: "int32 negative overflow becomes int64", doc: `{"_id": 1, "a": -2147483648}`, update: `{"$inc": {"a": -1}}`,
			want: `{"_id": 1, "a": {"$numberLong": "-2147483649"}}`},
		{name: "int32 plus int64 is int64", doc: `{"_id": 1, "a": 1}`, update: `{"$inc": {"a": {"$numberLong": "1"}}}`,
			want: `{"_id": 1, "a": {"$numberLong": "2"}}`},
		{name: "int plus double is double", doc: `{"_id": 1, "a": 1}`, update: `{"$inc": {"a": 0.5}}`,
			want: `{"_id": 1, "a": 1.5}`},
		{name: "double plus int is double", doc: `{"_id": 1, "a": 1.5}`, update: `{"$inc": {"a": 1}}`,
			want: `{"_id": 1, "a": 2.5}`},
		{name: "decimal", doc: `{"_id": 1, "a": {"$numberDecimal": "1.1"}}`, update: `{"$inc": {"a": 2}}`,
			want: `{"_id": 1, "a": {"$numberDecimal": "3.1"}}`},
		{name: "int plus decimal is decimal", doc: `{"_id": 1, "a": 1}`, update: `{"$inc": {"a": {"$numberDecimal": "0.25"}}}`,
			want: `{"_id": 1, "a": {"$numberDecimal": "1.25"}}`},
		{name: "by zero is a no-op", doc: `{"_id": 1, "a": 7}`, update: `{"$inc": {"a": 0}}`,
			want: `{"_id": 1, "a": 7}`, noop: true},
		{name: "int64 overflow", doc: `{"_id": 1, "a": {"$numberLong": "9223372036854775807"}}`, update: `{"$inc": {"a": 1}}`,
			code: codes.BadValue, msg: "Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}"},
		{name: "non-numeric field", doc: `{"_id": 1, "a": "x"}`, update: `{"$inc": {"a": 1}}`,
			code: codes.TypeMismatch, msg: "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'a' of non-numeric type string"},
		{name: "null field", doc: `{"_id": "k", "a": null}`, update: `{"$inc": {"a": 1}}`,
			code: codes.TypeMismatch, msg: `Cannot apply $inc to a value of non-numeric type. {_id: "k"} has the field 'a' of non-numeric type null`},
		{name: "embedded non-numeric field names the leaf", doc: `{"_id": 1, "a": {"b": [1]}}`, update: `{"$inc": {"a.b": 1}}`,
			code: codes.TypeMismatch, msg: "Cannot apply $inc to a value of non-numeric type. {_id: 1} has the field 'b' of non-numeric type array"},
		{name: "non-numeric argument", doc: `{"_id": 1}`, update: `{"$inc": {"a": "x"}}`,
			code: codes.TypeMismatch, msg: `Cannot increment with non-numeric argument: {a: "x"}`},
		{name: "array element", doc: `{"_id": 1, "a": [1, 2]}`, update: `{"$inc": {"a.1": 10}}`,
			want: `{"_id": 1, "a": [1, 12]}`},
	}
}

func TestUpdate_Inc(t *testing.T) { updateRunAll(t, updateCasesInc()) }

func updateCasesMul() []updateCase {
	return []updateCase{
		{name: "documented example", doc: `{"_id": 1, "item": "Hats", "price": {"$numberDecimal": "10.99"}, "quantity": 25}`,
			update: `{"$mul": {"price": {"$numberDecimal": "1.25"}, "quantity": 2}}`,
			want:   `{"_id": 1, "item": "Hats", "price": {"$numberDecimal": "13.7375"}, "quantity": 50}`},
		{name: "missing field gets zero of the argument type", doc: `{"_id": 2, "item": "Unknown"}`,
			update: `{"$mul": {"price": {"$numberLong": "100"}}}`,
			want:   `{"_id": 2, "item": "Unknown", "price": {"$numberLong": "0"}}`},
		{name: "missing field double zero", doc: `{"_id": 2}`, update: `{"$mul": {"p": 2.5}}`, want: `{"_id": 2, "p": 0.0}`},
		{name: "mixed types", doc: `{"_id": 3, "item": "Scarf", "price": {"$numberLong": "10"}}`,
			update: `{"$mul": {"price": 5}}`,
			want:   `{"_id": 3, "item": "Scarf", "price": {"$numberLong": "50"}}`},
		{name: "int32 overflow becomes int64", doc: `{"_id": 1, "a": 65536}`, update: `{"$mul": {"a": 65536}}`,
			want: `{"_id": 1, "a": {"$numberLong": "4294967296"}}`},
		{name: "int64 overflow", doc: `{"_id": 1, "a": {"$numberLong": "4611686018427387904"}}`, update: `{"$mul": {"a": 2}}`,
			code: codes.BadValue, msg: "Failed to apply $mul operations to current value ((NumberLong)4611686018427387904) for document {_id: 1}"},
		{name: "by one is a no-op", doc: `{"_id": 1, "a": 3}`, update: `{"$mul": {"a": 1}}`, want: `{"_id": 1, "a": 3}`, noop: true},
		{name: "non-numeric field", doc: `{"_id": 1, "a": "x"}`, update: `{"$mul": {"a": 2}}`,
			code: codes.TypeMismatch, msg: "Cannot apply $mul to a value of non-numeric type. {_id: 1} has the field 'a' of non-numeric type string"},
		{name: "non-numeric argument", doc: `{"_id": 1}`, update: `{"$mul": {"a": true}}`,
			code: codes.TypeMismatch, msg: "Cannot multiply with non-numeric argument: {a: true}"},
	}
}

func TestUpdate_Mul(t *testing.T) { updateRunAll(t, updateCasesMul()) }

func updateCasesMinMax() []updateCase {
	return []updateCase{
		{name: "min lower", doc: `{"_id": 1, "highScore": 800, "lowScore": 200}`, update: `{"$min": {"lowScore": 150}}`,
			want: `{"_id": 1, "highScore": 800, "lowScore": 150}`},
		{name: "min higher is a no-op", doc: `{"_id": 1, "highScore": 800, "lowScore": 150}`, update: `{"$min": {"lowScore": 250}}`,
			want: `{"_id": 1, "highScore": 800, "lowScore": 150}`, noop: true},
		{name: "max higher", doc: `{"_id": 1, "highScore": 800, "lowScore": 200}`, update: `{"$max": {"highScore": 950}}`,
			want: `{"_id": 1, "highScore": 950, "lowScore": 200}`},
		{name: "max lower is a no-op", doc: `{"_id": 1, "highScore": 950}`, update: `{"$max": {"highScore": 870}}`,
			want: `{"_id": 1, "highScore": 950}`, noop: true},
		{name: "missing field is set", doc: `{"_id": 1}`, update: `{"$min": {"a": 5}, "$max": {"b": 6}}`,
			want: `{"_id": 1, "a": 5, "b": 6}`},
		{name: "equal value of another type is a no-op", doc: `{"_id": 1, "a": 5}`, update: `{"$min": {"a": 5.0}}`,
			want: `{"_id": 1, "a": 5}`, noop: true},
		{name: "dates", doc: `{"_id": 1, "d": {"$date": "2014-01-01T00:00:00Z"}}`, update: `{"$min": {"d": {"$date": "2013-10-01T00:00:00Z"}}}`,
			want: `{"_id": 1, "d": {"$date": "2013-10-01T00:00:00Z"}}`},
		{name: "across types by BSON order", doc: `{"_id": 1, "a": "str"}`, update: `{"$max": {"a": 1}}`,
			want: `{"_id": 1, "a": "str"}`, noop: true},
		{name: "null is below numbers", doc: `{"_id": 1, "a": null}`, update: `{"$max": {"a": 1}}`,
			want: `{"_id": 1, "a": 1}`},
	}
}

func TestUpdate_MinMax(t *testing.T) { updateRunAll(t, updateCasesMinMax()) }

func updateCasesRename() []updateCase {
	return []updateCase{
		{name: "documented example", doc: `{"_id": 1, "nmae": {"first": "george", "last": "washington"}, "alias": ["x"]}`,
			update: `{"$rename": {"nmae": "name"}}`,
			want:   `{"_id": 1, "alias": ["x"], "name": {"first": "george", "last": "washington"}}`},
		{name: "embedded field", doc: `{"_id": 1, "name": {"first": "g", "last": "w"}}`, update: `{"$rename": {"name.first": "name.fname"}}`,
			want: `{"_id": 1, "name": {"last": "w", "fname": "g"}}`},
		{name: "into a new embedded document", doc: `{"_id": 1, "a": 1}`, update: `{"$rename": {"a": "b.c"}}`,
			want: `{"_id": 1, "b": {"c": 1}}`},
		{name: "over an existing field keeps its position", doc: `{"_id": 1, "b": 2, "a": 1}`, update: `{"$rename": {"a": "b"}}`,
			want: `{"_id": 1, "b": 1}`},
		{name: "missing source is a no-op", doc: `{"_id": 1, "a": 1}`, update: `{"$rename": {"wife": "spouse"}}`,
			want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "source in an array", doc: `{"_id": 1, "a": [{"b": 1}]}`, update: `{"$rename": {"a.0.b": "c"}}`,
			code: codes.BadValue, msg: "The source field cannot be an array element, 'a.0.b' in doc with _id: 1 has an array field called 'a'"},
		{name: "destination in an array", doc: `{"_id": 1, "c": 1, "a": [{"b": 1}]}`, update: `{"$rename": {"c": "a.b"}}`,
			code: codes.BadValue, msg: "The destination field cannot be an array element, 'a.b' in doc with _id: 1 has an array field called 'a'"},
		{name: "same field", doc: `{"_id": 1}`, update: `{"$rename": {"a": "a"}}`,
			code: codes.BadValue, msg: `The source and target field for $rename must differ: a: "a"`},
		{name: "same path", doc: `{"_id": 1}`, update: `{"$rename": {"a": "a.b"}}`,
			code: codes.BadValue, msg: `The source and target field for $rename must not be on the same path: a: "a.b"`},
		{name: "non-string target", doc: `{"_id": 1}`, update: `{"$rename": {"a": 1}}`,
			code: codes.BadValue, msg: "The 'to' field for $rename must be a string: a: 1"},
		{name: "dynamic source", doc: `{"_id": 1}`, update: `{"$rename": {"a.$": "b"}}`,
			code: codes.BadValue, msg: "The source field for $rename may not be dynamic: a.$"},
		{name: "dynamic destination", doc: `{"_id": 1}`, update: `{"$rename": {"a": "b.$[]"}}`,
			code: codes.BadValue, msg: "The destination field for $rename may not be dynamic: b.$[]"},
		{name: "conflicts with another operator on the source", doc: `{"_id": 1}`, update: `{"$rename": {"a": "b"}, "$set": {"a": 1}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'a' would create a conflict at 'a'"},
		{name: "conflicts with another operator on the destination", doc: `{"_id": 1}`, update: `{"$rename": {"a": "b"}, "$set": {"b.c": 1}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'b.c' would create a conflict at 'b'"},
		{name: "from _id", doc: `{"_id": 1}`, update: `{"$rename": {"_id": "x"}}`, code: codes.ImmutableField},
	}
}

func TestUpdate_Rename(t *testing.T) { updateRunAll(t, updateCasesRename()) }

func updateCasesSetOnInsert() []updateCase {
	return []updateCase{
		{name: "applies on insert", doc: `{"_id": 1}`, update: `{"$set": {"item": "apple"}, "$setOnInsert": {"defaultQty": 100}}`,
			insert: true, want: `{"_id": 1, "defaultQty": 100, "item": "apple"}`},
		{name: "ignored on update", doc: `{"_id": 1, "item": "pear"}`, update: `{"$set": {"item": "apple"}, "$setOnInsert": {"defaultQty": 100}}`,
			want: `{"_id": 1, "item": "apple"}`},
		{name: "ignored alone is a no-op", doc: `{"_id": 1}`, update: `{"$setOnInsert": {"a": 1}}`,
			want: `{"_id": 1}`, noop: true},
		{name: "_id moved to the front on insert", doc: `{"a": 1}`, update: `{"$setOnInsert": {"_id": 7}}`, insert: true,
			want: `{"_id": 7, "a": 1}`},
		{name: "still conflicts on update", doc: `{"_id": 1}`, update: `{"$set": {"a": 1}, "$setOnInsert": {"a": 2}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'a' would create a conflict at 'a'"},
		{name: "seed _id cannot change", doc: `{"_id": 1}`, update: `{"$setOnInsert": {"_id": 2}}`, insert: true,
			code: codes.ImmutableField},
	}
}

func TestUpdate_SetOnInsert(t *testing.T) { updateRunAll(t, updateCasesSetOnInsert()) }

func updateCasesCurrentDate() []updateCase {
	ts := updateNow.Unix()
	return []updateCase{
		{name: "true sets a date", doc: `{"_id": 1}`, update: `{"$currentDate": {"d": true}}`,
			want: `{"_id": 1, "d": {"$date": "2024-05-06T07:08:09Z"}}`},
		{name: "type date", doc: `{"_id": 1, "d": 1}`, update: `{"$currentDate": {"d": {"$type": "date"}}}`,
			want: `{"_id": 1, "d": {"$date": "2024-05-06T07:08:09Z"}}`},
		{name: "type timestamp", doc: `{"_id": 1}`, update: `{"$currentDate": {"t": {"$type": "timestamp"}}}`,
			want: `{"_id": 1, "t": {"$timestamp": {"t": ` + strconv.FormatInt(ts, 10) + `, "i": 1}}}`},
		{name: "bad type string", doc: `{"_id": 1}`, update: `{"$currentDate": {"d": {"$type": "x"}}}`,
			code: codes.BadValue, msg: "The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {field : {$type: 'date'}}}"},
		{name: "bad option", doc: `{"_id": 1}`, update: `{"$currentDate": {"d": {"x": 1}}}`,
			code: codes.BadValue, msg: "Unrecognized $currentDate option: x"},
		{name: "bad argument", doc: `{"_id": 1}`, update: `{"$currentDate": {"d": 1}}`,
			code: codes.BadValue, msg: "int is not valid type for $currentDate. Please use a boolean ('true') or a $type expression ({$type: 'timestamp/date'})."},
	}
}

func TestUpdate_CurrentDate(t *testing.T) { updateRunAll(t, updateCasesCurrentDate()) }

func updateCasesReplacement() []updateCase {
	return []updateCase{
		{name: "keeps _id first", doc: `{"_id": 1, "a": 1, "b": 2}`, update: `{"c": 3}`, want: `{"_id": 1, "c": 3}`},
		{name: "same _id kept in place", doc: `{"_id": 1, "a": 1}`, update: `{"a": 2, "_id": 1}`, want: `{"a": 2, "_id": 1}`},
		{name: "identical is a no-op", doc: `{"_id": 1, "a": 1}`, update: `{"a": 1}`, want: `{"_id": 1, "a": 1}`, noop: true},
		{name: "empty replacement", doc: `{"_id": 1, "a": 1}`, update: `{}`, want: `{"_id": 1}`},
		{name: "different _id", doc: `{"_id": 1, "a": 1}`, update: `{"_id": 2, "a": 1}`,
			code: codes.ImmutableField, msg: "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 2"},
		{name: "_id of another type", doc: `{"_id": 3}`, update: `{"_id": 3.0}`,
			code: codes.ImmutableField, msg: "After applying the update, the (immutable) field '_id' was found to have been altered to _id: 3.0"},
		{name: "upsert seed without _id", doc: `{}`, update: `{"_id": 5, "a": 1}`, insert: true, want: `{"_id": 5, "a": 1}`},
		{name: "dollar field after a plain field", doc: `{"_id": 1}`, update: `{"a": 1, "$set": {"b": 1}}`,
			code: codes.DollarPrefixedFieldName, msg: "The dollar ($) prefixed field '$set' in '$set' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith."},
		{name: "nested dollar fields are allowed", doc: `{"_id": 1}`, update: `{"a": {"$x": 1}}`, want: `{"_id": 1, "a": {"$x": 1}}`},
		{name: "array filters", doc: `{"_id": 1}`, update: `{"a": 1}`, filters: []string{`{"x": 1}`}, code: codes.FailedToParse},
	}
}

func TestUpdate_Replacement(t *testing.T) { updateRunAll(t, updateCasesReplacement()) }

func updateCasesParseErrors() []updateCase {
	return []updateCase{
		{name: "unknown operator", update: `{"$foo": {"a": 1}}`,
			code: codes.FailedToParse, msg: "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array"},
		{name: "plain field after an operator", update: `{"$set": {"a": 1}, "b": 2}`,
			code: codes.FailedToParse, msg: "Unknown modifier: b. Expected a valid update modifier or pipeline-style update specified as an array"},
		{name: "operand not a document", update: `{"$set": 1}`,
			code: codes.FailedToParse, msg: "Modifiers operate on fields but we found type int instead. For example: {$mod: {<field>: ...}} not {$set: 1}"},
		{name: "same path twice", update: `{"$set": {"a": 1}, "$inc": {"a": 1}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'a' would create a conflict at 'a'"},
		{name: "prefix after path", update: `{"$set": {"a.b": 1}, "$unset": {"a": 1}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'a' would create a conflict at 'a'"},
		{name: "path after prefix", update: `{"$set": {"a": 1, "a.b.c": 1}}`,
			code: codes.ConflictingUpdateOperators, msg: "Updating the path 'a.b.c' would create a conflict at 'a'"},
		{name: "siblings do not conflict", doc: `{"_id": 1}`, update: `{"$set": {"a.b": 1, "a.c": 2}, "$inc": {"ab": 1}}`,
			want: `{"_id": 1, "a": {"b": 1, "c": 2}, "ab": 1}`},
		{name: "empty path", update: `{"$set": {"": 1}}`, code: 56, msg: "An empty update path is not valid."},
		{name: "empty path component", update: `{"$set": {"a..b": 1}}`,
			code: 56, msg: "The update path 'a..b' contains an empty field name, which is not allowed."},
		{name: "dollar field", update: `{"$set": {"a.$b": 1}}`, code: codes.DollarPrefixedFieldName},
		{name: "two positional operators", update: `{"$set": {"a.$.b.$": 1}}`,
			code: codes.BadValue, msg: "Too many positional (i.e. '$') elements found in path 'a.$.b.$'"},
		{name: "positional first", update: `{"$set": {"$": 1}}`,
			code: codes.BadValue, msg: "Cannot have positional (i.e. '$') element in the first component in path '$'"},
	}
}

func TestUpdate_ParseErrors(t *testing.T) { updateRunAll(t, updateCasesParseErrors()) }

// TestUpdate_InvalidBSON checks that malformed input is an error, not a
// panic.
func TestUpdate_InvalidBSON(t *testing.T) {
	if _, err := update.Compile(bson.Raw{7, 0, 0, 0, 16, 'a', 0}, nil); codes.CodeOf(err) != codes.InvalidBSON {
		t.Fatalf("Compile: %v", err)
	}
	u, err := update.Compile(updateDoc(t, `{"$set": {"a": 1}}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Apply(bson.Raw{9, 0, 0, 0, 16, 'a', 0, 1, 0}, update.ApplyOptions{Position: -1}); codes.CodeOf(err) != codes.InvalidBSON {
		t.Fatalf("Apply: %v", err)
	}
}

func TestUpdate_IsReplacement(t *testing.T) {
	for _, c := range []struct {
		update string
		want   bool
	}{{`{"a": 1}`, true}, {`{}`, true}, {`{"$set": {"a": 1}}`, false}} {
		u, err := update.Compile(updateDoc(t, c.update), nil)
		if err != nil {
			t.Fatal(err)
		}
		if u.IsReplacement() != c.want {
			t.Errorf("%s: IsReplacement() = %v", c.update, !c.want)
		}
	}
}

// updateAllCases lists every table case, for the fuzz seeds.
func updateAllCases() []updateCase {
	var all []updateCase
	for _, f := range []func() []updateCase{
		updateCasesSet, updateCasesPush, updateCasesAddToSet, updateCasesPop, updateCasesPull, updateCasesPullAll, updateCasesPositional,
		updateCasesUnset,
		updateCasesInc,
		updateCasesMul,
		updateCasesMinMax,
		updateCasesRename,
		updateCasesSetOnInsert,
		updateCasesCurrentDate,
		updateCasesReplacement,
		updateCasesParseErrors,
	} {
		all = append(all, f()...)
	}
	return all
}
