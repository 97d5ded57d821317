package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// updateStatement is one entry of an update command's updates array.
type updateStatement struct {
	raw          bson.Raw // the statement as sent, recorded by the profiler
	q            bson.Raw
	u            bson.RawValue // document (operators or replacement) or array (pipeline)
	upsert       bool
	multi        bool
	arrayFilters []any
	sort         bson.Raw
}

// parseUpdateStatement validates one statement of updates (index i) the way mongod's IDL parser does, before
// any statement runs: a malformed statement fails the whole command.
func parseUpdateStatement(cmd string, i int, d bson.Raw) (updateStatement, error) {
	path := func(f string) string { return fmt.Sprintf("updates.%d.%s", i, f) }
	st := updateStatement{raw: d}
	elems, err := d.Elements()
	if err != nil {
		return st, codes.New(codes.InvalidBSON, "invalid update statement %d: %v", i, err)
	}
	var haveQ, haveU bool
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "q":
			if st.q, err = rawDoc(cmd, path("q"), v); err != nil {
				return st, err
			}
			haveQ = true
		case "u":
			if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
				return st, wrongType(cmd, path("u"), v, "types '[object, array]'")
			}
			st.u, haveU = v, true
		case "upsert":
			if st.upsert, err = rawBool(cmd, path("upsert"), v); err != nil {
				return st, err
			}
		case "multi":
			if st.multi, err = rawBool(cmd, path("multi"), v); err != nil {
				return st, err
			}
		case "arrayFilters":
			if v.Type == bson.TypeNull {
				continue
			}
			vals, err := rawArray(cmd, path("arrayFilters"), v)
			if err != nil {
				return st, err
			}
			fs, err := docsOf(cmd, path("arrayFilters"), vals)
			if err != nil {
				return st, err
			}
			st.arrayFilters = make([]any, len(fs))
			for j, f := range fs {
				st.arrayFilters[j] = f
			}
		case "sort":
			if v.Type == bson.TypeNull {
				continue
			}
			if st.sort, err = rawDoc(cmd, path("sort"), v); err != nil {
				return st, err
			}
		case "hint", "collation", "c", "upsertSupplied":
			// Accepted and ignored: the engine picks its own plan and compares with the simple collation.
		default:
			return st, codes.New(codeUnknownField, "BSON field '%s.%s' is an unknown field.", cmd, path(e.Key()))
		}
	}
	if !haveQ {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("q"))
	}
	if !haveU {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("u"))
	}
	return st, nil
}

// codeUnknownField is the IDL parser's error for an unexpected field (40415).
const codeUnknownField codes.Code = 40415

// isReplacement reports whether an update document replaces the document (no leading operator) rather than
// modifying it. An empty document is a replacement, as in mongod.
func isReplacement(u bson.Raw) bool {
	first, err := u.IndexErr(0)
	return err != nil || !strings.HasPrefix(first.Key(), "$")
}

// run executes the statement on coll.
func (st *updateStatement) run(ctx context.Context, coll *concord.Collection) (*concord.UpdateResult, error) {
	if st.u.Type == bson.TypeArray {
		return nil, codes.New(codes.FailedToParse, "pipeline-style updates are not supported")
	}
	u := st.u.Document()
	var sort any
	if st.sort != nil {
		sort = st.sort
	}
	if isReplacement(u) {
		if st.multi {
			return nil, codes.New(codes.FailedToParse, "multi update is not supported for replacement-style update")
		}
		return coll.ReplaceOne(ctx, st.q, u, &concord.ReplaceOptions{Upsert: st.upsert, Sort: sort})
	}
	opts := &concord.UpdateOptions{Upsert: st.upsert, ArrayFilters: st.arrayFilters, Sort: sort}
	if st.multi {
		return coll.UpdateMany(ctx, st.q, u, opts)
	}
	return coll.UpdateOne(ctx, st.q, u, opts)
}

// handleUpdate runs update: {update, updates: [{q, u, upsert, multi, arrayFilters, hint}], ordered}. Reply
// {n, nModified, upserted?: [{index, _id}], writeErrors?}; n counts matched and upserted documents. Each statement
// gets its own profiler entry and statistics.
func handleUpdate(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	collName, err := collectionArg(req, a)
	if err != nil {
		return nil, err
	}
	if !a.has("updates") {
		return nil, codes.New(codeMissingField, "BSON field 'update.updates' is missing but a required field")
	}
	raws, err := a.docArray("updates")
	if err != nil {
		return nil, err
	}
	if err := checkBatchSize(len(raws)); err != nil {
		return nil, err
	}
	ordered, err := a.boolean("ordered", true)
	if err != nil {
		return nil, err
	}
	stmts := make([]updateStatement, len(raws))
	for i, r := range raws {
		if stmts[i], err = parseUpdateStatement(req.Name, i, r); err != nil {
			return nil, err
		}
	}
	namespace := ns(req.DB, collName)
	coll := s.DB.Database(req.DB).Collection(collName)
	var n, nModified int64
	var upserted, writeErrors bson.A
	for i := range stmts {
		st := &concord.OpStats{}
		started := time.Now()
		res, err := stmts[i].run(concord.WithOpStats(ctx, st), coll)
		addStats(req.Stats, st)
		if s.profiler.on(req.DB) {
			s.profileRecord(ctx, req, profileRecord{op: "update", ns: namespace, command: stmts[i].raw, st: st, started: started, err: err})
		}
		if err != nil {
			e, _ := codes.As(commandError(err))
			if failsWholeCommand(e, req.InTxn) {
				return nil, e
			}
			writeErrors = append(writeErrors, writeErrorDoc(i, e))
			if ordered || req.InTxn {
				break
			}
			continue
		}
		n += res.MatchedCount + res.UpsertedCount
		nModified += res.ModifiedCount
		if res.UpsertedCount > 0 {
			upserted = append(upserted, bson.D{{Key: "index", Value: int32(i)}, {Key: "_id", Value: res.UpsertedID}})
		}
	}
	reply := bson.D{{Key: "n", Value: int32(n)}, {Key: "nModified", Value: int32(nModified)}}
	if len(upserted) > 0 {
		reply = append(reply, bson.E{Key: "upserted", Value: upserted})
	}
	if len(writeErrors) > 0 {
		reply = append(reply, bson.E{Key: "writeErrors", Value: writeErrors})
	}
	return reply, nil
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
