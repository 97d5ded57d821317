package concord

import (
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/engine"
)

// Histogram is a copy of a latency histogram with cumulative buckets, in
// Prometheus' shape; Quantile estimates a percentile from it.
type Histogram = engine.Histogram

// HistogramBucket is one cumulative bucket of a Histogram.
type HistogramBucket = engine.HistogramBucket

// StorageMetrics is the part of Pebble's metrics worth watching: block
// cache, WAL volume, compactions, flushes, memtables, L0 and space used.
type StorageMetrics = engine.StorageMetrics

// Contention is a copy of the counters of contention and latency kept
// beside the serverStatus counters of Metrics, from the same places.
type Contention struct {
	// WriteConflictsByCollection splits Metrics.WriteConflicts by
	// namespace ("db.coll").
	WriteConflictsByCollection map[string]int64
	// WriteWaits counts the times a write outside a transaction waited for
	// a transaction holding its document; WriteWaitTime times each wait.
	WriteWaits    int64
	WriteWaitTime Histogram
	// CommitTime times each commit up to its publication, SyncWaitTime the
	// wait for the WAL fsync that follows it.
	CommitTime, SyncWaitTime Histogram
	// DocCacheHits and DocCacheMisses count lookups in the cache of
	// recently written documents.
	DocCacheHits, DocCacheMisses int64
}

// HotDocument is one of the most contended documents: its collection and
// _id, and the write conflicts and waits met on it, decayed (halved every
// 30 s without new contention) and in total since it entered the tracked
// set. Error bounds the overestimate in Conflicts. ID is zero when the
// document is gone.
type HotDocument struct {
	Database, Collection       string
	ID                         bson.RawValue
	Conflicts, Waits, Error    float64
	TotalConflicts, TotalWaits int64
}

// Contention returns a copy of the contention counters.
func (db *DB) Contention() Contention {
	c := db.eng.Contention()
	out := Contention{
		WriteConflictsByCollection: make(map[string]int64, len(c.WriteConflictsByCollection)),
		WriteWaits:                 c.WriteWaits,
		WriteWaitTime:              c.WriteWaitTime,
		CommitTime:                 c.CommitTime,
		SyncWaitTime:               c.SyncWaitTime,
		DocCacheHits:               c.DocCache.Hits,
		DocCacheMisses:             c.DocCache.Misses,
	}
	for ns, n := range c.WriteConflictsByCollection {
		out.WriteConflictsByCollection[ns.String()] += n
	}
	return out
}

// HotDocuments returns up to n of the most contended documents, hottest
// first. The engine tracks at most 64 documents whatever the workload, so
// the list is bounded and cheap to read; it names documents that are hot
// now, not over the database's lifetime.
func (db *DB) HotDocuments(n int) []HotDocument {
	hot := db.eng.HotDocuments(n)
	out := make([]HotDocument, len(hot))
	for i, h := range hot {
		out[i] = HotDocument{
			Database: h.Namespace.DB, Collection: h.Namespace.Coll, ID: h.ID,
			Conflicts: h.Conflicts, Waits: h.Waits, Error: h.Error,
			TotalConflicts: h.TotalConflicts, TotalWaits: h.TotalWaits,
		}
	}
	return out
}

// StorageMetrics returns a copy of the storage engine's metrics; zero once
// the database is closed. Call it at scrape rate, not per operation.
func (db *DB) StorageMetrics() StorageMetrics { return db.eng.StorageMetrics() }
