package sql

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"
)

// numPatterns are to_number's template patterns, longest first where one begins another. The locale is C's:
// the decimal point (D) is '.', the group separator (G) ',', the currency symbol (L) one character, the signs
// (S) '-' and '+'.
var numPatterns = []string{"EEEE", "eeee", "FM", "fm", "MI", "mi", "PL", "pl", "PR", "pr", "RN", "rn", "SG", "sg",
	"SP", "sp", "TH", "th", ",", ".", "0", "9", "B", "b", "D", "d", "G", "g", "L", "l", "S", "s", "V", "v"}

// numTemplate is a to_number template as PostgreSQL's NUMDesc_prepare describes it.
type numTemplate struct {
	nodes           []tmplNode // patterns have key set, in upper case; other characters text
	pre, post       int        // the 9s and 0s before and after the decimal point
	decimal, fill   bool
	lsign, lsignPre bool // S, and whether it comes before the decimal point
	minus, plus     bool // MI or SG, PL or SG
	bracket         bool // PR
	roman, eeee     bool
	multi           bool // V
}

// parseNumTemplate reads a to_number template, with PostgreSQL's 42601 for patterns that cannot go together.
func parseNumTemplate(f string) (*numTemplate, error) {
	t := &numTemplate{}
	syntax := func(msg string) error { return errorf(CodeSyntaxError, "%s", msg) }
	for i := 0; i < len(f); {
		key := ""
		for _, p := range numPatterns {
			if strings.HasPrefix(f[i:], p) {
				key = strings.ToUpper(p)
				break
			}
		}
		if key == "" {
			if f[i] == '"' {
				for i++; i < len(f); {
					if f[i] == '"' {
						i++
						break
					}
					if f[i] == '\\' && i+1 < len(f) {
						i++
					}
					w := runeLen(f[i:])
					t.nodes = append(t.nodes, tmplNode{text: f[i : i+w], kind: tmplChar})
					i += w
				}
				continue
			}
			if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
				i++
			}
			w := runeLen(f[i:])
			t.nodes = append(t.nodes, tmplNode{text: f[i : i+w], kind: tmplChar})
			i += w
			continue
		}
		i += len(key)
		if t.eeee && key != "EEEE" {
			return nil, syntax("\"EEEE\" must be the last pattern used")
		}
		switch key {
		case "9", "0":
			if t.bracket {
				return nil, syntax(fmt.Sprintf("\"%s\" must be ahead of \"PR\"", key))
			}
			switch {
			case t.multi && key == "9":
			case t.decimal:
				t.post++
			default:
				t.pre++
			}
		case ".", "D":
			if t.decimal {
				return nil, syntax("multiple decimal points")
			}
			if t.multi {
				return nil, syntax("cannot use \"V\" and decimal point together")
			}
			t.decimal = true
		case "FM":
			t.fill = true
		case "S":
			if t.lsign {
				return nil, syntax("cannot use \"S\" twice")
			}
			if t.plus || t.minus || t.bracket {
				return nil, syntax("cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" together")
			}
			t.lsign, t.lsignPre = true, !t.decimal
		case "MI", "PL", "SG":
			if t.lsign {
				return nil, syntax(fmt.Sprintf("cannot use \"S\" and \"%s\" together", key))
			}
			t.minus = t.minus || key != "PL"
			t.plus = t.plus || key != "MI"
		case "PR":
			if t.lsign || t.plus || t.minus {
				return nil, syntax("cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" together")
			}
			t.bracket = true
		case "RN":
			t.roman = true
		case "V":
			if t.decimal {
				return nil, syntax("cannot use \"V\" and decimal point together")
			}
			t.multi = true
		case "EEEE":
			if t.eeee {
				return nil, syntax("cannot use \"EEEE\" twice")
			}
			if t.fill || t.lsign || t.bracket || t.minus || t.plus || t.roman || t.multi {
				return nil, &Error{Code: CodeSyntaxError, Message: "\"EEEE\" is incompatible with other formats",
					Detail: "\"EEEE\" may only be used together with digit and decimal point patterns."}
			}
			t.eeee = true
		}
		t.nodes = append(t.nodes, tmplNode{key: key, kind: tmplPattern})
	}
	return t, nil
}

// toNumber is PostgreSQL's to_number(text, text): the number the template f reads from s, as NUM_processor
// reads it. Each 9 or 0 reads one digit (or the sign before the first), the decimal point reads the decimal
// point, , and G skip a group separator if there is one, L skips a currency symbol, S, MI, PL and SG read a sign
// and PR a sign in angle brackets; every other character of the template skips one input character. The result
// has as many decimal places as digits were read after the point. An empty template gives NULL.
func toNumber(s, f string) (any, error) {
	if f == "" {
		return nil, nil
	}
	t, err := parseNumTemplate(f)
	if err != nil {
		return nil, err
	}
	switch {
	case t.eeee:
		return nil, errorf(CodeFeatureNotSupported, "\"EEEE\" not supported for input")
	case t.roman:
		return nil, errorf(CodeFeatureNotSupported, "\"RN\" not supported for input")
	case t.multi:
		return nil, unsupported("to_number with V")
	}
	r := &numReader{t: t, in: s, sign: ' '}
	for _, n := range t.nodes {
		if r.i >= len(s) {
			break
		}
		if n.kind != tmplPattern {
			r.i += runeLen(s[r.i:])
			continue
		}
		switch n.key {
		case "9", "0", ".", "D":
			r.numPart(n.key)
		case ",", "G":
			if t.fill || s[r.i] != ',' {
				continue
			}
		case "L":
			r.eatNonData(1)
			continue
		case "TH":
			r.eatNonData(2)
			continue
		case "MI", "PL", "SG":
			c := s[r.i]
			if c == '-' && n.key != "PL" || c == '+' && n.key != "MI" {
				r.sign = c
			} else {
				r.eatNonData(1)
				continue
			}
		default:
			continue
		}
		r.i++
	}
	num := strings.TrimSuffix(r.digits.String(), ".")
	text := strings.TrimSpace(string(r.sign) + num)
	d, _, err := apd.NewFromString(text)
	if err != nil || num == "" {
		return nil, errorf(CodeInvalidTextRep, "invalid input syntax for type numeric: \"%s\"", string(r.sign)+num)
	}
	if whole := strings.TrimLeft(strings.SplitN(num, ".", 2)[0], "0"); len(whole) > t.pre {
		return nil, &Error{Code: CodeNumericOutOfRange, Message: "numeric field overflow",
			Detail: fmt.Sprintf("A field with precision %d, scale %d must round to an absolute value less than %s.",
				t.pre+r.readPost, r.readPost, tenPower(t.pre))}
	}
	if d.IsZero() {
		d.Negative = false
	}
	return d, nil
}

// tenPower is 10^n as PostgreSQL's overflow detail writes it (1 for 0, 10^n beyond).
func tenPower(n int) string {
	if n == 0 {
		return "1"
	}
	return fmt.Sprintf("10^%d", n)
}

// numReader is to_number's position in its input and what it has read.
type numReader struct {
	t                 *numTemplate
	in                string
	i                 int
	sign              byte
	digits            strings.Builder
	readPre, readPost int
	readDec           bool
}

// eatNonData skips up to n characters that are no digit, point, comma or sign.
func (r *numReader) eatNonData(n int) {
	for ; n > 0 && r.i < len(r.in); n-- {
		if strings.IndexByte("0123456789.,+-", r.in[r.i]) >= 0 {
			return
		}
		r.i += runeLen(r.in[r.i:])
	}
}

// numPart is NUM_numpart_from_char: the sign before the first digit, one digit or the decimal point, and a
// sign right after the last digit.
func (r *numReader) numPart(key string) {
	s, t := r.in, r.t
	if s[r.i] == ' ' {
		r.i++
	}
	if r.i >= len(s) {
		return
	}
	if r.sign == ' ' && (key == "9" || key == "0") && r.readPre+r.readPost == 0 {
		c := s[r.i]
		switch {
		case t.lsign && t.lsignPre:
			if c == '-' || c == '+' {
				r.sign = c
				r.i++
			}
		case c == '-' || t.bracket && c == '<':
			r.sign = '-'
			r.i++
		case c == '+':
			r.sign = '+'
			r.i++
		}
	}
	if r.i >= len(s) {
		return
	}
	read := false
	if c := s[r.i]; c >= '0' && c <= '9' {
		if r.readDec && r.readPost == t.post {
			return
		}
		r.digits.WriteByte(c)
		if r.readDec {
			r.readPost++
		} else {
			r.readPre++
		}
		read = true
	} else if t.decimal && !r.readDec && c == '.' {
		r.digits.WriteByte('.')
		r.readDec, read = true, true
	}
	if r.i >= len(s) || r.sign != ' ' || r.readPre+r.readPost == 0 {
		return
	}
	if t.lsign && read && r.i+1 <= len(s) && !(r.i+1 < len(s) && s[r.i+1] >= '0' && s[r.i+1] <= '9') {
		if r.i+1 < len(s) && (s[r.i+1] == '-' || s[r.i+1] == '+') {
			r.i++
			r.sign = s[r.i]
		}
	} else if !read && !t.lsign && (t.plus || t.minus) && (s[r.i] == '-' || s[r.i] == '+') {
		r.sign = s[r.i]
	}
}
