package sql

import (
	"math"
	"strings"
	"unicode/utf8"
)

// quoteLiteral is quote_literal: text in single quotes, quotes doubled, with an E prefix and doubled backslashes
// when it holds a backslash, as PostgreSQL writes it.
func quoteLiteral(s string) string {
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// formatFunc is format(fmt, args...): %s (the argument's text, NULL as nothing), %I (an identifier, quoted where
// needed), %L (a literal, NULL as NULL) and %%, as PostgreSQL's text_format parses them: each optionally with a
// position (%2$s), the flag - (left-justify), and a width, a number or * (the next argument's value, or with *3$
// the third's; a negative one left-justifies, a NULL one is 0). A width pads the value with spaces to that many
// characters. A specifier without a position takes the argument after the one the last specifier took.
func formatFunc(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errorf(CodeUndefinedFunction, "function format with 0 arguments does not exist")
	}
	if args[0] == nil {
		return nil, nil
	}
	f, rest := formatText(args[0]), args[1:]
	var b strings.Builder
	last := -1 // the argument the last specifier took
	unterminated := errorf(CodeInvalidParameterValue, "unterminated format() type specifier")
	// digits reads a number at f[i:], reporting whether there was one.
	digits := func(i int) (n, j int, ok bool, err error) {
		for j = i; j < len(f) && f[j] >= '0' && f[j] <= '9'; j++ {
			if n > (math.MaxInt32-int(f[j]-'0'))/10 {
				return 0, j, false, errorf(CodeInvalidParameterValue, "number is out of range")
			}
			n = n*10 + int(f[j]-'0')
		}
		if j == len(f) && j > i {
			return 0, j, false, unterminated
		}
		return n, j, j > i, nil
	}
	take := func(pos int) (any, error) {
		if pos == 0 {
			pos = last + 2 // the next one
		}
		if pos > len(rest) {
			return nil, errorf(CodeInvalidParameterValue, "too few arguments for format()")
		}
		last = pos - 1
		return rest[pos-1], nil
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return nil, unterminated
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		argPos, widthPos, width, left := 0, -1, 0, false
		n, j, ok, err := digits(i)
		if err != nil {
			return nil, err
		}
		if ok && f[j] == '$' {
			if n == 0 {
				return nil, errorf(CodeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
			}
			argPos, i = n, j+1
		} else if ok {
			width, i = n, j // a number without $ is the width
		}
		if !ok || argPos > 0 {
			for i < len(f) && f[i] == '-' {
				left, i = true, i+1
			}
			if i < len(f) && f[i] == '*' {
				n, j, ok, err := digits(i + 1)
				if err != nil {
					return nil, err
				}
				widthPos, i = 0, j
				if ok {
					if f[j] != '$' {
						return nil, errorf(CodeInvalidParameterValue, "width argument position must be ended by \"$\"")
					}
					if n == 0 {
						return nil, errorf(CodeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
					}
					widthPos, i = n, j+1
				}
			} else if n, j, ok, err := digits(i); err != nil {
				return nil, err
			} else if ok {
				width, i = n, j
			}
		}
		if i >= len(f) {
			return nil, unterminated
		}
		if c := f[i]; c != 's' && c != 'I' && c != 'L' {
			return nil, errorf(CodeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", c)
		}
		if widthPos >= 0 {
			w, err := take(widthPos)
			if err != nil {
				return nil, err
			}
			width = 0
			if w != nil {
				n, err := coerce(w, OIDInt4)
				if err != nil {
					return nil, err
				}
				width = int(n.(int64))
			}
			if width < 0 {
				left, width = true, -width
			}
		}
		v, err := take(argPos)
		if err != nil {
			return nil, err
		}
		var out string
		switch f[i] {
		case 's':
			if v != nil {
				out = formatText(v)
			}
		case 'I':
			if v == nil {
				return nil, errorf(CodeNullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			out = quoteIdent(formatText(v))
		case 'L':
			out = "NULL"
			if v != nil {
				out = quoteLiteral(formatText(v))
			}
		}
		pad := strings.Repeat(" ", max(width-utf8.RuneCountInString(out), 0))
		if left {
			out += pad
		} else {
			out = pad + out
		}
		b.WriteString(out)
	}
	return b.String(), nil
}
