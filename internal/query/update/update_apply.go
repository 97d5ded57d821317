package update

import (
	"bytes"

	"github.com/concorddb/concord/internal/codes"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// updateApplier carries the state of one Apply call over the update tree.
// It rebuilds only the documents and arrays on the paths the update
// touches; every other element is copied as raw bytes.
type updateApplier struct {
	u    *Update
	opts ApplyOptions
	doc  bson.Raw // the original document, for error messages
	// renameValues holds, per $rename destination op, the source value
	// found in the original document (absent when the source is missing).
	renameValues map[*updateOp]bson.RawValue
}

// updateMaxPadding is MongoDB's limit on the nulls an update may add to
// reach an array index beyond the end.
const updateMaxPadding = 1500000

// updateCannotBackfillArray is MongoDB's CannotBackfillArray (34).
const updateCannotBackfillArray = codes.CannotBackfillArray

// applyDocument applies the children of n to the document doc (whose dotted
// path is path) and returns the new document bytes. Existing fields keep
// their position; new fields are appended in n.order.
func (a *updateApplier) applyDocument(n *updateNode, doc []byte, path string) ([]byte, error) {
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
			idx = updateIndexOf(n.order, string(kb))
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
		nv, err := a.applyNode(child, key, cur, updateJoin(path, key))
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
		out = updateAppendElem(out, key, nv)
	}
	for i, key := range n.order {
		if seen[i] {
			continue
		}
		nv, err := a.applyNode(n.children[key], key, bson.RawValue{}, updateJoin(path, key))
		if err != nil {
			return nil, err
		}
		if nv.Type != 0 {
			out = updateAppendElem(out, key, nv)
		}
	}
	out = append(out, 0)
	return updateFinishDoc(out), nil
}

// updateIndexOf returns the position of key in keys.
func updateIndexOf(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// updateAppendElem appends the element key: v.
func updateAppendElem(dst []byte, key string, v bson.RawValue) []byte {
	dst = append(dst, byte(v.Type))
	dst = append(dst, key...)
	dst = append(dst, 0)
	return append(dst, v.Value...)
}

// applyNode applies the subtree n to the value cur found under key (cur is
// the zero RawValue when the field is missing). It returns the new value,
// or the zero RawValue when the field is to be absent.
func (a *updateApplier) applyNode(n *updateNode, key string, cur bson.RawValue, path string) (bson.RawValue, error) {
	if n.op != nil {
		return a.applyOp(n.op, key, cur, path)
	}
	switch cur.Type {
	case bson.TypeEmbeddedDocument:
		if n.arrayNode {
			return bson.RawValue{}, updateNotArray(key, cur)
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
		out, err := a.applyDocument(n, updateEmptyDoc, path)
		if err != nil {
			return bson.RawValue{}, err
		}
		if len(out) == 5 {
			return bson.RawValue{}, nil
		}
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: out}, nil
	default:
		if n.arrayNode {
			return bson.RawValue{}, updateNotArray(key, cur)
		}
		if err := a.checkNoCreate(n, key, cur, path); err != nil {
			return bson.RawValue{}, err
		}
		return cur, nil
	}
}

// updateNotArray is MongoDB's error for "$[]" over a non-array.
func updateNotArray(key string, cur bson.RawValue) error {
	return codes.New(codes.BadValue, "Cannot apply array updates to non-array element %s", updateFormatElement(key, cur))
}

// checkNoCreate reports PathNotViable when some child of n would create a
// field inside the scalar cur; operations that do nothing on a missing field
// ($unset, $pull, ...) are no-ops there, as in MongoDB.
func (a *updateApplier) checkNoCreate(n *updateNode, key string, cur bson.RawValue, path string) error {
	for _, k := range n.order {
		nv, err := a.applyNode(n.children[k], k, bson.RawValue{}, updateJoin(path, k))
		if err != nil {
			return err
		}
		if nv.Type != 0 {
			return codes.New(codes.PathNotViable, "Cannot create field '%s' in element {%s}", a.resolveKey(k), updateFormatElement(key, cur))
		}
	}
	return nil
}

// resolveKey substitutes the matched position for a "$" component.
func (a *updateApplier) resolveKey(k string) string {
	if k == "$" && a.opts.Position >= 0 {
		return updateItoa(a.opts.Position)
	}
	return k
}

// applyArray applies n to the elements of the array cur.
func (a *updateApplier) applyArray(n *updateNode, key string, cur bson.RawValue, path string) ([]byte, error) {
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
			name = updateItoa(a.opts.Position)
		}
		i := updateArrayIndex(name)
		if i < 0 {
			nv, err := a.applyNode(n.children[k], k, bson.RawValue{}, updateJoin(path, k))
			if err != nil {
				return nil, err
			}
			if nv.Type != 0 {
				return nil, codes.New(codes.PathNotViable, "Cannot create field '%s' in element {%s}", k, updateFormatElement(key, cur))
			}
			continue
		}
		if prev, dup := byIndex[i]; dup {
			_ = prev
			return nil, codes.New(codes.ConflictingUpdateOperators, "Update created a conflict at '%s'", updateJoin(path, name))
		}
		byIndex[i] = k
		indexes = append(indexes, i)
	}
	updateSortInts(indexes)

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
		idx := updateItoa(length)
		if !hit {
			out = updateAppendElem(out, idx, ev)
			continue
		}
		nv, err := a.applyNode(n.children[k], idx, ev, updateJoin(path, idx))
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			// Unsetting an array element leaves a null in its place.
			nv = bson.RawValue{Type: bson.TypeNull}
		}
		out = updateAppendElem(out, idx, nv)
	}
	for _, i := range indexes {
		if i < length {
			continue
		}
		k := byIndex[i]
		idx := updateItoa(i)
		nv, err := a.applyNode(n.children[k], idx, bson.RawValue{}, updateJoin(path, idx))
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			continue
		}
		if i-length > updateMaxPadding {
			return nil, codes.New(updateCannotBackfillArray, "can't backfill more than %d elements", updateMaxPadding)
		}
		for ; length < i; length++ {
			out = updateAppendElem(out, updateItoa(length), bson.RawValue{Type: bson.TypeNull})
		}
		out = updateAppendElem(out, idx, nv)
		length++
	}
	out = append(out, 0)
	return updateFinishDoc(out), nil
}

// updateSortInts sorts a short slice of ints.
func updateSortInts(xs []int) {
	for i := 1; i < len(xs); i++ {
		for j := i; j > 0 && xs[j] < xs[j-1]; j-- {
			xs[j], xs[j-1] = xs[j-1], xs[j]
		}
	}
}

// applyArrayFilters applies the "$[]" and "$[<id>]" children of n to every
// element they select. When several select one element their subtrees are
// merged, and a path updated twice is ConflictingUpdateOperators.
func (a *updateApplier) applyArrayFilters(n *updateNode, arr []byte, path string) ([]byte, error) {
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
		idx := updateItoa(i)
		elemPath := updateJoin(path, idx)
		var sel *updateNode
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
			merged, err := updateMerge(sel, child, elemPath)
			if err != nil {
				return nil, err
			}
			sel = merged
		}
		if sel == nil {
			out = updateAppendElem(out, idx, ev)
			continue
		}
		nv, err := a.applyNode(sel, idx, ev, elemPath)
		if err != nil {
			return nil, err
		}
		if nv.Type == 0 {
			nv = bson.RawValue{Type: bson.TypeNull}
		}
		out = updateAppendElem(out, idx, nv)
	}
	out = append(out, 0)
	return updateFinishDoc(out), nil
}

// matchArrayFilter evaluates the array filter for id against one element:
// the filter's field names start with the identifier, so the element is
// matched as the value of that field.
func (a *updateApplier) matchArrayFilter(id string, elem bson.RawValue) (bool, error) {
	f := a.u.filters[id]
	if f == nil {
		return false, codes.New(codes.BadValue, "No array filter found for identifier '%s'", id)
	}
	doc := make([]byte, 4, len(elem.Value)+len(id)+8)
	doc = updateAppendElem(doc, id, elem)
	doc = append(doc, 0)
	return f.Match(bson.Raw(updateFinishDoc(doc))), nil
}

// updateMerge returns the union of two update subtrees that apply to the
// same array element; a path present in both is a conflict.
func updateMerge(x, y *updateNode, path string) (*updateNode, error) {
	if x.op != nil || y.op != nil || x.arrayNode != y.arrayNode {
		return nil, codes.New(codes.ConflictingUpdateOperators, "Update created a conflict at '%s'", path)
	}
	m := &updateNode{children: map[string]*updateNode{}, arrayNode: x.arrayNode}
	for _, k := range x.order {
		m.children[k] = x.children[k]
		m.order = append(m.order, k)
	}
	for _, k := range y.order {
		if xc, ok := m.children[k]; ok {
			merged, err := updateMerge(xc, y.children[k], updateJoin(path, k))
			if err != nil {
				return nil, err
			}
			m.children[k] = merged
			continue
		}
		m.children[k] = y.children[k]
		m.order = append(m.order, k)
	}
	updateSortKeys(m.order)
	return m, nil
}

// resolveRenames looks up every $rename source in the original document.
// Sources and destinations may not pass through arrays.
func (a *updateApplier) resolveRenames() error {
	a.renameValues = map[*updateOp]bson.RawValue{}
	for _, op := range a.u.renames {
		v, arrayField, found := updateLookupPath(a.doc, op.renameFrom)
		if !found {
			continue
		}
		if arrayField != "" {
			return codes.New(codes.BadValue, "The source field cannot be an array element, '%s' in doc with %s has an array field called '%s'",
				op.renameFrom, a.idString(), arrayField)
		}
		if _, arrayField, _ := updateLookupPath(a.doc, op.path); arrayField != "" {
			return codes.New(codes.BadValue, "The destination field cannot be an array element, '%s' in doc with %s has an array field called '%s'",
				op.path, a.idString(), arrayField)
		}
		a.renameValues[op] = v
	}
	return nil
}

// updateLookupPath finds a dotted path in doc, indexing arrays by numeric
// components. arrayField names the first array the path went through.
func updateLookupPath(doc []byte, path string) (v bson.RawValue, arrayField string, found bool) {
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
			next, ok := updateLookupTop(cur.Value, part)
			if !ok {
				return bson.RawValue{}, arrayField, false
			}
			cur = next
		case bson.TypeArray:
			if arrayField == "" {
				arrayField = parent
			}
			i := updateArrayIndex(part)
			if i < 0 {
				return bson.RawValue{}, arrayField, false
			}
			next, ok := updateLookupTop(cur.Value, part)
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
func (a *updateApplier) idString() string {
	if id, ok := updateLookupTop(a.doc, "_id"); ok {
		return updateFormatElement("_id", id)
	}
	return "no id"
}
