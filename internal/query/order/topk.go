package order

import (
	"container/heap"
	"slices"
)

// TopK keeps the k least of the values offered to it: a sort followed by a limit of k that holds k values, not
// all of them. Ties keep the order in which they were offered, as a stable sort followed by the limit would.
type TopK[T any] struct {
	k    int64
	h    topHeap[T]
	next int64
}

// NewTopK returns a TopK of the k least values by cmp; k must be positive.
func NewTopK[T any](k int64, cmp func(a, b T) int) *TopK[T] {
	return &TopK[T]{k: k, h: topHeap[T]{cmp: cmp}}
}

// Offer adds v. It returns the value that is no longer kept, v itself or the greatest kept before, and
// whether there is one (the caller's accounting of what it holds).
func (t *TopK[T]) Offer(v T) (dropped T, ok bool) {
	it := topItem[T]{v: v, seq: t.next}
	t.next++
	if int64(len(t.h.items)) < t.k {
		heap.Push(&t.h, it)
		return dropped, false
	}
	// The greatest kept is at the root; v, offered last, goes in only if it is strictly less.
	if t.h.cmp(v, t.h.items[0].v) >= 0 {
		return v, true
	}
	dropped = t.h.items[0].v
	t.h.items[0] = it
	heap.Fix(&t.h, 0)
	return dropped, true
}

// Len is how many values are kept.
func (t *TopK[T]) Len() int { return len(t.h.items) }

// Sorted returns the kept values in order and empties t.
func (t *TopK[T]) Sorted() []T {
	items := t.h.items
	slices.SortFunc(items, t.h.less3)
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = it.v
	}
	t.h.items = nil
	return out
}

// topItem is a kept value and when it was offered.
type topItem[T any] struct {
	v   T
	seq int64
}

// topHeap is a max-heap of the kept values: the greatest, or of equals the last offered, at the root.
type topHeap[T any] struct {
	items []topItem[T]
	cmp   func(a, b T) int
}

// less3 orders items by value, then by when they were offered.
func (h *topHeap[T]) less3(a, b topItem[T]) int {
	if c := h.cmp(a.v, b.v); c != 0 {
		return c
	}
	switch {
	case a.seq < b.seq:
		return -1
	case a.seq > b.seq:
		return 1
	}
	return 0
}

func (h *topHeap[T]) Len() int           { return len(h.items) }
func (h *topHeap[T]) Less(i, j int) bool { return h.less3(h.items[i], h.items[j]) > 0 }
func (h *topHeap[T]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topHeap[T]) Push(x any)         { h.items = append(h.items, x.(topItem[T])) }
func (h *topHeap[T]) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}
