package sql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseIdent is parse_ident(qualified [, strict]): the names of a qualified identifier, a quoted one as written
// (its "" a "), an unquoted one in lower case, as PostgreSQL's misc.c reads them; 22023 for a string that is not
// one, and with strict (the default) for anything after its last name.
func parseIdent(s string, strict bool) ([]any, error) {
	bad := func(detail string) error {
		return &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf("string is not a valid identifier: \"%s\"", s), Detail: detail}
	}
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	isStart := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80 }
	isCont := func(c byte) bool { return isStart(c) || c >= '0' && c <= '9' || c == '$' }
	var out []any
	i, afterDot := 0, false
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	for {
		switch {
		case i < len(s) && s[i] == '"':
			var name strings.Builder
			j := i + 1
			for {
				k := strings.IndexByte(s[j:], '"')
				if k < 0 {
					return nil, bad("String has unclosed double quotes.")
				}
				name.WriteString(s[j : j+k])
				j += k + 1
				if j < len(s) && s[j] == '"' {
					name.WriteByte('"')
					j++
					continue
				}
				break
			}
			if name.Len() == 0 {
				return nil, bad("Quoted identifier must not be empty.")
			}
			out = append(out, name.String())
			i = j
		case i < len(s) && isStart(s[i]):
			j := i + 1
			for j < len(s) && isCont(s[j]) {
				j++
			}
			out = append(out, truncateIdent(asciiLower(s[i:j])))
			i = j
		case i < len(s) && s[i] == '.':
			return nil, bad(`No valid identifier before ".".`)
		case afterDot:
			return nil, bad(`No valid identifier after ".".`)
		default:
			return nil, bad("")
		}
		for i < len(s) && isSpace(s[i]) {
			i++
		}
		switch {
		case i < len(s) && s[i] == '.':
			afterDot = true
			i++
			for i < len(s) && isSpace(s[i]) {
				i++
			}
		case i == len(s):
			return out, nil
		case strict:
			return nil, bad("")
		default:
			return out, nil
		}
	}
}

// truncateIdent cuts an identifier to PostgreSQL's 63 bytes, at a character's boundary.
func truncateIdent(s string) string {
	if len(s) <= 63 {
		return s
	}
	n := 63
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// asciiLower is s with A to Z in lower case, as PostgreSQL folds an unquoted identifier in a multibyte encoding.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
