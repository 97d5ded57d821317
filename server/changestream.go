package server

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
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
// A resume token is {_data: hex}: the database's change log id, the change's position in the log, its
// timestamp, and whether it is an invalidate's. The log is durable, so tokens outlive restarts; a token older
// than the log's retention is ChangeStreamHistoryLost (286), as a token older than mongod's oplog is.

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
	// fullDocument is the $changeStream option: "default", "updateLookup", "whenAvailable" or "required";
	// beforeChange is fullDocumentBeforeChange: "off", "whenAvailable" or "required".
	fullDocument, beforeChange string
	// expanded is showExpandedEvents: DDL events besides drop, rename and dropDatabase.
	expanded bool
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

// tokenBytes is the length of a resume token's payload: log id, position, timestamp, flags.
const tokenBytes = 25

// tokenInvalidate flags the token of an invalidate event.
const tokenInvalidate = 1

// resumeToken encodes a log position as a resume token.
func resumeToken(logID, seq, ts uint64, flags byte) bson.D {
	var b [tokenBytes]byte
	binary.BigEndian.PutUint64(b[0:], logID)
	binary.BigEndian.PutUint64(b[8:], seq)
	binary.BigEndian.PutUint64(b[16:], ts)
	b[24] = flags
	return bson.D{{Key: "_data", Value: strings.ToUpper(hex.EncodeToString(b[:]))}}
}

// parseResumeToken decodes a resume token with mongod's errors for malformed ones: _data missing or not a
// string 40647, not hex FailedToParse (9), empty 40649. A token of another deployment (or of no change) is
// ChangeStreamFatalError (280), as mongod's answer to a token it cannot find.
func parseResumeToken(v bson.RawValue, logID uint64) (seq, ts uint64, flags byte, err error) {
	doc, ok := v.DocumentOK()
	if !ok {
		return 0, 0, 0, codes.New(codes.TypeMismatch, "BSON field '$changeStream.resumeAfter' is the wrong type '%s', expected type 'object'", typeName(v.Type))
	}
	data, ok := doc.Lookup("_data").StringValueOK()
	if !ok {
		return 0, 0, 0, codes.New(codes.Location40647, "Bad resume token: _data of missing or of wrong type. Expected string, got %s", doc.String())
	}
	b, herr := hex.DecodeString(data)
	switch {
	case herr != nil:
		return 0, 0, 0, codes.New(codes.FailedToParse, "resume token string was not a valid hex string")
	case len(b) == 0:
		return 0, 0, 0, codes.New(codes.Location40649, "invalid empty resume token")
	case len(b) != tokenBytes || binary.BigEndian.Uint64(b[0:]) != logID:
		return 0, 0, 0, codes.New(codes.ChangeStreamFatalError, "cannot resume stream; the resume token was not found. %s", doc.String())
	}
	return binary.BigEndian.Uint64(b[8:]), binary.BigEndian.Uint64(b[16:]), b[24], nil
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
	c := &changeCursor{s: s, scope: scope, fullDocument: "default", beforeChange: "off"}
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
			m, ok := v.StringValueOK()
			if !ok || (m != "off" && m != "whenAvailable" && m != "required") {
				return nil, codes.New(codes.BadValue, "unknown fullDocumentBeforeChange mode: %s", v.String())
			}
			c.beforeChange = m
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
			on, ok := v.BooleanOK()
			if !ok {
				return nil, codes.New(codes.TypeMismatch, "BSON field '$changeStream.showExpandedEvents' is the wrong type '%s', expected type 'bool'", typeName(v.Type))
			}
			c.expanded = on
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
		var flags byte
		if c.last, c.lastTs, flags, err = parseResumeToken(tok, stream.LogID()); err == nil && flags&tokenInvalidate != 0 && resume.Type != 0 {
			err = codes.New(codes.InvalidResumeToken, "Attempting to resume a change stream using 'resumeAfter' is not allowed from an invalidate notification.")
		}
		if err == nil {
			err = stream.Check(c.last)
		}
		if err != nil {
			stream.Close()
			return nil, err
		}
	case startAt != nil:
		if c.last, err = stream.SeqAt(startAt.T, startAt.I); err != nil {
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
		{Key: "postBatchResumeToken", Value: resumeToken(c.stream.LogID(), c.last, c.lastTs, 0)},
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
// change is outside the stream's scope, and for the drop or rename of a watched collection (the drop of a
// watched database) the event then invalidate.
func (c *changeCursor) events(ctx context.Context, ch frontend.Change) ([]bson.Raw, error) {
	if !c.visible(ch) {
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
	if c.invalidates(ch) {
		c.invalidated = true
		inv, err := bson.Marshal(bson.D{
			{Key: "_id", Value: resumeToken(c.stream.LogID(), ch.Seq, ch.Ts, tokenInvalidate)},
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

// visible reports whether the stream returns an event for ch: document writes, drops, renames (of a collection
// from or to its scope) and database drops in its scope; the other DDL changes with showExpandedEvents only.
func (c *changeCursor) visible(ch frontend.Change) bool {
	switch ch.Kind {
	case frontend.ChangeWrite, frontend.ChangeDrop, frontend.ChangeDropDatabase:
		return c.scope.sees(ch.NS.DB, ch.NS.Coll)
	case frontend.ChangeRename:
		return c.scope.sees(ch.NS.DB, ch.NS.Coll) || c.scope.sees(ch.To.DB, ch.To.Coll)
	}
	return c.expanded && c.scope.sees(ch.NS.DB, ch.NS.Coll)
}

// invalidates reports whether ch ends the stream: the drop or rename of its collection, the drop of its
// database. A stream on the whole deployment is never invalidated.
func (c *changeCursor) invalidates(ch frontend.Change) bool {
	switch {
	case c.scope.db == "":
		return false
	case c.scope.coll == "":
		return ch.Kind == frontend.ChangeDropDatabase && ch.NS.DB == c.scope.db
	}
	return (ch.Kind == frontend.ChangeDrop || ch.Kind == frontend.ChangeRename) && ch.NS.DB == c.scope.db && ch.NS.Coll == c.scope.coll
}

// clusterTime is the event's clusterTime: the commit's wall-clock second, with its timestamp as the
// increment, so that events order as their commits.
func clusterTime(ch frontend.Change) bson.Timestamp {
	return bson.Timestamp{T: uint32(ch.Wall.Unix()), I: uint32(ch.Ts)}
}

// event shapes one change as mongod's change event.
func (c *changeCursor) event(ctx context.Context, ch frontend.Change) (bson.Raw, error) {
	d := bson.D{
		{Key: "_id", Value: resumeToken(c.stream.LogID(), ch.Seq, ch.Ts, 0)},
		{Key: "operationType", Value: operationType(ch)},
		{Key: "clusterTime", Value: clusterTime(ch)},
		{Key: "wallTime", Value: bson.NewDateTimeFromTime(ch.Wall)},
	}
	nsDoc := bson.D{{Key: "db", Value: ch.NS.DB}, {Key: "coll", Value: ch.NS.Coll}}
	switch ch.Kind {
	case frontend.ChangeWrite:
	case frontend.ChangeDropDatabase:
		return bson.Marshal(append(d, bson.E{Key: "ns", Value: bson.D{{Key: "db", Value: ch.NS.DB}}}))
	case frontend.ChangeDrop:
		return bson.Marshal(c.withUUID(append(d, bson.E{Key: "ns", Value: nsDoc}), ch))
	case frontend.ChangeRename:
		d = append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "to", Value: bson.D{{Key: "db", Value: ch.To.DB}, {Key: "coll", Value: ch.To.Coll}}})
		if c.expanded {
			d = append(d, bson.E{Key: "operationDescription", Value: ch.Desc})
		}
		return bson.Marshal(c.withUUID(d, ch))
	default:
		return bson.Marshal(c.withUUID(append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "operationDescription", Value: ch.Desc}), ch))
	}
	key := bson.D{{Key: "_id", Value: ch.ID}}
	op := operationType(ch)
	switch op {
	case "insert", "replace":
		d = append(d, bson.E{Key: "fullDocument", Value: ch.After}, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key})
	case "delete":
		d = append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key})
	default:
		if c.fullDocument != "default" {
			doc, err := c.postImage(ctx, ch)
			if err != nil {
				return nil, err
			}
			d = append(d, bson.E{Key: "fullDocument", Value: doc})
		}
		d = append(d, bson.E{Key: "ns", Value: nsDoc}, bson.E{Key: "documentKey", Value: key},
			bson.E{Key: "updateDescription", Value: updateDescription(ch.Before, ch.After, c.expanded)})
	}
	d = c.withUUID(d, ch)
	if op != "insert" && c.beforeChange != "off" {
		if ch.Images && ch.Before != nil {
			d = append(d, bson.E{Key: "fullDocumentBeforeChange", Value: ch.Before})
		} else if c.beforeChange == "required" {
			return nil, codes.New(codes.NoMatchingDocument, "Change stream was configured to require a pre-image for all update, delete and replace events, but the pre-image was not found for event: %s", eventString(d))
		} else {
			d = append(d, bson.E{Key: "fullDocumentBeforeChange", Value: nil})
		}
	}
	return bson.Marshal(d)
}

// withUUID appends the event's collectionUUID, shown with showExpandedEvents as mongod does.
func (c *changeCursor) withUUID(d bson.D, ch frontend.Change) bson.D {
	if !c.expanded || ch.UUID == ([16]byte{}) {
		return d
	}
	return append(d, bson.E{Key: "collectionUUID", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: ch.UUID[:]}})
}

// eventString renders a partly built event for an error message.
func eventString(d bson.D) string {
	b, _ := bson.Marshal(d)
	return bson.Raw(b).String()
}

// postImage is an update event's fullDocument: with "updateLookup" the document's current version (null when
// it is gone), with "whenAvailable" and "required" the version the update wrote when the collection keeps
// post-images (changeStreamPreAndPostImages), else null or, for "required", NoMatchingDocument (47).
func (c *changeCursor) postImage(ctx context.Context, ch frontend.Change) (any, error) {
	if c.fullDocument == "updateLookup" {
		return c.lookup(ctx, ch)
	}
	if ch.Images && ch.After != nil {
		return ch.After, nil
	}
	if c.fullDocument == "required" {
		return nil, codes.New(codes.NoMatchingDocument, "Change stream was configured to require a post-image for all update, delete and replace events, but the post-image was not found for event: {documentKey: {_id: %s}}", ch.ID.String())
	}
	return nil, nil
}

// lookup is fullDocument "updateLookup": the document's current version, or null when it is gone.
func (c *changeCursor) lookup(ctx context.Context, ch frontend.Change) (any, error) {
	res := c.s.database(ch.NS.DB).Collection(ch.NS.Coll).FindOne(ctx, bson.D{{Key: "_id", Value: ch.ID}})
	raw, err := res.Raw()
	if err != nil {
		if strings.Contains(err.Error(), "no documents") {
			return nil, nil
		}
		return nil, commandError(err)
	}
	return raw, nil
}

// operationType names the change as mongod does.
func operationType(ch frontend.Change) string {
	switch ch.Kind {
	case frontend.ChangeDrop:
		return "drop"
	case frontend.ChangeCreate:
		return "create"
	case frontend.ChangeCreateIndexes:
		return "createIndexes"
	case frontend.ChangeDropIndexes:
		return "dropIndexes"
	case frontend.ChangeRename:
		return "rename"
	case frontend.ChangeDropDatabase:
		return "dropDatabase"
	case frontend.ChangeModify:
		return "modify"
	}
	switch {
	case ch.Before == nil && ch.After != nil && !ch.Replaced:
		return "insert"
	case ch.After == nil:
		return "delete"
	case ch.Replaced:
		return "replace"
	}
	return "update"
}

// updateDescription is {updatedFields, removedFields, truncatedArrays} from before to after, and with
// expanded (showExpandedEvents) disambiguatedPaths: fields of embedded documents are compared one by one under
// dotted paths; an array that only grew reports its new elements ("a.3"), one that only shrank is a truncated
// array; any other changed value is updated whole. disambiguatedPaths names, for each path with an array index
// or a field name holding a dot, its components (array indexes as numbers), as mongod does.
func updateDescription(before, after bson.Raw, expanded bool) bson.D {
	df := differ{updated: bson.D{}, removed: bson.A{}, truncated: bson.A{}, paths: bson.D{}}
	df.docs(nil, before, after)
	d := bson.D{
		{Key: "updatedFields", Value: df.updated},
		{Key: "removedFields", Value: df.removed},
		{Key: "truncatedArrays", Value: df.truncated},
	}
	if expanded {
		d = append(d, bson.E{Key: "disambiguatedPaths", Value: df.paths})
	}
	return d
}

// differ collects an update description.
type differ struct {
	updated, paths     bson.D
	removed, truncated bson.A
}

// pathPart is one component of a path: a field name or an array index.
type pathPart struct {
	field string
	index int
	isIdx bool
}

// name renders a path dotted, and records it in disambiguatedPaths when it is ambiguous.
func (df *differ) name(path []pathPart) string {
	var sb strings.Builder
	ambiguous := false
	comps := bson.A{}
	for i, p := range path {
		if i > 0 {
			sb.WriteByte('.')
		}
		if p.isIdx {
			sb.WriteString(strconv.Itoa(p.index))
			comps = append(comps, int32(p.index))
			ambiguous = true
			continue
		}
		sb.WriteString(p.field)
		comps = append(comps, p.field)
		if strings.Contains(p.field, ".") || isNumeric(p.field) {
			ambiguous = true
		}
	}
	if ambiguous {
		df.paths = append(df.paths, bson.E{Key: sb.String(), Value: comps})
	}
	return sb.String()
}

// isNumeric reports whether a field name is all digits (and so reads as an array index in a dotted path).
func isNumeric(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// docs appends the differences between two documents at path.
func (df *differ) docs(path []pathPart, before, after bson.Raw) {
	old, _ := before.Elements()
	now, _ := after.Elements()
	seen := make(map[string]bool, len(now))
	for _, e := range now {
		k := e.Key()
		seen[k] = true
		p := append(path[:len(path):len(path)], pathPart{field: k})
		ov, err := before.LookupErr(k)
		if err != nil {
			df.updated = append(df.updated, bson.E{Key: df.name(p), Value: e.Value()})
			continue
		}
		df.values(p, ov, e.Value())
	}
	for _, e := range old {
		if !seen[e.Key()] {
			df.removed = append(df.removed, df.name(append(path[:len(path):len(path)], pathPart{field: e.Key()})))
		}
	}
}

// values appends the difference between two values at path.
func (df *differ) values(path []pathPart, ov, v bson.RawValue) {
	switch {
	case ov.Type == bson.TypeEmbeddedDocument && v.Type == bson.TypeEmbeddedDocument:
		df.docs(path, ov.Document(), v.Document())
	case ov.Type == bson.TypeArray && v.Type == bson.TypeArray && !bytesEqual(ov.Value, v.Value):
		oldVals, _ := ov.Array().Values()
		newVals, _ := v.Array().Values()
		n := min(len(oldVals), len(newVals))
		changed := 0
		for i := 0; i < n; i++ {
			if oldVals[i].Type != newVals[i].Type || !bytesEqual(oldVals[i].Value, newVals[i].Value) {
				changed++
			}
		}
		switch {
		case changed > 0 && len(oldVals) != len(newVals):
			// Elements changed and the length too ($pull, a rewrite): the array is updated whole.
			df.updated = append(df.updated, bson.E{Key: df.name(path), Value: v})
		case changed > 0:
			// Elements changed in place ($set of a.1, a positional update): each is described under its index.
			for i := 0; i < n; i++ {
				df.values(append(path[:len(path):len(path)], pathPart{index: i, isIdx: true}), oldVals[i], newVals[i])
			}
		case len(newVals) < len(oldVals):
			df.truncated = append(df.truncated, bson.D{{Key: "field", Value: df.name(path)}, {Key: "newSize", Value: int32(len(newVals))}})
		default:
			for i := n; i < len(newVals); i++ {
				p := append(path[:len(path):len(path)], pathPart{index: i, isIdx: true})
				df.updated = append(df.updated, bson.E{Key: df.name(p), Value: newVals[i]})
			}
		}
	case ov.Type != v.Type || !bytesEqual(ov.Value, v.Value):
		df.updated = append(df.updated, bson.E{Key: df.name(path), Value: v})
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
