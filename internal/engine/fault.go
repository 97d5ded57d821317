package engine

import (
	"errors"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/concorddb/concord/internal/codes"
)

// Storage faults. PostgreSQL's "fsyncgate" taught that a failed fsync cannot be retried: the kernel may have
// dropped the dirty pages it could not write, and a later fsync that succeeds covers nothing. Pebble agrees: once
// a write or sync of its write-ahead log fails, every later sync of that log fails with the same error (the
// error is sticky), and a later commit that meets it, or the rotation to a new log, stops the process
// (Logger.Fatalf, panic). So the engine fences itself at the first failure:
//
//   - walFS, wrapped around every filesystem Pebble runs on, sees the failing Write or Sync of a log file and
//     records the failure (Engine.fail) before Pebble learns of it;
//   - every write to Pebble (commits, catalog changes, Sync's log record; session-record deletions through
//     applyNoSync) goes through apply, which refuses once a failure is recorded, under commitMu, so no write
//     reaches Pebble's commit pipeline after the log broke;
//   - a write whose fsync failed returns the failure: it may or may not survive a restart, and nothing written
//     after it is acknowledged, so no acknowledged write can depend on it;
//   - reads continue (what they see may include the writes that were never acknowledged, as readConcern
//     "local" may; readConcern "majority" waits on Sync and returns the failure instead).
//
// Reopening the database (restarting the server) recovers from the log what reached the disk: everything
// acknowledged. A full disk (ENOSPC) is the same failure with code OutOfDiskSpace (14031). To keep a filling disk
// from reaching that point, writes are refused beforehand, with the same code and without fencing, while the
// filesystem has less than Options.DiskReserve bytes free; they resume as soon as space is freed.

// walFS wraps the filesystem Pebble runs on and reports a failing write or sync of a write-ahead log file to its
// engine. Other files (sstables, the MANIFEST) are passed through: Pebble retries a failed flush or compaction,
// and stops the process itself on a failed MANIFEST write.
type walFS struct {
	vfs.FS
	e *Engine
	// zero: keep a zero-filled stretch ahead of each log's end (walzero.go).
	zero bool
}

// isWAL reports whether name is a write-ahead log file ("000123.log").
func isWAL(name string) bool { return strings.HasSuffix(name, ".log") }

// Create implements vfs.FS.
func (fs walFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	return fs.wrap(f, name, err, false)
}

// ReuseForWrite implements vfs.FS: Pebble recycles old log files.
func (fs walFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(f, newname, err, true)
}

// Unwrap implements vfs.FS.
func (fs walFS) Unwrap() vfs.FS { return fs.FS }

func (fs walFS) wrap(f vfs.File, name string, err error, reused bool) (vfs.File, error) {
	if err != nil {
		if isWAL(name) {
			fs.e.fail("create the write-ahead log", err)
		}
		return nil, err
	}
	if !isWAL(name) {
		return f, nil
	}
	wf := walFile{File: f, e: fs.e}
	if fs.zero {
		var size int64
		if reused {
			// A recycled log's old blocks are written up to its old length.
			if st, err := f.Stat(); err == nil {
				size = st.Size()
			}
		}
		wf.z = newWALZero(size)
	}
	return wf, nil
}

// walFile is a write-ahead log file whose write and sync failures fence the engine, and which keeps a
// zero-filled stretch ahead of the log's end when z is set (walzero.go).
type walFile struct {
	vfs.File
	e *Engine
	z *walZero
}

func (f walFile) Write(p []byte) (int, error) {
	if f.z != nil {
		f.z.beforeWrite(f, int64(len(p)))
	}
	n, err := f.File.Write(p)
	if err != nil {
		f.e.fail("write the write-ahead log", err)
	}
	return n, err
}

// Close implements vfs.File, waiting for a zero fill in progress first.
func (f walFile) Close() error {
	if f.z != nil {
		f.z.close()
	}
	return f.File.Close()
}

func (f walFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(p, off)
	if err != nil {
		f.e.fail("write the write-ahead log", err)
	}
	return n, err
}

func (f walFile) Sync() error {
	err := f.File.Sync()
	if err != nil {
		f.e.fail("sync the write-ahead log", err)
	}
	return err
}

// SyncData yields the processor before the fdatasync. It runs on Pebble's log writer, which has just woken the
// commits its previous sync covered: they wait in its processor's (P's) run queue. A goroutine in a system call
// keeps its P, but the runtime's monitor takes back a P whose run queue is not empty after 20 us and hands it to
// another thread, so every sync cost a thread wake-up, and on its return the log writer had to queue for a P
// again, the next sync waiting behind it. Yielding first lets the woken commits run; when the log writer runs
// again its P has nothing queued, keeps it through the fdatasync and goes on at once. Paired runs of 32 clients'
// spread updates over the PostgreSQL port (two servers, alternating one-second slices) gave 4.5% [2.0, 6.9] and
// 4.2% [0.2, 7.4] more updates per second, and a profile showed the monitor's share of the CPU fall from 6.3% to
// 2.6%.
func (f walFile) SyncData() error {
	runtime.Gosched()
	err := f.File.SyncData()
	if err != nil {
		f.e.fail("sync the write-ahead log", err)
	}
	return err
}

func (f walFile) SyncTo(length int64) (bool, error) {
	full, err := f.File.SyncTo(length)
	if err != nil {
		f.e.fail("sync the write-ahead log", err)
	}
	return full, err
}

// fail records the first storage failure; later ones change nothing. It never blocks (it runs on Pebble's
// log-writer goroutine).
func (e *Engine) fail(what string, err error) {
	code := codes.InternalError
	if errors.Is(err, syscall.ENOSPC) {
		code = codes.OutOfDiskSpace
	}
	f := &codes.Error{
		Code: code,
		Message: "storage failed: cannot " + what + ": " + err.Error() +
			"; writes are refused until the database is reopened (a write in flight may or may not survive it," +
			" none acknowledged is lost); reads continue",
		Cause: err,
	}
	e.failure.CompareAndSwap(nil, f)
}

// Failure returns the storage failure that stopped writes (see fault.go), or nil while the engine accepts them.
func (e *Engine) Failure() error {
	if f := e.failure.Load(); f != nil {
		return f
	}
	return nil
}

// apply writes b to Pebble: with pebble.Sync, without waiting for the fsync (the caller passes b to syncWait
// outside every lock), or without any sync under Options.NoSync. It refuses once the log has failed and, if
// reserve is set, while the disk is nearly full (writes that free space, such as drops, or that only sync pass
// reserve false). The caller holds commitMu, which orders every write to Pebble after the check; on error the
// caller still owns b.
func (e *Engine) apply(b *pebble.Batch, reserve bool) error {
	if f := e.failure.Load(); f != nil {
		return f
	}
	if reserve {
		if err := e.checkSpace(len(b.Repr())); err != nil {
			return err
		}
	}
	if e.opts.NoSync {
		return e.db.Apply(b, pebble.NoSync)
	}
	return e.db.ApplyNoSyncWait(b, pebble.Sync)
}

// applyNoSync writes b to Pebble without syncing (a deletion that may be lost in a crash, such as an expired
// session record's), unless the log has failed. The caller holds commitMu.
func (e *Engine) applyNoSync(b *pebble.Batch) error {
	if f := e.failure.Load(); f != nil {
		return f
	}
	return e.db.Apply(b, pebble.NoSync)
}

// spaceCheckEvery bounds how long a stale free-space figure is trusted.
const spaceCheckEvery = time.Second

// checkSpace refuses a write of n bytes with OutOfDiskSpace while the filesystem has less than
// Options.DiskReserve bytes free. The free space is read again after a second, after a quarter of the reserve
// has been written since the last reading, and on every write while the disk is short (so writes resume as soon
// as space is freed). A filesystem that cannot tell (memory) is never short. The caller holds commitMu.
func (e *Engine) checkSpace(n int) error {
	if e.opts.DiskReserve < 0 {
		return nil
	}
	s := &e.space
	s.written += int64(n)
	if !s.short && s.written < e.opts.DiskReserve/4 && time.Since(s.checked) < spaceCheckEvery {
		return nil
	}
	s.written, s.checked = 0, time.Now()
	u, err := e.fs.GetDiskUsage(e.dir)
	if err != nil {
		s.short = false
		return nil
	}
	s.short = u.AvailBytes < uint64(e.opts.DiskReserve)
	if s.short {
		return codes.New(codes.OutOfDiskSpace,
			"disk full: %d bytes free, below the reserve of %d bytes kept so that committed data can always be"+
				" written; writes are refused until space is freed; reads continue", u.AvailBytes, e.opts.DiskReserve)
	}
	return nil
}

// spaceState is checkSpace's memory, guarded by commitMu.
type spaceState struct {
	checked time.Time // when the free space was last read (monotonic)
	written int64     // bytes applied since
	short   bool      // the last reading was below the reserve
}
