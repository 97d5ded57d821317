package agg_test

import (
	"context"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/query/agg"
)

// poisonLender is an agg.Lender over docs that lends every document in one
// buffer and overwrites the previous document's bytes before lending the
// next, so that a stage keeping anything of a borrowed document reads
// garbage. Next gives copies, as an Iterator must.
type poisonLender struct {
	docs     []bson.Raw
	i        int
	buf      []byte
	borrowed int
}

var _ agg.Lender = (*poisonLender)(nil)

func (l *poisonLender) Next() (bson.Raw, error) {
	l.poison()
	if l.i == len(l.docs) {
		return nil, nil
	}
	l.i++
	return append(bson.Raw(nil), l.docs[l.i-1]...), nil
}

func (l *poisonLender) Borrow() (bson.Raw, error) {
	l.poison()
	if l.i == len(l.docs) {
		return nil, nil
	}
	l.i++
	l.borrowed++
	l.buf = append(l.buf[:0], l.docs[l.i-1]...)
	return l.buf, nil
}

func (l *poisonLender) poison() {
	for j := range l.buf {
		l.buf[j] = 0xee
	}
}

func (l *poisonLender) Close() error { l.poison(); return nil }

// TestPipeline_BorrowedInput runs every pipeline case over an input that
// lends its documents and checks that the result (or error code) is the one
// the same pipeline gives over owned documents: whatever a stage borrows, it
// must not keep. The $group cases check that $group does borrow.
func TestPipeline_BorrowedInput(t *testing.T) {
	for _, tc := range aggPipelineCases {
		if tc.env != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			stages := aggDocs(t, tc.pipeline)
			p, err := agg.Compile(stages)
			if err != nil {
				return // compile errors do not depend on the input
			}
			input := aggDocs(t, tc.input)
			want, wantErr := p.Run(context.Background(), input, nil)
			l := &poisonLender{docs: input}
			it := p.Open(context.Background(), l, nil, agg.Options{})
			got, err := agg.Drain(it)
			it.Close()
			if codes.CodeOf(err) != codes.CodeOf(wantErr) {
				t.Fatalf("err = %v, want %v", err, wantErr)
			}
			if aggDump(t, got) != aggDump(t, want) {
				t.Fatalf("borrowed input:\n%s\nowned input:\n%s", aggDump(t, got), aggDump(t, want))
			}
			if len(stages) > 0 && stages[0].Lookup("$group").Type == bson.TypeEmbeddedDocument && wantErr == nil && l.borrowed != len(input) {
				t.Errorf("$group borrowed %d of %d documents", l.borrowed, len(input))
			}
		})
	}
}
