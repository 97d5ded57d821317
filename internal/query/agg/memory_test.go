package agg_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
)

// memoryDocs returns n documents {_id: i, g: i % groups, v: i % 7, s: <pad>}
// whose _id order differs from their v order, so a sort has work to do and
// ties (equal v) show whether it is stable.
func memoryDocs(n, groups int) []bson.Raw {
	pad := strings.Repeat("p", 100)
	docs := make([]bson.Raw, n)
	for i := range docs {
		d, err := bson.Marshal(bson.D{{Key: "_id", Value: i}, {Key: "g", Value: i % groups}, {Key: "v", Value: i % 7}, {Key: "s", Value: pad}})
		if err != nil {
			panic(err)
		}
		docs[i] = d
	}
	return docs
}

// runWith runs pipeline over docs with opts, spilling into a fresh
// directory that it checks is empty once the output is closed.
func runWith(t *testing.T, pipeline string, docs []bson.Raw, opts agg.Options) ([]bson.Raw, error) {
	t.Helper()
	p, err := agg.Compile(aggDocs(t, pipeline))
	if err != nil {
		t.Fatal(err)
	}
	opts.TempDir = t.TempDir()
	it := p.Open(context.Background(), agg.Docs(docs), nil, opts)
	out, err := agg.Drain(it)
	if cerr := it.Close(); cerr != nil {
		t.Fatalf("close: %v", cerr)
	}
	if left, _ := os.ReadDir(opts.TempDir); len(left) > 0 {
		t.Fatalf("%d spill files left after close", len(left))
	}
	return out, err
}

// canon renders documents one per line, sorted when unordered is set.
func canon(t *testing.T, docs []bson.Raw, unordered bool) string {
	lines := make([]string, len(docs))
	for i, d := range docs {
		lines[i] = aggCanonDoc(t, d)
	}
	if unordered {
		slices.Sort(lines)
	}
	return strings.Join(lines, "\n")
}

// TestMemoryLimit runs $sort and $group under a memory limit that 2,000
// documents of ~140 bytes exceed many times over: with disk use allowed
// the result equals the unlimited run's (in the same order for $sort,
// whose ties keep their input order across spilled runs), and without it
// the stage fails with mongod's code and message.
func TestMemoryLimit(t *testing.T) {
	docs := memoryDocs(2000, 300)
	const limit = 16 << 10
	for _, tc := range []struct {
		name, pipeline string
		unordered      bool // $group's output order is unspecified once it spills
		msg            string
	}{
		{"sort", `[{"$sort": {"v": 1}}]`, false,
			fmt.Sprintf("Sort exceeded memory limit of %d bytes, but did not opt in to external sorting.", limit)},
		{"sort/descending-compound", `[{"$sort": {"v": -1, "g": 1}}, {"$project": {"s": 0}}]`, false,
			fmt.Sprintf("Sort exceeded memory limit of %d bytes, but did not opt in to external sorting.", limit)},
		{"group/every-accumulator", `[{"$group": {"_id": "$g", "n": {"$sum": 1}, "sum": {"$sum": "$v"}, "avg": {"$avg": "$v"},
			"min": {"$min": "$_id"}, "max": {"$max": "$_id"}, "first": {"$first": "$_id"}, "last": {"$last": "$_id"},
			"push": {"$push": "$v"}, "set": {"$addToSet": "$v"}, "sd": {"$stdDevPop": "$v"},
			"merged": {"$mergeObjects": {"a": "$v"}}, "count": {"$count": {}}}}]`, true,
			"Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in."},
		{"sortByCount", `[{"$sortByCount": "$g"}]`, true,
			"Exceeded memory limit for $group, but didn't allow external sort. Pass allowDiskUse:true to opt in."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := runWith(t, tc.pipeline, docs, agg.Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := runWith(t, tc.pipeline, docs, agg.Options{MemoryLimit: limit})
			if err != nil {
				t.Fatalf("with disk use: %v", err)
			}
			if g, w := canon(t, got, tc.unordered), canon(t, want, tc.unordered); g != w {
				t.Fatalf("spilled result differs:\ngot  %.600s\nwant %.600s", g, w)
			}
			_, err = runWith(t, tc.pipeline, docs, agg.Options{MemoryLimit: limit, NoDiskUse: true})
			e, ok := codes.As(err)
			if !ok || e.Code != codes.QueryExceededMemoryLimitNoDiskUseAllowed || e.Message != tc.msg {
				t.Fatalf("without disk use: %v, want code 292 %q", err, tc.msg)
			}
		})
	}
}

// TestMemoryLimit_UnderLimitKeepsFirstSeenOrder: a $group that fits keeps
// the groups in the order their key was first seen, and NoDiskUse changes
// nothing for it.
func TestMemoryLimit_UnderLimitKeepsFirstSeenOrder(t *testing.T) {
	docs := memoryDocs(50, 5)
	got, err := runWith(t, `[{"$group": {"_id": "$g", "n": {"$sum": 1}}}]`, docs, agg.Options{MemoryLimit: 1 << 20, NoDiskUse: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int32
	for _, d := range got {
		ids = append(ids, d.Lookup("_id").Int32())
	}
	if !slices.Equal(ids, []int32{0, 1, 2, 3, 4}) {
		t.Fatalf("group order %v", ids)
	}
}

// TestMemoryLimit_CloseEarlyRemovesSpill: closing a spilled $sort before
// reading its output removes its file too.
func TestMemoryLimit_CloseEarlyRemovesSpill(t *testing.T) {
	p, err := agg.Compile(aggDocs(t, `[{"$sort": {"v": 1}}]`))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	it := p.Open(context.Background(), agg.Docs(memoryDocs(500, 10)), nil, agg.Options{MemoryLimit: 4 << 10, TempDir: dir})
	if d, err := it.Next(); err != nil || d == nil {
		t.Fatalf("first document: %v %v", d, err)
	}
	if err := it.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Fatalf("%d spill files left after close", len(left))
	}
}

// TestFacet_Limits checks $facet's bounds: its held input and its output
// document fail past the memory limit, each with its code.
func TestFacet_Limits(t *testing.T) {
	var docs []bson.Raw
	for range 50 {
		docs = append(docs, aggDoc(t, `{"pad": "`+strings.Repeat("x", 100)+`"}`))
	}
	run := func(stage string, limit int64) error {
		p, err := agg.Compile([]bson.Raw{aggDoc(t, stage)})
		if err != nil {
			t.Fatal(err)
		}
		it := p.Open(context.Background(), agg.Docs(docs), nil, agg.Options{MemoryLimit: limit})
		defer it.Close()
		_, err = agg.Drain(it)
		return err
	}
	if err := run(`{"$facet": {"n": [{"$count": "n"}]}}`, 2000); codes.CodeOf(err) != codes.QueryExceededMemoryLimitNoDiskUseAllowed {
		t.Fatalf("input over the limit: %v, want 292", err)
	}
	// 50 documents of about 120 bytes fit in 9000 bytes of input, but two
	// copies of them do not fit in one output document of 9000 bytes.
	if err := run(`{"$facet": {"a": [], "b": []}}`, 9000); codes.CodeOf(err) != 4031700 {
		t.Fatalf("output over the limit: %v, want 4031700", err)
	}
	if err := run(`{"$facet": {"a": [], "b": []}}`, 1<<20); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}

// TestMemoryLimit_SortLimit: a $sort that a $limit follows (with $skips between, or not) holds only the documents
// it returns, so under a memory limit that the whole input exceeds it needs no disk; its output equals the whole
// sort's, sliced, ties in input order. Where those documents themselves exceed the limit it spills (or fails
// without disk use) as a whole sort does. A $limit after another stage limits nothing before it.
func TestMemoryLimit_SortLimit(t *testing.T) {
	docs := memoryDocs(2000, 300)
	const limit = 16 << 10 // about 110 documents
	for _, tc := range []struct {
		name, pipeline, whole string
		skip, n               int
		fits                  bool
	}{
		{"limit", `[{"$sort": {"v": 1}}, {"$limit": 20}]`, `[{"$sort": {"v": 1}}]`, 0, 20, true},
		{"skip-limit", `[{"$sort": {"v": -1, "g": 1}}, {"$skip": 30}, {"$skip": 5}, {"$limit": 40}]`, `[{"$sort": {"v": -1, "g": 1}}]`, 35, 40, true},
		{"limit-over-input", `[{"$sort": {"g": 1}}, {"$limit": 5000}]`, `[{"$sort": {"g": 1}}]`, 0, 5000, false},
		{"limit-over-memory", `[{"$sort": {"v": 1}}, {"$limit": 300}]`, `[{"$sort": {"v": 1}}]`, 0, 300, false},
		{"limit-not-next", `[{"$sort": {"v": 1}}, {"$project": {"s": 0}}, {"$limit": 20}]`, `[{"$sort": {"v": 1}}, {"$project": {"s": 0}}]`, 0, 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, err := runWith(t, tc.whole, docs, agg.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := whole[min(tc.skip, len(whole)):min(tc.skip+tc.n, len(whole))]
			got, err := runWith(t, tc.pipeline, docs, agg.Options{MemoryLimit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := canon(t, got, false), canon(t, want, false); g != w {
				t.Fatalf("got  %.600s\nwant %.600s", g, w)
			}
			got, err = runWith(t, tc.pipeline, docs, agg.Options{MemoryLimit: limit, NoDiskUse: true})
			if tc.fits {
				if err != nil {
					t.Fatalf("without disk use: %v", err)
				}
				if g, w := canon(t, got, false), canon(t, want, false); g != w {
					t.Fatalf("without disk use:\ngot  %.600s\nwant %.600s", g, w)
				}
				return
			}
			if e, ok := codes.As(err); !ok || e.Code != codes.QueryExceededMemoryLimitNoDiskUseAllowed {
				t.Fatalf("without disk use: %v, want code 292", err)
			}
		})
	}
}
