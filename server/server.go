// Package server serves a concord.DB over the MongoDB wire protocol, so that mongosh and the official drivers
// connect to it unchanged. It presents itself as the primary of a one-member replica set: drivers then use
// sessions, retryable writes and transactions exactly as against MongoDB.
//
// Server has the shape of net/http.Server: set DB (and optionally the address fields), then call Serve or
// ListenAndServe; Shutdown stops accepting, lets in-flight commands finish and closes idle connections.
package server

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
var ErrServerClosed = errors.New("server: Server closed")

// DefaultAddr is the address ListenAndServe listens on when Addr is empty: MongoDB's port, loopback only.
const DefaultAddr = "127.0.0.1:27017"

// DefaultReplSetName is the replica-set name announced in hello when ReplSetName is empty.
const DefaultReplSetName = "rs0"

// Server serves one concord.DB over the MongoDB wire protocol. Its zero value with DB set is ready to use. A
// Server is safe for concurrent use; its exported fields must not change after the first call to Serve.
type Server struct {
	// DB is the database served. The Server never closes it.
	DB *concord.DB
	// Addr is the TCP address ListenAndServe listens on; empty means DefaultAddr.
	Addr string
	// ReplSetName is the replica-set name announced in hello; empty means DefaultReplSetName.
	ReplSetName string
	// AdvertiseAddr is the host:port announced as the set's only member (hosts, primary, me). Clients drop a
	// member whose address is not in hosts, so it must be the address clients dial; empty means the address
	// of the first listener served.
	AdvertiseAddr string
	// EnableTestCommands serves the commands that exist only for tests, as mongod's enableTestCommands
	// parameter does: configureFailPoint, with which drivers' test suites make chosen commands fail. Never set
	// it for a production server: any client can then break any other client's commands.
	EnableTestCommands bool
	// ErrorLog receives connection errors and panics caught in handlers; nil means the log package's
	// standard logger.
	ErrorLog *log.Logger
	// Logger, when set, receives the structured log lines: a "Slow query" line for every command slower than
	// slowms (the profile command's, default 100), whatever the profiling level, as mongod writes. nil writes none.
	Logger *slog.Logger

	// Auth requires every client to authenticate (SCRAM-SHA-256 or SCRAM-SHA-1) and enforces the built-in
	// roles on every command, as mongod --auth. Without it anyone who reaches the port may do anything, but
	// users can still be managed and authenticate.
	Auth bool
	// Users keeps the users; nil means auth.NewStore(DB). The SQL and HTTP ports share one Store with the
	// Server so that a change of roles reaches connected clients of every port.
	Users *auth.Store
	// MaxConns bounds the open connections (mongod's net.maxIncomingConnections): a connection past it is
	// closed at once, and logged. 0 means no bound.
	MaxConns int
	// UnauthenticatedIdleTimeout closes a connection that has not authenticated and sends nothing for that
	// long, when Auth is set; 0 means never. Driver monitors stay unauthenticated and send hello every
	// heartbeatFrequencyMS (10 s by default), so it must be longer than that.
	UnauthenticatedIdleTimeout time.Duration
	// AuthThrottle bounds the concurrent SCRAM steps and delays the answers to an address's repeated
	// failures; nil means one of the Server's own with auth.Throttle's defaults. Share one with the SQL port.
	AuthThrottle *auth.Throttle
	// MaxCursorsPerConn bounds the open cursors one connection may have opened, and MaxCursorBytesPerConn the
	// bytes of results they may hold (a cursor holds its whole result until returned): past a bound a find or
	// aggregate that would leave a cursor open fails with ExceededMemoryLimit (146). 0 means
	// DefaultMaxCursorsPerConn and DefaultMaxCursorBytesPerConn. Idle cursors close after cursorTimeoutMillis
	// (10 minutes, as mongod; setParameter changes it).
	MaxCursorsPerConn     int
	MaxCursorBytesPerConn int64

	usersOnce sync.Once
	userStore *auth.Store
	throttle  auth.Throttle // AuthThrottle's stand-in when it is nil
	// connsRefused counts connections closed for MaxConns.
	connsRefused atomic.Int64

	// profiler holds the per-database profiling levels (profile.go).
	profiler profiler
	// cursors holds the open cursors of find and aggregate (crud_find.go).
	cursors cursorRegistry
	// cursorTimeout is cursorTimeoutMillis in milliseconds, 0 for the default (params.go).
	cursorTimeout atomic.Int64
	// top counts the commands run on each collection (top.go); fsync is the fsync lock (fsync.go); fcvMu
	// serialises setFeatureCompatibilityVersion (fcv.go).
	top   topTable
	fsync fsyncGate
	fcvMu sync.Mutex

	initOnce sync.Once
	started  time.Time

	mu         sync.Mutex
	listeners  map[*net.Listener]struct{}
	conns      map[*Conn]struct{}
	advertised string
	reaperStop chan struct{}
	reaperDone chan struct{}
	inShutdown atomic.Bool
	connWG     sync.WaitGroup

	nextConnID   atomic.Int64
	connsCreated atomic.Int64
	// bytesIn and bytesOut count messages as the commands see them, physicalIn and physicalOut as sent on the
	// network, compressed or not (serverStatus network).
	bytesIn     atomic.Int64
	bytesOut    atomic.Int64
	physicalIn  atomic.Int64
	physicalOut atomic.Int64
	// compression counts each compressor's work, indexed by its id (serverStatus network.compression).
	compression [4]compressionStats
	numRequests atomic.Int64
	// killedMaxTime and killedDisconnect count commands ended by their maxTimeMS and by their client going
	// away (serverStatus metrics.operation.killedDueTo...).
	killedMaxTime, killedDisconnect atomic.Int64

	sessions sessionRegistry
	// events is the in-memory log getLog "global" returns.
	events ramLog
	ops    opRegistry
	clock  clusterClock
	// snapshots keeps the points in time of snapshot reads outside transactions.
	snapshots snapshotHistory
	// failCommand, failGetMore and transactionalWrite are the fail points failCommand,
	// failGetMoreAfterCursorCheckout and onPrimaryTransactionalWrite (failpoint.go).
	failCommand        failPoint[failCommandSpec]
	failGetMore        failPoint[failCommandSpec]
	transactionalWrite failPoint[transactionalWriteSpec]
	// lastCommitted is the last transaction commit that wrote anything (transactions.lastCommittedTransaction).
	lastCommitted atomic.Pointer[lastCommitted]
	// retriedCommands counts retryable writes answered from the stored reply (transactions.retriedCommandsCount).
	retriedCommands atomic.Int64
	// retriedStatements counts the statements of those writes (transactions.retriedStatementsCount).
	retriedStatements atomic.Int64

	// dbs caches database handles by name so that a CRUD command does not allocate one (see database).
	dbsMu sync.RWMutex
	dbs   map[string]*concord.Database
}

// maxCachedDatabases bounds dbs: names come from clients, so the cache must not grow without limit.
const maxCachedDatabases = 256

// database returns the handle of database name, s.DB.Database(name), shared between commands: a handle is
// only the pair (DB, name), so sharing it is safe.
func (s *Server) database(name string) *concord.Database {
	s.dbsMu.RLock()
	d := s.dbs[name]
	s.dbsMu.RUnlock()
	if d != nil {
		return d
	}
	d = s.DB.Database(name)
	s.dbsMu.Lock()
	if s.dbs == nil {
		s.dbs = make(map[string]*concord.Database)
	}
	if len(s.dbs) < maxCachedDatabases {
		s.dbs[name] = d
	}
	s.dbsMu.Unlock()
	return d
}

// init prepares the lazily initialised state; every entry point calls it.
func (s *Server) init() {
	s.initOnce.Do(func() {
		s.started = time.Now()
		s.listeners = make(map[*net.Listener]struct{})
		s.conns = make(map[*Conn]struct{})
		s.sessions.m = make(map[[16]byte]*session)
		s.sessions.cursors = &s.cursors
		s.cursors.maxCursors, s.cursors.maxBytes = s.MaxCursorsPerConn, s.MaxCursorBytesPerConn
		s.ops.m = make(map[int64]*op)
	})
}

// logf logs through ErrorLog.
func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// replSetName returns the announced replica-set name.
func (s *Server) replSetName() string {
	if s.ReplSetName != "" {
		return s.ReplSetName
	}
	return DefaultReplSetName
}

// advertisedAddr returns the member address announced in hello.
func (s *Server) advertisedAddr() string {
	if s.AdvertiseAddr != "" {
		return s.AdvertiseAddr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.advertised != "" {
		return s.advertised
	}
	return DefaultAddr
}

// ListenAndServe listens on Addr and serves until Shutdown or Close; it always returns a non-nil error,
// ErrServerClosed after Shutdown or Close.
func (s *Server) ListenAndServe() error {
	if s.inShutdown.Load() {
		return ErrServerClosed
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l, serving each on its own goroutine, until Shutdown or Close; it closes l
// and always returns a non-nil error, ErrServerClosed after Shutdown or Close.
func (s *Server) Serve(l net.Listener) error {
	if s.DB == nil {
		l.Close()
		return errors.New("server: Server.DB is nil")
	}
	s.init()
	if !s.trackListener(&l, true) {
		l.Close()
		return ErrServerClosed
	}
	defer s.trackListener(&l, false)

	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Like net/http: back off on temporary accept errors (e.g. out of file descriptors).
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("server: accept error: %v; retrying in %v", err, delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc)
		if c == nil {
			nc.Close()
			continue
		}
		go c.serve()
	}
}

// trackListener adds or removes l; adding fails after Shutdown. The first TCP listener added fixes the
// advertised address when AdvertiseAddr is empty (a Unix-domain socket has no host:port), and the first
// listener starts the background reaper.
func (s *Server) trackListener(l *net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, l)
		return true
	}
	if s.inShutdown.Load() {
		return false
	}
	s.listeners[l] = struct{}{}
	if s.advertised == "" && (*l).Addr().Network() == "tcp" {
		s.advertised = advertiseFor((*l).Addr())
	}
	if s.reaperStop == nil {
		s.reaperStop = make(chan struct{})
		s.reaperDone = make(chan struct{})
		go s.reap(s.reaperStop, s.reaperDone)
	}
	return true
}

// advertiseFor turns a listener address into one clients can dial: an unspecified IP (0.0.0.0, ::) becomes
// localhost.
func advertiseFor(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// newConn registers a new connection, or returns nil when the server is shutting down or MaxConns
// connections are open.
func (s *Server) newConn(nc net.Conn) *Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inShutdown.Load() {
		return nil
	}
	if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
		s.connsRefused.Add(1)
		s.logf("server: Connection refused because there are too many open connections: remote %s, connectionCount %d", remoteName(nc), len(s.conns))
		return nil
	}
	c := newConn(s, nc)
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	s.connsCreated.Add(1)
	return c
}

// removeConn forgets c once its goroutine ends.
func (s *Server) removeConn(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.connWG.Done()
}

// currentConns returns the number of open connections.
func (s *Server) currentConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// shutdownPollInterval is how often Shutdown looks for connections that became idle.
const shutdownPollInterval = 10 * time.Millisecond

// Shutdown stops the server gracefully: it closes the listeners, closes idle connections, aborts the
// transactions no command is using, waits for every command in flight to finish and its connection to close,
// then aborts the transactions still open and ends all sessions. If ctx ends first, Shutdown closes the remaining connections and returns ctx's error; the
// commands still running then finish on their own goroutines. The DB is left open for the caller to close.
func (s *Server) Shutdown(ctx context.Context) error {
	s.init()
	s.inShutdown.Store(true)
	s.closeListeners()
	var err error
	t := time.NewTicker(shutdownPollInterval)
	defer t.Stop()
	// A transaction between statements will not be continued (its connection is closed as idle), while a
	// write waiting on it would hold Shutdown until it expired: abort such transactions as they appear.
	for s.sessions.abortIdleTxns(); !s.closeIdleConns(); s.sessions.abortIdleTxns() {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			s.closeAllConns()
			s.finish()
			return err
		case <-t.C:
		}
	}
	s.connWG.Wait()
	s.finish()
	return nil
}

// Close stops the server at once: listeners and connections are closed without waiting for commands in
// flight. Open transactions are aborted once no command uses their session.
func (s *Server) Close() error {
	s.init()
	s.inShutdown.Store(true)
	s.closeListeners()
	s.closeAllConns()
	s.finish()
	return nil
}

// finish stops the reaper and ends all sessions.
func (s *Server) finish() {
	s.mu.Lock()
	stop, done := s.reaperStop, s.reaperDone
	s.reaperStop = nil
	s.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
	s.sessions.endAll(s)
	s.snapshots.prune(time.Now(), true)
}

// closeListeners closes every listener.
func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for l := range s.listeners {
		(*l).Close()
	}
}

// closeIdleConns closes connections waiting for a request and reports whether none is left.
func (s *Server) closeIdleConns() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if !c.active.Load() {
			c.nc.Close()
		}
	}
	return len(s.conns) == 0
}

// closeAllConns closes every connection, busy or not.
func (s *Server) closeAllConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.nc.Close()
	}
}

// reapInterval is how often the reaper runs: often enough to abort a transaction within a second of its
// lifetime limit, which is what MongoDB's killer does for small limits (period = limit/2, at least 1 s).
const reapInterval = time.Second

// reap aborts transactions past transactionLifetimeLimitSeconds (see sessionRegistry.reap for why the engine's
// own reaper is not enough), expires idle sessions, closes idle cursors and, once a minute, deletes the durable
// records of expired sessions, until stop is closed.
func (s *Server) reap(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(reapInterval)
	defer t.Stop()
	var pruned time.Time
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			s.sessions.reap(s, now)
			s.cursors.reapIdle(now, s.cursorIdleTimeout())
			s.snapshots.prune(now, false)
			if now.Sub(pruned) >= recordPruneInterval {
				pruned = now
				if _, err := s.pruneRecords(now); err != nil {
					s.logf("server: pruning expired session records: %v", err)
				}
			}
		}
	}
}
