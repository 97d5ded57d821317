package collation_test

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/collation"
)

func mustParse(t *testing.T, d bson.D) *collation.Collation {
	t.Helper()
	raw, _ := bson.Marshal(d)
	c, err := collation.Parse(raw)
	if err != nil {
		t.Fatalf("Parse %v: %v", d, err)
	}
	return c
}

// Expected orders follow the MongoDB manual's Collation page
// (https://www.mongodb.com/docs/manual/reference/collation/): strength 1 ignores case and diacritics,
// strength 2 ignores case, numericOrdering compares digit runs as numbers, alternate "shifted" ignores
// punctuation and spaces, caseFirst "upper" puts upper case first.
func TestCollation_CompareStrings(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec bson.D
		a, b string
		want int
	}{
		{"simple is binary", bson.D{{Key: "locale", Value: "simple"}}, "B", "a", -1},
		{"en orders letters alphabetically", bson.D{{Key: "locale", Value: "en"}}, "B", "a", 1},
		{"strength 3: case differs", bson.D{{Key: "locale", Value: "en"}}, "a", "A", -1},
		{"strength 2: case ignored", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}, "cafe", "CAFE", 0},
		{"strength 2: diacritics count", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}, "cafe", "café", -1},
		{"strength 1: diacritics ignored", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 1}}, "cafe", "CAFÉ", 0},
		{"strength 1 with caseLevel: case counts", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 1}, {Key: "caseLevel", Value: true}}, "cafe", "Cafe", -1},
		{"numericOrdering", bson.D{{Key: "locale", Value: "en"}, {Key: "numericOrdering", Value: true}}, "10", "9", 1},
		{"no numericOrdering", bson.D{{Key: "locale", Value: "en"}}, "10", "9", -1},
		{"alternate shifted ignores punctuation", bson.D{{Key: "locale", Value: "en"}, {Key: "alternate", Value: "shifted"}, {Key: "strength", Value: 1}}, "a-b", "ab", 0},
		{"non-ignorable counts punctuation", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 1}}, "a-b", "ab", -1},
		{"caseFirst upper", bson.D{{Key: "locale", Value: "en"}, {Key: "caseFirst", Value: "upper"}}, "A", "a", -1},
		{"caseFirst off: lower first", bson.D{{Key: "locale", Value: "en"}, {Key: "caseFirst", Value: "off"}}, "A", "a", 1},
		{"Swedish sorts ä after z", bson.D{{Key: "locale", Value: "sv"}}, "ä", "z", 1},
		{"German sorts ä with a", bson.D{{Key: "locale", Value: "de"}}, "ä", "z", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustParse(t, tc.spec)
			if got := c.CompareStrings([]byte(tc.a), []byte(tc.b)); got != tc.want {
				t.Fatalf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			ka, kb := c.Key([]byte(tc.a)), c.Key([]byte(tc.b))
			if got := compareBytes(ka, kb); got != tc.want && tc.name != "simple is binary" {
				t.Fatalf("keys order %d, want %d", got, tc.want)
			}
		})
	}
}

func compareBytes(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func TestCollation_ParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec bson.D
		code codes.Code
	}{
		{"no locale", bson.D{{Key: "strength", Value: 2}}, 40414},
		{"unknown locale", bson.D{{Key: "locale", Value: "xx"}}, codes.BadValue},
		{"strength 0", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 0}}, codes.BadValue},
		{"strength 6", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 6}}, codes.BadValue},
		{"strength a string", bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: "2"}}, codes.TypeMismatch},
		{"caseFirst bad", bson.D{{Key: "locale", Value: "en"}, {Key: "caseFirst", Value: "both"}}, codes.BadValue},
		{"alternate bad", bson.D{{Key: "locale", Value: "en"}, {Key: "alternate", Value: "x"}}, codes.BadValue},
		{"maxVariable bad", bson.D{{Key: "locale", Value: "en"}, {Key: "maxVariable", Value: "x"}}, codes.BadValue},
		{"unknown field", bson.D{{Key: "locale", Value: "en"}, {Key: "foo", Value: 1}}, 40415},
		{"simple with options", bson.D{{Key: "locale", Value: "simple"}, {Key: "strength", Value: 2}}, codes.BadValue},
		{"locale not a string", bson.D{{Key: "locale", Value: 1}}, codes.TypeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := bson.Marshal(tc.spec)
			_, err := collation.Parse(raw)
			if codes.CodeOf(err) != tc.code {
				t.Fatalf("Parse %v = %v, want code %d", tc.spec, err, tc.code)
			}
		})
	}
	if c := mustParse(t, bson.D{{Key: "locale", Value: "fr_CA"}}); c == nil || c.Spec().Locale != "fr_CA" {
		t.Fatalf("fr_CA = %v", c)
	}
}
