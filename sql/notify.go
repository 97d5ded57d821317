package sql

import (
	"fmt"
	"slices"
	"sync"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// PostgreSQL's LISTEN, UNLISTEN and NOTIFY (and pg_notify): a session listening on a channel receives every
// notification sent on it, its own included, with the sender's process id and a payload. Inside a transaction
// block a NOTIFY is sent when the block commits (identical ones once) and not at all when it rolls back, and
// LISTEN and UNLISTEN take effect at commit; outside one, at once. They are kept by the Engine, in memory:
// sessions of one server process notify each other, not those of another.

// Notification is one notification delivered to a listening session.
type Notification struct {
	PID     uint32
	Channel string
	Payload string
}

// maxPayload is PostgreSQL's bound on a notification's payload.
const maxPayload = 7999

// maxQueued bounds the notifications waiting for one session; a NOTIFY that would overflow a listener's queue
// fails (as PostgreSQL's does when its notification queue is full).
const maxQueued = 100_000

// notifier is an Engine's listeners by channel.
type notifier struct {
	mu        sync.Mutex
	listeners map[string]map[*Session]bool
}

// listenOp is a LISTEN (or UNLISTEN: off) waiting for its block's commit; channel "" with off is UNLISTEN *.
type listenOp struct {
	channel string
	off     bool
}

// inbox is what a session was notified of and not yet handed to its client.
type inbox struct {
	mu     sync.Mutex
	queued []Notification
	hook   func()
}

// SetNoticeHandler sets fn to take the notices (RAISE NOTICE, WARNING and INFO of PL/pgSQL) a statement gives as
// it gives them, on the statement's goroutine, as PostgreSQL sends them to the client at once (so they arrive
// before an error that ends the statement later, and while a long procedure runs); without one they are the
// statement's Result.Warnings.
func (s *Session) SetNoticeHandler(fn func(*Error)) { s.notice = fn }

// SetNotifyHook sets fn to run, on the notifier's goroutine, whenever a notification is queued for the session:
// the PostgreSQL port sends it at once when the connection is idle, else before its next ReadyForQuery.
func (s *Session) SetNotifyHook(fn func()) {
	s.inbox.mu.Lock()
	s.inbox.hook = fn
	s.inbox.mu.Unlock()
}

// TakeNotifications returns the notifications queued for the session, oldest first, and forgets them.
func (s *Session) TakeNotifications() []Notification {
	s.inbox.mu.Lock()
	defer s.inbox.mu.Unlock()
	out := s.inbox.queued
	s.inbox.queued = nil
	return out
}

// listen runs LISTEN, UNLISTEN and UNLISTEN *: at once outside a transaction block, at its commit inside one.
func (x *exec) listen(op listenOp) (*Result, error) {
	tag := "LISTEN"
	if op.off {
		tag = "UNLISTEN"
	}
	if x.describe {
		return &Result{Tag: tag}, nil
	}
	s := x.s
	if s.status != TxIdle {
		s.pendingListen = append(s.pendingListen, op)
	} else {
		s.e.notify.apply(s, op)
	}
	return &Result{Tag: tag}, nil
}

// apply makes s listen on a channel, or stop (all channels for UNLISTEN *).
func (n *notifier) apply(s *Session, op listenOp) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.listeners == nil {
		n.listeners = map[string]map[*Session]bool{}
	}
	switch {
	case !op.off:
		if n.listeners[op.channel] == nil {
			n.listeners[op.channel] = map[*Session]bool{}
		}
		n.listeners[op.channel][s] = true
	case op.channel == "":
		for ch, ls := range n.listeners {
			delete(ls, s)
			if len(ls) == 0 {
				delete(n.listeners, ch)
			}
		}
	default:
		if ls := n.listeners[op.channel]; ls != nil {
			delete(ls, s)
			if len(ls) == 0 {
				delete(n.listeners, op.channel)
			}
		}
	}
}

// notifyStmt runs NOTIFY channel [, 'payload'] and pg_notify: sent at once outside a transaction block, at its
// commit inside one.
func (x *exec) notifyStmt(channel, payload string) error {
	if channel == "" {
		return errorf(CodeInvalidParameterValue, "channel name cannot be empty")
	}
	if len(channel) > 63 {
		return errorf(CodeInvalidParameterValue, "channel name too long")
	}
	if len(payload) > maxPayload {
		return errorf(CodeInvalidParameterValue, "payload string too long")
	}
	if x.describe {
		return nil
	}
	s := x.s
	n := Notification{PID: s.pid, Channel: channel, Payload: payload}
	if s.status != TxIdle {
		if !slices.Contains(s.pendingNotify, n) { // PostgreSQL sends identical notifications of a transaction once
			s.pendingNotify = append(s.pendingNotify, n)
		}
		return nil
	}
	return s.e.notify.send([]Notification{n})
}

// send delivers notifications to the sessions listening on their channels.
func (n *notifier) send(ns []Notification) error {
	n.mu.Lock()
	var hooks []func()
	for _, note := range ns {
		for s := range n.listeners[note.Channel] {
			s.inbox.mu.Lock()
			if len(s.inbox.queued) >= maxQueued {
				s.inbox.mu.Unlock()
				n.mu.Unlock()
				return errorf(CodeProgramLimitExceeded, "too many notifications in the NOTIFY queue")
			}
			s.inbox.queued = append(s.inbox.queued, note)
			if s.inbox.hook != nil {
				hooks = append(hooks, s.inbox.hook)
			}
			s.inbox.mu.Unlock()
		}
	}
	n.mu.Unlock()
	for _, h := range hooks {
		h()
	}
	return nil
}

// endNotify applies the block's LISTENs and sends its NOTIFYs when it committed, and forgets them either way.
func (s *Session) endNotify(committed bool) {
	listens, notes := s.pendingListen, s.pendingNotify
	s.pendingListen, s.pendingNotify = nil, nil
	if !committed {
		return
	}
	for _, op := range listens {
		s.e.notify.apply(s, op)
	}
	if len(notes) > 0 {
		_ = s.e.notify.send(notes) // the commit is done: a full queue cannot undo it
	}
}

// dispatchNotify runs LISTEN, UNLISTEN and NOTIFY statements.
func (x *exec) dispatchNotify(n *pg.Node) (*Result, bool, error) {
	switch {
	case n.GetListenStmt() != nil:
		res, err := x.listen(listenOp{channel: n.GetListenStmt().Conditionname})
		return res, true, err
	case n.GetUnlistenStmt() != nil:
		res, err := x.listen(listenOp{channel: n.GetUnlistenStmt().Conditionname, off: true})
		return res, true, err
	case n.GetNotifyStmt() != nil:
		ns := n.GetNotifyStmt()
		if err := x.notifyStmt(ns.Conditionname, ns.Payload); err != nil {
			return nil, true, err
		}
		return &Result{Tag: "NOTIFY"}, true, nil
	}
	return nil, false, nil
}

// pgNotify is pg_notify(channel, payload).
func (x *exec) pgNotify(args []any) (any, error) {
	if len(args) != 2 {
		return nil, &Error{Code: CodeUndefinedFunction, Message: fmt.Sprintf("function pg_notify with %d arguments does not exist", len(args))}
	}
	if args[0] == nil {
		return nil, errorf(CodeInvalidParameterValue, "channel name cannot be empty")
	}
	payload := ""
	if args[1] != nil {
		payload = formatText(args[1])
	}
	return "", x.notifyStmt(formatText(args[0]), payload)
}
