package server

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// The featureCompatibilityVersion values of a 7.0 server: the last LTS release, the last continuous release and
// its own (mongod's GenericFCV kLastLTS, kLastContinuous, kLatest).
const (
	fcvLastLTS        = "6.0"
	fcvLastContinuous = "6.3"
	fcvLatest         = "7.0"
)

// fcvCollection and fcvID locate the persisted featureCompatibilityVersion, where mongod keeps it:
// admin.system.version, document {_id: "featureCompatibilityVersion", version}.
const (
	fcvCollection = "system.version"
	fcvID         = "featureCompatibilityVersion"
)

// featureCompatibilityVersion returns the persisted featureCompatibilityVersion, fcvLatest when none was ever
// set (a new deployment starts at its binary's version, as mongod's does).
func featureCompatibilityVersion(ctx context.Context, db *concord.DB) (string, error) {
	var doc struct {
		Version string `bson:"version"`
	}
	err := db.Database("admin").Collection(fcvCollection).FindOne(ctx, bson.D{{Key: "_id", Value: fcvID}}).Decode(&doc)
	if errors.Is(err, concord.ErrNoDocuments) {
		return fcvLatest, nil
	}
	if err != nil {
		return "", commandError(err)
	}
	if doc.Version == "" {
		return fcvLatest, nil
	}
	return doc.Version, nil
}

// fcvOrder ranks the versions a 7.0 server knows, for upgrade versus downgrade.
var fcvOrder = map[string]int{fcvLastLTS: 1, fcvLastContinuous: 2, fcvLatest: 3}

// handleSetFCV answers setFeatureCompatibilityVersion (admin only): {setFeatureCompatibilityVersion: "6.0" |
// "7.0", confirm: true}. As mongod 7.0: a version it does not know is 4926900, a missing confirm 7369100 (with
// the upgrade or downgrade message), and a move to the last continuous version 5147403. The version is persisted
// in admin.system.version, so that getParameter reports it after a restart. Concord's behaviour does not
// depend on it: 6.0 only changes what the server reports.
func handleSetFCV(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	if req.DB != "admin" {
		return nil, codes.New(codes.Unauthorized, "setFeatureCompatibilityVersion may only be run against the admin database.")
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	v := a.raw(req.Name)
	want, ok := v.StringValueOK()
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "BSON field 'setFeatureCompatibilityVersion' is the wrong type '%s', expected type 'string'", typeName(v.Type))
	}
	if _, known := fcvOrder[want]; !known {
		return nil, codes.New(codeInvalidFCV, "Invalid feature compatibility version value '%s'; expected '%s' or '%s' or '%s'. See https://docs.mongodb.com/master/release-notes/%s-compatibility/#feature-compatibility.",
			want, fcvLastLTS, fcvLastContinuous, fcvLatest, fcvLastLTS)
	}
	s.fcvMu.Lock()
	defer s.fcvMu.Unlock()
	have, err := featureCompatibilityVersion(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	if confirm, _ := a.boolean("confirm", false); !confirm {
		if fcvOrder[want] > fcvOrder[have] {
			return nil, codes.New(codeFCVConfirm, "Once you have upgraded to %s, you will not be able to downgrade FCV and binary version without support assistance. Please re-run this command with 'confirm: true' to acknowledge this and continue with the FCV upgrade.", want)
		}
		return nil, codes.New(codeFCVConfirm, "Once you have downgraded the FCV, if you choose to downgrade the binary version, it will require support assistance. Please re-run this command with 'confirm: true' to acknowledge this and continue with the FCV downgrade.")
	}
	if want == have {
		return bson.D{}, nil
	}
	if want == fcvLastContinuous {
		return nil, codes.New(codeFCVTransition, "cannot set featureCompatibilityVersion to '%s' while featureCompatibilityVersion is '%s'", want, have)
	}
	coll := s.DB.Database("admin").Collection(fcvCollection)
	_, err = coll.ReplaceOne(ctx, bson.D{{Key: "_id", Value: fcvID}}, bson.D{{Key: "_id", Value: fcvID}, {Key: "version", Value: want}},
		&concord.ReplaceOptions{Upsert: true})
	if err != nil {
		return nil, commandError(err)
	}
	s.logEvent("COMMAND", 6744302, "setFeatureCompatibilityVersion succeeded",
		bson.D{{Key: "fromVersion", Value: have}, {Key: "toVersion", Value: want}}, "setFeatureCompatibilityVersion succeeded")
	return bson.D{}, nil
}

// The error codes of setFeatureCompatibilityVersion (mongod's numeric uassert codes).
const (
	codeInvalidFCV    codes.Code = 4926900
	codeFCVConfirm    codes.Code = 7369100
	codeFCVTransition codes.Code = 5147403
)
