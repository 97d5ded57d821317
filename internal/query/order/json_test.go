package order_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// jsonDoc parses relaxed extended JSON into a document.
func jsonDoc(tb testing.TB, s string) bson.Raw {
	tb.Helper()
	if s == "" {
		return nil
	}
	var r bson.Raw
	if err := bson.UnmarshalExtJSON([]byte(s), false, &r); err != nil {
		tb.Fatalf("bad test JSON %s: %v", s, err)
	}
	return r
}
