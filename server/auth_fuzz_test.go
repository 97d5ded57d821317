package server

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
)

// FuzzSASL drives saslStart and saslContinue with arbitrary mechanisms, payloads and conversation ids: no input
// may panic the server or authenticate the connection.
func FuzzSASL(f *testing.F) {
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s := &Server{DB: db, Auth: true}
	if err := s.users().CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: "alice", DB: "admin"}, Password: "pw"}); err != nil {
		f.Fatal(err)
	}
	f.Add("SCRAM-SHA-256", []byte("n,,n=alice,r=rOprNGfwEbeRWgbNEkqO"), int64(1), []byte("c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="), true)
	f.Add("SCRAM-SHA-1", []byte("n,,n=alice,r=fyko+d2lbbFgONRv9qkxdawL"), int64(2), []byte(""), false)
	f.Add("PLAIN", []byte("\x00alice\x00pw"), int64(1), []byte{}, false)
	f.Add("SCRAM-SHA-256", []byte("n,,n=nobody,r=x"), int64(1), []byte("c=biws,r=x,p="), true)
	var hosts atomic.Int64
	f.Fuzz(func(t *testing.T, mech string, first []byte, id int64, second []byte, skipEmpty bool) {
		// Each input comes from its own address, so that the failure delay never slows the fuzzer.
		n := hosts.Add(1)
		c := &Conn{srv: s, RemoteAddr: fmt.Sprintf("10.%d.%d.%d:1", n>>16&255, n>>8&255, n&255)}
		ctx := context.Background()
		start, _ := bson.Marshal(bson.D{{Key: "saslStart", Value: 1}, {Key: "mechanism", Value: mech},
			{Key: "payload", Value: bson.Binary{Data: first}}, {Key: "options", Value: bson.D{{Key: "skipEmptyExchange", Value: skipEmpty}}}})
		handleSaslStart(ctx, s, &Request{Name: "saslStart", DB: "admin", Body: start, Conn: c})
		for range 2 {
			cont, _ := bson.Marshal(bson.D{{Key: "saslContinue", Value: 1}, {Key: "conversationId", Value: id}, {Key: "payload", Value: bson.Binary{Data: second}}})
			handleSaslContinue(ctx, s, &Request{Name: "saslContinue", DB: "admin", Body: cont, Conn: c})
		}
		if c.auth.user != nil {
			t.Fatalf("authenticated as %s by %q, %q", c.auth.user.Name, first, second)
		}
	})
}
