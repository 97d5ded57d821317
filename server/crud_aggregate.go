package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/internal/query/agg"
)

// handleAggregate runs aggregate: {aggregate: <coll>, pipeline, cursor: {batchSize}}. The reply is a cursor, like
// find's. Of database-level aggregation (aggregate: 1) only a pipeline starting with $currentOp on admin is
// supported.
func handleAggregate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	if v := a.raw(req.Name); v.Type != bson.TypeString {
		if stages, _ := a.docArray("pipeline"); len(stages) > 0 && isChangeStream(stages[0]) {
			if n, ok := v.AsInt64OK(); !ok || n != 1 {
				return nil, codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s.%s'", req.DB, v.String())
			}
			return s.openChangeStream(ctx, req, "", stages, aggregateBatchSize(a))
		}
		if stages, _ := a.docArray("pipeline"); sourceStage(stages) {
			if n, ok := v.AsInt64OK(); !ok || n != 1 {
				return nil, codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s.%s'", req.DB, v.String())
			}
			return s.aggregateDocuments(ctx, req, stages)
		}
		return aggregateCurrentOp(ctx, s, req, a)
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

// runAggregate parses and runs the pipeline; it returns the reply, the documents returned and the cursor id.
func runAggregate(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName, namespace string) (bson.D, int, int64, error) {
	if err := a.require("pipeline"); err != nil {
		return nil, 0, 0, err
	}
	stages, err := a.docArray("pipeline")
	if err != nil {
		return nil, 0, 0, err
	}
	if err := listSearchIndexesError(stages); err != nil {
		return nil, 0, 0, err
	}
	if explain, err := a.boolean("explain", false); err != nil {
		return nil, 0, 0, err
	} else if explain {
		// aggregate's explain option is the explain command at queryPlanner verbosity.
		reply, err := s.explain(ctx, req, verbosityQueryPlanner)
		return reply, 0, 0, err
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
	if ctx, err = s.commandVars(ctx, req, a); err != nil {
		return nil, 0, 0, err
	}
	if len(stages) > 0 && isChangeStream(stages[0]) {
		reply, err := s.openChangeStream(ctx, req, collName, stages, batchSize)
		return reply, 0, 0, err
	}
	if stage, arg, err := writeStage(stages); err != nil {
		return nil, 0, 0, err
	} else if stage != "" {
		reply, err := s.aggregateInto(ctx, req, collName, stages, stage, arg)
		return reply, 0, 0, err
	}
	if len(stages) > 0 {
		if spec, err := stages[0].LookupErr("$collStats"); err == nil {
			reply, err := aggregateCollStats(ctx, s, req, collName, namespace, spec, stages[1:])
			return reply, 0, 0, err
		}
		if spec, err := stages[0].LookupErr("$indexStats"); err == nil {
			reply, err := aggregateIndexStats(ctx, s, req, collName, namespace, spec, stages[1:])
			return reply, 0, 0, err
		}
	}
	allowDiskUse, err := a.boolean("allowDiskUse", true)
	if err != nil {
		return nil, 0, 0, err
	}
	hint, err := commandHint(a)
	if err != nil {
		return nil, 0, 0, err
	}
	aopts := &concord.AggregateOptions{AllowDiskUse: &allowDiskUse, Hint: hint, BatchSize: readBatch(firstBatch(batchSize))}
	coll, err := collationArg(a)
	if err != nil {
		return nil, 0, 0, err
	}
	if coll != nil {
		aopts.Collation = coll
	}
	cur, err := s.DB.Database(req.DB).Collection(collName).AggregateBatches(ctx, stages, aopts)
	if err != nil {
		return nil, 0, 0, commandError(err)
	}
	return s.openCursor(ctx, req, cur, namespace, batchSize, false)
}

// isChangeStream reports whether a pipeline's first stage is $changeStream.
func isChangeStream(stage bson.Raw) bool {
	_, err := stage.LookupErr("$changeStream")
	return err == nil
}

// aggregateBatchSize is cursor.batchSize of a database-level aggregate, -1 when absent or invalid (the
// collection-level path checks it).
func aggregateBatchSize(a *cmdArgs) int64 {
	cursorOpts, err := a.doc("cursor")
	if err != nil {
		return -1
	}
	if n, ok := cursorOpts.Lookup("batchSize").AsInt64OK(); ok && n >= 0 {
		return n
	}
	return -1
}

// aggregateCurrentOp runs {aggregate: 1, pipeline: [{$currentOp: {...}}, ...]} on admin, which mongosh's
// db.currentOp() sends: the currentOp command's inprog entries go through the rest of the pipeline. Every result
// is in the first batch.
func aggregateCurrentOp(ctx context.Context, s *Server, req *Request, a *cmdArgs) (bson.D, error) {
	v := a.raw(req.Name)
	if n, ok := v.AsInt64OK(); !ok || n != 1 {
		return nil, codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s.%s'", req.DB, v.String())
	}
	stages, err := a.docArray("pipeline")
	if err != nil {
		return nil, err
	}
	first := bson.Raw(nil)
	if len(stages) > 0 {
		first = stages[0]
	}
	spec, err := first.LookupErr("$currentOp")
	if err != nil {
		return nil, codes.New(codes.InvalidNamespace, "{aggregate: 1} is only supported with a pipeline starting with $currentOp")
	}
	if req.DB != "admin" {
		return nil, codes.New(codes.InvalidNamespace, "$currentOp must be run against the 'admin' database with {aggregate: 1}")
	}
	cmd := bson.D{{Key: "currentOp", Value: int32(1)}}
	if opts, ok := spec.DocumentOK(); ok {
		if idle, err := opts.LookupErr("idleSessions"); err == nil {
			cmd = append(cmd, bson.E{Key: "idleSessions", Value: idle})
		}
	}
	body, err := bson.Marshal(cmd)
	if err != nil {
		return nil, commandError(err)
	}
	out, err := handleCurrentOp(ctx, s, &Request{Name: "currentOp", DB: req.DB, Body: body, Conn: req.Conn})
	if err != nil {
		return nil, err
	}
	var docs []bson.Raw
	for _, e := range out {
		if e.Key != "inprog" {
			continue
		}
		inprog, _ := e.Value.(bson.A)
		for _, d := range inprog {
			raw, err := bson.Marshal(d)
			if err != nil {
				return nil, commandError(err)
			}
			docs = append(docs, raw)
		}
	}
	p, err := agg.Compile(stages[1:])
	if err != nil {
		return nil, commandError(err)
	}
	if docs, err = p.Run(ctx, docs, nil); err != nil {
		return nil, commandError(err)
	}
	return cursorDoc("firstBatch", docs, 0, req.DB+".$cmd.aggregate"), nil
}

// aggregateCollStats runs a pipeline starting with $collStats ({storageStats: {scale}, count: {}}), which mongosh's
// db.coll.stats(), dataSize() and totalSize() send: one document {ns, host, localTime, storageStats?, count?}
// goes through the rest of the pipeline. Every result is in the first batch.
func aggregateCollStats(ctx context.Context, s *Server, req *Request, collName, namespace string, spec bson.RawValue, rest []bson.Raw) (bson.D, error) {
	opts, ok := spec.DocumentOK()
	if !ok {
		return nil, codes.New(codes.FailedToParse, "$collStats must take a nested object but found: %s", spec.String())
	}
	doc := bson.D{{Key: "ns", Value: namespace}, {Key: "host", Value: s.advertisedAddr()}, {Key: "localTime", Value: bson.NewDateTimeFromTime(time.Now())}}
	if v, err := opts.LookupErr("storageStats"); err == nil {
		scale := int64(1)
		if d, ok := v.DocumentOK(); ok {
			if sv, err := d.LookupErr("scale"); err == nil {
				if scale, err = rawInt(req.Name, "pipeline.0.$collStats.storageStats.scale", sv); err != nil {
					return nil, err
				}
				if scale < 1 {
					return nil, codes.New(codes.BadValue, "scale has to be > 0")
				}
			}
		}
		st, err := collStats(ctx, s, req.DB, collName, scale)
		if err != nil {
			return nil, err
		}
		doc = append(doc, bson.E{Key: "storageStats", Value: st})
	}
	if _, err := opts.LookupErr("count"); err == nil {
		st, err := s.DB.Database(req.DB).Collection(collName).Stats(ctx)
		if err != nil {
			return nil, commandError(err)
		}
		doc = append(doc, bson.E{Key: "count", Value: st.Count})
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return nil, commandError(err)
	}
	p, err := agg.Compile(rest)
	if err != nil {
		return nil, commandError(err)
	}
	docs, err := p.Run(ctx, []bson.Raw{raw}, nil)
	if err != nil {
		return nil, commandError(err)
	}
	return cursorDoc("firstBatch", docs, 0, namespace), nil
}

// aggregateIndexStats runs a pipeline that starts with $indexStats: one document per index of the collection
// (name, key, host, accesses {ops, since}, spec as listIndexes shows it), then the rest of the pipeline.
func aggregateIndexStats(ctx context.Context, s *Server, req *Request, collName, namespace string, spec bson.RawValue, rest []bson.Raw) (bson.D, error) {
	if _, ok := spec.DocumentOK(); !ok {
		return nil, codes.New(codes.FailedToParse, "$indexStats must take a nested object but found: %s", spec.String())
	}
	usages, err := frontend.IndexUsages(s.DB, req.DB, collName)
	if err != nil {
		return nil, commandError(err)
	}
	specs, err := s.DB.Database(req.DB).Collection(collName).ListIndexes(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	byName := make(map[string]frontend.IndexUsage, len(usages))
	for _, u := range usages {
		byName[u.Spec.Name] = u
	}
	docs := make([]bson.Raw, 0, len(specs))
	for _, ix := range specs {
		u, ok := byName[ix.Name]
		if !ok {
			continue // the clustered index of a clustered collection is the documents themselves
		}
		entry := appendIndexOptions(bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: ix.KeysDocument}, {Key: "name", Value: ix.Name}}, ix)
		raw, err := bson.Marshal(bson.D{{Key: "name", Value: ix.Name}, {Key: "key", Value: ix.KeysDocument},
			{Key: "host", Value: s.advertisedAddr()},
			{Key: "accesses", Value: bson.D{{Key: "ops", Value: u.Ops}, {Key: "since", Value: bson.NewDateTimeFromTime(u.Since)}}},
			{Key: "spec", Value: entry}})
		if err != nil {
			return nil, commandError(err)
		}
		docs = append(docs, raw)
	}
	p, err := agg.Compile(rest)
	if err != nil {
		return nil, commandError(err)
	}
	out, err := p.Run(ctx, docs, nil)
	if err != nil {
		return nil, commandError(err)
	}
	return cursorDoc("firstBatch", out, 0, namespace), nil
}
