package sql

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Run-time parameters (SET, SHOW, RESET and the startup message's) are kept per session as text. Most are kept
// as given and change nothing (README: only the settings Concord implements do); statement_timeout is checked
// and normalized as PostgreSQL does, and bounds every statement of the session (runStmt).

// errStatementTimeout is the cause of a statement's context past the session's statement_timeout.
var errStatementTimeout = errors.New("statement timeout")

// timeoutUnits are statement_timeout's units, largest first, in milliseconds.
var timeoutUnits = []struct {
	name string
	ms   float64
}{{"d", 86_400_000}, {"h", 3_600_000}, {"min", 60_000}, {"s", 1000}, {"ms", 1}, {"us", 0.001}}

// parseTimeout reads a statement_timeout value as PostgreSQL does: a number of milliseconds, or a number and
// one of the units "us", "ms", "s", "min", "h", "d" (spaces allowed between), rounded to whole milliseconds,
// within 0 .. 2147483647. It returns the value as SHOW writes it (the largest unit that divides it evenly).
func parseTimeout(text string) (time.Duration, string, error) {
	invalid := func(hint string) error {
		return &Error{Code: CodeInvalidParameterValue, Hint: hint,
			Message: fmt.Sprintf("invalid value for parameter \"statement_timeout\": %q", text)}
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
			Message: fmt.Sprintf("%.0f ms is outside the valid range for parameter \"statement_timeout\" (0 .. 2147483647)", ms)}
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

// Set sets a run-time parameter for the session, as SET does (SHOW reads it back). The PostgreSQL port sets the
// startup message's parameters with it, as PostgreSQL applies them. A value statement_timeout refuses is a 22023
// *Error.
func (s *Session) Set(name, value string) error {
	name = strings.ToLower(name)
	if name == "statement_timeout" {
		d, shown, err := parseTimeout(value)
		if err != nil {
			return err
		}
		s.timeout, value = d, shown
	}
	s.settings[name] = value
	return nil
}

// reset returns a run-time parameter to its default (RESET, SET ... TO DEFAULT); "" resets them all.
func (s *Session) reset(name string) {
	name = strings.ToLower(name)
	if name == "" || name == "statement_timeout" {
		s.timeout = 0
	}
	if name == "" {
		clear(s.settings)
		return
	}
	delete(s.settings, name)
}
