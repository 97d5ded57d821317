package order

import (
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Key is one key of a sort specification.
type Key struct {
	Path string
	Desc bool
}

// Sort is a compiled sort specification ({a: 1, "b.c": -1}). It is
// immutable and safe for concurrent use.
type Sort struct {
	keys  []Key
	paths []value.Path
	coll  value.StringComparer // nil: strings compare by bytes
}

// CompileColl is Compile under a collation: strings order by sc (nil: bytes).
func CompileColl(sort bson.Raw, sc value.StringComparer) (*Sort, error) {
	s, err := Compile(sort)
	if err != nil || s == nil {
		return s, err
	}
	s.coll = sc
	return s, nil
}

// Collated reports whether the sort orders strings under a collation.
func (s *Sort) Collated() bool { return s != nil && s.coll != nil }

// Compile parses a sort specification. A nil or empty spec means no
// sort (Compare reports every pair equal). Errors are MongoDB's: 15974 for a
// non-numeric direction, 15975 for a number other than 1 or -1, 40352 /
// 15998 / 16410 for an empty path, an empty path component or a '$'-prefixed
// component, BadValue for {$meta: ...} (text search is not supported).
func Compile(sort bson.Raw) (*Sort, error) {
	s := &Sort{}
	if len(sort) == 0 {
		return s, nil
	}
	if err := sort.Validate(); err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid sort document: %v", err)
	}
	it := value.IterOf(sort)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		path := string(k)
		if err := checkPath(path); err != nil {
			return nil, err
		}
		if v.Type == bson.TypeEmbeddedDocument {
			if value.Lookup(v.Value, "$meta").Type != 0 {
				return nil, codes.New(codes.BadValue, "$meta sort by %s is not supported", value.Lookup(v.Value, "$meta"))
			}
		}
		if !value.IsNumberType(v.Type) {
			return nil, codes.New(15974, "Illegal key in $sort specification: %s: %s", path, v.String())
		}
		var desc bool
		switch {
		case equal(v, one):
		case equal(v, minusOne):
			desc = true
		default:
			return nil, codes.New(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
		}
		s.keys = append(s.keys, Key{Path: path, Desc: desc})
		s.paths = append(s.paths, value.ParsePath(path))
	}
	return s, nil
}

// Constant values used when compiling and comparing sort keys.
var (
	one      = bson.RawValue{Type: bson.TypeInt32, Value: []byte{1, 0, 0, 0}}
	minusOne = bson.RawValue{Type: bson.TypeInt32, Value: []byte{0xff, 0xff, 0xff, 0xff}}
	null     = bson.RawValue{Type: bson.TypeNull}
	// emptyArray is the key of an empty array: below null and missing,
	// as MongoDB sorts it. Undefined has that rank and never occurs in
	// documents Concord stores.
	emptyArray = bson.RawValue{Type: bson.TypeUndefined}
)

// checkPath applies MongoDB's FieldPath rules to a sort key.
func checkPath(path string) error {
	if path == "" {
		return codes.New(codes.Location40352, "FieldPath cannot be constructed with empty string")
	}
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			return codes.New(codes.Location15998, "FieldPath field names may not be empty strings.")
		}
		if part[0] == '$' {
			return codes.New(16410, "FieldPath field names may not start with '$'. Consider using $getField or $setField.")
		}
	}
	return nil
}

// Keys returns the sort keys in order. The slice is shared; do not modify
// it.
func (s *Sort) Keys() []Key {
	if s == nil {
		return nil
	}
	return s.keys
}

// Compare orders documents a and b by the sort keys: -1 when a sorts first,
// 1 when b does, 0 when the keys tie (callers keep ties in a stable order).
// As in MongoDB, a missing field sorts as null, an array sorts by its
// smallest element ascending and its largest element descending, and an
// empty array sorts before null.
func (s *Sort) Compare(a, b bson.Raw) int {
	if s == nil {
		return 0
	}
	for i := range s.paths {
		desc := s.keys[i].Desc
		ka := keyOf(a, &s.paths[i], desc, s.coll)
		kb := keyOf(b, &s.paths[i], desc, s.coll)
		c := value.CompareWith(ka, kb, s.coll)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

// acc keeps the extreme value of the candidates a sort path yields.
type acc struct {
	coll value.StringComparer
	desc bool
	best bson.RawValue
	have bool
}

// add keeps v when it is a better extreme than the current one.
func (acc *acc) add(v bson.RawValue) {
	if !acc.have {
		acc.best, acc.have = v, true
		return
	}
	c := value.CompareWith(v, acc.best, acc.coll)
	if (acc.desc && c > 0) || (!acc.desc && c < 0) {
		acc.best = v
	}
}

// keyOf returns the value doc sorts by on path p.
func keyOf(doc bson.Raw, p *value.Path, desc bool, coll value.StringComparer) bson.RawValue {
	acc := acc{desc: desc, coll: coll}
	collect(doc, p, 0, &acc)
	if !acc.have {
		return null
	}
	return acc.best
}

// collect gathers the sort-key candidates of p from part i of doc, in
// the manner of MongoDB's sort key generator: documents are descended,
// arrays contribute each element (or, when the next part is an index that
// exists, that element), and a missing value contributes null.
func collect(doc []byte, p *value.Path, i int, acc *acc) {
	v := value.Lookup(doc, p.Parts[i])
	collectValue(v, p, i+1, acc)
}

// collectValue handles value v reached before part i.
func collectValue(v bson.RawValue, p *value.Path, i int, acc *acc) {
	last := i == len(p.Parts)
	switch v.Type {
	case 0:
		acc.add(null)
	case bson.TypeEmbeddedDocument:
		if last {
			acc.add(v)
			return
		}
		collect(v.Value, p, i, acc)
	case bson.TypeArray:
		it := value.IterOf(v.Value)
		if !last && p.Num[i] >= 0 {
			if e := value.ArrayElem(v, p.Num[i]); e.Type != 0 {
				collectValue(e, p, i+1, acc)
				return
			}
		}
		n := 0
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			n++
			switch {
			case last:
				acc.add(e)
			case e.Type == bson.TypeEmbeddedDocument:
				collect(e.Value, p, i, acc)
			default:
				acc.add(null)
			}
		}
		if n == 0 {
			acc.add(emptyArray)
		}
	default:
		if last {
			acc.add(v)
			return
		}
		acc.add(null)
	}
}

// equal is a filter's {$eq: n} for a numeric n: v is a number of any
// type equal to n (NaN equals nothing here).
func equal(v, n bson.RawValue) bool {
	return value.CanonicalRank(v.Type) == value.CanonicalRank(n.Type) && !value.IsNaN(v) && value.CompareSameRank(v, n) == 0
}
