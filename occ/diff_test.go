package occ_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/occ"
	"github.com/concorddb/concord/store/storetest"
)

// TestModify_DiffRoundTrip checks Modify's diff against the server: for random documents and random edits
// (changed, added and removed fields, at the top and inside sub-documents, values changing type), the document
// stored after Modify equals the edited copy, field for field and type for type. A diff that dropped a change,
// or sent a path the server applies differently, fails here.
func TestModify_DiffRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, be *storetest.Backend) {
		t.Run("version", func(t *testing.T) { testDiffRoundTrip(t, be, false) })
		// Field-level mode also proves the checks: without a concurrent writer, every filter built from the
		// base values (nulls, arrays, sub-documents, numbers of each type) must match the stored document.
		t.Run("field_level", func(t *testing.T) { testDiffRoundTrip(t, be, true) })
	})
}

func testDiffRoundTrip(t *testing.T, be *storetest.Backend, fieldLevel bool) {
	ctx := context.Background()
	name := fmt.Sprint("roundtrip_", fieldLevel)
	c := occ.New(be.Store, be.Database, name, &occ.Options{Metrics: &occ.Metrics{}, Retry: occ.NoRetry, FieldLevel: fieldLevel})
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range 300 {
		base := randomDoc(rng, 2)
		if _, err := c.Insert(ctx, append(bson.D{{Key: "_id", Value: i}}, base...)); err != nil {
			t.Fatal(err)
		}
		var want bson.D
		_, err := occ.Modify(ctx, c, i, func(d *bson.D) error {
			*d = mutate(rng, *d, 2)
			want = *d
			return nil
		})
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		doc, _, err := c.FindByID(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		var got bson.D
		if err := bson.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		if g, w := canonical(got, true), canonical(want, true); g != w {
			t.Fatalf("case %d: stored\n%s\nwant\n%s", i, g, w)
		}
	}
}

var fieldNames = []string{"a", "b", "c", "d"}

func randomValue(rng *rand.Rand, depth int) any {
	switch rng.IntN(6) {
	case 0:
		return int32(rng.IntN(3))
	case 1:
		return int64(rng.IntN(3))
	case 2:
		return fmt.Sprint("s", rng.IntN(3))
	case 3:
		return bson.A{int32(rng.IntN(2)), "x"}
	case 4:
		if depth > 0 {
			return randomDoc(rng, depth-1)
		}
		return nil
	default:
		return float64(rng.IntN(3))
	}
}

func randomDoc(rng *rand.Rand, depth int) bson.D {
	d := bson.D{} // empty, not nil: a nil bson.D encodes as null
	for _, k := range fieldNames {
		if rng.IntN(3) > 0 {
			d = append(d, bson.E{Key: k, Value: randomValue(rng, depth)})
		}
	}
	return d
}

// mutate edits d: removes, changes and adds fields, recursing into sub-documents.
func mutate(rng *rand.Rand, d bson.D, depth int) bson.D {
	out := bson.D{}
	for _, e := range d {
		if e.Key == "_id" || e.Key == "version" {
			out = append(out, e)
			continue
		}
		switch rng.IntN(4) {
		case 0: // removed
		case 1:
			out = append(out, bson.E{Key: e.Key, Value: randomValue(rng, depth)})
		case 2:
			if sub, ok := e.Value.(bson.D); ok && depth > 0 {
				out = append(out, bson.E{Key: e.Key, Value: mutate(rng, sub, depth-1)})
				continue
			}
			out = append(out, e)
		default:
			out = append(out, e)
		}
	}
	for _, k := range fieldNames {
		if _, ok := lookup(out, k); !ok && rng.IntN(4) == 0 {
			out = append(out, bson.E{Key: k, Value: randomValue(rng, depth)})
		}
	}
	return out
}

func lookup(d bson.D, k string) (any, bool) {
	for _, e := range d {
		if e.Key == k {
			return e.Value, true
		}
	}
	return nil, false
}

// canonical prints d with its fields sorted (a $set of a new field appends it, so order may differ) and every
// value with its BSON type; the version field is left out at the top.
func canonical(d bson.D, top bool) string {
	out := "{"
	for _, k := range fieldNames {
		v, ok := lookup(d, k)
		if !ok {
			continue
		}
		if sub, ok := v.(bson.D); ok {
			out += fmt.Sprintf("%s: %s, ", k, canonical(sub, false))
			continue
		}
		out += fmt.Sprintf("%s: %T(%v), ", k, v, v)
	}
	return out + "}"
}
