package engine

import "sync"

// The write-ahead log is written into blocks that are already zero-filled and synced. An fdatasync of data
// appended to a file must also make the file's new length durable (and, on ext4 and XFS, the conversion of
// preallocated extents to written ones): a journal commit on top of the data. An fdatasync of data overwriting
// blocks that are written and inside the file's length flushes the data alone. PostgreSQL zero-fills each WAL
// segment before using it for this reason. Pebble appends to its log, preallocating with FALLOC_FL_KEEP_SIZE, which
// leaves the length and the extents' state to each commit's fdatasync. So walFile keeps a zero-filled, synced
// stretch ahead of the log's end, written by a goroutine of its own, and the fsyncs that acknowledge commits land
// in written blocks.
//
// The zeros change nothing a reader of the log sees: Pebble reads a zeroed chunk at the end of the newest log as
// its end (preallocation and log recycling leave the same), and a log closed cleanly ends with a trailer before
// them. A failed fill stops the filling; a failed sync of a fill fences the engine as a failed sync of the log
// does (fault.go), since the error it reports may be the log's own.

// walZeroChunk is the stretch one fill writes; a fill starts when less than half of it is left ahead of the log's
// end. walZeroGap is the room left between the log's end and a fill that starts behind it (the log got ahead of
// the zeros, as at its start), so that the log need not wait for the fill. Variables for the tests.
var (
	walZeroChunk int64 = 8 << 20
	walZeroGap   int64 = 256 << 10
)

// walZeros is what fills write.
var walZeros [256 << 10]byte

// walZero is the zero-filling state of one log file.
type walZero struct {
	// chunk and gap are walZeroChunk and walZeroGap when the file was opened.
	chunk, gap int64

	mu   sync.Mutex
	cond sync.Cond
	// end is the log's end: the bytes written through Write (the log is written sequentially from offset 0).
	end int64
	// zeroed: the file's blocks are written up to here, by the log or by fills (synced as far as the fills go).
	zeroed int64
	// busy: a fill of [fillFrom, fillFrom+chunk) is in progress; the log's writes stay below fillFrom.
	busy     bool
	fillFrom int64
	// stopped: the file is closing, or a fill failed; no fill starts.
	stopped bool
}

// newWALZero returns the state of a log file whose blocks are written up to size (0 for a new file, the old
// length for a recycled one).
func newWALZero(size int64) *walZero {
	z := &walZero{chunk: walZeroChunk, gap: walZeroGap, zeroed: size}
	z.cond.L = &z.mu
	return z
}

// beforeWrite runs before the log writes n more bytes at its end: it waits for a fill the write would reach,
// then starts the next fill when the zeros ahead run short.
func (z *walZero) beforeWrite(f walFile, n int64) {
	z.mu.Lock()
	defer z.mu.Unlock()
	end := z.end + n
	for z.busy && end > z.fillFrom {
		z.cond.Wait()
	}
	z.end = end
	if z.busy || z.stopped || z.zeroed-end >= z.chunk/2 {
		return
	}
	from := z.zeroed
	if from < end {
		from = end + z.gap
	}
	z.busy, z.fillFrom = true, from
	go z.fill(f, from)
}

// fill writes zeros over [from, from+z.chunk) of the file and syncs them.
func (z *walZero) fill(f walFile, from int64) {
	var werr, serr error
	end := from + z.chunk
	for off := from; off < end && werr == nil; off += int64(len(walZeros)) {
		_, werr = f.File.WriteAt(walZeros[:min(int64(len(walZeros)), end-off)], off)
	}
	if werr == nil {
		serr = f.File.SyncData()
	}
	z.mu.Lock()
	z.busy = false
	if werr != nil || serr != nil {
		z.stopped = true
	} else {
		z.zeroed = end
	}
	z.cond.Broadcast()
	z.mu.Unlock()
	if serr != nil {
		f.e.fail("sync the write-ahead log", serr)
	}
}

// close stops the filling and waits for a fill in progress, before the file closes.
func (z *walZero) close() {
	z.mu.Lock()
	z.stopped = true
	for z.busy {
		z.cond.Wait()
	}
	z.mu.Unlock()
}
