package sql

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Bytea is a bytea value: its bytes. A BSON binary field reads as Bytea, and a bytea column stores its values
// as BSON binary (subtype 0), so binary data written over either port reads back the same over the other. Its
// text form is PostgreSQL's hex output format: \x and two hex digits a byte.
type Bytea string

// text is b in PostgreSQL's hex output format.
func (b Bytea) text() string { return `\x` + hex.EncodeToString([]byte(b)) }

// parseBytea reads bytea's text input as PostgreSQL does: the hex format (\x, then pairs of hex digits, with
// whitespace allowed between the pairs) or the escape format (\\ for a backslash, a backslash and three octal
// digits for a byte, every other character as its bytes).
func parseBytea(s string) (Bytea, error) {
	if strings.HasPrefix(s, `\x`) {
		out := make([]byte, 0, (len(s)-2)/2)
		for i := 2; i < len(s); {
			c := s[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
				i++
				continue
			}
			hi, ok := unhex(c)
			if !ok {
				return "", errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%c\"", c)
			}
			if i+1 >= len(s) {
				return "", errorf(CodeInvalidParameterValue, "invalid hexadecimal data: odd number of digits")
			}
			lo, ok := unhex(s[i+1])
			if !ok {
				return "", errorf(CodeInvalidParameterValue, "invalid hexadecimal digit: \"%c\"", s[i+1])
			}
			out = append(out, hi<<4|lo)
			i += 2
		}
		return Bytea(out), nil
	}
	if !strings.Contains(s, `\`) {
		return Bytea(s), nil
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		switch {
		case i+1 < len(s) && s[i+1] == '\\':
			out = append(out, '\\')
			i++
		case i+3 < len(s) && isOctal(s[i+1]) && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]):
			out = append(out, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
		default:
			return "", errorf(CodeInvalidTextRep, "invalid input syntax for type bytea")
		}
	}
	return Bytea(out), nil
}

// latin1 reads each byte of s as one character, so that text matching (LIKE) works byte by byte.
func latin1(s string) string {
	rs := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		rs[i] = rune(s[i])
	}
	return string(rs)
}

// unhex is the value of one hex digit.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// toBytea converts a value to bytea, as a cast or an assignment to a bytea column does: text is read in
// bytea's input format.
func toBytea(v any) (Bytea, bool, error) {
	switch x := v.(type) {
	case Bytea:
		return x, true, nil
	case []byte:
		return Bytea(x), true, nil
	case string:
		b, err := parseBytea(x)
		return b, err == nil, err
	case bson.RawValue:
		if x.Type == bson.TypeBinary {
			_, data := x.Binary()
			return Bytea(data), true, nil
		}
	}
	return "", false, nil
}

// byteaOperands reads an untyped literal or a parameter beside a bytea operand as a bytea.
func byteaOperands(l, r any, ln, rn *pg.Node) (any, any, error) {
	untyped := func(n *pg.Node) bool { return n.GetAConst() != nil || n.GetParamRef() != nil }
	for _, v := range []*any{&l, &r} {
		if rv, ok := (*v).(bson.RawValue); ok && rv.Type == bson.TypeBinary {
			*v, _, _ = toBytea(rv)
		}
	}
	var err error
	if _, ok := l.(Bytea); ok {
		if s, ok := r.(string); ok && untyped(rn) {
			r, err = parseBytea(s)
		}
	} else if _, ok := r.(Bytea); ok {
		if s, ok := l.(string); ok && untyped(ln) {
			l, err = parseBytea(s)
		}
	}
	return l, r, err
}

// byteaFunc runs the functions on bytea: encode(bytea, format), decode(text, format), sha224, sha256, sha384 and
// sha512, get_byte and set_byte; ok is false for any other function.
func byteaFunc(name string, args []any) (v any, ok bool, err error) {
	want := 2
	switch name {
	case "encode", "decode", "get_byte":
	case "set_byte":
		want = 3
	case "sha224", "sha256", "sha384", "sha512":
		want = 1
	default:
		return nil, false, nil
	}
	if len(args) != want {
		return nil, true, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	for _, a := range args {
		if a == nil {
			return nil, true, nil
		}
	}
	switch name {
	case "sha224", "sha256", "sha384", "sha512":
		b, _, err := toBytea(args[0])
		if err != nil {
			return nil, true, err
		}
		var sum []byte
		switch name {
		case "sha224":
			s := sha256.Sum224([]byte(b))
			sum = s[:]
		case "sha256":
			s := sha256.Sum256([]byte(b))
			sum = s[:]
		case "sha384":
			s := sha512.Sum384([]byte(b))
			sum = s[:]
		default:
			s := sha512.Sum512([]byte(b))
			sum = s[:]
		}
		return Bytea(sum), true, nil
	case "get_byte", "set_byte":
		// The byte at a 0-based offset, or the value with it replaced; an offset outside is 2202E.
		b, _, err := toBytea(args[0])
		if err != nil {
			return nil, true, err
		}
		n, err := coerce(numeric(args[1]), OIDInt4)
		if err != nil {
			return nil, true, err
		}
		i := n.(int64)
		if i < 0 || i >= int64(len(b)) {
			return nil, true, errorf(CodeArraySubscriptError, "index %d out of valid range, 0..%d", i, len(b)-1)
		}
		if name == "get_byte" {
			return int64(b[i]), true, nil
		}
		nv, err := coerce(numeric(args[2]), OIDInt4)
		if err != nil {
			return nil, true, err
		}
		out := []byte(b)
		out = append([]byte{}, out...)
		out[i] = byte(nv.(int64))
		return Bytea(out), true, nil
	case "encode":
		b, isBytea, err := toBytea(args[0])
		if err != nil || !isBytea {
			return nil, true, errorf(CodeUndefinedFunction, "function encode(%s, text) does not exist", TypeName(valueOID(args[0])))
		}
		switch strings.ToLower(formatText(args[1])) {
		case "hex":
			return hex.EncodeToString([]byte(b)), true, nil
		case "base64":
			return wrap76(base64.StdEncoding.EncodeToString([]byte(b))), true, nil
		case "escape":
			var sb strings.Builder
			for _, c := range []byte(b) {
				switch {
				case c == '\\':
					sb.WriteString(`\\`)
				case c == 0 || c >= 0x80:
					sb.WriteByte('\\')
					sb.WriteByte('0' + c>>6)
					sb.WriteByte('0' + c>>3&7)
					sb.WriteByte('0' + c&7)
				default:
					sb.WriteByte(c)
				}
			}
			return sb.String(), true, nil
		}
	case "decode":
		s := formatText(args[0])
		switch strings.ToLower(formatText(args[1])) {
		case "hex":
			b, err := parseBytea(`\x` + s)
			return b, true, err
		case "base64":
			d, err := base64.StdEncoding.DecodeString(strings.Map(func(r rune) rune {
				if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
					return -1
				}
				return r
			}, s))
			if err != nil {
				return nil, true, errorf(CodeInvalidParameterValue, "invalid base64 end sequence")
			}
			return Bytea(d), true, nil
		case "escape":
			b, err := parseBytea(s)
			return b, true, err
		}
	}
	return nil, true, errorf(CodeInvalidParameterValue, "unrecognized encoding: \"%s\"", formatText(args[1]))
}

// wrap76 breaks base64 text into lines of 76 characters, as PostgreSQL's encode does.
func wrap76(s string) string {
	if len(s) <= 76 {
		return s
	}
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteByte('\n')
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}
