package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// jsonSyntaxError is the error PostgreSQL gives for text that is not JSON, cast to json or jsonb: "invalid input
// syntax for type json", a DETAIL saying what its parser expected and found, and a CONTEXT quoting the input up
// to the token at fault ("JSON data, line 1: {"a" 1..."). It follows PostgreSQL's lexer and recursive-descent
// parser (src/common/jsonapi.c) so that the first fault found and its wording are the same; it runs only once the
// input has been found not to be JSON. ok is false when it finds no fault.
func jsonSyntaxError(s string) (e *Error, ok bool) { return checkJSON(s, false) }

// jsonbInputError is jsonSyntaxError for jsonb input, which also refuses the escape \u0000 (jsonb holds text,
// which has no NUL), as PostgreSQL does: 22P05 "unsupported Unicode escape sequence".
func jsonbInputError(s string) (e *Error, ok bool) { return checkJSON(s, true) }

func checkJSON(s string, jsonb bool) (e *Error, ok bool) {
	p := &jsonChecker{s: s, line: 1, jsonb: jsonb}
	err := p.value()
	if err == nil {
		if err = p.advance(); err == nil && p.tok != jtEnd {
			err = p.expected("end of input")
		}
	}
	if err == nil {
		return nil, false
	}
	if err.nul {
		return &Error{Code: CodeUntranslatableCharacter, Message: "unsupported Unicode escape sequence",
			Detail: `\u0000 cannot be converted to text.`, Where: p.context(err.end)}, true
	}
	return &Error{Code: CodeInvalidTextRep, Message: "invalid input syntax for type json", Detail: err.detail,
		Where: p.context(err.end)}, true
}

// jsonToken is a token of PostgreSQL's JSON lexer.
type jsonToken int

const (
	jtNone jsonToken = iota // before the first token
	jtEnd
	jtObjStart
	jtObjEnd
	jtArrStart
	jtArrEnd
	jtComma
	jtColon
	jtString
	jtNumber
	jtTrue
	jtFalse
	jtNull
)

// jsonChecker lexes and parses JSON text as PostgreSQL does, for its errors: the current token is s[start:end].
type jsonChecker struct {
	s          string
	pos        int // where the next token is looked for
	tok        jsonToken
	start, end int
	line       int // the line of the current token, and where that line starts
	lineStart  int
	peeked     bool
	jsonb      bool // \u0000 is a fault
}

// jsonFault is a fault found: its DETAIL, and where the CONTEXT's quote of the input ends.
type jsonFault struct {
	detail string
	end    int
	nul    bool // a \u0000 in jsonb's input, not a syntax error
}

func jsonAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c >= 0x80
}

// charEnd is the end of the character at i.
func (p *jsonChecker) charEnd(i int) int {
	if i >= len(p.s) {
		return i
	}
	_, n := utf8.DecodeRuneInString(p.s[i:])
	return i + n
}

// advance lexes the next token (or takes the one peek lexed).
func (p *jsonChecker) advance() *jsonFault {
	if p.peeked {
		p.peeked = false
		return nil
	}
	s := p.s
	for p.pos < len(s) && (s[p.pos] == ' ' || s[p.pos] == '\t' || s[p.pos] == '\n' || s[p.pos] == '\r') {
		if s[p.pos] == '\n' {
			p.line++
			p.lineStart = p.pos + 1
		}
		p.pos++
	}
	p.start = p.pos
	if p.pos >= len(s) {
		p.tok, p.end = jtEnd, p.pos
		return nil
	}
	invalid := func(end int) *jsonFault {
		p.end, p.pos = end, end
		return &jsonFault{detail: fmt.Sprintf("Token \"%s\" is invalid.", s[p.start:end]), end: end}
	}
	c := s[p.pos]
	switch {
	case strings.IndexByte("{}[],:", c) >= 0:
		p.tok, p.end = [...]jsonToken{jtObjStart, jtObjEnd, jtArrStart, jtArrEnd, jtComma, jtColon}[strings.IndexByte("{}[],:", c)], p.pos+1
	case c == '"':
		return p.lexString()
	case c == '-' || c >= '0' && c <= '9':
		i, bad := p.pos, false
		if s[i] == '-' {
			i++
		}
		switch {
		case i < len(s) && s[i] == '0':
			i++
		case i < len(s) && s[i] >= '1' && s[i] <= '9':
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		default:
			bad = true
		}
		digits := func() {
			if i >= len(s) || s[i] < '0' || s[i] > '9' {
				bad = true
				return
			}
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
		}
		if i < len(s) && s[i] == '.' {
			i++
			digits()
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			i++
			if i < len(s) && (s[i] == '+' || s[i] == '-') {
				i++
			}
			digits()
		}
		for i < len(s) && jsonAlnum(s[i]) {
			i, bad = i+1, true
		}
		if bad {
			return invalid(i)
		}
		p.tok, p.end = jtNumber, i
	default:
		i := p.pos
		for i < len(s) && jsonAlnum(s[i]) {
			i++
		}
		if i == p.pos {
			return invalid(p.charEnd(i))
		}
		switch s[p.pos:i] {
		case "true":
			p.tok = jtTrue
		case "false":
			p.tok = jtFalse
		case "null":
			p.tok = jtNull
		default:
			return invalid(i)
		}
		p.end = i
	}
	p.pos = p.end
	return nil
}

// lexString lexes a string token, with PostgreSQL's faults: an unterminated string, an unescaped control
// character, a bad escape, a \u without four hex digits, a lone surrogate.
func (p *jsonChecker) lexString() *jsonFault {
	s := p.s
	hi := -1
	fault := func(end int, detail string) *jsonFault {
		p.end, p.pos = end, end
		return &jsonFault{detail: detail, end: end}
	}
	i := p.pos
	for {
		i++
		if i >= len(s) {
			return fault(i, fmt.Sprintf("Token \"%s\" is invalid.", s[p.start:i]))
		}
		c := s[i]
		switch {
		case c == '"':
			if hi != -1 {
				return fault(i+1, "Unicode low surrogate must follow a high surrogate.")
			}
			p.tok, p.end, p.pos = jtString, i+1, i+1
			return nil
		case c < 32:
			return fault(i, fmt.Sprintf("Character with value 0x%02x must be escaped.", c))
		case c == '\\':
			i++
			if i >= len(s) {
				return fault(i, fmt.Sprintf("Token \"%s\" is invalid.", s[p.start:i]))
			}
			if s[i] == 'u' {
				ch := 0
				for k := 0; k < 4; k++ {
					i++
					if i >= len(s) {
						return fault(i, fmt.Sprintf("Token \"%s\" is invalid.", s[p.start:i]))
					}
					d, ok := unhex(s[i])
					if !ok {
						return fault(p.charEnd(i), `"\u" must be followed by four hexadecimal digits.`)
					}
					ch = ch*16 + int(d)
				}
				switch {
				case ch >= 0xd800 && ch <= 0xdbff:
					if hi != -1 {
						return fault(i+1, "Unicode high surrogate must not follow a high surrogate.")
					}
					hi = ch
					continue
				case ch >= 0xdc00 && ch <= 0xdfff:
					if hi == -1 {
						return fault(i+1, "Unicode low surrogate must follow a high surrogate.")
					}
					hi = -1
					continue
				}
				if hi != -1 {
					return fault(i+1, "Unicode low surrogate must follow a high surrogate.")
				}
				if ch == 0 && p.jsonb {
					f := fault(i+1, "")
					f.nul = true
					return f
				}
				continue
			}
			if !strings.ContainsRune(`"\/bfnrt`, rune(s[i])) {
				end := p.charEnd(i)
				return fault(end, fmt.Sprintf(`Escape sequence "\%s" is invalid.`, s[i:end]))
			}
		default:
			if hi != -1 {
				return fault(i+1, "Unicode low surrogate must follow a high surrogate.")
			}
		}
	}
}

// peek lexes the next token without taking it.
func (p *jsonChecker) peek() *jsonFault {
	if p.peeked {
		return nil
	}
	if f := p.advance(); f != nil {
		return f
	}
	p.peeked = true
	return nil
}

// expected is the fault of the current (peeked) token where what was expected.
func (p *jsonChecker) expected(what string) *jsonFault {
	if p.tok == jtEnd {
		return &jsonFault{detail: "The input string ended unexpectedly.", end: p.end}
	}
	return &jsonFault{detail: fmt.Sprintf("Expected %s, but found \"%s\".", what, p.s[p.start:p.end]), end: p.end}
}

// expect takes the next token, which must be tok.
func (p *jsonChecker) expect(tok jsonToken, what string) *jsonFault {
	if f := p.peek(); f != nil {
		return f
	}
	if p.tok != tok {
		return p.expected(what)
	}
	p.peeked = false
	return nil
}

// value parses a JSON value.
func (p *jsonChecker) value() *jsonFault {
	if f := p.peek(); f != nil {
		return f
	}
	switch p.tok {
	case jtObjStart:
		p.peeked = false
		if f := p.peek(); f != nil {
			return f
		}
		switch p.tok {
		case jtObjEnd:
			p.peeked = false
			return nil
		case jtString:
		default:
			return p.expected(`string or "}"`)
		}
		for {
			if f := p.expect(jtString, "string"); f != nil {
				return f
			}
			if f := p.expect(jtColon, `":"`); f != nil {
				return f
			}
			if f := p.value(); f != nil {
				return f
			}
			if f := p.peek(); f != nil {
				return f
			}
			if p.tok != jtComma {
				return p.expect(jtObjEnd, `"," or "}"`)
			}
			p.peeked = false
		}
	case jtArrStart:
		p.peeked = false
		if f := p.peek(); f != nil {
			return f
		}
		if p.tok == jtArrEnd {
			p.peeked = false
			return nil
		}
		for {
			if f := p.value(); f != nil {
				return f
			}
			if f := p.peek(); f != nil {
				return f
			}
			if p.tok != jtComma {
				return p.expect(jtArrEnd, `"," or "]"`)
			}
			p.peeked = false
		}
	case jtString, jtNumber, jtTrue, jtFalse, jtNull:
		p.peeked = false
		return nil
	}
	return p.expected("JSON value")
}

// context is PostgreSQL's CONTEXT of a fault whose quote ends at end: the current line up to it, at most 49
// bytes of it (whole characters), with "..." where the quote leaves some of the line out.
func (p *jsonChecker) context(end int) string {
	lineStart := p.lineStart
	if lineStart > end {
		lineStart = end
	}
	start := lineStart
	for end-start >= 50 {
		start = p.charEnd(start)
	}
	if start-lineStart <= 3 {
		start = lineStart
	}
	prefix, suffix := "", ""
	if start > lineStart {
		prefix = "..."
	}
	if p.tok != jtEnd && end < len(p.s) && p.s[end] != '\n' && p.s[end] != '\r' {
		suffix = "..."
	}
	return fmt.Sprintf("JSON data, line %d: %s%s%s", p.line, prefix, p.s[start:end], suffix)
}
