package server

import (
	"slices"
	"testing"

	"github.com/concorddb/concord/internal/codes"
)

func TestLabels(t *testing.T) {
	txn := &invocation{args: genericArgs{hasTxnNumber: true, hasAutocommit: true}, cmd: Command{InTxn: true}}
	commit := &invocation{args: genericArgs{hasTxnNumber: true, hasAutocommit: true}, commitOrAbort: true}
	retryable := &invocation{args: genericArgs{hasTxnNumber: true}, cmd: Command{Retryable: true}}
	plain := &invocation{cmd: Command{Retryable: true}}
	tte, rwe := codes.LabelTransientTransaction, codes.LabelRetryableWrite
	cases := []struct {
		name string
		inv  *invocation
		err  *codes.Error
		want []string
	}{
		{name: "write conflict in a transaction", inv: txn, err: codes.New(codes.WriteConflict, "x"), want: []string{tte}},
		{name: "no such transaction on a statement", inv: txn, err: codes.New(codes.NoSuchTransaction, "x"), want: []string{tte}},
		{name: "no such transaction on commit", inv: commit, err: codes.New(codes.NoSuchTransaction, "x"), want: []string{tte}},
		{name: "retriable code on a statement", inv: txn, err: codes.New(codes.ExceededTimeLimit, "x"), want: []string{tte}},
		{name: "retriable code on commit", inv: commit, err: codes.New(codes.ExceededTimeLimit, "x"), want: []string{rwe}},
		{name: "duplicate key in a transaction", inv: txn, err: codes.New(codes.DuplicateKey, "x"), want: nil},
		{name: "internal transaction not supported", inv: txn, err: codes.New(codes.InternalTransactionNotSupported, "x"), want: nil},
		{name: "retryable write, retriable code", inv: retryable, err: codes.New(codes.InterruptedAtShutdown, "x"), want: []string{rwe}},
		{name: "retryable write, write conflict", inv: retryable, err: codes.New(codes.WriteConflict, "x"), want: nil},
		{name: "no session: lower-layer labels dropped", inv: plain, err: codes.New(codes.WriteConflict, "x").WithLabel(tte), want: nil},
		{name: "other labels kept", inv: plain, err: codes.New(codes.BadValue, "x").WithLabel(codes.LabelNoWritesPerformed), want: []string{codes.LabelNoWritesPerformed}},
		{name: "protocol error without an invocation", inv: nil, err: codes.New(codes.ProtocolError, "x"), want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := labels(tc.inv, tc.err); !slices.Equal(got, tc.want) {
				t.Fatalf("labels = %v, want %v", got, tc.want)
			}
		})
	}
}
