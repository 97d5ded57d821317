package cli

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestBench_NoLostUpdates runs every workload briefly on the embedded engine and over the wire, with and without
// auth, in slices taken in turn after a warm-up; runBench fails when a counter differs from the acknowledged
// increments (warm-up included) or a transfer breaks conservation.
func TestBench_NoLostUpdates(t *testing.T) {
	cfg := benchConfig{docs: 500, accounts: 20, duration: 300 * time.Millisecond, slices: 3}
	emb, err := openConcordTarget(t.TempDir(), "concord")
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Close()
	wire, err := openWireTarget(t.TempDir(), false, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The authenticated target serves the plain wire target's DB, in collections of its own: each target's
	// verification sees its own operations only.
	wireAuth, err := openWireTarget("", true, false, wire.embedded)
	if err != nil {
		t.Fatal(err)
	}
	defer wire.Close()
	defer wireAuth.Close()
	targets := []benchTarget{emb, wire, wireAuth}
	for _, r := range []benchRun{{"hot", 8}, {"spread", 8}, {"transfer", 8}} {
		res, err := runBench(targets, r, cfg)
		if err != nil {
			t.Fatalf("%s: %v", r.workload, err)
		}
		for i, target := range targets {
			if res[i].ops <= 0 || res[i].opsPerSec <= 0 {
				t.Fatalf("%s %s: no operations acknowledged", target.Name(), r.workload)
			}
		}
	}
}

// TestBench_SQL runs the SQL workloads through pgx against Concord's PostgreSQL port, over loopback TCP and over
// a Unix-domain socket, and checks each run's verification (no lost update, money conserved) holds, and that it
// fails when a row is changed behind its back.
func TestBench_SQL(t *testing.T) {
	for _, unix := range []bool{false, true} {
		t.Run(map[bool]string{false: "tcp", true: "unix"}[unix], func(t *testing.T) {
			cfg := benchConfig{docs: 1500, accounts: 20, duration: 300 * time.Millisecond, slices: 2}
			st, err := openConcordSQLTarget(t.TempDir(), unix)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if got := st.pool.Config().ConnConfig.Host; strings.HasPrefix(got, "/") != unix {
				t.Fatalf("the pool dials host %q", got)
			}
			for _, r := range []benchRun{{"hot", 8}, {"spread", 8}, {"transfer", 8}} {
				res, err := runBench([]benchTarget{st}, r, cfg)
				if err != nil {
					t.Fatalf("%s: %v", r.workload, err)
				}
				if res[0].ops <= 0 {
					t.Fatalf("%s: no operations acknowledged", r.workload)
				}
			}
			ctx := context.Background()
			if _, err := st.pool.Exec(ctx, "UPDATE bench_accounts SET balance = balance + 1 WHERE id = 0"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Verify(ctx, "transfer", cfg, 0); err == nil {
				t.Error("a created unit of money was not reported")
			}
		})
	}
}

// TestOverUnixSocket: a PostgreSQL URL whose host is a directory reaches its server over a Unix-domain socket,
// as libpq and pgx read it; one with a host name or address over TCP.
func TestOverUnixSocket(t *testing.T) {
	for url, want := range map[string]bool{
		"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable":           false,
		"postgres://postgres@localhost/postgres":                                false,
		"postgres://postgres@/postgres?host=/tmp/pg&port=55423&sslmode=disable": true,
		"host=/var/run/postgresql port=5432 user=postgres":                      true,
	} {
		got, err := overUnixSocket(url)
		if err != nil || got != want {
			t.Errorf("overUnixSocket(%q) = %v, %v; want %v", url, got, err, want)
		}
	}
	if _, err := overUnixSocket("postgres://%zz"); err == nil {
		t.Error("a malformed URL was accepted")
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

// TestCPUTimes checks the arithmetic of the CPU columns, and that /proc/stat is read where it exists.
func TestCPUTimes(t *testing.T) {
	a := cpuTimes{ok: true, busy: 100, steal: 10, total: 400}
	b := cpuTimes{ok: true, busy: 300, steal: 30, total: 1200}
	d := b.since(a)
	if d != (cpuTimes{ok: true, busy: 200, steal: 20, total: 800}) {
		t.Fatalf("since = %+v", d)
	}
	if got := d.plus(d); got.busy != 400 || got.total != 1600 {
		t.Fatalf("plus = %+v", got)
	}
	// 200 ticks of 10 ms over 1,000 operations: 2 ms each.
	if got := d.perOp(1000); got != 2000 {
		t.Fatalf("perOp = %v us, want 2000", got)
	}
	if got, want := d.describe(1000), "cpu 2000 us/op  idle 72%  steal  2%"; got != want {
		t.Fatalf("describe = %q, want %q", got, want)
	}
	if got := (cpuTimes{}).describe(10); got != "cpu n/a" {
		t.Fatalf("unknown times describe as %q", got)
	}
	if _, err := os.Stat("/proc/stat"); err == nil && !readCPUTimes().ok {
		t.Fatal("readCPUTimes failed with /proc/stat present")
	}
}
