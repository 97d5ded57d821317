package sql

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
)

// builtinTypes are the result types of the functions of builtin, and the types their parameters take
// (the last one repeats); 0 as a result is the first argument's type.
var builtinTypes = map[string]struct {
	result uint32
	args   []uint32
}{
	"split_part":                {OIDText, []uint32{OIDText, OIDText, OIDInt4}},
	"string_to_array":           {OIDTextArray, []uint32{OIDText}},
	"regexp_replace":            {OIDText, []uint32{OIDText}},
	"position":                  {OIDInt4, []uint32{OIDText}},
	"strpos":                    {OIDInt4, []uint32{OIDText}},
	"left":                      {OIDText, []uint32{OIDText, OIDInt4}},
	"right":                     {OIDText, []uint32{OIDText, OIDInt4}},
	"lpad":                      {OIDText, []uint32{OIDText, OIDInt4, OIDText}},
	"rpad":                      {OIDText, []uint32{OIDText, OIDInt4, OIDText}},
	"repeat":                    {OIDText, []uint32{OIDText, OIDInt4}},
	"reverse":                   {OIDText, []uint32{OIDText}},
	"translate":                 {OIDText, []uint32{OIDText}},
	"regexp_match":              {OIDTextArray, []uint32{OIDText}},
	"make_date":                 {OIDDate, []uint32{OIDInt4}},
	"make_time":                 {OIDTime, []uint32{OIDInt4, OIDInt4, OIDFloat8}},
	"make_timestamp":            {OIDTimestamp, []uint32{OIDInt4, OIDInt4, OIDInt4, OIDInt4, OIDInt4, OIDFloat8}},
	"make_timestamptz":          {OIDTimestamptz, []uint32{OIDInt4, OIDInt4, OIDInt4, OIDInt4, OIDInt4, OIDFloat8, OIDText}},
	"overlaps":                  {OIDBool, nil},
	"isfinite":                  {OIDBool, nil},
	"num_nulls":                 {OIDInt4, nil},
	"num_nonnulls":              {OIDInt4, nil},
	"initcap":                   {OIDText, []uint32{OIDText}},
	"starts_with":               {OIDBool, []uint32{OIDText}},
	"parse_ident":               {OIDTextArray, []uint32{OIDText, OIDBool}},
	"concat_ws":                 {OIDText, []uint32{OIDText}},
	"chr":                       {OIDText, []uint32{OIDInt4}},
	"ascii":                     {OIDInt4, []uint32{OIDText}},
	"octet_length":              {OIDInt4, []uint32{OIDText}},
	"md5":                       {OIDText, []uint32{OIDText}},
	"encode":                    {OIDText, []uint32{OIDBytea, OIDText}},
	"format":                    {OIDText, []uint32{OIDText}},
	"quote_literal":             {OIDText, []uint32{OIDText}},
	"jsonb_array_length":        {OIDInt4, []uint32{OIDJSONB}},
	"json_array_length":         {OIDInt4, []uint32{OIDJSON}},
	"jsonb_typeof":              {OIDText, []uint32{OIDJSONB}},
	"jsonb_path_exists":         {OIDBool, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_match":          {OIDBool, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_query_array":    {OIDJSONB, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_query_first":    {OIDJSONB, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_exists_tz":      {OIDBool, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_match_tz":       {OIDBool, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_query_array_tz": {OIDJSONB, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"jsonb_path_query_first_tz": {OIDJSONB, []uint32{OIDJSONB, OIDJSONPath, OIDJSONB, OIDBool}},
	"json_typeof":               {OIDText, []uint32{OIDJSON}},
	"jsonb_build_array":         {OIDJSONB, nil},
	"json_build_array":          {OIDJSON, nil},
	"jsonb_set":                 {OIDJSONB, []uint32{OIDJSONB, OIDTextArray, OIDJSONB, OIDBool}},
	"jsonb_set_lax":             {OIDJSONB, []uint32{OIDJSONB, OIDTextArray, OIDJSONB, OIDBool, OIDText}},
	"jsonb_extract_path":        {OIDJSONB, []uint32{OIDJSONB, OIDText}},
	"json_extract_path":         {OIDJSON, []uint32{OIDJSON, OIDText}},
	"jsonb_extract_path_text":   {OIDText, []uint32{OIDJSONB, OIDText}},
	"json_extract_path_text":    {OIDText, []uint32{OIDJSON, OIDText}},
	"jsonb_strip_nulls":         {OIDJSONB, []uint32{OIDJSONB}},
	"json_strip_nulls":          {OIDJSON, []uint32{OIDJSON}},
	"jsonb_pretty":              {OIDText, []uint32{OIDJSONB}},
	"jsonb_insert":              {OIDJSONB, []uint32{OIDJSONB, OIDTextArray, OIDJSONB, OIDBool}},
	"jsonb_exists":              {OIDBool, []uint32{OIDJSONB, OIDText}},
	"jsonb_exists_any":          {OIDBool, []uint32{OIDJSONB, OIDTextArray}},
	"jsonb_exists_all":          {OIDBool, []uint32{OIDJSONB, OIDTextArray}},
	"array_to_json":             {OIDJSON, []uint32{0, OIDBool}},
	"decode":                    {OIDBytea, []uint32{OIDText, OIDText}},
	"sha224":                    {OIDBytea, []uint32{OIDBytea}},
	"sha256":                    {OIDBytea, []uint32{OIDBytea}},
	"sha384":                    {OIDBytea, []uint32{OIDBytea}},
	"sha512":                    {OIDBytea, []uint32{OIDBytea}},
	"get_byte":                  {OIDInt4, []uint32{OIDBytea, OIDInt4}},
	"set_byte":                  {OIDBytea, []uint32{OIDBytea, OIDInt4, OIDInt4}},
	"mod":                       {0, nil},
	"div":                       {OIDNumeric, []uint32{OIDNumeric}},
	"power":                     {OIDFloat8, []uint32{OIDFloat8}},
	"pow":                       {OIDFloat8, []uint32{OIDFloat8}},
	"sign":                      {OIDFloat8, []uint32{OIDFloat8}},
	"exp":                       {OIDFloat8, []uint32{OIDFloat8}},
	"ln":                        {OIDFloat8, []uint32{OIDFloat8}},
	"log":                       {OIDFloat8, []uint32{OIDFloat8}},
	"log10":                     {OIDFloat8, []uint32{OIDFloat8}},
	"cbrt":                      {OIDFloat8, []uint32{OIDFloat8}},
	"degrees":                   {OIDFloat8, []uint32{OIDFloat8}},
	"radians":                   {OIDFloat8, []uint32{OIDFloat8}},
	"pi":                        {OIDFloat8, nil},
	"random":                    {OIDFloat8, nil},
	"extract":                   {OIDNumeric, []uint32{OIDText, OIDTimestamptz}},
	"date_part":                 {OIDFloat8, []uint32{OIDText, OIDTimestamptz}},
	"to_timestamp":              {OIDTimestamptz, []uint32{OIDFloat8}},
	"array_position":            {OIDInt4, nil},
	"array_positions":           {OIDInt4Array, nil},
	"unistr":                    {OIDText, []uint32{OIDText}},
	"convert_to":                {OIDBytea, []uint32{OIDText, OIDText}},
	"convert_from":              {OIDText, []uint32{OIDBytea, OIDText}},
	"to_regclass":               {OIDText, []uint32{OIDText}},
	"array_ndims":               {OIDInt4, nil},
	"array_dims":                {OIDText, nil},
	"array_fill":                {0, []uint32{0, OIDInt4Array}},
	"array_replace":             {0, nil},
	"array_cat":                 {0, nil},
	"array_upper":               {OIDInt4, []uint32{0, OIDInt4}},
	"array_lower":               {OIDInt4, []uint32{0, OIDInt4}},
	"to_char":                   {OIDText, []uint32{0, OIDText}},
	"width_bucket":              {OIDInt4, []uint32{OIDFloat8, OIDFloat8, OIDFloat8, OIDInt4}},
}

// builtin runs the string, number, date and array functions of builtinTypes on evaluated arguments; ok is false
// for a name it does not have. As in PostgreSQL they are strict: a NULL argument gives NULL (concat_ws skips
// NULLs after its separator).
func builtin(name string, args []any) (v any, ok bool, err error) {
	if _, ok := builtinTypes[name]; !ok {
		return nil, false, nil
	}
	argc := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s with %d arguments does not exist", name, len(args))}
		}
		return nil
	}
	if v, ok, err := mathFunc(name, args); ok {
		return v, true, err // first: quote_nullable takes a NULL
	}
	if name == "concat_ws" {
		if err := argc(1, math.MaxInt); err != nil || args[0] == nil {
			return nil, true, err
		}
		var parts []string
		for _, a := range args[1:] {
			if a != nil {
				parts = append(parts, formatText(a))
			}
		}
		return strings.Join(parts, formatText(args[0])), true, nil
	}
	if name == "num_nulls" || name == "num_nonnulls" {
		if err := argc(1, math.MaxInt); err != nil {
			return nil, true, err
		}
		var nulls int64
		for _, a := range args {
			if a == nil {
				nulls++
			}
		}
		if name == "num_nulls" {
			return nulls, true, nil
		}
		return int64(len(args)) - nulls, true, nil
	}
	for _, a := range args {
		if a == nil && name != "string_to_array" && name != "array_position" && name != "array_cat" {
			return nil, true, nil
		}
	}
	if v, ok, err := regexFunc(name, args); ok {
		return v, true, err
	}
	text := func(i int) string { return formatText(args[i]) }
	integer := func(i int) (int64, error) {
		n, err := coerce(numeric(args[i]), OIDInt8)
		if err != nil {
			return 0, err
		}
		return n.(int64), nil
	}
	float := func(i int) (float64, error) {
		f, err := coerce(numeric(args[i]), OIDFloat8)
		if err != nil {
			return 0, err
		}
		return f.(float64), nil
	}
	switch name {
	case "md5":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		data := text(0)
		if b, ok := args[0].(Bytea); ok {
			data = string(b)
		}
		sum := md5.Sum([]byte(data))
		return hex.EncodeToString(sum[:]), true, nil
	case "split_part":
		if err := argc(3, 3); err != nil {
			return nil, true, err
		}
		n, err := integer(2)
		if err != nil {
			return nil, true, err
		}
		if n == 0 {
			return nil, true, errorf(CodeInvalidParameterValue, "field position must not be zero")
		}
		s, sep := text(0), text(1)
		parts := []string{s}
		if sep != "" {
			parts = strings.Split(s, sep)
		} else if s == "" {
			parts = nil
		}
		if n < 0 {
			n += int64(len(parts)) + 1
		}
		if n < 1 || n > int64(len(parts)) {
			return "", true, nil
		}
		return parts[n-1], true, nil
	case "string_to_array":
		if err := argc(2, 3); err != nil {
			return nil, true, err
		}
		if args[0] == nil {
			return nil, true, nil
		}
		s := text(0)
		if s == "" {
			return []any{}, true, nil
		}
		var parts []string
		switch {
		case args[1] == nil:
			for _, r := range s {
				parts = append(parts, string(r))
			}
		case text(1) == "":
			parts = []string{s}
		default:
			parts = strings.Split(s, text(1))
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
			if len(args) > 2 && args[2] != nil && p == text(2) {
				out[i] = nil
			}
		}
		return out, true, nil
	case "regexp_replace":
		if err := argc(3, 6); err != nil {
			return nil, true, err
		}
		if _, isText := args[3%len(args)].(string); len(args) > 3 && !isText {
			// regexp_replace(s, pattern, repl, start[, n[, flags]]): a number fourth is the start, as an untyped
			// literal (PostgreSQL's unknown, resolved to text) is the flags.
			start, err := integer(3)
			if err != nil {
				return nil, true, err
			}
			n, flags := int64(1), ""
			if len(args) > 4 {
				if n, err = integer(4); err != nil {
					return nil, true, err
				}
			}
			if len(args) > 5 {
				flags = text(5)
			}
			v, err := regexpReplaceFrom(text(0), text(1), text(2), start, n, flags)
			return v, true, err
		}
		if len(args) > 4 {
			return nil, true, errorf(CodeUndefinedFunction, "function regexp_replace with %d arguments does not exist", len(args))
		}
		flags := ""
		if len(args) > 3 {
			flags = text(3)
		}
		return regexpReplace(text(0), text(1), text(2), flags)
	case "position", "strpos":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		s, sub := text(0), text(1)
		i := strings.Index(s, sub)
		if i < 0 {
			return int64(0), true, nil
		}
		return int64(utf8.RuneCountInString(s[:i]) + 1), true, nil
	case "left", "right":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		r := []rune(text(0))
		n, err := integer(1)
		if err != nil {
			return nil, true, err
		}
		size := int64(len(r))
		keep := n
		if n < 0 {
			keep = max(size+n, 0)
		}
		keep = min(keep, size)
		if name == "left" {
			return string(r[:keep]), true, nil
		}
		return string(r[size-keep:]), true, nil
	case "lpad", "rpad":
		if err := argc(2, 3); err != nil {
			return nil, true, err
		}
		n, err := integer(1)
		if err != nil {
			return nil, true, err
		}
		fill := " "
		if len(args) > 2 {
			fill = text(2)
		}
		r := []rune(text(0))
		n = max(n, 0)
		if n > 10_000_000 {
			return nil, true, errorf(CodeProgramLimitExceeded, "requested length too large")
		}
		if int64(len(r)) >= n || fill == "" {
			return string(r[:min(int64(len(r)), n)]), true, nil
		}
		f := []rune(fill)
		pad := make([]rune, 0, n-int64(len(r)))
		for i := 0; int64(len(pad)) < n-int64(len(r)); i++ {
			pad = append(pad, f[i%len(f)])
		}
		if name == "lpad" {
			return string(pad) + string(r), true, nil
		}
		return string(r) + string(pad), true, nil
	case "repeat":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		n, err := integer(1)
		if err != nil {
			return nil, true, err
		}
		s := text(0)
		if n <= 0 || s == "" {
			return "", true, nil
		}
		if n > (64<<20)/int64(len(s)) {
			return nil, true, errorf(CodeProgramLimitExceeded, "requested length too large")
		}
		return strings.Repeat(s, int(n)), true, nil
	case "regexp_match":
		if err := argc(2, 3); err != nil {
			return nil, true, err
		}
		flags := ""
		if len(args) > 2 {
			flags = text(2)
		}
		if strings.Contains(flags, "g") {
			return nil, true, &Error{Code: CodeInvalidParameterValue, Message: "regexp_match() does not support the \"global\" option",
				Hint: "Use the regexp_matches function instead."}
		}
		m, err := regexpMatches(text(0), text(1), flags)
		if err != nil || len(m) == 0 {
			return nil, true, err
		}
		return m[0], true, nil
	case "translate":
		if err := argc(3, 3); err != nil {
			return nil, true, err
		}
		from, to := []rune(text(1)), []rune(text(2))
		var b strings.Builder
		for _, r := range text(0) {
			i := slices.Index(from, r)
			switch {
			case i < 0:
				b.WriteRune(r)
			case i < len(to):
				b.WriteRune(to[i])
			} // a character of from without one in to is deleted
		}
		return b.String(), true, nil
	case "isfinite":
		if err := argc(1, 1); err != nil || args[0] == nil {
			return nil, true, err
		}
		if _, ok := args[0].(interval); ok {
			return true, true, nil // an interval is always finite in PostgreSQL 15
		}
		t, err := coerce(args[0], OIDTimestamptz)
		if err != nil {
			return nil, true, err
		}
		return infinite(t.(time.Time)) == 0, true, nil
	case "make_date":
		if err := argc(3, 3); err != nil {
			return nil, true, err
		}
		var ymd [3]int64
		for i := range ymd {
			n, err := integer(i)
			if err != nil {
				return nil, true, err
			}
			ymd[i] = n
		}
		d := time.Date(int(ymd[0]), time.Month(ymd[1]), int(ymd[2]), 0, 0, 0, 0, time.UTC)
		if ymd[0] < 1 || ymd[0] > 294276 || d.Year() != int(ymd[0]) || int64(d.Month()) != ymd[1] || int64(d.Day()) != ymd[2] {
			// PostgreSQL takes a negative year as BC; dates before year 1 are not kept here.
			return nil, true, errorf(CodeDatetimeFieldOverflow, "date field value out of range: %d-%02d-%02d", ymd[0], ymd[1], ymd[2])
		}
		return d, true, nil
	case "make_time":
		if err := argc(3, 3); err != nil {
			return nil, true, err
		}
		h, err := integer(0)
		if err != nil {
			return nil, true, err
		}
		m, err := integer(1)
		if err != nil {
			return nil, true, err
		}
		sec, err := float(2)
		if err != nil {
			return nil, true, err
		}
		t, ok := makeTime(h, m, sec)
		if !ok {
			return nil, true, errorf(CodeDatetimeFieldOverflow, "time field value out of range: %d:%02d:%02g", h, m, sec)
		}
		return t, true, nil
	case "reverse":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		r := []rune(text(0))
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return string(r), true, nil
	case "initcap":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		var b strings.Builder
		inWord := false
		for _, r := range text(0) {
			if inWord {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			inWord = unicode.IsLetter(r) || unicode.IsDigit(r)
		}
		return b.String(), true, nil
	case "parse_ident":
		if err := argc(1, 2); err != nil {
			return nil, true, err
		}
		ids, err := parseIdent(text(0), len(args) < 2 || truthy(args[1]))
		return ids, true, err
	case "starts_with":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		return strings.HasPrefix(text(0), text(1)), true, nil
	case "chr":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		n, err := integer(0)
		if err != nil {
			return nil, true, err
		}
		if n == 0 {
			return nil, true, errorf(CodeProgramLimitExceeded, "null character not permitted")
		}
		if n < 0 || n > unicode.MaxRune || !utf8.ValidRune(rune(n)) {
			return nil, true, errorf(CodeProgramLimitExceeded, "requested character too large for encoding: %d", n)
		}
		return string(rune(n)), true, nil
	case "ascii":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		r, _ := utf8.DecodeRuneInString(text(0))
		if r == utf8.RuneError {
			return int64(0), true, nil
		}
		return int64(r), true, nil
	case "octet_length":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		if b, ok := args[0].(Bytea); ok {
			return int64(len(b)), true, nil
		}
		return int64(len(text(0))), true, nil
	case "mod", "div":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		a, b := numeric(args[0]), numeric(args[1])
		ai, aInt := a.(int64)
		bi, bInt := b.(int64)
		if aInt && bInt {
			if bi == 0 {
				return nil, true, errorf(CodeDivisionByZero, "division by zero")
			}
			if bi == -1 { // MinInt64 % -1 and / -1 overflow in Go
				if name == "mod" {
					return int64(0), true, nil
				}
				if ai == math.MinInt64 {
					return nil, true, errorf(CodeNumericOutOfRange, "bigint out of range")
				}
				return -ai, true, nil
			}
			if name == "mod" {
				return ai % bi, true, nil
			}
			return ai / bi, true, nil
		}
		if ad, bd, ok := decOperands(a, b); ok {
			if name == "mod" {
				v, err := decArith("%", ad, bd)
				return v, true, err
			}
			v, err := decDivTrunc(ad, bd)
			return v, true, err
		}
		af, err := float(0)
		if err != nil {
			return nil, true, err
		}
		bf, err := float(1)
		if err != nil {
			return nil, true, err
		}
		if bf == 0 {
			return nil, true, errorf(CodeDivisionByZero, "division by zero")
		}
		if name == "mod" {
			return math.Mod(af, bf), true, nil
		}
		return math.Trunc(af / bf), true, nil
	case "pi", "random":
		if err := argc(0, 0); err != nil {
			return nil, true, err
		}
		if name == "pi" {
			return math.Pi, true, nil
		}
		return rand.Float64(), true, nil
	case "power", "pow", "log":
		if err := argc(1+btoi(name != "log"), 2); err != nil {
			return nil, true, err
		}
		if v, ok, err := numericMath(name, args); ok {
			return v, true, err
		}
		a, err := float(0)
		if err != nil {
			return nil, true, err
		}
		if name == "log" && len(args) == 1 {
			return logarithm(a, math.Log10)
		}
		b, err := float(1)
		if err != nil {
			return nil, true, err
		}
		if name == "log" {
			if a <= 0 || b <= 0 {
				return logarithm(min(a, b), math.Log)
			}
			if a == 1 {
				return nil, true, errorf(CodeDivisionByZero, "division by zero")
			}
			return math.Log(b) / math.Log(a), true, nil
		}
		if a == 0 && b < 0 {
			return nil, true, errorf(CodeInvalidArgumentForPower, "zero raised to a negative power is undefined")
		}
		if a < 0 && b != math.Trunc(b) {
			return nil, true, errorf(CodeInvalidArgumentForPower, "a negative number raised to a non-integer power yields a complex result")
		}
		p := math.Pow(a, b)
		v, err := floatChecked(p, a, b, p == 0 && a != 0 && !math.IsInf(b, 0))
		return v, true, err
	case "width_bucket":
		if err := argc(2, 4); err != nil || len(args) == 3 {
			if err == nil {
				err = &Error{Code: CodeUndefinedFunction, Message: "function width_bucket with 3 arguments does not exist"}
			}
			return nil, true, err
		}
		v, err := widthBucket(args)
		return v, true, err
	case "sign", "exp", "ln", "log10", "cbrt", "degrees", "radians":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		if v, ok, err := numericMath(name, args); ok {
			return v, true, err
		}
		if d, ok := numeric(args[0]).(*apd.Decimal); ok && name == "sign" {
			if d.Form == apd.NaN {
				return d, true, nil
			}
			return decFromInt(int64(d.Sign())), true, nil
		}
		a, err := float(0)
		if err != nil {
			return nil, true, err
		}
		switch name {
		case "sign":
			switch {
			case a > 0:
				return 1.0, true, nil
			case a < 0:
				return -1.0, true, nil
			}
			return 0.0, true, nil
		case "exp":
			v, err := floatChecked(math.Exp(a), a, 0, false)
			if err == nil && v == 0.0 && !math.IsInf(a, -1) {
				err = errorf(CodeNumericOutOfRange, "value out of range: underflow")
			}
			return v, true, err
		case "ln":
			return logarithm(a, math.Log)
		case "log10":
			return logarithm(a, math.Log10)
		case "cbrt":
			return math.Cbrt(a), true, nil
		}
		return trigDegrees(name, []float64{a}) // degrees, radians
	case "extract", "date_part":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		v, err := datePart(strings.ToLower(text(0)), args[1])
		return v, true, err
	case "to_timestamp":
		if err := argc(1, 1); err != nil {
			return nil, true, err
		}
		secs, err := float(0)
		if err != nil {
			return nil, true, err
		}
		if math.IsNaN(secs) || math.Abs(secs) > 9.2e12 {
			return nil, true, errorf(CodeDatetimeFieldOverflow, "timestamp out of range: \"%s\"", text(0))
		}
		return time.UnixMicro(int64(math.Round(secs * 1e6))).UTC(), true, nil
	case "array_cat":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		if args[0] == nil && args[1] == nil {
			return nil, true, nil
		}
		a, _ := args[0].([]any)
		b, _ := args[1].([]any)
		return append(append([]any{}, a...), b...), true, nil
	case "to_char":
		if err := argc(2, 2); err != nil {
			return nil, true, err
		}
		v, err := toChar(args[0], text(1))
		return v, true, err
	}
	return nil, false, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// logarithm is log(a) with PostgreSQL's errors for zero and negative numbers.
func logarithm(a float64, log func(float64) float64) (any, bool, error) {
	switch {
	case a == 0:
		return nil, true, errorf(CodeInvalidArgumentForLog, "cannot take logarithm of zero")
	case a < 0:
		return nil, true, errorf(CodeInvalidArgumentForLog, "cannot take logarithm of a negative number")
	}
	return log(a), true, nil
}

// regexpReplace is PostgreSQL's regexp_replace with Go's regular expressions (RE2, which PostgreSQL's advanced
// regular expressions mostly agree with): the first match replaced, every one with flag g, case-insensitive with
// i; \1 to \9 in the replacement are the groups, \& the whole match, \\ a backslash.
func regexpReplace(s, pattern, repl, flags string) (any, bool, error) {
	re, global, err := compileRegexp(pattern, flags)
	if err != nil {
		return nil, true, err
	}
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		b.WriteString(s[last:m[0]])
		for i := 0; i < len(repl); i++ {
			c := repl[i]
			if c != '\\' || i+1 == len(repl) {
				b.WriteByte(c)
				continue
			}
			i++
			switch d := repl[i]; {
			case d >= '1' && d <= '9':
				if g := int(d - '0'); 2*g+1 < len(m) && m[2*g] >= 0 {
					b.WriteString(s[m[2*g]:m[2*g+1]])
				}
			case d == '&':
				b.WriteString(s[m[0]:m[1]])
			case d == '\\':
				b.WriteByte('\\')
			default:
				b.WriteByte('\\')
				b.WriteByte(d)
			}
		}
		last = m[1]
		if !global {
			break
		}
	}
	b.WriteString(s[last:])
	return b.String(), true, nil
}

// datePart is EXTRACT(field FROM v) and date_part(field, v) of a timestamp (in its location: UTC, or the session's
// zone for a timestamp with time zone, zonedCall) or an interval.
func datePart(field string, v any) (any, error) {
	if t, ok := v.(timeOfDay); ok {
		return timePart(field, t)
	}
	if iv, ok := v.(interval); ok {
		return intervalPart(field, iv)
	}
	tv, err := coerce(v, OIDTimestamptz)
	if err != nil {
		return nil, err
	}
	t := tv.(time.Time)
	if t.Location() == time.Local {
		t = t.UTC()
	}
	if inf := infinite(t); inf != 0 {
		switch field { // the fields that grow with time are infinite too, the others NULL, as in PostgreSQL
		case "year", "years", "decade", "decades", "century", "centuries", "millennium", "millennia", "epoch", "julian", "isoyear":
			return math.Inf(inf), nil
		}
		return nil, nil
	}
	frac := float64(t.Nanosecond()/1000) / 1e6
	switch field {
	case "year", "years":
		if y := t.Year(); y <= 0 {
			return float64(y - 1), nil // no year 0: 1 BC is -1, as PostgreSQL counts it
		}
		return float64(t.Year()), nil
	case "month", "months":
		return float64(t.Month()), nil
	case "day", "days":
		return float64(t.Day()), nil
	case "hour", "hours":
		return float64(t.Hour()), nil
	case "minute", "minutes":
		return float64(t.Minute()), nil
	case "second", "seconds":
		return float64(t.Second()) + frac, nil
	case "millisecond", "milliseconds":
		return (float64(t.Second()) + frac) * 1000, nil
	case "microsecond", "microseconds":
		return float64(t.Second()*1_000_000 + t.Nanosecond()/1000), nil
	case "epoch":
		return float64(t.UnixMicro()) / 1e6, nil
	case "dow":
		return float64(t.Weekday()), nil
	case "isodow":
		return float64((int(t.Weekday())+6)%7 + 1), nil
	case "doy":
		return float64(t.YearDay()), nil
	case "quarter":
		return float64((int(t.Month())-1)/3 + 1), nil
	case "week":
		_, w := t.ISOWeek()
		return float64(w), nil
	case "isoyear":
		y, _ := t.ISOWeek()
		return float64(y), nil
	case "decade":
		return float64(floorDiv(t.Year(), 10)), nil
	case "century":
		return float64(century(t.Year())), nil
	case "millennium":
		if t.Year() > 0 {
			return float64((t.Year() + 999) / 1000), nil
		}
		return float64(-((999 - (t.Year() - 1)) / 1000)), nil
	case "julian": // the Julian day, with the time of day as its fraction
		secs := t.Hour()*3600 + t.Minute()*60 + t.Second()
		return float64(julianDay(t)) + (float64(secs)+frac)/86400, nil
	case "timezone":
		_, off := t.Zone()
		return float64(off), nil
	case "timezone_hour":
		_, off := t.Zone()
		return float64(off / 3600), nil
	case "timezone_minute":
		_, off := t.Zone()
		return float64(off / 60 % 60), nil
	}
	return nil, errorf(CodeInvalidParameterValue, "unit \"%s\" not recognized for type timestamp with time zone", field)
}

// century is year's century: 21 for 2001 to 2100, -1 for 1 BC (year 0) to 100 BC, as PostgreSQL counts them.
func century(year int) int {
	if year > 0 {
		return (year + 99) / 100
	}
	return -((99 - (year - 1)) / 100)
}

// julianDay is the Julian day number of t's date in its location (2440588 for 1970-01-01).
func julianDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400 + 2440588
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// compileRegexp compiles a PostgreSQL regular expression with its flags (g: every match, i, c, n or m, s, q: the
// pattern is a literal string); global reports g.
func compileRegexp(pattern, flags string) (re *regexp.Regexp, global bool, err error) {
	if strings.ContainsRune(flags, 'q') {
		pattern = regexp.QuoteMeta(pattern)
	}
	for _, f := range flags {
		switch f {
		case 'g':
			global = true
		case 'i':
			pattern = "(?i)" + pattern
		case 'c', 'q':
		case 'n', 'm':
			pattern = "(?m)" + pattern
		case 's':
			pattern = "(?s)" + pattern
		default:
			return nil, false, errorf(CodeInvalidParameterValue, "invalid regular expression option: \"%c\"", f)
		}
	}
	re, err = regexp.Compile(pattern)
	if err != nil {
		return nil, false, errorf(CodeInvalidRegularExpression, "invalid regular expression: %v", err)
	}
	return re, global, nil
}

// regexpMatches is regexp_matches(s, pattern[, flags]): a text[] for the first match, or for every match with the
// g flag, of the pattern's capture groups (a group that took no part is NULL), or of the whole match when it has
// none.
func regexpMatches(s, pattern, flags string) ([]any, error) {
	re, global, err := compileRegexp(pattern, flags)
	if err != nil {
		return nil, err
	}
	n := 1
	if global {
		n = -1
	}
	var out []any
	for _, m := range re.FindAllStringSubmatchIndex(s, n) {
		var groups []any
		if len(m) == 2 {
			groups = []any{s[m[0]:m[1]]}
		}
		for g := 1; 2*g+1 < len(m); g++ {
			if m[2*g] < 0 {
				groups = append(groups, nil)
				continue
			}
			groups = append(groups, s[m[2*g]:m[2*g+1]])
		}
		out = append(out, groups)
	}
	return out, nil
}

// widthBucket is PostgreSQL's width_bucket: the bucket, 1 to count, of count equal-width buckets from low to high
// (or from low down to high) that operand falls in, 0 below them and count + 1 above them, computed in decimal as
// for PostgreSQL's numerics (width_bucket(0.3, 0.1, 0.5, 2) is 2); or, given an array of the buckets' lower
// bounds in ascending order, found by binary search as PostgreSQL does, the number of them at or below operand.
func widthBucket(args []any) (any, error) {
	if len(args) == 2 {
		bounds, ok := args[1].([]any)
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "width_bucket needs an array of lower bounds")
		}
		for _, b := range bounds {
			if b == nil {
				return nil, errorf(CodeNullValueNotAllowed, "thresholds array must not contain NULLs")
			}
			if _, nested := b.([]any); nested {
				return nil, errorf("2202E", "thresholds must be one-dimensional array")
			}
		}
		lo, hi := 0, len(bounds)
		for lo < hi {
			mid := (lo + hi) / 2
			c, ok := compare(args[0], bounds[mid])
			if !ok {
				return nil, errorf(CodeDatatypeMismatch, "width_bucket cannot compare %s with %s", formatText(args[0]), formatText(bounds[mid]))
			}
			if c >= 0 {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return int64(lo), nil
	}
	var f [3]float64
	for i := range f {
		v, err := coerce(numeric(args[i]), OIDFloat8)
		if err != nil {
			return nil, err
		}
		f[i] = v.(float64)
	}
	x, low, high := f[0], f[1], f[2]
	c, err := coerce(numeric(args[3]), OIDInt8)
	if err != nil {
		return nil, err
	}
	count := c.(int64)
	switch {
	case count <= 0:
		return nil, errorf(CodeInvalidArgumentForWidthBucket, "count must be greater than zero")
	case math.IsNaN(x) || math.IsNaN(low) || math.IsNaN(high):
		return nil, errorf(CodeInvalidArgumentForWidthBucket, "operand, lower bound, and upper bound cannot be NaN")
	case math.IsInf(low, 0) || math.IsInf(high, 0):
		return nil, errorf(CodeInvalidArgumentForWidthBucket, "lower and upper bounds must be finite")
	case low == high:
		return nil, errorf(CodeInvalidArgumentForWidthBucket, "lower bound cannot equal upper bound")
	}
	if low > high {
		// Buckets from low down to high: the same count on the mirrored line.
		x, low, high = -x, -low, -high
	}
	switch {
	case x < low:
		return int64(0), nil
	case x >= high:
		return count + 1, nil
	}
	// floor(count * (x - low) / (high - low)) + 1, in decimal.
	dec := func(v float64) *big.Rat { r, _ := new(big.Rat).SetString(decimalText(v)); return r }
	q := new(big.Rat).Sub(dec(x), dec(low))
	q.Mul(q, new(big.Rat).SetInt64(count))
	q.Quo(q, new(big.Rat).Sub(dec(high), dec(low)))
	b := new(big.Int).Quo(q.Num(), q.Denom()) // q >= 0: truncation is floor
	return min(b.Int64()+1, count), nil
}
