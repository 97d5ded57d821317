package server

import (
	"bufio"
	"bytes"
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
	// RemoteAddr is the client's address, host:port; "anonymous unix socket:27017" for a client on a Unix-domain
	// socket, whichever its port, as mongod names one.
	RemoteAddr string
	// Created is when the connection was accepted.
	Created time.Time

	srv *Server
	nc  net.Conn
	br  *bufio.Reader
	// local is set for a client on a Unix-domain socket, which is on this host as a loopback client is.
	local bool
	// active is set while the connection processes a request, so that Shutdown closes only idle connections.
	active atomic.Bool
	// watch interrupts the running command if the client disconnects.
	watch disconnectWatch
	// msg is the parse state of the current OP_MSG, reused from message to message.
	msg wire.Msg
	// nextReplyID numbers this connection's replies.
	nextReplyID int32
	// drop is set by a fail point while a command runs: the connection is closed instead of answering it.
	// Only the connection's goroutine, which runs its commands, touches it.
	drop bool
	// appName is the client.application.name of the connection's handshake (nil: none sent). currentOp reads it
	// from other connections' goroutines, hence the atomic.
	appName atomic.Pointer[string]
	// auth is the connection's authentication state (auth.go).
	auth connAuth
	// uncompressedReply is set while a command runs whose reply is never compressed (see neverCompressed),
	// even when its request was.
	uncompressedReply bool
}

// neverCompressed lists the commands whose messages are never compressed, as the compression spec and mongod
// say: the handshake and the authentication conversation.
var neverCompressed = map[string]bool{
	"hello": true, "isMaster": true, "ismaster": true, "saslStart": true, "saslContinue": true,
	"getnonce": true, "authenticate": true, "createUser": true, "updateUser": true,
	"copydbSaslStart": true, "copydbgetnonce": true, "copydb": true,
}

// dropReply makes the connection close instead of answering the command it runs (a fail point's
// closeConnection); a nil Conn (a command run in process) ignores it.
func (c *Conn) dropReply() {
	if c != nil {
		c.drop = true
	}
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
	_, local := nc.LocalAddr().(*net.UnixAddr)
	return &Conn{
		ID:         srv.nextConnID.Add(1),
		RemoteAddr: remoteName(nc),
		Created:    time.Now(),
		srv:        srv,
		nc:         nc,
		br:         bufio.NewReaderSize(nc, readBufferSize),
		local:      local,
	}
}

// unixRemote is mongod's name for a client of a Unix-domain socket, whatever the socket's port: mongod gives the
// peer no port, and a HostAndPort without one shows the default.
const unixRemote = "anonymous unix socket:27017"

// remoteName is the name of nc's client: host:port, or unixRemote.
func remoteName(nc net.Conn) string {
	if _, ok := nc.LocalAddr().(*net.UnixAddr); ok {
		return unixRemote
	}
	return nc.RemoteAddr().String()
}

// bufPool holds the message buffers of the connections: a request is read into one and its reply encoded into
// another, both returned once the reply is written, so that a steady stream of commands allocates no buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledBuffer is the largest buffer put back into bufPool: one huge message must not pin its memory.
const maxPooledBuffer = 1 << 20

// getBuffer takes an empty buffer from bufPool.
func getBuffer() *[]byte {
	b := bufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// putBuffer returns b (grown to hold data) to bufPool unless it is too large to keep.
func putBuffer(b *[]byte, data []byte) {
	if cap(data) > maxPooledBuffer {
		return
	}
	*b = data[:0]
	bufPool.Put(b)
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
		// Shutdown sets inShutdown, then closes connections it sees idle: with both flags atomic, either this
		// goroutine sees the shutdown or Shutdown sees it idle.
		c.active.Store(false)
		if s.inShutdown.Load() {
			return
		}
		// Wait idle for the first byte, so that Shutdown can close the connection between requests but never
		// in the middle of one.
		c.setIdleDeadline()
		if _, err := c.br.Peek(1); err != nil {
			return
		}
		c.active.Store(true)
		rb := getBuffer()
		h, msg, err := wire.ReadMessage(c.br, *rb, c.maxMessageSize())
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logf("server: conn %d from %s: closing: %v", c.ID, c.RemoteAddr, err)
			}
			return
		}
		s.physicalIn.Add(int64(len(msg)))
		s.numRequests.Add(1)
		compressor, compressed := wire.Compressor(0), false
		if h.OpCode == wire.OpCompressed {
			// mongod ends the session on a message it cannot decompress: the stream is in step, but the client
			// and the server no longer agree on what was sent.
			db := getBuffer()
			var plain []byte
			h, plain, compressor, err = wire.Decompress(*db, msg, c.maxMessageSize())
			if err != nil {
				s.logf("server: conn %d from %s: closing: %v", c.ID, c.RemoteAddr, err)
				putBuffer(rb, msg)
				putBuffer(db, *db)
				return
			}
			s.compression[compressor].decompressorIn.Add(int64(len(msg)))
			s.compression[compressor].decompressorOut.Add(int64(len(plain)))
			putBuffer(rb, msg)
			rb, msg, compressed = db, plain, true
		}
		s.bytesIn.Add(int64(len(msg)))
		c.uncompressedReply = false
		wb := getBuffer()
		out, ok := c.handleMessage(*wb, h, msg)
		putBuffer(rb, msg)
		if c.drop {
			putBuffer(wb, out)
			return
		}
		if !ok {
			putBuffer(wb, out)
			continue
		}
		s.bytesOut.Add(int64(len(out)))
		if compressed && !c.uncompressedReply {
			cb := getBuffer()
			zout, zerr := wire.AppendCompressed(*cb, out, compressor)
			if zerr == nil {
				s.compression[compressor].compressorIn.Add(int64(len(out)))
				s.compression[compressor].compressorOut.Add(int64(len(zout)))
				putBuffer(wb, out)
				wb, out = cb, zout
			} else {
				s.logf("server: conn %d: reply sent uncompressed: %v", c.ID, zerr)
				putBuffer(cb, zout)
			}
		}
		_, err = c.nc.Write(out)
		putBuffer(wb, out)
		if err != nil {
			return
		}
		s.physicalOut.Add(int64(len(out)))
	}
}

// handleMessage answers one whole message, appending the reply to dst; ok is false when no reply is due
// (moreToCome). A message that cannot be parsed is answered with an error document: its length was valid, so
// the stream is still in step. msg may be reused once handleMessage returns: the command runs on a copy.
func (c *Conn) handleMessage(dst []byte, h wire.Header, msg []byte) (out []byte, ok bool) {
	switch h.OpCode {
	case wire.OpMsg:
		m := &c.msg
		if err := wire.ParseMsgInto(m, msg); err != nil {
			return wire.AppendMsg(dst, c.replyID(), h.RequestID, 0, c.srv.errorReply(wireError(err))), true
		}
		body, err := m.Command()
		if err == nil && len(m.Sequences) == 0 {
			body = bytes.Clone(body) // Command returned the body inside msg
		}
		moreToCome := m.Flags&wire.MoreToCome != 0
		if err == nil {
			if e, ierr := body.IndexErr(0); ierr == nil && neverCompressed[e.Key()] {
				c.uncompressedReply = true
			}
		}
		// The reply is encoded in place after its header; its requestID is taken only if it is sent.
		start, dst := wire.BeginMsg(dst, c.nextReplyID+1, h.RequestID, 0)
		if err != nil {
			dst = append(dst, c.srv.errorReply(wireError(err))...)
		} else {
			dst = c.appendCommand(dst, body, "")
		}
		if moreToCome {
			return dst[:start], false
		}
		c.replyID()
		return wire.EndMsg(dst, start), true
	case wire.OpQuery:
		q, err := wire.ParseQuery(msg)
		c.uncompressedReply = true // only the handshake may use OP_QUERY
		if err != nil {
			return wire.AppendReply(dst, c.replyID(), h.RequestID, c.srv.errorReply(wireError(err))), true
		}
		return wire.AppendReply(dst, c.replyID(), h.RequestID, c.runQuery(q)), true
	default:
		err := codes.New(codes.ProtocolError, "Unsupported opcode %d: only OP_MSG, and OP_QUERY for the handshake, are supported", int32(h.OpCode))
		return wire.AppendMsg(dst, c.replyID(), h.RequestID, 0, c.srv.errorReply(err)), true
	}
}

// replyID returns the requestID for the connection's next reply.
func (c *Conn) replyID() int32 {
	c.nextReplyID++
	return c.nextReplyID
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
	return c.runCommand(bytes.Clone(cmd), db) // cmd lies in the reused message buffer
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

// disconnectWatch interrupts a long-running command when its client disconnects, as mongod kills operations
// on client disconnect, so that a write waiting for a transaction does not apply after its client gave up.
// Clients send nothing else while they wait for a reply, so the watcher may read from the connection
// meanwhile; whatever it reads stays buffered for the next request. Each connection has one, reused by every
// command: arming it resets a timer, so quick commands never start the watcher nor allocate.
type disconnectWatch struct {
	mu    sync.Mutex
	timer *time.Timer
	// armed is set while a command runs; cancel interrupts it.
	armed  bool
	cancel context.CancelFunc
	// started is set once the watcher goroutine runs; it closes done when it stops.
	started bool
	done    chan struct{}
}

// arm starts watching for the command that cancel interrupts; the watcher itself starts only if the command
// is still running after disconnectWatchDelay. disarm must be called when the command ends, before the
// connection reads again.
func (w *disconnectWatch) arm(c *Conn, cancel context.CancelFunc) {
	w.mu.Lock()
	w.armed, w.cancel = true, cancel
	if w.timer == nil {
		w.timer = time.AfterFunc(disconnectWatchDelay, func() { w.fire(c) })
	} else {
		w.timer.Reset(disconnectWatchDelay)
	}
	w.mu.Unlock()
}

// fire starts the watcher goroutine for the armed command. A firing that lost the race with disarm finds the
// watch disarmed, or armed for the next command, which it then merely starts watching early.
func (w *disconnectWatch) fire(c *Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.armed || w.started {
		return
	}
	w.started = true
	done, cancel := make(chan struct{}), w.cancel
	w.done = done
	go func() {
		defer close(done)
		if _, err := c.br.Peek(1); err != nil && !isTimeout(err) {
			cancel()
			if c.srv != nil {
				c.srv.killedDisconnect.Add(1)
			}
		}
	}()
}

// disarm stops watching, waking and waiting for the watcher goroutine if it started.
func (w *disconnectWatch) disarm(c *Conn) {
	w.timer.Stop()
	w.mu.Lock()
	started, done := w.started, w.done
	w.armed, w.cancel, w.started, w.done = false, nil, false, nil
	w.mu.Unlock()
	if started {
		c.nc.SetReadDeadline(time.Now()) // wake the watcher
		<-done
		c.nc.SetReadDeadline(time.Time{})
	}
}

// isTimeout reports a read deadline expiring.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
