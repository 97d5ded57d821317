package server

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// internCases are BSON values whose internString reading must equal the driver's StringValueOK.
var internCases = []struct {
	name string
	v    bson.RawValue
}{
	{"plain", bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, "bench")}},
	{"empty", bson.RawValue{Type: bson.TypeString, Value: bsoncore.AppendString(nil, "")}},
	{"not a string", bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, 7)}},
	{"short", bson.RawValue{Type: bson.TypeString, Value: []byte{1, 0, 0}}},
	{"length too long", bson.RawValue{Type: bson.TypeString, Value: []byte{9, 0, 0, 0, 'a', 0}}},
	{"zero length", bson.RawValue{Type: bson.TypeString, Value: []byte{0, 0, 0, 0, 0}}},
	{"no NUL", bson.RawValue{Type: bson.TypeString, Value: []byte{2, 0, 0, 0, 'a', 'b'}}},
	{"trailing bytes", bson.RawValue{Type: bson.TypeString, Value: []byte{2, 0, 0, 0, 'a', 0, 'x'}}},
}

// TestInternString checks that internString reads exactly what StringValueOK reads, twice (the second read
// is served by the table).
func TestInternString(t *testing.T) {
	for _, tc := range internCases {
		t.Run(tc.name, func(t *testing.T) {
			checkIntern(t, tc.v)
		})
	}
}

// checkIntern compares internString with StringValueOK on v, twice.
func checkIntern(t *testing.T, v bson.RawValue) {
	want, wantOK := v.StringValueOK()
	for range 2 {
		got, ok := internString(v)
		if got != want || ok != wantOK {
			t.Fatalf("internString(%v) = %q, %v; want %q, %v", v.Value, got, ok, want, wantOK)
		}
	}
}

// TestInternStringAllocs checks that reading a string seen before does not allocate.
func TestInternStringAllocs(t *testing.T) {
	v := internCases[0].v
	internString(v)
	if n := testing.AllocsPerRun(100, func() { internString(v) }); n != 0 {
		t.Fatalf("internString allocates %v times per call", n)
	}
}

// FuzzInternString checks internString against StringValueOK on arbitrary string-typed bytes.
func FuzzInternString(f *testing.F) {
	for _, tc := range internCases {
		f.Add(byte(tc.v.Type), tc.v.Value)
	}
	f.Fuzz(func(t *testing.T, typ byte, b []byte) {
		checkIntern(t, bson.RawValue{Type: bson.Type(typ), Value: b})
	})
}
