package update_test

import (
	"fmt"
	"testing"

	"github.com/concorddb/concord/internal/query/update"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// updateBenchDoc builds a document of about 1 KiB: an int32 counter among
// strings, numbers, a nested document and an array.
func updateBenchDoc(b *testing.B) bson.Raw {
	d := bson.D{{Key: "_id", Value: bson.NewObjectID()}}
	for i := 0; len(d) < 24; i++ {
		d = append(d, bson.E{Key: fmt.Sprintf("field%02d", i), Value: fmt.Sprintf("value number %d of the document", i)})
		if i == 10 {
			d = append(d, bson.E{Key: "counter", Value: int32(41)})
		}
	}
	d = append(d, bson.E{Key: "nested", Value: bson.D{{Key: "a", Value: 1.5}, {Key: "b", Value: "x"}, {Key: "c", Value: int64(7)}}})
	d = append(d, bson.E{Key: "tags", Value: bson.A{"red", "green", "blue", int32(4), 5.5}})
	raw, err := bson.Marshal(d)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkUpdateInc compares Apply of {$inc: {counter: 1}} on raw bytes
// with decoding to bson.D, incrementing and re-marshalling.
func BenchmarkUpdateInc(b *testing.B) {
	doc := updateBenchDoc(b)
	u, err := update.Compile(updateDoc(b, `{"$inc": {"counter": 1}}`), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			if _, _, err := u.Apply(doc, update.ApplyOptions{Position: -1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode-modify-marshal", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(doc)))
		for b.Loop() {
			var d bson.D
			if err := bson.Unmarshal(doc, &d); err != nil {
				b.Fatal(err)
			}
			for i := range d {
				if d[i].Key == "counter" {
					d[i].Value = d[i].Value.(int32) + 1
				}
			}
			if _, err := bson.Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
