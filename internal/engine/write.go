package engine

import (
	"bytes"
	"sort"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/codes"
)

// claim makes t the owner of an owner-table key. For a transaction it fails
// when another live txn owns the key or the key was committed after t's
// snapshot; for a unit only when another txn owns it (a unit then reads the
// latest committed state, which owning the key keeps stable).
func (t *Txn) claim(key string) error {
	if _, ok := t.claims[key]; ok {
		return nil
	}
	holder, ok := t.e.owners.claim(key, t, t.explicit)
	if !ok {
		return &conflictError{owner: holder, key: key}
	}
	if t.claims == nil {
		t.claims = make(map[string]bool)
	}
	t.claims[key] = false
	t.lastClaim = key
	return nil
}

// unclaim gives up an unwritten claim (a document that no longer matched).
func (t *Txn) unclaim(key string) {
	if written, ok := t.claims[key]; ok && !written {
		delete(t.claims, key)
		t.e.owners.release(key, t, 0)
	}
}

// getDoc returns t's view of the document at key: its own buffered version,
// else the snapshot's (txn) or latest committed (unit); nil when absent.
// A unit must own key (see docCache): its read of the latest committed
// version is then served by the document cache when it knows the key. A
// transaction's snapshot read is served by the cache when the cached version
// was committed no later than the snapshot (docCache.getAt).
func (t *Txn) getDoc(key []byte) (bson.Raw, error) {
	if w, ok := t.writes[string(key)]; ok {
		return w.doc, nil
	}
	if !t.explicit {
		if doc, ok := t.e.docs.get(key); ok {
			return bson.Raw(doc), nil
		}
	} else if t.snap != nil {
		if doc, ok := t.e.docs.getAt(key, t.readTs); ok {
			return bson.Raw(doc), nil
		}
	}
	v, err := pebbleGet(t.reader, key)
	if err != nil {
		return nil, err
	}
	return bson.Raw(v), nil
}

// uniqueHolder returns the document key holding a unique-index key in t's
// view, or "" when none does.
func (t *Txn) uniqueHolder(c *collection, uk string) (string, error) {
	if h, ok := t.uniq[uk]; ok {
		return h, nil
	}
	v, err := pebbleGet(t.reader, []byte(uk))
	if err != nil || v == nil {
		return "", err
	}
	return string(docKey(c.id, parseRawID(v))), nil
}

// uniqueChange is one unique-index key a write adds (holder = the
// document's key) or removes (holder = "").
type uniqueChange struct {
	uk, holder string
}

// putDoc buffers a new version of the document at key (doc nil = delete);
// cur is t's current view of it, which t must already own. Unique-index keys
// the write adds or removes are claimed too; a key held by another document
// is DuplicateKey (11000). Nothing is buffered on error.
func (t *Txn) putDoc(c *collection, key []byte, id bson.RawValue, cur, doc bson.Raw) error {
	var changes []uniqueChange
	for _, ix := range c.indexes {
		newKeys, err := ix.keys(doc)
		if err != nil {
			return err
		}
		if !ix.unique {
			continue
		}
		oldKeys, _ := ix.keys(cur)
		inNew, inOld := keySet(newKeys), keySet(oldKeys)
		prefix := indexPrefix(c.id, ix.id)
		for _, nk := range newKeys {
			if inOld(nk) {
				continue
			}
			uk := string(append(append([]byte(nil), prefix...), nk...))
			if err := t.claim(uk); err != nil {
				return err
			}
			holder, err := t.uniqueHolder(c, uk)
			if err != nil {
				return err
			}
			if holder != "" && holder != string(key) {
				return indexDupKeyError(c.ns, ix, doc)
			}
			changes = append(changes, uniqueChange{uk, string(key)})
		}
		for _, ok := range oldKeys {
			if inNew(ok) {
				continue
			}
			uk := string(append(append([]byte(nil), prefix...), ok...))
			if err := t.claim(uk); err != nil {
				return err
			}
			changes = append(changes, uniqueChange{uk, ""})
		}
	}
	if t.uniq == nil && len(changes) > 0 {
		t.uniq = make(map[string]string)
	}
	for _, ch := range changes {
		t.uniq[ch.uk] = ch.holder
		t.claims[ch.uk] = true
	}
	if t.writes == nil {
		t.writes = make(map[string]*docWrite)
	}
	w := t.writes[string(key)]
	k := t.lastClaim
	if string(key) != k {
		k = string(key)
	}
	if w == nil {
		if len(t.order) == 0 && t.write1.key == nil {
			t.write1 = docWrite{key: key, id: id, base: cur}
			w = &t.write1
			t.order = t.order1[:0]
		} else {
			w = &docWrite{key: key, id: id, base: cur}
		}
		t.writes[k] = w
		t.order = append(t.order, k)
	}
	w.coll = c
	w.doc = doc
	w.replaced = false
	t.claims[k] = true
	return nil
}

// ownWrites returns t's buffered writes to collection c in key order.
func (t *Txn) ownWrites(c *collection) []*docWrite {
	if len(t.writes) == 0 || c == nil {
		return nil
	}
	p := docPrefix(c.id)
	var out []*docWrite
	for _, k := range t.order {
		if w := t.writes[k]; bytes.HasPrefix(w.key, p) {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].key, out[j].key) < 0 })
	return out
}

// prepareInsertDoc validates a document for insertion and returns it with
// _id as its first field (an ObjectID is generated when absent), plus the
// _id. An array, regex or undefined _id is InvalidIdField (53); a document
// that grows past 16 MiB is BSONObjectTooLarge (10334).
func prepareInsertDoc(doc bson.Raw) (bson.Raw, bson.RawValue, error) {
	if err := doc.Validate(); err != nil {
		return nil, bson.RawValue{}, codes.New(codes.InvalidBSON, "invalid BSON document: %v", err)
	}
	id, err := doc.LookupErr("_id")
	if err == nil {
		switch id.Type {
		case bson.TypeArray:
			return nil, id, codes.New(codes.InvalidIdField, "can't use an array for _id")
		case bson.TypeRegex:
			return nil, id, codes.New(codes.InvalidIdField, "can't use a regex for _id")
		case bson.TypeUndefined:
			return nil, id, codes.New(codes.InvalidIdField, "can't use a undefined for _id")
		case bson.TypeEmbeddedDocument:
			if name, ok := dollarField(id.Document()); ok {
				return nil, id, codes.New(codes.DollarPrefixedFieldName, "_id fields may not contain '$'-prefixed fields: %s is not valid for storage.", name)
			}
		}
		if first, _ := doc.IndexErr(0); string(bsoncore.Element(first).KeyBytes()) == "_id" {
			return doc, id, nil
		}
	} else {
		oid := bson.NewObjectID()
		id = bson.RawValue{Type: bson.TypeObjectID, Value: oid[:]}
	}
	out := IDFirst(id, doc)
	if len(out) > maxDocSize {
		return nil, id, codes.New(codes.BSONObjectTooLarge, "object to insert too large. size in bytes: %d, max size: %d", len(out), maxDocSize)
	}
	return out, id, nil
}

// dollarField returns the first '$'-prefixed field name in d or its subdocuments, which mongod refuses to store
// inside an _id.
func dollarField(d bson.Raw) (string, bool) {
	elems, _ := d.Elements()
	for _, e := range elems {
		if k := e.Key(); len(k) > 0 && k[0] == '$' {
			return k, true
		}
		if sub, ok := e.Value().DocumentOK(); ok {
			if name, ok := dollarField(sub); ok {
				return name, true
			}
		}
	}
	return "", false
}

// maxDocSize is MongoDB's BSON document size limit (16 MiB).
const maxDocSize = 16 * 1024 * 1024
