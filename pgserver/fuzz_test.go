package pgserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/auth"
	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// encode returns the wire bytes of frontend messages.
func encode(msgs ...pgproto3.FrontendMessage) []byte {
	var out []byte
	for _, m := range msgs {
		out, _ = m.Encode(out)
	}
	return out
}

// FuzzMessages feeds arbitrary bytes to a connection after a valid startup:
// the server must answer or hang up, never panic or hang. Seeded from the
// message sequences of the tests.
func FuzzMessages(f *testing.F) {
	f.Add(encode(&pgproto3.Query{String: "SELECT 1"}))
	f.Add(encode(&pgproto3.Query{String: "CREATE TABLE t (k text PRIMARY KEY, n int8); INSERT INTO t VALUES ('a', 1); SELECT * FROM t"}))
	f.Add(encode(&pgproto3.Parse{Name: "s", Query: "SELECT $1::int8 + 1"},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 0, 0, 0, 0, 1}}},
		&pgproto3.Describe{ObjectType: 'P'}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Sync{}))
	f.Add(encode(&pgproto3.Parse{Query: "SELECT $1"}, &pgproto3.Bind{Parameters: [][]byte{nil}}, &pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'S'}, &pgproto3.Sync{}, &pgproto3.Terminate{}))
	f.Add(encode(&pgproto3.Query{String: "CREATE TABLE c (k int8 PRIMARY KEY, v text); COPY c FROM STDIN (FORMAT csv)"},
		&pgproto3.CopyData{Data: []byte("1,a\n2,\"b\"\n")}, &pgproto3.CopyDone{}, &pgproto3.Query{String: "COPY c TO STDOUT"},
		&pgproto3.Query{String: "LISTEN x; NOTIFY x, 'p'"}, &pgproto3.CopyFail{Message: "stray"}))
	f.Add(encode(&pgproto3.Query{String: "CREATE TABLE b (k int8 PRIMARY KEY); COPY b FROM STDIN (FORMAT binary)"},
		&pgproto3.CopyData{Data: []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff")},
		&pgproto3.CopyDone{}))
	f.Add([]byte{'Q', 0, 0, 0, 4})
	f.Add([]byte{'B', 0xff, 0xff, 0xff, 0xff})
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	// A panic the connection recovered from is logged: make it fail the fuzzer.
	srv := &Server{Engine: sql.NewEngine(db), Logf: func(format string, args ...any) {
		if strings.Contains(format, "panic") {
			panic(fmt.Sprintf(format, args...))
		}
	}}
	startup := encode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "fuzz", "database": "fuzz"}})
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		c := &conn{srv: srv, nc: server}
		srv.mu.Lock()
		if srv.byPID == nil {
			srv.byPID = map[uint32]*conn{}
		}
		srv.mu.Unlock()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.serve()
		}()
		go io.Copy(io.Discard, client)
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(append(bytes.Clone(startup), data...))
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection did not end after the client hung up")
		}
	})
}

// FuzzStartupAuth feeds arbitrary bytes to a fresh connection of a server
// that requires SCRAM-SHA-256: the startup packet, SSL and cancel requests
// and the SASL messages. The server must answer or hang up, never panic,
// hang or let an unauthenticated client run a statement. Seeded with a
// whole exchange that authenticates.
func FuzzStartupAuth(f *testing.F) {
	startup := encode(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "app", "database": "shop"}})
	f.Add(startup)
	f.Add(append(bytes.Clone(startup), encode(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256",
		Data: []byte("n,,n=,r=rOprNGfwEbeRWgbNEkqO")})...))
	f.Add(append(bytes.Clone(startup), encode(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256",
		Data: []byte("n,,n=,r=abc")}, &pgproto3.SASLResponse{Data: []byte("c=biws,r=abc,p=AAAA")})...))
	f.Add(append(bytes.Clone(startup), encode(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-1", Data: []byte("x")})...))
	f.Add(append(bytes.Clone(startup), encode(&pgproto3.PasswordMessage{Password: "pw"}, &pgproto3.Query{String: "SELECT 1"})...))
	f.Add(append(encode(&pgproto3.SSLRequest{}), startup...))
	f.Add(encode(&pgproto3.CancelRequest{ProcessID: 1, SecretKey: []byte{1, 2, 3, 4}}))
	f.Add([]byte{0, 0, 0, 8, 4, 210, 22, 47})
	f.Add([]byte{0, 0, 0, 3})
	db, err := concord.Open("", nil)
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	users := auth.NewStore(db)
	if err := users.CreateUser(context.Background(), auth.NewUser{Name: auth.UserName{User: "app", DB: "admin"},
		Password: "pw", Roles: []auth.RoleName{{Role: "readWrite", DB: "shop"}}}); err != nil {
		f.Fatal(err)
	}
	srv := &Server{Engine: sql.NewEngine(db), Auth: true, Users: users, StartupTimeout: 5 * time.Second,
		Logf: func(format string, args ...any) {
			if strings.Contains(format, "panic") {
				panic(fmt.Sprintf(format, args...))
			}
		}}
	f.Fuzz(func(t *testing.T, data []byte) {
		client, server := net.Pipe()
		c := &conn{srv: srv, nc: server}
		srv.mu.Lock()
		if srv.byPID == nil {
			srv.byPID = map[uint32]*conn{}
		}
		srv.mu.Unlock()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.serve()
		}()
		replies := make(chan []byte, 1)
		go func() {
			b, _ := io.ReadAll(client)
			replies <- b
		}()
		client.SetWriteDeadline(time.Now().Add(5 * time.Second))
		client.Write(data)
		client.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("connection did not end after the client hung up")
		}
		// Without a valid proof (the fuzzer cannot forge one) no statement runs: no RowDescription, no
		// CommandComplete, no AuthenticationOk.
		if c.sess != nil {
			t.Fatalf("a session was opened for %q", data)
		}
		<-replies
	})
}
