package sql

import (
	"encoding/json"
	"math/rand"
	"strings"
	"testing"
)

// TestJSONSyntaxError_PostgreSQLWording: the DETAIL and CONTEXT of bad JSON input as PostgreSQL 15 gives them (each
// case taken from its answers).
func TestJSONSyntaxError_PostgreSQLWording(t *testing.T) {
	long := `{"` + strings.Repeat("a", 63) + `": 1, "b": x}`
	for _, c := range []struct{ in, detail, context string }{
		{`{"a":1,}`, `Expected string, but found "}".`, `JSON data, line 1: {"a":1,}`},
		{`{"a" 1}`, `Expected ":", but found "1".`, `JSON data, line 1: {"a" 1...`},
		{`[1,2`, `The input string ended unexpectedly.`, `JSON data, line 1: [1,2`},
		{`"abc`, `Token ""abc" is invalid.`, `JSON data, line 1: "abc`},
		{`{"a": tru}`, `Token "tru" is invalid.`, `JSON data, line 1: {"a": tru...`},
		{`01`, `Token "01" is invalid.`, `JSON data, line 1: 01`},
		{`[1 2]`, `Expected "," or "]", but found "2".`, `JSON data, line 1: [1 2...`},
		{`{1:2}`, `Expected string or "}", but found "1".`, `JSON data, line 1: {1...`},
		{`{}x`, `Token "x" is invalid.`, `JSON data, line 1: {}x`},
		{`{} {}`, `Expected end of input, but found "{".`, `JSON data, line 1: {} {...`},
		{``, `The input string ended unexpectedly.`, `JSON data, line 1: `},
		{`@`, `Token "@" is invalid.`, `JSON data, line 1: @`},
		{`"a\qb"`, `Escape sequence "\q" is invalid.`, `JSON data, line 1: "a\q...`},
		{`"\u12"`, `"\u" must be followed by four hexadecimal digits.`, `JSON data, line 1: "\u12"`},
		{"\"a\tb\"", `Character with value 0x09 must be escaped.`, `JSON data, line 1: "a...`},
		{"[1,\n2,\n@]", `Token "@" is invalid.`, `JSON data, line 3: @...`},
		{long, `Token "x" is invalid.`, `JSON data, line 1: ...` + strings.Repeat("a", 37) + `": 1, "b": x...`},
		{`[1,]`, `Expected JSON value, but found "]".`, `JSON data, line 1: [1,]`},
		{`1.`, `Token "1." is invalid.`, `JSON data, line 1: 1.`},
		{`-`, `Token "-" is invalid.`, `JSON data, line 1: -`},
		{`"\ud800"`, `Unicode low surrogate must follow a high surrogate.`, `JSON data, line 1: "\ud800"`},
	} {
		e, ok := jsonSyntaxError(c.in)
		if !ok {
			t.Errorf("%q: no fault found", c.in)
			continue
		}
		if e.Code != "22P02" || e.Message != "invalid input syntax for type json" || e.Detail != c.detail || e.Where != c.context {
			t.Errorf("%q:\n got %s %q %q %q\nwant 22P02 %q %q", c.in, e.Code, e.Message, e.Detail, e.Where, c.detail, c.context)
		}
	}
}

// TestJSONSyntaxError_AgreesWithValid: over valid documents and random mutations of them, the checker finds a
// fault exactly when encoding/json's Valid (RFC 8259, as PostgreSQL's grammar) refuses the text, but for the lone
// surrogate escapes that PostgreSQL refuses and RFC 8259 lets pass.
func TestJSONSyntaxError_AgreesWithValid(t *testing.T) {
	seeds := []string{`{"a": [1, -2.5e+3, true, false, null], "b": {"c": "d\"\\\/\b\f\n\r\t\u00e9"}}`,
		"[\n  {\"k\": 0},\n  \"\\ud83d\\ude00\",\n  1E2\n]", `"x"`, `0`, `-0.0`, `[]`, `{}`, ` { "é" : "ü" } `}
	rnd := rand.New(rand.NewSource(1))
	alphabet := []byte("{}[],:\"\\ -+.0123456789eEtruefalsnu\n\tab")
	check := func(s string) { checkAgainstValid(t, s) }
	for _, s := range seeds {
		check(s)
		for i := 0; i < 3000; i++ {
			b := []byte(s)
			for k := rnd.Intn(3) + 1; k > 0 && len(b) > 0; k-- {
				j := rnd.Intn(len(b))
				switch rnd.Intn(3) {
				case 0:
					b[j] = alphabet[rnd.Intn(len(alphabet))]
				case 1:
					b = append(b[:j], b[j+1:]...)
				default:
					b = append(b[:j], append([]byte{alphabet[rnd.Intn(len(alphabet))]}, b[j:]...)...)
				}
			}
			check(string(b))
		}
	}
}

// FuzzJSONSyntax: the checker never panics, and it finds a fault exactly when encoding/json's Valid refuses the
// text (but for the lone surrogates PostgreSQL refuses and RFC 8259 lets pass).
func FuzzJSONSyntax(f *testing.F) {
	for _, s := range []string{`{"a":1,}`, `[1,2`, `"\ud800"`, `{"a": [1, -2.5e+3, true, null]}`, "[1,\n2,\n@]", `"\u12"`, ``} {
		f.Add(s)
	}
	f.Fuzz(checkAgainstValid)
}

// checkAgainstValid fails t unless the checker finds a fault in s, with a detail and a context, exactly when
// encoding/json's Valid refuses s, but for the lone surrogate escapes PostgreSQL refuses and RFC 8259 lets pass.
func checkAgainstValid(t *testing.T, s string) {
	e, fault := jsonSyntaxError(s)
	valid := json.Valid([]byte(s))
	if fault && (e.Detail == "" || !strings.HasPrefix(e.Where, "JSON data, line ")) {
		t.Fatalf("%q: fault without detail or context: %+v", s, e)
	}
	if fault && valid && strings.Contains(s, `\u`) {
		return // a surrogate PostgreSQL refuses
	}
	if fault == valid {
		t.Fatalf("%q: checker fault %v, json.Valid %v", s, fault, valid)
	}
}
