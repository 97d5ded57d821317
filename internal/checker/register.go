// Package checker decides whether a recorded history of client operations is one that Concord's promises allow.
//
// Two checkers, in the manner of Jepsen's:
//   - CheckRegisters: single-document operations (read, write, compare-and-swap, increment) on integer registers
//     must be linearizable, checked with porcupine against a sequential register model, one partition per key;
//   - CheckTransactions: list-append transactions (Elle's workload) must show none of the anomalies snapshot
//     isolation forbids: aborted and intermediate reads (G1a, G1b), cycles of write and read dependencies (G0, G1c),
//     cycles with a single anti-dependency (G-single: read skew, a fractured read of another transaction), lost
//     updates, and reads inside a transaction that do not repeat.
//
// Histories are plain values: a workload records them from any client (the embedded API or a MongoDB driver) and
// hands them over when it is done. Both checkers are pure functions, safe for concurrent use.
package checker

import (
	"fmt"
	"math"
	"time"

	"github.com/anishathalye/porcupine"
)

// RegisterKind is what a single-document operation did to its register.
type RegisterKind uint8

// The operations a register history holds.
const (
	Read  RegisterKind = iota // read the value (Value)
	Write                     // set the value to Arg
	CAS                       // set the value to Arg2 if it was Arg; OK says whether it did
	Inc                       // add Arg; Value is the new value when HasValue is set
)

// RegisterOp is one completed (or indeterminate) single-document operation.
//
// Times are from one monotonic clock shared by every client of the history (time.Since of a common start, say):
// Invoke just before the request is sent, Complete just after its reply is read.
type RegisterOp struct {
	Client   int
	Key      string
	Kind     RegisterKind
	Arg      int64 // Write: the value; CAS: the expected value; Inc: the delta
	Arg2     int64 // CAS: the new value
	Value    int64 // Read: the value seen; Inc: the value after, when HasValue
	HasValue bool  // Inc: Value was returned (findAndModify); reads always have it
	OK       bool  // CAS: the swap happened
	Invoke   time.Duration
	Complete time.Duration
	// Unknown marks an operation whose outcome the client could not learn (a timeout, a lost connection, a
	// crash): it may or may not have taken effect, at any time after Invoke. Its outputs are ignored.
	Unknown bool
}

func (op RegisterOp) String() string {
	var s string
	switch op.Kind {
	case Read:
		s = fmt.Sprintf("read(%s) -> %d", op.Key, op.Value)
	case Write:
		s = fmt.Sprintf("write(%s, %d)", op.Key, op.Arg)
	case CAS:
		s = fmt.Sprintf("cas(%s, %d -> %d) -> %t", op.Key, op.Arg, op.Arg2, op.OK)
	case Inc:
		s = fmt.Sprintf("inc(%s, %d)", op.Key, op.Arg)
		if op.HasValue {
			s += fmt.Sprintf(" -> %d", op.Value)
		}
	}
	if op.Unknown {
		s += " (unknown)"
	}
	return fmt.Sprintf("client %d: %s", op.Client, s)
}

// RegisterResult is CheckRegisters' verdict.
type RegisterResult struct {
	// Linearizable is true when every key's history has a linearization. False with TimedOut set means the
	// search ran out of time: no verdict.
	Linearizable bool
	TimedOut     bool
	// Key names a key whose history has no linearization, and Ops its operations, when Linearizable is false and
	// TimedOut is not.
	Key string
	Ops []RegisterOp
}

// CheckRegisters reports whether ops are linearizable against integer registers that start at initial (a key
// absent from initial starts at 0). The search is bounded by timeout (0: no bound).
func CheckRegisters(ops []RegisterOp, initial map[string]int64, timeout time.Duration) RegisterResult {
	byKey := map[string][]porcupine.Operation{}
	var keys []string
	for _, op := range ops {
		if _, ok := byKey[op.Key]; !ok {
			keys = append(keys, op.Key)
		}
		ret := int64(op.Complete)
		if op.Unknown {
			ret = math.MaxInt64
		}
		byKey[op.Key] = append(byKey[op.Key], porcupine.Operation{
			ClientId: op.Client, Input: op, Call: int64(op.Invoke), Output: op, Return: ret,
		})
	}
	res := RegisterResult{Linearizable: true}
	for _, key := range keys {
		model := registerModel(initial[key])
		switch porcupine.CheckOperationsTimeout(model, byKey[key], timeout) {
		case porcupine.Ok:
			continue
		case porcupine.Unknown:
			res.Linearizable, res.TimedOut = false, true
			return res
		default:
			res.Linearizable, res.Key = false, key
			for _, op := range ops {
				if op.Key == key {
					res.Ops = append(res.Ops, op)
				}
			}
			return res
		}
	}
	return res
}

// registerModel is the sequential specification of one integer register. An unknown operation steps to both
// "did not happen" and "happened": the set of states is the model's nondeterminism.
func registerModel(initial int64) porcupine.Model {
	m := porcupine.NondeterministicModel{
		Init: func() []any { return []any{initial} },
		Step: func(state, input, _ any) []any {
			v, op := state.(int64), input.(RegisterOp)
			if op.Unknown {
				next := []any{v}
				switch op.Kind {
				case Write:
					next = append(next, op.Arg)
				case CAS:
					if v == op.Arg {
						next = append(next, op.Arg2)
					}
				case Inc:
					next = append(next, v+op.Arg)
				}
				return next
			}
			switch op.Kind {
			case Read:
				if op.Value == v {
					return []any{v}
				}
			case Write:
				return []any{op.Arg}
			case CAS:
				if op.OK && v == op.Arg {
					return []any{op.Arg2}
				}
				if !op.OK && v != op.Arg {
					return []any{v}
				}
			case Inc:
				if !op.HasValue || op.Value == v+op.Arg {
					return []any{v + op.Arg}
				}
			}
			return nil
		},
		DescribeOperation: func(input, _ any) string { return input.(RegisterOp).String() },
	}
	return m.ToModel()
}
