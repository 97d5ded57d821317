package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// Atlas Search indexes live in Atlas's search process (mongot), which a mongod outside Atlas does not have:
// mongod 7.0 answers the search index commands with CommandNotSupported (115) and the $listSearchIndexes stage
// with 6047401, both naming Atlas, and so does Concord.

// codeListSearchIndexesNotAtlas is mongod 7.0's error for $listSearchIndexes outside Atlas.
const codeListSearchIndexesNotAtlas codes.Code = 6047401

// handleSearchIndexCommand answers createSearchIndexes, updateSearchIndex and dropSearchIndex once their
// collection argument is checked.
func handleSearchIndexCommand(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if _, _, err := parseCollectionArgs(req); err != nil {
		return nil, err
	}
	return nil, codes.New(codes.CommandNotSupported, "Search index commands are only supported with Atlas.")
}

// listSearchIndexesError refuses a pipeline that starts with $listSearchIndexes.
func listSearchIndexesError(stages []bson.Raw) error {
	if len(stages) == 0 {
		return nil
	}
	if _, err := stages[0].LookupErr("$listSearchIndexes"); err != nil {
		return nil
	}
	return codes.New(codeListSearchIndexesNotAtlas, "$listSearchIndexes stage is only allowed on MongoDB Atlas")
}
