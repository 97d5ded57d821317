package monitor_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/monitor"
)

// openDB opens an in-memory database closed at the end of the test.
func openDB(t *testing.T) *concord.DB {
	t.Helper()
	db, err := concord.Open("", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// value returns the value of the series of family name whose labels include want (label=value pairs), or of its
// histogram's count; 0 when absent.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
series:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(want); i += 2 {
			ok := false
			for _, l := range m.Label {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					ok = true
				}
			}
			if !ok {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// conflictWorkload runs the script the metrics test counts: one insert; transaction A updates _id 1;
// transaction B's update of _id 1 fails with WriteConflict and B aborts; a plain update of _id 1 waits until A
// commits, then applies.
func conflictWorkload(t *testing.T, db *concord.DB) {
	t.Helper()
	ctx := context.Background()
	coll := db.Database("shop").Collection("stock")
	if _, err := coll.InsertOne(ctx, bson.D{{Key: "_id", Value: 1}, {Key: "n", Value: 0}}); err != nil {
		t.Fatal(err)
	}
	inc := bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}}}}
	byID := bson.D{{Key: "_id", Value: 1}}
	sa, _ := db.StartSession()
	sb, _ := db.StartSession()
	defer sa.EndSession(ctx)
	defer sb.EndSession(ctx)
	actx, bctx := concord.NewSessionContext(ctx, sa), concord.NewSessionContext(ctx, sb)
	sa.StartTransaction()
	if _, err := coll.UpdateOne(actx, byID, inc); err != nil {
		t.Fatal(err)
	}
	sb.StartTransaction()
	_, err := coll.UpdateOne(bctx, byID, inc)
	var ce *concord.Error
	if !errors.As(err, &ce) || ce.Code != 112 {
		t.Fatalf("transaction B: %v, want WriteConflict", err)
	}
	sb.AbortTransaction(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := coll.UpdateOne(ctx, byID, inc)
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	if err := sa.CommitTransaction(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestMetrics_ConflictWorkloadDeltas(t *testing.T) {
	db := openDB(t)
	srv := httptest.NewServer(&monitor.Handler{DB: db, Connections: func() map[string]int { return map[string]int{"mongodb": 3} }})
	defer srv.Close()

	before := scrape(t, srv.URL)
	conflictWorkload(t, db)
	after := scrape(t, srv.URL)

	for _, c := range []struct {
		name   string
		labels []string
		delta  float64
	}{
		{"concord_operations_total", []string{"type", "insert"}, 1},
		{"concord_operations_total", []string{"type", "update"}, 3},
		{"concord_write_conflicts_total", []string{"collection", "shop.stock"}, 2},
		{"concord_write_waits_total", nil, 1},
		{"concord_write_wait_seconds", nil, 1},
		{"concord_transactions_total", []string{"outcome", "committed"}, 1},
		{"concord_transactions_total", []string{"outcome", "aborted"}, 1},
		{"concord_transactions_started_total", nil, 2},
		{"concord_transactions_open", nil, 0},
	} {
		if got := value(after, c.name, c.labels...) - value(before, c.name, c.labels...); got != c.delta {
			t.Errorf("%s%v grew by %v, want %v", c.name, c.labels, got, c.delta)
		}
	}
	if got := value(after, "concord_connections", "protocol", "mongodb"); got != 3 {
		t.Errorf("concord_connections{protocol=mongodb} = %v, want 3", got)
	}
	// The same counters as serverStatus.
	m := db.Metrics()
	if got := value(after, "concord_write_conflicts_total", "collection", "shop.stock"); got != float64(m.WriteConflicts) {
		t.Errorf("metrics say %v write conflicts, Metrics %d", got, m.WriteConflicts)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "concord_commit_duration_seconds", "concord_wal_sync_wait_seconds", "concord_pebble_wal_written_bytes_total", "concord_document_cache_lookups_total"} {
		if after[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	// The waiter starts waiting some time into the 30 ms: the wait is at least a good part of it.
	if got := after["concord_write_wait_seconds"].Metric[0].Histogram.GetSampleSum(); got < 0.015 {
		t.Errorf("write wait took %vs, too little of the 30 ms transaction A held the document", got)
	}
}

func TestHealthz(t *testing.T) {
	db := openDB(t)
	srv := httptest.NewServer(&monitor.Handler{DB: db})
	defer srv.Close()
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != 200 || body != "ok\n" {
		t.Fatalf("open database: %d %q", code, body)
	}
	db.Close()
	if code, _ := get(); code != http.StatusServiceUnavailable {
		t.Fatalf("closed database: %d, want 503", code)
	}
}

func TestStatus_HotDocumentAndProfile(t *testing.T) {
	db := openDB(t)
	h := &monitor.Handler{DB: db}
	conflictWorkload(t, db)
	st := h.Status(context.Background())
	if len(st.HotDocuments) == 0 || st.HotDocuments[0].NS != "shop.stock" || !strings.Contains(st.HotDocuments[0].ID, "1") {
		t.Fatalf("hot documents %+v", st.HotDocuments)
	}
	if hd := st.HotDocuments[0]; hd.TotalConflicts != 1 || hd.TotalWaits != 1 {
		t.Fatalf("hottest %+v, want 1 conflict and 1 wait", hd)
	}
	if st.WriteConflicts != 2 || st.WriteWaits != 1 || st.Transactions.Committed != 1 || st.Transactions.Aborted != 1 {
		t.Fatalf("status %+v", st)
	}
}
