// Package monitor serves a Concord database's observability over HTTP: /metrics in Prometheus' text format,
// /healthz, a live dashboard at / and the JSON it polls at /api/status.
//
// Handler has net/http's shape: set DB (and the optional server hooks), then mount it. It reads only the
// counters the engine keeps where the work happens (DB.Metrics, DB.Contention, DB.HotDocuments), so serving it
// adds nothing to the cost of an operation; only a scrape or a poll does work. With Handler.Users set, everything
// but /healthz requires HTTP basic auth of a user allowed to monitor the server.
package monitor

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
)

// DefaultAddr is where `concord serve` listens for HTTP unless told otherwise: MongoDB's old HTTP port, loopback
// only.
const DefaultAddr = "127.0.0.1:28017"

// Activity is one entry of currentOp as the dashboard shows it: a command in flight, or an idle transaction.
type Activity struct {
	OpID    int64         `json:"opid"`
	Desc    string        `json:"desc"`
	Op      string        `json:"op"`
	NS      string        `json:"ns"`
	Active  bool          `json:"active"`
	InTxn   bool          `json:"inTxn"`
	Running time.Duration `json:"-"`
}

// SQLCounters are the SQL front end's counters: statements run by kind (SELECT, INSERT, UPDATE, DELETE, BEGIN,
// COMMIT, ROLLBACK, DDL, OTHER) and statements failed by SQLSTATE.
type SQLCounters struct {
	Statements map[string]int64
	Errors     map[string]int64
}

// Handler serves the monitoring endpoints of one DB. Set the fields before the first request; they must not
// change afterwards. Safe for concurrent use.
type Handler struct {
	// DB is the database observed.
	DB *concord.DB
	// Connections reports the client connections open now by protocol ("mongodb", ...); nil reports none.
	Connections func() map[string]int
	// Activity lists what the server is doing now (currentOp); nil lists nothing.
	Activity func() []Activity
	// SQL reports the SQL front end's counters since it started; nil reports none.
	SQL func() SQLCounters
	// Users, when set, protects /metrics, the dashboard and /api/status with HTTP basic auth, as the MongoDB
	// port's --auth does: the user (of the admin database) must hold clusterMonitor, clusterAdmin or root.
	// Missing or wrong credentials get 401 with a challenge, a user without the role 403. /healthz stays open,
	// so that a load balancer or an orchestrator probes without credentials; it tells only whether the
	// database is open. Share the Store of the other ports, so that a change of a user reaches this port at
	// once. nil serves everything to anyone who reaches the port.
	Users *auth.Store
	// AuthThrottle bounds the concurrent password checks and delays the answers to an address whose checks
	// keep failing; nil means one of the Handler's own. Share the other ports' Throttle, so that failures on
	// any port count together.
	AuthThrottle *auth.Throttle

	once     sync.Once
	mux      *http.ServeMux
	registry *prometheus.Registry
}

// ServeHTTP serves /metrics, /healthz, /api/status and the dashboard.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	h.mux.ServeHTTP(w, r)
}

//go:embed dashboard
var dashboard embed.FS

// init builds the registry and the routes.
func (h *Handler) init() {
	h.registry = prometheus.NewRegistry()
	h.registry.MustRegister(
		&collector{db: h.DB, conns: h.Connections, sql: h.SQL},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	protect := func(next http.Handler) http.Handler { return next }
	if h.Users != nil {
		protect = newBasicAuth(h.Users, h.AuthThrottle).wrap
	}
	h.mux = http.NewServeMux()
	h.mux.Handle("GET /metrics", protect(promhttp.HandlerFor(h.registry, promhttp.HandlerOpts{})))
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.Handle("GET /api/status", protect(http.HandlerFunc(h.status)))
	static, err := fs.Sub(dashboard, "dashboard")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	h.mux.Handle("GET /", protect(http.FileServerFS(static)))
}

// healthz answers 200 "ok" while the database is open, 503 once it is closed.
func (h *Handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.DB.ListDatabaseNames(ctx); err != nil {
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}
