package concord_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// TestCollection_Let runs each method that takes Let with a variable its
// filter's $expr (and, for a pipeline update, its update) reads, as in
// jstests/core/command_let_variables.js.
func TestCollection_Let(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	byAge := d("$expr", d("$eq", bson.A{"$age", "$$age"}))

	cur, err := coll.Find(ctx, byAge, &concord.FindOptions{Let: d("age", 25), Sort: d("_id", 1)})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(t, cur); !slices.Equal(got, []int32{2, 4}) {
		t.Fatalf("Find = %v, want [2 4]", got)
	}

	cur, err = coll.Find(ctx, d("_id", 1), &concord.FindOptions{Let: d("a", d("$add", bson.A{2, 3})), Projection: d("v", "$$a")})
	if err != nil {
		t.Fatal(err)
	}
	var p struct{ V int32 }
	if !cur.Next(ctx) || cur.Decode(&p) != nil || p.V != 5 {
		t.Fatalf("projection of a let variable = %+v", p)
	}

	cur, err = coll.Aggregate(ctx, bson.A{d("$match", byAge), d("$project", d("n", "$$tag"))},
		&concord.AggregateOptions{Let: d("age", 31, "tag", "x")})
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		ID int32 `bson:"_id"`
		N  string
	}
	if !cur.Next(ctx) || cur.Decode(&a) != nil || a.ID != 1 || a.N != "x" || cur.Next(ctx) {
		t.Fatalf("Aggregate = %+v", a)
	}

	res, err := coll.UpdateMany(ctx, byAge, bson.A{d("$set", d("name", "$$name"))}, &concord.UpdateOptions{Let: d("age", 25, "name", "young")})
	if err != nil || res.MatchedCount != 2 || res.ModifiedCount != 2 {
		t.Fatalf("UpdateMany = %+v, %v", res, err)
	}
	if n, err := coll.CountDocuments(ctx, d("name", "young")); err != nil || n != 2 {
		t.Fatalf("after UpdateMany: %d young, %v", n, err)
	}

	var fam person
	err = coll.FindOneAndUpdate(ctx, byAge, d("$set", d("age", 41)),
		&concord.FindOneAndUpdateOptions{Let: d("age", 40), ReturnDocument: concord.After}).Decode(&fam)
	if err != nil || fam.ID != 3 || fam.Age != 41 {
		t.Fatalf("FindOneAndUpdate = %+v, %v", fam, err)
	}

	del, err := coll.DeleteOne(ctx, byAge, &concord.DeleteOptions{Let: d("age", 35)})
	if err != nil || del.DeletedCount != 1 {
		t.Fatalf("DeleteOne = %+v, %v", del, err)
	}

	_, err = coll.Find(ctx, d(), &concord.FindOptions{Let: d("NOW", 1)})
	wantErrCode(t, err, 4738901)
	_, err = coll.UpdateOne(ctx, byAge, d("$set", d("x", 1)), &concord.UpdateOptions{Let: d("a", "$age")})
	wantErrCode(t, err, 4890500)
	_, err = coll.DeleteMany(ctx, byAge, &concord.DeleteOptions{Let: d("other", 1)})
	wantErrCode(t, err, 17276)
}

// TestCollection_Hint checks that the statements besides find honour a
// hint: the profiler's plan summary names the hinted index although the
// filter is on another field, and a hint naming no index is BadValue (2).
func TestCollection_Hint(t *testing.T) {
	ctx := context.Background()
	coll := people(t)
	if _, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: d("age", 1)}); err != nil {
		t.Fatal(err)
	}
	byName := d("name", "bob")
	cases := []struct {
		name string
		run  func(ctx context.Context, hint any) error
	}{
		{"UpdateOne", func(ctx context.Context, hint any) error {
			_, err := coll.UpdateOne(ctx, byName, d("$set", d("x", 1)), &concord.UpdateOptions{Hint: hint})
			return err
		}},
		{"UpdateMany", func(ctx context.Context, hint any) error {
			_, err := coll.UpdateMany(ctx, byName, d("$set", d("x", 2)), &concord.UpdateOptions{Hint: hint})
			return err
		}},
		{"ReplaceOne", func(ctx context.Context, hint any) error {
			_, err := coll.ReplaceOne(ctx, byName, d("name", "bob", "age", 25), &concord.ReplaceOptions{Hint: hint})
			return err
		}},
		{"FindOneAndUpdate", func(ctx context.Context, hint any) error {
			return coll.FindOneAndUpdate(ctx, byName, d("$set", d("x", 3)), &concord.FindOneAndUpdateOptions{Hint: hint}).Err()
		}},
		{"CountDocuments", func(ctx context.Context, hint any) error {
			_, err := coll.CountDocuments(ctx, byName, &concord.CountOptions{Hint: hint})
			return err
		}},
		{"Distinct", func(ctx context.Context, hint any) error {
			_, err := coll.Distinct(ctx, "age", byName, &concord.DistinctOptions{Hint: hint})
			return err
		}},
		{"Aggregate", func(ctx context.Context, hint any) error {
			_, err := coll.Aggregate(ctx, bson.A{d("$match", byName)}, &concord.AggregateOptions{Hint: hint})
			return err
		}},
		{"DeleteMany", func(ctx context.Context, hint any) error {
			_, err := coll.DeleteMany(ctx, d("name", "nobody"), &concord.DeleteOptions{Hint: hint})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, hint := range []any{"age_1", d("age", 1)} {
				var st concord.OpStats
				if err := tc.run(concord.WithOpStats(ctx, &st), hint); err != nil {
					t.Fatalf("hint %v: %v", hint, err)
				}
				if st.PlanSummary != "IXSCAN { age: 1 }" {
					t.Fatalf("hint %v: plan %q, want IXSCAN { age: 1 }", hint, st.PlanSummary)
				}
			}
			var st concord.OpStats
			if err := tc.run(concord.WithOpStats(ctx, &st), nil); err != nil {
				t.Fatal(err)
			}
			if st.PlanSummary != "COLLSCAN" {
				t.Fatalf("without a hint: plan %q, want COLLSCAN", st.PlanSummary)
			}
			wantErrCode(t, tc.run(ctx, "nope_1"), 2)
			wantErrCode(t, tc.run(ctx, d("nope", 1)), 2)
		})
	}
}

// wantErrCode fails unless err is a *concord.Error with code.
func wantErrCode(t *testing.T, err error, code int) {
	t.Helper()
	var ce *concord.Error
	if !errors.As(err, &ce) || int(ce.Code) != code {
		t.Fatalf("err = %v, want code %d", err, code)
	}
}
