package monitor

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/frontend"
)

// Status is what the dashboard polls at /api/status: the counters (the page computes rates from two polls),
// latency percentiles, the hot documents, current activity and the recent profiler entries that met a write
// conflict.
type Status struct {
	TimeMillis     int64            `json:"timeMillis"`
	Opcounters     map[string]int64 `json:"opcounters"`
	WriteConflicts int64            `json:"writeConflicts"`
	WriteWaits     int64            `json:"writeWaits"`
	// WriteWaitSeconds is the total time writes have waited.
	WriteWaitSeconds float64 `json:"writeWaitSeconds"`
	Transactions     struct {
		Started   int64 `json:"started"`
		Committed int64 `json:"committed"`
		Aborted   int64 `json:"aborted"`
		Open      int64 `json:"open"`
	} `json:"transactions"`
	// CommitMicros holds commit latency percentiles (p50, p95, p99) over the server's life, in microseconds.
	CommitMicros               map[string]int64 `json:"commitMicros"`
	Connections                int              `json:"connections"`
	TransactionLifetimeSeconds float64          `json:"transactionLifetimeSeconds"`
	HotDocuments               []HotDocument    `json:"hotDocuments"`
	Activity                   []ActivityJSON   `json:"activity"`
	Profile                    []ProfileEntry   `json:"profile"`
}

// HotDocument is a hot document as /api/status reports it; ID is the _id in relaxed extended JSON.
type HotDocument struct {
	NS             string  `json:"ns"`
	ID             string  `json:"id"`
	Conflicts      float64 `json:"conflicts"`
	Waits          float64 `json:"waits"`
	TotalConflicts int64   `json:"totalConflicts"`
	TotalWaits     int64   `json:"totalWaits"`
}

// ActivityJSON is an Activity with its running time in milliseconds.
type ActivityJSON struct {
	Activity
	RunningMillis int64 `json:"runningMillis"`
}

// ProfileEntry is a system.profile entry that met a write conflict: an operation that waited and retried
// (writeConflicts > 0), or a transaction's statement that failed with WriteConflict.
type ProfileEntry struct {
	TS             time.Time `json:"ts"`
	NS             string    `json:"ns"`
	Op             string    `json:"op"`
	Millis         int64     `json:"millis"`
	WriteConflicts int64     `json:"writeConflicts"`
	ErrName        string    `json:"errName,omitempty"`
}

// profileShown is how many profiler entries the status carries.
const profileShown = 10

// status answers /api/status.
func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	st := h.Status(r.Context())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(st)
}

// Status gathers the dashboard's data now.
func (h *Handler) Status(ctx context.Context) Status {
	m := h.DB.Metrics()
	c := h.DB.Contention()
	var s Status
	s.TimeMillis = time.Now().UnixMilli()
	s.Opcounters = map[string]int64{
		"insert": m.Opcounters.Insert, "query": m.Opcounters.Query, "update": m.Opcounters.Update,
		"delete": m.Opcounters.Delete, "getmore": m.Opcounters.Getmore, "command": m.Opcounters.Command,
	}
	s.WriteConflicts = m.WriteConflicts
	s.WriteWaits = c.WriteWaits
	s.WriteWaitSeconds = c.WriteWaitTime.Sum.Seconds()
	s.Transactions.Started = m.Transactions.TotalStarted
	s.Transactions.Committed = m.Transactions.TotalCommitted
	s.Transactions.Aborted = m.Transactions.TotalAborted
	s.Transactions.Open = m.Transactions.CurrentOpen
	s.CommitMicros = map[string]int64{}
	for name, q := range map[string]float64{"p50": 0.5, "p95": 0.95, "p99": 0.99} {
		s.CommitMicros[name] = c.CommitTime.Quantile(q).Microseconds()
	}
	if h.Connections != nil {
		for _, n := range h.Connections() {
			s.Connections += n
		}
	}
	s.TransactionLifetimeSeconds = h.DB.TransactionLifetime().Seconds()
	s.HotDocuments = []HotDocument{}
	for _, d := range h.DB.HotDocuments(10) {
		id := ""
		if d.ID.Type != 0 {
			id = relaxedJSON(d.ID)
		}
		s.HotDocuments = append(s.HotDocuments, HotDocument{
			NS: d.Database + "." + d.Collection, ID: id, Conflicts: d.Conflicts, Waits: d.Waits,
			TotalConflicts: d.TotalConflicts, TotalWaits: d.TotalWaits,
		})
	}
	s.Activity = []ActivityJSON{}
	if h.Activity != nil {
		for _, a := range h.Activity() {
			s.Activity = append(s.Activity, ActivityJSON{Activity: a, RunningMillis: a.Running.Milliseconds()})
		}
	}
	s.Profile = h.conflictedProfile(ctx)
	return s
}

// conflictedProfile returns the newest profiler entries of every database that met a write conflict. The
// reads are made under frontend.WithoutMetrics: watching must not show up as queries.
func (h *Handler) conflictedProfile(ctx context.Context) []ProfileEntry {
	out := []ProfileEntry{}
	ctx = frontend.WithoutMetrics(ctx)
	names, err := h.DB.ListDatabaseNames(ctx)
	if err != nil {
		return out
	}
	filter := bson.D{{Key: "$or", Value: bson.A{
		bson.D{{Key: "writeConflicts", Value: bson.D{{Key: "$gt", Value: 0}}}},
		bson.D{{Key: "errName", Value: "WriteConflict"}},
	}}}
	opts := &concord.FindOptions{Sort: bson.D{{Key: "ts", Value: -1}}, Limit: profileShown}
	for _, name := range names {
		cur, err := h.DB.Database(name).Collection("system.profile").Find(ctx, filter, opts)
		if err != nil {
			continue
		}
		for cur.Next(ctx) {
			var e struct {
				TS             time.Time `bson:"ts"`
				NS             string    `bson:"ns"`
				Op             string    `bson:"op"`
				Millis         int64     `bson:"millis"`
				WriteConflicts int64     `bson:"writeConflicts"`
				ErrName        string    `bson:"errName"`
			}
			if cur.Decode(&e) == nil {
				out = append(out, ProfileEntry(e))
			}
		}
		cur.Close(ctx)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TS.After(out[j].TS) })
	if len(out) > profileShown {
		out = out[:profileShown]
	}
	return out
}

// relaxedJSON is v in relaxed extended JSON (1, "a", {"$oid": ...}), as mongosh shows it.
func relaxedJSON(v bson.RawValue) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil {
		return v.String()
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `{"v":`), "}")
}
