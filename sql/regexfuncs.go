package sql

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// regexTypes are the result types of the functions of regexFunc and the types their parameters take, as
// builtinTypes has them.
var regexTypes = map[string]struct {
	result uint32
	args   []uint32
}{
	"like_escape":           {OIDText, []uint32{OIDText}},
	"similar_to_escape":     {OIDText, []uint32{OIDText}},
	"regexp_split_to_array": {OIDTextArray, []uint32{OIDText}},
	"regexp_count":          {OIDInt4, []uint32{OIDText, OIDText, OIDInt4, OIDText}},
	"regexp_like":           {OIDBool, []uint32{OIDText}},
	"regexp_instr":          {OIDInt4, []uint32{OIDText, OIDText, OIDInt4, OIDInt4, OIDInt4, OIDText, OIDInt4}},
	"regexp_substr":         {OIDText, []uint32{OIDText, OIDText, OIDInt4, OIDInt4, OIDText, OIDInt4}},
}

func init() {
	for name, t := range regexTypes {
		builtinTypes[name] = t
	}
}

// regexFunc runs the regular expression functions of regexTypes (and regexp_replace with a start position) on
// evaluated arguments, none NULL; ok is false for another function.
func regexFunc(name string, args []any) (v any, ok bool, err error) {
	argc := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		return nil
	}
	text := func(i int) string { return formatText(args[i]) }
	// opt is optional argument i, an integer, or def when the call stops before it.
	opt := func(i int, def int64) (int64, error) {
		if i >= len(args) {
			return def, nil
		}
		n, err := coerce(numeric(args[i]), OIDInt8)
		if err != nil {
			return 0, err
		}
		return n.(int64), nil
	}
	flagsAt := func(i int) string {
		if i < len(args) {
			return text(i)
		}
		return ""
	}
	switch name {
	case "like_escape":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		v, err := likeEscape(text(0), text(1))
		return v, true, err
	case "similar_to_escape":
		if err := argc(1, 2); err != nil {
			return nil, true, err
		}
		esc := `\`
		if len(args) == 2 {
			esc = text(1)
		}
		v, err := similarToRegexp(text(0), esc)
		return v, true, err
	case "regexp_split_to_array":
		if err := argc(2, 3); err != nil {
			return nil, true, err
		}
		parts, err := regexpSplit(text(0), text(1), flagsAt(2))
		return parts, true, err
	case "regexp_like":
		if err := argc(2, 3); err != nil {
			return nil, true, err
		}
		re, err := regexpNoGlobal(name, text(1), flagsAt(2))
		if err != nil {
			return nil, true, err
		}
		return re.MatchString(text(0)), true, nil
	case "regexp_count", "regexp_instr", "regexp_substr":
		hi := map[string]int{"regexp_count": 4, "regexp_instr": 7, "regexp_substr": 6}[name]
		if err := argc(2, hi); err != nil {
			return nil, true, err
		}
		start, err := opt(2, 1)
		if err != nil {
			return nil, true, err
		}
		if start <= 0 {
			return nil, true, errorf(CodeInvalidParameterValue, "invalid value for parameter \"start\": %d", start)
		}
		flags, nth, endOpt, sub := "", int64(1), int64(0), int64(0)
		switch name {
		case "regexp_count":
			flags = flagsAt(3)
		case "regexp_instr":
			if nth, err = opt(3, 1); err == nil {
				if endOpt, err = opt(4, 0); err == nil {
					flags = flagsAt(5)
					sub, err = opt(6, 0)
				}
			}
		default:
			if nth, err = opt(3, 1); err == nil {
				flags = flagsAt(4)
				sub, err = opt(5, 0)
			}
		}
		if err != nil {
			return nil, true, err
		}
		switch {
		case nth <= 0:
			return nil, true, errorf(CodeInvalidParameterValue, "invalid value for parameter \"n\": %d", nth)
		case endOpt < 0 || endOpt > 1:
			return nil, true, errorf(CodeInvalidParameterValue, "invalid value for parameter \"endoption\": %d", endOpt)
		case sub < 0:
			return nil, true, errorf(CodeInvalidParameterValue, "invalid value for parameter \"subexpr\": %d", sub)
		}
		re, err := regexpNoGlobal(name, text(1), flags)
		if err != nil {
			return nil, true, err
		}
		s := text(0)
		off := runeOffset(s, start-1)
		matches := re.FindAllStringSubmatchIndex(s[off:], -1)
		if name == "regexp_count" {
			return int64(len(matches)), true, nil
		}
		if int64(len(matches)) < nth || 2*sub+1 >= int64(len(matches[nth-1])) || matches[nth-1][2*sub] < 0 {
			if name == "regexp_instr" {
				return int64(0), true, nil
			}
			return nil, true, nil
		}
		m := matches[nth-1]
		from, to := off+m[2*sub], off+m[2*sub+1]
		if name == "regexp_substr" {
			return s[from:to], true, nil
		}
		if endOpt == 1 {
			from = to
		}
		return int64(utf8.RuneCountInString(s[:from]) + 1), true, nil
	}
	return nil, false, nil
}

// regexpNoGlobal compiles a pattern for a function that does not take flag g.
func regexpNoGlobal(name, pattern, flags string) (*regexp.Regexp, error) {
	re, global, err := compileRegexp(pattern, flags)
	if err == nil && global {
		err = errorf(CodeInvalidParameterValue, "%s() does not support the \"global\" option", name)
	}
	return re, err
}

// runeOffset is the byte offset of character n (from 0) of s, or len(s) when s is shorter.
func runeOffset(s string, n int64) int {
	for i := range s {
		if n == 0 {
			return i
		}
		n--
	}
	return len(s)
}

// regexpSplit is regexp_split_to_array's and regexp_split_to_table's pieces of s between the matches of pattern,
// where a match of the empty string splits between two characters but not at either end of s, as in PostgreSQL.
func regexpSplit(s, pattern, flags string) ([]any, error) {
	re, err := regexpNoGlobal("regexp_split_to_table", pattern, flags)
	if err != nil {
		return nil, err
	}
	var out []any
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		if m[0] == m[1] && (m[0] == 0 || m[0] == len(s)) {
			continue
		}
		out = append(out, s[last:m[0]])
		last = m[1]
	}
	return append(out, s[last:]), nil
}

// regexpReplaceFrom is regexp_replace(s, pattern, repl, start[, n[, flags]]): the text before character start is
// kept, and after it the nth match is replaced, or every match when n is 0.
func regexpReplaceFrom(s, pattern, repl string, start, n int64, flags string) (any, error) {
	if start <= 0 {
		return nil, errorf(CodeInvalidParameterValue, "invalid value for parameter \"start\": %d", start)
	}
	if n < 0 {
		return nil, errorf(CodeInvalidParameterValue, "invalid value for parameter \"n\": %d", n)
	}
	off := runeOffset(s, start-1)
	head, tail := s[:off], s[off:]
	if n == 0 || n == 1 {
		if n == 0 {
			flags += "g"
		}
		v, _, err := regexpReplace(tail, pattern, repl, flags)
		if err != nil {
			return nil, err
		}
		return head + v.(string), nil
	}
	re, _, err := compileRegexp(pattern, flags)
	if err != nil {
		return nil, err
	}
	ms := re.FindAllStringIndex(tail, -1)
	if int64(len(ms)) < n {
		return s, nil
	}
	m := ms[n-1]
	// Replace only the nth match: run the one-match replacement on the text from it, which matches there first.
	v, _, err := regexpReplace(tail[m[0]:], pattern, repl, strings.ReplaceAll(flags, "g", ""))
	if err != nil {
		return nil, err
	}
	return head + tail[:m[0]] + v.(string), nil
}

// likeEscape is like_escape(pattern, escape): a LIKE pattern with escape character esc rewritten to use the
// backslash LIKE takes, or with no escape character at all when esc is empty (22025 for a longer one).
func likeEscape(p, esc string) (string, error) {
	if esc == `\` {
		return p, nil
	}
	if utf8.RuneCountInString(esc) > 1 {
		return "", &Error{Code: CodeInvalidEscapeSequence, Message: "invalid escape string", Hint: "Escape string must be empty or one character."}
	}
	e, _ := utf8.DecodeRuneInString(esc)
	var b strings.Builder
	escaped := false
	for _, c := range p {
		switch {
		case escaped:
			if c == '\\' || c == '%' || c == '_' || c == e {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
			escaped = false
		case esc != "" && c == e:
			escaped = true
		case c == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(c)
		}
	}
	if escaped {
		b.WriteByte('\\') // an escape at the end, which LIKE fails on as PostgreSQL does
	}
	return b.String(), nil
}

// similarToRegexp is similar_to_escape(pattern[, escape]), PostgreSQL's similar_escape_internal: the regular
// expression of a SIMILAR TO pattern, anchored at both ends. % is .*, _ is ., ( a non-capturing group, the escape
// character (a backslash unless given; none when empty) takes the next character as it is, and the escape
// followed by " marks the part substring(s similar p escape e) returns (at most two such marks, else 2200B).
func similarToRegexp(p, esc string) (string, error) {
	if utf8.RuneCountInString(esc) > 1 {
		return "", &Error{Code: CodeInvalidEscapeSequence, Message: "invalid escape string", Hint: "Escape string must be empty or one character."}
	}
	e, _ := utf8.DecodeRuneInString(esc)
	var b strings.Builder
	b.WriteString("^(?:")
	escaped, inClass, quotes := false, false, 0
	for _, c := range p {
		switch {
		case escaped:
			escaped = false
			if c == '"' && !inClass {
				switch quotes {
				case 0:
					b.WriteString("){1,1}?(")
				case 1:
					b.WriteString("){1,1}(?:")
				default:
					return "", errorf(CodeInvalidUseOfEscapeCharacter, "SQL regular expression may not contain more than two escape-double-quote separators")
				}
				quotes++
				continue
			}
			if c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				b.WriteByte('\\') // a class escape such as \d
				b.WriteRune(c)
				continue
			}
			b.WriteString(regexp.QuoteMeta(string(c)))
		case esc != "" && c == e:
			escaped = true
		case inClass:
			if c == '\\' {
				b.WriteByte('\\')
			}
			b.WriteRune(c)
			inClass = c != ']'
		case c == '[':
			b.WriteRune(c)
			inClass = true
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteByte('.')
		case c == '(':
			b.WriteString("(?:")
		case c == '\\' || c == '.' || c == '^' || c == '$':
			b.WriteByte('\\')
			b.WriteRune(c)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteString(")$")
	return b.String(), nil
}

// regexSubstring is substring(s from pattern), a POSIX regular expression: the text the first parenthesized group
// matched, or the whole match when there is none, NULL without a match.
func regexSubstring(s, pattern string) (any, error) {
	re, err := regexp.Compile("(?s)" + pattern)
	if err != nil {
		return nil, errorf(CodeInvalidRegularExpression, "invalid regular expression: %v", err)
	}
	m := re.FindStringSubmatchIndex(s)
	switch {
	case m == nil:
		return nil, nil
	case len(m) > 2:
		if m[2] < 0 {
			return nil, nil
		}
		return s[m[2]:m[3]], nil
	}
	return s[m[0]:m[1]], nil
}
