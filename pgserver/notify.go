package pgserver

import "github.com/jackc/pgx/v5/pgproto3"

// Notifications (LISTEN and NOTIFY) reach the client as NotificationResponse messages: before ReadyForQuery when
// they arrive while the connection works, and at once when it is idle, waiting for the client's next message,
// as PostgreSQL sends them.

// setIdle marks the connection waiting for the client (true) or handling a message. Becoming idle it sends
// what was queued since its last ReadyForQuery took the queue: a notification delivered in between found the
// connection busy, and nothing else would send it before the client's next message.
func (c *conn) setIdle(idle bool) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.idle = idle
	if idle && c.terminated.Load() {
		c.endTerminated() // terminated while it worked: the read that follows fails
		return
	}
	if idle && c.sess != nil && c.sendNotifications() {
		_ = c.flush()
	}
}

// notified is the session's notify hook, called by the notifying session's goroutine: an idle connection sends
// the notification now; a busy one sends it before its next ReadyForQuery.
func (c *conn) notified() {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.idle && c.sendNotifications() {
		_ = c.flush()
	}
}

// sendNotifications queues the session's notifications as NotificationResponse messages; it reports whether
// there were any.
func (c *conn) sendNotifications() bool {
	ns := c.sess.TakeNotifications()
	for _, n := range ns {
		c.be.Send(&pgproto3.NotificationResponse{PID: n.PID, Channel: n.Channel, Payload: n.Payload})
	}
	return len(ns) > 0
}
