package sql

import (
	"slices"
	"strconv"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// typeOf returns the type an expression's values have, for the row
// description a prepared statement reports before it runs, and records the
// types of the parameters it meets on the way: $1 beside a column takes the
// column's type, as PostgreSQL infers it. 0 means unknown (the values'
// own types decide when the statement runs).
func (x *exec) typeOf(n *pg.Node, sc *scope) uint32 {
	if n == nil {
		return 0
	}
	switch {
	case n.GetAConst() != nil:
		c := n.GetAConst()
		switch c.Val.(type) {
		case *pg.A_Const_Ival:
			return OIDInt4
		case *pg.A_Const_Fval:
			if _, err := strconv.ParseInt(c.GetFval().Fval, 10, 64); err == nil {
				return OIDInt8 // an integer beyond int4's range is a bigint, as in PostgreSQL
			}
			return OIDNumeric
		case *pg.A_Const_Boolval:
			return OIDBool
		case *pg.A_Const_Sval:
			return OIDText
		}
		return 0
	case n.GetParamRef() != nil:
		i := int(n.GetParamRef().Number)
		if i >= 1 && i <= len(x.paramOIDs) {
			return x.paramOIDs[i-1]
		}
		if x.paramOIDs == nil && i >= 1 && i <= len(x.paramTypes) && len(x.paramTypes) == len(x.params) {
			return x.paramTypes[i-1]
		}
		return 0
	case n.GetColumnRef() != nil:
		_, oid, _, _ := sc.lookup(columnFields(n.GetColumnRef()))
		return oid
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		oid, err := x.resolveType(tc.TypeName)
		if err != nil && x.rowType(tc.TypeName) != nil {
			oid = OIDRecord // '(1,a)'::users
		}
		x.typeOf(tc.Arg, sc) // the parameters inside take their own types first: pg_blocking_pids($1)::text
		x.hint(tc.Arg, oid, sc)
		return oid
	case n.GetAExpr() != nil:
		a := n.GetAExpr()
		op := opName(a.Name)
		if lr, rr := a.Lexpr.GetRowExpr(), a.Rexpr.GetRowExpr(); lr != nil && rr != nil && len(lr.Args) == len(rr.Args) {
			for i := range lr.Args { // (created, id) < ($1, $2): each parameter takes its field's type
				lt, rt := x.typeOf(lr.Args[i], sc), x.typeOf(rr.Args[i], sc)
				x.hint(lr.Args[i], rt, sc)
				x.hint(rr.Args[i], lt, sc)
			}
			return OIDBool
		}
		lt := x.typeOf(a.Lexpr, sc)
		var rt uint32
		if a.Rexpr.GetList() != nil {
			for _, it := range a.Rexpr.GetList().Items {
				if t := x.typeOf(it, sc); t != 0 && rt == 0 {
					rt = t
				}
				x.hint(it, lt, sc)
			}
		} else {
			rt = x.typeOf(a.Rexpr, sc)
		}
		switch a.Kind {
		case pg.A_Expr_Kind_AEXPR_OP_ANY, pg.A_Expr_Kind_AEXPR_OP_ALL:
			if e := types[rt].elem; e != 0 {
				x.hint(a.Lexpr, e, sc)
			}
			if lt != 0 {
				x.hint(a.Rexpr, types[lt].array, sc)
			}
			return OIDBool
		case pg.A_Expr_Kind_AEXPR_OP:
		default:
			x.hint(a.Lexpr, rt, sc)
			if a.Rexpr.GetList() == nil {
				x.hint(a.Rexpr, lt, sc)
			}
			if a.Kind == pg.A_Expr_Kind_AEXPR_NULLIF {
				if lt == 0 || lt == OIDUnknown {
					return rt // nullif($1, 0): the parameter took the other side's type
				}
				return lt
			}
			return OIDBool
		}
		if a.Lexpr == nil {
			switch op {
			case "|/", "||/": // square and cube root
				x.hint(a.Rexpr, OIDFloat8, sc)
				return OIDFloat8
			case "~", "@": // bitwise not, absolute value
				return rt
			}
		}
		if lt == OIDInet || lt == OIDCidr || rt == OIDInet || rt == OIDCidr {
			switch op {
			case "<<", "<<=", ">>", ">>=", "&&":
				x.hint(a.Lexpr, rt, sc)
				x.hint(a.Rexpr, lt, sc)
				return OIDBool
			case "+", "-":
				if op == "-" && (lt == OIDInet || lt == OIDCidr) && (rt == OIDInet || rt == OIDCidr) {
					return OIDInt8
				}
				if lt == OIDInet || lt == OIDCidr {
					x.hint(a.Rexpr, OIDInt8, sc)
					return lt
				}
				x.hint(a.Lexpr, OIDInt8, sc)
				return rt
			case "&", "|":
				return OIDInet
			}
		}
		switch op {
		case "->>", "~~", "!~~", "~~*", "!~~*", "~", "!~":
			if op == "->>" {
				return OIDText
			}
			x.hint(a.Rexpr, OIDText, sc)
			return OIDBool
		case "->":
			return OIDJSONB
		case "#>", "#-":
			x.hint(a.Rexpr, OIDTextArray, sc) // j #> $1: a path, text[]
			return OIDJSONB
		case "#>>":
			x.hint(a.Rexpr, OIDTextArray, sc)
			return OIDText
		case "?", "?|", "?&":
			return OIDBool
		case "@?", "@@":
			x.hint(a.Lexpr, OIDJSONB, sc)
			x.hint(a.Rexpr, OIDJSONPath, sc)
			return OIDBool
		case "@>", "<@", "&&":
			x.hint(a.Lexpr, rt, sc)
			x.hint(a.Rexpr, lt, sc)
			return OIDBool
		case "-":
			if lt == OIDJSONB {
				if rt == 0 {
					x.hint(a.Rexpr, OIDText, sc)
				}
				return OIDJSONB
			}
		}
		if t := dateArith(op, lt, rt); t != 0 {
			return t
		}
		if op == "-" && rt == 0 && a.Rexpr.GetParamRef() != nil && (lt == OIDTimestamptz || lt == OIDTimestamp || lt == OIDDate) {
			// ts - $1, d - $1: PostgreSQL takes an unknown operand as the other's type (timestamp - timestamp and
			// date - date exist).
			x.hint(a.Rexpr, lt, sc)
			return dateArith(op, lt, lt)
		}
		if lt == OIDInterval && (op == "*" || op == "/") && rt == 0 {
			x.hint(a.Rexpr, OIDFloat8, sc) // interval * $1: a double
			return OIDInterval
		}
		if lt == OIDTimestamptz && (op == "+" || op == "-") {
			if rt == OIDTimestamptz {
				return OIDInterval
			}
			x.hint(a.Rexpr, OIDInterval, sc)
			return OIDTimestamptz
		}
		x.hint(a.Lexpr, rt, sc)
		x.hint(a.Rexpr, lt, sc)
		if lt == 0 {
			lt = rt
		}
		if rt == 0 {
			rt = lt
		}
		switch op {
		case "=", "<>", "!=", "<", ">", "<=", ">=":
			return OIDBool
		case "^": // dpow, or numeric_power beside a numeric
			if (lt == OIDNumeric || rt == OIDNumeric) && widen(lt, rt) == OIDNumeric {
				return OIDNumeric
			}
			return OIDFloat8
		case "||":
			if lt == OIDJSONB || rt == OIDJSONB {
				return OIDJSONB
			}
			if isArrayType(lt) {
				return lt
			}
			if isArrayType(rt) {
				return rt
			}
			if (lt == OIDBytea || lt == OIDUnknown) && (rt == OIDBytea || rt == OIDUnknown) && (lt == OIDBytea || rt == OIDBytea) {
				return OIDBytea
			}
			return OIDText
		}
		return widen(lt, rt)
	case n.GetBoolExpr() != nil:
		for _, a := range n.GetBoolExpr().Args {
			x.typeOf(a, sc)
			x.hint(a, OIDBool, sc)
		}
		return OIDBool
	case n.GetNullTest() != nil:
		x.typeOf(n.GetNullTest().Arg, sc)
		return OIDBool
	case n.GetBooleanTest() != nil:
		x.condition(n.GetBooleanTest().Arg, sc) // $1 IS TRUE
		return OIDBool
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		var sub uint32
		if sel := sl.Subselect.GetSelectStmt(); sel != nil {
			if x.recording() && !x.describe {
				x.ex.mute++ // run to be typed, not the statement's run
				defer func() { x.ex.mute-- }()
			}
			// Typed as a description types it, without running it: a volatile function in it is not called.
			saved := x.describe
			x.describe = true
			rel, err := x.planSub(sl, func() (*relation, error) { return x.selectRows(sel, sc, 0) })
			x.describe = saved
			if err == nil {
				if vis := rel.visible(""); len(vis) > 0 {
					sub = rel.cols[vis[0]].oid
				}
			}
		}
		switch sl.SubLinkType {
		case pg.SubLinkType_EXPR_SUBLINK:
			return sub
		case pg.SubLinkType_ARRAY_SUBLINK:
			return types[sub].array
		case pg.SubLinkType_ANY_SUBLINK, pg.SubLinkType_ALL_SUBLINK:
			x.hint(sl.Testexpr, sub, sc)
		}
		return OIDBool
	case n.GetCaseExpr() != nil:
		c := n.GetCaseExpr()
		at := x.typeOf(c.Arg, sc)
		if c.Arg == nil {
			at = OIDBool // CASE WHEN $1 THEN ...: each condition is a boolean
		}
		for _, w := range c.Args {
			x.typeOf(w.GetCaseWhen().Expr, sc)
			x.hint(w.GetCaseWhen().Expr, at, sc)
		}
		results := caseResults(c)
		t := x.commonType(results, sc)
		if t != 0 && t != OIDUnknown {
			for _, r := range results {
				x.hint(r, t, sc) // CASE WHEN ... THEN $1 ELSE 0 END: the parameter takes the others' type
			}
		}
		return t
	case n.GetGroupingFunc() != nil:
		return OIDInt4
	case n.GetCoalesceExpr() != nil:
		return x.firstType(n.GetCoalesceExpr().Args, sc)
	case n.GetMinMaxExpr() != nil:
		return x.firstType(n.GetMinMaxExpr().Args, sc)
	case n.GetSqlvalueFunction() != nil:
		switch n.GetSqlvalueFunction().Op {
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
			return OIDDate
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N,
			pg.SQLValueFunctionOp_SVFOP_LOCALTIME, pg.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
			return OIDTime
		case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
			return OIDTimestamp // the session zone's wall clock, without a zone
		case pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE, pg.SQLValueFunctionOp_SVFOP_CURRENT_USER,
			pg.SQLValueFunctionOp_SVFOP_USER, pg.SQLValueFunctionOp_SVFOP_SESSION_USER,
			pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG, pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
			return OIDText
		}
		return OIDTimestamptz
	case n.GetAArrayExpr() != nil:
		t := x.firstType(n.GetAArrayExpr().Elements, sc)
		for _, e := range n.GetAArrayExpr().Elements {
			x.hint(e, t, sc)
		}
		if t == 0 {
			return OIDTextArray
		}
		if isArrayType(t) {
			return t // ARRAY[[1,2],[3,4]]: a multi-dimensional array is of its elements' array type
		}
		return types[t].array
	case n.GetAIndirection() != nil:
		ind := n.GetAIndirection()
		t := x.typeOf(ind.Arg, sc)
		slice := false
		for _, i := range ind.Indirection {
			if ai := i.GetAIndices(); ai != nil {
				x.hint(ai.Uidx, OIDInt8, sc)
				x.hint(ai.Lidx, OIDInt8, sc)
				slice = slice || ai.IsSlice
			}
		}
		if slice && IsVector(t) {
			return VectorArray(t) // as PostgreSQL's int2vector slices (Sequelize's indkey[:indnkeyatts-1])
		}
		if slice && types[t].elem != 0 {
			return t // a slice of an array is an array
		}
		if f := ind.Arg.GetFuncCall(); f != nil && funcName(f) == "_pg_expandarray" && len(ind.Indirection) == 1 {
			switch ind.Indirection[0].GetString_().GetSval() {
			case "x":
				if len(f.Args) == 1 {
					if e := types[x.typeOf(f.Args[0], sc)].elem; e != 0 {
						return e
					}
				}
				return OIDInt2 // of an int2vector, as pgjdbc expands an index's keys
			case "n":
				return OIDInt4
			}
		}
		if e := types[t].elem; e != 0 {
			return e
		}
		return 0
	case n.GetFuncCall() != nil:
		return x.funcType(n.GetFuncCall(), sc)
	case n.GetNamedArgExpr() != nil:
		return x.typeOf(n.GetNamedArgExpr().Arg, sc)
	case n.GetCollateClause() != nil:
		return x.typeOf(n.GetCollateClause().Arg, sc)
	case n.GetRowExpr() != nil:
		return OIDRecord
	}
	return 0
}

// firstType is the first known type of a list of expressions, which also
// becomes the type of its parameters.
func (x *exec) firstType(args []*pg.Node, sc *scope) uint32 {
	t := x.commonType(args, sc)
	for _, a := range args {
		x.hint(a, t, sc)
	}
	return t
}

// commonType is the type of expressions that give one result (COALESCE's arguments, a CASE's results): as
// PostgreSQL's, the others' when they are not all untyped string literals or NULLs, which are read as it
// (resolveLiterals).
func (x *exec) commonType(args []*pg.Node, sc *scope) uint32 {
	var t uint32
	for _, a := range args {
		if !isStringLiteral(a) && !isNullLiteral(a) {
			t = unifyType(t, x.typeOf(a, sc))
		}
	}
	if t != 0 {
		return t
	}
	for _, a := range args {
		t = unifyType(t, x.typeOf(a, sc))
	}
	return t
}

// funcType is the result type of a function call.
func (x *exec) funcType(f *pg.FuncCall, sc *scope) uint32 {
	name := funcName(f)
	if f.AggFilter != nil {
		x.typeOf(f.AggFilter, sc) // FILTER (WHERE amount > $1) types its parameters
	}
	at := make([]uint32, len(f.Args))
	for i, a := range f.Args {
		at[i] = x.typeOf(a, sc)
	}
	arg0 := uint32(0)
	if len(at) > 0 {
		arg0 = at[0]
	}
	if t, ok := inetFuncTypes[name]; ok && len(f.Args) > 0 && len(f.Funcname) == 1 {
		if arg0 == 0 || arg0 == OIDUnknown {
			x.hint(f.Args[0], OIDInet, sc)
		}
		if t == 0 {
			return arg0
		}
		return t
	}
	switch name {
	case "enum_range":
		return OIDTextArray // shown as {sad,ok,happy}, as PostgreSQL shows the enum's array
	case "pg_get_function_result", "pg_get_function_arguments", "pg_get_function_identity_arguments", "pg_get_function_sqlbody",
		"pg_get_triggerdef":
		return OIDText
	case "enum_first", "enum_last":
		return arg0
	case "count", "row_number", "rank", "dense_rank":
		return OIDInt8
	case "generate_series", "unnest", "regexp_matches", "regexp_split_to_table", "string_to_table", "generate_subscripts", "jsonb_array_elements", "json_array_elements",
		"jsonb_array_elements_text", "json_array_elements_text", "jsonb_each", "json_each", "jsonb_each_text", "json_each_text":
		return x.setType(f, sc)
	case "ntile":
		if len(f.Args) > 0 {
			x.hint(f.Args[0], OIDInt4, sc)
		}
		return OIDInt4
	case "percent_rank", "cume_dist":
		return OIDFloat8
	case "lag", "lead", "first_value", "last_value", "nth_value":
		if len(f.Args) == 0 {
			return 0
		}
		for i, a := range f.Args[1:] {
			if i == 0 {
				x.hint(a, OIDInt4, sc)
			} else {
				x.hint(a, arg0, sc)
			}
		}
		if (name == "lag" || name == "lead") && len(f.Args) == 3 {
			// lag(anycompatible, integer, anycompatible): lag(int_col, 1, 0.5) is a numeric.
			return unifyType(arg0, x.typeOf(f.Args[2], sc))
		}
		return arg0
	case "sum":
		if arg0 == OIDInt2 || arg0 == OIDInt4 {
			return OIDInt8
		}
		if arg0 == OIDInterval {
			return OIDInterval
		}
		if arg0 == OIDFloat8 || arg0 == OIDFloat4 {
			return arg0 // sum(real) is real
		}
		return OIDNumeric
	case "stddev", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop":
		if arg0 == OIDFloat4 || arg0 == OIDFloat8 {
			return OIDFloat8
		}
		return OIDNumeric
	case "avg":
		if arg0 == OIDFloat8 || arg0 == OIDInterval {
			return arg0
		}
		if arg0 == OIDFloat4 {
			return OIDFloat8
		}
		return OIDNumeric
	case "bit_and", "bit_or", "bit_xor":
		return arg0
	case "regr_count":
		return OIDInt8
	case "corr", "covar_pop", "covar_samp", "regr_slope", "regr_intercept", "regr_r2", "regr_avgx", "regr_avgy",
		"regr_sxx", "regr_syy", "regr_sxy":
		return OIDFloat8
	case "sqrt":
		if arg0 == OIDNumeric {
			return OIDNumeric
		}
		if len(f.Args) == 1 {
			x.hint(f.Args[0], OIDFloat8, sc) // sqrt($1): double precision, PostgreSQL's preferred numeric type
		}
		return OIDFloat8
	case "min", "max", "greatest", "least", "coalesce", "nullif", "abs", "round", "ceil", "ceiling", "floor", "trunc":
		if (name == "round" || name == "trunc") && len(at) > 1 {
			x.hint(f.Args[0], OIDNumeric, sc)
			x.hint(f.Args[1], OIDInt4, sc)
			return OIDNumeric // round(numeric, int), whatever number it is given
		}
		if arg0 == 0 && len(f.Args) == 1 && f.Args[0].GetParamRef() != nil && name != "min" && name != "max" && name != "coalesce" {
			// abs($1): of the numeric overloads PostgreSQL takes its preferred type, double precision.
			x.hint(f.Args[0], OIDFloat8, sc)
			return OIDFloat8
		}
		return arg0
	case "array_append_unique", "array_append", "array_remove", "array_contains":
		if e := types[arg0].elem; e != 0 && len(f.Args) > 1 {
			x.hint(f.Args[1], e, sc)
		} else if arg0 == 0 && len(at) > 1 && at[1] != 0 {
			x.hint(f.Args[0], types[at[1]].array, sc)
			arg0 = types[at[1]].array
		}
		if name == "array_contains" {
			return OIDBool
		}
		return arg0
	case "array_agg":
		return types[arg0].array
	case "json_populate_record", "jsonb_populate_record":
		return OIDRecord
	case "array_fill":
		for _, a := range f.Args[min(1, len(f.Args)):] {
			x.hint(a, OIDInt4Array, sc)
		}
		if arg0 == 0 || isArrayType(arg0) {
			return 0
		}
		return types[arg0].array
	case "trim_array":
		for _, a := range f.Args[min(1, len(f.Args)):] {
			x.hint(a, OIDInt4, sc)
		}
		return arg0
	case "array_replace", "array_positions":
		if e := types[arg0].elem; e != 0 {
			for _, a := range f.Args[1:] {
				x.hint(a, e, sc)
			}
		}
		if name == "array_positions" {
			return OIDInt4Array
		}
		return arg0
	case "percentile_cont":
		if len(f.Args) == 1 && types[x.typeOf(f.Args[0], sc)].elem != 0 {
			return OIDFloat8Array // an array of fractions gives an array of percentiles
		}
		return OIDFloat8
	case "percentile_disc", "mode":
		if len(f.AggOrder) == 1 {
			t := x.typeOf(f.AggOrder[0].GetSortBy().Node, sc)
			if name == "percentile_disc" && len(f.Args) == 1 && types[x.typeOf(f.Args[0], sc)].elem != 0 {
				return types[t].array
			}
			return t
		}
		return 0
	case "array_length", "cardinality", "length", "char_length":
		return OIDInt4
	case "timezone":
		if len(f.Args) == 2 && x.typeOf(f.Args[1], sc) == OIDTimestamp {
			return OIDTimestamptz
		}
		return OIDTimestamp
	case "date_trunc":
		if len(f.Args) == 2 && x.typeOf(f.Args[1], sc) == OIDTimestamp {
			return OIDTimestamp // date_trunc of a timestamp without time zone is one
		}
		return OIDTimestamptz
	case "now", "transaction_timestamp", "statement_timestamp", "clock_timestamp":
		return OIDTimestamptz
	case "timeofday":
		return OIDText
	case "to_date", "to_timestamp":
		if name == "to_timestamp" && len(f.Args) != 2 {
			break
		}
		for _, a := range f.Args {
			x.hint(a, OIDText, sc)
		}
		if name == "to_date" {
			return OIDDate
		}
		return OIDTimestamptz
	case "to_number":
		for _, a := range f.Args {
			x.hint(a, OIDText, sc)
		}
		return OIDNumeric
	case "date_bin":
		if len(f.Args) != 3 {
			return OIDTimestamptz
		}
		x.hint(f.Args[0], OIDInterval, sc)
		t := unifyType(x.typeOf(f.Args[1], sc), x.typeOf(f.Args[2], sc))
		if t != OIDTimestamp {
			t = OIDTimestamptz
		}
		x.hint(f.Args[1], t, sc)
		x.hint(f.Args[2], t, sc)
		return t
	case "txid_current", "txid_current_if_assigned":
		return OIDInt8
	case "pg_current_xact_id", "pg_current_xact_id_if_assigned":
		return OIDXid8
	case "gen_random_uuid", "uuidv4", "uuid_generate_v4":
		return OIDUUID
	case "justify_hours", "justify_days", "justify_interval":
		for _, a := range f.Args {
			x.hint(a, OIDInterval, sc)
		}
		return OIDInterval
	case "age":
		for _, a := range f.Args {
			x.hint(a, OIDTimestamptz, sc)
		}
		return OIDInterval
	case "make_interval":
		for _, a := range f.Args {
			x.hint(a, OIDFloat8, sc)
		}
		return OIDInterval
	case "merge_json", "jsonb_build_object", "to_jsonb", "jsonb_agg", "jsonb_concat", "jsonb_object_agg", "jsonb_object":
		return OIDJSONB
	case "json_build_object", "to_json", "json_agg", "json_object_agg", "row_to_json", "array_to_json", "json_object":
		return OIDJSON
	case "bool_and", "bool_or", "every", "pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible", "has_table_privilege", "has_schema_privilege":
		return OIDBool
	case "pg_backend_pid", "inet_client_port", "inet_server_port":
		return OIDInt4
	case "pg_table_size", "pg_total_relation_size", "pg_relation_size", "pg_indexes_size", "pg_database_size",
		"pg_tablespace_size":
		return OIDInt8
	case "pg_size_pretty", "pg_tablespace_location":
		return OIDText
	case "pg_get_serial_sequence":
		for _, a := range f.Args {
			x.hint(a, OIDText, sc)
		}
		return OIDText
	case "inet_client_addr", "inet_server_addr":
		return OIDInet
	case "pg_postmaster_start_time", "pg_conf_load_time":
		return OIDTimestamptz
	case "pg_blocking_pids":
		for _, a := range f.Args {
			x.hint(a, OIDInt4, sc)
		}
		return OIDInt4Array
	case "pg_cancel_backend", "pg_terminate_backend":
		for i, a := range f.Args {
			x.hint(a, []uint32{OIDInt4, OIDInt8}[min(i, 1)], sc)
		}
		return OIDBool
	case "pg_advisory_lock", "pg_advisory_xact_lock", "pg_advisory_unlock_all", "pg_advisory_lock_shared",
		"pg_advisory_xact_lock_shared":
		for _, a := range f.Args {
			x.hint(a, []uint32{OIDInt8, OIDInt4}[min(len(f.Args)-1, 1)], sc)
		}
		return OIDText
	case "pg_try_advisory_lock", "pg_try_advisory_xact_lock", "pg_advisory_unlock", "pg_try_advisory_lock_shared",
		"pg_try_advisory_xact_lock_shared", "pg_advisory_unlock_shared":
		for _, a := range f.Args {
			x.hint(a, []uint32{OIDInt8, OIDInt4}[min(len(f.Args)-1, 1)], sc)
		}
		return OIDBool
	case "lastval":
		return OIDInt8
	case "nextval", "currval", "setval":
		for i, a := range f.Args {
			x.hint(a, []uint32{OIDText, OIDInt8, OIDBool}[min(i, 2)], sc)
		}
		return OIDInt8
	case "pg_sleep", "setseed", "pg_sleep_for", "pg_sleep_until":
		if len(f.Args) > 0 {
			hint := OIDFloat8
			switch name {
			case "pg_sleep_for":
				hint = OIDInterval
			case "pg_sleep_until":
				hint = OIDTimestamptz
			}
			x.hint(f.Args[0], hint, sc)
		}
		return OIDText
	case "substr", "substring":
		// substr(string, from [, count]): integer positions (substring(x FROM $1 FOR $2) too), unless the
		// second argument is a pattern (substring(x FROM 'regex')), which a typed text says.
		if len(f.Args) > 1 && (at[1] == 0 || isNumericType(at[1])) {
			for _, a := range f.Args[1:] {
				x.hint(a, OIDInt4, sc)
			}
		}
		if len(f.Args) > 0 {
			x.hint(f.Args[0], OIDText, sc)
		}
		if arg0 == OIDBytea {
			return OIDBytea
		}
		return OIDText
	}
	if bt, ok := builtinTypes[name]; ok {
		for i, a := range f.Args {
			if len(bt.args) > 0 {
				x.hint(a, bt.args[min(i, len(bt.args)-1)], sc)
			}
		}
		switch {
		case name == "array_cat" && len(f.Args) == 2 && isStringLiteral(f.Args[0]) && isStringLiteral(f.Args[1]):
			return OIDTextArray // two untyped literals are text arrays
		case name == "array_cat":
			return x.firstType(f.Args, sc)
		case name == "mod" || name == "gcd" || name == "lcm":
			return x.firstType(f.Args, sc)
		case bt.result == OIDFloat8 && arg0 == OIDNumeric && name != "date_part" && mathTypes[name].result != OIDFloat8 &&
			name != "degrees" && name != "radians" && name != "cbrt":
			return OIDNumeric
		case (name == "power" || name == "pow" || name == "log") && (slices.Contains(at, OIDNumeric) || name == "log" && len(at) == 2) &&
			!slices.Contains(at, OIDFloat8) && !slices.Contains(at, OIDFloat4):
			return OIDNumeric // power(2, 0.5) is power(numeric, numeric), as numericMath computes it
		}
		return bt.result
	}
	if fn := x.userFunction(f); fn != nil {
		for i, a := range f.Args {
			x.hint(a, fn.callArgType(i, f), sc) // a parameter takes its parameter's type (functions.go)
		}
		return fn.Returns
	}
	for i, a := range f.Args {
		if at[i] == 0 {
			x.hint(a, OIDText, sc)
		}
	}
	return OIDText
}

// widen is the result type of arithmetic on two types.
// unifyType is the type of a result that is of type t or u (CASE branches, COALESCE arguments, VALUES rows, a
// UNION's sides), as PostgreSQL resolves it: the wider of two number types (an integer and a numeric are a
// numeric), else the first known one.
func unifyType(t, u uint32) uint32 {
	switch {
	case t == 0 || t == OIDUnknown:
		return u
	case isNumericType(t) && isNumericType(u):
		return widen(t, u)
	}
	return t
}

func widen(a, b uint32) uint32 {
	switch {
	case a == OIDInterval || b == OIDInterval:
		return OIDInterval
	case a == OIDFloat4 && b == OIDFloat4:
		return OIDFloat4 // real op real is real; with any other number, double precision
	case a == OIDFloat8 || b == OIDFloat8 || a == OIDFloat4 || b == OIDFloat4:
		return OIDFloat8
	case a == OIDNumeric || b == OIDNumeric:
		return OIDNumeric
	case a == OIDInt8 || b == OIDInt8:
		return OIDInt8
	case a == OIDInt4 || b == OIDInt4:
		return OIDInt4
	case a == OIDInt2 && b == OIDInt2:
		return OIDInt2
	}
	if a != 0 {
		return a
	}
	return b
}

// hint gives an expression's parameters type t when their type is not yet
// known: a bare $n, or $n inside arithmetic.
// condition types a WHERE, HAVING or ON clause or another boolean operand: its parameters take their types as
// typeOf gives them, and a parameter that is the whole condition is a boolean (WHERE $1).
func (x *exec) condition(n *pg.Node, sc *scope) {
	x.typeOf(n, sc)
	x.hint(n, OIDBool, sc)
}

func (x *exec) hint(n *pg.Node, t uint32, sc *scope) {
	if n == nil || t == 0 || t == OIDUnknown || x.paramOIDs == nil {
		return
	}
	if na := n.GetNamedArgExpr(); na != nil {
		n = na.Arg
	}
	if p := n.GetParamRef(); p != nil {
		i := int(p.Number)
		if i >= 1 && i <= len(x.paramOIDs) && x.paramOIDs[i-1] == 0 {
			x.paramOIDs[i-1] = t
		}
		return
	}
	if a := n.GetAExpr(); a != nil && a.Kind == pg.A_Expr_Kind_AEXPR_OP && isNumericType(t) {
		switch opName(a.Name) {
		case "+", "-", "*", "/", "%":
			x.hint(a.Lexpr, t, sc)
			x.hint(a.Rexpr, t, sc)
		}
	}
	if c := n.GetCoalesceExpr(); c != nil {
		for _, a := range c.Args {
			x.hint(a, t, sc)
		}
	}
}
