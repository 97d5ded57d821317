package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// handleAggregate runs aggregate: {aggregate: <coll>, pipeline, cursor: {batchSize}}. The reply is a cursor, like
// find's. Database-level aggregation (aggregate: 1) is not supported.
func handleAggregate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	if v := a.raw(req.Name); v.Type != bson.TypeString {
		return nil, codes.New(codes.InvalidNamespace, "{aggregate: %s} is not supported; aggregate on a collection", v.String())
	}
	collName, err := collectionArg(req, a)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	reply, n, id, err := runAggregate(ctx, s, req, a, collName, namespace)
	s.profileRead(ctx, req, "command", namespace, started, reply, n, id, err)
	return reply, err
}

func runAggregate(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName, namespace string) (bson.D, int, int64, error) {
	if !a.has("pipeline") {
		return nil, 0, 0, codes.New(codeMissingField, "BSON field 'aggregate.pipeline' is missing but a required field")
	}
	stages, err := a.docArray("pipeline")
	if err != nil {
		return nil, 0, 0, err
	}
	if explain, err := a.boolean("explain", false); err != nil {
		return nil, 0, 0, err
	} else if explain {
		return nil, 0, 0, codes.New(codes.InvalidOptions, "explain is not supported")
	}
	if !a.has("cursor") {
		return nil, 0, 0, codes.New(codes.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument")
	}
	cursorOpts, err := a.doc("cursor")
	if err != nil {
		return nil, 0, 0, err
	}
	batchSize := int64(-1)
	if v, err := cursorOpts.LookupErr("batchSize"); err == nil {
		if batchSize, err = rawInt(req.Name, "cursor.batchSize", v); err != nil {
			return nil, 0, 0, err
		}
		if batchSize < 0 {
			return nil, 0, 0, codes.New(codeValueOutOfRange, "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
		}
	}
	if stages == nil {
		stages = []bson.Raw{}
	}
	cur, err := s.DB.Database(req.DB).Collection(collName).Aggregate(ctx, stages)
	if err != nil {
		return nil, 0, 0, commandError(err)
	}
	return s.openCursor(ctx, req, cur, namespace, batchSize, false)
}
