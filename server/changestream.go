package server

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/internal/query/agg"
)

// Change streams: an aggregate whose pipeline starts with $changeStream opens a tailable cursor over the
// engine's change feed (frontend.Watch), which records commits in commit order while a stream is open. Each
// change becomes a mongod-shaped event ({_id: resume token, operationType, clusterTime, wallTime, ns,
// documentKey, fullDocument, updateDescription}), goes through the rest of the pipeline, and is handed out by
// getMore, which waits up to its maxTimeMS (the driver's maxAwaitTimeMS) for one. Every batch carries a
// postBatchResumeToken, so drivers resume with resumeAfter.
//
// A resume token is {_data: hex}: the engine run (epoch), the change's position in the feed and its timestamp.
// The feed is in memory: a token from before a restart, or from before a time nobody watched, is
// ChangeStreamHistoryLost (286), as a token older than mongod's oplog is.

// streamScope says which namespaces a stream sees.
type streamScope struct {
	db, coll string // coll "" for a database; db "" for the whole deployment
}

// sees reports whether a change of ns belongs to the stream. Streams on a database or the deployment do not
// see the internal databases, as in mongod.
func (sc streamScope) sees(db, coll string) bool {
	if sc.db == "" {
		return db != "admin" && db != "config" && db != "local" && !strings.HasPrefix(coll, "system.")
	}
	if db != sc.db {
		return false
	}
	if sc.coll == "" {
		return !strings.HasPrefix(coll, "system.")
	}
	return coll == sc.coll
}

// changeCursor is the server side of one change stream.
type changeCursor struct {
	s      *Server
	stream *frontend.ChangeStream
	scope  streamScope
	// fullDocument is the $changeStream option: "default", "updateLookup", "whenAvailable" or "required".
	fullDocument string
	// rest is the pipeline after $changeStream, applied to each event.
	rest *agg.Pipeline
	// last is the feed position of the last change consumed, lastTs its timestamp.
	last, lastTs uint64
	// invalidated is set once the invalidate event has been returned: the stream is over.
	invalidated bool
}

// cmdAggregate is the collection part of a database-level aggregate's cursor namespace.
const cmdAggregate = "$cmd.aggregate"

// changeStreamWait is how long a getMore waits for an event when it carries no maxTimeMS (mongod's default
// await time for a tailable cursor).
const changeStreamWait = time.Second

// tokenBytes is the length of a resume token's payload: epoch, position, timestamp.
const tokenBytes = 24

// resumeToken encodes a feed position as a resume token.
func resumeToken(epoch, seq, ts uint64) bson.D {
	var b [tokenBytes]byte
	binary.BigEndian.PutUint64(b[0:], epoch)
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint64(b[16:], ts)
	return bson.D{{Key: "_data", Value: strings.ToUpper(hex.EncodeToString(b[:]))}}
}

// parseResumeToken decodes a resume token of this engine run; a token of another run is history lost, a
// malformed one BadValue.
func parseResumeToken(v bson.RawValue, epoch uint64) (seq, ts uint64, err error) {
	doc, ok := v.DocumentOK()
	if !ok {
		return 0, 0, codes.New(codes.TypeMismatch, "resume token must be an object, not %s", typeName(v.Type))
	}
	data, ok := doc.Lookup("_data").StringValueOK()
	b, herr := hex.DecodeString(data)
	if !ok || herr != nil || len(b) != tokenBytes {
		return 0, 0, codes.New(codes.BadValue, "Invalid resume token: %s", doc.String())
	}
	if binary.BigEndian.Uint64(b[0:]) != epoch {
		return 0, 0, codes.New(codes.ChangeStreamHistoryLost, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.")
	}
	return binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:]), nil
}

// openChangeStream answers an aggregate whose first stage is $changeStream, on the collection coll of req.DB
// ("" for {aggregate: 1}).
func (s *Server) openChangeStream(ctx context.Context, req *Request, coll string, stages []bson.Raw, batchSize int64) (bson.D, error) {
	if req.InTxn {
		return nil, codes.New(codes.OperationNotSupportedInTransaction, "Operation not permitted in transaction :: caused by :: $changeStream cannot run in a multi-document transaction")
	}
	spec, ok := stages[0].Lookup("$changeStream").DocumentOK()
	if !ok {
		return nil, codes.New(codes.FailedToParse, "the $changeStream stage must be an object")
	}
	scope := streamScope{db: req.DB, coll: coll}
	namespace := ns(req.DB, coll)
	if coll == "" {
		namespace = ns(req.DB, cmdAggregate)
	}
	c := &changeCursor{s: s, scope: scope, fullDocument: "default"}
	var resume, startAfter bson.RawValue
	var startAt *bson.Timestamp
	elems, err := spec.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "%v", err)
	}
	for _, e := range elems {
		v := e.Value()
		switch k := e.Key(); k {
		case "fullDocument":
			fd, ok := v.StringValueOK()
			if !ok || (fd != "default" && fd != "updateLookup" && fd != "whenAvailable" && fd != "required") {
				return nil, codes.New(codes.BadValue, "unknown full document mode: %s", v.String())
			}
			c.fullDocument = fd
		case "fullDocumentBeforeChange":
			if m, _ := v.StringValueOK(); m == "required" {
				return nil, codes.New(codes.InvalidOptions, "fullDocumentBeforeChange 'required' needs pre-images, which Concord does not keep")
			}
		case "resumeAfter":
			resume = v
		case "startAfter":
			startAfter = v
		case "startAtOperationTime":
			t, i, ok := v.TimestampOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "startAtOperationTime must be a timestamp")
			}
			startAt = &bson.Timestamp{T: t, I: i}
		case "allChangesForCluster":
			all, _ := v.BooleanOK()
			if all {
				if req.DB != "admin" || coll != "" {
					return nil, codes.New(codes.InvalidOptions, "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database, and with no collection name")
				}
				scope = streamScope{}
				c.scope = scope
			}
		case "showExpandedEvents":
			// Expanded events report DDL (create, createIndexes, rename, ...), which the feed does not record:
			// refusing the option beats a stream that waits for events that never come.
			if on, _ := v.BooleanOK(); on {
				return nil, codes.New(codes.InvalidOptions, "showExpandedEvents is not supported: the change feed records document writes and drops only")
			}
		case "showSystemEvents", "showRawUpdateDescription":
		default:
			return nil, codes.New(codeUnknownField, "BSON field '$changeStream.%s' is an unknown field.", k)
		}
	}
	if req.DB == "admin" && scope.db != "" {
		return nil, codes.New(codes.InvalidNamespace, "$changeStream may not be opened on the internal admin database")
	}
	n := 0
	for _, v := range []bool{resume.Type != 0, startAfter.Type != 0, startAt != nil} {
		if v {
			n++
		}
	}
	if n > 1 {
		return nil, codes.New(codes.Location40674, "Only one type of resume option is allowed, but multiple were found.")
	}
	for _, st := range stages[1:] {
		if _, err := st.LookupErr("$changeStream"); err == nil {
			return nil, codes.New(codes.Location40602, "$changeStream is only valid as the first stage in a pipeline.")
		}
	}
	if c.rest, err = agg.Compile(stages[1:]); err != nil {
		return nil, commandError(err)
	}
	stream, err := frontend.Watch(s.DB)
	if err != nil {
		return nil, commandError(err)
	}
	c.stream = stream
	c.last, c.lastTs = stream.Start, stream.StartTs
	switch {
	case resume.Type != 0 || startAfter.Type != 0:
		tok := resume
		if tok.Type == 0 {
			tok = startAfter
		}
		if c.last, c.lastTs, err = parseResumeToken(tok, stream.Epoch()); err != nil {
			stream.Close()
			return nil, err
		}
		if _, err := stream.Changes(c.last, 0); err != nil {
			stream.Close()
			return nil, err
		}
	case startAt != nil:
		if c.last, err = stream.SeqAt(time.Unix(int64(startAt.T), 0)); err != nil {
			stream.Close()
			return nil, err
		}
	}
	var batch []bson.Raw
	if batchSize != 0 {
		if batch, err = c.next(ctx, batchSize, false); err != nil {
			stream.Close()
			return nil, err
		}
	}
	sc := &serverCursor{ns: namespace, changes: c, conn: req.connID()}
	sc.lsid, sc.hasLsid = req.lsid, req.hasLsid
	id, err := s.cursors.add(sc)
	if err != nil {
		stream.Close()
		return nil, err
	}
	return c.reply("firstBatch", batch, id, namespace), nil
}

// reply is a change stream cursor's reply: the batch, the postBatchResumeToken, the id and the namespace.
func (c *changeCursor) reply(field string, batch []bson.Raw, id int64, namespace string) bson.D {
	return bson.D{{Key: "cursor", Value: bson.D{
		{Key: field, Value: batchArray(batch)},
		{Key: "postBatchResumeToken", Value: resumeToken(c.stream.Epoch(), c.last, c.lastTs)},
		{Key: "id", Value: id},
		{Key: "ns", Value: namespace},
	}}}
}

// next returns up to n events (n <= 0: up to the default batch), waiting for the first one when wait is set,
// until ctx's deadline; a deadline reached without events is an empty batch, not an error.
func (c *changeCursor) next(ctx context.Context, n int64, wait bool) ([]bson.Raw, error) {
	if n <= 0 {
		n = defaultFirstBatch
	}
	if wait {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, changeStreamWait)
			defer cancel()
		}
	}
	var batch []bson.Raw
	size := 0
	for !c.invalidated && int64(len(batch)) < n && size < maxBatchBytes {
		changes, err := c.stream.Changes(c.last, int(n))
		if err != nil {
			return nil, err
		}
		if len(changes) == 0 {
			if !wait || len(batch) > 0 {
				break
			}
			if err := c.stream.Wait(ctx, c.last); err != nil {
				if errors.Is(err, context.DeadlineExceeded) {
					break
				}
				return nil, err
			}
			continue
		}
		for _, ch := range changes {
			events, err := c.events(ctx, ch)
			if err != nil {
				return nil, err
			}
			c.last, c.lastTs = ch.Seq, ch.Ts
			for _, ev := range events {
				batch = append(batch, ev)
				size += len(ev)
			}
			if c.invalidated || int64(len(batch)) >= n || size >= maxBatchBytes {
				break
			}
		}
	}
	return batch, nil
}

// events turns one change into the events the stream returns, after the rest of the pipeline: none when the
// change is outside the stream's scope, and for the drop of a watched collection the drop then invalidate.
func (c *changeCursor) events(ctx context.Context, ch frontend.Change) ([]bson.Raw, error) {
	if !c.scope.sees(ch.NS.DB, ch.NS.Coll) {
		return nil, nil
	}
	ev, err := c.event(ctx, ch)
	if err != nil {
		return nil, err
	}
	docs, err := c.rest.Run(ctx, []bson.Raw{ev}, nil)
	if err != nil {
		return nil, commandError(err)
	}
	token := ev.Lookup("_id")
	for _, d := range docs {
		if id := d.Lookup("_id"); id.Type != token.Type || !bytesEqual(id.Value, token.Value) {
			return nil, codes.New(codes.ChangeStreamFatalError, "Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.")
		}
	}
	if ch.Kind == frontend.ChangeDrop && c.scope.coll != "" {
		c.invalidated = true
		inv, err := bson.Marshal(bson.D{
			{Key: "_id", Value: resumeToken(c.stream.Epoch(), ch.Seq, ch.Ts)},
			{Key: "operationType", Value: "invalidate"},
			{Key: "clusterTime", Value: clusterTime(ch)},
			{Key: "wallTime", Value: bson.NewDateTimeFromTime(ch.Wall)},
		})
		if err != nil {
			return nil, commandError(err)
		}
		docs = append(docs, inv)
	}
	return docs, nil
}

// clusterTime is the event's clusterTime: the commit's wall-clock second, with its timestamp as the
// increment, so that events order as their commits.
func clusterTime(ch frontend.Change) bson.Timestamp {
	return bson.Timestamp{T: uint32(ch.Wall.Unix()), I: uint32(ch.Ts)}
}

// event shapes one change as mongod's change event.
func (c *changeCursor) event(ctx context.Context, ch frontend.Change) (bson.Raw, error) {
	d := bson.D{
		{Key: "_id", Value: resumeToken(c.stream.Epoch(), ch.Seq, ch.Ts)},
		{Key: "operationType", Value: operationType(ch)},
		{Key: "clusterTime", Value: clusterTime(ch)},
		{Key: "wallTime", Value: bson.NewDateTimeFromTime(ch.Wall)},
	}
	nsDoc := bson.D{{Key: "db", Value: ch.NS.DB}, {Key: "coll", Value: ch.NS.Coll}}
	if ch.Kind == frontend.ChangeDrop {
		d = append(d, bson.E{Key: "ns", Value: nsDoc})
		return bson.Marshal(d)
	}
	key := bson.D{{Key: "_id", Value: ch.ID}}
	switch {
	case ch.Before == nil, ch.Replaced:
		d = append(d, bson.E{Key: "fullDocument", Value: ch.After}, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key})
	case ch.After == nil:
		d = append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key})
	default:
		if c.fullDocument != "default" {
			doc, err := c.lookup(ctx, ch)
			if err != nil {
				return nil, err
			}
			d = append(d, bson.E{Key: "fullDocument", Value: doc})
		}
		d = append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key},
			bson.E{Key: "updateDescription", Value: updateDescription(ch.Before, ch.After)})
	}
	return bson.Marshal(d)
}

// lookup is fullDocument "updateLookup": the document's current version, or null when it is gone.
func (c *changeCursor) lookup(ctx context.Context, ch frontend.Change) (any, error) {
	res := c.s.database(ch.NS.DB).Collection(ch.NS.Coll).FindOne(ctx, bson.D{{Key: "_id", Value: ch.ID}})
	raw, err := res.Raw()
	if err != nil {
		if strings.Contains(err.Error(), "no documents") {
			if c.fullDocument == "required" {
				return nil, codes.New(codes.NoMatchingDocument, "Change stream was configured to require a post-image for all update events, but the post-image was not found")
			}
			return nil, nil
		}
		return nil, commandError(err)
	}
	return raw, nil
}

// operationType names the change as mongod does.
func operationType(ch frontend.Change) string {
	switch {
	case ch.Kind == frontend.ChangeDrop:
		return "drop"
	case ch.Before == nil:
		return "insert"
	case ch.After == nil:
		return "delete"
	case ch.Replaced:
		return "replace"
	}
	return "update"
}

// updateDescription is {updatedFields, removedFields, truncatedArrays} from before to after: fields of
// embedded documents are compared one by one under dotted paths, any other changed value is updated whole.
func updateDescription(before, after bson.Raw) bson.D {
	updated, removed := bson.D{}, bson.A{}
	diffDocs("", before, after, &updated, &removed)
	return bson.D{
		{Key: "updatedFields", Value: updated},
		{Key: "removedFields", Value: removed},
		{Key: "truncatedArrays", Value: bson.A{}},
	}
}

// diffDocs appends to updated and removed the differences between two documents at prefix.
func diffDocs(prefix string, before, after bson.Raw, updated *bson.D, removed *bson.A) {
	old, _ := before.Elements()
	now, _ := after.Elements()
	seen := make(map[string]bool, len(now))
	for _, e := range now {
		k := e.Key()
		seen[k] = true
		v := e.Value()
		ov, err := before.LookupErr(k)
		switch {
		case err != nil:
			*updated = append(*updated, bson.E{Key: prefix + k, Value: v})
		case ov.Type == bson.TypeEmbeddedDocument && v.Type == bson.TypeEmbeddedDocument:
			diffDocs(prefix+k+".", ov.Document(), v.Document(), updated, removed)
		case ov.Type != v.Type || !bytesEqual(ov.Value, v.Value):
			*updated = append(*updated, bson.E{Key: prefix + k, Value: v})
		}
	}
	for _, e := range old {
		if !seen[e.Key()] {
			*removed = append(*removed, prefix+e.Key())
		}
	}
}

// bytesEqual compares two values' bytes.
func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// getMoreChanges answers a getMore on a change stream's cursor c, checked out: the next events, waiting up to
// the getMore's maxTimeMS (the driver's maxAwaitTimeMS) for the first. The cursor ends after an invalidate
// event.
func (s *Server) getMoreChanges(ctx context.Context, req *Request, c *serverCursor, id, n int64, namespace string) (bson.D, error) {
	batch, err := c.changes.next(ctx, n, true)
	if err != nil {
		s.cursors.remove(c)
		return nil, err
	}
	if c.changes.invalidated {
		s.cursors.remove(c)
		id = 0
	} else {
		s.cursors.release(c)
	}
	return c.changes.reply("nextBatch", batch, id, namespace), nil
}

// close ends the stream.
func (c *changeCursor) close() { c.stream.Close() }
