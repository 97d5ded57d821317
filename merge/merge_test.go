package merge_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
)

// doc builds a document from key, value pairs.
func doc(kv ...any) bson.Raw {
	d := bson.D{}
	for i := 0; i < len(kv); i += 2 {
		d = append(d, bson.E{Key: kv[i].(string), Value: kv[i+1]})
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return raw
}

func f64(v float64) *float64 { return &v }

func TestMerge(t *testing.T) {
	oid := bson.NewObjectID()
	date := bson.NewDateTimeFromTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	dec, _ := bson.ParseDecimal128("1.50")
	tests := []struct {
		name               string
		base, mine, theirs bson.Raw
		strategy           merge.Strategy
		policy             *merge.Policy
		want               bson.Raw // nil when the merge must fail
		conflicts          string   // the conflicting paths and reasons, when it fails
	}{
		{name: "edits to different fields both survive",
			base: doc("a", 1, "b", 1), mine: doc("a", 2, "b", 1), theirs: doc("a", 1, "b", 3),
			want: doc("a", 2, "b", 3)},
		{name: "the same change on both sides is taken once",
			base: doc("a", 1), mine: doc("a", "x"), theirs: doc("a", "x"), want: doc("a", "x")},
		{name: "a collision without a rule is an error and writes nothing",
			base: doc("a", 1), mine: doc("a", 2), theirs: doc("a", 3), conflicts: "a (both changed)"},
		{name: "sub-documents merge field by field",
			base: doc("addr", doc("city", "A", "zip", "1")), mine: doc("addr", doc("city", "B", "zip", "1")),
			theirs: doc("addr", doc("city", "A", "zip", "2")), want: doc("addr", doc("city", "B", "zip", "2"))},
		{name: "a type change against an edit inside is a conflict at the parent",
			base: doc("addr", doc("city", "A")), mine: doc("addr", doc("city", "B")), theirs: doc("addr", "gone"),
			conflicts: "addr (type change against edit)"},
		{name: "delete against modify is a conflict",
			base: doc("a", 1, "b", 1), mine: doc("b", 1), theirs: doc("a", 2, "b", 1), conflicts: "a (delete against modify)"},
		{name: "a delete on one side is taken",
			base: doc("a", 1, "b", 1), mine: doc("b", 1), theirs: doc("a", 1, "b", 2), want: doc("b", 2)},
		{name: "int32 and int64 of the same number are different values",
			base: doc("n", int32(1)), mine: doc("n", int64(1)), theirs: doc("n", int32(1)), want: doc("n", int64(1))},
		{name: "null is a value, missing is not",
			base: doc("a", 1), mine: doc("a", nil), theirs: doc(), conflicts: "a (delete against modify)"},
		{name: "types pass through untouched",
			base: doc("o", oid, "d", date, "x", dec, "f", 1.5), mine: doc("o", oid, "d", date, "x", dec, "f", 2.5),
			theirs: doc("o", oid, "d", date, "x", dec, "f", 1.5, "g", int64(7)),
			want:   doc("o", oid, "d", date, "x", dec, "f", 2.5, "g", int64(7))},
		{name: "counter adds both deltas and keeps int32",
			base: doc("stock", int32(10)), mine: doc("stock", int32(7)), theirs: doc("stock", int32(12)),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"stock": {Kind: merge.Counter}}}, want: doc("stock", int32(9))},
		{name: "counter doubles",
			base: doc("v", 1.0), mine: doc("v", 1.5), theirs: doc("v", 3.0),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"v": {Kind: merge.Counter}}}, want: doc("v", 3.5)},
		{name: "counter: the same change on both sides counts twice",
			base: doc("stock", int64(10)), mine: doc("stock", int64(9)), theirs: doc("stock", int64(9)),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"stock": {Kind: merge.Counter, Min: f64(0)}}},
			want:   doc("stock", int64(8))},
		{name: "counter: two decrements that each fit but together do not",
			base: doc("stock", int64(3)), mine: doc("stock", int64(1)), theirs: doc("stock", int64(1)),
			policy:    &merge.Policy{Fields: map[string]merge.Rule{"stock": {Kind: merge.Counter, Min: f64(0)}}},
			conflicts: "stock (counter out of bounds)"},
		{name: "counter below its bound is a conflict",
			base: doc("stock", int64(3)), mine: doc("stock", int64(1)), theirs: doc("stock", int64(0)),
			policy:    &merge.Policy{Fields: map[string]merge.Rule{"stock": {Kind: merge.Counter, Min: f64(0)}}},
			conflicts: "stock (counter out of bounds)"},
		{name: "set: additions of both, removals of both",
			base: doc("tags", bson.A{"a", "b", "c"}), mine: doc("tags", bson.A{"a", "c", "d"}), theirs: doc("tags", bson.A{"a", "b", "e"}),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"tags": {Kind: merge.Set}}}, want: doc("tags", bson.A{"a", "e", "d"})},
		{name: "append: both sides' new elements, theirs first",
			base: doc("log", bson.A{1}), mine: doc("log", bson.A{1, 2}), theirs: doc("log", bson.A{1, 3, 4}),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"log": {Kind: merge.Append}}}, want: doc("log", bson.A{1, 3, 4, 2})},
		{name: "append that is not an append collides",
			base: doc("log", bson.A{1}), mine: doc("log", bson.A{2}), theirs: doc("log", bson.A{1, 3}),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"log": {Kind: merge.Append}}}, conflicts: "log (both changed)"},
		{name: "arrays are atomic by default",
			base: doc("l", bson.A{1}), mine: doc("l", bson.A{1, 2}), theirs: doc("l", bson.A{1, 3}), conflicts: "l (both changed)"},
		{name: "keyed: elements matched by key and merged field by field",
			base:   doc("lines", bson.A{doc("sku", "a", "qty", 1, "p", 5), doc("sku", "b", "qty", 1)}),
			mine:   doc("lines", bson.A{doc("sku", "a", "qty", 2, "p", 5), doc("sku", "b", "qty", 1), doc("sku", "c", "qty", 1)}),
			theirs: doc("lines", bson.A{doc("sku", "a", "qty", 1, "p", 6)}),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"lines": {Kind: merge.Keyed, Key: "sku"}}},
			want:   doc("lines", bson.A{doc("sku", "a", "qty", 2, "p", 6), doc("sku", "c", "qty", 1)})},
		{name: "keyed elements' fields have rules of their own",
			base:   doc("lines", bson.A{doc("sku", "a", "qty", 5)}),
			mine:   doc("lines", bson.A{doc("sku", "a", "qty", 4)}),
			theirs: doc("lines", bson.A{doc("sku", "a", "qty", 3)}),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"lines": {Kind: merge.Keyed, Key: "sku"}, "lines.qty": {Kind: merge.Counter}}},
			want:   doc("lines", bson.A{doc("sku", "a", "qty", 2)})},
		{name: "keyed: modify against delete of an element",
			base:      doc("lines", bson.A{doc("sku", "a", "qty", 5)}),
			mine:      doc("lines", bson.A{doc("sku", "a", "qty", 4)}),
			theirs:    doc("lines", bson.A{}),
			policy:    &merge.Policy{Fields: map[string]merge.Rule{"lines": {Kind: merge.Keyed, Key: "sku"}}},
			conflicts: `lines[sku="a"] (delete against modify)`},
		{name: "mine and theirs rules",
			base: doc("a", 1, "b", 1), mine: doc("a", 2, "b", 2), theirs: doc("a", 3, "b", 3),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"a": {Kind: merge.Mine}, "b": {Kind: merge.Theirs}}},
			want:   doc("a", 2, "b", 3)},
		{name: "the policy's default decides fields without a rule",
			base: doc("a", 1), mine: doc("a", 2), theirs: doc("a", 3), policy: &merge.Policy{Default: merge.Theirs}, want: doc("a", 3)},
		{name: "the version and _id stay theirs and are never a conflict",
			base: doc("_id", 1, "version", int64(1), "a", 1), mine: doc("_id", 1, "version", int64(1), "a", 2),
			theirs: doc("_id", 1, "version", int64(2), "a", 1), want: doc("_id", 1, "version", int64(2), "a", 2)},
		{name: "last write wins: mine replaces theirs",
			base: doc("_id", 1, "a", 1, "b", 1), mine: doc("_id", 1, "a", 2, "b", 1), theirs: doc("_id", 1, "a", 3, "b", 3, "c", 1),
			strategy: merge.LastWriteWins, want: doc("_id", 1, "a", 2, "b", 1)},
		{name: "first write wins: theirs stays",
			base: doc("a", 1), mine: doc("a", 2), theirs: doc("a", 3), strategy: merge.FirstWriteWins, want: doc("a", 3)},
		{name: "field timestamps: the later change wins",
			base:     doc("a", 1, "b", 1, "_modified", doc()),
			mine:     doc("a", 2, "b", 2, "_modified", doc("a", date, "b", bson.DateTime(int64(date)-1000))),
			theirs:   doc("a", 3, "b", 3, "_modified", doc("a", bson.DateTime(int64(date)-1000), "b", date)),
			strategy: merge.FieldTimestamps,
			want:     doc("a", 2, "b", 3, "_modified", doc("a", date, "b", date))},
		{name: "field timestamps nest as the document does",
			base:     doc("meta", doc("c", 1, "d", 1)),
			mine:     doc("meta", doc("c", 2, "d", 1), "_modified", doc("meta", doc("c", date))),
			theirs:   doc("meta", doc("c", 3, "d", 3), "_modified", doc("meta", doc("c", bson.DateTime(int64(date)-1), "d", date))),
			strategy: merge.FieldTimestamps,
			want:     doc("meta", doc("c", 2, "d", 3), "_modified", doc("meta", doc("c", date, "d", date)))},
		{name: "custom resolver",
			base: doc("name", "a"), mine: doc("name", "b"), theirs: doc("name", "c"), strategy: merge.CustomStrategy,
			policy: &merge.Policy{Resolver: func(path string, base, mine, theirs bson.RawValue) (bson.RawValue, error) {
				return bson.RawValue{Type: bson.TypeString, Value: doc("s", mine.StringValue()+"+"+theirs.StringValue()).Lookup("s").Value}, nil
			}},
			want: doc("name", "b+c")},
		{name: "custom resolver refusing",
			base: doc("name", "a"), mine: doc("name", "b"), theirs: doc("name", "c"),
			policy: &merge.Policy{Fields: map[string]merge.Rule{"name": {Kind: merge.Custom}},
				Resolver: func(string, bson.RawValue, bson.RawValue, bson.RawValue) (bson.RawValue, error) {
					return bson.RawValue{}, errors.New("ask a human")
				}},
			conflicts: "name (ask a human)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := merge.Merge(tt.base, tt.mine, tt.theirs, tt.strategy, tt.policy)
			if tt.want == nil {
				var ce *merge.ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, merge.ErrConflict) {
					t.Fatalf("err = %v, want a conflict", err)
				}
				var got []string
				for _, c := range ce.Conflicts {
					got = append(got, c.Path+" ("+c.Reason+")")
				}
				if strings.Join(got, ", ") != tt.conflicts || res.Doc != nil {
					t.Fatalf("conflicts %q, want %q", strings.Join(got, ", "), tt.conflicts)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !equalDocs(res.Doc, tt.want) {
				t.Fatalf("merged %v\nwant   %v", res.Doc, tt.want)
			}
		})
	}
}

func equalDocs(a, b bson.Raw) bool { return string(a) == string(b) }

func TestDetect(t *testing.T) {
	base := doc("a", 1, "b", doc("c", 1, "d", 1), "e", 1)
	mine := doc("a", 2, "b", doc("c", 2, "d", 1), "e", 1)
	theirs := doc("a", 3, "b", doc("c", 1, "d", 2))
	var got []string
	for _, c := range merge.Detect(base, mine, theirs, nil) {
		got = append(got, fmt.Sprintf("%s mine=%v theirs=%v collides=%v", c.Path, c.MineChanged, c.TheirsChanged, c.Collides))
	}
	want := "a mine=true theirs=true collides=true; b.c mine=true theirs=false collides=false; b.d mine=false theirs=true collides=false; e mine=false theirs=true collides=false"
	if strings.Join(got, "; ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, "; "), want)
	}
}

type line struct {
	SKU string `bson:"sku"`
	Qty int64  `bson:"qty" merge:"counter,min=0"`
}

type order struct {
	ID      string   `bson:"_id"`
	Version int64    `bson:"version"`
	Note    string   `bson:"note" merge:"lww"`
	Tags    []string `bson:"tags" merge:"set"`
	Lines   []line   `bson:"lines" merge:"keyed(sku)"`
	Plain   string   `bson:"plain"`
}

func TestPolicyOf(t *testing.T) {
	p, err := merge.PolicyOf[order]()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%v %v %v %v %v %v %d", p.Fields["note"].Kind, p.Fields["tags"].Kind, p.Fields["lines"].Kind, p.Fields["lines"].Key,
		p.Fields["lines.qty"].Kind, *p.Fields["lines.qty"].Min, len(p.Fields))
	if got != "lww set keyed sku counter 0 4" {
		t.Fatalf("policy %s", got)
	}
	type bad struct {
		X int `merge:"sometimes"`
	}
	if _, err := merge.PolicyOf[bad](); err == nil {
		t.Fatal("a bad tag was accepted")
	}
}
