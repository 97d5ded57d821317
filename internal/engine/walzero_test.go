package engine

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// smallWALZero shrinks the zero fills for a test, so that a small log crosses many of them.
func smallWALZero(t *testing.T, chunk, gap int64) {
	oldChunk, oldGap := walZeroChunk, walZeroGap
	walZeroChunk, walZeroGap = chunk, gap
	t.Cleanup(func() { walZeroChunk, walZeroGap = oldChunk, oldGap })
}

// TestWALZero_LogBytesSurviveFills writes a log in writes of random sizes (some larger than a fill) through a
// zero-filling walFile, with syncs between them as Pebble's log writer does, while the fills run: the file must
// hold exactly what the log wrote, followed by zeros only, and the fills must have run ahead of the log.
func TestWALZero_LogBytesSurviveFills(t *testing.T) {
	smallWALZero(t, 64<<10, 8<<10)
	dir := t.TempDir()
	e := &Engine{}
	fs := walFS{FS: vfs.Default, e: e, zero: true}
	f, err := fs.Create(filepath.Join(dir, "000001.log"), vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var log bytes.Buffer
	for log.Len() < 2<<20 {
		p := make([]byte, 1+r.IntN(3000))
		if r.IntN(50) == 0 {
			p = make([]byte, 100<<10) // past a whole fill
		}
		for i := range p {
			p[i] = byte(1 + r.IntN(255)) // never zero, so that a fill over log bytes shows
		}
		if _, err := f.Write(p); err != nil {
			t.Fatal(err)
		}
		log.Write(p)
		if r.IntN(4) == 0 {
			if err := f.SyncData(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if e.Failure() != nil {
		t.Fatalf("engine fenced: %v", e.Failure())
	}
	got, err := os.ReadFile(filepath.Join(dir, "000001.log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) <= log.Len() {
		t.Fatalf("file of %d bytes for a log of %d: no zeros ahead of the log", len(got), log.Len())
	}
	if !bytes.Equal(got[:log.Len()], log.Bytes()) {
		i := 0
		for i < log.Len() && got[i] == log.Bytes()[i] {
			i++
		}
		t.Fatalf("the log's bytes differ from offset %d of %d", i, log.Len())
	}
	if tail := got[log.Len():]; !bytes.Equal(tail, make([]byte, len(tail))) {
		t.Fatal("non-zero bytes after the log's end")
	}
}

// TestWALZero_ReopenAndCrashCopy: commits through an engine whose log is zero-filled in small stretches are all
// there after a clean reopen, and in a copy of the data directory taken while the engine was still open (what a
// process crash leaves: the log's acknowledged bytes, a zero tail and possibly a hole), both reopened by Pebble's
// recovery.
func TestWALZero_ReopenAndCrashCopy(t *testing.T) {
	smallWALZero(t, 32<<10, 4<<10)
	ctx := context.Background()
	ns := Namespace{DB: "test", Coll: "c"}
	dir := t.TempDir()
	e, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	const n = 600
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				d, _ := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "pad", Value: string(bytes.Repeat([]byte{'x'}, 200))}})
				if _, err := e.Insert(ctx, nil, ns, []bson.Raw{d}, true, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	crash := t.TempDir()
	copyDir(t, dir, crash)
	logs, _ := filepath.Glob(filepath.Join(crash, "*.log"))
	zeroTail := false
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		zeroTail = zeroTail || len(b) > 64<<10 && bytes.Equal(b[len(b)-1024:], make([]byte, 1024))
	}
	if !zeroTail {
		t.Fatalf("no log of the crash copy (%v) ends in zeros", logs)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, crash} {
		e, err := Open(Options{Dir: d})
		if err != nil {
			t.Fatalf("reopen %s: %v", d, err)
		}
		if got, err := e.Count(ctx, nil, ns, nil, 0, 0, nil, nil); err != nil || got != n {
			t.Fatalf("reopened %s: %d documents (%v), want %d", d, got, err, n)
		}
		e.Close()
	}
}

// copyDir copies the regular files of src into dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range ents {
		if !en.Type().IsRegular() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, en.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
