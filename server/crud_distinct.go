package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// handleDistinct runs distinct: {distinct, key, query}. Reply {values}: the distinct values of key among the
// matching documents, array elements counted individually.
func handleDistinct(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	reply, n, err := runDistinct(ctx, s, req, a, collName)
	s.profileRead(ctx, req, "command", ns(req.DB, collName), started, reply, n, 0, err)
	return reply, err
}

// runDistinct parses and runs distinct; it returns the reply and the number of values.
func runDistinct(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName string) (bson.D, int, error) {
	if err := a.require("key"); err != nil {
		return nil, 0, err
	}
	key, err := a.str("key")
	if err != nil {
		return nil, 0, err
	}
	query, err := a.doc("query")
	if err != nil {
		return nil, 0, err
	}
	if query == nil {
		query = emptyDoc
	}
	coll, err := collationArg(a)
	if err != nil {
		return nil, 0, err
	}
	hint, err := commandHint(a)
	if err != nil {
		return nil, 0, err
	}
	dopts := &concord.DistinctOptions{Hint: hint}
	if coll != nil {
		dopts.Collation = coll
	}
	vals, err := s.DB.Database(req.DB).Collection(collName).Distinct(ctx, key, query, dopts)
	if err != nil {
		return nil, 0, commandError(err)
	}
	values := make(bson.A, len(vals))
	for i, v := range vals {
		values[i] = v
	}
	return bson.D{{Key: "values", Value: values}}, len(vals), nil
}
