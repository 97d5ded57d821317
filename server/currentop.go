package server

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// op is a command in flight, listed by currentOp and killable by killOp.
type op struct {
	id      int64
	inv     *invocation
	started time.Time
	cancel  context.CancelFunc
}

// opRegistry holds the commands in flight.
type opRegistry struct {
	mu   sync.Mutex
	next int64
	m    map[int64]*op
}

// add registers inv, using its embedded op entry; cancel interrupts it.
func (r *opRegistry) add(inv *invocation, cancel context.CancelFunc) *op {
	o := &inv.op
	*o = op{inv: inv, started: time.Now(), cancel: cancel}
	r.mu.Lock()
	r.next++
	o.id = r.next
	r.m[o.id] = o
	r.mu.Unlock()
	return o
}

// remove forgets a finished command.
func (r *opRegistry) remove(o *op) {
	r.mu.Lock()
	delete(r.m, o.id)
	r.mu.Unlock()
}

// kill interrupts the command with the given id; it reports whether one was found.
func (r *opRegistry) kill(id int64) bool {
	r.mu.Lock()
	o, ok := r.m[id]
	r.mu.Unlock()
	if ok {
		o.cancel()
	}
	return ok
}

// killInSessions interrupts the commands in flight, other than self (the killing command), that run in a
// logical session for which match is true, as killSessions does before it ends the sessions.
func (r *opRegistry) killInSessions(self *Request, match func(lsid [16]byte) bool) {
	r.mu.Lock()
	var hit []*op
	for _, o := range r.m {
		if a := &o.inv.args; a.hasLsid && o.inv.req != self && match(a.lsid) {
			hit = append(hit, o)
		}
	}
	r.mu.Unlock()
	for _, o := range hit {
		o.cancel()
	}
}

// list returns the commands in flight, oldest first.
func (r *opRegistry) list() []*op {
	r.mu.Lock()
	out := make([]*op, 0, len(r.m))
	for _, o := range r.m {
		out = append(out, o)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// opType is currentOp's op field: the logical operation of a command.
func opType(name string) string {
	switch name {
	case "insert":
		return "insert"
	case "update":
		return "update"
	case "delete":
		return "remove"
	case "find":
		return "query"
	case "getMore":
		return "getmore"
	case "killCursors":
		return "killcursors"
	}
	return "command"
}

// handleCurrentOp reports the commands in flight and, with idleSessions (default true), the sessions holding
// an open transaction between statements. Filter fields other than the documented flags are not applied.
func handleCurrentOp(_ context.Context, s *Server, req *Request) (bson.D, error) {
	now := time.Now()
	host := s.advertisedAddr()
	inprog := bson.A{}
	for _, o := range s.ops.list() {
		r := o.inv.req
		d := bson.D{
			{Key: "type", Value: "op"},
			{Key: "host", Value: host},
			{Key: "desc", Value: "conn" + strconv.FormatInt(r.Conn.ID, 10)},
			{Key: "connectionId", Value: r.Conn.ID},
			{Key: "client", Value: r.Conn.RemoteAddr},
		}
		if app := r.Conn.AppName(); app != "" {
			d = append(d, bson.E{Key: "appName", Value: app})
		}
		d = append(d,
			bson.E{Key: "active", Value: true},
			bson.E{Key: "currentOpTime", Value: now.Format(time.RFC3339Nano)},
			bson.E{Key: "opid", Value: int32(o.id)},
			bson.E{Key: "secs_running", Value: int64(now.Sub(o.started) / time.Second)},
			bson.E{Key: "microsecs_running", Value: int64(now.Sub(o.started) / time.Microsecond)},
			bson.E{Key: "op", Value: opType(r.Name)},
			bson.E{Key: "ns", Value: namespaceOf(r)},
			bson.E{Key: "command", Value: redactPassword(r.Name, r.Body)},
		)
		if o.inv.args.hasLsid {
			d = append(d, bson.E{Key: "lsid", Value: bson.D{{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: o.inv.args.lsid[:]}}}})
		}
		if o.inv.args.hasAutocommit { // not r.InTxn, which the statement's goroutine sets while it runs
			d = append(d, bson.E{Key: "transaction", Value: bson.D{{Key: "parameters", Value: bson.D{
				{Key: "txnNumber", Value: o.inv.args.txnNumber},
				{Key: "autocommit", Value: false},
			}}}})
		}
		inprog = append(inprog, d)
	}
	idle := true
	if v, err := req.Body.LookupErr("idleSessions"); err == nil {
		if b, ok := v.BooleanOK(); ok {
			idle = b
		}
	}
	if idle {
		for _, ss := range s.sessions.snapshot() {
			if !ss.tryLock() {
				continue // running a statement: listed above
			}
			if ss.kind == kindTxn && ss.state == txnInProgress {
				open := now.Sub(ss.started)
				inprog = append(inprog, bson.D{
					{Key: "type", Value: "idleSession"},
					{Key: "host", Value: host},
					{Key: "active", Value: false},
					{Key: "lsid", Value: bson.D{{Key: "id", Value: bson.Binary{Subtype: bson.TypeBinaryUUID, Data: append([]byte(nil), ss.id[:]...)}}}},
					{Key: "transaction", Value: bson.D{
						{Key: "parameters", Value: bson.D{{Key: "txnNumber", Value: ss.txnNumber}, {Key: "autocommit", Value: false}}},
						{Key: "timeOpenMicros", Value: int64(open / time.Microsecond)},
						{Key: "startWallClockTime", Value: ss.started.Format(time.RFC3339Nano)},
						{Key: "expiryTime", Value: ss.expires.Format(time.RFC3339Nano)},
					}},
				})
			}
			<-ss.lock
		}
	}
	return bson.D{{Key: "inprog", Value: inprog}}, nil
}

// handleKillOp interrupts the command with the given opid: it fails with Interrupted (11601).
func handleKillOp(_ context.Context, s *Server, req *Request) (bson.D, error) {
	v, err := req.Body.LookupErr("op")
	if err != nil {
		return nil, codes.New(codes.FailedToParse, "Did not provide \"op\" field")
	}
	id, ok := v.AsInt64OK()
	if !ok {
		if f, isDouble := v.DoubleOK(); isDouble {
			id, ok = int64(f), true
		}
	}
	if !ok {
		return nil, codes.New(codes.TypeMismatch, "killOp: op must be a number")
	}
	s.ops.kill(id)
	return bson.D{{Key: "info", Value: "attempting to kill op"}}, nil
}

// namespaceOf is db.collection for commands whose first value names a collection, else db.$cmd.
func namespaceOf(r *Request) string {
	if e, err := r.Body.IndexErr(0); err == nil {
		if c, ok := e.Value().StringValueOK(); ok {
			return r.DB + "." + c
		}
	}
	return r.DB + ".$cmd"
}
