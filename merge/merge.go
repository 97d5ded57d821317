// Package merge detects and resolves conflicting edits of one document: given the base the caller read, the
// caller's edited copy (mine) and the document as it is now (theirs), it finds, per field path, which side
// changed what, and builds the merged document field by field under a per-field Policy (three-way merge), or
// applies a whole-document strategy (last-write-wins, first-write-wins, field timestamps, a custom resolver).
// Resolve writes the merged document with a version check on theirs' version (package occ) and merges again if
// the document moved meanwhile; it can log every resolution in a conflict log collection and counts them.
//
// Values are compared and kept as BSON: int32, int64, double and decimal128 are different values even when
// numerically equal, dates stay dates, ObjectIDs stay ObjectIDs, and null is a value where a missing field is
// not. Merge and Detect are pure functions, safe for concurrent use.
package merge

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
)

// Strategy is how a merge treats the document as a whole.
type Strategy int8

const (
	// ThreeWay merges field by field: a field changed on one side takes that side, a field changed alike on
	// both takes it, and a collision is decided by the field's rule (Policy).
	ThreeWay Strategy = iota
	// LastWriteWins replaces theirs by mine; every change of theirs that mine drops is reported.
	LastWriteWins
	// FirstWriteWins keeps theirs; every change of mine is dropped and reported.
	FirstWriteWins
	// FieldTimestamps merges field by field and decides every collision without a Mine, Theirs or Custom rule
	// by the field timestamps: the later change wins, ties broken by comparing the values' BSON bytes, so
	// that the result does not depend on which side is mine.
	FieldTimestamps
	// CustomStrategy merges field by field and asks Policy.Resolver for every collision.
	CustomStrategy
)

var strategyNames = [...]string{ThreeWay: "merge", LastWriteWins: "lww", FirstWriteWins: "fww", FieldTimestamps: "timestamps", CustomStrategy: "custom"}

func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return "Strategy(" + strconv.Itoa(int(s)) + ")"
}

// Change is one field path that differs between the three versions, at the depth where the merge decides it:
// sub-documents are followed into, arrays are one value unless their rule merges elements.
type Change struct {
	Path string
	// Base, Mine and Theirs are the path's values; Type 0 (a zero RawValue) when missing.
	Base, Mine, Theirs bson.RawValue
	MineChanged        bool
	TheirsChanged      bool
	// Collides is true when both sides changed the path, to different values.
	Collides bool
}

// Resolution says how a collision (or a change a strategy dropped) was decided.
type Resolution struct {
	Path string
	// By is the rule that decided: mine, theirs, lww, custom, counter, set, append.
	By string
}

// Conflict is a collision no rule resolved.
type Conflict struct {
	Path               string
	Base, Mine, Theirs bson.RawValue
	// Reason says why: "both changed", "delete against modify", "type change against edit", "counter out of
	// bounds", or a resolver's error.
	Reason string
}

// Result is the outcome of a merge.
type Result struct {
	// Doc is the merged document; nil when Conflicts is not empty.
	Doc bson.Raw
	// Changes lists every path that differs, in document order.
	Changes []Change
	// Resolved lists the collisions a rule decided; Conflicts the ones none did.
	Resolved  []Resolution
	Conflicts []Conflict
}

// ErrConflict matches every *ConflictError.
var ErrConflict = errors.New("merge: unresolved conflicts")

// ConflictError lists the collisions a merge could not resolve; nothing was written.
type ConflictError struct {
	Conflicts []Conflict
}

func (e *ConflictError) Error() string {
	paths := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		paths[i] = c.Path + " (" + c.Reason + ")"
	}
	return "merge: unresolved conflicts at " + strings.Join(paths, ", ")
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Detect returns every path that differs between base, mine and theirs, with which side changed it and whether
// the changes collide, as a three-way merge under p would see them.
func Detect(base, mine, theirs bson.Raw, p *Policy) []Change {
	m := merger{p: p, strategy: ThreeWay, detectOnly: true}
	m.run(base, mine, theirs)
	return m.res.Changes
}

// Merge merges mine and theirs, both edited from base, under strategy s and policy p. When a collision is left
// unresolved the error is a *ConflictError (the Result still lists everything) and Result.Doc is nil.
func Merge(base, mine, theirs bson.Raw, s Strategy, p *Policy) (*Result, error) {
	m := merger{p: p, strategy: s}
	m.run(base, mine, theirs)
	if len(m.res.Conflicts) > 0 {
		m.res.Doc = nil
		return &m.res, &ConflictError{Conflicts: m.res.Conflicts}
	}
	return &m.res, nil
}

type merger struct {
	p          *Policy
	strategy   Strategy
	detectOnly bool
	// stampsMine and stampsTheirs are the field timestamps of each side.
	stampsMine, stampsTheirs bson.Raw
	res                      Result
}

func (m *merger) run(base, mine, theirs bson.Raw) {
	tf := m.p.timestampField()
	m.stampsMine, _ = mine.Lookup(tf).DocumentOK()
	m.stampsTheirs, _ = theirs.Lookup(tf).DocumentOK()
	switch m.strategy {
	case LastWriteWins, FirstWriteWins:
		// Detect what differs, then keep one side whole.
		d := merger{p: m.p, detectOnly: true}
		d.run(base, mine, theirs)
		m.res.Changes = d.res.Changes
		by := "mine"
		if m.strategy == FirstWriteWins {
			by = "theirs"
		}
		for _, c := range m.res.Changes {
			if (m.strategy == LastWriteWins && c.TheirsChanged && !equal(c.Mine, c.Theirs)) ||
				(m.strategy == FirstWriteWins && c.MineChanged && !equal(c.Mine, c.Theirs)) {
				m.res.Resolved = append(m.res.Resolved, Resolution{Path: c.Path, By: by})
			}
		}
		doc := theirs
		if m.strategy == LastWriteWins {
			// Mine over theirs, except the pipeline's fields (_id, version, stamps), which stay theirs.
			doc = m.doc("", "", theirs, mine, theirs, true)
			m.res.Changes = d.res.Changes
		}
		m.res.Doc = doc
		return
	}
	m.res.Doc = m.doc("", "", base, mine, theirs, true)
}

var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// doc merges three documents (any may be nil: missing) into a new one. Keys come in theirs' order, then mine's
// new keys in mine's order. top marks the document itself, whose ignored fields stay theirs.
func (m *merger) doc(rulePrefix, pathPrefix string, b, x, y bson.Raw, top bool) bson.Raw {
	if b == nil {
		b = emptyDoc
	}
	if x == nil {
		x = emptyDoc
	}
	if y == nil {
		y = emptyDoc
	}
	idx, out := bsoncore.AppendDocumentStart(make([]byte, 0, len(y)+len(x)/4))
	yElems, _ := y.Elements()
	xElems, _ := x.Elements()
	bElems, _ := b.Elements()
	for i, e := range yElems {
		kb := keyOf(e)
		yv := e.Value()
		bv, xv := find(bElems, kb, i), find(xElems, kb, i)
		if equal(bv, xv) && equal(bv, yv) {
			out = append(out, e...) // unchanged: copied as is
			continue
		}
		k := string(kb)
		if top && m.p.ignored(k) {
			if k == m.p.timestampField() && m.strategy != FirstWriteWins {
				if v, ok := m.mergeStamps(); ok {
					out = appendValue(out, k, v)
					continue
				}
			}
			out = appendValue(out, k, yv)
			continue
		}
		v := m.field(rulePrefix+k, pathPrefix+k, bv, xv, yv)
		if v.Type != 0 {
			out = appendValue(out, k, v)
		}
	}
	for i, e := range xElems {
		if find(yElems, keyOf(e), i).Type != 0 {
			continue
		}
		k := e.Key()
		if top && m.p.ignored(k) {
			if k == m.p.timestampField() && m.strategy != FirstWriteWins {
				out = appendValue(out, k, e.Value())
			}
			continue
		}
		v := m.field(rulePrefix+k, pathPrefix+k, find(bElems, keyOf(e), i), e.Value(), bson.RawValue{})
		if v.Type != 0 {
			out = appendValue(out, k, v)
		}
	}
	// Keys of the base missing on both sides: deleted alike, but still a change to report.
	for i, e := range bElems {
		if find(xElems, keyOf(e), i).Type != 0 || find(yElems, keyOf(e), i).Type != 0 {
			continue
		}
		k := e.Key()
		if top && m.p.ignored(k) {
			continue
		}
		m.res.Changes = append(m.res.Changes, Change{Path: pathPrefix + k, Base: e.Value(), MineChanged: true, TheirsChanged: true})
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return out
}

// find returns the value of key among elems, looking first at position hint: documents edited from one base
// mostly keep its field order, which makes the lookups of a merge linear instead of quadratic.
func find(elems []bson.RawElement, key []byte, hint int) bson.RawValue {
	if hint < len(elems) && bytes.Equal(keyOf(elems[hint]), key) {
		return elems[hint].Value()
	}
	for _, e := range elems {
		if bytes.Equal(keyOf(e), key) {
			return e.Value()
		}
	}
	return bson.RawValue{}
}

// keyOf returns an element's key without copying it.
func keyOf(e bson.RawElement) []byte { return bsoncore.Element(e).KeyBytes() }

func appendValue(dst []byte, key string, v bson.RawValue) []byte {
	return bsoncore.AppendValueElement(dst, key, bsoncore.Value{Type: bsoncore.Type(v.Type), Data: v.Value})
}

func equal(a, b bson.RawValue) bool { return a.Type == b.Type && bytes.Equal(a.Value, b.Value) }

func isDoc(v bson.RawValue) bool   { return v.Type == bson.TypeEmbeddedDocument }
func isArray(v bson.RawValue) bool { return v.Type == bson.TypeArray }

// field decides one path. A returned Type 0 means "leave the field out".
func (m *merger) field(rp, p string, b, x, y bson.RawValue) bson.RawValue {
	xc, yc := !equal(b, x), !equal(b, y)
	if !xc && !yc {
		return y
	}
	ch := Change{Path: p, Base: b, Mine: x, Theirs: y, MineChanged: xc, TheirsChanged: yc}
	rule := m.p.rule(rp)
	if rule.Kind == Counter && xc && yc && !m.detectOnly {
		// Two equal changes of a counter are two increments, not one.
		if v, ok, reason := counter(b, x, y, rule); ok || reason != "" {
			ch.Collides = !equal(x, y)
			m.res.Changes = append(m.res.Changes, ch)
			if !ok {
				m.res.Conflicts = append(m.res.Conflicts, Conflict{Path: p, Base: b, Mine: x, Theirs: y, Reason: reason})
				return y
			}
			m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: "counter"})
			return v
		}
	}
	if equal(x, y) || !xc || !yc {
		m.res.Changes = append(m.res.Changes, ch)
		if !xc {
			return y
		}
		return x
	}
	// Sub-documents on both sides merge field by field (a base that was no document counts as empty), unless
	// a rule takes the path whole.
	if isDoc(x) && isDoc(y) && (isDoc(b) || b.Type == 0) && !wholeRule(rule.Kind) {
		var bd bson.Raw
		if isDoc(b) {
			bd = b.Document()
		}
		d := m.doc(childRulePrefix(rp), p+".", bd, x.Document(), y.Document(), false)
		return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: d}
	}
	ch.Collides = true
	m.res.Changes = append(m.res.Changes, ch)
	if m.detectOnly {
		return y
	}
	switch rule.Kind {
	case Set, Keyed, Append:
		if isArray(x) && isArray(y) && (isArray(b) || b.Type == 0) {
			if v, ok := m.array(rule, rp, p, b, x, y); ok {
				if rule.Kind != Keyed {
					m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: rule.Kind.String()})
				}
				return v
			}
		}
	}
	return m.collide(rule, p, b, x, y)
}

// wholeRule reports the rules that decide a path as one value, without looking inside.
func wholeRule(k Kind) bool {
	return k == Mine || k == Theirs || k == LWW || k == Custom || k == Atomic
}

// childRulePrefix returns the rule prefix of a document's fields: elements of a keyed array share their array's.
func childRulePrefix(rp string) string { return strings.TrimSuffix(rp, ".[]") + "." }

// collide decides a collision the structure could not: by the rule, else the strategy, else the policy's
// default.
func (m *merger) collide(rule Rule, p string, b, x, y bson.RawValue) bson.RawValue {
	kind := rule.Kind
	if kind != Mine && kind != Theirs && kind != LWW && kind != Custom {
		switch m.strategy {
		case FieldTimestamps:
			kind = LWW
		case CustomStrategy:
			kind = Custom
		default:
			kind = Error
			if m.p != nil {
				kind = m.p.Default
			}
		}
	}
	switch kind {
	case Mine:
		m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: "mine"})
		return x
	case Theirs:
		m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: "theirs"})
		return y
	case LWW:
		m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: "lww"})
		return m.lww(p, x, y)
	case Custom:
		if m.p == nil || m.p.Resolver == nil {
			m.res.Conflicts = append(m.res.Conflicts, Conflict{Path: p, Base: b, Mine: x, Theirs: y, Reason: "custom rule without a resolver"})
			return y
		}
		v, err := m.p.Resolver(p, b, x, y)
		if err != nil {
			m.res.Conflicts = append(m.res.Conflicts, Conflict{Path: p, Base: b, Mine: x, Theirs: y, Reason: err.Error()})
			return y
		}
		m.res.Resolved = append(m.res.Resolved, Resolution{Path: p, By: "custom"})
		return v
	}
	reason := "both changed"
	switch {
	case x.Type == 0 || y.Type == 0:
		reason = "delete against modify"
	case x.Type != y.Type && (isDoc(b) || isArray(b)):
		reason = "type change against edit"
	}
	m.res.Conflicts = append(m.res.Conflicts, Conflict{Path: p, Base: b, Mine: x, Theirs: y, Reason: reason})
	return y
}

// lww picks the side whose field timestamp is later. Without timestamps on either side the per-field rule
// takes mine (the later writer) and the FieldTimestamps strategy breaks the tie; equal timestamps are a tie,
// broken by the greater (type, bytes) so that swapping the sides gives the same answer.
func (m *merger) lww(p string, x, y bson.RawValue) bson.RawValue {
	tx, ty := stampOf(m.stampsMine, p), stampOf(m.stampsTheirs, p)
	switch {
	case tx.After(ty):
		return x
	case ty.After(tx):
		return y
	case tx.IsZero() && m.strategy != FieldTimestamps:
		return x
	}
	if x.Type != y.Type {
		if x.Type > y.Type {
			return x
		}
		return y
	}
	if bytes.Compare(x.Value, y.Value) >= 0 {
		return x
	}
	return y
}

// stampOf returns the timestamp of path p in stamps, which nest as the document does ({"meta": {"color":
// date}}): p's own, the latest inside p when p is a sub-document whose fields were stamped one by one, else its
// nearest stamped ancestor's.
func stampOf(stamps bson.Raw, p string) time.Time {
	if stamps == nil {
		return time.Time{}
	}
	segs := strings.Split(p, ".")
	for n := len(segs); n > 0; n-- {
		v, err := stamps.LookupErr(segs[:n]...)
		if err != nil {
			continue
		}
		if d, ok := v.DateTimeOK(); ok {
			return time.UnixMilli(d)
		}
		if n == len(segs) && isDoc(v) {
			return latest(v.Document())
		}
		return time.Time{}
	}
	return time.Time{}
}

// latest returns the latest date in a stamps sub-document.
func latest(d bson.Raw) time.Time {
	var t time.Time
	elems, _ := d.Elements()
	for _, e := range elems {
		v := e.Value()
		var u time.Time
		if ms, ok := v.DateTimeOK(); ok {
			u = time.UnixMilli(ms)
		} else if isDoc(v) {
			u = latest(v.Document())
		}
		if u.After(t) {
			t = u
		}
	}
	return t
}

// mergeStamps merges the two sides' field timestamps, the later per path.
func (m *merger) mergeStamps() (bson.RawValue, bool) {
	if m.stampsMine == nil && m.stampsTheirs == nil {
		return bson.RawValue{}, false
	}
	return bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: mergeStampDocs(m.stampsMine, m.stampsTheirs)}, true
}

func mergeStampDocs(x, y bson.Raw) bson.Raw {
	if x == nil {
		x = emptyDoc
	}
	if y == nil {
		y = emptyDoc
	}
	idx, out := bsoncore.AppendDocumentStart(nil)
	ys, _ := y.Elements()
	xs, _ := x.Elements()
	for i, e := range ys {
		v, mv := e.Value(), find(xs, keyOf(e), i)
		switch {
		case mv.Type == bson.TypeDateTime && v.Type == bson.TypeDateTime && mv.DateTime() > v.DateTime():
			v = mv
		case isDoc(mv) && isDoc(v):
			v = bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: mergeStampDocs(mv.Document(), v.Document())}
		case mv.Type == bson.TypeDateTime && isDoc(v) && time.UnixMilli(mv.DateTime()).After(latest(v.Document())):
			v = mv
		case isDoc(mv) && v.Type == bson.TypeDateTime && latest(mv.Document()).After(time.UnixMilli(v.DateTime())):
			v = mv
		}
		out = appendValue(out, e.Key(), v)
	}
	for i, e := range xs {
		if find(ys, keyOf(e), i).Type == 0 {
			out = appendValue(out, e.Key(), e.Value())
		}
	}
	out, _ = bsoncore.AppendDocumentEnd(out, idx)
	return out
}

// counter applies both deltas to the base. ok is false when the values are not all numbers of a kind it adds
// (reason empty: the collision falls to the default) or the result is out of bounds or overflows (reason set).
func counter(b, x, y bson.RawValue, r Rule) (bson.RawValue, bool, string) {
	var v bson.RawValue
	isInt := func(v bson.RawValue) bool { return v.Type == bson.TypeInt32 || v.Type == bson.TypeInt64 }
	isNum := func(v bson.RawValue) bool { return isInt(v) || v.Type == bson.TypeDouble }
	if !isNum(b) || !isNum(x) || !isNum(y) {
		return v, false, ""
	}
	var f float64
	if isInt(b) && isInt(x) && isInt(y) {
		bi, xi, yi := b.AsInt64(), x.AsInt64(), y.AsInt64()
		dx, dy := xi-bi, yi-bi
		if (xi > bi) != (dx > 0) || (yi > bi) != (dy > 0) {
			return v, false, "counter overflow"
		}
		n := bi + dx
		if (dx > 0 && n < bi) || (dx < 0 && n > bi) {
			return v, false, "counter overflow"
		}
		n2 := n + dy
		if (dy > 0 && n2 < n) || (dy < 0 && n2 > n) {
			return v, false, "counter overflow"
		}
		f = float64(n2)
		if b.Type == bson.TypeInt32 && x.Type == bson.TypeInt32 && y.Type == bson.TypeInt32 && n2 >= math.MinInt32 && n2 <= math.MaxInt32 {
			v = bson.RawValue{Type: bson.TypeInt32, Value: bsoncore.AppendInt32(nil, int32(n2))}
		} else {
			v = bson.RawValue{Type: bson.TypeInt64, Value: bsoncore.AppendInt64(nil, n2)}
		}
	} else {
		f = num(b) + (num(x) - num(b)) + (num(y) - num(b))
		v = bson.RawValue{Type: bson.TypeDouble, Value: bsoncore.AppendDouble(nil, f)}
	}
	if (r.Min != nil && f < *r.Min) || (r.Max != nil && f > *r.Max) {
		return bson.RawValue{}, false, "counter out of bounds"
	}
	return v, true, ""
}

func num(v bson.RawValue) float64 {
	if v.Type == bson.TypeDouble {
		return v.Double()
	}
	return float64(v.AsInt64())
}

// array merges arrays by a Set, Keyed or Append rule; ok is false when the rule cannot apply.
func (m *merger) array(r Rule, rp, p string, b, x, y bson.RawValue) (bson.RawValue, bool) {
	bv, xv, yv := values(b), values(x), values(y)
	var out []bson.RawValue
	switch r.Kind {
	case Set:
		inB, inX := set(bv), set(xv)
		removed := map[string]bool{}
		for k := range inB {
			if !inX[k] {
				removed[k] = true
			}
		}
		seen := map[string]bool{}
		for _, v := range yv {
			k := key(v)
			if !removed[k] && !seen[k] {
				out, seen[k] = append(out, v), true
			}
		}
		for _, v := range xv {
			k := key(v)
			if !inB[k] && !seen[k] {
				out, seen[k] = append(out, v), true
			}
		}
	case Append:
		if !prefix(bv, xv) || !prefix(bv, yv) {
			return bson.RawValue{}, false
		}
		out = append(append(out, yv...), xv[len(bv):]...)
	case Keyed:
		keys := func(vs []bson.RawValue) (map[string]bson.RawValue, []string, bool) {
			byKey := map[string]bson.RawValue{}
			var order []string
			for _, v := range vs {
				if !isDoc(v) {
					return nil, nil, false
				}
				kv, err := v.Document().LookupErr(r.Key)
				if err != nil {
					return nil, nil, false
				}
				k := key(kv)
				if _, dup := byKey[k]; dup {
					return nil, nil, false
				}
				byKey[k] = v
				order = append(order, k)
			}
			return byKey, order, true
		}
		bm, _, ok1 := keys(bv)
		xm, xo, ok2 := keys(xv)
		ym, yo, ok3 := keys(yv)
		if !ok1 || !ok2 || !ok3 {
			return bson.RawValue{}, false
		}
		label := func(k string) string {
			v := bson.RawValue{Type: bson.Type(k[0]), Value: []byte(k[1:])}
			return fmt.Sprintf("%s[%s=%s]", p, r.Key, v.String())
		}
		for _, k := range yo {
			v := m.field(rp+".[]", label(k), bm[k], xm[k], ym[k])
			if v.Type != 0 {
				out = append(out, v)
			}
		}
		for _, k := range xo {
			if _, ok := ym[k]; ok {
				continue
			}
			v := m.field(rp+".[]", label(k), bm[k], xm[k], bson.RawValue{})
			if v.Type != 0 {
				out = append(out, v)
			}
		}
	}
	idx, arr := bsoncore.AppendArrayStart(nil)
	for i, v := range out {
		arr = appendValue(arr, strconv.Itoa(i), v)
	}
	arr, _ = bsoncore.AppendArrayEnd(arr, idx)
	return bson.RawValue{Type: bson.TypeArray, Value: arr}, true
}

func values(v bson.RawValue) []bson.RawValue {
	if !isArray(v) {
		return nil
	}
	vals, _ := v.Array().Values()
	return vals
}

func key(v bson.RawValue) string { return string(append([]byte{byte(v.Type)}, v.Value...)) }

func set(vs []bson.RawValue) map[string]bool {
	s := make(map[string]bool, len(vs))
	for _, v := range vs {
		s[key(v)] = true
	}
	return s
}

func prefix(p, vs []bson.RawValue) bool {
	if len(p) > len(vs) {
		return false
	}
	for i := range p {
		if !equal(p[i], vs[i]) {
			return false
		}
	}
	return true
}
