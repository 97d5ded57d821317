package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// authenticate runs PostgreSQL's SCRAM-SHA-256 exchange (AuthenticationSASL,
// SASLInitialResponse, AuthenticationSASLContinue, SASLResponse,
// AuthenticationSASLFinal) for the startup message's user, and returns the
// authorizer of the authenticated user's roles. On failure it has sent the
// FATAL error and returns nil.
//
// PostgreSQL's users are global and MongoDB's belong to a database: the user
// is looked up in admin first, then in the connection's database. An
// unknown user goes through the same exchange as a wrong password and gets
// the same 28P01, so that a client cannot tell which users exist.
func (c *conn) authenticate(user, db string) sql.Authorizer {
	// The connection's deadline bounds the reads; ctx bounds the waits for
	// the throttle.
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.startupTimeout())
	defer cancel()
	store := c.srv.Users
	throttle, host := c.srv.authThrottle(), remoteHost(c.nc)
	failed := func(reason error) sql.Authorizer {
		var ne net.Error
		if ctx.Err() != nil || errors.As(reason, &ne) && ne.Timeout() {
			// authentication_timeout: PostgreSQL closes without a message.
			c.srv.logf("pgserver: authentication of user %q from %s timed out", user, remoteHost(c.nc))
			return nil
		}
		c.srv.logf("pgserver: authentication of user %q from %s failed: %v", user, remoteHost(c.nc), reason)
		c.fatal(sql.CodeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", user))
		return nil
	}
	if store == nil {
		return failed(errors.New("the server has no user store"))
	}
	gen := store.Generation()
	name := auth.UserName{User: user, DB: "admin"}
	if _, err := store.User(ctx, name); err != nil && db != "admin" {
		if _, err := store.User(ctx, auth.UserName{User: user, DB: db}); err == nil {
			name.DB = db
		}
	}
	conv, err := store.NewConversationFor(ctx, auth.SCRAMSHA256, name)
	if err != nil {
		return failed(err)
	}
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{auth.SCRAMSHA256}})
	if err := c.flush(); err != nil {
		return nil
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return failed(err)
	}
	msg, err := c.be.Receive()
	if err != nil {
		return failed(err)
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok {
		c.fatal(sql.CodeProtocolViolation, fmt.Sprintf("expected SASL response, got message type %T", msg))
		return nil
	}
	if first.AuthMechanism != auth.SCRAMSHA256 {
		c.fatal(sql.CodeProtocolViolation, "client selected an invalid SASL authentication mechanism")
		return nil
	}
	out, err := throttle.Step(ctx, conv, host, first.Data)
	if err != nil {
		if conv.Reason() == nil {
			return failed(err)
		}
		return failed(conv.Reason())
	}
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: out})
	if err := c.flush(); err != nil {
		return nil
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return failed(err)
	}
	if msg, err = c.be.Receive(); err != nil {
		return failed(err)
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		c.fatal(sql.CodeProtocolViolation, fmt.Sprintf("expected SASL response, got message type %T", msg))
		return nil
	}
	out, err = throttle.Step(ctx, conv, host, final.Data)
	if err != nil {
		if conv.Reason() == nil {
			return failed(err)
		}
		return failed(conv.Reason())
	}
	u := conv.User()
	if u == nil {
		return failed(errors.New("the conversation did not end"))
	}
	r := &roles{store: store, user: u, gen: gen, privs: auth.Compile(u.Roles)}
	if !r.privs.AnyOn(db) {
		c.fatal(sql.CodeInsufficientPrivilege, fmt.Sprintf("permission denied for database %q", db))
		return nil
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: out})
	return r.allowed
}

// remoteHost is the client's IP address, the unit of the throttle's
// failure delay: "[local]" for every client on a Unix-domain socket, as
// PostgreSQL's log names one.
func remoteHost(nc net.Conn) string {
	if _, ok := nc.LocalAddr().(*net.UnixAddr); ok {
		return "[local]"
	}
	addr := nc.RemoteAddr().String()
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// roles is an authenticated user's privileges, compiled from the user's roles when the user authenticated and
// again when a user changed since (a grant or revoke over the MongoDB port reaches a connected SQL client at its
// next statement; a dropped user keeps no privilege). Safe for concurrent use, though a session asks from one
// goroutine.
type roles struct {
	store *auth.Store
	mu    sync.Mutex
	user  *auth.User
	gen   uint64
	privs *auth.Privileges
}

// current returns the user's privileges as they are now.
func (r *roles) current() *auth.Privileges {
	r.mu.Lock()
	defer r.mu.Unlock()
	if gen := r.store.Generation(); gen != r.gen {
		u, err := r.store.User(context.Background(), r.user.Name)
		switch {
		case err == nil && u.ID == r.user.ID:
			r.user = u
		case err == nil || isUserNotFound(err):
			r.user = &auth.User{Name: r.user.Name, ID: r.user.ID}
		default:
			return r.privs // keep the privileges known; the next statement tries again
		}
		r.gen, r.privs = gen, auth.Compile(r.user.Roles)
	}
	return r.privs
}

func isUserNotFound(err error) bool {
	e, ok := codes.As(err)
	return ok && e.Code == codes.UserNotFound
}

// allowed is the sql.Authorizer of the user's roles: a table is the
// collection of the same name in the connection's database.
func (r *roles) allowed(db string, a sql.Access) bool {
	res := auth.Namespace(db, a.Table)
	switch {
	case a.Privilege == sql.PrivSignalBackend || a.Privilege == sql.PrivReadAllStats:
		res = auth.Cluster // other users' sessions: MongoDB's killop and inprog are cluster actions
	case a.Table == "":
		res = auth.Database(db)
	}
	action, ok := privilegeActions[a.Privilege]
	if !ok {
		return false
	}
	return r.current().Allowed(res, action)
}

// privilegeActions maps what a statement does to the MongoDB action that
// grants it.
var privilegeActions = map[sql.Privilege]auth.Action{
	sql.PrivSelect:       auth.ActionFind,
	sql.PrivInsert:       auth.ActionInsert,
	sql.PrivUpdate:       auth.ActionUpdate,
	sql.PrivDelete:       auth.ActionRemove,
	sql.PrivCreate:       auth.ActionCreateCollection,
	sql.PrivCreateIndex:  auth.ActionCreateIndex,
	sql.PrivDrop:         auth.ActionDropCollection,
	sql.PrivDropDatabase: auth.ActionDropDatabase,
	sql.PrivDropIndex:    auth.ActionDropIndex,
	// pg_signal_backend and pg_read_all_stats: ending and watching other users' operations.
	sql.PrivSignalBackend: auth.ActionKillop,
	sql.PrivReadAllStats:  auth.ActionInprog,
}
