package cli

import (
	"context"
	"testing"
	"time"
)

// TestBench_NoLostUpdates runs every workload briefly on the embedded engine and over the wire; runBench fails
// when a counter differs from the acknowledged increments or a transfer breaks conservation.
func TestBench_NoLostUpdates(t *testing.T) {
	cfg := benchConfig{docs: 500, accounts: 20, duration: 300 * time.Millisecond}
	emb, err := openConcordTarget(t.TempDir(), "concord")
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	wire, err := openWireTarget(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer wire.Close()
	for _, target := range []benchTarget{emb, wire} {
		for _, r := range []benchRun{{"hot", 8}, {"spread", 8}, {"transfer", 8}} {
			res, err := runBench(target, r, cfg)
			if err != nil {
				t.Fatalf("%s %s: %v", target.Name(), r.workload, err)
			}
			if res.opsPerSec <= 0 {
				t.Fatalf("%s %s: no operations acknowledged", target.Name(), r.workload)
			}
		}
	}
}

// TestVerifyCollection_DetectsLoss checks that the verification can fail: a counter one short of the
// acknowledged count is reported as a lost update.
func TestVerifyCollection_DetectsLoss(t *testing.T) {
	emb, err := openConcordTarget("", "concord")
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	ctx := context.Background()
	cfg := benchConfig{docs: 10, accounts: 10}
	if err := emb.Setup(ctx, "hot", cfg); err != nil {
		t.Fatal(err)
	}
	if err := emb.Hot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := emb.Verify(ctx, "hot", cfg, 2); err == nil {
		t.Fatal("Verify accepted 1 increment for 2 acknowledged")
	}
	if _, err := emb.Verify(ctx, "hot", cfg, 1); err != nil {
		t.Fatal(err)
	}
}
