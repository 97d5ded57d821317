package soak_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/soak"
	"github.com/concorddb/concord/server"
)

// serveEnv makes the test binary a Concord server: the soak's child process.
const serveEnv = "CONCORD_SOAK_SERVE"

// TestMain lets the test binary double as the server the soak kills: with serveEnv set to "dir addr", it serves
// dir on addr until killed.
func TestMain(m *testing.M) {
	if v := os.Getenv(serveEnv); v != "" {
		dir, addr, _ := strings.Cut(v, " ")
		os.Exit(serve(dir, addr))
	}
	os.Exit(m.Run())
}

func serve(dir, addr string) int {
	db, err := concord.Open(dir, nil)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	srv := &server.Server{DB: db, ReplSetName: "rs0", AdvertiseAddr: addr}
	srv.Serve(l)
	return 0
}

func selfServer(dir, addr string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+dir+" "+addr)
	cmd.Stderr = os.Stderr
	return cmd
}

// TestSoak_Short is the short soak of the default test run: 10 SIGKILLs of a server under the mixed workload, then
// every check. `concord soak` runs the long one.
func TestSoak_Short(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := soak.Run(ctx, soak.Config{Server: selfServer, Dir: t.TempDir(), Kills: 10, Progress: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.String())
	if rep.Kills != 10 {
		t.Errorf("%d kills, want 10", rep.Kills)
	}
	for _, kind := range []string{"increment", "register", "transfer", "snapshot", "insert", "append"} {
		if rep.Operations[kind] == 0 {
			t.Errorf("no %s was acknowledged: the soak tested nothing of it", kind)
		}
	}
	if !rep.Passed() {
		t.Fatalf("%d violations", len(rep.Violations))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
