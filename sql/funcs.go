package sql

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cockroachdb/apd/v3"
	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// funcName returns a call's function name, lower case, without pg_catalog.
func funcName(f *pg.FuncCall) string {
	name := strings.ToLower(f.Funcname[len(f.Funcname)-1].GetString_().GetSval())
	if name == "character_length" {
		return "char_length" // the SQL standard's name for it
	}
	return name
}

// aggregates are the aggregate functions Concord evaluates.
var aggregates = map[string]bool{
	"count": true, "sum": true, "avg": true, "min": true, "max": true, "array_agg": true,
	"string_agg": true, "bool_and": true, "bool_or": true, "every": true, "json_agg": true, "jsonb_agg": true,
	"jsonb_object_agg": true, "json_object_agg": true,
	"percentile_cont": true, "percentile_disc": true, "mode": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "variance": true, "var_samp": true, "var_pop": true,
	"bit_and": true, "bit_or": true, "bit_xor": true,
	"corr": true, "covar_pop": true, "covar_samp": true, "regr_slope": true, "regr_intercept": true,
	"regr_r2": true, "regr_count": true, "regr_avgx": true, "regr_avgy": true, "regr_sxx": true, "regr_syy": true,
	"regr_sxy": true,
}

// isAggregate reports whether a call is an aggregate (not a window call).
func isAggregate(f *pg.FuncCall) bool {
	return f.Over == nil && (aggregates[funcName(f)] || isHypothetical(f))
}

// hypotheticalSet are the hypothetical-set aggregates: rank(args) WITHIN GROUP (ORDER BY keys) is the rank a row
// with the keys args would have among the group's rows.
var hypotheticalSet = map[string]bool{"rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true}

// isHypothetical reports whether f is a hypothetical-set aggregate's call (the window functions of the same names
// have OVER and no WITHIN GROUP).
func isHypothetical(f *pg.FuncCall) bool {
	return f.Over == nil && f.AggWithinGroup && len(f.Funcname) == 1 && hypotheticalSet[funcName(f)]
}

func (x *exec) evalFunc(f *pg.FuncCall, sc *scope) (any, error) {
	if v, ok := x.srfValue[f]; ok {
		return v, nil
	}
	name := funcName(f)
	if f.Over != nil {
		for s := sc; s != nil; s = s.outer {
			if vals, ok := s.window[f]; ok && s.rowIdx < len(vals) {
				s.read = true
				return vals[s.rowIdx], nil
			}
		}
		// Computed for the select list, ORDER BY and DISTINCT ON only (windows): anywhere else (WHERE, HAVING,
		// GROUP BY, an aggregate's argument, a statement other than SELECT) PostgreSQL refuses them too.
		return nil, &Error{Code: CodeWindowingError, Message: "window functions are not allowed here", Position: int(f.Location) + 1}
	}
	if aggregates[name] || isHypothetical(f) {
		start := sc
		if lvl := aggScope(f, sc); lvl != nil {
			start = lvl // an enclosing query's aggregate (aggscope.go)
		}
		for s := start; s != nil; s = s.outer {
			if s.group != nil {
				s.read = true
				return x.aggregate(f, name, s)
			}
		}
		return nil, &Error{Code: CodeGroupingError, Message: fmt.Sprintf("aggregate function %s is not allowed here", name)}
	}
	if v, ok, err := x.zonedCall(f, name, sc); ok {
		return v, err
	}
	if name == "timezone" && len(f.Args) == 2 {
		args, err := x.evalArgs(f.Args, sc)
		if err != nil {
			return nil, err
		}
		return atTimeZone(args[0], args[1], x.typeOf(f.Args[1], sc) == OIDTimestamp)
	}
	if (name == "enum_range" || name == "enum_first" || name == "enum_last") && len(f.Args) == 1 {
		// Of the argument's enum type, whatever its value (enum_range(NULL::mood)).
		e := enumOf(x.typeOf(f.Args[0], sc))
		if e == nil {
			return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s(%s) does not exist", name, TypeName(x.typeOf(f.Args[0], sc))),
				Hint: "No function matches the given name and argument types. You might need to add explicit type casts."}
		}
		labels := enumLabels(e)
		switch {
		case name == "enum_range":
			return labels, nil
		case len(labels) == 0:
			return nil, nil
		case name == "enum_first":
			return labels[0], nil
		}
		return labels[len(labels)-1], nil
	}
	if name == "pg_typeof" && len(f.Args) == 1 {
		v, err := x.eval(f.Args[0], sc)
		if err != nil {
			return nil, err // an unknown column is 42703, as in PostgreSQL
		}
		// A regtype value: it prints as the type's name and compares as its oid (pg_typeof(x) = 'integer'::regtype).
		if isStringLiteral(f.Args[0]) || (f.Args[0].GetAConst() != nil && f.Args[0].GetAConst().Isnull) {
			return regclass{oid: int64(OIDUnknown), name: "unknown", typ: true}, nil // an untyped literal: pg_typeof('a'), pg_typeof(NULL)
		}
		if r, isRecord := v.(record); isRecord && r.typ != "" {
			oid := int64(OIDRecord)
			if all, _, err := x.relationNames(); err == nil {
				if i := slices.Index(all, r.typ); i >= 0 {
					oid = tableOID(i) + rowTypeOIDOffset
				}
			}
			return regclass{oid: oid, name: r.typ, typ: true}, nil // a table's row: its row type, named as the table
		}
		return regtypeValue(x.typeOf(f.Args[0], sc)), nil // the argument's type, as format_type names it
	}
	if (name == "json_populate_record" || name == "jsonb_populate_record") && len(f.Args) == 2 {
		return x.populatedRecord(f, sc)
	}
	args, err := x.evalArgs(f.Args, sc)
	if err != nil {
		return nil, err
	}
	if name == "to_hex" && len(args) == 1 {
		if i, ok := args[0].(int64); ok && i < 0 && i >= math.MinInt32 && x.typeOf(f.Args[0], sc) != OIDInt8 {
			args[0] = int64(uint32(i)) // to_hex(-1) of an integer is ffffffff, of a bigint ffffffffffffffff
		}
	}
	if name == "array_cat" && len(args) == 2 {
		// An untyped literal beside an array is an array of its type, as PostgreSQL resolves anyarray: array_cat(a,
		// '{3}') concatenates {3}.
		if args[0], args[1], err = x.arrayLiteralOperands(args[0], args[1], f.Args[0], f.Args[1], sc); err != nil {
			return nil, err
		}
		// Two untyped literals are text arrays: array_cat('{1}', '{2}') is {1,2}.
		for i := range args {
			if isStringLiteral(f.Args[0]) && isStringLiteral(f.Args[1]) && args[i] != nil {
				if args[i], err = coerce(args[i], OIDTextArray); err != nil {
					return nil, atLiteral(err, f.Args[i])
				}
			}
		}
	}
	textual := name == "concat" || name == "concat_ws" || name == "format"
	for i, a := range args {
		if rv, ok := a.(bson.RawValue); ok && rv.Type == bson.TypeBinary {
			args[i], _, _ = toBytea(rv) // binary of any subtype is a bytea to the functions
		}
		if textual {
			args[i] = x.numericText(args[i], f.Args[i], sc) // a numeric(p,s) shows its scale: 1.50
			args[i] = x.shownTime(args[i], f.Args[i], sc)
		}
	}
	if v, ok, err := x.jsonCall(f, name, args, sc); ok {
		return v, err
	}
	v, err := x.scalarFunc(name, f, args)
	if err == errNoSuchFunction {
		if fn := x.userFunction(f); fn != nil {
			return x.scalarFunction(fn, f, sc, args) // a function made with CREATE FUNCTION (functions.go)
		}
		return nil, x.noSuchFunction(name, f, sc)
	}
	return v, err
}

// evalArgs evaluates a call's arguments.
func (x *exec) evalArgs(list []*pg.Node, sc *scope) ([]any, error) {
	args := make([]any, len(list))
	for i, a := range list {
		v, err := x.eval(a, sc)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

// scalarFunc runs a scalar function on evaluated arguments.
func (x *exec) scalarFunc(name string, f *pg.FuncCall, args []any) (any, error) {
	argc := func(n int) error {
		if len(args) != n {
			return &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s with %d arguments does not exist", name, len(args))}
		}
		return nil
	}
	if v, ok, err := arrayFunc(name, args); ok {
		return v, err
	}
	if v, ok, err := textFunc(name, args); ok {
		return v, err
	}
	if v, ok, err := inetFunc(name, args); ok {
		return v, err
	}
	switch name {
	case "make_timestamp", "make_timestamptz":
		return x.makeTimestamp(name, args)
	case "overlaps":
		return overlaps(args)
	case "to_regclass":
		if err := argc(1); err != nil || args[0] == nil {
			return nil, err
		}
		return x.toRegclass(formatText(args[0]))
	case "now", "transaction_timestamp":
		return x.now(), nil
	case "statement_timestamp":
		return x.statementNow(), nil
	case "clock_timestamp":
		return time.Now().UTC().Truncate(time.Microsecond), nil // the clock's, changing as the statement runs
	case "timeofday":
		// The clock's, as text in the session's zone: "Sun Dec 06 20:52:11.123456 2026 UTC".
		return time.Now().In(x.zone()).Format("Mon Jan 02 15:04:05.000000 2006 MST"), nil
	case "to_date", "to_timestamp":
		if name == "to_timestamp" && len(args) != 2 {
			break // to_timestamp(double precision): builtin
		}
		if err := argc(2); err != nil || args[0] == nil || args[1] == nil {
			return nil, err
		}
		if name == "to_date" {
			return toDateText(formatText(args[0]), formatText(args[1]))
		}
		return toTimestampText(formatText(args[0]), formatText(args[1]), x.zone())
	case "to_number":
		if err := argc(2); err != nil || args[0] == nil || args[1] == nil {
			return nil, err
		}
		return toNumber(formatText(args[0]), formatText(args[1]))
	case "date_bin":
		if err := argc(3); err != nil {
			return nil, err
		}
		return dateBin(args[0], args[1], args[2])
	case "txid_current", "pg_current_xact_id", "txid_current_if_assigned", "pg_current_xact_id_if_assigned":
		if err := argc(0); err != nil {
			return nil, err
		}
		return x.s.transactionNumber(strings.HasSuffix(name, "_if_assigned")), nil
	case "array_append_unique", "array_append", "array_remove", "array_contains", "array_prepend":
		if err := argc(2); err != nil {
			return nil, err
		}
		arrArg, v := args[0], args[1]
		if name == "array_prepend" {
			arrArg, v = args[1], args[0]
		}
		var arr []any
		if arrArg != nil {
			a, ok := arrArg.([]any)
			if !ok {
				c, err := coerce(arrArg, OIDTextArray)
				if err != nil {
					return nil, errorf(CodeDatatypeMismatch, "%s needs an array", name)
				}
				a = c.([]any)
			}
			arr = a
		}
		switch name {
		case "array_contains":
			if arrArg == nil {
				return nil, nil
			}
			r, err := quantified("=", v, arr, false)
			if r == nil {
				r = false
			}
			return r, err
		case "array_append":
			return append(append([]any{}, arr...), v), nil
		case "array_prepend":
			return append([]any{v}, arr...), nil
		case "array_append_unique":
			if r, _ := quantified("=", v, arr, false); r == true {
				return append([]any{}, arr...), nil
			}
			return append(append([]any{}, arr...), v), nil
		default: // array_remove
			if arrArg == nil {
				return nil, nil
			}
			out := []any{}
			for _, e := range arr {
				if eq, _ := binaryOp("=", e, v); eq != true && !(e == nil && v == nil) {
					out = append(out, e)
				}
			}
			return out, nil
		}
	case "merge_json", "jsonb_concat":
		if err := argc(2); err != nil {
			return nil, err
		}
		return mergeJSON(args[0], args[1])
	case "justify_hours", "justify_days", "justify_interval":
		if err := argc(1); err != nil || args[0] == nil {
			return nil, err
		}
		c, err := coerce(args[0], OIDInterval)
		if err != nil {
			return nil, err
		}
		return c.(interval).justify(name != "justify_days", name != "justify_hours"), nil
	case "age":
		if len(args) < 1 || len(args) > 2 {
			return nil, errorf(CodeUndefinedFunction, "function age with %d arguments does not exist", len(args))
		}
		ts := make([]time.Time, 0, 2)
		if len(args) == 1 {
			// age(t) is from today's midnight in the session's zone, as PostgreSQL's (current_date), on t's
			// calendar: UTC for a timestamp, the session's zone for a timestamp with time zone (zonedCall).
			y, m, d := x.now().In(x.zone()).Date()
			loc := time.UTC
			if t, ok := args[0].(time.Time); ok && t.Location() != time.Local {
				loc = t.Location()
			}
			ts = append(ts, zonedTime(y, m, d, 0, 0, 0, 0, loc))
		}
		for _, a := range args {
			if a == nil {
				return nil, nil
			}
			c, err := coerce(a, OIDTimestamptz)
			if err != nil {
				return nil, err
			}
			ts = append(ts, c.(time.Time))
		}
		return age(ts[0], ts[1]), nil
	case "make_interval":
		var iv interval
		order := []string{"years", "months", "weeks", "days", "hours", "mins", "secs"}
		for i, a := range f.Args {
			unit := ""
			if na := a.GetNamedArgExpr(); na != nil {
				unit = na.Name
			} else if i < len(order) {
				unit = order[i]
			}
			if args[i] == nil {
				return nil, nil
			}
			n, ok := toFloat(numeric(args[i]))
			if !ok || !slices.Contains(order, unit) {
				return nil, unsupported("make_interval(" + unit + " => ...)")
			}
			switch unit { // integers but secs, as PostgreSQL's make_interval takes them
			case "years":
				iv.months += int32(n) * 12
			case "months":
				iv.months += int32(n)
			case "weeks":
				iv.days += int32(n) * 7
			case "days":
				iv.days += int32(n)
			case "hours":
				iv.us += int64(n) * 3600_000_000
			case "mins":
				iv.us += int64(n) * 60_000_000
			default:
				if math.IsNaN(n) || math.IsInf(n, 0) || math.Abs(n) > 9e12 {
					return nil, errorf(CodeDatetimeFieldOverflow, "interval out of range")
				}
				iv.us += int64(math.Round(n * 1e6))
			}
		}
		if math.Abs(float64(iv.us)) > 9e18 || iv.us/3_600_000_000 > math.MaxInt32 || -iv.us/3_600_000_000 > math.MaxInt32 {
			return nil, errorf(CodeDatetimeFieldOverflow, "interval out of range")
		}
		return iv, nil
	case "lower", "upper", "length", "char_length", "trim", "btrim", "ltrim", "rtrim":
		if err := argc(1); err != nil && (!strings.HasSuffix(name, "trim") || len(args) != 2) {
			return nil, err
		}
		if args[0] == nil || len(args) == 2 && args[1] == nil {
			return nil, nil
		}
		if b, ok := args[0].(Bytea); ok && name == "length" {
			return int64(len(b)), nil // a bytea's length is its bytes
		}
		s := formatText(args[0])
		chars := " "
		if len(args) == 2 {
			chars = formatText(args[1])
		}
		switch name {
		case "lower":
			return strings.ToLower(s), nil
		case "upper":
			return strings.ToUpper(s), nil
		case "length", "char_length":
			return int64(utf8.RuneCountInString(s)), nil
		case "ltrim":
			return strings.TrimLeft(s, chars), nil
		case "rtrim":
			return strings.TrimRight(s, chars), nil
		default:
			return strings.Trim(s, chars), nil
		}
	case "concat":
		if len(args) == 0 {
			return nil, errorf(CodeUndefinedFunction, "function concat() does not exist")
		}
		var b strings.Builder
		for _, a := range args {
			if a != nil {
				b.WriteString(formatText(a))
			}
		}
		return b.String(), nil
	case "replace":
		if err := argc(3); err != nil {
			return nil, err
		}
		if args[0] == nil || args[1] == nil || args[2] == nil {
			return nil, nil
		}
		from := formatText(args[1])
		if from == "" {
			return formatText(args[0]), nil // replacing the empty string changes nothing, as in PostgreSQL
		}
		return strings.ReplaceAll(formatText(args[0]), from, formatText(args[2])), nil
	case "substring", "substr":
		if len(args) < 2 || args[0] == nil || args[1] == nil {
			return nil, nil
		}
		if len(args) > 3 {
			return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		if pattern, isText := args[1].(string); isText {
			// substring(s from pattern) and substring(s similar pattern escape e): a text second argument is a
			// pattern, as PostgreSQL resolves an untyped literal to text.
			if len(args) == 2 {
				return regexSubstring(formatText(args[0]), pattern)
			}
			if args[2] == nil {
				return nil, nil
			}
			re, err := similarToRegexp(pattern, formatText(args[2]))
			if err != nil {
				return nil, err
			}
			return regexSubstring(formatText(args[0]), re)
		}
		r := []rune(formatText(args[0]))
		if b, isBytea := args[0].(Bytea); isBytea {
			r = []rune(latin1(string(b))) // bytes, one character each
		}
		start, err := coerce(args[1], OIDInt8)
		if err != nil {
			return nil, err
		}
		from := start.(int64) - 1
		to := int64(len(r))
		if len(args) > 2 {
			if args[2] == nil {
				return nil, nil
			}
			n, err := coerce(args[2], OIDInt8)
			if err != nil {
				return nil, err
			}
			if n.(int64) < 0 {
				return nil, errorf("22011", "negative substring length not allowed")
			}
			to = from + n.(int64)
		}
		from = max(from, 0)
		to = min(to, int64(len(r)))
		_, isBytea := args[0].(Bytea)
		if from >= to {
			if isBytea {
				return Bytea(""), nil
			}
			return "", nil
		}
		if isBytea {
			out := make([]byte, to-from)
			for i, c := range r[from:to] {
				out[i] = byte(c)
			}
			return Bytea(out), nil
		}
		return string(r[from:to]), nil
	case "abs", "round", "ceil", "ceiling", "floor", "sqrt", "trunc":
		if len(args) == 0 || args[0] == nil {
			return nil, nil
		}
		v := numeric(args[0])
		if (name == "round" || name == "trunc") && len(args) > 1 {
			if args[1] == nil {
				return nil, nil
			}
			d, err := coerce(args[1], OIDInt8)
			if err != nil {
				return nil, err
			}
			return roundDigits(v, int(d.(int64)), name == "trunc")
		}
		if name == "sqrt" {
			if v, ok, err := numericMath(name, []any{v}); ok {
				return v, err
			}
		}
		if i, ok := v.(int64); ok && name != "sqrt" {
			if name == "abs" && i < 0 {
				if i == math.MinInt64 {
					return nil, errorf(CodeNumericOutOfRange, "bigint out of range")
				}
				return -i, nil
			}
			return i, nil
		}
		if d, ok := v.(*apd.Decimal); ok && name != "sqrt" {
			return decUnary(name, d)
		}
		fv, ok := toFloat(v)
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "%s needs a number", name)
		}
		switch name {
		case "abs":
			return math.Abs(fv), nil
		case "round":
			return math.RoundToEven(fv), nil // rint's rounding, as PostgreSQL's dround: round(2.5::float8) is 2
		case "ceil", "ceiling":
			return math.Ceil(fv), nil
		case "floor":
			return math.Floor(fv), nil
		case "trunc":
			return math.Trunc(fv), nil
		default:
			if fv < 0 {
				return nil, errorf(CodeInvalidArgumentForPower, "cannot take square root of a negative number")
			}
			return math.Sqrt(fv), nil
		}
	case "greatest", "least":
		var best any
		for _, a := range args {
			if a == nil {
				continue
			}
			c, _ := compare(a, best)
			if best == nil || (name == "greatest" && c > 0) || (name == "least" && c < 0) {
				best = a
			}
		}
		return best, nil
	case "nullif":
		if err := argc(2); err != nil {
			return nil, err
		}
		if eq, _ := binaryOp("=", args[0], args[1]); eq == true {
			return nil, nil
		}
		return args[0], nil
	case "coalesce":
		for _, a := range args {
			if a != nil {
				return a, nil
			}
		}
		return nil, nil
	case "random":
		if x.s.rng != nil && len(args) == 0 {
			return x.s.rng.Float64(), nil // the sequence setseed started
		}
	case "setseed":
		if err := argc(1); err != nil || args[0] == nil {
			return nil, err
		}
		seed, ok := toFloat(numeric(args[0]))
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "setseed needs a number")
		}
		if math.IsNaN(seed) || seed < -1 || seed > 1 {
			return nil, errorf(CodeInvalidParameterValue, "setseed parameter %s is out of allowed range [-1,1]", formatText(args[0]))
		}
		x.s.rng = mrand.New(mrand.NewPCG(math.Float64bits(seed), 0x5eed))
		return "", nil
	case "pg_sleep_for", "pg_sleep_until":
		if err := argc(1); err != nil || args[0] == nil {
			return nil, err
		}
		var d time.Duration
		if name == "pg_sleep_for" {
			v, err := coerce(args[0], OIDInterval)
			if err != nil {
				return nil, err
			}
			iv := v.(interval)
			d = time.Duration(iv.us)*time.Microsecond + time.Duration(int64(iv.days)+30*int64(iv.months))*24*time.Hour
		} else {
			v, err := coerce(args[0], OIDTimestamptz)
			if err != nil {
				return nil, err
			}
			d = time.Until(v.(time.Time))
		}
		return x.sleep(d)
	case "pg_sleep":
		if err := argc(1); err != nil || args[0] == nil {
			return nil, err
		}
		secs, ok := toFloat(numeric(args[0]))
		if !ok {
			return nil, errorf(CodeDatatypeMismatch, "pg_sleep needs a number of seconds")
		}
		return x.sleep(time.Duration(secs * float64(time.Second)))
	case "version":
		return "PostgreSQL " + ServerVersion + " (Concord)", nil
	case "current_database":
		return x.s.database, nil
	case "current_schema":
		return "public", nil
	case "current_user", "session_user", "user":
		return x.s.user(), nil
	case "pg_backend_pid":
		return int64(x.s.pid), nil
	case "pg_get_serial_sequence":
		if err := argc(2); err != nil || args[0] == nil || args[1] == nil {
			return nil, err
		}
		return x.serialSequence(formatText(args[0]), formatText(args[1]))
	case "inet_client_addr", "inet_client_port", "inet_server_addr", "inet_server_port":
		if err := argc(0); err != nil {
			return nil, err
		}
		v := x.s.connectionFunc(name)
		if s, ok := v.(string); ok {
			if in, err := parseInet(s, false); err == nil {
				return in, nil
			}
		}
		return v, nil
	case "pg_postmaster_start_time", "pg_conf_load_time":
		if err := argc(0); err != nil {
			return nil, err
		}
		return x.s.e.started, nil
	case "pg_blocking_pids", "pg_cancel_backend", "pg_terminate_backend":
		return x.activityFunc(name, args)
	case "pg_advisory_lock", "pg_advisory_xact_lock", "pg_try_advisory_lock", "pg_try_advisory_xact_lock",
		"pg_advisory_unlock", "pg_advisory_unlock_all", "pg_advisory_lock_shared", "pg_advisory_xact_lock_shared",
		"pg_try_advisory_lock_shared", "pg_try_advisory_xact_lock_shared", "pg_advisory_unlock_shared":
		return x.advisoryFunc(name, args)
	case "gen_random_uuid", "uuidv4", "uuid_generate_v4":
		if err := argc(0); err != nil {
			return nil, err
		}
		return randomUUID(), nil
	case "nextval", "currval":
		if err := argc(1); err != nil {
			return nil, err
		}
		if x.describe {
			return nil, nil
		}
		if name == "currval" {
			v, err := x.currval(args[0])
			return v, seqArgError(err, f)
		}
		if x.s.readOnlyNow() {
			return nil, errorf(CodeReadOnlyTransaction, "cannot execute nextval() in a read-only transaction")
		}
		v, err := x.nextval(args[0])
		return v, seqArgError(err, f)
	case "lastval":
		// The value nextval last gave in this session, of whichever sequence (setval of it since counts, as
		// PostgreSQL's currval of that sequence does; setval alone makes no sequence the last).
		if err := argc(0); err != nil {
			return nil, err
		}
		if x.describe {
			return nil, nil
		}
		n, ok := x.s.sequences[x.s.lastSeq]
		if ok {
			// A sequence dropped since has no value for lastval, as in PostgreSQL.
			_, err := x.s.db().collection(sequencesCollection).findOne(x.seqCtx(x.s.lastSeq), bson.D{{Key: "_id", Value: x.s.lastSeq}})
			if isNoDocuments(err) {
				ok = false
			} else if err != nil {
				return nil, err
			}
		}
		if x.s.lastSeq == "" || !ok {
			return nil, errorf(CodeObjectNotInPrerequisiteState, "lastval is not yet defined in this session")
		}
		return n, nil
	case "setval":
		if len(args) != 2 && len(args) != 3 {
			return nil, argc(2)
		}
		if x.describe {
			return nil, nil
		}
		if x.s.readOnlyNow() {
			return nil, errorf(CodeReadOnlyTransaction, "cannot execute setval() in a read-only transaction")
		}
		called := true
		if len(args) == 3 {
			b, ok := args[2].(bool)
			if !ok {
				return nil, errorf(CodeInvalidParameterValue, "setval's third argument is a boolean")
			}
			called = b
		}
		v, err := x.setval(args[0], args[1], called)
		return v, seqArgError(err, f)
	case "jsonb_object", "json_object":
		return jsonObjectOf(name, args)
	case "jsonb_build_object", "json_build_object":
		if len(args)%2 != 0 {
			return nil, errorf(CodeInvalidParameterValue, "argument list must have even number of elements")
		}
		d := bson.D{}
		for i := 0; i < len(args); i += 2 {
			if args[i] == nil {
				return nil, errorf(CodeInvalidParameterValue, "argument %d: key must not be null", i+1)
			}
			key := formatText(args[i])
			if b, isBool := args[i].(bool); isBool {
				key = strconv.FormatBool(b) // a key is the JSON text of the value: true, not t
			}
			d = append(d, bson.E{Key: key, Value: jsonElem(args[i+1])})
		}
		v, err := docValue(d)
		if rv, ok := v.(bson.RawValue); ok && name == "jsonb_build_object" {
			return jsonbCanon(rv), err
		}
		return v, err
	case "to_jsonb":
		if err := argc(1); err != nil {
			return nil, err
		}
		if t, isTime := args[0].(time.Time); isTime {
			// A date or time is a JSON string of its ISO 8601 text; the argument's type says which form.
			oid := x.typeOf(f.Args[0], &scope{})
			if oid == OIDTimestamptz {
				t = t.In(x.zone()) // its text in the session's zone
			}
			s := jsonTime(t, oid)
			tt, data, _ := bson.MarshalValue(s)
			return bson.RawValue{Type: tt, Value: data}, nil
		}
		if s, ok := args[0].(string); ok {
			t, data, _ := bson.MarshalValue(s) // a text value is a JSON string, '123' too
			return bson.RawValue{Type: t, Value: data}, nil
		}
		return coerce(args[0], OIDJSONB)
	case "date_trunc":
		if err := argc(2); err != nil || args[1] == nil {
			return nil, err
		}
		t, err := coerce(args[1], OIDTimestamptz)
		if err != nil {
			return nil, err
		}
		tt := t.(time.Time)
		if infinite(tt) != 0 {
			return tt, nil
		}
		loc := tt.Location() // UTC, or the zone zonedCall reads a timestamp with time zone in
		switch unit := truncUnit(formatText(args[0])); unit {
		case "timezone", "timezone_h", "timezone_m":
			return nil, errorf(CodeFeatureNotSupported, "unit \"%s\" not supported for type timestamp with time zone", formatText(args[0]))
		case "second":
			return tt.Truncate(time.Second), nil
		case "minute": // within the hour: the value's own offset, as PostgreSQL keeps it below a day
			return tt.Add(-time.Duration(tt.Second())*time.Second - time.Duration(tt.Nanosecond())), nil
		case "hour":
			return tt.Add(-time.Duration(tt.Minute())*time.Minute - time.Duration(tt.Second())*time.Second -
				time.Duration(tt.Nanosecond())), nil
		case "day":
			y, m, d := tt.Date()
			return zonedTime(y, m, d, 0, 0, 0, 0, loc), nil
		case "month":
			y, m, _ := tt.Date()
			return zonedTime(y, m, 1, 0, 0, 0, 0, loc), nil
		case "week":
			y, m, d := tt.Date()
			return zonedTime(y, m, d-(int(tt.Weekday())+6)%7, 0, 0, 0, 0, loc), nil
		case "quarter":
			y, m, _ := tt.Date()
			return zonedTime(y, m-(m-1)%3, 1, 0, 0, 0, 0, loc), nil
		case "year":
			return zonedTime(tt.Year(), 1, 1, 0, 0, 0, 0, loc), nil
		case "decade":
			return zonedTime(floorDiv(tt.Year(), 10)*10, 1, 1, 0, 0, 0, 0, loc), nil
		case "milliseconds":
			return tt.Truncate(time.Millisecond), nil
		case "microseconds":
			return tt.Truncate(time.Microsecond), nil
		case "century", "millennium":
			// The first year of the century (1901, 2001) or millennium (1001, 2001), as PostgreSQL counts them;
			// before 1 AD, the last (astronomical year 0 is 1 BC).
			span, y := 100, tt.Year()
			if unit == "millennium" {
				span = 1000
			}
			if y > 0 {
				y = (y+span-1)/span*span - span + 1
			} else {
				y = -((span-1-(y-1))/span)*span + 1
			}
			return zonedTime(y, 1, 1, 0, 0, 0, 0, loc), nil
		}
		return nil, errorf(CodeInvalidParameterValue, "unit \"%s\" not recognized for type timestamp with time zone", formatText(args[0]))
	case "pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible", "has_table_privilege", "has_schema_privilege", "has_database_privilege":
		return true, nil
	case "format_type":
		if len(args) == 0 || args[0] == nil {
			return nil, nil
		}
		o, err := coerce(args[0], OIDInt8)
		if s, isName := args[0].(string); err != nil && isName {
			// A regtype (format_type('int4'::regtype, NULL)), which is its type's name here.
			t, terr := x.typeNamed(s)
			if terr != nil {
				return nil, err
			}
			o, err = int64(t), nil
		}
		if err != nil {
			return nil, err
		}
		oid := uint32(o.(int64))
		if e := enumOf(oid); e != nil && !x.publicOnPath() {
			return "public." + quoteIdent(e.Name), nil // a type of a schema off the search path is qualified
		}
		if d := domainName(oid); d != "" {
			if !x.publicOnPath() {
				return "public." + quoteIdent(d), nil
			}
			return quoteIdent(d), nil
		}
		if len(args) < 2 || args[1] == nil {
			return TypeName(oid), nil
		}
		m, err := coerce(args[1], OIDInt4)
		if err != nil {
			return nil, err
		}
		if oid == OIDBpchar && m.(int64) < 0 {
			return "bpchar", nil // PostgreSQL's name for character without a length
		}
		if (precisionType(oid) || precisionType(types[oid].elem)) && m.(int64) >= 0 {
			m = m.(int64) + typmodHeader // PostgreSQL's time(p) and timestamp(p) modifier is p
		}
		return formatType(oid, int32(m.(int64))), nil
	case "current_setting":
		return x.currentSetting(args)
	case "set_config":
		return x.setConfig(args)
	case "format":
		return formatFunc(args)
	case "quote_literal":
		if len(args) != 1 {
			return nil, errorf(CodeUndefinedFunction, "function quote_literal with %d arguments does not exist", len(args))
		}
		if args[0] == nil {
			return nil, nil
		}
		return quoteLiteral(formatText(args[0])), nil
	case "pg_table_size", "pg_total_relation_size", "pg_relation_size", "pg_indexes_size":
		return x.relationSize(name, args) // psql's \dt+ and \di+ show them
	case "pg_database_size":
		if len(args) != 1 {
			return nil, errorf(CodeUndefinedFunction, "function pg_database_size with %d arguments does not exist", len(args))
		}
		return x.databaseSize(args[0]) // psql's \l+
	case "pg_tablespace_size":
		if len(args) != 1 {
			return nil, errorf(CodeUndefinedFunction, "function pg_tablespace_size with %d arguments does not exist", len(args))
		}
		return x.tablespaceSize(args[0]) // psql's \db+
	case "pg_get_userbyid":
		if len(args) == 1 && numeric(args[0]) == int64(databaseOwnerOID) {
			return "pg_database_owner", nil // the public schema's owner (psql's \dn)
		}
		return x.s.user(), nil // role 10, which owns every object, is the session's user, as pg_roles shows it
	case "pg_is_in_recovery":
		return false, nil // no standby answers SQL
	case "pg_tablespace_location":
		if len(args) != 1 || args[0] == nil {
			return nil, nil
		}
		return "", nil // pg_default's and pg_global's: the data directory's own (psql's \db)
	case "acldefault":
		return nil, nil // no privileges are granted on objects
	case "current_schemas":
		// The schemas of the search path that exist (public alone here), with pg_catalog first when asked for
		// the implicit ones: pg_dump writes its script's search_path from it.
		out := []any{}
		if len(args) == 1 && asBool(args[0]) == true {
			out = append(out, "pg_catalog")
		}
		if x.publicOnPath() {
			out = append(out, "public")
		}
		return out, nil
	case "pg_notify":
		return x.pgNotify(args)
	case "pg_get_viewdef":
		if len(args) == 0 || args[0] == nil {
			return nil, nil
		}
		return x.viewDef(args[0])
	case "pg_get_function_result", "pg_get_function_arguments", "pg_get_function_identity_arguments":
		if len(args) != 1 || args[0] == nil {
			return nil, nil
		}
		return x.functionSignature(name, args[0])
	case "pg_get_triggerdef":
		if len(args) == 0 || args[0] == nil {
			return nil, nil
		}
		pretty := len(args) > 1 && args[1] == true
		return x.triggerDef(args[0], pretty)
	case "pg_get_function_sqlbody":
		return nil, nil // a body is kept as the text of its query (prosrc), never as a parsed SQL-standard body
	case "obj_description", "col_description", "shobj_description", "pg_get_expr", "pg_get_indexdef",
		"pg_get_constraintdef", "pg_encoding_to_char", "array_to_string", "pg_size_pretty", "quote_ident":
		return x.catalogFunc(name, args)
	}
	if setReturning[name] {
		return nil, &Error{Code: CodeFeatureNotSupported, Message: "set-returning functions are not allowed here (only in FROM and the select list)",
			Position: int(f.Location) + 1}
	}
	if v, ok, err := byteaFunc(name, args); ok {
		return v, err
	}
	if v, ok, err := jsonFunc(name, args); ok {
		return v, err
	}
	if v, ok, err := jsonPathFunc(x.ctx, name, args); ok {
		return v, err
	}
	if v, ok, err := cryptoFunc(x.ctx, name, args); ok {
		return v, err
	}
	if v, ok, err := builtin(name, args); ok {
		return v, err
	}
	return nil, errNoSuchFunction
}

// truncUnits are the unit names date_trunc takes besides the units' own, as PostgreSQL's table of them
// (datetime.c's deltatktbl) has them: abbreviations and plurals.
var truncUnits = map[string]string{
	"c": "century", "cent": "century", "centuries": "century",
	"d": "day", "days": "day",
	"dec": "decade", "decades": "decade", "decs": "decade",
	"h": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
	"microsecon": "microseconds", "us": "microseconds", "usec": "microseconds", "usecond": "microseconds",
	"useconds": "microseconds", "usecs": "microseconds",
	"mil": "millennium", "millennia": "millennium", "mils": "millennium",
	"millisecon": "milliseconds", "ms": "milliseconds", "msec": "milliseconds", "msecond": "milliseconds",
	"mseconds": "milliseconds", "msecs": "milliseconds",
	"min": "minute", "mins": "minute", "minutes": "minute",
	"mon": "month", "mons": "month", "months": "month",
	"qtr": "quarter",
	"s":   "second", "sec": "second", "seconds": "second", "secs": "second",
	"w": "week", "weeks": "week",
	"y": "year", "years": "year", "yr": "year", "yrs": "year",
}

// truncUnit is the unit a date_trunc field names: lower-cased and cut to PostgreSQL's 10 characters of a token,
// an abbreviation or plural given its unit's name.
func truncUnit(field string) string {
	u := strings.ToLower(field)
	if len(u) > 10 {
		u = u[:10]
	}
	if full, ok := truncUnits[u]; ok {
		return full
	}
	return u
}

// errNoSuchFunction is scalarFunc's answer for a name it does not know; evalFunc turns it into noSuchFunction's
// error, which names the arguments' types. It is not an *Error, so that no caller can change it in place.
var errNoSuchFunction = errors.New("no such function")

// noSuchFunction is PostgreSQL's 42883 for a call of a function that does not exist: named with its arguments'
// types, an untyped literal or NULL's being unknown.
func (x *exec) noSuchFunction(name string, f *pg.FuncCall, sc *scope) error {
	types := make([]string, len(f.Args))
	for i, a := range f.Args {
		types[i] = "unknown"
		arg := a
		if na := a.GetNamedArgExpr(); na != nil {
			arg = na.Arg
		}
		if t := x.typeOf(arg, sc); t != 0 && !isStringLiteral(arg) && !isNullLiteral(arg) {
			types[i] = TypeName(t)
		}
		if name := wholeRowTable(arg, sc); name != "" {
			types[i] = name // a table's row: its type is named as the table
		}
		if na := a.GetNamedArgExpr(); na != nil {
			types[i] = na.Name + " => " + types[i]
		}
	}
	return &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(types, ", ")),
		Position: int(f.Location) + 1, Hint: "No function matches the given name and argument types. You might need to add explicit type casts."}
}

// wholeRowTable is the table whose row e refers to as a whole (t, for FROM tbl t), "" when it is no such reference.
func wholeRowTable(e *pg.Node, sc *scope) string {
	cr := e.GetColumnRef()
	if cr == nil || len(cr.Fields) != 1 || cr.Fields[0].GetString_() == nil || sc == nil {
		return ""
	}
	name := cr.Fields[0].GetString_().GetSval()
	for _, c := range sc.cols {
		if c.qual == name && c.name == name {
			return "" // a column of the name
		}
	}
	for _, c := range sc.cols {
		if c.qual == name && c.hidden && c.table != "" {
			return c.table
		}
	}
	return ""
}

// catalogFuncArgs are the argument counts PostgreSQL's catalog functions take.
var catalogFuncArgs = map[string]string{"pg_encoding_to_char": "1", "array_to_string": "23", "pg_size_pretty": "1",
	"quote_ident": "1", "pg_get_constraintdef": "12", "pg_get_indexdef": "13", "pg_get_expr": "23",
	"obj_description": "12", "col_description": "2", "shobj_description": "2"}

// catalogFunc answers the catalog functions psql's queries call.
func (x *exec) catalogFunc(name string, args []any) (any, error) {
	if n, ok := catalogFuncArgs[name]; ok && !strings.Contains(n, strconv.Itoa(len(args))) {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	switch name {
	case "obj_description", "col_description":
		// A table's or view's comment (obj_description(oid[, 'pg_class'])), a column's (col_description(oid,
		// attnum)); NULL for anything else.
		if args[0] == nil || args[len(args)-1] == nil {
			return nil, nil
		}
		rc, ok, err := x.namedRelation(args[0])
		if err != nil || !ok {
			return nil, err
		}
		t, err := x.lookupTable(rc.name, 0)
		if err != nil || !t.declared {
			// An index's comment (COMMENT ON INDEX).
			if ix, found, _ := x.indexNamed(rc.name); found && name == "obj_description" && (len(args) == 1 || formatText(args[1]) == "pg_class") {
				if c := ix.t.IndexComments[ix.name]; c != "" {
					return c, nil
				}
			}
			return nil, nil
		}
		comment := t.Comment
		if name == "col_description" {
			n, _ := coerce(args[1], OIDInt8)
			i, _ := n.(int64)
			if i < 1 || i > int64(len(t.Columns)) {
				return nil, nil
			}
			comment = t.Columns[i-1].Comment
		} else if len(args) == 2 && formatText(args[1]) != "pg_class" {
			return nil, nil
		}
		if comment == "" {
			return nil, nil
		}
		return comment, nil
	case "pg_encoding_to_char":
		return "UTF8", nil
	case "array_to_string":
		if len(args) < 2 || args[0] == nil || args[1] == nil {
			return nil, nil
		}
		a, _ := args[0].([]any)
		a = arrayFlat(a)
		parts := make([]string, 0, len(a))
		for _, e := range a {
			switch {
			case e != nil:
				parts = append(parts, formatText(e))
			case len(args) == 3 && args[2] != nil:
				parts = append(parts, formatText(args[2])) // array_to_string(a, ',', '*') shows a NULL as *
			}
		}
		return strings.Join(parts, formatText(args[1])), nil
	case "pg_size_pretty":
		return sizePretty(args[0])
	case "quote_ident":
		if args[0] == nil {
			return nil, nil
		}
		return quoteIdent(formatText(args[0])), nil
	case "pg_get_constraintdef":
		checks, err := x.pgConstraints()
		if err != nil || len(args) == 0 {
			return nil, err
		}
		for _, c := range checks {
			if oid, ok := oidArg(args[0]); ok && oid == c.oid {
				if c.kind == "f" && !x.publicOnPath() {
					return strings.Replace(c.def, " REFERENCES ", " REFERENCES public.", 1), nil
				}
				return c.def, nil
			}
		}
	case "pg_get_indexdef":
		// pg_get_indexdef(index [, column, pretty]): the CREATE INDEX statement, or with a column number above 0
		// that key column's name.
		for _, a := range args {
			if a == nil {
				return nil, nil // strict
			}
		}
		indexes, err := x.pgIndexes()
		if err != nil {
			return nil, err
		}
		oid, _ := oidArg(args[0])
		for _, ix := range indexes {
			if ix.oid != oid {
				continue
			}
			if len(args) > 1 {
				n, _ := coerce(args[1], OIDInt8)
				if col, _ := n.(int64); col != 0 {
					if col < 0 || col > int64(len(ix.columns)) {
						return "", nil
					}
					if ix.isExpr(int(col - 1)) {
						return indexElemExpr(ix.columns[col-1], len(args) > 2 && args[2] == true), nil // lower(name), (a + b)
					}
					return quoteIdent(ix.columns[col-1]), nil
				}
			}
			pretty := len(args) > 2 && args[2] == true
			return ix.def(pretty), nil
		}
		return nil, nil
	case "pg_get_expr":
		// pg_attrdef.adbin holds a default's or generation expression's SQL text, which is what pg_get_expr
		// returns for it (an operator's expression in parentheses but in the pretty form, as PostgreSQL's).
		if len(args) > 0 {
			if s, ok := args[0].(string); ok {
				if !x.publicOnPath() {
					s = qualifyNextval(s)
				}
				return exprDisplay(s, len(args) > 2 && args[2] == true), nil
			}
		}
	}
	return nil, nil
}

// isObjectAgg reports whether an aggregate is jsonb_object_agg or json_object_agg, which take a key and a value.
func isObjectAgg(name string) bool { return name == "jsonb_object_agg" || name == "json_object_agg" }

// jsonObjectOf is json_object / jsonb_object: of one text array, its keys and values alternating ({a,1,b,2}) or
// as pairs ({{a,1},{b,2}}); of two, the keys and the values. Values are JSON strings, a NULL one the JSON null; a
// NULL key is 22004.
func jsonObjectOf(name string, args []any) (any, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
	}
	arrays := make([][]any, len(args))
	for i, a := range args {
		if a == nil {
			return nil, nil
		}
		c, err := coerce(a, OIDTextArray)
		if err != nil {
			return nil, err
		}
		arrays[i] = c.([]any)
	}
	var keys, vals []any
	switch {
	case len(arrays) == 2:
		if len(arrays[0]) != len(arrays[1]) || len(arrayDims(arrays[0])) > 1 || len(arrayDims(arrays[1])) > 1 {
			return nil, errorf(CodeArraySubscriptError, "mismatched array dimensions")
		}
		keys, vals = arrays[0], arrays[1]
	case len(arrayDims(arrays[0])) == 2:
		for _, pair := range arrays[0] {
			p := pair.([]any)
			if len(p) != 2 {
				return nil, errorf(CodeArraySubscriptError, "array must have two columns")
			}
			keys, vals = append(keys, p[0]), append(vals, p[1])
		}
	case len(arrayDims(arrays[0])) > 2:
		return nil, errorf(CodeArraySubscriptError, "wrong number of array subscripts")
	default:
		if len(arrays[0])%2 != 0 {
			return nil, errorf(CodeArraySubscriptError, "array must have even number of elements")
		}
		for i := 0; i < len(arrays[0]); i += 2 {
			keys, vals = append(keys, arrays[0][i]), append(vals, arrays[0][i+1])
		}
	}
	d := bson.D{}
	parts := make([]string, len(keys)) // json's text, as PostgreSQL's json_object writes it: {"a" : "1"}
	for i, k := range keys {
		if k == nil {
			return nil, errorf(CodeNullValueNotAllowed, "null value not allowed for object key")
		}
		var v any
		parts[i] = jsonQuote(formatText(k)) + " : null"
		if vals[i] != nil {
			v = formatText(vals[i])
			parts[i] = jsonQuote(formatText(k)) + " : " + jsonQuote(v.(string))
		}
		d = append(d, bson.E{Key: formatText(k), Value: v})
	}
	if name == "json_object" {
		return jsonText("{" + strings.Join(parts, ", ") + "}"), nil
	}
	v, err := docValue(d)
	if rv, ok := v.(bson.RawValue); ok {
		return jsonbCanon(rv), err
	}
	return v, err
}

// docValue makes a jsonb value of a document.
func docValue(d bson.D) (any, error) {
	t, data, err := bson.MarshalValue(d)
	if err != nil {
		return nil, err
	}
	return bson.RawValue{Type: t, Value: data}, nil
}

// mergeJSON is MERGE_JSON(a, b): b's top-level fields over a's.
func mergeJSON(a, b any) (any, error) {
	if a == nil {
		return b, nil
	}
	if b == nil {
		return a, nil
	}
	ad, aok := a.(bson.RawValue)
	bd, bok := b.(bson.RawValue)
	if !aok || !bok || ad.Type != bson.TypeEmbeddedDocument || bd.Type != bson.TypeEmbeddedDocument {
		return nil, errorf(CodeDatatypeMismatch, "MERGE_JSON needs two json objects")
	}
	var out bson.D
	if err := bson.Unmarshal(ad.Document(), &out); err != nil {
		return nil, err
	}
	elems, _ := bd.Document().Elements()
	for _, e := range elems {
		found := false
		for i := range out {
			if out[i].Key == e.Key() {
				out[i].Value = e.Value()
				found = true
			}
		}
		if !found {
			out = append(out, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return docValue(out)
}

// sqlValue answers CURRENT_TIMESTAMP and its kin.
func (x *exec) sqlValue(f *pg.SQLValueFunction) (any, error) {
	switch f.Op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N,
		pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		if f.Op == pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP || f.Op == pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N {
			return wallClock(x.now().In(x.zone())), nil // the transaction's start on the session zone's clocks
		}
		return x.now(), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
		pg.SQLValueFunctionOp_SVFOP_LOCALTIME, pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return ofClock(wallClock(x.now().In(x.zone()))), nil // the transaction's start, in the session's zone
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		y, m, d := x.now().In(x.zone()).Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return "public", nil
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return x.s.database, nil
	default:
		return x.s.user(), nil
	}
}

// aggregate evaluates an aggregate call over the rows of sc's group.
func (x *exec) aggregate(f *pg.FuncCall, name string, sc *scope) (any, error) {
	var vals []any
	seen := map[string]bool{}
	// The rows in the order the aggregate's own ORDER BY gives (string_agg(x, ',' ORDER BY x DESC)).
	order := make([]int, len(sc.group))
	for i := range order {
		order[i] = i
	}
	if isHypothetical(f) {
		return x.hypothetical(f, name, sc)
	}
	ordered := orderedSetAggregates[name]
	if f.AggWithinGroup && !ordered {
		if f.AggStar {
			return nil, &Error{Code: CodeWrongObjectType, Message: name + " is not an ordered-set aggregate, so it cannot have WITHIN GROUP",
				Position: int(f.Location) + 1}
		}
		var types []string
		for _, a := range append(slices.Clone(f.Args), f.AggOrder...) {
			if sb := a.GetSortBy(); sb != nil {
				a = sb.Node
			}
			if isStringLiteral(a) {
				types = append(types, "unknown")
				continue
			}
			types = append(types, TypeName(x.typeOf(a, sc)))
		}
		return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(types, ", ")),
			Hint: "No function matches the given name and argument types. You might need to add explicit type casts.", Position: int(f.Location) + 1}
	}
	if ordered {
		if err := checkOrderedSet(f, name); err != nil {
			return nil, err
		}
	} else if !f.AggStar && len(f.Args) == 0 {
		if name == "count" {
			return nil, errorf("42809", "count(*) must be used to call a parameterless aggregate function")
		}
		return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function %s() does not exist", name),
			Hint: "No function matches the given name and argument types. You might need to add explicit type casts."}
	}
	var keys [][]any
	aggOrder := f.AggOrder
	if f.AggDistinct && len(aggOrder) == 0 && len(f.Args) > 0 && !isObjectAgg(name) {
		// array_agg(DISTINCT x): PostgreSQL sorts the input to take out its duplicates, so the values come in
		// ascending order, NULL last.
		aggOrder = []*pg.Node{pg.MakeSortByNode(f.Args[0], pg.SortByDir_SORTBY_DEFAULT, pg.SortByNulls_SORTBY_NULLS_DEFAULT, -1)}
	}
	if len(aggOrder) > 0 {
		keys = make([][]any, len(sc.group))
		for i, row := range sc.group {
			rs := &scope{cols: sc.cols, row: row, outer: sc.outer, window: sc.window, rowIdx: i}
			keys[i] = make([]any, len(aggOrder))
			for j, o := range aggOrder {
				v, err := x.eval(o.GetSortBy().Node, rs)
				if err != nil {
					return nil, err
				}
				keys[i][j] = v
			}
		}
		if err := checkSortOperators(aggOrder); err != nil {
			return nil, err
		}
		order = sortPerm(keys, aggOrder)
	}
	for _, i := range order {
		rs, keep, err := x.aggRow(f, sc, i)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		if f.AggStar {
			vals = append(vals, true)
			continue
		}
		var v any
		if ordered {
			v = keys[i][0] // an ordered-set aggregate takes the values it is ordered by
		} else {
			if want := map[bool]int{true: 2, false: 1}[name == "string_agg" || isObjectAgg(name) || regressionAggs[name]]; len(f.Args) != want {
				return nil, errorf(CodeUndefinedFunction, "function %s with %d arguments does not exist", name, len(f.Args))
			}
			var err error
			if v, err = x.eval(f.Args[0], rs); err != nil {
				return nil, err
			}
		}
		if regressionAggs[name] {
			y, err := x.eval(f.Args[1], rs)
			if err != nil {
				return nil, err
			}
			if v != nil && y != nil {
				vals = append(vals, [2]any{v, y})
			}
			continue
		}
		if isObjectAgg(name) {
			if v == nil {
				return nil, errorf(CodeInvalidParameterValue, "field name must not be null")
			}
			val, err := x.eval(f.Args[1], rs)
			if err != nil {
				return nil, err
			}
			vals = append(vals, [2]any{v, val})
			continue
		}
		if v == nil && name != "array_agg" && name != "json_agg" && name != "jsonb_agg" {
			continue
		}
		if f.AggDistinct {
			k := groupKey([]any{v})
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		if name == "string_agg" {
			sep, err := x.eval(f.Args[1], rs)
			if err != nil {
				return nil, err
			}
			vals = append(vals, [2]any{v, sep})
			continue
		}
		vals = append(vals, v)
	}
	switch name {
	case "percentile_cont", "percentile_disc", "mode":
		return x.orderedSetResult(f, name, sc, vals)
	case "count":
		return int64(len(vals)), nil
	case "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_count", "regr_avgx",
		"regr_avgy", "regr_sxx", "regr_syy", "regr_sxy":
		pairs := make([][2]any, len(vals))
		for i, v := range vals {
			pairs[i] = v.([2]any)
		}
		return regression(name, pairs)
	case "bit_and", "bit_or", "bit_xor":
		var acc any
		for _, v := range vals {
			i, ok := numeric(v).(int64)
			if !ok {
				return nil, errorf(CodeUndefinedFunction, "function %s(%s) does not exist", name, TypeName(valueOID(v)))
			}
			if acc == nil {
				acc = i
				continue
			}
			acc = bitwise(map[string]string{"bit_and": "&", "bit_or": "|", "bit_xor": "#"}[name], acc.(int64), i)
		}
		return acc, nil
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if err := varianceArgError(name, x.typeOf(f.Args[0], sc)); err != nil {
			return nil, err
		}
		acc := newVarAcc(name)
		for _, v := range vals {
			if err := acc.add(v); err != nil {
				return nil, err
			}
		}
		return acc.result()
	case "sum", "avg":
		if len(vals) == 0 {
			return nil, nil
		}
		var sum any = int64(0)
		for _, v := range vals {
			var err error
			if sum, err = addToSum(sum, v); err != nil {
				return nil, err
			}
		}
		if name == "avg" {
			return average(sum, int64(len(vals)))
		}
		if i, ok := sum.(int64); ok && x.typeOf(f.Args[0], sc) == OIDInt8 {
			return decFromInt(i), nil // sum(bigint) is a numeric: sum(x) / count(*) divides as numerics
		}
		return sum, nil
	case "min", "max":
		var best any
		for _, v := range vals {
			c, _ := compare(v, best)
			// On a tie the later value, as PostgreSQL's larger and smaller functions give it ('30 days' after
			// '1 mon', 1.00 after 1.0).
			if best == nil || (name == "max" && c >= 0) || (name == "min" && c <= 0) {
				best = v
			}
		}
		return best, nil
	case "array_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		return vals, nil
	case "json_agg", "jsonb_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		if name == "json_agg" {
			return x.jsonAgg(f, vals, sc), nil
		}
		return coerce(vals, OIDJSONB)
	case "jsonb_object_agg", "json_object_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		if name == "json_object_agg" {
			return x.jsonObjectAgg(f, vals, sc), nil
		}
		d := make(bson.D, len(vals))
		for i, p := range vals {
			pair := p.([2]any)
			var v any
			switch x := pair[1].(type) {
			case nil:
			case string:
				v = x // a text value is a JSON string, as to_jsonb makes it
			default:
				var err error
				if v, err = coerce(x, OIDJSONB); err != nil {
					return nil, err
				}
			}
			d[i] = bson.E{Key: formatText(pair[0]), Value: v}
		}
		j, err := docValue(d)
		if rv, ok := j.(bson.RawValue); ok && name == "jsonb_object_agg" {
			return jsonbCanon(rv), err
		}
		return j, err
	case "string_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		var b strings.Builder
		for i, p := range vals {
			pair := p.([2]any)
			if i > 0 && pair[1] != nil {
				b.WriteString(formatText(pair[1]))
			}
			b.WriteString(formatText(pair[0]))
		}
		return b.String(), nil
	default: // bool_and, every, bool_or
		if len(vals) == 0 {
			return nil, nil
		}
		res := name != "bool_or"
		for _, v := range vals {
			b := truthy(v)
			if name == "bool_or" && b {
				res = true
			}
			if name != "bool_or" && !b {
				res = false
			}
		}
		return res, nil
	}
}

// evalSubLink runs a subquery: EXISTS, a scalar subquery, x IN (SELECT
// ...), x op ANY/ALL (SELECT ...), ARRAY(SELECT ...).
func (x *exec) evalSubLink(sl *pg.SubLink, sc *scope) (any, error) {
	sel := sl.Subselect.GetSelectStmt()
	if sel == nil {
		return nil, unsupported("this subquery")
	}
	limit := -1
	if sl.SubLinkType == pg.SubLinkType_EXISTS_SUBLINK {
		limit = 1
	}
	rel, err := x.subqueryRows(sl, sel, sc, limit)
	if err != nil {
		return nil, err
	}
	vis := rel.visible("")
	switch sl.SubLinkType {
	case pg.SubLinkType_EXISTS_SUBLINK:
		return len(rel.rows) > 0, nil
	case pg.SubLinkType_EXPR_SUBLINK:
		if len(vis) != 1 {
			return nil, errorf(CodeSyntaxError, "subquery must return only one column")
		}
		switch len(rel.rows) {
		case 0:
			return nil, nil
		case 1:
			return rel.rows[0][vis[0]], nil
		}
		return nil, errorf(CodeCardinalityViolation, "more than one row returned by a subquery used as an expression")
	case pg.SubLinkType_ARRAY_SUBLINK:
		out := make([]any, len(rel.rows))
		for i, r := range rel.rows {
			out[i] = r[vis[0]]
		}
		return out, nil
	case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
		op := opName(sl.OperName)
		if op == "" {
			op = "="
		}
		width := 1
		if r := sl.Testexpr.GetRowExpr(); r != nil {
			width = len(r.Args)
		}
		switch {
		case len(vis) > width:
			return nil, errorf(CodeSyntaxError, "subquery has too many columns")
		case len(vis) < width:
			return nil, errorf(CodeSyntaxError, "subquery has too few columns")
		}
		if r := sl.Testexpr.GetRowExpr(); r != nil {
			// (a, b) IN (SELECT x, y ...): the row compared with each of the subquery's, ANY's OR or ALL's AND.
			lv, err := x.evalArgs(r.Args, sc)
			if err != nil {
				return nil, err
			}
			all := sl.SubLinkType == pg.SubLinkType_ALL_SUBLINK
			var res any = all
			for _, row := range rel.rows {
				rv := make([]any, len(vis))
				for i, c := range vis {
					rv[i] = row[c]
				}
				v, err := rowCompareValues(op, lv, rv)
				if err != nil {
					return nil, err
				}
				if all {
					res = and3(res, v)
				} else {
					res = or3(res, v)
				}
			}
			return res, nil
		}
		l, err := x.eval(sl.Testexpr, sc)
		if err != nil {
			return nil, err
		}
		all := sl.SubLinkType == pg.SubLinkType_ALL_SUBLINK
		if !all && op == "=" || all && (op == "<>" || op == "!=") {
			// x IN (SELECT ...) and x NOT IN (SELECT ...) of a subquery run once: its values hashed.
			if set := x.hashedSub(sl, rel, vis[0]); set != nil {
				if v, ok := set.contains(l); ok {
					if all {
						return not3(v), nil
					}
					return v, nil
				}
			}
		}
		arr := make([]any, len(rel.rows))
		for i, r := range rel.rows {
			arr[i] = r[vis[0]]
		}
		return quantified(op, l, arr, sl.SubLinkType == pg.SubLinkType_ALL_SUBLINK)
	}
	return nil, unsupported("this kind of subquery")
}

// randomUUID is gen_random_uuid(): a version 4 UUID.
func randomUUID() uuidValue {
	var b uuidValue
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return b
}

// orderedSetAggregates are the ordered-set aggregates: f(direct args) WITHIN GROUP (ORDER BY x), which aggregate
// the values of x (aggregate collects them in the order the ORDER BY gives, without NULLs) with arguments
// evaluated once for the group (percentile's fraction).
var orderedSetAggregates = map[string]bool{"percentile_cont": true, "percentile_disc": true, "mode": true}

// checkOrderedSet checks an ordered-set aggregate's call: WITHIN GROUP with one ORDER BY expression, and a fraction
// for a percentile.
func checkOrderedSet(f *pg.FuncCall, name string) error {
	direct := 1
	if name == "mode" {
		direct = 0
	}
	if !f.AggWithinGroup || len(f.AggOrder) != 1 || len(f.Args) != direct {
		return errorf(CodeUndefinedFunction, "function %s does not take these arguments: it is %s(%s) WITHIN GROUP (ORDER BY one expression)",
			name, name, map[bool]string{true: "fraction", false: ""}[direct == 1])
	}
	return nil
}

// sleep waits d (nothing when it is not positive), or until the statement is cancelled or times out; its result
// is the pg_sleep functions' void.
func (x *exec) sleep(d time.Duration) (any, error) {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-t.C:
		return "", nil
	case <-x.ctx.Done():
		return nil, x.ctx.Err()
	}
}

// aggRow is row i of sc's group as the scope of an aggregate's arguments, and whether the aggregate's FILTER
// keeps the row.
func (x *exec) aggRow(f *pg.FuncCall, sc *scope, i int) (*scope, bool, error) {
	rs := &scope{cols: sc.cols, row: sc.group[i], outer: sc.outer, window: sc.window, rowIdx: i}
	if f.AggFilter == nil {
		return rs, true, nil
	}
	ok, err := x.eval(f.AggFilter, rs)
	return rs, err == nil && truthy(ok), err
}

// hypothetical is a hypothetical-set aggregate over sc's group: the rank (rank, dense_rank), relative rank
// (percent_rank) or cumulative distribution (cume_dist) that a row whose ORDER BY keys are the call's arguments
// would have among the group's rows (those FILTER keeps), in that order, NULLs included, as PostgreSQL's.
func (x *exec) hypothetical(f *pg.FuncCall, name string, sc *scope) (any, error) {
	if len(f.Args) != len(f.AggOrder) {
		var types []string
		for _, a := range f.Args {
			types = append(types, TypeName(x.typeOf(a, sc)))
		}
		for _, o := range f.AggOrder {
			types = append(types, TypeName(x.typeOf(o.GetSortBy().Node, sc)))
		}
		return nil, &Error{Code: CodeUndefinedFunction, Position: int(f.Location) + 1,
			Message: fmt.Sprintf("function %s(%s) does not exist", name, strings.Join(types, ", ")),
			Hint: fmt.Sprintf("To use the hypothetical-set aggregate %s, the number of hypothetical direct arguments (here %d) must match the number of ordering columns (here %d).",
				name, len(f.Args), len(f.AggOrder))}
	}
	if err := checkSortOperators(f.AggOrder); err != nil {
		return nil, err
	}
	hyp := make([]any, len(f.Args))
	for i, a := range f.Args {
		v, err := x.eval(a, sc)
		if err != nil {
			return nil, err
		}
		if isStringLiteral(a) && v != nil {
			// An untyped literal is read as its key's type: rank('85') WITHIN GROUP (ORDER BY salary).
			if v, err = coerce(v, x.typeOf(f.AggOrder[i].GetSortBy().Node, sc)); err != nil {
				return nil, atLiteral(err, a)
			}
		}
		hyp[i] = v
	}
	var before, peers int         // rows sorting before the hypothetical one, and its peers
	distinct := map[string]bool{} // the distinct keys sorting before it, for dense_rank
	n := 0
	for i := range sc.group {
		rs, keep, err := x.aggRow(f, sc, i)
		if err != nil {
			return nil, err
		}
		if !keep {
			continue
		}
		key := make([]any, len(f.AggOrder))
		for j, o := range f.AggOrder {
			v, err := x.eval(o.GetSortBy().Node, rs)
			if err != nil {
				return nil, err
			}
			key[j] = v
		}
		n++
		switch {
		case lessKeys(key, hyp, f.AggOrder):
			before++
			distinct[groupKey(key)] = true
		case !lessKeys(hyp, key, f.AggOrder):
			peers++
		}
	}
	switch name {
	case "rank":
		return int64(before + 1), nil
	case "dense_rank":
		return int64(len(distinct) + 1), nil
	case "percent_rank":
		if n == 0 {
			return 0.0, nil
		}
		return float64(before) / float64(n), nil
	default: // cume_dist
		return float64(before+peers+1) / float64(n+1), nil
	}
}

// orderedSetResult is percentile_cont, percentile_disc or mode of vals, the group's values in order.
func (x *exec) orderedSetResult(f *pg.FuncCall, name string, sc *scope, vals []any) (any, error) {
	if name == "mode" {
		// The most frequent value; of equally frequent ones the first in the order.
		counts := map[string]int{}
		var best any
		bestN := 0
		for _, v := range vals {
			k := groupKey([]any{v})
			counts[k]++
			if counts[k] > bestN {
				best, bestN = v, counts[k]
			}
		}
		return best, nil
	}
	fv, err := x.eval(f.Args[0], sc)
	if err != nil || fv == nil {
		return nil, err
	}
	if fracs, ok := fv.([]any); ok {
		// An array of fractions: the array of their percentiles, NULL for a NULL fraction; NULL for no values.
		if len(vals) == 0 {
			return nil, nil
		}
		out := make([]any, len(fracs))
		for i, fr := range fracs {
			if fr == nil {
				continue
			}
			if out[i], err = percentile(name, fr, vals); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return percentile(name, fv, vals)
}

// percentile is percentile_cont or percentile_disc at the fraction fv of vals, the group's values in order.
func percentile(name string, fv any, vals []any) (any, error) {
	fc, err := coerce(numeric(fv), OIDFloat8)
	if err != nil {
		return nil, err
	}
	frac := fc.(float64)
	if math.IsNaN(frac) || frac < 0 || frac > 1 {
		return nil, errorf(CodeNumericOutOfRange, "percentile value %s is not between 0 and 1", formatText(fv))
	}
	if len(vals) == 0 {
		return nil, nil
	}
	if name == "percentile_disc" {
		i := int(math.Ceil(frac*float64(len(vals)))) - 1
		return vals[max(i, 0)], nil
	}
	pos := frac * float64(len(vals)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	a, aok := toFloat(vals[lo])
	b, bok := toFloat(vals[hi])
	if !aok || !bok {
		return nil, errorf(CodeUndefinedFunction, "function percentile_cont(double precision, %s) does not exist", TypeName(valueOID(vals[lo])))
	}
	return a + (b-a)*(pos-float64(lo)), nil
}

// seqArgError points a sequence function's missing sequence (42P01) at its name's literal, as PostgreSQL reads
// the literal as a regclass.
func seqArgError(err error, f *pg.FuncCall) error {
	if e, ok := err.(*Error); ok && e.Code == CodeUndefinedTable && f != nil && len(f.Args) > 0 {
		return atLiteral(err, f.Args[0])
	}
	return err
}
