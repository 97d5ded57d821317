package merge

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// Kind is what a field's rule does when both sides changed it differently.
type Kind int8

const (
	// Error reports the collision and writes nothing: the default.
	Error Kind = iota
	// Mine takes the caller's value.
	Mine
	// Theirs keeps the stored value.
	Theirs
	// LWW takes the value changed last by the field timestamps (Policy.TimestampField), the caller's when
	// neither side has a timestamp for the field (the caller's write is the later one).
	LWW
	// Custom asks Policy.Resolver.
	Custom
	// Atomic treats an array as one value (the default for arrays): a collision falls to Policy.Default.
	Atomic
	// Set merges arrays as sets: the stored elements, minus the ones the caller removed from the base, plus
	// the ones the caller added; how $addToSet and $pull users think.
	Set
	// Keyed matches the elements of an array of documents by the field Rule.Key and merges matched elements
	// field by field (the rules of their fields are the array's path followed by the field name).
	Keyed
	// Append keeps both sides' elements appended to the base, the stored ones first; when either side did
	// more than append, the collision falls to Policy.Default.
	Append
	// Counter takes base + (mine - base) + (theirs - base), then checks Rule.Min and Rule.Max: a result out of
	// bounds is a conflict. Types are kept (int32 stays int32 while it fits); decimal128 counters collide.
	Counter
)

var kindNames = [...]string{Error: "error", Mine: "mine", Theirs: "theirs", LWW: "lww", Custom: "custom", Atomic: "atomic",
	Set: "set", Keyed: "keyed", Append: "append", Counter: "counter"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Rule is the merge rule of one field path.
type Rule struct {
	Kind Kind
	// Key names the key field of a Keyed array.
	Key string
	// Min and Max bound a Counter, when set.
	Min, Max *float64
}

// Resolver decides a collision for a Custom rule or the Custom strategy: it gets the path and the three values
// (a zero bson.RawValue, Type 0, for a missing one) and returns the value to keep (Type 0 to leave the field
// out). An error is reported as the path's conflict.
type Resolver func(path string, base, mine, theirs bson.RawValue) (bson.RawValue, error)

// Policy is a type's merge policy: a rule per field path, declared once (by hand or from struct tags with
// PolicyOf) and used by every merge of that type's documents. A nil *Policy is all defaults. A Policy must not
// be changed once in use; it is then safe for concurrent use.
type Policy struct {
	// Fields maps a dotted path ("title", "address.city", "lines.qty" for a field of the elements of a Keyed
	// array "lines") to its rule.
	Fields map[string]Rule
	// Default decides the collisions of paths without a rule (and of Atomic arrays, and of Append and Counter
	// fields that cannot apply): Error unless set to Mine, Theirs, LWW or Custom.
	Default Kind
	// Resolver is called for Custom rules and the Custom strategy.
	Resolver Resolver
	// Ignore lists the top-level fields the merge leaves to the stored document, never reported: the _id, the
	// version field and the audit stamps belong to the write pipeline. Nil means _id, version, __v, _version,
	// createdAt, createdBy, lastModified and modifiedBy.
	Ignore []string
	// TimestampField names the top-level sub-document that keeps each field's last modification time
	// ({"title": date, "address.city": date}); "_modified" by default. Touch maintains it.
	TimestampField string
}

var defaultIgnore = []string{"_id", "version", "__v", "_version", "createdAt", "createdBy", "lastModified", "modifiedBy"}

func (p *Policy) rule(path string) Rule {
	if p == nil {
		return Rule{}
	}
	return p.Fields[path]
}

func (p *Policy) ignored(key string) bool {
	list := defaultIgnore
	if p != nil && p.Ignore != nil {
		list = p.Ignore
	}
	for _, k := range list {
		if k == key {
			return true
		}
	}
	return key == p.timestampField()
}

func (p *Policy) timestampField() string {
	if p == nil || p.TimestampField == "" {
		return "_modified"
	}
	return p.TimestampField
}

var policies sync.Map // reflect.Type -> *Policy or error

// PolicyOf returns the policy declared by the `merge` struct tags of T (a struct), read once per type:
//
//	type Order struct {
//		ID      string   `bson:"_id"`
//		Version int64    `bson:"version"`
//		Note    string   `bson:"note" merge:"lww"`
//		Tags    []string `bson:"tags" merge:"set"`
//		Lines   []Line   `bson:"lines" merge:"keyed(sku)"`
//		Stock   int64    `bson:"stock" merge:"counter,min=0"`
//	}
//
// Tags: error, mine, theirs, lww, custom, atomic, set, keyed(field), append, counter[,min=N][,max=N].
// Nested structs and the element structs of keyed arrays are read too, their paths prefixed by the parent's.
func PolicyOf[T any]() (*Policy, error) {
	t := reflect.TypeFor[T]()
	if v, ok := policies.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*Policy), nil
	}
	p := &Policy{Fields: map[string]Rule{}}
	err := readTags(t, "", p, 0)
	if err != nil {
		policies.Store(t, err)
		return nil, err
	}
	policies.Store(t, p)
	return p, nil
}

func readTags(t reflect.Type, prefix string, p *Policy, depth int) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || depth > 16 {
		return nil
	}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("bson"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		path := prefix + name
		if tag, ok := f.Tag.Lookup("merge"); ok {
			r, err := parseRule(tag)
			if err != nil {
				return fmt.Errorf("merge: %v.%s: %w", t, f.Name, err)
			}
			p.Fields[path] = r
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[bson.ObjectID]() && ft.PkgPath() != "time" {
			if err := readTags(ft, path+".", p, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// ParseRule reads a rule as the merge struct tag writes it.
func ParseRule(tag string) (Rule, error) { return parseRule(tag) }

func parseRule(tag string) (Rule, error) {
	parts := strings.Split(tag, ",")
	var r Rule
	head := strings.TrimSpace(parts[0])
	switch {
	case strings.HasPrefix(head, "keyed(") && strings.HasSuffix(head, ")"):
		r.Kind, r.Key = Keyed, strings.TrimSuffix(strings.TrimPrefix(head, "keyed("), ")")
		if r.Key == "" {
			return r, fmt.Errorf("keyed() needs a key field")
		}
	default:
		found := false
		for k, n := range kindNames {
			if n == head && Kind(k) != Keyed {
				r.Kind, found = Kind(k), true
			}
		}
		if !found {
			return r, fmt.Errorf("unknown merge rule %q", head)
		}
	}
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(opt), "=")
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || r.Kind != Counter || (k != "min" && k != "max") {
			return r, fmt.Errorf("bad merge option %q", opt)
		}
		if k == "min" {
			r.Min = &f
		} else {
			r.Max = &f
		}
	}
	return r, nil
}
