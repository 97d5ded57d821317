package value

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"

	"github.com/concorddb/concord/internal/codes"
)

// RegexMatchTimeout bounds the time one match of a pattern that needs the
// backtracking engine may take, so that a hostile pattern ((a+)+$ against
// a long run of a's) cannot hold a server thread. mongod has no time
// limit but stops PCRE at its match limit; past either limit a match is an
// error (Regex.Match and the find methods return ErrRegexLimit).
const RegexMatchTimeout = 200 * time.Millisecond

// ErrRegexLimit is the error of a match stopped by RegexMatchTimeout or
// by the backtracking engine's stack limit.
var ErrRegexLimit = errors.New("match limit exceeded")

// Regex is a compiled MongoDB regular expression. Patterns with PCRE's
// syntax beyond RE2 (lookahead and lookbehind, backreferences, atomic
// groups, possessive quantifiers, \Z, conditionals) and patterns whose $
// means PCRE's "end or before a final newline" run on a backtracking
// engine (github.com/dlclark/regexp2) with a time bound; the others run on
// Go's regexp, which is linear in the input. A Regex is safe for
// concurrent use.
type Regex struct {
	re2 *regexp.Regexp
	bt  *regexp2.Regexp
}

// CompileRegex compiles a PCRE pattern with MongoDB's options (i, m, s,
// x, u), for $regex in filters and $regexMatch, $regexFind and
// $regexFindAll in expressions. x strips whitespace and comments first;
// u is accepted (matching is always on code points). Errors: 51091 for
// an invalid pattern, 51108 for an unknown option.
func CompileRegex(pattern, options string) (*Regex, error) {
	if strings.IndexByte(pattern, 0) >= 0 {
		return nil, codes.New(51091, "Regular expression is invalid: pattern contains a null byte")
	}
	flags := ""
	extended := false
	var btOpts regexp2.RegexOptions
	for _, c := range options {
		switch c {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, c) {
				flags += string(c)
			}
			btOpts |= map[rune]regexp2.RegexOptions{'i': regexp2.IgnoreCase, 'm': regexp2.Multiline, 's': regexp2.Singleline}[c]
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
	if !needsBacktracking(src, flags) {
		goSrc := src
		if flags != "" {
			goSrc = "(?" + flags + ")" + src
		}
		if re, err := regexp.Compile(goSrc); err == nil {
			return &Regex{re2: re}, nil
		}
	}
	bt, err := regexp2.Compile(src, btOpts, regexp2.OptionMaintainCaptureOrder())
	if err != nil {
		return nil, codes.New(51091, "Regular expression is invalid: %v", err)
	}
	bt.MatchTimeout = RegexMatchTimeout
	return &Regex{bt: bt}, nil
}

// needsBacktracking reports whether a pattern that Go's regexp may accept
// means something else to PCRE: a $ outside a character class without
// the m option matches before a final newline in PCRE, at the end only
// in RE2.
func needsBacktracking(p, flags string) bool {
	if strings.Contains(flags, "m") {
		return false
	}
	inClass := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '$':
			return true
		}
	}
	return false
}

// MatchString reports whether s contains a match.
func (r *Regex) MatchString(s string) (bool, error) {
	if r.re2 != nil {
		return r.re2.MatchString(s), nil
	}
	ok, err := r.bt.MatchString(s)
	if err != nil {
		return false, ErrRegexLimit
	}
	return ok, nil
}

// Match reports whether b contains a match; on Go's engine it does not
// allocate.
func (r *Regex) Match(b []byte) (bool, error) {
	if r.re2 != nil {
		return r.re2.Match(b), nil
	}
	return r.MatchString(string(b))
}

// FindSubmatchIndex returns the byte offsets of the leftmost match and of
// its groups as regexp.FindStringSubmatchIndex does (-1 for a group that
// did not take part), or nil for no match.
func (r *Regex) FindSubmatchIndex(s string) ([]int, error) {
	all, err := r.find(s, 1)
	if len(all) == 0 {
		return nil, err
	}
	return all[0], err
}

// FindAllSubmatchIndex returns every successive non-overlapping match as
// FindSubmatchIndex does.
func (r *Regex) FindAllSubmatchIndex(s string) ([][]int, error) {
	return r.find(s, -1)
}

// find returns up to n matches (n < 0: all).
func (r *Regex) find(s string, n int) ([][]int, error) {
	if r.re2 != nil {
		return r.re2.FindAllStringSubmatchIndex(s, n), nil
	}
	var out [][]int
	m, err := r.bt.FindStringMatch(s)
	for err == nil && m != nil && (n < 0 || len(out) < n) {
		groups := m.Groups()
		loc := make([]int, 0, 2*len(groups))
		for _, g := range groups {
			if len(g.Captures) == 0 {
				loc = append(loc, -1, -1)
				continue
			}
			at, n := g.ByteRange()
			loc = append(loc, at, at+n)
		}
		out = append(out, loc)
		m, err = r.bt.FindNextMatch(m)
	}
	if err != nil {
		return nil, ErrRegexLimit
	}
	return out, nil
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
