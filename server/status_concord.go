package server

import (
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
)

// hotDocumentsShown is how many hot documents serverStatus' concord section lists.
const hotDocumentsShown = 10

// concordStatus is serverStatus' concord section: what Concord measures that mongod has no field for. Write
// waits (writes outside a transaction that waited for one holding their document) and their time, commit and
// WAL-sync latency percentiles in microseconds, and the hot documents, hottest first, with their decayed and
// total conflicts and waits.
func concordStatus(db *concord.DB) bson.D {
	c := db.Contention()
	hot := bson.A{}
	for _, h := range db.HotDocuments(hotDocumentsShown) {
		d := bson.D{{Key: "ns", Value: h.Database + "." + h.Collection}}
		if h.ID.Type != 0 {
			d = append(d, bson.E{Key: "_id", Value: h.ID})
		}
		hot = append(hot, append(d,
			bson.E{Key: "conflicts", Value: h.Conflicts},
			bson.E{Key: "waits", Value: h.Waits},
			bson.E{Key: "totalConflicts", Value: h.TotalConflicts},
			bson.E{Key: "totalWaits", Value: h.TotalWaits},
		))
	}
	return bson.D{
		{Key: "writeWaits", Value: c.WriteWaits},
		{Key: "writeWaitMicros", Value: int64(c.WriteWaitTime.Sum / time.Microsecond)},
		{Key: "commitMicros", Value: percentiles(c.CommitTime)},
		{Key: "syncWaitMicros", Value: percentiles(c.SyncWaitTime)},
		{Key: "hotDocuments", Value: hot},
	}
}

// percentiles is a histogram's count and its p50, p95 and p99 in microseconds (bucket upper bounds).
func percentiles(h concord.Histogram) bson.D {
	us := func(q float64) int64 { return int64(h.Quantile(q) / time.Microsecond) }
	return bson.D{{Key: "count", Value: h.Count}, {Key: "p50", Value: us(0.5)}, {Key: "p95", Value: us(0.95)}, {Key: "p99", Value: us(0.99)}}
}
