package concord_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/frontend"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// crashChildEnv names the directory the child process writes to; its presence
// turns the test binary into the child (see TestMain).
const crashChildEnv = "CONCORD_CRASH_CHILD_DIR"

// crashIterEnv numbers the child's life, so that its inserts and transaction
// ids never collide with those of an earlier life.
const crashIterEnv = "CONCORD_CRASH_ITERATION"

// The crash database: counters incremented one document at a time, an insert
// log, accounts that transactions move money between (each transaction also
// inserting its own entry into a transfer log), and documents whose uniquely
// indexed key k is moved around, so that recovery must keep the index in step
// with the documents.
const (
	crashDB       = "crash"
	crashCounters = 8
	crashAccounts = 10
	crashInitial  = 1000
	crashKills    = 20
	crashMovers   = 20 // documents whose unique key k the child keeps moving
	crashRecorded = 2  // workers whose every $inc also stores their session record (WithSessionRecord)
)

// crashRecordID is the logical session id of recording worker w.
func crashRecordID(w int) [16]byte {
	return [16]byte{0xcc, byte(w)}
}

// crashRecordedCount is what recording worker w's session record says it has done: the seq of its last $inc,
// 0 before the first.
func crashRecordedCount(db *concord.DB, w int) (int64, error) {
	raw, err := frontend.SessionRecord(db, crashRecordID(w))
	if err != nil || raw == nil {
		return 0, err
	}
	return bson.Raw(raw).Lookup("seq").AsInt64(), nil
}

// TestCrash_AcknowledgedWritesSurviveSIGKILL kills a child process under
// write load with SIGKILL, 20 times in a row on the same directory, and after
// every kill reopens the database and checks that every acknowledged write is
// there, no write was applied twice, no transaction is partly visible, and a
// session record (WithSessionRecord) agrees with the write it was stored with.
func TestCrash_AcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	seedCrashDB(t, dir)

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	base := map[string]int64{}
	for k := range crashCounters {
		base[fmt.Sprintf("c%d", k)] = 0
	}
	var totalAcks int
	for iter := 1; iter <= crashKills; iter++ {
		delay := time.Duration(50+rng.IntN(351)) * time.Millisecond
		log := runCrashChild(t, dir, iter, delay)
		totalAcks += log.acks
		problems, err := crashProblems(dir, iter, log, base)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		for _, p := range problems {
			t.Errorf("iteration %d: %s", iter, p)
		}
		if log.childStderr != "" {
			// The child prints only unexpected errors (and the race
			// detector its reports) there.
			t.Errorf("iteration %d: the child reported errors", iter)
		}
		if t.Failed() {
			t.Fatalf("iteration %d (killed %v after the first ack) broke an invariant; child stderr:\n%s", iter, delay, log.childStderr)
		}
	}
	t.Logf("%d kills, %d acknowledged writes checked", crashKills, totalAcks)
	// The record check above is not vacuous: the recording workers wrote.
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for w := range crashRecorded {
		if seq, err := crashRecordedCount(db, w); err != nil || seq == 0 {
			t.Fatalf("recording worker %d stored no record (%v)", w, err)
		} else {
			t.Logf("recording worker %d: %d $inc, each with its session record", w, seq)
		}
	}
}

// seedCrashDB creates the counters and accounts of the crash database in dir.
func seedCrashDB(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database(crashDB)
	for k := range crashCounters {
		if _, err := d.Collection("counters").InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("c%d", k)}, {Key: "n", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
	}
	for w := range crashRecorded {
		if _, err := d.Collection("recorded").InsertOne(ctx, bson.D{{Key: "_id", Value: w}, {Key: "n", Value: int64(0)}}); err != nil {
			t.Fatal(err)
		}
	}
	for a := range crashAccounts {
		if _, err := d.Collection("accounts").InsertOne(ctx, bson.D{{Key: "_id", Value: fmt.Sprintf("a%d", a)}, {Key: "bal", Value: int64(crashInitial)}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Collection("moves").CreateIndex(ctx, concord.IndexModel{Keys: bson.D{{Key: "k", Value: 1}}, Unique: true}); err != nil {
		t.Fatal(err)
	}
	for i := range crashMovers {
		if _, err := d.Collection("moves").InsertOne(ctx, bson.D{{Key: "_id", Value: i}, {Key: "k", Value: i}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// crashLog is what one child acknowledged (and attempted) before it died.
type crashLog struct {
	acks        int
	incTried    map[string]int64
	incAcked    map[string]int64
	insTried    map[int64]bool
	insAcked    []int64
	txnAcked    []int64
	childStderr string
}

// runCrashChild starts the child on dir, kills it with SIGKILL delay after its
// first acknowledgement, and returns everything it printed.
func runCrashChild(t *testing.T, dir string, iter int, delay time.Duration) crashLog {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir, crashIterEnv+"="+strconv.Itoa(iter))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	firstAck := make(chan struct{})
	var lines []string
	readDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		acked := false
		for sc.Scan() {
			l := sc.Text()
			lines = append(lines, l)
			if !acked && strings.HasPrefix(l, "ack ") {
				acked = true
				close(firstAck)
			}
		}
		readDone <- sc.Err()
	}()
	select {
	case <-firstAck:
		time.Sleep(delay)
	case <-time.After(30 * time.Second):
		t.Errorf("iteration %d: child acknowledged nothing within 30s", iter)
	case err := <-readDone:
		readDone <- err
		t.Errorf("iteration %d: child exited before acknowledging anything", iter)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Errorf("kill: %v", err)
	}
	// Wait closes the pipe, so read it to EOF first: the dead child's output
	// is still in the pipe buffer.
	if err := <-readDone; err != nil && err != io.EOF {
		t.Errorf("reading child output: %v", err)
	}
	_ = cmd.Wait() // "signal: killed"
	log := crashLog{
		incTried:    map[string]int64{},
		incAcked:    map[string]int64{},
		insTried:    map[int64]bool{},
		childStderr: stderr.String(),
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			if l != "ready" {
				t.Errorf("iteration %d: bad child line %q", iter, l)
			}
			continue
		}
		switch f[0] + " " + f[1] {
		case "try inc":
			log.incTried[f[2]]++
		case "ack inc":
			log.incAcked[f[2]]++
			log.acks++
		case "try ins":
			log.insTried[mustInt(t, f[2])] = true
		case "ack ins":
			log.insAcked = append(log.insAcked, mustInt(t, f[2]))
			log.acks++
		case "ack txn":
			log.txnAcked = append(log.txnAcked, mustInt(t, f[2]))
			log.acks++
		default:
			t.Errorf("iteration %d: bad child line %q", iter, l)
		}
	}
	return log
}

// mustInt parses a decimal id printed by the child.
func mustInt(t *testing.T, s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Errorf("bad id %q", s)
	}
	return n
}

// crashProblems reopens the directory after a kill and lists every
// invariant the state breaks, given what the child of life iter
// acknowledged; base holds the counters as found after the previous kill and
// is advanced to the values found now. err reports a failure to read the
// state at all.
func crashProblems(dir string, iter int, log crashLog, base map[string]int64) (problems []string, err error) {
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		return nil, fmt.Errorf("reopen after SIGKILL: %w", err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close: %w", cerr)
		}
	}()
	d := db.Database(crashDB)
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	// Counters: every acknowledged $inc is there, none applied twice.
	var counters []struct {
		ID string `bson:"_id"`
		N  int64  `bson:"n"`
	}
	if err := findAll(ctx, d.Collection("counters"), bson.D{}, &counters); err != nil {
		return nil, err
	}
	if len(counters) != crashCounters {
		bad("%d counters, want %d", len(counters), crashCounters)
	}
	for _, c := range counters {
		lo, hi := base[c.ID]+log.incAcked[c.ID], base[c.ID]+log.incTried[c.ID]
		if c.N < lo || c.N > hi {
			bad("counter %s = %d, want in [%d, %d] (before %d, acked %d, tried %d)",
				c.ID, c.N, lo, hi, base[c.ID], log.incAcked[c.ID], log.incTried[c.ID])
		}
		base[c.ID] = c.N
	}

	// Session records: each recording worker's record counts exactly the $inc applied to its document, since both
	// are written in one batch.
	for w := range crashRecorded {
		var doc struct {
			N int64 `bson:"n"`
		}
		if err := d.Collection("recorded").FindOne(ctx, bson.D{{Key: "_id", Value: w}}).Decode(&doc); err != nil {
			return nil, err
		}
		seq, err := crashRecordedCount(db, w)
		if err != nil {
			return nil, err
		}
		if doc.N != seq {
			bad("recording worker %d: document n = %d but its session record says %d", w, doc.N, seq)
		}
	}

	// Inserts of this life: every acknowledged id is there, and only ids the
	// child tried.
	var inserted []struct {
		ID int64 `bson:"_id"`
	}
	lo, hi := int64(iter)*1_000_000, int64(iter+1)*1_000_000
	filter := bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: lo}, {Key: "$lt", Value: hi}}}}
	if err := findAll(ctx, d.Collection("inserts"), filter, &inserted); err != nil {
		return nil, err
	}
	present := map[int64]bool{}
	for _, doc := range inserted {
		present[doc.ID] = true
		if !log.insTried[doc.ID] {
			bad("insert %d present but never attempted", doc.ID)
		}
	}
	for _, id := range log.insAcked {
		if !present[id] {
			bad("acknowledged insert %d lost", id)
		}
	}

	// Transfers: every acknowledged transaction's log entry is there, and the
	// balances are exactly what the logged transfers imply: all three writes
	// of a transaction are visible together or not at all.
	var transfers []struct {
		ID     int64  `bson:"_id"`
		From   string `bson:"from"`
		To     string `bson:"to"`
		Amount int64  `bson:"amount"`
	}
	if err := findAll(ctx, d.Collection("transfers"), bson.D{}, &transfers); err != nil {
		return nil, err
	}
	logged := map[int64]bool{}
	want := map[string]int64{}
	for a := range crashAccounts {
		want[fmt.Sprintf("a%d", a)] = crashInitial
	}
	for _, tr := range transfers {
		logged[tr.ID] = true
		want[tr.From] -= tr.Amount
		want[tr.To] += tr.Amount
	}
	for _, id := range log.txnAcked {
		if !logged[id] {
			bad("acknowledged transaction %d lost", id)
		}
	}
	var accounts []struct {
		ID  string `bson:"_id"`
		Bal int64  `bson:"bal"`
	}
	if err := findAll(ctx, d.Collection("accounts"), bson.D{}, &accounts); err != nil {
		return nil, err
	}
	var sum int64
	for _, a := range accounts {
		sum += a.Bal
		if a.Bal != want[a.ID] {
			bad("account %s = %d, logged transfers imply %d", a.ID, a.Bal, want[a.ID])
		}
		if a.Bal < 0 {
			bad("account %s negative: %d", a.ID, a.Bal)
		}
	}
	if len(accounts) != crashAccounts || sum != crashAccounts*crashInitial {
		bad("%d accounts sum to %d, want %d summing to %d", len(accounts), sum, crashAccounts, crashAccounts*crashInitial)
	}

	// Moves: the unique keys are distinct, and every index lookup finds
	// exactly what a full scan finds.
	var movers []struct {
		ID int `bson:"_id"`
		K  int `bson:"k"`
	}
	if err := findAll(ctx, d.Collection("moves"), bson.D{}, &movers); err != nil {
		return nil, err
	}
	if len(movers) != crashMovers {
		bad("%d moving documents, want %d", len(movers), crashMovers)
	}
	byKey := map[int]int{}
	for _, m := range movers {
		if other, ok := byKey[m.K]; ok {
			bad("documents %d and %d share unique key k=%d", other, m.ID, m.K)
		}
		byKey[m.K] = m.ID
	}
	for k := -crashMovers; k < 2*crashMovers; k++ {
		var found []struct {
			ID int `bson:"_id"`
		}
		if err := findAll(ctx, d.Collection("moves"), bson.D{{Key: "k", Value: k}}, &found); err != nil {
			return nil, err
		}
		id, ok := byKey[k]
		switch {
		case !ok && len(found) != 0:
			bad("index lookup k=%d found %v, the scan found no document", k, found)
		case ok && (len(found) != 1 || found[0].ID != id):
			bad("index lookup k=%d found %v, the scan found document %d", k, found, id)
		}
	}
	return problems, nil
}

// findAll decodes every document matching filter into out.
func findAll(ctx context.Context, coll *concord.Collection, filter any, out any) error {
	cur, err := coll.Find(ctx, filter)
	if err != nil {
		return fmt.Errorf("find in %s: %w", coll.Name(), err)
	}
	if err := cur.All(ctx, out); err != nil {
		return fmt.Errorf("decode %s: %w", coll.Name(), err)
	}
	return nil
}

// TestCrashProblems_DetectsViolations shows that the crash checker can fail:
// on a state built by hand it reports a lost acknowledged insert, counter
// increment and transaction, an increment applied twice, and a transfer with
// one leg applied.
func TestCrashProblems_DetectsViolations(t *testing.T) {
	dir := t.TempDir()
	seedCrashDB(t, dir)
	ctx := context.Background()
	db, err := concord.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := db.Database(crashDB)
	// What a child of life 1 might have left: c0 incremented twice, insert
	// 1000000 and transaction 1500000 done, plus a half transfer on a1.
	steps := []error{
		func() error {
			_, err := d.Collection("counters").UpdateOne(ctx, bson.D{{Key: "_id", Value: "c0"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(2)}}}})
			return err
		}(),
		func() error {
			_, err := d.Collection("inserts").InsertOne(ctx, bson.D{{Key: "_id", Value: int64(1_000_000)}})
			return err
		}(),
		func() error {
			_, err := d.Collection("transfers").InsertOne(ctx, bson.D{{Key: "_id", Value: int64(1_500_000)}, {Key: "from", Value: "a0"}, {Key: "to", Value: "a1"}, {Key: "amount", Value: int64(5)}})
			return err
		}(),
		func() error {
			_, err := d.Collection("accounts").UpdateOne(ctx, bson.D{{Key: "_id", Value: "a1"}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: int64(5)}}}})
			return err
		}(),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fresh := func() map[string]int64 {
		m := map[string]int64{}
		for k := range crashCounters {
			m[fmt.Sprintf("c%d", k)] = 0
		}
		return m
	}
	tests := []struct {
		name string
		log  crashLog
		want []string
	}{
		{
			name: "increment applied twice, half a transfer",
			log:  crashLog{incTried: map[string]int64{"c0": 1}, incAcked: map[string]int64{"c0": 1}, insTried: map[int64]bool{1_000_000: true}},
			want: []string{"counter c0 = 2, want in [1, 1]", "account a0 = 1000, logged transfers imply 995", "10 accounts sum to 10005"},
		},
		{
			name: "acknowledged writes lost",
			log: crashLog{
				incTried: map[string]int64{"c0": 2, "c1": 1}, incAcked: map[string]int64{"c0": 2, "c1": 1},
				insTried: map[int64]bool{1_000_000: true, 1_000_001: true}, insAcked: []int64{1_000_000, 1_000_001},
				txnAcked: []int64{1_500_000, 1_500_001},
			},
			want: []string{"counter c1 = 0, want in [1, 1]", "acknowledged insert 1000001 lost", "acknowledged transaction 1500001 lost"},
		},
		{
			name: "insert never attempted",
			log:  crashLog{incTried: map[string]int64{"c0": 2}, incAcked: map[string]int64{}, insTried: map[int64]bool{}},
			want: []string{"insert 1000000 present but never attempted"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			problems, err := crashProblems(dir, 1, tc.log, fresh())
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(problems, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems do not mention %q:\n%s", w, all)
				}
			}
		})
	}
}

// crashChild is the child process: it opens dir durably and runs concurrent
// single-document increments, inserts and transfer transactions until it is
// killed, printing "try ..." before a write and "ack ..." once the write is
// acknowledged. Each line is one write(2) of less than PIPE_BUF bytes, so a
// line the parent reads was printed whole, after the acknowledgement.
// It returns an exit code only on failure.
func crashChild(dir string) int {
	iter, err := strconv.ParseInt(os.Getenv(crashIterEnv), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad", crashIterEnv, err)
		return 2
	}
	db, err := concord.Open(dir, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 2
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	fail := func(what string, err error) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	}
	say("ready")
	ctx := context.Background()
	d := db.Database(crashDB)
	counters, inserts := d.Collection("counters"), d.Collection("inserts")
	accounts, transfers := d.Collection("accounts"), d.Collection("transfers")

	for w := range 3 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(iter), uint64(w)))
			for {
				id := fmt.Sprintf("c%d", rng.IntN(crashCounters))
				say("try inc %s", id)
				res, err := counters.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}})
				if err != nil || res.ModifiedCount != 1 {
					fail("inc "+id, err)
					continue
				}
				say("ack inc %s", id)
			}
		}()
	}
	// Recording workers: each $inc of document w stores the session record {seq: its count} with it, so that the
	// record and the document must agree after any kill.
	recorded := d.Collection("recorded")
	for w := range crashRecorded {
		go func() {
			seq, err := crashRecordedCount(db, w)
			if err != nil {
				fail("record", err)
				return
			}
			for {
				seq++
				value, _ := bson.Marshal(bson.D{{Key: "seq", Value: seq}})
				rctx := frontend.WithSessionRecord(ctx, crashRecordID(w), value)
				if _, err := recorded.UpdateOne(rctx, bson.D{{Key: "_id", Value: w}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: int64(1)}}}}); err != nil {
					fail("recorded inc", err)
					return
				}
			}
		}()
	}
	for w := range 2 {
		go func() {
			for seq := int64(0); ; seq++ {
				id := iter*1_000_000 + int64(w)*100_000 + seq
				say("try ins %d", id)
				if _, err := inserts.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "w", Value: w}}); err != nil {
					fail("insert", err)
					continue
				}
				say("ack ins %d", id)
			}
		}()
	}
	for w := range 2 {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(iter), uint64(100+w)))
			for seq := int64(0); ; seq++ {
				id := iter*1_000_000 + int64(500_000) + int64(w)*100_000 + seq
				from, to := fmt.Sprintf("a%d", rng.IntN(crashAccounts)), fmt.Sprintf("a%d", rng.IntN(crashAccounts))
				if from == to {
					continue
				}
				amount := int64(1 + rng.IntN(300))
				var moved bool
				_, err := db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
					moved = false
					var src struct {
						Bal int64 `bson:"bal"`
					}
					if err := accounts.FindOne(ctx, bson.D{{Key: "_id", Value: from}}).Decode(&src); err != nil {
						return nil, err
					}
					if src.Bal < amount {
						return nil, nil
					}
					if _, err := accounts.UpdateOne(ctx, bson.D{{Key: "_id", Value: from}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: -amount}}}}); err != nil {
						return nil, err
					}
					if _, err := accounts.UpdateOne(ctx, bson.D{{Key: "_id", Value: to}}, bson.D{{Key: "$inc", Value: bson.D{{Key: "bal", Value: amount}}}}); err != nil {
						return nil, err
					}
					_, err := transfers.InsertOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "from", Value: from}, {Key: "to", Value: to}, {Key: "amount", Value: amount}})
					moved = err == nil
					return nil, err
				})
				if err != nil {
					fail("transfer", err)
					continue
				}
				if moved {
					say("ack txn %d", id)
				}
			}
		}()
	}
	moves := d.Collection("moves")
	go func() {
		rng := rand.New(rand.NewPCG(uint64(iter), 200))
		for {
			id, to := rng.IntN(crashMovers), rng.IntN(2*crashMovers)
			_, err := moves.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: to}}}})
			if err != nil && !concord.IsDuplicateKey(err) {
				fail("move", err)
			}
			// A swap through a parking key exercises transactional index
			// writes: all three land together or not at all.
			other := rng.IntN(crashMovers)
			if other == id {
				continue
			}
			_, err = db.WithTransaction(ctx, func(ctx context.Context) (any, error) {
				var a, b struct {
					K int `bson:"k"`
				}
				if err := moves.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&a); err != nil {
					return nil, err
				}
				if err := moves.FindOne(ctx, bson.D{{Key: "_id", Value: other}}).Decode(&b); err != nil {
					return nil, err
				}
				for _, step := range []struct{ id, k int }{{id, -1}, {other, a.K}, {id, b.K}} {
					if _, err := moves.UpdateOne(ctx, bson.D{{Key: "_id", Value: step.id}}, bson.D{{Key: "$set", Value: bson.D{{Key: "k", Value: step.k}}}}); err != nil {
						return nil, err
					}
				}
				return nil, nil
			})
			if err != nil {
				fail("swap", err)
			}
		}
	}()
	// The parent kills the child; this only ends an orphan whose parent died.
	time.Sleep(60 * time.Second)
	fmt.Fprintln(os.Stderr, "child was not killed")
	return 3
}
