package server

import (
	"context"
	"net"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
)

// handleSaslStart answers saslStart: it starts a SCRAM conversation for the user the payload names, in the
// command's database, and returns the server-first message. Authentication works whether or not Auth is set;
// Auth only decides whether it is required.
func handleSaslStart(ctx context.Context, _ *Server, req *Request) (bson.D, error) {
	return req.Conn.saslStart(ctx, req.Body, req.DB, false)
}

// saslStart runs the first step of a conversation described by body (a saslStart command, or hello's
// speculativeAuthenticate document) against users of db.
func (c *Conn) saslStart(ctx context.Context, body bson.Raw, db string, speculative bool) (bson.D, error) {
	mv, err := body.LookupErr("mechanism")
	if err != nil {
		return nil, codes.New(codeMissingField, "BSON field 'saslStart.mechanism' is missing but a required field")
	}
	mech, ok := mv.StringValueOK()
	if !ok {
		return nil, typeMismatch("saslStart.mechanism", mv, "string")
	}
	payload, err := saslPayload(body, "saslStart")
	if err != nil {
		return nil, err
	}
	s := c.srv
	store := s.users()
	gen := store.Generation()
	conv, err := store.NewConversation(ctx, mech, db)
	if err != nil {
		return nil, err
	}
	a := &c.auth
	a.conv, a.convID, a.speculative = conv, a.convID+1, speculative
	a.skipEmpty, _ = body.Lookup("options", "skipEmptyExchange").BooleanOK()
	a.convGen = gen
	out, err := c.saslStep(ctx, payload)
	if err != nil {
		return nil, err
	}
	return bson.D{
		{Key: "conversationId", Value: a.convID},
		{Key: "done", Value: false},
		{Key: "payload", Value: bson.Binary{Data: out}},
	}, nil
}

// handleSaslContinue answers saslContinue: the next step of the connection's conversation. With
// skipEmptyExchange the step that checks the client's proof ends it; without, one more empty exchange does.
func handleSaslContinue(ctx context.Context, _ *Server, req *Request) (bson.D, error) {
	c := req.Conn
	a := &c.auth
	idv, err := req.Body.LookupErr("conversationId")
	if err != nil {
		return nil, codes.New(codeMissingField, "BSON field 'saslContinue.conversationId' is missing but a required field")
	}
	payload, err := saslPayload(req.Body, "saslContinue")
	if err != nil {
		return nil, err
	}
	if a.conv == nil {
		return nil, codes.New(codes.ProtocolError, "No SASL session state found")
	}
	if id, ok := idv.AsInt64OK(); !ok || id != int64(a.convID) {
		return nil, codes.New(codes.ProtocolError, "sasl: Mismatched conversation id")
	}
	done := a.conv.User() != nil // the proof was checked: this is the empty exchange
	var out []byte
	if !done {
		if out, err = c.saslStep(ctx, payload); err != nil {
			return nil, err
		}
		done = a.conv.User() != nil && a.skipEmpty
	}
	if done {
		a.setUser(a.conv.User(), a.convGen)
		a.conv = nil
	}
	return bson.D{
		{Key: "conversationId", Value: a.convID},
		{Key: "done", Value: done},
		{Key: "payload", Value: bson.Binary{Data: out}},
	}, nil
}

// saslStep runs one step of the conversation under the server's auth.Throttle: a bound on concurrent
// authentication work and, after repeated failures from the same address, a delay before the answer. A failure
// ends the conversation and is logged (never with a secret: the server never sees the password).
func (c *Conn) saslStep(ctx context.Context, in []byte) ([]byte, error) {
	s := c.srv
	a := &c.auth
	conv := a.conv
	out, err := s.authThrottle().Step(ctx, conv, c.host(), in)
	if err == nil {
		return out, nil
	}
	a.conv = nil
	if isCode(err, codes.AuthenticationFailed) {
		name := conv.UserName()
		s.logf("server: conn %d from %s: Authentication failed: mechanism %s, speculative %v, principal %q, authentication database %q: %v",
			c.ID, c.RemoteAddr, conv.Mechanism(), a.speculative, name.User, name.DB, conv.Reason())
	}
	return nil, err
}

// authThrottle is AuthThrottle, or the server's own.
func (s *Server) authThrottle() *auth.Throttle {
	if s.AuthThrottle != nil {
		return s.AuthThrottle
	}
	return &s.throttle
}

// host returns the client's IP address, the unit of the failure delay: "[local]" for every client on a
// Unix-domain socket, the key the PostgreSQL port gives them too.
func (c *Conn) host() string {
	if c.local {
		return "[local]"
	}
	h, _, err := net.SplitHostPort(c.RemoteAddr)
	if err != nil {
		return c.RemoteAddr
	}
	return h
}

// saslPayload reads the payload of a SASL command: binary data, or a string (both are accepted by mongod).
func saslPayload(body bson.Raw, cmd string) ([]byte, error) {
	v, err := body.LookupErr("payload")
	if err != nil {
		return nil, codes.New(codeMissingField, "BSON field '%s.payload' is missing but a required field", cmd)
	}
	if _, data, ok := v.BinaryOK(); ok {
		return data, nil
	}
	if s, ok := v.StringValueOK(); ok {
		return []byte(s), nil
	}
	return nil, typeMismatch(cmd+".payload", v, "binData")
}

// handleLogout answers logout: the connection is no longer authenticated.
func handleLogout(_ context.Context, _ *Server, req *Request) (bson.D, error) {
	req.Conn.auth = connAuth{convID: req.Conn.auth.convID}
	return bson.D{}, nil
}

// handleConnectionStatus answers connectionStatus with the connection's authenticated user and its roles.
func handleConnectionStatus(ctx context.Context, _ *Server, req *Request) (bson.D, error) {
	users, roles := bson.A{}, bson.A{}
	if u := req.Conn.currentUser(ctx); u != nil {
		users = append(users, bson.D{{Key: "user", Value: u.Name.User}, {Key: "db", Value: u.Name.DB}})
		for _, r := range u.Roles {
			roles = append(roles, bson.D{{Key: "role", Value: r.Role}, {Key: "db", Value: r.DB}})
		}
	}
	return bson.D{{Key: "authInfo", Value: bson.D{
		{Key: "authenticatedUsers", Value: users},
		{Key: "authenticatedUserRoles", Value: roles},
	}}}, nil
}
