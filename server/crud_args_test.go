package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
)

// mustMarshal encodes v or fails the test.
func mustMarshal(tb testing.TB, v any) bson.Raw {
	tb.Helper()
	b, err := bson.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// updateStatementCases are the table of parseUpdateStatement, also the seeds of FuzzStatements.
var updateStatementCases = []struct {
	name     string
	stmt     bson.D
	wantCode codes.Code // 0: valid
	upsert   bool
	multi    bool
}{
	{"operator update", bson.D{{Key: "q", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}}}}, 0, false, false},
	{"upsert multi as numbers", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{}}, {Key: "upsert", Value: 1}, {Key: "multi", Value: 1.0}}, 0, true, true},
	{"array filters and hint", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{{Key: "$set", Value: bson.D{{Key: "a.$[x]", Value: 1}}}}},
		{Key: "arrayFilters", Value: bson.A{bson.D{{Key: "x", Value: 2}}}}, {Key: "hint", Value: bson.D{{Key: "_id", Value: 1}}}}, 0, false, false},
	{"pipeline update parses", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.A{bson.D{{Key: "$set", Value: bson.D{{Key: "a", Value: 1}}}}}}}, 0, false, false},
	{"missing q", bson.D{{Key: "u", Value: bson.D{}}}, codeMissingField, false, false},
	{"missing u", bson.D{{Key: "q", Value: bson.D{}}}, codeMissingField, false, false},
	{"q not a document", bson.D{{Key: "q", Value: "x"}, {Key: "u", Value: bson.D{}}}, codes.TypeMismatch, false, false},
	{"u a string", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: "x"}}, codes.TypeMismatch, false, false},
	{"multi a string", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{}}, {Key: "multi", Value: "yes"}}, codes.TypeMismatch, false, false},
	{"array filter not a document", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{}}, {Key: "arrayFilters", Value: bson.A{1}}}, codes.TypeMismatch, false, false},
	{"unknown field", bson.D{{Key: "q", Value: bson.D{}}, {Key: "u", Value: bson.D{}}, {Key: "bogus", Value: 1}}, codeUnknownField, false, false},
}

func TestParseUpdateStatement(t *testing.T) {
	for _, tc := range updateStatementCases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseUpdateStatement("update", 0, mustMarshal(t, tc.stmt))
			if got := codes.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.wantCode)
			}
			if err == nil && (st.upsert != tc.upsert || st.multi != tc.multi) {
				t.Fatalf("upsert, multi = %v, %v; want %v, %v", st.upsert, st.multi, tc.upsert, tc.multi)
			}
		})
	}
}

// deleteStatementCases are the table of parseDeleteStatement, also fuzz seeds.
var deleteStatementCases = []struct {
	name     string
	stmt     bson.D
	wantCode codes.Code
	multi    bool
}{
	{"limit 1", bson.D{{Key: "q", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "limit", Value: 1}}, 0, false},
	{"limit 0 is multi", bson.D{{Key: "q", Value: bson.D{}}, {Key: "limit", Value: int64(0)}}, 0, true},
	{"limit 2", bson.D{{Key: "q", Value: bson.D{}}, {Key: "limit", Value: 2}}, codes.FailedToParse, false},
	{"missing limit", bson.D{{Key: "q", Value: bson.D{}}}, codeMissingField, false},
	{"limit a string", bson.D{{Key: "q", Value: bson.D{}}, {Key: "limit", Value: "1"}}, codes.TypeMismatch, false},
	{"missing q", bson.D{{Key: "limit", Value: 1}}, codeMissingField, false},
}

func TestParseDeleteStatement(t *testing.T) {
	for _, tc := range deleteStatementCases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseDeleteStatement("delete", 0, mustMarshal(t, tc.stmt))
			if got := codes.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.wantCode)
			}
			if err == nil && st.multi != tc.multi {
				t.Fatalf("multi = %v, want %v", st.multi, tc.multi)
			}
		})
	}
}

// indexRequestCases are the table of parseIndexRequest, also fuzz seeds.
var indexRequestCases = []struct {
	name     string
	spec     bson.D
	wantCode codes.Code
}{
	{"simple", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "a_1"}}, 0},
	{"compound unique", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}, {Key: "b", Value: -1}}}, {Key: "name", Value: "ab"}, {Key: "unique", Value: true}, {Key: "v", Value: 2}}, 0},
	{"no key", bson.D{{Key: "name", Value: "x"}}, codes.FailedToParse},
	{"empty key", bson.D{{Key: "key", Value: bson.D{}}, {Key: "name", Value: "x"}}, codes.CannotCreateIndex},
	{"zero direction", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 0}}}, {Key: "name", Value: "x"}}, codes.CannotCreateIndex},
	{"text index", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: "text"}}}, {Key: "name", Value: "x"}}, codes.CannotCreateIndex},
	{"ttl option", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "expireAfterSeconds", Value: 10}}, 0},
	{"negative ttl", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "expireAfterSeconds", Value: -1}}, codes.CannotCreateIndex},
	{"ttl not a number", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "expireAfterSeconds", Value: "1"}}, codes.CannotCreateIndex},
	{"sparse and hidden", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "sparse", Value: true}, {Key: "hidden", Value: true}}, 0},
	{"hidden _id", bson.D{{Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "hidden", Value: true}}, codes.BadValue},
	{"wildcard", bson.D{{Key: "key", Value: bson.D{{Key: "$**", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "wildcardProjection", Value: bson.D{{Key: "a", Value: 1}}}}, 0},
	{"wildcardProjection not a document", bson.D{{Key: "key", Value: bson.D{{Key: "a.$**", Value: 1}}}, {Key: "name", Value: "x"}, {Key: "wildcardProjection", Value: "a"}}, codes.TypeMismatch},
	{"hashed wildcard", bson.D{{Key: "key", Value: bson.D{{Key: "$**", Value: "hashed"}}}, {Key: "name", Value: "x"}}, codes.CannotCreateIndex},
	{"name not a string", bson.D{{Key: "key", Value: bson.D{{Key: "a", Value: 1}}}, {Key: "name", Value: 1}}, codes.TypeMismatch},
}

func TestParseIndexRequest(t *testing.T) {
	for _, tc := range indexRequestCases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseIndexRequest(0, mustMarshal(t, tc.spec))
			if got := codes.CodeOf(err); got != tc.wantCode {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.wantCode)
			}
		})
	}
}

func TestCmdArgs(t *testing.T) {
	body := mustMarshal(t, bson.D{{Key: "find", Value: "c"}, {Key: "limit", Value: 2.0}, {Key: "skip", Value: "x"},
		{Key: "singleBatch", Value: int32(1)}, {Key: "filter", Value: bson.A{}}, {Key: "batchSize", Value: nil}})
	a, err := parseArgs(&Request{Name: "find", DB: "d", Body: body})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		run      func() error
		wantCode codes.Code
	}{
		{"double limit", func() error { n, err := a.int64("limit", 0); return expect(err, n == 2) }, 0},
		{"string skip", func() error { _, err := a.int64("skip", 0); return err }, codes.TypeMismatch},
		{"int bool", func() error { b, err := a.boolean("singleBatch", false); return expect(err, b) }, 0},
		{"array filter", func() error { _, err := a.doc("filter"); return err }, codes.TypeMismatch},
		{"null is absent", func() error { n, err := a.int64("batchSize", -1); return expect(err, n == -1) }, 0},
		{"collection", func() error {
			c, err := collectionArg(&Request{Name: "find", DB: "d"}, a)
			return expect(err, c == "c")
		}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := codes.CodeOf(tc.run()); got != tc.wantCode {
				t.Fatalf("code = %v, want %v", got, tc.wantCode)
			}
		})
	}
	dup := mustMarshal(t, bson.D{{Key: "find", Value: "c"}, {Key: "limit", Value: 1}, {Key: "limit", Value: 2}})
	if _, err := parseArgs(&Request{Name: "find", Body: dup}); codes.CodeOf(err) != codeDuplicateField {
		t.Fatalf("duplicate field = %v", err)
	}
	for _, name := range []string{"", "a$b", ".x"} {
		bad := mustMarshal(t, bson.D{{Key: "find", Value: name}})
		a, _ := parseArgs(&Request{Name: "find", Body: bad})
		if _, err := collectionArg(&Request{Name: "find", DB: "d"}, a); codes.CodeOf(err) != codes.InvalidNamespace {
			t.Fatalf("collection %q = %v, want InvalidNamespace", name, err)
		}
	}
}

// expect turns a failed check into an error with no code, so the table reports it as a mismatch.
func expect(err error, ok bool) error {
	if err != nil {
		return err
	}
	if !ok {
		return errUnexpected
	}
	return nil
}

// errUnexpected marks a parsed value that differs from the expected one.
var errUnexpected = &codes.Error{Code: codes.UnknownError, Message: "unexpected value"}

// FuzzStatements feeds arbitrary bytes to the statement and index parsers: hostile input must give an error,
// never a panic.
func FuzzStatements(f *testing.F) {
	for _, tc := range updateStatementCases {
		f.Add([]byte(mustMarshal(f, tc.stmt)))
	}
	for _, tc := range deleteStatementCases {
		f.Add([]byte(mustMarshal(f, tc.stmt)))
	}
	for _, tc := range indexRequestCases {
		f.Add([]byte(mustMarshal(f, tc.spec)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := bson.Raw(data)
		_, _ = parseUpdateStatement("update", 0, d)
		_, _ = parseDeleteStatement("delete", 0, d)
		_, _ = parseIndexRequest(0, d)
		req := &Request{Name: "find", DB: "d", Body: d}
		if a, err := parseArgs(req); err == nil {
			_, _ = collectionArg(req, a)
			for _, f := range []string{"limit", "skip", "batchSize"} {
				_, _ = a.int64(f, 0)
			}
			_, _ = a.doc("filter")
			_, _ = a.docArray("documents")
			_, _ = a.boolean("ordered", true)
		}
	})
}

func TestTrimProfile(t *testing.T) {
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	coll := db.Database("p").Collection(profileCollection)
	const extra = 25
	base := time.Now()
	docs := make([]any, 0, maxProfileEntries+extra)
	for i := 0; i < maxProfileEntries+extra; i++ {
		docs = append(docs, bson.D{{Key: "i", Value: i}, {Key: "ts", Value: bson.NewDateTimeFromTime(base.Add(time.Duration(i) * time.Millisecond))}})
	}
	if _, err := coll.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}
	if deleted, err := trimProfile(ctx, coll); deleted != extra || err != nil {
		t.Fatalf("trimProfile = %d, %v; want %d deleted", deleted, err, extra)
	}
	if deleted, err := trimProfile(ctx, coll); deleted != -1 || err != nil {
		t.Fatalf("trimProfile of a collection within bounds = %d, %v; want -1 (no delete)", deleted, err)
	}
	n, err := coll.CountDocuments(ctx, bson.D{})
	if err != nil || n != maxProfileEntries {
		t.Fatalf("entries after trim = %d, %v; want %d", n, err, maxProfileEntries)
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "i", Value: extra - 1}}).Err(); !errors.Is(err, concord.ErrNoDocuments) {
		t.Fatalf("the oldest entries survived: %v", err)
	}
	if err := coll.FindOne(ctx, bson.D{{Key: "i", Value: extra}}).Err(); err != nil {
		t.Fatalf("a recent entry was trimmed: %v", err)
	}
}
