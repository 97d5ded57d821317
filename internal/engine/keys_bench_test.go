package engine

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// BenchmarkKeyNumber measures encoding one numeric key of each type: the
// int32, int64 and double cases are on every write's path.
func BenchmarkKeyNumber(b *testing.B) {
	d, _ := bson.ParseDecimal128("12345.678")
	cases := []struct {
		name string
		v    any
	}{
		{"int32", int32(123456)},
		{"int64", int64(1) << 40},
		{"int64big", int64(1)<<53 + 1},
		{"double", 3.25},
		{"decimal", d},
	}
	for _, c := range cases {
		t, data, err := bson.MarshalValue(c.v)
		if err != nil {
			b.Fatal(err)
		}
		v := bson.RawValue{Type: t, Value: data}
		b.Run(c.name, func(b *testing.B) {
			buf := make([]byte, 0, 64)
			for i := 0; i < b.N; i++ {
				buf = appendKeyValue(buf[:0], v)
			}
		})
	}
}
