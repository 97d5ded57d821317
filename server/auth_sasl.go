package server

import (
	"context"
	"net"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

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
	a.gen = gen
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
		a.user, a.conv = a.conv.User(), nil
	}
	return bson.D{
		{Key: "conversationId", Value: a.convID},
		{Key: "done", Value: done},
		{Key: "payload", Value: bson.Binary{Data: out}},
	}, nil
}

// saslStep runs one step of the conversation under the server's bound on concurrent authentication work. A
// failure ends the conversation, is logged (never with a secret: the server never sees the password) and, after
// repeated failures from the same address, answered only after a delay.
func (c *Conn) saslStep(ctx context.Context, in []byte) ([]byte, error) {
	s := c.srv
	a := &c.auth
	conv := a.conv
	if err := s.throttle.acquire(ctx); err != nil {
		return nil, err
	}
	out, err := conv.Step(in)
	s.throttle.release()
	if err == nil {
		if conv.User() != nil {
			s.throttle.succeeded(c.host())
		}
		return out, nil
	}
	a.conv = nil
	if !isCode(err, codes.AuthenticationFailed) {
		return nil, err
	}
	name := conv.UserName()
	s.logf("server: conn %d from %s: Authentication failed: mechanism %s, speculative %v, principal %q, authentication database %q: %v",
		c.ID, c.RemoteAddr, conv.Mechanism(), a.speculative, name.User, name.DB, conv.Reason())
	if d := s.throttle.failed(c.host(), time.Now()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return nil, err
}

// host returns the client's IP address, the unit of the failure delay.
func (c *Conn) host() string {
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

// Limits of the authentication throttle.
const (
	// maxConcurrentAuth bounds the SCRAM steps running at once, whatever the number of connections.
	maxConcurrentAuth = 64
	// freeAuthFailures is how many failures an address may have within authFailureWindow before its next
	// failures are answered late.
	freeAuthFailures  = 3
	authFailureWindow = time.Minute
	// authFailureDelay doubles from its first value with every further failure, up to its last.
	firstAuthFailureDelay = 100 * time.Millisecond
	maxAuthFailureDelay   = 5 * time.Second
	// maxTrackedAddresses bounds the failure records kept: an attacker cycling addresses must not grow them.
	maxTrackedAddresses = 4096
)

// authThrottle bounds authentication work: at most maxConcurrentAuth SCRAM steps at once, and a growing delay
// before answering the failures of an address that keeps failing. Its zero value is ready; it is safe for
// concurrent use.
type authThrottle struct {
	slotsOnce sync.Once
	slots     chan struct{}

	mu       sync.Mutex
	failures map[string]authFailures
}

// authFailures counts an address's recent failures.
type authFailures struct {
	n    int
	last time.Time
}

func (t *authThrottle) acquire(ctx context.Context) error {
	t.slotsOnce.Do(func() { t.slots = make(chan struct{}, maxConcurrentAuth) })
	select {
	case t.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return codes.FromContext(ctx)
	}
}

func (t *authThrottle) release() { <-t.slots }

// failed records a failure of host at now and returns how long to wait before answering it.
func (t *authThrottle) failed(host string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.failures == nil {
		t.failures = make(map[string]authFailures)
	}
	f := t.failures[host]
	if now.Sub(f.last) > authFailureWindow {
		f.n = 0
	}
	f.n++
	f.last = now
	if _, ok := t.failures[host]; !ok && len(t.failures) >= maxTrackedAddresses {
		for h, g := range t.failures {
			if now.Sub(g.last) > authFailureWindow {
				delete(t.failures, h)
			}
		}
		if len(t.failures) >= maxTrackedAddresses {
			clear(t.failures)
		}
	}
	t.failures[host] = f
	return failureDelay(f.n)
}

// failureDelay is the delay before answering an address's n-th recent failure.
func failureDelay(n int) time.Duration {
	if n <= freeAuthFailures {
		return 0
	}
	d := firstAuthFailureDelay
	for i := freeAuthFailures + 1; i < n && d < maxAuthFailureDelay; i++ {
		d *= 2
	}
	return min(d, maxAuthFailureDelay)
}

// succeeded forgets host's failures.
func (t *authThrottle) succeeded(host string) {
	t.mu.Lock()
	delete(t.failures, host)
	t.mu.Unlock()
}
