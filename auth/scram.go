package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/xdg-go/scram"

	"github.com/concorddb/concord/internal/codes"
)

// Conversation is the server side of one SCRAM authentication: client-first, server-first, client-final,
// server-final. It is not safe for concurrent use; a front end runs it on its connection's goroutine.
//
// Step returns ErrAuthenticationFailed for every failure of the client's proof or name, as mongod answers
// without telling why; Reason then says why, for the server's log (it never contains the password, which the
// server never sees).
type Conversation struct {
	mech   string
	store  *Store
	ctx    context.Context
	fixed  *UserName
	db     string
	conv   *scram.ServerConversation
	user   *User
	reason error
}

// NewConversation starts a SCRAM conversation on the MongoDB port: the user is the one the client-first
// message names, in database db (the command's $db). It fails with MechanismUnavailable for a mechanism other
// than SCRAMSHA1 and SCRAMSHA256. ctx bounds the user lookups of the conversation.
func (s *Store) NewConversation(ctx context.Context, mech, db string) (*Conversation, error) {
	return s.newConversation(ctx, mech, db, nil)
}

// NewConversationFor starts a SCRAM conversation for a user known beforehand, whatever name the client-first
// message carries (PostgreSQL's client sends an empty one: the user is in the startup message).
func (s *Store) NewConversationFor(ctx context.Context, mech string, name UserName) (*Conversation, error) {
	return s.newConversation(ctx, mech, name.DB, &name)
}

func (s *Store) newConversation(ctx context.Context, mech, db string, fixed *UserName) (*Conversation, error) {
	c := &Conversation{mech: mech, store: s, ctx: ctx, fixed: fixed, db: db}
	var hash scram.HashGeneratorFcn
	switch mech {
	case SCRAMSHA1:
		hash = scram.SHA1
	case SCRAMSHA256:
		hash = scram.SHA256
	default:
		return nil, codes.New(codes.MechanismUnavailable, "Received authentication for mechanism %s which is unknown or not enabled", mech)
	}
	srv, err := hash.NewServer(c.lookup)
	if err != nil {
		return nil, err
	}
	c.conv = srv.NewConversation()
	return c, nil
}

// lookup is the conversation's credential lookup: the named user's credential for the mechanism.
func (c *Conversation) lookup(name string) (scram.StoredCredentials, error) {
	un := UserName{User: name, DB: c.db}
	if c.fixed != nil {
		un = *c.fixed
	}
	u, err := c.store.User(c.ctx, un)
	if err != nil {
		return scram.StoredCredentials{}, err
	}
	cred, ok := u.Credentials[c.mech]
	if !ok {
		return scram.StoredCredentials{}, fmt.Errorf("user %s has no %s credential", un, c.mech)
	}
	c.user = u
	return cred.stored(), nil
}

// Mechanism returns the conversation's mechanism.
func (c *Conversation) Mechanism() string { return c.mech }

// Step takes the client's next message and returns the server's answer. After the server-final message Done
// is true; a failure ends the conversation (ErrAuthenticationFailed, or a context error from the lookup).
func (c *Conversation) Step(in []byte) ([]byte, error) {
	if c.reason != nil || c.conv.Done() {
		return nil, ErrAuthenticationFailed
	}
	out, err := c.conv.Step(string(in))
	if err != nil {
		c.reason = err
		c.user = nil
		if e := codes.Interruption(err); e != nil && errors.Is(err, c.ctx.Err()) {
			return nil, e
		}
		return nil, ErrAuthenticationFailed
	}
	return []byte(out), nil
}

// Done reports that the conversation ended, successfully or not.
func (c *Conversation) Done() bool { return c.reason != nil || c.conv.Done() }

// User returns the authenticated user once the conversation succeeded, else nil.
func (c *Conversation) User() *User {
	if c.reason != nil || !c.conv.Done() || !c.conv.Valid() {
		return nil
	}
	return c.user
}

// UserName returns the name the client authenticates as, known after its first message ("" before).
func (c *Conversation) UserName() UserName {
	if c.fixed != nil {
		return *c.fixed
	}
	return UserName{User: c.conv.Username(), DB: c.db}
}

// Reason returns why the conversation failed, for the server's log; nil while it has not failed.
func (c *Conversation) Reason() error { return c.reason }
