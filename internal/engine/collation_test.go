package engine_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/engine"
	"github.com/concorddb/concord/internal/query/collation"
)

// mustCollation parses a collation document for a test.
func mustCollation(t testing.TB, d bson.D) *collation.Collation {
	t.Helper()
	c, err := collation.Parse(doc(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var (
	enStrength2 = bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 2}}
	enStrength1 = bson.D{{Key: "locale", Value: "en"}, {Key: "strength", Value: 1}}
)

func TestCollation_IndexPlans(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	mustInsert(t, e,
		bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "abc"}, {Key: "m", Value: "abc"}},
		bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: "ABC"}, {Key: "m", Value: "ABC"}},
		bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "Abd"}, {Key: "m", Value: "Abd"}},
		bson.D{{Key: "_id", Value: 4}, {Key: "n", Value: 7}, {Key: "m", Value: 7}},
		bson.D{{Key: "_id", Value: 5}, {Key: "n", Value: bson.D{{Key: "x", Value: "ABC"}}}, {Key: "m", Value: bson.D{{Key: "x", Value: "ABC"}}}},
	)
	for _, spec := range []engine.IndexSpec{
		{Key: bson.D{{Key: "n", Value: 1}}, Collation: doc(enStrength2)},
		{Key: bson.D{{Key: "m", Value: 1}}},
	} {
		if _, err := e.CreateIndex(ctx, nil, ns, spec); err != nil {
			t.Fatal(err)
		}
	}
	s2, s1 := mustCollation(t, enStrength2), mustCollation(t, enStrength1)
	cases := []struct {
		name   string
		filter bson.D
		sort   bson.D
		coll   *collation.Collation
		plan   string
		want   []int64
	}{
		{"same collation bounds strings by the collated index", bson.D{{Key: "n", Value: "aBc"}}, nil, s2, "IXSCAN { n: 1 }", []int64{1, 2}},
		{"same collation bounds a string range", bson.D{{Key: "n", Value: bson.D{{Key: "$gt", Value: "ABC"}}}}, nil, s2, "IXSCAN { n: 1 }", []int64{3}},
		{"same collation bounds documents holding strings", bson.D{{Key: "n", Value: bson.D{{Key: "x", Value: "abc"}}}}, nil, s2, "IXSCAN { n: 1 }", []int64{5}},
		{"simple query cannot bound strings on a collated index", bson.D{{Key: "n", Value: "abc"}}, nil, nil, "COLLSCAN", []int64{1}},
		{"other collation cannot bound strings on it", bson.D{{Key: "n", Value: "abc"}}, nil, s1, "COLLSCAN", []int64{1, 2}},
		{"a number is bounded whatever the collation", bson.D{{Key: "n", Value: 7}}, nil, nil, "IXSCAN { n: 1 }", []int64{4}},
		{"a collated query cannot bound strings on a binary index", bson.D{{Key: "m", Value: "abc"}}, nil, s2, "COLLSCAN", []int64{1, 2}},
		{"simple query on a binary index", bson.D{{Key: "m", Value: "ABC"}}, nil, nil, "IXSCAN { m: 1 }", []int64{2}},
		{"the collated index serves its collation's sort", bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: "a"}}}}, bson.D{{Key: "n", Value: -1}}, s2, "IXSCAN { n: 1 }", []int64{3, 2, 1}},
		{"a binary sort is not taken from the collated index", bson.D{{Key: "n", Value: bson.D{{Key: "$gte", Value: ""}}}}, bson.D{{Key: "n", Value: 1}}, nil, "COLLSCAN", []int64{2, 3, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st engine.Stats
			spec := engine.FindSpec{Filter: doc(c.filter), Collation: c.coll}
			if c.sort != nil {
				spec.Sort = doc(c.sort)
			}
			out, err := e.Find(ctx, nil, ns, spec, &st)
			if err != nil {
				t.Fatal(err)
			}
			got := ids(t, out)
			if c.sort == nil && len(got) == 2 && got[0] > got[1] {
				got[0], got[1] = got[1], got[0]
			}
			if !equalIDs(got, c.want...) || st.PlanSummary != c.plan {
				t.Fatalf("got %v plan %q, want %v %q", got, st.PlanSummary, c.want, c.plan)
			}
		})
	}
	specs, err := e.ListIndexes(ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 3 || specs[1].Collation == nil || specs[2].Collation != nil {
		t.Fatalf("index specs %+v: want the collation on n_1 only", specs)
	}
	if got := bson.Raw(specs[1].Collation).Lookup("strength").Int32(); got != 2 {
		t.Fatalf("n_1 collation strength %d, want 2", got)
	}
}

func TestCollation_UniqueIndex(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "n", Value: 1}}, Unique: true, Collation: doc(enStrength2)}); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, e, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: "abc"}})
	res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: 2}, {Key: "n", Value: "ABC"}})}, true, nil)
	if err == nil && len(res.WriteErrors) == 1 {
		err = res.WriteErrors[0].Err
	}
	ce := wantCode(t, err, codes.DuplicateKey)
	for _, want := range []string{`index: n_1 collation: { locale: "en", caseLevel: false, caseFirst: "off", strength: 2,`, `dup key: { n: "0x`} {
		if !strings.Contains(ce.Message, want) {
			t.Fatalf("message %q lacks %q", ce.Message, want)
		}
	}
	// Strength 2 tells accents apart: "abç" is another key.
	mustInsert(t, e, bson.D{{Key: "_id", Value: 3}, {Key: "n", Value: "abç"}})
	// An update into a case variant of an existing key is refused too.
	_, err = update(e, nil, bson.D{{Key: "_id", Value: 3}}, bson.D{{Key: "$set", Value: bson.D{{Key: "n", Value: "ABc"}}}})
	wantCode(t, err, codes.DuplicateKey)
	// Building the index over case variants fails.
	other := engine.Namespace{DB: ns.DB, Coll: "variants"}
	if _, err := e.Insert(ctx, nil, other, []bson.Raw{doc(bson.D{{Key: "n", Value: "x"}}), doc(bson.D{{Key: "n", Value: "X"}})}, true, nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.CreateIndex(ctx, nil, other, engine.IndexSpec{Key: bson.D{{Key: "n", Value: 1}}, Unique: true, Collation: doc(enStrength2)})
	wantCode(t, err, codes.DuplicateKey)
	if _, err := e.CreateIndex(ctx, nil, other, engine.IndexSpec{Key: bson.D{{Key: "n", Value: 1}}, Unique: true}); err != nil {
		t.Fatalf("a binary unique index over x and X: %v", err)
	}
}

// TestCollation_UniqueIndexConcurrent races 32 inserters of case variants of one string into a unique
// index at strength 2: exactly one wins, the others get DuplicateKey.
func TestCollation_UniqueIndexConcurrent(t *testing.T) {
	e := openMem(t, engine.Options{})
	ctx := context.Background()
	if _, err := e.CreateIndex(ctx, nil, ns, engine.IndexSpec{Key: bson.D{{Key: "n", Value: 1}}, Unique: true, Collation: doc(enStrength2)}); err != nil {
		t.Fatal(err)
	}
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Variant i upper-cases the letters of "concordance" whose bit is set in i.
			b := []byte("concordance")
			for j := range b {
				if i>>(j%5)&1 == 1 {
					b[j] -= 'a' - 'A'
				}
			}
			res, err := e.Insert(ctx, nil, ns, []bson.Raw{doc(bson.D{{Key: "_id", Value: i}, {Key: "n", Value: string(b)}})}, true, nil)
			if err == nil && len(res.WriteErrors) > 0 {
				err = res.WriteErrors[0].Err
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case codes.CodeOf(err) != codes.DuplicateKey:
			t.Fatalf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d inserts won, want exactly 1", wins)
	}
	if got := len(findAll(t, e, nil, nil)); got != 1 {
		t.Fatalf("%d documents stored, want 1", got)
	}
}
