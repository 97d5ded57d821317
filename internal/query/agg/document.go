package agg

import (
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// mutableDoc is a document being edited: its fields in order. Setting an
// existing field keeps its position, a new field is appended, as MongoDB's
// MutableDocument does.
type mutableDoc struct {
	keys []string
	vals []bson.RawValue
}

// docOf decodes the top level of a document.
func docOf(raw bson.Raw) mutableDoc {
	var d mutableDoc
	elems, err := raw.Elements()
	if err != nil {
		return d
	}
	d.keys = make([]string, 0, len(elems))
	d.vals = make([]bson.RawValue, 0, len(elems))
	for _, el := range elems {
		d.keys = append(d.keys, el.Key())
		d.vals = append(d.vals, el.Value())
	}
	return d
}

// index returns the position of field k, or -1.
func (d *mutableDoc) index(k string) int {
	for i, key := range d.keys {
		if key == k {
			return i
		}
	}
	return -1
}

// get returns the field's value (missing when absent).
func (d *mutableDoc) get(k string) bson.RawValue {
	if i := d.index(k); i >= 0 {
		return d.vals[i]
	}
	return bson.RawValue{}
}

// set replaces or appends a field; a missing value removes it.
func (d *mutableDoc) set(k string, v bson.RawValue) {
	i := d.index(k)
	switch {
	case v.Type == 0 && i >= 0:
		d.keys = append(d.keys[:i], d.keys[i+1:]...)
		d.vals = append(d.vals[:i], d.vals[i+1:]...)
	case v.Type == 0:
	case i >= 0:
		d.vals[i] = v
	default:
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
}

// raw encodes the document.
func (d *mutableDoc) raw() bson.Raw {
	idx, dst := bsoncore.AppendDocumentStart(nil)
	for i, k := range d.keys {
		dst = value.AppendElem(dst, k, d.vals[i])
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}

// setPath returns doc with the dotted path set to v (missing v removes
// the field). Intermediate non-documents are replaced by documents; arrays
// are not traversed (the caller resolved the path without them).
func setPath(doc bson.Raw, path []string, v bson.RawValue) bson.Raw {
	d := docOf(doc)
	if len(path) == 1 {
		d.set(path[0], v)
		return d.raw()
	}
	child := d.get(path[0])
	var sub bson.Raw
	if child.Type == bson.TypeEmbeddedDocument {
		sub = child.Document()
	} else {
		if v.Type == 0 {
			return doc
		}
		sub = value.EmptyDoc
	}
	d.set(path[0], value.Doc(setPath(sub, path[1:], v)))
	return d.raw()
}

// getPath resolves a dotted path through documents only (no array
// traversal), as $unwind does.
func getPath(doc bson.Raw, path []string) bson.RawValue {
	cur := doc
	for i, p := range path {
		v, err := cur.LookupErr(p)
		if err != nil {
			return bson.RawValue{}
		}
		if i == len(path)-1 {
			return v
		}
		d, ok := v.DocumentOK()
		if !ok {
			return bson.RawValue{}
		}
		cur = d
	}
	return bson.RawValue{}
}
