package checker

import (
	"testing"
	"time"
)

// op builds a register operation over [invoke, complete] in milliseconds.
func op(client int, kind RegisterKind, invoke, complete int, f func(*RegisterOp)) RegisterOp {
	o := RegisterOp{Client: client, Key: "k", Kind: kind,
		Invoke: time.Duration(invoke) * time.Millisecond, Complete: time.Duration(complete) * time.Millisecond}
	if f != nil {
		f(&o)
	}
	return o
}

func value(v int64) func(*RegisterOp) { return func(o *RegisterOp) { o.Value, o.HasValue = v, true } }
func arg(v int64) func(*RegisterOp)   { return func(o *RegisterOp) { o.Arg = v } }
func cas(e, n int64, ok bool) func(*RegisterOp) {
	return func(o *RegisterOp) { o.Arg, o.Arg2, o.OK = e, n, ok }
}
func incTo(d, after int64) func(*RegisterOp) {
	return func(o *RegisterOp) { o.Arg, o.Value, o.HasValue = d, after, true }
}
func unknown(f func(*RegisterOp)) func(*RegisterOp) {
	return func(o *RegisterOp) { f(o); o.Unknown = true }
}

func TestCheckRegisters(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  []RegisterOp
		want bool
	}{
		{"a read after a completed write sees it", []RegisterOp{
			op(0, Write, 0, 10, arg(5)),
			op(1, Read, 20, 30, value(5)),
		}, true},
		{"a read after a completed write that sees the old value is stale", []RegisterOp{
			op(0, Write, 0, 10, arg(5)),
			op(1, Read, 20, 30, value(0)),
		}, false},
		{"a read concurrent with a write may see either value", []RegisterOp{
			op(0, Write, 0, 30, arg(5)),
			op(1, Read, 10, 20, value(0)),
			op(2, Read, 10, 20, value(5)),
		}, true},
		{"two concurrent compare-and-swaps from one value cannot both succeed", []RegisterOp{
			op(0, CAS, 0, 10, cas(0, 1, true)),
			op(1, CAS, 0, 10, cas(0, 2, true)),
		}, false},
		{"of two concurrent compare-and-swaps one wins", []RegisterOp{
			op(0, CAS, 0, 10, cas(0, 1, true)),
			op(1, CAS, 0, 10, cas(0, 2, false)),
			op(2, Read, 20, 30, value(1)),
		}, true},
		{"two increments that return the same value lost one", []RegisterOp{
			op(0, Inc, 0, 10, incTo(1, 1)),
			op(1, Inc, 0, 10, incTo(1, 1)),
		}, false},
		{"increments without returned values add up", []RegisterOp{
			op(0, Inc, 0, 10, arg(2)),
			op(1, Inc, 0, 10, arg(3)),
			op(2, Read, 20, 30, value(5)),
		}, true},
		{"a lost increment shows in a later read", []RegisterOp{
			op(0, Inc, 0, 10, arg(2)),
			op(1, Inc, 0, 10, arg(3)),
			op(2, Read, 20, 30, value(3)),
		}, false},
		{"an unknown write may have happened", []RegisterOp{
			op(0, Write, 0, 10, unknown(arg(7))),
			op(1, Read, 20, 30, value(7)),
		}, true},
		{"an unknown write may not have happened", []RegisterOp{
			op(0, Write, 0, 10, unknown(arg(7))),
			op(1, Read, 20, 30, value(0)),
		}, true},
		{"an unknown write cannot be undone once seen", []RegisterOp{
			op(0, Write, 0, 10, unknown(arg(7))),
			op(1, Read, 20, 30, value(7)),
			op(1, Read, 40, 50, value(0)),
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckRegisters(tc.ops, nil, 5*time.Second)
			if res.TimedOut {
				t.Fatal("the check timed out")
			}
			if res.Linearizable != tc.want {
				t.Fatalf("linearizable = %t, want %t (key %q)", res.Linearizable, tc.want, res.Key)
			}
			if !tc.want && (res.Key != "k" || len(res.Ops) != len(tc.ops)) {
				t.Fatalf("the verdict names key %q with %d operations, want k with %d", res.Key, len(res.Ops), len(tc.ops))
			}
		})
	}
}

// TestCheckRegisters_Partitions: keys are checked apart, so a violation on one key is named even when another
// key's history is fine, and initial values apply per key.
func TestCheckRegisters_Partitions(t *testing.T) {
	good := op(0, Read, 0, 10, value(3))
	good.Key = "a"
	bad := op(1, Read, 0, 10, value(4))
	bad.Key = "b"
	res := CheckRegisters([]RegisterOp{good, bad}, map[string]int64{"a": 3, "b": 5}, time.Second)
	if res.Linearizable || res.Key != "b" {
		t.Fatalf("result %+v, want key b not linearizable", res)
	}
}
