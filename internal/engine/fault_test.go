package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
)

// faultFS fails writes or syncs of the write-ahead log ("*.log") once armed, with a chosen error: a disk that
// returns EIO on fsync, or ENOSPC on write. Everything else passes through to a crashable memory filesystem,
// so a test can also take what a crash would leave (CrashClone: only synced data).
type faultFS struct {
	*vfs.MemFS
	mu       sync.Mutex
	syncErr  error // returned by every WAL sync while set
	writeErr error // returned by every WAL write while set
	failures int   // how many WAL calls failed
}

func newFaultFS() *faultFS { return &faultFS{MemFS: vfs.NewCrashableMem()} }

func (fs *faultFS) set(syncErr, writeErr error) {
	fs.mu.Lock()
	fs.syncErr, fs.writeErr = syncErr, writeErr
	fs.mu.Unlock()
}

func (fs *faultFS) injected(write bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	err := fs.syncErr
	if write {
		err = fs.writeErr
	}
	if err != nil {
		fs.failures++
	}
	return err
}

func (fs *faultFS) wrap(f vfs.File, name string, err error) (vfs.File, error) {
	if err != nil || !strings.HasSuffix(name, ".log") {
		return f, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.MemFS.Create(name, c)
	return fs.wrap(f, name, err)
}

func (fs *faultFS) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.MemFS.ReuseForWrite(oldname, newname, c)
	return fs.wrap(f, newname, err)
}

type faultFile struct {
	vfs.File
	fs *faultFS
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.injected(true); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.injected(false); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) SyncData() error {
	if err := f.fs.injected(false); err != nil {
		return err
	}
	return f.File.SyncData()
}

func (f *faultFile) SyncTo(n int64) (bool, error) {
	if err := f.fs.injected(false); err != nil {
		return false, err
	}
	return f.File.SyncTo(n)
}

// insertID inserts {_id: id} outside a transaction and returns the error its client sees.
func insertID(e *engine.Engine, id int) error {
	res, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: id}})}, true, nil)
	if err != nil {
		return err
	}
	if len(res.WriteErrors) > 0 {
		return res.WriteErrors[0].Err
	}
	return nil
}

// docIDs returns the sorted _ids of the collection.
func docIDs(t *testing.T, e *engine.Engine) []int {
	t.Helper()
	var out []int
	for _, d := range findAll(t, e, nil, nil) {
		out = append(out, int(intField(t, d, "_id")))
	}
	sort.Ints(out)
	return out
}

// TestFault_WALSyncFailureFencesWrites: after a failed fsync of the write-ahead log, nothing is acknowledged
// again (fsyncgate: a retried fsync that succeeds proves nothing). The write whose fsync failed gets the
// failure; every later write, and Sync (what a majority read waits on), gets the same clear error; reads go on;
// and a crash-restart recovers every acknowledged write. Without the fence, later writes are applied and
// published although their fsyncs fail, and the first whose record meets Pebble's sticky log error leaves the
// commit pipeline stuck (this test then hangs) or stops the process (Logger.Fatalf).
func TestFault_WALSyncFailureFencesWrites(t *testing.T) {
	fs := newFaultFS()
	e, err := engine.Open(engine.Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	const acked = 20
	for i := 1; i <= acked; i++ {
		if err := insertID(e, i); err != nil {
			t.Fatalf("insert %d before the fault: %v", i, err)
		}
	}

	fs.set(syscall.EIO, nil)
	err = insertID(e, acked+1)
	ce := wantCode(t, err, codes.InternalError)
	for _, want := range []string{"sync the write-ahead log", "input/output error", "refused until the database is reopened"} {
		if !strings.Contains(ce.Message, want) {
			t.Errorf("the failed write's error %q does not say %q", ce.Message, want)
		}
	}
	if !errors.Is(e.Failure(), syscall.EIO) {
		t.Fatalf("Failure() = %v, want the EIO", e.Failure())
	}

	// The disk "recovers": a retried fsync would now succeed. Nothing may be acknowledged anyway.
	fs.set(nil, nil)
	pad := strings.Repeat("p", 2000)
	for i := acked + 2; i <= acked+40; i++ { // records that would fill 32 KiB log blocks if they reached Pebble
		_, err := e.Insert(context.Background(), nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: pad}})}, true, nil)
		if codes.CodeOf(err) != codes.InternalError || err.Error() != ce.Error() {
			t.Fatalf("insert %d after the fault: %v, want the failure %v", i, err, ce)
		}
	}
	tx := e.Begin()
	if _, err := e.Insert(context.Background(), tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 1000}})}, true, nil); err != nil {
		t.Fatalf("a transaction's statement buffers its write: %v", err)
	}
	wantCode(t, tx.Commit(context.Background()), codes.InternalError)
	wantCode(t, e.Sync(), codes.InternalError)
	if err := e.CreateCollection(context.Background(), nil, engine.Namespace{DB: "test", Coll: "other"}); codes.CodeOf(err) != codes.InternalError {
		t.Fatalf("create collection after the fault: %v", err)
	}

	// Reads continue: every acknowledged write is there (the failed one may be visible too).
	got := docIDs(t, e)
	if len(got) < acked || len(got) > acked+1 {
		t.Fatalf("reads after the fault: %v", got)
	}

	// A crash now keeps only what was synced; the restart recovers every acknowledged write and nothing written
	// after the fault.
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	e2, err := engine.Open(engine.Options{Dir: "db", FS: crashed})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	got = docIDs(t, e2)
	if len(got) < acked || len(got) > acked+1 {
		t.Fatalf("after the restart: %v, want 1..%d (and perhaps %d)", got, acked, acked+1)
	}
	for i, id := range got {
		if id != i+1 {
			t.Fatalf("after the restart: %v, want 1..%d (and perhaps %d)", got, acked, acked+1)
		}
	}
	if err := insertID(e2, 5000); err != nil {
		t.Fatalf("the restarted engine refuses writes: %v", err)
	}
}

// TestFault_DiskFullOnWALWrite: when the disk fills under the log itself (something else took the reserve),
// the write gets OutOfDiskSpace (14031), later writes the same, reads continue, and once space is freed a
// restart accepts writes again with every acknowledged one present.
func TestFault_DiskFullOnWALWrite(t *testing.T) {
	fs := newFaultFS()
	e, err := engine.Open(engine.Options{Dir: "db", FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := 1; i <= 10; i++ {
		if err := insertID(e, i); err != nil {
			t.Fatal(err)
		}
	}
	fs.set(nil, syscall.ENOSPC)
	ce := wantCode(t, insertID(e, 11), codes.OutOfDiskSpace)
	if !strings.Contains(ce.Message, "no space left on device") {
		t.Errorf("the error %q does not say the disk is full", ce.Message)
	}
	wantCode(t, insertID(e, 12), codes.OutOfDiskSpace)
	if got := docIDs(t, e); len(got) < 10 {
		t.Fatalf("reads after the disk filled: %v", got)
	}
	fs.set(nil, nil) // space freed
	crashed := fs.CrashClone(vfs.CrashCloneCfg{})
	e2, err := engine.Open(engine.Options{Dir: "db", FS: crashed})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	if got := docIDs(t, e2); len(got) < 10 || got[9] != 10 {
		t.Fatalf("after the restart: %v, want 1..10 at least", got)
	}
	if err := insertID(e2, 13); err != nil {
		t.Fatalf("writes after space was freed and the restart: %v", err)
	}
}

// TestFault_DiskReserve: while the disk has less free space than Options.DiskReserve, writes are refused with
// OutOfDiskSpace (14031) before they reach the log, so the engine is not fenced; reads, Sync and drops (which
// free space) go on; writes resume as soon as space is freed, without a restart.
func TestFault_DiskReserve(t *testing.T) {
	fs := vfs.NewMem()
	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30})
	e, err := engine.Open(engine.Options{Dir: "db", FS: fs, DiskReserve: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := insertID(e, 1); err != nil {
		t.Fatal(err)
	}
	other := engine.Namespace{DB: "test", Coll: "other"}
	if err := e.CreateCollection(context.Background(), nil, other); err != nil {
		t.Fatal(err)
	}

	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 32 << 10, TotalBytes: 2 << 30})
	// The free space is read again at the latest after a quarter of the reserve is written.
	var err2 error
	for i := 2; i < 1000 && err2 == nil; i++ {
		err2 = insertID(e, i)
	}
	ce := wantCode(t, err2, codes.OutOfDiskSpace)
	if !strings.Contains(ce.Message, "disk full") || !strings.Contains(ce.Message, "reads continue") {
		t.Errorf("unclear error: %q", ce.Message)
	}
	if e.Failure() != nil {
		t.Fatalf("the reserve fenced the engine: %v", e.Failure())
	}
	before := docIDs(t, e)
	tx := e.Begin()
	if _, err := e.Insert(context.Background(), tx, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: -1}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	wantCode(t, tx.Commit(context.Background()), codes.OutOfDiskSpace)
	if err := e.Sync(); err != nil {
		t.Fatalf("Sync on a nearly full disk: %v", err)
	}
	if err := e.DropCollection(context.Background(), other); err != nil {
		t.Fatalf("a drop frees space and must not be refused: %v", err)
	}

	fs.TestingSetDiskUsage(vfs.DiskUsage{AvailBytes: 1 << 30, TotalBytes: 2 << 30})
	if err := insertID(e, 100000); err != nil {
		t.Fatalf("writes do not resume once space is freed: %v", err)
	}
	after := docIDs(t, e)
	if len(after) != len(before)+1 {
		t.Fatalf("before %d documents, after %d", len(before), len(after))
	}
}

// TestFault_TornWALTail: a log whose tail was torn (a crash in the middle of writing a record) recovers to the
// last complete batch: every document present is whole, every transaction all or nothing, and the documents
// are a prefix of the order they were committed in.
func TestFault_TornWALTail(t *testing.T) {
	for _, cut := range []int64{1, 7, 100, 1000, 5000} {
		t.Run("", func(t *testing.T) {
			dir := t.TempDir()
			e, err := engine.Open(engine.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			// Each transaction inserts a pair {2i, 2i+1}.
			const pairs = 200
			for i := 0; i < pairs; i++ {
				tx := e.Begin()
				_, err := e.Insert(context.Background(), tx, ns, []bson.Raw{
					doc(bson.D{{Key: "_id", Value: 2 * i}, {Key: "pad", Value: strings.Repeat("x", 40)}}),
					doc(bson.D{{Key: "_id", Value: 2*i + 1}, {Key: "pad", Value: strings.Repeat("y", 40)}}),
				}, true, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tx.Commit(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			wal := newestWAL(t, dir)
			st, err := os.Stat(wal)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(wal, st.Size()-cut); err != nil {
				t.Fatal(err)
			}

			e, err = engine.Open(engine.Options{Dir: dir})
			if err != nil {
				t.Fatalf("reopen after tearing %d bytes off the log: %v", cut, err)
			}
			defer e.Close()
			got := docIDs(t, e)
			if len(got)%2 != 0 {
				t.Fatalf("a transaction half applied: %d documents", len(got))
			}
			for i, id := range got {
				if id != i {
					t.Fatalf("not a prefix of the commit order: document %d is %d", i, id)
				}
			}
			for _, d := range findAll(t, e, nil, nil) {
				if len(d.Lookup("pad").StringValue()) != 40 {
					t.Fatalf("a torn document: %v", d)
				}
			}
			// 1 KiB of log holds at most a few pairs: a small cut loses at most the last few transactions.
			if min := 2 * (pairs - 1 - int(cut)/100); len(got) < min {
				t.Fatalf("cutting %d bytes lost too much: %d documents, want at least %d", cut, len(got), min)
			}
			if err := insertID(e, 1<<20); err != nil {
				t.Fatalf("write after the recovery: %v", err)
			}
		})
	}
}

// newestWAL returns the path of the highest-numbered log file in dir.
func newestWAL(t *testing.T, dir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no write-ahead log in %s: %v", dir, err)
	}
	sort.Strings(logs)
	return logs[len(logs)-1]
}

// TestFault_CorruptedSSTable: flipped bytes in an sstable's data blocks are reported as DataCorruptionDetected
// (12) by the reads that reach them, never returned as data; documents in intact blocks are still served, and the
// process goes on (Pebble's default reaction is to stop it).
func TestFault_CorruptedSSTable(t *testing.T) {
	dir := t.TempDir()
	e, err := engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	want := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 100) }
	for i := 0; i < n; i++ {
		mustInsert(t, e, bson.D{{Key: "_id", Value: i}, {Key: "v", Value: want(i)}})
	}
	if err := e.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	tables, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(tables) == 0 {
		t.Fatalf("no sstable: %v", err)
	}
	sort.Slice(tables, func(i, j int) bool { return size(t, tables[i]) > size(t, tables[j]) })
	f, err := os.OpenFile(tables[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// In the documents, which follow the catalog and the change log (read at open), and well before the index
	// and the footer.
	sz := size(t, tables[0])
	var b [1]byte
	for _, off := range []int64{sz * 6 / 10, sz * 7 / 10} {
		if _, err := f.ReadAt(b[:], off); err != nil {
			t.Fatal(err)
		}
		b[0] ^= 0xff
		if _, err := f.WriteAt(b[:], off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	e, err = engine.Open(engine.Options{Dir: dir})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer e.Close()
	_, err = e.Find(context.Background(), nil, ns, engine.FindSpec{}, nil)
	ce := wantCode(t, err, codes.DataCorruptionDetected)
	if !strings.Contains(ce.Message, "checksum mismatch") {
		t.Errorf("the error does not say what failed: %q", ce.Message)
	}
	corrupt := 0
	for i := 0; i < n; i++ {
		got, err := e.Find(context.Background(), nil, ns, engine.FindSpec{Filter: doc(bson.D{{Key: "_id", Value: i}})}, nil)
		switch {
		case err != nil:
			wantCode(t, err, codes.DataCorruptionDetected)
			corrupt++
		case len(got) != 1 || got[0].Lookup("v").StringValue() != want(i):
			t.Fatalf("document %d read as %v", i, got)
		}
	}
	if corrupt == 0 || corrupt > n/2 {
		t.Fatalf("%d of %d point reads met the corruption", corrupt, n)
	}
	t.Logf("%d of %d documents unreadable, the others intact", corrupt, n)
}

func size(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}
