package sql

import (
	"strconv"
	"strings"
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
// needed), %L (a literal, NULL as NULL) and %%, each optionally with a position (%2$s).
func formatFunc(args []any) (any, error) {
	if len(args) == 0 {
		return nil, errorf(CodeUndefinedFunction, "function format with 0 arguments does not exist")
	}
	if args[0] == nil {
		return nil, nil
	}
	f, rest := formatText(args[0]), args[1:]
	var b strings.Builder
	next := 0
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			b.WriteByte(f[i])
			continue
		}
		i++
		if i >= len(f) {
			return nil, errorf(CodeInvalidParameterValue, "unterminated format() type specifier")
		}
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		arg := next
		if j := strings.IndexByte(f[i:], '$'); j > 0 {
			if n, err := strconv.Atoi(f[i : i+j]); err == nil {
				if n < 1 {
					return nil, errorf(CodeInvalidParameterValue, "format specifies argument 0, but arguments are numbered from 1")
				}
				arg, i = n-1, i+j+1
				if i >= len(f) {
					return nil, errorf(CodeInvalidParameterValue, "unterminated format() type specifier")
				}
			}
		}
		if arg >= len(rest) {
			return nil, errorf(CodeInvalidParameterValue, "too few arguments for format()")
		}
		next = arg + 1
		v := rest[arg]
		switch f[i] {
		case 's':
			if v != nil {
				b.WriteString(formatText(v))
			}
		case 'I':
			if v == nil {
				return nil, errorf(CodeNullValueNotAllowed, "null values cannot be formatted as an SQL identifier")
			}
			b.WriteString(quoteIdent(formatText(v)))
		case 'L':
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.WriteString(quoteLiteral(formatText(v)))
			}
		default:
			return nil, errorf(CodeInvalidParameterValue, "unrecognized format() type specifier \"%c\"", f[i])
		}
	}
	return b.String(), nil
}
