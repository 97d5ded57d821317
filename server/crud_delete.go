package server

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// deleteStatement is one entry of a delete command's deletes array.
type deleteStatement struct {
	q         bson.Raw
	multi     bool // limit 0
	collation any  // the statement's collation document; nil: the collection's default
	hint      any  // an index name or key pattern
}

// parseDeleteStatement validates one statement of deletes (index i) before any statement runs.
func parseDeleteStatement(cmd string, i int, d bson.Raw) (deleteStatement, error) {
	path := func(f string) string { return fmt.Sprintf("deletes.%d.%s", i, f) }
	var st deleteStatement
	elems, err := d.Elements()
	if err != nil {
		return st, codes.New(codes.InvalidBSON, "invalid delete statement %d: %v", i, err)
	}
	var haveQ, haveLimit bool
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "q":
			// The path is formatted only for an error message: these checks run for every statement.
			d, ok := v.DocumentOK()
			if !ok {
				return st, wrongType(cmd, path("q"), v, "type 'object'")
			}
			st.q, haveQ = d, true
		case "limit":
			limit, err := rawInt(cmd, "", v)
			if err != nil {
				_, err = rawInt(cmd, path("limit"), v)
				return st, err
			}
			if limit != 0 && limit != 1 {
				return st, codes.New(codes.FailedToParse, "The limit field in delete objects must be 0 or 1. Got %d", limit)
			}
			st.multi, haveLimit = limit == 0, true
		case "collation":
			d, ok := v.DocumentOK()
			if !ok {
				return st, wrongType(cmd, path("collation"), v, "type 'object'")
			}
			st.collation = d
		case "hint":
			if st.hint, err = hintArg(cmd, path("hint"), v); err != nil {
				return st, err
			}
		default:
			return st, codes.New(codeUnknownField, "BSON field '%s.%s' is an unknown field.", cmd, path(e.Key()))
		}
	}
	if !haveQ {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("q"))
	}
	if !haveLimit {
		return st, codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, path("limit"))
	}
	return st, nil
}

// handleDelete runs delete: {delete, deletes: [{q, limit}], ordered}. Reply {n, writeErrors?}, with the same
// error rules as insert and update.
func handleDelete(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	raws, ordered, err := a.writeBatch("deletes")
	if err != nil {
		return nil, err
	}
	stmts := make([]deleteStatement, len(raws))
	for i, r := range raws {
		if stmts[i], err = parseDeleteStatement(req.Name, i, r); err != nil {
			return nil, err
		}
	}
	if ctx, err = s.commandVars(ctx, req, a); err != nil {
		return nil, err
	}
	coll := s.database(req.DB).Collection(collName)
	var n int64
	b := writeBatch{stmts: raws, ordered: ordered, profileOp: "remove", coll: collName}
	b.replay = func(_ int, r bson.Raw) {
		d, _ := r.Lookup("deleted").AsInt64OK()
		n += d
	}
	writeErrors, _, err := s.runWriteBatch(ctx, req, b, func(ctx context.Context, i int) error {
		var res *concord.DeleteResult
		var err error
		opts := &concord.DeleteOptions{Collation: stmts[i].collation, Hint: stmts[i].hint}
		if stmts[i].multi {
			res, err = coll.DeleteMany(ctx, stmts[i].q, opts)
		} else {
			res, err = coll.DeleteOne(ctx, stmts[i].q, opts)
		}
		if err == nil {
			n += res.DeletedCount
			req.noteStmt(i, func() bson.Raw { return deleteSummary(res.DeletedCount) })
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return withWriteErrors(bson.D{{Key: "n", Value: int32(n)}}, writeErrors), nil
}
