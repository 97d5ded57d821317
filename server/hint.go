package server

import (
	"go.mongodb.org/mongo-driver/v2/bson"
)

// hintArg reads a hint at path of cmd: an index name (a string) or a key pattern (a document; {$natural: 1} for
// a collection scan), as the root package's options take it; nil for an empty document. Another type is
// TypeMismatch (14), as mongod's IDL parser says.
func hintArg(cmd, path string, v bson.RawValue) (any, error) {
	switch v.Type {
	case bson.TypeString:
		return v.StringValue(), nil
	case bson.TypeEmbeddedDocument:
		if d := v.Document(); len(d) > 5 {
			return d, nil
		}
		return nil, nil
	}
	return nil, wrongType(cmd, path, v, "types [string, object]")
}

// commandHint is hintArg for the command's top-level "hint" field; nil when absent or null.
func commandHint(a *cmdArgs) (any, error) {
	v, ok := a.get("hint")
	if !ok || v.Type == bson.TypeNull {
		return nil, nil
	}
	return hintArg(a.cmd, "hint", v)
}
