// Package collation is MongoDB's collation document ({locale, strength, caseLevel, caseFirst,
// numericOrdering, alternate, maxVariable, backwards}) parsed as mongod parses it and turned into a string
// comparison by golang.org/x/text/collate, the Unicode Collation Algorithm with CLDR's locale tailorings.
// {locale: "simple"} is binary comparison, represented by a nil *Collation.
package collation

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"go.mongodb.org/mongo-driver/v2/bson"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/concorddb/concord/internal/codes"
)

// Spec is a collation document's fields with mongod's defaults filled in.
type Spec struct {
	Locale          string
	Strength        int // 1 (primary) to 5 (identical); 3 by default
	CaseLevel       bool
	CaseFirst       string // "upper", "lower" or "off"
	NumericOrdering bool
	Alternate       string // "non-ignorable" or "shifted"
	MaxVariable     string // "punct" or "space"
	Backwards       bool
}

// Collation compares strings under a Spec. It is safe for concurrent use; a nil *Collation is the simple
// (binary) collation.
type Collation struct {
	spec Spec
	// pool holds *collate.Collator values: a Collator keeps scratch buffers and is not safe for concurrent use.
	pool sync.Pool
	// noCase compares without case, for caseFirst: "upper" (see CompareStrings).
	noCase sync.Pool
}

// Parse reads a collation document. {locale: "simple"} (with nothing else) returns nil, the binary
// collation. Errors are mongod's: FailedToParse (9) for a wrong field type, 40414 for a missing locale,
// 40415 for an unknown field, BadValue (2) for a value out of range or an unknown locale.
func Parse(doc bson.Raw) (*Collation, error) {
	s := Spec{Strength: 3, CaseFirst: "off", Alternate: "non-ignorable", MaxVariable: "punct"}
	elems, err := doc.Elements()
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "invalid collation: %v", err)
	}
	hasLocale, others := false, 0
	for _, e := range elems {
		v := e.Value()
		str := func() (string, error) {
			x, ok := v.StringValueOK()
			if !ok {
				return "", codes.New(codes.TypeMismatch, "BSON field 'collation.%s' is the wrong type '%s', expected type 'string'", e.Key(), v.Type)
			}
			return x, nil
		}
		boolean := func() (bool, error) {
			x, ok := v.BooleanOK()
			if !ok {
				return false, codes.New(codes.TypeMismatch, "BSON field 'collation.%s' is the wrong type '%s', expected type 'bool'", e.Key(), v.Type)
			}
			return x, nil
		}
		if e.Key() != "locale" && e.Key() != "version" {
			others++
		}
		switch e.Key() {
		case "locale":
			if s.Locale, err = str(); err != nil {
				return nil, err
			}
			hasLocale = true
		case "strength":
			n, ok := v.AsInt64OK()
			if !ok {
				if f, isD := v.DoubleOK(); isD && f == float64(int64(f)) {
					n, ok = int64(f), true
				}
			}
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "BSON field 'collation.strength' is the wrong type '%s', expected types '[long, int, decimal, double]'", v.Type)
			}
			if n < 1 || n > 5 {
				return nil, codes.New(codes.BadValue, "Field 'strength' must be an integer 1 through 5. Got: %d", n)
			}
			s.Strength = int(n)
		case "caseLevel":
			if s.CaseLevel, err = boolean(); err != nil {
				return nil, err
			}
		case "caseFirst":
			if s.CaseFirst, err = str(); err != nil {
				return nil, err
			}
			if s.CaseFirst != "upper" && s.CaseFirst != "lower" && s.CaseFirst != "off" {
				return nil, codes.New(codes.BadValue, "Field 'caseFirst' must be one of 'upper', 'lower' or 'off'. Got: %s", s.CaseFirst)
			}
		case "numericOrdering":
			if s.NumericOrdering, err = boolean(); err != nil {
				return nil, err
			}
		case "alternate":
			if s.Alternate, err = str(); err != nil {
				return nil, err
			}
			if s.Alternate != "non-ignorable" && s.Alternate != "shifted" {
				return nil, codes.New(codes.BadValue, "Field 'alternate' must be one of 'non-ignorable' or 'shifted'. Got: %s", s.Alternate)
			}
		case "maxVariable":
			if s.MaxVariable, err = str(); err != nil {
				return nil, err
			}
			if s.MaxVariable != "punct" && s.MaxVariable != "space" {
				return nil, codes.New(codes.BadValue, "Field 'maxVariable' must be one of 'punct' or 'space'. Got: %s", s.MaxVariable)
			}
		case "backwards":
			if s.Backwards, err = boolean(); err != nil {
				return nil, err
			}
		case "normalization", "version":
			// Accepted: x/text normalises its input; the version is informational.
		default:
			return nil, codes.New(40415, "BSON field 'collation.%s' is an unknown field.", e.Key())
		}
	}
	if !hasLocale {
		return nil, codes.New(40414, "BSON field 'collation.locale' is missing but a required field")
	}
	if s.Locale == "simple" {
		if others > 0 {
			return nil, codes.New(codes.BadValue, "If 'locale' is set to 'simple', then all other fields must be empty")
		}
		return nil, nil
	}
	return New(s)
}

// New returns the collation of s; an unknown locale is BadValue (2) with mongod's message.
func New(s Spec) (*Collation, error) {
	tag, err := language.Parse(strings.SplitN(s.Locale, "@", 2)[0])
	if err != nil || !supported(tag) {
		return nil, codes.New(codes.BadValue, "Field 'locale' is invalid in: { locale: \"%s\" }", s.Locale)
	}
	// The options x/text reads from a BCP 47 tag's -u- extension.
	ext := []string{"ks-" + [...]string{"", "level1", "level2", "level3", "level4", "identic"}[s.Strength]}
	if s.CaseLevel {
		ext = append(ext, "kc-true")
	}
	if s.NumericOrdering {
		ext = append(ext, "kn-true")
	}
	if s.Alternate == "shifted" {
		ext = append(ext, "ka-shifted")
	}
	if s.Backwards {
		ext = append(ext, "kb-true")
	}
	base, _ := tag.Base()
	full, err := language.Parse(base.String() + "-u-" + strings.Join(ext, "-"))
	if err != nil {
		return nil, codes.New(codes.BadValue, "Field 'locale' is invalid in: { locale: \"%s\" }", s.Locale)
	}
	if region, conf := tag.Region(); conf == language.Exact {
		if withRegion, err := language.Compose(full, region); err == nil {
			full = withRegion
		}
	}
	c := &Collation{spec: s}
	c.pool.New = func() any { return collate.New(full, collate.OptionsFromTag(full)) }
	c.noCase.New = func() any {
		return collate.New(full, collate.OptionsFromTag(full), collate.IgnoreCase)
	}
	return c, nil
}

// supportedBases are the languages x/text has collation tables for.
var supportedBases = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{"und": true}
	for _, t := range collate.Supported() {
		b, _ := t.Base()
		m[b.String()] = true
	}
	return m
})

// supported reports whether tag's language has collation tables ("root" is the root collation).
func supported(tag language.Tag) bool {
	b, conf := tag.Base()
	return conf != language.No && supportedBases()[b.String()]
}

// Spec returns the collation's settings (the zero Spec with Locale "simple" for nil).
func (c *Collation) Spec() Spec {
	if c == nil {
		return Spec{Locale: "simple"}
	}
	return c.spec
}

// Document returns the collation as mongod reports it in listIndexes and listCollections.
func (c *Collation) Document() bson.D {
	s := c.Spec()
	if c == nil {
		return bson.D{{Key: "locale", Value: "simple"}}
	}
	return bson.D{
		{Key: "locale", Value: s.Locale}, {Key: "caseLevel", Value: s.CaseLevel}, {Key: "caseFirst", Value: s.CaseFirst},
		{Key: "strength", Value: int32(s.Strength)}, {Key: "numericOrdering", Value: s.NumericOrdering},
		{Key: "alternate", Value: s.Alternate}, {Key: "maxVariable", Value: s.MaxVariable},
		{Key: "normalization", Value: false}, {Key: "backwards", Value: s.Backwards}, {Key: "version", Value: "57.1"},
	}
}

// Equal reports whether two collations compare alike (nil being the simple collation).
func Equal(a, b *Collation) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.spec == b.spec
}

// CompareStrings orders two UTF-8 strings under the collation: -1, 0 or 1. A nil collation compares bytes.
// With caseFirst "upper", strings equal but for case order upper case first (x/text orders lower case
// first): they are compared with their case swapped.
func (c *Collation) CompareStrings(a, b []byte) int {
	if c == nil {
		return bytes.Compare(a, b)
	}
	if c.spec.CaseFirst == "upper" && (c.spec.Strength >= 3 || c.spec.CaseLevel) {
		nc := c.noCase.Get().(*collate.Collator)
		r := nc.Compare(a, b)
		c.noCase.Put(nc)
		if r != 0 {
			return r
		}
		a, b = swapCase(a), swapCase(b)
	}
	col := c.pool.Get().(*collate.Collator)
	r := col.Compare(a, b)
	c.pool.Put(col)
	return r
}

// Key returns the collation key of s: byte order of keys is the collation's order of strings, and equal
// strings under the collation have equal keys. Index entries of a collated index hold keys, as mongod's do.
func (c *Collation) Key(s []byte) []byte {
	if c == nil {
		return append([]byte(nil), s...)
	}
	if c.spec.CaseFirst == "upper" && (c.spec.Strength >= 3 || c.spec.CaseLevel) {
		s = swapCase(s)
	}
	col := c.pool.Get().(*collate.Collator)
	var buf collate.Buffer
	k := append([]byte(nil), col.Key(&buf, s)...)
	c.pool.Put(col)
	return k
}

// swapCase returns s with upper and lower case letters exchanged.
func swapCase(s []byte) []byte {
	return []byte(strings.Map(func(r rune) rune {
		switch {
		case unicode.IsUpper(r):
			return unicode.ToLower(r)
		case unicode.IsLower(r):
			return unicode.ToUpper(r)
		}
		return r
	}, string(s)))
}

// String prints the collation's settings, for messages.
func (c *Collation) String() string {
	return fmt.Sprint(c.Document())
}
