package update

import (
	"bytes"

	"github.com/concorddb/concord/internal/codes"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// applier carries the state of one Apply call over the update tree.
// It rebuilds only the documents and arrays on the paths the update
// touches; every other element is copied as raw bytes.
type applier struct {
	u    *Update
	opts ApplyOptions
	doc  bson.Raw // the original document, for error messages
	// renameValues holds, per $rename destination op, the source value
	// found in the original document (absent when the source is missing).
	renameValues map[*operation]bson.RawValue
}

// maxPadding is MongoDB's limit on the nulls an update may add to
// reach an array index beyond the end.
const maxPadding = 1500000

// cannotBackfillArray is MongoDB's CannotBackfillArray (34).
const cannotBackfillArray = codes.CannotBackfillArray

// applyDocument applies the children of n to the document doc (whose dotted
// path is path) and returns the new document bytes. Existing fields keep
// their position; new fields are appended in n.order.
func (a *applier) applyDocument(n *node, doc []byte, path string) ([]byte, error) {
	var seenBuf [8]bool
	seen := seenBuf[:0]
	if len(n.order) <= len(seenBuf) {
		seen = seenBuf[:len(n.order)]
	} else {
		seen = make([]bool, len(n.order))
	}
	out := make([]byte, 4, len(doc)+64)
	rem := doc[4 : len(doc)-1]
	for len(rem) > 0 {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			return nil, codes.New(codes.InvalidBSON, "invalid BSON document")
		}
		rem = r
		kb := e.KeyBytes()
		child := n.children[string(kb)]
		idx := -1
		if child != nil {
			idx = indexOf(n.order, string(kb))
			if seen[idx] {
				// A duplicate field name: only the first is updated.
				child = nil
			}
		}
		if child == nil {
			out = append(out, e...)
			continue
		}
		seen[idx] = true
		key := string(kb)
		v := e.Value()
		cur := bson.RawValue{Type: bson.Type(v.Type), Value: v.Data}
		nv, err := a.applyNode(child, key, cur, join(path, key))
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			continue
		}
		if nv.Type == cur.Type && bytes.Equal(nv.Value, cur.Value) {
			out = append(out, e...)
			continue
		}
		out = appendElem(out, key, nv)
	}
	for i, key := range n.order {
		if seen[i] {
			continue
		}
		nv, err := a.applyNode(n.children[key], key, bson.RawValue{}, join(path, key))
		if err != nil {
			return nil, err
		}
		if nv.Type != 0 {
			out = appendElem(out, key, nv)
		}
	}
	out = append(out, 0)
	return finishDoc(out), nil
}

// indexOf returns the position of key in keys.
func indexOf(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// appendElem appends the element key: v.
func appendElem(dst []byte, key string, v bson.RawValue) []byte {
	dst = append(dst, byte(v.Type))
	dst = append(dst, key...)
	dst = append(dst, 0)
	return append(dst, v.Value...)
}

// applyNode applies the subtree n to the value cur found under key (cur is
// the zero RawValue when the field is missing). It returns the new value,
// or the zero RawValue when the field is to be absent.
func (a *applier) applyNode(n *node, key string, cur bson.RawValue, path string) (bson.RawValue, error) {
	if n.op != nil {
		return a.applyOp(n.op, key, cur, path)
	}
	switch cur.Type {
	case bson.TypeEmbeddedDocument:
		if n.arrayNode {
			return bson.RawValue{}, notArray(key, cur)
		}
		out, err := a.applyDocument(n, cur.Value, path)
		if err != nil {
			return bson.RawValue{}, err
		}
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, nil
	case bson.TypeArray:
		out, err := a.applyArray(n, key, cur, path)
		if err != nil {
			return bson.RawValue{}, err
		}
		return bson.RawValue{Type: bson.TypeArray, Value: out}, nil
	case 0:
		if n.arrayNode {
			return bson.RawValue{}, codes.New(codes.BadValue, "The path '%s' must exist in the document in order to apply array updates.", path)
		}
		out, err := a.applyDocument(n, emptyDoc, path)
		if err != nil {
			return bson.RawValue{}, err
		}
		if len(out) == 5 {
			return bson.RawValue{}, nil
		}
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, nil
	default:
		if n.arrayNode {
			return bson.RawValue{}, notArray(key, cur)
		}
		if err := a.checkNoCreate(n, key, cur, path); err != nil {
			return bson.RawValue{}, err
		}
		return cur, nil
	}
}

// notArray is MongoDB's error for "$[]" over a non-array.
func notArray(key string, cur bson.RawValue) error {
	return codes.New(codes.BadValue, "Cannot apply array updates to non-array element %s", formatElement(key, cur))
}

// checkNoCreate reports PathNotViable when some child of n would create a
// field inside the scalar cur; operations that do nothing on a missing field
// ($unset, $pull, ...) are no-ops there, as in MongoDB.
func (a *applier) checkNoCreate(n *node, key string, cur bson.RawValue, path string) error {
	for _, k := range n.order {
		nv, err := a.applyNode(n.children[k], k, bson.RawValue{}, join(path, k))
		if err != nil {
			return err
		}
		if nv.Type != 0 {
			return codes.New(codes.PathNotViable, "Cannot create field '%s' in element {%s}", a.resolveKey(k), formatElement(key, cur))
		}
	}
	return nil
}

// resolveKey substitutes the matched position for a "$" component.
func (a *applier) resolveKey(k string) string {
	if k == "$" && a.opts.Position >= 0 {
		return itoa(a.opts.Position)
	}
	return k
}

// applyArray applies n to the elements of the array cur.
func (a *applier) applyArray(n *node, key string, cur bson.RawValue, path string) ([]byte, error) {
	if n.arrayNode {
		return a.applyArrayFilters(n, cur.Value, path)
	}
	// Resolve the children to indexes. Non-numeric names cannot address an
	// array element: they are no-ops or PathNotViable.
	byIndex := map[int]string{}
	var indexes []int
	for _, k := range n.order {
		name := k
		if k == "$" {
			if a.opts.Position < 0 {
				return nil, codes.New(codes.BadValue, "The positional operator did not find the match needed from the query.")
			}
			name = itoa(a.opts.Position)
		}
		i := arrayIndex(name)
		if i < 0 {
			nv, err := a.applyNode(n.children[k], k, bson.RawValue{}, join(path, k))
			if err != nil {
				return nil, err
			}
			if nv.Type != 0 {
				return nil, codes.New(codes.PathNotViable, "Cannot create field '%s' in element {%s}", k, formatElement(key, cur))
			}
			continue
		}
		if prev, dup := byIndex[i]; dup {
			_ = prev
			return nil, codes.New(codes.ConflictingUpdateOperators, "Update created a conflict at '%s'", join(path, name))
		}
		byIndex[i] = k
		indexes = append(indexes, i)
	}
	sortInts(indexes)

	out := make([]byte, 4, len(cur.Value)+32)
	rem := cur.Value[4 : len(cur.Value)-1]
	length := 0
	for ; len(rem) > 0; length++ {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			return nil, codes.New(codes.InvalidBSON, "invalid BSON array")
		}
		rem = r
		v := e.Value()
		ev := bson.RawValue{Type: bson.Type(v.Type), Value: v.Data}
		k, hit := byIndex[length]
		idx := itoa(length)
		if !hit {
			out = appendElem(out, idx, ev)
			continue
		}
		nv, err := a.applyNode(n.children[k], idx, ev, join(path, idx))
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			// Unsetting an array element leaves a null in its place.
			nv = bson.RawValue{Type: bson.TypeNull}
		}
		out = appendElem(out, idx, nv)
	}
	for _, i := range indexes {
		if i < length {
			continue
		}
		k := byIndex[i]
		idx := itoa(i)
		nv, err := a.applyNode(n.children[k], idx, bson.RawValue{}, join(path, idx))
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			continue
		}
		if i-length > maxPadding {
			return nil, codes.New(cannotBackfillArray, "can't backfill more than %d elements", maxPadding)
		}
		for ; length < i; length++ {
			out = appendElem(out, itoa(length), bson.RawValue{Type: bson.TypeNull})
		}
		out = appendElem(out, idx, nv)
		length++
	}
	out = append(out, 0)
	return finishDoc(out), nil
}

// sortInts sorts a short slice of ints.
func sortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// applyArrayFilters applies the "$[]" and "$[<id>]" children of n to every
// element they select. When several select one element their subtrees are
// merged, and a path updated twice is ConflictingUpdateOperators.
func (a *applier) applyArrayFilters(n *node, arr []byte, path string) ([]byte, error) {
	out := make([]byte, 4, len(arr)+32)
	rem := arr[4 : len(arr)-1]
	for i := 0; len(rem) > 0; i++ {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			return nil, codes.New(codes.InvalidBSON, "invalid BSON array")
		}
		rem = r
		v := e.Value()
		ev := bson.RawValue{Type: bson.Type(v.Type), Value: v.Data}
		idx := itoa(i)
		elemPath := join(path, idx)
		var sel *node
		for _, k := range n.order {
			id := k[2 : len(k)-1]
			if id != "" {
				match, err := a.matchArrayFilter(id, ev)
				if err != nil {
					return nil, err
				}
				if !match {
					continue
				}
			}
			child := n.children[k]
			if sel == nil {
				sel = child
				continue
			}
			merged, err := merge(sel, child, elemPath)
			if err != nil {
				return nil, err
			}
			sel = merged
		}
		if sel == nil {
			out = appendElem(out, idx, ev)
			continue
		}
		nv, err := a.applyNode(sel, idx, ev, elemPath)
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			nv = bson.RawValue{Type: bson.TypeNull}
		}
		out = appendElem(out, idx, nv)
	}
	out = append(out, 0)
	return finishDoc(out), nil
}

// matchArrayFilter evaluates the array filter for id against one element:
// the filter's field names start with the identifier, so the element is
// matched as the value of that field.
func (a *applier) matchArrayFilter(id string, elem bson.RawValue) (bool, error) {
	f := a.u.filters[id]
	if f == nil {
		return false, codes.New(codes.BadValue, "No array filter found for identifier '%s'", id)
	}
	doc := make([]byte, 4, len(elem.Value)+len(id)+8)
	doc = appendElem(doc, id, elem)
	doc = append(doc, 0)
	return f.Match(bson.Raw(finishDoc(doc))), nil
}

// merge returns the union of two update subtrees that apply to the
// same array element; a path present in both is a conflict.
func merge(x, y *node, path string) (*node, error) {
	if x.op != nil || y.op != nil || x.arrayNode != y.arrayNode {
		return nil, codes.New(codes.ConflictingUpdateOperators, "Update created a conflict at '%s'", path)
	}
	m := &node{children: map[string]*node{}, arrayNode: x.arrayNode}
	for _, k := range x.order {
		m.children[k] = x.children[k]
		m.order = append(m.order, k)
	}
	for _, k := range y.order {
		if xc, ok := m.children[k]; ok {
			merged, err := merge(xc, y.children[k], join(path, k))
			if err != nil {
				return nil, err
			}
			m.children[k] = merged
			continue
		}
		m.children[k] = y.children[k]
		m.order = append(m.order, k)
	}
	sortKeys(m.order)
	return m, nil
}

// resolveRenames looks up every $rename source in the original document.
// Sources and destinations may not pass through arrays.
func (a *applier) resolveRenames() error {
	a.renameValues = map[*operation]bson.RawValue{}
	for _, op := range a.u.renames {
		v, arrayField, found := lookupPath(a.doc, op.renameFrom)
		if !found {
			continue
		}
		if arrayField != "" {
			return codes.New(codes.BadValue, "The source field cannot be an array element, '%s' in doc with %s has an array field called '%s'",
				op.renameFrom, a.idString(), arrayField)
		}
		if _, arrayField, _ := lookupPath(a.doc, op.path); arrayField != "" {
			return codes.New(codes.BadValue, "The destination field cannot be an array element, '%s' in doc with %s has an array field called '%s'",
				op.path, a.idString(), arrayField)
		}
		a.renameValues[op] = v
	}
	return nil
}

// lookupPath finds a dotted path in doc, indexing arrays by numeric
// components. arrayField names the first array the path went through.
func lookupPath(doc []byte, path string) (v bson.RawValue, arrayField string, found bool) {
	cur := bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}
	parent := ""
	for len(path) > 0 {
		part := path
		if i := bytes.IndexByte([]byte(path), '.'); i >= 0 {
			part, path = path[:i], path[i+1:]
		} else {
			path = ""
		}
		switch cur.Type {
		case bson.TypeEmbeddedDocument:
			next, ok := lookupTop(cur.Value, part)
			if !ok {
				return bson.RawValue{}, arrayField, false
			}
			cur = next
		case bson.TypeArray:
			if arrayField == "" {
				arrayField = parent
			}
			i := arrayIndex(part)
			if i < 0 {
				return bson.RawValue{}, arrayField, false
			}
			next, ok := lookupTop(cur.Value, part)
			if !ok {
				return bson.RawValue{}, arrayField, false
			}
			cur = next
		default:
			return bson.RawValue{}, arrayField, false
		}
		parent = part
	}
	return cur, arrayField, true
}

// idString formats the document's _id as MongoDB does in messages
// ("_id: 1"), or "no id".
func (a *applier) idString() string {
	if id, ok := lookupTop(a.doc, "_id"); ok {
		return formatElement("_id", id)
	}
	return "no id"
}
