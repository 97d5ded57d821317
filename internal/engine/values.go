package engine

import (
	"sort"
	"strings"

	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// splitPath splits a dotted field path.
func splitPath(p string) []string { return strings.Split(p, ".") }

// sortValues sorts values in MongoDB's comparison order.
func sortValues(vals []bson.RawValue) {
	sort.SliceStable(vals, func(i, j int) bool { return value.Compare(vals[i], vals[j]) < 0 })
}
