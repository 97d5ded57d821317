package server

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"
)

// newPipeConn returns a Conn reading from one end of an in-memory pipe, and the client's end.
func newPipeConn(t *testing.T) (*Conn, net.Conn) {
	t.Helper()
	srvSide, client := net.Pipe()
	t.Cleanup(func() { srvSide.Close(); client.Close() })
	return &Conn{nc: srvSide, br: bufio.NewReader(srvSide)}, client
}

// TestDisconnectWatch checks the per-connection watcher across the commands that reuse it: quick commands are
// never interrupted, a long command is interrupted when the client goes away, and bytes the watcher read
// while a command ran stay buffered for the next request.
func TestDisconnectWatch(t *testing.T) {
	t.Run("quick commands are not interrupted", func(t *testing.T) {
		c, _ := newPipeConn(t)
		for range 100 {
			ctx, cancel := context.WithCancel(context.Background())
			c.watch.arm(c, cancel)
			c.watch.disarm(c)
			if ctx.Err() != nil {
				t.Fatal("a quick command was interrupted")
			}
			cancel()
		}
	})
	t.Run("long command interrupted by disconnect after reuse", func(t *testing.T) {
		c, client := newPipeConn(t)
		for range 3 {
			_, cancel := context.WithCancel(context.Background())
			c.watch.arm(c, cancel)
			c.watch.disarm(c)
			cancel()
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c.watch.arm(c, cancel)
		time.Sleep(3 * disconnectWatchDelay)
		client.Close()
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("the command was not interrupted when its client disconnected")
		}
		c.watch.disarm(c)
	})
	t.Run("bytes read by the watcher stay buffered", func(t *testing.T) {
		c, client := newPipeConn(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c.watch.arm(c, cancel)
		time.Sleep(3 * disconnectWatchDelay)
		go client.Write([]byte("x"))
		time.Sleep(disconnectWatchDelay)
		c.watch.disarm(c)
		if ctx.Err() != nil {
			t.Fatal("the command was interrupted although its client is connected")
		}
		c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, err := c.br.ReadByte(); err != nil || b != 'x' {
			t.Fatalf("next read = %q, %v; want the byte sent during the command", b, err)
		}
	})
}
