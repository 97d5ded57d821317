package server

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// create's options for capped and clustered collections, checked as mongod 7.0's create command and
// CollectionOptions check them.

// codeIDLValidator is the IDL parser's error for a field outside its declared bounds (51024).
const codeIDLValidator codes.Code = 51024

// maxCappedSize is the largest capped size mongod accepts (1 PB).
const maxCappedSize = 1 << 50

// readCapped reads capped, size and max into o. size is rounded up to a multiple of 256 and a max of 0 or less
// means none, as in mongod.
func readCapped(a *cmdArgs, o *concord.CollectionOptions) error {
	capped, err := a.boolean("capped", false)
	if err != nil {
		return err
	}
	size, err := a.int64("size", 0)
	if err != nil {
		return err
	}
	maxDocs, err := a.int64("max", 0)
	if err != nil {
		return err
	}
	if a.has("size") && size < 1 {
		return codes.New(codeIDLValidator, "BSON field 'size' value must be >= 1, actual value '%d'", size)
	}
	if size > maxCappedSize {
		return codes.New(codeIDLValidator, "BSON field 'size' value must be <= %d, actual value '%d'", int64(maxCappedSize), size)
	}
	if maxDocs >= 1<<31 {
		return codes.New(codeIDLValidator, "BSON field 'max' value must be < %d, actual value '%d'", int64(1<<31), maxDocs)
	}
	if a.has("clusteredIndex") {
		if capped {
			return codes.New(codes.InvalidOptions, "create option 'capped' is not supported with 'clusteredIndex'")
		}
		return nil
	}
	if capped && !a.has("size") {
		return codes.New(codes.InvalidOptions, "the 'size' field is required when 'capped' is true")
	}
	if !capped && (a.has("size") || a.has("max")) {
		return codes.New(codes.InvalidOptions, "the 'capped' field needs to be true when either the 'size' or 'max' fields are present")
	}
	if !capped {
		return nil
	}
	o.Capped = true
	o.Size = (size + 0xff) &^ 0xff
	if maxDocs > 0 {
		o.Max = maxDocs
	}
	return nil
}

// readClustered reads clusteredIndex: {key: {_id: 1}, unique: true, name?, v?} into o, as listCollections
// will show it ({v: 2, key, name, unique}; the name defaults to "_id_").
func readClustered(a *cmdArgs, o *concord.CollectionOptions) error {
	if !a.has("clusteredIndex") {
		return nil
	}
	spec, ok := a.raw("clusteredIndex").DocumentOK()
	if !ok {
		return wrongType(a.cmd, "clusteredIndex", a.raw("clusteredIndex"), "type 'object'")
	}
	name, unique, haveKey, haveUnique := "_id_", false, false, false
	elems, err := spec.Elements()
	if err != nil {
		return codes.New(codes.InvalidBSON, "invalid clusteredIndex: %v", err)
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "key":
			k, ok := v.DocumentOK()
			if !ok {
				return wrongType(a.cmd, "clusteredIndex.key", v, "type 'object'")
			}
			if !isIDKeyPattern(k) {
				return codes.New(codes.InvalidOptions, "The clusteredIndex option is only supported for key: {_id: 1}")
			}
			haveKey = true
		case "unique":
			if unique, err = rawBool(a.cmd, "clusteredIndex.unique", v); err != nil {
				return err
			}
			haveUnique = true
		case "name":
			s, ok := v.StringValueOK()
			if !ok {
				return wrongType(a.cmd, "clusteredIndex.name", v, "type 'string'")
			}
			name = s
		case "v":
			if n, ok := v.AsInt64OK(); !ok || n != 2 {
				return codes.New(codes.InvalidOptions, "Invalid clusteredIndex specification %s; cannot create a clustered index with a 'v' value other than 2", spec)
			}
		default:
			return codes.New(codeUnknownField, "BSON field 'clusteredIndex.%s' is an unknown field.", e.Key())
		}
	}
	if !haveKey {
		return codes.New(codeMissingField, "BSON field 'clusteredIndex.key' is missing but a required field")
	}
	if !haveUnique {
		return codes.New(codeMissingField, "BSON field 'clusteredIndex.unique' is missing but a required field")
	}
	if !unique {
		return codes.New(codes.InvalidOptions, "The clusteredIndex option requires unique: true")
	}
	raw, err := bson.Marshal(bson.D{{Key: "v", Value: int32(2)}, {Key: "key", Value: bson.D{{Key: "_id", Value: int32(1)}}},
		{Key: "name", Value: name}, {Key: "unique", Value: true}})
	if err != nil {
		return codes.New(codes.InternalError, "clusteredIndex: %v", err)
	}
	o.ClusteredIndex = raw
	return nil
}

// isIDKeyPattern reports whether k is {_id: 1}.
func isIDKeyPattern(k bson.Raw) bool {
	elems, err := k.Elements()
	if err != nil || len(elems) != 1 || elems[0].Key() != "_id" {
		return false
	}
	n, ok := elems[0].Value().AsFloat64OK()
	return ok && n == 1
}

// clusteredName returns the name of a clustered collection's index, "" for a collection that is not clustered.
func clusteredName(o concord.CollectionOptions) string {
	if o.ClusteredIndex == nil {
		return ""
	}
	name, _ := o.ClusteredIndex.Lookup("name").StringValueOK()
	return name
}
