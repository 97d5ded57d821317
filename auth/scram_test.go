package auth_test

import (
	"context"
	"testing"

	"github.com/xdg-go/scram"

	"github.com/concorddb/concord"

	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/internal/codes"
)

// client returns the SCRAM client a MongoDB driver uses for mech.
func client(t testing.TB, mech, user, password string) *scram.ClientConversation {
	t.Helper()
	var c *scram.Client
	var err error
	if mech == auth.SCRAMSHA1 {
		c, err = scram.SHA1.NewClientUnprepped(user, auth.PasswordDigest(user, password), "")
	} else {
		c, err = scram.SHA256.NewClient(user, password, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	return c.NewConversation()
}

// converse runs a whole exchange and returns the server's user and the first server error.
func converse(t *testing.T, conv *auth.Conversation, cc *scram.ClientConversation) (*auth.User, error) {
	t.Helper()
	in, err := cc.Step("")
	if err != nil {
		t.Fatal(err)
	}
	for !conv.Done() {
		out, err := conv.Step([]byte(in))
		if err != nil {
			return nil, err
		}
		if in, err = cc.Step(string(out)); err != nil {
			t.Fatalf("client rejected the server: %v", err)
		}
	}
	return conv.User(), nil
}

func TestConversation(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	if err := s.CreateUser(ctx, auth.NewUser{Name: alice, Password: "sécret", Roles: []auth.RoleName{{Role: "read", DB: "x"}}}); err != nil {
		t.Fatal(err)
	}
	sha1only := auth.UserName{User: "old", DB: "admin"}
	if err := s.CreateUser(ctx, auth.NewUser{Name: sha1only, Password: "pw", Mechanisms: []string{auth.SCRAMSHA1}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, mech, user, password string
		ok                         bool
	}{
		{"SCRAM-SHA-256 with the right password succeeds", auth.SCRAMSHA256, "alice", "sécret", true},
		{"SCRAM-SHA-1 with the right password succeeds", auth.SCRAMSHA1, "alice", "sécret", true},
		{"SCRAM-SHA-256 with a wrong password fails", auth.SCRAMSHA256, "alice", "secret", false},
		{"SCRAM-SHA-1 with a wrong password fails", auth.SCRAMSHA1, "alice", "secret", false},
		{"an unknown user fails", auth.SCRAMSHA256, "mallory", "sécret", false},
		{"a mechanism the user has no credential for fails", auth.SCRAMSHA256, "old", "pw", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv, err := s.NewConversation(ctx, tc.mech, "admin")
			if err != nil {
				t.Fatal(err)
			}
			u, err := converse(t, conv, client(t, tc.mech, tc.user, tc.password))
			if tc.ok {
				if err != nil || u == nil || u.Name != alice {
					t.Fatalf("got %v, %v; want alice", u, err)
				}
				return
			}
			wantCode(t, err, codes.AuthenticationFailed)
			if conv.User() != nil || conv.Reason() == nil || !conv.Done() {
				t.Errorf("after a failure: User %v, Reason %v, Done %v", conv.User(), conv.Reason(), conv.Done())
			}
			if _, err := conv.Step([]byte("n,,n=alice,r=abc")); err == nil {
				t.Error("a failed conversation took another step")
			}
		})
	}
	if _, err := s.NewConversation(ctx, "PLAIN", "admin"); err == nil {
		t.Error("PLAIN started a conversation")
	}
}

// TestConversationFor is the PostgreSQL shape: the client-first message names nobody.
func TestConversationFor(t *testing.T) {
	ctx := context.Background()
	db := openDB(t, "")
	defer db.Close()
	s := auth.NewStore(db)
	if err := s.CreateUser(ctx, auth.NewUser{Name: alice, Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	conv, err := s.NewConversationFor(ctx, auth.SCRAMSHA256, alice)
	if err != nil {
		t.Fatal(err)
	}
	if u, err := converse(t, conv, client(t, auth.SCRAMSHA256, "", "pw")); err != nil || u == nil || u.Name != alice {
		t.Fatalf("got %v, %v", u, err)
	}
}

// FuzzConversation feeds arbitrary client messages to a conversation: it must never panic nor authenticate.
func FuzzConversation(f *testing.F) {
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s := auth.NewStore(db)
	if err := s.CreateUser(context.Background(), auth.NewUser{Name: alice, Password: "pw"}); err != nil {
		f.Fatal(err)
	}
	f.Add("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL", "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY=", true)
	f.Add("n,,n=alice,r=x", "", false)
	f.Add("p=tls-unique,,n=alice,r=x", "c=eSws,r=x,p=AA==", true)
	f.Add("y,a=bob,n=alice,r=x", "c=eSxhPWJvYiw=,r=x,p=", false)
	f.Add("", "", true)
	f.Fuzz(func(t *testing.T, first, final string, sha256 bool) {
		mech := auth.SCRAMSHA1
		if sha256 {
			mech = auth.SCRAMSHA256
		}
		conv, err := s.NewConversation(context.Background(), mech, "admin")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conv.Step([]byte(first)); err != nil {
			return
		}
		conv.Step([]byte(final))
		if conv.User() != nil {
			t.Fatalf("authenticated by %q, %q", first, final)
		}
	})
}
