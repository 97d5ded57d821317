package sql

import (
	"sort"
	"strings"
	"sync"
	"time"
)

// Sessions' activity, as PostgreSQL's pg_stat_activity shows it, and the signals pg_cancel_backend and
// pg_terminate_backend send. An Engine keeps a registry of its live sessions by pid; each session publishes what
// it is doing (its state, its statement, the lock it waits for) in its activity, which other sessions read from
// their goroutines. The session writes it twice per statement, at its start and its end, under a mutex no one
// else holds for longer than a copy: a clock read and a few stores, nothing allocated.
//
// Lock order: an activity's mu and the registry's mu are leaves, never held while another lock is taken (signal
// calls the handler after releasing mu); pg_locks and pg_blocking_pids take the lock manager's mutex (table and
// advisory locks), then activities, one at a time.

// sessionState is a session's state as pg_stat_activity.state names it.
type sessionState uint8

const (
	stateIdle sessionState = iota
	stateActive
	stateIdleInTxn
	stateIdleInTxnAborted
)

// stateNames are the states as pg_stat_activity writes them.
var stateNames = [...]string{"idle", "active", "idle in transaction", "idle in transaction (aborted)"}

// waitEvent is what a session waits for, as pg_stat_activity.wait_event names it; wait_event_type is Lock for
// every one of them.
type waitEvent uint8

const (
	waitNone        waitEvent = iota
	waitRelation              // a table lock (tablelock.go)
	waitAdvisory              // an advisory lock (advisory.go)
	waitTransaction           // a transaction owning a document the statement writes (Session.observeRowWait)
)

// waitEventNames are the wait events as pg_stat_activity writes them.
var waitEventNames = [...]string{"", "relation", "advisory", "transactionid"}

// Signal is what pg_cancel_backend and pg_terminate_backend ask of a session.
type Signal uint8

const (
	// SignalCancel cancels the statement the session runs, if any: it fails with 57014, as a cancel request
	// makes it fail. An idle session ignores it.
	SignalCancel Signal = iota + 1
	// SignalTerminate ends the session: a PostgreSQL client gets FATAL 57P01 (terminating connection due to
	// administrator command) and its connection closes.
	SignalTerminate
)

// activity is what a session publishes of itself for other sessions: the session writes it, others read it,
// all under mu.
type activity struct {
	mu    sync.Mutex
	state sessionState
	query string // the statement running, or the last one
	// queryStart is when query started; stateChange when state last changed; xactStart when the transaction
	// started (zero outside one).
	queryStart, stateChange, xactStart time.Time
	appName                            string // application_name, as the last statement left it
	clientAddr                         string // the client's IP address; "" when unknown
	clientPort                         int
	wait                               waitEvent
	waitKey                            advisoryKey // the advisory lock awaited, when wait is waitAdvisory
	waitStart                          time.Time
	// signal receives the signals other sessions send (SetSignalHandler); nil: none is delivered but
	// terminated is still set.
	signal func(Signal)
	// terminated is set by SignalTerminate: the session's next statement fails with 57P01.
	terminated bool
	// restricted is set when the session has an Authorizer: it is not a superuser (statactivity.go).
	restricted bool
}

// sessionRegistry is an Engine's live sessions by pid.
type sessionRegistry struct {
	mu    sync.Mutex
	byPID map[uint32]*Session
}

// add registers s; NewSession calls it.
func (r *sessionRegistry) add(s *Session) {
	r.mu.Lock()
	if r.byPID == nil {
		r.byPID = map[uint32]*Session{}
	}
	r.byPID[s.pid] = s
	r.mu.Unlock()
}

// remove forgets s; Close calls it, perhaps more than once.
func (r *sessionRegistry) remove(s *Session) {
	r.mu.Lock()
	if r.byPID[s.pid] == s {
		delete(r.byPID, s.pid)
	}
	r.mu.Unlock()
}

// lookup returns the live session with that pid, or nil.
func (r *sessionRegistry) lookup(pid int64) *Session {
	if pid <= 0 || pid > 1<<32-1 {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byPID[uint32(pid)]
}

// all returns the live sessions, by pid.
func (r *sessionRegistry) all() []*Session {
	r.mu.Lock()
	out := make([]*Session, 0, len(r.byPID))
	for _, s := range r.byPID {
		out = append(out, s)
	}
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// SetSignalHandler makes fn receive the signals other sessions send this one with pg_cancel_backend and
// pg_terminate_backend. fn runs on the signalling session's goroutine, so it must not block and must not use
// the session: it cancels the context the session's statement runs under (SignalCancel) and, for
// SignalTerminate, also ends the connection, whose owner then closes the session. Without a handler a
// signal cancels nothing; a terminated session's next statement fails with 57P01 either way.
func (s *Session) SetSignalHandler(fn func(Signal)) {
	s.act.mu.Lock()
	s.act.signal = fn
	s.act.mu.Unlock()
}

// SetClientAddr records the client's address and port for pg_stat_activity (client_addr, client_port): addr ""
// and port -1 for a client on a Unix-domain socket.
func (s *Session) SetClientAddr(addr string, port int) {
	s.act.mu.Lock()
	s.act.clientAddr, s.act.clientPort = addr, port
	s.act.mu.Unlock()
}

// SetServerAddr records the address and port the client connected to, for inet_server_addr and
// inet_server_port.
func (s *Session) SetServerAddr(addr string, port int) {
	s.serverAddr, s.serverPort = addr, port
}

// connectionFunc answers inet_client_addr, inet_client_port, inet_server_addr and inet_server_port: NULL for a
// session not on a TCP connection (the embedded driver), as PostgreSQL's over a Unix socket.
func (s *Session) connectionFunc(name string) any {
	s.act.mu.Lock()
	client, clientPort := s.act.clientAddr, s.act.clientPort
	s.act.mu.Unlock()
	addr, port := client, clientPort
	if name == "inet_server_addr" || name == "inet_server_port" {
		addr, port = s.serverAddr, s.serverPort
	}
	switch {
	case addr == "":
		return nil
	case strings.HasSuffix(name, "_port"):
		return int64(port)
	}
	return addr
}

// Terminated reports whether another session ended this one with pg_terminate_backend. Safe for concurrent
// use.
func (s *Session) Terminated() bool {
	s.act.mu.Lock()
	defer s.act.mu.Unlock()
	return s.act.terminated
}

// errTerminated is the error of a statement of a terminated session, as PostgreSQL ends its connection with it.
func errTerminated() *Error {
	return &Error{Code: CodeAdminShutdown, Severity: "FATAL", Message: "terminating connection due to administrator command"}
}

// running publishes that the session starts running text. A terminated session closes itself, which releases its
// locks, and fails with 57P01.
func (s *Session) running(text string) error {
	now := time.Now()
	xact := now // a statement outside a block is its own transaction
	if s.status != TxIdle {
		xact = s.txnStart
	}
	a := &s.act
	a.mu.Lock()
	if a.terminated {
		a.mu.Unlock()
		s.Close()
		return errTerminated()
	}
	a.state, a.query, a.queryStart, a.stateChange, a.xactStart = stateActive, text, now, now, xact
	a.mu.Unlock()
	return nil
}

// ran publishes that the session finished its statement: idle, or idle in its (perhaps failed) block. When
// err is not nil (the statement's error) and the session was terminated meanwhile, it becomes 57P01: the
// statement ended because the session did.
func (s *Session) ran(err *error) {
	now := time.Now()
	state, xact := stateIdle, time.Time{}
	switch s.status {
	case TxActive:
		state, xact = stateIdleInTxn, s.txnStart
	case TxFailed:
		state, xact = stateIdleInTxnAborted, s.txnStart
	}
	app := s.params.vals["application_name"]
	a := &s.act
	a.mu.Lock()
	a.state, a.stateChange, a.xactStart, a.appName = state, now, xact, app
	if err != nil && *err != nil && a.terminated {
		*err = errTerminated()
	}
	a.mu.Unlock()
}

// publishAppName publishes the session's application_name as it is now, for a SET in the middle of a query
// string whose later statements run before ran publishes it.
func (s *Session) publishAppName() {
	app := s.params.vals["application_name"]
	a := &s.act
	a.mu.Lock()
	a.appName = app
	a.mu.Unlock()
}

// waiting publishes that the session waits for a lock (w, and key for an advisory lock), or no longer does
// (waitNone).
func (s *Session) waiting(w waitEvent, key advisoryKey) {
	now := time.Now()
	a := &s.act
	a.mu.Lock()
	a.wait, a.waitKey, a.waitStart = w, key, now
	a.mu.Unlock()
}

// sessionView is a copy of what a session publishes, for pg_stat_activity and pg_locks.
type sessionView struct {
	s                                  *Session
	pid                                uint32
	database, user                     string
	backendStart                       time.Time
	state                              sessionState
	query, appName, clientAddr         string
	clientPort                         int
	queryStart, stateChange, xactStart time.Time
	wait                               waitEvent
	waitKey                            advisoryKey
	waitStart                          time.Time
}

// view copies what s publishes.
func (s *Session) view() sessionView {
	a := &s.act
	a.mu.Lock()
	defer a.mu.Unlock()
	return sessionView{s: s, pid: s.pid, database: s.database, user: s.userName, backendStart: s.started,
		state: a.state, query: a.query, appName: a.appName, clientAddr: a.clientAddr, clientPort: a.clientPort,
		queryStart: a.queryStart, stateChange: a.stateChange, xactStart: a.xactStart,
		wait: a.wait, waitKey: a.waitKey, waitStart: a.waitStart}
}

// signal sends sig to s: it marks s terminated for SignalTerminate, and passes sig to the handler.
func (s *Session) signal(sig Signal) {
	a := &s.act
	a.mu.Lock()
	if sig == SignalTerminate {
		a.terminated = true
	}
	fn := a.signal
	a.mu.Unlock()
	if fn != nil {
		fn(sig)
	}
}
