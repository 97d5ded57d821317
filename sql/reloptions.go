package sql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Storage parameters: CREATE TABLE ... WITH (fillfactor = 90), ALTER TABLE ... SET (...) / RESET (...). The storage
// has no pages to fill or tuples to vacuum, so they change nothing there; they are checked as PostgreSQL checks
// them (an unknown name or a value out of range is 22023) and kept in the table's catalog entry, where
// pg_class.reloptions and psql's \d+ show them and pg_dump writes them back.

// intRelOptions are the integer table parameters with their ranges.
var intRelOptions = map[string][2]int64{
	"fillfactor": {10, 100}, "toast_tuple_target": {128, 8160}, "parallel_workers": {0, 1024},
	"autovacuum_vacuum_threshold": {0, 2147483647}, "autovacuum_vacuum_insert_threshold": {-1, 2147483647},
	"autovacuum_analyze_threshold": {0, 2147483647}, "autovacuum_vacuum_cost_limit": {1, 10000},
	"autovacuum_freeze_min_age": {0, 1000000000}, "autovacuum_freeze_max_age": {100000, 2000000000},
	"autovacuum_freeze_table_age": {0, 2000000000}, "autovacuum_multixact_freeze_min_age": {0, 1000000000},
	"autovacuum_multixact_freeze_max_age": {10000, 2000000000}, "autovacuum_multixact_freeze_table_age": {0, 2000000000},
	"log_autovacuum_min_duration": {-1, 2147483647},
}

// otherRelOptions are the table parameters of other kinds: "b" boolean, "f" real, "e" an enumeration.
var otherRelOptions = map[string]string{
	"autovacuum_enabled": "b", "vacuum_truncate": "b", "user_catalog_table": "b", "vacuum_index_cleanup": "e",
	"autovacuum_vacuum_scale_factor": "f", "autovacuum_vacuum_insert_scale_factor": "f",
	"autovacuum_analyze_scale_factor": "f", "autovacuum_vacuum_cost_delay": "f",
}

// relOptions reads a WITH or SET list of storage parameters into their catalog form, name=value.
func relOptions(defs []*pg.Node) ([]string, error) {
	var out []string
	for _, n := range defs {
		de := n.GetDefElem()
		if de == nil {
			continue
		}
		name := de.Defname
		if de.Defnamespace == "toast" {
			name = "toast." + name
		}
		value := "true"
		if de.Arg != nil {
			switch {
			case de.Arg.GetInteger() != nil:
				value = strconv.FormatInt(int64(de.Arg.GetInteger().Ival), 10)
			case de.Arg.GetFloat() != nil:
				value = de.Arg.GetFloat().Fval
			case de.Arg.GetString_() != nil:
				value = de.Arg.GetString_().Sval
			case de.Arg.GetBoolean() != nil:
				value = strconv.FormatBool(de.Arg.GetBoolean().Boolval)
			case de.Arg.GetTypeName() != nil: // a bare word: on, off, true, ...
				names := de.Arg.GetTypeName().Names
				value = names[len(names)-1].GetString_().GetSval()
			}
		}
		base := strings.TrimPrefix(name, "toast.")
		if r, ok := intRelOptions[base]; ok {
			v, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return nil, errorf(CodeInvalidParameterValue, "invalid value for integer option \"%s\": %s", base, value)
			}
			if v < r[0] || v > r[1] {
				return nil, &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf("value %s out of bounds for option \"%s\"", value, base),
					Detail: fmt.Sprintf("Valid values are between \"%d\" and \"%d\".", r[0], r[1])}
			}
		} else {
			switch otherRelOptions[base] {
			case "b":
				b, ok := parseBoolText(value)
				if !ok {
					return nil, errorf(CodeInvalidParameterValue, "invalid value for boolean option \"%s\": %s", base, value)
				}
				value = strconv.FormatBool(b)
			case "f":
				if _, err := strconv.ParseFloat(value, 64); err != nil {
					return nil, errorf(CodeInvalidParameterValue, "invalid value for floating point option \"%s\": %s", base, value)
				}
			case "e":
				if !slices.Contains([]string{"auto", "on", "off", "true", "false"}, strings.ToLower(value)) {
					return nil, errorf(CodeInvalidParameterValue, "invalid value for enum option \"%s\": %s", base, value)
				}
			default:
				return nil, errorf(CodeInvalidParameterValue, "unrecognized parameter \"%s\"", name)
			}
		}
		if strings.HasPrefix(name, "toast.") {
			continue // the TOAST table's, which Concord has none of (PostgreSQL's pg_class shows them on it)
		}
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, name+"=") })
		out = append(out, name+"="+value)
	}
	return out, nil
}

// setRelOptions is t's parameters with set's given (replacing any of the same name) and reset's taken out.
func setRelOptions(have, set []string, reset []string) []string {
	out := slices.Clone(have)
	for _, s := range set {
		name, _, _ := strings.Cut(s, "=")
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, name+"=") })
		out = append(out, s)
	}
	for _, r := range reset {
		out = slices.DeleteFunc(out, func(o string) bool { return strings.HasPrefix(o, r+"=") })
	}
	return out
}

// parseBoolText reads a boolean as PostgreSQL's parse_bool does: true/false, yes/no, on/off, 1/0, by prefix.
func parseBoolText(s string) (bool, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return false, false
	case strings.HasPrefix("true", s), strings.HasPrefix("yes", s), s == "on", s == "1":
		return true, true
	case strings.HasPrefix("false", s), strings.HasPrefix("no", s), s == "off", s == "of", s == "0":
		return false, true
	}
	return false, false
}
