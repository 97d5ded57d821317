package server

import (
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
)

// cmdArgs is a parsed view of a command body: its fields by name, read with the type rules of MongoDB's IDL
// parser (numbers accepted wherever a bool or an integer is expected). Field values alias the request body, which
// stays valid for the whole handler call. A command's few fields are kept in a small inline array searched in
// order, which costs no allocation per field; bodies with many fields are indexed by a map instead.
type cmdArgs struct {
	cmd string
	// list holds the fields while there are at most maxListedArgs; index replaces it beyond.
	list  []argField
	index map[string]bson.RawValue
	buf   [maxListedArgs]argField
	// docs1 backs docArray's result when the array holds one document, the usual write batch: the result
	// then costs no allocation of its own.
	docs1 [1]bson.Raw
}

// argField is one field of a command body, kept compact since a command has a dozen of them: elem is the
// whole element (type byte, key, NUL, value), aliasing the body, and keyLen the length of its key.
type argField struct {
	elem   []byte
	keyLen int
}

// key returns the field's name.
func (f *argField) key() []byte { return f.elem[1 : 1+f.keyLen] }

// value returns the field's value.
func (f *argField) value() bson.RawValue {
	return bson.RawValue{Type: bson.Type(f.elem[0]), Value: f.elem[2+f.keyLen:]}
}

// maxListedArgs is the most fields looked up by linear search; real commands have about ten.
const maxListedArgs = 12

// get returns the value of the field name.
func (a *cmdArgs) get(name string) (bson.RawValue, bool) {
	if a.index != nil {
		v, ok := a.index[name]
		return v, ok
	}
	for i := range a.list {
		if string(a.list[i].key()) == name {
			return a.list[i].value(), true
		}
	}
	return bson.RawValue{}, false
}

// add records a field, reporting false if it is a duplicate. elem is the whole element, k its key.
func (a *cmdArgs) add(elem, k []byte, v bson.RawValue) bool {
	if a.index == nil && len(a.list) < maxListedArgs {
		for i := range a.list {
			if string(a.list[i].key()) == string(k) {
				return false
			}
		}
		a.list = append(a.list, argField{elem: elem, keyLen: len(k)})
		return true
	}
	if a.index == nil {
		a.index = make(map[string]bson.RawValue, 2*maxListedArgs)
		for i := range a.list {
			a.index[string(a.list[i].key())] = a.list[i].value()
		}
		a.list = nil
	}
	if _, dup := a.index[string(k)]; dup {
		return false
	}
	a.index[string(k)] = v
	return true
}

// parseArgs indexes the fields of body. A malformed body is InvalidBSON; a duplicated field is an error as in
// mongod's IDL parser. The engine may keep slices of the body past the handler (a transaction's documents until
// commit): that is safe because every request owns its body and nothing reuses it (see Request).
func parseArgs(req *Request) (*cmdArgs, error) {
	body := req.Body
	a := &cmdArgs{cmd: req.Name}
	a.list = a.buf[:0]
	var dupErr error
	it := newElemIter(body)
	for {
		elem := it.rest
		k, v, ok := it.next()
		if !ok {
			break
		}
		elem = elem[:len(elem)-len(it.rest)]
		if dupErr == nil && !a.add(elem, k, v) {
			dupErr = codes.New(codeDuplicateField, "BSON field '%s.%s' is a duplicate field", a.cmd, k)
		}
	}
	if it.malformed() {
		_, err := body.Elements()
		return nil, codes.New(codes.InvalidBSON, "invalid command document: %v", err)
	}
	if dupErr != nil {
		return nil, dupErr
	}
	return a, nil
}

// codeDuplicateField (40413) is the IDL parser's duplicate-field error.
const codeDuplicateField codes.Code = 40413

// typeName is the name MongoDB's error messages give a BSON type.
func typeName(t bson.Type) string { return value.TypeName(t) }

// wrongType is the IDL parser's TypeMismatch error for field path (dotted, without the command name).
func wrongType(cmd, path string, v bson.RawValue, expected string) error {
	return codes.New(codes.TypeMismatch, "BSON field '%s.%s' is the wrong type '%s', expected %s",
		cmd, path, typeName(v.Type), expected)
}

// Expected-type phrases of the IDL parser's TypeMismatch messages.
const (
	expectNumber = "types '[long, int, decimal, double]'"
	expectBool   = "types '[bool, long, int, decimal, double]'"
)

// has reports whether the field is present (null counts as absent, as for optional IDL fields).
func (a *cmdArgs) has(name string) bool {
	v, ok := a.get(name)
	return ok && v.Type != bson.TypeNull && v.Type != bson.TypeUndefined
}

// raw returns the field's value, or a zero RawValue when absent.
func (a *cmdArgs) raw(name string) bson.RawValue {
	v, _ := a.get(name)
	return v
}

// boolean reads an optional bool field (numbers are true when non-zero).
func (a *cmdArgs) boolean(name string, def bool) (bool, error) {
	if !a.has(name) {
		return def, nil
	}
	return rawBool(a.cmd, name, a.raw(name))
}

// int64 reads an optional integral number field.
func (a *cmdArgs) int64(name string, def int64) (int64, error) {
	if !a.has(name) {
		return def, nil
	}
	return rawInt(a.cmd, name, a.raw(name))
}

// doc reads an optional document field; absent gives nil.
func (a *cmdArgs) doc(name string) (bson.Raw, error) {
	if !a.has(name) {
		return nil, nil
	}
	return rawDoc(a.cmd, name, a.raw(name))
}

// str reads an optional string field.
func (a *cmdArgs) str(name string) (string, error) {
	if !a.has(name) {
		return "", nil
	}
	v := a.raw(name)
	s, ok := v.StringValueOK()
	if !ok {
		return "", wrongType(a.cmd, name, v, "type 'string'")
	}
	return s, nil
}

// array reads an optional array field as its values.
func (a *cmdArgs) array(name string) ([]bson.RawValue, error) {
	if !a.has(name) {
		return nil, nil
	}
	return rawArray(a.cmd, name, a.raw(name))
}

// require returns the IDL parser's error (40414) when the command lacks the required field.
func (a *cmdArgs) require(field string) error {
	if a.has(field) {
		return nil
	}
	return codes.New(codeMissingField, "BSON field '%s.%s' is missing but a required field", a.cmd, field)
}

// writeBatch reads what insert, update and delete share: the required array of statement documents named field
// ("documents", "updates", "deletes"), its size limit, and ordered (default true).
func (a *cmdArgs) writeBatch(field string) (stmts []bson.Raw, ordered bool, err error) {
	if err := a.require(field); err != nil {
		return nil, false, err
	}
	if stmts, err = a.docArray(field); err != nil {
		return nil, false, err
	}
	if err := checkBatchSize(len(stmts)); err != nil {
		return nil, false, err
	}
	ordered, err = a.boolean("ordered", true)
	if err != nil {
		return nil, false, err
	}
	return stmts, ordered, nil
}

// docArray reads an optional array-of-documents field. It walks the array twice (count, then fill) instead of
// splitting it into values first, so that a write command's statements cost one allocation.
func (a *cmdArgs) docArray(name string) ([]bson.Raw, error) {
	if !a.has(name) {
		return docsOf(a.cmd, name, nil)
	}
	v := a.raw(name)
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, wrongType(a.cmd, name, v, "type 'array'")
	}
	n := 0
	it := newElemIter(arr)
	for {
		if _, _, ok := it.next(); !ok {
			break
		}
		n++
	}
	if it.malformed() {
		// rawArray reports it with the exact error of splitting the array.
		vals, err := rawArray(a.cmd, name, v)
		if err != nil {
			return nil, err
		}
		return docsOf(a.cmd, name, vals)
	}
	out := a.docs1[:]
	if n != 1 || a.docs1[0] != nil { // docs1 serves the first one-document result only
		out = make([]bson.Raw, n)
	}
	it = newElemIter(arr)
	for i := range out {
		_, e, _ := it.next()
		d, ok := e.DocumentOK()
		if !ok {
			return nil, wrongType(a.cmd, fmt.Sprintf("%s.%d", name, i), e, "type 'object'")
		}
		out[i] = d
	}
	return out, nil
}

// rawBool reads a bool field as the IDL parser does: numbers are true when non-zero, null is false.
func rawBool(cmd, path string, v bson.RawValue) (bool, error) {
	switch v.Type {
	case bson.TypeBoolean:
		return v.Boolean(), nil
	case bson.TypeInt32, bson.TypeInt64, bson.TypeDouble, bson.TypeDecimal128:
		f, ok := v.AsFloat64OK()
		if !ok {
			return false, wrongType(cmd, path, v, expectBool)
		}
		return f != 0, nil
	case bson.TypeNull, bson.TypeUndefined, 0:
		return false, nil
	}
	return false, wrongType(cmd, path, v, expectBool)
}

// rawInt reads an integral field from any numeric type; non-finite or out-of-range values are BadValue.
func rawInt(cmd, path string, v bson.RawValue) (int64, error) {
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), nil
	case bson.TypeInt64:
		return v.Int64(), nil
	case bson.TypeDouble:
		f := v.Double()
		if f != f || f > 9.2e18 || f < -9.2e18 {
			return 0, codes.New(codes.BadValue, "BSON field '%s.%s' value %v is out of range", cmd, path, f)
		}
		return int64(f), nil
	case bson.TypeDecimal128:
		f, ok := v.AsFloat64OK()
		if !ok || f != f || f > 9.2e18 || f < -9.2e18 {
			return 0, codes.New(codes.BadValue, "BSON field '%s.%s' is not a representable integer", cmd, path)
		}
		return int64(f), nil
	}
	return 0, wrongType(cmd, path, v, expectNumber)
}

// rawDoc reads a document field.
func rawDoc(cmd, path string, v bson.RawValue) (bson.Raw, error) {
	d, ok := v.DocumentOK()
	if !ok {
		return nil, wrongType(cmd, path, v, "type 'object'")
	}
	return d, nil
}

// rawArray reads an array field as its values.
func rawArray(cmd, path string, v bson.RawValue) ([]bson.RawValue, error) {
	arr, ok := v.ArrayOK()
	if !ok {
		return nil, wrongType(cmd, path, v, "type 'array'")
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "BSON field '%s.%s': %v", cmd, path, err)
	}
	return vals, nil
}

// docsOf checks that every element of an array field is a document.
func docsOf(cmd, path string, vals []bson.RawValue) ([]bson.Raw, error) {
	out := make([]bson.Raw, len(vals))
	for i, v := range vals {
		d, ok := v.DocumentOK()
		if !ok {
			return nil, wrongType(cmd, fmt.Sprintf("%s.%d", path, i), v, "type 'object'")
		}
		out[i] = d
	}
	return out, nil
}

// parseCollectionArgs is parseArgs, then collectionArg: how a command naming its collection in its first field
// starts.
func parseCollectionArgs(req *Request) (*cmdArgs, string, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, "", err
	}
	name, err := collectionArg(req, a)
	if err != nil {
		return nil, "", err
	}
	return a, name, nil
}

// collectionArg reads the collection name carried as the value of the command's first field, as find, insert and
// most collection commands do.
func collectionArg(req *Request, a *cmdArgs) (string, error) {
	v := a.raw(req.Name)
	name, ok := internString(v)
	if !ok {
		return "", codes.New(codes.InvalidNamespace, "collection name has invalid type %s", typeName(v.Type))
	}
	if err := checkCollName(req.DB, name); err != nil {
		return "", err
	}
	return name, nil
}

// checkCollName applies mongod's namespace rules to a collection name.
func checkCollName(db, name string) error {
	if name == "" || strings.ContainsRune(name, 0) || strings.HasPrefix(name, ".") || strings.Contains(name, "$") {
		return codes.New(codes.InvalidNamespace, "Invalid namespace specified '%s.%s'", db, name)
	}
	return nil
}

// ns is the "db.coll" namespace string replies and profile entries carry.
func ns(db, coll string) string { return db + "." + coll }

// commandError converts an error from the concord API into the error a handler returns (asError), keeping nil.
func commandError(err error) error {
	if err == nil {
		return nil
	}
	return asError(err)
}

// failsWholeCommand reports whether a statement's error fails the whole write command (ok: 0) instead of becoming
// a write error: interruptions always do (mongod's handleError rethrows them), and inside a transaction so do the
// transient errors that tell the client to retry the transaction.
func failsWholeCommand(e *codes.Error, inTxn bool) bool {
	switch e.Code {
	case codes.MaxTimeMSExpired, codes.Interrupted, codes.InterruptedAtShutdown, codes.ClientDisconnect,
		codes.ExceededTimeLimit, codes.TransactionExceededLifetimeLimitSeconds, codes.LockTimeout,
		codes.InternalError:
		return true
	}
	if e.HasLabel(codes.LabelTransientTransaction) {
		return true
	}
	return inTxn && (e.Code.Transient() || e.Code == codes.NoSuchTransaction)
}

// writeErrorDoc shapes a per-statement failure as mongod's WriteError::serialize does: index, code, errmsg, then
// the error's extra info (keyPattern/keyValue for DuplicateKey); no codeName.
func writeErrorDoc(index int, e *codes.Error) bson.D {
	d := bson.D{{Key: "index", Value: int32(index)}, {Key: "code", Value: int32(e.Code)}, {Key: "errmsg", Value: e.Message}}
	if e.KeyPattern != nil || e.KeyValue != nil {
		d = append(d, bson.E{Key: "keyPattern", Value: nonNilD(e.KeyPattern)}, bson.E{Key: "keyValue", Value: nonNilD(e.KeyValue)})
	}
	if e.ErrInfo != nil {
		d = append(d, bson.E{Key: "errInfo", Value: e.ErrInfo})
	}
	return d
}

// nonNilD returns d, or an empty document for nil, so that a field is never encoded as null.
func nonNilD(d bson.D) bson.D {
	if d == nil {
		return bson.D{}
	}
	return d
}
