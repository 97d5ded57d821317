package sql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	pg "github.com/pganalyze/pg_query_go/v6"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// EXPLAIN shows what Concord does with a statement, in PostgreSQL's shape (a text column "QUERY PLAN", one row a
// line, or one json value). The plan is recorded by the code that runs the statement, not guessed beside it:
// each table scan, join, filter, sort, aggregate and write adds its node to the exec's planRecorder as it runs.
// Plain EXPLAIN runs the statement the way a Describe does (x.describe: every decision taken, no row read, nothing
// written), so the decisions that need the rows read (a key lookup's values, a hash join's fallback to nested
// loops for one inner row) are shown as the rules that take them; EXPLAIN ANALYZE runs the statement for real and
// shows what happened, with the rows and times each node measured.

// explainOptions are the options of one EXPLAIN.
type explainOptions struct {
	analyze, verbose, timing, summary bool
	json                              bool
}

// explainOptionsOf reads EXPLAIN's options as PostgreSQL 15 does: an unknown option is 42601, a bad value 22023 or
// 42601, an option that needs ANALYZE without it 22023. COSTS, BUFFERS, SETTINGS and WAL are accepted and show
// nothing: Concord has no cost model and no such counters.
func explainOptionsOf(es *pg.ExplainStmt) (explainOptions, error) {
	o := explainOptions{timing: true}
	timingSet, summarySet, wal := false, false, false
	for _, n := range es.Options {
		d := n.GetDefElem()
		if d == nil {
			continue
		}
		pos := int(d.Location) + 1
		switch d.Defname {
		case "analyze", "verbose", "costs", "buffers", "settings", "wal", "timing", "summary":
			v, ok := defBool(d.Arg)
			if !ok {
				return o, &Error{Code: CodeSyntaxError, Message: d.Defname + " requires a Boolean value", Position: pos}
			}
			switch d.Defname {
			case "analyze":
				o.analyze = v
			case "verbose":
				o.verbose = v
			case "timing":
				o.timing, timingSet = v, true
			case "summary":
				o.summary, summarySet = v, true
			case "wal":
				wal = v
			}
		case "format":
			f := strings.ToLower(defString(d.Arg))
			switch f {
			case "text":
				o.json = false
			case "json":
				o.json = true
			case "xml", "yaml":
				return o, &Error{Code: CodeFeatureNotSupported, Message: "EXPLAIN (FORMAT " + strings.ToUpper(f) + ") is not supported by Concord",
					Hint: "Use FORMAT TEXT or FORMAT JSON.", Position: pos}
			default:
				return o, &Error{Code: CodeInvalidParameterValue, Message: fmt.Sprintf("unrecognized value for EXPLAIN option \"%s\": \"%s\"", d.Defname, defString(d.Arg)), Position: pos}
			}
		default:
			return o, &Error{Code: CodeSyntaxError, Message: fmt.Sprintf("unrecognized EXPLAIN option \"%s\"", d.Defname), Position: pos}
		}
	}
	if wal && !o.analyze {
		return o, errorf(CodeInvalidParameterValue, "EXPLAIN option WAL requires ANALYZE")
	}
	if o.timing && timingSet && !o.analyze {
		return o, errorf(CodeInvalidParameterValue, "EXPLAIN option TIMING requires ANALYZE")
	}
	if !summarySet {
		o.summary = o.analyze
	}
	return o, nil
}

// defBool is the Boolean value of an option's argument (none is true), as PostgreSQL's defGetBoolean reads it.
func defBool(arg *pg.Node) (bool, bool) {
	if arg == nil {
		return true, true
	}
	if i := arg.GetInteger(); i != nil {
		switch i.Ival {
		case 0:
			return false, true
		case 1:
			return true, true
		}
		return false, false
	}
	if arg.GetInteger() == nil && arg.GetString_() == nil && arg.GetBoolean() == nil && arg.GetFloat() == nil {
		return false, false
	}
	if b := arg.GetBoolean(); b != nil {
		return b.Boolval, true
	}
	switch strings.ToLower(defString(arg)) {
	case "true", "on":
		return true, true
	case "false", "off":
		return false, true
	}
	return false, false
}

// defString is an option's argument as text.
func defString(arg *pg.Node) string {
	switch {
	case arg == nil:
		return ""
	case arg.GetString_() != nil:
		return arg.GetString_().Sval
	case arg.GetInteger() != nil:
		return strconv.Itoa(int(arg.GetInteger().Ival))
	case arg.GetFloat() != nil:
		return arg.GetFloat().Fval
	case arg.GetBoolean() != nil:
		return strconv.FormatBool(arg.GetBoolean().Boolval)
	}
	return ""
}

// explain runs EXPLAIN. Described (Prepare), it describes the statement explained, so that its parameters are
// typed and its errors (an unknown table) come at once, and returns the one column.
func (x *exec) explain(es *pg.ExplainStmt) (*Result, error) {
	o, err := explainOptionsOf(es)
	if err != nil {
		return nil, err
	}
	q := es.Query
	if q == nil || (q.GetSelectStmt() == nil && q.GetInsertStmt() == nil && q.GetUpdateStmt() == nil && q.GetDeleteStmt() == nil &&
		q.GetMergeStmt() == nil) {
		name := "this statement"
		if q != nil {
			name = nodeName(q)
		}
		return nil, unsupported("EXPLAIN of " + name)
	}
	col := Column{Name: "QUERY PLAN", OID: OIDText}
	if o.json {
		col.OID = OIDJSON
	}
	if x.describe {
		if _, err := x.dispatch(q); err != nil {
			return nil, err
		}
		return &Result{Columns: []Column{col}}, nil
	}
	rec := &planRecorder{analyze: o.analyze, seen: map[*pg.SubLink]*planNode{}}
	saved, savedDescribe := x.ex, x.describe
	x.ex = rec
	x.describe = !o.analyze
	start := time.Now()
	res, err := x.dispatch(q)
	elapsed := time.Since(start)
	x.ex, x.describe = saved, savedDescribe
	if err != nil {
		return nil, err
	}
	root := rec.root()
	if o.analyze && res != nil && len(res.Rows) > 0 && root.rows < 0 {
		root.rows = int64(len(res.Rows))
	}
	sum := explainSummary{show: o.summary, analyze: o.analyze, exec: elapsed, planning: rec.planning}
	if o.json {
		return &Result{Columns: []Column{col}, Rows: [][]any{{planJSON(root, o, sum)}}, Tag: "EXPLAIN"}, nil
	}
	var rows [][]any
	for _, l := range planText(root, o, sum) {
		rows = append(rows, []any{l})
	}
	return &Result{Columns: []Column{col}, Rows: rows, Tag: "EXPLAIN"}, nil
}

// explainSummary is what EXPLAIN prints after the plan.
type explainSummary struct {
	show, analyze bool
	planning      time.Duration
	exec          time.Duration
}

// planNode is one node of a plan, as PostgreSQL's EXPLAIN names it.
type planNode struct {
	typ       string // Node Type: "Seq Scan", "Index Scan", "Hash Join", "Sort", ...
	head      string // the text format's name when it is not derived from typ ("HashSetOp Intersect")
	joinType  string // a join's: "Inner", "Left", "Right", "Full"
	strategy  string // an aggregate's: "Plain", "Hashed"
	operation string // a write's: "Insert", "Update", "Delete", "Merge"
	relation  string
	alias     string
	index     string
	parentRel string // "Outer", "Inner", "SubPlan", "InitPlan"
	subName   string // "SubPlan 1", "CTE name"
	props     []planProp
	kids      []*planNode
	subs      []*planNode // subplans and WITH queries run for this node

	// measured: rows, loops and dur hold what running the node gave (EXPLAIN ANALYZE); rows is the total over
	// the loops.
	measured bool
	rows     int64
	loops    int64
	dur      time.Duration
}

// planProp is one property line of a node ("Filter: (n > 1)").
type planProp struct {
	key string
	val any // string, int64 or []string
}

func (n *planNode) prop(key string, val any) { n.props = append(n.props, planProp{key, val}) }

// label is the node's head line in the text format.
func (n *planNode) label() string {
	if n.head != "" {
		return n.head
	}
	var b strings.Builder
	switch {
	case n.typ == "Hash Join" || n.typ == "Nested Loop":
		if n.joinType != "" && n.joinType != "Inner" {
			if n.typ == "Hash Join" {
				b.WriteString("Hash " + n.joinType + " Join")
			} else {
				b.WriteString("Nested Loop " + n.joinType + " Join")
			}
		} else {
			b.WriteString(n.typ)
		}
	case n.typ == "Aggregate" && n.strategy == "Hashed":
		b.WriteString("HashAggregate")
	case n.typ == "ModifyTable":
		b.WriteString(n.operation)
	default:
		b.WriteString(n.typ)
	}
	if n.index != "" {
		b.WriteString(" using " + n.index)
	}
	if n.relation != "" {
		b.WriteString(" on " + n.relation)
		if n.alias != "" && n.alias != n.relation {
			b.WriteString(" " + n.alias)
		}
	}
	return b.String()
}

// planRecorder collects the nodes of the statement EXPLAIN runs. Each operation takes a planMark before it reads its
// inputs and adds its node after (planAdd): the nodes built in between are its inputs. It is one statement's,
// used by one goroutine.
type planRecorder struct {
	analyze  bool
	stack    []*planNode // nodes built, waiting for the node above them
	subs     []*planNode // subplans run since the last node was built, for the next one
	ctes     []*planNode // the WITH queries' plans, shown under the top node
	seen     map[*pg.SubLink]*planNode
	nsub     int
	ninit    int // InitPlans numbered so far: the $n each returns
	mute     int // > 0: nothing is recorded (a subquery run only to type an expression)
	planning time.Duration
	// projMark is where the FROM clause of the SELECT being projected began (selectRows to project).
	projMark *planMark
	// lookupRule describes the key lookup keyLookup gave the scan about to be read.
	lookupRule string
}

// planMark is where an operation's inputs start on the recorder's stack, and when it began.
type planMark struct {
	at    int
	start time.Time
}

// recording reports whether the statement's plan is being recorded.
func (x *exec) recording() bool { return x.ex != nil && x.ex.mute == 0 }

// planMark marks the start of an operation.
func (x *exec) planMark() planMark {
	if !x.recording() {
		return planMark{}
	}
	return planMark{at: len(x.ex.stack), start: time.Now()}
}

// planAdd makes n the node above every node built since m, having given rows rows (a negative count: not
// known), and returns it.
func (x *exec) planAdd(m planMark, n *planNode, rows int) *planNode {
	if !x.recording() {
		return n
	}
	r := x.ex
	at := min(m.at, len(r.stack))
	n.kids = append(n.kids, r.stack[at:]...)
	r.stack = append(r.stack[:at], n)
	n.subs = append(n.subs, r.subs...)
	r.subs = nil
	if r.analyze && rows >= 0 {
		n.measured, n.rows, n.loops, n.dur = true, int64(rows), 1, time.Since(m.start)
	}
	return n
}

// planTop returns the node built last since m, nil when none.
func (x *exec) planTop(m planMark) *planNode {
	if !x.recording() || len(x.ex.stack) <= m.at {
		return nil
	}
	return x.ex.stack[len(x.ex.stack)-1]
}

// planFilter records a condition evaluated by Concord over the rows of the node built last since m (a scan's or a
// join's), which kept kept of them: PostgreSQL's Filter line, and with ANALYZE the rows it removed.
func (x *exec) planFilter(m planMark, key string, cond *pg.Node, kept int) {
	n := x.planTop(m)
	if n == nil {
		return
	}
	n.prop(key, exprText(cond))
	n.subs = append(n.subs, x.ex.subs...)
	x.ex.subs = nil
	if n.measured {
		if removed := n.rows - int64(kept); removed > 0 {
			n.prop("Rows Removed by Filter", removed)
		}
		n.rows, n.dur = int64(kept), time.Since(m.start)
	}
}

// planSub runs a subquery of an expression (a SubLink) and records its plan once, as SubPlan n, the later runs
// counted as its loops.
func (x *exec) planSub(sl *pg.SubLink, run func() (*relation, error)) (*relation, error) {
	if !x.recording() {
		return run()
	}
	r := x.ex
	m := x.planMark()
	pending := r.subs // the subplans waiting for a node of the enclosing query, not for this run's
	r.subs = nil
	rel, err := run()
	inner := r.subs
	r.subs = pending
	if err != nil || len(r.stack) <= m.at {
		return rel, err
	}
	top := r.stack[len(r.stack)-1]
	top.subs = append(top.subs, inner...)
	r.stack = r.stack[:m.at]
	if prev := r.seen[sl]; prev != nil {
		mergePlan(prev, top)
		return rel, nil
	}
	r.nsub++
	top.parentRel, top.subName = "SubPlan", fmt.Sprintf("SubPlan %d", r.nsub)
	r.seen[sl] = top
	r.subs = append(r.subs, top)
	return rel, nil
}

// planCTE records the plan of a WITH query, built since m.
func (x *exec) planCTE(m planMark, name string) {
	if !x.recording() || len(x.ex.stack) <= m.at {
		return
	}
	r := x.ex
	top := r.stack[len(r.stack)-1]
	r.stack = r.stack[:m.at]
	top.parentRel, top.subName = "InitPlan", "CTE "+name
	top.subs = append(top.subs, r.subs...)
	r.subs = nil
	r.ctes = append(r.ctes, top)
}

// mergePlan adds another run of a plan to it: rows, times and loops, node by node where the runs agree.
func mergePlan(into, n *planNode) {
	into.rows += n.rows
	into.loops += n.loops
	into.dur += n.dur
	into.measured = into.measured || n.measured
	for i := range min(len(into.kids), len(n.kids)) {
		if into.kids[i].typ == n.kids[i].typ {
			mergePlan(into.kids[i], n.kids[i])
		}
	}
}

// root is the statement's plan: its top node, with the WITH queries and what was left unattached under it.
func (r *planRecorder) root() *planNode {
	var root *planNode
	switch len(r.stack) {
	case 0:
		root = &planNode{typ: "Result", rows: -1}
	case 1:
		root = r.stack[0]
	default:
		root = &planNode{typ: "Append", kids: r.stack, rows: -1}
	}
	root.subs = append(append(r.ctes, root.subs...), r.subs...)
	return root
}

// scanNode is the node of a table scan with filter, named by the access path the storage takes for it
// (backendColl.explain): a collection scan is a Seq Scan, an _id lookup or index read an Index Scan using the index.
func (x *exec) scanNode(coll backendColl, t *table, alias string, filter bson.D) *planNode {
	n := &planNode{typ: "Seq Scan", relation: t.Name, alias: alias}
	p, err := coll.explain(x.base, filter)
	if err != nil {
		n.prop("Engine Plan", "unknown: "+err.Error())
	}
	switch p.stage {
	case "IDHACK":
		n.typ, n.index = "Index Scan", "_id_"
		if v, ok := idValue(filter); ok {
			n.prop("Index Cond", "(_id = "+v+")")
		}
	case "IXSCAN":
		n.typ, n.index = "Index Scan", p.index
		var parts []string
		for _, b := range p.bounds {
			var ivs []string
			if a, ok := b.Value.(bson.A); ok {
				for _, iv := range a {
					ivs = append(ivs, fmt.Sprint(iv))
				}
			}
			key := b.Key
			if expr := t.computedByField(key); expr != "" {
				key = expr // an expression index's hidden field, by its expression
			}
			parts = append(parts, key+": "+strings.Join(ivs, " U "))
		}
		if len(parts) > 0 {
			n.prop("Index Bounds", strings.Join(parts, ", "))
		}
	}
	if len(filter) > 0 {
		n.prop("Engine Filter", extJSON(filter))
	}
	if p.summary != "" {
		n.prop("Engine Plan", p.summary)
	}
	return n
}

// idValue is the value of filter's _id equality, written as JSON.
func idValue(filter bson.D) (string, bool) {
	for _, e := range filter {
		if e.Key == "_id" {
			s := extJSON(bson.D{{Key: "v", Value: e.Value}})
			return strings.TrimSuffix(strings.TrimPrefix(s, `{"v":`), "}"), true
		}
	}
	return "", false
}

// extJSON writes a document as relaxed extended JSON (as mongosh users read filters).
func extJSON(d any) string {
	b, err := bson.MarshalExtJSON(d, false, false)
	if err != nil {
		return fmt.Sprint(d)
	}
	return string(b)
}

// exprText writes a condition as PostgreSQL's EXPLAIN does: deparsed, in parentheses.
func exprText(n *pg.Node) string {
	if n == nil {
		return ""
	}
	s, err := deparseExpr(n)
	if err != nil {
		return "?"
	}
	if !strings.HasPrefix(s, "(") || !strings.HasSuffix(s, ")") {
		s = "(" + s + ")"
	}
	return s
}

// exprList writes expressions as a list (Sort Key, Group Key).
func exprList(ns []*pg.Node) []string {
	var out []string
	for _, n := range ns {
		if sb := n.GetSortBy(); sb != nil {
			s, _ := deparseExpr(sb.Node)
			desc, nullsFirst := sortDirection(sb)
			if desc {
				s += " DESC"
				if !nullsFirst {
					s += " NULLS LAST"
				}
			} else if nullsFirst {
				s += " NULLS FIRST"
			}
			out = append(out, s)
			continue
		}
		s, _ := deparseExpr(n)
		out = append(out, s)
	}
	return out
}

// ms writes a duration in milliseconds, as EXPLAIN does.
func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 3, 64) }

// perLoop is a node's rows per loop, rounded as PostgreSQL rounds them.
func (n *planNode) perLoop() int64 {
	if n.loops <= 1 {
		return n.rows
	}
	return int64(math.Round(float64(n.rows) / float64(n.loops)))
}

// planText writes the text format: PostgreSQL's indentation, "->  " before each input.
func planText(root *planNode, o explainOptions, sum explainSummary) []string {
	var lines []string
	var write func(n *planNode, indent int, arrow bool)
	write = func(n *planNode, indent int, arrow bool) {
		head := n.label()
		if o.analyze {
			switch {
			case !n.measured:
			case o.timing:
				head += fmt.Sprintf(" (actual time=%s..%s rows=%d loops=%d)", ms(n.dur/time.Duration(max(n.loops, 1))),
					ms(n.dur/time.Duration(max(n.loops, 1))), n.perLoop(), n.loops)
			default:
				head += fmt.Sprintf(" (actual rows=%d loops=%d)", n.perLoop(), n.loops)
			}
		}
		text := indent
		if arrow {
			lines = append(lines, strings.Repeat(" ", indent)+"->  "+head)
			text += 4
		} else {
			lines = append(lines, strings.Repeat(" ", indent)+head)
		}
		pad := strings.Repeat(" ", text+2)
		for _, p := range n.props {
			lines = append(lines, pad+p.key+": "+propText(p.val))
		}
		for _, s := range n.subs {
			lines = append(lines, pad+s.subName)
			write(s, text+4, true)
		}
		for _, k := range n.kids {
			write(k, text+2, true)
		}
	}
	write(root, 0, false)
	if sum.show {
		lines = append(lines, "Planning Time: "+ms(sum.planning)+" ms")
	}
	if sum.analyze && sum.show {
		lines = append(lines, "Execution Time: "+ms(sum.exec)+" ms")
	}
	return lines
}

func propText(v any) string {
	switch x := v.(type) {
	case []string:
		return strings.Join(x, ", ")
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

// jsonObj is a JSON object that keeps its keys' order, as EXPLAIN's JSON does.
type jsonObj []jsonKV

type jsonKV struct {
	k string
	v any
}

func (o jsonObj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// planJSON writes the JSON format: PostgreSQL's structure ("Plan", "Node Type", "Plans", ...).
func planJSON(root *planNode, o explainOptions, sum explainSummary) string {
	var node func(n *planNode) jsonObj
	node = func(n *planNode) jsonObj {
		obj := jsonObj{{"Node Type", n.typ}}
		if n.parentRel != "" {
			obj = append(obj, jsonKV{"Parent Relationship", n.parentRel})
		}
		if n.subName != "" {
			obj = append(obj, jsonKV{"Subplan Name", n.subName})
		}
		if n.operation != "" {
			obj = append(obj, jsonKV{"Operation", n.operation})
		}
		if n.strategy != "" {
			obj = append(obj, jsonKV{"Strategy", n.strategy})
		}
		if n.joinType != "" {
			obj = append(obj, jsonKV{"Join Type", n.joinType})
		}
		if n.index != "" {
			obj = append(obj, jsonKV{"Index Name", n.index})
		}
		if n.relation != "" {
			obj = append(obj, jsonKV{"Relation Name", n.relation}, jsonKV{"Alias", n.alias})
		}
		if o.analyze && n.measured {
			per := float64(n.dur) / 1e6 / float64(max(n.loops, 1))
			per = math.Round(per*1000) / 1000
			if o.timing {
				obj = append(obj, jsonKV{"Actual Startup Time", per}, jsonKV{"Actual Total Time", per})
			}
			obj = append(obj, jsonKV{"Actual Rows", n.perLoop()}, jsonKV{"Actual Loops", n.loops})
		}
		for _, p := range n.props {
			obj = append(obj, jsonKV{p.key, p.val})
		}
		var plans []jsonObj
		for i, k := range n.kids {
			c := node(k)
			rel := "Outer"
			if i > 0 {
				rel = "Inner"
			}
			if k.parentRel == "" {
				c = append(jsonObj{c[0], {"Parent Relationship", rel}}, c[1:]...)
			}
			plans = append(plans, c)
		}
		for _, s := range n.subs {
			plans = append(plans, node(s))
		}
		if len(plans) > 0 {
			obj = append(obj, jsonKV{"Plans", plans})
		}
		return obj
	}
	top := jsonObj{{"Plan", node(root)}}
	if sum.show {
		top = append(top, jsonKV{"Planning Time", math.Round(float64(sum.planning)/1e3) / 1e3})
	}
	if sum.analyze {
		top = append(top, jsonKV{"Triggers", []any{}})
		if sum.show {
			top = append(top, jsonKV{"Execution Time", math.Round(float64(sum.exec)/1e3) / 1e3})
		}
	}
	b, err := json.MarshalIndent([]any{top}, "", "  ")
	if err != nil {
		return "[]"
	}
	return string(b)
}

// planOver makes n the node above the last k nodes built (a join's two inputs), having given rows rows in own
// time besides its inputs'.
func (x *exec) planOver(k int, n *planNode, rows int, own time.Duration) *planNode {
	if !x.recording() {
		return n
	}
	x.planAdd(planMark{at: max(len(x.ex.stack)-k, 0), start: time.Now()}, n, rows)
	if n.measured {
		n.dur = own
		for _, kid := range n.kids {
			n.dur += kid.dur / time.Duration(max(kid.loops, 1))
		}
	}
	return n
}

// joinNode is the node of a join of the given kind, by a hash table of the right side's rows on the columns lk, rk
// of l and r (hashed) or by nested loops (none), each pair tested by quals.
func joinNode(kind pg.JoinType, l, r *relation, lk, rk []int, quals *pg.Node) *planNode {
	n := &planNode{typ: "Nested Loop", joinType: joinTypeName(kind)}
	if len(lk) > 0 {
		n.typ = "Hash Join"
		var conds []string
		for i := range lk {
			conds = append(conds, "("+colText(l.cols[lk[i]])+" = "+colText(r.cols[rk[i]])+")")
		}
		n.prop("Hash Cond", strings.Join(conds, " AND "))
	}
	if quals != nil {
		n.prop("Join Filter", exprText(quals))
	}
	return n
}

func joinTypeName(kind pg.JoinType) string {
	switch kind {
	case pg.JoinType_JOIN_LEFT:
		return "Left"
	case pg.JoinType_JOIN_RIGHT:
		return "Right"
	case pg.JoinType_JOIN_FULL:
		return "Full"
	}
	return "Inner"
}

// colText names a relation's column as EXPLAIN does: qualified.
func colText(c relCol) string {
	if c.qual != "" {
		return c.qual + "." + c.name
	}
	return c.name
}

// planJoin records a join of the last two nodes built: a Hash Join puts its right input (the side hashed)
// under a Hash node, as PostgreSQL draws it.
func (x *exec) planJoin(n *planNode, rows int, start time.Time) {
	if !x.recording() {
		return
	}
	own := time.Since(start)
	if n.typ == "Hash Join" && len(x.ex.stack) > 0 {
		x.planOver(1, &planNode{typ: "Hash"}, -1, 0)
		if h := x.ex.stack[len(x.ex.stack)-1]; len(h.kids) == 1 && h.kids[0].measured {
			h.measured, h.rows, h.loops, h.dur = true, h.kids[0].rows, h.kids[0].loops, h.kids[0].dur
		}
	}
	x.planOver(2, n, rows, own)
}

// leafNode adds a node with no inputs of the given type over relation rel (its name and alias).
func (x *exec) planLeaf(m planMark, typ, relation, alias string, rows int) *planNode {
	if !x.recording() {
		return nil
	}
	return x.planAdd(m, &planNode{typ: typ, relation: relation, alias: alias}, rows)
}

// rowsOf is a relation's row count for the plan: not known (-1) while describing.
func (x *exec) rowsOf(rel *relation) int {
	if rel == nil || x.describe {
		return -1
	}
	return len(rel.rows)
}

// planSetOp records UNION, INTERSECT or EXCEPT over the plans of its two sides (built since m), which gave n rows
// together, out being the result.
func (x *exec) planSetOp(m planMark, sel *pg.SelectStmt, n int, out *relation) {
	if !x.recording() {
		return
	}
	if x.describe {
		n = -1
	}
	x.planAdd(m, &planNode{typ: "Append"}, n)
	switch {
	case sel.Op == pg.SetOperation_SETOP_UNION && !sel.All:
		x.planAdd(m, &planNode{typ: "Aggregate", strategy: "Hashed", head: "HashAggregate"}, x.rowsOf(out)).prop("Group Key", "(all columns)")
	case sel.Op == pg.SetOperation_SETOP_INTERSECT, sel.Op == pg.SetOperation_SETOP_EXCEPT:
		name := "Intersect"
		if sel.Op == pg.SetOperation_SETOP_EXCEPT {
			name = "Except"
		}
		if sel.All {
			name += " All"
		}
		x.planAdd(m, &planNode{typ: "SetOp", strategy: "Hashed", head: "HashSetOp " + name}, x.rowsOf(out))
	}
}

// planSortLimit records the ORDER BY and LIMIT / OFFSET of a set operation or VALUES list, over what was built
// since m.
func (x *exec) planSortLimit(m planMark, sel *pg.SelectStmt, out *relation) {
	if len(sel.SortClause) > 0 {
		x.planAdd(m, &planNode{typ: "Sort"}, x.rowsOf(out)).prop("Sort Key", exprList(sel.SortClause))
	}
	if sel.LimitCount != nil || sel.LimitOffset != nil {
		x.planAdd(m, &planNode{typ: "Limit"}, x.rowsOf(out))
	}
}

// takeProjMark returns the mark selectRows left for project, ok false when project was called for something else
// (RETURNING), whose stages are not recorded.
func (x *exec) takeProjMark() (planMark, bool) {
	if !x.recording() || x.ex.projMark == nil {
		return planMark{}, false
	}
	m := *x.ex.projMark
	x.ex.projMark = nil
	return m, true
}

// hasWindowCall reports whether a SELECT calls a window function (in its list or ORDER BY).
func hasWindowCall(sel *pg.SelectStmt) bool {
	found := func(n *pg.Node) bool {
		return walkNoSub(n, func(m *pg.Node) bool { return m.GetFuncCall() != nil && m.GetFuncCall().Over != nil })
	}
	for _, t := range sel.TargetList {
		if found(t) {
			return true
		}
	}
	for _, t := range sel.SortClause {
		if found(t) {
			return true
		}
	}
	return false
}

// exprTextNoParen writes an expression deparsed, as it is.
func exprTextNoParen(n *pg.Node) string {
	s, err := deparseExpr(n)
	if err != nil {
		return "?"
	}
	return s
}

// planWriteTarget records how one write of an UPDATE or DELETE (one per FROM or USING row) found its rows, the
// work done since ms: with pushed, the engine's one operation (its access path for filter, the update operators
// set), found matched rows and wrote them in the time taken; without, the Seq Scan Concord read (recorded by scan)
// with the WHERE clause evaluated over its rows. The node is merged into *target, each write a loop.
func (x *exec) planWriteTarget(ms planMark, target **planNode, t *table, alias string, pushed bool, filter bson.D, set any, how string, where *pg.Node, matched int) {
	if !x.recording() {
		return
	}
	if x.describe {
		matched = -1
	}
	if pushed {
		took := time.Since(ms.start)
		n := x.scanNode(x.s.db().collection(t.Name), t, alias, filter)
		if set != nil {
			n.prop("Engine Update", extJSON(set))
		}
		n.prop("Engine Write", how)
		if n = x.planAdd(ms, n, matched); n.measured {
			n.dur = took
		}
	} else {
		if x.planTop(ms) == nil {
			x.planAdd(ms, x.scanNode(x.s.db().collection(t.Name), t, alias, bson.D{}), -1)
		}
		if where != nil {
			x.planFilter(ms, "Filter", where, matched)
		}
		x.planTop(ms).prop("Engine Write", how)
	}
	n := x.ex.stack[len(x.ex.stack)-1]
	x.ex.stack = x.ex.stack[:len(x.ex.stack)-1]
	if *target == nil {
		*target = n
	} else {
		mergePlan(*target, n)
	}
}

// planModify records the write node of an INSERT, UPDATE or DELETE (op) over what was built since m (its FROM or
// USING rows) and target, the rows it found; rows is the statement's count.
func (x *exec) planModify(m planMark, op string, t *table, alias string, target *planNode, rows int) *planNode {
	if !x.recording() {
		return nil
	}
	if target != nil {
		x.ex.stack = append(x.ex.stack, target)
	}
	if x.describe {
		rows = -1
	}
	if alias == t.Name {
		alias = ""
	}
	return x.planAdd(m, &planNode{typ: "ModifyTable", operation: op, head: op + " on " + t.Name + aliasSuffix(alias), relation: t.Name, alias: alias}, rows)
}

func aliasSuffix(alias string) string {
	if alias == "" {
		return ""
	}
	return " " + alias
}

// updateHow says how an UPDATE writes: one engine operation for the filter, or a findOneAndUpdate per row
// (RETURNING, or a row of FROM), or Concord's read then a $set per row by _id (pushed false).
func updateHow(pushed bool, filter bson.D, perRow bool) string {
	switch {
	case !pushed:
		return "rows read and evaluated by Concord, each updated by _id ($set)"
	case perRow:
		return "findOneAndUpdate per matching row"
	case byKey(filter):
		return "updateOne"
	}
	return "updateMany"
}

// deleteHow is updateHow for a DELETE.
func deleteHow(pushed, perRow bool) string {
	switch {
	case !pushed:
		return "rows read and evaluated by Concord, each deleted by _id"
	case perRow:
		return "findOneAndDelete per matching row"
	}
	return "deleteMany"
}

// planInsert records an INSERT over its source rows (built since m), which wrote count rows.
func (x *exec) planInsert(m planMark, ins *pg.InsertStmt, t *table, alias string, count int) {
	n := x.planModify(m, "Insert", t, alias, nil, count)
	if n == nil {
		return
	}
	if oc := ins.OnConflictClause; oc != nil {
		if oc.Action == pg.OnConflictAction_ONCONFLICT_UPDATE {
			n.prop("Conflict Resolution", "UPDATE")
		} else {
			n.prop("Conflict Resolution", "NOTHING")
		}
		if arbiters, err := x.arbiters(oc, t); err == nil {
			var names []string
			for _, a := range arbiters {
				names = append(names, a.name)
			}
			n.prop("Conflict Arbiter Indexes", names)
		}
	}
}
