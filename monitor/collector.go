package monitor

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/concorddb/concord"
)

// collector exports a DB's counters in Prometheus' format. It keeps no counters of its own: every scrape reads
// DB.Metrics (the serverStatus counters), DB.Contention and DB.StorageMetrics, so /metrics and serverStatus
// always agree.
type collector struct {
	db    *concord.DB
	conns func() map[string]int
	sql   func() SQLCounters
}

var _ prometheus.Collector = (*collector)(nil)

// desc builds a metric description.
func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descOps            = desc("concord_operations_total", "Operations by type, as serverStatus opcounters.", "type")
	descDocs           = desc("concord_documents_total", "Documents by what happened to them, as serverStatus metrics.document.", "op")
	descConflicts      = desc("concord_write_conflicts_total", "Write conflicts by collection, as serverStatus metrics.operation.writeConflicts (those that abort a transaction too).", "collection")
	descWaits          = desc("concord_write_waits_total", "Times a write outside a transaction waited for a transaction holding its document.")
	descWaitTime       = desc("concord_write_wait_seconds", "Time each write wait took.")
	descTxns           = desc("concord_transactions_total", "Multi-document transactions ended, by outcome.", "outcome")
	descTxnsStarted    = desc("concord_transactions_started_total", "Multi-document transactions started.")
	descTxnsOpen       = desc("concord_transactions_open", "Multi-document transactions open now.")
	descCommit         = desc("concord_commit_duration_seconds", "Time of each commit up to its publication, before the WAL fsync.")
	descSync           = desc("concord_wal_sync_wait_seconds", "Time each commit waited for the WAL fsync covering it.")
	descConns          = desc("concord_connections", "Client connections open now, by protocol.", "protocol")
	descDocCache       = desc("concord_document_cache_lookups_total", "Lookups in the cache of recently written documents, by result.", "result")
	descBlockCache     = desc("concord_pebble_block_cache_lookups_total", "Pebble block cache lookups, by result.", "result")
	descBlockCacheSize = desc("concord_pebble_block_cache_bytes", "Bytes held by Pebble's block cache.")
	descWAL            = desc("concord_pebble_wal_written_bytes_total", "Bytes written to Pebble's WAL.")
	descCompactions    = desc("concord_pebble_compactions_total", "Pebble compactions.")
	descFlushes        = desc("concord_pebble_flushes_total", "Pebble memtable flushes.")
	descMemTable       = desc("concord_pebble_memtable_bytes", "Bytes allocated by Pebble's memtables.")
	descL0Files        = desc("concord_pebble_l0_files", "Files in Pebble's L0.")
	descL0Sublevels    = desc("concord_pebble_l0_sublevels", "Sublevels of Pebble's L0.")
	descReadAmp        = desc("concord_pebble_read_amplification", "Pebble's read amplification.")
	descDisk           = desc("concord_pebble_disk_bytes", "Disk space used by Pebble.")
	descSQLStatements  = desc("concord_sql_statements_total", "SQL statements run on the PostgreSQL port, by kind.", "kind")
	descSQLErrors      = desc("concord_sql_errors_total", "SQL statements failed on the PostgreSQL port, by SQLSTATE.", "sqlstate")
)

// Describe sends every description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOps, descDocs, descConflicts, descWaits, descWaitTime, descTxns,
		descTxnsStarted, descTxnsOpen, descCommit, descSync, descConns, descDocCache, descBlockCache,
		descBlockCacheSize, descWAL, descCompactions, descFlushes, descMemTable, descL0Files, descL0Sublevels,
		descReadAmp, descDisk, descSQLStatements, descSQLErrors} {
		ch <- d
	}
}

// Collect reads the counters once and sends them.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.db.Metrics()
	ct := c.db.Contention()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, o := range []struct {
		name string
		n    int64
	}{{"insert", m.Opcounters.Insert}, {"query", m.Opcounters.Query}, {"update", m.Opcounters.Update},
		{"delete", m.Opcounters.Delete}, {"getmore", m.Opcounters.Getmore}, {"command", m.Opcounters.Command}} {
		counter(descOps, float64(o.n), o.name)
	}
	counter(descDocs, float64(m.Document.Inserted), "inserted")
	counter(descDocs, float64(m.Document.Updated), "updated")
	counter(descDocs, float64(m.Document.Deleted), "deleted")
	counter(descDocs, float64(m.Document.Returned), "returned")

	// Per collection, plus what no collection claims (a conflict on a catalog change), so that the series add
	// up to serverStatus' writeConflicts.
	names := make([]string, 0, len(ct.WriteConflictsByCollection))
	for ns := range ct.WriteConflictsByCollection {
		names = append(names, ns)
	}
	sort.Strings(names)
	rest := m.WriteConflicts
	for _, ns := range names {
		n := ct.WriteConflictsByCollection[ns]
		rest -= n
		counter(descConflicts, float64(n), ns)
	}
	if rest > 0 || len(names) == 0 {
		counter(descConflicts, float64(max(rest, 0)), "")
	}

	counter(descWaits, float64(ct.WriteWaits))
	ch <- histogram(descWaitTime, ct.WriteWaitTime)
	counter(descTxns, float64(m.Transactions.TotalCommitted), "committed")
	counter(descTxns, float64(m.Transactions.TotalAborted), "aborted")
	counter(descTxnsStarted, float64(m.Transactions.TotalStarted))
	gauge(descTxnsOpen, float64(m.Transactions.CurrentOpen))
	ch <- histogram(descCommit, ct.CommitTime)
	ch <- histogram(descSync, ct.SyncWaitTime)
	if c.conns != nil {
		for proto, n := range c.conns() {
			gauge(descConns, float64(n), proto)
		}
	}
	if c.sql != nil {
		sc := c.sql()
		for kind, n := range sc.Statements {
			counter(descSQLStatements, float64(n), kind)
		}
		for code, n := range sc.Errors {
			counter(descSQLErrors, float64(n), code)
		}
	}
	counter(descDocCache, float64(ct.DocCacheHits), "hit")
	counter(descDocCache, float64(ct.DocCacheMisses), "miss")

	s := c.db.StorageMetrics()
	counter(descBlockCache, float64(s.BlockCacheHits), "hit")
	counter(descBlockCache, float64(s.BlockCacheMisses), "miss")
	gauge(descBlockCacheSize, float64(s.BlockCacheBytes))
	counter(descWAL, float64(s.WALBytesWritten))
	counter(descCompactions, float64(s.Compactions))
	counter(descFlushes, float64(s.Flushes))
	gauge(descMemTable, float64(s.MemTableBytes))
	gauge(descL0Files, float64(s.L0Files))
	gauge(descL0Sublevels, float64(s.L0Sublevels))
	gauge(descReadAmp, float64(s.ReadAmp))
	gauge(descDisk, float64(s.DiskBytes))
}

// histogram converts a concord.Histogram, whose buckets are already cumulative, to a constant Prometheus
// histogram in seconds.
func histogram(d *prometheus.Desc, h concord.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Buckets))
	for _, b := range h.Buckets {
		buckets[b.UpperBound.Seconds()] = uint64(b.Count)
	}
	return prometheus.MustNewConstHistogram(d, uint64(h.Count), h.Sum.Seconds(), buckets)
}
