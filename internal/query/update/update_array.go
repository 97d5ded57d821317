package update

import (
	"sort"
	"strings"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// pushSpec is a parsed $push argument with its modifiers.
type pushSpec struct {
	each        []bson.RawValue
	hasSlice    bool
	slice       int64
	hasPosition bool
	position    int64
	hasSort     bool
	sortDesc    bool       // whole-element sort direction
	sortKeys    []pushSort // nil: sort whole elements
}

// pushSort is one field of a $push $sort pattern.
type pushSort struct {
	path []string
	desc bool
}

// pullMatcher decides which elements $pull removes: equal values, or
// elements matching a query condition.
type pullMatcher struct {
	// filter is set for conditions. wrapped conditions ({$gte: 6}) apply to
	// the element as the field "v"; the others ({score: 8}) match embedded
	// documents as query documents.
	filter  matcher
	wrapped bool
	value   bson.RawValue
}

// pullWrapField is the field name an element takes when matched
// against an operator condition such as {$gte: 6}.
const pullWrapField = "v"

// parseArrayOp validates the argument of $push, $addToSet, $pop,
// $pull and $pullAll.
func parseArrayOp(op *operation, path string, arg bson.RawValue) (*operation, error) {
	switch op.kind {
	case kindPush:
		spec, err := parsePush(arg)
		if err != nil {
			return nil, err
		}
		op.push = spec
	case kindAddToSet:
		vals := []bson.RawValue{arg}
		if arg.Type == bson.TypeEmbeddedDocument {
			if k, ok := firstKey(arg.Document()); ok && k == "$each" {
				elems, _ := arg.Document().Elements()
				if len(elems) > 1 {
					return nil, codes.New(codes.BadValue, "Found unexpected fields after $each in $addToSet: %s", formatValue(arg))
				}
				each := elems[0].Value()
				if each.Type != bson.TypeArray {
					return nil, codes.New(codes.TypeMismatch, "The argument to $each in $addToSet must be an array but it was of type %s", value.TypeName(each.Type))
				}
				vals = arrayValues(each.Value)
			}
		}
		// Duplicates within the argument are added once.
		var uniq []bson.RawValue
		for _, v := range vals {
			if !contains(uniq, v) {
				uniq = append(uniq, v)
			}
		}
		op.values = uniq
	case kindPop:
		if !isNumber(arg.Type) {
			return nil, codes.New(codes.FailedToParse, "Expected a number in: %s", formatElement(path, arg))
		}
		f := specialFloat(arg)
		if f != 1 && f != -1 {
			return nil, codes.New(codes.FailedToParse, "$pop expects 1 or -1, found: %s", formatValue(arg))
		}
		op.popFirst = f == -1
	case kindPullAll:
		if arg.Type != bson.TypeArray {
			return nil, codes.New(codes.BadValue, "$pullAll requires an array argument but was given a %s", value.TypeName(arg.Type))
		}
		op.values = arrayValues(arg.Value)
	case kindPull:
		m, err := parsePull(arg)
		if err != nil {
			return nil, err
		}
		op.pull = m
	}
	return op, nil
}

// pushModifiers are the clauses allowed beside $each.
var pushModifiers = map[string]bool{"$each": true, "$slice": true, "$sort": true, "$position": true}

// parsePush parses {$push: {f: v}} and {$push: {f: {$each: [...],
// $slice: n, $sort: s, $position: p}}}.
func parsePush(arg bson.RawValue) (*pushSpec, error) {
	spec := &pushSpec{}
	if arg.Type != bson.TypeEmbeddedDocument {
		spec.each = []bson.RawValue{arg}
		return spec, nil
	}
	doc := arg.Document()
	if _, err := doc.LookupErr("$each"); err != nil {
		spec.each = []bson.RawValue{arg}
		return spec, nil
	}
	elems, _ := doc.Elements()
	for _, e := range elems {
		k, v := e.Key(), e.Value()
		if !pushModifiers[k] {
			return nil, codes.New(codes.BadValue, "Unrecognized clause in $push: %s", k)
		}
		switch k {
		case "$each":
			if v.Type != bson.TypeArray {
				return nil, codes.New(codes.BadValue, "The argument to $each in $push must be an array but it was of type: %s", value.TypeName(v.Type))
			}
			spec.each = arrayValues(v.Value)
		case "$slice":
			n, ok := wholeNumber(v)
			if !ok {
				return nil, codes.New(codes.BadValue, "The value for $slice must be an integer value but was given type: %s", value.TypeName(v.Type))
			}
			spec.hasSlice, spec.slice = true, n
		case "$position":
			n, ok := wholeNumber(v)
			if !ok {
				return nil, codes.New(codes.BadValue, "The value for $position must be an integer value, not of type: %s", value.TypeName(v.Type))
			}
			spec.hasPosition, spec.position = true, n
		case "$sort":
			if err := parsePushSort(spec, v); err != nil {
				return nil, err
			}
		}
	}
	return spec, nil
}

// parsePushSort parses $sort: 1 / -1, or {field: 1 / -1, ...}.
func parsePushSort(spec *pushSpec, v bson.RawValue) error {
	invalid := codes.New(codes.BadValue, "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields")
	spec.hasSort = true
	if isNumber(v.Type) {
		f := specialFloat(v)
		if f != 1 && f != -1 {
			return invalid
		}
		spec.sortDesc = f == -1
		return nil
	}
	if v.Type != bson.TypeEmbeddedDocument {
		return invalid
	}
	elems, _ := v.Document().Elements()
	if len(elems) == 0 {
		return codes.New(codes.BadValue, "The $sort pattern is empty when it should be a set of fields.")
	}
	for _, e := range elems {
		k, dir := e.Key(), e.Value()
		if !isNumber(dir.Type) {
			return invalid
		}
		f := specialFloat(dir)
		if f != 1 && f != -1 {
			return invalid
		}
		parts := strings.Split(k, ".")
		for _, p := range parts {
			if p == "" {
				return codes.New(codes.BadValue, "The $sort field is a dotted field but has an empty part: %s", k)
			}
		}
		spec.sortKeys = append(spec.sortKeys, pushSort{path: parts, desc: f == -1})
	}
	return nil
}

// wholeNumber returns a number with no fractional part as int64.
func wholeNumber(v bson.RawValue) (int64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return int64(v.Int32()), true
	case bson.TypeInt64:
		return v.Int64(), true
	case bson.TypeDouble, bson.TypeDecimal128:
		f := specialFloat(v)
		if f != f || f > 1<<53 || f < -(1<<53) || f != float64(int64(f)) {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// parsePull chooses how $pull matches elements, as MongoDB's
// PullNode does: a document whose first field is a query operator is a
// condition on the element itself; any other document is a query on
// embedded-document elements; anything else is compared for equality.
func parsePull(arg bson.RawValue) (*pullMatcher, error) {
	switch arg.Type {
	case bson.TypeEmbeddedDocument:
		first, _ := firstKey(arg.Document())
		if strings.HasPrefix(first, "$") && !topLevelQueryOps[first] {
			f, err := compileMatcher(wrap(pullWrapField, arg))
			if err != nil {
				return nil, err
			}
			return &pullMatcher{filter: f, wrapped: true}, nil
		}
		f, err := compileMatcher(arg.Document())
		if err != nil {
			return nil, err
		}
		return &pullMatcher{filter: f}, nil
	case bson.TypeRegex:
		f, err := compileMatcher(wrap(pullWrapField, arg))
		if err != nil {
			return nil, err
		}
		return &pullMatcher{filter: f, wrapped: true}, nil
	}
	return &pullMatcher{value: arg}, nil
}

// topLevelQueryOps are the operators that start a query document
// rather than a condition on one field.
var topLevelQueryOps = map[string]bool{
	"$and": true, "$or": true, "$nor": true, "$expr": true, "$where": true,
	"$text": true, "$comment": true, "$jsonSchema": true, "$alwaysTrue": true, "$alwaysFalse": true,
}

// matches reports whether $pull removes elem.
func (m *pullMatcher) matches(elem bson.RawValue) bool {
	switch {
	case m.filter == nil:
		return value.Compare(elem, m.value) == 0
	case m.wrapped:
		return m.filter.Match(wrap(pullWrapField, elem))
	case elem.Type == bson.TypeEmbeddedDocument:
		return m.filter.Match(elem.Document())
	}
	return false
}

// wrap builds the document {key: v}.
func wrap(key string, v bson.RawValue) bson.Raw {
	doc := make([]byte, 4, len(v.Value)+len(key)+7)
	doc = appendElem(doc, key, v)
	doc = append(doc, 0)
	return bson.Raw(finishDoc(doc))
}

// arrayValues lists the elements of a BSON array.
func arrayValues(arr []byte) []bson.RawValue {
	var out []bson.RawValue
	if len(arr) < 5 {
		return out
	}
	rem := arr[4 : len(arr)-1]
	for len(rem) > 0 {
		e, r, ok := bsoncore.ReadElement(rem)
		if !ok {
			break
		}
		rem = r
		v := e.Value()
		out = append(out, bson.RawValue{Type: bson.Type(v.Type), Value: v.Data})
	}
	return out
}

// buildArray encodes values as a BSON array.
func buildArray(vals []bson.RawValue) bson.RawValue {
	size := 5
	for _, v := range vals {
		size += len(v.Value) + 8
	}
	out := make([]byte, 4, size)
	for i, v := range vals {
		out = appendElem(out, itoa(i), v)
	}
	out = append(out, 0)
	return bson.RawValue{Type: bson.TypeArray, Value: finishDoc(out)}
}

// contains reports whether vals holds a value equal to v.
func contains(vals []bson.RawValue, v bson.RawValue) bool {
	for _, x := range vals {
		if value.Compare(x, v) == 0 {
			return true
		}
	}
	return false
}

// applyArrayOp applies $push, $addToSet, $pop, $pull or $pullAll to cur.
func (a *applier) applyArrayOp(op *operation, key string, cur bson.RawValue, path string) (bson.RawValue, error) {
	if cur.Type == 0 {
		switch op.kind {
		case kindPush:
			return buildArray(op.push.apply(nil)), nil
		case kindAddToSet:
			return buildArray(op.values), nil
		}
		return cur, nil
	}
	if cur.Type != bson.TypeArray {
		switch op.kind {
		case kindPush:
			return bson.RawValue{}, codes.New(codes.BadValue, "The field '%s' must be an array but is of type %s in document {%s}",
				key, value.TypeName(cur.Type), a.idString())
		case kindAddToSet:
			return bson.RawValue{}, codes.New(codes.BadValue, "Cannot apply $addToSet to non-array field. Field named '%s' has non-array type %s",
				key, value.TypeName(cur.Type))
		case kindPop:
			return bson.RawValue{}, codes.New(codes.TypeMismatch, "Path '%s' contains an element of non-array type '%s'", path, value.TypeName(cur.Type))
		}
		return bson.RawValue{}, codes.New(codes.BadValue, "Cannot apply %s to a non-array value", op.name)
	}
	elems := arrayValues(cur.Value)
	switch op.kind {
	case kindPush:
		return buildArray(op.push.apply(elems)), nil
	case kindAddToSet:
		added := false
		for _, v := range op.values {
			if !contains(elems, v) {
				elems = append(elems, v)
				added = true
			}
		}
		if !added {
			return cur, nil
		}
		return buildArray(elems), nil
	case kindPop:
		if len(elems) == 0 {
			return cur, nil
		}
		if op.popFirst {
			return buildArray(elems[1:]), nil
		}
		return buildArray(elems[:len(elems)-1]), nil
	}
	kept := elems[:0:0]
	for _, e := range elems {
		var remove bool
		if op.kind == kindPull {
			remove = op.pull.matches(e)
		} else {
			remove = contains(op.values, e)
		}
		if !remove {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(elems) {
		return cur, nil
	}
	return buildArray(kept), nil
}

// apply inserts $each at $position (default: the end), then sorts, then
// slices, the order MongoDB documents for $push modifiers.
func (s *pushSpec) apply(elems []bson.RawValue) []bson.RawValue {
	pos := int64(len(elems))
	if s.hasPosition {
		pos = s.position
		if pos < 0 {
			pos += int64(len(elems))
			if pos < 0 {
				pos = 0
			}
		}
		if pos > int64(len(elems)) {
			pos = int64(len(elems))
		}
	}
	out := make([]bson.RawValue, 0, len(elems)+len(s.each))
	out = append(out, elems[:pos]...)
	out = append(out, s.each...)
	out = append(out, elems[pos:]...)
	if s.hasSort {
		sort.SliceStable(out, func(i, j int) bool { return s.less(out[i], out[j]) })
	}
	if s.hasSlice {
		n := int64(len(out))
		switch {
		case s.slice >= 0 && s.slice < n:
			out = out[:s.slice]
		case s.slice < 0 && -s.slice < n:
			out = out[n+s.slice:]
		}
	}
	return out
}

// less orders two elements by the $sort of a $push.
func (s *pushSpec) less(x, y bson.RawValue) bool {
	if s.sortKeys == nil {
		c := value.Compare(x, y)
		if s.sortDesc {
			return c > 0
		}
		return c < 0
	}
	for _, k := range s.sortKeys {
		c := value.Compare(sortValue(x, k.path), sortValue(y, k.path))
		if k.desc {
			c = -c
		}
		if c != 0 {
			return c < 0
		}
	}
	return false
}

// null is the BSON null value.
var null = bson.RawValue{Type: bson.TypeNull}

// sortValue extracts a $sort field from an element; missing fields
// and non-document elements sort as null.
func sortValue(v bson.RawValue, path []string) bson.RawValue {
	for _, p := range path {
		switch v.Type {
		case bson.TypeEmbeddedDocument, bson.TypeArray:
			if v.Type == bson.TypeArray && arrayIndex(p) < 0 {
				return null
			}
			next, ok := lookupTop(v.Value, p)
			if !ok {
				return null
			}
			v = next
		default:
			return null
		}
	}
	return v
}

// compileArrayFilters compiles arrayFilters by identifier. Each
// filter's top-level fields must all start with one identifier (a lowercase
// letter followed by letters and digits); identifiers may not repeat.
func compileArrayFilters(filters []bson.Raw) (map[string]matcher, error) {
	out := map[string]matcher{}
	for _, f := range filters {
		if err := validate(f, "array filter"); err != nil {
			return nil, err
		}
		id, err := filterIdentifier(f, 0)
		if err != nil {
			return nil, err
		}
		if id == "" {
			return nil, codes.New(codes.FailedToParse, "Cannot use an expression without a top-level field name in arrayFilters")
		}
		if !validIdentifier(id) {
			return nil, codes.New(codes.BadValue, "Error parsing array filter :: caused by :: The top-level field name must be an alphanumeric string beginning with a lowercase letter, found '%s'", id)
		}
		if _, dup := out[id]; dup {
			return nil, codes.New(codes.FailedToParse, "Found multiple array filters with the same top-level field name %s", id)
		}
		m, err := compileMatcher(f)
		if err != nil {
			return nil, err
		}
		out[id] = m
	}
	return out, nil
}

// filterIdentifier finds the identifier an array filter is about,
// looking inside $and / $or / $nor.
func filterIdentifier(f bson.Raw, depth int) (string, error) {
	if depth > 100 {
		return "", codes.New(codes.FailedToParse, "array filter nested too deeply")
	}
	elems, err := f.Elements()
	if err != nil {
		return "", codes.New(codes.FailedToParse, "invalid array filter: %v", err)
	}
	id := ""
	merge := func(other string) error {
		if other == "" {
			return nil
		}
		if id != "" && id != other {
			return codes.New(codes.FailedToParse, "Error parsing array filter :: caused by :: Expected a single top-level field name, found '%s' and '%s'", id, other)
		}
		id = other
		return nil
	}
	for _, e := range elems {
		k := e.Key()
		if k == "$and" || k == "$or" || k == "$nor" {
			v := e.Value()
			if v.Type != bson.TypeArray {
				continue
			}
			for _, sub := range arrayValues(v.Value) {
				if sub.Type != bson.TypeEmbeddedDocument {
					continue
				}
				sid, err := filterIdentifier(sub.Document(), depth+1)
				if err != nil {
					return "", err
				}
				if err := merge(sid); err != nil {
					return "", err
				}
			}
			continue
		}
		if strings.HasPrefix(k, "$") {
			continue
		}
		head, _, _ := strings.Cut(k, ".")
		if err := merge(head); err != nil {
			return "", err
		}
	}
	return id, nil
}

// validIdentifier reports whether id is a lowercase letter followed
// by ASCII letters and digits.
func validIdentifier(id string) bool {
	if id == "" || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for i := 1; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
