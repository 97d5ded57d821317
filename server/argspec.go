package server

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// argType is the IDL type of a command field, which decides the BSON types accepted and the message of the
// TypeMismatch (14) refusing others.
type argType uint8

const (
	// argAny accepts every type (IDL "any", or a field the handler reads itself).
	argAny argType = iota
	// argObject is IDL "object": a document.
	argObject
	// argQueryObject is find's object_owned_nonempty_serialize (filter, sort, projection...), whose parser has
	// its own message: "Expected field filterto be of type object" (sic, mongod 7.0).
	argQueryObject
	// argArray is an array.
	argArray
	// argString is a string.
	argString
	// argBool is IDL "bool": a boolean only.
	argBool
	// argOptionalBool is IDL "optionalBool": a boolean only, with OptionalBool's own message.
	argOptionalBool
	// argSafeBool is IDL "safeBool": a boolean or a number.
	argSafeBool
	// argSafeInt is IDL "safeInt64" / "safeInt": any number.
	argSafeInt
	// argHint is IDL "indexHint": an index name or a key pattern.
	argHint
	// argUpdate is update_modification: an update document or a pipeline.
	argUpdate
)

// fieldSpec is one field of a command: its name, type, whether it must be present, and the least value of a
// numeric field when hasMin (IDL "validator: { gte: n }").
type fieldSpec struct {
	name     string
	typ      argType
	required bool
	hasMin   bool
	min      int64
}

// argSpec describes the fields of one command as mongod's IDL declares them: anything else that is not a
// generic argument is an unknown field. The command's first field (its name, usually carrying the collection)
// is read by the handler and not described here.
type argSpec []fieldSpec

// Helpers that keep the tables below one line per field.
func field(name string, t argType) fieldSpec    { return fieldSpec{name: name, typ: t} }
func required(name string, t argType) fieldSpec { return fieldSpec{name: name, typ: t, required: true} }
func nonNegative(name string) fieldSpec {
	return fieldSpec{name: name, typ: argSafeInt, hasMin: true}
}

// lookup returns the description of the field name.
func (sp argSpec) lookup(name []byte) (*fieldSpec, bool) {
	for i := range sp {
		if sp[i].name == string(name) {
			return &sp[i], true
		}
	}
	return nil, false
}

// check validates the command body against the spec as mongod's IDL parser does, field by field in document
// order: a described field of the wrong type is TypeMismatch (14), a numeric field below its minimum 51024, a
// field neither described nor generic IDLUnknownField (40415); then a missing required field is 40414. It
// walks the body without allocating when the command is valid.
func (sp argSpec) check(cmd string, body bson.Raw) error {
	it := newElemIter(body)
	it.next() // the command's own field
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		f, known := sp.lookup(k)
		if !known {
			if genericFields[string(k)] {
				continue
			}
			return codes.New(codeUnknownField, "BSON field '%s.%s' is an unknown field.", cmd, k)
		}
		if err := f.checkValue(cmd, v); err != nil {
			return err
		}
	}
	for i := range sp {
		if !sp[i].required {
			continue
		}
		if _, err := body.LookupErr(sp[i].name); err != nil {
			return codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", cmd, sp[i].name)
		}
	}
	return nil
}

// checkValue checks one value against the field's type and minimum.
func (f *fieldSpec) checkValue(cmd string, v bson.RawValue) error {
	switch f.typ {
	case argAny:
		return nil
	case argObject:
		if v.Type != bson.TypeEmbeddedDocument {
			return wrongType(cmd, f.name, v, "type 'object'")
		}
	case argQueryObject:
		if v.Type != bson.TypeEmbeddedDocument {
			return codes.New(codes.TypeMismatch, "Expected field %sto be of type object", f.name)
		}
	case argArray:
		if v.Type != bson.TypeArray {
			return wrongType(cmd, f.name, v, "type 'array'")
		}
	case argString:
		if v.Type != bson.TypeString {
			return wrongType(cmd, f.name, v, "type 'string'")
		}
	case argBool:
		if v.Type != bson.TypeBoolean {
			return wrongType(cmd, f.name, v, "type 'bool'")
		}
	case argOptionalBool:
		if v.Type != bson.TypeBoolean {
			return codes.New(codes.TypeMismatch, "Field '%s' should be a boolean value, but found: %s", f.name, typeName(v.Type))
		}
	case argSafeBool:
		if v.Type != bson.TypeBoolean && !isNumber(v.Type) {
			return wrongType(cmd, f.name, v, expectBool)
		}
	case argSafeInt:
		n, err := rawInt(cmd, f.name, v)
		if err != nil {
			return err
		}
		if f.hasMin && n < f.min {
			return codes.New(codeValueOutOfRange, "BSON field '%s' value must be >= %d, actual value '%d'", f.name, f.min, n)
		}
	case argHint:
		if v.Type != bson.TypeString && v.Type != bson.TypeEmbeddedDocument {
			return wrongType(cmd, f.name, v, "types '[string, object]'")
		}
	case argUpdate:
		if v.Type != bson.TypeEmbeddedDocument && v.Type != bson.TypeArray {
			return codes.New(codes.FailedToParse, "Update argument must be either an object or an array")
		}
	}
	return nil
}

// isNumber reports whether t is one of BSON's numeric types.
func isNumber(t bson.Type) bool {
	return t == bson.TypeInt32 || t == bson.TypeInt64 || t == bson.TypeDouble || t == bson.TypeDecimal128
}

// checkCommandArgs validates the body of the command req against its entry of commandArgs, if it has one.
func checkCommandArgs(req *Request) error {
	sp, ok := commandArgs[req.Name]
	if !ok {
		return nil
	}
	return sp.check(req.Name, req.Body)
}

// commandArgs are the field tables of the commands whose arguments are validated before their handler runs,
// taken from mongod 7.0's IDL files (src/mongo/db/query/find_command.idl, aggregate_command.idl,
// count_command.idl, distinct_command.idl, src/mongo/db/ops/write_ops.idl, create_indexes.idl) and the admin
// commands' parsers. `let`, `hint` and `collation` are listed wherever mongod accepts them, whether or not the
// handler applies them yet.
var commandArgs = map[string]argSpec{
	"find":          findArgs,
	"aggregate":     aggregateArgs,
	"insert":        insertArgs,
	"update":        updateArgs,
	"delete":        deleteArgs,
	"findAndModify": findAndModifyArgs,
	"findandmodify": findAndModifyArgs,
	"count":         countArgs,
	"distinct":      distinctArgs,
	"createIndexes": createIndexesArgs,

	"validate":                       validateArgs,
	"compact":                        compactArgs,
	"dataSize":                       dataSizeArgs,
	"fsync":                          fsyncArgs,
	"fsyncUnlock":                    {},
	"top":                            {},
	"connPoolStats":                  {},
	"logRotate":                      {},
	"setFeatureCompatibilityVersion": setFCVArgs,
}

var findArgs = argSpec{
	field("filter", argQueryObject), field("projection", argQueryObject), field("sort", argQueryObject),
	field("hint", argHint), field("collation", argQueryObject),
	nonNegative("skip"), nonNegative("limit"), nonNegative("batchSize"), nonNegative("ntoreturn"),
	field("singleBatch", argOptionalBool), field("allowDiskUse", argOptionalBool),
	field("min", argQueryObject), field("max", argQueryObject),
	field("returnKey", argOptionalBool), field("showRecordId", argOptionalBool),
	field("$queryOptions", argQueryObject), field("tailable", argOptionalBool), field("oplogReplay", argAny),
	field("noCursorTimeout", argOptionalBool), field("awaitData", argOptionalBool),
	field("allowPartialResults", argOptionalBool), field("let", argObject), field("options", argObject),
	field("term", argSafeInt), field("readOnce", argOptionalBool),
	field("allowSpeculativeMajorityRead", argOptionalBool), field("$_requestResumeToken", argOptionalBool),
	field("$_resumeAfter", argQueryObject), field("maxTimeMS", argAny), field("readConcern", argObject),
	field("runtimeConstants", argObject), field("collectionUUID", argAny), field("includeQueryStatsMetrics", argOptionalBool),
}

var aggregateArgs = argSpec{
	required("pipeline", argArray), field("explain", argOptionalBool), field("allowDiskUse", argOptionalBool),
	field("cursor", argObject), field("maxTimeMS", argAny), field("bypassDocumentValidation", argOptionalBool),
	field("readConcern", argObject), field("collation", argObject), field("hint", argHint),
	field("writeConcern", argObject), field("let", argObject), field("needsMerge", argOptionalBool),
	field("fromMongos", argOptionalBool), field("fromRouter", argOptionalBool),
	field("$_requestReshardingResumeToken", argOptionalBool), field("isMapReduceCommand", argOptionalBool),
	field("collectionUUID", argAny), field("exchange", argObject), field("runtimeConstants", argObject),
	field("encryptionInformation", argObject), field("$_generateV2ResumeTokens", argOptionalBool),
	field("includeQueryStatsMetrics", argOptionalBool),
}

// writeCommandBase are the fields insert, update and delete share (WriteCommandRequestBase).
var writeCommandBase = []fieldSpec{
	field("bypassDocumentValidation", argSafeBool), field("ordered", argBool), field("stmtId", argAny),
	field("stmtIds", argArray), field("isTimeseriesNamespace", argOptionalBool), field("collectionUUID", argAny),
	field("encryptionInformation", argObject),
}

var insertArgs = append(argSpec{required("documents", argArray)}, writeCommandBase...)

var updateArgs = append(argSpec{required("updates", argArray), field("let", argObject),
	field("runtimeConstants", argObject)}, writeCommandBase...)

var deleteArgs = append(argSpec{required("deletes", argArray), field("let", argObject),
	field("runtimeConstants", argObject)}, writeCommandBase...)

var findAndModifyArgs = argSpec{
	field("query", argObject), field("fields", argObject), field("sort", argObject), field("batchSize", argSafeInt),
	field("remove", argSafeBool), field("update", argUpdate), field("new", argSafeBool), field("upsert", argSafeBool),
	field("bypassDocumentValidation", argSafeBool), field("writeConcern", argObject), field("maxTimeMS", argAny),
	field("collation", argObject), field("arrayFilters", argArray), field("hint", argHint), field("let", argObject),
	field("runtimeConstants", argObject), field("encryptionInformation", argObject), field("stmtId", argAny),
}

var countArgs = argSpec{
	field("query", argObject), field("limit", argSafeInt), field("skip", argSafeInt), field("hint", argHint),
	field("collation", argObject), field("readConcern", argObject), field("maxTimeMS", argAny),
	field("fields", argObject), field("let", argObject), field("mirrored", argOptionalBool),
	field("sampleId", argAny), field("encryptionInformation", argObject),
}

var distinctArgs = argSpec{
	required("key", argString), field("query", argObject), field("collation", argObject), field("hint", argHint),
	field("let", argObject), field("readConcern", argObject), field("mirrored", argOptionalBool),
	field("sampleId", argAny), field("encryptionInformation", argObject),
}

var createIndexesArgs = argSpec{
	required("indexes", argArray), field("commitQuorum", argAny), field("ignoreUnknownIndexOptions", argSafeBool),
	field("isTimeseriesNamespace", argOptionalBool), field("collectionUUID", argAny),
	field("returnOnStart", argOptionalBool),
}

var validateArgs = argSpec{
	field("full", argSafeBool), field("repair", argSafeBool), field("metadata", argSafeBool),
	field("checkBSONConformance", argSafeBool), field("background", argSafeBool), field("enforceFastCount", argSafeBool),
	field("scandata", argAny),
}

var compactArgs = argSpec{field("force", argSafeBool), field("freeSpaceTargetMB", argSafeInt), field("dryRun", argSafeBool)}

var dataSizeArgs = argSpec{
	field("keyPattern", argObject), field("min", argObject), field("max", argObject), field("estimate", argSafeBool),
}

var fsyncArgs = argSpec{field("lock", argSafeBool), field("async", argSafeBool), field("forBackup", argSafeBool)}

var setFCVArgs = argSpec{field("confirm", argSafeBool), field("fromConfigServer", argSafeBool), field("phase", argString),
	field("changeTimestamp", argAny), field("dryRun", argSafeBool)}

// writeConcernArgs are the fields of a write concern (mongod's WriteConcernIdl, parsed under the name
// "WriteConcernOptions"). The struct is not strict: other fields are ignored, as by mongod.
var writeConcernArgs = argSpec{
	field("j", argSafeBool), field("fsync", argSafeBool), field("wtimeout", argAny), field("provenance", argString),
}

// maxReplSetMembers bounds a numeric w (mongod's ReplSetConfig::kMaxMembers).
const maxReplSetMembers = 50

// checkWriteConcern validates a non-empty writeConcern document as WriteConcernOptions::parse does: w a
// number in [0, 50], a string or a non-empty document of numbers (FailedToParse otherwise), j and fsync
// booleans or numbers and not both true. An empty document means the default.
func checkWriteConcern(wc bson.Raw) error {
	it := newElemIter(wc)
	j, fsync := false, false
	for {
		k, v, ok := it.next()
		if !ok {
			break
		}
		if string(k) == "w" {
			if err := checkWriteConcernW(v); err != nil {
				return err
			}
			continue
		}
		f, known := writeConcernArgs.lookup(k)
		if !known {
			continue
		}
		if err := f.checkValue("WriteConcernOptions", v); err != nil {
			return err
		}
		if f.typ == argSafeBool {
			b, _ := rawBool("WriteConcernOptions", f.name, v)
			if f.name == "j" {
				j = b
			} else {
				fsync = b
			}
		}
	}
	if j && fsync {
		return codes.New(codes.FailedToParse, "fsync and j options cannot be used together")
	}
	return nil
}

// checkWriteConcernW validates writeConcern.w (mongod's deserializeWriteConcernW).
func checkWriteConcernW(v bson.RawValue) error {
	switch {
	case isNumber(v.Type):
		n, _ := v.AsInt64OK()
		if f, ok := v.DoubleOK(); ok {
			n = int64(f)
		}
		if n < 0 || n > maxReplSetMembers {
			return codes.New(codes.FailedToParse, "w has to be a non-negative number and not greater than %d; found: %d", maxReplSetMembers, n)
		}
	case v.Type == bson.TypeString, v.Type == bson.TypeNull, v.Type == bson.TypeUndefined:
	case v.Type == bson.TypeEmbeddedDocument:
		tags := v.Document()
		elems, _ := tags.Elements()
		if len(elems) == 0 {
			return codes.New(codes.FailedToParse, "tagged write concern requires tags")
		}
		for _, e := range elems {
			if !isNumber(e.Value().Type) {
				return codes.New(codes.FailedToParse, "tags must be a single level document with only number values; found: %s", formatCommand(bson.Raw(mustElemDoc(e))))
			}
		}
	default:
		return codes.New(codes.FailedToParse, "w has to be a number, string, or object; found: %s", typeName(v.Type))
	}
	return nil
}

// mustElemDoc wraps one element in a document, for messages that print it.
func mustElemDoc(e bson.RawElement) []byte {
	n := 4 + len(e) + 1
	out := make([]byte, 0, n)
	out = append(out, byte(n), byte(n>>8), byte(n>>16), byte(n>>24))
	out = append(out, e...)
	return append(out, 0)
}

// readConcernFields are the fields a readConcern document may carry (mongod 7.0's ReadConcernArgs::parse).
var readConcernFields = map[string]bson.Type{
	"level": bson.TypeString, "afterOpTime": bson.TypeEmbeddedDocument, "afterClusterTime": bson.TypeTimestamp,
	"atClusterTime": bson.TypeTimestamp, "provenance": bson.TypeString,
}

// checkReadConcernFields refuses a readConcern field mongod does not know (InvalidOptions) or of the wrong type
// (TypeMismatch, with bsonExtractTypedField's message).
func checkReadConcernFields(rc bson.Raw) error {
	it := newElemIter(rc)
	for {
		k, v, ok := it.next()
		if !ok {
			return nil
		}
		want, known := readConcernFields[string(k)]
		if !known {
			return codes.New(codes.InvalidOptions, "Unrecognized option in readConcern: %s", k)
		}
		if v.Type != want {
			return codes.New(codes.TypeMismatch, "\"%s\" had the wrong type. Expected %s, found %s", k, typeName(want), typeName(v.Type))
		}
	}
}
