package filter

import (
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// walk yields the values path denotes in doc exactly as MongoDB's
// BSONElementIterator does: a missing field yields one missing value; an
// array met before the end of the path is traversed (documents in it are
// searched for the rest of the path, and a numeric next part also indexes
// it); an array at the end of the path yields each element and then the
// whole array, unless leafArrays is false, in which case only the whole array
// is yielded (the behaviour of $size and $elemMatch).
func walk(doc []byte, p *value.Path, start int, leafArrays bool, override int, vis *visit) bool {
	cur := doc
	i := start
	var v bson.RawValue
	for {
		v = value.Lookup(cur, p.Parts[i])
		if v.Type == 0 {
			return yield(vis, v, -1, override)
		}
		if i == len(p.Parts)-1 || v.Type == bson.TypeArray {
			break
		}
		if v.Type != bson.TypeEmbeddedDocument {
			return yield(vis, bson.RawValue{}, -1, override)
		}
		cur = v.Value
		i++
	}
	if v.Type != bson.TypeArray {
		return yield(vis, v, -1, override)
	}
	if i == len(p.Parts)-1 && !leafArrays {
		return yield(vis, v, -1, override)
	}
	return walkArray(v, p, i+1, leafArrays, override, vis)
}

// walkArray traverses the array arr with the path remaining from part
// rest (rest == len(parts) means the path ends at arr).
func walkArray(arr bson.RawValue, p *value.Path, rest int, leafArrays bool, override int, vis *visit) bool {
	it := value.IterOf(arr.Value)
	more := rest < len(p.Parts)
	want := -1
	if more {
		want = p.Num[rest]
	}
	for k := 0; ; k++ {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		if !more {
			if yield(vis, e, k, override) {
				return true
			}
			continue
		}
		sub := override
		if sub < 0 {
			sub = k
		}
		if e.Type == bson.TypeEmbeddedDocument {
			if walk(e.Value, p, rest, leafArrays, sub, vis) {
				return true
			}
		}
		if k != want {
			continue
		}
		// Array offset match: the element itself is addressed by the path.
		if rest == len(p.Parts)-1 {
			if yield(vis, e, -1, override) {
				return true
			}
			continue
		}
		switch e.Type {
		case bson.TypeEmbeddedDocument:
			if walk(e.Value, p, rest+1, leafArrays, override, vis) {
				return true
			}
		case bson.TypeArray:
			if walkArray(e, p, rest+1, leafArrays, override, vis) {
				return true
			}
		}
	}
	if more {
		return false
	}
	return yield(vis, arr, -1, override)
}

// yield hands v to the visitor with the outermost array offset. The
// visitor is a concrete type, not an interface, so that it stays on the
// caller's stack: Match must not allocate.
func yield(vis *visit, v bson.RawValue, off, override int) bool {
	if override >= 0 {
		off = override
	}
	return vis.visit(v, off)
}
