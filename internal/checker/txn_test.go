package checker

import (
	"slices"
	"testing"
)

// ap and rd build micro-operations for the planted histories below.
func ap(key string, v int64) MicroOp           { return MicroOp{Append: true, Key: key, Value: v} }
func rd(key string, list ...int64) MicroOp     { return MicroOp{Key: key, List: list} }
func ok(id int, ops ...MicroOp) Txn            { return Txn{ID: id, Outcome: Committed, Ops: ops} }
func aborted(id int, ops ...MicroOp) Txn       { return Txn{ID: id, Outcome: Aborted, Ops: ops} }
func indeterminate(id int, ops ...MicroOp) Txn { return Txn{ID: id, Outcome: Indeterminate, Ops: ops} }

func kinds(as []Anomaly) []string {
	var out []string
	for _, a := range as {
		if !slices.Contains(out, a.Kind) {
			out = append(out, a.Kind)
		}
	}
	slices.Sort(out)
	return out
}

func TestCheckTransactions(t *testing.T) {
	for _, tc := range []struct {
		name string
		txns []Txn
		want []string // anomaly kinds, sorted; nil for a valid history
	}{
		{
			name: "serial appends and reads are valid",
			txns: []Txn{
				ok(1, ap("x", 1), ap("y", 1)),
				ok(2, rd("x", 1), ap("x", 2), rd("x", 1, 2)),
				ok(3, rd("x", 1, 2), rd("y", 1)),
			},
		},
		{
			name: "write skew, two anti-dependencies, is allowed under snapshot isolation",
			txns: []Txn{
				ok(1, rd("x"), rd("y"), ap("x", 1)),
				ok(2, rd("x"), rd("y"), ap("y", 1)),
				ok(3, rd("x", 1), rd("y", 1)),
			},
		},
		{
			name: "an indeterminate commit whose append was read counts as committed",
			txns: []Txn{
				indeterminate(1, ap("x", 1)),
				ok(2, rd("x", 1)),
			},
		},
		{
			name: "two read-modify-writes of one version are a lost update",
			txns: []Txn{
				ok(1, ap("x", 1)),
				ok(2, rd("x", 1), ap("x", 2)),
				ok(3, rd("x", 1), ap("x", 3)),
				ok(4, rd("x", 1, 2, 3)),
			},
			// Each saw [1] and appended, so one append was not based on the state it followed; the
			// anti-dependencies also close a cycle through one rw edge.
			want: []string{"G-single", "lost-update"},
		},
		{
			name: "a value read twice in one list is a duplicated write",
			txns: []Txn{
				ok(1, ap("x", 1)),
				ok(2, rd("x", 1, 1)),
			},
			want: []string{"duplicate-element"},
		},
		{
			name: "reading an aborted transaction's append is G1a",
			txns: []Txn{
				aborted(1, ap("x", 1)),
				ok(2, rd("x", 1)),
			},
			want: []string{"G1a"},
		},
		{
			name: "reading half of a transaction's appends to one key is G1b",
			txns: []Txn{
				ok(1, ap("x", 1), ap("x", 2)),
				ok(2, rd("x", 1)),
				ok(3, rd("x", 1, 2)),
			},
			want: []string{"G1b"},
		},
		{
			name: "seeing one of a transaction's writes and missing another is read skew (G-single)",
			txns: []Txn{
				ok(1, ap("x", 1), ap("y", 1)),
				ok(2, rd("x", 1), rd("y")),
				ok(3, rd("y", 1)),
			},
			want: []string{"G-single"},
		},
		{
			name: "each transaction reading the other's append is G1c",
			txns: []Txn{
				ok(1, ap("x", 1), rd("y", 1)),
				ok(2, ap("y", 1), rd("x", 1)),
			},
			want: []string{"G1c"},
		},
		{
			name: "appends ordered both ways on two keys are G0",
			txns: []Txn{
				ok(1, ap("x", 1), ap("y", 2)),
				ok(2, ap("x", 2), ap("y", 1)),
				ok(3, rd("x", 1, 2), rd("y", 1, 2)),
			},
			want: []string{"G0"},
		},
		{
			name: "a second read inside a transaction that changed is a non-repeatable read",
			txns: []Txn{
				ok(1, ap("x", 1)),
				ok(2, rd("x"), rd("x", 1)),
			},
			want: []string{"G-single", "non-repeatable-read"},
		},
		{
			name: "a read after an own append that lacks it is a non-repeatable read",
			txns: []Txn{
				ok(1, ap("x", 1), rd("x")),
			},
			want: []string{"non-repeatable-read"},
		},
		{
			name: "reads that are not prefixes of one another are an incompatible order",
			txns: []Txn{
				ok(1, ap("x", 1)),
				ok(2, ap("x", 2)),
				ok(3, rd("x", 1, 2)),
				ok(4, rd("x", 2, 1)),
			},
			want: []string{"incompatible-order"},
		},
		{
			name: "a value nobody appended is a garbage read",
			txns: []Txn{
				ok(1, rd("x", 7)),
			},
			want: []string{"garbage-read"},
		},
		{
			name: "the same value appended twice makes the history invalid",
			txns: []Txn{
				ok(1, ap("x", 1)),
				ok(2, ap("x", 1)),
			},
			want: []string{"invalid-history"},
		},
		{
			name: "reads of aborted transactions are not judged",
			txns: []Txn{
				ok(1, ap("x", 1)),
				aborted(2, rd("x", 9), rd("x")),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CheckTransactions(tc.txns)
			if !slices.Equal(kinds(got), tc.want) {
				t.Fatalf("anomalies %v, want kinds %v", got, tc.want)
			}
		})
	}
}

// TestCheckTransactions_CycleNamesItsTransactions: a reported cycle lists the transactions in dependency order,
// each once, closing back on the first.
func TestCheckTransactions_CycleNamesItsTransactions(t *testing.T) {
	got := CheckTransactions([]Txn{
		ok(10, ap("x", 1), rd("y", 1)),
		ok(20, ap("y", 1), rd("z", 1)),
		ok(30, ap("z", 1), rd("x", 1)),
	})
	if len(got) != 1 || got[0].Kind != "G1c" {
		t.Fatalf("anomalies %v, want one G1c", got)
	}
	c := slices.Clone(got[0].Txns)
	slices.Sort(c)
	if !slices.Equal(c, []int{10, 20, 30}) {
		t.Fatalf("cycle %v, want transactions 10, 20 and 30", got[0].Txns)
	}
}

// TestComponents_LongChain runs Tarjan's algorithm over a chain long enough to overflow a recursive version's
// stack budget in spirit, and a cycle closing it.
func TestComponents_LongChain(t *testing.T) {
	const n = 200000
	edges := make([][]edge, n)
	for i := 0; i+1 < n; i++ {
		edges[i] = []edge{{to: i + 1}}
	}
	if got := len(components(edges)); got != n {
		t.Fatalf("chain: %d components, want %d", got, n)
	}
	edges[n-1] = []edge{{to: 0}}
	if got := components(edges); len(got) != 1 || len(got[0]) != n {
		t.Fatalf("ring: %d components, want one of %d", len(got), n)
	}
}
