package expr_test

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/expr"
)

// TestCommandScope checks a command's let variables and its $$NOW and
// $$CLUSTER_TIME against mongod's rules, taken from jstests/core/
// command_let_variables.js and mongod's variables.cpp: values are
// expressions evaluated once against no document, each may use the ones
// before it, names are validated as user variable names, system variables
// may not be set, and an inner $let shadows a command variable.
func TestCommandScope(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 30, 0, 0, time.UTC)
	cluster := bson.Timestamp{T: 1796380200, I: 7}
	cases := []struct {
		name    string
		let     string // "" for no let document
		zeroTS  bool   // no cluster time (a standalone)
		expr    string
		doc     string
		want    string
		code    codes.Code // at CommandScope or at the expression's compilation or evaluation
		atScope bool       // the error comes from CommandScope
	}{
		{name: "constant", let: `{"a": 1}`, expr: `"$$a"`, want: `1`},
		{name: "path into a document", let: `{"a": {"b": {"c": "x"}}}`, expr: `"$$a.b.c"`, want: `"x"`},
		{name: "expression evaluated once", let: `{"a": {"$add": [2, 3]}}`, expr: `"$$a"`, want: `5`},
		{name: "later values use earlier ones", let: `{"a": 2, "b": {"$add": ["$$a", 3]}, "c": {"$multiply": ["$$a", "$$b"]}}`, expr: `"$$c"`, want: `10`},
		{name: "used with the document", let: `{"target": "x"}`, expr: `{"$eq": ["$s", "$$target"]}`, doc: `{"s": "x"}`, want: `true`},
		{name: "$literal keeps a dollar string", let: `{"b": {"$literal": "$notAFieldPath"}}`, expr: `"$$b"`, want: `"$notAFieldPath"`},
		{name: "an inner $let shadows it", let: `{"variable": "OUTER"}`, expr: `{"$let": {"vars": {"variable": "INNER"}, "in": "$$variable"}}`, want: `"INNER"`},
		{name: "both levels together", let: `{"outerVar": "OUTER"}`, expr: `{"$let": {"vars": {"innerVar": "INNER"}, "in": {"$concat": ["$$innerVar", "$$outerVar"]}}}`, want: `"INNEROUTER"`},
		{name: "non-ASCII first letter", let: `{"été": 1}`, expr: `"$$été"`, want: `1`},
		{name: "$$REMOVE leaves it missing", let: `{"a": "$$REMOVE"}`, expr: `"$$a"`, want: `MISSING`},
		{name: "empty let", let: `{}`, expr: `1`, want: `1`},
		{name: "NOW is the command's", expr: `"$$NOW"`, want: `{"$date": "2026-12-04T10:30:00Z"}`},
		{name: "a let value sees NOW", let: `{"t": {"$year": "$$NOW"}}`, expr: `"$$t"`, want: `2026`},
		{name: "CLUSTER_TIME is the command's", expr: `"$$CLUSTER_TIME"`, want: `{"$timestamp": {"t": 1796380200, "i": 7}}`},
		{name: "no cluster time on a standalone", zeroTS: true, expr: `"$$CLUSTER_TIME"`, code: 17276},
		{name: "undefined variable", let: `{"cat": "x"}`, expr: `"$$target"`, code: 17276},
		{name: "a field path in a value", let: `{"a": "$_id"}`, code: 4890500, atScope: true},
		{name: "ROOT in a value", let: `{"a": "$$ROOT"}`, code: 4890500, atScope: true},
		{name: "CURRENT path in a value", let: `{"a": "$$CURRENT.x"}`, code: 4890500, atScope: true},
		{name: "a field inside an operator", let: `{"a": {"$add": ["$x", 1]}}`, code: 4890500, atScope: true},
		{name: "an undefined variable in a value", let: `{"a": "$$oops_undefined_var"}`, code: 17276, atScope: true},
		{name: "a later variable is not yet defined", let: `{"a": "$$b", "b": 1}`, code: 17276, atScope: true},
		{name: "NOW may not be set", let: `{"NOW": "failure"}`, code: 4738901, atScope: true},
		{name: "CLUSTER_TIME may not be set", let: `{"CLUSTER_TIME": "failure"}`, code: 4738901, atScope: true},
		{name: "IS_MR may not be set", let: `{"IS_MR": "failure"}`, code: 4738901, atScope: true},
		{name: "JS_SCOPE may not be set", let: `{"JS_SCOPE": "failure"}`, code: 4738901, atScope: true},
		{name: "upper-case names are reserved", let: `{"Reserved": "failure"}`, code: codes.FailedToParse, atScope: true},
		{name: "ROOT may not be set", let: `{"ROOT": "failure"}`, code: codes.FailedToParse, atScope: true},
		{name: "REMOVE may not be set", let: `{"REMOVE": "failure"}`, code: codes.FailedToParse, atScope: true},
		{name: "a dot in a name", let: `{"a.b": 1}`, code: codes.FailedToParse, atScope: true},
		{name: "a dollar in a name", let: `{"a$": 1}`, code: codes.FailedToParse, atScope: true},
		{name: "an empty name", let: `{"": 1}`, code: codes.FailedToParse, atScope: true},
		{name: "a digit first", let: `{"1a": 1}`, code: codes.FailedToParse, atScope: true},
		{name: "a value's own error", let: `{"a": {"$divide": [1, 0]}}`, code: 2, atScope: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var let bson.Raw
			if tc.let != "" {
				let = aggDoc(t, tc.let)
			}
			ts := cluster
			if tc.zeroTS {
				ts = bson.Timestamp{}
			}
			scope, err := expr.CommandScope(let, now, ts)
			if tc.atScope {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("CommandScope: %v", err)
			}
			e, err := expr.CompileIn(aggValue(t, tc.expr), scope)
			var got bson.RawValue
			if err == nil {
				doc := tc.doc
				if doc == "" {
					doc = `{}`
				}
				got, err = e.Eval(aggDoc(t, doc))
			}
			if tc.code != 0 {
				wantCode(t, err, tc.code)
				return
			}
			if err != nil {
				t.Fatalf("eval: %v", err)
			}
			want := "MISSING"
			if tc.want != "MISSING" {
				want = aggCanon(t, aggValue(t, tc.want))
			}
			if g := aggCanon(t, got); g != want {
				t.Fatalf("got %s, want %s", g, want)
			}
		})
	}
}

// TestCommandScope_OneValuePerCommand checks that $rand in a let value is
// drawn once: every evaluation sees the same value.
func TestCommandScope_OneValuePerCommand(t *testing.T) {
	scope, err := expr.CommandScope(aggDoc(t, `{"a": {"$rand": {}}}`), time.Now(), bson.Timestamp{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := expr.CompileIn(aggValue(t, `"$$a"`), scope)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := e.Eval(aggDoc(t, `{"x": 1}`))
	for i := 0; i < 10; i++ {
		v, _ := e.Eval(aggDoc(t, `{"x": 2}`))
		if aggCanon(t, v) != aggCanon(t, first) {
			t.Fatalf("evaluation %d saw %s, the first %s", i, aggCanon(t, v), aggCanon(t, first))
		}
	}
}

// wantCode fails unless err is a *codes.Error with code.
func wantCode(t *testing.T, err error, code codes.Code) {
	t.Helper()
	var ce *codes.Error
	if !errors.As(err, &ce) || ce.Code != code {
		t.Fatalf("got error %v, want code %d", err, code)
	}
}
