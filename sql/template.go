package sql

import (
	"strings"
	"unicode/utf8"
)

// tmplNode is one element of a date and time template as PostgreSQL reads it for to_char, to_date and
// to_timestamp: a pattern (key, with its FM prefix and TH or th suffix), or one character of other text.
type tmplNode struct {
	key  string // the pattern as written ("YYYY", "Mon", "hh24"); "" for a character
	fm   bool   // FM before the pattern: no padding (to_char), as many digits as there are (to_date)
	th   string // "TH", "th" or ""
	text string // the character, for a node that is no pattern
	kind tmplKind
}

// tmplKind tells a template's patterns from its other characters, which to_date and to_timestamp read apart: a
// space or a separator (any other printable ASCII character that is no letter or digit) of the template
// matches one of either in the input, any other character skips one input character.
type tmplKind uint8

const (
	tmplPattern tmplKind = iota
	tmplChar             // a letter, a digit, or any character in double quotes
	tmplSpace
	tmplSeparator
)

// datePatterns are the date and time patterns of to_char, to_date and to_timestamp. Matching takes the longest
// pattern at each position, as PostgreSQL's ordered keyword table does. The upper, capitalised and lower case
// forms of a name pattern print the name so; the lower-case forms of the number patterns are the same patterns.
var datePatterns = func() map[string]bool {
	m := map[string]bool{}
	for _, p := range []string{"MONTH", "Month", "month", "MON", "Mon", "mon", "DAY", "Day", "day", "DY", "Dy", "dy",
		"AM", "PM", "am", "pm", "A.M.", "P.M.", "a.m.", "p.m.", "TZ", "tz", "OF", "BC", "AD", "bc", "ad", "B.C.", "A.D.",
		"b.c.", "a.d.", "RM", "rm", "Y,YYY"} {
		m[p] = true
	}
	for _, p := range []string{"YYYY", "YYY", "YY", "Y", "MM", "DDD", "DD", "D", "HH24", "HH12", "HH", "MI", "SS", "MS",
		"US", "IW", "IYYY", "IYY", "IY", "I", "Q", "FX", "TZH", "TZM", "ID", "IDDD", "J", "CC", "W", "WW", "SSSS", "SSSSS",
		"FF1", "FF2", "FF3", "FF4", "FF5", "FF6"} {
		m[p], m[strings.ToLower(p)] = true, true
	}
	return m
}()

// digitPatterns are the patterns whose text is a number: a number read for one of them before another of them
// takes exactly the pattern's width.
var digitPatterns = map[string]bool{"YYYY": true, "YYY": true, "YY": true, "Y": true, "MM": true, "DDD": true,
	"DD": true, "D": true, "HH24": true, "HH12": true, "HH": true, "MI": true, "SS": true, "MS": true, "US": true,
	"IW": true, "IYYY": true, "IYY": true, "IY": true, "I": true, "Q": true, "TZM": true, "ID": true, "IDDD": true, "J": true,
	"CC": true, "W": true, "WW": true, "SSSS": true, "SSSSS": true, "FF1": true, "FF2": true, "FF3": true, "FF4": true,
	"FF5": true, "FF6": true}

// toCharOnly are the patterns to_char writes and to_date and to_timestamp do not read (0A000 there).
var toCharOnly = map[string]bool{"ID": true, "IDDD": true, "CC": true, "W": true, "WW": true, "SSSS": true,
	"SSSSS": true, "FF1": true, "FF2": true, "FF3": true, "FF4": true, "FF5": true, "FF6": true, "BC": true, "AD": true,
	"B.C.": true, "A.D.": true, "RM": true, "Y,YYY": true}

// parseDateTemplate splits a to_char, to_date or to_timestamp template into its nodes, as PostgreSQL's
// parse_format does: FM (or fm) before a pattern and TH (or th) after one are its modifiers; text in double
// quotes is characters, a backslash in it quoting the next character; outside quotes a backslash quotes only a
// double quote.
func parseDateTemplate(f string) []tmplNode {
	var out []tmplNode
	for i := 0; i < len(f); {
		fm := false
		if strings.HasPrefix(f[i:], "FM") || strings.HasPrefix(f[i:], "fm") {
			fm = true
			i += 2
		}
		if key := longestPattern(f[i:]); key != "" {
			i += len(key)
			n := tmplNode{key: key, fm: fm, kind: tmplPattern}
			if strings.HasPrefix(f[i:], "TH") || strings.HasPrefix(f[i:], "th") {
				n.th = f[i : i+2]
				i += 2
			}
			out = append(out, n)
			continue
		}
		if i >= len(f) {
			break
		}
		if f[i] == '"' {
			for i++; i < len(f); {
				if f[i] == '"' {
					i++
					break
				}
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				_, w := utf8.DecodeRuneInString(f[i:])
				out = append(out, tmplNode{text: f[i : i+w], kind: tmplChar})
				i += w
			}
			continue
		}
		if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
			i++
		}
		_, w := utf8.DecodeRuneInString(f[i:])
		n := tmplNode{text: f[i : i+w], kind: tmplChar}
		switch c := f[i]; {
		case isSeparatorChar(c):
			n.kind = tmplSeparator
		case isSpaceChar(c):
			n.kind = tmplSpace
		}
		out = append(out, n)
		i += w
	}
	return out
}

// longestPattern is the longest date pattern s begins with, or "".
func longestPattern(s string) string {
	for n := min(len(s), 5); n > 0; n-- {
		if datePatterns[s[:n]] {
			return s[:n]
		}
	}
	return ""
}

// isSeparatorChar reports whether c is a printable ASCII character that is no letter or digit.
func isSeparatorChar(c byte) bool {
	return c > 0x20 && c < 0x7f && !(c >= 'A' && c <= 'Z') && !(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9')
}

// isSpaceChar is C's isspace.
func isSpaceChar(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
