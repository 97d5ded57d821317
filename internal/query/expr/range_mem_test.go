package expr

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/value"
)

// TestRange_LargeArrayEncodedOnce: a $range just under mongod's memory bound (4,194,302 values) is built
// in place: the result is the whole array, in order, and building it allocates little more than its own bytes.
func TestRange_LargeArrayEncodedOnce(t *testing.T) {
	args := []bson.RawValue{value.Int32(0), value.Int32(4194302 - 1), value.Int32(1)}
	var out bson.RawValue
	var err error
	allocs := testing.AllocsPerRun(1, func() { out, err = rangeOf(args) })
	if err != nil {
		t.Fatal(err)
	}
	vals, err := out.Array().Values()
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 4194301 || vals[0].Int32() != 0 || vals[len(vals)-1].Int32() != 4194300 {
		t.Fatalf("got %d values, first %v, last %v", len(vals), vals[0], vals[len(vals)-1])
	}
	if allocs > 3 {
		t.Errorf("%v allocations building the array, want the one buffer", allocs)
	}
}
