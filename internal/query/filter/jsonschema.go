package filter

import (
	"math"
	"math/big"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/value"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// $jsonSchema: MongoDB's dialect of JSON Schema draft 4 as a query predicate
// and as a collection validator (json_schema_parser.cpp in mongod).
//
// The rules are MongoDB's, not draft 4's where they differ:
//   - a keyword that restricts one kind of value (minimum for numbers,
//     minLength for strings, minItems for arrays, required for objects, ...)
//     holds for every value of another kind; so {properties: {a: {minimum:
//     5}}} accepts {a: "x"} and a missing a;
//   - at the top level the value is the document itself: scalar and array
//     keywords have no effect there, and a type that excludes "object"
//     matches nothing;
//   - bsonType names BSON types ($type's aliases and "number"), type the
//     JSON ones ("object", "array", "number", "boolean", "string", "null";
//     "integer" is refused);
//   - $ref, $schema, default, definitions, format and id are refused, as is
//     any unknown keyword.
// Values are never traversed as arrays: {properties: {a: {bsonType:
// "int"}}} rejects {a: [1]}.

// schema is one compiled (sub)schema. It is immutable once compiled.
type schema struct {
	raw bson.Raw // the schema document, for annotations and errors

	typeKw   string // "type" or "bsonType"; "" when neither is given
	typeSpec bson.RawValue
	types    typeSet

	// scalar keywords
	pattern      *value.Regex
	patternSpec  bson.RawValue
	minLength    int64
	maxLength    int64
	hasMinLen    bool
	hasMaxLen    bool
	minLenSpec   bson.RawValue
	maxLenSpec   bson.RawValue
	multipleOf   *big.Rat
	multSpec     bson.RawValue
	maximum      bson.RawValue // Type 0 = absent
	minimum      bson.RawValue
	exclusiveMax bool
	exclusiveMin bool

	// array keywords
	minItems, maxItems       int64
	hasMinItems, hasMaxItems bool
	minItemsSpec             bson.RawValue
	maxItemsSpec             bson.RawValue
	uniqueItems              bool
	items                    *schema   // items: {schema}
	itemsList                []*schema // items: [schemas]
	itemsIsList              bool
	hasItems                 bool
	itemsSpec                bson.RawValue
	additionalItems          *schema // additionalItems: {schema}
	additionalItemsBool      *bool
	additionalItemsSpec      bson.RawValue

	// object keywords
	required          []string // sorted
	requiredSpec      bson.RawValue
	properties        []schemaProperty
	hasProperties     bool
	patternProperties []schemaPattern
	hasAllowed        bool // patternProperties or additionalProperties given
	additionalSchema  *schema
	additionalBool    *bool
	additionalSpec    bson.RawValue
	minProps          int64
	maxProps          int64
	hasMinProps       bool
	hasMaxProps       bool
	minPropsSpec      bson.RawValue
	maxPropsSpec      bson.RawValue
	dependencies      []schemaDependency

	// logical keywords
	allOf, anyOf, oneOf []*schema
	not                 *schema
	enum                []bson.RawValue
	enumSpec            bson.RawValue
}

// schemaProperty is one entry of properties.
type schemaProperty struct {
	name string
	s    *schema
}

// schemaPattern is one entry of patternProperties.
type schemaPattern struct {
	re  *value.Regex
	src string
	s   *schema
}

// schemaDependency is one entry of dependencies: a schema the object must
// match, or properties it must have, when it has name.
type schemaDependency struct {
	name  string
	s     *schema
	props []string
	spec  bson.RawValue
}

// typeSet is the set of types a type or bsonType keyword allows.
type typeSet struct {
	number bool
	types  []bson.Type
}

// has reports whether t is in the set.
func (ts typeSet) has(t bson.Type) bool {
	if ts.number && value.IsNumberType(t) {
		return true
	}
	for _, x := range ts.types {
		if x == t {
			return true
		}
	}
	return false
}

// single returns the one kind of value the set allows (a number type stands for "number"), or 0 when it allows
// several: a restriction on another kind then has no effect (makeRestriction in mongod).
func (ts typeSet) single() bson.Type {
	switch {
	case ts.number && len(ts.types) == 0:
		return bson.TypeInt32
	case !ts.number && len(ts.types) == 1:
		return ts.types[0]
	}
	return 0
}

// jsonTypes are the type keyword's names.
var jsonTypes = map[string][]bson.Type{
	"object":  {bson.TypeEmbeddedDocument},
	"array":   {bson.TypeArray},
	"boolean": {bson.TypeBoolean},
	"string":  {bson.TypeString},
	"null":    {bson.TypeNull},
}

// schemaKeywords are the keywords MongoDB knows, in no particular order.
var schemaKeywords = map[string]bool{
	"additionalItems": true, "additionalProperties": true, "allOf": true, "anyOf": true, "bsonType": true,
	"dependencies": true, "description": true, "encrypt": true, "encryptMetadata": true, "enum": true,
	"exclusiveMaximum": true, "exclusiveMinimum": true, "items": true, "maxItems": true, "maxLength": true,
	"maxProperties": true, "maximum": true, "minItems": true, "minLength": true, "minProperties": true,
	"minimum": true, "multipleOf": true, "not": true, "oneOf": true, "pattern": true, "patternProperties": true,
	"properties": true, "required": true, "title": true, "type": true, "uniqueItems": true,
}

// unsupportedKeywords are the JSON Schema keywords mongod refuses by name.
var unsupportedKeywords = map[string]bool{
	"$ref": true, "$schema": true, "default": true, "definitions": true, "format": true, "id": true,
}

// schemaNode is the $jsonSchema predicate on the whole document.
type schemaNode struct{ s *schema }

// match checks the document against the schema.
func (n *schemaNode) match(doc []byte) (bool, int) {
	return n.s.check(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, true, nil), -1
}

// compileJSONSchema compiles the argument of $jsonSchema.
func compileJSONSchema(v bson.RawValue, depth int) (*schema, error) {
	if v.Type != bson.TypeEmbeddedDocument {
		return nil, codes.New(codes.TypeMismatch, "$jsonSchema must be an object")
	}
	return parseSchema(v.Value, depth)
}

// CompileJSONSchema compiles a $jsonSchema document on its own, returning mongod's parse errors (FailedToParse
// 9, TypeMismatch 14, BadValue 2, 51091 for a bad pattern). It is for tests and fuzzing of the parser; filters
// compile $jsonSchema themselves.
func CompileJSONSchema(doc bson.Raw) error {
	if err := doc.Validate(); err != nil {
		return codes.New(codes.InvalidBSON, "invalid schema document: %v", err)
	}
	_, err := parseSchema(append(bson.Raw(nil), doc...), 0)
	return err
}

// schemaErr is a FailedToParse error about a keyword.
func schemaErr(code codes.Code, format string, args ...any) error {
	return codes.New(code, format, args...)
}

// parseSchema compiles one schema document, checking keywords in mongod's order so that the first error
// reported is the one mongod reports.
func parseSchema(doc bson.Raw, depth int) (*schema, error) {
	if depth > maxDepth {
		return nil, bad("exceeded maximum query depth of %d", maxDepth)
	}
	s := &schema{raw: doc}
	kw := map[string]bson.RawValue{}
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		name := string(k)
		if !schemaKeywords[name] {
			if unsupportedKeywords[name] {
				return nil, schemaErr(codes.FailedToParse, "$jsonSchema keyword '%s' is not currently supported", name)
			}
			return nil, schemaErr(codes.FailedToParse, "Unknown $jsonSchema keyword: %s", name)
		}
		if _, dup := kw[name]; dup {
			return nil, schemaErr(codes.FailedToParse, "Duplicate $jsonSchema keyword: %s", name)
		}
		kw[name] = v
	}
	for _, m := range []string{"description", "title"} {
		if v, ok := kw[m]; ok && v.Type != bson.TypeString {
			return nil, schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be of type string", m)
		}
	}
	if _, ok := kw["encrypt"]; ok {
		return nil, schemaErr(codes.QueryFeatureNotAllowed, "Encryption-related validator keywords are not allowed in this context")
	}
	if _, ok := kw["encryptMetadata"]; ok {
		return nil, schemaErr(codes.QueryFeatureNotAllowed, "Encryption-related validator keywords are not allowed in this context")
	}
	t, hasType := kw["type"]
	bt, hasBSONType := kw["bsonType"]
	switch {
	case hasType && hasBSONType:
		return nil, schemaErr(codes.FailedToParse, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'")
	case hasType:
		if err := s.parseTypes("type", t); err != nil {
			return nil, err
		}
	case hasBSONType:
		if err := s.parseTypes("bsonType", bt); err != nil {
			return nil, err
		}
	}
	if err := s.parseScalar(kw); err != nil {
		return nil, err
	}
	if err := s.parseArray(kw, depth); err != nil {
		return nil, err
	}
	if err := s.parseObject(kw, depth); err != nil {
		return nil, err
	}
	if err := s.parseLogical(kw, depth); err != nil {
		return nil, err
	}
	return s, nil
}

// parseTypes compiles type or bsonType.
func (s *schema) parseTypes(kw string, v bson.RawValue) error {
	var names []string
	switch v.Type {
	case bson.TypeString:
		names = []string{string(value.StringBytes(v.Value))}
	case bson.TypeArray:
		seen := map[string]bool{}
		it := value.IterOf(v.Value)
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			if e.Type != bson.TypeString {
				return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' array elements must be strings", kw)
			}
			n := string(value.StringBytes(e.Value))
			if n == "integer" {
				return schemaErr(codes.FailedToParse, "$jsonSchema type 'integer' is not currently supported.")
			}
			if seen[n] {
				return schemaErr(codes.FailedToParse, "$jsonSchema keyword '%s' has duplicate value: %s", kw, n)
			}
			seen[n] = true
			names = append(names, n)
		}
	default:
		return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be either a string or an array of strings", kw)
	}
	var ts typeSet
	for _, n := range names {
		if n == "integer" {
			return schemaErr(codes.FailedToParse, "$jsonSchema type 'integer' is not currently supported.")
		}
		if n == "number" {
			ts.number = true
			continue
		}
		if kw == "type" {
			t, ok := jsonTypes[n]
			if !ok {
				return schemaErr(codes.BadValue, "Unknown JSON Schema alias: %s", n)
			}
			ts.types = append(ts.types, t...)
			continue
		}
		t, ok := value.TypeAliases[n]
		if !ok {
			return schemaErr(codes.BadValue, "Unknown type name alias: %s", n)
		}
		ts.types = append(ts.types, t)
	}
	if !ts.number && len(ts.types) == 0 {
		return schemaErr(codes.FailedToParse, "$jsonSchema keyword '%s' must name at least one type", kw)
	}
	s.typeKw, s.typeSpec, s.types = kw, v, ts
	return nil
}

// readCount reads the count keyword name (minLength, maxItems, ...) when kw has it: its value into n, set
// into has, and the value as written into spec, for errInfo.
func readCount(kw map[string]bson.RawValue, name string, n *int64, has *bool, spec *bson.RawValue) error {
	v, ok := kw[name]
	if !ok {
		return nil
	}
	c, err := nonNegative(name, v)
	if err != nil {
		return err
	}
	*n, *has, *spec = c, true, v
	return nil
}

// nonNegative is parseIntegerElementToNonNegativeLong: an integral number that fits a long and is not negative.
func nonNegative(kw string, v bson.RawValue) (int64, error) {
	if !value.IsNumberType(v.Type) {
		return 0, schemaErr(codes.FailedToParse, "Expected a number in: %s: %s", kw, numString(v))
	}
	if value.IsNaN(v) {
		return 0, schemaErr(codes.FailedToParse, "Expected an integer, but found NaN in: %s: %s", kw, numString(v))
	}
	n := value.NumberLong(v)
	if value.Compare(v, value.Int64(n)) != 0 || value.IsInf(v) {
		return 0, schemaErr(codes.FailedToParse, "Expected an integer: %s: %s", kw, numString(v))
	}
	if n < 0 {
		return 0, schemaErr(codes.FailedToParse, "Expected a non-negative number in: %s: %s", kw, numString(v))
	}
	return n, nil
}

// numString prints a number as mongod's BSONElement::toString does in error messages.
func numString(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return strconv.FormatInt(value.NumberLong(v), 10)
	case bson.TypeDouble:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case bson.TypeDecimal128:
		return v.Decimal128().String()
	}
	return v.String()
}

// parseScalar compiles pattern, maxLength, minLength, multipleOf, maximum and minimum.
func (s *schema) parseScalar(kw map[string]bson.RawValue) error {
	if v, ok := kw["pattern"]; ok {
		if v.Type != bson.TypeString {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'pattern' must be a string")
		}
		re, err := value.CompileRegex(string(value.StringBytes(v.Value)), "")
		if err != nil {
			return err
		}
		s.pattern, s.patternSpec = re, v
	}
	if err := readCount(kw, "maxLength", &s.maxLength, &s.hasMaxLen, &s.maxLenSpec); err != nil {
		return err
	}
	if err := readCount(kw, "minLength", &s.minLength, &s.hasMinLen, &s.minLenSpec); err != nil {
		return err
	}
	if v, ok := kw["multipleOf"]; ok {
		if !value.IsNumberType(v.Type) {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'multipleOf' must be a number")
		}
		r := ratOf(v)
		if r == nil || r.Sign() <= 0 {
			return schemaErr(codes.FailedToParse, "$jsonSchema keyword 'multipleOf' must have a positive value")
		}
		s.multipleOf, s.multSpec = r, v
	}
	for _, b := range []struct {
		kw, excl string
		dst      *bson.RawValue
		ex       *bool
	}{{"maximum", "exclusiveMaximum", &s.maximum, &s.exclusiveMax}, {"minimum", "exclusiveMinimum", &s.minimum, &s.exclusiveMin}} {
		v, ok := kw[b.kw]
		e, hasExcl := kw[b.excl]
		if !ok {
			if hasExcl {
				return schemaErr(codes.FailedToParse, "$jsonSchema keyword '%s' must be a present if %s is present", b.kw, b.excl)
			}
			continue
		}
		if hasExcl {
			if e.Type != bson.TypeBoolean {
				return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be a boolean", b.excl)
			}
			*b.ex = e.Boolean()
		}
		if !value.IsNumberType(v.Type) {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be a number", b.kw)
		}
		*b.dst = v
	}
	return nil
}

// parseArray compiles minItems, maxItems, uniqueItems, items and additionalItems.
func (s *schema) parseArray(kw map[string]bson.RawValue, depth int) error {
	if err := readCount(kw, "minItems", &s.minItems, &s.hasMinItems, &s.minItemsSpec); err != nil {
		return err
	}
	if err := readCount(kw, "maxItems", &s.maxItems, &s.hasMaxItems, &s.maxItemsSpec); err != nil {
		return err
	}
	if v, ok := kw["uniqueItems"]; ok {
		if v.Type != bson.TypeBoolean {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'uniqueItems' must be a boolean")
		}
		s.uniqueItems = v.Boolean()
	}
	if v, ok := kw["items"]; ok {
		s.hasItems, s.itemsSpec = true, v
		switch v.Type {
		case bson.TypeArray:
			s.itemsIsList = true
			it := value.IterOf(v.Value)
			for {
				_, e, ok := it.Next()
				if !ok {
					break
				}
				if e.Type != bson.TypeEmbeddedDocument {
					return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'items' requires that each element of the array is an object, but found a %s", value.TypeName(e.Type))
				}
				sub, err := parseSchema(e.Value, depth+1)
				if err != nil {
					return err
				}
				s.itemsList = append(s.itemsList, sub)
			}
		case bson.TypeEmbeddedDocument:
			sub, err := parseSchema(v.Value, depth+1)
			if err != nil {
				return err
			}
			s.items = sub
		default:
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'items' must be an array or an object, not %s", value.TypeName(v.Type))
		}
	}
	if v, ok := kw["additionalItems"]; ok {
		s.additionalItemsSpec = v
		switch v.Type {
		case bson.TypeBoolean:
			b := v.Boolean()
			s.additionalItemsBool = &b
		case bson.TypeEmbeddedDocument:
			sub, err := parseSchema(v.Value, depth+1)
			if err != nil {
				return err
			}
			s.additionalItems = sub
		default:
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a %s", value.TypeName(v.Type))
		}
	}
	return nil
}

// stringList reads an array of distinct strings.
func stringList(v bson.RawValue, notStr func(bson.Type) error, dup func(string) error) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	it := value.IterOf(v.Value)
	for {
		_, e, ok := it.Next()
		if !ok {
			break
		}
		if e.Type != bson.TypeString {
			return nil, notStr(e.Type)
		}
		n := string(value.StringBytes(e.Value))
		if seen[n] {
			return nil, dup(n)
		}
		seen[n] = true
		out = append(out, n)
	}
	return out, nil
}

// parseObject compiles required, properties, patternProperties, additionalProperties, minProperties,
// maxProperties and dependencies.
func (s *schema) parseObject(kw map[string]bson.RawValue, depth int) error {
	if v, ok := kw["required"]; ok {
		if v.Type != bson.TypeArray {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'required' must be an array, but found an element of type %s", value.TypeName(v.Type))
		}
		req, err := stringList(v,
			func(t bson.Type) error {
				return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'required' must be an array of strings, but found an element of type: %s", value.TypeName(t))
			},
			func(string) error {
				return schemaErr(codes.FailedToParse, "$jsonSchema keyword 'required' array cannot contain duplicate values")
			})
		if err != nil {
			return err
		}
		if len(req) == 0 {
			return schemaErr(codes.FailedToParse, "$jsonSchema keyword 'required' cannot be an empty array")
		}
		sort.Strings(req)
		s.required, s.requiredSpec = req, v
	}
	if v, ok := kw["properties"]; ok {
		if v.Type != bson.TypeEmbeddedDocument {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'properties' must be an object")
		}
		s.hasProperties = true
		it := value.IterOf(v.Value)
		for {
			k, e, ok := it.Next()
			if !ok {
				break
			}
			if e.Type != bson.TypeEmbeddedDocument {
				return schemaErr(codes.TypeMismatch, "Nested schema for $jsonSchema property '%s' must be an object", string(k))
			}
			sub, err := parseSchema(e.Value, depth+1)
			if err != nil {
				return err
			}
			s.properties = append(s.properties, schemaProperty{name: string(k), s: sub})
		}
	}
	pp, hasPP := kw["patternProperties"]
	ap, hasAP := kw["additionalProperties"]
	if hasPP {
		if pp.Type != bson.TypeEmbeddedDocument {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'patternProperties' must be an object")
		}
		it := value.IterOf(pp.Value)
		for {
			k, e, ok := it.Next()
			if !ok {
				break
			}
			if e.Type != bson.TypeEmbeddedDocument {
				return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'patternProperties' has property '%s' which is not an object", string(k))
			}
			sub, err := parseSchema(e.Value, depth+1)
			if err != nil {
				return err
			}
			re, err := value.CompileRegex(string(k), "")
			if err != nil {
				return err
			}
			s.patternProperties = append(s.patternProperties, schemaPattern{re: re, src: string(k), s: sub})
		}
	}
	if hasAP {
		s.additionalSpec = ap
		switch ap.Type {
		case bson.TypeBoolean:
			b := ap.Boolean()
			s.additionalBool = &b
		case bson.TypeEmbeddedDocument:
			sub, err := parseSchema(ap.Value, depth+1)
			if err != nil {
				return err
			}
			s.additionalSchema = sub
		default:
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'additionalProperties' must be an object or a boolean")
		}
	}
	s.hasAllowed = hasPP || hasAP
	if err := readCount(kw, "minProperties", &s.minProps, &s.hasMinProps, &s.minPropsSpec); err != nil {
		return err
	}
	if err := readCount(kw, "maxProperties", &s.maxProps, &s.hasMaxProps, &s.maxPropsSpec); err != nil {
		return err
	}
	if v, ok := kw["dependencies"]; ok {
		if v.Type != bson.TypeEmbeddedDocument {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'dependencies' must be an object")
		}
		it := value.IterOf(v.Value)
		for {
			k, e, ok := it.Next()
			if !ok {
				break
			}
			name := string(k)
			switch e.Type {
			case bson.TypeEmbeddedDocument:
				sub, err := parseSchema(e.Value, depth+1)
				if err != nil {
					return err
				}
				s.dependencies = append(s.dependencies, schemaDependency{name: name, s: sub, spec: e})
			case bson.TypeArray:
				props, err := stringList(e,
					func(t bson.Type) error {
						return schemaErr(codes.TypeMismatch, "array '%s' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: %s", name, value.TypeName(t))
					},
					func(p string) error {
						return schemaErr(codes.FailedToParse, "array '%s' in $jsonSchema keyword 'dependencies' contains duplicate element: %s", name, p)
					})
				if err != nil {
					return err
				}
				if len(props) == 0 {
					return schemaErr(codes.FailedToParse, "property '%s' in $jsonSchema keyword 'dependencies' cannot be an empty array", name)
				}
				s.dependencies = append(s.dependencies, schemaDependency{name: name, props: props, spec: e})
			default:
				if e.Type == bson.TypeString && (name == "title" || name == "description") {
					continue
				}
				return schemaErr(codes.TypeMismatch, "property '%s' in $jsonSchema keyword 'dependencies' must be either an object or an array", name)
			}
		}
	}
	return nil
}

// parseLogical compiles allOf, anyOf, oneOf, not and enum.
func (s *schema) parseLogical(kw map[string]bson.RawValue, depth int) error {
	for _, l := range []struct {
		kw  string
		dst *[]*schema
	}{{"allOf", &s.allOf}, {"anyOf", &s.anyOf}, {"oneOf", &s.oneOf}} {
		v, ok := kw[l.kw]
		if !ok {
			continue
		}
		if v.Type != bson.TypeArray {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be an array", l.kw)
		}
		it := value.IterOf(v.Value)
		for {
			_, e, ok := it.Next()
			if !ok {
				break
			}
			if e.Type != bson.TypeEmbeddedDocument {
				return schemaErr(codes.TypeMismatch, "$jsonSchema keyword '%s' must be an array of objects, but found an element of type %s", l.kw, value.TypeName(e.Type))
			}
			sub, err := parseSchema(e.Value, depth+1)
			if err != nil {
				return err
			}
			*l.dst = append(*l.dst, sub)
		}
		if len(*l.dst) == 0 {
			return schemaErr(codes.BadValue, "$jsonSchema keyword '%s' must be a non-empty array", l.kw)
		}
	}
	if v, ok := kw["not"]; ok {
		if v.Type != bson.TypeEmbeddedDocument {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'not' must be an object, but found an element of type %s", value.TypeName(v.Type))
		}
		sub, err := parseSchema(v.Value, depth+1)
		if err != nil {
			return err
		}
		s.not = sub
	}
	if v, ok := kw["enum"]; ok {
		if v.Type != bson.TypeArray {
			return schemaErr(codes.TypeMismatch, "$jsonSchema keyword 'enum' must be an array, but found an element of type %s", value.TypeName(v.Type))
		}
		vals := value.Values(v)
		if len(vals) == 0 {
			return schemaErr(codes.FailedToParse, "$jsonSchema keyword 'enum' cannot be an empty array")
		}
		for i := range vals {
			for j := 0; j < i; j++ {
				if schemaEqual(vals[i], vals[j]) {
					return schemaErr(codes.FailedToParse, "$jsonSchema keyword 'enum' array cannot contain duplicate values.")
				}
			}
		}
		s.enum, s.enumSpec = vals, v
	}
	return nil
}

// ratOf returns a number as an exact fraction, a double rounded to 15 significant digits first (as mongod turns
// a double into a Decimal128); nil for NaN and infinities.
func ratOf(v bson.RawValue) *big.Rat {
	switch v.Type {
	case bson.TypeInt32, bson.TypeInt64:
		return new(big.Rat).SetInt64(value.NumberLong(v))
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'e', 14, 64))
		if !ok {
			return nil
		}
		return r
	case bson.TypeDecimal128:
		d := v.Decimal128()
		if d.IsNaN() || d.IsInf() != 0 {
			return nil
		}
		r, ok := new(big.Rat).SetString(d.String())
		if !ok {
			return nil
		}
		return r
	}
	return nil
}

// schemaEqual is mongod's comparison for enum and uniqueItems: numbers by value, documents regardless of the
// order of their fields, arrays element by element.
func schemaEqual(a, b bson.RawValue) bool {
	switch {
	case a.Type == bson.TypeEmbeddedDocument && b.Type == bson.TypeEmbeddedDocument:
		na, nb := countFields(a.Value), countFields(b.Value)
		if na != nb {
			return false
		}
		it := value.IterOf(a.Value)
		for {
			k, e, ok := it.Next()
			if !ok {
				return true
			}
			o := value.Lookup(b.Value, string(k))
			if o.Type == 0 || !schemaEqual(e, o) {
				return false
			}
		}
	case a.Type == bson.TypeArray && b.Type == bson.TypeArray:
		xa, xb := value.Values(a), value.Values(b)
		if len(xa) != len(xb) {
			return false
		}
		for i := range xa {
			if !schemaEqual(xa[i], xb[i]) {
				return false
			}
		}
		return true
	}
	return value.Compare(a, b) == 0
}

// countFields returns the number of fields of a document.
func countFields(doc []byte) int64 {
	n := int64(0)
	it := value.IterOf(doc)
	for {
		if _, _, ok := it.Next(); !ok {
			return n
		}
		n++
	}
}

// applies reports whether a restriction on values of kind k applies to v under s's stated type: never when s
// states a single other kind, otherwise when v is of kind k.
func (s *schema) applies(v bson.RawValue, k bson.Type) bool {
	kind := func(t bson.Type) bson.Type {
		if value.IsNumberType(t) {
			return bson.TypeInt32
		}
		return t
	}
	if st := s.types.single(); s.typeKw != "" && st != 0 && kind(st) != kind(k) {
		return false
	}
	return kind(v.Type) == kind(k)
}

// check reports whether v satisfies s; top is set for the document itself. With ex non-nil, the rules v breaks
// are appended to it in mongod's errInfo shape (see explain.go's callers); without, check stops at the first.
func (s *schema) check(v bson.RawValue, top bool, ex *[]any) bool {
	ok := true
	fail := func(detail bson.D) bool {
		ok = false
		if ex != nil {
			*ex = append(*ex, detail)
		}
		return ex != nil // without details, the first broken rule settles it
	}
	if top && s.typeKw != "" && !s.types.has(bson.TypeEmbeddedDocument) {
		fail(bson.D{{Key: "operatorName", Value: "$jsonSchema"}, {Key: "specifiedAs", Value: bson.D{{Key: "$jsonSchema", Value: s.raw}}},
			{Key: "reason", Value: "expression always evaluates to false"}})
		return false
	}
	if !top && !s.checkScalar(v, fail) {
		return false
	}
	if !top && !s.checkArray(v, fail, ex) {
		return false
	}
	if !s.checkObject(v, top, fail, ex) {
		return false
	}
	if !s.checkLogical(v, top, fail, ex) {
		return false
	}
	if !top && s.typeKw != "" && !s.types.has(v.Type) {
		fail(bson.D{{Key: "operatorName", Value: s.typeKw}, {Key: "specifiedAs", Value: bson.D{{Key: s.typeKw, Value: s.typeSpec}}},
			{Key: "reason", Value: "type did not match"}, {Key: "consideredValue", Value: v}, {Key: "consideredType", Value: value.TypeName(v.Type)}})
	}
	return ok
}

// failFunc records a broken rule; it returns false when checking should stop.
type failFunc func(detail bson.D) bool

// leafDetail is the errInfo entry of a keyword that failed on one value.
func leafDetail(kw string, spec bson.D, reason string, v bson.RawValue) bson.D {
	return bson.D{{Key: "operatorName", Value: kw}, {Key: "specifiedAs", Value: spec}, {Key: "reason", Value: reason}, {Key: "consideredValue", Value: v}}
}

// checkScalar checks pattern, maxLength, minLength, multipleOf, maximum and minimum.
func (s *schema) checkScalar(v bson.RawValue, fail failFunc) bool {
	if s.pattern != nil && s.applies(v, bson.TypeString) && !regexMatches(s.pattern, value.StringBytes(v.Value)) {
		if !fail(leafDetail("pattern", bson.D{{Key: "pattern", Value: s.patternSpec}}, "regular expression did not match", v)) {
			return false
		}
	}
	if (s.hasMaxLen || s.hasMinLen) && s.applies(v, bson.TypeString) {
		n := int64(utf8.RuneCount(value.StringBytes(v.Value)))
		if s.hasMaxLen && n > s.maxLength {
			if !fail(leafDetail("maxLength", bson.D{{Key: "maxLength", Value: s.maxLenSpec}}, "specified string length was not satisfied", v)) {
				return false
			}
		}
		if s.hasMinLen && n < s.minLength {
			if !fail(leafDetail("minLength", bson.D{{Key: "minLength", Value: s.minLenSpec}}, "specified string length was not satisfied", v)) {
				return false
			}
		}
	}
	if !s.applies(v, bson.TypeInt32) {
		return true
	}
	if s.multipleOf != nil {
		r := ratOf(v)
		if r == nil || !new(big.Rat).Quo(r, s.multipleOf).IsInt() {
			if !fail(leafDetail("multipleOf", bson.D{{Key: "multipleOf", Value: s.multSpec}}, "considered value is not a multiple of the specified value", v)) {
				return false
			}
		}
	}
	for _, b := range []struct {
		kw, excl  string
		bound     bson.RawValue
		exclusive bool
		sign      int
	}{{"maximum", "exclusiveMaximum", s.maximum, s.exclusiveMax, 1}, {"minimum", "exclusiveMinimum", s.minimum, s.exclusiveMin, -1}} {
		if b.bound.Type == 0 {
			continue
		}
		c := value.Compare(v, b.bound) * b.sign
		if value.IsNaN(v) || value.IsNaN(b.bound) {
			c = 1 // NaN compares as no number does: mongod's comparison fails
			if value.IsNaN(v) && value.IsNaN(b.bound) {
				c = 0
			}
		}
		if c > 0 || (c == 0 && b.exclusive) {
			spec := bson.D{{Key: b.kw, Value: b.bound}}
			if b.exclusive {
				spec = append(spec, bson.E{Key: b.excl, Value: true})
			}
			if !fail(leafDetail(b.kw, spec, "comparison failed", v)) {
				return false
			}
		}
	}
	return true
}

// checkArray checks minItems, maxItems, uniqueItems, items and additionalItems.
func (s *schema) checkArray(v bson.RawValue, fail failFunc, ex *[]any) bool {
	if !s.applies(v, bson.TypeArray) {
		return true
	}
	elems := value.Values(v)
	n := int64(len(elems))
	if s.hasMinItems && n < s.minItems {
		if !fail(leafDetail("minItems", bson.D{{Key: "minItems", Value: s.minItemsSpec}}, "array did not match specified length", v)) {
			return false
		}
	}
	if s.hasMaxItems && n > s.maxItems {
		if !fail(leafDetail("maxItems", bson.D{{Key: "maxItems", Value: s.maxItemsSpec}}, "array did not match specified length", v)) {
			return false
		}
	}
	if s.uniqueItems {
		for i := range elems {
			dup := false
			for j := 0; j < i; j++ {
				if schemaEqual(elems[i], elems[j]) {
					dup = true
					break
				}
			}
			if dup {
				d := leafDetail("uniqueItems", bson.D{{Key: "uniqueItems", Value: true}}, "found a duplicate item", v)
				d = append(d, bson.E{Key: "duplicatedValue", Value: elems[i]})
				if !fail(d) {
					return false
				}
				break
			}
		}
	}
	if s.items != nil {
		for i, e := range elems {
			var sub []any
			if !s.items.check(e, false, subOf(ex, &sub)) {
				d := bson.D{{Key: "operatorName", Value: "items"}, {Key: "reason", Value: "At least one item did not match the sub-schema"},
					{Key: "itemIndex", Value: int32(i)}, {Key: "details", Value: bson.A(sub)}}
				if !fail(d) {
					return false
				}
				break
			}
		}
	}
	if s.itemsIsList {
		var failures bson.A
		for i, sc := range s.itemsList {
			if i >= len(elems) {
				break
			}
			var sub []any
			if !sc.check(elems[i], false, subOf(ex, &sub)) {
				failures = append(failures, bson.D{{Key: "itemIndex", Value: int32(i)}, {Key: "details", Value: bson.A(sub)}})
				if ex == nil {
					break
				}
			}
		}
		if len(failures) > 0 {
			d := bson.D{{Key: "operatorName", Value: "items"}, {Key: "details", Value: failures}}
			if !fail(d) {
				return false
			}
		}
		start := len(s.itemsList)
		if s.additionalItemsBool != nil && !*s.additionalItemsBool && len(elems) > start {
			d := bson.D{{Key: "operatorName", Value: "additionalItems"}, {Key: "specifiedAs", Value: bson.D{{Key: "additionalItems", Value: false}}},
				{Key: "reason", Value: "found additional items"}, {Key: "additionalItems", Value: bson.A(anyValues(elems[start:]))}}
			if !fail(d) {
				return false
			}
		}
		if s.additionalItems != nil {
			for i := start; i < len(elems); i++ {
				var sub []any
				if !s.additionalItems.check(elems[i], false, subOf(ex, &sub)) {
					d := bson.D{{Key: "operatorName", Value: "additionalItems"}, {Key: "reason", Value: "At least one additional item did not match the sub-schema"},
						{Key: "itemIndex", Value: int32(i)}, {Key: "details", Value: bson.A(sub)}}
					if !fail(d) {
						return false
					}
					break
				}
			}
		}
	}
	return true
}

// anyValues converts values for an errInfo array.
func anyValues(vs []bson.RawValue) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// subOf returns sub when details are wanted (ex non-nil), nil otherwise.
func subOf(ex *[]any, sub *[]any) *[]any {
	if ex == nil {
		return nil
	}
	if *sub == nil {
		*sub = []any{}
	}
	return sub
}

// annotations returns the title and description of a schema, which errInfo repeats.
func (s *schema) annotations() bson.D {
	var d bson.D
	for _, k := range []string{"title", "description"} {
		if v := value.Lookup(s.raw, k); v.Type == bson.TypeString {
			d = append(d, bson.E{Key: k, Value: v})
		}
	}
	return d
}

// checkObject checks properties, patternProperties, additionalProperties, required, minProperties,
// maxProperties and dependencies.
func (s *schema) checkObject(v bson.RawValue, top bool, fail failFunc, ex *[]any) bool {
	if !top && !s.applies(v, bson.TypeEmbeddedDocument) {
		return true
	}
	doc := v.Value
	if s.hasProperties {
		var failures bson.A
		for _, p := range s.properties {
			pv := value.Lookup(doc, p.name)
			if pv.Type == 0 {
				continue
			}
			var sub []any
			if !p.s.check(pv, false, subOf(ex, &sub)) {
				d := bson.D{{Key: "propertyName", Value: p.name}}
				d = append(d, p.s.annotations()...)
				failures = append(failures, append(d, bson.E{Key: "details", Value: bson.A(sub)}))
				if ex == nil {
					break
				}
			}
		}
		if len(failures) > 0 && !fail(bson.D{{Key: "operatorName", Value: "properties"}, {Key: "propertiesNotSatisfied", Value: failures}}) {
			return false
		}
	}
	if s.hasAllowed && !s.checkAllowed(doc, fail, ex) {
		return false
	}
	if len(s.required) > 0 {
		var missing bson.A
		for _, r := range s.required {
			if value.Lookup(doc, r).Type == 0 {
				missing = append(missing, r)
			}
		}
		if len(missing) > 0 && !fail(bson.D{{Key: "operatorName", Value: "required"}, {Key: "specifiedAs", Value: bson.D{{Key: "required", Value: s.requiredSpec}}},
			{Key: "missingProperties", Value: missing}}) {
			return false
		}
	}
	if s.hasMinProps || s.hasMaxProps {
		n := countFields(doc)
		for _, b := range []struct {
			kw   string
			on   bool
			bad  bool
			spec bson.RawValue
		}{{"minProperties", s.hasMinProps, n < s.minProps, s.minPropsSpec}, {"maxProperties", s.hasMaxProps, n > s.maxProps, s.maxPropsSpec}} {
			if b.on && b.bad {
				d := bson.D{{Key: "operatorName", Value: b.kw}, {Key: "specifiedAs", Value: bson.D{{Key: b.kw, Value: b.spec}}},
					{Key: "reason", Value: "specified number of properties was not satisfied"}, {Key: "numberOfProperties", Value: n}}
				if !fail(d) {
					return false
				}
			}
		}
	}
	if len(s.dependencies) > 0 {
		var failures bson.A
		for _, dep := range s.dependencies {
			if value.Lookup(doc, dep.name).Type == 0 {
				continue
			}
			if dep.s != nil {
				var sub []any
				if !dep.s.check(v, top, subOf(ex, &sub)) {
					failures = append(failures, bson.D{{Key: "conditionalProperty", Value: dep.name}, {Key: "details", Value: bson.A(sub)}})
				}
			} else {
				var missing bson.A
				for _, p := range dep.props {
					if value.Lookup(doc, p).Type == 0 {
						missing = append(missing, p)
					}
				}
				if len(missing) > 0 {
					failures = append(failures, bson.D{{Key: "conditionalProperty", Value: dep.name}, {Key: "missingProperties", Value: missing}})
				}
			}
			if len(failures) > 0 && ex == nil {
				break
			}
		}
		if len(failures) > 0 && !fail(bson.D{{Key: "operatorName", Value: "dependencies"}, {Key: "failingDependencies", Value: failures}}) {
			return false
		}
	}
	return true
}

// checkAllowed checks patternProperties and additionalProperties: a property named by properties is allowed; one
// whose name a pattern matches must match that pattern's schema (every such pattern's); any other must match
// additionalProperties.
func (s *schema) checkAllowed(doc []byte, fail failFunc, ex *[]any) bool {
	named := make(map[string]bool, len(s.properties))
	for _, p := range s.properties {
		named[p.name] = true
	}
	var additional bson.A
	var patternFailures bson.A
	var addFailure bson.D
	it := value.IterOf(doc)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		name := string(k)
		if named[name] {
			continue
		}
		matched := false
		for _, p := range s.patternProperties {
			if !regexMatches(p.re, []byte(name)) {
				continue
			}
			matched = true
			var sub []any
			if !p.s.check(v, false, subOf(ex, &sub)) {
				d := bson.D{{Key: "propertyName", Value: name}}
				d = append(d, p.s.annotations()...)
				d = append(d, bson.E{Key: "regexMatched", Value: p.src}, bson.E{Key: "details", Value: bson.A(sub)})
				patternFailures = append(patternFailures, d)
				if ex == nil {
					return false
				}
			}
		}
		if matched {
			continue
		}
		switch {
		case s.additionalBool != nil && !*s.additionalBool:
			additional = append(additional, name)
			if ex == nil {
				return false
			}
		case s.additionalSchema != nil && addFailure == nil:
			var sub []any
			if !s.additionalSchema.check(v, false, subOf(ex, &sub)) {
				addFailure = bson.D{{Key: "operatorName", Value: "additionalProperties"}}
				addFailure = append(addFailure, s.additionalSchema.annotations()...)
				addFailure = append(addFailure, bson.E{Key: "reason", Value: "at least one additional property did not match the subschema"},
					bson.E{Key: "failingProperty", Value: name}, bson.E{Key: "details", Value: bson.A(sub)})
				if ex == nil {
					return false
				}
			}
		}
	}
	if len(additional) > 0 {
		addFailure = bson.D{{Key: "operatorName", Value: "additionalProperties"}, {Key: "specifiedAs", Value: bson.D{{Key: "additionalProperties", Value: false}}},
			{Key: "additionalProperties", Value: additional}}
	}
	if addFailure != nil && !fail(addFailure) {
		return false
	}
	if len(patternFailures) > 0 && !fail(bson.D{{Key: "operatorName", Value: "patternProperties"}, {Key: "details", Value: patternFailures}}) {
		return false
	}
	return true
}

// checkLogical checks allOf, anyOf, oneOf, not and enum.
func (s *schema) checkLogical(v bson.RawValue, top bool, fail failFunc, ex *[]any) bool {
	clause := func(kw string, list []*schema) bool {
		var failures bson.A
		matched := 0
		var matching bson.A
		for i, sc := range list {
			var sub []any
			if sc.check(v, top, subOf(ex, &sub)) {
				matched++
				matching = append(matching, int32(i))
				if kw == "anyOf" {
					return true
				}
				continue
			}
			d := bson.D{{Key: "index", Value: int32(i)}}
			d = append(d, sc.annotations()...)
			failures = append(failures, append(d, bson.E{Key: "details", Value: bson.A(sub)}))
			if kw == "allOf" && ex == nil {
				break
			}
		}
		switch kw {
		case "allOf":
			if len(failures) == 0 {
				return true
			}
		case "oneOf":
			if matched == 1 {
				return true
			}
			if matched > 1 {
				return fail(bson.D{{Key: "operatorName", Value: "oneOf"}, {Key: "reason", Value: "more than one subschema matched"}, {Key: "matchingSchemaIndexes", Value: matching}})
			}
		}
		return fail(bson.D{{Key: "operatorName", Value: kw}, {Key: "schemasNotSatisfied", Value: failures}})
	}
	if len(s.allOf) > 0 && !clause("allOf", s.allOf) {
		return false
	}
	if len(s.anyOf) > 0 && !clause("anyOf", s.anyOf) {
		return false
	}
	if len(s.oneOf) > 0 && !clause("oneOf", s.oneOf) {
		return false
	}
	if s.not != nil && s.not.check(v, top, nil) {
		if !fail(bson.D{{Key: "operatorName", Value: "not"}, {Key: "reason", Value: "child expression matched"}}) {
			return false
		}
	}
	if len(s.enum) > 0 {
		found := false
		for _, e := range s.enum {
			if top && e.Type != bson.TypeEmbeddedDocument {
				continue // the document is an object: scalar values can never equal it
			}
			if schemaEqual(v, e) {
				found = true
				break
			}
		}
		if !found {
			d := bson.D{{Key: "operatorName", Value: "enum"}, {Key: "specifiedAs", Value: bson.D{{Key: "enum", Value: s.enumSpec}}},
				{Key: "reason", Value: "value was not found in enum"}, {Key: "consideredValue", Value: v}}
			if !fail(d) {
				return false
			}
		}
	}
	return true
}

// explainSchema returns the errInfo details of a document that fails s: {operatorName: "$jsonSchema",
// schemaRulesNotSatisfied: [...]}, with the schema's title and description.
func explainSchema(s *schema, doc bson.Raw) bson.D {
	rules := []any{}
	s.check(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc}, true, &rules)
	if len(rules) == 1 {
		if d, ok := rules[0].(bson.D); ok && len(d) > 0 && d[0].Value == "$jsonSchema" {
			return d
		}
	}
	d := bson.D{{Key: "operatorName", Value: "$jsonSchema"}}
	d = append(d, s.annotations()...)
	return append(d, bson.E{Key: "schemaRulesNotSatisfied", Value: bson.A(rules)})
}

// regexMatches reports whether re finds a match in b; a match that fails to run (too much backtracking) is no
// match.
func regexMatches(re *value.Regex, b []byte) bool {
	ok, err := re.Match(b)
	return ok && err == nil
}
