package server

import (
	"sort"
	"strconv"
	"time"
)

// Activity is one entry of what the server is doing, as currentOp lists it: a command in flight (Active), or a
// session holding an open transaction between statements.
type Activity struct {
	// OpID is the command's opid (0 for an idle transaction).
	OpID int64
	// Desc is "conn<id>" for a command, "idleSession" for an idle transaction.
	Desc string
	// Op is currentOp's op ("update", "query", "command", ...) and NS the namespace; empty when idle.
	Op, NS string
	Active bool
	// InTxn reports a transaction's statement or an idle transaction.
	InTxn bool
	// Running is how long the command has run, or how long the idle transaction has been open; it includes any
	// time the command waited for a document another transaction holds.
	Running time.Duration
}

// Connections returns the number of client connections open now (serverStatus connections.current). Safe for
// concurrent use.
func (s *Server) Connections() int {
	s.init()
	return s.currentConns()
}

// Activity returns the commands in flight and the idle open transactions, longest running first, as currentOp
// would list them. Safe for concurrent use.
func (s *Server) Activity() []Activity {
	s.init()
	now := time.Now()
	var out []Activity
	for _, o := range s.ops.list() {
		r := o.inv.req
		// The parsed arguments, not r.InTxn: the statement's goroutine sets that field while it runs.
		out = append(out, Activity{
			OpID: o.id, Desc: "conn" + strconv.FormatInt(r.Conn.ID, 10), Op: opType(r.Name), NS: namespaceOf(r),
			Active: true, InTxn: o.inv.args.hasAutocommit, Running: now.Sub(o.started),
		})
	}
	for _, ss := range s.sessions.snapshot() {
		if !ss.tryLock() {
			continue // running a statement: listed above
		}
		if ss.kind == kindTxn && ss.state == txnInProgress {
			out = append(out, Activity{Desc: "idleSession", InTxn: true, Running: now.Sub(ss.started)})
		}
		<-ss.lock
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Running > out[j].Running })
	return out
}
