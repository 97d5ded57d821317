package merge_test

import (
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
)

// fiftyFields returns a document of 50 fields of mixed types, about 1 KiB, with field i set by f when f is
// not nil.
func fiftyFields(f func(i int) any) bson.Raw {
	d := bson.D{{Key: "_id", Value: "doc"}, {Key: "version", Value: int64(1)}}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 48 {
		var v any
		switch i % 4 {
		case 0:
			v = int32(i)
		case 1:
			v = fmt.Sprintf("value number %d", i)
		case 2:
			v = float64(i) / 3
		default:
			v = bson.NewDateTimeFromTime(at.Add(time.Duration(i) * time.Hour))
		}
		if f != nil {
			if nv := f(i); nv != nil {
				v = nv
			}
		}
		d = append(d, bson.E{Key: fmt.Sprintf("field%02d", i), Value: v})
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return raw
}

// BenchmarkMerge merges two edits of a 50-field, 1 KiB document: mine changes five fields, theirs five others
// and one of mine's, which the policy resolves.
func BenchmarkMerge(b *testing.B) {
	base := fiftyFields(nil)
	mine := fiftyFields(func(i int) any {
		if i%10 == 0 {
			return "mine"
		}
		return nil
	})
	theirs := fiftyFields(func(i int) any {
		if i%10 == 5 || i == 0 {
			return "theirs"
		}
		return nil
	})
	policy := &merge.Policy{Fields: map[string]merge.Rule{"field00": {Kind: merge.Mine}}}
	b.SetBytes(int64(len(base)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := merge.Merge(base, mine, theirs, merge.ThreeWay, policy); err != nil {
			b.Fatal(err)
		}
	}
}
