package agg

import (
	"container/heap"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// mergeIter merges sorted runs into one sorted stream: the runs a stage
// spilled, in the order it wrote them, and last the run it still held in
// memory. Equal documents come out in run order, so a merge of stable runs
// is stable.
type mergeIter struct {
	runs  []*runReader
	mem   []bson.Raw
	heads []bson.Raw
	h     mergeHeap
	err   error
}

// newMergeIter merges runs and the sorted in-memory run mem under cmp.
func newMergeIter(runs []*runReader, mem []bson.Raw, cmp func(a, b bson.Raw) int) (*mergeIter, error) {
	m := &mergeIter{runs: runs, mem: mem, heads: make([]bson.Raw, len(runs)+1)}
	m.h = mergeHeap{heads: m.heads, cmp: cmp}
	for i := range m.heads {
		d, err := m.pull(i)
		if err != nil {
			return nil, err
		}
		if d != nil {
			m.heads[i] = d
			m.h.idx = append(m.h.idx, i)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

// pull returns run i's next document (nil at its end).
func (m *mergeIter) pull(i int) (bson.Raw, error) {
	if i < len(m.runs) {
		return m.runs[i].next()
	}
	if len(m.mem) == 0 {
		return nil, nil
	}
	d := m.mem[0]
	m.mem[0] = nil
	m.mem = m.mem[1:]
	return d, nil
}

// Next returns the smallest head and advances its run.
func (m *mergeIter) Next() (bson.Raw, error) {
	if m.err != nil || len(m.h.idx) == 0 {
		return nil, m.err
	}
	i := m.h.idx[0]
	d := m.heads[i]
	next, err := m.pull(i)
	if err != nil {
		m.err = err
		return nil, err
	}
	if next == nil {
		heap.Pop(&m.h)
	} else {
		m.heads[i] = next
		heap.Fix(&m.h, 0)
	}
	return d, nil
}

// Close is a no-op: the stage that spilled owns the file.
func (m *mergeIter) Close() error { return nil }

// mergeHeap orders run indexes by their heads, then by run.
type mergeHeap struct {
	idx   []int
	heads []bson.Raw
	cmp   func(a, b bson.Raw) int
}

// Len implements heap.Interface.
func (h *mergeHeap) Len() int { return len(h.idx) }

// Less implements heap.Interface.
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.idx[i], h.idx[j]
	if c := h.cmp(h.heads[a], h.heads[b]); c != 0 {
		return c < 0
	}
	return a < b
}

// Swap implements heap.Interface.
func (h *mergeHeap) Swap(i, j int) { h.idx[i], h.idx[j] = h.idx[j], h.idx[i] }

// Push implements heap.Interface.
func (h *mergeHeap) Push(x any) { h.idx = append(h.idx, x.(int)) }

// Pop implements heap.Interface.
func (h *mergeHeap) Pop() any {
	x := h.idx[len(h.idx)-1]
	h.idx = h.idx[:len(h.idx)-1]
	return x
}
