package server

import (
	"context"
	"slices"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// TestRunWriteBatch runs batches whose statements fail as each case says, and checks which statements ran, the
// write errors' indexes, and whether the whole command failed.
func TestRunWriteBatch(t *testing.T) {
	dup := codes.New(codes.DuplicateKey, "E11000 duplicate key error")
	transient := codes.New(codes.WriteConflict, "write conflict").WithLabel(codes.LabelTransientTransaction)
	for _, tc := range []struct {
		name          string
		fail          map[int]error
		ordered, txn  bool
		wantRan       []int
		wantIndexes   []int32
		wantWholeCode codes.Code
	}{
		{name: "every statement succeeds", ordered: true, wantRan: []int{0, 1, 2, 3}},
		{name: "an ordered batch stops at its first write error", fail: map[int]error{1: dup, 2: dup}, ordered: true,
			wantRan: []int{0, 1}, wantIndexes: []int32{1}},
		{name: "an unordered batch reports every write error", fail: map[int]error{1: dup, 3: dup},
			wantRan: []int{0, 1, 2, 3}, wantIndexes: []int32{1, 3}},
		{name: "an unordered batch in a transaction stops at its first write error", fail: map[int]error{0: dup, 2: dup},
			txn: true, wantRan: []int{0}, wantIndexes: []int32{0}},
		{name: "an interruption fails the whole command", fail: map[int]error{0: dup, 2: context.Canceled},
			wantRan: []int{0, 1, 2}, wantWholeCode: codes.Interrupted},
		{name: "a transaction's transient error fails the whole command", fail: map[int]error{1: transient},
			txn: true, wantRan: []int{0, 1}, wantWholeCode: codes.WriteConflict},
		{name: "an error without a code fails the whole command as InternalError", fail: map[int]error{0: errPlain{}},
			ordered: true, wantRan: []int{0}, wantWholeCode: codes.InternalError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{}
			req := &Request{Name: "update", DB: "d", InTxn: tc.txn, Stats: &concord.OpStats{}}
			b := writeBatch{stmts: make([]bson.Raw, 4), ordered: tc.ordered, profileOp: "update", coll: "c"}
			var ran []int
			writeErrors, last, err := s.runWriteBatch(context.Background(), req, b, func(ctx context.Context, i int) error {
				ran = append(ran, i)
				if st := concord.OpStatsFromContext(ctx); st == nil {
					t.Errorf("statement %d ran without OpStats", i)
				} else {
					st.NModified++
				}
				return tc.fail[i]
			})
			if !slices.Equal(ran, tc.wantRan) {
				t.Errorf("statements run: %v, want %v", ran, tc.wantRan)
			}
			if got := req.Stats.NModified; got != int64(len(ran)) {
				t.Errorf("req.Stats.NModified = %d, want %d: every statement's statistics", got, len(ran))
			}
			if tc.wantWholeCode != 0 {
				if codes.CodeOf(err) != tc.wantWholeCode || writeErrors != nil {
					t.Fatalf("err = %v, writeErrors = %v; want the whole command to fail with %v", err, writeErrors, tc.wantWholeCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want write errors only", err)
			}
			var indexes []int32
			for _, we := range writeErrors {
				indexes = append(indexes, we.(bson.D)[0].Value.(int32))
			}
			if !slices.Equal(indexes, tc.wantIndexes) {
				t.Errorf("write errors at %v, want %v", indexes, tc.wantIndexes)
			}
			if (last != nil) != (len(tc.wantIndexes) > 0) {
				t.Errorf("last write error = %v with write errors at %v", last, indexes)
			}
		})
	}
}

// errPlain is an error without a MongoDB code.
type errPlain struct{}

func (errPlain) Error() string { return "plain" }
