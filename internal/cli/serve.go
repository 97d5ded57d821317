package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/server"
)

// shutdownGrace is how long `concord serve` waits for commands in flight (commits included) after SIGINT or
// SIGTERM before closing the remaining connections.
const shutdownGrace = 30 * time.Second

// Serve runs `concord serve`: it opens the database in --dir and serves it over the MongoDB wire protocol on
// --addr as the primary of the one-member replica set --replset, until SIGINT or SIGTERM. On a signal it stops
// accepting, lets commands in flight finish (up to shutdownGrace), aborts open transactions and closes the
// database cleanly.
func Serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	dir := fs.String("dir", "./concord-data", "data directory (created if missing)")
	addr := fs.String("addr", server.DefaultAddr, "TCP address to listen on, host:port (port 0 picks a free one)")
	replSet := fs.String("replset", server.DefaultReplSetName, "replica-set name announced to clients")
	advertise := fs.String("advertise", "", "host:port announced to clients as the set's member; it must be the address clients dial (default: --addr)")
	testCommands := fs.Bool("enable-test-commands", false, "serve test-only commands (configureFailPoint), as mongod's enableTestCommands; never in production")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	tuneRuntime()
	db, err := concord.Open(*dir, nil)
	if err != nil {
		return fmt.Errorf("opening %s: %w", *dir, err)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		db.Close()
		return err
	}
	adv := *advertise
	if adv == "" {
		adv = defaultAdvertise(*addr, l.Addr())
	}
	logger := log.New(os.Stderr, "concord: ", log.LstdFlags)
	srv := &server.Server{DB: db, ReplSetName: *replSet, AdvertiseAddr: adv, ErrorLog: logger, EnableTestCommands: *testCommands}
	if *testCommands {
		logger.Printf("test commands enabled: any client can make other clients' commands fail")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	logger.Printf("serving %s on %s (replica set %q, advertised as %s)", *dir, l.Addr(), *replSet, adv)

	var serveErr error
	select {
	case <-ctx.Done():
		logger.Printf("shutting down")
	case serveErr = <-served:
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Printf("shutdown: %v; closing remaining connections", err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing the database: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, server.ErrServerClosed) {
		return serveErr
	}
	logger.Printf("stopped")
	return nil
}

// defaultAdvertise is --addr itself when it names a host and a port clients can dial, else the listener's
// address with an unspecified IP replaced by localhost.
func defaultAdvertise(addr string, la net.Addr) string {
	host, port, err := net.SplitHostPort(addr)
	if err == nil && host != "" && port != "0" {
		if ip := net.ParseIP(host); ip == nil || !ip.IsUnspecified() {
			return addr
		}
	}
	h, p, err := net.SplitHostPort(la.String())
	if err != nil {
		return la.String()
	}
	if ip := net.ParseIP(h); ip != nil && ip.IsUnspecified() {
		h = "localhost"
	}
	return net.JoinHostPort(h, p)
}
