// Package pgserver serves Concord over PostgreSQL's wire protocol (v3), so
// that psql, pgx, database/sql and any PostgreSQL client reach the same data
// the MongoDB port serves. Messages are framed by pgx's pgproto3; statements
// run through package sql. It knows nothing of the engine.
//
// A Server's zero value is not usable: set Engine. Serve accepts connections
// until Close; each connection is one sql.Session, with its own
// transaction block and prepared statements.
package pgserver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// MaxMessageBytes bounds one frontend message; a longer one closes the
// connection (PostgreSQL's own bound is 1 GB).
const MaxMessageBytes = 32 << 20

// Server is a PostgreSQL wire-protocol server. Safe for concurrent use.
type Server struct {
	// Engine runs the statements. Required.
	Engine *sql.Engine
	// Logf logs connection failures; nil logs with the standard logger.
	Logf func(format string, args ...any)
	// Auth requires every client to authenticate with SCRAM-SHA-256 as a
	// user of Users, and enforces the user's roles on tables, as
	// `concord serve --auth` does on the MongoDB port.
	Auth bool
	// Users keeps the users; required with Auth. Share one Store with the
	// MongoDB port, so that a change of a user's roles there reaches
	// connected SQL clients.
	Users *auth.Store
	// TLSConfig, when set, makes the server accept only connections that
	// negotiate TLS (SSLRequest); plaintext startup messages are refused
	// with 28000. Cancel requests are served either way, and so are clients
	// on a Unix-domain socket, which PostgreSQL never offers TLS.
	TLSConfig *tls.Config
	// MaxConns refuses connections past this many open ones with FATAL
	// 53300 "sorry, too many clients already", as PostgreSQL past
	// max_connections; clients already connected keep working. 0: no bound.
	MaxConns int
	// StartupTimeout bounds the startup and authentication of a connection
	// (PostgreSQL's authentication_timeout): a client that has not finished
	// both, SASL exchange included, by then is disconnected without a
	// message, as PostgreSQL does; 0 means one minute.
	StartupTimeout time.Duration
	// AuthThrottle bounds the concurrent SCRAM steps (the excess waits, at
	// most until StartupTimeout) and delays the failure reports of an
	// address that keeps failing, as PostgreSQL's auth_delay module does;
	// nil means one of the Server's own with auth.Throttle's defaults.
	// Share one with the MongoDB port, so that failures on either port
	// count together.
	AuthThrottle *auth.Throttle

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	byPID     map[uint32]*conn
	closed    bool
	wg        sync.WaitGroup
	connCount atomic.Int64
	throttle  auth.Throttle // AuthThrottle's stand-in when it is nil
}

// authThrottle is AuthThrottle, or the server's own.
func (s *Server) authThrottle() *auth.Throttle {
	if s.AuthThrottle != nil {
		return s.AuthThrottle
	}
	return &s.throttle
}

func (s *Server) startupTimeout() time.Duration {
	if s.StartupTimeout > 0 {
		return s.StartupTimeout
	}
	return time.Minute
}

// ErrServerClosed is returned by Serve after Close.
var ErrServerClosed = errors.New("pgserver: server closed")

// ListenAndServe listens on addr and serves it.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close, and returns ErrServerClosed
// then. It closes l.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
		s.conns = map[*conn]struct{}{}
		s.byPID = map[uint32]*conn{}
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		_, local := nc.LocalAddr().(*net.UnixAddr)
		c := &conn{srv: s, nc: nc, local: local}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return ErrServerClosed
		}
		if s.MaxConns > 0 && len(s.conns) >= s.MaxConns {
			s.mu.Unlock()
			go refuse(nc)
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.connCount.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			if c.sess != nil {
				delete(s.byPID, c.sess.PID())
			}
			s.mu.Unlock()
		}()
	}
}

// Connections returns the number of connections served so far.
func (s *Server) Connections() int64 { return s.connCount.Load() }

// OpenConnections returns the number of connections open now.
func (s *Server) OpenConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close stops the listeners, closes every connection (aborting their open
// transactions) and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) logf(format string, args ...any) {
	if s.Logf != nil {
		s.Logf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// register makes a connection's session reachable by cancel requests.
func (s *Server) register(c *conn) {
	c.secret = make([]byte, 4)
	_, _ = rand.Read(c.secret)
	s.mu.Lock()
	s.byPID[c.sess.PID()] = c
	s.mu.Unlock()
}

// cancel cancels the statement running on the connection with that
// process id and secret, if any; a wrong secret is ignored, as PostgreSQL
// does.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.byPID[pid]
	s.mu.Unlock()
	if c == nil || string(c.secret) != string(secret) {
		return
	}
	c.cancelRunning()
}

// withCancel returns the context a statement runs under, and the function that ends the statement. A
// connection keeps one context for all its statements rather than making one per statement: a cancel request
// cancels it only while a statement runs (PostgreSQL ignores one that finds the backend idle), and the next
// statement then gets a new one.
func (c *conn) withCancel() (context.Context, func()) {
	c.mu.Lock()
	if c.stmtCtx == nil || c.stmtCtx.Err() != nil {
		c.stmtCtx, c.stmtCancel = context.WithCancel(context.Background())
	}
	c.running = true
	ctx := c.stmtCtx
	c.mu.Unlock()
	return ctx, c.endStmt
}

// endStatement ends the running statement: a cancel request no longer reaches it.
func (c *conn) endStatement() {
	c.mu.Lock()
	c.running = false
	c.mu.Unlock()
}

// cancelRunning cancels the running statement, if any.
func (c *conn) cancelRunning() {
	c.mu.Lock()
	if c.running {
		c.stmtCancel()
	}
	c.mu.Unlock()
}

// releaseContext cancels the statements' context when the connection ends.
func (c *conn) releaseContext() {
	c.mu.Lock()
	if c.stmtCancel != nil {
		c.stmtCancel()
	}
	c.mu.Unlock()
}

// refuse answers a connection past MaxConns as PostgreSQL does past
// max_connections, then closes it.
func refuse(nc net.Conn) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	be := pgproto3.NewBackend(nc, nc)
	// Read what the client sent first, so that closing does not reset the
	// connection before the client reads the answer.
	_, _ = be.ReceiveStartupMessage()
	be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: sql.CodeTooManyConnections,
		Message: "sorry, too many clients already"})
	_ = be.Flush()
}
