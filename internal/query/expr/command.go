package expr

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// systemConstants are the system variables mongod sets per command, which
// a command's let may not set (mongod's kSystemVarValidators).
var systemConstants = map[string]bool{
	"NOW": true, "CLUSTER_TIME": true, "JS_SCOPE": true, "IS_MR": true, "USER_ROLES": true,
}

// CommandScope returns the scope every expression of one command compiles
// in: $$NOW bound to now and, unless clusterTime is the zero Timestamp,
// $$CLUSTER_TIME bound to it, so that every document the command reads
// sees the same values; and the command's let variables (nil or empty for
// none), each evaluated once, in order, against no document: a let value
// may use $$NOW, $$CLUSTER_TIME and the let variables before it, not a
// field. The values are compiled into the expressions as constants, so a
// scope serves one command only.
//
// Errors follow mongod's: FailedToParse (9) for an invalid name, 4738901
// for the name of a system variable, 4890500 for a value that reads a
// field, 17276 for an undefined variable, and the expression's own.
func CommandScope(let bson.Raw, now time.Time, clusterTime bson.Timestamp) (*Scope, error) {
	vars := (*Vars)(nil).Bind("NOW", value.Date(now.UnixMilli()))
	if clusterTime != (bson.Timestamp{}) {
		ts := bsoncore.AppendTimestamp(nil, clusterTime.T, clusterTime.I)
		vars = vars.Bind("CLUSTER_TIME", bson.RawValue{Type: bson.TypeTimestamp, Value: ts})
	}
	if len(let) == 0 {
		return &Scope{consts: vars}, nil
	}
	if err := let.Validate(); err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid let document: %v", err)
	}
	elems, err := let.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid let document: %v", err)
	}
	for _, el := range elems {
		name := el.Key()
		if systemConstants[name] {
			return nil, codes.New(4738901, "Attempt to set internal constant: %s", name)
		}
		if err := CheckVarName(name, false); err != nil {
			return nil, codes.New(codes.FailedToParse, "Invalid 'let' parameter :: caused by :: %s", err.(*codes.Error).Message)
		}
		n, err := compile(el.Value(), &Scope{consts: vars, docless: true})
		if err != nil {
			return nil, err
		}
		v, err := n.eval(&env{root: value.EmptyDoc, current: value.EmptyDoc})
		if err != nil {
			return nil, err
		}
		// The value may alias let, which the caller may reuse; a missing
		// value ($$REMOVE) stays missing wherever it is referenced.
		v.Value = append([]byte(nil), v.Value...)
		vars = vars.Bind(name, v)
	}
	return &Scope{consts: vars}, nil
}
