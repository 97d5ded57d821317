package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// freeAddr returns a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// pgConnectRetry connects pgx with cfg, retrying while the server starts.
func pgConnectRetry(t *testing.T, ctx context.Context, cfg *pgx.ConnConfig) *pgx.Conn {
	t.Helper()
	for {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			t.Cleanup(func() { c.Close(context.Background()) })
			return c
		}
		if ctx.Err() != nil {
			t.Fatalf("connect: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrapeSeries fetches /metrics and returns each series' value by "name{label=value,...}" (labels in the order
// the exposition lists them).
func scrapeSeries(t *testing.T, httpAddr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		for _, m := range f.Metric {
			key := name + "{"
			for i, l := range m.Label {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			key += "}"
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestServe_SQLMetrics runs `concord serve` and checks that SQL statements by kind, errors by SQLSTATE and
// PostgreSQL connections appear on /metrics beside the engine's, by the deltas a known workload makes.
func TestServe_SQLMetrics(t *testing.T) {
	addr, pgAddr, httpAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- Serve([]string{"--dir", t.TempDir(), "--addr", addr, "--pg-addr", pgAddr, "--http-addr", httpAddr, "--unix-socket-dir", ""})
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig("postgres://u@" + pgAddr + "/shop?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	c := pgConnectRetry(t, ctx, cfg)
	if _, err := c.Exec(ctx, "CREATE TABLE m (k text PRIMARY KEY, n int8)"); err != nil {
		t.Fatal(err)
	}
	before := scrapeSeries(t, httpAddr)
	c2 := pgConnectRetry(t, ctx, cfg)
	for i := 0; i < 3; i++ {
		if _, err := c.Exec(ctx, fmt.Sprintf("INSERT INTO m VALUES ('k%d', %d)", i, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c2.Exec(ctx, "UPDATE m SET n = n + 1 WHERE k = 'k1'"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"SELECT * FROM missing", "INSERT INTO m VALUES ('k0', 9)"} {
		var pe *pgconn.PgError
		if _, err := c.Exec(ctx, q); !errorAs(err, &pe) {
			t.Fatalf("%s: %v, want an error", q, err)
		}
	}
	after := scrapeSeries(t, httpAddr)
	for _, d := range []struct {
		series string
		delta  float64
	}{
		{"concord_sql_statements_total{kind=INSERT}", 4},
		{"concord_sql_statements_total{kind=UPDATE}", 1},
		{"concord_sql_statements_total{kind=SELECT}", 1},
		{"concord_sql_errors_total{sqlstate=42P01}", 1},
		{"concord_sql_errors_total{sqlstate=23505}", 1},
		{"concord_connections{protocol=postgresql}", 1},
		{"concord_operations_total{type=insert}", 4}, // the engine's, beside: attempts, as opcounters
	} {
		if got := after[d.series] - before[d.series]; got != d.delta {
			t.Errorf("%s went from %v to %v, want +%v", d.series, before[d.series], after[d.series], d.delta)
		}
	}
	if after["concord_connections{protocol=postgresql}"] != 2 {
		t.Errorf("postgresql connections = %v, want 2", after["concord_connections{protocol=postgresql}"])
	}
	sigtermAndWait(t, ctx, done, "Serve")
}

// pgTLS is the pgx configuration of user over TLS trusting roots.
func pgTLS(t *testing.T, user, password, addr string, cfg *tls.Config) *pgx.ConnConfig {
	t.Helper()
	mode := "require"
	if cfg == nil {
		mode = "disable"
	}
	pc, err := pgx.ParseConfig(fmt.Sprintf("postgres://%s:%s@%s/shop?sslmode=%s", user, password, addr, mode))
	if err != nil {
		t.Fatal(err)
	}
	pc.TLSConfig = cfg
	return pc
}

func errorAs(err error, target **pgconn.PgError) bool {
	return err != nil && errors.As(err, target)
}

// sqlStateOf returns the SQLSTATE of a pgx error, "" for none.
func sqlStateOf(err error) string {
	var pe *pgconn.PgError
	if errorAs(err, &pe) {
		return pe.Code
	}
	return ""
}
