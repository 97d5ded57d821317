package pgserver

import (
	"net"

	"github.com/concorddb/concord/sql"
)

// Signals from other sessions (pg_cancel_backend, pg_terminate_backend). A cancel takes the path of a cancel
// request: the running statement's context is cancelled and the statement fails with 57014. A termination
// ends the connection as PostgreSQL's does: the client gets FATAL 57P01 (terminating connection due to
// administrator command), at once when the connection is idle, else in place of the running statement's
// result, and the connection closes, which closes the session and frees its locks.

// terminatedMessage is PostgreSQL's message for a terminated connection.
const terminatedMessage = "terminating connection due to administrator command"

// signaled is the session's signal handler (sql.Session.SetSignalHandler), called on the signalling session's
// goroutine. It takes wmu, so that an idle connection's FATAL does not interleave with another writer's
// messages (notify.go), then the statement's mu (cancelRunning).
func (c *conn) signaled(sig sql.Signal) {
	if sig == sql.SignalTerminate {
		c.wmu.Lock()
		c.terminated.Store(true)
		if c.idle {
			c.endTerminated()
		}
		c.wmu.Unlock()
	}
	c.cancelRunning()
}

// endTerminated sends a terminated connection's FATAL and closes the connection: serve's read fails and it
// returns, closing the session. The caller holds wmu or is serve's goroutine.
func (c *conn) endTerminated() {
	c.fatal(sql.CodeAdminShutdown, terminatedMessage)
	_ = c.nc.Close()
}

// setClient records the client's address for pg_stat_activity.
func (c *conn) setClient() {
	if c.local {
		c.sess.SetClientAddr("", -1)
	}
	if a, ok := c.nc.RemoteAddr().(*net.TCPAddr); ok {
		c.sess.SetClientAddr(a.IP.String(), a.Port)
	}
	if a, ok := c.nc.LocalAddr().(*net.TCPAddr); ok {
		c.sess.SetServerAddr(a.IP.String(), a.Port)
	}
}
