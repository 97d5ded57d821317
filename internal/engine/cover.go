package engine

import (
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
)

// Covered queries. A query whose filter, sort and projection read only
// fields of the index it scans is answered from the index entries without
// reading documents (mongod's PROJECTION_COVERED over IXSCAN, no FETCH):
// every entry stores the exact values of its fields after the document's
// _id (see entryExact), so the scan builds a partial document of those
// fields, on which the filter, the sort and a plain inclusion projection
// give what they give on the whole document (see filter.Paths and
// projection.IncludedPaths).
//
// The rules are mongod's:
//   - the projection is a plain inclusion of index fields, with _id
//     excluded ({_id: 0}) unless _id is a field of the index;
//   - a multikey index covers nothing (an entry holds one array element,
//     not the field's value; mongod refuses the array fields, and Concord
//     keeps multikey state per index, not per path);
//   - on a non-sparse index a condition that matches null is not covered
//     (mongod cannot tell a missing field from null in its keys);
//   - sparse and partial indexes cover only where the planner may use them
//     at all (planIndexUsable).
//
// Values come from the entries, never decoded from keys: a key equates
// int32 5, int64 5 and 5.0, and under a collation would hold sort keys,
// so a covered read returns exactly what a fetching read returns (fields
// in the index's order, as mongod's covered projection writes them).
//
// Races: index entries and documents are read from one snapshot. An entry
// of a document with an array on an indexed path (written after the plan
// found the index not multikey) says so (entryFetch), and the scan reads
// that document instead, as it does for entries written before exact
// values were stored.

// planCover marks p covered when the statement (filter f, sort srt,
// projection proj) can be answered from p's index entries alone.
func planCover(p *plan, f *filter.Filter, srt *order.Sort, proj *projection.Projection) {
	if p == nil || p.kind != planIndex || p.ix.isMultikey() || p.ix.wildcard != nil {
		return
	}
	ix := p.ix
	has := func(path string) bool {
		for _, fd := range ix.fields {
			if fd.path == path {
				return true
			}
		}
		return false
	}
	incl, ok := proj.IncludedPaths()
	if !ok {
		return
	}
	for _, path := range incl {
		if !has(path) {
			return
		}
	}
	paths, ok := f.Paths()
	if !ok {
		return
	}
	for _, path := range paths {
		if !has(path) {
			return
		}
	}
	for _, k := range srt.Keys() {
		if !has(k.Path) {
			return
		}
	}
	if !ix.sparse {
		for _, cd := range f.Conditions() {
			if planMatchesNull(cd) {
				return
			}
		}
	}
	p.covered = true
}

// coveredDoc builds the partial document of an index entry: each field of
// the key pattern at its path, in key pattern order, missing fields left
// out. A field under another field's path ("a.b" with "a") is inside that
// field's value already.
func coveredDoc(fields []indexField, vals []bson.RawValue) bson.Raw {
	if flat(fields) {
		// Top-level fields only (the usual index): no tree to build.
		n := 5
		for i, fd := range fields {
			n += 2 + len(fd.path) + len(vals[i].Value)
		}
		idx, dst := bsoncore.AppendDocumentStart(make([]byte, 0, n))
		for i, fd := range fields {
			if vals[i].Type != 0 {
				dst = bsoncore.AppendHeader(dst, bsoncore.Type(vals[i].Type), fd.path)
				dst = append(dst, vals[i].Value...)
			}
		}
		dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
		return dst
	}
	root := &coverNode{}
	for i, fd := range fields {
		if vals[i].Type != 0 {
			root.set(fd.parts, vals[i])
		}
	}
	return root.appendDoc(nil)
}

// flat reports whether fields are all top-level, distinct fields.
func flat(fields []indexField) bool {
	for i, fd := range fields {
		if len(fd.parts) != 1 {
			return false
		}
		for _, o := range fields[:i] {
			if o.path == fd.path {
				return false
			}
		}
	}
	return true
}

// coverNode is one level of a document coveredDoc builds: a whole value,
// or fields.
type coverNode struct {
	val   bson.RawValue
	names []string
	kids  []*coverNode
}

// set places v at the path parts under n.
func (n *coverNode) set(parts []string, v bson.RawValue) {
	if n.val.Type != 0 {
		return // inside a whole value already set
	}
	if len(parts) == 0 {
		n.val, n.names, n.kids = v, nil, nil
		return
	}
	for i, name := range n.names {
		if name == parts[0] {
			n.kids[i].set(parts[1:], v)
			return
		}
	}
	k := &coverNode{}
	n.names = append(n.names, parts[0])
	n.kids = append(n.kids, k)
	k.set(parts[1:], v)
}

// appendDoc appends n's fields as a BSON document.
func (n *coverNode) appendDoc(dst []byte) []byte {
	idx, dst := bsoncore.AppendDocumentStart(dst)
	for i, name := range n.names {
		k := n.kids[i]
		if k.val.Type != 0 {
			dst = bsoncore.AppendHeader(dst, bsoncore.Type(k.val.Type), name)
			dst = append(dst, k.val.Value...)
			continue
		}
		dst = bsoncore.AppendHeader(dst, bsoncore.TypeEmbeddedDocument, name)
		dst = k.appendDoc(dst)
	}
	dst, _ = bsoncore.AppendDocumentEnd(dst, idx)
	return dst
}
