package pgserver_test

import (
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// rawConn dials the server and completes a startup, returning a frontend.
func rawConn(t *testing.T, url string) (net.Conn, *pgproto3.Frontend) {
	t.Helper()
	addr := strings.TrimPrefix(url, "postgres://test@")
	addr = addr[:strings.IndexByte(addr, '/')]
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	fe := pgproto3.NewFrontend(nc, nc)
	return nc, fe
}

func startup(t *testing.T, fe *pgproto3.Frontend) {
	t.Helper()
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "test", "database": "test"}})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	untilReady(t, fe)
}

// untilReady reads messages until ReadyForQuery and returns the error
// codes seen.
func untilReady(t *testing.T, fe *pgproto3.Frontend) []string {
	t.Helper()
	var codes []string
	for {
		m, err := fe.Receive()
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		switch m := m.(type) {
		case *pgproto3.ErrorResponse:
			codes = append(codes, m.Code)
		case *pgproto3.ReadyForQuery:
			return codes
		}
	}
}

// closedOrError reports whether the server answered with an ErrorResponse
// or closed the connection.
func closedOrError(t *testing.T, nc net.Conn) {
	t.Helper()
	buf := make([]byte, 1)
	_, err := io.ReadFull(nc, buf)
	if err == nil && buf[0] != 'E' {
		t.Fatalf("got message %q, want an ErrorResponse or a closed connection", buf[0])
	}
}

func TestBadInput(t *testing.T) {
	url, _ := startServer(t)

	t.Run("garbage startup packet closes the connection", func(t *testing.T) {
		nc, _ := rawConn(t, url)
		nc.Write([]byte{0, 0, 0, 12, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4})
		closedOrError(t, nc)
	})
	t.Run("oversized message is refused", func(t *testing.T) {
		nc, fe := rawConn(t, url)
		startup(t, fe)
		hdr := []byte{'Q', 0, 0, 0, 0}
		binary.BigEndian.PutUint32(hdr[1:], 1<<30)
		nc.Write(hdr)
		closedOrError(t, nc)
	})
	t.Run("unknown message type closes the connection", func(t *testing.T) {
		nc, fe := rawConn(t, url)
		startup(t, fe)
		nc.Write([]byte{'!', 0, 0, 0, 4})
		closedOrError(t, nc)
	})
	t.Run("invalid UTF-8 and unterminated statements are errors, then the connection goes on", func(t *testing.T) {
		_, fe := rawConn(t, url)
		startup(t, fe)
		for q, code := range map[string]string{
			"SELECT '\xff\xfe'": "22021",
			"SELECT 'abc":       "42601",
			"SELECT $$":         "42601",
			"SELECT 1/0":        "22012",
			"SAVEPOINT a":       "25P01", // outside a transaction block, as PostgreSQL
		} {
			fe.Send(&pgproto3.Query{String: q})
			fe.Flush()
			if got := untilReady(t, fe); len(got) != 1 || got[0] != code {
				t.Errorf("%q: codes %v, want %s", q, got, code)
			}
		}
		fe.Send(&pgproto3.Query{String: "SELECT 1"})
		fe.Flush()
		if got := untilReady(t, fe); len(got) != 0 {
			t.Fatalf("SELECT 1 after errors: %v", got)
		}
	})
	t.Run("bad binds are errors until Sync", func(t *testing.T) {
		_, fe := rawConn(t, url)
		startup(t, fe)
		fe.Send(&pgproto3.Parse{Name: "s", Query: "SELECT $1::int8 + 1"})
		fe.Send(&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2, 3}}})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Bind{PreparedStatement: "nope"})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		if got := untilReady(t, fe); len(got) != 1 || got[0] != "22P02" {
			t.Fatalf("codes %v, want one 22P02", got)
		}
		fe.Send(&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("41")}})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		if got := untilReady(t, fe); len(got) != 0 {
			t.Fatalf("good bind: %v", got)
		}
		fe.Send(&pgproto3.Bind{PreparedStatement: "s", Parameters: [][]byte{[]byte("x")}})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.Sync{})
		fe.Flush()
		if got := untilReady(t, fe); len(got) != 1 || got[0] != "22P02" {
			t.Fatalf("text param 'x' for int8: %v", got)
		}
	})
}
