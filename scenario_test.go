package concord_test

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
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

// scenarioImpls are the implementations every script runs against: the
// embedded API, and the wire-protocol server reached through the official Go
// driver. Each is opened fresh for every run of a script.
var scenarioImpls = []scenarioImpl{
	{"embedded", openEmbeddedTarget},
	{"driver", openDriverTarget},
}

// scenarioImpl names an implementation and opens it.
type scenarioImpl struct {
	name string
	open func(tb testing.TB, policy concord.WaitPolicy) scenarioTarget
}

// TestScenarios runs every script in testdata/scenarios: the checkable
// scenarios of section 8 of the concurrency spec, as named sessions
// interleaved step by step. Each script runs on every implementation
// (scenarioImpls) with a fresh in-memory DB, once per wait policy: MongoDB's
// stepped backoff and Concord's parking must give the same replies, codes,
// labels and final data, embedded and over the wire.
//
// Script format: a directive line, optional input lines, "----", then the
// expected output up to the next blank line. Lines starting with '#' between
// directives are comments.
//
// Where an implementation legitimately differs (a check the Go driver makes
// before sending, an error the wire reports as a write error), the expected
// output goes on with a line "---- <implementation>" and that
// implementation's own expected output; the output before it is every other
// implementation's. Over the wire, an error the server reports in a reply's
// writeErrors (ok: 1) prints as "write error ...", one that fails the command
// (ok: 0) as "error ...": the embedded API has no such distinction. A script
// that cannot run on an implementation says so, and why, in a line
// "skip <implementation>: <reason>" (no output), reported as a skipped test.
//
// Directives:
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
// Any op takes maxTime=D (MongoDB's maxTimeMS) and cancelAfter=D (the context
// is cancelled, as killOp or a client disconnect). "close" closes the DB
// (ending waiting writers); later ops see the closed DB.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario scripts in testdata/scenarios")
	}
	if *rewrite {
		for _, file := range files {
			name := strings.TrimSuffix(filepath.Base(file), ".txt")
			t.Run("rewrite/"+name, func(t *testing.T) {
				t.Parallel()
				rewriteScript(t, file)
			})
		}
		return
	}
	policies := []struct {
		name   string
		policy concord.WaitPolicy
	}{
		{"park", concord.WaitPark},
		{"backoff", concord.WaitBackoff},
	}
	for _, impl := range scenarioImpls {
		for _, p := range policies {
			t.Run(impl.name+"/"+p.name, func(t *testing.T) {
				for _, file := range files {
					name := strings.TrimSuffix(filepath.Base(file), ".txt")
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						sc := readScript(t, file)
						if reason, ok := sc.skip[impl.name]; ok {
							t.Skipf("%s [%s]: %s", file, impl.name, reason)
						}
						actual := runScript(t, impl.open(t, p.policy), sc)
						for i, c := range sc.cases {
							if want := c.expectedFor(impl.name); actual[i] != want {
								t.Errorf("%s [%s, %s]:%d: %s\nexpected:\n%s\nactual:\n%s",
									file, impl.name, p.name, c.line, c.cmd, want, actual[i])
							}
						}
					})
				}
			})
		}
	}
}

// script is a parsed script file; lines keeps the file so that a rewrite can
// replace only the expected outputs.
type script struct {
	file  string
	lines []string
	cases []scriptCase
	skip  map[string]string // implementation -> why the script cannot run on it
}

// scriptCase is one directive of a script with the output it expects.
type scriptCase struct {
	line     int    // 1-based line of the directive
	cmd      string // the directive line
	sep      int    // 0-based index of its "----" line
	end      int    // 0-based index just past its expected output
	expected string // every implementation's, but those in alt
	alt      map[string]string
}

// expectedFor returns the output the case expects from implementation impl.
func (c scriptCase) expectedFor(impl string) string {
	if out, ok := c.alt[impl]; ok {
		return out
	}
	return c.expected
}

// readScript reads and parses a script, failing the test on a malformed one.
func readScript(tb testing.TB, file string) script {
	tb.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := parseScript(string(data))
	if err != nil {
		tb.Fatalf("%s: %v", file, err)
	}
	sc.file = file
	return sc
}

// isImpl reports whether name is one of scenarioImpls.
func isImpl(name string) bool {
	return slices.ContainsFunc(scenarioImpls, func(x scenarioImpl) bool { return x.name == name })
}

// parseScript splits a script into its directives.
func parseScript(data string) (sc script, err error) {
	lines := strings.Split(strings.TrimRight(data, "\n"), "\n")
	var cases []scriptCase
	for i := 0; i < len(lines); {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			i++
			continue
		}
		if rest, ok := strings.CutPrefix(l, "skip "); ok {
			impl, reason, _ := strings.Cut(rest, ":")
			if !isImpl(impl) || strings.TrimSpace(reason) == "" {
				return script{}, fmt.Errorf("line %d: want \"skip <implementation>: <reason>\"", i+1)
			}
			if sc.skip == nil {
				sc.skip = map[string]string{}
			}
			sc.skip[impl] = strings.TrimSpace(reason)
			i++
			continue
		}
		c := scriptCase{line: i + 1, cmd: l}
		j := i + 1
		for j < len(lines) && lines[j] != "----" {
			if strings.TrimSpace(lines[j]) == "" {
				return script{}, fmt.Errorf("line %d: directive %q has no \"----\" line", i+1, l)
			}
			j++
		}
		if j == len(lines) {
			return script{}, fmt.Errorf("line %d: directive %q has no \"----\" line", i+1, l)
		}
		c.sep = j
		k := j + 1
		for k < len(lines) && lines[k] != "" {
			k++
		}
		c.end = k
		out := lines[j+1 : k]
		impl := ""
		for len(out) > 0 {
			n := slices.IndexFunc(out, func(l string) bool { return strings.HasPrefix(l, "---- ") })
			if n < 0 {
				n = len(out)
			}
			text := strings.Join(out[:n], "\n")
			if impl == "" {
				c.expected = text
			} else {
				if !isImpl(impl) {
					return script{}, fmt.Errorf("line %d: no implementation %q", i+1, impl)
				}
				if c.alt == nil {
					c.alt = map[string]string{}
				}
				c.alt[impl] = text
			}
			if n == len(out) {
				break
			}
			impl = strings.TrimPrefix(out[n], "---- ")
			out = out[n+1:]
		}
		cases = append(cases, c)
		i = k
	}
	sc.lines, sc.cases = lines, cases
	return sc, nil
}

// rewriteScript runs a script on every implementation it does not skip
// (parking waits) and writes their outputs back: the first implementation's
// as the expected output, and any other's that differs after a
// "---- <implementation>" line.
func rewriteScript(t *testing.T, file string) {
	sc := readScript(t, file)
	if _, skip := sc.skip[scenarioImpls[0].name]; skip {
		t.Fatalf("%s: the reference implementation %s cannot be skipped", file, scenarioImpls[0].name)
	}
	outs := make([][]string, len(scenarioImpls))
	for i, impl := range scenarioImpls {
		if _, skip := sc.skip[impl.name]; skip {
			continue
		}
		outs[i] = runScript(t, impl.open(t, concord.WaitPark), sc)
	}
	var b strings.Builder
	prev := 0
	for i, c := range sc.cases {
		for _, l := range sc.lines[prev : c.sep+1] {
			b.WriteString(l + "\n")
		}
		b.WriteString(outs[0][i] + "\n")
		for j := 1; j < len(outs); j++ {
			if outs[j] != nil && outs[j][i] != outs[0][i] {
				b.WriteString("---- " + scenarioImpls[j].name + "\n" + outs[j][i] + "\n")
			}
		}
		prev = c.end
	}
	for _, l := range sc.lines[prev:] {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runScript runs every directive of sc against target and returns their
// outputs; it closes the target at the end.
func runScript(t *testing.T, target scenarioTarget, sc script) []string {
	r := &scriptRunner{
		target:   target,
		sessions: map[string]scenarioSession{},
		last:     map[string]*opRecord{},
		bg:       map[string]*bgOp{},
	}
	actual := make([]string, len(sc.cases))
	for i, c := range sc.cases {
		out := r.run(c.cmd)
		if out == "" {
			out = "ok"
		}
		actual[i] = out
	}
	for name, op := range r.bg {
		select {
		case <-op.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s [%s]: background op %s never returned", sc.file, target.name(), name)
		}
	}
	if !r.closed {
		if err := target.close(); err != nil {
			t.Errorf("%s [%s]: close: %v", sc.file, target.name(), err)
		}
	}
	return actual
}

// scriptRunner holds the state one script builds up: its target, named
// sessions, background operations and the stats of each actor's last
// operation.
type scriptRunner struct {
	target   scenarioTarget
	closed   bool // by a "close" directive
	sessions map[string]scenarioSession
	last     map[string]*opRecord
	bg       map[string]*bgOp
}

// opRecord is what "stats" reports about an actor's last operation.
type opRecord struct {
	// stats reports the op's profiler statistics once it has returned
	// (nil if it never ran).
	stats func() (opStats, error)
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
			return r.target.describeError(err)
		}
		return guard(func() string {
			ctx := context.Background()
			switch word {
			case "start":
				return r.target.describeError(s.start())
			case "commit":
				return r.target.describeError(s.commit(ctx))
			case "abort":
				return r.target.describeError(s.abort(ctx))
			}
			s.end(ctx)
			return "ok"
		}, "did not return within 5s")
	case "wait":
		return r.wait(rest)
	case "close":
		r.closed = true
		return guard(func() string { return r.target.describeError(r.target.close()) }, "did not return within 5s")
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
		return r.target.describeError(r.target.setLifetime(d))
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
		out, rec := r.doSync(actor, opText)
		r.last[actor] = rec
		return out
	}
	out, rec := r.doSync("", cmd)
	r.last[""] = rec
	return out
}

// metrics prints the transactions section of serverStatus. With
// until=<field>=<value> it first polls (for up to 30 s, for a loaded machine)
// until the section shows that value: a statement's client-side preparation
// (encoding a large batch) comes before the server sees it, as with a driver,
// and the reaper passes once a second.
func (r *scriptRunner) metrics(args string) string {
	section, opt, _ := strings.Cut(args, " ")
	if section != "transactions" {
		return "unknown metrics section " + section
	}
	until, _ := strings.CutPrefix(strings.TrimSpace(opt), "until=")
	deadline := time.Now().Add(30 * time.Second)
	for {
		m, err := r.target.transactionMetrics()
		if err != nil {
			return r.target.describeError(err)
		}
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
func (r *scriptRunner) session(name string) (scenarioSession, error) {
	if !isActor(name) {
		return nil, fmt.Errorf("bad session name %q", name)
	}
	if s, ok := r.sessions[name]; ok {
		return s, nil
	}
	s, err := r.target.startSession(name)
	if err != nil {
		return nil, err
	}
	r.sessions[name] = s
	return s, nil
}

// ctxOf is the context an actor's ops run in: its session's if it has one.
func (r *scriptRunner) ctxOf(actor string) context.Context {
	if s, ok := r.sessions[actor]; ok {
		return s.context(context.Background())
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
	run, err := r.prepare(name, opText)
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
	if rec.stats == nil {
		return "no stats: the op did not run"
	}
	st, err := rec.stats()
	if err != nil {
		return "no stats: " + err.Error()
	}
	return fmt.Sprintf("nMatched=%d nModified=%d\nwriteConflicts>=1: %t\nnumYield>=writeConflicts: %t\nserver writeConflicts delta == writeConflicts: %t",
		st.nMatched, st.nModified, st.writeConflicts >= 1, st.numYield >= st.writeConflicts, rec.wcDelta == st.writeConflicts)
}

// concurrent runs n copies of an op outside any session, released together,
// and tallies their outputs.
func (r *scriptRunner) concurrent(n int, opText string) string {
	run, err := r.prepare("", opText)
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

// doSync runs one op of actor in the foreground, under guard.
func (r *scriptRunner) doSync(actor, text string) (string, *opRecord) {
	type result struct {
		out string
		rec *opRecord
	}
	ctx := r.ctxOf(actor)
	res := guard(func() result {
		run, err := r.prepare(actor, text)
		if err != nil {
			return result{err.Error(), &opRecord{}}
		}
		out, rec := run(ctx)
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

// prepare parses an op of actor and builds its arguments (including
// generated batches), so that a background op starts its statement at once;
// the returned function runs it in ctx.
func (r *scriptRunner) prepare(actor, text string) (func(ctx context.Context) (string, *opRecord), error) {
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
	arg := func(i int) bson.Raw {
		if i < len(docs) {
			return docs[i]
		}
		return emptyDoc
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
	coll, err := r.target.collection(actor, op.coll)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) (string, *opRecord) {
		rec := &opRecord{}
		if cancelAfter > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithCancel(ctx)
			defer cancel()
			stop := time.AfterFunc(cancelAfter, cancel)
			defer stop.Stop()
		}
		ctx, rec.stats = r.target.profile(ctx, actor)
		before, err := r.target.writeConflicts()
		if err != nil {
			return r.target.describeError(err), rec
		}
		out := r.exec(ctx, op, coll, arg, batch, timeout)
		after, err := r.target.writeConflicts()
		if err != nil {
			return r.target.describeError(err), rec
		}
		rec.wcDelta = after - before
		return out, rec
	}, nil
}

// emptyDoc is the filter of an op given none.
var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// exec runs a parsed op on coll and formats its result.
func (r *scriptRunner) exec(ctx context.Context, op scriptOp, coll scenarioColl, arg func(int) bson.Raw,
	batch []any, maxTime time.Duration) string {
	_, upsert := op.flags["upsert"]
	_, many := op.flags["many"]
	describe := r.target.describeError
	opts := writeOpts{upsert: upsert, many: many, maxTime: maxTime}
	switch op.name {
	case "insert":
		return describe(coll.insertOne(ctx, arg(0), opts))
	case "insertMany":
		_, unordered := op.flags["unordered"]
		opts.ordered = !unordered
		inserted, err := coll.insertMany(ctx, batch, opts)
		if err != nil {
			out := describe(err)
			if strings.HasPrefix(out, bulkWriteError) {
				out += fmt.Sprintf("\ninserted=%d", inserted)
			}
			return out
		}
		if _, gen := op.flags["gen"]; gen {
			if inserted == len(batch) {
				return "inserted all generated"
			}
			return fmt.Sprintf("inserted %d of %d generated", inserted, len(batch))
		}
		return fmt.Sprintf("inserted=%d", inserted)
	case "update":
		res, err := coll.update(ctx, arg(0), arg(1), opts)
		return formatUpdate(res, err, describe)
	case "replace":
		res, err := coll.replace(ctx, arg(0), arg(1), opts)
		return formatUpdate(res, err, describe)
	case "delete":
		n, err := coll.delete(ctx, arg(0), opts)
		if err != nil {
			return describe(err)
		}
		return fmt.Sprintf("deleted=%d", n)
	case "find":
		docs, err := coll.find(ctx, arg(0))
		if err != nil {
			return describe(err)
		}
		return formatDocs(docs)
	case "count":
		n, err := coll.count(ctx, arg(0))
		if err != nil {
			return describe(err)
		}
		return fmt.Sprintf("count=%d", n)
	case "findOneAndUpdate":
		doc, err := coll.findOneAndUpdate(ctx, arg(0), arg(1), opts)
		if err != nil {
			return describe(err)
		}
		if _, quiet := op.flags["quiet"]; quiet {
			return "found"
		}
		return formatDoc(doc)
	case "distinct":
		// distinct c field [{filter}]: the field is the first word after c.
		field := ""
		for k := range op.flags {
			field = k
		}
		vals, err := coll.distinct(ctx, field, arg(0))
		if err != nil {
			return describe(err)
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
		docs, err := coll.aggregate(ctx, w.P)
		if err != nil {
			return describe(err)
		}
		return formatDocs(docs)
	case "createIndex":
		_, unique := op.flags["unique"]
		name, err := coll.createIndex(ctx, arg(0), unique)
		if err != nil {
			return describe(err)
		}
		return name
	}
	return "unknown op " + op.name
}

// scenarioTarget is an implementation a script runs against: the embedded
// API, or the server through the official Go driver. Its methods are what the
// directives need; the runner formats their results, and describeError turns
// the implementation's errors into the scripts' text, so that one runner and
// one expected output serve every implementation. Methods may be called from
// the runner's background goroutines at once.
type scenarioTarget interface {
	// name is the implementation's name, as in scenarioImpls.
	name() string
	// collection returns collection name of database "test" as actor
	// reaches it ("" outside any session).
	collection(actor, name string) (scenarioColl, error)
	// startSession starts actor's session.
	startSession(actor string) (scenarioSession, error)
	// profile prepares ctx for one op of actor and returns a function that
	// reports the op's profiler statistics once it has returned.
	profile(ctx context.Context, actor string) (context.Context, func() (opStats, error))
	// writeConflicts reads the server-wide writeConflicts counter.
	writeConflicts() (int64, error)
	// transactionMetrics reads serverStatus' transactions section.
	transactionMetrics() (txnMetrics, error)
	// setLifetime sets transactionLifetimeLimitSeconds.
	setLifetime(d time.Duration) error
	// close shuts the implementation down, ending waiting writers.
	close() error
	// describeError prints err as the scripts expect it: "ok" for nil; code,
	// code name and labels of a server error, plus MongoDB's message and the
	// key of a DuplicateKey; "client error <name>" for one the client
	// returns without asking the server.
	describeError(err error) string
}

// scenarioSession is a session of a scenarioTarget.
type scenarioSession interface {
	start() error
	commit(ctx context.Context) error
	abort(ctx context.Context) error
	end(ctx context.Context)
	// context binds ctx to the session, as mongo.NewSessionContext does.
	context(ctx context.Context) context.Context
}

// scenarioColl is a collection of a scenarioTarget.
type scenarioColl interface {
	insertOne(ctx context.Context, doc bson.Raw, o writeOpts) error
	// insertMany returns how many documents were inserted, also when it
	// fails.
	insertMany(ctx context.Context, docs []any, o writeOpts) (int, error)
	update(ctx context.Context, filter, update bson.Raw, o writeOpts) (updateResult, error)
	replace(ctx context.Context, filter, doc bson.Raw, o writeOpts) (updateResult, error)
	delete(ctx context.Context, filter bson.Raw, o writeOpts) (int64, error)
	// find returns the matching documents in _id order.
	find(ctx context.Context, filter bson.Raw) ([]bson.Raw, error)
	count(ctx context.Context, filter bson.Raw) (int64, error)
	findOneAndUpdate(ctx context.Context, filter, update bson.Raw, o writeOpts) (bson.Raw, error)
	distinct(ctx context.Context, field string, filter bson.Raw) ([]bson.RawValue, error)
	aggregate(ctx context.Context, pipeline bson.A) ([]bson.Raw, error)
	createIndex(ctx context.Context, keys bson.Raw, unique bool) (string, error)
}

// writeOpts are a write's flags.
type writeOpts struct {
	upsert, many, ordered bool
	maxTime               time.Duration // MongoDB's maxTimeMS; 0 for none
}

// updateResult is what an update or replace reports.
type updateResult struct{ matched, modified, upserted int64 }

// opStats are the profiler fields the scripts check.
type opStats struct{ nMatched, nModified, writeConflicts, numYield int64 }

// txnMetrics is serverStatus' transactions section.
type txnMetrics struct {
	TotalStarted, TotalCommitted, TotalAborted, CurrentOpen, CurrentActive, CurrentInactive int64
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

// docsForDuration sizes a batch that a transaction takes at least about d to
// insert on this machine, measured on a scratch in-memory DB: scenarios that
// need a statement still running at a given moment must not depend on the
// machine's speed. The machine's load varies (other tests, other builds): the
// batch is sized from the fastest of several probes, so that a slow spell
// during the probes cannot make a batch that a faster spell later inserts
// well before d.
func docsForDuration(d time.Duration) (int, error) {
	db, err := concord.Open("", nil)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	const probe = 5000
	fastest := time.Duration(math.MaxInt64)
	began := time.Now()
	for i := 0; i < 10 && (i < 3 || time.Since(began) < 300*time.Millisecond); i++ {
		elapsed, err := probeInsert(db, i, probe)
		if err != nil {
			return 0, err
		}
		fastest = min(fastest, elapsed)
	}
	elapsed := max(fastest, time.Millisecond)
	n := int(float64(probe) * float64(d) / float64(elapsed))
	return min(max(n, 10_000), 2_000_000), nil
}

// probeInsert times the insert of n generated documents in a transaction into a fresh collection of db.
func probeInsert(db *concord.DB, i, n int) (time.Duration, error) {
	s, err := db.StartSession()
	if err != nil {
		return 0, err
	}
	defer s.EndSession(context.Background())
	if err := s.StartTransaction(); err != nil {
		return 0, err
	}
	docs := generateDocs(n)
	start := time.Now()
	ctx := concord.NewSessionContext(context.Background(), s)
	if _, err := db.Database("test").Collection(fmt.Sprintf("probe%d", i)).InsertMany(ctx, docs); err != nil {
		return 0, err
	}
	elapsed := time.Since(start)
	return elapsed, s.AbortTransaction(context.Background())
}

// formatUpdate prints an update result as "matched=1 modified=1".
func formatUpdate(res updateResult, err error, describe func(error) string) string {
	if err != nil {
		return describe(err)
	}
	s := fmt.Sprintf("matched=%d modified=%d", res.matched, res.modified)
	if res.upserted > 0 {
		s += fmt.Sprintf(" upserted=%d", res.upserted)
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

// formatDocs prints documents one a line, "[]" for none.
func formatDocs(docs []bson.Raw) string {
	if len(docs) == 0 {
		return "[]"
	}
	lines := make([]string, len(docs))
	for i, d := range docs {
		lines[i] = formatDoc(d)
	}
	return strings.Join(lines, "\n")
}

// bulkWriteError starts the description of an insertMany's write errors.
const bulkWriteError = "bulk write error"

// serverError is an error from the server (or the engine) as the scripts
// print it, whichever implementation returned it.
type serverError struct {
	// write marks an error the server reported in a reply's writeErrors
	// (ok: 1), not as the command's failure (ok: 0): a distinction only the
	// wire makes.
	write                bool
	code                 int32
	name                 string // codeName; empty to take the code's
	labels               []string
	msg                  string   // printed for DuplicateKey only
	keyPattern, keyValue bson.Raw // DuplicateKey's
}

// String prints "error 112 WriteConflict [TransientTransactionError]" (or
// "write error ...") and, for a DuplicateKey, MongoDB's message and key.
func (e serverError) String() string {
	name := e.name
	if name == "" {
		name = concord.Code(e.code).Name()
	}
	labels := e.labels
	if labels == nil {
		labels = []string{}
	}
	s := fmt.Sprintf("error %d %s %v", e.code, name, labels)
	if e.write {
		s = "write " + s
	}
	if e.code == 11000 {
		s += fmt.Sprintf("\nmsg: %s\nkeyPattern: %s keyValue: %s", e.msg, formatDoc(e.keyPattern), formatDoc(e.keyValue))
	}
	return s
}

// bulkWriteErrors prints an insertMany's write errors, each index with its
// error.
func bulkWriteErrors(indexes []int, errs []serverError) string {
	lines := []string{bulkWriteError}
	for i, e := range errs {
		lines = append(lines, fmt.Sprintf("write error index %d: %s", indexes[i], e))
	}
	return strings.Join(lines, "\n")
}
