package merge_test

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/merge"
)

// gen makes random documents over a few keys with values of every BSON type the merge must keep apart
// (int32, int64 and double of the same number, decimal128, dates, ObjectIDs, null), sub-documents and arrays,
// and edits of them.
type gen struct{ r *rand.Rand }

var keys = []string{"a", "b", "c", "d", "e"}

func (g gen) value(depth int) any {
	n := int64(g.r.IntN(3))
	switch g.r.IntN(11) {
	case 0:
		return int32(n)
	case 1:
		return n
	case 2:
		return float64(n)
	case 3:
		d, _ := bson.ParseDecimal128([]string{"0", "1", "1.0"}[n])
		return d
	case 4:
		return bson.DateTime(n * 1000)
	case 5:
		return bson.ObjectID{byte(n)}
	case 6:
		return nil
	case 7:
		return []string{"x", "y", "z"}[n]
	case 8:
		return bson.A{n, int32(n)}
	default:
		if depth < 2 {
			return g.doc(depth + 1)
		}
		return n == 0
	}
}

func (g gen) doc(depth int) bson.D {
	d := bson.D{}
	for _, k := range keys[:2+g.r.IntN(len(keys)-1)] {
		if g.r.IntN(4) > 0 {
			d = append(d, bson.E{Key: k, Value: g.value(depth)})
		}
	}
	return d
}

// edit returns a copy of d with random changes: values replaced, fields deleted, added, or edited inside.
func (g gen) edit(d bson.D, depth int) bson.D {
	out := bson.D{}
	for _, e := range d {
		switch g.r.IntN(8) {
		case 0:
			continue // deleted
		case 1:
			out = append(out, bson.E{Key: e.Key, Value: g.value(depth)})
		case 2:
			if sub, ok := e.Value.(bson.D); ok {
				out = append(out, bson.E{Key: e.Key, Value: g.edit(sub, depth+1)})
				continue
			}
			fallthrough
		default:
			out = append(out, e)
		}
	}
	for _, k := range keys {
		if _, ok := lookup(out, k); !ok && g.r.IntN(8) == 0 {
			if _, was := lookup(d, k); !was {
				out = append(out, bson.E{Key: k, Value: g.value(depth)})
			}
		}
	}
	return out
}

func lookup(d bson.D, k string) (any, bool) {
	for _, e := range d {
		if e.Key == k {
			return e.Value, true
		}
	}
	return nil, false
}

func raw(d bson.D) bson.Raw {
	b, err := bson.Marshal(d)
	if err != nil {
		panic(err)
	}
	return b
}

// canon returns a document's fields sorted by key at every level, so that documents equal up to field order
// compare equal.
func canon(v bson.RawValue) string {
	if v.Type != bson.TypeEmbeddedDocument {
		return string(rune(v.Type)) + string(v.Value)
	}
	elems, _ := v.Document().Elements()
	parts := make([]string, len(elems))
	for i, e := range elems {
		parts[i] = e.Key() + "=" + canon(e.Value())
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

func canonDoc(d bson.Raw) string {
	return canon(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: d})
}

// leafDiffs returns the paths at which a and b differ, following sub-documents present on both sides.
func leafDiffs(a, b bson.Raw, prefix string, out *[]string) {
	seen := map[string]bool{}
	ae, _ := a.Elements()
	for _, e := range ae {
		k := e.Key()
		seen[k] = true
		bv, err := b.LookupErr(k)
		av := e.Value()
		switch {
		case err != nil:
			*out = append(*out, prefix+k)
		case av.Type == bson.TypeEmbeddedDocument && bv.Type == bson.TypeEmbeddedDocument:
			leafDiffs(av.Document(), bv.Document(), prefix+k+".", out)
		case av.Type != bv.Type || string(av.Value) != string(bv.Value):
			*out = append(*out, prefix+k)
		}
	}
	be, _ := b.Elements()
	for _, e := range be {
		if !seen[e.Key()] {
			*out = append(*out, prefix+e.Key())
		}
	}
}

// at returns the value at a dotted path, Type 0 when missing.
func at(d bson.Raw, path string) bson.RawValue {
	v, err := d.LookupErr(strings.Split(path, ".")...)
	if err != nil {
		return bson.RawValue{}
	}
	return v
}

// TestMerge_Properties checks, over random base, mine and theirs documents:
//   - merging with an unchanged side returns the other side exactly;
//   - the default policy is symmetric: swapping mine and theirs gives the same document up to field order, or
//     the same conflicting paths;
//   - a path changed on one side only always takes that side's value;
//   - no change is silently dropped: every path where mine or theirs differs from the base is covered by a
//     detected change, and every colliding change is either resolved by a rule or reported as a conflict;
//   - with a policy that resolves every collision (theirs), the merge never fails, and still takes every
//     one-sided change;
//   - the FieldTimestamps strategy resolves every collision and is symmetric.
func TestMerge_Properties(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	theirsWins := &merge.Policy{Default: merge.Theirs}
	for i := range 3000 {
		bd := g.doc(0)
		b, m, th := raw(bd), raw(g.edit(bd, 0)), raw(g.edit(bd, 0))

		if r, err := merge.Merge(b, b, th, merge.ThreeWay, nil); err != nil || string(r.Doc) != string(th) {
			t.Fatalf("case %d: merge with unchanged mine = %v, %v; want theirs %v", i, r.Doc, err, th)
		}
		if r, err := merge.Merge(b, m, b, merge.ThreeWay, nil); err != nil || string(r.Doc) != string(m) {
			t.Fatalf("case %d: merge with unchanged theirs = %v, %v; want mine %v", i, r.Doc, err, m)
		}

		r1, err1 := merge.Merge(b, m, th, merge.ThreeWay, nil)
		r2, err2 := merge.Merge(b, th, m, merge.ThreeWay, nil)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("case %d: asymmetric: %v / %v\nbase %v\nmine %v\ntheirs %v", i, err1, err2, b, m, th)
		}
		if err1 == nil && canonDoc(r1.Doc) != canonDoc(r2.Doc) {
			t.Fatalf("case %d: asymmetric merge %v / %v", i, r1.Doc, r2.Doc)
		}
		if err1 != nil && conflictPaths(r1) != conflictPaths(r2) {
			t.Fatalf("case %d: asymmetric conflicts %s / %s", i, conflictPaths(r1), conflictPaths(r2))
		}

		// Field timestamps (here all ties, broken by the values' bytes) resolve every collision, whichever
		// side is mine.
		t1, terr1 := merge.Merge(b, m, th, merge.FieldTimestamps, nil)
		t2, terr2 := merge.Merge(b, th, m, merge.FieldTimestamps, nil)
		if terr1 != nil || terr2 != nil || canonDoc(t1.Doc) != canonDoc(t2.Doc) {
			t.Fatalf("case %d: timestamps strategy asymmetric or failing: %v / %v, %v / %v", i, t1.Doc, t2.Doc, terr1, terr2)
		}

		changes := merge.Detect(b, m, th, nil)
		covered := func(p string) bool {
			for _, c := range changes {
				if c.Path == p || strings.HasPrefix(p, c.Path+".") || strings.HasPrefix(c.Path, p+".") {
					return true
				}
			}
			return false
		}
		var diffs []string
		leafDiffs(b, m, "", &diffs)
		leafDiffs(b, th, "", &diffs)
		for _, p := range diffs {
			if !covered(p) {
				t.Fatalf("case %d: change at %s not detected\nbase %v\nmine %v\ntheirs %v", i, p, b, m, th)
			}
		}
		rt := mustMerge(t, b, m, th, theirsWins)
		for _, c := range changes {
			if v := at(rt.Doc, c.Path); c.Collides && (v.Type != c.Theirs.Type || string(v.Value) != string(c.Theirs.Value)) {
				t.Fatalf("case %d: collision at %s under theirs: %v, want %v", i, c.Path, v, c.Theirs)
			}
		}
		for _, res := range []*merge.Result{r1, rt} {
			handled := map[string]bool{}
			for _, c := range res.Conflicts {
				handled[c.Path] = true
			}
			for _, r := range res.Resolved {
				handled[r.Path] = true
			}
			for _, c := range changes {
				switch {
				case c.Collides:
					if !handled[c.Path] {
						t.Fatalf("case %d: collision at %s neither resolved nor reported", i, c.Path)
					}
				case res.Doc == nil:
				case c.MineChanged && !c.TheirsChanged:
					if v := at(res.Doc, c.Path); v.Type != c.Mine.Type || string(v.Value) != string(c.Mine.Value) {
						t.Fatalf("case %d: mine's change at %s dropped: %v, want %v", i, c.Path, v, c.Mine)
					}
				case c.TheirsChanged:
					if v := at(res.Doc, c.Path); v.Type != c.Theirs.Type || string(v.Value) != string(c.Theirs.Value) {
						t.Fatalf("case %d: theirs' change at %s dropped: %v, want %v", i, c.Path, v, c.Theirs)
					}
				}
			}
		}
	}
}

func mustMerge(t *testing.T, b, m, th bson.Raw, p *merge.Policy) *merge.Result {
	t.Helper()
	r, err := merge.Merge(b, m, th, merge.ThreeWay, p)
	if err != nil {
		t.Fatalf("merge under %+v: %v", p, err)
	}
	return r
}

func conflictPaths(r *merge.Result) string {
	var ps []string
	for _, c := range r.Conflicts {
		ps = append(ps, c.Path+" "+c.Reason)
	}
	sort.Strings(ps)
	return strings.Join(ps, ",")
}
