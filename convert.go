package concord

import (
	"reflect"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/encoder"
	"github.com/concorddb/concord/internal/engine"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// emptyDoc is the encoding of {}: what a nil filter means.
var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// toDoc encodes a document argument. bson.Raw and []byte pass through
// without re-encoding after validation (hostile bytes must give an error,
// never a panic deeper down); anything else goes through bson.Marshal. what
// names the argument in errors ("filter", "document", ...).
func toDoc(v any, what string) (bson.Raw, error) {
	switch d := v.(type) {
	case nil:
		return nil, codes.New(codes.BadValue, "%s must not be nil", what)
	case bson.Raw:
		return validDoc(d, what)
	case []byte:
		return validDoc(bson.Raw(d), what)
	case bson.D:
		if d == nil {
			return emptyDoc, nil // bson.Marshal refuses a nil D; the driver's users write bson.D(nil) for {}
		}
		// Filters and updates such as {_id: 7} and {$inc: {n: 1}} are encoded on every statement, and
		// bson.Marshal's reflection is most of their cost.
		if b, ok := encoder.AppendDocument(make([]byte, 0, 64), d); ok {
			return b, nil
		}
	case bson.M:
		if d == nil {
			return emptyDoc, nil
		}
	}
	if isArray(v) {
		return nil, codes.New(codes.BadValue, "%s must be a document, not an array", what)
	}
	b, err := bson.Marshal(v)
	if err != nil {
		return nil, &codes.Error{Code: codes.BadValue, Message: "cannot encode " + what + ": " + err.Error(), Cause: err}
	}
	return b, nil
}

// toFilter is toDoc where nil means the empty filter, matching everything.
func toFilter(v any) (bson.Raw, error) {
	if v == nil {
		return emptyDoc, nil
	}
	return toDoc(v, "filter")
}

// toOptionalDoc is toDoc where nil stays nil (no sort, no projection).
func toOptionalDoc(v any, what string) (bson.Raw, error) {
	if v == nil {
		return nil, nil
	}
	return toDoc(v, what)
}

// validDoc checks caller-supplied bytes before anything parses them.
func validDoc(d bson.Raw, what string) (bson.Raw, error) {
	if err := d.Validate(); err != nil {
		return nil, &codes.Error{Code: codes.InvalidBSON, Message: "invalid BSON in " + what + ": " + err.Error(), Cause: err}
	}
	return d, nil
}

// elemType is bson.E, whose slices (bson.D) encode as documents.
var elemType = reflect.TypeOf(bson.E{})

// isArray reports whether v encodes as a BSON array: a slice or array other
// than a bson.D (a slice of bson.E, which encodes as a document) or bytes.
func isArray(v any) bool {
	t := reflect.TypeOf(v)
	if t == nil || (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
		return false
	}
	e := t.Elem()
	return e != elemType && e.Kind() != reflect.Uint8
}

// toDocs encodes each element of a list argument (array filters).
func toDocs(vs []any, what string) ([]bson.Raw, error) {
	if vs == nil {
		return nil, nil
	}
	out := make([]bson.Raw, len(vs))
	for i, v := range vs {
		d, err := toDoc(v, what)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// toPipeline turns an aggregation pipeline into its stages. It accepts
// bson.A, []bson.D, []bson.M, []any, mongo.Pipeline-like named slices,
// []bson.Raw, and a BSON array as bson.Raw / []byte / bson.RawArray.
func toPipeline(p any) ([]bson.Raw, error) {
	switch t := p.(type) {
	case nil:
		return nil, nil
	case bson.RawArray:
		return rawArrayStages(bson.Raw(t))
	case bson.Raw:
		return rawArrayStages(t)
	case []byte:
		return rawArrayStages(bson.Raw(t))
	case []bson.Raw:
		for _, s := range t {
			if _, err := validDoc(s, "pipeline stage"); err != nil {
				return nil, err
			}
		}
		return t, nil
	}
	rv := reflect.ValueOf(p)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, codes.New(codes.TypeMismatch, "pipeline must be an array of stage documents, not %T", p)
	}
	stages := make([]bson.Raw, rv.Len())
	for i := range stages {
		s, err := toDoc(rv.Index(i).Interface(), "pipeline stage")
		if err != nil {
			return nil, err
		}
		stages[i] = s
	}
	return stages, nil
}

// rawArrayStages splits a BSON array of stage documents.
func rawArrayStages(arr bson.Raw) ([]bson.Raw, error) {
	if _, err := validDoc(arr, "pipeline"); err != nil {
		return nil, err
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, &codes.Error{Code: codes.InvalidBSON, Message: "invalid pipeline: " + err.Error(), Cause: err}
	}
	stages := make([]bson.Raw, len(vals))
	for i, v := range vals {
		doc, ok := v.DocumentOK()
		if !ok {
			return nil, codes.New(codes.TypeMismatch, "each element of the 'pipeline' array must be an object")
		}
		stages[i] = doc
	}
	return stages, nil
}

// toUpdate encodes an update: an update document, which must start with
// an operator (a replacement document is rejected, as the driver does
// before anything is sent), or the stages of a pipeline-style update (a
// slice or bson.RawArray of stage documents), returned as pipeline.
func toUpdate(v any) (doc bson.Raw, pipeline []bson.Raw, err error) {
	if _, raw := v.(bson.RawArray); raw || isArray(v) {
		if pipeline, err = toPipeline(v); err != nil {
			return nil, nil, err
		}
		if pipeline == nil {
			pipeline = []bson.Raw{}
		}
		return nil, pipeline, nil
	}
	d, err := toUpdateDoc(v)
	return d, nil, err
}

// toUpdateDoc encodes an update document and rejects a replacement.
func toUpdateDoc(v any) (bson.Raw, error) {
	d, err := toDoc(v, "update")
	if err != nil {
		return nil, err
	}
	first, err := d.IndexErr(0)
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "update document must have at least one element")
	}
	if k := bsoncore.Element(first).KeyBytes(); len(k) == 0 || k[0] != '$' {
		return nil, codes.New(codes.FailedToParse, "update document must contain key beginning with '$'")
	}
	return d, nil
}

// toReplacement encodes a replacement document and rejects an operator
// document, as the driver does.
func toReplacement(v any) (bson.Raw, error) {
	d, err := toDoc(v, "replacement")
	if err != nil {
		return nil, err
	}
	if first, err := d.IndexErr(0); err == nil && strings.HasPrefix(first.Key(), "$") {
		return nil, codes.New(codes.BadValue, "replacement document cannot contain keys beginning with '$'")
	}
	return d, nil
}

// ensureID returns doc with an _id: unchanged when it has one, otherwise
// with a new ObjectID prepended, as the driver does, so that the caller
// learns the id it will be stored under.
func ensureID(doc bson.Raw) (bson.Raw, bson.RawValue, error) {
	if id, err := doc.LookupErr("_id"); err == nil {
		return doc, id, nil
	}
	oid := bson.NewObjectID()
	id := bson.RawValue{Type: bson.TypeObjectID, Value: oid[:]}
	return engine.IDFirst(id, doc), id, nil
}

// goValue decodes a BSON value into the Go value the driver would hand
// out for it (bson.ObjectID, string, int32, bson.D, ...); nil for a missing
// value.
func goValue(v bson.RawValue) any {
	if v.Type == 0 {
		return nil
	}
	var out any
	if err := v.Unmarshal(&out); err != nil {
		return v
	}
	return out
}

// indexKeys decodes an index key document into an ordered bson.D.
func indexKeys(v any) (bson.D, error) {
	raw, err := toDoc(v, "index keys")
	if err != nil {
		return nil, err
	}
	var d bson.D
	if err := bson.Unmarshal(raw, &d); err != nil {
		return nil, &codes.Error{Code: codes.BadValue, Message: "cannot decode index keys: " + err.Error(), Cause: err}
	}
	if len(d) == 0 {
		return nil, codes.New(codes.CannotCreateIndex, "Index keys cannot be empty.")
	}
	return d, nil
}
