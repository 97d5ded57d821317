package sql

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Run-time parameters (SET, SHOW, RESET and the startup message's) are kept per session as text. Most are kept
// as given and change nothing (README: only the settings Concord implements do); statement_timeout is checked
// and normalized as PostgreSQL does, and bounds every statement of the session (runStmt); TimeZone is checked and
// named as PostgreSQL does, and is the zone of the session's timestamps with time zone (timezone.go).

// errStatementTimeout is the cause of a statement's context past the session's statement_timeout.
var errStatementTimeout = errors.New("statement timeout")

// errLockTimeout is the cause of a statement's context whose wait for a row lasted the session's lock_timeout.
var errLockTimeout = errors.New("lock timeout")

// timeoutUnits are statement_timeout's units, largest first, in milliseconds.
var timeoutUnits = []struct {
	name string
	ms   float64
}{{"d", 86_400_000}, {"h", 3_600_000}, {"min", 60_000}, {"s", 1000}, {"ms", 1}, {"us", 0.001}}

// parseTimeout reads a statement_timeout (or lock_timeout, param) value as PostgreSQL does: a number of milliseconds, or a number and
// one of the units "us", "ms", "s", "min", "h", "d" (spaces allowed between), rounded to whole milliseconds,
// within 0 .. 2147483647. It returns the value as SHOW writes it (the largest unit that divides it evenly).
func parseTimeout(param, text string) (time.Duration, string, error) {
	invalid := func(hint string) error {
		return &Error{Code: CodeInvalidParameterValue, Hint: hint,
			Message: fmt.Sprintf("invalid value for parameter \"%s\": %q", param, text)}
	}
	s := strings.TrimSpace(text)
	end := 0
	for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.' || end == 0 && (s[end] == '-' || s[end] == '+')) {
		end++
	}
	num, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0, "", invalid("")
	}
	unit := strings.TrimSpace(s[end:])
	ms := num
	if unit == "" {
		if !strings.Contains(s[:end], ".") && (num > math.MaxInt32 || num < math.MinInt32) {
			return 0, "", invalid("Value exceeds integer range.")
		}
	} else {
		found := false
		for _, u := range timeoutUnits {
			if u.name == unit {
				ms, found = num*u.ms, true
				break
			}
		}
		if !found {
			return 0, "", invalid(`Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".`)
		}
	}
	ms = math.RoundToEven(ms)
	if ms < 0 || ms > math.MaxInt32 {
		return 0, "", &Error{Code: CodeInvalidParameterValue,
			Message: fmt.Sprintf("%.0f ms is outside the valid range for parameter \"%s\" (0 .. 2147483647)", ms, param)}
	}
	v := int64(ms)
	shown := "0"
	if v != 0 {
		for _, u := range timeoutUnits {
			if u.ms >= 1 && v%int64(u.ms) == 0 {
				shown = strconv.FormatInt(v/int64(u.ms), 10) + u.name
				break
			}
		}
	}
	return time.Duration(v) * time.Millisecond, shown, nil
}

// paramSet is a session's run-time parameters: the values given by the startup message, SET and RESET, by
// lower-case name (a name it lacks has its built-in value, show), the durations of statement_timeout and
// lock_timeout, and TimeZone's zone (nil: UTC).
type paramSet struct {
	vals                 map[string]string
	timeout, lockTimeout time.Duration
	loc                  *time.Location
	readOnly             bool // default_transaction_read_only (readonly.go)
}

// set gives name its value; d is its duration, for the timeouts.
func (p *paramSet) set(name, value string, d time.Duration) {
	if p.vals == nil {
		p.vals = map[string]string{}
	}
	p.vals[name] = value
	switch name {
	case "statement_timeout":
		p.timeout = d
	case "lock_timeout":
		p.lockTimeout = d
	case "timezone":
		_, p.loc, _ = zoneSetting(value) // checked by checkParam: value is the zone's name as SHOW writes it
	case "default_transaction_read_only":
		p.readOnly, _ = readOnlySetting(value)
	}
}

// reset returns name ("" for all of them) to its value in def.
func (p *paramSet) reset(name string, def paramSet) {
	if name == "" {
		*p = def.clone()
		return
	}
	if v, ok := def.vals[name]; ok {
		d := def.timeout
		if name == "lock_timeout" {
			d = def.lockTimeout
		}
		p.set(name, v, d)
		return
	}
	delete(p.vals, name)
	switch name {
	case "statement_timeout":
		p.timeout = 0
	case "lock_timeout":
		p.lockTimeout = 0
	case "timezone":
		p.loc = nil
	case "default_transaction_read_only":
		p.readOnly = false
	}
}

func (p paramSet) clone() paramSet {
	return paramSet{vals: maps.Clone(p.vals), timeout: p.timeout, lockTimeout: p.lockTimeout, loc: p.loc, readOnly: p.readOnly}
}

// blockParams is what a transaction block's SET and RESET statements leave when the block ends, as PostgreSQL
// keeps them: the parameters as they were before the block changed the first of them (restored when the block
// rolls back, whatever ended it), and the session's values after its SET and RESET statements (kept when it
// commits). SET LOCAL changes only the current values, so its effect ends with the block either way.
type blockParams struct {
	before, after paramSet
}

// checkParam checks a parameter's value: statement_timeout's, lock_timeout's and TimeZone's are parsed (a bad one
// is a 22023 *Error) and returned as SHOW writes them, the timeouts with their durations; any other is kept as
// given.
func checkParam(name, value string) (string, time.Duration, error) {
	if name == "timezone" {
		shown, _, err := zoneSetting(value)
		return shown, 0, err
	}
	if name == "intervalstyle" {
		v, err := checkIntervalStyle(value)
		return v, 0, err
	}
	if name == "default_transaction_read_only" {
		on, ok := readOnlySetting(value)
		if !ok {
			return "", 0, errorf(CodeInvalidParameterValue, "parameter \"%s\" requires a Boolean value", name)
		}
		if on {
			return "on", 0, nil
		}
		return "off", 0, nil
	}
	if name != "statement_timeout" && name != "lock_timeout" {
		return value, 0, nil
	}
	d, shown, err := parseTimeout(name, value)
	return shown, d, err
}

// Set gives a run-time parameter its value for the session as the startup message does: the session starts
// with it, and RESET returns to it. The PostgreSQL port sets the startup message's parameters with it, before
// the session runs a statement. A value statement_timeout or TimeZone refuses is a 22023 *Error.
func (s *Session) Set(name, value string) error {
	name = strings.ToLower(name)
	value, d, err := checkParam(name, value)
	if err != nil {
		return err
	}
	s.defaults.set(name, value, d)
	s.params.set(name, value, d)
	if name == "application_name" {
		s.ran(nil) // pg_stat_activity shows a client's application_name before its first statement
	}
	return nil
}

// setParam runs SET (SET LOCAL when local) inside or outside a transaction block; SET LOCAL outside one is
// refused by the caller.
func (s *Session) setParam(name, value string, local bool) error {
	name = strings.ToLower(name)
	value, d, err := checkParam(name, value)
	if err != nil {
		return err
	}
	s.remember()
	s.params.set(name, value, d)
	if s.block != nil && !local {
		s.block.after.set(name, value, d)
	}
	if name == "application_name" {
		s.publishAppName() // at once, as PostgreSQL reports it: the query string may go on running
	}
	return nil
}

// resetParam returns a parameter ("" for every one) to its session default: RESET, or SET ... TO DEFAULT
// (SET LOCAL ... TO DEFAULT when local).
func (s *Session) resetParam(name string, local bool) {
	name = strings.ToLower(name)
	s.remember()
	s.params.reset(name, s.defaults)
	if s.block != nil && !local {
		s.block.after.reset(name, s.defaults)
	}
	if name == "application_name" || name == "" {
		s.publishAppName()
	}
}

// remember keeps the parameters as they are when a transaction block (an implicit one included) is about to
// change the first of them.
func (s *Session) remember() {
	if s.status != TxIdle && s.block == nil {
		s.block = &blockParams{before: s.params.clone(), after: s.params.clone()}
	}
}

// endBlock ends a transaction block's hold on the parameters: a committed block leaves the session's values
// its SET and RESET statements gave, any other the values from before it.
func (s *Session) endBlock(committed bool) {
	s.savepoints = nil
	if s.ddl != nil {
		s.endBlockRules(s.ddl.rules)
	}
	if committed {
		s.unmarkBuilt(s.ddl) // the block's commit record keeps them: the markers are done with
		s.commitTemps()
		if s.ddl != nil {
			s.applyValidators(s.ddl.validators)
		}
	} else {
		s.dropBuilt(s.ddl, nil) // the indexes the block built at once go with it
	}
	s.pruneTemps()
	s.ddl = nil
	s.txReadOnly, s.blockRan = false, false
	s.deferred, s.constraints, s.written = nil, constraintModes{}, nil
	s.endCursors(committed)
	s.endNotify(committed)
	s.releaseAdvisory(false) // the block's transaction-level advisory locks
	s.e.locks.release(s)     // and its table locks
	if s.block == nil {
		return
	}
	if committed {
		s.params = s.block.after
	} else {
		s.params = s.block.before
	}
	s.block = nil
}

// setStmt runs SET, SET LOCAL, SET ... TO DEFAULT, RESET and RESET ALL. SET LOCAL and SET TRANSACTION outside a
// transaction block change nothing and warn, as in PostgreSQL. SET TRANSACTION and SET SESSION
// CHARACTERISTICS are accepted and change nothing: every transaction runs at Concord's snapshot isolation.
func (x *exec) setStmt(vs *pg.VariableSetStmt) (*Result, error) {
	s := x.s
	switch vs.Kind {
	case pg.VariableSetKind_VAR_RESET, pg.VariableSetKind_VAR_RESET_ALL:
		s.resetParam(vs.Name, false)
		return &Result{Tag: "RESET"}, nil
	}
	res := &Result{Tag: "SET"}
	if s.status == TxIdle && (vs.IsLocal || vs.Kind == pg.VariableSetKind_VAR_SET_MULTI && vs.Name == "TRANSACTION") {
		what := "SET LOCAL"
		if !vs.IsLocal {
			what = "SET TRANSACTION"
		}
		res.Warnings = []*Error{errorf(CodeNoActiveSQLTransaction, "%s can only be used in transaction blocks", what)}
		return res, nil
	}
	if vs.Kind == pg.VariableSetKind_VAR_SET_MULTI {
		switch vs.Name {
		case "TRANSACTION":
			return res, s.transactionMode(vs.Args)
		case "SESSION CHARACTERISTICS":
			for _, it := range vs.Args {
				if d := it.GetDefElem(); d != nil && d.Defname == "transaction_read_only" {
					v := "off"
					if d.Arg.GetAConst().GetIval().GetIval() != 0 {
						v = "on"
					}
					if err := s.setParam("default_transaction_read_only", v, false); err != nil {
						return nil, err
					}
				}
			}
			return res, nil
		}
	}
	switch vs.Kind {
	case pg.VariableSetKind_VAR_SET_DEFAULT:
		s.resetParam(vs.Name, vs.IsLocal)
	case pg.VariableSetKind_VAR_SET_VALUE:
		if len(vs.Args) > 0 {
			v, err := x.eval(vs.Args[0], &scope{})
			if err != nil {
				return nil, err
			}
			text := formatText(v)
			if vs.Name == "timezone" {
				if text, err = setZoneArg(v); err != nil {
					return nil, err
				}
			}
			if err := s.setParam(vs.Name, text, vs.IsLocal); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}
