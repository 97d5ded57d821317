package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// handleCount runs count: {count, query, skip, limit}. Reply {n}. A negative limit counts as its absolute value,
// as in mongod.
func handleCount(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	reply, err := runCount(ctx, s, req, a, collName)
	s.profileRead(ctx, req, "command", ns(req.DB, collName), started, reply, 0, 0, err)
	return reply, err
}

// runCount parses and runs count.
func runCount(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName string) (bson.D, error) {
	query, err := a.doc("query")
	if err != nil {
		return nil, err
	}
	if query == nil {
		query = emptyDoc
	}
	skip, err := a.int64("skip", 0)
	if err != nil {
		return nil, err
	}
	if skip < 0 {
		return nil, codes.New(codeValueOutOfRange, "BSON field 'skip' value must be >= 0, actual value '%d'", skip)
	}
	limit, err := a.int64("limit", 0)
	if err != nil {
		return nil, err
	}
	if limit < 0 {
		limit = -limit
	}
	hint, err := commandHint(a)
	if err != nil {
		return nil, err
	}
	copts := &concord.CountOptions{Skip: skip, Limit: limit, Hint: hint}
	coll, err := collationArg(a)
	if err != nil {
		return nil, err
	}
	if coll != nil {
		copts.Collation = coll
	}
	n, err := s.DB.Database(req.DB).Collection(collName).CountDocuments(ctx, query, copts)
	if err != nil {
		return nil, commandError(err)
	}
	return bson.D{{Key: "n", Value: countValue(n)}}, nil
}

// countValue encodes a count as mongod does: int32 when it fits, else int64.
func countValue(n int64) any {
	if n >= -1<<31 && n < 1<<31 {
		return int32(n)
	}
	return n
}
