package server

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// Batch limits of mongod: a first batch holds 101 documents unless the client asks otherwise, and no batch grows
// past 16 MiB of documents (a batch always holds at least one document).
const (
	defaultFirstBatch = 101
	maxBatchBytes     = 16 * 1024 * 1024
)

// emptyDoc is the empty BSON document, used where a command omits a filter.
var emptyDoc = bson.Raw{5, 0, 0, 0, 0}

// cursorRegistry holds the server's open cursors by id. The zero value is ready to use and safe for concurrent
// use. As in mongod, a cursor belongs to the logical session (lsid) of the command that opened it, not to a
// connection: drivers send getMore on any pooled connection, and a disconnect leaves cursors open. A cursor ends
// when exhausted, by killCursors, when its session is ended or killed (closeSessions, closeAllSessions), or after
// cursorIdleTimeout unused (reapIdle, which core calls periodically).
//
// What open cursors hold is bounded per connection (the one that opened them, whichever connections send their
// getMores): at most maxCursors cursors and maxBytes of results not yet returned. A find's cursor holds the
// document it read ahead of its last batch (and, on a multikey index's plan, the _ids still to read); a find's
// sorted in an order no index gives, a tailable cursor's and those of the aggregations read whole
// (engine.AggregateBatches) hold their whole result, materialized when the command ran. Past a bound a find or
// aggregate that would leave a cursor open
// fails with ExceededMemoryLimit (146) and the cursors already open keep working, so that a client that opens
// cursors and never closes them cannot take the server's memory. The bounds count a connection's cursors until
// they end, after the connection closes too.
type cursorRegistry struct {
	mu   sync.Mutex
	byID map[int64]*serverCursor
	// perConn is what the open cursors of each connection hold (by Conn.ID; 0 for cursors opened without one).
	perConn map[int64]*cursorUse
	// maxCursors and maxBytes are the bounds per connection; 0 means the defaults.
	maxCursors int
	maxBytes   int64
	// timedOut counts the cursors reapIdle closed (serverStatus metrics.cursor.timedOut).
	timedOut atomic.Int64
}

// cursorUse is what the open cursors of one connection hold.
type cursorUse struct {
	cursors int
	bytes   int64
}

// Default bounds on the open cursors of one connection (Server.MaxCursorsPerConn, Server.MaxCursorBytesPerConn).
const (
	DefaultMaxCursorsPerConn     = 10_000
	DefaultMaxCursorBytesPerConn = 512 << 20
)

// serverCursor is an open cursor between a find/aggregate and its getMores. It is used by one getMore at a time
// (inUse, guarded by the registry's mutex).
type serverCursor struct {
	id int64
	ns string // "db.coll", checked against getMore's collection
	// lsid is the logical session of the command that opened the cursor (hasLsid false: none was sent); ending
	// or killing that session closes the cursor.
	lsid    [16]byte
	hasLsid bool
	// session is the transaction's session when the cursor was opened inside one: only that session may use it.
	session *concord.Session
	// txnNumber is the transaction's number when session is set, for the messages of refused getMores.
	txnNumber int64
	cur       *concord.Cursor
	// changes is set instead of cur for a change stream's cursor (changestream.go).
	changes *changeCursor
	// tail is set for a tailable cursor (tailable.go), which stays open when exhausted.
	tail *tailState
	// pending is a document read ahead of the last batch: reading one ahead tells whether the cursor is exhausted
	// so the last batch can carry id 0, as mongod does when it knows. failed is the error reading it ahead met,
	// which the next getMore returns.
	pending bson.Raw
	failed  error
	// conn is the id of the connection that opened the cursor, held the bytes of results it held when last
	// counted in its connection's use (cursorRegistry.perConn).
	conn     int64
	held     int64
	lastUsed time.Time
	inUse    bool
	// killed is set when the cursor's session ended while a getMore was using it: the cursor has already left
	// the registry, and release closes it instead of keeping it.
	killed bool
	// timeLeft is what remains of the maxTimeMS of the command that opened the cursor (timed set): as in mongod,
	// it bounds the time the cursor's getMores take together.
	timeLeft time.Duration
	timed    bool
}

// add registers c under a fresh random id (never 0) and returns the id. It fails with ExceededMemoryLimit when
// c's connection already holds its bound of cursors, or would hold more than its bound of bytes with c's.
func (r *cursorRegistry) add(c *serverCursor) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = make(map[int64]*serverCursor)
		r.perConn = make(map[int64]*cursorUse)
	}
	maxCursors, maxBytes := r.maxCursors, r.maxBytes
	if maxCursors <= 0 {
		maxCursors = DefaultMaxCursorsPerConn
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxCursorBytesPerConn
	}
	use := r.perConn[c.conn]
	if use == nil {
		use = &cursorUse{}
	}
	c.held = c.holds()
	switch {
	case use.cursors >= maxCursors:
		return 0, codes.New(codes.ExceededMemoryLimit,
			"cannot open another cursor: this connection's %d open cursors are the most one connection may hold; exhaust them or close them with killCursors",
			use.cursors)
	case use.bytes+c.held > maxBytes:
		return 0, codes.New(codes.ExceededMemoryLimit,
			"cannot open another cursor: with its %d bytes of results this connection's open cursors would hold %d bytes, more than the %d bytes one connection's open cursors may hold; exhaust them or close them with killCursors",
			c.held, use.bytes+c.held, maxBytes)
	}
	use.cursors++
	use.bytes += c.held
	r.perConn[c.conn] = use
	for {
		id := rand.Int64()
		if _, taken := r.byID[id]; id != 0 && !taken {
			c.id = id
			c.lastUsed = time.Now()
			r.byID[id] = c
			return id, nil
		}
	}
}

// forget removes c from the registry and its connection's use; the caller holds r.mu.
func (r *cursorRegistry) forget(c *serverCursor) {
	if r.byID[c.id] != c {
		return
	}
	delete(r.byID, c.id)
	if use := r.perConn[c.conn]; use != nil {
		use.cursors--
		use.bytes -= c.held
		if use.cursors == 0 {
			delete(r.perConn, c.conn)
		}
	}
}

// holds returns the bytes of results c holds.
func (c *serverCursor) holds() int64 {
	if c.cur == nil {
		return int64(len(c.pending))
	}
	return int64(c.cur.RemainingBytes() + len(c.pending))
}

// use returns what the open cursors of connection conn hold.
func (r *cursorRegistry) use(conn int64) cursorUse {
	r.mu.Lock()
	defer r.mu.Unlock()
	if u := r.perConn[conn]; u != nil {
		return *u
	}
	return cursorUse{}
}

// checkout marks cursor id in use and returns it; the caller must call release or remove.
func (r *cursorRegistry) checkout(id int64) (*serverCursor, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.byID[id]
	if c == nil {
		return nil, codes.New(codes.CursorNotFound, "cursor id %d not found", id)
	}
	if c.inUse {
		return nil, codes.New(codeCursorInUse, "cursor id %d is already in use", id)
	}
	c.inUse = true
	return c, nil
}

// codeCursorInUse is mongod's CursorInUse (292).
const codeCursorInUse codes.Code = 292

// release returns a checked-out cursor to the registry, or closes it if its session was ended meanwhile.
func (r *cursorRegistry) release(c *serverCursor) {
	held := c.holds()
	r.mu.Lock()
	c.inUse = false
	c.lastUsed = time.Now()
	killed := c.killed
	if use := r.perConn[c.conn]; use != nil && !killed {
		use.bytes += held - c.held
		c.held = held
	}
	r.mu.Unlock()
	if killed {
		c.close()
	}
}

// remove drops a checked-out (or idle) cursor from the registry and closes it.
func (r *cursorRegistry) remove(c *serverCursor) {
	r.mu.Lock()
	r.forget(c)
	r.mu.Unlock()
	c.close()
}

// kill closes cursor id unless it is in use. It reports whether the cursor existed (in ns) and whether it was
// left alive because a getMore is using it.
func (r *cursorRegistry) kill(id int64, namespace string) (found, alive bool) {
	r.mu.Lock()
	c := r.byID[id]
	if c == nil || c.ns != namespace {
		r.mu.Unlock()
		return false, false
	}
	if c.inUse {
		r.mu.Unlock()
		return true, true
	}
	r.forget(c)
	r.mu.Unlock()
	c.close()
	return true, false
}

// closeSessions closes the cursors opened in the given logical sessions (endSessions, killSessions), as mongod
// kills a session's cursors with it. A cursor in use by a getMore leaves the registry at once and is closed when
// that getMore ends, so the next getMore gets CursorNotFound.
func (r *cursorRegistry) closeSessions(ids [][16]byte) {
	if len(ids) == 0 {
		return
	}
	set := make(map[[16]byte]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	r.closeWhere(true, func(c *serverCursor) bool {
		_, ok := set[c.lsid]
		return c.hasLsid && ok
	})
}

// closeAllSessions closes every cursor opened in a logical session (killAllSessions); cursors opened without an
// lsid belong to no session and stay.
func (r *cursorRegistry) closeAllSessions() {
	r.closeWhere(true, func(c *serverCursor) bool { return c.hasLsid })
}

// reapIdle closes cursors unused for timeout (mongod's cursorTimeoutMillis, params.go).
func (r *cursorRegistry) reapIdle(now time.Time, timeout time.Duration) {
	n := r.closeWhere(false, func(c *serverCursor) bool { return now.Sub(c.lastUsed) >= timeout })
	r.timedOut.Add(int64(n))
}

// closeWhere closes and forgets the cursors pred selects, and returns how many. A cursor in use by a getMore is
// left alone unless evenInUse; then it is forgotten now and closed by release when its getMore ends.
func (r *cursorRegistry) closeWhere(evenInUse bool, pred func(*serverCursor) bool) int {
	var dead []*serverCursor
	r.mu.Lock()
	for _, c := range r.byID {
		if !pred(c) {
			continue
		}
		switch {
		case !c.inUse:
			r.forget(c)
			dead = append(dead, c)
		case evenInUse:
			r.forget(c)
			c.killed = true
		}
	}
	r.mu.Unlock()
	for _, c := range dead {
		c.close()
	}
	return len(dead)
}

// close releases what the cursor holds.
func (c *serverCursor) close() {
	if c.changes != nil {
		c.changes.close()
		return
	}
	_ = c.cur.Close(context.Background())
}

// len returns the number of open cursors.
func (r *cursorRegistry) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// nextBatch reads the next batch: at most n documents (n < 0: no count limit) and at most maxBatchBytes, but at
// least one document when any is left. exhausted reports that the cursor has nothing more.
func (c *serverCursor) nextBatch(ctx context.Context, n int64) (batch []bson.Raw, exhausted bool, err error) {
	if c.failed != nil {
		return nil, false, c.failed
	}
	if n == 0 {
		return nil, false, nil
	}
	if c.cur != nil {
		// The document read ahead of the last batch comes first: the storage reads the rest and one ahead.
		ahead := n
		if c.pending != nil && n > 0 {
			ahead--
		}
		c.cur.SetBatchSize(int(readBatch(ahead)))
	}
	size := 0
	refilled := false
	for {
		var doc bson.Raw
		switch {
		case c.pending != nil:
			doc, c.pending = c.pending, nil
		case c.tail != nil && len(c.tail.buf) > 0:
			doc, c.tail.buf = c.tail.buf[0], c.tail.buf[1:]
		case c.cur.Next(ctx):
			// Current is never reused by the cursor (concord.Cursor's contract), so it can be kept as is.
			doc = c.cur.Current
		default:
			if err := c.cur.Err(); err != nil {
				if n > 0 && int64(len(batch)) >= n {
					// The document read ahead of a full batch failed: as mongod, which reads no further than
					// its batch, the batch is returned and the next getMore fails.
					c.failed = commandError(err)
					return batch, false, nil
				}
				return nil, false, commandError(err)
			}
			if c.tail != nil && !refilled && len(batch) == 0 {
				refilled = true
				if err := c.tail.refill(ctx); err != nil {
					return nil, false, err
				}
				continue
			}
			return batch, true, nil
		}
		if len(batch) > 0 && ((n > 0 && int64(len(batch)) >= n) || size+len(doc) > maxBatchBytes) {
			c.pending = doc
			return batch, false, nil
		}
		batch = append(batch, doc)
		size += len(doc)
		if c.tail != nil {
			c.tail.note(doc)
		}
	}
}

// readBatch is how many documents a cursor reads from the storage for a batch of n (n < 0: no count limit): the
// batch and the document read ahead of it, at most the cursors' default of 1,024.
func readBatch(n int64) int32 {
	if n >= 0 && n < 1024 {
		return int32(n) + 1
	}
	return 1024
}

// firstBatch is the size of a cursor's first batch: batchSize, or mongod's default when the command has none (-1).
func firstBatch(batchSize int64) int64 {
	if batchSize < 0 {
		return defaultFirstBatch
	}
	return batchSize
}

// batchArray converts a batch to the array a reply carries.
func batchArray(batch []bson.Raw) bson.A {
	a := make(bson.A, len(batch))
	for i, d := range batch {
		a[i] = d
	}
	return a
}

// cursorDoc is the reply's cursor sub-document: {firstBatch|nextBatch, id, ns}.
func cursorDoc(batchField string, batch []bson.Raw, id int64, namespace string) bson.D {
	return bson.D{{Key: "cursor", Value: bson.D{
		{Key: batchField, Value: batchArray(batch)},
		{Key: "id", Value: id},
		{Key: "ns", Value: namespace},
	}}}
}

// openCursor returns the first batch of cur as a cursor reply and registers the cursor when documents remain.
// batchSize < 0 means mongod's default first batch; singleBatch closes the cursor after the first batch.
func (s *Server) openCursor(ctx context.Context, req *Request, cur *concord.Cursor, namespace string, batchSize int64, singleBatch bool) (bson.D, int, int64, error) {
	return s.openTailableCursor(ctx, req, cur, namespace, batchSize, singleBatch, nil)
}

// openTailableCursor is openCursor for a cursor that may be tailable (tail set).
func (s *Server) openTailableCursor(ctx context.Context, req *Request, cur *concord.Cursor, namespace string, batchSize int64, singleBatch bool, tail *tailState) (bson.D, int, int64, error) {
	batchSize = firstBatch(batchSize)
	c := &serverCursor{ns: namespace, cur: cur, conn: req.connID(), tail: tail}
	c.lsid, c.hasLsid = req.lsid, req.hasLsid
	if req.InTxn {
		c.session = concord.SessionFromContext(ctx)
		c.txnNumber = req.txnNumber
	}
	batch, exhausted, err := c.nextBatch(ctx, batchSize)
	if err != nil {
		_ = cur.Close(context.Background())
		return nil, 0, 0, err
	}
	var id int64
	if deadline, ok := ctx.Deadline(); ok && c.tail == nil {
		c.timeLeft, c.timed = time.Until(deadline), true
	}
	if exhausted && c.tail == nil || singleBatch {
		_ = cur.Close(context.Background())
	} else if id, err = s.cursors.add(c); err != nil {
		_ = cur.Close(context.Background())
		return nil, 0, 0, err
	}
	return cursorDoc("firstBatch", batch, id, namespace), len(batch), id, nil
}

// handleFind runs find: {find, filter, sort, projection, skip, limit, batchSize, singleBatch}. The fields'
// types, ranges (a negative limit is 51024, as in mongod 7.0) and names are checked before it runs (findArgs).
func handleFind(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	reply, nreturned, cursorID, err := runFind(ctx, s, req, a, collName, namespace)
	s.profileRead(ctx, req, "query", namespace, started, reply, nreturned, cursorID, err)
	return reply, err
}

// runFind parses and runs find; it returns the reply, the documents returned and the cursor id.
func runFind(ctx context.Context, s *Server, req *Request, a *cmdArgs, collName, namespace string) (bson.D, int, int64, error) {
	if err := checkKnownFields(req, findFields); err != nil {
		return nil, 0, 0, err
	}
	filter, err := a.doc("filter")
	if err != nil {
		return nil, 0, 0, err
	}
	sort, err := a.doc("sort")
	if err != nil {
		return nil, 0, 0, err
	}
	projection, err := a.doc("projection")
	if err != nil {
		return nil, 0, 0, err
	}
	skip, err := a.int64("skip", 0)
	if err != nil {
		return nil, 0, 0, err
	}
	if skip < 0 {
		return nil, 0, 0, codes.New(codeValueOutOfRange, "BSON field 'skip' value must be >= 0, actual value '%d'", skip)
	}
	limit, err := a.int64("limit", 0)
	if err != nil {
		return nil, 0, 0, err
	}
	batchSize, err := a.int64("batchSize", -1)
	if err != nil {
		return nil, 0, 0, err
	}
	if a.has("batchSize") && batchSize < 0 {
		return nil, 0, 0, codes.New(codeValueOutOfRange, "BSON field 'batchSize' value must be >= 0, actual value '%d'", batchSize)
	}
	singleBatch, err := a.boolean("singleBatch", false)
	if err != nil {
		return nil, 0, 0, err
	}
	tailable, err := a.boolean("tailable", false)
	if err != nil {
		return nil, 0, 0, err
	}
	if tailable && !isCapped(ctx, s, req.DB, collName) {
		return nil, 0, 0, codes.New(codes.BadValue, "error processing query: ns=%s: tailable cursor requested on non capped collection", namespace)
	}
	if tailable && sort != nil {
		return nil, 0, 0, codes.New(codes.BadValue, "error processing query: ns=%s: cannot use tailable option with a sort other than {$natural: 1}", namespace)
	}
	if limit > 0 && (batchSize < 0 || batchSize > limit) {
		batchSize = limit
	}
	opts := &concord.FindOptions{Skip: skip, Limit: limit, BatchSize: readBatch(firstBatch(batchSize))}
	if err := findHintArgs(a, opts); err != nil {
		return nil, 0, 0, err
	}
	if sort != nil {
		opts.Sort = sort
	}
	if projection != nil {
		opts.Projection = projection
	}
	if opts.ReturnKey, err = a.boolean("returnKey", false); err != nil {
		return nil, 0, 0, err
	}
	if filter == nil {
		filter = emptyDoc
	}
	if ctx, err = s.commandVars(ctx, req, a); err != nil {
		return nil, 0, 0, err
	}
	coll := s.DB.Database(req.DB).Collection(collName)
	// A find that ends in its first batch (findOne's: limit 1, singleBatch) reads its result at once, and so does a
	// tailable cursor; any other reads in batches as the client asks for them, holding none of the storage between
	// getMores.
	find := coll.FindBatches
	if tailable || singleBatch || limit > 0 && limit <= defaultFirstBatch && limit <= firstBatch(batchSize) {
		find = coll.Find
	}
	cur, err := find(ctx, filter, opts)
	if err != nil {
		return nil, 0, 0, commandError(err)
	}
	var tail *tailState
	if tailable {
		tail = &tailState{coll: coll, filter: filter}
	}
	return s.openTailableCursor(ctx, req, cur, namespace, batchSize, singleBatch, tail)
}

// findFields are the fields of mongod's find command (FindCommandRequest), besides the generic arguments.
var findFields = map[string]bool{
	"find": true, "filter": true, "projection": true, "sort": true, "hint": true, "skip": true, "limit": true,
	"batchSize": true, "singleBatch": true, "maxTimeMS": true, "readConcern": true, "max": true, "min": true,
	"returnKey": true, "showRecordId": true, "tailable": true, "oplogReplay": true, "noCursorTimeout": true,
	"awaitData": true, "allowPartialResults": true, "collation": true, "allowDiskUse": true, "let": true,
	"readOnce": true, "allowSpeculativeMajorityRead": true, "requestResumeToken": true, "resumeAfter": true,
	"$_requestResumeToken": true, "$_resumeAfter": true, "term": true, "ntoreturn": true, "includeQueryStatsMetrics": true,
}

// genericFields are the generic command arguments every command accepts (mongod's generic_argument.idl).
var genericFields = map[string]bool{
	"$db": true, "lsid": true, "txnNumber": true, "autocommit": true, "startTransaction": true, "stmtId": true,
	"comment": true, "maxTimeMS": true, "readConcern": true, "writeConcern": true, "$readPreference": true,
	"$clusterTime": true, "apiVersion": true, "apiStrict": true, "apiDeprecationErrors": true, "$audit": true,
	"$client": true, "$configServerState": true, "$gleStats": true, "$oplogQueryData": true, "$replData": true,
	"$configTime": true, "$topologyTime": true, "databaseVersion": true, "shardVersion": true,
	"clientOperationKey": true, "mayBypassWriteBlocking": true, "maxTimeMSOpOnly": true, "usesDefaultMaxTimeMS": true,
	"readPreference": true, "$queryOptions": true, "mirrored": true, "$traceCtx": true,
}

// checkKnownFields refuses a field that is neither one of the command's nor a generic argument, with the IDL
// parser's IDLUnknownField (40415) "BSON field '<cmd>.<field>' is an unknown field.".
func checkKnownFields(req *Request, known map[string]bool) error {
	it := newElemIter(req.Body)
	for {
		k, _, ok := it.next()
		if !ok {
			return nil
		}
		if !known[string(k)] && !genericFields[string(k)] {
			return codes.New(codeUnknownField, "BSON field '%s.%s' is an unknown field.", req.Name, k)
		}
	}
}

// findHintArgs reads find's hint (an index name or key pattern), min and max into opts.
func findHintArgs(a *cmdArgs, opts *concord.FindOptions) error {
	if v, ok := a.get("hint"); ok {
		switch v.Type {
		case bson.TypeString:
			opts.Hint = v.StringValue()
		case bson.TypeEmbeddedDocument:
			if d := v.Document(); len(d) > 5 {
				opts.Hint = d
			}
		default:
			return wrongType(a.cmd, "hint", v, "types [string, object]")
		}
	}
	coll, err := collationArg(a)
	if err != nil {
		return err
	}
	if coll != nil {
		opts.Collation = coll
	}
	for _, name := range []string{"min", "max"} {
		d, err := a.doc(name)
		if err != nil {
			return err
		}
		if len(d) > 5 {
			if name == "min" {
				opts.Min = d
			} else {
				opts.Max = d
			}
		}
	}
	return nil
}

// collationArg returns the command's collation document, nil when absent.
func collationArg(a *cmdArgs) (bson.Raw, error) {
	v, ok := a.get("collation")
	if !ok {
		return nil, nil
	}
	d, ok := v.DocumentOK()
	if !ok {
		return nil, wrongType(a.cmd, "collation", v, "type 'object'")
	}
	return d, nil
}

// codeValueOutOfRange is the IDL validator's error for out-of-range numeric fields (51024).
const codeValueOutOfRange codes.Code = 51024

// profileRead records a read (find, getMore, aggregate...) in the profiler with the count of documents returned.
func (s *Server) profileRead(ctx context.Context, req *Request, op, namespace string, started time.Time, reply bson.D, nreturned int, cursorID int64, err error) {
	st := req.Stats
	if st == nil {
		st = &concord.OpStats{}
	}
	// The documents of the reply, for the slow log too: a cursor counts a document it read ahead of a batch in the
	// operation that read it.
	st.NReturned = int64(nreturned)
	if !s.profiler.on(req.DB) {
		return
	}
	s.profileRecord(ctx, req, profileRecord{op: op, ns: namespace, command: req.Body, cursorID: cursorID, st: st,
		started: started, err: err, responseLength: replyLength(reply)})
}

// replyLength estimates the reply's size on the wire: its fields plus the {ok: 1} core appends.
func replyLength(reply bson.D) int {
	if reply == nil {
		return 0
	}
	b, err := bson.Marshal(append(reply[:len(reply):len(reply)], bson.E{Key: "ok", Value: 1.0}))
	if err != nil {
		return 0
	}
	return len(b)
}

// handleGetMore runs getMore: {getMore: <id>, collection, batchSize}. The cursor is closed (id 0 in the reply) once
// exhausted. Unknown ids are CursorNotFound (43).
func handleGetMore(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	started := time.Now()
	// opcounters.getmore: the engine never sees a getMore, the server batches above it.
	frontend.CountGetMore(s.DB)
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	idVal := a.raw("getMore")
	id, ok := idVal.Int64OK()
	if !ok {
		return nil, wrongType(req.Name, "getMore", idVal, "type 'long'")
	}
	collName, err := a.str("collection")
	if err != nil {
		return nil, err
	}
	if err := a.require("collection"); err != nil {
		return nil, err
	}
	batchSize, err := a.int64("batchSize", 0)
	if err != nil {
		return nil, err
	}
	if batchSize < 0 {
		return nil, codes.New(codes.BadValue, "Batch size for getMore must be positive, but received: %d", batchSize)
	}
	namespace := ns(req.DB, collName)
	c, err := s.cursors.checkout(id)
	if err != nil {
		s.profileRead(ctx, req, "getmore", namespace, started, nil, 0, id, err)
		return nil, err
	}
	if c.ns != namespace {
		s.cursors.release(c)
		return nil, codes.New(codes.Unauthorized, "Requested getMore on namespace '%s', but cursor belongs to a different namespace %s", namespace, c.ns)
	}
	if err := c.checkSession(ctx, req, id); err != nil {
		s.cursors.release(c)
		return nil, err
	}
	req.changeStream = c.changes != nil
	if err := s.failGetMoreAfterCheckout(req, namespace); err != nil {
		s.cursors.remove(c)
		return nil, err
	}
	if c.changes != nil {
		return s.getMoreChanges(ctx, req, c, id, batchSize, namespace)
	}
	if batchSize == 0 {
		batchSize = -1
	}
	var batch []bson.Raw
	var exhausted bool
	if c.timed && c.timeLeft <= 0 {
		err = codes.New(codes.MaxTimeMSExpired, "operation exceeded time limit")
	} else {
		began := time.Now()
		bctx := ctx
		if c.timed {
			var cancel context.CancelFunc
			bctx, cancel = context.WithTimeout(ctx, c.timeLeft)
			defer cancel()
		}
		batch, exhausted, err = c.nextBatch(bctx, batchSize)
		c.timeLeft -= time.Since(began)
	}
	if ce := (*codes.Error)(nil); c.timed && errors.As(err, &ce) && ce.Code == codes.MaxTimeMSExpired && ctx.Err() == nil {
		s.killedMaxTime.Add(1) // the find's maxTimeMS, not the getMore's own: execute does not see it
	}
	if err != nil {
		s.cursors.remove(c)
		s.profileRead(ctx, req, "getmore", namespace, started, nil, 0, id, err)
		return nil, err
	}
	replyID := id
	if exhausted && c.tail == nil {
		s.cursors.remove(c)
		replyID = 0
	} else {
		s.cursors.release(c)
	}
	reply := cursorDoc("nextBatch", batch, replyID, namespace)
	s.profileRead(ctx, req, "getmore", namespace, started, reply, len(batch), id, nil)
	return reply, nil
}

// checkSession applies mongod's rules for a getMore of cursor id: it runs in the logical session that opened the
// cursor, or in none if none did, and in the transaction that opened it, or in none if none did. A refused
// getMore leaves the cursor open.
func (c *serverCursor) checkSession(ctx context.Context, req *Request, id int64) error {
	lsid, hasLsid := req.lsid, req.hasLsid
	switch {
	case hasLsid && !c.hasLsid:
		return codes.New(codeGetMoreSessionless, "Cannot run getMore on cursor %d, which was not created in a session, in session %s", id, sessionString(lsid))
	case !hasLsid && c.hasLsid:
		return codes.New(codeGetMoreWithoutLsid, "Cannot run getMore on cursor %d, which was created in session %s, without an lsid", id, sessionString(c.lsid))
	case hasLsid && lsid != c.lsid:
		return codes.New(codeGetMoreOtherSession, "Cannot run getMore on cursor %d, which was created in session %s, in session %s", id, sessionString(c.lsid), sessionString(lsid))
	case c.session == nil && req.InTxn:
		return codes.New(codeGetMoreInTxn, "Cannot run getMore on cursor %d, which was not created in a transaction, in transaction %d", id, req.txnNumber)
	case c.session != nil && !req.InTxn:
		return codes.New(codeGetMoreOutsideTxn, "Cannot run getMore on cursor %d, which was created in transaction %d, without a txnNumber", id, c.txnNumber)
	case c.session != nil && concord.SessionFromContext(ctx) != c.session:
		return codes.New(codeGetMoreOtherTxn, "Cannot run getMore on cursor %d, which was created in transaction %d, in transaction %d", id, c.txnNumber, req.txnNumber)
	}
	return nil
}

// Codes of mongod assertions used by the cursor commands.
const (
	codeMissingField        codes.Code = 40414 // IDL: required field missing
	codeGetMoreSessionless  codes.Code = 50736 // getMore in a session of a cursor opened without one
	codeGetMoreWithoutLsid  codes.Code = 50737 // getMore without an lsid of a cursor opened in a session
	codeGetMoreOtherSession codes.Code = 50738 // getMore in another session than the cursor's
	codeGetMoreInTxn        codes.Code = 50739 // getMore in a transaction of a cursor opened outside one
	codeGetMoreOutsideTxn   codes.Code = 50740 // getMore outside the transaction that opened the cursor
	codeGetMoreOtherTxn     codes.Code = 50741 // getMore in another transaction than the cursor's
)

// handleKillCursors runs killCursors: {killCursors: <coll>, cursors: [ids]}. Reply: {cursorsKilled,
// cursorsNotFound, cursorsAlive, cursorsUnknown}.
func handleKillCursors(_ context.Context, s *Server, req *Request) (bson.D, error) {
	a, err := parseArgs(req)
	if err != nil {
		return nil, err
	}
	// A database-level aggregate's cursors (a change stream on a database or the deployment) live under
	// db.$cmd.aggregate, which no collection name may otherwise contain.
	collName := cmdAggregate
	if v, _ := internString(a.raw(req.Name)); v != cmdAggregate {
		if collName, err = collectionArg(req, a); err != nil {
			return nil, err
		}
	}
	if err := a.require("cursors"); err != nil {
		return nil, err
	}
	ids, err := a.array("cursors")
	if err != nil {
		return nil, err
	}
	namespace := ns(req.DB, collName)
	killed, notFound, alive := bson.A{}, bson.A{}, bson.A{}
	for i, v := range ids {
		id, ok := v.Int64OK()
		if !ok {
			return nil, wrongType(req.Name, fmt.Sprintf("cursors.%d", i), v, "type 'long'")
		}
		switch found, stillAlive := s.cursors.kill(id, namespace); {
		case !found:
			notFound = append(notFound, id)
		case stillAlive:
			alive = append(alive, id)
		default:
			killed = append(killed, id)
		}
	}
	return bson.D{
		{Key: "cursorsKilled", Value: killed},
		{Key: "cursorsNotFound", Value: notFound},
		{Key: "cursorsAlive", Value: alive},
		{Key: "cursorsUnknown", Value: bson.A{}},
	}, nil
}
