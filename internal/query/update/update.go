package update

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Update is a compiled update: either an operator document ({$set: ...,
// $inc: ...}) or a replacement document. It is immutable after
// Compile and safe for concurrent use by many goroutines.
//
// Operator updates are compiled into a tree keyed by path component, the
// shape MongoDB 5+ uses: at every level children are applied in
// lexicographic order (numeric names in numeric order), which is the order in
// which new fields are appended to a document.
type Update struct {
	// replacement is the replacement document; nil for an operator update.
	replacement bson.Raw
	root        *node
	// renames lists the $rename operations; Apply resolves their source
	// values before walking the tree.
	renames []*operation
	// filters holds the compiled arrayFilters by identifier.
	filters map[string]matcher
	// idPath is the path of the first operation that starts at _id ("_id",
	// "_id.x"), or "" when none does: Apply checks that _id did not change
	// only when it could have, and names this path in the error.
	idPath string
}

// ApplyOptions parameterises one Apply call.
type ApplyOptions struct {
	// Position is the array index the query matched, substituted for the
	// positional "$" path component; -1 when the query matched no array.
	Position int
	// Insert is set when doc is the seed of an upsert: $setOnInsert applies
	// and _id is moved to the front of the result.
	Insert bool
	// Now is the time $currentDate stores; the zero Time means time.Now().
	Now time.Time
}

// kind names one update operator.
type kind int

// The update operators, by kind.
const (
	kindSet kind = iota
	kindUnset
	kindInc
	kindMul
	kindMin
	kindMax
	kindRename       // at the destination path
	kindRenameSource // placeholder at the source path of a $rename
	kindSetOnInsert
	kindCurrentDate
	kindPush
	kindAddToSet
	kindPop
	kindPull
	kindPullAll
)

// operators maps operator names to kinds.
var operators = map[string]kind{
	"$set":         kindSet,
	"$unset":       kindUnset,
	"$inc":         kindInc,
	"$mul":         kindMul,
	"$min":         kindMin,
	"$max":         kindMax,
	"$rename":      kindRename,
	"$setOnInsert": kindSetOnInsert,
	"$currentDate": kindCurrentDate,
	"$push":        kindPush,
	"$addToSet":    kindAddToSet,
	"$pop":         kindPop,
	"$pull":        kindPull,
	"$pullAll":     kindPullAll,
}

// operation is one leaf operation of the update tree.
type operation struct {
	kind kind
	name string // "$set", for messages
	path string // the dotted path as written
	// value is the operator's argument for path; path and value format
	// like MongoDB's "{a: 1}" in messages.
	value bson.RawValue

	// $currentDate: store a timestamp instead of a date.
	timestamp bool
	// $rename: the other end of the rename (source for the destination op
	// and destination for the placeholder) and the peer op.
	renameFrom string
	peer       *operation
	// $push / $addToSet.
	push *pushSpec
	// $pull: the element matcher.
	pull *pullMatcher
	// $pullAll values, $addToSet values.
	values []bson.RawValue
	// $pop: -1 removes the first element, 1 the last.
	popFirst bool
}

// node is a node of the update tree. Exactly one of op and children
// is set. arrayNode marks nodes whose children are "$[]" / "$[<id>]"
// components: they apply to every (matching) element of an array.
type node struct {
	op        *operation
	children  map[string]*node
	order     []string // children keys, in application order
	arrayNode bool
}

// Compile parses an update document: an operator document such as
// {$set: {a: 1}} or a replacement document. arrayFilters are the filters for
// "$[<identifier>]" path components. Errors are *codes.Error with MongoDB's
// codes: FailedToParse for unknown operators and malformed operators,
// ConflictingUpdateOperators for two operations on one path,
// DollarPrefixedFieldName for $-fields in a replacement.
func Compile(update bson.Raw, arrayFilters []bson.Raw) (*Update, error) {
	if err := validate(update, "update"); err != nil {
		return nil, err
	}
	first, ok := firstKey(update)
	if !ok || !strings.HasPrefix(first, "$") {
		return compileReplacement(update, arrayFilters)
	}
	u := &Update{root: &node{children: map[string]*node{}}}
	filters, err := compileArrayFilters(arrayFilters)
	if err != nil {
		return nil, err
	}
	u.filters = filters
	used := map[string]bool{}
	elems, err := update.Elements()
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "invalid update document: %v", err)
	}
	for _, e := range elems {
		name := e.Key()
		kind, known := operators[name]
		if !known {
			return nil, codes.New(codes.FailedToParse, "Unknown modifier: %s. Expected a valid update modifier or pipeline-style update specified as an array", name)
		}
		arg := e.Value()
		if arg.Type != bson.TypeEmbeddedDocument {
			return nil, codes.New(codes.FailedToParse, "Modifiers operate on fields but we found type %s instead. For example: {$mod: {<field>: ...}} not {%s}",
				value.TypeName(arg.Type), formatElement(name, arg))
		}
		fields, err := arg.Document().Elements()
		if err != nil {
			return nil, codes.New(codes.FailedToParse, "invalid update document: %v", err)
		}
		for _, f := range fields {
			op, err := parseOp(kind, name, f.Key(), f.Value())
			if err != nil {
				return nil, err
			}
			if kind == kindRename {
				src := &operation{kind: kindRenameSource, name: name, path: op.renameFrom, renameFrom: op.path, peer: op}
				op.peer = src
				// MongoDB adds the source first (as a conflict placeholder),
				// then the destination.
				if err := u.add(src, used); err != nil {
					return nil, err
				}
				if err := u.add(op, used); err != nil {
					return nil, err
				}
				u.renames = append(u.renames, op)
				continue
			}
			if err := u.add(op, used); err != nil {
				return nil, err
			}
		}
	}
	for id := range u.filters {
		if !used[id] {
			return nil, codes.New(codes.FailedToParse, "The array filter for identifier '%s' was not used in the update %s", id, formatDoc(update))
		}
	}
	u.root.sortChildren()
	return u, nil
}

// IsReplacement reports whether u replaces whole documents rather than
// applying operators.
func (u *Update) IsReplacement() bool { return u.replacement != nil }

// Apply applies u to doc and returns the new document and whether it differs
// from doc (MongoDB's nModified: setting a field to its current value, or
// removing a missing one, is not a modification). The returned document is
// newly allocated unless modified is false, in which case it may be doc
// itself. On error nothing is changed: newDoc is nil and err is a
// *codes.Error (ImmutableField when _id would change, TypeMismatch,
// PathNotViable, BadValue, ... as MongoDB reports them).
func (u *Update) Apply(doc bson.Raw, opts ApplyOptions) (newDoc bson.Raw, modified bool, err error) {
	if err := validate(doc, "document"); err != nil {
		return nil, false, err
	}
	if len(doc) == 0 {
		doc = bson.Raw{5, 0, 0, 0, 0}
	}
	var out []byte
	if u.replacement != nil {
		out, err = u.applyReplacement(doc)
	} else {
		out, err = u.applyOperators(doc, opts)
	}
	if err != nil {
		return nil, false, err
	}
	if opts.Insert {
		out = idFirst(out)
	}
	if len(out) > maxDocSize {
		return nil, false, codes.New(17419, "Resulting document after update is larger than %d", maxDocSize)
	}
	if bytes.Equal(out, doc) {
		return doc, false, nil
	}
	return bson.Raw(out), true, nil
}

// maxDocSize is MongoDB's BSONObjMaxUserSize.
const maxDocSize = 16 * 1024 * 1024

// applyOperators runs the operator tree over doc.
func (u *Update) applyOperators(doc bson.Raw, opts ApplyOptions) ([]byte, error) {
	a := &applier{u: u, opts: opts, doc: doc}
	if opts.Now.IsZero() {
		a.opts.Now = time.Now()
	}
	if len(u.renames) > 0 {
		if err := a.resolveRenames(); err != nil {
			return nil, err
		}
	}
	out, err := a.applyDocument(u.root, doc, "")
	if err != nil {
		return nil, err
	}
	if u.idPath != "" {
		if err := checkID(doc, out, u.idPath); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkID enforces that _id, when the original document had one, is
// byte-for-byte unchanged, and that a new _id is not an array.
func checkID(before, after []byte, path string) error {
	oldID, hadID := lookupTop(before, "_id")
	newID, hasID := lookupTop(after, "_id")
	if hadID && (!hasID || oldID.Type != newID.Type || !bytes.Equal(oldID.Value, newID.Value)) {
		return codes.New(codes.ImmutableField, "Performing an update on the path '%s' would modify the immutable field '_id'", path)
	}
	if hasID && newID.Type == bson.TypeArray {
		return codes.New(codes.InvalidIdField, "The '_id' value cannot be of type array")
	}
	return nil
}

// add inserts op into the tree, reporting ConflictingUpdateOperators when
// its path equals, or is a prefix of, a path already present (and vice
// versa), as MongoDB's UpdateObjectNode::parseAndMerge does.
func (u *Update) add(op *operation, usedFilters map[string]bool) error {
	parts, err := parsePath(op.path, u.filters, usedFilters)
	if err != nil {
		return err
	}
	if parts[0] == "_id" && u.idPath == "" {
		u.idPath = op.path
	}
	conflict := func(i int) error {
		return codes.New(codes.ConflictingUpdateOperators, "Updating the path '%s' would create a conflict at '%s'",
			op.path, strings.Join(parts[:i+1], "."))
	}
	n := u.root
	for i, p := range parts {
		isArrayPart := strings.HasPrefix(p, "$[")
		if len(n.children) > 0 && n.arrayNode != isArrayPart {
			return conflict(i - 1)
		}
		n.arrayNode = isArrayPart
		child := n.children[p]
		last := i == len(parts)-1
		if child == nil {
			child = &node{}
			if last {
				child.op = op
			} else {
				child.children = map[string]*node{}
			}
			n.children[p] = child
			n.order = append(n.order, p)
			n = child
			continue
		}
		if last || child.op != nil {
			return conflict(i)
		}
		n = child
	}
	return nil
}

// sortChildren orders every node's children as MongoDB 5+ applies them.
func (n *node) sortChildren() {
	if n.op != nil {
		return
	}
	sortKeys(n.order)
	for _, c := range n.children {
		c.sortChildren()
	}
}

// sortKeys sorts field names lexicographically, except that two
// numeric names compare as numbers (MongoDB's cmpPathsAndArrayIndexes).
func sortKeys(keys []string) {
	less := func(a, b string) bool {
		ia, ib := arrayIndex(a), arrayIndex(b)
		if ia >= 0 && ib >= 0 {
			return ia < ib
		}
		return a < b
	}
	// Insertion sort: operator documents are small.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && less(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
}

// arrayIndex parses a path component that can index an array: digits
// only, no sign and no leading zero. It returns -1 otherwise.
func arrayIndex(s string) int {
	if s == "" || len(s) > 9 || (len(s) > 1 && s[0] == '0') {
		return -1
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// parsePath splits and validates an update path: no empty parts, at
// most one "$", no positional operator first, "$[<id>]" identifiers must
// have an array filter (and are recorded as used).
func parsePath(path string, filters map[string]matcher, used map[string]bool) ([]string, error) {
	if path == "" {
		return nil, codes.New(emptyFieldName, "An empty update path is not valid.")
	}
	parts := strings.Split(path, ".")
	positional := 0
	for i, p := range parts {
		if p == "" {
			return nil, codes.New(emptyFieldName, "The update path '%s' contains an empty field name, which is not allowed.", path)
		}
		if p == "$" {
			positional++
			if i == 0 {
				return nil, codes.New(codes.BadValue, "Cannot have positional (i.e. '$') element in the first component in path '%s'", path)
			}
			if positional > 1 {
				return nil, codes.New(codes.BadValue, "Too many positional (i.e. '$') elements found in path '%s'", path)
			}
			continue
		}
		if strings.HasPrefix(p, "$[") && strings.HasSuffix(p, "]") {
			if i == 0 {
				return nil, codes.New(codes.BadValue, "Cannot have array filter identifier (i.e. '$[<id>]') element in the first component in path '%s'", path)
			}
			id := p[2 : len(p)-1]
			if id == "" {
				continue
			}
			if _, ok := filters[id]; !ok {
				return nil, codes.New(codes.BadValue, "No array filter found for identifier '%s' in path '%s'", id, path)
			}
			used[id] = true
			continue
		}
		if strings.HasPrefix(p, "$") {
			return nil, codes.New(codes.DollarPrefixedFieldName, "The dollar ($) prefixed field '%s' in '%s' is not valid for storage.", p, path)
		}
	}
	return parts, nil
}

// emptyFieldName is MongoDB's EmptyFieldName (56).
const emptyFieldName = codes.EmptyFieldName

// compileReplacement compiles a replacement document.
func compileReplacement(update bson.Raw, arrayFilters []bson.Raw) (*Update, error) {
	if len(arrayFilters) > 0 {
		return nil, codes.New(codes.FailedToParse, "arrayFilters may not be specified for replacement-style updates")
	}
	elems, err := update.Elements()
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "invalid update document: %v", err)
	}
	for _, e := range elems {
		if k := e.Key(); strings.HasPrefix(k, "$") {
			return nil, codes.New(codes.DollarPrefixedFieldName,
				"The dollar ($) prefixed field '%s' in '%s' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.", k, k)
		}
	}
	if len(update) == 0 {
		update = emptyDoc
	}
	return &Update{replacement: update}, nil
}

// applyReplacement returns the replacement, keeping doc's _id: it is put in
// front when the replacement has none, and a replacement _id must equal it.
func (u *Update) applyReplacement(doc bson.Raw) ([]byte, error) {
	oldID, hadID := lookupTop(doc, "_id")
	newID, hasID := lookupTop(u.replacement, "_id")
	if hasID && newID.Type == bson.TypeArray {
		return nil, codes.New(codes.InvalidIdField, "The '_id' value cannot be of type array")
	}
	if !hadID {
		return append([]byte(nil), u.replacement...), nil
	}
	if hasID {
		if oldID.Type != newID.Type || !bytes.Equal(oldID.Value, newID.Value) {
			return nil, codes.New(codes.ImmutableField, "After applying the update, the (immutable) field '_id' was found to have been altered to %s",
				formatElement("_id", newID))
		}
		return append([]byte(nil), u.replacement...), nil
	}
	out := make([]byte, 4, len(u.replacement)+len(oldID.Value)+8)
	out = appendElem(out, "_id", oldID)
	out = append(out, u.replacement[4:]...)
	return finishDoc(out), nil
}

// emptyDoc is the empty BSON document.
var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// finishDoc writes the length prefix of a document built as
// 4 placeholder bytes + elements + terminating zero.
func finishDoc(b []byte) []byte {
	n := len(b)
	b[0], b[1], b[2], b[3] = byte(n), byte(n>>8), byte(n>>16), byte(n>>24)
	return b
}

// validate checks that b is a well-formed BSON document, recursively,
// so that the rest of the package can use the driver's accessors (which
// panic on malformed bytes) safely. bsoncore's own Validate does not look
// inside embedded documents. An empty b stands for the empty document.
func validate(b bson.Raw, what string) error {
	if len(b) == 0 {
		return nil
	}
	if err := validateDoc(b, 0); err != nil {
		return codes.New(codes.InvalidBSON, "invalid BSON %s: %v", what, err)
	}
	return nil
}

// maxDepth is the deepest nesting of documents accepted, as
// MongoDB's BSONDepth limit.
const maxDepth = 200

// validateDoc validates one document or array and everything in it.
func validateDoc(b []byte, depth int) error {
	if depth > maxDepth {
		return errors.New("document nested too deeply")
	}
	if len(b) < 5 {
		return errors.New("document too short")
	}
	if n := int(int32(binary.LittleEndian.Uint32(b))); n != len(b) || b[n-1] != 0 {
		return errors.New("bad document length or terminator")
	}
	rem := b[4 : len(b)-1]
	for len(rem) > 0 {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			return errors.New("truncated element")
		}
		if err := e.Validate(); err != nil {
			return err
		}
		v := e.Value()
		switch v.Type {
		case bsoncore.TypeEmbeddedDocument, bsoncore.TypeArray:
			if err := validateDoc(v.Data, depth+1); err != nil {
				return err
			}
		case bsoncore.TypeCodeWithScope:
			_, scope, _, ok := bsoncore.ReadCodeWithScope(v.Data)
			if !ok {
				return errors.New("bad code with scope")
			}
			if err := validateDoc(scope, depth+1); err != nil {
				return err
			}
		case bsoncore.TypeString, bsoncore.TypeJavaScript, bsoncore.TypeSymbol:
			// ReadElement sized the value from its length prefix; a string
			// also needs that length to be positive and a terminating NUL.
			if n := len(v.Data); n < 5 || v.Data[n-1] != 0 || int(int32(binary.LittleEndian.Uint32(v.Data))) != n-4 {
				return errors.New("bad string")
			}
		case bsoncore.TypeBinary:
			if _, _, _, ok := bsoncore.ReadBinary(v.Data); !ok {
				return errors.New("bad binary")
			}
		case bsoncore.TypeRegex:
			if _, _, _, ok := bsoncore.ReadRegex(v.Data); !ok {
				return errors.New("bad regex")
			}
		case bsoncore.TypeDBPointer:
			if _, _, _, ok := bsoncore.ReadDBPointer(v.Data); !ok {
				return errors.New("bad dbpointer")
			}
		}
		rem = r
	}
	return nil
}

// firstKey returns the first field name of doc.
func firstKey(doc bson.Raw) (string, bool) {
	if len(doc) < 5 {
		return "", false
	}
	e, _, ok := bsoncore.ReadElement(doc[4:])
	if !ok {
		return "", false
	}
	return e.Key(), true
}

// lookupTop finds a top-level field without allocating.
func lookupTop(doc []byte, key string) (bson.RawValue, bool) {
	if len(doc) < 5 {
		return bson.RawValue{}, false
	}
	rem := doc[4 : len(doc)-1]
	for len(rem) > 0 {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			break
		}
		rem = r
		if string(e.KeyBytes()) == key {
			v := e.Value()
			return bson.RawValue{Type: bson.Type(v.Type), Value: v.Data}, true
		}
	}
	return bson.RawValue{}, false
}

// idFirst moves _id to the front of doc, as MongoDB stores inserted
// documents.
func idFirst(doc []byte) []byte {
	if len(doc) < 5 {
		return doc
	}
	rem := doc[4 : len(doc)-1]
	off := 4
	for i := 0; len(rem) > 0; i++ {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			return doc
		}
		if string(e.KeyBytes()) == "_id" {
			if i == 0 {
				return doc
			}
			out := make([]byte, 4, len(doc))
			out = append(out, e...)
			out = append(out, doc[4:off]...)
			out = append(out, doc[off+len(e):]...)
			return finishDoc(out)
		}
		off += len(e)
		rem = r
	}
	return doc
}

// join appends key to a dotted path prefix.
func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// itoa formats an array index as a field name.
func itoa(i int) string { return strconv.Itoa(i) }
