package update

import (
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// updateMatcher is the part of a compiled query filter that arrayFilters and
// $pull conditions need.
type updateMatcher interface {
	Match(doc bson.Raw) bool
}

// updateCompileMatcher compiles a query filter for arrayFilters and $pull
// conditions. The error, if any, is filter.Compile's *codes.Error.
func updateCompileMatcher(raw bson.Raw) (updateMatcher, error) {
	f, err := filter.Compile(raw)
	if err != nil {
		return nil, err
	}
	return f, nil
}
