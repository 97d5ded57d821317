package pgserver

import (
	"bytes"
	"context"
	"slices"

	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// batch is the connection's view of the extended-protocol batch in
// progress: the messages up to the next Sync. PostgreSQL runs the statements
// of a batch in one implicit transaction (a pgx SendBatch commits all or
// nothing); a batch of one statement is an ordinary autocommitted
// statement, which on Concord waits on a conflict instead of failing with
// 40001. The two cannot be told apart at the first Execute, so the
// connection holds it back: the Sync (or a Flush) runs it alone, a second
// Execute opens the implicit block and runs both in it, and the block
// commits at the Sync. The messages that arrive while an Execute is held
// are kept, in order, and replayed after it, so the replies keep the order
// of the requests.
//
// A Flush ends the holding: a client that reads results between the
// statements of a batch gets them, and its later statements form a batch of
// their own.
type batch struct {
	holding bool
	held    pgproto3.Execute
	// queue holds copies of the messages received after held (their
	// buffers are the backend's, reused by its next Receive); queued counts
	// their bytes, bounded by MaxMessageBytes.
	queue  []pgproto3.FrontendMessage
	queued int
	// replay is what next returns before reading again; pos is its next.
	replay []pgproto3.FrontendMessage
	pos    int
	// replayed is set while the message being handled came from replay.
	replayed bool
	// implicit is set while the batch runs in its implicit block.
	implicit bool
}

// next returns the next message to handle: a replayed one, or the next
// one from the client.
func (c *conn) next() (pgproto3.FrontendMessage, error) {
	b := &c.batch
	if b.pos < len(b.replay) {
		m := b.replay[b.pos]
		b.replay[b.pos] = nil
		b.pos++
		b.replayed = true
		return m, nil
	}
	b.replay, b.pos, b.replayed = b.replay[:0], 0, false
	return c.be.Receive()
}

// batched takes the messages of the batch's implicit transaction in hand
// before the connection handles them. It reports whether it kept msg (to
// be handled later, through next); otherwise the connection handles msg
// now.
func (c *conn) batched(msg pgproto3.FrontendMessage) bool {
	b := &c.batch
	if b.replayed {
		c.inBatch(msg)
		return false
	}
	if b.holding {
		switch m := msg.(type) {
		case *pgproto3.Parse, *pgproto3.Bind, *pgproto3.Describe, *pgproto3.Close:
			cp, n := copyMessage(m)
			b.queue = append(b.queue, cp)
			b.queued += n
			if b.queued > MaxMessageBytes {
				c.release(nil)
			}
			return true
		case *pgproto3.Execute:
			// A second statement: the batch is one implicit transaction.
			if err := c.sess.BeginImplicit(context.Background()); err == nil {
				b.implicit = true
			}
			c.release(m)
			return true
		case *pgproto3.Terminate:
			// PostgreSQL rolls back a batch without its Sync.
			clear(b.queue)
			b.holding, b.queue, b.queued = false, b.queue[:0], 0
			return false
		}
		c.release(msg)
		return true
	}
	if m, ok := msg.(*pgproto3.Execute); ok && !b.implicit && c.sess.TxStatus() == sql.TxIdle {
		if p := c.portals[m.Portal]; p != nil && p.res == nil && !p.stmt.Empty() && !p.stmt.TxnControl() {
			b.holding, b.held = true, *m
			return true
		}
	}
	c.inBatch(msg)
	return false
}

// inBatch follows the implicit block through the message about to be
// handled: a transaction-control statement takes the block over, a Sync
// (or a simple Query, which runs in a transaction of its own) ends it:
// it commits unless the batch failed, and a failed commit is reported
// before the ReadyForQuery.
func (c *conn) inBatch(msg pgproto3.FrontendMessage) {
	b := &c.batch
	if !b.implicit {
		return
	}
	switch m := msg.(type) {
	case *pgproto3.Execute:
		if p := c.portals[m.Portal]; p != nil && p.stmt.TxnControl() {
			c.sess.LeaveImplicit()
			b.implicit = false
		}
	case *pgproto3.Sync, *pgproto3.Query:
		b.implicit = false
		if err := c.sess.EndImplicit(context.Background(), !c.skipping); err != nil {
			c.sendError(err)
		}
	}
}

// release ends the holding: the held Execute, the messages queued after
// it and then last (nil for none) are handled next, in that order.
func (c *conn) release(last pgproto3.FrontendMessage) {
	b := &c.batch
	b.replay = append(b.replay[:0], &b.held)
	b.replay = append(b.replay, b.queue...)
	if last != nil {
		b.replay = append(b.replay, last)
	}
	b.pos = 0
	clear(b.queue)
	b.holding, b.queue, b.queued = false, b.queue[:0], 0
}

// copyMessage copies a message out of the backend's buffer, and returns
// about how many bytes the copy holds.
func copyMessage(m pgproto3.FrontendMessage) (pgproto3.FrontendMessage, int) {
	switch m := m.(type) {
	case *pgproto3.Parse:
		cp := *m
		cp.ParameterOIDs = slices.Clone(m.ParameterOIDs)
		return &cp, len(m.Name) + len(m.Query) + 4*len(m.ParameterOIDs)
	case *pgproto3.Bind:
		cp := *m
		cp.ParameterFormatCodes = slices.Clone(m.ParameterFormatCodes)
		cp.ResultFormatCodes = slices.Clone(m.ResultFormatCodes)
		cp.Parameters = make([][]byte, len(m.Parameters))
		n := len(m.DestinationPortal) + len(m.PreparedStatement) + 2*len(m.ParameterFormatCodes) + 2*len(m.ResultFormatCodes)
		for i, p := range m.Parameters {
			cp.Parameters[i] = bytes.Clone(p) // nil (NULL) stays nil
			n += len(p) + 24
		}
		return &cp, n
	case *pgproto3.Describe:
		cp := *m
		return &cp, len(m.Name)
	case *pgproto3.Close:
		cp := *m
		return &cp, len(m.Name)
	}
	panic("pgserver: copyMessage of an unexpected message")
}
