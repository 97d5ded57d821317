package engine

import (
	"context"
	"math"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/query/filter"
	"github.com/concorddb/concord/internal/query/order"
	"github.com/concorddb/concord/internal/query/projection"
)

// PlanDescription is the access path the engine picks for a filter, as explain's winningPlan shows it. It is
// what the query runs: the same planFor decides both.
type PlanDescription struct {
	// Stage is "EOF" (no collection), "COLLSCAN", "IDHACK" (one _id equality) or "IXSCAN".
	Stage string
	// IndexName, KeyPattern and Unique describe the scanned index (IXSCAN only).
	IndexName  string
	KeyPattern bson.D
	Unique     bool
	// Bounds are mongod's indexBounds of an IXSCAN: each key pattern field with its intervals, written as
	// mongod writes them ("[1, 1]", "(5, inf.0]", "[MinKey, MaxKey]").
	Bounds bson.D
	// Summary is the profiler's planSummary of the plan.
	Summary string
	// Covered reports that the read answers from the index entries alone (mongod's PROJECTION_COVERED over
	// IXSCAN, no FETCH; see DescribeFind).
	Covered bool
	// Sparse, Partial and MultiKey describe the scanned index (IXSCAN of a secondary index).
	Sparse, Partial, MultiKey bool
	// Direction is "backward" when the index is read in reverse, else "" (forward).
	Direction string
	// Sorted reports that the plan returns documents in the statement's sort order (no SORT stage), Merge
	// that it does so by merging one IXSCAN per combination of the leading fields' values (SORT_MERGE), whose
	// bounds are MergeBounds.
	Sorted, Merge bool
	MergeBounds   []bson.D
}

// DescribePlan returns the plan a query with filterDoc on ns would use now. It reads the latest catalog, as
// explain does.
func (e *Engine) DescribePlan(ns Namespace, filterDoc bson.Raw) (PlanDescription, error) {
	return e.DescribeHintedPlan(context.Background(), ns, filterDoc, nil, "")
}

// DescribeHintedPlan is DescribePlan for a statement hinted to the index with key pattern hint, or named
// hintName when hint is nil (see WithHint); a hint naming no usable index is BadValue (2), as the statement
// would fail. The filter's $expr may use the let variables of ctx (WithLet).
func (e *Engine) DescribeHintedPlan(ctx context.Context, ns Namespace, filterDoc, hint bson.Raw, hintName string) (PlanDescription, error) {
	if err := e.enter(); err != nil {
		return PlanDescription{}, err
	}
	defer e.exit()
	f, err := filter.CompileIn(filterDoc, scopeFrom(ctx))
	if err != nil {
		return PlanDescription{}, err
	}
	p, err := planWith(e.lookupColl(ns), f, planOptions{hint: hint, hintName: hintName})
	if err != nil {
		return PlanDescription{}, err
	}
	return describe(p, f), nil
}

// DescribeFind returns the plan the find spec on ns would use now, as Find plans it (sort, hint, min / max,
// collation, projection and the let variables of ctx included): the one plan description that also says whether the read is covered.
func (e *Engine) DescribeFind(ctx context.Context, ns Namespace, spec FindSpec) (PlanDescription, error) {
	if err := e.enter(); err != nil {
		return PlanDescription{}, err
	}
	defer e.exit()
	sc := stringComparer(spec.Collation)
	f, err := filter.CompileColl(spec.Filter, scopeFrom(ctx), sc)
	if err != nil {
		return PlanDescription{}, err
	}
	o := planOptions{hint: spec.Hint, hintName: spec.HintName, min: spec.Min, max: spec.Max, collated: sc != nil}
	if len(spec.Sort) > 0 {
		if o.sort, err = order.CompileColl(spec.Sort, sc); err != nil {
			return PlanDescription{}, err
		}
	}
	if len(spec.Projection) > 0 {
		if o.project, err = projection.Compile(spec.Projection); err != nil {
			return PlanDescription{}, err
		}
	}
	p, err := planWith(e.lookupColl(ns), f, o)
	if err != nil {
		return PlanDescription{}, err
	}
	return describe(p, f), nil
}

// describe is the description of plan p for filter f.
func describe(p *plan, f *filter.Filter) PlanDescription {
	d := PlanDescription{Summary: p.summary, Covered: p.covered, Sorted: p.sorted, Merge: p.merge}
	if p.reverse {
		d.Direction = "backward"
	}
	switch p.kind {
	case planCollScan:
		d.Stage = p.summary // COLLSCAN or EOF
	case planIDHack:
		d.Stage = "IDHACK"
	case planIDPoints, planIDRange:
		d.Stage, d.IndexName, d.Unique = "IXSCAN", "_id_", true
		d.KeyPattern = bson.D{{Key: "_id", Value: int32(1)}}
		d.Bounds = bson.D{{Key: "_id", Value: fieldBoundsOf(f, "_id", false)}}
	case planIndex:
		d.Stage, d.IndexName, d.Unique, d.KeyPattern = "IXSCAN", p.ix.name, p.ix.unique, p.ix.key
		d.Sparse, d.Partial, d.MultiKey = p.ix.sparse, p.ix.partial != nil, p.ix.isMultikey()
		if p.wildcardPath != "" {
			d.KeyPattern = wildcardPattern(p.wildcardPath)
			d.Bounds = bson.D{{Key: "$_path", Value: bson.A{`["` + p.wildcardPath + `", "` + p.wildcardPath + `"]`}},
				{Key: p.wildcardPath, Value: fieldBoundsOf(f, p.wildcardPath, false)}}
			break
		}
		for _, fd := range p.ix.fields {
			d.Bounds = append(d.Bounds, bson.E{Key: fd.path, Value: fieldBoundsOf(f, fd.path, fd.desc)})
		}
		if p.merge {
			d.MergeBounds = mergeBounds(d.Bounds)
		}
	}
	return d
}

// mergeBounds splits bounds into the bounds of each scan a merge sort runs: one point of each field with
// several points (in order), the other fields' intervals as they are.
func mergeBounds(bounds bson.D) []bson.D {
	out := []bson.D{{}}
	for _, e := range bounds {
		ivs, _ := e.Value.(bson.A)
		if len(ivs) <= 1 {
			for i := range out {
				out[i] = append(out[i], e)
			}
			continue
		}
		next := make([]bson.D, 0, len(out)*len(ivs))
		for _, o := range out {
			for _, iv := range ivs {
				next = append(next, append(append(bson.D(nil), o...), bson.E{Key: e.Key, Value: bson.A{iv}}))
			}
		}
		out = next
	}
	return out
}

// boundsOf writes the intervals of cd as mongod's explain does, in index order (reversed for a descending
// field). A range stops at the end of its value's type bracket, as the scan does.
// fieldBoundsOf is explain's indexBounds entry for path: the bounds of the first condition of f on path that
// an index can serve, or every value when there is none.
func fieldBoundsOf(f *filter.Filter, path string, desc bool) bson.A {
	for _, cd := range f.Conditions() {
		if cd.Path == path && planUsable(cd) {
			return boundsOf(cd, desc)
		}
	}
	return bson.A{"[MinKey, MaxKey]"}
}

func boundsOf(cd filter.Condition, desc bool) bson.A {
	var out bson.A
	switch cd.Op {
	case filter.CondEq, filter.CondIn:
		vals := append([]bson.RawValue(nil), cd.Values...)
		sortValues(vals)
		if desc {
			for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
				vals[i], vals[j] = vals[j], vals[i]
			}
		}
		seen := map[string]bool{}
		for _, v := range vals {
			s := boundValue(v)
			if !seen[s] {
				seen[s] = true
				out = append(out, "["+s+", "+s+"]")
			}
		}
		return out
	}
	v := cd.Values[0]
	lo, hi := bracketEnds(v)
	s := boundValue(v)
	var open, close, a, b string
	switch cd.Op {
	case filter.CondGt:
		open, a, b, close = "(", s, hi, "]"
	case filter.CondGte:
		open, a, b, close = "[", s, hi, "]"
	case filter.CondLt:
		open, a, b, close = "[", lo, s, ")"
	default: // CondLte
		open, a, b, close = "[", lo, s, "]"
	}
	if desc {
		open, close = mirror(close), mirror(open)
		a, b = b, a
	}
	return bson.A{open + a + ", " + b + close}
}

// mirror turns an interval's end bracket into the other end's form: "]" <-> "[", ")" <-> "(".
func mirror(s string) string {
	switch s {
	case "]":
		return "["
	case "[":
		return "]"
	case ")":
		return "("
	}
	return ")"
}

// bracketEnds are the ends of v's type bracket as mongod prints them.
func bracketEnds(v bson.RawValue) (string, string) {
	switch {
	case v.IsNumber():
		return "-inf.0", "inf.0"
	case v.Type == bson.TypeString || v.Type == bson.TypeSymbol:
		return `""`, "{}"
	case v.Type == bson.TypeEmbeddedDocument:
		return "{}", "[]"
	case v.Type == bson.TypeDateTime:
		return "new Date(-9223372036854775808)", "new Date(9223372036854775807)"
	case v.Type == bson.TypeObjectID:
		return "ObjectId('000000000000000000000000')", "ObjectId('ffffffffffffffffffffffff')"
	}
	return "MinKey", "MaxKey"
}

// boundValue prints one value as mongod's index bounds do.
func boundValue(v bson.RawValue) string {
	switch v.Type {
	case bson.TypeInt32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case bson.TypeInt64:
		return strconv.FormatInt(v.Int64(), 10)
	case bson.TypeDouble:
		f := v.Double()
		switch {
		case math.IsInf(f, 1):
			return "inf.0"
		case math.IsInf(f, -1):
			return "-inf.0"
		case f == math.Trunc(f) && math.Abs(f) < 1e15:
			return strconv.FormatFloat(f, 'f', 1, 64)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	case bson.TypeString:
		return strconv.Quote(v.StringValue())
	case bson.TypeNull:
		return "null"
	case bson.TypeBoolean:
		return strconv.FormatBool(v.Boolean())
	case bson.TypeObjectID:
		return "ObjectId('" + v.ObjectID().Hex() + "')"
	case bson.TypeDateTime:
		return "new Date(" + strconv.FormatInt(v.DateTime(), 10) + ")"
	}
	return v.String()
}
