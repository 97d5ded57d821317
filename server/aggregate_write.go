package server

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
	"github.com/concorddb/concord/internal/query/expr"
)

// The pipeline stages that write ($out, $merge) and the one that reads no collection ($documents) are run by
// the server around the query language's pipeline: the documents come from the collection's pipeline (or from
// $documents), and the last stage writes them through the concord API.

// Codes of the write stages' errors.
const (
	codeWriteStageNotLast codes.Code = 40601 // $out / $merge not the last stage
	codeMergeNoMatch      codes.Code = 13113 // $merge whenNotMatched: "fail" found no document
	codeDocumentsNotArray codes.Code = 5858203
	codeOutArgument       codes.Code = 16990 // $out's argument of the wrong type
	codeMergeOnMissing    codes.Code = 51132 // a document without one of $merge's 'on' fields
)

// writeStage returns the name of the last stage when it is $out or $merge, with its argument; "" otherwise. A
// write stage anywhere else is codeWriteStageNotLast.
func writeStage(stages []bson.Raw) (string, bson.RawValue, error) {
	for i, st := range stages {
		for _, name := range []string{"$out", "$merge"} {
			v, err := st.LookupErr(name)
			if err != nil {
				continue
			}
			if i != len(stages)-1 {
				return "", bson.RawValue{}, codes.New(codeWriteStageNotLast, "%s can only be the final stage in the pipeline", name)
			}
			return name, v, nil
		}
	}
	return "", bson.RawValue{}, nil
}

// documentsStage returns the documents of a leading {$documents: [...]} stage and whether there was one.
func documentsStage(stages []bson.Raw) ([]bson.Raw, bool, error) {
	if len(stages) == 0 {
		return nil, false, nil
	}
	v, err := stages[0].LookupErr("$documents")
	if err != nil {
		return nil, false, nil
	}
	x, err := expr.Compile(v)
	if err != nil {
		return nil, true, commandError(err)
	}
	arr, err := x.Eval(emptyDoc)
	if err != nil {
		return nil, true, commandError(err)
	}
	vals, ok := arr.ArrayOK()
	if !ok {
		return nil, true, codes.New(codeDocumentsNotArray, "error during aggregation :: caused by :: an array is expected")
	}
	elems, _ := vals.Values()
	docs := make([]bson.Raw, 0, len(elems))
	for _, el := range elems {
		d, ok := el.DocumentOK()
		if !ok {
			return nil, true, codes.New(codes.TypeMismatch, "$documents must evaluate to an array of objects")
		}
		docs = append(docs, d)
	}
	return docs, true, nil
}

// sourceStage reports whether a database-level pipeline starts with a stage that produces documents without
// reading a collection: $documents or $listLocalSessions.
func sourceStage(stages []bson.Raw) bool {
	if len(stages) == 0 {
		return false
	}
	for _, name := range []string{"$documents", "$listLocalSessions"} {
		if _, err := stages[0].LookupErr(name); err == nil {
			return true
		}
	}
	return false
}

// aggregateDocuments runs a database-level aggregate ({aggregate: 1}) starting with $documents or
// $listLocalSessions: their documents go through the rest of the pipeline, then to a final $out or $merge, or
// back as the first batch.
func (s *Server) aggregateDocuments(ctx context.Context, req *Request, stages []bson.Raw) (bson.D, error) {
	docs, isDocuments, err := documentsStage(stages)
	if err != nil {
		return nil, err
	}
	if !isDocuments {
		if docs, err = s.sessions.listLocal(req, stages[0].Lookup("$listLocalSessions")); err != nil {
			return nil, err
		}
	}
	stage, arg, err := writeStage(stages)
	if err != nil {
		return nil, err
	}
	rest := stages[1:]
	if stage != "" {
		rest = rest[:len(rest)-1]
	}
	p, err := agg.Compile(rest)
	if err != nil {
		return nil, commandError(err)
	}
	if docs, err = p.Run(ctx, docs, nil); err != nil {
		return nil, commandError(err)
	}
	namespace := req.DB + ".$cmd.aggregate"
	if stage != "" {
		if err := s.writeResults(ctx, req, stage, arg, docs); err != nil {
			return nil, err
		}
		docs = nil
	}
	return cursorDoc("firstBatch", docs, 0, namespace), nil
}

// aggregateInto runs a collection's pipeline whose last stage is $out or $merge: the documents of the other
// stages are written, and the reply is an empty, closed cursor.
func (s *Server) aggregateInto(ctx context.Context, req *Request, collName string, stages []bson.Raw, stage string, arg bson.RawValue) (bson.D, error) {
	cur, err := s.DB.Database(req.DB).Collection(collName).Aggregate(ctx, stages[:len(stages)-1])
	if err != nil {
		return nil, commandError(err)
	}
	var docs []bson.Raw
	for cur.Next(ctx) {
		docs = append(docs, cur.Current)
	}
	if err := cur.Err(); err != nil {
		return nil, commandError(err)
	}
	_ = cur.Close(ctx)
	if err := s.writeResults(ctx, req, stage, arg, docs); err != nil {
		return nil, err
	}
	return cursorDoc("firstBatch", nil, 0, ns(req.DB, collName)), nil
}

// writeResults writes docs as the final stage ($out or $merge) says. A write stage under readConcern
// "linearizable" is InvalidOptions, as in mongod.
func (s *Server) writeResults(ctx context.Context, req *Request, stage string, arg bson.RawValue, docs []bson.Raw) error {
	if req.InTxn {
		return codes.New(codes.OperationNotSupportedInTransaction, "%s cannot be used in a transaction", stage)
	}
	if lvl, _ := req.Body.Lookup("readConcern", "level").StringValueOK(); lvl == "linearizable" {
		return codes.New(codes.InvalidOptions, "%s cannot be used with a 'linearizable' read concern level", stage)
	}
	if stage == "$out" {
		db, coll, err := outTarget(req.DB, arg)
		if err != nil {
			return err
		}
		return s.out(ctx, db, coll, docs)
	}
	m, err := parseMerge(req.DB, arg)
	if err != nil {
		return err
	}
	return s.merge(ctx, m, docs)
}

// outTarget reads $out's argument: "coll" or {db, coll}.
func outTarget(db string, v bson.RawValue) (string, string, error) {
	if c, ok := v.StringValueOK(); ok && c != "" {
		return db, c, nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return "", "", codes.New(codeOutArgument, "$out only supports a string or object argument, not %s", typeName(v.Type))
	}
	c, _ := d.Lookup("coll").StringValueOK()
	if other, ok := d.Lookup("db").StringValueOK(); ok && other != "" {
		db = other
	}
	if c == "" {
		return "", "", codes.New(codes.FailedToParse, "BSON field '$out.coll' is missing but a required field")
	}
	return db, c, nil
}

// out replaces the contents of db.coll with docs in one transaction, so that readers see the old contents or
// the new, never a mix, as mongod's $out (which renames a temporary collection over the target) guarantees;
// the target's indexes stay. A document that violates one of them fails the stage and leaves the target as it
// was.
func (s *Server) out(ctx context.Context, db, coll string, docs []bson.Raw) error {
	target := s.DB.Database(db).Collection(coll)
	in := make([]any, len(docs))
	for i, d := range docs {
		in[i] = d
	}
	// The target exists afterwards even when no document reaches it.
	if err := s.DB.Database(db).CreateCollection(ctx, coll); err != nil {
		if ce, ok := codes.As(err); !ok || ce.Code != codes.NamespaceExists {
			return commandError(err)
		}
	}
	_, err := s.DB.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		if _, err := target.DeleteMany(ctx, bson.D{}); err != nil {
			return nil, err
		}
		if len(in) == 0 {
			return nil, nil
		}
		return target.InsertMany(ctx, in)
	})
	return firstWriteError(err)
}

// mergeSpec is $merge's argument.
type mergeSpec struct {
	db, coll       string
	on             []string
	whenMatched    string
	whenNotMatched string
}

// parseMerge reads $merge's argument: "coll" or {into, on, whenMatched, whenNotMatched}.
func parseMerge(db string, v bson.RawValue) (*mergeSpec, error) {
	m := &mergeSpec{db: db, on: []string{"_id"}, whenMatched: "merge", whenNotMatched: "insert"}
	if c, ok := v.StringValueOK(); ok {
		m.coll = c
		return m, nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "$merge requires a string or object argument, not %s", typeName(v.Type))
	}
	elems, err := d.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "into":
			if m.db, m.coll, err = outTarget(db, v); err != nil {
				return nil, err
			}
		case "on":
			if s, ok := v.StringValueOK(); ok {
				m.on = []string{s}
				continue
			}
			arr, ok := v.ArrayOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "$merge 'on' must be a string or an array of strings")
			}
			vals, _ := arr.Values()
			m.on = m.on[:0]
			for _, f := range vals {
				s, ok := f.StringValueOK()
				if !ok {
					return nil, codes.New(codes.TypeMismatch, "$merge 'on' must be a string or an array of strings")
				}
				m.on = append(m.on, s)
			}
		case "whenMatched":
			s, ok := v.StringValueOK()
			if !ok {
				return nil, codes.New(codes.BadValue, "$merge whenMatched as a pipeline is not supported")
			}
			if s != "merge" && s != "replace" && s != "keepExisting" && s != "fail" {
				return nil, codes.New(codes.BadValue, "Enumeration value '%s' for field '$merge.whenMatched' is not a valid value.", s)
			}
			m.whenMatched = s
		case "whenNotMatched":
			s, _ := v.StringValueOK()
			if s != "insert" && s != "discard" && s != "fail" {
				return nil, codes.New(codes.BadValue, "Enumeration value '%s' for field '$merge.whenNotMatched' is not a valid value.", s)
			}
			m.whenNotMatched = s
		case "let":
		default:
			return nil, codes.New(codeUnknownField, "BSON field '$merge.%s' is an unknown field.", e.Key())
		}
	}
	if m.coll == "" {
		return nil, codes.New(codes.FailedToParse, "BSON field '$merge.into' is missing but a required field")
	}
	return m, nil
}

// merge writes docs into the target one by one, as mongod's $merge does (not atomically): each document is
// matched on the 'on' fields and merged, replaced, kept or refused, or, unmatched, inserted, discarded or
// refused.
func (s *Server) merge(ctx context.Context, m *mergeSpec, docs []bson.Raw) error {
	target := s.DB.Database(m.db).Collection(m.coll)
	for _, doc := range docs {
		filter := bson.D{}
		for _, f := range m.on {
			v, err := doc.LookupErr(f)
			if err != nil {
				if f == "_id" {
					continue // a document without _id matches nothing and gets one on insert
				}
				return codes.New(codeMergeOnMissing, "$merge write error: 'on' field '%s' cannot be missing, null or undefined if supporting index does not allow missing values", f)
			}
			filter = append(filter, bson.E{Key: f, Value: v})
		}
		if len(filter) == 0 {
			filter = bson.D{{Key: "_id", Value: bson.NewObjectID()}}
		}
		var err error
		switch {
		case m.whenMatched == "fail" && m.whenNotMatched == "insert":
			_, err = target.InsertOne(ctx, doc)
		case m.whenMatched == "fail":
			return codes.New(codes.BadValue, "$merge whenMatched 'fail' is only supported with whenNotMatched 'insert'")
		default:
			err = s.mergeOne(ctx, target, m, filter, doc)
		}
		if err != nil {
			return firstWriteError(err)
		}
	}
	return nil
}

// mergeOne merges one document matched on filter.
func (s *Server) mergeOne(ctx context.Context, target *concord.Collection, m *mergeSpec, filter bson.D, doc bson.Raw) error {
	upsert := m.whenNotMatched == "insert"
	var res *concord.UpdateResult
	var err error
	switch m.whenMatched {
	case "merge":
		res, err = target.UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: doc}}, &concord.UpdateOptions{Upsert: upsert})
	case "replace":
		res, err = target.ReplaceOne(ctx, filter, doc, &concord.ReplaceOptions{Upsert: upsert})
	case "keepExisting":
		res, err = target.UpdateOne(ctx, filter, bson.D{{Key: "$setOnInsert", Value: doc}}, &concord.UpdateOptions{Upsert: upsert})
	}
	if err != nil {
		return err
	}
	if m.whenNotMatched == "fail" && res.MatchedCount == 0 {
		return codes.New(codeMergeNoMatch, "$merge could not find a matching document in the target collection for at least one document in the source collection")
	}
	return nil
}

// firstWriteError returns the first write error of a bulk write error (a DuplicateKey with its keyPattern and
// keyValue), or err itself.
func firstWriteError(err error) error {
	var bwe *concord.BulkWriteError
	if errors.As(err, &bwe) && len(bwe.WriteErrors) > 0 && bwe.WriteErrors[0].Err != nil {
		return bwe.WriteErrors[0].Err
	}
	if err != nil {
		return commandError(err)
	}
	return nil
}
