package engine

import (
	"runtime"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// A long scan that lends its documents (scanIter.Borrow, which $group
// uses) reads storage in a goroutine of its own once it has lent
// prefetchAfter documents: that goroutine iterates Pebble, applies the
// filter and copies the matching documents into batches, while the
// pipeline evaluates and accumulates the previous batch on another core,
// as PostgreSQL's parallel sequential scan feeds its aggregation. Two
// batches take turns, so the memory held stays two batches whatever the
// collection's size; a batch ends at prefetchBatch documents or once it
// holds prefetchBatchBytes (so large documents make short batches).
const (
	prefetchAfter      = 4096
	prefetchBatch      = 512
	prefetchBatchBytes = 256 << 10
)

// scanBatch is one batch of matching documents copied out of the scan:
// document i is buf[ends[i-1]:ends[i]]. last marks the scan's final batch,
// with the error that ended it, if any.
type scanBatch struct {
	buf  []byte
	ends []int
	last bool
	err  error
}

// prefetch is the consumer's side of a prefetching scan.
type prefetch struct {
	full   chan *scanBatch // filled batches, in scan order
	free   chan *scanBatch // batches the consumer is done with
	done   chan struct{}   // closed by Close: stop reading
	exited chan struct{}   // closed when the reading goroutine has returned
	cur    *scanBatch
	i      int // cur's next document
}

// startPrefetch moves the rest of s's scan into a goroutine; from then on
// only that goroutine touches s.it, s.st and s.err until Close has waited
// for it.
func (s *scanIter) startPrefetch() {
	p := &prefetch{
		full:   make(chan *scanBatch, 2),
		free:   make(chan *scanBatch, 2),
		done:   make(chan struct{}),
		exited: make(chan struct{}),
	}
	p.free <- &scanBatch{}
	p.free <- &scanBatch{}
	s.pf = p
	go s.produce(p)
}

// produce fills batches from the scan until it ends or Close stops it.
func (s *scanIter) produce(p *prefetch) {
	defer close(p.exited)
	for {
		var b *scanBatch
		select {
		case b = <-p.free:
		case <-p.done:
			return
		}
		b.buf, b.ends = b.buf[:0], b.ends[:0]
		for len(b.ends) < prefetchBatch && len(b.buf) < prefetchBatchBytes {
			doc, err := s.next()
			if err != nil || doc == nil {
				b.last, b.err = true, err
				break
			}
			b.buf = append(b.buf, doc...)
			b.ends = append(b.ends, len(b.buf))
		}
		select {
		case p.full <- b:
		case <-p.done:
			return
		}
		if b.last {
			return
		}
	}
}

// borrow returns the next document of the prefetched batches, valid until
// the next call.
func (p *prefetch) borrow() (bson.Raw, error) {
	for {
		if p.cur != nil {
			if p.i < len(p.cur.ends) {
				start := 0
				if p.i > 0 {
					start = p.cur.ends[p.i-1]
				}
				p.i++
				return p.cur.buf[start:p.cur.ends[p.i-1]], nil
			}
			if p.cur.last {
				return nil, p.cur.err
			}
			p.free <- p.cur // never blocks: there are two batches and two slots
			p.cur = nil
		}
		p.cur, p.i = <-p.full, 0
	}
}

// stop ends the reading goroutine and waits for it.
func (p *prefetch) stop() {
	close(p.done)
	<-p.exited
}

// prefetching reports whether a scan that has lent n documents should
// move to a reading goroutine: only a long one, and only when there is a
// second core to run it on.
func prefetching(n int) bool {
	return n == prefetchAfter && runtime.GOMAXPROCS(0) > 1
}
