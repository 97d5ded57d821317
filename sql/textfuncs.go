package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textFuncs are the functions of textFunc and their argument counts.
var textFuncs = map[string][2]int{"unistr": {1, 1}, "convert_to": {2, 2}, "convert_from": {2, 2}}

// strictArity checks a call of the strict function name against its arity (the least and most arguments it
// takes): 42883 outside it. null reports an argument that is NULL, which makes the call's value NULL.
func strictArity(name string, args []any, arity [2]int) (null bool, err error) {
	if len(args) < arity[0] || len(args) > arity[1] {
		return false, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	return slices.Contains(args, nil), nil
}

// textFunc runs unistr, convert_to and convert_from on evaluated arguments; strict, as PostgreSQL's are. ok is
// false for another name.
func textFunc(name string, args []any) (v any, ok bool, err error) {
	want, known := textFuncs[name]
	if !known {
		return nil, false, nil
	}
	if null, err := strictArity(name, args, want); null || err != nil {
		return nil, true, err
	}
	switch name {
	case "unistr":
		v, err = unistr(formatText(args[0]))
	case "convert_to":
		v, err = convertTo(formatText(args[0]), formatText(args[1]))
	default:
		b, _, err := toBytea(args[0])
		if err != nil {
			return nil, true, err
		}
		v, err = convertFrom(b, formatText(args[1]))
		return v, true, err
	}
	return v, true, err
}

// unistr is PostgreSQL's unistr: s with its Unicode escapes (\XXXX, \+XXXXXX, \uXXXX, \UXXXXXXXX, hexadecimal;
// a UTF-16 surrogate pair as two) written as the characters and \\ as a backslash. A malformed escape or a lone
// surrogate is 42601, a code point that is no character (0, beyond 10FFFF) 22023.
func unistr(s string) (any, error) {
	badEscape := &Error{Code: CodeSyntaxError, Message: "invalid Unicode escape",
		Hint: `Unicode escapes must be \XXXX, \+XXXXXX, \uXXXX, or \UXXXXXXXX.`}
	badPair := errorf(CodeSyntaxError, "invalid Unicode surrogate pair")
	// escape reads the escape at s[i] (a backslash), returning its code point and the index after it.
	escape := func(i int) (rune, int, error) {
		digits, from := 4, i+1
		switch {
		case i+1 < len(s) && s[i+1] == '+':
			digits, from = 6, i+2
		case i+1 < len(s) && s[i+1] == 'u':
			from = i + 2
		case i+1 < len(s) && s[i+1] == 'U':
			digits, from = 8, i+2
		}
		if from+digits > len(s) {
			return 0, 0, badEscape
		}
		hex := s[from : from+digits]
		n, err := strconv.ParseUint(hex, 16, 32)
		if err != nil || strings.ContainsAny(hex, "+-") {
			return 0, 0, badEscape
		}
		if n == 0 || n > unicode.MaxRune {
			return 0, 0, errorf(CodeInvalidParameterValue, "invalid Unicode code point: %s", hex)
		}
		return rune(n), from + digits, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == '\\' {
			b.WriteByte('\\')
			i += 2
			continue
		}
		r, next, err := escape(i)
		if err != nil {
			return nil, err
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return nil, badPair
		case r >= 0xD800 && r <= 0xDBFF:
			if next >= len(s) || s[next] != '\\' {
				return nil, badPair
			}
			lo, after, err := escape(next)
			if err != nil {
				return nil, err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return nil, badPair
			}
			r, next = 0x10000+(r-0xD800)<<10+(lo-0xDC00), after
		}
		b.WriteRune(r)
		i = next
	}
	return b.String(), nil
}

// encodings maps PostgreSQL's encoding names, as pg_char_to_encoding reads them (lower case, without the
// characters that are not letters or digits) with their aliases, to the encoding.
var encodings = func() map[string]string {
	m := map[string]string{"unicode": "UTF8", "alt": "WIN866", "win": "WIN1251", "koi8": "KOI8R",
		"mskanji": "SJIS", "shiftjis": "SJIS", "tcvn": "WIN1258", "tcvn5712": "WIN1258", "vscii": "WIN1258",
		"abc": "WIN1258", "windows949": "UHC", "windows936": "GBK", "windows950": "BIG5", "eucjis2004": "EUC_JIS_2004",
		"shiftjis2004": "SHIFT_JIS_2004", "iso885910": "LATIN6", "iso885913": "LATIN7", "iso885914": "LATIN8",
		"iso885915": "LATIN9", "iso885916": "LATIN10", "iso88591": "LATIN1", "iso88592": "LATIN2",
		"iso88593": "LATIN3", "iso88594": "LATIN4", "iso88599": "LATIN5"}
	for _, e := range []string{"SQL_ASCII", "UTF8", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004",
		"MULE_INTERNAL", "LATIN1", "LATIN2", "LATIN3", "LATIN4", "LATIN5", "LATIN6", "LATIN7", "LATIN8", "LATIN9",
		"LATIN10", "WIN866", "WIN874", "WIN1250", "WIN1251", "WIN1252", "WIN1253", "WIN1254", "WIN1255",
		"WIN1256", "WIN1257", "WIN1258", "KOI8R", "KOI8U", "ISO_8859_5", "ISO_8859_6", "ISO_8859_7",
		"ISO_8859_8", "SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"} {
		m[cleanEncodingName(e)] = e
		if strings.HasPrefix(e, "WIN") {
			m["windows"+e[3:]] = e
		}
	}
	return m
}()

// cleanEncodingName is an encoding's name as PostgreSQL compares them: lower case, letters and digits only.
func cleanEncodingName(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// encodingOf is the encoding a name names: 22023 for no encoding PostgreSQL has ("source" or "destination"
// says which argument), 0A000 for one Concord does not convert (it has UTF8, SQL_ASCII and LATIN1).
func encodingOf(name, role string) (string, error) {
	enc, ok := encodings[cleanEncodingName(name)]
	switch {
	case !ok:
		return "", errorf(CodeInvalidParameterValue, "invalid %s encoding name \"%s\"", role, name)
	case enc != "UTF8" && enc != "SQL_ASCII" && enc != "LATIN1":
		return "", errorf(CodeFeatureNotSupported, "conversion between %s and UTF8 is not supported", enc)
	}
	return enc, nil
}

// convertTo is convert_to(s, encoding): s's bytes in that encoding; 22P05 for a character it has none for.
func convertTo(s, name string) (any, error) {
	enc, err := encodingOf(name, "destination")
	if err != nil {
		return nil, err
	}
	if enc != "LATIN1" {
		return Bytea(s), nil
	}
	out := make([]byte, 0, len(s))
	for i, r := range s {
		if r > 0xFF {
			n := utf8.RuneLen(r)
			return nil, errorf(CodeUntranslatableCharacter, "character with byte sequence %s in encoding \"UTF8\" has no equivalent in encoding \"LATIN1\"",
				byteSequence([]byte(s[i:i+n])))
		}
		out = append(out, byte(r))
	}
	return Bytea(out), nil
}

// convertFrom is convert_from(b, encoding): b read as text of that encoding; 22021 for bytes that are not
// (a NUL byte never is).
func convertFrom(b Bytea, name string) (any, error) {
	enc, err := encodingOf(name, "source")
	if err != nil {
		return nil, err
	}
	if enc == "LATIN1" {
		var s strings.Builder
		for i, c := range []byte(b) {
			if c == 0 {
				return nil, errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"LATIN1\": %s", byteSequence([]byte(b[i:i+1])))
			}
			s.WriteRune(rune(c))
		}
		return s.String(), nil
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune([]byte(b[i:]))
		if r == 0 || r == utf8.RuneError && n <= 1 {
			// PostgreSQL shows the bytes the first one's length says make a character.
			l := 1
			switch c := b[i]; {
			case c >= 0xF0 && c < 0xF8:
				l = 4
			case c >= 0xE0:
				l = 3
			case c >= 0xC0:
				l = 2
			}
			return nil, errorf(CodeCharacterNotInRepertoire, "invalid byte sequence for encoding \"UTF8\": %s", byteSequence([]byte(b[i:min(i+l, len(b))])))
		}
		i += n
	}
	return string(b), nil
}

// byteSequence writes bytes as PostgreSQL's encoding errors do: 0xe2 0x82 0xac.
func byteSequence(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("0x%02x", c)
	}
	return strings.Join(parts, " ")
}
