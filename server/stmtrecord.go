package server

import (
	"context"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"

	"github.com/concorddb/concord/internal/frontend"
)

// stmtRecord keeps which statements of a retryable update or delete of several statements have run, and what
// each did, as mongod keeps one oplog entry per statement id: a retry of the command, after a failure that
// failed it half-way or after a restart, runs only the statements that have not run and takes the others'
// results from the record. Each statement's engine operation stores the whole record so far with its own writes
// (frontend.WithSessionRecord), so the record never claims a statement whose writes were lost. It belongs to the
// session and is used only while the session is checked out.
type stmtRecord struct {
	txnNumber int64
	cmd       string
	// done maps a statement's number to its result summary: {matched, modified, upsertedId?} for an update,
	// {deleted} for a delete, the fields the engine writes for the last statement.
	done map[int]bson.Raw
	// order lists done's keys in the order the statements ran, so that the stored record is stable.
	order []int
}

// newStmtRecord starts the record of retryable write n.
func newStmtRecord(n int64, cmd string) *stmtRecord {
	return &stmtRecord{txnNumber: n, cmd: cmd, done: map[int]bson.Raw{}}
}

// contextFor returns ctx carrying the session record that statement i's operation stores with its writes: the
// statements done so far, and i, whose result the engine appends.
func (r *stmtRecord) contextFor(ctx context.Context, lsid [16]byte, i int) context.Context {
	idx, d := bsoncore.AppendDocumentStart(make([]byte, 0, 128))
	d = bsoncore.AppendInt64Element(d, "txnNumber", r.txnNumber)
	d = bsoncore.AppendStringElement(d, "state", "retryable")
	d = bsoncore.AppendStringElement(d, "cmd", r.cmd)
	d = bsoncore.AppendDateTimeElement(d, "at", time.Now().UnixMilli())
	aidx, d := bsoncore.AppendArrayElementStart(d, "stmts")
	for k, j := range r.order {
		sidx, dd := bsoncore.AppendDocumentElementStart(d, strconv.Itoa(k))
		dd = bsoncore.AppendInt32Element(dd, "i", int32(j))
		dd = bsoncore.AppendDocumentElement(dd, "result", r.done[j])
		d, _ = bsoncore.AppendDocumentEnd(dd, sidx)
	}
	d, _ = bsoncore.AppendArrayEnd(d, aidx)
	d = bsoncore.AppendInt32Element(d, "stmt", int32(i))
	d, _ = bsoncore.AppendDocumentEnd(d, idx)
	return frontend.WithSessionRecord(ctx, lsid, d)
}

// markDone notes that statement i ran, with its result summary.
func (r *stmtRecord) markDone(i int, result bson.Raw) {
	if _, ok := r.done[i]; !ok {
		r.order = append(r.order, i)
	}
	r.done[i] = result
}

// stmtRecordFrom rebuilds the statement record of a durable session record, or nil when the record is not one
// of a statement of a multi-statement write.
func stmtRecordFrom(rec bson.Raw, n int64) *stmtRecord {
	last, ok := rec.Lookup("stmt").Int32OK()
	if !ok {
		return nil
	}
	res, ok := rec.Lookup("result").DocumentOK()
	if !ok {
		return nil
	}
	cmd, _ := rec.Lookup("cmd").StringValueOK()
	r := newStmtRecord(n, cmd)
	if arr, ok := rec.Lookup("stmts").ArrayOK(); ok {
		vals, _ := arr.Values()
		for _, v := range vals {
			d, ok := v.DocumentOK()
			if !ok {
				continue
			}
			i, ok1 := d.Lookup("i").Int32OK()
			sr, ok2 := d.Lookup("result").DocumentOK()
			if ok1 && ok2 {
				r.markDone(int(i), sr)
			}
		}
	}
	r.markDone(int(last), res)
	return r
}

// updateSummary and deleteSummary are the result summaries of one statement, as the engine writes them.
func updateSummary(matched, modified int64, upsertedID any) bson.Raw {
	d := bson.D{{Key: "matched", Value: matched}, {Key: "modified", Value: modified}}
	if upsertedID != nil {
		d = append(d, bson.E{Key: "upsertedId", Value: upsertedID})
	}
	raw, _ := bson.Marshal(d)
	return raw
}

func deleteSummary(deleted int64) bson.Raw {
	raw, _ := bson.Marshal(bson.D{{Key: "deleted", Value: deleted}})
	return raw
}

// retriedStmts lists, in order, the statements of a retried write that were answered from the record.
func retriedStmts(skipped []int) bson.A {
	out := make(bson.A, len(skipped))
	for k, i := range skipped {
		out[k] = int32(i)
	}
	return out
}
