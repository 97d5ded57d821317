package codes_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/concorddb/concord/internal/codes"
)

func TestFromContext(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	expired, cancel2 := context.WithDeadline(live, time.Now().Add(-time.Second))
	defer cancel2()
	reaped, cancel3 := context.WithCancelCause(live)
	cancel3(codes.New(codes.TransactionExceededLifetimeLimitSeconds, "aborted by the reaper"))
	plainCause, cancel4 := context.WithCancelCause(live)
	cancel4(errors.New("not a MongoDB error"))

	for _, tc := range []struct {
		name string
		ctx  context.Context
		want codes.Code
	}{
		{"a live context is no error", live, 0},
		{"a cancellation is Interrupted", cancelled, codes.Interrupted},
		{"a passed deadline is MaxTimeMSExpired", expired, codes.MaxTimeMSExpired},
		{"a MongoDB error given as the cause is returned as is", reaped, codes.TransactionExceededLifetimeLimitSeconds},
		{"any other cause is Interrupted", plainCause, codes.Interrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codes.FromContext(tc.ctx)
			if tc.want == 0 {
				if got != nil {
					t.Fatalf("FromContext = %v, want nil", got)
				}
				return
			}
			if got == nil || got.Code != tc.want {
				t.Fatalf("FromContext = %v, want code %d", got, tc.want)
			}
		})
	}
}

func TestInterruption(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want codes.Code
	}{
		{"a wrapped deadline is MaxTimeMSExpired", fmt.Errorf("find: %w", context.DeadlineExceeded), codes.MaxTimeMSExpired},
		{"a wrapped cancellation is Interrupted", fmt.Errorf("find: %w", context.Canceled), codes.Interrupted},
		{"another error is not an interruption", errors.New("disk on fire"), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := codes.Interruption(tc.err)
			if tc.want == 0 {
				if got != nil {
					t.Fatalf("Interruption = %v, want nil", got)
				}
				return
			}
			if got == nil || got.Code != tc.want {
				t.Fatalf("Interruption = %v, want code %d", got, tc.want)
			}
			if !errors.Is(got, tc.err) {
				t.Fatalf("Interruption(%v) does not wrap its input", tc.err)
			}
		})
	}
}
