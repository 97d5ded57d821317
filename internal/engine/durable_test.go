package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// syncGate is a filesystem whose WAL fsyncs wait while the gate is closed: a commit can then be published (seen
// by readers) while its fsync has not completed, deterministically.
type syncGate struct {
	vfs.FS
	mu     sync.Mutex
	open   chan struct{} // closed while syncs may proceed
	waited chan struct{} // receives when a WAL sync starts waiting
}

func newSyncGate() *syncGate {
	g := &syncGate{FS: vfs.NewMem(), open: make(chan struct{}), waited: make(chan struct{}, 64)}
	close(g.open)
	return g
}

func (g *syncGate) close() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

// release opens the gate; releasing an open gate does nothing.
func (g *syncGate) release() {
	g.mu.Lock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
	g.mu.Unlock()
}

func (g *syncGate) wait() {
	g.mu.Lock()
	ch := g.open
	g.mu.Unlock()
	select {
	case <-ch:
		return
	default:
	}
	g.waited <- struct{}{}
	<-ch
}

func (g *syncGate) wrap(f vfs.File, name string) vfs.File {
	if !strings.HasSuffix(name, ".log") {
		return f
	}
	return &gatedFile{File: f, g: g}
}

func (g *syncGate) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.Create(name, c)
	if err != nil {
		return nil, err
	}
	return g.wrap(f, name), nil
}

func (g *syncGate) ReuseForWrite(oldname, newname string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := g.FS.ReuseForWrite(oldname, newname, c)
	if err != nil {
		return nil, err
	}
	return g.wrap(f, newname), nil
}

type gatedFile struct {
	vfs.File
	g *syncGate
}

func (f *gatedFile) Sync() error     { f.g.wait(); return f.File.Sync() }
func (f *gatedFile) SyncData() error { f.g.wait(); return f.File.SyncData() }
func (f *gatedFile) SyncTo(n int64) (bool, error) {
	f.g.wait()
	return f.File.SyncTo(n)
}

// TestSync_ReadOnlyCommitWaitsForWhatItRead: a write is visible as soon as it is published, before its WAL fsync;
// a read-only transaction that read it, a write that changed nothing because of it, and Engine.Sync return only
// once that fsync is done, so that no client
// is handed data a crash could take back. Without the wait, the commit returns while the fsync is held.
func TestSync_ReadOnlyCommitWaitsForWhatItRead(t *testing.T) {
	ctx := context.Background()
	gate := newSyncGate()
	e := openMem(t, engine.Options{FS: gate})
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}})
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}

	gate.close()
	defer gate.release() // a failing test must not leave the update waiting, or closing the engine hangs
	updated := make(chan error, 1)
	go func() {
		_, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
			Filter: doc(bson.D{{Key: "_id", Value: 1}}),
			Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 1}}}}),
		}, nil)
		updated <- err
	}()
	<-gate.waited // the update is published and waits for its fsync

	tx := e.Begin()
	got := findAll(t, e, tx, bson.D{{Key: "_id", Value: 1}})
	if len(got) != 1 || got[0].Lookup("v").AsInt64() != 1 {
		t.Fatalf("the published update is not visible: %v", got)
	}
	committed := make(chan error, 1)
	go func() { committed <- tx.Commit(ctx) }()
	// A compare-and-swap that fails because of the published update decided on it too.
	casFailed := make(chan error, 1)
	go func() {
		res, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
			Filter: doc(bson.D{{Key: "_id", Value: 1}, {Key: "v", Value: 0}}),
			Update: doc(bson.D{{Key: "$set", Value: bson.D{{Key: "v", Value: 2}}}}),
		}, nil)
		if err == nil && res.Matched != 0 {
			t.Errorf("the compare-and-swap matched %d documents, want 0", res.Matched)
		}
		casFailed <- err
	}()
	synced := make(chan error, 1)
	go func() { synced <- e.Sync() }()
	select {
	case err := <-committed:
		t.Fatalf("the read-only commit returned (%v) before the fsync of what it read", err)
	case err := <-synced:
		t.Fatalf("Sync returned (%v) before the fsync of a visible commit", err)
	case err := <-casFailed:
		t.Fatalf("a compare-and-swap that matched nothing returned (%v) before the fsync of the write it saw", err)
	case err := <-updated:
		t.Fatalf("the update was acknowledged (%v) before its fsync", err)
	case <-time.After(200 * time.Millisecond):
	}
	gate.release()
	for what, ch := range map[string]chan error{"update": updated, "read-only commit": committed, "Sync": synced, "failed compare-and-swap": casFailed} {
		if err := <-ch; err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}

	// An acknowledged write's own fsync makes it known durable: Sync after it returns without another fsync, even
	// with the gate closed.
	if _, err := e.Update(ctx, nil, ns, engine.UpdateSpec{
		Filter: doc(bson.D{{Key: "_id", Value: 1}}),
		Update: doc(bson.D{{Key: "$inc", Value: bson.D{{Key: "v", Value: 1}}}}),
	}, nil); err != nil {
		t.Fatal(err)
	}
	gate.close()
	done := make(chan error, 1)
	go func() { done <- e.Sync() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Sync after an acknowledged write waited for another fsync")
	}
}
