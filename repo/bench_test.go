package repo_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
	"github.com/concorddb/concord/repo"
	"github.com/concorddb/concord/store/storetest"
)

// BenchmarkUnit_Commit measures a unit of work that loads an account, changes it and commits, on the embedded
// backend: "clean" without a merge policy and no other writer; "merge-policy" the same with a merge policy
// that has nothing to do; "merged" with another writer's update between the load and the commit (included in
// the time), so that the commit conflicts, merges and commits again.
func BenchmarkUnit_Commit(b *testing.B) {
	for _, mode := range []string{"clean", "merge-policy", "merged"} {
		b.Run(mode, func(b *testing.B) {
			be := storetest.Embedded(b)
			ctx := context.Background()
			r := newAccountsB(b, be)
			if err := r.Insert(ctx, &account{ID: "a", Owner: "ann"}); err != nil {
				b.Fatal(err)
			}
			var opts *repo.UnitOptions
			if mode != "clean" {
				opts = &repo.UnitOptions{Merge: &merge.Options{}}
			}
			inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "balance", Value: int64(1)}}}}
			b.ReportAllocs()
			for b.Loop() {
				u := repo.NewUnit(be.Store, opts)
				a, err := r.Load(ctx, u, "a")
				if err != nil {
					b.Fatal(err)
				}
				if mode == "merged" {
					if _, err := r.Collection().UpdateOne(ctx, "a", a.Version, inc); err != nil {
						b.Fatal(err)
					}
				}
				a.Balance++
				if err := u.Commit(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
