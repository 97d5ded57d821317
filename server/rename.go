package server

import (
	"context"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// handleRenameCollection runs renameCollection: {renameCollection: "db.from", to: "db.to", dropTarget: bool}, an
// admin command, as in mongod. The collection keeps its documents and indexes; change streams see a rename
// event (and those on the source collection an invalidate).
func handleRenameCollection(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "renameCollection may only be run against the admin database.")
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	from, err := a.str("renameCollection")
	if err != nil {
		return nil, err
	}
	if err := a.require("to"); err != nil {
		return nil, err
	}
	to, err := a.str("to")
	if err != nil {
		return nil, err
	}
	dropTarget, err := a.boolean("dropTarget", false)
	if err != nil {
		return nil, err
	}
	fromDB, fromColl, ok1 := splitNamespace(from)
	toDB, toColl, ok2 := splitNamespace(to)
	if !ok1 {
		return nil, codes.New(codes.InvalidNamespace, "Invalid source namespace: %s", from)
	}
	if !ok2 {
		return nil, codes.New(codes.InvalidNamespace, "Invalid target namespace: %s", to)
	}
	if err := checkCollName(toDB, toColl); err != nil {
		return nil, err
	}
	if err := frontend.RenameCollection(ctx, s.DB, fromDB, fromColl, toDB, toColl, dropTarget); err != nil {
		return nil, commandError(err)
	}
	return bson.D{}, nil
}

// splitNamespace splits "db.coll" at its first dot.
func splitNamespace(ns string) (db, coll string, ok bool) {
	db, coll, ok = strings.Cut(ns, ".")
	return db, coll, ok && db != "" && coll != ""
}

// renameNeeds: renameCollectionSameDB on the database within one database; across databases, find and
// dropCollection on the source and insert, createIndex and createCollection on the target, as mongod asks.
func renameNeeds(dst []need, req *Request) []need {
	from, _ := req.Body.Lookup("renameCollection").StringValueOK()
	to, _ := req.Body.Lookup("to").StringValueOK()
	fromDB, fromColl, _ := splitNamespace(from)
	toDB, toColl, _ := splitNamespace(to)
	if fromDB == toDB {
		dst = append(dst, need{auth.Database(fromDB), auth.ActionRenameCollectionSameDB})
		if drop, _ := req.Body.Lookup("dropTarget").BooleanOK(); drop {
			dst = append(dst, need{auth.Namespace(toDB, toColl), auth.ActionDropCollection})
		}
		return dst
	}
	src, dstNS := auth.Namespace(fromDB, fromColl), auth.Namespace(toDB, toColl)
	return append(dst, need{src, auth.ActionFind}, need{src, auth.ActionDropCollection},
		need{dstNS, auth.ActionInsert}, need{dstNS, auth.ActionCreateIndex}, need{dstNS, auth.ActionCreateCollection})
}

// imagesOption reads changeStreamPreAndPostImages: {enabled: bool}.
func imagesOption(a *cmdArgs) (bool, error) {
	d, err := a.doc("changeStreamPreAndPostImages")
	if err != nil {
		return false, err
	}
	v, err := d.LookupErr("enabled")
	if err != nil {
		return false, codes.New(codeMissingField, "BSON field 'changeStreamPreAndPostImages.enabled' is missing but a required field")
	}
	on, ok := v.BooleanOK()
	if !ok {
		return false, codes.New(codes.TypeMismatch, "BSON field 'changeStreamPreAndPostImages.enabled' is the wrong type '%s', expected type 'bool'", typeName(v.Type))
	}
	return on, nil
}
