package server

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// updateStatement is one entry of an update command's updates array.
type updateStatement struct {
	q            bson.Raw
	u            bson.RawValue // document (operators or replacement) or array (pipeline)
	upsert       bool
	multi        bool
	arrayFilters []any
	sort         bson.Raw
	collation    any // the statement's collation document; nil: the collection's default
	hint         any // an index name or key pattern
}

// parseUpdateStatement validates one statement of updates (index i) the way mongod's IDL parser does, before
// any statement runs: a malformed statement fails the whole command. The first error in field order wins, but
// malformed BSON anywhere is reported first.
func parseUpdateStatement(cmd string, i int, d bson.Raw) (updateStatement, error) {
	var st updateStatement
	var haveQ, haveU bool
	var first error
	it := newElemIter(d)
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		if first == nil {
			first = st.parseField(cmd, i, k, v, &haveQ, &haveU)
		}
	}
	if it.malformed() {
		_, err := d.Elements()
		return st, codes.New(codes.InvalidBSON, "invalid update statement %d: %v", i, err)
	}
	if first != nil {
		return st, first
	}
	path := func(f string) string { return fmt.Sprintf("updates.%d.%s", i, f) }
	if !haveQ {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("q"))
	}
	if !haveU {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("u"))
	}
	return st, nil
}

// parseField reads one field of update statement i.
func (st *updateStatement) parseField(cmd string, i int, k []byte, v bson.RawValue, haveQ, haveU *bool) error {
	// The path is formatted only for an error message: these checks run for every statement.
	path := func(f string) string { return fmt.Sprintf("updates.%d.%s", i, f) }
	var err error
	switch string(k) {
	case "q":
		d, ok := v.DocumentOK()
		if !ok {
			return wrongType(cmd, path("q"), v, "type 'object'")
		}
		st.q, *haveQ = d, true
	case "u":
		if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
			return wrongType(cmd, path("u"), v, "types '[object, array]'")
		}
		st.u, *haveU = v, true
	case "upsert":
		if st.upsert, err = rawBool(cmd, "", v); err != nil {
			_, err = rawBool(cmd, path("upsert"), v)
			return err
		}
	case "multi":
		if st.multi, err = rawBool(cmd, "", v); err != nil {
			_, err = rawBool(cmd, path("multi"), v)
			return err
		}
	case "arrayFilters":
		if v.Type == bson.TypeNull {
			return nil
		}
		vals, err := rawArray(cmd, path("arrayFilters"), v)
		if err != nil {
			return err
		}
		fs, err := docsOf(cmd, path("arrayFilters"), vals)
		if err != nil {
			return err
		}
		st.arrayFilters = make([]any, len(fs))
		for j, f := range fs {
			st.arrayFilters[j] = f
		}
	case "sort":
		if v.Type == bson.TypeNull {
			return nil
		}
		if st.sort, err = rawDoc(cmd, path("sort"), v); err != nil {
			return err
		}
	case "collation":
		d, err := rawDoc(cmd, path("collation"), v)
		if err != nil {
			return err
		}
		st.collation = d
	case "hint":
		if st.hint, err = hintArg(cmd, path("hint"), v); err != nil {
			return err
		}
	case "c", "upsertSupplied":
		// Accepted and ignored.
	default:
		return codes.New(codeUnknownField, "BSON field '%s.%s' is an unknown field.", cmd, path(string(k)))
	}
	return nil
}

// codeUnknownField is the IDL parser's error for an unexpected field (40415).
const codeUnknownField codes.Code = 40415

// isReplacement reports whether an update document replaces the document (no leading operator) rather than
// modifying it. An empty document is a replacement, as in mongod.
func isReplacement(u bson.Raw) bool {
	it := newElemIter(u)
	k, _, ok := it.next()
	return !ok || len(k) == 0 || k[0] != '$'
}

// run executes the statement on coll.
func (st *updateStatement) run(ctx context.Context, coll *concord.Collection) (*concord.UpdateResult, error) {
	var sort any
	if st.sort != nil {
		sort = st.sort
	}
	var u any
	if st.u.Type == bson.TypeArray {
		u = bson.RawArray(st.u.Value) // a pipeline-style update
	} else if doc := st.u.Document(); !isReplacement(doc) {
		u = doc
	} else {
		if st.multi {
			return nil, codes.New(codes.FailedToParse, "multi update is not supported for replacement-style update")
		}
		return coll.ReplaceOne(ctx, st.q, doc, &concord.ReplaceOptions{Upsert: st.upsert, Sort: sort, Collation: st.collation, Hint: st.hint})
	}
	opts := &concord.UpdateOptions{Upsert: st.upsert, ArrayFilters: st.arrayFilters, Sort: sort, Collation: st.collation, Hint: st.hint}
	if st.multi {
		return coll.UpdateMany(ctx, st.q, u, opts)
	}
	return coll.UpdateOne(ctx, st.q, u, opts)
}

// handleUpdate runs update: {update, updates: [{q, u, upsert, multi, arrayFilters, hint}], ordered}. Reply
// {n, nModified, upserted?: [{index, _id}], writeErrors?}; n counts matched and upserted documents. Each statement
// gets its own profiler entry and statistics.
func handleUpdate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	raws, ordered, err := a.writeBatch("updates")
	if err != nil {
		return nil, err
	}
	var one [1]updateStatement // the usual single statement, kept off the heap
	stmts := one[:]
	if len(raws) != 1 {
		stmts = make([]updateStatement, len(raws))
	}
	for i, r := range raws {
		if stmts[i], err = parseUpdateStatement(req.Name, i, r); err != nil {
			return nil, err
		}
	}
	if ctx, err = s.commandVars(ctx, req, a); err != nil {
		return nil, err
	}
	coll := s.database(req.DB).Collection(collName)
	var n, nModified int64
	var upserted bson.A
	b := writeBatch{stmts: raws, ordered: ordered, profileOp: "update", coll: collName}
	b.replay = func(i int, r bson.Raw) {
		matched, _ := r.Lookup("matched").AsInt64OK()
		modified, _ := r.Lookup("modified").AsInt64OK()
		n += matched
		nModified += modified
		if id, err := r.LookupErr("upsertedId"); err == nil {
			n++
			upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: id}})
		}
	}
	writeErrors, _, err := s.runWriteBatch(ctx, req, b, func(ctx context.Context, i int) error {
		res, err := stmts[i].run(ctx, coll)
		if err != nil {
			return err
		}
		n += res.MatchedCount + res.UpsertedCount
		nModified += res.ModifiedCount
		if res.UpsertedCount > 0 {
			upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: res.UpsertedID}})
		}
		req.noteStmt(i, func() bson.Raw {
			var id any
			if res.UpsertedCount > 0 {
				id = res.UpsertedID
			}
			return updateSummary(res.MatchedCount, res.ModifiedCount, id)
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return withWriteErrors(updateReply(n, nModified, upserted), writeErrors), nil
}

// updateReply is an update command's reply without its write errors: {n, nModified, upserted?}. A retry after a
// restart rebuilds it from the session record (replyFromRecord).
func updateReply(n, nModified int64, upserted bson.A) bson.D {
	reply := bson.D{{Key: "n", Value: int32(n)}, {Key: "nModified", Value: int32(nModified)}}
	if len(upserted) > 0 {
		reply = append(reply, bson.E{Key: "upserted", Value: upserted})
	}
	return reply
}

// addStats adds a statement's statistics to the command's (dst may be nil).
func addStats(dst, src *concord.OpStats) {
	if dst == nil || src == nil || dst == src {
		return
	}
	dst.KeysExamined += src.KeysExamined
	dst.DocsExamined += src.DocsExamined
	dst.NMatched += src.NMatched
	dst.NModified += src.NModified
	dst.NUpserted += src.NUpserted
	dst.NInserted += src.NInserted
	dst.NDeleted += src.NDeleted
	dst.NReturned += src.NReturned
	dst.WriteConflicts += src.WriteConflicts
	dst.NumYield += src.NumYield
	if src.PlanSummary != "" {
		dst.PlanSummary = src.PlanSummary
	}
}
