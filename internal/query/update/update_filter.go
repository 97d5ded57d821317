package update

import (
	"github.com/concorddb/concord/internal/query/filter"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// matcher is the part of a compiled query filter that arrayFilters and
// $pull conditions need.
type matcher interface {
	Match(doc bson.Raw) bool
}

// compileMatcher compiles a query filter for arrayFilters and $pull
// conditions. The error, if any, is filter.Compile's *codes.Error.
func compileMatcher(raw bson.Raw) (matcher, error) {
	f, err := filter.Compile(raw)
	if err != nil {
		return nil, err
	}
	return f, nil
}
