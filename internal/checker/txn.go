package checker

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Outcome is how a transaction ended, as its client saw it.
type Outcome uint8

// The outcomes of a transaction.
const (
	Committed Outcome = iota
	Aborted
	// Indeterminate: the client does not know (the commit's reply was lost). Its appends may be seen by others;
	// its own reads are not trusted.
	Indeterminate
)

// MicroOp is one statement of a list-append transaction: an append of a unique value to the list at Key, or a read
// of that whole list.
type MicroOp struct {
	Append bool
	Key    string
	Value  int64   // the appended value, unique per key across the whole history
	List   []int64 // the list a read returned; nil for a missing document
}

// Txn is one transaction of a list-append history.
type Txn struct {
	ID       int
	Client   int
	Outcome  Outcome
	Ops      []MicroOp
	Invoke   time.Duration
	Complete time.Duration
}

// Anomaly is one violation CheckTransactions found: its kind (G0, G1a, G1b, G1c, G-single, lost-update,
// non-repeatable-read, incompatible-order, duplicate-element, garbage-read, invalid-history), the transactions
// involved (a cycle in order, for the cycle kinds) and a sentence saying what was seen.
type Anomaly struct {
	Kind   string
	Txns   []int
	Detail string
}

func (a Anomaly) String() string { return fmt.Sprintf("%s %v: %s", a.Kind, a.Txns, a.Detail) }

// edgeKind names a dependency between two transactions.
type edgeKind uint8

const (
	ww edgeKind = iota // the second appended after the first, to the same list
	wr                 // the second read the first's append
	rw                 // the second appended right after the version the first read: an anti-dependency
)

func (k edgeKind) String() string { return [...]string{"ww", "wr", "rw"}[k] }

type edge struct {
	to   int
	kind edgeKind
	key  string
}

// appendRef says which transaction appended a value, and where in its statements.
type appendRef struct{ txn, op int }

// history is CheckTransactions' working state: the transactions and what was derived from them.
type history struct {
	txns      []Txn
	writer    map[string]map[int64]appendRef // key -> value -> who appended it
	order     map[string][]int64             // key -> the longest committed read: the version order
	edges     [][]edge                       // by transaction index
	anomalies []Anomaly
}

// CheckTransactions returns every anomaly snapshot isolation forbids that txns show. An empty result means none
// was found: a history that exercised few interleavings proves little, so workloads should be contended.
//
// Reads by aborted or indeterminate transactions are ignored; appends by indeterminate transactions count as
// committed when someone read them. A read's own appends (read after append in the same transaction) must appear
// at its end, in order.
func CheckTransactions(txns []Txn) []Anomaly {
	h := &history{txns: txns, writer: map[string]map[int64]appendRef{}, order: map[string][]int64{}}
	if !h.indexAppends() {
		return h.anomalies
	}
	h.checkReads()
	h.checkInternal()
	h.versionOrders()
	h.checkLostUpdates()
	h.buildGraph()
	h.checkCycles()
	return h.anomalies
}

func (h *history) report(kind string, txns []int, format string, args ...any) {
	ids := make([]int, len(txns))
	for i, t := range txns {
		ids[i] = h.txns[t].ID
	}
	h.anomalies = append(h.anomalies, Anomaly{Kind: kind, Txns: ids, Detail: fmt.Sprintf(format, args...)})
}

// indexAppends records who appended each value; a value appended twice to one key makes the history unusable.
func (h *history) indexAppends() bool {
	ok := true
	for t, txn := range h.txns {
		for o, op := range txn.Ops {
			if !op.Append {
				continue
			}
			w := h.writer[op.Key]
			if w == nil {
				w = map[int64]appendRef{}
				h.writer[op.Key] = w
			}
			if prev, dup := w[op.Value]; dup {
				h.report("invalid-history", []int{prev.txn, t}, "value %d appended twice to %q", op.Value, op.Key)
				ok = false
			}
			w[op.Value] = appendRef{t, o}
		}
	}
	return ok
}

// committedReads calls fn for every read of a committed transaction.
func (h *history) committedReads(fn func(t, o int, op MicroOp)) {
	for t, txn := range h.txns {
		if txn.Outcome != Committed {
			continue
		}
		for o, op := range txn.Ops {
			if !op.Append {
				fn(t, o, op)
			}
		}
	}
}

// checkReads finds values nobody appended, values read twice in one list, and values of aborted transactions
// (G1a) or of a transaction's unfinished state (G1b) in committed reads.
func (h *history) checkReads() {
	h.committedReads(func(t, o int, op MicroOp) {
		seen := map[int64]bool{}
		writers := map[int]bool{}
		for _, v := range op.List {
			if seen[v] {
				h.report("duplicate-element", []int{t}, "read of %q returned %d twice: %v", op.Key, v, op.List)
			}
			seen[v] = true
			ref, ok := h.writer[op.Key][v]
			switch {
			case !ok:
				h.report("garbage-read", []int{t}, "read of %q returned %d, which nobody appended", op.Key, v)
			case h.txns[ref.txn].Outcome == Aborted:
				h.report("G1a", []int{ref.txn, t}, "read of %q saw %d, appended by an aborted transaction", op.Key, v)
			case ref.txn != t:
				writers[ref.txn] = true
			}
		}
		for w := range writers {
			for _, a := range h.txns[w].Ops {
				if a.Append && a.Key == op.Key && !seen[a.Value] {
					h.report("G1b", []int{w, t}, "read of %q saw part of a transaction's appends: %d missing from %v", op.Key, a.Value, op.List)
					break
				}
			}
		}
	})
}

// checkInternal checks that a committed transaction's reads repeat: a second read of a key returns the first read
// plus the transaction's own appends since.
func (h *history) checkInternal() {
	for t, txn := range h.txns {
		if txn.Outcome != Committed {
			continue
		}
		known := map[string][]int64{}   // the list the transaction must see next, once it has read the key
		pending := map[string][]int64{} // own appends to keys not read yet
		for _, op := range txn.Ops {
			if op.Append {
				if l, ok := known[op.Key]; ok {
					known[op.Key] = append(slices.Clone(l), op.Value)
				} else {
					pending[op.Key] = append(pending[op.Key], op.Value)
				}
				continue
			}
			if want, ok := known[op.Key]; ok && !slices.Equal(want, op.List) {
				h.report("non-repeatable-read", []int{t}, "read of %q returned %v, expected %v", op.Key, op.List, want)
			} else if own := pending[op.Key]; len(own) > 0 && !hasSuffix(op.List, own) {
				h.report("non-repeatable-read", []int{t}, "read of %q returned %v, without its own appends %v at the end", op.Key, op.List, own)
			}
			known[op.Key] = op.List
			delete(pending, op.Key)
		}
	}
}

func hasSuffix(list, suffix []int64) bool {
	return len(list) >= len(suffix) && slices.Equal(list[len(list)-len(suffix):], suffix)
}

// versionOrders takes each key's longest committed read as its version order; every other read must be a prefix
// of it, or the lists' histories diverged.
func (h *history) versionOrders() {
	longest := map[string]int{}
	h.committedReads(func(t, _ int, op MicroOp) {
		if len(op.List) >= len(h.order[op.Key]) {
			h.order[op.Key] = op.List
			longest[op.Key] = t
		}
	})
	h.committedReads(func(t, _ int, op MicroOp) {
		if order := h.order[op.Key]; len(op.List) > len(order) || !slices.Equal(order[:len(op.List)], op.List) {
			h.report("incompatible-order", []int{longest[op.Key], t}, "reads of %q disagree: %v is not a prefix of %v", op.Key, op.List, order)
		}
	})
}

// snapshotRead returns the part of a read that came from others: the list without the reader's own appends at
// its end.
func (h *history) snapshotRead(t int, op MicroOp) []int64 {
	l := op.List
	for len(l) > 0 {
		ref, ok := h.writer[op.Key][l[len(l)-1]]
		if !ok || ref.txn != t {
			break
		}
		l = l[:len(l)-1]
	}
	return l
}

// checkLostUpdates finds two committed transactions that read the same version of a key and both appended to it:
// the second writer's update is based on a state that no longer existed when it committed (P4).
func (h *history) checkLostUpdates() {
	type readerOf struct {
		key     string
		version int
	}
	first := map[readerOf]int{}
	for t, txn := range h.txns {
		if txn.Outcome != Committed {
			continue
		}
		read := map[string]int{}
		for _, op := range txn.Ops {
			if _, done := read[op.Key]; done {
				continue
			}
			if !op.Append {
				read[op.Key] = len(h.snapshotRead(t, op))
				continue
			}
			read[op.Key] = -1 // appended before reading: not a read-modify-write of this key
		}
		for key, n := range read {
			if n < 0 || !appendsTo(txn, key) {
				continue
			}
			r := readerOf{key, n}
			if other, ok := first[r]; ok {
				h.report("lost-update", []int{other, t}, "both read %q at version %d and both appended to it", key, n)
				continue
			}
			first[r] = t
		}
	}
}

func appendsTo(txn Txn, key string) bool {
	for _, op := range txn.Ops {
		if op.Append && op.Key == key {
			return true
		}
	}
	return false
}

// buildGraph derives the dependency edges between transactions from the version orders and the reads.
func (h *history) buildGraph() {
	h.edges = make([][]edge, len(h.txns))
	add := func(from, to int, kind edgeKind, key string) {
		if from != to {
			h.edges[from] = append(h.edges[from], edge{to, kind, key})
		}
	}
	keys := make([]string, 0, len(h.order))
	for k := range h.order {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		order := h.order[key]
		for i := 1; i < len(order); i++ {
			add(h.writer[key][order[i-1]].txn, h.writer[key][order[i]].txn, ww, key)
		}
	}
	h.committedReads(func(t, _ int, op MicroOp) {
		seen := h.snapshotRead(t, op)
		if n := len(seen); n > 0 {
			add(h.writer[op.Key][seen[n-1]].txn, t, wr, op.Key)
		}
		// The anti-dependency on the next append, unless that append is by the writer the read already saw: a
		// read of part of a transaction's appends is G1b, reported as such, not a cycle.
		if order := h.order[op.Key]; len(seen) < len(order) {
			next := h.writer[op.Key][order[len(seen)]].txn
			if len(seen) == 0 || next != h.writer[op.Key][seen[len(seen)-1]].txn {
				add(t, next, rw, op.Key)
			}
		}
	})
}

// checkCycles reports the dependency cycles snapshot isolation forbids: through ww edges only (G0), through ww and
// wr edges (G1c), and through exactly one rw edge (G-single). Cycles of two or more rw edges (write skew) are
// allowed. Each kind is looked for within the strongly connected components of the whole graph only.
func (h *history) checkCycles() {
	for _, comp := range components(h.edges) {
		if len(comp) < 2 {
			continue
		}
		in := map[int]bool{}
		for _, t := range comp {
			in[t] = true
		}
		if c := h.cycle(comp, in, func(k edgeKind) bool { return k == ww }); c != nil {
			h.report("G0", c, "a cycle of appends")
			continue
		}
		if c := h.cycle(comp, in, func(k edgeKind) bool { return k != rw }); c != nil {
			h.report("G1c", c, "a cycle of appends and reads")
			continue
		}
		h.gSingle(comp, in)
	}
}

// cycle returns a cycle through edges that pass ok within the component, or nil.
func (h *history) cycle(comp []int, in map[int]bool, ok func(edgeKind) bool) []int {
	for _, start := range comp {
		for _, e := range h.edges[start] {
			if in[e.to] && ok(e.kind) {
				if p := h.path(e.to, start, in, ok); p != nil {
					return append([]int{start}, p[:len(p)-1]...)
				}
			}
		}
	}
	return nil
}

// gSingle reports one cycle made of a single rw edge closed by ww and wr edges, if the component has one.
func (h *history) gSingle(comp []int, in map[int]bool) {
	noRW := func(k edgeKind) bool { return k != rw }
	for _, from := range comp {
		for _, e := range h.edges[from] {
			if e.kind != rw || !in[e.to] {
				continue
			}
			if p := h.path(e.to, from, in, noRW); p != nil {
				h.report("G-single", append([]int{from}, p[:len(p)-1]...), "read skew: a read missed an append (of %q) by a transaction it otherwise depends on", e.key)
				return
			}
		}
	}
}

// path returns the transactions on a shortest path from -> ... -> to over edges that pass ok within the
// component, both ends included, or nil.
func (h *history) path(from, to int, in map[int]bool, ok func(edgeKind) bool) []int {
	parent := map[int]int{from: -1}
	queue := []int{from}
	for len(queue) > 0 {
		t := queue[0]
		queue = queue[1:]
		if t == to {
			var p []int
			for ; t != -1; t = parent[t] {
				p = append(p, t)
			}
			slices.Reverse(p)
			return p
		}
		for _, e := range h.edges[t] {
			if _, seen := parent[e.to]; !seen && in[e.to] && ok(e.kind) {
				parent[e.to] = t
				queue = append(queue, e.to)
			}
		}
	}
	return nil
}

// components returns the strongly connected components of the graph (Tarjan's algorithm, iterative so that a
// long history cannot overflow the stack).
func components(edges [][]edge) [][]int {
	n := len(edges)
	index, low := make([]int, n), make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var out [][]int
	var sccStack []int
	next := 0
	type frame struct{ v, e int }
	for root := range n {
		if index[root] != -1 {
			continue
		}
		calls := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		sccStack = append(sccStack, root)
		onStack[root] = true
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			if f.e < len(edges[f.v]) {
				w := edges[f.v][f.e].to
				f.e++
				if index[w] == -1 {
					index[w], low[w] = next, next
					next++
					sccStack = append(sccStack, w)
					onStack[w] = true
					calls = append(calls, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == index[v] {
				var comp []int
				for {
					w := sccStack[len(sccStack)-1]
					sccStack = sccStack[:len(sccStack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				out = append(out, comp)
			}
		}
	}
	return out
}
