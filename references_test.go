package concord_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// refsDB opens a database with a parent collection p (a unique index on code), a parent pp whose _id is a document
// {a, b}, and a child c whose pid names p by _id, whose code names p by code and whose x, y name pp's _id.
func refsDB(t *testing.T, dir string) *concord.DB {
	t.Helper()
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database("app")
	if _, err := d.Collection("p").CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "code", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.CreateCollection(ctx, "pp"); err != nil {
		t.Fatal(err)
	}
	opts := concord.CollectionOptions{References: []concord.Reference{
		{Name: "c_pid", Fields: []string{"pid"}, Coll: "p", ParentFields: []string{"_id"}},
		{Name: "c_code", Fields: []string{"code"}, Coll: "p", ParentFields: []string{"code"}},
		{Name: "c_xy", Fields: []string{"x", "y"}, Coll: "pp", ParentFields: []string{"_id.a", "_id.b"}},
	}}
	if err := d.CreateCollection(ctx, "c", opts); err != nil {
		t.Fatal(err)
	}
	return db
}

// refused fails unless err is DocumentValidationFailure (121) naming reference ref.
func refusedBy(t *testing.T, what string, err error, ref string) {
	t.Helper()
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 121 {
		t.Errorf("%s: %v, want DocumentValidationFailure (121)", what, err)
		return
	}
	raw, _ := bson.Marshal(ce.ErrInfo)
	if got, _ := bson.Raw(raw).Lookup("details", "reference").StringValueOK(); got != ref {
		t.Errorf("%s: errInfo %s, want reference %q", what, bson.Raw(raw), ref)
	}
}

// TestReferences writes children and parents through every path (insert, update, replacement, upsert,
// findOneAndUpdate, deleteOne, deleteMany, findOneAndDelete) and checks that a child naming no parent is refused,
// that a named parent can be neither deleted nor changed in the named fields, that NULL or missing fields name
// nothing, that 1 names the parent 1.0, that a document naming itself can be inserted and deleted, that WithoutReferences and
// WithoutValidation skip the checks, and that the references survive a restart.
func TestReferences(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db := refsDB(t, dir)
	d := db.Database("app")
	p, pp, c := d.Collection("p"), d.Collection("pp"), d.Collection("c")
	mustInsert := func(coll *concord.Collection, doc bson.D) {
		t.Helper()
		if _, err := coll.InsertOne(ctx, doc); err != nil {
			t.Fatalf("insert %v: %v", doc, err)
		}
	}
	mustInsert(p, bson.D{{Key: "_id", Value: int32(1)}, {Key: "code", Value: "a"}})
	mustInsert(p, bson.D{{Key: "_id", Value: 2.0}, {Key: "code", Value: "b"}})
	mustInsert(pp, bson.D{{Key: "_id", Value: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: "x"}}}})
	mustInsert(c, bson.D{{Key: "_id", Value: 10}, {Key: "pid", Value: int64(1)}, {Key: "code", Value: "a"}, {Key: "x", Value: 1}, {Key: "y", Value: "x"}})
	mustInsert(c, bson.D{{Key: "_id", Value: 11}, {Key: "pid", Value: int32(2)}}) // 2 names the parent 2.0
	mustInsert(c, bson.D{{Key: "_id", Value: 12}, {Key: "pid", Value: nil}, {Key: "x", Value: 5}})
	_, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: 13}, {Key: "pid", Value: 9}})
	refusedBy(t, "insert naming no parent by _id", err, "c_pid")
	_, err = c.InsertOne(ctx, bson.D{{Key: "_id", Value: 13}, {Key: "code", Value: "zz"}})
	refusedBy(t, "insert naming no parent by code", err, "c_code")
	_, err = c.InsertOne(ctx, bson.D{{Key: "_id", Value: 13}, {Key: "x", Value: 1}, {Key: "y", Value: "nope"}})
	refusedBy(t, "insert naming no parent by a document _id", err, "c_xy")
	_, err = c.InsertMany(ctx, []any{bson.D{{Key: "_id", Value: 14}, {Key: "pid", Value: 1}}, bson.D{{Key: "_id", Value: 15}, {Key: "pid", Value: 8}}})
	refusedBy(t, "insertMany's second document", err, "c_pid")
	_, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 10}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pid", Value: 3}}}})
	refusedBy(t, "update naming no parent", err, "c_pid")
	_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: 11}}, bson.D{{Key: "code", Value: "q"}})
	refusedBy(t, "replacement naming no parent", err, "c_code")
	_, err = c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 20}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pid", Value: 7}}}}, &concord.UpdateOptions{Upsert: true})
	refusedBy(t, "upsert naming no parent", err, "c_pid")
	_, err = c.FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: 12}}, bson.D{{Key: "$set", Value: bson.D{{Key: "y", Value: "z"}}}}).Raw()
	refusedBy(t, "findOneAndUpdate naming no parent", err, "c_xy")
	if _, err := c.UpdateOne(ctx, bson.D{{Key: "_id", Value: 12}}, bson.D{{Key: "$set", Value: bson.D{{Key: "pid", Value: 2}}}}); err != nil {
		t.Errorf("update naming an existing parent: %v", err)
	}
	// Parents named cannot go, nor change the named fields; fields no child names can.
	_, err = p.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}})
	refusedBy(t, "deleteOne of a named parent", err, "c_pid")
	_, err = p.DeleteMany(ctx, bson.D{})
	refusedBy(t, "deleteMany of named parents", err, "c_pid")
	_, err = p.FindOneAndDelete(ctx, bson.D{{Key: "_id", Value: 2}}).Raw()
	refusedBy(t, "findOneAndDelete of a named parent", err, "c_pid")
	_, err = p.UpdateOne(ctx, bson.D{{Key: "_id", Value: 1}}, bson.D{{Key: "$set", Value: bson.D{{Key: "code", Value: "a2"}}}})
	refusedBy(t, "change of a named code", err, "c_code")
	if _, err := p.UpdateOne(ctx, bson.D{{Key: "_id", Value: 2}}, bson.D{{Key: "$set", Value: bson.D{{Key: "code", Value: "b2"}}}}); err != nil {
		t.Errorf("change of a code no child names: %v", err)
	}
	_, err = pp.DeleteOne(ctx, bson.D{})
	refusedBy(t, "deletion of a parent named by its document _id", err, "c_xy")
	if n, _ := p.CountDocuments(ctx, bson.D{}); n != 2 {
		t.Errorf("%d parents, want 2", n)
	}
	// Once the children are gone (or name others), the parent goes.
	if _, err := c.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{10, 14}}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Errorf("deletion of a parent no longer named: %v", err)
	}
	// A document naming itself (a self-referencing collection) can be deleted.
	if err := d.CreateCollection(ctx, "emp", concord.CollectionOptions{References: []concord.Reference{
		{Name: "emp_boss", Fields: []string{"boss"}, Coll: "emp", ParentFields: []string{"_id"}}}}); err != nil {
		t.Fatal(err)
	}
	emp := d.Collection("emp")
	mustInsert(emp, bson.D{{Key: "_id", Value: 1}, {Key: "boss", Value: 1}})
	mustInsert(emp, bson.D{{Key: "_id", Value: 2}, {Key: "boss", Value: 1}})
	_, err = emp.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}})
	refusedBy(t, "deletion of a boss", err, "emp_boss")
	if _, err := emp.DeleteOne(ctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := emp.DeleteOne(ctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Errorf("deletion of a document naming itself: %v", err)
	}
	// A deleteMany takes a tree whole, whatever the order it meets its documents in, as SQL's statement-end
	// check does; one that would leave a document naming a deleted one deletes nothing of it.
	tree := func() {
		t.Helper()
		for _, d := range []bson.D{
			{{Key: "_id", Value: 1}, {Key: "boss", Value: 1}}, {{Key: "_id", Value: 2}, {Key: "boss", Value: 1}},
			{{Key: "_id", Value: 3}, {Key: "boss", Value: 2}}, {{Key: "_id", Value: 4}, {Key: "boss", Value: 3}},
			{{Key: "_id", Value: 5}},
		} {
			mustInsert(emp, d)
		}
	}
	tree()
	_, err = emp.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{1, 2, 3}}}}})
	refusedBy(t, "deleteMany leaving a document naming a deleted one", err, "emp_boss")
	if n, _ := emp.CountDocuments(ctx, bson.D{}); n != 5 {
		t.Errorf("%d documents after a refused deleteMany, want 5", n)
	}
	if n, err := emp.DeleteMany(ctx, bson.D{}); err != nil || n.DeletedCount != 5 {
		t.Errorf("deleteMany of a tree: %v, %v, want 5 deleted", n, err)
	}
	tree()
	_, err = db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
		n, err := emp.DeleteMany(ctx, bson.D{})
		if err == nil && n.DeletedCount != 5 {
			err = fmt.Errorf("%d deleted, want 5", n.DeletedCount)
		}
		return nil, err
	})
	if err != nil {
		t.Errorf("deleteMany of a tree in a transaction: %v", err)
	}
	// The writers that check for themselves skip the storage's check.
	if _, err := c.InsertOne(concord.WithoutReferences(ctx), bson.D{{Key: "_id", Value: 30}, {Key: "pid", Value: 99}}); err != nil {
		t.Errorf("insert without references: %v", err)
	}
	if _, err := c.InsertOne(concord.WithoutValidation(ctx), bson.D{{Key: "_id", Value: 31}, {Key: "pid", Value: 98}}); err != nil {
		t.Errorf("insert without validation: %v", err)
	}
	if _, err := d.Collection("c").DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{30, 31}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := d.ModifyCollection(ctx, "c", func(o *concord.CollectionOptions) error {
		o.References = append(o.References, concord.Reference{Name: "bad", Fields: []string{"a.b"}, Coll: "p", ParentFields: []string{"_id"}})
		return nil
	}); err == nil {
		t.Error("a reference from a dotted field accepted")
	}
	db = reopen(t, db, dir)
	d = db.Database("app")
	_, err = d.Collection("c").InsertOne(ctx, bson.D{{Key: "_id", Value: 40}, {Key: "pid", Value: 77}})
	refusedBy(t, "insert naming no parent after a restart", err, "c_pid")
	_, err = d.Collection("p").DeleteOne(ctx, bson.D{{Key: "_id", Value: 2}})
	refusedBy(t, "deletion of a named parent after a restart", err, "c_pid")
}

// TestReferences_Transactions checks a child and its parent's deletion in two transactions: while the child's
// transaction is open the deletion is a WriteConflict, and a deletion whose snapshot predates a child committed
// since is one too, though its snapshot has no child.
func TestReferences_Transactions(t *testing.T) {
	ctx := context.Background()
	db := refsDB(t, t.TempDir())
	defer db.Close()
	d := db.Database("app")
	p, c := d.Collection("p"), d.Collection("c")
	for i := 1; i <= 2; i++ {
		if _, err := p.InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "code", Value: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	a, b := startSession(t, db), startSession(t, db)
	actx, bctx := concord.NewSessionContext(ctx, a), concord.NewSessionContext(ctx, b)
	if err := a.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.InsertOne(actx, bson.D{{Key: "_id", Value: 1}, {Key: "pid", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := b.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteOne(bctx, bson.D{{Key: "_id", Value: 1}}); !concord.IsWriteConflict(err) {
		t.Errorf("deletion of a parent an open transaction's child names: %v, want WriteConflict", err)
	}
	_ = b.AbortTransaction(ctx)
	// b2's snapshot is taken before a's child commits.
	if err := b.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountDocuments(bctx, bson.D{}); err != nil || n != 0 {
		t.Fatalf("b's snapshot: %d children (%v)", n, err)
	}
	if err := a.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteOne(bctx, bson.D{{Key: "_id", Value: 1}}); !concord.IsWriteConflict(err) {
		t.Errorf("deletion of a parent named by a child committed after the snapshot: %v, want WriteConflict", err)
	}
	_ = b.AbortTransaction(ctx)
	if err := b.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteOne(bctx, bson.D{{Key: "_id", Value: 2}}); err != nil {
		t.Errorf("deletion of a parent no child names, in a transaction: %v", err)
	}
	if err := b.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	// A transaction that deletes a child and then its parent: the child's committed version, which the
	// transaction's own deletion replaces, is no conflict.
	if err := b.StartTransaction(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteOne(bctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DeleteOne(bctx, bson.D{{Key: "_id", Value: 1}}); err != nil {
		t.Errorf("deletion of a parent after its child's, in one transaction: %v", err)
	}
	if err := b.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := p.CountDocuments(ctx, bson.D{}); n != 0 {
		t.Errorf("%d parents left, want 0", n)
	}
}

// TestReferences_Concurrent races, round after round, the insert of a child naming a fresh parent against that
// parent's deletion, outside transactions: exactly one of the two may succeed (the child, and the deletion is
// refused; or the deletion, and the child is refused), never both, which would leave an orphan. Rounds run
// in several goroutine pairs at once.
func TestReferences_Concurrent(t *testing.T) {
	ctx := context.Background()
	db := refsDB(t, t.TempDir())
	defer db.Close()
	d := db.Database("app")
	p, c := d.Collection("p"), d.Collection("c")
	const pairs, rounds = 4, 150
	var wg sync.WaitGroup
	var mu sync.Mutex
	childWon, parentWon := 0, 0
	for w := 0; w < pairs; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				id := w*100000 + i
				if _, err := p.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "code", Value: fmt.Sprint(id)}}); err != nil {
					t.Error(err)
					return
				}
				start := make(chan struct{})
				var childErr, delErr error
				var deleted int64
				var round sync.WaitGroup
				round.Add(2)
				go func() {
					defer round.Done()
					<-start
					_, childErr = c.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "pid", Value: id}})
				}()
				go func() {
					defer round.Done()
					<-start
					var res *concord.DeleteResult
					if res, delErr = p.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}}); delErr == nil {
						deleted = res.DeletedCount
					}
				}()
				close(start)
				round.Wait()
				var ce *concord.Error
				switch {
				case childErr == nil && delErr == nil && deleted == 1:
					t.Errorf("round %d: the child was inserted and its parent deleted: an orphan", id)
				case childErr == nil && errors.As(delErr, &ce) && ce.Code == 121:
					mu.Lock()
					childWon++
					mu.Unlock()
				case delErr == nil && deleted == 1 && errors.As(childErr, &ce) && ce.Code == 121:
					mu.Lock()
					parentWon++
					mu.Unlock()
				default:
					t.Errorf("round %d: child %v, deletion %v (%d deleted)", id, childErr, delErr, deleted)
				}
			}
		}(w)
	}
	wg.Wait()
	t.Logf("%d rounds won by the child, %d by the deletion", childWon, parentWon)
	if childWon+parentWon != pairs*rounds {
		t.Errorf("%d + %d decided rounds of %d", childWon, parentWon, pairs*rounds)
	}
}

// TestReferences_DropAndRename: a collection that another's references name can be neither dropped nor renamed
// (OperationFailed, 96), nor a self-referencing one renamed, as its documents would name a collection that is gone;
// the child can, and WithoutReferences (SQL's DROP TABLE and RENAME, which move the foreign keys) can.
func TestReferences_DropAndRename(t *testing.T) {
	ctx := context.Background()
	db := refsDB(t, t.TempDir())
	defer db.Close()
	d := db.Database("app")
	stillNamed := func(what string, err error) {
		t.Helper()
		var ce *concord.Error
		if !errors.As(err, &ce) || ce.Code != 96 {
			t.Errorf("%s: %v, want OperationFailed (96)", what, err)
		}
	}
	stillNamed("drop of a named collection", d.Collection("p").Drop(ctx))
	stillNamed("drop of a collection named by a document _id", d.Collection("pp").Drop(ctx))
	stillNamed("rename of a named collection", d.RenameCollection(ctx, "p", "p2"))
	if names, _ := d.ListCollectionNames(ctx, bson.D{}); fmt.Sprint(names) != "[c p pp]" {
		t.Errorf("collections %v, want [c p pp]", names)
	}
	if err := d.CreateCollection(ctx, "emp", concord.CollectionOptions{References: []concord.Reference{
		{Name: "emp_boss", Fields: []string{"boss"}, Coll: "emp", ParentFields: []string{"_id"}}}}); err != nil {
		t.Fatal(err)
	}
	stillNamed("rename of a self-referencing collection", d.RenameCollection(ctx, "emp", "emp2"))
	if err := d.Collection("emp").Drop(ctx); err != nil {
		t.Errorf("drop of a self-referencing collection: %v", err)
	}
	if err := d.RenameCollection(concord.WithoutReferences(ctx), "pp", "pp2"); err != nil {
		t.Errorf("rename without references: %v", err)
	}
	if err := d.RenameCollection(ctx, "c", "c2"); err != nil {
		t.Errorf("rename of the child: %v", err)
	}
	if err := d.Collection("c2").Drop(ctx); err != nil {
		t.Errorf("drop of the child: %v", err)
	}
	if err := d.Collection("p").Drop(ctx); err != nil {
		t.Errorf("drop of a parent no longer named: %v", err)
	}
}
