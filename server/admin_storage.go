package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// handleValidate answers validate: {validate: <coll>, full, repair, metadata, checkBSONConformance, background}.
// It really checks the collection (frontend.Validate): every document decodes under its own _id, every index
// entry belongs to a document and every document has its entries. The reply has mongod's shape: nrecords,
// nIndexes, keysPerIndex, indexDetails, valid, errors, warnings, and the inconsistencies found.
func handleValidate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	full, _ := a.boolean("full", false)
	if repair, _ := a.boolean("repair", false); repair {
		return nil, codes.New(codes.IllegalOperation, "Running the validate command with { repair: true } can only be performed in standalone mode.")
	}
	if bg, _ := a.boolean("background", false); bg && full {
		return nil, codes.New(codes.InvalidOptions, "Running the validate command with both { background: true } and { full: true } is not supported.")
	}
	namespace := ns(req.DB, collName)
	r, err := frontend.Validate(ctx, s.DB, req.DB, collName, full)
	if err != nil {
		if codes.CodeOf(err) == codes.NamespaceNotFound {
			return nil, codes.New(codes.NamespaceNotFound, "Collection '%s' does not exist to validate.", namespace)
		}
		return nil, commandError(err)
	}
	keys, details := bson.D{}, bson.D{}
	errs, warnings := bson.A{}, bson.A{}
	for _, ix := range r.Indexes {
		keys = append(keys, bson.E{Key: ix.Name, Value: ix.Keys})
		details = append(details, bson.E{Key: ix.Name, Value: bson.D{{Key: "valid", Value: ix.Valid}}})
		if !ix.Valid {
			errs = append(errs, fmt.Sprintf("Index with name '%s' has inconsistencies.", ix.Name))
		}
	}
	if r.InvalidRecords > 0 {
		errs = append(errs, fmt.Sprintf("Detected %d invalid documents.", r.InvalidRecords))
	}
	if r.MissingCount > 0 {
		errs = append(errs, fmt.Sprintf("Detected %d missing index entries.", r.MissingCount))
	}
	if r.ExtraCount > 0 {
		errs = append(errs, fmt.Sprintf("Detected %d extra index entries.", r.ExtraCount))
	}
	if r.NonCompliant > 0 {
		warnings = append(warnings, "Detected one or more documents in this collection not conformant to the schema. For more info, see logs with log id 5363500.")
	}
	corrupt := bson.A{}
	for _, id := range r.CorruptRecords {
		corrupt = append(corrupt, id)
	}
	return bson.D{
		{Key: "ns", Value: namespace},
		{Key: "nInvalidDocuments", Value: r.InvalidRecords},
		{Key: "nNonCompliantDocuments", Value: r.NonCompliant},
		{Key: "nrecords", Value: r.Records},
		{Key: "nIndexes", Value: int32(len(r.Indexes))},
		{Key: "keysPerIndex", Value: keys},
		{Key: "indexDetails", Value: details},
		{Key: "valid", Value: r.Valid()},
		{Key: "repaired", Value: false},
		{Key: "warnings", Value: warnings},
		{Key: "errors", Value: errs},
		{Key: "extraIndexEntries", Value: indexProblems(r.Extra)},
		{Key: "missingIndexEntries", Value: indexProblems(r.Missing)},
		{Key: "corruptRecords", Value: corrupt},
	}, nil
}

// indexProblems lists inconsistencies as mongod's validate does: the index and the document's _id.
func indexProblems(ps []frontend.IndexProblem) bson.A {
	out := bson.A{}
	for _, p := range ps {
		out = append(out, bson.D{{Key: "indexName", Value: p.Index}, {Key: "idKey", Value: bson.D{{Key: "_id", Value: p.ID}}}})
	}
	return out
}

// handleCompact answers compact: {compact: <coll>, force, freeSpaceTargetMB, dryRun}. It compacts the
// collection's documents and index entries in storage and replies bytesFreed, Pebble's estimate of the space
// the compaction gave back.
func handleCompact(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	_, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	freed, err := frontend.Compact(ctx, s.DB, req.DB, collName)
	if err != nil {
		if codes.CodeOf(err) == codes.NamespaceNotFound {
			return nil, codes.New(codes.NamespaceNotFound, "collection does not exist")
		}
		return nil, commandError(err)
	}
	return bson.D{{Key: "bytesFreed", Value: freed}}, nil
}

// handleDataSize answers dataSize: {dataSize: "<db>.<coll>", keyPattern, min, max, estimate}. Without bounds
// it reports the whole collection; with them, the documents whose keys in the index of keyPattern lie in
// [min, max), read through that index. estimate counts those documents and multiplies by the collection's
// average document size instead of adding their sizes. A missing collection is size 0, as in mongod.
func handleDataSize(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	full, _ := a.str("dataSize")
	dbName, collName, ok := strings.Cut(full, ".")
	if !ok || dbName == "" || checkCollName(dbName, collName) != nil {
		return nil, codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s'", full)
	}
	keyPattern, _ := a.doc("keyPattern")
	lo, _ := a.doc("min")
	hi, _ := a.doc("max")
	estimate, _ := a.boolean("estimate", false)
	reply := func(size, n int64) bson.D {
		return bson.D{{Key: "size", Value: size}, {Key: "numObjects", Value: n}, {Key: "millis", Value: time.Since(started).Milliseconds()}}
	}
	exists, err := collectionExists(ctx, s, dbName, collName)
	if err != nil {
		return nil, err
	}
	if !exists {
		return reply(0, 0), nil
	}
	coll := s.DB.Database(dbName).Collection(collName)
	st, err := coll.Stats(ctx)
	if err != nil {
		return nil, commandError(err)
	}
	if len(lo) <= 5 && len(hi) <= 5 {
		return reply(st.Size, st.Count), nil
	}
	if len(keyPattern) <= 5 {
		// mongod takes the key pattern from the bounds' field names.
		if len(lo) > 5 {
			keyPattern = keyPatternOf(lo)
		} else {
			keyPattern = keyPatternOf(hi)
		}
	}
	opts := &concord.FindOptions{Hint: keyPattern}
	if len(lo) > 5 {
		opts.Min = lo
	}
	if len(hi) > 5 {
		opts.Max = hi
	}
	cur, err := coll.Find(ctx, emptyDoc, opts)
	if err != nil {
		if codes.CodeOf(err) == codes.BadValue {
			return nil, codes.New(codes.OperationFailed, "Couldn't find valid index containing key pattern")
		}
		return nil, commandError(err)
	}
	defer cur.Close(ctx)
	var size, n int64
	for cur.Next(ctx) {
		n++
		size += int64(len(cur.Current))
	}
	if err := cur.Err(); err != nil {
		return nil, commandError(err)
	}
	if estimate && st.Count > 0 {
		size = n * (st.Size / st.Count)
	}
	return reply(size, n), nil
}

// keyPatternOf is the ascending key pattern of the fields of a bound document.
func keyPatternOf(bound bson.Raw) bson.Raw {
	elems, _ := bound.Elements()
	d := make(bson.D, 0, len(elems))
	for _, e := range elems {
		d = append(d, bson.E{Key: e.Key(), Value: int32(1)})
	}
	out, _ := bson.Marshal(d)
	return out
}
