package value

import (
	"regexp"
	"strings"

	"github.com/concorddb/concord/internal/codes"
)

// CompileRegex translates a PCRE pattern and MongoDB options into a Go
// regexp, for $regex in filters and $regexMatch, $regexFind and
// $regexFindAll in expressions. Options i, m, s map to RE2 flags, x strips
// whitespace and comments first, u is accepted (RE2 is always UTF-8). Constructs RE2 lacks
// (backreferences, lookaround) are reported as invalid patterns.
func CompileRegex(pattern, options string) (*regexp.Regexp, error) {
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, codes.New(51091, "Regular expression is invalid: pattern contains a null byte")
	}
	flags := ""
	extended := false
	for _, c := range options {
		switch c {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, c) {
				flags += string(c)
			}
		case 'x':
			extended = true
		case 'u':
		default:
			return nil, codes.New(51108, "invalid flag in regex options: %c", c)
		}
	}
	src := pattern
	if extended {
		src = stripExtended(src)
	}
	if flags != "" {
		src = "(?" + flags + ")" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, codes.New(51091, "Regular expression is invalid: %v", err)
	}
	return re, nil
}

// stripExtended removes unescaped whitespace and #-comments outside
// character classes, which is what PCRE's extended mode ignores.
func stripExtended(p string) string {
	var b strings.Builder
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			b.WriteByte(p[i+1])
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
			b.WriteByte(c)
		case c == '[':
			inClass = true
			b.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
		case c == '#':
			for i < len(p) && p[i] != '\n' {
				i++
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
