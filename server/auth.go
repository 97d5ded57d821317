package server

import (
	"context"
	"net"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/wire"
)

// connAuth is a connection's authentication state. Only the connection's own goroutine touches it: commands of
// a connection run one at a time.
type connAuth struct {
	// user is the authenticated user, nil before authentication and after logout. Its roles were read at
	// generation gen of the user store; a command reloads them when the store has changed since.
	user *auth.User
	gen  uint64
	// privs are user's roles compiled for the per-command check (nil without a user). They are compiled
	// whenever user is set, so that they always match user.Roles: a change to any user moves the store's
	// generation, the next command reloads the user and recompiles them, and a revoked role is refused from
	// that command on, as mongod's user cache invalidation makes it on connections already authenticated.
	privs *auth.Privileges
	// conv is the SASL conversation in progress (saslStart, then saslContinue), nil when none.
	conv *auth.Conversation
	// convGen is the user store's generation when the conversation began, before it read the user: the
	// user's generation once the conversation succeeds. (Not gen, which belongs to the user already
	// authenticated, if any, until then.)
	convGen uint64
	// convID numbers the connection's conversations, as mongod's conversationId.
	convID int32
	// skipEmpty is the conversation's options.skipEmptyExchange: the server-final message ends it, instead of
	// one more empty round trip.
	skipEmpty bool
	// speculative is set for a conversation begun by hello's speculativeAuthenticate, for the log.
	speculative bool
	// idleDeadline is set while the connection's reads have UnauthenticatedIdleTimeout's deadline.
	idleDeadline bool
	// needs is authorize's buffer, reused from command to command.
	needs []need
}

// maxUnauthenticatedMessage bounds the messages of a client that has not authenticated on a server with Auth:
// the handshake and SASL messages are small, and a client nobody knows must not make the server buffer
// maxMessageSizeBytes per connection. A larger message closes the connection (its length was read, its body
// was not, so the stream cannot be answered).
const maxUnauthenticatedMessage = 1 << 20

// maxMessageSize is the largest message the connection reads next.
func (c *Conn) maxMessageSize() int {
	if c.srv.Auth && c.auth.user == nil {
		return maxUnauthenticatedMessage
	}
	return wire.MaxMessageSize
}

// setIdleDeadline bounds the wait for the next request of a client that has not authenticated, on a server
// with Auth and an UnauthenticatedIdleTimeout; once the client authenticates the wait is unbounded again.
func (c *Conn) setIdleDeadline() {
	s := c.srv
	if !s.Auth || s.UnauthenticatedIdleTimeout <= 0 {
		return
	}
	if c.auth.user == nil {
		c.nc.SetReadDeadline(time.Now().Add(s.UnauthenticatedIdleTimeout))
		c.auth.idleDeadline = true
		return
	}
	if c.auth.idleDeadline {
		c.nc.SetReadDeadline(time.Time{})
		c.auth.idleDeadline = false
	}
}

// preAuthCommands are the commands a client may run before it authenticates: those whose requiresAuth() is
// false in mongod (hello and its aliases, the SASL commands, logout, ping, buildInfo, connectionStatus).
var preAuthCommands = map[string]bool{
	"buildInfo":        true,
	"buildinfo":        true,
	"connectionStatus": true,
	"hello":            true,
	"isMaster":         true,
	"ismaster":         true,
	"logout":           true,
	"ping":             true,
	"saslContinue":     true,
	"saslStart":        true,
}

// setUser makes u (nil: nobody) the connection's user, read at generation gen, and compiles its privileges.
func (a *connAuth) setUser(u *auth.User, gen uint64) {
	a.user, a.gen, a.privs = u, gen, nil
	if u != nil {
		a.privs = auth.Compile(u.Roles)
	}
}

// users returns the store of users: Users, or a store over DB made once.
func (s *Server) users() *auth.Store {
	s.usersOnce.Do(func() {
		s.userStore = s.Users
		if s.userStore == nil {
			s.userStore = auth.NewStore(s.DB)
		}
	})
	return s.userStore
}

// currentUser returns the connection's authenticated user with its roles as they are now, or nil; c.auth.privs
// are then its privileges. A user dropped since it authenticated keeps its name and loses every role, as in
// mongod, even when a user of the same name was created since (it has another userId).
func (c *Conn) currentUser(ctx context.Context) *auth.User {
	a := &c.auth
	if a.user == nil {
		return nil
	}
	store := c.srv.users()
	if gen := store.Generation(); gen != a.gen {
		u, err := store.User(ctx, a.user.Name)
		switch {
		case err == nil && u.ID == a.user.ID:
			a.setUser(u, gen)
		case err == nil || isCode(err, codes.UserNotFound):
			a.setUser(&auth.User{Name: a.user.Name}, gen)
		default:
			return a.user // keep the roles known; the next command tries again
		}
	}
	return a.user
}

// isCode reports whether err is a *codes.Error with code.
func isCode(err error, code codes.Code) bool {
	e, ok := codes.As(err)
	return ok && e.Code == code
}

// isLoopback reports whether the client connects from a loopback address or over a Unix-domain socket.
func (c *Conn) isLoopback() bool {
	if c.local {
		return true
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// authorize applies access control to a command when Auth is set, as mongod's service entry point does: a
// command of preAuthCommands always runs; any other needs an authenticated user (Unauthorized "Command <name>
// requires authentication") unless the localhost exception applies, whose client holds only
// auth.LocalhostAllowed; then the user's privileges must cover every privilege the command needs
// (commandPrivileges), else Unauthorized "not authorized on <db> to execute command { ... }". The check of an
// authenticated client's command costs the computation of its needs and a lookup in the connection's compiled
// privileges; it allocates nothing.
func (s *Server) authorize(ctx context.Context, inv *invocation) error {
	c := inv.req.Conn
	if !s.Auth || c == nil {
		return nil
	}
	name := inv.req.Name
	acc := inv.access
	if acc.preAuth {
		return nil
	}
	u := c.currentUser(ctx)
	if u == nil {
		if !s.localhostException(ctx, c) {
			return codes.New(codes.Unauthorized, "Command %s requires authentication", name)
		}
		if acc.needs == nil {
			return nil
		}
		c.auth.needs = acc.needs(c.auth.needs[:0], inv.req)
		for _, n := range c.auth.needs {
			if !auth.LocalhostAllowed(n.res, n.act) {
				return notAuthorized(inv)
			}
		}
		return nil
	}
	if acc.needs == nil {
		return nil // authOnlyCommands: being authenticated is enough
	}
	privs := c.auth.privs
	if name == "listDatabases" && !privs.Allowed(auth.Cluster, auth.ActionListDatabases) {
		// mongod's authorizedDatabases: without listDatabases a user sees the databases it has privileges on.
		inv.req.visibleDB = privs.AnyOn
		return nil
	}
	if name == "listCollections" && privs.AnyOn(inv.req.DB) {
		if v, err := inv.req.Body.LookupErr("authorizedCollections"); err == nil && v.Boolean() {
			return nil
		}
	}
	if holdsCeiling(privs, acc, inv.req) {
		return nil
	}
	c.auth.needs = acc.needs(c.auth.needs[:0], inv.req)
	for _, n := range c.auth.needs {
		if !privs.Allowed(n.res, n.act) {
			return notAuthorized(inv)
		}
	}
	return nil
}

// notAuthorized is mongod's refusal of a command the client's privileges do not cover.
func notAuthorized(inv *invocation) error {
	return codes.New(codes.Unauthorized, "not authorized on %s to execute command %s", inv.req.DB, formatCommand(inv.req.Body))
}

// localhostException reports whether mongod's localhost exception applies to c: no user exists yet and the
// client is on a loopback address. It then may create the first user on admin, and nothing else.
func (s *Server) localhostException(ctx context.Context, c *Conn) bool {
	if !c.isLoopback() {
		return false
	}
	has, err := s.users().HasUsers(ctx)
	return err == nil && !has
}

// helloAuth adds the authentication fields of hello's reply: saslSupportedMechs for the user the client names
// ("db.user"), and the first answer of the conversation speculativeAuthenticate starts. A failure of either
// leaves its field out, as mongod does, and the driver then authenticates the ordinary way.
func (s *Server) helloAuth(ctx context.Context, req *Request, d bson.D) bson.D {
	if req.Conn == nil {
		return d
	}
	if v, err := req.Body.LookupErr("saslSupportedMechs"); err == nil {
		if name, ok := v.StringValueOK(); ok {
			if mechs := s.supportedMechs(ctx, name); mechs != nil {
				d = append(d, bson.E{Key: "saslSupportedMechs", Value: mechs})
			}
		}
	}
	if v, err := req.Body.LookupErr("speculativeAuthenticate"); err == nil {
		if doc, ok := v.DocumentOK(); ok {
			if _, err := doc.LookupErr("saslStart"); err == nil {
				db, _ := doc.Lookup("db").StringValueOK()
				reply, err := req.Conn.saslStart(ctx, doc, db, true)
				if err == nil {
					d = append(d, bson.E{Key: "speculativeAuthenticate", Value: reply})
				}
			}
		}
	}
	return d
}

// supportedMechs returns the mechanisms user "db.name" has credentials for, nil when there is no such user.
func (s *Server) supportedMechs(ctx context.Context, qualified string) bson.A {
	for i := 0; i < len(qualified); i++ {
		if qualified[i] != '.' {
			continue
		}
		u, err := s.users().User(ctx, auth.UserName{DB: qualified[:i], User: qualified[i+1:]})
		if err != nil {
			return nil
		}
		mechs := bson.A{}
		for _, m := range u.Mechanisms() {
			mechs = append(mechs, m)
		}
		return mechs
	}
	return nil
}
