package concord_test

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// rewrite makes TestScenarios write the actual output of every directive back
// into its script, to be reviewed as a diff (pebble's datadriven habit).
var rewrite = flag.Bool("rewrite", false, "rewrite testdata/scenarios/*.txt and testdata/api.txt with the actual output")

// TestScenarios runs every script in testdata/scenarios: the checkable
// scenarios of section 8 of the concurrency spec, as named sessions
// interleaved step by step. Each script runs on a fresh in-memory DB, once per
// wait policy: MongoDB's stepped backoff and Concord's parking must give the
// same replies, codes, labels and final data.
//
// Script format: a directive line, optional input lines, "----", then the
// expected output up to the next blank line. Lines starting with '#' between
// directives are comments. Directives:
//
//	start A | commit A | abort A | end A    session A (created on first use)
//	A: <op>                                  run <op> in A's session context (sessionless if A never started)
//	C&: <op> [block=200ms]                   run <op> in the background; "blocked" if it has not returned after block
//	wait C [D ...] [within=10s]              the background ops' results (sorted when several)
//	stats C                                  profiler stats of C's last op, with scenario 6's checks
//	concurrent N: <op>                       N copies of <op> released together; a tally of distinct results
//	<op>                                     run <op> outside any session
//	sleep 100ms | set lifetime 2s
//	metrics transactions [until=currentActive=1]   serverStatus transactions (polled until the value shows)
//
// Ops (documents are relaxed extended JSON; keys need no quotes):
//
//	insert c {doc}               insertMany c [{..},..] [unordered]
//	insertMany c gen=N | gen=2s  N generated documents, or as many as take about 2s to insert
//	update c {filter} {update} [upsert] [many]     replace c {filter} {doc} [upsert]
//	delete c {filter} [many]     find c [{filter}]    count c [{filter}]
//	findOneAndUpdate c {filter} {update} [upsert] [quiet]
//	distinct c field [{filter}]  aggregate c [{stage}, ...]
//	createIndex c {keys} [unique]
//
// Any op takes maxTime=D (a context deadline, MongoDB's maxTimeMS) and
// cancelAfter=D (the context is cancelled, as killOp or a client disconnect).
// "close" closes the DB (ending waiting writers); later ops see the closed DB.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario scripts in testdata/scenarios")
	}
	policies := []struct {
		name   string
		policy concord.WaitPolicy
	}{
		{"park", concord.WaitPark},
		{"backoff", concord.WaitBackoff},
	}
	for _, p := range policies {
		t.Run(p.name, func(t *testing.T) {
			for _, file := range files {
				name := strings.TrimSuffix(filepath.Base(file), ".txt")
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					runScript(t, file, p.policy, *rewrite && p.policy == concord.WaitPark)
				})
			}
		})
	}
}

// scriptCase is one directive of a script with the output it expects.
type scriptCase struct {
	line     int    // 1-based line of the directive
	cmd      string // the directive line
	sep      int    // 0-based index of its "----" line
	end      int    // 0-based index just past its expected output
	expected string
}

// parseScript splits a script into its directives; lines keeps the file so
// that a rewrite can replace only the expected outputs.
func parseScript(data string) (lines []string, cases []scriptCase, err error) {
	lines = strings.Split(strings.TrimRight(data, "\n"), "\n")
	for i := 0; i < len(lines); {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		c := scriptCase{line: i + 1, cmd: l}
		j := i + 1
		for j < len(lines) && lines[j] != "----" {
			if strings.TrimSpace(lines[j]) == "" {
				return nil, nil, fmt.Errorf("line %d: directive %q has no \"----\" line", i+1, l)
			}
			j++
		}
		if j == len(lines) {
			return nil, nil, fmt.Errorf("line %d: directive %q has no \"----\" line", i+1, l)
		}
		c.sep = j
		k := j + 1
		for k < len(lines) && lines[k] != "" {
			k++
		}
		c.end = k
		c.expected = strings.Join(lines[j+1:k], "\n")
		cases = append(cases, c)
		i = k
	}
	return lines, cases, nil
}

// runScript runs one script file and reports every directive whose output
// differs from the expected one; with rewrite it writes the actual outputs back.
func runScript(t *testing.T, file string, policy concord.WaitPolicy, rewriteFile bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines, cases, err := parseScript(string(data))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	db, err := concord.Open("", &concord.Options{WaitPolicy: policy})
	if err != nil {
		t.Fatal(err)
	}
	r := &scriptRunner{
		db:       db,
		sessions: map[string]*concord.Session{},
		last:     map[string]*opRecord{},
		bg:       map[string]*bgOp{},
	}
	actual := make([]string, len(cases))
	for i, c := range cases {
		out := r.run(c.cmd)
		if out == "" {
			out = "ok"
		}
		actual[i] = out
		if !rewriteFile && out != c.expected {
			t.Errorf("%s:%d: %s\nexpected:\n%s\nactual:\n%s", file, c.line, c.cmd, c.expected, out)
		}
	}
	for name, op := range r.bg {
		select {
		case <-op.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: background op %s never returned", file, name)
		}
	}
	if !r.closed {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}
	if !rewriteFile {
		return
	}
	var b strings.Builder
	prev := 0
	for i, c := range cases {
		for _, l := range lines[prev : c.sep+1] {
			b.WriteString(l + "\n")
		}
		b.WriteString(actual[i] + "\n")
		prev = c.end
	}
	for _, l := range lines[prev:] {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scriptRunner holds the state one script builds up: its DB, named sessions,
// background operations and the stats of each actor's last operation.
type scriptRunner struct {
	db       *concord.DB
	closed   bool // by a "close" directive
	sessions map[string]*concord.Session
	last     map[string]*opRecord
	bg       map[string]*bgOp
}

// opRecord is what "stats" reports about an actor's last operation.
type opRecord struct {
	stats concord.OpStats
	// wcDelta is the growth of the server-wide writeConflicts counter while
	// the op ran.
	wcDelta int64
}

// bgOp is an operation running in the background until "wait".
type bgOp struct {
	done chan struct{}
	out  string // set before done is closed
}

// run executes one directive and returns its output.
func (r *scriptRunner) run(cmd string) string {
	word, rest, _ := strings.Cut(cmd, " ")
	rest = strings.TrimSpace(rest)
	switch word {
	case "start", "commit", "abort", "end":
		s, err := r.session(rest)
		if err != nil {
			return formatError(err)
		}
		return guard(func() string {
			ctx := context.Background()
			switch word {
			case "start":
				return formatError(s.StartTransaction())
			case "commit":
				return formatError(s.CommitTransaction(ctx))
			case "abort":
				return formatError(s.AbortTransaction(ctx))
			}
			s.EndSession(ctx)
			return "ok"
		}, "did not return within 5s")
	case "wait":
		return r.wait(rest)
	case "close":
		r.closed = true
		return guard(func() string { return formatError(r.db.Close()) }, "did not return within 5s")
	case "stats":
		return r.statsOf(rest)
	case "sleep":
		d, err := time.ParseDuration(rest)
		if err != nil {
			return "bad duration: " + err.Error()
		}
		time.Sleep(d)
		return "ok"
	case "set":
		what, val, _ := strings.Cut(rest, " ")
		if what != "lifetime" {
			return "unknown setting " + what
		}
		d, err := time.ParseDuration(val)
		if err != nil {
			return "bad duration: " + err.Error()
		}
		r.db.SetTransactionLifetime(d)
		return "ok"
	case "metrics":
		return r.metrics(rest)
	case "concurrent":
		n, opText, ok := strings.Cut(rest, ":")
		count, err := strconv.Atoi(strings.TrimSpace(n))
		if !ok || err != nil || count < 1 {
			return "usage: concurrent N: <op>"
		}
		return r.concurrent(count, strings.TrimSpace(opText))
	}
	if actor, opText, ok := strings.Cut(cmd, ":"); ok && isActor(actor) {
		opText = strings.TrimSpace(opText)
		if name, bg := strings.CutSuffix(actor, "&"); bg {
			return r.background(name, opText)
		}
		out, rec := r.doSync(r.ctxOf(actor), opText)
		r.last[actor] = rec
		return out
	}
	out, rec := r.doSync(context.Background(), cmd)
	r.last[""] = rec
	return out
}

// metrics prints the transactions section of serverStatus. With
// until=<field>=<value> it first polls (for up to 5 s) until the section shows
// that value: a statement's client-side preparation (encoding a large batch)
// comes before the server sees it, as with a driver.
func (r *scriptRunner) metrics(args string) string {
	section, opt, _ := strings.Cut(args, " ")
	if section != "transactions" {
		return "unknown metrics section " + section
	}
	until, _ := strings.CutPrefix(strings.TrimSpace(opt), "until=")
	deadline := time.Now().Add(5 * time.Second)
	for {
		m := r.db.Metrics().Transactions
		out := fmt.Sprintf("totalStarted=%d totalCommitted=%d totalAborted=%d currentOpen=%d currentActive=%d currentInactive=%d",
			m.TotalStarted, m.TotalCommitted, m.TotalAborted, m.CurrentOpen, m.CurrentActive, m.CurrentInactive)
		if until == "" || slices.Contains(strings.Fields(out), until) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(time.Millisecond)
	}
}

// isActor reports whether s names a session ("A", "B2", "C&").
func isActor(s string) bool {
	s = strings.TrimSuffix(s, "&")
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// session returns the named session, starting it on first use.
func (r *scriptRunner) session(name string) (*concord.Session, error) {
	if !isActor(name) {
		return nil, fmt.Errorf("bad session name %q", name)
	}
	if s, ok := r.sessions[name]; ok {
		return s, nil
	}
	s, err := r.db.StartSession()
	if err != nil {
		return nil, err
	}
	r.sessions[name] = s
	return s, nil
}

// ctxOf is the context an actor's ops run in: its session's if it has one.
func (r *scriptRunner) ctxOf(actor string) context.Context {
	if s, ok := r.sessions[actor]; ok {
		return concord.NewSessionContext(context.Background(), s)
	}
	return context.Background()
}

// background starts an op and reports "blocked" if it is still running after
// the block duration (default 200 ms): the scripts use it for writes that must
// wait for a transaction.
func (r *scriptRunner) background(name, opText string) string {
	block := 200 * time.Millisecond
	var kept []string
	for _, f := range strings.Fields(opText) {
		if v, ok := strings.CutPrefix(f, "block="); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return "bad block duration: " + err.Error()
			}
			block = d
			continue
		}
		kept = append(kept, f)
	}
	opText = strings.Join(kept, " ")
	if prev, ok := r.bg[name]; ok {
		select {
		case <-prev.done:
		default:
			return "background op " + name + " still running"
		}
	}
	run, err := r.prepare(opText)
	if err != nil {
		return err.Error()
	}
	ctx := r.ctxOf(name)
	op := &bgOp{done: make(chan struct{})}
	r.bg[name] = op
	rec := &opRecord{}
	r.last[name] = rec
	go func() {
		out, got := run(ctx)
		*rec = *got
		op.out = out
		close(op.done)
	}()
	select {
	case <-op.done:
		return "returned within " + block.String() + ": " + op.out
	case <-time.After(block):
		return "blocked"
	}
}

// wait reports a background op's result once it returns (default limit
// 10 s). With several names it reports their results sorted, for ops whose
// order of completion is not part of the scenario.
func (r *scriptRunner) wait(args string) string {
	limit := 10 * time.Second
	var names []string
	for _, f := range strings.Fields(args) {
		if v, ok := strings.CutPrefix(f, "within="); ok {
			d, err := time.ParseDuration(v)
			if err != nil {
				return "bad duration: " + err.Error()
			}
			limit = d
			continue
		}
		names = append(names, f)
	}
	deadline := time.After(limit)
	var outs []string
	for _, name := range names {
		op, ok := r.bg[name]
		if !ok {
			return "no background op " + name
		}
		select {
		case <-op.done:
			outs = append(outs, op.out)
		case <-deadline:
			return name + " still blocked after " + limit.String()
		}
	}
	if len(outs) > 1 {
		sort.Strings(outs)
	}
	return strings.Join(outs, "\n")
}

// statsOf reports an actor's last op as MongoDB's profiler would, with the
// checks of scenario 6: writeConflicts counted, each one yielded, and the
// server-wide counter grown by the same amount.
func (r *scriptRunner) statsOf(actor string) string {
	if op, ok := r.bg[actor]; ok {
		select {
		case <-op.done:
		default:
			return "background op " + actor + " still running"
		}
	}
	rec, ok := r.last[actor]
	if !ok {
		return "no op recorded for " + actor
	}
	st := rec.stats
	return fmt.Sprintf("nMatched=%d nModified=%d\nwriteConflicts>=1: %t\nnumYield>=writeConflicts: %t\nserver writeConflicts delta == writeConflicts: %t",
		st.NMatched, st.NModified, st.WriteConflicts >= 1, st.NumYield >= st.WriteConflicts, rec.wcDelta == st.WriteConflicts)
}

// concurrent runs n copies of an op outside any session, released together,
// and tallies their outputs.
func (r *scriptRunner) concurrent(n int, opText string) string {
	run, err := r.prepare(opText)
	if err != nil {
		return err.Error()
	}
	start := make(chan struct{})
	outs := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out, _ := run(context.Background())
			outs[i] = strings.ReplaceAll(out, "\n", " | ")
		}()
	}
	close(start)
	wg.Wait()
	tally := map[string]int{}
	for _, o := range outs {
		tally[o]++
	}
	var lines []string
	for o, c := range tally {
		lines = append(lines, fmt.Sprintf("%d x %s", c, o))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// scriptOp is a parsed op: its name, collection, JSON arguments and flags.
type scriptOp struct {
	name, coll string
	args       []string          // JSON arguments, already quoted
	flags      map[string]string // "upsert" -> "", "maxTime" -> "100ms"
}

// parseOp parses "update c {_id:1} {$set:{v:1}} upsert".
func parseOp(text string) (scriptOp, error) {
	op := scriptOp{flags: map[string]string{}}
	var words []string
	for i := 0; i < len(text); {
		switch c := text[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '{' || c == '[':
			j, err := matchBracket(text, i)
			if err != nil {
				return op, err
			}
			op.args = append(op.args, relaxJSON(text[i:j]))
			i = j
		default:
			j := i
			for j < len(text) && text[j] != ' ' && text[j] != '\t' {
				j++
			}
			words = append(words, text[i:j])
			i = j
		}
	}
	if len(words) < 2 {
		return op, fmt.Errorf("op needs a name and a collection: %q", text)
	}
	op.name, op.coll = words[0], words[1]
	for _, w := range words[2:] {
		k, v, _ := strings.Cut(w, "=")
		op.flags[k] = v
	}
	return op, nil
}

// matchBracket returns the index just past the bracket that closes text[i].
func matchBracket(text string, i int) (int, error) {
	depth := 0
	for j := i; j < len(text); j++ {
		switch text[j] {
		case '"':
			for j++; j < len(text) && text[j] != '"'; j++ {
				if text[j] == '\\' {
					j++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced brackets in %q", text[i:])
}

// relaxJSON quotes bare object keys so that {_id:1, $set:{v:1}} becomes
// extended JSON that bson.UnmarshalExtJSON accepts.
func relaxJSON(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(s))
			b.WriteString(s[i:j])
			i = j
		case c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] == '.' || s[j] >= 'a' && s[j] <= 'z' ||
				s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			k := j
			for k < len(s) && s[k] == ' ' {
				k++
			}
			if k < len(s) && s[k] == ':' {
				b.WriteString(strconv.Quote(s[i:j]))
			} else {
				b.WriteString(s[i:j])
			}
			i = j
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// parseDoc decodes one relaxed extended JSON document.
func parseDoc(js string) (bson.Raw, error) {
	var d bson.D
	if err := bson.UnmarshalExtJSON([]byte(js), false, &d); err != nil {
		return nil, fmt.Errorf("bad document %s: %w", js, err)
	}
	return bson.Marshal(d)
}

// parseDocs decodes a relaxed extended JSON array of documents.
func parseDocs(js string) ([]any, error) {
	var w struct {
		A []bson.D `bson:"a"`
	}
	if err := bson.UnmarshalExtJSON([]byte(`{"a":`+js+`}`), false, &w); err != nil {
		return nil, fmt.Errorf("bad document array %s: %w", js, err)
	}
	docs := make([]any, len(w.A))
	for i, d := range w.A {
		raw, err := bson.Marshal(d)
		if err != nil {
			return nil, err
		}
		docs[i] = bson.Raw(raw)
	}
	return docs, nil
}

// do runs one op in ctx and returns its output and stats.
func (r *scriptRunner) do(ctx context.Context, text string) (string, *opRecord) {
	run, err := r.prepare(text)
	if err != nil {
		return err.Error(), &opRecord{}
	}
	return run(ctx)
}

// doSync runs one op in the foreground, under guard.
func (r *scriptRunner) doSync(ctx context.Context, text string) (string, *opRecord) {
	type result struct {
		out string
		rec *opRecord
	}
	res := guard(func() result {
		out, rec := r.do(ctx, text)
		return result{out, rec}
	}, result{"did not return within 5s", &opRecord{}})
	return res.out, res.rec
}

// guard runs a foreground step: one that should return at once but hangs is
// reported (as hung) instead of hanging the test.
func guard[T any](step func() T, hung T) T {
	ch := make(chan T, 1)
	go func() { ch <- step() }()
	select {
	case out := <-ch:
		return out
	case <-time.After(5 * time.Second):
		return hung
	}
}

// prepare parses an op and builds its arguments (including generated
// batches), so that a background op starts its statement at once; the
// returned function runs it in ctx.
func (r *scriptRunner) prepare(text string) (func(ctx context.Context) (string, *opRecord), error) {
	op, err := parseOp(text)
	if err != nil {
		return nil, err
	}
	docs := make([]bson.Raw, 0, len(op.args))
	for _, a := range op.args {
		if strings.HasPrefix(a, "[") {
			continue
		}
		d, err := parseDoc(a)
		if err != nil {
			return nil, err
		}
		docs = append(docs, d)
	}
	arg := func(i int) any {
		if i < len(docs) {
			return docs[i]
		}
		return bson.D{}
	}
	var timeout, cancelAfter time.Duration
	if v, ok := op.flags["maxTime"]; ok {
		if timeout, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("bad maxTime: %w", err)
		}
	}
	if v, ok := op.flags["cancelAfter"]; ok {
		if cancelAfter, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("bad cancelAfter: %w", err)
		}
	}
	var batch []any
	if op.name == "insertMany" {
		if n, ok := op.flags["gen"]; ok {
			count, err := strconv.Atoi(n)
			if d, derr := time.ParseDuration(n); err != nil && derr == nil {
				count, err = docsForDuration(d)
			}
			if err != nil {
				return nil, fmt.Errorf("bad gen: %w", err)
			}
			batch = generateDocs(count)
		} else {
			if len(op.args) == 0 {
				return nil, errors.New("insertMany needs an array")
			}
			if batch, err = parseDocs(op.args[0]); err != nil {
				return nil, err
			}
		}
	}
	_, upsert := op.flags["upsert"]
	_, many := op.flags["many"]
	coll := r.db.Database("test").Collection(op.coll)
	return func(ctx context.Context) (string, *opRecord) {
		rec := &opRecord{}
		if timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		if cancelAfter > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			stop := time.AfterFunc(cancelAfter, cancel)
			defer stop.Stop()
		}
		ctx = concord.WithOpStats(ctx, &rec.stats)
		before := r.db.Metrics().WriteConflicts
		out := r.exec(ctx, op, coll, arg, batch, upsert, many)
		rec.wcDelta = r.db.Metrics().WriteConflicts - before
		return out, rec
	}, nil
}

// exec runs a parsed op and formats its result.
func (r *scriptRunner) exec(ctx context.Context, op scriptOp, coll *concord.Collection, arg func(int) any,
	batch []any, upsert, many bool) string {
	var err error
	switch op.name {
	case "insert":
		if _, err := coll.InsertOne(ctx, arg(0)); err != nil {
			return formatError(err)
		}
		return "ok"
	case "insertMany":
		_, unordered := op.flags["unordered"]
		ordered := !unordered
		res, err := coll.InsertMany(ctx, batch, &concord.InsertManyOptions{Ordered: &ordered})
		var bwe *concord.BulkWriteError
		switch {
		case errors.As(err, &bwe):
			inserted := 0
			if res != nil {
				inserted = len(res.InsertedIDs)
			}
			return fmt.Sprintf("%s\ninserted=%d", formatError(err), inserted)
		case err != nil:
			return formatError(err)
		}
		if _, gen := op.flags["gen"]; gen {
			if len(res.InsertedIDs) == len(batch) {
				return "inserted all generated"
			}
			return fmt.Sprintf("inserted %d of %d generated", len(res.InsertedIDs), len(batch))
		}
		return fmt.Sprintf("inserted=%d", len(res.InsertedIDs))
	case "update":
		var res *concord.UpdateResult
		if many {
			res, err = coll.UpdateMany(ctx, arg(0), arg(1), &concord.UpdateOptions{Upsert: upsert})
		} else {
			res, err = coll.UpdateOne(ctx, arg(0), arg(1), &concord.UpdateOptions{Upsert: upsert})
		}
		return formatUpdate(res, err)
	case "replace":
		res, err := coll.ReplaceOne(ctx, arg(0), arg(1), &concord.ReplaceOptions{Upsert: upsert})
		return formatUpdate(res, err)
	case "delete":
		var res *concord.DeleteResult
		if many {
			res, err = coll.DeleteMany(ctx, arg(0))
		} else {
			res, err = coll.DeleteOne(ctx, arg(0))
		}
		if err != nil {
			return formatError(err)
		}
		return fmt.Sprintf("deleted=%d", res.DeletedCount)
	case "find":
		cur, err := coll.Find(ctx, arg(0), &concord.FindOptions{Sort: bson.D{{Key: "_id", Value: 1}}})
		if err != nil {
			return formatError(err)
		}
		defer cur.Close(ctx)
		var lines []string
		for cur.Next(ctx) {
			lines = append(lines, formatDoc(cur.Current))
		}
		if err := cur.Err(); err != nil {
			return formatError(err)
		}
		if len(lines) == 0 {
			return "[]"
		}
		return strings.Join(lines, "\n")
	case "count":
		n, err := coll.CountDocuments(ctx, arg(0))
		if err != nil {
			return formatError(err)
		}
		return fmt.Sprintf("count=%d", n)
	case "findOneAndUpdate":
		res := coll.FindOneAndUpdate(ctx, arg(0), arg(1), &concord.FindOneAndUpdateOptions{Upsert: upsert})
		raw, err := res.Raw()
		if err != nil {
			return formatError(err)
		}
		if _, quiet := op.flags["quiet"]; quiet {
			return "found"
		}
		return formatDoc(raw)
	case "distinct":
		// distinct c field [{filter}]: the field is the first word after c.
		field := ""
		for k := range op.flags {
			field = k
		}
		vals, err := coll.Distinct(ctx, field, arg(0))
		if err != nil {
			return formatError(err)
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			out[i] = v.String()
		}
		return "[" + strings.Join(out, ",") + "]"
	case "aggregate":
		if len(op.args) == 0 {
			return "aggregate needs a pipeline"
		}
		var w struct {
			P bson.A `bson:"p"`
		}
		if err := bson.UnmarshalExtJSON([]byte(`{"p":`+op.args[0]+`}`), false, &w); err != nil {
			return "bad pipeline: " + err.Error()
		}
		cur, err := coll.Aggregate(ctx, w.P)
		if err != nil {
			return formatError(err)
		}
		defer cur.Close(ctx)
		var lines []string
		for cur.Next(ctx) {
			lines = append(lines, formatDoc(cur.Current))
		}
		if err := cur.Err(); err != nil {
			return formatError(err)
		}
		if len(lines) == 0 {
			return "[]"
		}
		return strings.Join(lines, "\n")
	case "createIndex":
		_, unique := op.flags["unique"]
		name, err := coll.CreateIndex(ctx, concord.IndexModel{Keys: arg(0), Unique: unique})
		if err != nil {
			return formatError(err)
		}
		return name
	}
	return "unknown op " + op.name
}

// generateDocs returns n small documents {_id: 1000000+i, g: i}, encoded
// by hand into one buffer so that a batch of a million costs milliseconds.
func generateDocs(n int) []any {
	const size = 4 + (1 + 4 + 4) + (1 + 2 + 4) + 1
	buf := make([]byte, 0, size*n)
	docs := make([]any, n)
	for i := range docs {
		start := len(buf)
		buf = binary.LittleEndian.AppendUint32(buf, size)
		buf = append(buf, 0x10, '_', 'i', 'd', 0)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(1_000_000+i))
		buf = append(buf, 0x10, 'g', 0)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(i))
		buf = append(buf, 0)
		docs[i] = bson.Raw(buf[start:len(buf):len(buf)])
	}
	return docs
}

// docsForDuration sizes a batch that a transaction takes about d to insert
// on this machine now, measured on a scratch in-memory DB: scenarios that
// need a statement still running at a given moment must not depend on the
// machine's speed.
func docsForDuration(d time.Duration) (int, error) {
	db, err := concord.Open("", nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	s, err := db.StartSession()
	if err != nil {
		return 0, err
	}
	defer s.EndSession(context.Background())
	if err := s.StartTransaction(); err != nil {
		return 0, err
	}
	const probe = 5000
	docs := generateDocs(probe)
	start := time.Now()
	ctx := concord.NewSessionContext(context.Background(), s)
	if _, err := db.Database("test").Collection("probe").InsertMany(ctx, docs); err != nil {
		return 0, err
	}
	elapsed := max(time.Since(start), time.Millisecond)
	n := int(float64(probe) * float64(d) / float64(elapsed))
	return min(max(n, 10_000), 2_000_000), nil
}

// formatUpdate prints an update result as "matched=1 modified=1".
func formatUpdate(res *concord.UpdateResult, err error) string {
	if err != nil {
		return formatError(err)
	}
	s := fmt.Sprintf("matched=%d modified=%d", res.MatchedCount, res.ModifiedCount)
	if res.UpsertedCount > 0 {
		s += fmt.Sprintf(" upserted=%d", res.UpsertedCount)
	}
	return s
}

// formatDoc prints a document as relaxed extended JSON.
func formatDoc(doc any) string {
	js, err := bson.MarshalExtJSON(doc, false, false)
	if err != nil {
		return "unprintable document: " + err.Error()
	}
	return string(js)
}

// sessionErrors are the Go API's client-side session errors (the driver's),
// printed by name.
var sessionErrors = []struct {
	err  error
	name string
}{
	{concord.ErrSessionEnded, "concord.ErrSessionEnded"},
	{concord.ErrNoTransactionStarted, "concord.ErrNoTransactionStarted"},
	{concord.ErrTransactionInProgress, "concord.ErrTransactionInProgress"},
	{concord.ErrAbortAfterCommit, "concord.ErrAbortAfterCommit"},
	{concord.ErrAbortTwice, "concord.ErrAbortTwice"},
	{concord.ErrCommitAfterAbort, "concord.ErrCommitAfterAbort"},
	{concord.ErrClosed, "concord.ErrClosed"},
}

// formatError prints an error as the scripts expect it: "ok" for nil; code,
// code name and labels for a concord.Error, plus MongoDB's fixed message
// and the key of a DuplicateKey; the name of a client-side session error.
func formatError(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, concord.ErrNoDocuments) {
		return "no documents"
	}
	for _, se := range sessionErrors {
		if errors.Is(err, se.err) {
			return "error " + se.name
		}
	}
	var bwe *concord.BulkWriteError
	if errors.As(err, &bwe) {
		lines := []string{"bulk write error"}
		for _, we := range bwe.WriteErrors {
			lines = append(lines, fmt.Sprintf("write error index %d: %s", we.Index, formatCodeError(we.Err)))
		}
		return strings.Join(lines, "\n")
	}
	var ce *concord.Error
	if errors.As(err, &ce) {
		return formatCodeError(ce)
	}
	return fmt.Sprintf("non-concord error %T: %v", err, err)
}

// formatCodeError prints one concord.Error.
func formatCodeError(e *concord.Error) string {
	if e == nil {
		return "nil error"
	}
	labels := e.Labels
	if labels == nil {
		labels = []string{}
	}
	s := fmt.Sprintf("error %d %s %v", int32(e.Code), e.CodeName(), labels)
	if e.Code == 11000 {
		s += fmt.Sprintf("\nmsg: %s\nkeyPattern: %s keyValue: %s", e.Message, formatDoc(e.KeyPattern), formatDoc(e.KeyValue))
	}
	return s
}
