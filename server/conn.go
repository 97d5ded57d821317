package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/wire"
)

// Conn is one client connection. Its commands run one at a time, in the order they arrive, on the
// connection's own goroutine.
type Conn struct {
	// ID is the connection id announced as connectionId in hello, unique per Server.
	ID int64
	// RemoteAddr is the client's address, host:port.
	RemoteAddr string
	// Created is when the connection was accepted.
	Created time.Time

	srv *Server
	nc  net.Conn
	br  *bufio.Reader
	// active is set while the connection processes a request; guarded by srv.mu so that Shutdown closes only
	// idle connections.
	active bool
	// nextReplyID numbers this connection's replies.
	nextReplyID int32
	// appName is the client.application.name of the connection's handshake (nil: none sent). currentOp reads it
	// from other connections' goroutines, hence the atomic.
	appName atomic.Pointer[string]
}

// maxAppNameBytes is mongod's limit on client.application.name (ClientMetadata: at most 128 bytes).
const maxAppNameBytes = 128

// AppName returns the application name the client announced in its handshake (client.application.name), or ""
// when it sent none. The profiler records it as appName.
func (c *Conn) AppName() string {
	if c == nil {
		return ""
	}
	if p := c.appName.Load(); p != nil {
		return *p
	}
	return ""
}

// recordClientMetadata keeps the application name of the handshake's client document. Only the first document
// counts: mongod fixes a connection's metadata at its first hello, and drivers send it only then. A name of the
// wrong type or over maxAppNameBytes is ignored rather than failing the handshake.
func (c *Conn) recordClientMetadata(body bson.Raw) {
	if c == nil || c.appName.Load() != nil {
		return
	}
	v, err := body.LookupErr("client", "application", "name")
	if err != nil {
		return
	}
	name, ok := v.StringValueOK()
	if !ok || len(name) > maxAppNameBytes {
		return
	}
	c.appName.CompareAndSwap(nil, &name)
}

// readBufferSize is the connection's read buffer: one syscall reads most requests whole.
const readBufferSize = 16 << 10

// newConn wraps nc; the caller holds srv.mu.
func newConn(srv *Server, nc net.Conn) *Conn {
	return &Conn{
		ID:         srv.nextConnID.Add(1),
		RemoteAddr: nc.RemoteAddr().String(),
		Created:    time.Now(),
		srv:        srv,
		nc:         nc,
		br:         bufio.NewReaderSize(nc, readBufferSize),
	}
}

// setActive marks the connection busy or idle.
func (c *Conn) setActive(active bool) {
	c.srv.mu.Lock()
	c.active = active
	c.srv.mu.Unlock()
}

// serve reads and answers requests until the client disconnects, a framing error makes the stream unusable
// or the server shuts down. Cursors opened on the connection outlive it: they belong to their logical session,
// as in mongod, and drivers continue them on any pooled connection.
func (c *Conn) serve() {
	s := c.srv
	defer func() {
		if r := recover(); r != nil {
			s.logf("server: conn %d: panic: %v", c.ID, r)
		}
		c.nc.Close()
		s.removeConn(c)
	}()
	for {
		c.setActive(false)
		if s.inShutdown.Load() {
			return
		}
		// Wait idle for the first byte, so that Shutdown can close the connection between requests but never
		// in the middle of one.
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		c.setActive(true)
		h, msg, err := wire.ReadMessage(c.br, nil, wire.MaxMessageSize)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logf("server: conn %d from %s: closing: %v", c.ID, c.RemoteAddr, err)
			}
			return
		}
		s.bytesIn.Add(int64(len(msg)))
		s.numRequests.Add(1)
		out := c.handleMessage(h, msg)
		if out == nil {
			continue
		}
		if _, err := c.nc.Write(out); err != nil {
			return
		}
		s.bytesOut.Add(int64(len(out)))
	}
}

// replyID returns the requestID for the connection's next reply.
func (c *Conn) replyID() int32 {
	c.nextReplyID++
	return c.nextReplyID
}

// handleMessage answers one whole message; nil means no reply (moreToCome). A message that cannot be parsed
// is answered with an error document: its length was valid, so the stream is still in step.
func (c *Conn) handleMessage(h wire.Header, msg []byte) []byte {
	switch h.OpCode {
	case wire.OpMsg:
		m, err := wire.ParseMsg(msg)
		if err != nil {
			return wire.AppendMsg(nil, c.replyID(), h.RequestID, 0, c.srv.errorReply(wireError(err)))
		}
		body, err := m.Command()
		var reply bson.Raw
		if err != nil {
			reply = c.srv.errorReply(wireError(err))
		} else {
			reply = c.runCommand(body, "")
		}
		if m.Flags&wire.MoreToCome != 0 {
			return nil
		}
		return wire.AppendMsg(nil, c.replyID(), h.RequestID, 0, reply)
	case wire.OpQuery:
		q, err := wire.ParseQuery(msg)
		if err != nil {
			return wire.AppendReply(nil, c.replyID(), h.RequestID, c.srv.errorReply(wireError(err)))
		}
		return wire.AppendReply(nil, c.replyID(), h.RequestID, c.runQuery(q))
	default:
		err := codes.New(codes.ProtocolError, "Unsupported opcode %d: only OP_MSG, and OP_QUERY for the handshake, are supported", int32(h.OpCode))
		return wire.AppendMsg(nil, c.replyID(), h.RequestID, 0, c.srv.errorReply(err))
	}
}

// runQuery answers an OP_QUERY. Since MongoDB 5.1 only the handshake commands may use it.
func (c *Conn) runQuery(q *wire.Query) bson.Raw {
	db, coll, _ := strings.Cut(q.FullCollectionName, ".")
	cmd := q.Command()
	name := ""
	if e, err := cmd.IndexErr(0); err == nil {
		name = e.Key()
	}
	if coll != "$cmd" || !isHandshake(name) {
		if coll == "$cmd" {
			return c.srv.errorReply(codes.New(codes.UnsupportedOpQueryCommand, "Unsupported OP_QUERY command: %s. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal", name))
		}
		return c.srv.errorReply(codes.New(codes.UnsupportedOpQueryCommand, "Unsupported OP_QUERY command: find. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal"))
	}
	return c.runCommand(cmd, db)
}

// isHandshake reports whether name is one of the commands allowed over OP_QUERY.
func isHandshake(name string) bool {
	return name == "isMaster" || name == "ismaster" || name == "hello"
}

// wireError turns a parse error of the wire package into the error a client sees.
func wireError(err error) error {
	if errors.Is(err, wire.ErrInvalidBSON) {
		return codes.New(codes.InvalidBSON, "%v", err)
	}
	return codes.New(codes.ProtocolError, "%v", err)
}

// disconnectWatchDelay is how long a command runs before the connection starts watching for the client
// going away; quick commands never pay for the watcher.
const disconnectWatchDelay = 50 * time.Millisecond

// watchDisconnect interrupts a long-running command (cancel) when its client disconnects, as mongod kills
// operations on client disconnect, so that a write waiting for a transaction does not apply after its client
// gave up. Clients send nothing else while they wait for a reply, so the watcher may read from the connection
// meanwhile; whatever it reads stays buffered for the next request. The returned stop must be called when the
// command ends, before the connection reads again.
func (c *Conn) watchDisconnect(cancel context.CancelFunc) (stop func()) {
	var (
		mu      sync.Mutex
		stopped bool
		started bool
		done    = make(chan struct{})
	)
	t := time.AfterFunc(disconnectWatchDelay, func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped {
			return
		}
		started = true
		go func() {
			defer close(done)
			if _, err := c.br.Peek(1); err != nil && !isTimeout(err) {
				cancel()
			}
		}()
	})
	return func() {
		t.Stop()
		mu.Lock()
		stopped = true
		wasStarted := started
		mu.Unlock()
		if wasStarted {
			c.nc.SetReadDeadline(time.Now()) // wake the watcher
			<-done
			c.nc.SetReadDeadline(time.Time{})
		}
	}
}

// isTimeout reports a read deadline expiring.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
